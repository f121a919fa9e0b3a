//! The Ricciardi (Siegert) rate of a leaky integrate-and-fire neuron driven by white noise
//! (paper 004, its Eq. 9; Ricciardi 1977, Amit & Brunel 1997, Brunel 2000).
//!
//! # Convention
//! The membrane potential obeys (times in s, potentials in mV)
//!
//! ```text
//! dV/dt = -V / tau + mu + sigma xi(t),   <xi(t) xi(t')> = delta(t - t'),
//! ```
//!
//! with a spike and a reset to `v_r` when V reaches `theta`, followed by a refractory period
//! `tau_ref`. So `mu` is in mV/s (paper 004 quotes mu_ext in mV/s) and `sigma` in mV/sqrt(s);
//! the free membrane potential has mean `mu tau` and variance `sigma^2 tau / 2`. The rate is
//! the inverse mean first-passage time
//!
//! ```text
//! 1/nu = tau_ref + tau sqrt(pi) int_{y_r}^{y_th} exp(u^2) (1 + erf u) du,
//! y_th = (theta - mu tau) / (sigma sqrt tau),  y_r = (v_r - mu tau) / (sigma sqrt tau).
//! ```
//!
//! # NEST's `siegert_neuron`
//! NEST writes `tau_m dV/dt = -V + mu_N + sigma_N sqrt(tau_m) xi` (Fourcaud & Brunel 2002)
//! with `mu_N` and `sigma_N` in mV, times in ms and rates in 1/s. The two conventions meet at
//!
//! ```text
//! mu_N = mu tau,   sigma_N = sigma sqrt(tau),   tau_m[ms] = 1000 tau[s],
//! ```
//!
//! so the bounds `(theta - mu_N) / sigma_N` are the same. `theta` and `v_r` are relative to
//! the resting potential in both (NEST's `theta`, `V_reset`); NEST's `tau_syn = 0` selects this
//! white-noise (delta-synapse) formula. [`from_nest`] converts.
//!
//! # Numerics
//! The integral is evaluated in the form (substitute and integrate the error function)
//!
//! ```text
//! sqrt(pi) int_b^a exp(u^2)(1 + erf u) du = int_0^inf exp(-x^2) (exp(2 a x) - exp(2 b x)) / x dx
//!   = exp(s) int_0^inf exp(-x^2 + 2 a x - s) (1 - exp(-2 (a - b) x)) / x dx,   s = max(a, 0)^2,
//! ```
//!
//! whose integrand is positive and free of cancellation (`-expm1`), and whose scale factor
//! exp(s) is kept apart, so rates far below threshold (1e-30 Hz and less) neither underflow
//! nor lose digits. Above `a = 6` the Gaussian factor sits away from x = 0 and a 24-point
//! Gauss-Hermite rule around x = a integrates it; below, composite 12-point Gauss-Legendre
//! panels do: one on [0, x0] (x0 the smallest scale of the integrand, 1 / (2 (a - b)) or
//! 1 / (2 |a|)), panels of 1.2 in t = ln x up to x = 3 (where the 1/x cancels against
//! dx = x dt), and panels of width 3 over the rest of the Gaussian. Tested against adaptive quadrature of
//! the defining u-integral to 1e-10 relative (`tests`).

use std::sync::OnceLock;

use crate::error::ParamError;
use crate::quadrature::Rule;

/// Parameters of one LIF neuron (paper 004's tau, Theta, V_R, tau_ref), in s and mV.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Neuron {
    /// Membrane time constant (s).
    pub tau: f64,
    /// Threshold, relative to rest (mV).
    pub theta: f64,
    /// Reset, relative to rest (mV); below `theta`.
    pub v_r: f64,
    /// Refractory period (s).
    pub tau_ref: f64,
}

