//! The configuration as data (`kmod_config_get_*` iterators over blacklists, install
//! and remove commands, aliases, options, softdeps and weakdeps), the index dump
//! (`kmod_dump_index`) and the resources (`kmod_load_resources`,
//! `kmod_unload_resources`, `kmod_validate_resources`).
//!
//! An iterator copies the keys and values of its kind when it is created, so every
//! string it returns stays valid until it is freed (libkmod's point into the context's
//! configuration, and a softdep value only until the next `get_value`). The entries
//! are the engine's [`Config`](rkmod::config::Config) in kmod's order, the kernel
//! command line's options and blacklist included; softdep values are spelled as kmod
//! 30 spells them ([`Softdep::kmod_text`](rkmod::config::Softdep::kmod_text), with its
//! display quirk), weakdep values are the names joined by blanks (kmod 33).
//!
//! The dump walks an index in kmod's order ([`Index::entries_bytes`]) and writes
//! `PREFIX KEY VALUE\n` per value: from the index `kmod_load_resources` mapped when
//! there is one, otherwise from the file.

use std::ffi::{c_char, c_int, CString};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::ptr;
use std::rc::Rc;

use rkmod::index::bin::{Index, IndexError, INDEX_MAGIC};
use rkmod::lookup::ModuleDir;

use crate::api::ctx_ref;
use crate::ctx::{stamp, stamp_of, KCtx, Resources, INDEX_FILES, OPTIONAL_INDEX};
use crate::ffi::{cstring, guard, io_neg};
use crate::log::{LOG_ERR, LOG_INFO};

/// `KMOD_RESOURCES_OK`: nothing changed on disk.
pub const KMOD_RESOURCES_OK: c_int = 0;
/// `KMOD_RESOURCES_MUST_RELOAD`: a loaded index changed; unload and load again.
pub const KMOD_RESOURCES_MUST_RELOAD: c_int = 1;
/// `KMOD_RESOURCES_MUST_RECREATE`: the configuration changed; make a new context.
pub const KMOD_RESOURCES_MUST_RECREATE: c_int = 2;

/// `struct kmod_config_iter`: a copy of one kind of configuration entry and a position.
pub struct ConfigIter {
    /// Key and value (None for blacklists, which have no value) of every entry.
    entries: Vec<(CString, Option<CString>)>,
    /// The current entry; None before the first `next` and after the end.
    pos: Option<usize>,
}

impl ConfigIter {
    fn new(entries: Vec<(CString, Option<CString>)>) -> ConfigIter {
        ConfigIter { entries, pos: None }
    }

    /// The current entry, if any.
    fn current(&self) -> Option<&(CString, Option<CString>)> {
        self.pos.and_then(|i| self.entries.get(i))
    }

    /// libkmod's step: from before the start (or after the end) to the first entry,
    /// otherwise to the next; false when there is none (the iterator then restarts on
    /// the next call).
    fn advance(&mut self) -> bool {
        let next = match self.pos {
            None => 0,
            Some(i) => i + 1,
        };
        self.pos = (next < self.entries.len()).then_some(next);
        self.pos.is_some()
    }
}

/// The kinds of configuration entry an iterator walks.
#[derive(Clone, Copy)]
enum Kind {
    Blacklists,
    Installs,
    Removes,
    Aliases,
    Options,
    Softdeps,
    Weakdeps,
}

fn entries(ctx: &KCtx, kind: Kind) -> Vec<(CString, Option<CString>)> {
    let c = &ctx.config;
    let pair = |k: &[u8], v: &[u8]| (cstring(k), Some(cstring(v)));
    match kind {
        Kind::Blacklists => c.blacklist.iter().map(|b| (cstring(&b.modname), None)).collect(),
        Kind::Installs => c.installs.iter().map(|i| pair(&i.modname, &i.command)).collect(),
        Kind::Removes => c.removes.iter().map(|r| pair(&r.modname, &r.command)).collect(),
        Kind::Aliases => c.aliases.iter().map(|a| pair(&a.pattern, &a.modname)).collect(),
        Kind::Options => c.options.iter().map(|o| pair(&o.modname, &o.options)).collect(),
        Kind::Softdeps => c.softdeps.iter().map(|s| pair(&s.modname, s.kmod_text())).collect(),
        Kind::Weakdeps => c.weakdeps.iter().map(|w| pair(&w.modname, &w.deps.join(&b' '))).collect(),
    }
}

