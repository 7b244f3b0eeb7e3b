//! The running kernel: `kmod_module_insert_module`, `kmod_module_remove_module`,
//! `kmod_module_new_from_loaded` (`/proc/modules`), and what sysfs says of a module
//! (`/sys/module/NAME`: initstate, refcnt, coresize, holders, sections), read the way
//! libkmod reads them — at most 31 bytes per attribute, a number followed by a blank,
//! errno and messages as libkmod gives them. The system calls go through the engine's
//! kernel boundary ([`rkmod::insert`], [`rkmod::kernel`]).

use std::ffi::{c_char, c_int, c_long, c_uint, c_ulong, OsStr};
use std::io::Read;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::ptr;

use rkmod::insert::{insert_file, Force, InsertError, Route};
use rkmod::resolve::ProbeOptions;

use crate::api::{ctx_ref, mod_ref, module_list, path_of};
use crate::ffi::{bytes, guard, io_neg, strerror};
use crate::list::{self, Entry, KList};
use crate::log::{LOG_ERR, LOG_INFO};
use crate::module::KModule;

/// `KMOD_REMOVE_FORCE` (`O_TRUNC`, passed to the kernel).
pub const KMOD_REMOVE_FORCE: c_uint = libc::O_TRUNC as c_uint;
/// `KMOD_REMOVE_NOWAIT` (`O_NONBLOCK`, always set).
pub const KMOD_REMOVE_NOWAIT: c_uint = libc::O_NONBLOCK as c_uint;
/// `KMOD_REMOVE_NOLOG`: no message on failure.
pub const KMOD_REMOVE_NOLOG: c_uint = 1;
/// `KMOD_INSERT_FORCE_VERMAGIC`.
pub const KMOD_INSERT_FORCE_VERMAGIC: c_uint = 0x1;
/// `KMOD_INSERT_FORCE_MODVERSION`.
pub const KMOD_INSERT_FORCE_MODVERSION: c_uint = 0x2;

/// `enum kmod_module_initstate`.
pub const KMOD_MODULE_BUILTIN: c_int = 0;
/// Live.
pub const KMOD_MODULE_LIVE: c_int = 1;
/// Coming.
pub const KMOD_MODULE_COMING: c_int = 2;
/// Going.
pub const KMOD_MODULE_GOING: c_int = 3;

/// C's `strtol`/`strtoul` on `text` in `radix`: leading blanks, a sign, digits
/// (`0x` allowed for radix 16); saturating on overflow. Returns the value and the
/// rest after the digits (all of `text` when there were none).
pub fn parse_long(text: &[u8], radix: u32, unsigned: bool) -> (i64, &[u8]) {
    let mut i = 0;
    while i < text.len() && (text[i] == b' ' || (b'\t'..=b'\r').contains(&text[i])) {
        i += 1;
    }
    let mut neg = false;
    if i < text.len() && (text[i] == b'+' || text[i] == b'-') {
        neg = text[i] == b'-';
        i += 1;
    }
    if radix == 16
        && i + 2 < text.len() + 1
        && text.get(i) == Some(&b'0')
        && matches!(text.get(i + 1), Some(b'x' | b'X'))
        && text.get(i + 2).is_some_and(|c| c.is_ascii_hexdigit())
    {
        i += 2;
    }
    let start = i;
    let mut v: u64 = 0;
    let mut overflow = false;
    while let Some(d) = text.get(i).and_then(|&c| (c as char).to_digit(radix)) {
        match v.checked_mul(radix as u64).and_then(|x| x.checked_add(d as u64)) {
            Some(x) => v = x,
            None => overflow = true,
        }
        i += 1;
    }
    if i == start {
        return (0, text);
    }
    let value = if unsigned {
        let v = if overflow { u64::MAX } else { v };
        (if neg { v.wrapping_neg() } else { v }) as i64
    } else if neg {
        if overflow || v > i64::MAX as u64 + 1 {
            i64::MIN
        } else {
            (v as i64).wrapping_neg()
        }
    } else if overflow || v > i64::MAX as u64 {
        i64::MAX
    } else {
        v as i64
    };
    (value, &text[i..])
}

