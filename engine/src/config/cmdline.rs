//! Module options and blacklists on the kernel command line (`/proc/cmdline`).
//!
//! The rules, as kmod 30 applies them (each checked against it):
//!
//! - kmod reads at most the first [`KMOD_CMDLINE_MAX`] bytes; the text ends at a NUL.
//! - Tokens are separated by white space (space, tab, newline, CR, VT, FF) outside
//!   double quotes; a quote toggles quoting anywhere in the text.
//! - A token `MOD.PARAM[=VALUE]` gives `options MOD PARAM[=VALUE]`: MOD is the text
//!   before the first `.` and goes through [`underscores`] (an unmatched bracket gives
//!   `Ignoring bad option on kernel command line while parsing module name: '<MOD>'`),
//!   PARAM=VALUE is kept as written, tabs turned into spaces. `mod.flag` (no value),
//!   `mod.p=` (empty value), `m.=3` and `.p=4` (empty parts) all count; `1.5G`-style
//!   values may contain dots.
//! - A token is ignored when it has no `.`, when a `=` comes before the first `.`
//!   (`mem=1.5G`), or when a second `.` comes before the `=` (`x.y.z=1`, `a.b.c`).
//! - Quotes: a value may be quoted or contain quotes (`p="a b"`, `p=a"b c"d`), kept as
//!   written. A token that starts with a quote is the grub-mangled form
//!   `"mod.p=a b"`: when that quote closes after the `=`, the value is re-quoted,
//!   giving `p="a b"` (and `"mod.p=a b"c` gives `p="a b"c`). Any other quote before the
//!   `=` (`m."p=2"`, `"m.p"=1`, `a.b"c d"=1`) makes the token ignored, and so does a quote
//!   left open at the end of the text.
//! - `modprobe.blacklist=a,b` adds blacklist entries, split on `,`, empty ones kept,
//!   names not normalised; repeatable. `modprobe.blacklist` without `=` is an option of
//!   a module called `modprobe`, like `modprobe.anything=else`.
//! - Everything is bytes: a value that is not UTF-8 is passed on unchanged.

use std::path::Path;

use super::{Warning, WarningKind};
use crate::name::underscores;

/// kmod reads `/proc/cmdline` into a 4096-byte buffer: the rest is never seen.
pub const KMOD_CMDLINE_MAX: usize = 4095;

/// One thing the kernel command line configures.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CmdlineItem {
    /// `options MODNAME OPTIONS`.
    Options {
        /// The text before the first `.`, through [`underscores`].
        modname: Vec<u8>,
        /// `PARAM[=VALUE]` as written (tabs turned into spaces).
        options: Vec<u8>,
    },
    /// `blacklist MODNAME` (from `modprobe.blacklist=`).
    Blacklist(Vec<u8>),
}

