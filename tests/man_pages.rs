//! The hand-written man pages (`man/<applet>.8`, `man/modprobe.d.5`, `man/depmod.d.5`,
//! `man/modules.dep.5`) against what the code does:
//!
//! - every page in `man/` renders with groff's man macros without a warning
//!   (`groff -man -Tutf8 -ww -z`, groff-base), at man's usual line length and at a
//!   narrow terminal's, and has the `.TH` its file name says;
//! - every applet of the dispatch table (`cli::APPLETS`) has a page, which documents, in the
//!   tag of an indented paragraph (`.TP`), every option the applet accepts: the short
//!   options and long names of the option tables its parsing uses (`applet::Spec`), and
//!   the options its `--help` lists; and no option it does not accept;
//! - `modprobe.d.5` and `depmod.d.5` document every directive their parsers recognise
//!   (`config::parse::DIRECTIVES`, `depmod::config::DIRECTIVES`, which unit tests tie to
//!   the parsers), and every directive they document is one the parser recognises;
//! - `modules.dep.5` names every file depmod writes into a module directory.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::util::{applet, fixture_ko};

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn read(rel: &str) -> String {
    let path = repo().join(rel);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A page's text, by file name in `man/`.
fn page(name: &str) -> String {
    read(&format!("man/{name}"))
}

/// One roff line as plain text: the leading macro and quotes removed, `\-` as `-`, font
/// changes, `\&` and `\%` dropped, `\e` as a backslash.
fn plain(line: &str) -> String {
    let line = match line.strip_prefix('.') {
        Some(rest) => rest.split_once(' ').map(|(_, args)| args).unwrap_or("").replace('"', ""),
        None => line.to_string(),
    };
    let mut out = String::new();
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('-') => out.push('-'),
            Some('e') => out.push('\\'),
            Some('f') => {
                // \fB, \fI, \fR, \fP, or \f(XY
                let font = chars.next();
                if font == Some('(') {
                    chars.nth(1);
                }
            }
            Some('&') | Some('%') => {}
            Some('(') => {
                // A two-letter special character: keep a placeholder.
                chars.nth(1);
                out.push('?');
            }
            Some(other) => out.push(other),
            None => {}
        }
    }
    out
}

/// The tags of the indented paragraphs (`.TP`, the line after it) as plain text, each
/// with the section (`.SH`) it is in.
fn tags(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut section = String::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if line.starts_with(".SH") {
            section = plain(line);
        } else if line == ".TP" || line.starts_with(".TP ") {
            if let Some(tag) = lines.next() {
                out.push((section.clone(), plain(tag)));
            }
        }
    }
    out
}

/// The words of a tag, split at blanks, commas, `=`, `|` and brackets.
fn words(tag: &str) -> impl Iterator<Item = &str> {
    tag.split(|c: char| c.is_whitespace() || ",=|[]".contains(c)).filter(|w| !w.is_empty())
}

/// The options documented in a page: the words of its tags that look like options.
fn documented_options(text: &str) -> BTreeSet<String> {
    tags(text)
        .iter()
        .flat_map(|(_, tag)| words(tag).filter(|w| w.starts_with('-') && w.len() > 1).map(str::to_string))
        .collect::<BTreeSet<_>>()
}

/// The applets the binary answers to (the dispatch table itself).
fn applets() -> Vec<String> {
    rkmod_cli::cli::APPLETS.iter().map(|a| a.name.to_string()).collect()
}

/// Every option an applet's option tables accept (the tables its parsing uses): each
/// short option letter and each long name.
fn source_options(applet: &str) -> BTreeSet<String> {
    let a = rkmod_cli::cli::APPLETS.iter().find(|a| a.name == applet).expect("an applet");
    let mut opts = BTreeSet::new();
    for spec in a.specs {
        opts.extend(spec.short.chars().filter(|&c| c != ':').map(|c| format!("-{c}")));
        opts.extend(spec.long.iter().map(|l| format!("--{}", l.name)));
    }
    opts
}

