//! The kernel boundary: the running kernel's identity and, later, module syscalls.
//!
//! Everything that asks the running kernel something goes through here, so tests can
//! point at a rooted tree instead. Module syscalls live only in [`linux`].

pub mod linux;

pub use linux::kernel_release;
