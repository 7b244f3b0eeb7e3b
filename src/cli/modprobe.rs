//! The `modprobe` applet: kmod 30's options, help, messages and exit codes, for every
//! mode that loads nothing.
//!
//! `MODPROBE_OPTIONS` is split (spaces, quotes) and put in front of the arguments, then
//! the command line is parsed as glibc's getopt_long does with kmod's option table.
//! The modes, in kmod's precedence: `-c` (configuration, then the alias and symbol
//! indexes), `--dump-modversions`/`--show-modversions`, `--show-exports`, `-r`, `-a`,
//! and the default (one name, the rest its parameters). Resolution is
//! [`rkmod::resolve`]; `-D` prints the plan, `-R` the names, `-n -v` what would be
//! done. Inserting, removing and running install commands for real come with the
//! loading work: until then a run that would do any of that says so and exits 1,
//! while runs kmod finishes without a system call (already loaded, builtin,
//! blacklisted) succeed as in kmod.

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};

use rkmod::config::{self, Config, LoadOptions, ShowStyle, SHOW_CONFIG_END};
use rkmod::explain::NotFound;
use rkmod::insert::Force;
use rkmod::kernel::System;
use rkmod::lookup::ModuleDir;
use rkmod::module::{ModuleImage, SymbolCrc};
use rkmod::probe;
use rkmod::resolve::{self, Action, Plan, ProbeOptions, Resolver};
use rkmod::unload::{self, RemoveOptions, Remover};

use super::applet::{self, Flow, Spec};
use super::getopt::{HasArg, LongOpt};
use super::log::{Level, Log};
use super::output;
use super::stdio::Stdio;

const SHORT: &str = "arw:RibfDcnC:d:S:sqvVh";

const REMOVE_HOLDERS: char = '\u{105}';
const FIRST_TIME: char = '\u{103}';
const FORCE_MODVERSION: char = '\u{102}';
const FORCE_VERMAGIC: char = '\u{101}';
const SHOW_MODVERSIONS: char = '\u{104}';
const SHOW_EXPORTS: char = '\u{106}';

/// kmod 30's long options, in its table order (glibc lists ambiguous abbreviations in
/// this order).
const KMOD30_LONG: &[LongOpt] = &[
    LongOpt::new("all", HasArg::No, 'a'),
    LongOpt::new("remove", HasArg::No, 'r'),
    LongOpt::new("remove-dependencies", HasArg::No, REMOVE_HOLDERS),
    LongOpt::new("remove-holders", HasArg::No, REMOVE_HOLDERS),
    LongOpt::new("wait", HasArg::Required, 'w'),
    LongOpt::new("resolve-alias", HasArg::No, 'R'),
    LongOpt::new("first-time", HasArg::No, FIRST_TIME),
    LongOpt::new("ignore-install", HasArg::No, 'i'),
    LongOpt::new("ignore-remove", HasArg::No, 'i'),
    LongOpt::new("use-blacklist", HasArg::No, 'b'),
    LongOpt::new("force", HasArg::No, 'f'),
    LongOpt::new("force-modversion", HasArg::No, FORCE_MODVERSION),
    LongOpt::new("force-vermagic", HasArg::No, FORCE_VERMAGIC),
    LongOpt::new("show-depends", HasArg::No, 'D'),
    LongOpt::new("showconfig", HasArg::No, 'c'),
    LongOpt::new("show-config", HasArg::No, 'c'),
    LongOpt::new("show-modversions", HasArg::No, SHOW_MODVERSIONS),
    LongOpt::new("dump-modversions", HasArg::No, SHOW_MODVERSIONS),
    LongOpt::new("show-exports", HasArg::No, SHOW_EXPORTS),
    LongOpt::new("dry-run", HasArg::No, 'n'),
    LongOpt::new("show", HasArg::No, 'n'),
    LongOpt::new("config", HasArg::Required, 'C'),
    LongOpt::new("dirname", HasArg::Required, 'd'),
    LongOpt::new("set-version", HasArg::Required, 'S'),
    LongOpt::new("syslog", HasArg::No, 's'),
    LongOpt::new("quiet", HasArg::No, 'q'),
    LongOpt::new("verbose", HasArg::No, 'v'),
    LongOpt::new("version", HasArg::No, 'V'),
    LongOpt::new("help", HasArg::No, 'h'),
];

