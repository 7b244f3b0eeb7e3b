//! The integration tests: one test binary (faster to link on small machines).

mod util;

mod golden;
mod oracle_modinfo;
mod robustness;
