//! The integration tests: one test binary (faster to link on small machines).

mod util;

mod capi;
mod cli;
mod depmod_cache;
mod depmod_cycles;
mod depmod_durability;
mod depmod_hostile;
mod depmod_safety;
mod depmod_trees;
mod golden;
mod golden_kmod34;
mod load_fake;
mod man_pages;
mod modprobe_golden;
mod modprobe_scaling;
mod oracle_bytes;
mod oracle_depmod;
mod oracle_loaded;
mod oracle_modinfo;
mod oracle_modprobe;
mod oracle_quirks;
mod robustness;
