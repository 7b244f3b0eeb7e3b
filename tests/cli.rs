//! The command line itself: generated files kept current, native `rkmod info` extras,
//! start-up without file descriptors or `/dev/null`, and quiet broken pipes.

use std::io::Read;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Command, Stdio};

use crate::util::{applet, fixture_ko, rkmod_bin};

fn rkmod() -> Command {
    let mut c = Command::new(rkmod_bin());
    c.env("LC_ALL", "C").stdin(Stdio::null());
    c
}

#[test]
fn native_info_adds_build_id() {
    let ko = fixture_ko("hello.ko");
    let out = rkmod().arg("info").arg(&ko).output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let id_line = text.lines().find(|l| l.starts_with("build-id:")).expect("build-id line");
    let id = id_line.split_whitespace().nth(1).unwrap();
    assert_eq!(id.len(), 40, "a sha1 build-id: {id}");
    // same fields as modinfo otherwise
    let modinfo = applet("modinfo").arg(&ko).output().unwrap();
    let without: String =
        text.lines().filter(|l| !l.starts_with("build-id:")).map(|l| format!("{l}\n")).collect();
    assert_eq!(without.as_bytes(), modinfo.stdout);
    let only = rkmod().args(["info", "-F", "build-id"]).arg(&ko).output().unwrap();
    assert_eq!(String::from_utf8(only.stdout).unwrap().trim(), id);
}

#[test]
fn native_info_json() {
    let out = rkmod()
        .args(["info", "--json"])
        .arg(fixture_ko("signed/hello.ko"))
        .arg(fixture_ko("variants/hello.ko.xz"))
        .arg("no-such-module-anywhere")
        .args(["-b", "/nonexistent", "-k", "1"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "one argument failed");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["schema"], "rkmod.info/1");
    let m = &v["modules"][0];
    assert_eq!(m["name"], "hello");
    assert_eq!(m["builtin"], false);
    assert_eq!(m["compression"], "none");
    assert_eq!(v["modules"][1]["compression"], "xz");
    let params = m["parameters"].as_array().unwrap();
    let names: Vec<_> = params.iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["myint", "mystring", "myarray"], "declaration order");
    assert_eq!(params[2]["type"], "array of int");
    assert_eq!(params[0]["description"], "An integer parameter");
    assert_eq!(m["signature"]["id_type"], "PKCS#7");
    assert_eq!(m["signature"]["signer"], "rkmod fixture signing key");
    assert_eq!(m["signature"]["hash_algo"], "sha256");
    assert_eq!(m["aliases"], serde_json::json!(["char-major-250-17", "hello-alias"]));
    assert_eq!(m["depends"], serde_json::json!([]));
    assert_eq!(m["build_id"].as_str().unwrap().len(), 40);
    assert_eq!(v["errors"][0]["query"], "no-such-module-anywhere");
}

#[test]
fn loading_tools_without_arguments() {
    // (never `depmod` bare here: it would index the host's /lib/modules)
    for (name, msg) in
        [("insmod", "insmod: ERROR: missing filename.\n"), ("rmmod", "rmmod: ERROR: missing module name.\n")]
    {
        let out = applet(name).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{name}");
        assert_eq!(String::from_utf8_lossy(&out.stderr), msg);
    }
    for sub in ["insert", "remove"] {
        let out = rkmod().arg(sub).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{sub}: a usage error");
    }
}

/// Run the modinfo applet with fds 0-2 closed, as the kernel starts /sbin/modprobe.
fn run_with_closed_fds(mut cmd: Command) -> std::process::ExitStatus {
    // SAFETY: only async-signal-safe close(2) calls between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            for fd in 0..3 {
                libc::close(fd);
            }
            Ok(())
        });
    }
    cmd.status().unwrap()
}

#[test]
fn starts_with_fds_closed() {
    let mut ok = applet("modinfo");
    ok.args(["-F", "license"]).arg(fixture_ko("hello.ko"));
    assert_eq!(run_with_closed_fds(ok).code(), Some(0));
    let mut missing = applet("modinfo");
    missing.arg("/nonexistent/x.ko");
    assert_eq!(run_with_closed_fds(missing).code(), Some(1));
}

