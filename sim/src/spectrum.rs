//! The spectrum of DF_het at the homogeneous fixed point of a concrete network, next to the
//! random-matrix prediction of `theory` (Fig. 4A-B).

use nalgebra::Complex;
use serde::Serialize;
use theory::fixed_point::{HomFixedPoint, homogeneous};
use theory::girko::het_spectrum;
use theory::stability::hom_stability;

use crate::error::SimError;
use crate::network::RateNetwork;

/// The homogeneous fixed point of Eq. 5 as a network state (x^E, x^I, w); with fixed
/// in-degree it is an exact fixed point of the network.
pub fn fixed_point_state(net: &RateNetwork, fp: &HomFixedPoint) -> Vec<f64> {
    let (n_e, n) = (net.n_e(), net.n());
    let mut y = vec![fp.x_e; n_e];
    y.resize(n, fp.x_i);
    y.resize(n + n_e, fp.w);
    y
}

#[derive(Clone, Debug, Serialize)]
pub struct Spectrum {
    /// Largest real part of all eigenvalues of DF_het.
    pub max_re: f64,
    /// Girko radius r / tau_syn (theory, Eq. 25 with the exact variance).
    pub girko_radius: f64,
    /// (-1 + r) / tau_syn: the theory's rightmost point of the bulk.
    pub bulk_max_re_theory: f64,
    /// Largest real part after removing the three homogeneous-mode eigenvalues (Eq. 15).
    #[serde(skip)]
    pub bulk_max_re: f64,
    #[serde(skip)]
    pub eigenvalues: Vec<Complex<f64>>,
    #[serde(skip)]
    pub hom_eigenvalues: Vec<Complex<f64>>,
}

/// Eigenvalues of DF_het at the network's homogeneous fixed point.
pub fn spectrum(net: &RateNetwork) -> Result<Spectrum, SimError> {
    // A dense (N + N_E)^2 matrix, its Hessenberg and Schur forms: three of them.
    let dim = net.dim() as f64;
    crate::budget::ensure_memory(
        &format!("the dense spectrum of N + N_E = {dim} variables"),
        3.0 * 8.0 * dim * dim,
    )?;
    let p = &net.params;
    // The theory at the network's actual in-degrees (K = round(c N)).
    let s = net.conn.sizes;
    let nn = s.n() as f64;
    let tp = theory::Params {
        n: nn,
        c_e: s.k_e as f64 / nn,
        c_i: s.k_i as f64 / nn,
        ..*p
    };
    let fp = homogeneous(&tp)
        .map_err(|e| SimError::Format(format!("no homogeneous fixed point: {e}")))?
        .primary;
    let y = fixed_point_state(net, &fp);
    let ev = crate::jacobian::eigenvalues(net, &y).map_err(SimError::Format)?;
    let hom = hom_stability(&tp, &fp).eigenvalues;
    let het = het_spectrum(&tp, &fp);
    let max_re = ev.iter().map(|z| z.re).fold(f64::NEG_INFINITY, f64::max);
    // Remove the nearest eigenvalue to each homogeneous-mode eigenvalue (they are exact
    // eigenvalues of DF_het: uniform vectors span an invariant subspace).
    let mut rest = ev.clone();
    for h in &hom {
        if let Some((k, _)) = rest
            .iter()
            .enumerate()
            .min_by(|a, b| (a.1 - h).norm().total_cmp(&(b.1 - h).norm()))
        {
            rest.remove(k);
        }
    }
    let bulk_max_re = rest.iter().map(|z| z.re).fold(f64::NEG_INFINITY, f64::max);
    Ok(Spectrum {
        max_re,
        girko_radius: het.radius / p.tau_syn,
        bulk_max_re_theory: het.bulk_max_re,
        bulk_max_re,
        eigenvalues: ev,
        hom_eigenvalues: hom,
    })
}
