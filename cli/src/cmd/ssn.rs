//! The second model's commands (paper 004): `balnet ricciardi` (the Ricciardi rate of a LIF
//! neuron under white noise) and `balnet ssn fit | steady-states` (the power-law fit and the
//! stabilized supralinear network's steady states and regime verdicts).

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};
use theory::ssn::ricciardi::Neuron;
use verify::api::ssn as api;

use crate::args::{number, parse_list};
use crate::output::{Failure, emit_result};

/// The unit convention of `balnet ricciardi`'s inputs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum Convention {
    /// dV/dt = -V/tau + mu + sigma xi: mu in mV/s, sigma in mV/sqrt(s), times in s.
    Balnet,
    /// NEST's siegert_neuron: mu and sigma in mV (tau_m dV/dt = -V + mu + sigma sqrt(tau_m) xi),
    /// tau and tau_ref in ms.
    Nest,
}

/// One LIF neuron (paper 004's tau, Theta, V_R, tau_ref).
#[derive(Args, Debug, Clone)]
pub(crate) struct NeuronArgs {
    /// Membrane time constant (s; `ricciardi --convention nest`: ms).
    #[arg(long, value_parser = number, default_value = "0.02")]
    tau: f64,
    /// Threshold relative to rest (mV).
    #[arg(long, value_parser = number, default_value = "20")]
    theta: f64,
    /// Reset relative to rest (mV), below theta.
    #[arg(long = "v-r", value_parser = number, default_value = "10")]
    v_r: f64,
    /// Refractory period (s; `ricciardi --convention nest`: ms).
    #[arg(long = "tau-ref", value_parser = number, default_value = "0")]
    tau_ref: f64,
}

#[derive(Args, Debug)]
pub(crate) struct RicciardiArgs {
    /// Mean input (mV/s; mV with --convention nest).
    #[arg(long, value_parser = number, allow_hyphen_values = true)]
    mu: f64,
    /// Noise strength (mV/sqrt(s); mV with --convention nest); 0 gives the deterministic rate.
    #[arg(long, value_parser = number)]
    sigma: f64,
    #[command(flatten)]
    neuron: NeuronArgs,
    /// Unit convention of the inputs.
    #[arg(long, value_enum, default_value = "balnet")]
    convention: Convention,
    /// Print one JSON object: {"rate", "drate_dmu", "drate_dsigma"} (Hz, per this convention).
    #[arg(long)]
    json: bool,
}

pub(crate) fn cmd_ricciardi(a: &RicciardiArgs) -> Result<(), Failure> {
    let n = &a.neuron;
    let neuron = Neuron {
        tau: n.tau,
        theta: n.theta,
        v_r: n.v_r,
        tau_ref: n.tau_ref,
    };
    let convention = match a.convention {
        Convention::Balnet => verify::api::ssn::Convention::Balnet,
        Convention::Nest => verify::api::ssn::Convention::Nest,
    };
    let r = verify::api::ssn::ricciardi(a.mu, a.sigma, neuron, convention)?;
    emit_result(a.json, &r, || {
        format!(
            "rate {:.10e} Hz\ndrate/dmu {:.6e}\ndrate/dsigma {:.6e}\n",
            r.rate, r.drate_dmu, r.drate_dsigma
        )
    })
}

#[derive(Subcommand, Debug)]
pub(crate) enum SsnCmd {
    /// Fit nu = a [mu - b]_+^n to the Ricciardi rate over 0..max-rate Hz (paper 004, Eq. 1).
    Fit(FitArgs),
    /// Every steady state of the SSN at one input, its stability and the regime verdicts;
    /// for a LIF network file also every solution of the Ricciardi self-consistency Phi_sc.
    SteadyStates(SteadyArgs),
    /// The regime map of paper 004's Fig. 5 over a grid of (mu_ext, r), as CSV.
    Scan(ScanArgs),
}

#[derive(Args, Debug)]
pub(crate) struct ScanArgs {
    /// TOML file: an SSN or a LIF network (see golden/ssn/).
    #[arg(long, value_name = "FILE.toml")]
    params: PathBuf,
    /// External inputs to E: A:B:K (K values from A to B, mV/s) or v1,v2,...
    #[arg(long = "mu-ext", allow_hyphen_values = true)]
    mu_ext: String,
    /// Ratios of the external inputs to I and E: A:B:K or v1,v2,...
    #[arg(long)]
    r: String,
    /// Write the CSV here (atomically) instead of to stdout.
    #[arg(long, value_name = "FILE.csv")]
    out: Option<PathBuf>,
    /// Print one JSON object: {"mu_ext": [...], "r": [...], "cells": [{"mu_ext", "r",
    /// "states", "stable", "supersaturating", "isn", "bistable", "no_steady_state",
    /// "balanced_exists", "balanced_stable", "complete"}], "seconds"}.
    #[arg(long)]
    json: bool,
}

