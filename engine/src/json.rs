//! Byte strings in JSON documents (`rkmod probe --json`, the fake kernel's call log).
//!
//! JSON strings are Unicode, while names, options and commands are bytes. The rule,
//! one for every document: a value is written as its text, with U+FFFD for each
//! sequence that is not UTF-8, and when there was such a sequence a sibling key
//! `<key>_hex` holds the exact bytes as lowercase hex. For a list, `<key>_hex` is the
//! list of every item in hex. Readers that only want text keep working; readers that
//! need the bytes take `<key>_hex` when it is there.

use serde_json::{Map, Value};

/// The text of `bytes` (U+FFFD for what is not UTF-8).
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Lowercase hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The `<key>_hex` value: `Some(hex)` when `bytes` is not UTF-8.
pub fn hex_if_not_utf8(bytes: &[u8]) -> Option<String> {
    std::str::from_utf8(bytes).is_err().then(|| hex(bytes))
}

/// Put `key` (and `<key>_hex` when needed) in `map`.
pub fn put(map: &mut Map<String, Value>, key: &str, bytes: &[u8]) {
    map.insert(key.into(), Value::String(text(bytes)));
    if let Some(h) = hex_if_not_utf8(bytes) {
        map.insert(format!("{key}_hex"), Value::String(h));
    }
}

/// [`put`] for an optional value (null when absent).
pub fn put_opt(map: &mut Map<String, Value>, key: &str, bytes: Option<&[u8]>) {
    match bytes {
        Some(b) => put(map, key, b),
        None => {
            map.insert(key.into(), Value::Null);
        }
    }
}

/// [`put`] for a list of byte strings.
pub fn put_list<B: AsRef<[u8]>>(map: &mut Map<String, Value>, key: &str, items: &[B]) {
    map.insert(key.into(), items.iter().map(|b| Value::String(text(b.as_ref()))).collect());
    if items.iter().any(|b| std::str::from_utf8(b.as_ref()).is_err()) {
        map.insert(format!("{key}_hex"), items.iter().map(|b| Value::String(hex(b.as_ref()))).collect());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_that_are_not_utf8_get_a_hex_sibling() {
        let mut m = Map::new();
        put(&mut m, "name", b"caf\xe9");
        put(&mut m, "ok", "café".as_bytes());
        put_list(&mut m, "deps", &[&b"a"[..], b"\xff"]);
        put_opt(&mut m, "none", None);
        let v = Value::Object(m);
        assert_eq!(v["name"], "caf\u{fffd}");
        assert_eq!(v["name_hex"], "636166e9");
        assert_eq!(v["ok"], "café");
        assert!(v.get("ok_hex").is_none());
        assert_eq!(v["deps"], serde_json::json!(["a", "\u{fffd}"]));
        assert_eq!(v["deps_hex"], serde_json::json!(["61", "ff"]));
        assert_eq!(v["none"], Value::Null);
    }
}
