//! Stability against heterogeneous perturbations (Eqs. 19-29): the bulk radius of the
//! generalized Girko law, the two outliers and lambda_Q.
//!
//! ## Derivation (corrects Eqs. 21 and 23)
//! Write DF_het - lambda = [[A, B], [C, D]] with the w-block D = -(kappa + lambda) I,
//! kappa = 1/tau_D + u phi_E, B = J^EE J0 phi_E (E rows) and C = -u w phi'_E I. The Schur
//! complement A - B D^-1 C has, in the E-E block,
//! J^EE J0 phi'_E w (1 - u phi_E / (kappa + lambda)) - (1 + lambda) I: the printed Eq. 21 has
//! a plus sign. Dropping lambda next to kappa (exact at lambda = 0, where the bulk crosses)
//! gives a = phi'_E w (1 - u phi_E / kappa) = phi'_E w^2, which is also
//! d[phi w]/dx: the slope of the depressed rate. The printed Eq. 23 gives
//! a = phi'_E w (1 + u phi_E / kappa). Only a = phi'_E w^2 makes the heterogeneous
//! fixed point (Eq. 32) bifurcate exactly at r = 1, and only it satisfies the determinant
//! identity det(DF_het - lambda) = det(S(lambda)) det(D(lambda)) on a sampled network
//! (tests `schur_identity_fixes_the_sign_of_a` here and in `het_fixed_point`).
//!
//! ## Radius (Eqs. 24-25)
//! An entry of block (alpha, beta) of P = J0 [[a J^EE, b J^EI], [c J^IE, b J^II]] is
//! j/sqrt(K_beta) with probability p_beta = K_beta / N_beta, so N_beta Var = j^2 (1 - p_beta).
//! The radius is sqrt of the largest eigenvalue of
//! Sigma = J0^2 [[a^2 j_E^2 v_E, b^2 g_E^2 j_E^2 v_I], [c^2 j_I^2 v_E, b^2 g_I^2 j_I^2 v_I]]
//! with v_beta = 1 - p_beta ([`crate::Variance::FixedInDegree`]) or 1 (the paper's Eq. 24,
//! [`crate::Variance::Paper`]).
//!
//! ## Outliers (Eqs. 26-27)
//! With a fixed in-degree, P maps block-constant vectors (u_E 1_E, u_I 1_I) to block-constant
//! vectors through the 2x2 matrix M of Eq. 26, so the eigenvalues of M are exact eigenvalues
//! of P (not only approximate ones). Eq. 27 gives them as lambda_P; the Jacobian eigenvalues
//! are lambda = (lambda_P - 1) / tau_syn, which is what [`HetSpectrum::outliers`] reports.

use nalgebra::Complex;

use crate::fixed_point::HomFixedPoint;
use crate::params::Params;

/// The coefficients a, b, c of Eq. 23 (corrected: a = phi'_E w^2).
pub fn abc(p: &Params, fp: &HomFixedPoint) -> (f64, f64, f64) {
    let dpe = p.transfer.dphi(fp.x_e);
    let dpi = p.transfer.dphi(fp.x_i);
    (dpe * fp.w * fp.w, dpi, dpe)
}

/// The Girko radius r (Eq. 25 with the variance convention of `p.variance`) for given
/// a, b, c and coupling J0.
pub fn radius(p: &Params, j0: f64, a: f64, b: f64, c: f64) -> f64 {
    let (ve, vi) = p.variance_factors();
    let s11 = a * a * p.j_e * p.j_e * ve;
    let s12 = b * b * p.g_e * p.g_e * p.j_e * p.j_e * vi;
    let s21 = c * c * p.j_i * p.j_i * ve;
    let s22 = b * b * p.g_i * p.g_i * p.j_i * p.j_i * vi;
    let half_tr = 0.5 * (s11 + s22);
    let disc = (0.25 * (s11 - s22) * (s11 - s22) + s12 * s21).sqrt();
    j0 * (half_tr + disc).sqrt()
}

/// Eigenvalues lambda_P of the 2x2 mean matrix M (Eqs. 26-27), larger real part first.
pub fn outliers_p(p: &Params, a: f64, b: f64, c: f64) -> [Complex<f64>; 2] {
    let (ske, ski) = (p.k_e().sqrt(), p.k_i().sqrt());
    let m11 = p.j0 * a * p.j_e * ske;
    let m12 = -p.j0 * b * p.g_e * p.j_e * ski;
    let m21 = p.j0 * c * p.j_i * ske;
    let m22 = -p.j0 * b * p.g_i * p.j_i * ski;
    let half_tr = 0.5 * (m11 + m22);
    let disc = 0.25 * (m11 - m22) * (m11 - m22) + m12 * m21;
    if disc >= 0.0 {
        let s = disc.sqrt();
        [
            Complex::new(half_tr + s, 0.0),
            Complex::new(half_tr - s, 0.0),
        ]
    } else {
        let s = (-disc).sqrt();
        [Complex::new(half_tr, s), Complex::new(half_tr, -s)]
    }
}

