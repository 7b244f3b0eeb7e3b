//! What a module file says: `kmod_module_get_info` (modinfo's keys and values, the
//! signature fields included), `kmod_module_get_versions` (`__versions`),
//! `kmod_module_get_symbols` (exported symbols) and
//! `kmod_module_get_dependency_symbols` (undefined symbols with their CRC and binding),
//! with the getters and `*_free_list` of each list kind.
//!
//! The module file is opened (and decompressed) once per handle and kept in
//! [`KModule::image`], as libkmod keeps its `kmod_file`; a failed open is not kept, so
//! the next call tries again. Each function returns the number of entries it listed
//! (an empty list is NULL and 0) or a negative errno, as kmod 30's do:
//!
//! * a module whose path is unknown (not in `modules.dep`): `-ENOENT`;
//! * the file's open, decompression and ELF errors as the engine reports them
//!   (`-EINVAL` for a file too short to hold a magic number, `-ENOEXEC` for one that is
//!   not ELF, ...);
//! * `kmod_module_get_info` of a builtin module: its entries in
//!   `modules.builtin.modinfo` (`-ENOENT` without that file, `-ENOSYS` when it does not
//!   list the module); of a file without `.modinfo`: `-ENOENT`;
//! * `kmod_module_get_versions` without a `__versions` section: `-ENOENT`;
//! * `kmod_module_get_symbols` with no `__crc_` symbol and no `__ksymtab_strings`:
//!   `-ENOENT` (kmod 31 and later say `-ENODATA`);
//! * `kmod_module_get_dependency_symbols` without `.symtab` or `.strtab`: `-EINVAL`.
//!
//! None of them logs anything (kmod 30's decompression errors are logged through the
//! file's context before it is set, so they are never seen either).

use std::ffi::{c_char, c_int, OsStr};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::ptr;
use std::rc::Rc;

use rkmod::module::{signature, Field, ModuleImage, Signature};
use rkmod::resolve::ProbeOptions;

use crate::api::{mod_ref, path_of};
use crate::ffi::{cstring, guard, neg};
use crate::list::{self, Entry, KList, SymbolKind};
use crate::module::KModule;

/// `KMOD_SYMBOL_UNDEF`: the binding of a dependency symbol that is not weak.
pub const KMOD_SYMBOL_UNDEF: u8 = b'U';
/// `KMOD_SYMBOL_WEAK`.
pub const KMOD_SYMBOL_WEAK: u8 = b'W';

/// The module's image: the one kept on the handle, or the file at its path opened now
/// (and kept). `-ENOENT` when the path is unknown, the engine's errno when the file
/// cannot be read.
fn image(md: &KModule) -> Result<Rc<ModuleImage>, c_int> {
    if let Some(img) = md.image.borrow().as_ref() {
        return Ok(img.clone());
    }
    let path = path_of(md).ok_or(-libc::ENOENT)?;
    let path = Path::new(OsStr::from_bytes(path.to_bytes()));
    let img = Rc::new(ModuleImage::open(path).map_err(|e| neg(e.errno()))?);
    *md.image.borrow_mut() = Some(img.clone());
    Ok(img)
}

/// Append `entries` to the caller's list (NULL, as libkmod requires; a list given
/// anyway is appended to rather than lost) and return their number.
///
/// # Safety
/// `out` is valid; `*out` is NULL or a live list.
unsafe fn hand_over(out: *mut *mut KList, entries: Vec<Entry>) -> c_int {
    let n = entries.len();
    // SAFETY: the caller's contract.
    let mut head = unsafe { *out };
    for e in entries {
        // SAFETY: head is NULL or a live list.
        head = unsafe { list::append(head, e) };
    }
    // SAFETY: the caller's contract.
    unsafe { *out = head };
    c_int::try_from(n).unwrap_or(c_int::MAX)
}

/// Run one of the `kmod_module_get_*` list functions: NULL arguments are `-ENOENT`;
/// `read` gives the entries or a negative errno.
///
/// # Safety
/// `m` is NULL or a live module; `out` is NULL or valid, `*out` NULL or a live list.
unsafe fn get_list(
    m: *const KModule,
    out: *mut *mut KList,
    read: impl FnOnce(&KModule) -> Result<Vec<Entry>, c_int>,
) -> c_int {
    guard(-libc::ENOMEM, || {
        // SAFETY: the caller's contract.
        let Some(md) = (unsafe { mod_ref(m) }) else { return -libc::ENOENT };
        if out.is_null() {
            return -libc::ENOENT;
        }
        match read(md) {
            // SAFETY: out is valid (checked above, the caller's contract).
            Ok(entries) => unsafe { hand_over(out, entries) },
            Err(e) => e,
        }
    })
}

