//! A fake kernel for tests: the module syscalls acted out on a rooted tree.
//!
//! It keeps what the real kernel publishes under a scratch root, so the tools read
//! their state back exactly as they read the real thing:
//! `sys/module/<name>/{initstate,refcnt,coresize,holders/,parameters/}` and
//! `proc/modules` (newest first, the kernel's line format). Loading checks what the
//! kernel checks and fails as it fails: not ELF (ENOEXEC), vermagic other than
//! `proc/sys/kernel/osrelease` without `MODULE_INIT_IGNORE_VERMAGIC` (ENOEXEC), already
//! loaded (EEXIST), a `depends=` module not loaded (ENOENT, "Unknown symbol"), a
//! parameter value its `parmtype` rejects (EINVAL; unknown names are ignored), a
//! compressed file without `MODULE_INIT_COMPRESSED_FILE` (ENOEXEC), with it but
//! another format than `sys/module/compression` or a stream the kernel decoder
//! rejects (EINVAL). Removal fails with ENOENT (not loaded) or EWOULDBLOCK (holders, or
//! a reference count without `O_TRUNC`).
//!
//! Control files under `ROOT/fake/`: `fail` (lines `NAME ERRNO`: that module's init
//! fails), `busy` (lines `NAME N`: the next N removals fail with EAGAIN), `no-finit`
//! (finit_module is ENOSYS, as before Linux 3.8), `no-modules` (every module call is
//! ENOSYS: a kernel built without CONFIG_MODULES). Every call is appended to
//! `ROOT/fake/calls` as one JSON object per line (call, module name, file, flags,
//! parameters, what the image held, result errno or 0); the parameter string is bytes,
//! written by the rule of [`crate::json`] (`params`, and `params_hex` when it is not
//! UTF-8), and parameter values reach `parameters/<name>` byte for byte. Calls from
//! concurrent processes are serialised with `flock` on `ROOT/fake/lock`.

use std::ffi::CStr;
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use super::Kernel;
use crate::module::{file::decompress, Compression, Elf, Field, ModuleImage};

/// The fake kernel rooted at a directory.
pub struct FakeKernel {
    root: PathBuf,
}

/// What a load call saw, for the call log.
#[derive(serde::Serialize, Default)]
struct CallRecord {
    call: &'static str,
    name: Option<String>,
    file: Option<String>,
    flags: u32,
    params: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    params_hex: Option<String>,
    /// The compression of the bytes the kernel was given (finit_module).
    compression: Option<&'static str>,
    /// The image still had a vermagic string.
    vermagic: Option<bool>,
    /// The image's `__versions` section was still allocated (not stripped).
    modversions: Option<bool>,
    /// The call's errno, or 0.
    errno: i32,
}

impl CallRecord {
    /// A record of a load call with this parameter string.
    fn with_params(params: &CStr) -> CallRecord {
        let bytes = params.to_bytes();
        CallRecord {
            params: crate::json::text(bytes),
            params_hex: crate::json::hex_if_not_utf8(bytes),
            ..CallRecord::default()
        }
    }
}

impl FakeKernel {
    /// A fake kernel keeping its state under `root`.
    pub fn new(root: &Path) -> FakeKernel {
        FakeKernel { root: root.to_path_buf() }
    }

    fn modules(&self) -> PathBuf {
        self.root.join("sys/module")
    }

    fn ctl(&self, name: &str) -> PathBuf {
        self.root.join("fake").join(name)
    }

    fn lock(&self) -> Option<nix::fcntl::Flock<File>> {
        fs::create_dir_all(self.root.join("fake")).ok()?;
        let f = OpenOptions::new().create(true).truncate(false).write(true).open(self.ctl("lock")).ok()?;
        nix::fcntl::Flock::lock(f, nix::fcntl::FlockArg::LockExclusive).ok()
    }

    fn log(&self, rec: &CallRecord) {
        if let Ok(mut f) = OpenOptions::new().create(true).append(true).open(self.ctl("calls")) {
            let mut line = serde_json::to_string(rec).unwrap_or_default();
            line.push('\n');
            let _ = f.write_all(line.as_bytes());
        }
    }

