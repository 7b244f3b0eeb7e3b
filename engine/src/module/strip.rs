//! Stripping version checks from a module image, for `--force` on the `init_module`
//! path (the `finit_module` path passes kernel flags instead).
//!
//! What libkmod's `kmod_elf_strip` does, on a copy of the image:
//!
//! - **modversions**: clear `SHF_ALLOC` in the `sh_flags` of the `__versions` section
//!   header, so the kernel does not see the symbol CRCs (a module without the section
//!   is left as it is);
//! - **vermagic**: overwrite the `vermagic=...` string of `.modinfo`, up to its NUL,
//!   with NUL bytes, so the kernel finds no version magic.
//!
//! A module without the section or without a vermagic is left as it is for that part,
//! and the caller is told (kmod 30 logs `Failed to strip vermagic: ...` at INFO level
//! and goes on; kmod 34 turned it into an error).

use super::elf::Elf;

const SHF_ALLOC: u64 = 0x2;

/// Which checks to strip.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Strip {
    /// Hide the `__versions` section (`--force-modversion`).
    pub modversion: bool,
    /// Blank the `vermagic=` field (`--force-vermagic`).
    pub vermagic: bool,
}

/// A stripped image and what could not be stripped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stripped {
    /// The patched copy of the image.
    pub image: Vec<u8>,
    /// Modversions were to be stripped but there is no `__versions` section.
    pub no_versions: bool,
    /// The vermagic was to be stripped but `.modinfo` has none.
    pub no_vermagic: bool,
}

/// A stripped copy of `image`, or the errno of an image that is not valid ELF.
pub fn strip(image: &[u8], what: Strip) -> Result<Stripped, crate::Errno> {
    let elf = Elf::parse(image).map_err(|e| e.errno)?;
    let mut out = image.to_vec();
    let mut no_versions = false;
    let mut no_vermagic = false;
    if what.modversion {
        no_versions = true;
        if let Some(idx) = elf.find_section("__versions") {
            no_versions = false;
            let (off, width) = elf.section_flags_offset(idx).ok_or(crate::Errno::EINVAL)?;
            let field = out.get_mut(off..off + width).ok_or(crate::Errno::EINVAL)?;
            let flags = elf.uint(field) & !SHF_ALLOC;
            let bytes = flags.to_le_bytes();
            for (i, b) in field.iter_mut().enumerate() {
                *b = if elf.is_big_endian() { bytes[width - 1 - i] } else { bytes[i] };
            }
        }
    }
    if what.vermagic {
        let range = elf.find_section(".modinfo").and_then(|idx| elf.section_range(idx));
        let (off, len) = range.unwrap_or((0, 0));
        let section = &image[off..off + len];
        let mut at = 0;
        let mut found = false;
        while at < section.len() {
            let end = section[at..].iter().position(|&b| b == 0).map_or(section.len(), |p| at + p);
            if section[at..end].starts_with(b"vermagic=") {
                out[off + at..off + end].fill(0);
                found = true;
                break;
            }
            at = end + 1;
        }
        no_vermagic = !found;
    }
    Ok(Stripped { image: out, no_versions, no_vermagic })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hello() -> Vec<u8> {
        std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/ko/6.1.0-56-amd64/hello.ko")).unwrap()
    }

    #[test]
    fn strips_vermagic_and_modversions() {
        let orig = hello();
        let elf = Elf::parse(&orig).unwrap();
        let versions = elf.find_section("__versions").unwrap();
        let (off, w) = elf.section_flags_offset(versions).unwrap();
        assert_ne!(elf.uint(&orig[off..off + w]) & SHF_ALLOC, 0);

        let out = strip(&orig, Strip { modversion: true, vermagic: true }).unwrap();
        assert!(!out.no_versions && !out.no_vermagic);
        let out = out.image;
        assert_eq!(out.len(), orig.len());
        let e2 = Elf::parse(&out).unwrap();
        assert_eq!(e2.uint(&out[off..off + w]) & SHF_ALLOC, 0);
        let strings = e2.strings(".modinfo").unwrap();
        assert!(!strings.iter().any(|s| s.starts_with(b"vermagic=")));
        assert!(strings.iter().any(|s| s.starts_with(b"license=")), "other fields stay");
        // Only the flags word and the vermagic string changed.
        let changed = orig.iter().zip(&out).filter(|(a, b)| a != b).count();
        assert!(changed < 80, "{changed} bytes changed");

        let only_versions = strip(&orig, Strip { modversion: true, vermagic: false }).unwrap().image;
        assert!(Elf::parse(&only_versions)
            .unwrap()
            .strings(".modinfo")
            .unwrap()
            .iter()
            .any(|s| s.starts_with(b"vermagic=")));
    }

    #[test]
    fn missing_parts_are_reported_not_fatal() {
        let once = strip(&hello(), Strip { vermagic: true, modversion: false }).unwrap().image;
        let twice = strip(&once, Strip { vermagic: true, modversion: true }).unwrap();
        assert!(twice.no_vermagic && !twice.no_versions);
        assert_eq!(twice.image, strip(&once, Strip { vermagic: false, modversion: true }).unwrap().image);
        assert_eq!(strip(b"not an elf at all, sorry", Strip::default()), Err(crate::Errno::ENOEXEC));
    }
}
