//! Paper 004's single neuron: the Ricciardi (Siegert) rate of a LIF neuron under white noise
//! and its derivatives, in balnet's units or NEST's `siegert_neuron` convention.

use serde::Serialize;
use theory::ssn::ricciardi::{Neuron, from_nest, rate_with_derivatives};

use crate::{Error, Result};

/// The units of the inputs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Convention {
    /// dV/dt = -V/tau + mu + sigma xi: mu in mV/s, sigma in mV/sqrt(s), times in s.
    #[default]
    Balnet,
    /// NEST's siegert_neuron: mu and sigma in mV (tau_m dV/dt = -V + mu + sigma sqrt(tau_m) xi),
    /// tau and tau_ref in ms.
    Nest,
}

/// The rate (Hz) and its derivatives with respect to this convention's mu and sigma (the JSON
/// of `balnet ricciardi`).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Ricciardi {
    pub rate: f64,
    pub drate_dmu: f64,
    pub drate_dsigma: f64,
}

/// The Ricciardi rate of `neuron` (tau, tau_ref in this convention's time unit) at (mu, sigma).
pub fn ricciardi(mu: f64, sigma: f64, neuron: Neuron, convention: Convention) -> Result<Ricciardi> {
    let (mu_b, sigma_b, n, scale_mu, scale_sigma) = match convention {
        Convention::Balnet => (mu, sigma, neuron, 1.0, 1.0),
        Convention::Nest => {
            let (m, s, n) = from_nest(
                mu,
                sigma,
                neuron.tau,
                neuron.tau_ref,
                neuron.theta,
                neuron.v_r,
            );
            // Derivatives with respect to NEST's mu_N = mu tau and sigma_N = sigma sqrt(tau).
            (m, s, n, 1.0 / n.tau, 1.0 / n.tau.sqrt())
        }
    };
    n.validate()?;
    if !(sigma_b >= 0.0 && sigma_b.is_finite()) {
        return Err(Error::Input(format!(
            "invalid sigma = {sigma}: valid range is 0 <= sigma < inf"
        )));
    }
    if !mu_b.is_finite() {
        return Err(Error::Input(format!(
            "invalid mu = {mu}: valid range is finite"
        )));
    }
    let r = rate_with_derivatives(&n, mu_b, sigma_b);
    Ok(Ricciardi {
        rate: r.rate,
        drate_dmu: r.drate_dmu * scale_mu,
        drate_dsigma: r.drate_dsigma * scale_sigma,
    })
}
