//! An independent reference simulator of Eq. 1 for testing the oracle: its own network
//! generator (xoshiro256** seeded by SplitMix64, in-degree lists by rejection sampling, not
//! balnet's ChaCha8 and Floyd), its own initial states and seeds, plain loops and forward
//! Euler, and a Lyapunov exponent from two nearby trajectories (Benettin's original method),
//! not balnet's tangent map. It shares no code with `sim`. Switchable bugs make it a wrong
//! simulator on purpose.

#![allow(dead_code)]

use std::collections::BTreeMap;

use verify::check::{CheckFile, Model, Observed, WindowIn};

/// What the reference gets wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bug {
    None,
    /// Inhibitory weights added instead of subtracted.
    FlippedInhibition,
    /// The E -> I synapses depressed too.
    DepressedEtoI,
    /// Weights scaled by 1/K instead of 1/sqrt(K).
    OneOverK,
    /// Euler with dt = 1 (twenty times the reference step).
    LargeDt,
    /// The STD update skipped: w stays 1.
    NoDepression,
    /// tau_D twice its value.
    TauDTwice,
    /// The depression of E neuron j driven by the rate of inhibitory neuron j mod N_I.
    DepressionByInhibitoryRate,
    /// The external current I0 left out.
    I0Ignored,
    /// g_E and g_I swapped.
    GSwapped,
    /// (1 + tanh x) / 2 instead of the erf transfer function of Eq. 4.
    Tanh,
    /// J^EE 10 % too large.
    Coupling10,
}

impl Bug {
    pub const ALL: [Bug; 11] = [
        Bug::FlippedInhibition,
        Bug::DepressedEtoI,
        Bug::OneOverK,
        Bug::LargeDt,
        Bug::NoDepression,
        Bug::TauDTwice,
        Bug::DepressionByInhibitoryRate,
        Bug::I0Ignored,
        Bug::GSwapped,
        Bug::Tanh,
        Bug::Coupling10,
    ];
    /// The bugs a check must catch at every N. The other three change the statistics by
    /// about as much as one network differs from another near the transition: the inhibitory
    /// rate that drives the depression is within ~20 % of the excitatory one, (1 + tanh x) / 2
    /// differs from Phi by < 0.06, and 10 % of J^EE moves the rates by a few per cent.
    pub fn gross(self) -> bool {
        !matches!(
            self,
            Bug::DepressionByInhibitoryRate | Bug::Tanh | Bug::Coupling10 | Bug::None
        )
    }
}

/// The set-up of one run (Table 1 otherwise).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Setup {
    pub n: usize,
    pub j0: f64,
    pub i0: f64,
    pub autapses: bool,
    pub t: f64,
    pub transient: f64,
}

