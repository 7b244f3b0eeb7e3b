//! The no-change cache: what the last run read, so the next one can skip work.
//!
//! Kept in `<module dir>/modules.rkmod.cache`, where Debian's kernel `postrm` removes it
//! with the other `modules.*` files. It records:
//!
//! - the *inputs key*: rkmod's version, the options, the depmod.d files read (names and
//!   contents), and the stat key of every other input file (`modules.order`,
//!   `modules.builtin`, `modules.builtin.modinfo`, `-E`/`-F` files);
//! - per module file: its path and stat key (device, inode, size, mtime and ctime, both
//!   to the nanosecond) and what depmod read from it;
//! - the stat keys of the files the run wrote, and the messages it printed.
//!
//! When the inputs key, every module key and every output key are unchanged, the run is
//! skipped and its messages are printed again. Otherwise modules whose key is unchanged
//! are not parsed again. ctime cannot be set from user space and changes with every
//! write, rename or `touch`, so `cp -p`, `touch -r` and files replaced in place (even on
//! a reused inode) are always seen. An unreadable or foreign cache is ignored.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use super::parse::ModData;
use super::Level;

/// The cache file's name in the output directory.
pub const FILE: &str = "modules.rkmod.cache";
const MAGIC: &[u8] = b"rkmod depmod cache 1\n";

/// What identifies a file's contents without reading it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Key {
    pub dev: u64,
    pub ino: u64,
    pub size: u64,
    pub mtime: (i64, i64),
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

/// Serialise the inputs key.
pub fn inputs_key(opts_text: &str, config: &[(PathBuf, String)], files: &[(&str, Option<Key>)]) -> Vec<u8> {
    let mut e = Enc::default();
    e.str(env!("CARGO_PKG_VERSION"));
    e.str(opts_text);
    e.u64(config.len() as u64);
    for (p, text) in config {
        e.str(&p.to_string_lossy());
        e.str(text);
    }
    e.u64(files.len() as u64);
    for (name, key) in files {
        e.str(name);
        e.key(&key.unwrap_or_default());
    }
    e.0
}

/// The last run, as recorded. Only the check section is decoded on load; what the
/// modules held is decoded on demand ([`Cache::module_data`]).
#[derive(Debug, Default, Clone)]
pub struct Cache {
    pub inputs: Vec<u8>,
    pub outputs: Vec<(String, Key)>,
    /// Every module file the scan found, with its key.
    pub files: Vec<(PathBuf, Key)>,
    pub messages: Vec<(Level, String)>,
    pub verbose: Vec<String>,
    /// Where the module-data section is: the cache file and its offset there.
    data_at: Option<(PathBuf, u64)>,
}

/// What a run records: the check section plus the data of the modules it used.
pub struct Record<'a> {
    pub inputs: Vec<u8>,
    pub outputs: Vec<(String, Key)>,
    pub files: Vec<(PathBuf, Key)>,
    pub messages: &'a [(Level, String)],
    pub verbose: &'a [String],
    /// The module-data section, from [`encode_modules`].
    pub data: Vec<u8>,
}

/// Encode the module-data section: `(path, key, data)` of every module that went into
/// the indexes. Separate from [`Record`] so it can be built while the indexes are.
pub fn encode_modules<'a>(modules: impl ExactSizeIterator<Item = (&'a Path, Key, &'a ModData)>) -> Vec<u8> {
    let mut e = Enc::default();
    e.u64(modules.len() as u64);
    for (path, key, data) in modules {
        e.str(&path.to_string_lossy());
        e.key(&key);
        e.moddata(data);
    }
    e.0
}

impl Record<'_> {
    /// The cache file's bytes: magic, the check section's length, the check section,
    /// then the module data (read only when a run is not skipped).
    pub fn encode(&self) -> Vec<u8> {
        let check = self.check();
        let mut e = Enc(MAGIC.to_vec());
        e.bytes(&check);
        e.0.extend_from_slice(&self.data);
        e.0
    }

    /// Where the check section starts in [`Record::encode`]'s bytes. Its length depends
    /// on the output names and not on their keys, so a file written with placeholder
    /// keys can have the real ones written over them ([`Record::check`]).
    pub const CHECK_AT: u64 = MAGIC.len() as u64 + 8;

    /// The check section.
    pub fn check(&self) -> Vec<u8> {
        let mut e = Enc::default();
        e.bytes(&self.inputs);
        e.u64(self.outputs.len() as u64);
        for (name, key) in &self.outputs {
            e.str(name);
            e.key(key);
        }
        e.u64(self.files.len() as u64);
        for (path, key) in &self.files {
            e.str(&path.to_string_lossy());
            e.key(key);
        }
        e.u64(self.messages.len() as u64);
        for (level, msg) in self.messages {
            e.u64(match level {
                Level::Fatal => 0,
                Level::Error => 1,
                Level::Warning => 2,
                Level::Info => 3,
            });
            e.str(msg);
        }
        e.strs(self.verbose);
        e.0
    }
}