fn info_entry(key: &[u8], value: &[u8]) -> Entry {
    Entry::Info { key: cstring(key), value: Some(cstring(value)) }
}

/// The five fields kmod 30 appends for a signature, always all of them: `sig_id`,
/// `signer`, `sig_key` and `signature` in hex (`AB:CD:...`, a `\n\t\t` after every 20
/// bytes; empty when there are no bytes), `sig_hashalgo`.
pub fn signature_entries(sig: &Signature) -> Vec<Entry> {
    vec![
        info_entry(b"sig_id", sig.id_type.as_bytes()),
        info_entry(b"signer", &sig.signer),
        info_entry(b"sig_key", signature::hex(&sig.key_id).as_bytes()),
        info_entry(b"sig_hashalgo", sig.hash_algo.as_bytes()),
        info_entry(b"signature", signature::hex(&sig.signature).as_bytes()),
    ]
}

/// The entries of `kmod_module_get_info`.
fn read_info(md: &KModule) -> Result<Vec<Entry>, c_int> {
    let ctx = md.ctx();
    let builtin = ctx.with_resolver(ProbeOptions::default(), |r| r.is_builtin(md.id).unwrap_or(false));
    let (fields, image): (Vec<Field>, Option<Rc<ModuleImage>>) = if builtin {
        let name = String::from_utf8_lossy(md.name.to_bytes()).into_owned();
        let fields = match ctx.module_dir().builtin_modinfo(&name) {
            Ok(Some(f)) if f.is_empty() => return Err(-libc::ENOSYS),
            Ok(Some(f)) => f,
            Ok(None) => return Err(-libc::ENOENT),
            Err(e) => return Err(neg(e.errno())),
        };
        // kmod 30 looks for a signature in the file it holds, if it holds one.
        (fields, md.image.borrow().clone())
    } else {
        let img = image(md)?;
        let elf = img.elf().map_err(|e| neg(e.errno()))?;
        let fields = ModuleImage::fields_in(&elf).ok_or(-libc::ENOENT)?;
        drop(elf);
        (fields, Some(img))
    };
    let mut entries: Vec<Entry> = fields.iter().map(|f| info_entry(&f.key, &f.value)).collect();
    if let Some(sig) = image.as_ref().and_then(|img| img.bytes()).and_then(signature::parse) {
        entries.extend(signature_entries(&sig));
    }
    Ok(entries)
}

/// The entries of `kmod_module_get_versions`.
fn read_versions(md: &KModule) -> Result<Vec<Entry>, c_int> {
    let img = image(md)?;
    let versions = img.modversions_for_show().map_err(|e| neg(e.errno()))?;
    Ok(versions
        .into_iter()
        .map(|v| Entry::Symbol {
            symbol: cstring(v.name.as_bytes()),
            crc: v.crc,
            bind: 0,
            kind: SymbolKind::Version,
        })
        .collect())
}

/// The entries of `kmod_module_get_symbols`.
fn read_symbols(md: &KModule) -> Result<Vec<Entry>, c_int> {
    let img = image(md)?;
    let exports = img.exports_for_show().map_err(|e| neg(e.errno()))?;
    Ok(exports
        .into_iter()
        .map(|s| Entry::Symbol {
            symbol: cstring(s.name.as_bytes()),
            crc: s.crc,
            bind: 0,
            kind: SymbolKind::Exported,
        })
        .collect())
}

/// The entries of `kmod_module_get_dependency_symbols`: undefined `.symtab` symbols in
/// table order with their `__versions` CRC (weak ones `W`, others `U`), then the
/// `__versions` entries no symbol named (`U`).
fn read_dependency_symbols(md: &KModule) -> Result<Vec<Entry>, c_int> {
    let img = image(md)?;
    let elf = img.elf().map_err(|e| neg(e.errno()))?;
    let entsize = if elf.is_32bit() { 16 } else { 24 };
    let symtab = elf.find_section(".symtab").and_then(|i| elf.section_range(i));
    if elf.find_section(".strtab").is_none() || symtab.is_none_or(|(_, size)| size % entsize != 0) {
        return Err(-libc::EINVAL);
    }
    let needs = rkmod::module::symbol_summary(&elf).needs;
    Ok(needs
        .iter()
        .map(|(name, crc, weak)| Entry::Symbol {
            symbol: cstring(name.as_bytes()),
            crc,
            bind: if weak { KMOD_SYMBOL_WEAK } else { KMOD_SYMBOL_UNDEF },
            kind: SymbolKind::Dependency,
        })
        .collect())
}

