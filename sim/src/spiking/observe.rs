//! Observers of the spiking engine, shared by every model: rates, ISI CVs, membrane-potential
//! means and temporal variances, spike-count correlations over all pairs in O(N T), the
//! population activity's Fano factor (synchrony), mean synaptic variables, rasters.
//!
//! ## Conventions
//! * Time: step n covers [n dt, (n + 1) dt); a spike in step n is at (n + 1) dt, or at
//!   n dt plus its time inside the step for a timed model (ISIs and rasters use that time).
//! * Rates, CVs, counts, population activity and synaptic means use the steps from
//!   `t_on` to the end; V statistics the steps from `v_on`.
//! * V samples (paper 002): each sample is the mean of min(V, v_th) over the `v_bin` steps
//!   of its bin, with a neuron that spikes in a step reading v_th there (the value before the
//!   reset); only complete bins count. `var_v` is the temporal variance of these samples per
//!   neuron (normalised by the number of samples, as numpy's `var`), averaged over neurons;
//!   `var_v_step` the same over every step's value (no binning).
//! * Count correlations: spike counts per neuron in consecutive windows of `count_window`
//!   from `t_on`; the mean Pearson correlation over all pairs of neurons with more than
//!   `min_spikes` spikes, from the population sum of standardised counts Z_t:
//!   mean r = ((1/W) sum_t Z_t^2 - m) / (m (m - 1)) for m such neurons and W windows.
//! * Synaptic samples (`synapses`): every channel's variable per neuron at the end of every
//!   `syn_every` steps from `t_on` (before the arrivals due at that time: the left limit),
//!   summed for its time average and, shifted by the first sample, squared for its temporal
//!   variance; the same samples feed the probes (the sum of a neuron's stateful variables,
//!   for autocorrelations), the traces (V, that sum and the depression efficacy w) and the
//!   population mean of w.
//! * Synchrony: the Fano factor of the population's spike count in bins of `pop_bin`
//!   (1 for independent Poisson neurons, about N times the mean pairwise count correlation
//!   more for correlated ones).

use serde::{Deserialize, Serialize};

use super::network::ChunkInfo;
use super::neuron::{ChunkState, Spikes};
use crate::error::SimError;

/// What to record (times in the model's unit).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Observe {
    /// Start of rates, CVs, counts, population activity, synaptic means.
    pub t_on: f64,
    /// Start of the V statistics.
    pub v_on: f64,
    /// V sample bin (0: no V statistics).
    pub v_bin: f64,
    /// Spike-count window of the correlations (0: none).
    pub count_window: f64,
    /// Neurons with more spikes than this enter the count correlations (paper 002: 5).
    pub min_spikes: u32,
    /// Bin of the population activity (0: none).
    pub pop_bin: f64,
    /// Record the time average of every channel's variable per neuron, sampled at the end of
    /// every `v_bin` (every step when `v_bin` is 0).
    pub synapses: bool,
    /// Record every spike (time, neuron) after `t_on`.
    pub raster: bool,
    /// Interval of the synaptic samples (0: `v_bin`, or every step without V bins).
    #[serde(default)]
    pub syn_every: f64,
    /// (population, neuron) whose summed stateful synaptic variables are kept at every
    /// synaptic sample (module docs).
    #[serde(default)]
    pub probes: Vec<(usize, usize)>,
    /// (population, neuron) whose V, summed synaptic variables and w are kept at every
    /// synaptic sample.
    #[serde(default)]
    pub traces: Vec<(usize, usize)>,
    /// Also estimate each population's mean count correlation from this many random pairs
    /// (0: not), a check on the all-pairs estimator with its own standard error.
    #[serde(default)]
    pub count_pairs: usize,
}

impl Observe {
    /// Everything off but rates and CVs, measured from `t_on`.
    pub fn rates(t_on: f64) -> Observe {
        Observe {
            t_on,
            v_on: t_on,
            v_bin: 0.0,
            count_window: 0.0,
            min_spikes: 5,
            pop_bin: 0.0,
            synapses: false,
            raster: false,
            syn_every: 0.0,
            probes: Vec::new(),
            traces: Vec::new(),
            count_pairs: 0,
        }
    }
}

/// The observer settings in steps.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Grid {
    pub on: u64,
    pub v_on: u64,
    pub v_bin: u64,
    pub window: u64,
    pub pop_bin: u64,
    /// Synaptic variables are sampled at the end of every `syn_every` steps from `on`
    /// (`v_bin`, or every step without V bins).
    pub syn_every: u64,
    pub total: u64,
}

