//! Paper 004: the Ricciardi (Siegert) rate of a LIF neuron under white noise and its
//! derivatives (in balnet's units or NEST's `siegert_neuron` convention), the power-law fit,
//! the SSN's steady states and regimes at one input and over a grid, and the LIF network
//! simulated against its SSN and the Ricciardi self-consistency Phi_sc.

use std::path::Path;

use sim::checkpoint::Control;
use theory::ssn::mean_field::{LifNetwork, ScState};
use theory::ssn::network::{Analysis, Cell, Ssn, State};
use theory::ssn::power_law::PowerLaw;

use serde::Serialize;
use theory::ssn::ricciardi::{Neuron, from_nest, rate_with_derivatives};

use crate::{Error, Result};

/// The units of the inputs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Convention {
    /// dV/dt = -V/tau + mu + sigma xi: mu in mV/s, sigma in mV/sqrt(s), times in s.
    #[default]
    Balnet,
    /// NEST's siegert_neuron: mu and sigma in mV (tau_m dV/dt = -V + mu + sigma sqrt(tau_m) xi),
    /// tau and tau_ref in ms.
    Nest,
}

/// The rate (Hz) and its derivatives with respect to this convention's mu and sigma (the JSON
/// of `balnet ricciardi`).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Ricciardi {
    pub rate: f64,
    pub drate_dmu: f64,
    pub drate_dsigma: f64,
}

/// The Ricciardi rate of `neuron` (tau, tau_ref in this convention's time unit) at (mu, sigma).
pub fn ricciardi(mu: f64, sigma: f64, neuron: Neuron, convention: Convention) -> Result<Ricciardi> {
    let (mu_b, sigma_b, n, scale_mu, scale_sigma) = match convention {
        Convention::Balnet => (mu, sigma, neuron, 1.0, 1.0),
        Convention::Nest => {
            let (m, s, n) = from_nest(
                mu,
                sigma,
                neuron.tau,
                neuron.tau_ref,
                neuron.theta,
                neuron.v_r,
            );
            // Derivatives with respect to NEST's mu_N = mu tau and sigma_N = sigma sqrt(tau).
            (m, s, n, 1.0 / n.tau, 1.0 / n.tau.sqrt())
        }
    };
    n.validate()?;
    if !(sigma_b >= 0.0 && sigma_b.is_finite()) {
        return Err(Error::Input(format!(
            "invalid sigma = {sigma}: valid range is 0 <= sigma < inf"
        )));
    }
    if !mu_b.is_finite() {
        return Err(Error::Input(format!(
            "invalid mu = {mu}: valid range is finite"
        )));
    }
    let r = rate_with_derivatives(&n, mu_b, sigma_b);
    Ok(Ricciardi {
        rate: r.rate,
        drate_dmu: r.drate_dmu * scale_mu,
        drate_dsigma: r.drate_dsigma * scale_sigma,
    })
}

/// The power law nu = a [mu - b]_+^n fitted to the Ricciardi rate over 0..max_rate Hz
/// (paper 004, Eq. 1): the JSON of `balnet ssn fit` ({"a", "b", "n", "rms"}).
pub fn fit(neuron: Neuron, sigma: f64, max_rate: f64) -> Result<PowerLaw> {
    Ok(theory::ssn::power_law::fit(&neuron, sigma, max_rate)?)
}

/// A network file's content: an SSN, and the LIF network it was fitted from if the file is one.
#[derive(Clone, Debug)]
pub struct NetworkFile {
    pub ssn: Ssn,
    pub lif: Option<LifNetwork>,
}

/// Parse a network file's text: a LIF network (it has `n`; its SSN is fitted, Eq. 13 and the
/// power laws over 0-10 Hz) or an SSN directly (a, b, n and J_XY). `name` names it in errors.
pub fn parse_network(text: &str, name: &str) -> Result<NetworkFile> {
    use crate::params_toml::parse;
    let table: toml::Table = parse(text, name)?;
    if table.contains_key("n") {
        let net: LifNetwork = parse(text, name)?;
        net.validate()?;
        Ok(NetworkFile {
            ssn: net.to_ssn(10.0)?,
            lif: Some(net),
        })
    } else {
        let s: Ssn = parse(text, name)?;
        s.validate()?;
        Ok(NetworkFile { ssn: s, lif: None })
    }
}

/// Read a network file (see [`parse_network`]).
pub fn read_network(path: &Path) -> Result<NetworkFile> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::Input(format!("cannot read {}: {e}", path.display())))?;
    parse_network(&text, &path.display().to_string())
}

fn check_input(mu_ext: f64, r: f64) -> Result<()> {
    if !mu_ext.is_finite() {
        return Err(Error::Input(format!(
            "invalid mu-ext = {mu_ext}: valid range is finite"
        )));
    }
    if !(r >= 0.0 && r.is_finite()) {
        return Err(Error::Input(format!(
            "invalid r = {r}: valid range is 0 <= r < inf"
        )));
    }
    Ok(())
}

/// Every steady state at one input and the regime verdicts (the JSON of
/// `balnet ssn steady-states`), with the Ricciardi self-consistency Phi_sc of a LIF network.
#[derive(Clone, Debug, Serialize)]
pub struct SteadyStates {
    #[serde(flatten)]
    pub analysis: Analysis,
    pub ssn: Ssn,
    pub phi_sc: Option<Vec<ScState>>,
}

