//! Stability against homogeneous perturbations (Eqs. 14-18).
//!
//! The mean-field system (Eq. 14, with w_m in 14a where the paper prints w_0) is
//!
//! * tau_syn dx_E/dt = -x_E + J0 j_E (sqrt(K_E) phi(x_E) w - g_E sqrt(K_I) phi(x_I)) + I0
//! * tau_syn dx_I/dt = -x_I + J0 j_I (sqrt(K_E) phi(x_E) - g_I sqrt(K_I) phi(x_I)) + I0
//! * dw/dt = (1 - w) / tau_D - u w phi(x_E)
//!
//! (tau_syn = 1 for Eq. 1). Its Jacobian at (x_E, x_I, w), derived here, is
//!
//! ```text
//!        | -1 + J0 j_E sqrt(K_E) phi'_E w   -J0 j_E g_E sqrt(K_I) phi'_I   J0 j_E sqrt(K_E) phi_E |
//! DF  =  |  J0 j_I sqrt(K_E) phi'_E         -1 - J0 j_I g_I sqrt(K_I) phi'_I   0                     |
//!        | -u w phi'_E                        0                              -(1/tau_D + u phi_E)   |
//! ```
//!
//! with the first two rows divided by tau_syn. The printed Eq. 15 has +J0 sqrt(K_I) g_I j_I
//! phi'_I in the (2,2) entry: the sign is wrong (docs/ERRATA.md, test
//! `jacobian_matches_finite_differences`). The characteristic polynomial
//! lambda^3 + beta_2 lambda^2 + beta_1 lambda + beta_0 has beta_2 = -tr DF, beta_1 = the sum
//! of the principal 2x2 minors, beta_0 = -det DF (Eqs. 16-18), and Routh-Hurwitz says all
//! roots have negative real part iff beta_0, beta_1, beta_2 > 0 and beta_2 beta_1 > beta_0.

use nalgebra::{Complex, Matrix3};
use serde::Serialize;

use crate::fixed_point::HomFixedPoint;
use crate::params::Params;

/// The right-hand side of the mean-field system (Eq. 14) at (x_E, x_I, w).
pub fn mean_field_rhs(p: &Params, state: [f64; 3]) -> [f64; 3] {
    let [xe, xi, w] = state;
    let (pe, pi) = (p.transfer.phi(xe), p.transfer.phi(xi));
    let (ske, ski) = (p.k_e().sqrt(), p.k_i().sqrt());
    [
        (-xe + p.j0 * p.j_e * (ske * pe * w - p.g_e * ski * pi) + p.i0) / p.tau_syn,
        (-xi + p.j0 * p.j_i * (ske * pe - p.g_i * ski * pi) + p.i0) / p.tau_syn,
        (1.0 - w) / p.tau_d - p.u * w * pe,
    ]
}

/// The Jacobian DF_hom of [`mean_field_rhs`] at (x_E, x_I, w).
pub fn hom_jacobian_at(p: &Params, state: [f64; 3]) -> Matrix3<f64> {
    let [xe, xi, w] = state;
    let (pe, dpe) = p.transfer.phi_dphi(xe);
    let dpi = p.transfer.dphi(xi);
    let (ske, ski) = (p.k_e().sqrt(), p.k_i().sqrt());
    let ts = p.tau_syn;
    Matrix3::new(
        (-1.0 + p.j0 * p.j_e * ske * dpe * w) / ts,
        -p.j0 * p.j_e * p.g_e * ski * dpi / ts,
        p.j0 * p.j_e * ske * pe / ts,
        p.j0 * p.j_i * ske * dpe / ts,
        (-1.0 - p.j0 * p.j_i * p.g_i * ski * dpi) / ts,
        0.0,
        -p.u * w * dpe,
        0.0,
        -(1.0 / p.tau_d + p.u * pe),
    )
}

/// DF_hom at a homogeneous fixed point.
pub fn hom_jacobian(p: &Params, fp: &HomFixedPoint) -> Matrix3<f64> {
    hom_jacobian_at(p, [fp.x_e, fp.x_i, fp.w])
}

/// The Routh-Hurwitz coefficients (Eqs. 16-18) and verdict.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct RouthHurwitz {
    pub beta0: f64,
    pub beta1: f64,
    pub beta2: f64,
    /// beta_i > 0 for all i and beta_2 beta_1 > beta_0.
    pub stable: bool,
}

