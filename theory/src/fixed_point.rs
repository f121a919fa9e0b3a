//! The homogeneous fixed point (Eq. 5) for any N, and the solver of the mean equations that
//! the heterogeneous fixed point (Eq. 31) reuses.
//!
//! ## Formulation
//! Eq. 5 reads x_E = s j_E A^E + I0 and x_I = s j_I A^I + I0 with s = sqrt(N) J0 and the
//! balance residuals of Eq. 11,
//!
//! * A^E(x_E, x_I) = sqrt(c_E) psi(x_E) - g_E sqrt(c_I) r_I(x_I),   psi = [phi_E w]
//! * A^I(x_E, x_I) = sqrt(c_E) r_E(x_E) - g_I sqrt(c_I) r_I(x_I),
//!
//! with w = 1 / (1 + tau_D u phi_E) (Eq. 5c) eliminated. Iterating x <- s j A + I0 has gain
//! s j phi' ~ 1e5 at N = 1e12 and diverges, and a Newton step on x - s j A - I0 mixes terms of
//! size 1e5 with the O(1) answer. We solve instead the residual form
//!
//! * F_E = A^E - (x_E - I0) / (s j_E) = 0,   F_I = A^I - (x_I - I0) / (s j_I) = 0,
//!
//! whose terms are rates of order 0.1 at every N: the root is determined to ~1e-15 in x at
//! N = 1e12. F_I is strictly decreasing in x_I, so x_I(x_E) is unique and found by a
//! safeguarded Newton iteration; the remaining scalar equation G(x_E) = F_E(x_E, x_I(x_E))
//! can have several roots, which a scan over the whole a-priori window of x_E brackets
//! (a fine grid where phi varies, a geometric one outside, where G is monotone or linear)
//! and Brent's method refines. Roots closer together than the grid step (0.05 in x) that do
//! not change the sign of G (tangencies) can be missed; every root with a sign change is found.
//!
//! The window: x_E <= I0 + s j_E sqrt(c_E) sup(psi) and x_E >= I0 - s j_E g_E sqrt(c_I) sup(r_I)
//! on the same branch; sup psi = 1 / (1 + tau_D u) for erf, 1 / (tau_D u) for LIF. A LIF
//! network without depression (u = 0) has no bound and the scan stops at |x| = 1e9.

use serde::Serialize;

use crate::error::TheoryError;
use crate::params::Params;
use crate::roots::brent;
use crate::transfer::Transfer;

/// Population response functions entering the mean equations: the homogeneous fixed point
/// uses phi itself ([`Pointwise`]); the heterogeneous one uses Gaussian averages.
pub trait Response {
    /// ([phi_E], d/dx, [phi_E w], d/dx) at mean input x of the excitatory population.
    fn excitatory(&self, x: f64) -> (f64, f64, f64, f64);
    /// ([phi_I], d/dx) at mean input x of the inhibitory population.
    fn inhibitory(&self, x: f64) -> (f64, f64);
    /// An upper bound of [phi_E w].
    fn psi_sup(&self) -> f64;
    /// An upper bound of the rates.
    fn rate_sup(&self) -> f64;
    /// Where to scan x_E finely.
    fn window(&self) -> (f64, f64);
}

/// The transfer function itself, with the stationary depression of Eq. 5c.
#[derive(Clone, Copy, Debug)]
pub struct Pointwise {
    pub transfer: Transfer,
    pub tau_u: f64,
}

impl Response for Pointwise {
    #[inline]
    fn excitatory(&self, x: f64) -> (f64, f64, f64, f64) {
        let (p, dp) = self.transfer.phi_dphi(x);
        let w = 1.0 / (1.0 + self.tau_u * p);
        (p, dp, p * w, dp * w * w)
    }
    #[inline]
    fn inhibitory(&self, x: f64) -> (f64, f64) {
        self.transfer.phi_dphi(x)
    }
    fn psi_sup(&self) -> f64 {
        psi_sup(&self.transfer, self.tau_u)
    }
    fn rate_sup(&self) -> f64 {
        self.transfer.sup()
    }
    fn window(&self) -> (f64, f64) {
        self.transfer.active_window()
    }
}

