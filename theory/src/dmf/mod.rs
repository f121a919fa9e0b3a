//! Dynamic mean-field (DMF) theory of rate chaos (Eqs. 10, 40-56), from N = 1e3 to infinity.
//!
//! ## The self-consistency
//! Each population is represented by one single-site neuron driven by Gaussian noise
//! (Eq. 10): tau dx^alpha/dt = -x^alpha + eta^alpha (tau = `tau_syn`, 1 in Eq. 1), and the
//! excitatory site carries the depression w of Eq. 10c. The noise has mean mu^alpha
//! (Eqs. 50a-b, i.e. 54-55) and power spectral density (Eq. 45 in the frequency domain)
//!
//! * S^E = J0^2 j_E^2 [S_{phi_E w} + g_E^2 S_{phi_I}],
//! * S^I = J0^2 j_I^2 [S_{phi_E} + g_I^2 S_{phi_I}],
//!
//! where S_b is the spectrum of the fluctuation of the single-site rate b. Eq. 51 as printed
//! leaves g^2 [phi_I] outside the factor J0^2 j^2; Eq. 45 and the sum over K_I presynaptic
//! inhibitory neurons of weight J0 g j / sqrt(K_I) both put it inside (docs/ERRATA.md). The
//! conventions for S, the synthesis and the periodogram are in [`psd`].
//!
//! ## The iteration, and why it needs no alpha
//! The paper mixes new and old means and spectra with a factor alpha that must shrink from
//! 0.1-0.4 at N = 5000 to 1e-4 at N = 1e10: the means are multiplied by sqrt(N) J0 in
//! Eqs. 54-55, so the map mu -> mu_hat has a gain of order 1e5 at N = 1e10. Here the means
//! are not iterated at all. At each outer iteration the noise realizations are drawn once;
//! with them frozen (common random numbers), x^alpha = mu^alpha + xi^alpha(t) and
//!
//! * [phi_alpha](mu) is a Gaussian average (the inputs are Gaussian with variance Delta0^alpha
//!   given by the current spectrum; Eq. 52a), and
//! * [phi_E w](mu^E) is the sample mean over the realizations, a smooth function of mu^E
//!   whose derivative is propagated along the w path ([`site`]),
//!
//! so the mean equations are solved exactly, by Newton's method in the residual form of
//! [`crate::fixed_point`] (A^alpha - (mu^alpha - I0) / (sqrt(N) J0 j_alpha) = 0, with terms
//! of order 0.1 at every N, and A^alpha = 0 at N = infinity; Eq. 11). Only the spectra are
//! iterated, and their map does not involve N: S^alpha <- S_out^alpha (alpha = 1). The cost
//! per iteration is the same at N = 1e3 and N = 1e12, and so is the number of iterations
//! (measured: ~40 per chain at N = 1e3, 5000, 1e10 and infinity).
//!
//! ## The slow mode, and its acceleration
//! The map on the spectra converges geometrically, at a rate that approaches 1 as
//! omega -> 0: slow fluctuations of the depression feed back on themselves, so the lowest
//! frequencies need ~100 plain iterations. A band-wise secant (Aitken) extrapolation,
//! applied only where the change of a band is statistically significant, brings this down to
//! ~30 iterations at N = 5000 (see `Accelerator`).
//!
//! ## Stopping rule and standard errors
//! * A chain starts from a flat spectrum with Delta0 = `initial_delta0` and is *stationary*
//!   once the output variance Delta0_out (the leak-filtered variance of S_out) agrees with the
//!   input Delta0_in within 3 combined standard errors for both populations and no band
//!   needed the extrapolation, three iterations in a row. The standard error of Delta0_out
//!   comes from the spread over the independent realizations of the iteration.
//! * It then runs `average_iterations` more iterations and reports the mean of their outputs.
//! * Successive iterations are strongly correlated (the slow mode wanders with a correlation
//!   near 1 per iteration, and a self-consistent solution amplifies the sampling noise of
//!   its own input), so the spread within one chain underestimates the error by a factor
//!   2-3. The standard errors therefore come from **independent chains** (different noise
//!   from the first iteration on): value = mean over chains, stderr = their standard
//!   deviation / sqrt(chains). At least `chains` run, and more are added, up to
//!   `max_chains`, until the relative standard error of Delta0^E is below
//!   `target_rel_stderr`. With 4 chains the error estimate itself is uncertain by ~40 %.
//! * The error is the sampling error; the discretisation bias (dt, L) is separate and
//!   tested in [`psd`] and [`site`].
//! * If Delta0 decays below `fixed_point_variance`, the chaotic solution does not exist: the
//!   homogeneous fixed point of [`crate::fixed_point`] (or the balanced limit at
//!   N = infinity) is returned with zero variance.
//!
//! Realizations are generated from ChaCha8 seeded with `seed`, stream
//! `(chain << 48) | (iteration << 24) | realization`, and reduced in index order: the result depends on the
//! seed only, not on the number of threads.

pub mod psd;
pub mod site;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::Serialize;
use std::ops::ControlFlow;

