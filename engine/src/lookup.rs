//! Resolving what a user typed (a module name, an alias, a builtin) to modules, using
//! the index files of one module directory (`<root>/lib/modules/<version>`).
//!
//! Mirrors `kmod_module_new_from_lookup` and `kmod_module_new_from_name_lookup` for a
//! context without configuration (modinfo reads no modprobe.d): the input is
//! alias-normalised, then the first step with any result wins:
//!
//! 1. `modules.dep.bin`, exact key (not for names containing `:`)
//! 2. `modules.symbols.bin`, wildcard (only for `symbol:` names)
//! 3. `modules.alias.bin`, wildcard, every match by priority
//! 4. `modules.builtin.bin`, exact
//! 5. `modules.builtin.alias.bin`, wildcard
//!
//! (The configuration steps of modprobe come in front of these in the resolver.) A
//! missing or empty (0-byte, as kmod 30's depmod writes `modules.builtin*.bin` without
//! `modules.builtin`) index is no match, as in libkmod; a corrupt one is an error, where
//! libkmod would crash or silently miss.

use std::cell::{OnceCell, RefCell};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::index::bin::{Index, IndexError};
use crate::name;

/// `modules.dep.bin`: module name to its `modules.dep` line.
pub const DEP_BIN: &str = "modules.dep.bin";
/// `modules.alias.bin`: alias patterns to module names.
pub const ALIAS_BIN: &str = "modules.alias.bin";
/// `modules.symbols.bin`: `symbol:NAME` to the module exporting it.
pub const SYMBOLS_BIN: &str = "modules.symbols.bin";
/// `modules.builtin.alias.bin`: aliases of builtin modules.
pub const BUILTIN_ALIAS_BIN: &str = "modules.builtin.alias.bin";
/// `modules.builtin.bin`: the names of builtin modules.
pub const BUILTIN_BIN: &str = "modules.builtin.bin";

/// One module directory and its lazily opened indexes.
pub struct ModuleDir {
    dir: PathBuf,
    /// Files known to exist ([`ModuleDir::remember_existing_files`]).
    existing: Option<RefCell<rustc_hash::FxHashSet<Vec<u8>>>>,
    dep: OnceCell<Option<Index>>,
    alias: OnceCell<Option<Index>>,
    symbols: OnceCell<Option<Index>>,
    builtin: OnceCell<Option<Index>>,
    builtin_alias: OnceCell<Option<Index>>,
}

/// A module a lookup found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// The module name, as the index spells it (or the file name's, for a path).
    pub name: String,
    /// The file, from `modules.dep.bin`; None for builtin modules (and for an alias
    /// whose module is in no index, which kmod shows like a builtin).
    pub path: Option<PathBuf>,
    /// Known to be built into the kernel (`modules.builtin.bin`).
    pub builtin: bool,
}

/// Why a lookup found nothing usable (the one error of every lookup: this directory's,
/// and modprobe's [`crate::resolve::Resolver::lookup`]).
#[derive(Debug)]
#[non_exhaustive]
pub enum LookupError {
    /// Not a valid alias (an unmatched bracket): kmod reports it as not found.
    BadAlias,
    /// A config alias's module name and pattern are too long for libkmod's module key
    /// (see [`crate::resolve::Diagnostic::AliasTooLong`]): kmod reports it as not found.
    NameTooLong,
    /// An index could not be read.
    Index(Error),
}

impl ModuleDir {
    /// A module directory such as `/lib/modules/6.1.0-56-amd64`.
    pub fn new(dir: impl Into<PathBuf>) -> ModuleDir {
        ModuleDir {
            dir: dir.into(),
            existing: None,
            dep: OnceCell::new(),
            alias: OnceCell::new(),
            symbols: OnceCell::new(),
            builtin: OnceCell::new(),
            builtin_alias: OnceCell::new(),
        }
    }

    /// The directory path.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// Remember, for the life of this value, the module files found to exist
    /// ([`ModuleDir::file_exists`]): for a long-lived user whose indexes are loaded
    /// once (libkmod's `kmod_load_resources`, as udevd keeps them), so that the files of
    /// a `modules.dep` line are not looked at again on every lookup. A file deleted
    /// without a new depmod is then noticed when it is opened, not when its line is
    /// read; a new depmod makes such a user reload (`kmod_validate_resources`), which
    /// starts afresh.
    pub fn remember_existing_files(&mut self) {
        self.existing.get_or_insert_with(Default::default);
    }

