//! The oracle for other simulators (`balnet check --against FILE`): statistics measured by
//! another simulator, balnet's prediction for each, an acceptance region, a verdict (`pass`,
//! `fail` or `inconclusive`), the test's power and a reason.
//!
//! # The file (format `balnet-check/1`)
//! ```json
//! {"format": "balnet-check/1", "simulator": "my-code 0.3",
//!  "model": "rate",                          // or "lif" (Eqs. 62-64)
//!  "params": {"n": 2000, "j0": 1.5, "i0": 0}, // Table 1 overrides, balnet's --params names
//!  "network": "net2000",                     // optional: an export-network directory
//!  "autapses": false,                        // optional (default true): the ensemble
//!  "k_e": 125, "k_i": 25,                    // optional: the sparse ensemble (S3 Appendix)
//!  "window": {"t": 300, "transient": 200, "dt": 0.05, "method": "euler"},
//!  "realizations": 3,
//!  "statistics": {"phi_e": {"value": 0.2712, "stderr": 0.0004}, "w": 0.45,
//!                 "acf_e": {"lags": [0, 1, 2], "values": [0.21, 0.2, 0.18]}}}
//! ```
//! The README lists every statistic and its definition.
//!
//! # How balnet predicts: the finite network, not only the limit
//! balnet simulates the same ensemble (N, autapses, in-degrees) or the given network (then its
//! realizations differ in the initial state only) over the same window, with the observer's
//! method and dt = min(observer's dt, the reference dt: 0.05 for the rate model, 1e-3 for
//! the LIF network), so the prediction carries the same finite-N and finite-time effects as
//! the observation. This holds at a fixed point too: the N -> infinity theory (Eq. 5 and the
//! rightmost eigenvalue of Eqs. 15, 25, 29) is reported beside each statistic as `theory`, for
//! information, but it does not decide. In particular Lambda_1 at a stable fixed point is the
//! finite network's own: each realization's tangent run (`sim::tangent`) is a power iteration
//! of the Euler map I + dt DF_het, whose growth rate ln|1 + dt lambda_1| / dt is what the
//! observer measures; at N = 2000, J0 = 0.5 the cluster around lambda_Q sits at -0.282, not at
//! the limit's -0.298 (`verify/tests/check_oracle.rs`). When the observer's (dt, method)
//! differ from balnet's, the fixed-point exponent is converted through lambda = (e^{h Lambda}
//! - 1) / h to the observer's map (`map_exponent`).
//!
//! # Realizations, regimes, acceptance
//! * balnet starts with `realizations` runs (default 8) and, when they fall into more than one
//!   regime or a statistic would be inconclusive, adds runs up to `max_realizations` (default
//!   32): near the transition the spread across networks is a mixture that 8 runs do not show.
//! * Each run is classified ([`crate::protocol::RunRegime`]: homogeneous or heterogeneous
//!   fixed point, periodic, chaotic). The observer's regime is read off its own statistics
//!   when it reports one realization (`delta0_e` ~ 0: fixed point; `lyapunov_1`: chaotic,
//!   periodic or fixed point). The observer is compared with all of balnet's runs, whose
//!   empirical range holds every regime balnet saw. Where balnet's runs are mixed, a failure
//!   becomes `inconclusive` when the observer's regime is one none of them reached, or when the
//!   value lies within [`GREY`] half-widths of the region (an atypical network of the
//!   ensemble, e.g. a near-periodic one among chaotic ones, shifts every statistic a little).
//! * The acceptance region of each statistic is built from the empirical distribution of
//!   balnet's values ([`acceptance`]: the union of a Student-t prediction interval and the
//!   rank-based range of means of as many draws as the observer averaged), at false-alarm
//!   probability [`ALPHA`] per statistic (ACF lags share it, Bonferroni). A value outside
//!   fails; inside, it passes unless the region is wider than the value itself
//!   (`inconclusive`). Each statistic reports the smallest relative error it would detect
//!   (`detectable_error`) and the realizations on each side that would detect a 5 % error.
//!
//! Predictions are cached on disk ([`cache`]) unless [`CheckOptions::cache`] is None.

pub mod acceptance;
pub mod cache;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sim::connectivity::{Autapses, Connectivity};
use sim::integrate::Method;
use theory::Params;

use acceptance::{Allowance, Region, region};
pub use acceptance::{Verdict, quantile};

use crate::Error;
use crate::params_toml::apply_overrides;
use crate::protocol::{self, Ensemble, Extras, LifScheme, Realization, RunRegime, Window};

/// The format tag of a check file.
pub const FORMAT: &str = "balnet-check/1";
/// The longest window balnet simulates for a check, in steps (1e8 steps of N = 5000 take
/// about a day on 2 cores).
pub const MAX_STEPS: f64 = 1e8;
/// The format tag of the report.
pub const REPORT_FORMAT: &str = "balnet-check-report/1";
/// Probability that a correct statistic fails (two-sided), under a Gaussian spread.
pub const ALPHA: f64 = 1e-3;
/// Where balnet's runs are a mixture of regimes, a value outside the region by at most this
/// many half-widths is `inconclusive`, not `fail` (an atypical network of the ensemble).
pub const GREY: f64 = 2.0;

