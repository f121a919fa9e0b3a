//! Spectral conventions of the DMF solver, stated once and tested (Parseval, white noise).
//!
//! ## Grid
//! A realization lives on the periodic grid t_n = n dt, n = 0 .. L-1 (L = `modes`, a power of
//! two), period T = L dt, angular frequencies omega_k = 2 pi k / T.
//!
//! ## PSD
//! S(omega) is the **two-sided** power spectral density of a stationary process with
//! autocovariance c(tau) = int S(omega) e^{i omega tau} d omega / (2 pi), so that the
//! variance is c(0) = int S d omega / 2 pi. On the grid the integral is the sum
//! (1/T) sum_{k = -L/2+1}^{L/2} S(omega_k). Spectra are stored for k = 0 .. L/2 (S is even);
//! S_0 is kept at 0: the fluctuations have zero time average, the mean is handled separately
//! (the paper's Eq. 56 subtracts it too).
//!
//! ## Synthesis (the paper's eta = F^-1[e^{i theta} sqrt(2 S)])
//! A realization is x_n = sum_k X_k e^{2 pi i k n / L} with |X_k|^2 = S_k / T, independent
//! uniform phases theta_k for 0 < k < L/2, a random sign at the Nyquist bin, and
//! X_{-k} = conj(X_k). Every realization then has exactly the variance (1/T) sum_k S_k:
//! random phases with fixed amplitudes, as in the paper, rather than Gaussian amplitudes.
//! The leak filter of Eq. 10 is applied in the frequency domain,
//! X_k -> X_k / (1 + i omega_k tau), which is the exact periodic stationary solution of
//! tau dx/dt = -x + eta for the band-limited noise: no transient and no time-step error in x.
//!
//! ## Periodogram (Eq. 56)
//! For a real series b_n, B_k = sum_n (b_n - mean b) e^{-2 pi i k n / L} and
//! S_b(omega_k) = dt |B_k|^2 / L, the inverse of the synthesis: a synthesized series returns
//! its S exactly, and (1/T) sum_k S_b = (1/L) sum_n (b_n - mean b)^2 (Parseval).

use std::sync::Arc;

use rand::Rng;
use rand::distr::{Distribution, StandardUniform};
use rustfft::num_complex::Complex;
use rustfft::{Fft, FftPlanner};

use crate::error::ParamError;

/// The periodic time/frequency grid of one realization.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Grid {
    /// Time step dt.
    pub dt: f64,
    /// Number of samples (Fourier modes) L per realization, a power of two.
    pub modes: usize,
}

impl Grid {
    /// A grid with time step `dt > 0` and `modes` a power of two >= 64.
    pub fn new(dt: f64, modes: usize) -> Result<Self, ParamError> {
        if !(dt > 0.0 && dt.is_finite()) {
            return Err(ParamError::OutOfRange {
                name: "dt",
                value: dt,
                range: "0 < dt < inf",
            });
        }
        if modes < 64 || !modes.is_power_of_two() {
            return Err(ParamError::OutOfRange {
                name: "modes",
                value: modes as f64,
                range: "a power of two >= 64",
            });
        }
        Ok(Grid { dt, modes })
    }

    /// Period T = L dt.
    pub fn period(&self) -> f64 {
        self.dt * self.modes as f64
    }

    /// Number of stored bins k = 0 .. L/2.
    pub fn bins(&self) -> usize {
        self.modes / 2 + 1
    }

    /// omega_k = 2 pi k / T.
    pub fn omega(&self, k: usize) -> f64 {
        2.0 * std::f64::consts::PI * k as f64 / self.period()
    }

    /// Multiplicity of stored bin k in the two-sided sum (2 except at k = 0 and k = L/2).
    fn multiplicity(&self, k: usize) -> f64 {
        if k == 0 || k == self.modes / 2 {
            1.0
        } else {
            2.0
        }
    }

    /// A flat (white) spectrum S = level on 0 < k <= L/2, S_0 = 0.
    pub fn flat(&self, level: f64) -> Vec<f64> {
        let mut s = vec![level; self.bins()];
        s[0] = 0.0;
        s
    }

    /// The flat level whose leak-filtered variance (time constant `tau`) is `variance`.
    pub fn flat_level_for(&self, variance: f64, tau: f64) -> f64 {
        variance / self.filtered_variance(&self.flat(1.0), tau)
    }

    /// Variance (1/T) sum_k S_k / (1 + omega_k^2 tau^2) of the process filtered by the leak of
    /// Eq. 10 with time constant `tau` (tau = 0: the variance of the noise itself).
    pub fn filtered_variance(&self, s: &[f64], tau: f64) -> f64 {
        let t = self.period();
        s.iter()
            .enumerate()
            .map(|(k, &v)| {
                let w = self.omega(k) * tau;
                self.multiplicity(k) * v / (1.0 + w * w)
            })
            .sum::<f64>()
            / t
    }

