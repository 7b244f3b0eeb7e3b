//! Module-name and alias normalisation, as kmod does it (`shared/util.c`).
//!
//! Module names are compared after turning every `-` into `_`, so `snd-hda-intel` and
//! `snd_hda_intel` are the same module. Aliases get the same treatment except inside a
//! bracket expression (`[...]`), where `-` is a range operator and must survive. These
//! are the keys depmod stores in the `modules.*.bin` indexes and the form every lookup
//! is made in.
//!
//! kmod works in `PATH_MAX` buffers and silently cuts longer input; these functions do
//! not truncate.

use std::path::Path;

/// kmod's `modname_normalize`: `-` becomes `_`, and the name ends at the first `.`
/// (so `foo-bar.ko.zst` gives `foo_bar`). A NUL also ends the name, as in C.
pub fn modname_normalize(name: &str) -> String {
    from_ascii_edit(modname_normalize_bytes(name.as_bytes()))
}

/// [`modname_normalize`] on bytes (names are bytes in kmod: nothing else changes).
pub fn modname_normalize_bytes(name: &[u8]) -> Vec<u8> {
    name.iter().take_while(|&&c| c != b'.' && c != 0).map(|&c| if c == b'-' { b'_' } else { c }).collect()
}

/// kmod's `path_to_modname`: the basename of `path` (everything after the last `/`),
/// then [`modname_normalize_bytes`]. `/lib/modules/6.1/kernel/fs/ext4/ext4.ko.xz`
/// gives `ext4`. Bytes that are not UTF-8 are replaced by U+FFFD.
pub fn path_to_modname(path: &Path) -> String {
    String::from_utf8_lossy(&path_to_modname_bytes(path)).into_owned()
}

/// [`path_to_modname`] keeping every byte.
pub fn path_to_modname_bytes(path: &Path) -> Vec<u8> {
    use std::os::unix::ffi::OsStrExt;
    let bytes = path.as_os_str().as_bytes();
    let base = match bytes.iter().rposition(|&b| b == b'/') {
        Some(i) => &bytes[i + 1..],
        None => bytes,
    };
    modname_normalize_bytes(base)
}

/// kmod's `alias_normalize`: `-` becomes `_` except inside `[...]`, which is copied as
/// is up to its first `]`. A `]` outside a bracket, or a `[` that is never closed, is an
/// error (kmod's `-EINVAL`; depmod then says `Unmatched bracket in %s`): `None`.
/// The alias ends at a NUL, as in C.
pub fn alias_normalize(alias: &str) -> Option<String> {
    alias_normalize_bytes(alias.as_bytes()).map(from_ascii_edit)
}

/// [`alias_normalize`] on bytes.
pub fn alias_normalize_bytes(alias: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(alias.len());
    let mut in_bracket = false;
    for &c in alias {
        if c == 0 {
            break;
        }
        if in_bracket {
            if c == b']' {
                in_bracket = false;
            }
            out.push(c);
            continue;
        }
        match c {
            b'-' => out.push(b'_'),
            b']' => return None,
            b'[' => {
                in_bracket = true;
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    if in_bracket {
        None
    } else {
        Some(out)
    }
}

/// kmod's `underscores()`, applied to names in modprobe.d (`options`, `blacklist`,
/// `install`, ...): the same rule as [`alias_normalize_bytes`], so `-` becomes `_`
/// outside brackets and an unmatched bracket is an error (`None`).
pub fn underscores(s: &[u8]) -> Option<Vec<u8>> {
    alias_normalize_bytes(s)
}

/// The normalisers only replace and cut at ASCII bytes, so UTF-8 in gives UTF-8 out.
fn from_ascii_edit(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// kmod's `path_ends_with_kmod_ext`: `path` ends in `.ko`, `.ko.gz`, `.ko.xz` or
/// `.ko.zst`, with at least one byte before the extension (so `.ko` alone is not a
/// module).
pub fn has_module_extension(path: impl AsRef<[u8]>) -> bool {
    let path = path.as_ref();
    crate::module::file::module_extensions()
        .any(|ext| path.len() > ext.len() && path.ends_with(ext.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modname() {
        assert_eq!(modname_normalize("snd-hda-intel"), "snd_hda_intel");
        assert_eq!(modname_normalize("foo-bar.ko.zst"), "foo_bar");
        assert_eq!(modname_normalize("ext4"), "ext4");
        assert_eq!(modname_normalize(".ko"), "");
        assert_eq!(modname_normalize("a.b-c"), "a");
        assert_eq!(modname_normalize("a-b\0c-d"), "a_b");
        assert_eq!(modname_normalize(""), "");
    }

    #[test]
    fn path_modname() {
        assert_eq!(path_to_modname(Path::new("/lib/modules/6.1.0/kernel/fs/ext4/ext4.ko.xz")), "ext4");
        assert_eq!(path_to_modname(Path::new("kernel/sound/snd-hda-codec.ko")), "snd_hda_codec");
        assert_eq!(path_to_modname(Path::new("dummy-mod.ko")), "dummy_mod");
        assert_eq!(path_to_modname(Path::new("dir/")), "");
        assert_eq!(path_to_modname(Path::new("/a.b/c-d")), "c_d");
    }

    #[test]
    fn alias() {
        assert_eq!(alias_normalize("char-major-10-200").as_deref(), Some("char_major_10_200"));
        assert_eq!(
            alias_normalize("pci:v00008086d*sv*sd*bc0[0-3]sc*i*").as_deref(),
            Some("pci:v00008086d*sv*sd*bc0[0-3]sc*i*")
        );
        assert_eq!(alias_normalize("a-[b-c]-d").as_deref(), Some("a_[b-c]_d"));
        assert_eq!(alias_normalize("a[[-]b-c").as_deref(), Some("a[[-]b_c"));
        assert_eq!(alias_normalize("").as_deref(), Some(""));
        assert_eq!(alias_normalize("a]b"), None);
        assert_eq!(alias_normalize("a[b"), None);
        assert_eq!(alias_normalize("a[b-c"), None);
        // The first `]` closes the bracket, so a second one is unmatched.
        assert_eq!(alias_normalize("[]]"), None);
        assert_eq!(alias_normalize("[]").as_deref(), Some("[]"));
        assert_eq!(alias_normalize("x-y\0]").as_deref(), Some("x_y"));
    }

    #[test]
    fn underscores_rule() {
        assert_eq!(underscores(b"snd-hda-intel").as_deref(), Some(&b"snd_hda_intel"[..]));
        assert_eq!(underscores(b"a[-]-b").as_deref(), Some(&b"a[-]_b"[..]));
        assert_eq!(underscores(b"bad]"), None);
        assert_eq!(underscores(b"bad[-"), None);
        // Bytes that are not UTF-8 pass through untouched.
        assert_eq!(underscores(b"caf\xe9-x").as_deref(), Some(&b"caf\xe9_x"[..]));
        assert_eq!(modname_normalize_bytes(b"\xff-a.ko"), b"\xff_a");
    }

    #[test]
    fn module_extension() {
        for yes in ["a.ko", "ext4.ko.gz", "x.ko.xz", "/l/m/k/snd-hda.ko.zst", "..ko"] {
            assert!(has_module_extension(yes), "{yes}");
        }
        for no in [".ko", ".ko.xz", "a.ko.bz2", "a.o", "a.ko.", "a.kox", "ko", "", "a.KO"] {
            assert!(!has_module_extension(no), "{no}");
        }
    }
}
