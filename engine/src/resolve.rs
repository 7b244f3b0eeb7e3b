//! modprobe's resolution as data: a name or alias becomes the ordered list of things
//! modprobe would do (a [`Plan`]), without loading or running anything.
//!
//! The model is libkmod's (`kmod_module_new_from_lookup`,
//! `kmod_module_probe_insert_module`), reproduced from its observable behaviour in
//! kmod 30:
//!
//! * **Lookup** ([`Resolver::lookup`]): the input is alias-normalised, then the first
//!   of seven steps that finds anything wins: config `alias` entries (fnmatch, every
//!   match, in config order), `modules.dep.bin` (exact, not for names with `:`),
//!   `modules.symbols.bin` (`symbol:` names only), an `install` then a `remove` entry
//!   whose name equals the input exactly, `modules.alias.bin`, `modules.builtin.bin`,
//!   `modules.builtin.alias.bin`. A config alias is not followed to another alias.
//!   libkmod keys a module reached through an alias by `name\alias` in a PATH_MAX
//!   buffer: a config alias whose module name and pattern do not fit
//!   (`len + len + 2 > 4096`) fails the whole lookup ([`LookupError::NameTooLong`],
//!   "File name too long"), even when other aliases matched.
//! * **Modules are objects** keyed by name, or by name and the alias that reached them
//!   (libkmod's `name\alias` hash key): `hello` reached as `my-hello` is a different
//!   object from `hello` reached as a dependency, with its own options (an `options`
//!   line naming the alias applies to it) and its own place in the loop protection.
//! * **Probe list** ([`Resolver::plan`]): for each hard dependency (the `modules.dep`
//!   line reversed, deepest first) its pre-softdeps, itself, its post-softdeps; then the
//!   module with its own softdeps (only the first matching `softdep` counts; its names
//!   are looked up fully, so they may be aliases). A visited mark on each object
//!   breaks loops through softdeps; hard dependencies carry no mark and can appear
//!   more than once, as in kmod. With `-i` the requested module's softdeps and
//!   install command are ignored. A module whose softdeps resolved to anything has its
//!   install command ignored too (kmod's behaviour).
//! * **Steps**: an install command (printed raw, run with `$CMDLINE_OPTS` replaced by
//!   the options), an insertion of the file from `modules.dep`, a builtin module, or a
//!   module with neither a file nor a builtin entry. Options are every `options` entry
//!   naming the module or its alias (kernel command line last), then, for the requested
//!   module only, the command-line parameters, joined kmod's way (a configured option
//!   string is followed by a space even when nothing comes after it).
//! * **Before the list**: a module already live or builtin is done (an error with
//!   `--first-time`); a blacklisted module reached through an alias is skipped, and
//!   with `-b` a blacklisted module reached by name too.
//!
//! Names, options and commands are bytes, as in kmod: nothing is decoded on the way.
//!
//! Every lookup is linear in its input (fnmatch is linear, index walks are bounded),
//! and nothing here executes anything: install commands are data.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use crate::config::Config;
use crate::error::Result;
use crate::lookup::ModuleDir;
use crate::name;

pub use crate::kernel::sysfs::{InitState, Sysfs};

/// The running kernel's module state, as modprobe reads it. Tests fake it; the
/// default reads sysfs ([`Sysfs`]).
pub trait KernelState {
    /// The init state of a module that is not builtin.
    fn initstate(&self, name: &[u8]) -> InitState;
}

impl<F: Fn(&[u8]) -> InitState> KernelState for F {
    fn initstate(&self, name: &[u8]) -> InitState {
        self(name)
    }
}

impl KernelState for Sysfs {
    fn initstate(&self, name: &[u8]) -> InitState {
        Sysfs::initstate(self, name)
    }
}

/// A kernel with no module loaded (for `--show-depends`-like uses and tests).
pub fn nothing_loaded(_: &[u8]) -> InitState {
    InitState::Absent
}

/// modprobe's switches that change resolution.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProbeOptions {
    /// `-i`: ignore the requested module's install command and softdeps.
    pub ignore_commands: bool,
    /// `-D`: do not look at what the kernel has loaded.
    pub ignore_loaded: bool,
    /// `-b`: a blacklisted module is skipped even when named directly.
    pub use_blacklist: bool,
    /// `--first-time`: a module already in the kernel is an error.
    pub first_time: bool,
}

/// A module object: its name and, when an alias reached it, that alias (the pattern
/// for a config alias, the normalised input for an index alias).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Module {
    /// The module name (normalised: `_`, not `-`).
    pub name: Vec<u8>,
    /// The alias that reached it, if any.
    pub alias: Option<Vec<u8>>,
}

/// Handle of a module object in a [`Resolver`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ModId(usize);

/// What modprobe does for one entry of the probe list.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Action {
    /// Insert the module file with these options.
    Insert {
        /// The file, from `modules.dep` (relative entries joined to the module directory).
        path: PathBuf,
        /// The parameter string given to the kernel.
        options: Vec<u8>,
    },
    /// Run the install command.
    Install {
        /// The configured text (what `-D` prints).
        command: Vec<u8>,
        /// `command` with `$CMDLINE_OPTS` replaced by the options (what would run).
        expanded: Vec<u8>,
        /// The module's options.
        options: Vec<u8>,
    },
    /// Built into the kernel: nothing to do (`-D` prints `builtin NAME`).
    Builtin,
    /// No file and no builtin entry (an alias to a module that is not there): kmod
    /// prints nothing and insertion would fail.
    Missing {
        /// The module's options.
        options: Vec<u8>,
    },
}