/// kmod 30's table plus the newer `--show-alias` (kmod 34's name for `-R`), accepted
/// silently. Errors are reported against kmod 30's table, so messages stay identical.
const LONG: &[LongOpt] = &[
    LongOpt::new("all", HasArg::No, 'a'),
    LongOpt::new("remove", HasArg::No, 'r'),
    LongOpt::new("remove-dependencies", HasArg::No, REMOVE_HOLDERS),
    LongOpt::new("remove-holders", HasArg::No, REMOVE_HOLDERS),
    LongOpt::new("wait", HasArg::Required, 'w'),
    LongOpt::new("resolve-alias", HasArg::No, 'R'),
    LongOpt::new("first-time", HasArg::No, FIRST_TIME),
    LongOpt::new("ignore-install", HasArg::No, 'i'),
    LongOpt::new("ignore-remove", HasArg::No, 'i'),
    LongOpt::new("use-blacklist", HasArg::No, 'b'),
    LongOpt::new("force", HasArg::No, 'f'),
    LongOpt::new("force-modversion", HasArg::No, FORCE_MODVERSION),
    LongOpt::new("force-vermagic", HasArg::No, FORCE_VERMAGIC),
    LongOpt::new("show-depends", HasArg::No, 'D'),
    LongOpt::new("showconfig", HasArg::No, 'c'),
    LongOpt::new("show-config", HasArg::No, 'c'),
    LongOpt::new("show-modversions", HasArg::No, SHOW_MODVERSIONS),
    LongOpt::new("dump-modversions", HasArg::No, SHOW_MODVERSIONS),
    LongOpt::new("show-exports", HasArg::No, SHOW_EXPORTS),
    LongOpt::new("dry-run", HasArg::No, 'n'),
    LongOpt::new("show", HasArg::No, 'n'),
    LongOpt::new("config", HasArg::Required, 'C'),
    LongOpt::new("dirname", HasArg::Required, 'd'),
    LongOpt::new("set-version", HasArg::Required, 'S'),
    LongOpt::new("syslog", HasArg::No, 's'),
    LongOpt::new("quiet", HasArg::No, 'q'),
    LongOpt::new("verbose", HasArg::No, 'v'),
    LongOpt::new("version", HasArg::No, 'V'),
    LongOpt::new("help", HasArg::No, 'h'),
    LongOpt::new("show-alias", HasArg::No, 'R'),
];

/// modprobe's options.
pub const SPEC: Spec = Spec { short: SHORT, long: LONG, kmod30: Some((SHORT, KMOD30_LONG)), help };

fn help(prog: &str) -> String {
    format!(
        "Usage:\n\
         \t{prog} [options] [-i] [-b] modulename\n\
         \t{prog} [options] -a [-i] [-b] modulename [modulename...]\n\
         \t{prog} [options] -r [-i] modulename\n\
         \t{prog} [options] -r -a [-i] modulename [modulename...]\n\
         \t{prog} [options] -c\n\
         \t{prog} [options] --dump-modversions filename\n\
         Management Options:\n\
         \t-a, --all                   Consider every non-argument to\n\
         \t                            be a module name to be inserted\n\
         \t                            or removed (-r)\n\
         \t-r, --remove                Remove modules instead of inserting\n\
         \t    --remove-dependencies   Deprecated: use --remove-holders\n\
         \t    --remove-holders        Also remove module holders (use together with -r)\n\
         \t-w, --wait <MSEC>           When removing a module, wait up to MSEC for\n\
         \t                            module's refcount to become 0 so it can be\n\
         \t                            removed (use together with -r)\n\
         \t    --first-time            Fail if module already inserted or removed\n\
         \t-i, --ignore-install        Ignore install commands\n\
         \t-i, --ignore-remove         Ignore remove commands\n\
         \t-b, --use-blacklist         Apply blacklist to resolved alias.\n\
         \t-f, --force                 Force module insertion or removal.\n\
         \t                            implies --force-modversions and\n\
         \t                            --force-vermagic\n\
         \t    --force-modversion      Ignore module's version\n\
         \t    --force-vermagic        Ignore module's version magic\n\
         \n\
         Query Options:\n\
         \t-R, --resolve-alias         Only lookup and print alias and exit\n\
         \t-D, --show-depends          Only print module dependencies and exit\n\
         \t-c, --showconfig            Print out known configuration and exit\n\
         \t-c, --show-config           Same as --showconfig\n\
         \t    --show-modversions      Dump module symbol version and exit\n\
         \t    --dump-modversions      Same as --show-modversions\n\
         \t    --show-exports          Only print module exported symbol versions and exit\n\
         \n\
         General Options:\n\
         \t-n, --dry-run               Do not execute operations, just print out\n\
         \t-n, --show                  Same as --dry-run\n\
         \t-C, --config=FILE           Use FILE instead of default search paths\n\
         \t-d, --dirname=DIR           Use DIR as filesystem root for /lib/modules\n\
         \t-S, --set-version=VERSION   Use VERSION instead of `uname -r`\n\
         \t-s, --syslog                print to syslog, not stderr\n\
         \t-q, --quiet                 disable messages\n\
         \t-v, --verbose               enables more messages\n\
         \t-V, --version               show version\n\
         \t-h, --help                  show this help\n"
    )
}

