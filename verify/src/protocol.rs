//! Simulation protocols shared by the golden cases (`golden`) and the oracle (`check`): run a
//! model on several seeded networks over one observation window and return, per realization,
//! every statistic the oracle can compare.
//!
//! A realization `seed` uses the network generated with that seed (or a given network) and
//! the documented initial state of that seed; realizations run in parallel and each one's
//! bits do not depend on the thread count.

use std::collections::BTreeMap;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use sim::SimError;
use sim::connectivity::{Autapses, Connectivity, Sizes};
use sim::network::RateNetwork;
use sim::run::{Observe, Run, RunSpec, initial_state};
use theory::Params;

use crate::Error;

/// One realization's scalar statistics, by name.
pub type Stats = BTreeMap<String, f64>;

/// The observation window of a run.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Window {
    /// Measured time after the transient.
    pub t: f64,
    pub transient: f64,
    pub dt: f64,
    pub method: sim::integrate::Method,
}

/// The dynamical regime of one realization at the end of its window.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunRegime {
    /// At rest, every neuron of a population in the same state.
    HomogeneousFixedPoint,
    /// At rest, neurons differ (or still converging: Lambda_1 < 0).
    HeterogeneousFixedPoint,
    /// Not at rest, Lambda_1 ~ 0 (periodic or quasi-periodic).
    Periodic,
    /// Lambda_1 > 0.
    Chaotic,
    /// Not at rest, not classified further (no Lyapunov exponent: the LIF network).
    TimeDependent,
}

impl RunRegime {
    /// The regime from the run's own detector (`sim::run::Regime`) and, for a run not at
    /// rest, its largest Lyapunov exponent with `zero_tol` for "zero".
    pub fn classify(run: sim::run::Regime, lyapunov_1: Option<f64>, zero_tol: f64) -> Self {
        use sim::run::Regime as R;
        match (run, lyapunov_1) {
            (R::HomogeneousFixedPoint, _) => RunRegime::HomogeneousFixedPoint,
            (R::HeterogeneousFixedPoint, _) => RunRegime::HeterogeneousFixedPoint,
            (R::TimeDependent, Some(l)) if l > zero_tol => RunRegime::Chaotic,
            (R::TimeDependent, Some(l)) if l < -zero_tol => RunRegime::HeterogeneousFixedPoint,
            (R::TimeDependent, Some(_)) => RunRegime::Periodic,
            (R::TimeDependent, None) => RunRegime::TimeDependent,
        }
    }

    /// Homogeneous and heterogeneous fixed points form one group: another simulator's
    /// population statistics cannot tell them apart.
    pub fn is_fixed_point(self) -> bool {
        matches!(
            self,
            RunRegime::HomogeneousFixedPoint | RunRegime::HeterogeneousFixedPoint
        )
    }

    /// The group another simulator can be matched with: fixed point (0), periodic (1),
    /// chaotic (2), unclassified (3).
    pub fn group(self) -> u8 {
        match self {
            RunRegime::HomogeneousFixedPoint | RunRegime::HeterogeneousFixedPoint => 0,
            RunRegime::Periodic => 1,
            RunRegime::Chaotic => 2,
            RunRegime::TimeDependent => 3,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            RunRegime::HomogeneousFixedPoint => "homogeneous_fixed_point",
            RunRegime::HeterogeneousFixedPoint => "heterogeneous_fixed_point",
            RunRegime::Periodic => "periodic",
            RunRegime::Chaotic => "chaotic",
            RunRegime::TimeDependent => "time_dependent",
        }
    }
}

/// |Lambda_1| below this counts as zero when classifying a run (as `balnet lyapunov`).
pub const ZERO_TOL: f64 = 5e-3;

/// Which random networks the realizations draw: the ensemble a check file states.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ensemble {
    pub autapses: Autapses,
    /// The sparse variant of S3 Appendix: (K_E, K_I) fixed instead of c_E N, c_I N.
    pub in_degrees: Option<(usize, usize)>,
}

impl Ensemble {
    /// Population sizes and in-degrees of this ensemble at the parameters `p`.
    pub fn sizes(&self, p: &Params) -> Result<Sizes, SimError> {
        match self.in_degrees {
            Some((k_e, k_i)) => Sizes::sparse(p, k_e, k_i),
            None => Sizes::massive(p),
        }
    }
}

