//! The modprobe.d grammar: kmod's line lexer and every directive.
//!
//! Lexing (kmod's `freadline_wrapped`), on bytes:
//! - a backslash before a newline joins the next line to this one, leading blanks and
//!   all (`a=1 \⏎  b=2` is `a=1   b=2`); the entry's line number is the last physical
//!   line of the joined line, as kmod counts;
//! - a backslash before any other byte is dropped and the byte kept (`\\` is `\`,
//!   `\#` is `#`, `\ ` is a space that still separates tokens); a backslash as the very
//!   last byte of the file becomes the byte 0xFF, as in kmod;
//! - a logical line ends at its first NUL byte;
//! - an empty line, or one whose first byte is `#`, is skipped (`  # x` is not a
//!   comment but a bad line starting with `#`); a comment continued with `\` swallows
//!   the next line;
//! - tokens are separated by spaces and tabs; a line of blanks only is skipped.
//!
//! Directives (case-sensitive; names go through [`underscores`], and a name with an
//! unmatched bracket makes the line bad):
//! - `alias PATTERN MODNAME` (more tokens are ignored);
//! - `options MODNAME OPTIONS`, `install MODNAME COMMAND`, `remove MODNAME COMMAND`:
//!   the text is everything after the one blank that ends the name, and must not be
//!   empty (`options m ` is bad, `options m  ` is an empty option string); options
//!   get their tabs turned into spaces, commands keep them;
//! - `blacklist MODNAME` (more tokens ignored);
//! - `softdep MODNAME TEXT`: TEXT as for options, then `pre:` and `post:` switch lists;
//!   tokens before the first of them are ignored; `softdep m x` is a softdep with no
//!   dependencies; dependency names are not normalised. TEXT is split the way kmod's
//!   `kmod_config_add_softdep` splits it: on any `isspace` byte (so also CR, VT, FF),
//!   and when TEXT starts with exactly one blank (two blanks, or tab and blank, after
//!   the name) that blank belongs to the first token, so a `pre:` or `post:` there is
//!   not recognised (kmod reads ` pre:` as a name and drops it with the names after it
//!   up to the next marker); rkmod follows, and says so
//!   ([`WarningKind::SoftdepMarkerIgnored`], which kmod does not print);
//! - `weakdep MODNAME TEXT` (kmod 33, when accepted): every token of TEXT, split as a
//!   softdep's TEXT is (one leading blank stays in the first name, as in kmod), is a
//!   name;
//! - `include`, `config`: `<file>: command <c> is deprecated and not parsed anymore`;
//! - anything else: `<file> line <n>: ignoring bad line starting with '<cmd>'`, except
//!   that modules.conf directives get one [`WarningKind::LegacyDirective`] per
//!   directive per file naming the modern replacement.

use std::collections::HashMap;
use std::path::Path;

use super::{
    Alias, BadLineWhy, Blacklist, Command, Config, ModOptions, Softdep, Source, Warning, WarningKind, Weakdep,
};
use crate::name::underscores;

/// One line as kmod's lexer delivers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogicalLine {
    /// The last physical line (1-based) the logical line covers.
    pub line: u32,
    /// Continuations joined, escapes resolved, cut at the first NUL.
    pub text: Vec<u8>,
}

/// Split a configuration file into logical lines (see the module documentation). Empty
/// lines are returned too; comments are not recognised here.
pub fn logical_lines(data: &[u8]) -> Vec<LogicalLine> {
    let mut out = Vec::new();
    let mut cur = Vec::new();
    let mut lineno = 0u32;
    let mut pending = false;
    let mut i = 0;
    let emit = |out: &mut Vec<LogicalLine>, cur: &mut Vec<u8>, line: u32| {
        let mut text = std::mem::take(cur);
        if let Some(nul) = text.iter().position(|&b| b == 0) {
            text.truncate(nul);
        }
        out.push(LogicalLine { line, text });
    };
    while i < data.len() {
        match data[i] {
            b'\\' => {
                match data.get(i + 1) {
                    Some(b'\n') => lineno = lineno.saturating_add(1),
                    Some(&c) => cur.push(c),
                    // kmod stores the EOF it read after the backslash as a 0xFF byte.
                    None => cur.push(0xff),
                }
                pending = true;
                i += 2;
            }
            b'\n' => {
                lineno = lineno.saturating_add(1);
                emit(&mut out, &mut cur, lineno);
                pending = false;
                i += 1;
            }
            b => {
                cur.push(b);
                pending = true;
                i += 1;
            }
        }
    }
    if pending {
        lineno = lineno.saturating_add(1);
        emit(&mut out, &mut cur, lineno);
    }
    out
}