impl Grid {
    pub fn new(o: &Observe, dt: f64, total: u64) -> Result<Grid, SimError> {
        let steps = |name: &'static str, t: f64| -> Result<u64, SimError> {
            if !(t >= 0.0 && t.is_finite()) {
                return Err(SimError::Invalid {
                    name,
                    value: t,
                    range: "0 <= t < inf",
                });
            }
            Ok((t / dt).round() as u64)
        };
        let g = Grid {
            on: steps("t_on", o.t_on)?,
            v_on: steps("v_on", o.v_on)?,
            v_bin: steps("v_bin", o.v_bin)?,
            window: steps("count_window", o.count_window)?,
            pop_bin: steps("pop_bin", o.pop_bin)?,
            syn_every: if o.syn_every > 0.0 {
                steps("syn_every", o.syn_every)?.max(1)
            } else {
                steps("v_bin", o.v_bin)?.max(1)
            },
            total,
        };
        if g.on >= total {
            return Err(SimError::Invalid {
                name: "t_on",
                value: o.t_on,
                range: "t_on < the run's duration",
            });
        }
        if g.v_bin > 0 && g.v_on + g.v_bin > total {
            return Err(SimError::Invalid {
                name: "v_on",
                value: o.v_on,
                range: "v_on + v_bin <= the run's duration",
            });
        }
        Ok(g)
    }
    /// Where step `step` falls (computed once per step for every chunk).
    pub fn tick(&self, step: u64) -> Tick {
        if step < self.on {
            return Tick::default();
        }
        let k = step - self.on;
        Tick {
            measuring: true,
            window: k
                .checked_div(self.window)
                .map(|w| w as usize)
                .filter(|&w| w < self.windows()),
            bin: k
                .checked_div(self.pop_bin)
                .map(|b| b as usize)
                .filter(|&b| b < self.pop_bins()),
            syn_sample: k % self.syn_every == self.syn_every - 1,
        }
    }
    pub fn windows(&self) -> usize {
        (self.total - self.on).checked_div(self.window).unwrap_or(0) as usize
    }
    pub fn pop_bins(&self) -> usize {
        (self.total - self.on)
            .checked_div(self.pop_bin)
            .unwrap_or(0) as usize
    }
}

/// Where a step falls on the observers' grid ([`Grid::tick`]).
#[derive(Clone, Copy, Debug, Default)]
pub struct Tick {
    /// At or after `t_on`.
    pub measuring: bool,
    /// Its count window and population bin, if complete ones hold it.
    pub window: Option<usize>,
    pub bin: Option<usize>,
    /// It ends a synaptic sample interval.
    pub syn_sample: bool,
}

/// What `ChunkObs::record` needs of the population and the step.
#[derive(Clone, Copy, Debug)]
pub struct Sampling {
    pub dt: f64,
    /// The potential at which spikes are registered (V samples are clipped there).
    pub v_th: f64,
    /// The depression efficacy's recovery rate when the population has depression.
    pub w_rate: Option<f64>,
    pub tick: Tick,
}

/// Accumulators of one chunk.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ChunkObs {
    pub spikes: Vec<u32>,
    /// Time of the last spike in units of dt (-1: none yet).
    pub last_spike: Vec<f64>,
    pub isi_n: Vec<u32>,
    pub isi_sum: Vec<f64>,
    pub isi_sum2: Vec<f64>,
    /// Current V bin's running sum, completed bins' shift, shifted sum and sum of squares.
    pub v_bin_sum: Vec<f64>,
    pub v_shift: Vec<f64>,
    pub v_sum: Vec<f64>,
    pub v_sum2: Vec<f64>,
    pub v_bins: u64,
    pub v_step_sum: Vec<f64>,
    pub v_step_sum2: Vec<f64>,
    pub v_steps: u64,
    /// Counts per window, window-major (`counts[w * n + i]`).
    pub counts: Vec<u16>,
    pub syn_sum: Vec<Vec<f64>>,
    /// Per channel and neuron: the first sample, and the sum of squared deviations from it.
    pub syn_shift: Vec<Vec<f64>>,
    pub syn_sum2: Vec<Vec<f64>>,
    /// V at the synaptic samples: its first value, the sum of deviations from it, and per
    /// channel the sum of products of the channel's and V's deviations (their covariance).
    pub sv_shift: Vec<f64>,
    pub sv_sum: Vec<f64>,
    pub gv_sum: Vec<Vec<f64>>,
    pub syn_steps: u64,
    /// Sum over synaptic samples of the chunk's summed efficacies w (depression).
    pub w_sum: f64,
    /// Probes and traces of this chunk: local neuron, its samples.
    pub probes: Vec<(u32, Vec<f64>)>,
    pub traces: Vec<(u32, Vec<[f64; 3]>)>,
    pub pop_counts: Vec<u32>,
    pub raster: Vec<(f64, u32)>,
    /// Sum of the weights delivered into each channel since `t_on`.
    pub inputs: Vec<f64>,
}

