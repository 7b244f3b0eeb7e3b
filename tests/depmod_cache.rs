//! The no-change cache (`modules.rkmod.cache`) never hides a change: every case below
//! changes one input and checks that the next run's files equal those of a run without
//! any cache; unchanged inputs must skip the work (the indexes are not rewritten).

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use crate::util::{applet, fixture_ko};

const VER: &str = "1.0";
/// The opt-in that makes depmod keep a cache outside the live tree (`-b` a temp root).
const CACHE_ENV: &str = "RKMOD_DEPMOD_CACHE";

struct Tree {
    tmp: tempfile::TempDir,
    cfg: PathBuf,
}

impl Tree {
    fn new() -> Tree {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("lib/modules").join(VER);
        for (sub, m) in [
            ("a", "hello"),
            ("a", "hello_user"),
            ("b", "chain_a"),
            ("b", "chain_b"),
            ("c", "chain_c"),
            ("c", "devnode"),
        ] {
            std::fs::create_dir_all(dir.join(sub)).unwrap();
            std::fs::copy(fixture_ko(&format!("{m}.ko")), dir.join(sub).join(format!("{m}.ko"))).unwrap();
        }
        std::fs::write(dir.join("modules.order"), "c/chain_c.ko\nb/chain_b.ko\n").unwrap();
        let cfg = tmp.path().join("depmod.d");
        std::fs::create_dir_all(&cfg).unwrap();
        std::fs::write(cfg.join("a.conf"), "search updates built-in\n").unwrap();
        Tree { tmp, cfg }
    }

    fn dir(&self) -> PathBuf {
        self.tmp.path().join("lib/modules").join(VER)
    }

    fn run(&self, extra: &[&str]) -> String {
        let out = applet("depmod")
            .env(CACHE_ENV, "1")
            .arg("-C")
            .arg(&self.cfg)
            .args(extra)
            .arg("-b")
            .arg(self.tmp.path())
            .arg(VER)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stderr).unwrap()
    }

    fn files(&self) -> Vec<(String, Vec<u8>)> {
        let mut v: Vec<_> = std::fs::read_dir(self.dir())
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with("modules.") && n != "modules.rkmod.cache" && n != "modules.order")
            .filter(|n| !n.starts_with("modules.builtin"))
            .map(|n| (n.clone(), std::fs::read(self.dir().join(&n)).unwrap()))
            .collect();
        v.sort();
        v
    }

    fn dep_inode(&self) -> u64 {
        std::fs::metadata(self.dir().join("modules.dep")).unwrap().ino()
    }

    /// The files a run without the cache produces, restoring the cache afterwards.
    fn truth(&self, extra: &[&str]) -> Vec<(String, Vec<u8>)> {
        let cache = self.dir().join("modules.rkmod.cache");
        let saved = std::fs::read(&cache).ok();
        let _ = std::fs::remove_file(&cache);
        self.run(extra);
        let t = self.files();
        if let Some(s) = saved {
            std::fs::write(&cache, s).unwrap();
        }
        t
    }
}

fn set_times_like(path: &Path, reference: &Path) {
    let ok = std::process::Command::new("touch").arg("-r").arg(reference).arg(path).status().unwrap();
    assert!(ok.success());
}

#[test]
fn unchanged_tree_is_skipped_and_replays_messages() {
    let t = Tree::new();
    let first_err = t.run(&[]);
    let first = t.files();
    let ino = t.dep_inode();
    let again_err = t.run(&[]);
    assert_eq!(t.dep_inode(), ino, "an unchanged tree must not be rewritten");
    assert_eq!(t.files(), first);
    assert_eq!(again_err, first_err, "the same messages every run");
    assert!(first_err.contains("could not open modules.builtin"), "{first_err}");
}

