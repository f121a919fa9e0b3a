//! Neuron models of the spiking engine, behind one trait ([`NeuronModel`]), each with the
//! integrator it deserves.
//!
//! A model advances the neurons of one chunk by one step `dt`. Synaptic input arrives as a
//! list of *channels* ([`Synapse`]): a delta channel's arrivals jump the potential, a current
//! channel's arrivals jump a synaptic current `s` that decays with its `tau` and enters
//! `dV/dt` as `+s`, a conductance channel's arrivals jump a conductance `g` that decays with
//! its `tau` and enters as `g (E_rev - V)`. Arrivals of a step are applied by the engine at
//! its start, before the model's step (a spike emitted in step n with delay d reaches its
//! targets at the start of step n + 1 + d; d = 0 is the "zero delay" of Brian2, whose `on_pre`
//! adds to the variable after the update of the step the spike is emitted in), so models see
//! only their state.
//!
//! | model | integrator | order |
//! |---|---|---|
//! | [`Eif`] | forward Euler on V and the synaptic variables (paper 002's code, Brian2's `euler`) | 1 |
//! | [`Eif`] with [`EifScheme::Heun`] | Heun (explicit trapezoidal) on V, synaptic variables decayed exactly | 2 |
//! | [`Lif`] | exact propagation of the linear membrane and its exponential currents; white noise by the exact Ornstein-Uhlenbeck step with Brownian-bridge crossings | exact between arrivals (bridge: crossings inside a step) |
//! | [`Lif`] with [`LifScheme::Timed`] | the same exact propagation, threshold crossings timed inside the step (Newton), arrivals applied as at their times | exact but for kicks that would make a target fire inside their arrival step |
//! | [`Lif`] with [`LifScheme::Euler`] | forward Euler (paper 001's code) | 1 |
//! | [`Qif`] | exact flow of dV/dt = V^2 + I (a Möbius map), spikes at V = +inf (theta neuron) or at a finite peak +v_p with reset -v_p | exact between arrivals |
//!
//! Spikes are detected at the end of the step (EIF, LIF), counted exactly inside it (QIF,
//! several per step if the drive is strong enough) or timed inside it (LIF timed); they are
//! delivered at the step's end.
//! The orders are measured in `tests/spiking_models.rs`.

use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;
use serde::{Deserialize, Serialize};

use super::aligned::AlignedVec;
use super::membrane;
use crate::error::SimError;

/// A receptor channel of a population.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Synapse {
    /// Each arrival of weight w moves V by w.
    Delta,
    /// Exponential current: ds/dt = -s / tau, an arrival adds w to s, dV/dt gains +s.
    Current { tau: f64 },
    /// Exponential conductance: dg/dt = -g / tau, an arrival adds w to g, dV/dt gains
    /// g (e_rev - V).
    Conductance { tau: f64, e_rev: f64 },
}

impl Synapse {
    pub fn validate(&self) -> Result<(), SimError> {
        let tau = match *self {
            Synapse::Delta => return Ok(()),
            Synapse::Current { tau } => tau,
            Synapse::Conductance { tau, e_rev } => {
                if !e_rev.is_finite() {
                    return Err(invalid("synapse e_rev", e_rev, "finite"));
                }
                tau
            }
        };
        if tau.is_finite() && tau > 0.0 {
            Ok(())
        } else {
            Err(invalid("synapse tau", tau, "0 < tau < inf"))
        }
    }
    /// Whether the channel has a state variable (current or conductance).
    pub fn has_state(&self) -> bool {
        !matches!(self, Synapse::Delta)
    }
}

/// Channels per population at most (the engine's stack-held per-step tables).
pub const MAX_CHANNELS: usize = 8;

fn invalid(name: &'static str, value: f64, range: &'static str) -> SimError {
    SimError::Invalid { name, value, range }
}

/// The state of one chunk of a population: potentials, one synaptic variable per neuron per
/// stateful channel (empty for delta channels), the refractory time left at the start of the
/// next step (0 when free), and, for a population with short-term depression
/// ([`crate::spiking::depression`]), each neuron's efficacy `w` as of time `w_t` (updated
/// only at its spikes).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ChunkState {
    pub v: AlignedVec,
    pub syn: Vec<AlignedVec>,
    pub refractory: Vec<f64>,
    #[serde(default)]
    pub w: Vec<f64>,
    #[serde(default)]
    pub w_t: Vec<f64>,
}

/// The spikes of one chunk in one step: local indices in increasing order (a neuron may
/// appear more than once); for models that time their spikes inside the step
/// ([`NeuronModel::timed`]) the time of each since the step's start, in (0, dt] (0 for a
/// neuron pushed over threshold by an arrival at the start); else `at` is empty and every
/// spike is at the step's end. `eff` holds each spike's efficacy when the population has
/// short-term depression (filled by the engine), else it is empty.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Spikes {
    pub idx: Vec<u32>,
    pub at: Vec<f64>,
    pub eff: Vec<f64>,
}

impl Spikes {
    /// A spike at the end of the step.
    #[inline]
    pub fn push(&mut self, k: u32) {
        self.idx.push(k);
    }
    /// A spike at time `at` since the step's start.
    #[inline]
    pub fn push_at(&mut self, k: u32, at: f64) {
        self.idx.push(k);
        self.at.push(at);
    }
    pub fn clear(&mut self) {
        self.idx.clear();
        self.at.clear();
        self.eff.clear();
    }
    pub fn len(&self) -> usize {
        self.idx.len()
    }
    pub fn is_empty(&self) -> bool {
        self.idx.is_empty()
    }
    /// Time of spike i since the step's start.
    #[inline]
    pub fn time(&self, i: usize, dt: f64) -> f64 {
        self.at.get(i).copied().unwrap_or(dt)
    }
}

/// What a model needs to advance one chunk by one step.
pub struct StepInput<'a> {
    pub dt: f64,
    pub channels: &'a [Synapse],
    /// External constant drive of the population, added to dV/dt (the run's
    /// [`crate::spiking::SpikingRun::set_drive`]; 0 unless a protocol sets it).
    pub drive: f64,
    /// The chunk's white-noise stream (used by models with noise only).
    pub rng: &'a mut ChaCha8Rng,
    /// The model's per-step constants from [`NeuronModel::prepare`] for this dt, channels and
    /// drive (the engine computes them once per run call); `None`: the model computes them.
    pub prepared: Option<&'a [f64]>,
}