/// Statistics of the rate model (see the README for definitions).
pub const RATE_STATS: &[&str] = &[
    "phi_e",
    "phi_i",
    "w",
    "mu_e",
    "mu_i",
    "delta0_e",
    "delta0_i",
    "tau_dec_e",
    "tau_dec_i",
    "acf_e",
    "acf_i",
    "lyapunov_1",
    "rho_ee",
    "rho_ei",
    "rho_ie",
    "rho_ii",
    "rho_t_e",
    "rho_t_i",
    "r_e",
    "r_i",
];
/// Statistics of the LIF network.
pub const LIF_STATS: &[&str] = &[
    "rate_e",
    "rate_i",
    "cv_e",
    "cv_i",
    "mu_e",
    "mu_i",
    "w",
    "delta0_e",
    "delta0_i",
    "tau_dec_e",
    "tau_dec_i",
    "acf_e",
    "acf_i",
];

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Model {
    Rate,
    Lif,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WindowIn {
    pub t: f64,
    pub transient: f64,
    pub dt: f64,
    /// `euler` (default), `heun`, `rk4` (rate model) or `exact` (LIF: event-driven, exact
    /// propagation between steps).
    #[serde(default)]
    pub method: Option<String>,
}

/// One measured statistic: a number, a value with its standard error, or ACF samples.
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
pub enum Observed {
    Number(f64),
    Value {
        value: f64,
        #[serde(default)]
        stderr: Option<f64>,
    },
    Acf {
        lags: Vec<f64>,
        values: Vec<f64>,
        #[serde(default)]
        stderr: Option<Vec<f64>>,
    },
}

/// A check file.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckFile {
    pub format: String,
    #[serde(default)]
    pub simulator: Option<String>,
    pub model: Model,
    /// Table 1 overrides (balnet's `--params` names); `"transfer": "lif"` is short for the
    /// LIF transfer function with tau_m = 1, and `tau_ref` (LIF) the absolute refractory
    /// period.
    #[serde(default)]
    pub params: serde_json::Map<String, serde_json::Value>,
    #[serde(default)]
    pub network: Option<PathBuf>,
    /// Self-connections in the E-E and I-I blocks (default true, as the paper).
    #[serde(default = "yes")]
    pub autapses: bool,
    /// The sparse ensemble of S3 Appendix: fixed in-degrees (both or neither).
    #[serde(default)]
    pub k_e: Option<usize>,
    #[serde(default)]
    pub k_i: Option<usize>,
    pub window: WindowIn,
    #[serde(default = "one")]
    pub realizations: usize,
    pub statistics: BTreeMap<String, Observed>,
}

fn one() -> usize {
    1
}

fn yes() -> bool {
    true
}

/// How balnet runs its side.
#[derive(Clone, Debug)]
pub struct CheckOptions {
    /// balnet's first batch of realizations (>= 2 so that it can measure the spread).
    pub realizations: usize,
    /// Up to this many when the first batch is mixed or a statistic would be inconclusive.
    pub max_realizations: usize,
    /// Also report the DMF solution in the chaotic regime (rate model).
    pub dmf: bool,
    /// Directory of the prediction cache; None: no disk cache.
    pub cache: Option<PathBuf>,
}

impl Default for CheckOptions {
    fn default() -> Self {
        CheckOptions {
            realizations: 8,
            max_realizations: 32,
            dmf: false,
            cache: None,
        }
    }
}

/// The verdict on one statistic.
#[derive(Clone, Debug, Serialize)]
pub struct StatVerdict {
    pub name: String,
    /// Mean of balnet's values (of the regime compared with); the numbers of the acceptance
    /// region are `null` where balnet cannot predict the statistic (verdict inconclusive).
    #[serde(serialize_with = "crate::finite::or_null")]
    pub expected: f64,
    #[serde(serialize_with = "crate::finite::or_null")]
    pub observed: f64,
    /// Half-width of the acceptance region: max(expected - lower, upper - expected).
    #[serde(serialize_with = "crate::finite::or_null")]
    pub tolerance: f64,
    #[serde(serialize_with = "crate::finite::or_null")]
    pub lower: f64,
    #[serde(serialize_with = "crate::finite::or_null")]
    pub upper: f64,
    /// `verdict == "pass"` (kept for readers of the first report format).
    pub pass: bool,
    pub verdict: Verdict,
    /// `simulation` (balnet's runs decide).
    pub predictor: &'static str,
    /// The smallest relative error this test detects: (half-width) / |expected| (`null`:
    /// none, e.g. a zero expectation).
    #[serde(serialize_with = "crate::finite::or_null")]
    pub detectable_error: f64,
    /// Realizations on each side at which a 5 % error would fail (null: not reachable by
    /// realizations alone, the allowance or a zero expectation stands in the way).
    pub realizations_for_5pct: Option<usize>,
    /// Which of balnet's runs it was compared with: `all`, or `all (mixed regimes)` where they
    /// fall into more than one regime (a failure within two half-widths is then inconclusive).
    pub compared_with: String,
    /// How many of balnet's runs entered.
    pub balnet_runs: usize,
    /// For ACFs: the lag with the largest |observed - expected| / tolerance (reported above).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lag: Option<f64>,
    /// The N -> infinity theory at a stable fixed point (Eq. 5; Lambda_1 from Eqs. 15, 25,
    /// 29), for information.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub theory: Option<f64>,
    /// The DMF's value (with `--dmf`, chaotic rate model), for information.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dmf: Option<f64>,
    pub reason: String,
}

/// What the prediction cost.
#[derive(Clone, Debug, Serialize)]
pub struct Prediction {
    /// Read from the disk cache (the cost is then that of the run that stored it).
    pub cached: bool,
    /// Wall-clock seconds of balnet's runs.
    pub seconds: f64,
    pub realizations: usize,
}

/// The ensemble balnet simulated.
#[derive(Clone, Debug, Serialize)]
pub struct EnsembleReport {
    pub autapses: bool,
    pub k_e: usize,
    pub k_i: usize,
    /// `generated` (a new network per realization) or `shared` (the file's network).
    pub networks: &'static str,
}

