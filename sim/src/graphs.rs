//! Random graphs with variable in-degrees, for the spiking engine of issue 21: Erdős–Rényi
//! blocks (paper 002) and partially symmetric graphs with a given pair correlation (paper
//! 003a). Stored as compressed rows of presynaptic indices ([`Rows`]); weights stay per block,
//! so a synapse costs one `u32`.
//!
//! ## Erdős–Rényi
//! Every ordered pair (post i, pre j) is connected independently with probability p, without
//! self-pairs when the block is a population onto itself and `self_pairs` is false. Row i is
//! drawn by geometric skipping (the gap to the next connection is
//! `floor(ln U / ln(1 - p))`, exact for Bernoulli trials), O(p n) draws per row.
//!
//! ## Partial symmetry (paper 003a)
//! For one population of n neurons without self-pairs, with A_ij = 1 when j projects to i:
//! P(A_ij = 1) = p for every ordered pair, and the pairs {i, j} are independent with
//!
//! ```text
//! P(A_ij = A_ji = 1) = p^2 + q p (1 - p),
//! P(A_ij = 1, A_ji = 0) = P(A_ij = 0, A_ji = 1) = p - P(both),
//! ```
//!
//! so the correlation of A_ij and A_ji is exactly q. All probabilities are in [0, 1] iff
//! q >= max(-p / (1 - p), -(1 - p) / p) (and q <= 1): q = 1 is a symmetric graph, q = 0
//! Erdős–Rényi, negative q fewer reciprocal pairs than chance. The pairs {i, j > i} of row i
//! are visited by geometric skipping at rate P(any) = 2p - P(both), and each hit is split into
//! its three kinds by one more uniform draw.
//!
//! ## Determinism
//! Row i of an Erdős–Rényi block uses [`streams::connectivity`]`(block, i)`; the pairs of row
//! i of a partially symmetric graph use [`streams::pairs`]`(i)`. Rows are drawn in parallel
//! and merged in row order, so the graph is a function of (seed, parameters) only, whatever
//! the thread count.

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use crate::error::SimError;
use crate::streams;

/// Compressed rows: the presynaptic indices of row i are `pre[offsets[i]..offsets[i + 1]]`,
/// sorted ascending, without repeats.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rows {
    pub offsets: Vec<usize>,
    pub pre: Vec<u32>,
}

impl Rows {
    pub(crate) fn from_rows(rows: Vec<Vec<u32>>) -> Rows {
        let mut offsets = Vec::with_capacity(rows.len() + 1);
        offsets.push(0);
        let mut pre = Vec::with_capacity(rows.iter().map(Vec::len).sum());
        for r in rows {
            pre.extend_from_slice(&r);
            offsets.push(pre.len());
        }
        Rows { offsets, pre }
    }
    /// Number of rows (postsynaptic neurons).
    pub fn rows(&self) -> usize {
        self.offsets.len() - 1
    }
    /// The presynaptic indices of row `i`.
    pub fn row(&self, i: usize) -> &[u32] {
        &self.pre[self.offsets[i]..self.offsets[i + 1]]
    }
    /// Number of synapses.
    pub fn synapses(&self) -> usize {
        self.pre.len()
    }
    /// Whether row i holds j (binary search: rows are sorted).
    pub fn contains(&self, i: usize, j: usize) -> bool {
        self.row(i).binary_search(&(j as u32)).is_ok()
    }
}

fn check_probability(name: &'static str, p: f64) -> Result<(), SimError> {
    if (0.0..=1.0).contains(&p) {
        Ok(())
    } else {
        Err(SimError::Invalid {
            name,
            value: p,
            range: "0 <= p <= 1",
        })
    }
}

fn check_size(rows: usize, cols: usize, p: f64) -> Result<(), SimError> {
    if cols > u32::MAX as usize || rows as u64 >= 1 << 40 {
        return Err(SimError::Invalid {
            name: "n",
            value: rows.max(cols) as f64,
            range: "at most 2^32 presynaptic and 2^40 postsynaptic neurons",
        });
    }
    crate::budget::ensure_memory(
        &format!("a random graph of {rows} x {cols} with p = {p}"),
        (rows as f64 * cols as f64 * p) * 4.0 * 1.2 + rows as f64 * 8.0,
    )
}

/// Indices k = 0, 1, ... of the successes of Bernoulli(p) trials among `len`, by geometric
/// skipping; `f(k)` is called for each, in increasing order.
fn bernoulli_hits(rng: &mut ChaCha8Rng, p: f64, len: usize, mut f: impl FnMut(usize)) {
    if p <= 0.0 || len == 0 {
        return;
    }
    if p >= 1.0 {
        (0..len).for_each(f);
        return;
    }
    let log_q = (-p).ln_1p();
    let mut k = 0usize;
    loop {
        // 1 - U is in (0, 1]: ln is finite; the gap is a Geometric(p) number of failures.
        let u: f64 = 1.0 - rng.random::<f64>();
        let gap = (u.ln() / log_q).floor();
        if gap >= (len - k) as f64 {
            return;
        }
        k += gap as usize;
        f(k);
        k += 1;
        if k >= len {
            return;
        }
    }
}

