//! The fixed point of the LIF spiking network (Eqs. 62-64) and how it differs from Eq. 12.
//!
//! The rate model of Eq. 12 replaces the depression of Eq. 64 by its rate form
//! dw/dt = (1 - w)/tau_D - u w phi, whose fixed point w = 1 / (1 + tau_D u phi) (Eq. 5c)
//! multiplies the E->E input phi_E w. In the spiking network the E->E kick of neuron j is
//! scaled by w_j *at its spike times*. Averaging Eq. 64 over time gives exactly
//!
//!   <w> = 1 - tau_D u r w_spike,
//!
//! with r the rate and w_spike the mean of w just before the spikes; the E->E input is
//! r w_spike. For Poisson spike trains w_spike = <w> and both are 1 / (1 + tau_D u r), the
//! rate model. In the fixed-point regime of Fig. 10, however, every neuron receives a
//! constant supra-threshold input and fires *periodically* with period T = 1/r; w then
//! recovers for exactly T between spikes and
//!
//!   w_spike = (1 - E) / (1 - (1 - u) E),   E = e^{-T/tau_D}   ([`w_at_spikes`]),
//!
//! which is larger than 1 / (1 + tau_D u r) (tonic spikes come after a full recovery
//! interval, never in quick succession). With Table 1, N = 5000, I0 = 1.2 and J0 = 0.1 this
//! raises mu^E by 0.009 and phi_E by 3 % over Eq. 5. [`tonic_fixed_point`] solves the mean
//! equations (Eq. 5a-b with the LIF rate of Eq. 13) with w_spike in place of Eq. 5c; it is
//! what a spiking simulation in the fixed-point regime must reproduce
//! (`sim/tests/lif.rs`). The stability of the state is still governed by the rate model's
//! J_c (the transition of the spiking network is found between J0 = 0.2 and 0.25 at
//! N = 5000, J_c = 0.2098).

use serde::Serialize;

use crate::error::TheoryError;
use crate::fixed_point::{MeanSystem, Response};
use crate::params::Params;
use crate::transfer::Transfer;

/// w just before each spike of a neuron firing periodically at `rate` (Eq. 64 between
/// spikes: recovery towards 1 with tau_D, then w <- w (1 - u) at the spike). 1 at rate 0.
pub fn w_at_spikes(rate: f64, tau_d: f64, u: f64) -> f64 {
    if rate <= 0.0 {
        return 1.0;
    }
    let e = (-1.0 / (rate * tau_d)).exp();
    // 1 - E = -expm1(-T/tau_D) without cancellation at high rates.
    -(-1.0 / (rate * tau_d)).exp_m1() / (1.0 - (1.0 - u) * e)
}

/// d w_spike / d rate.
fn dw_at_spikes(rate: f64, tau_d: f64, u: f64) -> f64 {
    if rate <= 0.0 {
        return 0.0;
    }
    let e = (-1.0 / (rate * tau_d)).exp();
    let den = 1.0 - (1.0 - u) * e;
    // dw/dE = -u / den^2, dE/dr = E / (r^2 tau_D).
    -u / (den * den) * e / (rate * rate * tau_d)
}

/// The mean-field response of tonically firing LIF neurons: phi of Eq. 13 and the E->E drive
/// phi w_spike(phi).
#[derive(Clone, Copy, Debug)]
pub struct Tonic {
    pub transfer: Transfer,
    pub tau_d: f64,
    pub u: f64,
}

impl Response for Tonic {
    fn excitatory(&self, x: f64) -> (f64, f64, f64, f64) {
        let (p, dp) = self.transfer.phi_dphi(x);
        let w = w_at_spikes(p, self.tau_d, self.u);
        let dw = dw_at_spikes(p, self.tau_d, self.u);
        (p, dp, p * w, (w + p * dw) * dp)
    }
    fn inhibitory(&self, x: f64) -> (f64, f64) {
        self.transfer.phi_dphi(x)
    }
    fn psi_sup(&self) -> f64 {
        // phi w_spike increases towards 1 / (tau_D u) as phi -> infinity.
        1.0 / (self.tau_d * self.u)
    }
    fn rate_sup(&self) -> f64 {
        self.transfer.sup()
    }
    fn window(&self) -> (f64, f64) {
        self.transfer.active_window()
    }
}

/// The tonic fixed point of the spiking network.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct TonicFixedPoint {
    /// Mean inputs mu^E, mu^I (the x of Eq. 12 at rest).
    pub mu_e: f64,
    pub mu_i: f64,
    /// Rates in spikes per tau_m (Eq. 13).
    pub phi_e: f64,
    pub phi_i: f64,
    /// w just before the spikes, and its time average 1 - tau_D u phi_E w_spike.
    pub w_spike: f64,
    pub w_mean: f64,
}