/// SplitMix64, to seed xoshiro256**.
fn splitmix(x: &mut u64) -> u64 {
    *x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *x;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// xoshiro256**.
pub struct Rng([u64; 4]);

impl Rng {
    pub fn new(seed: u64) -> Self {
        let mut s = seed;
        Rng([
            splitmix(&mut s),
            splitmix(&mut s),
            splitmix(&mut s),
            splitmix(&mut s),
        ])
    }
    fn next(&mut self) -> u64 {
        let r = self.0[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = self.0[1] << 17;
        self.0[2] ^= self.0[0];
        self.0[3] ^= self.0[1];
        self.0[1] ^= self.0[2];
        self.0[0] ^= self.0[3];
        self.0[2] ^= t;
        self.0[3] = self.0[3].rotate_left(45);
        r
    }
    fn uniform(&mut self) -> f64 {
        ((self.next() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }
    fn below(&mut self, m: usize) -> usize {
        (self.uniform() * m as f64) as usize % m
    }
    pub fn normal(&mut self) -> f64 {
        let (a, b) = (self.uniform(), self.uniform());
        (-2.0 * a.ln()).sqrt() * (std::f64::consts::TAU * b).cos()
    }
}

/// In-degree lists: row i holds k distinct presynaptic indices of 0..m (not `me` when given).
fn lists(rng: &mut Rng, rows: usize, m: usize, k: usize, diagonal_free: bool) -> Vec<Vec<u32>> {
    let mut mark = vec![false; m];
    (0..rows)
        .map(|i| {
            let mut row = Vec::with_capacity(k);
            while row.len() < k {
                let j = rng.below(m);
                if mark[j] || (diagonal_free && j == i) {
                    continue;
                }
                mark[j] = true;
                row.push(j as u32);
            }
            for &j in &row {
                mark[j as usize] = false;
            }
            row
        })
        .collect()
}

/// Table 1.
const F: f64 = 0.8;
const C_E: f64 = 0.025;
const C_I: f64 = 0.005;
const U: f64 = 0.5;
const TAU_D: f64 = 10.0;
const G_E: f64 = 1.0;
const G_I: f64 = 2.0;
const J_E: f64 = 1.0;
const J_I: f64 = 1.5;

/// The reference dt.
pub const DT: f64 = 0.05;
/// ACF lags reported: every 0.5 up to 10; neurons per population in the ACF.
pub const ACF_EVERY: f64 = 0.5;
pub const ACF_LAGS: usize = 21;
const ACF_NEURONS: usize = 200;

fn erf_phi(x: f64) -> f64 {
    0.5 * statrs::function::erf::erfc(-x / std::f64::consts::SQRT_2)
}

struct Net {
    ne: usize,
    ni: usize,
    /// rows of the four blocks
    ee: Vec<Vec<u32>>,
    ei: Vec<Vec<u32>>,
    ie: Vec<Vec<u32>>,
    ii: Vec<Vec<u32>>,
    j: [f64; 4],
    i0: f64,
    tau_d: f64,
    bug: Bug,
}

impl Net {
    fn new(s: &Setup, seed: u64, bug: Bug) -> Self {
        let ne = (F * s.n as f64).round() as usize;
        let ni = s.n - ne;
        let ke = (C_E * s.n as f64).round() as usize;
        let ki = (C_I * s.n as f64).round() as usize;
        let mut rng = Rng::new(seed);
        let free = !s.autapses;
        let ee = lists(&mut rng, ne, ne, ke, free);
        let ei = lists(&mut rng, ne, ni, ki, false);
        let ie = lists(&mut rng, ni, ne, ke, false);
        let ii = lists(&mut rng, ni, ni, ki, free);
        Self::with_lists(s, [ee, ei, ie, ii], bug)
    }

    /// The model on given in-degree lists (EE, EI, IE, II; rows postsynaptic).
    fn with_lists(s: &Setup, [ee, ei, ie, ii]: [Vec<Vec<u32>>; 4], bug: Bug) -> Self {
        let (ne, ni) = (ee.len(), ie.len());
        let (ke, ki) = (ee[0].len(), ei[0].len());
        let scale = |k: usize| {
            if bug == Bug::OneOverK {
                1.0 / k as f64
            } else {
                1.0 / (k as f64).sqrt()
            }
        };
        let sign = if bug == Bug::FlippedInhibition {
            1.0
        } else {
            -1.0
        };
        let (ge, gi) = if bug == Bug::GSwapped {
            (G_I, G_E)
        } else {
            (G_E, G_I)
        };
        let jee = if bug == Bug::Coupling10 { 1.1 } else { 1.0 };
        Net {
            ne,
            ni,
            ee,
            ei,
            ie,
            ii,
            j: [
                jee * s.j0 * J_E * scale(ke),
                sign * s.j0 * ge * J_E * scale(ki),
                s.j0 * J_I * scale(ke),
                sign * s.j0 * gi * J_I * scale(ki),
            ],
            i0: if bug == Bug::I0Ignored { 0.0 } else { s.i0 },
            tau_d: if bug == Bug::TauDTwice {
                2.0 * TAU_D
            } else {
                TAU_D
            },
            bug,
        }
    }

    fn phi(&self, x: f64) -> f64 {
        if self.bug == Bug::Tanh {
            0.5 * (1.0 + x.tanh())
        } else {
            erf_phi(x)
        }
    }

    /// The total inputs mu (into `mu`) and the rates r of the state (x, w).
    fn inputs(&self, x: &[f64], w: &[f64], r: &mut [f64], rw: &mut [f64], mu: &mut [f64]) {
        for (ri, &xi) in r.iter_mut().zip(x) {
            *ri = self.phi(xi);
        }
        for j in 0..self.ne {
            rw[j] = r[j] * w[j];
        }
        let (ne, [jee, jei, jie, jii]) = (self.ne, self.j);
        let sum = |row: &[u32], v: &[f64]| row.iter().map(|&j| v[j as usize]).sum::<f64>();
        for (i, m) in mu[..ne].iter_mut().enumerate() {
            *m = self.i0 + jee * sum(&self.ee[i], rw) + jei * sum(&self.ei[i], &r[ne..]);
        }
        let pre_e: &[f64] = if self.bug == Bug::DepressedEtoI {
            rw
        } else {
            &r[..ne]
        };
        for i in 0..self.ni {
            mu[ne + i] = self.i0 + jie * sum(&self.ie[i], pre_e) + jii * sum(&self.ii[i], &r[ne..]);
        }
    }

    /// One Euler step of (x, w) with step h.
    fn step(&self, x: &mut [f64], w: &mut [f64], h: f64, b: &mut Buffers) {
        self.inputs(x, w, &mut b.r, &mut b.rw, &mut b.mu);
        for (xi, &m) in x.iter_mut().zip(&b.mu) {
            *xi += h * (-*xi + m);
        }
        if self.bug != Bug::NoDepression {
            for (j, wj) in w.iter_mut().enumerate() {
                let drive = if self.bug == Bug::DepressionByInhibitoryRate {
                    b.r[self.ne + j % self.ni]
                } else {
                    b.r[j]
                };
                *wj += h * ((1.0 - *wj) / self.tau_d - U * *wj * drive);
            }
        }
    }
}

struct Buffers {
    r: Vec<f64>,
    rw: Vec<f64>,
    mu: Vec<f64>,
}

/// What one run measures: the scalars of the check file and the two input autocovariances.
#[derive(Clone, Debug)]
pub struct Run {
    pub stats: BTreeMap<&'static str, f64>,
    pub acf_e: Vec<f64>,
    pub acf_i: Vec<f64>,
}

/// Autocovariance of each series about its own mean, 1 / (L - k) normalisation, averaged.
fn autocovariance(series: &[Vec<f64>]) -> Vec<f64> {
    let mut c = vec![0.0; ACF_LAGS];
    for s in series {
        let l = s.len();
        let m = s.iter().sum::<f64>() / l as f64;
        for (k, ck) in c.iter_mut().enumerate().take(l) {
            let sum: f64 = (0..l - k).map(|t| (s[t] - m) * (s[t + k] - m)).sum();
            *ck += sum / (l - k) as f64 / series.len() as f64;
        }
    }
    c
}

/// One run of the reference on its network `seed` with `bug`.
pub fn run(s: &Setup, seed: u64, bug: Bug) -> Run {
    simulate(s, Net::new(s, seed, bug), seed, bug)
}

/// One run on given in-degree lists (a network both sides share), initial state from `seed`.
pub fn run_on(s: &Setup, lists: [Vec<Vec<u32>>; 4], seed: u64, bug: Bug) -> Run {
    simulate(s, Net::with_lists(s, lists, bug), seed, bug)
}

fn simulate(s: &Setup, net: Net, seed: u64, bug: Bug) -> Run {
    let (ne, n) = (net.ne, s.n);
    let h = if bug == Bug::LargeDt { 1.0 } else { DT };
    let mut rng = Rng::new(seed ^ 0x005E_ED0F_1417);
    let mut x: Vec<f64> = (0..n).map(|_| rng.normal()).collect();
    let mut w = vec![1.0; ne];
    // the second trajectory, 1e-7 away in a random direction
    const EPS: f64 = 1e-7;
    let dir: Vec<f64> = (0..n + ne).map(|_| rng.normal()).collect();
    let norm = dir.iter().map(|v| v * v).sum::<f64>().sqrt();
    let mut x2: Vec<f64> = (0..n).map(|i| x[i] + EPS * dir[i] / norm).collect();
    let mut w2: Vec<f64> = (0..ne).map(|j| w[j] + EPS * dir[n + j] / norm).collect();
    let mut b = Buffers {
        r: vec![0.0; n],
        rw: vec![0.0; ne],
        mu: vec![0.0; n],
    };
    let mut b2 = Buffers {
        r: vec![0.0; n],
        rw: vec![0.0; ne],
        mu: vec![0.0; n],
    };
    let steps_t = (s.transient / h).round() as usize;
    let steps = (s.t / h).round() as usize;
    let renorm = ((1.0 / h).round() as usize).max(1);
    let every = ((ACF_EVERY / h).round() as usize).max(1);
    let (mut sums, mut log_growth) = ([0.0; 5], 0.0);
    let (mut s1, mut s2) = (vec![0.0; n], vec![0.0; n]);
    let mut traces = vec![Vec::new(); 2 * ACF_NEURONS.min(ne).min(n - ne)];
    let na = traces.len() / 2;
    for step in 0..steps_t + steps {
        if step >= steps_t {
            sums[2] += w.iter().sum::<f64>() / ne as f64;
        }
        net.step(&mut x2, &mut w2, h, &mut b2);
        // the observables are those of the state before this step's update
        net.step(&mut x, &mut w, h, &mut b);
        if step >= steps_t {
            let (r, mu) = (&b.r, &b.mu);
            sums[0] += r[..ne].iter().sum::<f64>() / ne as f64;
            sums[1] += r[ne..].iter().sum::<f64>() / (n - ne) as f64;
            sums[3] += mu[..ne].iter().sum::<f64>() / ne as f64;
            sums[4] += mu[ne..].iter().sum::<f64>() / (n - ne) as f64;
            for i in 0..n {
                s1[i] += mu[i];
                s2[i] += mu[i] * mu[i];
            }
            if (step - steps_t) % every == 0 {
                for k in 0..na {
                    traces[k].push(mu[k]);
                    traces[na + k].push(mu[ne + k]);
                }
            }
        }
        if (step + 1) % renorm == 0 {
            let d2: f64 = x.iter().zip(&x2).map(|(a, c)| (a - c).powi(2)).sum::<f64>()
                + w.iter().zip(&w2).map(|(a, c)| (a - c).powi(2)).sum::<f64>();
            let d = d2.sqrt();
            if step >= steps_t {
                log_growth += (d / EPS).ln();
            }
            let f = EPS / d;
            for i in 0..n {
                x2[i] = x[i] + f * (x2[i] - x[i]);
            }
            for j in 0..ne {
                w2[j] = w[j] + f * (w2[j] - w[j]);
            }
        }
    }
    let m = steps as f64;
    let var = |r: std::ops::Range<usize>| {
        let len = r.len() as f64;
        r.map(|i| (s2[i] / m - (s1[i] / m).powi(2)).max(0.0))
            .sum::<f64>()
            / len
    };
    let stats = [
        ("phi_e", sums[0] / m),
        ("phi_i", sums[1] / m),
        ("w", sums[2] / m),
        ("mu_e", sums[3] / m),
        ("mu_i", sums[4] / m),
        ("delta0_e", var(0..ne)),
        ("delta0_i", var(ne..n)),
        ("lyapunov_1", log_growth / (steps as f64 * h)),
    ]
    .into_iter()
    .collect();
    Run {
        stats,
        acf_e: autocovariance(&traces[..na]),
        acf_i: autocovariance(&traces[na..]),
    }
}

/// A check file from `runs` (one run: the values; several: means with standard errors).
pub fn file(s: &Setup, runs: &[Run], bug: Bug) -> CheckFile {
    let r = runs.len() as f64;
    let mean_se = |v: &[f64]| {
        let m = v.iter().sum::<f64>() / r;
        let se = if runs.len() > 1 {
            (v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (r - 1.0) / r).sqrt()
        } else {
            f64::NAN
        };
        (m, se)
    };
    let mut statistics = BTreeMap::new();
    for name in runs[0].stats.keys() {
        let v: Vec<f64> = runs.iter().map(|x| x.stats[name]).collect();
        let (m, se) = mean_se(&v);
        statistics.insert(
            name.to_string(),
            if runs.len() > 1 {
                Observed::Value {
                    value: m,
                    stderr: Some(se),
                }
            } else {
                Observed::Number(m)
            },
        );
    }
    for (name, pick) in [("acf_e", 0), ("acf_i", 1)] {
        let per: Vec<(f64, f64)> = (0..ACF_LAGS)
            .map(|k| {
                let v: Vec<f64> = runs
                    .iter()
                    .map(|x| if pick == 0 { x.acf_e[k] } else { x.acf_i[k] })
                    .collect();
                mean_se(&v)
            })
            .collect();
        statistics.insert(
            name.to_string(),
            Observed::Acf {
                lags: (0..ACF_LAGS).map(|k| k as f64 * ACF_EVERY).collect(),
                values: per.iter().map(|p| p.0).collect(),
                stderr: (runs.len() > 1).then(|| per.iter().map(|p| p.1).collect()),
            },
        );
    }
    let mut params = serde_json::Map::new();
    params.insert("n".into(), (s.n as f64).into());
    params.insert("j0".into(), s.j0.into());
    params.insert("i0".into(), s.i0.into());
    CheckFile {
        format: verify::check::FORMAT.into(),
        simulator: Some(format!(
            "reference (tests/common/reference.rs), bug {bug:?}"
        )),
        model: Model::Rate,
        params,
        network: None,
        autapses: s.autapses,
        k_e: None,
        k_i: None,
        window: WindowIn {
            t: s.t,
            transient: s.transient,
            dt: if bug == Bug::LargeDt { 1.0 } else { DT },
            method: None,
        },
        realizations: runs.len(),
        statistics,
    }
}
