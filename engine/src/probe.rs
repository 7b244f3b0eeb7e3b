//! Carrying out a probe list ([`crate::resolve::Plan::Steps`]): modprobe's insertion
//! loop (libkmod's `kmod_module_probe_insert_module`).
//!
//! For each step, in order:
//!
//! 1. Unless `ignore_loaded`, a module already live (or builtin) is skipped; this is
//!    checked again here, right before acting, because the same dependency can appear
//!    twice and another modprobe may have loaded it meanwhile.
//! 2. The step is announced ([`Event::Action`]; modprobe prints it with `-v`/`-n`).
//! 3. Unless dry-running: an install command runs through `/bin/sh -c` with
//!    `MODPROBE_MODULE` set; otherwise the module file is inserted ([`crate::insert`]).
//! 4. EEXIST (someone else loaded it first) is success, except for the requested
//!    module with `--first-time`; a failure of a step that is only a softdep is ignored;
//!    any other failure stops the list and is the result.
//!
//! Nothing is printed here: the caller gets [`Event`]s in the order kmod prints them.

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;
use std::process::Command;

use crate::insert::{insert_file, Force, InsertError, Inserted};
use crate::kernel::sysfs::InitState;
use crate::kernel::System;
use crate::resolve::{Action, Step};

/// How to carry out a probe list.
#[derive(Debug, Clone, Default)]
pub struct Exec {
    /// `-n`: announce, do nothing.
    pub dry_run: bool,
    /// `-D`: do not look at what is loaded.
    pub ignore_loaded: bool,
    /// `--first-time`: the requested module being loaded already is an error.
    pub first_time: bool,
    /// `-f`, `--force-vermagic`, `--force-modversion`.
    pub force: Force,
    /// Environment for install commands (kmod passes `MODPROBE_OPTIONS` on).
    pub command_env: Vec<(OsString, OsString)>,
}

/// What happened, in order.
#[derive(Debug)]
#[non_exhaustive]
pub enum Event<'a> {
    /// About to act on this step (kmod's `print_action`).
    Action(&'a Step),
    /// The step was skipped: the module is in the kernel already.
    AlreadyLoaded(&'a Step),
    /// The module was inserted.
    Inserted(&'a Step, Inserted),
    /// Inserting the module failed (libkmod logs this at INFO).
    InsertFailed(&'a Step, &'a InsertError),
    /// The step has no module file (libkmod: "could not find module by name").
    NoFile(&'a Step),
    /// The install command exited with a non-zero status.
    CommandFailed {
        /// The step.
        step: &'a Step,
        /// The command as run (`$CMDLINE_OPTS` expanded).
        command: &'a [u8],
        /// Its exit status.
        status: i32,
    },
    /// The install command could not be started.
    CommandNotRun {
        /// The step.
        step: &'a Step,
        /// The command as it would have run.
        command: &'a [u8],
        /// Why `/bin/sh` could not be started.
        errno: crate::Errno,
    },
}

/// The outcome of the list: Ok, or the errno of the step that stopped it (EEXIST for
/// `--first-time` on a loaded module).
pub fn execute(
    sys: &System,
    steps: &[Step],
    exec: &Exec,
    on: &mut dyn FnMut(Event<'_>),
) -> Result<(), crate::Errno> {
    let sysfs = sys.sysfs();
    let mut err: Result<(), crate::Errno> = Ok(());
    for step in steps {
        let loaded =
            !exec.ignore_loaded && (step.in_kernel || sysfs.initstate(&step.module.name) == InitState::Live);
        if loaded {
            on(Event::AlreadyLoaded(step));
            err = Err(crate::Errno::EEXIST);
        } else {
            on(Event::Action(step));
            err = if exec.dry_run { Ok(()) } else { run_step(sys, step, exec, on) };
        }
        if err == Err(crate::Errno::EEXIST) && step.requested && exec.first_time {
            break;
        }
        if err == Err(crate::Errno::EEXIST) || !step.required {
            err = Ok(());
        } else if err.is_err() {
            break;
        }
    }
    err
}

fn run_step(
    sys: &System,
    step: &Step,
    exec: &Exec,
    on: &mut dyn FnMut(Event<'_>),
) -> Result<(), crate::Errno> {
    match &step.action {
        Action::Install { expanded, .. } => match run_command(expanded, &step.module.name, &exec.command_env)
        {
            Ok(0) => Ok(()),
            Ok(status) => {
                on(Event::CommandFailed { step, command: expanded, status });
                Err(crate::Errno::EINVAL)
            }
            Err(errno) => {
                on(Event::CommandNotRun { step, command: expanded, errno });
                Err(crate::Errno::EINVAL)
            }
        },
        Action::Insert { path, options } => match insert_file(sys, path, options, exec.force) {
            Ok(done) => {
                on(Event::Inserted(step, done));
                Ok(())
            }
            Err(e) => {
                on(Event::InsertFailed(step, &e));
                Err(e.errno())
            }
        },
        Action::Builtin | Action::Missing { .. } => {
            on(Event::NoFile(step));
            Err(crate::Errno::ENOENT)
        }
    }
}

/// Run an install or remove command as `system(3)` would (`/bin/sh -c`), with
/// `MODPROBE_MODULE` naming the module: its exit status (0 when killed by a signal,
/// as `WEXITSTATUS` reads it), or the errno of starting the shell. The command and
/// the name are given to the shell byte for byte.
pub fn run_command(command: &[u8], module: &[u8], env: &[(OsString, OsString)]) -> Result<i32, crate::Errno> {
    let mut cmd = Command::new("/bin/sh");
    cmd.arg("-c").arg(OsStr::from_bytes(command)).env("MODPROBE_MODULE", OsStr::from_bytes(module));
    for (k, v) in env {
        cmd.env(k, v);
    }
    let status = cmd.status().map_err(|e| crate::error::io_errno(&e))?;
    Ok(status.code().unwrap_or(0))
}
