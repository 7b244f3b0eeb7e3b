//! Oracle: kmod 30's `modprobe` against rkmod as `modprobe` on the four Debian trees,
//! for the modes that load nothing. stdout, stderr and exit status must be
//! byte-identical for:
//!
//! - `--show-depends` and `-R` of every module name and of a concrete modalias made
//!   from every `modules.alias` pattern (wildcards filled in as udev would send them),
//!   with no configuration and with a generated modprobe.d set that uses every
//!   directive on the tree's own modules;
//! - the real callers' command lines: systemd's `modprobe -abq NAME` (on names kmod
//!   finishes without a system call: builtin modules and blacklisted aliases),
//!   initramfs-tools' `MODPROBE_OPTIONS=-qb modprobe --all --set-version=VER
//!   --ignore-install --quiet --show-depends NAMES...`, `modprobe -c`, `modprobe -n -v`.
//!
//! Both run in a private mount namespace with `/proc/cmdline` bind-mounted from a file
//! of ours, and with `-C`, so the host's configuration never enters (kmod reads the
//! host's /etc/modprobe.d and /proc/cmdline even with `-d`). Needs root and the trees:
//! `#[ignore]`d in a plain `cargo test`; `tests/run-all` runs them.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::util::{applet, describe_diff, kmod_tool, tree, Outcome, Tree};

const BATCH: usize = 400;

/// Scratch files shared by a tree's runs: an empty config dir, a config set, and the
/// kernel command line to bind over /proc/cmdline.
struct Scratch {
    _dir: tempfile::TempDir,
    empty: PathBuf,
    conf: PathBuf,
    cmdline: PathBuf,
}

/// `cmd` run in a private mount namespace with `cmdline` over /proc/cmdline.
fn isolated(cmd: Command, cmdline: &Path) -> Command {
    let mut wrapped = Command::new("unshare");
    wrapped
        .arg("-m")
        .arg("sh")
        .arg("-c")
        .arg(format!("mount --bind '{}' /proc/cmdline && exec \"$0\" \"$@\"", cmdline.display()));
    wrapped.arg(cmd.get_program()).args(cmd.get_args());
    for (k, v) in cmd.get_envs() {
        match v {
            Some(v) => wrapped.env(k, v),
            None => wrapped.env_remove(k),
        };
    }
    wrapped.stdin(std::process::Stdio::null());
    wrapped
}

fn outcome(cmd: Command) -> std::thread::JoinHandle<Outcome> {
    let mut cmd = cmd;
    std::thread::spawn(move || cmd.output().expect("spawn").into())
}

/// Compare kmod and rkmod on one argument list; `env` is set for both.
fn compare(s: &Scratch, env: &[(&str, &str)], args: &[String]) -> Option<String> {
    let mut theirs = kmod_tool("modprobe");
    let mut ours = applet("modprobe");
    for c in [&mut theirs, &mut ours] {
        c.args(args);
        for (k, v) in env {
            c.env(k, v);
        }
    }
    let (t, o) = (outcome(isolated(theirs, &s.cmdline)), outcome(isolated(ours, &s.cmdline)));
    let (t, o) = (t.join().unwrap(), o.join().unwrap());
    // rkmod's argv[0] differs from kmod's only in getopt messages, which these runs avoid.
    (t != o).then(|| describe_diff(&o, &t))
}

/// `opts` + a batch of names with `-a`; a differing batch is re-run name by name.
fn compare_all(
    s: &Scratch,
    what: &str,
    env: &[(&str, &str)],
    opts: &[String],
    names: &[String],
) -> Vec<String> {
    let mut failures = Vec::new();
    for chunk in names.chunks(BATCH) {
        if compare(s, env, &[opts, chunk].concat()).is_none() {
            continue;
        }
        for name in chunk {
            if let Some(diff) = compare(s, env, &[opts, std::slice::from_ref(name)].concat()) {
                failures.push(format!("[{what}] modprobe {} {name}\n{diff}", opts.join(" ")));
                if failures.len() >= 5 {
                    return failures;
                }
            }
        }
        if failures.is_empty() {
            let diff = compare(s, env, &[opts, chunk].concat()).unwrap_or_default();
            failures.push(format!("[{what}] batch differs but no single name does:\n{diff}"));
        }
    }
    failures
}

fn s(v: &[&str]) -> Vec<String> {
    v.iter().map(|x| x.to_string()).collect()
}

