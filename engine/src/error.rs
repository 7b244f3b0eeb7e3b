//! The library error: what failed, on which file, and the errno kmod would report.
//!
//! kmod's tools print `strerror(-err)` for library failures, so every error keeps the
//! errno kmod would have produced for the same failure (for example EINVAL for a
//! truncated ELF, ENOEXEC for a file that is not ELF at all). The CLI chooses the
//! wording; [`Error::detail`] says in plain words what was wrong for native output.

use std::path::PathBuf;

pub use nix::errno::Errno;

/// A library error with its errno and a human description.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A system call failed on a path.
    #[error("{path}: {}", errno_text(*errno))]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// What the system call returned.
        errno: Errno,
    },
    /// A module file is malformed (bad compression, bad ELF, ...).
    #[error("{path}: {what}")]
    BadModule {
        /// The module file.
        path: PathBuf,
        /// The errno libkmod returns for the same defect (EINVAL, ENOEXEC, ENOENT, ...).
        errno: Errno,
        /// What is wrong, in words.
        what: String,
    },
    /// An index file (`modules.*.bin`) is malformed.
    #[error("{path}: corrupt index: {what}")]
    BadIndex {
        /// The index file.
        path: PathBuf,
        /// What is wrong, in words.
        what: String,
    },
}

/// The library's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// Build an [`Error::Io`] from an `io::Error` on `path`.
    pub fn io(path: impl Into<PathBuf>, err: &std::io::Error) -> Error {
        Error::Io { path: path.into(), errno: io_errno(err) }
    }

    /// Build an [`Error::BadModule`].
    pub fn bad_module(path: impl Into<PathBuf>, errno: Errno, what: impl Into<String>) -> Error {
        Error::BadModule { path: path.into(), errno, what: what.into() }
    }

    /// The errno kmod would report for this failure.
    pub fn errno(&self) -> Errno {
        match self {
            Error::Io { errno, .. } | Error::BadModule { errno, .. } => *errno,
            Error::BadIndex { .. } => Errno::EINVAL,
        }
    }

    /// The plain-words reason, without the path (for native messages and hints).
    pub fn detail(&self) -> String {
        match self {
            Error::Io { errno, .. } => errno_text(*errno),
            Error::BadModule { what, .. } => what.clone(),
            Error::BadIndex { what, .. } => format!("corrupt index: {what}"),
        }
    }
}

/// The errno of an I/O error (EIO when it carries none).
pub fn io_errno(err: &std::io::Error) -> Errno {
    Errno::from_raw(err.raw_os_error().unwrap_or(libc::EIO))
}

/// `strerror(errno)` as the C library words it (never Rust's "(os error N)" suffix):
/// glibc's texts, which kmod prints (`Cannot allocate memory`, not nix's `Out of memory`).
pub fn errno_text(errno: Errno) -> String {
    let mut buf = [0 as libc::c_char; 256];
    // SAFETY: the buffer is valid for its length; XSI strerror_r NUL-terminates it.
    let rc = unsafe { libc::strerror_r(errno as i32, buf.as_mut_ptr(), buf.len()) };
    if rc != 0 {
        return format!("Unknown error {}", errno as i32);
    }
    // SAFETY: strerror_r succeeded, so buf holds a NUL-terminated string.
    unsafe { std::ffi::CStr::from_ptr(buf.as_ptr()) }.to_string_lossy().into_owned()
}
