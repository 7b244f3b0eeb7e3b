//! depmod: scan a module tree, resolve symbols, and write every `modules.*` index.
//!
//! Mirrors kmod's `tools/depmod.c` (kmod-behaviour.md §1a depmod, §1b depmod.d, §1c):
//! [`scan`] finds the modules, [`parse`] reads them in parallel, [`graph`] picks one
//! module per name, orders and resolves them, [`output`] builds the files and publishes
//! them atomically. Nothing here prints: messages come back in the order kmod prints
//! them, with their level, for the CLI to show.

pub mod cache;
pub mod config;
pub mod graph;
pub mod hash;
pub mod output;
pub mod parse;
pub mod scan;

use std::path::{Path, PathBuf};

use config::{ConfigLevel, DepmodConfig};

/// What a depmod run is asked to do.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Input root (`-b`), absolute; "/" by default.
    pub basedir: PathBuf,
    /// Output root (`-o`), absolute; the input root by default.
    pub outdir: Option<PathBuf>,
    /// Module directory under the roots (`-m`), without leading `/`: `lib/modules`.
    pub moduledir: String,
    /// The kernel version: the module directory's last component.
    pub version: String,
    /// `-C` paths; empty means the default depmod.d directories under `config_root`.
    pub config: Vec<PathBuf>,
    /// Where the default depmod.d directories are looked up ("/", like kmod even with -b).
    pub config_root: PathBuf,
    /// Explicit module files (absolute); empty means the whole tree.
    pub files: Vec<PathBuf>,
    /// `-E`: the kernel's `Module.symvers`, whose CRCs are checked against the modules'.
    pub symvers: Option<PathBuf>,
    /// `-F`: the kernel's `System.map` (kernel symbols without CRCs).
    pub system_map: Option<PathBuf>,
    /// `-e`: report unknown symbols (and CRC mismatches with `-E`).
    pub errsyms: bool,
    /// `-P`: the architecture's symbol prefix, dropped from symbol names.
    pub symbol_prefix: Option<char>,
    /// `-w`: warn about duplicate index entries.
    pub warn_dups: bool,
    /// `-n`: write nothing; the text files come back in [`Report::dry_run_output`].
    pub dry_run: bool,
    /// Collect `-v` lines.
    pub verbose: bool,
    /// Keep the no-change cache: None for the default rule ([`Options::keeps_cache`]),
    /// Some(true) or Some(false) when asked explicitly (`RKMOD_DEPMOD_CACHE=1` or `0`).
    pub cache: Option<bool>,
}

/// A message's level, as kmod prints it (`depmod: LEVEL: text`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Level {
    /// `FATAL`: the run stopped.
    Fatal,
    /// `ERROR`: a bad input skipped, or a failure such as a dependency cycle.
    Error,
    /// `WARNING`: unknown symbols, CRC mismatches, duplicates.
    Warning,
    /// `INFO`.
    Info,
}

/// What a run produced.
#[derive(Debug, Default)]
pub struct Report {
    /// Messages in the order kmod would print them.
    pub messages: Vec<(Level, String)>,
    /// `-v` output lines (stdout).
    pub verbose: Vec<String>,
    /// `-n`: the text files, concatenated (stdout).
    pub dry_run_output: Vec<u8>,
    /// The run failed (exit status 1).
    pub failed: bool,
}

impl Options {
    /// `<basedir>/<moduledir>/<version>`.
    pub fn module_dir(&self) -> PathBuf {
        self.basedir.join(&self.moduledir).join(&self.version)
    }

    /// `<outdir>/<moduledir>/<version>`.
    pub fn output_dir(&self) -> PathBuf {
        self.outdir.as_ref().unwrap_or(&self.basedir).join(&self.moduledir).join(&self.version)
    }

    /// Whether this run reads and writes the no-change cache. It serves whole-tree runs
    /// that write files; by default only for the live tree (input and output root `/`),
    /// where depmod runs again and again on the same files. A one-off tree (an initramfs
    /// builder's staging copy, `-b DIR` or `-o DIR`) gets none unless asked: a cache
    /// there only costs room and would end up in the image.
    pub fn keeps_cache(&self) -> bool {
        let live =
            self.basedir == Path::new("/") && self.outdir.as_deref().is_none_or(|o| o == Path::new("/"));
        self.files.is_empty() && !self.dry_run && self.cache.unwrap_or(live)
    }
}

