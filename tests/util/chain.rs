//! A module tree whose modules form one long dependency chain, for measuring modprobe
//! on deep dependency closures. Shared by `tests/modprobe_scaling.rs` and
//! `examples/deep-chain.rs` (bench/modprobe.sh).
//!
//! [`write_chain`] creates `ROOT/lib/modules/VERSION/kernel/chain_NNNNN.ko` (empty
//! files: resolution only looks at their paths) and `modules.dep` / `modules.dep.bin`
//! in which module `i` depends on every module below it, the way depmod lists a
//! chain's whole closure: `kernel/chain_00002.ko: kernel/chain_00001.ko
//! kernel/chain_00000.ko`. `modprobe -D chain_<N-1>` then plans N insertions.

use std::io::Write;
use std::path::Path;

/// The name of the module at the top of a chain of `n`.
pub fn chain_top(n: usize) -> String {
    format!("chain_{:05}", n - 1)
}

/// Write a chain of `n` modules under `root` for kernel `version`.
pub fn write_chain(root: &Path, version: &str, n: usize) -> std::io::Result<()> {
    let dir = root.join("lib/modules").join(version);
    std::fs::create_dir_all(dir.join("kernel"))?;
    let rel = |i: usize| format!("kernel/chain_{i:05}.ko");
    let mut text = std::io::BufWriter::new(std::fs::File::create(dir.join("modules.dep"))?);
    let mut index = rkmod::index::IndexBuilder::new();
    let mut line = String::new();
    for i in 0..n {
        std::fs::File::create(dir.join(rel(i)))?;
        line.clear();
        line.push_str(&rel(i));
        line.push(':');
        for d in (0..i).rev() {
            line.push(' ');
            line.push_str(&rel(d));
        }
        writeln!(text, "{line}")?;
        index.insert(&format!("chain_{i:05}"), &line, 0);
    }
    text.flush()?;
    std::fs::write(dir.join("modules.dep.bin"), index.to_bytes())
}
