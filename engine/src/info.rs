//! What `modinfo` shows, as data: the modules one argument names, and what there is to
//! read about each of them.
//!
//! Mirrors kmod's `tools/modinfo.c` over libkmod's `kmod_module_get_info`:
//!
//! * [`module_dir`]: the module directory, `<root>/lib/modules/<version>` (the running
//!   kernel's version when none is given), made absolute against the current directory
//!   as kmod does ([`absolute`], kmod's `path_make_absolute_cwd`).
//! * [`resolve`]: one argument is a module file when it names a regular file with a
//!   module extension ([`is_module_filename`]); with `-m` it is a module name (the
//!   dependency index, then the builtin indexes); otherwise anything the lookup
//!   resolves (name, alias, symbol, builtin; see [`crate::lookup`]). The errors say which
//!   case failed, so that a front end can word each one as kmod does.
//! * [`load`]: a module file's `.modinfo` fields, signature and build-id; for a builtin
//!   module, its fields from `modules.builtin.modinfo`, with kmod 30's two failures
//!   ([`LoadError::NoBuiltinModinfo`], [`LoadError::NotInBuiltinModinfo`]).
//! * [`signature_fields`]: the pseudo-fields modinfo appends for a signature.
//!
//! Nothing here prints: the fields come back in section order, and parameters are
//! merged by [`crate::module::modinfo::merge_params`].
//!
//! ```
//! use std::ffi::OsStr;
//!
//! use rkmod::info::{self, ResolveError};
//! use rkmod::lookup::ModuleDir;
//!
//! // `modinfo -b ROOT -k 1.0.0-rk hello-alias`
//! let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/roots/modprobe-basic");
//! let dir = ModuleDir::new(info::module_dir(Some(OsStr::new(root)), Some(OsStr::new("1.0.0-rk")))?);
//! for found in info::resolve(&dir, OsStr::new("hello-alias"), false)? {
//!     let module = info::load(&dir, &found)?;
//!     assert_eq!(module.name, "hello");
//!     for field in &module.fields {
//!         println!("{}: {}", String::from_utf8_lossy(&field.key), String::from_utf8_lossy(&field.value));
//!     }
//! }
//! // `modinfo -m hello-alias`: an alias is not a module name.
//! let by_name = info::resolve(&dir, OsStr::new("hello-alias"), true);
//! assert!(matches!(by_name, Err(ResolveError::NoSuchName)));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use crate::error::{errno_text, Errno, Error};
use crate::lookup::{Found, LookupError, ModuleDir};
use crate::module::signature::{self, Signature};
use crate::module::{Field, ModuleImage};

/// The module directory kmod's tools use: `<root>/lib/modules/<version>`, made
/// [`absolute`] (not normalised). `root` is `-b` (none: `/`); `version` is `-k` (none:
/// the running kernel's release, from `uname(2)`, whose failure is the error).
pub fn module_dir(root: Option<&OsStr>, version: Option<&OsStr>) -> std::io::Result<PathBuf> {
    let version: OsString = match version {
        Some(v) => v.to_owned(),
        None => crate::kernel::kernel_release()?.into(),
    };
    Ok(crate::resolve::module_dirname(root, &version))
}

/// kmod's `path_make_absolute_cwd`: a relative path gets the current directory and a
/// `/` in front, byte for byte, with no normalisation (`./a` stays `CWD/./a`). An
/// absolute path, or any path when the current directory is unknown, is unchanged.
pub fn absolute(p: &Path) -> PathBuf {
    if p.is_absolute() {
        return p.to_path_buf();
    }
    match std::env::current_dir() {
        Ok(cwd) => PathBuf::from(OsStr::from_bytes(
            &[cwd.as_os_str().as_bytes(), b"/", p.as_os_str().as_bytes()].concat(),
        )),
        Err(_) => p.to_path_buf(),
    }
}