/// libkmod's `read_str_long`/`read_str_ulong`: the first 31 bytes of the file, a
/// number followed by a blank (a number at the very end is `-EINVAL`).
fn read_number(path: &Path, radix: u32, unsigned: bool) -> Result<i64, c_int> {
    let mut f = std::fs::File::open(path).map_err(|e| io_neg(&e))?;
    let mut buf = Vec::with_capacity(32);
    (&mut f).take(31).read_to_end(&mut buf).map_err(|e| io_neg(&e))?;
    let text = &buf[..buf.iter().position(|&c| c == 0).unwrap_or(buf.len())];
    let (v, rest) = parse_long(text, radix, unsigned);
    if rest.len() == text.len() || !rest.first().is_some_and(|&c| c == b' ' || (b'\t'..=b'\r').contains(&c)) {
        return Err(-libc::EINVAL);
    }
    Ok(v)
}

fn sys_module(m: &KModule, rest: &str) -> PathBuf {
    let mut p = m.ctx().sys.root().join("sys/module").into_os_string();
    p.push("/");
    p.push(OsStr::from_bytes(m.name.to_bytes()));
    p.push(rest);
    PathBuf::from(p)
}

fn proc_modules(m: &KModule) -> PathBuf {
    m.ctx().sys.root().join("proc/modules")
}

fn shown(p: &Path) -> &[u8] {
    p.as_os_str().as_bytes()
}

/// `kmod_module_remove_module`.
#[no_mangle]
pub unsafe extern "C" fn kmod_module_remove_module(m: *mut KModule, flags: c_uint) -> c_int {
    guard(-libc::ENOMEM, || {
        // SAFETY: the caller's contract.
        let Some(md) = (unsafe { mod_ref(m) }) else { return -libc::ENOENT };
        let kflags = (flags & KMOD_REMOVE_FORCE) | KMOD_REMOVE_NOWAIT;
        match md.ctx().sys.kernel().delete_module(&md.name, kflags) {
            Ok(()) => 0,
            Err(e) => {
                if flags & 0xff & KMOD_REMOVE_NOLOG == 0 {
                    md.ctx().log(
                        LOG_ERR,
                        "kmod_module_remove_module",
                        [&b"could not remove '"[..], md.name.to_bytes(), b"': ", e.desc().as_bytes(), b"\n"]
                            .concat(),
                    );
                }
                crate::ffi::neg(e)
            }
        }
    })
}

/// Insert the module's file with `options`, logging what libkmod logs.
pub fn insert(md: &KModule, force: Force, options: &[u8]) -> c_int {
    let ctx = md.ctx();
    let Some(path) = path_of(md) else {
        ctx.log(
            LOG_ERR,
            "kmod_module_insert_module",
            [&b"could not find module by name='"[..], md.name.to_bytes(), b"'\n"].concat(),
        );
        return -libc::ENOENT;
    };
    let path = Path::new(OsStr::from_bytes(path.to_bytes()));
    let strip_note = |route: &Route| {
        if let Route::InitModule { stripped: Some(s), .. } = route {
            if s.no_versions {
                ctx.log(
                    LOG_INFO,
                    "kmod_module_insert_module/modversion",
                    "Failed to strip modversion: No such file or directory\n",
                );
            }
            if s.no_vermagic {
                ctx.log(
                    LOG_INFO,
                    "kmod_module_insert_module/vermagic",
                    "Failed to strip vermagic: No such file or directory\n",
                );
            }
        }
    };
    match insert_file(&ctx.sys, path, options, force) {
        Ok(done) => {
            strip_note(&done.route);
            0
        }
        Err(InsertError::Kernel { errno, route, .. }) => {
            strip_note(&route);
            ctx.log(
                LOG_INFO,
                "kmod_module_insert_module/info",
                [&b"Failed to insert module '"[..], shown(path), b"': ", errno.desc().as_bytes(), b"\n"]
                    .concat(),
            );
            crate::ffi::neg(errno)
        }
        Err(e) => crate::ffi::neg(e.errno()),
    }
}

/// `kmod_module_insert_module`.
#[no_mangle]
pub unsafe extern "C" fn kmod_module_insert_module(
    m: *mut KModule,
    flags: c_uint,
    options: *const c_char,
) -> c_int {
    guard(-libc::ENOMEM, || {
        // SAFETY: the caller's contract.
        let Some(md) = (unsafe { mod_ref(m) }) else { return -libc::ENOENT };
        let force = Force {
            vermagic: flags & KMOD_INSERT_FORCE_VERMAGIC != 0,
            modversion: flags & KMOD_INSERT_FORCE_MODVERSION != 0,
        };
        // SAFETY: NULL or a string.
        let options = unsafe { bytes(options) }.unwrap_or_default();
        insert(md, force, options)
    })
}