    /// Filter a spectrum by the leak: S_k / (1 + omega_k^2 tau^2).
    pub fn filtered(&self, s: &[f64], tau: f64) -> Vec<f64> {
        s.iter()
            .enumerate()
            .map(|(k, &v)| {
                let w = self.omega(k) * tau;
                v / (1.0 + w * w)
            })
            .collect()
    }
}

/// FFT plans of one length, shareable between threads.
#[derive(Clone)]
pub struct Plans {
    fwd: Arc<dyn Fft<f64>>,
    inv: Arc<dyn Fft<f64>>,
}

impl Plans {
    pub fn new(grid: &Grid) -> Self {
        let mut planner = FftPlanner::new();
        Plans {
            fwd: planner.plan_fft_forward(grid.modes),
            inv: planner.plan_fft_inverse(grid.modes),
        }
    }
}

/// Two independent realizations with spectra `s_a`, `s_b`, leak-filtered with time constant
/// `tau`, in one complex FFT (a in the real part, b in the imaginary part).
pub fn synthesize_pair<R: Rng + ?Sized>(
    grid: &Grid,
    plans: &Plans,
    s_a: &[f64],
    s_b: &[f64],
    tau: f64,
    rng: &mut R,
) -> (Vec<f64>, Vec<f64>) {
    let l = grid.modes;
    let t = grid.period();
    let mut z = vec![Complex::new(0.0, 0.0); l];
    let tw = 2.0 * std::f64::consts::PI;
    for k in 1..l / 2 {
        let h = Complex::new(1.0, grid.omega(k) * tau).inv();
        let pa: f64 = StandardUniform.sample(rng);
        let pb: f64 = StandardUniform.sample(rng);
        let a = Complex::from_polar((s_a[k] / t).sqrt(), tw * pa) * h;
        let b = Complex::from_polar((s_b[k] / t).sqrt(), tw * pb) * h;
        // Z = A + i B with A_{-k} = conj(A_k), B_{-k} = conj(B_k).
        z[k] = a + Complex::<f64>::i() * b;
        z[l - k] = a.conj() + Complex::<f64>::i() * b.conj();
    }
    let k = l / 2;
    let gain = 1.0 / (1.0 + (grid.omega(k) * tau).powi(2)).sqrt();
    let sign = |r: &mut R| {
        let b: bool = StandardUniform.sample(r);
        if b { 1.0 } else { -1.0 }
    };
    let a = sign(rng) * (s_a[k] / t).sqrt() * gain;
    let b = sign(rng) * (s_b[k] / t).sqrt() * gain;
    z[k] = Complex::new(a, b);
    plans.inv.process(&mut z);
    (
        z.iter().map(|c| c.re).collect(),
        z.iter().map(|c| c.im).collect(),
    )
}

/// Periodograms (stored bins k = 0 .. L/2) of two real series of length L, mean subtracted,
/// in one complex FFT.
pub fn periodogram_pair(grid: &Grid, plans: &Plans, a: &[f64], b: &[f64]) -> (Vec<f64>, Vec<f64>) {
    let l = grid.modes;
    let ma = a.iter().sum::<f64>() / l as f64;
    let mb = b.iter().sum::<f64>() / l as f64;
    let mut z: Vec<Complex<f64>> = a
        .iter()
        .zip(b)
        .map(|(x, y)| Complex::new(x - ma, y - mb))
        .collect();
    plans.fwd.process(&mut z);
    let norm = grid.dt / l as f64;
    let mut sa = vec![0.0; grid.bins()];
    let mut sb = vec![0.0; grid.bins()];
    for k in 0..grid.bins() {
        let zk = z[k];
        let zm = z[(l - k) % l].conj();
        let ak = 0.5 * (zk + zm);
        let bk = Complex::new(0.0, -0.5) * (zk - zm);
        sa[k] = norm * ak.norm_sqr();
        sb[k] = norm * bk.norm_sqr();
    }
    (sa, sb)
}