/// Eqs. 16-18 for a 3x3 matrix.
pub fn routh_hurwitz(m: &Matrix3<f64>) -> RouthHurwitz {
    let minor =
        |r: [usize; 2]| m[(r[0], r[0])] * m[(r[1], r[1])] - m[(r[0], r[1])] * m[(r[1], r[0])];
    let beta2 = -m.trace();
    let beta1 = minor([1, 2]) + minor([0, 2]) + minor([0, 1]);
    let beta0 = -m.determinant();
    RouthHurwitz {
        beta0,
        beta1,
        beta2,
        stable: beta0 > 0.0 && beta1 > 0.0 && beta2 > 0.0 && beta2 * beta1 > beta0,
    }
}

/// Stability of a homogeneous fixed point against homogeneous perturbations.
#[derive(Clone, Debug, PartialEq)]
pub struct HomStability {
    /// The eigenvalues of DF_hom, sorted by decreasing real part.
    pub eigenvalues: Vec<Complex<f64>>,
    pub routh_hurwitz: RouthHurwitz,
    /// Largest real part of the eigenvalues.
    pub max_re: f64,
    /// The verdict (Routh-Hurwitz; tests check that it agrees with the eigenvalues).
    pub stable: bool,
}

/// Eigenvalues and Routh-Hurwitz verdict at `fp`.
pub fn hom_stability(p: &Params, fp: &HomFixedPoint) -> HomStability {
    let m = hom_jacobian(p, fp);
    let mut eigenvalues: Vec<Complex<f64>> = m.complex_eigenvalues().iter().copied().collect();
    eigenvalues.sort_by(|a, b| b.re.total_cmp(&a.re).then(b.im.total_cmp(&a.im)));
    let max_re = eigenvalues[0].re;
    let routh_hurwitz = routh_hurwitz(&m);
    HomStability {
        eigenvalues,
        routh_hurwitz,
        max_re,
        stable: routh_hurwitz.stable,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Transfer;
    use crate::fixed_point::homogeneous;

    #[test]
    fn jacobian_matches_finite_differences() {
        // Central differences with h = 1e-6 (relative to max(1,|x|)): truncation h^2 |F'''|
        // ~ 1e-12 * (J0 sqrt(K) ~ 30), rounding eps |F| / h ~ 1e-10 * |F|; tolerance
        // 1e-7 (1 + |entry|). The printed Eq. 15 fails this in the (2,2) entry by
        // 2 J0 j_I g_I sqrt(K_I) phi'_I ~ 10.
        for t in [Transfer::Erf, Transfer::Lif { tau_m: 1.0 }] {
            for &(n, j0, i0, tau_syn) in &[
                (1e4, 0.1, 0.0, 1.0),
                (2e4, 0.9, 2.0, 1.0),
                (5e3, 0.4, 1.2, 10.0),
            ] {
                let p = Params {
                    n,
                    j0,
                    i0,
                    tau_syn,
                    transfer: t,
                    ..Params::default()
                };
                let fp = homogeneous(&p).unwrap().primary;
                let x = [fp.x_e + 0.1, fp.x_i - 0.05, fp.w * 0.9];
                let jac = hom_jacobian_at(&p, x);
                for col in 0..3 {
                    let h = 1e-6 * x[col].abs().max(1.0);
                    let (mut a, mut b) = (x, x);
                    a[col] += h;
                    b[col] -= h;
                    let (fa, fb) = (mean_field_rhs(&p, a), mean_field_rhs(&p, b));
                    for row in 0..3 {
                        let fd = (fa[row] - fb[row]) / (2.0 * h);
                        let e = jac[(row, col)];
                        assert!(
                            (fd - e).abs() < 1e-7 * (1.0 + e.abs()),
                            "{t:?} ({row},{col}): {e} vs {fd}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn fixed_point_is_a_zero_of_the_mean_field() {
        let p = Params {
            n: 1e4,
            j0: 0.5,
            i0: 1.0,
            ..Params::default()
        };
        let fp = homogeneous(&p).unwrap().primary;
        let f = mean_field_rhs(&p, [fp.x_e, fp.x_i, fp.w]);
        // Each component is a difference of O(J0 sqrt(K) ~ 10) terms: 1e-13 absolute.
        assert!(f.iter().all(|v| v.abs() < 1e-13), "{f:?}");
    }
}
