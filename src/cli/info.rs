//! The `modinfo` engine shared by the `modinfo` applet and `rkmod info`.
//!
//! Mirrors kmod's `tools/modinfo.c`: each argument is a path (when it names a regular
//! file with a module extension), a module name (`-m`), or else anything the lookup
//! resolves (name, alias, builtin). Output per module: `filename:` (or `name:` then
//! `filename: (builtin)`), the `.modinfo` fields in section order as `key:` padded to
//! 16 columns, signature pseudo-fields, then merged `parm:` lines. `-F` prints bare
//! values; `-0` ends records with NUL. The native command adds a `build-id:` line and
//! `--json`.

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use rkmod::lookup::{Found, LookupError, ModuleDir};
use rkmod::module::modinfo::{merge_params, Field};
use rkmod::module::{signature, ModuleImage};
use rkmod::Error;

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

/// A module ready to print: where it came from and what it holds.
pub struct Shown {
    pub name: String,
    /// None for builtin modules.
    pub path: Option<PathBuf>,
    pub image: Option<ModuleImage>,
    pub fields: Vec<Field>,
    pub signature: Option<signature::Signature>,
    pub build_id: Option<Vec<u8>>,
}

/// The module directory kmod would use: `<root>/lib/modules/<version>`, made absolute.
pub fn module_dir(opts: &InfoOptions) -> Result<PathBuf, String> {
    let kver = match &opts.kversion {
        Some(v) => v.clone(),
        None => rkmod::kernel::kernel_release().map_err(|e| format!("uname() failed: {e}"))?.into(),
    };
    let root = opts.basedir.clone().unwrap_or_default();
    let raw = [root.as_bytes(), b"/lib/modules/", kver.as_bytes()].concat();
    Ok(absolute(Path::new(OsStr::from_bytes(&raw))))
}

/// kmod's `path_make_absolute_cwd`: prefix the cwd, no normalisation.
pub fn absolute(p: &Path) -> PathBuf {
    if p.is_absolute() {
        return p.to_path_buf();
    }
    match std::env::current_dir() {
        Ok(cwd) => PathBuf::from(OsStr::from_bytes(
            &[cwd.as_os_str().as_bytes(), b"/", p.as_os_str().as_bytes()].concat(),
        )),
        Err(_) => p.to_path_buf(),
    }
}

/// kmod's `is_module_filename`: a regular file whose name has a module extension.
pub fn is_module_filename(arg: &OsStr) -> bool {
    rkmod::name::has_module_extension(arg.as_bytes()) && std::fs::metadata(arg).is_ok_and(|m| m.is_file())
}

/// One argument resolved to the modules it names, or the message kmod prints (the
/// argument's bytes as given).
pub fn resolve(dir: &ModuleDir, arg: &OsStr, opts: &InfoOptions) -> Result<Vec<Found>, Vec<u8>> {
    let a = arg.as_bytes();
    if opts.modname_only {
        return match dir.lookup_name(a) {
            Ok(Some(found)) => Ok(vec![found]),
            Ok(None) => Err([b"Module name ", a, b" not found."].concat()),
            Err(e) => Err(e.to_string().into_bytes()),
        };
    }
    if is_module_filename(arg) {
        let path = absolute(Path::new(arg));
        let name = rkmod::name::path_to_modname(&path);
        return Ok(vec![Found { name, path: Some(path), builtin: false }]);
    }
    match dir.lookup(a) {
        Ok(found) if found.is_empty() => Err([b"Module ", a, b" not found."].concat()),
        Ok(found) => Ok(found),
        Err(LookupError::Index(e)) => Err(e.to_string().into_bytes()),
        // Not a valid alias (an unmatched bracket).
        Err(_) => Err([b"Module alias ", a, b" not found."].concat()),
    }
}

/// Read what there is to show about one found module.
pub fn load(dir: &ModuleDir, found: &Found) -> Result<Shown, Error> {
    let mut shown = Shown {
        name: found.name.clone(),
        path: found.path.clone(),
        image: None,
        fields: Vec::new(),
        signature: None,
        build_id: None,
    };
    match &found.path {
        // No modules.builtin.modinfo at all (an old kernel): ENOENT, which modinfo
        // passes over in silence. A module missing from it: ENOSYS, as kmod 30 says.
        None => match dir.builtin_modinfo(&found.name)? {
            None => {
                return Err(Error::Io {
                    path: dir.path().join("modules.builtin.modinfo"),
                    errno: rkmod::Errno::ENOENT,
                })
            }
            Some(fields) if fields.is_empty() => {
                return Err(Error::Io {
                    path: dir.path().join("modules.builtin.modinfo"),
                    errno: rkmod::Errno::ENOSYS,
                })
            }
            Some(fields) => shown.fields = fields,
        },
        Some(path) => {
            let image = ModuleImage::open(path)?;
            let info = image.info()?;
            shown.fields = info.fields;
            shown.signature = info.signature;
            shown.build_id = info.build_id;
            shown.image = Some(image);
        }
    }
    Ok(shown)
}

/// The pseudo-fields kmod appends for a signature.
pub fn signature_fields(sig: &signature::Signature) -> Vec<Field> {
    let mut out = vec![Field::new("sig_id", sig.id_type), Field::new("signer", sig.signer.clone())];
    if !sig.key_id.is_empty() {
        out.push(Field::new("sig_key", signature::hex(&sig.key_id)));
    }
    out.push(Field::new("sig_hashalgo", sig.hash_algo.clone()));
    if !sig.signature.is_empty() {
        out.push(Field::new("signature", signature::hex(&sig.signature)));
    }
    out
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
    let is_builtin = found.path.is_none();
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
    let shown = match load(dir, found) {
        Ok(s) => s,
        Err(e) => {
            if is_builtin && e.errno() == rkmod::Errno::ENOENT {
                return true;
            }
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
        fields.extend(signature_fields(sig));
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