/// One entry of the probe list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// The module object's handle in the resolver that planned it.
    pub id: ModId,
    /// The module object.
    pub module: Module,
    /// What to do for it.
    pub action: Action,
    /// The requested module or one of its hard dependencies (failures of other
    /// entries, pulled in as softdeps, are ignored).
    pub required: bool,
    /// The requested module itself.
    pub requested: bool,
    /// Already live or builtin: skipped (never set with [`ProbeOptions::ignore_loaded`]).
    pub in_kernel: bool,
}

/// What modprobe does with one module the lookup found.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Plan {
    /// Already live or builtin (and not `-D`): nothing to do; an error with
    /// `--first-time` (`could not insert 'NAME': Module already in kernel`).
    InKernel {
        /// [`ProbeOptions::first_time`] was set: this is the error.
        first_time: bool,
    },
    /// Blacklisted (reached through an alias, or `-b`): skipped, successfully.
    Blacklisted,
    /// The probe list, in order.
    Steps(Vec<Step>),
}

/// Something libkmod reports while resolving (it goes on).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Diagnostic {
    /// A softdep name that is not a valid alias (an unmatched bracket).
    SoftdepLookupFailed {
        /// The softdep name, as written.
        name: Vec<u8>,
    },
    /// A dependency file of `modules.dep` that does not exist: the module's
    /// dependencies are dropped, as in libkmod.
    DependencyMissing {
        /// The module whose `modules.dep` line names the file.
        module: Vec<u8>,
        /// The missing file.
        path: PathBuf,
    },
    /// A config alias matched `query` but its module name and pattern are too long
    /// for libkmod's module key: the lookup fails (ENAMETOOLONG).
    AliasTooLong {
        /// The name looked up (normalised).
        query: Vec<u8>,
        /// The alias's module name.
        modname: Vec<u8>,
    },
}

impl Diagnostic {
    /// The stderr line kmod 30's modprobe prints (after `modprobe: `), when it prints
    /// one that can be reproduced.
    pub fn kmod30_message(&self) -> Vec<u8> {
        match self {
            Diagnostic::SoftdepLookupFailed { name } => [
                b"ERROR: ",
                crate::kmod30::hooked_prefix("lookup_softdep").as_bytes(),
                b"failed to lookup soft dependency '",
                name,
                b"', continuing anyway.",
            ]
            .concat(),
            // kmod prints its context's address here: any address will do.
            Diagnostic::DependencyMissing { path, .. } => [
                b"ERROR: ",
                crate::kmod30::hooked_prefix("kmod_module_parse_depline").as_bytes(),
                format!("ctx={:p} path=", self).as_bytes(),
                path.as_os_str().as_bytes(),
                b" error=No such file or directory",
            ]
            .concat(),
            Diagnostic::AliasTooLong { query, modname } => [
                b"ERROR: ",
                crate::kmod30::hooked_prefix("kmod_lookup_alias_from_config").as_bytes(),
                b"Could not create module for alias=",
                query,
                b" modname=",
                modname,
                b": File name too long",
            ]
            .concat(),
        }
    }
}

pub use crate::lookup::LookupError;

/// libkmod's PATH_MAX: the size of its `name\alias` module key buffer.
const PATH_MAX: usize = 4096;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Builtin {
    Unknown,
    Yes,
    No,
}

/// A module object and libkmod's per-object state.
#[derive(Debug)]
struct Obj {
    module: Module,
    /// The file: None = not looked up yet; Some(None) = no `modules.dep` entry.
    path: Option<Option<PathBuf>>,
    /// Hard dependencies, deepest first (looked up with the path).
    deps: Option<Vec<ModId>>,
    /// An install command set by lookup step 4 (instead of the fnmatch rule).
    install_override: Option<Vec<u8>>,
    /// A remove command set by lookup step 4.
    remove_override: Option<Vec<u8>>,
    builtin: Builtin,
    visited: bool,
    required: bool,
    ignorecmd: bool,
}

/// The module objects of a resolution context, as libkmod keeps them in its context:
/// one per key (name, or name and the alias that reached it), with the state libkmod
/// keeps on each (path, dependencies, builtin, probe marks).
///
/// A [`Resolver`] owns one for a single command-line name (modprobe frees its objects
/// between arguments), or borrows a long-lived one ([`Resolver::with_registry`]: the C
/// library's context, which lives as long as udevd). [`Registry::collect`] frees what
/// the holder no longer refers to, so a long-lived registry stays as large as what is
/// in use.
#[derive(Debug, Default)]
pub struct Registry {
    objs: Vec<Option<Obj>>,
    by_key: rustc_hash::FxHashMap<Module, ModId>,
    free: Vec<usize>,
}

impl Registry {
    /// An empty registry.
    pub fn new() -> Registry {
        Registry::default()
    }

    /// How many objects are alive.
    pub fn len(&self) -> usize {
        self.by_key.len()
    }

    /// Whether no object is alive.
    pub fn is_empty(&self) -> bool {
        self.by_key.is_empty()
    }

    /// The module behind a live handle.
    pub fn module(&self, id: ModId) -> &Module {
        &self.obj(id).module
    }

    fn obj(&self, id: ModId) -> &Obj {
        self.objs[id.0].as_ref().expect("a live module object")
    }

    fn obj_mut(&mut self, id: ModId) -> &mut Obj {
        self.objs[id.0].as_mut().expect("a live module object")
    }