/// A neuron model: how to start and how to advance a chunk of neurons by one step.
pub trait NeuronModel {
    fn validate(&self, dt: f64, channels: &[Synapse]) -> Result<(), SimError>;
    /// The potential at which a spike is registered (for observers that clip V).
    fn v_threshold(&self) -> f64;
    /// Advance `state` by one step; push the local index of every neuron that spiked (once
    /// per spike, in increasing order; a neuron may appear more than once), with its time
    /// inside the step if the model is [`NeuronModel::timed`].
    fn step(&self, input: StepInput<'_>, state: &mut ChunkState, spikes: &mut Spikes);
    /// Rough cost of one neuron's step in seconds, delivery included, for the engine's choice
    /// of thread count only (never results): 10 ns, measured on paper 002's EIF network at
    /// N = 15000 (about 150 us per step); the noise-free timed and Euler LIF, one vectorised
    /// pass, say 0.5 ns (the network of Eqs. 62-64 at N = 5000: 2 us per step).
    fn step_cost(&self) -> f64 {
        10e-9
    }
    /// Constants of a step that depend only on dt, the channels and the drive (e.g. the
    /// exponentials of a linear propagator), computed once instead of every step.
    fn prepare(&self, _dt: f64, _channels: &[Synapse], _drive: f64) -> Vec<f64> {
        Vec::new()
    }
    /// Whether the model times its spikes inside the step ([`Spikes::at`]) and takes
    /// arrivals at their times ([`NeuronModel::arrival`]).
    fn timed(&self) -> bool {
        false
    }
    /// An arrival of weight 1 on `channel` that happened a time `r` before the start of the
    /// step, as jumps at the start: (to the channel's variable, i.e. s or g, or V for a delta
    /// channel; to V in addition, for a stateful channel). Models that are not timed take
    /// every arrival at the start of the step: (1, 0).
    fn arrival(&self, _channel: &Synapse, _r: f64) -> (f64, f64) {
        (1.0, 0.0)
    }
}

/// The spike term of the EIF (paper 002's note on the authors' code).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SpikeForm {
    /// Delta_T exp((V - V_T) / Delta_T), without the factor g_L (the authors' code).
    #[default]
    Authors,
    /// g_L Delta_T exp((V - V_T) / Delta_T), the standard EIF.
    Standard,
}

/// Integrator of the EIF (module docs).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EifScheme {
    #[default]
    Euler,
    Heun,
}

/// Exponential integrate-and-fire neuron (C_m = 1):
/// dV/dt = g_L (E_L - V) + psi(V) + synaptic input, with psi the spike term of [`SpikeForm`];
/// a spike when V >= v_th, then V <- v_re (no refractory period).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Eif {
    pub g_l: f64,
    pub e_l: f64,
    pub v_t: f64,
    pub delta_t: f64,
    pub v_th: f64,
    pub v_re: f64,
    pub spike_form: SpikeForm,
    pub scheme: EifScheme,
}

impl Eif {
    /// psi(V): the spike term.
    #[inline(always)]
    pub fn psi(&self, v: f64) -> f64 {
        self.psi_scale() * exp((v - self.v_t) / self.delta_t)
    }
    /// The factor before the exponential: Delta_T, or g_L Delta_T (standard form).
    #[inline(always)]
    fn psi_scale(&self) -> f64 {
        match self.spike_form {
            SpikeForm::Authors => self.delta_t,
            SpikeForm::Standard => self.g_l * self.delta_t,
        }
    }
    /// The V_T of the other spike form with the same trajectories: the authors' form equals
    /// the standard one with V_T + Delta_T ln(g_L) (paper 002's note: -57.708 mV).
    pub fn equivalent_standard_v_t(&self) -> f64 {
        self.v_t + self.delta_t * self.g_l.ln()
    }
    /// The free dV/dt at potential v with total conductance g_tot and current i_tot (input
    /// written as i_tot - g_syn V with i_tot including g_syn E_rev).
    #[inline(always)]
    fn dvdt(&self, v: f64, g_syn: f64, i_syn: f64) -> f64 {
        self.g_l * (self.e_l - v) + self.psi(v) + i_syn - g_syn * v
    }
}

impl NeuronModel for Eif {
    fn validate(&self, dt: f64, channels: &[Synapse]) -> Result<(), SimError> {
        for (name, x) in [
            ("g_l", self.g_l),
            ("e_l", self.e_l),
            ("v_t", self.v_t),
            ("v_th", self.v_th),
            ("v_re", self.v_re),
        ] {
            if !x.is_finite() {
                return Err(invalid(name, x, "finite"));
            }
        }
        if self.g_l.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater) {
            return Err(invalid("g_l", self.g_l, "g_l > 0"));
        }
        if !(self.delta_t > 0.0 && self.delta_t.is_finite()) {
            return Err(invalid("delta_t", self.delta_t, "0 < delta_t < inf"));
        }
        if self.v_re >= self.v_th {
            return Err(invalid("v_re", self.v_re, "v_re < v_th"));
        }
        if (self.v_th - self.v_t) / self.delta_t > 500.0 {
            return Err(invalid(
                "v_th",
                self.v_th,
                "(v_th - v_t) / delta_t <= 500 (the spike term must stay finite)",
            ));
        }
        for c in channels {
            if let Synapse::Current { tau } | Synapse::Conductance { tau, .. } = *c
                && self.scheme == EifScheme::Euler
                && dt >= tau
            {
                return Err(invalid(
                    "dt",
                    dt,
                    "dt < every synaptic tau (forward Euler on the synapses)",
                ));
            }
        }
        Ok(())
    }

    fn v_threshold(&self) -> f64 {
        self.v_th
    }

    fn step(&self, input: StepInput<'_>, st: &mut ChunkState, spikes: &mut Spikes) {
        let spikes = &mut spikes.idx;
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx512f") {
                // SAFETY: the CPU has AVX-512F (checked above).
                return unsafe {
                    self.step_avx512(input.dt, input.drive, input.channels, st, spikes)
                };
            }
            if std::arch::is_x86_feature_detected!("avx2") {
                // SAFETY: the CPU has AVX2 (checked above).
                return unsafe {
                    self.step_avx2(input.dt, input.drive, input.channels, st, spikes)
                };
            }
        }
        self.step_any(input.dt, input.drive, input.channels, st, spikes)
    }
}

impl Eif {
    /// The step compiled for AVX-512 (8 doubles per instruction, 32 registers): the same
    /// operations in the same order as [`Eif::step_any`] (no FMA contraction), hence the same
    /// bits.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f")]
    unsafe fn step_avx512(
        &self,
        dt: f64,
        drive: f64,
        ch: &[Synapse],
        st: &mut ChunkState,
        sp: &mut Vec<u32>,
    ) {
        self.step_any(dt, drive, ch, st, sp)
    }

