//! The `rkmod` binary: `argv[0]` picks the applet (`modinfo`, `modprobe`, ... or `rkmod`).
//!
//! `#![cfg_attr(not(test), no_main)]` on purpose: Rust's usual start-up aborts when file descriptors 0-2 are
//! closed and `/dev/null` cannot be opened, which is exactly how the kernel starts
//! `/sbin/modprobe` in an early initramfs. Here the C `main` fills the holes itself
//! (see `cli::stdio`) and SIGPIPE keeps its default action, so `modinfo ... | head`
//! ends quietly like kmod's C tools.
#![cfg_attr(not(test), no_main)]
// Under `cargo test` the entry point below is compiled out, so nothing looks used.
#![cfg_attr(test, allow(dead_code, unused_imports))]

use rkmod_cli::cli;
use std::ffi::{c_char, c_int};

// The unit-test harness brings its own `main`.
#[cfg(not(test))]
#[unsafe(no_mangle)]
extern "C" fn main(_argc: c_int, _argv: *const *const c_char) -> c_int {
    let stdio = cli::stdio::sanitize();
    let code = cli::run(std::env::args_os().collect(), stdio);
    cli::output::flush_stdout();
    code
}