/// The SSN's steady states at external input mu_ext to E and r mu_ext to I.
pub fn steady_states(file: &NetworkFile, mu_ext: f64, r: f64) -> Result<SteadyStates> {
    check_input(mu_ext, r)?;
    let analysis = file.ssn.analyse(mu_ext, r);
    let phi_sc = match &file.lif {
        Some(n) => Some(n.phi_sc(mu_ext, r)?),
        None => None,
    };
    Ok(SteadyStates {
        analysis,
        ssn: file.ssn,
        phi_sc,
    })
}

/// The regime map of paper 004's Fig. 5 (the JSON of `balnet ssn scan`).
#[derive(Clone, Debug, Serialize)]
pub struct SsnScan {
    pub mu_ext: Vec<f64>,
    pub r: Vec<f64>,
    pub cells: Vec<Cell>,
    /// Wall time (not reproducible).
    pub seconds: f64,
}

/// Analyse every cell of the grid mu_ext × r.
pub fn scan(ssn: &Ssn, mu_ext: &[f64], r: &[f64]) -> Result<SsnScan> {
    if let Some(x) = r.iter().find(|x| !(**x >= 0.0 && x.is_finite())) {
        return Err(Error::Input(format!(
            "invalid r: {x}: valid range is 0 <= r < inf"
        )));
    }
    if mu_ext.iter().any(|x| !x.is_finite()) {
        return Err(Error::Input("invalid mu-ext: values must be finite".into()));
    }
    let t0 = std::time::Instant::now();
    let cells = ssn.scan(mu_ext, r);
    Ok(SsnScan {
        mu_ext: mu_ext.to_vec(),
        r: r.to_vec(),
        cells,
        seconds: t0.elapsed().as_secs_f64(),
    })
}

/// How a LIF network of paper 004 is simulated.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LifSsnSettings {
    /// Simulated time (s), of which the first `transient` is not measured.
    pub t: f64,
    pub transient: f64,
    /// Time step (s).
    pub dt: f64,
    /// Seed of the network, its delays, the initial potentials and the noise.
    pub seed: u64,
    /// Another network size N (j_XY scaled by sqrt(N0 / N), the drive by sqrt(N / N0)).
    pub n: Option<usize>,
}

/// A state as `simulate lif-ssn` lists it.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct StateBrief {
    pub nu_e: f64,
    pub nu_i: f64,
    pub stable: bool,
}

impl From<&State> for StateBrief {
    fn from(s: &State) -> Self {
        StateBrief {
            nu_e: s.nu_e,
            nu_i: s.nu_i,
            stable: s.stable,
        }
    }
}

impl From<&ScState> for StateBrief {
    fn from(s: &ScState) -> Self {
        StateBrief {
            nu_e: s.nu_e,
            nu_i: s.nu_i,
            stable: s.stable,
        }
    }
}

/// A simulated LIF network of paper 004 against its SSN and Phi_sc (the JSON of
/// `balnet simulate lif-ssn`; rates in Hz).
#[derive(Clone, Debug, Serialize)]
pub struct LifSsnSimulation {
    pub rate_e: f64,
    pub rate_i: f64,
    pub cv_e: f64,
    pub cv_i: f64,
    pub balance_e: f64,
    pub balance_i: f64,
    pub n: usize,
    /// The drive to E after the size scaling.
    pub mu_ext: f64,
    pub ssn: Vec<StateBrief>,
    pub phi_sc: Vec<StateBrief>,
}

/// Simulate the LIF network of `file` at input (mu_ext, r mu_ext).
pub fn simulate_lif_ssn(
    file: &NetworkFile,
    mu_ext: f64,
    r: f64,
    s: &LifSsnSettings,
    control: &mut dyn Control,
) -> Result<LifSsnSimulation> {
    check_input(mu_ext, r)?;
    let Some(net) = &file.lif else {
        return Err(Error::Input(
            "a LIF network file is needed (with n, p_XY, j_XY, [e], [i]; see golden/ssn/)".into(),
        ));
    };
    if !(s.t > 0.0 && s.t.is_finite() && s.transient >= 0.0 && s.transient < s.t) {
        return Err(Error::Input(format!(
            "invalid transient = {}: valid range is 0 <= transient < t",
            s.transient
        )));
    }
    let mut net = *net;
    let mut mu = mu_ext;
    if let Some(n) = s.n {
        if !(10..=10_000_000).contains(&n) {
            return Err(Error::Input(format!(
                "invalid n = {n}: valid range is a whole number 10 <= n <= 1e7"
            )));
        }
        mu *= net.drive_factor(n);
        net = net.scaled(n);
    }
    let ssn = net.to_ssn(10.0)?;
    let sim = sim::lif_ssn::SsnLif::new(&net, s.dt, s.seed)?;
    if let Some(w) = sim::budget::long_run_warning(sim.estimated_seconds(s.t)) {
        control.warn(&w);
    }
    let res = sim.run(
        &[sim::lif_ssn::Segment {
            duration: s.t,
            settle: s.transient,
            mu_e: mu,
            mu_i: r * mu,
        }],
        s.seed,
        |done, total| control.progress(done / total),
    )?;
    let x = res[0];
    let states = ssn.steady_states(mu, r);
    let sc = net.phi_sc(mu, r)?;
    Ok(LifSsnSimulation {
        rate_e: x.rate_e,
        rate_i: x.rate_i,
        cv_e: x.cv_e,
        cv_i: x.cv_i,
        balance_e: x.balance_e,
        balance_i: x.balance_i,
        n: net.n,
        mu_ext: mu,
        ssn: states.iter().map(StateBrief::from).collect(),
        phi_sc: sc.iter().map(StateBrief::from).collect(),
    })
}
