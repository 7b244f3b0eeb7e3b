//! Loading and unloading against the fake kernel (`RKMOD_TEST_ROOT`, builds with the
//! `testing` feature): a scratch root with `lib/modules/VER` (our test modules,
//! indexed by rkmod's depmod), `proc` and `sys/module`. Each test drives the real
//! binary as insmod, rmmod, lsmod, modprobe or kmod and checks what it printed, the
//! system calls the fake kernel recorded (`fake/calls`: flags, parameters, what the
//! image held) and the resulting sysfs tree. Real kernels are the oracle for the same
//! scenarios in `tests/vm`.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::util::{applet, fixture_ko, Outcome};

const VER: &str = "6.1.0-56-amd64";

struct Root {
    dir: tempfile::TempDir,
    confdir: PathBuf,
}

impl Root {
    /// A fake system with these test modules installed under `extra/`.
    fn new(modules: &[&str]) -> Root {
        let dir = tempfile::tempdir().unwrap();
        let r = dir.path();
        let md = r.join("lib/modules").join(VER);
        std::fs::create_dir_all(md.join("extra")).unwrap();
        std::fs::create_dir_all(r.join("proc/sys/kernel")).unwrap();
        std::fs::create_dir_all(r.join("sys/module")).unwrap();
        std::fs::write(r.join("proc/sys/kernel/osrelease"), format!("{VER}\n")).unwrap();
        std::fs::write(r.join("proc/cmdline"), "").unwrap();
        std::fs::write(r.join("proc/modules"), "").unwrap();
        std::fs::write(md.join("modules.builtin"), "kernel/fs/ext4/ext4.ko\n").unwrap();
        for m in modules {
            std::fs::copy(fixture_ko(&format!("{m}.ko")), md.join("extra").join(format!("{m}.ko"))).unwrap();
        }
        let confdir = r.join("etc/modprobe.d");
        std::fs::create_dir_all(&confdir).unwrap();
        let root = Root { dir, confdir };
        root.depmod();
        root
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn module_dir(&self) -> PathBuf {
        self.path().join("lib/modules").join(VER)
    }

    fn depmod(&self) {
        let o = applet("depmod")
            .arg("-b")
            .arg(self.path())
            .arg("-C")
            .arg(self.path().join("etc/depmod.d"))
            .arg(VER)
            .output()
            .unwrap();
        assert!(o.status.success(), "depmod: {}", String::from_utf8_lossy(&o.stderr));
    }

    fn cmd(&self, tool: &str) -> Command {
        let mut c = applet(tool);
        c.env("RKMOD_TEST_ROOT", self.path());
        c
    }

    /// modprobe reading only this root's configuration.
    fn modprobe(&self, args: &[&str]) -> Outcome {
        self.cmd("modprobe").arg("-C").arg(&self.confdir).args(args).output().unwrap().into()
    }

    fn run(&self, tool: &str, args: &[&str]) -> Outcome {
        self.cmd(tool).args(args).output().unwrap().into()
    }

    fn config(&self, text: &str) {
        std::fs::write(self.confdir.join("test.conf"), text).unwrap();
    }

    fn calls(&self) -> Vec<Value> {
        let text = std::fs::read_to_string(self.path().join("fake/calls")).unwrap_or_default();
        text.lines().map(|l| serde_json::from_str(l).unwrap()).collect()
    }

    fn clear_calls(&self) {
        let _ = std::fs::remove_file(self.path().join("fake/calls"));
    }

    /// Module names in /proc/modules, in file order (newest first).
    fn loaded(&self) -> Vec<String> {
        let text = std::fs::read_to_string(self.path().join("proc/modules")).unwrap();
        text.lines().map(|l| l.split(' ').next().unwrap().to_string()).collect()
    }

    fn sys(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path().join("sys/module").join(rel)).unwrap_or_else(|e| format!("<{e}>"))
    }

    fn fake_ctl(&self, file: &str, text: &str) {
        std::fs::create_dir_all(self.path().join("fake")).unwrap();
        std::fs::write(self.path().join("fake").join(file), text).unwrap();
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[track_caller]
fn ok(o: &Outcome) {
    assert_eq!(o.status, Some(0), "stdout: {}\nstderr: {}", text(&o.stdout), text(&o.stderr));
}

#[track_caller]
fn fails(o: &Outcome, stderr: &str) {
    assert_eq!(o.status, Some(1), "stdout: {}\nstderr: {}", text(&o.stdout), text(&o.stderr));
    assert_eq!(text(&o.stderr), stderr);
}

fn ko(name: &str) -> String {
    fixture_ko(name).display().to_string()
}

/// A copy of hello.ko whose vermagic names another kernel (same length).
fn bad_vermagic(dir: &Path) -> PathBuf {
    let mut data = std::fs::read(fixture_ko("hello.ko")).unwrap();
    let from = format!("vermagic={VER}").into_bytes();
    let at = data.windows(from.len()).position(|w| w == from).unwrap();
    let to = b"vermagic=6.1.0-99-amd64";
    data[at..at + to.len()].copy_from_slice(to);
    let p = dir.join("hello-other.ko");
    std::fs::write(&p, data).unwrap();
    p
}

#[test]
fn insmod_parameters_and_kernel_errors() {
    let r = Root::new(&[]);
    ok(&r.run("insmod", &[&ko("hello.ko"), "myint=50", "mystring=hi", "myarray=1,4,3", "unknown=7"]));
    assert_eq!(r.sys("hello/parameters/myint"), "50\n");
    assert_eq!(r.sys("hello/parameters/mystring"), "hi\n");
    assert_eq!(r.sys("hello/parameters/myarray"), "1,4,3\n");
    assert_eq!(r.sys("hello/initstate"), "live\n");
    let calls = r.calls();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0]["call"], "finit_module");
    assert_eq!(calls[0]["flags"], 0);
    assert_eq!(calls[0]["params"], "myint=50 mystring=hi myarray=1,4,3 unknown=7");
    assert_eq!(calls[0]["file"], ko("hello.ko"));

