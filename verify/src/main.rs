//! `balnet`: the command-line front end of the balnet theory and simulation crates.
//!
//! Every computing subcommand accepts `--json` and then prints exactly one JSON object on
//! stdout; logs and warnings go to stderr. Bad input exits with status 2 and one line on
//! stderr naming the parameter and its valid range; a computation that fails exits with 1.

use std::io::Write;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};
use rayon::prelude::*;
use serde_json::{Value, json};

use theory::critical::{JcSearch, critical_coupling, critical_coupling_limit};
use theory::fixed_point::homogeneous;
use theory::girko::het_spectrum;
use theory::het_fixed_point::{Branch, het_fixed_point};
use theory::stability::hom_stability;
use theory::{Params, TheoryError, Transfer, Variance, balanced::balanced_limit};
use verify::params_toml::read_params_over;

mod checkcmd;
mod dmfcmd;
mod lifcmd;
mod netcmd;
mod reproduce;
mod ssncmd;
mod svg;
mod sweep;
mod verifycmd;
use checkcmd::{CheckArgs, cmd_check};
use dmfcmd::{DmfArgs, cmd_dmf};
use lifcmd::{LifArgs, cmd_simulate_lif};
use netcmd::{
    CorrelationsArgs, ExportArgs, LyapunovArgs, SimulateArgs, SpectrumArgs, cmd_correlations,
    cmd_export, cmd_lyapunov, cmd_simulate_rate, cmd_spectrum,
};
use reproduce::{ReproduceArgs, cmd_reproduce};
use ssncmd::{RicciardiArgs, SsnCmd, cmd_ricciardi, cmd_ssn};
use sweep::{SweepCmd, cmd_sweep};
use verifycmd::{VerifyArgs, cmd_verify};

/// balnet: exact theory for balanced E-I rate networks with short-term depression
/// (Angulo-Garcia & Torcini, arXiv 2510.17492).
#[derive(Parser, Debug)]
#[command(name = "balnet", version, about, long_about = None, disable_help_subcommand = true)]
struct Cli {
    /// Worker threads (default: all cores). Results do not depend on it.
    #[arg(long, global = true, value_name = "N")]
    threads: Option<usize>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// The headline numbers: balanced limit, J_c for N = 1e4 .. 1e12 and N = inf, a fixed point.
    Report(ReportArgs),
    /// The N -> infinity balanced rates phi_E, phi_I and depression w (Eq. 6).
    BalancedLimit(Common),
    /// The homogeneous fixed point (Eq. 5) and its stability (Eqs. 14-30).
    FixedPoint(Common),
    /// The critical coupling J_c: r(J_c) = 1 (Eq. 30). `--n inf` for N -> infinity.
    CriticalCoupling(JcArgs),
    /// The heterogeneous fixed point: means and variances of the inputs (Eqs. 31-34).
    HetFixedPoint(HetArgs),
    /// A grid over two of (n, j0, i0), for Figs. 2B-D, 3A-B and 4C.
    Scan(ScanArgs),
    /// Dynamic mean-field theory of rate chaos (Eqs. 10, 40-56) with standard errors; `--n inf`.
    Dmf(DmfArgs),
    /// Simulate a network (`simulate rate`: Eq. 1 on a seeded fixed in-degree network).
    #[command(subcommand)]
    Simulate(SimulateCmd),
    /// Eigenvalues of DF_het (Eq. 19) at the network's homogeneous fixed point vs Girko.
    Spectrum(SpectrumArgs),
    /// The k largest Lyapunov exponents of the rate network (Eqs. 38-39) and the regime.
    Lyapunov(LyapunovArgs),
    /// Population-averaged correlation coefficients of inputs and rates (Eqs. 57-61, Fig. 9).
    Correlations(CorrelationsArgs),
    /// Write the network (Matrix Market blocks + network.json) for other simulators.
    ExportNetwork(ExportArgs),
    /// Parameter sweeps of the Lyapunov exponents (parallel, resumable, sharded) and merging.
    #[command(subcommand)]
    Sweep(SweepCmd),
    /// Run every golden case (fast tier; `--full` adds the slow one) and print the verdicts.
    Verify(VerifyArgs),
    /// Check another simulator's statistics (JSON, balnet-check/1) against balnet's predictions.
    #[command(
        after_help = "Verdicts per statistic: pass, fail, or inconclusive (balnet's own spread too wide to tell).\nExit status: 0 every statistic passes, 1 at least one fails, 2 malformed file or flags,\n3 none fails but at least one is inconclusive."
    )]
    Check(CheckArgs),
    /// Regenerate the paper's figures as SVG with an index page and the golden table.
    Reproduce(ReproduceArgs),
    /// The Ricciardi (Siegert) rate of a LIF neuron under white noise, with derivatives (paper 004).
    Ricciardi(RicciardiArgs),
    /// The stabilized supralinear network of paper 004: power-law fit, steady states, regimes.
    #[command(subcommand)]
    Ssn(SsnCmd),
}

