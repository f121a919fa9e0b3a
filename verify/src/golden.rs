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

use crate::params_toml::apply_overrides;

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
/// `cv_*_wT` is the mean CV over consecutive windows of T tau_m (cached per parameter set).
pub fn evaluate(quantity: &str, p: &Params) -> Result<f64, String> {
    let e = |x: theory::TheoryError| x.to_string();
    let (group, field) = quantity.split_once('.').unwrap_or((quantity, ""));
    match group {
        "balanced" => {
            let b = balanced_limit(p).map_err(e)?;
            pick(field, &[("phi_e", b.phi_e), ("phi_i", b.phi_i), ("w", b.w)])
        }
        "fixed_point" => {
            let f = homogeneous(p).map_err(e)?.primary;
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
        "hom_max_re" => Ok(hom_stability(p, &homogeneous(p).map_err(e)?.primary).max_re),
        "girko_radius" => Ok(het_spectrum(p, &homogeneous(p).map_err(e)?.primary).radius),
        "bulk_max_re" => Ok(het_spectrum(p, &homogeneous(p).map_err(e)?.primary).bulk_max_re),
        "j_c" => Ok(critical_coupling(p, &JcSearch::default()).map_err(e)?.j_c),
        "j_c_inf" => critical_coupling_limit(p).map_err(e),
        "het" => {
            let h = het_fixed_point(p, Branch::Heterogeneous).map_err(e)?;
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
            let t = theory::spiking::tonic_fixed_point(p).map_err(e)?;
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
        _ => Err(format!("unknown quantity '{quantity}'")),
    }
}

/// `compute(p)`, computed once per parameter set and kind of computation (each caller passes
/// its own `cache`).
fn cached<T: Clone>(
    cache: &std::sync::Mutex<Option<std::collections::HashMap<String, T>>>,
    p: &Params,
    compute: impl FnOnce(&Params) -> Result<T, String>,
) -> Result<T, String> {
    let key = format!("{p:?}");
    let lock = || cache.lock().map_err(|e| e.to_string());
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
fn dmf_cached(p: &Params) -> Result<theory::dmf::Outputs, String> {
    use std::collections::HashMap;
    use std::sync::Mutex;
    static CACHE: Mutex<Option<HashMap<String, theory::dmf::Outputs>>> = Mutex::new(None);
    cached(&CACHE, p, |p| {
        let sol = theory::dmf::solve(p, &theory::dmf::DmfOptions::default(), |_| {})
            .map_err(|e| e.to_string())?;
        if !sol.converged {
            return Err(format!("dmf did not converge: {}", sol.termination));
        }
        Ok(sol.values)
    })
}

/// The LIF golden protocol at `p` (see [`evaluate`]), run once per parameter set.
fn lif_cached(p: &Params) -> Result<Vec<(String, f64)>, String> {
    use std::collections::HashMap;
    use std::sync::Mutex;
    type Fields = Vec<(String, f64)>;
    static CACHE: Mutex<Option<HashMap<String, Fields>>> = Mutex::new(None);
    cached(&CACHE, p, lif_protocol)
}

/// The LIF golden protocol itself (see [`evaluate`]).
fn lif_protocol(p: &Params) -> Result<Vec<(String, f64)>, String> {
    use rayon::prelude::*;
    use sim::connectivity::{Autapses, Connectivity, Sizes};
    use sim::lif::{LifNetwork, LifRun, LifSpec, cv_in_windows, initial_state};
    type Fields = Vec<(String, f64)>;
    const WINDOWS: [f64; 4] = [100.0, 200.0, 500.0, 1000.0];
    let (t, transient) = (1000.0, 100.0);
    let per_seed: Vec<Result<Fields, String>> = (1..=4u64)
        .into_par_iter()
        .map(|seed| {
            let e = |x: sim::SimError| x.to_string();
            let conn =
                Connectivity::generate(Sizes::massive(p).map_err(e)?, seed, Autapses::Allowed)
                    .map_err(e)?;
            let net = LifNetwork::new(conn, *p).map_err(e)?;
            let mut spec = LifSpec::paper(t, transient);
            spec.observe.raster = true;
            spec.observe.acf_neurons = 200;
            spec.observe.acf_max_lag = 150.0;
            let mut run = LifRun::new(&net, spec, initial_state(&net, seed)).map_err(e)?;
            let total = run.total_steps();
            run.advance(&net, total, |_| {}).map_err(e)?;
            let s = run.summary(&net);
            let mut f: Fields = vec![
                ("rate_e".into(), s.rate_e),
                ("rate_i".into(), s.rate_i),
                ("mu_e".into(), s.mu_e),
                ("mu_i".into(), s.mu_i),
                ("rate_var_e".into(), s.rate_var_e),
                ("rate_var_i".into(), s.rate_var_i),
                ("delta0_e".into(), s.delta0_e),
                ("delta0_i".into(), s.delta0_i),
                ("tau_dec_e".into(), s.tau_dec_e.unwrap_or(f64::NAN)),
                ("tau_dec_i".into(), s.tau_dec_i.unwrap_or(f64::NAN)),
            ];
            for w in WINDOWS {
                let c = cv_in_windows(
                    &run.acc.raster,
                    &net.rate.conn.sizes,
                    transient,
                    transient + t,
                    w,
                );
                let k = c.len() as f64;
                let ce = c.iter().map(|x| x[0]).sum::<f64>() / k;
                let ci = c.iter().map(|x| x[1]).sum::<f64>() / k;
                f.push((format!("cv_e_w{w}"), ce));
                f.push((format!("cv_i_w{w}"), ci));
                f.push((format!("cv_ratio_w{w}"), ci / ce));
            }
            Ok(f)
        })
        .collect();
    let per_seed: Vec<Fields> = per_seed.into_iter().collect::<Result<_, _>>()?;
    Ok(per_seed[0]
        .iter()
        .enumerate()
        .map(|(k, (name, _))| {
            let m = per_seed.iter().map(|f| f[k].1).sum::<f64>() / per_seed.len() as f64;
            (name.clone(), m)
        })
        .collect())
}

fn pick(field: &str, values: &[(&str, f64)]) -> Result<f64, String> {
    values
        .iter()
        .find(|(k, _)| *k == field)
        .map(|(_, v)| *v)
        .ok_or_else(|| format!("unknown field '{field}'"))
}

impl Case {
    /// The interval the obtained value must fall in.
    pub fn bounds(&self) -> Result<(f64, f64), String> {
        match (self.expected, self.tolerance, self.lower, self.upper) {
            (Some(x), Some(t), None, None) => Ok((x - t, x + t)),
            (None, None, lo, hi) if lo.is_some() || hi.is_some() => {
                Ok((lo.unwrap_or(f64::NEG_INFINITY), hi.unwrap_or(f64::INFINITY)))
            }
            _ => Err(format!(
                "case {}: give expected + tolerance, or lower and/or upper",
                self.id
            )),
        }
    }

    fn value_at(&self, table: &toml::Table) -> Result<f64, String> {
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
    pub fn run(&self) -> Result<Outcome, String> {
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

/// Load and parse a golden file.
pub fn load(path: &std::path::Path) -> Result<GoldenFile, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}
