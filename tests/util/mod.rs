//! Shared helpers for the integration tests: the rkmod binary under an applet name,
//! kmod's tools as the oracle, and the cached Debian kernel trees.

#![allow(dead_code)]

pub mod chain;
pub mod elfgen;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

/// The built rkmod binary.
pub fn rkmod_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_rkmod"))
}

/// A directory holding symlinks `modinfo`, `modprobe`, ... to the rkmod binary, so it
/// runs as that applet (argv[0] decides).
pub fn applet_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("rkmod-applets-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for name in ["modinfo", "modprobe", "insmod", "rmmod", "lsmod", "depmod", "kmod"] {
            let link = dir.join(name);
            let _ = std::fs::remove_file(&link);
            std::os::unix::fs::symlink(rkmod_bin(), &link).unwrap();
        }
        dir
    })
}

/// rkmod as the applet `name`.
pub fn applet(name: &str) -> Command {
    let mut cmd = Command::new(applet_dir().join(name));
    scrub(&mut cmd);
    cmd
}

/// kmod's own tool `name` (the oracle), e.g. `/usr/sbin/modinfo`.
pub fn kmod_tool(name: &str) -> Command {
    let path = ["/usr/sbin", "/sbin", "/usr/bin", "/bin"]
        .iter()
        .map(|d| Path::new(d).join(name))
        .find(|p| p.exists())
        .unwrap_or_else(|| panic!("kmod's {name} is not installed: run tests/run-all, which installs kmod"));
    let mut cmd = Command::new(path);
    scrub(&mut cmd);
    cmd
}

fn scrub(cmd: &mut Command) {
    cmd.env_remove("MODPROBE_OPTIONS").env("LANG", "C").env("LC_ALL", "C").stdin(Stdio::null());
}

/// Run and capture.
pub fn run(cmd: &mut Command) -> Output {
    cmd.output().expect("failed to spawn")
}

/// stdout, stderr and status of a run, for comparisons.
#[derive(Debug, PartialEq, Eq)]
pub struct Outcome {
    pub status: Option<i32>,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

impl From<Output> for Outcome {
    fn from(o: Output) -> Outcome {
        Outcome { status: o.status.code(), stdout: o.stdout, stderr: o.stderr }
    }
}

/// A short, readable description of how two outcomes differ.
pub fn describe_diff(ours: &Outcome, theirs: &Outcome) -> String {
    let mut s = String::new();
    if ours.status != theirs.status {
        s += &format!("status: rkmod {:?} kmod {:?}\n", ours.status, theirs.status);
    }
    for (what, a, b) in [("stdout", &ours.stdout, &theirs.stdout), ("stderr", &ours.stderr, &theirs.stderr)] {
        if a != b {
            let a = String::from_utf8_lossy(a);
            let b = String::from_utf8_lossy(b);
            let (al, bl): (Vec<_>, Vec<_>) = (a.lines().collect(), b.lines().collect());
            let i = al.iter().zip(&bl).position(|(x, y)| x != y).unwrap_or(al.len().min(bl.len()));
            s += &format!(
                "{what} differs at line {}:\n  rkmod: {:?}\n  kmod:  {:?}\n  ({} vs {} lines)\n",
                i + 1,
                al.get(i),
                bl.get(i),
                al.len(),
                bl.len()
            );
        }
    }
    s
}

/// A Debian kernel tree unpacked by `tests/scripts/fetch-kernels`.
pub struct Tree {
    pub tag: String,
    pub root: PathBuf,
    pub version: String,
}

impl Tree {
    pub fn module_dir(&self) -> PathBuf {
        self.root.join("lib/modules").join(&self.version)
    }

