//! Writes a module tree whose modules form one long dependency chain (see
//! `tests/util/chain.rs`), for bench/modprobe.sh:
//! `cargo run --release --example deep-chain -- ROOT VERSION N`.

#[path = "../tests/util/chain.rs"]
mod chain;

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let [_, root, version, n] = args.as_slice() else {
        eprintln!("usage: deep-chain ROOT VERSION N");
        std::process::exit(2);
    };
    let n: usize = n.parse().expect("N is a number");
    chain::write_chain(std::path::Path::new(root), version, n)?;
    println!("{}", chain::chain_top(n));
    Ok(())
}