    /// The step compiled for AVX2 (4 doubles per instruction), the same way.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn step_avx2(
        &self,
        dt: f64,
        drive: f64,
        ch: &[Synapse],
        st: &mut ChunkState,
        sp: &mut Vec<u32>,
    ) {
        self.step_any(dt, drive, ch, st, sp)
    }

    /// One step of a chunk: the stateful channels as (decay, e, f) with i += x e and
    /// g += x f (a current has e = 1, f = 0; a conductance e = E_rev, f = 1), dispatched on
    /// their number so that the loop over neurons is unrolled over channels and vectorises.
    #[inline(always)]
    fn step_any(
        &self,
        dt: f64,
        drive: f64,
        channels: &[Synapse],
        st: &mut ChunkState,
        spikes: &mut Vec<u32>,
    ) {
        let mut table = [(0.0, 0.0, 0.0); MAX_CHANNELS];
        let mut syn: Vec<&mut [f64]> = Vec::with_capacity(MAX_CHANNELS);
        let mut m = 0;
        for (c, s) in channels.iter().zip(st.syn.iter_mut()) {
            let decay = |tau: f64| match self.scheme {
                EifScheme::Euler => 1.0 - dt / tau,
                EifScheme::Heun => (-dt / tau).exp(),
            };
            match *c {
                Synapse::Delta => continue,
                Synapse::Current { tau } => table[m] = (decay(tau), 1.0, 0.0),
                Synapse::Conductance { tau, e_rev } => table[m] = (decay(tau), e_rev, 1.0),
            }
            syn.push(s.as_mut_slice());
            m += 1;
        }
        let v = st.v.as_mut_slice();
        let heun = self.scheme == EifScheme::Heun;
        if m > 3 {
            self.fused_dyn(dt, drive, &table[..m], v, &mut syn);
        } else {
            // Up to three channels as separate slices: arguments that do not alias, so the
            // loop over neurons vectorises.
            let mut it = syn.into_iter();
            let mut empty = [[0.0f64; 0]; 3];
            let [e0, e1, e2] = &mut empty;
            let s0 = it.next().unwrap_or(e0);
            let s1 = it.next().unwrap_or(e1);
            let s2 = it.next().unwrap_or(e2);
            match (m, heun) {
                (0, false) => self.fused::<0, false>(dt, drive, &table, v, s0, s1, s2),
                (1, false) => self.fused::<1, false>(dt, drive, &table, v, s0, s1, s2),
                (2, false) => self.fused::<2, false>(dt, drive, &table, v, s0, s1, s2),
                (3, false) => self.fused::<3, false>(dt, drive, &table, v, s0, s1, s2),
                (0, true) => self.fused::<0, true>(dt, drive, &table, v, s0, s1, s2),
                (1, true) => self.fused::<1, true>(dt, drive, &table, v, s0, s1, s2),
                (2, true) => self.fused::<2, true>(dt, drive, &table, v, s0, s1, s2),
                _ => self.fused::<3, true>(dt, drive, &table, v, s0, s1, s2),
            }
        }
        // Threshold: blocks of 8 are tested at once (a loop that vectorises), the rare block
        // with a spike neuron by neuron.
        let th = self.v_th;
        for (b, block) in v.chunks_mut(8).enumerate() {
            if block.iter().fold(false, |any, &x| any | (x >= th)) {
                for (k, x) in block.iter_mut().enumerate() {
                    if *x >= th {
                        *x = self.v_re;
                        spikes.push((8 * b + k) as u32);
                    }
                }
            }
        }
    }

    /// The first M of s0, s1, s2 are the stateful channels (table rows 0..M).
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    fn fused<const M: usize, const HEUN: bool>(
        &self,
        dt: f64,
        drive: f64,
        table: &[(f64, f64, f64); MAX_CHANNELS],
        v: &mut [f64],
        s0: &mut [f64],
        s1: &mut [f64],
        s2: &mut [f64],
    ) {
        let n = v.len();
        let s0 = &mut s0[..if M > 0 { n } else { 0 }];
        let s1 = &mut s1[..if M > 1 { n } else { 0 }];
        let s2 = &mut s2[..if M > 2 { n } else { 0 }];
        let (t0, t1, t2) = (table[0], table[1], table[2]);
        for k in 0..n {
            let (mut g0, mut i0, mut g1, mut i1) = (0.0, drive, 0.0, drive);
            let mut channel = |(d, e, f): (f64, f64, f64), s: &mut f64| {
                let x = *s;
                i0 += x * e;
                g0 += x * f;
                let y = x * d;
                i1 += y * e;
                g1 += y * f;
                *s = y;
            };
            if M > 0 {
                channel(t0, &mut s0[k]);
            }
            if M > 1 {
                channel(t1, &mut s1[k]);
            }
            if M > 2 {
                channel(t2, &mut s2[k]);
            }
            v[k] = self.advance::<HEUN>(dt, v[k], g0, i0, g1, i1);
        }
    }

    /// More than three stateful channels: the same arithmetic, not unrolled.
    fn fused_dyn(
        &self,
        dt: f64,
        drive: f64,
        table: &[(f64, f64, f64)],
        v: &mut [f64],
        syn: &mut [&mut [f64]],
    ) {
        for k in 0..v.len() {
            let (mut g0, mut i0, mut g1, mut i1) = (0.0, drive, 0.0, drive);
            for (c, &(d, e, f)) in table.iter().enumerate() {
                let x = syn[c][k];
                i0 += x * e;
                g0 += x * f;
                let y = x * d;
                i1 += y * e;
                g1 += y * f;
                syn[c][k] = y;
            }
            v[k] = if self.scheme == EifScheme::Heun {
                self.advance::<true>(dt, v[k], g0, i0, g1, i1)
            } else {
                self.advance::<false>(dt, v[k], g0, i0, g1, i1)
            };
        }
    }

    /// V after one step from v, with synaptic input i0 - g0 V at the start and i1 - g1 V at
    /// the end of the step (the end is used by Heun only).
    #[inline(always)]
    fn advance<const HEUN: bool>(
        &self,
        dt: f64,
        v: f64,
        g0: f64,
        i0: f64,
        g1: f64,
        i1: f64,
    ) -> f64 {
        let k1 = self.dvdt(v, g0, i0);
        if HEUN {
            let pred = (v + dt * k1).min(self.v_th);
            let k2 = self.dvdt(pred, g1, i1);
            v + 0.5 * dt * (k1 + k2)
        } else {
            v + dt * k1
        }
    }
}

/// e^x for the spike term of the EIF, written so that loops over neurons vectorise (libm's
/// `exp` is a call per neuron and was a third of the EIF step's time).
///
/// Range reduction x = k ln 2 + r with |r| <= ln 2 / 2 (k by the round-to-nearest trick of
/// adding 1.5 * 2^52, ln 2 in two parts so that r is exact to 2^-60), then the Taylor series
/// of e^r to degree 13 by Estrin's scheme (truncation below 4.3e-18 relative), then the scale
/// 2^k put into the exponent bits. Arguments are clamped to [-708, 709] (the results stay normal:
/// below e^-708 the spike term is far below V's rounding). The relative error against
/// `f64::exp` is below 1e-15 over that range (`exp_matches_libm` tests 2e5 points).
#[inline(always)]
pub fn exp(x: f64) -> f64 {
    const LOG2E: f64 = std::f64::consts::LOG2_E;
    const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000); // ln 2 with 20 trailing zero bits
    const LN2_LO: f64 = 1.908_214_929_270_587_7e-10; // ln 2 - LN2_HI, to double precision
    const SHIFTER: f64 = 6_755_399_441_055_744.0; // 1.5 * 2^52
    let x = x.clamp(-708.0, 709.0);
    let t = x * LOG2E + SHIFTER;
    let k = t - SHIFTER;
    let r = (x - k * LN2_HI) - k * LN2_LO;
    // Estrin's scheme (pairs, then powers r^2, r^4, r^8): the same polynomial as Horner's
    // with a dependency chain of 6 steps instead of 26, so that consecutive neurons overlap.
    const C: [f64; 14] = [
        1.0,
        1.0,
        0.5,
        1.0 / 6.0,
        1.0 / 24.0,
        1.0 / 120.0,
        1.0 / 720.0,
        1.0 / 5_040.0,
        1.0 / 40_320.0,
        1.0 / 362_880.0,
        1.0 / 3_628_800.0,
        1.0 / 39_916_800.0,
        1.0 / 479_001_600.0,
        1.0 / 6_227_020_800.0,
    ];
    let r2 = r * r;
    let r4 = r2 * r2;
    let r8 = r4 * r4;
    let q = |i: usize| C[i] + C[i + 1] * r;
    let low = q(0) + r2 * q(2) + r4 * (q(4) + r2 * q(6));
    let high = q(8) + r2 * q(10) + r4 * q(12);
    let p = low + r8 * high;
    // k is in the low bits of t's mantissa (t = 1.5 * 2^52 + k exactly).
    let k_int = (t.to_bits() as i64).wrapping_sub(SHIFTER.to_bits() as i64);
    p * f64::from_bits(((k_int + 1023) << 52) as u64)
}