/// strtok_r over one line: `next` splits on spaces and tabs, `rest` takes what is left.
struct Tokens<'a> {
    s: &'a [u8],
    pos: usize,
}

impl<'a> Tokens<'a> {
    fn new(s: &'a [u8]) -> Tokens<'a> {
        Tokens { s, pos: 0 }
    }

    fn is_blank(b: u8) -> bool {
        b == b' ' || b == b'\t'
    }

    /// The next token; the blank that ends it is consumed.
    fn next(&mut self) -> Option<&'a [u8]> {
        let b = self.s;
        while self.pos < b.len() && Self::is_blank(b[self.pos]) {
            self.pos += 1;
        }
        if self.pos >= b.len() {
            return None;
        }
        let start = self.pos;
        while self.pos < b.len() && !Self::is_blank(b[self.pos]) {
            self.pos += 1;
        }
        let tok = &self.s[start..self.pos];
        if self.pos < b.len() {
            self.pos += 1;
        }
        Some(tok)
    }

    /// Everything after the last token and its one blank; `None` when that is empty.
    fn rest(&mut self) -> Option<&'a [u8]> {
        if self.pos >= self.s.len() {
            return None;
        }
        let r = &self.s[self.pos..];
        self.pos = self.s.len();
        Some(r)
    }
}

/// What to write instead of a modules.conf directive ([`legacy_directive`]'s name).
pub(crate) fn legacy_hint(directive: &str) -> &'static str {
    legacy_directive(directive.as_bytes()).map(|(_, hint)| hint).unwrap_or("")
}

/// The modules.conf directives modprobe.d does not have, and what to write instead.
fn legacy_directive(cmd: &[u8]) -> Option<(&'static str, &'static str)> {
    Some(match cmd {
        b"pre-install" => (
            "pre-install",
            "to load modules before it use 'softdep MODULE pre: MODULE...', to run a command use 'install MODULE COMMAND'",
        ),
        b"post-install" => (
            "post-install",
            "to load modules after it use 'softdep MODULE post: MODULE...', to run a command use 'install MODULE COMMAND'",
        ),
        b"pre-remove" => (
            "pre-remove",
            "use 'remove MODULE COMMAND' (softdep modules are removed with it)",
        ),
        b"post-remove" => (
            "post-remove",
            "use 'remove MODULE COMMAND' (softdep modules are removed with it)",
        ),
        b"above" => (
            "above",
            "'above MODULE MODULE...' loads the list after MODULE: use 'softdep MODULE post: MODULE...'",
        ),
        b"below" => (
            "below",
            "'below MODULE MODULE...' loads the list before MODULE: use 'softdep MODULE pre: MODULE...'",
        ),
        b"keep" => (
            "keep",
            "module search paths belong to depmod now: use 'search DIR...' in /etc/depmod.d/*.conf",
        ),
        _ if cmd == b"path" || cmd == b"path[...]=" || cmd.starts_with(b"path[") || cmd.starts_with(b"path=") => (
            "path[...]=",
            "module search paths belong to depmod now: use 'search DIR...' in /etc/depmod.d/*.conf",
        ),
        _ => return None,
    })
}

/// Every modprobe.d directive the parser knows (kmod 33's grammar: `weakdep` included;
/// `include` and `config` only to say they are not read any more). A unit test keeps it
/// and the parser agreed.
pub const DIRECTIVES: [&str; 9] =
    ["alias", "options", "install", "remove", "blacklist", "softdep", "weakdep", "include", "config"];