impl Default for Neuron {
    /// The excitatory neuron of paper 004: tau = 20 ms, Theta = 20 mV, V_R = 10 mV, no
    /// refractory period (the paper neglects it; its S1 tables are not in the text).
    fn default() -> Self {
        Neuron {
            tau: 0.02,
            theta: 20.0,
            v_r: 10.0,
            tau_ref: 0.0,
        }
    }
}

impl Neuron {
    /// Typed validation: tau > 0, v_r < theta (both finite), tau_ref >= 0.
    pub fn validate(&self) -> Result<(), ParamError> {
        let bad = |name, value, range| Err(ParamError::OutOfRange { name, value, range });
        if !(self.tau > 0.0 && self.tau.is_finite()) {
            return bad("tau", self.tau, "0 < tau < inf (s)");
        }
        if !self.theta.is_finite() {
            return bad("theta", self.theta, "finite (mV)");
        }
        if !(self.v_r < self.theta && self.v_r.is_finite()) {
            return bad("v_r", self.v_r, "v_r < theta (mV)");
        }
        if !(self.tau_ref >= 0.0 && self.tau_ref.is_finite()) {
            return bad("tau_ref", self.tau_ref, "0 <= tau_ref < inf (s)");
        }
        Ok(())
    }
}

/// The rate and its partial derivatives.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct Rate {
    /// nu (Hz).
    pub rate: f64,
    /// d nu / d mu (Hz per mV/s).
    pub drate_dmu: f64,
    /// d nu / d sigma (Hz per mV/sqrt(s)).
    pub drate_dsigma: f64,
}

/// NEST's `siegert_neuron` inputs and parameters in this module's convention:
/// `(mu, sigma, neuron)` from `mu_N` (mV), `sigma_N` (mV), `tau_m`, `t_ref` (ms), `theta`,
/// `v_reset` (mV).
pub fn from_nest(
    mu_n: f64,
    sigma_n: f64,
    tau_m_ms: f64,
    t_ref_ms: f64,
    theta: f64,
    v_reset: f64,
) -> (f64, f64, Neuron) {
    let tau = tau_m_ms * 1e-3;
    (
        mu_n / tau,
        sigma_n / tau.sqrt(),
        Neuron {
            tau,
            theta,
            v_r: v_reset,
            tau_ref: t_ref_ms * 1e-3,
        },
    )
}

/// The deterministic LIF rate (sigma = 0): `1 / (tau_ref + tau ln((mu tau - v_r) /
/// (mu tau - theta)))` above threshold (mu tau > theta), 0 below.
pub fn deterministic_rate(n: &Neuron, mu: f64) -> f64 {
    let m = mu * n.tau;
    if m <= n.theta {
        return 0.0;
    }
    // ln((m - v_r) / (m - theta)) = ln(1 + (theta - v_r) / (m - theta)), kept accurate for
    // large drive with ln_1p.
    1.0 / (n.tau_ref + n.tau * ((n.theta - n.v_r) / (m - n.theta)).ln_1p())
}

fn hermite24() -> &'static Rule {
    static R: OnceLock<Rule> = OnceLock::new();
    R.get_or_init(|| Rule::gauss_hermite(24))
}

fn legendre12() -> &'static Rule {
    static R: OnceLock<Rule> = OnceLock::new();
    R.get_or_init(|| Rule::gauss_legendre(12))
}

/// `(-expm1(-c x)) / x`, the smooth factor of the integrand (c at x = 0).
#[inline]
fn h(c: f64, x: f64) -> f64 {
    let cx = c * x;
    if cx > 40.0 {
        // exp(-40) = 4e-18: below rounding of 1.
        1.0 / x
    } else if cx < 1e-8 {
        c * (1.0 - 0.5 * cx)
    } else {
        -(-cx).exp_m1() / x
    }
}

