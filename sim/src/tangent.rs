//! Tangent dynamics (Eq. 38, derived from Eq. 1) and Lyapunov exponents (Eq. 39).
//!
//! Linearising Eq. 1 around a trajectory y(t) = (x^E, x^I, w):
//!
//! * tau_syn d(dx_i^E)/dt = -dx_i^E + J_EE sum_{j in E(i)} (phi'_j w_j dx_j^E + phi_j dw_j)
//!   - J_EI sum_{j in I(i)} phi'(x_j^I) dx_j^I,
//! * tau_syn d(dx_i^I)/dt = -dx_i^I + J_IE sum_{j in E(i)} phi'_j dx_j^E
//!   - J_II sum_{j in I(i)} phi'(x_j^I) dx_j^I,
//! * d(dw_i)/dt = -dw_i / tau_D - u (phi_i dw_i + phi'_i w_i dx_i^E),
//!
//! (Eq. 38 with tau_syn = 1 and inhibition entering with a minus sign once). The state and
//! the k tangent vectors are advanced together by Euler's method, so the tangent map is the
//! exact derivative of the Euler map and the exponents are those of that map: at a stable
//! fixed point with Jacobian eigenvalue lambda the largest exponent is ln|1 + dt lambda| / dt
//! (-> Re lambda as dt -> 0).
//!
//! The k tangent vectors ride along in the same gather as the state ([`crate::gather`], W =
//! 1 + k components per presynaptic entry), so the index stream is read once per step for all
//! of them. Every `t_ort` time units the vectors are re-orthonormalised by modified
//! Gram-Schmidt (Benettin's method) and the logarithms of the norms accumulated.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::SimError;
use crate::network::{Kernel, Presyn, RateNetwork};
use crate::run::X_BOUND;

/// Largest number of exponents computed at once.
pub const K_MAX: usize = 8;

/// How to compute the exponents.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct LyapunovSpec {
    pub k: usize,
    pub dt: f64,
    /// Measured time after the transient.
    pub t: f64,
    pub transient: f64,
    /// Time between re-orthonormalisations, in time units (the paper uses 100).
    pub t_ort: f64,
    /// |Lambda| below this counts as zero when classifying the regime.
    pub zero_tol: f64,
}

impl LyapunovSpec {
    pub fn validate(&self, dim: usize) -> Result<(), SimError> {
        if !(1..=K_MAX.min(dim)).contains(&self.k) {
            return Err(SimError::Invalid {
                name: "k",
                value: self.k as f64,
                range: "1 <= k <= 8 (and <= the state dimension)",
            });
        }
        let pos = |name, v: f64| {
            if v > 0.0 && v.is_finite() {
                Ok(())
            } else {
                Err(SimError::Invalid {
                    name,
                    value: v,
                    range: "0 < value < inf",
                })
            }
        };
        pos("dt", self.dt)?;
        pos("t", self.t)?;
        pos("t_ort", self.t_ort)?;
        pos("zero_tol", self.zero_tol)?;
        if !(self.transient >= 0.0 && self.transient.is_finite()) {
            return Err(SimError::Invalid {
                name: "transient",
                value: self.transient,
                range: "0 <= transient < inf",
            });
        }
        let a = crate::budget::steps("transient", self.transient, self.dt)?;
        let b = crate::budget::steps("t", self.t, self.dt)?;
        crate::budget::total_steps("transient + t", a, b.max(1))?;
        crate::budget::steps("t_ort", self.t_ort, self.dt)?;
        Ok(())
    }
}

/// The dynamical regime read off the exponents (the paper's classification).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LyapunovRegime {
    /// Lambda_1 < -tol.
    FixedPoint,
    /// Lambda_1 ~ 0, Lambda_2 < -tol (or k = 1 and Lambda_1 ~ 0: periodic or quasi-periodic).
    Periodic,
    /// Lambda_1 ~ Lambda_2 ~ 0.
    QuasiPeriodic,
    /// Lambda_1 > tol.
    Chaos,
}

#[derive(Clone, Debug, Serialize)]
pub struct LyapunovResult {
    pub exponents: Vec<f64>,
    pub regime: LyapunovRegime,
    /// Final state (to continue from).
    #[serde(skip)]
    pub y: Vec<f64>,
}

/// Classify from the sorted exponents with tolerance `tol`.
pub fn classify(ex: &[f64], tol: f64) -> LyapunovRegime {
    match (ex[0], ex.get(1)) {
        (l1, _) if l1 > tol => LyapunovRegime::Chaos,
        (l1, _) if l1 < -tol => LyapunovRegime::FixedPoint,
        (_, Some(&l2)) if l2.abs() <= tol => LyapunovRegime::QuasiPeriodic,
        _ => LyapunovRegime::Periodic,
    }
}

