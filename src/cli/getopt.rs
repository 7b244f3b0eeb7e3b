//! A faithful clone of glibc's `getopt_long` (as of glibc 2.36), returning
//! structured results instead of mutating global state.
//!
//! kmod's tools parse their command lines with `getopt_long`, so to be a
//! drop-in replacement the exact glibc semantics are reproduced:
//!
//! * GNU argument permutation (glibc's `PERMUTE` ordering, i.e. no
//!   `POSIXLY_CORRECT` and no leading `+`/`-`/`:` in the option string):
//!   options and non-options may be interleaved, all options are returned
//!   first (in command-line order) followed by all positionals (in
//!   command-line order).  `--` ends option processing; a lone `-` and the
//!   empty string are positionals.
//! * Clustered short options (`-ab`, `-Fvalue`, `-F value`); a short option
//!   with an optional argument (`x::`) only takes an attached argument.
//! * Long options `--name`, `--name=value`, `--name value` (required
//!   argument only), with glibc's abbreviation rules: an exact match wins; a
//!   unique prefix matches; a prefix matching several options is ambiguous
//!   only if some of them differ (in `has_arg` or id) from the *first* one
//!   that matched, and the "possibilities" list contains that first option
//!   plus exactly those that differ from it, in table order.
//! * glibc's (C locale) error message texts, without the `"prog: "` prefix.
//!
//! Processing stops at the first error, as all of kmod's tools do.
//!
//! Arguments are bytes (`OsString`), as argv is: nothing needs to be UTF-8.

use std::ffi::{OsStr, OsString};
use std::fmt;
use std::os::unix::ffi::OsStrExt;

/// Whether a long option takes an argument (glibc's `no_argument`,
/// `required_argument`, `optional_argument`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(dead_code)] // Optional: no kmod tool uses it yet
pub enum HasArg {
    No,
    Required,
    Optional,
}

/// One entry of the long-option table (glibc's `struct option` with
/// `flag == NULL`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LongOpt {
    /// Name without the leading `--`.
    pub name: &'static str,
    pub has_arg: HasArg,
    /// The value returned for this option: usually the equivalent short
    /// option letter, or a private char (e.g. `'\u{100}'`) for long-only
    /// options.
    pub id: char,
}

impl LongOpt {
    pub const fn new(name: &'static str, has_arg: HasArg, id: char) -> Self {
        LongOpt { name, has_arg, id }
    }
}

/// One parsed command-line item.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Parsed {
    /// An option: its id (short letter or [`LongOpt::id`]) and its argument.
    Opt(char, Option<OsString>),
    /// A non-option argument.
    Positional(OsString),
}

/// The first error glibc's `getopt_long` would have reported.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct GetoptError {
    /// glibc's message without the `"prog: "` prefix and without the
    /// trailing newline, e.g. `invalid option -- 'x'`.  The caller prints
    /// `"{prog}: {message}"`.
    ///
    /// glibc handles short options byte by byte, so for a non-ASCII short
    /// option character it prints the lone first byte of its UTF-8
    /// encoding; the message holds that byte as it is.
    pub message: Vec<u8>,
    /// The options (only [`Parsed::Opt`] items) that `getopt_long` returned
    /// before it reported the error, in order: what a C getopt loop would
    /// have processed before seeing `'?'`.
    pub parsed: Vec<Parsed>,
}

impl fmt::Display for GetoptError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&String::from_utf8_lossy(&self.message))
    }
}

impl std::error::Error for GetoptError {}

fn os(bytes: &[u8]) -> OsString {
    OsStr::from_bytes(bytes).to_os_string()
}

/// The positional arguments of a parse, in order (what `argv[optind..]` holds).
pub fn positionals(parsed: Vec<Parsed>) -> Vec<OsString> {
    parsed
        .into_iter()
        .filter_map(|p| match p {
            Parsed::Positional(s) => Some(s),
            Parsed::Opt(..) => None,
        })
        .collect()
}

