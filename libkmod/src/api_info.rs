//! What a module file says: `kmod_module_get_info` (modinfo's keys and values, the
//! signature fields included), `kmod_module_get_versions` (`__versions`),
//! `kmod_module_get_symbols` (exported symbols) and
//! `kmod_module_get_dependency_symbols` (undefined symbols with their CRC and binding),
//! with the getters and `*_free_list` of each list kind.

use std::ffi::{c_char, c_int};
use std::ptr;

use crate::ffi::guard;
use crate::list::KList;
use crate::module::KModule;

/// `kmod_module_get_info`.
#[no_mangle]
pub unsafe extern "C" fn kmod_module_get_info(_m: *const KModule, _list: *mut *mut KList) -> c_int {
    guard(-libc::ENOMEM, || -libc::ENOSYS)
}

/// `kmod_module_info_get_key`.
#[no_mangle]
pub unsafe extern "C" fn kmod_module_info_get_key(_e: *const KList) -> *const c_char {
    guard(ptr::null(), ptr::null)
}

/// `kmod_module_info_get_value`.
#[no_mangle]
pub unsafe extern "C" fn kmod_module_info_get_value(_e: *const KList) -> *const c_char {
    guard(ptr::null(), ptr::null)
}

/// `kmod_module_info_free_list`.
#[no_mangle]
pub unsafe extern "C" fn kmod_module_info_free_list(_l: *mut KList) {}

/// `kmod_module_get_versions`.
#[no_mangle]
pub unsafe extern "C" fn kmod_module_get_versions(_m: *const KModule, _list: *mut *mut KList) -> c_int {
    guard(-libc::ENOMEM, || -libc::ENOSYS)
}

/// `kmod_module_version_get_symbol`.
#[no_mangle]
pub unsafe extern "C" fn kmod_module_version_get_symbol(_e: *const KList) -> *const c_char {
    guard(ptr::null(), ptr::null)
}

/// `kmod_module_version_get_crc`.
#[no_mangle]
pub unsafe extern "C" fn kmod_module_version_get_crc(_e: *const KList) -> u64 {
    0
}

/// `kmod_module_versions_free_list`.
#[no_mangle]
pub unsafe extern "C" fn kmod_module_versions_free_list(_l: *mut KList) {}

/// `kmod_module_get_symbols`.
#[no_mangle]
pub unsafe extern "C" fn kmod_module_get_symbols(_m: *const KModule, _list: *mut *mut KList) -> c_int {
    guard(-libc::ENOMEM, || -libc::ENOSYS)
}

/// `kmod_module_symbol_get_symbol`.
#[no_mangle]
pub unsafe extern "C" fn kmod_module_symbol_get_symbol(_e: *const KList) -> *const c_char {
    guard(ptr::null(), ptr::null)
}

/// `kmod_module_symbol_get_crc`.
#[no_mangle]
pub unsafe extern "C" fn kmod_module_symbol_get_crc(_e: *const KList) -> u64 {
    0
}

/// `kmod_module_symbols_free_list`.
#[no_mangle]
pub unsafe extern "C" fn kmod_module_symbols_free_list(_l: *mut KList) {}

/// `kmod_module_get_dependency_symbols`.
#[no_mangle]
pub unsafe extern "C" fn kmod_module_get_dependency_symbols(
    _m: *const KModule,
    _list: *mut *mut KList,
) -> c_int {
    guard(-libc::ENOMEM, || -libc::ENOSYS)
}

/// `kmod_module_dependency_symbol_get_symbol`.
#[no_mangle]
pub unsafe extern "C" fn kmod_module_dependency_symbol_get_symbol(_e: *const KList) -> *const c_char {
    guard(ptr::null(), ptr::null)
}

/// `kmod_module_dependency_symbol_get_crc`.
#[no_mangle]
pub unsafe extern "C" fn kmod_module_dependency_symbol_get_crc(_e: *const KList) -> u64 {
    0
}

/// `kmod_module_dependency_symbol_get_bind`.
#[no_mangle]
pub unsafe extern "C" fn kmod_module_dependency_symbol_get_bind(_e: *const KList) -> c_int {
    0
}

/// `kmod_module_dependency_symbols_free_list`.
#[no_mangle]
pub unsafe extern "C" fn kmod_module_dependency_symbols_free_list(_l: *mut KList) {}