/// A new iterator of `kind` over the context's configuration (NULL for a NULL context).
///
/// # Safety
/// `ctx` is NULL or a live context.
unsafe fn config_iter(ctx: *const KCtx, kind: Kind) -> *mut ConfigIter {
    guard(ptr::null_mut(), || {
        // SAFETY: the caller's contract.
        let Some(c) = (unsafe { ctx_ref(ctx) }) else { return ptr::null_mut() };
        Box::into_raw(Box::new(ConfigIter::new(entries(c, kind))))
    })
}

/// `kmod_config_get_blacklists`: the `blacklist` names (no values).
#[no_mangle]
pub unsafe extern "C" fn kmod_config_get_blacklists(ctx: *const KCtx) -> *mut ConfigIter {
    // SAFETY: the caller's contract.
    unsafe { config_iter(ctx, Kind::Blacklists) }
}

/// `kmod_config_get_install_commands`: module name and `install` command.
#[no_mangle]
pub unsafe extern "C" fn kmod_config_get_install_commands(ctx: *const KCtx) -> *mut ConfigIter {
    // SAFETY: the caller's contract.
    unsafe { config_iter(ctx, Kind::Installs) }
}

/// `kmod_config_get_remove_commands`: module name and `remove` command.
#[no_mangle]
pub unsafe extern "C" fn kmod_config_get_remove_commands(ctx: *const KCtx) -> *mut ConfigIter {
    // SAFETY: the caller's contract.
    unsafe { config_iter(ctx, Kind::Removes) }
}

/// `kmod_config_get_aliases`: alias pattern and module name.
#[no_mangle]
pub unsafe extern "C" fn kmod_config_get_aliases(ctx: *const KCtx) -> *mut ConfigIter {
    // SAFETY: the caller's contract.
    unsafe { config_iter(ctx, Kind::Aliases) }
}

/// `kmod_config_get_options`: module name and options (configuration files, then the
/// kernel command line).
#[no_mangle]
pub unsafe extern "C" fn kmod_config_get_options(ctx: *const KCtx) -> *mut ConfigIter {
    // SAFETY: the caller's contract.
    unsafe { config_iter(ctx, Kind::Options) }
}

/// `kmod_config_get_softdeps`: module pattern and `pre: ...post: ...` as kmod 30
/// prints it.
#[no_mangle]
pub unsafe extern "C" fn kmod_config_get_softdeps(ctx: *const KCtx) -> *mut ConfigIter {
    // SAFETY: the caller's contract.
    unsafe { config_iter(ctx, Kind::Softdeps) }
}

/// `kmod_config_get_weakdeps` (kmod 33): module pattern and the names, blank-separated.
#[no_mangle]
pub unsafe extern "C" fn kmod_config_get_weakdeps(ctx: *const KCtx) -> *mut ConfigIter {
    // SAFETY: the caller's contract.
    unsafe { config_iter(ctx, Kind::Weakdeps) }
}

/// `kmod_config_iter_get_key`: the current entry's key (NULL before the first
/// `kmod_config_iter_next` and after the end).
#[no_mangle]
pub unsafe extern "C" fn kmod_config_iter_get_key(i: *const ConfigIter) -> *const c_char {
    guard(ptr::null(), || {
        // SAFETY: the caller's contract: NULL or a live iterator.
        let Some(it) = (unsafe { i.as_ref() }) else { return ptr::null() };
        it.current().map_or(ptr::null(), |(k, _)| k.as_ptr())
    })
}

