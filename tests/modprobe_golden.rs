//! Golden cases for what modprobe reads from outside its arguments: the kernel command
//! line, `MODPROBE_OPTIONS` and the default configuration directories. Each case is a
//! directory of `fixtures/roots/modprobe-kcmdline/` holding `cmd` (one argument per
//! line), `cmdline` (the contents of /proc/cmdline for the run), optionally `env`
//! (`KEY=VALUE` lines) and `mounts` (`bind SRC DST`, `tmpfs DST`, `mkdir DST`, with SRC
//! relative to the case), and the expected `stdout`, `stderr` and `status` recorded
//! from kmod 30. Runs happen in a private mount namespace (`unshare -m`) where
//! /proc/cmdline and the mounts are set up, so they need root; the cwd is the fixtures
//! directory and `{FIX}`/`{ARGV0}` are placeholders as in `golden.rs`.
//!
//! `RKMOD_GOLDEN_UPDATE=1` re-records from kmod.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::util::{applet, applet_dir, describe_diff, fixtures, kmod_tool, Outcome};

fn cases() -> Vec<PathBuf> {
    let root = fixtures().join("roots/modprobe-kcmdline");
    let mut out: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join("cmd").exists())
        .collect();
    out.sort();
    assert!(out.len() >= 10, "modprobe-kcmdline cases missing");
    out
}

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// The program run in a namespace prepared as the case says.
fn prepared(program: Command, case: &Path) -> Command {
    let mut script = format!(
        "set -e; mount --bind {} /proc/cmdline; ",
        shell_quote(&case.join("cmdline").display().to_string())
    );
    if let Ok(mounts) = std::fs::read_to_string(case.join("mounts")) {
        for line in mounts.lines().filter(|l| !l.trim().is_empty()) {
            let w: Vec<&str> = line.split_whitespace().collect();
            match w.as_slice() {
                ["bind", src, dst] => {
                    let src = case.join(src).display().to_string();
                    script += &format!("mount --bind {} {}; ", shell_quote(&src), shell_quote(dst));
                }
                ["tmpfs", dst] => script += &format!("mount -t tmpfs none {}; ", shell_quote(dst)),
                ["mkdir", dst] => script += &format!("mkdir -p {}; ", shell_quote(dst)),
                _ => panic!("{}: bad mounts line {line:?}", case.display()),
            }
        }
    }
    script += "exec \"$0\" \"$@\"";
    let mut cmd = Command::new("unshare");
    cmd.args(["-m", "sh", "-c", &script]).arg(program.get_program());
    let cmdline = std::fs::read_to_string(case.join("cmd")).unwrap();
    cmd.args(cmdline.lines());
    cmd.env_remove("MODPROBE_OPTIONS").env("LANG", "C").env("LC_ALL", "C");
    if let Ok(env) = std::fs::read_to_string(case.join("env")) {
        for line in env.lines() {
            let (k, v) = line.split_once('=').unwrap();
            cmd.env(k, v);
        }
    }
    cmd.current_dir(fixtures()).stdin(std::process::Stdio::null());
    cmd
}

fn normalize(bytes: &[u8], argv0: &str) -> Vec<u8> {
    let s = String::from_utf8_lossy(bytes);
    s.replace(&fixtures().display().to_string(), "{FIX}").replace(argv0, "{ARGV0}").into_bytes()
}

fn run(program: Command, case: &Path) -> Outcome {
    let argv0 = program.get_program().to_string_lossy().into_owned();
    let o: Outcome = prepared(program, case).output().unwrap().into();
    Outcome { status: o.status, stdout: normalize(&o.stdout, &argv0), stderr: normalize(&o.stderr, &argv0) }
}

fn expected(case: &Path) -> Outcome {
    let read = |f: &str| std::fs::read(case.join(f)).unwrap_or_default();
    let status = String::from_utf8(read("status")).unwrap().trim().parse().ok();
    Outcome { status, stdout: read("stdout"), stderr: read("stderr") }
}

#[test]
#[ignore = "needs root (a private mount namespace) and kmod: run tests/run-all"]
fn modprobe_kcmdline_env_and_default_dirs() {
    let update = std::env::var_os("RKMOD_GOLDEN_UPDATE").is_some();
    let _ = applet_dir();
    let mut failures = Vec::new();
    for case in cases() {
        if update {
            let o = run(kmod_tool("modprobe"), &case);
            std::fs::write(case.join("stdout"), &o.stdout).unwrap();
            std::fs::write(case.join("stderr"), &o.stderr).unwrap();
            std::fs::write(case.join("status"), format!("{}\n", o.status.unwrap_or(-1))).unwrap();
        }
        let want = expected(&case);
        let theirs = run(kmod_tool("modprobe"), &case);
        if theirs != want {
            failures.push(format!(
                "{} (kmod no longer gives this):\n{}",
                case.display(),
                describe_diff(&theirs, &want)
            ));
        }
        let ours = run(applet("modprobe"), &case);
        if ours != want {
            failures.push(format!("{}:\n{}", case.display(), describe_diff(&ours, &want)));
        }
    }
    assert!(failures.is_empty(), "{} case(s) differ:\n{}", failures.len(), failures.join("\n"));
}
