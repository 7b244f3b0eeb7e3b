//! From scanned modules to depmod's ordered, resolved module set.
//!
//! Mirrors kmod's depmod: one module per name (depmod.d `override`, then `search`
//! priority; kmod breaks remaining ties by readdir order, rkmod by path and says so),
//! ordered by `modules.order` (lines match the path with any compression suffix removed;
//! a later duplicate line wins, as in kmod 30), exported symbols in a table where a later
//! module replaces an earlier one, dependencies from needed symbols (kernel symbols from
//! `-E`/`-F` and unknown symbols have no owner), then Kahn's topological sort popping the
//! most recently freed module first. Each module's dependency closure is listed by that
//! sort's rank, so dependents come before what they depend on.

use std::collections::HashMap;

use rustc_hash::FxHashMap;
use std::path::Path;

use super::config::{DepmodConfig, Search};
use super::parse::ModData;
use super::scan::Candidate;

/// A module chosen for the indexes.
#[derive(Debug, Clone)]
pub struct Module {
    pub cand: Candidate,
    pub data: ModData,
}

impl Module {
    /// The path written in modules.dep: relative to the module dir, else absolute.
    pub fn dep_path(&self) -> String {
        self.cand.relpath.clone().unwrap_or_else(|| self.cand.path.display().to_string())
    }
}

/// A symbol table entry.
#[derive(Debug, Clone)]
pub struct Symbol {
    pub owner: Option<usize>,
    pub crc: u64,
}

/// The resolved set, ready for output.
#[derive(Debug)]
pub struct Resolved {
    /// Modules in output order; the index is each module's priority in the `.bin` files.
    pub modules: Vec<Module>,
    /// Every symbol owned by a module, in kmod's hash-table order.
    pub owned_symbols: Vec<(String, usize)>,
    /// Each module's full dependency list in modules.dep order.
    pub closure: Vec<Vec<usize>>,
    /// Cycles found, each as module names `a -> b -> a`.
    pub cycles: Vec<Vec<String>>,
    /// Modules that are part of a cycle.
    pub in_cycle: Vec<bool>,
    /// Messages at WARNING level (duplicates, unknown symbols, ...).
    pub warnings: Vec<String>,
    /// `-v` lines: `path needs "sym": owner-path`.
    pub verbose: Vec<String>,
}

/// Options that change resolution.
#[derive(Debug, Clone, Default)]
pub struct ResolveOptions {
    /// Record `-v` lines.
    pub verbose: bool,
    /// Kernel symbols (from `-E` or `-F`) with CRCs.
    pub kernel_symbols: Vec<(String, u64)>,
    /// Compare CRCs (`-E`).
    pub check_symvers: bool,
    /// Print unknown-symbol and CRC warnings (`-e`).
    pub print_unknown: bool,
    /// The `-P` prefix character.
    pub symbol_prefix: Option<char>,
}

/// Priority rank of a module path: lower wins.
fn rank(c: &Candidate, cfg: &DepmodConfig) -> (u8, usize) {
    if let Some(rel) = &c.relpath {
        let dir = rel.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
        if cfg.overrides.iter().any(|(m, sub)| *m == c.modname && sub == dir) {
            return (0, 0);
        }
    }
    let builtin = cfg.searches.iter().position(|s| *s == Search::BuiltIn).unwrap_or(usize::MAX);
    for (i, s) in cfg.searches.iter().enumerate() {
        let hit = match (s, &c.relpath) {
            (Search::Dir(d), Some(rel)) => rel.strip_prefix(d.as_str()).is_some_and(|r| r.starts_with('/')),
            (Search::External, None) => true,
            _ => false,
        };
        if hit {
            return (1, i);
        }
    }
    // Externals not named by a `search external` line rank after everything else.
    (1, if c.relpath.is_none() { usize::MAX } else { builtin })
}