/// Buffers of the fused state + tangent step with W = 1 + k components.
struct Fused<const W: usize> {
    pre: Presyn<W>,
    rec: Vec<[f64; W]>,
    /// Tangent vectors, neuron-major: q[d][m] is component d of vector m (d < N + N_E).
    q: Vec<[f64; W]>,
}

/// One Euler step of the state y and the tangent vectors q (component 0 of q is unused).
fn fused_step<const W: usize>(net: &RateNetwork, y: &mut [f64], f: &mut Fused<W>, dt: f64) {
    let p = &net.params;
    let t = p.transfer;
    let (n_e, n) = (net.n_e(), net.n());
    {
        let (xe, rest) = y.split_at(n_e);
        let (xi, w) = rest.split_at(n - n_e);
        let (qe, rest) = f.q.split_at(n_e);
        let (qi, qw) = rest.split_at(n - n_e);
        let ee = &mut f.pre.ee.as_mut_slice()[..n_e];
        let ie = &mut f.pre.ie.as_mut_slice()[..n_e];
        // phi and phi' for a chunk at once (vectorised, Transfer::phi_dphi_slice), then the
        // W-wide entries: rates and their variations along each tangent vector.
        const RATE_CHUNK: usize = 512;
        ee.par_chunks_mut(RATE_CHUNK)
            .zip(ie.par_chunks_mut(RATE_CHUNK))
            .enumerate()
            .for_each(|(c, (a, b))| {
                let start = c * RATE_CHUNK;
                let len = a.len();
                let (mut ph, mut dph) = ([0.0; RATE_CHUNK], [0.0; RATE_CHUNK]);
                let (ph, dph) = (&mut ph[..len], &mut dph[..len]);
                t.phi_dphi_slice(&xe[start..start + len], ph, dph);
                for (l, (a, b)) in a.iter_mut().zip(b.iter_mut()).enumerate() {
                    let j = start + l;
                    a[0] = ph[l] * w[j];
                    b[0] = ph[l];
                    for m in 1..W {
                        a[m] = dph[l] * w[j] * qe[j][m] + ph[l] * qw[j][m];
                        b[m] = dph[l] * qe[j][m];
                    }
                }
            });
        f.pre.inh.as_mut_slice()[..n - n_e]
            .par_chunks_mut(RATE_CHUNK)
            .enumerate()
            .for_each(|(c, a)| {
                let start = c * RATE_CHUNK;
                let len = a.len();
                let (mut ph, mut dph) = ([0.0; RATE_CHUNK], [0.0; RATE_CHUNK]);
                let (ph, dph) = (&mut ph[..len], &mut dph[..len]);
                t.phi_dphi_slice(&xi[start..start + len], ph, dph);
                for (l, a) in a.iter_mut().enumerate() {
                    a[0] = ph[l];
                    for m in 1..W {
                        a[m] = dph[l] * qi[start + l][m];
                    }
                }
            });
    }
    // Then, per chunk of rows, the recurrent sums and at once the Euler updates of x, w and
    // their tangent components (one parallel pass; each row's update reads only its own sums
    // and the start-of-step rates in `pre`).
    let kernel = Kernel::detect(W);
    let inv_tau = 1.0 / p.tau_syn;
    let (ys, yw) = y.split_at_mut(n);
    let (qs, qw) = f.q.split_at_mut(n);
    let (ys_e, ys_i) = ys.split_at_mut(n_e);
    let (qs_e, qs_i) = qs.split_at_mut(n_e);
    let (rec_e, rec_i) = f.rec.split_at_mut(n_e);
    let pre = &f.pre;
    enum Part<'a, const W: usize> {
        E(
            usize,
            &'a mut [[f64; W]],
            &'a mut [f64],
            &'a mut [[f64; W]],
            &'a mut [f64],
            &'a mut [[f64; W]],
        ),
        I(usize, &'a mut [[f64; W]], &'a mut [f64], &'a mut [[f64; W]]),
    }
    let e = rec_e
        .par_chunks_mut(CHUNK)
        .zip(ys_e.par_chunks_mut(CHUNK).zip(qs_e.par_chunks_mut(CHUNK)))
        .zip(yw.par_chunks_mut(CHUNK).zip(qw.par_chunks_mut(CHUNK)))
        .enumerate()
        .map(|(blk, ((r, (x, q)), (w, qw)))| Part::E(blk * CHUNK, r, x, q, w, qw));
    let i = rec_i
        .par_chunks_mut(CHUNK)
        .zip(ys_i.par_chunks_mut(CHUNK).zip(qs_i.par_chunks_mut(CHUNK)))
        .enumerate()
        .map(|(blk, (r, (x, q)))| Part::I(blk * CHUNK, r, x, q));
    let advance_x = |rec: &[[f64; W]], xs: &mut [f64], qs: &mut [[f64; W]]| {
        for ((x, q), r) in xs.iter_mut().zip(qs.iter_mut()).zip(rec) {
            *x += dt * (-*x + r[0] + p.i0) * inv_tau;
            for m in 1..W {
                q[m] += dt * (-q[m] + r[m]) * inv_tau;
            }
        }
    };
    // The w-equations need phi_E and phi'_E dx^E at the start of the step: both are in pre.ie
    // (components 0 and 1..), computed before any x was advanced.
    let ie = &pre.ie.as_slice()[..n_e];
    e.chain(i).for_each(|part| match part {
        Part::E(start, rec, xs, qs, ws, qws) => {
            net.recurrent_chunk(kernel, pre, true, start, rec);
            advance_x(rec, xs, qs);
            for ((w, q), b) in ws.iter_mut().zip(qws.iter_mut()).zip(&ie[start..]) {
                let ph = b[0];
                let w_old = *w;
                *w += dt * ((1.0 - w_old) / p.tau_d - p.u * w_old * ph);
                for m in 1..W {
                    // b[m] = phi'_E dx^E_old
                    q[m] += dt * (-q[m] / p.tau_d - p.u * (ph * q[m] + w_old * b[m]));
                }
            }
        }
        Part::I(start, rec, xs, qs) => {
            net.recurrent_chunk(kernel, pre, false, start, rec);
            advance_x(rec, xs, qs);
        }
    });
}

