//! The heterogeneous fixed point (Eqs. 31-34) and the distributions of w and phi across
//! neurons (Eqs. 35-37).
//!
//! Unknowns: the means mu^E, mu^I and variances Delta0^E, Delta0^I of the stationary inputs,
//! assumed Gaussian across neurons. With population averages over x ~ N(mu, Delta)
//! ([`crate::moments`]):
//!
//! * mu^E = sqrt(N) J0 j_E (sqrt(c_E) [phi_E w] - g_E sqrt(c_I) [phi_I]) + I0       (Eq. 31a)
//! * mu^I = sqrt(N) J0 j_I (sqrt(c_E) [phi_E] - g_I sqrt(c_I) [phi_I]) + I0         (Eq. 31b)
//! * Delta0^E = J0^2 j_E^2 (v_E Var[phi_E w] + g_E^2 v_I Var[phi_I])               (Eq. 32a)
//! * Delta0^I = J0^2 j_I^2 (v_E Var[phi_E] + g_I^2 v_I Var[phi_I])                  (Eq. 32b)
//!
//! where v_beta = 1 - K_beta / N_beta for sampling without replacement (1 in the paper's
//! convention, see [`crate::Variance`]). The bracket in Eq. 32 is right: the input of a neuron
//! is J0 times a sum over K_E excitatory and K_I inhibitory presynaptic neurons, so every
//! term carries J0^2 j^2; Eq. 51 closes the bracket after the first term (docs/ERRATA.md).
//! Linearising Eq. 32 at Delta -> 0 gives Delta = Sigma Delta with the Sigma of Eq. 24 and
//! a = d[phi w]/dx = phi'_E w^2, so the heterogeneous branch leaves the homogeneous one
//! exactly where r = 1 (test `bifurcates_at_the_critical_coupling`).
//!
//! Method: the means are solved in balance-residual form at fixed variances (the solver of
//! [`crate::fixed_point`] with Gaussian-averaged responses), the variances by the fixed-point
//! iteration Delta <- F(Delta) started above the branch (F is bounded, Delta = 0 is repelling
//! when r > 1), finished by Newton's method with a finite-difference Jacobian.

use serde::Serialize;

use crate::error::TheoryError;
use crate::fixed_point::{MeanSystem, Response, homogeneous, psi_sup};
use crate::girko::het_spectrum;
use crate::moments::{Moments, gaussian_moments};
use crate::params::Params;
use crate::transfer::Transfer;

/// Gaussian-averaged responses at fixed variances.
#[derive(Clone, Copy, Debug)]
pub struct Smoothed {
    pub transfer: Transfer,
    pub tau_u: f64,
    pub delta_e: f64,
    pub delta_i: f64,
}

impl Response for Smoothed {
    fn excitatory(&self, x: f64) -> (f64, f64, f64, f64) {
        let m = gaussian_moments(&self.transfer, self.tau_u, x, self.delta_e);
        (m.phi, m.dphi, m.psi, m.dpsi)
    }
    fn inhibitory(&self, x: f64) -> (f64, f64) {
        let m = gaussian_moments(&self.transfer, self.tau_u, x, self.delta_i);
        (m.phi, m.dphi)
    }
    fn psi_sup(&self) -> f64 {
        psi_sup(&self.transfer, self.tau_u)
    }
    fn rate_sup(&self) -> f64 {
        self.transfer.sup()
    }
    fn window(&self) -> (f64, f64) {
        let (a, b) = self.transfer.active_window();
        let s = 8.0 * self.delta_e.sqrt();
        (a - s, b + s)
    }
}

/// Which branch to return above J_c.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Branch {
    /// Non-zero variance (the default; below J_c it does not exist and the homogeneous one is
    /// returned).
    #[default]
    Heterogeneous,
    /// Zero variance: the homogeneous fixed point of Eq. 5.
    Homogeneous,
}