impl Cache {
    /// Read a cache file's check section; None when absent, foreign or damaged.
    pub fn load(path: &Path) -> Option<Cache> {
        use std::io::Read;
        let mut file = std::fs::File::open(path).ok()?;
        let mut head = vec![0u8; MAGIC.len() + 8];
        file.read_exact(&mut head).ok()?;
        if !head.starts_with(MAGIC) {
            return None;
        }
        let len = u64::from_le_bytes(head[MAGIC.len()..].try_into().ok()?);
        if len > file.metadata().ok()?.len() {
            return None;
        }
        let mut check = vec![0u8; usize::try_from(len).ok()?];
        file.read_exact(&mut check).ok()?;
        let mut d = Dec { data: &check, at: 0 };
        let mut c = Cache { inputs: d.bytes()?.to_vec(), ..Default::default() };
        for _ in 0..d.count()? {
            c.outputs.push((d.string()?, d.key()?));
        }
        for _ in 0..d.count()? {
            c.files.push((PathBuf::from(d.string()?), d.key()?));
        }
        for _ in 0..d.count()? {
            let level = match d.u64()? {
                0 => Level::Fatal,
                1 => Level::Error,
                2 => Level::Warning,
                _ => Level::Info,
            };
            c.messages.push((level, d.string()?));
        }
        c.verbose = d.strs()?;
        if d.at != check.len() {
            return None;
        }
        c.data_at = Some((path.to_path_buf(), head.len() as u64 + len));
        Some(c)
    }

    /// Decode the module-data section: `(path, key, data)` per module; None if damaged.
    pub fn module_data(&self) -> Option<Vec<(PathBuf, Key, ModData)>> {
        use std::io::{Read, Seek};
        let (path, at) = self.data_at.as_ref()?;
        let mut file = std::fs::File::open(path).ok()?;
        file.seek(std::io::SeekFrom::Start(*at)).ok()?;
        let mut data = Vec::new();
        file.read_to_end(&mut data).ok()?;
        let mut d = Dec { data: &data, at: 0 };
        let out = (0..d.count()?)
            .map(|_| Some((PathBuf::from(d.string()?), d.key()?, d.moddata()?)))
            .collect::<Option<Vec<_>>>()?;
        (d.at == d.data.len()).then_some(out)
    }
}

#[derive(Default)]
struct Enc(Vec<u8>);

