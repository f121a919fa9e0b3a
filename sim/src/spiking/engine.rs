//! The run loop of the spiking engine: one step for every chunk, in parallel, with one
//! barrier per step.
//!
//! Step n, for every chunk a thread owns:
//! 1. add the arrivals due in step n from the chunk's ring buffer into the state (a channel's
//!    variable, or V for a delta channel) and clear their slot;
//! 2. deliver the spikes of step n - 1 (of every population, in neuron order, and of every
//!    source) through the chunk's fan-outs: over a synapse of delay 0 straight into the
//!    target's state, over a delay of d > 0 steps into the ring slot of step n + d (R - 1
//!    slots for the longest delay R - 1, `ring_slot`);
//! 3. advance the neurons (the model's step);
//! 4. record (observers), publish the chunk's spikes for step n + 1.
//!
//! Then all threads meet at a barrier. Chunks go to threads largest first onto the least
//! loaded thread; the spike lists
//! live on a board with one list per chunk and parity of n, written only by the chunk's owner
//! in step n and read by everyone in step n + 1 (the barrier in between orders the two).
//! Every target sums its arrivals in the order of the presynaptic spikes, the same on any
//! thread count, so a seed gives the same bits on 1, 2 or 16 threads.

use std::cell::UnsafeCell;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::aligned::AlignedVec;
use super::input::{PoissonCursor, SourceState};
use super::network::{Fanout, Init, Network, Pre};
use super::neuron::{ChunkState, Spikes, StepInput};
use super::observe::{ChunkObs, Grid, Observe, Sampling};
use crate::error::SimError;
use crate::streams;

/// How long to run and what to record.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunSpec {
    /// Duration (the model's time unit).
    pub t: f64,
    pub observe: Observe,
}

/// One chunk's mutable state.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ChunkRun {
    pub state: ChunkState,
    /// Ring buffer per channel, slot-major (`ring[c][slot * len + k]`).
    pub ring: Vec<Vec<f64>>,
    pub rng: ChaCha8Rng,
    pub obs: ChunkObs,
    /// The chunk's spikes of the last step done.
    pub last_spikes: Spikes,
}

/// A run of a [`Network`]: everything that changes, so that it can be saved and resumed.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SpikingRun {
    pub spec: RunSpec,
    /// The network's time step.
    pub dt: f64,
    pub grid: Grid,
    pub step: u64,
    pub chunks: Vec<ChunkRun>,
    pub sources: Vec<SourceState>,
    /// External constant drive per population, added to dV/dt ([`SpikingRun::set_drive`]).
    pub drive: Vec<f64>,
    /// The seed of the run's own randomness (initial state, noise, input trains).
    pub seed: u64,
    /// Threads are added only while each gets at least this much estimated work per step
    /// (seconds, from [`super::neuron::NeuronModel::step_cost`]; 0: as many threads as rayon's pool and the
    /// chunks allow). Never changes results.
    #[serde(skip, default = "default_work_per_thread")]
    pub work_per_thread: f64,
}

/// Each thread costs a barrier per step (about 1 us on this project's 2-core machine), so a
/// thread must bring at least this much work per step. Measured: the LIF network of Eqs.
/// 62-64 at N = 5000 (a 2 us step) ran 2.3 ms per tau_m on one thread and 3.3 ms on two;
/// paper 002's EIF network at N = 15000 (about 150 us per step) 1.9-2.0 times faster on two.
pub const WORK_PER_THREAD: f64 = 10e-6;

fn default_work_per_thread() -> f64 {
    WORK_PER_THREAD
}

impl SpikingRun {
    /// A fresh run of `net` whose own randomness (initial potentials, white noise, input
    /// trains) comes from the network's seed: [`SpikingRun::new_seeded`] with `net.seed`.
    pub fn new(net: &Network, spec: RunSpec) -> Result<SpikingRun, SimError> {
        SpikingRun::new_seeded(net, spec, net.seed)
    }