/// A solution of Eqs. 31-34.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct HetFixedPoint {
    pub mu_e: f64,
    pub mu_i: f64,
    pub delta0_e: f64,
    pub delta0_i: f64,
    /// [phi_E]
    pub phi_e: f64,
    /// [phi_I]
    pub phi_i: f64,
    /// [phi_E w]
    pub phi_w: f64,
    pub branch: Branch,
    /// Variance iterations (0 for the homogeneous branch).
    pub iterations: usize,
    /// max |F(Delta) - Delta| / max(Delta, 1e-300) at the solution.
    pub residual: f64,
}

struct VarianceMap<'a> {
    p: &'a Params,
    sys: MeanSystem,
}

impl VarianceMap<'_> {
    fn smoothed(&self, delta: [f64; 2]) -> Smoothed {
        Smoothed {
            transfer: self.p.transfer,
            tau_u: self.p.tau_u(),
            delta_e: delta[0],
            delta_i: delta[1],
        }
    }

    /// Means at fixed variances (Newton from `guess`, else the full scan's root nearest to it).
    fn means(&self, delta: [f64; 2], guess: (f64, f64)) -> Result<(f64, f64), TheoryError> {
        let resp = self.smoothed(delta);
        if let Some(m) = self.sys.newton(&resp, guess) {
            return Ok(m);
        }
        let (roots, _) = self.sys.solve_all(&resp)?;
        Ok(*roots
            .iter()
            .min_by(|a, b| (a.0 - guess.0).abs().total_cmp(&(b.0 - guess.0).abs()))
            .expect("non-empty"))
    }

    fn moments(&self, delta: [f64; 2], mu: (f64, f64)) -> (Moments, Moments) {
        let (t, tu) = (self.p.transfer, self.p.tau_u());
        (
            gaussian_moments(&t, tu, mu.0, delta[0]),
            gaussian_moments(&t, tu, mu.1, delta[1]),
        )
    }

    /// F(Delta) of Eq. 32 and the means it used.
    fn apply(
        &self,
        delta: [f64; 2],
        guess: (f64, f64),
    ) -> Result<([f64; 2], (f64, f64)), TheoryError> {
        let mu = self.means(delta, guess)?;
        let (me, mi) = self.moments(delta, mu);
        let p = self.p;
        let (ve, vi) = p.variance_factors();
        let j02 = p.j0 * p.j0;
        let de = j02 * p.j_e * p.j_e * (ve * me.var_psi() + p.g_e * p.g_e * vi * mi.var_phi());
        let di = j02 * p.j_i * p.j_i * (ve * me.var_phi() + p.g_i * p.g_i * vi * mi.var_phi());
        Ok(([de, di], mu))
    }
}

fn relative_residual(f: [f64; 2], d: [f64; 2]) -> f64 {
    ((f[0] - d[0]).abs() / d[0].max(1e-300)).max((f[1] - d[1]).abs() / d[1].max(1e-300))
}