    // A second insert, then the kernel's refusals in insmod's words.
    let rel = "../fixtures/ko/6.1.0-56-amd64/hello.ko";
    let mut c = r.cmd("insmod");
    let o: Outcome =
        c.arg(rel).current_dir(env!("CARGO_MANIFEST_DIR").to_string() + "/tests").output().unwrap().into();
    fails(&o, &format!("insmod: ERROR: could not insert module {rel}: File exists\n"));
    // An unknown parameter name is ignored by the kernel.
    ok(&r.run("insmod", &[&ko("hello_soft.ko"), "nothing=1"]));
    ok(&r.run("rmmod", &["hello_soft"]));
    // hello_user needs hello: with hello gone, "Unknown symbol".
    ok(&r.run("rmmod", &["hello"]));
    let o = r.run("insmod", &[&ko("hello_user.ko")]);
    fails(
        &o,
        &format!(
            "insmod: ERROR: could not insert module {}: Unknown symbol in module\n",
            ko("hello_user.ko")
        ),
    );
    let o = r.run("insmod", &[&ko("hello.ko"), "myint=abc"]);
    fails(&o, &format!("insmod: ERROR: could not insert module {}: Invalid parameters\n", ko("hello.ko")));
    let not_elf = r.path().join("not-elf.ko");
    std::fs::write(&not_elf, "this is not an ELF file at all\n").unwrap();
    let o = r.run("insmod", &[not_elf.to_str().unwrap()]);
    fails(
        &o,
        &format!("insmod: ERROR: could not insert module {}: Invalid module format\n", not_elf.display()),
    );
    let o = r.run("insmod", &["/nonexistent/x.ko"]);
    fails(&o, "insmod: ERROR: could not load module /nonexistent/x.ko: No such file or directory\n");
    fails(&r.run("insmod", &[]), "insmod: ERROR: missing filename.\n");
    fails(&r.run("insmod", &["-"]), "insmod: ERROR: this tool does not support loading from stdin!\n");
    assert!(r.loaded().is_empty(), "{:?}", r.loaded());
}

#[test]
fn insmod_quotes_values_with_spaces() {
    let r = Root::new(&[]);
    ok(&r.run("insmod", &[&ko("hello.ko"), "mystring=a b", "myint=3"]));
    assert_eq!(r.calls()[0]["params"], "mystring=\"a b\" myint=3");
    assert_eq!(r.sys("hello/parameters/mystring"), "a b\n");
}

#[test]
fn force_flags_on_finit_and_stripping_on_init_module() {
    let r = Root::new(&[]);
    let other = bad_vermagic(r.path());
    let o = r.run("insmod", &[other.to_str().unwrap()]);
    fails(
        &o,
        &format!("insmod: ERROR: could not insert module {}: Invalid module format\n", other.display()),
    );
    ok(&r.run("insmod", &["-f", other.to_str().unwrap()]));
    let calls = r.calls();
    assert_eq!(calls[1]["call"], "finit_module");
    assert_eq!(calls[1]["flags"], 3, "IGNORE_MODVERSIONS | IGNORE_VERMAGIC");
    ok(&r.run("rmmod", &["-f", "hello"]));
    assert_eq!(r.calls()[2]["flags"], libc::O_NONBLOCK | libc::O_TRUNC);

    // Before Linux 3.8 (no finit_module): the image goes to init_module, stripped.
    r.clear_calls();
    r.fake_ctl("no-finit", "");
    ok(&r.run("insmod", &["--force-vermagic", other.to_str().unwrap()]));
    let calls = r.calls();
    assert_eq!(calls[0]["errno"], libc::ENOSYS);
    assert_eq!(calls[1]["call"], "init_module");
    assert_eq!(calls[1]["vermagic"], false, "vermagic stripped");
    assert_eq!(calls[1]["modversions"], true, "__versions kept without --force-modversion");
    ok(&r.run("rmmod", &["hello"]));
    ok(&r.run("insmod", &["--force-modversion", &ko("hello.ko")]));
    let last = r.calls().pop().unwrap();
    assert_eq!(
        (last["vermagic"].clone(), last["modversions"].clone()),
        (Value::Bool(true), Value::Bool(false))
    );
}

#[test]
fn compressed_modules_choose_the_kernel_or_userspace() {
    let r = Root::new(&[]);
    std::fs::write(r.path().join("sys/module/compression"), "xz\n").unwrap();
    let cases = [
        ("variants/hello.ko.xz", "finit_module", 4, "xz"),
        ("variants/hello-crc64.ko.xz", "init_module", 0, "none"),
        ("variants/hello.ko.zst", "init_module", 0, "none"),
        ("variants/hello.ko.gz", "init_module", 0, "none"),
    ];
    for (file, call, flags, seen) in cases {
        r.clear_calls();
        ok(&r.run("insmod", &[&ko(file), "myint=9"]));
        let calls = r.calls();
        assert_eq!(calls.len(), 1, "{file}: {calls:?}");
        assert_eq!(calls[0]["call"], call, "{file}");
        assert_eq!(calls[0]["flags"], flags, "{file}");
        assert_eq!(calls[0]["compression"], seen, "{file}: what the kernel was handed");
        assert_eq!(r.sys("hello/parameters/myint"), "9\n");
        ok(&r.run("rmmod", &["hello"]));
    }
    // A kernel without a decompressor: everything compressed goes through userspace.
    std::fs::remove_file(r.path().join("sys/module/compression")).unwrap();
    r.clear_calls();
    ok(&r.run("insmod", &[&ko("variants/hello.ko.xz")]));
    assert_eq!(r.calls()[0]["call"], "init_module");
    // With force on the userspace path, the decompressed image is stripped.
    ok(&r.run("rmmod", &["hello"]));
    r.clear_calls();
    ok(&r.run("insmod", &["-f", &ko("variants/hello.ko.zst")]));
    let c = &r.calls()[0];
    assert_eq!(
        (c["call"].as_str(), c["vermagic"].as_bool(), c["modversions"].as_bool()),
        (Some("init_module"), Some(false), Some(false))
    );
}

