//! The context and module-object functions of libkmod's API: `kmod_new` and its
//! settings, the four ways to make module objects, their references, names, paths,
//! options, commands, dependencies, softdeps and weakdeps, and the blacklist and
//! builtin filters.

use std::ffi::{c_char, c_int, c_uint, c_void, OsStr};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::ptr;

use rkmod::resolve::{LookupError, ModId, ProbeOptions, Resolver};

use crate::ctx::KCtx;
use crate::ffi::{bytes, guard, PATH_MAX};
use crate::list::{self, Entry, KList};
use crate::log::{LOG_ERR, LOG_INFO};
use crate::module::KModule;

/// `KMOD_FILTER_BLACKLIST`.
pub const KMOD_FILTER_BLACKLIST: c_uint = 0x1;
/// `KMOD_FILTER_BUILTIN`.
pub const KMOD_FILTER_BUILTIN: c_uint = 0x2;

/// A context from a C pointer.
///
/// # Safety
/// `ctx` is NULL or a live context.
pub unsafe fn ctx_ref<'a>(ctx: *const KCtx) -> Option<&'a KCtx> {
    // SAFETY: the caller's contract.
    unsafe { ctx.as_ref() }
}

/// A module from a C pointer.
///
/// # Safety
/// `m` is NULL or a live module.
pub unsafe fn mod_ref<'a>(m: *const KModule) -> Option<&'a KModule> {
    // SAFETY: the caller's contract.
    unsafe { m.as_ref() }
}

/// Truncated as libkmod's `PATH_MAX` buffers truncate names and aliases.
pub fn clip(b: &[u8]) -> &[u8] {
    &b[..b.len().min(PATH_MAX - 1)]
}

/// `kmod_new`.
#[no_mangle]
pub unsafe extern "C" fn kmod_new(dirname: *const c_char, config_paths: *const *const c_char) -> *mut KCtx {
    guard(ptr::null_mut(), || {
        // SAFETY: the caller's contract: NULL or strings.
        let dir = unsafe { bytes(dirname) };
        let paths = if config_paths.is_null() {
            None
        } else {
            let mut v = Vec::new();
            let mut i = 0;
            loop {
                // SAFETY: a NULL-terminated array of strings.
                let p = unsafe { *config_paths.add(i) };
                // SAFETY: as above.
                match unsafe { bytes(p) } {
                    Some(b) => v.push(PathBuf::from(OsStr::from_bytes(b))),
                    None => break,
                }
                i += 1;
            }
            Some(v)
        };
        match KCtx::new(dir, paths) {
            Some(c) => Box::into_raw(c),
            None => ptr::null_mut(),
        }
    })
}

/// `kmod_ref`.
#[no_mangle]
pub unsafe extern "C" fn kmod_ref(ctx: *mut KCtx) -> *mut KCtx {
    guard(ptr::null_mut(), || {
        // SAFETY: the caller's contract.
        let Some(c) = (unsafe { ctx_ref(ctx) }) else { return ptr::null_mut() };
        c.add_ref();
        ctx
    })
}

/// Drop a reference on a context; the last one frees it.
///
/// # Safety
/// `ctx` is a live context.
pub unsafe fn ctx_unref(ctx: *mut KCtx) -> *mut KCtx {
    // SAFETY: the caller's contract.
    let c = unsafe { &*ctx };
    if !c.drop_ref() {
        return ctx;
    }
    c.log(LOG_INFO, "kmod_unref", format!("context {ctx:p} released\n"));
    // SAFETY: made by Box::into_raw in kmod_new; the last reference.
    drop(unsafe { Box::from_raw(ctx) });
    ptr::null_mut()
}

/// `kmod_unref`.
#[no_mangle]
pub unsafe extern "C" fn kmod_unref(ctx: *mut KCtx) -> *mut KCtx {
    guard(ptr::null_mut(), || {
        if ctx.is_null() {
            return ptr::null_mut();
        }
        // SAFETY: the caller's contract.
        unsafe { ctx_unref(ctx) }
    })
}

/// `kmod_set_log_fn`.
#[no_mangle]
pub unsafe extern "C" fn kmod_set_log_fn(ctx: *mut KCtx, log_fn: *const c_void, data: *const c_void) {
    guard((), || {
        // SAFETY: the caller's contract.
        let Some(c) = (unsafe { ctx_ref(ctx) }) else { return };
        c.log.set_fn(log_fn, data as *mut c_void);
        c.log(LOG_INFO, "kmod_set_log_fn", format!("custom logging function {log_fn:p} registered\n"));
    })
}