/// Module names (from modules.dep) and the alias patterns of modules.alias.
fn names_and_patterns(tree: &Tree) -> (Vec<String>, Vec<String>) {
    let dep = std::fs::read_to_string(tree.module_dir().join("modules.dep")).unwrap();
    let names = dep
        .lines()
        .filter_map(|l| l.split(':').next())
        .map(|p| p.rsplit('/').next().unwrap().split('.').next().unwrap().replace('-', "_"))
        .collect();
    let alias = std::fs::read_to_string(tree.module_dir().join("modules.alias")).unwrap();
    let patterns: BTreeSet<String> = alias
        .lines()
        .filter_map(|l| l.strip_prefix("alias "))
        .filter_map(|l| l.split(' ').next())
        .map(String::from)
        .collect();
    (names, patterns.into_iter().collect())
}

/// A string udev could send that the pattern matches: `*` and `?` become `0` (`*` at
/// a hex position still matches), a bracket its first listed char; negated brackets
/// give None.
pub fn concrete(pattern: &str) -> Option<String> {
    let mut out = String::new();
    let mut chars = pattern.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '*' | '?' => out.push('0'),
            '[' => {
                let first = chars.next()?;
                if first == '!' || first == '^' {
                    return None;
                }
                out.push(first);
                for c in chars.by_ref() {
                    if c == ']' {
                        break;
                    }
                }
            }
            c => out.push(c),
        }
    }
    Some(out)
}

/// builtin module names (modules.builtin), normalised.
fn builtins(tree: &Tree) -> Vec<String> {
    let text = std::fs::read_to_string(tree.module_dir().join("modules.builtin")).unwrap_or_default();
    text.lines().map(|p| p.rsplit('/').next().unwrap().split('.').next().unwrap().replace('-', "_")).collect()
}

/// A modprobe.d set over the tree's own modules with every directive: wildcard and
/// exact aliases (some to aliases, builtins and missing modules), options by name and
/// by alias (with continuation lines), install and remove commands (exact and
/// wildcard), blacklists, softdeps (first match wins, aliases as targets, loops), and
/// bad lines.
fn config_set(names: &[String], patterns: &[String], builtins: &[String]) -> String {
    let n = |i: usize| names[i * 7919 % names.len()].clone();
    let mut c = String::from("# generated by oracle_modprobe\n");
    for i in 0..40 {
        let m = n(i);
        match i % 10 {
            0 => c += &format!("alias rk-alias-{i}-* {m}\nalias rk-alias-{i}-x {}\n", n(i + 100)),
            1 => {
                c += &format!(
                    "options {m} rk_opt={i} \\\n   rk_more=\"a b\"\noptions rk-alias-{}-x via_alias=1\n",
                    i - 1
                )
            }
            2 => c += &format!("install {m} /bin/true $CMDLINE_OPTS\nremove {m} /bin/false\n"),
            3 => c += &format!("blacklist {m}\n"),
            4 => {
                c += &format!(
                    "softdep {m} pre: {} rk-alias-0-y post: {}\nsoftdep {m} pre: {}\n",
                    n(i + 1),
                    n(i + 2),
                    n(i + 3)
                )
            }
            5 => c += &format!("softdep {m} pre: {}\nsoftdep {} pre: {m}\n", n(i + 1), n(i + 1)),
            6 => {
                c += &format!("install rk-cmd-{i} /bin/echo rk $CMDLINE_OPTS\nsoftdep rk-cmd-{i} pre: {m}\n")
            }
            7 => c += &format!("options {m}\tspaced\t=1\nblacklist {}\n", n(i + 5)),
            8 => {
                c += &format!(
                    "alias rk-builtin-{i} {}\nalias rk-missing-{i} rk_no_such_module\n",
                    builtins.get(i).unwrap_or(&m)
                )
            }
            _ => c += &format!("bogus {m}\nsoftdep {m}\n"),
        }
    }
    // Wildcards over real names, and options/blacklists on real alias patterns.
    c += "softdep snd_* pre: soundcore\ninstall usb_storage* /bin/true\nblacklist pcspkr\n";
    for p in patterns.iter().step_by(97).take(20) {
        c += &format!("blacklist {}\n", names[p.len() % names.len()]);
    }
    c
}

fn scratch(tree: &Tree, names: &[String], patterns: &[String]) -> Scratch {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty");
    let conf = dir.path().join("conf");
    std::fs::create_dir_all(&empty).unwrap();
    std::fs::create_dir_all(&conf).unwrap();
    std::fs::write(conf.join("rk.conf"), config_set(names, patterns, &builtins(tree))).unwrap();
    let cmdline = dir.path().join("cmdline");
    std::fs::write(&cmdline, "BOOT_IMAGE=/vmlinuz root=/dev/sda1 ro quiet\n").unwrap();
    Scratch { _dir: dir, empty, conf, cmdline }
}