#[test]
fn modprobe_loads_dependencies_softdeps_and_options() {
    let r = Root::new(&["hello", "hello_user", "hello_soft", "chain_a", "chain_b", "chain_c"]);
    r.config(
        "options hello myint=7\ninstall chain_c echo installing $MODPROBE_MODULE $CMDLINE_OPTS; /bin/false\n",
    );
    let o = r.modprobe(&["-v", "hello_user"]);
    ok(&o);
    let md = r.module_dir().display().to_string();
    assert_eq!(
        text(&o.stdout),
        format!("insmod {md}/extra/hello_soft.ko \ninsmod {md}/extra/hello.ko myint=7 \ninsmod {md}/extra/hello_user.ko \n")
    );
    assert_eq!(r.loaded(), ["hello_user", "hello", "hello_soft"]);
    assert_eq!(r.sys("hello/parameters/myint"), "7\n");
    assert!(r.path().join("sys/module/hello/holders/hello_user").exists());
    assert_eq!(r.sys("hello/refcnt"), "1\n");
    // Already loaded: nothing to do; --first-time makes it an error.
    r.clear_calls();
    ok(&r.modprobe(&["hello"]));
    assert!(r.calls().is_empty());
    fails(
        &r.modprobe(&["--first-time", "hello"]),
        "modprobe: ERROR: could not insert 'hello': Module already in kernel\n",
    );
    // An install command failing: libkmod's message, then modprobe's.
    let o = r.modprobe(&["chain_a", "x=1"]);
    assert_eq!(o.status, Some(1));
    assert_eq!(text(&o.stdout), "installing chain_c\n");
    assert_eq!(
        text(&o.stderr),
        "modprobe: ERROR: ../libkmod/libkmod-module.c:1047 command_do() Error running install command 'echo installing $MODPROBE_MODULE ; /bin/false' for module chain_c: retcode 1\n\
         modprobe: ERROR: could not insert 'chain_a': Invalid argument\n"
    );
    // -i ignores the install command (of the requested module only: chain_c is a dep here).
    r.config("");
    let o = r.modprobe(&["-v", "chain_a"]);
    ok(&o);
    assert_eq!(r.loaded()[..3], ["chain_a", "chain_b", "chain_c"]);
    // Not found, quiet, -a going on.
    fails(&r.modprobe(&["nope"]), &format!("modprobe: FATAL: Module nope not found in directory {md}\n"));
    fails(&r.modprobe(&["-q", "nope"]), "");
    let o = r.modprobe(&["-a", "nope", "hello", "nope2"]);
    fails(&o, &format!("modprobe: WARNING: Module nope not found in directory {md}\nmodprobe: WARNING: Module nope2 not found in directory {md}\n"));
    // Builtin: success without a system call.
    r.clear_calls();
    ok(&r.modprobe(&["ext4"]));
    assert!(r.calls().is_empty());
}

#[test]
fn modprobe_failure_of_a_softdep_is_ignored_of_a_dep_is_not() {
    let r = Root::new(&["hello", "hello_user", "hello_soft"]);
    r.fake_ctl("fail", "hello_soft 19\n");
    ok(&r.modprobe(&["hello"]));
    assert_eq!(r.loaded(), ["hello"]);
    ok(&r.run("rmmod", &["hello"]));
    r.fake_ctl("fail", "hello_soft 19\nhello 12\n");
    let o = r.modprobe(&["-vv", "hello_user"]);
    assert_eq!(o.status, Some(1));
    let md = r.module_dir().display().to_string();
    assert_eq!(
        text(&o.stderr),
        format!(
            "modprobe: INFO: ../libkmod/libkmod-module.c:949 kmod_module_insert_module() Failed to insert module '{md}/extra/hello_soft.ko': No such device\n\
             modprobe: INFO: ../libkmod/libkmod-module.c:949 kmod_module_insert_module() Failed to insert module '{md}/extra/hello.ko': Cannot allocate memory\n\
             modprobe: ERROR: could not insert 'hello_user': Cannot allocate memory\n"
        ),
        "hello_soft (a softdep) failing is ignored; hello (a dependency) stops the list"
    );
    assert!(r.loaded().is_empty());
}

