//! Transfer functions phi: the erf function of Eq. 4 and the LIF rate function of Eq. 13.
//!
//! * Erf (Eq. 4): phi(z) = (1 + erf(z / sqrt 2)) / 2, the standard normal CDF. One value at a
//!   time ([`Transfer::phi`]) it is evaluated as erfc(-z / sqrt 2) / 2, which keeps relative
//!   accuracy in the lower tail (phi(-30) = 4.9e-198) where 1 + erf(...) would cancel to 0.
//!   erfc comes from `libm` (a port of musl's, about 1 ulp): statrs 0.19's erfc is accurate to
//!   only ~1e-10 relative (erfc(1.3859038243496777) = 0.04999999999775 instead of 0.05). The
//!   rounding of z / sqrt 2 is amplified by z^2 in the tail (up to 1400 ulp near z = -37 against
//!   mpmath; 3e-14 relative at z = -20), far below any tolerance here. Whole slices
//!   ([`Transfer::phi_slice`], [`Transfer::phi_dphi_slice`], what the simulations call once per
//!   step for all neurons) go through [`crate::normal_cdf`] instead: branch-free, vectorised with
//!   AVX2 / AVX-512, within 3 ulp of mpmath over the whole range, and 2.9x faster than libm per
//!   value with AVX-512 (2.2 ns against 6.3 ns); one value at a time it is 3x slower than libm,
//!   hence the two paths. They agree to a few ulp for z > -5. The inverse starts from statrs's
//!   erfc^-1 and is polished by Halley steps on the CDF.
//! * LIF (Eq. 13): phi(z) = -1 / (tau_m ln(1 - 1/z)) for z > 1 and 0 for z <= 1: the firing
//!   rate of a leaky integrate-and-fire neuron (threshold 1, reset 0) under constant drive z.
//!   ln(1 - 1/z) is evaluated as ln_1p(-1/z) so large z keeps its digits
//!   (phi(z) -> (z - 1/2) / tau_m). Its derivative tau_m phi^2 / (z (z - 1)) diverges at z -> 1+.

use crate::normal_cdf::{FRAC_1_SQRT_2PI, normal_cdf_density_slice, normal_cdf_slice};
use libm::erfc;
use serde::{Deserialize, Serialize};
use statrs::function::erf::erfc_inv;

/// The neuronal transfer function phi of Eq. 1.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Transfer {
    /// Eq. 4: the standard normal CDF, with range (0, 1).
    #[default]
    Erf,
    /// Eq. 13: the LIF rate with membrane time constant `tau_m`, with range [0, inf).
    Lif { tau_m: f64 },
}

impl Transfer {
    /// phi(z).
    #[inline]
    pub fn phi(&self, z: f64) -> f64 {
        match *self {
            Transfer::Erf => 0.5 * erfc(-z * std::f64::consts::FRAC_1_SQRT_2),
            Transfer::Lif { tau_m } => {
                if z > 1.0 {
                    -1.0 / (tau_m * (-1.0 / z).ln_1p())
                } else {
                    0.0
                }
            }
        }
    }

    /// phi'(z). For the LIF function the derivative at z <= 1 is 0 (left derivative) and it
    /// diverges as z -> 1+.
    #[inline]
    pub fn dphi(&self, z: f64) -> f64 {
        match *self {
            Transfer::Erf => FRAC_1_SQRT_2PI * (-0.5 * z * z).exp(),
            Transfer::Lif { tau_m } => {
                if z > 1.0 {
                    let l = (-1.0 / z).ln_1p();
                    1.0 / (tau_m * l * l * z * (z - 1.0))
                } else {
                    0.0
                }
            }
        }
    }

    /// phi and phi' together (one evaluation of the expensive parts).
    #[inline]
    pub fn phi_dphi(&self, z: f64) -> (f64, f64) {
        match *self {
            Transfer::Erf => (self.phi(z), self.dphi(z)),
            Transfer::Lif { tau_m } => {
                if z > 1.0 {
                    let l = (-1.0 / z).ln_1p();
                    (-1.0 / (tau_m * l), 1.0 / (tau_m * l * l * z * (z - 1.0)))
                } else {
                    (0.0, 0.0)
                }
            }
        }
    }

    /// out[i] = phi(z[i]) over the common length; for Erf vectorised through
    /// [`crate::normal_cdf`] (within 3 ulp of the exact value; [`Transfer::phi`] may differ
    /// from it by a few ulp, more in the far lower tail, see the module docs).
    pub fn phi_slice(&self, z: &[f64], out: &mut [f64]) {
        match self {
            Transfer::Erf => normal_cdf_slice(z, out),
            Transfer::Lif { .. } => {
                for (o, &z) in out.iter_mut().zip(z) {
                    *o = self.phi(z);
                }
            }
        }
    }

