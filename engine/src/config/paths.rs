//! Which configuration files modprobe reads, and in which order.
//!
//! kmod builds one list of files, sorted by file name (byte order, `strcmp`), from:
//!
//! 1. `modules.softdep` of the module directory (and `modules.weakdep` for kmod 33),
//!    entered first, so it wins a name clash, whether it exists or not;
//! 2. each configuration path in order: the `-C` paths if any were given, otherwise the
//!    default directories [`DEFAULT_DIRS`] under the root. A directory contributes its
//!    `*.conf` entries (and `*.alias` ones for kmod 30), names starting with `.`
//!    skipped; an entry that is itself a directory is refused with `Directories inside
//!    directories are not supported: <path>` (checked only for entries with an accepted
//!    name); an entry that cannot be stat'ed (a dangling link) stays in the list. A file
//!    given with `-C` is taken whatever its name (`-C /etc/modules.conf`). A path that
//!    does not exist is skipped (silently in kmod; a missing `-C` path gives a
//!    [`WarningKind::MissingPath`], which only rkmod shows).
//!
//! A name already in the list is ignored, so with the same name in `/etc/modprobe.d`
//! and `/lib/modprobe.d`, only the first is read. Paths are built as kmod builds them,
//! `DIR + "/" + NAME` (`-C dir/` gives `dir//x.conf` in messages).

use std::ffi::OsString;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};

use super::{LoadOptions, Warning, WarningKind};

/// The default modprobe.d directories, in precedence order, relative to the root.
/// (`usr/lib/modprobe.d` is kmod 32's `DISTCONFDIR`; on a merged-/usr system such as
/// Debian 12 it is the same directory as `lib/modprobe.d`, so kmod 30 sees the same files.)
pub const DEFAULT_DIRS: [&str; 5] =
    ["etc/modprobe.d", "run/modprobe.d", "usr/local/lib/modprobe.d", "usr/lib/modprobe.d", "lib/modprobe.d"];

/// Debian 12's kmod 30: the same without `usr/lib/modprobe.d` (no DISTCONFDIR).
pub const KMOD30_DIRS: [&str; 4] =
    ["etc/modprobe.d", "run/modprobe.d", "usr/local/lib/modprobe.d", "lib/modprobe.d"];

/// The directories `dirs` (relative) under `root`.
pub fn default_dirs(root: &Path, dirs: &[&str]) -> Vec<PathBuf> {
    dirs.iter().map(|d| root.join(d)).collect()
}

/// `dir + "/" + name`, byte for byte as kmod joins them.
fn join_raw(dir: &Path, name: &[u8]) -> PathBuf {
    let mut bytes = dir.as_os_str().as_bytes().to_vec();
    bytes.push(b'/');
    bytes.extend_from_slice(name);
    PathBuf::from(OsString::from_vec(bytes))
}

/// The part of `path` after its last `/`.
fn basename(path: &Path) -> &[u8] {
    let b = path.as_os_str().as_bytes();
    match b.iter().rposition(|&c| c == b'/') {
        Some(i) => &b[i + 1..],
        None => b,
    }
}

/// The file list under construction: sorted by name, first one in wins.
#[derive(Default)]
struct SortedFiles {
    entries: Vec<(Vec<u8>, PathBuf)>,
}

impl SortedFiles {
    fn insert(&mut self, name: &[u8], path: PathBuf) {
        if let Err(i) = self.entries.binary_search_by(|(n, _)| n.as_slice().cmp(name)) {
            self.entries.insert(i, (name.to_vec(), path));
        }
    }
}

/// Whether a directory entry's name makes it a configuration file.
pub fn is_config_name(name: &[u8], read_alias_files: bool) -> bool {
    if name.first() == Some(&b'.') {
        return false;
    }
    name.ends_with(b".conf") || (read_alias_files && name.ends_with(b".alias"))
}