/// Parses `args` (without `argv[0]`) exactly like glibc's `getopt_long`
/// with option string `short` (e.g. `"adlpn0mF:k:b:Vh"`) and the long
/// option table `long`.
///
/// On success returns every option in command-line order, then every
/// positional in the order glibc's permutation leaves them in `argv`
/// (which is their command-line order, the arguments after `--` last).
///
/// `short` must be ASCII and must not start with `+`, `-` or `:`; the
/// `W;` extension is not supported.
pub fn getopt_long<A: AsRef<OsStr>>(
    args: &[A],
    short: &str,
    long: &[LongOpt],
) -> Result<Vec<Parsed>, GetoptError> {
    debug_assert!(short.is_ascii(), "getopt_long: non-ASCII optstring");
    debug_assert!(!short.starts_with(['+', '-', ':']), "getopt_long: optstring flags are not supported");
    let optstring = short.as_bytes();

    let mut opts: Vec<Parsed> = Vec::new();
    let mut positionals: Vec<Parsed> = Vec::new();
    let fail = |message: Vec<u8>, opts: Vec<Parsed>| Err(GetoptError { message, parsed: opts });
    let arg_at = |i: usize| -> &[u8] { args[i].as_ref().as_bytes() };

    let mut i = 0;
    while i < args.len() {
        let bytes = arg_at(i);

        // NONOPTION_P: does not start with '-', or is exactly "-".
        if bytes.first() != Some(&b'-') || bytes.len() == 1 {
            positionals.push(Parsed::Positional(os(bytes)));
            i += 1;
            continue;
        }

        if bytes == b"--" {
            positionals.extend((i + 1..args.len()).map(|j| Parsed::Positional(os(arg_at(j)))));
            break;
        }

        if bytes[1] == b'-' {
            // "--foo" is always a long option.
            let body = &bytes[2..];
            let (name, value) = match body.iter().position(|&b| b == b'=') {
                Some(eq) => (&body[..eq], Some(&body[eq + 1..])),
                None => (body, None),
            };
            i += 1;

            // First look for an exact match.
            let found = match long.iter().find(|o| o.name.as_bytes() == name) {
                Some(o) => o,
                None => {
                    // Then for abbreviations.  The option is ambiguous only
                    // if a later prefix match differs from the first one;
                    // the possibilities are the first match plus all the
                    // matches that differ from it, in table order.
                    let mut first: Option<&LongOpt> = None;
                    let mut ambig: Vec<&LongOpt> = Vec::new();
                    for o in long.iter().filter(|o| o.name.as_bytes().starts_with(name)) {
                        match first {
                            None => first = Some(o),
                            Some(f) => {
                                if f.has_arg != o.has_arg || f.id != o.id {
                                    if ambig.is_empty() {
                                        ambig.push(f);
                                    }
                                    ambig.push(o);
                                }
                            }
                        }
                    }
                    if !ambig.is_empty() {
                        let mut message =
                            [&b"option '--"[..], body, b"' is ambiguous; possibilities:"].concat();
                        for o in &ambig {
                            message.extend_from_slice(b" '--");
                            message.extend_from_slice(o.name.as_bytes());
                            message.push(b'\'');
                        }
                        return fail(message, opts);
                    }
                    match first {
                        Some(o) => o,
                        None => {
                            return fail([&b"unrecognized option '--"[..], body, b"'"].concat(), opts);
                        }
                    }
                }
            };

            let optarg = match (value, found.has_arg) {
                (Some(_), HasArg::No) => {
                    let msg = format!("option '--{}' doesn't allow an argument", found.name);
                    return fail(msg.into_bytes(), opts);
                }
                (Some(v), _) => Some(os(v)),
                (None, HasArg::Required) => match args.get(i) {
                    Some(next) => {
                        i += 1;
                        Some(next.as_ref().to_os_string())
                    }
                    None => {
                        let msg = format!("option '--{}' requires an argument", found.name);
                        return fail(msg.into_bytes(), opts);
                    }
                },
                (None, _) => None,
            };
            opts.push(Parsed::Opt(found.id, optarg));
            continue;
        }

        // A cluster of short options.
        i += 1;
        let mut pos = 1;
        while pos < bytes.len() {
            let c = bytes[pos];
            pos += 1;
            let rest = &bytes[pos..];
            let spec = match optstring.iter().position(|&b| b == c) {
                Some(idx) if c != b':' && c != b';' => &optstring[idx + 1..],
                _ => {
                    let mut msg = b"invalid option -- '".to_vec();
                    msg.push(c);
                    msg.push(b'\'');
                    return fail(msg, opts);
                }
            };
            let id = char::from(c);
            if spec.first() != Some(&b':') {
                opts.push(Parsed::Opt(id, None));
                continue;
            }
            if spec.get(1) == Some(&b':') {
                // Optional argument: only an attached one.
                let optarg = (!rest.is_empty()).then(|| os(rest));
                opts.push(Parsed::Opt(id, optarg));
            } else if !rest.is_empty() {
                opts.push(Parsed::Opt(id, Some(os(rest))));
            } else if let Some(next) = args.get(i) {
                i += 1;
                opts.push(Parsed::Opt(id, Some(next.as_ref().to_os_string())));
            } else {
                let mut msg = b"option requires an argument -- '".to_vec();
                msg.push(c);
                msg.push(b'\'');
                return fail(msg, opts);
            }
            break;
        }
    }

    opts.extend(positionals);
    Ok(opts)
}

