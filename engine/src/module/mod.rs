//! Kernel module files and what can be read from them.
//!
//! [`ModuleImage::open`] reads a `.ko`, `.ko.xz`, `.ko.zst` or `.ko.gz` (by magic
//! bytes, see [`mod@file`]); [`ModuleImage::elf`] validates its ELF like libkmod; the
//! readers below return what `modinfo`, `modprobe --dump-modversions` and depmod need.

pub mod budget;
pub mod elf;
pub mod file;
pub mod modinfo;
pub mod signature;
pub mod strip;

use std::path::Path;

use crate::error::{Error, Result};
pub use elf::Elf;
pub use file::{Compression, ModuleFile};
pub use modinfo::Field;
pub use signature::Signature;

/// An opened module file (decompressed image).
pub struct ModuleImage {
    /// The file: its decompressed image and how it was stored.
    pub file: ModuleFile,
    path: std::path::PathBuf,
}

/// A `__versions` entry or an exported/needed symbol with its CRC.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct SymbolCrc {
    /// The symbol name.
    pub name: String,
    /// Its CRC (0 when the module records none).
    pub crc: u64,
}

/// Everything `modinfo` prints about a module file.
#[derive(Debug, Clone)]
pub struct Info {
    /// `.modinfo` fields in section order.
    pub fields: Vec<Field>,
    /// The appended signature, if any (never read from an image opened with
    /// [`ModuleImage::open_unmapped`]).
    pub signature: Option<Signature>,
    /// The GNU build-id note's descriptor, if present.
    pub build_id: Option<Vec<u8>>,
}

impl ModuleImage {
    /// Open (and decompress) the module at `path`.
    pub fn open(path: &Path) -> Result<ModuleImage> {
        Ok(ModuleImage { file: ModuleFile::open(path)?, path: path.to_path_buf() })
    }

    /// Open for reading a few sections only (no mapping of raw files); used by depmod.
    pub fn open_unmapped(path: &Path) -> Result<ModuleImage> {
        ModuleImage::open_unmapped_sized(path, None)
    }

    /// [`ModuleImage::open_unmapped`] of a file already known to be a regular file of
    /// `size` bytes (depmod's scan stat'ed it): no second stat.
    pub fn open_unmapped_sized(path: &Path, size: Option<u64>) -> Result<ModuleImage> {
        Ok(ModuleImage { file: ModuleFile::open_unmapped_sized(path, size)?, path: path.to_path_buf() })
    }

    /// The decompressed bytes, when the whole image is in memory.
    pub fn bytes(&self) -> Option<&[u8]> {
        self.file.image.bytes()
    }

    /// Validate and view the image as ELF.
    pub fn elf(&self) -> Result<Elf<'_>> {
        Elf::from_source(self.file.image.source()).map_err(|e| Error::bad_module(&self.path, e.errno, e.what))
    }

    /// The `.modinfo` fields alone (None: no `.modinfo` section).
    pub fn fields_in(elf: &Elf<'_>) -> Option<Vec<Field>> {
        elf.strings(".modinfo").map(modinfo::fields_from_strings)
    }

    /// The `.modinfo` fields, signature and build-id (`kmod_module_get_info`).
    ///
    /// A module without a `.modinfo` section fails with ENOENT, as kmod 30's libkmod
    /// does (kmod 31 changed it to ENODATA).
    pub fn info(&self) -> Result<Info> {
        let elf = self.elf()?;
        let strings = elf
            .strings(".modinfo")
            .ok_or_else(|| Error::bad_module(&self.path, crate::Errno::ENOENT, "no .modinfo section"))?;
        Ok(Info {
            fields: modinfo::fields_from_strings(strings),
            signature: self.bytes().and_then(signature::parse),
            build_id: build_id(&elf),
        })
    }

    /// The `__versions` table: the CRCs this module was built against.
    pub fn modversions(&self) -> Result<Vec<SymbolCrc>> {
        versions_in(&self.elf()?).map_err(|what| Error::bad_module(&self.path, crate::Errno::EINVAL, what))
    }

    /// Exported symbols: `__crc_<sym>` symbols with their CRC, else the names in
    /// `__ksymtab_strings` with CRC 0 (libkmod's `kmod_elf_get_symbols`).
    pub fn exports(&self) -> Result<Vec<SymbolCrc>> {
        let list = symbol_summary(&self.elf()?).exports;
        Ok(list.iter().map(|(n, crc, _)| SymbolCrc { name: n.to_string(), crc }).collect())
    }

    /// [`ModuleImage::modversions`] as `modprobe --show-modversions` reads it (libkmod's
    /// `kmod_module_get_versions`): a module without a `__versions` section fails with
    /// ENOENT (kmod 31 and later say ENODATA) instead of giving an empty table.
    pub fn modversions_for_show(&self) -> Result<Vec<SymbolCrc>> {
        let elf = self.elf()?;
        if elf.find_section("__versions").is_none() {
            return Err(Error::bad_module(&self.path, crate::Errno::ENOENT, "no __versions section"));
        }
        versions_in(&elf).map_err(|what| Error::bad_module(&self.path, crate::Errno::EINVAL, what))
    }

    /// [`ModuleImage::exports`] as `modprobe --show-exports` reads it (libkmod's
    /// `kmod_module_get_symbols`): a module with no `__crc_` symbol and no
    /// `__ksymtab_strings` section fails with ENOENT (kmod 31 and later say ENODATA)
    /// instead of giving an empty list.
    pub fn exports_for_show(&self) -> Result<Vec<SymbolCrc>> {
        let elf = self.elf()?;
        let exports = symbol_summary(&elf).exports;
        if exports.is_empty() && elf.find_section("__ksymtab_strings").is_none() {
            return Err(Error::bad_module(&self.path, crate::Errno::ENOENT, "no exported symbols"));
        }
        Ok(exports.iter().map(|(n, crc, _)| SymbolCrc { name: n.to_string(), crc }).collect())
    }

    /// Symbols this module needs from others: undefined `.symtab` symbols with the CRC
    /// recorded in `__versions` and whether they are weak, plus `__versions` entries no
    /// symbol names.
    pub fn undefined_symbols(&self) -> Result<Vec<(SymbolCrc, bool)>> {
        let list = symbol_summary(&self.elf()?).needs;
        Ok(list.iter().map(|(n, crc, weak)| (SymbolCrc { name: n.to_string(), crc }, weak)).collect())
    }

    /// The module name stored in `.gnu.linkonce.this_module` (`struct module.name`).
    pub fn this_module_name(&self) -> Result<Option<String>> {
        Ok(this_module_name_in(&self.elf()?))
    }
}