    /// Whether `path` exists (following symbolic links), as a `stat` says; remembered
    /// when [`ModuleDir::remember_existing_files`] asked for it.
    pub fn file_exists(&self, path: &Path) -> bool {
        use std::os::unix::ffi::OsStrExt;
        let key = path.as_os_str().as_bytes();
        if let Some(seen) = &self.existing {
            if seen.borrow().contains(key) {
                return true;
            }
        }
        let yes = std::fs::metadata(path).is_ok();
        if let (true, Some(seen)) = (yes, &self.existing) {
            seen.borrow_mut().insert(key.to_vec());
        }
        yes
    }

    /// Open every index now (what a long-lived user such as libkmod's
    /// `kmod_load_resources` wants): later lookups use these and never reopen a file.
    /// Missing and empty indexes stay "no match"; a corrupt one is an error.
    pub fn preload(&self) -> Result<()> {
        self.index(&self.dep, DEP_BIN)?;
        self.index(&self.alias, ALIAS_BIN)?;
        self.index(&self.symbols, SYMBOLS_BIN)?;
        self.index(&self.builtin_alias, BUILTIN_ALIAS_BIN)?;
        self.index(&self.builtin, BUILTIN_BIN)?;
        Ok(())
    }

    /// Use `index` as the index file `file` (one of the `*_BIN` names) from now on, as
    /// if [`ModuleDir::preload`] had opened it (`None`: the index does not exist).
    /// Returns false, changing nothing, for a name that is not one of the five.
    pub fn set_index(&mut self, file: &str, index: Option<Index>) -> bool {
        let cell = match file {
            DEP_BIN => &mut self.dep,
            ALIAS_BIN => &mut self.alias,
            SYMBOLS_BIN => &mut self.symbols,
            BUILTIN_ALIAS_BIN => &mut self.builtin_alias,
            BUILTIN_BIN => &mut self.builtin,
            _ => return false,
        };
        *cell = OnceCell::from(index);
        true
    }

    /// The index file `file` (one of the `*_BIN` names) if it was opened already (by a
    /// lookup, [`ModuleDir::preload`] or [`ModuleDir::set_index`]) and exists.
    pub fn opened(&self, file: &str) -> Option<&Index> {
        let cell = match file {
            DEP_BIN => &self.dep,
            ALIAS_BIN => &self.alias,
            SYMBOLS_BIN => &self.symbols,
            BUILTIN_ALIAS_BIN => &self.builtin_alias,
            BUILTIN_BIN => &self.builtin,
            _ => return None,
        };
        cell.get().and_then(Option::as_ref)
    }

