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

/// The largest number of worker threads: 8 per core of this machine, at least 64. More only
/// adds memory and scheduling (issue 20: `--threads 100000` spawned threads for minutes).
pub fn max_threads() -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    (8 * cores).max(64)
}

/// Check a worker-thread count against 1..=[`max_threads`].
pub fn check_threads(n: usize) -> crate::Result<()> {
    let max = max_threads();
    if (1..=max).contains(&n) {
        Ok(())
    } else {
        Err(crate::Error::Input(format!(
            "invalid threads = {n}: valid range is 1 <= threads <= {max} (8 per core, at least 64)"
        )))
    }
}
