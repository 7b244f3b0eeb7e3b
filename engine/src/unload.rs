//! `modprobe -r`: removing a module with its softdeps, holders and the dependencies
//! it leaves unused (modprobe's `rmmod_do_module`), and the one removal system call
//! with `--wait`'s back-off.
//!
//! For a module, unless `-i`: its softdeps and its remove command come from the
//! configuration. Then:
//!
//! 0. Without a remove command: a module not in the kernel is done (an error with
//!    `--first-time`); a builtin one is an error, except when reached as a softdep or
//!    holder.
//! 1. Its post-softdeps are removed, last first (failures ignored).
//! 2. With `--remove-holders`, the modules holding it, last first (a failure stops).
//! 3. The module itself: in use (refcnt > 0, unless `--wait`) is EBUSY; then its
//!    remove command, or `delete_module(O_NONBLOCK [|O_TRUNC with -f])`, retried on
//!    EAGAIN with a doubling sleep (1, 2, 4 ... ms) until `--wait`'s deadline.
//! 4. **Dependencies left unused**: kmod checks each dependency once, deepest first, so
//!    in a chain A→B→C, C is checked while B still holds it and stays loaded. rkmod
//!    makes the same pass, in the same order, and repeats it until a pass removes
//!    nothing, so the whole chain goes (and what kmod removes is removed in kmod's
//!    order, before what it would have left). A dependency counts as unused when
//!    its reference count is made up only of holders removed in this run (in a dry run
//!    nothing is removed, so this is what lets `-n` show the same list).
//! 5. Its pre-softdeps, last first (failures ignored).

use std::collections::HashSet;
use std::ffi::CString;
use std::time::{Duration, Instant};

use crate::kernel::sysfs::InitState;
use crate::kernel::{System, O_NONBLOCK, O_TRUNC};
use crate::probe::run_command;
use crate::resolve::{ModId, Resolver};

/// modprobe's removal switches.
#[derive(Debug, Clone, Default)]
pub struct RemoveOptions {
    /// `-n`: announce, remove nothing, run no command.
    pub dry_run: bool,
    /// `-i`: no remove commands, no softdeps.
    pub ignore_commands: bool,
    /// `-D` given with `-r`: do not look at what is loaded.
    pub ignore_loaded: bool,
    /// `--first-time`: a module that is not loaded is an error.
    pub first_time: bool,
    /// `-f`: `O_TRUNC`.
    pub force: bool,
    /// `--remove-holders`: remove the modules holding it first.
    pub remove_holders: bool,
    /// `--wait MSEC` (0: do not wait).
    pub wait_msec: u64,
    /// Environment for remove commands.
    pub command_env: Vec<(std::ffi::OsString, std::ffi::OsString)>,
}