#[test]
fn copy_preserving_times_is_seen() {
    let t = Tree::new();
    t.run(&[]);
    let target = t.dir().join("a/hello_user.ko");
    let before = std::fs::metadata(&target).unwrap();
    // `cp -p`: another module's bytes, with this file's old times.
    std::fs::copy(fixture_ko("chain_a.ko"), &target).unwrap();
    let reference = t.tmp.path().join("ref");
    std::fs::write(&reference, b"").unwrap();
    let when = filetime(before.mtime(), before.mtime_nsec());
    std::process::Command::new("touch").arg("-d").arg(&when).arg(&target).status().unwrap();
    t.run(&[]);
    assert_eq!(t.files(), t.truth(&[]));
    let symbols = String::from_utf8(std::fs::read(t.dir().join("modules.dep")).unwrap()).unwrap();
    assert!(symbols.contains("a/hello_user.ko: b/chain_b.ko c/chain_c.ko"), "{symbols}");
}

fn filetime(secs: i64, nsec: i64) -> String {
    format!("@{secs}.{nsec:09}")
}

#[test]
fn touch_reference_is_seen() {
    let t = Tree::new();
    t.run(&[]);
    let ino = t.dep_inode();
    set_times_like(&t.dir().join("b/chain_b.ko"), &t.dir().join("a/hello.ko"));
    t.run(&[]);
    assert_ne!(t.dep_inode(), ino, "a touched module must trigger a new run");
    assert_eq!(t.files(), t.truth(&[]));
}

#[test]
fn rewrite_in_place_with_same_size_and_mtime_is_seen() {
    let t = Tree::new();
    t.run(&[]);
    let path = t.dir().join("c/devnode.ko");
    let meta = std::fs::metadata(&path).unwrap();
    let mut data = std::fs::read(&path).unwrap();
    // Same inode, same size, mtime put back: only the ctime tells.
    let at = data.windows(17).position(|w| w == b"char-major-250-42").unwrap();
    data[at + 16] = b'3';
    std::fs::OpenOptions::new().write(true).open(&path).unwrap().write_all_at_start(&data);
    let when = filetime(meta.mtime(), meta.mtime_nsec());
    std::process::Command::new("touch").arg("-d").arg(&when).arg(&path).status().unwrap();
    assert_eq!(std::fs::metadata(&path).unwrap().ino(), meta.ino());
    t.run(&[]);
    let alias = String::from_utf8(std::fs::read(t.dir().join("modules.alias")).unwrap()).unwrap();
    assert!(alias.contains("alias char-major-250-43 devnode"), "{alias}");
    assert_eq!(t.files(), t.truth(&[]));
}

trait WriteAll {
    fn write_all_at_start(self, data: &[u8]);
}

impl WriteAll for std::fs::File {
    fn write_all_at_start(self, data: &[u8]) {
        use std::os::unix::fs::FileExt;
        self.write_all_at(data, 0).unwrap();
    }
}

#[test]
fn config_order_and_option_changes_are_seen() {
    let t = Tree::new();
    t.run(&[]);
    // depmod.d contents (same size, same mtime)
    let conf = t.cfg.join("a.conf");
    let meta = std::fs::metadata(&conf).unwrap();
    std::fs::write(&conf, "exclude b updates built-in\n").unwrap();
    std::process::Command::new("touch")
        .arg("-d")
        .arg(filetime(meta.mtime(), meta.mtime_nsec()))
        .arg(&conf)
        .status()
        .unwrap();
    t.run(&[]);
    assert_eq!(t.files(), t.truth(&[]));
    assert!(!String::from_utf8(std::fs::read(t.dir().join("modules.dep")).unwrap())
        .unwrap()
        .contains("chain_a"));
    // modules.order
    std::fs::write(t.dir().join("modules.order"), "a/hello.ko\n").unwrap();
    t.run(&[]);
    assert_eq!(t.files(), t.truth(&[]));
    assert!(String::from_utf8(std::fs::read(t.dir().join("modules.dep")).unwrap())
        .unwrap()
        .starts_with("a/hello.ko:"));
    // options: -e with a System.map changes the messages, so no skip
    let map = t.tmp.path().join("System.map");
    std::fs::write(&map, "0 r __ksymtab__printk\n").unwrap();
    let err = t.run(&["-e", "-F", map.to_str().unwrap()]);
    assert!(err.contains("needs unknown symbol"), "{err}");
    let err_again = t.run(&["-e", "-F", map.to_str().unwrap()]);
    assert_eq!(err, err_again);
}

