//! The LIF spiking network with exponential synapses and short-term depression (Eqs. 62-64),
//! a configuration of the spiking engine ([`crate::spiking`]).
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
//!   which w_j <- w_j (1 - u) ([`crate::spiking::depression`]).
//!
//! Averaged over spikes, s_i = J0 sum_j J_ij r_j (r in spikes per tau_m), so the mean input
//! mu_i = I0 + s_i obeys Eq. 12 with phi the LIF rate of Eq. 13: the spiking network and the
//! rate model of [`crate::network`] with `Transfer::Lif` share one fixed point.
//!
//! ## On the engine
//! Two populations of [`crate::spiking::neuron::Lif`] neurons with one current channel each,
//! the four blocks of the fixed in-degree graph as projections with delay 0, E->E depressed
//! ([`LifNetwork::engine_spec`]). The integrators ([`LifIntegrator`]) are the engine's LIF
//! schemes:
//! * [`LifIntegrator::Euler`]: the paper's scheme (dt = 1e-3), ordered as the yardstick
//!   programs in `../shared/anchors`: v += dt (-v + I0 + s) and s *= 1 - dt/tau_syn for every
//!   neuron, then threshold and reset; a spike at the end of step n reaches its targets as
//!   s += kick at the start of step n + 1 (the same time). Spike times are quantised to dt and
//!   the membrane error is O(dt). Depression recovers by (1 - dt/tau_D) per step.
//! * [`LifIntegrator::Exact`]: the engine's timed LIF scheme
//!   ([`crate::spiking::neuron::LifScheme::Timed`]): exact propagation, threshold crossings
//!   timed inside the step, kicks applied as the jumps at the spike times would have acted.
//!
//! ## Observers and conventions
//! Spike counts, ISIs and rasters are measured after the transient. mu_i = I0 + s_i, w and the
//! autocovariance series are sampled every `sample_every` steps at the end of the step, before
//! the arrivals of the spikes of that step (the left limit; before the move onto the engine
//! they were sampled after them: the mean of mu differs by the mean jump per step, about
//! s dt / tau_syn, 1e-4 s at the paper's dt and tau_syn).
//!
//! ## Determinism
//! The engine's: the same bits on any thread count (`tests/lif.rs`). The network is fixed by
//! the connectivity; the initial state is [`initial_state`] or one the caller gives.

pub mod network;

use std::sync::Arc;

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

pub use theory::acf::tau_dec;

use crate::connectivity::Sizes;
use crate::error::SimError;
use crate::run::population_autocovariance;
pub use crate::spiking::membrane;
use crate::spiking::neuron::LifScheme;
use crate::spiking::{Network, Observe, RunSpec, SpikingRun};
pub use network::LifNetwork;

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
    fn scheme(&self) -> LifScheme {
        match self.integrator {
            LifIntegrator::Euler => LifScheme::Euler,
            LifIntegrator::Exact => LifScheme::Timed,
        }
    }
}

/// A state of the network: potentials, synaptic inputs s (global indices, E first) and the
/// depression variables of the excitatory neurons.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LifState {
    pub v: Vec<f64>,
    pub s: Vec<f64>,
    pub w: Vec<f64>,
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
    }
}

/// A run in progress: the engine's run of [`LifNetwork::engine_spec`] and the network it
/// built (not saved in checkpoints: rebuilt from the LIF network).
#[derive(Clone, Serialize, Deserialize)]
pub struct LifRun {
    pub spec: LifSpec,
    pub run: SpikingRun,
    #[serde(skip)]
    engine: Option<Arc<Network>>,
}

impl std::fmt::Debug for LifRun {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LifRun")
            .field("spec", &self.spec)
            .field("step", &self.run.step)
            .finish_non_exhaustive()
    }
}