use crate::acf::tau_dec;
use crate::balanced::balanced_inputs;
use crate::error::{ParamError, TheoryError};
use crate::fixed_point::{MeanSystem, Response, homogeneous, homogeneous_near};
use crate::moments::erf_rate_average;
use crate::params::Params;
use crate::roots::brent;
use crate::transfer::Transfer;
use psd::{Grid, Plans, autocovariance, periodogram_pair, synthesize_pair};
use site::Site;

/// Numerical settings of the solver.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DmfOptions {
    /// Time step of the single-site grid (the paper's 0.06).
    pub dt: f64,
    /// Fourier modes L per realization (the paper's 16384); a power of two.
    pub modes: usize,
    /// Independent noise realizations per iteration.
    pub realizations: usize,
    /// Stop adding chains when the relative standard error of Delta0^E is below this.
    pub target_rel_stderr: f64,
    /// Iterations averaged per chain after it is stationary.
    pub average_iterations: usize,
    /// A chain gives up after this many iterations (warm-up plus averaging).
    pub max_iterations: usize,
    /// Independent chains run at least (the standard errors come from their spread).
    pub chains: usize,
    /// Chains run at most.
    pub max_chains: usize,
    /// Delta0 of the flat initial spectrum (both populations).
    pub initial_delta0: f64,
    /// Delta0^E + Delta0^I below which the solution is the homogeneous fixed point.
    pub fixed_point_variance: f64,
    /// Seed of the noise realizations.
    pub seed: u64,
}

impl Default for DmfOptions {
    fn default() -> Self {
        DmfOptions {
            dt: 0.06,
            modes: 16384,
            realizations: 16,
            target_rel_stderr: 0.01,
            average_iterations: 8,
            max_iterations: 300,
            chains: 4,
            max_chains: 16,
            initial_delta0: 1.0,
            fixed_point_variance: 1e-10,
            seed: 1,
        }
    }
}

impl DmfOptions {
    pub fn validate(&self) -> Result<Grid, ParamError> {
        let bad = |name, value: f64, range| Err(ParamError::OutOfRange { name, value, range });
        if self.realizations < 2 {
            return bad("realizations", self.realizations as f64, ">= 2");
        }
        if !(self.target_rel_stderr > 0.0 && self.target_rel_stderr < 1.0) {
            return bad(
                "target_rel_stderr",
                self.target_rel_stderr,
                "0 < target < 1",
            );
        }
        if self.average_iterations < 1 {
            return bad("average_iterations", 0.0, ">= 1");
        }
        if self.max_iterations < self.average_iterations + 4 {
            return bad(
                "max_iterations",
                self.max_iterations as f64,
                ">= average_iterations + 4",
            );
        }
        if self.chains < 2 {
            return bad(
                "chains",
                self.chains as f64,
                ">= 2 (the standard errors need two)",
            );
        }
        if self.max_chains < self.chains {
            return bad("max_chains", self.max_chains as f64, ">= chains");
        }
        if !(self.initial_delta0 > 0.0 && self.initial_delta0.is_finite()) {
            return bad("initial_delta0", self.initial_delta0, "0 < delta0 < inf");
        }
        if self.fixed_point_variance.is_nan() || self.fixed_point_variance < 0.0 {
            return bad("fixed_point_variance", self.fixed_point_variance, ">= 0");
        }
        Grid::new(self.dt, self.modes)
    }
}

/// Why the iteration stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Termination {
    /// Stationary, and the standard-error target was met.
    StderrTarget,
    /// The variance decayed to zero: the homogeneous fixed point.
    FixedPoint,
    /// A chain reached `max_iterations` before it was stationary.
    MaxIterations,
    /// `max_chains` chains did not reach the standard-error target.
    MaxChains,
}

impl std::fmt::Display for Termination {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Termination::StderrTarget => "stationary and standard-error target met",
            Termination::FixedPoint => "variance decayed: homogeneous fixed point",
            Termination::MaxIterations => "a chain reached max_iterations before it was stationary",
            Termination::MaxChains => "max_chains chains did not reach the standard-error target",
        })
    }
}

/// The scalar outputs (also used for their standard errors).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Outputs {
    pub mu_e: f64,
    pub mu_i: f64,
    pub delta0_e: f64,
    pub delta0_i: f64,
    pub phi_e: f64,
    pub phi_i: f64,
    pub w: f64,
    pub phi_w: f64,
    pub tau_dec_e: Option<f64>,
    pub tau_dec_i: Option<f64>,
    /// Balance residuals of Eq. 11 (0 at N = infinity).
    pub a_e: f64,
    pub a_i: f64,
}

/// One iteration of the convergence history.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct IterationRecord {
    /// Index of the independent chain (0-based).
    pub chain: usize,
    /// Iteration within the chain (1-based).
    pub iteration: usize,
    /// "warmup" or "average".
    pub phase: &'static str,
    pub mu_e: f64,
    pub mu_i: f64,
    pub delta0_in_e: f64,
    pub delta0_in_i: f64,
    pub delta0_out_e: f64,
    pub delta0_out_i: f64,
    /// Standard errors of delta0_out over the realizations of this iteration.
    pub delta0_out_e_se: f64,
    pub delta0_out_i_se: f64,
    pub phi_w: f64,
    /// Evaluations of [phi_E w](mu) spent by the mean solver.
    pub mean_evaluations: usize,
}