/// Run depmod.
pub fn run(opts: &Options) -> Report {
    let mut report = Report::default();
    let dir = opts.module_dir();
    let out = opts.output_dir();
    let use_cache = opts.keeps_cache();
    let dir_text = dir.to_string_lossy().into_owned();
    // A cache that is there but cannot be trusted is ignored, and `-v` says so.
    let mut notes = Vec::new();
    let old = match use_cache.then(|| cache::Cache::load(&out.join(cache::FILE), &dir_text)) {
        Some(cache::Loaded::Usable(c)) => Some(c),
        Some(cache::Loaded::Unusable(why)) => {
            notes.push(cache_note(&why));
            None
        }
        _ => None,
    };
    let cfg = if opts.files.is_empty() {
        DepmodConfig::load(&opts.config_root, &opts.config, &opts.version)
    } else {
        DepmodConfig::default_searches()
    };
    for (level, msg) in &cfg.messages {
        report
            .messages
            .push((if *level == ConfigLevel::Error { Level::Error } else { Level::Info }, msg.clone()));
    }
    let mut problems = Vec::new();
    let candidates = if opts.files.is_empty() {
        if let Err(e) = std::fs::read_dir(&dir) {
            let text = errno_of(&e);
            report
                .messages
                .push((Level::Error, format!("could not open directory {}: {text}", dir.display())));
            report.messages.push((Level::Fatal, format!("could not search modules: {text}")));
            report.failed = true;
            return report;
        }
        scan::scan(&dir, &cfg.externals, &cfg.excludes, &mut problems)
    } else {
        match explicit(&opts.files, &dir) {
            Ok(c) => c,
            Err(msg) => {
                report.messages.push((Level::Fatal, msg));
                report.failed = true;
                return report;
            }
        }
    };
    report.messages.extend(problems.into_iter().map(|p| (Level::Error, p)));

    let keys: Vec<Option<cache::Key>> = candidates.iter().map(|c| c.key).collect();
    let inputs = cache::inputs_key(&options_text(opts), &cfg.sources, &input_keys(opts, &dir));
    if let Some(old) = &old {
        if unchanged(old, inputs, &candidates, &keys, &out) {
            report.messages = old.messages.clone();
            report.verbose = old.verbose.clone();
            return report;
        }
    }
    let data = parse_with_cache(&candidates, &keys, old.as_ref(), &mut notes);
    drop(old);
    // Every file the scan found, for the next run's no-change check.
    let scanned: Option<Vec<(String, cache::Key)>> = use_cache
        .then(|| candidates.iter().zip(&keys).map(|(c, k)| k.map(|k| (cache::stored_path(c), k))).collect())
        .flatten();

    for (c, d) in candidates.iter().zip(&data) {
        if let Some(err) = &d.error {
            report
                .messages
                .push((Level::Error, format!("failed to load symbols from {}: {err}", c.path.display())));
        }
    }
    let mut warnings = Vec::new();
    let chosen = graph::choose(candidates, data, &cfg, &mut warnings);
    report.messages.extend(warnings.into_iter().map(|w| (Level::Warning, w)));
    let ordered = graph::order(chosen, &dir, &mut report.messages);
    let mut ropts = graph::ResolveOptions {
        check_symvers: opts.symvers.is_some(),
        print_unknown: opts.errsyms,
        symbol_prefix: opts.symbol_prefix,
        verbose: opts.verbose,
        ..Default::default()
    };
    if let Some(path) = &opts.symvers {
        ropts.kernel_symbols = read_symvers(path);
    } else if let Some(path) = &opts.system_map {
        ropts.kernel_symbols = read_system_map(path);
    }
    if opts.symvers.is_some() || opts.system_map.is_some() {
        ropts.kernel_symbols.push(("__this_module".into(), 0));
        ropts.kernel_symbols.push(("_GLOBAL_OFFSET_TABLE_".into(), 0));
    }
    let res = graph::resolve(ordered, &ropts);
    report.messages.extend(res.warnings.iter().map(|w| (Level::Warning, w.clone())));
    report.verbose = notes.into_iter().chain(res.verbose.iter().cloned()).collect();
    if !res.cycles.is_empty() {
        for c in &res.cycles {
            report.messages.push((Level::Error, format!("Cycle detected: {}", c.join(" -> "))));
        }
        let n = res.cycle_members;
        report.messages.push((Level::Error, format!("Found {n} modules in dependency cycles!")));
        report.failed = true;
        return report;
    }
    if let Some((b, what)) = res.modules.iter().find_map(|m| m.data.non_ascii.clone()) {
        let msg = format!(
            "Module index: bad character '{}'=0x{b:x} - only 7-bit ASCII is supported:\n{what}",
            b as char
        );
        report.messages.push((Level::Fatal, msg));
        report.failed = true;
        return report;
    }
    // The cache's module data is encoded while the indexes are built.
    let (built, cache_data) = rayon::join(
        || output::build(&res, &dir, opts.warn_dups, opts.dry_run, &mut report.messages),
        || {
            scanned.as_ref().map(|files| {
                let at: rustc_hash::FxHashMap<&str, usize> =
                    files.iter().enumerate().map(|(i, (p, _))| (p.as_str(), i)).collect();
                cache::encode_modules(res.modules.iter().filter_map(|m| {
                    m.cand.key?;
                    Some((*at.get(cache::stored_path(&m.cand).as_str())?, &m.data))
                }))
            })
        },
    );
    let written = match built {
        Ok(f) => f,
        Err(output::BadString(msg)) => {
            report.messages.push((Level::Fatal, msg));
            report.failed = true;
            return report;
        }
    };
    if opts.dry_run {
        for f in written.iter().filter(|f| f.dry_run) {
            report.dry_run_output.extend_from_slice(&f.data);
        }
        return report;
    }
    if let Err(e) = std::fs::create_dir_all(&out) {
        report
            .messages
            .push((Level::Fatal, format!("could not write indexes to {}: {}", out.display(), errno_of(&e))));
        report.failed = true;
        return report;
    }
    // Concurrent runs take turns from here on (an flock on the directory itself).
    let lock = match output::DirLock::acquire(&out) {
        Ok(l) => l,
        Err(e) => {
            let msg = format!("could not write indexes to {}: {}", out.display(), errno_of(&e));
            report.messages.push((Level::Fatal, msg));
            report.failed = true;
            return report;
        }
    };
    lock.remove_stale_temps(&out);
    if let Err(e) = output::publish(&out, &written) {
        let msg = format!("could not write indexes to {}: {}", out.display(), errno_of(&e));
        report.messages.push((Level::Fatal, msg));
        report.failed = true;
        return report;
    }
    let cache_path = out.join(cache::FILE);
    match (scanned, cache_data) {
        (Some(files), Some(data)) => {
            let record = cache::Record {
                inputs,
                outputs: written
                    .iter()
                    .map(|f| (f.name.to_string(), cache::Key::of(&out.join(f.name)).unwrap_or_default()))
                    .collect(),
                files: &files,
                messages: &report.messages,
                verbose: &res.verbose,
                data,
            };
            // A cache that cannot be written only costs the next run its shortcut; it is
            // not fsynced: after a crash a torn cache fails its checksum and is ignored.
            if output::replace(&out, cache::FILE, &record.encode(&dir_text), false).is_err() {
                let _ = std::fs::remove_file(&cache_path);
            }
        }
        // No cache kept: one a previous run left no longer matches these indexes.
        _ => {
            let _ = std::fs::remove_file(&cache_path);
        }
    }
    drop(lock);
    report
}

