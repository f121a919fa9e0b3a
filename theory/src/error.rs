//! Typed errors. Every variant carries the numbers needed to act on it, and its `Display` is
//! one line that names the parameter (or the solver) and the valid range (or the residual).

use thiserror::Error;

/// An invalid parameter value.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum ParamError {
    /// A parameter outside its valid range.
    #[error("invalid {name} = {value}: valid range is {range}")]
    OutOfRange {
        name: &'static str,
        value: f64,
        range: &'static str,
    },
    /// An in-degree K = c N below 1 at finite N.
    #[error("invalid {name}: the in-degree {name} * n = {k} at n = {n} must be >= 1")]
    InDegreeTooSmall { name: &'static str, k: f64, n: f64 },
}

impl ParamError {
    /// The name of the offending parameter (as spelled in [`crate::Params`]).
    pub fn parameter(&self) -> &'static str {
        match self {
            ParamError::OutOfRange { name, .. } | ParamError::InDegreeTooSmall { name, .. } => name,
        }
    }
}

/// Errors of the theory computations.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum TheoryError {
    #[error(transparent)]
    Param(#[from] ParamError),
    /// Eq. 6 has no finite positive solution (Eq. 7 violated, or u tau_D = 0).
    #[error(
        "no balanced limit for g_e = {g_e}, g_i = {g_i}, u*tau_d = {tau_u}: \
         finite positive rates need 0 < g_e < g_i and u*tau_d > 0 (Eq. 7)"
    )]
    NoBalancedLimit { g_e: f64, g_i: f64, tau_u: f64 },
    /// The balanced-limit rate is outside the range of the transfer function.
    #[error(
        "the balanced-limit rate {population} = {rate} is outside the range {range} of the transfer function"
    )]
    RateOutOfRange {
        population: &'static str,
        rate: f64,
        range: &'static str,
    },
    /// No homogeneous fixed point was found in the searched window.
    #[error("{0}")]
    Unsupported(String),
    #[error("no homogeneous fixed point found for x_E in [{lo}, {hi}]")]
    NoFixedPoint { lo: f64, hi: f64 },
    /// r(J0) - 1 has no sign change in the searched range of J0.
    #[error(
        "no critical coupling in j0 in [{j_lo}, {j_hi}]: the Girko radius stays {r_lo:.4}..{r_hi:.4} \
         (never crosses 1)"
    )]
    NoCrossing {
        j_lo: f64,
        j_hi: f64,
        r_lo: f64,
        r_hi: f64,
    },
    /// An iterative solver stopped without meeting its tolerance.
    #[error("{solver} did not converge after {iterations} iterations (residual {residual:.3e})")]
    NotConverged {
        solver: &'static str,
        iterations: usize,
        residual: f64,
    },
    /// The caller stopped an iterative solver (e.g. Ctrl-C in Python).
    #[error("interrupted after iteration {iteration}")]
    Interrupted { iteration: usize },
    /// The requested heterogeneous branch does not exist (the homogeneous point is stable).
    #[error(
        "no heterogeneous fixed point: the Girko radius r = {radius:.6} < 1, so only the homogeneous branch exists"
    )]
    NoHeterogeneousBranch { radius: f64 },
}
