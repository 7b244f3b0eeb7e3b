//! The real Linux kernel: the only file that talks to it directly (`uname` today;
//! `finit_module`, `init_module` and `delete_module` when loading lands).

/// The running kernel's release (`uname -r`), as kmod uses it for `/lib/modules/<release>`.
pub fn kernel_release() -> std::io::Result<String> {
    let u = nix::sys::utsname::uname().map_err(std::io::Error::from)?;
    Ok(u.release().to_string_lossy().into_owned())
}
