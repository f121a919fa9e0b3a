//! The threshold power law nu = a [mu - b]_+^n fitted to the Ricciardi rate over 0-10 Hz
//! (paper 004, its Eq. 1 and Fig. 1).
//!
//! Least squares in Hz over 200 equally spaced inputs from where the Ricciardi rate is
//! 1e-4 Hz to where it reaches `max_rate`, minimised by argmin's Nelder-Mead over
//! (ln a, b tau, n). The fit runs in the membrane-potential variable x = mu tau (mV), where the
//! three parameters are of order one, and is reported in the convention of the SSN equations:
//! mu in mV/s (the same as [`super::ricciardi`]), b in mV/s and a in Hz / (mV/s)^n, so that
//! a [mu - b]^n = a_x [x - b tau]^n with a = a_x tau^n.

use argmin::core::{CostFunction, Error, Executor, State};
use argmin::solver::neldermead::NelderMead;

use super::ricciardi::{Neuron, rate};
use crate::error::TheoryError;

/// A fitted power law `a [mu - b]_+^n` and its root-mean-square residual (Hz).
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PowerLaw {
    /// Hz / (mV/s)^n.
    pub a: f64,
    /// mV/s.
    pub b: f64,
    pub n: f64,
    /// RMS of the residuals over the fitted points (Hz); absent for a law not fitted.
    #[serde(default)]
    pub rms: f64,
}

impl PowerLaw {
    /// a [mu - b]_+^n.
    #[inline]
    pub fn rate(&self, mu: f64) -> f64 {
        if mu > self.b {
            self.a * (mu - self.b).powf(self.n)
        } else {
            0.0
        }
    }

    /// The derivative a n [mu - b]_+^(n - 1).
    #[inline]
    pub fn slope(&self, mu: f64) -> f64 {
        if mu > self.b {
            self.a * self.n * (mu - self.b).powf(self.n - 1.0)
        } else {
            0.0
        }
    }
}

/// Points (x = mu tau in mV, rate in Hz) of the fit.
struct Data {
    x: Vec<f64>,
    y: Vec<f64>,
}

impl CostFunction for Data {
    type Param = Vec<f64>;
    type Output = f64;
    fn cost(&self, p: &Vec<f64>) -> Result<f64, Error> {
        let (a, b, n) = (p[0].exp(), p[1], p[2]);
        Ok(self
            .x
            .iter()
            .zip(&self.y)
            .map(|(&x, &y)| {
                let f = if x > b { a * (x - b).powf(n) } else { 0.0 };
                (f - y).powi(2)
            })
            .sum())
    }
}

/// The x = mu tau (mV) where the Ricciardi rate equals `target` (bisection; the rate is
/// increasing in mu).
fn x_at_rate(neuron: &Neuron, sigma: f64, target: f64) -> f64 {
    let f = |x: f64| rate(neuron, x / neuron.tau, sigma) - target;
    let (mut lo, mut hi) = (neuron.v_r - 1e3, neuron.theta);
    // Tripling the distance to v_r: 60 expansions reach 1e28 mV (far beyond any rate below
    // 1 / tau_ref); a rate that never gets there is a broken input, not a reason to loop.
    let mut expansions = 0;
    while f(hi) < 0.0 {
        hi += 2.0 * (hi - neuron.v_r).abs().max(1.0);
        expansions += 1;
        if expansions > 60 {
            return f64::NAN;
        }
    }
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if f(mid) < 0.0 {
            lo = mid;
        } else {
            hi = mid;
        }
        if hi - lo < 1e-12 * hi.abs().max(1.0) {
            break;
        }
    }
    0.5 * (lo + hi)
}