#[test]
fn modprobe_remove_takes_the_whole_chain() {
    let r = Root::new(&["chain_a", "chain_b", "chain_c", "hello", "hello_soft", "hello_user"]);
    ok(&r.modprobe(&["chain_a"]));
    ok(&r.modprobe(&["hello_user"]));
    // rmmod refuses a module in use, naming its holders, and goes on with the next name.
    let o = r.run("rmmod", &["chain_c", "hello_soft"]);
    fails(&o, "rmmod: ERROR: Module chain_c is in use by: chain_b\n");
    assert!(!r.loaded().contains(&"hello_soft".to_string()));
    let o = r.modprobe(&["-r", "chain_b"]);
    fails(&o, "modprobe: FATAL: Module chain_b is in use.\n");
    // Dry run first (kmod 30's -n prints only with -v): the same list, nothing done.
    r.clear_calls();
    ok(&r.modprobe(&["-r", "-n", "chain_a"]));
    let o = r.modprobe(&["-r", "-n", "-v", "chain_a"]);
    ok(&o);
    assert_eq!(text(&o.stdout), "rmmod chain_a\nrmmod chain_b\nrmmod chain_c\n");
    assert!(r.calls().is_empty());
    // kmod 30 leaves chain_c loaded here; rkmod removes what became unused all the way down.
    let o = r.modprobe(&["-r", "-v", "chain_a"]);
    ok(&o);
    assert_eq!(text(&o.stdout), "rmmod chain_a\nrmmod chain_b\nrmmod chain_c\n");
    assert_eq!(r.loaded(), ["hello_user", "hello"]);
    // Not loaded: fine, unless --first-time.
    ok(&r.modprobe(&["-r", "chain_a"]));
    fails(
        &r.modprobe(&["-r", "--first-time", "chain_a"]),
        "modprobe: FATAL: Module chain_a is not in kernel.\n",
    );
    fails(&r.modprobe(&["-r", "ext4"]), "modprobe: FATAL: Module ext4 is builtin.\n");
    fails(&r.modprobe(&["-r", "nope"]), "modprobe: FATAL: Module nope not found.\n");
    // --remove-holders takes hello_user first.
    let o = r.modprobe(&["-r", "-v", "--remove-holders", "hello"]);
    ok(&o);
    assert_eq!(text(&o.stdout), "rmmod hello_user\nrmmod hello\n");
    assert!(r.loaded().is_empty());
}

#[test]
fn remove_takes_every_name() {
    // `modprobe -r A B` removes both (kmod's rmmod_all), as do the native commands.
    let r = Root::new(&["chain_a", "chain_b", "chain_c", "hello", "hello_soft"]);
    let rk = |args: &[&str]| -> Outcome {
        let mut c = Command::new(crate::util::rkmod_bin());
        c.env("RKMOD_TEST_ROOT", r.path()).args(args);
        c.output().unwrap().into()
    };
    ok(&r.modprobe(&["-a", "chain_a", "hello"]));
    let o = r.modprobe(&["-r", "-v", "hello", "chain_a"]);
    ok(&o);
    assert_eq!(
        text(&o.stdout),
        "rmmod hello\nrmmod hello_soft\nrmmod chain_a\nrmmod chain_b\nrmmod chain_c\n"
    );
    assert!(r.loaded().is_empty(), "{:?}", r.loaded());
    ok(&r.modprobe(&["-a", "chain_a", "hello"]));
    ok(&rk(&["probe", "-r", "chain_a", "hello"]));
    assert!(r.loaded().is_empty(), "{:?}", r.loaded());
    ok(&r.modprobe(&["-a", "chain_c", "hello_soft"]));
    ok(&rk(&["remove", "chain_c", "hello_soft"]));
    assert!(r.loaded().is_empty(), "{:?}", r.loaded());
}

#[test]
fn modprobe_remove_waits_with_backoff() {
    let r = Root::new(&["hello"]);
    ok(&r.modprobe(&["hello"]));
    r.fake_ctl("busy", "hello 3\n");
    let o = r.modprobe(&["-r", "hello"]);
    fails(
        &o,
        "modprobe: ERROR: ../libkmod/libkmod-module.c:856 kmod_module_remove_module() could not remove 'hello': Resource temporarily unavailable\n",
    );
    ok(&r.modprobe(&["-r", "--wait", "5000", "hello"]));
    let removes: Vec<_> = r.calls().into_iter().filter(|c| c["call"] == "delete_module").collect();
    assert_eq!(removes.len(), 4, "one failure, then three tries until the fourth succeeds");
    assert!(r.loaded().is_empty());
    ok(&r.modprobe(&["hello"]));
    r.fake_ctl("busy", "hello 1000000\n");
    let o = r.modprobe(&["-r", "-w", "50", "hello"]);
    fails(&o, "modprobe: ERROR: could not remove 'hello': Resource temporarily unavailable\n");
}

#[test]
fn lsmod_and_kmod_list() {
    let r = Root::new(&["hello", "hello_user", "hello_soft"]);
    ok(&r.modprobe(&["hello_user"]));
    let o = r.run("lsmod", &[]);
    ok(&o);
    let size = |m: &str| r.sys(&format!("{m}/coresize")).trim().to_string();
    assert_eq!(
        text(&o.stdout),
        format!(
            "Module                  Size  Used by\n{:<19} {:>8}  0\n{:<19} {:>8}  1 hello_user\n{:<19} {:>8}  0\n",
            "hello_user",
            size("hello_user"),
            "hello",
            size("hello"),
            "hello_soft",
            size("hello_soft")
        )
    );
    let list = r.run("kmod", &["list"]);
    assert_eq!(list, o);
    // kmod 34's options: a bad one is getopt's message; an argument is kmod 30's usage.
    let o = r.run("lsmod", &["-x"]);
    assert_eq!(o.status, Some(1));
    assert!(text(&o.stderr).ends_with("lsmod: invalid option -- 'x'\n"), "{}", text(&o.stderr));
    let o = r.run("lsmod", &["x"]);
    assert_eq!(o.status, Some(1));
    assert!(text(&o.stderr).starts_with("Usage: "), "{}", text(&o.stderr));
    fails(&r.run("kmod", &["list", "x"]), "Usage: list\n");
    std::fs::remove_file(r.path().join("proc/modules")).unwrap();
    fails(
        &r.run("lsmod", &[]),
        "libkmod: ERROR ../libkmod/libkmod-module.c:1725 kmod_module_new_from_loaded: could not open /proc/modules: No such file or directory\n\
         Error: could not get list of modules: No such file or directory\n",
    );
}