/// `kmod_config_iter_get_value`: the current entry's value (NULL for blacklists,
/// before the first `kmod_config_iter_next` and after the end).
#[no_mangle]
pub unsafe extern "C" fn kmod_config_iter_get_value(i: *const ConfigIter) -> *const c_char {
    guard(ptr::null(), || {
        // SAFETY: the caller's contract: NULL or a live iterator.
        let Some(it) = (unsafe { i.as_ref() }) else { return ptr::null() };
        it.current().and_then(|(_, v)| v.as_ref()).map_or(ptr::null(), |v| v.as_ptr())
    })
}

/// `kmod_config_iter_next`: move to the first entry (on a new iterator or after the
/// end) or the next; false at the end.
#[no_mangle]
pub unsafe extern "C" fn kmod_config_iter_next(i: *mut ConfigIter) -> bool {
    guard(false, || {
        // SAFETY: the caller's contract: NULL or a live iterator.
        let Some(it) = (unsafe { i.as_mut() }) else { return false };
        it.advance()
    })
}

/// `kmod_config_iter_free_iter` (NULL is accepted, where libkmod crashes).
#[no_mangle]
pub unsafe extern "C" fn kmod_config_iter_free_iter(i: *mut ConfigIter) {
    guard((), || {
        if !i.is_null() {
            // SAFETY: made by Box::into_raw in config_iter; not used after this call.
            drop(unsafe { Box::from_raw(i) });
        }
    })
}

/// The path of index `n` in the context's module directory.
fn index_path(ctx: &KCtx, n: usize) -> PathBuf {
    ctx.dir_path().join(INDEX_FILES[n].0)
}

/// The name libkmod gives index `n` in messages (the file name without `.bin`).
fn index_name(n: usize) -> &'static str {
    let file = INDEX_FILES[n].0;
    file.strip_suffix(".bin").unwrap_or(file)
}

/// Write all of `data` to `fd` as libkmod does: retry after `EINTR` and `EAGAIN`
/// (waiting for the descriptor rather than spinning), stop at another error or a
/// write of 0 bytes. The error is not reported (libkmod's dump ignores it).
fn write_all(fd: c_int, mut data: &[u8]) {
    while !data.is_empty() {
        // SAFETY: `data` is a live buffer of `data.len()` bytes; `fd` is the caller's.
        let r = unsafe { libc::write(fd, data.as_ptr().cast(), data.len()) };
        if r > 0 {
            data = &data[r as usize..];
            continue;
        }
        if r == 0 {
            return;
        }
        match std::io::Error::last_os_error().raw_os_error() {
            Some(libc::EINTR) => {}
            Some(libc::EAGAIN) => {
                let mut p = libc::pollfd { fd, events: libc::POLLOUT, revents: 0 };
                // SAFETY: one valid pollfd.
                unsafe { libc::poll(&mut p, 1, -1) };
            }
            _ => return,
        }
    }
}

/// The dump text of an index: `PREFIX KEY VALUE\n` per value, in kmod's order.
fn dump_text(idx: &Index, prefix: &str) -> Result<Vec<u8>, IndexError> {
    let mut out = Vec::new();
    for (key, _, value) in idx.entries_bytes()? {
        out.extend_from_slice(prefix.as_bytes());
        out.extend_from_slice(&key);
        out.push(b' ');
        out.extend_from_slice(&value);
        out.push(b'\n');
    }
    Ok(out)
}

