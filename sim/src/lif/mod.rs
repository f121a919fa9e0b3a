//! The LIF spiking network with exponential synapses and short-term depression (Eqs. 62-64).
//!
//! Time is in units of tau_m (tau_m = 1). Neuron i of population alpha has a membrane
//! potential v_i and a synaptic input s_i = tau_m J0 E_i (Eq. 62 with Eq. 63):
//!
//! * dv_i/dt = -v_i + I0 + s_i; when v_i reaches 1 the neuron spikes and v_i is reset to 0
//!   (and held there for tau_ref, 0 by default as in the paper);
//! * ds_i/dt = -s_i / tau_syn, and a spike of presynaptic neuron j makes s_i jump by
//!   J_ij / tau_syn (times w_j for E->E), with |J_ij| the block weights of Eq. 3 (which
//!   contain J0) and inhibition negative (see [`LifNetwork`] and docs/ERRATA.md on
//!   Eqs. 3, 62 and 63);
//! * depression (Eq. 64): w_j of an excitatory neuron recovers as dw/dt = (1 - w)/tau_D, and at
//!   each of its spikes the kick to its excitatory targets uses w_j at the spike time, after
//!   which w_j <- w_j (1 - u).
//!
//! Averaged over spikes, s_i = J0 sum_j J_ij r_j (r in spikes per tau_m), so the mean input
//! mu_i = I0 + s_i obeys Eq. 12 with phi the LIF rate of Eq. 13: the spiking network and the
//! rate model of [`crate::network`] with `Transfer::Lif` share one fixed point.
//!
//! ## Integrators
//! * [`LifIntegrator::Euler`]: the paper's scheme (dt = 1e-3), ordered as the yardstick
//!   programs in `../shared/anchors`: v += dt (-v + I0 + s) and s *= 1 - dt/tau_syn for every
//!   neuron, then threshold and reset, then delivery of this step's spikes (spike time = end of
//!   the step). Spike times are quantised to dt and the membrane error is O(dt).
//! * [`LifIntegrator::Exact`]: the linear dynamics between steps are solved exactly
//!   ([`membrane::Propagator::exact`]); a neuron that ends a step above threshold spikes at
//!   the crossing time found by Newton's method on the exact solution
//!   ([`membrane::crossing_time`]), is reset there and integrated to the end of the step (so
//!   it can spike more than once per step). A spike at time t_f inside the step reaches its
//!   targets exactly as a jump of s at t_f would: s gains J e^{-(t1 - t_f)/tau_syn} and v gains
//!   J beta(t1 - t_f) at the end of the step t1. The only remaining error is that a kick
//!   cannot make its target fire before the end of the step in which it arrives (a delay of
//!   at most dt for those spikes), and a target that itself fired later in the same step keeps
//!   the part of the kick that arrived before its reset.
//!
//! Depression variables are updated lazily, only at their neuron's spikes (and when sampled):
//! between spikes 1 - w decays by (1 - dt/tau_D) per step (Euler) or by e^{-t/tau_D} (exact).
//!
//! ## Determinism
//! One thread runs the network (a step at N = 5000 costs a few microseconds, less than a
//! thread hand-off); spikes are handled in neuron order, so a seed gives the same spikes on
//! every machine. Independent runs (seeds, parameters) are what parallelises.

pub mod membrane;
pub mod network;

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

pub use theory::acf::tau_dec;

use crate::connectivity::Sizes;
use crate::error::SimError;
use crate::run::population_autocovariance;
use membrane::{Propagator, beta, crossing_time, v_at};
pub use network::LifNetwork;

/// |v| or |s| beyond which a run is declared divergent.
pub const BOUND: f64 = 1e6;
/// Threshold and reset (Eq. 62).
pub const THETA: f64 = 1.0;
pub const V_RESET: f64 = 0.0;

/// Integration scheme (see the module docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LifIntegrator {
    Euler,
    Exact,
}

/// Which observables are recorded (population rates, CVs, mean inputs and input variances
/// always are).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LifObserve {
    /// Sampling interval of mu_i(t), w and the population-rate bins, in steps.
    pub sample_every: usize,
    /// Autocovariance of mu over this many neurons per population, up to `acf_max_lag`.
    pub acf_neurons: usize,
    pub acf_max_lag: f64,
    /// Record every spike (neuron, time) of the measured window.
    pub raster: bool,
    /// Neurons (global indices, E first) whose v, mu, w are recorded at each sample.
    pub traces: Vec<usize>,
}

impl Default for LifObserve {
    fn default() -> Self {
        LifObserve {
            sample_every: 100,
            acf_neurons: 0,
            acf_max_lag: 100.0,
            raster: false,
            traces: Vec::new(),
        }
    }
}

