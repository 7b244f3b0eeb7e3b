//! `kmod` as a program name: `kmod [-h|-V] COMMAND`, with kmod 30's commands `help`,
//! `list` (lsmod) and `static-nodes`, as systemd's `kmod-static-nodes.service` runs
//! it (`kmod static-nodes --format=tmpfiles --output=/run/tmpfiles.d/static-nodes.conf`).
//!
//! `static-nodes` reads `/lib/modules/$(uname -r)/modules.devname` (no `-b`) and
//! prints each `MODULE DEVNAME TYPEMAJ:MIN` entry as `human` (default), `tmpfiles`
//! (`d /dev/DIR 0755 - - -` for a devname with a directory, then
//! `c! /dev/NAME 0600 - - - MAJ:MIN`) or `devname`; `-o FILE` writes there, creating
//! parent directories. A missing modules.devname is a warning and exit 0; a bad line is
//! reported and skipped, and the exit status is 1.

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;

use super::applet::{self, Flow, Spec};
use super::getopt::{HasArg, LongOpt};
use super::log::Log;
use super::output;
use rkmod::kernel::System;

const COMMANDS: &[(&str, &str)] = &[
    ("help", "Show help message"),
    ("list", "list currently loaded modules"),
    ("static-nodes", "outputs the static-node information installed with the currently running kernel"),
];

const COMPAT: &[(&str, &str)] = &[
    ("lsmod", "compat lsmod command"),
    ("rmmod", "compat rmmod command"),
    ("insmod", "compat insmod command"),
    ("modinfo", "compat modinfo command"),
    ("modprobe", "compat modprobe command"),
    ("depmod", "compat depmod command"),
];

fn help(name: &str) -> String {
    let mut s = format!(
        "kmod - Manage kernel modules: list, load, unload, etc\n\
         Usage:\n\
         \t{name} [options] command [command_options]\n\n\
         Options:\n\
         \t-V, --version     show version\n\
         \t-h, --help        show this help\n\n\
         Commands:\n"
    );
    for (c, h) in COMMANDS {
        s.push_str(&format!("  {c:<12} {h}\n"));
    }
    s.push_str("\nkmod also handles gracefully if called from following symlinks:\n");
    for (c, h) in COMPAT {
        s.push_str(&format!("  {c:<12} {h}\n"));
    }
    s
}

fn basename(s: &str) -> &str {
    s.rsplit('/').next().unwrap_or(s)
}

/// `kmod ...`: options stop at the first command word (`+hV`).
pub fn main(argv0_os: &OsStr, args: &[OsString]) -> i32 {
    let argv0 = &*argv0_os.to_string_lossy();
    let split = args
        .iter()
        .position(|a| !a.as_bytes().starts_with(b"-") || a.as_bytes() == b"-")
        .unwrap_or(args.len());
    let (opts, rest) = args.split_at(split);
    let (opts, rest) = match opts.iter().position(|a| a.as_bytes() == b"--") {
        Some(i) => (&opts[..i], &args[i + 1..]),
        None => (opts, rest),
    };
    let prog = basename(argv0).to_string();
    if let Err(code) = applet::parse(&KMOD, argv0_os, &prog, opts, |_, _| Flow::Go) {
        return code;
    }
    let Some(cmd) = rest.first() else {
        Log::new("kmod").plain("missing command");
        output::print(&help(basename(argv0)));
        return 1;
    };
    match cmd.as_bytes() {
        b"help" => {
            output::print(&help("help"));
            0
        }
        b"list" => super::lsmod::main(OsStr::new("list"), &rest[1..]),
        b"static-nodes" => static_nodes(&rest[1..]),
        other => {
            super::log::plain(&[b"invalid command '", other, b"'"].concat());
            output::print(&help(basename(argv0)));
            1
        }
    }
}

/// `kmod`'s own options (before the command).
pub const KMOD: Spec = Spec {
    short: "hV",
    long: &[LongOpt::new("help", HasArg::No, 'h'), LongOpt::new("version", HasArg::No, 'V')],
    kmod30: None,
    help,
};

const FORMATS: &[(&str, &str)] = &[
    ("human", "(default) a human readable format. Do not parse."),
    ("tmpfiles", "the tmpfiles.d(5) format used by systemd-tmpfiles."),
    ("devname", "the modules.devname format."),
];

fn static_nodes_help() -> String {
    let mut s = String::from(
        "Usage:\n\
         \tkmod static-nodes [options]\n\
         \n\
         kmod static-nodes outputs the static-node information of the currently running kernel.\n\
         \n\
         Options:\n\
         \t-f, --format=FORMAT  choose format to use: see \"Formats\"\n\
         \t-o, --output=FILE    write output to file\n\
         \t-h, --help           show this help\n\
         \n\
         Formats:\n",
    );
    for (n, d) in FORMATS {
        s.push_str(&format!("\t{n:<12} {d}\n"));
    }
    s
}

/// One `modules.devname` entry in a static-nodes format.
fn format_entry(format: &str, module: &str, dev: &str, kind: char, major: u32, minor: u32) -> String {
    match format {
        "tmpfiles" => {
            let mut s = String::new();
            if let Some(slash) = dev.rfind('/') {
                s.push_str(&format!("d /dev/{} 0755 - - -\n", &dev[..slash]));
            }
            s.push_str(&format!("{kind}! /dev/{dev} 0600 - - - {major}:{minor}\n"));
            s
        }
        "devname" => format!("{module} {dev} {kind}{major}:{minor}\n"),
        _ => format!(
            "Module: {module}\n\tDevice node: /dev/{dev}\n\t\tType: {} device\n\t\tMajor: {major}\n\t\tMinor: {minor}\n",
            if kind == 'c' { "character" } else { "block" }
        ),
    }
}

