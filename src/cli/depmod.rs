//! The `depmod` applet and `rkmod deps`: kmod's options, messages and exit codes.
//!
//! `depmod [options] [version] [files...]`, short options `aAb:m:o:C:E:F:evnP:wuqrVh`
//! (kmod 34 meanings for `-m DIR` and `-o DIR`; kmod 30's deprecated `-u -q -r` are
//! accepted with its warning). The first positional argument is the kernel version when
//! it starts like `%u.%u`; the rest must be absolute module paths.

use std::path::PathBuf;

use rkmod::depmod::{self, Level, Options};

use super::applet::{self, Flow, Spec};
use super::getopt::{HasArg, LongOpt};
use super::log::{self, Log};
use super::output;

const SHORT: &str = "aAb:m:o:C:E:F:evnP:wuqrVh";
/// The environment variable that asks for (1) or against (0) the no-change cache.
pub const CACHE_ENV: &str = "RKMOD_DEPMOD_CACHE";

/// How depmod writes, what it keeps and what it refuses (the man page's notes).
pub const NOTES: &str = "\
Files: the indexes are written one at a time, each to a temp file in the output directory, \
fsynced and renamed over the old one, so every file is the old one or the new one, and a \
run needs room for the old set plus one new file (as kmod). A full disk fails with \"No \
space left on device\". Runs on one output directory take turns under a lock on the \
directory itself (flock; no lock file), so concurrent runs (packaging hooks) all succeed.

No-change cache: modules.rkmod.cache in the output directory lets a run on an unchanged \
tree skip all work and a run after a few changes read only the changed modules. It is kept \
for the live tree only (input and output root /); a one-off tree (-b or -o elsewhere, as \
initramfs builders use) gets none, and an old one there is removed. RKMOD_DEPMOD_CACHE=1 \
keeps it for any tree, RKMOD_DEPMOD_CACHE=0 for none. It holds no path of the tree's \
location, the same inputs give the same bytes, and it is checksummed: a damaged cache is \
ignored (-v says so) and every module is read again.

Hostile trees: a symlink to a directory is followed only when it leads inside the module \
directory (or the external directory being walked); symlinks to module files are followed. \
A module that decompresses to more than 1 GiB is refused (File too large), and the bytes \
decompressed at once across threads are bounded.";
const LONG: &[LongOpt] = &[
    LongOpt::new("all", HasArg::No, 'a'),
    LongOpt::new("quick", HasArg::No, 'A'),
    LongOpt::new("basedir", HasArg::Required, 'b'),
    LongOpt::new("moduledir", HasArg::Required, 'm'),
    LongOpt::new("outdir", HasArg::Required, 'o'),
    LongOpt::new("config", HasArg::Required, 'C'),
    LongOpt::new("symvers", HasArg::Required, 'E'),
    LongOpt::new("filesyms", HasArg::Required, 'F'),
    LongOpt::new("errsyms", HasArg::No, 'e'),
    LongOpt::new("unresolved-error", HasArg::No, 'u'),
    LongOpt::new("quiet", HasArg::No, 'q'),
    LongOpt::new("root", HasArg::No, 'r'),
    LongOpt::new("verbose", HasArg::No, 'v'),
    LongOpt::new("show", HasArg::No, 'n'),
    LongOpt::new("dry-run", HasArg::No, 'n'),
    LongOpt::new("symbol-prefix", HasArg::Required, 'P'),
    LongOpt::new("warn", HasArg::No, 'w'),
    LongOpt::new("version", HasArg::No, 'V'),
    LongOpt::new("help", HasArg::No, 'h'),
];

fn help(prog: &str) -> String {
    format!(
        "Usage:\n\
         \t{prog} -[aA] [options] [forced_version]\n\
         \n\
         If no arguments (except options) are given, \"depmod -a\" is assumed\n\
         \n\
         depmod will output a dependency list suitable for the modprobe utility.\n\
         \n\
         Options:\n\
         \t-a, --all            Probe all modules\n\
         \t-A, --quick          Only does the work if there's a new module\n\
         \t-e, --errsyms        Report not supplied symbols\n\
         \t-n, --show           Write the dependency file on stdout only\n\
         \t-P, --symbol-prefix  Architecture symbol prefix\n\
         \t-C, --config=PATH    Read configuration from PATH\n\
         \t-v, --verbose        Enable verbose mode\n\
         \t-w, --warn           Warn on duplicates\n\
         \t-V, --version        show version\n\
         \t-h, --help           show this help\n\
         \n\
         The following options are useful for people managing distributions:\n\
         \t-b, --basedir=DIR    Use an image of a module tree.\n\
         \t-F, --filesyms=FILE  Use the file instead of the\n\
         \t                     current kernel symbols.\n\
         \t-E, --symvers=FILE   Use Module.symvers file to check\n\
         \t                     symbol versions.\n"
    )
}

/// Settings gathered from the command line, before the version is known.
#[derive(Default)]
pub struct Args {
    pub opts: Options,
    pub quick: bool,
    pub verbose: bool,
    pub positional: Vec<std::ffi::OsString>,
}

/// depmod's options.
pub const SPEC: Spec = Spec { short: SHORT, long: LONG, kmod30: None, help };

/// The applet: parse kmod's options, run, print.
pub fn main(argv0: &std::ffi::OsStr, prog: &str, args: &[std::ffi::OsString]) -> i32 {
    let log = Log::new(prog);
    let mut a = Args::default();
    a.opts.moduledir = "lib/modules".into();
    match applet::parse(&SPEC, argv0, prog, args, |c, arg| apply(c, arg.unwrap_or_default(), &mut a, &log)) {
        Ok(positional) => a.positional = positional,
        Err(code) => return code,
    }
    run(a, &log)
}