/// Parse the contents of configuration file `file` into `config`, appending problems to
/// `warnings`. `accept_weakdep`: kmod 33 and later; kmod 30 calls `weakdep` a bad line.
pub fn parse_into(
    config: &mut Config,
    file: &Path,
    data: &[u8],
    accept_weakdep: bool,
    warnings: &mut Vec<Warning>,
) {
    // directive -> index of its warning in `warnings`.
    let mut legacy: HashMap<&'static str, usize> = HashMap::new();
    for ll in logical_lines(data) {
        let text = &ll.text[..];
        if text.is_empty() || text.starts_with(b"#") {
            continue;
        }
        let source = || Source::File { file: file.to_path_buf(), line: ll.line };
        let mut tok = Tokens::new(text);
        let Some(cmd) = tok.next() else {
            continue;
        };
        // A name word: missing, or with an unmatched bracket, makes the line bad.
        let name = |word: Option<&[u8]>, usage: &'static str| -> Result<Vec<u8>, BadLineWhy> {
            underscores(word.ok_or(BadLineWhy::MissingWords { usage })?).ok_or(BadLineWhy::UnmatchedBracket)
        };
        fn rest<'r>(rest: Option<&'r [u8]>, usage: &'static str) -> Result<&'r [u8], BadLineWhy> {
            rest.ok_or(BadLineWhy::MissingWords { usage })
        }
        let outcome: Result<(), BadLineWhy> = (|| {
            match cmd {
                b"alias" => {
                    const USAGE: &str = "a pattern and a module name";
                    let pattern = name(tok.next(), USAGE)?;
                    let modname = name(tok.next(), USAGE)?;
                    config.aliases.push(Alias { pattern, modname, source: source() });
                }
                b"options" => {
                    const USAGE: &str = "a module name and options";
                    let modname = name(tok.next(), USAGE)?;
                    let rest = rest(tok.rest(), USAGE)?;
                    config.options.push(ModOptions {
                        modname,
                        options: rest.iter().map(|&b| if b == b'\t' { b' ' } else { b }).collect(),
                        source: source(),
                    });
                }
                b"install" | b"remove" => {
                    const USAGE: &str = "a module name and a command";
                    let modname = name(tok.next(), USAGE)?;
                    let rest = rest(tok.rest(), USAGE)?;
                    let c = Command { modname, command: rest.to_vec(), source: source() };
                    if cmd == b"install" {
                        config.installs.push(c);
                    } else {
                        config.removes.push(c);
                    }
                }
                b"blacklist" => {
                    let modname = name(tok.next(), "a module name")?;
                    config.blacklist.push(Blacklist { modname, source: source() });
                }
                b"softdep" => {
                    const USAGE: &str = "a module name and pre: or post: lists";
                    let modname = name(tok.next(), USAGE)?;
                    let rest = rest(tok.rest(), USAGE)?;
                    let (deps, unread) = softdep_deps(rest);
                    let mut sd = Softdep::from_ordered(modname, &deps, source());
                    sd.unread_marker = unread.map(|m| String::from_utf8_lossy(m).into_owned());
                    if let Some(marker) = &sd.unread_marker {
                        warnings.push(Warning {
                            kind: WarningKind::SoftdepMarkerIgnored {
                                modname: sd.modname.clone(),
                                marker: marker.clone(),
                            },
                            file: Some(file.to_path_buf()),
                            line: Some(ll.line),
                        });
                    }
                    config.softdeps.push(sd);
                }
                b"weakdep" if !accept_weakdep => return Err(BadLineWhy::WeakdepUnsupported),
                b"weakdep" => {
                    const USAGE: &str = "a module name and modules";
                    let modname = name(tok.next(), USAGE)?;
                    let rest = rest(tok.rest(), USAGE)?;
                    let deps = softdep_tokens(rest).into_iter().map(<[u8]>::to_vec).collect();
                    config.weakdeps.push(Weakdep { modname, deps, source: source() });
                }
                b"include" | b"config" => {
                    let command = String::from_utf8_lossy(cmd).into_owned();
                    warnings.push(Warning {
                        kind: WarningKind::DeprecatedCommand { command },
                        file: Some(file.to_path_buf()),
                        line: Some(ll.line),
                    });
                }
                _ => {
                    let Some((directive, _)) = legacy_directive(cmd) else {
                        return Err(BadLineWhy::UnknownCommand);
                    };
                    let entry = (ll.line, cmd.to_vec());
                    match legacy.get(directive) {
                        Some(&idx) => {
                            if let WarningKind::LegacyDirective { lines, .. } = &mut warnings[idx].kind {
                                lines.push(entry);
                            }
                        }
                        None => {
                            legacy.insert(directive, warnings.len());
                            warnings.push(Warning {
                                kind: WarningKind::LegacyDirective {
                                    directive: directive.to_string(),
                                    lines: vec![entry],
                                },
                                file: Some(file.to_path_buf()),
                                line: Some(ll.line),
                            });
                        }
                    }
                }
            }
            Ok(())
        })();
        if let Err(why) = outcome {
            warnings.push(Warning {
                kind: WarningKind::BadLine { command: cmd.to_vec(), why },
                file: Some(file.to_path_buf()),
                line: Some(ll.line),
            });
        }
    }
}

