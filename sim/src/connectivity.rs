//! Seeded fixed in-degree connectivity (Eqs. 2-3), stored as presynaptic indices only.
//!
//! Every neuron receives exactly K_E excitatory and K_I inhibitory inputs, drawn uniformly
//! without replacement (no multapses). Self-connections (in the E-E and I-I blocks) are
//! allowed by default, as the paper does not exclude them and as the yardstick programs in
//! `../shared/anchors` generate; [`Autapses::Excluded`] draws from the N_beta - 1 other
//! neurons instead.
//!
//! ## Determinism
//! The generator is ChaCha8 (`rand_chacha`), a portable counter-based stream cipher: block
//! `b` (0 = EE, 1 = EI, 2 = IE, 3 = II) of postsynaptic neuron `i` uses the stream
//! `(b << 40) | i` of the generator seeded with `seed` (`SeedableRng::seed_from_u64`). Each
//! row is therefore a pure function of (seed, block, i): rows are generated in parallel and the
//! network does not depend on the thread count. Each row is drawn with Floyd's algorithm
//! (K draws for K of n) and sorted, which helps the locality of the gather.
//!
//! Weights are constant per block (Eq. 3), so only indices are stored: 16-bit when the
//! presynaptic population has at most 65536 neurons (N <= 81920 with f = 0.8), else 32-bit.

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use theory::Params;

use crate::error::SimError;

/// Whether a neuron may receive input from itself (E-E and I-I blocks).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Autapses {
    /// Allowed (the default; each row draws from all N_beta neurons).
    #[default]
    Allowed,
    /// Excluded (each row of E-E and I-I draws from the N_beta - 1 others).
    Excluded,
}

/// Population sizes and in-degrees of a network.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sizes {
    pub n_e: usize,
    pub n_i: usize,
    pub k_e: usize,
    pub k_i: usize,
}

impl Sizes {
    /// Massively coupled (Table 1): N_E = round(f N), N_I = N - N_E, K_beta = round(c_beta N).
    pub fn massive(p: &Params) -> Result<Self, SimError> {
        p.validate()?;
        let (n_e, n_i) = populations(p)?;
        let n = p.n.round();
        let s = Sizes {
            n_e,
            n_i,
            k_e: (p.c_e * n).round() as usize,
            k_i: (p.c_i * n).round() as usize,
        };
        s.check(Autapses::Allowed)?;
        Ok(s)
    }

    /// The sparse variant (S3 Appendix): K_E and K_I fixed, independent of N (c_E, c_I of
    /// `p` are ignored).
    pub fn sparse(p: &Params, k_e: usize, k_i: usize) -> Result<Self, SimError> {
        let (n_e, n_i) = populations(p)?;
        let s = Sizes { n_e, n_i, k_e, k_i };
        s.check(Autapses::Allowed)?;
        Ok(s)
    }

    pub fn n(&self) -> usize {
        self.n_e + self.n_i
    }

    /// Synapses per network update, N (K_E + K_I).
    pub fn synapses(&self) -> usize {
        self.n().saturating_mul(self.k_e + self.k_i)
    }

    /// Can a network of these sizes be drawn (in-degrees at most the population, one less
    /// without autapses)?
    pub fn check(&self, autapses: Autapses) -> Result<(), SimError> {
        let minus = usize::from(autapses == Autapses::Excluded);
        if self.n_e == 0 || self.n_i == 0 {
            return Err(SimError::Invalid {
                name: "n",
                value: self.n() as f64,
                range: "both populations non-empty (N f >= 1, N (1 - f) >= 1)",
            });
        }
        if self.k_e < 1 || self.k_e + minus > self.n_e {
            return Err(SimError::Invalid {
                name: "k_e",
                value: self.k_e as f64,
                range: "1 <= K_E <= N_E (minus 1 without autapses)",
            });
        }
        if self.k_i < 1 || self.k_i + minus > self.n_i {
            return Err(SimError::Invalid {
                name: "k_i",
                value: self.k_i as f64,
                range: "1 <= K_I <= N_I (minus 1 without autapses)",
            });
        }
        Ok(())
    }

    /// Bytes to generate the network: its rows as 32-bit indices while drawn, then the blocks
    /// (16 or 32 bits per index), plus the per-neuron state of a run (~200 bytes per neuron).
    pub fn bytes_to_generate(&self) -> f64 {
        let index = if self.n_e.max(self.n_i) <= 1 << 16 {
            2.0
        } else {
            4.0
        };
        self.synapses() as f64 * (4.0 + index) + 200.0 * self.n() as f64
    }
}

