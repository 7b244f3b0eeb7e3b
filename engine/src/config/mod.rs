//! modprobe's configuration: modprobe.d files, `modules.softdep`, the kernel command line.
//!
//! [`Config::load`] reads what kmod's `kmod_new()` reads, in kmod's order, and keeps
//! every entry with the file and line it came from:
//!
//! 1. the files ([`paths`]): `*.conf` (and, as kmod 30 does, `*.alias`) from
//!    `/etc/modprobe.d`, `/run/modprobe.d`, `/usr/local/lib/modprobe.d`,
//!    `/usr/lib/modprobe.d` and `/lib/modprobe.d` under a root, or the `-C` paths instead;
//!    plus `modules.softdep` (and `modules.weakdep`) of the module directory. All of them
//!    in one list sorted by file name, the first directory winning a duplicate name;
//! 2. each file parsed line by line ([`parse`]): `alias`, `options`, `install`,
//!    `remove`, `blacklist`, `softdep`, `weakdep`; bad lines become [`Warning`]s and the
//!    rest of the file still applies;
//! 3. the kernel command line last ([`cmdline`]): `mod.param=value` options and
//!    `modprobe.blacklist=`.
//!
//! Names, options, commands and the kernel command line are bytes (`Vec<u8>`), as in
//! kmod: nothing is decoded, so a byte that is not UTF-8 reaches `modprobe -c`, the
//! kernel's parameter string and `/bin/sh` unchanged.
//!
//! Nothing here prints. Problems come back as [`Warning`] values, which carry both the
//! rkmod wording ([`Warning::message`]) and the exact lines kmod 30 writes to stderr for
//! the same problem ([`kmod30_stderr`]), so the `modprobe` applet can be byte-identical
//! and `rkmod probe` can say more.
//!
//! The query helpers apply kmod's matching rules: config aliases are fnmatch patterns
//! and all matches count, `install`/`remove`/`softdep`/`weakdep` are fnmatch patterns and
//! the first match wins, `options` and `blacklist` compare names exactly.

pub mod cmdline;
pub mod parse;
pub mod paths;

use std::fmt;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use crate::fnmatch::fnmatch;

/// Where an entry came from.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Source {
    /// A configuration file and the line the entry ends on (a line continued with `\`
    /// counts as its last physical line, as kmod counts).
    File {
        /// The file as it was opened (the configuration directory joined with the
        /// entry's name, or a `-C` path).
        file: PathBuf,
        /// 1-based.
        line: u32,
    },
    /// The kernel command line (`/proc/cmdline`).
    CommandLine,
}

impl Source {
    /// `FILE:LINE` with the file name's own bytes, or `kernel command line`.
    pub fn to_bytes(&self) -> Vec<u8> {
        match self {
            Source::File { file, line } => {
                [file.as_os_str().as_bytes(), format!(":{line}").as_bytes()].concat()
            }
            Source::CommandLine => b"kernel command line".to_vec(),
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::File { file, line } => write!(f, "{}:{}", file.display(), line),
            Source::CommandLine => f.write_str("kernel command line"),
        }
    }
}

/// `alias PATTERN MODNAME`: both normalised with [`crate::name::underscores`]; the
/// pattern is matched with fnmatch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alias {
    /// The fnmatch pattern the looked-up name is matched against.
    pub pattern: Vec<u8>,
    /// The module it resolves to (not followed to further aliases).
    pub modname: Vec<u8>,
    /// Where the line was read.
    pub source: Source,
}

/// `options MODNAME OPTIONS`, or `MODNAME.param=value` from the kernel command line.
///
/// `options` is stored as kmod stores it: everything after the one blank that ends the
/// module name (so `options m  a=1` keeps a leading space), tabs turned into spaces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModOptions {
    /// The module name or alias the options are for (compared exactly, not a pattern).
    pub modname: Vec<u8>,
    /// The option text, as stored (see above).
    pub options: Vec<u8>,
    /// Where the line was read.
    pub source: Source,
}

/// `install PATTERN COMMAND` or `remove PATTERN COMMAND`. The command is stored as kmod
/// stores it: everything after the one blank that ends the name, tabs kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    /// The fnmatch pattern of the module names the command replaces (compared
    /// exactly for lookup step 4, [`Config::command_exact`]).
    pub modname: Vec<u8>,
    /// The shell command, as stored (`$CMDLINE_OPTS` not yet expanded).
    pub command: Vec<u8>,
    /// Where the line was read.
    pub source: Source,
}