#[derive(Subcommand, Debug)]
enum SimulateCmd {
    /// The rate network of Eq. 1: population averages, input variances, tau_dec, regime.
    Rate(SimulateArgs),
    /// The LIF spiking network of Eqs. 62-64 (defaults: Figs. 10-11, N = 5000, J0 = 0.4,
    /// I0 = 1.2, tau_syn = tau_D = 10): rates, CVs, mean inputs, input ACF, rasters.
    Lif(LifArgs),
    /// The LIF network of paper 004 (E and I with their own tau, Theta, V_R, tau_ref; delta
    /// or exponential synapses with delays; white-noise input): rates, CVs, balance factors.
    #[command(name = "lif-ssn")]
    LifSsn(ssncmd::LifSsnArgs),
}

/// Model parameters: flags named after the paper's symbols, or a TOML file.
#[derive(Args, Debug, Clone, Default)]
pub(crate) struct Model {
    /// TOML file with Params fields (n, f, c_e, c_i, u, tau_d, g_e, g_i, j_e, j_i, j0, i0, ...);
    /// flags given on the command line override it.
    #[arg(long, value_name = "FILE.toml")]
    params: Option<std::path::PathBuf>,
    /// Network size N (default 20000, Table 1).
    #[arg(long, value_parser = number, allow_negative_numbers = true)]
    n: Option<f64>,
    /// Synaptic strength J0 (default 0.1).
    #[arg(long, value_parser = number, allow_negative_numbers = true)]
    j0: Option<f64>,
    /// External current I0 (default 0).
    #[arg(long, value_parser = number, allow_negative_numbers = true)]
    i0: Option<f64>,
    /// Relative inhibition onto E, g_E (default 1).
    #[arg(long = "g-e", value_parser = number, allow_negative_numbers = true)]
    g_e: Option<f64>,
    /// Relative inhibition onto I, g_I (default 2).
    #[arg(long = "g-i", value_parser = number, allow_negative_numbers = true)]
    g_i: Option<f64>,
    /// Excitatory in-degree density c_E = K_E / N (default 0.025).
    #[arg(long = "c-e", value_parser = number, allow_negative_numbers = true)]
    c_e: Option<f64>,
    /// Inhibitory in-degree density c_I = K_I / N (default 0.005).
    #[arg(long = "c-i", value_parser = number, allow_negative_numbers = true)]
    c_i: Option<f64>,
    /// Coupling scale onto E, j_E (default 1).
    #[arg(long = "j-e", value_parser = number, allow_negative_numbers = true)]
    j_e: Option<f64>,
    /// Coupling scale onto I, j_I (default 1.5).
    #[arg(long = "j-i", value_parser = number, allow_negative_numbers = true)]
    j_i: Option<f64>,
    /// Depression use fraction u (default 0.5).
    #[arg(long, value_parser = number, allow_negative_numbers = true)]
    u: Option<f64>,
    /// Depression recovery time tau_D (default 10).
    #[arg(long = "tau-d", value_parser = number, allow_negative_numbers = true)]
    tau_d: Option<f64>,
    /// Excitatory fraction f (default 0.8).
    #[arg(long, value_parser = number, allow_negative_numbers = true)]
    f: Option<f64>,
    /// Seed (used by simulations; the theory is deterministic).
    #[arg(long, value_parser = number, allow_negative_numbers = true)]
    seed: Option<f64>,
    /// Transfer function: erf (Eq. 4) or lif (Eq. 13).
    #[arg(long, value_enum)]
    transfer: Option<TransferArg>,
    /// Membrane time constant of the LIF transfer function (default 1).
    #[arg(long = "tau-m", value_parser = number, allow_negative_numbers = true)]
    tau_m: Option<f64>,
    /// Time constant of the x-equations (1 in Eq. 1, tau_syn in Eq. 12).
    #[arg(long = "tau-syn", value_parser = number, allow_negative_numbers = true)]
    tau_syn: Option<f64>,
    /// Quenched-variance convention: fixed-in-degree (exact, default) or paper (Eq. 24 as printed).
    #[arg(long, value_enum)]
    variance: Option<VarianceArg>,
}

#[derive(Copy, Clone, Debug, ValueEnum)]
enum TransferArg {
    Erf,
    Lif,
}

