//! `cargo xtask deb [--profile P]`: the Debian package `rkmod`, which takes the place of
//! Debian 12's `kmod` and `libkmod2` packages (`Provides`, `Conflicts`, `Replaces`), so
//! `apt install ./rkmod_*.deb` switches a system and `apt install kmod` switches it back.
//!
//! The package holds, built with the `dist` profile (what ships; `--profile release` for
//! a quicker build):
//!
//! - `/usr/bin/rkmod`, and kmod's applet links **at the paths Debian 12's kmod ships
//!   them** (`/bin/kmod`, `/bin/lsmod`, `/sbin/{depmod,insmod,lsmod,modinfo,modprobe,rmmod}`),
//!   not their `/usr` aliases: dpkg tells files apart by path string, so only the same
//!   names let one package take the other's files over safely on a merged-/usr system
//!   (Debian's DEP17 file-loss problem);
//! - `libkmod.so.2` (`cargo xtask libkmod`) under the name and link libkmod2 uses;
//! - `packaging/debian/`: kmod's `/lib/modprobe.d/aliases.conf` settings, the
//!   initramfs-tools hook (under kmod's hook name), the postinst (creates `/etc/modules`
//!   as kmod's does), the triggers (update-initramfs, ldconfig), the copyright file, and
//!   a kernel postrm hook (`/etc/kernel/postrm.d/rkmod`, a conffile);
//! - every page of `man/` (the applets, the native command, the file formats) and the
//!   completions of `completions/`.
//!
//! Debian 12's kmod ships no kernel hook (the kernel packages run depmod themselves);
//! rkmod's postrm hook only removes, when a kernel is purged, the two files its depmod
//! writes beyond kmod 30's (`modules.weakdep`, `modules.rkmod.cache`), which the
//! kernel package does not know and which would keep its module directory. The output is
//! `TARGET/deb/rkmod_VERSION_ARCH.deb`, built with `dpkg-deb --root-owner-group`, every
//! timestamp at the last commit's (`SOURCE_DATE_EPOCH`), so a rebuild of the same commit
//! gives the same bytes.

use crate::libkmod;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The package's name.
const PACKAGE: &str = "rkmod";
/// The packages it takes the place of.
const REPLACED: &[&str] = &["kmod", "libkmod2"];
/// Where the multi-call binary is installed.
const BINARY: &str = "usr/bin/rkmod";
/// The library's file name, libkmod2's (`libkmod.so.2` is a link to it).
const LIBRARY: &str = "libkmod.so.2.4.0";

/// Where Debian 12's kmod package puts each applet's links, and what each points at:
/// `/bin/kmod` at the binary, `/bin/lsmod` at `kmod` beside it, the rest at `/bin/kmod`.
fn applet_links(applet: &str) -> Vec<(String, String)> {
    match applet {
        "kmod" => vec![("bin/kmod".into(), format!("/{BINARY}"))],
        "lsmod" => vec![("bin/lsmod".into(), "kmod".into()), ("sbin/lsmod".into(), "/bin/kmod".into())],
        _ => vec![(format!("sbin/{applet}"), "/bin/kmod".into())],
    }
}

