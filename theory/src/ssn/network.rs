//! The two-population stabilized supralinear network (paper 004, Eqs. 2-4, 7 and S1 Text
//! Eqs. S1-S4), reconstructed (the paper's equations were images):
//!
//! ```text
//! tau_X dnu_X/dt = -nu_X + a_X [mu_X - b_X]_+^{n_X},            X in {E, I}
//! mu_E = J_EE nu_E - J_EI nu_I + mu_ext,   mu_I = J_IE nu_E - J_II nu_I + r mu_ext,
//! ```
//!
//! with every J_XY > 0 (the inhibitory sign is explicit), rates in Hz, inputs in mV/s and
//! J in mV (a presynaptic rate of 1 Hz adds J mV/s). `det J = J_EI J_IE - J_EE J_II`.
//!
//! * **Steady states** (Eq. 3): all of them. For a given nu_E the I equation has exactly one
//!   solution nu_I*(nu_E) (its right side falls as nu_I grows; Newton in the input above
//!   threshold), which leaves the continuous scalar F(nu_E) = f_E(mu_E(nu_E, nu_I*)) - nu_E.
//!   Its sign changes are bracketed on a geometric grid (64 points per decade from 1e-9 Hz)
//!   and refined by bisection; nu_E = 0 is a state when E is below threshold there. For
//!   nu_E -> inf, F behaves like f_E(-det J nu_E / J_II) - nu_E: negative for det J > 0,
//!   positive (runaway) for det J < 0, which fixes where the grid may stop and gives the
//!   parity rule: det J > 0, an odd number of steady states; det J < 0, an even number.
//! * **Stability** with time constants tau_E, tau_I: the Jacobian
//!   `[[(g_E J_EE - 1)/tau_E, -g_E J_EI/tau_E], [g_I J_IE/tau_I, -(1 + g_I J_II)/tau_I]]`,
//!   g_X = a_X n_X [mu_X - b_X]_+^{n_X - 1}; stable when its trace is negative and its
//!   determinant positive.
//! * **Inhibition stabilisation** (Eq. 7): the E subnetwork alone is unstable, g_E J_EE > 1,
//!   i.e. `nu_E > (n_E a_E^{1/n_E} J_EE)^{-n_E/(n_E - 1)}`. At a stable state this is the
//!   paradoxical effect: the I rate falls when the input to I alone grows.
//! * **Balanced limit** (S1 Text Eq. S1): with J and mu_ext scaled by sqrt(N), the rates tend
//!   to `nu = -W^-1 (1, r) mu_ext`, W = [[J_EE, -J_EI], [J_IE, -J_II]]:
//!   `nu_E = (J_II - r J_EI) mu_ext / det J`, `nu_I = (J_IE - r J_EE) mu_ext / det J`. It
//!   exists when both are positive (S2-S3) and is stable when det J > 0 and the large-N
//!   Jacobian `diag(g/tau) W` has negative trace, `g_E J_EE / tau_E < g_I J_II / tau_I`, with
//!   the gains of the power laws at the balanced rates (S4).
//! * **Supersaturation** (Eq. 4): nu_E falls as mu_ext grows once r > J_II / J_EI, whatever
//!   J_EE and J_IE are: the balanced-limit slope of nu_E, (J_II - r J_EI) / det J, changes sign
//!   there.

use serde::{Deserialize, Serialize};

use super::power_law::PowerLaw;
use crate::error::ParamError;

/// The SSN's parameters.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ssn {
    /// Transfer functions of E and I (a in Hz/(mV/s)^n, b in mV/s).
    pub e: PowerLaw,
    pub i: PowerLaw,
    /// Couplings J_XY > 0 (mV).
    pub j_ee: f64,
    pub j_ei: f64,
    pub j_ie: f64,
    pub j_ii: f64,
    /// Population time constants (s).
    pub tau_e: f64,
    pub tau_i: f64,
}

/// One steady state.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct State {
    pub nu_e: f64,
    pub nu_i: f64,
    pub stable: bool,
    /// The E subnetwork alone is unstable (g_E J_EE > 1): inhibition-stabilised if stable.
    pub isn: bool,
    /// Largest real part of the Jacobian's eigenvalues (1/s).
    pub max_re: f64,
    /// Linear response of nu_E to mu_ext at fixed r (Hz per mV/s): negative at a stable
    /// state is supersaturation.
    pub dnu_e_dmu_ext: f64,
    /// Linear response of nu_I to the input to I alone (Hz per mV/s): negative at a stable
    /// state is the paradoxical effect.
    pub dnu_i_dmu_i: f64,
}

/// The balanced limit (S1 Text Eq. S1).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct BalancedLimit {
    pub exists: bool,
    pub stable: bool,
    pub nu_e: f64,
    pub nu_i: f64,
}

