//! # balnet verify
//!
//! The oracle library, and the library API that both fronts (the `balnet` command line in
//! `cli/`, the Python package in `python/`) call:
//!
//! - [`api`]: one call per command (theory, networks, simulations, DMF, paper 004), each
//!   returning a typed result whose `serde` serialisation is the command's JSON;
//! - [`check`]: `balnet check`, predictions from finite networks, acceptance regions with
//!   pass / fail / inconclusive verdicts, the prediction cache;
//! - [`golden`]: reference values with provenance, the built-in golden files and
//!   [`golden::run_cases`] (`balnet verify`);
//! - [`protocol`]: the simulation protocols every statistic of the oracle comes from;
//! - [`params_toml`]: `--params FILE.toml`;
//! - [`Error`]: one error type, bad input ([`Error::is_input`]: exit status 2, `ValueError`)
//!   or a failed computation (exit status 1, `ComputationError`).
//!
//! No command-line parsing and no terminal output here: the fronts own those.

pub mod api;
pub mod check;
pub mod error;
pub mod finite;
pub mod golden;
pub mod params_toml;
pub mod protocol;

pub use error::{Error, Result};
