//! Population-averaged correlation coefficients of the inputs and rates (Eqs. 57-61) in
//! O(N T) instead of O(N^2 T).
//!
//! For series a_i(t) of the M neurons of one population, the coefficient of Eqs. 59-61 is
//! rho = (1/M^2) sum_{i,j} C_ij / (sigma_i sigma_j) with C_ij = mean_t(da_i da_j) and
//! sigma_i^2 = C_ii. Writing z_i(t) = da_i(t) / sigma_i, the double sum factorises:
//!
//!   rho = mean_t[ ((1/M) sum_i z_i(t))^2 ],
//!
//! an O(M) sum per sample. It needs each neuron's temporal mean and sigma before the first
//! sample, so the measured window is run twice: pass 1 accumulates per-neuron means and
//! variances, then the run returns to the state saved at the start of the window and replays
//! it (bit for bit: the simulation is deterministic) accumulating the squared population
//! means of z. Memory stays O(N); the measured window costs twice.
//!
//! Series per neuron, Eq. 57-58: for E neurons h^EE (with I0, as in Eq. 57a), h^EI,
//! mu^E = h^EE + h^EI, phi(x^E); for I neurons h^IE (with I0), h^II, mu^I, phi(x^I).
//! Sums run over the postsynaptic population of each current: rho^EE and rho^EI over E,
//! rho^IE and rho^II over I (the printed Eq. 59 swaps the populations of rho^EI and rho^IE;
//! see docs/ERRATA.md). Neurons whose series is constant (sigma = 0, e.g. at a fixed point)
//! have no Pearson coefficient and are left out of the average; if all are, the coefficient
//! is undefined (None).

use serde::{Deserialize, Serialize};

use crate::network::{RateNetwork, Work};

/// Series per neuron: excitatory partial, inhibitory partial, total input, rate.
const SERIES: usize = 4;

/// The accumulators of the correlation observer (serialisable for checkpoints).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct CorrAcc {
    /// Size of the excitatory population (neurons 0..n_e).
    pub n_e: usize,
    /// State at the start of the measured window, for the replay.
    pub y_mark: Vec<f64>,
    /// Pass 1: per neuron and series, the first sample (a shift for stable variances) and
    /// the sums of (a - shift) and (a - shift)^2.
    pub shift: Vec<[f64; SERIES]>,
    pub s1: Vec<[f64; SERIES]>,
    pub s2: Vec<[f64; SERIES]>,
    pub samples1: u64,
    /// Pass 2: sums over samples of ((1/M) sum_i z_i)^2; E series 0..4, then I series 0..4.
    pub sq: [f64; 2 * SERIES],
    pub samples2: u64,
    /// Per neuron and series: 1 / sigma (0 for a constant series), and the population counts
    /// of neurons with sigma > 0. Derived from pass 1 when pass 2 starts.
    #[serde(skip)]
    inv_sd: Vec<[f64; SERIES]>,
    #[serde(skip)]
    counts: [usize; 2 * SERIES],
    #[serde(skip)]
    partial: Vec<[f64; 2]>,
    #[serde(skip)]
    vals: Vec<[f64; SERIES]>,
}

/// The coefficients of Eqs. 59-61 (JSON keys of `balnet correlations`).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Correlations {
    pub rho_ee: Option<f64>,
    pub rho_ei: Option<f64>,
    pub rho_ie: Option<f64>,
    pub rho_ii: Option<f64>,
    pub rho_t_e: Option<f64>,
    pub rho_t_i: Option<f64>,
    pub r_e: Option<f64>,
    pub r_i: Option<f64>,
    /// Samples per pass (not a JSON key).
    #[serde(skip)]
    pub samples: u64,
}

impl CorrAcc {
    /// (what, length read, length expected) of every array against a fresh observer's, for
    /// checkpoint checks; `marked`: the measured window has started (so the replay state is
    /// set).
    pub(crate) fn shape_against(
        &self,
        fresh: &CorrAcc,
        marked: bool,
    ) -> Vec<(&'static str, usize, usize)> {
        let dim = if marked {
            fresh.shift.len() + fresh.n_e
        } else {
            0
        };
        vec![
            (
                "the correlation observer's E population",
                self.n_e,
                fresh.n_e,
            ),
            ("the replay state", self.y_mark.len(), dim),
            (
                "the correlation shifts",
                self.shift.len(),
                fresh.shift.len(),
            ),
            ("the correlation sums", self.s1.len(), fresh.s1.len()),
            ("the correlation squares", self.s2.len(), fresh.s2.len()),
        ]
    }

