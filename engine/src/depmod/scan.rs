//! Finding the module files of a tree: `<dir>` recursively, then `external` dirs.
//!
//! Mirrors depmod's directory walk: every file whose name ends in `.ko`, `.ko.gz`,
//! `.ko.xz` or `.ko.zst`; directories named `build`, `source` or listed by depmod.d
//! `exclude` skipped at any depth; other file types reported; a module whose absolute
//! path reaches PATH_MAX (4096 bytes) left out with kmod's two errors. Unlike kmod, the
//! result does not depend on readdir order: entries are taken in name order. Symlinks to
//! module files are followed wherever they lead; a symlink to a directory is followed
//! only when its target lies inside the directory being walked (the module directory,
//! or an `external` one), and a directory reached again through a symlink loop is
//! skipped, so `kernel/root -> /` cannot make the walk cover the whole filesystem (kmod
//! follows every symlink). The walk works on directory descriptors (`openat`,
//! `fstatat`), and stats each module as it goes: that stat is the key the no-change
//! cache compares.

use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use nix::dir::{Dir, Type};
use nix::fcntl::{AtFlags, OFlag};
use nix::sys::stat::{fstatat, FileStat, Mode, SFlag};

use super::cache::Key;

/// A module file found by the scan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// The file (under the module directory, or an external directory).
    pub path: PathBuf,
    /// Path relative to the module directory (None for external directories).
    pub relpath: Option<String>,
    /// The module name its file name gives ([`crate::name::path_to_modname`]).
    pub modname: String,
    /// The file's stat key (None if it could not be stat'ed).
    pub key: Option<Key>,
}

/// Scan `dir` and the `externals`; `problems` collects kmod-style error messages.
/// Subdirectories are walked in parallel; the result is in name order all the same.
pub fn scan(
    dir: &Path,
    externals: &[PathBuf],
    excludes: &[String],
    problems: &mut Vec<String>,
) -> Vec<Candidate> {
    let mut found = top(dir, true, excludes);
    for ext in externals {
        if ext.is_dir() {
            found.append(top(ext, false, excludes));
        }
    }
    problems.append(&mut found.problems);
    found.cands
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

/// What one directory (and everything under it) holds, in name order.
#[derive(Default)]
struct Found {
    cands: Vec<Candidate>,
    problems: Vec<String>,
}

impl Found {
    fn append(&mut self, mut other: Found) {
        self.cands.append(&mut other.cands);
        self.problems.append(&mut other.problems);
    }

    fn problem(msg: String) -> Found {
        Found { cands: Vec::new(), problems: vec![msg] }
    }
}

/// What every step of one walk shares: the depmod.d excludes and the real path of the
/// directory walked (symlinks to directories are followed only inside it).
struct Ctx<'a> {
    excludes: &'a [String],
    inside: PathBuf,
}

/// Linux's PATH_MAX: a path this long (with its NUL) cannot be opened whole, so kmod
/// cannot create the module ("could not create module ...: File name too long").
const PATH_MAX: usize = 4096;

fn top(dir: &Path, relative: bool, excludes: &[String]) -> Found {
    let inside = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    let ctx = Ctx { excludes, inside };
    match Dir::open(dir, OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC, Mode::empty()) {
        Ok(d) => walk(d, dir.to_path_buf(), relative.then(String::new), &[], &ctx),
        Err(e) => Found::problem(format!(
            "could not open directory {}: {}",
            dir.display(),
            crate::error::errno_text(e)
        )),
    }
}

/// Walk the subdirectory `name` of `d`, unless it is one depmod skips.
fn descend(
    d: BorrowedFd<'_>,
    name: &[u8],
    name_str: &str,
    child: PathBuf,
    child_rel: Option<String>,
    ancestors: &[(u64, u64)],
    ctx: &Ctx<'_>,
) -> Found {
    if name_str == "build" || name_str == "source" || ctx.excludes.iter().any(|e| e == name_str) {
        return Found::default();
    }
    let flags = OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC;
    match Dir::openat(d, name, flags, Mode::empty()) {
        Ok(sub) => walk(sub, child, child_rel, ancestors, ctx),
        Err(e) => Found::problem(format!("openat({}): {}", child.display(), crate::error::errno_text(e))),
    }
}