/// The CSV header of `balnet ssn scan` (one row per cell, rows of constant r).
pub(crate) const SCAN_HEADER: &str = "mu_ext,r,states,stable,supersaturating,isn,bistable,no_steady_state,balanced_exists,balanced_stable,complete";

/// One cell as a CSV row (booleans as 0/1).
pub(crate) fn scan_row(c: &theory::ssn::network::Cell) -> String {
    let b = |x: bool| u8::from(x);
    format!(
        "{},{},{},{},{},{},{},{},{},{},{}",
        c.mu_ext,
        c.r,
        c.states,
        c.stable,
        b(c.supersaturating),
        b(c.isn),
        b(c.bistable),
        b(c.no_steady_state),
        b(c.balanced_exists),
        b(c.balanced_stable),
        b(c.complete)
    )
}

fn cmd_scan(a: &ScanArgs) -> Result<(), Failure> {
    let file = api::read_network(&a.params)?;
    let bad = |name: &str, e: String| Failure(format!("invalid {name}: {e}"), 2);
    let mu = parse_list(&a.mu_ext, false).map_err(|e| bad("mu-ext", e))?;
    let r = parse_list(&a.r, false).map_err(|e| bad("r", e))?;
    let scan = api::scan(&file.ssn, &mu, &r)?;
    eprintln!(
        "balnet ssn scan: {} cells in {:.3} s",
        scan.cells.len(),
        scan.seconds
    );
    if scan.cells.iter().any(|c| !c.complete) {
        eprintln!(
            "balnet ssn scan: warning: some cells could have states above {:e} Hz (column complete = 0)",
            theory::ssn::network::MAX_RATE
        );
    }
    let mut csv = String::from(SCAN_HEADER);
    csv.push('\n');
    for c in &scan.cells {
        csv.push_str(&scan_row(c));
        csv.push('\n');
    }
    if let Some(path) = &a.out {
        sim::files::write_atomic(path, |w| std::io::Write::write_all(w, csv.as_bytes()))?;
    }
    emit_result(a.json, &scan, || {
        if a.out.is_some() {
            String::new()
        } else {
            csv.clone()
        }
    })
}

#[derive(Args, Debug)]
pub(crate) struct FitArgs {
    #[command(flatten)]
    neuron: NeuronArgs,
    /// Noise strength sigma (mV/sqrt(s)); the membrane potential's sd is sigma sqrt(tau/2).
    #[arg(long, value_parser = number)]
    sigma: f64,
    /// Upper end of the fitted rate range (Hz).
    #[arg(long = "max-rate", value_parser = number, default_value = "10")]
    max_rate: f64,
    /// Print one JSON object: {"a", "b", "n", "rms"} (b in mV/s, a in Hz/(mV/s)^n, rms in Hz).
    #[arg(long)]
    json: bool,
}

pub(crate) fn cmd_ssn(c: &SsnCmd) -> Result<(), Failure> {
    match c {
        SsnCmd::Fit(a) => {
            let n = Neuron {
                tau: a.neuron.tau,
                theta: a.neuron.theta,
                v_r: a.neuron.v_r,
                tau_ref: a.neuron.tau_ref,
            };
            let f = api::fit(n, a.sigma, a.max_rate)?;
            emit_result(a.json, &f, || {
                format!(
                    "a {:.6e}\nb {:.6} mV/s\nn {:.6}\nrms {:.3e} Hz\n",
                    f.a, f.b, f.n, f.rms
                )
            })
        }
        SsnCmd::SteadyStates(a) => cmd_steady(a),
        SsnCmd::Scan(a) => cmd_scan(a),
    }
}

/// A network file and one input (mu_ext to E, r mu_ext to I), shared by `ssn steady-states`
/// and `simulate lif-ssn`.
#[derive(Args, Debug)]
pub(crate) struct NetworkInput {
    /// TOML file: a LIF network (n, f_e, p_XY, j_XY, [e] and [i] with tau, theta, v_r,
    /// tau_ref, sigma_ext; see golden/ssn/*.toml), whose SSN is fitted and whose Phi_sc is
    /// solved too, or (steady-states only) an SSN (j_ee, j_ei, j_ie, j_ii in mV, tau_e, tau_i
    /// in s, [e] and [i] with a, b, n).
    #[arg(long, value_name = "FILE.toml")]
    params: PathBuf,
    /// External input to E (mV/s); r times it goes to I.
    #[arg(long = "mu-ext", value_parser = number, allow_hyphen_values = true)]
    mu_ext: f64,
    /// Ratio of the external inputs to I and E.
    #[arg(long, value_parser = number)]
    r: f64,
}

#[derive(Args, Debug)]
pub(crate) struct SteadyArgs {
    #[command(flatten)]
    input: NetworkInput,
    /// Print one JSON object: {"states": [{"nu_e", "nu_i", "stable"}], "det_j",
    /// "supersaturating", "isn", "balanced_limit": {"exists", "stable", "nu_e", "nu_i"}}.
    #[arg(long)]
    json: bool,
}

