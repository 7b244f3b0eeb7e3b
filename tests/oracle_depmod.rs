//! Oracle: kmod 30's depmod against rkmod as `depmod` on the four Debian trees, on a
//! subset tree like an initramfs builder's, and with `-e -F System.map`.
//!
//! For each case both tools run on their own copy of the same tree (module files are
//! hard links, inputs are copied); then: stdout, stderr and exit status identical; the
//! text files byte-identical; every `.bin` holds exactly kmod's (key, priority, value)
//! triples and is in kmod 34's pre-order layout; and kmod's own tools read rkmod's files
//! exactly as they read kmod's: `modprobe -c`, `modprobe --show-depends` and `modinfo`
//! for every module name.

use std::path::{Path, PathBuf};
use std::process::Command;

use rkmod::index::{Index, IndexBuilder};

use crate::util::{applet, describe_diff, kmod_tool, tree, Outcome, Tree};

pub const TEXT_FILES: [&str; 5] =
    ["modules.dep", "modules.alias", "modules.softdep", "modules.symbols", "modules.devname"];
pub const BIN_FILES: [&str; 5] = [
    "modules.dep.bin",
    "modules.alias.bin",
    "modules.symbols.bin",
    "modules.builtin.bin",
    "modules.builtin.alias.bin",
];

/// A scratch copy of a module tree: `<tmp>/{kmod,rkmod}/lib/modules/<ver>`.
pub struct Pair {
    pub tmp: tempfile::TempDir,
    pub version: String,
}

impl Pair {
    pub fn root(&self, who: &str) -> PathBuf {
        self.tmp.path().join(who)
    }
    pub fn dir(&self, who: &str) -> PathBuf {
        self.root(who).join("lib/modules").join(&self.version)
    }
}

/// Copy `src` (a module dir) twice: modules hard-linked (or copied across devices),
/// the input files copied. `keep` filters module paths relative to `src`.
pub fn pair_from(src: &Path, version: &str, keep: &dyn Fn(&str) -> bool) -> Pair {
    let tmp = tempfile::tempdir_in(crate::util::cache_dir()).unwrap();
    for who in ["kmod", "rkmod"] {
        let dst = tmp.path().join(who).join("lib/modules").join(version);
        copy_tree(src, &dst, src, keep);
    }
    Pair { tmp, version: version.to_string() }
}

fn copy_tree(dir: &Path, dst: &Path, top: &Path, keep: &dyn Fn(&str) -> bool) {
    std::fs::create_dir_all(dst).unwrap();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        let name = e.file_name().to_string_lossy().into_owned();
        if e.file_type().unwrap().is_dir() {
            copy_tree(&p, &dst.join(&name), top, keep);
        } else if name.contains(".ko") {
            let rel = p.strip_prefix(top).unwrap().to_string_lossy().into_owned();
            if keep(&rel) && std::fs::hard_link(&p, dst.join(&name)).is_err() {
                std::fs::copy(&p, dst.join(&name)).unwrap();
            }
        } else if ["modules.order", "modules.builtin", "modules.builtin.modinfo"].contains(&name.as_str()) {
            std::fs::copy(&p, dst.join(&name)).unwrap();
        }
    }
}

fn outcome(mut cmd: Command) -> Outcome {
    cmd.output().unwrap().into()
}

/// Replace the pair's roots so kmod's and rkmod's outputs compare.
fn norm(o: Outcome, pair: &Pair, who: &str) -> Outcome {
    let r = pair.root(who).display().to_string();
    let fix = |b: Vec<u8>| String::from_utf8_lossy(&b).replace(&r, "[ROOT]").into_bytes();
    Outcome { status: o.status, stdout: fix(o.stdout), stderr: fix(o.stderr) }
}

/// Run both depmods with the same arguments (`{ROOT}` replaced per side); compare.
pub fn run_both(pair: &Pair, args: &[&str]) -> Vec<String> {
    let empty = tempfile::tempdir().unwrap();
    let mut failures = Vec::new();
    let mut outs = Vec::new();
    for who in ["kmod", "rkmod"] {
        let mut cmd = if who == "kmod" { kmod_tool("depmod") } else { applet("depmod") };
        cmd.arg("-C").arg(empty.path());
        for a in args {
            cmd.arg(a.replace("{ROOT}", &pair.root(who).display().to_string()));
        }
        let argv0 = cmd.get_program().to_string_lossy().into_owned();
        let o = norm(outcome(cmd), pair, who);
        let fix = |b: Vec<u8>| String::from_utf8_lossy(&b).replace(&argv0, "[ARGV0]").into_bytes();
        outs.push(Outcome { status: o.status, stdout: fix(o.stdout), stderr: fix(o.stderr) });
    }
    if outs[0] != outs[1] {
        failures.push(format!("depmod {args:?}:\n{}", describe_diff(&outs[1], &outs[0])));
    }
    failures
}