/// `blacklist MODNAME`, or one name of `modprobe.blacklist=` on the kernel command line
/// (kmod does not normalise those: `modprobe.blacklist=a-b` never matches `a_b`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Blacklist {
    /// The module name (compared exactly).
    pub modname: Vec<u8>,
    /// Where the entry was read.
    pub source: Source,
}

/// `softdep PATTERN [pre: MOD...] [post: MOD...]`. The dependency names keep their
/// spelling (they are looked up like command-line names later).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Softdep {
    /// The fnmatch pattern of the module names the softdep applies to.
    pub modname: Vec<u8>,
    /// The `pre:` names, loaded before the module, in order.
    pub pre: Vec<Vec<u8>>,
    /// The `post:` names, loaded after the module, in order.
    pub post: Vec<Vec<u8>>,
    /// Where the line was read.
    pub source: Source,
    /// `pre:` or `post:` written right after two blanks, which kmod does not recognise
    /// (see [`crate::config::parse`]); the names it would have introduced are dropped.
    pub unread_marker: Option<String>,
    /// What kmod 30's `modprobe -c` prints after the name (see [`Softdep::kmod_text`]).
    kmod_text: Vec<u8>,
}

/// `weakdep PATTERN MOD...` (kmod 33): informational, never loaded by modprobe (the
/// modules a module may request at run time, for initramfs builders). The names are
/// split as kmod splits softdep names, and keep their spelling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Weakdep {
    /// The fnmatch pattern of the module names the weakdep applies to.
    pub modname: Vec<u8>,
    /// The modules named, in order.
    pub deps: Vec<Vec<u8>>,
    /// Where the line was read.
    pub source: Source,
}

impl Softdep {
    /// A softdep whose `pre:` list was written before its `post:` list.
    pub fn new(modname: Vec<u8>, pre: Vec<Vec<u8>>, post: Vec<Vec<u8>>, source: Source) -> Softdep {
        let mut deps: Vec<(bool, &[u8])> = pre.iter().map(|d| (false, d.as_slice())).collect();
        deps.extend(post.iter().map(|d| (true, d.as_slice())));
        let kmod_text = kmod_softdep_text(&deps);
        Softdep { modname, pre, post, source, unread_marker: None, kmod_text }
    }

    /// Build from the dependencies in the order they were written (`true` = post).
    pub(crate) fn from_ordered(modname: Vec<u8>, deps: &[(bool, &[u8])], source: Source) -> Softdep {
        let pick = |post: bool| deps.iter().filter(|(p, _)| *p == post).map(|(_, d)| d.to_vec()).collect();
        let kmod_text = kmod_softdep_text(deps);
        Softdep { pre: pick(false), post: pick(true), kmod_text, modname, source, unread_marker: None }
    }

    /// rkmod's warning about [`Softdep::unread_marker`], naming the file and line.
    pub fn unread_marker_warning(&self) -> Option<String> {
        let marker = self.unread_marker.as_deref()?;
        let note = softdep_marker_note(&self.modname, marker);
        Some(format!("{}: {}", self.source, String::from_utf8_lossy(&note)))
    }

    /// The text kmod 30's `modprobe -c` prints after `softdep NAME `. kmod keeps all the
    /// dependency names of a line in one buffer, in the order written, and prints the
    /// span from the first to the last `pre:` name, then `post:` and the span from the
    /// first to the last `post:` name, with no space between the two: `pre: a bpost: c`.
    /// When the lists are interleaved (`pre: a post: b pre: c`) the spans overlap and
    /// kmod prints `pre: a b cpost: b`. Only the display is affected: [`Softdep::pre`]
    /// and [`Softdep::post`] are right.
    pub fn kmod_text(&self) -> &[u8] {
        &self.kmod_text
    }

    /// The same without kmod's bugs: `pre: a c post: b` (empty lists left out).
    pub fn fixed_text(&self) -> Vec<u8> {
        let mut parts = Vec::new();
        if !self.pre.is_empty() {
            parts.push([&b"pre: "[..], &self.pre.join(&b' ')].concat());
        }
        if !self.post.is_empty() {
            parts.push([&b"post: "[..], &self.post.join(&b' ')].concat());
        }
        parts.join(&b' ')
    }
}

