//! # balnet sim
//!
//! Reference simulations of the rate network (Eq. 1): seeded fixed in-degree connectivity
//! ([`connectivity`]), the vector field and its hot loop ([`network`], [`gather`]),
//! integrators ([`integrate`]), resource limits: steps, memory, run time ([`budget`]), observers and regime detection ([`run`]), checkpoints and the
//! one resume loop of every long run ([`checkpoint`]),
//! realizations on one network advanced together, W states per pass ([`ensemble`]), the
//! correlation coefficients of Eqs. 57-61 in O(N T) ([`correlations`]), the Jacobian DF_het
//! and its spectrum ([`jacobian`], [`spectrum`]), tangent dynamics and Lyapunov exponents
//! ([`tangent`]), the spiking engine every spiking model is a configuration of
//! ([`spiking`]: EIF, LIF and QIF populations, delta, current and conductance synapses,
//! short-term depression, delays, Poisson and MIP input, parallel with the same bits on any
//! thread count): the LIF network of Eqs. 62-64 ([`lif`]), paper 002's network
//! ([`spiking::eif_balanced`]) and paper 004's ([`lif_ssn`]), random graphs ([`graphs`]), every random stream ([`streams`]), and
//! files: networks as Matrix Market blocks plus JSON for other simulators
//! ([`network_file`]), states and atomic writes ([`files`]). Simulations and theory share one
//! [`Params`].

pub mod budget;
pub mod checkpoint;
pub mod connectivity;
pub mod correlations;
pub mod ensemble;
pub mod error;
pub mod files;
pub mod gather;
pub mod graphs;
pub mod integrate;
pub mod jacobian;
pub mod lif;
pub mod lif_ssn;
pub mod network;
pub mod network_file;
pub mod run;
pub mod spectrum;
pub mod spiking;
pub mod streams;
pub mod tangent;

pub use error::SimError;
pub use theory::Params;
