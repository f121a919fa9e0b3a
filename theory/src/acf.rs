//! Autocorrelation helpers shared by the simulator and the DMF solver.
//!
//! Convention: an autocovariance `c[k]` is sampled at lags `k * lag_dt`, `c[0]` is the
//! variance, and the mean has been subtracted.

/// tau_dec from the least-squares fit C(tau) = C(0) / cosh^2(tau / tau_dec) (the shape of the
/// paper's Fig. 7C inset) over the lags where C > 0.05 C(0); golden-section search on
/// [lag_dt / 4, 4 tau_max]. None when C(0) vanishes (a fixed point) or fewer than 3 lags fit.
pub fn tau_dec(c: &[f64], lag_dt: f64) -> Option<f64> {
    let c0 = *c.first()?;
    if c0.is_nan() || c0 <= 1e-24 {
        return None;
    }
    let last = c.iter().position(|&v| v < 0.05 * c0).unwrap_or(c.len());
    if last < 3 {
        return None;
    }
    let cost = |td: f64| -> f64 {
        c[..last]
            .iter()
            .enumerate()
            .map(|(k, &v)| {
                let m = c0 / (k as f64 * lag_dt / td).cosh().powi(2);
                (v - m).powi(2)
            })
            .sum()
    };
    let (mut a, mut b) = (0.25 * lag_dt, 4.0 * last as f64 * lag_dt);
    let g = 0.5 * (5f64.sqrt() - 1.0);
    let (mut x1, mut x2) = (b - g * (b - a), a + g * (b - a));
    let (mut f1, mut f2) = (cost(x1), cost(x2));
    for _ in 0..100 {
        if f1 < f2 {
            b = x2;
            (x2, f2) = (x1, f1);
            x1 = b - g * (b - a);
            f1 = cost(x1);
        } else {
            a = x1;
            (x1, f1) = (x2, f2);
            x2 = a + g * (b - a);
            f2 = cost(x2);
        }
    }
    Some(0.5 * (a + b))
}

/// Variance of the time average over a window of length `window` of a stationary process
/// with autocovariance `c` (lags k * lag_dt): (2 / T) int_0^T (1 - s / T) c(s) ds, by the
/// trapezoid rule; lags beyond the end of `c` count as 0.
///
/// A finite record of length T underestimates the variance: the expected (1/n-normalised)
/// sample variance about the record's own mean is c(0) minus this, and a mean-subtracted
/// autocovariance estimate is lowered by the same amount at every lag (to first order). This
/// is how a theory ACF is compared with a simulation of finite length.
pub fn window_mean_variance(c: &[f64], lag_dt: f64, window: f64) -> f64 {
    let m = ((window / lag_dt).floor() as usize).min(c.len().saturating_sub(1));
    let f = |k: usize| (1.0 - k as f64 * lag_dt / window) * c[k];
    let mut s = 0.5 * (f(0) + f(m));
    for k in 1..m {
        s += f(k);
    }
    2.0 * s * lag_dt / window
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tau_dec_recovers_a_sech_squared() {
        let c: Vec<f64> = (0..400)
            .map(|k| 2.0 / (k as f64 * 0.1 / 3.7).cosh().powi(2))
            .collect();
        let t = tau_dec(&c, 0.1).unwrap();
        assert!((t - 3.7).abs() < 1e-6, "{t}");
        assert_eq!(tau_dec(&[0.0; 10], 0.1), None);
    }

    #[test]
    fn window_mean_variance_of_an_exponential() {
        // c(s) = e^{-s}: (2/T) int_0^T (1 - s/T) e^{-s} ds = 2/T - 2 (1 - e^{-T}) / T^2.
        // Trapezoid error with h = 1e-3: h^2/12 |f''| * 2/T ~ 1e-8 relative.
        let c: Vec<f64> = (0..100_001).map(|k| (-(k as f64) * 1e-3).exp()).collect();
        for t in [5.0_f64, 50.0] {
            let exact = 2.0 / t - 2.0 * (1.0 - (-t).exp()) / (t * t);
            let v = window_mean_variance(&c, 1e-3, t);
            assert!((v / exact - 1.0).abs() < 1e-6, "{t}: {v} {exact}");
        }
    }
}