impl Enc {
    fn u64(&mut self, v: u64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn bytes(&mut self, b: &[u8]) {
        self.u64(b.len() as u64);
        self.0.extend_from_slice(b);
    }
    fn str(&mut self, s: &str) {
        self.bytes(s.as_bytes());
    }
    fn key(&mut self, k: &Key) {
        for v in
            [k.dev, k.ino, k.size, k.mtime.0 as u64, k.mtime.1 as u64, k.ctime.0 as u64, k.ctime.1 as u64]
        {
            self.u64(v);
        }
    }
    fn strs(&mut self, v: &[String]) {
        self.u64(v.len() as u64);
        for s in v {
            self.str(s);
        }
    }
    fn moddata(&mut self, m: &ModData) {
        self.strs(&m.aliases);
        self.strs(&m.softdeps);
        self.strs(&m.weakdeps);
        self.u64(m.exports.len() as u64);
        for (name, crc, _) in m.exports.iter() {
            self.str(name);
            self.u64(crc);
        }
        self.u64(m.needs.len() as u64);
        for (name, crc, weak) in m.needs.iter() {
            self.str(name);
            self.u64(crc);
            self.u64(u64::from(weak));
        }
        self.str(m.error.as_deref().unwrap_or(""));
        self.u64(u64::from(m.error.is_some()));
        match &m.non_ascii {
            Some((b, s)) => {
                self.u64(u64::from(*b) + 1);
                self.str(s);
            }
            None => self.u64(0),
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
    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }
    /// A count no larger than the bytes left could hold (so garbage cannot make us
    /// allocate without bound).
    fn count(&mut self) -> Option<usize> {
        let n = usize::try_from(self.u64()?).ok()?;
        (n <= self.data.len() - self.at).then_some(n)
    }
    fn bytes(&mut self) -> Option<&'a [u8]> {
        let n = self.count()?;
        self.take(n)
    }
    fn string(&mut self) -> Option<String> {
        String::from_utf8(self.bytes()?.to_vec()).ok()
    }
    fn key(&mut self) -> Option<Key> {
        Some(Key {
            dev: self.u64()?,
            ino: self.u64()?,
            size: self.u64()?,
            mtime: (self.u64()? as i64, self.u64()? as i64),
            ctime: (self.u64()? as i64, self.u64()? as i64),
        })
    }
    fn strs(&mut self) -> Option<Vec<String>> {
        (0..self.count()?).map(|_| self.string()).collect()
    }
    fn moddata(&mut self) -> Option<ModData> {
        let mut m = ModData {
            aliases: self.strs()?,
            softdeps: self.strs()?,
            weakdeps: self.strs()?,
            ..Default::default()
        };
        for _ in 0..self.count()? {
            let (name, crc) = (self.string()?, self.u64()?);
            m.exports.push(&name, crc, false);
        }
        for _ in 0..self.count()? {
            let (name, crc, weak) = (self.string()?, self.u64()?, self.u64()? != 0);
            m.needs.push(&name, crc, weak);
        }
        let error = self.string()?;
        m.error = (self.u64()? != 0).then_some(error);
        m.non_ascii = match self.u64()? {
            0 => None,
            b => Some((u8::try_from(b - 1).ok()?, self.string()?)),
        };
        Some(m)
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
            needs: list(&[("other", 7, true)]),
            error: None,
            non_ascii: Some((0xE9, "x\u{e9}".into())),
        }
    }

    fn sample(d: &ModData) -> Vec<u8> {
        let key = Key { dev: 1, ino: 2, size: 3, mtime: (4, 5), ctime: (6, 7) };
        Record {
            inputs: b"inputs".to_vec(),
            outputs: vec![("modules.dep".into(), key)],
            files: vec![(PathBuf::from("/x/a.ko"), key)],
            messages: &[(Level::Warning, "w".into())],
            verbose: &["v".into()],
            data: encode_modules([(Path::new("/x/a.ko"), key, d)].into_iter()),
        }
        .encode()
    }

    #[test]
    fn round_trip() {
        let d = data();
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join(FILE);
        std::fs::write(&p, sample(&d)).unwrap();
        let back = Cache::load(&p).unwrap();
        assert_eq!(back.inputs, b"inputs");
        assert_eq!(back.files[0].0, PathBuf::from("/x/a.ko"));
        assert_eq!(back.messages, vec![(Level::Warning, "w".to_string())]);
        let mods = back.module_data().unwrap();
        assert_eq!(mods[0].2.exports.iter().collect::<Vec<_>>(), vec![("sym", 0xDEAD, false)]);
        assert_eq!(mods[0].2.non_ascii, d.non_ascii);
    }

    #[test]
    fn damaged_caches_are_ignored() {
        let bytes = sample(&data());
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join(FILE);
        for cut in 0..bytes.len() {
            std::fs::write(&p, &bytes[..cut]).unwrap();
            let usable = Cache::load(&p).and_then(|c| c.module_data());
            assert!(usable.is_none(), "truncated at {cut}");
        }
        let mut huge = bytes.clone();
        huge[MAGIC.len()..MAGIC.len() + 8].copy_from_slice(&u64::MAX.to_le_bytes());
        std::fs::write(&p, huge).unwrap();
        assert!(Cache::load(&p).is_none());
        let mut count = bytes.clone();
        let at = MAGIC.len() + 8 + 8 + 6; // the outputs count, after the inputs blob
        count[at..at + 8].copy_from_slice(&u64::MAX.to_le_bytes());
        std::fs::write(&p, count).unwrap();
        assert!(Cache::load(&p).is_none());
    }
}
