//! Subcommands on a concrete network: export-network, simulate rate, correlations, spectrum,
//! lyapunov. The network comes from the model flags (seeded; massive or, with --k-e/--k-i,
//! the sparse variant) or from a directory written by `export-network`.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use sim::checkpoint::Checkpoints;
use sim::files::{read_state, write_state};
use sim::integrate::Method;
use sim::network::RateNetwork;
use sim::run::{Run, Summary};
use sim::tangent::LyapunovSpec;
use verify::api::network::{NetworkSpec, in_degree};
use verify::api::rate::{self as api, RateSettings};

use crate::args::{Common, Model, apply_model, build_params_from, number};
use crate::output::{Failure, emit_result, progress, write_atomic};
use crate::svg::{Plot, Series, Style};

/// Which network: generated from the model flags, or read from a directory.
#[derive(Args, Debug, Clone, Default)]
pub(crate) struct NetArgs {
    /// Read the connectivity from DIR (network.json and ee/ei/ie/ii.mtx, as written by
    /// export-network). Its params are the base; flags may change J0, I0, g, j, u, tau_D, but
    /// not the structure (N, f, c_E, c_I, in-degrees). --seed then only seeds the initial state.
    #[arg(long, value_name = "DIR")]
    pub(crate) network: Option<PathBuf>,
    /// Sparse variant (S3 Appendix): excitatory in-degree K_E, fixed independently of N
    /// (give --k-i too). Default: K_E = c_E N.
    #[arg(long = "k-e", value_parser = number, requires = "k_i", value_name = "K")]
    pub(crate) k_e: Option<f64>,
    /// Sparse variant: inhibitory in-degree K_I (with --k-e).
    #[arg(long = "k-i", value_parser = number, requires = "k_e", value_name = "K")]
    pub(crate) k_i: Option<f64>,
    /// Forbid self-connections in the E-E and I-I blocks (allowed by default, as in the paper).
    #[arg(long = "no-autapses")]
    pub(crate) no_autapses: bool,
}

impl NetArgs {
    /// Whether the network is read from a directory.
    pub(crate) fn is_loaded(&self) -> bool {
        self.network.is_some()
    }
}

/// The network of the flags and the seed of the initial state.
pub(crate) fn build_network(m: &Model, na: &NetArgs) -> Result<(RateNetwork, u64), Failure> {
    build_network_from(m, na, theory::Params::default())
}

/// As [`build_network`], with other defaults for the parameters the flags do not set.
pub(crate) fn build_network_from(
    m: &Model,
    na: &NetArgs,
    defaults: theory::Params,
) -> Result<(RateNetwork, u64), Failure> {
    if let Some(dir) = &na.network {
        let structural = [
            ("--params", m.params.is_some()),
            ("--n", m.n.is_some()),
            ("--f", m.f.is_some()),
            ("--c-e", m.c_e.is_some()),
            ("--c-i", m.c_i.is_some()),
            ("--k-e/--k-i", na.k_e.is_some()),
            ("--no-autapses", na.no_autapses),
        ];
        if let Some((flag, _)) = structural.iter().find(|(_, set)| *set) {
            return Err(Failure(
                format!(
                    "{flag} cannot be combined with --network: the network directory fixes the structure"
                ),
                2,
            ));
        }
        // The flags' overlay fails only on bad input (status 2, as Error::Input).
        let loaded = verify::api::network::load(
            dir,
            defaults,
            |base| apply_model(base, m).map_err(|f| verify::Error::Input(f.0)),
            m.seed.map(|s| s as u64),
        )?;
        if let Some(note) = &loaded.note {
            eprintln!("note: {note}");
        }
        return Ok((loaded.net, loaded.seed));
    }
    let p = build_params_from(m, defaults)?;
    let mut spec = NetworkSpec::new(p, m.seed.unwrap_or(1.0) as u64);
    if let (Some(ke), Some(ki)) = (na.k_e, na.k_i) {
        spec.in_degrees = Some((in_degree(ke, "k-e")?, in_degree(ki, "k-i")?));
    }
    spec.autapses = !na.no_autapses;
    let seed = spec.seed;
    Ok((verify::api::network::generate(&spec)?, seed))
}