/// Spectra and correlation functions of the solution (for plots and CSV).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Curves {
    /// omega_k, k = 0 .. L/2.
    pub omega: Vec<f64>,
    /// Noise PSDs S^E, S^I (the converged input spectra).
    pub s_e: Vec<f64>,
    pub s_i: Vec<f64>,
    /// PSDs of the single-site rates phi_E, phi_I, phi_E w and of w.
    pub s_phi_e: Vec<f64>,
    pub s_phi_i: Vec<f64>,
    pub s_phi_w: Vec<f64>,
    pub s_w: Vec<f64>,
    /// Lag step of the correlation functions.
    pub lag_dt: f64,
    /// Input ACFs Delta^E(tau), Delta^I(tau) (Eq. 48), lags 0 .. T/2.
    pub delta_e: Vec<f64>,
    pub delta_i: Vec<f64>,
    /// Mean-subtracted rate ACFs C^E - [phi_E]^2, C^I - [phi_I]^2, C~^E - [phi_E w]^2 (Eq. 45).
    pub rate_e: Vec<f64>,
    pub rate_i: Vec<f64>,
    pub rate_phi_w: Vec<f64>,
}

impl Curves {
    /// All spectra zero on `bins` bins (the correlation functions empty).
    fn zeros(bins: usize) -> Self {
        Curves {
            s_e: vec![0.0; bins],
            s_i: vec![0.0; bins],
            s_phi_e: vec![0.0; bins],
            s_phi_i: vec![0.0; bins],
            s_phi_w: vec![0.0; bins],
            s_w: vec![0.0; bins],
            ..Curves::default()
        }
    }
}

/// The DMF solution.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DmfSolution {
    #[serde(flatten)]
    pub values: Outputs,
    pub iterations: usize,
    pub converged: bool,
    pub termination: Termination,
    pub stderr: Outputs,
    /// Independent chains behind the reported values and standard errors.
    pub chains: usize,
    #[serde(skip)]
    pub history: Vec<IterationRecord>,
    #[serde(skip)]
    pub curves: Curves,
}

/// The response functions of the mean equations on frozen realizations.
struct Frozen<'a> {
    p: &'a Params,
    sites: &'a [Site],
    dt: f64,
    delta_e: f64,
    delta_i: f64,
    calls: std::cell::Cell<usize>,
}

impl Frozen<'_> {
    /// ([phi], d[phi]/dmu) of a population with mean `x`, fluctuations `xi` of variance
    /// `delta`. For the smooth erf transfer: the Gaussian average (Eq. 52a) in closed form
    /// ([`erf_rate_average`]).
    /// For the LIF transfer (Eq. 13), whose kink at threshold makes the adaptive quadrature
    /// costly inside Newton's method, the sample average over the frozen realizations (the
    /// same estimator as [phi_E w]; phi' is integrable at the threshold).
    fn rate(&self, x: f64, delta: f64, xi: impl Fn(&Site) -> &[f64] + Sync) -> (f64, f64) {
        let t = self.p.transfer;
        if let Transfer::Erf = t {
            return erf_rate_average(x, delta);
        }
        let per: Vec<(f64, f64)> = self
            .sites
            .par_iter()
            .map(|s| {
                xi(s).iter().fold((0.0, 0.0), |(a, b), v| {
                    let (f, df) = t.phi_dphi(x + v);
                    (a + f, b + df)
                })
            })
            .collect();
        let count = (self.sites.len() * self.sites[0].xi_e.len()) as f64;
        let (s, ds) = per.iter().fold((0.0, 0.0), |(a, b), (c, d)| (a + c, b + d));
        (s / count, ds / count)
    }
}

impl Response for Frozen<'_> {
    fn excitatory(&self, x: f64) -> (f64, f64, f64, f64) {
        self.calls.set(self.calls.get() + 1);
        let (r, dr) = self.rate(x, self.delta_e, |s| &s.xi_e);
        let (p, dt) = (self.p, self.dt);
        let per: Vec<(f64, f64)> = self
            .sites
            .par_iter()
            .map(|s| s.excitatory(p, dt, x))
            .collect();
        let count = (self.sites.len() * self.sites[0].xi_e.len()) as f64;
        let (s, ds) = per.iter().fold((0.0, 0.0), |(a, b), (c, d)| (a + c, b + d));
        (r, dr, s / count, ds / count)
    }
    fn inhibitory(&self, x: f64) -> (f64, f64) {
        self.rate(x, self.delta_i, |s| &s.xi_i)
    }
    fn psi_sup(&self) -> f64 {
        // w <= 1 along any path.
        self.p.transfer.sup()
    }
    fn rate_sup(&self) -> f64 {
        self.p.transfer.sup()
    }
    fn window(&self) -> (f64, f64) {
        self.p.transfer.active_window()
    }
}

