//! A lazy, bounds-checked view of a module's ELF image.
//!
//! Mirrors libkmod's `libkmod-elf.c`: ELF32 and ELF64 in either byte order whatever the
//! host, validated the way kmod validates them so that the same broken file fails with
//! the same errno (ENOEXEC when it is not ELF at all, EINVAL when it is ELF but broken).
//! Only the pieces asked for are read: the header, the section header table, then the
//! named section. goblin's lazy parsers do the decoding; no relocation is ever parsed.
//!
//! The image is either bytes in memory (a mapped or decompressed file) or an open file
//! read with `pread` one section at a time, on first use ([`Source::File`]): depmod reads
//! thousands of modules on several threads, and mapping each file costs more (page
//! faults, and TLB shootdowns on unmap) than reading the few sections it needs.
//!
//! Sections a module reader needs: `.modinfo` (`key=value\0` strings), `__versions`
//! (64-byte entries: a CRC of the ELF word size, then the NUL-padded symbol name),
//! `__ksymtab_strings`, `.symtab` + `.strtab`, `.note.gnu.build-id`,
//! `.gnu.linkonce.this_module` (the `struct module` holding the module's name).

use std::cell::OnceCell;
use std::rc::Rc;

use goblin::container::{Container, Ctx, Endian};
use goblin::elf::section_header::{SectionHeader, SHN_ABS, SHN_UNDEF};

/// Why an image is not a usable ELF file, with the errno kmod reports for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ElfError {
    /// EINVAL for a malformed image, ENOEXEC for one that is not ELF at all.
    pub errno: crate::Errno,
    /// What is wrong, in words.
    pub what: &'static str,
}

fn invalid(what: &'static str) -> ElfError {
    ElfError { errno: crate::Errno::EINVAL, what }
}

/// Where the image's bytes are.
#[derive(Clone, Copy)]
#[non_exhaustive]
pub enum Source<'a> {
    /// The whole image in memory.
    Bytes(&'a [u8]),
    /// An uncompressed file, read on demand; `head` is its first bytes, already read.
    File {
        /// The open file.
        file: &'a std::fs::File,
        /// Its length in bytes.
        len: u64,
        /// Its first bytes.
        head: &'a [u8],
    },
}

impl<'a> Source<'a> {
    fn len(&self) -> u64 {
        match self {
            Source::Bytes(b) => b.len() as u64,
            Source::File { len, .. } => *len,
        }
    }

    /// `len` bytes at `off`, which the caller has checked lie inside the image.
    fn read(&self, off: u64, len: usize) -> Option<std::borrow::Cow<'a, [u8]>> {
        match self {
            Source::Bytes(b) => {
                b.get(off as usize..(off as usize).checked_add(len)?).map(std::borrow::Cow::Borrowed)
            }
            Source::File { head, .. } if off.checked_add(len as u64)? <= head.len() as u64 => {
                Some(std::borrow::Cow::Borrowed(&head[off as usize..off as usize + len]))
            }
            Source::File { file, .. } => pread_exact(file, off, len).map(std::borrow::Cow::Owned),
        }
    }
}

/// A section's bytes read from a file: a range of a buffer that neighbouring sections,
/// read by the same pread, share.
struct Chunk {
    buf: Rc<Vec<u8>>,
    start: usize,
    len: usize,
}

impl Chunk {
    fn whole(buf: Vec<u8>) -> Chunk {
        let len = buf.len();
        Chunk { buf: Rc::new(buf), start: 0, len }
    }

    fn bytes(&self) -> &[u8] {
        &self.buf[self.start..self.start + self.len]
    }
}