    /// `NAME VALUE` lines of a control file.
    fn control(&self, file: &str) -> Vec<(String, i64)> {
        let text = fs::read_to_string(self.ctl(file)).unwrap_or_default();
        text.lines()
            .filter_map(|l| {
                let mut w = l.split_whitespace();
                Some((w.next()?.to_string(), w.next()?.parse().ok()?))
            })
            .collect()
    }

    fn release(&self) -> Option<String> {
        fs::read_to_string(self.root.join("proc/sys/kernel/osrelease")).ok().map(|s| s.trim().to_string())
    }

    fn is_loaded(&self, name: &str) -> bool {
        self.modules().join(name).join("initstate").exists()
    }

    fn loaded_order(&self) -> Vec<String> {
        let text = fs::read_to_string(self.ctl("loaded")).unwrap_or_default();
        text.lines().map(str::to_string).collect()
    }

    fn read_num(path: &Path) -> i64 {
        fs::read_to_string(path).ok().and_then(|s| s.trim().parse().ok()).unwrap_or(0)
    }

    /// Rewrite `proc/modules` from the loaded modules, newest first.
    fn write_proc_modules(&self) {
        let mut out = String::new();
        for name in self.loaded_order().iter().rev() {
            let dir = self.modules().join(name);
            let size = Self::read_num(&dir.join("coresize"));
            let refcnt = Self::read_num(&dir.join("refcnt"));
            let mut users: Vec<String> = fs::read_dir(dir.join("holders"))
                .map(|d| d.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect())
                .unwrap_or_default();
            users.sort();
            let users = if users.is_empty() {
                "-".to_string()
            } else {
                users.iter().map(|u| format!("{u},")).collect()
            };
            out.push_str(&format!("{name} {size} {refcnt} {users} Live 0x0000000000000000 (OE)\n"));
        }
        let _ = fs::create_dir_all(self.root.join("proc"));
        let _ = fs::write(self.root.join("proc/modules"), out);
    }

    /// Load an ELF image as the kernel's `load_module` would.
    fn load(
        &self,
        image: &[u8],
        params: &[u8],
        flags: u32,
        rec: &mut CallRecord,
    ) -> Result<(), crate::Errno> {
        let elf = Elf::parse(image).map_err(|_| crate::Errno::ENOEXEC)?;
        let fields = ModuleImage::fields_in(&elf).unwrap_or_default();
        let field = |k: &str| {
            fields.iter().find(|f| f.key_is(k)).map(|f| String::from_utf8_lossy(&f.value).into_owned())
        };
        let name = crate::module::this_module_name_in(&elf)
            .filter(|n| !n.is_empty())
            .or_else(|| field("name"))
            .ok_or(crate::Errno::ENOEXEC)?;
        rec.name = Some(name.clone());
        let vermagic = field("vermagic");
        rec.vermagic = Some(vermagic.is_some());
        let alloc = |i| elf.section_flags(i).is_some_and(|f| f & 0x2 != 0);
        rec.modversions = Some(elf.find_section("__versions").is_some_and(alloc));
        if flags & super::MODULE_INIT_IGNORE_VERMAGIC == 0 {
            if let (Some(v), Some(release)) = (&vermagic, self.release()) {
                if v.split(' ').next() != Some(release.as_str()) {
                    return Err(crate::Errno::ENOEXEC);
                }
            }
        }
        if self.is_loaded(&name) {
            return Err(crate::Errno::EEXIST);
        }
        let deps: Vec<String> = field("depends")
            .unwrap_or_default()
            .split(',')
            .filter(|d| !d.is_empty())
            .map(|d| d.replace('-', "_"))
            .collect();
        if deps.iter().any(|d| !self.is_loaded(d)) {
            return Err(crate::Errno::ENOENT);
        }
        let values = check_params(&fields, params)?;
        if let Some((_, errno)) = self.control("fail").into_iter().find(|(n, _)| *n == name) {
            return Err(crate::Errno::from_raw(errno as i32));
        }
        let dir = self.modules().join(&name);
        fs::create_dir_all(dir.join("holders")).map_err(|_| crate::Errno::ENOMEM)?;
        fs::create_dir_all(dir.join("parameters")).map_err(|_| crate::Errno::ENOMEM)?;
        for (p, v) in values {
            let _ = fs::write(dir.join("parameters").join(p), [&v[..], b"\n"].concat());
        }
        let _ = fs::write(dir.join("refcnt"), "0\n");
        let _ = fs::write(dir.join("coresize"), format!("{}\n", image.len().div_ceil(4096) * 4096));
        let _ = fs::write(dir.join("fake-deps"), deps.join("\n"));
        for d in &deps {
            let ddir = self.modules().join(d);
            let n = Self::read_num(&ddir.join("refcnt"));
            let _ = fs::write(ddir.join("refcnt"), format!("{}\n", n + 1));
            let _ = std::os::unix::fs::symlink(format!("../../{name}"), ddir.join("holders").join(&name));
        }
        let _ = fs::write(dir.join("initstate"), "live\n");
        let mut order = self.loaded_order();
        order.push(name);
        let _ = fs::write(self.ctl("loaded"), order.join("\n") + "\n");
        self.write_proc_modules();
        Ok(())
    }

