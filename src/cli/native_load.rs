//! The native loading subcommands: `rkmod insert`, `rkmod remove`, `rkmod list`.
//!
//! The same engines as insmod, rmmod and lsmod, with clearer messages: each failure
//! says what the kernel's answer usually means and where to look (dmesg), an in-use
//! module lists its holders and what to run instead, `remove` keeps going past a
//! failed name, and `-v` says which system call took the module and why (in-kernel
//! decompression, or userspace and the reason). `rkmod list --json` is the listing as
//! a versioned document (`rkmod.list/1`, see docs/load-json.md).

use std::ffi::{CString, OsString};
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;

use clap::Args;

use super::insmod::{insert_strerror, join_params};
use super::log::Log;
use super::output;
use rkmod::insert::{insert_file, Force, InsertError, Inserted, Route, Userspace};
use rkmod::kernel::{System, O_NONBLOCK, O_TRUNC};
use rkmod::unload::{rmmod_checks_running, InUse};

/// `rkmod insert`.
#[derive(Args, Debug)]
pub struct InsertArgs {
    /// The module file (.ko, .ko.xz, .ko.zst, .ko.gz)
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Module parameters (name=value)
    #[arg(value_name = "PARAM", trailing_var_arg = true, allow_hyphen_values = true)]
    pub params: Vec<OsString>,
    #[command(flatten)]
    pub force: ForceArgs,
    /// Say how the module was handed to the kernel
    #[arg(short, long)]
    pub verbose: bool,
}

/// The force switches of `insert` and `probe`.
#[derive(Args, Debug)]
pub struct ForceArgs {
    /// Ignore the version magic and symbol versions (both kernel checks)
    #[arg(short, long)]
    pub force: bool,
    /// Ignore the version magic only
    #[arg(long)]
    pub force_vermagic: bool,
    /// Ignore symbol versions only
    #[arg(long)]
    pub force_modversion: bool,
}

impl ForceArgs {
    /// What the switches ask of the kernel.
    pub fn force(&self) -> Force {
        Force { vermagic: self.force || self.force_vermagic, modversion: self.force || self.force_modversion }
    }
}

/// `rkmod remove`.
#[derive(Args, Debug)]
pub struct RemoveArgs {
    /// Module names (or module files: their name is used)
    #[arg(required = true, value_name = "MODULE")]
    pub modules: Vec<OsString>,
    /// Remove even when in use (needs CONFIG_MODULE_FORCE_UNLOAD; dangerous)
    #[arg(short, long)]
    pub force: bool,
    /// Say what was removed
    #[arg(short, long)]
    pub verbose: bool,
}

/// `rkmod list`.
#[derive(Args, Debug)]
pub struct ListArgs {
    /// Print JSON (schema rkmod.list/1)
    #[arg(long)]
    pub json: bool,
}

/// What the kernel's refusal usually means, for a human.
fn hint(errno: rkmod::Errno) -> &'static str {
    match errno {
        rkmod::Errno::ENOEXEC => "not a module for this kernel (format, architecture or version magic); see dmesg",
        rkmod::Errno::ENOENT => "it needs a symbol no loaded module exports: load its dependencies first (rkmod probe NAME); see dmesg",
        rkmod::Errno::EINVAL => "a parameter value was rejected, or the module's init failed; see dmesg",
        rkmod::Errno::EEXIST => "a module of that name is loaded already",
        rkmod::Errno::EPERM => "not allowed: needs root (CAP_SYS_MODULE), or loading is locked down or needs a valid signature",
        rkmod::Errno::EKEYREJECTED | rkmod::Errno::EBADMSG => "its signature was rejected; see dmesg",
        rkmod::Errno::ENOMEM => "the kernel is out of memory",
        rkmod::Errno::ENOSPC | rkmod::Errno::EBUSY => "the kernel refused it; see dmesg",
        _ => "see dmesg",
    }
}

/// ` (hint)` for native messages.
pub fn hint_suffix(errno: rkmod::Errno) -> String {
    format!(" ({})", hint(errno))
}

/// What follows `could not insert NAME: ` in native messages: the errno's words and a
/// hint, or, when the kernel has no module system calls at all (ENOSYS from
/// `init_module` too, a kernel built without CONFIG_MODULES), that plain fact.
pub fn insert_failure(errno: rkmod::Errno, words: &str) -> String {
    if errno == rkmod::Errno::ENOSYS {
        "the running kernel has no module support (init_module: Function not implemented)".into()
    } else {
        format!("{words}{}", hint_suffix(errno))
    }
}

fn route_text(done: &Inserted) -> String {
    match &done.route {
        Route::Finit { flags } if done.compression == rkmod::module::Compression::None => {
            format!("finit_module, flags {flags:#x}")
        }
        Route::Finit { flags } => {
            format!("finit_module, in-kernel {} decompression, flags {flags:#x}", done.compression.name())
        }
        Route::InitModule { why, stripped } => {
            let why = match why {
                None => String::new(),
                Some(Userspace::NoKernelDecompressor) => ": the kernel has no module decompressor".into(),
                Some(Userspace::OtherFormat { kernel }) => format!(": the kernel decompresses {kernel} only"),
                Some(Userspace::DecoderRejects(r)) => format!(": {r}"),
                Some(Userspace::NoFinit) => ": the kernel has no finit_module".into(),
                Some(_) => String::new(),
            };
            let what = if done.compression == rkmod::module::Compression::None {
                "init_module".to_string()
            } else {
                format!("decompressed {} here, init_module", done.compression.name())
            };
            let strip = if stripped.is_some() { ", version checks stripped" } else { "" };
            format!("{what}{strip}{why}")
        }
    }
}