impl LifObserve {
    /// The standard observers of balnet's LIF runs (command line, Python, the oracle): mu, w
    /// and the population rates sampled every 0.1 tau_m, the autocovariance of mu over 200
    /// neurons per population up to a lag of 150 tau_m (15 tau_syn at the paper's
    /// tau_syn = 10, where it has decayed: Fig. 11), no raster, no traces.
    pub fn standard(dt: f64) -> LifObserve {
        LifObserve {
            sample_every: ((0.1 / dt).round() as usize).max(1),
            acf_neurons: 200,
            acf_max_lag: 150.0,
            raster: false,
            traces: Vec::new(),
        }
    }
}

/// How to run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LifSpec {
    pub dt: f64,
    /// Measured time after the transient (units of tau_m).
    pub t: f64,
    pub transient: f64,
    pub integrator: LifIntegrator,
    /// Absolute refractory period (0 in the paper).
    pub tau_ref: f64,
    pub observe: LifObserve,
}

impl LifSpec {
    /// The paper's settings: Euler, dt = 1e-3, no refractory period.
    pub fn paper(t: f64, transient: f64) -> Self {
        LifSpec {
            dt: 1e-3,
            t,
            transient,
            integrator: LifIntegrator::Euler,
            tau_ref: 0.0,
            observe: LifObserve::default(),
        }
    }

    pub fn validate(&self) -> Result<(), SimError> {
        let bad = |name, value, range| Err(SimError::Invalid { name, value, range });
        if !(self.dt > 0.0 && self.dt <= 0.1) {
            return bad("dt", self.dt, "0 < dt <= 0.1 (units of tau_m)");
        }
        if !(self.t > 0.0 && self.t.is_finite()) {
            return bad("t", self.t, "0 < t < inf");
        }
        if !(self.transient >= 0.0 && self.transient.is_finite()) {
            return bad("transient", self.transient, "0 <= transient < inf");
        }
        if !(self.tau_ref >= 0.0 && self.tau_ref.is_finite()) {
            return bad("tau_ref", self.tau_ref, "0 <= tau_ref < inf");
        }
        let o = &self.observe;
        if o.sample_every == 0 {
            return bad("sample interval", 0.0, ">= 1 step");
        }
        if o.acf_max_lag.is_nan() || o.acf_max_lag <= 0.0 {
            return bad("acf max lag", o.acf_max_lag, "> 0");
        }
        let a = crate::budget::steps("transient", self.transient, self.dt)?;
        let b = crate::budget::steps("t", self.t, self.dt)?;
        crate::budget::total_steps("transient + t", a, b.max(1))?;
        Ok(())
    }
    pub fn transient_steps(&self) -> u64 {
        (self.transient / self.dt).round() as u64
    }
    pub fn measured_steps(&self) -> u64 {
        ((self.t / self.dt).round() as u64).max(1)
    }
}

/// The dynamical state. `w[j]` is the depression variable of excitatory neuron j at time
/// `w_t[j]` (updated lazily, see the module docs).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LifState {
    pub v: Vec<f64>,
    pub s: Vec<f64>,
    pub w: Vec<f64>,
    pub w_t: Vec<f64>,
    /// End of the refractory period of each neuron (-inf when not refractory); empty when
    /// tau_ref = 0.
    pub ref_until: Vec<f64>,
    /// Neurons refractory at the start of the current step.
    pub refractory: Vec<u32>,
}

/// The documented random initial state: v_i ~ U[0, 1) independently (ChaCha8 seeded with
/// `seed`, stream 2^62 + 1), s_i = 0, w_j = 1.
pub fn initial_state(net: &LifNetwork, seed: u64) -> LifState {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(crate::streams::LIF_INIT);
    let n = net.n();
    LifState {
        v: (0..n).map(|_| rng.random::<f64>()).collect(),
        s: vec![0.0; n],
        w: vec![1.0; net.n_e()],
        w_t: vec![0.0; net.n_e()],
        ref_until: Vec::new(),
        refractory: Vec::new(),
    }
}

/// Accumulators of the measured window.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct LifAcc {
    /// Per neuron: spike count, time of the last spike, sums of ISIs and squared ISIs.
    pub count: Vec<u32>,
    pub last: Vec<f64>,
    pub isi1: Vec<f64>,
    pub isi2: Vec<f64>,
    /// Number of samples of mu and sums of the population means mu_E, mu_I, w.
    pub samples: u64,
    pub sums: [f64; 3],
    /// Per-neuron sums of (mu_i - shift_i) and its square; shift = first sample.
    pub shift: Vec<f64>,
    pub s1: Vec<f64>,
    pub s2: Vec<f64>,
    /// Spike counts (E, I) per sampling interval.
    pub bins: Vec<[u32; 2]>,
    pub acf_neurons: Vec<usize>,
    pub acf_data: Vec<Vec<f64>>,
    pub trace_t: Vec<f64>,
    /// Per traced neuron: (v, mu, w) at each sample (w = 0 for I neurons).
    pub trace_data: Vec<Vec<[f64; 3]>>,
    /// (neuron, time) of every spike of the measured window when the raster is on.
    pub raster: Vec<(u32, f64)>,
    /// Spikes of the current sampling interval (E, I).
    bin_now: [u32; 2],
}

