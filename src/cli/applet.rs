//! The applets' command-line driver: one place that parses kmod's options the way
//! kmod's tools do, answers `-h` and `-V`, and reports getopt errors.
//!
//! kmod's tools run glibc's `getopt_long` over their argument vector and act on each
//! option as it comes: `-h` prints the help and exits 0, `-V` the version, an option
//! that does not take (`--wait abc`) ends the run with its own message, and a getopt
//! error comes only after every option before it has acted (`-h --bogus` prints help
//! and exits 0). Each applet states its options once, in a [`Spec`]; the driver hands
//! every other option, in order, to the applet.

use std::ffi::{OsStr, OsString};

use super::getopt::{getopt_long, positionals, LongOpt, Parsed};
use super::output;

/// What an applet's option table is.
pub struct Spec {
    /// glibc short-option string (`"fsvVh"`).
    pub short: &'static str,
    /// Long options, with their short letter or a private id.
    pub long: &'static [LongOpt],
    /// kmod 30's option table, when the applet accepts more than kmod 30 did: a
    /// command line wrong for both gets kmod 30's getopt message (`--force-v` is
    /// ambiguous only among the newer options).
    pub kmod30: Option<(&'static str, &'static [LongOpt])>,
    /// The help text for the program name.
    pub help: fn(&str) -> String,
}

/// What an option did.
pub enum Flow {
    /// Go on with the next one.
    Go,
    /// End the run with this exit status (the option printed why).
    Exit(i32),
}

/// Parse `args` by `spec`, handing each option (its id and argument) to `on` in
/// command-line order. `-h` and `-V`, when the table has them, are answered here.
/// Returns the positional arguments, or the exit status when an option or a getopt
/// error ended the run. `argv0` is printed raw in getopt errors (as glibc does); `prog`
/// is the name the help text shows.
pub fn parse(
    spec: &Spec,
    argv0: &OsStr,
    prog: &str,
    args: &[OsString],
    mut on: impl FnMut(char, Option<OsString>) -> Flow,
) -> Result<Vec<OsString>, i32> {
    let mut act = |parsed: &[Parsed]| -> Result<(), i32> {
        for p in parsed {
            let Parsed::Opt(c, arg) = p else { continue };
            match *c {
                'h' if spec.short.contains('h') => {
                    output::print(&(spec.help)(prog));
                    return Err(0);
                }
                'V' if spec.short.contains('V') => {
                    output::print(&super::version_text());
                    return Err(0);
                }
                c => {
                    if let Flow::Exit(code) = on(c, arg.clone()) {
                        return Err(code);
                    }
                }
            }
        }
        Ok(())
    };
    match getopt_long(args, spec.short, spec.long) {
        Ok(parsed) => {
            act(&parsed)?;
            Ok(positionals(parsed))
        }
        Err(e) => {
            act(&e.parsed)?;
            let message = match spec.kmod30.map(|(short, long)| getopt_long(args, short, long)) {
                Some(Err(k)) => k.message,
                _ => e.message,
            };
            super::log::getopt_error(argv0, &message);
            Err(1)
        }
    }
}
