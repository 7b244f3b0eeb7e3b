//! The one logging funnel: `prog: LEVEL: msg` on stderr, or syslog with `-s`.
//!
//! Mirrors kmod's `tools/log.c`: levels FATAL (LOG_CRIT), ERROR, WARNING, NOTICE, INFO,
//! DEBUG; a message is shown when its priority is at or above the verbosity (default
//! LOG_WARNING for most tools; `-v` raises, `-q` silences). A FATAL message ends the
//! process with exit status 1 once printed, as kmod's LOG_CRIT does.
//!
//! Every line leaves in one write(2) (see [`line()`]), so the lines of several rkmod
//! processes sharing a stderr (udev workers, the kernel's parallel modprobes, package
//! hooks) never interleave mid-line. Messages are bytes: names and paths that are not
//! UTF-8 are printed as they are, as kmod prints them.

use std::io::Write;

/// syslog(3) priorities, as kmod uses them.
#[allow(dead_code)] // DEBUG is not used yet
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Fatal = 2,
    Error = 3,
    Warning = 4,
    Notice = 5,
    Info = 6,
    Debug = 7,
}

impl Level {
    fn name(self) -> &'static str {
        match self {
            Level::Fatal => "FATAL",
            Level::Error => "ERROR",
            Level::Warning => "WARNING",
            Level::Notice => "NOTICE",
            Level::Info => "INFO",
            Level::Debug => "DEBUG",
        }
    }
}

/// Where messages go and which are shown.
pub struct Log {
    pub prog: String,
    /// Highest priority number still shown (LOG_WARNING = 4 by default).
    pub verbosity: i32,
    pub syslog: bool,
}

impl Log {
    pub fn new(prog: &str) -> Log {
        Log { prog: prog.to_string(), verbosity: Level::Warning as i32, syslog: false }
    }

    /// Print one message (without trailing newline) at `level`.
    pub fn log(&self, level: Level, msg: &(impl AsRef<[u8]> + ?Sized)) {
        self.log_raw(level, msg.as_ref());
        if level == Level::Fatal {
            super::output::flush_stdout();
            std::process::exit(1);
        }
    }

    /// A message without the level word, `prog: msg`, shown at `level` (rkmod's own
    /// notes, which name their file and line instead: `rkmod: a.conf:5: ignoring ...`).
    pub fn say(&self, level: Level, msg: &(impl AsRef<[u8]> + ?Sized)) {
        if (level as i32) <= self.verbosity {
            if self.syslog {
                send_syslog(&self.prog, level, msg.as_ref());
            } else {
                line(&[self.prog.as_bytes(), b": ", msg.as_ref()]);
            }
        }
    }

    pub fn error(&self, msg: &(impl AsRef<[u8]> + ?Sized)) {
        self.log(Level::Error, msg)
    }

    pub fn warn(&self, msg: &(impl AsRef<[u8]> + ?Sized)) {
        self.log(Level::Warning, msg)
    }

    #[allow(dead_code)]
    pub fn info(&self, msg: &(impl AsRef<[u8]> + ?Sized)) {
        self.log(Level::Info, msg)
    }

    /// A libkmod message once the tool has hooked libkmod's logging
    /// (`log_setup_kmod_log`): `prog: LEVEL: FILE:LINE FUNC() msg`, where FILE:LINE is
    /// where kmod 30's libkmod logs it (Debian builds keep that in messages).
    pub fn libkmod(&self, level: Level, func: &str, msg: &(impl AsRef<[u8]> + ?Sized)) {
        self.log_raw(level, &[rkmod::kmod30::hooked_prefix(func).as_bytes(), msg.as_ref()].concat());
    }

    /// A libkmod message with libkmod's own logger (tools that do not hook it, such as
    /// insmod and lsmod): `libkmod: LEVEL FILE:LINE FUNC: msg`, shown from ERROR up.
    pub fn libkmod_default(&self, level: Level, func: &str, msg: &(impl AsRef<[u8]> + ?Sized)) {
        if self.syslog {
            self.log_raw(level, msg.as_ref());
        } else if level <= Level::Error {
            line(&[rkmod::kmod30::default_logger_prefix(level.name(), func).as_bytes(), msg.as_ref()]);
        }
    }

    /// Like [`Log::log`] but never ends the process (libkmod's messages do not).
    fn log_raw(&self, level: Level, msg: &[u8]) {
        if (level as i32) <= self.verbosity {
            if self.syslog {
                send_syslog(&self.prog, level, msg);
            } else {
                line(&[self.prog.as_bytes(), b": ", level.name().as_bytes(), b": ", msg]);
            }
        }
    }

    /// A message printed as is (see [`plain`]).
    pub fn plain(&self, msg: &(impl AsRef<[u8]> + ?Sized)) {
        plain(msg)
    }
}

/// A message printed as is, without a program or level (kmod's plain `fprintf`s).
pub fn plain(msg: &(impl AsRef<[u8]> + ?Sized)) {
    line(&[msg.as_ref()]);
}

/// A getopt error as glibc prints it: `ARGV0: message`, both as bytes.
pub fn getopt_error(argv0: &std::ffi::OsStr, message: &[u8]) {
    use std::os::unix::ffi::OsStrExt;
    line(&[argv0.as_bytes(), b": ", message]);
}

/// Write the parts and a newline to stderr in one write(2). A failed write has nowhere
/// to be reported; a short write (a pipe full to the brim) is finished by `write_all`.
pub fn line(parts: &[&[u8]]) {
    let mut buf = parts.concat();
    buf.push(b'\n');
    raw(&buf);
}

/// Write bytes to stderr as they are, in one write(2) (see [`line()`]).
pub fn raw(bytes: &[u8]) {
    let _ = std::io::stderr().lock().write_all(bytes);
}

/// Send one message to syslog (LOG_DAEMON, ident = program name), as kmod's `-s` does.
fn send_syslog(prog: &str, level: Level, msg: &[u8]) {
    use std::os::unix::net::UnixDatagram;
    // RFC 3164 framing over /dev/log, the socket syslog(3) itself writes to.
    let pri = (3 << 3) | level as i32;
    let head = format!("<{pri}>{prog}: {}: ", level.name());
    if let Ok(sock) = UnixDatagram::unbound() {
        let _ = sock.send_to(&[head.as_bytes(), msg].concat(), "/dev/log");
    }
}
