//! External spike sources of the spiking engine: independent Poisson trains and the
//! multiple-interaction process (MIP) with jitter of paper 002.
//!
//! A source of n trains produces, for every step, the sorted list of the trains that spiked
//! in it (a train may appear more than once). Its spikes reach their targets like a
//! population's: emitted during step m, they arrive at the start of step m + 1 + d.
//!
//! * [`Train::Poisson`]: n independent Poisson processes of rate r, generated as their
//!   superposition (rate n r, exponential gaps) with each event given to a train drawn
//!   uniformly: exactly n independent Poisson processes. Generated step by step.
//! * [`Train::Mip`]: a mother Poisson train of rate r / c; each of the n daughters keeps each
//!   mother spike with probability c (so each daughter is Poisson of rate r and the counts of
//!   two daughters in a window much longer than the jitter have correlation c); every kept
//!   spike is moved by a Gaussian of s.d. `jitter`, reflected at 0 and at the end of the run T.
//!   Because of the jitter and the reflection at T the whole train over [0, T) is drawn before
//!   the run (memory: 8 bytes per spike, checked against the machine).
//!
//! With the jitter, the count correlation of two daughters in windows of length W is
//! c (1 - 2 jitter / (sqrt(pi) W)) away from the ends (each edge of the window loses the pairs
//! whose two jittered copies fall on opposite sides: the integral of Phi (1 - Phi) is
//! 1 / sqrt(pi) per unit of jitter); `tests/spiking_inputs.rs` checks rates and this
//! correlation.
//!
//! Random streams: source s draws from [`crate::streams::source`]`(s)`; every thread that
//! needs a Poisson source's spikes runs its own copy of the generator from the same stream,
//! so all copies produce the same lists without synchronisation.

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;
use serde::{Deserialize, Serialize};

use crate::error::SimError;

/// What a source's trains are.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Train {
    /// Independent Poisson trains of this rate (per unit time of the model).
    Poisson { rate: f64 },
    /// Multiple-interaction process: daughters of rate `rate`, pairwise correlation `c`,
    /// Gaussian jitter of s.d. `jitter`. c = 0 is independent Poisson trains.
    Mip { rate: f64, c: f64, jitter: f64 },
}

/// An external population of `n` spike trains.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Source {
    pub name: String,
    pub n: usize,
    pub train: Train,
}

impl Source {
    pub fn validate(&self) -> Result<(), SimError> {
        let inv = |name, value, range| Err(SimError::Invalid { name, value, range });
        if self.n == 0 || self.n > u32::MAX as usize {
            return inv("source n", self.n as f64, "1 <= n < 2^32");
        }
        let (rate, c, jitter) = match self.train {
            Train::Poisson { rate } => (rate, 0.0, 0.0),
            Train::Mip { rate, c, jitter } => (rate, c, jitter),
        };
        if !(rate >= 0.0 && rate.is_finite()) {
            return inv("source rate", rate, "0 <= rate < inf");
        }
        if !(0.0..=1.0).contains(&c) {
            return inv("source c", c, "0 <= c <= 1");
        }
        if !(jitter >= 0.0 && jitter.is_finite()) {
            return inv("source jitter", jitter, "0 <= jitter < inf");
        }
        Ok(())
    }

    /// Expected number of spikes over a run of length t (for memory checks).
    pub fn expected_spikes(&self, t: f64) -> f64 {
        let rate = match self.train {
            Train::Poisson { rate } | Train::Mip { rate, .. } => rate,
        };
        self.n as f64 * rate * t
    }
}

/// The spikes of a source over a run, step by step.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum SourceState {
    /// Superposition generator: stream position and the time of the next event.
    Poisson {
        seed: u64,
        stream: u64,
        word_pos: u128,
        next: f64,
        step: u64,
    },
    /// The whole train, sorted by step: spikes of step m are
    /// `trains[offsets[m]..offsets[m + 1]]`.
    Drawn { offsets: Vec<u32>, trains: Vec<u32> },
}