#[test]
fn concurrent_modprobes_all_succeed_once() {
    let r = Root::new(&["hello", "hello_soft", "hello_user", "chain_a", "chain_b", "chain_c"]);
    let mut children = Vec::new();
    for i in 0..24 {
        let name = ["hello_user", "chain_a", "hello", "chain_c"][i % 4];
        let mut c = r.cmd("modprobe");
        c.arg("-C").arg(&r.confdir).arg(name);
        children.push(
            c.stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped()).spawn().unwrap(),
        );
    }
    for c in children {
        let o = c.wait_with_output().unwrap();
        assert!(o.status.success() && o.stderr.is_empty(), "{}", text(&o.stderr));
    }
    let mut loaded = r.loaded();
    loaded.sort();
    assert_eq!(loaded, ["chain_a", "chain_b", "chain_c", "hello", "hello_soft", "hello_user"]);
    let inits: Vec<_> = r.calls().into_iter().filter(|c| c["errno"] == 0).collect();
    assert_eq!(inits.len(), 6, "each module initialised once: {inits:?}");
}

#[test]
fn native_insert_remove_list() {
    let r = Root::new(&["hello", "hello_user", "hello_soft"]);
    std::fs::write(r.path().join("sys/module/compression"), "xz\n").unwrap();
    let rk = |args: &[&str]| -> Outcome {
        let mut c = Command::new(crate::util::rkmod_bin());
        c.env("RKMOD_TEST_ROOT", r.path()).args(args);
        c.output().unwrap().into()
    };
    let o = rk(&["insert", "-v", &ko("variants/hello-crc64.ko.xz"), "myint=5"]);
    ok(&o);
    assert_eq!(
        text(&o.stdout),
        format!(
            "inserted {} (decompressed xz here, init_module: xz check CRC64 is not supported by the kernel's decoder)\n",
            ko("variants/hello-crc64.ko.xz")
        )
    );
    let o = rk(&["insert", &ko("hello.ko")]);
    fails(
        &o,
        &format!(
            "rkmod: ERROR: could not insert {}: File exists (a module of that name is loaded already)\n",
            ko("hello.ko")
        ),
    );
    ok(&rk(&["probe", "hello_user"]));
    let o = rk(&["list", "--json"]);
    ok(&o);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["schema"], "rkmod.list/1");
    assert_eq!(v["modules"][0]["name"], "hello_user");
    assert_eq!(v["modules"][1]["name"], "hello_soft", "hello's softdep, loaded after hello");
    assert_eq!(v["modules"][2]["name"], "hello");
    assert_eq!(v["modules"][2]["holders"][0], "hello_user");
    assert_eq!(v["modules"][2]["refcnt"], 1);
    // remove goes on past a failure and says what to do about an in-use module.
    let o = rk(&["remove", "hello", "nope", "hello_user"]);
    fails(
        &o,
        "rkmod: ERROR: hello is in use by: hello_user (remove them first, or run: rkmod probe -r --remove-holders hello)\n\
         rkmod: ERROR: nope is not loaded\n",
    );
    assert_eq!(r.loaded(), ["hello_soft", "hello"]);
    ok(&rk(&["probe", "-r", "hello"])); // and its pre-softdep hello_soft
    let o = rk(&["list"]);
    assert_eq!(text(&o.stdout), "Module                  Size  Used by\n");
}

#[test]
fn no_module_support_is_said_plainly() {
    // A kernel built without CONFIG_MODULES: every module call is ENOSYS.
    let r = Root::new(&["hello"]);
    r.fake_ctl("no-modules", "");
    let rk = |args: &[&str]| -> Outcome {
        let mut c = Command::new(crate::util::rkmod_bin());
        c.env("RKMOD_TEST_ROOT", r.path()).args(args);
        c.output().unwrap().into()
    };
    let o = rk(&["insert", &ko("hello.ko")]);
    fails(
        &o,
        &format!(
            "rkmod: ERROR: could not insert {}: the running kernel has no module support \
             (init_module: Function not implemented)\n",
            ko("hello.ko")
        ),
    );
    let calls: Vec<_> = r.calls().iter().map(|c| (c["call"].clone(), c["errno"].clone())).collect();
    assert_eq!(
        calls,
        [("finit_module".into(), libc::ENOSYS.into()), ("init_module".into(), libc::ENOSYS.into())],
        "finit_module first, then init_module, both refused"
    );
    let o = rk(&["probe", "hello"]);
    fails(
        &o,
        "rkmod: ERROR: could not insert 'hello': the running kernel has no module support \
         (init_module: Function not implemented)\n",
    );
    // The applets keep kmod's words.
    let o = r.run("insmod", &[&ko("hello.ko")]);
    fails(
        &o,
        &format!("insmod: ERROR: could not insert module {}: Function not implemented\n", ko("hello.ko")),
    );
}