/// kmod's `prepend_options_from_env`: split `MODPROBE_OPTIONS` on spaces. A quote
/// opens a span in which spaces do not split; a token that starts with the quote ends
/// at the closing one (what follows starts a new token, even a space, which then makes
/// an empty argument), while quotes inside a token are removed. An unclosed quote is
/// kept as is. Bytes, as the environment holds them.
pub fn split_env_options(env: &[u8]) -> Vec<OsString> {
    let mut buf: Vec<u8> = env.to_vec();
    let mut out = Vec::new();
    let mut start = 0;
    let mut quote: Option<usize> = None;
    let mut s = 0;
    while s < buf.len() {
        match quote {
            None => {
                if buf[s] == b' ' {
                    out.push(buf[start..s].to_vec());
                    start = s + 1;
                } else if buf[s] == b'"' || buf[s] == b'\'' {
                    quote = Some(s);
                }
            }
            Some(q) => {
                if buf[s] == buf[q] {
                    if q == start {
                        out.push(buf[start + 1..s].to_vec());
                        start = s + 1;
                    } else {
                        buf.remove(s);
                        buf.remove(q);
                        s -= 2;
                    }
                    quote = None;
                }
            }
        }
        s += 1;
    }
    if start < s.min(buf.len()) {
        out.push(buf[start..].to_vec());
    }
    out.into_iter().map(OsString::from_vec).collect()
}

/// Everything the command line sets.
#[derive(Debug)]
pub struct Opts {
    use_all: bool,
    remove: bool,
    lookup_only: bool,
    show_config: bool,
    show_modversions: bool,
    show_exports: bool,
    dry_run: bool,
    do_show: bool,
    probe: ProbeOptions,
    config_paths: Vec<PathBuf>,
    root: Option<OsString>,
    kversion: Option<OsString>,
    syslog: bool,
    verbose: i32,
    force: Force,
    remove_holders: bool,
    wait_msec: u64,
    /// What kmod appends to `MODPROBE_OPTIONS` for commands it runs (`-C`, `-s`, `-q`, `-v`).
    env_options: Vec<OsString>,
}

impl Default for Opts {
    /// No option given: messages from WARNING up.
    fn default() -> Opts {
        Opts {
            use_all: false,
            remove: false,
            lookup_only: false,
            show_config: false,
            show_modversions: false,
            show_exports: false,
            dry_run: false,
            do_show: false,
            probe: ProbeOptions::default(),
            config_paths: Vec::new(),
            root: None,
            kversion: None,
            syslog: false,
            verbose: Level::Warning as i32,
            force: Force::default(),
            remove_holders: false,
            wait_msec: 0,
            env_options: Vec::new(),
        }
    }
}

impl Opts {
    /// What one option means (its getopt id and argument): the one definition the
    /// applet's command line and the typed `rkmod probe` arguments both go through.
    /// `Err` is the message of an option that does not take (`--wait abc`).
    pub fn set(&mut self, c: char, arg: Option<OsString>) -> Result<(), Vec<u8>> {
        let arg = arg.unwrap_or_default();
        match c {
            'a' => self.use_all = true,
            'r' => self.remove = true,
            // A byte that is not UTF-8 is no digit either: the lossy text decides alike.
            'w' => match strtoul(&arg.to_string_lossy()) {
                Some(msec) => self.wait_msec = msec,
                None => return Err([b"unexpected wait value '", arg.as_bytes(), b"'."].concat()),
            },
            'f' => self.force = Force { vermagic: true, modversion: true },
            FORCE_VERMAGIC => self.force.vermagic = true,
            FORCE_MODVERSION => self.force.modversion = true,
            REMOVE_HOLDERS => self.remove_holders = true,
            'R' => self.lookup_only = true,
            'i' => self.probe.ignore_commands = true,
            'b' => self.probe.use_blacklist = true,
            'D' => {
                self.probe.ignore_loaded = true;
                self.dry_run = true;
                self.do_show = true;
            }
            'c' => self.show_config = true,
            'n' => self.dry_run = true,
            'C' => {
                self.env_options.extend(["-C".into(), arg.clone()]);
                self.config_paths.push(PathBuf::from(arg))
            }
            'd' => self.root = Some(arg),
            'S' => self.kversion = Some(arg),
            's' => {
                self.env_options.push("-s".into());
                self.syslog = true
            }
            'q' => {
                self.env_options.push("-q".into());
                self.verbose = 0
            }
            'v' => {
                self.env_options.push("-v".into());
                self.verbose += 1
            }
            FIRST_TIME => self.probe.first_time = true,
            SHOW_MODVERSIONS => self.show_modversions = true,
            SHOW_EXPORTS => self.show_exports = true,
            _ => {}
        }
        Ok(())
    }

