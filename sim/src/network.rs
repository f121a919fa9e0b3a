//! The rate network of Eq. 1 (Eq. 12 with tau_syn) on a concrete [`Connectivity`]:
//!
//! * tau_syn dx_i^E/dt = -x_i^E + J0 j_E / sqrt(K_E) sum_{j in E(i)} phi(x_j^E) w_j
//!   - J0 g_E j_E / sqrt(K_I) sum_{j in I(i)} phi(x_j^I) + I0,
//! * tau_syn dx_i^I/dt = -x_i^I + J0 j_I / sqrt(K_E) sum_{j in E(i)} phi(x_j^E)
//!   - J0 g_I j_I / sqrt(K_I) sum_{j in I(i)} phi(x_j^I) + I0,
//! * dw_i/dt = (1 - w_i) / tau_D - u w_i phi(x_i^E),
//!
//! with inhibition subtracted once (Eq. 3 with Eq. 1; see docs/ERRATA.md on Eqs. 12/63).
//! The state vector is y = [x^E (N_E), x^I (N_I), w (N_E)].

use rayon::prelude::*;
use theory::{Params, Transfer};

use crate::connectivity::{Connectivity, Indices};
use crate::gather::{Padded, prefetch_ahead, row, row_pair, row16, row32};

/// Rows per parallel work item: large enough to amortise scheduling, small enough to balance.
const CHUNK: usize = 128;

/// The network: connectivity plus the constants of Eq. 1.
#[derive(Clone, Debug)]
pub struct RateNetwork {
    pub conn: Connectivity,
    pub params: Params,
    /// |J| per block: J0 j_E / sqrt(K_E), J0 g_E j_E / sqrt(K_I), J0 j_I / sqrt(K_E),
    /// J0 g_I j_I / sqrt(K_I).
    pub j_ee: f64,
    pub j_ei: f64,
    pub j_ie: f64,
    pub j_ii: f64,
    /// The connectivity's fingerprint, computed once (checkpoints compare it).
    fingerprint: std::sync::OnceLock<u64>,
}

/// Presynaptic vectors with W components each: component 0 carries the state's rates,
/// components 1.. the tangent vectors (see [`crate::tangent`]).
pub struct Presyn<const W: usize> {
    /// Seen by E<-E: phi(x^E) w (and its variations).
    pub ee: Padded<W>,
    /// Seen by I<-E: phi(x^E) (and its variations).
    pub ie: Padded<W>,
    /// Seen by E<-I and I<-I: phi(x^I) (and its variations).
    pub inh: Padded<W>,
}

impl<const W: usize> Presyn<W> {
    pub fn new(net: &RateNetwork) -> Self {
        let s = net.conn.sizes;
        Presyn {
            ee: Padded::new(s.n_e),
            ie: Padded::new(s.n_e),
            inh: Padded::new(s.n_i),
        }
    }
}

/// Rows of one block for postsynaptic neurons in [start, start + len), as exact chunks of k.
fn block_rows<'a>(ix: &'a Indices, start: usize, len: usize, k: usize) -> RowsRef<'a> {
    match ix {
        Indices::U16(a) => RowsRef::U16(&a[start * k..(start + len) * k]),
        Indices::U32(a) => RowsRef::U32(&a[start * k..(start + len) * k]),
    }
}

enum RowsRef<'a> {
    U16(&'a [u16]),
    U32(&'a [u32]),
}

/// One block's side of a recurrent sum: its rows, in-degree, presynaptic vector and |J|.
struct Side<'a, const W: usize> {
    rows: RowsRef<'a>,
    k: usize,
    v: &'a Padded<W>,
    j: f64,
}

/// out[r] = a.j * sum_a(row r) - b.j * sum_b(row r) for the excitatory side a and the
/// inhibitory side b. The rows are summed side by side, not row by row, so one presynaptic
/// vector at a time competes for the cache (for the Lyapunov runs, W = 4, this saves ~10 %):
/// out first holds the sums of side a.
#[inline(always)]
fn combine_rows<const W: usize>(out: &mut [[f64; W]], a: Side<W>, b: Side<W>) {
    let (ja, jb) = (a.j, b.j);
    side_sums(out, &a, |o, x| *o = x);
    side_sums(out, &b, |o, y| {
        *o = std::array::from_fn(|m| ja * o[m] - jb * y[m])
    });
}