/// Pick one module per name. Candidates arrive sorted by path.
pub fn choose(
    cands: Vec<Candidate>,
    data: Vec<ModData>,
    cfg: &DepmodConfig,
    warnings: &mut Vec<String>,
) -> Vec<Module> {
    let mut best: HashMap<String, usize> = HashMap::new();
    let mods: Vec<Module> = cands.into_iter().zip(data).map(|(cand, data)| Module { cand, data }).collect();
    let mut keep = vec![false; mods.len()];
    for (i, m) in mods.iter().enumerate() {
        match best.get(&m.cand.modname) {
            None => {
                best.insert(m.cand.modname.clone(), i);
                keep[i] = true;
            }
            Some(&j) => {
                let (ri, rj) = (rank(&m.cand, cfg), rank(&mods[j].cand, cfg));
                if ri == rj {
                    warnings.push(format!(
                        "{} and {} have the same priority: using {}",
                        mods[j].cand.path.display(),
                        m.cand.path.display(),
                        mods[j].cand.path.display()
                    ));
                }
                if ri < rj {
                    keep[j] = false;
                    keep[i] = true;
                    best.insert(m.cand.modname.clone(), i);
                }
            }
        }
    }
    mods.into_iter().zip(keep).filter(|(_, k)| *k).map(|(m, _)| m).collect()
}

/// `relpath` with a compression suffix removed (`x/y.ko.xz` -> `x/y.ko`).
fn uncompressed(rel: &str) -> &str {
    match rel.rfind(".ko") {
        Some(at) => &rel[..at + 3],
        None => rel,
    }
}

/// Order modules by `modules.order`; unlisted modules follow in kmod's module-name
/// hash order. A line without a trailing newline stops the ordering (kmod's
/// "corrupted line" error, returned as the message).
pub fn order(mut mods: Vec<Module>, dir: &Path, messages: &mut Vec<String>) -> Vec<Module> {
    let order_file = dir.join("modules.order");
    let mut rank: HashMap<&str, i64> = HashMap::new();
    let text = match std::fs::read_to_string(&order_file) {
        Ok(t) => t,
        Err(e) => {
            messages.push(format!(
                "could not open modules.order at {}: {}",
                dir.display(),
                crate::error::errno_text(e.raw_os_error().unwrap_or(libc::EIO))
            ));
            String::new()
        }
    };
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let mut corrupted = false;
    if let Some(last) = lines.last() {
        if !last.ends_with('\n') {
            messages.push(format!("{}:{} corrupted line misses '\\n'", order_file.display(), lines.len()));
            corrupted = true;
        }
    }
    if !corrupted {
        let total = lines.len() as i64 + 1;
        for (i, line) in lines.iter().enumerate() {
            rank.insert(line.trim_end_matches('\n'), i as i64 + 1 - total);
        }
    }
    let key = |m: &Module| -> (i64, u32, String) {
        let listed = m.cand.relpath.as_deref().and_then(|r| rank.get(uncompressed(r)).copied());
        let (bucket, name) = super::hash::order_key(&m.cand.modname, 512);
        (listed.unwrap_or(1), if listed.is_some() { 0 } else { bucket }, name.to_string())
    };
    mods.sort_by_cached_key(key);
    mods
}