/// The whole report.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub format: &'static str,
    pub model: Model,
    pub simulator: Option<String>,
    /// `fixed_point` (every run of balnet's at rest), `time_dependent` (none) or `mixed`.
    pub regime: &'static str,
    /// balnet's runs per regime.
    pub regimes: BTreeMap<&'static str, usize>,
    /// The observer's regime as read off its statistics (null: not determined).
    pub observer_regime: Option<&'static str>,
    pub balnet_realizations: usize,
    pub balnet_dt: f64,
    pub ensemble: EnsembleReport,
    pub prediction: Prediction,
    pub statistics: Vec<StatVerdict>,
    /// Overall: `fail` if any statistic fails, else `inconclusive` if any is, else `pass`.
    pub verdict: Verdict,
    pub passed: usize,
    pub failed: usize,
    pub inconclusive: usize,
}

/// Read and validate a check file (`network` is resolved against the file's directory).
pub fn read(path: &Path) -> Result<CheckFile, Error> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::Input(format!("cannot read {}: {e}", path.display())))?;
    let mut f: CheckFile = serde_json::from_str(&text)
        .map_err(|e| Error::Input(format!("{}: {e}", path.display())))?;
    if let Some(n) = &f.network {
        if n.is_relative() {
            f.network = Some(path.parent().unwrap_or(Path::new(".")).join(n));
        }
    }
    Ok(f)
}

/// Check a file without running anything (parameters, network, window, statistic names).
pub fn validate(f: &CheckFile) -> Result<(), Error> {
    setup(f).map(|_| ())
}

fn bad(msg: String) -> Error {
    Error::Input(msg)
}

/// Everything resolved from a file: parameters, network, ensemble, window.
struct Setup {
    params: Params,
    conn: Option<Connectivity>,
    ensemble: Ensemble,
    lif: LifScheme,
    window: Window,
    obs_dt: f64,
}

/// The `params` object with the plain forms accepted (`"transfer": "lif"`) and `tau_ref`
/// taken out.
fn normalise_params(
    model: Model,
    params: &serde_json::Map<String, serde_json::Value>,
) -> Result<(serde_json::Map<String, serde_json::Value>, f64), Error> {
    // `"transfer": "lif"` is expanded by `apply_overrides` (one place for the shorthand).
    let mut p = params.clone();
    let tau_ref = match p.remove("tau_ref") {
        None => 0.0,
        Some(v) => {
            let t = v.as_f64().unwrap_or(f64::NAN);
            if model != Model::Lif || !(t >= 0.0 && t.is_finite()) {
                return Err(bad(format!(
                    "params.tau_ref = {v}: valid for model \"lif\" only, 0 <= tau_ref < inf (units of tau_m)"
                )));
            }
            t
        }
    };
    Ok((p, tau_ref))
}

fn setup(f: &CheckFile) -> Result<Setup, Error> {
    if f.format != FORMAT {
        return Err(bad(format!(
            "format = '{}': this balnet reads '{FORMAT}'",
            f.format
        )));
    }
    let base = match f.model {
        Model::Rate => Params::default(),
        Model::Lif => Params::lif_paper(),
    };
    let loaded = match &f.network {
        Some(dir) => Some(sim::network_file::read_network(dir).map_err(|e| bad(e.to_string()))?),
        None => None,
    };
    let base = loaded.as_ref().map_or(base, |l| Params {
        transfer: base.transfer,
        tau_syn: base.tau_syn,
        i0: base.i0,
        j0: base.j0,
        ..l.meta.params
    });
    let (json_params, tau_ref) = normalise_params(f.model, &f.params)?;
    let table: toml::Table = serde_json::from_value(serde_json::Value::Object(json_params))
        .map_err(|e| bad(format!("params: {e}")))?;
    let params = apply_overrides(base, &table).map_err(|e| bad(format!("params: {e}")))?;
    params.validate().map_err(|e| bad(format!("params: {e}")))?;
    let ensemble = Ensemble {
        autapses: if f.autapses {
            Autapses::Allowed
        } else {
            Autapses::Excluded
        },
        in_degrees: match (f.k_e, f.k_i) {
            (Some(a), Some(b)) => Some((a, b)),
            (None, None) => None,
            _ => {
                return Err(bad(
                    "k_e, k_i: give both in-degrees of the sparse ensemble or neither".into(),
                ));
            }
        },
    };
    let mut params = params;
    if let Some((k_e, k_i)) = ensemble.in_degrees {
        // the theory (information only) reads the in-degrees as c N
        params.c_e = k_e as f64 / params.n.round();
        params.c_i = k_i as f64 / params.n.round();
    }
    let conn = match &loaded {
        Some(l) => {
            if ensemble != Ensemble::default() && (f.k_e.is_some() || !f.autapses) {
                return Err(bad(
                    "autapses, k_e, k_i: the given network fixes its structure; state them only without \"network\"".into(),
                ));
            }
            Some(
                l.rate_network_with(params)
                    .map_err(|e| bad(e.to_string()))?
                    .conn,
            )
        }
        None => {
            // the ensemble must be realizable at these sizes
            let sizes = ensemble
                .sizes(&params)
                .map_err(|e| bad(format!("k_e, k_i: {e}")))?;
            sizes
                .check(ensemble.autapses)
                .map_err(|e| bad(format!("autapses: {e}")))?;
            None
        }
    };
    let w = &f.window;
    let dt_max = match f.model {
        Model::Rate => 1.0,
        Model::Lif => 0.1,
    };
    if !(w.dt > 0.0 && w.dt <= dt_max) {
        return Err(bad(format!(
            "window.dt = {}: valid range is 0 < dt <= {dt_max}",
            w.dt
        )));
    }
    for (name, v, ok) in [
        ("window.t", w.t, w.t > 0.0 && w.t.is_finite()),
        (
            "window.transient",
            w.transient,
            w.transient >= 0.0 && w.transient.is_finite(),
        ),
    ] {
        if !ok {
            return Err(bad(format!(
                "{name} = {v}: valid range is 0 <= {name} < inf (t > 0)"
            )));
        }
    }
    // Step counts within the limits of every run (window.t = 1e300 used to be accepted).
    let a = sim::budget::steps("window.transient", w.transient, w.dt)?;
    let b = sim::budget::steps("window.t", w.t, w.dt)?;
    sim::budget::total_steps("window.transient + window.t", a, b)?;
    let (method, exact) = match (f.model, w.method.as_deref().unwrap_or("euler")) {
        (_, "euler") => (Method::Euler, false),
        (Model::Rate, "heun") => (Method::Heun, false),
        (Model::Rate, "rk4") => (Method::Rk4, false),
        (Model::Lif, "exact") => (Method::Euler, true),
        (Model::Rate, m) => {
            return Err(bad(format!(
                "window.method = '{m}': valid values for the rate model are euler, heun, rk4"
            )));
        }
        (Model::Lif, m) => {
            return Err(bad(format!(
                "window.method = '{m}': valid values for the LIF network are euler, exact"
            )));
        }
    };
    if f.realizations == 0 {
        return Err(bad(
            "realizations = 0: valid range is realizations >= 1".into()
        ));
    }
    let valid = match f.model {
        Model::Rate => RATE_STATS,
        Model::Lif => LIF_STATS,
    };
    for (name, o) in &f.statistics {
        if !valid.contains(&name.as_str()) {
            return Err(bad(format!(
                "statistics.{name}: unknown for model {:?}; valid: {}",
                f.model,
                valid.join(", ")
            )));
        }
        let is_acf = name.starts_with("acf_");
        match (o, is_acf) {
            (
                Observed::Acf {
                    lags,
                    values,
                    stderr,
                },
                true,
            ) if lags.is_empty()
                || lags.len() != values.len()
                || stderr.as_ref().is_some_and(|s| s.len() != lags.len())
                || lags.iter().any(|l| !(0.0..=50.0).contains(l)) =>
            {
                return Err(bad(format!(
                    "statistics.{name}: lags and values (and stderr) of equal non-zero length, lags in [0, 50]"
                )));
            }
            (Observed::Acf { .. }, true) => {}
            (Observed::Acf { .. }, false) => {
                return Err(bad(format!(
                    "statistics.{name}: a number or {{value, stderr}}"
                )));
            }
            (_, true) => return Err(bad(format!("statistics.{name}: needs lags and values"))),
            _ => {}
        }
    }
    let reference_dt = match f.model {
        Model::Rate => 0.05,
        Model::Lif => 1e-3,
    };
    let steps = (w.t + w.transient) / w.dt.min(reference_dt);
    if steps > MAX_STEPS {
        return Err(bad(format!(
            "window: (t + transient) / dt = {steps:.3e} steps: valid range is at most {MAX_STEPS:e} (a shorter window or a larger dt)"
        )));
    }
    // Last, so that a file's other mistakes are named first.
    if f.statistics.is_empty() {
        return Err(bad(
            "statistics: the file has none, so there is nothing to check; give at least one \
             (e.g. phi_e with its value and stderr)"
                .into(),
        ));
    }
    Ok(Setup {
        params,
        conn,
        ensemble,
        lif: LifScheme { exact, tau_ref },
        window: Window {
            t: w.t,
            transient: w.transient,
            dt: w.dt.min(reference_dt),
            method,
        },
        obs_dt: w.dt,
    })
}

