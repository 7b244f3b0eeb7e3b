//! Printing [`rkmod::explain`] results: `rkmod probe --explain` (text for people) and
//! `rkmod probe --json` (schemas `rkmod.probe/1`, and `rkmod.alias/1` with `-R`; see
//! docs/probe-json.md).
//!
//! The text carries names, lines and commands as their bytes (as kmod prints them).
//! JSON strings must be Unicode: a value that is not UTF-8 is written as its text with
//! U+FFFD for the bad bytes, and a sibling key `<key>_hex` holds the exact bytes in hex
//! ([`rkmod::json`]).

use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use serde_json::{Map, Value};

use rkmod::explain::{Entry, Explanation, ModuleExplanation, NotFound, PlanStep};
use rkmod::json::{put, put_list, put_opt};
use rkmod::resolve::LookupStep;

fn step_text(step: LookupStep) -> &'static str {
    match step {
        LookupStep::ConfigAlias => "an alias in the configuration",
        LookupStep::ModulesDep => "a module of that name (modules.dep)",
        LookupStep::Symbols => "a module exporting that symbol (modules.symbols)",
        LookupStep::Command => "an install/remove command for exactly that name",
        LookupStep::ModulesAlias => "an alias a module declares (modules.alias)",
        LookupStep::Builtin => "a module built into the kernel (modules.builtin)",
        LookupStep::BuiltinAlias => "an alias of a builtin module (modules.builtin.alias)",
        _ => "another lookup step",
    }
}

fn path_bytes(p: &Path) -> &[u8] {
    p.as_os_str().as_bytes()
}

/// `{indent}{line}    ({source}){tail}` and a newline.
fn entry(out: &mut Vec<u8>, indent: &str, e: &Entry, tail: &str) {
    out.extend_from_slice(indent.as_bytes());
    out.extend_from_slice(&e.line);
    out.extend_from_slice(b"    (");
    out.extend_from_slice(&e.source.to_bytes());
    out.extend_from_slice(tail.as_bytes());
    out.extend_from_slice(b")\n");
    if let Some(w) = &e.warning {
        let _ = writeln!(out, "      warning: {w}");
    }
}

/// The text of `--explain`.
pub fn text(all: &[Explanation], dir: &Path, problems: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    if !problems.is_empty() {
        out.extend_from_slice(b"configuration problems (these lines are ignored):\n");
        for p in problems {
            out.extend_from_slice(b"  ");
            out.extend_from_slice(p);
            out.push(b'\n');
        }
    }
    for ex in all {
        out.extend_from_slice(&ex.query);
        match &ex.normalized {
            Some(n) if n != &ex.query => {
                out.extend_from_slice(b" (looked up as ");
                out.extend_from_slice(n);
                out.extend_from_slice(b")\n");
            }
            _ => out.push(b'\n'),
        }
        if let Some(nf) = &ex.not_found {
            let d = path_bytes(dir);
            let why: Vec<u8> = match nf {
                NotFound::BadName => b"not a valid name: an unmatched [ or ]".to_vec(),
                NotFound::AliasTooLong => {
                    b"not found: a configured alias matched, but its module name and pattern together pass kmod's 4096-byte limit (File name too long)".to_vec()
                }
                NotFound::NoModuleDirectory => [&b"not found: "[..], d, b" does not exist"].concat(),
                NotFound::NoIndex => {
                    [&b"not found: "[..], d, b" has no modules.dep.bin (run rkmod deps)"].concat()
                }
                NotFound::NoMatch => {
                    b"not found: no module, alias, builtin or configured alias matches".to_vec()
                }
                _ => b"not found".to_vec(),
            };
            out.extend_from_slice(b"  ");
            out.extend_from_slice(&why);
            out.push(b'\n');
            continue;
        }
        if let Some(step) = ex.found_by {
            let _ = writeln!(out, "  found as {}", step_text(step));
        }
        for a in &ex.aliases {
            entry(&mut out, "    ", a, "");
        }
        for m in &ex.modules {
            module_text(&mut out, m);
        }
    }
    out
}

