//! `rkmod info --json`: a documented, versioned JSON rendering of modinfo data.
//!
//! Schema `rkmod.info/1` (see `docs/info-json.md`): one object with `schema`, `modules`
//! (one entry per module found, in the order text output would show them) and `errors`
//! (one entry per argument that failed). Byte strings that are not UTF-8 are rendered
//! with U+FFFD replacements.

use serde::Serialize;

use rkmod::lookup::ModuleDir;
use rkmod::module::modinfo::{merge_params, Param};

use super::info::{self, hex_plain, InfoOptions};
use super::log::Log;
use super::output;

pub const SCHEMA: &str = "rkmod.info/1";

#[derive(Serialize)]
struct Report {
    schema: &'static str,
    modules: Vec<ModuleJson>,
    errors: Vec<ErrorJson>,
}

#[derive(Serialize)]
struct ModuleJson {
    query: String,
    name: String,
    filename: Option<String>,
    builtin: bool,
    compression: Option<&'static str>,
    fields: Vec<FieldJson>,
    parameters: Vec<Param>,
    depends: Vec<String>,
    aliases: Vec<String>,
    signature: Option<SignatureJson>,
    build_id: Option<String>,
}

#[derive(Serialize)]
struct FieldJson {
    key: String,
    value: String,
}

#[derive(Serialize)]
struct SignatureJson {
    id_type: &'static str,
    signer: String,
    key_id: String,
    hash_algo: String,
    signature: String,
}

#[derive(Serialize)]
struct ErrorJson {
    query: String,
    message: String,
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Print the JSON report for `args`; returns the exit status.
pub fn run(opts: &InfoOptions, args: &[std::ffi::OsString], log: &Log) -> i32 {
    let dir = match info::module_dir(opts) {
        Ok(d) => ModuleDir::new(d),
        Err(msg) => {
            log.error(&msg);
            return 1;
        }
    };
    let mut report = Report { schema: SCHEMA, modules: Vec::new(), errors: Vec::new() };
    for arg in args {
        let query = arg.to_string_lossy().into_owned();
        let found = match info::resolve(&dir, arg, opts) {
            Ok(f) => f,
            Err(message) => {
                report.errors.push(ErrorJson { query, message: text(&message) });
                continue;
            }
        };
        for m in found {
            match rkmod::info::load(&dir, &m) {
                Ok(shown) => report.modules.push(module_json(&query, shown)),
                Err(e) => report.errors.push(ErrorJson { query: query.clone(), message: e.to_string() }),
            }
        }
    }
    let status = i32::from(!report.errors.is_empty());
    let mut json = serde_json::to_string_pretty(&report).unwrap_or_default();
    json.push('\n');
    output::print(&json);
    status
}

fn module_json(query: &str, shown: rkmod::info::ModuleInfo) -> ModuleJson {
    let values = |key: &str| -> Vec<String> {
        shown.fields.iter().filter(|f| f.key_is(key)).map(|f| text(&f.value)).collect()
    };
    let depends = values("depends")
        .iter()
        .flat_map(|d| d.split(',').filter(|s| !s.is_empty()).map(str::to_string).collect::<Vec<_>>())
        .collect();
    // modinfo's order: kbuild emits .modinfo in reverse source order and kmod lists the
    // newest name first, so this is the order of declaration in the source.
    let params = merge_params(&shown.fields).list;
    ModuleJson {
        query: query.to_string(),
        name: shown.name.clone(),
        filename: shown.path.as_ref().map(|p| p.display().to_string()),
        builtin: shown.path.is_none(),
        compression: shown.image.as_ref().map(|i| i.file.compression.name()),
        fields: shown.fields.iter().map(|f| FieldJson { key: text(&f.key), value: text(&f.value) }).collect(),
        parameters: params.iter().map(|p| p.to_param()).collect(),
        depends,
        aliases: values("alias"),
        signature: shown.signature.as_ref().map(|s| SignatureJson {
            id_type: s.id_type,
            signer: text(&s.signer),
            key_id: hex_plain(&s.key_id),
            hash_algo: s.hash_algo.clone(),
            signature: hex_plain(&s.signature),
        }),
        build_id: shown.build_id.as_deref().map(hex_plain),
    }
}