/// `exp(-s) sqrt(pi) int_b^a exp(u^2)(1 + erf u) du` with `s = max(a, 0)^2`, for a > b.
fn scaled_integral(a: f64, b: f64) -> f64 {
    let c = 2.0 * (a - b);
    if a > 6.0 {
        // x = a + y: int exp(-y^2) h(a + y) dy over y > -a; the part below -a weighs
        // exp(-a^2) < 3e-16. Probabilists' rule: int exp(-y^2) f(y) dy = sqrt(pi) E[f(Z/sqrt 2)].
        let r = hermite24();
        let sum: f64 = r
            .nodes
            .iter()
            .zip(&r.weights)
            .map(|(z, w)| w * h(c, a + z * std::f64::consts::FRAC_1_SQRT_2))
            .sum();
        return std::f64::consts::PI.sqrt() * sum;
    }
    let s = a.max(0.0).powi(2);
    // The Gaussian factor exp(-x^2 + 2 a x - s) is below exp(-CUT^2) = 5e-15 (relative to its
    // peak) beyond x_max.
    const CUT: f64 = 5.75;
    let x_max = if a > 0.0 {
        a + CUT
    } else {
        // The positive root of x^2 - 2 a x = CUT^2, in the form without cancellation.
        CUT * CUT / ((a * a + CUT * CUT).sqrt() - a)
    };
    let gauss = |x: f64| (-x * x + 2.0 * a * x - s).exp();
    let r = legendre12();
    // Three regions. [0, x0]: h ~ c, smooth. [x0, x1] in t = ln x, where the 1/x of h cancels
    // against dx = x dt and (1 - exp(-c e^t)) is a sigmoid of unit width in t: panels of
    // LOG_PANEL in t. [x1, x_max]: the Gaussian, panels of at most PANEL.
    const PANEL: f64 = 3.0;
    const LOG_PANEL: f64 = 1.2;
    let x0 = (1.0 / c).min(0.5 / a.abs().max(1.0)).min(x_max);
    let x1 = x_max.min(PANEL).max(x0);
    let mut total = composite(r, 0.0, x0, 1, |x| gauss(x) * h(c, x));
    if x1 > x0 {
        let (t0, t1) = (x0.ln(), x1.ln());
        let pieces = ((t1 - t0) / LOG_PANEL).ceil().max(1.0) as usize;
        total += composite(r, t0, t1, pieces, |t| {
            let x = t.exp();
            let cx = c * x;
            gauss(x) * if cx > 40.0 { 1.0 } else { -(-cx).exp_m1() }
        });
    }
    if x_max > x1 {
        let pieces = ((x_max - x1) / PANEL).ceil().max(1.0) as usize;
        total += composite(r, x1, x_max, pieces, |x| gauss(x) * h(c, x));
    }
    total
}

/// Composite Gauss-Legendre of f over [lo, hi] in `pieces` equal panels (generic, so that f
/// is inlined into the node loop).
#[inline]
fn composite(r: &Rule, lo: f64, hi: f64, pieces: usize, f: impl Fn(f64) -> f64) -> f64 {
    let width = (hi - lo) / pieces as f64;
    let mut total = 0.0;
    for k in 0..pieces {
        let (mid, half) = (lo + (k as f64 + 0.5) * width, 0.5 * width);
        let acc: f64 = r
            .nodes
            .iter()
            .zip(&r.weights)
            .map(|(t, w)| w * f(mid + half * t))
            .sum();
        total += half * acc;
    }
    total
}

/// `exp(-s) exp(u^2) erfc(-u)` (= exp(-s) erfcx(-u)) for u <= a, s = max(a, 0)^2: the
/// boundary terms of the derivatives, without overflow.
fn scaled_erfcx_neg(u: f64, s: f64) -> f64 {
    if u >= 0.0 {
        (u * u - s).exp() * libm::erfc(-u)
    } else {
        (-s).exp() * erfcx(-u)
    }
}