    /// The options `rkmod probe` was given, as typed values: each goes through
    /// [`Opts::set`] under the applet option it stands for.
    pub fn from_native(p: &super::native::ProbeArgs) -> Result<Opts, Vec<u8>> {
        let mut o = Opts::default();
        let flags = [
            (p.remove, 'r'),
            (p.all, 'a'),
            (p.dry_run, 'n'),
            (p.quiet, 'q'),
            (p.use_blacklist, 'b'),
            (p.ignore_install, 'i'),
            (p.force.force, 'f'),
            (p.force.force_vermagic, FORCE_VERMAGIC),
            (p.force.force_modversion, FORCE_MODVERSION),
            (p.first_time, FIRST_TIME),
            (p.show_depends, 'D'),
            (p.show_alias, 'R'),
            (p.show_config, 'c'),
            (p.show_modversions, SHOW_MODVERSIONS),
            (p.show_exports, SHOW_EXPORTS),
            (p.remove_holders, REMOVE_HOLDERS),
        ];
        for (on, c) in flags {
            if on {
                o.set(c, None)?;
            }
        }
        for _ in 0..p.verbose {
            o.set('v', None)?;
        }
        for c in &p.config {
            o.set('C', Some(c.clone()))?;
        }
        for (c, value) in [('d', &p.dirname), ('S', &p.set_version), ('w', &p.wait)] {
            if let Some(v) = value {
                o.set(c, Some(v.clone()))?;
            }
        }
        Ok(o)
    }
}

/// `strtoul(s, &end, 0)` when it consumes all of a non-empty `s` (kmod's test of a
/// `--wait` value), else None. A `-` negates with wrap-around and a value too large
/// saturates, as in C.
fn strtoul(s: &str) -> Option<u64> {
    let t = s.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let (neg, t) = match t.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    let (digits, radix) = if let Some(h) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        // "0x" alone parses as "0" followed by "x": not fully consumed.
        (h, 16)
    } else if t.len() > 1 && t.starts_with('0') {
        (&t[1..], 8)
    } else {
        (t, 10)
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let v = u64::from_str_radix(digits, radix).unwrap_or(u64::MAX);
    Some(if neg { v.wrapping_neg() } else { v })
}

/// Run the applet. `argv0` is printed raw in getopt errors; `prog` is its basename.
/// `MODPROBE_OPTIONS` goes before the arguments, as kmod prepends it.
pub fn main(argv0: &OsStr, prog: &str, args: &[OsString], stdio: Stdio) -> i32 {
    let mut all_args = match std::env::var_os("MODPROBE_OPTIONS") {
        Some(env) => split_env_options(env.as_bytes()),
        None => Vec::new(),
    };
    all_args.extend(args.iter().cloned());
    let log = Log::new(prog);
    let mut o = Opts::default();
    let names = match applet::parse(&SPEC, argv0, prog, &all_args, |c, arg| match o.set(c, arg) {
        Ok(()) => Flow::Go,
        Err(msg) => {
            log.error(&msg);
            Flow::Exit(1)
        }
    }) {
        Ok(names) => names,
        Err(code) => return code,
    };
    run(o, names, prog, stdio, Native::default())
}

/// What `rkmod probe` changes over the applet.
#[derive(Debug, Clone, Copy, Default)]
pub struct Native {
    /// Native messages: reasons for "not found", `-c` without kmod's display bug.
    pub enabled: bool,
    /// `--explain`: print each name's resolution instead of acting.
    pub explain: bool,
    /// `--json`: the resolution (or with `-R` the names) as JSON, instead of acting.
    pub json: bool,
}

