//! The C boundary's helpers: catching panics, reading C strings, errno returns.

use std::ffi::{c_char, c_int, CStr, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};

/// Run the body of an exported function: a panic becomes `fallback` (it never unwinds
/// into C; the default panic hook has already written one line to stderr).
pub fn guard<R>(fallback: R, body: impl FnOnce() -> R) -> R {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or(fallback)
}

/// The bytes of a C string (None for NULL).
///
/// # Safety
/// `p` is NULL or a NUL-terminated string that outlives `'a`.
pub unsafe fn bytes<'a>(p: *const c_char) -> Option<&'a [u8]> {
    if p.is_null() {
        None
    } else {
        // SAFETY: the caller's contract.
        Some(unsafe { CStr::from_ptr(p) }.to_bytes())
    }
}

/// A C string of `b`, cut at its first NUL (C strings cannot hold one).
pub fn cstring(b: &[u8]) -> CString {
    let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
    CString::new(&b[..end]).unwrap_or_default()
}

/// `-errno` as libkmod returns it.
pub fn neg(e: rkmod::Errno) -> c_int {
    -(e as c_int)
}

/// The errno of an I/O error (EIO when it has none).
pub fn io_neg(e: &std::io::Error) -> c_int {
    -e.raw_os_error().unwrap_or(libc::EIO)
}

/// libkmod's PATH_MAX (its buffers for names, keys and paths).
pub const PATH_MAX: usize = 4096;

/// The C library's `strerror` text of an errno (what libkmod's `%m` and
/// `strerror(-err)` print).
pub fn strerror(errno: c_int) -> &'static str {
    rkmod::Errno::from_raw(errno).desc()
}