/// Solve Eqs. 31-34 on the requested branch (see the module docs).
pub fn het_fixed_point(p: &Params, branch: Branch) -> Result<HetFixedPoint, TheoryError> {
    p.validate_finite()?;
    let hom = homogeneous(p)?.primary;
    let spec = het_spectrum(p, &hom);
    let homogeneous_branch = HetFixedPoint {
        mu_e: hom.x_e,
        mu_i: hom.x_i,
        delta0_e: 0.0,
        delta0_i: 0.0,
        phi_e: hom.phi_e,
        phi_i: hom.phi_i,
        phi_w: hom.phi_e * hom.w,
        branch: Branch::Homogeneous,
        iterations: 0,
        residual: 0.0,
    };
    if branch == Branch::Homogeneous || spec.radius <= 1.0 {
        return Ok(homogeneous_branch);
    }
    let map = VarianceMap {
        p,
        sys: MeanSystem::new(p),
    };
    // Start above the branch: the variances of inputs whose rates spread over their range.
    let j02 = p.j0 * p.j0;
    let mut delta = [
        j02 * p.j_e * p.j_e * (1.0 + p.g_e * p.g_e),
        j02 * p.j_i * p.j_i * (1.0 + p.g_i * p.g_i),
    ];
    let mut mu = (hom.x_e, hom.x_i);
    let mut iterations = 0;
    let mut residual = f64::INFINITY;
    let (mut previous, mut alpha) = (f64::INFINITY, 1.0_f64);
    const TOL: f64 = 1e-10;
    const MAX_ITER: usize = 400;
    while iterations < MAX_ITER {
        iterations += 1;
        let (f, m) = map.apply(delta, mu)?;
        residual = relative_residual(f, delta);
        mu = m;
        if residual < TOL {
            break;
        }
        if residual < 1e-3 || iterations % 25 == 0 {
            // Newton step on G(Delta) = F(Delta) - Delta, finite-difference Jacobian
            // (relative step 1e-6: the moments are accurate to 1e-12, so J to ~1e-6).
            let g = [f[0] - delta[0], f[1] - delta[1]];
            let mut jac = [[0.0; 2]; 2];
            for k in 0..2 {
                let mut d2 = delta;
                let h = 1e-6 * delta[k];
                d2[k] += h;
                let (f2, _) = map.apply(d2, mu)?;
                for r in 0..2 {
                    jac[r][k] = ((f2[r] - d2[r]) - g[r]) / h;
                }
            }
            let det = jac[0][0] * jac[1][1] - jac[0][1] * jac[1][0];
            let step = [
                (g[0] * jac[1][1] - g[1] * jac[0][1]) / det,
                (jac[0][0] * g[1] - jac[1][0] * g[0]) / det,
            ];
            let cand = [delta[0] - step[0], delta[1] - step[1]];
            if det.is_finite() && cand[0] > 0.0 && cand[1] > 0.0 {
                delta = cand;
                continue;
            }
        }
        // Damped in log space once the plain iteration overshoots (residual grew): the map
        // can cycle over orders of magnitude (n = 1e15, j0 = 1e6 did, issue 20).
        if residual > previous {
            alpha = (alpha * 0.5).max(1.0 / 64.0);
        }
        previous = residual;
        delta = [
            delta[0].powf(1.0 - alpha) * f[0].powf(alpha),
            delta[1].powf(1.0 - alpha) * f[1].powf(alpha),
        ];
        if delta[0] < 1e-14 && delta[1] < 1e-14 {
            return Err(TheoryError::NotConverged {
                solver: "heterogeneous fixed point (collapsed to zero variance)",
                iterations,
                residual,
            });
        }
    }
    if residual >= TOL {
        return Err(TheoryError::NotConverged {
            solver: "heterogeneous fixed point",
            iterations,
            residual,
        });
    }
    let (me, mi) = map.moments(delta, mu);
    Ok(HetFixedPoint {
        mu_e: mu.0,
        mu_i: mu.1,
        delta0_e: delta[0],
        delta0_i: delta[1],
        phi_e: me.phi,
        phi_i: mi.phi,
        phi_w: me.psi,
        branch: Branch::Heterogeneous,
        iterations,
        residual,
    })
}

/// Density p_Phi of the rate phi = phi(x) across neurons for x ~ N(mu, Delta) (Eq. 37):
/// p_Phi(phi) = N(x(phi); mu, Delta) / phi'(x(phi)). For the erf transfer this is the printed
/// Eq. 37; for LIF it is the density of the active part (phi > 0), and the fraction of silent
/// neurons (phi = 0) is [`silent_fraction`]. Zero outside the range of phi.
pub fn p_phi(t: &Transfer, mu: f64, delta: f64, phi: f64) -> f64 {
    let Some(x) = t.inverse(phi) else { return 0.0 };
    let gauss =
        (-(x - mu) * (x - mu) / (2.0 * delta)).exp() / (2.0 * std::f64::consts::PI * delta).sqrt();
    let slope = t.dphi(x);
    if slope > 0.0 { gauss / slope } else { 0.0 }
}