/// The applet with its options parsed, or with `native` set the native `rkmod probe`.
pub fn run(o: Opts, names: Vec<OsString>, prog: &str, stdio: Stdio, native: Native) -> i32 {
    let mut log = Log::new(prog);
    log.syslog = o.syslog || stdio.stderr_missing;
    if !o.show_config && names.is_empty() {
        log.error("missing parameters. See -h.");
        return 1;
    }
    let sys = System::detect();
    let kversion = match &o.kversion {
        Some(v) => v.clone(),
        None => match sys.release() {
            Ok(v) => v.into(),
            Err(e) => {
                log.error(&format!("uname() failed: {e}"));
                return 1;
            }
        },
    };
    let dirname = if o.root.is_none() && o.kversion.is_none() {
        sys.module_dir(&kversion)
    } else {
        resolve::module_dirname(o.root.as_deref(), &kversion)
    };
    // No -C: the default directories under the root (kmod 30's, LoadOptions::rkmod).
    let (config, warnings) = Config::load(sys.root(), Some(&dirname), &o.config_paths, LoadOptions::rkmod());
    log.verbosity = o.verbose;
    if native.enabled {
        // rkmod's words, one line per problem, and also what kmod passes over in silence.
        for w in &warnings {
            for line in w.native_lines() {
                log.say(Level::Warning, &line);
            }
        }
    } else {
        for line in config::kmod30_stderr(&warnings) {
            super::log::plain(&line);
        }
    }
    let dir = ModuleDir::new(&dirname);
    let mut env_value = std::env::var_os("MODPROBE_OPTIONS");
    for tok in &o.env_options {
        env_value = Some(match env_value {
            None => tok.clone(),
            Some(old) => OsString::from_vec([old.as_bytes(), b" ", tok.as_bytes()].concat()),
        });
    }
    let command_env = env_value.map(|v| vec![("MODPROBE_OPTIONS".into(), v)]).unwrap_or_default();
    let run = Run {
        o: &o,
        log: &log,
        dir: &dir,
        config: &config,
        sys: &sys,
        command_env,
        native,
        warnings: &warnings,
    };
    let err = if native.explain || native.json {
        run.explain(&names)
    } else if o.show_config {
        run.show_config()
    } else if o.show_modversions {
        run.show_symbols(&names[0], SymbolKind::Modversions)
    } else if o.show_exports {
        run.show_symbols(&names[0], SymbolKind::Exports)
    } else if o.remove {
        // With -r every argument is a module name, -a or not, as kmod's rmmod_all.
        let mut ok = true;
        for name in &names {
            ok &= run.rmmod(name.as_bytes());
        }
        ok
    } else if o.use_all {
        let mut ok = true;
        for name in &names {
            ok &= run.insmod(name.as_bytes(), None);
        }
        ok
    } else {
        let extra = resolve::join_cmdline_options(&bytes_of(&names[1..]));
        run.insmod(names[0].as_bytes(), extra.as_deref())
    };
    if err {
        0
    } else {
        1
    }
}

/// The bytes of each argument.
fn bytes_of(args: &[OsString]) -> Vec<&[u8]> {
    args.iter().map(|a| a.as_bytes()).collect()
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum SymbolKind {
    Modversions,
    Exports,
}

/// One run's context.
struct Run<'a> {
    o: &'a Opts,
    log: &'a Log,
    dir: &'a ModuleDir,
    config: &'a Config,
    sys: &'a System,
    /// Environment for install and remove commands (`MODPROBE_OPTIONS`).
    command_env: Vec<(OsString, OsString)>,
    native: Native,
    /// What was wrong with the configuration (`--explain` lists it).
    warnings: &'a [config::Warning],
}