#[derive(Copy, Clone, Debug, ValueEnum)]
pub(crate) enum MethodArg {
    Euler,
    Heun,
    Rk4,
}

impl RunArgs {
    /// The library's settings for a run of `t` after `transient` (the initial state read from
    /// --init).
    fn settings(&self, net: &RateNetwork, t: f64, transient: f64) -> Result<RateSettings, Failure> {
        Ok(RateSettings {
            dt: self.dt,
            t,
            transient,
            method: self.method.into(),
            traces: Vec::new(),
            init: match &self.init {
                Some(f) => Some(read_state(f, net.dim())?),
                None => None,
            },
            checkpoints: Checkpoints {
                path: self.checkpoint.clone(),
                every: self.checkpoint_every,
            },
        })
    }
}

impl From<MethodArg> for Method {
    fn from(m: MethodArg) -> Method {
        match m {
            MethodArg::Euler => Method::Euler,
            MethodArg::Heun => Method::Heun,
            MethodArg::Rk4 => Method::Rk4,
        }
    }
}

/// How to integrate, where to start, and checkpoints.
#[derive(Args, Debug, Clone)]
pub(crate) struct RunArgs {
    /// Time step.
    #[arg(long, value_parser = number, default_value = "0.05")]
    dt: f64,
    /// Integrator: euler (the paper's), heun (2nd order) or rk4.
    #[arg(long, value_enum, default_value = "euler")]
    method: MethodArg,
    /// Initial state from a text file: N + N_E numbers x^E, x^I, w (e.g. a state.txt written
    /// by --out). Default: x_i ~ N(0, 1) from --seed, w_i = 1.
    #[arg(long, value_name = "FILE")]
    init: Option<PathBuf>,
    /// Save the run to FILE periodically (atomically); if FILE exists, resume from it. A
    /// checkpoint only resumes the same network, parameters and run settings.
    #[arg(long, value_name = "FILE")]
    checkpoint: Option<PathBuf>,
    /// Time between checkpoints (default: 1/20 of the run).
    #[arg(long = "checkpoint-every", value_parser = number, value_name = "T")]
    checkpoint_every: Option<f64>,
}

#[derive(Args, Debug, Clone)]
pub(crate) struct SimulateArgs {
    #[command(flatten)]
    common: Common,
    #[command(flatten)]
    net: NetArgs,
    #[command(flatten)]
    run: RunArgs,
    /// Measured time after the transient (time units of Eq. 1).
    #[arg(long, value_parser = number, default_value = "200")]
    t: f64,
    /// Transient discarded before measuring.
    #[arg(long, value_parser = number, default_value = "100")]
    transient: f64,
    /// Neurons (global indices, E first) whose x, mu, w go to traces.csv with --out
    /// (default: the first two E and the first two I neurons).
    #[arg(long, value_delimiter = ',', value_name = "I,J,...")]
    trace: Option<Vec<usize>>,
    /// Write acf.csv and acf.svg (population-averaged autocovariance of mu), traces.csv and
    /// state.txt (the final state, usable with --init) here.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
}

#[derive(Args, Debug, Clone)]
pub(crate) struct CorrelationsArgs {
    #[command(flatten)]
    common: Common,
    #[command(flatten)]
    net: NetArgs,
    #[command(flatten)]
    run: RunArgs,
    /// Measured time (Fig. 9: 300).
    #[arg(long, value_parser = number, default_value = "300")]
    t: f64,
    /// Transient (Fig. 9: 500).
    #[arg(long, value_parser = number, default_value = "500")]
    transient: f64,
    /// Time between samples of the currents.
    #[arg(long = "sample-dt", value_parser = number, default_value = "0.5")]
    sample_dt: f64,
}

