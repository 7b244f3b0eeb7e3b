//! `lsmod` and `kmod list`: the loaded modules, in `/proc/modules` order.
//!
//! kmod 30's format exactly: the header `Module                  Size  Used by`, then
//! `printf("%-19s %8ld  %d", name, size, refcnt)` and the holders (` a,b`). Size is
//! `coresize` (else the `/proc/modules` column), refcnt `refcnt`, holders the readdir
//! order of `holders/`; a value that cannot be read prints as its negative errno, as
//! kmod does (a module unloading meanwhile shows `-2`). The options are kmod 34's
//! (`-s`, `-v`, `-V`, `-h`; kmod 30 had none); any other argument is kmod 30's usage
//! error. `rkmod list --json` gives the same data as a versioned document.

use super::applet::{self, Flow, Spec};
use super::getopt::{HasArg, LongOpt};
use super::log::{Level, Log};
use super::output;
use rkmod::kernel::System;

/// One row of the listing.
#[derive(Debug, serde::Serialize)]
pub struct Row {
    pub name: String,
    pub size: i64,
    pub refcnt: i64,
    pub holders: Vec<String>,
}

/// The loaded modules, or the errno of reading `/proc/modules`. Unreadable holder
/// directories are reported through `on_holders_error` (libkmod logs them).
pub fn rows(
    sys: &System,
    on_holders_error: &mut dyn FnMut(&str, rkmod::Errno),
) -> Result<Vec<Row>, rkmod::Errno> {
    let sysfs = sys.sysfs();
    let modules = sysfs.proc_modules().map_err(|e| rkmod::error::io_errno(&e))?;
    Ok(modules
        .into_iter()
        .map(|m| {
            let refcnt = sysfs.refcnt(&m.name).unwrap_or_else(|e| -(e as i64));
            let size = sysfs.size(&m.name).unwrap_or_else(|e| -(e as i64));
            let holders = sysfs.holders(&m.name).unwrap_or_else(|e| {
                on_holders_error(&m.name, e);
                Vec::new()
            });
            Row { name: m.name, size, refcnt, holders }
        })
        .collect())
}

/// The text lsmod prints for the rows.
pub fn render(rows: &[Row]) -> String {
    let mut out = String::from("Module                  Size  Used by\n");
    for r in rows {
        out.push_str(&format!("{:<19} {:>8}  {}", r.name, r.size, r.refcnt));
        if !r.holders.is_empty() {
            out.push(' ');
            out.push_str(&r.holders.join(","));
        }
        out.push('\n');
    }
    out
}

const SHORT: &str = "svVh";
const LONG: &[LongOpt] = &[
    LongOpt::new("syslog", HasArg::No, 's'),
    LongOpt::new("verbose", HasArg::No, 'v'),
    LongOpt::new("version", HasArg::No, 'V'),
    LongOpt::new("help", HasArg::No, 'h'),
];

fn help(prog: &str) -> String {
    format!(
        "Usage:\n\
         \t{prog} [options]\n\
         Options:\n\
         \t-s, --syslog      print to syslog, not stderr\n\
         \t-v, --verbose     enables more messages\n\
         \t-V, --version     show version\n\
         \t-h, --help        show this help\n"
    )
}

/// lsmod's options (kmod 34's).
pub const SPEC: Spec = Spec { short: SHORT, long: LONG, kmod30: None, help };

/// `lsmod` / `kmod list`: `argv0` is how the tool was named (printed in the usage line).
pub fn main(argv0: &std::ffi::OsStr, args: &[std::ffi::OsString]) -> i32 {
    use std::os::unix::ffi::OsStrExt;
    let mut log = Log::new("lsmod");
    let prog = argv0.as_bytes().rsplit(|&b| b == b'/').next().unwrap_or(argv0.as_bytes());
    let prog = String::from_utf8_lossy(prog).into_owned();
    let (mut syslog, mut verbose) = (false, 0);
    let rest = match applet::parse(&SPEC, argv0, &prog, args, |c, _| {
        match c {
            's' => syslog = true,
            'v' => verbose += 1,
            _ => {}
        }
        Flow::Go
    }) {
        Ok(rest) => rest,
        Err(code) => return code,
    };
    log.syslog = syslog;
    log.verbosity = Level::Error as i32 + verbose;
    if !rest.is_empty() {
        log.plain(&[b"Usage: ", argv0.as_bytes()].concat());
        return 1;
    }
    let sys = System::detect();
    let mut holders_error = |name: &str, errno: rkmod::Errno| {
        let msg = format!("could not open '/sys/module/{name}/holders': {}", rkmod::error::errno_text(errno));
        log.libkmod_default(Level::Error, "kmod_module_get_holders", &msg);
    };
    match rows(&sys, &mut holders_error) {
        Ok(rows) => {
            output::print(&render(&rows));
            0
        }
        Err(errno) => {
            let text = rkmod::error::errno_text(errno);
            log.libkmod_default(
                Level::Error,
                "kmod_module_new_from_loaded",
                &format!("could not open /proc/modules: {text}"),
            );
            let msg = format!("could not get list of modules: {text}");
            if log.syslog {
                log.error(&msg);
            } else {
                log.plain(&format!("Error: {msg}"));
            }
            1
        }
    }
}
