//! depmod runs that share a tree or run out of room: concurrent runs on one output
//! directory all succeed and leave one complete, consistent set; a full disk fails with
//! `No space left on device`, leaves every file old-complete or new-complete, and needs
//! no more room than kmod (the old set plus one new file). Both are seeded generators:
//! trees of generated modules, rounds of concurrent runs, sweeps of tmpfs sizes.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use crate::oracle_depmod::{BIN_FILES, TEXT_FILES};
use crate::util::applet;
use crate::util::elfgen::{ModSpec, Rng};

const VER: &str = "1.0.0-durable";

fn outputs(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    TEXT_FILES
        .iter()
        .chain(BIN_FILES.iter())
        .chain(["modules.weakdep"].iter())
        .map(|f| (f.to_string(), std::fs::read(dir.join(f)).unwrap_or_default()))
        .collect()
}

/// A tree of `n` generated modules with aliases and a chain of dependencies.
fn make_tree(dir: &Path, n: usize, aliases: usize, seed: u64) {
    let mut rng = Rng(seed);
    std::fs::create_dir_all(dir.join("kernel")).unwrap();
    let mut order = String::new();
    for i in 0..n {
        let needs: Vec<String> = (0..3)
            .map(|_| format!("sym{}", rng.below(n as u64)))
            .filter(|s| *s != format!("sym{i}"))
            .collect();
        let needs: Vec<&str> =
            needs.iter().filter(|s| s[3..].parse::<usize>().unwrap() < i).map(|s| s.as_str()).collect();
        let mut spec = ModSpec::new(&[&format!("sym{i}")], &needs);
        for a in 0..aliases {
            spec = spec.alias(&format!("pci:v{:08X}d{:08X}sv*sd*bc*sc*i*", rng.next() as u32, a));
        }
        std::fs::write(dir.join(format!("kernel/m{i}.ko")), spec.build()).unwrap();
        order.push_str(&format!("kernel/m{i}.ko\n"));
    }
    std::fs::write(dir.join("modules.order"), order).unwrap();
}

fn depmod(root: &Path) -> Command {
    let mut cmd = applet("depmod");
    cmd.env_remove("RKMOD_DEPMOD_CACHE").args(["-a", "-C", "/dev/null", "-b"]).arg(root).arg(VER);
    cmd
}

/// Three (and two) runs at once on the same tree, many rounds: every run exits 0, the
/// result is the single-run result, and no temp file is left.
#[test]
fn concurrent_runs_all_succeed() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("lib/modules").join(VER);
    make_tree(&dir, 400, 4, 7);
    let out = depmod(tmp.path()).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let want = outputs(&dir);
    // Before runs took turns, about one round in eight lost a run here.
    for round in 0..40 {
        let n = if round % 4 == 3 { 2 } else { 3 };
        let children: Vec<_> = (0..n)
            .map(|_| {
                depmod(tmp.path())
                    .stdout(std::process::Stdio::null())
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for c in children {
            let o = c.wait_with_output().unwrap();
            assert!(o.status.success(), "round {round}: {}", String::from_utf8_lossy(&o.stderr));
        }
        assert!(outputs(&dir) == want, "round {round}: the set differs from a single run's");
        let temps: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with('.'))
            .collect();
        assert!(temps.is_empty(), "round {round}: {temps:?}");
    }
}

/// Pages a file of `len` bytes takes on tmpfs.
fn pages(len: u64) -> u64 {
    len.div_ceil(4096)
}