/// The heterogeneous-perturbation spectrum at a homogeneous fixed point.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct HetSpectrum {
    pub a: f64,
    pub b: f64,
    pub c: f64,
    /// The Girko radius r (Eq. 25).
    pub radius: f64,
    /// Rightmost real part of the bulk, (-1 + r) / tau_syn.
    pub bulk_max_re: f64,
    /// The outliers as Jacobian eigenvalues, (lambda_P - 1) / tau_syn, larger real part first.
    pub outliers: [Complex<f64>; 2],
    /// lambda_Q = -(1/tau_D + u phi_E) (Eq. 29), multiplicity N_E.
    pub lambda_q: f64,
    /// r < 1: the bulk lies in the left half-plane. The outliers are not part of the verdict:
    /// the paper (S1 Appendix) finds that the full Jacobian has no eigenvalue near
    /// lambda_out^+ and that the bulk governs the instability.
    pub stable: bool,
}

/// a, b, c, r, the outliers and lambda_Q at `fp` (Eqs. 23-29).
pub fn het_spectrum(p: &Params, fp: &HomFixedPoint) -> HetSpectrum {
    let (a, b, c) = abc(p, fp);
    let r = radius(p, p.j0, a, b, c);
    let outliers = outliers_p(p, a, b, c).map(|l| (l - 1.0) / p.tau_syn);
    HetSpectrum {
        a,
        b,
        c,
        radius: r,
        bulk_max_re: (r - 1.0) / p.tau_syn,
        outliers,
        lambda_q: -(1.0 / p.tau_d + p.u * fp.phi_e),
        stable: r < 1.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixed_point::homogeneous;
    use crate::params::Variance;
    use nalgebra::DMatrix;
    use rand::RngExt;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    /// A fixed-in-degree block: `rows` x `cols`, each row with exactly `k` ones in distinct
    /// columns (partial Fisher-Yates).
    fn block(rng: &mut ChaCha8Rng, rows: usize, cols: usize, k: usize) -> DMatrix<f64> {
        let mut m = DMatrix::zeros(rows, cols);
        let mut idx: Vec<usize> = (0..cols).collect();
        for i in 0..rows {
            for s in 0..k {
                let t = rng.random_range(s..cols);
                idx.swap(s, t);
                m[(i, idx[s])] = 1.0;
            }
        }
        m
    }

    #[test]
    fn schur_identity_fixes_the_sign_of_a() {
        // det(DF_het - lambda) = det(A - B D^-1 C) det(D) holds exactly (up to LU rounding,
        // ~1e-10 relative for these 150x150 well-scaled matrices). Checking the E-E block of
        // the Schur complement against both signs of Eq. 21 at lambda = 0.3 decides the sign:
        // the printed "+" is off by orders of magnitude more than rounding.
        let p = Params {
            n: 100.0,
            c_e: 0.1,
            c_i: 0.05,
            j0: 0.7,
            ..Params::default()
        };
        let fp = homogeneous(&p).unwrap().primary;
        let (ne, ni, ke, ki) = (80, 20, 10, 5);
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let jee = block(&mut rng, ne, ne, ke) * (p.j_e / (ke as f64).sqrt());
        let jei = block(&mut rng, ne, ni, ki) * (-p.g_e * p.j_e / (ki as f64).sqrt());
        let jie = block(&mut rng, ni, ne, ke) * (p.j_i / (ke as f64).sqrt());
        let jii = block(&mut rng, ni, ni, ki) * (-p.g_i * p.j_i / (ki as f64).sqrt());
        let (pe, dpe) = p.transfer.phi_dphi(fp.x_e);
        let dpi = p.transfer.dphi(fp.x_i);
        let (w, j0, lam) = (fp.w, p.j0, 0.3);
        let kappa = 1.0 / p.tau_d + p.u * pe;
        let n = ne + ni + ne;
        let mut df = DMatrix::<f64>::zeros(n, n);
        df.view_mut((0, 0), (ne, ne))
            .copy_from(&(&jee * (j0 * dpe * w)));
        df.view_mut((0, ne), (ne, ni))
            .copy_from(&(&jei * (j0 * dpi)));
        df.view_mut((0, ne + ni), (ne, ne))
            .copy_from(&(&jee * (j0 * pe)));
        df.view_mut((ne, 0), (ni, ne))
            .copy_from(&(&jie * (j0 * dpe)));
        df.view_mut((ne, ne), (ni, ni))
            .copy_from(&(&jii * (j0 * dpi)));
        for i in 0..ne + ni {
            df[(i, i)] -= 1.0;
        }
        for i in 0..ne {
            df[(ne + ni + i, i)] = -p.u * w * dpe;
            df[(ne + ni + i, ne + ni + i)] = -kappa;
        }
        let full = (df - DMatrix::identity(n, n) * lam).determinant();
        let schur = |sign: f64| {
            let mut s = DMatrix::<f64>::zeros(ne + ni, ne + ni);
            let factor = 1.0 + sign * p.u * pe / (kappa + lam);
            s.view_mut((0, 0), (ne, ne))
                .copy_from(&(&jee * (j0 * dpe * w * factor)));
            s.view_mut((0, ne), (ne, ni))
                .copy_from(&(&jei * (j0 * dpi)));
            s.view_mut((ne, 0), (ni, ne))
                .copy_from(&(&jie * (j0 * dpe)));
            s.view_mut((ne, ne), (ni, ni))
                .copy_from(&(&jii * (j0 * dpi)));
            for i in 0..ne + ni {
                s[(i, i)] -= 1.0 + lam;
            }
            s.determinant() * (-(kappa + lam)).powi(ne as i32)
        };
        let (minus, plus) = (schur(-1.0), schur(1.0));
        assert!(
            ((minus - full) / full).abs() < 1e-8,
            "derived form: {minus} vs {full}"
        );
        assert!(
            ((plus - full) / full).abs() > 1e-3,
            "printed form should disagree: {plus} vs {full}"
        );
    }

    #[test]
    fn sampled_p_matches_girko_disk_and_exact_outliers() {
        // P of Eq. 22 sampled at N = 2000, for Table 1 (K_E = 50, K_I = 10 per row) and for a
        // dense network (c_E = 0.4, c_I = 0.1: K_beta / N_beta = 1/2 in both blocks), where
        // the factor 1 - K_beta/N_beta that Eq. 24 drops shrinks the radius by 1/sqrt(2).
        // (i) The two eigenvalues of M (Eq. 27) are exact eigenvalues of P (block-constant
        // invariant subspace, since every row has exactly K_beta entries per block): the
        // closest eigenvalue of P lies within 1e-8 (relative), the accuracy of a dense
        // nonsymmetric eigensolver at this size. (ii) All other eigenvalues lie in the disk
        // |lambda_P| <= r (1 + 0.06): at N = 2000 the edge of the circular law fluctuates by
        // O(N^-1/2 log N) ~ 3 %; 6 % is two such widths. (iii) The disk is not too large: the
        // largest bulk modulus exceeds 0.94 r. (iv) In the dense case the printed Eq. 24
        // radius is off by far more than that (> 20 %).
        for (c_e, c_i, seed) in [(0.025, 0.005, 42), (0.4, 0.1, 7)] {
            let p = Params {
                n: 2000.0,
                c_e,
                c_i,
                j0: 1.0,
                ..Params::default()
            };
            let fp = homogeneous(&p).unwrap().primary;
            let (a, b, c) = abc(&p, &fp);
            let r = radius(&p, p.j0, a, b, c);
            let r_paper = radius(
                &Params {
                    variance: Variance::Paper,
                    ..p
                },
                p.j0,
                a,
                b,
                c,
            );
            let (ne, ni) = (1600usize, 400usize);
            let (ke, ki) = ((c_e * 2000.0) as usize, (c_i * 2000.0) as usize);
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            let mut m = faer::Mat::<f64>::zeros(ne + ni, ne + ni);
            // Each block row picks k distinct columns (partial Fisher-Yates) and sets them to v.
            let (ke_s, ki_s) = ((ke as f64).sqrt(), (ki as f64).sqrt());
            let blocks = [
                (0, 0, ne, ne, ke, p.j0 * a * p.j_e / ke_s),
                (0, ne, ne, ni, ki, -p.j0 * b * p.g_e * p.j_e / ki_s),
                (ne, 0, ni, ne, ke, p.j0 * c * p.j_i / ke_s),
                (ne, ne, ni, ni, ki, -p.j0 * b * p.g_i * p.j_i / ki_s),
            ];
            for (r0, c0, rows, cols, k, v) in blocks {
                let mut idx: Vec<usize> = (0..cols).collect();
                for i in 0..rows {
                    for s in 0..k {
                        let t = rng.random_range(s..cols);
                        idx.swap(s, t);
                        m[(r0 + i, c0 + idx[s])] = v;
                    }
                }
            }
            let eig = m.eigenvalues().expect("eigen-decomposition");
            let mut ev: Vec<Complex<f64>> = eig.iter().map(|z| Complex::new(z.re, z.im)).collect();
            for out in outliers_p(&p, a, b, c) {
                let (k, d) = ev
                    .iter()
                    .enumerate()
                    .map(|(k, z)| (k, (z - out).norm()))
                    .min_by(|x, y| x.1.total_cmp(&y.1))
                    .unwrap();
                assert!(
                    d < 1e-8 * out.norm().max(1.0),
                    "c_E = {c_e}: outlier {out}: nearest eigenvalue at distance {d}"
                );
                ev.remove(k);
            }
            let max_mod = ev.iter().map(|z| z.norm()).fold(0.0, f64::max);
            assert!(
                max_mod <= 1.06 * r,
                "c_E = {c_e}: bulk max modulus {max_mod} vs r = {r}"
            );
            assert!(
                max_mod >= 0.94 * r,
                "c_E = {c_e}: bulk max modulus {max_mod} vs r = {r}"
            );
            if c_e > 0.1 {
                assert!(
                    max_mod < 0.8 * r_paper,
                    "printed Eq. 24 radius {r_paper} vs bulk {max_mod}"
                );
            }
        }
    }
}
