//! Kernel module files and what can be read from them.
//!
//! [`ModuleImage::open`] reads a `.ko`, `.ko.xz`, `.ko.zst` or `.ko.gz` (by magic
//! bytes, see [`file`]); [`ModuleImage::elf`] validates its ELF like libkmod; the
//! readers below return what `modinfo`, `modprobe --dump-modversions` and depmod need.

pub mod elf;
pub mod file;
pub mod modinfo;
pub mod signature;

use std::path::Path;

use crate::error::{Error, Result};
pub use elf::Elf;
pub use file::{Compression, ModuleFile};
pub use modinfo::Field;
pub use signature::Signature;

/// An opened module file (decompressed image).
pub struct ModuleImage {
    pub file: ModuleFile,
    path: std::path::PathBuf,
}

/// A `__versions` entry or an exported/needed symbol with its CRC.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SymbolCrc {
    pub name: String,
    pub crc: u64,
}

/// Everything `modinfo` prints about a module file.
#[derive(Debug, Clone)]
pub struct Info {
    /// `.modinfo` fields in section order.
    pub fields: Vec<Field>,
    pub signature: Option<Signature>,
    /// The GNU build-id note's descriptor, if present.
    pub build_id: Option<Vec<u8>>,
}

impl ModuleImage {
    /// Open (and decompress) the module at `path`.
    pub fn open(path: &Path) -> Result<ModuleImage> {
        Ok(ModuleImage {
            file: ModuleFile::open(path)?,
            path: path.to_path_buf(),
        })
    }

    /// The decompressed bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.file.image
    }

    /// Validate and view the image as ELF.
    pub fn elf(&self) -> Result<Elf<'_>> {
        Elf::parse(self.bytes()).map_err(|e| Error::bad_module(&self.path, e.errno, e.what))
    }

    /// The `.modinfo` fields, signature and build-id (`kmod_module_get_info`).
    ///
    /// A module without a `.modinfo` section fails with ENOENT, as kmod 30's libkmod
    /// does (kmod 31 changed it to ENODATA).
    pub fn info(&self) -> Result<Info> {
        let elf = self.elf()?;
        let strings = elf
            .strings(".modinfo")
            .ok_or_else(|| Error::bad_module(&self.path, libc::ENOENT, "no .modinfo section"))?;
        Ok(Info {
            fields: modinfo::fields_from_strings(strings),
            signature: signature::parse(self.bytes()),
            build_id: build_id(&elf),
        })
    }

    /// The `__versions` table: the CRCs this module was built against.
    pub fn modversions(&self) -> Result<Vec<SymbolCrc>> {
        let elf = self.elf()?;
        let Some(data) = elf.section("__versions") else {
            return Ok(Vec::new());
        };
        if data.len() % 64 != 0 {
            return Err(Error::bad_module(
                &self.path,
                libc::EINVAL,
                "__versions size is not a multiple of 64",
            ));
        }
        let crc_len = if elf.is_32bit() { 4 } else { 8 };
        Ok(data
            .chunks_exact(64)
            .map(|e| {
                let name = elf::cstr_at(&e[crc_len..], 0).unwrap_or_default();
                let name = name.strip_prefix(b".").unwrap_or(name);
                SymbolCrc {
                    name: String::from_utf8_lossy(name).into_owned(),
                    crc: elf.uint(&e[..crc_len]),
                }
            })
            .collect())
    }

    /// Exported symbols: `__crc_<sym>` symbols with their CRC, else the names in
    /// `__ksymtab_strings` with CRC 0 (libkmod's `kmod_elf_get_symbols`).
    pub fn exports(&self) -> Result<Vec<SymbolCrc>> {
        let elf = self.elf()?;
        let mut out = Vec::new();
        for sym in elf.symbols() {
            let Some(name) = sym.name.strip_prefix(b"__crc_") else {
                continue;
            };
            let crc = if Elf::is_special_index(sym.shndx) {
                sym.value
            } else {
                elf.read_word(sym.shndx, sym.value, 4).unwrap_or(0)
            };
            out.push(SymbolCrc {
                name: String::from_utf8_lossy(name).into_owned(),
                crc: crc & 0xFFFF_FFFF,
            });
        }
        if out.is_empty() {
            if let Some(strings) = elf.strings("__ksymtab_strings") {
                out = strings
                    .into_iter()
                    .map(|s| SymbolCrc {
                        name: String::from_utf8_lossy(s).into_owned(),
                        crc: 0,
                    })
                    .collect();
            }
        }
        Ok(out)
    }

    /// Symbols this module needs from others: undefined `.symtab` symbols with the CRC
    /// recorded in `__versions`, plus `__versions` entries no symbol names.
    pub fn undefined_symbols(&self) -> Result<Vec<(SymbolCrc, bool)>> {
        let elf = self.elf()?;
        let versions = self.modversions().unwrap_or_default();
        let mut used = vec![false; versions.len()];
        let mut out = Vec::new();
        for sym in elf.symbols() {
            if sym.shndx != 0 || sym.name.is_empty() {
                continue;
            }
            let name = String::from_utf8_lossy(sym.name.strip_prefix(b".").unwrap_or(sym.name))
                .into_owned();
            let crc = match versions.iter().position(|v| v.name == name) {
                Some(i) => {
                    used[i] = true;
                    versions[i].crc
                }
                None => 0,
            };
            out.push((
                SymbolCrc { name, crc },
                sym.bind == goblin::elf::sym::STB_WEAK,
            ));
        }
        for (v, used) in versions.into_iter().zip(used) {
            if !used {
                out.push((v, false));
            }
        }
        Ok(out)
    }

    /// The module name stored in `.gnu.linkonce.this_module` (`struct module.name`).
    pub fn this_module_name(&self) -> Result<Option<String>> {
        let elf = self.elf()?;
        let offset = if elf.is_32bit() { 12 } else { 24 };
        Ok(elf
            .section(".gnu.linkonce.this_module")
            .and_then(|s| s.get(offset..))
            .and_then(|s| elf::cstr_at(s, 0))
            .map(|n| String::from_utf8_lossy(n).into_owned()))
    }
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
    note.get(desc_at..desc_at.checked_add(descsz)?)
        .map(<[u8]>::to_vec)
}