    /// phi[i], dphi[i] = phi(z[i]), phi'(z[i]) over the common length; for Erf vectorised
    /// through [`crate::normal_cdf`] (as [`Transfer::phi_slice`]).
    pub fn phi_dphi_slice(&self, z: &[f64], phi: &mut [f64], dphi: &mut [f64]) {
        match self {
            Transfer::Erf => normal_cdf_density_slice(z, phi, dphi),
            Transfer::Lif { .. } => {
                for ((p, d), &z) in phi.iter_mut().zip(dphi.iter_mut()).zip(z) {
                    (*p, *d) = self.phi_dphi(z);
                }
            }
        }
    }

    /// The inverse x(phi) where it exists: for Erf on (0, 1), x = sqrt 2 erf^-1(2 phi - 1),
    /// evaluated through erfc^-1 on the nearer tail; for LIF on (0, inf),
    /// x = 1 / (1 - exp(-1 / (tau_m phi))) evaluated with exp_m1.
    pub fn inverse(&self, rate: f64) -> Option<f64> {
        match *self {
            Transfer::Erf => {
                if !(rate > 0.0 && rate < 1.0) {
                    return None;
                }
                // Work on the lower tail q = min(r, 1 - r), x <= 0, where Phi keeps relative
                // accuracy; Halley's method on Phi(x) = q converges cubically from erfc^-1's
                // ~1e-10 start, two steps reach rounding.
                let q = rate.min(1.0 - rate);
                let mut x = -std::f64::consts::SQRT_2 * erfc_inv(2.0 * q);
                for _ in 0..3 {
                    let pdf = FRAC_1_SQRT_2PI * (-0.5 * x * x).exp();
                    if pdf == 0.0 {
                        break;
                    }
                    let e = (self.phi(x) - q) / pdf;
                    x -= e / (1.0 + 0.5 * x * e);
                }
                Some(if rate <= 0.5 { x } else { -x })
            }
            Transfer::Lif { tau_m } => {
                if rate > 0.0 && rate.is_finite() {
                    Some(1.0 / -(-1.0 / (tau_m * rate)).exp_m1())
                } else {
                    None
                }
            }
        }
    }

    /// Whether `rate` lies in the open range where [`Transfer::inverse`] exists.
    pub fn in_range(&self, rate: f64) -> bool {
        self.inverse(rate).is_some()
    }

