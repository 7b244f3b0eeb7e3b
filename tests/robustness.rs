//! Bad input never panics, crashes or hangs: rkmod as `modinfo` over hundreds of mutated
//! copies of real modules (truncations, byte flips, hostile ELF header and section
//! fields, broken compression, broken signature trailers) and of real index files.
//! Every failure must be exit 1 with `modinfo:` error lines; success is exit 0.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::util::{applet, fixture_ko, fixtures};

/// xorshift64*: deterministic mutations without a dependency.
pub(crate) struct Rng(pub(crate) u64);
impl Rng {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Mutated copies of one module image.
pub(crate) fn mutations(orig: &[u8], rng: &mut Rng, count: usize) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let elf64 = orig.len() > 64 && orig[4] == 2;
    let (shoff_at, shnum_at) = if elf64 { (0x28, 0x3C) } else { (0x20, 0x30) };
    for i in 0..count {
        let mut m = orig.to_vec();
        match i % 8 {
            0 => m.truncate(rng.below(orig.len())),
            1 => {
                for _ in 0..1 + rng.below(8) {
                    let at = rng.below(m.len());
                    m[at] ^= 1 << rng.below(8);
                }
            }
            2 => {
                let at = rng.below(64.min(m.len()));
                m[at] = rng.next() as u8;
            }
            3 if m.len() > shnum_at + 6 => {
                // hostile section count, entry size or name-table index
                let field = shnum_at - 2 + 2 * rng.below(3);
                m[field] = rng.next() as u8;
                m[field + 1] = rng.next() as u8;
            }
            4 if m.len() > shoff_at + 8 => {
                let at = shoff_at + rng.below(if elf64 { 8 } else { 4 });
                m[at] = rng.next() as u8;
            }
            5 => {
                // clobber a section header's offset/size words
                let shoff = if elf64 {
                    u64::from_le_bytes(m[0x28..0x30].try_into().unwrap()) as usize
                } else {
                    u32::from_le_bytes(m[0x20..0x24].try_into().unwrap()) as usize
                };
                let ent = if elf64 { 64 } else { 40 };
                let at = shoff + ent * rng.below(20) + 16 + rng.below(24);
                if at + 4 <= m.len() {
                    m[at..at + 4].copy_from_slice(&(rng.next() as u32).to_le_bytes());
                }
            }
            6 => {
                // damage the signature trailer region
                let n = m.len();
                let at = n - 1 - rng.below(60.min(n));
                m[at] = rng.next() as u8;
            }
            _ => {
                m[4] = [0, 1, 2, 3, 0xFF][rng.below(5)];
                m[5] = [0, 1, 2, 9][rng.below(4)];
            }
        }
        out.push(m);
    }
    out
}

/// A copy of module directory `src` (as `ROOT/lib/modules/1.0.0-rk`, ROOT the
/// returned directory) whose `index` is `orig` damaged the `i`-th way: truncated, one
/// byte changed, or an offset word pointing anywhere (including back at its own node).
pub(crate) fn damaged_index_tree(
    src: &Path,
    index: &str,
    orig: &[u8],
    i: usize,
    rng: &mut Rng,
) -> tempfile::TempDir {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("lib/modules/1.0.0-rk");
    std::fs::create_dir_all(&dir).unwrap();
    for e in std::fs::read_dir(src).unwrap().flatten() {
        if e.file_type().unwrap().is_file() {
            std::fs::copy(e.path(), dir.join(e.file_name())).unwrap();
        }
    }
    let mut m = orig.to_vec();
    match i % 3 {
        0 => m.truncate(rng.below(orig.len())),
        1 => {
            let at = rng.below(m.len());
            m[at] = rng.next() as u8;
        }
        _ => {
            let at = 8 + rng.below(m.len().saturating_sub(12)).min(m.len() - 12);
            m[at..at + 4].copy_from_slice(&(rng.next() as u32).to_be_bytes());
        }
    }
    std::fs::write(dir.join(index), m).unwrap();
    root
}

fn compress(kind: &str, data: &[u8]) -> Vec<u8> {
    let mut child = Command::new(kind)
        .args(if kind == "xz" { &["-c", "--check=crc32"][..] } else { &["-q", "-c"][..] })
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{kind} is needed: {e}"));
    let mut stdin = child.stdin.take().unwrap();
    let input = data.to_vec();
    let writer = std::thread::spawn(move || std::io::Write::write_all(&mut stdin, &input));
    let out = child.wait_with_output().unwrap().stdout;
    writer.join().unwrap().unwrap();
    out
}

