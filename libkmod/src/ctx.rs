//! `struct kmod_ctx`: one module directory, one configuration, the pool of module
//! objects, and the indexes once `kmod_load_resources` mapped them.
//!
//! The pool is the engine's [`Registry`]: module objects keyed by name, or by name and
//! the alias that reached them (libkmod's `name\alias` hash key), with the state
//! libkmod keeps on each (path, dependencies, builtin, install command from a lookup).
//! A C handle ([`KModule`]) exists for each object the program holds; when its last
//! reference goes, the next call that resolves frees every object nothing reachable
//! holds ([`Registry::collect`]), as libkmod frees a module whose refcount drops to 0
//! (dependencies stay while a module that lists them lives).
//!
//! Without `kmod_load_resources` every call opens the index files it reads afresh, as
//! libkmod does, so a new depmod is seen at once; with it, the indexes opened then are
//! used until `kmod_unload_resources`, and `kmod_validate_resources` compares their
//! and the configuration paths' modification times (microseconds, as libkmod's
//! stamps) with the files on disk.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::ffi::{c_int, c_void, CString, OsStr};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use rkmod::config::{Config, KernelCmdline, LoadOptions};
use rkmod::kernel::System;
use rkmod::lookup::ModuleDir;
use rkmod::resolve::{Diagnostic, ModId, ProbeOptions, Registry, Resolver};

use crate::log::{Log, LOG_ERR};
use crate::module::KModule;

/// The index files in `enum kmod_index` order, with the prefix `kmod_dump_index`
/// writes before each line.
pub const INDEX_FILES: [(&str, &str); 5] = [
    (rkmod::lookup::DEP_BIN, ""),
    (rkmod::lookup::ALIAS_BIN, "alias "),
    (rkmod::lookup::SYMBOLS_BIN, "alias "),
    (rkmod::lookup::BUILTIN_ALIAS_BIN, ""),
    (rkmod::lookup::BUILTIN_BIN, ""),
];

/// `KMOD_INDEX_MODULES_BUILTIN_ALIAS`: the one index `kmod_load_resources` may miss.
pub const OPTIONAL_INDEX: usize = 3;

/// The indexes `kmod_load_resources` opened, with their stamps.
pub struct Resources {
    /// The module directory with every index opened.
    pub dir: Rc<ModuleDir>,
    /// (index number, path, stamp) of each index that was opened.
    pub stamps: Vec<(usize, PathBuf, u64)>,
}

/// `struct kmod_ctx`.
pub struct KCtx {
    refcount: Cell<i32>,
    /// Logging.
    pub log: Log,
    userdata: Cell<*mut c_void>,
    /// The module directory, absolute, as `kmod_get_dirname` returns it.
    pub dirname: CString,
    /// The configuration read by `kmod_new`.
    pub config: Config,
    /// The configuration paths that existed when read, with their stamps.
    pub config_stamps: Vec<(PathBuf, u64)>,
    /// The kernel (the real one: the exerciser traps its system calls).
    pub sys: System,
    /// Set by `kmod_load_resources`.
    pub resources: RefCell<Option<Resources>>,
    registry: RefCell<Registry>,
    /// The C handle of each module object the program holds.
    pub handles: RefCell<HashMap<ModId, *mut KModule>>,
    /// A handle was released since the pool was last collected.
    pub released: Cell<bool>,
}

/// A file's modification time in microseconds (libkmod's stamp); None when it cannot
/// be read.
pub fn stamp(path: &Path) -> Option<u64> {
    std::fs::metadata(path).ok().map(|md| stamp_of(&md))
}

/// The stamp of a file's metadata (`fstat` of an open file).
pub fn stamp_of(md: &std::fs::Metadata) -> u64 {
    (md.mtime() as u64).wrapping_mul(1_000_000).wrapping_add(md.mtime_nsec() as u64 / 1000)
}

