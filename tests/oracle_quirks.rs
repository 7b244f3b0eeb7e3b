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
