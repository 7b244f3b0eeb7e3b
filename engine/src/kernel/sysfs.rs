//! Module state as the kernel publishes it, read under a root (`/` for the running
//! system, a scratch tree in tests), the way libkmod reads it:
//!
//! - `sys/module/<name>/initstate`: `live`, `coming` or `going`; a module directory
//!   without the file counts as coming (`kmod_module_get_initstate`);
//! - `sys/module/<name>/refcnt` (missing: no unload support, or builtin), `holders/`
//!   (the modules using it, in readdir order), `coresize`;
//! - `proc/modules`: `name size refcnt users state address [taints]`, newest first;
//! - `sys/module/compression`: the in-kernel module decompressor (`xz`, `zstd`,
//!   `gzip`; kernel 6.4+ with CONFIG_MODULE_DECOMPRESS).

use std::path::{Path, PathBuf};

use crate::module::Compression;

/// What `/sys/module/<name>/initstate` says (builtin modules are known from the index
/// before sysfs is asked).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum InitState {
    /// `live`: loaded and initialised.
    Live,
    /// `coming`: its init function is running.
    Coming,
    /// `going`: being removed.
    Going,
    /// No such module in the kernel (or its state could not be read).
    Absent,
}

/// One line of `/proc/modules`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcModule {
    /// The first column: the module name.
    pub name: String,
    /// The second column (bytes), as text.
    pub size: String,
}

/// The kernel's module decompressor, from `/sys/module/compression`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KernelCompression {
    /// No file (kernel < 6.4, or no CONFIG_MODULE_DECOMPRESS).
    None,
    /// A format rkmod can decode too.
    Known(Compression),
    /// A name rkmod does not know (kmod: "unknown kernel compression").
    Unknown(String),
}

/// Readers of module state under one root.
#[derive(Debug, Clone)]
pub struct Sysfs {
    root: PathBuf,
}

impl Sysfs {
    /// State under `root` (`/` for the running system).
    pub fn new(root: impl Into<PathBuf>) -> Sysfs {
        Sysfs { root: root.into() }
    }

    /// The root.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// `ROOT/sys/module/<name>` (None for names that are not one path component).
    pub fn module_dir(&self, name: impl AsRef<[u8]>) -> Option<PathBuf> {
        use std::os::unix::ffi::OsStrExt;
        let name = name.as_ref();
        if name.is_empty() || name.contains(&b'/') || name == b"." || name == b".." {
            return None;
        }
        Some(self.root.join("sys/module").join(std::ffi::OsStr::from_bytes(name)))
    }

    /// libkmod's `kmod_module_get_initstate` for a module that is not builtin: the
    /// file's text, or when it is missing but the module's directory exists, "coming".
    pub fn initstate(&self, name: impl AsRef<[u8]>) -> InitState {
        let Some(dir) = self.module_dir(name) else { return InitState::Absent };
        match std::fs::read(dir.join("initstate")) {
            Ok(text) => match text.as_slice() {
                b"live\n" => InitState::Live,
                b"coming\n" => InitState::Coming,
                b"going\n" => InitState::Going,
                _ => InitState::Absent,
            },
            Err(_) if dir.is_dir() => InitState::Coming,
            Err(_) => InitState::Absent,
        }
    }

    /// `refcnt`, or the errno of reading it (ENOENT: no unload support or not loaded).
    pub fn refcnt(&self, name: impl AsRef<[u8]>) -> Result<i64, crate::Errno> {
        let dir = self.module_dir(name).ok_or(crate::Errno::ENOENT)?;
        let text = std::fs::read_to_string(dir.join("refcnt")).map_err(|e| crate::error::io_errno(&e))?;
        text.trim_end_matches('\n').trim().parse::<i64>().map_err(|_| crate::Errno::EINVAL)
    }

    /// The names in `holders/`, in readdir order, or the errno of opening it.
    pub fn holders(&self, name: impl AsRef<[u8]>) -> Result<Vec<String>, crate::Errno> {
        let dir = self.module_dir(name).ok_or(crate::Errno::ENOENT)?.join("holders");
        let entries = std::fs::read_dir(&dir).map_err(|e| crate::error::io_errno(&e))?;
        Ok(entries
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .map(|n| crate::name::modname_normalize(&n))
            .collect())
    }

