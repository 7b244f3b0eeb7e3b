//! rkmod: everything about Linux kernel modules, as a library.
//!
//! Module files, the `modules.*` indexes depmod writes, modprobe's configuration, and
//! what kmod's tools do with them (modinfo's lookup, modprobe's resolution, depmod, the
//! module system calls), reproduced from kmod's observable behaviour. The `rkmod`
//! command (the root package, `rkmod-cli`) is a thin layer over this crate: nothing
//! here prints or exits; results, problems and errors come back as values.
//!
//! Conventions that hold throughout:
//!
//! - Names, aliases, options and commands are bytes (`Vec<u8>`, `&[u8]`), as in kmod:
//!   nothing is decoded, so a byte that is not UTF-8 reaches the kernel or `/bin/sh`
//!   unchanged.
//! - Every error keeps the errno kmod reports for the same failure ([`Error::errno`]),
//!   so a front end can print kmod's `strerror` text ([`error::errno_text`]); the
//!   wording is the front end's.
//! - A module directory is `<root>/lib/modules/<version>` ([`info::module_dir`]);
//!   nothing reads the host's `/lib/modules`, `/etc/modprobe.d` or `/proc` unless it is
//!   given that root.
//!
//! # Examples
//!
//! Open a module file (`.ko`, or compressed `.ko.xz`, `.ko.zst`, `.ko.gz`) and print
//! its `.modinfo` fields and parameters, as `modinfo FILE` does:
//!
//! ```
//! use std::path::Path;
//!
//! use rkmod::module::modinfo::merge_params;
//! use rkmod::module::ModuleImage;
//!
//! let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/ko/6.1.0-56-amd64/hello.ko");
//! let image = ModuleImage::open(Path::new(path))?;
//! let info = image.info()?;
//! for field in &info.fields {
//!     let (key, value) = (String::from_utf8_lossy(&field.key), String::from_utf8_lossy(&field.value));
//!     println!("{key}: {value}");
//! }
//! // Fields are in section order; `parm=` and `parmtype=` merge into parameters.
//! let name = info.fields.iter().find(|f| f.key_is("name")).map(|f| &f.value[..]);
//! assert_eq!(name, Some(&b"hello"[..]));
//! let params: Vec<Vec<u8>> = merge_params(&info.fields).list.into_iter().map(|p| p.name).collect();
//! assert_eq!(params, [&b"myint"[..], b"mystring", b"myarray"]);
//! assert!(info.signature.is_none());
//! # Ok::<(), rkmod::Error>(())
//! ```
//!
//! Resolve an alias through a module directory's indexes (`modules.dep.bin`,
//! `modules.alias.bin`, the builtin indexes), as modinfo and modprobe look names up:
//!
//! ```
//! use rkmod::lookup::ModuleDir;
//!
//! let dir = ModuleDir::new(concat!(
//!     env!("CARGO_MANIFEST_DIR"),
//!     "/../fixtures/roots/modprobe-basic/lib/modules/1.0.0-rk"
//! ));
//! // `hello.ko` declares MODULE_ALIAS("char-major-250-17").
//! let found = dir.lookup(b"char-major-250-17").expect("readable indexes");
//! assert_eq!(found.len(), 1);
//! assert_eq!(found[0].name, "hello");
//! assert!(found[0].path.as_ref().unwrap().ends_with("kernel/misc/hello.ko"));
//! // A module built into the kernel has no file.
//! let ext4 = dir.lookup(b"fs-ext4").expect("readable indexes");
//! assert!(ext4[0].builtin && ext4[0].path.is_none());
//! ```
//!
//! Plan what `modprobe hello_user myint=7` would do, without loading anything: the
//! configuration (here the module directory's `modules.softdep` plus one line given
//! in memory), the lookup, then the probe list ([`resolve::Plan`]):
//!
//! ```
//! use std::path::Path;
//!
//! use rkmod::config::{Config, KernelCmdline, LoadOptions};
//! use rkmod::lookup::ModuleDir;
//! use rkmod::resolve::{self, Action, Plan, ProbeOptions, Resolver};
//!
//! let root = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/roots/modprobe-basic"));
//! let dir = ModuleDir::new(root.join("lib/modules/1.0.0-rk"));
//! // modprobe.d under `root` (none in this fixture) and modules.softdep; no /proc/cmdline.
//! let opts = LoadOptions { kernel_cmdline: KernelCmdline::Ignore, ..LoadOptions::default() };
//! let (mut config, warnings) = Config::load(root, Some(dir.path()), &[], opts);
//! assert!(warnings.is_empty());
//! config.parse_file(Path::new("example.conf"), b"options hello mystring=configured\n", false);
//!
//! // A kernel with nothing loaded; `resolve::Sysfs` reads the real state.
//! let kernel = resolve::nothing_loaded;
//! let mut resolver = Resolver::new(&dir, &config, &kernel, ProbeOptions::default());
//! let ids = resolver.lookup(b"hello_user").expect("readable indexes");
//! let plan = resolver.plan(ids[0], Some(b"myint=7"))?;
//! let Plan::Steps(steps) = plan else { panic!("not loaded, not blacklisted: {plan:?}") };
//! for step in &steps {
//!     let name = String::from_utf8_lossy(&step.module.name);
//!     match &step.action {
//!         Action::Insert { path, options } => {
//!             println!("insmod {} {}", path.display(), String::from_utf8_lossy(options))
//!         }
//!         Action::Install { expanded, .. } => println!("run {}", String::from_utf8_lossy(expanded)),
//!         Action::Builtin => println!("builtin {name}"),
//!         _ => println!("nothing to load for {name}"),
//!     }
//! }
//! // hello_user needs hello (modules.dep), and hello wants hello_soft first (softdep).
//! let order: Vec<&[u8]> = steps.iter().map(|s| &s.module.name[..]).collect();
//! assert_eq!(order, [&b"hello_soft"[..], b"hello", b"hello_user"]);
//! // A softdep's failure is ignored; the command-line options go to the module asked for.
//! assert!(!steps[0].required && steps[1].required && steps[2].requested);
//! assert!(matches!(&steps[2].action, Action::Insert { options, .. } if options == b"myint=7"));
//! # Ok::<(), rkmod::Error>(())
//! ```
//!
//! modinfo's whole argument handling (a path, a name, an alias, a builtin module, each
//! failure told apart) is [`info::resolve`] and [`info::load`].
//!
//! # The map
//!
//! Module files and indexes:
//!
//! - [`module`]: module files (`.ko`, `.ko.xz`, `.ko.zst`, `.ko.gz`, told apart by
//!   magic bytes): decompression, ELF sections, `.modinfo`, `__versions`, exports,
//!   signatures, `--force` stripping, and `module::budget`, the bound on decompressed
//!   bytes that parallel readers (depmod) hold at once.
//! - [`index`]: the `modules.*.bin` BOOTFAST tries: reading, wildcard lookup, writing.
//! - [`fnmatch`]: fnmatch(3) with flags 0, the matcher behind every alias wildcard.
//! - [`name`]: module-name and alias normalisation (`-` → `_`), module extensions.
//!
//! What the tools do:
//!
//! - [`lookup`]: resolving a name, alias or symbol to modules in one module directory,
//!   without configuration (what modinfo uses).
//! - [`info`]: modinfo as data: the modules one argument names and what to show about
//!   each (`.modinfo` fields, signature, build-id, `modules.builtin.modinfo`).
//! - [`config`]: modprobe's configuration (modprobe.d, `modules.softdep`,
//!   `modules.weakdep`, the kernel command line) with the file and line of every entry,
//!   and its problems in kmod 30's words and rkmod's.
//! - [`resolve`]: modprobe's resolution as data: what it would insert, run or skip
//!   ([`resolve::Plan`]).
//! - [`explain`]: one name's resolution with the configuration line behind each step.
//! - [`depmod`]: scan a module tree and write every `modules.*` file, with depmod.d and
//!   the no-change cache.
//!
//! The kernel:
//!
//! - [`kernel`]: the module system calls behind a trait, the running kernel's state in
//!   `/sys/module` and `/proc/modules`, the in-kernel decompressor; with the `testing`
//!   feature, `kernel::fake`, a fake kernel acting the calls out on a scratch root.
//! - [`insert`]: one module file into the kernel (`finit_module` or `init_module`,
//!   in-kernel or userspace decompression, force).
//! - [`probe`] and [`unload`]: modprobe's insertion loop over a plan, and its removal
//!   (holders, remove commands, `--wait`).
//!
//! Shared:
//!
//! - [`error`]: the library's error type, which keeps the errno and the path.
//! - [`kmod30`]: where Debian 12's libkmod logs each message rkmod reproduces, for
//!   front ends that print kmod 30's exact lines.
//! - `json` (feature `serde`): how byte strings are written in rkmod's JSON documents.
//!
//! # Features
//!
//! - `serde`: `serde::Serialize` on the public data types, and the `json` module.
//! - `testing`: test hooks (the fake kernel, and [`kernel::System::detect`] honouring
//!   `$RKMOD_TEST_ROOT`). Never in a shipped build.

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