/// `kmod_module_new_from_loaded`: a module object for each line of `/proc/modules`.
#[no_mangle]
pub unsafe extern "C" fn kmod_module_new_from_loaded(
    ctx: *mut crate::ctx::KCtx,
    list: *mut *mut KList,
) -> c_int {
    guard(-libc::ENOMEM, || {
        // SAFETY: the caller's contract.
        let Some(c) = (unsafe { ctx_ref(ctx) }) else { return -libc::ENOENT };
        if list.is_null() {
            return -libc::ENOENT;
        }
        let path = c.sys.root().join("proc/modules");
        let data = match std::fs::read(&path) {
            Ok(d) => d,
            Err(e) => {
                let err = io_neg(&e);
                c.log(
                    LOG_ERR,
                    "kmod_module_new_from_loaded",
                    format!("could not open /proc/modules: {}\n", strerror(-err)),
                );
                return err;
            }
        };
        let names: Vec<&[u8]> = data
            .split(|&b| b == b'\n')
            .filter(|l| !l.is_empty())
            .map(|l| l.split(|&b| b == b' ' || b == b'\t').find(|t| !t.is_empty()).unwrap_or_default())
            .collect();
        c.with_resolver(ProbeOptions::default(), |r| {
            let ids: Vec<_> = names.iter().map(|n| r.by_name(crate::api::clip(n))).collect();
            // SAFETY: list is valid.
            unsafe { *list = module_list(ctx, r, &ids) };
        });
        0
    })
}

/// `kmod_module_initstate_str`.
#[no_mangle]
pub extern "C" fn kmod_module_initstate_str(state: c_int) -> *const c_char {
    match state {
        KMOD_MODULE_BUILTIN => c"builtin".as_ptr(),
        KMOD_MODULE_LIVE => c"live".as_ptr(),
        KMOD_MODULE_COMING => c"coming".as_ptr(),
        KMOD_MODULE_GOING => c"going".as_ptr(),
        _ => ptr::null(),
    }
}

/// The initstate of a module as libkmod reads it (builtin first).
pub fn initstate(md: &KModule) -> c_int {
    let ctx = md.ctx();
    if ctx.with_resolver(ProbeOptions::default(), |r| r.is_builtin(md.id).unwrap_or(false)) {
        return KMOD_MODULE_BUILTIN;
    }
    // libkmod opens `initstate` first and looks at the directory when that fails; the
    // directory first answers the same in one system call for a module not loaded
    // (the common case: udev asks about every module before loading it).
    let dir = sys_module(md, "");
    let dir_is_dir = match std::fs::metadata(&dir) {
        Ok(m) => m.is_dir(),
        Err(e) => return io_neg(&e),
    };
    let path = sys_module(md, "/initstate");
    let mut f = match std::fs::File::open(&path) {
        Ok(f) => f,
        Err(_) if dir_is_dir => return KMOD_MODULE_COMING,
        Err(e) => return io_neg(&e),
    };
    let mut buf = Vec::new();
    if let Err(e) = (&mut f).take(31).read_to_end(&mut buf) {
        let err = io_neg(&e);
        ctx.log(
            LOG_ERR,
            "kmod_module_get_initstate",
            [&b"could not read from '"[..], shown(&path), b"': ", strerror(-err).as_bytes(), b"\n"].concat(),
        );
        return err;
    }
    let buf = &buf[..buf.iter().position(|&c| c == 0).unwrap_or(buf.len())];
    match buf {
        b"live\n" => KMOD_MODULE_LIVE,
        b"coming\n" => KMOD_MODULE_COMING,
        b"going\n" => KMOD_MODULE_GOING,
        _ => {
            ctx.log(
                LOG_ERR,
                "kmod_module_get_initstate/unknown",
                [&b"unknown "[..], shown(&path), b": '", buf, b"'\n"].concat(),
            );
            -libc::EINVAL
        }
    }
}

/// Live or builtin (libkmod's `module_is_inkernel`).
pub fn is_inkernel(md: &KModule) -> bool {
    matches!(initstate(md), KMOD_MODULE_LIVE | KMOD_MODULE_BUILTIN)
}