#[cfg(test)]
mod tests {
    use super::*;

    use HasArg::{No, Optional, Required};

    const MODINFO_SHORT: &str = "adlpn0mF:k:b:Vh";
    const MODINFO_LONG: &[LongOpt] = &[
        LongOpt::new("author", No, 'a'),
        LongOpt::new("description", No, 'd'),
        LongOpt::new("license", No, 'l'),
        LongOpt::new("parameters", No, 'p'),
        LongOpt::new("filename", No, 'n'),
        LongOpt::new("null", No, '0'),
        LongOpt::new("field", Required, 'F'),
        LongOpt::new("set-version", Required, 'k'),
        LongOpt::new("basedir", Required, 'b'),
        LongOpt::new("modname", No, 'm'),
        LongOpt::new("version", No, 'V'),
        LongOpt::new("help", No, 'h'),
    ];

    const MODPROBE_SHORT: &str = "arw:RibfDcnC:d:S:sqvVh";
    const MODPROBE_LONG: &[LongOpt] = &[
        LongOpt::new("all", No, 'a'),
        LongOpt::new("remove", No, 'r'),
        LongOpt::new("remove-dependencies", No, '\u{101}'),
        LongOpt::new("remove-holders", No, '\u{102}'),
        LongOpt::new("wait", Required, 'w'),
        LongOpt::new("first-time", No, '\u{103}'),
        LongOpt::new("ignore-install", No, 'i'),
        LongOpt::new("ignore-remove", No, 'i'),
        LongOpt::new("use-blacklist", No, 'b'),
        LongOpt::new("force", No, 'f'),
        LongOpt::new("force-modversion", No, '\u{104}'),
        LongOpt::new("force-vermagic", No, '\u{105}'),
        LongOpt::new("show-depends", No, 'D'),
        LongOpt::new("showconfig", No, 'c'),
        LongOpt::new("show-config", No, 'c'),
        LongOpt::new("show-modversions", No, '\u{106}'),
        LongOpt::new("dump-modversions", No, '\u{106}'),
        LongOpt::new("show-exports", No, '\u{107}'),
        LongOpt::new("dry-run", No, 'n'),
        LongOpt::new("show", No, 'n'),
        LongOpt::new("config", Required, 'C'),
        LongOpt::new("dirname", Required, 'd'),
        LongOpt::new("set-version", Required, 'S'),
        LongOpt::new("syslog", No, 's'),
        LongOpt::new("quiet", No, 'q'),
        LongOpt::new("verbose", No, 'v'),
        LongOpt::new("version", No, 'V'),
        LongOpt::new("help", No, 'h'),
        LongOpt::new("resolve-alias", No, 'R'),
        LongOpt::new("show-alias", No, 'R'),
    ];

    /// A synthetic set exercising optional arguments and glibc's
    /// "differs from the first match" ambiguity rule.
    const SYNTH_SHORT: &str = "ab::c:xW";
    const SYNTH_LONG: &[LongOpt] = &[
        LongOpt::new("opt", Optional, 'o'),
        LongOpt::new("optional", Optional, 'o'),
        LongOpt::new("option", No, 'p'),
        LongOpt::new("req", Required, 'r'),
        LongOpt::new("r", No, 'R'),
        LongOpt::new("same1", No, 's'),
        LongOpt::new("same2", No, 's'),
        LongOpt::new("same3", Required, 's'),
        LongOpt::new("same4", No, 's'),
        LongOpt::new("same5", No, 't'),
        LongOpt::new("x-long", No, '\u{100}'),
    ];

    const SETS: &[(&str, &str, &[LongOpt])] = &[
        ("modinfo", MODINFO_SHORT, MODINFO_LONG),
        ("modprobe", MODPROBE_SHORT, MODPROBE_LONG),
        ("synth", SYNTH_SHORT, SYNTH_LONG),
        ("nolong", "ab:c::", &[]),
    ];