impl Run<'_> {
    /// Native mode: why a lookup found nothing (appended to kmod's message).
    fn reason(&self) -> String {
        if !self.native.enabled {
            return String::new();
        }
        match rkmod::explain::not_found_reason(self.dir.path()) {
            NotFound::NoModuleDirectory => {
                " (no such directory: no modules are installed for this kernel version; -S VERSION picks another)".into()
            }
            NotFound::NoIndex => format!(" (no modules.dep.bin there: run rkmod deps {})", self.kversion()),
            _ => " (no module, alias, builtin or configured alias of that name)".into(),
        }
    }

    fn kversion(&self) -> String {
        self.dir.path().file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
    }

    /// `--explain` / `--json`: each name's resolution, nothing done.
    fn explain(&self, names: &[OsString]) -> bool {
        let sysfs = self.sys.sysfs();
        let mut all = Vec::new();
        let mut ok = true;
        let names = bytes_of(names);
        let (queries, extra) = if self.o.use_all || self.o.remove {
            (names, None)
        } else {
            let extra = resolve::join_cmdline_options(&names[1..]);
            (names[..1].to_vec(), extra)
        };
        for q in &queries {
            let mut r = Resolver::new(self.dir, self.config, &sysfs, self.o.probe);
            match rkmod::explain::explain(
                &mut r,
                self.config,
                self.dir,
                &sysfs,
                q,
                extra.as_deref(),
                self.o.probe.use_blacklist,
            ) {
                Ok(ex) => {
                    ok &= ex.not_found.is_none();
                    all.push(ex);
                }
                Err(e) => {
                    self.log.error(&e.to_string());
                    ok = false;
                }
            }
        }
        let problems: Vec<Vec<u8>> = self.warnings.iter().flat_map(config::Warning::native_lines).collect();
        if self.native.json {
            output::print(&super::explain_text::json(&all, self.o.lookup_only, &problems));
        } else {
            output::write(&super::explain_text::text(&all, self.dir.path(), &problems));
        }
        ok
    }

    /// kmod's `LOG()`: FATAL (which ends the run) unless `-a` made it a warning.
    fn fail(&self, msg: &[u8]) {
        let level = if self.o.use_all { Level::Warning } else { Level::Fatal };
        if (level as i32) <= self.log.verbosity {
            self.log.log(level, msg);
        }
    }

    /// A message libkmod logs (already prefixed with its level and origin).
    fn libkmod(&self, level: Level, msg: &[u8]) {
        if (level as i32) <= self.log.verbosity {
            super::log::plain(&[self.log.prog.as_bytes(), b": ", msg].concat());
        }
    }

    fn show_config(&self) -> bool {
        let mut buf = Vec::new();
        let style = if self.native.enabled { ShowStyle::Fixed } else { ShowStyle::Kmod30 };
        let _ = self.config.show_config_with(&mut buf, style);
        buf.extend_from_slice(SHOW_CONFIG_END.as_bytes());
        buf.push(b'\n');
        for dump in [self.dir.dump_aliases(), self.dir.dump_symbols()] {
            match dump {
                Ok(Some(entries)) => {
                    for (k, v) in entries {
                        buf.extend_from_slice(format!("alias {k} {v}\n").as_bytes());
                    }
                }
                Ok(None) => {}
                Err(e) => {
                    output::write(&buf);
                    buf.clear();
                    self.log.error(&e.to_string());
                }
            }
        }
        output::write(&buf);
        true
    }

    /// `--dump-modversions` / `--show-exports` on a module file.
    fn show_symbols(&self, arg: &OsStr, kind: SymbolKind) -> bool {
        let path = absolute(arg);
        if std::fs::metadata(&path).is_err() {
            self.fail(&[b"Module ", arg.as_bytes(), b" not found."].concat());
            return false;
        }
        let what = match kind {
            SymbolKind::Modversions => "modversions",
            SymbolKind::Exports => "symbols",
        };
        match read_symbols(&path, kind) {
            Ok(list) => {
                let mut out = String::new();
                for s in list {
                    out.push_str(&format!("0x{:08x}\t{}\n", s.crc, s.name));
                }
                output::print(&out);
                true
            }
            Err(errno) => {
                let text = rkmod::error::errno_text(errno);
                self.fail(
                    &[format!("could not get {what} of ").as_bytes(), arg.as_bytes(), b": ", text.as_bytes()]
                        .concat(),
                );
                false
            }
        }
    }

    /// kmod's `rmmod()` for one command-line name: true on success.
    fn rmmod(&self, name: &[u8]) -> bool {
        let sysfs = self.sys.sysfs();
        let mut r = Resolver::new(self.dir, self.config, &sysfs, self.o.probe);
        let list = match r.lookup(name) {
            Ok(list) => list,
            Err(resolve::LookupError::Index(e)) => {
                self.log.error(&e.to_string());
                return false;
            }
            // A bad alias or a name too long: kmod returns the lookup's error without a
            // word of its own.
            Err(_) => {
                self.diagnostics(&mut r);
                return false;
            }
        };
        if list.is_empty() {
            self.fail(&[b"Module ", name, b" not found.", self.reason().as_bytes()].concat());
            return false;
        }
        let opts = RemoveOptions {
            dry_run: self.o.dry_run,
            ignore_commands: self.o.probe.ignore_commands,
            ignore_loaded: self.o.probe.ignore_loaded,
            first_time: self.o.probe.first_time,
            force: self.o.force.vermagic || self.o.force.modversion,
            remove_holders: self.o.remove_holders,
            wait_msec: self.o.wait_msec,
            command_env: self.command_env.clone(),
        };
        let mut remover = Remover::new(self.sys, &mut r, opts);
        for id in list {
            let mut on = |ev: unload::Event<'_>| self.removal_event(ev);
            if remover.remove(id, &mut on).is_err() {
                return false;
            }
        }
        true
    }

    /// Print what kmod 30's modprobe prints for a removal event.
    fn removal_event(&self, ev: unload::Event<'_>) {
        use unload::Event;
        match ev {
            Event::Rmmod(name) => self.show(&[b"rmmod ", name, b"\n"].concat()),
            Event::Command(cmd) => self.show(&[b"remove ", cmd, b"\n"].concat()),
            Event::NotInKernel(name) => self.fail(&[b"Module ", name, b" is not in kernel."].concat()),
            Event::Builtin(name) => self.fail(&[b"Module ", name, b" is builtin."].concat()),
            Event::InUse { name, .. } => self.fail(&[b"Module ", name, b" is in use."].concat()),
            Event::RemoveFailed { name, errno, waited } => {
                let text = rkmod::error::errno_text(errno);
                if waited {
                    self.log.error(&[b"could not remove '", name, b"': ", text.as_bytes()].concat());
                } else {
                    // Log::libkmod takes text: a name that is not UTF-8 shows U+FFFD here.
                    let name = String::from_utf8_lossy(name);
                    self.log.libkmod(
                        Level::Error,
                        "kmod_module_remove_module",
                        &format!("could not remove '{name}': {text}"),
                    );
                }
            }
            Event::CommandFailed { name } => {
                self.fail(&[b"Error running remove command for ", name].concat())
            }
            Event::Removed(_) => {}
            _ => {}
        }
    }

    /// Print what libkmod logged while resolving, as kmod 30 prints it.
    fn diagnostics(&self, r: &mut Resolver<'_>) {
        for d in r.take_diagnostics() {
            self.libkmod(Level::Error, &d.kmod30_message());
        }
    }

    /// Whether kmod prints actions: with `-D` or `-v` (kmod 30's `-n` alone does not).
    fn showing(&self) -> bool {
        self.o.do_show || self.o.verbose > Level::Warning as i32
    }

    /// kmod's `SHOW()`: an action line, flushed at once.
    fn show(&self, text: &[u8]) {
        if self.showing() {
            output::write(text);
            output::flush_stdout();
        }
    }

    /// kmod's `insmod()` for one command-line name: true on success.
    fn insmod(&self, name: &[u8], extra: Option<&[u8]>) -> bool {
        let sysfs = self.sys.sysfs();
        let mut r = Resolver::new(self.dir, self.config, &sysfs, self.o.probe);
        // kmod 31+: a name starting with `/` or `./` is that file, its dependencies
        // still resolved through the index by its name.
        if name.starts_with(b"/") || name.starts_with(b"./") {
            return match r.from_path(Path::new(OsStr::from_bytes(name))) {
                Ok(id) => self.insert(&mut r, id, extra),
                Err(errno) => {
                    let text = rkmod::error::errno_text(errno);
                    self.fail(&[b"Failed to get module from path ", name, b": ", text.as_bytes()].concat());
                    false
                }
            };
        }
        let list = match r.lookup(name) {
            Ok(list) => list,
            Err(resolve::LookupError::Index(e)) => {
                self.log.error(&e.to_string());
                Vec::new()
            }
            Err(_) => Vec::new(),
        };
        self.diagnostics(&mut r);
        if list.is_empty() {
            let dir = self.dir.path().as_os_str().as_bytes();
            self.fail(
                &[b"Module ", name, b" not found in directory ", dir, self.reason().as_bytes()].concat(),
            );
            return false;
        }
        // As in kmod, the outcome of the last module found decides.
        let mut ok = true;
        for id in list {
            ok = self.insert(&mut r, id, extra);
        }
        ok
    }

    fn insert(&self, r: &mut Resolver<'_>, id: resolve::ModId, extra: Option<&[u8]>) -> bool {
        let modname = r.module(id).name.clone();
        if self.o.lookup_only {
            output::write(&[&modname[..], b"\n"].concat());
            return true;
        }
        let plan = r.plan(id, extra);
        self.diagnostics(r);
        let plan = match plan {
            Ok(plan) => plan,
            Err(e) => {
                self.log.error(&e.to_string());
                return false;
            }
        };
        let steps = match plan {
            Plan::InKernel { first_time: true } => Err(rkmod::Errno::EEXIST),
            Plan::InKernel { first_time: false } => {
                if self.native.enabled && r.is_builtin(id).unwrap_or(false) {
                    let msg = [&modname[..], b" is built into the kernel: nothing to load"].concat();
                    self.log.log(Level::Notice, &msg);
                }
                return true;
            }
            Plan::Blacklisted => {
                if self.native.enabled {
                    let at = self
                        .config
                        .blacklist_entry(&modname)
                        .map(|b| b.source.to_bytes())
                        .unwrap_or_default();
                    let how = r
                        .module(id)
                        .alias
                        .as_ref()
                        .map(|a| [&b" (reached through "[..], a, b")"].concat())
                        .unwrap_or_default();
                    let msg = [&modname[..], b" not loaded: blacklisted at ", &at, &how].concat();
                    self.log.log(Level::Warning, &msg);
                }
                return true;
            }
            Plan::Steps(steps) => Ok(steps),
            // A plan this front end does not know: fail rather than do nothing.
            _ => Err(rkmod::Errno::ENOSYS),
        };
        let exec = probe::Exec {
            dry_run: self.o.dry_run,
            ignore_loaded: self.o.probe.ignore_loaded,
            first_time: self.o.probe.first_time,
            force: self.o.force,
            command_env: self.command_env.clone(),
        };
        let result = steps.and_then(|steps| {
            let mut on = |ev: probe::Event<'_>| self.insertion_event(ev);
            probe::execute(self.sys, &steps, &exec, &mut on)
        });
        match result {
            Ok(()) => true,
            Err(errno) => {
                let why = match errno {
                    rkmod::Errno::EEXIST => "Module already in kernel".to_string(),
                    rkmod::Errno::ENOENT => {
                        "Unknown symbol in module, or unknown parameter (see dmesg)".to_string()
                    }
                    _ if self.native.enabled => {
                        super::native_load::insert_failure(errno, &rkmod::error::errno_text(errno))
                    }
                    _ => rkmod::error::errno_text(errno),
                };
                self.log.error(&[b"could not insert '", &modname[..], b"': ", why.as_bytes()].concat());
                false
            }
        }
    }

    /// Print what kmod 30's modprobe (and its libkmod) prints for an insertion event.
    fn insertion_event(&self, ev: probe::Event<'_>) {
        use probe::Event;
        match ev {
            // kmod's print_action: not flushed, so an install command's own output
            // comes first when stdout is a file.
            Event::Action(step) if self.showing() => {
                let line = match &step.action {
                    Action::Install { command, options, .. } => {
                        [b"install ", &command[..], b" ", options, b"\n"].concat()
                    }
                    Action::Insert { path, options } => {
                        [b"insmod ", path.as_os_str().as_bytes(), b" ", options, b"\n"].concat()
                    }
                    Action::Builtin => [b"builtin ", &step.module.name[..], b"\n"].concat(),
                    Action::Missing { .. } => Vec::new(),
                    _ => Vec::new(),
                };
                output::write(&line);
            }
            Event::Action(_) | Event::AlreadyLoaded(_) | Event::Inserted(..) => {}
            Event::InsertFailed(step, e) => {
                if let Action::Insert { path, .. } = &step.action {
                    let text = rkmod::error::errno_text(e.errno());
                    let msg = format!("Failed to insert module '{}': {text}", path.display());
                    self.log.libkmod(Level::Info, "kmod_module_insert_module/info", &msg);
                }
            }
            // Log::libkmod takes text: bytes that are not UTF-8 show as U+FFFD in these.
            Event::NoFile(step) => {
                let name = String::from_utf8_lossy(&step.module.name);
                let msg = format!("could not find module by name='{name}'");
                self.log.libkmod(Level::Error, "kmod_module_insert_module", &msg);
            }
            Event::CommandFailed { step, command, status } => {
                let (command, name) =
                    (String::from_utf8_lossy(command), String::from_utf8_lossy(&step.module.name));
                let msg =
                    format!("Error running install command '{command}' for module {name}: retcode {status}");
                self.log.libkmod(Level::Error, "command_do", &msg);
            }
            Event::CommandNotRun { step, command, errno } => {
                let (command, name) =
                    (String::from_utf8_lossy(command), String::from_utf8_lossy(&step.module.name));
                let text = rkmod::error::errno_text(errno);
                let msg = format!("Could not run install command '{command}' for module {name}: {text}");
                self.log.libkmod(Level::Error, "command_do/run", &msg);
            }
            _ => {}
        }
    }
}

