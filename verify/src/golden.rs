//! Golden reference values (`golden/*.toml`) and their evaluation.
//!
//! The format is documented in `golden/README.md`. Each case names a `quantity` computed by
//! [`evaluate`] at `Params::default()` overridden by the case's `params` table, and either an
//! `expected` value with an absolute `tolerance`, or `lower` / `upper` bounds. Optional
//! `minus` (a second parameter override) turns the value into q(params) - q(params + minus);
//! optional `max_over = { key, from, to, points }` takes the maximum over a linear sweep of
//! one parameter.

use serde::Deserialize;
use theory::critical::{JcSearch, critical_coupling, critical_coupling_limit};
use theory::fixed_point::homogeneous;
use theory::girko::het_spectrum;
use theory::het_fixed_point::{Branch, het_fixed_point};
use theory::stability::hom_stability;
use theory::{Params, balanced::balanced_limit};

use crate::Error;
use crate::params_toml::apply_overrides;
use crate::protocol::{self, Extras, Window};
use sim::integrate::Method;

/// One golden file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GoldenFile {
    pub meta: Meta,
    #[serde(rename = "case")]
    pub cases: Vec<Case>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Meta {
    pub format: String,
    pub paper: String,
    pub description: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sweep {
    pub key: String,
    pub from: f64,
    pub to: f64,
    pub points: usize,
}

/// One golden case.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    pub id: String,
    pub quantity: String,
    #[serde(default)]
    pub params: toml::Table,
    #[serde(default)]
    pub minus: Option<toml::Table>,
    #[serde(default)]
    pub max_over: Option<Sweep>,
    pub expected: Option<f64>,
    pub tolerance: Option<f64>,
    pub lower: Option<f64>,
    pub upper: Option<f64>,
    /// Why the tolerance is what it is.
    pub why: String,
    /// Equation, figure/panel or sentence of the paper.
    pub source: String,
    /// How the expected value was obtained (stated in the text, closed form, read off a figure).
    pub how: String,
    /// If set, the case is a documented known disagreement: its reason.
    pub known_failure: Option<String>,
    /// `fast` (default: part of `cargo test` and `balnet verify`) or `slow` (`--full`).
    #[serde(default)]
    pub tier: Tier,
}

/// Which run of `balnet verify` includes a case.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    /// Seconds: run by default and by `cargo test`.
    #[default]
    Fast,
    /// Minutes: `balnet verify --full` and `cargo test -- --ignored`.
    Slow,
}

/// The outcome of one case.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub obtained: f64,
    pub lo: f64,
    pub hi: f64,
    pub pass: bool,
}