/// Autocovariance c(m dt), m = 0 .. L/2, of a process with spectrum `s` leak-filtered with
/// time constant `tau`: c(m dt) = (1/T) sum_k S_k e^{i omega_k m dt} / (1 + omega_k^2 tau^2).
pub fn autocovariance(grid: &Grid, plans: &Plans, s: &[f64], tau: f64) -> Vec<f64> {
    let l = grid.modes;
    let t = grid.period();
    let f = grid.filtered(s, tau);
    let mut z = vec![Complex::new(0.0, 0.0); l];
    for k in 0..grid.bins() {
        z[k] = Complex::new(f[k] / t, 0.0);
        if k > 0 && k < l / 2 {
            z[l - k] = z[k];
        }
    }
    plans.inv.process(&mut z);
    z[..grid.bins()].iter().map(|c| c.re).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    fn var(x: &[f64]) -> f64 {
        let m = x.iter().sum::<f64>() / x.len() as f64;
        x.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / x.len() as f64
    }

    #[test]
    fn synthesis_has_the_variance_of_its_spectrum_and_parseval_holds() {
        let g = Grid::new(0.05, 4096).unwrap();
        let p = Plans::new(&g);
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        // A Lorentzian spectrum for a and white noise for b, then leak-filtered (tau = 2).
        let sa: Vec<f64> = (0..g.bins())
            .map(|k| {
                if k == 0 {
                    0.0
                } else {
                    3.0 / (1.0 + g.omega(k).powi(2))
                }
            })
            .collect();
        let sb = g.flat(0.7);
        for tau in [0.0, 2.0] {
            let (a, b) = synthesize_pair(&g, &p, &sa, &sb, tau, &mut rng);
            // Random phases with fixed amplitudes: the sample variance is exact (rounding
            // only, 1e-12 relative).
            let (va, vb) = (g.filtered_variance(&sa, tau), g.filtered_variance(&sb, tau));
            assert!((var(&a) / va - 1.0).abs() < 1e-12, "{} {}", var(&a), va);
            assert!((var(&b) / vb - 1.0).abs() < 1e-12, "{} {}", var(&b), vb);
            // The periodogram returns the filtered spectrum bin by bin (exact inverse).
            let (pa, pb) = periodogram_pair(&g, &p, &a, &b);
            let (fa, fb) = (g.filtered(&sa, tau), g.filtered(&sb, tau));
            for k in 1..g.bins() {
                assert!((pa[k] - fa[k]).abs() <= 1e-10 * fa[1], "k {k}");
                assert!((pb[k] - fb[k]).abs() <= 1e-10 * fb[1], "k {k}");
            }
            // Parseval: (1/T) sum_k S_k = (1/L) sum_n (b_n - mean)^2.
            assert!((g.filtered_variance(&pa, 0.0) / var(&a) - 1.0).abs() < 1e-12);
        }
    }

    #[test]
    fn white_noise_in_gives_the_ornstein_uhlenbeck_variance_out() {
        // White noise of level S0 through tau dx/dt = -x + eta: the continuous-time periodic
        // process has variance (S0 / 2 tau) coth(T / 2 tau) (sum over all k of
        // S0 / (T (1 + omega_k^2 tau^2))). The grid removes the k = 0 term (S0 / T) and the
        // bins beyond Nyquist, whose sum is S0 dt / (pi^2 tau^2) up to O(1/L) relative
        // corrections; with both subtracted the synthesized variance must match to 1e-4
        // (the O(1/L) = 3e-5 remainder of the tail, plus rounding).
        let g = Grid::new(0.05, 1 << 15).unwrap();
        let p = Plans::new(&g);
        let s0 = 2.5;
        let t = g.period();
        for tau in [1.0, 10.0] {
            let mut rng = ChaCha8Rng::seed_from_u64(9);
            let (a, _) = synthesize_pair(&g, &p, &g.flat(s0), &g.flat(s0), tau, &mut rng);
            let tail = s0 * g.dt / (std::f64::consts::PI.powi(2) * tau * tau);
            let full = s0 / (2.0 * tau) / (t / (2.0 * tau)).tanh();
            let expect = full - s0 / t - tail;
            assert!(
                (var(&a) / expect - 1.0).abs() < 1e-4,
                "{} {expect}",
                var(&a)
            );
            // The autocovariance is the OU exponential (S0 / 2 tau) exp(-|s| / tau) less the
            // k = 0 term; the beyond-Nyquist bins contribute at most `tail` at any lag.
            let c = autocovariance(&g, &p, &g.flat(s0), tau);
            for m in [20usize, 100, 200] {
                let s = m as f64 * g.dt;
                let ou = s0 / (2.0 * tau) * (-s / tau).exp() - s0 / t;
                assert!((c[m] - ou).abs() <= tail, "m {m}: {} vs {ou}", c[m]);
            }
        }
    }

    #[test]
    fn bad_grids_are_refused() {
        assert!(Grid::new(0.0, 1024).is_err());
        assert!(Grid::new(0.1, 1000).is_err());
        assert!(Grid::new(0.1, 32).is_err());
    }
}
