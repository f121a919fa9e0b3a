//! Running the rate network: initial state, the observers, regime detection, divergence
//! checks and checkpoints ([`Checkpoint`]: a run saved atomically and resumed bit for bit).
//!
//! Observers are switched on individually ([`Observe`]); the hot loop pays only for those
//! asked for. All of them read the field evaluation at the start of each step (see
//! [`crate::integrate`]), after the transient.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use rustfft::{FftPlanner, num_complex::Complex};
use serde::{Deserialize, Serialize};

pub use theory::acf::tau_dec;

use crate::correlations::{CorrAcc, Correlations};
use crate::error::SimError;
use crate::integrate::{Integrator, Method};
use crate::network::{RateNetwork, Work};

/// |x| beyond which a run is declared divergent.
pub const X_BOUND: f64 = 1e6;

/// The documented random initial state: x_i ~ N(0, 1) independently (ChaCha8 seeded with
/// `seed`, stream 2^62, `rand_distr::StandardNormal`), w_i = 1 (no depression yet).
pub fn initial_state(net: &RateNetwork, seed: u64) -> Vec<f64> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(crate::streams::RATE_INIT);
    let mut y: Vec<f64> = (0..net.n())
        .map(|_| StandardNormal.sample(&mut rng))
        .collect();
    y.resize(net.dim(), 1.0);
    y
}

/// The autocorrelation observer: mu_i(t) of `neurons` evenly spaced neurons per population,
/// sampled every `every` steps.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct AcfSpec {
    pub neurons: usize,
    pub every: usize,
    /// Largest lag reported, in time units.
    pub max_lag: f64,
}

/// Which observers run.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Observe {
    /// Population means of phi_E, phi_I, w, mu_E, mu_I over time (and the balance residuals).
    pub means: bool,
    /// Per-neuron time mean and variance of the total input mu_i (gives Delta0).
    pub per_neuron: bool,
    pub acf: Option<AcfSpec>,
    /// Neurons (indices into [E..., I...]) whose x, mu (and w for E) are recorded every
    /// `trace_every` steps.
    pub traces: Vec<usize>,
    pub trace_every: usize,
    /// The correlation coefficients of Eqs. 59-61, sampled every this many steps. Runs the
    /// measured window twice (see [`crate::correlations`]).
    pub correlations: Option<usize>,
}

impl Observe {
    /// The standard observers of balnet's rate runs, the same for the command line, Python and
    /// the oracle: population means, per-neuron input statistics, and the autocovariance of mu
    /// over 200 neurons per population sampled every 0.1 time units, up to a lag of
    /// 50 tau_syn. The lag scales with tau_syn, the time constant of the x-equations (Eq. 12;
    /// 1 in Eq. 1): the autocovariance decays on that scale, so a fixed lag of 50 would cut it
    /// off at tau_syn = 10 (test `standard_acf_lag_scales_with_tau_syn` in `tests/run.rs`).
    pub fn standard(p: &theory::Params, dt: f64) -> Observe {
        let every = ((0.1 / dt).round() as usize).max(1);
        Observe {
            means: true,
            per_neuron: true,
            acf: Some(AcfSpec {
                neurons: 200,
                every,
                max_lag: 50.0 * p.tau_syn,
            }),
            traces: Vec::new(),
            trace_every: every,
            correlations: None,
        }
    }
}

/// How to run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunSpec {
    pub dt: f64,
    /// Measured time after the transient.
    pub t: f64,
    pub transient: f64,
    pub method: Method,
    pub observe: Observe,
}