/// The root of G(x_E) = F_E(x_E, x_I(x_E)) (the mean equations with x_I eliminated; see
/// [`crate::fixed_point`]) bracketed around the previous means by an expanding search, then
/// refined by Brent's method. Used when Newton's method stalls, which happens with the LIF
/// transfer: the sample averages have steep steps where a sample crosses the threshold.
fn bracketed(sys: &MeanSystem, frozen: &Frozen, guess: (f64, f64)) -> Option<(f64, f64)> {
    let warm = std::cell::Cell::new(guess.1);
    let g = |x: f64| {
        let (v, y) = sys.g(frozen, x, warm.get());
        warm.set(y);
        v
    };
    let x0 = guess.0;
    let mut h = 0.01 * x0.abs().max(0.1);
    let (mut a, mut fa) = (x0, g(x0));
    for _ in 0..30 {
        for b in [x0 - h, x0 + h] {
            let fb = g(b);
            if fa.signum() != fb.signum() {
                let (lo, hi) = if a < b { (a, b) } else { (b, a) };
                let root = brent(g, lo, hi, 0.0, 200).ok()?;
                let (r_e, ..) = frozen.excitatory(root.x);
                return Some((root.x, sys.solve_inhibitory(frozen, r_e, warm.get())));
            }
            (a, fa) = (b, fb);
        }
        h *= 2.0;
    }
    None
}

/// What one iteration produced.
struct Step {
    mu: (f64, f64),
    delta_in: (f64, f64),
    out_e: Vec<f64>,
    out_i: Vec<f64>,
    delta_out: (f64, f64),
    delta_out_se: (f64, f64),
    phi_e: f64,
    phi_i: f64,
    w: f64,
    phi_w: f64,
    s_phi_e: Vec<f64>,
    s_phi_i: Vec<f64>,
    s_phi_w: Vec<f64>,
    s_w: Vec<f64>,
    /// Per band of [`Bands`]: standard errors of the band means of out_e, out_i over the
    /// realizations.
    band_se_e: Vec<f64>,
    band_se_i: Vec<f64>,
    evaluations: usize,
}

/// Frequency bands for the acceleration: log-spaced groups of bins (at least 2 bins each,
/// widths growing by 30 %), covering 1 .. L/2.
struct Bands(Vec<(usize, usize)>);

impl Bands {
    fn new(bins: usize) -> Self {
        let mut v = Vec::new();
        let mut a = 1;
        while a < bins {
            let b = (a + 2).max((a as f64 * 1.3).ceil() as usize).min(bins);
            v.push((a, b));
            a = b;
        }
        Bands(v)
    }
    fn means(&self, s: &[f64]) -> Vec<f64> {
        self.0
            .iter()
            .map(|&(a, b)| s[a..b].iter().sum::<f64>() / (b - a) as f64)
            .collect()
    }
}

fn mean_se(v: &[f64]) -> (f64, f64) {
    let n = v.len() as f64;
    let m = v.iter().sum::<f64>() / n;
    if v.len() < 2 {
        return (m, f64::NAN);
    }
    let var = v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (n - 1.0);
    (m, (var / n).sqrt())
}

fn add_into(acc: &mut [f64], v: &[f64], scale: f64) {
    for (a, b) in acc.iter_mut().zip(v) {
        *a += scale * b;
    }
}

struct Solver<'a> {
    p: &'a Params,
    opts: &'a DmfOptions,
    grid: Grid,
    plans: Plans,
    bands: Bands,
}

/// Band-wise secant (Aitken) extrapolation of the spectral iteration.
///
/// Near the solution each band mean follows y = a + rho x (x: input, y: output). The low
/// frequencies converge slowly: rho approaches 1 as omega -> 0 (slow fluctuations of the
/// depression feed back on themselves), so the plain iteration needs ~100 iterations there.
/// With two successive (x, y) pairs per band, rho = dy / dx and the band is moved to the fixed
/// point of the line, y + rho / (1 - rho) (y - x). This is exact when one geometric mode
/// dominates a band, and it is applied only where the change is significant (|dx| above 3 and
/// |y - x| above 2 standard errors), so noise is never amplified: otherwise the band takes the
/// plain update y. rho is clamped to [0, 0.95] and the move to a factor in [1/4, 4].
struct Accelerator {
    prev: Option<[Vec<f64>; 4]>,
}

