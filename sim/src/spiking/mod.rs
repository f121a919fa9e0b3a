//! One spiking-network engine for every model (issue 21).
//!
//! A network ([`Spec`]) is a list of populations, each with a neuron model
//! ([`neuron::Model`]: EIF, LIF, QIF behind the [`neuron::NeuronModel`] trait) and its receptor
//! channels ([`neuron::Synapse`]: delta, exponential current, exponential conductance); a
//! list of external sources ([`input::Source`]: independent Poisson trains, or the
//! multiple-interaction process with jitter); and a list of projections ([`Projection`]:
//! pre -> post channel, one weight, a graph (Erdős–Rényi, fixed in-degree, partially
//! symmetric, or given rows), delays per projection or per synapse). [`Network::build`] draws
//! it from a seed; [`SpikingRun`] runs it on all of rayon's threads with one barrier per step
//! ([`engine`]); [`observe`] holds the observers and [`Results`] what they measured.
//!
//! Everything random comes from the streams of [`crate::streams`]: a network, its run and its
//! results are a function of (spec, seed) and never of the thread count (tested at 1, 2 and
//! 16 threads in `tests/spiking_engine.rs`). Runs are [`crate::checkpoint::Resumable`]: a run
//! saved and resumed gives the bits of an uninterrupted one.
//!
//! Short-term depression ([`depression`]) scales chosen projections by a per-presynaptic
//! efficacy carried with each spike; a timed model ([`neuron::LifScheme::Timed`]) carries
//! each spike's time inside its step, and timed targets take the arrival as it would have
//! acted at that time ([`neuron::NeuronModel::arrival`]).
//!
//! Model configurations: [`eif_balanced`] (paper 002's current- and conductance-based EIF
//! network), [`crate::lif`] (paper 001's network of Eqs. 62-64), [`crate::lif_ssn`] (paper
//! 004's).

pub mod aligned;
pub mod depression;
pub mod eif_balanced;
pub mod engine;
pub mod input;
pub mod membrane;
pub mod network;
pub mod neuron;
pub mod observe;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

pub use engine::{RunSpec, SpikingRun};
pub use network::{Delay, Graph, Init, Network, Population, Pre, Projection, Spec};
pub use observe::{Observe, PopulationStats};

use crate::checkpoint::{FNV_OFFSET, Identity, Resumable, fnv1a64};
use crate::error::SimError;

/// What a run measured.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Results {
    /// Duration of the run and of the measurement (from `t_on`).
    pub t: f64,
    pub t_measured: f64,
    pub populations: Vec<PopulationStats>,
    /// Mean pairwise count correlation over all neurons of all populations.
    pub count_corr: f64,
    /// (time, population, neuron) of every spike after `t_on` when the raster was asked for.
    pub raster: Vec<(f64, u32, u32)>,
    pub synapses: usize,
    /// The synaptic samples of [`Observe::probes`] and [`Observe::traces`], in their order
    /// (sample m at time t_on + (m + 1) `syn_every`).
    #[serde(skip)]
    pub probes: Vec<Vec<f64>>,
    #[serde(skip)]
    pub traces: Vec<Vec<[f64; 3]>>,
}

impl Network {
    /// A hash of the synapses: for every chunk, and every projection onto it in order, the
    /// projection's index, then the offsets (from 0), targets and delays of the chunk's lists
    /// in presynaptic order. It depends on the synapses only, not on how the fan-outs are
    /// laid out in memory (the hash of tables per chunk, which checkpoints of format 2 hold).
    pub fn fingerprint(&self) -> u64 {
        let mut h = FNV_OFFSET;
        for (c, projections) in self.onto.iter().enumerate() {
            for &k in projections {
                let f = &self.fanouts[k];
                let i = c - f.first_chunk;
                let n_pre = (f.offsets.len() - 1) / f.chunks.max(1);
                h = fnv1a64(h, &(k as u64).to_le_bytes());
                let mut at = 0u32;
                h = fnv1a64(h, &at.to_le_bytes());
                for j in 0..n_pre {
                    let (a, b) = f.range(j, i);
                    at += (b - a) as u32;
                    h = fnv1a64(h, &at.to_le_bytes());
                }
                for j in 0..n_pre {
                    let (a, b) = f.range(j, i);
                    for t in &f.targets[a..b] {
                        h = fnv1a64(h, &t.to_le_bytes());
                    }
                }
                if !f.delays.is_empty() {
                    for j in 0..n_pre {
                        let (a, b) = f.range(j, i);
                        for d in &f.delays[a..b] {
                            h = fnv1a64(h, &d.to_le_bytes());
                        }
                    }
                }
            }
        }
        h
    }
}