impl RunSpec {
    pub fn validate(&self) -> Result<(), SimError> {
        if !(self.dt > 0.0 && self.dt <= 1.0) {
            return Err(SimError::Invalid {
                name: "dt",
                value: self.dt,
                range: "0 < dt <= 1",
            });
        }
        if !(self.t > 0.0 && self.t.is_finite()) {
            return Err(SimError::Invalid {
                name: "t",
                value: self.t,
                range: "0 < t < inf",
            });
        }
        if !(self.transient >= 0.0 && self.transient.is_finite()) {
            return Err(SimError::Invalid {
                name: "transient",
                value: self.transient,
                range: "0 <= transient < inf",
            });
        }
        // Step counts are checked here once; transient_steps / measured_steps then cannot
        // overflow (a time of 1e19 used to wrap the step counter: issue 20).
        let a = crate::budget::steps("transient", self.transient, self.dt)?;
        let b = crate::budget::steps("t", self.t, self.dt)?;
        crate::budget::total_steps("transient + t", a, b.max(1))?;
        if self.observe.correlations == Some(0) {
            return Err(SimError::Invalid {
                name: "correlations sampling interval",
                value: 0.0,
                range: ">= 1 step",
            });
        }
        if let Some(a) = self.observe.acf {
            if a.neurons == 0 || a.every == 0 || a.max_lag.is_nan() || a.max_lag <= 0.0 {
                return Err(SimError::Invalid {
                    name: "acf",
                    value: a.neurons as f64,
                    range: "neurons >= 1, every >= 1, max_lag > 0",
                });
            }
        }
        Ok(())
    }
    pub fn transient_steps(&self) -> u64 {
        (self.transient / self.dt).round() as u64
    }
    pub fn measured_steps(&self) -> u64 {
        ((self.t / self.dt).round() as u64).max(1)
    }
}

/// The dynamical regime at the end of a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Regime {
    /// |dy/dt| < 1e-8 everywhere and all neurons of a population equal to 1e-6.
    HomogeneousFixedPoint,
    /// |dy/dt| < 1e-8 everywhere, neurons differ.
    HeterogeneousFixedPoint,
    /// Not at rest (periodic, quasi-periodic or chaotic: see `lyapunov` to tell which).
    TimeDependent,
}

/// Accumulators of a run.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Accumulators {
    pub samples: u64,
    /// Sums over samples of the population means: phi_E, phi_I, w, phi_E w, mu_E, mu_I.
    pub sums: [f64; 6],
    /// Per-neuron sums of (mu_i - shift_i) and its square; shift = first sample.
    pub shift: Vec<f64>,
    pub s1: Vec<f64>,
    pub s2: Vec<f64>,
    /// ACF samples, neuron-major: acf_data[k] is the series of the k-th observed neuron.
    pub acf_neurons: Vec<usize>,
    pub acf_data: Vec<Vec<f64>>,
    /// Traces: time, then per traced neuron (x, mu, w); w is 0 for I neurons, which have no
    /// depression variable (kept finite so checkpoints stay valid JSON).
    pub trace_t: Vec<f64>,
    pub trace_data: Vec<Vec<[f64; 3]>>,
    /// The correlation observer (two passes over the measured window).
    pub corr: Option<CorrAcc>,
}

/// A run in progress: state, position and accumulators.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Run {
    pub spec: RunSpec,
    pub step: u64,
    pub y: Vec<f64>,
    pub acc: Accumulators,
}

/// What advances a run's state by one step: an [`Integrator`], or a step computed elsewhere
/// ([`Precomputed`], e.g. by [`crate::ensemble`]).
pub trait Stepper {
    /// Advance y by dt; `observe(work, y, dydt)` sees the field at the start of the step.
    fn step(
        &mut self,
        net: &RateNetwork,
        y: &mut Vec<f64>,
        dt: f64,
        observe: impl FnMut(&Work, &[f64], &[f64]),
    );
}

impl Stepper for Integrator {
    fn step(
        &mut self,
        net: &RateNetwork,
        y: &mut Vec<f64>,
        dt: f64,
        observe: impl FnMut(&Work, &[f64], &[f64]),
    ) {
        Integrator::step(self, net, y, dt, observe)
    }
}

/// A step already computed for this state: the rates and inputs at y (`work`), F(y) and the
/// next state.
pub struct Precomputed<'a> {
    pub work: &'a Work,
    pub dy: &'a [f64],
    pub next: &'a [f64],
}

impl Stepper for Precomputed<'_> {
    fn step(
        &mut self,
        _net: &RateNetwork,
        y: &mut Vec<f64>,
        _dt: f64,
        mut observe: impl FnMut(&Work, &[f64], &[f64]),
    ) {
        observe(self.work, y, self.dy);
        y.copy_from_slice(self.next);
    }
}

