//! Opening a module file: compression detected by magic bytes, decompressed in memory.
//!
//! Mirrors libkmod's `kmod_file_open` (libkmod-file*.c): the first six bytes decide the
//! format, never the file name: zstd `28 B5 2F FD`, xz `FD 37 7A 58 5A 00`, gzip
//! `1F 8B`, anything else is taken as a raw ELF image and mapped. A file shorter than
//! six bytes is refused with EINVAL, as kmod does; a stream that does not decode is
//! EINVAL too (kmod: "xz: File is corrupt" and friends).
//!
//! Unlike kmod, a module may decompress to at most [`MAX_DECOMPRESSED`] bytes (EFBIG,
//! with the limit in the message, as soon as the limit is passed), and bulk readers
//! (depmod) hold their images within a shared [`budget`](super::budget). gzip is read
//! as zlib's `gzread` reads it (kmod 34): bytes after the last member are ignored, and
//! a member cut short (no 8-byte trailer) yields what it decoded.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use crate::error::{Error, Result};

/// How a module file is compressed, as told by its first bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize), serde(rename_all = "lowercase"))]
#[non_exhaustive]
pub enum Compression {
    /// A plain ELF file (`.ko`).
    None,
    /// xz (`.ko.xz`, magic `FD 37 7A 58 5A 00`).
    Xz,
    /// zstd (`.ko.zst`, magic `28 B5 2F FD`).
    Zstd,
    /// gzip (`.ko.gz`, magic `1F 8B`).
    Gzip,
}

/// Everything rkmod knows about one compression format, in one place: the magic bytes
/// that identify a file, the module file name ending, the kernel's name for it (in
/// `/sys/module/compression`), and the tag `--version` lists. Adding a format is a row
/// here plus its decoder ([`decompress`]).
#[derive(Debug)]
pub struct Format {
    /// The format.
    pub kind: Compression,
    /// The first bytes of a file in this format.
    pub magic: &'static [u8],
    /// The module file name ending (`.ko.xz`).
    pub extension: &'static str,
    /// The name in `/sys/module/compression` (`xz`).
    pub kernel_name: &'static str,
    /// The `--version` feature tag (`XZ`).
    pub feature: &'static str,
}

/// The compression formats, in the order their magic is tried.
pub const FORMATS: [Format; 3] = [
    Format {
        kind: Compression::Zstd,
        magic: &[0x28, 0xB5, 0x2F, 0xFD],
        extension: ".ko.zst",
        kernel_name: "zstd",
        feature: "ZSTD",
    },
    Format {
        kind: Compression::Xz,
        magic: &[0xFD, b'7', b'z', b'X', b'Z', 0x00],
        extension: ".ko.xz",
        kernel_name: "xz",
        feature: "XZ",
    },
    Format {
        kind: Compression::Gzip,
        magic: &[0x1F, 0x8B],
        extension: ".ko.gz",
        kernel_name: "gzip",
        feature: "ZLIB",
    },
];

/// The file name ending of an uncompressed module.
pub const PLAIN_EXTENSION: &str = ".ko";

impl Compression {
    /// Classify by magic bytes (at least 6 bytes should be given).
    pub fn detect(head: &[u8]) -> Compression {
        FORMATS.iter().find(|f| head.starts_with(f.magic)).map_or(Compression::None, |f| f.kind)
    }

    /// The format's row of [`FORMATS`] (None for an uncompressed file).
    pub fn format(self) -> Option<&'static Format> {
        FORMATS.iter().find(|f| f.kind == self)
    }

    /// The name the kernel uses in `/sys/module/compression` (`none` when uncompressed).
    pub fn name(self) -> &'static str {
        self.format().map_or("none", |f| f.kernel_name)
    }

    /// The format the kernel names so (`/sys/module/compression`).
    pub fn from_kernel_name(name: &str) -> Option<Compression> {
        FORMATS.iter().find(|f| f.kernel_name == name).map(|f| f.kind)
    }

    /// The module file name ending for this format (`.ko` when uncompressed).
    pub fn extension(self) -> &'static str {
        self.format().map_or(PLAIN_EXTENSION, |f| f.extension)
    }
}

