//! The `modinfo` applet: kmod 30's `modinfo` options, help, messages and exit codes.
//!
//! `modinfo [options] <modulename|filename|alias>...` with the short options
//! `adlpn0mF:k:b:Vh` parsed as glibc's getopt_long does (see `getopt.rs`). The printing
//! is shared with `rkmod info` in `info.rs`.

use super::applet::{self, Flow, Spec};
use super::getopt::{HasArg, LongOpt};
use super::info::{self, InfoOptions};
use super::log::Log;

const SHORT: &str = "adlpn0mF:k:b:Vh";
const LONG: &[LongOpt] = &[
    LongOpt::new("author", HasArg::No, 'a'),
    LongOpt::new("description", HasArg::No, 'd'),
    LongOpt::new("license", HasArg::No, 'l'),
    LongOpt::new("parameters", HasArg::No, 'p'),
    LongOpt::new("filename", HasArg::No, 'n'),
    LongOpt::new("null", HasArg::No, '0'),
    LongOpt::new("modname", HasArg::No, 'm'),
    LongOpt::new("field", HasArg::Required, 'F'),
    LongOpt::new("set-version", HasArg::Required, 'k'),
    LongOpt::new("basedir", HasArg::Required, 'b'),
    LongOpt::new("version", HasArg::No, 'V'),
    LongOpt::new("help", HasArg::No, 'h'),
];

fn help(prog: &str) -> String {
    format!(
        "Usage:\n\
         \t{prog} [options] <modulename|filename> [args]\n\
         Options:\n\
         \t-a, --author                Print only 'author'\n\
         \t-d, --description           Print only 'description'\n\
         \t-l, --license               Print only 'license'\n\
         \t-p, --parameters            Print only 'parm'\n\
         \t-n, --filename              Print only 'filename'\n\
         \t-0, --null                  Use \\0 instead of \\n\n\
         \t-m, --modname               Handle argument as module name instead of alias or filename\n\
         \t-F, --field=FIELD           Print only provided FIELD\n\
         \t-k, --set-version=VERSION   Use VERSION instead of `uname -r`\n\
         \t-b, --basedir=DIR           Use DIR as filesystem root for /lib/modules\n\
         \t-V, --version               Show version\n\
         \t-h, --help                  Show this help\n"
    )
}

/// modinfo's options.
pub const SPEC: Spec = Spec { short: SHORT, long: LONG, kmod30: None, help };

/// Run the applet. `argv0` is printed raw in getopt errors (as glibc does); `prog` is
/// its basename, used in `modinfo: ERROR:` prefixes.
pub fn main(argv0: &std::ffi::OsStr, prog: &str, args: &[std::ffi::OsString]) -> i32 {
    let log = Log::new(prog);
    let mut opts = InfoOptions::default();
    let names = match applet::parse(&SPEC, argv0, prog, args, |c, arg| {
        match c {
            'a' => opts.field = Some("author".into()),
            'd' => opts.field = Some("description".into()),
            'l' => opts.field = Some("license".into()),
            'p' => opts.field = Some("parm".into()),
            'n' => opts.field = Some("filename".into()),
            '0' => opts.null = true,
            'm' => opts.modname_only = true,
            'F' => opts.field = arg.map(std::os::unix::ffi::OsStringExt::into_vec),
            'k' => opts.kversion = arg,
            'b' => opts.basedir = arg,
            _ => {}
        }
        Flow::Go
    }) {
        Ok(names) => names,
        Err(code) => return code,
    };
    if names.is_empty() {
        log.error("missing module or filename.");
        return 1;
    }
    info::run(&opts, &names, &log)
}