/// kmod's display of a softdep: see [`Softdep::kmod_text`].
fn kmod_softdep_text(deps: &[(bool, &[u8])]) -> Vec<u8> {
    let span = |post: bool| -> Option<Vec<u8>> {
        let first = deps.iter().position(|(p, _)| *p == post)?;
        let last = deps.iter().rposition(|(p, _)| *p == post)?;
        let names: Vec<&[u8]> = deps[first..=last].iter().map(|(_, d)| *d).collect();
        Some(names.join(&b' '))
    };
    let mut s = Vec::new();
    if let Some(pre) = span(false) {
        s.extend_from_slice(b"pre: ");
        s.extend_from_slice(&pre);
    }
    if let Some(post) = span(true) {
        s.extend_from_slice(b"post: ");
        s.extend_from_slice(&post);
    }
    s
}

/// A problem found while reading the configuration. The run goes on.
///
/// Two wordings: kmod 30's exact stderr lines ([`Warning::kmod30_stderr`], for the
/// applet), and rkmod's own ([`Warning::native_lines`]: `FILE:LINE: what and why`, one
/// line per problem, for `rkmod probe` and `--explain`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// What the problem is.
    pub kind: WarningKind,
    /// The file concerned (the configuration file, or the directory entry).
    pub file: Option<PathBuf>,
    /// The (last physical) line of the file, when there is one.
    pub line: Option<u32>,
}

/// Why a line was refused ([`WarningKind::BadLine`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum BadLineWhy {
    /// Not a modprobe.d command at all.
    UnknownCommand,
    /// A known command without the words it needs (`usage` shows them).
    MissingWords {
        /// What the command takes, in words (`a pattern and a module name`).
        usage: &'static str,
    },
    /// A module name or pattern with an unmatched `[` or `]`.
    UnmatchedBracket,
    /// `weakdep` where only kmod 33 and later read it.
    WeakdepUnsupported,
}

/// What a [`Warning`] is about.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum WarningKind {
    /// A line kmod cannot use: unknown command, missing arguments, a name with an
    /// unmatched bracket, or `weakdep` where it is not supported.
    /// `<file> line <n>: ignoring bad line starting with '<command>'`.
    BadLine {
        /// The line's first word, as written.
        command: Vec<u8>,
        /// Why the line was refused.
        why: BadLineWhy,
    },
    /// `include` or `config`: `<file>: command <c> is deprecated and not parsed anymore`.
    DeprecatedCommand {
        /// `include` or `config`.
        command: String,
    },
    /// A `*.conf` (or `*.alias`) entry of a configuration directory is a directory:
    /// `Directories inside directories are not supported: <path>`.
    NestedDirectory,
    /// A configuration file could not be opened or read (kmod says nothing).
    Unreadable {
        /// Why it could not be read.
        errno: crate::Errno,
    },
    /// A `-C` path does not exist (kmod says nothing).
    MissingPath,
    /// A modules.conf (modutils 2.4) directive modprobe.d lacks (`path[...]=`, `keep`,
    /// `pre-install`, `post-install`, `pre-remove`, `post-remove`, `above`, `below`).
    /// One warning per directive per file; `lines` lists every line it is on, with the
    /// command word as written (kmod reports each of them as a bad line).
    LegacyDirective {
        /// The directive (`path`, `keep`, `pre-install`, ...).
        directive: String,
        /// Each line it is on, with the command word as written there.
        lines: Vec<(u32, Vec<u8>)>,
    },
    /// A kernel command line option whose module name has an unmatched bracket:
    /// `Ignoring bad option on kernel command line while parsing module name: '<m>'`,
    /// where `<m>` is `shown`: the name as far as kmod converted it before giving up.
    CmdlineBadModname {
        /// The module name as written on the command line.
        modname: Vec<u8>,
        /// The part of it kmod's message shows.
        shown: Vec<u8>,
    },
    /// `/proc/cmdline` could not be read (kmod says nothing).
    CmdlineUnreadable {
        /// Why it could not be read.
        errno: crate::Errno,
    },
    /// A softdep whose first `pre:` or `post:` follows two blanks (`softdep m  pre: a`):
    /// kmod does not recognise it and drops the names up to the next marker, silently.
    SoftdepMarkerIgnored {
        /// The softdep's module pattern.
        modname: Vec<u8>,
        /// `pre:` or `post:`.
        marker: String,
    },
}

/// The log prefixes kmod 30 (Debian 12) writes before its config errors: they come from
/// libkmod's default logger, active while the configuration is read, whatever `-q`.
fn kmod30_prefix(func: &str) -> String {
    crate::kmod30::default_logger_prefix("ERROR", func)
}

