//! The oracle must have power: `balnet check` fails the statistics of deliberately wrong
//! simulations and passes correct ones.
//!
//! The "other simulator" here is a deliberately plain, independent implementation of Eq. 1
//! (Euler, loops over the in-degree lists of balnet's generated networks, its own random
//! initial states), with switches for five classic bugs. Each statistic it reports is the
//! mean over its realizations with the standard error from their spread, as a user would.

use verify::check::{CheckFile, CheckOptions, Model, Observed, WindowIn, check};

use sim::connectivity::{Autapses, Connectivity, Sizes};
use std::collections::BTreeMap;
use theory::Params;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Bug {
    None,
    /// Inhibitory weights added instead of subtracted.
    FlippedInhibition,
    /// The E -> I synapses depressed too (w_j multiplies phi_E for I targets).
    DepressedEtoI,
    /// Weights scaled by 1/K instead of 1/sqrt(K).
    OneOverK,
    /// Euler with dt = 1 (twenty times the reference step, the time constant itself).
    LargeDt,
    /// The STD update skipped: w stays 1.
    NoDepression,
}

const N: f64 = 2000.0;
const J0: f64 = 1.5;
const T: f64 = 200.0;
const TRANSIENT: f64 = 100.0;

fn params() -> Params {
    Params {
        n: N,
        j0: J0,
        i0: 0.0,
        ..Params::default()
    }
}

