//! The `rmmod` applet: remove modules by name, no configuration read.
//!
//! kmod 30's options (`-f`, `-s`, `-v`, `-V`, `-h`; `-w` is in its option string but
//! is an error). Each argument that `stat`s is a path (the module name is its file
//! name without extensions), anything else a name. Without `-f`, rmmod's checks come
//! first, with its messages: builtin, not currently loaded, in use by its holders, in
//! use, no unload support. Then `delete_module(O_NONBLOCK [| O_TRUNC])`. A failed
//! check or removal sets the exit status and goes on with the next name. Messages
//! below ERROR are hidden unless `-v`.

use std::ffi::{CString, OsStr, OsString};
use std::os::unix::ffi::OsStrExt;

use super::applet::{self, Flow, Spec};
use super::getopt::{HasArg, LongOpt};
use super::log::{Level, Log};
use rkmod::kernel::{System, O_NONBLOCK, O_TRUNC};
use rkmod::unload::{rmmod_checks_running, InUse};

const SHORT: &str = "fsvVwh";
const LONG: &[LongOpt] = &[
    LongOpt::new("force", HasArg::No, 'f'),
    LongOpt::new("syslog", HasArg::No, 's'),
    LongOpt::new("verbose", HasArg::No, 'v'),
    LongOpt::new("version", HasArg::No, 'V'),
    LongOpt::new("wait", HasArg::No, 'w'),
    LongOpt::new("help", HasArg::No, 'h'),
];

fn help(prog: &str) -> String {
    format!(
        "Usage:\n\
         \t{prog} [options] modulename ...\n\
         Options:\n\
         \t-f, --force       forces a module unload and may crash your\n\
         \t                  machine. This requires Forced Module Removal\n\
         \t                  option in your kernel. DANGEROUS\n\
         \t-s, --syslog      print to syslog, not stderr\n\
         \t-v, --verbose     enables more messages\n\
         \t-V, --version     show version\n\
         \t-h, --help        show this help\n"
    )
}

#[derive(Default)]
struct Opts {
    force: bool,
    syslog: bool,
    verbose: i32,
}

/// rmmod's options.
pub const SPEC: Spec = Spec { short: SHORT, long: LONG, kmod30: None, help };

/// Run the applet.
pub fn main(argv0: &OsStr, prog: &str, args: &[OsString]) -> i32 {
    let mut log = Log::new(prog);
    log.verbosity = Level::Error as i32;
    let mut o = Opts { verbose: Level::Error as i32, ..Opts::default() };
    let names = match applet::parse(&SPEC, argv0, prog, args, |c, _| {
        match c {
            'f' => o.force = true,
            's' => o.syslog = true,
            'v' => o.verbose += 1,
            // -w is in kmod 30's option string, but its loop has no case for it.
            c => {
                log.error(&format!("unexpected getopt_long() value '{c}'."));
                return Flow::Exit(1);
            }
        }
        Flow::Go
    }) {
        Ok(names) => names,
        Err(code) => return code,
    };
    log.syslog = o.syslog;
    log.verbosity = o.verbose;
    if names.is_empty() {
        log.error("missing module name.");
        return 1;
    }
    let sys = System::detect();
    let mut failed = 0;
    for arg in &names {
        let name = rkmod::unload::name_of_argument(arg.as_bytes());
        if !o.force && !report_checks(&log, &name, &rmmod_checks_running(&sys, &name)) {
            failed += 1;
            continue;
        }
        let flags = O_NONBLOCK | if o.force { O_TRUNC } else { 0 };
        let Ok(cname) = CString::new(name.clone()) else {
            failed += 1;
            continue;
        };
        if let Err(errno) = sys.kernel().delete_module(&cname, flags) {
            let text = rkmod::error::errno_text(errno);
            log.libkmod(
                Level::Error,
                "kmod_module_remove_module",
                &format!("could not remove '{}': {text}", String::from_utf8_lossy(&name)),
            );
            let msg = [b"could not remove module ", arg.as_bytes(), b": ", text.as_bytes()].concat();
            log.error(&msg);
            failed += 1;
        }
    }
    if failed == 0 {
        0
    } else {
        1
    }
}

/// Print rmmod's messages for the checks; true when the module may be removed.
fn report_checks(log: &Log, name: &[u8], checks: &[InUse]) -> bool {
    let mut ok = true;
    let module = |tail: &str| [b"Module ", name, tail.as_bytes()].concat();
    for c in checks {
        match c {
            InUse::Builtin => log.error(&module(" is builtin.")),
            InUse::NotLoaded => log.error(&module(" is not currently loaded")),
            InUse::HoldersUnreadable(errno) => {
                let path = format!("/sys/module/{}/holders", String::from_utf8_lossy(name));
                let msg = format!("could not open '{path}': {}", rkmod::error::errno_text(*errno));
                log.libkmod(Level::Error, "kmod_module_get_holders", &msg);
                continue;
            }
            InUse::HeldBy(holders) => log.error(&module(&format!(" is in use by: {}", holders.join(" ")))),
            InUse::Referenced => log.error(&module(" is in use")),
            InUse::NoUnloadSupport => log.error("Module unloading is not supported"),
            InUse::RefcntUnreadable(_) => {}
            _ => {}
        }
        ok = false;
    }
    ok
}
