//! The second model (paper 004, `../shared/papers/004_*.txt`): LIF networks mapped to the
//! stabilized supralinear network (SSN). Its equations were images and are missing from the
//! text; the forms used here are reconstructed from the literature it cites and written out,
//! with their conventions, in each module.
//!
//! * [`ricciardi`]: the Ricciardi (Siegert) rate of a LIF neuron under white noise (its
//!   Eq. 9), with derivatives and the conversion to NEST's `siegert_neuron`.
//! * [`power_law`]: the threshold power law a [mu - b]_+^n fitted to it over 0-10 Hz (Eq. 1).
//! * [`network`]: the two-population SSN: all steady states, their stability, the ISN,
//!   supersaturation and balanced-limit verdicts and the parity rule (Eqs. 2-4, 7, S1-S4).
//! * [`mean_field`]: the LIF network itself, its Ricciardi self-consistency Phi_sc
//!   (Eqs. 10-14), its mapping to the SSN and the size scaling of Fig. 6.

pub mod mean_field;
pub mod network;
pub mod power_law;
pub mod ricciardi;
