//! kmod's binary index format, `modules.*.bin` ("BOOTFAST", version 2.1).
//!
//! Mirrors `libkmod/libkmod-index.c` (reader) and `tools/depmod.c index_*` (writer) as
//! described in the project's kmod-behaviour notes, §1c.5. Everything is big-endian:
//!
//! ```text
//! header: u32 magic = 0xB007F457, u32 version = 0x00020001, u32 root node word
//! node word: bits 31..28 flags (0x80 PREFIX, 0x40 VALUES, 0x20 CHILDS), bits 27..0 the
//!            absolute file offset of the node; offset 0 means "no node"
//! node at offset, fields present per the flags, in this order:
//!   [PREFIX] prefix bytes, NUL        -- label chars after the arc char
//!   [CHILDS] u8 first, u8 last (first <= last < 128), u32 child[last - first + 1]
//!   [VALUES] u32 count, then count x (u32 priority, value bytes, NUL), ascending priority
//! ```
//!
//! A key is spelled by the prefixes and arc chars along the path from the root; the
//! node where it ends holds its values.
//!
//! * [`Index`] reads a file (mmap) or a byte buffer. Every offset and length is
//!   bounds-checked: a malformed file gives [`IndexError::Corrupt`], never a panic, and
//!   no file can make a lookup loop or recurse without bound (see [`Index`]).
//! * [`IndexBuilder`] builds the trie the way depmod does and writes kmod >= 34's
//!   pre-order layout byte for byte (kmod <= 33 wrote post-order; readers accept both).

use std::fs::File;
use std::path::Path;

use crate::fnmatch::fnmatch_no_nul;

/// The magic number at offset 0 ("BOOTFAST").
pub const INDEX_MAGIC: u32 = 0xB007_F457;
/// The version word depmod writes: major 2, minor 1. Readers check only the major.
pub const INDEX_VERSION: u32 = 0x0002_0001;
const INDEX_VERSION_MAJOR: u32 = 2;
const HEADER_LEN: usize = 12;

const NODE_PREFIX: u32 = 0x8000_0000;
const NODE_VALUES: u32 = 0x4000_0000;
const NODE_CHILDS: u32 = 0x2000_0000;
const NODE_MASK: u32 = 0x0FFF_FFFF;
/// Child arcs are 7-bit ASCII.
const CHILD_MAX: u8 = 128;

/// Why an index could not be opened or read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IndexError {
    /// Opening, sizing or mapping the file failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// The file is empty: kmod 30's depmod writes 0-byte `modules.builtin*.bin` when
    /// `modules.builtin` is missing, and libkmod then finds nothing in them.
    #[error("index file is empty")]
    Empty,
    /// The file is malformed; the text says what is wrong and where.
    #[error("corrupt index: {0}")]
    Corrupt(String),
    /// The first word is not [`INDEX_MAGIC`] (kmod's wording).
    #[error("magic check fail: {0:x} instead of {magic:x}", magic = INDEX_MAGIC)]
    BadMagic(u32),
    /// The major version is not 2; the field is the major version found.
    #[error("major version check fail: {0} instead of {major}", major = INDEX_VERSION_MAJOR)]
    BadVersion(u32),
}

fn corrupt(what: String) -> IndexError {
    IndexError::Corrupt(what)
}

/// One `(key, priority, value)` of [`Index::entries_bytes`], as the file holds them.
pub type RawEntry = (Vec<u8>, u32, Vec<u8>);

/// One value found by [`Index::lookup_wild`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexValue {
    /// Lower sorts first (depmod stores the module's position for most indexes).
    pub priority: u32,
    /// The value string (a modules.dep line, a module name, or empty).
    pub value: String,
}

enum Data {
    Mapped(memmap2::Mmap),
    Owned(Vec<u8>),
}

/// An open binary index.
///
/// Lookups never trust the file. Exact descents ([`lookup`](Index::lookup) and the
/// descending part of [`lookup_wild`](Index::lookup_wild)) consume at least one key
/// byte per node, so they end after at most `key.len() + 1` nodes whatever the child
/// offsets say. Whole-subtree walks ([`dump`](Index::dump) and the wildcard
/// enumerations) use an explicit stack, so depth cannot overflow the call stack, and
/// charge every node they visit its size in bytes (at least 1) against a budget equal
/// to the file length: in a well-formed file the nodes of a subtree occupy disjoint
/// byte ranges, so a walk that exceeds the budget has met a cycle or a shared subtree
/// and fails with [`IndexError::Corrupt`]. Every walk is therefore linear in the file
/// size (plus the fnmatch calls).
pub struct Index {
    data: Data,
    root: u32,
}

impl std::fmt::Debug for Index {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Index")
            .field("len", &self.bytes().len())
            .field("root", &format_args!("{:#010x}", self.root))
            .finish()
    }
}

/// Read a big-endian u32 at `pos`, if the file holds 4 bytes there.
fn read_u32(data: &[u8], pos: usize) -> Option<u32> {
    let b = data.get(pos..pos.checked_add(4)?)?;
    Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}

/// Bytes up to the first NUL, as C reads a string (keys are C strings to kmod).
fn c_str(b: &[u8]) -> &[u8] {
    match b.iter().position(|&c| c == 0) {
        Some(i) => &b[..i],
        None => b,
    }
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// One parsed, fully bounds-checked node.
#[derive(Clone, Copy)]
struct Node<'a> {
    prefix: &'a [u8],
    /// The arc char of the first child-table slot (meaningless if `children` is empty).
    first: u8,
    /// The raw child table: 4 bytes per slot.
    children: &'a [u8],
    /// The raw value records (already validated): `value_count` x (u32, bytes, NUL).
    values: &'a [u8],
    value_count: u32,
    /// The node's size in bytes.
    size: usize,
}

impl<'a> Node<'a> {
    fn slots(&self) -> usize {
        self.children.len() / 4
    }

    /// The word of slot `i` (0 if out of range).
    fn slot(&self, i: usize) -> u32 {
        read_u32(self.children, i * 4).unwrap_or(0)
    }

    /// The node word of the child reached by arc `ch`, or 0 if there is none.
    fn child(&self, ch: u8) -> u32 {
        match ch.checked_sub(self.first) {
            Some(i) if !self.children.is_empty() => self.slot(usize::from(i)),
            _ => 0,
        }
    }

    /// The next non-empty child at or after slot `*next`, advancing `*next` past it.
    fn next_child(&self, next: &mut usize) -> Option<(u8, u32)> {
        while *next < self.slots() {
            let i = *next;
            *next += 1;
            let word = self.slot(i);
            if word & NODE_MASK != 0 {
                // `i < 128 - first` was checked when the node was parsed.
                return Some((self.first.wrapping_add(i as u8), word));
            }
        }
        None
    }

    /// The values, in stored order (ascending priority).
    fn values(&self) -> impl Iterator<Item = (u32, &'a [u8])> + 'a {
        let mut rest = self.values;
        let mut left = self.value_count;
        std::iter::from_fn(move || {
            if left == 0 {
                return None;
            }
            let priority = read_u32(rest, 0)?;
            let s = rest.get(4..)?;
            let nul = s.iter().position(|&b| b == 0)?;
            rest = &s[nul + 1..];
            left -= 1;
            Some((priority, &s[..nul]))
        })
    }
}

/// The per-walk allowance of node bytes (see [`Index`]).
struct Budget(usize);

impl Budget {
    fn charge(&mut self, node: &Node<'_>) -> Result<(), IndexError> {
        match self.0.checked_sub(node.size.max(1)) {
            Some(left) => {
                self.0 = left;
                Ok(())
            }
            None => Err(corrupt(
                "a walk visits more node bytes than the file holds (a child offset loops back \
                 or is shared)"
                    .to_string(),
            )),
        }
    }
}

/// A node being walked by an explicit-stack traversal.
struct Frame<'a> {
    node: Node<'a>,
    /// The next child-table slot to look at.
    next: usize,
    /// The key-buffer length to restore when the node is left.
    restore: usize,
}