/// Evaluate `quantity` at parameters `p`.
///
/// Quantities: `balanced.{phi_e,phi_i,w}`, `fixed_point.{x_e,x_i,w,phi_e,phi_i,a_e,a_i}`,
/// `hom_max_re`, `girko_radius`, `bulk_max_re`, `j_c` (finite N), `j_c_inf`,
/// `het.{mu_e,mu_i,delta0_e,delta0_i,phi_e,phi_i,phi_w}`,
/// `dmf.{mu_e,mu_i,delta0_e,delta0_i,phi_e,phi_i,w,phi_w,tau_dec_e,tau_dec_i,delta0_ratio,
/// sqrt_n_a_e,sqrt_n_a_i}` (the DMF solver with its default options and seed; solutions are
/// cached per parameter set, so several fields of one case cost one solve),
/// `spiking.{mu_e,mu_i,phi_e,phi_i,w_spike,w_mean}` (the tonic fixed point of the LIF spiking
/// network, `theory::spiking`), and
/// `lif.{rate_e,rate_i,mu_e,mu_i,rate_var_e,rate_var_i,delta0_e,delta0_i,tau_dec_e,tau_dec_i,
/// cv_e_w{100,200,500,1000},cv_i_w...,cv_ratio_w...}`: the LIF spiking network simulated on 4
/// networks (seeds 1-4; Euler, dt = 1e-3, 100 tau_m transient, 1000 measured), averaged;
/// `cv_*_wT` is the mean CV over consecutive windows of T tau_m (cached per parameter set);
/// `rate.{phi_e,phi_i,w,mu_e,mu_i,delta0_e,delta0_i,tau_dec_e,tau_dec_i,a_e,a_i,fixed_point}`:
/// the rate network of Eq. 1 on 3 networks (seeds 1-3; Euler, dt = 0.05, 200 transient, 300
/// measured), averaged (`fixed_point` is the fraction of runs that ended at rest);
/// `corr.{rho_ee,rho_ei,rho_ie,rho_ii,rho_t_e,rho_t_i,r_e,r_i,rho_ee_over_rho_ie}`: Eqs. 59-61
/// over the same 3 networks, 300 after a 500 transient (Fig. 9's window);
/// `lyapunov.lyapunov_1`: the largest exponent of network 1 over 1000 after 200;
/// `spectrum.{max_re,bulk_max_re,girko_radius}`: the eigenvalues of DF_het of network 1.
pub fn evaluate(quantity: &str, p: &Params) -> Result<f64, Error> {
    let (group, field) = quantity.split_once('.').unwrap_or((quantity, ""));
    match group {
        "balanced" => {
            let b = balanced_limit(p)?;
            pick(field, &[("phi_e", b.phi_e), ("phi_i", b.phi_i), ("w", b.w)])
        }
        "fixed_point" => {
            let f = homogeneous(p)?.primary;
            pick(
                field,
                &[
                    ("x_e", f.x_e),
                    ("x_i", f.x_i),
                    ("w", f.w),
                    ("phi_e", f.phi_e),
                    ("phi_i", f.phi_i),
                    ("a_e", f.a_e),
                    ("a_i", f.a_i),
                ],
            )
        }
        "hom_max_re" => Ok(hom_stability(p, &homogeneous(p)?.primary).max_re),
        "girko_radius" => Ok(het_spectrum(p, &homogeneous(p)?.primary).radius),
        "bulk_max_re" => Ok(het_spectrum(p, &homogeneous(p)?.primary).bulk_max_re),
        "j_c" => Ok(critical_coupling(p, &JcSearch::default())?.j_c),
        "j_c_inf" => critical_coupling_limit(p).map_err(Error::from),
        "het" => {
            let h = het_fixed_point(p, Branch::Heterogeneous)?;
            pick(
                field,
                &[
                    ("mu_e", h.mu_e),
                    ("mu_i", h.mu_i),
                    ("delta0_e", h.delta0_e),
                    ("delta0_i", h.delta0_i),
                    ("phi_e", h.phi_e),
                    ("phi_i", h.phi_i),
                    ("phi_w", h.phi_w),
                ],
            )
        }
        "dmf" => {
            let v = dmf_cached(p)?;
            let sn = p.n.sqrt();
            pick(
                field,
                &[
                    ("mu_e", v.mu_e),
                    ("mu_i", v.mu_i),
                    ("delta0_e", v.delta0_e),
                    ("delta0_i", v.delta0_i),
                    ("phi_e", v.phi_e),
                    ("phi_i", v.phi_i),
                    ("w", v.w),
                    ("phi_w", v.phi_w),
                    ("tau_dec_e", v.tau_dec_e.unwrap_or(f64::NAN)),
                    ("tau_dec_i", v.tau_dec_i.unwrap_or(f64::NAN)),
                    ("delta0_ratio", v.delta0_i / v.delta0_e),
                    ("sqrt_n_a_e", sn * v.a_e),
                    ("sqrt_n_a_i", sn * v.a_i),
                ],
            )
        }
        "spiking" => {
            let t = theory::spiking::tonic_fixed_point(p)?;
            pick(
                field,
                &[
                    ("mu_e", t.mu_e),
                    ("mu_i", t.mu_i),
                    ("phi_e", t.phi_e),
                    ("phi_i", t.phi_i),
                    ("w_spike", t.w_spike),
                    ("w_mean", t.w_mean),
                ],
            )
        }
        "lif" => {
            let v = lif_cached(p)?;
            pick(
                field,
                &v.iter().map(|(k, x)| (k.as_str(), *x)).collect::<Vec<_>>(),
            )
        }
        "rate" | "corr" | "lyapunov" => {
            let kind = match group {
                "rate" => RateKind::Plain,
                "corr" => RateKind::Correlations,
                _ => RateKind::Lyapunov,
            };
            let v = rate_cached(p, kind)?;
            let get = |k: &str| v.iter().find(|(n, _)| n == k).map(|(_, x)| *x);
            match field {
                "rho_ee_over_rho_ie" => {
                    Ok(get("rho_ee").unwrap_or(f64::NAN) / get("rho_ie").unwrap_or(f64::NAN))
                }
                _ => pick(
                    field,
                    &v.iter().map(|(k, x)| (k.as_str(), *x)).collect::<Vec<_>>(),
                ),
            }
        }
        "spectrum" => {
            let net = protocol::network_for(p, 1, None)?;
            let s = sim::spectrum::spectrum(&net)?;
            pick(
                field,
                &[
                    ("max_re", s.max_re),
                    ("bulk_max_re", s.bulk_max_re),
                    ("girko_radius", s.girko_radius),
                ],
            )
        }
        _ => Err(Error::Input(format!("unknown quantity '{quantity}'"))),
    }
}

