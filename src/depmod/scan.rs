//! Finding the module files of a tree: `<dir>` recursively, then `external` dirs.
//!
//! Mirrors depmod's directory walk: every file whose name ends in `.ko`, `.ko.gz`,
//! `.ko.xz` or `.ko.zst`; symlinks followed; directories named `build`, `source` or
//! listed by depmod.d `exclude` skipped at any depth; other file types reported. Unlike
//! kmod, the result does not depend on readdir order: files come out sorted by path.

use std::path::{Path, PathBuf};

/// A module file found by the scan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub path: PathBuf,
    /// Path relative to the module directory (None for external directories).
    pub relpath: Option<String>,
    pub modname: String,
}

/// Scan `dir` and the `externals`; `problems` collects kmod-style error messages.
pub fn scan(
    dir: &Path,
    externals: &[PathBuf],
    excludes: &[String],
    problems: &mut Vec<String>,
) -> Vec<Candidate> {
    let mut out = Vec::new();
    walk(dir, Some(dir), excludes, &mut out, problems);
    for ext in externals {
        if ext.is_dir() {
            walk(ext, None, excludes, &mut out, problems);
        }
    }
    out
}

fn walk(
    top: &Path,
    base: Option<&Path>,
    excludes: &[String],
    out: &mut Vec<Candidate>,
    problems: &mut Vec<String>,
) {
    let skip = |name: &str| name == "build" || name == "source" || excludes.iter().any(|e| e == name);
    let walker = walkdir::WalkDir::new(top).follow_links(true).sort_by_file_name().into_iter();
    let walker = walker.filter_entry(|e| {
        e.depth() == 0 || !(e.file_type().is_dir() && skip(&e.file_name().to_string_lossy()))
    });
    for entry in walker {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                problems.push(format!("{e}"));
                continue;
            }
        };
        let name = entry.file_name().to_string_lossy();
        if entry.depth() == 0 || !crate::name::has_module_extension(&name) {
            continue;
        }
        let ft = entry.file_type();
        if ft.is_dir() {
            continue;
        }
        if !ft.is_file() {
            problems.push(format!("unsupported file type {}", entry.path().display()));
            continue;
        }
        let path = entry.path().to_path_buf();
        let relpath = base.and_then(|b| path.strip_prefix(b).ok()).map(|r| r.to_string_lossy().into_owned());
        out.push(Candidate { modname: crate::name::path_to_modname(&path), path, relpath });
    }
}
