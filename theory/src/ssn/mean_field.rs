//! The LIF network of paper 004 and its two mean-field descriptions: the Ricciardi
//! self-consistency Phi_sc (its Eqs. 10-14) and the mapping to the SSN (its "Mapping LIF
//! network - SSN").
//!
//! # The network
//! N_E = f_E N excitatory and N_I = N - N_E inhibitory LIF neurons ([`Neuron`] per population);
//! a neuron of population X receives exactly K_XY = p_XY N_Y inputs from population Y, each a
//! jump of +j_XE or -j_XI mV (delta synapses), plus white noise of mean mu_ext_X and strength
//! sigma_ext_X (mu_ext_E = mu_ext, mu_ext_I = r mu_ext).
//!
//! # Recurrent input for Poisson presynaptic spikes (Eqs. 10-13)
//! K_XY presynaptic Poisson trains at nu_Y, each spike a jump j_XY, add to the drift and to
//! the diffusion of dV/dt = -V/tau + mu + sigma xi (the convention of [`super::ricciardi`]):
//!
//! ```text
//! mu_X      = mu_ext_X + J_XE nu_E - J_XI nu_I,                      (mV/s)
//! sigma_X^2 = sigma_ext_X^2 + j_XE J_XE nu_E + j_XI J_XI nu_I,       (mV^2/s)
//! J_XY      = p_XY N_Y j_XY                                          (Eq. 13, mV)
//! ```
//!
//! # Phi_sc (Eq. 14)
//! nu_X = Phi_X(mu_X(nu), sigma_X(nu)), solved for every solution: for each nu_E the I
//! equation is solved alone by safeguarded Newton, leaving a scalar equation in nu_E whose
//! sign changes are bracketed on a geometric grid (64 per decade) and bisected. Stability is
//! that of the rate dynamics tau_X dnu_X/dt = -nu_X + Phi_X, linearised with the derivatives
//! of Phi in mu and sigma.
//!
//! # The SSN (its Eq. 3 with Eq. 13)
//! The SSN takes the same J_XY and time constants tau_X, and power laws fitted to Phi_X at
//! the external noise alone, sigma = sigma_ext_X ([`super::power_law::fit`]): the recurrent
//! noise is neglected.
//!
//! # Size scaling (Fig. 6)
//! [`LifNetwork::scaled`] follows the balanced-state convention: N grows at fixed p_XY and
//! f_E while j_XY shrinks by sqrt(N0 / N), so J_XY grows by sqrt(N / N0) and the recurrent
//! variance j J nu stays; the external drive grows like J (`mu_ext sqrt(N / N0)`) and the
//! external noise stays. In units of the unscaled drive the balanced limit is then the same
//! for every N.

use serde::{Deserialize, Serialize};

use super::network::Ssn;
use super::power_law::fit;
use super::ricciardi::{Neuron, rate_with_derivatives};
use crate::error::{ParamError, TheoryError};

/// One population: its neurons and their external noise.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Population {
    /// Membrane time constant (s).
    pub tau: f64,
    /// Threshold relative to rest (mV).
    pub theta: f64,
    /// Reset relative to rest (mV).
    pub v_r: f64,
    /// Refractory period (s).
    pub tau_ref: f64,
    /// External noise strength sigma_ext (mV/sqrt(s)); the free membrane potential's sd is
    /// sigma_ext sqrt(tau / 2).
    pub sigma_ext: f64,
}

impl Population {
    pub fn neuron(&self) -> Neuron {
        Neuron {
            tau: self.tau,
            theta: self.theta,
            v_r: self.v_r,
            tau_ref: self.tau_ref,
        }
    }
}

/// The synapses of the spiking simulation (the mean-field theories see only delta synapses).
#[derive(Clone, Copy, Debug, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Synapses {
    /// Exponential synaptic decay time (s); 0 means delta synapses. The charge j_XY per spike
    /// is the same either way, so the means and the mean-field rates do not change.
    #[serde(default)]
    pub tau_s: f64,
    /// Each connection gets its own delay, uniform in [0, delay_max] (s), to prevent
    /// population synchrony (the paper's jitter).
    #[serde(default)]
    pub delay_max: f64,
}