/// `ancestors`: (dev, ino) of the directories above, against symlink loops.
fn walk(mut d: Dir, path: PathBuf, rel: Option<String>, ancestors: &[(u64, u64)], ctx: &Ctx<'_>) -> Found {
    use rayon::prelude::*;
    let mut chain = ancestors.to_vec();
    if let Ok(st) = nix::sys::stat::fstat(&d) {
        if chain.contains(&(st.st_dev, st.st_ino)) {
            return Found::default();
        }
        chain.push((st.st_dev, st.st_ino));
    }
    let mut entries: Vec<(Vec<u8>, Option<Type>)> = d
        .iter()
        .flatten()
        .map(|e| (e.file_name().to_bytes().to_vec(), e.file_type()))
        .filter(|(n, _)| n != b"." && n != b"..")
        .collect();
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    let fd = d.as_fd();
    let parts: Vec<Found> = entries
        .into_par_iter()
        .map(|(name, kind)| entry(fd, &path, rel.as_deref(), &name, kind, &chain, ctx))
        .collect();
    let mut out = Found::default();
    for p in parts {
        out.append(p);
    }
    out
}

/// One directory entry: a module, a directory to walk, or nothing.
fn entry(
    d: BorrowedFd<'_>,
    path: &Path,
    rel: Option<&str>,
    name: &[u8],
    kind: Option<Type>,
    chain: &[(u64, u64)],
    ctx: &Ctx<'_>,
) -> Found {
    let name_str = String::from_utf8_lossy(name).into_owned();
    let child = path.join(std::ffi::OsStr::from_bytes(name));
    let child_rel = rel.map(|r| if r.is_empty() { name_str.clone() } else { format!("{r}/{name_str}") });
    let is_module = crate::name::has_module_extension(&name_str);
    let maybe_dir = matches!(kind, Some(Type::Directory) | Some(Type::Symlink) | None);
    if !is_module && !maybe_dir {
        return Found::default();
    }
    // A directory entry (not a symlink) is opened directly: walk() fstat()s it.
    if kind == Some(Type::Directory) && !is_module {
        return descend(d, name, &name_str, child, child_rel, chain, ctx);
    }
    // Follow symlinks, as kmod's fstatat does.
    let st = match fstatat(d, name, AtFlags::empty()) {
        Ok(st) => st,
        Err(e) => {
            if is_module || kind != Some(Type::Symlink) {
                return Found::problem(format!(
                    "fstatat({}): {}",
                    child.display(),
                    crate::error::errno_text(e)
                ));
            }
            return Found::default();
        }
    };
    let fmt = SFlag::from_bits_truncate(st.st_mode) & SFlag::S_IFMT;
    if fmt == SFlag::S_IFDIR {
        // A directory reached through a symlink is walked only when it lies inside the
        // walked directory (`kernel/root -> /` would walk the whole filesystem).
        if kind != Some(Type::Directory) && !leads_inside(d, name, &child, ctx) {
            return Found::default();
        }
        return descend(d, name, &name_str, child, child_rel, chain, ctx);
    }
    if !is_module {
        return Found::default();
    }
    if child.as_os_str().len() >= PATH_MAX {
        let errno = crate::error::errno_text(crate::Errno::ENAMETOOLONG);
        return Found {
            cands: Vec::new(),
            problems: vec![
                format!("could not create module {}: {errno}", child.display()),
                format!("failed {}: {errno}", child.display()),
            ],
        };
    }
    if fmt != SFlag::S_IFREG {
        return Found::problem(format!("unsupported file type {}: {:o}", child.display(), fmt.bits()));
    }
    let modname = crate::name::path_to_modname(&child);
    Found {
        cands: vec![Candidate { path: child, relpath: child_rel, modname, key: Some(key_of(&st)) }],
        problems: Vec::new(),
    }
}

/// True when the entry `name` of `d` is not a symlink, or is one whose target (resolved
/// in full) lies inside the walked directory.
fn leads_inside(d: BorrowedFd<'_>, name: &[u8], child: &Path, ctx: &Ctx<'_>) -> bool {
    let is_link = fstatat(d, name, AtFlags::AT_SYMLINK_NOFOLLOW)
        .map(|st| SFlag::from_bits_truncate(st.st_mode) & SFlag::S_IFMT == SFlag::S_IFLNK)
        .unwrap_or(true);
    !is_link || std::fs::canonicalize(child).is_ok_and(|real| real.starts_with(&ctx.inside))
}