#[test]
fn starts_without_dev_null() {
    // A private mount namespace with an empty /dev, then every standard fd closed:
    // how an early initramfs runs the kernel's /sbin/modprobe.
    let script = r#"mount -t tmpfs none /dev && [ ! -e /dev/null ] && exec "$0" "$@" <&- >&- 2>&-"#;
    for (arg, want) in [(fixture_ko("hello.ko").display().to_string(), 0), ("/nonexistent/x.ko".into(), 1)] {
        let status = Command::new("unshare")
            .args(["-m", "sh", "-c", script])
            .arg(crate::util::applet_dir().join("modinfo"))
            .arg(arg)
            .status()
            .expect("unshare (util-linux) is needed");
        assert_eq!(status.code(), Some(want), "{status:?} (needs root for unshare -m)");
    }
}

#[test]
fn broken_pipe_is_quiet() {
    let mut child = applet("modinfo")
        .args(std::iter::repeat_n(fixture_ko("signed/hello.ko"), 400))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut head = [0u8; 10];
    child.stdout.take().unwrap().read_exact(&mut head).unwrap(); // then the pipe closes
    let out = child.wait_with_output().unwrap();
    assert!(out.stderr.is_empty(), "stderr: {}", String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success() || out.status.signal() == Some(libc::SIGPIPE), "{:?}", out.status);
}

#[test]
fn native_deps_matches_the_applet() {
    let tmp = tempfile::tempdir().unwrap();
    let mut dirs = Vec::new();
    for who in ["applet", "native"] {
        let dir = tmp.path().join(who).join("lib/modules/2.0");
        std::fs::create_dir_all(&dir).unwrap();
        for m in ["hello", "hello_user", "chain_a", "chain_b", "chain_c"] {
            std::fs::copy(fixture_ko(&format!("{m}.ko")), dir.join(format!("{m}.ko"))).unwrap();
        }
        dirs.push(dir);
    }
    let applet_out = applet("depmod")
        .args(["-C", "/dev/null", "-b"])
        .arg(tmp.path().join("applet"))
        .arg("2.0")
        .output()
        .unwrap();
    let native_out = rkmod()
        .args(["deps", "-C", "/dev/null", "-b"])
        .arg(tmp.path().join("native"))
        .arg("2.0")
        .output()
        .unwrap();
    assert_eq!(applet_out.status.code(), Some(0));
    assert_eq!(native_out.status.code(), Some(0), "{}", String::from_utf8_lossy(&native_out.stderr));
    for f in ["modules.dep", "modules.alias", "modules.symbols", "modules.dep.bin"] {
        assert_eq!(std::fs::read(dirs[0].join(f)).unwrap(), std::fs::read(dirs[1].join(f)).unwrap(), "{f}");
    }
    let dep = std::fs::read_to_string(dirs[1].join("modules.dep")).unwrap();
    assert!(dep.contains("chain_a.ko: chain_b.ko chain_c.ko"), "{dep}");
}

/// The bytes each `write(2, ...)` of a traced run put on stderr (strace's `-xx` output
/// decoded), in order.
fn stderr_writes(cmd: &mut Command) -> Vec<Vec<u8>> {
    let tmp = tempfile::tempdir().unwrap();
    let trace = tmp.path().join("trace");
    let mut strace = Command::new("strace");
    strace.args(["-f", "-qq", "-e", "trace=write", "-e", "signal=none", "-xx", "-s", "65536", "-o"]);
    strace.arg(&trace).arg(cmd.get_program()).args(cmd.get_args());
    for (k, v) in cmd.get_envs() {
        match v {
            Some(v) => strace.env(k, v),
            None => strace.env_remove(k),
        };
    }
    let out = strace.stdin(Stdio::null()).output().expect("strace (run tests/run-all, which installs it)");
    assert!(out.status.code().is_some(), "{:?}", out);
    let mut writes = Vec::new();
    for line in std::fs::read_to_string(&trace).unwrap().lines() {
        let Some(rest) = line.split_once("write(2, \"").map(|(_, r)| r) else { continue };
        let hex = rest.split('"').next().unwrap();
        let bytes: Vec<u8> =
            hex.split("\\x").filter(|h| !h.is_empty()).map(|h| u8::from_str_radix(h, 16).unwrap()).collect();
        writes.push(bytes);
    }
    writes
}