/// Every (key, priority, value) of an index, sorted.
pub fn triples(path: &Path) -> Vec<(String, u32, String)> {
    let idx = Index::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut out = idx.entries().unwrap();
    out.sort();
    out
}

/// Compare the written files of both sides.
pub fn compare_files(pair: &Pair) -> Vec<String> {
    let mut failures = Vec::new();
    let (k, r) = (pair.dir("kmod"), pair.dir("rkmod"));
    for f in TEXT_FILES {
        let (a, b) = (std::fs::read(k.join(f)).unwrap(), std::fs::read(r.join(f)).unwrap());
        if a != b {
            let diff = describe_diff(
                &Outcome { status: None, stdout: b, stderr: vec![] },
                &Outcome { status: None, stdout: a, stderr: vec![] },
            );
            failures.push(format!("{f} differs:\n{diff}"));
        }
    }
    for f in BIN_FILES {
        let (a, b) = (triples(&k.join(f)), triples(&r.join(f)));
        if a != b {
            let first = a.iter().zip(&b).position(|(x, y)| x != y).unwrap_or(a.len().min(b.len()));
            failures.push(format!(
                "{f}: content differs at entry {first}: kmod {:?} rkmod {:?}",
                a.get(first),
                b.get(first)
            ));
        }
        // pre-order layout: rebuilding from the triples gives the same bytes
        let bytes = std::fs::read(r.join(f)).unwrap();
        let mut builder = IndexBuilder::default();
        let idx = Index::open(&r.join(f)).unwrap();
        for (key, prio, value) in idx.entries().unwrap().into_iter().rev() {
            builder.insert(&key, &value, prio);
        }
        if builder.to_bytes() != bytes {
            failures.push(format!("{f} is not in kmod 34's pre-order layout"));
        }
    }
    failures
}

/// kmod's own readers on both sides: `modprobe -c`, `--show-depends` and `modinfo`
/// over every module name.
pub fn compare_readers(pair: &Pair, names: &[String]) -> Vec<String> {
    let empty = tempfile::tempdir().unwrap();
    let mut failures = Vec::new();
    let run = |who: &str, args: &[&str], extra: &[String]| -> Outcome {
        let mut cmd = kmod_tool(args[0]);
        cmd.args(&args[1..]).args(extra);
        let mut cmd_with = cmd;
        cmd_with.env("RKMOD_UNUSED", who);
        norm(cmd_with.output().unwrap().into(), pair, who)
    };
    let e = empty.path().display().to_string();
    for who_args in [
        vec!["modprobe", "-C", &e, "-d", "{ROOT}", "-S", &pair.version, "-c"],
        vec!["modprobe", "-C", &e, "-d", "{ROOT}", "-S", &pair.version, "-a", "--show-depends"],
        vec!["modinfo", "-b", "{ROOT}", "-k", &pair.version],
    ] {
        for chunk in names.chunks(400) {
            let outs: Vec<Outcome> = ["kmod", "rkmod"]
                .iter()
                .map(|who| {
                    let root = pair.root(who).display().to_string();
                    let args: Vec<String> = who_args.iter().map(|a| a.replace("{ROOT}", &root)).collect();
                    let args: Vec<&str> = args.iter().map(String::as_str).collect();
                    let extra = if args.contains(&"-c") { &[][..] } else { chunk };
                    run(who, &args, extra)
                })
                .collect();
            if outs[0] != outs[1] {
                failures.push(format!(
                    "{} reads rkmod's files differently:\n{}",
                    who_args[0],
                    describe_diff(&outs[1], &outs[0])
                ));
                break;
            }
            if who_args.contains(&"-c") {
                break;
            }
        }
    }
    failures
}

/// Module names of a modules.dep file.
pub fn dep_names(dir: &Path) -> Vec<String> {
    std::fs::read_to_string(dir.join("modules.dep"))
        .unwrap()
        .lines()
        .map(|l| rkmod::name::path_to_modname(Path::new(l.split(':').next().unwrap())))
        .collect()
}

