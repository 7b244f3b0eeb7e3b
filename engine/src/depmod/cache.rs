//! The no-change cache: what the last run read, so the next one can skip work.
//!
//! Kept in `<module dir>/modules.rkmod.cache` (Debian's kernel `postrm` removes it with
//! the other `modules.*` files), for the live tree only unless asked (see
//! [`super::Options::cache`]). It records:
//!
//! - a digest of the *inputs key*: rkmod's version, the options, the depmod.d files read
//!   (names and contents), and the stat key of every other input file (`modules.order`,
//!   `modules.builtin`, `modules.builtin.modinfo`, `-E`/`-F` files);
//! - per module file: its path relative to the module directory (external modules keep
//!   the absolute path depmod.d gave) and its stat key (device, inode, size, mtime and
//!   ctime, both to the nanosecond), and what depmod read from the modules it used;
//! - the stat keys of the files the run wrote, and the messages it printed, with the
//!   module directory replaced by a placeholder.
//!
//! So the file holds no path of where the tree is, and the same inputs give the same
//! bytes. When the inputs key, every module key and every output key are unchanged, the
//! run is skipped and its messages are printed again. Otherwise modules whose key is
//! unchanged are not parsed again. ctime cannot be set from user space and changes with
//! every write, rename or `touch`, so `cp -p`, `touch -r` and files replaced in place
//! (even on a reused inode) are always seen.
//!
//! Layout: a 64-byte header (magic, the two sections' compressed and raw lengths, their
//! checksums, the header's own checksum), then the *check* section (what the no-change
//! test needs) and the *data* section (module data: strings and `(symbol, CRC)` pairs
//! stored once, referred to by number), each zstd-compressed. Every byte is covered by a
//! checksum (64-bit FNV-1a) that is verified before anything is used: a damaged cache
//! is ignored, never trusted.

use std::os::unix::fs::MetadataExt;
use std::path::Path;

use rustc_hash::FxHashMap;

use super::parse::ModData;
use super::scan::Candidate;
use super::Level;
use crate::module::SymList;

/// The cache file's name in the output directory.
pub const FILE: &str = "modules.rkmod.cache";
const MAGIC: &[u8; 8] = b"rkmodc2\n";
const HEADER: usize = 64;
/// zstd level: the fastest; strings and symbols are already stored once.
const LEVEL: i32 = 1;
/// No section of a sound cache decompresses to more (a guard on the recorded sizes).
const MAX_RAW: u64 = 1 << 30;
/// Stands for the module directory in stored messages (no path holds a NUL).
const DIR_MARK: &str = "\0";

/// What identifies a file's contents without reading it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Key {
    /// `st_dev`.
    pub dev: u64,
    /// `st_ino`.
    pub ino: u64,
    /// `st_size`, in bytes.
    pub size: u64,
    /// `st_mtime`: seconds and nanoseconds.
    pub mtime: (i64, i64),
    /// `st_ctime`: seconds and nanoseconds (user space cannot set it).
    pub ctime: (i64, i64),
}

impl Key {
    /// The key of `path` (following symlinks); None when it cannot be stat'ed.
    pub fn of(path: &Path) -> Option<Key> {
        let m = std::fs::metadata(path).ok()?;
        Some(Key {
            dev: m.dev(),
            ino: m.ino(),
            size: m.size(),
            mtime: (m.mtime(), m.mtime_nsec()),
            ctime: (m.ctime(), m.ctime_nsec()),
        })
    }
}

/// 64-bit FNV-1a: every single-byte change changes it.
fn checksum(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3))
}

/// The inputs key (kept only as its digest).
pub fn inputs_key(
    opts_text: &str,
    config: &[(std::path::PathBuf, String)],
    files: &[(&str, Option<Key>)],
) -> u64 {
    let mut e = Enc::default();
    e.str(env!("CARGO_PKG_VERSION"));
    e.str(opts_text);
    e.num(config.len() as u64);
    for (p, text) in config {
        e.str(&p.to_string_lossy());
        e.str(text);
    }
    e.num(files.len() as u64);
    for (name, key) in files {
        e.str(name);
        e.key(&key.unwrap_or_default());
    }
    checksum(&e.0)
}

/// How the cache names a module file: its path relative to the module directory, or
/// the absolute path of a module in an `external` directory.
pub fn stored_path(c: &Candidate) -> String {
    c.relpath.clone().unwrap_or_else(|| c.path.to_string_lossy().into_owned())
}

