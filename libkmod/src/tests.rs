//! Whole-library properties through the exported functions: two contexts share
//! nothing (not even across threads), and handles keep their context alive.

use std::ffi::{c_char, CStr, CString};
use std::path::PathBuf;
use std::ptr;

use crate::api::*;
use crate::ctx::KCtx;
use crate::list::{self, KList};
use crate::module::KModule;

fn fixture_dir() -> CString {
    let d = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../fixtures/roots/modprobe-basic/lib/modules/1.0.0-rk");
    CString::new(d.to_str().unwrap()).unwrap()
}

fn conf_dir() -> CString {
    let d = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/capi/modprobe.d");
    CString::new(d.to_str().unwrap()).unwrap()
}

/// A context on the fixture tree, with the given configuration paths (none: empty).
fn context(conf: Option<&CString>) -> *mut KCtx {
    let dir = fixture_dir();
    let paths: Vec<*const c_char> = conf.iter().map(|c| c.as_ptr()).chain([ptr::null()]).collect();
    // SAFETY: valid strings and a NULL-terminated array.
    let ctx = unsafe { kmod_new(dir.as_ptr(), paths.as_ptr()) };
    assert!(!ctx.is_null());
    // SAFETY: a live context.
    unsafe { crate::api::kmod_set_log_priority(ctx, 0) };
    ctx
}

/// The names a lookup finds.
fn lookup(ctx: *mut KCtx, what: &str) -> Vec<String> {
    let w = CString::new(what).unwrap();
    let mut l: *mut KList = ptr::null_mut();
    // SAFETY: a live context, a string, an empty list.
    assert_eq!(unsafe { kmod_module_new_from_lookup(ctx, w.as_ptr(), &mut l) }, 0);
    // SAFETY: the list just returned.
    let names = unsafe { list::nodes(l) }
        .into_iter()
        .map(|n| {
            // SAFETY: a node of a module list.
            let m = unsafe { kmod_module_get_module(n) };
            // SAFETY: a live module.
            let name = unsafe { CStr::from_ptr(kmod_module_get_name(m)) }.to_string_lossy().into_owned();
            // SAFETY: the reference get_module took.
            unsafe { kmod_module_unref(m) };
            name
        })
        .collect();
    // SAFETY: the list just returned.
    unsafe { kmod_module_unref_list(l) };
    names
}

fn options(ctx: *mut KCtx, name: &str) -> Option<String> {
    let n = CString::new(name).unwrap();
    let mut m: *mut KModule = ptr::null_mut();
    // SAFETY: a live context.
    assert_eq!(unsafe { kmod_module_new_from_name(ctx, n.as_ptr(), &mut m) }, 0);
    // SAFETY: a live module.
    let o = unsafe { kmod_module_get_options(m) };
    // SAFETY: NULL or a string the module owns.
    let out = (!o.is_null()).then(|| unsafe { CStr::from_ptr(o) }.to_string_lossy().into_owned());
    // SAFETY: the reference taken above.
    unsafe { kmod_module_unref(m) };
    out
}

#[test]
fn two_contexts_share_nothing() {
    let conf = conf_dir();
    let plain = context(None);
    let configured = context(Some(&conf));
    // The configuration of one is not the other's.
    assert_eq!(options(plain, "hello"), None);
    assert!(options(configured, "hello").is_some(), "tests/capi/modprobe.d sets options for hello");
    assert_eq!(lookup(plain, "chain_a"), ["chain_a"]);
    // A module outlives kmod_unref of its context: it holds a reference.
    let name = CString::new("chain_a").unwrap();
    let mut m: *mut KModule = ptr::null_mut();
    // SAFETY: a live context.
    assert_eq!(unsafe { kmod_module_new_from_name(plain, name.as_ptr(), &mut m) }, 0);
    // SAFETY: the program's reference; the module still holds one.
    assert!(!unsafe { kmod_unref(plain) }.is_null(), "the module keeps the context");
    // SAFETY: the module is live.
    let deps = unsafe { kmod_module_get_dependencies(m) };
    // SAFETY: the list just returned.
    assert_eq!(unsafe { list::nodes(deps) }.len(), 2, "chain_a depends on chain_b and chain_c");
    // SAFETY: the list and the last references.
    unsafe {
        kmod_module_unref_list(deps);
        assert!(kmod_module_unref(m).is_null());
    }
    // The other context did not notice.
    assert_eq!(lookup(configured, "chain_a"), ["chain_a"]);
    // SAFETY: the last reference.
    assert!(unsafe { kmod_unref(configured) }.is_null());
}

#[test]
fn contexts_on_two_threads_at_once() {
    let threads: Vec<_> = (0..2)
        .map(|i| {
            std::thread::spawn(move || {
                let conf = conf_dir();
                let ctx = context(if i == 0 { None } else { Some(&conf) });
                for _ in 0..200 {
                    assert_eq!(lookup(ctx, "chain_a"), ["chain_a"]);
                    assert_eq!(lookup(ctx, "no-such-module"), Vec::<String>::new());
                }
                // SAFETY: the last reference.
                assert!(unsafe { kmod_unref(ctx) }.is_null());
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
}