    fn delete(&self, name: &str, flags: u32) -> Result<(), crate::Errno> {
        if !self.is_loaded(name) {
            return Err(crate::Errno::ENOENT);
        }
        let busy = self.control("busy");
        if let Some((_, n)) = busy.iter().find(|(m, _)| m == name) {
            if *n > 0 {
                let rest: String = busy
                    .iter()
                    .map(|(m, k)| format!("{m} {}\n", if m == name { k - 1 } else { *k }))
                    .collect();
                let _ = fs::write(self.ctl("busy"), rest);
                return Err(crate::Errno::EAGAIN);
            }
        }
        let dir = self.modules().join(name);
        let holders = fs::read_dir(dir.join("holders")).map(|d| d.count()).unwrap_or(0);
        if holders > 0 {
            return Err(crate::Errno::EWOULDBLOCK);
        }
        if Self::read_num(&dir.join("refcnt")) > 0 && flags & super::O_TRUNC == 0 {
            return Err(crate::Errno::EWOULDBLOCK);
        }
        let deps = fs::read_to_string(dir.join("fake-deps")).unwrap_or_default();
        for d in deps.lines().filter(|d| !d.is_empty()) {
            let ddir = self.modules().join(d);
            let n = Self::read_num(&ddir.join("refcnt"));
            let _ = fs::write(ddir.join("refcnt"), format!("{}\n", (n - 1).max(0)));
            let _ = fs::remove_file(ddir.join("holders").join(name));
        }
        let _ = fs::remove_dir_all(&dir);
        let order: Vec<String> = self.loaded_order().into_iter().filter(|m| m != name).collect();
        let _ = fs::write(self.ctl("loaded"), order.iter().map(|m| format!("{m}\n")).collect::<String>());
        self.write_proc_modules();
        Ok(())
    }
}

