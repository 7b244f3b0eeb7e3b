//! Bytes that are not UTF-8, kmod 30 against rkmod: kmod passes them through, so
//! rkmod must too, byte for byte, in configuration (`options`, `install`, `alias`,
//! `blacklist`, `softdep`, bad lines, the backslash at the very end of a file), on the
//! kernel command line (`mod.param=`, `modprobe.blacklist=`), in `MODPROBE_OPTIONS`
//! and in the arguments of modprobe, insmod, rmmod and modinfo (names, parameters,
//! getopt errors). Install commands are run for real by both (they only write a file)
//! and must see the same bytes in their command line and in `MODPROBE_MODULE`.
//!
//! Both tools run in a private mount namespace with our file bound over
//! `/proc/cmdline` and with `-C`, on the `modprobe-basic` fixture tree, so nothing of
//! the host enters. Needs root: `#[ignore]`d in a plain `cargo test`.
//!
//! [`generated_byte_configs_match_kmod`] throws a few hundred seeded random byte
//! configurations and kernel command lines at both with `-c`, `--show-depends` and
//! `-n -v` (without `weakdep`, which kmod 30 lacks and rkmod takes from kmod 34.2:
//! `fixtures/golden-kmod34/`).

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::util::{applet, describe_diff, fixtures, kmod_tool, Outcome};

const VER: &str = "1.0.0-rk";

/// A scratch directory with a config dir and a kernel command line.
pub(crate) struct Scratch {
    dir: tempfile::TempDir,
}

impl Scratch {
    pub(crate) fn new(config: &[u8], cmdline: &[u8]) -> Scratch {
        let s = Scratch { dir: tempfile::tempdir().unwrap() };
        std::fs::create_dir_all(s.conf()).unwrap();
        s.set(config, cmdline);
        s
    }