impl SourceState {
    /// The generator of `source` for a run of `steps` steps of `dt`.
    pub fn new(
        source: &Source,
        index: usize,
        seed: u64,
        dt: f64,
        steps: u64,
    ) -> Result<SourceState, SimError> {
        source.validate()?;
        let stream = crate::streams::source(index);
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(stream);
        let t_end = steps as f64 * dt;
        match source.train {
            Train::Poisson { rate } => {
                let total = source.n as f64 * rate;
                let next = if total > 0.0 {
                    exponential(&mut rng) / total
                } else {
                    f64::INFINITY
                };
                Ok(SourceState::Poisson {
                    seed,
                    stream,
                    word_pos: rng.get_word_pos(),
                    next,
                    step: 0,
                })
            }
            Train::Mip { rate, c, jitter } => {
                let expected = source.expected_spikes(t_end);
                crate::budget::ensure_memory("the MIP input trains", 8.0 * expected * 1.2)?;
                if steps > u32::MAX as u64 || expected > 2e9 {
                    return Err(SimError::TooLarge {
                        what: "the MIP input trains".into(),
                        need: format!("{expected:.3e} spikes over {steps} steps"),
                        limit: "2e9 spikes and 2^32 steps".into(),
                    });
                }
                let mut spikes: Vec<(u32, u32)> = Vec::with_capacity((expected * 1.1) as usize);
                let mut push = |t: f64, j: usize| {
                    let mut t = t;
                    // Reflect at 0 and T (repeatedly, for jitters longer than the run).
                    for _ in 0..64 {
                        if t < 0.0 {
                            t = -t;
                        } else if t >= t_end {
                            t = 2.0 * t_end - t;
                        } else {
                            break;
                        }
                    }
                    let m = ((t / dt).floor() as u64).min(steps.saturating_sub(1));
                    spikes.push((m as u32, j as u32));
                };
                if c == 0.0 {
                    // Independent trains: every train on its own (no mother).
                    let total = source.n as f64 * rate;
                    let mut t = 0.0;
                    if total > 0.0 {
                        loop {
                            t += exponential(&mut rng) / total;
                            if t >= t_end {
                                break;
                            }
                            let j = rng.random_range(0..source.n);
                            push(t, j);
                        }
                    }
                } else {
                    let mother = rate / c;
                    let mut t = 0.0;
                    let log_q = (-c).ln_1p();
                    loop {
                        t += exponential(&mut rng) / mother;
                        if t >= t_end || !t.is_finite() {
                            break;
                        }
                        // Daughters keeping this spike, by geometric skipping.
                        let mut j = 0usize;
                        loop {
                            if c < 1.0 {
                                let u: f64 = 1.0 - rng.random::<f64>();
                                let gap = (u.ln() / log_q).floor();
                                if gap >= (source.n - j) as f64 {
                                    break;
                                }
                                j += gap as usize;
                            }
                            let z: f64 = rng.sample(StandardNormal);
                            push(t + jitter * z, j);
                            j += 1;
                            if j >= source.n {
                                break;
                            }
                        }
                    }
                }
                spikes.sort_unstable();
                let mut offsets = Vec::with_capacity(steps as usize + 1);
                offsets.push(0u32);
                let mut k = 0usize;
                for m in 0..steps as u32 {
                    while k < spikes.len() && spikes[k].0 == m {
                        k += 1;
                    }
                    offsets.push(k as u32);
                }
                let trains = spikes.into_iter().map(|(_, j)| j).collect();
                Ok(SourceState::Drawn { offsets, trains })
            }
        }
    }
}

/// A Poisson source's generator, live (the serialisable [`SourceState::Poisson`] holds its
/// position).
pub struct PoissonCursor {
    rng: ChaCha8Rng,
    next: f64,
    step: u64,
    n: usize,
    total: f64,
    dt: f64,
}

impl PoissonCursor {
    pub fn new(state: &SourceState, source: &Source, dt: f64) -> Option<PoissonCursor> {
        let SourceState::Poisson {
            seed,
            stream,
            word_pos,
            next,
            step,
        } = *state
        else {
            return None;
        };
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(stream);
        rng.set_word_pos(word_pos);
        let Train::Poisson { rate } = source.train else {
            return None;
        };
        Some(PoissonCursor {
            rng,
            next,
            step,
            n: source.n,
            total: source.n as f64 * rate,
            dt,
        })
    }

    /// The sorted trains that spike in the next step.
    pub fn next_step(&mut self, out: &mut Vec<u32>) {
        out.clear();
        let end = (self.step + 1) as f64 * self.dt;
        while self.next < end {
            out.push(self.rng.random_range(0..self.n) as u32);
            self.next += exponential(&mut self.rng) / self.total;
        }
        self.step += 1;
        out.sort_unstable();
    }

    /// Where the generator stands, for checkpoints.
    pub fn state(&self, seed: u64) -> SourceState {
        SourceState::Poisson {
            seed,
            stream: self.rng.get_stream(),
            word_pos: self.rng.get_word_pos(),
            next: self.next,
            step: self.step,
        }
    }
}

/// An Exp(1) number: -ln U with U in (0, 1].
fn exponential(rng: &mut ChaCha8Rng) -> f64 {
    -(1.0 - rng.random::<f64>()).ln()
}

/// The count correlation of two MIP daughters in windows of length `w` far from the run's
/// ends (module docs).
pub fn mip_count_correlation(c: f64, jitter: f64, w: f64) -> f64 {
    c * (1.0 - 2.0 * jitter / (std::f64::consts::PI.sqrt() * w))
}
