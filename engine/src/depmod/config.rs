//! depmod.d configuration: `search`, `override`, `external`, `exclude`.
//!
//! Mirrors kmod's depmod.d handling (`man depmod.d`): `*.conf` files from `/etc/depmod.d`,
//! `/run/depmod.d`, `/usr/local/lib/depmod.d`, `/usr/lib/depmod.d` and `/lib/depmod.d`
//! (under a root), merged by basename with the earlier directory winning, or the files
//! and directories given with `-C`. Read only in all-modules mode.
//!
//! - `search DIR... | built-in | external`: priority of subdirectories, earliest first;
//!   with no `search` line anywhere, `search updates built-in` is assumed.
//! - `override MODNAME KVER SUBDIR`: that module is taken from `SUBDIR` (KVER is `*` or an
//!   extended regular expression matched against the kernel version).
//! - `external KVER DIR`: an extra absolute module directory, scanned after the tree.
//! - `exclude NAME...`: directory names skipped while scanning (besides `build`, `source`).

use std::path::{Path, PathBuf};

/// One word of a `search` line: where a module of a given name is taken from first.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Search {
    /// A subdirectory of the module directory (`updates`, `extra`, ...).
    Dir(String),
    /// `built-in`: the rest of the module directory (the modules installed with the
    /// kernel), not modules built into the kernel image.
    BuiltIn,
    /// `external`: the directories of `external` lines.
    External,
}

/// The parsed depmod.d configuration.
#[derive(Debug, Clone, Default)]
pub struct DepmodConfig {
    /// The search priority, earliest first (`built-in` always present).
    pub searches: Vec<Search>,
    /// `(modname, subdir)` overrides that apply to this kernel version.
    pub overrides: Vec<(String, String)>,
    /// External directories for this kernel version, in priority order.
    pub externals: Vec<PathBuf>,
    /// Directory names `exclude` lines skip while scanning.
    pub excludes: Vec<String>,
    /// Messages kmod prints while reading (`INFO`/`ERROR` level, with their text).
    pub messages: Vec<(ConfigLevel, String)>,
    /// Every file read, with its contents (the no-change cache compares them).
    pub sources: Vec<(PathBuf, String)>,
}

/// The level of a configuration message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigLevel {
    /// `depmod: ERROR: ...` (a bad line; the run goes on).
    Error,
    /// `depmod: INFO: ...` (something not supported, or a file name that will stop
    /// working).
    Info,
}

/// The default configuration directories, in precedence order.
pub const DEFAULT_DIRS: [&str; 5] =
    ["etc/depmod.d", "run/depmod.d", "usr/local/lib/depmod.d", "usr/lib/depmod.d", "lib/depmod.d"];

impl DepmodConfig {
    /// The configuration of explicit-files mode: no files read, default priorities.
    pub fn default_searches() -> DepmodConfig {
        DepmodConfig { searches: vec![Search::Dir("updates".into()), Search::BuiltIn], ..Default::default() }
    }

    /// Read the configuration for kernel `kver`: `explicit` paths when given, otherwise
    /// the default directories under `root`.
    pub fn load(root: &Path, explicit: &[PathBuf], kver: &str) -> DepmodConfig {
        let mut cfg = DepmodConfig::default();
        let files = if explicit.is_empty() {
            let dirs: Vec<PathBuf> = DEFAULT_DIRS.iter().map(|d| root.join(d)).collect();
            collect_files(&dirs, &mut cfg.messages)
        } else {
            collect_files(explicit, &mut cfg.messages)
        };
        for file in files {
            match std::fs::read_to_string(&file) {
                Ok(text) => {
                    cfg.parse(&file, &text, kver);
                    cfg.sources.push((file, text));
                }
                Err(e) => {
                    cfg.messages.push((ConfigLevel::Error, format!("could not read {}: {e}", file.display())))
                }
            }
        }
        if cfg.searches.is_empty() {
            cfg.searches = vec![Search::Dir("updates".into()), Search::BuiltIn];
        } else if !cfg.searches.contains(&Search::BuiltIn) {
            cfg.searches.push(Search::BuiltIn);
        }
        cfg
    }