/// Every file name ending kmod treats as a module: `.ko` and one per format.
pub fn module_extensions() -> impl Iterator<Item = &'static str> {
    std::iter::once(PLAIN_EXTENSION).chain(FORMATS.iter().map(|f| f.extension))
}

/// The bytes of a module image: mapped when raw, decoded into memory when compressed,
/// or (for bulk readers such as depmod) a raw file read section by section.
#[non_exhaustive]
pub enum Image {
    /// An uncompressed file, mapped read-only.
    Mapped(memmap2::Mmap),
    /// A compressed file, decompressed into memory.
    Owned(Vec<u8>),
    /// An uncompressed file left on disk, read section by section. `head` holds the
    /// file's first bytes (read to detect the format), so the ELF header costs no
    /// second read.
    File {
        /// The open file.
        file: File,
        /// Its length in bytes.
        len: u64,
        /// Its first bytes.
        head: Vec<u8>,
    },
}

impl Image {
    /// The whole image, when it is in memory.
    pub fn bytes(&self) -> Option<&[u8]> {
        match self {
            Image::Mapped(m) => Some(m),
            Image::Owned(v) => Some(v),
            Image::File { .. } => None,
        }
    }

    /// Where an ELF reader finds the bytes.
    pub fn source(&self) -> crate::module::elf::Source<'_> {
        match self {
            Image::File { file, len, head } => crate::module::elf::Source::File { file, len: *len, head },
            _ => crate::module::elf::Source::Bytes(self.bytes().unwrap_or_default()),
        }
    }
}

/// An opened module file: its decompressed image and how it was stored.
pub struct ModuleFile {
    /// The decompressed ELF image.
    pub image: Image,
    /// How the file was stored.
    pub compression: Compression,
    /// The image's share of the bulk readers' budget (returned on drop).
    _grant: Option<super::budget::Grant>,
}

/// The most one module may decompress to. No real module is near it (the largest
/// Debian amd64 module is about 29 MiB); a decompression bomb stops here.
pub const MAX_DECOMPRESSED: u64 = 1 << 30;

fn max_decompressed() -> u64 {
    #[cfg(feature = "testing")]
    if let Some(v) = std::env::var("RKMOD_TEST_DECOMPRESS_CAP").ok().and_then(|v| v.parse().ok()) {
        return v;
    }
    MAX_DECOMPRESSED
}

/// `n` bytes in words: "1 GiB", "8 MiB", else bytes.
fn size_text(n: u64) -> String {
    match n {
        n if n >= 1 << 30 && n % (1 << 30) == 0 => format!("{} GiB", n >> 30),
        n if n >= 1 << 20 && n % (1 << 20) == 0 => format!("{} MiB", n >> 20),
        n => format!("{n} bytes"),
    }
}

/// Why a compressed image could not be decoded.
#[derive(Debug)]
#[non_exhaustive]
pub enum DecodeError {
    /// The stream is corrupt: what the decoder said.
    Corrupt(String),
    /// The image passed the cap (in bytes).
    TooLarge(u64),
}

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DecodeError::Corrupt(what) => f.write_str(what),
            DecodeError::TooLarge(cap) => write!(f, "decompressed size over the {} limit", size_text(*cap)),
        }
    }
}

/// Shortest file kmod accepts: it reads six magic bytes first.
const MAGIC_LEN: usize = 6;
/// How much of a file the first read takes: the magic bytes and a whole ELF header.
const HEAD_LEN: usize = 128;

impl ModuleFile {
    /// Open and, if needed, decompress the module file at `path`; a raw file is mapped.
    pub fn open(path: &Path) -> Result<ModuleFile> {
        ModuleFile::open_with(path, true, None)
    }