#[test]
fn native_probe_explains_and_prints_json() {
    let r = Root::new(&["hello", "hello_user", "hello_soft", "chain_a", "chain_b", "chain_c"]);
    r.config("alias my-hello hello\noptions my-hello myint=3\nsoftdep hello post: chain_c\nsoftdep hel* pre: chain_a\ninstall hello_user /bin/true\ninstall hello* /bin/false\nblacklist hello\n");
    let conf = r.confdir.join("test.conf").display().to_string();
    let rk = |args: &[&str]| -> Outcome {
        let mut c = Command::new(crate::util::rkmod_bin());
        c.env("RKMOD_TEST_ROOT", r.path()).arg("probe").arg("-C").arg(&r.confdir).args(args);
        c.output().unwrap().into()
    };
    let o = rk(&["--explain", "my-hello"]);
    ok(&o);
    let t = text(&o.stdout);
    assert!(t.contains(&format!("alias my_hello hello    ({conf}:1)")), "{t}");
    assert!(t.contains(&format!("options my_hello myint=3    ({conf}:2)")), "{t}");
    assert!(t.contains(&format!("blacklist hello    ({conf}:7; applies)")), "{t}");
    assert!(
        t.contains(&format!(
            "warning: shadowed, only the first softdep applies: softdep hel* pre: chain_a    ({conf}:4)"
        )),
        "{t}"
    );
    assert!(t.contains("    softdep hello pre: hello_soft    ("), "modules.softdep comes first: {t}");
    assert!(t.contains("plan: nothing, blacklisted"), "{t}");
    assert!(r.calls().is_empty(), "--explain loads nothing");
    let o = rk(&["my-hello"]);
    ok(&o);
    assert_eq!(
        text(&o.stderr),
        format!("rkmod: WARNING: hello not loaded: blacklisted at {conf}:7 (reached through my_hello)\n")
    );
    assert!(r.calls().is_empty());

    let o = rk(&["--json", "hello_user", "nope"]);
    ok(&o);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["schema"], "rkmod.probe/1");
    let m = &v["queries"][0]["modules"][0];
    assert_eq!(v["queries"][0]["found_by"], "modules-dep");
    assert_eq!(m["install"]["line"], "install hello_user /bin/true");
    assert_eq!(m["shadowed_installs"][0]["source"], format!("{conf}:6"));
    let plan: Vec<&str> =
        m["plan"].as_array().unwrap().iter().map(|s| s["module"].as_str().unwrap()).collect();
    // modules.softdep (hello: pre hello_soft) sorts before test.conf, so it is hello's.
    assert_eq!(plan, ["chain_c", "chain_b", "chain_a", "hello_soft", "hello", "hello_user"]);
    assert_eq!(m["plan"][5]["options"], "nope", "the words after the name are its parameters");
    assert_eq!(m["plan"][1]["required"], false);

    let o = rk(&["--json", "-a", "nope", "fs-hello"]);
    assert_eq!(o.status, Some(1));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["queries"][0]["not_found"], "no-match");
    let o = rk(&["--json", "-R", "my-hello"]);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["schema"], "rkmod.alias/1");
    assert_eq!(v["queries"][0]["modules"][0], "hello");
    // Not found says why.
    let o = rk(&["-S", "9.9.9", "hello"]);
    assert_eq!(o.status, Some(1));
    assert!(
        text(&o.stderr).contains("(no such directory: no modules are installed for this kernel version"),
        "{}",
        text(&o.stderr)
    );
    std::fs::remove_file(r.module_dir().join("modules.dep.bin")).unwrap();
    let o = rk(&["hello"]);
    assert!(
        text(&o.stderr).ends_with(&format!("(no modules.dep.bin there: run rkmod deps {VER})\n")),
        "{}",
        text(&o.stderr)
    );
    // -c without kmod 30's missing space.
    r.config("softdep m pre: a post: b\n");
    let o = rk(&["-c"]);
    assert!(text(&o.stdout).contains("\nsoftdep m pre: a post: b\n"), "{}", text(&o.stdout));
}

#[test]
fn modprobe_remove_commands() {
    let r = Root::new(&["hello", "hello_soft"]);
    ok(&r.modprobe(&["hello"]));
    r.config("remove hello echo removing $MODPROBE_MODULE\n");
    let o = r.modprobe(&["-r", "-v", "hello"]);
    ok(&o);
    // Its pre-softdep (modules.softdep: hello_soft) goes afterwards, as in kmod.
    assert_eq!(text(&o.stdout), "remove echo removing $MODPROBE_MODULE\nremoving hello\nrmmod hello_soft\n");
    assert!(r.loaded().contains(&"hello".to_string()), "the command replaces the removal");
    r.config("remove hello /bin/false\n");
    let o = r.modprobe(&["-r", "hello"]);
    fails(&o, "modprobe: FATAL: Error running remove command for hello\n");
    r.config("remove hello /nonexistent/command\n");
    let o = r.modprobe(&["-r", "-q", "hello"]);
    assert_eq!(o.status, Some(1), "a command the shell cannot run fails too");
    assert!(r.loaded().contains(&"hello".to_string()));
}

