//! `fnmatch(3)` with flags 0 in the C locale, as glibc implements it.
//!
//! kmod matches every alias wildcard through `fnmatch(pattern, string, 0)`: the config
//! `alias` patterns and the keys of `modules.alias.bin`, `modules.symbols.bin` and
//! `modules.builtin.alias.bin` (see [`crate::index`]). This module reproduces glibc's
//! answers byte for byte (checked against `libc::fnmatch` by the tests below):
//!
//! * `*` matches any sequence, including `/` and a leading `.` (no `FNM_PATHNAME`,
//!   no `FNM_PERIOD`); `?` matches any single byte.
//! * `\` escapes the next byte, in and out of brackets. A trailing lone `\` makes the
//!   whole pattern fail ("trailing \ loses").
//! * Bracket expressions `[...]`: `!` or `^` negates, a `]` right after the opening
//!   `[` (or `[!`) is literal, ranges `a-z` compare byte values, `[:class:]` for the 12
//!   POSIX classes (C locale; bytes >= 128 belong to none), `[=c=]` and `[.c.]` accept
//!   only the single byte `c` (a C-locale build has no collation names). An
//!   unterminated `[` matches a literal `[`. glibc's quirks in malformed brackets are
//!   kept (for example an unknown class name makes the bracket fail).
//! * `POSIXLY_CORRECT` (which turns off `^` as negation in glibc) is ignored: `^` always
//!   negates, as it does in a normal kmod process.
//! * Both strings end at their first NUL byte, as C strings do.
//!
//! The matcher runs in `O(|pattern| * |string|)`: like glibc, once the pattern segment
//! after a `*` has matched up to the next `*`, the earliest such match is kept and never
//! revisited. That is exact because every element between two stars consumes exactly
//! one byte, so the leftmost match leaves the most string for the rest of the pattern.

/// glibc's limit on a `[:name:]` class name (`CHAR_CLASS_MAX_LENGTH`, which glibc sets
/// to `CHARCLASS_NAME_MAX`, 2048). Longer names make the pattern fail.
const CHAR_CLASS_MAX_LENGTH: usize = 2048;

/// True if `s` contains a byte that makes it an fnmatch pattern rather than a plain
/// string: `*`, `?` or `[` (what kmod checks before a wildcard search).
pub fn has_wildcard(s: &[u8]) -> bool {
    s.iter().any(|&b| matches!(b, b'*' | b'?' | b'['))
}

/// `fnmatch(pattern, s, 0) == 0` in the C locale: does `s` match `pattern`?
pub fn fnmatch(pattern: &[u8], s: &[u8]) -> bool {
    // A literal first byte must be the string's first byte: most patterns of a list
    // (module names) are rejected here, before any scan.
    if let Some(&p0) = pattern.first() {
        if p0 != 0 && !matches!(p0, b'*' | b'?' | b'[' | b'\\') && s.first() != Some(&p0) {
            return false;
        }
    }
    let pattern = until_nul(pattern);
    let s = until_nul(s);
    // Most patterns (module names) are plain: no wildcard, no escape.
    if !pattern.iter().any(|&b| matches!(b, b'*' | b'?' | b'[' | b'\\')) {
        return pattern == s;
    }
    matches!(run(pattern, s, 0, 0, false), Run::Match)
}

/// [`fnmatch`] for callers that know neither string holds a NUL byte (keys read from an
/// index, which are C strings): no scan for the terminator, no plain-pattern shortcut.
pub fn fnmatch_no_nul(pattern: &[u8], s: &[u8]) -> bool {
    debug_assert!(!pattern.contains(&0) && !s.contains(&0));
    matches!(run(pattern, s, 0, 0, false), Run::Match)
}

/// The prefix of `b` before its first NUL byte (all of `b` if there is none).
fn until_nul(b: &[u8]) -> &[u8] {
    match b.iter().position(|&c| c == 0) {
        Some(i) => &b[..i],
        None => b,
    }
}

/// The pattern byte at `i`, or 0 at and past the end (the C string terminator).
#[inline]
fn at(pat: &[u8], i: usize) -> u8 {
    pat.get(i).copied().unwrap_or(0)
}

/// Can `b` be part of a `[:name:]` class name? glibc tests `c < 'a' || c >= 'z'`, so
/// `z` itself ends the name (kept for parity).
fn class_name_byte(b: u8) -> bool {
    (b'a'..=b'y').contains(&b)
}