#[test]
fn new_removed_modules_and_damaged_cache() {
    let t = Tree::new();
    t.run(&[]);
    std::fs::copy(fixture_ko("hello_soft.ko"), t.dir().join("a/hello_soft.ko")).unwrap();
    t.run(&[]);
    assert_eq!(t.files(), t.truth(&[]));
    std::fs::remove_file(t.dir().join("b/chain_a.ko")).unwrap();
    t.run(&[]);
    assert_eq!(t.files(), t.truth(&[]));
    std::fs::write(t.dir().join("modules.rkmod.cache"), b"garbage").unwrap();
    t.run(&[]);
    assert_eq!(t.files(), t.truth(&[]));
    // output replaced behind our back (e.g. by kmod's depmod): regenerated
    std::fs::write(t.dir().join("modules.dep"), b"stale\n").unwrap();
    t.run(&[]);
    assert_eq!(t.files(), t.truth(&[]));
}

/// The cache's sections, decompressed (for the tests that look inside).
fn cache_text(path: &Path) -> Vec<u8> {
    rkmod::depmod::cache::dump(path).expect("a readable cache")
}

/// Seeded damage to the cache file: one byte changed anywhere (or the file cut short),
/// then a module added. The run must publish exactly what a run without a cache does,
/// and say with `-v` (one line before kmod's own `-v` output) that it ignored the cache.
#[test]
fn damaged_caches_never_publish_wrong_indexes() {
    let added = crate::util::elfgen::ModSpec::new(&["added_sym"], &["hello_get_value"]).alias("added-alias");
    let truth = {
        let t = Tree::new();
        std::fs::write(t.dir().join("a/added.ko"), added.build()).unwrap();
        let files = t.truth(&["-v"]);
        let out = applet("depmod")
            .env_remove(CACHE_ENV)
            .args(["-v", "-C"])
            .arg(&t.cfg)
            .arg("-b")
            .arg(t.tmp.path())
            .arg(VER)
            .output()
            .unwrap();
        let root = t.tmp.path().display().to_string();
        (files, String::from_utf8(out.stdout).unwrap().replace(&root, "[ROOT]"))
    };
    let mut rng = crate::util::elfgen::Rng(0xCAC4E);
    for round in 0..150 {
        let t = Tree::new();
        t.run(&["-v"]);
        let cache = t.dir().join("modules.rkmod.cache");
        let mut bytes = std::fs::read(&cache).unwrap();
        if round % 10 == 9 {
            bytes.truncate(rng.below(bytes.len() as u64) as usize);
        } else {
            let at = rng.below(bytes.len() as u64) as usize;
            bytes[at] ^= 1 + rng.below(255) as u8;
        }
        std::fs::write(&cache, &bytes).unwrap();
        std::fs::write(t.dir().join("a/added.ko"), added.build()).unwrap();
        let out = applet("depmod")
            .env(CACHE_ENV, "1")
            .args(["-v", "-C"])
            .arg(&t.cfg)
            .arg("-b")
            .arg(t.tmp.path())
            .arg(VER)
            .output()
            .unwrap();
        assert!(out.status.success(), "round {round}: {}", String::from_utf8_lossy(&out.stderr));
        assert_eq!(t.files(), truth.0, "round {round}: wrong indexes published from a damaged cache");
        let stdout =
            String::from_utf8(out.stdout).unwrap().replace(&t.tmp.path().display().to_string(), "[ROOT]");
        let (note, rest) = stdout.split_once('\n').unwrap_or(("", ""));
        assert!(note.contains("modules.rkmod.cache") && note.contains("ignored"), "round {round}: {stdout}");
        assert_eq!(rest, truth.1, "round {round}");
    }
}