    fn set(&self, config: &[u8], cmdline: &[u8]) {
        std::fs::write(self.conf().join("a.conf"), config).unwrap();
        std::fs::write(self.path().join("cmdline"), cmdline).unwrap();
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn conf(&self) -> PathBuf {
        self.path().join("conf")
    }

    /// `-C CONF -d ROOT -S VER` and `args`.
    pub(crate) fn modprobe_args(&self, args: &[&[u8]]) -> Vec<OsString> {
        let mut v: Vec<OsString> = vec!["-C".into(), self.conf().into(), "-d".into(), root().into()];
        v.extend(["-S".into(), VER.into()]);
        v.extend(args.iter().map(|a| OsString::from_vec(a.to_vec())));
        v
    }

    /// `program args` in a namespace with our /proc/cmdline; the program's path and
    /// the scratch path are replaced in the output, so the two tools compare.
    fn run(&self, program: Command, args: &[OsString], env: &[(&str, &[u8])]) -> Outcome {
        let script = format!(
            "mount --bind '{}' /proc/cmdline && exec \"$0\" \"$@\"",
            self.path().join("cmdline").display()
        );
        let mut cmd = Command::new("unshare");
        cmd.args(["-m", "sh", "-c", &script]).arg(program.get_program()).args(args);
        cmd.env_remove("MODPROBE_OPTIONS").env("LANG", "C").env("LC_ALL", "C");
        cmd.current_dir(self.path());
        for (k, v) in env {
            cmd.env(k, OsStr::from_bytes(v));
        }
        let o: Outcome = cmd.output().unwrap().into();
        let argv0 = program.get_program().as_bytes().to_vec();
        let scratch = self.path().as_os_str().as_bytes().to_vec();
        let norm = |b: &[u8]| replace(&replace(b, &argv0, b"{ARGV0}"), &scratch, b"{S}");
        Outcome { status: o.status, stdout: norm(&o.stdout), stderr: norm(&o.stderr) }
    }

    /// Run `tool` from kmod and from rkmod; a description of how they differ.
    pub(crate) fn compare(
        &self,
        tool: &str,
        args: &[OsString],
        env: &[(&str, &[u8])],
    ) -> (Option<String>, Outcome) {
        let theirs = self.run(kmod_tool(tool), args, env);
        let ours = self.run(applet(tool), args, env);
        let diff = (ours != theirs).then(|| {
            let shown: Vec<String> = args.iter().map(|a| format!("{:?}", a)).collect();
            format!("{tool} {}\n{}", shown.join(" "), describe_diff(&ours, &theirs))
        });
        (diff, theirs)
    }
}

fn root() -> PathBuf {
    fixtures().join("roots/modprobe-basic")
}

fn replace(hay: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    if from.is_empty() {
        return hay.to_vec();
    }
    let mut out = Vec::with_capacity(hay.len());
    let mut i = 0;
    while i < hay.len() {
        if hay[i..].starts_with(from) {
            out.extend_from_slice(to);
            i += from.len();
        } else {
            out.push(hay[i]);
            i += 1;
        }
    }
    out
}

pub(crate) fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// A configuration with bytes that are not UTF-8 in every directive.
const CONFIG: &[u8] = b"\
options hello mystring=\xe9t\xe9 myint=1
options chain_a x=\xff\ty=\"\xe9 z\"
install rk\xe9x printf '%s|' \"$MODPROBE_MODULE\" \"$MODPROBE_OPTIONS\" \xe9 $CMDLINE_OPTS > out-file
install hello_user echo \xe9 $CMDLINE_OPTS
remove chain_b echo \xe9
alias caf\xe9 hello
alias to-missing caf\xe9mod
alias to-blacklisted chain_c
blacklist caf\xe9mod
blacklist chain_c
softdep hello pre: \xe9x post: caf\xe9
softdep chain_b pre: caf\xe9
\xe9bad line
options \xe9[ a=1
alias x\xff-y hello
";

const CMDLINE: &[u8] = b"BOOT_IMAGE=/vmlinuz hello.q=\xe9 modprobe.blacklist=z\xe9,to_b\xff \xe9[.x=1 m\xe9.p=\"\xe9 \xe9\" quiet\n";

fn as_bytes(v: &[&str]) -> Vec<Vec<u8>> {
    v.iter().map(|s| s.as_bytes().to_vec()).collect()
}

#[test]
#[ignore = "needs root (a private mount namespace) and kmod: run tests/run-all"]
fn modprobe_passes_bytes_through_like_kmod() {
    let s = Scratch::new(CONFIG, CMDLINE);
    let mut cases: Vec<Vec<Vec<u8>>> = vec![
        as_bytes(&["-c"]),
        as_bytes(&["--show-depends", "hello"]),
        as_bytes(&["--show-depends", "hello_user"]),
        as_bytes(&["-n", "-v", "hello_user", "p=1"]),
        as_bytes(&["--show-depends", "chain_a"]),
        as_bytes(&["--show-depends", "to-missing"]),
        as_bytes(&["--show-depends", "to-blacklisted"]),
        as_bytes(&["-b", "--show-depends", "chain_c"]),
        as_bytes(&["-r", "-n", "-v", "chain_b"]),
    ];
    let bytes_args: &[&[&[u8]]] = &[
        &[b"--show-depends", b"caf\xe9"],
        &[b"-R", b"caf\xe9"],
        &[b"-R", b"x\xff-y"],
        &[b"--show-depends", b"\xe9"],
        &[b"-a", b"--show-depends", b"\xe9", b"hello", b"caf\xe9mod"],
        &[b"--show-depends", b"chain_a", b"x=\xe9", b"y=\xe9 z", b"\xff"],
        &[b"-n", b"-v", b"rk\xe9x", b"a=\xe9"],
        &[b"--show-depends", b"rk\xe9x", b"a=\xe9 b"],
        &[b"-a", b"-q", b"--show-depends", b"\xe9", b"hello"],
        &[b"--\xe9"],
        &[b"-\xe9"],
        &[b"-w", b"\xe9", b"-r", b"hello"],
        &[b"--show-modversions", b"/nonexistent/\xe9.ko"],
    ];
    cases.extend(bytes_args.iter().map(|a| a.iter().map(|b| b.to_vec()).collect()));
    let mut failures = Vec::new();
    let mut seen = Vec::new();
    for c in &cases {
        let args: Vec<&[u8]> = c.iter().map(Vec::as_slice).collect();
        let (diff, theirs) = s.compare("modprobe", &s.modprobe_args(&args), &[]);
        failures.extend(diff);
        seen.push(theirs);
    }
    // MODPROBE_OPTIONS is split as bytes too.
    let args = s.modprobe_args(&[b"--show-depends", b"hello"]);
    let (diff, _) = s.compare("modprobe", &args[..4], &[("MODPROBE_OPTIONS", b"-S 1.0.0-rk\xe9 -v")]);
    failures.extend(diff);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // The cases show what they are about (kmod's own answers).
    let out = |i: usize| seen[i].stdout.clone();
    assert!(contains(&out(0), b"options hello mystring=\xe9t\xe9 myint=1\n"));
    assert!(contains(&out(0), b"blacklist z\xe9\nblacklist to_b\xff\n"));
    assert!(contains(&out(1), b"mystring=\xe9t\xe9 myint=1 q=\xe9 \n"));
    assert!(contains(&out(3), b"install echo \xe9 $CMDLINE_OPTS p=1\n"));
    assert_eq!(seen[6].stdout, b"");
    assert_eq!(out(10), b"hello\n");
    assert!(contains(&seen[12].stderr, b"Module \xe9 not found in directory"));
}

#[test]
#[ignore = "needs root (a private mount namespace) and kmod: run tests/run-all"]
fn install_commands_run_with_the_same_bytes_as_kmod() {
    let s = Scratch::new(CONFIG, CMDLINE);
    // A second (empty) configuration directory, named by MODPROBE_OPTIONS.
    let extra = s.path().join(OsStr::from_bytes(b"c\xe9"));
    std::fs::create_dir_all(&extra).unwrap();
    let env = [&b"-C "[..], extra.as_os_str().as_bytes()].concat();
    let mut results = Vec::new();
    for tool in [kmod_tool("modprobe"), applet("modprobe")] {
        let _ = std::fs::remove_file(s.path().join("out-file"));
        let args = s.modprobe_args(&[b"rk\xe9x", b"a=\xe9", b"b=\xff c"]);
        let o = s.run(tool, &args, &[("MODPROBE_OPTIONS", &env)]);
        let written = std::fs::read(s.path().join("out-file")).unwrap_or_default();
        results.push((o, written));
    }
    let written = &results[0].1;
    assert!(
        written.starts_with(b"rk\xe9x|-C "),
        "kmod's run: {:?} {:?}",
        results[0].0,
        String::from_utf8_lossy(written)
    );
    assert!(contains(written, b"/c\xe9 -C "), "{:?}", String::from_utf8_lossy(written));
    assert!(written.ends_with(b"|\xe9|a=\xe9|b=\xff c|"), "{:?}", String::from_utf8_lossy(written));
    assert_eq!(results[1], results[0], "rkmod: {}", describe_diff(&results[1].0, &results[0].0));
}

#[test]
#[ignore = "needs root (a private mount namespace) and kmod: run tests/run-all"]
fn backslash_at_end_of_file_is_byte_ff_like_kmod() {
    let s = Scratch::new(b"options hello a=1\\", b"quiet\n");
    let (diff, theirs) = s.compare("modprobe", &s.modprobe_args(&[b"-c"]), &[]);
    assert!(diff.is_none(), "{}", diff.unwrap_or_default());
    assert!(contains(&theirs.stdout, b"options hello a=1\xff\n"));
    let (diff, theirs) = s.compare("modprobe", &s.modprobe_args(&[b"--show-depends", b"hello"]), &[]);
    assert!(diff.is_none(), "{}", diff.unwrap_or_default());
    assert!(contains(&theirs.stdout, b"a=1\xff \n"));
}

#[test]
#[ignore = "needs root (a private mount namespace) and kmod: run tests/run-all"]
fn other_tools_echo_names_as_bytes_like_kmod() {
    let s = Scratch::new(b"", b"quiet\n");
    let modules = root().join("lib/modules").join(VER);
    let cases: Vec<(&str, Vec<OsString>)> = vec![
        ("insmod", vec![OsString::from_vec(b"/nonexistent/\xe9.ko".to_vec())]),
        ("insmod", vec![OsString::from_vec(b"--\xe9".to_vec())]),
        ("rmmod", vec![OsString::from_vec(b"caf\xe9".to_vec())]),
        ("rmmod", vec![OsString::from_vec(b"-\xe9".to_vec())]),
        (
            "modinfo",
            vec!["-k".into(), VER.into(), "-b".into(), root().into(), OsString::from_vec(b"caf\xe9".into())],
        ),
        (
            "modinfo",
            vec![
                "-b".into(),
                root().into(),
                "-k".into(),
                VER.into(),
                "-m".into(),
                OsString::from_vec(b"\xff".into()),
            ],
        ),
        (
            "modinfo",
            vec![OsString::from_vec(b"-F\xe9".to_vec()), modules.join("kernel/misc/hello.ko").into()],
        ),
        ("modinfo", vec![OsString::from_vec(b"--\xe9=1".to_vec())]),
    ];
    let mut failures = Vec::new();
    let mut seen = Vec::new();
    for (tool, args) in &cases {
        let (diff, theirs) = s.compare(tool, args, &[]);
        failures.extend(diff);
        seen.push(theirs);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(contains(&seen[0].stderr, b"could not load module /nonexistent/\xe9.ko"));
    assert!(contains(&seen[4].stderr, b"Module caf\xe9 not found."));
}

/// A small xorshift generator: the same cases on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a>(&mut self, from: &[&'a [u8]]) -> &'a [u8] {
        from[self.below(from.len())]
    }
}

const WORDS: &[&[u8]] = &[
    b"options",
    b"install",
    b"remove",
    b"alias",
    b"blacklist",
    b"softdep",
    b"include",
    b"pre:",
    b"post:",
    b"hello",
    b"hello_user",
    b"chain_a",
    b"chain-b",
    b"caf\xe9",
    b"\xe9",
    b"\xff\xfe",
    b"x=\xe9",
    b"p=\"\xe9 q\"",
    b"$CMDLINE_OPTS",
    b"*",
    b"[",
    b"]",
    b"#",
    b"\\",
    b"=",
    b".",
    b",",
    b"\"",
    b"\xc3\xa9",
];
const SEPARATORS: &[&[u8]] = &[b" ", b" ", b" ", b"\t", b"\n", b"\\\n", b"  ", b"\0"];
const CMDLINE_WORDS: &[&[u8]] = &[
    b"hello.a=\xe9",
    b"modprobe.blacklist=",
    b"hello",
    b"chain_a",
    b".",
    b"=",
    b"\"",
    b" ",
    b" ",
    b"\t",
    b"\xe9",
    b"caf\xe9",
    b",",
    b"[",
    b"x\xff.p=1",
    b"hello.q",
];

fn random_bytes(rng: &mut Rng, words: &[&[u8]], seps: &[&[u8]], len: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for _ in 0..len {
        if rng.below(6) == 0 {
            out.push(0x80 + rng.below(0x80) as u8);
        } else {
            out.extend_from_slice(rng.pick(words));
        }
        out.extend_from_slice(rng.pick(seps));
    }
    if rng.below(8) == 0 {
        out.push(b'\\');
    }
    out
}

#[test]
#[ignore = "needs root (a private mount namespace) and kmod: run tests/run-all"]
fn generated_byte_configs_match_kmod() {
    let s = Scratch::new(b"", b"");
    let mut rng = Rng(0x5eed_b17e_5eed_b17e);
    let mut failures = Vec::new();
    let cases = 300;
    for case in 0..cases {
        let (n, m) = (4 + rng.below(40), rng.below(12));
        let config = random_bytes(&mut rng, WORDS, SEPARATORS, n);
        let cmdline = random_bytes(&mut rng, CMDLINE_WORDS, &[b" ", b"", b" "], m);
        s.set(&config, &cmdline);
        let names: Vec<&[u8]> = (0..3).map(|_| rng.pick(WORDS)).collect();
        let mut modes: Vec<Vec<&[u8]>> = vec![vec![b"-c"]];
        modes.push([&[&b"-a"[..], b"--show-depends"][..], &names].concat());
        modes.push([&[&b"-a"[..], b"-n", b"-v", b"-i"][..], &names].concat());
        for args in modes {
            let (diff, _) = s.compare("modprobe", &s.modprobe_args(&args), &[]);
            if let Some(d) = diff {
                failures.push(format!(
                    "case {case}: config {:?}\ncmdline {:?}\n{d}",
                    String::from_utf8_lossy(&config),
                    String::from_utf8_lossy(&cmdline)
                ));
            }
        }
        if failures.len() >= 5 {
            break;
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Configuration file and directory names that are not UTF-8 appear in kmod's
/// messages as their bytes.
#[test]
#[ignore = "needs root (a private mount namespace) and kmod: run tests/run-all"]
fn config_paths_with_bytes_like_kmod() {
    let s = Scratch::new(b"", b"quiet\n");
    let dir = s.path().join(OsStr::from_bytes(b"d\xe9"));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::create_dir_all(s.conf().join(OsStr::from_bytes(b"x\xe9.conf"))).unwrap();
    std::fs::write(dir.join(OsStr::from_bytes(b"\xff.conf")), b"bogus\xe9 line\n").unwrap();
    let mut args: Vec<OsString> = vec!["-C".into(), dir.into_os_string()];
    args.extend(s.modprobe_args(&[b"-R", b"hello"]));
    let (diff, theirs) = s.compare("modprobe", &args, &[]);
    assert!(diff.is_none(), "{}", diff.unwrap_or_default());
    assert!(contains(
        &theirs.stderr,
        b"/d\xe9/\xff.conf line 1: ignoring bad line starting with 'bogus\xe9'"
    ));
    assert!(contains(&theirs.stderr, b"not supported: {S}/conf/x\xe9.conf"));
}
