//! The flags every command shares: the model's parameters named after the paper's symbols (or
//! a TOML file), `--json`, and the number and list parsers.

use clap::{Args, ValueEnum};
use theory::{Params, Transfer, Variance};
use verify::params_toml::read_params_over;

use crate::output::Failure;

/// Model parameters: flags named after the paper's symbols, or a TOML file.
#[derive(Args, Debug, Clone, Default)]
pub(crate) struct Model {
    /// TOML file with Params fields (n, f, c_e, c_i, u, tau_d, g_e, g_i, j_e, j_i, j0, i0, ...);
    /// flags given on the command line override it.
    #[arg(long, value_name = "FILE.toml")]
    pub(crate) params: Option<std::path::PathBuf>,
    /// Network size N (default 20000, Table 1).
    #[arg(long, value_parser = number, allow_negative_numbers = true)]
    pub(crate) n: Option<f64>,
    /// Synaptic strength J0 (default 0.1).
    #[arg(long, value_parser = number, allow_negative_numbers = true)]
    pub(crate) j0: Option<f64>,
    /// External current I0 (default 0).
    #[arg(long, value_parser = number, allow_negative_numbers = true)]
    pub(crate) i0: Option<f64>,
    /// Relative inhibition onto E, g_E (default 1).
    #[arg(long = "g-e", value_parser = number, allow_negative_numbers = true)]
    pub(crate) g_e: Option<f64>,
    /// Relative inhibition onto I, g_I (default 2).
    #[arg(long = "g-i", value_parser = number, allow_negative_numbers = true)]
    pub(crate) g_i: Option<f64>,
    /// Excitatory in-degree density c_E = K_E / N (default 0.025).
    #[arg(long = "c-e", value_parser = number, allow_negative_numbers = true)]
    pub(crate) c_e: Option<f64>,
    /// Inhibitory in-degree density c_I = K_I / N (default 0.005).
    #[arg(long = "c-i", value_parser = number, allow_negative_numbers = true)]
    pub(crate) c_i: Option<f64>,
    /// Coupling scale onto E, j_E (default 1).
    #[arg(long = "j-e", value_parser = number, allow_negative_numbers = true)]
    pub(crate) j_e: Option<f64>,
    /// Coupling scale onto I, j_I (default 1.5).
    #[arg(long = "j-i", value_parser = number, allow_negative_numbers = true)]
    pub(crate) j_i: Option<f64>,
    /// Depression use fraction u (default 0.5).
    #[arg(long, value_parser = number, allow_negative_numbers = true)]
    pub(crate) u: Option<f64>,
    /// Depression recovery time tau_D (default 10).
    #[arg(long = "tau-d", value_parser = number, allow_negative_numbers = true)]
    pub(crate) tau_d: Option<f64>,
    /// Excitatory fraction f (default 0.8).
    #[arg(long, value_parser = number, allow_negative_numbers = true)]
    pub(crate) f: Option<f64>,
    /// Seed (used by simulations; the theory is deterministic).
    #[arg(long, value_parser = number, allow_negative_numbers = true)]
    pub(crate) seed: Option<f64>,
    /// Transfer function: erf (Eq. 4) or lif (Eq. 13).
    #[arg(long, value_enum)]
    pub(crate) transfer: Option<TransferArg>,
    /// Membrane time constant of the LIF transfer function (default 1).
    #[arg(long = "tau-m", value_parser = number, allow_negative_numbers = true)]
    pub(crate) tau_m: Option<f64>,
    /// Time constant of the x-equations (1 in Eq. 1, tau_syn in Eq. 12).
    #[arg(long = "tau-syn", value_parser = number, allow_negative_numbers = true)]
    pub(crate) tau_syn: Option<f64>,
    /// Quenched-variance convention: fixed-in-degree (exact, default) or paper (Eq. 24 as printed).
    #[arg(long, value_enum)]
    pub(crate) variance: Option<VarianceArg>,
}

#[derive(Copy, Clone, Debug, ValueEnum)]
pub(crate) enum TransferArg {
    Erf,
    Lif,
}

#[derive(Copy, Clone, Debug, ValueEnum)]
pub(crate) enum VarianceArg {
    FixedInDegree,
    Paper,
}

#[derive(Args, Debug, Clone)]
pub(crate) struct Common {
    #[command(flatten)]
    pub(crate) model: Model,
    /// Print one JSON object on stdout.
    #[arg(long)]
    pub(crate) json: bool,
}

/// Number parser for every numeric flag: accepts 2e4, 1e12, 0.5, inf.
pub(crate) fn number(s: &str) -> Result<f64, String> {
    s.trim()
        .parse::<f64>()
        .map_err(|_| "expected a number such as 2e4, 0.5 or inf".to_string())
}

pub(crate) fn build_params(m: &Model) -> Result<Params, Failure> {
    build_params_from(m, Params::default())
}

/// As [`build_params`] with another set of defaults (e.g. `Params::lif_paper()`).
pub(crate) fn build_params_from(m: &Model, defaults: Params) -> Result<Params, Failure> {
    let base = match &m.params {
        Some(path) => read_params_over(path, defaults)?,
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
    match (m.tau_m, p.transfer) {
        (Some(tau_m), Transfer::Lif { .. }) => p.transfer = Transfer::Lif { tau_m },
        (Some(tau_m), _) => {
            return Err(Failure(
                format!(
                    "invalid tau_m = {tau_m}: the membrane time constant applies to the LIF \
                     transfer only (add --transfer lif)"
                ),
                2,
            ));
        }
        _ => {}
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