/// The outcome of matching from a given pattern and string position.
enum Run {
    Match,
    NoMatch,
    /// Only in a segment run: a `*` was reached at pattern index `p` with string index
    /// `n`, everything before it having matched.
    Star {
        p: usize,
        n: usize,
    },
}

/// Match `pat[p..]` against `s[n..]`. With `segment`, stop at the next `*` and report
/// where it was reached (glibc's inner call with an `ends` record); the top-level run
/// never recurses deeper than one segment run at a time.
fn run(pat: &[u8], s: &[u8], mut p: usize, mut n: usize, segment: bool) -> Run {
    loop {
        let c = at(pat, p);
        if c == 0 {
            return if n == s.len() { Run::Match } else { Run::NoMatch };
        }
        p += 1;
        match c {
            b'?' => {
                if n == s.len() {
                    return Run::NoMatch;
                }
                n += 1;
            }
            b'\\' => {
                let e = at(pat, p);
                if e == 0 {
                    // Trailing backslash: never matches.
                    return Run::NoMatch;
                }
                p += 1;
                if n == s.len() || s[n] != e {
                    return Run::NoMatch;
                }
                n += 1;
            }
            b'*' => {
                if segment {
                    return Run::Star { p: p - 1, n };
                }
                // Collapse the run of `*` and `?`; each `?` still needs one byte.
                let mut next;
                loop {
                    next = at(pat, p);
                    p += 1;
                    match next {
                        b'*' => {}
                        b'?' => {
                            if n == s.len() {
                                return Run::NoMatch;
                            }
                            n += 1;
                        }
                        _ => break,
                    }
                }
                if next == 0 {
                    return Run::Match;
                }
                p -= 1;
                // The rest starts with an element that needs a byte: try each start.
                let mut resume = None;
                // A literal next element can only start where the string has its byte.
                let first = at(pat, p);
                let literal = !matches!(first, b'?' | b'[' | b'\\' | b'*');
                for start in n..s.len() {
                    if literal && s[start] != first {
                        continue;
                    }
                    match run(pat, s, p, start, true) {
                        Run::Match => return Run::Match,
                        Run::Star { p: sp, n: sn } => {
                            resume = Some((sp, sn));
                            break;
                        }
                        Run::NoMatch => {}
                    }
                }
                match resume {
                    Some((sp, sn)) => {
                        p = sp;
                        n = sn;
                    }
                    None => return Run::NoMatch,
                }
            }
            b'[' => {
                if n == s.len() {
                    return Run::NoMatch;
                }
                match bracket(pat, p, s[n]) {
                    Bracket::Matched(next) => p = next,
                    Bracket::NoMatch => return Run::NoMatch,
                    // Unterminated: the `[` is an ordinary byte; continue after it.
                    Bracket::Literal => {
                        if s[n] != b'[' {
                            return Run::NoMatch;
                        }
                    }
                }
                n += 1;
            }
            _ => {
                if n == s.len() || s[n] != c {
                    return Run::NoMatch;
                }
                n += 1;
            }
        }
    }
}

/// The outcome of a bracket expression against one byte.
enum Bracket {
    /// The byte is accepted; the pattern continues at this index (after the `]`).
    Matched(usize),
    /// The byte is rejected (or the bracket is malformed in a way glibc rejects).
    NoMatch,
    /// The bracket is unterminated: treat its `[` as a literal byte.
    Literal,
}

/// What to do with a bracket element once it has been read.
enum Elem {
    /// An ordinary byte (possibly the start of a range).
    Normal(u8),
    /// A `[.c.]` collating symbol: `c` is already the next byte; check for a range
    /// starting at this value.
    RangeFrom(u8),
    /// A class or equivalence class that did not match: `c` is the next byte.
    Done,
}