/// Everything at one input (mu_ext, r).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Analysis {
    pub states: Vec<State>,
    pub det_j: f64,
    /// Some stable state with nu_E > 0 has nu_E falling as mu_ext grows (Fig. 5's red area).
    pub supersaturating: bool,
    /// r > J_II / J_EI (Eq. 4), the necessary condition for supersaturation.
    pub r_above_j_ii_over_j_ei: bool,
    /// No steady state at all (possible only for det J < 0): the rates run away.
    pub no_steady_state: bool,
    /// Some stable state is inhibition-stabilised.
    pub isn: bool,
    /// Two or more stable states.
    pub bistable: bool,
    pub balanced_limit: BalancedLimit,
    /// Every rate up to where states can exist was searched ([`Ssn::search_complete`]).
    pub complete: bool,
}

/// Successive samples of the root bracketing differ in nu_E by at most this factor (64 per
/// decade).
const GRID_RATIO: f64 = 1.036_632_928_437_698; // 10^(1/64)

/// One cell of the regime map ([`Ssn::scan`]).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Cell {
    pub mu_ext: f64,
    pub r: f64,
    /// Number of steady states and of stable ones.
    pub states: usize,
    pub stable: usize,
    pub supersaturating: bool,
    pub isn: bool,
    pub bistable: bool,
    pub no_steady_state: bool,
    pub balanced_exists: bool,
    pub balanced_stable: bool,
    pub complete: bool,
}

/// Rates below this (Hz) are not resolved by the root bracketing.
pub const MIN_RATE: f64 = 1e-9;
/// States above this rate (Hz) are not searched.
pub const MAX_RATE: f64 = 1e15;

impl Ssn {
    /// Typed validation: positive couplings, exponents above 1, positive prefactors and time
    /// constants.
    pub fn validate(&self) -> Result<(), ParamError> {
        let bad = |name, value, range| Err(ParamError::OutOfRange { name, value, range });
        for (name, v) in [
            ("j_ee", self.j_ee),
            ("j_ei", self.j_ei),
            ("j_ie", self.j_ie),
            ("j_ii", self.j_ii),
        ] {
            if !(v > 0.0 && v.is_finite()) {
                return bad(name, v, "0 < J < inf (mV)");
            }
        }
        for (name, v) in [("tau_e", self.tau_e), ("tau_i", self.tau_i)] {
            if !(v > 0.0 && v.is_finite()) {
                return bad(name, v, "0 < tau < inf (s)");
            }
        }
        for (pa, pb, pn, law) in [
            ("e.a", "e.b", "e.n", &self.e),
            ("i.a", "i.b", "i.n", &self.i),
        ] {
            if !(law.a > 0.0 && law.a.is_finite()) {
                return bad(pa, law.a, "0 < a < inf");
            }
            if !law.b.is_finite() {
                return bad(pb, law.b, "finite (mV/s)");
            }
            if !(law.n > 1.0 && law.n.is_finite()) {
                return bad(pn, law.n, "1 < n < inf (supralinear)");
            }
        }
        Ok(())
    }

    /// det J = J_EI J_IE - J_EE J_II.
    pub fn det_j(&self) -> f64 {
        self.j_ei * self.j_ie - self.j_ee * self.j_ii
    }

    /// The inputs (mu_E, mu_I) at rates (nu_E, nu_I).
    pub fn inputs(&self, nu_e: f64, nu_i: f64, mu_ext: f64, r: f64) -> (f64, f64) {
        (
            self.j_ee * nu_e - self.j_ei * nu_i + mu_ext,
            self.j_ie * nu_e - self.j_ii * nu_i + r * mu_ext,
        )
    }

    /// The right-hand side of the rate equations, (dnu_E/dt, dnu_I/dt).
    pub fn velocity(&self, nu_e: f64, nu_i: f64, mu_ext: f64, r: f64) -> (f64, f64) {
        let (me, mi) = self.inputs(nu_e, nu_i, mu_ext, r);
        (
            (self.e.rate(me) - nu_e) / self.tau_e,
            (self.i.rate(mi) - nu_i) / self.tau_i,
        )
    }

    /// The Jacobian of [`Ssn::velocity`] at (nu_E, nu_I).
    pub fn jacobian(&self, nu_e: f64, nu_i: f64, mu_ext: f64, r: f64) -> [[f64; 2]; 2] {
        let (me, mi) = self.inputs(nu_e, nu_i, mu_ext, r);
        let (ge, gi) = (self.e.slope(me), self.i.slope(mi));
        [
            [
                (ge * self.j_ee - 1.0) / self.tau_e,
                -ge * self.j_ei / self.tau_e,
            ],
            [
                gi * self.j_ie / self.tau_i,
                -(1.0 + gi * self.j_ii) / self.tau_i,
            ],
        ]
    }