/// The `format` tag of checkpoint files.
pub const CHECKPOINT_FORMAT: &str = "balnet-checkpoint/1";

impl crate::checkpoint::Resumable for Run {
    type Network = RateNetwork;
    type Spec = RunSpec;
    const FORMAT: &'static str = CHECKPOINT_FORMAT;

    fn identity(net: &RateNetwork) -> crate::checkpoint::Identity {
        crate::checkpoint::Identity::Rate {
            params: net.params,
            sizes: net.conn.sizes,
            fingerprint: net.fingerprint(),
        }
    }
    fn mismatch(a: &RunSpec, b: &RunSpec) -> Option<&'static str> {
        [
            ("dt", a.dt != b.dt),
            ("t", a.t != b.t),
            ("transient", a.transient != b.transient),
            ("method", a.method != b.method),
            ("observers (e.g. --trace, --out)", a.observe != b.observe),
        ]
        .into_iter()
        .find_map(|(what, differs)| differs.then_some(what))
    }
    fn spec(&self) -> &RunSpec {
        &self.spec
    }
    fn step(&self) -> u64 {
        self.step
    }
    fn total_steps(&self) -> u64 {
        Run::total_steps(self)
    }
    fn dt(&self) -> f64 {
        self.spec.dt
    }
    fn inconsistency(&self, fresh: &Run) -> Option<String> {
        let total = self.total_steps();
        if self.step > total {
            return Some(format!("step {} beyond the run's {total} steps", self.step));
        }
        let (a, f) = (&self.acc, &fresh.acc);
        if a.acf_neurons != f.acf_neurons {
            return Some("the neurons of the autocovariance differ from the run's".into());
        }
        // Measured steps done, and the samples they imply.
        let spec = &self.spec;
        let m = self
            .step
            .saturating_sub(spec.transient_steps())
            .min(spec.measured_steps()) as usize;
        let acf_len = spec.observe.acf.map_or(0, |o| m.div_ceil(o.every));
        let trace_len = if spec.observe.traces.is_empty() {
            0
        } else {
            m.div_ceil(spec.observe.trace_every)
        };
        let mut items = vec![
            ("the state", self.y.len(), fresh.y.len()),
            ("the samples", a.samples as usize, m),
            ("shift", a.shift.len(), f.shift.len()),
            ("s1", a.s1.len(), f.s1.len()),
            ("s2", a.s2.len(), f.s2.len()),
            (
                "the autocovariance series",
                a.acf_data.len(),
                f.acf_data.len(),
            ),
            ("the traces", a.trace_data.len(), f.trace_data.len()),
            ("the trace times", a.trace_t.len(), trace_len),
            (
                "the correlation observer",
                usize::from(a.corr.is_some()),
                usize::from(f.corr.is_some()),
            ),
        ];
        items.extend(
            a.acf_data
                .iter()
                .map(|d| ("an autocovariance series", d.len(), acf_len)),
        );
        items.extend(a.trace_data.iter().map(|d| ("a trace", d.len(), trace_len)));
        if let (Some(c), Some(g)) = (&a.corr, &f.corr) {
            items.extend(c.shape_against(g, self.step > spec.transient_steps()));
        }
        crate::checkpoint::length_mismatch(&items)
    }
    fn seconds_per_step(&self, net: &RateNetwork) -> f64 {
        let stages = match self.spec.method {
            Method::Euler => 1.0,
            Method::Heun => 2.0,
            Method::Rk4 => 4.0,
        };
        crate::budget::rate_run_seconds(
            net.conn.sizes.synapses() as f64 * stages,
            1.0,
            rayon::current_num_threads(),
        )
    }
    fn advance_to(&mut self, net: &RateNetwork, until: u64) -> Result<(), SimError> {
        let mut integ = Integrator::new(net, self.spec.method);
        self.advance(net, &mut integ, until, |_| {})
    }
}