/// The symbol entry of `kind` at a node (None for NULL or another kind).
///
/// # Safety
/// `e` is NULL or a live node.
unsafe fn symbol<'a>(e: *const KList, want: SymbolKind) -> Option<(&'a std::ffi::CString, u64, u8)> {
    // SAFETY: the caller's contract.
    match unsafe { list::entry(e) } {
        Some(Entry::Symbol { symbol, crc, bind, kind }) if *kind == want => Some((symbol, *crc, *bind)),
        _ => None,
    }
}

/// `kmod_module_get_info`: the `.modinfo` entries of the module's file (of
/// `modules.builtin.modinfo` for a builtin module), then the signature's fields.
#[no_mangle]
pub unsafe extern "C" fn kmod_module_get_info(m: *const KModule, list: *mut *mut KList) -> c_int {
    // SAFETY: the caller's contract.
    unsafe { get_list(m, list, read_info) }
}

/// `kmod_module_info_get_key`.
#[no_mangle]
pub unsafe extern "C" fn kmod_module_info_get_key(e: *const KList) -> *const c_char {
    guard(ptr::null(), || {
        // SAFETY: the caller's contract.
        match unsafe { list::entry(e) } {
            Some(Entry::Info { key, .. }) => key.as_ptr(),
            _ => ptr::null(),
        }
    })
}

/// `kmod_module_info_get_value`.
#[no_mangle]
pub unsafe extern "C" fn kmod_module_info_get_value(e: *const KList) -> *const c_char {
    guard(ptr::null(), || {
        // SAFETY: the caller's contract.
        match unsafe { list::entry(e) } {
            Some(Entry::Info { value, .. }) => KModule::ptr(value.as_ref()),
            _ => ptr::null(),
        }
    })
}

/// `kmod_module_info_free_list`.
#[no_mangle]
pub unsafe extern "C" fn kmod_module_info_free_list(l: *mut KList) {
    // SAFETY: the caller's contract.
    guard((), || unsafe { list::free(l, drop) })
}

/// `kmod_module_get_versions`: the `__versions` table.
#[no_mangle]
pub unsafe extern "C" fn kmod_module_get_versions(m: *const KModule, list: *mut *mut KList) -> c_int {
    // SAFETY: the caller's contract.
    unsafe { get_list(m, list, read_versions) }
}

/// `kmod_module_version_get_symbol`.
#[no_mangle]
pub unsafe extern "C" fn kmod_module_version_get_symbol(e: *const KList) -> *const c_char {
    // SAFETY: the caller's contract.
    guard(ptr::null(), || unsafe { symbol(e, SymbolKind::Version) }.map_or(ptr::null(), |s| s.0.as_ptr()))
}

/// `kmod_module_version_get_crc`.
#[no_mangle]
pub unsafe extern "C" fn kmod_module_version_get_crc(e: *const KList) -> u64 {
    // SAFETY: the caller's contract.
    guard(0, || unsafe { symbol(e, SymbolKind::Version) }.map_or(0, |s| s.1))
}

/// `kmod_module_versions_free_list`.
#[no_mangle]
pub unsafe extern "C" fn kmod_module_versions_free_list(l: *mut KList) {
    // SAFETY: the caller's contract.
    guard((), || unsafe { list::free(l, drop) })
}

/// `kmod_module_get_symbols`: the exported symbols (`__crc_` symbols with their CRC,
/// else `__ksymtab_strings` with CRC 0).
#[no_mangle]
pub unsafe extern "C" fn kmod_module_get_symbols(m: *const KModule, list: *mut *mut KList) -> c_int {
    // SAFETY: the caller's contract.
    unsafe { get_list(m, list, read_symbols) }
}

/// `kmod_module_symbol_get_symbol`.
#[no_mangle]
pub unsafe extern "C" fn kmod_module_symbol_get_symbol(e: *const KList) -> *const c_char {
    // SAFETY: the caller's contract.
    guard(ptr::null(), || unsafe { symbol(e, SymbolKind::Exported) }.map_or(ptr::null(), |s| s.0.as_ptr()))
}

