//! Buffered standard output shared by every applet.
//!
//! stdout is block-buffered like C's stdio when it is not a terminal (so output and
//! error messages interleave as kmod's do) and line-buffered on a terminal. Write
//! errors (a closed pipe with SIGPIPE ignored, a full disk) end output quietly, as
//! `printf` in kmod does; the exit status is the tool's own.

use std::cell::RefCell;
use std::io::{IsTerminal, Write};

thread_local! {
    static OUT: RefCell<Option<Box<dyn Write>>> = const { RefCell::new(None) };
}

fn with_out<R>(f: impl FnOnce(&mut dyn Write) -> R) -> R {
    OUT.with(|cell| {
        let mut slot = cell.borrow_mut();
        let w = slot.get_or_insert_with(|| {
            let stdout = std::io::stdout();
            if stdout.is_terminal() {
                Box::new(std::io::LineWriter::new(stdout))
            } else {
                Box::new(std::io::BufWriter::with_capacity(4096, stdout))
            }
        });
        f(w.as_mut())
    })
}

/// Write bytes to stdout (errors are dropped: see the module docs).
pub fn write(bytes: &[u8]) {
    with_out(|w| {
        let _ = w.write_all(bytes);
    })
}

/// Write a string to stdout.
pub fn print(s: &str) {
    write(s.as_bytes())
}

/// Flush stdout; called before exit.
pub fn flush_stdout() {
    with_out(|w| {
        let _ = w.flush();
    })
}