/// `-v` prints kmod's lines only when the cache is sound (or absent).
#[test]
fn verbose_output_is_kmods_without_a_cache_problem() {
    let t = Tree::new();
    let run_v = || {
        let out = applet("depmod")
            .env(CACHE_ENV, "1")
            .args(["-v", "-C"])
            .arg(&t.cfg)
            .arg("-b")
            .arg(t.tmp.path())
            .arg(VER)
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap()
    };
    let first = run_v();
    assert!(first.contains("needs \"hello_get_value\""), "{first}");
    assert_eq!(run_v(), first, "no-change run");
    std::fs::write(t.dir().join("a/added.ko"), crate::util::elfgen::ModSpec::new(&["x"], &[]).build())
        .unwrap();
    assert_eq!(run_v(), first, "one module added, cache sound");
}

/// An initramfs builder's run (`depmod -a -b STAGING VER`) twice in two staging
/// directories: every file of the output directory is the same bytes, and no cache is
/// left in an image.
#[test]
fn staging_builds_are_reproducible_and_cacheless() {
    let build = || {
        let staging = tempfile::tempdir().unwrap();
        let dir = staging.path().join("lib/modules").join(VER);
        for (sub, m) in
            [("kernel/misc", "hello"), ("kernel/misc", "hello_user"), ("kernel/drivers", "devnode")]
        {
            std::fs::create_dir_all(dir.join(sub)).unwrap();
            std::fs::copy(fixture_ko(&format!("{m}.ko")), dir.join(sub).join(format!("{m}.ko"))).unwrap();
        }
        std::fs::write(dir.join("modules.order"), "kernel/misc/hello.ko\nkernel/misc/hello_user.ko\n")
            .unwrap();
        std::fs::write(dir.join("modules.builtin"), "kernel/fs/ext4/ext4.ko\n").unwrap();
        for _ in 0..2 {
            let out = applet("depmod")
                .env_remove(CACHE_ENV)
                .args(["-a", "-C", "/dev/null", "-b"])
                .arg(staging.path())
                .arg(VER)
                .output()
                .unwrap();
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        }
        let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
            .unwrap()
            .flatten()
            .filter(|e| e.file_type().unwrap().is_file())
            .map(|e| (e.file_name().to_string_lossy().into_owned(), std::fs::read(e.path()).unwrap()))
            .collect();
        files.sort();
        (staging, files)
    };
    let (_a, first) = build();
    let (_b, second) = build();
    let names: Vec<&str> = first.iter().map(|(n, _)| n.as_str()).collect();
    assert!(!names.contains(&"modules.rkmod.cache"), "a cache in a staging tree: {names:?}");
    assert!(names.contains(&"modules.dep.bin"), "{names:?}");
    assert_eq!(first, second, "two staging builds differ");
}