/// The LIF network of paper 004 (Materials and methods). Couplings j_XY > 0 are PSP jumps in
/// mV; inhibition enters with a minus sign.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LifNetwork {
    /// Number of neurons.
    pub n: usize,
    /// Fraction that is excitatory.
    pub f_e: f64,
    pub e: Population,
    pub i: Population,
    /// Connection probabilities p_XY (from Y to X).
    pub p_ee: f64,
    pub p_ei: f64,
    pub p_ie: f64,
    pub p_ii: f64,
    /// PSP amplitudes j_XY (mV).
    pub j_ee: f64,
    pub j_ei: f64,
    pub j_ie: f64,
    pub j_ii: f64,
    #[serde(default)]
    pub synapses: Synapses,
}

/// One solution of Phi_sc.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct ScState {
    pub nu_e: f64,
    pub nu_i: f64,
    /// Total mean inputs (mV/s) and noise strengths (mV/sqrt(s)) at the solution.
    pub mu_e: f64,
    pub mu_i: f64,
    pub sigma_e: f64,
    pub sigma_i: f64,
    /// Stable under tau_X dnu_X/dt = -nu_X + Phi_X.
    pub stable: bool,
}

impl LifNetwork {
    /// Typed validation of every parameter.
    pub fn validate(&self) -> Result<(), ParamError> {
        let bad = |name, value, range| Err(ParamError::OutOfRange { name, value, range });
        if self.n < 2 {
            return bad("n", self.n as f64, "n >= 2");
        }
        if !(self.f_e > 0.0 && self.f_e < 1.0) {
            return bad("f_e", self.f_e, "0 < f_e < 1");
        }
        for p in [&self.e, &self.i] {
            p.neuron().validate()?;
            if !(p.sigma_ext >= 0.0 && p.sigma_ext.is_finite()) {
                return bad(
                    "sigma_ext",
                    p.sigma_ext,
                    "0 <= sigma_ext < inf (mV/sqrt(s))",
                );
            }
        }
        for (name, v) in [
            ("p_ee", self.p_ee),
            ("p_ei", self.p_ei),
            ("p_ie", self.p_ie),
            ("p_ii", self.p_ii),
        ] {
            if !(v > 0.0 && v <= 1.0) {
                return bad(name, v, "0 < p <= 1");
            }
        }
        for (name, v) in [
            ("j_ee", self.j_ee),
            ("j_ei", self.j_ei),
            ("j_ie", self.j_ie),
            ("j_ii", self.j_ii),
        ] {
            if !(v > 0.0 && v.is_finite()) {
                return bad(name, v, "0 < j < inf (mV)");
            }
        }
        let s = self.synapses;
        if !(s.tau_s >= 0.0 && s.tau_s.is_finite()) {
            return bad("synapses.tau_s", s.tau_s, "0 <= tau_s < inf (s)");
        }
        if !(s.delay_max >= 0.0 && s.delay_max.is_finite()) {
            return bad(
                "synapses.delay_max",
                s.delay_max,
                "0 <= delay_max < inf (s)",
            );
        }
        Ok(())
    }

    /// Population sizes (N_E, N_I).
    pub fn sizes(&self) -> (usize, usize) {
        let ne = (self.f_e * self.n as f64).round() as usize;
        (ne, self.n - ne)
    }

    /// In-degrees K_XY = round(p_XY N_Y): [[K_EE, K_EI], [K_IE, K_II]].
    pub fn in_degrees(&self) -> [[usize; 2]; 2] {
        let (ne, ni) = self.sizes();
        let k = |p: f64, n: usize| ((p * n as f64).round() as usize).min(n);
        [
            [k(self.p_ee, ne), k(self.p_ei, ni)],
            [k(self.p_ie, ne), k(self.p_ii, ni)],
        ]
    }

    /// Eq. 13: J_XY = K_XY j_XY (mV), as [[J_EE, J_EI], [J_IE, J_II]].
    pub fn couplings(&self) -> [[f64; 2]; 2] {
        let k = self.in_degrees();
        [
            [k[0][0] as f64 * self.j_ee, k[0][1] as f64 * self.j_ei],
            [k[1][0] as f64 * self.j_ie, k[1][1] as f64 * self.j_ii],
        ]
    }

    /// The network at size `n` in the balanced-state convention: j_XY times sqrt(N0 / N)
    /// (N0 = self.n), everything else kept. Drive it with `mu_ext * drive_factor(n)`.
    pub fn scaled(&self, n: usize) -> LifNetwork {
        let f = (self.n as f64 / n as f64).sqrt();
        LifNetwork {
            n,
            j_ee: self.j_ee * f,
            j_ei: self.j_ei * f,
            j_ie: self.j_ie * f,
            j_ii: self.j_ii * f,
            ..*self
        }
    }

