//! Messages whose text is bytes (a module name, path or command as the user gave it):
//! kmod prints those bytes unchanged, so rkmod does too.
//!
//! [`Log`] takes `&str`; these helpers go through it whenever the message is UTF-8
//! and write the bytes themselves only when it is not, in the same `prog: LEVEL: msg`
//! form (syslog gets the text with U+FFFD). A FATAL message still ends the run
//! through [`Log::log`].

use std::io::Write;

use super::log::{Level, Log};

/// [`Log::log`] for a message that may not be UTF-8.
pub fn log(log: &Log, level: Level, msg: &[u8]) {
    let text = match std::str::from_utf8(msg) {
        Ok(text) => return log.log(level, text),
        Err(_) => String::from_utf8_lossy(msg),
    };
    if log.syslog {
        return log.log(level, &text);
    }
    if (level as i32) <= log.verbosity {
        let name = format!("{level:?}").to_ascii_uppercase();
        let line = [log.prog.as_bytes(), b": ", name.as_bytes(), b": ", msg, b"\n"].concat();
        let _ = std::io::stderr().lock().write_all(&line);
    }
    if level == Level::Fatal {
        // Already printed: a silent logger ends the run the way Log does.
        Log { prog: log.prog.clone(), verbosity: -1, syslog: false }.log(Level::Fatal, "");
    }
}

/// [`Log::error`] for bytes.
pub fn error(l: &Log, msg: &[u8]) {
    log(l, Level::Error, msg)
}

/// [`Log::plain`] for bytes.
pub fn plain(msg: &[u8]) {
    let _ = std::io::stderr().lock().write_all(&[msg, b"\n"].concat());
}

/// A getopt error as glibc prints it: `argv0: message`, both as bytes.
pub fn getopt_error(argv0: &std::ffi::OsStr, message: &[u8]) {
    use std::os::unix::ffi::OsStrExt;
    plain(&[argv0.as_bytes(), b": ", message].concat())
}