/// The options a help text lists: each line that starts (after blanks) with `-`, up to
/// the two blanks before its description.
fn help_options(help: &str) -> BTreeSet<String> {
    let mut opts = BTreeSet::new();
    for line in help.lines() {
        let line = line.trim_start();
        if !line.starts_with('-') {
            continue;
        }
        let head = line.split("  ").next().unwrap_or(line);
        let head = head.split('\t').next().unwrap_or(head);
        opts.extend(
            head.split(|c: char| c.is_whitespace() || ",=<>".contains(c))
                .filter(|w| w.starts_with('-') && w.len() > 1)
                .map(str::to_string),
        );
    }
    opts
}

/// What an applet run with these arguments prints on stdout (it must succeed).
fn help_of(name: &str, args: &[&str]) -> String {
    let out = applet(name).args(args).output().unwrap();
    assert!(out.status.success(), "{name} {args:?}: {:?}", out);
    String::from_utf8(out.stdout).unwrap()
}

/// The options of an applet, from its source and from its help texts.
fn applet_options(name: &str) -> BTreeSet<String> {
    let mut opts = source_options(name);
    let helps: Vec<String> = if name == "kmod" {
        vec![help_of("kmod", &["--help"]), help_of("kmod", &["static-nodes", "--help"])]
    } else {
        vec![help_of(name, &["--help"])]
    };
    for h in &helps {
        let listed = help_options(h);
        assert!(!listed.is_empty(), "{name}: no options found in its help:\n{h}");
        opts.extend(listed);
    }
    opts
}