/// Rows per parallel work item of the fused step (as in `network`).
const CHUNK: usize = 128;

/// Modified Gram-Schmidt on the k vectors (components 1..=k; components beyond k are padding
/// and stay zero); returns the norms.
fn orthonormalise<const W: usize>(q: &mut [[f64; W]], k: usize) -> [f64; W] {
    let mut norms = [0.0; W];
    for m in 1..=k {
        for l in 1..m {
            let dot: f64 = q.iter().map(|v| v[m] * v[l]).sum();
            q.iter_mut().for_each(|v| v[m] -= dot * v[l]);
        }
        let nrm = q.iter().map(|v| v[m] * v[m]).sum::<f64>().sqrt();
        q.iter_mut().for_each(|v| v[m] /= nrm);
        norms[m] = nrm;
    }
    norms
}

fn run<const W: usize>(
    net: &RateNetwork,
    mut y: Vec<f64>,
    spec: &LyapunovSpec,
    seed: u64,
    control: &mut dyn crate::checkpoint::Control,
) -> Result<LyapunovResult, SimError> {
    let dim = net.dim();
    let k = spec.k;
    debug_assert!(k < W);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(crate::streams::TANGENT);
    let mut q = vec![[0.0; W]; dim];
    for m in 1..=k {
        for v in q.iter_mut() {
            v[m] = StandardNormal.sample(&mut rng);
        }
    }
    orthonormalise(&mut q, k);
    let mut f = Fused {
        pre: Presyn::<W>::new(net),
        rec: vec![[0.0; W]; net.n()],
        q,
    };
    let dt = spec.dt;
    let n_tr = (spec.transient / dt).round() as u64;
    let n_meas = ((spec.t / dt).round() as u64).max(1);
    let every = ((spec.t_ort / dt).round() as u64).max(1);
    let mut sums = [0.0; W];
    let total = n_tr + n_meas;
    // A step gathers W components per synapse.
    let seconds = crate::budget::rate_run_seconds(
        net.conn.sizes.synapses() as f64 * W as f64,
        total as f64,
        rayon::current_num_threads(),
    );
    if let Some(w) = crate::budget::long_run_warning(seconds) {
        control.warn(&w);
    }
    let tick = (total / 100).max(1);
    let mut last_report = std::time::Instant::now();
    for s in 1..=total {
        fused_step(net, &mut y, &mut f, dt);
        if s % every == 0 || s == n_tr || s == total {
            if let Some((i, v)) = y
                .iter()
                .enumerate()
                .find(|(_, v)| v.is_nan() || v.abs() > X_BOUND)
            {
                return Err(SimError::Diverged {
                    t: s as f64 * dt,
                    step: s,
                    what: format!("state entry {i} = {v:e}"),
                });
            }
            let norms = orthonormalise(&mut f.q, k);
            if s > n_tr {
                for m in 1..=k {
                    sums[m] += norms[m].ln();
                }
            }
        }
        if s % tick == 0 || (s % 64 == 0 && last_report.elapsed() >= REPORT_EVERY) {
            last_report = std::time::Instant::now();
            if control.progress(s as f64 / total as f64).is_break() {
                return Err(SimError::Interrupted { step: s });
            }
        }
    }
    let mut exponents: Vec<f64> = (1..=k).map(|m| sums[m] / (n_meas as f64 * dt)).collect();
    exponents.sort_by(|a, b| b.total_cmp(a));
    let regime = classify(&exponents, spec.zero_tol);
    Ok(LyapunovResult {
        exponents,
        regime,
        y,
    })
}