    /// A fresh run of `net` with its own `seed` for the initial potentials (each population's
    /// [`Init`], stream [`streams::population_init`]), the chunks' white noise and the input
    /// trains: trials on one network. Synaptic variables start at 0, drives at 0.
    pub fn new_seeded(net: &Network, spec: RunSpec, seed: u64) -> Result<SpikingRun, SimError> {
        let dt = net.spec.dt;
        let total = crate::budget::steps("t", spec.t, dt)?;
        if total == 0 {
            return Err(SimError::Invalid {
                name: "t",
                value: spec.t,
                range: "at least one step",
            });
        }
        let grid = Grid::new(&spec.observe, dt, total)?;
        let r = net.max_delay + 1;
        let mut per_neuron = 0.0;
        for p in &net.spec.populations {
            let ch = p.channels.len() as f64;
            per_neuron += p.n as f64 * (8.0 * (1.0 + ch + r as f64 * ch) + 40.0);
            per_neuron += p.n as f64 * 2.0 * grid.windows() as f64;
        }
        crate::budget::ensure_memory("the network's state", per_neuron)?;
        let mut chunks = Vec::with_capacity(net.chunks.len());
        for (p, pop) in net.spec.populations.iter().enumerate() {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            rng.set_stream(streams::population_init(p));
            for c in net.population_chunks(p) {
                let len = net.chunks[c].len();
                let v: Vec<f64> = (0..len)
                    .map(|_| match pop.init {
                        Init::Uniform { lo, hi } => lo + (hi - lo) * rng.random::<f64>(),
                        Init::Value { v } => v,
                    })
                    .collect();
                let syn = pop
                    .channels
                    .iter()
                    .map(|s| {
                        if s.has_state() {
                            AlignedVec::filled(0.0, len)
                        } else {
                            AlignedVec::default()
                        }
                    })
                    .collect();
                let mut noise = ChaCha8Rng::seed_from_u64(seed);
                noise.set_stream(streams::chunk_noise(c));
                let depressed = pop.depression.is_some();
                let info = net.chunks[c];
                chunks.push(ChunkRun {
                    state: ChunkState {
                        v: v.into(),
                        syn,
                        refractory: vec![0.0; len],
                        w: if depressed {
                            vec![1.0; len]
                        } else {
                            Vec::new()
                        },
                        w_t: if depressed {
                            vec![0.0; len]
                        } else {
                            Vec::new()
                        },
                    },
                    ring: vec![vec![0.0; (r - 1) * len]; pop.channels.len()],
                    rng: noise,
                    obs: ChunkObs::new(&spec.observe, &grid, info, pop.channels.len()),
                    last_spikes: Spikes::default(),
                });
            }
        }
        let sources = net
            .spec
            .sources
            .iter()
            .enumerate()
            .map(|(s, src)| SourceState::new(src, s, seed, dt, total))
            .collect::<Result<_, _>>()?;
        Ok(SpikingRun {
            spec,
            dt,
            grid,
            step: 0,
            chunks,
            sources,
            drive: vec![0.0; net.spec.populations.len()],
            seed,
            work_per_thread: WORK_PER_THREAD,
        })
    }

    /// Set the external constant drive of population `p` (added to dV/dt from the next
    /// step on: a piecewise-constant input protocol).
    pub fn set_drive(&mut self, p: usize, drive: f64) -> Result<(), SimError> {
        if !drive.is_finite() || p >= self.drive.len() {
            return Err(SimError::Invalid {
                name: "drive",
                value: drive,
                range: "finite, for an existing population",
            });
        }
        self.drive[p] = drive;
        Ok(())
    }

