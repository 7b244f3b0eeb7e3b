//! Making file descriptors 0, 1 and 2 safe before anything else runs.
//!
//! The kernel's `request_module` starts `/sbin/modprobe` with 0-2 closed, and in an early
//! initramfs there may be no `/dev/null`. Left closed, the next `open` would return fd 1
//! or 2 and messages would land in whatever file that is. Each hole is filled with
//! `/dev/null`, or, when that cannot be opened, with a read-only descriptor of `/` (writes
//! to it fail harmlessly with EBADF). The caller learns whether stderr was missing, so it
//! can log to syslog instead, as kmod's modprobe does.

use std::fs::File;
use std::os::fd::{AsRawFd, IntoRawFd};

/// What was found at start-up.
#[derive(Clone, Copy, Debug, Default)]
pub struct Stdio {
    /// fd 2 was closed: messages should go to syslog.
    pub stderr_missing: bool,
}

/// Fill closed descriptors among 0-2. `open` returns the lowest free number, so each
/// successful open below 3 plugs exactly one hole.
pub fn sanitize() -> Stdio {
    let mut stdio = Stdio::default();
    for _ in 0..3 {
        let file = File::options().read(true).write(true).open("/dev/null").or_else(|_| File::open("/"));
        let Ok(file) = file else { break };
        if file.as_raw_fd() > 2 {
            // Every standard descriptor is open; dropping `file` gives this one back.
            break;
        }
        if file.as_raw_fd() == 2 {
            stdio.stderr_missing = true;
        }
        // Keep it open for good: it now stands in for a standard descriptor.
        let _ = file.into_raw_fd();
    }
    stdio
}