/// `kmod_module_get_initstate`.
#[no_mangle]
pub unsafe extern "C" fn kmod_module_get_initstate(m: *const KModule) -> c_int {
    // SAFETY: the caller's contract.
    guard(-libc::ENOMEM, || unsafe { mod_ref(m) }.map_or(-libc::ENOENT, initstate))
}

/// `kmod_module_get_size`: `coresize`, else the module's `/proc/modules` line.
#[no_mangle]
pub unsafe extern "C" fn kmod_module_get_size(m: *const KModule) -> c_long {
    guard(-libc::ENOMEM as c_long, || {
        // SAFETY: the caller's contract.
        let Some(md) = (unsafe { mod_ref(m) }) else { return -libc::ENOENT as c_long };
        let dir = sys_module(md, "");
        if let Err(e) = std::fs::File::open(&dir) {
            return io_neg(&e) as c_long;
        }
        let coresize = sys_module(md, "/coresize");
        if std::fs::File::open(&coresize).is_ok() {
            return match read_number(&coresize, 10, false) {
                Ok(v) => v as c_long,
                Err(_) => {
                    md.ctx().log(
                        LOG_ERR,
                        "kmod_module_get_size",
                        [&b"failed to read coresize from "[..], shown(&dir), b"\n"].concat(),
                    );
                    0
                }
            };
        }
        let pm = proc_modules(md);
        let data = match std::fs::read(&pm) {
            Ok(d) => d,
            Err(e) => {
                let err = io_neg(&e);
                md.ctx().log(
                    LOG_ERR,
                    "kmod_module_get_size/open",
                    format!("could not open /proc/modules: {}\n", strerror(-err)),
                );
                return err as c_long;
            }
        };
        for (n, line) in data.split(|&b| b == b'\n').enumerate() {
            let mut toks = line.split(|&b| b == b' ' || b == b'\t').filter(|t| !t.is_empty());
            if toks.next() != Some(md.name.to_bytes()) {
                continue;
            }
            // Two call sites in libkmod: no size field, and a size that is no number.
            let bad = |site: &str| {
                md.ctx().log(LOG_ERR, site, format!("invalid line format at /proc/modules:{}\n", n + 1));
                -libc::ENOENT as c_long
            };
            let Some(tok) = toks.next() else { return bad("kmod_module_get_size/format") };
            let (v, rest) = parse_long(tok, 10, false);
            if rest.len() == tok.len() || !rest.is_empty() {
                return bad("kmod_module_get_size/value");
            }
            return v as c_long;
        }
        -libc::ENOENT as c_long
    })
}

/// `kmod_module_get_refcnt`.
#[no_mangle]
pub unsafe extern "C" fn kmod_module_get_refcnt(m: *const KModule) -> c_int {
    guard(-libc::ENOMEM, || {
        // SAFETY: the caller's contract.
        let Some(md) = (unsafe { mod_ref(m) }) else { return -libc::ENOENT };
        let path = sys_module(md, "/refcnt");
        if let Err(e) = std::fs::File::open(&path) {
            return io_neg(&e);
        }
        match read_number(&path, 10, false) {
            Ok(v) => v as c_int,
            Err(err) => {
                md.ctx().log(
                    LOG_ERR,
                    "kmod_module_get_refcnt",
                    [
                        &b"could not read integer from '"[..],
                        shown(&path),
                        b"': '",
                        strerror(-err).as_bytes(),
                        b"'\n",
                    ]
                    .concat(),
                );
                err
            }
        }
    })
}

/// The entries of a sysfs directory in readdir order, `.` and `..` left out.
fn read_dir(path: &Path) -> std::io::Result<Vec<Vec<u8>>> {
    Ok(std::fs::read_dir(path)?.filter_map(|e| e.ok()).map(|e| e.file_name().as_bytes().to_vec()).collect())
}

