//! The real Linux kernel: the only file that makes module system calls
//! (`finit_module(2)`, `init_module(2)`, `delete_module(2)`, through nix) and asks
//! `uname(2)` for the release.

use std::ffi::CStr;
use std::fs::File;

use nix::kmod::{DeleteModuleFlags, ModuleInitFlags};

use super::Kernel;
use crate::Errno;

/// The running kernel's release (`uname -r`), as kmod uses it for `/lib/modules/<release>`.
pub fn kernel_release() -> std::io::Result<String> {
    let u = nix::sys::utsname::uname().map_err(std::io::Error::from)?;
    Ok(u.release().to_string_lossy().into_owned())
}

/// The module syscalls of the running kernel.
pub struct Linux;

impl Kernel for Linux {
    fn finit_module(&self, file: &File, params: &CStr, flags: u32) -> Result<(), Errno> {
        nix::kmod::finit_module(file, params, ModuleInitFlags::from_bits_retain(flags))
    }

    fn init_module(&self, image: &[u8], params: &CStr) -> Result<(), Errno> {
        nix::kmod::init_module(image, params)
    }

    fn delete_module(&self, name: &CStr, flags: u32) -> Result<(), Errno> {
        let flags = DeleteModuleFlags::from_bits_retain(flags as libc::c_int);
        nix::kmod::delete_module(name, flags)
    }
}
