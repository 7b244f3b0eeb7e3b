//! `.modinfo` contents: ordered `key=value` fields, as `kmod_module_get_info` lists them.
//!
//! The kernel's `MODULE_INFO()` macros emit NUL-terminated `key=value` strings into the
//! `.modinfo` section; `modules.builtin.modinfo` holds the same strings for builtin
//! modules, each prefixed with `modname.`. Field order is the order of the strings. A
//! string without `=` is a key with an empty value. Bytes are kept as they are (kmod
//! prints them raw), so nothing here assumes UTF-8.

/// One `key=value` pair from `.modinfo`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    /// The bytes before the first `=`.
    pub key: Vec<u8>,
    /// The bytes after it (empty when there is no `=`).
    pub value: Vec<u8>,
}

impl Field {
    /// Split one `.modinfo` string at its first `=`.
    pub fn parse(s: &[u8]) -> Field {
        match s.iter().position(|&b| b == b'=') {
            Some(eq) => Field { key: s[..eq].to_vec(), value: s[eq + 1..].to_vec() },
            None => Field { key: s.to_vec(), value: Vec::new() },
        }
    }

    /// Build a field from text (for pseudo-fields such as `sig_id`).
    pub fn new(key: &str, value: impl Into<Vec<u8>>) -> Field {
        Field { key: key.as_bytes().to_vec(), value: value.into() }
    }

    /// Whether the key is exactly `key`.
    pub fn key_is(&self, key: &str) -> bool {
        self.key == key.as_bytes()
    }
}

/// Fields from the strings of a `.modinfo` section (already split).
pub fn fields_from_strings<'a>(strings: impl IntoIterator<Item = &'a [u8]>) -> Vec<Field> {
    strings.into_iter().map(Field::parse).collect()
}

/// A module parameter as `modinfo` merges it from `parm=` and `parmtype=` fields.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Param {
    /// The parameter name.
    pub name: String,
    /// Its `parm=` description.
    pub description: Option<String>,
    /// Its `parmtype=` type (`int`, `charp`, `array of int`, ...).
    #[cfg_attr(feature = "serde", serde(rename = "type"))]
    pub kind: Option<String>,
}

/// The outcome of merging `parm`/`parmtype` fields.
pub struct Params {
    /// In modinfo's print order: reverse order of each name's first appearance.
    pub list: Vec<ParamBytes>,
    /// Values that had no `:` (kmod warns `Found invalid "key=value": missing ':'`).
    pub invalid: Vec<Field>,
}

/// A merged parameter, raw bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParamBytes {
    /// The parameter name.
    pub name: Vec<u8>,
    /// Its `parm=` description.
    pub description: Option<Vec<u8>>,
    /// Its `parmtype=` type.
    pub kind: Option<Vec<u8>>,
}

/// Merge `parm=name:desc` and `parmtype=name:type` fields; the later value of the same
/// kind wins, and the list comes out newest-name-first, as kmod prepends each new name.
pub fn merge_params(fields: &[Field]) -> Params {
    let mut list: Vec<ParamBytes> = Vec::new();
    let mut invalid = Vec::new();
    for f in fields {
        let is_desc = f.key_is("parm");
        if !is_desc && !f.key_is("parmtype") {
            continue;
        }
        // kmod works on C strings: the value ends at its first NUL (none here) and the
        // text after the colon is the rest of the value.
        let Some(colon) = f.value.iter().position(|&b| b == b':') else {
            invalid.push(f.clone());
            continue;
        };
        let (name, rest) = (&f.value[..colon], &f.value[colon + 1..]);
        let pos = match list.iter().position(|p| p.name == name) {
            Some(p) => p,
            None => {
                list.push(ParamBytes { name: name.to_vec(), description: None, kind: None });
                list.len() - 1
            }
        };
        if is_desc {
            list[pos].description = Some(rest.to_vec());
        } else {
            list[pos].kind = Some(rest.to_vec());
        }
    }
    list.reverse();
    Params { list, invalid }
}

impl ParamBytes {
    /// The text of a parameter line: `name:desc (type)` or `name:desc`. With only a
    /// type known, kmod writes `name:type` after `parm:` in full output but
    /// `name: (type)` under `-F parm` (`field_mode`): two printf formats in modinfo.c.
    pub fn render(&self, field_mode: bool) -> Vec<u8> {
        let mut out = self.name.clone();
        match (&self.description, &self.kind) {
            (None, kind) => {
                out.extend_from_slice(if field_mode { b": (" } else { b":" });
                out.extend_from_slice(kind.as_deref().unwrap_or_default());
                if field_mode {
                    out.push(b')');
                }
            }
            (Some(desc), Some(kind)) => {
                out.push(b':');
                out.extend_from_slice(desc);
                out.extend_from_slice(b" (");
                out.extend_from_slice(kind);
                out.push(b')');
            }
            (Some(desc), None) => {
                out.push(b':');
                out.extend_from_slice(desc);
            }
        }
        out
    }

    /// The text form for JSON output.
    pub fn to_param(&self) -> Param {
        let text = |b: &Vec<u8>| String::from_utf8_lossy(b).into_owned();
        Param {
            name: text(&self.name),
            description: self.description.as_ref().map(text),
            kind: self.kind.as_ref().map(text),
        }
    }
}

/// Scan `modules.builtin.modinfo` (`modname.key=value\0` strings) for one module's
/// fields. The strings of a module are contiguous, so the scan stops at the first
/// string of another module after a match, as libkmod's does.
pub fn builtin_fields(data: &[u8], modname: &str) -> Vec<Field> {
    let prefix = [modname.as_bytes(), b"."].concat();
    let mut out = Vec::new();
    for s in data.split(|&b| b == 0).filter(|s| !s.is_empty()) {
        if let Some(rest) = s.strip_prefix(prefix.as_slice()) {
            out.push(Field::parse(rest));
        } else if !out.is_empty() {
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(k: &str, v: &str) -> Field {
        Field::new(k, v)
    }

    #[test]
    fn split_at_first_equals() {
        assert_eq!(Field::parse(b"alias=a=b"), f("alias", "a=b"));
        assert_eq!(Field::parse(b"intree"), f("intree", ""));
    }

    #[test]
    fn params_merge_in_kmod_order() {
        let fields = vec![
            f("parmtype", "a:int"),
            f("parm", "a:first A"),
            f("license", "GPL"),
            f("parm", "b:B only"),
            f("parmtype", "c:charp"),
            f("parm", "bad"),
        ];
        let p = merge_params(&fields);
        let rendered: Vec<_> = p.list.iter().map(|x| String::from_utf8(x.render(true)).unwrap()).collect();
        assert_eq!(rendered, vec!["c: (charp)", "b:B only", "a:first A (int)"]);
        assert_eq!(p.list[0].render(false), b"c:charp");
        assert_eq!(p.invalid, vec![f("parm", "bad")]);
    }

    #[test]
    fn builtin_scan_stops_after_module() {
        let data = b"ext4.license=GPL\0ext4.alias=fs-ext4\0fat.license=GPL\0ext4.late=1\0";
        assert_eq!(builtin_fields(data, "ext4"), vec![f("license", "GPL"), f("alias", "fs-ext4")]);
        assert_eq!(builtin_fields(data, "ext"), vec![]);
        assert_eq!(builtin_fields(data, "fat"), vec![f("license", "GPL")]);
    }
}
