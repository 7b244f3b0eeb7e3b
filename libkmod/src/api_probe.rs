//! `kmod_module_probe_insert_module`: modprobe's loading as a library call, on the
//! engine's probe list ([`rkmod::resolve::Resolver::probe_steps`]).
//!
//! Before the list: a module already live or builtin is done (`-EEXIST` with
//! `KMOD_PROBE_FAIL_ON_LOADED`); a blacklisted module is refused with the blacklist
//! flag that applied as the (positive) result. Then for each entry, in order: skipped
//! when already in the kernel; announced through `print_action`; unless
//! `KMOD_PROBE_DRY_RUN`, its install command run (through `run_install` when given,
//! else `/bin/sh -c` with `MODPROBE_MODULE` set) or its file inserted. "Already
//! loaded" and failures of softdeps are not errors; any other failure ends the list.
//! The callbacks run with no engine state borrowed, so they may call back into the
//! library.

use std::ffi::{c_char, c_int, c_uint, c_void};

use rkmod::insert::Force;
use rkmod::resolve::{concat_options, Action, ProbeOptions, Step};

use crate::api::{mod_ref, options_of};
use crate::api_kernel::{insert, is_inkernel};
use crate::ffi::{bytes, guard};
use crate::log::LOG_ERR;
use crate::module::KModule;

/// `KMOD_PROBE_FORCE_VERMAGIC`.
pub const KMOD_PROBE_FORCE_VERMAGIC: c_uint = 0x00001;
/// `KMOD_PROBE_FORCE_MODVERSION`.
pub const KMOD_PROBE_FORCE_MODVERSION: c_uint = 0x00002;
/// `KMOD_PROBE_IGNORE_COMMAND`.
pub const KMOD_PROBE_IGNORE_COMMAND: c_uint = 0x00004;
/// `KMOD_PROBE_IGNORE_LOADED`.
pub const KMOD_PROBE_IGNORE_LOADED: c_uint = 0x00008;
/// `KMOD_PROBE_DRY_RUN`.
pub const KMOD_PROBE_DRY_RUN: c_uint = 0x00010;
/// `KMOD_PROBE_FAIL_ON_LOADED`.
pub const KMOD_PROBE_FAIL_ON_LOADED: c_uint = 0x00020;
/// `KMOD_PROBE_APPLY_BLACKLIST_ALL`.
pub const KMOD_PROBE_APPLY_BLACKLIST_ALL: c_uint = 0x10000;
/// `KMOD_PROBE_APPLY_BLACKLIST`.
pub const KMOD_PROBE_APPLY_BLACKLIST: c_uint = 0x20000;
/// `KMOD_PROBE_APPLY_BLACKLIST_ALIAS_ONLY`.
pub const KMOD_PROBE_APPLY_BLACKLIST_ALIAS_ONLY: c_uint = 0x40000;

/// `run_install(module, command, data)`.
pub type RunInstall = Option<unsafe extern "C" fn(*mut KModule, *const c_char, *mut c_void) -> c_int>;
/// `print_action(module, install, options)`.
pub type PrintAction = Option<unsafe extern "C" fn(*mut KModule, bool, *const c_char)>;

/// `kmod_module_probe_insert_module`.
#[no_mangle]
pub unsafe extern "C" fn kmod_module_probe_insert_module(
    m: *mut KModule,
    flags: c_uint,
    extra_options: *const c_char,
    run_install: RunInstall,
    data: *const c_void,
    print_action: PrintAction,
) -> c_int {
    guard(-libc::ENOMEM, || {
        // SAFETY: the caller's contract.
        let Some(md) = (unsafe { mod_ref(m) }) else { return -libc::ENOENT };
        // SAFETY: NULL or a string.
        let extra = unsafe { bytes(extra_options) };
        // SAFETY: the callbacks are the program's, called as libkmod calls them.
        unsafe { probe(m, md, flags, extra, run_install, data as *mut c_void, print_action) }
    })
}

