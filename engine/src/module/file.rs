//! Opening a module file: compression detected by magic bytes, decompressed in memory.
//!
//! Mirrors libkmod's `kmod_file_open` (libkmod-file*.c): the first six bytes decide the
//! format, never the file name: zstd `28 B5 2F FD`, xz `FD 37 7A 58 5A 00`, gzip
//! `1F 8B`, anything else is taken as a raw ELF image and mapped. A file shorter than
//! six bytes is refused with EINVAL, as kmod does; a stream that does not decode is
//! EINVAL too (kmod: "xz: File is corrupt" and friends).

use std::fs::File;
use std::io::Read;
use std::path::Path;

use crate::error::{Error, Result};

/// How a module file is compressed, as told by its first bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize), serde(rename_all = "lowercase"))]
pub enum Compression {
    None,
    Xz,
    Zstd,
    Gzip,
}

impl Compression {
    /// Classify by magic bytes (at least 6 bytes should be given).
    pub fn detect(head: &[u8]) -> Compression {
        if head.starts_with(&[0x28, 0xB5, 0x2F, 0xFD]) {
            Compression::Zstd
        } else if head.starts_with(&[0xFD, b'7', b'z', b'X', b'Z', 0x00]) {
            Compression::Xz
        } else if head.starts_with(&[0x1F, 0x8B]) {
            Compression::Gzip
        } else {
            Compression::None
        }
    }

    /// The name the kernel uses in `/sys/module/compression`.
    pub fn name(self) -> &'static str {
        match self {
            Compression::None => "none",
            Compression::Xz => "xz",
            Compression::Zstd => "zstd",
            Compression::Gzip => "gzip",
        }
    }
}

/// The bytes of a module image: mapped when raw, decoded into memory when compressed,
/// or (for bulk readers such as depmod) a raw file read section by section.
pub enum Image {
    Mapped(memmap2::Mmap),
    Owned(Vec<u8>),
    /// `head` holds the file's first bytes (read to detect the format), so the ELF
    /// header costs no second read.
    File {
        file: File,
        len: u64,
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
    pub image: Image,
    pub compression: Compression,
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
            return Err(Error::bad_module(path, libc::EINVAL, "file too short to be a module"));
        }
        let compression = Compression::detect(head);
        let image = match compression {
            Compression::None => {
                if !is_file {
                    return Err(Error::bad_module(path, libc::EINVAL, "not a regular file"));
                }
                if !map {
                    let image = Image::File { file, len, head: head.to_vec() };
                    return Ok(ModuleFile { image, compression });
                }
                // SAFETY: the map is read-only and private to this process; a file
                // truncated underneath us is the same hazard kmod's mmap has.
                let map = unsafe { memmap2::Mmap::map(&file) }.map_err(|e| Error::io(path, &e))?;
                Image::Mapped(map)
            }
            _ => {
                let mut raw = head.to_vec();
                file.read_to_end(&mut raw).map_err(|e| Error::io(path, &e))?;
                Image::Owned(decompress(compression, &raw).map_err(|what| {
                    Error::bad_module(path, libc::EINVAL, format!("{}: {what}", compression.name()))
                })?)
            }
        };
        Ok(ModuleFile { image, compression })
    }
}

/// Decode a whole compressed image; the error says what the decoder found.
pub fn decompress(kind: Compression, raw: &[u8]) -> std::result::Result<Vec<u8>, String> {
    // Sized once from the stream's own record of its length (capped: a hostile header
    // must not make us allocate gigabytes up front), else a guess.
    let hint = decoded_size_hint(kind, raw).filter(|&n| n <= 256 << 20).unwrap_or(raw.len() * 4);
    let mut out = Vec::with_capacity(hint);
    let res = match kind {
        Compression::None => {
            out.extend_from_slice(raw);
            Ok(0)
        }
        Compression::Xz => liblzma::read::XzDecoder::new_multi_decoder(raw).read_to_end(&mut out),
        Compression::Gzip => flate2::read::MultiGzDecoder::new(raw).read_to_end(&mut out),
        Compression::Zstd => zstd::stream::read::Decoder::with_buffer(raw).and_then(|mut d| {
            // A stream cut short yields what was decoded so far, as kmod 30's streaming
            // decoder does (the ELF check then rejects it); corrupt data is an error.
            match d.read_to_end(&mut out) {
                Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => Ok(out.len()),
                r => r,
            }
        }),
    };
    res.map(|_| out).map_err(|e| e.to_string())
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