    /// Parse one file's text.
    pub fn parse(&mut self, file: &Path, text: &str, kver: &str) {
        for (n, line) in text.lines().enumerate() {
            let line = line.trim_start();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let words: Vec<&str> = line.split_whitespace().collect();
            match words[0] {
                "search" => {
                    for w in &words[1..] {
                        self.searches.push(match *w {
                            "built-in" => Search::BuiltIn,
                            "external" => Search::External,
                            dir => Search::Dir(dir.trim_end_matches('/').to_string()),
                        });
                    }
                }
                "override" if words.len() >= 4 => {
                    if version_matches(words[2], kver) {
                        let modname = crate::name::modname_normalize(words[1]);
                        self.overrides.push((modname, words[3].trim_end_matches('/').to_string()));
                    }
                }
                "external" if words.len() >= 3 => {
                    if version_matches(words[1], kver) {
                        self.externals.push(PathBuf::from(words[2]));
                    }
                }
                "exclude" => self.excludes.extend(words[1..].iter().map(|w| w.to_string())),
                "include" | "make_map_files" => self.messages.push((
                    ConfigLevel::Info,
                    format!("{}:{}: {} not implemented yet", file.display(), n + 1, words[0]),
                )),
                other => self.messages.push((
                    ConfigLevel::Error,
                    format!("{}:{}: ignoring bad line starting with '{other}'", file.display(), n + 1),
                )),
            }
        }
    }
}

/// Every depmod.d directive the parser knows (`include` and `make_map_files` only to say
/// they are not implemented, as kmod does). A unit test keeps it and the parser agreed.
pub const DIRECTIVES: [&str; 6] = ["search", "override", "external", "exclude", "include", "make_map_files"];

/// `*`, or an extended regular expression found anywhere in the version string (kmod
/// runs regexec unanchored: `1\.0` matches `1.0.0-rk`; anchor with `^`/`$`). A pattern
/// that does not compile matches nothing.
fn version_matches(pattern: &str, kver: &str) -> bool {
    if pattern == "*" {
        return true;
    }
    regex_lite::Regex::new(pattern).is_ok_and(|re| re.is_match(kver))
}

/// `*.conf` files of several directories (or explicit files), merged by basename with
/// the first directory winning, in basename order.
fn collect_files(paths: &[PathBuf], messages: &mut Vec<(ConfigLevel, String)>) -> Vec<PathBuf> {
    let mut by_name: std::collections::BTreeMap<String, PathBuf> = Default::default();
    for path in paths {
        if path.is_file() {
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            by_name.entry(name).or_insert_with(|| path.clone());
            continue;
        }
        let Ok(entries) = std::fs::read_dir(path) else {
            continue;
        };
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') {
                continue;
            }
            if !name.ends_with(".conf") {
                messages.push((
                    ConfigLevel::Info,
                    format!(
                        "All config files need .conf: {}/{name}, it will be ignored in a future release",
                        path.display()
                    ),
                ));
                continue;
            }
            by_name.entry(name).or_insert_with(|| e.path());
        }
    }
    by_name.into_values().collect()
}

#[cfg(test)]
mod tests {

    #[test]
    fn the_directive_list_is_the_parser() {
        for d in DIRECTIVES {
            let mut cfg = DepmodConfig::default();
            cfg.parse(Path::new("t.conf"), &format!("{d} a * b\n"), "1.0");
            assert!(!cfg.messages.iter().any(|(_, m)| m.contains("bad line")), "{d}: {:?}", cfg.messages);
        }
        let mut cfg = DepmodConfig::default();
        cfg.parse(Path::new("t.conf"), "frob a\n", "1.0");
        assert!(cfg.messages.iter().any(|(_, m)| m.contains("bad line")));
    }
    use super::*;

    #[test]
    fn default_search_and_directives() {
        let mut cfg = DepmodConfig::default();
        cfg.parse(
            Path::new("t.conf"),
            "# c\nsearch extra updates built-in\noverride foo-bar 6.* weird/\nexternal 6.1.* /opt/mods\nexternal 5.* /no\nexclude debug tmp\nbogus line\n",
            "6.1.0",
        );
        assert_eq!(
            cfg.searches,
            vec![Search::Dir("extra".into()), Search::Dir("updates".into()), Search::BuiltIn]
        );
        assert_eq!(cfg.overrides, vec![("foo_bar".to_string(), "weird".to_string())]);
        assert_eq!(cfg.externals, vec![PathBuf::from("/opt/mods")]);
        assert_eq!(cfg.excludes, vec!["debug", "tmp"]);
        assert_eq!(cfg.messages.len(), 1);
        let empty = DepmodConfig::load(Path::new("/nonexistent-root"), &[], "1.0");
        assert_eq!(empty.searches, vec![Search::Dir("updates".into()), Search::BuiltIn]);
    }
}