/// Apply `put(out[r], sum of row r)` for the rows of one side, two rows per pass
/// ([`row_pair`]); index widths monomorphised so the inner loops have no branch.
#[inline(always)]
fn side_sums<const W: usize>(
    out: &mut [[f64; W]],
    s: &Side<W>,
    put: impl Fn(&mut [f64; W], [f64; W]),
) {
    macro_rules! go {
        ($r:expr, $v:expr) => {{
            let (r, v, k) = ($r, $v, s.k);
            let pairs = out.chunks_exact_mut(2).zip(r.chunks_exact(2 * k));
            for (o, rr) in pairs {
                prefetch_ahead(rr.as_ptr(), std::mem::size_of_val(rr));
                let (x, y) = row_pair(v, &rr[..k], &rr[k..]);
                put(&mut o[0], x);
                put(&mut o[1], y);
            }
            if out.len() % 2 == 1 {
                let last = out.len() - 1;
                put(&mut out[last], row(v, &r[last * k..(last + 1) * k]));
            }
        }};
    }
    match s.rows {
        RowsRef::U16(r) => go!(r, s.v.as_array()),
        RowsRef::U32(r) => go!(r, s.v.as_slice()),
    }
}

/// [`combine_rows`] compiled for AVX2: the W values of one presynaptic entry then load and add
/// as one 256-bit vector (W = 4 for the Lyapunov runs with k = 2, 3). Same operations in the
/// same order as the baseline build, so the same bits.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn combine_rows_avx2<const W: usize>(out: &mut [[f64; W]], a: Side<W>, b: Side<W>) {
    combine_rows(out, a, b)
}

/// Which build of the row kernel runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kernel {
    /// The baseline x86-64 (SSE2) or other-architecture build.
    Baseline,
    /// AVX2, when the CPU has it (checked at run time).
    Avx2,
}

impl Kernel {
    /// The fastest kernel this CPU runs. Worth it for W >= 2 only (a single f64 per entry
    /// gains nothing from wider vectors).
    pub fn detect(w: usize) -> Kernel {
        #[cfg(target_arch = "x86_64")]
        if w >= 2 && std::arch::is_x86_feature_detected!("avx2") {
            return Kernel::Avx2;
        }
        let _ = w;
        Kernel::Baseline
    }
}

#[inline(always)]
fn combine_rows_with<const W: usize>(kernel: Kernel, out: &mut [[f64; W]], a: Side<W>, b: Side<W>) {
    match kernel {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: Kernel::Avx2 is only produced by `Kernel::detect` after the CPU reported
        // AVX2 (or by a caller asserting the same, see `recurrent_with`).
        Kernel::Avx2 => unsafe { combine_rows_avx2(out, a, b) },
        _ => combine_rows(out, a, b),
    }
}

impl RateNetwork {
    pub fn new(conn: Connectivity, params: Params) -> Self {
        let s = conn.sizes;
        let (ske, ski) = ((s.k_e as f64).sqrt(), (s.k_i as f64).sqrt());
        let p = params;
        RateNetwork {
            conn,
            params,
            j_ee: p.j0 * p.j_e / ske,
            j_ei: p.j0 * p.g_e * p.j_e / ski,
            j_ie: p.j0 * p.j_i / ske,
            j_ii: p.j0 * p.g_i * p.j_i / ski,
            fingerprint: std::sync::OnceLock::new(),
        }
    }

    /// [`Connectivity::fingerprint`], hashed on first use only.
    pub fn fingerprint(&self) -> u64 {
        *self.fingerprint.get_or_init(|| self.conn.fingerprint())
    }

    pub fn n_e(&self) -> usize {
        self.conn.sizes.n_e
    }
    pub fn n_i(&self) -> usize {
        self.conn.sizes.n_i
    }
    pub fn n(&self) -> usize {
        self.conn.sizes.n()
    }
    /// Length of the state vector, N + N_E.
    pub fn dim(&self) -> usize {
        self.n() + self.n_e()
    }
    pub fn transfer(&self) -> Transfer {
        self.params.transfer
    }

