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
use super::Level;

/// A module chosen for the indexes.
#[derive(Debug, Clone)]
pub struct Module {
    /// The file the scan found.
    pub cand: Candidate,
    /// What depmod read from it.
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
    /// The exporting module (its index in [`Resolved::modules`]); None for a kernel
    /// symbol from `-E`/`-F`.
    pub owner: Option<usize>,
    /// The symbol's CRC.
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
    /// Cycles found, each as module names `a -> b -> a`, in kmod's report order.
    pub cycles: Vec<Vec<String>>,
    /// How many modules lie on the reported cycles (kmod's "Found N modules").
    pub cycle_members: usize,
    /// Modules the topological sort left over: on a cycle or depended on by one.
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

/// The longest line kmod reads from `modules.order` at once: `fgets` into a `PATH_MAX`
/// buffer, so 4095 bytes and the terminating NUL.
const ORDER_READ: usize = 4095;

/// Split `modules.order` the way kmod's `fgets` loop sees it: pieces of at most
/// [`ORDER_READ`] bytes ending at a newline, each cut at its first NUL (`strlen`); an
/// empty piece is skipped. Err(n): piece `n` (1-based) does not end in a newline (a
/// line too long for the buffer, a NUL inside a line, or a last line without `\n`).
fn order_lines(data: &[u8]) -> Result<Vec<&[u8]>, usize> {
    let mut lines = Vec::new();
    let (mut at, mut n) = (0, 0);
    while at < data.len() {
        let window = &data[at..data.len().min(at + ORDER_READ)];
        let len = window.iter().position(|&b| b == b'\n').map_or(window.len(), |p| p + 1);
        let piece = &window[..len];
        at += len;
        n += 1;
        let piece = &piece[..piece.iter().position(|&b| b == 0).unwrap_or(piece.len())];
        match piece.split_last() {
            None => continue,
            Some((b'\n', line)) => lines.push(line),
            Some(_) => return Err(n),
        }
    }
    Ok(lines)
}

/// Order modules by `modules.order`; unlisted modules follow in kmod's module-name
/// hash order. A missing file is kmod's warning; a corrupted line (`order_lines`)
/// stops the ordering (kmod's "corrupted line" error).
pub fn order(mut mods: Vec<Module>, dir: &Path, messages: &mut Vec<(Level, String)>) -> Vec<Module> {
    let order_file = dir.join("modules.order");
    let mut rank: HashMap<&[u8], i64> = HashMap::new();
    let data = match std::fs::read(&order_file) {
        Ok(t) => t,
        Err(e) => {
            messages.push((
                Level::Warning,
                format!(
                    "could not open modules.order at {}: {}",
                    dir.display(),
                    crate::error::errno_text(crate::error::io_errno(&e))
                ),
            ));
            Vec::new()
        }
    };
    match order_lines(&data) {
        Ok(lines) => {
            let total = lines.len() as i64 + 1;
            for (i, line) in lines.iter().enumerate() {
                rank.insert(line, i as i64 + 1 - total);
            }
        }
        Err(n) => {
            messages.push((Level::Error, format!("{}:{n} corrupted line misses '\\n'", order_file.display())))
        }
    }
    let key = |m: &Module| -> (i64, u32, String) {
        let listed = m.cand.relpath.as_deref().and_then(|r| rank.get(uncompressed(r).as_bytes()).copied());
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
    let (cycles, cycle_members) =
        if sorted < n { find_cycles(&modules, &deps, &in_cycle) } else { (Vec::new(), 0) };
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
    Resolved { modules, owned_symbols: owned, closure, cycles, cycle_members, in_cycle, warnings, verbose }
}

/// How many search steps the cycle report may take before it stops (kmod's search can
/// grow without bound on some graphs; see [`find_cycles`]).
const CYCLE_STEPS: usize = 1 << 20;

/// The cycles among the modules the sort left over, reported as kmod's depmod does, and
/// the number of modules in them.
///
/// The roots are those modules, in module order, on a circular list ([`Roots`]). While
/// the list is not empty, its head is taken off and searched from: a depth-first search
/// (a stack: the last dependency pushed is taken first) follows dependencies, and every
/// path that comes back to the root is one cycle, printed from the root; its modules
/// leave the list, in printed order. A module without dependencies leaves the list when
/// reached. A module reached a second time is walked again (so a root visited by an
/// earlier search reports itself alone, as kmod does), except where kmod's search would
/// go round a cycle that does not lead back to its root for ever: rkmod does not walk
/// into a module already on the path, and stops after [`CYCLE_STEPS`] steps.
fn find_cycles(modules: &[Module], deps: &[Vec<usize>], unsorted: &[bool]) -> (Vec<Vec<String>>, usize) {
    let n = modules.len();
    let mut roots = Roots::new((0..n).filter(|&i| unsorted[i]).collect(), n);
    let mut visited = vec![false; n];
    let mut in_loop = vec![false; n];
    let mut cycles = Vec::new();
    let mut steps = 0usize;
    while let Some(root) = roots.head {
        roots.remove(root);
        // Search vertices: (module, parent vertex).
        let mut verts: Vec<(usize, Option<usize>)> = vec![(root, None)];
        let mut stack = vec![0usize];
        while let Some(v) = stack.pop() {
            let m = verts[v].0;
            if visited[m] && m == root {
                let mut chain = Vec::new();
                let mut p = verts[v].1;
                while let Some(pv) = p {
                    chain.push(verts[pv].0);
                    p = verts[pv].1;
                }
                chain.reverse();
                for &c in &chain {
                    in_loop[c] = true;
                    roots.remove(c);
                }
                let mut names: Vec<String> = chain.iter().map(|&c| modules[c].cand.modname.clone()).collect();
                names.push(modules[root].cand.modname.clone());
                cycles.push(names);
                continue;
            }
            visited[m] = true;
            if deps[m].is_empty() {
                roots.remove(m);
                continue;
            }
            for &d in &deps[m] {
                let mut p = Some(v);
                let mut on_path = false;
                while let Some(pv) = p {
                    if verts[pv].0 == d && d != root {
                        on_path = true;
                        break;
                    }
                    p = verts[pv].1;
                }
                steps += 1;
                if on_path || steps > CYCLE_STEPS {
                    continue;
                }
                verts.push((d, Some(v)));
                stack.push(verts.len() - 1);
            }
        }
    }
    (cycles, in_loop.iter().filter(|&&c| c).count())
}

/// kmod's list of cycle-search roots: circular, and removing a module makes the module
/// after it the head (`kmod_list_remove_data` returns the removed node's successor),
/// which decides where the next search starts.
struct Roots {
    next: Vec<usize>,
    prev: Vec<usize>,
    listed: Vec<bool>,
    head: Option<usize>,
}

impl Roots {
    fn new(order: Vec<usize>, n: usize) -> Roots {
        let mut r = Roots {
            next: vec![0; n],
            prev: vec![0; n],
            listed: vec![false; n],
            head: order.first().copied(),
        };
        for (i, &m) in order.iter().enumerate() {
            r.next[m] = order[(i + 1) % order.len()];
            r.prev[m] = order[(i + order.len() - 1) % order.len()];
            r.listed[m] = true;
        }
        r
    }

    /// Take `m` off the list (if listed); its successor becomes the head.
    fn remove(&mut self, m: usize) {
        if !self.listed[m] {
            return;
        }
        self.listed[m] = false;
        let (p, n) = (self.prev[m], self.next[m]);
        if n == m {
            self.head = None;
            return;
        }
        self.next[p] = n;
        self.prev[n] = p;
        self.head = Some(n);
    }
}
