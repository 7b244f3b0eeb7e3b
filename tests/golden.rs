//! Golden tests: `fixtures/golden/<applet>/<case>/` holds `cmd` (one argument per line)
//! and the expected `stdout`, `stderr` and `status`, recorded from kmod 30's tools.
//! Placeholders: `{FIX}` is the fixtures directory (cwd of every run); `{ARGV0}` is the
//! program path kmod's getopt prints. Cases with a `NOTE` file are not recorded from
//! kmod (it lacks the feature, e.g. `.ko.gz` in Debian's kmod 30); the note says where
//! the expectation comes from. Cases with a `KMOD34` file were recorded from kmod 34.2,
//! the reference where kmod 30 lacks a feature (docs/kmod-versions.md); the file says
//! how. kmod 34.2 is not a Debian 12 package: set `RKMOD_KMOD34_BIN` to the `bin`
//! directory of a kmod 34.2 build (with applet links) to re-record or re-check them.
//!
//! `RKMOD_GOLDEN_UPDATE=1 cargo test golden` re-records every case from its oracle;
//! `golden_cases_match_kmod` (run by `tests/run-all`) checks the files still match
//! kmod 30 (and kmod 34.2 when `RKMOD_KMOD34_BIN` is set).

use std::path::PathBuf;
use std::process::Command;

use crate::util::{applet, fixtures, kmod_tool, Outcome};

struct Case {
    dir: PathBuf,
    applet: String,
    args: Vec<String>,
}

fn cases() -> Vec<Case> {
    let mut out = Vec::new();
    let root = fixtures().join("golden");
    for applet_dir in std::fs::read_dir(&root).unwrap().flatten() {
        for case in std::fs::read_dir(applet_dir.path()).unwrap().flatten() {
            let cmd = std::fs::read_to_string(case.path().join("cmd")).unwrap();
            let fix = fixtures().display().to_string();
            out.push(Case {
                dir: case.path(),
                applet: applet_dir.file_name().to_string_lossy().into_owned(),
                args: cmd.lines().map(|l| l.replace("{FIX}", &fix)).collect(),
            });
        }
    }
    out.sort_by(|a, b| a.dir.cmp(&b.dir));
    assert!(out.len() > 20, "golden cases missing");
    out
}

fn run(mut cmd: Command, case: &Case) -> Outcome {
    cmd.args(&case.args).current_dir(fixtures());
    cmd.output().unwrap().into()
}

/// Replace machine-specific paths by placeholders.
fn normalize(bytes: &[u8], argv0: &str) -> Vec<u8> {
    let s = String::from_utf8_lossy(bytes);
    s.replace(&fixtures().display().to_string(), "{FIX}").replace(argv0, "{ARGV0}").into_bytes()
}

fn expected(case: &Case) -> Outcome {
    let read = |f: &str| std::fs::read(case.dir.join(f)).unwrap_or_default();
    let status = String::from_utf8(read("status")).unwrap().trim().parse().ok();
    Outcome { status, stdout: read("stdout"), stderr: read("stderr") }
}

fn normalized(o: Outcome, argv0: &str) -> Outcome {
    Outcome { status: o.status, stdout: normalize(&o.stdout, argv0), stderr: normalize(&o.stderr, argv0) }
}

fn save(case: &Case, o: &Outcome) {
    std::fs::write(case.dir.join("stdout"), &o.stdout).unwrap();
    std::fs::write(case.dir.join("stderr"), &o.stderr).unwrap();
    std::fs::write(case.dir.join("status"), format!("{}\n", o.status.unwrap_or(-1))).unwrap();
}

/// The tool a case was recorded from, or None: a `NOTE` case has no oracle, and a
/// `KMOD34` case has one only where `RKMOD_KMOD34_BIN` names a kmod 34.2 build.
fn oracle(case: &Case) -> Option<Command> {
    if case.dir.join("NOTE").exists() {
        return None;
    }
    if case.dir.join("KMOD34").exists() {
        let bin = PathBuf::from(std::env::var_os("RKMOD_KMOD34_BIN")?).join(&case.applet);
        let mut cmd = Command::new(bin);
        cmd.env_remove("MODPROBE_OPTIONS").env("LANG", "C").env("LC_ALL", "C");
        return Some(cmd);
    }
    Some(kmod_tool(&case.applet))
}

fn argv0_of(cmd: &Command) -> String {
    cmd.get_program().to_string_lossy().into_owned()
}

#[test]
fn golden_cases() {
    let update = std::env::var_os("RKMOD_GOLDEN_UPDATE").is_some();
    let mut failures = Vec::new();
    for case in cases() {
        if let Some(cmd) = oracle(&case).filter(|_| update) {
            let argv0 = argv0_of(&cmd);
            save(&case, &normalized(run(cmd, &case), &argv0));
        }
        let argv0 = crate::util::applet_dir().join(&case.applet).display().to_string();
        let ours = normalized(run(applet(&case.applet), &case), &argv0);
        let want = expected(&case);
        if ours != want {
            failures.push(format!("{}:\n{}", case.dir.display(), crate::util::describe_diff(&ours, &want)));
        }
    }
    assert!(failures.is_empty(), "{} golden case(s) differ:\n{}", failures.len(), failures.join("\n"));
}

#[test]
#[ignore = "needs kmod installed: run tests/run-all"]
fn golden_cases_match_kmod() {
    let mut failures = Vec::new();
    let mut checked = 0;
    for case in cases() {
        let Some(cmd) = oracle(&case) else { continue };
        checked += 1;
        let argv0 = argv0_of(&cmd);
        let theirs = normalized(run(cmd, &case), &argv0);
        if theirs != expected(&case) {
            failures.push(case.dir.display().to_string());
        }
    }
    assert!(checked > 20, "only {checked} cases have an oracle here");
    assert!(failures.is_empty(), "kmod no longer produces these golden files: {failures:?}");
}
