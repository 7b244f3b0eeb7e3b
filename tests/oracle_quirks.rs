//! modprobe.d lines whose meaning hangs on one of kmod's parsing details, kmod 30
//! against rkmod as `modprobe` (same harness as [`crate::oracle_bytes`]: a mount
//! namespace with our `/proc/cmdline`, `-C`, the `modprobe-basic` tree).
//!
//! - `softdep NAME  pre: ...` (two blanks, or tab and blank, after the name): kmod's
//!   softdep parser keeps the one blank in the first token, so ` pre:` is no marker and
//!   the names after it are dropped up to the next marker; three blanks are fine. Its
//!   tokens are split on every `isspace` byte (CR, VT and FF too).

use crate::oracle_bytes::{contains, Scratch};

#[test]
#[ignore = "needs root (a private mount namespace) and kmod: run tests/run-all"]
fn softdep_marker_after_two_blanks_like_kmod() {
    let config = b"\
softdep hello  pre: chain_c post: hello_soft
softdep chain_a \t pre: hello post: chain_c
softdep chain_b\t post: hello
softdep hello_user pre:\rchain_c\x0bhello_soft\x0cchain_a
softdep devnode   pre: chain_b  post:  hello_soft
";
    let s = Scratch::new(config, b"quiet\n");
    let mut failures = Vec::new();
    let mut seen = Vec::new();
    for args in [
        &[&b"-c"[..]][..],
        &[b"--show-depends", b"hello"],
        &[b"--show-depends", b"chain_a"],
        &[b"--show-depends", b"chain_b"],
        &[b"--show-depends", b"hello_user"],
        &[b"--show-depends", b"devnode"],
    ] {
        let (diff, theirs) = s.compare("modprobe", &s.modprobe_args(args), &[]);
        failures.extend(diff);
        seen.push(theirs);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // kmod's answers show the quirk: hello gets only its post softdep, chain_b none.
    assert!(contains(&seen[0].stdout, b"softdep hello post: hello_soft\n"));
    assert!(contains(&seen[0].stdout, b"\nsoftdep chain_b \n"));
    assert!(contains(&seen[0].stdout, b"\nsoftdep hello_user pre: chain_c hello_soft chain_a\n"));
    assert!(!contains(&seen[1].stdout, b"chain_c.ko"), "{}", String::from_utf8_lossy(&seen[1].stdout));
}

/// A config alias whose module name and pattern together pass kmod's PATH_MAX
/// (`namelen + aliaslen + 2 > 4096`): libkmod cannot make the module object, says
/// `Could not create module for alias=... modname=...: File name too long`, and the
/// whole lookup fails: "not found", exit 1 (kmod 34.2 agrees, in other words).
#[test]
#[ignore = "needs root (a private mount namespace) and kmod: run tests/run-all"]
fn alias_target_too_long_like_kmod() {
    let config = format!(
        "alias longx {}\nalias longy {}\nalias longw {}\nalias longv hello\nalias longv {}\nsoftdep hello pre: longx chain_c\n",
        "a".repeat(4095),
        "b".repeat(4090),
        "c".repeat(4089),
        "d".repeat(5000),
    );
    let s = Scratch::new(config.as_bytes(), b"quiet\n");
    let mut failures = Vec::new();
    let mut seen = Vec::new();
    for args in [
        &[&b"--show-depends"[..], b"longx"][..],
        &[b"--show-depends", b"longy"],
        &[b"--show-depends", b"longw"],
        &[b"--show-depends", b"longv"],
        &[b"-R", b"longx"],
        &[b"-a", b"--show-depends", b"longx", b"chain_c"],
        &[b"-r", b"longx"],
        &[b"--show-depends", b"hello"],
    ] {
        let (diff, theirs) = s.compare("modprobe", &s.modprobe_args(args), &[]);
        failures.extend(diff);
        seen.push(theirs);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(seen[0].status, Some(1));
    assert!(contains(&seen[0].stderr, b": File name too long\nmodprobe: FATAL: Module longx not found"));
    assert_eq!(seen[1].status, Some(1));
    assert_eq!(seen[2].status, Some(0), "4089 + 5 + 2 = 4096 still fits");
    assert_eq!(seen[3].status, Some(1), "one bad match fails the whole lookup");
    assert!(contains(&seen[7].stderr, b"failed to lookup soft dependency 'longx', continuing anyway."));
}

/// A `modules.dep` line naming a dependency file that is gone: libkmod reports it from
/// `kmod_module_parse_depline` (with its context's address), drops the module's
/// dependencies, and reports again each time the line is parsed (once for the lookup,
/// once for the probe list); the module itself is still inserted. Compared with kmod 30
/// byte for byte once the addresses are written `PTR`.
#[test]
#[ignore = "needs kmod: run tests/run-all"]
fn missing_dependency_file_like_kmod() {
    use crate::util::{applet, fixtures, kmod_tool, run, Outcome};
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("root");
    let src = fixtures().join("roots/modprobe-basic");
    assert!(std::process::Command::new("cp").arg("-a").arg(&src).arg(&root).status().unwrap().success());
    std::fs::remove_file(root.join("lib/modules/1.0.0-rk/kernel/chain/chain_c.ko")).unwrap();
    let conf = tmp.path().join("conf");
    std::fs::create_dir(&conf).unwrap();
    let scrub = |b: Vec<u8>| -> Vec<u8> {
        let mut out = Vec::new();
        let mut rest = &b[..];
        while let Some(i) = rest.windows(6).position(|w| w == b"ctx=0x") {
            out.extend_from_slice(&rest[..i]);
            out.extend_from_slice(b"ctx=PTR");
            rest = &rest[i + 6..];
            let n = rest.iter().take_while(|c| c.is_ascii_hexdigit()).count();
            rest = &rest[n..];
        }
        out.extend_from_slice(rest);
        out
    };
    for args in [&["-n", "-v", "chain_a"][..], &["--show-depends", "chain_a"], &["-n", "-v", "chain_b"]] {
        let mut all =
            vec!["-C".to_string(), conf.display().to_string(), "-d".into(), root.display().to_string()];
        all.extend(["-S", "1.0.0-rk"].map(String::from));
        all.extend(args.iter().map(|s| s.to_string()));
        let theirs: Outcome = run(kmod_tool("modprobe").args(&all)).into();
        let ours: Outcome = run(applet("modprobe").args(&all)).into();
        let (t, o) = (
            (theirs.status, theirs.stdout.clone(), scrub(theirs.stderr.clone())),
            (ours.status, ours.stdout, scrub(ours.stderr)),
        );
        assert_eq!(
            o,
            t,
            "modprobe {args:?}\nkmod: {}\nrkmod: {}",
            String::from_utf8_lossy(&t.2),
            String::from_utf8_lossy(&o.2)
        );
        assert!(
            contains(&t.2, b"kmod_module_parse_depline() ctx=PTR path="),
            "{}",
            String::from_utf8_lossy(&t.2)
        );
    }
}