impl Index {
    /// Open and map `path`, checking the header the way kmod does (length, magic,
    /// major version). A file shorter than the header (including an empty file) is
    /// [`IndexError::Corrupt`].
    ///
    /// The file is mapped read-only; as with kmod, it must not be truncated while the
    /// index is open (depmod replaces index files by rename, which is safe).
    pub fn open(path: &Path) -> Result<Index, IndexError> {
        Index::from_file(&File::open(path)?)
    }

    /// [`Index::open`] on a file already open (whose `fstat` the caller may want, as
    /// libkmod stamps an index with the modification time of the file it mapped).
    pub fn from_file(file: &File) -> Result<Index, IndexError> {
        let len = file.metadata()?.len();
        if len == 0 {
            return Err(IndexError::Empty);
        }
        if len < HEADER_LEN as u64 {
            return Err(corrupt(format!("file is {len} bytes, shorter than the {HEADER_LEN}-byte header")));
        }
        // SAFETY: the mapping is private and read-only, and every access through it is
        // bounds-checked against its length. The one hazard memmap2 cannot rule out is
        // another process truncating the file while it is mapped (SIGBUS); kmod's own
        // mmap reader has the same exposure, and depmod publishes indexes by rename.
        let map = unsafe { memmap2::Mmap::map(file) }?;
        Index::from_data(Data::Mapped(map))
    }

    /// Use an index held in memory (checked like [`Index::open`]).
    pub fn from_bytes(data: Vec<u8>) -> Result<Index, IndexError> {
        Index::from_data(Data::Owned(data))
    }

    fn from_data(data: Data) -> Result<Index, IndexError> {
        let bytes = match &data {
            Data::Mapped(m) => &m[..],
            Data::Owned(v) => &v[..],
        };
        let (Some(magic), Some(version), Some(root)) =
            (read_u32(bytes, 0), read_u32(bytes, 4), read_u32(bytes, 8))
        else {
            return Err(corrupt(format!(
                "file is {} bytes, shorter than the {HEADER_LEN}-byte header",
                bytes.len()
            )));
        };
        if magic != INDEX_MAGIC {
            return Err(IndexError::BadMagic(magic));
        }
        if version >> 16 != INDEX_VERSION_MAJOR {
            return Err(IndexError::BadVersion(version >> 16));
        }
        Ok(Index { data, root })
    }

    fn bytes(&self) -> &[u8] {
        match &self.data {
            Data::Mapped(m) => m,
            Data::Owned(v) => v,
        }
    }

    /// Parse the node a word points to (`None` for offset 0), checking every field.
    fn node(&self, word: u32) -> Result<Option<Node<'_>>, IndexError> {
        let data = self.bytes();
        let off = (word & NODE_MASK) as usize;
        if off == 0 {
            return Ok(None);
        }
        if off < HEADER_LEN {
            return Err(corrupt(format!("node offset {off:#x} points into the header")));
        }
        if off > data.len() {
            return Err(corrupt(format!("node offset {off:#x} beyond end of file ({:#x})", data.len())));
        }
        let mut pos = off;
        let mut prefix: &[u8] = &[];
        if word & NODE_PREFIX != 0 {
            let rest = &data[pos..];
            let Some(nul) = rest.iter().position(|&b| b == 0) else {
                return Err(corrupt(format!(
                    "node at {off:#x}: prefix has no NUL terminator before end of file"
                )));
            };
            prefix = &rest[..nul];
            pos += nul + 1;
        }
        let mut first = 0;
        let mut children: &[u8] = &[];
        if word & NODE_CHILDS != 0 {
            let (Some(&f), Some(&l)) = (data.get(pos), data.get(pos + 1)) else {
                return Err(corrupt(format!("node at {off:#x}: child range at {pos:#x} past end of file")));
            };
            if f > l {
                return Err(corrupt(format!("node at {off:#x}: child range first {f:#x} > last {l:#x}")));
            }
            if l >= CHILD_MAX {
                return Err(corrupt(format!("node at {off:#x}: child char {l:#x} is not 7-bit ASCII")));
            }
            pos += 2;
            let len = (usize::from(l - f) + 1) * 4;
            let Some(table) = data.get(pos..pos + len) else {
                return Err(corrupt(format!(
                    "node at {off:#x}: child table of {len} bytes at {pos:#x} past end of file \
                     ({:#x})",
                    data.len()
                )));
            };
            first = f;
            children = table;
            pos += len;
        }
        let mut values: &[u8] = &[];
        let mut value_count = 0;
        if word & NODE_VALUES != 0 {
            let Some(count) = read_u32(data, pos) else {
                return Err(corrupt(format!("node at {off:#x}: value count at {pos:#x} past end of file")));
            };
            pos += 4;
            let left = data.len() - pos;
            if u64::from(count) * 5 > left as u64 {
                return Err(corrupt(format!(
                    "node at {off:#x}: value count {count} too large for the {left} bytes left"
                )));
            }
            let start = pos;
            for n in 0..count {
                let nul = data.get(pos + 4..).and_then(|s| s.iter().position(|&b| b == 0));
                let Some(nul) = nul else {
                    return Err(corrupt(format!(
                        "node at {off:#x}: value {n} at {pos:#x} runs past end of file"
                    )));
                };
                pos += 4 + nul + 1;
            }
            values = &data[start..pos];
            value_count = count;
        }
        Ok(Some(Node { prefix, first, children, values, value_count, size: pos - off }))
    }

    /// kmod's `index_search`: the first (lowest-priority) value stored under exactly
    /// `key`, or `None`. The key ends at its first NUL, as a C string would.
    pub fn lookup(&self, key: impl AsRef<[u8]>) -> Result<Option<String>, IndexError> {
        let key = c_str(key.as_ref());
        let mut i = 0;
        let mut node = self.node(self.root)?;
        while let Some(n) = node {
            if !key[i..].starts_with(n.prefix) {
                return Ok(None);
            }
            i += n.prefix.len();
            let Some(&ch) = key.get(i) else {
                return Ok(n.values().next().map(|(_, v)| lossy(v)));
            };
            i += 1;
            node = self.node(n.child(ch))?;
        }
        Ok(None)
    }

    /// kmod's `index_searchwild`: every value whose stored key, read as an fnmatch(3)
    /// pattern, matches `key`.
    ///
    /// The walk is kmod's: descend along `key`; at each node on the way, first walk the
    /// subtrees under the `*`, `?` and `[` arcs (in that order), and if the node's
    /// prefix itself holds one of those chars, walk the node's subtree from there and
    /// stop descending. A walked subtree is visited children first (ascending arc char),
    /// then the node, whose values are taken if `fnmatch(stored key from the wildcard
    /// on, rest of key)`. When `key` ends at a node, that node's values are taken.
    /// Within a node, values are taken in stored order.
    ///
    /// Ordering: kmod puts each value it takes into its result list before the first
    /// entry whose priority is >= the new one (`add_value`). So the result is sorted by
    /// ascending priority, and values of equal priority come out in the *reverse* of
    /// the order they were taken: a key matched later in the walk (for instance the
    /// exact key, which is taken last) comes before one matched earlier, and two
    /// equal-priority values of one key come out in the reverse of their stored order.
    /// This reproduces kmod's list exactly (checked against kmod 30's `modprobe -R` on
    /// indexes written by [`IndexBuilder`], with the cases in this file's tests).
    ///
    /// Like kmod, a `key` that itself contains `*`, `?` or `[` can take the same value
    /// twice (once through a wildcard walk, once by descending the same arc).
    pub fn lookup_wild(&self, key: impl AsRef<[u8]>) -> Result<Vec<IndexValue>, IndexError> {
        let key = c_str(key.as_ref());
        let mut taken = Vec::new();
        let mut i = 0;
        let mut node = self.node(self.root)?;
        'descend: while let Some(n) = node {
            for (j, &ch) in n.prefix.iter().enumerate() {
                if matches!(ch, b'*' | b'?' | b'[') {
                    self.walk_wild(n, j, Vec::new(), &key[i + j..], &mut taken)?;
                    break 'descend;
                }
                if key.get(i + j) != Some(&ch) {
                    break 'descend;
                }
            }
            i += n.prefix.len();
            for wild in [b'*', b'?', b'['] {
                if let Some(child) = self.node(n.child(wild))? {
                    self.walk_wild(child, 0, vec![wild], &key[i..], &mut taken)?;
                }
            }
            let Some(&ch) = key.get(i) else {
                take_values(&n, &mut taken);
                break;
            };
            i += 1;
            node = self.node(n.child(ch))?;
        }
        // `add_value` order: ascending priority, ties in reverse order of taking.
        taken.reverse();
        taken.sort_by_key(|v| v.priority);
        Ok(taken)
    }

    /// kmod's `index_searchwild__all`: walk the subtree of `start`, whose key text from
    /// the wildcard on begins with `buf` + `start.prefix[j..]`, taking the values of
    /// every node whose key text matches `subkey`.
    fn walk_wild<'a>(
        &'a self,
        start: Node<'a>,
        j: usize,
        mut buf: Vec<u8>,
        subkey: &[u8],
        taken: &mut Vec<IndexValue>,
    ) -> Result<(), IndexError> {
        let mut budget = Budget(self.bytes().len());
        budget.charge(&start)?;
        buf.extend_from_slice(start.prefix.get(j..).unwrap_or_default());
        let mut stack = vec![Frame { node: start, next: 0, restore: 0 }];
        while let Some(top) = stack.last_mut() {
            if let Some((ch, word)) = top.node.next_child(&mut top.next) {
                let restore = buf.len();
                buf.push(ch);
                // The arc's text alone may already rule out the whole subtree.
                if !may_match(&buf, subkey) {
                    buf.truncate(restore);
                    continue;
                }
                if let Some(child) = self.node(word)? {
                    budget.charge(&child)?;
                    buf.extend_from_slice(child.prefix);
                    if may_match(&buf, subkey) {
                        stack.push(Frame { node: child, next: 0, restore });
                        continue;
                    }
                }
                buf.truncate(restore);
                continue;
            }
            let Some(done) = stack.pop() else { break };
            if done.node.value_count > 0 && fnmatch_no_nul(&buf, subkey) {
                take_values(&done.node, taken);
            }
            buf.truncate(done.restore);
        }
        Ok(())
    }

    /// kmod's `index_dump`: every `(key, value)` pair, in pre-order (a node's values in
    /// stored order, then its children by ascending arc char), which is ascending byte
    /// order of the keys. `modprobe -c` prints these as `alias <key> <value>`.
    pub fn dump(&self) -> Result<Vec<(String, String)>, IndexError> {
        Ok(self.entries()?.into_iter().map(|(k, _, v)| (k, v)).collect())
    }

    /// Every `(key, priority, value)` triple, in [`Index::dump`] order. Inserting them
    /// into an [`IndexBuilder`] in reverse order rebuilds the same index.
    pub fn entries(&self) -> Result<Vec<(String, u32, String)>, IndexError> {
        Ok(self.entries_bytes()?.into_iter().map(|(k, p, v)| (lossy(&k), p, lossy(&v))).collect())
    }

    /// [`Index::entries`] with keys and values as the file holds them (C strings, not
    /// necessarily UTF-8): what libkmod's `kmod_dump_index` writes.
    pub fn entries_bytes(&self) -> Result<Vec<RawEntry>, IndexError> {
        let mut out = Vec::new();
        let Some(root) = self.node(self.root)? else {
            return Ok(out);
        };
        let mut budget = Budget(self.bytes().len());
        budget.charge(&root)?;
        let mut buf = root.prefix.to_vec();
        let emit = |node: &Node<'_>, buf: &[u8], out: &mut Vec<RawEntry>| {
            for (prio, v) in node.values() {
                out.push((buf.to_vec(), prio, v.to_vec()));
            }
        };
        emit(&root, &buf, &mut out);
        let mut stack = vec![Frame { node: root, next: 0, restore: 0 }];
        while let Some(top) = stack.last_mut() {
            if let Some((ch, word)) = top.node.next_child(&mut top.next) {
                if let Some(child) = self.node(word)? {
                    budget.charge(&child)?;
                    let restore = buf.len();
                    buf.push(ch);
                    buf.extend_from_slice(child.prefix);
                    emit(&child, &buf, &mut out);
                    stack.push(Frame { node: child, next: 0, restore });
                }
                continue;
            }
            if let Some(done) = stack.pop() {
                buf.truncate(done.restore);
            }
        }
        Ok(out)
    }
}