/// Run rkmod as modinfo with a deadline; check the outcome is a clean success or a
/// clean failure.
fn check_run(args: &[String], cwd: &Path, what: &str) {
    let start = Instant::now();
    let mut child = applet("modinfo")
        .args(args)
        .current_dir(cwd)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || std::io::read_to_string(stderr).unwrap_or_default());
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if start.elapsed() > Duration::from_secs(60) {
            child.kill().unwrap();
            panic!("{what}: modinfo hung");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let err = reader.join().unwrap();
    assert!(!err.contains("panicked"), "{what}: panic:\n{err}");
    let code = status.code().unwrap_or_else(|| panic!("{what}: killed by a signal: {status:?}\n{err}"));
    assert!(code == 0 || code == 1, "{what}: exit {code}\n{err}");
    for line in err.lines() {
        assert!(line.starts_with("modinfo: "), "{what}: stray stderr line {line:?}");
    }
}

fn mutate_dir(sources: &[PathBuf], per_source: usize, seed: u64) -> (tempfile::TempDir, Vec<String>) {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = Rng(seed);
    let mut names = Vec::new();
    for (s, src) in sources.iter().enumerate() {
        let orig = std::fs::read(src).unwrap();
        for (i, m) in mutations(&orig, &mut rng, per_source).into_iter().enumerate() {
            let (name, data) = match i % 5 {
                3 => (format!("m{s}-{i}.ko.xz"), compress("xz", &m)),
                4 => (format!("m{s}-{i}.ko.zst"), compress("zstd", &m)),
                _ => (format!("m{s}-{i}.ko"), m),
            };
            std::fs::write(dir.path().join(&name), data).unwrap();
            names.push(name);
        }
        // broken compressed streams of the intact module
        for (ext, kind) in [("xz", "xz"), ("zst", "zstd")] {
            let c = compress(kind, &orig);
            for k in 0..6 {
                let mut bad = c.clone();
                if k % 2 == 0 {
                    bad.truncate(rng.below(c.len()));
                } else {
                    let at = 6 + rng.below(c.len() - 6);
                    bad[at] ^= 0x5A;
                }
                let name = format!("c{s}-{k}.ko.{ext}");
                std::fs::write(dir.path().join(&name), bad).unwrap();
                names.push(name);
            }
        }
    }
    (dir, names)
}

#[test]
fn mutated_fixture_modules() {
    let sources: Vec<PathBuf> = ["hello.ko", "signed/hello.ko", "hello_user.ko", "chain_b.ko"]
        .iter()
        .map(|p| fixture_ko(p))
        .collect();
    let (dir, names) = mutate_dir(&sources, 150, 0x5EED);
    assert!(names.len() >= 600);
    for chunk in names.chunks(100) {
        check_run(chunk, dir.path(), "mutated fixture modules");
    }
}

#[test]
#[ignore = "needs the Debian kernel trees: run tests/run-all"]
fn mutated_real_modules() {
    let mut sources = Vec::new();
    for tag in ["amd64-6.1", "s390x", "armhf"] {
        let tree = crate::util::tree(tag);
        sources.extend(tree.modules().into_iter().step_by(97).take(12));
    }
    let (dir, names) = mutate_dir(&sources, 40, 0xC0FFEE);
    for chunk in names.chunks(100) {
        check_run(chunk, dir.path(), "mutated real modules");
    }
}

/// Copy a module root, mutate one index file, and look modules up through it.
#[test]
fn mutated_indexes() {
    let src = fixtures().join("roots/basic/lib/modules/1.0.0-rk");
    let mut rng = Rng(0xB007F457);
    let queries: Vec<String> = [
        "hello",
        "hello-alias",
        "char-major-250-17",
        "symbol:hello_get_value",
        "ext4",
        "fs-ext4",
        "chain_a",
        "zzz",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let mut runs = 0;
    for index in [
        "modules.dep.bin",
        "modules.alias.bin",
        "modules.symbols.bin",
        "modules.builtin.bin",
        "modules.builtin.alias.bin",
    ] {
        let orig = std::fs::read(src.join(index)).unwrap();
        for i in 0..60 {
            let root = damaged_index_tree(&src, index, &orig, i, &mut rng);
            let mut args =
                vec!["-b".to_string(), root.path().display().to_string(), "-k".into(), "1.0.0-rk".into()];
            args.extend(queries.iter().cloned());
            check_run(&args, root.path(), &format!("mutated {index} #{i}"));
            runs += 1;
        }
    }
    assert_eq!(runs, 300);
}