/// Leaky integrate-and-fire neuron in its own time unit:
/// tau dV/dt = -V + tau (mu + sigma xi(t)) + tau (synaptic input); a spike when V >= v_th,
/// then V <- v_re held for `tau_ref`.
///
/// Written as paper 004 writes it (dV/dt = -V/tau + mu + sigma xi, mu in units of V per time,
/// sigma in V per sqrt(time)); paper 003's dimensionless neuron is tau = 1, v_th = 1,
/// v_re = 0, mu = I_0; paper 001's (Eqs. 62-63) the same with one current channel
/// s = tau_m J0 E. Three integrators ([`LifScheme`]):
///
/// * [`LifScheme::Exact`]: between arrivals the membrane with its exponential currents is
///   linear and is propagated exactly; with sigma > 0 the free membrane is the
///   Ornstein-Uhlenbeck process, stepped exactly, and a crossing that reverts inside the step
///   is caught with the Brownian-bridge probability
///   exp(-2 (v_th - V0)(v_th - V1) / (sigma^2 dt)). Spikes are at the step's end.
/// * [`LifScheme::Timed`] (sigma = 0, at most one current channel): the same exact
///   propagation, and every threshold crossing is timed inside the step (safeguarded Newton on
///   the exact solution, [`crate::spiking::membrane::crossing_time`]); the neuron is reset
///   there, held for `tau_ref` and integrated on, so it may spike more than once per step.
///   Its spikes reach targets of this scheme as jumps at their times: an arrival r before the
///   step's start adds w e^{-r/tau_s} to s and w B(r) to V, with B the membrane's response to
///   a unit step of s ([`Lif::arrival`]). The one approximation left: an arrival cannot make
///   its target fire before the end of the step it arrives in (a delay of at most dt for
///   those spikes), and a target that fired later in the same step keeps the part of the kick
///   that arrived before its reset. This is paper 001's exact scheme.
/// * [`LifScheme::Euler`] (sigma = 0, at most one current channel): paper 001's code,
///   V += dt (-V/tau + mu + s), s *= 1 - dt/tau_s, then the threshold; spikes at the step's
///   end (first order in dt).
///
/// The refractory period of the step schemes (Exact, Euler) is whole steps: a neuron that
/// spikes is clamped at v_re for floor(tau_ref/dt + 1e-9) steps; the timed scheme releases it
/// at the exact time.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Lif {
    pub tau: f64,
    pub v_th: f64,
    pub v_re: f64,
    pub mu: f64,
    pub sigma: f64,
    pub tau_ref: f64,
    #[serde(default)]
    pub scheme: LifScheme,
}

/// Integrator of the LIF ([`Lif`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LifScheme {
    #[default]
    Exact,
    Timed,
    Euler,
}

/// One step (v, s) -> (a v + b s + c, d s) of the linear membrane with one exponential
/// current (the timed and Euler schemes of [`Lif`]).
#[derive(Clone, Copy, Debug)]
struct Linear {
    a: f64,
    b: f64,
    c: f64,
    d: f64,
}

/// The linear update of a block of neurons (with their current when `S`); whether an old or
/// a new potential is at or above `th` (an arrival may have lifted the old one over). Called
/// on fixed-size blocks, so that the loop is unrolled and vectorised whole.
#[inline(always)]
fn linear_block<const S: bool>(p: &Linear, th: f64, v: &mut [f64], s: &mut [f64]) -> bool {
    let mut hit = false;
    if S {
        for (vi, si) in v.iter_mut().zip(s.iter_mut()) {
            let nv = p.a * *vi + p.b * *si + p.c;
            hit |= (nv >= th) | (*vi >= th);
            *si *= p.d;
            *vi = nv;
        }
    } else {
        for vi in v.iter_mut() {
            let nv = p.a * *vi + p.c;
            hit |= (nv >= th) | (*vi >= th);
            *vi = nv;
        }
    }
    hit
}

/// [`linear_block`] in AVX2 intrinsics, on a block whose length is a multiple of 4: the same
/// operations in the same order (multiplies and adds, no fused multiply-add), hence the same
/// bits. Written out because the compiler's AVX2 build of `linear_block` kept its constants
/// and its 16 per-vector `hit` accumulators on the stack (AVX2 has 16 vector registers; with
/// AVX-512's 32 it does not spill). Instructions per neuron and step (callgrind, LIF network
/// of Eqs. 62-64 at N = 5000): see the README's spiking engine section.
///
/// # Safety
/// The CPU must have AVX2. `s` is read only when `S`.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
#[inline]
unsafe fn linear_block_avx2<const S: bool>(
    p: &Linear,
    th: f64,
    v: &mut [f64],
    s: &mut [f64],
) -> bool {
    use std::arch::x86_64::*;
    assert!(v.len() % 4 == 0 && (!S || s.len() == v.len()));
    let (a, b, c, d) = (
        _mm256_set1_pd(p.a),
        _mm256_set1_pd(p.b),
        _mm256_set1_pd(p.c),
        _mm256_set1_pd(p.d),
    );
    // The largest of the old and new potentials, NaN ignored (`vmaxpd` returns its second
    // operand when either is NaN): at or above `th` exactly when a comparison of
    // `linear_block` is true. Two operations per vector instead of four, and one compare.
    let mut top = _mm256_set1_pd(f64::NEG_INFINITY);
    // A loop of a length the compiler does not see (`black_box`): unrolled fully over a
    // block's 16 vectors, it moved every `max` after the last store and kept the vectors on
    // the stack.
    let len = std::hint::black_box(v.len()).min(v.len());
    for i in (0..len).step_by(4) {
        // SAFETY: i + 4 <= v.len() (a multiple of 4; = s.len() when S); unaligned loads.
        unsafe {
            let vp = v.as_mut_ptr().add(i);
            let v0 = _mm256_loadu_pd(vp);
            let nv = if S {
                let sp = s.as_mut_ptr().add(i);
                let s0 = _mm256_loadu_pd(sp);
                _mm256_storeu_pd(sp, _mm256_mul_pd(s0, d));
                _mm256_add_pd(_mm256_add_pd(_mm256_mul_pd(a, v0), _mm256_mul_pd(b, s0)), c)
            } else {
                _mm256_add_pd(_mm256_mul_pd(a, v0), c)
            };
            top = _mm256_max_pd(_mm256_max_pd(nv, v0), top);
            _mm256_storeu_pd(vp, nv);
        }
    }
    _mm256_movemask_pd(_mm256_cmp_pd::<_CMP_GE_OQ>(top, _mm256_set1_pd(th))) != 0
}

