//! # balnet sim
//!
//! Reference simulations of the rate network (Eq. 1), its tangent dynamics and the LIF spiking
//! network (Eqs. 62-64). This crate is filled by later work; it re-exports the model
//! parameters so that simulations and theory share one `Params`.

pub use theory::Params;