/// What a finished run reports (JSON keys of `balnet simulate rate`).
#[derive(Clone, Debug, Serialize)]
pub struct Summary {
    pub phi_e: f64,
    pub phi_i: f64,
    pub w: f64,
    pub mu_e: f64,
    pub mu_i: f64,
    pub delta0_e: f64,
    pub delta0_i: f64,
    pub tau_dec_e: Option<f64>,
    pub tau_dec_i: Option<f64>,
    pub a_e: f64,
    pub a_i: f64,
    pub regime: Regime,
    pub steps: u64,
    /// max |dy/dt| at the final state.
    #[serde(skip)]
    pub residual: f64,
    /// Population-averaged autocovariance of mu (lag k * lag_dt), E and I.
    #[serde(skip)]
    pub acf_e: Vec<f64>,
    #[serde(skip)]
    pub acf_i: Vec<f64>,
    #[serde(skip)]
    pub lag_dt: f64,
    /// Eqs. 59-61 when the correlation observer ran.
    #[serde(skip)]
    pub correlations: Option<Correlations>,
}

impl Run {
    pub fn new(net: &RateNetwork, spec: RunSpec, y0: Vec<f64>) -> Result<Self, SimError> {
        spec.validate()?;
        if y0.len() != net.dim() {
            return Err(SimError::Format(format!(
                "initial state has {} entries, the network needs {}",
                y0.len(),
                net.dim()
            )));
        }
        let n = net.n();
        let mut acc = Accumulators::default();
        if spec.observe.per_neuron {
            acc.shift = vec![0.0; n];
            acc.s1 = vec![0.0; n];
            acc.s2 = vec![0.0; n];
        }
        if let Some(a) = spec.observe.acf {
            let pick = |start: usize, len: usize| {
                (0..a.neurons.min(len)).map(move |k| start + k * len / a.neurons.min(len))
            };
            acc.acf_neurons = pick(0, net.n_e())
                .chain(pick(net.n_e(), net.n_i()))
                .collect();
            acc.acf_data = vec![Vec::new(); acc.acf_neurons.len()];
        }
        for &i in &spec.observe.traces {
            if i >= n {
                return Err(SimError::Invalid {
                    name: "trace",
                    value: i as f64,
                    range: "neuron index < N",
                });
            }
        }
        acc.trace_data = vec![Vec::new(); spec.observe.traces.len()];
        if spec.observe.correlations.is_some() {
            acc.corr = Some(CorrAcc::new(n, net.n_e()));
        }
        Ok(Run {
            spec,
            step: 0,
            y: y0,
            acc,
        })
    }

    /// Transient plus measured steps; the measured window counts twice when the correlation
    /// observer replays it.
    pub fn total_steps(&self) -> u64 {
        let passes = 1 + u64::from(self.spec.observe.correlations.is_some());
        self.spec.transient_steps() + passes * self.spec.measured_steps()
    }

    /// Advance until `until` steps (at most the total), calling `progress(step)` every 1 %.
    pub fn advance(
        &mut self,
        net: &RateNetwork,
        integ: &mut impl Stepper,
        until: u64,
        mut progress: impl FnMut(u64),
    ) -> Result<(), SimError> {
        let until = until.min(self.total_steps());
        let transient = self.spec.transient_steps();
        let tick = (self.total_steps() / 100).max(1);
        let dt = self.spec.dt;
        let n_e = net.n_e();
        let n = net.n();
        let measured = self.spec.measured_steps();
        while self.step < until {
            let step = self.step;
            if let Some(c) = self.acc.corr.as_mut() {
                if step == transient {
                    c.y_mark = self.y.clone();
                } else if step == transient + measured {
                    // Replay the measured window for the second pass.
                    self.y.copy_from_slice(&c.y_mark);
                }
            }
            let (spec, acc) = (&self.spec, &mut self.acc);
            integ.step(net, &mut self.y, dt, |work, y, _dy| {
                if step < transient {
                    return;
                }
                let k = step - transient;
                if k < measured {
                    observe(net, spec, acc, work, y, k, n_e, n);
                }
                if let (Some(c), Some(every)) = (acc.corr.as_mut(), spec.observe.correlations) {
                    let (pass2, k) = (k >= measured, k % measured);
                    if k % every as u64 == 0 {
                        if pass2 {
                            c.record_coherence(net, work);
                        } else {
                            c.record_moments(net, work);
                        }
                    }
                }
            });
            self.step += 1;
            if self.step % 16 == 0 || self.step == until {
                if let Some((i, v)) = self
                    .y
                    .iter()
                    .enumerate()
                    .find(|(_, v)| v.is_nan() || v.abs() > X_BOUND)
                {
                    return Err(SimError::Diverged {
                        t: self.step as f64 * dt,
                        step: self.step,
                        what: format!("state entry {i} = {v:e} (bound {X_BOUND:e})"),
                    });
                }
            }
            if self.step % tick == 0 {
                progress(self.step);
            }
        }
        Ok(())
    }