/// What one realization returns: scalars plus the population-averaged input autocovariance.
#[derive(Clone, Debug, PartialEq)]
pub struct Realization {
    pub stats: Stats,
    pub regime: RunRegime,
    /// Autocovariance of mu^E and mu^I at lags k * `lag_dt`.
    pub acf_e: Vec<f64>,
    pub acf_i: Vec<f64>,
    pub lag_dt: f64,
}

/// Extra (more expensive) observers of the rate protocol.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Extras {
    /// The correlation coefficients of Eqs. 59-61 (the window runs twice), sampled every 0.5.
    pub correlations: bool,
    /// The largest Lyapunov exponent over the same window (a second run with the tangent).
    pub lyapunov: bool,
    /// Compute Lambda_1 also for every run that does not end at rest, to tell periodic from
    /// chaotic realizations ([`RunRegime`]).
    pub classify: bool,
}

/// The network of realization `seed`: `given` if set, else generated from `seed` (Table 1's
/// ensemble: fixed in-degrees c_E N, c_I N, autapses allowed).
pub fn network_for(
    p: &Params,
    seed: u64,
    given: Option<&Connectivity>,
) -> Result<RateNetwork, Error> {
    network_in(p, seed, given, &Ensemble::default())
}

/// As [`network_for`], drawn from the ensemble `ens`.
pub fn network_in(
    p: &Params,
    seed: u64,
    given: Option<&Connectivity>,
    ens: &Ensemble,
) -> Result<RateNetwork, Error> {
    let conn = match given {
        Some(c) => c.clone(),
        None => Connectivity::generate(ens.sizes(p)?, seed, ens.autapses)?,
    };
    Ok(RateNetwork::new(conn, *p))
}

/// The rate network of Eq. 1 on realizations `seeds`: `phi_e, phi_i, w, mu_e, mu_i,
/// delta0_e, delta0_i, tau_dec_e, tau_dec_i, a_e, a_i, fixed_point` (1 if the run ended at a
/// fixed point), plus `rho_*`, `r_*` with [`Extras::correlations`] and `lyapunov_1` with
/// [`Extras::lyapunov`]. The ACF covers 200 neurons per population up to a lag of 50 tau_syn.
pub fn rate_realizations(
    p: &Params,
    seeds: &[u64],
    given: Option<&Connectivity>,
    w: &Window,
    extras: Extras,
) -> Result<Vec<Realization>, Error> {
    rate_realizations_in(p, seeds, given, &Ensemble::default(), w, extras)
}

/// As [`rate_realizations`], with networks drawn from `ens`.
pub fn rate_realizations_in(
    p: &Params,
    seeds: &[u64],
    given: Option<&Connectivity>,
    ens: &Ensemble,
    w: &Window,
    extras: Extras,
) -> Result<Vec<Realization>, Error> {
    let spec = rate_spec(p, w, extras);
    // Realizations on one given network advance together, four states per pass over its
    // indices (`sim::ensemble`; same bits as one by one).
    if let (Some(conn), sim::integrate::Method::Euler, None) =
        (given, w.method, spec.observe.correlations)
    {
        let net = RateNetwork::new(conn.clone(), *p);
        let mut runs = seeds
            .iter()
            .map(|&seed| Run::new(&net, spec.clone(), initial_state(&net, seed)))
            .collect::<Result<Vec<Run>, SimError>>()?;
        let total = runs.first().map_or(0, Run::total_steps);
        // groups of 2 x MEMBERS in parallel keep both cores busy at small N
        runs.par_chunks_mut(2 * sim::ensemble::MEMBERS)
            .try_for_each(|g| sim::ensemble::advance_together(&net, g, total, |_| {}))?;
        return seeds
            .par_iter()
            .zip(runs.par_iter())
            .map(|(&seed, run)| rate_finish(&net, seed, run, w, extras))
            .collect();
    }
    seeds
        .par_iter()
        .map(|&seed| {
            let net = network_in(p, seed, given, ens)?;
            let mut run = Run::new(&net, spec.clone(), initial_state(&net, seed))?;
            let total = run.total_steps();
            let mut integ = sim::integrate::Integrator::new(&net, w.method);
            run.advance(&net, &mut integ, total, |_| {})?;
            rate_finish(&net, seed, &run, w, extras)
        })
        .collect()
}

