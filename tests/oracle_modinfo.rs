//! Oracle: kmod 30's `modinfo` against rkmod as `modinfo`, on every module of the four
//! Debian trees (amd64 6.1 plain, amd64 6.12 `.ko.xz`, s390x big-endian, armhf 32-bit).
//! stdout, stderr and exit status must be byte-identical, for paths with several
//! option sets, and for lookups by name and by alias through kmod's own indexes.
//!
//! Arguments go in batches (modinfo takes many); a batch that differs is re-run one
//! argument at a time to name the module that differs. These tests need the trees
//! (`tests/scripts/fetch-kernels`, `tests/scripts/index-kernels`), so they are
//! `#[ignore]`d in a plain `cargo test`; `tests/run-all` runs them.

use std::collections::BTreeSet;

use crate::util::{applet, describe_diff, kmod_tool, tree, Outcome, Tree};

const BATCH: usize = 300;

fn outcome(mut cmd: std::process::Command) -> std::thread::JoinHandle<Outcome> {
    std::thread::spawn(move || cmd.output().expect("spawn").into())
}

/// Compare one invocation of kmod and rkmod with the same arguments.
fn compare(opts: &[String], args: &[String]) -> Option<String> {
    let mut theirs = kmod_tool("modinfo");
    theirs.args(opts).args(args);
    let mut ours = applet("modinfo");
    ours.args(opts).args(args);
    let (t, o) = (outcome(theirs), outcome(ours));
    let (t, o) = (t.join().unwrap(), o.join().unwrap());
    (t != o).then(|| describe_diff(&o, &t))
}

/// Compare in batches; returns descriptions of the first few differing arguments.
fn compare_all(what: &str, opts: &[String], args: &[String]) -> Vec<String> {
    let mut failures = Vec::new();
    for chunk in args.chunks(BATCH) {
        if compare(opts, chunk).is_none() {
            continue;
        }
        for arg in chunk {
            if let Some(diff) = compare(opts, std::slice::from_ref(arg)) {
                failures.push(format!("[{what}] modinfo {} {arg}\n{diff}", opts.join(" ")));
                if failures.len() >= 5 {
                    return failures;
                }
            }
        }
        if failures.is_empty() {
            failures.push(format!(
                "[{what}] batch differs but no single argument does:\n{}",
                compare(opts, chunk).unwrap()
            ));
        }
    }
    failures
}

fn s(v: &[&str]) -> Vec<String> {
    v.iter().map(|x| x.to_string()).collect()
}

/// Module names (keys of modules.dep) and the alias patterns of modules.alias.
fn names_and_aliases(tree: &Tree) -> (Vec<String>, Vec<String>) {
    let dep = std::fs::read_to_string(tree.module_dir().join("modules.dep")).unwrap();
    let names = dep
        .lines()
        .filter_map(|l| l.split(':').next())
        .map(|p| {
            let base = p.rsplit('/').next().unwrap();
            base.split('.').next().unwrap().replace('-', "_")
        })
        .collect();
    let alias = std::fs::read_to_string(tree.module_dir().join("modules.alias")).unwrap();
    let aliases: BTreeSet<String> = alias
        .lines()
        .filter_map(|l| l.strip_prefix("alias "))
        .filter_map(|l| l.split(' ').next())
        .map(String::from)
        .collect();
    (names, aliases.into_iter().collect())
}

fn oracle(tag: &str) {
    let tree = tree(tag);
    let files: Vec<String> = tree.modules().iter().map(|p| p.display().to_string()).collect();
    assert!(files.len() > 2000, "{tag}: only {} modules", files.len());
    let mut failures = Vec::new();
    for opts in
        [&[][..], &["-F", "parm"], &["-F", "alias"], &["-F", "firmware"], &["-p"], &["-0"], &["-F", "signer"]]
    {
        failures.extend(compare_all("path", &s(opts), &files));
    }
    let (names, aliases) = names_and_aliases(&tree);
    let root = tree.root.display().to_string();
    let base = s(&["-b", &root, "-k", &tree.version]);
    failures.extend(compare_all("name", &base, &names));
    failures.extend(compare_all("modname", &[base.clone(), s(&["-m"])].concat(), &names));
    failures.extend(compare_all("alias -n", &[base.clone(), s(&["-n"])].concat(), &aliases));
    let sample: Vec<String> = aliases.iter().step_by(40).cloned().collect();
    failures.extend(compare_all("alias", &base, &sample));
    assert!(failures.is_empty(), "{tag}: {} difference(s):\n{}", failures.len(), failures.join("\n"));
    eprintln!(
        "{tag}: modinfo identical on {} modules x 7 option sets, {} names, {} aliases",
        files.len(),
        names.len(),
        aliases.len()
    );
}

#[test]
#[ignore = "needs the Debian kernel trees: run tests/run-all"]
fn oracle_modinfo_amd64_6_1() {
    oracle("amd64-6.1");
}

#[test]
#[ignore = "needs the Debian kernel trees: run tests/run-all"]
fn oracle_modinfo_amd64_6_12_xz() {
    oracle("amd64-6.12");
}

#[test]
#[ignore = "needs the Debian kernel trees: run tests/run-all"]
fn oracle_modinfo_s390x_big_endian() {
    oracle("s390x");
}

#[test]
#[ignore = "needs the Debian kernel trees: run tests/run-all"]
fn oracle_modinfo_armhf_32bit() {
    oracle("armhf");
}