    /// sqrt(N / N0): the factor of the external drive of [`LifNetwork::scaled`].
    pub fn drive_factor(&self, n: usize) -> f64 {
        (n as f64 / self.n as f64).sqrt()
    }

    /// Eqs. 10-12: the mean inputs and noise strengths of E and I at rates (nu_E, nu_I).
    pub fn moments(&self, nu_e: f64, nu_i: f64, mu_ext: f64, r: f64) -> [(f64, f64); 2] {
        let j = self.couplings();
        let m = |x: usize, ext: f64, sig: f64, jx: [f64; 2]| {
            let mu = ext + j[x][0] * nu_e - j[x][1] * nu_i;
            let var = sig * sig + jx[0] * j[x][0] * nu_e + jx[1] * j[x][1] * nu_i;
            (mu, var.max(0.0).sqrt())
        };
        [
            m(0, mu_ext, self.e.sigma_ext, [self.j_ee, self.j_ei]),
            m(1, r * mu_ext, self.i.sigma_ext, [self.j_ie, self.j_ii]),
        ]
    }

    /// The SSN of this network: J from Eq. 13, tau_X the membrane time constants, power laws
    /// fitted to Phi_X at sigma_ext_X over 0..`max_rate` Hz (the paper's 10 Hz).
    pub fn to_ssn(&self, max_rate: f64) -> Result<Ssn, TheoryError> {
        self.validate()?;
        let j = self.couplings();
        Ok(Ssn {
            e: fit(&self.e.neuron(), self.e.sigma_ext, max_rate)?,
            i: fit(&self.i.neuron(), self.i.sigma_ext, max_rate)?,
            j_ee: j[0][0],
            j_ei: j[0][1],
            j_ie: j[1][0],
            j_ii: j[1][1],
            tau_e: self.e.tau,
            tau_i: self.i.tau,
        })
    }

    /// Every solution of Phi_sc (Eq. 14) at (mu_ext, r), sorted by nu_E. Rates are searched
    /// from 1e-9 Hz to the refractory limit 1/tau_ref (to 1e4 Hz without refractoriness).
    pub fn phi_sc(&self, mu_ext: f64, r: f64) -> Result<Vec<ScState>, TheoryError> {
        self.validate()?;
        if !(mu_ext.is_finite() && r >= 0.0 && r.is_finite()) {
            return Err(ParamError::OutOfRange {
                name: "mu_ext/r",
                value: if mu_ext.is_finite() { r } else { mu_ext },
                range: "finite mu_ext and 0 <= r < inf",
            }
            .into());
        }
        let (ne_n, ni_n) = (self.e.neuron(), self.i.neuron());
        let ceiling = |n: &Neuron| {
            if n.tau_ref > 0.0 {
                1.0 / n.tau_ref
            } else {
                1e4
            }
        };
        let (top_e, top_i) = (ceiling(&ne_n), ceiling(&ni_n));
        let phi_e = |nu_e: f64, nu_i: f64| {
            let [(m, s), _] = self.moments(nu_e, nu_i, mu_ext, r);
            rate_with_derivatives(&ne_n, m, s).rate
        };
        let solve_i = |nu_e: f64, guess: f64| self.solve_i(nu_e, guess, mu_ext, r, top_i);
        let mut out = Vec::new();
        // F(0) > 0 (Phi > 0 for sigma > 0), so a sign change against the first grid point
        // brackets a state below MIN_RATE (a practically silent E population).
        let i0 = solve_i(0.0, 0.0);
        let mut prev: Option<(f64, f64, f64)> = Some((0.0, phi_e(0.0, i0), i0)); // (nu_E, F, nu_I)
        let decades = (top_e / super::network::MIN_RATE).log10();
        let k = (64.0 * decades).ceil() as usize;
        let ratio = (top_e / super::network::MIN_RATE).powf(1.0 / k as f64);
        let mut nu_e = super::network::MIN_RATE;
        let mut guess = 0.0;
        for step in 0..=k {
            if step == k {
                nu_e = top_e * (1.0 - 1e-12);
            }
            let nu_i = solve_i(nu_e, guess);
            guess = nu_i;
            let f = phi_e(nu_e, nu_i) - nu_e;
            if let Some((x0, f0, i0)) = prev
                && f0.signum() != f.signum()
            {
                let (mut lo, mut hi, mut ilo) = (x0, nu_e, i0);
                for _ in 0..200 {
                    let mid = 0.5 * (lo + hi);
                    let im = solve_i(mid, ilo);
                    let fm = phi_e(mid, im) - mid;
                    if fm.signum() == f0.signum() {
                        lo = mid;
                        ilo = im;
                    } else {
                        hi = mid;
                    }
                    if hi - lo <= 1e-14 * hi {
                        break;
                    }
                }
                let x = 0.5 * (lo + hi);
                let xi = solve_i(x, ilo);
                out.push(self.sc_state(x, xi, mu_ext, r));
            }
            prev = Some((nu_e, f, nu_i));
            nu_e *= ratio;
        }
        Ok(out)
    }

