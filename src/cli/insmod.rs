//! The `insmod` applet: one module file into the kernel, no configuration read.
//!
//! kmod 30's options (`-p` accepted and ignored, `-f`, `-V`, `-h`), plus kmod 34's
//! `--force`, `-s`/`--syslog` (messages to syslog: kmod 30's `-s` did nothing) and
//! `-v`/`--verbose` (more messages), and the later `--force-vermagic` and
//! `--force-modversion`. Parameters after the file name are joined
//! with spaces; a `key=value` whose value holds a space and is not already quoted is
//! passed as `key="value"` (kmod 34's `options_from_array`; kmod 30 joined them
//! bare, so the kernel split such a value in two). Messages and exit codes are
//! kmod's: `missing filename.`, `could not load module F: E` when the path does not
//! exist, `could not insert module F: E` with insmod's wording of the errno.

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;

use super::getopt::{getopt_long, HasArg, LongOpt, Parsed};
use super::log::Log;
use super::output;
use rkmod::insert::{insert_file, Force};
use rkmod::kernel::System;

const SHORT: &str = "psfvVh";
const FORCE_MODVERSION: char = '\u{102}';
const FORCE_VERMAGIC: char = '\u{101}';

const KMOD30_SHORT: &str = "psfVh";
const KMOD30_LONG: &[LongOpt] =
    &[LongOpt::new("version", HasArg::No, 'V'), LongOpt::new("help", HasArg::No, 'h')];

fn long_options() -> Vec<LongOpt> {
    let mut v = KMOD30_LONG.to_vec();
    v.extend([
        LongOpt::new("force", HasArg::No, 'f'),
        LongOpt::new("force-modversion", HasArg::No, FORCE_MODVERSION),
        LongOpt::new("force-vermagic", HasArg::No, FORCE_VERMAGIC),
        LongOpt::new("syslog", HasArg::No, 's'),
        LongOpt::new("verbose", HasArg::No, 'v'),
    ]);
    v
}

/// kmod 34's help: kmod 30's listed only `-V` and `-h`, and the option set is kmod 34's.
fn help(prog: &str) -> String {
    format!(
        "Usage:\n\
         \t{prog} [options] filename [module options]\n\
         Options:\n\
         \t-f, --force       DANGEROUS: forces a module load, may cause\n\
         \t                  data corruption and crash your machine\n\
         \t-s, --syslog      print to syslog, not stderr\n\
         \t-v, --verbose     enables more messages\n\
         \t-V, --version     show version\n\
         \t-h, --help        show this help\n"
    )
}

/// insmod's wording of an insertion errno (`mod_strerror`).
pub fn insert_strerror(errno: i32) -> String {
    match errno {
        libc::ENOEXEC => "Invalid module format".into(),
        libc::ENOENT => "Unknown symbol in module".into(),
        libc::ESRCH => "Module has wrong symbol version".into(),
        libc::EINVAL => "Invalid parameters".into(),
        e => rkmod::error::errno_text(e),
    }
}

/// The parameter string from the words after the file name (kmod 34's quoting).
pub fn join_params<W: AsRef<[u8]>>(words: &[W]) -> Vec<u8> {
    rkmod::resolve::join_cmdline_options(words).unwrap_or_default()
}

#[derive(Default)]
struct Opts {
    force: Force,
    syslog: bool,
    verbose: i32,
}

fn apply(parsed: &[Parsed], o: &mut Opts, prog: &str) -> Option<i32> {
    for p in parsed {
        match p {
            Parsed::Opt('f', _) => o.force = Force { vermagic: true, modversion: true },
            Parsed::Opt(FORCE_VERMAGIC, _) => o.force.vermagic = true,
            Parsed::Opt(FORCE_MODVERSION, _) => o.force.modversion = true,
            Parsed::Opt('s', _) => o.syslog = true,
            Parsed::Opt('v', _) => o.verbose += 1,
            Parsed::Opt('h', _) => {
                output::print(&help(prog));
                return Some(0);
            }
            Parsed::Opt('V', _) => {
                output::print(&super::version_text());
                return Some(0);
            }
            _ => {}
        }
    }
    None
}

/// Run the applet.
pub fn main(argv0: &OsStr, prog: &str, args: &[OsString]) -> i32 {
    let mut log = Log::new(prog);
    let mut o = Opts::default();
    let parsed = match getopt_long(args, SHORT, &long_options()) {
        Ok(p) => p,
        Err(e) => {
            if let Some(code) = apply(&e.parsed, &mut o, prog) {
                return code;
            }
            let message = match getopt_long(args, KMOD30_SHORT, KMOD30_LONG) {
                Err(k) => k.message,
                Ok(_) => e.message,
            };
            super::log::getopt_error(argv0, &message);
            return 1;
        }
    };
    if let Some(code) = apply(&parsed, &mut o, prog) {
        return code;
    }
    log.syslog = o.syslog;
    // insmod shows errors by default (LOG_ERR); each -v one level more.
    log.verbosity = super::log::Level::Error as i32 + o.verbose;
    let words = super::getopt::positionals(parsed);
    let Some(filename) = words.first() else {
        log.error("missing filename.");
        return 1;
    };
    if filename == "-" {
        log.error("this tool does not support loading from stdin!");
        return 1;
    }
    let params = join_params(&words[1..].iter().map(|w| w.as_bytes()).collect::<Vec<_>>());
    let path = super::info::absolute(std::path::Path::new(filename));
    let name = filename.as_bytes();
    if let Err(e) = std::fs::metadata(&path) {
        let errno = e.raw_os_error().unwrap_or(libc::EIO);
        let text = rkmod::error::errno_text(errno);
        log.error(&[b"could not load module ", name, b": ", text.as_bytes()].concat());
        return 1;
    }
    let sys = System::detect();
    match insert_file(&sys, &path, &params, o.force) {
        Ok(_) => 0,
        Err(e) => {
            let text = insert_strerror(e.errno());
            log.error(&[b"could not insert module ", name, b": ", text.as_bytes()].concat());
            1
        }
    }
}