/// `kmod_dump_index`: write index `type` (`enum kmod_index`) to `fd` as kmod's
/// `index_dump` does. `-ENOSYS` for a NULL context and for an index file that cannot
/// be opened (missing, empty, bad magic or version), `-ENOENT` for an unknown type,
/// `-EINVAL` for an index whose tree is corrupt (nothing is written; libkmod's
/// behaviour on such a file is undefined).
#[no_mangle]
pub unsafe extern "C" fn kmod_dump_index(ctx: *mut KCtx, r#type: c_int, fd: c_int) -> c_int {
    guard(-libc::ENOMEM, || {
        // SAFETY: the caller's contract.
        let Some(c) = (unsafe { ctx_ref(ctx) }) else { return -libc::ENOSYS };
        let Ok(n) = usize::try_from(r#type) else { return -libc::ENOENT };
        let Some(&(file, prefix)) = INDEX_FILES.get(n) else { return -libc::ENOENT };
        let text = {
            let res = c.resources.borrow();
            let loaded = res
                .as_ref()
                .filter(|r| r.stamps.iter().any(|(i, _, _)| *i == n))
                .and_then(|r| r.dir.opened(file));
            match loaded {
                Some(idx) => dump_text(idx, prefix),
                None => match Index::open(&index_path(c, n)) {
                    Ok(idx) => dump_text(&idx, prefix),
                    Err(_) => return -libc::ENOSYS,
                },
            }
        };
        match text {
            Ok(t) => {
                write_all(fd, &t);
                0
            }
            Err(_) => -libc::EINVAL,
        }
    })
}

/// Open and map one index as libkmod's `index_mm_open`: its stamp from the open file;
/// `-errno` when it cannot be opened or mapped, `-EINVAL` when it is shorter than the
/// header or has a bad magic or major version (those two logged as libkmod logs them).
fn open_index(ctx: &KCtx, path: &Path) -> Result<(Index, u64), c_int> {
    let file = File::open(path).map_err(|e| io_neg(&e))?;
    let md = file.metadata().map_err(|_| -libc::EINVAL)?;
    if md.len() < 12 {
        return Err(-libc::EINVAL);
    }
    match Index::from_file(&file) {
        Ok(idx) => Ok((idx, stamp_of(&md))),
        Err(IndexError::Io(e)) => Err(io_neg(&e)),
        Err(IndexError::BadMagic(m)) => {
            let msg = format!("magic check fail: {m:x} instead of {INDEX_MAGIC:x}\n");
            ctx.log(LOG_ERR, "index_mm_open", msg);
            Err(-libc::EINVAL)
        }
        Err(IndexError::BadVersion(v)) => {
            ctx.log(
                LOG_ERR,
                "index_mm_open/version",
                format!("major version check fail: {v} instead of 2\n"),
            );
            Err(-libc::EINVAL)
        }
        Err(_) => Err(-libc::EINVAL),
    }
}

/// Load every index not loaded yet into `res`: 0, or the error of the first required
/// index that failed (the optional `modules.builtin.alias.bin` may fail).
fn load_into(ctx: &KCtx, res: &mut Resources) -> c_int {
    for (n, &(file, _)) in INDEX_FILES.iter().enumerate() {
        if res.stamps.iter().any(|(i, _, _)| *i == n) {
            ctx.log(LOG_INFO, "kmod_load_resources", format!("Index {} already loaded\n", index_name(n)));
            continue;
        }
        let path = index_path(ctx, n);
        match open_index(ctx, &path) {
            Ok((idx, st)) => {
                // The directory is shared only while a call uses it; when it is (never
                // between calls), the index stays unloaded and is opened per lookup.
                if let Some(dir) = Rc::get_mut(&mut res.dir) {
                    dir.set_index(file, Some(idx));
                    dir.remember_existing_files();
                    res.stamps.push((n, path, st));
                }
            }
            Err(e) if n != OPTIONAL_INDEX => return e,
            Err(_) => {}
        }
    }
    0
}

/// `kmod_load_resources`: open and map the five indexes, kept until
/// `kmod_unload_resources`; an index already loaded is kept (and logged). On an error
/// (`-errno` of a required index, `-EINVAL` for a malformed one) nothing stays
/// loaded. `-ENOENT` for a NULL context.
#[no_mangle]
pub unsafe extern "C" fn kmod_load_resources(ctx: *mut KCtx) -> c_int {
    guard(-libc::ENOMEM, || {
        // SAFETY: the caller's contract.
        let Some(c) = (unsafe { ctx_ref(ctx) }) else { return -libc::ENOENT };
        let taken = c.resources.borrow_mut().take();
        let mut res = taken
            .unwrap_or_else(|| Resources { dir: Rc::new(ModuleDir::new(c.dir_path())), stamps: Vec::new() });
        let err = load_into(c, &mut res);
        if err == 0 {
            *c.resources.borrow_mut() = Some(res);
        }
        err
    })
}

/// `kmod_unload_resources`: forget the loaded indexes (later calls open the files).
#[no_mangle]
pub unsafe extern "C" fn kmod_unload_resources(ctx: *mut KCtx) {
    guard((), || {
        // SAFETY: the caller's contract.
        if let Some(c) = unsafe { ctx_ref(ctx) } {
            let old = c.resources.borrow_mut().take();
            drop(old);
        }
    })
}

/// `kmod_validate_resources`: `KMOD_RESOURCES_MUST_RECREATE` when a configuration
/// path's stamp changed (or it is gone) or `ctx` is NULL, `KMOD_RESOURCES_MUST_RELOAD`
/// when a loaded index's did, else `KMOD_RESOURCES_OK`.
#[no_mangle]
pub unsafe extern "C" fn kmod_validate_resources(ctx: *mut KCtx) -> c_int {
    guard(KMOD_RESOURCES_MUST_RECREATE, || {
        // SAFETY: the caller's contract.
        let Some(c) = (unsafe { ctx_ref(ctx) }) else { return KMOD_RESOURCES_MUST_RECREATE };
        if c.config_stamps.iter().any(|(p, s)| stamp(p) != Some(*s)) {
            return KMOD_RESOURCES_MUST_RECREATE;
        }
        let res = c.resources.borrow();
        if let Some(r) = &*res {
            if r.stamps.iter().any(|(_, p, s)| stamp(p) != Some(*s)) {
                return KMOD_RESOURCES_MUST_RELOAD;
            }
        }
        KMOD_RESOURCES_OK
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::CStr;
    use std::io::Read;
    use std::os::fd::AsRawFd;

    use rkmod::index::bin::IndexBuilder;

    /// A scratch directory removed on drop.
    struct Scratch(PathBuf);

    impl Scratch {
        fn new(tag: &str) -> Scratch {
            use std::sync::atomic::{AtomicUsize, Ordering};
            static N: AtomicUsize = AtomicUsize::new(0);
            let n = N.fetch_add(1, Ordering::Relaxed);
            let p = std::env::temp_dir().join(format!("rkmod-libkmod-{tag}-{}-{n}", std::process::id()));
            let _ = std::fs::remove_dir_all(&p);
            std::fs::create_dir_all(&p).unwrap();
            Scratch(p)
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn write_index(dir: &Path, file: &str, entries: &[(&str, &str)]) {
        let mut b = IndexBuilder::new();
        for (i, (k, v)) in entries.iter().enumerate() {
            assert!(b.insert(k, v, i as u32));
        }
        // Replaced by rename, as depmod does (a mapped file must not change in place).
        let tmp = dir.join(format!("{file}.new"));
        std::fs::write(&tmp, b.to_bytes()).unwrap();
        std::fs::rename(&tmp, dir.join(file)).unwrap();
    }

    fn module_dir(s: &Scratch) -> PathBuf {
        let d = s.0.join("modules");
        std::fs::create_dir_all(&d).unwrap();
        write_index(&d, rkmod::lookup::DEP_BIN, &[("b", "kernel/b.ko:"), ("a", "kernel/a.ko: kernel/b.ko")]);
        write_index(&d, rkmod::lookup::ALIAS_BIN, &[("pci:v1*", "a"), ("x", "b")]);
        write_index(&d, rkmod::lookup::SYMBOLS_BIN, &[("symbol:f", "a")]);
        write_index(&d, rkmod::lookup::BUILTIN_ALIAS_BIN, &[("fs-ext3", "ext4")]);
        write_index(&d, rkmod::lookup::BUILTIN_BIN, &[("ext4", "")]);
        d
    }

    fn new_ctx(dir: &Path, conf: &[PathBuf]) -> *mut KCtx {
        use std::os::unix::ffi::OsStrExt;
        let ctx = KCtx::new(Some(dir.as_os_str().as_bytes()), Some(conf.to_vec())).unwrap();
        ctx.log.set_priority(0);
        Box::into_raw(ctx)
    }

    fn s(p: *const c_char) -> Option<String> {
        // SAFETY: NULL or a string of the iterator under test.
        (!p.is_null()).then(|| unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned())
    }

    fn dump(ctx: *mut KCtx, t: c_int) -> (c_int, String) {
        let path = std::env::temp_dir().join(format!("rkmod-libkmod-dumped-{}-{t}", std::process::id()));
        let mut f = File::options().read(true).write(true).create(true).truncate(true).open(&path).unwrap();
        let _ = std::fs::remove_file(&path);
        // SAFETY: a live context.
        let r = unsafe { kmod_dump_index(ctx, t, f.as_raw_fd()) };
        let mut out = String::new();
        use std::io::Seek;
        f.rewind().unwrap();
        f.read_to_string(&mut out).unwrap();
        (r, out)
    }

    #[test]
    fn iterators_walk_restart_and_free() {
        let sc = Scratch::new("iter");
        let dir = module_dir(&sc);
        let conf = sc.0.join("a.conf");
        std::fs::write(
            &conf,
            "blacklist x\nblacklist y\nalias foo bar\nsoftdep m pre: a post: b\ninstall i /bin/true\n",
        )
        .unwrap();
        let ctx = new_ctx(&dir, &[conf]);
        // SAFETY: a live context and the iterators it returned, freed once.
        unsafe {
            let it = kmod_config_get_blacklists(ctx);
            assert!(!it.is_null());
            assert_eq!(s(kmod_config_iter_get_key(it)), None);
            assert!(kmod_config_iter_next(it));
            assert_eq!(s(kmod_config_iter_get_key(it)).as_deref(), Some("x"));
            assert_eq!(s(kmod_config_iter_get_value(it)), None);
            assert!(kmod_config_iter_next(it));
            assert_eq!(s(kmod_config_iter_get_key(it)).as_deref(), Some("y"));
            assert!(!kmod_config_iter_next(it));
            assert_eq!(s(kmod_config_iter_get_key(it)), None);
            assert!(kmod_config_iter_next(it), "restarts after the end");
            assert_eq!(s(kmod_config_iter_get_key(it)).as_deref(), Some("x"));
            kmod_config_iter_free_iter(it);

            let it = kmod_config_get_softdeps(ctx);
            assert!(kmod_config_iter_next(it));
            let v1 = kmod_config_iter_get_value(it);
            let v2 = kmod_config_iter_get_value(it);
            assert_eq!(v1, v2);
            assert_eq!(s(v1).as_deref(), Some("pre: apost: b"));
            kmod_config_iter_free_iter(it);

            let it = kmod_config_get_aliases(ctx);
            assert!(kmod_config_iter_next(it));
            assert_eq!(s(kmod_config_iter_get_key(it)).as_deref(), Some("foo"));
            assert_eq!(s(kmod_config_iter_get_value(it)).as_deref(), Some("bar"));
            assert!(!kmod_config_iter_next(it));
            kmod_config_iter_free_iter(it);

            let it = kmod_config_get_remove_commands(ctx);
            assert!(!kmod_config_iter_next(it));
            kmod_config_iter_free_iter(it);

            kmod_config_iter_free_iter(ptr::null_mut());
            assert!(kmod_config_get_options(ptr::null()).is_null());
            assert!(!kmod_config_iter_next(ptr::null_mut()));
            assert!(kmod_config_iter_get_key(ptr::null()).is_null());
            crate::api::kmod_unref(ctx);
        }
    }

    #[test]
    fn dump_from_files_and_loaded() {
        let sc = Scratch::new("dump");
        let dir = module_dir(&sc);
        let ctx = new_ctx(&dir, &[]);
        assert_eq!(dump(ctx, 0), (0, "a kernel/a.ko: kernel/b.ko\nb kernel/b.ko:\n".to_string()));
        assert_eq!(dump(ctx, 1), (0, "alias pci:v1* a\nalias x b\n".to_string()));
        assert_eq!(dump(ctx, 2), (0, "alias symbol:f a\n".to_string()));
        assert_eq!(dump(ctx, 4), (0, "ext4 \n".to_string()));
        assert_eq!(dump(ctx, 5).0, -libc::ENOENT);
        assert_eq!(dump(ctx, -1).0, -libc::ENOENT);
        // SAFETY: a live context.
        assert_eq!(unsafe { kmod_load_resources(ctx) }, 0);
        // Replaced on disk: the loaded mapping is still dumped.
        write_index(&dir, rkmod::lookup::SYMBOLS_BIN, &[("symbol:g", "b")]);
        assert_eq!(dump(ctx, 2), (0, "alias symbol:f a\n".to_string()));
        std::fs::remove_file(dir.join(rkmod::lookup::BUILTIN_ALIAS_BIN)).unwrap();
        assert_eq!(dump(ctx, 3), (0, "fs-ext3 ext4\n".to_string()));
        // SAFETY: a live context.
        unsafe { kmod_unload_resources(ctx) };
        assert_eq!(dump(ctx, 2), (0, "alias symbol:g b\n".to_string()));
        assert_eq!(dump(ctx, 3).0, -libc::ENOSYS);
        // SAFETY: NULL, then the live context's last reference.
        unsafe {
            assert_eq!(kmod_dump_index(ptr::null_mut(), 0, 1), -libc::ENOSYS);
            crate::api::kmod_unref(ctx);
        }
    }

    #[test]
    fn resources_load_validate_unload() {
        let sc = Scratch::new("res");
        let dir = module_dir(&sc);
        let conf = sc.0.join("c.conf");
        std::fs::write(&conf, "alias q r\n").unwrap();
        let ctx = new_ctx(&dir, std::slice::from_ref(&conf));
        let set_mtime = |p: &Path, t: u64| {
            let f = File::options().write(true).open(p).unwrap();
            f.set_modified(std::time::UNIX_EPOCH + std::time::Duration::from_secs(t)).unwrap();
        };
        // SAFETY: a live context throughout, its last reference dropped at the end.
        unsafe {
            assert_eq!(kmod_validate_resources(ptr::null_mut()), KMOD_RESOURCES_MUST_RECREATE);
            assert_eq!(kmod_load_resources(ptr::null_mut()), -libc::ENOENT);
            assert_eq!(kmod_validate_resources(ctx), KMOD_RESOURCES_OK);
            assert_eq!(kmod_load_resources(ctx), 0);
            assert_eq!(kmod_load_resources(ctx), 0);
            assert_eq!((*ctx).resources.borrow().as_ref().unwrap().stamps.len(), 5);
            set_mtime(&dir.join(rkmod::lookup::ALIAS_BIN), 1_600_000_000);
            assert_eq!(kmod_validate_resources(ctx), KMOD_RESOURCES_MUST_RELOAD);
            kmod_unload_resources(ctx);
            kmod_unload_resources(ctx);
            assert_eq!(kmod_validate_resources(ctx), KMOD_RESOURCES_OK);
            // The optional index may be missing; a required one may not.
            std::fs::remove_file(dir.join(rkmod::lookup::BUILTIN_ALIAS_BIN)).unwrap();
            assert_eq!(kmod_load_resources(ctx), 0);
            assert_eq!((*ctx).resources.borrow().as_ref().unwrap().stamps.len(), 4);
            kmod_unload_resources(ctx);
            std::fs::write(dir.join(rkmod::lookup::BUILTIN_BIN), b"").unwrap();
            assert_eq!(kmod_load_resources(ctx), -libc::EINVAL);
            assert!((*ctx).resources.borrow().is_none());
            std::fs::write(dir.join(rkmod::lookup::BUILTIN_BIN), b"0123456789abcdef").unwrap();
            assert_eq!(kmod_load_resources(ctx), -libc::EINVAL);
            std::fs::remove_file(dir.join(rkmod::lookup::SYMBOLS_BIN)).unwrap();
            assert_eq!(kmod_load_resources(ctx), -libc::ENOENT);
            assert!((*ctx).resources.borrow().is_none());
            set_mtime(&conf, 1_600_000_000);
            assert_eq!(kmod_validate_resources(ctx), KMOD_RESOURCES_MUST_RECREATE);
            crate::api::kmod_unref(ctx);
        }
    }
}