fn full_tree(tag: &str) {
    let t: Tree = tree(tag);
    let pair = pair_from(&t.module_dir(), &t.version, &|_| true);
    let mut failures = run_both(&pair, &["-b", "{ROOT}", &t.version]);
    failures.extend(compare_files(&pair));
    let names = dep_names(&pair.dir("kmod"));
    failures.extend(compare_readers(&pair, &names));
    // -n prints the text files; -e with the package's System.map reports unknown symbols.
    failures.extend(run_both(&pair, &["-n", "-b", "{ROOT}", &t.version]));
    let map = t.root.join("boot").join(format!("System.map-{}", t.version));
    failures
        .extend(run_both(&pair, &["-a", "-e", "-F", &map.display().to_string(), "-b", "{ROOT}", &t.version]));
    failures.extend(compare_files(&pair));
    assert!(failures.is_empty(), "{tag}: {} difference(s):\n{}", failures.len(), failures.join("\n"));
    eprintln!("{tag}: depmod identical on {} modules", names.len());
}

#[test]
#[ignore = "needs the Debian kernel trees: run tests/run-all"]
fn oracle_depmod_amd64_6_1() {
    full_tree("amd64-6.1");
}

#[test]
#[ignore = "needs the Debian kernel trees: run tests/run-all"]
fn oracle_depmod_amd64_6_12_xz() {
    full_tree("amd64-6.12");
}

#[test]
#[ignore = "needs the Debian kernel trees: run tests/run-all"]
fn oracle_depmod_s390x() {
    full_tree("s390x");
}

#[test]
#[ignore = "needs the Debian kernel trees: run tests/run-all"]
fn oracle_depmod_armhf() {
    full_tree("armhf");
}

/// An initramfs builder's tree: a few hundred modules of the 6.12 `.ko.xz` tree (the
/// closure of some storage, filesystem and network drivers, plus a spread of others),
/// every other one decompressed to a plain `.ko`, indexed with `depmod -a -b DESTDIR`.
#[test]
#[ignore = "needs the Debian kernel trees: run tests/run-all"]
fn oracle_depmod_initramfs_subset() {
    let t: Tree = tree("amd64-6.12");
    let src = t.module_dir();
    let dep = std::fs::read_to_string(src.join("modules.dep")).unwrap();
    // A BTreeMap, so the spread of extra modules is the same every run.
    let lines: std::collections::BTreeMap<String, Vec<String>> = dep
        .lines()
        .map(|l| {
            let (m, deps) = l.split_once(':').unwrap();
            (m.to_string(), deps.split_whitespace().map(String::from).collect())
        })
        .collect();
    let wanted = [
        "ext4",
        "xfs",
        "btrfs",
        "nvme",
        "ahci",
        "virtio_blk",
        "dm_crypt",
        "usb_storage",
        "sd_mod",
        "e1000e",
        "raid456",
    ];
    let mut keep: std::collections::BTreeSet<String> = Default::default();
    for (m, deps) in &lines {
        let name = rkmod::name::path_to_modname(Path::new(m));
        if wanted.contains(&name.as_str()) {
            keep.insert(m.clone());
            keep.extend(deps.iter().cloned());
        }
    }
    keep.extend(lines.keys().step_by(15).cloned());
    assert!(keep.len() >= 300, "only {} modules", keep.len());
    let tmp = tempfile::tempdir_in(crate::util::cache_dir()).unwrap();
    for who in ["kmod", "rkmod"] {
        let dst = tmp.path().join(who).join("lib/modules").join(&t.version);
        for (i, rel) in keep.iter().enumerate() {
            let from = src.join(rel);
            let to = dst.join(rel);
            std::fs::create_dir_all(to.parent().unwrap()).unwrap();
            if i % 2 == 0 {
                let plain = Command::new("xz").arg("-dc").arg(&from).output().unwrap().stdout;
                std::fs::write(to.with_extension(""), plain).unwrap();
            } else {
                std::fs::copy(&from, &to).unwrap();
            }
        }
        for f in ["modules.order", "modules.builtin", "modules.builtin.modinfo"] {
            std::fs::copy(src.join(f), dst.join(f)).unwrap();
        }
    }
    let pair = Pair { tmp, version: t.version.clone() };
    let mut failures = run_both(&pair, &["-a", "-b", "{ROOT}", &t.version]);
    failures.extend(compare_files(&pair));
    let names = dep_names(&pair.dir("kmod"));
    failures.extend(compare_readers(&pair, &names));
    assert!(failures.is_empty(), "{} difference(s):\n{}", failures.len(), failures.join("\n"));
    eprintln!("initramfs subset: depmod identical on {} modules", names.len());
}