/// The N -> infinity values at the homogeneous fixed point when the theory says it is stable
/// (information only), keyed by statistic.
fn theory_values(p: &Params) -> BTreeMap<&'static str, f64> {
    let Ok(fp) = theory::fixed_point::homogeneous(p) else {
        return BTreeMap::new();
    };
    let fp = fp.primary;
    let hom = theory::stability::hom_stability(p, &fp);
    let het = theory::girko::het_spectrum(p, &fp);
    if !(hom.max_re < 0.0 && het.stable && het.bulk_max_re < 0.0) {
        return BTreeMap::new();
    }
    let lead = hom.max_re.max(het.bulk_max_re).max(het.lambda_q);
    [
        ("phi_e", fp.phi_e),
        ("phi_i", fp.phi_i),
        ("w", fp.w),
        ("mu_e", fp.x_e),
        ("mu_i", fp.x_i),
        ("delta0_e", 0.0),
        ("delta0_i", 0.0),
        ("lyapunov_1", lead),
    ]
    .into_iter()
    .collect()
}

/// The regime of the observer, read off its statistics when it reports one realization:
/// `delta0_e` below 1e-6 is a fixed point; otherwise `lyapunov_1` decides (> 5e-3 chaotic,
/// < -5e-3 fixed point, else periodic); without it, "not at rest".
fn observer_regime(f: &CheckFile) -> Option<ObserverRegime> {
    if f.realizations != 1 || f.model != Model::Rate {
        return None;
    }
    let get = |k: &str| f.statistics.get(k).map(|o| scalar(o).0);
    let delta0 = get("delta0_e");
    if delta0.is_some_and(|d| d.abs() < 1e-6) {
        return Some(ObserverRegime::FixedPoint);
    }
    match get("lyapunov_1") {
        Some(l) if l > protocol::ZERO_TOL => Some(ObserverRegime::Chaotic),
        Some(l) if l < -protocol::ZERO_TOL => Some(ObserverRegime::FixedPoint),
        Some(_) => Some(ObserverRegime::Periodic),
        None if delta0.is_some() => Some(ObserverRegime::NotAtRest),
        None => None,
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ObserverRegime {
    FixedPoint,
    Periodic,
    Chaotic,
    NotAtRest,
}

impl ObserverRegime {
    fn matches(self, r: RunRegime) -> bool {
        match self {
            ObserverRegime::FixedPoint => r.is_fixed_point(),
            ObserverRegime::Periodic => r == RunRegime::Periodic,
            ObserverRegime::Chaotic => r == RunRegime::Chaotic,
            ObserverRegime::NotAtRest => !r.is_fixed_point(),
        }
    }
    fn name(self) -> &'static str {
        match self {
            ObserverRegime::FixedPoint => "fixed_point",
            ObserverRegime::Periodic => "periodic",
            ObserverRegime::Chaotic => "chaotic",
            ObserverRegime::NotAtRest => "not_at_rest",
        }
    }
}

/// How the observer is compared with balnet's runs.
struct Comparison<'a> {
    runs: Vec<&'a Realization>,
    label: String,
    /// balnet's runs fall into more than one regime group: the spread across networks is a
    /// mixture, and a value just outside it may be an atypical network, not a wrong simulator.
    mixed: bool,
    /// The observer's regime is missing among balnet's runs while these are mixed: a
    /// disagreement may be the observer's network, not its simulator.
    unsampled: Option<String>,
}