    /// Free every object that neither `roots` nor an object reachable from them (through
    /// dependency lists) refers to. Handles of freed objects must not be used again.
    pub fn collect(&mut self, roots: impl IntoIterator<Item = ModId>) {
        let mut keep = vec![false; self.objs.len()];
        let mut stack: Vec<ModId> = roots.into_iter().collect();
        while let Some(id) = stack.pop() {
            if std::mem::replace(&mut keep[id.0], true) {
                continue;
            }
            if let Some(Some(deps)) = self.objs[id.0].as_ref().map(|o| o.deps.as_ref()) {
                stack.extend(deps.iter().copied());
            }
        }
        for (i, slot) in self.objs.iter_mut().enumerate() {
            if !keep[i] {
                if let Some(o) = slot.take() {
                    self.by_key.remove(&o.module);
                    self.free.push(i);
                }
            }
        }
    }

    fn insert(&mut self, key: Module) -> ModId {
        if let Some(&id) = self.by_key.get(&key) {
            return id;
        }
        let obj = Obj {
            module: key.clone(),
            path: None,
            deps: None,
            install_override: None,
            remove_override: None,
            builtin: Builtin::Unknown,
            visited: false,
            required: false,
            ignorecmd: false,
        };
        let id = match self.free.pop() {
            Some(i) => {
                self.objs[i] = Some(obj);
                ModId(i)
            }
            None => {
                self.objs.push(Some(obj));
                ModId(self.objs.len() - 1)
            }
        };
        self.by_key.insert(key, id);
        id
    }
}

/// A registry owned by its resolver, or borrowed from a longer-lived holder.
enum Reg<'a> {
    Owned(Registry),
    Borrowed(&'a mut Registry),
}

/// Resolution over one module directory and one configuration.
///
/// Module objects live in a [`Registry`], as in libkmod: by default one owned for a
/// single requested name (call [`Resolver::reset`] between names, as modprobe frees them
/// between arguments).
pub struct Resolver<'a> {
    dir: &'a ModuleDir,
    /// The module directory as kmod spells it (for `DIR/relative/path`).
    dirname: Vec<u8>,
    config: &'a Config,
    kernel: &'a dyn KernelState,
    opts: ProbeOptions,
    reg: Reg<'a>,
    diagnostics: Vec<Diagnostic>,
    last_step: Option<LookupStep>,
}

/// Which of the seven lookup steps found the modules (kmod stops at the first step
/// that finds anything).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize), serde(rename_all = "kebab-case"))]
#[non_exhaustive]
pub enum LookupStep {
    /// 1: `alias` lines of the configuration.
    ConfigAlias,
    /// 2: `modules.dep.bin`: a module of that name.
    ModulesDep,
    /// 3: `modules.symbols.bin` (`symbol:NAME`).
    Symbols,
    /// 4: an `install` or `remove` command for exactly that name.
    Command,
    /// 5: `modules.alias.bin`.
    ModulesAlias,
    /// 6: `modules.builtin.bin`.
    Builtin,
    /// 7: `modules.builtin.alias.bin`.
    BuiltinAlias,
}