/// The scaled complementary error function exp(x^2) erfc(x) for x >= 0.
pub fn erfcx(x: f64) -> f64 {
    debug_assert!(x >= 0.0);
    if x < 26.0 {
        // exp(x^2) with x^2 split exactly into hi + lo (fma), so the exponent's rounding
        // (up to 26^2 ulp) does not reach the result.
        let hi = x * x;
        let lo = x.mul_add(x, -hi);
        hi.exp() * (1.0 + lo) * libm::erfc(x)
    } else {
        // Asymptotic series; the first omitted term is 945 / (32 x^10) < 2.1e-13 here.
        let z = 1.0 / (2.0 * x * x);
        let series = 1.0 - z * (1.0 - 3.0 * z * (1.0 - 5.0 * z * (1.0 - 7.0 * z)));
        series / (x * std::f64::consts::PI.sqrt())
    }
}

/// |y_th| beyond which the rate is the deterministic one (see [`rate_with_derivatives`]).
pub const DETERMINISTIC_Y: f64 = 1e7;

/// The Ricciardi rate nu(mu, sigma) (Hz). `sigma = 0` gives [`deterministic_rate`].
pub fn rate(n: &Neuron, mu: f64, sigma: f64) -> f64 {
    rate_with_derivatives(n, mu, sigma).rate
}