    /// The recurrent input of every neuron, for each of the W components of `pre`:
    /// out[i] = J_EE sum_EE pre.ee - J_EI sum_EI pre.inh for i < N_E, and
    /// J_IE sum_IE pre.ie - J_II sum_II pre.inh for the I neurons (i >= N_E). Parallel over
    /// rows; each row's sum is computed in a fixed order, so the result does not depend on
    /// the thread count.
    pub fn recurrent<const W: usize>(&self, pre: &Presyn<W>, out: &mut [[f64; W]]) {
        self.recurrent_with(Kernel::detect(W), pre, out)
    }

    /// [`Self::recurrent`] with a chosen kernel build (for tests and benchmarks).
    ///
    /// # Panics
    /// If `kernel` is [`Kernel::Avx2`] and the CPU lacks AVX2.
    pub fn recurrent_with<const W: usize>(
        &self,
        kernel: Kernel,
        pre: &Presyn<W>,
        out: &mut [[f64; W]],
    ) {
        #[cfg(target_arch = "x86_64")]
        assert!(
            kernel == Kernel::Baseline || std::arch::is_x86_feature_detected!("avx2"),
            "the AVX2 kernel needs a CPU with AVX2"
        );
        #[cfg(not(target_arch = "x86_64"))]
        let kernel = Kernel::Baseline;
        let s = self.conn.sizes;
        let c = &self.conn;
        let (out_e, out_i) = out.split_at_mut(s.n_e);
        // One population's rows: excitatory block `a` minus inhibitory block `b`.
        // One population's rows: excitatory block `a` minus inhibitory block `b`.
        let half = |out: &mut [[f64; W]],
                    (ia, va, ja): (&Indices, &Padded<W>, f64),
                    (ib, vb, jb): (&Indices, &Padded<W>, f64)| {
            out.par_chunks_mut(CHUNK)
                .enumerate()
                .for_each(|(blk, chunk)| {
                    let (start, len) = (blk * CHUNK, chunk.len());
                    let a = Side {
                        rows: block_rows(ia, start, len, s.k_e),
                        k: s.k_e,
                        v: va,
                        j: ja,
                    };
                    let b = Side {
                        rows: block_rows(ib, start, len, s.k_i),
                        k: s.k_i,
                        v: vb,
                        j: jb,
                    };
                    combine_rows_with(kernel, chunk, a, b);
                });
        };
        half(
            out_e,
            (&c.ee, &pre.ee, self.j_ee),
            (&c.ei, &pre.inh, self.j_ei),
        );
        half(
            out_i,
            (&c.ie, &pre.ie, self.j_ie),
            (&c.ii, &pre.inh, self.j_ii),
        );
    }

    /// The recurrent sums (as in [`Self::recurrent_with`]) of the rows [start, start + len)
    /// of the E population (`excitatory`) or of the I population, len = out.len(). For fused
    /// steps that finish each chunk of rows while it is in cache.
    pub(crate) fn recurrent_chunk<const W: usize>(
        &self,
        kernel: Kernel,
        pre: &Presyn<W>,
        excitatory: bool,
        start: usize,
        out: &mut [[f64; W]],
    ) {
        let (s, c, len) = (self.conn.sizes, &self.conn, out.len());
        let side = |ix, k, v, j| Side {
            rows: block_rows(ix, start, len, k),
            k,
            v,
            j,
        };
        let (a, b) = if excitatory {
            (
                side(&c.ee, s.k_e, &pre.ee, self.j_ee),
                side(&c.ei, s.k_i, &pre.inh, self.j_ei),
            )
        } else {
            (
                side(&c.ie, s.k_e, &pre.ie, self.j_ie),
                side(&c.ii, s.k_i, &pre.inh, self.j_ii),
            )
        };
        combine_rows_with(kernel, out, a, b);
    }