/// sup over x of phi / (1 + tau_u phi).
pub(crate) fn psi_sup(t: &Transfer, tau_u: f64) -> f64 {
    let s = t.sup();
    if s.is_infinite() {
        if tau_u > 0.0 {
            1.0 / tau_u
        } else {
            f64::INFINITY
        }
    } else {
        s / (1.0 + tau_u * s)
    }
}

/// The coefficients of the mean equations (Eqs. 5a-b, 31a-b).
#[derive(Clone, Copy, Debug)]
pub struct MeanSystem {
    /// s j_E = sqrt(N) J0 j_E.
    pub ke: f64,
    /// s j_I = sqrt(N) J0 j_I.
    pub ki: f64,
    pub sce: f64,
    pub sci: f64,
    pub g_e: f64,
    pub g_i: f64,
    pub i0: f64,
}

/// Largest |x| the scan considers.
const X_CAP: f64 = 1e9;
/// Step of the fine scan grid in x.
const GRID_STEP: f64 = 0.05;

impl MeanSystem {
    pub fn new(p: &Params) -> Self {
        let s = p.coupling_scale();
        MeanSystem {
            ke: s * p.j_e,
            ki: s * p.j_i,
            sce: p.c_e.sqrt(),
            sci: p.c_i.sqrt(),
            g_e: p.g_e,
            g_i: p.g_i,
            i0: p.i0,
        }
    }

    /// F_I(x_I) for a given excitatory rate r_E, and its derivative in x_I.
    fn f_i<R: Response>(&self, resp: &R, r_e: f64, y: f64) -> (f64, f64) {
        let (ri, dri) = resp.inhibitory(y);
        (
            self.sce * r_e - self.g_i * self.sci * ri - (y - self.i0) / self.ki,
            -self.g_i * self.sci * dri - 1.0 / self.ki,
        )
    }

    /// The unique x_I solving F_I = 0 for the excitatory rate r_E (safeguarded Newton
    /// inside the bracket [I0 - s j_I g_I sqrt(c_I) r_I(hi), hi = I0 + s j_I sqrt(c_E) r_E]).
    pub fn solve_inhibitory<R: Response>(&self, resp: &R, r_e: f64, guess: f64) -> f64 {
        if self.ki == 0.0 {
            return self.i0;
        }
        let mut hi = (self.i0 + self.ki * self.sce * r_e).min(X_CAP);
        let mut lo = (self.i0 - self.ki * self.g_i * self.sci * resp.inhibitory(hi).0).max(-X_CAP);
        if hi <= lo {
            return hi;
        }
        let mut y = if guess > lo && guess < hi {
            guess
        } else {
            0.5 * (lo + hi)
        };
        for _ in 0..300 {
            let (f, df) = self.f_i(resp, r_e, y);
            if f == 0.0 {
                return y;
            }
            if f > 0.0 {
                lo = y;
            } else {
                hi = y;
            }
            let mut next = y - f / df;
            if !(next > lo && next < hi) {
                next = 0.5 * (lo + hi);
            }
            let tol = 4.0 * f64::EPSILON * next.abs().max(1.0);
            if (next - y).abs() <= tol || hi - lo <= tol {
                return next;
            }
            y = next;
        }
        y
    }

    /// The inhibitory rate at the solution y = x_I(r_E) of F_I = 0, by the better
    /// conditioned of two equivalent routes: r_I(y) directly (error ~ eps |y| r_I'), or the
    /// balance equation r_I = (sqrt(c_E) r_E - (y - I0) / (s j_I)) / (g_I sqrt(c_I)) (error
    /// ~ eps |y| / (s j_I)). The second matters where r_I' is huge, as at the LIF threshold:
    /// at N = 1e9 the root can sit 1e-55 above z = 1, so y itself rounds to 1 and r_I(y)
    /// would be 0 or 0.03 instead of the true 0.008.
    pub fn inhibitory_rate<R: Response>(&self, resp: &R, r_e: f64, y: f64) -> f64 {
        let (ri, dri) = resp.inhibitory(y);
        let gs = self.g_i * self.sci;
        // Rounding error of each route, in units of eps.
        let direct = y.abs() * dri;
        let balance = ((y.abs() + self.i0) / self.ki + self.sce * r_e) / gs;
        if gs > 0.0 && direct > balance {
            ((self.sce * r_e - (y - self.i0) / self.ki) / (self.g_i * self.sci))
                .clamp(0.0, resp.rate_sup())
        } else {
            ri
        }
    }