/// N_E = round(f N), N_I = N - N_E (as the yardstick programs).
fn populations(p: &Params) -> Result<(usize, usize), SimError> {
    let n = p.n.round();
    if !((2.0..=4e9).contains(&n) && p.f > 0.0 && p.f < 1.0) {
        return Err(SimError::Invalid {
            name: "n",
            value: p.n,
            range: "2 <= n <= 4e9 for a simulation",
        });
    }
    let n_e = (p.f * n).round() as usize;
    Ok((n_e, n as usize - n_e))
}

/// Presynaptic indices of one block, post-major (row i = entries i*K .. (i+1)*K), sorted
/// within each row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Indices {
    U16(Vec<u16>),
    U32(Vec<u32>),
}

impl Indices {
    pub fn len(&self) -> usize {
        match self {
            Indices::U16(v) => v.len(),
            Indices::U32(v) => v.len(),
        }
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Entry k as usize.
    pub fn get(&self, k: usize) -> usize {
        match self {
            Indices::U16(v) => v[k] as usize,
            Indices::U32(v) => v[k] as usize,
        }
    }
    /// All entries as u32 (for export and tests).
    pub fn to_u32(&self) -> Vec<u32> {
        match self {
            Indices::U16(v) => v.iter().map(|&x| x as u32).collect(),
            Indices::U32(v) => v.clone(),
        }
    }
    pub(crate) fn from_rows(rows: Vec<Vec<u32>>, n_pre: usize) -> Self {
        if n_pre <= 1 << 16 {
            Indices::U16(rows.into_iter().flatten().map(|x| x as u16).collect())
        } else {
            Indices::U32(rows.into_iter().flatten().collect())
        }
    }
}

/// The four blocks of the connectivity matrix (Eq. 2): E<-E, E<-I, I<-E, I<-I.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Connectivity {
    pub sizes: Sizes,
    pub autapses: Autapses,
    pub seed: u64,
    pub ee: Indices,
    pub ei: Indices,
    pub ie: Indices,
    pub ii: Indices,
}

/// Block identifiers (the stream offsets of the generator).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Block {
    EE = 0,
    EI = 1,
    IE = 2,
    II = 3,
}

impl Block {
    pub const ALL: [Block; 4] = [Block::EE, Block::EI, Block::IE, Block::II];
    /// (number of postsynaptic rows, presynaptic population size, in-degree).
    pub fn shape(self, s: &Sizes) -> (usize, usize, usize) {
        match self {
            Block::EE => (s.n_e, s.n_e, s.k_e),
            Block::EI => (s.n_e, s.n_i, s.k_i),
            Block::IE => (s.n_i, s.n_e, s.k_e),
            Block::II => (s.n_i, s.n_i, s.k_i),
        }
    }
    fn diagonal(self) -> bool {
        matches!(self, Block::EE | Block::II)
    }
}

/// One row: K distinct indices of 0..n (excluding `skip`), sorted; Floyd's algorithm.
pub(crate) fn draw_row(
    rng: &mut ChaCha8Rng,
    n: usize,
    k: usize,
    skip: Option<usize>,
    seen: &mut Vec<bool>,
) -> Vec<u32> {
    let m = n - usize::from(skip.is_some());
    seen.clear();
    seen.resize(m, false);
    let mut row = Vec::with_capacity(k);
    for j in m - k..m {
        let t = rng.random_range(0..=j);
        let pick = if seen[t] { j } else { t };
        seen[pick] = true;
        row.push(pick as u32);
    }
    if let Some(s) = skip {
        for x in &mut row {
            if *x as usize >= s {
                *x += 1;
            }
        }
    }
    row.sort_unstable();
    row
}

impl Connectivity {
    /// Generate the network for `sizes` from `seed` (see the module docs).
    pub fn generate(sizes: Sizes, seed: u64, autapses: Autapses) -> Result<Self, SimError> {
        sizes.check(autapses)?;
        crate::budget::ensure_memory(
            &format!(
                "a network of N = {} with {:.3e} synapses",
                sizes.n(),
                sizes.synapses() as f64
            ),
            sizes.bytes_to_generate(),
        )?;
        let block = |b: Block| {
            let (rows, n_pre, k) = b.shape(&sizes);
            let v: Vec<Vec<u32>> = (0..rows)
                .into_par_iter()
                .map_init(Vec::new, |seen, i| {
                    let mut rng = ChaCha8Rng::seed_from_u64(seed);
                    rng.set_stream(crate::streams::connectivity(b as u64, i));
                    let skip = (autapses == Autapses::Excluded && b.diagonal()).then_some(i);
                    draw_row(&mut rng, n_pre, k, skip, seen)
                })
                .collect();
            Indices::from_rows(v, n_pre)
        };
        Ok(Connectivity {
            sizes,
            autapses,
            seed,
            ee: block(Block::EE),
            ei: block(Block::EI),
            ie: block(Block::IE),
            ii: block(Block::II),
        })
    }