/// A cache file as found.
pub enum Loaded {
    /// No cache file.
    Absent,
    /// A file that is not a sound cache of this rkmod: why.
    Unusable(String),
    /// A sound cache, checksums verified.
    Usable(Cache),
}

/// The last run, as recorded. The data section is kept compressed (checked) until
/// [`Cache::module_data`] is asked for it.
#[derive(Debug, Default)]
pub struct Cache {
    /// The digest of the inputs key ([`inputs_key`]).
    pub inputs: u64,
    /// Every file the run wrote (name in the output directory) with its key after the
    /// write.
    pub outputs: Vec<(String, Key)>,
    /// Every module file the scan found ([`stored_path`]), with its key.
    pub files: Vec<(String, Key)>,
    /// The messages the run printed, in order (the module directory as a placeholder,
    /// restored on reading).
    pub messages: Vec<(Level, String)>,
    /// The run's `-v` lines.
    pub verbose: Vec<String>,
    data: Vec<u8>,
    data_raw: usize,
}

/// What a run records.
pub struct Record<'a> {
    /// As [`Cache::inputs`].
    pub inputs: u64,
    /// As [`Cache::outputs`].
    pub outputs: Vec<(String, Key)>,
    /// As [`Cache::files`].
    pub files: &'a [(String, Key)],
    /// As [`Cache::messages`], with the real module directory in them.
    pub messages: &'a [(Level, String)],
    /// As [`Cache::verbose`].
    pub verbose: &'a [String],
    /// The data section, from [`encode_modules`]: (compressed, raw length).
    pub data: (Vec<u8>, usize),
}

/// Encode and compress the data section: what each module that went into the indexes
/// held, with `file` its index in the record's file list. Separate from [`Record`] so
/// it can be built while the indexes are.
pub fn encode_modules<'a>(modules: impl Iterator<Item = (usize, &'a ModData)>) -> (Vec<u8>, usize) {
    let mut strings = Interner::default();
    let mut syms: FxHashMap<(&'a str, u64), u32> = FxHashMap::default();
    let mut sym_list: Vec<(u32, u64)> = Vec::new();
    let mut sym = |strings: &mut Interner<'a>, name: &'a str, crc: u64| -> u32 {
        let next = sym_list.len() as u32;
        *syms.entry((name, crc)).or_insert_with(|| {
            sym_list.push((strings.id(name), crc));
            next
        })
    };
    let mut body = Enc::default();
    let mut count = 0u64;
    for (file, m) in modules {
        // Every field by name: a field added to ModData does not compile here until the
        // cache stores it (and `module_data` reads it back).
        let ModData { aliases, softdeps, weakdeps, exports, needs, error, non_ascii } = m;
        count += 1;
        body.num(file as u64);
        body.num(u64::from(error.is_some()) | u64::from(non_ascii.is_some()) << 1);
        for list in [aliases, softdeps, weakdeps] {
            body.num(list.len() as u64);
            for s in list {
                body.num(u64::from(strings.id(s)));
            }
        }
        body.num(exports.len() as u64);
        for (name, crc, _) in exports.iter() {
            body.num(u64::from(sym(&mut strings, name, crc)));
        }
        body.num(needs.len() as u64);
        for (name, crc, weak) in needs.iter() {
            body.num(u64::from(sym(&mut strings, name, crc)) << 1 | u64::from(weak));
        }
        if let Some(err) = error {
            body.num(u64::from(strings.id(err)));
        }
        if let Some((b, s)) = non_ascii {
            body.num(u64::from(*b));
            body.num(u64::from(strings.id(s)));
        }
    }
    let mut e = Enc::default();
    e.num(strings.list.len() as u64);
    for s in &strings.list {
        e.str(s);
    }
    e.num(sym_list.len() as u64);
    for (name, crc) in &sym_list {
        e.num(u64::from(*name));
        e.num(*crc);
    }
    e.num(count);
    e.0.extend_from_slice(&body.0);
    (compress(&e.0), e.0.len())
}

fn compress(raw: &[u8]) -> Vec<u8> {
    zstd::bulk::compress(raw, LEVEL).unwrap_or_default()
}

/// Strings numbered in order of first use.
#[derive(Default)]
struct Interner<'a> {
    ids: FxHashMap<&'a str, u32>,
    list: Vec<&'a str>,
}

