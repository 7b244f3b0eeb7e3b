//! `struct kmod_list`: libkmod's circular doubly linked list, seen from C only through
//! `kmod_list_next/prev/last` and the getters of each entry kind.
//!
//! A list is a pointer to its first node; the first node's `prev` is the last node.
//! Whoever receives a list owns it and frees it with the matching function
//! (`kmod_module_unref_list`, `kmod_module_info_free_list`, ...), which frees every
//! node and what it holds. A getter given an entry of another kind returns NULL or 0
//! (libkmod would read garbage).

use std::ffi::{c_ulong, CString};
use std::ptr;

use crate::module::KModule;

/// What one node holds.
pub enum Entry {
    /// A module reference (released with the list by `kmod_module_unref_list`).
    Module(*mut KModule),
    /// A modinfo key and value (`kmod_module_get_info`).
    Info {
        /// The key.
        key: CString,
        /// The value (NULL for a key without one).
        value: Option<CString>,
    },
    /// A `__versions` entry or an exported symbol.
    Symbol {
        /// The symbol name.
        symbol: CString,
        /// Its CRC.
        crc: u64,
        /// `kmod_symbol_bind` of a dependency symbol (0 for the others).
        bind: u8,
        /// Which function made it.
        kind: SymbolKind,
    },
    /// A section and its address (`kmod_module_get_sections`).
    Section {
        /// `.text`, ...
        name: CString,
        /// The address the kernel reports.
        address: c_ulong,
    },
}

/// Which list a [`Entry::Symbol`] belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SymbolKind {
    /// `kmod_module_get_versions`.
    Version,
    /// `kmod_module_get_symbols`.
    Exported,
    /// `kmod_module_get_dependency_symbols`.
    Dependency,
}

/// One node (`struct kmod_list`).
pub struct KList {
    prev: *mut KList,
    next: *mut KList,
    /// The node's content.
    pub entry: Entry,
}

/// Build a list from entries, in order (NULL when empty).
pub fn from_entries(entries: impl IntoIterator<Item = Entry>) -> *mut KList {
    let mut head: *mut KList = ptr::null_mut();
    for e in entries {
        // SAFETY: head is NULL or the list built so far.
        head = unsafe { append(head, e) };
    }
    head
}

/// Append one entry; returns the (possibly new) head.
///
/// # Safety
/// `head` is NULL or a live list.
pub unsafe fn append(head: *mut KList, entry: Entry) -> *mut KList {
    let node = Box::into_raw(Box::new(KList { prev: ptr::null_mut(), next: ptr::null_mut(), entry }));
    // SAFETY: node is fresh; head is NULL or a list built here.
    unsafe {
        if head.is_null() {
            (*node).prev = node;
            (*node).next = node;
            return node;
        }
        let last = (*head).prev;
        (*node).prev = last;
        (*node).next = head;
        (*last).next = node;
        (*head).prev = node;
    }
    head
}

/// The nodes of a list, in order.
///
/// # Safety
/// `head` is NULL or a live list.
pub unsafe fn nodes(head: *const KList) -> Vec<*mut KList> {
    let mut out = Vec::new();
    if head.is_null() {
        return out;
    }
    let mut cur = head as *mut KList;
    loop {
        out.push(cur);
        // SAFETY: the caller's contract: a live circular list.
        cur = unsafe { (*cur).next };
        if ptr::eq(cur, head) {
            break;
        }
    }
    out
}

/// Free every node, handing each entry to `drop_entry` first.
///
/// # Safety
/// `head` is NULL or a live list, not used afterwards.
pub unsafe fn free(head: *mut KList, mut drop_entry: impl FnMut(Entry)) {
    // SAFETY: the caller's contract.
    for n in unsafe { nodes(head) } {
        // SAFETY: each node was made by Box::into_raw in append.
        let node = unsafe { Box::from_raw(n) };
        drop_entry(node.entry);
    }
}

/// The entry of a node (None for NULL).
///
/// # Safety
/// `entry` is NULL or a live node.
pub unsafe fn entry<'a>(entry: *const KList) -> Option<&'a Entry> {
    // SAFETY: the caller's contract.
    unsafe { entry.as_ref() }.map(|n| &n.entry)
}

/// `kmod_list_next`: the node after `curr`, NULL after the last one.
#[no_mangle]
pub unsafe extern "C" fn kmod_list_next(list: *const KList, curr: *const KList) -> *mut KList {
    crate::ffi::guard(ptr::null_mut(), || {
        if list.is_null() || curr.is_null() {
            return ptr::null_mut();
        }
        // SAFETY: curr is a live node of list.
        let next = unsafe { (*curr).next };
        if ptr::eq(next, list) {
            ptr::null_mut()
        } else {
            next
        }
    })
}

/// `kmod_list_prev`: the node before `curr`, NULL before the first one.
#[no_mangle]
pub unsafe extern "C" fn kmod_list_prev(list: *const KList, curr: *const KList) -> *mut KList {
    crate::ffi::guard(ptr::null_mut(), || {
        if list.is_null() || curr.is_null() || list == curr {
            return ptr::null_mut();
        }
        // SAFETY: curr is a live node of list.
        unsafe { (*curr).prev }
    })
}

/// `kmod_list_last`: the last node (NULL for an empty list).
#[no_mangle]
pub unsafe extern "C" fn kmod_list_last(list: *const KList) -> *mut KList {
    crate::ffi::guard(ptr::null_mut(), || {
        if list.is_null() {
            return ptr::null_mut();
        }
        // SAFETY: list is a live head.
        unsafe { (*list).prev }
    })
}