    /// Every module file of the tree, sorted.
    pub fn modules(&self) -> Vec<PathBuf> {
        let mut out = Vec::new();
        let mut stack = vec![self.module_dir().join("kernel")];
        while let Some(dir) = stack.pop() {
            for e in std::fs::read_dir(&dir).unwrap().flatten() {
                let p = e.path();
                if e.file_type().unwrap().is_dir() {
                    stack.push(p);
                } else if p.to_string_lossy().contains(".ko") {
                    out.push(p);
                }
            }
        }
        out.sort();
        out
    }
}

/// The cache directory the fetch script uses.
pub fn cache_dir() -> PathBuf {
    std::env::var_os("RKMOD_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(std::env::var("HOME").unwrap()).join(".cache/rkmod"))
}

/// A kernel tree by tag (`amd64-6.1`, `amd64-6.12`, `s390x`, `armhf`), indexed by kmod's
/// depmod. Panics with the command to run when it is missing: these tests never skip.
pub fn tree(tag: &str) -> Tree {
    let root = cache_dir().join("kernels").join(tag);
    let version = std::fs::read_to_string(root.join("VERSION"))
        .unwrap_or_else(|_| panic!("kernel tree {tag} missing: run tests/scripts/fetch-kernels {tag}"));
    let tree = Tree { tag: tag.to_string(), root, version: version.trim().to_string() };
    assert!(
        tree.module_dir().join("modules.dep.bin").exists(),
        "tree {tag} has no indexes: run tests/scripts/index-kernels"
    );
    tree
}

/// The fixtures directory.
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// The committed test modules.
pub fn fixture_ko(rel: &str) -> PathBuf {
    fixtures().join("ko/6.1.0-56-amd64").join(rel)
}

/// A `sh` prelude for `unshare -m sh -c`: in the private mount namespace it makes
/// `/lib/modules` show `target`. Where the host has no `/lib/modules` (a machine without
/// a kernel package), the directory holding it (`/usr/lib` on a merged-usr system) is
/// overlaid first with an upper layer under `scratch`, so the directory exists only in
/// the namespace: the host's file system is never written.
pub fn private_lib_modules(target: &Path, scratch: &Path) -> String {
    let (up, work) = (scratch.join("ovl-upper"), scratch.join("ovl-work"));
    std::fs::create_dir_all(&up).unwrap();
    std::fs::create_dir_all(&work).unwrap();
    format!(
        "set -e; if [ ! -d /lib/modules ]; then parent=$(readlink -f /lib); \
         mount -t overlay overlay -o \"lowerdir=$parent,upperdir={},workdir={}\" \"$parent\"; \
         mkdir -p /lib/modules; fi; mount --bind '{}' /lib/modules; ",
        up.display(),
        work.display(),
        target.display()
    )
}

/// What a bounded run produced: exit code (None if killed), stdout and stderr (each
/// cut at 64 KiB).
pub struct Bounded {
    pub status: Option<i32>,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

/// Run `cmd` with its address space limited to `mem` bytes and killed after `limit`,
/// keeping at most 64 KiB of each output: for oracles that can loop for ever on hostile
/// input (kmod's cycle report walks some graphs without end, allocating as it goes).
pub fn run_bounded(mut cmd: Command, mem: u64, limit: std::time::Duration) -> Bounded {
    use std::io::Read;
    use std::os::unix::process::CommandExt;
    // SAFETY: setrlimit is async-signal-safe and touches only the child.
    unsafe {
        cmd.pre_exec(move || {
            let lim = libc::rlimit { rlim_cur: mem, rlim_max: mem };
            if libc::setrlimit(libc::RLIMIT_AS, &lim) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let read_some = |mut r: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut out = Vec::new();
            let _ = (&mut r).take(64 << 10).read_to_end(&mut out);
            out
        })
    };
    let out = read_some(Box::new(child.stdout.take().unwrap()));
    let err = read_some(Box::new(child.stderr.take().unwrap()));
    let start = std::time::Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s.code();
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    };
    // A child still writing after 64 KiB was read is killed so the readers end.
    let _ = child.kill();
    Bounded { status, stdout: out.join().unwrap(), stderr: err.join().unwrap() }
}