impl<'a> Interner<'a> {
    fn id(&mut self, s: &'a str) -> u32 {
        let next = self.list.len() as u32;
        *self.ids.entry(s).or_insert_with(|| {
            self.list.push(s);
            next
        })
    }
}

impl Record<'_> {
    /// The cache file's bytes; `module_dir` is replaced by a placeholder in messages.
    pub fn encode(&self, module_dir: &str) -> Vec<u8> {
        let mut e = Enc::default();
        e.0.extend_from_slice(&self.inputs.to_le_bytes());
        for list in [&self.outputs[..], self.files] {
            e.num(list.len() as u64);
            for (name, key) in list {
                e.str(name);
                e.key(key);
            }
        }
        e.num(self.messages.len() as u64);
        for (level, msg) in self.messages {
            e.num(match level {
                Level::Fatal => 0,
                Level::Error => 1,
                Level::Warning => 2,
                Level::Info => 3,
            });
            e.str(&msg.replace(module_dir, DIR_MARK));
        }
        e.num(self.verbose.len() as u64);
        for line in self.verbose {
            e.str(&line.replace(module_dir, DIR_MARK));
        }
        let check = compress(&e.0);
        let (data, data_raw) = &self.data;
        let mut out = Vec::with_capacity(HEADER + check.len() + data.len());
        out.extend_from_slice(MAGIC);
        for v in [check.len(), e.0.len(), data.len(), *data_raw] {
            out.extend_from_slice(&(v as u64).to_le_bytes());
        }
        out.extend_from_slice(&checksum(&check).to_le_bytes());
        out.extend_from_slice(&checksum(data).to_le_bytes());
        out.extend_from_slice(&checksum(&out).to_le_bytes());
        out.extend_from_slice(&check);
        out.extend_from_slice(data);
        out
    }
}

/// The header's fields, verified: (check, check raw, data, data raw) lengths.
fn verify(bytes: &[u8]) -> Result<[usize; 4], String> {
    if bytes.len() < HEADER || &bytes[..8] != MAGIC {
        return Err("not a cache of this rkmod version".into());
    }
    let word = |i: usize| u64::from_le_bytes(bytes[8 * i..8 * i + 8].try_into().unwrap_or_default());
    if checksum(&bytes[..HEADER - 8]) != word(7) {
        return Err("its header does not match its checksum".into());
    }
    let lens = [word(1), word(2), word(3), word(4)];
    if lens[1] > MAX_RAW
        || lens[3] > MAX_RAW
        || lens[0].checked_add(lens[2]) != Some((bytes.len() - HEADER) as u64)
    {
        return Err("its size does not match its header".into());
    }
    let lens = lens.map(|l| l as usize);
    let (check, data) = bytes[HEADER..].split_at(lens[0]);
    if checksum(check) != word(5) || checksum(data) != word(6) {
        return Err("its contents do not match their checksum".into());
    }
    Ok(lens)
}

