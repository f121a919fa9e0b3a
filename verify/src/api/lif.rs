//! Runs of the LIF spiking network of Eqs. 62-64 (Figs. 10-11): rates, CVs, mean inputs, input
//! ACF, rasters, and the CV in windows of given lengths (the paper's Fig. 11C measures CVs in
//! windows shorter than the run).

use serde::Serialize;

use sim::checkpoint::{Checkpoints, Control, run_with_checkpoints};
use sim::lif::{
    LifIntegrator, LifNetwork, LifObserve, LifRun, LifSpec, LifSummary, cv_in_windows,
    initial_state,
};

use crate::{Error, Result};

/// How a LIF run integrates, what it records and where it saves.
#[derive(Clone, Debug)]
pub struct LifSettings {
    /// Time step (0 < dt <= 0.1, units of tau_m; the paper: 1e-3).
    pub dt: f64,
    /// Measured time after the transient (units of tau_m).
    pub t: f64,
    pub transient: f64,
    pub integrator: LifIntegrator,
    /// Absolute refractory period (0 in the paper).
    pub tau_ref: f64,
    /// Keep every spike of the measured window.
    pub raster: bool,
    /// Neurons (global indices, E first) whose v, mu, w are recorded every 0.1.
    pub traces: Vec<usize>,
    /// Window lengths for the CV in windows (each 0 < window <= t).
    pub cv_windows: Vec<f64>,
    pub checkpoints: Checkpoints,
}

impl LifSettings {
    /// The paper's settings: Euler at dt = 1e-3, no refractory period, no raster.
    pub fn new(t: f64, transient: f64) -> Self {
        LifSettings {
            dt: 1e-3,
            t,
            transient,
            integrator: LifIntegrator::Euler,
            tau_ref: 0.0,
            raster: false,
            traces: Vec::new(),
            cv_windows: Vec::new(),
            checkpoints: Checkpoints::default(),
        }
    }
}

/// The mean CVs in windows of one length, with their standard errors over windows. A mean is
/// `null` when no window holds a CV (too few spikes), a standard error when fewer than two
/// windows do (e.g. a window as long as the run).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct CvWindow {
    pub window: f64,
    /// How many windows fit in the measured time.
    pub windows: usize,
    #[serde(serialize_with = "crate::finite::or_null")]
    pub cv_e: f64,
    #[serde(serialize_with = "crate::finite::or_null")]
    pub cv_e_stderr: f64,
    #[serde(serialize_with = "crate::finite::or_null")]
    pub cv_i: f64,
    #[serde(serialize_with = "crate::finite::or_null")]
    pub cv_i_stderr: f64,
}

/// A finished LIF simulation: the JSON of `balnet simulate lif` (the summary, N, seed, dt and
/// the CV windows when asked) and the run with its raster, bins and traces.
#[derive(Clone, Debug, Serialize)]
pub struct LifSimulation {
    #[serde(flatten)]
    pub summary: LifSummary,
    pub n: usize,
    pub seed: u64,
    pub dt: f64,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub cv_windows: Vec<CvWindow>,
    #[serde(skip)]
    pub run: LifRun,
}

/// Mean and standard error of the finite entries of `v`.
fn mean_stderr(v: impl Iterator<Item = f64>) -> (f64, f64) {
    let v: Vec<f64> = v.filter(|x| x.is_finite()).collect();
    let n = v.len() as f64;
    let m = v.iter().sum::<f64>() / n;
    let se = if v.len() > 1 {
        (v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0) / n).sqrt()
    } else {
        f64::NAN
    };
    (m, se)
}

/// Simulate the LIF network with the standard observers ([`LifObserve::standard`]).
pub fn simulate_lif(
    net: &LifNetwork,
    seed: u64,
    s: &LifSettings,
    control: &mut dyn Control,
) -> Result<LifSimulation> {
    if !(s.dt > 0.0 && s.dt <= 0.1) {
        return Err(Error::Input(format!(
            "invalid dt = {}: valid range is 0 < dt <= 0.1 (units of tau_m)",
            s.dt
        )));
    }
    if let Some(w) = s.cv_windows.iter().find(|w| !(**w > 0.0 && **w <= s.t)) {
        return Err(Error::Input(format!(
            "invalid cv-window = {w}: valid range is 0 < window <= t = {}",
            s.t
        )));
    }
    if let Some(&i) = s.traces.iter().find(|&&i| i >= net.n()) {
        return Err(Error::Input(format!(
            "invalid trace = {i}: valid range is 0 <= neuron < N = {}",
            net.n()
        )));
    }
    let mut spec = LifSpec::paper(s.t, s.transient);
    spec.dt = s.dt;
    spec.tau_ref = s.tau_ref;
    spec.integrator = s.integrator;
    spec.observe = LifObserve {
        raster: s.raster || !s.cv_windows.is_empty(),
        traces: s.traces.clone(),
        ..LifObserve::standard(s.dt)
    };
    spec.validate()?;
    let fresh = || LifRun::new(net, spec.clone(), initial_state(net, seed));
    let run = run_with_checkpoints(net, fresh, &s.checkpoints, control)?;
    let summary = run.summary(net);
    let sizes = net.rate.conn.sizes;
    let raster = run.raster();
    let cv_windows = s
        .cv_windows
        .iter()
        .map(|&w| {
            let cvs = cv_in_windows(&raster, &sizes, s.transient, s.transient + s.t, w);
            let (cv_e, cv_e_stderr) = mean_stderr(cvs.iter().map(|c| c[0]));
            let (cv_i, cv_i_stderr) = mean_stderr(cvs.iter().map(|c| c[1]));
            CvWindow {
                window: w,
                windows: cvs.len(),
                cv_e,
                cv_e_stderr,
                cv_i,
                cv_i_stderr,
            }
        })
        .collect();
    Ok(LifSimulation {
        summary,
        n: net.n(),
        seed,
        dt: s.dt,
        cv_windows,
        run,
    })
}
