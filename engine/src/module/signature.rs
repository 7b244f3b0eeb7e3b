//! The module signature trailer and the PKCS#7 message inside it.
//!
//! Mirrors `libkmod-signature.c` (display only: kmod never verifies). The kernel's
//! `scripts/sign-file` appends, to the uncompressed image:
//!
//! ```text
//! [ module ][ signer ][ key id ][ signature ][ struct module_signature (12 bytes) ]
//! [ "~Module signature appended~\n" ]
//!
//! struct module_signature { u8 algo, hash, id_type, signer_len, key_id_len; u8 pad[3];
//!                           be32 sig_len; }
//! ```
//!
//! `id_type` 0 (PGP) and 1 (X509) are the legacy layouts, with signer, key id and
//! signature as raw byte ranges and the hash named by `hash`. `id_type` 2 (PKCS#7, every
//! kernel since 4.3) has all lengths but `sig_len` zero and a DER `ContentInfo(SignedData)`
//! as the signature: the first SignerInfo gives the signer (issuer CN), the key id (the
//! serial number, minimal big-endian), the digest algorithm and the signature octets.
//! Anything that does not validate leaves the module unsigned, as in kmod.

use cms::content_info::ContentInfo;
use cms::signed_data::{SignedData, SignerIdentifier};
use der::{Decode, Encode};

/// The magic string that ends a signed module.
pub const MAGIC: &[u8] = b"~Module signature appended~\n";
const INFO_LEN: usize = 12;

/// Hash names indexed by `module_signature.hash` (the kernel's `hash_algo_name`).
const HASH_NAMES: [&str; 9] = ["md4", "md5", "sha1", "rmd160", "sha256", "sha384", "sha512", "sha224", "sm3"];
const ID_TYPES: [&str; 3] = ["PGP", "X509", "PKCS#7"];

/// What `modinfo` shows about a signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    /// `PGP`, `X509` or `PKCS#7`.
    pub id_type: &'static str,
    /// The signer's name (for PKCS#7, the issuer's commonName), raw bytes.
    pub signer: Vec<u8>,
    /// The key identifier (for PKCS#7, the certificate's serial number without leading
    /// zero bytes).
    pub key_id: Vec<u8>,
    /// The digest algorithm (`sha256`, ...; OpenSSL's short name for PKCS#7).
    pub hash_algo: String,
    /// The signature bytes.
    pub signature: Vec<u8>,
}

/// Read the signature trailer of an uncompressed module image, if it has a valid one.
pub fn parse(image: &[u8]) -> Option<Signature> {
    let body = image.strip_suffix(MAGIC)?;
    let info_at = body.len().checked_sub(INFO_LEN)?;
    let info = &body[info_at..];
    let (algo, hash, id_type, signer_len, key_id_len) =
        (info[0], info[1], info[2], info[3] as usize, info[4] as usize);
    let sig_len = u32::from_be_bytes([info[8], info[9], info[10], info[11]]) as usize;
    if algo >= 2 || hash as usize >= HASH_NAMES.len() || id_type as usize >= ID_TYPES.len() {
        return None;
    }
    if sig_len == 0 || info_at < sig_len + signer_len + key_id_len {
        return None;
    }
    let sig_at = info_at - sig_len;
    let sig = &body[sig_at..info_at];
    if id_type == 2 {
        return parse_pkcs7(sig);
    }
    let key_at = sig_at - key_id_len;
    let signer_at = key_at - signer_len;
    Some(Signature {
        id_type: ID_TYPES[id_type as usize],
        signer: body[signer_at..key_at].to_vec(),
        key_id: body[key_at..sig_at].to_vec(),
        hash_algo: HASH_NAMES[hash as usize].to_string(),
        signature: sig.to_vec(),
    })
}

/// Decode the first SignerInfo of a DER PKCS#7 `SignedData`.
fn parse_pkcs7(der_bytes: &[u8]) -> Option<Signature> {
    let ci = ContentInfo::from_der(der_bytes).ok()?;
    let sd: SignedData = ci.content.decode_as().ok()?;
    let si = sd.signer_infos.0.iter().next()?;
    let SignerIdentifier::IssuerAndSerialNumber(isn) = &si.sid else {
        return None;
    };
    let signer = common_name(&isn.issuer).unwrap_or_default();
    let serial = isn.serial_number.as_bytes();
    let first = serial.iter().position(|&b| b != 0).unwrap_or(serial.len());
    Some(Signature {
        id_type: "PKCS#7",
        signer,
        key_id: serial[first..].to_vec(),
        hash_algo: digest_name(&si.digest_alg.oid.to_string()),
        signature: si.signature.as_bytes().to_vec(),
    })
}