impl SpikingRun {
    /// The statistics of the run so far (meaningful at its end).
    pub fn results(&self, net: &Network) -> Results {
        let dt = net.spec.dt;
        let g = &self.grid;
        let o = &self.spec.observe;
        let t_measured = (self.step.saturating_sub(g.on)) as f64 * dt;
        let windows = g.windows();
        let mut populations = Vec::new();
        let mut all_series: Vec<Vec<u16>> = Vec::new();
        let mut raster = Vec::new();
        for (p, pop) in net.spec.populations.iter().enumerate() {
            let mut neurons = observe::NeuronStats::default();
            let mut series: Vec<Vec<u16>> = Vec::new();
            let mut pop_counts = vec![0u64; g.pop_bins()];
            let mut syn = vec![0.0; pop.channels.len()];
            let mut syn_var = vec![0.0; pop.channels.len()];
            let mut syn_v_cov = vec![0.0; pop.channels.len()];
            let mut w_sum = 0.0;
            for c in net.population_chunks(p) {
                let ch = &self.chunks[c];
                let ob = &ch.obs;
                let n = net.chunks[c].len();
                for k in 0..n {
                    neurons.rate.push(ob.spikes[k] as f64 / t_measured);
                    neurons.cv.push(if ob.isi_n[k] >= 2 {
                        let m = ob.isi_sum[k] / ob.isi_n[k] as f64;
                        let v = ob.isi_sum2[k] / ob.isi_n[k] as f64 - m * m;
                        v.max(0.0).sqrt() / m
                    } else {
                        f64::NAN
                    });
                    if ob.v_bins > 0 {
                        let b = ob.v_bins as f64;
                        let m = ob.v_sum[k] / b;
                        neurons.mean_v.push(ob.v_shift[k] + m);
                        neurons.var_v.push((ob.v_sum2[k] / b - m * m).max(0.0));
                        let s = ob.v_steps as f64;
                        let ms = ob.v_step_sum[k] / s;
                        neurons
                            .var_v_step
                            .push((ob.v_step_sum2[k] / s - ms * ms).max(0.0));
                    }
                    if windows > 0 {
                        series.push((0..windows).map(|w| ob.counts[w * n + k]).collect());
                    }
                }
                for (a, &b) in pop_counts.iter_mut().zip(&ob.pop_counts) {
                    *a += b as u64;
                }
                if ob.syn_steps > 0 {
                    let m = ob.syn_steps as f64;
                    for (c, sums) in ob.syn_sum.iter().enumerate() {
                        syn[c] += sums.iter().sum::<f64>();
                        let rows = sums
                            .iter()
                            .zip(&ob.syn_shift[c])
                            .zip(&ob.syn_sum2[c])
                            .zip(&ob.gv_sum[c])
                            .zip(&ob.sv_sum);
                        for ((((&sum, &shift), &sum2), &gv), &sv) in rows {
                            let d = sum / m - shift;
                            syn_var[c] += (sum2 / m - d * d).max(0.0);
                            syn_v_cov[c] += gv / m - d * (sv / m);
                        }
                    }
                    w_sum += ob.w_sum;
                }
                for &(time, k) in &ob.raster {
                    raster.push((time, p as u32, (net.chunks[c].lo + k as usize) as u32));
                }
            }
            let mut inputs = vec![0.0; pop.channels.len()];
            for c in net.population_chunks(p) {
                for (a, b) in inputs.iter_mut().zip(&self.chunks[c].obs.inputs) {
                    *a += b;
                }
            }
            let inputs = inputs
                .iter()
                .zip(&pop.channels)
                .map(|(x, ch)| {
                    let charge = match *ch {
                        neuron::Synapse::Delta => 1.0,
                        neuron::Synapse::Current { tau }
                        | neuron::Synapse::Conductance { tau, .. } => tau,
                    };
                    x * charge / (pop.n as f64 * t_measured)
                })
                .collect();
            let steps = self.chunks[net.first_chunk[p]].obs.syn_steps;
            let per_sample = |s: &f64| {
                if steps > 0 {
                    s / (steps as f64 * pop.n as f64)
                } else {
                    f64::NAN
                }
            };
            let synapses = syn.iter().map(per_sample).collect();
            // Sums over neurons of per-neuron statistics of the stateful channels: their means.
            let per_neuron = |sums: Vec<f64>| -> Vec<f64> {
                sums.iter()
                    .zip(&pop.channels)
                    .map(|(v, ch)| {
                        if steps > 0 && ch.has_state() {
                            v / pop.n as f64
                        } else {
                            f64::NAN
                        }
                    })
                    .collect()
            };
            let syn_var = per_neuron(syn_var);
            let syn_v_cov = per_neuron(syn_v_cov);
            let (count_corr_sampled, count_corr_sampled_stderr) = if o.count_pairs > 0 {
                let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
                rng.set_stream(crate::streams::count_pairs(p));
                let list: Vec<&[u16]> = series.iter().map(|s| s.as_slice()).collect();
                observe::sampled_pair_correlation(&list, o.min_spikes, o.count_pairs, &mut rng)
            } else {
                (f64::NAN, f64::NAN)
            };
            let w = if pop.depression.is_some() {
                per_sample(&w_sum)
            } else {
                f64::NAN
            };
            let count_corr = observe::mean_pair_correlation(
                series.iter().map(|s| s.as_slice()),
                windows,
                o.min_spikes,
            );
            all_series.extend(series);
            let synchrony = if pop_counts.len() >= 2 {
                let m = pop_counts.iter().sum::<u64>() as f64 / pop_counts.len() as f64;
                let v = pop_counts
                    .iter()
                    .map(|&c| (c as f64 - m).powi(2))
                    .sum::<f64>()
                    / (pop_counts.len() - 1) as f64;
                if m > 0.0 { v / m } else { f64::NAN }
            } else {
                f64::NAN
            };
            populations.push(PopulationStats {
                name: pop.name.clone(),
                n: pop.n,
                rate: neurons.rate.iter().sum::<f64>() / pop.n as f64,
                cv: observe::finite_mean(&neurons.cv),
                mean_v: observe::finite_mean(&neurons.mean_v),
                var_v: observe::finite_mean(&neurons.var_v),
                var_v_step: observe::finite_mean(&neurons.var_v_step),
                count_corr,
                synchrony,
                synapses,
                syn_var,
                w,
                syn_v_cov,
                count_corr_sampled,
                count_corr_sampled_stderr,
                inputs,
                activity: pop_counts,
                neurons,
            });
        }
        raster.sort_by(|a, b| a.0.total_cmp(&b.0));
        let count_corr = observe::mean_pair_correlation(
            all_series.iter().map(|s| s.as_slice()),
            windows,
            o.min_spikes,
        );
        let probes = self.series(net, &o.probes, |ob| &ob.probes);
        let traces = self.series(net, &o.traces, |ob| &ob.traces);
        Results {
            t: self.grid.total as f64 * dt,
            t_measured,
            populations,
            count_corr,
            raster,
            synapses: net.synapses(),
            probes,
            traces,
        }
    }
}