impl Cache {
    /// Read and verify a cache file; `module_dir` goes back where the placeholder is.
    pub fn load(path: &Path, module_dir: &str) -> Loaded {
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Loaded::Absent,
            Err(e) => return Loaded::Unusable(format!("unreadable: {e}")),
        };
        match Cache::decode(bytes, module_dir) {
            Ok(c) => Loaded::Usable(c),
            Err(why) => Loaded::Unusable(why),
        }
    }

    fn decode(mut bytes: Vec<u8>, module_dir: &str) -> Result<Cache, String> {
        let [check_len, check_raw, _, data_raw] = verify(&bytes)?;
        let damaged = || "its contents do not decode".to_string();
        let raw =
            zstd::bulk::decompress(&bytes[HEADER..HEADER + check_len], check_raw).map_err(|_| damaged())?;
        let mut d = Dec { data: &raw, at: 0 };
        let mut c = Cache {
            inputs: u64::from_le_bytes(d.take(8).ok_or_else(damaged)?.try_into().map_err(|_| damaged())?),
            ..Default::default()
        };
        let mut pairs = || -> Option<Vec<(String, Key)>> {
            (0..d.count()?).map(|_| Some((d.string()?, d.key()?))).collect()
        };
        c.outputs = pairs().ok_or_else(damaged)?;
        c.files = pairs().ok_or_else(damaged)?;
        let restore = |s: String| s.replace(DIR_MARK, module_dir);
        let messages = (0..d.count().ok_or_else(damaged)?)
            .map(|_| {
                let level = match d.num()? {
                    0 => Level::Fatal,
                    1 => Level::Error,
                    2 => Level::Warning,
                    _ => Level::Info,
                };
                Some((level, restore(d.string()?)))
            })
            .collect::<Option<Vec<_>>>();
        c.messages = messages.ok_or_else(damaged)?;
        c.verbose = (0..d.count().ok_or_else(damaged)?)
            .map(|_| d.string().map(restore))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(damaged)?;
        if d.at != raw.len() {
            return Err(damaged());
        }
        bytes.drain(..HEADER + check_len);
        c.data = bytes;
        c.data_raw = data_raw;
        Ok(c)
    }

    /// What each recorded module held: `(stored path, key, data)`.
    pub fn module_data(&self) -> Result<Vec<(String, Key, ModData)>, String> {
        let damaged = || "its module data do not decode".to_string();
        let raw = zstd::bulk::decompress(&self.data, self.data_raw).map_err(|_| damaged())?;
        let mut d = Dec { data: &raw, at: 0 };
        let strings: Vec<String> = (0..d.count().ok_or_else(damaged)?)
            .map(|_| d.string())
            .collect::<Option<_>>()
            .ok_or_else(damaged)?;
        let syms: Vec<(usize, u64)> = (0..d.count().ok_or_else(damaged)?)
            .map(|_| Some((d.index(strings.len())?, d.num()?)))
            .collect::<Option<_>>()
            .ok_or_else(damaged)?;
        let out = (0..d.count().ok_or_else(damaged)?)
            .map(|_| {
                let (path, key) = self.files.get(d.index(self.files.len())?)?.clone();
                let flags = d.num()?;
                let mut list = || -> Option<Vec<String>> {
                    (0..d.count()?).map(|_| Some(strings[d.index(strings.len())?].clone())).collect()
                };
                let (aliases, softdeps, weakdeps) = (list()?, list()?, list()?);
                let mut exports = SymList::default();
                for _ in 0..d.count()? {
                    let (name, crc) = syms[d.index(syms.len())?];
                    exports.push(&strings[name], crc, false);
                }
                let mut needs = SymList::default();
                for _ in 0..d.count()? {
                    let v = d.num()?;
                    let (name, crc) = *syms.get(usize::try_from(v >> 1).ok()?)?;
                    needs.push(&strings[name], crc, v & 1 == 1);
                }
                let error =
                    if flags & 1 != 0 { Some(strings[d.index(strings.len())?].clone()) } else { None };
                let non_ascii = if flags & 2 != 0 {
                    let b = u8::try_from(d.num()?).ok()?;
                    Some((b, strings[d.index(strings.len())?].clone()))
                } else {
                    None
                };
                // Every field by name, as in `encode_modules`.
                let m = ModData { aliases, softdeps, weakdeps, exports, needs, error, non_ascii };
                Some((path, key, m))
            })
            .collect::<Option<Vec<_>>>()
            .ok_or_else(damaged)?;
        if d.at != raw.len() {
            return Err(damaged());
        }
        Ok(out)
    }
}

/// The cache's two sections, verified and decompressed, one after the other (for tests
/// that look inside); None when the file is not a sound cache.
pub fn dump(path: &Path) -> Option<Vec<u8>> {
    let bytes = std::fs::read(path).ok()?;
    let [check_len, check_raw, _, data_raw] = verify(&bytes).ok()?;
    let mut out = zstd::bulk::decompress(&bytes[HEADER..HEADER + check_len], check_raw).ok()?;
    out.extend(zstd::bulk::decompress(&bytes[HEADER + check_len..], data_raw).ok()?);
    Some(out)
}

#[derive(Default)]
struct Enc(Vec<u8>);

impl Enc {
    /// LEB128.
    fn num(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.0.push(v as u8 | 0x80);
            v >>= 7;
        }
        self.0.push(v as u8);
    }
    fn str(&mut self, s: &str) {
        self.num(s.len() as u64);
        self.0.extend_from_slice(s.as_bytes());
    }
    fn key(&mut self, k: &Key) {
        for v in
            [k.dev, k.ino, k.size, k.mtime.0 as u64, k.mtime.1 as u64, k.ctime.0 as u64, k.ctime.1 as u64]
        {
            self.num(v);
        }
    }
}

/// A bounds-checked reader; every method returns None on truncated or bad input.
struct Dec<'a> {
    data: &'a [u8],
    at: usize,
}