/// The Ricciardi rate with d nu / d mu and d nu / d sigma:
///
/// ```text
/// d nu/d mu    =  nu^2 tau sqrt(pi) sqrt(tau) / sigma (E(y_th) - E(y_r)),
/// d nu/d sigma =  nu^2 tau sqrt(pi) / sigma (y_th E(y_th) - y_r E(y_r)),  E(y) = exp(y^2)(1 + erf y),
/// ```
///
/// from d/dy_th and d/dy_r of the integral's bounds and dy/dmu = -sqrt(tau)/sigma,
/// dy/dsigma = -y/sigma. At sigma = 0 the sigma-derivative is reported as 0 (the rate's
/// below).
///
/// The same deterministic limit is used when the noise is so small that the scaled bounds
/// y_th = (theta - mu tau) / (sigma sqrt(tau)) exceed [`DETERMINISTIC_Y`] in size (or are not
/// finite): the noise corrections are then O(1 / y_th^2) < 1e-14 relative above threshold and
/// the rate underflows below it. Without this, sigma = 1e-320 overflowed y^2 to inf and the
/// rate to NaN, and `ssn fit` never returned (issue 20's parser fuzz).
pub fn rate_with_derivatives(n: &Neuron, mu: f64, sigma: f64) -> Rate {
    let st = sigma * n.tau.sqrt();
    let (a, b) = ((n.theta - mu * n.tau) / st, (n.v_r - mu * n.tau) / st);
    let vanishing_noise = !(a.abs() < DETERMINISTIC_Y && b.is_finite());
    if sigma == 0.0 || vanishing_noise {
        let nu = deterministic_rate(n, mu);
        let m = mu * n.tau;
        let dmu = if m > n.theta {
            // d/dmu of 1/(tau_ref + tau ln((m - v_r)/(m - theta))).
            let dlog = n.tau * (1.0 / (m - n.v_r) - 1.0 / (m - n.theta));
            -nu * nu * n.tau * dlog
        } else {
            0.0
        };
        return Rate {
            rate: nu,
            drate_dmu: dmu,
            drate_dsigma: 0.0,
        };
    }
    let s = a.max(0.0).powi(2);
    // 1/nu = tau_ref + tau exp(s) J  =>  nu = exp(-s) / (tau_ref exp(-s) + tau J).
    let j = scaled_integral(a, b);
    let es = (-s).exp();
    let den = n.tau_ref * es + n.tau * j;
    let nu = es / den;
    // nu^2 E(y) = (exp(-s)/den)^2 exp(s) (exp(-s) E(y)) = exp(-s)/den^2 * scaled E(y).
    let (ea, eb) = (scaled_erfcx_neg(a, s), scaled_erfcx_neg(b, s));
    let pref = es / (den * den) * n.tau * std::f64::consts::PI.sqrt() / sigma;
    Rate {
        rate: nu,
        drate_dmu: pref * n.tau.sqrt() * (ea - eb),
        drate_dsigma: pref * (a * ea - b * eb),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quadrature::integrate_scalar;

    fn neuron(tau_ref: f64) -> Neuron {
        Neuron {
            tau_ref,
            ..Neuron::default()
        }
    }

    /// Independent reference: the defining u-integral of exp(u^2)(1 + erf u) = exp(u^2)
    /// erfc(-u), scaled by exp(-s), by adaptive Gauss-Legendre at 1e-14 relative, with
    /// libm's erfc. Valid while exp(u^2) erfc(-u) does not underflow (|u| < 25).
    fn reference_rate(n: &Neuron, mu: f64, sigma: f64) -> f64 {
        let st = sigma * n.tau.sqrt();
        let a = (n.theta - mu * n.tau) / st;
        let b = (n.v_r - mu * n.tau) / st;
        let s = a.max(0.0).powi(2);
        let f = |u: f64| (u * u - s).exp() * libm::erfc(-u);
        // Split at 0 and at a - 1 so the peak near a (width 1/(2a)) gets its own panels.
        let mut pts = vec![b, a];
        for p in [0.0, a - 1.0, a - 0.25] {
            if p > b && p < a {
                pts.push(p);
            }
        }
        pts.sort_by(f64::total_cmp);
        let integral: f64 = pts
            .windows(2)
            .map(|w| integrate_scalar(f, w[0], w[1], 0.0, 1e-14))
            .sum();
        let es = (-s).exp();
        es / (n.tau_ref * es + n.tau * std::f64::consts::PI.sqrt() * integral)
    }

    #[test]
    fn vanishing_noise_is_the_deterministic_limit() {
        // Every sigma from 1e-320 up stays finite, and small noise gives the deterministic
        // rate: above threshold the correction is O(1 / y_th^2) (< 1e-10 at |y_th| >= 1e5,
        // on both sides of the switch at 1e7), below it the rate vanishes.
        let n = neuron(0.002);
        for mu in [500.0, 999.0, 1000.0, 1001.0, 1200.0, 5000.0] {
            let det = deterministic_rate(&n, mu);
            for sigma in [1e-320, 1e-300, 1e-200, 1e-20, 1e-8, 1e-3, 1.0, 30.0, 1e4] {
                let r = rate_with_derivatives(&n, mu, sigma);
                assert!(
                    r.rate.is_finite() && r.drate_dmu.is_finite() && r.drate_dsigma.is_finite(),
                    "mu {mu} sigma {sigma}: {r:?}"
                );
                let y_th = (n.theta - mu * n.tau) / (sigma * n.tau.sqrt());
                if y_th.abs() >= 1e5 {
                    assert!(
                        (r.rate - det).abs() <= 1e-8 * det.max(1e-300),
                        "mu {mu} sigma {sigma}: {} vs deterministic {det}",
                        r.rate
                    );
                }
            }
        }
    }

    #[test]
    fn erfcx_matches_its_definition_and_its_tail() {
        for x in [0.0f64, 0.3, 1.0, 2.5, 5.0, 10.0, 25.0] {
            let direct = (x * x).exp() * libm::erfc(x);
            assert!((erfcx(x) - direct).abs() <= 1e-13 * direct, "{x}");
        }
        // Continuity across the switch to the asymptotic series at 26.
        let (l, r) = (erfcx(26.0 - 1e-12), erfcx(26.0));
        assert!((l - r).abs() < 1e-12 * r, "{l} {r}");
        assert!((erfcx(1e6) * 1e6 * std::f64::consts::PI.sqrt() - 1.0).abs() < 1e-12);
    }

    /// The rate against the independent quadrature over a grid from far below threshold
    /// (rates down to 1e-30 Hz and below) to the refractory limit: relative 1e-10.
    #[test]
    fn rate_matches_quadrature_of_the_defining_integral() {
        let mut smallest = f64::INFINITY;
        let mut worst = 0.0_f64;
        for tau_ref in [0.0, 0.002] {
            let n = neuron(tau_ref);
            for sigma_mv in [0.5, 1.0, 2.0, 5.0, 10.0] {
                // sigma_mv is the free membrane potential's sd sigma sqrt(tau / 2) in mV.
                let sigma = sigma_mv / (n.tau / 2.0).sqrt();
                for k in 0..=40 {
                    // Mean free potential mu tau from -20 mV to 60 mV.
                    let m = -20.0 + 2.0 * k as f64;
                    let mu = m / n.tau;
                    let st = sigma * n.tau.sqrt();
                    let (a, b) = ((n.theta - m) / st, (n.v_r - m) / st);
                    if a.abs() > 24.0 || b.abs() > 24.0 {
                        continue;
                    }
                    let got = rate(&n, mu, sigma);
                    let want = reference_rate(&n, mu, sigma);
                    let rel = (got - want).abs() / want;
                    worst = worst.max(rel);
                    smallest = smallest.min(want);
                    assert!(
                        rel < 1e-10,
                        "tau_ref {tau_ref} sigma_V {sigma_mv} m {m}: {got:e} vs {want:e} ({rel:e})"
                    );
                }
            }
        }
        // The grid reaches the far tail the issue names.
        assert!(smallest < 1e-30, "{smallest:e}");
        eprintln!("worst relative error {worst:e}");
        assert!(worst < 1e-10);
    }

    #[test]
    fn far_tails_neither_underflow_nor_overflow() {
        let n = neuron(0.002);
        // 100 standard deviations below threshold: tiny but positive and finite.
        let sigma = 1.0 / (n.tau / 2.0).sqrt();
        let r = rate_with_derivatives(&n, -100.0 / n.tau, sigma);
        assert!(r.rate >= 0.0 && r.rate < 1e-300 || r.rate == 0.0);
        assert!(r.drate_dmu.is_finite() && r.drate_dsigma.is_finite());
        let r = rate_with_derivatives(&n, 8.0 / n.tau, sigma);
        assert!(r.rate > 0.0 && r.rate < 1e-10, "{r:?}");
        // Drive far above threshold: the refractory limit 1 / tau_ref.
        let r = rate(&n, 1e7 / n.tau, sigma);
        assert!((r * n.tau_ref - 1.0).abs() < 1e-3, "{r}");
    }

    #[test]
    fn derivatives_match_central_differences() {
        let n = neuron(0.002);
        for (m, sd) in [
            (5.0, 2.0),
            (15.0, 3.0),
            (19.0, 1.0),
            (25.0, 4.0),
            (40.0, 5.0),
        ] {
            let sigma = sd / (n.tau / 2.0).sqrt();
            let mu = m / n.tau;
            let r = rate_with_derivatives(&n, mu, sigma);
            let (hm, hs) = (1e-5 * mu.abs().max(1.0), 1e-5 * sigma);
            let dmu = (rate(&n, mu + hm, sigma) - rate(&n, mu - hm, sigma)) / (2.0 * hm);
            let ds = (rate(&n, mu, sigma + hs) - rate(&n, mu, sigma - hs)) / (2.0 * hs);
            // Central differences: O(h^2) truncation ~1e-10 relative plus 1e-16 / 1e-5
            // rounding: 1e-7 relative is safe.
            assert!(
                (r.drate_dmu - dmu).abs() <= 1e-7 * dmu.abs(),
                "{m} {sd}: {r:?} {dmu}"
            );
            assert!(
                (r.drate_dsigma - ds).abs() <= 1e-7 * ds.abs().max(1e-3 * r.rate / sigma),
                "{m} {sd}: {r:?} {ds}"
            );
        }
    }

    /// sigma -> 0: the deterministic LIF rate above threshold, 0 below. The correction is of
    /// order sigma^2, so halving sigma divides the gap by 4.
    #[test]
    fn small_noise_limit_is_the_deterministic_rate() {
        let n = neuron(0.002);
        for m in [21.0, 25.0, 40.0, 100.0] {
            let mu = m / n.tau;
            let det = deterministic_rate(&n, mu);
            let gap = |sd: f64| rate(&n, mu, sd / (n.tau / 2.0).sqrt()) - det;
            let (g1, g2) = (gap(0.02), gap(0.01));
            assert!(g1.abs() < 1e-3 * det, "{m}: {g1}");
            // Ratio 4 up to the next order (sigma^4 / sigma^2 ~ 1e-4 here) and the
            // quadrature's 1e-10 relative error on a gap of >= 1e-7 relative.
            assert!((g1 / g2 - 4.0).abs() < 0.02, "{m}: {g1:e} {g2:e}");
        }
        // Below threshold: Kramers' escape rate a exp(-a^2) / (tau sqrt(pi)), a = (theta - m)
        // / (sd sqrt 2), up to a relative 1/(2 a^2) = 1 % at a = 7.07; and exactly 0 at sigma = 0.
        let sigma = 0.5 / (n.tau / 2.0).sqrt();
        let a = 5.0 / (0.5 * std::f64::consts::SQRT_2);
        let kramers = a * (-a * a).exp() / (n.tau * std::f64::consts::PI.sqrt());
        let got = rate(&n, 15.0 / n.tau, sigma);
        assert!((got / kramers - 1.0).abs() < 0.03, "{got:e} {kramers:e}");
        assert_eq!(rate(&n, 15.0 / n.tau, 0.0), 0.0);
    }

    /// With theta = 1, v_r = 0, tau_ref = 0 and tau = tau_m, the deterministic rate at
    /// mu tau = z is the flagship model's Eq. 13, phi(z) = -1 / (tau_m ln(1 - 1/z)).
    #[test]
    fn the_zero_noise_limit_is_the_flagship_eq_13() {
        let tau_m = 1.0;
        let n = Neuron {
            tau: tau_m,
            theta: 1.0,
            v_r: 0.0,
            tau_ref: 0.0,
        };
        let phi = crate::Transfer::Lif { tau_m };
        for z in [0.5, 1.0001, 1.2, 2.0, 10.0, 1e4] {
            let mu = z / n.tau;
            let want = phi.phi(z);
            // Two roundings of the same logarithm, ln(z / (z - 1)): ln_1p(1 / (z - 1)) here,
            // -ln_1p(-1 / z) in Eq. 13; they agree to a few ulp (1e-13 at z -> 1+).
            let det = deterministic_rate(&n, mu);
            assert!((det - want).abs() <= 1e-13 * want, "{z}: {det} {want}");
            // And the noisy rate tends to it.
            if z > 1.1 {
                let got = rate(&n, mu, 1e-4);
                assert!((got - want).abs() < 1e-5 * want, "{z}: {got} {want}");
            }
        }
    }

    #[test]
    fn nest_conversion_keeps_the_bounds() {
        let (mu, sigma, n) = from_nest(18.0, 4.0, 20.0, 2.0, 20.0, 10.0);
        assert!((mu * n.tau - 18.0).abs() < 1e-12);
        assert!((sigma * n.tau.sqrt() - 4.0).abs() < 1e-12);
        assert_eq!(n.tau_ref, 0.002);
    }

    #[test]
    fn bad_parameters_are_named() {
        let e = Neuron {
            v_r: 30.0,
            ..Neuron::default()
        }
        .validate()
        .unwrap_err();
        assert_eq!(e.parameter(), "v_r");
        assert!(e.to_string().contains("v_r < theta"));
    }
}