/// What happened, in kmod's order.
#[derive(Debug)]
#[non_exhaustive]
pub enum Event<'a> {
    /// About to remove a module (`rmmod NAME` with `-v`/`-n`).
    Rmmod(&'a [u8]),
    /// About to run a remove command (`remove CMD`).
    Command(&'a [u8]),
    /// `--first-time` and the module is not loaded.
    NotInKernel(&'a [u8]),
    /// The module is built into the kernel.
    Builtin(&'a [u8]),
    /// The module is in use (with its holders, for better messages).
    InUse {
        /// The module.
        name: &'a [u8],
        /// The modules holding it (`/sys/module/NAME/holders`).
        holders: &'a [String],
    },
    /// `delete_module` failed.
    RemoveFailed {
        /// The module.
        name: &'a [u8],
        /// What `delete_module` returned.
        errno: crate::Errno,
        /// `--wait` was given.
        waited: bool,
    },
    /// The remove command failed.
    CommandFailed {
        /// The module.
        name: &'a [u8],
    },
    /// A module was removed (by the syscall, not a command).
    Removed(&'a [u8]),
}

/// Removal of modules found by one resolver.
pub struct Remover<'s, 'r, 'a> {
    /// The kernel the modules are removed from.
    pub sys: &'s System,
    /// Where modules, softdeps and remove commands are looked up.
    pub resolver: &'r mut Resolver<'a>,
    /// The switches.
    pub opts: RemoveOptions,
    /// Modules removed (or, in a dry run, that would be) in this run.
    removed: HashSet<Vec<u8>>,
}

const IGNORE_BUILTIN: bool = true;

impl<'s, 'r, 'a> Remover<'s, 'r, 'a> {
    /// A remover with nothing removed yet.
    pub fn new(sys: &'s System, resolver: &'r mut Resolver<'a>, opts: RemoveOptions) -> Self {
        Remover { sys, resolver, opts, removed: HashSet::new() }
    }

    /// Remove one module the lookup found (modprobe's top-level call: builtin is an error).
    pub fn remove(&mut self, id: ModId, on: &mut dyn FnMut(Event<'_>)) -> Result<(), crate::Errno> {
        self.remove_module(id, self.opts.remove_holders, !IGNORE_BUILTIN, on)
    }

    fn remove_module(
        &mut self,
        id: ModId,
        holders_too: bool,
        ignore_builtin: bool,
        on: &mut dyn FnMut(Event<'_>),
    ) -> Result<(), crate::Errno> {
        let name = self.resolver.module(id).name.clone();
        let (pre, post, cmd) = if self.opts.ignore_commands {
            (Vec::new(), Vec::new(), None)
        } else {
            let (pre, post) = self.resolver.softdeps(id).map_err(|e| e.errno())?;
            (pre, post, self.resolver.remove_command(id))
        };
        let sysfs = self.sys.sysfs();
        if cmd.is_none() && !self.opts.ignore_loaded {
            if self.resolver.is_builtin(id).map_err(|e| e.errno())? {
                if ignore_builtin {
                    return Ok(());
                }
                on(Event::Builtin(&name));
                return Err(crate::Errno::ENOENT);
            }
            if sysfs.initstate(&name) == InitState::Absent {
                if self.opts.first_time {
                    on(Event::NotInKernel(&name));
                    return Err(crate::Errno::ENOENT);
                }
                return Ok(());
            }
        }
        for m in post.iter().rev() {
            let _ = self.remove_module(*m, false, IGNORE_BUILTIN, on);
        }
        if holders_too {
            let holders = sysfs.holders(&name).unwrap_or_default();
            for h in holders.iter().rev() {
                let hid = self.resolver.by_name(h.as_bytes());
                self.remove_module(hid, true, IGNORE_BUILTIN, on)?;
            }
        }
        // A holder's removal may have taken this module with it as an unused
        // dependency (kmod 30 then fails on the second removal).
        let gone = self.removed.contains(&name);
        if !gone
            && cmd.is_none()
            && !self.opts.ignore_loaded
            && self.opts.wait_msec == 0
            && self.refcnt(&name) > 0
        {
            let holders = self.live_holders(&name);
            on(Event::InUse { name: &name, holders: &holders });
            return Err(crate::Errno::EBUSY);
        }
        match &cmd {
            None if gone => {}
            None => self.delete(&name, on)?,
            Some(c) => {
                let c = &crate::resolve::expand_cmdline_opts(c, b"");
                on(Event::Command(c));
                // A non-zero exit and a shell that did not start fail alike.
                if !self.opts.dry_run && run_command(c, &name, &self.opts.command_env) != Ok(0) {
                    on(Event::CommandFailed { name: &name });
                    return Err(crate::Errno::EINVAL);
                }
            }
        }
        if cmd.is_none() {
            self.remove_unused_deps(id, on)?;
        }
        for m in pre.iter().rev() {
            let _ = self.remove_module(*m, false, IGNORE_BUILTIN, on);
        }
        Ok(())
    }

    /// Step 4: the dependencies nothing uses any more, until none is left.
    fn remove_unused_deps(&mut self, id: ModId, on: &mut dyn FnMut(Event<'_>)) -> Result<(), crate::Errno> {
        let deps = self.resolver.deps(id).map_err(|e| e.errno())?;
        let names: Vec<Vec<u8>> = deps.iter().map(|d| self.resolver.module(*d).name.clone()).collect();
        loop {
            let mut progress = false;
            for dep in &names {
                if self.removed.contains(dep) || self.sys.sysfs().initstate(dep) == InitState::Absent {
                    continue;
                }
                if self.refcnt(dep) == 0 && self.delete(dep, on).is_ok() {
                    progress = true;
                }
            }
            if !progress {
                return Ok(());
            }
        }
    }

    /// The reference count, less the holders removed in this run (what it will be);
    /// -1 when it cannot be read.
    fn refcnt(&self, name: &[u8]) -> i64 {
        let sysfs = self.sys.sysfs();
        let Ok(n) = sysfs.refcnt(name) else { return -1 };
        let gone = sysfs
            .holders(name)
            .unwrap_or_default()
            .iter()
            .filter(|h| self.removed.contains(h.as_bytes()))
            .count();
        n - gone as i64
    }

    fn live_holders(&self, name: &[u8]) -> Vec<String> {
        let holders = self.sys.sysfs().holders(name).unwrap_or_default();
        holders.into_iter().filter(|h| !self.removed.contains(h.as_bytes())).collect()
    }

    /// modprobe's `rmmod_do_remove_module`: announce, then `delete_module`, waiting
    /// with back-off on EAGAIN when `--wait` is given.
    fn delete(&mut self, name: &[u8], on: &mut dyn FnMut(Event<'_>)) -> Result<(), crate::Errno> {
        on(Event::Rmmod(name));
        if self.opts.dry_run {
            self.removed.insert(name.to_vec());
            return Ok(());
        }
        let flags = O_NONBLOCK | if self.opts.force { O_TRUNC } else { 0 };
        let cname = CString::new(name).map_err(|_| crate::Errno::EINVAL)?;
        let waited = self.opts.wait_msec > 0;
        let deadline = Instant::now() + Duration::from_millis(self.opts.wait_msec);
        let mut interval = Duration::from_millis(1);
        loop {
            match self.sys.kernel().delete_module(&cname, flags) {
                Ok(()) => {
                    self.removed.insert(name.to_vec());
                    on(Event::Removed(name));
                    return Ok(());
                }
                Err(crate::Errno::EAGAIN) if waited && Instant::now() < deadline => {
                    let left = deadline.saturating_duration_since(Instant::now());
                    std::thread::sleep(interval.min(left));
                    interval = (interval * 2).min(Duration::from_secs(1));
                }
                Err(errno) => {
                    on(Event::RemoveFailed { name, errno, waited });
                    return Err(errno);
                }
            }
        }
    }
}

/// rmmod's `check_module_inuse`: why a module cannot be removed without `-f`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum InUse {
    /// Built into the kernel (`modules.builtin`): it cannot be removed.
    Builtin,
    /// Not in `/sys/module`.
    NotLoaded,
    /// Holders could not be listed (the errno of opening `holders/`).
    HoldersUnreadable(crate::Errno),
    /// Other modules hold it (`/sys/module/NAME/holders`).
    HeldBy(Vec<String>),
    /// refcnt > 0 without holders (a module in use by the kernel or a process).
    Referenced,
    /// No `refcnt` file: the kernel cannot unload modules.
    NoUnloadSupport,
    /// `refcnt` could not be read otherwise (kmod fails without a word).
    RefcntUnreadable(crate::Errno),
}

/// The module an rmmod argument names: a path that exists gives its file name without
/// extensions, anything else is a name (`-` becomes `_`).
pub fn name_of_argument(arg: &[u8]) -> Vec<u8> {
    use std::os::unix::ffi::OsStrExt;
    let path = std::path::Path::new(std::ffi::OsStr::from_bytes(arg));
    if std::fs::metadata(path).is_ok() {
        crate::name::path_to_modname_bytes(path)
    } else {
        crate::name::modname_normalize_bytes(arg)
    }
}

/// [`rmmod_checks`] with the builtin test against the running kernel's module
/// directory (`modules.builtin.bin` of `ROOT/lib/modules/$(uname -r)`).
pub fn rmmod_checks_running(sys: &System, name: &[u8]) -> Vec<InUse> {
    let dir = sys.release().ok().map(|v| crate::lookup::ModuleDir::new(sys.module_dir(&v)));
    let builtin = dir.as_ref().and_then(|d| d.is_builtin(name).ok()).unwrap_or(false);
    rmmod_checks(sys, name, builtin)
}

/// rmmod's checks, in its order; Ok when the module can be removed. A
/// [`InUse::HoldersUnreadable`] is reported but not final: the refcnt check follows.
pub fn rmmod_checks(sys: &System, name: &[u8], builtin: bool) -> Vec<InUse> {
    let sysfs = sys.sysfs();
    if builtin {
        return vec![InUse::Builtin];
    }
    if sysfs.initstate(name) == InitState::Absent {
        return vec![InUse::NotLoaded];
    }
    let mut out = Vec::new();
    match sysfs.holders(name) {
        Ok(h) if !h.is_empty() => return vec![InUse::HeldBy(h)],
        Ok(_) => {}
        Err(errno) => out.push(InUse::HoldersUnreadable(errno)),
    }
    match sysfs.refcnt(name) {
        Err(crate::Errno::ENOENT) => out.push(InUse::NoUnloadSupport),
        Err(errno) => out.push(InUse::RefcntUnreadable(errno)),
        Ok(n) if n > 0 => out.push(InUse::Referenced),
        Ok(_) => {}
    }
    out
}