    /// A human-readable form of the open range of rates.
    pub fn range_str(&self) -> &'static str {
        match self {
            Transfer::Erf => "(0, 1)",
            Transfer::Lif { .. } => "(0, inf)",
        }
    }

    /// The upper bound of phi (1 for Erf, infinity for LIF).
    pub fn sup(&self) -> f64 {
        match self {
            Transfer::Erf => 1.0,
            Transfer::Lif { .. } => f64::INFINITY,
        }
    }

    /// The point where phi is not smooth (the LIF threshold z = 1), if any.
    pub fn kink(&self) -> Option<f64> {
        match self {
            Transfer::Erf => None,
            Transfer::Lif { .. } => Some(1.0),
        }
    }

    /// The interval of z outside which phi is, to double precision, either constant (Erf)
    /// or smooth and slowly varying (LIF, where phi ~ z / tau_m): root scans use a fine grid
    /// inside it and a geometric grid outside.
    pub fn active_window(&self) -> (f64, f64) {
        match self {
            Transfer::Erf => (-12.0, 12.0),
            Transfer::Lif { .. } => (-2.0, 12.0),
        }
    }

    /// The short name used by the CLI: `erf` or `lif`.
    pub fn name(&self) -> &'static str {
        match self {
            Transfer::Erf => "erf",
            Transfer::Lif { .. } => "lif",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    #[test]
    fn slices_agree_with_single_values() {
        // phi_slice (crate::normal_cdf, <= 3 ulp) against phi (libm erfc, ~1 ulp plus the
        // rounding of z / sqrt 2 amplified by z^2): relative difference within (8 + z^2) eps.
        let z: Vec<f64> = (-1200..=900).map(|k| k as f64 * 0.01).collect();
        let t = Transfer::Erf;
        let (mut p, mut d, mut q) = (vec![0.0; z.len()], vec![0.0; z.len()], vec![0.0; z.len()]);
        t.phi_slice(&z, &mut q);
        t.phi_dphi_slice(&z, &mut p, &mut d);
        for (i, &z) in z.iter().enumerate() {
            let tol = (8.0 + z * z) * f64::EPSILON;
            assert_eq!(p[i].to_bits(), q[i].to_bits());
            assert_relative_eq!(p[i], t.phi(z), max_relative = tol);
            assert_relative_eq!(d[i], t.dphi(z), max_relative = tol);
        }
        let lif = Transfer::Lif { tau_m: 2.0 };
        lif.phi_dphi_slice(&z, &mut p, &mut d);
        for (i, &z) in z.iter().enumerate() {
            assert_eq!((p[i], d[i]), lif.phi_dphi(z));
        }
    }

    #[test]
    fn erf_closed_values_and_tails() {
        let t = Transfer::Erf;
        assert_eq!(t.phi(0.0), 0.5);
        // Phi(-1.959963984540054) = 0.025 (standard normal quantile), to 1e-15 relative.
        assert_relative_eq!(t.phi(-1.959_963_984_540_054), 0.025, max_relative = 1e-14);
        // Lower tail: Phi(-30) = 4.906713927148187e-198 (Mills-ratio series), where the
        // naive (1 + erf) / 2 is exactly 0.
        assert_relative_eq!(
            t.phi(-30.0),
            4.906_713_927_148_187e-198,
            max_relative = 1e-13
        );
        assert!(0.5 * (1.0 + statrs::function::erf::erf(-30.0 / 2f64.sqrt())) == 0.0);
    }

    #[test]
    fn inverses_round_trip_in_the_tails() {
        // Relative accuracy of the round trip phi(x(r)) = r: erfc and erfc^-1 are both
        // accurate to a few ulps, times the condition number |x phi' / phi| <~ x^2 ~ 1e3 at
        // r = 1e-300. 1e-12 leaves a margin of 10 over that bound.
        let erf = Transfer::Erf;
        for &r in &[1e-300, 1e-100, 1e-20, 1e-5, 0.2, 0.5, 0.7, 1.0 - 1e-9] {
            let x = erf.inverse(r).unwrap();
            let tol = if r > 0.5 { 1e-12 / (1.0 - r) } else { 1e-12 };
            assert_relative_eq!(erf.phi(x), r, max_relative = tol);
        }
        assert!(erf.inverse(0.0).is_none() && erf.inverse(1.0).is_none());
        let lif = Transfer::Lif { tau_m: 2.0 };
        // z - 1 = exp(-1/(tau_m r)) carries a relative rounding error eps / (z - 1), which the
        // round trip amplifies: 1e-12 holds for tau_m r >= 0.2 (z - 1 >= 7e-3).
        for &r in &[0.1, 0.2, 1.0, 1e3, 1e8] {
            let x = lif.inverse(r).unwrap();
            assert!(x > 1.0);
            assert_relative_eq!(lif.phi(x), r, max_relative = 1e-12);
        }
        assert!(lif.inverse(0.0).is_none());
    }

    #[test]
    fn lif_limits() {
        let lif = Transfer::Lif { tau_m: 1.0 };
        assert_eq!(lif.phi(1.0), 0.0);
        assert_eq!(lif.phi(0.3), 0.0);
        // Large drive: phi(z) = z - 1/2 - 1/(12 z) + O(z^-2).
        let z = 1e6;
        assert_relative_eq!(lif.phi(z), z - 0.5 - 1.0 / (12.0 * z), max_relative = 1e-15);
        // Just above threshold the rate vanishes like -1 / ln(z - 1).
        assert!(lif.phi(1.0 + 1e-12) < 0.04);
    }

    #[test]
    fn derivatives_match_central_differences() {
        // Central differences have error h^2 phi'''/6 + eps phi / h; with h = 1e-5 both terms
        // are below 1e-9 relative for the points used (away from the LIF threshold).
        for t in [
            Transfer::Erf,
            Transfer::Lif { tau_m: 1.0 },
            Transfer::Lif { tau_m: 0.5 },
        ] {
            for &z in &[-3.0, -0.5, 0.0, 0.8, 1.05, 1.5, 3.0, 20.0] {
                if t.kink().is_some_and(|k| (z - k).abs() < 0.01 || z < k) {
                    continue;
                }
                let h = 1e-5;
                let fd = (t.phi(z + h) - t.phi(z - h)) / (2.0 * h);
                assert_relative_eq!(t.dphi(z), fd, max_relative = 1e-8, epsilon = 1e-14);
                assert_eq!(t.phi_dphi(z), (t.phi(z), t.dphi(z)));
            }
        }
    }
}