    /// The I equation at fixed nu_E: G(nu_I) = Phi_I(nu_E, nu_I) - nu_I, positive at 0 and
    /// negative at the refractory limit `top`; Newton inside a shrinking bracket.
    pub fn solve_i(&self, nu_e: f64, guess: f64, mu_ext: f64, r: f64, top: f64) -> f64 {
        let ni_n = self.i.neuron();
        let j_ii = self.couplings()[1][1];
        let g = |nu_i: f64| {
            let [_, (m, s)] = self.moments(nu_e, nu_i, mu_ext, r);
            let p = rate_with_derivatives(&ni_n, m, s);
            // dPhi_I/dnu_I = Phi_mu (-J_II) + Phi_sigma j_II J_II / (2 sigma_I).
            let d = -p.drate_dmu * j_ii
                + if s > 0.0 {
                    p.drate_dsigma * self.j_ii * j_ii / (2.0 * s)
                } else {
                    0.0
                };
            (p.rate - nu_i, d - 1.0)
        };
        let (mut lo, mut hi) = (0.0, top);
        let mut x = guess.clamp(0.0, top);
        for _ in 0..200 {
            let (gx, dg) = g(x);
            if gx == 0.0 {
                return x;
            }
            if gx > 0.0 {
                lo = x;
            } else {
                hi = x;
            }
            let newton = x - gx / dg;
            let next = if dg < 0.0 && newton > lo && newton < hi {
                newton
            } else {
                0.5 * (lo + hi)
            };
            if hi - lo <= 1e-13 * hi || (next - x).abs() <= 1e-14 * x {
                return next;
            }
            x = next;
        }
        x
    }

    fn sc_state(&self, nu_e: f64, nu_i: f64, mu_ext: f64, r: f64) -> ScState {
        let [(me, se), (mi, si)] = self.moments(nu_e, nu_i, mu_ext, r);
        let j = self.couplings();
        let pe = rate_with_derivatives(&self.e.neuron(), me, se);
        let pi = rate_with_derivatives(&self.i.neuron(), mi, si);
        // dPhi_X/dnu_Y = Phi_mu (+-J_XY) + Phi_sigma j_XY J_XY / (2 sigma_X).
        let ds = |p: &super::ricciardi::Rate, s: f64, jj: f64, jc: f64| {
            if s > 0.0 {
                p.drate_dsigma * jj * jc / (2.0 * s)
            } else {
                0.0
            }
        };
        let a = [
            [
                pe.drate_dmu * j[0][0] + ds(&pe, se, self.j_ee, j[0][0]),
                -pe.drate_dmu * j[0][1] + ds(&pe, se, self.j_ei, j[0][1]),
            ],
            [
                pi.drate_dmu * j[1][0] + ds(&pi, si, self.j_ie, j[1][0]),
                -pi.drate_dmu * j[1][1] + ds(&pi, si, self.j_ii, j[1][1]),
            ],
        ];
        let m = [
            [(a[0][0] - 1.0) / self.e.tau, a[0][1] / self.e.tau],
            [a[1][0] / self.i.tau, (a[1][1] - 1.0) / self.i.tau],
        ];
        let (tr, det) = (m[0][0] + m[1][1], m[0][0] * m[1][1] - m[0][1] * m[1][0]);
        ScState {
            nu_e,
            nu_i,
            mu_e: me,
            mu_i: mi,
            sigma_e: se,
            sigma_i: si,
            stable: tr < 0.0 && det > 0.0,
        }
    }
}