/// The text of kmod's `ignoring bad line` message (without the libkmod prefix): what
/// kmod 30 and 34 print, and rkmod's own wording for the same problem.
pub(crate) fn bad_line_text(file: &Path, line: u32, command: &[u8]) -> Vec<u8> {
    let head = format!(" line {line}: ignoring bad line starting with '");
    [file.as_os_str().as_bytes(), head.as_bytes(), command, b"'"].concat()
}

/// `Ignoring bad option on kernel command line while parsing module name: '<shown>'`.
pub(crate) fn cmdline_bad_modname_text(shown: &[u8]) -> Vec<u8> {
    [&b"Ignoring bad option on kernel command line while parsing module name: '"[..], shown, b"'"].concat()
}

/// `Directories inside directories are not supported: <path>`.
pub(crate) fn nested_directory_text(path: &Path) -> Vec<u8> {
    [&b"Directories inside directories are not supported: "[..], path.as_os_str().as_bytes()].concat()
}

impl Warning {
    /// The lines (without newline) kmod 30 writes to stderr for this problem, in its
    /// order; empty for the problems kmod is silent about.
    pub fn kmod30_stderr(&self) -> Vec<Vec<u8>> {
        self.kmod30_entries().into_iter().map(|(_, text)| text).collect()
    }

    /// Whether kmod 30 reports this problem at all.
    pub fn kmod_reports(&self) -> bool {
        !matches!(
            self.kind,
            WarningKind::Unreadable { .. }
                | WarningKind::MissingPath
                | WarningKind::CmdlineUnreadable { .. }
                | WarningKind::SoftdepMarkerIgnored { .. }
        )
    }

    /// `(line, text)` for each stderr line kmod 30 writes.
    fn kmod30_entries(&self) -> Vec<(u32, Vec<u8>)> {
        self.kmod_log_entries()
            .into_iter()
            .map(|(line, func, text)| (line, [kmod30_prefix(func).as_bytes(), &text].concat()))
            .collect()
    }

    /// (line, libkmod function, message) for each line kmod logs.
    /// The function may carry a `/suffix` ([`crate::kmod30::origin`]).
    fn kmod_log_entries(&self) -> Vec<(u32, &'static str, Vec<u8>)> {
        let file = self.file.as_deref().unwrap_or(Path::new(""));
        let line = self.line.unwrap_or(0);
        let bad = |command: &[u8], n: u32| bad_line_text(file, n, command);
        match &self.kind {
            WarningKind::BadLine { command, .. } => vec![(line, "kmod_config_parse", bad(command, line))],
            WarningKind::DeprecatedCommand { command } => {
                let text = format!(": command {command} is deprecated and not parsed anymore");
                vec![(
                    line,
                    "kmod_config_parse/deprecated",
                    [file.as_os_str().as_bytes(), text.as_bytes()].concat(),
                )]
            }
            WarningKind::NestedDirectory => {
                vec![(line, "conf_files_filter_out", nested_directory_text(file))]
            }
            WarningKind::LegacyDirective { lines, .. } => {
                lines.iter().map(|(n, command)| (*n, "kmod_config_parse", bad(command, *n))).collect()
            }
            WarningKind::CmdlineBadModname { shown, .. } => {
                vec![(0, "kcmdline_parse_result", cmdline_bad_modname_text(shown))]
            }
            WarningKind::Unreadable { .. }
            | WarningKind::MissingPath
            | WarningKind::CmdlineUnreadable { .. }
            | WarningKind::SoftdepMarkerIgnored { .. } => Vec::new(),
        }
    }
}

/// What is wrong with a softdep whose marker follows two blanks (rkmod's words).
fn softdep_marker_note(modname: &[u8], marker: &str) -> Vec<u8> {
    let text = format!(
        ": '{marker}' right after two blanks is not read as a marker (kmod takes ' {marker}' for a module \
         name and ignores it, with the names after it up to the next marker): remove the extra blank"
    );
    [b"softdep ", modname, text.as_bytes()].concat()
}