#[derive(Args, Debug, Clone)]
pub(crate) struct SpectrumArgs {
    #[command(flatten)]
    common: Common,
    #[command(flatten)]
    net: NetArgs,
    /// Write all eigenvalues (eigenvalues.csv: re,im; eigenvalues.svg with the Girko disk) here.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
}

#[derive(Args, Debug, Clone)]
pub(crate) struct LyapunovArgs {
    #[command(flatten)]
    common: Common,
    #[command(flatten)]
    net: NetArgs,
    /// Number of exponents (1..8).
    #[arg(long, default_value_t = 2)]
    k: usize,
    #[command(flatten)]
    run: LyapunovRun,
}

/// Integration and re-orthonormalisation settings of a Lyapunov run (shared with sweeps).
#[derive(Args, Debug, Clone)]
pub(crate) struct LyapunovRun {
    /// Measured time after the transient (the paper's sweeps: 60000).
    #[arg(long, value_parser = number, default_value = "1000")]
    t: f64,
    /// Transient before measuring.
    #[arg(long, value_parser = number, default_value = "100")]
    transient: f64,
    /// Euler time step.
    #[arg(long, value_parser = number, default_value = "0.05")]
    dt: f64,
    /// Time between re-orthonormalisations.
    #[arg(long = "t-ort", value_parser = number, default_value = "100")]
    t_ort: f64,
    /// |Lambda| below this counts as zero for the regime.
    #[arg(long = "zero-tol", value_parser = number, default_value = "5e-3")]
    zero_tol: f64,
}

impl LyapunovRun {
    pub(crate) fn spec(&self, k: usize) -> LyapunovSpec {
        LyapunovSpec {
            k,
            dt: self.dt,
            t: self.t,
            transient: self.transient,
            t_ort: self.t_ort,
            zero_tol: self.zero_tol,
        }
    }
}

#[derive(Args, Debug, Clone)]
pub(crate) struct ExportArgs {
    #[command(flatten)]
    common: Common,
    #[command(flatten)]
    net: NetArgs,
    /// Directory to write network.json and ee.mtx, ei.mtx, ie.mtx, ii.mtx to.
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
}

pub(crate) fn cmd_simulate_rate(a: &SimulateArgs) -> Result<(), Failure> {
    let (net, seed) = build_network(&a.common.model, &a.net)?;
    let mut settings = a.run.settings(&net, a.t, a.transient)?;
    settings.traces = match (&a.trace, &a.out) {
        (Some(t), _) => t.clone(),
        (None, Some(_)) => vec![0, 1, net.n_e(), net.n_e() + 1],
        (None, None) => Vec::new(),
    };
    let sim = api::simulate_rate(&net, seed, &settings, &mut progress("simulate"))?;
    let (run, s) = (&sim.run, &sim.summary);
    // Refused before any output file is written.
    verify::finite::ensure_finite(&sim)?;
    if let Some(dir) = &a.out {
        write_outputs(dir, &net, run, s)?;
    }
    emit_result(a.common.json, &sim, || {
        let opt = |x: Option<f64>| x.map_or("-".to_string(), |v| format!("{v:.4}"));
        format!(
            "rate network (Eq. 1), N = {}, J0 = {}, I0 = {}, seed {seed}, {} steps ({}, dt = {})\n\
             \x20 phi_E = {:.6}   phi_I = {:.6}   w = {:.6}\n\
             \x20 mu_E = {:.6}   mu_I = {:.6}   A^E = {:.4e}   A^I = {:.4e}\n\
             \x20 Delta0_E = {:.4e}   Delta0_I = {:.4e}   tau_dec E/I = {} / {}\n\
             \x20 regime: {} (max |dy/dt| = {:.1e})\n",
            net.n(),
            net.params.j0,
            net.params.i0,
            s.steps,
            crate::output::label(&run.spec.method),
            a.run.dt,
            s.phi_e,
            s.phi_i,
            s.w,
            s.mu_e,
            s.mu_i,
            s.a_e,
            s.a_i,
            s.delta0_e,
            s.delta0_i,
            opt(s.tau_dec_e),
            opt(s.tau_dec_i),
            crate::output::label(&s.regime),
            s.residual
        )
    })?;
    Ok(())
}