impl ChunkObs {
    /// Fresh accumulators of chunk `info`.
    pub fn new(o: &Observe, g: &Grid, info: ChunkInfo, channels: usize) -> ChunkObs {
        let n = info.len();
        let v = g.v_bin > 0;
        let mine = |list: &[(usize, usize)]| -> Vec<u32> {
            list.iter()
                .filter(|&&(p, k)| p == info.pop && k >= info.lo && k < info.hi)
                .map(|&(_, k)| (k - info.lo) as u32)
                .collect()
        };
        let per_channel = || {
            if o.synapses {
                vec![vec![0.0; n]; channels]
            } else {
                Vec::new()
            }
        };
        ChunkObs {
            spikes: vec![0; n],
            last_spike: vec![-1.0; n],
            isi_n: vec![0; n],
            isi_sum: vec![0.0; n],
            isi_sum2: vec![0.0; n],
            v_bin_sum: if v { vec![0.0; n] } else { Vec::new() },
            v_shift: if v { vec![0.0; n] } else { Vec::new() },
            v_sum: if v { vec![0.0; n] } else { Vec::new() },
            v_sum2: if v { vec![0.0; n] } else { Vec::new() },
            v_bins: 0,
            v_step_sum: if v { vec![0.0; n] } else { Vec::new() },
            v_step_sum2: if v { vec![0.0; n] } else { Vec::new() },
            v_steps: 0,
            counts: vec![0; g.windows() * n],
            syn_sum: per_channel(),
            syn_shift: per_channel(),
            syn_sum2: per_channel(),
            sv_shift: if o.synapses { vec![0.0; n] } else { Vec::new() },
            sv_sum: if o.synapses { vec![0.0; n] } else { Vec::new() },
            gv_sum: per_channel(),
            syn_steps: 0,
            w_sum: 0.0,
            probes: mine(&o.probes)
                .into_iter()
                .map(|k| (k, Vec::new()))
                .collect(),
            traces: mine(&o.traces)
                .into_iter()
                .map(|k| (k, Vec::new()))
                .collect(),
            pop_counts: vec![0; g.pop_bins()],
            raster: Vec::new(),
            inputs: vec![0.0; channels],
        }
    }