    fn classify(&self, nu_e: f64, nu_i: f64, mu_ext: f64, r: f64) -> State {
        let m = self.jacobian(nu_e, nu_i, mu_ext, r);
        let (tr, det) = (m[0][0] + m[1][1], m[0][0] * m[1][1] - m[0][1] * m[1][0]);
        let disc = 0.25 * tr * tr - det;
        let max_re = if disc >= 0.0 {
            0.5 * tr + disc.sqrt()
        } else {
            0.5 * tr
        };
        let (me, mi) = self.inputs(nu_e, nu_i, mu_ext, r);
        let (ge, gi) = (self.e.slope(me), self.i.slope(mi));
        // Differentiating nu = f(W nu + (1, r) mu_ext): (I - G W) dnu = G (1, r) dmu_ext, with
        // det(I - G W) = (1 - g_E J_EE)(1 + g_I J_II) + g_E g_I J_EI J_IE (> 0 when stable).
        let d = (1.0 - ge * self.j_ee) * (1.0 + gi * self.j_ii) + ge * gi * self.j_ei * self.j_ie;
        State {
            nu_e,
            nu_i,
            stable: tr < 0.0 && det > 0.0,
            isn: ge * self.j_ee > 1.0,
            max_re,
            dnu_e_dmu_ext: ge * (1.0 + gi * (self.j_ii - r * self.j_ei)) / d,
            dnu_i_dmu_i: gi * (1.0 - ge * self.j_ee) / d,
        }
    }

    /// The I rate that solves the I equation alone at a given nu_E: nu_I = f_I(J_IE nu_E -
    /// J_II nu_I + r mu_ext), unique because the right side falls as nu_I grows.
    fn nu_i_given_e(&self, nu_e: f64, mu_ext: f64, r: f64) -> f64 {
        let y = self.i_input_given_e(nu_e, mu_ext, r);
        self.i.a * y.powf(self.i.n)
    }

    /// The I input above threshold, y = [mu_I - b_I]_+, that solves the I equation at a given
    /// nu_E: y + J_II a_I y^n_I = D with D = J_IE nu_E + r mu_ext - b_I. The left side is
    /// increasing and convex, so Newton's method started above the root descends to it
    /// monotonically and quadratically.
    fn i_input_given_e(&self, nu_e: f64, mu_ext: f64, r: f64) -> f64 {
        let d = self.j_ie * nu_e + r * mu_ext - self.i.b;
        if d <= 0.0 {
            return 0.0;
        }
        let (c, n) = (self.j_ii * self.i.a, self.i.n);
        // Both bounds lie above the root: y <= D and c y^n <= D.
        let mut y = d.min((d / c).powf(1.0 / n));
        for _ in 0..100 {
            let yn1 = y.powf(n - 1.0);
            let h = y + c * yn1 * y - d;
            let step = h / (1.0 + c * n * yn1);
            let next = y - step;
            if next.partial_cmp(&y) != Some(std::cmp::Ordering::Less) || step <= 1e-15 * y {
                y = next.min(y).max(0.0);
                break;
            }
            y = next.max(0.0);
        }
        y
    }

    /// All steady states at input mu_ext (to E; r mu_ext to I), sorted by nu_E: nu_E = 0 if E
    /// is below threshold there, and every root of F(nu_E) = f_E(mu_E(nu_E, nu_I*(nu_E))) -
    /// nu_E with nu_I* from the I equation ([`Ssn::nu_i_given_e`]). F is continuous, so
    /// states with nu_I = 0 and with both rates positive are found alike.
    pub fn steady_states(&self, mu_ext: f64, r: f64) -> Vec<State> {
        let mut found: Vec<(f64, f64)> = Vec::new();
        let ni0 = self.nu_i_given_e(0.0, mu_ext, r);
        if self.inputs(0.0, ni0, mu_ext, r).0 <= self.e.b {
            found.push((0.0, ni0));
        }
        // det J = 0 or extreme parameters send the ceiling to infinity: the search stops at
        // MAX_RATE, beyond any meaning of a rate ([`Ssn::search_complete`] says when).
        found.extend(self.active_states(mu_ext, r, self.rate_ceiling(mu_ext, r).min(MAX_RATE)));
        found
            .into_iter()
            .map(|(ne, ni)| self.classify(ne, ni, mu_ext, r))
            .collect()
    }