fn take_values(node: &Node<'_>, taken: &mut Vec<IndexValue>) {
    taken.extend(node.values().map(|(priority, v)| IndexValue { priority, value: lossy(v) }));
}

/// Builds an index the way depmod does, then writes it.
///
/// Entries are collected as they come; [`IndexBuilder::to_bytes`] sorts them once and
/// lays the trie out from the sorted list (a Patricia trie is determined by its key set,
/// so the bytes are those of kmod's incremental construction; a model of that
/// construction in the tests checks it).
#[derive(Debug, Default, Clone)]
pub struct IndexBuilder {
    /// Every key and value, back to back.
    arena: String,
    /// (key start, key end = value start, value end, priority), in insertion order.
    entries: Vec<(u32, u32, u32, u32)>,
    /// Entries by a hash of (key, value), to report duplicates exactly.
    seen: rustc_hash::FxHashMap<u64, Vec<u32>>,
}

impl IndexBuilder {
    /// An empty index.
    pub fn new() -> IndexBuilder {
        IndexBuilder::default()
    }

    /// True if `key` can be stored: 7-bit ASCII without NUL (depmod refuses anything
    /// else with a fatal error).
    pub fn valid_key(key: &str) -> bool {
        key.bytes().all(|b| b != 0 && b < CHILD_MAX)
    }

    fn key(&self, e: (u32, u32, u32, u32)) -> &[u8] {
        &self.arena.as_bytes()[e.0 as usize..e.1 as usize]
    }

    fn value(&self, e: (u32, u32, u32, u32)) -> &[u8] {
        &self.arena.as_bytes()[e.1 as usize..e.2 as usize]
    }

    /// depmod's `index_insert` + `index_add_value`: store `value` under `key`.
    ///
    /// Values of a key are kept by ascending priority, a new value going before the
    /// first one whose priority is >= its own (so among equal priorities the later
    /// insertion comes first). Returns `false` if the key already held an identical
    /// value string (the value is still stored again, as depmod does; it only warns).
    /// A key that is not [`valid_key`](IndexBuilder::valid_key), or a value holding a
    /// NUL, is not stored and also gives `false`.
    pub fn insert(&mut self, key: &str, value: &str, priority: u32) -> bool {
        use std::hash::{Hash, Hasher};
        if !IndexBuilder::valid_key(key) || value.contains('\0') {
            return false;
        }
        let mut h = rustc_hash::FxHasher::default();
        (key, value).hash(&mut h);
        let fingerprint = h.finish();
        let duplicate = self.seen.get(&fingerprint).is_some_and(|ids| {
            ids.iter().any(|&i| {
                let e = self.entries[i as usize];
                self.key(e) == key.as_bytes() && self.value(e) == value.as_bytes()
            })
        });
        let start = self.arena.len() as u32;
        self.arena.push_str(key);
        let mid = self.arena.len() as u32;
        self.arena.push_str(value);
        self.entries.push((start, mid, self.arena.len() as u32, priority));
        self.seen.entry(fingerprint).or_default().push(self.entries.len() as u32 - 1);
        !duplicate
    }