#[test]
fn pages_render_without_warnings() {
    let mut pages: Vec<PathBuf> = std::fs::read_dir(repo().join("man"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| matches!(p.extension().and_then(|e| e.to_str()), Some("5" | "8")))
        .collect();
    pages.sort();
    assert!(pages.len() >= 10, "{pages:?}");
    let mut problems = Vec::new();
    for p in &pages {
        // man's default line length, and a narrow terminal's: a word too long for the
        // line (words run together by a macro, an unbreakable path) shows as a warning.
        for width in ["-rLL=78n", "-rLL=65n"] {
            let out = Command::new("groff")
                .args(["-man", "-Tutf8", "-ww", "-z", width])
                .arg(p)
                .env("LC_ALL", "C.UTF-8")
                .output()
                .unwrap_or_else(|e| panic!("groff: {e} (install groff-base; tests/run-all does)"));
            if !out.status.success() || !out.stderr.is_empty() {
                let stderr = String::from_utf8_lossy(&out.stderr);
                problems.push(format!("{} ({width}):\n{stderr}", p.display()));
            }
        }
        // `.TH NAME SECTION` as the file name says (`modprobe.d.5`: MODPROBE.D 5).
        let file = p.file_name().unwrap().to_str().unwrap();
        let (stem, section) = file.rsplit_once('.').unwrap();
        let text = std::fs::read_to_string(p).unwrap();
        let th = text.lines().find(|l| l.starts_with(".TH ")).map(plain).unwrap_or_default();
        let mut th = th.split_whitespace();
        let (name, sec) = (th.next().unwrap_or(""), th.next().unwrap_or(""));
        if !name.eq_ignore_ascii_case(stem) || sec != section {
            problems.push(format!("{}: .TH says {name} {sec}", p.display()));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_applet_has_a_page_documenting_every_option() {
    let mut problems = Vec::new();
    for name in applets() {
        let Ok(text) = std::fs::read_to_string(repo().join(format!("man/{name}.8"))) else {
            problems.push(format!("{name}: no man/{name}.8"));
            continue;
        };
        let accepted = applet_options(&name);
        let documented = documented_options(&text);
        for missing in accepted.difference(&documented) {
            problems.push(format!("man/{name}.8 does not document {missing}"));
        }
        for extra in documented.difference(&accepted) {
            problems.push(format!("man/{name}.8 documents {extra}, which {name} does not accept"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The directives of a configuration page: the first word of each comma-separated part
/// of each tag in its DIRECTIVES section (`include, config` gives both).
fn documented_directives(text: &str) -> BTreeSet<String> {
    tags(text)
        .into_iter()
        .filter(|(section, _)| section == "DIRECTIVES")
        .flat_map(|(_, tag)| {
            tag.split(", ")
                .filter_map(|part| part.split_whitespace().next().map(str::to_string))
                .collect::<Vec<_>>()
        })
        .collect()
}

#[test]
fn modprobe_d_documents_every_directive() {
    let recognised: BTreeSet<String> =
        rkmod::config::parse::DIRECTIVES.iter().map(|d| d.to_string()).collect();
    let documented = documented_directives(&page("modprobe.d.5"));
    let missing: Vec<_> = recognised.difference(&documented).collect();
    assert!(missing.is_empty(), "modprobe.d.5 does not document {missing:?}");
    // Every documented directive is one the parser knows (kmod 33's grammar, weakdep
    // included): no "ignoring bad line" for it.
    for d in &documented {
        let mut config = rkmod::config::Config::default();
        let mut warnings = Vec::new();
        let line = format!("{d} mod_a mod_b mod_c\n");
        rkmod::config::parse::parse_into(
            &mut config,
            Path::new("t.conf"),
            line.as_bytes(),
            true,
            &mut warnings,
        );
        let bad = warnings.iter().any(|w| matches!(w.kind, rkmod::config::WarningKind::BadLine { .. }));
        assert!(!bad, "modprobe.d.5 documents {d}, which the parser rejects: {warnings:?}");
    }
}

#[test]
fn depmod_d_documents_every_directive() {
    let recognised: BTreeSet<String> =
        rkmod::depmod::config::DIRECTIVES.iter().map(|d| d.to_string()).collect();
    let documented = documented_directives(&page("depmod.d.5"));
    let missing: Vec<_> = recognised.difference(&documented).collect();
    assert!(missing.is_empty(), "depmod.d.5 does not document {missing:?}");
    for d in &documented {
        let mut cfg = rkmod::depmod::config::DepmodConfig::default();
        cfg.parse(Path::new("t.conf"), &format!("{d} a * b\n"), "1.0");
        let bad: Vec<_> = cfg.messages.iter().filter(|(_, m)| m.contains("ignoring bad line")).collect();
        assert!(bad.is_empty(), "depmod.d.5 documents {d}, which the parser rejects: {bad:?}");
    }
}

#[test]
fn modules_dep_names_every_file_depmod_writes() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("lib/modules/1.0");
    std::fs::create_dir_all(dir.join("kernel")).unwrap();
    for m in ["hello.ko", "devnode.ko"] {
        std::fs::copy(fixture_ko(m), dir.join("kernel").join(m)).unwrap();
    }
    let out = applet("depmod").args(["-C", "/dev/null", "-b"]).arg(tmp.path()).arg("1.0").output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let written: BTreeSet<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().unwrap().is_file())
        .map(|e| e.file_name().into_string().unwrap())
        .collect();
    assert!(written.contains("modules.dep"), "{written:?}");
    let text = page("modules.dep.5");
    let named: BTreeSet<String> = tags(&text).into_iter().map(|(_, tag)| tag).collect();
    let missing: Vec<_> = written.difference(&named).collect();
    assert!(missing.is_empty(), "modules.dep.5 has no entry for {missing:?}");
}

#[test]
fn roff_to_plain() {
    assert_eq!(plain(r"\fB\-w\fR, \fB\-\-wait\fR=\fIMSEC\fR"), "-w, --wait=MSEC");
    assert_eq!(plain(r#".BR \-a ", " \-\-all"#), "-a ,  --all");
    assert_eq!(plain(r"\fBinclude\fR, \fBconfig\fR"), "include, config");
    assert_eq!(words("-C, --config=PATH").collect::<Vec<_>>(), ["-C", "--config", "PATH"]);
    assert_eq!(
        help_options("\t-C, --config=FILE           Use FILE\n\t    --first-time  Fail\n\tmodprobe -a x\n"),
        ["--config", "--first-time", "-C"].iter().map(|s| s.to_string()).collect()
    );
}