/// A run in progress.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct LifRun {
    pub spec: LifSpec,
    pub step: u64,
    pub state: LifState,
    pub acc: LifAcc,
}

/// Per-run constants derived from the spec and the parameters.
struct Stepper {
    prop: Propagator,
    exact: bool,
    dt: f64,
    i0: f64,
    tau_s: f64,
    u: f64,
    tau_ref: f64,
    /// 1 - w decays as e^{-w_rate t}: w_rate = 1/tau_D (exact) or -ln(1 - dt/tau_D)/dt, so
    /// that k Euler steps give (1 - dt/tau_D)^k (up to rounding).
    w_rate: f64,
}

impl Stepper {
    fn new(net: &LifNetwork, spec: &LifSpec) -> Self {
        let p = net.params();
        let exact = spec.integrator == LifIntegrator::Exact;
        Stepper {
            prop: if exact {
                Propagator::exact(spec.dt, p.i0, p.tau_syn)
            } else {
                Propagator::euler(spec.dt, p.i0, p.tau_syn)
            },
            exact,
            dt: spec.dt,
            i0: p.i0,
            tau_s: p.tau_syn,
            u: p.u,
            tau_ref: spec.tau_ref,
            w_rate: if exact {
                1.0 / p.tau_d
            } else {
                -(-spec.dt / p.tau_d).ln_1p() / spec.dt
            },
        }
    }

    /// w of an excitatory neuron at time t from its value `w0` at time `t0`.
    #[inline]
    fn w_at(&self, w0: f64, t0: f64, t: f64) -> f64 {
        1.0 - (1.0 - w0) * (-(t - t0) * self.w_rate).exp()
    }
}

/// Scratch space of one step (not part of the state).
#[derive(Default)]
pub struct Scratch {
    flagged: Vec<u32>,
    /// (neuron, spike time) of this step, in neuron order per pass.
    spikes: Vec<(u32, f64)>,
}

const CHUNK: usize = 64;

impl LifRun {
    pub fn new(net: &LifNetwork, spec: LifSpec, mut state: LifState) -> Result<Self, SimError> {
        spec.validate()?;
        let n = net.n();
        if state.v.len() != n
            || state.s.len() != n
            || state.w.len() != net.n_e()
            || state.w_t.len() != net.n_e()
        {
            return Err(SimError::Format(format!(
                "initial LIF state has {} / {} / {} / {} entries (v, s, w, w_t), the network needs {n} / {n} / {} / {}",
                state.v.len(),
                state.s.len(),
                state.w.len(),
                state.w_t.len(),
                net.n_e(),
                net.n_e()
            )));
        }
        if spec.tau_ref > 0.0 && state.ref_until.len() != n {
            state.ref_until = vec![f64::NEG_INFINITY; n];
        }
        let o = &spec.observe;
        for &i in &o.traces {
            if i >= n {
                return Err(SimError::Invalid {
                    name: "trace",
                    value: i as f64,
                    range: "neuron index < N",
                });
            }
        }
        let mut acc = LifAcc {
            count: vec![0; n],
            last: vec![0.0; n],
            isi1: vec![0.0; n],
            isi2: vec![0.0; n],
            shift: vec![0.0; n],
            s1: vec![0.0; n],
            s2: vec![0.0; n],
            trace_data: vec![Vec::new(); o.traces.len()],
            ..LifAcc::default()
        };
        if o.acf_neurons > 0 {
            let pick = |start: usize, len: usize| {
                let m = o.acf_neurons.min(len);
                (0..m).map(move |k| start + k * len / m)
            };
            acc.acf_neurons = pick(0, net.n_e())
                .chain(pick(net.n_e(), n - net.n_e()))
                .collect();
            acc.acf_data = vec![Vec::new(); acc.acf_neurons.len()];
        }
        Ok(LifRun {
            spec,
            step: 0,
            state,
            acc,
        })
    }

    pub fn total_steps(&self) -> u64 {
        self.spec.transient_steps() + self.spec.measured_steps()
    }

