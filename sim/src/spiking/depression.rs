//! Short-term synaptic depression (Tsodyks-Markram, paper 001's Eq. 64).
//!
//! Every neuron j of a population with depression carries an efficacy w_j that recovers as
//! dw/dt = (1 - w)/tau_D and, at each of its spikes, scales the weight of that spike on every
//! depressing projection ([`crate::spiking::Projection::depressed`]) by its value just
//! before the spike, after which w_j <- w_j (1 - u). All depressing synapses of j see the
//! same spike train, so one variable per presynaptic neuron is the per-synapse model exactly.
//!
//! w is updated lazily, only at its neuron's spikes (and when an observer samples it):
//! between spikes 1 - w decays as e^{-rate t}, with rate = 1/tau_D
//! ([`DepressionScheme::Exact`]) or -ln(1 - dt/tau_D)/dt ([`DepressionScheme::Euler`]: k
//! forward-Euler steps of dw/dt give (1 - dt/tau_D)^k, to rounding).

use serde::{Deserialize, Serialize};

use crate::error::SimError;

/// How w recovers between spikes (module docs).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DepressionScheme {
    #[default]
    Exact,
    Euler,
}

/// Depression of a population's outgoing depressing projections.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Depression {
    /// Fraction of the efficacy used per spike.
    pub u: f64,
    /// Recovery time constant.
    pub tau_d: f64,
    #[serde(default)]
    pub scheme: DepressionScheme,
}

impl Depression {
    pub fn validate(&self, dt: f64) -> Result<(), SimError> {
        if !(self.u > 0.0 && self.u <= 1.0) {
            return Err(SimError::Invalid {
                name: "u",
                value: self.u,
                range: "0 < u <= 1",
            });
        }
        let min = if self.scheme == DepressionScheme::Euler {
            dt
        } else {
            0.0
        };
        if !(self.tau_d > min && self.tau_d.is_finite()) {
            return Err(SimError::Invalid {
                name: "tau_d",
                value: self.tau_d,
                range: "dt < tau_d < inf (0 < tau_d for the exact scheme)",
            });
        }
        Ok(())
    }

    /// The recovery rate of 1 - w (module docs).
    pub fn rate(&self, dt: f64) -> f64 {
        match self.scheme {
            DepressionScheme::Exact => 1.0 / self.tau_d,
            DepressionScheme::Euler => -(-dt / self.tau_d).ln_1p() / dt,
        }
    }

    /// w at time t from its value `w0` at time `t0`.
    #[inline]
    pub fn w_at(rate: f64, w0: f64, t0: f64, t: f64) -> f64 {
        1.0 - (1.0 - w0) * (-(t - t0) * rate).exp()
    }

    /// A spike at time t: returns the efficacy it carries and leaves (w, w_t) after it.
    #[inline]
    pub fn spike(&self, rate: f64, w: &mut f64, w_t: &mut f64, t: f64) -> f64 {
        let now = Depression::w_at(rate, *w, *w_t, t);
        *w = now * (1.0 - self.u);
        *w_t = t;
        now
    }
}