/// The probability mass of silent neurons (phi = 0): P(x <= 1) for LIF, 0 for erf.
pub fn silent_fraction(t: &Transfer, mu: f64, delta: f64) -> f64 {
    match t.kink() {
        Some(k) => Transfer::Erf.phi((k - mu) / delta.sqrt()),
        None => 0.0,
    }
}

/// Density p_W of the stationary depression w = 1 / (1 + tau_D u phi(x)) (Eqs. 35-36):
/// phi(w) = (1 - w) / (w tau_D u), p_W(w) = p_Phi(phi(w)) / (tau_D u w^2), supported on
/// (1 / (1 + tau_D u sup phi), 1).
pub fn p_w(t: &Transfer, tau_u: f64, mu: f64, delta: f64, w: f64) -> f64 {
    if !(w > 0.0 && w < 1.0) {
        return 0.0;
    }
    let phi = (1.0 - w) / (w * tau_u);
    p_phi(t, mu, delta, phi) / (tau_u * w * w)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::critical::{JcSearch, critical_coupling};
    use crate::quadrature::integrate_scalar;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;
    use rand_distr::{Distribution, Normal};

    #[test]
    fn solves_eqs_31_to_32() {
        // Above J_c (J0 = 1.0, N = 1e4): the returned point satisfies Eq. 32 to the
        // solver tolerance 1e-10 (relative) and Eq. 31 in residual form to 1e-12.
        let p = Params {
            n: 1e4,
            j0: 1.0,
            ..Params::default()
        };
        let h = het_fixed_point(&p, Branch::Heterogeneous).unwrap();
        assert_eq!(h.branch, Branch::Heterogeneous);
        assert!(h.delta0_e > 1e-4 && h.delta0_i > h.delta0_e, "{h:?}");
        assert!(h.residual < 1e-10);
        let s = p.coupling_scale();
        let ae = p.c_e.sqrt() * h.phi_w - p.g_e * p.c_i.sqrt() * h.phi_i;
        let ai = p.c_e.sqrt() * h.phi_e - p.g_i * p.c_i.sqrt() * h.phi_i;
        assert!((ae - (h.mu_e - p.i0) / (s * p.j_e)).abs() < 1e-12);
        assert!((ai - (h.mu_i - p.i0) / (s * p.j_i)).abs() < 1e-12);
        // The paper (Fig. 5D): the heterogeneous branch has more negative mu^E.
        let hom = het_fixed_point(&p, Branch::Homogeneous).unwrap();
        assert!(h.mu_e < hom.mu_e);
    }

    #[test]
    fn bifurcates_at_the_critical_coupling() {
        // Just below J_c only the homogeneous branch exists; just above, Delta0 grows
        // linearly in J0 - J_c (pitchfork in sigma = sqrt(Delta)), so at J_c (1 + 1e-2) it is
        // small but clearly non-zero, and it vanishes as J0 -> J_c+.
        let p = Params {
            n: 1e4,
            ..Params::default()
        };
        let jc = critical_coupling(&p, &JcSearch::default()).unwrap().j_c;
        let below = het_fixed_point(&Params { j0: jc * 0.99, ..p }, Branch::Heterogeneous).unwrap();
        assert_eq!(below.branch, Branch::Homogeneous);
        let d1 = het_fixed_point(&Params { j0: jc * 1.02, ..p }, Branch::Heterogeneous).unwrap();
        let d2 = het_fixed_point(&Params { j0: jc * 1.01, ..p }, Branch::Heterogeneous).unwrap();
        assert!(d1.delta0_e > 0.0 && d2.delta0_e > 0.0);
        // Linear onset: halving the distance to J_c halves Delta0 (to 15 %, the quadratic
        // correction at 2 % above J_c).
        let ratio = d2.delta0_e / d1.delta0_e;
        assert!((ratio - 0.5).abs() < 0.075, "ratio {ratio}");
    }

    #[test]
    fn distributions_are_normalised_and_match_samples() {
        let t = Transfer::Erf;
        let tau_u = 5.0;
        for &(mu, delta) in &[(-1.0, 0.3), (-0.5, 0.8)] {
            let sd: f64 = f64::sqrt(delta);
            // For Delta < 1 both densities vanish at the ends of their support. Integrate over
            // the rates of x in mu +- 12 sd (mass 1 - 4e-33); adaptive quadrature to 1e-10.
            let (lo, hi) = (t.phi(mu - 12.0 * sd), t.phi(mu + 12.0 * sd));
            let z = integrate_scalar(|f| p_phi(&t, mu, delta, f), lo, hi, 1e-12, 1e-10);
            assert!((z - 1.0).abs() < 1e-8, "p_phi integrates to {z}");
            let (wlo, whi) = (1.0 / (1.0 + tau_u * hi), 1.0 / (1.0 + tau_u * lo));
            let zw = integrate_scalar(|w| p_w(&t, tau_u, mu, delta, w), wlo, whi, 1e-12, 1e-10);
            assert!((zw - 1.0).abs() < 1e-8, "p_w integrates to {zw}");
            // Histogram of 1e5 samples of w: each of 20 bins holds n q samples with q the
            // integral of p_W over the bin; binomial sd sqrt(n q (1 - q)); 5 sd per bin
            // (false-alarm probability ~ 20 * 6e-7).
            let mut rng = ChaCha8Rng::seed_from_u64(3);
            let normal = Normal::new(mu, sd).unwrap();
            let n = 100_000;
            let bins = 20;
            let mut counts = vec![0usize; bins];
            for _ in 0..n {
                let w = 1.0 / (1.0 + tau_u * t.phi(normal.sample(&mut rng)));
                let k = (((w - wlo) / (whi - wlo)) * bins as f64) as usize;
                counts[k.min(bins - 1)] += 1;
            }
            for (k, &c) in counts.iter().enumerate() {
                let a = wlo + (whi - wlo) * k as f64 / bins as f64;
                let b = wlo + (whi - wlo) * (k + 1) as f64 / bins as f64;
                let q = integrate_scalar(|w| p_w(&t, tau_u, mu, delta, w), a, b, 1e-14, 1e-10);
                let sdev = (n as f64 * q * (1.0 - q)).sqrt().max(1.0);
                assert!(
                    (c as f64 - n as f64 * q).abs() < 5.0 * sdev,
                    "bin {k}: {c} vs {}",
                    n as f64 * q
                );
            }
        }
        // Delta > 1: p_Phi ~ phi^(1/Delta - 1) diverges (integrably) at both ends, and near
        // phi = 1 the rate is not resolvable in double precision beyond x ~ 8. Check the mass
        // of the window x in [mu - 12 sd, mu + 4 sd], which is Phi(4) - Phi(-12) exactly.
        let (mu, delta) = (-0.5, 1.7);
        let sd = f64::sqrt(delta);
        let (lo, hi) = (t.phi(mu - 12.0 * sd), t.phi(mu + 4.0 * sd));
        let z = integrate_scalar(|f| p_phi(&t, mu, delta, f), lo, hi, 1e-12, 1e-10);
        let mass = t.phi(4.0) - t.phi(-12.0);
        assert!((z - mass).abs() < 1e-8, "p_phi window mass {z} vs {mass}");
    }

    #[test]
    fn lif_rate_density_plus_silent_mass_is_one() {
        let t = Transfer::Lif { tau_m: 1.0 };
        let (mu, delta) = (1.1, 0.2);
        let sd = f64::sqrt(delta);
        let hi = t.phi(mu + 12.0 * sd);
        // The density diverges like 1/(phi^2) exp(-1/phi) -> 0 at phi -> 0, smooth: 1e-7.
        let z = integrate_scalar(|f| p_phi(&t, mu, delta, f), 1e-300, hi, 1e-12, 1e-10);
        assert!(
            (z + silent_fraction(&t, mu, delta) - 1.0).abs() < 1e-7,
            "{z}"
        );
    }
}
