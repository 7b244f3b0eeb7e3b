//! The `modinfo` printer shared by the `modinfo` applet and `rkmod info`.
//!
//! Mirrors kmod's `tools/modinfo.c` over [`rkmod::info`], which resolves each argument
//! (a path when it names a regular file with a module extension, a module name with
//! `-m`, else anything the lookup resolves) and reads the module; this file words its
//! errors as kmod does and prints. Output per module: `filename:` (or `name:` then
//! `filename: (builtin)`), the `.modinfo` fields in section order as `key:` padded to
//! 16 columns, signature pseudo-fields, then merged `parm:` lines. `-F` prints bare
//! values; `-0` ends records with NUL. The native command adds a `build-id:` line and
//! `--json`.

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;

use rkmod::info::{self, LoadError, ResolveError};
use rkmod::lookup::{Found, ModuleDir};
use rkmod::module::modinfo::merge_params;

use super::log::Log;
use super::output;

/// What to print and where to look.
#[derive(Debug, Clone, Default)]
pub struct InfoOptions {
    pub field: Option<Vec<u8>>,
    pub null: bool,
    pub modname_only: bool,
    pub basedir: Option<OsString>,
    pub kversion: Option<OsString>,
    /// Native extras: the `build-id:` line.
    pub build_id: bool,
}

/// The module directory kmod would use for these options, or the message kmod prints.
pub fn module_dir(opts: &InfoOptions) -> Result<PathBuf, String> {
    info::module_dir(opts.basedir.as_deref(), opts.kversion.as_deref())
        .map_err(|e| format!("uname() failed: {e}"))
}

/// One argument resolved to the modules it names, or the message kmod prints (the
/// argument's bytes as given).
pub fn resolve(dir: &ModuleDir, arg: &OsStr, opts: &InfoOptions) -> Result<Vec<Found>, Vec<u8>> {
    let a = arg.as_bytes();
    info::resolve(dir, arg, opts.modname_only).map_err(|e| match e {
        ResolveError::NoSuchName => [b"Module name ", a, b" not found."].concat(),
        ResolveError::NotFound => [b"Module ", a, b" not found."].concat(),
        ResolveError::BadAlias => [b"Module alias ", a, b" not found."].concat(),
        e => e.to_string().into_bytes(),
    })
}

/// Run modinfo over `args`; returns the exit status.
pub fn run(opts: &InfoOptions, args: &[OsString], log: &Log) -> i32 {
    let dir = match module_dir(opts) {
        Ok(d) => ModuleDir::new(d),
        Err(msg) => {
            log.error(&msg);
            return 1;
        }
    };
    let mut status = 0;
    for arg in args {
        let found = match resolve(&dir, arg, opts) {
            Ok(found) => found,
            Err(msg) => {
                log.error(&msg);
                status = 1;
                continue;
            }
        };
        for m in &found {
            if !print_module(&dir, m, opts, log) {
                status = 1;
            }
        }
    }
    status
}

/// Print one module as kmod's `modinfo_do`; false when it failed (message logged).
fn print_module(dir: &ModuleDir, found: &Found, opts: &InfoOptions, log: &Log) -> bool {
    let sep = if opts.null { b'\0' } else { b'\n' };
    let field = opts.field.as_deref();
    let filename = match &found.path {
        Some(p) => p.as_os_str().as_encoded_bytes().to_vec(),
        None => {
            match field {
                None => line(b"name:", found.name.as_bytes(), sep),
                Some(b"name") => value(found.name.as_bytes(), sep),
                _ => {}
            }
            b"(builtin)".to_vec()
        }
    };
    match field {
        Some(b"filename") => {
            value(&filename, sep);
            return true;
        }
        None => line(b"filename:", &filename, sep),
        _ => {}
    }
    let shown = match info::load(dir, found) {
        Ok(s) => s,
        // A builtin module on a kernel without modules.builtin.modinfo: nothing more.
        Err(LoadError::NoBuiltinModinfo { .. }) => return true,
        Err(e) => {
            log.error(&format!(
                "could not get modinfo from '{}': {}",
                found.name,
                rkmod::error::errno_text(e.errno())
            ));
            return false;
        }
    };
    let mut fields = shown.fields;
    if let Some(sig) = &shown.signature {
        fields.extend(info::signature_fields(sig));
    }
    let params = merge_params(&fields);
    for bad in &params.invalid {
        log.error(&format!(
            "Found invalid \"{}={}\": missing ':'",
            String::from_utf8_lossy(&bad.key),
            String::from_utf8_lossy(&bad.value)
        ));
    }
    if field == Some(b"parm") {
        for p in &params.list {
            value(&p.render(true), sep);
        }
        return true;
    }
    if opts.build_id && field == Some(b"build-id") {
        if let Some(id) = &shown.build_id {
            value(hex_plain(id).as_bytes(), sep);
        }
        return true;
    }
    for f in &fields {
        if let Some(want) = field {
            if f.key == want {
                value(&f.value, sep);
            }
            continue;
        }
        if f.key_is("parm") || f.key_is("parmtype") {
            continue;
        }
        if opts.null {
            output::write(&[&f.key[..], b"=", &f.value, b"\0"].concat());
            continue;
        }
        key_line(&f.key, &f.value, sep);
    }
    if field.is_some() {
        return true;
    }
    if opts.build_id {
        if let Some(id) = &shown.build_id {
            key_line(b"build-id", hex_plain(id).as_bytes(), sep);
        }
    }
    for p in &params.list {
        line(b"parm:", &p.render(false), sep);
    }
    true
}

/// `printf("%-16s%s%c", label, value, sep)`.
fn line(label: &[u8], val: &[u8], sep: u8) {
    let pad = 16usize.saturating_sub(label.len());
    output::write(&[label, &b" ".repeat(pad)[..], val, &[sep]].concat());
}

/// `printf("%s:%-*s%s%c", key, 15 - keylen, "", value, sep)`: a negative width in C
/// means left-justified with the absolute width, so long keys still get padding.
fn key_line(key: &[u8], val: &[u8], sep: u8) {
    let pad = (15 - key.len() as isize).unsigned_abs();
    output::write(&[key, b":", &b" ".repeat(pad)[..], val, &[sep]].concat());
}

fn value(val: &[u8], sep: u8) {
    output::write(&[val, &[sep]].concat());
}

/// Lowercase hex without separators (how build-ids are usually written).
pub fn hex_plain(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