    /// The states with nu_E in (MIN_RATE, ceiling]: the roots of F(nu_E) = f_E(mu_E(nu_E,
    /// nu_I*(nu_E))) - nu_E, bracketed by sign changes between samples whose nu_E grow by at
    /// most [`GRID_RATIO`] and refined by bisection to 1e-14 relative.
    ///
    /// Where I is silent (nu_E below nu_E0 = (b_I - r mu_ext) / J_IE) nu_I* = 0 and F is
    /// explicit. Where it fires, the samples are parametrised by the I input above threshold
    /// y instead of nu_E: then nu_I = a_I y^n_I and the I equation gives nu_E explicitly,
    /// nu_E = (y + J_II nu_I - r mu_ext + b_I) / J_IE, increasing in y; this replaces an inner
    /// Newton solve per sample by two powers (the 200 x 200 regime map depends on it).
    fn active_states(&self, mu_ext: f64, r: f64, ceiling: f64) -> Vec<(f64, f64)> {
        let f_silent = |ne: f64| self.e.rate(self.j_ee * ne + mu_ext) - ne;
        let (c, n) = (self.j_ii * self.i.a, self.i.n);
        let d0 = r * mu_ext - self.i.b;
        let at_y = |y: f64| {
            let ni = self.i.a * y.powf(n);
            let ne = (y + self.j_ii * ni - d0) / self.j_ie;
            let fe = self.e.rate(self.j_ee * ne - self.j_ei * ni + mu_ext) - ne;
            (ne, ni, fe)
        };
        let mut out = Vec::new();
        let ne0 = -d0 / self.j_ie;
        // Samples (nu_E, F, y), y = None where I is silent.
        let mut prev: Option<(f64, f64, Option<f64>)> = None;
        let mut push = |cur: (f64, f64, Option<f64>), out: &mut Vec<(f64, f64)>| {
            if let Some((x0, f0, y0)) = prev
                && f0.is_finite()
                && cur.1.is_finite()
                && (f0 == 0.0 || f0.signum() != cur.1.signum())
            {
                if f0 == 0.0 {
                    out.push((x0, y0.map_or(0.0, |y| self.i.a * y.powf(n))));
                } else if let (Some(ya), Some(yb)) = (y0, cur.2) {
                    let y = bisect(|y| at_y(y).2, ya, yb, f0);
                    let (ne, ni, _) = at_y(y);
                    out.push((ne, ni));
                } else if y0.is_none() && cur.2.is_none_or(|y| y == 0.0) {
                    // Both samples lie where I is silent (the second possibly at its edge).
                    out.push((bisect(f_silent, x0, cur.0, f0), 0.0));
                } else {
                    // I turns on inside the bracket (below MIN_RATE): the general form.
                    let f = |ne: f64| {
                        let ni = self.nu_i_given_e(ne, mu_ext, r);
                        self.e.rate(self.inputs(ne, ni, mu_ext, r).0) - ne
                    };
                    let ne = bisect(f, x0, cur.0, f0);
                    out.push((ne, self.nu_i_given_e(ne, mu_ext, r)));
                }
            }
            prev = Some(cur);
        };
        // nu_E = 0: when E is above threshold there (F(0) > 0), a state may lie below
        // MIN_RATE, bracketed between this sample and the first of the grid. (Below threshold
        // F(0) = 0 and nu_E = 0 is itself the silent state, added by the caller.)
        let y_at_0 = self.i_input_given_e(0.0, mu_ext, r);
        let ni_at_0 = self.i.a * y_at_0.powf(n);
        let f_at_0 = self.e.rate(self.inputs(0.0, ni_at_0, mu_ext, r).0);
        if f_at_0 > 0.0 {
            push((0.0, f_at_0, (ne0 <= 0.0).then_some(y_at_0)), &mut out);
        }
        // Where I is silent.
        let mut x = MIN_RATE;
        while x < ne0.min(ceiling) {
            push((x, f_silent(x), None), &mut out);
            x *= GRID_RATIO;
        }
        if ne0 > ceiling {
            return out;
        }
        // Where I fires: from y = 0 (nu_E = nu_E0) or from the y where nu_E = MIN_RATE.
        let mut y = if ne0 >= MIN_RATE {
            0.0
        } else {
            self.i_input_given_e(MIN_RATE, mu_ext, r)
        };
        loop {
            let (ne, _, fe) = at_y(y);
            push((ne, fe, Some(y)), &mut out);
            if ne > ceiling {
                break;
            }
            // Step so that nu_E grows by at most GRID_RATIO: dnu_E/dy = (1 + n J_II nu_I / y)
            // / J_IE, and y by at most GRID_RATIO too (F's structure in y near threshold).
            let slope = if y > 0.0 {
                (1.0 + n * c * y.powf(n - 1.0)) / self.j_ie
            } else {
                1.0 / self.j_ie
            };
            let dy = ((GRID_RATIO - 1.0) * ne.max(MIN_RATE) / slope).min(if y > 0.0 {
                (GRID_RATIO - 1.0) * y
            } else {
                f64::INFINITY
            });
            let next = if y > 0.0 { y + dy } else { dy };
            if next.partial_cmp(&y) != Some(std::cmp::Ordering::Greater) {
                break;
            }
            y = next;
        }
        out
    }

