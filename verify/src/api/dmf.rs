//! The dynamic mean-field theory of rate chaos (Eqs. 10, 40-56; Figs. 7-8) at any N, with
//! standard errors from independent chains.

use std::ops::ControlFlow;

use serde::{Serialize, Serializer};
use theory::Params;
use theory::dmf::{DmfOptions, DmfSolution, IterationRecord, solve_controlled};

use crate::{Error, Result};

/// N as JSON: a number, or `"inf"` for the N -> infinity limit.
fn n_json<S: Serializer>(n: &f64, s: S) -> std::result::Result<S::Ok, S::Error> {
    if n.is_finite() {
        s.serialize_f64(*n)
    } else {
        s.serialize_str("inf")
    }
}

/// A DMF solution and its N (the JSON of `balnet dmf`).
#[derive(Clone, Debug, Serialize)]
pub struct Dmf {
    #[serde(flatten)]
    pub solution: DmfSolution,
    #[serde(serialize_with = "n_json")]
    pub n: f64,
}

/// Solve the DMF at `p` (N may be infinite). `progress` hears every iteration and may stop
/// the solver. A solution that did not reach its target is returned with `converged` false:
/// the caller says so (the command line exits with status 1, Python raises).
pub fn dmf(
    p: &Params,
    opts: &DmfOptions,
    progress: impl FnMut(&IterationRecord) -> ControlFlow<()>,
) -> Result<Dmf> {
    if p.n.is_nan() || p.n == f64::NEG_INFINITY {
        return Err(Error::Input(format!(
            "invalid n = {}: valid range is 1 <= n <= inf",
            p.n
        )));
    }
    opts.validate()?;
    let solution = solve_controlled(p, opts, progress)?;
    Ok(Dmf { solution, n: p.n })
}

/// Why a solution did not converge, with its numbers.
pub fn not_converged(d: &Dmf, opts: &DmfOptions) -> String {
    let s = &d.solution;
    format!(
        "dmf did not converge: {} after {} iterations in {} chains (relative standard error of \
         Delta0_E {:.2e}, target {:.2e})",
        s.termination,
        s.iterations,
        s.chains,
        s.stderr.delta0_e / s.values.delta0_e,
        opts.target_rel_stderr
    )
}
