//! What depmod reads from each module: `.modinfo` aliases, soft and weak dependencies,
//! exported symbols with CRCs, and needed symbols with CRCs.
//!
//! Mirrors what kmod's depmod gets through `kmod_module_get_info`,
//! `kmod_module_get_symbols` and `kmod_module_get_dependency_symbols`. Only the sections
//! needed are read; a compressed module is decoded once. `depmod::run` calls
//! [`parse_one`] on a rayon pool (skipping modules the cache still holds) and collects the
//! results in input order, so they never depend on thread count.

use crate::module::{ModuleImage, SymList};

/// The depmod-relevant contents of one module.
#[derive(Debug, Clone, Default)]
pub struct ModData {
    /// `alias=` values in `.modinfo` order.
    pub aliases: Vec<String>,
    /// `softdep=` values.
    pub softdeps: Vec<String>,
    /// `weakdep=` values (kmod 33+).
    pub weakdeps: Vec<String>,
    /// Exported symbols and their CRCs.
    pub exports: SymList,
    /// Needed symbols: name, CRC from `__versions`, weak binding.
    pub needs: SymList,
    /// Why the module could not be read (its errno text), if it could not.
    pub error: Option<String>,
    /// The first byte >= 0x80 in a string bound for an index (an alias or an exported
    /// symbol), with that string: depmod refuses such trees.
    pub non_ascii: Option<(u8, String)>,
}

impl ModData {
    fn note_non_ascii(&mut self, raw: &[u8]) {
        if self.non_ascii.is_none() {
            if let Some(&b) = raw.iter().find(|&&b| b >= 0x80) {
                self.non_ascii = Some((b, text(raw)));
            }
        }
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Read one module (`size`: its length, when the scan already stat'ed it as a regular
/// file); failures are recorded, never fatal.
pub fn parse_one(path: &std::path::Path, size: Option<u64>) -> ModData {
    let mut data = ModData::default();
    let image = match ModuleImage::open_unmapped_sized(path, size) {
        Ok(i) => i,
        // kmod has no such limit, so no wording to match: the limit is named.
        Err(e) if e.errno() == crate::Errno::EFBIG => {
            data.error = Some(format!("{} ({})", crate::error::errno_text(e.errno()), e.detail()));
            return data;
        }
        Err(e) => {
            data.error = Some(crate::error::errno_text(e.errno()));
            return data;
        }
    };
    let elf = match image.elf() {
        Ok(elf) => elf,
        Err(e) => {
            data.error = Some(crate::error::errno_text(e.errno()));
            return data;
        }
    };
    elf.prefetch(&[".modinfo", "__versions", "__ksymtab_strings", ".symtab", ".strtab"]);
    // A valid ELF without .modinfo still exports and needs symbols.
    for f in ModuleImage::fields_in(&elf).unwrap_or_default() {
        match &f.key[..] {
            b"alias" => {
                data.note_non_ascii(&f.value);
                data.aliases.push(text(&f.value))
            }
            b"softdep" => data.softdeps.push(text(&f.value)),
            b"weakdep" => data.weakdeps.push(text(&f.value)),
            _ => {}
        }
    }
    let summary = crate::module::symbol_summary(&elf);
    data.exports = summary.exports;
    data.needs = summary.needs;
    data
}