    /// The index file, in kmod >= 34's pre-order layout: the root at offset 12, each
    /// node followed by its children's subtrees in ascending arc order. An empty index
    /// is the 12-byte header with root word `0x0000000C`.
    ///
    /// # Panics
    ///
    /// If the file would pass 256 MiB, the most a 28-bit node offset can address.
    pub fn to_bytes(&self) -> Vec<u8> {
        // Sorted by key, then ascending priority, then the later insertion first: the
        // order of a node's value list.
        let mut order: Vec<u32> = (0..self.entries.len() as u32).collect();
        order.sort_unstable_by(|&a, &b| {
            let (ea, eb) = (self.entries[a as usize], self.entries[b as usize]);
            self.key(ea).cmp(self.key(eb)).then(ea.3.cmp(&eb.3)).then(b.cmp(&a))
        });
        let key = |i: usize| self.key(self.entries[order[i] as usize]);
        let mut out = Vec::with_capacity(self.arena.len() + 16 * self.entries.len() + 64);
        out.extend_from_slice(&INDEX_MAGIC.to_be_bytes());
        out.extend_from_slice(&INDEX_VERSION.to_be_bytes());
        out.extend_from_slice(&[0; 4]);
        // A node is a range of sorted entries sharing `depth` key bytes; `slot` is the
        // word that must point at it. Depth-first with children pushed in reverse gives
        // the pre-order layout, each subtree contiguous.
        let mut stack: Vec<(usize, usize, usize, usize)> = vec![(0, order.len(), 0, 8)];
        let mut root = true;
        while let Some((lo, hi, depth, slot)) = stack.pop() {
            let offset = out.len();
            assert!(
                offset <= NODE_MASK as usize,
                "index too large: node offset {offset:#x} does not fit in 28 bits"
            );
            let mut word = offset as u32;
            // The prefix: what every key here shares past `depth` (none at the root).
            let prefix_len = if root || lo == hi {
                0
            } else {
                let (first, last) = (&key(lo)[depth..], &key(hi - 1)[depth..]);
                first.iter().zip(last).take_while(|(a, b)| a == b).count()
            };
            root = false;
            if prefix_len > 0 {
                word |= NODE_PREFIX;
                out.extend_from_slice(&key(lo)[depth..depth + prefix_len]);
                out.push(0);
            }
            let end = depth + prefix_len;
            let values_end = (lo..hi).find(|&i| key(i).len() > end).unwrap_or(hi);
            if values_end < hi {
                word |= NODE_CHILDS;
                let (first, last) = (key(values_end)[end], key(hi - 1)[end]);
                out.push(first);
                out.push(last);
                let table = out.len();
                out.resize(table + 4 * (usize::from(last - first) + 1), 0);
                let mut groups = Vec::new();
                let mut i = values_end;
                while i < hi {
                    let ch = key(i)[end];
                    let j = (i..hi).find(|&j| key(j)[end] != ch).unwrap_or(hi);
                    groups.push((i, j, end + 1, table + 4 * usize::from(ch - first)));
                    i = j;
                }
                stack.extend(groups.into_iter().rev());
            }
            if values_end > lo {
                word |= NODE_VALUES;
                out.extend_from_slice(&((values_end - lo) as u32).to_be_bytes());
                for &i in &order[lo..values_end] {
                    let e = self.entries[i as usize];
                    out.extend_from_slice(&e.3.to_be_bytes());
                    out.extend_from_slice(self.value(e));
                    out.push(0);
                }
            }
            out[slot..slot + 4].copy_from_slice(&word.to_be_bytes());
        }
        out
    }
}

#[cfg(test)]
pub(crate) mod model {
    use super::*;
    use std::collections::btree_map::Entry;
    use std::collections::BTreeMap;

    /// The incremental construction depmod performs (`index_insert`), kept as the
    /// model the sorted builder is checked against.
    #[derive(Debug, Default, Clone)]
    pub(crate) struct ModelBuilder {
        root: BuildNode,
    }

    #[derive(Debug, Default, Clone)]
    struct BuildNode {
        prefix: Vec<u8>,
        children: BTreeMap<u8, BuildNode>,
        /// Ascending priority; among equal priorities, the later insertion first.
        values: Vec<(u32, String)>,
    }

    impl ModelBuilder {
        /// An empty index.
        pub fn new() -> ModelBuilder {
            ModelBuilder::default()
        }

        /// True if `key` can be stored: 7-bit ASCII without NUL (depmod refuses anything
        /// else with a fatal error).
        pub fn valid_key(key: &str) -> bool {
            key.bytes().all(|b| b != 0 && b < CHILD_MAX)
        }

        /// depmod's `index_insert` + `index_add_value`: store `value` under `key`.
        ///
        /// Values of a key are kept by ascending priority, a new value going before the
        /// first one whose priority is >= its own (so among equal priorities the later
        /// insertion comes first). Returns `false` if the key already held an identical
        /// value string (the value is still stored again, as depmod does; it only warns).
        /// A key that is not [`valid_key`](ModelBuilder::valid_key), or a value holding a
        /// NUL, is not stored and also gives `false`.
        pub fn insert(&mut self, key: &str, value: &str, priority: u32) -> bool {
            if !ModelBuilder::valid_key(key) || value.contains('\0') {
                return false;
            }
            let key = key.as_bytes();
            let mut node = &mut self.root;
            let mut i = 0;
            loop {
                let common = node.prefix.iter().zip(&key[i..]).take_while(|(a, b)| a == b).count();
                if common < node.prefix.len() {
                    // The key leaves the prefix: split the node at the divergence.
                    let arc = node.prefix[common];
                    let tail = BuildNode {
                        prefix: node.prefix[common + 1..].to_vec(),
                        children: std::mem::take(&mut node.children),
                        values: std::mem::take(&mut node.values),
                    };
                    node.prefix.truncate(common);
                    node.children.insert(arc, tail);
                }
                i += common;
                let Some(&ch) = key.get(i) else {
                    return add_value(&mut node.values, value, priority);
                };
                match node.children.entry(ch) {
                    Entry::Vacant(slot) => {
                        slot.insert(BuildNode {
                            prefix: key[i + 1..].to_vec(),
                            children: BTreeMap::new(),
                            values: vec![(priority, value.to_string())],
                        });
                        return true;
                    }
                    Entry::Occupied(slot) => node = slot.into_mut(),
                }
                i += 1;
            }
        }

        /// The index file, in kmod >= 34's pre-order layout: the root at offset 12, each
        /// node followed by its children's subtrees in ascending arc order. An empty index
        /// is the 12-byte header with root word `0x0000000C`.
        ///
        /// # Panics
        ///
        /// If the file would pass 256 MiB, the most a 28-bit node offset can address.
        pub fn to_bytes(&self) -> Vec<u8> {
            let mut out = Vec::with_capacity(4096);
            out.extend_from_slice(&INDEX_MAGIC.to_be_bytes());
            out.extend_from_slice(&INDEX_VERSION.to_be_bytes());
            out.extend_from_slice(&[0; 4]);
            // (node, position of the word that must point at it)
            let mut stack: Vec<(&BuildNode, usize)> = vec![(&self.root, 8)];
            while let Some((node, slot)) = stack.pop() {
                let offset = out.len();
                assert!(
                    offset <= NODE_MASK as usize,
                    "index too large: node offset {offset:#x} does not fit in 28 bits"
                );
                let mut word = offset as u32;
                if !node.prefix.is_empty() {
                    word |= NODE_PREFIX;
                    out.extend_from_slice(&node.prefix);
                    out.push(0);
                }
                if let (Some((&first, _)), Some((&last, _))) =
                    (node.children.first_key_value(), node.children.last_key_value())
                {
                    word |= NODE_CHILDS;
                    out.push(first);
                    out.push(last);
                    let table = out.len();
                    out.resize(table + 4 * (usize::from(last - first) + 1), 0);
                    // Pushed in reverse so the lowest arc is written first.
                    for (&ch, child) in node.children.iter().rev() {
                        stack.push((child, table + 4 * usize::from(ch - first)));
                    }
                }
                if !node.values.is_empty() {
                    word |= NODE_VALUES;
                    out.extend_from_slice(&(node.values.len() as u32).to_be_bytes());
                    for (priority, value) in &node.values {
                        out.extend_from_slice(&priority.to_be_bytes());
                        out.extend_from_slice(value.as_bytes());
                        out.push(0);
                    }
                }
                out[slot..slot + 4].copy_from_slice(&word.to_be_bytes());
            }
            out
        }
    }

