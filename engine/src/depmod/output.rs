//! depmod's output files, built in memory and published atomically.
//!
//! Formats (kmod-behaviour.md §1c.4, §1c.5): `modules.dep` (`path: dep dep`), `.alias`,
//! `.softdep`, `.weakdep`, `.symbols` and `.devname` text files, and the BOOTFAST tries
//! `modules.dep.bin`, `.alias.bin`, `.symbols.bin`, `.builtin.bin`, `.builtin.alias.bin`
//! (written in kmod 34's pre-order layout). Files are built in parallel; the messages
//! each one produces are reported in kmod's file order. Every key and value is checked
//! for 7-bit ASCII before anything is written. Under an exclusive lock on the output
//! directory ([`DirLock`]), each file in turn goes to a temp file in the same directory,
//! is fsynced and renamed over the old one, so a reader (or a crash) sees the old file
//! or the new one, never a mix, and no more room is needed than kmod needs; stale temp
//! files of a killed run are removed by the next, under the lock.

use std::io::Write;
use std::path::Path;

use crate::index::IndexBuilder;

use super::graph::Resolved;
use super::Level;

/// Prefix of rkmod's temp files in the output directory.
pub const TEMP_PREFIX: &str = ".rkmod-depmod-";

/// One output file: name and bytes.
pub struct OutFile {
    /// The file name in the module directory (`modules.dep`, `modules.alias.bin`, ...).
    pub name: &'static str,
    /// The whole contents.
    pub data: Vec<u8>,
    /// Printed by `-n` (the text files kmod 30 prints; not the `.bin` tries, nor
    /// `modules.weakdep`, which kmod 30 does not write).
    pub dry_run: bool,
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
        OutFile { name, data: self.idx.to_bytes(), dry_run: false }
    }
}

fn text(name: &'static str, data: Vec<u8>) -> OutFile {
    OutFile { name, data, dry_run: true }
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
    Ok((vec![text("modules.dep", dep), trie.file(crate::lookup::DEP_BIN)], msgs))
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
    Ok((vec![text("modules.alias", out), trie.file(crate::lookup::ALIAS_BIN)], msgs))
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
    let weakdep = OutFile { dry_run: false, ..text("modules.weakdep", weak) };
    vec![text("modules.softdep", soft), weakdep]
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
    Ok((vec![text("modules.symbols", out), trie.file(crate::lookup::SYMBOLS_BIN)], msgs))
}

/// Read an input file of the module directory; a missing one is a warning, as in kmod.
fn read_input(dir: &Path, name: &str, msgs: &mut Msgs) -> Option<Vec<u8>> {
    match std::fs::read(dir.join(name)) {
        Ok(d) => Some(d),
        Err(e) => {
            let errno = crate::error::errno_text(crate::error::io_errno(&e));
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
    Ok((vec![names.file(crate::lookup::BUILTIN_BIN), aliases.file(crate::lookup::BUILTIN_ALIAS_BIN)], msgs))
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

/// An exclusive `flock` on the output directory itself (no lock file), held while a
/// run removes stale temp files and replaces the indexes: concurrent runs take turns
/// there instead of deleting each other's temp files. The kernel drops the lock when
/// its holder exits or is killed, so a waiting run waits only for a run that is writing.
pub struct DirLock {
    /// None when the filesystem does not support `flock` (the run goes on unlocked).
    lock: Option<nix::fcntl::Flock<std::fs::File>>,
}

impl DirLock {
    /// Wait for the lock on `dir`.
    pub fn acquire(dir: &Path) -> std::io::Result<DirLock> {
        let mut file = std::fs::File::open(dir)?;
        loop {
            match nix::fcntl::Flock::lock(file, nix::fcntl::FlockArg::LockExclusive) {
                Ok(lock) => return Ok(DirLock { lock: Some(lock) }),
                Err((f, nix::errno::Errno::EINTR)) => file = f,
                Err((_, e)) if e == nix::errno::Errno::ENOLCK || e == nix::errno::Errno::EOPNOTSUPP => {
                    return Ok(DirLock { lock: None })
                }
                Err((_, e)) => return Err(e.into()),
            }
        }
    }

    /// Remove temp files left by a run that was killed: only under the lock, where no
    /// other run can be writing one.
    pub fn remove_stale_temps(&self, dir: &Path) {
        if self.lock.is_none() {
            return;
        }
        if let Ok(entries) = std::fs::read_dir(dir) {
            for e in entries.flatten() {
                if e.file_name().to_string_lossy().starts_with(TEMP_PREFIX) {
                    let _ = std::fs::remove_file(e.path());
                }
            }
        }
    }
}

/// Publish the files one at a time, as kmod does: each is written to a temp file in
/// `dir`, fsynced and renamed over the old one before the next is written, so every
/// file is old-complete or new-complete and the run needs room for the old set plus one
/// new file; then `dir` is fsynced. Errors keep their errno (ENOSPC stays "No space
/// left on device"). The caller holds the [`DirLock`].
pub fn publish(dir: &Path, files: &[OutFile]) -> std::io::Result<()> {
    for f in files {
        replace(dir, f.name, &f.data, true)?;
    }
    std::fs::File::open(dir)?.sync_all()
}

/// Replace `dir/name` by `data` through a temp file (mode 0644 whatever the umask),
/// fsynced first when `sync`; on failure the temp file is removed.
pub fn replace(dir: &Path, name: &str, data: &[u8], sync: bool) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let tmp = dir.join(format!("{TEMP_PREFIX}{name}.{}", std::process::id()));
    let _ = std::fs::remove_file(&tmp);
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o644)
        .custom_flags(libc::O_CLOEXEC)
        .open(&tmp)
        .and_then(|mut file| {
            // An explicit mode, whatever the umask: indexes are world-readable.
            file.set_permissions(mode_0644())?;
            file.write_all(data)?;
            if sync {
                file.sync_all()?;
            }
            std::fs::rename(&tmp, dir.join(name))
        });
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

fn mode_0644() -> std::fs::Permissions {
    use std::os::unix::fs::PermissionsExt;
    std::fs::Permissions::from_mode(0o644)
}