    fn strings(args: &[&str]) -> Vec<String> {
        args.iter().map(|s| s.to_string()).collect()
    }

    /// Compact rendering of a result, for table tests and for diffs:
    /// `a`, `F=x`, `F=` (empty argument), `@pos`, and `!message` last.
    fn render(r: &Result<Vec<Parsed>, GetoptError>) -> String {
        fn items(v: &[Parsed]) -> Vec<String> {
            v.iter()
                .map(|p| match p {
                    Parsed::Opt(c, None) => format!("{c}"),
                    Parsed::Opt(c, Some(a)) => format!("{c}={}", a.to_string_lossy()),
                    Parsed::Positional(s) => format!("@{}", s.to_string_lossy()),
                })
                .collect()
        }
        match r {
            Ok(v) => items(v).join(" "),
            Err(e) => {
                let mut v = items(&e.parsed);
                v.push(format!("!{e}"));
                v.join(" ")
            }
        }
    }

    fn run(set: &str, args: &[&str]) -> String {
        let (_, short, long) = SETS.iter().find(|(n, _, _)| *n == set).unwrap();
        render(&getopt_long(&strings(args), short, long))
    }

    #[test]
    fn table() {
        #[rustfmt::skip]
        let cases: &[(&str, &[&str], &str)] = &[
            ("modinfo", &[], ""),
            ("modinfo", &["x"], "@x"),
            ("modinfo", &["-a"], "a"),
            ("modinfo", &["-ad", "x", "-l"], "a d l @x"),
            ("modinfo", &["x", "-F", "y", "z"], "F=y @x @z"),
            ("modinfo", &["-Fvalue"], "F=value"),
            ("modinfo", &["-aFvalue", "m"], "a F=value @m"),
            ("modinfo", &["-Fa", "-a"], "F=a a"),
            ("modinfo", &["-F", "--"], "F=--"),
            ("modinfo", &["-F", "-a"], "F=-a"),
            ("modinfo", &["-F", ""], "F="),
            ("modinfo", &["-F"], "!option requires an argument -- 'F'"),
            ("modinfo", &["-a", "x", "-lF"], "a l !option requires an argument -- 'F'"),
            ("modinfo", &["-z"], "!invalid option -- 'z'"),
            ("modinfo", &["-az", "-d"], "a !invalid option -- 'z'"),
            ("modinfo", &["-:"], "!invalid option -- ':'"),
            ("modinfo", &["-;"], "!invalid option -- ';'"),
            ("modinfo", &["-a-"], "a !invalid option -- '-'"),
            ("modinfo", &["-é"], "!invalid option -- '\u{fffd}'"),
            ("modinfo", &["-", ""], "@- @"),
            ("modinfo", &["a", "--", "-b", "--", "c"], "@a @-b @-- @c"),
            ("modinfo", &["a", "-d", "--", "-b"], "d @a @-b"),
            ("modinfo", &["--"], ""),
            ("modinfo", &["--field", "x"], "F=x"),
            ("modinfo", &["--field=x=y"], "F=x=y"),
            ("modinfo", &["--field="], "F="),
            ("modinfo", &["--field"], "!option '--field' requires an argument"),
            ("modinfo", &["--fie", "x"], "F=x"),
            ("modinfo", &["--fi", "x"], "!option '--fi' is ambiguous; possibilities: '--filename' '--field'"),
            ("modinfo", &["--f", "x"], "!option '--f' is ambiguous; possibilities: '--filename' '--field'"),
            ("modinfo", &["--f=x"], "!option '--f=x' is ambiguous; possibilities: '--filename' '--field'"),
            ("modinfo", &["--ver"], "V"),
            ("modinfo", &["--version=1"], "!option '--version' doesn't allow an argument"),
            ("modinfo", &["--vers="], "!option '--version' doesn't allow an argument"),
            ("modinfo", &["--nope"], "!unrecognized option '--nope'"),
            ("modinfo", &["--nope=1"], "!unrecognized option '--nope=1'"),
            ("modinfo", &["---"], "!unrecognized option '---'"),
            ("modinfo", &["-a", "--nope", "-d"], "a !unrecognized option '--nope'"),
            ("modinfo", &["--=x"], "!option '--=x' is ambiguous; possibilities: '--author' '--description' '--license' '--parameters' '--filename' '--null' '--field' '--set-version' '--basedir' '--modname' '--version' '--help'"),
            ("modprobe", &["--show"], "n"),
            ("modprobe", &["--ign"], "i"),
            ("modprobe", &["--ignore-"], "i"),
            ("modprobe", &["--sho"], "!option '--sho' is ambiguous; possibilities: '--show-depends' '--showconfig' '--show-config' '--show-modversions' '--show-exports' '--show' '--show-alias'"),
            ("modprobe", &["--showc"], "c"),
            ("modprobe", &["--show-c"], "c"),
            ("modprobe", &["--wait", "5", "m"], "w=5 @m"),
            ("modprobe", &["--wait"], "!option '--wait' requires an argument"),
            ("modprobe", &["--dry"], "n"),
            ("modprobe", &["--d"], "!option '--d' is ambiguous; possibilities: '--dump-modversions' '--dry-run' '--dirname'"),
            ("modprobe", &["--r"], "!option '--r' is ambiguous; possibilities: '--remove' '--remove-dependencies' '--remove-holders' '--resolve-alias'"),
            ("modprobe", &["--remove"], "r"),
            ("modprobe", &["--v"], "!option '--v' is ambiguous; possibilities: '--verbose' '--version'"),
            ("synth", &["--opt"], "o"),
            ("synth", &["--opt=v"], "o=v"),
            ("synth", &["--opt=", "v"], "o= @v"),
            ("synth", &["--opt", "v"], "o @v"),
            ("synth", &["--opti"], "!option '--opti' is ambiguous; possibilities: '--optional' '--option'"),
            ("synth", &["--optio"], "!option '--optio' is ambiguous; possibilities: '--optional' '--option'"),
            ("synth", &["--optiona"], "o"),
            ("synth", &["--r", "v"], "R @v"),
            ("synth", &["--re", "v"], "r=v"),
            ("synth", &["--same"], "!option '--same' is ambiguous; possibilities: '--same1' '--same3' '--same5'"),
            ("synth", &["--same2"], "s"),
            ("synth", &["-b", "v"], "b @v"),
            ("synth", &["-bv"], "b=v"),
            ("synth", &["-abv"], "a b=v"),
            ("synth", &["-Wx"], "W x"),
            ("synth", &["--x"], "\u{100}"),
            ("nolong", &["--a"], "!unrecognized option '--a'"),
            ("nolong", &["-c", "x"], "c @x"),
        ];
        let mut failures = Vec::new();
        for (set, args, want) in cases {
            let got = run(set, args);
            if got != *want {
                failures.push(format!("{set} {args:?}\n  want: {want}\n  got:  {got}"));
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    #[test]
    fn error_display_and_parsed() {
        let e = getopt_long(&strings(&["-a", "x", "-z", "-d"]), MODINFO_SHORT, MODINFO_LONG).unwrap_err();
        assert_eq!(e.to_string(), "invalid option -- 'z'");
        assert_eq!(e.parsed, vec![Parsed::Opt('a', None)]);
    }

    // ---------------------------------------------------------------------
    // Oracle: compare with glibc's real getopt_long.
    // ---------------------------------------------------------------------

    mod oracle {
        use super::super::*;
        use std::ffi::CString;
        use std::os::raw::{c_char, c_int};
        use std::sync::Mutex;

        #[repr(C)]
        struct COption {
            name: *const c_char,
            has_arg: c_int,
            flag: *mut c_int,
            val: c_int,
        }

        extern "C" {
            #[link_name = "getopt_long"]
            fn glibc_getopt_long(
                argc: c_int,
                argv: *const *mut c_char,
                optstring: *const c_char,
                longopts: *const COption,
                longindex: *mut c_int,
            ) -> c_int;
            #[link_name = "optind"]
            static mut OPTIND: c_int;
            #[link_name = "optarg"]
            static mut OPTARG: *mut c_char;
            #[link_name = "opterr"]
            static mut OPTERR: c_int;
            #[link_name = "stderr"]
            static mut STDERR: *mut libc::FILE;
        }

        /// glibc's getopt keeps global state (and we swap the global C
        /// `stderr`), so calls must be serialised.
        static LOCK: Mutex<()> = Mutex::new(());

        fn cstr_bytes(p: *const c_char) -> Vec<u8> {
            // SAFETY: p is a valid NUL-terminated string owned by the caller.
            unsafe { std::ffi::CStr::from_ptr(p) }.to_bytes().to_vec()
        }

        /// Runs glibc's getopt_long loop over `args` the way kmod does
        /// (stop at the first '?') and renders the result like `render`.
        pub(super) fn glibc(args: &[String], short: &str, long: &[LongOpt]) -> String {
            let _guard = LOCK.lock().unwrap_or_else(|e| e.into_inner());

            let prog = CString::new("prog").unwrap();
            let owned: Vec<CString> = args.iter().map(|a| CString::new(a.as_bytes()).unwrap()).collect();
            let mut argv: Vec<*mut c_char> = std::iter::once(prog.as_ptr() as *mut c_char)
                .chain(owned.iter().map(|c| c.as_ptr() as *mut c_char))
                .collect();
            let argc = argv.len() as c_int;
            argv.push(std::ptr::null_mut());

            let cshort = CString::new(short).unwrap();
            let names: Vec<CString> = long.iter().map(|o| CString::new(o.name).unwrap()).collect();
            let mut copts: Vec<COption> = long
                .iter()
                .zip(&names)
                .map(|(o, n)| COption {
                    name: n.as_ptr(),
                    has_arg: match o.has_arg {
                        HasArg::No => 0,
                        HasArg::Required => 1,
                        HasArg::Optional => 2,
                    },
                    flag: std::ptr::null_mut(),
                    val: o.id as u32 as c_int,
                })
                .collect();
            copts.push(COption { name: std::ptr::null(), has_arg: 0, flag: std::ptr::null_mut(), val: 0 });

            let mut items: Vec<String> = Vec::new();
            let mut error: Option<Vec<u8>> = None;

            // SAFETY: serialised by LOCK; all pointers stay alive for the
            // duration of the calls; the C stderr stream is swapped for a
            // memory stream and restored before anyone else can use it.
            unsafe {
                let mut buf: *mut c_char = std::ptr::null_mut();
                let mut len: libc::size_t = 0;
                let mem = libc::open_memstream(&mut buf, &mut len);
                assert!(!mem.is_null());
                let saved = STDERR;
                STDERR = mem;

                OPTIND = 0; // full re-initialisation
                OPTERR = 1;
                loop {
                    let r = glibc_getopt_long(
                        argc,
                        argv.as_ptr(),
                        cshort.as_ptr(),
                        copts.as_ptr(),
                        std::ptr::null_mut(),
                    );
                    if r == -1 {
                        for &p in &argv[OPTIND as usize..argc as usize] {
                            items.push(format!("@{}", String::from_utf8(cstr_bytes(p)).unwrap()));
                        }
                        break;
                    }
                    if r == '?' as c_int {
                        error = Some(Vec::new());
                        break;
                    }
                    let c = char::from_u32(r as u32).unwrap();
                    if OPTARG.is_null() {
                        items.push(format!("{c}"));
                    } else {
                        let a = String::from_utf8(cstr_bytes(OPTARG)).unwrap();
                        items.push(format!("{c}={a}"));
                    }
                }

                libc::fflush(mem);
                STDERR = saved;
                libc::fclose(mem);
                let out = std::slice::from_raw_parts(buf as *const u8, len).to_vec();
                libc::free(buf as *mut libc::c_void);

                match error {
                    Some(_) => {
                        let msg =
                            out.strip_prefix(b"prog: ").and_then(|m| m.strip_suffix(b"\n")).unwrap_or_else(
                                || panic!("unexpected glibc stderr {:?}", String::from_utf8_lossy(&out)),
                            );
                        assert!(!msg.contains(&b'\n'), "several glibc messages: {out:?}");
                        items.push(format!("!{}", String::from_utf8_lossy(msg)));
                    }
                    None => assert!(out.is_empty(), "glibc printed without error: {out:?}"),
                }
            }
            items.join(" ")
        }
    }

    /// Tokens combined into argument vectors for the oracle comparison.
    const TOKENS: &[&str] = &[
        // plain / separators
        "x",
        "y",
        "",
        "-",
        "--",
        "---",
        "-é",
        "é",
        // modinfo shorts
        "-a",
        "-ab",
        "-ad",
        "-F",
        "-Fx",
        "-aFx",
        "-Fa",
        "-F=",
        "-0",
        "-0n",
        "-V",
        "-h",
        "-k",
        "-b",
        "-z",
        "-:",
        "-;",
        "-a-",
        "-aé",
        "-m",
        "-mz",
        "-W",
        // modinfo longs
        "--field",
        "--field=x",
        "--field=",
        "--fi",
        "--fi=y",
        "--f",
        "--f=x",
        "--fie",
        "--ver",
        "--version",
        "--version=1",
        "--vers=",
        "--nope",
        "--nope=1",
        "--=",
        "--=x",
        "--é",
        "--set",
        "--set-version",
        "--b",
        "--h",
        "--a",
        "--null",
        "--n",
        "--m",
        "--mod",
        "--p",
        "--help=",
        "--basedir=d",
        // modprobe
        "--sho",
        "--show",
        "--show-",
        "--show=1",
        "--s",
        "--sh",
        "--ign",
        "--ignore",
        "--ignore-install",
        "--ign=1",
        "--r",
        "--remove",
        "--remove-",
        "--rem",
        "--dry",
        "--d",
        "--di",
        "--w",
        "--wait",
        "--wait=5",
        "--co",
        "--conf",
        "--config=x",
        "--resolve",
        "--force",
        "--force-",
        "--fo",
        "--v",
        "--versio",
        "--show-alias",
        "--dump",
        "--q",
        "--showc",
        "-w",
        "-w1",
        "-C",
        "-S",
        "-d",
        "-Sx",
        "-arw",
        "-x",
        "-r",
        "-qv",
        "-Dn",
        // synth
        "--opt",
        "--opt=v",
        "--opt=",
        "--opti",
        "--optio",
        "--option",
        "--option=1",
        "--optional",
        "--req",
        "--re",
        "--r=1",
        "--same",
        "--same3",
        "--same3=q",
        "--same5",
        "--x",
        "--x-long",
        "-b",
        "-bv",
        "-abv",
        "-c",
        "-cv",
        "-xa",
        "-Wx",
    ];

    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            // xorshift64*
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    fn compare(set: &str, short: &str, long: &[LongOpt], args: &[String], failures: &mut Vec<String>) {
        let want = oracle::glibc(args, short, long);
        let got = render(&getopt_long(args, short, long));
        if got != want && failures.len() < 20 {
            failures.push(format!("{set} {args:?}\n  glibc: {want}\n  ours:  {got}"));
        }
    }

    fn posixly_correct() -> bool {
        if std::env::var_os("POSIXLY_CORRECT").is_some() {
            eprintln!("POSIXLY_CORRECT is set: skipping the glibc oracle comparison");
            return true;
        }
        false
    }

    /// Every vector of zero, one and two tokens, for every option set.
    #[test]
    fn oracle_exhaustive_short_vectors() {
        if posixly_correct() {
            return;
        }
        let mut failures = Vec::new();
        let mut count = 0;
        for (set, short, long) in SETS {
            compare(set, short, long, &[], &mut failures);
            count += 1;
            for a in TOKENS {
                compare(set, short, long, &strings(&[a]), &mut failures);
                count += 1;
                for b in TOKENS {
                    compare(set, short, long, &strings(&[a, b]), &mut failures);
                    count += 1;
                }
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
        eprintln!("compared {count} argument vectors with glibc");
    }

    /// Random vectors of up to 8 tokens, biased towards non-erroring
    /// tokens so that long permutations are exercised too.
    #[test]
    fn oracle_random_vectors() {
        if posixly_correct() {
            return;
        }
        let mut failures = Vec::new();
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let (mut count, mut ok) = (0, 0);
        for (set, short, long) in SETS {
            // Tokens that parse without error for this set.
            let good: Vec<&str> = TOKENS
                .iter()
                .copied()
                .filter(|t| getopt_long(&strings(&[t, "v"]), short, long).is_ok())
                .collect();
            for _ in 0..15_000 {
                let n = rng.below(9);
                let args: Vec<String> = (0..n)
                    .map(|_| {
                        if rng.below(8) == 0 {
                            TOKENS[rng.below(TOKENS.len())].to_string()
                        } else {
                            good[rng.below(good.len())].to_string()
                        }
                    })
                    .collect();
                compare(set, short, long, &args, &mut failures);
                count += 1;
                ok += usize::from(getopt_long(&args, short, long).is_ok());
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
        eprintln!("compared {count} random argument vectors with glibc ({ok} without error)");
        assert!(ok * 3 > count, "too few error-free vectors: {ok} of {count}");
    }
}