/// `compute(p)`, computed once per parameter set and kind of computation (each caller passes
/// its own `cache`).
fn cached<T: Clone>(
    cache: &std::sync::Mutex<Option<std::collections::HashMap<String, T>>>,
    p: &Params,
    compute: impl FnOnce(&Params) -> Result<T, Error>,
) -> Result<T, Error> {
    cached_as(cache, format!("{p:?}"), p, compute)
}

/// [`cached`] under an explicit key.
fn cached_as<T: Clone>(
    cache: &std::sync::Mutex<Option<std::collections::HashMap<String, T>>>,
    key: String,
    p: &Params,
    compute: impl FnOnce(&Params) -> Result<T, Error>,
) -> Result<T, Error> {
    let lock = || cache.lock().map_err(|e| Error::Input(e.to_string()));
    if let Some(v) = lock()?.get_or_insert_with(Default::default).get(&key) {
        return Ok(v.clone());
    }
    let v = compute(p)?;
    lock()?
        .get_or_insert_with(Default::default)
        .insert(key, v.clone());
    Ok(v)
}

/// The DMF solution at `p`, solved once per parameter set.
fn dmf_cached(p: &Params) -> Result<theory::dmf::Outputs, Error> {
    use std::collections::HashMap;
    use std::sync::Mutex;
    static CACHE: Mutex<Option<HashMap<String, theory::dmf::Outputs>>> = Mutex::new(None);
    cached(&CACHE, p, |p| {
        let sol = theory::dmf::solve(p, &theory::dmf::DmfOptions::default(), |_| {})
            .map_err(|e| Error::Input(e.to_string()))?;
        if !sol.converged {
            return Err(Error::Input(format!(
                "dmf did not converge: {}",
                sol.termination
            )));
        }
        Ok(sol.values)
    })
}

/// The LIF golden protocol at `p` (see [`evaluate`]), run once per parameter set.
fn lif_cached(p: &Params) -> Result<Vec<(String, f64)>, Error> {
    use std::collections::HashMap;
    use std::sync::Mutex;
    type Fields = Vec<(String, f64)>;
    static CACHE: Mutex<Option<HashMap<String, Fields>>> = Mutex::new(None);
    cached(&CACHE, p, lif_protocol)
}