/// `len` bytes at `off` of a file, without zeroing the buffer first.
///
/// The one unsafe read in rkmod, kept because it was measured (depmod -n on the 6.1
/// tree, callgrind, one thread): the safe `vec![0; len]` + `read_exact_at` costs 6.4 %
/// more instructions (780M against 733M; +7 % user time), and the safe way to fill
/// spare capacity, `seek` + `take(len).read_to_end`, adds an lseek per read (36.5k
/// system calls become 51.3k). `FileExt::read_buf_at` would do it safely once stable.
fn pread_exact(file: &std::fs::File, off: u64, len: usize) -> Option<Vec<u8>> {
    use std::os::fd::AsRawFd;
    let mut buf: Vec<u8> = Vec::with_capacity(len);
    let mut done = 0;
    while done < len {
        let at = i64::try_from(off.checked_add(done as u64)?).ok()?;
        // SAFETY: the pointer and length describe the vector's unused capacity, which
        // pread only writes; set_len below covers only bytes it wrote.
        let n = unsafe {
            libc::pread(file.as_raw_fd(), buf.as_mut_ptr().add(done).cast(), len - done, at as libc::off_t)
        };
        match n {
            n if n > 0 => {
                done += n as usize;
                // SAFETY: the first `done` bytes were written by pread.
                unsafe { buf.set_len(done) };
            }
            0 => return None,
            _ if std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted => {}
            _ => return None,
        }
    }
    Some(buf)
}

/// A validated ELF image with its section table read.
pub struct Elf<'a> {
    source: Source<'a>,
    ctx: Ctx,
    sections: Vec<SectionHeader>,
    /// Section contents read so far (file sources only).
    cache: Vec<OnceCell<Option<Chunk>>>,
    names_idx: usize,
    shoff: u64,
    /// `e_machine`: the target architecture (`EM_X86_64`, `EM_S390`, ...).
    pub machine: u16,
}

/// A symbol table entry whose name is not measured yet.
#[derive(Debug, Clone, Copy)]
pub struct RawSymbol<'a> {
    /// `.strtab` from the name's first byte on.
    pub name_tail: &'a [u8],
    /// `st_value`.
    pub value: u64,
    /// `st_shndx`: the section it is defined in (0: undefined).
    pub shndx: usize,
    /// `STB_*` (`st_info >> 4`).
    pub bind: u8,
    /// `STT_*` (`st_info & 0xf`).
    pub kind: u8,
}

impl<'a> RawSymbol<'a> {
    /// The name (up to its NUL, or the end of the table).
    pub fn name(&self) -> &'a [u8] {
        cstr_at(self.name_tail, 0).unwrap_or_default()
    }
}

const EI_NIDENT: usize = 16;
/// How far before the section table a file read reaches to take the name table along.
const NAMES_WINDOW: u64 = 4096;
/// Sections closer than this are read with one pread by [`Elf::prefetch`].
const PREFETCH_GAP: u64 = 8192;
const EHDR32: usize = 52;
const EHDR64: usize = 64;