/// `kmod_module_symbol_get_crc`.
#[no_mangle]
pub unsafe extern "C" fn kmod_module_symbol_get_crc(e: *const KList) -> u64 {
    // SAFETY: the caller's contract.
    guard(0, || unsafe { symbol(e, SymbolKind::Exported) }.map_or(0, |s| s.1))
}

/// `kmod_module_symbols_free_list`.
#[no_mangle]
pub unsafe extern "C" fn kmod_module_symbols_free_list(l: *mut KList) {
    // SAFETY: the caller's contract.
    guard((), || unsafe { list::free(l, drop) })
}

/// `kmod_module_get_dependency_symbols`: the symbols the module needs.
#[no_mangle]
pub unsafe extern "C" fn kmod_module_get_dependency_symbols(
    m: *const KModule,
    list: *mut *mut KList,
) -> c_int {
    // SAFETY: the caller's contract.
    unsafe { get_list(m, list, read_dependency_symbols) }
}

/// `kmod_module_dependency_symbol_get_symbol`.
#[no_mangle]
pub unsafe extern "C" fn kmod_module_dependency_symbol_get_symbol(e: *const KList) -> *const c_char {
    guard(ptr::null(), || {
        // SAFETY: the caller's contract.
        unsafe { symbol(e, SymbolKind::Dependency) }.map_or(ptr::null(), |s| s.0.as_ptr())
    })
}

/// `kmod_module_dependency_symbol_get_crc`.
#[no_mangle]
pub unsafe extern "C" fn kmod_module_dependency_symbol_get_crc(e: *const KList) -> u64 {
    // SAFETY: the caller's contract.
    guard(0, || unsafe { symbol(e, SymbolKind::Dependency) }.map_or(0, |s| s.1))
}

/// `kmod_module_dependency_symbol_get_bind`: `'U'` or `'W'` (`enum kmod_symbol_bind`);
/// 0 for NULL.
#[no_mangle]
pub unsafe extern "C" fn kmod_module_dependency_symbol_get_bind(e: *const KList) -> c_int {
    // SAFETY: the caller's contract.
    guard(0, || unsafe { symbol(e, SymbolKind::Dependency) }.map_or(0, |s| c_int::from(s.2)))
}

/// `kmod_module_dependency_symbols_free_list`.
#[no_mangle]
pub unsafe extern "C" fn kmod_module_dependency_symbols_free_list(l: *mut KList) {
    // SAFETY: the caller's contract.
    guard((), || unsafe { list::free(l, drop) })
}

#[cfg(test)]
mod tests {
    use std::ffi::{CStr, CString};

    use super::*;
    use crate::api::{
        kmod_module_new_from_name, kmod_module_new_from_path, kmod_module_unref, kmod_new, kmod_unref,
    };
    use crate::ctx::KCtx;

    const ROOT: &str =
        concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/roots/modprobe-basic/lib/modules/1.0.0-rk");
    const KO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/ko/6.1.0-56-amd64");

    /// A context on the fixture tree without configuration.
    fn ctx() -> *mut KCtx {
        let dir = CString::new(ROOT).unwrap();
        let no_config: [*const c_char; 1] = [ptr::null()];
        // SAFETY: a string and a NULL-terminated (empty) array.
        let c = unsafe { kmod_new(dir.as_ptr(), no_config.as_ptr()) };
        assert!(!c.is_null());
        c
    }

    fn module(c: *mut KCtx, path_or_name: &str) -> *mut KModule {
        let s = CString::new(path_or_name).unwrap();
        let mut m = ptr::null_mut();
        // SAFETY: a live context, a string, a valid out pointer.
        let rc = unsafe {
            if path_or_name.starts_with('/') {
                kmod_module_new_from_path(c, s.as_ptr(), &mut m)
            } else {
                kmod_module_new_from_name(c, s.as_ptr(), &mut m)
            }
        };
        assert_eq!(rc, 0, "{path_or_name}");
        m
    }

    fn text(p: *const c_char) -> Option<String> {
        // SAFETY: NULL or a string owned by a live list.
        (!p.is_null()).then(|| unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned())
    }

    /// Run a list function; the list's nodes mapped by `each`, then freed by `free`.
    fn listed<T>(
        m: *mut KModule,
        get: unsafe extern "C" fn(*const KModule, *mut *mut KList) -> c_int,
        free: unsafe extern "C" fn(*mut KList),
        each: impl Fn(*const KList) -> T,
    ) -> (c_int, Vec<T>) {
        let mut l = ptr::null_mut();
        // SAFETY: a live module and a valid out pointer.
        let rc = unsafe { get(m, &mut l) };
        // SAFETY: the list just returned.
        let out = unsafe { list::nodes(l) }.into_iter().map(|n| each(n)).collect();
        // SAFETY: the list is not used again.
        unsafe { free(l) };
        (rc, out)
    }

