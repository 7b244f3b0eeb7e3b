//! Why modprobe does what it does: one name's resolution as data, with the
//! configuration file and line behind every alias, option, blacklist, softdep and
//! install/remove command, the entries the first match shadows, and what it would do.
//! `rkmod probe --explain` prints it; `rkmod probe --json` serialises it (schema
//! `rkmod.probe/1`, docs/probe-json.md). Names, lines and commands are bytes, as read.
//!
//! The data comes from the same [`Resolver`] modprobe uses, so the explanation cannot
//! drift from the behaviour: the lookup step, then per module found the configuration
//! entries that apply in kmod's order (options: every match in config order; softdep,
//! install, remove: the first fnmatch match, the others shadowed), and the plan.

use std::path::{Path, PathBuf};

use crate::config::{Config, Source};
use crate::kernel::sysfs::{InitState, Sysfs};
use crate::lookup::ModuleDir;
use crate::resolve::{Action, LookupError, LookupStep, Plan, Resolver};

/// Why a name resolved to nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize), serde(rename_all = "kebab-case"))]
#[non_exhaustive]
pub enum NotFound {
    /// Not a valid alias (an unmatched `[` or `]`).
    BadName,
    /// A configured alias matched, but its module name and pattern are longer than
    /// libkmod can hold (4096 bytes with a separator and a NUL): kmod fails the lookup.
    AliasTooLong,
    /// The module directory does not exist (wrong kernel version, or no modules
    /// installed for it).
    NoModuleDirectory,
    /// The directory has no `modules.dep.bin`: depmod was never run for it.
    NoIndex,
    /// Nothing in the indexes or the configuration matches.
    NoMatch,
}

/// A configuration entry and where it was read.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The line as `modprobe -c` shows it (softdeps without kmod's missing space).
    pub line: Vec<u8>,
    /// Where it was read.
    pub source: Source,
    /// Something about the line that does not do what it seems to (kmod is silent).
    pub warning: Option<String>,
}

fn entry(parts: &[&[u8]], source: &Source) -> Entry {
    Entry { line: parts.concat(), source: source.clone(), warning: None }
}

/// One step of the plan.
#[derive(Debug, Clone)]
pub struct PlanStep {
    /// The module name.
    pub module: Vec<u8>,
    /// `insert`, `install`, `builtin` or `missing` (an alias to a module not there).
    pub action: &'static str,
    /// The file inserted (`insert` steps).
    pub path: Option<PathBuf>,
    /// The install command as configured (`$CMDLINE_OPTS` not expanded).
    pub command: Option<Vec<u8>>,
    /// The module parameters: configured options, then the command line's (for the
    /// module asked for).
    pub options: Vec<u8>,
    /// A failure stops the list (the module asked for, or a hard dependency); the
    /// others are softdeps, whose failures are ignored.
    pub required: bool,
    /// Already live or builtin: skipped.
    pub in_kernel: bool,
}

/// One module the lookup found.
#[derive(Debug, Clone)]
pub struct ModuleExplanation {
    /// The module name.
    pub name: Vec<u8>,
    /// The alias (or config pattern) that reached it.
    pub alias: Option<Vec<u8>>,
    /// The module file, from `modules.dep`.
    pub path: Option<PathBuf>,
    /// Listed in `modules.builtin`.
    pub builtin: bool,
    /// `live`, `coming`, `going`, `builtin` or `absent`.
    pub state: &'static str,
    /// Hard dependencies, deepest first.
    pub dependencies: Vec<Vec<u8>>,
    /// The `options` entries for the module or its alias, in the order they are joined.
    pub options: Vec<Entry>,
    /// The `blacklist` entry naming the module, if any.
    pub blacklist: Option<Entry>,
    /// The blacklist entry applies (the module was reached through an alias, or `-b`).
    pub blacklisted: bool,
    /// The first matching `softdep`: the one kmod applies.
    pub softdep: Option<Entry>,
    /// Later matching `softdep` lines, which kmod ignores.
    pub shadowed_softdeps: Vec<Entry>,
    /// The first matching `weakdep` (kmod 33): shown, never loaded.
    pub weakdep: Option<Entry>,
    /// Later matching `weakdep` lines, which kmod ignores.
    pub shadowed_weakdeps: Vec<Entry>,
    /// The first matching `install` command: it replaces the insertion.
    pub install: Option<Entry>,
    /// Later matching `install` lines, which kmod ignores.
    pub shadowed_installs: Vec<Entry>,
    /// The first matching `remove` command (for `modprobe -r`).
    pub remove: Option<Entry>,
    /// Later matching `remove` lines, which kmod ignores.
    pub shadowed_removes: Vec<Entry>,
    /// `steps`, `in-kernel` or `blacklisted`.
    pub outcome: &'static str,
    /// The probe list, in order (empty unless the outcome is `steps`).
    pub plan: Vec<PlanStep>,
}

/// One name's resolution.
#[derive(Debug, Clone)]
pub struct Explanation {
    /// The name as given.
    pub query: Vec<u8>,
    /// The name as looked up (`-` → `_` outside brackets).
    pub normalized: Option<Vec<u8>>,
    /// `config-alias`, `modules-dep`, `symbols`, `command`, `modules-alias`, `builtin`
    /// or `builtin-alias`; null when nothing was found.
    pub found_by: Option<LookupStep>,
    /// The config `alias` lines that matched (step 1).
    pub aliases: Vec<Entry>,
    /// Why nothing was found (None when something was).
    pub not_found: Option<NotFound>,
    /// Every module the lookup found, in kmod's order.
    pub modules: Vec<ModuleExplanation>,
}