    /// libkmod's `kmod_module_get_size`: `coresize`, else the size column of
    /// `/proc/modules`; an errno when the module directory does not exist.
    pub fn size(&self, name: &str) -> Result<i64, crate::Errno> {
        let dir = self.module_dir(name).ok_or(crate::Errno::ENOENT)?;
        if !dir.is_dir() {
            return Err(crate::Errno::ENOENT);
        }
        if let Ok(text) = std::fs::read_to_string(dir.join("coresize")) {
            return text.trim().parse::<i64>().map_err(|_| crate::Errno::EINVAL);
        }
        let modules = self.proc_modules().map_err(|e| crate::error::io_errno(&e))?;
        modules
            .iter()
            .find(|m| m.name == name)
            .and_then(|m| m.size.parse::<i64>().ok())
            .ok_or(crate::Errno::ENOENT)
    }

    /// The path of `/proc/modules` under the root.
    pub fn proc_modules_path(&self) -> PathBuf {
        self.root.join("proc/modules")
    }

    /// The lines of `/proc/modules`, in file order (names normalised as libkmod does).
    pub fn proc_modules(&self) -> std::io::Result<Vec<ProcModule>> {
        let data = std::fs::read(self.proc_modules_path())?;
        let text = String::from_utf8_lossy(&data);
        Ok(text
            .lines()
            .filter_map(|line| {
                let mut cols = line.split([' ', '\t']).filter(|c| !c.is_empty());
                let name = cols.next()?;
                Some(ProcModule {
                    name: crate::name::modname_normalize(name),
                    size: cols.next().unwrap_or_default().to_string(),
                })
            })
            .collect())
    }

    /// What `/sys/module/compression` names.
    pub fn kernel_compression(&self) -> KernelCompression {
        match std::fs::read_to_string(self.root.join("sys/module/compression")) {
            Err(_) => KernelCompression::None,
            Ok(text) => {
                let name = text.trim_end_matches('\n');
                match Compression::from_kernel_name(name) {
                    Some(c) => KernelCompression::Known(c),
                    None => KernelCompression::Unknown(name.to_string()),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_rooted_tree() {
        let t = tempfile::tempdir().unwrap();
        let m = t.path().join("sys/module");
        std::fs::create_dir_all(m.join("fat/holders/msdos")).unwrap();
        std::fs::create_dir_all(m.join("coming")).unwrap();
        std::fs::write(m.join("fat/initstate"), "live\n").unwrap();
        std::fs::write(m.join("fat/refcnt"), "1\n").unwrap();
        std::fs::write(m.join("fat/coresize"), "90112\n").unwrap();
        std::fs::create_dir_all(t.path().join("proc")).unwrap();
        std::fs::write(t.path().join("proc/modules"), "fat 9 1 msdos, Live 0x0\ncoming 77 0 - Loading 0x0\n")
            .unwrap();
        let s = Sysfs::new(t.path());
        assert_eq!(s.initstate("fat"), InitState::Live);
        assert_eq!(s.initstate("coming"), InitState::Coming);
        assert_eq!(s.initstate("gone"), InitState::Absent);
        assert_eq!(s.initstate("../x"), InitState::Absent);
        assert_eq!(s.refcnt("fat"), Ok(1));
        assert_eq!(s.refcnt("coming"), Err(crate::Errno::ENOENT));
        assert_eq!(s.holders("fat"), Ok(vec!["msdos".to_string()]));
        assert_eq!(s.holders("gone"), Err(crate::Errno::ENOENT));
        assert_eq!(s.size("fat"), Ok(90112));
        assert_eq!(s.size("coming"), Ok(77), "falls back to /proc/modules");
        assert_eq!(s.size("gone"), Err(crate::Errno::ENOENT));
        let names: Vec<String> = s.proc_modules().unwrap().into_iter().map(|m| m.name).collect();
        assert_eq!(names, ["fat", "coming"]);
        assert_eq!(s.kernel_compression(), KernelCompression::None);
        std::fs::write(m.join("compression"), "xz\n").unwrap();
        assert_eq!(s.kernel_compression(), KernelCompression::Known(Compression::Xz));
        std::fs::write(m.join("compression"), "lz4\n").unwrap();
        assert_eq!(s.kernel_compression(), KernelCompression::Unknown("lz4".into()));
    }
}