/// C's `isspace` in the C locale.
fn is_c_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// The tokens of a softdep's (or weakdep's) TEXT as kmod delimits them
/// (`kmod_config_add_softdep`, `kmod_config_add_weakdep`):
/// split on `isspace` bytes, runs of them collapsed, except that one blank at the very
/// start stays in the first token.
fn softdep_tokens(text: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut was_space = false;
    for i in 0..=text.len() {
        if i < text.len() {
            if !is_c_space(text[i]) {
                was_space = false;
                continue;
            }
            if was_space {
                start = i + 1;
                continue;
            }
            was_space = true;
            if start >= i {
                continue;
            }
        } else if was_space || start >= i {
            break;
        }
        out.push(&text[start..i]);
        start = i + 1;
    }
    out
}

/// Softdep names in the order written, `true` for a post name.
type OrderedDeps<'a> = Vec<(bool, &'a [u8])>;

/// The dependency names of a softdep line in the order written, and the marker kmod
/// did not recognise because of a leading blank (see the module docs).
fn softdep_deps(rest: &[u8]) -> (OrderedDeps<'_>, Option<&[u8]>) {
    let mut deps = Vec::new();
    let mut mode: Option<bool> = None;
    let mut unread = None;
    for tok in softdep_tokens(rest) {
        match tok {
            b"pre:" => mode = Some(false),
            b"post:" => mode = Some(true),
            _ => {
                if let Some(post) = mode {
                    deps.push((post, tok));
                } else if let Some(marker @ (b"pre:" | b"post:")) = tok.strip_prefix(b" ") {
                    unread = Some(marker);
                }
            }
        }
    }
    (deps, unread)
}

#[cfg(test)]
mod tests {

    #[test]
    fn the_directive_list_is_the_parser() {
        let bad_lines = |text: &str| {
            let (mut config, mut w) = (Config::default(), Vec::new());
            parse_into(&mut config, Path::new("t.conf"), text.as_bytes(), true, &mut w);
            w.iter().filter(|w| matches!(w.kind, WarningKind::BadLine { .. })).count()
        };
        for d in DIRECTIVES {
            assert_eq!(bad_lines(&format!("{d} mod_a mod_b mod_c\n")), 0, "{d}");
        }
        assert_eq!(bad_lines("frob mod_a mod_b\n"), 1);
    }
    use super::*;
    use bstr::ByteSlice;
    use std::path::PathBuf;

    fn strs(v: &[Vec<u8>]) -> Vec<&str> {
        v.iter().map(|d| d.to_str().unwrap()).collect()
    }