impl<'a> Dec<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let s = self.data.get(self.at..self.at.checked_add(n)?)?;
        self.at += n;
        Some(s)
    }
    fn num(&mut self) -> Option<u64> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = *self.take(1)?.first()?;
            v |= u64::from(b & 0x7F) << shift;
            if b & 0x80 == 0 {
                return Some(v);
            }
        }
        None
    }
    /// A count no larger than the bytes left could hold (so garbage cannot make us
    /// allocate without bound).
    fn count(&mut self) -> Option<usize> {
        let n = usize::try_from(self.num()?).ok()?;
        (n <= self.data.len() - self.at).then_some(n)
    }
    /// A number below `len`.
    fn index(&mut self, len: usize) -> Option<usize> {
        usize::try_from(self.num()?).ok().filter(|&i| i < len)
    }
    fn string(&mut self) -> Option<String> {
        let n = self.count()?;
        String::from_utf8(self.take(n)?.to_vec()).ok()
    }
    fn key(&mut self) -> Option<Key> {
        Some(Key {
            dev: self.num()?,
            ino: self.num()?,
            size: self.num()?,
            mtime: (self.num()? as i64, self.num()? as i64),
            ctime: (self.num()? as i64, self.num()? as i64),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(items: &[(&str, u64, bool)]) -> crate::module::SymList {
        let mut l = crate::module::SymList::default();
        for (n, c, w) in items {
            l.push(n, *c, *w);
        }
        l
    }

    fn data() -> ModData {
        ModData {
            aliases: vec!["pci:v*d*".into()],
            softdeps: vec!["pre: a".into()],
            weakdeps: vec![],
            exports: list(&[("sym", 0xDEAD, false)]),
            needs: list(&[("other", 7, true), ("sym", 0xDEAD, false)]),
            error: Some("Invalid argument".into()),
            non_ascii: Some((0xE9, "x\u{e9}".into())),
        }
    }

    fn sample(d: &ModData) -> Vec<u8> {
        let key = Key { dev: 1, ino: 2, size: 3, mtime: (4, 5), ctime: (-6, 7) };
        Record {
            inputs: 42,
            outputs: vec![("modules.dep".into(), key)],
            files: &[("a.ko".into(), key)],
            messages: &[(Level::Warning, "could not open /m/dir/x".into())],
            verbose: &["v".into()],
            data: encode_modules([(0, d)].into_iter()),
        }
        .encode("/m/dir")
    }

    #[test]
    fn round_trip() {
        let d = data();
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join(FILE);
        let bytes = sample(&d);
        assert!(!bytes.windows(6).any(|w| w == b"/m/dir"));
        std::fs::write(&p, &bytes).unwrap();
        let Loaded::Usable(back) = Cache::load(&p, "/other/dir") else { panic!("unusable") };
        assert_eq!(back.inputs, 42);
        assert_eq!(back.files[0].0, "a.ko");
        assert_eq!(back.messages, vec![(Level::Warning, "could not open /other/dir/x".to_string())]);
        let mods = back.module_data().unwrap();
        assert_eq!(mods[0].2.exports.iter().collect::<Vec<_>>(), vec![("sym", 0xDEAD, false)]);
        assert_eq!(
            mods[0].2.needs.iter().collect::<Vec<_>>(),
            vec![("other", 7, true), ("sym", 0xDEAD, false)]
        );
        assert_eq!(mods[0].2.non_ascii, d.non_ascii);
        assert_eq!(mods[0].2.error, d.error);
        assert_eq!(mods[0].1.ctime, (-6, 7));
        assert_eq!(sample(&d), bytes, "the same inputs give the same bytes");
    }

    #[test]
    fn every_damage_is_detected() {
        let bytes = sample(&data());
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join(FILE);
        for at in 0..bytes.len() {
            for change in [0x01, 0x80, 0xFF] {
                let mut b = bytes.clone();
                b[at] ^= change;
                std::fs::write(&p, &b).unwrap();
                assert!(matches!(Cache::load(&p, "/d"), Loaded::Unusable(_)), "byte {at} ^ {change:#x}");
            }
        }
        for cut in 0..bytes.len() {
            std::fs::write(&p, &bytes[..cut]).unwrap();
            assert!(matches!(Cache::load(&p, "/d"), Loaded::Unusable(_)), "cut at {cut}");
        }
    }
}