    pub fn new(n: usize, n_e: usize) -> Self {
        CorrAcc {
            n_e,
            shift: vec![[0.0; SERIES]; n],
            s1: vec![[0.0; SERIES]; n],
            s2: vec![[0.0; SERIES]; n],
            ..CorrAcc::default()
        }
    }

    /// The four series of every neuron at the field evaluation in `work`.
    fn load(&mut self, net: &RateNetwork, work: &Work) {
        let (n_e, n) = (net.n_e(), net.n());
        let i0 = net.params.i0;
        self.partial.resize(n, [0.0; 2]);
        self.vals.resize(n, [0.0; SERIES]);
        net.partial_currents(&work.pre, &mut self.partial);
        let phi_e = work.pre.ie.as_slice();
        let phi_i = work.pre.inh.as_slice();
        for (i, (v, p)) in self.vals.iter_mut().zip(&self.partial).enumerate() {
            let phi = if i < n_e {
                phi_e[i][0]
            } else {
                phi_i[i - n_e][0]
            };
            *v = [p[0] + i0, p[1], work.rec[i][0] + i0, phi];
        }
        debug_assert_eq!(self.vals.len(), n);
    }

    /// Pass 1: one sample of the per-neuron means and variances.
    pub fn record_moments(&mut self, net: &RateNetwork, work: &Work) {
        self.load(net, work);
        let first = self.samples1 == 0;
        for (((v, sh), a), b) in self
            .vals
            .iter()
            .zip(self.shift.iter_mut())
            .zip(self.s1.iter_mut())
            .zip(self.s2.iter_mut())
        {
            for m in 0..SERIES {
                if first {
                    sh[m] = v[m];
                }
                let d = v[m] - sh[m];
                a[m] += d;
                b[m] += d * d;
            }
        }
        self.samples1 += 1;
    }

    fn prepare(&mut self) {
        let n_e = self.n_e;
        let k = self.samples1.max(1) as f64;
        self.counts = [0; 2 * SERIES];
        self.inv_sd = self
            .shift
            .iter()
            .zip(&self.s1)
            .zip(&self.s2)
            .enumerate()
            .map(|(i, ((sh, a), b))| {
                std::array::from_fn(|m| {
                    let mean_d = a[m] / k;
                    let var = (b[m] / k - mean_d * mean_d).max(0.0);
                    // Constant up to rounding: relative spread below 1e-12 of the level.
                    let scale = 1e-12 * (sh[m] + mean_d).abs().max(1e-12);
                    if var.sqrt() > scale {
                        self.counts[m + if i < n_e { 0 } else { SERIES }] += 1;
                        1.0 / var.sqrt()
                    } else {
                        0.0
                    }
                })
            })
            .collect();
    }

    /// Pass 2: one sample of the squared population means of z.
    pub fn record_coherence(&mut self, net: &RateNetwork, work: &Work) {
        let n_e = self.n_e;
        if self.inv_sd.is_empty() {
            self.prepare();
        }
        self.load(net, work);
        let k = self.samples1.max(1) as f64;
        let mut z = [0.0; 2 * SERIES];
        for (i, ((v, sh), (a, inv))) in self
            .vals
            .iter()
            .zip(&self.shift)
            .zip(self.s1.iter().zip(&self.inv_sd))
            .enumerate()
        {
            let off = if i < n_e { 0 } else { SERIES };
            for m in 0..SERIES {
                z[off + m] += (v[m] - sh[m] - a[m] / k) * inv[m];
            }
        }
        for ((sq, &c), zm) in self.sq.iter_mut().zip(&self.counts).zip(z) {
            if c > 0 {
                let mean = zm / c as f64;
                *sq += mean * mean;
            }
        }
        self.samples2 += 1;
    }

    /// The coefficients (None where undefined or before pass 2 has samples).
    pub fn result(&self) -> Correlations {
        let mut counts = self.counts;
        if self.inv_sd.is_empty() {
            // Restored from a checkpoint after the last sample: recount.
            let mut c = self.clone();
            c.prepare();
            counts = c.counts;
        }
        let get = |m: usize| {
            (self.samples2 > 0 && counts[m] > 0).then(|| self.sq[m] / self.samples2 as f64)
        };
        Correlations {
            rho_ee: get(0),
            rho_ei: get(1),
            rho_t_e: get(2),
            r_e: get(3),
            rho_ie: get(SERIES),
            rho_ii: get(SERIES + 1),
            rho_t_i: get(SERIES + 2),
            r_i: get(SERIES + 3),
            samples: self.samples2,
        }
    }
}