impl Accelerator {
    /// The next input spectra from this iteration's input and output; also reports how many
    /// bands were extrapolated.
    fn next(
        &mut self,
        bands: &Bands,
        input: (&[f64], &[f64]),
        st: &Step,
    ) -> (Vec<f64>, Vec<f64>, usize) {
        let xe = bands.means(input.0);
        let xi = bands.means(input.1);
        let ye = bands.means(&st.out_e);
        let yi = bands.means(&st.out_i);
        let mut moved = 0;
        let mut factors = |x: &[f64], y: &[f64], se: &[f64], px: &[f64], py: &[f64]| {
            let mut f = vec![1.0; x.len()];
            for b in 0..x.len() {
                let sig = se[b] * std::f64::consts::SQRT_2;
                let dx = x[b] - px[b];
                if !(dx.abs() > 3.0 * sig && (y[b] - x[b]).abs() > 2.0 * se[b] && y[b] > 0.0) {
                    continue;
                }
                let rho = ((y[b] - py[b]) / dx).clamp(0.0, 0.95);
                if rho > 0.0 {
                    let target = y[b] + rho / (1.0 - rho) * (y[b] - x[b]);
                    f[b] = (target / y[b]).clamp(0.25, 4.0);
                    moved += 1;
                }
            }
            f
        };
        let (fe, fi) = match &self.prev {
            Some([pxe, pye, pxi, pyi]) => (
                factors(&xe, &ye, &st.band_se_e, pxe, pye),
                factors(&xi, &yi, &st.band_se_i, pxi, pyi),
            ),
            None => (vec![1.0; xe.len()], vec![1.0; xi.len()]),
        };
        self.prev = Some([xe, ye, xi, yi]);
        let apply = |s: &[f64], f: &[f64]| {
            let mut out = s.to_vec();
            for (&(a, b), &k) in bands.0.iter().zip(f) {
                out[a..b].iter_mut().for_each(|v| *v *= k);
            }
            out
        };
        (apply(&st.out_e, &fe), apply(&st.out_i, &fi), moved)
    }
}

impl Solver<'_> {
    fn step(
        &self,
        chain: usize,
        iteration: usize,
        s_e: &[f64],
        s_i: &[f64],
        guess: (f64, f64),
    ) -> Result<Step, TheoryError> {
        let (p, grid, tau) = (self.p, &self.grid, self.p.tau_syn);
        let sites: Vec<Site> = (0..self.opts.realizations)
            .into_par_iter()
            .map(|m| {
                let mut rng = ChaCha8Rng::seed_from_u64(self.opts.seed);
                rng.set_stream(((chain as u64) << 48) | ((iteration as u64) << 24) | m as u64);
                let (xi_e, xi_i) = synthesize_pair(grid, &self.plans, s_e, s_i, tau, &mut rng);
                Site { xi_e, xi_i }
            })
            .collect();
        let delta_in = (
            grid.filtered_variance(s_e, tau),
            grid.filtered_variance(s_i, tau),
        );
        let frozen = Frozen {
            p,
            sites: &sites,
            dt: grid.dt,
            delta_e: delta_in.0,
            delta_i: delta_in.1,
            calls: std::cell::Cell::new(0),
        };
        let sys = MeanSystem::new(p);
        let mu = match sys.newton(&frozen, guess) {
            Some(mu) => mu,
            None => match bracketed(&sys, &frozen, guess) {
                Some(mu) => mu,
                None => {
                    // Last resort: the scan of every root, keeping the one nearest the
                    // previous means.
                    let (roots, _) = sys.solve_all(&frozen)?;
                    *roots
                        .iter()
                        .min_by(|a, b| (a.0 - guess.0).abs().total_cmp(&(b.0 - guess.0).abs()))
                        .expect("solve_all returns at least one root")
                }
            },
        };
        let evaluations = frozen.calls.get();
        let (ke, ki) = (p.j0 * p.j_e, p.j0 * p.j_i);
        let per: Vec<_> = sites
            .par_iter()
            .map(|s| {
                let paths = s.paths(p, grid.dt, mu.0, mu.1);
                let (s_pw, s_pi) = periodogram_pair(grid, &self.plans, &paths.phi_w, &paths.phi_i);
                let (s_pe, s_w) = periodogram_pair(grid, &self.plans, &paths.phi_e, &paths.w);
                let l = paths.w.len() as f64;
                let out_e: Vec<f64> = s_pw
                    .iter()
                    .zip(&s_pi)
                    .map(|(a, b)| ke * ke * (a + p.g_e * p.g_e * b))
                    .collect();
                let out_i: Vec<f64> = s_pe
                    .iter()
                    .zip(&s_pi)
                    .map(|(a, b)| ki * ki * (a + p.g_i * p.g_i * b))
                    .collect();
                let d = (
                    grid.filtered_variance(&out_e, tau),
                    grid.filtered_variance(&out_i, tau),
                );
                let w = paths.w.iter().sum::<f64>() / l;
                let pw = paths.phi_w.iter().sum::<f64>() / l;
                (out_e, out_i, d, w, pw, s_pe, s_pi, s_pw, s_w)
            })
            .collect();
        let m = per.len() as f64;
        let bins = grid.bins();
        let mut st = Step {
            mu,
            delta_in,
            out_e: vec![0.0; bins],
            out_i: vec![0.0; bins],
            delta_out: (0.0, 0.0),
            delta_out_se: (0.0, 0.0),
            phi_e: frozen.rate(mu.0, delta_in.0, |s| &s.xi_e).0,
            phi_i: frozen.rate(mu.1, delta_in.1, |s| &s.xi_i).0,
            w: 0.0,
            phi_w: 0.0,
            s_phi_e: vec![0.0; bins],
            s_phi_i: vec![0.0; bins],
            s_phi_w: vec![0.0; bins],
            s_w: vec![0.0; bins],
            band_se_e: Vec::new(),
            band_se_i: Vec::new(),
            evaluations,
        };
        let (mut de, mut di) = (Vec::new(), Vec::new());
        let nb = self.bands.0.len();
        let (mut be, mut bi) = (vec![Vec::new(); nb], vec![Vec::new(); nb]);
        for (oe, oi, d, w, pw, spe, spi, spw, sw) in &per {
            for (b, v) in self.bands.means(oe).into_iter().enumerate() {
                be[b].push(v);
            }
            for (b, v) in self.bands.means(oi).into_iter().enumerate() {
                bi[b].push(v);
            }
            add_into(&mut st.out_e, oe, 1.0 / m);
            add_into(&mut st.out_i, oi, 1.0 / m);
            add_into(&mut st.s_phi_e, spe, 1.0 / m);
            add_into(&mut st.s_phi_i, spi, 1.0 / m);
            add_into(&mut st.s_phi_w, spw, 1.0 / m);
            add_into(&mut st.s_w, sw, 1.0 / m);
            de.push(d.0);
            di.push(d.1);
            st.w += w / m;
            st.phi_w += pw / m;
        }
        let (me, se) = mean_se(&de);
        let (mi, si) = mean_se(&di);
        st.delta_out = (me, mi);
        st.delta_out_se = (se, si);
        st.band_se_e = be.iter().map(|v| mean_se(v).1).collect();
        st.band_se_i = bi.iter().map(|v| mean_se(v).1).collect();
        Ok(st)
    }

    fn outputs(&self, st: &Step) -> Outputs {
        let p = self.p;
        let tau = p.tau_syn;
        let lag = self.grid.dt;
        let de = autocovariance(&self.grid, &self.plans, &st.out_e, tau);
        let di = autocovariance(&self.grid, &self.plans, &st.out_i, tau);
        let (a_e, a_i) = if p.n.is_finite() {
            let s = p.coupling_scale();
            (
                (st.mu.0 - p.i0) / (s * p.j_e),
                (st.mu.1 - p.i0) / (s * p.j_i),
            )
        } else {
            (0.0, 0.0)
        };
        Outputs {
            mu_e: st.mu.0,
            mu_i: st.mu.1,
            delta0_e: st.delta_out.0,
            delta0_i: st.delta_out.1,
            phi_e: st.phi_e,
            phi_i: st.phi_i,
            w: st.w,
            phi_w: st.phi_w,
            tau_dec_e: tau_dec(&de, lag),
            tau_dec_i: tau_dec(&di, lag),
            a_e,
            a_i,
        }
    }
}

