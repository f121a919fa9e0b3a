//! The LIF network's connectivity, transposed for spike delivery, and its kick sizes.

use theory::{Params, Transfer};

use crate::connectivity::{Block, Connectivity};
use crate::error::SimError;
use crate::network::RateNetwork;

/// The spiking network of Eqs. 62-64 on a fixed in-degree [`Connectivity`].
///
/// Spike delivery touches only the out-going lists of the neurons that fired, so the
/// connectivity is stored transposed: for presynaptic neuron j, `targets[ptr[j]..mid[j]]` are
/// its excitatory postsynaptic neurons and `targets[mid[j]..ptr[j + 1]]` its inhibitory ones
/// (global indices, E first), each list sorted. Weights are constant per block, so only
/// indices are stored.
#[derive(Clone, Debug)]
pub struct LifNetwork {
    /// The rate network on the same graph and parameters (for the theory comparison and the
    /// fingerprint).
    pub rate: RateNetwork,
    pub(crate) ptr: Vec<u32>,
    pub(crate) mid: Vec<u32>,
    pub(crate) targets: Vec<u32>,
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
        let n = s.n();
        if n > u32::MAX as usize || s.synapses() > u32::MAX as usize {
            return Err(SimError::Invalid {
                name: "n",
                value: n as f64,
                range: "N (K_E + K_I) < 2^32 synapses for the spiking network",
            });
        }
        // Out-degrees: count, prefix sums, fill in postsynaptic order (so lists are sorted).
        let mut count_e = vec![0u32; n];
        let mut count_i = vec![0u32; n];
        for b in Block::ALL {
            let (rows, _, k) = b.shape(&s);
            let ix = conn.block(b);
            let pre_off = if matches!(b, Block::EE | Block::IE) {
                0
            } else {
                s.n_e
            };
            let counts = if matches!(b, Block::EE | Block::EI) {
                &mut count_e
            } else {
                &mut count_i
            };
            for e in 0..rows * k {
                counts[pre_off + ix.get(e)] += 1;
            }
        }
        let mut ptr = vec![0u32; n + 1];
        let mut mid = vec![0u32; n];
        for j in 0..n {
            mid[j] = ptr[j] + count_e[j];
            ptr[j + 1] = mid[j] + count_i[j];
        }
        let mut fill_e: Vec<u32> = ptr[..n].to_vec();
        let mut fill_i: Vec<u32> = mid.clone();
        let mut targets = vec![0u32; s.synapses()];
        for b in Block::ALL {
            let (rows, _, k) = b.shape(&s);
            let ix = conn.block(b);
            let pre_off = if matches!(b, Block::EE | Block::IE) {
                0
            } else {
                s.n_e
            };
            let (post_off, fill) = if matches!(b, Block::EE | Block::EI) {
                (0, &mut fill_e)
            } else {
                (s.n_e, &mut fill_i)
            };
            for i in 0..rows {
                for e in i * k..(i + 1) * k {
                    let j = pre_off + ix.get(e);
                    targets[fill[j] as usize] = (post_off + i) as u32;
                    fill[j] += 1;
                }
            }
        }
        let rate = RateNetwork::new(conn, params);
        let tau_s = params.tau_syn;
        Ok(LifNetwork {
            kick_ee: rate.j_ee / tau_s,
            kick_ei: -rate.j_ei / tau_s,
            kick_ie: rate.j_ie / tau_s,
            kick_ii: -rate.j_ii / tau_s,
            rate,
            ptr,
            mid,
            targets,
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

    /// The excitatory and the inhibitory postsynaptic targets of neuron j.
    pub fn out_lists(&self, j: usize) -> (&[u32], &[u32]) {
        let (a, m, b) = (
            self.ptr[j] as usize,
            self.mid[j] as usize,
            self.ptr[j + 1] as usize,
        );
        (&self.targets[a..m], &self.targets[m..b])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connectivity::{Autapses, Sizes};

    #[test]
    fn transposed_lists_are_the_in_degree_lists_turned_around() {
        let p = Params {
            n: 600.0,
            ..Params::lif_paper()
        };
        let conn =
            Connectivity::generate(Sizes::massive(&p).unwrap(), 3, Autapses::Allowed).unwrap();
        let net = LifNetwork::new(conn.clone(), p).unwrap();
        let s = conn.sizes;
        // Every (post i, pre j) of every block appears exactly once in j's out-list.
        let mut from_in = Vec::new();
        for b in Block::ALL {
            let (rows, _, k) = b.shape(&s);
            let pre_off = if matches!(b, Block::EE | Block::IE) {
                0
            } else {
                s.n_e
            };
            let post_off = if matches!(b, Block::EE | Block::EI) {
                0
            } else {
                s.n_e
            };
            for i in 0..rows {
                for e in i * k..(i + 1) * k {
                    from_in.push((pre_off + conn.block(b).get(e), post_off + i));
                }
            }
        }
        let mut from_out = Vec::new();
        for j in 0..s.n() {
            let (e, i) = net.out_lists(j);
            assert!(e.iter().all(|&t| (t as usize) < s.n_e));
            assert!(i.iter().all(|&t| (t as usize) >= s.n_e));
            assert!(e.windows(2).all(|w| w[0] < w[1]) && i.windows(2).all(|w| w[0] < w[1]));
            for &t in e.iter().chain(i) {
                from_out.push((j, t as usize));
            }
        }
        from_in.sort_unstable();
        from_out.sort_unstable();
        assert_eq!(from_in, from_out);
    }

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