/// acf.csv, traces.csv and state.txt.
fn write_outputs(
    dir: &std::path::Path,
    net: &RateNetwork,
    run: &Run,
    s: &Summary,
) -> Result<(), Failure> {
    let title = format!(
        "input autocovariance, N = {}, J0 = {} (Fig. 7C)",
        net.n(),
        net.params.j0
    );
    write_acf(dir, s.lag_dt, &s.acf_e, &s.acf_i, title)?;
    let tr = &run.spec.observe.traces;
    write_traces(
        dir,
        "x",
        tr,
        net.n_e(),
        &run.acc.trace_t,
        &run.acc.trace_data,
    )?;
    write_state(&dir.join("state.txt"), &run.y)?;
    Ok(())
}

/// acf.csv (lag, E, I) and acf.svg: a population-averaged input autocovariance.
pub(crate) fn write_acf(
    dir: &std::path::Path,
    lag_dt: f64,
    acf_e: &[f64],
    acf_i: &[f64],
    title: String,
) -> Result<(), Failure> {
    let mut csv = String::from("lag,acf_e,acf_i\n");
    for (k, (e, i)) in acf_e.iter().zip(acf_i).enumerate() {
        csv.push_str(&format!("{},{e:e},{i:e}\n", k as f64 * lag_dt));
    }
    write_atomic(dir, "acf.csv", &csv)?;
    let series = |label: &str, c: &[f64]| Series {
        label: label.into(),
        points: c
            .iter()
            .enumerate()
            .map(|(k, v)| (k as f64 * lag_dt, *v))
            .collect(),
        style: Style::Line,
        color: None,
    };
    let plot = Plot {
        title,
        x_label: "lag".into(),
        y_label: "autocovariance".into(),
        series: vec![series("E", acf_e), series("I", acf_i)],
        h_lines: vec![0.0],
        ..Plot::default()
    };
    write_atomic(dir, "acf.svg", &plot.render())
}

/// traces.csv: time, then per traced neuron its `first` variable (x or v), mu, and w for E
/// neurons (`data[k][sample] = [first, mu, w]`). Nothing when no neuron is traced.
pub(crate) fn write_traces(
    dir: &std::path::Path,
    first: &str,
    traces: &[usize],
    n_e: usize,
    t: &[f64],
    data: &[Vec<[f64; 3]>],
) -> Result<(), Failure> {
    if traces.is_empty() {
        return Ok(());
    }
    let mut csv = String::from("t");
    for &i in traces {
        csv.push_str(&format!(",{first}_{i},mu_{i}"));
        if i < n_e {
            csv.push_str(&format!(",w_{i}"));
        }
    }
    csv.push('\n');
    for (k, t) in t.iter().enumerate() {
        csv.push_str(&format!("{t}"));
        for (series, &i) in data.iter().zip(traces) {
            let [x, mu, w] = series[k];
            csv.push_str(&format!(",{x:e},{mu:e}"));
            if i < n_e {
                csv.push_str(&format!(",{w:e}"));
            }
        }
        csv.push('\n');
    }
    write_atomic(dir, "traces.csv", &csv)
}

pub(crate) fn cmd_correlations(a: &CorrelationsArgs) -> Result<(), Failure> {
    let (net, seed) = build_network(&a.common.model, &a.net)?;
    let settings = a.run.settings(&net, a.t, a.transient)?;
    let c = api::correlations(
        &net,
        seed,
        &settings,
        a.sample_dt,
        &mut progress("correlations"),
    )?;
    emit_result(a.common.json, &c, || {
        let f = |x: Option<f64>| {
            x.map_or("undefined (constant series)".to_string(), |v| {
                format!("{v:.6}")
            })
        };
        format!(
            "correlation coefficients (Eqs. 57-61), N = {}, J0 = {}, I0 = {}, seed {seed}, {} samples\n\
             \x20 partial inputs: rho^EE = {}  rho^EI = {}  rho^IE = {}  rho^II = {}\n\
             \x20 total inputs:   rho_T^E = {}  rho_T^I = {}\n\
             \x20 rates:          R^E = {}  R^I = {}\n",
            net.n(),
            net.params.j0,
            net.params.i0,
            c.samples,
            f(c.rho_ee),
            f(c.rho_ei),
            f(c.rho_ie),
            f(c.rho_ii),
            f(c.rho_t_e),
            f(c.rho_t_i),
            f(c.r_e),
            f(c.r_i)
        )
    })?;
    Ok(())
}