/// Parameters, install commands and names that are not UTF-8 reach the kernel and the
/// shell byte for byte (kmod passes them through); the call log keeps them
/// (`params_hex`), and `rkmod probe --json` stays valid JSON with `*_hex` keys.
#[test]
fn bytes_that_are_not_utf8_pass_through() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    let r = Root::new(&["hello", "hello_soft"]);
    let out = r.path().join("cmd-out");
    let conf = [
        &b"options hello mystring=\xe9t\xe9\n"[..],
        b"install rk\xe9 printf '%s|' \"$MODPROBE_MODULE\" \xff $CMDLINE_OPTS > ",
        out.as_os_str().as_bytes(),
        b"\nalias caf\xe9 hello\n",
    ]
    .concat();
    std::fs::write(r.confdir.join("test.conf"), &conf).unwrap();
    let arg = |b: &[u8]| OsStr::from_bytes(b).to_os_string();
    // modprobe: configured and command-line values, as bytes, to finit_module.
    let o: Outcome = r
        .cmd("modprobe")
        .arg("-C")
        .arg(&r.confdir)
        .arg(arg(b"caf\xe9"))
        .arg(arg(b"myint=\xe92"))
        .output()
        .unwrap()
        .into();
    assert_eq!(o.status, Some(1), "the kernel rejects an int that is not one: {}", text(&o.stderr));
    let calls = r.calls();
    let last = calls.last().unwrap();
    assert_eq!(last["params_hex"], rkmod::json::hex(b"mystring=\xe9t\xe9 myint=\xe92"));
    assert_eq!(last["params"], "mystring=\u{fffd}t\u{fffd} myint=\u{fffd}2");
    ok(&r.cmd("modprobe").arg("-C").arg(&r.confdir).arg(arg(b"caf\xe9")).output().unwrap().into());
    assert_eq!(std::fs::read(r.path().join("sys/module/hello/parameters/mystring")).unwrap(), b"\xe9t\xe9\n");
    // insmod: a parameter with a space is quoted, its bytes kept.
    ok(&r.run("rmmod", &["hello"]));
    r.clear_calls();
    ok(&r.cmd("insmod").arg(ko("hello.ko")).arg(arg(b"mystring=\xff \xfe")).output().unwrap().into());
    assert_eq!(r.calls()[0]["params_hex"], rkmod::json::hex(b"mystring=\"\xff \xfe\""));
    assert_eq!(std::fs::read(r.path().join("sys/module/hello/parameters/mystring")).unwrap(), b"\xff \xfe\n");
    // An install command gets the exact bytes, MODPROBE_MODULE too.
    ok(&r
        .cmd("modprobe")
        .arg("-C")
        .arg(&r.confdir)
        .arg(arg(b"rk\xe9"))
        .arg(arg(b"a=\xe9"))
        .output()
        .unwrap()
        .into());
    assert_eq!(std::fs::read(&out).unwrap(), b"rk\xe9|\xff|a=\xe9|");
    // Native JSON: valid, with the exact bytes in *_hex.
    ok(&r.run("rmmod", &["hello"]));
    let o: Outcome = Command::new(crate::util::rkmod_bin())
        .env("RKMOD_TEST_ROOT", r.path())
        .args(["probe", "--json", "-C"])
        .arg(&r.confdir)
        .arg(arg(b"caf\xe9"))
        .output()
        .unwrap()
        .into();
    ok(&o);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let q = &v["queries"][0];
    assert_eq!(q["query"], "caf\u{fffd}");
    assert_eq!(q["query_hex"], "636166e9");
    assert_eq!(q["modules"][0]["alias_hex"], "636166e9");
    assert_eq!(
        q["modules"][0]["options"][0]["line_hex"],
        rkmod::json::hex(b"options hello mystring=\xe9t\xe9")
    );
    let plan = q["modules"][0]["plan"].as_array().unwrap();
    let step = plan.iter().find(|s| s["module"] == "hello").unwrap();
    assert_eq!(step["options_hex"], rkmod::json::hex(b"mystring=\xe9t\xe9 "), "{plan:?}");
    // --explain prints the bytes.
    let o: Outcome = Command::new(crate::util::rkmod_bin())
        .env("RKMOD_TEST_ROOT", r.path())
        .args(["probe", "--explain", "-C"])
        .arg(&r.confdir)
        .arg(arg(b"caf\xe9"))
        .output()
        .unwrap()
        .into();
    ok(&o);
    assert!(o.stdout.starts_with(b"caf\xe9\n"), "{}", text(&o.stdout));
    assert!(o.stdout.windows(4).any(|w| w == b"\xe9t\xe9 "), "{}", text(&o.stdout));
}

#[test]
fn modprobe_loads_a_module_by_path() {
    // kmod 31+: the file given, its dependencies from the index by its name.
    let r = Root::new(&["hello", "hello_user"]);
    let outside = r.path().join("elsewhere");
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::copy(fixture_ko("hello_user.ko"), outside.join("hello_user.ko")).unwrap();
    ok(&r.modprobe(&[outside.join("hello_user.ko").to_str().unwrap(), "myint=3"]));
    let calls: Vec<(String, String)> = r
        .calls()
        .iter()
        .map(|c| {
            (c["file"].as_str().unwrap_or("").to_string(), c["params"].as_str().unwrap_or("").to_string())
        })
        .collect();
    assert_eq!(
        calls,
        [
            (r.module_dir().join("extra/hello.ko").display().to_string(), String::new()),
            (outside.join("hello_user.ko").display().to_string(), "myint=3".to_string()),
        ]
    );
    assert_eq!(r.loaded(), ["hello_user", "hello"]);
    // Relative, from the current directory.
    ok(&r.modprobe(&["-r", "hello_user"]));
    let o = r
        .cmd("modprobe")
        .arg("-C")
        .arg(&r.confdir)
        .arg("./hello_user.ko")
        .current_dir(&outside)
        .output()
        .unwrap();
    ok(&o.into());
    assert_eq!(r.loaded(), ["hello_user", "hello"]);
    let o = r.modprobe(&["./no-such.ko"]);
    fails(&o, "modprobe: FATAL: Failed to get module from path ./no-such.ko: No such file or directory\n");
}

/// `softdep NAME  pre: ...` (two blanks): kmod ignores that `pre:` without a word; the
/// applet does the same, `rkmod probe` warns with the file and line, and so do
/// `--explain` and `--json`.
#[test]
fn native_probe_warns_about_a_softdep_marker_after_two_blanks() {
    let r = Root::new(&["hello", "hello_soft", "chain_c"]);
    r.config("softdep chain_c  pre: hello post: hello_soft\n");
    let conf = r.confdir.join("test.conf").display().to_string();
    let o = r.modprobe(&["--show-depends", "chain_c"]);
    ok(&o);
    assert_eq!(text(&o.stderr), "", "the applet is as silent as kmod");
    assert!(!text(&o.stdout).contains("/hello.ko"), "{}", text(&o.stdout));
    assert!(text(&o.stdout).contains("/hello_soft.ko"), "{}", text(&o.stdout));
    let rk = |args: &[&str]| -> Outcome {
        let mut c = Command::new(crate::util::rkmod_bin());
        c.env("RKMOD_TEST_ROOT", r.path()).arg("probe").arg("-C").arg(&r.confdir).args(args);
        c.output().unwrap().into()
    };
    let warning = format!(
        "{conf}:1: softdep chain_c: 'pre:' right after two blanks is not read as a marker (kmod takes ' pre:' for a module name and ignores it, with the names after it up to the next marker): remove the extra blank"
    );
    let o = rk(&["--show-depends", "chain_c"]);
    ok(&o);
    assert_eq!(text(&o.stderr), format!("rkmod: {warning}\n"));
    assert!(!text(&o.stdout).contains("/hello.ko"), "{}", text(&o.stdout));
    let o = rk(&["--explain", "chain_c"]);
    let t = text(&o.stdout);
    assert!(
        t.contains(&format!(
            "    softdep chain_c post: hello_soft    ({conf}:1)\n      warning: {warning}\n"
        )),
        "{t}"
    );
    let o = rk(&["--json", "chain_c"]);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["queries"][0]["modules"][0]["softdep"]["warning"], warning.as_str());
}