/// `kmod_get_log_priority`.
#[no_mangle]
pub unsafe extern "C" fn kmod_get_log_priority(ctx: *const KCtx) -> c_int {
    // SAFETY: the caller's contract.
    guard(-1, || unsafe { ctx_ref(ctx) }.map_or(-1, |c| c.log.priority()))
}

/// `kmod_set_log_priority`.
#[no_mangle]
pub unsafe extern "C" fn kmod_set_log_priority(ctx: *mut KCtx, priority: c_int) {
    // SAFETY: the caller's contract.
    guard((), || {
        if let Some(c) = unsafe { ctx_ref(ctx) } {
            c.log.set_priority(priority)
        }
    })
}

/// `kmod_get_userdata`.
#[no_mangle]
pub unsafe extern "C" fn kmod_get_userdata(ctx: *const KCtx) -> *mut c_void {
    // SAFETY: the caller's contract.
    guard(ptr::null_mut(), || unsafe { ctx_ref(ctx) }.map_or(ptr::null_mut(), |c| c.userdata()))
}

/// `kmod_set_userdata`.
#[no_mangle]
pub unsafe extern "C" fn kmod_set_userdata(ctx: *mut KCtx, userdata: *const c_void) {
    // SAFETY: the caller's contract.
    guard((), || {
        if let Some(c) = unsafe { ctx_ref(ctx) } {
            c.set_userdata(userdata as *mut c_void)
        }
    })
}

/// `kmod_get_dirname`.
#[no_mangle]
pub unsafe extern "C" fn kmod_get_dirname(ctx: *const KCtx) -> *const c_char {
    // SAFETY: the caller's contract.
    guard(ptr::null(), || unsafe { ctx_ref(ctx) }.map_or(ptr::null(), |c| c.dirname.as_ptr()))
}

/// A list of new references to the handles of `ids`.
///
/// # Safety
/// `ctx` is the live context `r` resolves for.
pub unsafe fn module_list(ctx: *mut KCtx, r: &Resolver<'_>, ids: &[ModId]) -> *mut KList {
    // SAFETY: the caller's contract.
    list::from_entries(
        ids.iter().map(|&id| Entry::Module(unsafe { KModule::get(ctx, id, &r.module(id).name) })),
    )
}

/// Store a new module in `*out`.
///
/// # Safety
/// `out` is a valid pointer.
unsafe fn put(out: *mut *mut KModule, ctx: *mut KCtx, r: &Resolver<'_>, id: ModId) {
    // SAFETY: the caller's contract.
    unsafe { *out = KModule::get(ctx, id, &r.module(id).name) };
}

/// `kmod_module_new_from_name`.
#[no_mangle]
pub unsafe extern "C" fn kmod_module_new_from_name(
    ctx: *mut KCtx,
    name: *const c_char,
    module: *mut *mut KModule,
) -> c_int {
    guard(-libc::ENOMEM, || {
        // SAFETY: the caller's contract.
        let (Some(c), Some(name)) = (unsafe { ctx_ref(ctx) }, unsafe { bytes(name) }) else {
            return -libc::ENOENT;
        };
        if module.is_null() {
            return -libc::ENOENT;
        }
        c.with_resolver(ProbeOptions::default(), |r| {
            let id = r.by_name(clip(name));
            // SAFETY: module is a valid pointer.
            unsafe { put(module, ctx, r, id) };
        });
        0
    })
}

/// `kmod_module_new_from_path`.
#[no_mangle]
pub unsafe extern "C" fn kmod_module_new_from_path(
    ctx: *mut KCtx,
    path: *const c_char,
    module: *mut *mut KModule,
) -> c_int {
    guard(-libc::ENOMEM, || {
        // SAFETY: the caller's contract.
        let (Some(c), Some(path)) = (unsafe { ctx_ref(ctx) }, unsafe { bytes(path) }) else {
            return -libc::ENOENT;
        };
        if module.is_null() {
            return -libc::ENOENT;
        }
        let path = Path::new(OsStr::from_bytes(path));
        c.with_resolver(ProbeOptions::default(), |r| match r.from_path(path) {
            Ok(id) => {
                // SAFETY: module is a valid pointer.
                unsafe { put(module, ctx, r, id) };
                0
            }
            Err(rkmod::Errno::EEXIST) => {
                let name = rkmod::name::path_to_modname_bytes(path);
                let id = r.by_name(&name);
                let old = r.path(id).ok().flatten().unwrap_or_default();
                let new = rkmod::info::absolute(path);
                c.log(
                    LOG_ERR,
                    "kmod_module_new_from_path",
                    [
                        &b"kmod_module '"[..],
                        &name,
                        b"' already exists with different path: new-path='",
                        new.as_os_str().as_bytes(),
                        b"' old-path='",
                        old.as_os_str().as_bytes(),
                        b"'\n",
                    ]
                    .concat(),
                );
                -libc::EEXIST
            }
            Err(e) => crate::ffi::neg(e),
        })
    })
}