    /// The excitatory psi = r_E w at a root of F_E = 0 with inhibitory rate r_I, by the
    /// better conditioned route (see [`MeanSystem::inhibitory_rate`]).
    pub fn excitatory_psi<R: Response>(&self, resp: &R, x_e: f64, r_i: f64) -> f64 {
        let (_, _, psi, dpsi) = resp.excitatory(x_e);
        let direct = x_e.abs() * dpsi;
        let balance = ((x_e.abs() + self.i0) / self.ke + self.g_e * self.sci * r_i) / self.sce;
        if self.sce > 0.0 && direct > balance {
            ((self.g_e * self.sci * r_i + (x_e - self.i0) / self.ke) / self.sce)
                .clamp(0.0, resp.psi_sup())
        } else {
            psi
        }
    }

    /// G(x_E) = F_E(x_E, x_I(x_E)) and the x_I it used.
    pub fn g<R: Response>(&self, resp: &R, x_e: f64, guess_i: f64) -> (f64, f64) {
        let (r_e, _, psi, _) = resp.excitatory(x_e);
        let y = self.solve_inhibitory(resp, r_e, guess_i);
        let ri = self.inhibitory_rate(resp, r_e, y);
        let drive = if self.ke == 0.0 {
            0.0
        } else {
            (x_e - self.i0) / self.ke
        };
        (self.sce * psi - self.g_e * self.sci * ri - drive, y)
    }

    /// The a-priori window of x_E that contains every solution.
    pub fn window<R: Response>(&self, resp: &R) -> (f64, f64) {
        let hi = (self.i0 + self.ke * self.sce * resp.psi_sup()).min(X_CAP);
        let (r_e_hi, ..) = resp.excitatory(hi);
        let y_hi = (self.i0 + self.ki * self.sce * r_e_hi).min(X_CAP);
        let ri_sup = resp.inhibitory(y_hi).0.min(resp.rate_sup());
        let lo = (self.i0 - self.ke * self.g_e * self.sci * ri_sup).max(-X_CAP);
        (lo, hi.max(lo))
    }

    /// Every solution (x_E, x_I) of the mean equations whose G changes sign, and the number
    /// of grid points scanned.
    pub fn solve_all<R: Response>(
        &self,
        resp: &R,
    ) -> Result<(Vec<(f64, f64)>, usize), TheoryError> {
        if self.ke == 0.0 {
            let (r_e, ..) = resp.excitatory(self.i0);
            return Ok((
                vec![(self.i0, self.solve_inhibitory(resp, r_e, self.i0))],
                1,
            ));
        }
        let (lo, hi) = self.window(resp);
        let grid = scan_grid(lo, hi, resp.window(), GRID_STEP);
        let mut roots = Vec::new();
        let mut guess = 0.0;
        let mut prev: Option<(f64, f64, f64)> = None;
        for &x in &grid {
            let (gx, y) = self.g(resp, x, guess);
            guess = y;
            if gx == 0.0 {
                roots.push((x, y));
            } else if let Some((xp, gp, yp)) = prev {
                if gp != 0.0 && gp.signum() != gx.signum() {
                    let warm = std::cell::Cell::new(yp);
                    let root = brent(
                        |xe| {
                            let (v, y) = self.g(resp, xe, warm.get());
                            warm.set(y);
                            v
                        },
                        xp,
                        x,
                        0.0,
                        200,
                    )?;
                    let (r_e, ..) = resp.excitatory(root.x);
                    roots.push((root.x, self.solve_inhibitory(resp, r_e, warm.get())));
                }
            }
            prev = Some((x, gx, y));
        }
        if roots.is_empty() {
            return Err(TheoryError::NoFixedPoint { lo, hi });
        }
        Ok((roots, grid.len()))
    }