/// The LIF golden protocol itself (see [`evaluate`]).
fn lif_protocol(p: &Params) -> Result<Vec<(String, f64)>, Error> {
    let w = Window {
        t: 1000.0,
        transient: 100.0,
        dt: 1e-3,
        method: Method::Euler,
    };
    let rs =
        protocol::lif_realizations(p, &[1, 2, 3, 4], None, &w, &[100.0, 200.0, 500.0, 1000.0])?;
    Ok(averages(&rs))
}

/// The rate-network golden protocol (see [`evaluate`]), run once per parameter set and kind.
fn rate_cached(p: &Params, kind: RateKind) -> Result<Vec<(String, f64)>, Error> {
    use std::collections::HashMap;
    use std::sync::Mutex;
    type Fields = Vec<(String, f64)>;
    static CACHE: Mutex<Option<HashMap<String, Fields>>> = Mutex::new(None);
    cached_as(&CACHE, format!("{kind:?} {p:?}"), p, |p| {
        let (seeds, t, transient, extras): (&[u64], f64, f64, Extras) = match kind {
            RateKind::Plain => (&[1, 2, 3], 300.0, 200.0, Extras::default()),
            RateKind::Correlations => (
                &[1, 2, 3],
                300.0,
                500.0,
                Extras {
                    correlations: true,
                    lyapunov: false,
                    ..Extras::default()
                },
            ),
            RateKind::Lyapunov => (
                &[1],
                1000.0,
                200.0,
                Extras {
                    correlations: false,
                    lyapunov: true,
                    ..Extras::default()
                },
            ),
        };
        let w = Window {
            t,
            transient,
            dt: 0.05,
            method: Method::Euler,
        };
        Ok(averages(&protocol::rate_realizations(
            p, seeds, None, &w, extras,
        )?))
    })
}

#[derive(Clone, Copy, Debug)]
enum RateKind {
    Plain,
    Correlations,
    Lyapunov,
}

/// The mean over realizations of every statistic (NaN where no realization has a value).
fn averages(rs: &[protocol::Realization]) -> Vec<(String, f64)> {
    rs[0]
        .stats
        .keys()
        .map(|k| {
            let m = protocol::mean_stderr(rs, k).map_or(f64::NAN, |x| x.0);
            (k.clone(), m)
        })
        .collect()
}

fn pick(field: &str, values: &[(&str, f64)]) -> Result<f64, Error> {
    values
        .iter()
        .find(|(k, _)| *k == field)
        .map(|(_, v)| *v)
        .ok_or_else(|| Error::Input(format!("unknown field '{field}'")))
}

impl Case {
    /// The interval the obtained value must fall in.
    pub fn bounds(&self) -> Result<(f64, f64), Error> {
        match (self.expected, self.tolerance, self.lower, self.upper) {
            (Some(x), Some(t), None, None) => Ok((x - t, x + t)),
            (None, None, lo, hi) if lo.is_some() || hi.is_some() => {
                Ok((lo.unwrap_or(f64::NEG_INFINITY), hi.unwrap_or(f64::INFINITY)))
            }
            _ => Err(Error::Input(format!(
                "case {}: give expected + tolerance, or lower and/or upper",
                self.id
            ))),
        }
    }

    fn value_at(&self, table: &toml::Table) -> Result<f64, Error> {
        if self.quantity.starts_with("ssn.") {
            return evaluate_ssn(&self.quantity, table);
        }
        let p = apply_overrides(Params::default(), table)?;
        match &self.max_over {
            None => evaluate(&self.quantity, &p),
            Some(s) => {
                let mut best = f64::NEG_INFINITY;
                for k in 0..s.points {
                    let v = s.from + (s.to - s.from) * k as f64 / (s.points.max(2) - 1) as f64;
                    let mut t = table.clone();
                    t.insert(s.key.clone(), toml::Value::Float(v));
                    let q = apply_overrides(Params::default(), &t)?;
                    best = best.max(evaluate(&self.quantity, &q)?);
                }
                Ok(best)
            }
        }
    }

