//! depmod's output files, built in memory and published atomically.
//!
//! Formats (kmod-behaviour.md §1c.4, §1c.5): `modules.dep` (`path: dep dep`), `.alias`,
//! `.softdep`, `.weakdep`, `.symbols` and `.devname` text files, and the BOOTFAST tries
//! `modules.dep.bin`, `.alias.bin`, `.symbols.bin`, `.builtin.bin`, `.builtin.alias.bin`
//! (written in kmod 34's pre-order layout). Files are built in parallel; the messages
//! each one produces are reported in kmod's file order. Every key and value is checked
//! for 7-bit ASCII before anything is written. Each file goes to a fresh temp file in the
//! same directory, is fsynced and renamed over the old one, so a reader (or a crash)
//! sees the old file or the new one, never a mix; stale temp files of an interrupted
//! run are removed by the next.

use std::io::Write;
use std::path::Path;

use crate::index::IndexBuilder;

use super::graph::Resolved;
use super::Level;

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

type Msgs = Vec<(Level, String)>;

/// A file (or two) built by one task, with the messages building it produced.
type Built = Result<(Vec<OutFile>, Msgs), BadString>;

fn check(s: &str) -> Result<(), BadString> {
    match s.bytes().find(|&b| b >= 0x80) {
        Some(b) => Err(BadString(format!(
            "Module index: bad character '{}'=0x{b:x} - only 7-bit ASCII is supported:\n{s}",
            b as char
        ))),
        None => Ok(()),
    }
}

/// A trie being filled, with kmod's `-w` duplicate reports.
struct Trie {
    idx: IndexBuilder,
    what: &'static str,
    warn_dups: bool,
}

impl Trie {
    fn new(what: &'static str, warn_dups: bool) -> Trie {
        Trie { idx: IndexBuilder::default(), what, warn_dups }
    }

    fn insert(&mut self, key: &str, value: &str, prio: u32, msgs: &mut Msgs) -> Result<(), BadString> {
        check(key)?;
        check(value)?;
        if !self.idx.insert(key, value, prio) && self.warn_dups {
            msgs.push((Level::Warning, format!("duplicate module {}:\n{key} {value}", self.what)));
        }
        Ok(())
    }

    fn file(self, name: &'static str) -> OutFile {
        OutFile { name, data: self.idx.to_bytes(), text: false }
    }
}

fn text(name: &'static str, data: Vec<u8>) -> OutFile {
    OutFile { name, data, text: true }
}

/// Build every file in kmod's output order (weakdep after softdep); `dir` holds
/// `modules.builtin` and `modules.builtin.modinfo`; `warn_dups` is `-w`.
pub fn build(
    res: &Resolved,
    dir: &Path,
    warn_dups: bool,
    text_only: bool,
    msgs: &mut Msgs,
) -> Result<Vec<OutFile>, BadString> {
    let tasks: [&(dyn Fn() -> Built + Sync); 6] = [
        &|| deps(res, warn_dups),
        &|| aliases(res, warn_dups, text_only),
        &|| Ok((soft_and_weak(res), Vec::new())),
        &|| symbols(res, warn_dups),
        &|| if text_only { Ok((Vec::new(), Vec::new())) } else { builtin(dir) },
        &|| {
            let (file, msgs) = devname(res);
            Ok((vec![file], msgs))
        },
    ];
    let results: Vec<Built> = {
        use rayon::prelude::*;
        tasks.par_iter().map(|t| t()).collect()
    };
    let mut files = Vec::new();
    for r in results {
        let (f, m) = r?;
        files.extend(f);
        msgs.extend(m);
    }
    Ok(files)
}

fn deps(res: &Resolved, warn_dups: bool) -> Built {
    let mut msgs = Vec::new();
    let mut dep = Vec::new();
    let mut trie = Trie::new("deps", warn_dups);
    for (i, m) in res.modules.iter().enumerate().filter(|(i, _)| !res.in_cycle[*i]) {
        let mut line = format!("{}:", m.dep_path());
        for &d in &res.closure[i] {
            line.push(' ');
            line.push_str(&res.modules[d].dep_path());
        }
        trie.insert(&m.cand.modname, &line, i as u32, &mut msgs)?;
        dep.extend_from_slice(line.as_bytes());
        dep.push(b'\n');
    }
    Ok((vec![text("modules.dep", dep), trie.file("modules.dep.bin")], msgs))
}

fn aliases(res: &Resolved, warn_dups: bool, text_only: bool) -> Built {
    let mut msgs = Vec::new();
    let mut out = b"# Aliases extracted from modules themselves.\n".to_vec();
    let mut trie = Trie::new("alias", warn_dups);
    for (i, m) in res.modules.iter().enumerate() {
        for a in &m.data.aliases {
            out.extend_from_slice(format!("alias {a} {}\n", m.cand.modname).as_bytes());
            if text_only {
                continue;
            }
            match crate::name::alias_normalize(a) {
                Some(key) => trie.insert(&key, &m.cand.modname, i as u32, &mut msgs)?,
                None => msgs.push((Level::Warning, format!("Unmatched bracket in {a}"))),
            }
        }
    }
    Ok((vec![text("modules.alias", out), trie.file("modules.alias.bin")], msgs))
}