    /// The summary of a finished run.
    pub fn summary(&self, net: &RateNetwork) -> Summary {
        let a = &self.acc;
        let k = a.samples.max(1) as f64;
        let [pe, pi, w, pw, me, mi] = a.sums.map(|s| s / k);
        let (n_e, n) = (net.n_e(), net.n());
        let var = |r: std::ops::Range<usize>| {
            if a.s1.is_empty() {
                return f64::NAN;
            }
            let len = r.len() as f64;
            r.map(|i| (a.s2[i] / k - (a.s1[i] / k).powi(2)).max(0.0))
                .sum::<f64>()
                / len
        };
        let s = net.conn.sizes;
        let nn = s.n() as f64;
        let (sce, sci) = ((s.k_e as f64 / nn).sqrt(), (s.k_i as f64 / nn).sqrt());
        let p = &net.params;
        // Final residual and spread for the regime.
        let mut work = Work::new(net);
        let mut dy = vec![0.0; net.dim()];
        net.field(&self.y, &mut dy, &mut work);
        let residual = dy.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        let spread = |r: std::ops::Range<usize>| {
            let (lo, hi) = self.y[r]
                .iter()
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), &v| {
                    (l.min(v), h.max(v))
                });
            hi - lo
        };
        let regime = if residual < 1e-8 {
            if spread(0..n_e) < 1e-6 && spread(n_e..n) < 1e-6 {
                Regime::HomogeneousFixedPoint
            } else {
                Regime::HeterogeneousFixedPoint
            }
        } else {
            Regime::TimeDependent
        };
        let (acf_e, acf_i, lag_dt) = self.acf(net);
        Summary {
            phi_e: pe,
            phi_i: pi,
            w,
            mu_e: me,
            mu_i: mi,
            delta0_e: var(0..n_e),
            delta0_i: var(n_e..n),
            tau_dec_e: tau_dec(&acf_e, lag_dt),
            tau_dec_i: tau_dec(&acf_i, lag_dt),
            a_e: sce * pw - p.g_e * sci * pi,
            a_i: sce * pe - p.g_i * sci * pi,
            regime,
            steps: self.step,
            residual,
            acf_e,
            acf_i,
            lag_dt,
            correlations: a.corr.as_ref().map(CorrAcc::result),
        }
    }

    /// Population-averaged autocovariance of mu for E and I (see [`population_autocovariance`]).
    fn acf(&self, net: &RateNetwork) -> (Vec<f64>, Vec<f64>, f64) {
        let Some(spec) = self.spec.observe.acf else {
            return (Vec::new(), Vec::new(), 0.0);
        };
        let lag_dt = spec.every as f64 * self.spec.dt;
        let a = &self.acc;
        let is_e: Vec<bool> = a.acf_neurons.iter().map(|&i| i < net.n_e()).collect();
        let max_lag = (spec.max_lag / lag_dt) as usize;
        let (e, i) = population_autocovariance(&a.acf_data, &is_e, max_lag);
        (e, i, lag_dt)
    }
}