    /// Record step `step` of a chunk after its model step; `spikes` are the local indices
    /// that spiked (ascending, possibly repeated).
    pub fn record(
        &mut self,
        o: &Observe,
        g: &Grid,
        step: u64,
        state: &ChunkState,
        spikes: &Spikes,
        smp: Sampling,
    ) {
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx512f") {
                // SAFETY: the CPU has AVX-512F (checked above).
                return unsafe { self.record_avx512(o, g, step, state, spikes, smp) };
            }
            if std::arch::is_x86_feature_detected!("avx2") {
                // SAFETY: the CPU has AVX2 (checked above).
                return unsafe { self.record_avx2(o, g, step, state, spikes, smp) };
            }
        }
        self.record_any(o, g, step, state, spikes, smp)
    }

    /// [`ChunkObs::record`] compiled for AVX-512F: the same operations, the same bits.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f")]
    unsafe fn record_avx512(
        &mut self,
        o: &Observe,
        g: &Grid,
        step: u64,
        state: &ChunkState,
        spikes: &Spikes,
        smp: Sampling,
    ) {
        self.record_any(o, g, step, state, spikes, smp)
    }

    /// [`ChunkObs::record`] compiled for AVX2: the same operations, the same bits.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn record_avx2(
        &mut self,
        o: &Observe,
        g: &Grid,
        step: u64,
        state: &ChunkState,
        spikes: &Spikes,
        smp: Sampling,
    ) {
        self.record_any(o, g, step, state, spikes, smp)
    }

    #[inline(always)]
    fn record_any(
        &mut self,
        o: &Observe,
        g: &Grid,
        step: u64,
        state: &ChunkState,
        spikes: &Spikes,
        smp: Sampling,
    ) {
        let n = state.v.len();
        let tick = smp.tick;
        if tick.measuring {
            let (w, b) = (tick.window, tick.bin);
            let dt = smp.dt;
            for (i, &k) in spikes.idx.iter().enumerate() {
                let k = k as usize;
                self.spikes[k] += 1;
                // Spike time in units of dt: the step's end, or its time inside the step.
                let t = match spikes.at.get(i) {
                    Some(&at) => step as f64 + at / dt,
                    None => (step + 1) as f64,
                };
                let last = self.last_spike[k];
                if last >= 0.0 {
                    let isi = t - last;
                    self.isi_n[k] += 1;
                    self.isi_sum[k] += isi;
                    self.isi_sum2[k] += isi * isi;
                }
                self.last_spike[k] = t;
                if let Some(w) = w {
                    let c = &mut self.counts[w * n + k];
                    *c = c.saturating_add(1);
                }
                if o.raster {
                    let time = match spikes.at.get(i) {
                        Some(&at) => step as f64 * dt + at,
                        None => (step + 1) as f64 * dt,
                    };
                    self.raster.push((time, k as u32));
                }
            }
            if let Some(b) = b {
                self.pop_counts[b] += spikes.len() as u32;
            }
            if o.synapses && tick.syn_sample {
                self.sample_synapses(state, (step + 1) as f64 * dt, smp.w_rate);
            }
        }
        if g.v_bin > 0 && step >= g.v_on {
            let in_bin = (step - g.v_on) % g.v_bin;
            let complete_bins = (g.total - g.v_on) / g.v_bin;
            if (step - g.v_on) / g.v_bin >= complete_bins {
                return;
            }
            for k in 0..n {
                let x = state.v[k].min(smp.v_th);
                self.v_bin_sum[k] += x;
                self.v_step_sum[k] += x;
                self.v_step_sum2[k] += x * x;
            }
            // A neuron that spiked reads v_th in this step (before its reset).
            let mut prev = u32::MAX;
            let v_th = smp.v_th;
            for &k in &spikes.idx {
                if k != prev {
                    let x = state.v[k as usize].min(v_th);
                    let d = v_th - x;
                    self.v_bin_sum[k as usize] += d;
                    self.v_step_sum[k as usize] += d;
                    self.v_step_sum2[k as usize] += v_th * v_th - x * x;
                    prev = k;
                }
            }
            self.v_steps += 1;
            if in_bin + 1 == g.v_bin {
                let inv = 1.0 / g.v_bin as f64;
                for k in 0..n {
                    let m = self.v_bin_sum[k] * inv;
                    if self.v_bins == 0 {
                        self.v_shift[k] = m;
                    }
                    let d = m - self.v_shift[k];
                    self.v_sum[k] += d;
                    self.v_sum2[k] += d * d;
                    self.v_bin_sum[k] = 0.0;
                }
                self.v_bins += 1;
            }
        }
    }

    /// One synaptic sample at time `t` (module docs). Inlined into the vector builds of
    /// [`ChunkObs::record`], its per-neuron loops vectorise (slices cut to one length, so no
    /// bounds checks).
    #[inline(always)]
    fn sample_synapses(&mut self, state: &ChunkState, t: f64, w_rate: Option<f64>) {
        let first = self.syn_steps == 0;
        if first {
            self.sv_shift.copy_from_slice(&state.v);
        }
        for (a, (&v, &v0)) in self
            .sv_sum
            .iter_mut()
            .zip(state.v.iter().zip(&self.sv_shift))
        {
            *a += v - v0;
        }
        for (c, s) in state.syn.iter().enumerate() {
            if s.is_empty() {
                continue;
            }
            let (sum, shift, sum2, gv) = (
                &mut self.syn_sum[c],
                &mut self.syn_shift[c],
                &mut self.syn_sum2[c],
                &mut self.gv_sum[c],
            );
            if first {
                shift.copy_from_slice(s);
            }
            let n = s.len();
            let (sum, shift, sum2, gv) = (&mut sum[..n], &shift[..n], &mut sum2[..n], &mut gv[..n]);
            let (v, v0) = (&state.v[..n], &self.sv_shift[..n]);
            for k in 0..n {
                let x = s[k];
                sum[k] += x;
                let d = x - shift[k];
                sum2[k] += d * d;
                gv[k] += d * (v[k] - v0[k]);
            }
        }
        self.syn_steps += 1;
        let input = |k: usize| {
            state
                .syn
                .iter()
                .filter(|s| !s.is_empty())
                .map(|s| s[k])
                .sum::<f64>()
        };
        let w_of = |k: usize| match w_rate {
            Some(rate) => super::depression::Depression::w_at(rate, state.w[k], state.w_t[k], t),
            None => f64::NAN,
        };
        if w_rate.is_some() {
            self.w_sum += (0..state.w.len()).map(w_of).sum::<f64>();
        }
        for (k, data) in &mut self.probes {
            data.push(input(*k as usize));
        }
        for (k, data) in &mut self.traces {
            let k = *k as usize;
            data.push([state.v[k], input(k), w_of(k)]);
        }
    }
}

