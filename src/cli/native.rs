//! The native `rkmod` command line (clap): `info`, `insert`, `remove`, `probe`, `deps`
//! and `list` over the same engines as the kmod applets. Its man pages and shell
//! completions are rendered from [`command`] by `cargo xtask` (not by the binary).

use std::ffi::OsString;

use clap::{Args, CommandFactory, Parser, Subcommand};

use super::info::{self, InfoOptions};
use super::log::Log;
use super::native_load::{self, ForceArgs, InsertArgs, ListArgs, RemoveArgs};

/// Load, remove, inspect and index Linux kernel modules.
#[derive(Parser, Debug)]
#[command(name = "rkmod", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Show information about kernel modules (modinfo)
    Info(InfoArgs),
    /// Insert a module file into the kernel (insmod)
    Insert(InsertArgs),
    /// Remove modules from the kernel (rmmod)
    Remove(RemoveArgs),
    /// Load or remove modules with their dependencies (modprobe)
    Probe(ProbeArgs),
    /// Generate modules.dep and the other module indexes (depmod)
    #[command(after_long_help = super::depmod::NOTES)]
    Deps(DepsArgs),
    /// List loaded modules (lsmod)
    List(ListArgs),
}

/// The native command's definition (for man pages and completions).
pub fn command() -> clap::Command {
    Cli::command()
}

/// `rkmod probe`: modprobe's options (the kmod spellings as the long names).
#[derive(Args, Debug)]
pub struct ProbeArgs {
    /// Module name or alias, then its parameters (with -a or -r: several names)
    #[arg(value_name = "NAME", trailing_var_arg = true, allow_hyphen_values = true)]
    pub names: Vec<OsString>,
    /// Remove instead of load (with what became unused, all the way down)
    #[arg(short, long)]
    pub remove: bool,
    /// Every argument is a module name
    #[arg(short, long)]
    pub all: bool,
    /// Do nothing, print what would be done (with -v)
    #[arg(short = 'n', long)]
    pub dry_run: bool,
    /// Print each action (-vv: more)
    #[arg(short, long, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// No messages
    #[arg(short, long)]
    pub quiet: bool,
    /// Apply the blacklist to names too, not only to aliases
    #[arg(short = 'b', long)]
    pub use_blacklist: bool,
    /// Ignore install/remove commands and softdeps of the named module
    #[arg(short = 'i', long)]
    pub ignore_install: bool,
    #[command(flatten)]
    pub force: ForceArgs,
    /// Fail if the module is already loaded (or, with -r, not loaded)
    #[arg(long)]
    pub first_time: bool,
    /// Print the insmod/install/builtin lines that loading would run
    #[arg(short = 'D', long)]
    pub show_depends: bool,
    /// Print the module names an alias resolves to
    #[arg(short = 'R', long)]
    pub show_alias: bool,
    /// Print the configuration and the alias and symbol indexes
    #[arg(short = 'c', long)]
    pub show_config: bool,
    /// Print a module file's __versions CRCs
    #[arg(long)]
    pub show_modversions: bool,
    /// Print a module file's exported symbols
    #[arg(long)]
    pub show_exports: bool,
    /// Read this configuration file or directory instead of the default ones
    #[arg(short = 'C', long, value_name = "PATH")]
    pub config: Vec<OsString>,
    /// Root directory for /lib/modules
    #[arg(short = 'd', long, value_name = "DIR")]
    pub dirname: Option<OsString>,
    /// Kernel version instead of `uname -r`
    #[arg(short = 'S', long, value_name = "VERSION")]
    pub set_version: Option<OsString>,
    /// With -r: remove the modules holding it first
    #[arg(long)]
    pub remove_holders: bool,
    /// With -r: wait up to MSEC for the module to become unused
    #[arg(short, long, value_name = "MSEC")]
    pub wait: Option<OsString>,
    /// Explain each name's resolution (with the file and line of every config entry
    /// used or shadowed) and the plan; load nothing
    #[arg(long)]
    pub explain: bool,
    /// Print the resolution and plan as JSON (schema rkmod.probe/1; with -R
    /// rkmod.alias/1); load nothing
    #[arg(long)]
    pub json: bool,
}

