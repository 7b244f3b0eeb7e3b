//! Printing [`rkmod::explain`] results: `rkmod probe --explain` (text for people) and
//! `rkmod probe --json` (schemas `rkmod.probe/1`, and `rkmod.alias/1` with `-R`; see
//! docs/probe-json.md).

use std::fmt::Write;
use std::path::Path;

use rkmod::explain::{Entry, Explanation, NotFound};
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
    }
}

fn entry(out: &mut String, indent: &str, what: &str, e: &Entry) {
    let _ = writeln!(out, "{indent}{what}{}    ({})", e.line, e.source);
}

/// The text of `--explain`.
pub fn text(all: &[Explanation], dir: &Path) -> String {
    let mut out = String::new();
    for ex in all {
        let _ = write!(out, "{}", ex.query);
        match &ex.normalized {
            Some(n) if n != &ex.query => {
                let _ = writeln!(out, " (looked up as {n})");
            }
            _ => out.push('\n'),
        }
        if let Some(nf) = &ex.not_found {
            let why = match nf {
                NotFound::BadName => "not a valid name: an unmatched [ or ]".to_string(),
                NotFound::NoModuleDirectory => format!("not found: {} does not exist", dir.display()),
                NotFound::NoIndex => {
                    format!("not found: {} has no modules.dep.bin (run rkmod deps)", dir.display())
                }
                NotFound::NoMatch => {
                    "not found: no module, alias, builtin or configured alias matches".into()
                }
            };
            let _ = writeln!(out, "  {why}");
            continue;
        }
        if let Some(step) = ex.found_by {
            let _ = writeln!(out, "  found as {}", step_text(step));
        }
        for a in &ex.aliases {
            entry(&mut out, "    ", "", a);
        }
        for m in &ex.modules {
            let via = m.alias.as_deref().map(|a| format!(" (through {a})")).unwrap_or_default();
            let _ = writeln!(out, "  module {}{via}", m.name);
            let file = if m.builtin {
                "built into the kernel".to_string()
            } else {
                m.path.clone().unwrap_or_else(|| "no file (not in modules.dep)".into())
            };
            let _ = writeln!(out, "    file: {file}");
            let _ = writeln!(out, "    state: {}", m.state);
            if !m.dependencies.is_empty() {
                let _ = writeln!(out, "    dependencies (load order): {}", m.dependencies.join(" "));
            }
            for o in &m.options {
                entry(&mut out, "    ", "", o);
            }
            if let Some(b) = &m.blacklist {
                let applies =
                    if m.blacklisted { "applies" } else { "does not apply when named directly (use -b)" };
                let _ = writeln!(out, "    {}    ({}; {applies})", b.line, b.source);
            }
            for (first, shadowed, what) in [
                (&m.softdep, &m.shadowed_softdeps, "softdep"),
                (&m.install, &m.shadowed_installs, "install"),
                (&m.remove, &m.shadowed_removes, "remove"),
            ] {
                if let Some(e) = first {
                    entry(&mut out, "    ", "", e);
                }
                for e in shadowed {
                    let _ = writeln!(
                        out,
                        "    warning: shadowed, only the first {what} applies: {}    ({})",
                        e.line, e.source
                    );
                }
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
                        let line = match s.action {
                            "insert" => format!("insmod {} {}", s.path.as_deref().unwrap_or(""), s.options),
                            "install" => {
                                format!("install {} {}", s.command.as_deref().unwrap_or(""), s.options)
                            }
                            "builtin" => format!("builtin {}", s.module),
                            _ => format!("{}: no file, insertion would fail", s.module),
                        };
                        let mut notes = Vec::new();
                        if s.in_kernel {
                            notes.push("already loaded, skipped");
                        }
                        if !s.required {
                            notes.push("softdep: a failure is ignored");
                        }
                        let notes = if notes.is_empty() {
                            String::new()
                        } else {
                            format!("    ({})", notes.join("; "))
                        };
                        let _ = writeln!(out, "      {}{notes}", line.trim_end());
                    }
                }
            }
        }
    }
    out
}

#[derive(serde::Serialize)]
struct ProbeDoc<'a> {
    schema: &'static str,
    queries: &'a [Explanation],
}

#[derive(serde::Serialize)]
struct AliasQuery<'a> {
    query: &'a str,
    modules: Vec<&'a str>,
}

#[derive(serde::Serialize)]
struct AliasDoc<'a> {
    schema: &'static str,
    queries: Vec<AliasQuery<'a>>,
}

/// The document of `--json` (`aliases_only`: `-R`).
pub fn json(all: &[Explanation], aliases_only: bool) -> String {
    let text = if aliases_only {
        let queries = all
            .iter()
            .map(|e| AliasQuery {
                query: &e.query,
                modules: e.modules.iter().map(|m| m.name.as_str()).collect(),
            })
            .collect();
        serde_json::to_string_pretty(&AliasDoc { schema: "rkmod.alias/1", queries })
    } else {
        serde_json::to_string_pretty(&ProbeDoc { schema: "rkmod.probe/1", queries: all })
    };
    text.unwrap_or_default() + "\n"
}