/// Always all of balnet's runs: their empirical range holds every regime balnet saw. (A
/// comparison with the runs of the observer's regime alone was tried and dropped: with the
/// regime boundary at |Lambda_1| = 5e-3 a weakly chaotic network was compared without the
/// near-periodic runs that bracket it, and failed; README, "Measured on an independent
/// simulator".)
fn comparison<'a>(rs: &'a [Realization], who: Option<ObserverRegime>) -> Comparison<'a> {
    let mixed = rs.iter().any(|r| r.regime.group() != rs[0].regime.group());
    let unsampled = match who {
        Some(who) if mixed && !rs.iter().any(|r| who.matches(r.regime)) => Some(format!(
            "your run is {}, a regime none of balnet's {} runs reached",
            who.name(),
            rs.len()
        )),
        _ => None,
    };
    Comparison {
        runs: rs.iter().collect(),
        label: if mixed {
            "all (mixed regimes)".into()
        } else {
            "all".into()
        },
        mixed,
        unsampled,
    }
}

/// Run the check.
pub fn check(f: &CheckFile, opt: &CheckOptions) -> Result<Report, Error> {
    let s = setup(f)?;
    if opt.max_realizations > 1024 {
        return Err(bad(format!(
            "--max-realizations = {}: valid range is --realizations <= value <= 1024",
            opt.max_realizations
        )));
    }
    if opt.max_realizations < opt.realizations {
        return Err(bad(format!(
            "--max-realizations = {}: valid range is >= --realizations ({})",
            opt.max_realizations, opt.realizations
        )));
    }
    if opt.realizations < 2 {
        return Err(bad(format!(
            "realizations = {}: balnet needs >= 2 to measure the spread",
            opt.realizations
        )));
    }
    let names: Vec<&str> = f.statistics.keys().map(String::as_str).collect();
    let (rs, prediction) = predict(f, &s, &names, opt)?;
    let theory = match f.model {
        Model::Rate => theory_values(&s.params),
        Model::Lif => BTreeMap::new(),
    };
    let chaotic = rs.iter().any(|r| !r.regime.is_fixed_point());
    let dmf = if opt.dmf && f.model == Model::Rate && chaotic {
        Some(
            theory::dmf::solve(&s.params, &theory::dmf::DmfOptions::default(), |_| {})
                .map_err(|e| Error::Compute(e.to_string()))?
                .values,
        )
    } else {
        None
    };
    let who = observer_regime(f);
    let cmp = comparison(&rs, who);
    let mut out = Vec::new();
    for (name, o) in &f.statistics {
        let mut v = verdict(name, o, &cmp, &s, f)?;
        v.dmf = dmf.as_ref().and_then(|d| dmf_value(d, name));
        v.theory = theory.get(name.as_str()).copied();
        out.push(v);
    }
    let mut regimes = BTreeMap::new();
    for r in &rs {
        *regimes.entry(r.regime.name()).or_insert(0) += 1;
    }
    let at_rest = rs.iter().filter(|r| r.regime.is_fixed_point()).count();
    let count = |v: Verdict| out.iter().filter(|x| x.verdict == v).count();
    let (passed, failed, inconclusive) = (
        count(Verdict::Pass),
        count(Verdict::Fail),
        count(Verdict::Inconclusive),
    );
    let sizes = match &s.conn {
        Some(c) => c.sizes,
        None => s
            .ensemble
            .sizes(&s.params)
            .map_err(|e| Error::Compute(e.to_string()))?,
    };
    Ok(Report {
        format: REPORT_FORMAT,
        model: f.model,
        simulator: f.simulator.clone(),
        regime: if at_rest == rs.len() {
            "fixed_point"
        } else if at_rest == 0 {
            "time_dependent"
        } else {
            "mixed"
        },
        regimes,
        observer_regime: who.map(ObserverRegime::name),
        balnet_realizations: rs.len(),
        balnet_dt: s.window.dt,
        ensemble: EnsembleReport {
            autapses: match &s.conn {
                Some(c) => c.autapses == Autapses::Allowed,
                None => s.ensemble.autapses == Autapses::Allowed,
            },
            k_e: sizes.k_e,
            k_i: sizes.k_i,
            networks: if s.conn.is_some() {
                "shared"
            } else {
                "generated"
            },
        },
        prediction,
        verdict: out.iter().map(|v| v.verdict).max().unwrap_or(Verdict::Pass),
        passed,
        failed,
        inconclusive,
        statistics: out,
    })
}

fn dmf_value(d: &theory::dmf::Outputs, name: &str) -> Option<f64> {
    Some(match name {
        "phi_e" => d.phi_e,
        "phi_i" => d.phi_i,
        "w" => d.w,
        "mu_e" => d.mu_e,
        "mu_i" => d.mu_i,
        "delta0_e" => d.delta0_e,
        "delta0_i" => d.delta0_i,
        "tau_dec_e" => d.tau_dec_e?,
        "tau_dec_i" => d.tau_dec_i?,
        _ => return None,
    })
}