    /// The partial recurrent inputs of Eq. 57 without I0, from component 0 of `pre`:
    /// out[i] = [J_EE sum_EE phi_E w, -J_EI sum_EI phi_I] for E neurons and
    /// [J_IE sum_IE phi_E, -J_II sum_II phi_I] for I neurons. Their sum is `recurrent`'s
    /// output up to rounding. One extra pass over the indices: observers call it only on
    /// sampled steps.
    pub fn partial_currents<const W: usize>(&self, pre: &Presyn<W>, out: &mut [[f64; 2]]) {
        let s = self.conn.sizes;
        let c = &self.conn;
        let (out_e, out_i) = out.split_at_mut(s.n_e);
        let one =
            |out: &mut [[f64; 2]], slot: usize, ix: &Indices, k: usize, v: &Padded<W>, j: f64| {
                out.par_chunks_mut(CHUNK)
                    .enumerate()
                    .for_each(|(blk, chunk)| {
                        let rows = block_rows(ix, blk * CHUNK, chunk.len(), k);
                        match rows {
                            RowsRef::U16(r) => {
                                let a = v.as_array();
                                for (o, row) in chunk.iter_mut().zip(r.chunks_exact(k)) {
                                    o[slot] = j * row16(a, row)[0];
                                }
                            }
                            RowsRef::U32(r) => {
                                for (o, row) in chunk.iter_mut().zip(r.chunks_exact(k)) {
                                    o[slot] = j * row32(v.as_slice(), row)[0];
                                }
                            }
                        }
                    });
            };
        one(out_e, 0, &c.ee, s.k_e, &pre.ee, self.j_ee);
        one(out_e, 1, &c.ei, s.k_i, &pre.inh, -self.j_ei);
        one(out_i, 0, &c.ie, s.k_e, &pre.ie, self.j_ie);
        one(out_i, 1, &c.ii, s.k_i, &pre.inh, -self.j_ii);
    }