    /// Compute the case.
    pub fn run(&self) -> Result<Outcome, Error> {
        let (lo, hi) = self.bounds()?;
        let mut obtained = self.value_at(&self.params)?;
        if let Some(m) = &self.minus {
            let mut t = self.params.clone();
            for (k, v) in m {
                t.insert(k.clone(), v.clone());
            }
            obtained -= self.value_at(&t)?;
        }
        Ok(Outcome {
            obtained,
            lo,
            hi,
            pass: obtained >= lo && obtained <= hi,
        })
    }
}

/// The parameter sets of golden/ssn/, built in so that `balnet verify` works anywhere.
pub const SSN_NETWORKS: [(&str, &str); 4] = [
    (
        "supersaturating",
        include_str!("../../golden/ssn/supersaturating.toml"),
    ),
    (
        "paradoxical",
        include_str!("../../golden/ssn/paradoxical.toml"),
    ),
    ("bistable", include_str!("../../golden/ssn/bistable.toml")),
    (
        "negative_det",
        include_str!("../../golden/ssn/negative_det.toml"),
    ),
];

/// Paper 004's quantities (`ssn.*`). The case's `params` name a `network` of golden/ssn/ and
/// may set `mu_ext` (mV/s), `r`, `tau_e` (s; the E membrane time constant, power law refitted)
/// and `n` (size, in the balanced-state scaling of Fig. 6, drive scaled too):
///
/// * `ssn.fit_n`: the power-law exponent of Phi over 0-10 Hz for the default neuron with
///   `tau` (s) and membrane sd `sd` (mV) (no network);
/// * `ssn.det_j`, `ssn.states` (number of SSN steady states), `ssn.stable_states`,
///   `ssn.bistable`, `ssn.no_steady_state`, `ssn.supersaturating`, `ssn.isn` (0/1),
///   `ssn.nu_e`, `ssn.nu_i` (the stable SSN state with the lowest nu_E), `ssn.phi_sc_nu_e`
///   (the same for Phi_sc), `ssn.balanced_exists`, `ssn.balanced_stable`;
/// * `ssn.window_lo`, `ssn.window_hi`, `ssn.window_width`: the bistability window in mu_ext
///   at `r`, on a 1 mV/s grid over -300..600 mV/s;
/// * `ssn.supersaturating_cells`: over mu_ext 0-3000 mV/s (step 50) and J_EE, J_IE each
///   multiplied by 1/4, 1/2, 1, 2, 4, the number of inputs where a stable state
///   supersaturates at `r`.
pub fn evaluate_ssn(quantity: &str, table: &toml::Table) -> Result<f64, Error> {
    use theory::ssn::mean_field::LifNetwork;
    let num = |k: &str, default: Option<f64>| -> Result<f64, Error> {
        match table.get(k) {
            Some(toml::Value::Float(x)) => Ok(*x),
            Some(toml::Value::Integer(x)) => Ok(*x as f64),
            Some(v) => Err(Error::Input(format!("params.{k} = {v} is not a number"))),
            None => {
                default.ok_or_else(|| Error::Input(format!("params.{k} is needed by {quantity}")))
            }
        }
    };
    let field = quantity.trim_start_matches("ssn.");
    if field == "fit_n" {
        let tau = num("tau", None)?;
        let sd = num("sd", None)?;
        let neuron = theory::ssn::ricciardi::Neuron {
            tau,
            ..Default::default()
        };
        let f = theory::ssn::power_law::fit(&neuron, sd / (tau / 2.0).sqrt(), 10.0)
            .map_err(|e| Error::Input(e.to_string()))?;
        return Ok(f.n);
    }
    let name = table
        .get("network")
        .and_then(|v| v.as_str())
        .ok_or_else(|| {
            Error::Input(format!(
                "params.network (one of golden/ssn/) is needed by {quantity}"
            ))
        })?;
    let text = SSN_NETWORKS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, t)| *t)
        .ok_or_else(|| Error::Input(format!("unknown network '{name}' (golden/ssn/)")))?;
    let mut net: LifNetwork = crate::params_toml::parse(text, name)?;
    net.e.tau = num("tau_e", Some(net.e.tau))?;
    let r = num("r", Some(1.0))?;
    let mut mu = num("mu_ext", Some(0.0))?;
    if let Some(n) = table.get("n") {
        let n = n
            .as_integer()
            .ok_or_else(|| Error::Input("params.n must be an integer".into()))?
            as usize;
        mu *= net.drive_factor(n);
        net = net.scaled(n);
    }
    let s = net.to_ssn(10.0).map_err(|e| Error::Input(e.to_string()))?;
    let b = |x: bool| f64::from(u8::from(x));
    let window = || {
        let grid: Vec<f64> = (-300..=600).map(f64::from).collect();
        let inside: Vec<f64> = grid
            .iter()
            .copied()
            .filter(|&m| s.analyse(m, r).bistable)
            .collect();
        match (inside.first(), inside.last()) {
            (Some(lo), Some(hi)) => Ok((*lo, *hi)),
            _ => Err(Error::Input(format!(
                "{name}: no bistability window at r = {r}"
            ))),
        }
    };
    let a = || s.analyse(mu, r);
    let lowest_stable = |states: Vec<(f64, f64, bool)>| {
        states.into_iter().find(|x| x.2).ok_or_else(|| {
            Error::Input(format!("{name}: no stable state at mu_ext = {mu}, r = {r}"))
        })
    };
    Ok(match field {
        "det_j" => s.det_j(),
        "states" => a().states.len() as f64,
        "stable_states" => a().states.iter().filter(|x| x.stable).count() as f64,
        "bistable" => b(a().bistable),
        "no_steady_state" => b(a().no_steady_state),
        "supersaturating" => b(a().supersaturating),
        "isn" => b(a().isn),
        "balanced_exists" => b(a().balanced_limit.exists),
        "balanced_stable" => b(a().balanced_limit.stable),
        "nu_e" | "nu_i" => {
            let st = lowest_stable(
                a().states
                    .iter()
                    .map(|x| (x.nu_e, x.nu_i, x.stable))
                    .collect(),
            )?;
            if field == "nu_e" { st.0 } else { st.1 }
        }
        "phi_sc_nu_e" => {
            let sc = net.phi_sc(mu, r).map_err(|e| Error::Input(e.to_string()))?;
            lowest_stable(sc.iter().map(|x| (x.nu_e, x.nu_i, x.stable)).collect())?.0
        }
        "window_lo" => window()?.0,
        "window_hi" => window()?.1,
        "window_width" => {
            let (lo, hi) = window()?;
            hi - lo
        }
        "supersaturating_cells" => {
            let mut count = 0;
            for fe in [0.25, 0.5, 1.0, 2.0, 4.0] {
                for fi in [0.25, 0.5, 1.0, 2.0, 4.0] {
                    let t = theory::ssn::network::Ssn {
                        j_ee: s.j_ee * fe,
                        j_ie: s.j_ie * fi,
                        ..s
                    };
                    count += (0..=60)
                        .filter(|k| t.analyse(50.0 * *k as f64, r).supersaturating)
                        .count();
                }
            }
            count as f64
        }
        _ => return Err(Error::Input(format!("unknown quantity {quantity}"))),
    })
}