impl Kernel for FakeKernel {
    fn finit_module(&self, file: &File, params: &CStr, flags: u32) -> Result<(), crate::Errno> {
        let _lock = self.lock();
        let mut rec = CallRecord {
            call: "finit_module",
            flags,
            file: fd_path(file),
            ..CallRecord::with_params(params)
        };
        let result = (|| {
            if self.ctl("no-finit").exists() || self.ctl("no-modules").exists() {
                return Err(crate::Errno::ENOSYS);
            }
            let len = file.metadata().map_err(|_| crate::Errno::EBADF)?.len() as usize;
            let mut raw = vec![0u8; len];
            file.read_exact_at(&mut raw, 0).map_err(|_| crate::Errno::EIO)?;
            let kind = Compression::detect(&raw);
            rec.compression = Some(kind.name());
            let image = if flags & super::MODULE_INIT_COMPRESSED_FILE != 0 {
                let sysfs = super::sysfs::Sysfs::new(&self.root);
                match sysfs.kernel_compression() {
                    super::sysfs::KernelCompression::Known(k) if k == kind => {}
                    super::sysfs::KernelCompression::None => return Err(crate::Errno::EOPNOTSUPP),
                    _ => return Err(crate::Errno::EINVAL),
                }
                if super::decode::kernel_rejects(kind, &raw).is_some() {
                    return Err(crate::Errno::EINVAL);
                }
                decompress(kind, &raw).map_err(|_| crate::Errno::EINVAL)?
            } else {
                raw
            };
            self.load(&image, params.to_bytes(), flags, &mut rec)
        })();
        rec.errno = result.err().map_or(0, |e| e as i32);
        self.log(&rec);
        result
    }

    fn init_module(&self, image: &[u8], params: &CStr) -> Result<(), crate::Errno> {
        let _lock = self.lock();
        let mut rec = CallRecord {
            call: "init_module",
            compression: Some(Compression::detect(image).name()),
            ..CallRecord::with_params(params)
        };
        let result = if self.ctl("no-modules").exists() {
            Err(crate::Errno::ENOSYS)
        } else {
            self.load(image, params.to_bytes(), 0, &mut rec)
        };
        rec.errno = result.err().map_or(0, |e| e as i32);
        self.log(&rec);
        result
    }

    fn delete_module(&self, name: &CStr, flags: u32) -> Result<(), crate::Errno> {
        let _lock = self.lock();
        let name = name.to_string_lossy().into_owned();
        let result = self.delete(&name, flags);
        self.log(&CallRecord {
            call: "delete_module",
            name: Some(name),
            flags,
            errno: result.err().map_or(0, |e| e as i32),
            ..CallRecord::default()
        });
        result
    }
}

fn fd_path(file: &File) -> Option<String> {
    use std::os::fd::AsRawFd;
    fs::read_link(format!("/proc/self/fd/{}", file.as_raw_fd())).ok().map(|p| p.display().to_string())
}

/// The kernel's `parse_args` over the module's declared parameters: the values to
/// publish, or EINVAL for a value its type rejects. Unknown names are ignored.
fn check_params(fields: &[Field], params: &[u8]) -> Result<Vec<(String, Vec<u8>)>, crate::Errno> {
    let types: Vec<(String, String)> = fields
        .iter()
        .filter(|f| f.key_is("parmtype"))
        .filter_map(|f| {
            let v = String::from_utf8_lossy(&f.value).into_owned();
            let (n, t) = v.split_once(':')?;
            Some((n.to_string(), t.to_string()))
        })
        .collect();
    let mut out = Vec::new();
    for (name, value) in split_params(params) {
        let name = String::from_utf8_lossy(&name).into_owned();
        let Some((_, ty)) = types.iter().find(|(n, _)| n.replace('-', "_") == name.replace('-', "_")) else {
            continue;
        };
        let shown = match ty.strip_prefix("array of ") {
            Some(elem) => {
                let v = value.as_deref().ok_or(crate::Errno::EINVAL)?;
                let items: Vec<Vec<u8>> =
                    v.split(|&b| b == b',').map(|i| scalar(elem, Some(i))).collect::<Result<_, _>>()?;
                items.join(&b',')
            }
            None => scalar(ty, value.as_deref())?,
        };
        out.push((name, shown));
    }
    Ok(out)
}

fn scalar(ty: &str, value: Option<&[u8]>) -> Result<Vec<u8>, crate::Errno> {
    match ty {
        "bool" | "invbool" => match value {
            None | Some(b"y" | b"Y" | b"1") => Ok(b"Y".to_vec()),
            Some(b"n" | b"N" | b"0") => Ok(b"N".to_vec()),
            _ => Err(crate::Errno::EINVAL),
        },
        "charp" | "string" => Ok(value.unwrap_or_default().to_vec()),
        _ => {
            // Digits are ASCII: a value that is not UTF-8 is no number either.
            let v =
                std::str::from_utf8(value.ok_or(crate::Errno::EINVAL)?).map_err(|_| crate::Errno::EINVAL)?;
            parse_int(v).map(|n| n.to_string().into_bytes()).ok_or(crate::Errno::EINVAL)
        }
    }
}