/// Read `ROOT/proc/cmdline` as kmod does: its first [`KMOD_CMDLINE_MAX`] bytes.
pub fn read(root: &Path) -> std::io::Result<Vec<u8>> {
    let mut data = std::fs::read(root.join("proc/cmdline"))?;
    data.truncate(KMOD_CMDLINE_MAX);
    Ok(data)
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

/// Parse kernel command line text (the contents of `/proc/cmdline`) into options and
/// blacklist entries, in order, with a warning for each bad module name.
pub fn parse(text: &[u8]) -> (Vec<CmdlineItem>, Vec<Warning>) {
    let text = match text.iter().position(|&b| b == 0) {
        Some(i) => &text[..i],
        None => text,
    };
    let mut items = Vec::new();
    let mut warnings = Vec::new();
    let b = text;
    let mut quoted = false;
    let mut start = 0;
    let mut i = 0;
    while i <= b.len() {
        let end_of_token = i == b.len() || (!quoted && is_space(b[i]));
        if end_of_token {
            if i > start {
                // A quote still open at the very end makes the token incomplete.
                let open = i == b.len() && quoted;
                if !open {
                    token(&text[start..i], &mut items, &mut warnings);
                }
            }
            start = i + 1;
        } else if b[i] == b'"' {
            quoted = !quoted;
        }
        i += 1;
    }
    (items, warnings)
}

/// One token (quotes included).
fn token(tok: &[u8], items: &mut Vec<CmdlineItem>, warnings: &mut Vec<Warning>) {
    let b = tok;
    let mut dot: Option<usize> = None;
    let mut value: Option<usize> = None;
    let mut dead = false;
    let mut quoted = false;
    let mut open_at = 0;
    let mut requote = false;
    for (i, &c) in b.iter().enumerate() {
        match c {
            b'"' => {
                quoted = !quoted;
                if quoted {
                    open_at = i;
                    // A quote before the value is only the grub-mangled form, which
                    // opens the token and closes after the `=`.
                    if value.is_none() && i != 0 {
                        dead = true;
                    }
                } else if open_at == 0 && value.is_none() {
                    dead = true;
                } else if open_at == 0 {
                    requote = true;
                }
            }
            b'.' => match (dot, value) {
                (None, _) => dot = Some(i),
                (Some(_), None) => dead = true,
                _ => {}
            },
            b'=' => match (dot, value) {
                (None, _) => dead = true,
                (Some(_), None) => value = Some(i + 1),
                _ => {}
            },
            // Only quoted white space gets here: before the value it spoils the token.
            _ if is_space(c) && value.is_none() => dead = true,
            _ => {}
        }
    }
    let Some(dot) = dot else {
        return;
    };
    if dead || quoted {
        return;
    }
    let mod_start = usize::from(b.first() == Some(&b'"'));
    let raw_modname = &tok[mod_start..dot];
    let options = match (requote, value) {
        (true, Some(v)) => [&tok[dot + 1..v], b"\"", &tok[v..]].concat(),
        _ => tok[dot + 1..].to_vec(),
    };
    let Some(modname) = underscores(raw_modname) else {
        // kmod converts the name in place and stops at the bad bracket, so its message
        // shows the dashes before that point already turned into underscores.
        let shown = partially_underscored(raw_modname);
        warnings.push(Warning {
            kind: WarningKind::CmdlineBadModname { modname: raw_modname.to_vec(), shown },
            file: None,
            line: None,
        });
        return;
    };
    if modname == b"modprobe" {
        if let Some(list) = options.strip_prefix(b"blacklist=") {
            items.extend(list.split(|&c| c == b',').map(|m| CmdlineItem::Blacklist(m.to_vec())));
            return;
        }
    }
    let options = options.iter().map(|&c| if c == b'\t' { b' ' } else { c }).collect();
    items.push(CmdlineItem::Options { modname, options });
}

/// `name` with `-` turned into `_` outside brackets, up to the stray `]` or the
/// unclosed `[` that makes [`underscores`] fail.
fn partially_underscored(name: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(name.len());
    let mut rest = name;
    while let Some(&c) = rest.first() {
        match c {
            b'-' => out.push(b'_'),
            b']' => break,
            b'[' => match rest.iter().position(|&b| b == b']') {
                Some(close) => {
                    out.extend_from_slice(&rest[..=close]);
                    rest = &rest[close + 1..];
                    continue;
                }
                None => break,
            },
            _ => out.push(c),
        }
        rest = &rest[1..];
    }
    out.extend_from_slice(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The `options`/`blacklist` lines `modprobe -c` would print, and the warnings.
    fn lines(text: &str) -> (Vec<String>, Vec<String>) {
        let (items, warnings) = parse(text.as_bytes());
        let mut bl: Vec<String> = Vec::new();
        let mut op: Vec<String> = Vec::new();
        let s = |b: &[u8]| String::from_utf8(b.to_vec()).unwrap();
        for item in items {
            match item {
                CmdlineItem::Blacklist(m) => bl.push(format!("blacklist {}", s(&m))),
                CmdlineItem::Options { modname, options } => {
                    op.push(format!("options {} {}", s(&modname), s(&options)))
                }
            }
        }
        bl.extend(op);
        // kmod's words (its stderr line without libkmod's prefix).
        let kmod = |w: &Warning| {
            let lines = w.kmod30_stderr();
            let l = String::from_utf8_lossy(&lines[0]).into_owned();
            l.split_once("kcmdline_parse_result: ").map(|(_, m)| m.to_string()).unwrap_or(l)
        };
        (bl, warnings.iter().map(kmod).collect())
    }

    fn ok(text: &str, expected: &[&str]) {
        let (got, w) = lines(text);
        assert!(w.is_empty(), "{text:?}: {w:?}");
        assert_eq!(got, expected, "{text:?}");
    }

    // The vectors of kmod's testsuite (module-param-kcmdline*), with the output kmod 30
    // gives for them.

    #[test]
    fn flags_without_value() {
        ok(
            "initrd=\\initramfs-linux.img mod_simple.foo mod_simple.bar=1 root=/dev/sda2 rootfstype=ext4 add_efi_memmap quiet rw\n",
            &["options mod_simple foo", "options mod_simple bar=1"],
        );
    }

    #[test]
    fn quoted_values_and_junk() {
        ok(
            "psmouse.foo psmouse.bar=1 psmouse.foobar=\"test 1\" psmouse.\"invalid option\" \" notamodule\" \"noteamodule2 \" notamodule3 quiet rw\n",
            &["options psmouse foo", "options psmouse bar=1", "options psmouse foobar=\"test 1\""],
        );
    }

    #[test]
    fn bracket_in_module_name() {
        let (got, w) =
            lines("psmouse.foo=2 ivrs_acpihid[14:00.5]=AMD0020:00 psmouse.bar=1 psmouse.zinga=test\n");
        assert_eq!(got, vec!["options psmouse foo=2", "options psmouse bar=1", "options psmouse zinga=test"]);
        assert_eq!(
            w,
            vec![
                "Ignoring bad option on kernel command line while parsing module name: 'ivrs_acpihid[14:00'"
            ]
        );
    }

    #[test]
    fn dyndbg_with_spaces() {
        let expected =
            ["options psmouse foo", "options parport dyndbg=\"file drivers/parport/ieee1284_ops.c +mpf\""];
        ok("psmouse.foo parport.dyndbg=\"file drivers/parport/ieee1284_ops.c +mpf\" quiet rw\n", &expected);
        // The same as grub passes it on.
        ok("psmouse.foo \"parport.dyndbg=file drivers/parport/ieee1284_ops.c +mpf\" quiet rw\n", &expected);
    }

    #[test]
    fn multiple_blacklists() {
        ok(
            "modprobe.blacklist=foo,bar modprobe.blacklist=foo2 quiet modprobe.blacklist=bar2 rw modprobe.blacklist=foobar\n",
            &["blacklist foo", "blacklist bar", "blacklist foo2", "blacklist bar2", "blacklist foobar"],
        );
    }

    #[test]
    fn modprobe_mask_is_just_an_option_in_kmod30() {
        ok(
            "modprobe.mask=foo-bar,bar modprobe.mask=foo2",
            &["options modprobe mask=foo-bar,bar", "options modprobe mask=foo2"],
        );
    }

    #[test]
    fn dots_and_equals() {
        let (got, w) = lines(
            "mem=1.5G a-b.c-d=1.5G x.y.z=1 x.y=1.5.6 bad[.p=1 ok.p=[x] m.p=\"a b\"c m.p2= m.=3 .p=4 m..p=5 m.p3=a\"b\"c\n",
        );
        assert_eq!(
            got,
            vec![
                "options a_b c-d=1.5G",
                "options x y=1.5.6",
                "options ok p=[x]",
                "options m p=\"a b\"c",
                "options m p2=",
                "options m =3",
                "options  p=4",
                "options m p3=a\"b\"c",
            ]
        );
        assert_eq!(w, vec!["Ignoring bad option on kernel command line while parsing module name: 'bad['"]);
        ok(
            "a.b.c a.b=1=2 a=b.c=1 a.b a-b[x-y].c-d=e-f",
            &["options a b=1=2", "options a b", "options a_b[x-y] c-d=e-f"],
        );
    }

    #[test]
    fn blacklist_edge_cases() {
        ok(
            "modprobe.blacklist= modprobe.blacklist=,a,,b, modprobe.blacklist modprobe.blacklist=x-y,z[ modprobe.other=1 \"modprobe.blacklist=q r\"",
            &[
                "blacklist ",
                "blacklist ",
                "blacklist a",
                "blacklist ",
                "blacklist b",
                "blacklist ",
                "blacklist x-y",
                "blacklist z[",
                "blacklist \"q r\"",
                "options modprobe blacklist",
                "options modprobe other=1",
            ],
        );
        ok("modprobe.blacklist=\"a,b c\"", &["blacklist \"a", "blacklist b c\""]);
        ok(
            "mod-probe.blacklist=z Modprobe.blacklist=x",
            &["options mod_probe blacklist=z", "options Modprobe blacklist=x"],
        );
    }

    #[test]
    fn grub_mangled_quotes() {
        ok(
            "\"m.p=a b\" \"m.q\" \"x.y=1\" m.\"p=2\" \"m.r=\"",
            &["options m p=\"a b\"", "options x y=\"1\"", "options m r=\"\""],
        );
        ok("\"a.b=c d\"e", &["options a b=\"c d\"e"]);
        ok("\"a.b=c d\"e\"f g\"", &["options a b=\"c d\"e\"f g\""]);
        ok("\"m.p=a\" b.c=1", &["options m p=\"a\"", "options b c=1"]);
        for ignored in [
            "m.\"p\"=2",
            "m.p\"=2\"",
            "m.p=2\"",
            "m.p=\"2",
            "\"m.p=2",
            "\"m\".p=1",
            "\"m.p\"=1",
            "m\"x\".p=1",
            "\"a=b.c=1\"",
            "\"a.b.c=1\"",
            "\"m.p=x\"\"",
            "\"\"m.p=1",
            "\"a.b=1\"2\"3",
            "\"",
            "\"\"",
            "a\"b c\".d=1",
        ] {
            ok(ignored, &[]);
        }
        // Quoted white space before the value, or a quote pair before it, spoils the
        // token for good (found by the oracle fuzz test).
        for ignored in [
            "\"a\t . =.a\"[]=",
            "\".a\t=.==.\"",
            "\"a b.c=d\"",
            "\"a.b c=d\"",
            "\"\t[. a=\".\t.\"",
            "modprobe.-]\"=\"\"\"",
            "modprobe.[,\"\"=,\"[\"==a",
            "m.\"x\"=\"y\"",
        ] {
            ok(ignored, &[]);
        }
        ok("m.p=\"a\"b\"c\"", &["options m p=\"a\"b\"c\""]);
        ok("m.p=\"\" n.q=1", &["options m p=\"\"", "options n q=1"]);
        ok("a.b=1 \"c.d", &["options a b=1"]);
        let (_, w) = lines("\"bad[.p=1 x\"");
        assert_eq!(w, vec!["Ignoring bad option on kernel command line while parsing module name: 'bad['"]);
        // kmod shows the name as far as it converted it before the bad bracket.
        let (_, w) = lines("-]]-.x a-b[c-d.x e-f[g-h]i-]j-k.x");
        assert_eq!(
            w,
            vec![
                "Ignoring bad option on kernel command line while parsing module name: '_]]-'",
                "Ignoring bad option on kernel command line while parsing module name: 'a_b[c-d'",
                "Ignoring bad option on kernel command line while parsing module name: 'e_f[g-h]i_]j-k'",
            ]
        );
    }

    #[test]
    fn bytes_pass_through() {
        let (items, w) = parse(b"m\xe9.p=\xe9t\xe9 modprobe.blacklist=a\xff,b \xe9[.x=1");
        assert_eq!(
            items,
            vec![
                CmdlineItem::Options { modname: b"m\xe9".to_vec(), options: b"p=\xe9t\xe9".to_vec() },
                CmdlineItem::Blacklist(b"a\xff".to_vec()),
                CmdlineItem::Blacklist(b"b".to_vec()),
            ]
        );
        assert_eq!(
            w[0].kind,
            WarningKind::CmdlineBadModname { modname: b"\xe9[".to_vec(), shown: b"\xe9[".to_vec() }
        );
    }

    #[test]
    fn white_space() {
        ok(
            "a.b=1\tc.d=2\ne.f=3\rg.h=4\x0bi.j=5\x0ck.l=6",
            &[
                "options a b=1",
                "options c d=2",
                "options e f=3",
                "options g h=4",
                "options i j=5",
                "options k l=6",
            ],
        );
        ok("  a.b  ", &["options a b"]);
        // Tabs inside quotes are kept, and shown as spaces like every option.
        ok("m.p=a\tb m.q=\"tab\tx\"", &["options m p=a", "options m q=\"tab x\""]);
        // Other control bytes are not separators.
        ok("a.b=1\x01c.d=2", &["options a b=1\x01c.d=2"]);
        ok("-- a.b=1", &["options a b=1"]);
        ok("a.b=1\0c.d=2", &["options a b=1"]);
    }

    #[test]
    fn read_truncates_like_kmod() {
        let t = tempfile::tempdir().unwrap();
        std::fs::create_dir(t.path().join("proc")).unwrap();
        let text = format!("{} x.y=123456789012345 z.w=1\n", "a".repeat(4080));
        std::fs::write(t.path().join("proc/cmdline"), text).unwrap();
        let got = read(t.path()).unwrap();
        assert_eq!(got.len(), 4095);
        assert_eq!(lines(std::str::from_utf8(&got).unwrap()).0, vec!["options x y=1234567890"]);
    }

    #[test]
    fn linear_time_on_long_input() {
        let long = format!("{}.{}", "a-".repeat(200_000), "\"=.".repeat(100_000));
        let start = std::time::Instant::now();
        let _ = parse(long.as_bytes());
        assert!(start.elapsed().as_secs() < 5);
    }
}