/// `rkmod deps`: depmod's options.
#[derive(Args, Debug)]
pub struct DepsArgs {
    /// Kernel version (default: the running kernel); module files may follow
    // Not the id `version`: that is clap's propagated `--version` flag (a debug-build
    // assertion catches the clash).
    #[arg(id = "kernel_version", value_name = "VERSION")]
    pub version: Option<OsString>,
    /// Index only these module files (absolute paths), not the whole tree
    #[arg(value_name = "FILE")]
    pub files: Vec<OsString>,
    /// Probe all modules (the default)
    #[arg(short, long)]
    pub all: bool,
    /// Do nothing if no module is newer than modules.dep
    #[arg(short = 'A', long)]
    pub quick: bool,
    /// Use DIR as the root of the module tree
    #[arg(short, long, value_name = "DIR")]
    pub basedir: Option<OsString>,
    /// Module directory under the root (default lib/modules)
    #[arg(short, long, value_name = "DIR")]
    pub moduledir: Option<OsString>,
    /// Write the indexes under DIR instead of the input root
    #[arg(short, long, value_name = "DIR")]
    pub outdir: Option<OsString>,
    /// Read depmod.d configuration from PATH (file or directory; repeatable)
    #[arg(short = 'C', long, value_name = "PATH")]
    pub config: Vec<OsString>,
    /// Check symbol versions against this Module.symvers
    #[arg(short = 'E', long, value_name = "FILE")]
    pub symvers: Option<OsString>,
    /// Take the kernel's symbols from this System.map
    #[arg(short = 'F', long, value_name = "FILE")]
    pub filesyms: Option<OsString>,
    /// Report symbols no module or kernel supplies (with -E or -F)
    #[arg(short, long)]
    pub errsyms: bool,
    /// Print the text files to stdout, write nothing
    #[arg(short = 'n', long = "dry-run")]
    pub dry_run: bool,
    /// Architecture symbol prefix character
    #[arg(short = 'P', long, value_name = "C")]
    pub symbol_prefix: Option<OsString>,
    /// Print each dependency found
    #[arg(short, long)]
    pub verbose: bool,
    /// Warn about duplicate index entries
    #[arg(short, long)]
    pub warn: bool,
}

#[derive(Args, Debug)]
pub struct InfoArgs {
    /// Module files, names or aliases
    #[arg(required = true, value_name = "MODULE")]
    pub modules: Vec<OsString>,
    /// Print only 'author'
    #[arg(short, long)]
    pub author: bool,
    /// Print only 'description'
    #[arg(short, long)]
    pub description: bool,
    /// Print only 'license'
    #[arg(short, long)]
    pub license: bool,
    /// Print only 'parm'
    #[arg(short = 'p', long)]
    pub parameters: bool,
    /// Print only 'filename'
    #[arg(short = 'n', long)]
    pub filename: bool,
    /// Use \0 instead of \n
    #[arg(short = '0', long)]
    pub null: bool,
    /// Handle arguments as module names, not aliases or files
    #[arg(short, long)]
    pub modname: bool,
    /// Print only the values of FIELD
    #[arg(short = 'F', long, value_name = "FIELD")]
    pub field: Option<OsString>,
    /// Use VERSION instead of `uname -r`
    #[arg(short = 'k', long = "set-version", value_name = "VERSION")]
    pub set_version: Option<OsString>,
    /// Use DIR as filesystem root for /lib/modules
    #[arg(short, long, value_name = "DIR")]
    pub basedir: Option<OsString>,
    /// Print JSON (schema rkmod.info/1)
    #[arg(long, conflicts_with_all = ["field", "null", "author", "description", "license", "parameters", "filename"])]
    pub json: bool,
}

impl InfoArgs {
    fn options(&self) -> InfoOptions {
        let field = [
            (self.author, "author"),
            (self.description, "description"),
            (self.license, "license"),
            (self.parameters, "parm"),
            (self.filename, "filename"),
        ]
        .iter()
        .find(|(on, _)| *on)
        .map(|(_, f)| f.as_bytes().to_vec())
        .or_else(|| self.field.clone().map(std::os::unix::ffi::OsStringExt::into_vec));
        InfoOptions {
            field,
            null: self.null,
            modname_only: self.modname,
            basedir: self.basedir.clone(),
            kversion: self.set_version.clone(),
            build_id: true,
        }
    }
}

/// Run the native CLI.
pub fn main(args: Vec<OsString>, stdio: super::stdio::Stdio) -> i32 {
    let cli = match Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { 1 } else { 0 };
        }
    };
    let log = Log::new("rkmod");
    match cli.command {
        Command::Info(a) if a.json => super::info_json::run(&a.options(), &a.modules, &log),
        Command::Info(a) => info::run(&a.options(), &a.modules, &log),
        Command::Deps(d) => match super::depmod::Args::from_native(&d, &log) {
            Some(a) => super::depmod::run(a, &log),
            None => 1,
        },
        Command::Insert(a) => native_load::insert(&a, &log),
        Command::Remove(a) => native_load::remove(&a, &log),
        Command::List(a) => native_load::list(&a, &log),
        Command::Probe(p) => {
            let native = super::modprobe::Native { enabled: true, explain: p.explain, json: p.json };
            match super::modprobe::Opts::from_native(&p) {
                Ok(o) => super::modprobe::run(o, p.names.clone(), "rkmod", stdio, native),
                Err(msg) => {
                    log.error(&msg);
                    1
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn clap_definition_is_valid() {
        use clap::CommandFactory;
        super::Cli::command().debug_assert();
    }
}