    /// Advance until `until` steps (at most the total), calling `progress(step)` every 1 %.
    pub fn advance(
        &mut self,
        net: &LifNetwork,
        until: u64,
        mut progress: impl FnMut(u64),
    ) -> Result<(), SimError> {
        let until = until.min(self.total_steps());
        let st = Stepper::new(net, &self.spec);
        let mut scratch = Scratch::default();
        let tick = (self.total_steps() / 100).max(1);
        let transient = self.spec.transient_steps();
        let raster_bytes = |r: &Vec<(u32, f64)>| (r.capacity() * size_of::<(u32, f64)>()) as f64;
        let raster_budget = if self.spec.observe.raster {
            crate::budget::available_memory() + raster_bytes(&self.acc.raster)
        } else {
            f64::INFINITY
        };
        while self.step < until {
            step(net, &st, &mut self.state, self.step, &mut scratch);
            if self.step >= transient {
                self.observe(net, &st, &scratch.spikes, self.step - transient);
            }
            self.step += 1;
            if self.step % 1024 == 0 || self.step == until {
                self.check_bounds(st.dt)?;
                if self.spec.observe.raster {
                    let t = self.step as f64 * st.dt;
                    crate::budget::ensure_growth(
                        &format!(
                            "the spike raster (kept for --raster or --cv-window) at t = {t:.0} of {:.0}",
                            self.total_steps() as f64 * st.dt
                        ),
                        raster_bytes(&self.acc.raster),
                        raster_budget,
                    )?;
                }
            }
            if self.step % tick == 0 {
                progress(self.step);
            }
        }
        Ok(())
    }

    fn check_bounds(&self, dt: f64) -> Result<(), SimError> {
        let s = &self.state;
        let bad = |x: &f64| x.is_nan() || x.abs() > BOUND;
        if let Some((i, x)) =
            s.v.iter()
                .enumerate()
                .find(|(_, x)| bad(x))
                .or_else(|| s.s.iter().enumerate().find(|(_, x)| bad(x)))
        {
            return Err(SimError::Diverged {
                t: self.step as f64 * dt,
                step: self.step,
                what: format!("neuron {i}: v or s = {x:e} (bound {BOUND:e})"),
            });
        }
        Ok(())
    }

    /// Record the spikes of step `k` of the measured window and, at the end of each sampling
    /// interval, the inputs.
    fn observe(&mut self, net: &LifNetwork, st: &Stepper, spikes: &[(u32, f64)], k: u64) {
        let n_e = net.n_e();
        let a = &mut self.acc;
        for &(i, t) in spikes {
            let i = i as usize;
            if a.count[i] > 0 {
                let isi = t - a.last[i];
                a.isi1[i] += isi;
                a.isi2[i] += isi * isi;
            }
            a.last[i] = t;
            a.count[i] += 1;
            a.bin_now[usize::from(i >= n_e)] += 1;
            if self.spec.observe.raster {
                a.raster.push((i as u32, t));
            }
        }
        let o = &self.spec.observe;
        if (k + 1) % o.sample_every as u64 != 0 {
            return;
        }
        a.bins.push(a.bin_now);
        a.bin_now = [0, 0];
        let s = &self.state;
        let t1 = (self.step + 1) as f64 * st.dt;
        let i0 = st.i0;
        let first = a.samples == 0;
        let mut sum = [0.0; 2];
        for (i, &si) in s.s.iter().enumerate() {
            let mu = i0 + si;
            sum[usize::from(i >= n_e)] += mu;
            if first {
                a.shift[i] = mu;
            }
            let d = mu - a.shift[i];
            a.s1[i] += d;
            a.s2[i] += d * d;
        }
        let w_sum: f64 =
            s.w.iter()
                .zip(&s.w_t)
                .map(|(&w, &t0)| st.w_at(w, t0, t1))
                .sum();
        let n = s.v.len();
        a.sums[0] += sum[0] / n_e as f64;
        a.sums[1] += sum[1] / (n - n_e) as f64;
        a.sums[2] += w_sum / n_e as f64;
        a.samples += 1;
        for (series, &i) in a.acf_data.iter_mut().zip(&a.acf_neurons) {
            series.push(i0 + s.s[i]);
        }
        if !o.traces.is_empty() {
            a.trace_t.push(t1);
            for (tr, &i) in a.trace_data.iter_mut().zip(&o.traces) {
                let w = if i < n_e {
                    st.w_at(s.w[i], s.w_t[i], t1)
                } else {
                    0.0
                };
                tr.push([s.v[i], i0 + s.s[i], w]);
            }
        }
    }