/// Population-averaged autocovariance of sampled series, separately for the series with
/// `is_e` true and false: each series has its own mean subtracted, lag k is averaged over the
/// S - k available pairs (unbiased in k), computed by FFT with zero padding (no wrap-around).
/// Lags 0..=min(max_lag, S/2). Empty when the series have fewer than 4 samples.
pub fn population_autocovariance(
    data: &[Vec<f64>],
    is_e: &[bool],
    max_lag: usize,
) -> (Vec<f64>, Vec<f64>) {
    let len = data.first().map_or(0, Vec::len);
    if len < 4 {
        return (Vec::new(), Vec::new());
    }
    let max_lag = max_lag.min(len / 2);
    let m = (2 * len).next_power_of_two();
    let mut planner = FftPlanner::<f64>::new();
    let (fwd, inv) = (planner.plan_fft_forward(m), planner.plan_fft_inverse(m));
    let mut sum_e = vec![0.0; max_lag + 1];
    let mut sum_i = vec![0.0; max_lag + 1];
    let (mut ne, mut ni) = (0usize, 0usize);
    let mut buf = vec![Complex::new(0.0, 0.0); m];
    for (series, &e) in data.iter().zip(is_e) {
        let mean = series.iter().sum::<f64>() / len as f64;
        buf.iter_mut().for_each(|z| *z = Complex::new(0.0, 0.0));
        for (z, v) in buf.iter_mut().zip(series) {
            z.re = v - mean;
        }
        fwd.process(&mut buf);
        buf.iter_mut()
            .for_each(|z| *z = Complex::new(z.norm_sqr(), 0.0));
        inv.process(&mut buf);
        let target = if e {
            ne += 1;
            &mut sum_e
        } else {
            ni += 1;
            &mut sum_i
        };
        for (lag, t) in target.iter_mut().enumerate() {
            *t += buf[lag].re / (m as f64 * (len - lag) as f64);
        }
    }
    sum_e.iter_mut().for_each(|v| *v /= ne.max(1) as f64);
    sum_i.iter_mut().for_each(|v| *v /= ni.max(1) as f64);
    (sum_e, sum_i)
}

#[allow(clippy::too_many_arguments)]
fn observe(
    net: &RateNetwork,
    spec: &RunSpec,
    acc: &mut Accumulators,
    work: &Work,
    y: &[f64],
    k: u64,
    n_e: usize,
    n: usize,
) {
    let i0 = net.params.i0;
    let o = &spec.observe;
    let rec = &work.rec;
    if o.means {
        let pre = &work.pre;
        let (mut pe, mut pw) = (0.0, 0.0);
        for j in 0..n_e {
            pe += pre.ie.as_slice()[j][0];
            pw += pre.ee.as_slice()[j][0];
        }
        let pi: f64 = pre.inh.as_slice()[..n - n_e].iter().map(|v| v[0]).sum();
        let w: f64 = y[n..].iter().sum();
        let me: f64 = rec[..n_e].iter().map(|v| v[0]).sum::<f64>() / n_e as f64 + i0;
        let mi: f64 = rec[n_e..n].iter().map(|v| v[0]).sum::<f64>() / (n - n_e) as f64 + i0;
        let (fe, fi) = (n_e as f64, (n - n_e) as f64);
        for (s, v) in acc
            .sums
            .iter_mut()
            .zip([pe / fe, pi / fi, w / fe, pw / fe, me, mi])
        {
            *s += v;
        }
    }
    acc.samples += 1;
    if o.per_neuron {
        for (i, r) in rec[..n].iter().enumerate() {
            let mu = r[0] + i0;
            if k == 0 {
                acc.shift[i] = mu;
            }
            let d = mu - acc.shift[i];
            acc.s1[i] += d;
            acc.s2[i] += d * d;
        }
    }
    if let Some(a) = o.acf {
        if k % a.every as u64 == 0 {
            for (series, &i) in acc.acf_data.iter_mut().zip(&acc.acf_neurons) {
                series.push(rec[i][0] + i0);
            }
        }
    }
    if !o.traces.is_empty() && k % o.trace_every.max(1) as u64 == 0 {
        acc.trace_t.push(k as f64 * spec.dt);
        for (tr, &i) in acc.trace_data.iter_mut().zip(&o.traces) {
            let w = if i < n_e { y[n + i] } else { 0.0 };
            tr.push([y[i], rec[i][0] + i0, w]);
        }
    }
}
