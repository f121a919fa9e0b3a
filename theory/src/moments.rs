//! Population averages over Gaussian inputs (Eq. 33): for x ~ N(mu, Delta),
//! `[phi]`, `[phi^2]`, `[phi w]`, `[(phi w)^2]` with the stationary depression
//! `w(x) = 1 / (1 + tau_D u phi(x))` (Eq. 34), and the derivatives of `[phi]` and `[phi w]`
//! with respect to mu.
//!
//! The mu-derivatives use Gaussian integration by parts,
//! `d/dmu E[g(mu + sigma z)] = E[g(mu + sigma z) z] / sigma`, which needs no phi' (the LIF
//! phi' is not integrable numerically near threshold).
//!
//! Method: Delta = 0 gives the pointwise values. For the erf transfer with sqrt(Delta) <= 1
//! the 96-node Gauss-Hermite rule is accurate to 1e-12 (tested in `quadrature`); larger
//! Delta and the LIF transfer (kink at z = 1) use adaptive Gauss-Legendre split at the kink.

use crate::quadrature::{gaussian_mean_adaptive, hermite96};
use crate::transfer::Transfer;

/// Gaussian averages of the rate and of the depressed rate at input mean `mu` and variance
/// `delta`.
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub struct Moments {
    /// `[phi]` (Eq. 33a).
    pub phi: f64,
    /// `[phi^2]` (Eq. 33b).
    pub phi2: f64,
    /// `[phi w]` (Eq. 33c).
    pub psi: f64,
    /// `[(phi w)^2]` (Eq. 33d).
    pub psi2: f64,
    /// `d[phi]/dmu`.
    pub dphi: f64,
    /// `d[phi w]/dmu`.
    pub dpsi: f64,
}

impl Moments {
    /// Population variance of phi: `[phi^2] - [phi]^2` (never negative).
    pub fn var_phi(&self) -> f64 {
        (self.phi2 - self.phi * self.phi).max(0.0)
    }
    /// Population variance of phi w: `[(phi w)^2] - [phi w]^2` (never negative).
    pub fn var_psi(&self) -> f64 {
        (self.psi2 - self.psi * self.psi).max(0.0)
    }
}

/// Relative accuracy asked of the adaptive path.
const REL_TOL: f64 = 1e-12;

/// Largest sqrt(Delta) for which the Gauss-Hermite rule is used with the erf transfer.
const HERMITE_MAX_SIGMA: f64 = 1.0;

/// `([phi], d[phi]/dmu)` of the erf transfer phi = Phi (the standard normal CDF) at input
/// mean `mu` and variance `delta`, in closed form: for Z, Z' independent standard normals,
/// `E[Phi(mu + sigma Z)] = P(Z' - sigma Z <= mu) = Phi(mu / sqrt(1 + delta))`, and its
/// mu-derivative is `phi_N(mu / s) / s` with `s = sqrt(1 + delta)`. No quadrature, so its cost
/// does not grow with delta (the DMF's mean equations call it inside Newton's method; at
/// J0 = 1e6 the adaptive path made one DMF run take hours, issue 20). Tested against
/// [`gaussian_moments`].
pub fn erf_rate_average(mu: f64, delta: f64) -> (f64, f64) {
    let s = (1.0 + delta.max(0.0)).sqrt();
    let (p, d) = crate::normal_cdf::normal_cdf_density(mu / s);
    (p, d / s)
}