impl Warning {
    /// rkmod's wording: one line per problem (a modules.conf directive used on several
    /// lines gives one line each), `FILE:LINE: what happened (why)`, bytes as read.
    pub fn native_lines(&self) -> Vec<Vec<u8>> {
        let file = self.file.as_deref().map(|f| f.as_os_str().as_bytes()).unwrap_or(b"");
        let at = |line: u32| [file, format!(":{line}: ").as_bytes()].concat();
        let here = at(self.line.unwrap_or(0));
        let quoted = |w: &[u8]| [&b"'"[..], w, b"'"].concat();
        match &self.kind {
            WarningKind::BadLine { command, why } => {
                let why: Vec<u8> = match why {
                    BadLineWhy::UnknownCommand => b"not a modprobe.d command".to_vec(),
                    BadLineWhy::MissingWords { usage } => format!("it takes {usage}").into_bytes(),
                    BadLineWhy::UnmatchedBracket => b"a name with an unmatched [ or ]".to_vec(),
                    BadLineWhy::WeakdepUnsupported => b"weakdep is read by kmod 33 and later".to_vec(),
                };
                vec![[&here, &b"ignoring "[..], &quoted(command), b" (", &why, b")"].concat()]
            }
            WarningKind::DeprecatedCommand { command } => vec![[
                &here[..],
                b"ignoring '",
                command.as_bytes(),
                b"' (modprobe.d has no ",
                command.as_bytes(),
                b": every *.conf file is read on its own)",
            ]
            .concat()],
            WarningKind::NestedDirectory => {
                vec![[file, b": ignoring a directory inside a configuration directory"].concat()]
            }
            WarningKind::Unreadable { errno } => {
                vec![[file, b": cannot read: ", crate::error::errno_text(*errno).as_bytes()].concat()]
            }
            WarningKind::MissingPath => vec![[file, b": no such configuration file or directory"].concat()],
            WarningKind::LegacyDirective { directive, lines } => {
                let hint = parse::legacy_hint(directive);
                lines
                    .iter()
                    .map(|(n, command)| {
                        [
                            &at(*n)[..],
                            b"ignoring ",
                            &quoted(command),
                            b" (a modutils 2.4 directive that modprobe.d does not have): ",
                            hint.as_bytes(),
                        ]
                        .concat()
                    })
                    .collect()
            }
            WarningKind::CmdlineBadModname { modname, .. } => vec![[
                &b"kernel command line: ignoring an option of '"[..],
                modname,
                b"' (a module name with an unmatched [ or ])",
            ]
            .concat()],
            WarningKind::CmdlineUnreadable { errno } => vec![[
                file,
                b": cannot read the kernel command line: ",
                crate::error::errno_text(*errno).as_bytes(),
            ]
            .concat()],
            WarningKind::SoftdepMarkerIgnored { modname, marker } => {
                vec![[here, softdep_marker_note(modname, marker)].concat()]
            }
        }
    }

    /// [`Warning::native_lines`] as text (U+FFFD for bytes that are not UTF-8), joined
    /// with `; `.
    pub fn message(&self) -> String {
        let lines: Vec<String> =
            self.native_lines().iter().map(|l| String::from_utf8_lossy(l).into_owned()).collect();
        lines.join("; ")
    }
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

/// Everything kmod 30 writes to stderr for `warnings`, in kmod's order (see
/// [`kmod30_log`]).
pub fn kmod30_stderr(warnings: &[Warning]) -> Vec<Vec<u8>> {
    kmod30_log(warnings)
        .into_iter()
        .map(|(func, text)| [kmod30_prefix(func).as_bytes(), &text].concat())
        .collect()
}

/// What libkmod logs at `LOG_ERR` while it reads the configuration, as `(function,
/// message)` in kmod's order: within one file kmod reports in line order, which a
/// [`WarningKind::LegacyDirective`] (one warning for several lines) would otherwise
/// upset. The function may carry a `/suffix` telling two call sites apart
/// ([`crate::kmod30::origin`]; [`crate::kmod30::function`] gives the bare name).
pub fn kmod30_log(warnings: &[Warning]) -> Vec<(&'static str, Vec<u8>)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < warnings.len() {
        let w = &warnings[i];
        if !is_parse_warning(w) {
            out.extend(w.kmod_log_entries().into_iter().map(|(_, f, t)| (f, t)));
            i += 1;
            continue;
        }
        // A run of parse warnings for one file.
        let mut j = i;
        let mut entries = Vec::new();
        while j < warnings.len() && is_parse_warning(&warnings[j]) && warnings[j].file == w.file {
            entries.extend(warnings[j].kmod_log_entries());
            j += 1;
        }
        entries.sort_by_key(|(line, _, _)| *line);
        out.extend(entries.into_iter().map(|(_, f, t)| (f, t)));
        i = j;
    }
    out
}

fn is_parse_warning(w: &Warning) -> bool {
    matches!(
        w.kind,
        WarningKind::BadLine { .. }
            | WarningKind::DeprecatedCommand { .. }
            | WarningKind::LegacyDirective { .. }
    )
}

