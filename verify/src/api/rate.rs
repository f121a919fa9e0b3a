//! Runs of the rate network of Eq. 1 on a concrete network: the standard simulation
//! (population averages, input variances, tau_dec, regime, ACF, traces), the correlation
//! coefficients of Eqs. 57-61, the spectrum of DF_het (Eq. 19) and the Lyapunov exponents
//! (Eqs. 38-39). Long runs go through [`sim::checkpoint::run_with_checkpoints`]: they resume
//! from checkpoints and report to a [`Control`] that may stop them.

use serde::Serialize;

use sim::checkpoint::{Checkpoints, Control, run_with_checkpoints};
use sim::correlations::Correlations;
use sim::integrate::Method;
use sim::network::RateNetwork;
use sim::run::{Observe, Run, RunSpec, Summary, initial_state};
use sim::spectrum::Spectrum;
use sim::tangent::{LyapunovRegime, LyapunovSpec};

use crate::{Error, Result};

/// How a rate run integrates, where it starts and where it saves.
#[derive(Clone, Debug)]
pub struct RateSettings {
    /// Time step (0 < dt <= 1).
    pub dt: f64,
    /// Measured time after the transient.
    pub t: f64,
    pub transient: f64,
    pub method: Method,
    /// Neurons (global indices, E first) whose x, mu, w are recorded every 0.1.
    pub traces: Vec<usize>,
    /// Initial state (N + N_E numbers: x^E, x^I, w); default x_i ~ N(0, 1) from the seed, w = 1.
    pub init: Option<Vec<f64>>,
    pub checkpoints: Checkpoints,
}

impl RateSettings {
    /// Euler at dt = 0.05 (the paper's), from the seeded initial state, no checkpoints.
    pub fn new(t: f64, transient: f64) -> Self {
        RateSettings {
            dt: 0.05,
            t,
            transient,
            method: Method::Euler,
            traces: Vec::new(),
            init: None,
            checkpoints: Checkpoints::default(),
        }
    }

    fn validate(&self, net: &RateNetwork) -> Result<()> {
        // RunSpec::validate says the same; checked first to convert times to steps safely.
        if !(self.dt > 0.0 && self.dt <= 1.0) {
            return Err(Error::Input(format!(
                "invalid dt = {}: valid range is 0 < dt <= 1",
                self.dt
            )));
        }
        if let Some(&i) = self.traces.iter().find(|&&i| i >= net.n()) {
            return Err(Error::Input(format!(
                "invalid trace = {i}: valid range is 0 <= neuron < N = {}",
                net.n()
            )));
        }
        self.checkpoints.validate()?;
        if self.init.is_some() && self.checkpoints.path.is_some() {
            return Err(Error::Input(
                "invalid init with checkpoint: a checkpoint holds its own state; give one of them"
                    .into(),
            ));
        }
        Ok(())
    }
}

/// Set up (or resume) a run with `observe` and advance it to the end.
fn execute(
    net: &RateNetwork,
    seed: u64,
    s: &RateSettings,
    observe: Observe,
    control: &mut dyn Control,
) -> Result<Run> {
    s.validate(net)?;
    let spec = RunSpec {
        dt: s.dt,
        t: s.t,
        transient: s.transient,
        method: s.method,
        observe,
    };
    spec.validate()?;
    let fresh = || {
        let y0 = match &s.init {
            Some(y) if y.len() != net.dim() => {
                return Err(sim::SimError::Format(format!(
                    "initial state has {} entries, the network needs N + N_E = {}",
                    y.len(),
                    net.dim()
                )));
            }
            Some(y) => y.clone(),
            None => initial_state(net, seed),
        };
        Run::new(net, spec.clone(), y0)
    };
    Ok(run_with_checkpoints(net, fresh, &s.checkpoints, control)?)
}

/// A finished rate simulation: its summary (the JSON of `balnet simulate rate`) and the run
/// with its recorded traces and final state.
#[derive(Clone, Debug, Serialize)]
pub struct RateSimulation {
    #[serde(flatten)]
    pub summary: Summary,
    #[serde(skip)]
    pub run: Run,
}

/// Simulate Eq. 1 with the standard observers ([`Observe::standard`]) and the traces asked for.
pub fn simulate_rate(
    net: &RateNetwork,
    seed: u64,
    s: &RateSettings,
    control: &mut dyn Control,
) -> Result<RateSimulation> {
    let observe = Observe {
        traces: s.traces.clone(),
        ..Observe::standard(&net.params, s.dt)
    };
    let run = execute(net, seed, s, observe, control)?;
    Ok(RateSimulation {
        summary: run.summary(net),
        run,
    })
}

/// The correlation coefficients of Eqs. 57-61 over the measured window, the currents sampled
/// every `sample_dt` (dt <= sample_dt < inf).
pub fn correlations(
    net: &RateNetwork,
    seed: u64,
    s: &RateSettings,
    sample_dt: f64,
    control: &mut dyn Control,
) -> Result<Correlations> {
    if !(sample_dt >= s.dt && sample_dt.is_finite()) {
        return Err(Error::Input(format!(
            "invalid sample-dt = {sample_dt}: valid range is dt <= sample-dt < inf"
        )));
    }
    let observe = Observe {
        correlations: Some(((sample_dt / s.dt).round() as usize).max(1)),
        ..Observe::default()
    };
    let run = execute(net, seed, s, observe, control)?;
    run.summary(net)
        .correlations
        .ok_or_else(|| Error::Compute("the correlation observer did not run".into()))
}

/// The largest network whose dense spectrum is computed (N + N_E).
pub const SPECTRUM_MAX_DIM: usize = 12000;

/// All eigenvalues of DF_het (Eq. 19) at the network's homogeneous fixed point, against the
/// Girko disk.
pub fn spectrum(net: &RateNetwork) -> Result<Spectrum> {
    if net.dim() > SPECTRUM_MAX_DIM {
        return Err(Error::Input(format!(
            "invalid n = {}: the dense spectrum needs N + N_E <= {SPECTRUM_MAX_DIM} (N <= 6666)",
            net.n()
        )));
    }
    Ok(sim::spectrum::spectrum(net)?)
}

/// The k largest Lyapunov exponents and the regime they say.
#[derive(Clone, Debug, Serialize)]
pub struct Lyapunov {
    pub exponents: Vec<f64>,
    pub regime: LyapunovRegime,
}

/// Lyapunov exponents from the seeded initial state (Eqs. 38-39).
pub fn lyapunov(
    net: &RateNetwork,
    seed: u64,
    spec: &LyapunovSpec,
    control: &mut dyn Control,
) -> Result<Lyapunov> {
    let r = sim::tangent::lyapunov(net, initial_state(net, seed), spec, seed, control)?;
    Ok(Lyapunov {
        exponents: r.exponents,
        regime: r.regime,
    })
}