    /// Fill component 0 of `pre` from the state y (rates phi(x^E) w, phi(x^E), phi(x^I)).
    pub fn load_rates<const W: usize>(&self, y: &[f64], pre: &mut Presyn<W>) {
        let (n_e, n) = (self.n_e(), self.n());
        let t = self.transfer();
        let (xe, rest) = y.split_at(n_e);
        let (xi, w) = rest.split_at(n - n_e);
        // Both populations in one parallel loop (one fork-join).
        enum Rates<'a, const W: usize> {
            E(&'a mut [[f64; W]], &'a mut [[f64; W]], &'a [f64], &'a [f64]),
            I(&'a mut [[f64; W]], &'a [f64]),
        }
        // 20 chunks at N = 5000, so two threads share the phi evaluations evenly (with 1024,
        // five chunks split 3 : 2).
        const RATE_CHUNK: usize = 256;
        let e = pre.ee.as_mut_slice()[..n_e]
            .par_chunks_mut(RATE_CHUNK)
            .zip(pre.ie.as_mut_slice()[..n_e].par_chunks_mut(RATE_CHUNK))
            .zip(xe.par_chunks(RATE_CHUNK).zip(w.par_chunks(RATE_CHUNK)))
            .map(|((a, b), (x, w))| Rates::E(a, b, x, w));
        let i = pre.inh.as_mut_slice()[..n - n_e]
            .par_chunks_mut(RATE_CHUNK)
            .zip(xi.par_chunks(RATE_CHUNK))
            .map(|(a, x)| Rates::I(a, x));
        // phi for a whole chunk at once (vectorised, Transfer::phi_slice), then scattered into
        // the W-wide entries.
        e.chain(i).for_each(|chunk| {
            let mut ph = [0.0; RATE_CHUNK];
            match chunk {
                Rates::E(a, b, x, w) => {
                    let ph = &mut ph[..x.len()];
                    t.phi_slice(x, ph);
                    for (((a, b), &p), &w) in a.iter_mut().zip(b.iter_mut()).zip(&*ph).zip(w) {
                        a[0] = p * w;
                        b[0] = p;
                    }
                }
                Rates::I(a, x) => {
                    let ph = &mut ph[..x.len()];
                    t.phi_slice(x, ph);
                    for (a, &p) in a.iter_mut().zip(&*ph) {
                        a[0] = p;
                    }
                }
            }
        });
    }

    /// One forward-Euler step of Eq. 1 in two parallel passes: the rates, then per chunk of
    /// rows the recurrent sums, dy/dt and the new state. Writes y_next = y + dt F(y), dy = F(y)
    /// and leaves in `work` the rates and recurrent inputs at y (for the observers). The same
    /// operations in the same order as [`Self::field`] followed by `y += dt dy`, so the same
    /// bits; fewer fork-joins, which is what limits the 2-thread speed-up at small N.
    pub fn euler_step(
        &self,
        y: &[f64],
        y_next: &mut [f64],
        dy: &mut [f64],
        work: &mut Work,
        dt: f64,
    ) {
        self.load_rates(y, &mut work.pre);
        let s = self.conn.sizes;
        let (n_e, n) = (s.n_e, s.n());
        let p = &self.params;
        let inv_tau = 1.0 / p.tau_syn;
        let (x, w) = y.split_at(n);
        let (xn, wn) = y_next.split_at_mut(n);
        let (dx, dw) = dy.split_at_mut(n);
        let (rec_e, rec_i) = work.rec.split_at_mut(n_e);
        let (xn_e, xn_i) = xn.split_at_mut(n_e);
        let (dx_e, dx_i) = dx.split_at_mut(n_e);
        let pre = &work.pre;
        type Rows<'a> = &'a mut [[f64; 1]];
        enum Part<'a> {
            E(
                usize,
                Rows<'a>,
                &'a mut [f64],
                &'a mut [f64],
                &'a mut [f64],
                &'a mut [f64],
            ),
            I(usize, Rows<'a>, &'a mut [f64], &'a mut [f64]),
        }
        let e = rec_e
            .par_chunks_mut(CHUNK)
            .zip(xn_e.par_chunks_mut(CHUNK))
            .zip(dx_e.par_chunks_mut(CHUNK))
            .zip(wn.par_chunks_mut(CHUNK).zip(dw.par_chunks_mut(CHUNK)))
            .enumerate()
            .map(|(blk, (((r, a), b), (c, d)))| Part::E(blk * CHUNK, r, a, b, c, d));
        let i = rec_i
            .par_chunks_mut(CHUNK)
            .zip(xn_i.par_chunks_mut(CHUNK))
            .zip(dx_i.par_chunks_mut(CHUNK))
            .enumerate()
            .map(|(blk, ((r, a), b))| Part::I(blk * CHUNK, r, a, b));
        let rates_e = &pre.ie.as_slice()[..n_e];
        e.chain(i).for_each(|part| match part {
            Part::E(start, rec, xn, dx, wn, dw) => {
                self.recurrent_chunk(Kernel::detect(1), pre, true, start, rec);
                for q in 0..rec.len() {
                    let i = start + q;
                    let d = dx_dt(x[i], rec[q][0], p.i0, inv_tau);
                    dx[q] = d;
                    xn[q] = x[i] + dt * d;
                    let (wi, r) = (w[i], rates_e[i][0]);
                    let e = dw_dt(p, wi, r);
                    dw[q] = e;
                    wn[q] = wi + dt * e;
                }
            }
            Part::I(start, rec, xn, dx) => {
                self.recurrent_chunk(Kernel::detect(1), pre, false, start, rec);
                for q in 0..rec.len() {
                    let i = n_e + start + q;
                    let d = dx_dt(x[i], rec[q][0], p.i0, inv_tau);
                    dx[q] = d;
                    xn[q] = x[i] + dt * d;
                }
            }
        });
    }

    /// dy/dt of Eq. 1 at y, given the recurrent inputs `rec` (component 0) and the rates in
    /// `pre` that produced them. The total input of neuron i is mu_i = rec[i][0] + I0.
    pub fn field_from<const W: usize>(
        &self,
        y: &[f64],
        pre: &Presyn<W>,
        rec: &[[f64; W]],
        dy: &mut [f64],
    ) {
        let p = &self.params;
        let (n_e, n) = (self.n_e(), self.n());
        let inv_tau = 1.0 / p.tau_syn;
        let (dx, dw) = dy.split_at_mut(n);
        dx.par_iter_mut()
            .zip(y[..n].par_iter().zip(rec.par_iter()))
            .with_min_len(1024)
            .for_each(|(d, (&x, r))| *d = dx_dt(x, r[0], p.i0, inv_tau));
        let rates = &pre.ie.as_slice()[..n_e];
        dw.par_iter_mut()
            .zip(y[n..].par_iter().zip(rates.par_iter()))
            .with_min_len(1024)
            .for_each(|(d, (&w, r))| *d = dw_dt(p, w, r[0]));
    }
}