    /// The summary of a finished run.
    pub fn summary(&self, net: &LifNetwork) -> LifSummary {
        let a = &self.acc;
        let n_e = net.n_e();
        let n = net.n();
        let t_meas = self.spec.measured_steps() as f64 * self.spec.dt;
        let rates: Vec<f64> = a.count.iter().map(|&c| c as f64 / t_meas).collect();
        let cvs: Vec<Option<f64>> = (0..n)
            .map(|i| {
                (a.count[i] >= 3).then(|| {
                    let m = (a.count[i] - 1) as f64;
                    let mean = a.isi1[i] / m;
                    let var = (a.isi2[i] / m - mean * mean).max(0.0);
                    var.sqrt() / mean
                })
            })
            .collect();
        let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len().max(1) as f64;
        let var = |v: &[f64]| {
            let m = mean(v);
            v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / v.len().max(1) as f64
        };
        let cv_of = |r: std::ops::Range<usize>| {
            let c: Vec<f64> = cvs[r].iter().flatten().copied().collect();
            (if c.is_empty() { f64::NAN } else { mean(&c) }, c.len())
        };
        let (cv_e, n_cv_e) = cv_of(0..n_e);
        let (cv_i, n_cv_i) = cv_of(n_e..n);
        let k = a.samples.max(1) as f64;
        let delta0 = |r: std::ops::Range<usize>| {
            let len = r.len() as f64;
            r.map(|i| (a.s2[i] / k - (a.s1[i] / k).powi(2)).max(0.0))
                .sum::<f64>()
                / len
        };
        // Population rates by batch means over 10 consecutive blocks of sampling bins.
        let bin_t = self.spec.observe.sample_every as f64 * self.spec.dt;
        let stderr = |p: usize, size: usize| {
            const B: usize = 10;
            let per = a.bins.len() / B;
            if per == 0 {
                return f64::NAN;
            }
            let m: Vec<f64> = (0..B)
                .map(|b| {
                    let c: u64 = a.bins[b * per..(b + 1) * per]
                        .iter()
                        .map(|x| x[p] as u64)
                        .sum();
                    c as f64 / (size as f64 * per as f64 * bin_t)
                })
                .collect();
            (var(&m) * B as f64 / (B - 1) as f64 / B as f64).sqrt()
        };
        let lag_dt = bin_t;
        let is_e: Vec<bool> = a.acf_neurons.iter().map(|&i| i < n_e).collect();
        let max_lag = (self.spec.observe.acf_max_lag / lag_dt) as usize;
        let (acf_e, acf_i) = population_autocovariance(&a.acf_data, &is_e, max_lag);
        LifSummary {
            rate_e: mean(&rates[..n_e]),
            rate_i: mean(&rates[n_e..]),
            cv_e,
            cv_i,
            mu_e: a.sums[0] / k,
            mu_i: a.sums[1] / k,
            rate_var_e: var(&rates[..n_e]),
            rate_var_i: var(&rates[n_e..]),
            spikes: a.count.iter().map(|&c| c as u64).sum(),
            w: a.sums[2] / k,
            delta0_e: delta0(0..n_e),
            delta0_i: delta0(n_e..n),
            tau_dec_e: tau_dec(&acf_e, lag_dt),
            tau_dec_i: tau_dec(&acf_i, lag_dt),
            rate_e_stderr: stderr(0, n_e),
            rate_i_stderr: stderr(1, n - n_e),
            n_cv_e,
            n_cv_i,
            t: t_meas,
            integrator: self.spec.integrator,
            rates,
            cvs,
            acf_e,
            acf_i,
            lag_dt,
        }
    }
}

/// What a finished run reports (JSON keys of `balnet simulate lif`). Rates are in spikes per
/// tau_m; `cv_e`, `cv_i` are means of the per-neuron CVs of the inter-spike intervals
/// (standard deviation with 1/m over the m ISIs, divided by their mean) over neurons with at
/// least 3 spikes in the measured window; `rate_var_*` is the variance across neurons of the
/// per-neuron mean rates; `delta0_*` the population mean of the per-neuron temporal variance
/// of mu_i = I0 + s_i (sampled every `sample_every` steps).
#[derive(Clone, Debug, Serialize)]
pub struct LifSummary {
    pub rate_e: f64,
    pub rate_i: f64,
    pub cv_e: f64,
    pub cv_i: f64,
    pub mu_e: f64,
    pub mu_i: f64,
    pub rate_var_e: f64,
    pub rate_var_i: f64,
    pub spikes: u64,
    pub w: f64,
    pub delta0_e: f64,
    pub delta0_i: f64,
    pub tau_dec_e: Option<f64>,
    pub tau_dec_i: Option<f64>,
    /// Standard errors of the population rates by batch means (10 blocks); they
    /// underestimate the error when a block is shorter than the correlation time.
    pub rate_e_stderr: f64,
    pub rate_i_stderr: f64,
    pub n_cv_e: usize,
    pub n_cv_i: usize,
    /// Measured time.
    pub t: f64,
    pub integrator: LifIntegrator,
    #[serde(skip)]
    pub rates: Vec<f64>,
    #[serde(skip)]
    pub cvs: Vec<Option<f64>>,
    #[serde(skip)]
    pub acf_e: Vec<f64>,
    #[serde(skip)]
    pub acf_i: Vec<f64>,
    #[serde(skip)]
    pub lag_dt: f64,
}