fn module_text(out: &mut Vec<u8>, m: &ModuleExplanation) {
    out.extend_from_slice(b"  module ");
    out.extend_from_slice(&m.name);
    if let Some(a) = &m.alias {
        out.extend_from_slice(b" (through ");
        out.extend_from_slice(a);
        out.push(b')');
    }
    out.extend_from_slice(b"\n    file: ");
    match (&m.path, m.builtin) {
        (_, true) => out.extend_from_slice(b"built into the kernel"),
        (Some(p), false) => out.extend_from_slice(path_bytes(p)),
        (None, false) => out.extend_from_slice(b"no file (not in modules.dep)"),
    }
    let _ = writeln!(out, "\n    state: {}", m.state);
    if !m.dependencies.is_empty() {
        out.extend_from_slice(b"    dependencies (load order): ");
        out.extend_from_slice(&m.dependencies.join(&b' '));
        out.push(b'\n');
    }
    for o in &m.options {
        entry(out, "    ", o, "");
    }
    if let Some(b) = &m.blacklist {
        let applies =
            if m.blacklisted { "; applies" } else { "; does not apply when named directly (use -b)" };
        entry(out, "    ", b, applies);
    }
    for (first, shadowed, what) in [
        (&m.softdep, &m.shadowed_softdeps, "softdep"),
        (&m.weakdep, &m.shadowed_weakdeps, "weakdep"),
        (&m.install, &m.shadowed_installs, "install"),
        (&m.remove, &m.shadowed_removes, "remove"),
    ] {
        if let Some(e) = first {
            entry(out, "    ", e, "");
        }
        for e in shadowed {
            entry(out, &format!("    warning: shadowed, only the first {what} applies: "), e, "");
        }
    }
    if m.weakdep.is_some() {
        let _ = writeln!(out, "    note: weak dependencies are not loaded by modprobe (they tell initramfs builders what the module may request)");
    }
    if m.install.is_some() && m.softdep.is_some() {
        let _ = writeln!(
            out,
            "    note: the install command is not run while the softdep names modules (kmod's rule)"
        );
    }
    match m.outcome {
        "in-kernel" => {
            let _ = writeln!(out, "    plan: nothing to do, already in the kernel");
        }
        "blacklisted" => {
            let _ = writeln!(out, "    plan: nothing, blacklisted");
        }
        _ => {
            let _ = writeln!(out, "    plan:");
            for s in &m.plan {
                plan_line(out, s);
            }
        }
    }
}

fn plan_line(out: &mut Vec<u8>, s: &PlanStep) {
    let line: Vec<u8> = match s.action {
        "insert" => {
            let p = s.path.as_deref().map(path_bytes).unwrap_or_default();
            [&b"insmod "[..], p, b" ", &s.options].concat()
        }
        "install" => [&b"install "[..], s.command.as_deref().unwrap_or_default(), b" ", &s.options].concat(),
        "builtin" => [&b"builtin "[..], &s.module].concat(),
        _ => [&s.module[..], b": no file, insertion would fail"].concat(),
    };
    let mut notes = Vec::new();
    if s.in_kernel {
        notes.push("already loaded, skipped");
    }
    if !s.required {
        notes.push("softdep: a failure is ignored");
    }
    out.extend_from_slice(b"      ");
    out.extend_from_slice(line.trim_ascii_end());
    if !notes.is_empty() {
        let _ = write!(out, "    ({})", notes.join("; "));
    }
    out.push(b'\n');
}

fn entry_json(e: &Entry) -> Value {
    let mut m = Map::new();
    put(&mut m, "line", &e.line);
    put(&mut m, "source", &e.source.to_bytes());
    if let Some(w) = &e.warning {
        m.insert("warning".into(), w.as_str().into());
    }
    Value::Object(m)
}