/// An Erdős–Rényi block: `rows` postsynaptic neurons, `cols` presynaptic ones, each ordered
/// pair connected with probability `p`. `onto_itself`: the block maps a population onto itself
/// (then `self_pairs` decides whether i may receive from i). `block` (0..4) names the
/// connectivity stream family.
pub fn erdos_renyi(
    rows: usize,
    cols: usize,
    p: f64,
    onto_itself: bool,
    self_pairs: bool,
    seed: u64,
    block: u64,
) -> Result<Rows, SimError> {
    erdos_renyi_streams(rows, cols, p, onto_itself, self_pairs, seed, |i| {
        streams::connectivity(block, i)
    })
}

/// [`erdos_renyi`] with row i drawn from stream `stream(i)` (the spiking engine's projections
/// have a stream family each, [`streams::projection`]).
pub fn erdos_renyi_streams(
    rows: usize,
    cols: usize,
    p: f64,
    onto_itself: bool,
    self_pairs: bool,
    seed: u64,
    stream: impl Fn(usize) -> u64 + Sync,
) -> Result<Rows, SimError> {
    check_probability("p", p)?;
    check_size(rows, cols, p)?;
    let drawn: Vec<Vec<u32>> = (0..rows)
        .into_par_iter()
        .map(|i| {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            rng.set_stream(stream(i));
            let skip = (onto_itself && !self_pairs && i < cols).then_some(i);
            // Without the self-pair the row has cols - 1 candidates; index k maps past i.
            let len = cols - usize::from(skip.is_some());
            let mut row = Vec::with_capacity((p * len as f64 * 1.2) as usize + 4);
            bernoulli_hits(&mut rng, p, len, |k| {
                let j = match skip {
                    Some(s) if k >= s => k + 1,
                    _ => k,
                };
                row.push(j as u32);
            });
            row
        })
        .collect();
    Ok(Rows::from_rows(drawn))
}

/// Probability that both A_ij and A_ji are 1 for connection probability `p` and pair
/// correlation `q` (see the module docs).
pub fn p_both(p: f64, q: f64) -> f64 {
    p * p + q * p * (1.0 - p)
}

/// The range of pair correlations q allowed at connection probability p.
pub fn q_range(p: f64) -> (f64, f64) {
    if p <= 0.0 || p >= 1.0 {
        return (0.0, 0.0);
    }
    ((-p / (1.0 - p)).max(-(1.0 - p) / p), 1.0)
}