impl LifRun {
    pub fn new(net: &LifNetwork, spec: LifSpec, state: LifState) -> Result<Self, SimError> {
        spec.validate()?;
        let n = net.n();
        let n_e = net.n_e();
        if state.v.len() != n || state.s.len() != n || state.w.len() != n_e {
            return Err(SimError::Format(format!(
                "initial LIF state has {} / {} / {} entries (v, s, w), the network needs {n} / {n} / {n_e}",
                state.v.len(),
                state.s.len(),
                state.w.len(),
            )));
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
        let engine = Network::build(&net.engine_spec(spec.dt, spec.scheme(), spec.tau_ref), 0)?;
        let at = |i: usize| if i < n_e { (0, i) } else { (1, i - n_e) };
        let mut probes = Vec::new();
        if o.acf_neurons > 0 {
            for (p, size) in [(0, n_e), (1, n - n_e)] {
                let m = o.acf_neurons.min(size);
                probes.extend((0..m).map(|k| (p, k * size / m)));
            }
        }
        let dt = spec.dt;
        let every = o.sample_every as f64 * dt;
        let transient = spec.transient_steps() as f64 * dt;
        let observe = Observe {
            t_on: transient,
            v_on: transient,
            v_bin: 0.0,
            count_window: 0.0,
            min_spikes: 0,
            pop_bin: every,
            synapses: true,
            raster: o.raster,
            syn_every: every,
            probes,
            traces: o.traces.iter().map(|&i| at(i)).collect(),
            count_pairs: 0,
        };
        let total = spec.transient_steps() + spec.measured_steps();
        let mut run = SpikingRun::new_seeded(
            &engine,
            RunSpec {
                t: total as f64 * dt,
                observe,
            },
            0,
        )?;
        for (c, ch) in run.chunks.iter_mut().enumerate() {
            let info = engine.chunks[c];
            let off = if info.pop == 0 { 0 } else { n_e };
            ch.state
                .v
                .copy_from_slice(&state.v[off + info.lo..off + info.hi]);
            ch.state.syn[0].copy_from_slice(&state.s[off + info.lo..off + info.hi]);
            if info.pop == 0 {
                ch.state.w.copy_from_slice(&state.w[info.lo..info.hi]);
            }
        }
        Ok(LifRun {
            spec,
            run,
            engine: Some(Arc::new(engine)),
        })
    }

    /// The engine network of this run.
    fn engine(&self) -> &Network {
        self.engine
            .as_deref()
            .expect("a LIF run holds its engine network (restored on resume)")
    }

    pub fn total_steps(&self) -> u64 {
        self.run.total_steps()
    }
    /// Steps done.
    pub fn step(&self) -> u64 {
        self.run.step
    }

    /// Advance until `until` steps (at most the total), calling `progress(step)` every 1 %.
    /// With the raster on, its growth is checked every 4096 steps against the memory
    /// available when this call started ([`crate::budget::ensure_growth`]).
    pub fn advance(
        &mut self,
        _net: &LifNetwork,
        until: u64,
        mut progress: impl FnMut(u64),
    ) -> Result<(), SimError> {
        const RASTER_CHECK: u64 = 4096;
        let until = until.min(self.total_steps());
        let tick = (self.total_steps() / 100).max(1);
        let engine = self.engine.clone().expect("engine network");
        let raster = self.spec.observe.raster;
        let raster_bytes = |r: &SpikingRun| {
            16.0 * r.chunks.iter().map(|c| c.obs.raster.len()).sum::<usize>() as f64
        };
        let budget = if raster {
            crate::budget::available_memory() + raster_bytes(&self.run)
        } else {
            f64::INFINITY
        };
        while self.run.step < until {
            let mut next = ((self.run.step / tick + 1) * tick).min(until);
            if raster {
                next = next.min((self.run.step / RASTER_CHECK + 1) * RASTER_CHECK);
            }
            self.run.advance_to(&engine, next)?;
            if raster {
                let t = self.run.step as f64 * self.spec.dt;
                crate::budget::ensure_growth(
                    &format!(
                        "the spike raster (kept for --raster or --cv-window) at t = {t:.0} of {:.0}",
                        self.total_steps() as f64 * self.spec.dt
                    ),
                    raster_bytes(&self.run),
                    budget,
                )?;
            }
            if self.run.step % tick == 0 {
                progress(self.run.step);
            }
        }
        Ok(())
    }

    /// Every spike (global neuron index, E first; time) of the measured window, in time
    /// order.
    pub fn raster(&self) -> Vec<(u32, f64)> {
        let n_e = self.engine().spec.populations[0].n as u32;
        self.run
            .results(self.engine())
            .raster
            .into_iter()
            .map(|(t, p, k)| (if p == 0 { k } else { n_e + k }, t))
            .collect()
    }

    /// Spike counts (E, I) per sampling interval of the measured window.
    pub fn bins(&self) -> Vec<[u64; 2]> {
        let r = self.run.results(self.engine());
        let (e, i) = (&r.populations[0].activity, &r.populations[1].activity);
        e.iter().zip(i).map(|(&a, &b)| [a, b]).collect()
    }

    /// The traced neurons' samples: times, and per neuron (v, mu = I0 + s, w) at each (w = 0
    /// for I neurons).
    pub fn traces(&self) -> (Vec<f64>, Vec<Vec<[f64; 3]>>) {
        let r = self.run.results(self.engine());
        let i0 = match self.engine().spec.populations[0].model {
            crate::spiking::neuron::Model::Lif(l) => l.mu,
            _ => unreachable!("the LIF network's populations are LIF neurons"),
        };
        let g = &self.run.grid;
        let len = r.traces.first().map_or(0, Vec::len);
        let t = (1..=len)
            .map(|m| (g.on + m as u64 * g.syn_every) as f64 * self.spec.dt)
            .collect();
        let data = r
            .traces
            .iter()
            .map(|d| {
                d.iter()
                    .map(|&[v, s, w]| [v, i0 + s, if w.is_nan() { 0.0 } else { w }])
                    .collect()
            })
            .collect();
        (t, data)
    }

    /// The summary of a finished run.
    pub fn summary(&self, net: &LifNetwork) -> LifSummary {
        let r = self.run.results(self.engine());
        let (e, i) = (&r.populations[0], &r.populations[1]);
        let i0 = net.params().i0;
        let rates: Vec<f64> = e
            .neurons
            .rate
            .iter()
            .chain(&i.neurons.rate)
            .copied()
            .collect();
        let cvs: Vec<Option<f64>> = e
            .neurons
            .cv
            .iter()
            .chain(&i.neurons.cv)
            .map(|c| c.is_finite().then_some(*c))
            .collect();
        let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len().max(1) as f64;
        let var = |v: &[f64]| {
            let m = mean(v);
            v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / v.len().max(1) as f64
        };
        let cv_of = |c: &[f64]| {
            let c: Vec<f64> = c.iter().copied().filter(|x| x.is_finite()).collect();
            (if c.is_empty() { f64::NAN } else { mean(&c) }, c.len())
        };
        let (cv_e, n_cv_e) = cv_of(&e.neurons.cv);
        let (cv_i, n_cv_i) = cv_of(&i.neurons.cv);
        // Population rates by batch means over 10 consecutive blocks of sampling bins.
        let bin_t = self.spec.observe.sample_every as f64 * self.spec.dt;
        let stderr = |counts: &[u64], size: usize| {
            const B: usize = 10;
            let per = counts.len() / B;
            if per == 0 {
                return f64::NAN;
            }
            let m: Vec<f64> = (0..B)
                .map(|b| {
                    let c: u64 = counts[b * per..(b + 1) * per].iter().sum();
                    c as f64 / (size as f64 * per as f64 * bin_t)
                })
                .collect();
            (var(&m) * B as f64 / (B - 1) as f64 / B as f64).sqrt()
        };
        let lag_dt = bin_t;
        let n_e = e.n;
        let acf_data: Vec<Vec<f64>> = r
            .probes
            .iter()
            .map(|d| d.iter().map(|s| i0 + s).collect())
            .collect();
        let is_e: Vec<bool> = self
            .run
            .spec
            .observe
            .probes
            .iter()
            .map(|&(p, _)| p == 0)
            .collect();
        let max_lag = (self.spec.observe.acf_max_lag / lag_dt) as usize;
        let (acf_e, acf_i) = population_autocovariance(&acf_data, &is_e, max_lag);
        LifSummary {
            rate_e: mean(&rates[..n_e]),
            rate_i: mean(&rates[n_e..]),
            cv_e,
            cv_i,
            mu_e: i0 + e.synapses[0],
            mu_i: i0 + i.synapses[0],
            rate_var_e: var(&rates[..n_e]),
            rate_var_i: var(&rates[n_e..]),
            spikes: e
                .neurons
                .rate
                .iter()
                .chain(&i.neurons.rate)
                .map(|x| (x * r.t_measured).round() as u64)
                .sum(),
            w: e.w,
            delta0_e: e.syn_var[0],
            delta0_i: i.syn_var[0],
            tau_dec_e: tau_dec(&acf_e, lag_dt),
            tau_dec_i: tau_dec(&acf_i, lag_dt),
            rate_e_stderr: stderr(&e.activity, e.n),
            rate_i_stderr: stderr(&i.activity, i.n),
            n_cv_e,
            n_cv_i,
            t: r.t_measured,
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

/// The `format` tag of LIF checkpoint files (2: the run on the spiking engine).
pub const LIF_CHECKPOINT_FORMAT: &str = "balnet-lif-checkpoint/2";

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
        self.run.step
    }
    fn total_steps(&self) -> u64 {
        LifRun::total_steps(self)
    }
    fn dt(&self) -> f64 {
        self.spec.dt
    }
    fn inconsistency(&self, fresh: &LifRun) -> Option<String> {
        self.run.inconsistency(&fresh.run)
    }
    fn restore(&mut self, fresh: &LifRun) {
        self.engine = fresh.engine.clone();
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
