//! `struct kmod_module`: a reference-counted C handle on one module object of a
//! context's pool ([`crate::ctx`]).
//!
//! A handle holds a reference on its context (released with the handle's last
//! reference, as libkmod's modules do) and the strings it has returned: a `const char *`
//! stays valid while the module lives, so each is computed once and kept (libkmod
//! caches them on the object the same way).

use std::cell::{Cell, OnceCell, RefCell};
use std::ffi::{c_char, CString};
use std::ptr;

use rkmod::resolve::ModId;

use crate::ctx::KCtx;

/// `struct kmod_module`.
pub struct KModule {
    /// The context (referenced).
    pub ctx: *mut KCtx,
    /// The engine's object.
    pub id: ModId,
    refcount: Cell<i32>,
    /// The name, normalised.
    pub name: CString,
    /// `kmod_module_get_path` once known.
    pub path: OnceCell<CString>,
    /// `kmod_module_get_options`.
    pub options: OnceCell<Option<CString>>,
    /// `kmod_module_get_install_commands`.
    pub install: OnceCell<Option<CString>>,
    /// `kmod_module_get_remove_commands`.
    pub remove: OnceCell<Option<CString>>,
    /// The module image read for `kmod_module_get_info` and friends and for
    /// insertion (kept, as libkmod keeps its `kmod_file`).
    pub image: RefCell<Option<std::rc::Rc<rkmod::module::ModuleImage>>>,
}

impl KModule {
    /// The context of a live module.
    pub fn ctx(&self) -> &KCtx {
        // SAFETY: a module holds a reference on its context.
        unsafe { &*self.ctx }
    }

    /// The handle for object `id` of `ctx`: the existing one with a new reference, or
    /// a new one (which takes a reference on the context).
    ///
    /// # Safety
    /// `ctx` is a live context and `id` one of its objects.
    pub unsafe fn get(ctx: *mut KCtx, id: ModId, name: &[u8]) -> *mut KModule {
        // SAFETY: ctx is live (the caller holds it).
        let c = unsafe { &*ctx };
        if let Some(&m) = c.handles.borrow().get(&id) {
            // SAFETY: handles in the map are live.
            unsafe { (*m).refcount.set((*m).refcount.get() + 1) };
            return m;
        }
        c.add_ref();
        let m = Box::into_raw(Box::new(KModule {
            ctx,
            id,
            refcount: Cell::new(1),
            name: crate::ffi::cstring(name),
            path: OnceCell::new(),
            options: OnceCell::new(),
            install: OnceCell::new(),
            remove: OnceCell::new(),
            image: RefCell::new(None),
        }));
        c.handles.borrow_mut().insert(id, m);
        m
    }

    /// `kmod_module_ref`.
    ///
    /// # Safety
    /// `m` is a live module.
    pub unsafe fn add_ref(m: *mut KModule) {
        // SAFETY: the caller's contract.
        let r = unsafe { &(*m).refcount };
        r.set(r.get() + 1);
    }

    /// `kmod_module_unref`: true when the module was released.
    ///
    /// # Safety
    /// `m` is a live module; when released it is not used again.
    pub unsafe fn unref(m: *mut KModule) -> bool {
        // SAFETY: the caller's contract.
        let md = unsafe { &*m };
        let n = md.refcount.get() - 1;
        md.refcount.set(n);
        if n > 0 {
            return false;
        }
        let ctx = md.ctx;
        md.ctx().handles.borrow_mut().remove(&md.id);
        md.ctx().released.set(true);
        // SAFETY: made by Box::into_raw in get; the last reference.
        drop(unsafe { Box::from_raw(m) });
        // SAFETY: the module held a reference on ctx.
        unsafe { crate::api::ctx_unref(ctx) };
        true
    }

    /// A string owned by the module as C sees it (NULL for None).
    pub fn ptr(s: Option<&CString>) -> *const c_char {
        s.map_or(ptr::null(), |c| c.as_ptr())
    }
}
