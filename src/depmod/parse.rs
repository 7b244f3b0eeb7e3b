//! What depmod reads from each module, in parallel: `.modinfo` aliases, soft and weak
//! dependencies, exported symbols with CRCs, and needed symbols with CRCs.
//!
//! Mirrors what kmod's depmod gets through `kmod_module_get_info`,
//! `kmod_module_get_symbols` and `kmod_module_get_dependency_symbols`. Only the sections
//! needed are read; a compressed module is decoded once. Modules are parsed on a rayon
//! pool and collected in input order, so the result never depends on thread count.

use rayon::prelude::*;

use crate::module::ModuleImage;

use super::scan::Candidate;

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
    pub exports: Vec<(String, u64)>,
    /// Needed symbols: name, CRC from `__versions`, weak binding.
    pub needs: Vec<(String, u64, bool)>,
    /// Why the module could not be read (its errno text), if it could not.
    pub error: Option<String>,
}

/// Parse every candidate on the rayon pool, results in input order.
pub fn parse_all(candidates: &[Candidate]) -> Vec<ModData> {
    candidates.par_iter().map(|c| parse_one(&c.path)).collect()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Read one module; failures are recorded, never fatal.
pub fn parse_one(path: &std::path::Path) -> ModData {
    let mut data = ModData::default();
    let image = match ModuleImage::open(path) {
        Ok(i) => i,
        Err(e) => {
            data.error = Some(crate::error::errno_text(e.errno()));
            return data;
        }
    };
    if let Err(e) = image.elf() {
        data.error = Some(crate::error::errno_text(e.errno()));
        return data;
    }
    // A valid ELF without .modinfo still exports and needs symbols.
    if let Ok(info) = image.info() {
        for f in &info.fields {
            match &f.key[..] {
                b"alias" => data.aliases.push(text(&f.value)),
                b"softdep" => data.softdeps.push(text(&f.value)),
                b"weakdep" => data.weakdeps.push(text(&f.value)),
                _ => {}
            }
        }
    }
    if let Ok(exports) = image.exports() {
        data.exports = exports.into_iter().map(|s| (s.name, s.crc)).collect();
    }
    if let Ok(needs) = image.undefined_symbols() {
        data.needs = needs
            .into_iter()
            .map(|(s, weak)| (s.name, s.crc, weak))
            .collect();
    }
    data
}