/// Mean and standard error over independent chains, field by field.
fn summarize(samples: &[Outputs]) -> (Outputs, Outputs) {
    let col = |f: &dyn Fn(&Outputs) -> f64| {
        let v: Vec<f64> = samples.iter().map(f).collect();
        mean_se(&v)
    };
    let opt = |f: &dyn Fn(&Outputs) -> Option<f64>| {
        let v: Option<Vec<f64>> = samples.iter().map(f).collect();
        v.map(|v| mean_se(&v))
    };
    let mut val = Outputs::default();
    let mut se = Outputs::default();
    macro_rules! fill {
        ($($f:ident),*) => {$(
            let (m, s) = col(&|o: &Outputs| o.$f);
            val.$f = m;
            se.$f = s;
        )*};
    }
    fill!(
        mu_e, mu_i, delta0_e, delta0_i, phi_e, phi_i, w, phi_w, a_e, a_i
    );
    let te = opt(&|o: &Outputs| o.tau_dec_e);
    let ti = opt(&|o: &Outputs| o.tau_dec_i);
    val.tau_dec_e = te.map(|t| t.0);
    se.tau_dec_e = te.map(|t| t.1);
    val.tau_dec_i = ti.map(|t| t.0);
    se.tau_dec_i = ti.map(|t| t.1);
    (val, se)
}

/// Field-wise mean of the outputs of one chain's averaging iterations.
fn mean_outputs(samples: &[Outputs]) -> Outputs {
    summarize(samples).0
}

/// What one chain produced.
struct Chain {
    values: Outputs,
    curves: Curves,
    iterations: usize,
    stationary: bool,
    fixed_point: Option<(f64, f64)>,
}