#[test]
#[ignore = "needs strace: run tests/run-all"]
fn every_message_line_is_one_write() {
    // Several rkmod processes share a stderr (udev workers, the kernel's parallel
    // modprobes): a line written in pieces would interleave with the others'.
    let tmp = tempfile::tempdir().unwrap();
    let conf = tmp.path().join("bad.conf");
    std::fs::write(&conf, "keep this\nalias\noptions\nsoftdep x\n").unwrap();
    let md = tmp.path().join("lib/modules/1.0");
    std::fs::create_dir_all(md.join("kernel")).unwrap();
    std::fs::copy(fixture_ko("hello.ko"), md.join("kernel/hello.ko")).unwrap();
    let root = tmp.path().to_str().unwrap();
    let conf = conf.to_str().unwrap();
    let cases: Vec<(&str, Vec<&str>)> = vec![
        ("depmod", vec!["-b", root, "1.0"]),
        ("modprobe", vec!["-C", conf, "-d", root, "-S", "1.0", "-a", "nosuch1", "nosuch2"]),
        ("modprobe", vec!["-C", conf, "-d", root, "-S", "1.0", "--bogus"]),
        ("modinfo", vec!["-b", root, "-k", "1.0", "nosuch", "hello"]),
        ("insmod", vec!["/nonexistent/x.ko"]),
        ("rmmod", vec!["nosuch_module_xyz"]),
    ];
    let mut seen = 0;
    for (tool, args) in &cases {
        let writes = stderr_writes(applet(tool).args(args));
        assert!(!writes.is_empty(), "{tool} {args:?} wrote nothing to stderr");
        for w in &writes {
            seen += 1;
            assert_eq!(
                w.last(),
                Some(&b'\n'),
                "{tool} {args:?}: a write that is not a whole line: {:?}",
                String::from_utf8_lossy(w)
            );
            let head = w.split(|&b| b == b':').next().unwrap();
            assert!(
                head.ends_with(tool.as_bytes()) || head == b"libkmod",
                "{tool} {args:?}: a line not starting with the program: {:?}",
                String::from_utf8_lossy(w)
            );
        }
    }
    let native =
        stderr_writes(rkmod().args(["probe", "-C", conf, "-d", root, "-S", "1.0", "-a", "nosuch1", "x"]));
    let lossy: Vec<_> = native.iter().map(|w| String::from_utf8_lossy(w)).collect();
    assert!(native.len() >= 2, "{lossy:?}");
    assert!(
        native.iter().all(|w| w.ends_with(b"\n") && w.iter().filter(|&&b| b == b'\n').count() == 1),
        "{lossy:?}"
    );
    assert!(seen >= 10, "only {seen} lines seen");
}

#[test]
fn version_line_parses_like_kmods() {
    // dracut: `modprobe --version | cut -d' ' -f3` must be a kmod release >= 3.7.
    for tool in ["modprobe", "insmod", "rmmod", "lsmod", "modinfo", "depmod", "kmod"] {
        for flag in ["-V", "--version"] {
            let out = applet(tool).arg(flag).output().unwrap();
            assert_eq!(out.status.code(), Some(0), "{tool} {flag}");
            let text = String::from_utf8(out.stdout).unwrap();
            let mut lines = text.lines();
            let first = lines.next().unwrap();
            let words: Vec<&str> = first.split(' ').collect();
            assert_eq!(&words[..2], ["kmod", "version"], "{tool} {flag}: {first}");
            let release: f64 = words[2].parse().unwrap_or_else(|_| panic!("{tool}: field 3 of {first:?}"));
            assert!(release >= 34.0, "{tool}: {first}");
            assert!(first.contains(&format!("rkmod {}", env!("CARGO_PKG_VERSION"))), "{tool}: {first}");
            let features: Vec<&str> = lines.next().unwrap().split(' ').collect();
            for f in ["+ZSTD", "+XZ", "+ZLIB"] {
                assert!(features.contains(&f), "{tool}: {features:?}");
            }
            assert_eq!(lines.next(), None);
        }
    }
}

#[test]
fn the_binary_generates_no_docs() {
    // Man pages and completions come from `cargo xtask`, not from hidden subcommands.
    for sub in ["man", "completions"] {
        let out = rkmod().args([sub, "bash"]).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{sub}");
        assert!(String::from_utf8_lossy(&out.stderr).contains("unrecognized subcommand"), "{sub}");
    }
}