/// The raw value bytes of the first commonName attribute of an X.509 name.
fn common_name(name: &x509_cert::name::Name) -> Option<Vec<u8>> {
    const CN: der::asn1::ObjectIdentifier = der::asn1::ObjectIdentifier::new_unwrap("2.5.4.3");
    name.0.iter().flat_map(|rdn| rdn.0.iter()).find(|atv| atv.oid == CN).map(|atv| atv.value.value().to_vec())
}

/// OpenSSL's short name for a digest OID (what kmod prints as `sig_hashalgo`).
fn digest_name(oid: &str) -> String {
    let name = match oid {
        "1.2.840.113549.2.4" => "md4",
        "1.2.840.113549.2.5" => "md5",
        "1.3.14.3.2.26" => "sha1",
        "1.3.36.3.2.1" => "ripemd160",
        "2.16.840.1.101.3.4.2.1" => "sha256",
        "2.16.840.1.101.3.4.2.2" => "sha384",
        "2.16.840.1.101.3.4.2.3" => "sha512",
        "2.16.840.1.101.3.4.2.4" => "sha224",
        "2.16.840.1.101.3.4.2.8" => "sha3-256",
        "2.16.840.1.101.3.4.2.9" => "sha3-384",
        "2.16.840.1.101.3.4.2.10" => "sha3-512",
        "1.2.156.10197.1.401" => "sm3",
        other => return other.to_string(),
    };
    name.to_string()
}

/// kmod's hex layout: `AB:CD:…`, uppercase, a `\n\t\t` continuation after every 20 bytes.
pub fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 3 + bytes.len() / 20 * 3);
    for (i, b) in bytes.iter().enumerate() {
        out.push_str(&format!("{b:02X}"));
        if i + 1 < bytes.len() {
            out.push(':');
            if (i + 1) % 20 == 0 {
                out.push_str("\n\t\t");
            }
        }
    }
    out
}

/// Encode a value back to DER (used by tests that build trailers).
pub fn to_der<T: Encode>(v: &T) -> Option<Vec<u8>> {
    v.to_der().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn legacy_trailer(id_type: u8, hash: u8) -> Vec<u8> {
        let mut m = b"\x7FELF-body".to_vec();
        m.extend_from_slice(b"Signer Name");
        m.extend_from_slice(&[0xAA, 0xBB]);
        m.extend_from_slice(&[1, 2, 3, 4, 5]);
        m.extend_from_slice(&[1, hash, id_type, 11, 2, 0, 0, 0, 0, 0, 0, 5]);
        m.extend_from_slice(MAGIC);
        m
    }

    #[test]
    fn legacy_x509_trailer() {
        let s = parse(&legacy_trailer(1, 2)).unwrap();
        assert_eq!(s.id_type, "X509");
        assert_eq!(s.signer, b"Signer Name");
        assert_eq!(s.key_id, vec![0xAA, 0xBB]);
        assert_eq!(s.hash_algo, "sha1");
        assert_eq!(s.signature, vec![1, 2, 3, 4, 5]);
    }

    #[test]
    fn invalid_trailers_mean_unsigned() {
        assert!(parse(&legacy_trailer(3, 2)).is_none(), "bad id type");
        assert!(parse(&legacy_trailer(1, 9)).is_none(), "bad hash");
        assert!(parse(MAGIC).is_none(), "no room for the info block");
        let mut huge = legacy_trailer(1, 2);
        let n = huge.len() - MAGIC.len() - 4;
        huge[n..n + 4].copy_from_slice(&0xFFFF_FFFFu32.to_be_bytes());
        assert!(parse(&huge).is_none(), "sig_len beyond the file");
        let mut pkcs7_garbage = legacy_trailer(2, 0);
        let n = pkcs7_garbage.len() - MAGIC.len() - 12;
        pkcs7_garbage[n] = 0;
        assert!(parse(&pkcs7_garbage).is_none(), "undecodable PKCS#7");
    }

    #[test]
    fn hex_wraps_after_twenty_bytes() {
        assert_eq!(hex(&[0x0a, 0xff]), "0A:FF");
        assert_eq!(hex(&[]), "");
        let twenty: Vec<u8> = (0..20).collect();
        assert!(!hex(&twenty).contains('\n'));
        let twenty_one: Vec<u8> = (0..21).collect();
        assert!(hex(&twenty_one).ends_with("12:13:\n\t\t14"));
    }
}