impl Args {
    /// The options `rkmod deps` was given, as typed values: each goes through the
    /// applet's definition of the option it stands for. None when one ends the run.
    pub fn from_native(d: &super::native::DepsArgs, log: &Log) -> Option<Args> {
        let mut a = Args::default();
        a.opts.moduledir = "lib/modules".into();
        let flags = [
            (d.all, 'a'),
            (d.quick, 'A'),
            (d.errsyms, 'e'),
            (d.dry_run, 'n'),
            (d.verbose, 'v'),
            (d.warn, 'w'),
        ];
        let mut options: Vec<(char, Option<std::ffi::OsString>)> =
            flags.iter().filter(|(on, _)| *on).map(|&(_, c)| (c, None)).collect();
        let valued = [
            ('b', &d.basedir),
            ('m', &d.moduledir),
            ('o', &d.outdir),
            ('E', &d.symvers),
            ('F', &d.filesyms),
            ('P', &d.symbol_prefix),
        ];
        options.extend(valued.iter().filter_map(|(c, v)| v.as_ref().map(|v| (*c, Some(v.clone())))));
        options.extend(d.config.iter().map(|c| ('C', Some(c.clone()))));
        for (c, arg) in options {
            if let Flow::Exit(_) = apply(c, arg.unwrap_or_default(), &mut a, log) {
                return None;
            }
        }
        a.positional = d.version.iter().chain(&d.files).cloned().collect();
        Some(a)
    }
}

/// One option, as kmod's getopt loop acts on it.
fn apply(c: char, arg: std::ffi::OsString, a: &mut Args, log: &Log) -> Flow {
    match c {
        'a' => {}
        'A' => a.quick = true,
        'b' => a.opts.basedir = rkmod::info::absolute(std::path::Path::new(&arg)),
        // The engine keeps the module directory as text (bytes that are not UTF-8
        // become U+FFFD there).
        'm' => a.opts.moduledir = arg.to_string_lossy().trim_start_matches('/').to_string(),
        'o' => a.opts.outdir = Some(rkmod::info::absolute(std::path::Path::new(&arg))),
        'C' => a.opts.config.push(PathBuf::from(arg)),
        'E' => a.opts.symvers = Some(PathBuf::from(arg)),
        'F' => a.opts.system_map = Some(PathBuf::from(arg)),
        'e' => a.opts.errsyms = true,
        'u' | 'q' | 'r' => log.warn(&format!("Ignored deprecated option -{c}")),
        'v' => {
            a.verbose = true;
            a.opts.verbose = true;
        }
        'n' => a.opts.dry_run = true,
        'P' => {
            let arg = arg.to_string_lossy();
            let mut chars = arg.chars();
            match (chars.next(), chars.next()) {
                (Some(ch), None) => a.opts.symbol_prefix = Some(ch),
                _ => log.log(log::Level::Fatal, "-P only takes a single char"),
            }
        }
        'w' => a.opts.warn_dups = true,
        _ => {}
    }
    Flow::Go
}

/// `%u.%u` at the start, as kmod's `sscanf` check.
fn is_version(s: &str) -> bool {
    let digits = |s: &str| s.len() - s.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    let n = digits(s);
    n > 0 && s[n..].starts_with('.') && digits(&s[n + 1..]) > 0
}

/// Run with parsed arguments (shared by the applet and `rkmod deps`).
pub fn run(mut a: Args, log: &Log) -> i32 {
    if a.opts.basedir.as_os_str().is_empty() {
        a.opts.basedir = PathBuf::from("/");
    }
    a.opts.config_root = PathBuf::from("/");
    // The no-change cache: kept for the live tree by default; `RKMOD_DEPMOD_CACHE=1`
    // keeps it for any tree, `0` for none.
    a.opts.cache = match std::env::var(CACHE_ENV).as_deref() {
        Ok("1") => Some(true),
        Ok("0") => Some(false),
        _ => None,
    };
    let mut positional = a.positional.into_iter();
    match positional.next() {
        // The engine keeps the version as text (see -m).
        Some(v) if is_version(&v.to_string_lossy()) => a.opts.version = v.to_string_lossy().into_owned(),
        Some(v) => {
            use std::os::unix::ffi::OsStrExt;
            log.error(&[b"Bad version passed ", v.as_bytes()].concat());
            return 1;
        }
        None => match rkmod::kernel::kernel_release() {
            Ok(r) => a.opts.version = r,
            Err(e) => {
                log.error(&format!("uname() failed: {e}"));
                return 1;
            }
        },
    }
    a.opts.files = positional.map(PathBuf::from).collect();
    if a.opts.errsyms && a.opts.symvers.is_none() && a.opts.system_map.is_none() {
        log.warn("-e needs -E or -F");
        a.opts.errsyms = false;
    }
    if a.quick && !a.opts.dry_run && depmod::up_to_date(&a.opts.module_dir()) {
        return 0;
    }
    let report = depmod::run(&a.opts);
    if a.verbose {
        for line in &report.verbose {
            output::print(&format!("{line}\n"));
        }
    }
    for (level, msg) in &report.messages {
        let level = match level {
            Level::Fatal => log::Level::Fatal,
            Level::Error => log::Level::Error,
            Level::Warning => log::Level::Warning,
            Level::Info => log::Level::Info,
            _ => log::Level::Info,
        };
        log.log(level, msg);
    }
    output::write(&report.dry_run_output);
    i32::from(report.failed)
}