/// The prediction's identity: everything it depends on.
fn cache_key(f: &CheckFile, s: &Setup, extras: &Extras, cv: bool, opt: &CheckOptions) -> String {
    format!(
        "balnet {} check-prediction/3 {:?} {:?} {:?} {:?} {:?} {:?} {extras:?} cv={cv} r={} max={}",
        env!("CARGO_PKG_VERSION"),
        f.model,
        s.params,
        s.window,
        s.conn.as_ref().map(Connectivity::fingerprint),
        s.ensemble,
        s.lif,
        opt.realizations,
        opt.max_realizations,
    )
}

/// Does the first batch call for more realizations? When its runs are in more than one
/// regime, or a requested statistic would be inconclusive.
fn needs_more(rs: &[Realization], names: &[&str]) -> bool {
    let mixed = rs.iter().any(|r| r.regime.group() != rs[0].regime.group());
    mixed
        || names.iter().any(|&n| {
            let x = values(rs.iter(), n);
            x.len() >= 2 && !region(&x, 1, None, ALPHA, &allowance(n, f64::INFINITY)).conclusive
        })
}

/// balnet's realizations for this setup (seeds 1, 2, ...), from the process's memory, the
/// disk cache or new runs.
fn predict(
    f: &CheckFile,
    s: &Setup,
    names: &[&str],
    opt: &CheckOptions,
) -> Result<(Vec<Realization>, Prediction), Error> {
    use std::collections::HashMap;
    use std::sync::Mutex;
    /// Predictions of this process by key, with the seconds they cost.
    type Memory = HashMap<String, (Vec<Realization>, f64)>;
    static MEMORY: Mutex<Option<Memory>> = Mutex::new(None);
    let extras = Extras {
        correlations: names
            .iter()
            .any(|n| n.starts_with("rho_") || n.starts_with("r_")),
        lyapunov: names.contains(&"lyapunov_1"),
        classify: f.model == Model::Rate,
    };
    let cv = names.iter().any(|n| n.starts_with("cv_"));
    let key = cache_key(f, s, &extras, cv, opt);
    let hit = |rs: Vec<Realization>, seconds: f64| {
        let r = rs.len();
        (
            rs,
            Prediction {
                cached: true,
                seconds,
                realizations: r,
            },
        )
    };
    if let Some((rs, secs)) = MEMORY
        .lock()
        .ok()
        .and_then(|c| c.as_ref().and_then(|m| m.get(&key).cloned()))
    {
        return Ok(hit(rs, secs));
    }
    if let Some(dir) = &opt.cache {
        if let Some((rs, secs)) = cache::load(dir, &key) {
            return Ok(hit(rs, secs));
        }
    }
    let clock = std::time::Instant::now();
    let run = |seeds: std::ops::RangeInclusive<u64>| {
        let seeds: Vec<u64> = seeds.collect();
        match f.model {
            Model::Rate => protocol::rate_realizations_in(
                &s.params,
                &seeds,
                s.conn.as_ref(),
                &s.ensemble,
                &s.window,
                extras,
            ),
            Model::Lif => protocol::lif_realizations_in(
                &s.params,
                &seeds,
                s.conn.as_ref(),
                &s.ensemble,
                &s.lif,
                &s.window,
                &[],
            ),
        }
    };
    let r0 = opt.realizations as u64;
    let mut rs = run(1..=r0)?;
    if opt.max_realizations > opt.realizations && needs_more(&rs, names) {
        rs.extend(run(r0 + 1..=opt.max_realizations as u64)?);
    }
    let seconds = clock.elapsed().as_secs_f64();
    if let Some(dir) = &opt.cache {
        // a cache that cannot be written costs the next check time, not this one's result
        if let Err(e) = cache::store(dir, &key, &rs, seconds) {
            eprintln!(
                "balnet check: cannot write the prediction cache in {}: {e}",
                dir.display()
            );
        }
    }
    if let Ok(mut c) = MEMORY.lock() {
        c.get_or_insert_with(HashMap::new)
            .insert(key, (rs.clone(), seconds));
    }
    let r = rs.len();
    Ok((
        rs,
        Prediction {
            cached: false,
            seconds,
            realizations: r,
        },
    ))
}

fn scalar(o: &Observed) -> (f64, Option<f64>) {
    match o {
        Observed::Number(x) => (*x, None),
        Observed::Value { value, stderr } => (*value, *stderr),
        Observed::Acf { .. } => (f64::NAN, None),
    }
}

/// The allowance and conclusiveness floor of a statistic measured over a window of `t`.
fn allowance(name: &str, t: f64) -> Allowance {
    let (absolute, floor) = match name {
        // finite-time estimate of a growth rate: ln(projection factor) / t
        "lyapunov_1" => (1.0 / t, 0.01),
        n if n.starts_with("delta0_") || n.starts_with("acf_") => (1e-6, 1e-4),
        _ => (1e-6, 0.0),
    };
    Allowance {
        relative: 1e-3,
        absolute,
        floor,
    }
}

/// Lambda_1 of balnet's run (the Euler map at step `h_b`) converted to the observer's map
/// (`method` at step `h`) for a run at a fixed point: lambda = (e^{h_b L} - 1) / h_b is the
/// leading eigenvalue (real: the lambda_Q cluster), and the observer's map multiplies a mode
/// by its stability function R(h lambda) per step.
pub fn map_exponent(l: f64, h_b: f64, method: Method, h: f64) -> f64 {
    let lambda = ((h_b * l).exp() - 1.0) / h_b;
    let z = h * lambda;
    let r = match method {
        Method::Euler => 1.0 + z,
        Method::Heun => 1.0 + z + z * z / 2.0,
        Method::Rk4 => 1.0 + z + z * z / 2.0 + z.powi(3) / 6.0 + z.powi(4) / 24.0,
    };
    r.abs().ln() / h
}

/// The finite values of statistic `name` over `runs`.
fn values<'a>(runs: impl Iterator<Item = &'a Realization>, name: &str) -> Vec<f64> {
    runs.filter_map(|r| r.stats.get(name).copied())
        .filter(|v| v.is_finite())
        .collect()
}