/// `kmod_module_new_from_lookup`.
#[no_mangle]
pub unsafe extern "C" fn kmod_module_new_from_lookup(
    ctx: *mut KCtx,
    given_alias: *const c_char,
    list: *mut *mut KList,
) -> c_int {
    guard(-libc::ENOMEM, || {
        // SAFETY: the caller's contract.
        let (Some(c), Some(alias)) = (unsafe { ctx_ref(ctx) }, unsafe { bytes(given_alias) }) else {
            return -libc::ENOENT;
        };
        // SAFETY: list is NULL or valid.
        if list.is_null() || unsafe { !(*list).is_null() } {
            c.log(LOG_ERR, "kmod_module_new_from_lookup", "An empty list is needed to create lookup\n");
            return -libc::ENOSYS;
        }
        c.with_resolver(ProbeOptions::default(), |r| match r.lookup(clip(alias)) {
            Ok(ids) => {
                // SAFETY: list is valid.
                unsafe { *list = module_list(ctx, r, &ids) };
                0
            }
            Err(LookupError::BadAlias) => -libc::EINVAL,
            Err(LookupError::NameTooLong) => -libc::ENAMETOOLONG,
            Err(LookupError::Index(e)) => {
                c.log(LOG_ERR, "kmod_module_new_from_lookup", format!("{e}\n"));
                -libc::EINVAL
            }
            Err(_) => -libc::EINVAL,
        })
    })
}

/// `kmod_module_new_from_name_lookup` (exported by c/shim.c at LIBKMOD_30 and
/// LIBKMOD_5): a module name in `modules.dep.bin`, `modules.builtin.bin`, then
/// `modules.builtin.alias.bin`; `*mod` untouched when nothing is found.
#[no_mangle]
pub unsafe extern "C" fn rkmod_libkmod_new_from_name_lookup(
    ctx: *mut KCtx,
    modname: *const c_char,
    module: *mut *mut KModule,
) -> c_int {
    guard(-libc::ENOMEM, || {
        // SAFETY: the caller's contract.
        let (Some(c), Some(name)) = (unsafe { ctx_ref(ctx) }, unsafe { bytes(modname) }) else {
            return -libc::ENOENT;
        };
        if module.is_null() {
            return -libc::ENOENT;
        }
        c.with_resolver(ProbeOptions::default(), |r| match r.lookup_name(clip(name)) {
            Ok(Some(id)) => {
                // SAFETY: module is valid.
                unsafe { put(module, ctx, r, id) };
                0
            }
            Ok(None) => 0,
            Err(e) => {
                c.log(LOG_ERR, "kmod_module_new_from_name_lookup", format!("{e}\n"));
                -libc::EINVAL
            }
        })
    })
}

/// `kmod_module_ref`.
#[no_mangle]
pub unsafe extern "C" fn kmod_module_ref(m: *mut KModule) -> *mut KModule {
    guard(ptr::null_mut(), || {
        if m.is_null() {
            return ptr::null_mut();
        }
        // SAFETY: the caller's contract.
        unsafe { KModule::add_ref(m) };
        m
    })
}

/// `kmod_module_unref`.
#[no_mangle]
pub unsafe extern "C" fn kmod_module_unref(m: *mut KModule) -> *mut KModule {
    guard(ptr::null_mut(), || {
        // SAFETY: the caller's contract.
        if m.is_null() || unsafe { KModule::unref(m) } {
            ptr::null_mut()
        } else {
            m
        }
    })
}

/// Release a module list (each node's module reference).
///
/// # Safety
/// `l` is NULL or a live list of modules.
pub unsafe fn unref_list(l: *mut KList) {
    // SAFETY: the caller's contract.
    unsafe {
        list::free(l, |e| {
            if let Entry::Module(m) = e {
                KModule::unref(m);
            }
        })
    }
}