/// Load and parse a golden file.
pub fn load(path: &std::path::Path) -> Result<GoldenFile, Error> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::Input(format!("cannot read {}: {e}", path.display())))?;
    crate::params_toml::parse(&text, &path.display().to_string())
}

/// The verdict on one case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Pass,
    Fail,
    /// A documented disagreement that still disagrees.
    KnownFailure,
    /// A documented disagreement that now agrees: the golden file needs updating.
    UnexpectedPass,
    /// The quantity could not be computed (the message says why).
    Error,
}

impl Verdict {
    /// Whether the verdict fails `balnet verify` (known failures, agreeing or not, do not).
    pub fn is_failure(self) -> bool {
        matches!(self, Verdict::Fail | Verdict::Error)
    }
    pub fn label(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Fail => "FAIL",
            Verdict::KnownFailure => "known failure",
            Verdict::UnexpectedPass => "unexpected pass",
            Verdict::Error => "ERROR",
        }
    }
}

/// One evaluated case.
#[derive(Debug, Clone)]
pub struct Row {
    /// The golden file's name (`theory.toml`).
    pub file: String,
    pub case: Case,
    pub obtained: Option<f64>,
    pub verdict: Verdict,
    /// Why the case could not be computed.
    pub error: Option<String>,
    /// Wall-clock seconds (not reproducible; for the progress display only).
    pub seconds: f64,
}

