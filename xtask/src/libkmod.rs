//! `cargo xtask libkmod [--release | --dist]`: build rkmod's `libkmod.so.2`.
//!
//! Cargo builds the `rkmod-libkmod` crate as a static library; gcc links it with
//! `libkmod/c/shim.c` into a shared object with libkmod's SONAME and version script
//! (`libkmod/c/libkmod.sym`: every libkmod function at its version node, everything
//! else local). The result, under `TARGET/<profile>/libkmod/`:
//!
//! - `libkmod.so.2` and the `libkmod.so` link for `-lkmod`;
//! - `include/libkmod.h` (our header) and `pkgconfig/libkmod.pc`.
//!
//! Point `LD_LIBRARY_PATH` at the directory to run a program on it.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The kmod version whose API the library provides (libkmod.pc's `Version`).
pub const KMOD_VERSION: &str = "34";

pub fn run(cmd: &mut Command) -> std::io::Result<()> {
    let status = cmd.status()?;
    if status.success() {
        Ok(())
    } else {
        Err(std::io::Error::other(format!("{cmd:?} failed: {status}")))
    }
}

/// Cargo's output directory for `profile` (`debug`, `release`, `dist`).
pub fn profile_dir(repo: &Path, profile: &str) -> PathBuf {
    let target =
        std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| repo.join("target"));
    let target = if target.is_absolute() { target } else { repo.join(target) };
    target.join(profile)
}

/// `cargo build -q` of `package` with `profile` (`debug` is cargo's default `dev`).
pub fn cargo_build(repo: &Path, package: &str, profile: &str) -> std::io::Result<()> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(&cargo);
    cmd.args(["build", "-q", "-p", package]).current_dir(repo);
    if profile != "debug" {
        cmd.args(["--profile", profile]);
    }
    run(&mut cmd)
}

/// Build it with `profile` (`debug`, `release` or `dist`); returns the output directory.
pub fn build(repo: &Path, profile: &str) -> std::io::Result<PathBuf> {
    cargo_build(repo, "rkmod-libkmod", profile)?;
    let profile = profile_dir(repo, profile);
    let out = profile.join("libkmod");
    std::fs::create_dir_all(out.join("include"))?;
    std::fs::create_dir_all(out.join("pkgconfig"))?;
    // libkmod.pc and the printed path name it without `xtask/..`
    let out = out.canonicalize()?;
    let so = out.join("libkmod.so.2");
    let tmp = out.join("libkmod.so.2.tmp");
    let c = repo.join("libkmod/c");
    run(Command::new("gcc")
        .args(["-shared", "-fPIC", "-O2", "-o"])
        .arg(&tmp)
        .arg("-Wl,-soname,libkmod.so.2")
        .arg(format!("-Wl,--version-script={}", c.join("libkmod.sym").display()))
        .arg("-Wl,--gc-sections")
        .arg("-Wl,-z,defs")
        .arg(c.join("shim.c"))
        .arg("-Wl,--whole-archive")
        .arg(profile.join("libkmod.a"))
        .arg("-Wl,--no-whole-archive")
        .args(["-lgcc_s", "-lutil", "-lrt", "-lpthread", "-lm", "-ldl", "-lc"]))?;
    std::fs::rename(&tmp, &so)?;
    let link = out.join("libkmod.so");
    let _ = std::fs::remove_file(&link);
    std::os::unix::fs::symlink("libkmod.so.2", &link)?;
    std::fs::copy(repo.join("libkmod/include/libkmod.h"), out.join("include/libkmod.h"))?;
    let pc = format!(
        "prefix={dir}\nexec_prefix=${{prefix}}\nlibdir=${{exec_prefix}}\nincludedir=${{prefix}}/include\n\n\
         Name: libkmod\n\
         Description: Library to deal with kernel modules (rkmod's engine)\nVersion: {KMOD_VERSION}\n\
         Libs: -L${{libdir}} -lkmod\nCflags: -I${{includedir}}\n",
        dir = out.display()
    );
    std::fs::write(out.join("pkgconfig/libkmod.pc"), pc)?;
    Ok(out)
}