/// dx_i/dt of Eq. 1a-b from the recurrent input `rec`: (-x + rec + I0) / tau_syn. The one
/// place the input equation is written (the fused step, the field and the ensemble step use
/// it, so they agree bit for bit).
#[inline(always)]
pub fn dx_dt(x: f64, rec: f64, i0: f64, inv_tau: f64) -> f64 {
    (-x + rec + i0) * inv_tau
}

/// dw_j/dt of Eq. 1c: (1 - w) / tau_D - u w phi(x_j).
#[inline(always)]
pub fn dw_dt(p: &Params, w: f64, rate: f64) -> f64 {
    (1.0 - w) / p.tau_d - p.u * w * rate
}

/// Scratch space for evaluating the vector field.
pub struct Work {
    pub pre: Presyn<1>,
    pub rec: Vec<[f64; 1]>,
}

impl Work {
    pub fn new(net: &RateNetwork) -> Self {
        Work {
            pre: Presyn::new(net),
            rec: vec![[0.0]; net.n()],
        }
    }
}

impl RateNetwork {
    /// dy/dt = F(y) (Eq. 1). After the call `work` holds the rates and recurrent inputs at y.
    pub fn field(&self, y: &[f64], dy: &mut [f64], work: &mut Work) {
        self.load_rates(y, &mut work.pre);
        self.recurrent(&work.pre, &mut work.rec);
        self.field_from(y, &work.pre, &work.rec, dy);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connectivity::{Autapses, Block, Sizes};

    fn net(n: f64, j0: f64) -> RateNetwork {
        let p = Params {
            n,
            j0,
            ..Params::default()
        };
        let conn =
            Connectivity::generate(Sizes::massive(&p).unwrap(), 1, Autapses::Allowed).unwrap();
        RateNetwork::new(conn, p)
    }

    #[test]
    fn sparse_step_equals_dense_product_on_integers() {
        // Integer-valued presynaptic entries (< 2^20) make every partial sum exact, so the
        // sparse gather must equal the dense matrix-vector product bit for bit.
        let n = net(1000.0, 1.0);
        let s = n.conn.sizes;
        let mut pre = Presyn::<1>::new(&n);
        for j in 0..s.n_e {
            pre.ee.as_mut_slice()[j] = [(j % 7) as f64];
            pre.ie.as_mut_slice()[j] = [(j % 5) as f64];
        }
        for j in 0..s.n_i {
            pre.inh.as_mut_slice()[j] = [(j % 3) as f64];
        }
        // Unit weights: the recurrent input is then the difference of two integer sums.
        let unit = RateNetwork {
            j_ee: 1.0,
            j_ei: 1.0,
            j_ie: 1.0,
            j_ii: 1.0,
            ..n
        };
        let mut out = vec![[0.0]; s.n()];
        unit.recurrent(&pre, &mut out);
        // Dense matrices from the index lists.
        let dense = |b: Block| {
            let (rows, cols, k) = b.shape(&s);
            let mut m = vec![vec![0.0; cols]; rows];
            let ix = unit.conn.block(b);
            for i in 0..rows {
                for q in 0..k {
                    m[i][ix.get(i * k + q)] += 1.0;
                }
            }
            m
        };
        let (ee, ei, ie, ii) = (
            dense(Block::EE),
            dense(Block::EI),
            dense(Block::IE),
            dense(Block::II),
        );
        let dot = |row: &[f64], v: &dyn Fn(usize) -> f64| {
            row.iter().enumerate().map(|(j, a)| a * v(j)).sum::<f64>()
        };
        for i in 0..s.n_e {
            let want = dot(&ee[i], &|j| (j % 7) as f64) - dot(&ei[i], &|j| (j % 3) as f64);
            assert_eq!(out[i][0], want, "E neuron {i}");
        }
        for i in 0..s.n_i {
            let want = dot(&ie[i], &|j| (j % 5) as f64) - dot(&ii[i], &|j| (j % 3) as f64);
            assert_eq!(out[s.n_e + i][0], want, "I neuron {i}");
        }
        // The partial currents of Eq. 57 are the two dense products separately.
        let mut part = vec![[0.0; 2]; s.n()];
        unit.partial_currents(&pre, &mut part);
        for i in 0..s.n_e {
            let want = [
                dot(&ee[i], &|j| (j % 7) as f64),
                -dot(&ei[i], &|j| (j % 3) as f64),
            ];
            assert_eq!(part[i], want, "E neuron {i}");
        }
        for i in 0..s.n_i {
            let want = [
                dot(&ie[i], &|j| (j % 5) as f64),
                -dot(&ii[i], &|j| (j % 3) as f64),
            ];
            assert_eq!(part[s.n_e + i], want, "I neuron {i}");
        }
    }
}

#[cfg(test)]
mod kernel_tests {
    use super::*;
    use crate::connectivity::{Autapses, Sizes};

