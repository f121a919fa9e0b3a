//! The spiking engine's network: populations, external sources and projections
//! ([`Spec`]), built into per-chunk fan-out tables ([`Network`]).
//!
//! ## Chunks
//! Every population is cut into chunks of at most [`chunk_size`] neurons: N / 16 for N
//! neurons in all, at least 2048 and at most 65536 (local indices are `u16`). Fewer, larger
//! chunks cost less per spike (each spike visits every chunk of its targets' population:
//! 2048-neuron chunks ran paper 002's N = 15000 network 10-15 % faster than 940-neuron ones),
//! while 16 of them balance up to 16 threads. The chunks depend on the network only, never
//! on the thread count. A chunk owns its neurons' state; a thread delivers spikes only into
//! the chunks it owns, so delivery needs no locks; every target receives its arrivals in the
//! order of the spikes (presynaptic neuron order within a step), whatever the thread count,
//! which is why results are the same bits on 1, 2 or 16 threads.
//!
//! ## Fan-outs
//! Each projection's synapses are stored once ([`Fanout`]), grouped by presynaptic neuron
//! and, inside a neuron's group, by target chunk: local targets (`u16`, ascending in each
//! chunk's list), one `u32` offset per (presynaptic neuron, chunk), plus one `u16` delay per
//! synapse when delays vary per synapse. Weights are per projection, so a synapse costs 2
//! bytes (4 with its own delay). A spike's lists for all the chunks of its targets' population
//! thus lie side by side, behind one line of offsets: the chunks read one region of memory
//! per spike and projection, not one per chunk. (Tables per chunk had made the LIF network of
//! Eqs. 62-64 at N = 5000, three chunks, 1.4 times slower on a machine whose L2 cache holds
//! less than its synapses; the README's spiking engine section has the numbers.)

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::depression::Depression;
use super::input::Source;
use super::neuron::{MAX_CHANNELS, Model, Synapse};
use crate::error::SimError;
use crate::graphs::Rows;
use crate::streams;

/// Neurons per chunk at most, for a network of `n_total` neurons (module docs). The offsets
/// of the fan-outs cost 4 bytes per (presynaptic neuron, chunk): with about 16 chunks (64
/// beyond N = 4e6) that is 64 (256) bytes per neuron and projection.
pub fn chunk_size(n_total: usize) -> usize {
    (n_total / 16).clamp(2048, 65536)
}

/// How a population's potentials start.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Init {
    /// Uniform in [lo, hi), from the population's initial-state stream.
    Uniform { lo: f64, hi: f64 },
    /// All at this value (-inf allowed for the QIF: the theta neuron's reset).
    Value { v: f64 },
}

/// A population of identical neurons.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Population {
    pub name: String,
    pub n: usize,
    pub model: Model,
    /// Receptor channels; projections name one by index.
    pub channels: Vec<Synapse>,
    pub init: Init,
    /// Short-term depression of the population's depressing projections (None: none).
    #[serde(default)]
    pub depression: Option<Depression>,
}

/// Where a projection's spikes come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Pre {
    Population(usize),
    Source(usize),
}

/// Who connects to whom (rows are postsynaptic neurons).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Graph {
    /// Every ordered pair with probability p ([`crate::graphs::erdos_renyi`]).
    ErdosRenyi { p: f64, self_pairs: bool },
    /// Exactly k distinct presynaptic partners per neuron (Floyd's algorithm, as
    /// [`crate::connectivity`]).
    FixedInDegree { k: usize, self_pairs: bool },
    /// A population onto itself with P(A_ij) = p and pair correlation q
    /// ([`crate::graphs::partially_symmetric`]).
    PartiallySymmetric { p: f64, q: f64 },
    /// Given rows (e.g. read from a network directory).
    #[serde(skip)]
    Rows(Rows),
}

/// Synaptic delays (the time from a spike to its arrival, rounded to steps).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Delay {
    /// One delay for the whole projection (0 = arrival at the start of the next step).
    Fixed { d: f64 },
    /// Per synapse, uniform on the steps of [min, max].
    Uniform { min: f64, max: f64 },
}

/// Connections from `pre` onto population `post`'s channel `channel`, each with `weight`
/// (the jump of the channel's variable per spike).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Projection {
    pub pre: Pre,
    pub post: usize,
    pub channel: usize,
    pub weight: f64,
    pub graph: Graph,
    pub delay: Delay,
    /// Each spike's weight is scaled by its neuron's depression efficacy (the presynaptic
    /// population must have [`Population::depression`]).
    #[serde(default)]
    pub depressed: bool,
}