/// Mean CVs (E, I) in consecutive windows of length `window` covering [t_start, t_end): in
/// each window, the CV of every neuron with at least 3 spikes in it, averaged per population.
/// `raster` holds (neuron, time) pairs in time order.
pub fn cv_in_windows(
    raster: &[(u32, f64)],
    sizes: &Sizes,
    t_start: f64,
    t_end: f64,
    window: f64,
) -> Vec<[f64; 2]> {
    let n = sizes.n();
    let count = ((t_end - t_start) / window + 1e-9).floor() as usize;
    let mut out = Vec::with_capacity(count);
    let mut pos = raster.partition_point(|&(_, t)| t < t_start);
    for w in 0..count {
        let hi = t_start + (w + 1) as f64 * window;
        let mut last = vec![f64::NAN; n];
        let mut c = vec![0u32; n];
        let mut m1 = vec![0.0; n];
        let mut m2 = vec![0.0; n];
        while pos < raster.len() && raster[pos].1 < hi {
            let (i, t) = raster[pos];
            let i = i as usize;
            if c[i] > 0 {
                let isi = t - last[i];
                m1[i] += isi;
                m2[i] += isi * isi;
            }
            last[i] = t;
            c[i] += 1;
            pos += 1;
        }
        let mut acc = [(0.0, 0usize); 2];
        for i in 0..n {
            if c[i] >= 3 {
                let m = (c[i] - 1) as f64;
                let mean = m1[i] / m;
                let cv = (m2[i] / m - mean * mean).max(0.0).sqrt() / mean;
                let p = usize::from(i >= sizes.n_e);
                acc[p].0 += cv;
                acc[p].1 += 1;
            }
        }
        out.push(acc.map(|(s, k)| if k > 0 { s / k as f64 } else { f64::NAN }));
    }
    out
}

/// One step of the network from t0 = step dt to t1 = t0 + dt; the spikes of the step are left
/// in `scratch.spikes`.
fn step(net: &LifNetwork, st: &Stepper, x: &mut LifState, step: u64, scratch: &mut Scratch) {
    let t0 = step as f64 * st.dt;
    let t1 = (step + 1) as f64 * st.dt;
    scratch.flagged.clear();
    scratch.spikes.clear();
    update(&st.prop, &mut x.v, &mut x.s, &mut scratch.flagged);
    if st.tau_ref > 0.0 {
        refractory(st, x, t0, t1, &mut scratch.spikes);
    }
    let n = x.v.len();
    for &c in &scratch.flagged {
        let lo = c as usize * CHUNK;
        for i in lo..(lo + CHUNK).min(n) {
            if st.tau_ref > 0.0 && x.ref_until[i] > t0 {
                continue;
            }
            if st.exact {
                // A kick at the end of the last step may have put v0 above threshold.
                let (v0, s0) = st.prop.invert(x.v[i], x.s[i]);
                if v0 >= THETA || x.v[i] >= THETA {
                    fire_exact(st, x, i, t0, v0, s0, t1, &mut scratch.spikes);
                }
            } else if x.v[i] >= THETA {
                x.v[i] = V_RESET;
                scratch.spikes.push((i as u32, t1));
                if st.tau_ref > 0.0 {
                    x.ref_until[i] = t1 + st.tau_ref;
                    x.refractory.push(i as u32);
                }
            }
        }
    }
    deliver(net, st, x, t1, &scratch.spikes);
}

/// The linear update of every neuron; chunks with a neuron at or above threshold (before or
/// after the update) are listed. On x86-64 with AVX2 the same code is compiled for AVX2 (4
/// doubles per vector): the same operations in the same order (no fused multiply-add), hence
/// the same bits as the baseline build.
fn update(p: &Propagator, v: &mut [f64], s: &mut [f64], flagged: &mut Vec<u32>) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU reported AVX2 just above.
        unsafe { update_avx2(p, v, s, flagged) };
        return;
    }
    update_body(p, v, s, flagged)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn update_avx2(p: &Propagator, v: &mut [f64], s: &mut [f64], flagged: &mut Vec<u32>) {
    update_body(p, v, s, flagged)
}