impl<'a> Resolver<'a> {
    /// A resolver over `dir` (whose path is kmod's absolute module directory).
    pub fn new(
        dir: &'a ModuleDir,
        config: &'a Config,
        kernel: &'a dyn KernelState,
        opts: ProbeOptions,
    ) -> Resolver<'a> {
        Resolver::build(dir, config, kernel, opts, Reg::Owned(Registry::new()))
    }

    /// A resolver whose module objects live in `registry` (a long-lived context's).
    pub fn with_registry(
        registry: &'a mut Registry,
        dir: &'a ModuleDir,
        config: &'a Config,
        kernel: &'a dyn KernelState,
        opts: ProbeOptions,
    ) -> Resolver<'a> {
        Resolver::build(dir, config, kernel, opts, Reg::Borrowed(registry))
    }

    fn build(
        dir: &'a ModuleDir,
        config: &'a Config,
        kernel: &'a dyn KernelState,
        opts: ProbeOptions,
        reg: Reg<'a>,
    ) -> Resolver<'a> {
        Resolver {
            dirname: dir.path().as_os_str().as_bytes().to_vec(),
            dir,
            config,
            kernel,
            opts,
            reg,
            diagnostics: Vec::new(),
            last_step: None,
        }
    }

    fn reg(&self) -> &Registry {
        match &self.reg {
            Reg::Owned(r) => r,
            Reg::Borrowed(r) => r,
        }
    }

    fn reg_mut(&mut self) -> &mut Registry {
        match &mut self.reg {
            Reg::Owned(r) => r,
            Reg::Borrowed(r) => r,
        }
    }

    fn o(&self, id: ModId) -> &Obj {
        self.reg().obj(id)
    }

    fn o_mut(&mut self, id: ModId) -> &mut Obj {
        self.reg_mut().obj_mut(id)
    }

    /// Forget every module object (kmod frees them between command-line names).
    pub fn reset(&mut self) {
        *self.reg_mut() = Registry::new();
    }

    /// The diagnostics gathered since the last call, in the order kmod prints them.
    pub fn take_diagnostics(&mut self) -> Vec<Diagnostic> {
        std::mem::take(&mut self.diagnostics)
    }

    /// The module behind a handle.
    pub fn module(&self, id: ModId) -> &Module {
        &self.o(id).module
    }

    fn obj(&mut self, name: Vec<u8>, alias: Option<Vec<u8>>) -> ModId {
        self.reg_mut().insert(Module { name, alias })
    }

    fn obj_by_name(&mut self, name: &[u8]) -> ModId {
        self.obj(name::modname_normalize_bytes(name), None)
    }

    /// kmod's `kmod_module_new_from_lookup`: every module `input` names.
    pub fn lookup(&mut self, input: &[u8]) -> std::result::Result<Vec<ModId>, LookupError> {
        let alias = name::alias_normalize_bytes(input).ok_or(LookupError::BadAlias)?;
        self.lookup_normalized(&alias)
    }

    /// kmod's `kmod_module_new_from_name_lookup`: a module name (normalised, never an
    /// alias) in `modules.dep.bin`, then `modules.builtin.bin`, then the first module of
    /// `modules.builtin.alias.bin`; None when none has it.
    pub fn lookup_name(&mut self, input: &[u8]) -> Result<Option<ModId>> {
        let name = name::modname_normalize_bytes(input);
        if !name.contains(&b':') && self.dir.dep_line(&name)?.is_some() {
            return Ok(Some(self.obj_by_name(&name)));
        }
        if self.dir.is_builtin(&name)? {
            let id = self.obj_by_name(&name);
            self.o_mut(id).builtin = Builtin::Yes;
            return Ok(Some(id));
        }
        let Some(first) = self.dir.builtin_alias_matches(&name)?.into_iter().next() else {
            return Ok(None);
        };
        let id = self.obj(first.into_bytes(), Some(name));
        self.o_mut(id).builtin = Builtin::Yes;
        Ok(Some(id))
    }

    /// The step that found the result of the last [`Resolver::lookup`] (None: nothing
    /// found).
    pub fn last_step(&self) -> Option<LookupStep> {
        self.last_step
    }

    fn lookup_normalized(&mut self, alias: &[u8]) -> std::result::Result<Vec<ModId>, LookupError> {
        self.last_step = None;
        let (step, found) = self.lookup_steps(alias)?;
        if !found.is_empty() {
            self.last_step = Some(step);
        }
        Ok(found)
    }

    fn lookup_steps(&mut self, alias: &[u8]) -> std::result::Result<(LookupStep, Vec<ModId>), LookupError> {
        // 1. Config aliases: every match, the pattern becomes the object's alias.
        let config = self.config;
        let mut found = Vec::new();
        for a in config.aliases_matching(alias) {
            if a.modname.len() + a.pattern.len() + 2 > PATH_MAX {
                let modname = a.modname.clone();
                self.diagnostics.push(Diagnostic::AliasTooLong { query: alias.to_vec(), modname });
                return Err(LookupError::NameTooLong);
            }
            found.push(self.obj(a.modname.clone(), Some(a.pattern.clone())));
        }
        if !found.is_empty() {
            return Ok((LookupStep::ConfigAlias, found));
        }
        self.lookup_indexes(alias).map_err(LookupError::Index)
    }

    /// Lookup steps 2 to 7.
    fn lookup_indexes(&mut self, alias: &[u8]) -> Result<(LookupStep, Vec<ModId>)> {
        let config = self.config;
        // 2. modules.dep.bin (libkmod parses the line as it finds it).
        if !alias.contains(&b':') {
            if let Some(line) = self.dir.dep_line(alias)? {
                let id = self.obj_by_name(alias);
                self.parse_depline(id, &line);
                return Ok((LookupStep::ModulesDep, vec![id]));
            }
        }
        // 3. modules.symbols.bin.
        if alias.starts_with(b"symbol:") {
            let names = self.dir.symbol_matches(alias)?;
            if !names.is_empty() {
                let ids = names.into_iter().map(|n| self.obj(n.into_bytes(), Some(alias.to_vec()))).collect();
                return Ok((LookupStep::Symbols, ids));
            }
        }
        // 4. An install, else a remove, command for exactly this name.
        if let Some(c) = config.installs.iter().find(|c| c.modname == alias) {
            let id = self.obj_by_name(&c.modname);
            self.o_mut(id).install_override = Some(c.command.clone());
            return Ok((LookupStep::Command, vec![id]));
        }
        if let Some(c) = config.removes.iter().find(|c| c.modname == alias) {
            let id = self.obj_by_name(&c.modname);
            self.o_mut(id).remove_override = Some(c.command.clone());
            return Ok((LookupStep::Command, vec![id]));
        }
        // 5. modules.alias.bin.
        let names = self.dir.alias_matches(alias)?;
        if !names.is_empty() {
            let ids = names.into_iter().map(|n| self.obj(n.into_bytes(), Some(alias.to_vec()))).collect();
            return Ok((LookupStep::ModulesAlias, ids));
        }
        // 6. modules.builtin.bin.
        if self.dir.is_builtin(alias)? {
            let id = self.obj_by_name(alias);
            self.o_mut(id).builtin = Builtin::Yes;
            return Ok((LookupStep::Builtin, vec![id]));
        }
        // 7. modules.builtin.alias.bin.
        let names = self.dir.builtin_alias_matches(alias)?;
        let ids = names
            .into_iter()
            .map(|n| {
                let id = self.obj(n.into_bytes(), Some(alias.to_vec()));
                self.o_mut(id).builtin = Builtin::Yes;
                id
            })
            .collect();
        Ok((LookupStep::BuiltinAlias, ids))
    }

    /// The module's file, from its `modules.dep` entry. A dependency got its path
    /// from the line that listed it: its own line is not read for that (it lists the
    /// dependency's whole closure, so reading every line of a chain is quadratic).
    pub fn path(&mut self, id: ModId) -> Result<Option<PathBuf>> {
        if self.o(id).path.is_none() {
            self.load_dep(id)?;
        }
        Ok(self.o(id).path.clone().flatten())
    }

    /// `DIR + "/" + rel` as kmod joins them (an absolute entry is kept).
    fn join(&self, rel: &str) -> PathBuf {
        if rel.starts_with('/') {
            PathBuf::from(rel)
        } else {
            PathBuf::from(OsStr::from_bytes(&[&self.dirname[..], b"/", rel.as_bytes()].concat()))
        }
    }

    /// kmod's `kmod_module_parse_depline`, lazily: the path and the dependencies.
    fn load_dep(&mut self, id: ModId) -> Result<()> {
        if self.o(id).deps.is_some() {
            return Ok(());
        }
        let name = self.o(id).module.name.clone();
        let Some(line) = self.dir.dep_line(&name)? else {
            let o = self.o_mut(id);
            o.path.get_or_insert(None);
            o.deps = Some(Vec::new());
            return Ok(());
        };
        self.parse_depline(id, &line);
        Ok(())
    }

    /// Parse a module's `modules.dep` line (unless done): its path (kept if it has one)
    /// and its dependencies. A dependency file that does not exist is reported and the
    /// line left unparsed, as libkmod does: the next use reads it again (and reports
    /// again), and until then the module has no dependencies.
    fn parse_depline(&mut self, id: ModId, line: &str) {
        if self.o(id).deps.is_some() {
            return;
        }
        let (own, rest) = line.split_once(':').unwrap_or((line, ""));
        let own = self.join(own);
        if self.o(id).path.is_none() {
            self.o_mut(id).path = Some(Some(own));
        }
        let mut deps = Vec::new();
        for rel in rest.split([' ', '\t']).filter(|s| !s.is_empty()) {
            let path = self.join(rel);
            if !self.dir.file_exists(&path) {
                let module = self.o(id).module.name.clone();
                self.diagnostics.push(Diagnostic::DependencyMissing { module, path });
                return;
            }
            let dep = self.obj(name::path_to_modname_bytes(&path), None);
            let o = self.o_mut(dep);
            if o.path.is_none() || o.path == Some(None) {
                o.path = Some(Some(path));
            }
            o.builtin = Builtin::No;
            deps.push(dep);
        }
        // The line lists dependents before their dependencies; libkmod prepends.
        deps.reverse();
        self.o_mut(id).deps = Some(deps);
    }

    /// The hard dependencies of a module (its `modules.dep` line), deepest first:
    /// the order they are loaded in.
    pub fn deps(&mut self, id: ModId) -> Result<Vec<ModId>> {
        self.load_dep(id)?;
        Ok(self.o(id).deps.clone().unwrap_or_default())
    }

    /// Whether `modules.builtin.bin` lists the module (or a builtin lookup found it).
    pub fn is_builtin(&mut self, id: ModId) -> Result<bool> {
        if self.o(id).builtin == Builtin::Unknown {
            let yes = self.dir.is_builtin(&self.o(id).module.name)?;
            self.o_mut(id).builtin = if yes { Builtin::Yes } else { Builtin::No };
        }
        Ok(self.o(id).builtin == Builtin::Yes)
    }

    /// Live or builtin (kmod's `module_is_inkernel`).
    pub fn in_kernel(&mut self, id: ModId) -> Result<bool> {
        if self.is_builtin(id)? {
            return Ok(true);
        }
        Ok(self.kernel.initstate(&self.o(id).module.name) == InitState::Live)
    }

    /// The configured options of a module: None when no `options` entry names it.
    pub fn options(&self, id: ModId) -> Option<Vec<u8>> {
        let m = &self.o(id).module;
        let entries = self.config.options_entries_for(&m.name, m.alias.as_deref());
        let mut out: Option<Vec<u8>> = None;
        for e in entries.into_iter().filter(|e| !e.options.is_empty()) {
            match &mut out {
                Some(s) => {
                    s.push(b' ');
                    s.extend_from_slice(&e.options);
                }
                None => out = Some(e.options.clone()),
            }
        }
        out
    }

    /// The install command that applies to a module (the first `install` whose pattern
    /// matches its name, unless lookup step 4 set one).
    pub fn install_command(&self, id: ModId) -> Option<Vec<u8>> {
        let o = self.o(id);
        if let Some(c) = &o.install_override {
            return Some(c.clone());
        }
        self.config.install_for(&o.module.name).map(|c| c.command.clone())
    }

    /// The remove command that applies to a module (the first `remove` whose pattern
    /// matches its name, unless lookup step 4 set one).
    pub fn remove_command(&self, id: ModId) -> Option<Vec<u8>> {
        let o = self.o(id);
        if let Some(c) = &o.remove_override {
            return Some(c.clone());
        }
        self.config.remove_for(&o.module.name).map(|c| c.command.clone())
    }

    /// kmod's `kmod_module_new_from_path` (modprobe's `/path` and `./path` forms, kmod
    /// 31+): the module named by the file's base name, with that file, never builtin.
    /// Its dependencies still come from its name's `modules.dep` line. The path is made
    /// absolute against the current directory without normalisation, as kmod does
    /// (`./x.ko` becomes `CWD/./x.ko`); the errno is the `stat`'s, or ENOENT for a path
    /// whose base name is empty.
    pub fn from_path(&mut self, path: &Path) -> std::result::Result<ModId, crate::Errno> {
        let abs = if path.is_absolute() {
            path.to_path_buf()
        } else {
            let cwd = std::env::current_dir().map_err(|e| crate::error::io_errno(&e))?;
            let mut joined = cwd.into_os_string();
            joined.push("/");
            joined.push(path.as_os_str());
            PathBuf::from(joined)
        };
        std::fs::metadata(&abs).map_err(|e| crate::error::io_errno(&e))?;
        // An empty base name (`/`, `dir/`) names no module.
        if path.as_os_str().as_bytes().last().is_none_or(|&c| c == b'/') {
            return Err(crate::Errno::ENOENT);
        }
        let id = self.obj(name::path_to_modname_bytes(path), None);
        let o = self.o_mut(id);
        match &o.path {
            Some(Some(old)) if *old != abs => return Err(crate::Errno::EEXIST),
            _ => o.path = Some(Some(abs)),
        }
        o.builtin = Builtin::No;
        Ok(id)
    }

    /// A module object for a name (a holder read from sysfs, say), normalised.
    pub fn by_name(&mut self, name: &[u8]) -> ModId {
        self.obj_by_name(name)
    }

    /// The modules the first matching softdep names, each looked up fully: (pre, post).
    pub fn softdeps(&mut self, id: ModId) -> Result<(Vec<ModId>, Vec<ModId>)> {
        let config = self.config;
        let Some(sd) = config.softdep_for(&self.o(id).module.name) else {
            return Ok((Vec::new(), Vec::new()));
        };
        let pre = self.lookup_all(&sd.pre)?;
        let post = self.lookup_all(&sd.post)?;
        Ok((pre, post))
    }

    fn lookup_all(&mut self, names: &[Vec<u8>]) -> Result<Vec<ModId>> {
        let mut out = Vec::new();
        for n in names {
            match self.lookup(n) {
                Ok(found) => out.extend(found),
                Err(LookupError::BadAlias | LookupError::NameTooLong) => {
                    self.diagnostics.push(Diagnostic::SoftdepLookupFailed { name: n.clone() })
                }
                Err(LookupError::Index(e)) => return Err(e),
            }
        }
        Ok(out)
    }

    fn fill_softdep(&mut self, id: ModId, list: &mut Vec<ModId>) -> Result<()> {
        let (pre, post) = self.softdeps(id)?;
        for m in &pre {
            self.probe_list(*m, false, false, list)?;
        }
        list.push(id);
        self.o_mut(id).ignorecmd = !pre.is_empty() || !post.is_empty();
        for m in &post {
            self.probe_list(*m, false, false, list)?;
        }
        Ok(())
    }

    fn probe_list(
        &mut self,
        id: ModId,
        required: bool,
        ignorecmd: bool,
        list: &mut Vec<ModId>,
    ) -> Result<()> {
        if self.o(id).visited {
            return Ok(());
        }
        self.o_mut(id).visited = true;
        let deps = self.deps(id)?;
        if required {
            self.o_mut(id).required = true;
            for d in &deps {
                self.o_mut(*d).required = true;
            }
        }
        for d in &deps {
            self.fill_softdep(*d, list)?;
        }
        if ignorecmd {
            list.push(id);
            self.o_mut(id).ignorecmd = true;
            Ok(())
        } else {
            self.fill_softdep(id, list)
        }
    }

    /// The plan for one module the lookup found. `extra` are the command-line
    /// parameters for it (already joined, see [`join_cmdline_options`]).
    pub fn plan(&mut self, id: ModId, extra: Option<&[u8]>) -> Result<Plan> {
        if !self.opts.ignore_loaded && self.in_kernel(id)? {
            return Ok(Plan::InKernel { first_time: self.opts.first_time });
        }
        let name = self.o(id).module.name.clone();
        if self.config.is_blacklisted(&name) && (self.o(id).module.alias.is_some() || self.opts.use_blacklist)
        {
            return Ok(Plan::Blacklisted);
        }
        self.probe_steps(id, extra).map(Plan::Steps)
    }

    /// The probe list of a module without [`Resolver::plan`]'s checks before it (in the
    /// kernel already, blacklisted): what libkmod's `kmod_module_probe_insert_module`
    /// walks after making those checks itself.
    pub fn probe_steps(&mut self, id: ModId, extra: Option<&[u8]>) -> Result<Vec<Step>> {
        for o in self.reg_mut().objs.iter_mut().flatten() {
            o.visited = false;
            o.required = false;
        }
        let mut list = Vec::new();
        self.probe_list(id, true, self.opts.ignore_commands, &mut list)?;
        let mut steps = Vec::with_capacity(list.len());
        for m in list {
            let in_kernel = !self.opts.ignore_loaded && self.in_kernel(m)?;
            let options = concat_options(self.options(m), if m == id { extra } else { None });
            let command = if self.o(m).ignorecmd { None } else { self.install_command(m) };
            let action = match command {
                Some(command) => {
                    Action::Install { expanded: expand_cmdline_opts(&command, &options), command, options }
                }
                None => match self.path(m)? {
                    Some(path) => Action::Insert { path, options },
                    None if self.is_builtin(m)? => Action::Builtin,
                    None => Action::Missing { options },
                },
            };
            let o = self.o(m);
            steps.push(Step {
                id: m,
                module: o.module.clone(),
                action,
                required: o.required,
                requested: m == id,
                in_kernel,
            });
        }
        Ok(steps)
    }
}

