//! The integration tests: one test binary (faster to link on small machines).

mod util;

mod capi;
mod cli;
mod depmod_cache;
mod depmod_safety;
mod depmod_trees;
mod golden;
mod load_fake;
mod man_pages;
mod modprobe_golden;
mod modprobe_scaling;
mod oracle_bytes;
mod oracle_depmod;
mod oracle_loaded;
mod oracle_modinfo;
mod oracle_modprobe;
mod robustness;