    pub fn block(&self, b: Block) -> &Indices {
        match b {
            Block::EE => &self.ee,
            Block::EI => &self.ei,
            Block::IE => &self.ie,
            Block::II => &self.ii,
        }
    }

    /// A 64-bit FNV-1a hash of the sizes and every index, block by block: identifies the
    /// network in checkpoints (also for networks read from files, whose seed says nothing).
    pub fn fingerprint(&self) -> u64 {
        let mut h = crate::checkpoint::FNV_OFFSET;
        let mut eat = |x: u64| h = crate::checkpoint::fnv1a64(h, &x.to_le_bytes());
        let s = self.sizes;
        for v in [s.n_e, s.n_i, s.k_e, s.k_i] {
            eat(v as u64);
        }
        for b in Block::ALL {
            let ix = self.block(b);
            for k in 0..ix.len() {
                eat(ix.get(k) as u64);
            }
        }
        h
    }

    /// Check the invariants (sizes, ranges, sorted and distinct rows, autapses) of a network
    /// read from a file.
    pub fn validate(&self) -> Result<(), SimError> {
        self.sizes.check(self.autapses)?;
        for b in Block::ALL {
            let (rows, n_pre, k) = b.shape(&self.sizes);
            let ix = self.block(b);
            if ix.len() != rows * k {
                return Err(SimError::Format(format!(
                    "block {b:?}: {} indices, expected {}",
                    ix.len(),
                    rows * k
                )));
            }
            for i in 0..rows {
                let mut prev = None;
                for s in 0..k {
                    let j = ix.get(i * k + s);
                    if j >= n_pre || prev.is_some_and(|p| p >= j) {
                        return Err(SimError::Format(format!(
                            "block {b:?}, row {i}: indices must be sorted, distinct and < {n_pre}"
                        )));
                    }
                    if self.autapses == Autapses::Excluded && b.diagonal() && j == i {
                        return Err(SimError::Format(format!(
                            "block {b:?}, row {i}: autapse in a network marked without autapses"
                        )));
                    }
                    prev = Some(j);
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small() -> Sizes {
        Sizes::massive(&Params {
            n: 1000.0,
            ..Params::default()
        })
        .unwrap()
    }

    #[test]
    fn rows_have_exact_distinct_in_range_indices() {
        for aut in [Autapses::Allowed, Autapses::Excluded] {
            let c = Connectivity::generate(small(), 3, aut).unwrap();
            c.validate().unwrap();
            assert_eq!(
                (c.sizes.n_e, c.sizes.n_i, c.sizes.k_e, c.sizes.k_i),
                (800, 200, 25, 5)
            );
        }
    }

    #[test]
    fn same_seed_same_network_any_thread_count() {
        let one = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap();
        let two = rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .unwrap();
        let a = one.install(|| Connectivity::generate(small(), 11, Autapses::Allowed).unwrap());
        let b = two.install(|| Connectivity::generate(small(), 11, Autapses::Allowed).unwrap());
        assert_eq!(a, b);
        let c = Connectivity::generate(small(), 12, Autapses::Allowed).unwrap();
        assert_ne!(a.ee, c.ee);
    }

    #[test]
    fn presynaptic_choice_is_uniform() {
        // Out-degree of each E neuron in the E<-E block (N = 1e4: N_E = 8000, K_E = 250):
        // N_E independent rows each pick it with probability K_E / N_E, so it is binomial
        // with mean K_E = 250 and variance K_E (1 - K_E/N_E) ~ 242. The chi-square statistic sum (o - e)^2 / e over 8000
        // neurons has mean ~ 8000 (1 - 1/32) and sd ~ sqrt(2 * 8000) ~ 126: 5 sd band.
        let s = Sizes::massive(&Params {
            n: 1e4,
            ..Params::default()
        })
        .unwrap();
        let c = Connectivity::generate(s, 5, Autapses::Allowed).unwrap();
        let mut out = vec![0usize; s.n_e];
        for k in 0..c.ee.len() {
            out[c.ee.get(k)] += 1;
        }
        let e = s.k_e as f64;
        let chi2: f64 = out.iter().map(|&o| (o as f64 - e).powi(2) / e).sum();
        let mean = s.n_e as f64 * (1.0 - s.k_e as f64 / s.n_e as f64);
        assert!(
            (chi2 - mean).abs() < 5.0 * (2.0 * s.n_e as f64).sqrt(),
            "chi2 = {chi2}, expected {mean}"
        );
        // Without autapses no row contains its own index (validate checks), with them about
        // N_E * K_E / N_E = K_E rows do.
        let selfs = (0..s.n_e)
            .filter(|&i| (0..s.k_e).any(|q| c.ee.get(i * s.k_e + q) == i))
            .count();
        assert!(
            (selfs as f64 - e).abs() < 5.0 * e.sqrt(),
            "{selfs} autapses, expected ~{e}"
        );
    }
}