/// A partially symmetric graph on one population of `n` neurons (no self-pairs): connection
/// probability `p`, pair correlation `q` (paper 003a; module docs).
pub fn partially_symmetric(n: usize, p: f64, q: f64, seed: u64) -> Result<Rows, SimError> {
    check_probability("p", p)?;
    let (lo, hi) = q_range(p);
    if !(q >= lo - 1e-15 && q <= hi + 1e-15) {
        return Err(SimError::Invalid {
            name: "q",
            value: q,
            range: "max(-p / (1 - p), -(1 - p) / p) <= q <= 1 (0 when p is 0 or 1)",
        });
    }
    check_size(n, n, p)?;
    let both = p_both(p, q).clamp(0.0, p);
    let any = (2.0 * p - both).clamp(0.0, 1.0);
    let share_both = if any > 0.0 { both / any } else { 0.0 };
    // Row i visits the pairs {i, j > i}: entries for row i (pre j) and for the rows j (pre i).
    let drawn: Vec<(Vec<u32>, Vec<u32>)> = (0..n)
        .into_par_iter()
        .map(|i| {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            rng.set_stream(streams::pairs(i));
            let (mut into_i, mut from_i) = (Vec::new(), Vec::new());
            let mut hits = Vec::new();
            bernoulli_hits(&mut rng, any, n - i - 1, |k| hits.push(i + 1 + k));
            for j in hits {
                let u: f64 = rng.random();
                if u < share_both {
                    into_i.push(j as u32);
                    from_i.push(j as u32);
                } else if u < share_both + 0.5 * (1.0 - share_both) {
                    into_i.push(j as u32);
                } else {
                    from_i.push(j as u32);
                }
            }
            (into_i, from_i)
        })
        .collect();
    let mut rows: Vec<Vec<u32>> = vec![Vec::new(); n];
    // Row j receives i (< j) from pair row i: appended in increasing i, so sorted; then its own
    // pairs with larger indices, also increasing.
    for (i, (_, from_i)) in drawn.iter().enumerate() {
        for &j in from_i {
            rows[j as usize].push(i as u32);
        }
    }
    for (i, (into_i, _)) in drawn.into_iter().enumerate() {
        rows[i].extend_from_slice(&into_i);
    }
    Ok(Rows::from_rows(rows))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pool(threads: usize) -> rayon::ThreadPool {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
    }

    #[test]
    fn erdos_renyi_has_binomial_in_degrees_and_no_self_pairs() {
        // 2000 x 1600, p = 0.1: density within 4 standard errors of p (SE = sqrt(p (1 - p) /
        // pairs)), the variance of the in-degrees within 4 of its standard error around the
        // binomial (n - 1) p (1 - p) (SE ~ var sqrt(2 / rows)).
        let (rows, cols, p) = (2000, 2000, 0.1);
        let g = erdos_renyi(rows, cols, p, true, false, 7, 0).unwrap();
        let pairs = (rows * (cols - 1)) as f64;
        let density = g.synapses() as f64 / pairs;
        let se = (p * (1.0 - p) / pairs).sqrt();
        assert!((density - p).abs() < 4.0 * se, "density {density}");
        let k: Vec<f64> = (0..rows).map(|i| g.row(i).len() as f64).collect();
        let mean = k.iter().sum::<f64>() / rows as f64;
        let var = k.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (rows - 1) as f64;
        let want = (cols - 1) as f64 * p * (1.0 - p);
        assert!(
            (var - want).abs() < 4.0 * want * (2.0 / rows as f64).sqrt(),
            "{var} vs {want}"
        );
        for i in 0..rows {
            assert!(!g.contains(i, i), "self-pair at {i}");
            assert!(g.row(i).windows(2).all(|w| w[0] < w[1]), "row {i} unsorted");
            assert!(g.row(i).iter().all(|&j| (j as usize) < cols));
        }
        // With self-pairs allowed, about p of the diagonal is present (binomial, 4 SE).
        let g = erdos_renyi(rows, cols, p, true, true, 7, 0).unwrap();
        let diag = (0..rows).filter(|&i| g.contains(i, i)).count() as f64;
        let sd = (rows as f64 * p * (1.0 - p)).sqrt();
        assert!((diag - rows as f64 * p).abs() < 4.0 * sd, "{diag}");
        // p = 0 and p = 1 are exact.
        assert_eq!(
            erdos_renyi(50, 40, 0.0, false, false, 1, 1)
                .unwrap()
                .synapses(),
            0
        );
        assert_eq!(
            erdos_renyi(50, 40, 1.0, false, false, 1, 1)
                .unwrap()
                .synapses(),
            2000
        );
        assert_eq!(
            erdos_renyi(50, 50, 1.0, true, false, 1, 0)
                .unwrap()
                .synapses(),
            2450
        );
    }

    #[test]
    fn pair_correlation_is_q() {
        // n = 1500: M = n (n - 1) / 2 = 1.1e6 pairs. The measured q is the correlation of
        // (A_ij, A_ji) over the pairs; its standard error is about (1 - q^2) / sqrt(M) (~1e-3)
        // plus the density's; tolerance 5e-3. Density within 4 SE of p.
        let (n, p) = (1500, 0.1);
        let m = (n * (n - 1) / 2) as f64;
        for q in [q_range(p).0, -0.05, 0.0, 0.3, 0.7, 1.0] {
            let g = partially_symmetric(n, p, q, 3).unwrap();
            let mut both = 0usize;
            for i in 0..n {
                for &j in g.row(i) {
                    let j = j as usize;
                    assert_ne!(i, j, "self-pair");
                    if j > i && g.contains(j, i) {
                        both += 1;
                    }
                }
            }
            let d = g.synapses() as f64 / (2.0 * m);
            assert!(
                (d - p).abs() < 4.0 * (p * (1.0 - p) / (2.0 * m)).sqrt(),
                "q {q}: density {d}"
            );
            let q_hat = (both as f64 / m - d * d) / (d * (1.0 - d));
            assert!((q_hat - q).abs() < 5e-3, "q {q}: measured {q_hat}");
            for i in 0..n {
                assert!(g.row(i).windows(2).all(|w| w[0] < w[1]), "row {i} unsorted");
            }
        }
        // q = 1 is exactly symmetric.
        let g = partially_symmetric(300, 0.2, 1.0, 9).unwrap();
        for i in 0..300 {
            for &j in g.row(i) {
                assert!(g.contains(j as usize, i));
            }
        }
    }

    #[test]
    fn graphs_do_not_depend_on_the_thread_count() {
        let a = pool(1).install(|| partially_symmetric(700, 0.1, 0.5, 11).unwrap());
        let b = pool(2).install(|| partially_symmetric(700, 0.1, 0.5, 11).unwrap());
        assert_eq!(a, b);
        let a = pool(1).install(|| erdos_renyi(700, 500, 0.2, false, false, 11, 2).unwrap());
        let b = pool(2).install(|| erdos_renyi(700, 500, 0.2, false, false, 11, 2).unwrap());
        assert_eq!(a, b);
        assert_ne!(a, erdos_renyi(700, 500, 0.2, false, false, 12, 2).unwrap());
    }

    #[test]
    fn out_of_range_inputs_are_refused_with_their_range() {
        let e = partially_symmetric(100, 0.1, -0.5, 1)
            .unwrap_err()
            .to_string();
        assert!(e.contains("q = -0.5") && e.contains("<= q <= 1"), "{e}");
        let e = erdos_renyi(10, 10, 1.5, false, false, 1, 0)
            .unwrap_err()
            .to_string();
        assert!(e.contains("p = 1.5"), "{e}");
        assert!(partially_symmetric(100, f64::NAN, 0.0, 1).is_err());
    }
}
