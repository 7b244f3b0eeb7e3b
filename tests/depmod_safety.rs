//! depmod output is a pure function of its input, and is replaced atomically:
//! the same bytes with one thread and with many, across runs; and a run killed at any
//! moment leaves every index file either complete-old or complete-new, with no temp
//! file surviving the next run.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use crate::oracle_depmod::{pair_from, BIN_FILES, TEXT_FILES};
use crate::util::{applet, fixture_ko};

fn outputs(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    TEXT_FILES
        .iter()
        .chain(BIN_FILES.iter())
        .chain(["modules.weakdep"].iter())
        .map(|f| (f.to_string(), std::fs::read(dir.join(f)).unwrap_or_default()))
        .collect()
}

fn depmod(root: &Path, ver: &str, threads: &str) -> Command {
    let mut cmd = applet("depmod");
    cmd.env("RAYON_NUM_THREADS", threads).args(["-C", "/dev/null", "-b"]).arg(root).arg(ver);
    cmd
}

fn run_ok(mut cmd: Command) {
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

fn fixture_tree() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("lib/modules/1.0");
    for (sub, m) in [
        ("a", "hello"),
        ("a", "hello_user"),
        ("b", "chain_a"),
        ("b", "chain_b"),
        ("c", "chain_c"),
        ("c", "devnode"),
        ("d", "hello_soft"),
    ] {
        std::fs::create_dir_all(dir.join(sub)).unwrap();
        std::fs::copy(fixture_ko(&format!("{m}.ko")), dir.join(sub).join(format!("{m}.ko"))).unwrap();
    }
    (tmp, dir)
}

#[test]
fn same_bytes_whatever_the_thread_count() {
    let (tmp, dir) = fixture_tree();
    let mut seen = Vec::new();
    for threads in ["1", "2", "7", "1"] {
        run_ok(depmod(tmp.path(), "1.0", threads));
        seen.push(outputs(&dir));
    }
    assert!(seen.windows(2).all(|w| w[0] == w[1]), "outputs differ between runs or thread counts");
    let dep = String::from_utf8(seen[0]["modules.dep"].clone()).unwrap();
    assert!(dep.contains("a/hello_user.ko: a/hello.ko\n"), "{dep}");
    assert!(dep.contains("b/chain_a.ko: b/chain_b.ko c/chain_c.ko\n"), "{dep}");
}

#[test]
#[ignore = "needs the Debian kernel trees: run tests/run-all"]
fn same_bytes_whatever_the_thread_count_real_tree() {
    let t = crate::util::tree("amd64-6.1");
    let pair = pair_from(&t.module_dir(), &t.version, &|_| true);
    let mut first = None;
    for threads in ["1", "2", "16"] {
        run_ok(depmod(&pair.root("rkmod"), &t.version, threads));
        let out = outputs(&pair.dir("rkmod"));
        match &first {
            None => first = Some(out),
            Some(f) => assert!(f == &out, "{threads} threads gave different bytes"),
        }
    }
}

/// Kill depmod at spread-out moments while it replaces one complete set of indexes by
/// another; every file must be one of the two complete versions.
#[test]
#[ignore = "needs the Debian kernel trees: run tests/run-all"]
fn killed_runs_leave_old_or_new_files() {
    let t = crate::util::tree("amd64-6.1");
    let pair = pair_from(&t.module_dir(), &t.version, &|_| true);
    let (root, dir, ver) = (pair.root("rkmod"), pair.dir("rkmod"), t.version.clone());
    let order = std::fs::read_to_string(dir.join("modules.order")).unwrap();
    let reversed: String = order.lines().rev().map(|l| format!("{l}\n")).collect();
    // State A: indexes for the reversed order; state B: for the real order.
    std::fs::write(dir.join("modules.order"), &reversed).unwrap();
    run_ok(depmod(&root, &ver, "2"));
    let a = outputs(&dir);
    std::fs::write(dir.join("modules.order"), &order).unwrap();
    let start = Instant::now();
    run_ok(depmod(&root, &ver, "2"));
    let full = start.elapsed();
    let b = outputs(&dir);
    assert_ne!(a["modules.dep"], b["modules.dep"]);
    let mut torn_free_kills = 0;
    for i in 0..24u32 {
        std::fs::write(dir.join("modules.order"), &reversed).unwrap();
        run_ok(depmod(&root, &ver, "2"));
        std::fs::write(dir.join("modules.order"), &order).unwrap();
        let mut child = depmod(&root, &ver, "2")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(full.mul_f64(f64::from(i) / 20.0));
        let _ = child.kill();
        let _ = child.wait();
        for (name, now) in outputs(&dir) {
            assert!(
                now == a[&name] || now == b[&name],
                "kill #{i}: {name} is neither the old nor the new file"
            );
        }
        torn_free_kills += 1;
    }
    assert_eq!(torn_free_kills, 24);
    // The next complete run removes any temp file a killed run left behind.
    run_ok(depmod(&root, &ver, "2"));
    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.') || n.contains("tmp"))
        .collect();
    assert!(leftovers.is_empty(), "temp files left: {leftovers:?}");
    assert_eq!(outputs(&dir), b);
}
