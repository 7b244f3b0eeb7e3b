//! rkmod: everything about Linux kernel modules, as a library.
//!
//! The binary (`src/main.rs`, `src/cli/`) is a thin layer over this crate; nothing here
//! prints or exits. The map:
//!
//! - [`module`]: module files (`.ko`, `.ko.xz`, `.ko.zst`, `.ko.gz`): decompression,
//!   ELF sections, `.modinfo`, `__versions`, exports, signatures.
//! - [`index`]: the `modules.*.bin` BOOTFAST tries and the lookups kmod makes through them.
//! - [`fnmatch`]: fnmatch(3) with flags 0, the matcher behind every alias wildcard.
//! - [`name`]: module-name and alias normalisation (`-` → `_`).
//! - [`lookup`]: resolving a name, alias or path to modules in a module directory.
//! - [`info`]: what modinfo shows: the modules one argument names (file, name, alias,
//!   builtin) and each one's `.modinfo` fields, signature and build-id.
//! - [`resolve`]: modprobe's resolution as data: what it would insert, run or skip.
//! - [`kernel`]: the module syscalls behind a trait (real and fake), module state in
//!   `/sys` and `/proc`.
//! - [`insert`]: one module file into the kernel (finit/init, in-kernel or userspace
//!   decompression, force).
//! - [`explain`]: one name's resolution with the config file and line behind each step.
//! - [`probe`] and [`unload`]: modprobe's insertion loop over a plan, and its removal.
//! - [`error`]: the library's error type, which keeps errno and context.
//! - [`json`]: how byte strings are written in rkmod's JSON documents.

#![warn(missing_docs)]

pub mod config;
pub mod depmod;
pub mod error;
pub mod explain;
pub mod fnmatch;
pub mod index;
pub mod info;
pub mod insert;
#[cfg(feature = "serde")]
pub mod json;
pub mod kernel;
pub mod kmod30;
pub mod lookup;
pub mod module;
pub mod name;
pub mod probe;
pub mod resolve;
pub mod unload;

pub use error::{Errno, Error, Result};
