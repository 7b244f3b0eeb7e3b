//! The `rkmod` command line as a library: the kmod-compatible applets (`modprobe`,
//! `depmod`, `insmod`, `rmmod`, `lsmod`, `modinfo`, `kmod`) and the native `rkmod`
//! subcommands, over the engine (the `rkmod` crate). The binary (`src/main.rs`) runs
//! [`cli::run`]; `cargo xtask` renders the man pages and completions from
//! [`cli::native::command`]. This is the only crate that prints.

pub mod cli;
