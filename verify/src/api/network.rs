//! Networks for the simulations: generated from the parameters and a seed (Table 1's fixed
//! in-degree ensemble, the sparse variant of S3 Appendix, with or without autapses), or read
//! from a directory written by `balnet export-network`.

use std::path::Path;

use sim::connectivity::Autapses;
use sim::network::RateNetwork;
use theory::{Params, Transfer};

use crate::protocol::{Ensemble, network_in};
use crate::{Error, Result};

/// How a network is drawn.
#[derive(Clone, Debug, PartialEq)]
pub struct NetworkSpec {
    pub params: Params,
    /// Seed of the connectivity (and, by default, of the initial state).
    pub seed: u64,
    /// The sparse variant: (K_E, K_I) fixed instead of (c_E N, c_I N).
    pub in_degrees: Option<(usize, usize)>,
    /// Self-connections in the E-E and I-I blocks (allowed in the paper).
    pub autapses: bool,
}

impl NetworkSpec {
    /// Table 1's ensemble at `params`, seed `seed`.
    pub fn new(params: Params, seed: u64) -> Self {
        NetworkSpec {
            params,
            seed,
            in_degrees: None,
            autapses: true,
        }
    }

    /// The ensemble this spec draws from.
    pub fn ensemble(&self) -> Ensemble {
        Ensemble {
            autapses: if self.autapses {
                Autapses::Allowed
            } else {
                Autapses::Excluded
            },
            in_degrees: self.in_degrees,
        }
    }
}

/// An in-degree given as a number: a whole number >= 1 (`name` is the flag or keyword).
pub fn in_degree(v: f64, name: &str) -> Result<usize> {
    if v >= 1.0 && v.fract() == 0.0 && v < 4e9 {
        Ok(v as usize)
    } else {
        Err(Error::Input(format!(
            "invalid {name} = {v}: valid range is a whole number >= 1"
        )))
    }
}

/// A seed given as a number: a whole number 0 <= seed < 2^64.
pub fn seed(v: f64) -> Result<u64> {
    if v >= 0.0 && v.fract() == 0.0 && v < 2f64.powi(64) {
        Ok(v as u64)
    } else {
        Err(Error::Input(format!(
            "invalid seed = {v}: valid range is a whole number 0 <= seed < 2^64"
        )))
    }
}

/// Generate the network of `spec` (bit-identical to `balnet export-network` with the same
/// parameters and seed).
pub fn generate(spec: &NetworkSpec) -> Result<RateNetwork> {
    spec.params.validate_finite()?;
    network_in(&spec.params, spec.seed, None, &spec.ensemble())
}

/// `rate` (the erf transfer function of Eq. 4) or `lif` (Eq. 13): which model a network's
/// parameters are for.
pub fn model_name(p: &Params) -> &'static str {
    match p.transfer {
        Transfer::Erf => "rate",
        _ => "lif",
    }
}

/// A network read from a directory.
#[derive(Debug)]
pub struct Loaded {
    pub net: RateNetwork,
    /// The seed stored with the network (or the one given).
    pub seed: u64,
    /// Said when the network was exported for the other model: its structure is used with this
    /// model's defaults.
    pub note: Option<String>,
}

/// Read the network in `dir`. Its stored parameters are the base, unless it was exported for
/// the other model (erf against LIF transfer), in which case only its structure is used with
/// `defaults`' model parameters; `overlay` then applies the caller's parameter changes (which
/// may not change the structure) and validates. `seed` replaces the stored seed of the initial
/// state.
pub fn load(
    dir: &Path,
    defaults: Params,
    overlay: impl FnOnce(Params) -> Result<Params>,
    seed: Option<u64>,
) -> Result<Loaded> {
    let loaded = sim::network_file::read_network(dir)?;
    let stored = loaded.meta.params;
    let other_model =
        std::mem::discriminant(&stored.transfer) != std::mem::discriminant(&defaults.transfer);
    let (base, note) = if other_model {
        let note = format!(
            "{} was exported for the {} model (J0 = {}, I0 = {}, tau_syn = {}); its structure \
             is used with this model's defaults J0 = {}, I0 = {}, tau_syn = {}, tau_D = {} \
             unless flags set them",
            dir.display(),
            model_name(&stored),
            stored.j0,
            stored.i0,
            stored.tau_syn,
            defaults.j0,
            defaults.i0,
            defaults.tau_syn,
            defaults.tau_d
        );
        let base = Params {
            transfer: defaults.transfer,
            tau_syn: defaults.tau_syn,
            j0: defaults.j0,
            i0: defaults.i0,
            tau_d: defaults.tau_d,
            ..stored
        };
        (base, Some(note))
    } else {
        (stored, None)
    };
    let p = overlay(base)?;
    let net = loaded.rate_network_with(p)?;
    Ok(Loaded {
        net,
        seed: seed.unwrap_or(loaded.meta.seed),
        note,
    })
}

/// The weights of the four blocks (Eq. 3), as written to network.json.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct BlockWeights {
    pub ee: f64,
    pub ei: f64,
    pub ie: f64,
    pub ii: f64,
}

/// What `export` wrote (the JSON of `balnet export-network`).
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Exported {
    pub dir: String,
    pub files: Vec<String>,
    pub n_e: usize,
    pub n_i: usize,
    pub k_e: usize,
    pub k_i: usize,
    pub synapses: usize,
    pub seed: u64,
    /// `rate` or `lif`: which model the stored parameters are for.
    pub model: &'static str,
    pub weights: BlockWeights,
}

/// Write the network to `dir` (Matrix Market blocks and network.json, each atomically) for
/// other simulators.
pub fn export(net: &RateNetwork, seed: u64, dir: &Path) -> Result<Exported> {
    let files = sim::network_file::write_network(dir, net)?;
    let s = net.conn.sizes;
    let meta = sim::network_file::NetworkMeta::of(net);
    Ok(Exported {
        dir: dir.display().to_string(),
        files: files.iter().map(|f| f.display().to_string()).collect(),
        n_e: s.n_e,
        n_i: s.n_i,
        k_e: s.k_e,
        k_i: s.k_i,
        synapses: s.synapses(),
        seed,
        model: model_name(&net.params),
        weights: BlockWeights {
            ee: meta.ee.weight,
            ei: meta.ei.weight,
            ie: meta.ie.weight,
            ii: meta.ii.weight,
        },
    })
}