unsafe fn probe(
    m: *mut KModule,
    md: &KModule,
    flags: c_uint,
    extra: Option<&[u8]>,
    run_install: RunInstall,
    data: *mut c_void,
    print_action: PrintAction,
) -> c_int {
    let ctx = md.ctx();
    let ignore_loaded = flags & KMOD_PROBE_IGNORE_LOADED != 0;
    if !ignore_loaded && is_inkernel(md) {
        return if flags & KMOD_PROBE_FAIL_ON_LOADED != 0 { -libc::EEXIST } else { 0 };
    }
    let has_alias = ctx.with_resolver(ProbeOptions::default(), |r| r.module(md.id).alias.is_some());
    let bl_flag = if has_alias && flags & KMOD_PROBE_APPLY_BLACKLIST_ALIAS_ONLY != 0 {
        KMOD_PROBE_APPLY_BLACKLIST_ALIAS_ONLY
    } else if flags & KMOD_PROBE_APPLY_BLACKLIST_ALL != 0 {
        KMOD_PROBE_APPLY_BLACKLIST_ALL
    } else {
        flags & KMOD_PROBE_APPLY_BLACKLIST
    };
    if bl_flag != 0 && ctx.config.is_blacklisted(md.name.to_bytes()) {
        return bl_flag as c_int;
    }
    let opts = ProbeOptions {
        ignore_commands: flags & KMOD_PROBE_IGNORE_COMMAND != 0,
        ignore_loaded: true,
        use_blacklist: false,
        first_time: false,
    };
    let planned = ctx.with_resolver(opts, |r| {
        r.probe_steps(md.id, extra).map(|steps| {
            steps
                .into_iter()
                .map(|s| {
                    // SAFETY: the module's live context; s.id was just planned.
                    let h = unsafe { KModule::get(md.ctx, s.id, &s.module.name) };
                    (h, s)
                })
                .collect::<Vec<(*mut KModule, Step)>>()
        })
    });
    let mut steps = match planned {
        Ok(s) => s,
        Err(e) => {
            ctx.log(LOG_ERR, "kmod_module_probe_insert_module", format!("{e}\n"));
            return -libc::EINVAL;
        }
    };
    if flags & KMOD_PROBE_APPLY_BLACKLIST_ALL != 0 {
        let (keep, drop): (Vec<_>, Vec<_>) =
            steps.into_iter().partition(|(_, s)| !ctx.config.is_blacklisted(&s.module.name));
        for (h, _) in drop {
            // SAFETY: a reference taken above.
            unsafe { KModule::unref(h) };
        }
        if keep.is_empty() {
            return KMOD_PROBE_APPLY_BLACKLIST_ALL as c_int;
        }
        steps = keep;
    }
    let force = Force {
        vermagic: flags & KMOD_PROBE_FORCE_VERMAGIC != 0,
        modversion: flags & KMOD_PROBE_FORCE_MODVERSION != 0,
    };
    let mut err = 0;
    let mut iter = steps.iter();
    for (h, step) in iter.by_ref() {
        // SAFETY: a reference taken above.
        let hm = unsafe { &**h };
        if !ignore_loaded && is_inkernel(hm) {
            err = -libc::EEXIST;
        } else {
            err = 0;
            // The options as libkmod computes them here: the handle's (cached) configured
            // options, then the extra ones for the requested module.
            let moptions = options_of(hm).map(|o| o.to_bytes().to_vec());
            let options = concat_options(moptions, if *h == m { extra } else { None });
            let (install, command) = match &step.action {
                Action::Install { expanded, .. } => (true, Some(expanded.as_slice())),
                _ => (false, None),
            };
            let copts = crate::ffi::cstring(&options);
            let options = copts.to_bytes();
            if let Some(pa) = print_action {
                // SAFETY: the program's callback with a live module and a string.
                unsafe { pa(*h, install, copts.as_ptr()) };
            }
            if flags & KMOD_PROBE_DRY_RUN == 0 {
                err = match command {
                    Some(cmd) => run_command(hm, *h, cmd, run_install, data),
                    None => insert(hm, force, options),
                };
            }
        }
        if err == -libc::EEXIST && *h == m && flags & KMOD_PROBE_FAIL_ON_LOADED != 0 {
            break;
        }
        if err == -libc::EEXIST || !step.required {
            err = 0;
        } else if err < 0 {
            break;
        }
    }
    for (h, _) in steps {
        // SAFETY: a reference taken above.
        unsafe { KModule::unref(h) };
    }
    err
}

/// Run an install command: the program's `run_install`, or `system(3)`'s way.
fn run_command(
    md: &KModule,
    h: *mut KModule,
    cmd: &[u8],
    run_install: RunInstall,
    data: *mut c_void,
) -> c_int {
    let ccmd = crate::ffi::cstring(cmd);
    if let Some(f) = run_install {
        // SAFETY: the program's callback with a live module and a string.
        return unsafe { f(h, ccmd.as_ptr(), data) };
    }
    let name = md.name.to_bytes();
    match rkmod::probe::run_command(cmd, name, &[]) {
        Ok(0) => 0,
        Ok(code) => {
            md.ctx().log(
                LOG_ERR,
                "command_do",
                [
                    &b"Error running install command '"[..],
                    cmd,
                    b"' for module ",
                    name,
                    format!(": retcode {code}\n").as_bytes(),
                ]
                .concat(),
            );
            -libc::EINVAL
        }
        Err(e) => {
            md.ctx().log(
                LOG_ERR,
                "command_do",
                [
                    &b"Could not run install command '"[..],
                    cmd,
                    b"' for module ",
                    name,
                    b": ",
                    e.desc().as_bytes(),
                    b"\n",
                ]
                .concat(),
            );
            -libc::EINVAL
        }
    }
}