/// Neurons per block of the linear LIF step ([`linear_block`]).
const LINEAR_BLOCK: usize = 64;
/// Blocks per chunk at most: 131072 neurons, twice the largest chunk
/// ([`super::network::chunk_size`]).
const MAX_LINEAR_BLOCKS: usize = 2048;

impl Linear {
    #[inline]
    fn invert(&self, v1: f64, s1: f64) -> (f64, f64) {
        let s0 = s1 / self.d;
        ((v1 - self.b * s0 - self.c) / self.a, s0)
    }
}

impl Lif {
    /// B(t): V's response at time t to a unit step of a current decaying with `tau_s`
    /// (tau beta(t/tau, tau_s/tau) with [`membrane::beta`] in units of tau).
    #[inline]
    fn response(&self, t: f64, tau_s: f64) -> f64 {
        self.tau * membrane::beta(t / self.tau, tau_s / self.tau)
    }
    /// V at time t from (v, s) with constant input m (exact solution).
    #[inline]
    fn v_at(&self, v: f64, s: f64, m: f64, tau_s: f64, t: f64) -> f64 {
        let u = self.tau;
        membrane::v_at(v, u * s, u * m, tau_s / u, t / u)
    }
    /// The first threshold crossing in (0, h] from (v, s), given v < v_th <= V(h).
    fn crossing(&self, v: f64, s: f64, m: f64, tau_s: f64, h: f64) -> f64 {
        let u = self.tau;
        u * membrane::crossing_time(v, u * s, u * m, tau_s / u, h / u, self.v_th)
    }

    /// The single current channel's index and time constant (infinite without one).
    fn current(channels: &[Synapse]) -> (Option<usize>, f64) {
        for (c, ch) in channels.iter().enumerate() {
            if let Synapse::Current { tau } = *ch {
                return (Some(c), tau);
            }
        }
        (None, f64::INFINITY)
    }

    /// The step of the step schemes for a neuron refractory at its start (`left > 0`):
    /// whether it stays clamped through this step (and the time left after it).
    #[inline]
    fn clamp(left: &mut f64, dt: f64) -> bool {
        if *left >= dt * (1.0 - 1e-9) {
            *left -= dt;
            if *left < 1e-9 * dt {
                *left = 0.0;
            }
            true
        } else {
            *left = 0.0;
            false
        }
    }

    /// The OU-exact step (module docs of [`Lif`]).
    fn step_exact(&self, input: StepInput<'_>, st: &mut ChunkState, spikes: &mut Spikes) {
        let dt = input.dt;
        let n = st.v.len();
        let e = (-dt / self.tau).exp();
        let drift = (self.mu + input.drive) * self.tau * (1.0 - e);
        let noise = self.sigma * (self.tau * (1.0 - e * e) / 2.0).sqrt();
        let bridge = if self.sigma > 0.0 {
            2.0 / (self.sigma * self.sigma * dt)
        } else {
            0.0
        };
        // Exact contribution of a current s0 (decaying with tau_s) to V over dt:
        // s0 (e^{-dt/tau_s} - e^{-dt/tau}) / (1/tau - 1/tau_s), or s0 dt e^{-dt/tau} when equal.
        let mut kernels = [(0.0, 0.0); MAX_CHANNELS];
        for (kern, c) in kernels.iter_mut().zip(input.channels) {
            *kern = match *c {
                Synapse::Current { tau: ts } => {
                    let es = (-dt / ts).exp();
                    let a = 1.0 / self.tau - 1.0 / ts;
                    let beta = if (a * dt).abs() < 1e-8 {
                        dt * e
                    } else {
                        (es - e) / a
                    };
                    (es, beta)
                }
                _ => (0.0, 0.0),
            };
        }
        for k in 0..n {
            let mut syn_v = 0.0;
            for (c, ch) in input.channels.iter().enumerate() {
                if ch.has_state() {
                    let (es, beta) = kernels[c];
                    let s = st.syn[c][k];
                    syn_v += s * beta;
                    st.syn[c][k] = s * es;
                }
            }
            if st.refractory[k] > 0.0 && Lif::clamp(&mut st.refractory[k], dt) {
                st.v[k] = self.v_re;
                continue;
            }
            let v0 = st.v[k];
            if v0 >= self.v_th {
                // A delta arrival pushed it over: it spikes at the start of the step.
                spikes.push(k as u32);
                st.v[k] = self.v_re;
                st.refractory[k] = self.tau_ref;
                continue;
            }
            let mut v1 = v0 * e + drift + syn_v;
            if noise > 0.0 {
                let z: f64 = input.rng.sample(StandardNormal);
                v1 += noise * z;
            }
            // The bridge's probability is drawn for only when it exceeds e^-40 (1e-18: the
            // chance of a missed crossing in a run of 1e18 neuron steps).
            let crossed = v1 >= self.v_th
                || (bridge > 0.0 && {
                    let e = (self.v_th - v0) * (self.v_th - v1) * bridge;
                    e < 40.0 && input.rng.random::<f64>() < (-e).exp()
                });
            if crossed {
                spikes.push(k as u32);
                st.v[k] = self.v_re;
                st.refractory[k] = self.tau_ref;
            } else {
                st.v[k] = v1;
            }
        }
    }

    /// The timed and Euler schemes (no noise, at most one current channel): the linear
    /// update of a block of 64 neurons (a loop that vectorises), then, only in a block where
    /// a neuron was or is at threshold or is refractory, the neurons one by one.
    /// The propagator of the timed or Euler scheme over dt.
    fn linear(&self, dt: f64, drive: f64, channels: &[Synapse]) -> Linear {
        let m = self.mu + drive;
        let (cur, tau_s) = Lif::current(channels);
        if self.scheme == LifScheme::Timed {
            Linear {
                a: (-dt / self.tau).exp(),
                b: if cur.is_some() {
                    self.response(dt, tau_s)
                } else {
                    0.0
                },
                c: -self.tau * m * (-dt / self.tau).exp_m1(),
                d: (-dt / tau_s).exp(),
            }
        } else {
            Linear {
                a: 1.0 - dt / self.tau,
                b: dt,
                c: dt * m,
                d: 1.0 - dt / tau_s,
            }
        }
    }