/// `kmod_module_get_holders`.
#[no_mangle]
pub unsafe extern "C" fn kmod_module_get_holders(m: *const KModule) -> *mut KList {
    guard(ptr::null_mut(), || {
        // SAFETY: the caller's contract.
        let Some(md) = (unsafe { mod_ref(m) }) else { return ptr::null_mut() };
        let dir = sys_module(md, "/holders");
        let names = match read_dir(&dir) {
            Ok(n) => n,
            Err(e) => {
                md.ctx().log(
                    LOG_ERR,
                    "kmod_module_get_holders",
                    [&b"could not open '"[..], shown(&dir), b"': ", strerror(-io_neg(&e)).as_bytes(), b"\n"]
                        .concat(),
                );
                return ptr::null_mut();
            }
        };
        md.ctx().with_resolver(ProbeOptions::default(), |r| {
            let ids: Vec<_> = names.iter().map(|n| r.by_name(n)).collect();
            // SAFETY: the module's live context.
            unsafe { module_list(md.ctx, r, &ids) }
        })
    })
}

/// `kmod_module_get_sections`.
#[no_mangle]
pub unsafe extern "C" fn kmod_module_get_sections(m: *const KModule) -> *mut KList {
    guard(ptr::null_mut(), || {
        // SAFETY: the caller's contract.
        let Some(md) = (unsafe { mod_ref(m) }) else { return ptr::null_mut() };
        let dir = sys_module(md, "/sections");
        let names = match read_dir(&dir) {
            Ok(n) => n,
            Err(e) => {
                md.ctx().log(
                    LOG_ERR,
                    "kmod_module_get_sections",
                    [&b"could not open '"[..], shown(&dir), b"': ", strerror(-io_neg(&e)).as_bytes(), b"\n"]
                        .concat(),
                );
                return ptr::null_mut();
            }
        };
        let mut entries = Vec::new();
        for n in names {
            let mut p = dir.clone().into_os_string();
            p.push("/");
            p.push(OsStr::from_bytes(&n));
            let what = [shown(&dir), b"/", &n].concat();
            match read_number(Path::new(&p), 16, true) {
                Ok(v) => {
                    entries.push(Entry::Section { name: crate::ffi::cstring(&n), address: v as c_ulong })
                }
                Err(err) => {
                    // libkmod prints %m: the open's errno, or strtoul's (0: "Success").
                    let why = if err == -libc::EINVAL { "Success" } else { strerror(-err) };
                    let verb: &[u8] = if err == -libc::EINVAL {
                        b"could not read long from '"
                    } else {
                        b"could not open '"
                    };
                    let site = if err == -libc::EINVAL {
                        "kmod_module_get_sections/read"
                    } else {
                        "kmod_module_get_sections/entry"
                    };
                    md.ctx().log(LOG_ERR, site, [verb, &what, b"': ", why.as_bytes(), b"\n"].concat());
                    return ptr::null_mut();
                }
            }
        }
        list::from_entries(entries)
    })
}

/// `kmod_module_section_get_name`.
#[no_mangle]
pub unsafe extern "C" fn kmod_module_section_get_name(entry: *const KList) -> *const c_char {
    guard(ptr::null(), || {
        // SAFETY: the caller's contract.
        match unsafe { list::entry(entry) } {
            Some(Entry::Section { name, .. }) => name.as_ptr(),
            _ => ptr::null(),
        }
    })
}

/// `kmod_module_section_get_address`.
#[no_mangle]
pub unsafe extern "C" fn kmod_module_section_get_address(entry: *const KList) -> c_ulong {
    guard(c_ulong::MAX, || {
        // SAFETY: the caller's contract.
        match unsafe { list::entry(entry) } {
            Some(Entry::Section { address, .. }) => *address,
            _ => c_ulong::MAX,
        }
    })
}

/// `kmod_module_section_free_list`.
#[no_mangle]
pub unsafe extern "C" fn kmod_module_section_free_list(l: *mut KList) {
    // SAFETY: the caller's contract.
    guard((), || unsafe { list::free(l, drop) })
}

#[cfg(test)]
mod tests {
    use super::parse_long;

    #[test]
    fn strtol_semantics() {
        assert_eq!(parse_long(b"  42\n", 10, false), (42, &b"\n"[..]));
        assert_eq!(parse_long(b"-7 ", 10, false), (-7, &b" "[..]));
        assert_eq!(parse_long(b"x", 10, false), (0, &b"x"[..]));
        assert_eq!(parse_long(b"0xffffffffc0000000\n", 16, true), (0xffffffffc0000000u64 as i64, &b"\n"[..]));
        assert_eq!(parse_long(b"99999999999999999999\n", 10, false).0, i64::MAX);
        assert_eq!(parse_long(b"0x", 16, true), (0, &b"x"[..]));
    }
}