    /// Whether [`Ssn::steady_states`] searched every rate where a state can be: false when
    /// states could lie above [`MAX_RATE`] (det J = 0, or power laws so weak that the linear
    /// terms dominate only beyond it).
    pub fn search_complete(&self, mu_ext: f64, r: f64) -> bool {
        self.rate_ceiling(mu_ext, r) <= MAX_RATE
    }

    /// An upper bound for the grid of nu_E: far beyond the point where the linear terms
    /// (slope det J / J_EI) dominate the power-law roots in the interior function.
    fn rate_ceiling(&self, mu_ext: f64, r: f64) -> f64 {
        let scale = [
            mu_ext.abs(),
            (r * mu_ext).abs(),
            self.e.b.abs(),
            self.i.b.abs(),
            1.0,
        ]
        .into_iter()
        .fold(0.0, f64::max);
        let j_min = [
            self.j_ee,
            self.j_ei,
            self.j_ie,
            self.j_ii,
            self.det_j().abs() / self.j_ei,
        ]
        .into_iter()
        .fold(f64::INFINITY, f64::min)
        .max(1e-300);
        // Rates where every coupling term exceeds the inputs 1e4-fold and the power-law
        // roots (nu / a)^{1/n}, which grow more slowly than the linear terms, are below 1e-4
        // of them: (nu / a)^{1/n} < 1e-4 j_min nu; at least 1e6 Hz.
        let root_bound =
            |law: &PowerLaw| (1e-4 * j_min * law.a.powf(1.0 / law.n)).powf(-law.n / (law.n - 1.0));
        // Where E's own power law outgrows the rate on the runaway branch (det J < 0: the E
        // input grows like |det J| / J_II nu_E), times 100.
        let slope = (self.det_j().abs() / self.j_ii).max(1e-300);
        let runaway = 100.0 * (self.e.a * slope.powf(self.e.n)).powf(-1.0 / (self.e.n - 1.0));
        (1e4 * scale / j_min)
            .max(root_bound(&self.e))
            .max(root_bound(&self.i))
            .max(runaway)
            .max(1e6)
    }

    /// The balanced limit (S1 Text Eqs. S1-S4) at (mu_ext, r).
    pub fn balanced_limit(&self, mu_ext: f64, r: f64) -> BalancedLimit {
        let det = self.det_j();
        let nu_e = (self.j_ii - r * self.j_ei) * mu_ext / det;
        let nu_i = (self.j_ie - r * self.j_ee) * mu_ext / det;
        let exists = det != 0.0 && nu_e > 0.0 && nu_i > 0.0;
        // Gains of the power laws at the balanced rates: g = n a^{1/n} nu^{(n-1)/n}.
        let gain = |law: &PowerLaw, nu: f64| {
            law.n * law.a.powf(1.0 / law.n) * nu.powf((law.n - 1.0) / law.n)
        };
        let stable = exists
            && det > 0.0
            && gain(&self.e, nu_e) * self.j_ee / self.tau_e
                < gain(&self.i, nu_i) * self.j_ii / self.tau_i;
        BalancedLimit {
            exists,
            stable,
            nu_e,
            nu_i,
        }
    }

    /// Steady states and regime verdicts at (mu_ext, r).
    pub fn analyse(&self, mu_ext: f64, r: f64) -> Analysis {
        let states = self.steady_states(mu_ext, r);
        let stable = states.iter().filter(|s| s.stable).count();
        Analysis {
            isn: states.iter().any(|s| s.stable && s.isn),
            bistable: stable >= 2,
            det_j: self.det_j(),
            supersaturating: states
                .iter()
                .any(|s| s.stable && s.nu_e > 0.0 && s.dnu_e_dmu_ext < 0.0),
            r_above_j_ii_over_j_ei: r > self.j_ii / self.j_ei,
            no_steady_state: states.is_empty(),
            balanced_limit: self.balanced_limit(mu_ext, r),
            complete: self.search_complete(mu_ext, r),
            states,
        }
    }

