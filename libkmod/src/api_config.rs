//! The configuration as data (`kmod_config_get_*` iterators over blacklists, install
//! and remove commands, aliases, options, softdeps and weakdeps), the index dump
//! (`kmod_dump_index`) and the resources (`kmod_load_resources`,
//! `kmod_unload_resources`, `kmod_validate_resources`).

use std::ffi::{c_char, c_int};
use std::ptr;

use crate::ctx::KCtx;
use crate::ffi::guard;

/// `struct kmod_config_iter`.
pub struct ConfigIter {
    _private: (),
}

macro_rules! config_getter {
    ($name:ident) => {
        /// An iterator over one kind of configuration entry.
        #[no_mangle]
        pub unsafe extern "C" fn $name(_ctx: *const KCtx) -> *mut ConfigIter {
            guard(ptr::null_mut(), ptr::null_mut)
        }
    };
}

config_getter!(kmod_config_get_blacklists);
config_getter!(kmod_config_get_install_commands);
config_getter!(kmod_config_get_remove_commands);
config_getter!(kmod_config_get_aliases);
config_getter!(kmod_config_get_options);
config_getter!(kmod_config_get_softdeps);
config_getter!(kmod_config_get_weakdeps);

/// `kmod_config_iter_get_key`.
#[no_mangle]
pub unsafe extern "C" fn kmod_config_iter_get_key(_i: *const ConfigIter) -> *const c_char {
    ptr::null()
}

/// `kmod_config_iter_get_value`.
#[no_mangle]
pub unsafe extern "C" fn kmod_config_iter_get_value(_i: *const ConfigIter) -> *const c_char {
    ptr::null()
}

/// `kmod_config_iter_next`.
#[no_mangle]
pub unsafe extern "C" fn kmod_config_iter_next(_i: *mut ConfigIter) -> bool {
    false
}

/// `kmod_config_iter_free_iter`.
#[no_mangle]
pub unsafe extern "C" fn kmod_config_iter_free_iter(_i: *mut ConfigIter) {}

/// `kmod_dump_index`.
#[no_mangle]
pub unsafe extern "C" fn kmod_dump_index(_ctx: *mut KCtx, _type: c_int, _fd: c_int) -> c_int {
    -libc::ENOSYS
}

/// `kmod_load_resources`.
#[no_mangle]
pub unsafe extern "C" fn kmod_load_resources(_ctx: *mut KCtx) -> c_int {
    0
}

/// `kmod_unload_resources`.
#[no_mangle]
pub unsafe extern "C" fn kmod_unload_resources(_ctx: *mut KCtx) {}

/// `kmod_validate_resources`.
#[no_mangle]
pub unsafe extern "C" fn kmod_validate_resources(_ctx: *mut KCtx) -> c_int {
    0
}