/// Resolve symbols and dependencies of the ordered modules.
pub fn resolve(modules: Vec<Module>, opts: &ResolveOptions) -> Resolved {
    let n = modules.len();
    // Lookups drop a leading `.` (PPC64) and the `-P` prefix; the table drops the prefix.
    fn drop_prefix(name: &str, prefix: Option<char>) -> &str {
        prefix.and_then(|p| name.strip_prefix(p)).unwrap_or(name)
    }
    fn lookup_name(name: &str, prefix: Option<char>) -> &str {
        drop_prefix(name.strip_prefix('.').unwrap_or(name), prefix)
    }
    let prefix = opts.symbol_prefix;
    let mut symbols: FxHashMap<&str, Symbol> = FxHashMap::default();
    for (name, crc) in &opts.kernel_symbols {
        symbols.insert(drop_prefix(name, prefix), Symbol { owner: None, crc: *crc });
    }
    for (i, m) in modules.iter().enumerate() {
        for (name, crc, _) in m.data.exports.iter() {
            symbols.insert(drop_prefix(name, prefix), Symbol { owner: Some(i), crc });
        }
    }
    let mut warnings = Vec::new();
    let mut verbose = Vec::new();
    let mut deps: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut users = vec![0usize; n];
    for (i, m) in modules.iter().enumerate() {
        for (name, crc, weak) in m.data.needs.iter() {
            let Some(sym) = symbols.get(lookup_name(name, prefix)) else {
                if opts.print_unknown && !weak {
                    warnings.push(format!("{} needs unknown symbol {name}", m.cand.path.display()));
                }
                continue;
            };
            if opts.check_symvers && sym.crc != crc && !weak && opts.print_unknown {
                warnings.push(format!("{} disagrees about version of symbol {name}", m.cand.path.display()));
            }
            let Some(owner) = sym.owner else { continue };
            if owner == i || deps[i].contains(&owner) {
                continue;
            }
            deps[i].push(owner);
            users[owner] += 1;
            if opts.verbose {
                verbose.push(format!(
                    "{} needs \"{}\": {}",
                    m.cand.path.display(),
                    lookup_name(name, prefix),
                    modules[owner].cand.path.display()
                ));
            }
        }
    }
    // Kahn's algorithm: roots in module order, most recently pushed popped first.
    let mut sort_idx = vec![usize::MAX; n];
    let mut remaining = users.clone();
    let mut stack: Vec<usize> = (0..n).filter(|&i| remaining[i] == 0).collect();
    let mut sorted = 0;
    while let Some(src) = stack.pop() {
        sort_idx[src] = sorted;
        sorted += 1;
        for &dst in &deps[src] {
            remaining[dst] -= 1;
            if remaining[dst] == 0 {
                stack.push(dst);
            }
        }
    }
    let in_cycle: Vec<bool> = (0..n).map(|i| remaining[i] > 0).collect();
    let cycles = if sorted < n { find_cycles(&modules, &deps, &in_cycle) } else { Vec::new() };
    for d in deps.iter_mut() {
        d.sort_by_key(|&x| sort_idx[x]);
    }
    let closure = (0..n)
        .map(|i| {
            let mut out: Vec<usize> = Vec::new();
            let mut stack: Vec<usize> = deps[i].iter().rev().copied().collect();
            while let Some(d) = stack.pop() {
                if d == i || out.contains(&d) {
                    continue;
                }
                out.push(d);
                stack.extend(deps[d].iter().rev().copied());
            }
            out.retain(|&d| !in_cycle[d]);
            out.sort_by_key(|&d| sort_idx[d]);
            out
        })
        .collect();
    let mut owned: Vec<(String, usize)> =
        symbols.into_iter().filter_map(|(name, s)| s.owner.map(|o| (name.to_string(), o))).collect();
    owned.sort_by_cached_key(|(name, _)| (super::hash::superfast(name.as_bytes()) & 2047, name.clone()));
    Resolved { modules, owned_symbols: owned, closure, cycles, in_cycle, warnings, verbose }
}

/// Every elementary cycle through the modules left unsorted, each reported once,
/// starting from its first module in module order.
fn find_cycles(modules: &[Module], deps: &[Vec<usize>], in_cycle: &[bool]) -> Vec<Vec<String>> {
    let mut reported: Vec<Vec<usize>> = Vec::new();
    let mut out = Vec::new();
    for start in (0..modules.len()).filter(|&i| in_cycle[i]) {
        // Depth-first search for a path back to `start` through cycle members.
        let mut path = vec![start];
        let mut iters = vec![0usize];
        let mut on_path = vec![false; modules.len()];
        on_path[start] = true;
        while let Some(&node) = path.last() {
            let it = iters.last_mut().expect("iters grows with path");
            let mut next = None;
            while *it < deps[node].len() {
                let d = deps[node][*it];
                *it += 1;
                if in_cycle[d] {
                    next = Some(d);
                    break;
                }
            }
            match next {
                Some(d) if d == start => {
                    let mut members = path.clone();
                    members.sort();
                    if !reported.contains(&members) {
                        reported.push(members);
                        let mut names: Vec<String> =
                            path.iter().map(|&i| modules[i].cand.modname.clone()).collect();
                        names.push(modules[start].cand.modname.clone());
                        out.push(names);
                    }
                    break;
                }
                Some(d) if !on_path[d] && d > start => {
                    on_path[d] = true;
                    path.push(d);
                    iters.push(0);
                }
                Some(_) => {}
                None => {
                    on_path[node] = false;
                    path.pop();
                    iters.pop();
                }
            }
        }
    }
    out
}
