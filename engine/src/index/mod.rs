//! The `modules.*.bin` indexes that depmod writes and libkmod reads.
//!
//! All five binary indexes (`modules.dep.bin`, `modules.alias.bin`,
//! `modules.symbols.bin`, `modules.builtin.bin`, `modules.builtin.alias.bin`) share one
//! on-disk format: kmod's "BOOTFAST" big-endian Patricia trie (magic `0xB007F457`,
//! version 2.1), mapping 7-bit ASCII keys to lists of `(priority, value)` pairs.
//! [`bin`] reads it ([`Index`]: exact lookup, wildcard lookup, dump) and writes it
//! ([`IndexBuilder`], in kmod >= 34's pre-order layout).

pub mod bin;

pub use bin::{Index, IndexBuilder, IndexError, IndexValue};