    fn index<'a>(&self, cell: &'a OnceCell<Option<Index>>, file: &str) -> Result<Option<&'a Index>> {
        if let Some(idx) = cell.get() {
            return Ok(idx.as_ref());
        }
        let path = self.dir.join(file);
        let idx = match Index::open(&path) {
            Ok(idx) => Some(idx),
            Err(IndexError::Io(_) | IndexError::Empty) => None,
            Err(e) => return Err(Error::BadIndex { path, what: e.to_string() }),
        };
        Ok(cell.get_or_init(|| idx).as_ref())
    }

    fn exact(&self, cell: &OnceCell<Option<Index>>, file: &str, key: &[u8]) -> Result<Option<String>> {
        let Some(idx) = self.index(cell, file)? else {
            return Ok(None);
        };
        idx.lookup(key).map_err(|e| Error::BadIndex { path: self.dir.join(file), what: e.to_string() })
    }

    fn wild(&self, cell: &OnceCell<Option<Index>>, file: &str, key: &[u8]) -> Result<Vec<String>> {
        let Some(idx) = self.index(cell, file)? else {
            return Ok(Vec::new());
        };
        let found = idx
            .lookup_wild(key)
            .map_err(|e| Error::BadIndex { path: self.dir.join(file), what: e.to_string() })?;
        Ok(found.into_iter().map(|v| v.value).collect())
    }

    /// The `modules.dep` line of a module (`relpath: dep dep`), by normalised name.
    pub fn dep_line(&self, modname: &[u8]) -> Result<Option<String>> {
        self.exact(&self.dep, DEP_BIN, modname)
    }

    /// The file of a module, from its `modules.dep.bin` entry.
    pub fn module_path(&self, modname: &[u8]) -> Result<Option<PathBuf>> {
        Ok(self.dep_line(modname)?.map(|line| {
            let rel = line.split(':').next().unwrap_or_default();
            if rel.starts_with('/') {
                PathBuf::from(rel)
            } else {
                self.dir.join(rel)
            }
        }))
    }

    /// Whether `modules.builtin.bin` lists the module.
    pub fn is_builtin(&self, modname: &[u8]) -> Result<bool> {
        Ok(self.exact(&self.builtin, BUILTIN_BIN, modname)?.is_some())
    }

    fn by_name(&self, modname: &[u8], builtin: bool) -> Result<Found> {
        let path = if builtin { None } else { self.module_path(modname)? };
        Ok(Found { name: String::from_utf8_lossy(modname).into_owned(), path, builtin })
    }

    /// Name-only lookup (`modinfo -m`): dep index, builtin index, builtin aliases.
    pub fn lookup_name(&self, input: &[u8]) -> Result<Option<Found>> {
        let name = name::modname_normalize_bytes(input);
        if self.dep_line(&name)?.is_some() {
            return Ok(Some(self.by_name(&name, false)?));
        }
        if self.is_builtin(&name)? {
            return Ok(Some(self.by_name(&name, true)?));
        }
        let found = self.wild(&self.builtin_alias, BUILTIN_ALIAS_BIN, &name)?;
        Ok(match found.first() {
            Some(m) => Some(self.by_name(m.as_bytes(), true)?),
            None => None,
        })
    }

    /// Full lookup without configuration: every module the input resolves to.
    pub fn lookup(&self, input: &[u8]) -> std::result::Result<Vec<Found>, LookupError> {
        let alias = name::alias_normalize_bytes(input).ok_or(LookupError::BadAlias)?;
        self.lookup_normalized(&alias).map_err(LookupError::Index)
    }

    fn lookup_normalized(&self, alias: &[u8]) -> Result<Vec<Found>> {
        if !alias.contains(&b':') && self.dep_line(alias)?.is_some() {
            return Ok(vec![self.by_name(alias, false)?]);
        }
        if alias.starts_with(b"symbol:") {
            let names = self.wild(&self.symbols, SYMBOLS_BIN, alias)?;
            if !names.is_empty() {
                return names.iter().map(|n| self.resolve_alias_target(n)).collect();
            }
        }
        let names = self.wild(&self.alias, ALIAS_BIN, alias)?;
        if !names.is_empty() {
            return names.iter().map(|n| self.resolve_alias_target(n)).collect();
        }
        if self.is_builtin(alias)? {
            return Ok(vec![self.by_name(alias, true)?]);
        }
        let names = self.wild(&self.builtin_alias, BUILTIN_ALIAS_BIN, alias)?;
        names.iter().map(|n| self.by_name(n.as_bytes(), true)).collect()
    }

    /// A module named by an alias index: its file from the dep index, or builtin.
    fn resolve_alias_target(&self, modname: &str) -> Result<Found> {
        let path = self.module_path(modname.as_bytes())?;
        let builtin = path.is_none() && self.is_builtin(modname.as_bytes())?;
        Ok(Found { name: modname.to_string(), path, builtin })
    }

    /// Every module name `modules.alias.bin` gives for `key` (already normalised), by
    /// priority, as kmod's wildcard search returns them.
    pub fn alias_matches(&self, key: &[u8]) -> Result<Vec<String>> {
        self.wild(&self.alias, ALIAS_BIN, key)
    }

    /// Every module name `modules.symbols.bin` gives for `key` (`symbol:NAME`).
    pub fn symbol_matches(&self, key: &[u8]) -> Result<Vec<String>> {
        self.wild(&self.symbols, SYMBOLS_BIN, key)
    }

    /// Every module name `modules.builtin.alias.bin` gives for `key`.
    pub fn builtin_alias_matches(&self, key: &[u8]) -> Result<Vec<String>> {
        self.wild(&self.builtin_alias, BUILTIN_ALIAS_BIN, key)
    }

    /// Every `(key, value)` of `modules.alias.bin` in kmod's dump order, or None when
    /// the index does not exist (`modprobe -c`).
    pub fn dump_aliases(&self) -> Result<Option<Vec<(String, String)>>> {
        self.dump(&self.alias, ALIAS_BIN)
    }

    /// Every `(key, value)` of `modules.symbols.bin`, or None when it does not exist.
    pub fn dump_symbols(&self) -> Result<Option<Vec<(String, String)>>> {
        self.dump(&self.symbols, SYMBOLS_BIN)
    }

    fn dump(&self, cell: &OnceCell<Option<Index>>, file: &str) -> Result<Option<Vec<(String, String)>>> {
        let Some(idx) = self.index(cell, file)? else {
            return Ok(None);
        };
        idx.dump().map(Some).map_err(|e| Error::BadIndex { path: self.dir.join(file), what: e.to_string() })
    }

    /// Fields of a builtin module from `modules.builtin.modinfo`; None when that file
    /// does not exist (an old kernel), which kmod treats as "nothing more to show".
    pub fn builtin_modinfo(&self, modname: &str) -> Result<Option<Vec<crate::module::Field>>> {
        let path = self.dir.join("modules.builtin.modinfo");
        match std::fs::read(&path) {
            Ok(data) => Ok(Some(crate::module::modinfo::builtin_fields(&data, modname))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::io(&path, &e)),
        }
    }
}