/// kmod's `is_module_filename`: the whole of `path` ends with a module extension
/// (`.ko`, `.ko.xz`, `.ko.zst`, `.ko.gz`, with at least one byte before it) and names
/// a regular file (symbolic links followed).
pub fn is_module_filename(path: &Path) -> bool {
    crate::name::has_module_extension(path.as_os_str().as_bytes())
        && std::fs::metadata(path).is_ok_and(|m| m.is_file())
}

/// Why an argument named no module ([`resolve`]). Each case is a different message in
/// kmod's modinfo.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ResolveError {
    /// By name only (`-m`), and no module has that name: kmod's `Module name NAME not
    /// found.`
    #[error("no module of that name")]
    NoSuchName,
    /// Nothing in the indexes matches: `Module NAME not found.`
    #[error("no module, alias or builtin of that name")]
    NotFound,
    /// Not a valid alias (an unmatched `[` or `]`): `Module alias NAME not found.`
    #[error("not a valid alias")]
    BadAlias,
    /// An index could not be read (the library error, printed as it is).
    #[error(transparent)]
    Index(Error),
}

/// The modules one modinfo argument names, in kmod's order.
///
/// `by_name` is `-m`: the argument is a module name, looked up in `modules.dep.bin`,
/// `modules.builtin.bin`, then `modules.builtin.alias.bin` ([`ModuleDir::lookup_name`]).
/// Otherwise an argument that [`is_module_filename`] is that file (made [`absolute`],
/// its module name taken from the file name), and anything else goes through the full
/// lookup ([`ModuleDir::lookup`]), which may find several modules.
pub fn resolve(dir: &ModuleDir, arg: &OsStr, by_name: bool) -> Result<Vec<Found>, ResolveError> {
    let a = arg.as_bytes();
    if by_name {
        return match dir.lookup_name(a) {
            Ok(Some(found)) => Ok(vec![found]),
            Ok(None) => Err(ResolveError::NoSuchName),
            Err(e) => Err(ResolveError::Index(e)),
        };
    }
    if is_module_filename(Path::new(arg)) {
        let path = absolute(Path::new(arg));
        let name = crate::name::path_to_modname(&path);
        return Ok(vec![Found { name, path: Some(path), builtin: false }]);
    }
    match dir.lookup(a) {
        Ok(found) if found.is_empty() => Err(ResolveError::NotFound),
        Ok(found) => Ok(found),
        Err(LookupError::Index(e)) => Err(ResolveError::Index(e)),
        // Not a valid alias (an unmatched bracket).
        Err(_) => Err(ResolveError::BadAlias),
    }
}

/// Everything modinfo shows about one module.
pub struct ModuleInfo {
    /// The module name (from the index, or the file name for a path argument).
    pub name: String,
    /// The module file; None for a builtin module.
    pub path: Option<PathBuf>,
    /// The opened file (None for a builtin module), for its compression and anything
    /// else a front end wants to read.
    pub image: Option<ModuleImage>,
    /// The `.modinfo` fields in section order (for a builtin module, its entries in
    /// `modules.builtin.modinfo` in file order).
    pub fields: Vec<Field>,
    /// The appended signature (`~Module signature appended~`), if any.
    pub signature: Option<Signature>,
    /// The descriptor of the GNU build-id note, if any.
    pub build_id: Option<Vec<u8>>,
}

/// Why [`load`] has nothing to show for a module.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    /// A builtin module, and the directory has no `modules.builtin.modinfo` (kernels
    /// before 5.2 do not install it): kmod's ENOENT, which modinfo passes over in
    /// silence after the `name:` and `filename:` lines. `path` is the missing file.
    #[error("{}: {}", path.display(), errno_text(Errno::ENOENT))]
    NoBuiltinModinfo {
        /// `<module dir>/modules.builtin.modinfo`.
        path: PathBuf,
    },
    /// A builtin module that `modules.builtin.modinfo` does not list: kmod 30's ENOSYS
    /// (`could not get modinfo from 'NAME': Function not implemented`).
    #[error("{}: {}", path.display(), errno_text(Errno::ENOSYS))]
    NotInBuiltinModinfo {
        /// `<module dir>/modules.builtin.modinfo`.
        path: PathBuf,
    },
    /// The module file (or `modules.builtin.modinfo`) could not be read, or is not a
    /// module: a file without `.modinfo` is ENOENT, as in kmod 30.
    #[error(transparent)]
    Read(#[from] Error),
}