    /// Newton's method on (F_E, F_I) from `start`, with backtracking on the residual norm.
    /// Returns None if it does not converge in 50 iterations (the caller then scans).
    pub fn newton<R: Response>(&self, resp: &R, start: (f64, f64)) -> Option<(f64, f64)> {
        if self.ke == 0.0 || self.ki == 0.0 {
            return None;
        }
        let resid = |xe: f64, xi: f64| {
            let (re, dre, psi, dpsi) = resp.excitatory(xe);
            let (ri, dri) = resp.inhibitory(xi);
            let f = [
                self.sce * psi - self.g_e * self.sci * ri - (xe - self.i0) / self.ke,
                self.sce * re - self.g_i * self.sci * ri - (xi - self.i0) / self.ki,
            ];
            let j = [
                [self.sce * dpsi - 1.0 / self.ke, -self.g_e * self.sci * dri],
                [self.sce * dre, -self.g_i * self.sci * dri - 1.0 / self.ki],
            ];
            (f, j)
        };
        let norm = |f: [f64; 2]| f[0].abs().max(f[1].abs());
        let (mut xe, mut xi) = start;
        let (mut f, mut j) = resid(xe, xi);
        for _ in 0..50 {
            let det = j[0][0] * j[1][1] - j[0][1] * j[1][0];
            if det == 0.0 || !det.is_finite() {
                return None;
            }
            let dxe = (f[0] * j[1][1] - f[1] * j[0][1]) / det;
            let dxi = (j[0][0] * f[1] - j[1][0] * f[0]) / det;
            let mut t = 1.0;
            loop {
                let (ne, ni) = (xe - t * dxe, xi - t * dxi);
                let (nf, nj) = resid(ne, ni);
                if norm(nf) <= norm(f) || t < 1e-6 {
                    let small = (t * dxe).abs() <= 4.0 * f64::EPSILON * ne.abs().max(1.0)
                        && (t * dxi).abs() <= 4.0 * f64::EPSILON * ni.abs().max(1.0);
                    (xe, xi, f, j) = (ne, ni, nf, nj);
                    if small || norm(f) == 0.0 {
                        return Some((xe, xi));
                    }
                    break;
                }
                t *= 0.5;
            }
            if t < 1e-6 {
                return None;
            }
        }
        // Accept a stalled iterate only if the residual is at rounding level.
        (norm(f) <= 1e-13).then_some((xe, xi))
    }
}

/// Scan points in [lo, hi]: step h inside `window`, geometric (ratio 1.25) outside.
pub fn scan_grid(lo: f64, hi: f64, window: (f64, f64), h: f64) -> Vec<f64> {
    let mut pts = vec![lo, hi];
    let (a, b) = (window.0.max(lo), window.1.min(hi));
    if a < b {
        let n = ((b - a) / h).ceil() as usize;
        pts.extend((0..=n).map(|k| a + (b - a) * k as f64 / n as f64));
    }
    let mut d = h;
    while window.0 - d > lo {
        pts.push(window.0 - d);
        d *= 1.25;
    }
    let mut d = h;
    while window.1 + d < hi {
        pts.push(window.1 + d);
        d *= 1.25;
    }
    pts.retain(|x| *x >= lo && *x <= hi);
    pts.sort_by(f64::total_cmp);
    pts.dedup();
    pts
}

/// The homogeneous fixed point of Eq. 5.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct HomFixedPoint {
    pub x_e: f64,
    pub x_i: f64,
    pub w: f64,
    pub phi_e: f64,
    pub phi_i: f64,
    /// Balance residual A^E of Eq. 11, (x_E - I0) / (sqrt(N) J0 j_E).
    pub a_e: f64,
    /// Balance residual A^I of Eq. 11, (x_I - I0) / (sqrt(N) J0 j_I).
    pub a_i: f64,
}

impl HomFixedPoint {
    /// Assemble the derived quantities at (x_E, x_I).
    pub fn at(p: &Params, x_e: f64, x_i: f64) -> Self {
        let phi_e = p.transfer.phi(x_e);
        let phi_i = p.transfer.phi(x_i);
        let w = 1.0 / (1.0 + p.tau_u() * phi_e);
        let s = p.coupling_scale();
        // (x - I0) / (s j) is the accurate form of A at the root (no cancellation); it
        // needs s j > 0, otherwise the rates give A directly.
        let a_e = if s * p.j_e > 0.0 {
            (x_e - p.i0) / (s * p.j_e)
        } else {
            p.c_e.sqrt() * phi_e * w - p.g_e * p.c_i.sqrt() * phi_i
        };
        let a_i = if s * p.j_i > 0.0 {
            (x_i - p.i0) / (s * p.j_i)
        } else {
            p.c_e.sqrt() * phi_e - p.g_i * p.c_i.sqrt() * phi_i
        };
        HomFixedPoint {
            x_e,
            x_i,
            w,
            phi_e,
            phi_i,
            a_e,
            a_i,
        }
    }