fn cmd_steady(a: &SteadyArgs) -> Result<(), Failure> {
    let file = api::read_network(&a.input.params)?;
    let st = api::steady_states(&file, a.input.mu_ext, a.input.r)?;
    let an = &st.analysis;
    if !an.complete {
        eprintln!(
            "balnet ssn: warning: states above {:e} Hz were not searched",
            theory::ssn::network::MAX_RATE
        );
    }
    let b = an.balanced_limit;
    let phi_sc = &st.phi_sc;
    emit_result(a.json, &st, || {
        let mut out = format!(
            "det J = {:.6}; supersaturating: {} (r > J_II/J_EI: {}); ISN: {}; bistable: {}; no steady state: {}\n",
            an.det_j,
            an.supersaturating,
            an.r_above_j_ii_over_j_ei,
            an.isn,
            an.bistable,
            an.no_steady_state
        );
        for x in &an.states {
            out.push_str(&format!(
                "state nu_E = {:.6} Hz, nu_I = {:.6} Hz, {}{}\n",
                x.nu_e,
                x.nu_i,
                if x.stable { "stable" } else { "unstable" },
                if x.isn { ", inhibition-stabilised" } else { "" }
            ));
        }
        for x in phi_sc.iter().flatten() {
            out.push_str(&format!(
                "Phi_sc nu_E = {:.6} Hz, nu_I = {:.6} Hz, {}\n",
                x.nu_e,
                x.nu_i,
                if x.stable { "stable" } else { "unstable" }
            ));
        }
        out.push_str(&format!(
            "balanced limit: {} (nu_E = {:.6}, nu_I = {:.6}), {}\n",
            if b.exists { "exists" } else { "does not exist" },
            b.nu_e,
            b.nu_i,
            if b.stable { "stable" } else { "not stable" }
        ));
        out
    })
}

#[derive(Args, Debug)]
pub(crate) struct LifSsnArgs {
    #[command(flatten)]
    input: NetworkInput,
    /// Simulated time (s), of which the first --transient is not measured.
    #[arg(long, value_parser = number, default_value = "2")]
    t: f64,
    /// Unmeasured start (s).
    #[arg(long, value_parser = number, default_value = "0.5")]
    transient: f64,
    /// Time step (s).
    #[arg(long, value_parser = number, default_value = "1e-4")]
    dt: f64,
    /// Seed of the network, its delays, the initial potentials and the noise.
    #[arg(long, value_parser = number, default_value = "1")]
    seed: f64,
    /// Override the network size N (j_XY rescaled by sqrt(N0 / N) and the drive by
    /// sqrt(N / N0), the balanced-state convention of Fig. 6).
    #[arg(long, value_parser = number)]
    n: Option<f64>,
    /// Print one JSON object: {"rate_e", "rate_i", "cv_e", "cv_i", "balance_e", "balance_i",
    /// "ssn": [states], "phi_sc": [states]} (rates in Hz).
    #[arg(long)]
    json: bool,
}

pub(crate) fn cmd_simulate_lif_ssn(a: &LifSsnArgs) -> Result<(), Failure> {
    let file = api::read_network(&a.input.params)?;
    if file.lif.is_none() {
        return Err(Failure(
            format!(
                "{}: a LIF network file is needed (with n, p_XY, j_XY, [e], [i]; see golden/ssn/)",
                a.input.params.display()
            ),
            2,
        ));
    }
    let seed = verify::api::network::seed(a.seed)?;
    let n = match a.n {
        Some(n) if n.fract() == 0.0 && (10.0..=1e7).contains(&n) => Some(n as usize),
        Some(n) => {
            return Err(Failure(
                format!("invalid n = {n}: valid range is a whole number 10 <= n <= 1e7"),
                2,
            ));
        }
        None => None,
    };
    let settings = api::LifSsnSettings {
        t: a.t,
        transient: a.transient,
        dt: a.dt,
        seed,
        n,
    };
    let r = a.input.r;
    let x = api::simulate_lif_ssn(
        &file,
        a.input.mu_ext,
        r,
        &settings,
        &mut crate::output::progress("lif-ssn"),
    )?;
    emit_result(a.json, &x, || {
        let mut out = format!(
            "N = {}, mu_ext = {} mV/s, r = {}\nsimulated: rate_E {:.4} Hz, rate_I {:.4} Hz, CV_E {:.3}, CV_I {:.3}, BF_E {:.3}, BF_I {:.3}\n",
            x.n, x.mu_ext, r, x.rate_e, x.rate_i, x.cv_e, x.cv_i, x.balance_e, x.balance_i
        );
        for s in &x.ssn {
            out.push_str(&format!(
                "SSN    nu_E {:.4}, nu_I {:.4} ({})\n",
                s.nu_e,
                s.nu_i,
                if s.stable { "stable" } else { "unstable" }
            ));
        }
        for s in &x.phi_sc {
            out.push_str(&format!(
                "Phi_sc nu_E {:.4}, nu_I {:.4} ({})\n",
                s.nu_e,
                s.nu_i,
                if s.stable { "stable" } else { "unstable" }
            ));
        }
        out
    })
}
