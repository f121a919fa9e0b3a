//! The library API under both fronts: every computation of the `balnet` command line and of
//! the Python package is one call here, returning a typed result whose `serde` serialisation
//! is the command's JSON (fields marked `skip` are arrays and details the fronts show in their
//! own way). The command line parses flags, calls, and prints; Python converts arguments,
//! calls, and returns the same fields.
//!
//! - [`theory`]: balanced limit, fixed points, J_c, scans, the report (paper 001).
//! - [`dmf`]: the dynamic mean-field theory of rate chaos.
//! - [`network`]: networks generated from a seed or read from a directory.
//! - [`rate`]: rate simulations, correlations, spectrum, Lyapunov exponents.
//! - [`lif`]: LIF spiking simulations.
//! - [`sweep`]: sharded, resumable sweeps of the Lyapunov exponents.
//! - [`ssn`]: paper 004: the Ricciardi rate, the power-law fit, SSN steady states and scans,
//!   the LIF network against its SSN.
//!
//! The oracle's entry points are [`crate::check::check`] and [`crate::golden::run_cases`].

pub mod dmf;
pub mod lif;
pub mod network;
pub mod rate;
pub mod ssn;
pub mod sweep;
pub mod theory;