/// Evaluate the bracket expression whose `[` sits just before `p_init`, for byte `ch`.
fn bracket(pat: &[u8], p_init: usize, ch: u8) -> Bracket {
    let mut p = p_init;
    let negate = matches!(at(pat, p), b'!' | b'^');
    if negate {
        p += 1;
    }
    let mut c = at(pat, p);
    p += 1;
    let matched = loop {
        let elem = if c == b'\\' {
            let e = at(pat, p);
            if e == 0 {
                return Bracket::NoMatch;
            }
            p += 1;
            Elem::Normal(e)
        } else if c == b'[' && at(pat, p) == b':' {
            // `[:name:]`; `p` is at the `:`.
            let startp = p;
            let mut q = p;
            let mut len = 0;
            let found = loop {
                if len == CHAR_CLASS_MAX_LENGTH {
                    return Bracket::NoMatch;
                }
                q += 1;
                let b = at(pat, q);
                if b == b':' && at(pat, q + 1) == b']' {
                    q += 2;
                    break true;
                }
                if !class_name_byte(b) {
                    break false;
                }
                len += 1;
            };
            if found {
                let Some(class) = CharClass::from_name(&pat[startp + 1..startp + 1 + len]) else {
                    return Bracket::NoMatch;
                };
                p = q;
                if class.contains(ch) {
                    break true;
                }
                c = at(pat, p);
                p += 1;
                Elem::Done
            } else {
                // Not a class name: the `[` is an ordinary byte.
                p = startp;
                Elem::Normal(b'[')
            }
        } else if c == b'[' && at(pat, p) == b'=' {
            // `[=c=]`; `p` is at the first `=`.
            let e = at(pat, p + 1);
            if e == 0 || at(pat, p + 2) != b'=' || at(pat, p + 3) != b']' {
                Elem::Normal(b'[')
            } else {
                p += 4;
                if ch == e {
                    break true;
                }
                c = at(pat, p);
                p += 1;
                Elem::Done
            }
        } else if c == 0 {
            return Bracket::Literal;
        } else if c == b'[' && at(pat, p) == b'.' {
            // `[.c.]`; `p` is at the first `.`.
            let startp = p;
            let mut len = 0;
            loop {
                p += 1;
                let b = at(pat, p);
                if b == b'.' && at(pat, p + 1) == b']' {
                    p += 2;
                    break;
                }
                if b == 0 {
                    return Bracket::NoMatch;
                }
                len += 1;
            }
            // glibc's range test here does not exclude a following `]`.
            let is_range = at(pat, p) == b'-' && at(pat, p + 1) != 0;
            if len != 1 {
                return Bracket::NoMatch;
            }
            let sym = at(pat, startp + 1);
            if !is_range && ch == sym {
                break true;
            }
            c = at(pat, p);
            p += 1;
            Elem::RangeFrom(sym)
        } else {
            Elem::Normal(c)
        };

        let cold = match elem {
            Elem::Normal(b) => {
                let is_range = at(pat, p) == b'-' && at(pat, p + 1) != 0 && at(pat, p + 1) != b']';
                if !is_range && b == ch {
                    break true;
                }
                c = at(pat, p);
                p += 1;
                Some(b)
            }
            Elem::RangeFrom(b) => Some(b),
            Elem::Done => None,
        };

        if let Some(cold) = cold {
            if c == b'-' && at(pat, p) != b']' {
                let mut cend = at(pat, p);
                p += 1;
                if cend == b'[' && at(pat, p) == b'.' {
                    let startp = p;
                    let mut len = 0;
                    loop {
                        p += 1;
                        let b = at(pat, p);
                        if b == b'.' && at(pat, p + 1) == b']' {
                            p += 2;
                            break;
                        }
                        if b == 0 {
                            return Bracket::NoMatch;
                        }
                        len += 1;
                    }
                    if len != 1 {
                        return Bracket::NoMatch;
                    }
                    cend = at(pat, startp + 1);
                } else {
                    if cend == b'\\' {
                        cend = at(pat, p);
                        p += 1;
                    }
                    if cend == 0 {
                        return Bracket::NoMatch;
                    }
                }
                if cold <= ch && ch <= cend {
                    break true;
                }
                c = at(pat, p);
                p += 1;
            }
        }

        if c == b']' {
            break false;
        }
    };

    if !matched {
        return if negate { Bracket::Matched(p) } else { Bracket::NoMatch };
    }

    // Skip the rest of a bracket that already matched, as glibc does (its rules here are
    // slightly different from the ones above, and can still turn the `[` literal).
    loop {
        let c = at(pat, p);
        p += 1;
        match c {
            b']' => break,
            0 => return Bracket::Literal,
            b'\\' => {
                if at(pat, p) == 0 {
                    return Bracket::NoMatch;
                }
                p += 1;
            }
            b'[' if at(pat, p) == b':' => {
                let startp = p;
                let mut len = 0;
                loop {
                    p += 1;
                    let b = at(pat, p);
                    len += 1;
                    if len == CHAR_CLASS_MAX_LENGTH {
                        return Bracket::NoMatch;
                    }
                    if b == b':' && at(pat, p + 1) == b']' {
                        p += 2;
                        break;
                    }
                    if !class_name_byte(b) {
                        p = startp;
                        break;
                    }
                }
            }
            b'[' if at(pat, p) == b'=' => {
                if at(pat, p + 1) == 0 || at(pat, p + 2) != b'=' || at(pat, p + 3) != b']' {
                    return Bracket::NoMatch;
                }
                p += 4;
            }
            b'[' if at(pat, p) == b'.' => loop {
                p += 1;
                let b = at(pat, p);
                if b == 0 {
                    return Bracket::NoMatch;
                }
                if b == b'.' && at(pat, p + 1) == b']' {
                    p += 2;
                    break;
                }
            },
            _ => {}
        }
    }
    if negate {
        Bracket::NoMatch
    } else {
        Bracket::Matched(p)
    }
}

