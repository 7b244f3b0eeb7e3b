//! `libkmod.so.2` on rkmod's engine: libkmod's C ABI, so that udevd's coldplug,
//! systemd-modules-load, dracut-install and libndctl load and inspect modules through
//! rkmod in-process.
//!
//! This crate is only the C boundary: handles, lists, strings, errno-style returns and
//! the log callback. Everything a function answers comes from the engine (`rkmod`):
//! lookups and probe plans from [`rkmod::resolve`], module files from
//! [`rkmod::module`], the kernel's state and the module system calls from
//! [`rkmod::kernel`]. The functions, their version nodes (`c/libkmod.sym`) and their
//! contracts are kmod 34.2's; where Debian 12's kmod 30 behaves otherwise and kmod
//! 34.2 does not differ, kmod 30's observable behaviour (messages included) is kept,
//! as the applets do (docs/kmod-versions.md).
//!
//! | file | C API |
//! | --- | --- |
//! | [`ctx`] | `struct kmod_ctx`: configuration, module directory, object pool, resources |
//! | [`module`] | `struct kmod_module`: a reference-counted handle on an engine module object |
//! | [`list`] | `struct kmod_list`: the circular lists every getter returns |
//! | [`log`] | the log function, priority and messages |
//! | [`api`] | context, lookups, names, paths, options, commands, dependencies, filters |
//! | [`api_probe`] | `kmod_module_probe_insert_module` |
//! | [`api_kernel`] | insert, remove, loaded modules, initstate, refcnt, holders, sections, size |
//! | [`api_info`] | modinfo, `__versions`, exported and dependency symbols |
//! | [`api_config`] | configuration iterators, `kmod_dump_index`, resources |
//!
//! **Never take the host down.** Every exported function runs inside
//! [`ffi::guard`]: a panic is caught and becomes the function's error value, never an
//! unwind into C or an abort. NULL and invalid arguments give libkmod's answers
//! (`-ENOENT`, `-EINVAL`, NULL). Nothing here keeps global state: two contexts in one
//! process share nothing.
//!
//! **Safety contract of the exported functions** (as libkmod's): pointers are NULL or
//! point to live objects this library returned (contexts, modules, lists, iterators)
//! or to NUL-terminated strings; objects are not used after their last unref or free;
//! one context and what it returned are used from one thread at a time.
#![allow(clippy::missing_safety_doc)]

pub mod api;
pub mod api_config;
pub mod api_info;
pub mod api_kernel;
pub mod api_probe;
pub mod ctx;
pub mod ffi;
pub mod list;
pub mod log;
pub mod module;

#[cfg(test)]
mod tests;