    /// As [`HomFixedPoint::at`], but with the rates taken by the better conditioned route of
    /// [`MeanSystem::inhibitory_rate`] and [`MeanSystem::excitatory_psi`] (they differ from
    /// phi(x) only where phi' is so steep that x cannot resolve the rate).
    fn solved(p: &Params, sys: &MeanSystem, resp: &Pointwise, x_e: f64, x_i: f64) -> Self {
        let r_e0 = p.transfer.phi(x_e);
        let phi_i = sys.inhibitory_rate(resp, r_e0, x_i);
        let psi = sys.excitatory_psi(resp, x_e, phi_i);
        // psi = phi / (1 + tau_u phi)  <=>  phi = psi / (1 - tau_u psi).
        let phi_e = if psi == resp.excitatory(x_e).2 {
            r_e0
        } else {
            psi / (1.0 - p.tau_u() * psi)
        };
        let fp = HomFixedPoint::at(p, x_e, x_i);
        HomFixedPoint {
            w: 1.0 / (1.0 + p.tau_u() * phi_e),
            phi_e,
            phi_i,
            ..fp
        }
    }
}

/// All homogeneous fixed points found, with the one reported by default.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct HomSolution {
    /// The solution with the largest phi_E (the active state when a quiescent one coexists).
    pub primary: HomFixedPoint,
    /// Every solution found, ordered by x_E.
    pub all: Vec<HomFixedPoint>,
    /// The window of x_E that was searched.
    pub window: (f64, f64),
    /// Number of scan points.
    pub grid_points: usize,
}

/// The right-hand sides of Eq. 5a-b as printed (for residual checks; ill-conditioned at
/// large N, which is why the solver does not use them).
pub fn eq5_rhs(p: &Params, x_e: f64, x_i: f64) -> (f64, f64) {
    let (pe, pi) = (p.transfer.phi(x_e), p.transfer.phi(x_i));
    let w = 1.0 / (1.0 + p.tau_u() * pe);
    let s = p.coupling_scale();
    (
        s * p.j_e * (p.c_e.sqrt() * pe * w - p.g_e * p.c_i.sqrt() * pi) + p.i0,
        s * p.j_i * (p.c_e.sqrt() * pe - p.g_i * p.c_i.sqrt() * pi) + p.i0,
    )
}

fn pointwise(p: &Params) -> Pointwise {
    Pointwise {
        transfer: p.transfer,
        tau_u: p.tau_u(),
    }
}

/// Every homogeneous fixed point of Eq. 5 (see the module docs for the method).
///
/// ```
/// use theory::{Params, fixed_point::homogeneous};
/// let sol = homogeneous(&Params { n: 1e12, ..Params::default() }).unwrap();
/// assert!((sol.primary.phi_e - 0.2).abs() < 1e-3); // the balanced limit, Eq. 6a
/// ```
pub fn homogeneous(p: &Params) -> Result<HomSolution, TheoryError> {
    p.validate_finite()?;
    let sys = MeanSystem::new(p);
    let resp = pointwise(p);
    let (roots, grid_points) = sys.solve_all(&resp)?;
    let all: Vec<HomFixedPoint> = roots
        .iter()
        .map(|&(xe, xi)| HomFixedPoint::solved(p, &sys, &resp, xe, xi))
        .collect();
    let primary = *all
        .iter()
        .max_by(|a, b| a.phi_e.total_cmp(&b.phi_e))
        .expect("solve_all returns at least one root");
    Ok(HomSolution {
        primary,
        all,
        window: sys.window(&resp),
        grid_points,
    })
}