/// Gaussian moments for transfer `t`, depression strength `tau_u = tau_D u`, mean `mu`,
/// variance `delta >= 0`.
pub fn gaussian_moments(t: &Transfer, tau_u: f64, mu: f64, delta: f64) -> Moments {
    if delta <= 0.0 {
        let (p, dp) = t.phi_dphi(mu);
        let w = 1.0 / (1.0 + tau_u * p);
        return Moments {
            phi: p,
            phi2: p * p,
            psi: p * w,
            psi2: p * p * w * w,
            dphi: dp,
            dpsi: dp * w * w,
        };
    }
    let sigma = delta.sqrt();
    let g = |x: f64, z: f64| {
        let p = t.phi(x);
        let q = p / (1.0 + tau_u * p);
        [p, p * p, q, q * q, p * z, q * z]
    };
    let v = match t {
        Transfer::Erf if sigma <= HERMITE_MAX_SIGMA => {
            let rule = hermite96();
            let mut acc = [0.0; 6];
            for (z, w) in rule.nodes.iter().zip(&rule.weights) {
                let vals = g(mu + sigma * z, *z);
                for m in 0..6 {
                    acc[m] += w * vals[m];
                }
            }
            acc
        }
        Transfer::Erf => {
            // Wide Gaussians see the erf as a step of width ~1 in x, i.e. ~1/sigma in z:
            // splitting at its edges and centre keeps the adaptive rule from bisecting towards
            // it for every integral (sigma ~ 1e5 used to take hours in the DMF, issue 20).
            gaussian_mean_adaptive(mu, sigma, &[-6.0, 0.0, 6.0], g, REL_TOL)
        }
        _ => {
            let breaks: Vec<f64> = t.kink().into_iter().collect();
            gaussian_mean_adaptive(mu, sigma, &breaks, g, REL_TOL)
        }
    };
    Moments {
        phi: v[0],
        phi2: v[1],
        psi: v[2],
        psi2: v[3],
        dphi: v[4] / sigma,
        dpsi: v[5] / sigma,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn erf_rate_average_is_the_gaussian_average() {
        // The closed form against both quadrature paths (Hermite for sigma <= 1, adaptive
        // above): agreement to 1e-10 relative or 1e-13 absolute, the quadrature's accuracy.
        for &mu in &[-40.0, -5.0, -1.0, 0.0, 0.3, 2.0, 7.0] {
            for &delta in &[0.0, 0.04, 1.0, 9.0, 400.0, 1e6] {
                let m = gaussian_moments(&Transfer::Erf, 0.7, mu, delta);
                let (p, dp) = erf_rate_average(mu, delta);
                for (a, b) in [(p, m.phi), (dp, m.dphi)] {
                    assert!(
                        (a - b).abs() <= 1e-10 * b.abs() + 1e-13,
                        "mu {mu} delta {delta}: closed form {a}, quadrature {b}"
                    );
                }
            }
        }
    }
    use crate::quadrature::gaussian_mean_adaptive;

    #[test]
    fn both_paths_agree_with_a_tight_reference() {
        // Reference: adaptive quadrature at rel 1e-14. The erf paths must agree to 1e-11
        // absolute (tolerance 1e-12 plus summation error over ~1e3 evaluations). The LIF rate
        // behaves like -1/ln(z - 1) at threshold, where the panel error estimate is optimistic
        // and even the 1e-14 reference stops at the evaluation budget: production and
        // reference differ by 1.0e-10 at mu = 0.2, Delta = 2 (measured), so the LIF bound is
        // 1e-9 absolute (relative 3e-9 of the rates involved).
        for t in [Transfer::Erf, Transfer::Lif { tau_m: 1.0 }] {
            for &(mu, delta) in &[
                (-0.8, 0.01),
                (-0.8, 0.5),
                (0.2, 2.0),
                (1.01, 0.3),
                (-1.5, 9.0),
                (2.0, 0.04),
            ] {
                let m = gaussian_moments(&t, 5.0, mu, delta);
                let sigma = f64::sqrt(delta);
                let breaks: Vec<f64> = t.kink().into_iter().collect();
                let r = gaussian_mean_adaptive(
                    mu,
                    sigma,
                    &breaks,
                    |x, z| {
                        let p = t.phi(x);
                        let q = p / (1.0 + 5.0 * p);
                        [p, p * p, q, q * q, p * z / sigma, q * z / sigma]
                    },
                    1e-14,
                );
                let got = [m.phi, m.phi2, m.psi, m.psi2, m.dphi, m.dpsi];
                let tol = if t.kink().is_some() { 1e-9 } else { 1e-11 };
                for k in 0..6 {
                    assert!(
                        (got[k] - r[k]).abs() < tol,
                        "{t:?} mu={mu} delta={delta} k={k}: {} vs {}",
                        got[k],
                        r[k]
                    );
                }
            }
        }
    }

    #[test]
    fn mu_derivatives_match_finite_differences() {
        // Central differences, h = 1e-4: truncation h^2 f'''/6 ~ 1e-9 for these smooth
        // averages, rounding 1e-12 / h = 1e-8; tolerance 1e-7.
        for t in [Transfer::Erf, Transfer::Lif { tau_m: 1.0 }] {
            for &(mu, delta) in &[(-0.5, 0.3), (1.2, 0.5), (0.0, 4.0)] {
                let m = gaussian_moments(&t, 5.0, mu, delta);
                let h = 1e-4;
                let (p, q) = (
                    gaussian_moments(&t, 5.0, mu + h, delta),
                    gaussian_moments(&t, 5.0, mu - h, delta),
                );
                assert!((m.dphi - (p.phi - q.phi) / (2.0 * h)).abs() < 1e-7);
                assert!((m.dpsi - (p.psi - q.psi) / (2.0 * h)).abs() < 1e-7);
            }
        }
    }
}