/// A tiny independent generator (xorshift64* + Box-Muller) for the initial states.
struct Rng(u64);
impl Rng {
    fn uniform(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        ((self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }
    fn normal(&mut self) -> f64 {
        let (a, b) = (self.uniform(), self.uniform());
        (-2.0 * a.ln()).sqrt() * (std::f64::consts::TAU * b).cos()
    }
}

fn phi(x: f64) -> f64 {
    0.5 * statrs::function::erf::erfc(-x / std::f64::consts::SQRT_2)
}

/// Lags of the reported input autocovariance (every 0.5 up to 10).
const ACF_LAGS: usize = 21;
const ACF_EVERY: f64 = 0.5;
/// Neurons per population in the autocovariance.
const ACF_NEURONS: usize = 200;

/// One run.
struct Out {
    /// phi_e, phi_i, w, mu_e, mu_i, delta0_e, delta0_i.
    stats: [f64; 7],
    /// Population-averaged autocovariance of mu^E and mu^I (mean removed per neuron,
    /// 1 / (L - k) normalisation) at lags k * ACF_EVERY.
    acf: [Vec<f64>; 2],
}

/// Autocovariance with each series' mean removed and 1 / (L - k) normalisation, averaged.
fn autocovariance(series: &[Vec<f64>]) -> Vec<f64> {
    let mut c = vec![0.0; ACF_LAGS];
    for s in series {
        let l = s.len();
        let m = s.iter().sum::<f64>() / l as f64;
        for (k, ck) in c.iter_mut().enumerate() {
            let sum: f64 = (0..l - k).map(|t| (s[t] - m) * (s[t + k] - m)).sum();
            *ck += sum / (l - k) as f64 / series.len() as f64;
        }
    }
    c
}

fn simulate(seed: u64, bug: Bug) -> Out {
    let p = params();
    let sizes = Sizes::massive(&p).unwrap();
    let conn = Connectivity::generate(sizes, seed, Autapses::Allowed).unwrap();
    let (ne, ni, ke, ki) = (sizes.n_e, sizes.n_i, sizes.k_e, sizes.k_i);
    let n = ne + ni;
    let dt = if bug == Bug::LargeDt { 1.0 } else { 0.05 };
    let scale = |k: usize| {
        if bug == Bug::OneOverK {
            1.0 / k as f64
        } else {
            1.0 / (k as f64).sqrt()
        }
    };
    let sign_i = if bug == Bug::FlippedInhibition {
        1.0
    } else {
        -1.0
    };
    let j_ee = p.j0 * p.j_e * scale(ke);
    let j_ei = sign_i * p.j0 * p.g_e * p.j_e * scale(ki);
    let j_ie = p.j0 * p.j_i * scale(ke);
    let j_ii = sign_i * p.j0 * p.g_i * p.j_i * scale(ki);
    let (ee, ei, ie, ii) = (
        conn.ee.to_u32(),
        conn.ei.to_u32(),
        conn.ie.to_u32(),
        conn.ii.to_u32(),
    );
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ seed.wrapping_mul(0xD1B5_4A32_D192_ED03));
    let mut x: Vec<f64> = (0..n).map(|_| rng.normal()).collect();
    let mut w = vec![1.0; ne];
    let mut mu = vec![0.0; n];
    let (steps_t, steps) = ((TRANSIENT / dt).round() as usize, (T / dt).round() as usize);
    let mut sums = [0.0; 5];
    let every = (ACF_EVERY / dt).round() as usize;
    let mut traces = vec![Vec::new(); 2 * ACF_NEURONS];
    let (mut s1, mut s2) = (vec![0.0; n], vec![0.0; n]);
    for step in 0..steps_t + steps {
        let r: Vec<f64> = x.iter().map(|&v| phi(v)).collect();
        let rw: Vec<f64> = (0..ne).map(|j| r[j] * w[j]).collect();
        for i in 0..n {
            let (e_in, i_in) = if i < ne {
                let e: f64 = ee[i * ke..(i + 1) * ke]
                    .iter()
                    .map(|&j| rw[j as usize])
                    .sum();
                let h: f64 = ei[i * ki..(i + 1) * ki]
                    .iter()
                    .map(|&j| r[ne + j as usize])
                    .sum();
                (j_ee * e, j_ei * h)
            } else {
                let row = i - ne;
                let pre = if bug == Bug::DepressedEtoI { &rw } else { &r };
                let e: f64 = ie[row * ke..(row + 1) * ke]
                    .iter()
                    .map(|&j| pre[j as usize])
                    .sum();
                let h: f64 = ii[row * ki..(row + 1) * ki]
                    .iter()
                    .map(|&j| r[ne + j as usize])
                    .sum();
                (j_ie * e, j_ii * h)
            };
            mu[i] = p.i0 + e_in + i_in;
        }
        if step >= steps_t {
            sums[0] += r[..ne].iter().sum::<f64>() / ne as f64;
            sums[1] += r[ne..].iter().sum::<f64>() / ni as f64;
            sums[2] += w.iter().sum::<f64>() / ne as f64;
            sums[3] += mu[..ne].iter().sum::<f64>() / ne as f64;
            sums[4] += mu[ne..].iter().sum::<f64>() / ni as f64;
            for i in 0..n {
                s1[i] += mu[i];
                s2[i] += mu[i] * mu[i];
            }
            if (step - steps_t) % every == 0 {
                for k in 0..ACF_NEURONS {
                    traces[k].push(mu[k]);
                    traces[ACF_NEURONS + k].push(mu[ne + k]);
                }
            }
        }
        for i in 0..n {
            x[i] += dt * (-x[i] + mu[i]);
        }
        if bug != Bug::NoDepression {
            for j in 0..ne {
                w[j] += dt * ((1.0 - w[j]) / p.tau_d - p.u * w[j] * r[j]);
            }
        }
    }
    let m = steps as f64;
    let var = |range: std::ops::Range<usize>| {
        let len = range.len() as f64;
        range
            .map(|i| (s2[i] / m - (s1[i] / m).powi(2)).max(0.0))
            .sum::<f64>()
            / len
    };
    Out {
        stats: [
            sums[0] / m,
            sums[1] / m,
            sums[2] / m,
            sums[3] / m,
            sums[4] / m,
            var(0..ne),
            var(ne..n),
        ],
        acf: [
            autocovariance(&traces[..ACF_NEURONS]),
            autocovariance(&traces[ACF_NEURONS..]),
        ],
    }
}

const NAMES: [&str; 7] = [
    "phi_e", "phi_i", "w", "mu_e", "mu_i", "delta0_e", "delta0_i",
];

/// A check file from `seeds.len()` runs with `bug`.
fn file(seeds: &[u64], bug: Bug) -> CheckFile {
    use rayon::prelude::*;
    let runs: Vec<Out> = seeds.par_iter().map(|&s| simulate(s, bug)).collect();
    let r = runs.len() as f64;
    let mut statistics = BTreeMap::new();
    for (p, name) in ["acf_e", "acf_i"].into_iter().enumerate() {
        let mean_se = |k: usize| {
            let m = runs.iter().map(|x| x.acf[p][k]).sum::<f64>() / r;
            let var = runs.iter().map(|x| (x.acf[p][k] - m).powi(2)).sum::<f64>() / (r - 1.0);
            (m, (var / r).sqrt())
        };
        statistics.insert(
            name.to_string(),
            Observed::Acf {
                lags: (0..ACF_LAGS).map(|k| k as f64 * ACF_EVERY).collect(),
                values: (0..ACF_LAGS).map(|k| mean_se(k).0).collect(),
                stderr: Some((0..ACF_LAGS).map(|k| mean_se(k).1).collect()),
            },
        );
    }
    for (k, name) in NAMES.iter().enumerate() {
        let m = runs.iter().map(|x| x.stats[k]).sum::<f64>() / r;
        let var = runs.iter().map(|x| (x.stats[k] - m).powi(2)).sum::<f64>() / (r - 1.0);
        statistics.insert(
            name.to_string(),
            Observed::Value {
                value: m,
                stderr: Some((var / r).sqrt()),
            },
        );
    }
    let mut params = serde_json::Map::new();
    params.insert("n".into(), N.into());
    params.insert("j0".into(), J0.into());
    params.insert("i0".into(), 0.0.into());
    CheckFile {
        format: verify::check::FORMAT.into(),
        simulator: Some(format!("check_power.rs plain Euler, bug {bug:?}")),
        model: Model::Rate,
        params,
        network: None,
        window: WindowIn {
            t: T,
            transient: TRANSIENT,
            dt: if bug == Bug::LargeDt { 1.0 } else { 0.05 },
            method: None,
        },
        realizations: seeds.len(),
        statistics,
    }
}

fn report_line(bug: Bug, rep: &verify::check::Report) -> String {
    let failed: Vec<String> = rep
        .statistics
        .iter()
        .map(|v| {
            format!(
                "{}{} ({:.4} vs {:.4} +- {:.4})",
                if v.pass { "" } else { "!" },
                v.name,
                v.observed,
                v.expected,
                v.tolerance
            )
        })
        .collect();
    format!("{bug:?}: {} failed: {}", rep.failed, failed.join(", "))
}

/// Every bug is caught (at least one statistic fails), and correct runs with six different
/// sets of seeds pass every statistic. About 10 s on 2 cores.
#[test]
fn check_fails_wrong_simulations_and_passes_correct_ones() {
    let opt = CheckOptions::default();
    for bug in [
        Bug::FlippedInhibition,
        Bug::DepressedEtoI,
        Bug::OneOverK,
        Bug::LargeDt,
        Bug::NoDepression,
    ] {
        let rep = check(&file(&[101, 102, 103], bug), &opt).unwrap();
        eprintln!("{}", report_line(bug, &rep));
        assert_eq!(rep.regime, "time_dependent");
        assert!(rep.failed > 0, "{bug:?} was not caught");
    }
    let mut false_alarms = 0;
    for k in 0..6u64 {
        let seeds = [200 + 3 * k, 201 + 3 * k, 202 + 3 * k];
        let rep = check(&file(&seeds, Bug::None), &opt).unwrap();
        eprintln!("{}", report_line(Bug::None, &rep));
        false_alarms += rep.failed;
    }
    // With alpha = 1e-3 per statistic, 42 statistics give an expected 0.04 false alarms; the
    // seeds are fixed, so this either always passes or always fails.
    assert_eq!(false_alarms, 0);
}

/// The false-alarm rate of correct runs: 40 files of 3 realizations each (seeds 1000..1119),
/// 280 statistics. About 1 min on 2 cores. Measured: see the README ("balnet check").
#[test]
#[ignore]
fn false_alarm_rate_of_correct_runs() {
    let opt = CheckOptions::default();
    let (mut stats, mut failed, mut files_failed) = (0, 0, 0);
    for k in 0..40u64 {
        let seeds = [1000 + 3 * k, 1001 + 3 * k, 1002 + 3 * k];
        let rep = check(&file(&seeds, Bug::None), &opt).unwrap();
        stats += rep.statistics.len();
        failed += rep.failed;
        files_failed += usize::from(rep.failed > 0);
        if rep.failed > 0 {
            eprintln!("{}", report_line(Bug::None, &rep));
        }
    }
    eprintln!("false alarms: {failed} of {stats} statistics, {files_failed} of 40 files");
    // Nominal: 0.36 false statistics at alpha = 1e-3. At N = 2000 the realizations are not
    // Gaussian (a few networks sit near the transition, with Delta0 down to 0.01 against a
    // typical 0.22), so the t-based tolerance is optimistic in the tails; the bound is 1 %
    // of the statistics (see the README for the measured rate).
    assert!(failed * 100 <= stats, "{failed} false alarms of {stats}");
}
