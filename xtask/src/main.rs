//! `cargo xtask`: chores that need the native command's clap definition but have no
//! place in the shipped binary.
//!
//! - `cargo xtask man` writes `man/rkmod.8` and one page per subcommand
//!   (`man/rkmod-info.8`, ...), rendered by clap_mangen;
//! - `cargo xtask completions` writes `completions/rkmod.{bash,zsh,fish}`;
//! - `cargo xtask check` fails when either is stale (the test below does the same under
//!   `cargo test`);
//! - `cargo xtask libkmod [--release | --dist]` builds `libkmod.so.2` ([`libkmod`]);
//! - `cargo xtask deb [--profile release]` builds the Debian package ([`deb`]).

mod deb;
mod libkmod;

use std::path::{Path, PathBuf};

/// Every generated file: its path under the repository and its contents.
fn generated() -> std::io::Result<Vec<(PathBuf, Vec<u8>)>> {
    let mut out = Vec::new();
    let cmd = rkmod_cli::cli::native::command();
    let mut buf = Vec::new();
    clap_mangen::Man::new(cmd.clone()).section("8").render(&mut buf)?;
    out.push((PathBuf::from("man/rkmod.8"), buf));
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        let name = format!("rkmod-{}", sub.get_name());
        // A short-lived process: leaking the few names is simpler than clap's `string` feature.
        let sub = sub.clone().name(&*Box::leak(name.clone().into_boxed_str()));
        let mut buf = Vec::new();
        clap_mangen::Man::new(sub).section("8").render(&mut buf)?;
        out.push((PathBuf::from(format!("man/{name}.8")), buf));
    }
    for (shell, ext) in [
        (clap_complete::Shell::Bash, "bash"),
        (clap_complete::Shell::Zsh, "zsh"),
        (clap_complete::Shell::Fish, "fish"),
    ] {
        let mut buf = Vec::new();
        clap_complete::generate(shell, &mut cmd.clone(), "rkmod", &mut buf);
        out.push((PathBuf::from(format!("completions/rkmod.{ext}")), buf));
    }
    Ok(out)
}

fn repo() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

/// The generated files that differ from what the repository holds.
fn stale() -> std::io::Result<Vec<PathBuf>> {
    Ok(generated()?
        .into_iter()
        .filter(|(path, data)| std::fs::read(repo().join(path)).ok().as_deref() != Some(&data[..]))
        .map(|(path, _)| path)
        .collect())
}

fn main() -> std::process::ExitCode {
    let what = std::env::args().nth(1).unwrap_or_default();
    let result = match what.as_str() {
        "libkmod" => {
            let profile = match std::env::args().nth(2).as_deref() {
                Some("--release") => "release",
                Some("--dist") => "dist",
                _ => "debug",
            };
            libkmod::build(repo(), profile).map(|out| {
                println!("{}", out.join("libkmod.so.2").display());
                true
            })
        }
        "deb" => {
            let args: Vec<String> = std::env::args().skip(2).collect();
            let profile = match args.as_slice() {
                [] => "dist",
                [flag, p] if flag == "--profile" => p.as_str(),
                _ => {
                    eprintln!("usage: cargo xtask deb [--profile release|dist]");
                    return std::process::ExitCode::FAILURE;
                }
            };
            deb::build(repo(), profile).map(|deb| {
                println!("{}", deb.display());
                true
            })
        }
        "man" | "completions" => generated().and_then(|files| {
            let dir = if what == "man" { "man/" } else { "completions/" };
            for (path, data) in files.iter().filter(|(p, _)| p.starts_with(dir)) {
                std::fs::create_dir_all(repo().join(dir))?;
                std::fs::write(repo().join(path), data)?;
                println!("wrote {}", path.display());
            }
            Ok(true)
        }),
        "check" => stale().map(|s| {
            for p in &s {
                eprintln!("stale: {} (run cargo xtask man / completions)", p.display());
            }
            s.is_empty()
        }),
        _ => {
            eprintln!("usage: cargo xtask man | completions | check | libkmod [--release | --dist] | deb [--profile P]");
            Ok(false)
        }
    };
    match result {
        Ok(true) => std::process::ExitCode::SUCCESS,
        Ok(false) => std::process::ExitCode::FAILURE,
        Err(e) => {
            eprintln!("xtask: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn man_pages_and_completions_are_current() {
        let stale = super::stale().unwrap();
        assert!(stale.is_empty(), "stale: {stale:?}: run `cargo xtask man` and `cargo xtask completions`");
    }
}
