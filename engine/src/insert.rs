//! Inserting one module file into the kernel: which system call, which flags, and
//! when to decompress in userspace.
//!
//! The route, in order:
//!
//! 1. An uncompressed file goes to `finit_module(fd, params, flags)`; the force flags
//!    become `MODULE_INIT_IGNORE_VERMAGIC` / `MODULE_INIT_IGNORE_MODVERSIONS`.
//! 2. A compressed file goes to `finit_module` with `MODULE_INIT_COMPRESSED_FILE` when
//!    `/sys/module/compression` names its format **and** the kernel's decoder can take
//!    this stream ([`crate::kernel::decode`]: for xz, a CRC32 or no check and LZMA2
//!    alone). kmod 31+ makes the first test only and fails on xz's default CRC64.
//! 3. Otherwise, or when `finit_module` is ENOSYS (Linux before 3.8), the file is
//!    decompressed here and given to `init_module`; the force options then strip the
//!    image ([`crate::module::strip`]).
//!
//! A failed system call is never retried another way: the kernel returns EINVAL for
//! bad parameters and for a module whose init function failed alike, and a second
//! attempt could run that init twice.

use std::ffi::CString;
use std::fs::File;
use std::io::Read;
use std::path::Path;

use crate::error::Error;
use crate::kernel::sysfs::KernelCompression;
use crate::kernel::{
    decode, System, MODULE_INIT_COMPRESSED_FILE, MODULE_INIT_IGNORE_MODVERSIONS, MODULE_INIT_IGNORE_VERMAGIC,
};
use crate::module::file::decompress;
use crate::module::strip::{strip, Strip};

use crate::module::Compression;

/// The force switches (`-f` sets both).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Force {
    /// `--force-vermagic`: accept another kernel's version magic.
    pub vermagic: bool,
    /// `--force-modversion`: accept other symbol CRCs.
    pub modversion: bool,
}

impl Force {
    fn any(self) -> bool {
        self.vermagic || self.modversion
    }

    fn kernel_flags(self) -> u32 {
        let mut f = 0;
        if self.vermagic {
            f |= MODULE_INIT_IGNORE_VERMAGIC;
        }
        if self.modversion {
            f |= MODULE_INIT_IGNORE_MODVERSIONS;
        }
        f
    }
}

/// Why a compressed module was decompressed in userspace.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Userspace {
    /// The kernel has no module decompressor (`/sys/module/compression` is missing).
    NoKernelDecompressor,
    /// The kernel decompresses another format.
    OtherFormat {
        /// The format `/sys/module/compression` names.
        kernel: String,
    },
    /// The kernel's decoder would reject this stream.
    DecoderRejects(&'static str),
    /// `finit_module` is not implemented (ENOSYS).
    NoFinit,
}

/// How the module reached the kernel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// `finit_module` with these flags.
    Finit {
        /// `MODULE_INIT_*` bits ([`crate::kernel`]).
        flags: u32,
    },
    /// `init_module` on an image decompressed (and with force, stripped) here.
    InitModule {
        /// Why the image was decompressed here (None: it was not compressed).
        why: Option<Userspace>,
        /// What force stripped, when it was asked for.
        stripped: Option<StripReport>,
    },
}

/// What `--force` stripped on the `init_module` path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StripReport {
    /// Modversions were to be stripped but the module has no `__versions`.
    pub no_versions: bool,
    /// The vermagic was to be stripped but the module has none.
    pub no_vermagic: bool,
}

/// A successful insertion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inserted {
    /// How the file was stored.
    pub compression: Compression,
    /// The system call that loaded it.
    pub route: Route,
}

/// Why an insertion failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum InsertError {
    /// The file could not be opened, read or decompressed (kmod: "could not insert
    /// module": the errno through insmod's wording).
    File(Error),
    /// Force was asked for but the image is not ELF, so it cannot be stripped.
    Strip {
        /// The ELF error's errno.
        errno: crate::Errno,
    },
    /// The kernel refused the module.
    Kernel {
        /// What the system call returned.
        errno: crate::Errno,
        /// How the file was stored.
        compression: Compression,
        /// The system call that was tried.
        route: Route,
    },
}

impl InsertError {
    /// The errno kmod reports.
    pub fn errno(&self) -> crate::Errno {
        match self {
            InsertError::File(e) => e.errno(),
            InsertError::Strip { errno } | InsertError::Kernel { errno, .. } => *errno,
        }
    }
}

/// Insert the module file at `path` with `params` (the kernel's parameter string,
/// bytes as given: the kernel does not ask for UTF-8).
pub fn insert_file(sys: &System, path: &Path, params: &[u8], force: Force) -> Result<Inserted, InsertError> {
    let params = CString::new(params).map_err(|_| {
        InsertError::File(Error::bad_module(path, crate::Errno::EINVAL, "parameters contain a NUL byte"))
    })?;
    let mut file = File::open(path).map_err(|e| InsertError::File(Error::io(path, &e)))?;
    let mut head = Vec::with_capacity(decode::HEAD_LEN);
    (&mut file)
        .take(decode::HEAD_LEN as u64)
        .read_to_end(&mut head)
        .map_err(|e| InsertError::File(Error::io(path, &e)))?;
    if head.len() < 6 {
        return Err(InsertError::File(Error::bad_module(
            path,
            crate::Errno::EINVAL,
            "file too short to be a module",
        )));
    }
    let compression = Compression::detect(&head);
    let why = match (compression, sys.sysfs().kernel_compression()) {
        (Compression::None, _) => None,
        (c, KernelCompression::Known(k)) if k == c => {
            decode::kernel_rejects(c, &head).map(Userspace::DecoderRejects)
        }
        (_, KernelCompression::Known(k)) => Some(Userspace::OtherFormat { kernel: k.name().to_string() }),
        (_, KernelCompression::Unknown(k)) => Some(Userspace::OtherFormat { kernel: k }),
        (_, KernelCompression::None) => Some(Userspace::NoKernelDecompressor),
    };
    let why = match why {
        Some(why) => Some(why),
        None => {
            let mut flags = force.kernel_flags();
            if compression != Compression::None {
                flags |= MODULE_INIT_COMPRESSED_FILE;
            }
            match sys.kernel().finit_module(&file, &params, flags) {
                Ok(()) => return Ok(Inserted { compression, route: Route::Finit { flags } }),
                Err(crate::Errno::ENOSYS) => Some(Userspace::NoFinit),
                Err(errno) => {
                    return Err(InsertError::Kernel { errno, compression, route: Route::Finit { flags } });
                }
            }
        }
    };
    // Userspace: the whole image, decompressed, stripped if forced.
    // The rest of the open file after the head (finit_module does not move the offset).
    let mut raw = head;
    file.read_to_end(&mut raw).map_err(|e| InsertError::File(Error::io(path, &e)))?;
    let mut image = match compression {
        Compression::None => raw,
        c => decompress(c, &raw).map_err(|what| {
            InsertError::File(Error::bad_module(path, crate::Errno::EINVAL, format!("{}: {what}", c.name())))
        })?,
    };
    let mut stripped = None;
    if force.any() {
        let s = strip(&image, Strip { vermagic: force.vermagic, modversion: force.modversion })
            .map_err(|errno| InsertError::Strip { errno })?;
        stripped = Some(StripReport { no_versions: s.no_versions, no_vermagic: s.no_vermagic });
        image = s.image;
    }
    let route = Route::InitModule { why, stripped };
    match sys.kernel().init_module(&image, &params) {
        Ok(()) => Ok(Inserted { compression, route }),
        Err(errno) => Err(InsertError::Kernel { errno, compression, route }),
    }
}