/// Where [`Config::load`] takes the kernel command line from.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum KernelCmdline {
    /// `ROOT/proc/cmdline` (kmod reads at most its first 4095 bytes).
    #[default]
    Read,
    /// This text, as if it were the contents of `/proc/cmdline`.
    Text(Vec<u8>),
    /// None at all.
    Ignore,
}

/// How [`Config::load`] behaves where kmod versions differ.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadOptions {
    /// Also read `*.alias` files in configuration directories (kmod up to 32; Debian
    /// 12's kmod 30 does).
    pub read_alias_files: bool,
    /// Accept `weakdep` lines and read `modules.weakdep` (kmod 33). When false,
    /// `weakdep` is a bad line, as in kmod 30.
    pub weakdep: bool,
    /// Where the kernel command line comes from.
    pub kernel_cmdline: KernelCmdline,
    /// The configuration directories read when no path is given (`-C`), relative to
    /// the root, in precedence order.
    pub default_dirs: &'static [&'static str],
}

impl LoadOptions {
    /// Debian 12's kmod 30: `*.alias` files read, `weakdep` rejected.
    pub fn kmod30() -> LoadOptions {
        LoadOptions {
            read_alias_files: true,
            weakdep: false,
            kernel_cmdline: KernelCmdline::Read,
            default_dirs: &paths::KMOD30_DIRS,
        }
    }

    /// Current kmod (33 and later): only `*.conf`, `weakdep` and `modules.weakdep`.
    pub fn modern() -> LoadOptions {
        LoadOptions {
            read_alias_files: false,
            weakdep: true,
            kernel_cmdline: KernelCmdline::Read,
            default_dirs: &paths::DEFAULT_DIRS,
        }
    }

    /// What the `modprobe` applet and `rkmod probe` read (docs/kmod-versions.md): kmod
    /// 30 where it has the feature (`*.alias` files are read), kmod 34 where kmod 30
    /// lacks it (`weakdep` lines and `modules.weakdep`). Its directories are kmod 30's:
    /// `/usr/lib/modprobe.d` (kmod 32's DISTCONFDIR) is `/lib/modprobe.d` under another
    /// name on a merged-/usr system such as Debian 12, and reading both would report
    /// each problem twice.
    pub fn rkmod() -> LoadOptions {
        LoadOptions {
            read_alias_files: true,
            weakdep: true,
            kernel_cmdline: KernelCmdline::Read,
            default_dirs: &paths::KMOD30_DIRS,
        }
    }
}

impl Default for LoadOptions {
    /// [`LoadOptions::rkmod`].
    fn default() -> LoadOptions {
        LoadOptions::rkmod()
    }
}

/// How [`Config::show_config_with`] prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ShowStyle {
    /// Byte-identical to kmod 30's `modprobe -c`, softdep display bugs included.
    Kmod30,
    /// The same order, with `softdep` lines printed right: `pre: a post: b`.
    Fixed,
}

/// The line `modprobe -c` prints between the configuration and the index dump.
pub const SHOW_CONFIG_END: &str = "\n# End of configuration files. Dumping indexes now:\n";

/// The whole modprobe configuration, in kmod's order (files sorted by name, lines in
/// file order, the kernel command line last).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Config {
    /// `alias` lines.
    pub aliases: Vec<Alias>,
    /// `options` lines, then the kernel command line's `MOD.PARAM=VALUE` options.
    pub options: Vec<ModOptions>,
    /// `install` lines.
    pub installs: Vec<Command>,
    /// `remove` lines.
    pub removes: Vec<Command>,
    /// `blacklist` lines, then the kernel command line's `modprobe.blacklist=` names.
    pub blacklist: Vec<Blacklist>,
    /// `softdep` lines (including those of the module directory's `modules.softdep`).
    pub softdeps: Vec<Softdep>,
    /// `weakdep` lines (including `modules.weakdep`), when read at all
    /// ([`LoadOptions::weakdep`]).
    pub weakdeps: Vec<Weakdep>,
    /// The files that were read, in the order they were read (missing ones left out).
    pub files: Vec<PathBuf>,
}