/// A tree of modules on a tmpfs of `kib` KiB, in a private mount namespace: depmod with
/// one order (the old set), then with another. Returns (second run's exit code and
/// stderr, the files after it, whether the first run succeeded).
fn full_disk_round(src: &Path, kib: u64, work: &Path) -> (i32, String, BTreeMap<String, Vec<u8>>, bool) {
    let mnt = work.join("mnt");
    let keep = work.join("keep");
    let _ = std::fs::remove_dir_all(&keep);
    std::fs::create_dir_all(&mnt).unwrap();
    std::fs::create_dir_all(&keep).unwrap();
    let depmod = crate::util::applet_dir().join("depmod");
    let script = format!(
        r#"mount --make-rprivate / && mount -t tmpfs -o size={kib}k tmpfs "{mnt}" || exit 99
mkdir -p "{mnt}/lib/modules/{VER}" && cp -a "{src}/." "{mnt}/lib/modules/{VER}/" || exit 98
"{depmod}" -C /dev/null -b "{mnt}" {VER} 2>/dev/null; echo $? >"{keep}/first"
tac "{src}/modules.order" >"{mnt}/lib/modules/{VER}/modules.order" || exit 97
"{depmod}" -C /dev/null -b "{mnt}" {VER} 2>"{keep}/err"; echo $? >"{keep}/rc"
cp -a "{mnt}/lib/modules/{VER}/." "{keep}/" 2>/dev/null
ls -a "{mnt}/lib/modules/{VER}" >"{keep}/ls"
exit 0
"#,
        mnt = mnt.display(),
        src = src.display(),
        keep = keep.display(),
        depmod = depmod.display(),
    );
    let out = Command::new("unshare")
        .args(["-m", "sh", "-c", &script])
        .env_remove("RKMOD_DEPMOD_CACHE")
        .output()
        .expect("unshare (util-linux) is needed");
    assert_eq!(out.status.code(), Some(0), "needs root for unshare -m and tmpfs: {out:?}");
    let read = |n: &str| std::fs::read_to_string(keep.join(n)).unwrap();
    let rc: i32 = read("rc").trim().parse().unwrap();
    let listing = read("ls");
    assert!(!listing.lines().any(|l| l.starts_with(".rkmod")), "{kib} KiB: temp file left:\n{listing}");
    (rc, read("err"), outputs(&keep), read("first").trim() == "0")
}

/// Sweep tmpfs sizes from too small to ample. At every size the second run either
/// succeeds with the whole new set or fails with `No space left on device`, each file
/// old-complete or new-complete. It must succeed whenever the tree, the old set and the
/// largest new file fit (kmod writes and renames one file at a time and needs no more).
#[test]
fn full_disk_keeps_files_whole_and_needs_kmods_room() {
    let work = tempfile::tempdir().unwrap();
    let src = work.path().join("src");
    make_tree(&src, 150, 30, 11);
    // The old and new sets, on a roomy disk.
    let roomy = tempfile::tempdir().unwrap();
    let rdir = roomy.path().join("lib/modules").join(VER);
    std::fs::create_dir_all(&rdir).unwrap();
    Command::new("cp").arg("-a").arg(format!("{}/.", src.display())).arg(&rdir).status().unwrap();
    assert!(depmod(roomy.path()).status().unwrap().success());
    let old = outputs(&rdir);
    let order = std::fs::read_to_string(src.join("modules.order")).unwrap();
    let reversed: String = order.lines().rev().map(|l| format!("{l}\n")).collect();
    std::fs::write(rdir.join("modules.order"), reversed).unwrap();
    assert!(depmod(roomy.path()).status().unwrap().success());
    let new = outputs(&rdir);
    assert_ne!(old["modules.dep"], new["modules.dep"]);
    let tree_pages: u64 =
        std::fs::read_dir(&src).unwrap().flatten().map(|e| pages(e.metadata().unwrap().len())).sum::<u64>()
            + std::fs::read_dir(src.join("kernel"))
                .unwrap()
                .flatten()
                .map(|e| pages(e.metadata().unwrap().len()))
                .sum::<u64>();
    let set = |s: &BTreeMap<String, Vec<u8>>| s.values().map(|v| pages(v.len() as u64)).sum::<u64>();
    let max_new = new.values().map(|v| pages(v.len() as u64)).max().unwrap();
    // What kmod needs: the tree, the old set and one new file (plus a few pages of slack
    // for directories); what writing every new file first needs is more.
    let enough = tree_pages + set(&old).max(set(&new)) + max_new + 8;
    assert!(enough < tree_pages + set(&old) + set(&new), "the tree cannot tell the two apart");
    let mut rng = Rng(0xD15C);
    let mut sizes: Vec<u64> =
        (0..14).map(|_| 4 * (tree_pages + rng.below(set(&old) * 2 + max_new))).collect();
    sizes.push(4 * enough);
    sizes.push(4 * (enough + 1));
    let mut saw_enospc = false;
    for kib in sizes {
        let (rc, err, files, first_ok) = full_disk_round(&src, kib, work.path());
        if !first_ok {
            continue;
        }
        for (name, now) in &files {
            assert!(
                now == &old[name] || now == &new[name],
                "{kib} KiB: {name} is neither old nor new\n{err}"
            );
        }
        if rc == 0 {
            assert!(files == new, "{kib} KiB: success without the whole new set");
        } else {
            assert!(err.contains("No space left on device"), "{kib} KiB: {err}");
            saw_enospc = true;
            assert!(kib < 4 * enough, "{kib} KiB fails, but {} KiB should suffice: {err}", 4 * enough);
        }
    }
    assert!(saw_enospc, "no size was too small: the sweep tests nothing");
}
