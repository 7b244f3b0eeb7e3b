//! depmod's report of dependency cycles against kmod 30, live: which cycles, starting
//! where, in which order, and how many modules are counted in them. The trees are made
//! of generated modules (tests/util/elfgen.rs): one fixed tree with two cycles and
//! modules hanging off them, and a seeded generator of small random graphs.
//!
//! kmod 34.2 prints the same as kmod 30 for the fixed tree, with and without its
//! `modules.order` (recorded when this test was written from `kmod version 34.2`,
//! ~/.cache/rkmod/kmod34/prefix/bin/depmod): the golden lines in
//! [`two_cycles_match_kmod_34_golden`].

use crate::oracle_depmod::{run_both, Pair};
use crate::util::elfgen::{ModSpec, Rng};

const VER: &str = "1.0.0-cyc";

/// Write `mods` (name, spec) under `kernel/` in both roots of a new pair.
pub fn gen_pair(mods: &[(String, ModSpec)], order: Option<&[String]>) -> Pair {
    let tmp = tempfile::tempdir().unwrap();
    for who in ["kmod", "rkmod"] {
        let dir = tmp.path().join(who).join("lib/modules").join(VER);
        std::fs::create_dir_all(dir.join("kernel")).unwrap();
        for (name, spec) in mods {
            std::fs::write(dir.join("kernel").join(format!("{name}.ko")), spec.build()).unwrap();
        }
        if let Some(order) = order {
            let text: String = order.iter().map(|n| format!("kernel/{n}.ko\n")).collect();
            std::fs::write(dir.join("modules.order"), text).unwrap();
        }
    }
    Pair { tmp, version: VER.to_string() }
}

/// A module `name` exporting `sym_<name>` and needing `sym_<d>` for each of `deps`.
fn node(name: &str, deps: &[&str]) -> (String, ModSpec) {
    let needs: Vec<String> = deps.iter().map(|d| format!("sym_{d}")).collect();
    let needs: Vec<&str> = needs.iter().map(|s| s.as_str()).collect();
    (name.to_string(), ModSpec::new(&[&format!("sym_{name}")], &needs))
}