#[derive(Copy, Clone, Debug, ValueEnum)]
enum VarianceArg {
    FixedInDegree,
    Paper,
}

#[derive(Args, Debug, Clone)]
pub(crate) struct Common {
    #[command(flatten)]
    model: Model,
    /// Print one JSON object on stdout.
    #[arg(long)]
    json: bool,
}

#[derive(Args, Debug, Clone)]
struct ReportArgs {
    #[command(flatten)]
    common: Common,
}

#[derive(Args, Debug, Clone)]
struct JcArgs {
    #[command(flatten)]
    common: Common,
    /// Smallest J0 of the search (the branch is followed from here).
    #[arg(long = "j-min", value_parser = number, allow_negative_numbers = true, default_value = "1e-3")]
    j_min: f64,
    /// Largest J0 of the search.
    #[arg(long = "j-max", value_parser = number, allow_negative_numbers = true, default_value = "20")]
    j_max: f64,
}

#[derive(Copy, Clone, Debug, ValueEnum)]
enum BranchArg {
    Heterogeneous,
    Homogeneous,
}

#[derive(Args, Debug, Clone)]
struct HetArgs {
    #[command(flatten)]
    common: Common,
    /// Which branch to return above J_c (below J_c only the homogeneous one exists).
    #[arg(long, value_enum, default_value = "heterogeneous")]
    branch: BranchArg,
}

#[derive(Args, Debug, Clone)]
struct ScanArgs {
    #[command(flatten)]
    common: Common,
    /// First axis: NAME=A:B:K (K points from A to B; geometric for n) or NAME=v1,v2,...;
    /// NAME is n, j0 or i0.
    #[arg(long, value_name = "AXIS")]
    x: String,
    /// Second axis, same syntax.
    #[arg(long, value_name = "AXIS")]
    y: String,
    /// Comma-separated quantities: phi_e, phi_i, w, x_e, x_i, a_e, a_i, hom_max_re,
    /// girko_radius, bulk_max_re, j_c.
    #[arg(long, default_value = "phi_e")]
    quantity: String,
    /// CSV on stdout instead of a table.
    #[arg(long)]
    csv: bool,
}

/// Number parser for every numeric flag: accepts 2e4, 1e12, 0.5, inf.
pub(crate) fn number(s: &str) -> Result<f64, String> {
    s.trim()
        .parse::<f64>()
        .map_err(|_| "expected a number such as 2e4, 0.5 or inf".to_string())
}

/// A user-facing failure: message and exit status.
pub(crate) struct Failure(pub(crate) String, pub(crate) u8);

impl From<theory::ParamError> for Failure {
    fn from(e: theory::ParamError) -> Self {
        Failure(e.to_string(), 2)
    }
}

impl From<TheoryError> for Failure {
    fn from(e: TheoryError) -> Self {
        // Parameter errors and an impossible balanced limit (Eq. 7) are bad input: status 2.
        let code = if matches!(
            e,
            TheoryError::Param(_) | TheoryError::NoBalancedLimit { .. }
        ) {
            2
        } else {
            1
        };
        Failure(e.to_string(), code)
    }
}

pub(crate) fn build_params(m: &Model) -> Result<Params, Failure> {
    build_params_from(m, Params::default())
}

/// As [`build_params`] with another set of defaults (e.g. `Params::lif_paper()`).
pub(crate) fn build_params_from(m: &Model, defaults: Params) -> Result<Params, Failure> {
    let base = match &m.params {
        Some(path) => read_params_over(path, defaults).map_err(|e| Failure(e, 2))?,
        None => defaults,
    };
    apply_model(base, m)
}

/// Overlay the model flags given on the command line on `p` and validate.
pub(crate) fn apply_model(mut p: Params, m: &Model) -> Result<Params, Failure> {
    let set = |dst: &mut f64, v: Option<f64>| {
        if let Some(v) = v {
            *dst = v;
        }
    };
    set(&mut p.n, m.n);
    set(&mut p.j0, m.j0);
    set(&mut p.i0, m.i0);
    set(&mut p.g_e, m.g_e);
    set(&mut p.g_i, m.g_i);
    set(&mut p.c_e, m.c_e);
    set(&mut p.c_i, m.c_i);
    set(&mut p.j_e, m.j_e);
    set(&mut p.j_i, m.j_i);
    set(&mut p.u, m.u);
    set(&mut p.tau_d, m.tau_d);
    set(&mut p.f, m.f);
    set(&mut p.tau_syn, m.tau_syn);
    if let Some(t) = m.transfer {
        p.transfer = match t {
            TransferArg::Erf => Transfer::Erf,
            TransferArg::Lif => Transfer::Lif { tau_m: 1.0 },
        };
    }
    if let (Some(tau_m), Transfer::Lif { .. }) = (m.tau_m, p.transfer) {
        p.transfer = Transfer::Lif { tau_m };
    }
    if let Some(v) = m.variance {
        p.variance = match v {
            VarianceArg::FixedInDegree => Variance::FixedInDegree,
            VarianceArg::Paper => Variance::Paper,
        };
    }
    if let Some(seed) = m.seed {
        if !(seed >= 0.0 && seed.fract() == 0.0 && seed < 2f64.powi(64)) {
            return Err(Failure(
                format!("invalid seed = {seed}: valid range is a whole number 0 <= seed < 2^64"),
                2,
            ));
        }
    }
    p.validate()?;
    Ok(p)
}