/// `weakdep` (kmod 33): read by the applet and `rkmod probe`, never loaded; `--explain`
/// and `--json` show the line that applies with its file and line.
#[test]
fn weakdeps_are_shown_not_loaded() {
    let r = Root::new(&["hello", "hello_soft", "chain_c"]);
    r.config("weakdep chain_c hello hello_soft\nweakdep chain* nothing\n");
    let conf = r.confdir.join("test.conf").display().to_string();
    ok(&r.modprobe(&["chain_c"]));
    assert_eq!(r.loaded(), ["chain_c"], "weak dependencies are not loaded");
    let o = r.modprobe(&["-c"]);
    assert!(
        text(&o.stdout).contains("\nweakdep chain_c hello hello_soft\nweakdep chain* nothing\n"),
        "{}",
        text(&o.stdout)
    );
    let rk = |args: &[&str]| -> Outcome {
        let mut c = Command::new(crate::util::rkmod_bin());
        c.env("RKMOD_TEST_ROOT", r.path()).arg("probe").arg("-C").arg(&r.confdir).args(args);
        c.output().unwrap().into()
    };
    let t = text(&rk(&["--explain", "chain_c"]).stdout);
    assert!(t.contains(&format!("    weakdep chain_c hello hello_soft    ({conf}:1)\n")), "{t}");
    assert!(
        t.contains(&format!("only the first weakdep applies: weakdep chain* nothing    ({conf}:2)")),
        "{t}"
    );
    assert!(t.contains("weak dependencies are not loaded by modprobe"), "{t}");
    let v: Value = serde_json::from_slice(&rk(&["--json", "chain_c"]).stdout).unwrap();
    let m = &v["queries"][0]["modules"][0];
    assert_eq!(m["weakdep"]["line"], "weakdep chain_c hello hello_soft");
    assert_eq!(m["weakdep"]["source"], format!("{conf}:1"));
    assert_eq!(m["shadowed_weakdeps"][0]["line"], "weakdep chain* nothing");
}

/// Native mode speaks rkmod's words about the configuration: `FILE:LINE: what (why)`,
/// one line per problem, never libkmod's source paths; `--explain` and `--json` list the
/// problems too. The applet keeps kmod 30's lines.
#[test]
fn native_probe_names_config_problems_in_its_own_words() {
    let r = Root::new(&["hello"]);
    let conf = r.path().join("modules.conf");
    std::fs::write(
        &conf,
        "alias x hello\nkeep\nfrobnicate hello\nalias onlyone\nblacklist bad[\ninclude /etc/x\nkeep\n",
    )
    .unwrap();
    let c = conf.display().to_string();
    let expected = [
        format!("{c}:2: ignoring 'keep' (a modutils 2.4 directive that modprobe.d does not have): module search paths belong to depmod now: use 'search DIR...' in /etc/depmod.d/*.conf"),
        format!("{c}:7: ignoring 'keep' (a modutils 2.4 directive that modprobe.d does not have): module search paths belong to depmod now: use 'search DIR...' in /etc/depmod.d/*.conf"),
        format!("{c}:3: ignoring 'frobnicate' (not a modprobe.d command)"),
        format!("{c}:4: ignoring 'alias' (it takes a pattern and a module name)"),
        format!("{c}:5: ignoring 'blacklist' (a name with an unmatched [ or ])"),
        format!("{c}:6: ignoring 'include' (modprobe.d has no include: every *.conf file is read on its own)"),
    ];
    let rk = |args: &[&str]| -> Outcome {
        let mut c = Command::new(crate::util::rkmod_bin());
        c.env("RKMOD_TEST_ROOT", r.path()).arg("probe").arg("-C").arg(&conf).args(args);
        c.output().unwrap().into()
    };
    let o = rk(&["-D", "x"]);
    ok(&o);
    let mut lines: Vec<String> = text(&o.stderr).lines().map(str::to_string).collect();
    lines.sort();
    let mut want: Vec<String> = expected.iter().map(|e| format!("rkmod: {e}")).collect();
    want.sort();
    assert_eq!(lines, want);
    assert!(!text(&o.stderr).contains("libkmod"), "{}", text(&o.stderr));
    // --explain lists them, with --json as data.
    let o = rk(&["--explain", "x"]);
    let t = text(&o.stdout);
    assert!(t.starts_with("configuration problems (these lines are ignored):\n"), "{t}");
    for e in &expected {
        assert!(t.contains(&format!("  {e}\n")), "{e} missing in {t}");
    }
    let o = rk(&["--json", "x"]);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let texts: Vec<&str> =
        v["config_problems"].as_array().unwrap().iter().map(|p| p["text"].as_str().unwrap()).collect();
    assert_eq!(texts.len(), expected.len());
    // The applet: kmod 30's lines, libkmod prefix and all.
    let o = r.cmd("modprobe").arg("-C").arg(&conf).args(["-D", "x"]).output().unwrap();
    let e = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(e.contains(&format!("libkmod: ERROR ../libkmod/libkmod-config.c:712 kmod_config_parse: {c} line 2: ignoring bad line starting with 'keep'")), "{e}");
}