/// The module name stored in `.gnu.linkonce.this_module` of an ELF image (`struct
/// module.name`, at offset 24 on 64-bit and 12 on 32-bit).
pub fn this_module_name_in(elf: &Elf<'_>) -> Option<String> {
    let offset = if elf.is_32bit() { 12 } else { 24 };
    let s = elf.section(".gnu.linkonce.this_module")?.get(offset..)?;
    elf::cstr_at(s, 0).map(|n| String::from_utf8_lossy(n).into_owned())
}

/// A compact list of symbols: all names in one string, plus (end, CRC, weak) per
/// symbol. depmod holds hundreds of thousands of these; one allocation per module
/// instead of one per symbol keeps its memory and time down.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SymList {
    names: String,
    items: Vec<(u32, u64, bool)>,
}

impl SymList {
    /// Append a symbol.
    pub fn push(&mut self, name: &str, crc: u64, weak: bool) {
        self.names.push_str(name);
        self.items.push((self.names.len() as u32, crc, weak));
    }

    /// `(name, crc, weak)` in insertion order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&str, u64, bool)> + '_ {
        (0..self.items.len()).map(|i| {
            let start = if i == 0 { 0 } else { self.items[i - 1].0 as usize };
            let (end, crc, weak) = self.items[i];
            (&self.names[start..end as usize], crc, weak)
        })
    }

    /// The number of symbols.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

/// A module's exports and needs, from one pass over `.symtab`.
#[derive(Debug, Clone, Default)]
pub struct SymbolSummary {
    /// Exported symbols with their CRCs (the flag is always false).
    pub exports: SymList,
    /// Needed symbols (the flag: weak).
    pub needs: SymList,
}

/// The `__versions` entries of an ELF image (64 bytes each: CRC of the ELF word size,
/// then a NUL-padded name; a leading `.` is dropped, as on PPC64), names borrowed from
/// the section. No section is an empty table.
fn raw_versions<'e>(elf: &'e Elf<'_>) -> std::result::Result<Vec<(&'e [u8], u64)>, &'static str> {
    let Some(data) = elf.section("__versions") else { return Ok(Vec::new()) };
    if data.len() % 64 != 0 {
        return Err("__versions size is not a multiple of 64");
    }
    let crc_len = if elf.is_32bit() { 4 } else { 8 };
    Ok(data
        .chunks_exact(64)
        .map(|e| {
            let name = elf::cstr_at(&e[crc_len..], 0).unwrap_or_default();
            (name.strip_prefix(b".").unwrap_or(name), elf.uint(&e[..crc_len]))
        })
        .collect())
}

/// The `__versions` entries of an ELF image, as symbols with their CRCs.
pub fn versions_in(elf: &Elf<'_>) -> std::result::Result<Vec<SymbolCrc>, &'static str> {
    Ok(raw_versions(elf)?
        .into_iter()
        .map(|(name, crc)| SymbolCrc { name: String::from_utf8_lossy(name).into_owned(), crc })
        .collect())
}

/// Text of a symbol name: borrowed when it is UTF-8 (always, in practice), else lossy.
fn text(b: &[u8]) -> std::borrow::Cow<'_, str> {
    match std::str::from_utf8(b) {
        Ok(s) => std::borrow::Cow::Borrowed(s),
        Err(_) => String::from_utf8_lossy(b),
    }
}