/// Why `dir` gave nothing for a name.
pub fn not_found_reason(dir: &Path) -> NotFound {
    if !dir.is_dir() {
        NotFound::NoModuleDirectory
    } else if !dir.join(crate::lookup::DEP_BIN).exists() {
        NotFound::NoIndex
    } else {
        NotFound::NoMatch
    }
}

/// Explain `query` with `resolver` (fresh, or [`Resolver::reset`]). `extra` are the
/// command-line parameters. Index errors are returned.
pub fn explain(
    resolver: &mut Resolver<'_>,
    config: &Config,
    dir: &ModuleDir,
    sysfs: &Sysfs,
    query: &[u8],
    extra: Option<&[u8]>,
    use_blacklist: bool,
) -> crate::Result<Explanation> {
    let normalized = crate::name::alias_normalize_bytes(query);
    let mut ex = Explanation {
        query: query.to_vec(),
        normalized: normalized.clone(),
        found_by: None,
        aliases: Vec::new(),
        not_found: None,
        modules: Vec::new(),
    };
    let ids = match resolver.lookup(query) {
        Ok(ids) => ids,
        Err(LookupError::BadAlias) => {
            ex.not_found = Some(NotFound::BadName);
            return Ok(ex);
        }
        Err(LookupError::NameTooLong) => {
            ex.not_found = Some(NotFound::AliasTooLong);
            return Ok(ex);
        }
        Err(LookupError::Index(e)) => return Err(e),
    };
    ex.found_by = resolver.last_step();
    if ids.is_empty() {
        ex.not_found = Some(not_found_reason(dir.path()));
        return Ok(ex);
    }
    if ex.found_by == Some(LookupStep::ConfigAlias) {
        let n = normalized.clone().unwrap_or_default();
        ex.aliases = config
            .aliases_matching(&n)
            .into_iter()
            .map(|a| entry(&[b"alias ", &a.pattern, b" ", &a.modname], &a.source))
            .collect();
    }
    for id in ids {
        let m = resolver.module(id).clone();
        let builtin = resolver.is_builtin(id)?;
        let path = resolver.path(id)?;
        let deps = resolver.deps(id)?;
        let dependencies = deps.iter().map(|d| resolver.module(*d).name.clone()).collect();
        let state = if builtin {
            "builtin"
        } else {
            match sysfs.initstate(&m.name) {
                InitState::Live => "live",
                InitState::Coming => "coming",
                InitState::Going => "going",
                InitState::Absent => "absent",
            }
        };
        let options = config
            .options_entries_for(&m.name, m.alias.as_deref())
            .into_iter()
            .map(|o| entry(&[b"options ", &o.modname, b" ", &o.options], &o.source))
            .collect();
        let bl = config.blacklist_entry(&m.name);
        let blacklisted = bl.is_some() && (m.alias.is_some() || use_blacklist);
        let blacklist = bl.map(|b| entry(&[b"blacklist ", &b.modname], &b.source));
        let softdeps: Vec<Entry> = config
            .softdeps_matching(&m.name)
            .into_iter()
            .map(|s| Entry {
                warning: s.unread_marker_warning(),
                ..entry(&[b"softdep ", &s.modname, b" ", &s.fixed_text()], &s.source)
            })
            .collect();
        let weakdeps: Vec<Entry> = config
            .weakdeps_matching(&m.name)
            .into_iter()
            .map(|w| entry(&[b"weakdep ", &w.modname, b" ", &w.deps.join(&b' ')], &w.source))
            .collect();
        let commands = |list: Vec<&crate::config::Command>, kind: &[u8]| -> Vec<Entry> {
            list.into_iter().map(|c| entry(&[kind, b" ", &c.modname, b" ", &c.command], &c.source)).collect()
        };
        let installs = commands(config.installs_matching(&m.name), b"install");
        let removes = commands(config.removes_matching(&m.name), b"remove");
        let split = |mut v: Vec<Entry>| -> (Option<Entry>, Vec<Entry>) {
            if v.is_empty() {
                (None, v)
            } else {
                let first = v.remove(0);
                (Some(first), v)
            }
        };
        let (softdep, shadowed_softdeps) = split(softdeps);
        let (weakdep, shadowed_weakdeps) = split(weakdeps);
        let (install, shadowed_installs) = split(installs);
        let (remove, shadowed_removes) = split(removes);
        let plan = resolver.plan(id, extra)?;
        let (outcome, plan) = match plan {
            Plan::InKernel { .. } => ("in-kernel", Vec::new()),
            Plan::Blacklisted => ("blacklisted", Vec::new()),
            Plan::Steps(steps) => ("steps", steps.into_iter().map(plan_step).collect()),
        };
        ex.modules.push(ModuleExplanation {
            name: m.name,
            alias: m.alias,
            path,
            builtin,
            state,
            dependencies,
            options,
            blacklist,
            blacklisted,
            softdep,
            shadowed_softdeps,
            weakdep,
            shadowed_weakdeps,
            install,
            shadowed_installs,
            remove,
            shadowed_removes,
            outcome,
            plan,
        });
    }
    Ok(ex)
}

fn plan_step(s: crate::resolve::Step) -> PlanStep {
    let (action, path, command, options) = match s.action {
        Action::Insert { path, options } => ("insert", Some(path), None, options),
        Action::Install { command, options, .. } => ("install", None, Some(command), options),
        Action::Builtin => ("builtin", None, None, Vec::new()),
        Action::Missing { options } => ("missing", None, None, options),
    };
    PlanStep {
        module: s.module.name,
        action,
        path,
        command,
        options,
        required: s.required,
        in_kernel: s.in_kernel,
    }
}