impl LoadError {
    /// The errno kmod reports for this failure.
    pub fn errno(&self) -> Errno {
        match self {
            LoadError::NoBuiltinModinfo { .. } => Errno::ENOENT,
            LoadError::NotInBuiltinModinfo { .. } => Errno::ENOSYS,
            LoadError::Read(e) => e.errno(),
        }
    }
}

/// Read what there is to show about a module [`resolve`] found: the file's `.modinfo`
/// fields, signature and build-id ([`ModuleImage::info`]), or a builtin module's fields
/// from `modules.builtin.modinfo`.
pub fn load(dir: &ModuleDir, found: &Found) -> Result<ModuleInfo, LoadError> {
    let mut info = ModuleInfo {
        name: found.name.clone(),
        path: found.path.clone(),
        image: None,
        fields: Vec::new(),
        signature: None,
        build_id: None,
    };
    match &found.path {
        None => {
            let path = || dir.path().join("modules.builtin.modinfo");
            match dir.builtin_modinfo(&found.name)? {
                None => return Err(LoadError::NoBuiltinModinfo { path: path() }),
                Some(fields) if fields.is_empty() => {
                    return Err(LoadError::NotInBuiltinModinfo { path: path() })
                }
                Some(fields) => info.fields = fields,
            }
        }
        Some(path) => {
            let image = ModuleImage::open(path)?;
            let read = image.info()?;
            info.fields = read.fields;
            info.signature = read.signature;
            info.build_id = read.build_id;
            info.image = Some(image);
        }
    }
    Ok(info)
}