/// `kmod_module_unref_list`.
#[no_mangle]
pub unsafe extern "C" fn kmod_module_unref_list(l: *mut KList) -> c_int {
    // SAFETY: the caller's contract.
    guard(0, || {
        unsafe { unref_list(l) };
        0
    })
}

/// `kmod_module_get_module`.
#[no_mangle]
pub unsafe extern "C" fn kmod_module_get_module(entry: *const KList) -> *mut KModule {
    guard(ptr::null_mut(), || {
        // SAFETY: the caller's contract.
        match unsafe { list::entry(entry) } {
            Some(Entry::Module(m)) => {
                // SAFETY: a list holds a reference on its modules.
                unsafe { KModule::add_ref(*m) };
                *m
            }
            _ => ptr::null_mut(),
        }
    })
}

/// `kmod_module_get_name`.
#[no_mangle]
pub unsafe extern "C" fn kmod_module_get_name(m: *const KModule) -> *const c_char {
    // SAFETY: the caller's contract.
    guard(ptr::null(), || unsafe { mod_ref(m) }.map_or(ptr::null(), |m| m.name.as_ptr()))
}

/// The module's path (cached on the handle once known).
pub fn path_of(m: &KModule) -> Option<&std::ffi::CString> {
    if let Some(p) = m.path.get() {
        return Some(p);
    }
    let ctx = m.ctx();
    let p = ctx.with_resolver(ProbeOptions::default(), |r| r.path(m.id).ok().flatten())?;
    Some(m.path.get_or_init(|| crate::ffi::cstring(p.as_os_str().as_bytes())))
}

/// `kmod_module_get_path`.
#[no_mangle]
pub unsafe extern "C" fn kmod_module_get_path(m: *const KModule) -> *const c_char {
    // SAFETY: the caller's contract.
    guard(ptr::null(), || unsafe { mod_ref(m) }.map_or(ptr::null(), |m| KModule::ptr(path_of(m))))
}

/// A string libkmod computes once per module object and keeps: `cell`, filled from the
/// resolver the first time.
fn cached<'a>(
    m: &'a KModule,
    cell: &'a std::cell::OnceCell<Option<std::ffi::CString>>,
    compute: impl FnOnce(&mut Resolver<'_>, ModId) -> Option<Vec<u8>>,
) -> Option<&'a std::ffi::CString> {
    cell.get_or_init(|| {
        m.ctx().with_resolver(ProbeOptions::default(), |r| compute(r, m.id)).map(|o| crate::ffi::cstring(&o))
    })
    .as_ref()
}

/// The module's configured options (cached on the handle, as libkmod caches them).
pub fn options_of(m: &KModule) -> Option<&std::ffi::CString> {
    cached(m, &m.options, |r, id| r.options(id))
}

/// `kmod_module_get_options`.
#[no_mangle]
pub unsafe extern "C" fn kmod_module_get_options(m: *const KModule) -> *const c_char {
    // SAFETY: the caller's contract.
    guard(ptr::null(), || unsafe { mod_ref(m) }.map_or(ptr::null(), |m| KModule::ptr(options_of(m))))
}

/// `kmod_module_get_install_commands`.
#[no_mangle]
pub unsafe extern "C" fn kmod_module_get_install_commands(m: *const KModule) -> *const c_char {
    // SAFETY: the caller's contract.
    guard(ptr::null(), || {
        unsafe { mod_ref(m) }
            .map_or(ptr::null(), |m| KModule::ptr(cached(m, &m.install, |r, id| r.install_command(id))))
    })
}

/// `kmod_module_get_remove_commands`.
#[no_mangle]
pub unsafe extern "C" fn kmod_module_get_remove_commands(m: *const KModule) -> *const c_char {
    // SAFETY: the caller's contract.
    guard(ptr::null(), || {
        unsafe { mod_ref(m) }
            .map_or(ptr::null(), |m| KModule::ptr(cached(m, &m.remove, |r, id| r.remove_command(id))))
    })
}