    /// Like [`ModuleFile::open`], but a raw file is left unmapped and read on demand;
    /// `size` is its length when the caller has already stat'ed it as a regular file.
    pub fn open_unmapped_sized(path: &Path, size: Option<u64>) -> Result<ModuleFile> {
        ModuleFile::open_with(path, false, size)
    }

    fn open_with(path: &Path, map: bool, known_size: Option<u64>) -> Result<ModuleFile> {
        let mut file = File::open(path).map_err(|e| Error::io(path, &e))?;
        let (is_file, len) = match known_size {
            Some(n) => (true, n),
            None => {
                let meta = file.metadata().map_err(|e| Error::io(path, &e))?;
                (meta.is_file(), meta.len())
            }
        };
        let mut head = [0u8; HEAD_LEN];
        let n = read_up_to(&mut file, &mut head).map_err(|e| Error::io(path, &e))?;
        let head = &head[..n];
        if n < MAGIC_LEN {
            return Err(Error::bad_module(path, crate::Errno::EINVAL, "file too short to be a module"));
        }
        let compression = Compression::detect(head);
        let image = match compression {
            Compression::None => {
                if !is_file {
                    return Err(Error::bad_module(path, crate::Errno::EINVAL, "not a regular file"));
                }
                if !map {
                    let image = Image::File { file, len, head: head.to_vec() };
                    return Ok(ModuleFile { image, compression, _grant: None });
                }
                // SAFETY: the map is read-only and private to this process; a file
                // truncated underneath us is the same hazard kmod's mmap has.
                let map = unsafe { memmap2::Mmap::map(&file) }.map_err(|e| Error::io(path, &e))?;
                Image::Mapped(map)
            }
            _ => {
                let mut raw = head.to_vec();
                file.read_to_end(&mut raw).map_err(|e| Error::io(path, &e))?;
                // Bulk readers (unmapped) share the budget; a single reader does not.
                let mut grant = (!map).then(super::budget::Grant::default);
                let image = decompress_within(compression, &raw, grant.as_mut()).map_err(|e| match e {
                    DecodeError::TooLarge(_) => Error::bad_module(path, crate::Errno::EFBIG, e.to_string()),
                    DecodeError::Corrupt(_) => {
                        Error::bad_module(path, crate::Errno::EINVAL, format!("{}: {e}", compression.name()))
                    }
                })?;
                return Ok(ModuleFile { image: Image::Owned(image), compression, _grant: grant });
            }
        };
        Ok(ModuleFile { image, compression, _grant: None })
    }
}

/// Decode a whole compressed image; the error says what the decoder found (or that
/// the image passed [`MAX_DECOMPRESSED`]).
pub fn decompress(kind: Compression, raw: &[u8]) -> std::result::Result<Vec<u8>, String> {
    decompress_within(kind, raw, None).map_err(|e| e.to_string())
}

/// [`decompress`], growing `grant` with the image when given.
fn decompress_within(
    kind: Compression,
    raw: &[u8],
    grant: Option<&mut super::budget::Grant>,
) -> std::result::Result<Vec<u8>, DecodeError> {
    let cap = max_decompressed();
    // Sized from the stream's own record of its length (a hostile header must not make
    // us allocate much up front), else a guess.
    let hint = decoded_size_hint(kind, raw).unwrap_or(raw.len() * 4).min(64 << 20);
    let corrupt = |e: std::io::Error| DecodeError::Corrupt(e.to_string());
    match kind {
        Compression::None => read_capped(raw, hint, cap, grant),
        Compression::Xz => read_capped(liblzma::read::XzDecoder::new_multi_decoder(raw), hint, cap, grant),
        Compression::Gzip => read_capped(GzMembers::new(raw), hint, cap, grant),
        // A stream cut short yields what was decoded so far, as kmod 30's streaming
        // decoder does (the ELF check then rejects it); corrupt data is an error.
        Compression::Zstd => {
            let d = zstd::stream::read::Decoder::with_buffer(raw).map_err(corrupt)?;
            read_capped(EofIsEnd(d), hint, cap, grant)
        }
    }
}

