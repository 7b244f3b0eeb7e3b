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

use super::applet::{self, Flow, Spec};
use super::getopt::{HasArg, LongOpt};
use super::log::Log;
use rkmod::insert::{insert_file, Force};
use rkmod::kernel::System;

const SHORT: &str = "psfvVh";
const FORCE_MODVERSION: char = '\u{102}';
const FORCE_VERMAGIC: char = '\u{101}';

const KMOD30_SHORT: &str = "psfVh";
const KMOD30_LONG: &[LongOpt] =
    &[LongOpt::new("version", HasArg::No, 'V'), LongOpt::new("help", HasArg::No, 'h')];

/// kmod 30's table first (glibc reports ambiguities in table order), then kmod 34's.
const LONG: &[LongOpt] = &[
    LongOpt::new("version", HasArg::No, 'V'),
    LongOpt::new("help", HasArg::No, 'h'),
    LongOpt::new("force", HasArg::No, 'f'),
    LongOpt::new("force-modversion", HasArg::No, FORCE_MODVERSION),
    LongOpt::new("force-vermagic", HasArg::No, FORCE_VERMAGIC),
    LongOpt::new("syslog", HasArg::No, 's'),
    LongOpt::new("verbose", HasArg::No, 'v'),
];

/// insmod's options.
pub const SPEC: Spec = Spec { short: SHORT, long: LONG, kmod30: Some((KMOD30_SHORT, KMOD30_LONG)), help };

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
pub fn insert_strerror(errno: rkmod::Errno) -> String {
    match errno {
        rkmod::Errno::ENOEXEC => "Invalid module format".into(),
        rkmod::Errno::ENOENT => "Unknown symbol in module".into(),
        rkmod::Errno::ESRCH => "Module has wrong symbol version".into(),
        rkmod::Errno::EINVAL => "Invalid parameters".into(),
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

/// Run the applet.
pub fn main(argv0: &OsStr, prog: &str, args: &[OsString]) -> i32 {
    let mut log = Log::new(prog);
    let mut o = Opts::default();
    let words = match applet::parse(&SPEC, argv0, prog, args, |c, _| {
        match c {
            'f' => o.force = Force { vermagic: true, modversion: true },
            FORCE_VERMAGIC => o.force.vermagic = true,
            FORCE_MODVERSION => o.force.modversion = true,
            's' => o.syslog = true,
            'v' => o.verbose += 1,
            _ => {} // -p: accepted and ignored, as kmod 30 does
        }
        Flow::Go
    }) {
        Ok(words) => words,
        Err(code) => return code,
    };
    log.syslog = o.syslog;
    // insmod shows errors by default (LOG_ERR); each -v one level more.
    log.verbosity = super::log::Level::Error as i32 + o.verbose;
    let Some(filename) = words.first() else {
        log.error("missing filename.");
        return 1;
    };
    if filename == "-" {
        log.error("this tool does not support loading from stdin!");
        return 1;
    }
    let params = join_params(&words[1..].iter().map(|w| w.as_bytes()).collect::<Vec<_>>());
    let path = rkmod::info::absolute(std::path::Path::new(filename));
    let name = filename.as_bytes();
    if let Err(e) = std::fs::metadata(&path) {
        let errno = rkmod::error::io_errno(&e);
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