impl Config {
    /// Read the configuration as kmod does.
    ///
    /// `root` prefixes the default directories and `/proc/cmdline` (`/` in production,
    /// a scratch directory in tests). `module_dir` is the module directory
    /// (`/lib/modules/VERSION`, already rooted) whose `modules.softdep` is read as a
    /// configuration file. `explicit` are the `-C` paths (files or directories): when
    /// not empty they replace the default directories.
    pub fn load(
        root: &Path,
        module_dir: Option<&Path>,
        explicit: &[PathBuf],
        opts: LoadOptions,
    ) -> (Config, Vec<Warning>) {
        let mut warnings = Vec::new();
        let mut config = Config::default();
        let files = paths::config_files(root, module_dir, explicit, &opts, &mut warnings);
        for file in files {
            match std::fs::read(&file) {
                Ok(data) => {
                    parse::parse_into(&mut config, &file, &data, opts.weakdep, &mut warnings);
                    config.files.push(file);
                }
                Err(err) => {
                    // kmod skips such a file without a word (only a debug message). A
                    // missing file is normal (modules.softdep is always tried).
                    if err.kind() != io::ErrorKind::NotFound {
                        let errno = crate::error::io_errno(&err);
                        warnings.push(Warning {
                            kind: WarningKind::Unreadable { errno },
                            file: Some(file),
                            line: None,
                        });
                    }
                }
            }
        }
        let text = match opts.kernel_cmdline {
            KernelCmdline::Read => match cmdline::read(root) {
                Ok(text) => Some(text),
                Err(err) => {
                    let errno = crate::error::io_errno(&err);
                    let path = root.join("proc/cmdline");
                    warnings.push(Warning {
                        kind: WarningKind::CmdlineUnreadable { errno },
                        file: Some(path),
                        line: None,
                    });
                    None
                }
            },
            KernelCmdline::Text(text) => Some(text),
            KernelCmdline::Ignore => None,
        };
        if let Some(text) = text {
            config.add_kernel_cmdline(&text, &mut warnings);
        }
        (config, warnings)
    }

    /// Parse the contents of one configuration file and append its entries (as if it
    /// were the next file read). `accept_weakdep` as in [`LoadOptions::weakdep`].
    pub fn parse_file(&mut self, file: &Path, data: &[u8], accept_weakdep: bool) -> Vec<Warning> {
        let mut warnings = Vec::new();
        parse::parse_into(self, file, data, accept_weakdep, &mut warnings);
        warnings
    }

    /// Append the entries of a kernel command line (the contents of `/proc/cmdline`).
    pub fn add_kernel_cmdline(&mut self, text: &[u8], warnings: &mut Vec<Warning>) {
        let (items, mut w) = cmdline::parse(text);
        warnings.append(&mut w);
        for item in items {
            match item {
                cmdline::CmdlineItem::Options { modname, options } => {
                    self.options.push(ModOptions { modname, options, source: Source::CommandLine })
                }
                cmdline::CmdlineItem::Blacklist(modname) => {
                    self.blacklist.push(Blacklist { modname, source: Source::CommandLine })
                }
            }
        }
    }

    /// Every config alias whose pattern matches `name` (fnmatch), in config order. kmod
    /// uses them all (lookup step 1) and does not follow an alias to another alias.
    /// `name` should already be normalised ([`crate::name::alias_normalize`]).
    pub fn aliases_matching(&self, name: &[u8]) -> Vec<&Alias> {
        self.aliases.iter().filter(|a| fnmatch(&a.pattern, name)).collect()
    }

    /// The options for module `modname`, reached through `alias` if it was (the name
    /// the module was looked up by, normalised): every `options` entry naming either, in
    /// config order (the kernel command line last), joined with one space, as kmod
    /// builds them. Options given on modprobe's command line come after these.
    pub fn options_for(&self, modname: &[u8], alias: Option<&[u8]>) -> Vec<u8> {
        let mut out = Vec::new();
        for o in self.options_entries_for(modname, alias) {
            if !out.is_empty() {
                out.push(b' ');
            }
            out.extend_from_slice(&o.options);
        }
        out
    }

    /// The `options` entries [`Config::options_for`] joins.
    pub fn options_entries_for(&self, modname: &[u8], alias: Option<&[u8]>) -> Vec<&ModOptions> {
        self.options.iter().filter(|o| o.modname == modname || alias == Some(o.modname.as_slice())).collect()
    }

    /// The install command for `name`: the first `install` whose pattern matches.
    pub fn install_for(&self, name: &[u8]) -> Option<&Command> {
        first_match(&self.installs, name, |c| &c.modname[..])
    }

    /// The remove command for `name`: the first `remove` whose pattern matches.
    pub fn remove_for(&self, name: &[u8]) -> Option<&Command> {
        first_match(&self.removes, name, |c| &c.modname[..])
    }