/// Fit `a [mu - b]_+^n` to the Ricciardi rate of `neuron` at noise `sigma` (mV/sqrt(s))
/// over rates 0..`max_rate` Hz.
pub fn fit(neuron: &Neuron, sigma: f64, max_rate: f64) -> Result<PowerLaw, TheoryError> {
    neuron.validate()?;
    if !(sigma > 0.0 && sigma.is_finite()) {
        return Err(crate::error::ParamError::OutOfRange {
            name: "sigma",
            value: sigma,
            range: "0 < sigma < inf (mV/sqrt(s))",
        }
        .into());
    }
    let max_rate_limit = if neuron.tau_ref > 0.0 {
        1.0 / neuron.tau_ref
    } else {
        f64::INFINITY
    };
    if !(max_rate > 0.0 && max_rate < max_rate_limit) {
        return Err(crate::error::ParamError::OutOfRange {
            name: "max_rate",
            value: max_rate,
            range: "0 < max_rate < 1 / tau_ref (Hz)",
        }
        .into());
    }
    let (x_lo, x_hi) = (
        x_at_rate(neuron, sigma, 1e-4 * max_rate.min(1.0)),
        x_at_rate(neuron, sigma, max_rate),
    );
    if !(x_lo.is_finite() && x_hi.is_finite() && x_hi > x_lo) {
        return Err(TheoryError::Unsupported(format!(
            "power-law fit: no input range gives rates 0..{max_rate} Hz at sigma = {sigma}"
        )));
    }
    let k = 200;
    let x: Vec<f64> = (0..k)
        .map(|i| x_lo + (x_hi - x_lo) * i as f64 / (k - 1) as f64)
        .collect();
    let y: Vec<f64> = x
        .iter()
        .map(|&x| rate(neuron, x / neuron.tau, sigma))
        .collect();
    // Start: n = 2.5 through the top point, with the threshold where the rate is 1 % of the top.
    let n0 = 2.5;
    let b0 = x_at_rate(neuron, sigma, 0.01 * max_rate) - 0.5 * (x_hi - x_lo) / k as f64;
    let a0 = max_rate / (x_hi - b0).powf(n0);
    let start = vec![a0.ln(), b0, n0];
    let span = x_hi - x_lo;
    let simplex = vec![
        start.clone(),
        vec![start[0] + 0.5, start[1], start[2]],
        vec![start[0], start[1] - 0.2 * span, start[2]],
        vec![start[0], start[1], start[2] + 0.5],
    ];
    let solver = NelderMead::new(simplex)
        .with_sd_tolerance(1e-14)
        .map_err(|e| TheoryError::Unsupported(e.to_string()))?;
    let data = Data { x, y };
    let res = Executor::new(data, solver)
        .configure(|s| s.max_iters(5000))
        .run()
        .map_err(|e| TheoryError::Unsupported(format!("power-law fit: {e}")))?;
    let state = res.state();
    let p = state
        .get_best_param()
        .cloned()
        .ok_or_else(|| TheoryError::Unsupported("power-law fit: no parameters".into()))?;
    let cost = state.get_best_cost();
    let (a_x, b_x, n) = (p[0].exp(), p[1], p[2]);
    let tau = neuron.tau;
    Ok(PowerLaw {
        a: a_x * tau.powf(n),
        b: b_x / tau,
        n,
        rms: (cost / k as f64).sqrt(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sigma_of_sd(sd_mv: f64, tau: f64) -> f64 {
        sd_mv / (tau / 2.0).sqrt()
    }

    /// Paper 004's statement (Fig. 1, Table D): exponents between 2 and 4 over 0-10 Hz. Its
    /// noise levels are in the missing Table D; here the exponent grows with the noise and
    /// falls with tau (Fig. 1C's trends), and lies in (2, 4) for membrane-potential standard
    /// deviations of 1-3 mV at tau = 20 ms (E) and 1-2 mV at tau = 10 ms (I) (with 4 mV at
    /// 20 ms it is 3.4; with 3 mV at 10 ms it is 4.1). The fit follows the Ricciardi curve to
    /// within 1 % of the 10 Hz range (rms < 0.1 Hz).
    #[test]
    fn exponents_lie_between_2_and_4_and_follow_fig_1c() {
        for (tau, sds) in [(0.02, [1.0, 2.0, 3.0]), (0.01, [1.0, 1.5, 2.0])] {
            let n = Neuron {
                tau,
                ..Neuron::default()
            };
            let mut last = 0.0;
            for sd in sds {
                let f = fit(&n, sigma_of_sd(sd, tau), 10.0).unwrap();
                assert!(f.n > 2.0 && f.n < 4.0, "tau {tau} sd {sd}: {f:?}");
                assert!(f.rms < 0.1, "tau {tau} sd {sd}: {f:?}");
                assert!(f.n > last, "n grows with the noise: {f:?}");
                last = f.n;
            }
        }
        // A shorter membrane time constant gives a larger exponent at the same sd.
        let fit_at = |tau: f64| {
            let n = Neuron {
                tau,
                ..Neuron::default()
            };
            fit(&n, sigma_of_sd(2.0, tau), 10.0).unwrap().n
        };
        assert!(fit_at(0.01) > fit_at(0.02));
    }

    /// The fit is a least-squares minimum: moving any parameter by a small step in either
    /// direction does not lower the cost (relative 1e-9 slack for the simplex's tolerance).
    #[test]
    fn the_fit_is_a_local_minimum() {
        let n = Neuron::default();
        let sigma = sigma_of_sd(3.0, n.tau);
        let f = fit(&n, sigma, 10.0).unwrap();
        let pts: Vec<f64> = {
            let lo = x_at_rate(&n, sigma, 1e-4) / n.tau;
            let hi = x_at_rate(&n, sigma, 10.0) / n.tau;
            (0..200)
                .map(|i| lo + (hi - lo) * i as f64 / 199.0)
                .collect()
        };
        let cost = |law: &PowerLaw| -> f64 {
            pts.iter()
                .map(|&mu| (law.rate(mu) - rate(&n, mu, sigma)).powi(2))
                .sum()
        };
        let c0 = cost(&f);
        assert!(((c0 / 200.0).sqrt() - f.rms).abs() < 1e-6 * f.rms.max(1e-12));
        for (da, db, dn) in [
            (1e-3, 0.0, 0.0),
            (0.0, 1e-3 * f.b.abs(), 0.0),
            (0.0, 0.0, 1e-3),
        ] {
            for sign in [-1.0, 1.0] {
                let g = PowerLaw {
                    a: f.a * (1.0 + sign * da),
                    b: f.b + sign * db,
                    n: f.n + sign * dn,
                    rms: 0.0,
                };
                assert!(cost(&g) >= c0 * (1.0 - 1e-9), "{g:?} beats {f:?}");
            }
        }
    }

    #[test]
    fn bad_inputs_are_named() {
        let n = Neuron::default();
        let e = fit(&n, -1.0, 10.0).unwrap_err();
        assert!(e.to_string().contains("sigma"), "{e}");
        let n = Neuron {
            tau_ref: 0.05,
            ..Neuron::default()
        };
        let e = fit(&n, 10.0, 30.0).unwrap_err();
        assert!(e.to_string().contains("max_rate"), "{e}");
    }
}