impl Solver<'_> {
    /// One independent chain: warm-up until stationary, then `average_iterations`
    /// iterations whose outputs are averaged.
    fn chain(
        &self,
        index: usize,
        history: &mut Vec<IterationRecord>,
        progress: &mut dyn FnMut(&IterationRecord) -> ControlFlow<()>,
    ) -> Result<Chain, TheoryError> {
        let (p, opts, grid) = (self.p, self.opts, &self.grid);
        let tau = p.tau_syn;
        let mut guess = if p.n.is_finite() {
            let h = homogeneous(p)?.primary;
            (h.x_e, h.x_i)
        } else {
            let (_, x_e, x_i) = balanced_inputs(p)?;
            (x_e, x_i)
        };
        let level = grid.flat_level_for(opts.initial_delta0, tau);
        let (mut s_e, mut s_i) = (grid.flat(level), grid.flat(level));
        let mut accel = Accelerator { prev: None };
        let mut calm = 0;
        let mut prev: Option<(f64, f64)> = None;
        let mut averaging = false;
        let mut samples: Vec<Outputs> = Vec::new();
        let bins = grid.bins();
        let mut curves = Curves::zeros(bins);
        let mut iterations = 0;
        let mut last = None;
        while iterations < opts.max_iterations {
            let st = self.step(index, iterations, &s_e, &s_i, guess)?;
            iterations += 1;
            guess = st.mu;
            let rec = IterationRecord {
                chain: index,
                iteration: iterations,
                phase: if averaging { "average" } else { "warmup" },
                mu_e: st.mu.0,
                mu_i: st.mu.1,
                delta0_in_e: st.delta_in.0,
                delta0_in_i: st.delta_in.1,
                delta0_out_e: st.delta_out.0,
                delta0_out_i: st.delta_out.1,
                delta0_out_e_se: st.delta_out_se.0,
                delta0_out_i_se: st.delta_out_se.1,
                phi_w: st.phi_w,
                mean_evaluations: st.evaluations,
            };
            let stop = progress(&rec).is_break();
            history.push(rec);
            if stop {
                return Err(TheoryError::Interrupted {
                    iteration: iterations,
                });
            }
            if st.delta_out.0 + st.delta_out.1 <= opts.fixed_point_variance
                && st.delta_in.0 + st.delta_in.1 <= 1e3 * opts.fixed_point_variance.max(1e-300)
            {
                return Ok(Chain {
                    values: Outputs::default(),
                    curves,
                    iterations,
                    stationary: true,
                    fixed_point: Some(st.mu),
                });
            }
            if averaging {
                samples.push(self.outputs(&st));
                add_into(&mut curves.s_e, &st.out_e, 1.0);
                add_into(&mut curves.s_i, &st.out_i, 1.0);
                add_into(&mut curves.s_phi_e, &st.s_phi_e, 1.0);
                add_into(&mut curves.s_phi_i, &st.s_phi_i, 1.0);
                add_into(&mut curves.s_phi_w, &st.s_phi_w, 1.0);
                add_into(&mut curves.s_w, &st.s_w, 1.0);
                if samples.len() >= opts.average_iterations {
                    break;
                }
            }
            // Stationarity: output and input variances agree within 3 combined standard
            // errors (the input carries the previous iteration's error) and no band needed
            // the extrapolation, three times in a row.
            let se_in = prev.unwrap_or((0.0, 0.0));
            let ok = |dout: f64, din: f64, se: f64, se_prev: f64| {
                (dout - din).abs() <= 3.0 * (se * se + se_prev * se_prev).sqrt()
            };
            let (next_e, next_i, moved) = accel.next(&self.bands, (&s_e, &s_i), &st);
            let stationary = prev.is_some()
                && moved == 0
                && ok(st.delta_out.0, st.delta_in.0, st.delta_out_se.0, se_in.0)
                && ok(st.delta_out.1, st.delta_in.1, st.delta_out_se.1, se_in.1);
            calm = if stationary { calm + 1 } else { 0 };
            prev = Some(st.delta_out_se);
            (s_e, s_i) = (next_e, next_i);
            if calm >= 3 {
                averaging = true;
            }
            last = Some(st);
        }
        let k = samples.len().max(1) as f64;
        for v in [
            &mut curves.s_e,
            &mut curves.s_i,
            &mut curves.s_phi_e,
            &mut curves.s_phi_i,
            &mut curves.s_phi_w,
            &mut curves.s_w,
        ] {
            v.iter_mut().for_each(|x| *x /= k);
        }
        let values = match (&last, samples.is_empty()) {
            // Never stationary: the last iterate, without a second solve.
            (Some(st), true) => self.outputs(st),
            _ => mean_outputs(&samples),
        };
        Ok(Chain {
            values,
            curves,
            iterations,
            stationary: samples.len() >= opts.average_iterations,
            fixed_point: None,
        })
    }
}

/// Solve the DMF equations for `p` (N may be infinite). `progress` is called after every
/// iteration of every chain.
///
/// ```no_run
/// use theory::{Params, dmf::{solve, DmfOptions}};
/// let p = Params { n: 5000.0, j0: 1.5, ..Params::default() };
/// let sol = solve(&p, &DmfOptions::default(), |_| {}).unwrap();
/// assert!(sol.converged && sol.values.delta0_i > sol.values.delta0_e);
/// ```
pub fn solve(
    p: &Params,
    opts: &DmfOptions,
    mut progress: impl FnMut(&IterationRecord),
) -> Result<DmfSolution, TheoryError> {
    solve_controlled(p, opts, |r| {
        progress(r);
        ControlFlow::Continue(())
    })
}

