//! # balnet theory
//!
//! Exact and mean-field theory of the massively coupled excitatory-inhibitory rate network
//! balanced by short-term depression (Angulo-Garcia & Torcini, arXiv 2510.17492; "the paper").
//!
//! ## Conventions (stated once)
//! * Time is in units of the leak time constant of Eq. 1 (which is 1). With the LIF transfer
//!   function (Eq. 13) rates are spikes per tau_m and the x-equations have the time constant
//!   `tau_syn` of Eq. 12.
//! * Couplings follow Eq. 3 with the signs made explicit: J^EE = j_E / sqrt(K_E),
//!   J^IE = j_I / sqrt(K_E), J^EI = -g_E j_E / sqrt(K_I), J^II = -g_I j_I / sqrt(K_I), all
//!   multiplied by J0 (Eq. 2). Inhibitory entries are negative and enter with a plus sign.
//! * `A^E = sqrt(c_E) [phi_E w] - g_E sqrt(c_I) [phi_I]` and
//!   `A^I = sqrt(c_E) [phi_E] - g_I sqrt(c_I) [phi_I]` are the balance residuals of Eq. 11:
//!   mu^E = sqrt(N) J0 j_E A^E + I0 and likewise for I.
//! * Eigenvalues are those of the Jacobian of the dynamics (the lambda of Eq. 21), never the
//!   lambda_P = 1 + lambda of the reduced matrix P unless a name says so.
//!
//! ## Modules
//! * [`params`]: [`Params`], whose `Default` is Table 1, with typed validation.
//! * [`transfer`]: phi for Eq. 4 (erf) and Eq. 13 (LIF), derivatives and inverses.
//! * [`normal_cdf`]: the normal CDF and density of Eq. 4, branch-free and vectorised.
//! * [`quadrature`], [`moments`]: Gaussian averages (Eq. 33).
//! * [`balanced`]: the N -> infinity balanced limit (Eqs. 6-7).
//! * [`fixed_point`]: the homogeneous fixed point for any N (Eq. 5).
//! * [`stability`]: homogeneous perturbations, DF_hom and Routh-Hurwitz (Eqs. 14-18).
//! * [`girko`]: heterogeneous perturbations: a, b, c, the Girko radius, outliers, lambda_Q
//!   (Eqs. 19-29).
//! * [`critical`]: the critical coupling J_c with r(J_c) = 1 (Eq. 30), any N and N = infinity.
//! * [`dmf`]: dynamic mean-field theory of rate chaos (Eqs. 10, 40-56), any N and
//!   N = infinity, with standard errors.
//! * [`acf`]: the decorrelation-time fit shared with the simulator.
//! * [`spiking`]: the fixed point of the LIF spiking network (Eqs. 62-64): depression at the
//!   spike times of tonic firing instead of Eq. 5c.
//! * [`het_fixed_point`]: the heterogeneous fixed point (Eqs. 31-34) and the distributions
//!   p_W, p_Phi (Eqs. 35-37).
//! * [`ssn`]: the second model (paper 004): the Ricciardi rate of a LIF neuron under white
//!   noise, and the stabilized supralinear network it maps to.
//!
//! The printed equations contain typos; every deviation is listed in `docs/ERRATA.md` with
//! the test that shows it.
//!
//! ```
//! use theory::{Params, balanced::balanced_limit};
//! let b = balanced_limit(&Params::default()).unwrap();
//! assert!((b.phi_e - 0.2).abs() < 1e-15 && (b.w - 0.5).abs() < 1e-15);
//! ```

pub mod acf;
pub mod balanced;
pub mod critical;
pub mod dmf;
pub mod error;
pub mod fixed_point;
pub mod girko;
pub mod het_fixed_point;
pub mod moments;
pub mod normal_cdf;
pub mod params;
pub mod quadrature;
pub mod roots;
pub mod spiking;
pub mod ssn;
pub mod stability;
pub mod transfer;

pub use error::{ParamError, TheoryError};
pub use nalgebra::Complex;
pub use params::{Params, Variance};
pub use transfer::Transfer;
