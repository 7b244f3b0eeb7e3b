//! The no-change cache (`modules.rkmod.cache`) never hides a change: every case below
//! changes one input and checks that the next run's files equal those of a run without
//! any cache; unchanged inputs must skip the work (the indexes are not rewritten).

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use crate::util::{applet, fixture_ko};

const VER: &str = "1.0";

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
