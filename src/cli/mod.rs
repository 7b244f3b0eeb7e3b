//! The command line: `argv[0]` picks a kmod-compatible applet or the native `rkmod`
//! command. This is the only part of rkmod that prints or decides exit codes.

pub mod applet;
pub mod depmod;
pub mod explain_text;
pub mod getopt;
pub mod info;
pub mod info_json;
pub mod insmod;
pub mod kmod;
pub mod log;
pub mod lsmod;
pub mod modinfo;
pub mod modprobe;
pub mod native;
pub mod native_load;
pub mod output;
pub mod rmmod;
pub mod stdio;

use std::ffi::OsString;

/// The kmod release whose tools the applets stand in for: kmod 30's behaviour where it
/// has a feature, this release's where it does not (docs/kmod-versions.md).
pub const KMOD_COMPAT: &str = "34";

/// The version lines every applet prints for `-V`: kmod's shape, so scripts that parse
/// it (dracut runs `modprobe --version | cut -d' ' -f3` and wants at least 3.7) see the
/// kmod release the applets follow; then rkmod's own name and version, and the features
/// this build has (compression formats it reads; PKCS#7 signature details).
pub fn version_text() -> String {
    let formats: Vec<String> =
        rkmod::module::file::FORMATS.iter().map(|f| format!("+{}", f.feature)).collect();
    format!(
        "kmod version {KMOD_COMPAT} (rkmod {})\n{} +PKCS7\n",
        env!("CARGO_PKG_VERSION"),
        formats.join(" ")
    )
}

/// Dispatch on `argv[0]`; returns the exit status. Arguments are bytes, as kmod takes
/// them: nothing needs to be UTF-8.
pub fn run(args: Vec<OsString>, stdio: stdio::Stdio) -> i32 {
    use std::os::unix::ffi::OsStrExt;
    let argv0 = args.first().cloned().unwrap_or_else(|| "rkmod".into());
    let base = argv0.as_bytes().rsplit(|&b| b == b'/').next().unwrap_or_default();
    let prog = String::from_utf8_lossy(base).into_owned();
    let rest = &args[args.len().min(1)..];
    match APPLETS.iter().find(|a| a.name == prog) {
        Some(a) => (a.main)(&argv0, &prog, rest, stdio),
        None => native::main(args, stdio),
    }
}

/// One kmod-compatible applet: the `argv[0]` it answers to, its entry point, and its
/// option tables (the man-page test reads them).
pub struct Applet {
    pub name: &'static str,
    pub main: fn(&std::ffi::OsStr, &str, &[OsString], stdio::Stdio) -> i32,
    pub specs: &'static [&'static applet::Spec],
}

/// Every applet, by the name kmod's multi-call binary answers to.
pub const APPLETS: &[Applet] = &[
    Applet { name: "modinfo", main: |a0, p, r, _| modinfo::main(a0, p, r), specs: &[&modinfo::SPEC] },
    Applet { name: "depmod", main: |a0, p, r, _| depmod::main(a0, p, r), specs: &[&depmod::SPEC] },
    Applet { name: "modprobe", main: modprobe::main, specs: &[&modprobe::SPEC] },
    Applet { name: "insmod", main: |a0, p, r, _| insmod::main(a0, p, r), specs: &[&insmod::SPEC] },
    Applet { name: "rmmod", main: |a0, p, r, _| rmmod::main(a0, p, r), specs: &[&rmmod::SPEC] },
    Applet { name: "lsmod", main: |a0, _, r, _| lsmod::main(a0, r), specs: &[&lsmod::SPEC] },
    Applet {
        name: "kmod",
        main: |a0, _, r, _| kmod::main(a0, r),
        specs: &[&kmod::KMOD, &kmod::STATIC_NODES],
    },
];