    /// `AVX2`: whole blocks by [`linear_block_avx2`] (only from [`Lif::step_linear_avx2`]).
    #[inline(always)]
    fn step_linear<const AVX2: bool>(
        &self,
        input: StepInput<'_>,
        st: &mut ChunkState,
        spikes: &mut Spikes,
    ) {
        let StepInput {
            dt,
            drive,
            channels,
            prepared,
            ..
        } = input;
        let timed = self.scheme == LifScheme::Timed;
        let m = self.mu + drive;
        let (cur, tau_s) = Lif::current(channels);
        let p = match prepared {
            Some(&[a, b, c, d]) => Linear { a, b, c, d },
            _ => self.linear(dt, drive, channels),
        };
        let refr = self.tau_ref > 0.0;
        let ChunkState {
            v, syn, refractory, ..
        } = st;
        let mut none: [f64; 0] = [];
        let s: &mut [f64] = match cur {
            Some(c) => &mut syn[c],
            None => &mut none,
        };
        const BLOCK: usize = LINEAR_BLOCK;
        let n = v.len();
        assert!(
            n <= MAX_LINEAR_BLOCKS * BLOCK,
            "a chunk holds at most 65536 neurons"
        );
        let th = self.v_th;
        // 1. The linear update, block by block; blocks with a neuron at or above threshold
        // (before or after the update), or refractory, are flagged. Neurons are independent,
        // so settling the flagged blocks afterwards (2.) gives the same bits as block by block.
        let mut flagged = [0u64; MAX_LINEAR_BLOCKS / 64];
        let mut flag = |b: usize, hit: bool| flagged[b / 64] |= u64::from(hit) << (b % 64);
        let whole = n / BLOCK;
        let (vw, vt) = v.split_at_mut(whole * BLOCK);
        if cur.is_some() {
            let (sw, st) = s.split_at_mut(whole * BLOCK);
            for (b, (vb, sb)) in vw
                .chunks_exact_mut(BLOCK)
                .zip(sw.chunks_exact_mut(BLOCK))
                .enumerate()
            {
                let vb: &mut [f64; BLOCK] = vb.try_into().expect("a whole block");
                let hit = if AVX2 {
                    #[cfg(target_arch = "x86_64")]
                    // SAFETY: AVX2 is set only by `step_linear_avx2`, after the CPU reported
                    // AVX2; sb holds a whole block.
                    unsafe {
                        linear_block_avx2::<true>(&p, th, vb, sb)
                    }
                    #[cfg(not(target_arch = "x86_64"))]
                    unreachable!("AVX2 is an x86-64 build")
                } else {
                    let sb: &mut [f64; BLOCK] = sb.try_into().expect("a whole block");
                    linear_block::<true>(&p, th, vb, sb)
                };
                flag(b, hit);
            }
            flag(whole, linear_block::<true>(&p, th, vt, st));
        } else {
            for (b, vb) in vw.chunks_exact_mut(BLOCK).enumerate() {
                let vb: &mut [f64; BLOCK] = vb.try_into().expect("a whole block");
                let hit = if AVX2 {
                    #[cfg(target_arch = "x86_64")]
                    // SAFETY: as above (no current: s is not read).
                    unsafe {
                        linear_block_avx2::<false>(&p, th, vb, &mut [])
                    }
                    #[cfg(not(target_arch = "x86_64"))]
                    unreachable!("AVX2 is an x86-64 build")
                } else {
                    linear_block::<false>(&p, th, vb, &mut [])
                };
                flag(b, hit);
            }
            flag(whole, linear_block::<false>(&p, th, vt, &mut []));
        }
        if refr {
            for (b, r) in refractory.chunks(BLOCK).enumerate() {
                flag(
                    b,
                    r.iter().fold(0.0, |a: f64, &x| if x > a { x } else { a }) > 0.0,
                );
            }
        }
        // 2. The flagged blocks in order: spikes, resets, refractoriness.
        for (w, &word) in flagged[..n.div_ceil(BLOCK).div_ceil(64)].iter().enumerate() {
            let mut bits = word;
            while bits != 0 {
                let lo = (w * 64 + bits.trailing_zeros() as usize) * BLOCK;
                bits &= bits - 1;
                let hi = (lo + BLOCK).min(n);
                if !refr && !timed {
                    for (k, x) in v.iter_mut().enumerate().take(hi).skip(lo) {
                        if *x >= th {
                            *x = self.v_re;
                            spikes.push(k as u32);
                        }
                    }
                    continue;
                }
                for k in lo..hi {
                    let s1 = if cur.is_some() { s[k] } else { 0.0 };
                    if refr && refractory[k] > 0.0 {
                        let left = refractory[k];
                        if Lif::clamp(&mut refractory[k], dt) {
                            v[k] = self.v_re;
                            continue;
                        }
                        if timed {
                            // Released at `left` inside the step: from v_re with s there.
                            let s_rel = s1 * ((dt - left) / tau_s).exp();
                            self.fire(
                                k, left, self.v_re, s_rel, m, tau_s, dt, v, refractory, spikes,
                            );
                        } else if v[k] >= self.v_th {
                            v[k] = self.v_re;
                            refractory[k] = self.tau_ref;
                            spikes.push(k as u32);
                        }
                        continue;
                    }
                    if timed {
                        let (v0, s0) = p.invert(v[k], s1);
                        if v0 >= self.v_th || v[k] >= self.v_th {
                            self.fire(k, 0.0, v0, s0, m, tau_s, dt, v, refractory, spikes);
                        }
                    } else if v[k] >= self.v_th {
                        v[k] = self.v_re;
                        if refr {
                            refractory[k] = self.tau_ref;
                        }
                        spikes.push(k as u32);
                    }
                }
            }
        }
    }