impl<'a> Elf<'a> {
    /// Validate `data` as kmod's `kmod_elf_new` does and read the section table.
    pub fn parse(data: &'a [u8]) -> Result<Elf<'a>, ElfError> {
        Elf::from_source(Source::Bytes(data))
    }

    /// Validate an image from any source and read its section table.
    pub fn from_source(source: Source<'a>) -> Result<Elf<'a>, ElfError> {
        let head_len = source.len().min(EHDR64 as u64 + 1) as usize;
        let head = source.read(0, head_len).ok_or(invalid("unreadable ELF header"))?;
        let data: &[u8] = &head;
        let total = source.len();
        if data.len() <= EI_NIDENT || &data[..4] != b"\x7FELF" {
            return Err(ElfError { errno: crate::Errno::ENOEXEC, what: "not an ELF file" });
        }
        let (container, hdr_size, shdr_size) = match data[4] {
            1 => (Container::Little, EHDR32, 40usize),
            2 => (Container::Big, EHDR64, 64usize),
            _ => return Err(invalid("unknown ELF class")),
        };
        if total <= hdr_size as u64 {
            return Err(invalid("file too short for its ELF header"));
        }
        let endian = match data[5] {
            1 => Endian::Little,
            2 => Endian::Big,
            _ => return Err(invalid("unknown ELF byte order")),
        };
        let ctx = Ctx::new(container, endian);
        let header = goblin::elf::Elf::parse_header(data).map_err(|_| invalid("bad ELF header"))?;
        if header.e_shentsize as usize != shdr_size {
            return Err(invalid("unexpected section header entry size"));
        }
        let count = header.e_shnum as usize;
        let table_end = (shdr_size as u64 * count as u64).checked_add(header.e_shoff);
        if table_end.is_none_or(|end| end > total) {
            return Err(invalid("file too short to hold its section headers"));
        }
        // goblin takes table offset 0 to mean "no section headers", so the table is
        // read with the byte before it and parsed from offset 1.
        let Some(before) = header.e_shoff.checked_sub(1) else {
            return Err(invalid("no section header table"));
        };
        // From a file, the section name table is read in the same pread when it lies just
        // before the table (where linkers put it).
        let lead = match source {
            Source::File { .. } => before.min(NAMES_WINDOW),
            Source::Bytes(_) => 0,
        };
        let window = source
            .read(before - lead, count * shdr_size + 1 + lead as usize)
            .ok_or(invalid("unreadable section headers"))?;
        let sections = SectionHeader::parse(&window[lead as usize..], 1, count, ctx)
            .map_err(|_| invalid("unreadable section headers"))?;
        let cache = match source {
            Source::Bytes(_) => Vec::new(),
            Source::File { .. } => (0..count).map(|_| OnceCell::new()).collect(),
        };
        let strndx = header.e_shstrndx as usize;
        let elf = Elf {
            source,
            ctx,
            sections,
            cache,
            names_idx: strndx,
            shoff: header.e_shoff,
            machine: header.e_machine,
        };
        if strndx == SHN_UNDEF as usize || strndx >= count {
            return Err(invalid("no section name table"));
        }
        if lead > 0 && elf.section_in_bounds(strndx) {
            let sh = &elf.sections[strndx];
            let start = before - lead;
            if sh.sh_offset >= start && sh.sh_offset + sh.sh_size <= before + 1 {
                let at = (sh.sh_offset - start) as usize;
                let _ =
                    elf.cache[strndx].set(Some(Chunk::whole(window[at..at + sh.sh_size as usize].to_vec())));
            }
        }
        let names = elf.section_data(strndx).ok_or(invalid("section name table out of bounds"))?;
        if names.last() != Some(&0) {
            return Err(invalid("section name table does not end with NUL"));
        }
        Ok(elf)
    }

    /// Read the named sections of a file source with as few preads as possible
    /// (neighbours closer than 8 KiB share one), so later accesses find them in the
    /// cache. Nothing to do for an image in memory.
    pub fn prefetch(&self, names: &[&str]) {
        let Source::File { .. } = self.source else { return };
        let mut want: Vec<(u64, u64, usize)> = names
            .iter()
            .filter_map(|n| self.find_section(n))
            .filter(|&i| self.cache[i].get().is_none())
            .map(|i| (self.sections[i].sh_offset, self.sections[i].sh_size, i))
            .filter(|&(_, size, _)| size > 0)
            .collect();
        want.sort_unstable();
        let mut group: Vec<(u64, u64, usize)> = Vec::new();
        let flush = |group: &mut Vec<(u64, u64, usize)>| {
            let (Some(first), Some(end)) = (group.first(), group.iter().map(|g| g.0 + g.1).max()) else {
                return;
            };
            let start = first.0;
            if let Some(buf) = usize::try_from(end - start).ok().and_then(|len| self.source.read(start, len))
            {
                let buf = Rc::new(buf.into_owned());
                for &(off, size, i) in group.iter() {
                    let at = (off - start) as usize;
                    let _ =
                        self.cache[i].set(Some(Chunk { buf: buf.clone(), start: at, len: size as usize }));
                }
            }
            group.clear();
        };
        for w in want {
            let end = group.iter().map(|g| g.0 + g.1).max();
            if end.is_some_and(|e| w.0 > e + PREFETCH_GAP) {
                flush(&mut group);
            }
            group.push(w);
        }
        flush(&mut group);
    }

    /// True for ELFCLASS32 images.
    pub fn is_32bit(&self) -> bool {
        !self.ctx.container.is_big()
    }

    /// True for big-endian images.
    pub fn is_big_endian(&self) -> bool {
        !self.ctx.le.is_little()
    }

    /// Whether section `idx` exists and its range lies inside the file.
    fn section_in_bounds(&self, idx: usize) -> bool {
        self.sections
            .get(idx)
            .and_then(|sh| sh.sh_offset.checked_add(sh.sh_size))
            .is_some_and(|end| end <= self.source.len())
    }

    /// The bytes of section `idx`, or None when its range lies outside the file.
    fn section_data(&self, idx: usize) -> Option<&[u8]> {
        if !self.section_in_bounds(idx) {
            return None;
        }
        let sh = &self.sections[idx];
        match self.source {
            Source::Bytes(b) => b.get(sh.sh_offset as usize..(sh.sh_offset + sh.sh_size) as usize),
            Source::File { .. } => self.cache[idx]
                .get_or_init(|| {
                    let len = usize::try_from(sh.sh_size).ok()?;
                    self.source.read(sh.sh_offset, len).map(|c| Chunk::whole(c.into_owned()))
                })
                .as_ref()
                .map(Chunk::bytes),
        }
    }

    fn names(&self) -> &[u8] {
        self.section_data(self.names_idx).unwrap_or_default()
    }

    /// Index of the first section (from 1) called `name` whose range is valid.
    pub fn find_section(&self, name: &str) -> Option<usize> {
        let names = self.names();
        let want = name.as_bytes();
        // The name and its NUL, compared in place (no strlen of every section name).
        let is = |off: usize| {
            names.get(off..off.saturating_add(want.len())) == Some(want)
                && names.get(off + want.len()) == Some(&0)
        };
        (1..self.sections.len()).find(|&i| is(self.sections[i].sh_name) && self.section_in_bounds(i))
    }

    /// The contents of the section called `name` (None: no such valid section).
    pub fn section(&self, name: &str) -> Option<&[u8]> {
        self.find_section(name).and_then(|i| self.section_data(i))
    }

    /// The `sh_flags` of section `idx`.
    pub fn section_flags(&self, idx: usize) -> Option<u64> {
        self.sections.get(idx).map(|sh| sh.sh_flags)
    }

    /// File offset and size of section `idx`, when its range lies inside the file.
    pub fn section_range(&self, idx: usize) -> Option<(usize, usize)> {
        if !self.section_in_bounds(idx) {
            return None;
        }
        let sh = &self.sections[idx];
        Some((usize::try_from(sh.sh_offset).ok()?, usize::try_from(sh.sh_size).ok()?))
    }

    /// Offset of the `sh_flags` field of section `idx` in the image (for `--force` stripping).
    pub fn section_flags_offset(&self, idx: usize) -> Option<(usize, usize)> {
        let (entry, flags_len) = if self.is_32bit() { (40u64, 4) } else { (64u64, 8) };
        if idx >= self.sections.len() {
            return None;
        }
        usize::try_from(self.shoff + idx as u64 * entry + 8).ok().map(|off| (off, flags_len))
    }

    /// The NUL-separated strings of a section, as kmod splits them: leading NULs
    /// skipped, runs of NULs separate strings, a last string may lack its NUL.
    pub fn strings(&self, name: &str) -> Option<Vec<&[u8]>> {
        Some(split_strings(self.section(name)?))
    }

    /// The `.symtab` symbols, names in `.strtab` (both found by name, as kmod does):
    /// the entries (without the null entry 0) decoded in place; a name is
    /// measured only when asked for ([`RawSymbol::name`]). Entries whose name offset lies
    /// outside `.strtab` are left out.
    pub fn raw_symbols(&self) -> impl Iterator<Item = RawSymbol<'_>> + '_ {
        let found =
            self.find_section(".symtab").and_then(|i| self.section_data(i)).zip(self.section(".strtab"));
        let (table, strtab) = found.unwrap_or_default();
        let wide = !self.is_32bit();
        let entsize = if wide { 24 } else { 16 };
        table.chunks_exact(entsize).skip(1).filter_map(move |e| {
            let word = |at: usize, n: usize| self.uint(&e[at..at + n]);
            let name_off = word(0, 4) as usize;
            let (info, shndx, value) =
                if wide { (e[4], word(6, 2), word(8, 8)) } else { (e[12], word(14, 2), word(4, 4)) };
            Some(RawSymbol {
                name_tail: strtab.get(name_off..)?,
                value,
                shndx: shndx as usize,
                bind: info >> 4,
                kind: info & 0xf,
            })
        })
    }

    /// Read a u32 or u64 (by `width`) at `offset` in section `idx`, in the image's byte order.
    pub fn read_word(&self, idx: usize, offset: u64, width: usize) -> Option<u64> {
        let data = self.section_data(idx)?;
        let start = usize::try_from(offset).ok()?;
        let bytes = data.get(start..start.checked_add(width)?)?;
        Some(self.uint(bytes))
    }

    /// Decode an unsigned integer of 4 or 8 bytes in the image's byte order.
    pub fn uint(&self, bytes: &[u8]) -> u64 {
        let mut v = 0u64;
        if self.is_big_endian() {
            for &b in bytes {
                v = (v << 8) | b as u64;
            }
        } else {
            for &b in bytes.iter().rev() {
                v = (v << 8) | b as u64;
            }
        }
        v
    }

    /// Whether a section index is special (no data of its own).
    pub fn is_special_index(shndx: usize) -> bool {
        shndx == SHN_UNDEF as usize || shndx == SHN_ABS as usize
    }
}

/// The NUL-terminated string starting at `off` (None if `off` is past the table).
pub fn cstr_at(table: &[u8], off: usize) -> Option<&[u8]> {
    let rest = table.get(off..)?;
    // CStr's search is the optimised memchr.
    Some(match std::ffi::CStr::from_bytes_until_nul(rest) {
        Ok(c) => c.to_bytes(),
        Err(_) => rest,
    })
}

/// Split a string section the way `kmod_elf_get_strings` does.
pub fn split_strings(data: &[u8]) -> Vec<&[u8]> {
    data.split(|&b| b == 0).filter(|s| !s.is_empty()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_like_kmod() {
        assert_eq!(split_strings(b"\0\0a=1\0\0b=2\0c"), vec![&b"a=1"[..], b"b=2", b"c"]);
        assert!(split_strings(b"\0\0\0").is_empty());
    }

    #[test]
    fn rejects_non_elf_and_short_files() {
        assert_eq!(Elf::parse(b"hello world, not elf").err().unwrap().errno, crate::Errno::ENOEXEC);
        assert_eq!(Elf::parse(b"\x7FELF\x02\x01\x01").err().unwrap().errno, crate::Errno::ENOEXEC);
        let mut h = b"\x7FELF\x02\x01\x01".to_vec();
        h.resize(40, 0);
        assert_eq!(Elf::parse(&h).err().unwrap().errno, crate::Errno::EINVAL);
        let mut bad_class = b"\x7FELF\x07\x01\x01".to_vec();
        bad_class.resize(100, 0);
        assert_eq!(Elf::parse(&bad_class).err().unwrap().errno, crate::Errno::EINVAL);
    }
}

#[cfg(test)]
mod source_tests {
    use super::*;

    /// Reading sections on demand from a file gives what the in-memory view gives.
    #[test]
    fn file_source_matches_bytes() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/ko/6.1.0-56-amd64/hello.ko");
        let bytes = std::fs::read(path).unwrap();
        let file = std::fs::File::open(path).unwrap();
        let mem = Elf::parse(&bytes).unwrap();
        let lazy = Elf::from_source(Source::File { file: &file, len: bytes.len() as u64, head: &[] })
            .unwrap_or_else(|e| panic!("{e:?}"));
        for name in [".modinfo", "__versions", ".symtab", ".strtab", "__ksymtab_strings"] {
            assert_eq!(mem.section(name), lazy.section(name), "{name}");
        }
        let syms = |e: &Elf<'_>| -> Vec<(Vec<u8>, u64, usize, u8, u8)> {
            e.raw_symbols().map(|r| (r.name().to_vec(), r.value, r.shndx, r.bind, r.kind)).collect()
        };
        assert!(!syms(&mem).is_empty());
        assert_eq!(syms(&mem), syms(&lazy));
    }
}