fn oracle(tag: &str) {
    let tree = tree(tag);
    let (names, patterns) = names_and_patterns(&tree);
    assert!(names.len() > 2000, "{tag}: only {} modules", names.len());
    let modaliases: Vec<String> = patterns.iter().filter_map(|p| concrete(p)).collect();
    let sc = scratch(&tree, &names, &patterns);
    let root = tree.root.display().to_string();
    // The harness itself works: kmod, isolated, prints plans.
    let mut probe = kmod_tool("modprobe");
    probe.args(["-C", &sc.empty.display().to_string(), "-d", &root, "-S", &tree.version, "-a", "-D"]);
    probe.args(&names[..50]);
    let o: Outcome = isolated(probe, &sc.cmdline).output().unwrap().into();
    assert_eq!(o.status, Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stdout).matches("insmod /").count() >= 50);
    let mut failures = Vec::new();
    let mut runs = 0;
    for (what, conf) in [("no config", &sc.empty), ("config set", &sc.conf)] {
        let conf = conf.display().to_string();
        let base = s(&["-C", &conf, "-d", &root, "-S", &tree.version, "-a"]);
        for (mode, list) in [("names", &names), ("modaliases", &modaliases)] {
            for flag in ["--show-depends", "-R"] {
                let opts = [base.clone(), s(&[flag])].concat();
                failures.extend(compare_all(&sc, &format!("{what}, {mode}, {flag}"), &[], &opts, list));
                runs += list.len();
            }
        }
        // initramfs-tools' call.
        let opts = [
            s(&["-C", &conf, "-d", &root]),
            s(&["--all", &format!("--set-version={}", tree.version), "--ignore-install", "--quiet"]),
            s(&["--show-depends"]),
        ]
        .concat();
        failures.extend(compare_all(
            &sc,
            &format!("{what}, initramfs-tools"),
            &[("MODPROBE_OPTIONS", "-qb")],
            &opts,
            &names,
        ));
        // modprobe -n -v (what the host has loaded counts for both alike).
        let opts = [base.clone(), s(&["-n", "-v"])].concat();
        failures.extend(compare_all(&sc, &format!("{what}, -n -v"), &[], &opts, &names));
        // systemd's -abq on names kmod finishes without a system call.
        let mut quiet: Vec<String> = builtins(&tree);
        quiet.extend((0..40).map(|i| format!("rk-builtin-{i}")));
        let opts = s(&["-C", &conf, "-d", &root, "-S", &tree.version, "-abq"]);
        failures.extend(compare_all(&sc, &format!("{what}, -abq"), &[], &opts, &quiet));
        // modprobe -c.
        let opts = s(&["-C", &conf, "-d", &root, "-S", &tree.version, "-c"]);
        if let Some(diff) = compare(&sc, &[], &opts) {
            failures.push(format!("[{what}] modprobe -c\n{diff}"));
        }
        runs += 2 * names.len();
    }
    assert!(failures.is_empty(), "{tag}: {} difference(s):\n{}", failures.len(), failures.join("\n"));
    eprintln!(
        "{tag}: modprobe identical on {} names and {} modaliases ({} lookups in all), with and without config",
        names.len(),
        modaliases.len(),
        runs
    );
}

#[test]
fn concrete_modaliases() {
    assert_eq!(concrete("pci:v00008086d*sv*sd*bc*sc*i*").unwrap(), "pci:v00008086d0sv0sd0bc0sc0i0");
    assert_eq!(
        concrete("usb:v1D6Bp0002d*dc*dsc*dp*ic09isc00ip00in*").unwrap(),
        "usb:v1D6Bp0002d0dc0dsc0dp0ic09isc00ip00in0"
    );
    assert_eq!(concrete("acpi*:PNP0[AB]0[0-9]:*").unwrap(), "acpi0:PNP0A00:0");
    assert_eq!(concrete("x[!a]"), None);
}

#[test]
#[ignore = "needs root and the Debian kernel trees: run tests/run-all"]
fn oracle_modprobe_amd64_6_1() {
    oracle("amd64-6.1");
}

#[test]
#[ignore = "needs root and the Debian kernel trees: run tests/run-all"]
fn oracle_modprobe_amd64_6_12_xz() {
    oracle("amd64-6.12");
}

#[test]
#[ignore = "needs root and the Debian kernel trees: run tests/run-all"]
fn oracle_modprobe_s390x() {
    oracle("s390x");
}

#[test]
#[ignore = "needs root and the Debian kernel trees: run tests/run-all"]
fn oracle_modprobe_armhf() {
    oracle("armhf");
}
