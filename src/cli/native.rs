//! The native `rkmod` command line (clap): `rkmod info`, and the subcommands still to
//! come, which say so and exit 1. Hidden helpers generate man pages and completions.

use clap::{Args, CommandFactory, Parser, Subcommand};

use super::info::{self, InfoOptions};
use super::log::Log;

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
    Insert(Pending),
    /// Remove modules from the kernel (rmmod)
    Remove(Pending),
    /// Load or remove modules with their dependencies (modprobe)
    Probe(Pending),
    /// Generate modules.dep and the other module indexes (depmod)
    Deps(Pending),
    /// List loaded modules (lsmod)
    List(Pending),
    /// Print a shell completion script
    #[command(hide = true)]
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Write man pages into a directory
    #[command(hide = true)]
    Man { dir: std::path::PathBuf },
}

/// Arguments of subcommands that are not implemented yet.
#[derive(Args, Debug)]
pub struct Pending {
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, hide = true)]
    args: Vec<String>,
}

#[derive(Args, Debug)]
pub struct InfoArgs {
    /// Module files, names or aliases
    #[arg(required = true, value_name = "MODULE")]
    pub modules: Vec<String>,
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
    pub field: Option<String>,
    /// Use VERSION instead of `uname -r`
    #[arg(short = 'k', long = "set-version", value_name = "VERSION")]
    pub set_version: Option<String>,
    /// Use DIR as filesystem root for /lib/modules
    #[arg(short, long, value_name = "DIR")]
    pub basedir: Option<String>,
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
        .map(|(_, f)| f.to_string())
        .or_else(|| self.field.clone());
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
pub fn main(args: Vec<String>) -> i32 {
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
        Command::Completions { shell } => {
            let mut out = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "rkmod", &mut out);
            super::output::write(&out);
            0
        }
        Command::Man { dir } => match write_man_pages(&dir) {
            Ok(()) => 0,
            Err(e) => {
                log.error(&format!("could not write man pages to {}: {e}", dir.display()));
                1
            }
        },
        other => {
            let name = format!("{other:?}").split('(').next().unwrap_or_default().to_lowercase();
            log.error(&format!("'rkmod {name}' is not implemented yet"));
            1
        }
    }
}

/// `rkmod.8` plus one page per visible subcommand (`rkmod-info.8`, ...).
pub fn write_man_pages(dir: &std::path::Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let cmd = Cli::command();
    let mut buf = Vec::new();
    clap_mangen::Man::new(cmd.clone()).section("8").render(&mut buf)?;
    std::fs::write(dir.join("rkmod.8"), &buf)?;
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        let name = format!("rkmod-{}", sub.get_name());
        let sub = sub.clone().name(Box::leak(name.clone().into_boxed_str()) as &str);
        let mut buf = Vec::new();
        clap_mangen::Man::new(sub).section("8").render(&mut buf)?;
        std::fs::write(dir.join(format!("{name}.8")), &buf)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn clap_definition_is_valid() {
        use clap::CommandFactory;
        super::Cli::command().debug_assert();
    }
}