/// The fixed point of Eq. 5a-b with the LIF transfer function and w_spike of periodic firing
/// (see the module docs). `p.transfer` must be the LIF one; the active state (largest
/// phi_E) is returned when a quiescent one coexists.
pub fn tonic_fixed_point(p: &Params) -> Result<TonicFixedPoint, TheoryError> {
    p.validate_finite()?;
    if !matches!(p.transfer, Transfer::Lif { .. }) {
        return Err(TheoryError::Unsupported(
            "the tonic fixed point is for the LIF transfer function (transfer = lif)".into(),
        ));
    }
    let resp = Tonic {
        transfer: p.transfer,
        tau_d: p.tau_d,
        u: p.u,
    };
    let sys = MeanSystem::new(p);
    let (roots, _) = sys.solve_all(&resp)?;
    let (mu_e, mu_i) = roots
        .into_iter()
        .map(|(xe, xi)| sys.newton(&resp, (xe, xi)).unwrap_or((xe, xi)))
        .max_by(|a, b| p.transfer.phi(a.0).total_cmp(&p.transfer.phi(b.0)))
        .expect("solve_all returns at least one root");
    let (phi_e, phi_i) = (p.transfer.phi(mu_e), p.transfer.phi(mu_i));
    let w_spike = w_at_spikes(phi_e, p.tau_d, p.u);
    Ok(TonicFixedPoint {
        mu_e,
        mu_i,
        phi_e,
        phi_i,
        w_spike,
        w_mean: 1.0 - p.tau_u() * phi_e * w_spike,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixed_point::homogeneous;

    #[test]
    fn w_at_spikes_is_the_periodic_orbit_of_eq_64() {
        // Iterate Eq. 64 spike by spike at a fixed period until periodic; compare.
        let (rate, tau_d, u): (f64, f64, f64) = (0.43, 10.0, 0.5);
        let mut w = 1.0;
        for _ in 0..1000 {
            w *= 1.0 - u;
            w = 1.0 - (1.0 - w) * (-1.0 / (rate * tau_d)).exp();
        }
        assert!((w - w_at_spikes(rate, tau_d, u)).abs() < 1e-14);
        // Time average of w over one period equals 1 - tau_D u r w_spike (exact balance).
        let (ws, t) = (w_at_spikes(rate, tau_d, u), 1.0 / rate);
        let post = ws * (1.0 - u);
        let avg = 1.0 - (1.0 - post) * tau_d * (-(-t / tau_d).exp_m1()) / t;
        assert!((avg - (1.0 - tau_d * u * rate * ws)).abs() < 1e-14);
        // Always above the rate-model value (Eq. 5c); both tend to 1 as the rate -> 0, the
        // tonic one exponentially (full recovery between spikes), Eq. 5c only as 1 - tau_D u r.
        for r in [0.01, 0.1, 0.5, 2.0, 50.0] {
            assert!(w_at_spikes(r, tau_d, u) > 1.0 / (1.0 + tau_d * u * r));
        }
        assert!(1.0 - w_at_spikes(1e-3, tau_d, u) < 1e-40);
        // Derivative against central differences.
        let h = 1e-6;
        let fd = (w_at_spikes(rate + h, tau_d, u) - w_at_spikes(rate - h, tau_d, u)) / (2.0 * h);
        assert!((fd - dw_at_spikes(rate, tau_d, u)).abs() < 1e-8);
    }

    #[test]
    fn tonic_fixed_point_solves_its_equations_and_exceeds_eq_5() {
        let p = Params {
            j0: 0.1,
            ..Params::lif_paper()
        };
        let t = tonic_fixed_point(&p).unwrap();
        let s = p.coupling_scale();
        let (ce, ci) = (p.c_e.sqrt(), p.c_i.sqrt());
        let re = p.i0 + s * p.j_e * (ce * t.phi_e * t.w_spike - p.g_e * ci * t.phi_i);
        let ri = p.i0 + s * p.j_i * (ce * t.phi_e - p.g_i * ci * t.phi_i);
        assert!((re - t.mu_e).abs() < 1e-12 && (ri - t.mu_i).abs() < 1e-12);
        let h = homogeneous(&p).unwrap().primary;
        assert!(t.mu_e > h.x_e && t.phi_e > h.phi_e, "{t:?} {h:?}");
        // With u -> 0 depression vanishes in both descriptions: they coincide.
        let q = Params { u: 1e-12, ..p };
        let (t, h) = (
            tonic_fixed_point(&q).unwrap(),
            homogeneous(&q).unwrap().primary,
        );
        assert!((t.mu_e - h.x_e).abs() < 1e-9 && (t.mu_i - h.x_i).abs() < 1e-9);
    }
}
