//! Finding the module files of a tree: `<dir>` recursively, then `external` dirs.
//!
//! Mirrors depmod's directory walk: every file whose name ends in `.ko`, `.ko.gz`,
//! `.ko.xz` or `.ko.zst`; symlinks followed; directories named `build`, `source` or
//! listed by depmod.d `exclude` skipped at any depth; other file types reported. Unlike
//! kmod, the result does not depend on readdir order: entries are taken in name order.
//! The walk works on directory descriptors (`openat`, `fstatat`), and stats each module
//! as it goes: that stat is the key the no-change cache compares. A directory reached
//! again through a symlink loop is skipped.

use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use nix::dir::{Dir, Type};
use nix::fcntl::{AtFlags, OFlag};
use nix::sys::stat::{fstatat, FileStat, Mode, SFlag};

use super::cache::Key;

/// A module file found by the scan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub path: PathBuf,
    /// Path relative to the module directory (None for external directories).
    pub relpath: Option<String>,
    pub modname: String,
    /// The file's stat key (None if it could not be stat'ed).
    pub key: Option<Key>,
}

/// Scan `dir` and the `externals`; `problems` collects kmod-style error messages.
pub fn scan(
    dir: &Path,
    externals: &[PathBuf],
    excludes: &[String],
    problems: &mut Vec<String>,
) -> Vec<Candidate> {
    let mut out = Vec::new();
    let mut w = Walker { excludes, out: &mut out, problems, stack: Vec::new() };
    w.top(dir, true);
    for ext in externals {
        if ext.is_dir() {
            w.top(ext, false);
        }
    }
    out
}

fn key_of(st: &FileStat) -> Key {
    Key {
        dev: st.st_dev,
        ino: st.st_ino,
        size: st.st_size as u64,
        mtime: (st.st_mtime, st.st_mtime_nsec),
        ctime: (st.st_ctime, st.st_ctime_nsec),
    }
}

struct Walker<'a> {
    excludes: &'a [String],
    out: &'a mut Vec<Candidate>,
    problems: &'a mut Vec<String>,
    /// (dev, ino) of the directories being walked, against symlink loops.
    stack: Vec<(u64, u64)>,
}

impl Walker<'_> {
    fn top(&mut self, dir: &Path, relative: bool) {
        match Dir::open(dir, OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC, Mode::empty()) {
            Ok(d) => self.walk(d, dir.to_path_buf(), relative.then(String::new)),
            Err(e) => self.problems.push(format!(
                "could not open directory {}: {}",
                dir.display(),
                crate::error::errno_text(e as i32)
            )),
        }
    }

    fn walk(&mut self, mut d: Dir, path: PathBuf, rel: Option<String>) {
        if let Ok(st) = nix::sys::stat::fstat(&d) {
            if self.stack.contains(&(st.st_dev, st.st_ino)) {
                return;
            }
            self.stack.push((st.st_dev, st.st_ino));
        }
        let mut entries: Vec<(Vec<u8>, Option<Type>)> = d
            .iter()
            .flatten()
            .map(|e| (e.file_name().to_bytes().to_vec(), e.file_type()))
            .filter(|(n, _)| n != b"." && n != b"..")
            .collect();
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        for (name, kind) in entries {
            let name_str = String::from_utf8_lossy(&name).into_owned();
            let child = path.join(std::ffi::OsStr::from_bytes(&name));
            let child_rel =
                rel.as_ref().map(|r| if r.is_empty() { name_str.clone() } else { format!("{r}/{name_str}") });
            let is_module = crate::name::has_module_extension(&name_str);
            let maybe_dir = matches!(kind, Some(Type::Directory) | Some(Type::Symlink) | None);
            if !is_module && !maybe_dir {
                continue;
            }
            // Follow symlinks, as kmod's fstatat does.
            let st = match fstatat(&d, name.as_slice(), AtFlags::empty()) {
                Ok(st) => st,
                Err(e) => {
                    if is_module || kind != Some(Type::Symlink) {
                        self.problems.push(format!(
                            "fstatat({}): {}",
                            child.display(),
                            crate::error::errno_text(e as i32)
                        ));
                    }
                    continue;
                }
            };
            let fmt = SFlag::from_bits_truncate(st.st_mode) & SFlag::S_IFMT;
            if fmt == SFlag::S_IFDIR {
                if name_str == "build" || name_str == "source" || self.excludes.contains(&name_str) {
                    continue;
                }
                let flags = OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC;
                match Dir::openat(&d, name.as_slice(), flags, Mode::empty()) {
                    Ok(sub) => self.walk(sub, child, child_rel),
                    Err(e) => self.problems.push(format!(
                        "openat({}): {}",
                        child.display(),
                        crate::error::errno_text(e as i32)
                    )),
                }
            } else if is_module {
                if fmt != SFlag::S_IFREG {
                    self.problems.push(format!(
                        "unsupported file type {}: {:o}",
                        child.display(),
                        fmt.bits()
                    ));
                    continue;
                }
                let modname = crate::name::path_to_modname(&child);
                self.out.push(Candidate { path: child, relpath: child_rel, modname, key: Some(key_of(&st)) });
            }
        }
        self.stack.pop();
    }
}