impl KCtx {
    /// `kmod_new`: `dirname` None = `/lib/modules/$(uname -r)`; `config_paths` None =
    /// the default directories, `Some(&[])` = no configuration at all.
    pub fn new(dirname: Option<&[u8]>, config_paths: Option<Vec<PathBuf>>) -> Option<Box<KCtx>> {
        let log = Log::new();
        let dirname = match dirname {
            Some(d) => rkmod::info::absolute(Path::new(OsStr::from_bytes(d))),
            None => {
                let release = System::linux().release().ok()?;
                PathBuf::from(format!("/lib/modules/{release}"))
            }
        };
        let mut opts = LoadOptions::rkmod();
        opts.kernel_cmdline = KernelCmdline::Read;
        let explicit = config_paths.clone().unwrap_or_default();
        if config_paths.as_ref().is_some_and(Vec::is_empty) {
            opts.default_dirs = &[];
        }
        let stamped: Vec<PathBuf> = match &config_paths {
            Some(p) => p.clone(),
            None => rkmod::config::paths::default_dirs(Path::new("/"), opts.default_dirs),
        };
        let config_stamps = stamped.into_iter().filter_map(|p| stamp(&p).map(|s| (p, s))).collect();
        let (config, warnings) = Config::load(Path::new("/"), Some(&dirname), &explicit, opts);
        for (func, text) in rkmod::config::kmod30_log(&warnings) {
            let mut msg = text;
            msg.push(b'\n');
            log.log(LOG_ERR, func, &msg);
        }
        let ctx = Box::new(KCtx {
            refcount: Cell::new(1),
            log,
            userdata: Cell::new(std::ptr::null_mut()),
            dirname: crate::ffi::cstring(dirname.as_os_str().as_bytes()),
            config,
            config_stamps,
            sys: System::linux(),
            resources: RefCell::new(None),
            registry: RefCell::new(Registry::new()),
            handles: RefCell::new(HashMap::new()),
            released: Cell::new(false),
        });
        let msg = format!("ctx {:p} created\n", &*ctx);
        ctx.log.log(crate::log::LOG_INFO, "kmod_new", msg.as_bytes());
        Some(ctx)
    }

    /// The module directory as a path.
    pub fn dir_path(&self) -> &Path {
        Path::new(OsStr::from_bytes(self.dirname.to_bytes()))
    }

    /// Take a reference.
    pub fn add_ref(&self) {
        self.refcount.set(self.refcount.get() + 1);
    }

    /// Drop a reference: true when it was the last (the caller frees the context).
    pub fn drop_ref(&self) -> bool {
        let n = self.refcount.get() - 1;
        self.refcount.set(n);
        n <= 0
    }

    /// The reference count.
    pub fn refcount(&self) -> i32 {
        self.refcount.get()
    }

    /// `kmod_get_userdata`.
    pub fn userdata(&self) -> *mut c_void {
        self.userdata.get()
    }

    /// `kmod_set_userdata`.
    pub fn set_userdata(&self, p: *mut c_void) {
        self.userdata.set(p)
    }

    /// The module directory to read indexes from: the loaded one, or a fresh one (each
    /// call then opens what it reads, as libkmod without loaded resources).
    pub fn module_dir(&self) -> Rc<ModuleDir> {
        match &*self.resources.borrow() {
            Some(r) => r.dir.clone(),
            None => Rc::new(ModuleDir::new(self.dir_path())),
        }
    }

    /// Log at `priority` from libkmod function `func`.
    pub fn log(&self, priority: c_int, func: &str, message: impl AsRef<[u8]>) {
        self.log.log(priority, func, message.as_ref())
    }

    /// Run `f` with a resolver over this context's pool (objects nothing holds are freed
    /// first); what the engine reports on the way is logged as libkmod logs it.
    pub fn with_resolver<R>(&self, opts: ProbeOptions, f: impl FnOnce(&mut Resolver<'_>) -> R) -> R {
        let dir = self.module_dir();
        let sysfs = self.sys.sysfs();
        let mut reg = self.registry.borrow_mut();
        if self.released.replace(false) {
            let roots: Vec<ModId> = self.handles.borrow().keys().copied().collect();
            reg.collect(roots);
        }
        let mut r = Resolver::with_registry(&mut reg, &dir, &self.config, &sysfs, opts);
        let out = f(&mut r);
        let diags = r.take_diagnostics();
        drop(r);
        drop(reg);
        for d in diags {
            self.log_diagnostic(&d);
        }
        out
    }

    fn log_diagnostic(&self, d: &Diagnostic) {
        match d {
            Diagnostic::SoftdepLookupFailed { name } => self.log(
                LOG_ERR,
                "lookup_softdep",
                [&b"failed to lookup soft dependency '"[..], name, b"', continuing anyway.\n"].concat(),
            ),
            Diagnostic::DependencyMissing { path, .. } => self.log(
                LOG_ERR,
                "kmod_module_parse_depline",
                [
                    format!("ctx={:p} path=", self as *const KCtx).as_bytes(),
                    path.as_os_str().as_bytes(),
                    b" error=No such file or directory\n",
                ]
                .concat(),
            ),
            Diagnostic::AliasTooLong { query, modname } => self.log(
                LOG_ERR,
                "kmod_lookup_alias_from_config",
                [
                    &b"Could not create module for alias="[..],
                    query,
                    b" modname=",
                    modname,
                    b": File name too long\n",
                ]
                .concat(),
            ),
            _ => {}
        }
    }
}