    #[test]
    fn avx2_kernel_gives_the_baseline_bits() {
        // Same additions in the same order, only wider registers: the sums must be identical.
        if Kernel::detect(4) != Kernel::Avx2 {
            eprintln!("no AVX2 on this CPU: nothing to compare");
            return;
        }
        let p = Params {
            n: 3000.0,
            j0: 1.3,
            ..Params::default()
        };
        let conn =
            Connectivity::generate(Sizes::massive(&p).unwrap(), 8, Autapses::Allowed).unwrap();
        let net = RateNetwork::new(conn, p);
        let mut pre = Presyn::<4>::new(&net);
        let mut x = 0.123_f64;
        for v in [&mut pre.ee, &mut pre.ie, &mut pre.inh] {
            for e in v.as_mut_slice().iter_mut().take(3000) {
                *e = std::array::from_fn(|_| {
                    x = (x * 3.9 * (1.0 - x)).clamp(1e-9, 1.0 - 1e-9);
                    x - 0.5
                });
            }
        }
        let mut a = vec![[0.0; 4]; net.n()];
        let mut b = vec![[0.0; 4]; net.n()];
        net.recurrent_with(Kernel::Baseline, &pre, &mut a);
        net.recurrent_with(Kernel::Avx2, &pre, &mut b);
        assert_eq!(a, b);
    }
}

#[cfg(test)]
mod euler_tests {
    use super::*;
    use crate::connectivity::{Autapses, Sizes};

    #[test]
    fn fused_euler_step_equals_field_then_update() {
        // The fused step must do the same floating-point operations as `field` + `y += dt dy`.
        let p = Params {
            n: 1500.0,
            j0: 1.2,
            i0: 0.3,
            ..Params::default()
        };
        let conn =
            Connectivity::generate(Sizes::massive(&p).unwrap(), 2, Autapses::Allowed).unwrap();
        let net = RateNetwork::new(conn, p);
        let y: Vec<f64> = (0..net.dim())
            .map(|i| {
                if i < net.n() {
                    ((i * 37) % 101) as f64 / 40.0 - 1.2
                } else {
                    0.3 + (i % 7) as f64 / 10.0
                }
            })
            .collect();
        let dt = 0.05;
        let mut w1 = Work::new(&net);
        let mut dy1 = vec![0.0; net.dim()];
        net.field(&y, &mut dy1, &mut w1);
        let y1: Vec<f64> = y.iter().zip(&dy1).map(|(a, k)| a + dt * k).collect();
        let mut w2 = Work::new(&net);
        let mut dy2 = vec![0.0; net.dim()];
        let mut y2 = vec![0.0; net.dim()];
        net.euler_step(&y, &mut y2, &mut dy2, &mut w2, dt);
        assert_eq!(dy1, dy2);
        assert_eq!(y1, y2);
        assert_eq!(w1.rec, w2.rec);
        assert_eq!(w1.pre.ee.as_slice(), w2.pre.ee.as_slice());
        assert_eq!(w1.pre.inh.as_slice(), w2.pre.inh.as_slice());
    }
}