/// Per-neuron statistics of one population.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct NeuronStats {
    /// Rate per unit time of the model.
    pub rate: Vec<f64>,
    /// ISI CV (NaN with fewer than 3 spikes).
    pub cv: Vec<f64>,
    pub mean_v: Vec<f64>,
    pub var_v: Vec<f64>,
    pub var_v_step: Vec<f64>,
}

/// Statistics of one population (NaN where not recorded or undefined).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PopulationStats {
    pub name: String,
    pub n: usize,
    /// Mean rate (spikes per unit time per neuron).
    pub rate: f64,
    /// Mean ISI CV over neurons with at least 3 spikes.
    pub cv: f64,
    pub mean_v: f64,
    pub var_v: f64,
    pub var_v_step: f64,
    /// Mean pairwise spike-count correlation within the population.
    pub count_corr: f64,
    /// Fano factor of the population's spike count per `pop_bin`.
    pub synchrony: f64,
    /// Time and population average of each channel's variable.
    pub synapses: Vec<f64>,
    /// Population mean of each stateful channel's temporal variance per neuron (from the
    /// synaptic samples; NaN for delta channels or without samples).
    pub syn_var: Vec<f64>,
    /// Time and population average of the depression efficacy w (NaN without depression).
    pub w: f64,
    /// Population mean of each stateful channel's temporal covariance with V per neuron, from
    /// the synaptic samples (V after resets; paper 002's Cov(g, V); NaN for delta channels).
    pub syn_v_cov: Vec<f64>,
    /// The mean count correlation over [`Observe::count_pairs`] random pairs of eligible
    /// neurons, and its standard error over the pairs (NaN if not asked for).
    pub count_corr_sampled: f64,
    pub count_corr_sampled_stderr: f64,
    /// Mean input through each channel per neuron and unit time, from the weights that
    /// arrived: for a delta or current channel its mean contribution to dV/dt (a current's
    /// jump w carries the charge w tau), for a conductance the mean conductance (w tau per
    /// arrival). Paper 004's balance factor is built from these.
    pub inputs: Vec<f64>,
    /// The population's spike count per `pop_bin`.
    #[serde(skip)]
    pub activity: Vec<u64>,
    #[serde(skip)]
    pub neurons: NeuronStats,
}

/// Mean of the finite values (NaN if none).
pub fn finite_mean(x: &[f64]) -> f64 {
    let (s, k) = x
        .iter()
        .filter(|v| v.is_finite())
        .fold((0.0, 0usize), |(s, k), v| (s + v, k + 1));
    if k == 0 { f64::NAN } else { s / k as f64 }
}

/// Mean Pearson correlation over all pairs of the given neurons' count series
/// (`series(i)` is neuron i's counts over W windows), in O(N W) (module docs). Neurons with
/// `total <= min_spikes` or constant counts are left out. NaN with fewer than 2 neurons.
pub fn mean_pair_correlation<'a>(
    series: impl Iterator<Item = &'a [u16]>,
    windows: usize,
    min_spikes: u32,
) -> f64 {
    if windows < 2 {
        return f64::NAN;
    }
    let mut z_sum = vec![0.0; windows];
    let mut m = 0usize;
    for s in series {
        let total: u64 = s.iter().map(|&c| c as u64).sum();
        if total <= min_spikes as u64 {
            continue;
        }
        let mean = total as f64 / windows as f64;
        let var = s.iter().map(|&c| (c as f64 - mean).powi(2)).sum::<f64>() / windows as f64;
        if var <= 0.0 {
            continue;
        }
        let inv = 1.0 / var.sqrt();
        for (z, &c) in z_sum.iter_mut().zip(s) {
            *z += (c as f64 - mean) * inv;
        }
        m += 1;
    }
    if m < 2 {
        return f64::NAN;
    }
    let ss = z_sum.iter().map(|z| z * z).sum::<f64>() / windows as f64;
    (ss - m as f64) / (m as f64 * (m as f64 - 1.0))
}