/// The 12 POSIX character classes of the C locale.
#[derive(Clone, Copy)]
enum CharClass {
    Alnum,
    Alpha,
    Blank,
    Cntrl,
    Digit,
    Graph,
    Lower,
    Print,
    Punct,
    Space,
    Upper,
    Xdigit,
}

impl CharClass {
    fn from_name(name: &[u8]) -> Option<CharClass> {
        Some(match name {
            b"alnum" => CharClass::Alnum,
            b"alpha" => CharClass::Alpha,
            b"blank" => CharClass::Blank,
            b"cntrl" => CharClass::Cntrl,
            b"digit" => CharClass::Digit,
            b"graph" => CharClass::Graph,
            b"lower" => CharClass::Lower,
            b"print" => CharClass::Print,
            b"punct" => CharClass::Punct,
            b"space" => CharClass::Space,
            b"upper" => CharClass::Upper,
            b"xdigit" => CharClass::Xdigit,
            _ => return None,
        })
    }

    /// Membership in the C locale (bytes >= 128 are in no class).
    fn contains(self, b: u8) -> bool {
        match self {
            CharClass::Alnum => b.is_ascii_alphanumeric(),
            CharClass::Alpha => b.is_ascii_alphabetic(),
            CharClass::Blank => b == b' ' || b == b'\t',
            CharClass::Cntrl => b.is_ascii_control(),
            CharClass::Digit => b.is_ascii_digit(),
            CharClass::Graph => b.is_ascii_graphic(),
            CharClass::Lower => b.is_ascii_lowercase(),
            CharClass::Print => b.is_ascii_graphic() || b == b' ',
            CharClass::Punct => b.is_ascii_punctuation(),
            // C isspace: space, \t, \n, \v, \f, \r (Rust's is_ascii_whitespace lacks \v).
            CharClass::Space => matches!(b, b' ' | b'\t'..=b'\r'),
            CharClass::Upper => b.is_ascii_uppercase(),
            CharClass::Xdigit => b.is_ascii_hexdigit(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::ffi::CString;
    use std::time::{Duration, Instant};

    /// glibc's answer (flags 0). The test process never calls setlocale, so this is the
    /// C locale.
    fn libc_fnmatch(pattern: &[u8], s: &[u8]) -> bool {
        let p = CString::new(pattern).unwrap();
        let s = CString::new(s).unwrap();
        // SAFETY: both are valid NUL-terminated C strings that outlive the call.
        unsafe { libc::fnmatch(p.as_ptr(), s.as_ptr(), 0) == 0 }
    }

    fn check(pattern: &str, s: &str, expected: bool) {
        assert_eq!(fnmatch(pattern.as_bytes(), s.as_bytes()), expected, "fnmatch({pattern:?}, {s:?})");
        assert_eq!(
            libc_fnmatch(pattern.as_bytes(), s.as_bytes()),
            expected,
            "libc fnmatch({pattern:?}, {s:?}) disagrees with the table"
        );
    }

    #[test]
    fn table() {
        let cases: &[(&str, &str, bool)] = &[
            ("", "", true),
            ("", "a", false),
            ("a", "a", true),
            ("a", "b", false),
            ("abc", "abc", true),
            ("abc", "ab", false),
            ("*", "", true),
            ("*", "anything/with/slashes", true),
            ("*", ".hidden", true),
            ("?", "", false),
            ("?", "/", true),
            ("?", ".", true),
            ("a*", "a", true),
            ("a*c", "abbbc", true),
            ("a*c", "abbbd", false),
            ("*?", "", false),
            ("*??", "ab", true),
            ("*??", "a", false),
            ("*a*b", "xaybzb", true),
            ("pci:v*d*sv*", "pci:v00008086d00001234sv0000", true),
            ("usb:v1234p*d*dc*", "usb:v1234p0001d0100dc00", true),
            ("usb:v1234p*d*dc*", "usb:v1235p0001d0100dc00", false),
            ("[abc]", "b", true),
            ("[abc]", "d", false),
            ("[!abc]", "d", true),
            ("[!abc]", "a", false),
            ("[^abc]", "d", true),
            ("[a-c]", "b", true),
            ("[a-c]", "d", false),
            ("[c-a]", "b", false),
            ("[]]", "]", true),
            ("[]a]", "a", true),
            ("[!]]", "]", false),
            ("[!]]", "a", true),
            ("[a-]", "-", true),
            ("[-a]", "-", true),
            ("[]-a]", "_", true),
            ("[[:alpha:]]", "q", true),
            ("[[:alpha:]]", "1", false),
            ("[[:digit:][:upper:]]", "Q", true),
            ("[[:space:]]", "\x0b", true),
            ("[[:blank:]]", "\n", false),
            ("[[:punct:]]", "!", true),
            ("[[:xdigit:]]", "F", true),
            ("[[:xdigit:]]", "g", false),
            ("[[:foo:]]", "f", false),
            ("[[:alpha:]", "[", false),
            // `z` is not a class-name byte to glibc: "[[:z:]]" is the set {[ : z} then "]".
            ("[[:z:]]", "z]", true),
            ("[[:z:]]", ":]", true),
            ("[[:z:]]", "z", false),
            ("[[:alpha:]z]", "z", true),
            ("[[=a=]]", "a", true),
            ("[[=a=]]", "b", false),
            ("[[.a.]]", "a", true),
            ("[[.a.]-c]", "b", true),
            ("[a-[.c.]]", "b", true),
            ("[[.ab.]]", "a", false),
            ("\\*", "*", true),
            ("\\*", "a", false),
            ("\\", "\\", false),
            ("a\\", "a", false),
            ("[\\]]", "]", true),
            ("[\\", "[", false),
            ("[", "[", true),
            ("[a", "[a", true),
            ("[a", "a", false),
            ("[!", "[!", true),
            ("*[", "ab[", true),
            ("[]", "[]", true),
            ("x[]", "x[]", true),
            ("[/]", "/", true),
            ("*/b", "a/x/b", true),
        ];
        for &(p, s, m) in cases {
            check(p, s, m);
        }
    }

    #[test]
    fn has_wildcard_bytes() {
        assert!(has_wildcard(b"pci:v*"));
        assert!(has_wildcard(b"a?"));
        assert!(has_wildcard(b"[ab]"));
        assert!(!has_wildcard(b"snd_hda_intel"));
        assert!(!has_wildcard(b"a]b\\"));
    }

    #[test]
    fn nul_ends_both_strings() {
        assert!(fnmatch(b"ab\0zzz", b"ab"));
        assert!(fnmatch(b"ab", b"ab\0zzz"));
    }

    #[test]
    fn classes_against_libc_for_every_byte() {
        let names = [
            "alnum", "alpha", "blank", "cntrl", "digit", "graph", "lower", "print", "punct", "space",
            "upper", "xdigit",
        ];
        for name in names {
            for neg in ["", "!"] {
                let pat = format!("[{neg}[:{name}:]]");
                for b in 1u8..=255 {
                    assert_eq!(
                        fnmatch(pat.as_bytes(), &[b]),
                        libc_fnmatch(pat.as_bytes(), &[b]),
                        "{pat} against byte {b:#x}"
                    );
                }
            }
        }
    }

    #[test]
    fn long_class_names_against_libc() {
        for len in [5, 2046, 2047, 2048, 2049, 3000] {
            let name = "a".repeat(len);
            for pat in [
                format!("[[:{name}:]]"),
                format!("[[:{name}]"),
                format!("[x[:{name}]"),
                format!("[x[:{name}:]]"),
            ] {
                for s in ["x", "a", "[", ":", "]"] {
                    assert_eq!(
                        fnmatch(pat.as_bytes(), s.as_bytes()),
                        libc_fnmatch(pat.as_bytes(), s.as_bytes()),
                        "class name of {len} against {s:?}: {pat}"
                    );
                }
            }
        }
    }

    #[test]
    fn many_stars_are_polynomial() {
        let mut pattern = "*a".repeat(50);
        pattern.push_str("*b");
        let s = "a".repeat(10_000);
        let start = Instant::now();
        assert!(!fnmatch(pattern.as_bytes(), s.as_bytes()));
        let mut with_b = s.clone();
        with_b.push('b');
        assert!(fnmatch(pattern.as_bytes(), with_b.as_bytes()));
        let pattern2 = "*?".repeat(25) + &"*[ab]".repeat(25) + "c";
        assert!(!fnmatch(pattern2.as_bytes(), s.as_bytes()));
        assert!(start.elapsed() < Duration::from_secs(5), "took {:?}", start.elapsed());
    }

    /// Every pattern of up to 3 bytes over a bracket-heavy alphabet, against every
    /// string of up to 2 bytes over the characters those patterns can match.
    #[test]
    fn exhaustive_short_patterns_against_libc() {
        let pat_alpha = b"*?[]!^-\\:a.=b";
        let str_alpha: &[u8] = b"a[]-!b\\";
        let mut patterns: Vec<Vec<u8>> = vec![vec![]];
        let mut layer: Vec<Vec<u8>> = vec![vec![]];
        for _ in 0..4 {
            let mut next = Vec::new();
            for p in &layer {
                for &c in pat_alpha {
                    let mut q = p.clone();
                    q.push(c);
                    next.push(q);
                }
            }
            patterns.extend(next.iter().cloned());
            layer = next;
        }
        let mut strings: Vec<Vec<u8>> = vec![vec![]];
        for &a in str_alpha {
            strings.push(vec![a]);
            for &b in str_alpha {
                strings.push(vec![a, b]);
            }
        }
        for p in &patterns {
            for s in &strings {
                assert_eq!(
                    fnmatch(p, s),
                    libc_fnmatch(p, s),
                    "pattern {:?} string {:?}",
                    String::from_utf8_lossy(p),
                    String::from_utf8_lossy(s)
                );
            }
        }
    }

    const PATTERN_ALPHABET: &[u8] = b"*?[]!^-\\:abc./xyz=";
    const STRING_ALPHABET: &[u8] = b"abc./xyz[]-!^\\:*?=";

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(30_000))]

        #[test]
        fn agrees_with_libc(
            pattern in prop::collection::vec(prop::sample::select(PATTERN_ALPHABET), 0..14),
            s in prop::collection::vec(prop::sample::select(STRING_ALPHABET), 0..10),
        ) {
            prop_assert_eq!(fnmatch(&pattern, &s), libc_fnmatch(&pattern, &s),
                "pattern {:?} string {:?}",
                String::from_utf8_lossy(&pattern), String::from_utf8_lossy(&s));
            prop_assert_eq!(fnmatch_no_nul(&pattern, &s), libc_fnmatch(&pattern, &s),
                "fnmatch_no_nul: pattern {:?} string {:?}",
                String::from_utf8_lossy(&pattern), String::from_utf8_lossy(&s));
        }

        /// Patterns built from bracket pieces, so that classes, equivalence classes,
        /// collating symbols and ranges appear far more often than by chance.
        #[test]
        fn bracket_pieces_agree_with_libc(
            pieces in prop::collection::vec(prop::sample::select(vec![
                "[", "]", "[!", "[^", "[:alpha:]", "[:digit:]", "[:punct:]", "[:bogus:]",
                "[:", ":]", "[=a=]", "[=", "=]", "[.a.]", "[.-.]", "[.ab.]", "[.", ".]",
                "-", "a-c", "\\", "\\]", "*", "?", "a", "b", "1", ".", "/", "]-",
            ]), 0..7),
            s in prop::collection::vec(prop::sample::select(b"ab1.-/]![:=\\".as_slice()), 0..5),
        ) {
            let pattern: Vec<u8> = pieces.concat().into_bytes();
            prop_assert_eq!(fnmatch(&pattern, &s), libc_fnmatch(&pattern, &s),
                "pattern {:?} string {:?}",
                String::from_utf8_lossy(&pattern), String::from_utf8_lossy(&s));
        }
    }
}
