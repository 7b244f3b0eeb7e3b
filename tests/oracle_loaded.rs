//! kmod 30 against rkmod on a made-up set of loaded modules, without a kernel: in a
//! private mount namespace (`unshare -m`, root) a tmpfs replaces `/proc` with our
//! `modules` and `cmdline`, and `/sys/module` is bound to a scratch tree. Both tools
//! then read the same state through the real paths, and every case below stops
//! before any system call (lsmod, rmmod's in-use checks, modprobe's "already
//! loaded", "in use", "not in kernel", "builtin" and dry runs), so nothing reaches
//! the host kernel. stdout, stderr and exit status must be identical.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::util::{applet, describe_diff, fixture_ko, kmod_tool, private_lib_modules, Outcome};

const VER: &str = "6.1.0-56-amd64";

/// A scratch tree: `proc/`, `sys/module/`, and a module directory for modprobe -d.
struct State {
    dir: tempfile::TempDir,
}

impl State {
    fn new() -> State {
        let dir = tempfile::tempdir().unwrap();
        let s = State { dir };
        std::fs::create_dir_all(s.path().join("proc")).unwrap();
        std::fs::create_dir_all(s.path().join("sys/module")).unwrap();
        std::fs::create_dir_all(s.path().join("conf")).unwrap();
        std::fs::write(s.path().join("proc/cmdline"), "BOOT_IMAGE=/vmlinuz quiet\n").unwrap();
        let md = s.path().join("root/lib/modules").join(VER);
        std::fs::create_dir_all(md.join("extra")).unwrap();
        for m in ["hello", "hello_user", "hello_soft", "chain_a", "chain_b", "chain_c"] {
            std::fs::copy(fixture_ko(&format!("{m}.ko")), md.join(format!("extra/{m}.ko"))).unwrap();
        }
        std::fs::write(md.join("modules.builtin"), "kernel/fs/ext4/ext4.ko\n").unwrap();
        let o = kmod_tool("depmod").arg("-b").arg(s.path().join("root")).arg(VER).output().unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        s
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// A loaded module: its /proc/modules line (appended) and sysfs entries.
    fn module(&self, name: &str, size: u32, holders: &[&str], files: &[(&str, &str)]) {
        let dir = self.path().join("sys/module").join(name);
        std::fs::create_dir_all(dir.join("holders")).unwrap();
        for h in holders {
            std::os::unix::fs::symlink(format!("../../{h}"), dir.join("holders").join(h)).unwrap();
        }
        for (f, v) in files {
            std::fs::write(dir.join(f), v).unwrap();
        }
        let users = if holders.is_empty() {
            "-".to_string()
        } else {
            holders.iter().map(|h| format!("{h},")).collect()
        };
        let line = format!("{name} {size} {} {users} Live 0x0000000000000000\n", holders.len());
        let mut all = std::fs::read_to_string(self.path().join("proc/modules")).unwrap_or_default();
        all.push_str(&line);
        std::fs::write(self.path().join("proc/modules"), all).unwrap();
    }

    fn live(&self, name: &str, holders: &[&str]) {
        let refcnt = format!("{}\n", holders.len());
        self.module(
            name,
            16384,
            holders,
            &[("initstate", "live\n"), ("refcnt", &refcnt), ("coresize", "16384\n")],
        );
    }

    /// `program args...` in a namespace that sees this state.
    fn run(&self, program: Command, args: &[&str]) -> Outcome {
        let s = self.path().display().to_string();
        let script = format!(
            "set -e; mount -t tmpfs none /proc; cp -a '{s}/proc/.' /proc/; \
             mount --bind '{s}/sys/module' /sys/module; exec \"$0\" \"$@\""
        );
        let mut cmd = Command::new("unshare");
        cmd.args(["-m", "sh", "-c", &script]).arg(program.get_program()).args(args);
        cmd.env_remove("MODPROBE_OPTIONS").env("LANG", "C").env("LC_ALL", "C");
        let o: Outcome = cmd.output().unwrap().into();
        let argv0 = program.get_program().to_string_lossy().into_owned();
        let norm =
            |b: &[u8]| String::from_utf8_lossy(b).replace(&argv0, "{ARGV0}").replace(&s, "{S}").into_bytes();
        Outcome { status: o.status, stdout: norm(&o.stdout), stderr: norm(&o.stderr) }
    }

    fn modprobe_args<'a>(&'a self, conf: &'a str, root: &'a str, args: &[&'a str]) -> Vec<&'a str> {
        let mut v = vec!["-C", conf, "-d", root, "-S", VER];
        v.extend_from_slice(args);
        v
    }
}

/// Run each case with both tools; the differences, and kmod's outcomes (so the test
/// can check they show what the case is about, not a failure of the set-up).
fn compare(state: &State, tool: &str, cases: &[Vec<&str>]) -> (Vec<String>, Vec<Outcome>) {
    let mut failures = Vec::new();
    let mut seen = Vec::new();
    for args in cases {
        let theirs = state.run(kmod_tool(tool), args);
        let ours = state.run(applet(tool), args);
        if ours != theirs {
            failures.push(format!("{tool} {args:?}:\n{}", describe_diff(&ours, &theirs)));
        }
        seen.push(theirs);
    }
    (failures, seen)
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn conf_dir(state: &State, text: &str) -> PathBuf {
    let p = state.path().join("conf");
    std::fs::write(p.join("t.conf"), text).unwrap();
    p
}

#[test]
#[ignore = "needs root (a private mount namespace) and kmod: run tests/run-all"]
fn lsmod_rmmod_and_modprobe_checks_match_kmod() {
    let s = State::new();
    s.live("msdos", &[]);
    s.live("fat", &["msdos"]);
    s.live("hello_soft", &[]);
    s.live("hello", &["hello_user", "chain_b"]);
    s.live("hello_user", &[]);
    s.live("chain_c", &["chain_b"]);
    s.live("chain_b", &[]);
    // In /proc/modules but gone from sysfs (the unload race), and half-published ones.
    s.module("ghost", 100, &[], &[]);
    s.module("no_refcnt", 200, &[], &[("initstate", "live\n")]);
    std::fs::create_dir_all(s.path().join("sys/module/coming_mod")).unwrap();
    s.module("busy_mod", 300, &[], &[("initstate", "live\n"), ("refcnt", "2\n")]);
    s.module("odd-name.x", 5, &[], &[]);

    let (mut failures, seen) = compare(&s, "lsmod", &[vec![]]);
    let listing = text(&seen[0].stdout);
    assert!(listing.contains("\nfat                    16384  1 msdos\n"), "{listing}");
    assert!(listing.contains("\nghost                    100  -2\n"), "{listing}");
    assert!(listing.contains("\nodd_name                  -2  -2\n"), "{listing}");
    let (f, seen) = compare(
        &s,
        "rmmod",
        &[
            vec!["fat"],
            vec!["hello"],
            vec!["ghost", "fat", "nope"],
            vec!["no_refcnt"],
            vec!["coming_mod"],
            vec!["busy_mod"],
            vec!["-v", "busy_mod"],
            vec!["odd-name.x"],
        ],
    );
    failures.extend(f);
    assert_eq!(text(&seen[0].stderr), "rmmod: ERROR: Module fat is in use by: msdos\n");
    assert!(text(&seen[5].stderr).contains("Module busy_mod is in use"), "{}", text(&seen[5].stderr));
    let conf = conf_dir(&s, "softdep chain_a pre: hello\nremove msdos /bin/true\n");
    let conf = conf.display().to_string();
    let root = s.path().join("root").display().to_string();
    let m = |args: &[&'static str]| {
        s.modprobe_args(&conf, &root, args).into_iter().map(String::from).collect::<Vec<_>>()
    };
    let cases: Vec<Vec<String>> = vec![
        m(&["-r", "fat"]),
        m(&["-r", "hello"]),
        m(&["-r", "-a", "chain_c", "nope", "hello"]),
        m(&["-r", "--first-time", "chain_a"]),
        m(&["-r", "chain_a"]),
        m(&["-r", "ext4"]),
        m(&["-r", "-q", "fat"]),
        m(&["-r", "nope"]),
        m(&["-r", "-n", "-v", "msdos"]),
        // With -r every argument is a module, -a or not (kmod's rmmod_all).
        m(&["-r", "-n", "-v", "msdos", "hello_soft"]),
        m(&["-r", "-n", "-v", "hello_soft", "nope", "msdos"]),
        m(&["hello"]),
        m(&["--first-time", "hello"]),
        m(&["--first-time", "ext4"]),
        m(&["-n", "-v", "hello_user"]),
        m(&["-n", "-v", "chain_a"]),
        m(&["-D", "chain_a"]),
        m(&["-a", "hello", "chain_c"]),
    ];
    let cases: Vec<Vec<&str>> = cases.iter().map(|c| c.iter().map(String::as_str).collect()).collect();
    let (f, seen) = compare(&s, "modprobe", &cases);
    failures.extend(f);
    assert_eq!(text(&seen[1].stderr), "modprobe: FATAL: Module hello is in use.\n");
    assert!(text(&seen[15].stdout).contains("/chain_a.ko"), "{}", text(&seen[15].stdout));
    assert!(text(&seen[9].stdout).contains("rmmod hello_soft"), "{}", text(&seen[9].stdout));
    assert!(failures.is_empty(), "{} case(s) differ:\n{}", failures.len(), failures.join("\n"));
}

#[test]
#[ignore = "needs root (a private mount namespace) and kmod: run tests/run-all"]
fn static_nodes_match_kmod() {
    // kmod reads /lib/modules/$(uname -r)/modules.devname: a bind mount over /lib/modules
    // in the namespace holds ours (the host's /lib/modules is never written).
    let s = State::new();
    let release = rkmod::kernel::kernel_release().unwrap();
    let lm = s.path().join("libmodules").join(&release);
    std::fs::create_dir_all(&lm).unwrap();
    std::fs::write(
        lm.join("modules.devname"),
        "# Device nodes to trigger on-demand module loading.\n\
         fuse fuse c10:229\n\
         dm_mod mapper/control c10:236\n\
         loop loop-control c10:237\n\
         bad entry here\n\
         btrfs btrfs-control c10:234\n\
         nvme nvme-fabrics b 7:1\n",
    )
    .unwrap();
    let out = s.path().join("out");
    let cases: Vec<Vec<String>> = vec![
        vec!["static-nodes".into()],
        vec!["static-nodes".into(), "--format=tmpfiles".into()],
        vec!["static-nodes".into(), "-f".into(), "devname".into()],
        vec!["static-nodes".into(), "--format=human".into()],
        vec![
            "static-nodes".into(),
            "--format=tmpfiles".into(),
            "-o".into(),
            out.join("a/b/static-nodes.conf").display().to_string(),
        ],
    ];
    let mut failures = Vec::new();
    for args in &cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let mut results = Vec::new();
        for program in [kmod_tool("kmod"), applet("kmod")] {
            let _ = std::fs::remove_dir_all(&out);
            let script = format!(
                "{}exec \"$0\" \"$@\"",
                private_lib_modules(&s.path().join("libmodules"), &s.path().join("ns"))
            );
            let mut cmd = Command::new("unshare");
            cmd.args(["-m", "sh", "-c", &script]).arg(program.get_program()).args(&args).env("LANG", "C");
            let o: Outcome = cmd.output().unwrap().into();
            let written = std::fs::read(out.join("a/b/static-nodes.conf")).ok();
            results.push((o, written));
        }
        if results[0] != results[1] {
            failures.push(format!("kmod {args:?}:\n{}", describe_diff(&results[1].0, &results[0].0)));
        }
    }
    // Without the file: a warning, exit 0.
    std::fs::remove_file(lm.join("modules.devname")).unwrap();
    let both: Vec<Outcome> = [kmod_tool("kmod"), applet("kmod")]
        .into_iter()
        .map(|p| {
            let script = format!(
                "{}exec \"$0\" \"$@\"",
                private_lib_modules(&s.path().join("libmodules"), &s.path().join("ns"))
            );
            let mut cmd = Command::new("unshare");
            cmd.args(["-m", "sh", "-c", &script]).arg(p.get_program()).arg("static-nodes");
            cmd.output().unwrap().into()
        })
        .collect();
    if both[0] != both[1] {
        failures.push(format!("missing modules.devname:\n{}", describe_diff(&both[1], &both[0])));
    }
    assert_eq!(both[0].status, Some(0));
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