/// kmod's `path_make_absolute_cwd`.
fn absolute(p: &OsStr) -> PathBuf {
    rkmod::info::absolute(Path::new(p))
}

/// The `__versions` entries or the exported symbols of a module file, or the errno
/// kmod reports.
fn read_symbols(path: &Path, kind: SymbolKind) -> Result<Vec<SymbolCrc>, rkmod::Errno> {
    let image = ModuleImage::open(path).map_err(|e| e.errno())?;
    match kind {
        SymbolKind::Modversions => image.modversions_for_show(),
        SymbolKind::Exports => image.exports_for_show(),
    }
    .map_err(|e| e.errno())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &[&str]) -> Vec<OsString> {
        s.iter().map(OsString::from).collect()
    }

    #[test]
    fn env_split_like_kmod() {
        assert_eq!(split_env_options(b""), Vec::<OsString>::new());
        assert_eq!(split_env_options(b"-q -b"), v(&["-q", "-b"]));
        assert_eq!(split_env_options(b"-q  -b"), v(&["-q", "", "-b"]));
        assert_eq!(split_env_options(b"-q "), v(&["-q"]));
        assert_eq!(split_env_options(b"\"-d\" x"), v(&["-d", "", "x"]));
        assert_eq!(split_env_options(b"\"a b\"c"), v(&["a b", "c"]));
        assert_eq!(split_env_options(b"-C'a b'c d"), v(&["-Ca bc", "d"]));
        assert_eq!(split_env_options(b"\"open x"), v(&["\"open x"]));
        assert_eq!(split_env_options(b"a'b"), v(&["a'b"]));
        assert_eq!(
            split_env_options(b"-C \xe9"),
            vec![OsString::from("-C"), OsString::from_vec(b"\xe9".to_vec())]
        );
    }

    #[test]
    fn strtoul_forms() {
        for ok in ["0", "10", " 0x10", "-1", "+7", "017"] {
            assert!(strtoul(ok).is_some(), "{ok}");
        }
        for bad in ["", "abc", "0x", "09", "1 ", "1.5"] {
            assert!(strtoul(bad).is_none(), "{bad}");
        }
        assert_eq!(strtoul(" 0x10"), Some(16));
        assert_eq!(strtoul("017"), Some(15));
        assert_eq!(strtoul("-1"), Some(u64::MAX));
        assert_eq!(strtoul("99999999999999999999999"), Some(u64::MAX));
    }
}