/// `kstrtol(s, 0)`: sign, then `0x` hex, `0` octal or decimal, one trailing newline.
fn parse_int(s: &str) -> Option<i64> {
    let s = s.strip_suffix('\n').unwrap_or(s);
    let (neg, digits) = match s.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let (radix, digits) = if let Some(h) = digits.strip_prefix("0x").or_else(|| digits.strip_prefix("0X")) {
        (16, h)
    } else if digits.len() > 1 && digits.starts_with('0') {
        (8, &digits[1..])
    } else {
        (10, digits)
    };
    let v = i64::from_str_radix(digits, radix).ok()?;
    if digits.is_empty() || digits.starts_with(['+', '-']) {
        return None;
    }
    Some(if neg { -v } else { v })
}

/// A parameter name and its value, if any.
type Param = (Vec<u8>, Option<Vec<u8>>);

/// The kernel's `next_arg`: words split on white space (`isspace`) outside double
/// quotes; a quoted value (`p="a b"`) or a quoted word (`"p=a b"`) loses its quotes.
/// Bytes: the kernel does not decode them.
fn split_params(params: &[u8]) -> Vec<Param> {
    let mut out = Vec::new();
    let mut word = Vec::new();
    let mut quoted = false;
    for &c in params.iter().chain(std::iter::once(&b' ')) {
        if c == b'"' {
            quoted = !quoted;
            continue;
        }
        if matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c) && !quoted {
            if !word.is_empty() {
                let w = std::mem::take(&mut word);
                out.push(match w.iter().position(|&b| b == b'=') {
                    Some(eq) => (w[..eq].to_vec(), Some(w[eq + 1..].to_vec())),
                    None => (w, None),
                });
            }
            continue;
        }
        word.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kernel_style_parameters() {
        let b = |s: &str| s.as_bytes().to_vec();
        assert_eq!(
            split_params(b" a=1  b=\"x y\" \"c=d e\" flag p=\xe9"),
            vec![
                (b("a"), Some(b("1"))),
                (b("b"), Some(b("x y"))),
                (b("c"), Some(b("d e"))),
                (b("flag"), None),
                (b("p"), Some(b"\xe9".to_vec())),
            ]
        );
        for (s, v) in
            [("10", Some(10)), ("0x1f", Some(31)), ("010", Some(8)), ("-3", Some(-3)), ("0", Some(0))]
        {
            assert_eq!(parse_int(s), v, "{s}");
        }
        for s in ["abc", "", "1.5", "0x", "--1", "9z"] {
            assert_eq!(parse_int(s), None, "{s}");
        }
        let f = |s: &str| Field::parse(s.as_bytes());
        let fields = vec![
            f("parmtype=n:int"),
            f("parmtype=s:charp"),
            f("parmtype=a:array of int"),
            f("parmtype=b:bool"),
        ];
        assert_eq!(
            check_params(&fields, b"n=5 s=h\xe9 a=1,4,3 b unknown=1"),
            Ok(vec![
                ("n".into(), b("5")),
                ("s".into(), b"h\xe9".to_vec()),
                ("a".into(), b("1,4,3")),
                ("b".into(), b("Y"))
            ])
        );
        assert_eq!(check_params(&fields, b"n=abc"), Err(crate::Errno::EINVAL));
        assert_eq!(check_params(&fields, b"n=\xe9"), Err(crate::Errno::EINVAL));
        assert_eq!(check_params(&fields, b"a=1,x"), Err(crate::Errno::EINVAL));
        assert_eq!(check_params(&fields, b"n"), Err(crate::Errno::EINVAL));
    }
}