/// `kmod_module_get_dependencies`.
#[no_mangle]
pub unsafe extern "C" fn kmod_module_get_dependencies(m: *const KModule) -> *mut KList {
    guard(ptr::null_mut(), || {
        // SAFETY: the caller's contract.
        let Some(m) = (unsafe { mod_ref(m) }) else { return ptr::null_mut() };
        m.ctx().with_resolver(ProbeOptions::default(), |r| {
            let deps = r.deps(m.id).unwrap_or_default();
            // SAFETY: the module's live context.
            unsafe { module_list(m.ctx, r, &deps) }
        })
    })
}

/// `kmod_module_get_softdeps`.
#[no_mangle]
pub unsafe extern "C" fn kmod_module_get_softdeps(
    m: *const KModule,
    pre: *mut *mut KList,
    post: *mut *mut KList,
) -> c_int {
    guard(-libc::ENOMEM, || {
        // SAFETY: the caller's contract.
        let Some(m) = (unsafe { mod_ref(m) }) else { return -libc::ENOENT };
        if pre.is_null() || post.is_null() {
            return -libc::ENOENT;
        }
        m.ctx().with_resolver(ProbeOptions::default(), |r| {
            let (a, b) = r.softdeps(m.id).unwrap_or_default();
            // SAFETY: valid pointers.
            unsafe {
                *pre = module_list(m.ctx, r, &a);
                *post = module_list(m.ctx, r, &b);
            }
        });
        0
    })
}

/// `kmod_module_get_weakdeps` (kmod 33).
#[no_mangle]
pub unsafe extern "C" fn kmod_module_get_weakdeps(m: *const KModule, weak: *mut *mut KList) -> c_int {
    guard(-libc::ENOMEM, || {
        // SAFETY: the caller's contract.
        let Some(m) = (unsafe { mod_ref(m) }) else { return -libc::ENOENT };
        if weak.is_null() {
            return -libc::ENOENT;
        }
        let c = m.ctx();
        let names = c.config.weakdep_for(m.name.to_bytes()).map(|w| w.deps.clone()).unwrap_or_default();
        c.with_resolver(ProbeOptions::default(), |r| {
            let mut ids = Vec::new();
            for n in &names {
                match r.lookup(n) {
                    Ok(found) => ids.extend(found),
                    Err(_) => c.log(
                        LOG_ERR,
                        "lookup_dep",
                        [&b"failed to lookup dependency '"[..], n, b"', continuing anyway.\n"].concat(),
                    ),
                }
            }
            // SAFETY: valid pointer.
            unsafe { *weak = module_list(m.ctx, r, &ids) };
        });
        0
    })
}

/// `kmod_module_apply_filter`.
#[no_mangle]
pub unsafe extern "C" fn kmod_module_apply_filter(
    ctx: *const KCtx,
    filter: c_uint,
    input: *const KList,
    output: *mut *mut KList,
) -> c_int {
    guard(-libc::ENOMEM, || {
        // SAFETY: the caller's contract.
        let Some(c) = (unsafe { ctx_ref(ctx) }) else { return -libc::ENOENT };
        if output.is_null() {
            return -libc::ENOENT;
        }
        let mut out: *mut KList = ptr::null_mut();
        // SAFETY: input is NULL or a live list.
        for node in unsafe { list::nodes(input) } {
            // SAFETY: a live node.
            let Entry::Module(mp) = (unsafe { &(*node).entry }) else { continue };
            let mp = *mp;
            // SAFETY: a list holds live modules.
            let md = unsafe { &*mp };
            if filter & KMOD_FILTER_BLACKLIST != 0 && c.config.is_blacklisted(md.name.to_bytes()) {
                continue;
            }
            if filter & KMOD_FILTER_BUILTIN != 0
                && md.ctx().with_resolver(ProbeOptions::default(), |r| r.is_builtin(md.id).unwrap_or(false))
            {
                continue;
            }
            // SAFETY: a live module.
            unsafe { KModule::add_ref(mp) };
            // SAFETY: out is the list built so far.
            out = unsafe { list::append(out, Entry::Module(mp)) };
        }
        // SAFETY: output is valid.
        unsafe { *output = out };
        0
    })
}

/// `kmod_module_get_filtered_blacklist` (deprecated): the blacklist filter.
#[no_mangle]
pub unsafe extern "C" fn kmod_module_get_filtered_blacklist(
    ctx: *const KCtx,
    input: *const KList,
    output: *mut *mut KList,
) -> c_int {
    // SAFETY: the caller's contract.
    unsafe { kmod_module_apply_filter(ctx, KMOD_FILTER_BLACKLIST, input, output) }
}