    /// The regime map of Fig. 5: [`Ssn::analyse`] at every (mu_ext, r) of the grid, rows of
    /// constant r, computed in parallel (each cell is independent, so the result does not
    /// depend on the thread count).
    pub fn scan(&self, mu_ext: &[f64], r: &[f64]) -> Vec<Cell> {
        use rayon::prelude::*;
        (0..mu_ext.len() * r.len())
            .into_par_iter()
            .map(|k| {
                let (m, rr) = (mu_ext[k % mu_ext.len()], r[k / mu_ext.len()]);
                let a = self.analyse(m, rr);
                Cell {
                    mu_ext: m,
                    r: rr,
                    states: a.states.len(),
                    stable: a.states.iter().filter(|s| s.stable).count(),
                    supersaturating: a.supersaturating,
                    isn: a.isn,
                    bistable: a.bistable,
                    no_steady_state: a.no_steady_state,
                    balanced_exists: a.balanced_limit.exists,
                    balanced_stable: a.balanced_limit.stable,
                    complete: a.complete,
                }
            })
            .collect()
    }

    /// The highest stable E rate over the inputs `mu_ext` at ratio r, and the input where it
    /// is reached: the peak of a supersaturating network (the XOR gate of Fig. 2G puts one
    /// input there).
    pub fn e_peak(&self, mu_ext: &[f64], r: f64) -> (f64, f64) {
        mu_ext
            .iter()
            .map(|&m| {
                let e = self
                    .steady_states(m, r)
                    .iter()
                    .filter(|s| s.stable)
                    .map(|s| s.nu_e)
                    .fold(0.0, f64::max);
                (m, e)
            })
            .fold(
                (f64::NAN, f64::NEG_INFINITY),
                |a, b| if b.1 > a.1 { b } else { a },
            )
    }

    /// Eq. 7: the E rate above which the E subnetwork alone is unstable (g_E J_EE > 1).
    pub fn isn_threshold(&self) -> f64 {
        let n = self.e.n;
        (n * self.e.a.powf(1.0 / n) * self.j_ee).powf(-n / (n - 1.0))
    }
}