/// libkmod's `module_options_concat`: configured options, a space, the command-line
/// ones. A configured string keeps its trailing space when nothing follows; nothing at
/// all gives the empty string.
pub fn concat_options(config: Option<Vec<u8>>, extra: Option<&[u8]>) -> Vec<u8> {
    match (config, extra) {
        (Some(mut c), x) => {
            c.push(b' ');
            c.extend_from_slice(x.unwrap_or_default());
            c
        }
        (None, Some(x)) => x.to_vec(),
        (None, None) => Vec::new(),
    }
}

/// Replace every `$CMDLINE_OPTS` in an install command by the options. One pass over
/// the command: options that themselves contain `$CMDLINE_OPTS` are not expanded again
/// (kmod would loop forever on them).
pub fn expand_cmdline_opts(command: &[u8], options: &[u8]) -> Vec<u8> {
    use bstr::ByteSlice;
    command.replace("$CMDLINE_OPTS", options)
}

/// modprobe's module parameters from the command line (`modprobe NAME a=1 'b=x y'`):
/// joined with spaces, and a value containing a space, unless it starts with a quote,
/// is quoted as insmod expects: `b="x y"`. None when there are none.
pub fn join_cmdline_options<P: AsRef<[u8]>>(params: &[P]) -> Option<Vec<u8>> {
    if params.is_empty() {
        return None;
    }
    let mut out = Vec::new();
    for (i, p) in params.iter().enumerate() {
        let p = p.as_ref();
        if i > 0 {
            out.push(b' ');
        }
        let split = p.iter().position(|&b| b == b'=').map(|eq| (&p[..eq], &p[eq + 1..]));
        match split {
            Some((key, value))
                if !value.starts_with(b"\"") && !value.starts_with(b"'") && value.contains(&b' ') =>
            {
                out.extend_from_slice(key);
                out.extend_from_slice(b"=\"");
                out.extend_from_slice(value);
                out.push(b'"');
            }
            _ => out.extend_from_slice(p),
        }
    }
    Some(out)
}