/// The pseudo-fields modinfo appends after `.modinfo` for a signature, in its order:
/// `sig_id`, `signer`, `sig_key` (when the key id is not empty), `sig_hashalgo`,
/// `signature` (when not empty); key id and signature in kmod's hex layout
/// ([`signature::hex`]).
pub fn signature_fields(sig: &Signature) -> Vec<Field> {
    let mut out = vec![Field::new("sig_id", sig.id_type), Field::new("signer", sig.signer.clone())];
    if !sig.key_id.is_empty() {
        out.push(Field::new("sig_key", signature::hex(&sig.key_id)));
    }
    out.push(Field::new("sig_hashalgo", sig.hash_algo.clone()));
    if !sig.signature.is_empty() {
        out.push(Field::new("signature", signature::hex(&sig.signature)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROOT: &str =
        concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/roots/modprobe-basic/lib/modules/1.0.0-rk");
    /// A module directory with builtin modules but no `modules.builtin.modinfo`.
    const OLD: &str =
        concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/roots/old-builtin/lib/modules/1.0.0-rk");
    const KO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/ko/6.1.0-56-amd64");

    fn found(dir: &ModuleDir, arg: &str, by_name: bool) -> Vec<(String, Option<PathBuf>, bool)> {
        resolve(dir, OsStr::new(arg), by_name)
            .unwrap_or_else(|e| panic!("{arg}: {e}"))
            .into_iter()
            .map(|f| (f.name, f.path, f.builtin))
            .collect()
    }

    fn value<'a>(fields: &'a [Field], key: &str) -> Vec<&'a [u8]> {
        fields.iter().filter(|f| f.key_is(key)).map(|f| &f.value[..]).collect()
    }

    #[test]
    fn module_dir_is_kmods() {
        let md = |root: Option<&str>, v: Option<&str>| {
            module_dir(root.map(OsStr::new), v.map(OsStr::new)).unwrap()
        };
        assert_eq!(md(Some("/r"), Some("1.2")), Path::new("/r/lib/modules/1.2"));
        assert_eq!(md(None, Some("1.2")), Path::new("/lib/modules/1.2"));
        // A relative root is made absolute without normalisation; "/" stays doubled.
        let cwd = std::env::current_dir().unwrap();
        let want = format!("{}/./r/lib/modules/1.2", cwd.display());
        assert_eq!(md(Some("./r"), Some("1.2")).as_os_str(), OsStr::new(&want));
        assert_eq!(md(Some("/r/"), Some("1.2")).as_os_str(), OsStr::new("/r//lib/modules/1.2"));
        let running = crate::kernel::kernel_release().unwrap();
        assert_eq!(md(None, None), Path::new("/lib/modules").join(running));
    }

    #[test]
    fn absolute_prefixes_the_cwd_verbatim() {
        assert_eq!(absolute(Path::new("/a/../b")), Path::new("/a/../b"));
        let cwd = std::env::current_dir().unwrap();
        assert_eq!(
            absolute(Path::new("x/../y.ko")).as_os_str(),
            OsStr::new(&format!("{}/x/../y.ko", cwd.display()))
        );
    }

    #[test]
    fn module_filename_needs_an_extension_and_a_regular_file() {
        assert!(is_module_filename(&Path::new(KO).join("hello.ko")));
        assert!(is_module_filename(&Path::new(KO).join("variants/hello.ko.xz")));
        assert!(!is_module_filename(&Path::new(KO).join("missing.ko")), "no such file");
        assert!(!is_module_filename(&Path::new(ROOT).join("modules.dep")), "no module extension");
        let tmp = tempfile::tempdir().unwrap();
        std::fs::create_dir(tmp.path().join("dir.ko")).unwrap();
        assert!(!is_module_filename(&tmp.path().join("dir.ko")), "a directory");
        std::fs::write(tmp.path().join(".ko"), b"").unwrap();
        // kmod measures the whole argument, not the base name: `DIR/.ko` counts.
        assert!(is_module_filename(&tmp.path().join(".ko")));
    }

    #[test]
    fn resolve_path_name_alias_builtin() {
        let dir = ModuleDir::new(ROOT);
        let hello = Some(Path::new(ROOT).join("kernel/misc/hello.ko"));
        // A file given by path is that file, whatever the index says.
        let path = format!("{KO}/hello.ko");
        assert_eq!(found(&dir, &path, false), [("hello".into(), Some(PathBuf::from(&path)), false)]);
        // A relative path is made absolute (unit tests run in the crate directory).
        let cwd = std::env::current_dir().unwrap();
        let rel = "../fixtures/ko/6.1.0-56-amd64/hello_user.ko";
        let want = PathBuf::from(format!("{}/{rel}", cwd.display()));
        assert_eq!(found(&dir, rel, false), [("hello_user".into(), Some(want), false)]);
        // Names, aliases and builtin modules go through the indexes.
        assert_eq!(found(&dir, "hello", false), [("hello".into(), hello.clone(), false)]);
        assert_eq!(found(&dir, "hello-alias", false), [("hello".into(), hello.clone(), false)]);
        assert_eq!(found(&dir, "ext4", false), [("ext4".into(), None, true)]);
        // -m: names only, no alias from modules.alias.bin.
        assert_eq!(found(&dir, "hello", true), [("hello".into(), hello, false)]);
        assert_eq!(found(&dir, "ext4", true), [("ext4".into(), None, true)]);
    }

    #[test]
    fn resolve_says_which_lookup_failed() {
        let dir = ModuleDir::new(ROOT);
        let err = |arg: &str, by_name| resolve(&dir, OsStr::new(arg), by_name).unwrap_err();
        assert!(matches!(err("nosuch", false), ResolveError::NotFound));
        assert!(matches!(err("nosuch", true), ResolveError::NoSuchName));
        assert!(matches!(err("hello-alias", true), ResolveError::NoSuchName), "an alias is not a name");
        assert!(matches!(err("bad[alias", false), ResolveError::BadAlias));
        // A path that names no file is looked up as a name (and found nowhere).
        assert!(matches!(err(&format!("{KO}/missing.ko"), false), ResolveError::NotFound));
        // A corrupt index is an error, not "not found".
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(tmp.path().join("modules.dep.bin"), b"\xb0\x07\xf4\x57garbage").unwrap();
        let broken = ModuleDir::new(tmp.path());
        assert!(matches!(resolve(&broken, OsStr::new("x"), false), Err(ResolveError::Index(_))));
        assert!(matches!(resolve(&broken, OsStr::new("x"), true), Err(ResolveError::Index(_))));
    }

    #[test]
    fn load_a_module_file() {
        let dir = ModuleDir::new(ROOT);
        let f = Found { name: "hello".into(), path: Some(Path::new(KO).join("hello.ko")), builtin: false };
        let info = load(&dir, &f).unwrap();
        assert_eq!(value(&info.fields, "name"), [b"hello"]);
        assert_eq!(value(&info.fields, "alias"), [&b"char-major-250-17"[..], b"hello-alias"]);
        assert!(info.signature.is_none());
        assert_eq!(info.build_id.as_ref().map(Vec::len), Some(20), "a SHA-1 build-id");
        assert!(info.image.is_some());

        let signed = Found { path: Some(Path::new(KO).join("signed/hello.ko")), ..f.clone() };
        let sig = load(&dir, &signed).unwrap().signature.expect("a signature");
        let fields = signature_fields(&sig);
        let keys: Vec<&[u8]> = fields.iter().map(|f| &f.key[..]).collect();
        assert_eq!(keys, [&b"sig_id"[..], b"signer", b"sig_key", b"sig_hashalgo", b"signature"]);
        assert_eq!(value(&fields, "signer"), [b"rkmod fixture signing key"]);
        assert_eq!(
            value(&fields, "sig_key"),
            [b"52:3D:C2:6E:9F:40:85:38:1A:C6:38:44:28:E4:54:7D:76:04:81:04"]
        );
        assert_eq!(value(&fields, "sig_hashalgo"), [b"sha256"]);

        let missing = Found { path: Some(Path::new(KO).join("missing.ko")), ..f.clone() };
        let e = load(&dir, &missing).err().unwrap();
        assert!(matches!(e, LoadError::Read(_)) && e.errno() == Errno::ENOENT, "{e}");
        let bare = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/bad/no-modinfo.ko");
        let e = load(&dir, &Found { path: Some(bare), ..f }).err().unwrap();
        assert!(
            matches!(e, LoadError::Read(_)) && e.errno() == Errno::ENOENT,
            "kmod 30: no .modinfo is ENOENT"
        );
    }

    #[test]
    fn load_a_builtin_module() {
        let builtin = |name: &str| Found { name: name.into(), path: None, builtin: true };
        let dir = ModuleDir::new(ROOT);
        let ext4 = load(&dir, &builtin("ext4")).unwrap();
        assert_eq!(value(&ext4.fields, "alias"), [&b"fs-ext4"[..], b"ext3", b"fs-ext3"]);
        assert!(ext4.path.is_none() && ext4.image.is_none() && ext4.signature.is_none());
        // Listed in modules.builtin but not in modules.builtin.modinfo: ENOSYS.
        let e = load(&dir, &builtin("n_null")).err().unwrap();
        assert!(
            matches!(&e, LoadError::NotInBuiltinModinfo { path } if path.ends_with("modules.builtin.modinfo"))
        );
        assert_eq!(e.errno(), Errno::ENOSYS);
        // No modules.builtin.modinfo at all (an old kernel): ENOENT.
        let e = load(&ModuleDir::new(OLD), &builtin("ext4")).err().unwrap();
        assert!(
            matches!(&e, LoadError::NoBuiltinModinfo { path } if *path == Path::new(OLD).join("modules.builtin.modinfo"))
        );
        assert_eq!(e.errno(), Errno::ENOENT);
        assert_eq!(e.to_string(), format!("{OLD}/modules.builtin.modinfo: No such file or directory"));
    }
}