impl SpikingRun {
    /// The samples of each (population, neuron) of `list` from the chunk holding it (`of`
    /// picks the probes or the traces); empty if none.
    fn series<T: Clone>(
        &self,
        net: &Network,
        list: &[(usize, usize)],
        of: impl Fn(&observe::ChunkObs) -> &Vec<(u32, Vec<T>)>,
    ) -> Vec<Vec<T>> {
        list.iter()
            .map(|&(p, k)| {
                net.population_chunks(p)
                    .find(|&c| net.chunks[c].lo <= k && k < net.chunks[c].hi)
                    .and_then(|c| {
                        let local = (k - net.chunks[c].lo) as u32;
                        of(&self.chunks[c].obs).iter().find(|x| x.0 == local)
                    })
                    .map(|x| x.1.clone())
                    .unwrap_or_default()
            })
            .collect()
    }
}

/// The `format` tag of the engine's checkpoint files.
pub const CHECKPOINT_FORMAT: &str = "balnet-spiking-checkpoint/2";

impl Resumable for SpikingRun {
    type Network = Network;
    type Spec = RunSpec;
    const FORMAT: &'static str = CHECKPOINT_FORMAT;

    fn identity(net: &Network) -> Identity {
        let spec = serde_json::to_vec(&net.spec).unwrap_or_default();
        Identity::Spiking {
            spiking_spec: fnv1a64(FNV_OFFSET, &spec),
            seed: net.seed,
            synapses: net.fingerprint(),
        }
    }
    fn mismatch(a: &RunSpec, b: &RunSpec) -> Option<&'static str> {
        (a != b).then_some("run setting (t or observers)")
    }
    fn spec(&self) -> &RunSpec {
        &self.spec
    }
    fn step(&self) -> u64 {
        self.step
    }
    fn total_steps(&self) -> u64 {
        self.grid.total
    }
    fn dt(&self) -> f64 {
        self.dt
    }
    fn inconsistency(&self, fresh: &Self) -> Option<String> {
        if self.step > self.grid.total {
            return Some("its step is beyond the end of the run".into());
        }
        if self.seed != fresh.seed {
            return Some("it was run with another seed".into());
        }
        if self.grid != fresh.grid {
            return Some("its observer grid differs from the run's".into());
        }
        if self.chunks.len() != fresh.chunks.len()
            || self.sources.len() != fresh.sources.len()
            || self.drive.len() != fresh.drive.len()
            || self.drive.iter().any(|d| !d.is_finite())
        {
            return Some("its number of chunks or sources differs from the network's".into());
        }
        for (a, b) in self.chunks.iter().zip(&fresh.chunks) {
            let n = b.state.v.len();
            let lens = |c: &engine::ChunkRun| {
                let o = &c.obs;
                let mut v = vec![
                    c.state.v.len(),
                    c.state.refractory.len(),
                    c.state.syn.len(),
                    c.ring.len(),
                    o.spikes.len(),
                    o.last_spike.len(),
                    o.isi_n.len(),
                    o.isi_sum.len(),
                    o.isi_sum2.len(),
                    o.v_bin_sum.len(),
                    o.v_shift.len(),
                    o.v_sum.len(),
                    o.v_sum2.len(),
                    o.v_step_sum.len(),
                    o.v_step_sum2.len(),
                    o.counts.len(),
                    o.syn_sum.len(),
                    o.pop_counts.len(),
                    o.inputs.len(),
                    c.state.w.len(),
                    c.state.w_t.len(),
                    o.syn_shift.len(),
                    o.syn_sum2.len(),
                    o.sv_shift.len(),
                    o.sv_sum.len(),
                    o.gv_sum.len(),
                    o.probes.len(),
                    o.traces.len(),
                ];
                v.extend(c.state.syn.iter().map(|s| s.len()));
                v.extend(c.ring.iter().map(Vec::len));
                v.extend(o.syn_sum.iter().map(Vec::len));
                v.extend(o.syn_shift.iter().map(Vec::len));
                v.extend(o.syn_sum2.iter().map(Vec::len));
                v.extend(o.gv_sum.iter().map(Vec::len));
                // Probe and trace series hold one sample per synaptic sample (0 if so).
                let samples = o.syn_steps as usize;
                v.extend(o.probes.iter().map(|p| usize::from(p.1.len() != samples)));
                v.extend(o.traces.iter().map(|p| usize::from(p.1.len() != samples)));
                v
            };
            let sp = &a.last_spikes;
            let keys = |c: &engine::ChunkRun| -> Vec<u32> {
                let o = &c.obs;
                o.probes
                    .iter()
                    .map(|p| p.0)
                    .chain(o.traces.iter().map(|p| p.0))
                    .collect()
            };
            if (!sp.at.is_empty() && sp.at.len() != sp.idx.len())
                || (!sp.eff.is_empty() && sp.eff.len() != sp.idx.len())
                || keys(a) != keys(b)
            {
                return Some("the last step's spikes or the probes are inconsistent".into());
            }
            if lens(a) != lens(b) {
                return Some("an array of a chunk has the wrong length".into());
            }
            if a.last_spikes.idx.iter().any(|&k| k as usize >= n)
                || a.obs.raster.iter().any(|&(_, k)| k as usize >= n)
            {
                return Some("a spike names a neuron beyond its chunk".into());
            }
        }
        for (a, b) in self.sources.iter().zip(&fresh.sources) {
            use input::SourceState::*;
            match (a, b) {
                (Poisson { .. }, Poisson { .. }) => {}
                (
                    Drawn {
                        offsets: o1,
                        trains: t1,
                    },
                    Drawn {
                        offsets: o2,
                        trains: t2,
                    },
                ) => {
                    if o1 != o2 || t1 != t2 {
                        return Some("its input trains differ from the network's".into());
                    }
                }
                _ => return Some("its kind of input differs from the network's".into()),
            }
        }
        None
    }
    fn seconds_per_step(&self, net: &Network) -> f64 {
        let n: usize = net.chunks.iter().map(|c| c.len()).sum();
        // About 3 ns per neuron update and 1.5 ns per synaptic event at 5 spikes/s/neuron in
        // ms units: a rough bound for the long-run warning only.
        let events = net.synapses() as f64 * 5e-3 * net.spec.dt;
        (3e-9 * n as f64 + 1.5e-9 * events) / rayon::current_num_threads() as f64
    }
    fn advance_to(&mut self, net: &Network, until: u64) -> Result<(), SimError> {
        SpikingRun::advance_to(self, net, until)
    }
}

/// Build `spec` from `seed`, run it for `run` and return what it measured (no checkpoints).
pub fn simulate(spec: &Spec, seed: u64, run: RunSpec) -> Result<Results, SimError> {
    let net = Network::build(spec, seed)?;
    let mut r = SpikingRun::new(&net, run)?;
    let total = r.total_steps();
    r.advance_to(&net, total)?;
    Ok(r.results(&net))
}