/// Every golden file of `dir` (`*.toml`, sorted by name).
pub fn load_dir(dir: &std::path::Path) -> Result<Vec<(String, GoldenFile)>, Error> {
    let mut names: Vec<std::path::PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| {
            Error::Input(format!(
                "cannot read golden directory {}: {e}",
                dir.display()
            ))
        })?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    names.sort();
    if names.is_empty() {
        return Err(Error::Input(format!(
            "no golden files (*.toml) in {}",
            dir.display()
        )));
    }
    names
        .iter()
        .map(|p| {
            let f = load(p)?;
            if f.meta.format != "balnet-golden/1" {
                return Err(Error::Input(format!(
                    "{}: format '{}' is not balnet-golden/1",
                    p.display(),
                    f.meta.format
                )));
            }
            let name = p
                .file_name()
                .map_or(String::new(), |n| n.to_string_lossy().into());
            Ok((name, f))
        })
        .collect()
}

/// Evaluate one case.
pub fn run_row(file: &str, case: &Case) -> Row {
    let start = std::time::Instant::now();
    let (obtained, verdict, error) = match case.run() {
        Ok(o) => {
            let v = match (&case.known_failure, o.pass) {
                (None, true) => Verdict::Pass,
                (None, false) => Verdict::Fail,
                (Some(_), false) => Verdict::KnownFailure,
                (Some(_), true) => Verdict::UnexpectedPass,
            };
            (Some(o.obtained), v, None)
        }
        Err(e) => (None, Verdict::Error, Some(e.to_string())),
    };
    Row {
        file: file.to_string(),
        case: case.clone(),
        obtained,
        verdict,
        error,
        seconds: start.elapsed().as_secs_f64(),
    }
}

/// The golden files balnet was built with (`golden/*.toml` of the source tree), for callers
/// without the source tree (the Python package, an installed binary).
pub fn builtin() -> Result<Vec<(String, GoldenFile)>, Error> {
    const FILES: [(&str, &str); 5] = [
        ("dmf.toml", include_str!("../../golden/dmf.toml")),
        ("lif.toml", include_str!("../../golden/lif.toml")),
        ("rate.toml", include_str!("../../golden/rate.toml")),
        ("ssn.toml", include_str!("../../golden/ssn.toml")),
        ("theory.toml", include_str!("../../golden/theory.toml")),
    ];
    FILES
        .iter()
        .map(|(name, text)| {
            let f: GoldenFile = crate::params_toml::parse(text, name)?;
            Ok((name.to_string(), f))
        })
        .collect()
}

/// Which golden cases to run.
#[derive(Clone, Debug, Default)]
pub struct Selection {
    /// Include the slow tier (minutes).
    pub full: bool,
    /// Only cases whose id, quantity or file name contains this text.
    pub only: Option<String>,
}

/// The verdicts of a set of golden cases (the JSON of `balnet verify`).
#[derive(Clone, Debug, serde::Serialize)]
pub struct Verification {
    pub cases: Vec<Row>,
    pub passed: usize,
    pub failed: usize,
    /// Documented known failures and unexpected passes.
    pub known_failures: usize,
}