pub(crate) fn cmd_export(a: &ExportArgs) -> Result<(), Failure> {
    let (net, seed) = build_network(&a.common.model, &a.net)?;
    let e = verify::api::network::export(&net, seed, &a.out)?;
    emit_result(a.common.json, &e, || {
        let w = &e.weights;
        format!(
            "wrote {} (N_E = {}, N_I = {}, K_E = {}, K_I = {}, {} synapses, seed {seed})\n\
             \x20 weights for the {} model (J0 = {}): J^EE = {:e}  J^EI = {:e}  J^IE = {:e}  J^II = {:e}\n",
            a.out.display(),
            e.n_e,
            e.n_i,
            e.k_e,
            e.k_i,
            e.synapses,
            e.model,
            net.params.j0,
            w.ee,
            w.ei,
            w.ie,
            w.ii
        )
    })
}

pub(crate) fn cmd_spectrum(a: &SpectrumArgs) -> Result<(), Failure> {
    let (net, seed) = build_network(&a.common.model, &a.net)?;
    let s = api::spectrum(&net)?;
    if let Some(dir) = &a.out {
        let mut csv = String::from("re,im\n");
        for z in &s.eigenvalues {
            csv.push_str(&format!("{:e},{:e}\n", z.re, z.im));
        }
        write_atomic(dir, "eigenvalues.csv", &csv)?;
        let tau = net.params.tau_syn;
        let plot = Plot {
            title: format!(
                "DF_het eigenvalues, N = {}, J0 = {} (Fig. 4A)",
                net.n(),
                net.params.j0
            ),
            x_label: "Re lambda".into(),
            y_label: "Im lambda".into(),
            series: vec![Series {
                label: "eigenvalues".into(),
                points: s.eigenvalues.iter().map(|z| (z.re, z.im)).collect(),
                style: Style::Points,
                color: None,
            }],
            circles: vec![(-1.0 / tau, 0.0, s.girko_radius, "Girko disk".into())],
            equal_aspect: true,
            ..Plot::default()
        };
        write_atomic(dir, "eigenvalues.svg", &plot.render())?;
    }
    emit_result(a.common.json, &s, || {
        format!(
            "DF_het at the homogeneous fixed point (Eq. 19), N = {}, J0 = {}, seed {seed}\n\
             \x20 max Re lambda = {:.6}   (without the 3 homogeneous modes: {:.6})\n\
             \x20 Girko: r = {:.6}, -1 + r = {:.6}\n",
            net.n(),
            net.params.j0,
            s.max_re,
            s.bulk_max_re,
            s.girko_radius,
            s.bulk_max_re_theory
        )
    })
}

pub(crate) fn cmd_lyapunov(a: &LyapunovArgs) -> Result<(), Failure> {
    let (net, seed) = build_network(&a.common.model, &a.net)?;
    let spec = a.run.spec(a.k);
    let r = api::lyapunov(&net, seed, &spec, &mut progress("lyapunov"))?;
    emit_result(a.common.json, &r, || {
        let ex: Vec<String> = r.exponents.iter().map(|x| format!("{x:.5}")).collect();
        format!(
            "Lyapunov exponents (Eqs. 38-39), N = {}, J0 = {}, seed {seed}, k = {}, T = {}\n\
             \x20 {}\n\x20 regime: {} (zero tolerance {})\n",
            net.n(),
            net.params.j0,
            a.k,
            a.run.t,
            ex.join("  "),
            crate::output::label(&r.regime),
            a.run.zero_tol
        )
    })
}