    /// Start the observers afresh from the current step: rates, CVs, counts and inputs
    /// measure from here on (V statistics from here or from `v_on` if later). For protocols
    /// measured per segment.
    pub fn restart_observers(&mut self, net: &Network) -> Result<(), SimError> {
        let dt = self.dt;
        let mut o = self.spec.observe.clone();
        o.t_on = self.step as f64 * dt;
        o.v_on = o.v_on.max(o.t_on);
        let mut grid = Grid::new(&o, dt, self.grid.total)?;
        grid.on = self.step;
        grid.v_on = grid.v_on.max(self.step);
        for (c, ch) in self.chunks.iter_mut().enumerate() {
            let info = net.chunks[c];
            let nch = net.spec.populations[info.pop].channels.len();
            ch.obs = ChunkObs::new(&o, &grid, info, nch);
        }
        self.grid = grid;
        Ok(())
    }

    pub fn total_steps(&self) -> u64 {
        self.grid.total
    }

    /// Advance to step `until` (at most the total) on `rayon::current_num_threads()` threads at
    /// most, one per chunk at most, and one per [`SpikingRun::work_per_thread`] of estimated
    /// work per step.
    pub fn advance_to(&mut self, net: &Network, until: u64) -> Result<(), SimError> {
        let until = until.min(self.grid.total);
        if until <= self.step {
            return Ok(());
        }
        let work: f64 = net
            .spec
            .populations
            .iter()
            .map(|p| p.n as f64 * p.model.as_dyn().step_cost())
            .sum();
        let by_work = if self.work_per_thread > 0.0 {
            ((work / self.work_per_thread) as usize).max(1)
        } else {
            usize::MAX
        };
        let threads = rayon::current_num_threads()
            .min(by_work)
            .clamp(1, net.chunks.len());
        // Chunks to threads, largest first onto the least loaded thread (any assignment
        // gives the same bits: every target sums its arrivals in spike order).
        let mut order: Vec<usize> = (0..net.chunks.len()).collect();
        order.sort_by_key(|&c| (std::cmp::Reverse(net.chunks[c].len()), c));
        let mut load = vec![0usize; threads];
        let mut owner = vec![0usize; net.chunks.len()];
        for c in order {
            let t = (0..threads).min_by_key(|&t| (load[t], t)).unwrap_or(0);
            load[t] += net.chunks[c].len();
            owner[c] = t;
        }
        let mut mine: Vec<Vec<(usize, &mut ChunkRun)>> = (0..threads).map(|_| Vec::new()).collect();
        let board = Board::new(&self.chunks, self.step);
        let barrier = SpinBarrier::new(threads);
        let failed = AtomicU64::new(u64::MAX);
        let start = self.step;
        let grid = self.grid;
        let spec = &self.spec;
        let sources = &self.sources;
        let drive = &self.drive;
        for (c, ch) in self.chunks.iter_mut().enumerate() {
            mine[owner[c]].push((c, ch));
        }
        let cursor_states: Vec<Option<SourceState>> = std::thread::scope(|scope| {
            let mut handles = Vec::new();
            let mut first = None;
            for (t, chunks) in mine.into_iter().enumerate() {
                let ctx = Worker {
                    net,
                    spec,
                    grid,
                    sources,
                    drive,
                    board: &board,
                    barrier: &barrier,
                    failed: &failed,
                };
                if t == 0 {
                    first = Some((ctx, chunks));
                } else {
                    handles.push(scope.spawn(move || ctx.run(chunks, start, until)));
                }
            }
            let (ctx, chunks) = first.expect("at least one thread");
            let states = ctx.run(chunks, start, until);
            for h in handles {
                // A panic in a worker is a bug; pass it on.
                if let Err(e) = h.join() {
                    std::panic::resume_unwind(e);
                }
            }
            states
        });
        let f = failed.load(Ordering::SeqCst);
        // Spikes of the last step done go back into the chunks.
        let last = if f == u64::MAX { until } else { f + 1 };
        board.take_last(&mut self.chunks, last);
        for (s, st) in cursor_states.into_iter().enumerate() {
            if let Some(st) = st {
                self.sources[s] = st;
            }
        }
        if f != u64::MAX {
            self.step = f + 1;
            let (c, k, v) = find_divergent(&self.chunks, net);
            return Err(SimError::Diverged {
                t: (f + 1) as f64 * net.spec.dt,
                step: f,
                what: format!(
                    "V = {v} in neuron {k} of population {}",
                    net.spec.populations[net.chunks[c].pop].name
                ),
            });
        }
        self.step = until;
        Ok(())
    }
}

