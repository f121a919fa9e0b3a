//! The LIF network of Eqs. 62-64 as a configuration of the spiking engine: its connectivity,
//! its kick sizes, and the engine network a run of it builds.

use theory::{Params, Transfer};

use crate::connectivity::{Block, Connectivity};
use crate::error::SimError;
use crate::graphs::Rows;
use crate::network::RateNetwork;
use crate::spiking::depression::{Depression, DepressionScheme};
use crate::spiking::neuron::{Lif, LifScheme, Model, Synapse};
use crate::spiking::{Delay, Graph, Init, Population, Pre, Projection, Spec};

/// The spiking network of Eqs. 62-64 on a fixed in-degree [`Connectivity`] (the rate
/// network's graph and parameters), with the kick sizes of its four blocks.
#[derive(Clone, Debug)]
pub struct LifNetwork {
    /// The rate network on the same graph and parameters (for the theory comparison and the
    /// fingerprint).
    pub rate: RateNetwork,
    /// Jumps of s = tau_m J0 E (Eq. 62) per presynaptic spike, by block: J / tau_syn with the
    /// |J| of Eq. 3 (J0 included) and the sign of inhibition applied once (see docs/ERRATA.md):
    /// E<-E (times w_j), E<-I (negative), I<-E, I<-I (negative).
    pub kick_ee: f64,
    pub kick_ei: f64,
    pub kick_ie: f64,
    pub kick_ii: f64,
}

impl LifNetwork {
    /// Build the spiking network. The transfer function of `params` must be the LIF one
    /// (Eq. 13) with tau_m = 1: time is measured in units of tau_m.
    pub fn new(conn: Connectivity, params: Params) -> Result<Self, SimError> {
        params.validate()?;
        match params.transfer {
            Transfer::Lif { tau_m: 1.0 } => {}
            Transfer::Lif { tau_m } => {
                return Err(SimError::Invalid {
                    name: "tau_m",
                    value: tau_m,
                    range: "1 (the spiking network measures time in units of tau_m)",
                });
            }
            _ => {
                return Err(SimError::Unsupported(
                    "the spiking network needs the LIF transfer function (transfer = lif, Eq. 13)"
                        .into(),
                ));
            }
        }
        conn.validate()?;
        let s = conn.sizes;
        if s.n() > u32::MAX as usize || s.synapses() > u32::MAX as usize {
            return Err(SimError::Invalid {
                name: "n",
                value: s.n() as f64,
                range: "N (K_E + K_I) < 2^32 synapses for the spiking network",
            });
        }
        let rate = RateNetwork::new(conn, params);
        let tau_s = params.tau_syn;
        Ok(LifNetwork {
            kick_ee: rate.j_ee / tau_s,
            kick_ei: -rate.j_ei / tau_s,
            kick_ie: rate.j_ie / tau_s,
            kick_ii: -rate.j_ii / tau_s,
            rate,
        })
    }

    pub fn params(&self) -> &Params {
        &self.rate.params
    }
    pub fn n_e(&self) -> usize {
        self.rate.n_e()
    }
    pub fn n(&self) -> usize {
        self.rate.n()
    }

    /// The excitatory and the inhibitory postsynaptic targets of neuron j (global indices, E
    /// first, ascending). A scan of the whole graph: for tests and inspection.
    pub fn out_lists(&self, j: usize) -> (Vec<u32>, Vec<u32>) {
        let s = self.rate.conn.sizes;
        let (mut to_e, mut to_i) = (Vec::new(), Vec::new());
        for b in Block::ALL {
            let (rows, _, k) = b.shape(&s);
            let pre_e = matches!(b, Block::EE | Block::IE);
            let post_e = matches!(b, Block::EE | Block::EI);
            if pre_e != (j < s.n_e) {
                continue;
            }
            let local = if pre_e { j } else { j - s.n_e };
            let ix = self.rate.conn.block(b);
            for i in 0..rows {
                if (i * k..(i + 1) * k).any(|e| ix.get(e) == local) {
                    if post_e {
                        to_e.push(i as u32);
                    } else {
                        to_i.push((s.n_e + i) as u32);
                    }
                }
            }
        }
        (to_e, to_i)
    }

    /// The engine's network spec: populations E and I of [`Lif`] neurons (tau = 1, threshold
    /// 1, reset 0, mu = I0) with one current channel s (tau_syn), E with depression (u,
    /// tau_D); the four blocks as projections with delay 0 (a spike reaches its targets at the
    /// end of its step, as in paper 001's code), E->E depressed.
    pub fn engine_spec(&self, dt: f64, scheme: LifScheme, tau_ref: f64) -> Spec {
        let p = self.params();
        let s = self.rate.conn.sizes;
        let lif = Lif {
            tau: 1.0,
            v_th: super::THETA,
            v_re: super::V_RESET,
            mu: p.i0,
            sigma: 0.0,
            tau_ref,
            scheme,
        };
        let depression = Depression {
            u: p.u,
            tau_d: p.tau_d,
            scheme: if scheme == LifScheme::Euler {
                DepressionScheme::Euler
            } else {
                DepressionScheme::Exact
            },
        };
        let pop = |name: &str, n, depression| Population {
            name: name.into(),
            n,
            model: Model::Lif(lif),
            channels: vec![Synapse::Current { tau: p.tau_syn }],
            init: Init::Value { v: 0.0 },
            depression,
        };
        let rows = |b: Block| {
            let (n_rows, _, k) = b.shape(&s);
            let ix = self.rate.conn.block(b);
            let mut list: Vec<Vec<u32>> = (0..n_rows)
                .map(|i| (i * k..(i + 1) * k).map(|e| ix.get(e) as u32).collect())
                .collect();
            list.iter_mut().for_each(|r| r.sort_unstable());
            Graph::Rows(Rows::from_rows(list))
        };
        let proj = |b: Block, pre: usize, post: usize, weight: f64, depressed: bool| Projection {
            pre: Pre::Population(pre),
            post,
            channel: 0,
            weight,
            graph: rows(b),
            delay: Delay::Fixed { d: 0.0 },
            depressed,
        };
        Spec {
            dt,
            populations: vec![pop("E", s.n_e, Some(depression)), pop("I", s.n_i, None)],
            sources: Vec::new(),
            projections: vec![
                proj(Block::EE, 0, 0, self.kick_ee, true),
                proj(Block::EI, 1, 0, self.kick_ei, false),
                proj(Block::IE, 0, 1, self.kick_ie, false),
                proj(Block::II, 1, 1, self.kick_ii, false),
            ],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connectivity::{Autapses, Sizes};

    #[test]
    fn needs_the_lif_transfer_function_in_units_of_tau_m() {
        let p = Params {
            n: 200.0,
            ..Params::default()
        };
        let conn =
            Connectivity::generate(Sizes::massive(&p).unwrap(), 1, Autapses::Allowed).unwrap();
        let e = LifNetwork::new(conn.clone(), p).unwrap_err().to_string();
        assert!(e.contains("transfer"), "{e}");
        let q = Params {
            transfer: Transfer::Lif { tau_m: 2.0 },
            ..p
        };
        let e = LifNetwork::new(conn, q).unwrap_err().to_string();
        assert!(e.contains("tau_m"), "{e}");
    }
}