/// Linear interpolation of `c` (samples at k * dt) at `lag`.
fn interp(c: &[f64], dt: f64, lag: f64) -> f64 {
    let x = lag / dt;
    let k = x.floor() as usize;
    if k + 1 >= c.len() {
        return *c.last().unwrap_or(&f64::NAN);
    }
    let f = x - k as f64;
    c[k] * (1.0 - f) + c[k + 1] * f
}

/// Why a statistic failed, from the evidence: a sign, a factor of ~1000 (units), a large
/// step, or plain disagreement.
fn failure_reason(name: &str, y: f64, g: &Region, s: &Setup, runs: usize) -> String {
    let m = g.expected;
    let ratio = if m != 0.0 { y / m } else { f64::NAN };
    let base = format!(
        "off by {:.3e} = {:.1} tolerances (balnet's {runs} runs: {:.4e} .. {:.4e})",
        y - m,
        g.ratio(y),
        g.lower,
        g.upper
    );
    let hint = if ratio.is_finite() && ratio < 0.0 && m.abs() > g.half_width() {
        "; the sign is opposite: check the sign convention of the inhibitory weights".to_string()
    } else if ratio.is_finite()
        && [1e3, 1e-3, 1e6, 1e-6]
            .iter()
            .any(|&u| (ratio / u).ln().abs() < 0.5)
    {
        format!(
            "; a factor {ratio:.3e}: a unit problem (Hz against spikes per tau_m, ms against s)?"
        )
    } else if s.obs_dt > s.window.dt * (1.0 + 1e-12) && (ratio - 1.0).abs() < 0.2 {
        format!(
            "; your dt = {} is larger than balnet's {}: a small shift like this one can be the step",
            s.obs_dt, s.window.dt
        )
    } else if name == "lyapunov_1" && (y > 0.0) != (m > 0.0) {
        "; the sign of Lambda_1 differs: the dynamics are not the same regime".into()
    } else {
        String::new()
    };
    base + &hint
}