/// `slot[t] += w` for every t of `targets`: the hot loop of delivery (one event per
/// synapse).
#[inline(always)]
fn scatter_add(slot: &mut [f64], targets: &[u16], w: f64) {
    // Every list is ascending (`network::fanout` fills it in target order), so its last
    // element is its largest: one check per list, none in the loop.
    let Some(&max) = targets.last() else {
        return;
    };
    assert!((max as usize) < slot.len(), "target beyond its chunk");
    debug_assert!(targets.windows(2).all(|p| p[0] < p[1]));
    for &t in targets {
        // SAFETY: t <= max < slot.len() (asserted above; the list is ascending).
        unsafe {
            *slot.get_unchecked_mut(t as usize) += w;
        }
    }
}

/// `x[t] += a` and `v[t] += b` for every t of `targets` (a timed arrival on a current
/// channel: one pass over the list).
#[inline(always)]
fn scatter_add2(x: &mut [f64], v: &mut [f64], targets: &[u16], a: f64, b: f64) {
    let Some(&max) = targets.last() else {
        return;
    };
    assert!(
        (max as usize) < x.len() && (max as usize) < v.len(),
        "target beyond its chunk"
    );
    for &t in targets {
        // SAFETY: t <= max < both lengths (asserted above; the list is ascending).
        unsafe {
            *x.get_unchecked_mut(t as usize) += a;
            *v.get_unchecked_mut(t as usize) += b;
        }
    }
}

/// Delivery asks for the fan-out list of the spike this many spikes ahead while it delivers
/// the current one, so that the list's first lines arrive while the current list is written
/// (the lists lie at random places of a large array). This replaced a separate pass over all
/// of a step's lists before delivery, which a profile of the LIF network of Eqs. 62-64
/// (N = 5000, about one spike per step, nothing to overlap) charged 3.5 % of the run; with
/// the fan-outs side by side per spike ([`super::network`]) paper 002's N = 15000 network ran
/// 10-25 % faster than with tables per chunk and the pass (README, spiking engine).
const PREFETCH_AHEAD: usize = 2;

/// Ask the CPU to fetch the first 256 bytes of neuron j's list onto chunk i of the fan-out `f` (no effect
/// elsewhere than on x86_64; never faults).
#[inline(always)]
fn prefetch_list(f: &Fanout, j: usize, i: usize) {
    #[cfg(target_arch = "x86_64")]
    if let Some(&at) = f.offsets.get(j * f.chunks + i)
        && (at as usize) < f.targets.len()
    {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        let p = f.targets[at as usize..].as_ptr() as *const i8;
        for line in 0..4 {
            // SAFETY: prefetching is a hint; it never faults, even past the end.
            unsafe { _mm_prefetch::<_MM_HINT_T0>(p.wrapping_add(64 * line)) };
        }
    }
}

/// The ring slot of the arrivals due in step m. In step n the ring holds arrivals due in
/// steps n ..= n + R - 2 before slot n is emptied, and n + 1 ..= n + R - 1 after: R - 1
/// consecutive steps, distinct modulo R - 1.
#[inline(always)]
fn ring_slot(m: u64, r: u64) -> usize {
    (m % (r - 1)) as usize
}

fn find_divergent(chunks: &[ChunkRun], net: &Network) -> (usize, usize, f64) {
    for (c, ch) in chunks.iter().enumerate() {
        for (k, &v) in ch.state.v.iter().enumerate() {
            if v.is_nan() || v == f64::INFINITY {
                return (c, net.chunks[c].lo + k, v);
            }
        }
    }
    (0, 0, f64::NAN)
}