#[inline(always)]
fn update_body(p: &Propagator, v: &mut [f64], s: &mut [f64], flagged: &mut Vec<u32>) {
    let (a, b, c, d) = (p.a, p.b, p.c, p.d);
    let chunk = |ci: usize, vc: &mut [f64], sc: &mut [f64], flagged: &mut Vec<u32>| {
        let mut hit = false;
        for (vi, si) in vc.iter_mut().zip(sc.iter_mut()) {
            let nv = a * *vi + b * *si + c;
            // The old value counts too: the exact scheme's kicks can lift v0 above threshold.
            hit |= (nv >= THETA) | (*vi >= THETA);
            *si *= d;
            *vi = nv;
        }
        if hit {
            flagged.push(ci as u32);
        }
    };
    let mut vs = v.chunks_exact_mut(CHUNK);
    let mut ss = s.chunks_exact_mut(CHUNK);
    let mut ci = 0;
    for (vc, sc) in (&mut vs).zip(&mut ss) {
        let vc: &mut [f64; CHUNK] = vc.try_into().expect("exact chunk");
        let sc: &mut [f64; CHUNK] = sc.try_into().expect("exact chunk");
        chunk(ci, vc, sc, flagged);
        ci += 1;
    }
    chunk(ci, vs.into_remainder(), ss.into_remainder(), flagged);
}

/// Neurons refractory at the start of the step: clamp v at the reset while refractory; a
/// neuron released inside the step integrates from its release (exactly, or from the Euler
/// update that started at the reset value) and may fire.
fn refractory(st: &Stepper, x: &mut LifState, t0: f64, t1: f64, spikes: &mut Vec<(u32, f64)>) {
    let list = std::mem::take(&mut x.refractory);
    let mut keep = Vec::with_capacity(list.len());
    for &i in &list {
        let i = i as usize;
        let until = x.ref_until[i];
        if until <= t0 {
            continue;
        }
        // A tolerance of 1e-9 dt absorbs the rounding of t0 + k dt.
        if until >= t1 - 1e-9 * st.dt {
            x.v[i] = V_RESET;
            keep.push(i as u32);
            continue;
        }
        if st.exact {
            let s_rel = x.s[i] * ((t1 - until) / st.tau_s).exp();
            x.v[i] = V_RESET;
            fire_exact(st, x, i, until, V_RESET, s_rel, t1, spikes);
        } else if x.v[i] >= THETA {
            x.v[i] = V_RESET;
            spikes.push((i as u32, t1));
            x.ref_until[i] = t1 + st.tau_ref;
            keep.push(i as u32);
        }
    }
    // fire_exact may have listed neurons that fired again after their release.
    keep.append(&mut x.refractory);
    x.refractory = keep;
}

/// Exact integration of neuron i from (v, s) at time `from` to t1 with every threshold
/// crossing on the way: spike at the crossing time, reset, refractory period, continue.
#[allow(clippy::too_many_arguments)]
fn fire_exact(
    st: &Stepper,
    x: &mut LifState,
    i: usize,
    mut from: f64,
    mut v: f64,
    mut s: f64,
    t1: f64,
    spikes: &mut Vec<(u32, f64)>,
) {
    loop {
        let h = t1 - from;
        let tc = if v >= THETA {
            from
        } else if v_at(v, s, st.i0, st.tau_s, h) >= THETA {
            from + crossing_time(v, s, st.i0, st.tau_s, h, THETA)
        } else {
            x.v[i] = v_at(v, s, st.i0, st.tau_s, h);
            return;
        };
        spikes.push((i as u32, tc));
        s *= (-(tc - from) / st.tau_s).exp();
        from = tc;
        v = V_RESET;
        if st.tau_ref > 0.0 {
            let until = tc + st.tau_ref;
            x.ref_until[i] = until;
            if !x.refractory.contains(&(i as u32)) {
                x.refractory.push(i as u32);
            }
            if until >= t1 {
                x.v[i] = V_RESET;
                return;
            }
            s *= (-(until - from) / st.tau_s).exp();
            from = until;
        }
    }
}

/// Deliver the spikes of the step: jumps of s (and, for the exact scheme, of v) at the end of
/// the step that equal the effect of the jumps at the spike times; then depression.
fn deliver(net: &LifNetwork, st: &Stepper, x: &mut LifState, t1: f64, spikes: &[(u32, f64)]) {
    let n_e = net.n_e();
    for &(j, tf) in spikes {
        let j = j as usize;
        let (to_e, to_i) = net.out_lists(j);
        let (ke, ki) = if j < n_e {
            let w = st.w_at(x.w[j], x.w_t[j], tf);
            x.w[j] = w * (1.0 - st.u);
            x.w_t[j] = tf;
            (net.kick_ee * w, net.kick_ie)
        } else {
            (net.kick_ei, net.kick_ii)
        };
        if st.exact {
            let r = t1 - tf;
            let (fs, fv) = ((-r / st.tau_s).exp(), beta(r, st.tau_s));
            for (targets, k) in [(to_e, ke), (to_i, ki)] {
                let (ds, dv) = (k * fs, k * fv);
                for &t in targets {
                    x.s[t as usize] += ds;
                    x.v[t as usize] += dv;
                }
            }
        } else {
            for &t in to_e {
                x.s[t as usize] += ke;
            }
            for &t in to_i {
                x.s[t as usize] += ki;
            }
        }
    }
}