/// Run the selected cases of `files` in file order; `progress(k, total, row)` hears each case
/// as it finishes.
pub fn run_cases(
    files: &[(String, GoldenFile)],
    sel: &Selection,
    mut progress: impl FnMut(usize, usize, &Row),
) -> Result<Verification, Error> {
    let only = sel.only.as_deref();
    let selected: Vec<(&str, &Case)> = files
        .iter()
        .flat_map(|(name, f)| f.cases.iter().map(move |c| (name.as_str(), c)))
        .filter(|(_, c)| sel.full || c.tier == Tier::Fast)
        .filter(|(name, c)| {
            only.is_none_or(|s| c.id.contains(s) || c.quantity.contains(s) || name.contains(s))
        })
        .collect();
    if selected.is_empty() {
        return Err(Error::Input(format!(
            "no golden case matches --only {}",
            only.unwrap_or("")
        )));
    }
    let total = selected.len();
    let cases: Vec<Row> = selected
        .into_iter()
        .enumerate()
        .map(|(k, (file, case))| {
            let row = run_row(file, case);
            progress(k + 1, total, &row);
            row
        })
        .collect();
    let count = |f: &dyn Fn(Verdict) -> bool| cases.iter().filter(|r| f(r.verdict)).count();
    Ok(Verification {
        passed: count(&|v| v == Verdict::Pass),
        failed: count(&|v| v.is_failure()),
        known_failures: count(&|v| matches!(v, Verdict::KnownFailure | Verdict::UnexpectedPass)),
        cases,
    })
}

/// A case's parameters as JSON, with `inf` (e.g. `n = inf`, the N -> infinity limit) as the
/// string "inf": JSON has no infinity, and a `null` would say the parameter has no value.
fn params_json(t: &toml::Table) -> serde_json::Value {
    fn conv(v: &toml::Value) -> serde_json::Value {
        match v {
            toml::Value::Float(x) if !x.is_finite() => serde_json::Value::String(x.to_string()),
            toml::Value::Float(x) => serde_json::json!(x),
            toml::Value::Integer(i) => serde_json::json!(i),
            toml::Value::String(s) => serde_json::json!(s),
            toml::Value::Boolean(b) => serde_json::json!(b),
            toml::Value::Array(a) => serde_json::Value::Array(a.iter().map(conv).collect()),
            toml::Value::Table(t) => {
                serde_json::Value::Object(t.iter().map(|(k, v)| (k.clone(), conv(v))).collect())
            }
            toml::Value::Datetime(d) => serde_json::json!(d.to_string()),
        }
    }
    conv(&toml::Value::Table(t.clone()))
}

impl serde::Serialize for Row {
    /// One case: the keys the oracle's users rely on (keep them stable).
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let c = &self.case;
        let (lo, hi) = c.bounds().unwrap_or((f64::NAN, f64::NAN));
        let finite = |x: Option<f64>| x.filter(|v| v.is_finite());
        let mut m = s.serialize_map(Some(16))?;
        m.serialize_entry("id", &c.id)?;
        m.serialize_entry("file", &self.file)?;
        m.serialize_entry("quantity", &c.quantity)?;
        m.serialize_entry("params", &params_json(&c.params))?;
        m.serialize_entry("expected", &finite(c.expected))?;
        m.serialize_entry("tolerance", &finite(c.tolerance))?;
        m.serialize_entry("lower", &finite(Some(lo)))?;
        m.serialize_entry("upper", &finite(Some(hi)))?;
        m.serialize_entry("obtained", &finite(self.obtained))?;
        m.serialize_entry("pass", &self.obtained.is_some_and(|x| x >= lo && x <= hi))?;
        m.serialize_entry("verdict", &self.verdict)?;
        m.serialize_entry("known_failure", &c.known_failure)?;
        m.serialize_entry("error", &self.error)?;
        m.serialize_entry("tier", &c.tier)?;
        m.serialize_entry("source", &c.source)?;
        m.serialize_entry("how", &c.how)?;
        m.end()
    }
}