fn stderr_of(pair: &Pair, who: &str) -> String {
    let mut cmd =
        if who == "kmod" { crate::util::kmod_tool("depmod") } else { crate::util::applet("depmod") };
    let out = cmd.args(["-C", "/dev/null", "-b"]).arg(pair.root(who)).arg(VER).output().unwrap();
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn two_cycles() -> Vec<(String, ModSpec)> {
    vec![
        node("mod_loop_a", &["mod_loop_b"]),
        node("mod_loop_b", &["mod_loop_c"]),
        node("mod_loop_c", &["mod_loop_a", "mod_loop_f"]),
        node("mod_loop_d", &["mod_loop_a"]),
        node("mod_loop_e", &["mod_loop_h"]),
        node("mod_loop_f", &[]),
        node("mod_loop_g", &[]),
        node("mod_loop_h", &["mod_loop_i"]),
        node("mod_loop_i", &["mod_loop_j"]),
        node("mod_loop_j", &["mod_loop_k", "mod_loop_g"]),
        node("mod_loop_k", &["mod_loop_h"]),
    ]
}

#[test]
#[ignore = "needs kmod installed: run tests/run-all"]
fn two_cycles_are_reported_like_kmod() {
    let mods = two_cycles();
    let order: Vec<String> = mods.iter().map(|(n, _)| n.clone()).collect();
    for order in [None, Some(&order[..])] {
        let pair = gen_pair(&mods, order);
        let failures = run_both(&pair, &["-b", "{ROOT}", VER]);
        assert!(failures.is_empty(), "{}", failures.join("\n"));
        let err = stderr_of(&pair, "rkmod");
        assert_eq!(err.matches("Cycle detected:").count(), 2, "{err}");
        assert!(err.contains("Found 7 modules in dependency cycles!"), "{err}");
    }
}

/// The fixed tree's report, as kmod 34.2 printed it (see the module docs), with the
/// tree's own `modules.order` and without one (module-name hash order).
#[test]
fn two_cycles_match_kmod_34_golden() {
    let mods = two_cycles();
    let order: Vec<String> = mods.iter().map(|(n, _)| n.clone()).collect();
    let golden = [
        (
            Some(&order[..]),
            [
                "depmod: ERROR: Cycle detected: mod_loop_a -> mod_loop_b -> mod_loop_c -> mod_loop_a",
                "depmod: ERROR: Cycle detected: mod_loop_h -> mod_loop_i -> mod_loop_j -> mod_loop_k -> mod_loop_h",
            ],
        ),
        (
            None,
            [
                "depmod: ERROR: Cycle detected: mod_loop_i -> mod_loop_j -> mod_loop_k -> mod_loop_h -> mod_loop_i",
                "depmod: ERROR: Cycle detected: mod_loop_c -> mod_loop_a -> mod_loop_b -> mod_loop_c",
            ],
        ),
    ];
    for (order, cycles) in golden {
        let pair = gen_pair(&mods, order);
        let err = stderr_of(&pair, "rkmod");
        let got: Vec<&str> = err.lines().filter(|l| l.contains("ERROR")).collect();
        let mut want = cycles.to_vec();
        want.push("depmod: ERROR: Found 7 modules in dependency cycles!");
        assert_eq!(got, want);
    }
}

/// Seeded random graphs of 3-8 modules: rkmod's messages and status equal kmod 30's on
/// every graph kmod finishes. On some graphs kmod's search walks from one cycle into
/// another and never ends (allocating until it is killed, or printing without end):
/// kmod runs with 512 MiB of address space, 20 seconds and 64 KiB of output, and there
/// rkmod must still finish and report a cycle.
#[test]
#[ignore = "needs kmod installed: run tests/run-all"]
fn random_graphs_match_kmod() {
    let mut rng = Rng(0x5EED_C1C1);
    let mut compared = 0;
    for round in 0..200 {
        let n = 3 + rng.below(6) as usize;
        let names: Vec<String> = (0..n).map(|i| format!("m{round}_{i}")).collect();
        let mods: Vec<(String, ModSpec)> = names
            .iter()
            .map(|name| {
                let deps: Vec<&str> =
                    names.iter().filter(|d| *d != name && rng.below(100) < 30).map(|d| d.as_str()).collect();
                node(name, &deps)
            })
            .collect();
        let order = (rng.below(2) == 0).then(|| {
            let mut o = names.clone();
            o.reverse();
            o
        });
        let pair = gen_pair(&mods, order.as_deref());
        let run = |mut cmd: std::process::Command, who: &str| {
            cmd.args(["-C", "/dev/null", "-b"]).arg(pair.root(who)).arg(VER);
            crate::util::run_bounded(cmd, 512 << 20, std::time::Duration::from_secs(20))
        };
        let kmod = run(crate::util::kmod_tool("depmod"), "kmod");
        let ours = run(crate::util::applet("depmod"), "rkmod");
        let ours_err = String::from_utf8_lossy(&ours.stderr).into_owned();
        assert!(ours.status.is_some(), "round {round}: rkmod did not finish: {ours_err}");
        assert!(ours_err.len() < 60 << 10, "round {round}: endless report");
        let kmod_err = String::from_utf8_lossy(&kmod.stderr);
        let kmod_finished = kmod.stderr.len() < 60 << 10
            && (kmod.status == Some(0)
                || (kmod.status == Some(1) && kmod_err.contains("in dependency cycles!")));
        if !kmod_finished {
            // kmod looped, aborted or ran out of memory: rkmod still reports a cycle.
            assert!(ours_err.contains("Cycle detected"), "round {round}: {ours_err}");
            continue;
        }
        compared += 1;
        let norm = |o: &crate::util::Bounded, who: &str| {
            let r = pair.root(who).display().to_string();
            (o.status, String::from_utf8_lossy(&o.stderr).replace(&r, "[ROOT]"))
        };
        assert_eq!(norm(&ours, "rkmod"), norm(&kmod, "kmod"), "round {round}: {mods:?}");
    }
    assert!(compared > 120, "only {compared} graphs compared");
}