/// The `format` tag of LIF checkpoint files.
pub const LIF_CHECKPOINT_FORMAT: &str = "balnet-lif-checkpoint/1";

impl crate::checkpoint::Resumable for LifRun {
    type Network = LifNetwork;
    type Spec = LifSpec;
    const FORMAT: &'static str = LIF_CHECKPOINT_FORMAT;

    fn identity(net: &LifNetwork) -> crate::checkpoint::Identity {
        crate::checkpoint::Identity::Rate {
            params: *net.params(),
            sizes: net.rate.conn.sizes,
            fingerprint: net.rate.fingerprint(),
        }
    }
    fn mismatch(a: &LifSpec, b: &LifSpec) -> Option<&'static str> {
        (a != b).then_some("run setting (dt, t, transient, integrator, tau_ref or observers)")
    }
    fn spec(&self) -> &LifSpec {
        &self.spec
    }
    fn step(&self) -> u64 {
        self.step
    }
    fn total_steps(&self) -> u64 {
        LifRun::total_steps(self)
    }
    fn dt(&self) -> f64 {
        self.spec.dt
    }
    fn inconsistency(&self, fresh: &LifRun) -> Option<String> {
        let total = self.total_steps();
        if self.step > total {
            return Some(format!("step {} beyond the run's {total} steps", self.step));
        }
        let (a, f, s, g) = (&self.acc, &fresh.acc, &self.state, &fresh.state);
        if a.acf_neurons != f.acf_neurons {
            return Some("the neurons of the autocovariance differ from the run's".into());
        }
        let n = g.v.len();
        if a.raster.iter().any(|&(i, _)| i as usize >= n)
            || s.refractory.iter().any(|&i| i as usize >= n)
        {
            return Some("a neuron index beyond N".into());
        }
        let spec = &self.spec;
        let m = self
            .step
            .saturating_sub(spec.transient_steps())
            .min(spec.measured_steps()) as usize;
        let samples = m / spec.observe.sample_every;
        let traced = if spec.observe.traces.is_empty() {
            0
        } else {
            samples
        };
        let mut items = vec![
            ("v", s.v.len(), n),
            ("s", s.s.len(), g.s.len()),
            ("w", s.w.len(), g.w.len()),
            ("w_t", s.w_t.len(), g.w_t.len()),
            ("ref_until", s.ref_until.len(), g.ref_until.len()),
            ("the spike counts", a.count.len(), f.count.len()),
            ("the last spike times", a.last.len(), f.last.len()),
            ("isi1", a.isi1.len(), f.isi1.len()),
            ("isi2", a.isi2.len(), f.isi2.len()),
            ("shift", a.shift.len(), f.shift.len()),
            ("s1", a.s1.len(), f.s1.len()),
            ("s2", a.s2.len(), f.s2.len()),
            ("the samples", a.samples as usize, samples),
            ("the rate bins", a.bins.len(), samples),
            (
                "the autocovariance series",
                a.acf_data.len(),
                f.acf_data.len(),
            ),
            ("the traces", a.trace_data.len(), f.trace_data.len()),
            ("the trace times", a.trace_t.len(), traced),
        ];
        items.extend(
            a.acf_data
                .iter()
                .map(|d| ("an autocovariance series", d.len(), samples)),
        );
        items.extend(a.trace_data.iter().map(|d| ("a trace", d.len(), traced)));
        crate::checkpoint::length_mismatch(&items)
    }
    fn seconds_per_step(&self, net: &LifNetwork) -> f64 {
        // Spikes per step: N times a rate of the order of 0.1 per tau_m (Figs. 10-11).
        let sizes = net.rate.conn.sizes;
        let n = sizes.n() as f64;
        let spikes = n * 0.1 * self.spec.dt;
        crate::budget::lif_run_seconds(n, 1.0, spikes, (sizes.k_e + sizes.k_i) as f64)
    }
    fn advance_to(&mut self, net: &LifNetwork, until: u64) -> Result<(), SimError> {
        self.advance(net, until, |_| {})
    }
}