/// The homogeneous fixed point nearest to `guess` = (x_E, x_I): Newton's method from the
/// guess (continuation along a parameter), falling back to the full scan.
pub fn homogeneous_near(p: &Params, guess: (f64, f64)) -> Result<HomFixedPoint, TheoryError> {
    p.validate_finite()?;
    let sys = MeanSystem::new(p);
    if let Some((xe, xi)) = sys.newton(&pointwise(p), guess) {
        return Ok(HomFixedPoint::solved(p, &sys, &pointwise(p), xe, xi));
    }
    let sol = homogeneous(p)?;
    Ok(*sol
        .all
        .iter()
        .min_by(|a, b| ((a.x_e - guess.0).abs()).total_cmp(&(b.x_e - guess.0).abs()))
        .expect("non-empty"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::balanced::balanced_inputs;

    #[test]
    fn residual_form_is_accurate_at_all_sizes() {
        // |x - RHS(x)| of Eq. 5: evaluating the RHS costs s j * eps * (sum of |terms|) of
        // rounding, with s j up to 1.5e5 at N = 1e12, so the bound is 64 eps (1 + s j).
        for &n in &[1e3, 1e4, 2e4, 1e6, 1e9, 1e12] {
            for &(j0, i0) in &[(0.1, 0.0), (0.9, 2.0), (1.5, 0.3), (0.0, 1.0)] {
                let p = Params {
                    n,
                    j0,
                    i0,
                    ..Params::default()
                };
                let sol = homogeneous(&p).unwrap();
                for fp in &sol.all {
                    let (re, ri) = eq5_rhs(&p, fp.x_e, fp.x_i);
                    let s = p.coupling_scale() * p.j_i;
                    assert!(
                        (fp.x_e - re).abs() <= 64.0 * f64::EPSILON * (1.0 + s),
                        "n={n} j0={j0}"
                    );
                    assert!(
                        (fp.x_i - ri).abs() <= 64.0 * f64::EPSILON * (1.0 + s),
                        "n={n} j0={j0}"
                    );
                }
            }
        }
    }

    #[test]
    fn approaches_the_balanced_limit_as_n_to_the_minus_half() {
        // x -> phi^-1(phi_inf) and A = (x - I0) / (sqrt(N) J0 j) -> 0 like N^-1/2, so the
        // distance to the balanced limit shrinks by 10 per factor 100 in N once N >~ 1e8
        // (Fig. 2A). Checked on phi_E, w and A^E between N = 1e10 and 1e12 to 2 %
        // (the next order of the expansion is N^-1 relative to N^-1/2, i.e. 1e-5 there).
        let (b, xe_inf, _) = balanced_inputs(&Params::default()).unwrap();
        let at = |n: f64| {
            homogeneous(&Params {
                n,
                ..Params::default()
            })
            .unwrap()
            .primary
        };
        let (f10, f12) = (at(1e10), at(1e12));
        let ratio = |a: f64, c: f64| a / c;
        assert!((ratio(f10.phi_e - b.phi_e, f12.phi_e - b.phi_e) - 10.0).abs() < 0.2);
        assert!((ratio(f10.w - b.w, f12.w - b.w) - 10.0).abs() < 0.2);
        assert!((ratio(f10.a_e, f12.a_e) - 10.0).abs() < 0.2);
        assert!((f12.x_e - xe_inf).abs() < 1e-3);
    }

    #[test]
    fn lif_below_threshold_has_a_quiescent_state() {
        // With I0 < 1 the LIF network has x = I0, phi = 0 as a fixed point; the scan reports
        // it next to any active one and the primary is the active one.
        let p = Params {
            i0: 0.5,
            j0: 0.3,
            n: 5000.0,
            transfer: Transfer::Lif { tau_m: 1.0 },
            ..Params::default()
        };
        let sol = homogeneous(&p).unwrap();
        assert!(
            sol.all
                .iter()
                .any(|fp| fp.phi_e == 0.0 && fp.phi_i == 0.0 && (fp.x_e - 0.5).abs() < 1e-12)
        );
        assert_eq!(
            sol.primary.phi_e,
            sol.all.iter().map(|f| f.phi_e).fold(0.0, f64::max)
        );
    }

    #[test]
    fn newton_continuation_finds_the_scanned_root() {
        let p = Params {
            n: 1e6,
            j0: 0.5,
            i0: 1.0,
            ..Params::default()
        };
        let scanned = homogeneous(&p).unwrap().primary;
        let near = homogeneous_near(&p, (scanned.x_e + 0.3, scanned.x_i - 0.2)).unwrap();
        assert!((near.x_e - scanned.x_e).abs() < 1e-12 && (near.x_i - scanned.x_i).abs() < 1e-12);
    }
}