fn entry_opt(e: &Option<Entry>) -> Value {
    e.as_ref().map(entry_json).unwrap_or(Value::Null)
}

fn entries(list: &[Entry]) -> Value {
    Value::Array(list.iter().map(entry_json).collect())
}

fn step_json(s: &PlanStep) -> Value {
    let mut m = Map::new();
    put(&mut m, "module", &s.module);
    m.insert("action".into(), s.action.into());
    put_opt(&mut m, "path", s.path.as_deref().map(path_bytes));
    put_opt(&mut m, "command", s.command.as_deref());
    put(&mut m, "options", &s.options);
    m.insert("required".into(), s.required.into());
    m.insert("in_kernel".into(), s.in_kernel.into());
    Value::Object(m)
}

fn module_json(x: &ModuleExplanation) -> Value {
    let mut m = Map::new();
    put(&mut m, "name", &x.name);
    put_opt(&mut m, "alias", x.alias.as_deref());
    put_opt(&mut m, "path", x.path.as_deref().map(path_bytes));
    m.insert("builtin".into(), x.builtin.into());
    m.insert("state".into(), x.state.into());
    put_list(&mut m, "dependencies", &x.dependencies);
    m.insert("options".into(), entries(&x.options));
    m.insert("blacklist".into(), entry_opt(&x.blacklist));
    m.insert("blacklisted".into(), x.blacklisted.into());
    m.insert("softdep".into(), entry_opt(&x.softdep));
    m.insert("shadowed_softdeps".into(), entries(&x.shadowed_softdeps));
    m.insert("weakdep".into(), entry_opt(&x.weakdep));
    m.insert("shadowed_weakdeps".into(), entries(&x.shadowed_weakdeps));
    m.insert("install".into(), entry_opt(&x.install));
    m.insert("shadowed_installs".into(), entries(&x.shadowed_installs));
    m.insert("remove".into(), entry_opt(&x.remove));
    m.insert("shadowed_removes".into(), entries(&x.shadowed_removes));
    m.insert("outcome".into(), x.outcome.into());
    m.insert("plan".into(), Value::Array(x.plan.iter().map(step_json).collect()));
    Value::Object(m)
}

fn query_json(ex: &Explanation) -> Value {
    let mut m = Map::new();
    put(&mut m, "query", &ex.query);
    put_opt(&mut m, "normalized", ex.normalized.as_deref());
    m.insert("found_by".into(), serde_json::to_value(ex.found_by).unwrap_or(Value::Null));
    m.insert("aliases".into(), entries(&ex.aliases));
    m.insert("not_found".into(), serde_json::to_value(&ex.not_found).unwrap_or(Value::Null));
    m.insert("modules".into(), Value::Array(ex.modules.iter().map(module_json).collect()));
    Value::Object(m)
}

/// The document of `--json` (`aliases_only`: `-R`); `problems` are the configuration's
/// (rkmod's one-line wording, `FILE:LINE: ...`).
pub fn json(all: &[Explanation], aliases_only: bool, problems: &[Vec<u8>]) -> String {
    let doc = if aliases_only {
        let queries = all
            .iter()
            .map(|e| {
                let mut m = Map::new();
                put(&mut m, "query", &e.query);
                let names: Vec<&[u8]> = e.modules.iter().map(|x| x.name.as_slice()).collect();
                put_list(&mut m, "modules", &names);
                Value::Object(m)
            })
            .collect();
        serde_json::json!({ "schema": "rkmod.alias/1", "queries": Value::Array(queries) })
    } else {
        let queries = all.iter().map(query_json).collect();
        serde_json::json!({ "schema": "rkmod.probe/1", "queries": Value::Array(queries) })
    };
    let mut doc = doc;
    let problems: Vec<Value> = problems
        .iter()
        .map(|p| {
            let mut m = Map::new();
            put(&mut m, "text", p);
            Value::Object(m)
        })
        .collect();
    doc["config_problems"] = Value::Array(problems);
    serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n"
}