/// The run of the rate protocol: means, per-neuron variances, the ACF of 200 neurons per
/// population every 0.1 up to 50 tau_syn, and the correlations when asked.
fn rate_spec(p: &Params, w: &Window, extras: Extras) -> RunSpec {
    RunSpec {
        dt: w.dt,
        t: w.t,
        transient: w.transient,
        method: w.method,
        observe: Observe {
            correlations: extras
                .correlations
                .then_some(((0.5 / w.dt).round() as usize).max(1)),
            ..Observe::standard(p, w.dt)
        },
    }
}

/// A finished run's statistics (and Lambda_1 from a tangent run when asked or needed).
fn rate_finish(
    net: &RateNetwork,
    seed: u64,
    run: &Run,
    w: &Window,
    extras: Extras,
) -> Result<Realization, Error> {
    let s = run.summary(net);
    let nan = |x: Option<f64>| x.unwrap_or(f64::NAN);
    let mut stats: Stats = [
        ("phi_e", s.phi_e),
        ("phi_i", s.phi_i),
        ("w", s.w),
        ("mu_e", s.mu_e),
        ("mu_i", s.mu_i),
        ("delta0_e", s.delta0_e),
        ("delta0_i", s.delta0_i),
        ("tau_dec_e", nan(s.tau_dec_e)),
        ("tau_dec_i", nan(s.tau_dec_i)),
        ("a_e", s.a_e),
        ("a_i", s.a_i),
        (
            "fixed_point",
            f64::from(u8::from(matches!(
                s.regime,
                sim::run::Regime::HomogeneousFixedPoint | sim::run::Regime::HeterogeneousFixedPoint
            ))),
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    if let Some(c) = s.correlations {
        for (k, v) in [
            ("rho_ee", c.rho_ee),
            ("rho_ei", c.rho_ei),
            ("rho_ie", c.rho_ie),
            ("rho_ii", c.rho_ii),
            ("rho_t_e", c.rho_t_e),
            ("rho_t_i", c.rho_t_i),
            ("r_e", c.r_e),
            ("r_i", c.r_i),
        ] {
            stats.insert(k.into(), nan(v));
        }
    }
    let mut lyapunov_1 = None;
    if extras.lyapunov || (extras.classify && s.regime == sim::run::Regime::TimeDependent) {
        let spec = sim::tangent::LyapunovSpec {
            k: 1,
            dt: w.dt,
            t: w.t,
            transient: w.transient,
            t_ort: 1.0,
            zero_tol: ZERO_TOL,
        };
        let l = sim::tangent::lyapunov(
            net,
            initial_state(net, seed),
            &spec,
            seed,
            &mut sim::checkpoint::Silent,
        )?;
        stats.insert("lyapunov_1".into(), l.exponents[0]);
        lyapunov_1 = Some(l.exponents[0]);
    }
    Ok(Realization {
        regime: RunRegime::classify(s.regime, lyapunov_1, ZERO_TOL),
        stats,
        acf_e: s.acf_e,
        acf_i: s.acf_i,
        lag_dt: s.lag_dt,
    })
}

/// The LIF spiking network (Eqs. 62-64) on realizations `seeds` with the paper's Euler scheme
/// at `w.dt`: `rate_e, rate_i, cv_e, cv_i, mu_e, mu_i, rate_var_e, rate_var_i, w, delta0_e,
/// delta0_i, tau_dec_e, tau_dec_i`, and `cv_{e,i}_w{T}` / `cv_ratio_w{T}` (mean CV over
/// consecutive windows of T) for each T in `cv_windows`. ACF: 200 neurons, lags up to 150.
pub fn lif_realizations(
    p: &Params,
    seeds: &[u64],
    given: Option<&Connectivity>,
    w: &Window,
    cv_windows: &[f64],
) -> Result<Vec<Realization>, Error> {
    lif_realizations_in(
        p,
        seeds,
        given,
        &Ensemble::default(),
        &LifScheme::default(),
        w,
        cv_windows,
    )
}

/// How the LIF network is integrated (`sim::lif::LifSpec`'s integrator and refractory
/// period); the default is the paper's Euler scheme without refractoriness.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LifScheme {
    pub exact: bool,
    pub tau_ref: f64,
}

/// As [`lif_realizations`], with networks drawn from `ens` and integrated as `scheme` says.
pub fn lif_realizations_in(
    p: &Params,
    seeds: &[u64],
    given: Option<&Connectivity>,
    ens: &Ensemble,
    scheme: &LifScheme,
    w: &Window,
    cv_windows: &[f64],
) -> Result<Vec<Realization>, Error> {
    use sim::lif::{LifIntegrator, LifNetwork, LifRun, LifSpec, cv_in_windows, initial_state};
    seeds
        .par_iter()
        .map(|&seed| {
            let net = LifNetwork::new(network_in(p, seed, given, ens)?.conn, *p)?;
            let mut spec = LifSpec::paper(w.t, w.transient);
            spec.dt = w.dt;
            spec.tau_ref = scheme.tau_ref;
            if scheme.exact {
                spec.integrator = LifIntegrator::Exact;
            }
            spec.observe = sim::lif::LifObserve {
                raster: !cv_windows.is_empty(),
                ..sim::lif::LifObserve::standard(w.dt)
            };
            let mut run = LifRun::new(&net, spec, initial_state(&net, seed))?;
            let total = run.total_steps();
            run.advance(&net, total, |_| {})?;
            let s = run.summary(&net);
            let raster = run.raster();
            let nan = |x: Option<f64>| x.unwrap_or(f64::NAN);
            let mut stats: Stats = [
                ("rate_e", s.rate_e),
                ("rate_i", s.rate_i),
                ("cv_e", s.cv_e),
                ("cv_i", s.cv_i),
                ("mu_e", s.mu_e),
                ("mu_i", s.mu_i),
                ("rate_var_e", s.rate_var_e),
                ("rate_var_i", s.rate_var_i),
                ("w", s.w),
                ("delta0_e", s.delta0_e),
                ("delta0_i", s.delta0_i),
                ("tau_dec_e", nan(s.tau_dec_e)),
                ("tau_dec_i", nan(s.tau_dec_i)),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect();
            for &cw in cv_windows {
                let c = cv_in_windows(
                    &raster,
                    &net.rate.conn.sizes,
                    w.transient,
                    w.transient + w.t,
                    cw,
                );
                let k = c.len() as f64;
                let ce = c.iter().map(|x| x[0]).sum::<f64>() / k;
                let ci = c.iter().map(|x| x[1]).sum::<f64>() / k;
                stats.insert(format!("cv_e_w{cw}"), ce);
                stats.insert(format!("cv_i_w{cw}"), ci);
                stats.insert(format!("cv_ratio_w{cw}"), ci / ce);
            }
            Ok(Realization {
                stats,
                // spiking neurons are never at rest; tonic firing is told by the CV
                regime: RunRegime::TimeDependent,
                acf_e: s.acf_e,
                acf_i: s.acf_i,
                lag_dt: s.lag_dt,
            })
        })
        .collect()
}

/// Mean and standard error (sample standard deviation / sqrt(R)) of one statistic over
/// realizations; NaN values (e.g. no tau_dec at a fixed point) are skipped.
pub fn mean_stderr(rs: &[Realization], key: &str) -> Option<(f64, f64, usize)> {
    let v: Vec<f64> = rs
        .iter()
        .filter_map(|r| r.stats.get(key).copied())
        .filter(|x| x.is_finite())
        .collect();
    mean_sd(&v).map(|(m, sd)| (m, sd / (v.len() as f64).sqrt(), v.len()))
}

/// Mean and sample standard deviation (0 for a single value).
pub fn mean_sd(v: &[f64]) -> Option<(f64, f64)> {
    if v.is_empty() {
        return None;
    }
    let n = v.len() as f64;
    let m = v.iter().sum::<f64>() / n;
    let var = if v.len() > 1 {
        v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0)
    } else {
        0.0
    };
    Some((m, var.sqrt()))
}
