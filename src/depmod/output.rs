//! depmod's output files, built in memory and published atomically.
//!
//! Formats (kmod-behaviour.md §1c.4, §1c.5): `modules.dep` (`path: dep dep`), `.alias`,
//! `.softdep`, `.weakdep`, `.symbols` and `.devname` text files, and the BOOTFAST tries
//! `modules.dep.bin`, `.alias.bin`, `.symbols.bin`, `.builtin.bin`, `.builtin.alias.bin`
//! (written in kmod 34's pre-order layout). Every key and value is checked for 7-bit
//! ASCII before anything is written. Each file goes to a fresh temp file in the same
//! directory, is fsynced and renamed over the old one, so a reader (or a crash) sees the
//! old file or the new one, never a mix; stale temp files of an interrupted run are
//! removed by the next.

use std::io::Write;
use std::path::Path;

use crate::index::IndexBuilder;

use super::graph::Resolved;

/// Prefix of rkmod's temp files in the output directory.
pub const TEMP_PREFIX: &str = ".rkmod-depmod-";

/// One output file: name and bytes.
pub struct OutFile {
    pub name: &'static str,
    pub data: Vec<u8>,
    /// Text files are printed by `-n`; `.bin` files are not.
    pub text: bool,
}

/// A string that cannot go into an index (kmod: "bad character ... only 7-bit ASCII").
#[derive(Debug)]
pub struct BadString(pub String);

fn check(s: &str) -> Result<(), BadString> {
    if s.bytes().any(|b| b >= 0x80) {
        let b = s.bytes().find(|&b| b >= 0x80).unwrap_or(0);
        return Err(BadString(format!(
            "Module index: bad character '{}'=0x{b:x} - only 7-bit ASCII is supported:\n{s}",
            b as char
        )));
    }
    Ok(())
}

/// Insert into a trie, after the 7-bit check; duplicates are reported for `-w`.
fn insert(
    idx: &mut IndexBuilder,
    key: &str,
    value: &str,
    prio: u32,
    dup: &mut Vec<String>,
    what: &str,
) -> Result<(), BadString> {
    check(key)?;
    check(value)?;
    if !idx.insert(key, value, prio) {
        dup.push(format!("duplicate module {what}:\n{key} {value}"));
    }
    Ok(())
}

/// Inputs besides the resolved modules.
pub struct Extra<'a> {
    pub modules_builtin: Option<&'a [u8]>,
    pub builtin_modinfo: Option<&'a [u8]>,
}

/// Build every file, in kmod's output order (weakdep after softdep).
pub fn build(
    res: &Resolved,
    extra: &Extra,
    dups: &mut Vec<String>,
    errors: &mut Vec<String>,
) -> Result<Vec<OutFile>, BadString> {
    let mut files = Vec::new();
    let live = |i: &usize| !res.in_cycle[*i];

    // modules.dep and modules.dep.bin
    let mut dep = Vec::new();
    let mut dep_bin = IndexBuilder::default();
    for (i, m) in res.modules.iter().enumerate().filter(|(i, _)| live(i)) {
        let mut line = format!("{}:", m.dep_path());
        for &d in &res.closure[i] {
            line.push(' ');
            line.push_str(&res.modules[d].dep_path());
        }
        insert(&mut dep_bin, &m.cand.modname, &line, i as u32, dups, "deps")?;
        dep.extend_from_slice(line.as_bytes());
        dep.push(b'\n');
    }
    files.push(OutFile {
        name: "modules.dep",
        data: dep,
        text: true,
    });
    files.push(OutFile {
        name: "modules.dep.bin",
        data: dep_bin.to_bytes(),
        text: false,
    });

    // modules.alias and .bin
    let mut alias = b"# Aliases extracted from modules themselves.\n".to_vec();
    let mut alias_bin = IndexBuilder::default();
    for (i, m) in res.modules.iter().enumerate() {
        for a in &m.data.aliases {
            alias.extend_from_slice(format!("alias {a} {}\n", m.cand.modname).as_bytes());
            match crate::name::alias_normalize(a) {
                Some(key) => insert(
                    &mut alias_bin,
                    &key,
                    &m.cand.modname,
                    i as u32,
                    dups,
                    "alias",
                )?,
                None => errors.push(format!("Unmatched bracket in {a}")),
            }
        }
    }
    files.push(OutFile {
        name: "modules.alias",
        data: alias,
        text: true,
    });
    files.push(OutFile {
        name: "modules.alias.bin",
        data: alias_bin.to_bytes(),
        text: false,
    });

    let mut soft = b"# Soft dependencies extracted from modules themselves.\n".to_vec();
    let mut weak = b"# Weak dependencies extracted from modules themselves.\n".to_vec();
    for m in &res.modules {
        for s in &m.data.softdeps {
            soft.extend_from_slice(format!("softdep {} {s}\n", m.cand.modname).as_bytes());
        }
        for w in &m.data.weakdeps {
            weak.extend_from_slice(format!("weakdep {} {w}\n", m.cand.modname).as_bytes());
        }
    }
    files.push(OutFile {
        name: "modules.softdep",
        data: soft,
        text: true,
    });
    files.push(OutFile {
        name: "modules.weakdep",
        data: weak,
        text: true,
    });

    let mut syms = b"# Aliases for symbols, used by symbol_request().\n".to_vec();
    let mut syms_bin = IndexBuilder::default();
    for (name, owner) in &res.owned_symbols {
        let modname = &res.modules[*owner].cand.modname;
        syms.extend_from_slice(format!("alias symbol:{name} {modname}\n").as_bytes());
        insert(
            &mut syms_bin,
            &format!("symbol:{name}"),
            modname,
            *owner as u32,
            dups,
            "syms",
        )?;
    }
    files.push(OutFile {
        name: "modules.symbols",
        data: syms,
        text: true,
    });
    files.push(OutFile {
        name: "modules.symbols.bin",
        data: syms_bin.to_bytes(),
        text: false,
    });

    let mut builtin = IndexBuilder::default();
    if let Some(data) = extra.modules_builtin {
        for line in String::from_utf8_lossy(data).split_inclusive('\n') {
            if !line.starts_with(|c: char| c.is_ascii_alphabetic()) {
                errors.push(format!("Invalid modules.builtin line: {line}"));
                continue;
            }
            let name = crate::name::path_to_modname(Path::new(line.trim_end_matches('\n')));
            insert(&mut builtin, &name, "", 0, &mut Vec::new(), "builtin")?;
        }
    }
    files.push(OutFile {
        name: "modules.builtin.bin",
        data: builtin.to_bytes(),
        text: false,
    });

    let mut builtin_alias = IndexBuilder::default();
    if let Some(data) = extra.builtin_modinfo {
        for s in data.split(|&b| b == 0).filter(|s| !s.is_empty()) {
            let s = String::from_utf8_lossy(s);
            let Some((modname, rest)) = s.split_once('.') else {
                continue;
            };
            let Some(value) = rest.strip_prefix("alias=") else {
                continue;
            };
            match crate::name::alias_normalize(value) {
                Some(key) => insert(
                    &mut builtin_alias,
                    &key,
                    modname,
                    0,
                    &mut Vec::new(),
                    "builtin alias",
                )?,
                None => errors.push(format!("Unmatched bracket in {value}")),
            }
        }
    }
    files.push(OutFile {
        name: "modules.builtin.alias.bin",
        data: builtin_alias.to_bytes(),
        text: false,
    });

    files.push(OutFile {
        name: "modules.devname",
        data: devname(res, errors),
        text: true,
    });
    Ok(files)
}