/// The options that shape the output, as text for the cache key.
fn options_text(opts: &Options) -> String {
    format!(
        "{:?}|{:?}|{}|{}|{:?}|{:?}|{:?}|{:?}|{}|{:?}|{}|{}",
        opts.basedir,
        opts.outdir,
        opts.moduledir,
        opts.version,
        opts.config,
        opts.config_root,
        opts.symvers,
        opts.system_map,
        opts.errsyms,
        opts.symbol_prefix,
        opts.warn_dups,
        opts.verbose
    )
}

/// Stat keys of the inputs other than modules and depmod.d files.
fn input_keys(opts: &Options, dir: &Path) -> Vec<(&'static str, Option<cache::Key>)> {
    let mut keys: Vec<(&'static str, Option<cache::Key>)> =
        ["modules.order", "modules.builtin", "modules.builtin.modinfo"]
            .into_iter()
            .map(|name| (name, cache::Key::of(&dir.join(name))))
            .collect();
    keys.push(("symvers", opts.symvers.as_deref().and_then(cache::Key::of)));
    keys.push(("system.map", opts.system_map.as_deref().and_then(cache::Key::of)));
    for c in &opts.config {
        keys.push(("config", cache::Key::of(c)));
    }
    keys
}

/// True when nothing the last run depended on has changed and its files are in place.
fn unchanged(
    old: &cache::Cache,
    inputs: u64,
    candidates: &[scan::Candidate],
    keys: &[Option<cache::Key>],
    out: &Path,
) -> bool {
    old.inputs == inputs
        && old.files.len() == candidates.len()
        && old
            .files
            .iter()
            .zip(candidates.iter().zip(keys))
            .all(|((p, k), (c, key))| *p == cache::stored_path(c) && Some(*k) == *key)
        && old.outputs.iter().all(|(name, key)| cache::Key::of(&out.join(name)) == Some(*key))
}

/// Parse the modules, reusing what the cache holds for files whose key is unchanged
/// (moved out of the decoded cache, not copied: a partial run's peak memory stays that
/// of a full one).
fn parse_with_cache(
    candidates: &[scan::Candidate],
    keys: &[Option<cache::Key>],
    old: Option<&cache::Cache>,
    notes: &mut Vec<String>,
) -> Vec<parse::ModData> {
    use rayon::prelude::*;
    let recorded = match old.map(cache::Cache::module_data) {
        Some(Ok(m)) => m,
        Some(Err(why)) => {
            notes.push(cache_note(&why));
            Vec::new()
        }
        None => Vec::new(),
    };
    let mut known: rustc_hash::FxHashMap<String, (cache::Key, parse::ModData)> =
        recorded.into_iter().map(|(p, k, d)| (p, (k, d))).collect();
    let reused: Vec<Option<parse::ModData>> = candidates
        .iter()
        .zip(keys)
        .map(|(c, key)| match known.remove(&cache::stored_path(c)) {
            Some((k, d)) if Some(k) == *key => Some(d),
            _ => None,
        })
        .collect();
    drop(known);
    reused
        .into_par_iter()
        .zip(candidates)
        .map(|(hit, c)| hit.unwrap_or_else(|| parse::parse_one(&c.path, c.key.map(|k| k.size))))
        .collect()
}

/// The `-v` line of a run that found a cache it cannot trust.
fn cache_note(why: &str) -> String {
    format!("rkmod: {} ignored ({why}): every module is read again", cache::FILE)
}

fn errno_of(e: &std::io::Error) -> String {
    crate::error::errno_text(crate::error::io_errno(e))
}

/// Candidates from explicit module paths (which must be absolute).
fn explicit(files: &[PathBuf], dir: &Path) -> Result<Vec<scan::Candidate>, String> {
    let mut out = Vec::new();
    for f in files {
        if !f.is_absolute() {
            return Err(format!("{}: not absolute path.", f.display()));
        }
        if let Err(e) = std::fs::metadata(f) {
            return Err(format!("could not create module {}: {}", f.display(), errno_of(&e)));
        }
        let relpath = f.strip_prefix(dir).ok().map(|r| r.to_string_lossy().into_owned());
        let (modname, key) = (crate::name::path_to_modname(f), cache::Key::of(f));
        out.push(scan::Candidate { path: f.clone(), relpath, modname, key });
    }
    Ok(out)
}

/// Module.symvers: `crc<TAB>symbol<TAB>vmlinux<TAB>...`; only vmlinux lines count.
pub fn read_symvers(path: &Path) -> Vec<(String, u64)> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .filter_map(|l| {
            let mut w = l.split([' ', '\t']).filter(|s| !s.is_empty());
            let (crc, sym, place) = (w.next()?, w.next()?, w.next()?);
            if place != "vmlinux" {
                return None;
            }
            let crc = u64::from_str_radix(crc.trim_start_matches("0x"), 16).ok()?;
            Some((sym.to_string(), crc))
        })
        .collect()
}

/// System.map: `addr type __ksymtab_<sym>` lines name the kernel's exports.
pub fn read_system_map(path: &Path) -> Vec<(String, u64)> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .filter_map(|l| l.split(' ').nth(2)?.strip_prefix("__ksymtab_").map(|s| (s.to_string(), 0)))
        .collect()
}

/// `-A`: true when no module in the tree is newer than `modules.dep`.
pub fn up_to_date(dir: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    let Ok(dep) = std::fs::metadata(dir.join("modules.dep")) else {
        return false;
    };
    let dep_t = (dep.mtime(), dep.mtime_nsec() / 1000);
    let mut problems = Vec::new();
    scan::scan(dir, &[], &[], &mut problems)
        .iter()
        .all(|c| c.key.is_some_and(|k| (k.mtime.0, k.mtime.1 / 1000) <= dep_t))
}