fn soft_and_weak(res: &Resolved) -> Vec<OutFile> {
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
    vec![text("modules.softdep", soft), text("modules.weakdep", weak)]
}

fn symbols(res: &Resolved, warn_dups: bool) -> Built {
    let mut msgs = Vec::new();
    let mut out = b"# Aliases for symbols, used by symbol_request().\n".to_vec();
    let mut trie = Trie::new("syms", warn_dups);
    for (name, owner) in &res.owned_symbols {
        let modname = &res.modules[*owner].cand.modname;
        out.extend_from_slice(format!("alias symbol:{name} {modname}\n").as_bytes());
        trie.insert(&format!("symbol:{name}"), modname, *owner as u32, &mut msgs)?;
    }
    Ok((vec![text("modules.symbols", out), trie.file("modules.symbols.bin")], msgs))
}

/// Read an input file of the module directory; a missing one is a warning, as in kmod.
fn read_input(dir: &Path, name: &str, msgs: &mut Msgs) -> Option<Vec<u8>> {
    match std::fs::read(dir.join(name)) {
        Ok(d) => Some(d),
        Err(e) => {
            let errno = crate::error::errno_text(e.raw_os_error().unwrap_or(libc::EIO));
            msgs.push((Level::Warning, format!("could not open {name} at {}: {errno}", dir.display())));
            None
        }
    }
}

/// `modules.builtin.bin` from `modules.builtin`, `modules.builtin.alias.bin` from the
/// `alias=` strings of `modules.builtin.modinfo`. Missing inputs give valid empty tries.
fn builtin(dir: &Path) -> Built {
    let mut msgs = Vec::new();
    let mut names = Trie::new("builtin", false);
    if let Some(data) = read_input(dir, "modules.builtin", &mut msgs) {
        for line in String::from_utf8_lossy(&data).split_inclusive('\n') {
            if !line.starts_with(|c: char| c.is_ascii_alphabetic()) {
                msgs.push((Level::Error, format!("Invalid modules.builtin line: {line}")));
                continue;
            }
            let name = crate::name::path_to_modname(Path::new(line.trim_end_matches('\n')));
            names.insert(&name, "", 0, &mut msgs)?;
        }
    }
    let mut aliases = Trie::new("builtin alias", false);
    if let Some(data) = read_input(dir, "modules.builtin.modinfo", &mut msgs) {
        for s in data.split(|&b| b == 0).filter(|s| !s.is_empty()) {
            let s = String::from_utf8_lossy(s);
            let Some((modname, rest)) = s.split_once('.') else { continue };
            let Some(value) = rest.strip_prefix("alias=") else { continue };
            match crate::name::alias_normalize(value) {
                Some(key) => aliases.insert(&key, modname, 0, &mut msgs)?,
                None => msgs.push((Level::Warning, format!("Unmatched bracket in {value}"))),
            }
        }
    }
    Ok((vec![names.file("modules.builtin.bin"), aliases.file("modules.builtin.alias.bin")], msgs))
}

/// `modules.devname`: modules with a `devname:` alias and a char/block major:minor one.
fn devname(res: &Resolved) -> (OutFile, Msgs) {
    let mut msgs = Vec::new();
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
                out.extend_from_slice(format!("{} {name} {t}{maj}:{min}\n", m.cand.modname).as_bytes());
                break;
            }
        }
        if let (Some(name), None) = (&devname, dev) {
            let what = format!(
                "Module '{}' has devname ({name}) but lacks major and minor information. Ignoring.",
                m.cand.modname
            );
            msgs.push((Level::Error, what));
        }
    }
    (text("modules.devname", out), msgs)
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

/// Publish each file atomically: all written to temp files in `dir` and fsynced (in
/// parallel, so the filesystem can commit them together), then each renamed into place,
/// then `dir` fsynced.
/// The caller removes stale temp files first ([`remove_stale_temps`]).
pub fn publish(dir: &Path, files: &[OutFile]) -> std::io::Result<()> {
    use rayon::prelude::*;
    let temps = files
        .par_iter()
        .map(|f| {
            let mut tmp = tempfile::Builder::new().prefix(TEMP_PREFIX).tempfile_in(dir)?;
            // An explicit mode, whatever the umask: indexes are world-readable.
            tmp.as_file().set_permissions(mode_0644())?;
            tmp.write_all(&f.data)?;
            tmp.as_file().sync_all()?;
            Ok(tmp)
        })
        .collect::<std::io::Result<Vec<_>>>()?;
    for (tmp, f) in temps.into_iter().zip(files) {
        tmp.persist(dir.join(f.name)).map_err(|e| e.error)?;
    }
    std::fs::File::open(dir)?.sync_all()
}

/// A temp file in `dir` holding `data` (mode 0644, not fsynced), to be completed and
/// renamed into place by the caller (the cache, written while the indexes are synced).
pub fn unsynced_temp(dir: &Path, data: &[u8]) -> std::io::Result<tempfile::NamedTempFile> {
    let mut tmp = tempfile::Builder::new().prefix(TEMP_PREFIX).tempfile_in(dir)?;
    tmp.as_file().set_permissions(mode_0644())?;
    tmp.write_all(data)?;
    Ok(tmp)
}

fn mode_0644() -> std::fs::Permissions {
    use std::os::unix::fs::PermissionsExt;
    std::fs::Permissions::from_mode(0o644)
}