/// `modules.devname`: modules with a `devname:` alias and a char/block major:minor one.
fn devname(res: &Resolved, errors: &mut Vec<String>) -> Vec<u8> {
    let mut out = Vec::new();
    for m in &res.modules {
        let mut devname = None;
        let mut dev: Option<(char, u32, u32)> = None;
        for a in &m.data.aliases {
            if let Some(d) = a.strip_prefix("devname:") {
                devname = Some(d.to_string());
            } else if let Some(v) = parse_major_minor(a, "char-major-") {
                dev = Some(('c', v.0, v.1));
            } else if let Some(v) = parse_major_minor(a, "block-major-") {
                dev = Some(('b', v.0, v.1));
            }
            if let (Some(name), Some((t, maj, min))) = (&devname, dev) {
                if out.is_empty() {
                    out.extend_from_slice(b"# Device nodes to trigger on-demand module loading.\n");
                }
                out.extend_from_slice(
                    format!("{} {name} {t}{maj}:{min}\n", m.cand.modname).as_bytes(),
                );
                break;
            }
        }
        if let (Some(name), None) = (&devname, dev) {
            errors.push(format!(
                "Module '{}' has devname ({name}) but lacks major and minor information. Ignoring.",
                m.cand.modname
            ));
        }
    }
    out
}

/// `sscanf(value, "char-major-%u-%u")`: both numbers present (trailing text allowed).
fn parse_major_minor(value: &str, prefix: &str) -> Option<(u32, u32)> {
    let rest = value.strip_prefix(prefix)?;
    let (maj, rest) = split_number(rest)?;
    let (min, _) = split_number(rest.strip_prefix('-')?)?;
    Some((maj, min))
}

fn split_number(s: &str) -> Option<(u32, &str)> {
    let s = s.trim_start();
    let end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let n = s[..end].parse::<u64>().ok()?;
    Some((n as u32, &s[end..]))
}

/// Remove temp files left by an interrupted run.
pub fn remove_stale_temps(dir: &Path) {
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            if e.file_name().to_string_lossy().starts_with(TEMP_PREFIX) {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }
}

/// Publish each file atomically: temp file in `dir`, fsync, rename; then fsync `dir`.
pub fn publish(dir: &Path, files: &[OutFile]) -> std::io::Result<()> {
    remove_stale_temps(dir);
    for f in files {
        let mut tmp = tempfile::Builder::new()
            .prefix(TEMP_PREFIX)
            .tempfile_in(dir)?;
        // An explicit mode, whatever the umask: indexes are world-readable.
        tmp.as_file().set_permissions(mode_0644())?;
        tmp.write_all(&f.data)?;
        tmp.as_file().sync_all()?;
        tmp.persist(dir.join(f.name)).map_err(|e| e.error)?;
    }
    std::fs::File::open(dir)?.sync_all()
}

fn mode_0644() -> std::fs::Permissions {
    use std::os::unix::fs::PermissionsExt;
    std::fs::Permissions::from_mode(0o644)
}
