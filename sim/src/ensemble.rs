//! Realizations on one network advanced together: W states per pass over the index stream.
//!
//! Realizations of the same network (different initial states) read the same in-degree lists.
//! Stepping them one after the other streams the indices W times; here the W states' rates sit
//! side by side in one presynaptic vector with W components ([`crate::network::Presyn`], the
//! layout the tangent dynamics use), so one index load serves all of them and, with AVX2, one
//! 256-bit load and add per synapse carries four states (W = 4).
//!
//! Every member's step is the same operations in the same order as a single forward-Euler step
//! ([`RateNetwork::euler_step`]): the rates by [`RateNetwork::load_rates`], each component's
//! row sums in the order of [`crate::gather`], the same field and update. So a member's
//! trajectory has the same bits as its run alone (tested), and so do its statistics: the
//! observers of [`crate::run::Run`] see each member through [`Precomputed`] (see
//! [`advance_together`]).

use rayon::prelude::*;

use crate::error::SimError;
use crate::network::{Presyn, RateNetwork, Work, dw_dt, dx_dt};
use crate::run::{Precomputed, Run};

/// Buffers of an ensemble of up to W members.
pub struct EnsembleStep<const W: usize> {
    pre: Presyn<W>,
    rec: Vec<[f64; W]>,
    /// Per member: the rates and recurrent inputs at its state (what the observers read).
    pub works: Vec<Work>,
    /// Per member: F(y) and y + dt F(y).
    pub dy: Vec<Vec<f64>>,
    pub next: Vec<Vec<f64>>,
}

impl<const W: usize> EnsembleStep<W> {
    pub fn new(net: &RateNetwork) -> Self {
        EnsembleStep {
            pre: Presyn::new(net),
            rec: vec![[0.0; W]; net.n()],
            works: (0..W).map(|_| Work::new(net)).collect(),
            dy: vec![vec![0.0; net.dim()]; W],
            next: vec![vec![0.0; net.dim()]; W],
        }
    }

    /// One forward-Euler step of the members `ys` (at most W): afterwards `works[m]` holds the
    /// rates and recurrent inputs at `ys[m]`, `dy[m] = F(ys[m])` and
    /// `next[m] = ys[m] + dt dy[m]`.
    ///
    /// # Panics
    /// If there are more than W members or a state has the wrong length.
    pub fn euler(&mut self, net: &RateNetwork, ys: &[&[f64]], dt: f64) {
        assert!(ys.len() <= W, "{} members for W = {W}", ys.len());
        let (n_e, n) = (net.n_e(), net.n());
        // the rates of each member (the single-run code), interleaved into W components
        for (y, work) in ys.iter().zip(&mut self.works) {
            assert_eq!(y.len(), net.dim());
            net.load_rates(y, &mut work.pre);
        }
        let m = ys.len();
        let interleave = |dst: &mut [[f64; W]], src: Vec<&[[f64; 1]]>| {
            dst.par_iter_mut()
                .enumerate()
                .with_min_len(1024)
                .for_each(|(j, d)| {
                    for (c, s) in src.iter().enumerate() {
                        d[c] = s[j][0];
                    }
                });
        };
        let works = &self.works[..m];
        interleave(
            &mut self.pre.ee.as_mut_slice()[..n_e],
            works.iter().map(|w| &w.pre.ee.as_slice()[..n_e]).collect(),
        );
        interleave(
            &mut self.pre.ie.as_mut_slice()[..n_e],
            works.iter().map(|w| &w.pre.ie.as_slice()[..n_e]).collect(),
        );
        interleave(
            &mut self.pre.inh.as_mut_slice()[..n - n_e],
            works
                .iter()
                .map(|w| &w.pre.inh.as_slice()[..n - n_e])
                .collect(),
        );
        net.recurrent(&self.pre, &mut self.rec);
        let p = &net.params;
        let inv_tau = 1.0 / p.tau_syn;
        let rec = &self.rec;
        self.works[..m]
            .par_iter_mut()
            .zip(
                self.dy[..m]
                    .par_iter_mut()
                    .zip(self.next[..m].par_iter_mut()),
            )
            .zip(ys.par_iter())
            .enumerate()
            .for_each(|(c, ((work, (dy, next)), y))| {
                for (r, full) in work.rec.iter_mut().zip(rec) {
                    r[0] = full[c];
                }
                let rates_e = work.pre.ie.as_slice();
                for i in 0..n {
                    let d = dx_dt(y[i], work.rec[i][0], p.i0, inv_tau);
                    dy[i] = d;
                    next[i] = y[i] + dt * d;
                }
                for i in 0..n_e {
                    let (wi, r) = (y[n + i], rates_e[i][0]);
                    let e = dw_dt(p, wi, r);
                    dy[n + i] = e;
                    next[n + i] = wi + dt * e;
                }
            });
    }
}

/// Members advanced together per pass (AVX2 carries four f64 per load).
pub const MEMBERS: usize = 4;

/// Advance the runs `runs` (forward Euler, one network, the same spec, no correlation
/// observer) to step `until` together, [`MEMBERS`] states per pass over the indices. Each run
/// ends with the same bits as `Run::advance` alone.
pub fn advance_together(
    net: &RateNetwork,
    runs: &mut [Run],
    until: u64,
    mut progress: impl FnMut(u64),
) -> Result<(), SimError> {
    for r in runs.iter() {
        if r.spec.method != crate::integrate::Method::Euler
            || r.spec.observe.correlations.is_some()
            || r.spec != runs[0].spec
            || r.step != runs[0].step
        {
            return Err(SimError::Format(
                "runs advanced together need forward Euler, one spec, the same step and no correlation observer".into(),
            ));
        }
    }
    let dt = runs.first().map_or(0.0, |r| r.spec.dt);
    let mut ens = EnsembleStep::<MEMBERS>::new(net);
    let mut last = 0;
    while runs
        .first()
        .is_some_and(|r| r.step < until.min(r.total_steps()))
    {
        for group in runs.chunks_mut(MEMBERS) {
            let ys: Vec<&[f64]> = group.iter().map(|r| r.y.as_slice()).collect();
            ens.euler(net, &ys, dt);
            for (c, r) in group.iter_mut().enumerate() {
                let mut replay = Precomputed {
                    work: &ens.works[c],
                    dy: &ens.dy[c],
                    next: &ens.next[c],
                };
                r.advance(net, &mut replay, r.step + 1, |_| {})?;
            }
        }
        let step = runs[0].step;
        if step >= last + (runs[0].total_steps() / 100).max(1) || step == until {
            progress(step);
            last = step;
        }
    }
    Ok(())
}