pub(crate) fn emit(json_mode: bool, value: Value, human: impl FnOnce() -> String) {
    let mut out = std::io::stdout().lock();
    if json_mode {
        let _ = writeln!(out, "{value}");
    } else {
        let _ = write!(out, "{}", human());
    }
}

fn complex_pairs(z: &[theory::Complex<f64>]) -> Value {
    Value::Array(z.iter().map(|c| json!([c.re, c.im])).collect())
}

fn fmt_c(z: &theory::Complex<f64>) -> String {
    if z.im == 0.0 {
        format!("{:.6}", z.re)
    } else {
        format!("{:.6} {:+.6}i", z.re, z.im)
    }
}

fn cmd_balanced(c: &Common) -> Result<(), Failure> {
    let p = build_params(&c.model)?;
    let b = balanced_limit(&p)?;
    emit(
        c.json,
        json!({"phi_e": b.phi_e, "phi_i": b.phi_i, "w": b.w}),
        || {
            format!(
                "balanced limit N -> inf (Eq. 6)\n  phi_E = {:.10}\n  phi_I = {:.10}\n  w     = {:.10}\n",
                b.phi_e, b.phi_i, b.w
            )
        },
    );
    Ok(())
}

fn fixed_point_json(p: &Params) -> Result<(Value, String), Failure> {
    p.validate_finite()?;
    let sol = homogeneous(p)?;
    if sol.all.len() > 1 {
        eprintln!(
            "balnet: warning: {} homogeneous fixed points found (x_E = {}); reporting the one with the largest phi_E",
            sol.all.len(),
            sol.all
                .iter()
                .map(|f| format!("{:.6}", f.x_e))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let fp = sol.primary;
    let hs = hom_stability(p, &fp);
    let het = het_spectrum(p, &fp);
    let v = json!({
        "x_e": fp.x_e, "x_i": fp.x_i, "w": fp.w, "phi_e": fp.phi_e, "phi_i": fp.phi_i,
        "a_e": fp.a_e, "a_i": fp.a_i,
        "hom_eigenvalues": complex_pairs(&hs.eigenvalues),
        "hom_stable": hs.stable,
        "girko_radius": het.radius,
        "bulk_max_re": het.bulk_max_re,
        "outliers": complex_pairs(&het.outliers),
        "lambda_q": het.lambda_q,
        "het_stable": het.stable,
    });
    let human = format!(
        "homogeneous fixed point (Eq. 5), N = {:e}, J0 = {}, I0 = {}, transfer = {}\n\
         \x20 x_E = {:.10}   x_I = {:.10}   w = {:.10}\n\
         \x20 phi_E = {:.10}   phi_I = {:.10}\n\
         \x20 A^E = {:.4e}   A^I = {:.4e}   (balance residuals, Eq. 11)\n\
         \x20 solutions found: {}\n\
         homogeneous perturbations (Eqs. 14-18)\n\
         \x20 eigenvalues: {}\n\
         \x20 Routh-Hurwitz: beta0 = {:.6}, beta1 = {:.6}, beta2 = {:.6} -> {}\n\
         heterogeneous perturbations (Eqs. 23-29)\n\
         \x20 a = {:.6}, b = {:.6}, c = {:.6}\n\
         \x20 Girko radius r = {:.6}, bulk max Re = {:.6} -> {}\n\
         \x20 outliers: {}, {}   lambda_Q = {:.6}\n",
        p.n,
        p.j0,
        p.i0,
        p.transfer.name(),
        fp.x_e,
        fp.x_i,
        fp.w,
        fp.phi_e,
        fp.phi_i,
        fp.a_e,
        fp.a_i,
        sol.all.len(),
        hs.eigenvalues
            .iter()
            .map(fmt_c)
            .collect::<Vec<_>>()
            .join(", "),
        hs.routh_hurwitz.beta0,
        hs.routh_hurwitz.beta1,
        hs.routh_hurwitz.beta2,
        if hs.stable { "stable" } else { "unstable" },
        het.a,
        het.b,
        het.c,
        het.radius,
        het.bulk_max_re,
        if het.stable { "stable" } else { "unstable" },
        fmt_c(&het.outliers[0]),
        fmt_c(&het.outliers[1]),
        het.lambda_q,
    );
    Ok((v, human))
}

fn cmd_fixed_point(c: &Common) -> Result<(), Failure> {
    let p = build_params(&c.model)?;
    let (v, human) = fixed_point_json(&p)?;
    emit(c.json, v, || human);
    Ok(())
}

fn jc_value(p: &Params, search: &JcSearch) -> Result<f64, Failure> {
    if p.n.is_infinite() {
        Ok(critical_coupling_limit(p)?)
    } else {
        p.validate_finite()?;
        Ok(critical_coupling(p, search)?.j_c)
    }
}

fn cmd_jc(a: &JcArgs) -> Result<(), Failure> {
    let p = build_params(&a.common.model)?;
    let search = JcSearch {
        j_min: a.j_min,
        j_max: a.j_max,
        ..JcSearch::default()
    };
    if !(search.j_min > 0.0 && search.j_max > search.j_min && search.j_max.is_finite()) {
        return Err(Failure(
            format!(
                "invalid j-min = {}, j-max = {}: valid range is 0 < j-min < j-max < inf",
                a.j_min, a.j_max
            ),
            2,
        ));
    }
    let jc = jc_value(&p, &search)?;
    emit(a.common.json, json!({"j_c": jc}), || {
        format!(
            "critical coupling (Eq. 30), N = {:e}, I0 = {}: J_c = {:.10}\n",
            p.n, p.i0, jc
        )
    });
    Ok(())
}

fn cmd_het(a: &HetArgs) -> Result<(), Failure> {
    let p = build_params(&a.common.model)?;
    p.validate_finite()?;
    let branch = match a.branch {
        BranchArg::Heterogeneous => Branch::Heterogeneous,
        BranchArg::Homogeneous => Branch::Homogeneous,
    };
    let h = het_fixed_point(&p, branch)?;
    let name = match h.branch {
        Branch::Heterogeneous => "heterogeneous",
        Branch::Homogeneous => "homogeneous",
    };
    if branch == Branch::Heterogeneous && h.branch == Branch::Homogeneous {
        eprintln!("balnet: note: r <= 1 (below J_c): only the homogeneous branch exists");
    }
    let v = json!({
        "mu_e": h.mu_e, "mu_i": h.mu_i, "delta0_e": h.delta0_e, "delta0_i": h.delta0_i,
        "phi_e": h.phi_e, "phi_i": h.phi_i, "phi_w": h.phi_w, "branch": name,
    });
    emit(a.common.json, v, || {
        format!(
            "{name} fixed point (Eqs. 31-34), N = {:e}, J0 = {}, I0 = {}\n\
             \x20 mu^E = {:.10}   Delta0^E = {:.6e}\n\
             \x20 mu^I = {:.10}   Delta0^I = {:.6e}\n\
             \x20 [phi_E] = {:.8}   [phi_I] = {:.8}   [phi_E w] = {:.8}\n\
             \x20 variance iterations: {}, residual {:.1e}\n",
            p.n,
            p.j0,
            p.i0,
            h.mu_e,
            h.delta0_e,
            h.mu_i,
            h.delta0_i,
            h.phi_e,
            h.phi_i,
            h.phi_w,
            h.iterations,
            h.residual
        )
    });
    Ok(())
}

/// One axis of a scan.
struct Axis {
    name: &'static str,
    values: Vec<f64>,
}

fn parse_axis(spec: &str, flag: &str) -> Result<Axis, Failure> {
    let bad = |why: &str| Failure(format!("invalid --{flag} '{spec}': {why}"), 2);
    let (name, rest) = spec
        .split_once('=')
        .ok_or_else(|| bad("expected NAME=A:B:K or NAME=v1,v2,..."))?;
    let name = match name.trim() {
        "n" => "n",
        "j0" => "j0",
        "i0" => "i0",
        _ => return Err(bad("NAME must be n, j0 or i0")),
    };
    let values = parse_list(rest, name == "n").map_err(|e| bad(&e))?;
    if name == "n" && values.iter().any(|&v| v <= 0.0) {
        return Err(bad("n values must be > 0"));
    }
    Ok(Axis { name, values })
}

/// Values of a list flag: `A:B:K` (K points from A to B, geometric if `geometric`) or
/// `v1,v2,...`.
pub(crate) fn parse_list(spec: &str, geometric: bool) -> Result<Vec<f64>, String> {
    if spec.contains(':') {
        let parts: Vec<&str> = spec.split(':').collect();
        if parts.len() != 3 {
            return Err("expected A:B:K".into());
        }
        let a = number(parts[0])?;
        let b = number(parts[1])?;
        let k: usize = parts[2]
            .trim()
            .parse()
            .map_err(|_| "K must be a whole number >= 1".to_string())?;
        if k == 0 || k > 100_000 || !a.is_finite() || !b.is_finite() {
            return Err("K must be 1..100000 and A, B finite".into());
        }
        if geometric && !(a > 0.0 && b > 0.0) {
            return Err("values must be > 0".into());
        }
        Ok((0..k)
            .map(|i| {
                let t = if k == 1 {
                    0.0
                } else {
                    i as f64 / (k - 1) as f64
                };
                let v = if geometric {
                    a * (b / a).powf(t)
                } else {
                    a + (b - a) * t
                };
                // Drop the last-digit noise of the interpolation (0.6000000000000001 -> 0.6):
                // 14 significant digits keep any decimal grid a user types.
                format!("{v:.13e}").parse::<f64>().unwrap_or(v)
            })
            .collect())
    } else {
        spec.split(',').map(number).collect()
    }
}

const SCAN_QUANTITIES: [&str; 11] = [
    "phi_e",
    "phi_i",
    "w",
    "x_e",
    "x_i",
    "a_e",
    "a_i",
    "hom_max_re",
    "girko_radius",
    "bulk_max_re",
    "j_c",
];

fn scan_point(p: &Params, quantities: &[&str]) -> Result<Vec<f64>, TheoryError> {
    let needs_fp = quantities.iter().any(|q| *q != "j_c");
    let fp = if needs_fp {
        Some(homogeneous(p)?.primary)
    } else {
        None
    };
    let mut out = Vec::with_capacity(quantities.len());
    for q in quantities {
        let v = match *q {
            "j_c" => critical_coupling(p, &JcSearch::default())
                .map(|c| c.j_c)
                .unwrap_or(f64::NAN),
            other => {
                let f = fp.as_ref().expect("computed above");
                match other {
                    "phi_e" => f.phi_e,
                    "phi_i" => f.phi_i,
                    "w" => f.w,
                    "x_e" => f.x_e,
                    "x_i" => f.x_i,
                    "a_e" => f.a_e,
                    "a_i" => f.a_i,
                    "hom_max_re" => hom_stability(p, f).max_re,
                    "girko_radius" => het_spectrum(p, f).radius,
                    "bulk_max_re" => het_spectrum(p, f).bulk_max_re,
                    _ => unreachable!("validated"),
                }
            }
        };
        out.push(v);
    }
    Ok(out)
}

fn cmd_scan(a: &ScanArgs) -> Result<(), Failure> {
    let base = build_params(&a.common.model)?;
    let x = parse_axis(&a.x, "x")?;
    let y = parse_axis(&a.y, "y")?;
    if x.name == y.name {
        return Err(Failure(
            format!("invalid --y '{}': the two axes must differ", a.y),
            2,
        ));
    }
    let quantities: Vec<&str> = a.quantity.split(',').map(str::trim).collect();
    for q in &quantities {
        if !SCAN_QUANTITIES.contains(q) {
            return Err(Failure(
                format!(
                    "invalid --quantity '{q}': valid are {}",
                    SCAN_QUANTITIES.join(", ")
                ),
                2,
            ));
        }
    }
    let set = |p: &mut Params, name: &str, v: f64| match name {
        "n" => p.n = v,
        "j0" => p.j0 = v,
        _ => p.i0 = v,
    };
    let points: Vec<(f64, f64)> = y
        .values
        .iter()
        .flat_map(|&yv| x.values.iter().map(move |&xv| (xv, yv)))
        .collect();
    // Validate every point before computing (one clear message instead of a NaN grid).
    for &(xv, yv) in &points {
        let mut p = base;
        set(&mut p, x.name, xv);
        set(&mut p, y.name, yv);
        p.validate_finite()?;
    }
    let results: Vec<Result<Vec<f64>, TheoryError>> = points
        .par_iter()
        .map(|&(xv, yv)| {
            let mut p = base;
            set(&mut p, x.name, xv);
            set(&mut p, y.name, yv);
            scan_point(&p, &quantities)
        })
        .collect();
    let rows: Vec<Vec<f64>> = results
        .into_iter()
        .map(|r| r.unwrap_or_else(|_| vec![f64::NAN; quantities.len()]))
        .collect();
    if a.common.json {
        let rows_json: Vec<Value> = points
            .iter()
            .zip(&rows)
            .map(|(&(xv, yv), vals)| {
                let mut m = serde_json::Map::new();
                m.insert(x.name.into(), json!(xv));
                m.insert(y.name.into(), json!(yv));
                for (q, v) in quantities.iter().zip(vals) {
                    m.insert(
                        (*q).into(),
                        if v.is_finite() { json!(v) } else { Value::Null },
                    );
                }
                Value::Object(m)
            })
            .collect();
        emit(
            true,
            json!({"x": x.name, "y": y.name, "quantities": quantities, "rows": rows_json}),
            String::new,
        );
        return Ok(());
    }
    let mut s = String::new();
    if a.csv {
        s.push_str(&format!("{},{},{}\n", x.name, y.name, quantities.join(",")));
        for (&(xv, yv), vals) in points.iter().zip(&rows) {
            let cols: Vec<String> = vals.iter().map(|v| format!("{v:.12e}")).collect();
            s.push_str(&format!("{xv:e},{yv:e},{}\n", cols.join(",")));
        }
    } else {
        s.push_str(&format!("{:>12} {:>12}", x.name, y.name));
        for q in &quantities {
            s.push_str(&format!(" {q:>14}"));
        }
        s.push('\n');
        for (&(xv, yv), vals) in points.iter().zip(&rows) {
            s.push_str(&format!("{xv:>12.5e} {yv:>12.5e}"));
            for v in vals {
                s.push_str(&format!(" {v:>14.8}"));
            }
            s.push('\n');
        }
    }
    emit(false, Value::Null, || s);
    Ok(())
}

fn cmd_report(a: &ReportArgs) -> Result<(), Failure> {
    let p = build_params(&a.common.model)?;
    let b = balanced_limit(&p)?;
    let sizes = [1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12];
    let currents = [0.0, 0.5, 1.0, 2.0];
    let grid: Vec<(f64, f64)> = currents
        .iter()
        .flat_map(|&i0| sizes.iter().map(move |&n| (n, i0)))
        .collect();
    let jcs: Vec<Result<f64, Failure>> = grid
        .par_iter()
        .map(|&(n, i0)| jc_value(&Params { n, i0, ..p }, &JcSearch::default()))
        .collect();
    let mut table = Vec::new();
    for (&(n, i0), r) in grid.iter().zip(jcs) {
        table.push((n, i0, r?));
    }
    let jc_inf = critical_coupling_limit(&p)?;
    let jc_inf_paper = critical_coupling_limit(&Params {
        variance: Variance::Paper,
        ..p
    })?;
    let fp_params = if p.n.is_finite() {
        p
    } else {
        Params {
            n: Params::default().n,
            ..p
        }
    };
    let (fp_json, fp_human) = fixed_point_json(&fp_params)?;
    let v = json!({
        "balanced_limit": {"phi_e": b.phi_e, "phi_i": b.phi_i, "w": b.w},
        "j_c": table.iter().map(|(n, i0, jc)| json!({"n": n, "i0": i0, "j_c": jc})).collect::<Vec<_>>(),
        "j_c_inf": jc_inf,
        "j_c_inf_paper_variance": jc_inf_paper,
        "fixed_point": fp_json,
    });
    emit(a.common.json, v, || {
        let mut s = String::from("balnet report: headline numbers of the theory (transfer ");
        s.push_str(p.transfer.name());
        s.push_str(")\n\n");
        s.push_str(&format!(
            "Balanced limit N -> inf (Eq. 6): phi_E = {:.6}, phi_I = {:.6}, w = {:.6}\n\n",
            b.phi_e, b.phi_i, b.w
        ));
        s.push_str("Critical coupling J_c (r(J_c) = 1, Eq. 30)\n");
        s.push_str(&format!("{:>8}", "N"));
        for i0 in currents {
            s.push_str(&format!("  I0 = {i0:<5}"));
        }
        s.push('\n');
        for n in sizes {
            s.push_str(&format!("{n:>8.0e}"));
            for i0 in currents {
                let jc = table
                    .iter()
                    .find(|t| t.0 == n && t.1 == i0)
                    .map(|t| t.2)
                    .unwrap_or(f64::NAN);
                s.push_str(&format!("  {jc:<10.6}"));
            }
            s.push('\n');
        }
        s.push_str(&format!(
            "{:>8}  {jc_inf:<10.6}  (any I0; closed form)\n",
            "inf"
        ));
        s.push_str(&format!(
            "  with the paper's Eq. 24 (no 1 - K/N factor): J_c(inf) = {jc_inf_paper:.6}; the paper reports ~1.10\n\n"
        ));
        s.push_str(&fp_human);
        s
    });
    Ok(())
}

fn run(cli: Cli) -> Result<(), Failure> {
    let mut pool = rayon::ThreadPoolBuilder::new();
    if let Some(t) = cli.threads {
        if t == 0 {
            return Err(Failure(
                "invalid threads = 0: valid range is threads >= 1".into(),
                2,
            ));
        }
        pool = pool.num_threads(t);
    }
    let pool = pool
        .build()
        .map_err(|e| Failure(format!("cannot start the worker threads: {e}"), 1))?;
    // The command runs on a worker thread of the pool, so its parallel loops start without a
    // hand-off from the main thread. Measured on `simulate rate --n 5000 --j0 1.5` (6000 Euler
    // steps): 2.50 s -> 1.13 s on 1 thread, 1.17 s -> 0.72 s on 2.
    pool.install(|| dispatch(&cli))
}

fn dispatch(cli: &Cli) -> Result<(), Failure> {
    match &cli.command {
        Command::Report(a) => cmd_report(a),
        Command::BalancedLimit(c) => cmd_balanced(c),
        Command::FixedPoint(c) => cmd_fixed_point(c),
        Command::CriticalCoupling(a) => cmd_jc(a),
        Command::HetFixedPoint(a) => cmd_het(a),
        Command::Scan(a) => cmd_scan(a),
        Command::Dmf(a) => cmd_dmf(a),
        Command::Simulate(SimulateCmd::Rate(a)) => cmd_simulate_rate(a),
        Command::Simulate(SimulateCmd::Lif(a)) => cmd_simulate_lif(a),
        Command::Simulate(SimulateCmd::LifSsn(a)) => ssncmd::cmd_simulate_lif_ssn(a),
        Command::Spectrum(a) => cmd_spectrum(a),
        Command::Lyapunov(a) => cmd_lyapunov(a),
        Command::Correlations(a) => cmd_correlations(a),
        Command::ExportNetwork(a) => cmd_export(a),
        Command::Sweep(c) => cmd_sweep(c),
        Command::Verify(a) => cmd_verify(a),
        Command::Check(a) => cmd_check(a),
        Command::Reproduce(a) => cmd_reproduce(a),
        Command::Ricciardi(a) => cmd_ricciardi(a),
        Command::Ssn(c) => cmd_ssn(c),
    }
}

impl From<sim::SimError> for Failure {
    fn from(e: sim::SimError) -> Self {
        use sim::SimError as E;
        // Bad parameters, malformed input files and paths that do not exist are the user's to
        // fix: status 2.
        let missing =
            matches!(&e, E::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound);
        let code = if missing
            || matches!(
                e,
                E::Param(_)
                    | E::Invalid { .. }
                    | E::Unsupported(_)
                    | E::Format(_)
                    | E::Checkpoint { .. }
            ) {
            2
        } else {
            1
        };
        Failure(e.to_string(), code)
    }
}

/// Progress on stderr (only when it is a terminal, so logs stay clean).
pub(crate) fn progress(label: &'static str) -> impl FnMut(f64) {
    use std::io::IsTerminal;
    let tty = std::io::stderr().is_terminal();
    let mut last = -1i64;
    move |frac: f64| {
        let pct = (frac * 100.0).floor() as i64;
        if tty && pct != last && pct % 5 == 0 {
            last = pct;
            eprint!("\r{label}: {pct:3}%");
            if pct >= 100 {
                eprintln!();
            }
        }
    }
}

/// Write `contents` to dir/name atomically (temporary file, then rename).
pub(crate) fn write_atomic(
    dir: &std::path::Path,
    name: &str,
    contents: &str,
) -> Result<(), Failure> {
    sim::files::write_atomic(&dir.join(name), |w| w.write_all(contents.as_bytes()))?;
    Ok(())
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            use clap::error::ErrorKind;
            return match e.kind() {
                ErrorKind::DisplayHelp
                | ErrorKind::DisplayVersion
                | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
                    let _ = e.print();
                    if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
                        ExitCode::from(2)
                    } else {
                        ExitCode::SUCCESS
                    }
                }
                _ => {
                    let rendered = e.render().to_string();
                    let first = rendered
                        .lines()
                        .find(|l| !l.trim().is_empty())
                        .unwrap_or("error: invalid arguments");
                    eprintln!("balnet: {}", first.trim_start_matches("error: "));
                    ExitCode::from(2)
                }
            };
        }
    };
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure(msg, code)) => {
            eprintln!("balnet: error: {msg}");
            ExitCode::from(code)
        }
    }
}