    fn lines(data: &[u8]) -> Vec<(u32, String)> {
        logical_lines(data)
            .into_iter()
            .map(|l| (l.line, String::from_utf8_lossy(&l.text).into_owned()))
            .collect()
    }

    fn parse(text: &str) -> (Config, Vec<Warning>) {
        let mut c = Config::default();
        let w = c.parse_file(Path::new("t.conf"), text.as_bytes(), false);
        (c, w)
    }

    fn parse_weak(text: &str) -> (Config, Vec<Warning>) {
        let mut c = Config::default();
        let w = c.parse_file(Path::new("t.conf"), text.as_bytes(), true);
        (c, w)
    }

    /// kmod's wording of the warnings (their kmod 30 stderr lines without libkmod's
    /// prefix).
    fn messages(w: &[Warning]) -> Vec<String> {
        w.iter()
            .flat_map(|w| w.kmod30_stderr())
            .map(|l| {
                let l = String::from_utf8_lossy(&l).into_owned();
                l.split_once("kmod_config_parse: ").map(|(_, m)| m.to_string()).unwrap_or(l)
            })
            .collect()
    }

    fn show(c: &Config) -> String {
        let mut out = Vec::new();
        c.show_config(&mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn lexer_continuation_keeps_leading_blanks() {
        assert_eq!(
            lines(b"options a x=1 \\\n  y=2\nalias b c\n"),
            vec![(2, "options a x=1   y=2".into()), (3, "alias b c".into())]
        );
        // The joined line has no separator at all.
        assert_eq!(lines(b"a\\\nb\n"), vec![(2, "ab".into())]);
        // Several continuations; the line number is the last physical line.
        assert_eq!(lines(b"x\nfoo \\\n\\\n"), vec![(1, "x".into()), (4, "foo ".into())]);
        assert_eq!(lines(b"foo \\\n"), vec![(2, "foo ".into())]);
    }

    #[test]
    fn lexer_escapes() {
        assert_eq!(lines(b"a\\\\ b\\\\\n"), vec![(1, "a\\ b\\".into())]);
        assert_eq!(lines(b"\\#x \\ y\n"), vec![(1, "#x  y".into())]);
        // A backslash before CR keeps the CR; the newline then ends the line.
        assert_eq!(lines(b"a\\\r\nb\n"), vec![(1, "a\r".into()), (2, "b".into())]);
        // A backslash at the very end of the file: kmod stores a 0xFF byte.
        assert_eq!(logical_lines(b"ab\\")[0].text, b"ab\xff");
    }

    #[test]
    fn lexer_nul_and_last_line() {
        assert_eq!(
            lines(b"alias a b\0xyz\n\0alias c d\nlast"),
            vec![(1, "alias a b".into()), (2, "".into()), (3, "last".into())]
        );
        assert_eq!(lines(b""), vec![]);
        assert_eq!(lines(b"\n\n"), vec![(1, "".into()), (2, "".into())]);
    }

    #[test]
    fn comments_only_at_column_zero() {
        let (c, w) = parse("#alias a b\n  # not a comment\n\n   \n\t\nalias c d\n");
        assert_eq!(messages(&w), vec!["t.conf line 2: ignoring bad line starting with '#'"]);
        assert_eq!(c.aliases.len(), 1);
        assert_eq!(c.aliases[0].source, Source::File { file: "t.conf".into(), line: 6 });
        // A comment continued with a backslash swallows the next line.
        let (c, w) = parse("#x \\\nalias a b\nalias c d\n");
        assert!(w.is_empty());
        assert_eq!(c.aliases.len(), 1);
        assert_eq!(c.aliases[0].pattern.as_bstr(), "c");
    }

    #[test]
    fn alias_directive() {
        let (c, w) = parse(
            "alias a-b c-d\nalias\tx[-]-y\tz\textra\nalias a\nalias\nalias a[ b\nalias x y[\nalias e\\ f g\n",
        );
        assert_eq!(
            messages(&w),
            vec![
                "t.conf line 3: ignoring bad line starting with 'alias'",
                "t.conf line 4: ignoring bad line starting with 'alias'",
                "t.conf line 5: ignoring bad line starting with 'alias'",
                "t.conf line 6: ignoring bad line starting with 'alias'",
            ]
        );
        let got: Vec<(&str, &str)> =
            c.aliases.iter().map(|a| (a.pattern.to_str().unwrap(), a.modname.to_str().unwrap())).collect();
        assert_eq!(got, vec![("a_b", "c_d"), ("x[-]_y", "z"), ("e", "f")]);
    }

    #[test]
    fn options_text_rules() {
        let (c, w) = parse(
            "options m \noptions m  \noptions m\t\noptions m \tx\noptions m  a=1\tb=2\noptions\noptions m\noptions m[ a=1\noptions d \"a b\" c=\\\"x\\\"\n",
        );
        assert_eq!(
            messages(&w),
            vec![
                "t.conf line 1: ignoring bad line starting with 'options'",
                "t.conf line 3: ignoring bad line starting with 'options'",
                "t.conf line 6: ignoring bad line starting with 'options'",
                "t.conf line 7: ignoring bad line starting with 'options'",
                "t.conf line 8: ignoring bad line starting with 'options'",
            ]
        );
        let got: Vec<&str> = c.options.iter().map(|o| o.options.to_str().unwrap()).collect();
        assert_eq!(got, vec![" ", " x", " a=1 b=2", "\"a b\" c=\"x\""]);
    }

    #[test]
    fn install_remove_keep_tabs() {
        let (c, w) = parse("install m\tcmd\targ\nremove m\t\tcmd\ninstall m \ninstall m  \ninstall\nremove m\ninstall a-b x\n");
        assert_eq!(
            messages(&w),
            vec![
                "t.conf line 3: ignoring bad line starting with 'install'",
                "t.conf line 5: ignoring bad line starting with 'install'",
                "t.conf line 6: ignoring bad line starting with 'remove'",
            ]
        );
        assert_eq!(show(&c), "install m cmd\targ\ninstall m  \ninstall a_b x\nremove m \tcmd\n");
    }

    #[test]
    fn blacklist_directive() {
        let (c, w) = parse("blacklist a-b extra\nblacklist\nblacklist c[\nblacklist []\n");
        assert_eq!(w.len(), 2);
        let got: Vec<&str> = c.blacklist.iter().map(|b| b.modname.to_str().unwrap()).collect();
        assert_eq!(got, vec!["a_b", "[]"]);
    }

    #[test]
    fn softdep_directive() {
        let (c, w) = parse(
            "softdep m\nsoftdep m \nsoftdep n  \nsoftdep o x\nsoftdep s-1 x pre: a-b b post: c-d\nsoftdep s2 pre: a post: b pre: c\nsoftdep s3 pre:a post:b\nsoftdep s4 post: x pre:\nsoftdep s5[ pre: a\n",
        );
        assert_eq!(
            messages(&w),
            vec![
                "t.conf line 1: ignoring bad line starting with 'softdep'",
                "t.conf line 2: ignoring bad line starting with 'softdep'",
                "t.conf line 9: ignoring bad line starting with 'softdep'",
            ]
        );
        let s = &c.softdeps;
        assert_eq!(s.len(), 6);
        assert!(s[0].pre.is_empty() && s[0].post.is_empty());
        assert_eq!(s[2].modname.as_bstr(), "s_1");
        assert_eq!(strs(&s[2].pre), vec!["a-b", "b"]);
        assert_eq!(strs(&s[2].post), vec!["c-d"]);
        assert_eq!(strs(&s[3].pre), vec!["a", "c"]);
        assert_eq!(strs(&s[3].post), vec!["b"]);
        assert_eq!(s[3].kmod_text().as_bstr(), "pre: a b cpost: b");
        assert_eq!(s[3].fixed_text().as_bstr(), "pre: a c post: b");
        assert!(s[4].pre.is_empty() && s[4].post.is_empty());
        assert_eq!(
            show(&c),
            "softdep n \nsoftdep o \nsoftdep s_1 pre: a-b bpost: c-d\nsoftdep s2 pre: a b cpost: b\nsoftdep s3 \nsoftdep s4 post: x\n"
        );
    }

    #[test]
    fn softdep_tokens_like_kmod() {
        fn t(s: &[u8]) -> Vec<&str> {
            softdep_tokens(s).into_iter().map(|t| t.to_str().unwrap()).collect()
        }
        assert_eq!(t(b"pre: a  b\tpost: c "), ["pre:", "a", "b", "post:", "c"]);
        assert_eq!(t(b" pre: a"), [" pre:", "a"]);
        assert_eq!(t(b"  pre: a"), ["pre:", "a"]);
        assert_eq!(t(b"\t pre: a"), ["pre:", "a"]);
        assert_eq!(t(b"pre:\ra\x0bb\x0cc"), ["pre:", "a", "b", "c"]);
        assert_eq!(t(b" "), Vec::<&str>::new());
        assert_eq!(t(b""), Vec::<&str>::new());
        assert_eq!(t(b" x"), [" x"]);
    }

    #[test]
    fn softdep_marker_after_two_blanks_is_not_read() {
        let (c, w) = parse("softdep e1000e  pre: a post: b\nsoftdep m\t post: x\nsoftdep n   pre: y\n");
        assert!(c.softdeps[0].pre.is_empty());
        assert_eq!(strs(&c.softdeps[0].post), ["b"]);
        assert!(c.softdeps[1].post.is_empty());
        assert_eq!(strs(&c.softdeps[2].pre), ["y"]);
        assert_eq!(w.len(), 2);
        assert_eq!(
            w[0].kind,
            WarningKind::SoftdepMarkerIgnored { modname: b"e1000e".to_vec(), marker: "pre:".into() }
        );
        assert_eq!(w[0].line, Some(1));
        assert!(
            w[0].message().starts_with("t.conf:1: softdep e1000e: 'pre:' right after two blanks"),
            "{}",
            w[0].message()
        );
        assert_eq!(w[1].line, Some(2));
        assert!(!w[0].kmod_reports());
        assert!(super::super::kmod30_stderr(&w).is_empty());
    }

    #[test]
    fn weakdep_flag() {
        let text = "weakdep m a b-c\nweakdep m\nweakdep\n";
        let (c, w) = parse(text);
        assert_eq!(w.len(), 3);
        assert!(messages(&w).iter().all(|m| m.ends_with("starting with 'weakdep'")));
        assert!(w.iter().all(|w| w.message().ends_with("(weakdep is read by kmod 33 and later)")));
        assert!(c.weakdeps.is_empty());
        let (c, w) = parse_weak(text);
        assert_eq!(w.len(), 2);
        assert_eq!(c.weakdeps.len(), 1);
        assert_eq!(strs(&c.weakdeps[0].deps), vec!["a", "b-c"]);
        assert_eq!(show(&c), "weakdep m a b-c\n");
        // Split as kmod splits them: one leading blank stays in the first name.
        let (c, w) = parse_weak("weakdep d  x\t y\rz\nweakdep e   \n");
        assert!(w.is_empty());
        assert_eq!(strs(&c.weakdeps[0].deps), [" x", "y", "z"]);
        assert!(c.weakdeps[1].deps.is_empty());
        assert_eq!(show(&c), "weakdep d  x y z\nweakdep e \n");
    }

    #[test]
    fn deprecated_and_unknown() {
        let (_, w) = parse("include /etc/foo\nconfig x\ninclude\nfoo bar\nALIAS a b\nalias-x y\n");
        assert_eq!(
            messages(&w),
            vec![
                "t.conf: command include is deprecated and not parsed anymore",
                "t.conf: command config is deprecated and not parsed anymore",
                "t.conf: command include is deprecated and not parsed anymore",
                "t.conf line 4: ignoring bad line starting with 'foo'",
                "t.conf line 5: ignoring bad line starting with 'ALIAS'",
                "t.conf line 6: ignoring bad line starting with 'alias-x'",
            ]
        );
    }

    #[test]
    fn bad_line_number_after_continuation() {
        let (_, w) = parse("options c a=1 \\\n b\nfoo \\\nbar\nalias h \\\n\n");
        assert_eq!(
            messages(&w),
            vec![
                "t.conf line 4: ignoring bad line starting with 'foo'",
                "t.conf line 6: ignoring bad line starting with 'alias'",
            ]
        );
    }

    #[test]
    fn legacy_modules_conf() {
        let text = "\
keep
path[toplevel]=/lib/modules/2.4
path[boot]=/lib/modules/boot
alias eth0 e1000
options e1000 speed=100
pre-install e1000 /sbin/foo
post-install e1000 /sbin/bar
pre-install e100 /sbin/baz
above a b c
below a d
bogus x
";
        let (c, w) = parse(text);
        assert_eq!(c.aliases.len(), 1);
        assert_eq!(c.options.len(), 1);
        let kinds: Vec<(String, Vec<u32>)> = w
            .iter()
            .filter_map(|w| match &w.kind {
                WarningKind::LegacyDirective { directive, lines } => {
                    Some((directive.clone(), lines.iter().map(|l| l.0).collect()))
                }
                _ => None,
            })
            .collect();
        assert_eq!(
            kinds,
            vec![
                ("keep".to_string(), vec![1]),
                ("path[...]=".to_string(), vec![2, 3]),
                ("pre-install".to_string(), vec![6, 8]),
                ("post-install".to_string(), vec![7]),
                ("above".to_string(), vec![9]),
                ("below".to_string(), vec![10]),
            ]
        );
        let hint = "to load modules before it use 'softdep MODULE pre: MODULE...', to run a command use \
                    'install MODULE COMMAND'";
        assert_eq!(
            w[2].native_lines(),
            [6, 8]
                .map(|n| format!(
                    "t.conf:{n}: ignoring 'pre-install' (a modutils 2.4 directive that modprobe.d does not \
                     have): {hint}"
                )
                .into_bytes())
                .to_vec()
        );
        assert!(w[4].message().contains("softdep MODULE post:"));
        assert!(w[5].message().contains("softdep MODULE pre:"));
        assert!(w[1].message().contains("depmod.d"));
        assert!(w[0].message().contains("search"));
        assert_eq!(w[6].message(), "t.conf:11: ignoring 'bogus' (not a modprobe.d command)");
        // What kmod 30 prints for the same file: one bad line each, in line order.
        assert_eq!(
            super::super::kmod30_stderr(&w).iter().map(|l| l.to_str().unwrap().to_string()).collect::<Vec<_>>(),
            [
                (1, "keep"),
                (2, "path[toplevel]=/lib/modules/2.4"),
                (3, "path[boot]=/lib/modules/boot"),
                (6, "pre-install"),
                (7, "post-install"),
                (8, "pre-install"),
                (9, "above"),
                (10, "below"),
                (11, "bogus"),
            ]
            .iter()
            .map(|(n, c)| format!(
                "libkmod: ERROR ../libkmod/libkmod-config.c:712 kmod_config_parse: t.conf line {n}: ignoring bad line starting with '{c}'"
            ))
            .collect::<Vec<_>>()
        );
    }

    #[test]
    fn every_entry_knows_its_line() {
        let (c, _) =
            parse("alias a b\n\noptions m x\ninstall m y\nremove m z\nblacklist q\nsoftdep m pre: r\n");
        let f = PathBuf::from("t.conf");
        let at = |line| Source::File { file: f.clone(), line };
        assert_eq!(c.aliases[0].source, at(1));
        assert_eq!(c.options[0].source, at(3));
        assert_eq!(c.installs[0].source, at(4));
        assert_eq!(c.removes[0].source, at(5));
        assert_eq!(c.blacklist[0].source, at(6));
        assert_eq!(c.softdeps[0].source, at(7));
    }
}