/// Read `r` to its end into a vector that never holds more than `cap` bytes, growing
/// `grant` with the vector's capacity before each growth.
fn read_capped(
    mut r: impl Read,
    hint: usize,
    cap: u64,
    mut grant: Option<&mut super::budget::Grant>,
) -> std::result::Result<Vec<u8>, DecodeError> {
    let cap = usize::try_from(cap).unwrap_or(usize::MAX);
    let mut out: Vec<u8> = Vec::new();
    let mut buf = vec![0u8; 64 << 10];
    let mut want = hint.max(64 << 10).min(cap);
    loop {
        let n = match r.read(&mut buf) {
            Ok(0) => return Ok(out),
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(DecodeError::Corrupt(e.to_string())),
        };
        if out.len() + n > cap {
            return Err(DecodeError::TooLarge(cap as u64));
        }
        if out.len() + n > out.capacity() {
            want = want.max(out.capacity().saturating_mul(2)).max(out.len() + n).min(cap);
            if let Some(g) = grant.as_deref_mut() {
                g.grow(want as u64);
            }
            out.reserve_exact(want - out.len());
        }
        out.extend_from_slice(&buf[..n]);
    }
}

/// A reader whose early end of stream is a plain end (zstd cut short).
struct EofIsEnd<R>(R);

impl<R: Read> Read for EofIsEnd<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self.0.read(buf) {
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => Ok(0),
            r => r,
        }
    }
}

/// gzip members one after another, as zlib's `gzread` reads them: after a member, the
/// next starts only where the gzip magic does (other bytes are ignored), and a member
/// cut short ends the stream with what it decoded. A bad header or checksum is an error.
struct GzMembers<'a> {
    member: Option<flate2::bufread::GzDecoder<&'a [u8]>>,
}

impl<'a> GzMembers<'a> {
    fn new(raw: &'a [u8]) -> GzMembers<'a> {
        GzMembers { member: Some(flate2::bufread::GzDecoder::new(raw)) }
    }
}

impl Read for GzMembers<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while let Some(member) = self.member.as_mut() {
            match member.read(buf) {
                Ok(0) if !buf.is_empty() => {
                    let rest = self.member.take().map(|m| m.into_inner()).unwrap_or_default();
                    if rest.starts_with(&[0x1F, 0x8B]) {
                        self.member = Some(flate2::bufread::GzDecoder::new(rest));
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                    self.member = None;
                }
                r => return r,
            }
        }
        Ok(0)
    }
}

/// The decoded size a stream records: xz's index, zstd's frame header, gzip's ISIZE.
pub fn decoded_size_hint(kind: Compression, raw: &[u8]) -> Option<usize> {
    match kind {
        Compression::Xz => xz_decoded_size(raw),
        Compression::Zstd => zstd::zstd_safe::get_frame_content_size(raw).ok().flatten().map(|n| n as usize),
        Compression::Gzip => {
            raw.len().checked_sub(4).map(|at| u32::from_le_bytes(raw[at..].try_into().unwrap()) as usize)
        }
        Compression::None => Some(raw.len()),
    }
}

/// Sum of the uncompressed sizes in the index of the (last) xz stream.
fn xz_decoded_size(raw: &[u8]) -> Option<usize> {
    // Stream footer: CRC32, backward size, flags, "YZ"; the index precedes it.
    let footer = raw.get(raw.len().checked_sub(12)?..)?;
    if &footer[10..] != b"YZ" {
        return None;
    }
    let backward = (u32::from_le_bytes(footer[4..8].try_into().ok()?) as usize + 1) * 4;
    let index = raw.get(raw.len().checked_sub(12 + backward)?..raw.len() - 12)?;
    let mut at = 1; // indicator byte 0x00
    if index.first() != Some(&0) {
        return None;
    }
    let mut varint = || -> Option<u64> {
        let mut v = 0u64;
        for shift in (0..63).step_by(7) {
            let b = *index.get(at)?;
            at += 1;
            v |= u64::from(b & 0x7F) << shift;
            if b & 0x80 == 0 {
                return Some(v);
            }
        }
        None
    };
    let records = varint()?;
    let mut total = 0u64;
    for _ in 0..records.min(1 << 16) {
        let _unpadded = varint()?;
        total = total.checked_add(varint()?)?;
    }
    usize::try_from(total).ok()
}