/// The live tree (basedir `/`) keeps the cache: run in a private mount namespace where a
/// temp tree is bound over `/lib/modules/<ver>` (an overlay on `/usr/lib` makes the
/// mount point without touching the host). The cache holds no absolute path; an
/// unchanged re-run rewrites nothing; the same inputs give the same cache bytes.
#[test]
fn live_tree_keeps_a_relative_cache() {
    let t = Tree::new();
    let work = tempfile::tempdir().unwrap();
    let ver = "1.0.0-rkmod-live-test";
    let script = format!(
        r#"set -e
mount --make-rprivate /
lib=$(readlink -f /lib)
mkdir -p "{w}/upper" "{w}/work"
mount -t overlay overlay -o "lowerdir=$lib,upperdir={w}/upper,workdir={w}/work" "$lib"
mkdir -p "/lib/modules/{ver}"
mount --bind "{tree}" "/lib/modules/{ver}"
"{depmod}" -C "{cfg}" -a {ver} 2>"{w}/err1"
stat -c %i "/lib/modules/{ver}/modules.dep" >"{w}/ino1"
cp "/lib/modules/{ver}/modules.rkmod.cache" "{w}/cache1"
"{depmod}" -C "{cfg}" -a {ver} 2>"{w}/err2"
stat -c %i "/lib/modules/{ver}/modules.dep" >"{w}/ino2"
"#,
        w = work.path().display(),
        tree = t.dir().display(),
        cfg = t.cfg.display(),
        depmod = crate::util::applet_dir().join("depmod").display(),
    );
    let out = std::process::Command::new("unshare")
        .args(["-m", "sh", "-c", &script])
        .env_remove(CACHE_ENV)
        .output()
        .expect("unshare (util-linux) is needed");
    assert!(out.status.success(), "needs root for unshare -m: {}", String::from_utf8_lossy(&out.stderr));
    let read = |n: &str| std::fs::read_to_string(work.path().join(n)).unwrap();
    assert_eq!(read("ino1"), read("ino2"), "an unchanged live tree must not be rewritten");
    assert_eq!(read("err1"), read("err2"));
    assert!(read("err1").contains(&format!("/lib/modules/{ver}")), "{}", read("err1"));
    let cache = t.dir().join("modules.rkmod.cache");
    assert_eq!(std::fs::read(&cache).unwrap(), std::fs::read(work.path().join("cache1")).unwrap());
    let text = cache_text(&cache);
    for bad in ["/lib/modules".as_bytes(), t.tmp.path().to_str().unwrap().as_bytes(), b"/tmp/"] {
        assert!(
            !text.windows(bad.len()).any(|w| w == bad),
            "{:?} in the cache",
            String::from_utf8_lossy(bad)
        );
    }
    assert!(text.windows(12).any(|w| w == b"a/hello_user"), "module paths are kept relative");
}

/// On the Debian 6.1 and 6.12 trees the cache is at most a quarter of the index files.
#[test]
#[ignore = "needs the Debian kernel trees: run tests/run-all"]
fn cache_is_small_on_real_trees() {
    for tag in ["amd64-6.1", "amd64-6.12"] {
        let tree = crate::util::tree(tag);
        let pair = crate::oracle_depmod::pair_from(&tree.module_dir(), &tree.version, &|_| true);
        let out = applet("depmod")
            .env(CACHE_ENV, "1")
            .args(["-C", "/dev/null", "-b"])
            .arg(pair.root("rkmod"))
            .arg(&tree.version)
            .output()
            .unwrap();
        assert!(out.status.success());
        let dir = pair.dir("rkmod");
        let size = |n: &str| std::fs::metadata(dir.join(n)).unwrap().len();
        let indexes: u64 = crate::oracle_depmod::TEXT_FILES
            .iter()
            .chain(crate::oracle_depmod::BIN_FILES.iter())
            .chain(["modules.weakdep"].iter())
            .map(|n| size(n))
            .sum();
        let cache = size("modules.rkmod.cache");
        assert!(cache * 4 <= indexes, "{tag}: cache {cache} bytes, indexes {indexes} bytes");
    }
}

/// With a sound cache (written, replayed, partly reused), `-v` prints exactly kmod 30's
/// stdout.
#[test]
#[ignore = "needs kmod installed: run tests/run-all"]
fn verbose_output_matches_kmod_with_a_cache() {
    let (ours, theirs) = (Tree::new(), Tree::new());
    let stdout = |t: &Tree, mut cmd: std::process::Command| {
        let out = cmd
            .env(CACHE_ENV, "1")
            .args(["-v", "-C"])
            .arg(&t.cfg)
            .arg("-b")
            .arg(t.tmp.path())
            .arg(VER)
            .output();
        String::from_utf8(out.unwrap().stdout).unwrap().replace(&t.tmp.path().display().to_string(), "[ROOT]")
    };
    let kmod = || stdout(&theirs, crate::util::kmod_tool("depmod"));
    let want = kmod();
    assert!(want.contains("needs \""), "{want}");
    assert_eq!(stdout(&ours, applet("depmod")), want, "first run");
    assert_eq!(stdout(&ours, applet("depmod")), want, "no-change run");
    for t in [&ours, &theirs] {
        std::fs::copy(fixture_ko("hello_soft.ko"), t.dir().join("a/hello_soft.ko")).unwrap();
    }
    assert_eq!(stdout(&ours, applet("depmod")), kmod(), "one module added");
}