/// `rkmod insert FILE [PARAM...]`.
pub fn insert(a: &InsertArgs, log: &Log) -> i32 {
    let force = a.force.force();
    let path = rkmod::info::absolute(&a.file);
    let sys = System::detect();
    let params: Vec<&[u8]> = a.params.iter().map(|p| p.as_bytes()).collect();
    let file = a.file.display();
    match insert_file(&sys, &path, &join_params(&params), force) {
        Ok(done) => {
            if a.verbose {
                output::print(&format!("inserted {file} ({})\n", route_text(&done)));
            }
            0
        }
        Err(InsertError::File(e)) => {
            log.error(&format!("could not read module {file}: {}", e.detail()));
            1
        }
        Err(InsertError::Strip { errno }) => {
            log.error(&format!(
                "could not insert {file}: {}: not a valid module image",
                insert_strerror(errno)
            ));
            1
        }
        Err(InsertError::Kernel { errno, .. }) => {
            log.error(&format!(
                "could not insert {file}: {}",
                insert_failure(errno, &insert_strerror(errno))
            ));
            1
        }
        Err(e) => {
            log.error(&format!("could not insert {file}: {}", insert_strerror(e.errno())));
            1
        }
    }
}

/// `rkmod remove MODULE...`.
pub fn remove(a: &RemoveArgs, log: &Log) -> i32 {
    let sys = System::detect();
    let mut failed = false;
    for arg in &a.modules {
        let name_bytes = rkmod::unload::name_of_argument(arg.as_bytes());
        // rkmod's own messages are text: a byte that is not UTF-8 shows as U+FFFD.
        let name = String::from_utf8_lossy(&name_bytes);
        if !a.force {
            let mut blocked = false;
            for c in rmmod_checks_running(&sys, &name_bytes) {
                blocked = true;
                match c {
                    InUse::Builtin => log.error(&format!("{name} is built into the kernel: it cannot be removed")),
                    InUse::NotLoaded => log.error(&format!("{name} is not loaded")),
                    InUse::HeldBy(h) => log.error(&format!(
                        "{name} is in use by: {} (remove them first, or run: rkmod probe -r --remove-holders {name})",
                        h.join(" ")
                    )),
                    InUse::Referenced => {
                        log.error(&format!("{name} is in use (by a process or the kernel; nothing module-side holds it)"))
                    }
                    InUse::NoUnloadSupport => {
                        log.error(&format!("{name} cannot be removed: the kernel has no module unloading"))
                    }
                    InUse::HoldersUnreadable(_) | InUse::RefcntUnreadable(_) => blocked = false,
                    _ => log.error(&format!("{name} cannot be removed")),
                }
            }
            if blocked {
                failed = true;
                continue;
            }
        }
        let flags = O_NONBLOCK | if a.force { O_TRUNC } else { 0 };
        let result = CString::new(name_bytes.clone())
            .map_err(|_| rkmod::Errno::EINVAL)
            .and_then(|c| sys.kernel().delete_module(&c, flags));
        match result {
            Ok(()) if a.verbose => output::print(&format!("removed {name}\n")),
            Ok(()) => {}
            Err(errno) => {
                let why = match errno {
                    rkmod::Errno::EWOULDBLOCK => " (still in use)",
                    rkmod::Errno::ENOENT => " (not loaded)",
                    rkmod::Errno::EPERM => " (needs root)",
                    _ => "",
                };
                log.error(&format!("could not remove {name}: {}{why}", rkmod::error::errno_text(errno)));
                failed = true;
            }
        }
    }
    i32::from(failed)
}

#[derive(serde::Serialize)]
struct ListDoc {
    schema: &'static str,
    modules: Vec<super::lsmod::Row>,
}

/// `rkmod list [--json]`.
pub fn list(a: &ListArgs, log: &Log) -> i32 {
    let sys = System::detect();
    let mut ignore = |_: &str, _: rkmod::Errno| {};
    match super::lsmod::rows(&sys, &mut ignore) {
        Ok(rows) if a.json => {
            let doc = ListDoc { schema: "rkmod.list/1", modules: rows };
            output::print(&format!("{}\n", serde_json::to_string_pretty(&doc).unwrap_or_default()));
            0
        }
        Ok(rows) => {
            output::print(&super::lsmod::render(&rows));
            0
        }
        Err(errno) => {
            let path = sys.sysfs().proc_modules_path();
            log.error(&format!(
                "could not read {}: {} (a kernel without module support has none)",
                path.display(),
                rkmod::error::errno_text(errno)
            ));
            1
        }
    }
}
