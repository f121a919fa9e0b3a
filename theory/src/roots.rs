//! Bracketed scalar root finding through argmin's `BrentRoot`, returning diagnostics.

use argmin::core::{CostFunction, Error, Executor, State};
use argmin::solver::brent::BrentRoot;

use crate::error::TheoryError;

/// A root with its diagnostics.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Root {
    pub x: f64,
    /// |f(x)| at the returned point.
    pub residual: f64,
    pub iterations: u64,
}

struct Fun<F>(F);

impl<F: Fn(f64) -> f64> CostFunction for Fun<F> {
    type Param = f64;
    type Output = f64;
    fn cost(&self, x: &f64) -> Result<f64, Error> {
        Ok((self.0)(*x))
    }
}

/// The root of `f` in [lo, hi] (f(lo) f(hi) <= 0 required) to absolute tolerance `tol`
/// (plus 2 eps |x|, argmin's convention), at most `max_iters` iterations.
pub fn brent(
    f: impl Fn(f64) -> f64,
    lo: f64,
    hi: f64,
    tol: f64,
    max_iters: u64,
) -> Result<Root, TheoryError> {
    let res = Executor::new(Fun(f), BrentRoot::new(lo, hi, tol))
        .configure(|s| s.max_iters(max_iters))
        .run()
        .map_err(|_| TheoryError::NotConverged {
            solver: "brent root (no sign change)",
            iterations: 0,
            residual: f64::NAN,
        })?;
    let state = res.state();
    let x = *state.get_best_param().unwrap_or(&f64::NAN);
    let residual = state.get_best_cost();
    let iterations = state.get_iter();
    if !state.get_termination_status().terminated() || iterations >= max_iters {
        return Err(TheoryError::NotConverged {
            solver: "brent root",
            iterations: iterations as usize,
            residual,
        });
    }
    Ok(Root {
        x,
        residual,
        iterations,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn finds_a_bracketed_root() {
        let r = super::brent(|x| x * x - 2.0, 0.0, 2.0, 1e-14, 100).unwrap();
        assert!((r.x - 2f64.sqrt()).abs() < 1e-13);
        assert!(super::brent(|x| x * x + 1.0, 0.0, 2.0, 1e-14, 100).is_err());
    }
}
