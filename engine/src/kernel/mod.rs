//! The kernel boundary: the module system calls behind one trait, and where the
//! running kernel's `/proc` and `/sys` are.
//!
//! - [`Kernel`] is the three module syscalls (`finit_module(2)`, `init_module(2)`,
//!   `delete_module(2)`). [`linux::Linux`] is the real one and the only code that makes
//!   them; `fake::FakeKernel` (the `testing` feature) is a test double that records every call and keeps a
//!   rooted `sys/module` tree and `proc/modules` as the kernel would.
//! - [`System`] bundles a kernel with the root its `/proc` and `/sys` are read under
//!   (`/` normally). [`System::detect`] picks the real kernel, or, in builds with the
//!   `testing` feature, the fake one rooted at `$RKMOD_TEST_ROOT`.
//! - [`sysfs`] reads module state as libkmod does (`initstate`, `refcnt`, `holders`,
//!   `coresize`, `/proc/modules`, `/sys/module/compression`).
//! - [`decode`] says whether the kernel's own decompressor can take a compressed file.

pub mod decode;
#[cfg(feature = "testing")]
pub mod fake;
pub mod linux;
pub mod sysfs;

use std::ffi::CStr;
use std::fs::File;
use std::path::{Path, PathBuf};

use crate::Errno;

pub use linux::kernel_release;

/// `finit_module` flag: ignore the symbol version CRCs (`--force-modversion`).
pub const MODULE_INIT_IGNORE_MODVERSIONS: u32 = 1;
/// `finit_module` flag: ignore the vermagic string (`--force-vermagic`).
pub const MODULE_INIT_IGNORE_VERMAGIC: u32 = 2;
/// `finit_module` flag: the file is compressed; the kernel decompresses it (6.4+).
pub const MODULE_INIT_COMPRESSED_FILE: u32 = 4;

/// `delete_module` flag: do not wait for the module to become unused (always set).
pub const O_NONBLOCK: u32 = libc::O_NONBLOCK as u32;
/// `delete_module` flag: remove even when in use (`rmmod -f`; CONFIG_MODULE_FORCE_UNLOAD).
pub const O_TRUNC: u32 = libc::O_TRUNC as u32;

/// The module system calls. Errors are errno values, as the kernel returns them.
pub trait Kernel {
    /// `finit_module(fd, params, flags)`.
    fn finit_module(&self, file: &File, params: &CStr, flags: u32) -> Result<(), Errno>;
    /// `init_module(image, len, params)`.
    fn init_module(&self, image: &[u8], params: &CStr) -> Result<(), Errno>;
    /// `delete_module(name, flags)`.
    fn delete_module(&self, name: &CStr, flags: u32) -> Result<(), Errno>;
}

/// A kernel and the root its `/proc` and `/sys` live under.
pub struct System {
    root: PathBuf,
    kernel: Box<dyn Kernel>,
    release: Option<String>,
}

impl System {
    /// The running kernel: syscalls for real, `/proc` and `/sys` at `/`.
    pub fn linux() -> System {
        System { root: PathBuf::from("/"), kernel: Box::new(linux::Linux), release: None }
    }

    /// The fake kernel rooted at `root` (`root/sys/module`, `root/proc/modules`).
    #[cfg(feature = "testing")]
    pub fn fake(root: impl Into<PathBuf>) -> System {
        let root = root.into();
        let release = std::fs::read_to_string(root.join("proc/sys/kernel/osrelease"))
            .ok()
            .map(|s| s.trim_end().to_string());
        System { kernel: Box::new(fake::FakeKernel::new(&root)), root, release }
    }

    /// The system the tools act on: the real kernel, or in `testing` builds the fake
    /// kernel rooted at `$RKMOD_TEST_ROOT` when that is set.
    pub fn detect() -> System {
        #[cfg(feature = "testing")]
        if let Some(root) = std::env::var_os("RKMOD_TEST_ROOT") {
            return System::fake(PathBuf::from(root));
        }
        System::linux()
    }

    /// The module syscalls.
    pub fn kernel(&self) -> &dyn Kernel {
        self.kernel.as_ref()
    }

    /// The root `/proc` and `/sys` are under.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Whether this is the real kernel at `/` (as opposed to a test root).
    pub fn is_real(&self) -> bool {
        self.root == Path::new("/")
    }

    /// `uname -r` of this kernel.
    pub fn release(&self) -> std::io::Result<String> {
        match &self.release {
            Some(r) => Ok(r.clone()),
            None => kernel_release(),
        }
    }

    /// The module directory of kernel `version` (`ROOT/lib/modules/VERSION`), for the
    /// tools that take no `-b`/`-d` (rmmod's builtin check, `kmod static-nodes`).
    pub fn module_dir(&self, version: impl AsRef<std::ffi::OsStr>) -> PathBuf {
        self.root.join("lib/modules").join(version.as_ref())
    }

    /// Module state readers under this root.
    pub fn sysfs(&self) -> sysfs::Sysfs {
        sysfs::Sysfs::new(&self.root)
    }
}
