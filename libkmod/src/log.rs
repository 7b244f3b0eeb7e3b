//! libkmod's logging: a priority (default `LOG_ERR`, `KMOD_LOG` in the environment
//! overrides it), a log function with its data (`kmod_set_log_fn`), and the default
//! one that writes `libkmod: PRIORITY FILE:LINE function: message` to stderr, as
//! Debian 12's libkmod (built with its debug prefix) does, with kmod 30's origins. Every message goes out whole: one call of the program's
//! function, or one `write(2)` to stderr.

use std::cell::Cell;
use std::ffi::{c_char, c_int, c_void, CString};
use std::io::Write;

/// `LOG_ERR`.
pub const LOG_ERR: c_int = 3;
/// `LOG_INFO`.
pub const LOG_INFO: c_int = 6;
/// `LOG_DEBUG`.
pub const LOG_DEBUG: c_int = 7;

extern "C" {
    /// glibc's `secure_getenv` (NULL in set-uid programs), as libkmod reads `KMOD_LOG`.
    fn secure_getenv(name: *const c_char) -> *mut c_char;
    /// c/shim.c: calls `f(data, priority, file, line, fn, "%s", va_list{message})`.
    fn rkmod_libkmod_log(
        f: *const c_void,
        data: *mut c_void,
        priority: c_int,
        file: *const c_char,
        line: c_int,
        func: *const c_char,
        message: *const c_char,
    );
}

/// A context's logging state.
pub struct Log {
    /// The program's log function (NULL: the default, stderr).
    func: Cell<*const c_void>,
    data: Cell<*mut c_void>,
    priority: Cell<c_int>,
}

impl Log {
    /// Defaults: stderr, `LOG_ERR`, then `KMOD_LOG` (read as libkmod reads it).
    pub fn new() -> Log {
        let log = Log {
            func: Cell::new(std::ptr::null()),
            data: Cell::new(std::ptr::null_mut()),
            priority: Cell::new(LOG_ERR),
        };
        if let Some(v) = env(c"KMOD_LOG") {
            log.priority.set(priority_from_env(&v));
        }
        log
    }

    /// The priority (`kmod_get_log_priority`).
    pub fn priority(&self) -> c_int {
        self.priority.get()
    }

    /// `kmod_set_log_priority`.
    pub fn set_priority(&self, p: c_int) {
        self.priority.set(p)
    }

    /// `kmod_set_log_fn`: NULL restores nothing (libkmod stores it and then never
    /// logs); we keep the same: a NULL function silences the context.
    pub fn set_fn(&self, func: *const c_void, data: *mut c_void) {
        self.func.set(if func.is_null() { SILENT } else { func });
        self.data.set(data);
    }

    /// Whether a message of this priority is passed on.
    pub fn enabled(&self, priority: c_int) -> bool {
        priority <= self.priority.get() && self.func.get() != SILENT
    }

    /// Log `message` (bytes, a trailing newline included as libkmod's formats have it)
    /// from libkmod function `func` (which may carry a `/suffix` naming one of its
    /// call sites, [`rkmod::kmod30::origin`]).
    pub fn log(&self, priority: c_int, func: &str, message: &[u8]) {
        if !self.enabled(priority) {
            return;
        }
        let f = self.func.get();
        if f.is_null() {
            // Debian 12's libkmod is built with its debug prefix: `FILE:LINE FUNC: `.
            let prefix = rkmod::kmod30::default_logger_prefix(&priority_name(priority), func);
            let line = [prefix.as_bytes(), message].concat();
            let _ = std::io::stderr().lock().write_all(&line);
            return;
        }
        let msg = crate::ffi::cstring(message);
        // The file and line Debian's libkmod passes for the same message.
        let origin = rkmod::kmod30::origin(func);
        let (file, line) = match origin.rsplit_once(':') {
            Some((f, l)) => (f, l.parse().unwrap_or(0)),
            None => (origin, 0),
        };
        let file = CString::new(file).unwrap_or_default();
        let func = CString::new(rkmod::kmod30::function(func)).unwrap_or_default();
        // SAFETY: f is the program's log function, given to kmod_set_log_fn with data.
        unsafe {
            rkmod_libkmod_log(f, self.data.get(), priority, file.as_ptr(), line, func.as_ptr(), msg.as_ptr())
        }
    }
}

impl Default for Log {
    fn default() -> Log {
        Log::new()
    }
}

/// A NULL function given to `kmod_set_log_fn` (libkmod then calls nothing).
const SILENT: *const c_void = std::ptr::dangling();

fn env(name: &std::ffi::CStr) -> Option<Vec<u8>> {
    // SAFETY: a NUL-terminated name; the value is copied at once.
    let p = unsafe { secure_getenv(name.as_ptr()) };
    // SAFETY: getenv returns NULL or a NUL-terminated string.
    unsafe { crate::ffi::bytes(p) }.map(<[u8]>::to_vec)
}

/// `KMOD_LOG`'s value as libkmod reads it: a number (strtol, followed by nothing or
/// a blank), else a name starting with `err`, `info` or `debug`, else 0.
pub fn priority_from_env(v: &[u8]) -> c_int {
    let (n, rest) = crate::api_kernel::parse_long(v, 10, false);
    if rest.first().is_none_or(|c| c.is_ascii_whitespace()) {
        return n as c_int;
    }
    if v.starts_with(b"err") {
        LOG_ERR
    } else if v.starts_with(b"info") {
        LOG_INFO
    } else if v.starts_with(b"debug") {
        LOG_DEBUG
    } else {
        0
    }
}

fn priority_name(p: c_int) -> String {
    match p {
        0 => "EMERGENCY".into(),
        1 => "ALERT".into(),
        2 => "CRITICAL".into(),
        3 => "ERROR".into(),
        4 => "WARNING".into(),
        5 => "NOTICE".into(),
        6 => "INFO".into(),
        7 => "DEBUG".into(),
        _ => format!("L:{p}"),
    }
}

/// The unit tests link without c/shim.c (only `cargo xtask libkmod` compiles it): a
/// stand-in that drops the message. No test sets a log function.
#[cfg(test)]
mod shim_stand_in {
    use std::ffi::{c_char, c_int, c_void};

    #[no_mangle]
    extern "C" fn rkmod_libkmod_log(
        _f: *const c_void,
        _data: *mut c_void,
        _priority: c_int,
        _file: *const c_char,
        _line: c_int,
        _func: *const c_char,
        _message: *const c_char,
    ) {
    }
}