/// A network to build.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Spec {
    /// Time step (in the model's time unit).
    pub dt: f64,
    pub populations: Vec<Population>,
    pub sources: Vec<Source>,
    pub projections: Vec<Projection>,
}

fn invalid(name: &'static str, value: f64, range: &'static str) -> SimError {
    SimError::Invalid { name, value, range }
}

impl Spec {
    pub fn validate(&self) -> Result<(), SimError> {
        if !(self.dt > 0.0 && self.dt.is_finite()) {
            return Err(invalid("dt", self.dt, "0 < dt < inf"));
        }
        if self.populations.is_empty() {
            return Err(invalid("populations", 0.0, "at least one population"));
        }
        for p in &self.populations {
            if p.n == 0 || p.n > u32::MAX as usize {
                return Err(invalid("population n", p.n as f64, "1 <= n < 2^32"));
            }
            if p.channels.len() > MAX_CHANNELS {
                return Err(invalid(
                    "channels",
                    p.channels.len() as f64,
                    "at most 8 channels per population",
                ));
            }
            for c in &p.channels {
                c.validate()?;
            }
            p.model.as_dyn().validate(self.dt, &p.channels)?;
            if let Some(d) = &p.depression {
                d.validate(self.dt)?;
            }
            match p.init {
                Init::Uniform { lo, hi } if !(lo.is_finite() && hi.is_finite() && lo <= hi) => {
                    return Err(invalid("init", lo, "finite lo <= hi"));
                }
                Init::Value { v } if v == f64::NEG_INFINITY && matches!(p.model, Model::Qif(_)) => {
                }
                Init::Value { v } if !v.is_finite() => {
                    return Err(invalid("init", v, "finite (-inf: the QIF's reset)"));
                }
                _ => {}
            }
        }
        for s in &self.sources {
            s.validate()?;
        }
        if self.projections.len() >= 1 << 20 {
            return Err(invalid(
                "projections",
                self.projections.len() as f64,
                "< 2^20",
            ));
        }
        for pr in &self.projections {
            let post = self
                .populations
                .get(pr.post)
                .ok_or_else(|| invalid("projection post", pr.post as f64, "a population"))?;
            if pr.channel >= post.channels.len() {
                return Err(invalid(
                    "projection channel",
                    pr.channel as f64,
                    "a channel of the postsynaptic population",
                ));
            }
            let n_pre = self.pre_size(pr.pre).ok_or_else(|| {
                invalid("projection pre", 0.0, "an existing population or source")
            })?;
            if !pr.weight.is_finite() {
                return Err(invalid("weight", pr.weight, "finite"));
            }
            if pr.depressed
                && !matches!(pr.pre, Pre::Population(q) if self.populations[q].depression.is_some())
            {
                return Err(SimError::Unsupported(
                    "a depressed projection needs a presynaptic population with depression".into(),
                ));
            }
            if post.model.as_dyn().timed() {
                let timed_pre = matches!(pr.pre, Pre::Population(q) if self.populations[q].model.as_dyn().timed());
                let delayed = match pr.delay {
                    Delay::Fixed { d } => (d / self.dt).round() > 0.0,
                    Delay::Uniform { max, .. } => (max / self.dt).round() > 0.0,
                };
                if timed_pre && delayed {
                    return Err(SimError::Unsupported(
                        "spikes timed inside the step (LIF timed scheme) reach timed targets with delay 0 only".into(),
                    ));
                }
            }
            let (lo, hi) = match pr.delay {
                Delay::Fixed { d } => (d, d),
                Delay::Uniform { min, max } => (min, max),
            };
            if !(lo >= 0.0 && lo <= hi && hi / self.dt < 65535.0) {
                return Err(invalid("delay", hi, "0 <= min <= max < 65535 dt"));
            }
            match &pr.graph {
                Graph::ErdosRenyi { p, .. } if !(0.0..=1.0).contains(p) => {
                    return Err(invalid("p", *p, "0 <= p <= 1"));
                }
                Graph::FixedInDegree { k, self_pairs } => {
                    let avail =
                        n_pre - usize::from(!self_pairs && pr.pre == Pre::Population(pr.post));
                    if *k > avail {
                        return Err(invalid(
                            "k",
                            *k as f64,
                            "k <= the presynaptic population (minus self)",
                        ));
                    }
                }
                Graph::PartiallySymmetric { .. } if pr.pre != Pre::Population(pr.post) => {
                    return Err(SimError::Unsupported(
                        "a partially symmetric projection maps a population onto itself".into(),
                    ));
                }
                Graph::Rows(r)
                    if r.rows() != post.n || r.pre.iter().any(|&j| j as usize >= n_pre) =>
                {
                    return Err(SimError::Format(format!(
                        "given rows: {} rows (want {}), indices must be below {n_pre}",
                        r.rows(),
                        post.n
                    )));
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Size of a presynaptic population or source.
    pub fn pre_size(&self, pre: Pre) -> Option<usize> {
        match pre {
            Pre::Population(p) => self.populations.get(p).map(|x| x.n),
            Pre::Source(s) => self.sources.get(s).map(|x| x.n),
        }
    }

    /// Expected number of synapses (for memory checks before building).
    pub fn expected_synapses(&self) -> f64 {
        self.projections
            .iter()
            .map(|pr| {
                let n_post = self.populations[pr.post].n as f64;
                let n_pre = self.pre_size(pr.pre).unwrap_or(0) as f64;
                match &pr.graph {
                    Graph::ErdosRenyi { p, .. } | Graph::PartiallySymmetric { p, .. } => {
                        p * n_post * n_pre
                    }
                    Graph::FixedInDegree { k, .. } => *k as f64 * n_post,
                    Graph::Rows(r) => r.synapses() as f64,
                }
            })
            .sum()
    }
}

/// One chunk of a population: neurons `lo..hi` of population `pop`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChunkInfo {
    pub pop: usize,
    pub lo: usize,
    pub hi: usize,
}

impl ChunkInfo {
    pub fn len(&self) -> usize {
        self.hi - self.lo
    }
    pub fn is_empty(&self) -> bool {
        self.hi == self.lo
    }
}

/// One projection's synapses ([module docs](self)): the targets, local to chunk
/// `first_chunk + i`, of presynaptic neuron j are `targets[a..b]` with `(a, b) =
/// range(j, i)`, ascending; with per-synapse delays, `delays[a..b]` are theirs.
#[derive(Clone, Debug, Default)]
pub struct Fanout {
    pub projection: usize,
    /// The first chunk of the post population, and how many it has.
    pub first_chunk: usize,
    pub chunks: usize,
    /// `offsets[j * chunks + i]`: where the list of (j, chunk i) starts; the next entry is
    /// where it ends (`n_pre * chunks + 1` entries).
    pub offsets: Vec<u32>,
    pub targets: Vec<u16>,
    /// Per-synapse delays in steps (empty when the projection has one delay).
    pub delays: Vec<u16>,
    /// The projection's delay in steps when it has one.
    pub delay: u16,
}

impl Fanout {
    /// The list of presynaptic neuron j in the post population's chunk i (0-based within
    /// the population): `targets[a..b]`.
    #[inline(always)]
    pub fn range(&self, j: usize, i: usize) -> (usize, usize) {
        let at = j * self.chunks + i;
        (self.offsets[at] as usize, self.offsets[at + 1] as usize)
    }
}

/// A built network.
pub struct Network {
    pub spec: Spec,
    pub seed: u64,
    pub chunks: Vec<ChunkInfo>,
    /// One per projection, in the spec's order.
    pub fanouts: Vec<Fanout>,
    /// `onto[c]`: the projections onto chunk c, in order.
    pub onto: Vec<Vec<usize>>,
    /// First chunk of each population (`chunks` lists populations in order).
    pub first_chunk: Vec<usize>,
    /// Longest delay in steps.
    pub max_delay: usize,
}

impl Network {
    /// Draw the network of `spec` from `seed` (rows in parallel, merged in order: the network
    /// depends on the seed only).
    pub fn build(spec: &Spec, seed: u64) -> Result<Network, SimError> {
        spec.validate()?;
        // While a projection is built: its rows as u32 (4 bytes per synapse; the per-row
        // vectors are freed as they are flattened), beside the fan-outs (2 bytes per synapse,
        // 4 with per-synapse delays). Measured: 6.1 GB peak for 1e9 synapses (README).
        let (mut largest, mut kept) = (0.0f64, 0.0);
        for pr in &spec.projections {
            let one = Spec {
                projections: vec![pr.clone()],
                ..spec.clone()
            }
            .expected_synapses();
            largest = largest.max(one);
            let per_synapse = match pr.delay {
                Delay::Fixed { .. } => 2.0,
                Delay::Uniform { .. } => 4.0,
            };
            kept += one * per_synapse;
        }
        crate::budget::ensure_memory("the network's synapses", 4.4 * largest + 1.1 * kept)?;
        let mut chunks = Vec::new();
        let mut first_chunk = Vec::new();
        let chunk = chunk_size(spec.populations.iter().map(|p| p.n).sum());
        for (p, pop) in spec.populations.iter().enumerate() {
            first_chunk.push(chunks.len());
            let k = pop.n.div_ceil(chunk);
            let size = pop.n.div_ceil(k);
            let mut lo = 0;
            while lo < pop.n {
                let hi = (lo + size).min(pop.n);
                chunks.push(ChunkInfo { pop: p, lo, hi });
                lo = hi;
            }
        }
        let mut fanouts = Vec::with_capacity(spec.projections.len());
        let mut onto: Vec<Vec<usize>> = vec![Vec::new(); chunks.len()];
        let mut max_delay = 0usize;
        for (k, pr) in spec.projections.iter().enumerate() {
            let rows = draw_rows(spec, k, pr, seed)?;
            let n_pre = spec.pre_size(pr.pre).unwrap_or(0);
            let (dmin, dmax) = match pr.delay {
                Delay::Fixed { d } => (d, d),
                Delay::Uniform { min, max } => (min, max),
            };
            let (smin, smax) = (
                (dmin / spec.dt).round() as usize,
                (dmax / spec.dt).round() as usize,
            );
            max_delay = max_delay.max(smax);
            let c0 = first_chunk[pr.post];
            let nc = spec.populations[pr.post].n.div_ceil(chunk);
            let f = fanout(
                &rows,
                &chunks[c0..c0 + nc],
                n_pre,
                k,
                smax > smin,
                (smin, smax),
                seed,
            )?;
            fanouts.push(Fanout {
                first_chunk: c0,
                delay: smin as u16,
                ..f
            });
            for list in &mut onto[c0..c0 + nc] {
                list.push(k);
            }
        }
        Ok(Network {
            spec: spec.clone(),
            seed,
            chunks,
            fanouts,
            onto,
            first_chunk,
            max_delay,
        })
    }

    /// Number of synapses.
    pub fn synapses(&self) -> usize {
        self.fanouts.iter().map(|f| f.targets.len()).sum()
    }

    /// Bytes held by the connectivity (targets, offsets, per-synapse delays).
    pub fn connectivity_bytes(&self) -> usize {
        self.fanouts
            .iter()
            .map(|f| 2 * f.targets.len() + 4 * f.offsets.len() + 2 * f.delays.len())
            .sum()
    }

    /// The chunks of population p.
    pub fn population_chunks(&self, p: usize) -> std::ops::Range<usize> {
        let end = self
            .first_chunk
            .get(p + 1)
            .copied()
            .unwrap_or(self.chunks.len());
        self.first_chunk[p]..end
    }

    /// The presynaptic partners of neuron i of population `post` through projection k,
    /// ascending (the rows the network was drawn from; for tests and export).
    pub fn rows(&self, k: usize) -> Rows {
        let pr = &self.spec.projections[k];
        let n_pre = self.spec.pre_size(pr.pre).unwrap_or(0);
        let f = &self.fanouts[k];
        let mut rows: Vec<Vec<u32>> = Vec::new();
        for (i, c) in self.population_chunks(pr.post).enumerate() {
            let info = self.chunks[c];
            let mut local = vec![Vec::new(); info.len()];
            for j in 0..n_pre {
                let (a, b) = f.range(j, i);
                for &t in &f.targets[a..b] {
                    local[t as usize].push(j as u32);
                }
            }
            rows.extend(local);
        }
        let mut offsets = vec![0];
        let mut pre = Vec::new();
        for r in rows {
            pre.extend(r);
            offsets.push(pre.len());
        }
        Rows { offsets, pre }
    }
}

/// Rows (postsynaptic neuron -> presynaptic partners) of projection k.
fn draw_rows(spec: &Spec, k: usize, pr: &Projection, seed: u64) -> Result<Rows, SimError> {
    let n_post = spec.populations[pr.post].n;
    let n_pre = spec.pre_size(pr.pre).unwrap_or(0);
    let onto_itself = pr.pre == Pre::Population(pr.post);
    match &pr.graph {
        Graph::ErdosRenyi { p, self_pairs } => crate::graphs::erdos_renyi_streams(
            n_post,
            n_pre,
            *p,
            onto_itself,
            *self_pairs,
            seed,
            |i| streams::projection(k, i),
        ),
        Graph::FixedInDegree { k: kin, self_pairs } => {
            let rows: Vec<Vec<u32>> = (0..n_post)
                .into_par_iter()
                .map_init(Vec::new, |seen, i| {
                    let mut rng = ChaCha8Rng::seed_from_u64(seed);
                    rng.set_stream(streams::projection(k, i));
                    let skip = (onto_itself && !self_pairs).then_some(i);
                    crate::connectivity::draw_row(&mut rng, n_pre, *kin, skip, seen)
                })
                .collect();
            Ok(Rows::from_rows(rows))
        }
        Graph::PartiallySymmetric { p, q } => {
            crate::graphs::partially_symmetric(n_post, *p, *q, seed)
        }
        Graph::Rows(r) => Ok(r.clone()),
    }
}

/// Transpose the rows of one projection into its fan-out table ([`Fanout`]): the lists of
/// each chunk are counted and filled by one task per chunk (in parallel), each writing only
/// its own (j, chunk) ranges.
fn fanout(
    rows: &Rows,
    chunks: &[ChunkInfo],
    n_pre: usize,
    k: usize,
    per_synapse: bool,
    (smin, smax): (usize, usize),
    seed: u64,
) -> Result<Fanout, SimError> {
    let nc = chunks.len();
    // First the number of synapses of each (j, chunk i), at offsets[j * nc + i + 1]; then
    // their running sum.
    let mut offsets = vec![0u32; n_pre * nc + 1];
    let counts = Shared(offsets.as_mut_ptr());
    chunks.par_iter().enumerate().for_each(|(ci, info)| {
        let counts = &counts;
        for i in info.lo..info.hi {
            for &j in rows.row(i) {
                // SAFETY: j < n_pre (drawn rows index the presynaptic population; given rows
                // are checked by `Spec::validate`), so the element is inside the allocation;
                // only this task writes the elements of chunk ci.
                unsafe { *counts.0.add(j as usize * nc + ci + 1) += 1 };
            }
        }
    });
    let mut total: u64 = 0;
    for o in offsets.iter_mut().skip(1) {
        total += *o as u64;
        if total > u32::MAX as u64 {
            return Err(SimError::TooLarge {
                what: "synapses in one projection".into(),
                need: format!("more than {}", u32::MAX),
                limit: format!("{}", u32::MAX),
            });
        }
        *o = total as u32;
    }
    let mut targets = vec![0u16; total as usize];
    let mut delays = if per_synapse {
        vec![0u16; total as usize]
    } else {
        Vec::new()
    };
    let out = Shared(targets.as_mut_ptr());
    let out_d = Shared(delays.as_mut_ptr());
    let offsets_ref = &offsets;
    chunks.par_iter().enumerate().for_each(|(ci, info)| {
        let (out, out_d) = (&out, &out_d);
        let mut fill: Vec<u32> = (0..n_pre).map(|j| offsets_ref[j * nc + ci]).collect();
        for i in info.lo..info.hi {
            // Delays are drawn per row (postsynaptic neuron), in the row's order.
            let mut drng = per_synapse.then(|| {
                let mut r = ChaCha8Rng::seed_from_u64(seed);
                r.set_stream(streams::projection_delays(k, i));
                r
            });
            for &j in rows.row(i) {
                let at = fill[j as usize] as usize;
                debug_assert!(at < offsets_ref[j as usize * nc + ci + 1] as usize);
                // SAFETY: `at` lies in the range of (j, chunk ci), which only this task
                // writes, and inside the allocation: the ranges partition 0..total (counted
                // from the same rows above), and `fill` stays inside its range.
                unsafe {
                    *out.0.add(at) = (i - info.lo) as u16;
                    if let Some(r) = drng.as_mut() {
                        *out_d.0.add(at) = r.random_range(smin..=smax) as u16;
                    }
                }
                fill[j as usize] += 1;
            }
        }
    });
    Ok(Fanout {
        projection: k,
        first_chunk: 0,
        chunks: nc,
        offsets,
        targets,
        delays,
        delay: smin as u16,
    })
}

/// A pointer written by several tasks at disjoint places ([`fanout`]).
struct Shared<T>(*mut T);
// SAFETY: the tasks of `fanout` write disjoint elements and nothing reads them meanwhile.
unsafe impl<T> Sync for Shared<T> {}
