//! Whether the kernel's own module decompressor (`kernel/module/decompress.c`,
//! CONFIG_MODULE_DECOMPRESS) can take a compressed module file, judged from the
//! stream's first bytes.
//!
//! The kernel decoders are smaller than userspace's and reject streams the userspace
//! tools write by default. kmod hands such files to `finit_module` anyway and reports
//! the kernel's EINVAL as `Invalid argument`; rkmod looks first and decompresses in
//! userspace instead:
//!
//! - **xz** (XZ Embedded, one stream, `XZ_DYNALLOC` with no memory limit): the stream
//!   check must be None or CRC32 (CRC64 and SHA-256, xz's defaults, fail with
//!   `decompression failed with status 6`), and the first block's filter chain must be
//!   LZMA2 alone, as the kernel's `scripts/Makefile.modinst` writes it
//!   (`xz --check=crc32 --lzma2=dict=1MiB`); BCJ filters depend on the kernel's
//!   configuration, so they are left to userspace.
//! - **gzip** (zlib inflate after the kernel's own header parser): method deflate, and
//!   no header flag but FNAME (the kernel skips only a file name).
//! - **zstd**: a valid frame header (the kernel streams any window size it can
//!   allocate). A file of several frames is not detected.

use crate::module::Compression;

/// Why the kernel's decoder cannot take a stream (None: it can).
pub fn kernel_rejects(kind: Compression, head: &[u8]) -> Option<&'static str> {
    match kind {
        Compression::None => None,
        Compression::Xz => xz_rejects(head),
        Compression::Gzip => {
            if head.len() < 10 || head[2] != 8 {
                Some("gzip method is not deflate")
            } else if head[3] & !0x08 != 0 {
                Some("gzip header has fields the kernel cannot skip")
            } else {
                None
            }
        }
        Compression::Zstd => match zstd::zstd_safe::get_frame_content_size(head) {
            Ok(_) => None,
            Err(_) => Some("zstd frame header is not valid"),
        },
    }
}

/// How many leading bytes [`kernel_rejects`] needs at most.
pub const HEAD_LEN: usize = 64;

fn xz_rejects(head: &[u8]) -> Option<&'static str> {
    // Stream header: magic (6), flags (2), CRC32 (4).
    let flags = head.get(6..8)?;
    if flags[0] != 0 || flags[1] & 0xF0 != 0 {
        return Some("xz stream flags are not valid");
    }
    match flags[1] {
        0x00 | 0x01 => {}
        0x04 => return Some("xz check CRC64 is not supported by the kernel's decoder"),
        0x0A => return Some("xz check SHA-256 is not supported by the kernel's decoder"),
        _ => return Some("xz check type is not supported by the kernel's decoder"),
    }
    // First block header: size byte, flags, optional sizes, filter flags.
    let size_byte = *head.get(12)?;
    if size_byte == 0 {
        return None; // no block: an empty stream
    }
    let block = head.get(12..12 + (size_byte as usize + 1) * 4)?;
    let bflags = block[1];
    if bflags & 0x3C != 0 {
        return Some("xz block flags are not valid");
    }
    let filters = (bflags & 0x03) + 1;
    if filters != 1 {
        return Some("xz filter chain is not LZMA2 alone");
    }
    let mut at = 2;
    for present in [bflags & 0x40 != 0, bflags & 0x80 != 0] {
        if present {
            varint(block, &mut at)?;
        }
    }
    match varint(block, &mut at) {
        Some(0x21) => None,
        _ => Some("xz filter chain is not LZMA2 alone"),
    }
}

fn varint(b: &[u8], at: &mut usize) -> Option<u64> {
    let mut v = 0u64;
    for shift in (0..63).step_by(7) {
        let byte = *b.get(*at)?;
        *at += 1;
        v |= u64::from(byte & 0x7F) << shift;
        if byte & 0x80 == 0 {
            return Some(v);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn xz(check: liblzma::stream::Check) -> Vec<u8> {
        let stream = liblzma::stream::Stream::new_easy_encoder(6, check).unwrap();
        let mut enc = liblzma::write::XzEncoder::new_stream(Vec::new(), stream);
        enc.write_all(&[7u8; 5000]).unwrap();
        enc.finish().unwrap()
    }

    #[test]
    fn xz_check_types() {
        use liblzma::stream::Check;
        assert_eq!(kernel_rejects(Compression::Xz, &xz(Check::Crc32)), None);
        assert_eq!(kernel_rejects(Compression::Xz, &xz(Check::None)), None);
        assert!(kernel_rejects(Compression::Xz, &xz(Check::Crc64)).unwrap().contains("CRC64"));
        assert!(kernel_rejects(Compression::Xz, &xz(Check::Sha256)).unwrap().contains("SHA-256"));
        // A header cut short is not judged (the kernel would fail on it anyway).
        assert_eq!(kernel_rejects(Compression::Xz, &xz(Check::Crc32)[..7]), None);
    }

    #[test]
    fn xz_filters() {
        use liblzma::stream::{Check, Filters, LzmaOptions, Stream};
        let mut filters = Filters::new();
        filters.x86();
        filters.lzma2(&LzmaOptions::new_preset(6).unwrap());
        let stream = Stream::new_stream_encoder(&filters, Check::Crc32).unwrap();
        let mut enc = liblzma::write::XzEncoder::new_stream(Vec::new(), stream);
        enc.write_all(&[1u8; 3000]).unwrap();
        let data = enc.finish().unwrap();
        assert_eq!(kernel_rejects(Compression::Xz, &data), Some("xz filter chain is not LZMA2 alone"));
    }

    #[test]
    fn gzip_and_zstd_headers() {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(b"abc").unwrap();
        let plain = gz.finish().unwrap();
        assert_eq!(kernel_rejects(Compression::Gzip, &plain), None);
        let named =
            flate2::GzBuilder::new().filename("x.ko").write(Vec::new(), flate2::Compression::default());
        assert_eq!(kernel_rejects(Compression::Gzip, &named.finish().unwrap()), None);
        let commented =
            flate2::GzBuilder::new().comment("c").write(Vec::new(), flate2::Compression::default());
        assert!(kernel_rejects(Compression::Gzip, &commented.finish().unwrap()).is_some());
        let z = zstd::encode_all(&b"hello"[..], 3).unwrap();
        assert_eq!(kernel_rejects(Compression::Zstd, &z), None);
        assert!(kernel_rejects(Compression::Zstd, &[0x28, 0xB5, 0x2F, 0xFD, 0xFF]).is_some());
    }
}