    #[test]
    fn null_arguments() {
        let mut l = ptr::null_mut();
        // SAFETY: NULL is accepted everywhere.
        unsafe {
            assert_eq!(kmod_module_get_info(ptr::null(), &mut l), -libc::ENOENT);
            assert_eq!(kmod_module_get_versions(ptr::null(), &mut l), -libc::ENOENT);
            assert_eq!(kmod_module_get_symbols(ptr::null(), &mut l), -libc::ENOENT);
            assert_eq!(kmod_module_get_dependency_symbols(ptr::null(), &mut l), -libc::ENOENT);
            assert!(l.is_null());
            assert!(kmod_module_info_get_key(ptr::null()).is_null());
            assert!(kmod_module_info_get_value(ptr::null()).is_null());
            assert!(kmod_module_version_get_symbol(ptr::null()).is_null());
            assert_eq!(kmod_module_version_get_crc(ptr::null()), 0);
            assert!(kmod_module_symbol_get_symbol(ptr::null()).is_null());
            assert_eq!(kmod_module_symbol_get_crc(ptr::null()), 0);
            assert!(kmod_module_dependency_symbol_get_symbol(ptr::null()).is_null());
            assert_eq!(kmod_module_dependency_symbol_get_crc(ptr::null()), 0);
            assert_eq!(kmod_module_dependency_symbol_get_bind(ptr::null()), 0);
            kmod_module_info_free_list(ptr::null_mut());
            kmod_module_versions_free_list(ptr::null_mut());
            kmod_module_symbols_free_list(ptr::null_mut());
            kmod_module_dependency_symbols_free_list(ptr::null_mut());
        }
        let c = ctx();
        let m = module(c, &format!("{KO}/hello.ko"));
        // SAFETY: a live module; a NULL out pointer is refused.
        unsafe {
            assert_eq!(kmod_module_get_info(m, ptr::null_mut()), -libc::ENOENT);
            assert_eq!(kmod_module_get_versions(m, ptr::null_mut()), -libc::ENOENT);
            assert_eq!(kmod_module_get_symbols(m, ptr::null_mut()), -libc::ENOENT);
            assert_eq!(kmod_module_get_dependency_symbols(m, ptr::null_mut()), -libc::ENOENT);
            kmod_module_unref(m);
            kmod_unref(c);
        }
    }

    #[test]
    fn getters_reject_other_kinds() {
        let info = list::from_entries([info_entry(b"license", b"GPL")]);
        let version = list::from_entries([Entry::Symbol {
            symbol: cstring(b"module_layout"),
            crc: 7,
            bind: 0,
            kind: SymbolKind::Version,
        }]);
        let dep = list::from_entries([Entry::Symbol {
            symbol: cstring(b"printk"),
            crc: 9,
            bind: KMOD_SYMBOL_WEAK,
            kind: SymbolKind::Dependency,
        }]);
        // SAFETY: live lists, freed once at the end.
        unsafe {
            assert_eq!(text(kmod_module_info_get_key(info)).as_deref(), Some("license"));
            assert_eq!(text(kmod_module_info_get_value(info)).as_deref(), Some("GPL"));
            assert!(kmod_module_version_get_symbol(info).is_null());
            assert!(kmod_module_info_get_key(version).is_null());
            assert!(kmod_module_info_get_value(version).is_null());
            assert_eq!(text(kmod_module_version_get_symbol(version)).as_deref(), Some("module_layout"));
            assert_eq!(kmod_module_version_get_crc(version), 7);
            assert!(kmod_module_symbol_get_symbol(version).is_null());
            assert_eq!(kmod_module_symbol_get_crc(version), 0);
            assert!(kmod_module_dependency_symbol_get_symbol(version).is_null());
            assert_eq!(kmod_module_dependency_symbol_get_bind(version), 0);
            assert_eq!(kmod_module_dependency_symbol_get_bind(dep), b'W' as c_int);
            assert_eq!(kmod_module_dependency_symbol_get_crc(dep), 9);
            assert_eq!(kmod_module_version_get_crc(dep), 0);
            kmod_module_info_free_list(info);
            kmod_module_versions_free_list(version);
            kmod_module_dependency_symbols_free_list(dep);
        }
    }