    /// Exact integration of neuron k from (v, s) at time `from` (since the step's start) to
    /// the step's end with every threshold crossing on the way: spike at the crossing,
    /// reset, refractory period, on.
    #[allow(clippy::too_many_arguments)]
    fn fire(
        &self,
        k: usize,
        mut from: f64,
        mut v: f64,
        mut s: f64,
        m: f64,
        tau_s: f64,
        dt: f64,
        vs: &mut [f64],
        refractory: &mut [f64],
        spikes: &mut Spikes,
    ) {
        loop {
            let h = dt - from;
            let tc = if v >= self.v_th {
                from
            } else if self.v_at(v, s, m, tau_s, h) >= self.v_th {
                from + self.crossing(v, s, m, tau_s, h)
            } else {
                vs[k] = self.v_at(v, s, m, tau_s, h);
                return;
            };
            spikes.push_at(k as u32, tc);
            s *= (-(tc - from) / tau_s).exp();
            from = tc;
            v = self.v_re;
            if self.tau_ref > 0.0 {
                let until = tc + self.tau_ref;
                if until >= dt {
                    vs[k] = self.v_re;
                    refractory[k] = until - dt;
                    return;
                }
                s *= (-(until - from) / tau_s).exp();
                from = until;
            }
        }
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f")]
    unsafe fn step_linear_avx512(
        &self,
        input: StepInput<'_>,
        st: &mut ChunkState,
        sp: &mut Spikes,
    ) {
        self.step_linear::<false>(input, st, sp)
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn step_linear_avx2(&self, input: StepInput<'_>, st: &mut ChunkState, sp: &mut Spikes) {
        self.step_linear::<true>(input, st, sp)
    }
}

impl NeuronModel for Lif {
    fn validate(&self, dt: f64, channels: &[Synapse]) -> Result<(), SimError> {
        if !(self.tau > 0.0 && self.tau.is_finite()) {
            return Err(invalid("tau", self.tau, "0 < tau < inf"));
        }
        if !(self.v_th.is_finite() && self.v_re.is_finite() && self.v_re < self.v_th) {
            return Err(invalid("v_re", self.v_re, "finite, v_re < v_th"));
        }
        if !self.mu.is_finite() {
            return Err(invalid("mu", self.mu, "finite"));
        }
        if !(self.sigma >= 0.0 && self.sigma.is_finite()) {
            return Err(invalid("sigma", self.sigma, "0 <= sigma < inf"));
        }
        if !(self.tau_ref >= 0.0 && self.tau_ref / dt < u32::MAX as f64) {
            return Err(invalid("tau_ref", self.tau_ref, "0 <= tau_ref < 4e9 dt"));
        }
        if channels
            .iter()
            .any(|c| matches!(c, Synapse::Conductance { .. }))
        {
            return Err(SimError::Unsupported(
                "the LIF model takes delta and current synapses, not conductances".into(),
            ));
        }
        if self.scheme != LifScheme::Exact {
            if self.sigma > 0.0 {
                return Err(invalid(
                    "sigma",
                    self.sigma,
                    "0 for the timed and Euler LIF schemes (white noise needs the exact one)",
                ));
            }
            if channels.iter().filter(|c| c.has_state()).count() > 1 {
                return Err(SimError::Unsupported(
                    "the timed and Euler LIF schemes take one current channel at most".into(),
                ));
            }
        }
        if self.scheme == LifScheme::Euler {
            let (_, tau_s) = Lif::current(channels);
            if dt >= self.tau.min(tau_s) {
                return Err(invalid("dt", dt, "dt < tau and tau_s (forward Euler)"));
            }
        }
        Ok(())
    }

    fn v_threshold(&self) -> f64 {
        self.v_th
    }

    fn timed(&self) -> bool {
        self.scheme == LifScheme::Timed
    }

    fn step_cost(&self) -> f64 {
        if self.scheme == LifScheme::Exact {
            10e-9
        } else {
            0.5e-9
        }
    }

    fn prepare(&self, dt: f64, channels: &[Synapse], drive: f64) -> Vec<f64> {
        if self.scheme == LifScheme::Exact {
            return Vec::new();
        }
        let p = self.linear(dt, drive, channels);
        vec![p.a, p.b, p.c, p.d]
    }

    fn arrival(&self, channel: &Synapse, r: f64) -> (f64, f64) {
        if self.scheme != LifScheme::Timed {
            return (1.0, 0.0);
        }
        match *channel {
            Synapse::Current { tau } => ((-r / tau).exp(), self.response(r, tau)),
            _ => ((-r / self.tau).exp(), 0.0),
        }
    }

    fn step(&self, input: StepInput<'_>, st: &mut ChunkState, spikes: &mut Spikes) {
        if self.scheme == LifScheme::Exact {
            return self.step_exact(input, st, spikes);
        }
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx512f") {
                // SAFETY: the CPU has AVX-512F (checked above).
                return unsafe { self.step_linear_avx512(input, st, spikes) };
            }
            if std::arch::is_x86_feature_detected!("avx2") {
                // SAFETY: the CPU has AVX2 (checked above).
                return unsafe { self.step_linear_avx2(input, st, spikes) };
            }
        }
        self.step_linear::<false>(input, st, spikes)
    }
}

/// Quadratic integrate-and-fire neuron (time in units of tau_m): dV/dt = V^2 + I, delta
/// synapses only. `v_peak = inf` is the theta neuron (spike at V = +inf, reset to -inf);
/// a finite `v_peak` spikes at +v_peak and resets to -v_peak.
///
/// The flow over a time h is exact: with u'' = -I u and V = -u'/u,
/// V(h) = (I S + C V0) / (C - S V0), where C = cos(sqrt(I) h), S = sin(sqrt(I) h) / sqrt(I)
/// for I > 0 (cosh, sinh of sqrt(-I) h for I < 0; C = 1, S = h for I = 0). For I > 0 the
/// phase phi = atan(V / sqrt(I)) advances at the constant rate sqrt(I) and a spike is its
/// passage through atan(v_peak / sqrt(I)), so several spikes per step are counted exactly.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Qif {
    pub drive: f64,
    pub v_peak: f64,
}

impl Qif {
    /// One step of length h from v (no arrivals); returns (V(h), number of spikes).
    pub fn flow(&self, v: f64, h: f64) -> (f64, u32) {
        let i = self.drive;
        if i > 0.0 {
            let r = i.sqrt();
            let peak = (self.v_peak / r).atan(); // pi/2 for the theta neuron
            let phi = (v / r).atan().max(-peak) + r * h;
            if phi < peak {
                return (r * phi.tan(), 0);
            }
            let spikes = ((phi + peak) / (2.0 * peak)).floor();
            let phi = phi - spikes * 2.0 * peak;
            let v1 = if phi <= -std::f64::consts::FRAC_PI_2 {
                f64::NEG_INFINITY
            } else {
                r * phi.tan()
            };
            return (v1.max(-self.v_peak), spikes as u32);
        }
        // I <= 0: at most one spike (from the reset, V tends to -sqrt(-I) without reaching
        // the peak). C, S >= 0.
        let (c, s) = if i == 0.0 {
            (1.0, h)
        } else {
            let r = (-i).sqrt();
            ((r * h).cosh(), (r * h).sinh() / r)
        };
        if v == f64::NEG_INFINITY || v <= -self.v_peak {
            let v0 = -self.v_peak;
            return if v0.is_finite() {
                ((i * s + c * v0) / (c - s * v0), 0)
            } else {
                (-c / s, 0)
            };
        }
        let u = c - s * v;
        let v1 = (i * s + c * v) / u;
        if u > 0.0 && v1 < self.v_peak {
            return (v1, 0);
        }
        // Crossed the peak: S/C at the crossing time t* solves S (I + v_p V0) = C (v_p - V0).
        if !self.v_peak.is_finite() {
            // Theta neuron: past +inf, the formula already continues from -inf.
            return (if u == 0.0 { f64::NEG_INFINITY } else { v1 }, 1);
        }
        let ratio = (self.v_peak - v) / (i + self.v_peak * v);
        let t_star = if i == 0.0 {
            ratio
        } else {
            let r = (-i).sqrt();
            (r * ratio).atanh() / r
        };
        let rest = (h - t_star).max(0.0);
        let (v_after, _) = Qif {
            drive: i,
            v_peak: self.v_peak,
        }
        .flow(-self.v_peak, rest);
        (v_after, 1)
    }
}

impl NeuronModel for Qif {
    fn validate(&self, _dt: f64, channels: &[Synapse]) -> Result<(), SimError> {
        if !self.drive.is_finite() {
            return Err(invalid("drive", self.drive, "finite"));
        }
        if self.v_peak.is_nan() || self.v_peak <= 0.0 {
            return Err(invalid("v_peak", self.v_peak, "0 < v_peak <= inf"));
        }
        if channels.iter().any(|c| c.has_state()) {
            return Err(SimError::Unsupported(
                "the QIF model takes delta synapses only".into(),
            ));
        }
        Ok(())
    }