fn output(cmd: &mut Command) -> std::io::Result<String> {
    let out = cmd.output()?;
    if !out.status.success() {
        return Err(std::io::Error::other(format!(
            "{cmd:?} failed: {}: {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

fn copy(src: &Path, root: &Path, dest: &str, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let to = root.join(dest);
    std::fs::create_dir_all(to.parent().unwrap())?;
    std::fs::copy(src, &to)?;
    std::fs::set_permissions(&to, std::fs::Permissions::from_mode(mode))
}

fn symlink(target: &str, root: &Path, link: &str) -> std::io::Result<()> {
    let link = root.join(link);
    std::fs::create_dir_all(link.parent().unwrap())?;
    std::os::unix::fs::symlink(target, link)
}

/// A man page, compressed the Debian way (`gzip -9n`: no name, no time stamp).
fn man_page(src: &Path, root: &Path) -> std::io::Result<()> {
    let name = src.file_name().unwrap().to_string_lossy().into_owned();
    let section = name.rsplit('.').next().unwrap_or("8");
    let dest = root.join(format!("usr/share/man/man{section}/{name}.gz"));
    std::fs::create_dir_all(dest.parent().unwrap())?;
    let gz = Command::new("gzip").args(["-9n", "-c"]).arg(src).output()?;
    if !gz.status.success() {
        return Err(std::io::Error::other(format!("gzip {} failed", src.display())));
    }
    std::fs::write(dest, gz.stdout)
}

/// Every regular file under `dir`, relative to `base`.
fn files(dir: &Path, base: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for e in std::fs::read_dir(dir)? {
        let e = e?;
        let t = e.file_type()?;
        if t.is_dir() {
            files(&e.path(), base, out)?;
        } else if t.is_file() {
            out.push(e.path().strip_prefix(base).unwrap().to_path_buf());
        }
    }
    Ok(())
}

/// Build the package; returns its path.
pub fn build(repo: &Path, profile: &str) -> std::io::Result<PathBuf> {
    libkmod::cargo_build(repo, "rkmod-cli", profile)?;
    let lib = libkmod::build(repo, profile)?;
    let bin = libkmod::profile_dir(repo, profile).join("rkmod");

    let version = env!("CARGO_PKG_VERSION");
    let arch = output(Command::new("dpkg").arg("--print-architecture"))?;
    let multiarch = output(Command::new("dpkg-architecture").arg("-qDEB_HOST_MULTIARCH"))?;
    let epoch = match std::env::var("SOURCE_DATE_EPOCH") {
        Ok(e) => e,
        Err(_) => output(Command::new("git").args(["log", "-1", "--format=%ct"]).current_dir(repo))?,
    };
    let debdir = libkmod::profile_dir(repo, "deb");
    std::fs::create_dir_all(&debdir)?;
    let debdir = debdir.canonicalize()?;
    let root = debdir.join(format!("{PACKAGE}_{version}_{arch}"));
    if root.exists() {
        std::fs::remove_dir_all(&root)?;
    }
    std::fs::create_dir_all(root.join("DEBIAN"))?;

    // The binary, the applet links, the library.
    copy(&bin, &root, BINARY, 0o755)?;
    libkmod::run(Command::new("strip").arg("--strip-unneeded").arg(root.join(BINARY)))?;
    for applet in rkmod_cli::cli::APPLETS {
        for (link, target) in applet_links(applet.name) {
            symlink(&target, &root, &link)?;
        }
    }
    let so = format!("usr/lib/{multiarch}/{LIBRARY}");
    copy(&lib.join("libkmod.so.2"), &root, &so, 0o644)?;
    libkmod::run(Command::new("strip").arg("--strip-unneeded").arg(root.join(&so)))?;
    symlink(LIBRARY, &root, &format!("usr/lib/{multiarch}/libkmod.so.2"))?;

    // Configuration, hook, documentation.
    let pkg = repo.join("packaging/debian");
    copy(&pkg.join("aliases.conf"), &root, "lib/modprobe.d/aliases.conf", 0o644)?;
    copy(&pkg.join("initramfs-hook"), &root, "usr/share/initramfs-tools/hooks/kmod", 0o755)?;
    copy(&pkg.join("kernel-postrm"), &root, "etc/kernel/postrm.d/rkmod", 0o755)?;
    copy(&pkg.join("copyright"), &root, &format!("usr/share/doc/{PACKAGE}/copyright"), 0o644)?;
    let mut pages: Vec<_> =
        std::fs::read_dir(repo.join("man"))?.map(|e| e.map(|e| e.path())).collect::<Result<_, _>>()?;
    pages.sort();
    for page in &pages {
        man_page(page, &root)?;
    }
    symlink("modules.dep.5.gz", &root, "usr/share/man/man5/modules.dep.bin.5.gz")?;
    let comp = repo.join("completions");
    copy(&comp.join("rkmod.bash"), &root, "usr/share/bash-completion/completions/rkmod", 0o644)?;
    copy(&comp.join("rkmod.zsh"), &root, "usr/share/zsh/vendor-completions/_rkmod", 0o644)?;
    copy(&comp.join("rkmod.fish"), &root, "usr/share/fish/vendor_completions.d/rkmod.fish", 0o644)?;

    // Control files.
    copy(&pkg.join("postinst"), &root, "DEBIAN/postinst", 0o755)?;
    copy(&pkg.join("triggers"), &root, "DEBIAN/triggers", 0o644)?;
    copy(&pkg.join("conffiles"), &root, "DEBIAN/conffiles", 0o644)?;
    let depends = shlib_depends(&root, &[BINARY, &so])?;
    let provides: Vec<_> = REPLACED.iter().map(|p| format!("{p} (= {})", libkmod::KMOD_VERSION)).collect();
    let mut data = Vec::new();
    files(&root, &root, &mut data)?;
    data.retain(|p| !p.starts_with("DEBIAN"));
    data.sort();
    let size: u64 = data
        .iter()
        .map(|p| std::fs::metadata(root.join(p)).map(|m| m.len().div_ceil(1024)))
        .sum::<Result<_, _>>()?;
    let control = format!(
        "Package: {PACKAGE}\nVersion: {version}\nArchitecture: {arch}\n\
         Maintainer: rkmod developers <rkmod@localhost>\nInstalled-Size: {size}\n\
         Depends: {depends}\nProvides: {provides}\nConflicts: {replaced}\nReplaces: {replaced}\n\
         Section: admin\nPriority: optional\n\
         Description: Linux kernel module tools and libkmod, in Rust\n \
         rkmod loads, removes, lists and inspects kernel modules and writes the\n \
         module indexes: modprobe, insmod, rmmod, lsmod, modinfo, depmod and kmod\n \
         behave as kmod's, and libkmod.so.2 serves udev, systemd and other programs\n \
         that use libkmod. It replaces the kmod and libkmod2 packages.\n",
        provides = provides.join(", "),
        replaced = REPLACED.join(", "),
    );
    std::fs::write(root.join("DEBIAN/control"), control)?;
    let sums = output(Command::new("md5sum").args(&data).current_dir(&root))?;
    std::fs::write(root.join("DEBIAN/md5sums"), sums + "\n")?;

    // Every time stamp at the commit's, then the archive.
    libkmod::run(
        Command::new("find")
            .arg(&root)
            .args(["-exec", "touch", "--no-dereference", "--date"])
            .arg(format!("@{epoch}"))
            .args(["{}", "+"]),
    )?;
    let deb = debdir.join(format!("{PACKAGE}_{version}_{arch}.deb"));
    libkmod::run(
        Command::new("dpkg-deb")
            .args(["--root-owner-group", "-Zxz", "--build"])
            .arg(&root)
            .arg(&deb)
            .env("SOURCE_DATE_EPOCH", &epoch)
            .stdout(std::process::Stdio::null()),
    )?;
    Ok(deb)
}

/// The `Depends` of the shared libraries the package's ELF files link, as
/// `dpkg-shlibdeps` derives them from the installed packages' symbols files.
fn shlib_depends(root: &Path, elves: &[&str]) -> std::io::Result<String> {
    let work = root.parent().unwrap().join("shlibdeps");
    std::fs::create_dir_all(work.join("debian"))?;
    std::fs::write(
        work.join("debian/control"),
        format!("Source: {PACKAGE}\n\nPackage: {PACKAGE}\nArchitecture: any\n"),
    )?;
    let mut cmd = Command::new("dpkg-shlibdeps");
    cmd.arg("-O").current_dir(&work);
    for e in elves {
        cmd.arg(format!("-e{}", root.join(e).display()));
    }
    let out = output(&mut cmd)?;
    out.lines()
        .find_map(|l| l.strip_prefix("shlibs:Depends="))
        .map(str::to_string)
        .ok_or_else(|| std::io::Error::other(format!("dpkg-shlibdeps said {out:?}")))
}