fn verdict(
    name: &str,
    o: &Observed,
    cmp: &Comparison,
    s: &Setup,
    f: &CheckFile,
) -> Result<StatVerdict, Error> {
    let n_obs = f.realizations;
    let allow = allowance(name, s.window.t);
    let convert = |r: &Realization, v: f64| {
        // Lambda_1 at rest: the observer's map, not balnet's
        let differs = s.obs_dt != s.window.dt || s.window.method != Method::Euler;
        if name == "lyapunov_1" && r.regime.is_fixed_point() && differs {
            map_exponent(v, s.window.dt, s.window.method, s.obs_dt)
        } else {
            v
        }
    };
    let mut v = StatVerdict {
        name: name.into(),
        expected: f64::NAN,
        observed: f64::NAN,
        tolerance: f64::NAN,
        lower: f64::NAN,
        upper: f64::NAN,
        pass: false,
        verdict: Verdict::Inconclusive,
        predictor: "simulation",
        detectable_error: f64::INFINITY,
        realizations_for_5pct: None,
        compared_with: cmp.label.clone(),
        balnet_runs: 0,
        lag: None,
        theory: None,
        dmf: None,
        reason: String::new(),
    };
    let (g, y, lag) = if let Observed::Acf {
        lags,
        values: ys,
        stderr,
    } = o
    {
        let alpha = ALPHA / lags.len() as f64;
        let mut worst: Option<(Region, f64, f64)> = None;
        let mut first: Option<Region> = None;
        for (k, (&lag, &y)) in lags.iter().zip(ys).enumerate() {
            let per: Vec<f64> = cmp
                .runs
                .iter()
                .map(|x| {
                    let c = if name == "acf_e" { &x.acf_e } else { &x.acf_i };
                    interp(c, x.lag_dt, lag)
                })
                .filter(|v| v.is_finite())
                .collect();
            if per.len() < 2 {
                continue;
            }
            let g = region(&per, n_obs, stderr.as_ref().map(|e| e[k]), alpha, &allow);
            if first.is_none() {
                first = Some(g.clone());
            }
            if worst
                .as_ref()
                .is_none_or(|(w, wy, _)| g.ratio(y) > w.ratio(*wy) || y.is_nan())
            {
                worst = Some((g, y, lag));
            }
        }
        let Some((mut g, y, lag)) = worst else {
            v.reason = format!("balnet's runs do not define {name} here");
            return Ok(v);
        };
        // the ACF is as conclusive as its variance at the first lag
        if let Some(f0) = first {
            g.conclusive = f0.conclusive;
            g.detectable_error = f0.detectable_error;
            g.realizations_for_5pct = f0.realizations_for_5pct;
        }
        (g, y, Some(lag))
    } else {
        let (y, stated) = scalar(o);
        let x: Vec<f64> = cmp
            .runs
            .iter()
            .filter_map(|r| r.stats.get(name).map(|&val| convert(r, val)))
            .filter(|v| v.is_finite())
            .collect();
        v.observed = y;
        if x.len() < 2 {
            v.reason = format!(
                "balnet's runs do not define {name} here (e.g. no fluctuations, so no tau_dec): cannot tell"
            );
            return Ok(v);
        }
        (region(&x, n_obs, stated, ALPHA, &allow), y, None)
    };
    let mut verdict = g.verdict(y);
    let runs = g.realizations;
    let reason = match verdict {
        Verdict::Pass => match lag {
            Some(_) => "all lags within tolerance (worst shown)".to_string(),
            None => format!(
                "within {:.2} tolerances of balnet's {runs} runs",
                g.ratio(y)
            ),
        },
        Verdict::Inconclusive => {
            let remedy = if s.conn.is_some() {
                "more realizations or a longer window"
            } else {
                "more realizations, a longer window, or both sides on one exported network (export-network)"
            };
            format!(
                "inside balnet's spread, but the spread is {:.0} % of the value: it cannot tell a correct simulator from a wrong one; remedy: {remedy}",
                100.0 * g.detectable_error
            )
        }
        Verdict::Fail => {
            let at = lag.map_or(String::new(), |l| format!("at lag {l} "));
            format!("{at}{}", failure_reason(name, y, &g, s, runs))
        }
    };
    let reason = match (&cmp.unsampled, verdict) {
        (Some(why), Verdict::Fail) => {
            verdict = Verdict::Inconclusive;
            format!(
                "{why}; outside the others' spread ({reason}); remedy: more realizations, or compare on one exported network"
            )
        }
        (None, Verdict::Fail) if cmp.mixed && g.ratio(y) <= GREY => {
            verdict = Verdict::Inconclusive;
            format!(
                "just outside balnet's spread ({reason}), where balnet's own networks differ in regime: an atypical network of this ensemble can do this; remedy: compare on one exported network, or more realizations"
            )
        }
        _ => reason,
    };
    Ok(StatVerdict {
        expected: g.expected,
        observed: y,
        tolerance: g.half_width(),
        lower: g.lower,
        upper: g.upper,
        pass: verdict == Verdict::Pass,
        verdict,
        detectable_error: g.detectable_error,
        realizations_for_5pct: g.realizations_for_5pct,
        balnet_runs: runs,
        lag,
        reason,
        ..v
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn map_exponent_round_trips_and_converges_to_the_flow() {
        let lambda: f64 = -0.282;
        let euler = |h: f64| (1.0 + h * lambda).ln() / h;
        // balnet's Euler exponent at 0.05 back to Euler at 0.05: unchanged
        assert!((map_exponent(euler(0.05), 0.05, Method::Euler, 0.05) - euler(0.05)).abs() < 1e-14);
        // to Euler at another step: that step's exponent
        assert!((map_exponent(euler(0.05), 0.05, Method::Euler, 0.2) - euler(0.2)).abs() < 1e-13);
        // RK4 at 0.01 is the flow's lambda to O(h^4)
        assert!((map_exponent(euler(0.05), 0.05, Method::Rk4, 0.01) - lambda).abs() < 1e-10);
        // Heun: ln(1 + z + z^2 / 2) / h
        let z = 0.1 * lambda;
        let heun = (1.0 + z + z * z / 2.0).ln() / 0.1;
        assert!((map_exponent(euler(0.05), 0.05, Method::Heun, 0.1) - heun).abs() < 1e-13);
    }

    #[test]
    fn plain_transfer_and_tau_ref_are_accepted_for_lif() {
        let m: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(r#"{"transfer": "lif", "tau_ref": 0.002, "j0": 0.3}"#).unwrap();
        let (p, tau_ref) = normalise_params(Model::Lif, &m).unwrap();
        // The shorthand is expanded where every parameter file's is: `apply_overrides`.
        let table: toml::Table =
            serde_json::from_value(serde_json::Value::Object(p.clone())).unwrap();
        let params = apply_overrides(Params::default(), &table).unwrap();
        assert_eq!(params.transfer, theory::Transfer::Lif { tau_m: 1.0 });
        assert_eq!(tau_ref, 0.002);
        assert!(!p.contains_key("tau_ref"));
        assert!(normalise_params(Model::Rate, &m).is_err());
    }

    fn file(stats: &str, realizations: usize) -> CheckFile {
        serde_json::from_str(&format!(
            r#"{{"format": "balnet-check/1", "model": "rate", "realizations": {realizations},
                "window": {{"t": 1, "transient": 0, "dt": 0.05}}, "statistics": {stats}}}"#
        ))
        .unwrap()
    }

    #[test]
    fn observer_regime_is_read_off_one_realization() {
        let r = |s: &str, k| observer_regime(&file(s, k));
        assert_eq!(r(r#"{"delta0_e": 0}"#, 1), Some(ObserverRegime::FixedPoint));
        assert_eq!(
            r(r#"{"delta0_e": 0.2, "lyapunov_1": 0.03}"#, 1),
            Some(ObserverRegime::Chaotic)
        );
        assert_eq!(
            r(r#"{"delta0_e": 0.01, "lyapunov_1": 0.001}"#, 1),
            Some(ObserverRegime::Periodic)
        );
        assert_eq!(
            r(r#"{"delta0_e": 0.2}"#, 1),
            Some(ObserverRegime::NotAtRest)
        );
        assert_eq!(r(r#"{"phi_e": 0.2}"#, 1), None);
        // a mean over three networks may mix regimes: not classified
        assert_eq!(r(r#"{"delta0_e": 0}"#, 3), None);
    }

    fn run(regime: RunRegime, phi: f64) -> Realization {
        Realization {
            stats: [("phi_e".to_string(), phi)].into_iter().collect(),
            regime,
            acf_e: vec![],
            acf_i: vec![],
            lag_dt: 0.1,
        }
    }

    #[test]
    fn comparison_flags_mixtures_and_unsampled_regimes() {
        let mut rs: Vec<Realization> = (0..20).map(|k| run(RunRegime::Chaotic, k as f64)).collect();
        rs.extend((0..8).map(|_| run(RunRegime::HeterogeneousFixedPoint, 0.0)));
        let c = comparison(&rs, Some(ObserverRegime::FixedPoint));
        assert_eq!(
            (c.runs.len(), c.mixed, c.unsampled.is_none()),
            (28, true, true)
        );
        // none periodic: a failure becomes inconclusive
        let c = comparison(&rs, Some(ObserverRegime::Periodic));
        assert!(c.unsampled.is_some());
        // a single regime: not mixed, whatever the observer says
        let c = comparison(&rs[..20], Some(ObserverRegime::FixedPoint));
        assert_eq!((c.mixed, c.unsampled.is_none()), (false, true));
    }
}