/// The mean Pearson correlation of the count series over `pairs` random pairs of distinct
/// eligible neurons (more than `min_spikes` spikes, non-constant counts), drawn uniformly with
/// `rng`, and its standard error over the pairs: (NaN, NaN) with fewer than 2 eligible
/// neurons or no pairs.
pub fn sampled_pair_correlation(
    series: &[&[u16]],
    min_spikes: u32,
    pairs: usize,
    rng: &mut rand_chacha::ChaCha8Rng,
) -> (f64, f64) {
    use rand::RngExt;
    // Standardised series of the eligible neurons.
    let z: Vec<Vec<f64>> = series
        .iter()
        .filter_map(|s| {
            let w = s.len() as f64;
            let total: u64 = s.iter().map(|&c| c as u64).sum();
            let m = total as f64 / w;
            let var = s.iter().map(|&c| (c as f64 - m).powi(2)).sum::<f64>() / w;
            (total > min_spikes as u64 && var > 0.0)
                .then(|| s.iter().map(|&c| (c as f64 - m) / var.sqrt()).collect())
        })
        .collect();
    if z.len() < 2 || pairs == 0 {
        return (f64::NAN, f64::NAN);
    }
    let r: Vec<f64> = (0..pairs)
        .map(|_| {
            let i = rng.random_range(0..z.len());
            let mut j = rng.random_range(0..z.len() - 1);
            if j >= i {
                j += 1;
            }
            z[i].iter().zip(&z[j]).map(|(a, b)| a * b).sum::<f64>() / z[i].len() as f64
        })
        .collect();
    let n = r.len() as f64;
    let mean = r.iter().sum::<f64>() / n;
    let sd = (r.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0).max(1.0)).sqrt();
    (mean, sd / n.sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{RngExt, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn vector_builds_of_the_observers_give_the_baseline_bits() {
        // As for the EIF step: the AVX2 and AVX-512 builds of `record` must accumulate the
        // baseline's bits (V bins, every-step sums, synaptic sums, counts).
        let o = Observe {
            t_on: 0.0,
            v_on: 0.0,
            v_bin: 1.0,
            count_window: 5.0,
            min_spikes: 0,
            pop_bin: 1.0,
            synapses: true,
            raster: true,
            syn_every: 0.0,
            probes: Vec::new(),
            traces: Vec::new(),
            count_pairs: 0,
        };
        let g = Grid::new(&o, 0.1, 400).unwrap();
        let n = 777;
        let run = |variant: u8| {
            let mut rng = ChaCha8Rng::seed_from_u64(3);
            let info = ChunkInfo {
                pop: 0,
                lo: 0,
                hi: n,
            };
            let mut ob = ChunkObs::new(&o, &g, info, 2);
            for step in 0..400 {
                let st = ChunkState {
                    v: (0..n).map(|_| -80.0 + 35.0 * rng.random::<f64>()).collect(),
                    syn: vec![(0..n).map(|_| rng.random::<f64>()).collect(); 2],
                    refractory: vec![0.0; n],
                    ..ChunkState::default()
                };
                let spikes = Spikes {
                    idx: (0..n as u32).filter(|k| (k * 7 + step) % 97 == 0).collect(),
                    ..Spikes::default()
                };
                let smp = Sampling {
                    dt: 0.1,
                    v_th: -50.0,
                    w_rate: None,
                    tick: g.tick(step as u64),
                };
                match variant {
                    #[cfg(target_arch = "x86_64")]
                    1 => unsafe { ob.record_avx2(&o, &g, step as u64, &st, &spikes, smp) },
                    #[cfg(target_arch = "x86_64")]
                    2 => unsafe { ob.record_avx512(&o, &g, step as u64, &st, &spikes, smp) },
                    _ => ob.record_any(&o, &g, step as u64, &st, &spikes, smp),
                }
            }
            serde_json::to_string(&ob).unwrap()
        };
        let base = run(0);
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx2") {
                assert!(run(1) == base, "AVX2");
            }
            if std::arch::is_x86_feature_detected!("avx512f") {
                assert!(run(2) == base, "AVX-512");
            }
        }
    }
}