/// Exports and needs in one walk over the symbol table (what depmod reads).
pub fn symbol_summary(elf: &Elf<'_>) -> SymbolSummary {
    // A malformed __versions table contributes nothing, as before any symbol is read.
    let raw_versions = raw_versions(elf).unwrap_or_default();
    let by_name: rustc_hash::FxHashMap<&[u8], usize> =
        raw_versions.iter().enumerate().map(|(i, v)| (v.0, i)).collect();
    let mut used = vec![false; raw_versions.len()];
    let mut out = SymbolSummary::default();
    for sym in elf.raw_symbols() {
        // Defined symbols matter only as `__crc_<sym>`: check that before measuring a name.
        if sym.shndx != 0 && !sym.name_tail.starts_with(b"__crc_") {
            continue;
        }
        let full_name = sym.name();
        if let Some(name) = full_name.strip_prefix(b"__crc_") {
            // The CRC is the symbol's value, or a u32 at that offset of its section;
            // kmod reports an unreadable one as all ones.
            let crc = if Elf::is_special_index(sym.shndx) {
                sym.value
            } else {
                elf.read_word(sym.shndx, sym.value, 4).unwrap_or(u64::MAX)
            };
            out.exports.push(&text(name), crc, false);
            continue;
        }
        // What is left is undefined: a symbol this module needs.
        if full_name.is_empty() {
            continue;
        }
        let name = full_name.strip_prefix(b".").unwrap_or(full_name);
        let crc = match by_name.get(name) {
            Some(&i) => {
                used[i] = true;
                raw_versions[i].1
            }
            None => 0,
        };
        out.needs.push(&text(name), crc, sym.bind == goblin::elf::sym::STB_WEAK);
    }
    for (v, used) in raw_versions.iter().zip(used) {
        if !used {
            out.needs.push(&text(v.0), v.1, false);
        }
    }
    if out.exports.is_empty() {
        if let Some(strings) = elf.strings("__ksymtab_strings") {
            for s in strings {
                out.exports.push(&text(s), 0, false);
            }
        }
    }
    out
}

/// The descriptor of the `.note.gnu.build-id` note (type 3, name "GNU").
fn build_id(elf: &Elf<'_>) -> Option<Vec<u8>> {
    let note = elf.section(".note.gnu.build-id")?;
    let word = |at: usize| note.get(at..at + 4).map(|b| elf.uint(b) as usize);
    let (namesz, descsz, kind) = (word(0)?, word(4)?, word(8)?);
    if kind != 3 {
        return None;
    }
    let desc_at = 12 + namesz.checked_add(3)? / 4 * 4;
    note.get(desc_at..desc_at.checked_add(descsz)?).map(<[u8]>::to_vec)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(rel: &str) -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/ko/6.1.0-56-amd64").join(rel)
    }

    #[test]
    fn this_module_name_and_symbols() {
        let img = ModuleImage::open(&fixture("hello_user.ko")).unwrap();
        assert_eq!(img.this_module_name().unwrap().as_deref(), Some("hello_user"));
        let needs = img.undefined_symbols().unwrap();
        assert!(needs.iter().any(|(s, weak)| s.name == "hello_get_value" && !weak && s.crc != 0));
        assert!(needs.iter().any(|(s, _)| s.name == "module_layout"), "a __versions-only entry");
        let hello = ModuleImage::open(&fixture("hello.ko")).unwrap();
        let exports: Vec<String> = hello.exports().unwrap().into_iter().map(|s| s.name).collect();
        assert!(exports.contains(&"hello_get_value".to_string()), "{exports:?}");
        let versions = hello.modversions().unwrap();
        assert!(versions.iter().any(|v| v.name == "module_layout"));
        // the same through the unmapped (pread) path
        let lazy = ModuleImage::open_unmapped(&fixture("hello.ko")).unwrap();
        assert_eq!(lazy.exports().unwrap(), hello.exports().unwrap());
        assert_eq!(lazy.this_module_name().unwrap().as_deref(), Some("hello"));
    }

    #[test]
    fn show_symbols_enoent_rules() {
        let hello = ModuleImage::open(&fixture("hello.ko")).unwrap();
        assert_eq!(hello.modversions_for_show().unwrap(), hello.modversions().unwrap());
        assert_eq!(hello.exports_for_show().unwrap(), hello.exports().unwrap());
        // No exports and no __ksymtab_strings: ENOENT (an empty list from exports()).
        let user = ModuleImage::open(&fixture("hello_user.ko")).unwrap();
        assert!(user.exports().unwrap().is_empty());
        assert_eq!(user.exports_for_show().unwrap_err().errno(), crate::Errno::ENOENT);
        // No __versions section: ENOENT (an empty table from modversions()).
        let bare =
            ModuleImage::open(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/bad/no-modinfo.ko"))
                .unwrap();
        assert!(bare.modversions().unwrap().is_empty());
        assert_eq!(bare.modversions_for_show().unwrap_err().errno(), crate::Errno::ENOENT);
        assert_eq!(bare.exports_for_show().unwrap_err().errno(), crate::Errno::ENOENT);
        // Not ELF: the ELF error's errno, before any section is looked at.
        let not_elf =
            ModuleImage::open(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/bad/not-elf.ko"))
                .unwrap();
        assert_eq!(not_elf.modversions_for_show().unwrap_err().errno(), crate::Errno::ENOEXEC);
    }
}