/// Bisection of a sign change of f on [lo, hi] (f(lo) = flo), to 1e-14 relative.
fn bisect(f: impl Fn(f64) -> f64, mut lo: f64, mut hi: f64, flo: f64) -> f64 {
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        let fm = f(mid);
        if fm == 0.0 {
            return mid;
        }
        if fm.signum() == flo.signum() {
            lo = mid;
        } else {
            hi = mid;
        }
        if hi - lo <= 1e-14 * hi.abs() {
            break;
        }
    }
    0.5 * (lo + hi)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A supersaturating network: power laws of the fitted order (n ~ 3), det J > 0 and
    /// r > J_II / J_EI.
    pub(crate) fn example() -> Ssn {
        Ssn {
            e: PowerLaw {
                a: 1e-7,
                b: 400.0,
                n: 3.0,
                rms: 0.0,
            },
            i: PowerLaw {
                a: 3e-7,
                b: 300.0,
                n: 3.0,
                rms: 0.0,
            },
            j_ee: 10.0,
            j_ei: 20.0,
            j_ie: 30.0,
            j_ii: 15.0,
            tau_e: 0.02,
            tau_i: 0.01,
        }
    }

    fn law() -> impl Strategy<Value = PowerLaw> {
        (1e-9f64..1e-5, -200.0f64..600.0, 1.5f64..4.0).prop_map(|(a, b, n)| PowerLaw {
            a,
            b,
            n,
            rms: 0.0,
        })
    }

    fn network() -> impl Strategy<Value = Ssn> {
        (
            law(),
            law(),
            1.0f64..40.0,
            1.0f64..40.0,
            1.0f64..40.0,
            1.0f64..40.0,
        )
            .prop_map(|(e, i, j_ee, j_ei, j_ie, j_ii)| Ssn {
                e,
                i,
                j_ee,
                j_ei,
                j_ie,
                j_ii,
                tau_e: 0.02,
                tau_i: 0.01,
            })
    }

    #[test]
    fn every_steady_state_solves_the_equations() {
        let s = example();
        for mu in [0.0, 200.0, 500.0, 1000.0, 3000.0] {
            for r in [0.5, 1.0, 2.0] {
                for st in s.steady_states(mu, r) {
                    let (ve, vi) = s.velocity(st.nu_e, st.nu_i, mu, r);
                    // Bisection to 1e-14 relative in nu_E; the velocity scales like rate/tau.
                    let scale = (st.nu_e + st.nu_i + 1.0) / s.tau_i;
                    assert!(
                        ve.abs() < 1e-8 * scale && vi.abs() < 1e-8 * scale,
                        "{st:?} {ve} {vi}"
                    );
                }
            }
        }
    }

    #[test]
    fn stability_agrees_with_the_jacobian_eigenvalues_and_finite_differences() {
        let s = example();
        for st in s.steady_states(800.0, 1.0) {
            let m = s.jacobian(st.nu_e, st.nu_i, 800.0, 1.0);
            let h = 1e-6 * (st.nu_e + st.nu_i + 1.0);
            let (a, b) = s.velocity(st.nu_e + h, st.nu_i, 800.0, 1.0);
            let (c, d) = s.velocity(st.nu_e - h, st.nu_i, 800.0, 1.0);
            assert!(((a - c) / (2.0 * h) - m[0][0]).abs() < 1e-5 * m[0][0].abs().max(1.0));
            assert!(((b - d) / (2.0 * h) - m[1][0]).abs() < 1e-5 * m[1][0].abs().max(1.0));
            let e =
                nalgebra::Matrix2::new(m[0][0], m[0][1], m[1][0], m[1][1]).complex_eigenvalues();
            let max_re = e.iter().map(|z| z.re).fold(f64::NEG_INFINITY, f64::max);
            assert!((max_re - st.max_re).abs() < 1e-9 * max_re.abs().max(1.0));
            assert_eq!(st.stable, max_re < 0.0);
        }
    }

    /// The ISN verdict is the E-only subsystem's eigenvalue sign, and at a stable state it is
    /// the paradoxical effect: raising the input to I alone lowers the I rate.
    #[test]
    fn isn_is_the_e_subsystem_instability_and_the_paradoxical_effect() {
        // Stronger recurrent excitation than the supersaturating example (as paper 004 does
        // for its Fig. 3B) puts the E threshold of Eq. 7 within reach.
        let s = Ssn {
            j_ee: 35.0,
            ..example()
        };
        let mut seen = [false, false];
        // At r = 0.6 the E rate crosses Eq. 7's threshold (2.94 Hz) between mu = 500 and
        // 1000; at r = 1 it stays below 1 Hz.
        for (mu, r) in [0.6, 1.0]
            .into_iter()
            .flat_map(|r| [500.0, 1000.0, 2000.0, 5000.0].map(|mu| (mu, r)))
        {
            for st in s
                .steady_states(mu, r)
                .into_iter()
                .filter(|x| x.stable && x.nu_e > 0.0 && x.nu_i > 0.0)
            {
                let m = s.jacobian(st.nu_e, st.nu_i, mu, r);
                assert_eq!(st.isn, m[0][0] > 0.0);
                assert_eq!(st.isn, st.nu_e > s.isn_threshold());
                // dnu_I / d(input to I) from the linear response: -M^-1 (0, 1/tau_I).
                let det = m[0][0] * m[1][1] - m[0][1] * m[1][0];
                let dnu_i = -(m[0][0] / s.tau_i) / det;
                assert_eq!(st.isn, dnu_i < 0.0, "{st:?}");
                seen[usize::from(st.isn)] = true;
            }
        }
        assert!(seen[0] && seen[1], "both kinds of state occur: {seen:?}");
    }

    #[test]
    fn the_balanced_limit_is_the_large_n_solution() {
        // Scale J and mu_ext by sqrt(N / N0): the stable state tends to -W^-1 (1, r) mu_ext.
        let s = Ssn {
            j_ee: 5.0,
            j_ei: 20.0,
            j_ie: 20.0,
            j_ii: 15.0,
            ..example()
        };
        let (mu, r) = (300.0, 0.5);
        let b = s.balanced_limit(mu, r);
        assert!(b.exists && b.stable, "{b:?}");
        let mut last = f64::INFINITY;
        for k in [1e2f64, 1e4, 1e6, 1e8] {
            let f = k.sqrt();
            let big = Ssn {
                j_ee: s.j_ee * f,
                j_ei: s.j_ei * f,
                j_ie: s.j_ie * f,
                j_ii: s.j_ii * f,
                ..s
            };
            let st: Vec<State> = big
                .steady_states(mu * f, r)
                .into_iter()
                .filter(|x| x.stable)
                .collect();
            assert_eq!(st.len(), 1, "{st:?}");
            let err = (st[0].nu_e - b.nu_e).abs() / b.nu_e;
            // The correction falls like the power-law roots over the linear terms, ~K^-1/2.
            assert!(err < last, "{k}: {err}");
            last = err;
        }
        assert!(last < 1e-3, "{last}");
    }

    /// The linear responses of each stable state agree with re-solving the steady states at
    /// slightly different inputs.
    #[test]
    fn linear_responses_match_finite_differences_of_the_steady_states() {
        let s = Ssn {
            j_ee: 35.0,
            ..example()
        };
        let mut checked = 0;
        for (mu, r) in [(800.0, 1.0), (1500.0, 1.0), (1000.0, 0.6), (3000.0, 0.6)] {
            for st in s.steady_states(mu, r).into_iter().filter(|x| x.stable) {
                let h = 1e-4 * mu;
                let near = |m: f64, rr: f64| {
                    let t = s.steady_states(m, rr);
                    *t.iter()
                        .min_by(|a, b| {
                            (a.nu_e - st.nu_e)
                                .abs()
                                .total_cmp(&(b.nu_e - st.nu_e).abs())
                        })
                        .unwrap()
                };
                let (up, dn) = (near(mu + h, r), near(mu - h, r));
                let fd = (up.nu_e - dn.nu_e) / (2.0 * h);
                // Central differences: O(h^2) truncation, here ~1e-8 relative; 1e-5 leaves room
                // for the 1e-14 bisection tolerance divided by h.
                assert!(
                    (fd - st.dnu_e_dmu_ext).abs() < 1e-5 * st.dnu_e_dmu_ext.abs().max(1e-3),
                    "{st:?} fd {fd}"
                );
                // Input to I alone: r mu_ext grows by h while mu_ext to E stays.
                let (up, dn) = (near(mu, r + h / mu), near(mu, r - h / mu));
                let fd = (up.nu_i - dn.nu_i) / (2.0 * h);
                assert!(
                    (fd - st.dnu_i_dmu_i).abs() < 1e-5 * st.dnu_i_dmu_i.abs().max(1e-3),
                    "{st:?} fd {fd}"
                );
                checked += 1;
            }
        }
        assert!(checked >= 4, "{checked}");
    }

    #[test]
    fn the_scan_is_analyse_on_every_cell_in_order() {
        let s = example();
        let mu: Vec<f64> = (0..7).map(|k| 300.0 * k as f64).collect();
        let r = [0.5, 1.0, 2.0];
        let cells = s.scan(&mu, &r);
        assert_eq!(cells.len(), 21);
        for (k, c) in cells.iter().enumerate() {
            let a = s.analyse(mu[k % 7], r[k / 7]);
            assert_eq!((c.mu_ext, c.r), (mu[k % 7], r[k / 7]));
            assert_eq!(c.states, a.states.len());
            assert_eq!(c.supersaturating, a.supersaturating);
            assert_eq!(c.bistable, a.bistable);
        }
        assert!(
            cells.iter().any(|c| c.supersaturating),
            "the example supersaturates"
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]
        /// Supersaturation at any input needs r > J_II / J_EI (Eq. 4), whatever J_EE and J_IE;
        /// and at a stable state the paradoxical effect is the ISN verdict (Eq. 7).
        #[test]
        fn supersaturating_states_need_the_eq_4_condition(
            s in network(), mu in 0.0f64..3000.0, r in 0.1f64..3.0
        ) {
            let a = s.analyse(mu, r);
            if a.supersaturating {
                prop_assert!(r > s.j_ii / s.j_ei, "{s:?} mu {mu} r {r}");
            }
            for st in a.states.iter().filter(|x| x.stable && x.nu_e > 0.0 && x.nu_i > 0.0) {
                prop_assert_eq!(st.isn, st.dnu_i_dmu_i < 0.0);
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]
        /// The parity rule (paper 004, after Ahmadian et al. 2013): det J > 0 gives an odd
        /// number of steady states, det J < 0 an even number.
        #[test]
        fn parity_rule(s in network(), mu in -200.0f64..3000.0, r in 0.1f64..3.0) {
            prop_assume!(s.det_j().abs() > 1e-3 * s.j_ee * s.j_ii);
            // Inputs exactly at a threshold make the silent state degenerate (a root of
            // zero slope); keep them a little away.
            prop_assume!((mu - s.e.b).abs() > 1.0 && (r * mu - s.i.b).abs() > 1.0);
            // States beyond 1e15 Hz are not searched; the rule counts them.
            prop_assume!(s.search_complete(mu, r));
            let n = s.steady_states(mu, r).len();
            if s.det_j() > 0.0 {
                prop_assert!(n % 2 == 1, "det J > 0 but {n} states: {s:?} mu {mu} r {r}");
            } else {
                prop_assert!(n % 2 == 0, "det J < 0 but {n} states: {s:?} mu {mu} r {r}");
            }
        }

        /// Eq. 4: with r > J_II / J_EI the balanced-limit E rate falls with mu_ext, whatever
        /// J_EE and J_IE are; with r below it rises (det J > 0).
        #[test]
        fn supersaturation_needs_r_above_j_ii_over_j_ei(s in network(), r in 0.1f64..3.0) {
            prop_assume!(s.det_j() > 1e-3 * s.j_ee * s.j_ii);
            let (b1, b2) = (s.balanced_limit(100.0, r), s.balanced_limit(200.0, r));
            let falls = b2.nu_e < b1.nu_e;
            prop_assert_eq!(falls, r > s.j_ii / s.j_ei);
            prop_assert_eq!(s.analyse(100.0, r).r_above_j_ii_over_j_ei, r > s.j_ii / s.j_ei);
        }
    }
}