/// `read` until `buf` is full or the file ends; returns how much was read.
fn read_up_to(file: &mut File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match file.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_table_gives_every_fact_of_a_format() {
        for f in &FORMATS {
            assert_eq!(Compression::detect(&[f.magic, &[0; 8]].concat()), f.kind);
            assert_eq!(f.kind.name(), f.kernel_name);
            assert_eq!(Compression::from_kernel_name(f.kernel_name), Some(f.kind));
            assert_eq!(f.kind.extension(), f.extension);
            assert!(module_extensions().any(|e| e == f.extension));
        }
        assert_eq!(Compression::None.name(), "none");
        assert_eq!(Compression::from_kernel_name("lz4"), None);
        let mut exts: Vec<_> = module_extensions().collect();
        exts.sort();
        assert_eq!(exts, [".ko", ".ko.gz", ".ko.xz", ".ko.zst"]);
    }

    #[test]
    fn magic_detection() {
        assert_eq!(Compression::detect(&[0x28, 0xB5, 0x2F, 0xFD, 0, 0]), Compression::Zstd);
        assert_eq!(Compression::detect(b"\xFD7zXZ\x00"), Compression::Xz);
        assert_eq!(Compression::detect(b"\x1F\x8B\x08\0\0\0"), Compression::Gzip);
        assert_eq!(Compression::detect(b"\x7FELF\x02\x01"), Compression::None);
        // xz magic needs all six bytes
        assert_eq!(Compression::detect(b"\xFD7zXZ\x01"), Compression::None);
    }

    #[test]
    fn corrupt_streams_are_errors() {
        for kind in [Compression::Xz, Compression::Zstd, Compression::Gzip] {
            let mut data = match kind {
                Compression::Xz => b"\xFD7zXZ\x00".to_vec(),
                Compression::Zstd => vec![0x28, 0xB5, 0x2F, 0xFD],
                _ => vec![0x1F, 0x8B],
            };
            data.extend_from_slice(b"definitely not a valid stream");
            assert!(decompress(kind, &data).is_err(), "{kind:?}");
        }
    }

    #[test]
    fn size_hints_are_exact() {
        let payload = b"\x7FELF payload".repeat(1000);
        let mut xz = Vec::new();
        liblzma::read::XzEncoder::new(&payload[..], 6).read_to_end(&mut xz).unwrap();
        assert_eq!(decoded_size_hint(Compression::Xz, &xz), Some(payload.len()));
        let zst = zstd::bulk::compress(&payload, 3).unwrap(); // records the content size
        assert_eq!(decoded_size_hint(Compression::Zstd, &zst), Some(payload.len()));
        assert_eq!(decoded_size_hint(Compression::Xz, b"short"), None);
        assert_eq!(decoded_size_hint(Compression::Xz, &xz[..xz.len() - 1]), None);
    }

    #[test]
    fn round_trip_each_codec() {
        let payload = b"\x7FELF payload payload payload".repeat(100);
        let gz = {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            std::io::Write::write_all(&mut e, &payload).unwrap();
            e.finish().unwrap()
        };
        assert_eq!(decompress(Compression::Gzip, &gz).unwrap(), payload);
        let zst = zstd::encode_all(&payload[..], 3).unwrap();
        assert_eq!(decompress(Compression::Zstd, &zst).unwrap(), payload);
        let mut xz = Vec::new();
        liblzma::read::XzEncoder::new(&payload[..], 6).read_to_end(&mut xz).unwrap();
        assert_eq!(decompress(Compression::Xz, &xz).unwrap(), payload);
    }
}
