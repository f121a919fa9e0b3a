//! The critical coupling J_c: the smallest J0 with r(J0) = 1 (Eq. 30), following the
//! homogeneous fixed point continuously from weak coupling.
//!
//! At finite N the fixed point depends on J0, so r(J0) is evaluated on the branch continued
//! from J0 = `j_min` (Newton continuation, the full scan at the first point), the first sign
//! change of r - 1 on a geometric grid is bracketed, and argmin's Brent method refines it.
//!
//! At N = infinity the fixed point is the balanced limit (Eq. 6), independent of J0, with
//! inputs x = phi^-1(phi_inf): a, b, c are constants, r(J0) = J0 r(1), and
//! J_c = 1 / r(1) in closed form.

use serde::Serialize;
use std::cell::Cell;

use crate::balanced::balanced_inputs;
use crate::error::TheoryError;
use crate::fixed_point::{HomFixedPoint, homogeneous, homogeneous_near};
use crate::girko::{abc, radius};
use crate::params::Params;
use crate::roots::brent;

/// Search settings for [`critical_coupling`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct JcSearch {
    /// Smallest J0 considered (the continuation starts here).
    pub j_min: f64,
    /// Largest J0 considered.
    pub j_max: f64,
    /// Geometric grid points between them.
    pub grid: usize,
    /// Absolute tolerance on J_c.
    pub tol: f64,
}

impl Default for JcSearch {
    fn default() -> Self {
        JcSearch {
            j_min: 1e-3,
            j_max: 20.0,
            grid: 48,
            tol: 1e-12,
        }
    }
}

/// J_c with its diagnostics.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct CriticalCoupling {
    pub j_c: f64,
    /// r(J_c), equal to 1 up to the root tolerance.
    pub radius: f64,
    /// The homogeneous fixed point at J_c.
    pub x_e: f64,
    pub x_i: f64,
    /// Brent iterations.
    pub iterations: u64,
    /// Fixed-point solves used (grid plus Brent).
    pub evaluations: usize,
}

/// r(J0) on the branch through `guess`, and the fixed point it used.
pub fn radius_at(
    p: &Params,
    j0: f64,
    guess: (f64, f64),
) -> Result<(f64, HomFixedPoint), TheoryError> {
    let q = Params { j0, ..*p };
    let fp = homogeneous_near(&q, guess)?;
    let (a, b, c) = abc(&q, &fp);
    Ok((radius(&q, j0, a, b, c), fp))
}

/// J_c at finite N (see the module docs).
///
/// ```
/// use theory::{Params, critical::{critical_coupling, JcSearch}};
/// let jc = critical_coupling(&Params { n: 1e4, ..Params::default() }, &JcSearch::default()).unwrap();
/// assert!((jc.radius - 1.0).abs() < 1e-9);
/// ```
pub fn critical_coupling(p: &Params, search: &JcSearch) -> Result<CriticalCoupling, TheoryError> {
    p.validate_finite()?;
    let ratio = (search.j_max / search.j_min).powf(1.0 / (search.grid.max(2) - 1) as f64);
    let start = homogeneous(&Params {
        j0: search.j_min,
        ..*p
    })?
    .primary;
    let mut guess = (start.x_e, start.x_i);
    let mut evaluations = 1;
    let mut j_prev = search.j_min;
    let mut r_lo = f64::INFINITY;
    let mut r_hi = f64::NEG_INFINITY;
    for k in 0..search.grid {
        let j = search.j_min * ratio.powi(k as i32);
        let (r, fp) = radius_at(p, j, guess)?;
        evaluations += 1;
        r_lo = r_lo.min(r);
        r_hi = r_hi.max(r);
        if r >= 1.0 {
            if k == 0 {
                return Err(TheoryError::NoCrossing {
                    j_lo: search.j_min,
                    j_hi: search.j_max,
                    r_lo,
                    r_hi,
                });
            }
            let warm = Cell::new(guess);
            let count = Cell::new(0usize);
            let root = brent(
                |jj| {
                    count.set(count.get() + 1);
                    match radius_at(p, jj, warm.get()) {
                        Ok((rr, f)) => {
                            warm.set((f.x_e, f.x_i));
                            rr - 1.0
                        }
                        Err(_) => f64::NAN,
                    }
                },
                j_prev,
                j,
                search.tol,
                200,
            )?;
            let (r_root, fp_root) = radius_at(p, root.x, warm.get())?;
            return Ok(CriticalCoupling {
                j_c: root.x,
                radius: r_root,
                x_e: fp_root.x_e,
                x_i: fp_root.x_i,
                iterations: root.iterations,
                evaluations: evaluations + count.get(),
            });
        }
        guess = (fp.x_e, fp.x_i);
        j_prev = j;
    }
    Err(TheoryError::NoCrossing {
        j_lo: search.j_min,
        j_hi: search.j_max,
        r_lo,
        r_hi,
    })
}

/// J_c at N = infinity in closed form: 1 / r(J0 = 1) at the balanced limit.
///
/// ```
/// use theory::{Params, Variance, critical::critical_coupling_limit};
/// let p = Params { variance: Variance::Paper, ..Params::default() };
/// assert!((critical_coupling_limit(&p).unwrap() - 1.10).abs() < 0.005); // Fig. 4C
/// ```
pub fn critical_coupling_limit(p: &Params) -> Result<f64, TheoryError> {
    let (b, x_e, x_i) = balanced_inputs(p)?;
    let dpe = p.transfer.dphi(x_e);
    let dpi = p.transfer.dphi(x_i);
    let r1 = radius(p, 1.0, dpe * b.w * b.w, dpi, dpe);
    Ok(1.0 / r1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finite_n_converges_to_the_limit() {
        // The fixed point approaches the balanced limit as N^-1/2 (A ~ x / (sqrt(N) J0 j));
        // at N = 1e12 the rates differ by ~1e-6, so J_c agrees with the closed form to 1e-4.
        let p = Params {
            n: 1e12,
            ..Params::default()
        };
        let jc = critical_coupling(&p, &JcSearch::default()).unwrap();
        let lim = critical_coupling_limit(&p).unwrap();
        assert!((jc.j_c - lim).abs() < 1e-4, "{} vs {}", jc.j_c, lim);
    }

    #[test]
    fn no_crossing_is_a_typed_error() {
        let p = Params {
            n: 1e4,
            ..Params::default()
        };
        let err = critical_coupling(
            &p,
            &JcSearch {
                j_max: 0.2,
                ..JcSearch::default()
            },
        )
        .unwrap_err();
        assert!(matches!(err, TheoryError::NoCrossing { .. }), "{err}");
    }
}
