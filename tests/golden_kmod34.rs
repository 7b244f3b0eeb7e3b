//! Golden cases recorded from kmod 34.2 (`fixtures/golden-kmod34/`, see its README):
//! what kmod 30 lacks and rkmod does as kmod 34.2 does (`weakdep`). rkmod runs as the
//! applet with `RKMOD_TEST_ROOT` (the fake kernel: nothing is loaded) so that the
//! case's `cmdline` is its /proc/cmdline without a mount namespace.

use std::path::PathBuf;

use crate::util::{applet, applet_dir, describe_diff, fixtures, Outcome};

fn cases() -> Vec<PathBuf> {
    let root = fixtures().join("golden-kmod34/modprobe");
    let mut out: Vec<PathBuf> = std::fs::read_dir(&root).unwrap().flatten().map(|e| e.path()).collect();
    out.sort();
    assert!(out.len() >= 4, "kmod 34.2 golden cases missing");
    out
}

#[test]
fn modprobe_matches_kmod34_recordings() {
    let mut failures = Vec::new();
    for case in cases() {
        let read = |f: &str| std::fs::read(case.join(f)).unwrap();
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(root.path().join("proc")).unwrap();
        std::fs::write(root.path().join("proc/cmdline"), read("cmdline")).unwrap();
        let cmd = String::from_utf8(read("cmd")).unwrap();
        let o: Outcome = applet("modprobe")
            .args(cmd.lines())
            .env("RKMOD_TEST_ROOT", root.path())
            .current_dir(fixtures())
            .output()
            .unwrap()
            .into();
        let fix = fixtures().display().to_string();
        let argv0 = applet_dir().join("modprobe").display().to_string();
        let norm = |b: &[u8]| String::from_utf8_lossy(b).replace(&fix, "{FIX}").replace(&argv0, "{ARGV0}");
        let ours = Outcome {
            status: o.status,
            stdout: norm(&o.stdout).into_bytes(),
            stderr: norm(&o.stderr).into_bytes(),
        };
        let status = String::from_utf8(read("status")).unwrap().trim().parse().ok();
        let want = Outcome { status, stdout: read("stdout"), stderr: read("stderr") };
        if ours != want {
            failures.push(format!("{}:\n{}", case.display(), describe_diff(&ours, &want)));
        }
    }
    assert!(failures.is_empty(), "{} case(s) differ:\n{}", failures.len(), failures.join("\n"));
}