/// kmod's module directory: `ROOT/lib/modules/VERSION` when a root or a version is
/// given (a missing version is the running kernel's), else `/lib/modules/VERSION`;
/// made absolute against the current directory, without normalisation.
pub fn module_dirname(root: Option<&OsStr>, version: &OsStr) -> PathBuf {
    let raw = [root.map(OsStr::as_bytes).unwrap_or_default(), b"/lib/modules/", version.as_bytes()].concat();
    crate::info::absolute(Path::new(OsStr::from_bytes(&raw)))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROOT: &str =
        concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/roots/modprobe-basic/lib/modules/1.0.0-rk");

    fn config(text: &str) -> Config {
        let mut c = Config::default();
        let w = c.parse_file(Path::new("t.conf"), text.as_bytes(), false);
        assert!(w.is_empty(), "{w:?}");
        c
    }

    /// `(kind, name, options)` for each step, or a word for the other plans.
    fn plan_of(cfg: &Config, kernel: &dyn KernelState, opts: ProbeOptions, name: &str) -> Vec<String> {
        let dir = ModuleDir::new(ROOT);
        let mut r = Resolver::new(&dir, cfg, kernel, opts);
        let mut out = Vec::new();
        let t = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        for id in r.lookup(name.as_bytes()).unwrap_or_default() {
            match r.plan(id, None).unwrap() {
                Plan::InKernel { .. } => out.push("in-kernel".to_string()),
                Plan::Blacklisted => out.push("blacklisted".to_string()),
                Plan::Steps(steps) => {
                    for s in steps {
                        let skip = if s.in_kernel { " (loaded)" } else { "" };
                        out.push(match s.action {
                            Action::Insert { options, .. } => {
                                format!("insmod {}{skip} [{}]", t(&s.module.name), t(&options))
                            }
                            Action::Install { expanded, .. } => format!("install {}", t(&expanded)),
                            Action::Builtin => format!("builtin {}", t(&s.module.name)),
                            Action::Missing { .. } => format!("missing {}", t(&s.module.name)),
                        })
                    }
                }
            }
        }
        out
    }

    fn show() -> ProbeOptions {
        ProbeOptions { ignore_loaded: true, ..ProbeOptions::default() }
    }

    #[test]
    fn a_long_lived_registry_frees_what_nothing_holds() {
        let dir = ModuleDir::new(ROOT);
        let cfg = config("");
        let mut reg = Registry::new();
        let top = {
            let mut r = Resolver::with_registry(&mut reg, &dir, &cfg, &nothing_loaded, show());
            let top = r.lookup(b"chain_a").unwrap()[0];
            r.deps(top).unwrap();
            r.lookup(b"hello").unwrap();
            top
        };
        assert_eq!(reg.len(), 4, "chain_a, its two dependencies and hello");
        reg.collect([top]);
        assert_eq!(reg.len(), 3, "hello freed, chain_a's dependencies kept");
        assert_eq!(reg.module(top).name, b"chain_a");
        // A freed slot is reused; the kept objects keep their handles.
        let mut r = Resolver::with_registry(&mut reg, &dir, &cfg, &nothing_loaded, show());
        let hello = r.lookup(b"hello").unwrap()[0];
        assert_eq!(r.module(hello).name, b"hello");
        assert_eq!(r.deps(top).unwrap().len(), 2);
        drop(r);
        reg.collect([]);
        assert!(reg.is_empty());
    }

    #[test]
    fn dependencies_deepest_first() {
        let p = plan_of(&Config::default(), &nothing_loaded, show(), "chain-a");
        assert_eq!(p, ["insmod chain_c []", "insmod chain_b []", "insmod chain_a []"]);
        assert_eq!(plan_of(&Config::default(), &nothing_loaded, show(), "fs-ext4"), ["builtin ext4"]);
        assert!(plan_of(&Config::default(), &nothing_loaded, show(), "nope").is_empty());
    }

    #[test]
    fn softdep_loops_end_and_first_softdep_wins() {
        let c = config(
            "softdep hello pre: hello_soft\nsoftdep hello_soft pre: hello\nsoftdep hello post: chain_c\n",
        );
        let p = plan_of(&c, &nothing_loaded, show(), "hello");
        assert_eq!(p, ["insmod hello_soft []", "insmod hello []"]);
    }

    #[test]
    fn options_alias_and_install() {
        let c = config(
            "alias my-hello hello\noptions my-hello a=1\noptions hello b=2\ninstall hello_user echo $CMDLINE_OPTS!\n",
        );
        let p = plan_of(&c, &nothing_loaded, show(), "my-hello");
        assert_eq!(p, ["insmod hello [a=1 b=2 ]"]);
        // Through its dependency, hello is a different object: no alias options.
        let p = plan_of(&c, &nothing_loaded, show(), "hello_user");
        assert_eq!(p, ["insmod hello [b=2 ]", "install echo !"]);
        let i = ProbeOptions { ignore_commands: true, ..show() };
        assert_eq!(
            plan_of(&c, &nothing_loaded, i, "hello_user"),
            ["insmod hello [b=2 ]", "insmod hello_user []"]
        );
    }

    #[test]
    fn blacklist_alias_only_unless_b() {
        let c = config("blacklist hello\n");
        assert_eq!(plan_of(&c, &nothing_loaded, show(), "hello-alias"), ["blacklisted"]);
        assert_eq!(plan_of(&c, &nothing_loaded, show(), "hello"), ["insmod hello []"]);
        let b = ProbeOptions { use_blacklist: true, ..show() };
        assert_eq!(plan_of(&c, &nothing_loaded, b, "hello"), ["blacklisted"]);
    }

    #[test]
    fn loaded_modules_from_a_fake_kernel_or_rooted_sysfs() {
        let live = |n: &[u8]| if n == b"hello" { InitState::Live } else { InitState::Absent };
        let c = Config::default();
        assert_eq!(plan_of(&c, &live, ProbeOptions::default(), "hello"), ["in-kernel"]);
        assert_eq!(plan_of(&c, &live, ProbeOptions::default(), "ext4"), ["in-kernel"]);
        let p = plan_of(&c, &live, ProbeOptions::default(), "hello_user");
        assert_eq!(p, ["insmod hello (loaded) []", "insmod hello_user []"]);

        let t = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(t.path().join("sys/module/chain_c")).unwrap();
        std::fs::create_dir_all(t.path().join("sys/module/chain_b")).unwrap();
        std::fs::write(t.path().join("sys/module/chain_c/initstate"), "live\n").unwrap();
        let sysfs = Sysfs::new(t.path());
        assert_eq!(sysfs.initstate("chain_c"), InitState::Live);
        assert_eq!(sysfs.initstate("chain_b"), InitState::Coming);
        assert_eq!(sysfs.initstate("chain_a"), InitState::Absent);
        let p = plan_of(&c, &sysfs, ProbeOptions::default(), "chain_a");
        assert_eq!(p, ["insmod chain_c (loaded) []", "insmod chain_b []", "insmod chain_a []"]);
    }

    #[test]
    fn cmdline_parameters_quoted_like_insmod() {
        let p = |v: &[&str]| join_cmdline_options(v).map(|o| String::from_utf8(o).unwrap());
        assert_eq!(p(&[]), None);
        assert_eq!(
            p(&["a=1", "b=x y", "c=\"q r\"", "d", "e='s t'"]).unwrap(),
            "a=1 b=\"x y\" c=\"q r\" d e='s t'"
        );
        assert_eq!(join_cmdline_options(&[&b"p=\xe9 t"[..]]).unwrap(), b"p=\"\xe9 t\"");
        assert_eq!(concat_options(Some(b"a=1".to_vec()), None), b"a=1 ");
        assert_eq!(concat_options(Some(b"a=1".to_vec()), Some(b"b")), b"a=1 b");
        assert_eq!(concat_options(None, Some(b"b")), b"b");
        assert_eq!(
            expand_cmdline_opts(b"x $CMDLINE_OPTS \xe9$CMDLINE_OPTS", b"$CMDLINE_OPTS"),
            b"x $CMDLINE_OPTS \xe9$CMDLINE_OPTS"
        );
    }

    #[test]
    fn alias_too_long_for_libkmod_fails_the_lookup() {
        let c =
            config(&format!("alias x hello\nalias x {}\nalias y {}\n", "a".repeat(4094), "b".repeat(4093)));
        let dir = ModuleDir::new(ROOT);
        let mut r = Resolver::new(&dir, &c, &nothing_loaded, show());
        assert!(matches!(r.lookup(b"x"), Err(LookupError::NameTooLong)));
        let d = r.take_diagnostics();
        assert!(matches!(&d[..], [Diagnostic::AliasTooLong { query, .. }] if query == b"x"));
        assert!(d[0].kmod30_message().ends_with(b": File name too long"));
        // 4093 + 1 + 2 = 4096 fits.
        assert_eq!(r.lookup(b"y").unwrap().len(), 1);
    }

    #[test]
    fn adversarial_names_resolve_in_bounded_time() {
        let star = "*".repeat(2000);
        let mut text = String::new();
        for i in 0..50 {
            text.push_str(&format!("alias {star}{i}{star}x hello\nsoftdep {star}a{star} pre: {star}\n"));
        }
        let c = config(&text);
        let dir = ModuleDir::new(ROOT);
        let start = std::time::Instant::now();
        for input in ["a".repeat(20000), format!("{}[", "a".repeat(5000)), "*?[a-z]".repeat(3000)] {
            let mut r = Resolver::new(&dir, &c, &nothing_loaded, show());
            if let Ok(ids) = r.lookup(input.as_bytes()) {
                for id in ids {
                    let _ = r.plan(id, None).unwrap();
                }
            }
        }
        assert!(start.elapsed() < std::time::Duration::from_secs(20), "{:?}", start.elapsed());
    }
}