/// Spike lists per chunk and parity of the step (module docs).
struct Board {
    lists: Vec<[UnsafeCell<Spikes>; 2]>,
}

// SAFETY: list (c, n mod 2) is written only by the owner of chunk c during step n and read by
// all threads only during step n + 1; a barrier separates consecutive steps (its atomics
// give the happens-before edge), so no list is read and written at once.
unsafe impl Sync for Board {}

impl Board {
    fn new(chunks: &[ChunkRun], step: u64) -> Board {
        let lists = chunks
            .iter()
            .map(|c| {
                let prev = c.last_spikes.clone();
                if step % 2 == 1 {
                    [UnsafeCell::new(prev), UnsafeCell::new(Spikes::default())]
                } else {
                    [UnsafeCell::new(Spikes::default()), UnsafeCell::new(prev)]
                }
            })
            .collect();
        Board { lists }
    }
    /// The spikes of chunk c in step n (to read in step n + 1).
    ///
    /// # Safety
    /// Only during step n + 1 (module docs).
    unsafe fn read(&self, c: usize, n: u64) -> &Spikes {
        unsafe { &*self.lists[c][(n % 2) as usize].get() }
    }
    /// # Safety
    /// Only by the owner of chunk c during step n.
    #[allow(clippy::mut_from_ref)]
    unsafe fn write(&self, c: usize, n: u64) -> &mut Spikes {
        unsafe { &mut *self.lists[c][(n % 2) as usize].get() }
    }
    fn take_last(&self, chunks: &mut [ChunkRun], steps_done: u64) {
        if steps_done == 0 {
            return;
        }
        for (c, ch) in chunks.iter_mut().enumerate() {
            // SAFETY: all workers have ended.
            ch.last_spikes =
                unsafe { (*self.lists[c][((steps_done - 1) % 2) as usize].get()).clone() };
        }
    }
}

/// A barrier that spins briefly, then sleeps on a condition variable: with as many threads as
/// cores a step's wait is a few hundred nanoseconds of spinning; with more threads than cores
/// (tests run side by side, 16 threads on 2 cores) waiting threads give their core away.
///
/// A worker that panics poisons the barrier on its way out ([`PoisonOnPanic`]): every wait
/// then returns at once and the workers stop, so the panic reaches the caller instead of
/// leaving the others waiting for ever.
struct SpinBarrier {
    n: usize,
    count: AtomicUsize,
    generation: AtomicUsize,
    poisoned: AtomicBool,
    lock: std::sync::Mutex<()>,
    wake: std::sync::Condvar,
}

/// Poisons the barrier if dropped while its thread panics.
struct PoisonOnPanic<'a>(&'a SpinBarrier);

impl Drop for PoisonOnPanic<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.poison();
        }
    }
}

impl SpinBarrier {
    fn new(n: usize) -> SpinBarrier {
        SpinBarrier {
            n,
            count: AtomicUsize::new(0),
            generation: AtomicUsize::new(0),
            poisoned: AtomicBool::new(false),
            lock: std::sync::Mutex::new(()),
            wake: std::sync::Condvar::new(),
        }
    }
    fn wait(&self) {
        if self.n == 1 {
            return;
        }
        let gen_now = self.generation.load(Ordering::Acquire);
        if self.count.fetch_add(1, Ordering::AcqRel) + 1 == self.n {
            self.count.store(0, Ordering::Relaxed);
            // Under the lock, so that a thread about to sleep cannot miss the wake-up.
            let _guard = self.lock.lock().unwrap_or_else(|e| e.into_inner());
            self.generation.fetch_add(1, Ordering::Release);
            self.wake.notify_all();
            return;
        }
        for _ in 0..4000 {
            if self.generation.load(Ordering::Acquire) != gen_now || self.is_poisoned() {
                return;
            }
            std::hint::spin_loop();
        }
        let mut guard = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        while self.generation.load(Ordering::Acquire) == gen_now && !self.is_poisoned() {
            guard = self.wake.wait(guard).unwrap_or_else(|e| e.into_inner());
        }
    }
    fn poison(&self) {
        self.poisoned.store(true, Ordering::Release);
        let _guard = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        self.wake.notify_all();
    }
    fn is_poisoned(&self) -> bool {
        self.poisoned.load(Ordering::Acquire)
    }
}