/// As [`solve`], with a `progress` that may stop the solver after any iteration
/// ([`TheoryError::Interrupted`]; Ctrl-C in Python).
pub fn solve_controlled(
    p: &Params,
    opts: &DmfOptions,
    mut progress: impl FnMut(&IterationRecord) -> ControlFlow<()>,
) -> Result<DmfSolution, TheoryError> {
    let grid = opts.validate()?;
    if p.n.is_finite() {
        p.validate_finite()?;
    } else {
        p.validate()?;
    }
    let solver = Solver {
        p,
        opts,
        grid,
        plans: Plans::new(&grid),
        bands: Bands::new(grid.bins()),
    };
    let mut history = Vec::new();
    let mut chains: Vec<Chain> = Vec::new();
    let mut iterations = 0;
    let mut termination = Termination::MaxChains;
    while chains.len() < opts.max_chains {
        let c = solver.chain(chains.len(), &mut history, &mut progress)?;
        iterations += c.iterations;
        if let Some(mu) = c.fixed_point {
            return fixed_point_solution(p, mu, iterations, history, &grid);
        }
        chains.push(c);
        if chains.len() >= opts.chains {
            let vals: Vec<Outputs> = chains.iter().map(|c| c.values).collect();
            let (v, se) = summarize(&vals);
            if se.delta0_e <= opts.target_rel_stderr * v.delta0_e {
                termination = Termination::StderrTarget;
                break;
            }
        }
    }
    let vals: Vec<Outputs> = chains.iter().map(|c| c.values).collect();
    let (values, stderr) = summarize(&vals);
    let stationary = chains.iter().all(|c| c.stationary);
    if !stationary {
        termination = Termination::MaxIterations;
    }
    let bins = grid.bins();
    let k = chains.len() as f64;
    let mut curves = Curves::zeros(bins);
    for c in &chains {
        add_into(&mut curves.s_e, &c.curves.s_e, 1.0 / k);
        add_into(&mut curves.s_i, &c.curves.s_i, 1.0 / k);
        add_into(&mut curves.s_phi_e, &c.curves.s_phi_e, 1.0 / k);
        add_into(&mut curves.s_phi_i, &c.curves.s_phi_i, 1.0 / k);
        add_into(&mut curves.s_phi_w, &c.curves.s_phi_w, 1.0 / k);
        add_into(&mut curves.s_w, &c.curves.s_w, 1.0 / k);
    }
    let (tau, plans) = (p.tau_syn, &solver.plans);
    curves.omega = (0..bins).map(|k| grid.omega(k)).collect();
    curves.lag_dt = grid.dt;
    curves.delta_e = autocovariance(&grid, plans, &curves.s_e, tau);
    curves.delta_i = autocovariance(&grid, plans, &curves.s_i, tau);
    curves.rate_e = autocovariance(&grid, plans, &curves.s_phi_e, 0.0);
    curves.rate_i = autocovariance(&grid, plans, &curves.s_phi_i, 0.0);
    curves.rate_phi_w = autocovariance(&grid, plans, &curves.s_phi_w, 0.0);
    Ok(DmfSolution {
        values,
        iterations,
        converged: termination == Termination::StderrTarget,
        termination,
        stderr,
        chains: chains.len(),
        history,
        curves,
    })
}

/// The zero-variance solution: the homogeneous fixed point (Eq. 5), or the balanced limit
/// at N = infinity.
fn fixed_point_solution(
    p: &Params,
    guess: (f64, f64),
    iterations: usize,
    history: Vec<IterationRecord>,
    grid: &Grid,
) -> Result<DmfSolution, TheoryError> {
    let values = if p.n.is_finite() {
        let h = homogeneous_near(p, guess)?;
        Outputs {
            mu_e: h.x_e,
            mu_i: h.x_i,
            phi_e: h.phi_e,
            phi_i: h.phi_i,
            w: h.w,
            phi_w: h.phi_e * h.w,
            a_e: h.a_e,
            a_i: h.a_i,
            ..Outputs::default()
        }
    } else {
        let (b, x_e, x_i) = balanced_inputs(p)?;
        Outputs {
            mu_e: x_e,
            mu_i: x_i,
            phi_e: b.phi_e,
            phi_i: b.phi_i,
            w: b.w,
            phi_w: b.phi_e * b.w,
            ..Outputs::default()
        }
    };
    let bins = grid.bins();
    Ok(DmfSolution {
        values,
        iterations,
        converged: true,
        termination: Termination::FixedPoint,
        stderr: Outputs::default(),
        chains: 1,
        history,
        curves: Curves {
            omega: (0..bins).map(|k| grid.omega(k)).collect(),
            lag_dt: grid.dt,
            delta_e: vec![0.0; bins],
            delta_i: vec![0.0; bins],
            rate_e: vec![0.0; bins],
            rate_i: vec![0.0; bins],
            rate_phi_w: vec![0.0; bins],
            ..Curves::zeros(bins)
        },
    })
}
