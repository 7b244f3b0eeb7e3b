//! modprobe's work grows with the size of what it plans, not with its square: `-D` on
//! a dependency chain twice as deep makes about twice the system calls, as kmod's does.
//! Counted with strace (`-c`), never timed.

use std::path::Path;
use std::process::Command;

use crate::util::chain::{chain_top, write_chain};
use crate::util::{applet, kmod_tool};

/// Total system calls of a run, from `strace -f -c` (the summary's total line).
fn syscalls(cmd: &Command) -> u64 {
    let tmp = tempfile::tempdir().unwrap();
    let summary = tmp.path().join("summary");
    let o = Command::new("strace")
        .args(["-f", "-c", "-o"])
        .arg(&summary)
        .arg(cmd.get_program())
        .args(cmd.get_args())
        .env("LC_ALL", "C")
        .output()
        .expect("strace (run tests/run-all, which installs it)");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = std::fs::read_to_string(&summary).unwrap();
    let total = text.lines().find(|l| l.trim_end().ends_with("total")).expect("strace summary");
    // `100.00    0.000123       2        61         3            total`: calls is the
    // 4th column.
    total.split_whitespace().nth(3).unwrap().parse().unwrap()
}

fn show_depends(tool: Command, root: &Path, n: usize) -> Command {
    let mut c = tool;
    c.arg("-C").arg(root.join("conf")).arg("-d").arg(root).args(["-S", "1.0", "-D", &chain_top(n)]);
    c
}

#[test]
#[ignore = "needs strace and kmod: run tests/run-all"]
fn show_depends_is_linear_in_the_chain() {
    let mut counts = Vec::new();
    for n in [150, 300] {
        let tmp = tempfile::tempdir().unwrap();
        write_chain(tmp.path(), "1.0", n).unwrap();
        std::fs::create_dir_all(tmp.path().join("conf")).unwrap();
        let out = show_depends(applet("modprobe"), tmp.path(), n).output().unwrap();
        assert!(out.status.success());
        assert_eq!(out.stdout.split(|&b| b == b'\n').filter(|l| !l.is_empty()).count(), n);
        let ours = syscalls(&show_depends(applet("modprobe"), tmp.path(), n));
        let kmod = syscalls(&show_depends(kmod_tool("modprobe"), tmp.path(), n));
        counts.push((n, ours, kmod));
    }
    let [(_, a, ka), (_, b, kb)] = counts[..] else { unreachable!() };
    // Doubling the chain: kmod's count a little under twice; a quadratic planner's four
    // times. Allow twice plus a constant.
    assert!(b <= 2 * a + 200, "rkmod: {counts:?} (n, rkmod syscalls, kmod syscalls)");
    assert!(b <= kb + kb / 2, "rkmod makes far more system calls than kmod: {counts:?}");
    let _ = ka;
}