/// The configuration files to read, in reading order. `module_dir` is the (rooted)
/// module directory; `explicit` are the `-C` paths, which replace the defaults when
/// given. Directory problems are appended to `warnings`.
pub fn config_files(
    root: &Path,
    module_dir: Option<&Path>,
    explicit: &[PathBuf],
    opts: &LoadOptions,
    warnings: &mut Vec<Warning>,
) -> Vec<PathBuf> {
    let mut list = SortedFiles::default();
    if let Some(dir) = module_dir {
        list.insert(b"modules.softdep", join_raw(dir, b"modules.softdep"));
        if opts.weakdep {
            list.insert(b"modules.weakdep", join_raw(dir, b"modules.weakdep"));
        }
    }
    let defaults;
    let paths: &[PathBuf] = if explicit.is_empty() {
        defaults = default_dirs(root, opts.default_dirs);
        &defaults
    } else {
        explicit
    };
    for path in paths {
        let meta = match std::fs::metadata(path) {
            Ok(meta) => meta,
            Err(_) => {
                // kmod skips it silently; a missing -C path is worth a word in rkmod.
                if !explicit.is_empty() {
                    warnings.push(Warning {
                        kind: WarningKind::MissingPath,
                        file: Some(path.clone()),
                        line: None,
                    });
                }
                continue;
            }
        };
        if !meta.is_dir() {
            list.insert(basename(path), path.clone());
            continue;
        }
        let Ok(entries) = std::fs::read_dir(path) else {
            continue;
        };
        // readdir order, as kmod, so the directory messages come out in kmod's order.
        for entry in entries.flatten() {
            let name = entry.file_name();
            let name = name.as_bytes();
            if !is_config_name(name, opts.read_alias_files) {
                continue;
            }
            let full = join_raw(path, name);
            if std::fs::metadata(&full).map(|m| m.is_dir()).unwrap_or(false) {
                warnings.push(Warning { kind: WarningKind::NestedDirectory, file: Some(full), line: None });
                continue;
            }
            list.insert(name, full);
        }
    }
    list.entries.into_iter().map(|(_, p)| p).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn write(path: &Path, text: &str) {
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }

    fn rel(root: &Path, files: &[PathBuf]) -> Vec<String> {
        files.iter().map(|f| f.strip_prefix(root).unwrap_or(f).display().to_string()).collect()
    }

    #[test]
    fn merged_sorted_first_dir_wins() {
        let t = tempfile::tempdir().unwrap();
        let r = t.path();
        write(&r.join("etc/modprobe.d/b.conf"), "");
        write(&r.join("lib/modprobe.d/b.conf"), "");
        write(&r.join("lib/modprobe.d/a.conf"), "");
        write(&r.join("run/modprobe.d/c.conf"), "");
        write(&r.join("usr/lib/modprobe.d/a.conf"), "");
        write(&r.join("usr/local/lib/modprobe.d/0.conf"), "");
        write(&r.join("lib/modprobe.d/Z.conf"), "");
        let mut w = Vec::new();
        let files = config_files(r, None, &[], &LoadOptions::modern(), &mut w);
        assert!(w.is_empty());
        assert_eq!(
            rel(r, &files),
            vec![
                "usr/local/lib/modprobe.d/0.conf",
                "lib/modprobe.d/Z.conf",
                "usr/lib/modprobe.d/a.conf",
                "etc/modprobe.d/b.conf",
                "run/modprobe.d/c.conf",
            ]
        );
        // kmod 30 has no /usr/lib/modprobe.d; missing default directories are no problem.
        let files = config_files(r, None, &[], &LoadOptions::kmod30(), &mut w);
        assert!(w.is_empty());
        assert_eq!(rel(r, &files)[2], "lib/modprobe.d/a.conf");
        let empty = tempfile::tempdir().unwrap();
        assert!(config_files(empty.path(), None, &[], &LoadOptions::kmod30(), &mut w).is_empty());
        assert!(w.is_empty(), "{w:?}");
    }

    #[test]
    fn names_filter_alias_files_and_nested_dirs() {
        let t = tempfile::tempdir().unwrap();
        let d = t.path().join("d");
        for name in ["x.conf", "y.alias", "z.txt", "noext", ".hidden.conf", ".conf", "UP.CONF", "conf"] {
            write(&d.join(name), "");
        }
        fs::create_dir_all(d.join("sub.conf")).unwrap();
        fs::create_dir_all(d.join("subdir")).unwrap();
        fs::create_dir_all(d.join(".hid.conf")).unwrap();
        std::os::unix::fs::symlink("/nonexistent", d.join("broken.conf")).unwrap();
        let mut w = Vec::new();
        let files = config_files(t.path(), None, std::slice::from_ref(&d), &LoadOptions::kmod30(), &mut w);
        assert_eq!(rel(&d, &files), vec!["broken.conf", "x.conf", "y.alias"]);
        assert_eq!(w.len(), 1);
        assert_eq!(w[0].kind, WarningKind::NestedDirectory);
        assert_eq!(
            w[0].kmod30_stderr(),
            vec![format!(
                "libkmod: ERROR ../libkmod/libkmod-config.c:772 conf_files_filter_out: \
                 Directories inside directories are not supported: {}/sub.conf",
                d.display()
            )
            .into_bytes()]
        );
        assert_eq!(
            w[0].message(),
            format!("{}/sub.conf: ignoring a directory inside a configuration directory", d.display())
        );
        let mut w = Vec::new();
        let files = config_files(t.path(), None, std::slice::from_ref(&d), &LoadOptions::modern(), &mut w);
        assert_eq!(rel(&d, &files), vec!["broken.conf", "x.conf"]);
    }

    #[test]
    fn explicit_files_and_dirs() {
        let t = tempfile::tempdir().unwrap();
        let r = t.path();
        write(&r.join("a/x.conf"), "");
        write(&r.join("b/x.conf"), "");
        write(&r.join("b/0.conf"), "");
        write(&r.join("etc/modules.conf"), "");
        write(&r.join("etc/modprobe.d/ignored.conf"), "");
        let explicit = vec![
            r.join("etc/modules.conf"),
            r.join("b/x.conf"),
            r.join("missing.conf"),
            r.join("a"),
            PathBuf::from(format!("{}/b/", r.display())),
        ];
        let mut w = Vec::new();
        let files = config_files(r, None, &explicit, &LoadOptions::kmod30(), &mut w);
        assert_eq!(rel(r, &files), vec!["b//0.conf", "etc/modules.conf", "b/x.conf"]);
        // The missing path: a warning kmod does not print.
        assert_eq!(w.len(), 1);
        assert_eq!(w[0].kind, WarningKind::MissingPath);
        assert!(!w[0].kmod_reports());
        assert!(w[0].message().contains("missing.conf"), "{}", w[0].message());
    }

    #[test]
    fn module_dir_files_sort_among_conf_and_win() {
        let t = tempfile::tempdir().unwrap();
        let r = t.path();
        write(&r.join("etc/modprobe.d/a.conf"), "");
        write(&r.join("etc/modprobe.d/nvidia.conf"), "");
        let md = r.join("lib/modules/1.0");
        write(&md.join("modules.softdep"), "");
        let mut w = Vec::new();
        let files = config_files(r, Some(&md), &[], &LoadOptions::kmod30(), &mut w);
        assert_eq!(
            rel(r, &files),
            vec!["etc/modprobe.d/a.conf", "lib/modules/1.0/modules.softdep", "etc/modprobe.d/nvidia.conf"]
        );
        // An explicit file of the same name loses against the module directory's.
        write(&r.join("c/modules.softdep"), "");
        let files =
            config_files(r, Some(&md), &[r.join("c/modules.softdep")], &LoadOptions::kmod30(), &mut w);
        assert_eq!(rel(r, &files), vec!["lib/modules/1.0/modules.softdep"]);
        // kmod 33 adds modules.weakdep.
        let files = config_files(r, Some(&md), &[], &LoadOptions::modern(), &mut w);
        assert_eq!(
            rel(r, &files),
            vec![
                "etc/modprobe.d/a.conf",
                "lib/modules/1.0/modules.softdep",
                "lib/modules/1.0/modules.weakdep",
                "etc/modprobe.d/nvidia.conf"
            ]
        );
    }

    #[test]
    fn config_names() {
        assert!(is_config_name(b"a.conf", false));
        assert!(is_config_name(b"x.alias.conf", false));
        assert!(!is_config_name(b"a.alias", false));
        assert!(is_config_name(b"a.alias", true));
        assert!(!is_config_name(b".a.conf", true));
        assert!(!is_config_name(b"a.conf~", true));
        assert!(is_config_name(b"-.conf", true));
    }
}