    #[test]
    fn a_signed_module_file() {
        let c = ctx();
        let m = module(c, &format!("{KO}/signed/hello.ko"));
        let (n, info) = listed(m, kmod_module_get_info, kmod_module_info_free_list, |e| {
            // SAFETY: a live info node.
            unsafe {
                (text(kmod_module_info_get_key(e)).unwrap(), text(kmod_module_info_get_value(e)).unwrap())
            }
        });
        assert_eq!(n, 25);
        assert_eq!(info.len(), 25);
        assert_eq!(info[0], ("softdep".into(), "pre: hello_soft".into()));
        let keys: Vec<&str> = info[20..].iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["sig_id", "signer", "sig_key", "sig_hashalgo", "signature"]);
        assert_eq!(info[20].1, "PKCS#7");
        assert_eq!(info[22].1, "52:3D:C2:6E:9F:40:85:38:1A:C6:38:44:28:E4:54:7D:76:04:81:04");
        assert!(info[24].1.contains(":\n\t\t"), "the signature wraps after 20 bytes");
        // SAFETY: a live module.
        assert!(unsafe { &*m }.image.borrow().is_some(), "the image is kept on the handle");

        let (n, versions) = listed(m, kmod_module_get_versions, kmod_module_versions_free_list, |e| {
            // SAFETY: a live version node.
            unsafe { (text(kmod_module_version_get_symbol(e)).unwrap(), kmod_module_version_get_crc(e)) }
        });
        assert_eq!(n, 7);
        assert_eq!(versions.last().unwrap(), &("module_layout".to_string(), 0x9060323f));

        let (n, symbols) = listed(m, kmod_module_get_symbols, kmod_module_symbols_free_list, |e| {
            // SAFETY: a live symbol node.
            unsafe { (text(kmod_module_symbol_get_symbol(e)).unwrap(), kmod_module_symbol_get_crc(e)) }
        });
        assert_eq!(n, 2);
        assert_eq!(symbols[0], ("hello_get_value".to_string(), 0x7b22065d));

        let (n, deps) =
            listed(m, kmod_module_get_dependency_symbols, kmod_module_dependency_symbols_free_list, |e| {
                // SAFETY: a live dependency symbol node.
                unsafe {
                    (
                        text(kmod_module_dependency_symbol_get_symbol(e)).unwrap(),
                        kmod_module_dependency_symbol_get_bind(e),
                    )
                }
            });
        assert_eq!(n, 7);
        assert!(deps.iter().all(|(_, bind)| *bind == b'U' as c_int));
        assert_eq!(deps.last().unwrap().0, "module_layout", "unnamed __versions entries come last");
        // SAFETY: released once.
        unsafe {
            kmod_module_unref(m);
            kmod_unref(c);
        }
    }

    #[test]
    fn errors_as_kmod_30() {
        let c = ctx();
        let count = |m, get| listed(m, get, kmod_module_info_free_list, |_| ()).0;
        // A module that exports nothing: ENOENT (kmod 31+: ENODATA).
        let user = module(c, &format!("{KO}/hello_user.ko"));
        assert_eq!(count(user, kmod_module_get_symbols), -libc::ENOENT);
        // Builtin: modules.builtin.modinfo, ENOSYS when it does not list the module;
        // no file, so no versions.
        let ext4 = module(c, "ext4");
        assert_eq!(count(ext4, kmod_module_get_info), 4);
        assert_eq!(count(ext4, kmod_module_get_versions), -libc::ENOENT);
        let n_null = module(c, "n_null");
        assert_eq!(count(n_null, kmod_module_get_info), -libc::ENOSYS);
        // Not in modules.dep: no path.
        let none = module(c, "no_such_module");
        assert_eq!(count(none, kmod_module_get_info), -libc::ENOENT);
        assert_eq!(count(none, kmod_module_get_dependency_symbols), -libc::ENOENT);
        // Not ELF; too short for a magic number.
        let bad = module(c, concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/bad/not-elf.ko"));
        assert_eq!(count(bad, kmod_module_get_info), -libc::ENOEXEC);
        let empty = module(c, concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/bad/empty.ko"));
        assert_eq!(count(empty, kmod_module_get_versions), -libc::EINVAL);
        // SAFETY: a failed open is not kept.
        assert!(unsafe { &*empty }.image.borrow().is_none());
        // SAFETY: each released once.
        unsafe {
            for m in [user, ext4, n_null, none, bad, empty] {
                kmod_module_unref(m);
            }
            kmod_unref(c);
        }
    }
}