    fn v_threshold(&self) -> f64 {
        self.v_peak
    }

    fn step(&self, input: StepInput<'_>, st: &mut ChunkState, spikes: &mut Spikes) {
        let n = st.v.len();
        let q = Qif {
            drive: self.drive + input.drive,
            ..*self
        };
        for k in 0..n {
            let (v1, s) = q.flow(st.v[k], input.dt);
            st.v[k] = v1;
            for _ in 0..s {
                spikes.push(k as u32);
            }
        }
    }
}

/// A population's neuron model: the engine dispatches once per chunk and step, the inner
/// loops are monomorphic.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "model", rename_all = "snake_case")]
pub enum Model {
    Eif(Eif),
    Lif(Lif),
    Qif(Qif),
}

impl Model {
    pub fn as_dyn(&self) -> &dyn NeuronModel {
        match self {
            Model::Eif(m) => m,
            Model::Lif(m) => m,
            Model::Qif(m) => m,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    /// A chunk of 1000 EIF neurons spread over [-80, -49] mV with random conductances and
    /// currents: every branch of the step (spikes included) is exercised.
    fn chunk(seed: u64, channels: usize) -> ChunkState {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let n = 1000;
        ChunkState {
            v: (0..n).map(|_| -80.0 + 31.0 * rng.random::<f64>()).collect(),
            syn: (0..channels)
                .map(|_| (0..n).map(|_| 0.3 * rng.random::<f64>()).collect())
                .collect(),
            refractory: vec![0.0; n],
            ..ChunkState::default()
        }
    }

    #[test]
    fn vector_builds_of_the_eif_step_give_the_baseline_bits() {
        // The AVX2 and AVX-512 builds promise the baseline's bits (same operations, no FMA
        // contraction): checked on 1-4 channels (the unrolled counts and the general loop),
        // both schemes, both spike forms, 50 steps.
        let m0 = Eif {
            g_l: 1.0 / 15.0,
            e_l: -72.0,
            v_t: -55.0,
            delta_t: 1.3,
            v_th: -50.0,
            v_re: -75.0,
            spike_form: SpikeForm::Authors,
            scheme: EifScheme::Euler,
        };
        let all = [
            Synapse::Conductance {
                tau: 8.0,
                e_rev: 0.0,
            },
            Synapse::Current { tau: 4.0 },
            Synapse::Conductance {
                tau: 10.0,
                e_rev: -80.0,
            },
            Synapse::Current { tau: 2.0 },
        ];
        for m in 1..=4 {
            for scheme in [EifScheme::Euler, EifScheme::Heun] {
                for spike_form in [SpikeForm::Authors, SpikeForm::Standard] {
                    let model = Eif {
                        scheme,
                        spike_form,
                        ..m0
                    };
                    let ch = &all[..m];
                    let run = |variant: u8| {
                        let mut st = chunk(7, m);
                        let mut spikes = Vec::new();
                        for _ in 0..50 {
                            match variant {
                                #[cfg(target_arch = "x86_64")]
                                1 => unsafe { model.step_avx2(0.1, 0.2, ch, &mut st, &mut spikes) },
                                #[cfg(target_arch = "x86_64")]
                                2 => unsafe {
                                    model.step_avx512(0.1, 0.2, ch, &mut st, &mut spikes)
                                },
                                _ => model.step_any(0.1, 0.2, ch, &mut st, &mut spikes),
                            }
                        }
                        let bits: Vec<u64> =
                            st.v.iter()
                                .chain(st.syn.iter().flatten())
                                .map(|x| x.to_bits())
                                .collect();
                        (bits, spikes)
                    };
                    let base = run(0);
                    assert!(!base.1.is_empty(), "the test chunk spikes");
                    #[cfg(target_arch = "x86_64")]
                    {
                        if std::arch::is_x86_feature_detected!("avx2") {
                            assert!(run(1) == base, "AVX2, {m} channels, {scheme:?}");
                        }
                        if std::arch::is_x86_feature_detected!("avx512f") {
                            assert!(run(2) == base, "AVX-512, {m} channels, {scheme:?}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn vector_builds_of_the_linear_lif_step_give_the_baseline_bits() {
        // The AVX2 intrinsics of `linear_block_avx2` and the AVX-512 build promise the
        // baseline's bits and spikes: checked with and without a current channel, with and
        // without refractoriness, both linear schemes, on a chunk of 1000 neurons (15 whole
        // blocks and a tail), 200 steps of a drive that makes many fire.
        for cur in [true, false] {
            for tau_ref in [0.0, 0.05] {
                for scheme in [LifScheme::Euler, LifScheme::Timed] {
                    let model = Lif {
                        tau: 1.0,
                        v_th: 1.0,
                        v_re: 0.0,
                        mu: 1.3,
                        sigma: 0.0,
                        tau_ref,
                        scheme,
                    };
                    let ch: Vec<Synapse> = if cur {
                        vec![Synapse::Current { tau: 0.5 }]
                    } else {
                        vec![Synapse::Delta]
                    };
                    let run = |variant: u8| {
                        let mut st = chunk(11, 0);
                        st.v.iter_mut().for_each(|v| *v = (*v + 80.0) / 31.0);
                        if cur {
                            let mut rng = ChaCha8Rng::seed_from_u64(12);
                            st.syn = vec![(0..1000).map(|_| rng.random::<f64>() - 0.5).collect()];
                        } else {
                            st.syn = vec![AlignedVec::default()];
                        }
                        let mut noise = ChaCha8Rng::seed_from_u64(1);
                        let mut all = Vec::new();
                        for _ in 0..200 {
                            let mut sp = Spikes::default();
                            let input = StepInput {
                                dt: 0.01,
                                channels: &ch,
                                rng: &mut noise,
                                drive: 0.0,
                                prepared: None,
                            };
                            match variant {
                                #[cfg(target_arch = "x86_64")]
                                1 => unsafe { model.step_linear_avx2(input, &mut st, &mut sp) },
                                #[cfg(target_arch = "x86_64")]
                                2 => unsafe { model.step_linear_avx512(input, &mut st, &mut sp) },
                                _ => model.step_linear::<false>(input, &mut st, &mut sp),
                            }
                            all.push(sp);
                        }
                        let bits: Vec<u64> =
                            st.v.iter()
                                .chain(st.syn.iter().flatten())
                                .chain(&st.refractory)
                                .map(|x| x.to_bits())
                                .collect();
                        (bits, all)
                    };
                    let base = run(0);
                    assert!(
                        base.1.iter().map(|s| s.len()).sum::<usize>() > 1000,
                        "the test chunk spikes"
                    );
                    #[cfg(target_arch = "x86_64")]
                    {
                        if std::arch::is_x86_feature_detected!("avx2") {
                            assert!(run(1) == base, "AVX2, current {cur}, {scheme:?}");
                        }
                        if std::arch::is_x86_feature_detected!("avx512f") {
                            assert!(run(2) == base, "AVX-512, current {cur}, {scheme:?}");
                        }
                    }
                }
            }
        }
    }
}