/// sscanf("%s %s %c%u:%u") of one line, as kmod reads modules.devname.
fn parse_devname(line: &str) -> Option<(&str, &str, char, u32, u32)> {
    let b = line.as_bytes();
    let mut at = 0;
    let skip_ws = |at: &mut usize| {
        while *at < b.len() && b[*at].is_ascii_whitespace() {
            *at += 1;
        }
    };
    let word = |at: &mut usize| -> Option<&str> {
        skip_ws(at);
        let start = *at;
        while *at < b.len() && !b[*at].is_ascii_whitespace() {
            *at += 1;
        }
        (*at > start).then(|| &line[start..*at])
    };
    let number = |at: &mut usize| -> Option<u32> {
        skip_ws(at);
        let start = *at;
        while *at < b.len() && b[*at].is_ascii_digit() {
            *at += 1;
        }
        line[start..*at].parse().ok()
    };
    let module = word(&mut at)?;
    let dev = word(&mut at)?;
    skip_ws(&mut at);
    let kind = line[at..].chars().next()?;
    at += kind.len_utf8();
    let major = number(&mut at)?;
    if b.get(at) != Some(&b':') {
        return None;
    }
    at += 1;
    let minor = number(&mut at)?;
    (kind == 'c' || kind == 'b').then_some((module, dev, kind, major, minor))
}

/// `kmod static-nodes`'s options.
pub const STATIC_NODES: Spec = Spec {
    short: "o:f:h",
    long: &[
        LongOpt::new("output", HasArg::Required, 'o'),
        LongOpt::new("format", HasArg::Required, 'f'),
        LongOpt::new("help", HasArg::No, 'h'),
    ],
    kmod30: None,
    help: |_| static_nodes_help(),
};

fn static_nodes(args: &[OsString]) -> i32 {
    let log = Log::new("kmod");
    let mut output_path: Option<OsString> = None;
    let mut format = "human";
    let parsed = applet::parse(&STATIC_NODES, OsStr::new("static-nodes"), "static-nodes", args, |c, v| {
        let v = v.unwrap_or_default();
        match c {
            'o' => output_path = Some(v),
            'f' => match FORMATS.iter().find(|(n, _)| n.as_bytes() == v.as_bytes()) {
                Some((n, _)) => format = n,
                None => {
                    super::log::plain(&[b"Unknown format: '", v.as_bytes(), b"'."].concat());
                    output::print(&static_nodes_help());
                    return Flow::Exit(1);
                }
            },
            _ => {}
        }
        Flow::Go
    });
    if let Err(code) = parsed {
        return code;
    }
    let sys = System::detect();
    let Ok(release) = sys.release() else {
        log.plain("Error: uname failed!");
        return 1;
    };
    let shown = format!("/lib/modules/{release}/modules.devname");
    let input = match std::fs::read(sys.module_dir(&release).join("modules.devname")) {
        Ok(d) => d,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            log.plain(&format!("Warning: {shown} not found - ignoring"));
            return 0;
        }
        Err(e) => {
            log.plain(&format!(
                "Error: could not open {shown} - {}",
                rkmod::error::errno_text(rkmod::error::io_errno(&e))
            ));
            return 1;
        }
    };
    let mut out = String::new();
    let mut status = 0;
    for line in String::from_utf8_lossy(&input).split_inclusive('\n') {
        if line.starts_with('#') {
            continue;
        }
        match parse_devname(line) {
            Some((m, d, k, maj, min)) => out.push_str(&format_entry(format, m, d, k, maj, min)),
            None => {
                super::log::raw(format!("Error: invalid devname entry: {line}").as_bytes());
                status = 1;
            }
        }
    }
    match output_path {
        None => output::print(&out),
        Some(path) => {
            let p = std::path::Path::new(&path);
            if let Some(parent) = p.parent().filter(|d| !d.as_os_str().is_empty()) {
                if let Err(e) = std::fs::create_dir_all(parent) {
                    let text = rkmod::error::errno_text(rkmod::error::io_errno(&e));
                    let msg =
                        [b"Error: could not create parent directory for ", path.as_bytes(), b" - "].concat();
                    super::log::plain(&[&msg[..], text.as_bytes(), b"."].concat());
                    return 1;
                }
            }
            if let Err(e) = std::fs::write(p, out) {
                let text = rkmod::error::errno_text(rkmod::error::io_errno(&e));
                let msg = [b"Error: could not create ", path.as_bytes(), b" - ", text.as_bytes()].concat();
                super::log::plain(&msg);
                return 1;
            }
        }
    }
    status
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devname_lines_and_formats() {
        assert_eq!(parse_devname("fuse fuse c10:229\n"), Some(("fuse", "fuse", 'c', 10, 229)));
        assert_eq!(parse_devname("loop loop-control c 10 : 237"), None);
        assert_eq!(
            parse_devname("dm_mod mapper/control c10:236"),
            Some(("dm_mod", "mapper/control", 'c', 10, 236))
        );
        assert_eq!(parse_devname("x y z1:2"), None);
        assert_eq!(parse_devname("x y b"), None);
        assert_eq!(
            format_entry("tmpfiles", "dm_mod", "mapper/control", 'c', 10, 236),
            "d /dev/mapper 0755 - - -\nc! /dev/mapper/control 0600 - - - 10:236\n"
        );
        assert_eq!(format_entry("devname", "fuse", "fuse", 'c', 10, 229), "fuse fuse c10:229\n");
        assert!(format_entry("human", "loop", "loop-control", 'b', 7, 0).contains("Type: block device"));
    }
}