/// How often a long run reports to its [`crate::checkpoint::Control`] at least.
const REPORT_EVERY: std::time::Duration = std::time::Duration::from_millis(200);

/// The k largest Lyapunov exponents from the state y0 (random orthonormal initial tangent
/// vectors from `seed`, ChaCha8 stream [`crate::streams::TANGENT`]). `control` hears the
/// fraction done every 1 % and at least five times a second, and may stop the run
/// ([`SimError::Interrupted`]).
pub fn lyapunov(
    net: &RateNetwork,
    y0: Vec<f64>,
    spec: &LyapunovSpec,
    seed: u64,
    control: &mut dyn crate::checkpoint::Control,
) -> Result<LyapunovResult, SimError> {
    spec.validate(net.dim())?;
    if y0.len() != net.dim() {
        return Err(SimError::Format(format!(
            "initial state has {} entries, the network needs {}",
            y0.len(),
            net.dim()
        )));
    }
    // W = 1 + k components, padded to 4 or 8 so one presynaptic entry is one or two 256-bit
    // vectors for the AVX2 gather (padding components stay zero and are never normalised).
    match spec.k {
        1 => run::<2>(net, y0, spec, seed, control),
        2 | 3 => run::<4>(net, y0, spec, seed, control),
        4..=7 => run::<8>(net, y0, spec, seed, control),
        _ => run::<9>(net, y0, spec, seed, control),
    }
}

/// J v: the Jacobian of Eq. 1 at y applied to v (one tangent evaluation; for tests and for
/// assembling dense Jacobians column by column).
pub fn jacobian_times(net: &RateNetwork, y: &[f64], v: &[f64]) -> Vec<f64> {
    let dim = net.dim();
    let n = net.n();
    let mut f = Fused::<2> {
        pre: Presyn::new(net),
        rec: vec![[0.0; 2]; n],
        q: v.iter().map(|&a| [0.0, a]).collect(),
    };
    // One Euler step with dt = 1 of a copy gives q_new = q + J q.
    let mut y1 = y.to_vec();
    fused_step(net, &mut y1, &mut f, 1.0);
    (0..dim).map(|d| f.q[d][1] - v[d]).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connectivity::{Autapses, Connectivity, Sizes};
    use crate::network::Work;
    use theory::Params;

    #[test]
    fn tangent_matches_central_differences_of_the_field() {
        // J v against (F(y + h v) - F(y - h v)) / 2h with h = 1e-5: error h^2 |F'''| ~ 1e-10
        // plus rounding eps |F| / h ~ 1e-11, for entries of order 1; bound 1e-8.
        let p = Params {
            n: 500.0,
            j0: 1.2,
            i0: 0.3,
            ..Params::default()
        };
        let net = RateNetwork::new(
            Connectivity::generate(Sizes::massive(&p).unwrap(), 1, Autapses::Allowed).unwrap(),
            p,
        );
        let mut y = crate::run::initial_state(&net, 2);
        for (d, v) in y.iter_mut().enumerate().skip(net.n()) {
            *v = 0.3 + 0.5 * ((d * 37) % 11) as f64 / 11.0;
        }
        let v: Vec<f64> = (0..net.dim())
            .map(|d| (((d * 7919) % 101) as f64 / 50.0) - 1.0)
            .collect();
        let jv = jacobian_times(&net, &y, &v);
        let h = 1e-5;
        let mut work = Work::new(&net);
        let field = |s: f64, work: &mut Work| {
            let z: Vec<f64> = y.iter().zip(&v).map(|(a, b)| a + s * b).collect();
            let mut dz = vec![0.0; net.dim()];
            net.field(&z, &mut dz, work);
            dz
        };
        let (fp, fm) = (field(h, &mut work), field(-h, &mut work));
        for d in 0..net.dim() {
            let fd = (fp[d] - fm[d]) / (2.0 * h);
            assert!(
                (fd - jv[d]).abs() < 1e-8 * (1.0 + fd.abs()),
                "entry {d}: {fd} vs {}",
                jv[d]
            );
        }
    }

    #[test]
    fn classification() {
        assert_eq!(classify(&[0.1, 0.0], 1e-3), LyapunovRegime::Chaos);
        assert_eq!(classify(&[-0.1, -0.2], 1e-3), LyapunovRegime::FixedPoint);
        assert_eq!(classify(&[1e-4, -0.2], 1e-3), LyapunovRegime::Periodic);
        assert_eq!(
            classify(&[1e-4, -1e-4], 1e-3),
            LyapunovRegime::QuasiPeriodic
        );
    }
}