/// What a worker thread shares.
#[derive(Clone, Copy)]
struct Worker<'a> {
    net: &'a Network,
    spec: &'a RunSpec,
    grid: Grid,
    sources: &'a [SourceState],
    drive: &'a [f64],
    board: &'a Board,
    barrier: &'a SpinBarrier,
    failed: &'a AtomicU64,
}

impl Worker<'_> {
    /// Steps `start..until` of the chunks `mine` (global index, state); returns the Poisson
    /// sources' positions.
    fn run(
        self,
        mut mine: Vec<(usize, &mut ChunkRun)>,
        start: u64,
        until: u64,
    ) -> Vec<Option<SourceState>> {
        let _poison = PoisonOnPanic(self.barrier);
        let net = self.net;
        let dt = net.spec.dt;
        let r = (net.max_delay + 1) as u64;
        // Per population: the model's step constants and the depression recovery rate.
        let prepared: Vec<Vec<f64>> = net
            .spec
            .populations
            .iter()
            .zip(self.drive)
            .map(|(p, &d)| p.model.as_dyn().prepare(dt, &p.channels, d))
            .collect();
        let w_rates: Vec<Option<f64>> = net
            .spec
            .populations
            .iter()
            .map(|p| p.depression.map(|d| d.rate(dt)))
            .collect();
        let mut cursors: Vec<Option<PoissonCursor>> = self
            .sources
            .iter()
            .zip(&net.spec.sources)
            .map(|(st, src)| PoissonCursor::new(st, src, dt))
            .collect();
        let mut src_lists: Vec<Vec<u32>> = vec![Vec::new(); self.sources.len()];
        // (pre, post population, channel), the step they are for, the jumps of each timed
        // spike of that step.
        type Key = (usize, usize, usize);
        type Jumps = Vec<(f64, f64)>;
        let mut arrivals: Vec<(Key, u64, Jumps)> = Vec::new();
        for n in start..until {
            // The sources' spikes of step n - 1.
            for (s, list) in src_lists.iter_mut().enumerate() {
                list.clear();
                if n == 0 {
                    continue;
                }
                match (&mut cursors[s], &self.sources[s]) {
                    (Some(c), _) => c.next_step(list),
                    (None, SourceState::Drawn { offsets, trains }) => {
                        let m = (n - 1) as usize;
                        list.extend_from_slice(
                            &trains[offsets[m] as usize..offsets[m + 1] as usize],
                        );
                    }
                    (None, SourceState::Poisson { .. }) => unreachable!("cursor built above"),
                }
            }
            let tick = self.grid.tick(n);
            for (c, ch) in mine.iter_mut() {
                let c = *c;
                let info = net.chunks[c];
                let len = info.len();
                let pop = &net.spec.populations[info.pop];
                let nch = pop.channels.len();
                // 1. Arrivals due in step n (delays > 0), from the ring into the state; its slot is
                // then free for the arrivals due in step n + R - 1.
                if r > 1 {
                    let base = ring_slot(n, r) * len;
                    for (k, ring) in ch.ring.iter_mut().enumerate() {
                        let slot = &mut ring[base..base + len];
                        let target: &mut [f64] = if pop.channels[k].has_state() {
                            &mut ch.state.syn[k]
                        } else {
                            &mut ch.state.v
                        };
                        for (x, a) in target.iter_mut().zip(slot.iter_mut()) {
                            *x += *a;
                            *a = 0.0;
                        }
                    }
                }
                // 2. Delivery of step n - 1's spikes: weight w, times the spike's efficacy on
                // a depressed projection; a timed spike onto a timed model arrives as the jumps
                // of `NeuronModel::arrival` (delay 0 only: `Spec::validate`).
                if n > 0 {
                    let model = pop.model.as_dyn();
                    for &proj in &net.onto[c] {
                        let f = &net.fanouts[proj];
                        let ci = c - f.first_chunk;
                        let pr = &net.spec.projections[f.projection];
                        let w = pr.weight;
                        let channel = &pop.channels[pr.channel];
                        let ring = &mut ch.ring[pr.channel];
                        let measuring = n >= self.grid.on;
                        let inputs = &mut ch.obs.inputs[pr.channel];
                        let ChunkState { v, syn, .. } = &mut ch.state;
                        let mut no_v: [f64; 0] = [];
                        let (now, v_now): (&mut [f64], &mut [f64]) = if channel.has_state() {
                            (&mut syn[pr.channel], v)
                        } else {
                            (v, &mut no_v)
                        };
                        let mut deliver = |j: usize, w: f64, fx: f64, fv: f64| {
                            let (a, b) = f.range(j, ci);
                            if measuring {
                                *inputs += w * (b - a) as f64;
                            }
                            if f.delays.is_empty() {
                                let slot = if f.delay == 0 {
                                    &mut now[..len]
                                } else {
                                    let base = ring_slot(n + f.delay as u64, r) * len;
                                    &mut ring[base..base + len]
                                };
                                if fv != 0.0 && f.delay == 0 {
                                    scatter_add2(
                                        &mut now[..len],
                                        &mut v_now[..len],
                                        &f.targets[a..b],
                                        w * fx,
                                        w * fv,
                                    );
                                } else {
                                    scatter_add(slot, &f.targets[a..b], w * fx);
                                }
                            } else {
                                for (&t, &d) in f.targets[a..b].iter().zip(&f.delays[a..b]) {
                                    if d == 0 {
                                        now[t as usize] += w;
                                    } else {
                                        ring[ring_slot(n + d as u64, r) * len + t as usize] += w;
                                    }
                                }
                            }
                        };
                        match pr.pre {
                            Pre::Population(p) => {
                                let timed =
                                    model.timed() && net.spec.populations[p].model.as_dyn().timed();
                                // The jumps of timed spikes, once per step for every chunk of
                                // the target population (three exponentials per spike).
                                let factors: &[(f64, f64)] = if timed {
                                    let key = (p, info.pop, pr.channel);
                                    let at = match arrivals.iter().position(|a| a.0 == key) {
                                        Some(i) => i,
                                        None => {
                                            arrivals.push((key, u64::MAX, Vec::new()));
                                            arrivals.len() - 1
                                        }
                                    };
                                    let (_, done, f) = &mut arrivals[at];
                                    if *done != n {
                                        f.clear();
                                        for pc in net.population_chunks(p) {
                                            // SAFETY: step n reads step n - 1's lists.
                                            let sp = unsafe { self.board.read(pc, n - 1) };
                                            f.extend((0..sp.len()).map(|i| {
                                                model.arrival(channel, dt - sp.time(i, dt))
                                            }));
                                        }
                                        *done = n;
                                    }
                                    &arrivals[at].2
                                } else {
                                    &[]
                                };
                                let mut m = 0;
                                for pc in net.population_chunks(p) {
                                    let lo = net.chunks[pc].lo;
                                    // SAFETY: step n reads step n - 1's lists.
                                    let sp = unsafe { self.board.read(pc, n - 1) };
                                    let ahead = |i: usize| {
                                        if let Some(&k) = sp.idx.get(i) {
                                            prefetch_list(f, lo + k as usize, ci);
                                        }
                                    };
                                    (0..PREFETCH_AHEAD).for_each(ahead);
                                    for (i, &k) in sp.idx.iter().enumerate() {
                                        ahead(i + PREFETCH_AHEAD);
                                        let we = if pr.depressed { w * sp.eff[i] } else { w };
                                        let (fx, fv) =
                                            factors.get(m).copied().unwrap_or((1.0, 0.0));
                                        m += 1;
                                        deliver(lo + k as usize, we, fx, fv);
                                    }
                                }
                            }
                            Pre::Source(s) => {
                                let list = &src_lists[s];
                                let ahead = |i: usize| {
                                    if let Some(&j) = list.get(i) {
                                        prefetch_list(f, j as usize, ci);
                                    }
                                };
                                (0..PREFETCH_AHEAD).for_each(ahead);
                                for (i, &j) in list.iter().enumerate() {
                                    ahead(i + PREFETCH_AHEAD);
                                    deliver(j as usize, w, 1.0, 0.0);
                                }
                            }
                        }
                    }
                }
                debug_assert_eq!(ch.ring.len(), nch);
                // 3. The model's step.
                // SAFETY: only the owner writes chunk c's list in step n.
                let spikes = unsafe { self.board.write(c, n) };
                spikes.clear();
                pop.model.as_dyn().step(
                    StepInput {
                        dt,
                        channels: &pop.channels,
                        rng: &mut ch.rng,
                        drive: self.drive[info.pop],
                        prepared: Some(&prepared[info.pop]),
                    },
                    &mut ch.state,
                    spikes,
                );
                // Depression: each spike carries its neuron's efficacy, which then drops.
                let w_rate = w_rates[info.pop];
                if let (Some(dep), Some(rate)) = (&pop.depression, w_rate) {
                    let t0 = n as f64 * dt;
                    for i in 0..spikes.idx.len() {
                        let k = spikes.idx[i] as usize;
                        let t = t0 + spikes.time(i, dt);
                        let st = &mut ch.state;
                        let e = dep.spike(rate, &mut st.w[k], &mut st.w_t[k], t);
                        spikes.eff.push(e);
                    }
                }
                // 4. Observers; a divergence check every 256 steps.
                ch.obs.record(
                    &self.spec.observe,
                    &self.grid,
                    n,
                    &ch.state,
                    spikes,
                    Sampling {
                        dt,
                        v_th: pop.model.as_dyn().v_threshold(),
                        w_rate,
                        tick,
                    },
                );
                if n % 256 == 255 || n + 1 == until {
                    // NaN or +inf in V (-inf is the theta neuron's reset), NaN or inf in a
                    // synaptic variable: folds without a branch, so that they vectorise.
                    let bad = ch
                        .state
                        .v
                        .iter()
                        .fold(false, |a, &v| a | v.is_nan() | (v == f64::INFINITY))
                        || ch
                            .state
                            .syn
                            .iter()
                            .any(|s| s.iter().fold(false, |a, &g| a | !g.is_finite()));
                    if bad {
                        self.failed.fetch_min(n, Ordering::SeqCst);
                    }
                }
            }
            self.barrier.wait();
            if self.failed.load(Ordering::SeqCst) <= n || self.barrier.is_poisoned() {
                break;
            }
        }
        cursors
            .iter()
            .map(|c| c.as_ref().map(|c| c.state(net.seed)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panicking_worker_releases_the_others() {
        // Two workers; one panics after the first step. Without the poison the other would
        // wait at its second barrier for ever: a watchdog fails the test after 20 s instead.
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let b = SpinBarrier::new(2);
            let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                std::thread::scope(|s| {
                    s.spawn(|| {
                        let _poison = PoisonOnPanic(&b);
                        for _ in 0..3 {
                            b.wait();
                            if b.is_poisoned() {
                                break;
                            }
                        }
                    });
                    let _poison = PoisonOnPanic(&b);
                    b.wait();
                    panic!("a worker's bug");
                })
            }));
            tx.send(outcome.is_err()).ok();
        });
        let panicked = rx
            .recv_timeout(std::time::Duration::from_secs(20))
            .expect("the run hung instead of passing the panic on");
        assert!(panicked, "the panic reaches the caller");
    }
}