    /// Every `install` matching `name`, in config order (the first is the one used; the
    /// others are shadowed).
    pub fn installs_matching(&self, name: &[u8]) -> Vec<&Command> {
        all_matches(&self.installs, name, |c| &c.modname[..])
    }

    /// Every `remove` matching `name`, in config order.
    pub fn removes_matching(&self, name: &[u8]) -> Vec<&Command> {
        all_matches(&self.removes, name, |c| &c.modname[..])
    }

    /// Lookup step 4: an `install` or `remove` whose name equals `name` exactly (not as
    /// a pattern) makes the name resolvable. kmod looks at installs first.
    pub fn command_exact(&self, name: &[u8]) -> Option<&Command> {
        self.installs.iter().chain(self.removes.iter()).find(|c| c.modname == name)
    }

    /// Whether `name` (a normalised module name) is blacklisted: exact comparison.
    pub fn is_blacklisted(&self, name: &[u8]) -> bool {
        self.blacklist_entry(name).is_some()
    }

    /// The first `blacklist` entry naming `name`.
    pub fn blacklist_entry(&self, name: &[u8]) -> Option<&Blacklist> {
        self.blacklist.iter().find(|b| b.modname == name)
    }

    /// The softdep kmod applies to `name`: the first whose pattern matches (later ones
    /// are ignored, kmod issue #33).
    pub fn softdep_for(&self, name: &[u8]) -> Option<&Softdep> {
        first_match(&self.softdeps, name, |s| &s.modname[..])
    }

    /// Every softdep matching `name`, in config order (only the first is used).
    pub fn softdeps_matching(&self, name: &[u8]) -> Vec<&Softdep> {
        all_matches(&self.softdeps, name, |s| &s.modname[..])
    }

    /// The weakdep for `name`: the first whose pattern matches.
    pub fn weakdep_for(&self, name: &[u8]) -> Option<&Weakdep> {
        first_match(&self.weakdeps, name, |w| &w.modname[..])
    }

    /// Every weakdep matching `name`, in config order (only the first is used).
    pub fn weakdeps_matching(&self, name: &[u8]) -> Vec<&Weakdep> {
        all_matches(&self.weakdeps, name, |w| &w.modname[..])
    }

    /// The configuration part of kmod 30's `modprobe -c`, byte for byte: every
    /// blacklist, then install, remove, alias, options, softdep and weakdep lines. The
    /// caller prints [`SHOW_CONFIG_END`] and the index dump after it.
    pub fn show_config(&self, out: &mut dyn io::Write) -> io::Result<()> {
        self.show_config_with(out, ShowStyle::Kmod30)
    }

    /// [`Config::show_config`] in the given style.
    pub fn show_config_with(&self, out: &mut dyn io::Write, style: ShowStyle) -> io::Result<()> {
        let mut line = |parts: &[&[u8]]| -> io::Result<()> {
            out.write_all(&parts.concat())?;
            out.write_all(b"\n")
        };
        for b in &self.blacklist {
            line(&[b"blacklist ", &b.modname])?;
        }
        for c in &self.installs {
            line(&[b"install ", &c.modname, b" ", &c.command])?;
        }
        for c in &self.removes {
            line(&[b"remove ", &c.modname, b" ", &c.command])?;
        }
        for a in &self.aliases {
            line(&[b"alias ", &a.pattern, b" ", &a.modname])?;
        }
        for o in &self.options {
            line(&[b"options ", &o.modname, b" ", &o.options])?;
        }
        for s in &self.softdeps {
            match style {
                ShowStyle::Kmod30 => line(&[b"softdep ", &s.modname, b" ", &s.kmod_text])?,
                ShowStyle::Fixed => {
                    let text = s.fixed_text();
                    if text.is_empty() {
                        line(&[b"softdep ", &s.modname])?
                    } else {
                        line(&[b"softdep ", &s.modname, b" ", &text])?
                    }
                }
            }
        }
        for w in &self.weakdeps {
            line(&[b"weakdep ", &w.modname, b" ", &w.deps.join(&b' ')])?;
        }
        Ok(())
    }
}

fn first_match<'a, T>(items: &'a [T], name: &[u8], key: impl Fn(&T) -> &[u8]) -> Option<&'a T> {
    items.iter().find(|i| fnmatch(key(i), name))
}

fn all_matches<'a, T>(items: &'a [T], name: &[u8], key: impl Fn(&T) -> &[u8]) -> Vec<&'a T> {
    items.iter().filter(|i| fnmatch(key(i), name)).collect()
}

#[cfg(test)]
mod tests;