    /// depmod's `index_add_value`; returns false if `value` was already there.
    fn add_value(values: &mut Vec<(u32, String)>, value: &str, priority: u32) -> bool {
        let duplicate = values.iter().any(|(_, v)| v == value);
        let at = values.iter().position(|&(p, _)| p >= priority).unwrap_or(values.len());
        values.insert(at, (priority, value.to_string()));
        !duplicate
    }
}

/// Whether some pattern beginning with `prefix` (the key text of a wildcard subtree so
/// far) can fnmatch `key`: a necessary condition, used to skip subtrees. For a prefix
/// of literal bytes and `*` only that starts with `*`, the text between stars (and the
/// text after the last one, which the rest of the pattern can only extend) must occur
/// in `key` in that order without overlapping; anything else (`?`, brackets, escapes,
/// no leading star) is not judged.
fn may_match(prefix: &[u8], key: &[u8]) -> bool {
    if prefix.first() != Some(&b'*') || prefix.iter().any(|&c| matches!(c, b'?' | b'[' | b'\\')) {
        return true;
    }
    let mut at = 0;
    for seg in prefix[1..].split(|&c| c == b'*').filter(|s| !s.is_empty()) {
        match key[at..].windows(seg.len()).position(|w| w == seg) {
            Some(i) => at += i + seg.len(),
            None => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(3000))]
        /// The sorted builder writes exactly the bytes of depmod's incremental
        /// construction, duplicates and equal priorities included.
        #[test]
        fn sorted_builder_matches_incremental_model(
            entries in proptest::collection::vec(("[ab*?]{0,5}", "[xyz]{0,3}", 0u32..4), 0..40)
        ) {
            let mut fast = IndexBuilder::new();
            let mut model = super::model::ModelBuilder::new();
            for (k, v, p) in &entries {
                proptest::prop_assert_eq!(fast.insert(k, v, *p), model.insert(k, v, *p));
            }
            proptest::prop_assert_eq!(fast.to_bytes(), model.to_bytes());
        }
    }
    use proptest::prelude::*;
    use std::collections::BTreeMap;
    use std::io::Write;
    use std::time::{Duration, Instant};

    fn build(entries: &[(&str, &str, u32)]) -> Vec<u8> {
        let mut b = IndexBuilder::new();
        for &(k, v, p) in entries {
            b.insert(k, v, p);
        }
        b.to_bytes()
    }

    fn index(entries: &[(&str, &str, u32)]) -> Index {
        Index::from_bytes(build(entries)).unwrap()
    }

    fn values(v: &[IndexValue]) -> Vec<(u32, &str)> {
        v.iter().map(|x| (x.priority, x.value.as_str())).collect()
    }

    /// §1c.5's annotated example: kmod 34's modules.builtin.bin for `ext4` and `unix`.
    #[test]
    fn golden_builtin_example() {
        let mut expected = vec![
            0xB0, 0x07, 0xF4, 0x57, 0x00, 0x02, 0x00, 0x01, 0x20, 0x00, 0x00, 0x0C, // header
            0x65, 0x75, // root: first 'e', last 'u'
            0xC0, 0x00, 0x00, 0x52, // 'e'
        ];
        expected.extend([0u8; 15 * 4]);
        expected.extend([0xC0, 0x00, 0x00, 0x5F]); // 'u'
        expected.extend([0x78, 0x74, 0x34, 0x00, 0, 0, 0, 1, 0, 0, 0, 0, 0]); // "xt4"
        expected.extend([0x6E, 0x69, 0x78, 0x00, 0, 0, 0, 1, 0, 0, 0, 0, 0]); // "nix"
        assert_eq!(expected.len(), 108);
        let bytes = build(&[("ext4", "", 0), ("unix", "", 0)]);
        assert_eq!(bytes, expected);
        // The same content inserted in another order gives the same bytes.
        assert_eq!(build(&[("unix", "", 0), ("ext4", "", 0)]), expected);

        let idx = Index::from_bytes(bytes).unwrap();
        assert_eq!(idx.lookup("ext4").unwrap().as_deref(), Some(""));
        assert_eq!(idx.lookup("unix").unwrap().as_deref(), Some(""));
        assert_eq!(idx.lookup("ext").unwrap(), None);
        assert_eq!(idx.lookup("ext45").unwrap(), None);
        assert_eq!(idx.lookup("").unwrap(), None);
        assert_eq!(
            idx.dump().unwrap(),
            vec![("ext4".to_string(), String::new()), ("unix".to_string(), String::new())]
        );
    }

    #[test]
    fn empty_index() {
        let bytes = IndexBuilder::new().to_bytes();
        assert_eq!(bytes, [0xB0, 0x07, 0xF4, 0x57, 0, 2, 0, 1, 0, 0, 0, 0x0C]);
        let idx = Index::from_bytes(bytes).unwrap();
        assert_eq!(idx.lookup("x").unwrap(), None);
        assert_eq!(idx.lookup("").unwrap(), None);
        assert!(idx.lookup_wild("x").unwrap().is_empty());
        assert!(idx.dump().unwrap().is_empty());
    }

    /// Keys that force a split and a node that is both a key end and a branch point:
    /// root -a-> "b"{3} -c-> {1}
    ///                  -d-> {2}
    ///      -b-> {4}
    #[test]
    fn golden_split_layout() {
        #[rustfmt::skip]
        let expected: Vec<u8> = vec![
            0xB0, 0x07, 0xF4, 0x57, 0x00, 0x02, 0x00, 0x01, 0x20, 0x00, 0x00, 0x0C,
            // 0x0C root: children 'a'..'b'
            0x61, 0x62, 0xE0, 0x00, 0x00, 0x16, 0x40, 0x00, 0x00, 0x40,
            // 0x16 "a": prefix "b", children 'c'..'d', one value "3"
            0x62, 0x00, 0x63, 0x64, 0x40, 0x00, 0x00, 0x2C, 0x40, 0x00, 0x00, 0x36,
            0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x33, 0x00,
            // 0x2C "abc"
            0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x31, 0x00,
            // 0x36 "abd"
            0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x32, 0x00,
            // 0x40 "b"
            0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x34, 0x00,
        ];
        let orders: [[(&str, &str, u32); 4]; 3] = [
            [("abc", "1", 0), ("abd", "2", 0), ("ab", "3", 0), ("b", "4", 0)],
            [("b", "4", 0), ("ab", "3", 0), ("abd", "2", 0), ("abc", "1", 0)],
            [("abd", "2", 0), ("b", "4", 0), ("abc", "1", 0), ("ab", "3", 0)],
        ];
        for entries in orders {
            assert_eq!(build(&entries), expected, "{entries:?}");
        }
        let idx = Index::from_bytes(expected).unwrap();
        for (k, v) in [("abc", "1"), ("abd", "2"), ("ab", "3"), ("b", "4")] {
            assert_eq!(idx.lookup(k).unwrap().as_deref(), Some(v));
        }
        for k in ["a", "abe", "abcd", "c", "", "bb"] {
            assert_eq!(idx.lookup(k).unwrap(), None, "{k}");
        }
    }

    /// A key ending inside an existing prefix splits it, and the split node keeps an
    /// empty prefix (no PREFIX flag).
    #[test]
    fn golden_split_inside_prefix() {
        #[rustfmt::skip]
        let expected: Vec<u8> = vec![
            0xB0, 0x07, 0xF4, 0x57, 0x00, 0x02, 0x00, 0x01, 0x20, 0x00, 0x00, 0x0C,
            // 0x0C root: child 'x' only
            0x78, 0x78, 0x60, 0x00, 0x00, 0x12,
            // 0x12 "x": children 'y'..'y', value (7, "short")
            0x79, 0x79, 0xC0, 0x00, 0x00, 0x26,
            0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x07, b's', b'h', b'o', b'r', b't', 0x00,
            // 0x26 "xyz": prefix "z", value (1, "long")
            0x7A, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, b'l', b'o', b'n', b'g', 0x00,
        ];
        assert_eq!(build(&[("xyz", "long", 1), ("x", "short", 7)]), expected);
        assert_eq!(build(&[("x", "short", 7), ("xyz", "long", 1)]), expected);
    }

    #[test]
    fn value_order_and_duplicates() {
        let mut b = IndexBuilder::new();
        assert!(b.insert("k", "A", 1));
        assert!(b.insert("k", "B", 1));
        assert!(b.insert("k", "C", 0));
        assert!(b.insert("k", "D", 2));
        assert!(!b.insert("k", "A", 5), "duplicate reported");
        let idx = Index::from_bytes(b.to_bytes()).unwrap();
        // Stored: ascending priority, later insertion first among equals.
        let dumped: Vec<_> = idx.dump().unwrap().into_iter().map(|(_, v)| v).collect();
        assert_eq!(dumped, ["C", "B", "A", "D", "A"]);
        assert_eq!(idx.lookup("k").unwrap().as_deref(), Some("C"));
        // kmod's add_value re-inserts each value it takes: equal priorities reverse.
        assert_eq!(
            values(&idx.lookup_wild("k").unwrap()),
            [(0, "C"), (1, "A"), (1, "B"), (2, "D"), (5, "A")]
        );
    }

    #[test]
    fn invalid_keys_are_refused() {
        let mut b = IndexBuilder::new();
        assert!(!b.insert("caf\u{e9}", "x", 0));
        assert!(!b.insert("a\0b", "x", 0));
        assert!(!b.insert("ok", "x\0y", 0));
        assert!(b.insert("ok", "v\u{e9}", 0), "non-ASCII values are stored");
        let idx = Index::from_bytes(b.to_bytes()).unwrap();
        assert_eq!(idx.dump().unwrap(), [("ok".to_string(), "v\u{e9}".to_string())]);
    }

    #[test]
    fn wildcard_lookup_order() {
        let idx = index(&[
            ("a*", "star", 1),
            ("ab*", "abstar", 1),
            ("abc", "exact", 1),
            ("a?c", "question", 1),
            ("a[bx]c", "bracket", 1),
            ("abc", "exact0", 0),
            ("ab?", "low", 0),
            ("zz*", "nope", 0),
        ]);
        // Taken in this order: at node "a": the '*' walk ("star"), the '?' walk
        // ("question"), the '[' walk ("bracket"); at node "ab": '*' ("abstar"), '?'
        // ("low"); at the end of the key "abc": its values ("exact0", "exact").
        // Result: by priority, and ties in reverse order of taking.
        assert_eq!(
            values(&idx.lookup_wild("abc").unwrap()),
            [
                (0, "exact0"),
                (0, "low"),
                (1, "exact"),
                (1, "abstar"),
                (1, "bracket"),
                (1, "question"),
                (1, "star"),
            ]
        );
        assert_eq!(values(&idx.lookup_wild("a").unwrap()), [(1, "star")]);
        assert_eq!(values(&idx.lookup_wild("axc").unwrap()), [(1, "bracket"), (1, "question"), (1, "star")]);
        assert!(idx.lookup_wild("b").unwrap().is_empty());
        assert!(idx.lookup_wild("").unwrap().is_empty());
    }

    /// Within one walked subtree, nodes are visited children first: a longer key before
    /// its own prefix, siblings by ascending arc.
    #[test]
    fn wildcard_walk_is_post_order() {
        // One node "p*" (the wildcard is in its prefix) with children "p*a" (which has
        // a child "p*ab") and "p*b". The walk takes "p*ab", "p*a", "p*b", "p*" in that
        // order, each if it matches; equal priorities then come out reversed.
        let idx = index(&[("p*", "w", 0), ("p*a", "x", 0), ("p*b", "y", 0), ("p*ab", "z", 0)]);
        // Taken: "p*ab" (z), "p*b" (y), "p*" (w).
        assert_eq!(values(&idx.lookup_wild("pxab").unwrap()), [(0, "w"), (0, "y"), (0, "z")]);
        // Taken: "p*a" (x), "p*" (w).
        assert_eq!(values(&idx.lookup_wild("pxa").unwrap()), [(0, "w"), (0, "x")]);
        // With distinct priorities the walk order no longer matters.
        let idx = index(&[("p*", "w", 3), ("p*a", "x", 1), ("p*b", "y", 0), ("p*ab", "z", 2)]);
        assert_eq!(values(&idx.lookup_wild("pab").unwrap()), [(0, "y"), (2, "z"), (3, "w")]);
        let all = index(&[("p*", "1", 0), ("p*", "x", 0), ("p?*", "2", 0), ("p*?", "3", 0)]);
        // Taken: "p*?" (child of "p*") = 3, then "p*" = x, 1 (stored order), then the
        // '?' walk "p?*" = 2. Reversed: 2, 1, x, 3.
        assert_eq!(values(&all.lookup_wild("pqq").unwrap()), [(0, "2"), (0, "1"), (0, "x"), (0, "3")]);
    }

    /// A wildcard inside a node prefix starts the walk there and ends the descent.
    #[test]
    fn wildcard_in_prefix() {
        let idx = index(&[("usb:v1234p*", "m1", 3), ("usb:v12*", "m2", 2), ("usb:v1234p0001", "m3", 1)]);
        assert_eq!(values(&idx.lookup_wild("usb:v1234p0001").unwrap()), [(1, "m3"), (2, "m2"), (3, "m1")]);
        assert_eq!(values(&idx.lookup_wild("usb:v1299").unwrap()), [(2, "m2")]);
        let single = index(&[("pci:v*d*", "only", 0)]);
        assert_eq!(values(&single.lookup_wild("pci:v1d2").unwrap()), [(0, "only")]);
        assert!(single.lookup_wild("pci:x").unwrap().is_empty());
        assert!(single.lookup_wild("pci:").unwrap().is_empty());
    }

    /// kmod takes a value twice when the input itself has a wildcard on a wildcard arc.
    #[test]
    fn wildcard_input_can_take_twice() {
        let idx = index(&[("a", "plain", 0), ("a*b", "pat", 0)]);
        assert_eq!(values(&idx.lookup_wild("a*b").unwrap()), [(0, "pat"), (0, "pat")]);
        assert_eq!(values(&idx.lookup_wild("axb").unwrap()), [(0, "pat")]);
    }

    #[test]
    fn backslash_in_key_is_literal_before_the_wildcard() {
        // Before the first wildcard the stored key is compared byte for byte.
        let idx = index(&[("a\\b*", "v", 0)]);
        assert_eq!(values(&idx.lookup_wild("a\\bzz").unwrap()), [(0, "v")]);
        assert!(idx.lookup_wild("abzz").unwrap().is_empty());
        // After it, fnmatch rules apply.
        let idx = index(&[("x*\\?", "v", 0)]);
        assert_eq!(values(&idx.lookup_wild("xyz?").unwrap()), [(0, "v")]);
        assert!(idx.lookup_wild("xyzq").unwrap().is_empty());
    }

    #[test]
    fn open_file_and_header_errors() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("modules.alias.bin");
        std::fs::write(&path, build(&[("pci:v*", "m", 0), ("snd", "s", 0)])).unwrap();
        let idx = Index::open(&path).unwrap();
        assert_eq!(idx.lookup("snd").unwrap().as_deref(), Some("s"));
        assert_eq!(values(&idx.lookup_wild("pci:v1").unwrap()), [(0, "m")]);

        let empty = dir.path().join("empty.bin");
        std::fs::File::create(&empty).unwrap();
        assert!(matches!(Index::open(&empty), Err(IndexError::Empty)));

        let short = dir.path().join("short.bin");
        std::fs::write(&short, [0xB0, 0x07, 0xF4, 0x57, 0, 2]).unwrap();
        assert!(matches!(Index::open(&short), Err(IndexError::Corrupt(_))));

        let magic = dir.path().join("magic.bin");
        let mut f = std::fs::File::create(&magic).unwrap();
        f.write_all(&[0xB0, 0x07, 0xFA, 0x57, 0, 2, 0, 1, 0, 0, 0, 12]).unwrap();
        drop(f);
        let err = Index::open(&magic).unwrap_err();
        assert!(matches!(err, IndexError::BadMagic(0xB007_FA57)));
        assert_eq!(err.to_string(), "magic check fail: b007fa57 instead of b007f457");

        let err = Index::from_bytes(vec![0xB0, 0x07, 0xF4, 0x57, 0, 3, 0, 1, 0, 0, 0, 12]).unwrap_err();
        assert!(matches!(err, IndexError::BadVersion(3)));
        assert_eq!(err.to_string(), "major version check fail: 3 instead of 2");
        // Only the major version is checked.
        assert!(Index::from_bytes(vec![0xB0, 0x07, 0xF4, 0x57, 0, 2, 0, 9, 0, 0, 0, 12]).is_ok());

        assert!(matches!(Index::open(&dir.path().join("missing.bin")), Err(IndexError::Io(_))));
        assert!(matches!(Index::from_bytes(Vec::new()), Err(IndexError::Corrupt(_))));
    }

    /// Readers follow offsets: kmod <= 33's post-order layout reads the same.
    #[test]
    fn reads_post_order_layout() {
        #[rustfmt::skip]
        let bytes: Vec<u8> = vec![
            0xB0, 0x07, 0xF4, 0x57, 0x00, 0x02, 0x00, 0x01, 0x20, 0x00, 0x00, 0x2C,
            // 0x0C leaf "ab": prefix "b", value (0, "1")
            0x62, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x31, 0x00,
            // 0x18 leaf "c*": prefix "*", value (0, "2")
            0x2A, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x32, 0x00,
            // 0x24 unused padding
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
            // 0x2C root: children 'a'..'c'
            0x61, 0x63, 0xC0, 0x00, 0x00, 0x0C, 0x00, 0x00, 0x00, 0x00, 0xC0, 0x00, 0x00, 0x18,
        ];
        let idx = Index::from_bytes(bytes).unwrap();
        assert_eq!(idx.lookup("ab").unwrap().as_deref(), Some("1"));
        assert_eq!(values(&idx.lookup_wild("cde").unwrap()), [(0, "2")]);
        assert_eq!(
            idx.dump().unwrap(),
            [("ab".to_string(), "1".to_string()), ("c*".to_string(), "2".to_string())]
        );
    }

    fn header(root: u32) -> Vec<u8> {
        let mut v = vec![0xB0, 0x07, 0xF4, 0x57, 0, 2, 0, 1];
        v.extend(root.to_be_bytes());
        v
    }

    fn assert_corrupt<T: std::fmt::Debug>(r: Result<T, IndexError>, what: &str) {
        match r {
            Err(IndexError::Corrupt(msg)) => assert!(msg.contains(what), "{msg:?} lacks {what:?}"),
            other => panic!("expected Corrupt({what}), got {other:?}"),
        }
    }

    #[test]
    fn corrupt_fields_are_reported() {
        // Root beyond the end of the file.
        let idx = Index::from_bytes(header(0x2000_1234)).unwrap();
        assert_corrupt(idx.lookup("a"), "node offset 0x1234 beyond end of file (0xc)");
        assert_corrupt(idx.dump(), "beyond end of file");
        assert_corrupt(idx.lookup_wild("a"), "beyond end of file");
        // Root inside the header.
        assert_corrupt(Index::from_bytes(header(0x2000_0004)).unwrap().dump(), "header");
        // Prefix without NUL.
        let mut b = header(0x8000_000C);
        b.extend(b"abc");
        assert_corrupt(Index::from_bytes(b).unwrap().lookup("abc"), "NUL");
        // Child range past EOF, first > last, non-ASCII, table past EOF.
        let mut b = header(0x2000_000C);
        b.push(b'a');
        assert_corrupt(Index::from_bytes(b).unwrap().lookup("a"), "child range");
        let mut b = header(0x2000_000C);
        b.extend([b'b', b'a', 0, 0, 0, 0, 0, 0, 0, 0]);
        assert_corrupt(Index::from_bytes(b).unwrap().lookup("a"), "first 0x62 > last 0x61");
        let mut b = header(0x2000_000C);
        b.extend([b'a', 0x80]);
        b.extend([0; 4 * 32]);
        assert_corrupt(Index::from_bytes(b).unwrap().dump(), "7-bit");
        let mut b = header(0x2000_000C);
        b.extend([b'a', b'c', 0, 0, 0, 0]);
        assert_corrupt(Index::from_bytes(b).unwrap().dump(), "child table");
        // Value count too large, value string without NUL.
        let mut b = header(0x4000_000C);
        b.extend([0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0, b'x', 0]);
        assert_corrupt(Index::from_bytes(b).unwrap().lookup(""), "value count 4294967295");
        let mut b = header(0x4000_000C);
        b.extend([0, 0, 0, 2, 0, 0, 0, 0, b'x', 0, 0, 0, 0, 0, b'y', b'z']);
        assert_corrupt(Index::from_bytes(b).unwrap().lookup(""), "value 1");
        // A child pointing to a truncated node is found when it is visited.
        let mut b = header(0x2000_000C);
        b.extend([b'a', b'a', 0x80, 0, 0, 0x12]);
        b.extend(b"zz");
        let idx = Index::from_bytes(b).unwrap();
        assert_corrupt(idx.lookup("azz"), "NUL");
        assert_eq!(idx.lookup("b").unwrap(), None, "other branches still answer");
    }

    #[test]
    fn cycles_and_shared_subtrees_terminate() {
        // Root whose '*' and 'a' children point back at the root.
        let mut b = header(0x6000_000C);
        b.extend([b'*', b'a']);
        for ch in b'*'..=b'a' {
            let w: u32 = if ch == b'*' || ch == b'a' { 0x6000_000C } else { 0 };
            b.extend(w.to_be_bytes());
        }
        b.extend([0, 0, 0, 1, 0, 0, 0, 0, b'v', 0]);
        let idx = Index::from_bytes(b).unwrap();
        assert_corrupt(idx.dump(), "loops back");
        assert_corrupt(idx.lookup_wild("aaa"), "loops back");
        // Exact descents consume key bytes, so they end even in a cycle.
        assert_eq!(idx.lookup("a".repeat(1000)).unwrap().as_deref(), Some("v"));

        // A DAG bomb: 30 levels of nodes whose 128 slots all point at the next level.
        let levels = 30usize;
        let node_size = 2 + 4 * 128;
        let mut b = header(0x2000_000C);
        for level in 0..levels {
            b.extend([0, 127]);
            let next = 12 + (level + 1) * node_size;
            let w = if level + 1 < levels { 0x2000_0000 | next as u32 } else { 0 };
            for _ in 0..128 {
                b.extend(w.to_be_bytes());
            }
        }
        let idx = Index::from_bytes(b).unwrap();
        let start = Instant::now();
        assert_corrupt(idx.dump(), "loops back");
        assert_corrupt(idx.lookup_wild("*"), "loops back");
        assert!(start.elapsed() < Duration::from_secs(5));
    }

    /// A chain far deeper than any call stack could recurse.
    #[test]
    fn deep_chain_uses_no_recursion() {
        let depth = 200_000usize;
        let mut b = header(0x2000_000C);
        for level in 0..depth {
            let next = 12 + (level + 1) * 6;
            let w = if level + 1 < depth { 0x2000_0000 } else { 0x4000_0000 } | next as u32;
            b.extend([b'a', b'a']);
            b.extend(w.to_be_bytes());
        }
        b.extend([0, 0, 0, 1, 0, 0, 0, 9, b'v', 0]);
        let idx = Index::from_bytes(b).unwrap();
        let key = "a".repeat(depth);
        assert_eq!(idx.lookup(&key).unwrap().as_deref(), Some("v"));
        let dump = idx.dump().unwrap();
        assert_eq!(dump.len(), 1);
        assert_eq!(dump[0].0.len(), depth);
        assert_eq!(values(&idx.lookup_wild(&key).unwrap()), [(9, "v")]);
    }

    fn sample_index() -> Vec<u8> {
        build(&[
            ("pci:v00008086d*sv*sd*bc*sc*i*", "e1000e", 3),
            ("pci:v*d*sv*sd*bc0Csc03i30*", "xhci_pci", 1),
            ("usb:v1D6Bp0002d*", "hub", 2),
            ("snd_hda_intel", "kernel/sound/snd-hda-intel.ko: kernel/sound/snd.ko", 0),
            ("snd", "kernel/sound/snd.ko", 4),
            ("acpi*:PNP0A0[38]:*", "pci_root", 5),
            ("x", "", 0),
        ])
    }

    fn exercise(idx: &Index) {
        let _ = idx.lookup("snd");
        let _ = idx.lookup("snd_hda_intel");
        let _ = idx.lookup("pci:v*");
        let _ = idx.lookup("");
        let _ = idx.lookup_wild("pci:v00008086d00001234sv0sd0bc0Csc03i30");
        let _ = idx.lookup_wild("acpi:PNP0A08:");
        let _ = idx.lookup_wild("*");
        let _ = idx.lookup_wild("");
        let _ = idx.dump();
    }

    #[test]
    fn every_truncation_is_handled() {
        let full = sample_index();
        for len in 0..=full.len() {
            match Index::from_bytes(full[..len].to_vec()) {
                Ok(idx) => exercise(&idx),
                Err(e) => assert!(len < HEADER_LEN, "len {len}: {e}"),
            }
        }
        // The whole file answers correctly.
        let idx = Index::from_bytes(full).unwrap();
        assert_eq!(idx.lookup("snd").unwrap().as_deref(), Some("kernel/sound/snd.ko"));
        assert_eq!(
            values(&idx.lookup_wild("pci:v00008086d00001234sv0sd0bc0Csc03i30").unwrap()),
            [(1, "xhci_pci"), (3, "e1000e")]
        );
        assert_eq!(values(&idx.lookup_wild("acpi:PNP0A08:").unwrap()), [(5, "pci_root")]);
    }

    // ---- models for the property tests ----

    /// Stored order per key, built with depmod's rule independently of the trie.
    fn model(entries: &[(String, String, u32)]) -> BTreeMap<Vec<u8>, Vec<(u32, String)>> {
        let mut m: BTreeMap<Vec<u8>, Vec<(u32, String)>> = BTreeMap::new();
        for (k, v, p) in entries {
            let list = m.entry(k.clone().into_bytes()).or_default();
            let at = list.iter().position(|(q, _)| q >= p).unwrap_or(list.len());
            list.insert(at, (*p, v.clone()));
        }
        m
    }

    /// kmod's wildcard result for an input without wildcard chars, computed without a
    /// trie: a stored key K matches if it equals the input, or if it has no wildcard
    /// before position w (its first `*`, `?` or `[`), agrees with the input on `..w`
    /// and fnmatch(K[w..], input[w..]). Keys are taken by ascending w (the exact key
    /// last); keys with the same w in trie post-order (a key after its extensions,
    /// otherwise ascending bytes). The result is then sorted by priority with ties in
    /// reverse order of taking.
    fn wild_model(m: &BTreeMap<Vec<u8>, Vec<(u32, String)>>, input: &[u8]) -> Vec<(u32, String)> {
        let mut hits: Vec<(usize, &Vec<u8>)> = Vec::new();
        for k in m.keys() {
            match k.iter().position(|&b| matches!(b, b'*' | b'?' | b'[')) {
                None => {
                    if k.as_slice() == input {
                        hits.push((usize::MAX, k));
                    }
                }
                Some(w) => {
                    if input.len() >= w
                        && k[..w] == input[..w]
                        && crate::fnmatch::fnmatch(&k[w..], &input[w..])
                    {
                        hits.push((w, k));
                    }
                }
            }
        }
        hits.sort_by(|(wa, a), (wb, b)| {
            wa.cmp(wb).then_with(|| {
                let common = a.len().min(b.len());
                a[..common].cmp(&b[..common]).then(b.len().cmp(&a.len()))
            })
        });
        let mut taken: Vec<(u32, String)> = hits.iter().flat_map(|(_, k)| m[*k].iter().cloned()).collect();
        taken.reverse();
        taken.sort_by_key(|(p, _)| *p);
        taken
    }

    fn entries_strategy() -> impl Strategy<Value = Vec<(String, String, u32)>> {
        let key = prop::collection::vec(prop::sample::select(b"abc*?[]\\-".as_slice()), 0..7)
            .prop_map(|v| String::from_utf8(v).unwrap());
        let value = "[a-z0-9]{0,3}";
        prop::collection::vec((key, value, 0u32..4), 0..24)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn round_trip_against_model(
            entries in entries_strategy(),
            probes in prop::collection::vec("[abc*?\\[\\]\\\\-]{0,7}", 0..8),
        ) {
            let mut b = IndexBuilder::new();
            for (k, v, p) in &entries {
                b.insert(k, v, *p);
            }
            let bytes = b.to_bytes();
            let idx = Index::from_bytes(bytes.clone()).unwrap();
            let m = model(&entries);

            let expected_dump: Vec<(String, String)> = m
                .iter()
                .flat_map(|(k, vs)| {
                    vs.iter().map(move |(_, v)| (String::from_utf8(k.clone()).unwrap(), v.clone()))
                })
                .collect();
            prop_assert_eq!(idx.dump().unwrap(), expected_dump);

            for (k, vs) in &m {
                let k = std::str::from_utf8(k).unwrap();
                prop_assert_eq!(idx.lookup(k).unwrap(), Some(vs[0].1.clone()));
            }
            for p in &probes {
                let expected = m.get(p.as_bytes()).map(|vs| vs[0].1.clone());
                prop_assert_eq!(idx.lookup(p).unwrap(), expected);
            }
            // Building is deterministic.
            let mut again = IndexBuilder::new();
            for (k, v, p) in &entries {
                again.insert(k, v, *p);
            }
            prop_assert_eq!(again.to_bytes(), bytes);
        }

        #[test]
        fn wildcard_lookup_against_model(
            entries in entries_strategy(),
            inputs in prop::collection::vec("[abc\\]\\\\-]{0,7}", 1..10),
        ) {
            let mut b = IndexBuilder::new();
            for (k, v, p) in &entries {
                b.insert(k, v, *p);
            }
            let idx = Index::from_bytes(b.to_bytes()).unwrap();
            let m = model(&entries);
            for input in &inputs {
                let got: Vec<(u32, String)> = idx
                    .lookup_wild(input)
                    .unwrap()
                    .into_iter()
                    .map(|v| (v.priority, v.value))
                    .collect();
                prop_assert_eq!(got, wild_model(&m, input.as_bytes()), "input {:?}", input);
            }
        }

        #[test]
        fn byte_flips_never_panic_or_hang(
            flips in prop::collection::vec((any::<prop::sample::Index>(), 1u8..=255), 1..6),
        ) {
            let mut bytes = sample_index();
            for (at, mask) in &flips {
                let i = at.index(bytes.len());
                bytes[i] ^= mask;
            }
            if let Ok(idx) = Index::from_bytes(bytes) {
                exercise(&idx);
            }
        }

        #[test]
        fn random_garbage_never_panics(
            body in prop::collection::vec(any::<u8>(), 0..300),
            root in any::<u32>(),
            key in "[a-c*?]{0,6}",
        ) {
            let mut bytes = header(root);
            bytes.extend(body);
            let idx = Index::from_bytes(bytes).unwrap();
            let _ = idx.lookup(&key);
            let _ = idx.lookup_wild(&key);
            let _ = idx.dump();
        }
    }
}
