//! Model parameters: the symbols of Table 1 plus N, J0, I0 and the transfer function.
//!
//! `Params::default()` is Table 1 of the paper (N = 20000, f = 0.8, c_E = 0.025, c_I = 0.005,
//! u = 0.5, tau_D = 10, g_E = 1, g_I = 2, j_E = 1, j_I = 1.5) with J0 = 0.1, I0 = 0 (the
//! fixed-point regime of Fig. 1A / 2A) and the erf transfer function of Eq. 4.
//! Override fields with struct-update syntax:
//!
//! ```
//! use theory::Params;
//! let p = Params { j0: 1.5, n: 5000.0, ..Params::default() };
//! assert!(p.validate_finite().is_ok());
//! assert_eq!(p.k_e(), 125.0);
//! ```

use serde::{Deserialize, Serialize};

use crate::error::ParamError;
use crate::transfer::Transfer;

/// How the across-neuron variance of the quenched input is computed (Eqs. 24 and 32).
///
/// Each neuron draws exactly K_beta of the N_beta neurons of population beta without
/// replacement. The variance of the sum of K draws without replacement from a population of
/// variance sigma^2 is K sigma^2 (1 - K_beta / N_beta) for large N_beta, and the same factor
/// multiplies the entry variance of the random matrix P (Eq. 22): an entry of block
/// (alpha, beta) is j/sqrt(K_beta) with probability p_beta = K_beta / N_beta, so
/// N_beta Var = j^2 (1 - p_beta). The paper's Eqs. 24 and 32 drop the factor (1 - p_beta)
/// (see docs/ERRATA.md). With Table 1, p_E = 1/32 and p_I = 1/40: the factor moves J_c by
/// about 1.5 %.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Variance {
    /// Exact for fixed in-degree networks: includes the factor (1 - K_beta / N_beta).
    #[default]
    FixedInDegree,
    /// As printed in the paper (Eqs. 24-25, 32): the factor is dropped (the p -> 0 limit).
    Paper,
}

/// Parameters of the rate model (Eq. 1, or Eq. 12 with the LIF transfer function).
///
/// Time is measured in units of the leak time constant of Eq. 1 (which is 1); for the LIF
/// model of Eq. 12, rates are in spikes per tau_m and `tau_syn` is in the same units.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    /// Network size N (N_E = f N, N_I = (1 - f) N).
    pub n: f64,
    /// Fraction f of excitatory neurons.
    pub f: f64,
    /// Excitatory in-degree density: K_E = c_E N.
    pub c_e: f64,
    /// Inhibitory in-degree density: K_I = c_I N.
    pub c_i: f64,
    /// Fraction u of resources used per unit rate (Eq. 1c).
    pub u: f64,
    /// Recovery time tau_D of the depression variable (Eq. 1c).
    pub tau_d: f64,
    /// Relative inhibition onto excitatory neurons g_E (Eq. 3).
    pub g_e: f64,
    /// Relative inhibition onto inhibitory neurons g_I (Eq. 3).
    pub g_i: f64,
    /// Coupling scale onto excitatory neurons j_E (Eq. 3).
    pub j_e: f64,
    /// Coupling scale onto inhibitory neurons j_I (Eq. 3).
    pub j_i: f64,
    /// Global synaptic strength J0 (Eq. 2).
    pub j0: f64,
    /// External current I0 (Eq. 1).
    pub i0: f64,
    /// Transfer function phi (Eq. 4 or Eq. 13).
    pub transfer: Transfer,
    /// Time constant of the input variables x (1 in Eq. 1; tau_syn in Eq. 12). It changes the
    /// eigenvalues (x-rows of every Jacobian are divided by it) but not the fixed points.
    pub tau_syn: f64,
    /// Convention for the quenched variance (Eqs. 24, 32).
    pub variance: Variance,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            n: 20000.0,
            f: 0.8,
            c_e: 0.025,
            c_i: 0.005,
            u: 0.5,
            tau_d: 10.0,
            g_e: 1.0,
            g_i: 2.0,
            j_e: 1.0,
            j_i: 1.5,
            j0: 0.1,
            i0: 0.0,
            transfer: Transfer::Erf,
            tau_syn: 1.0,
            variance: Variance::FixedInDegree,
        }
    }
}

/// The largest coupling, gain or input magnitude (J0, g_E, g_I, J_E, J_I, |I0|): Table 1's
/// values are O(1); beyond 1e6 the inputs x ~ J0 sqrt(N) phi leave the range in which the
/// root brackets and Newton steps of the solvers are exact in double precision, and solvers
/// searched for hours (issue 20: `fixed-point --j0 1e307`).
pub const COUPLING_MAX: f64 = 1e6;
/// Time constants (tau_D, tau_syn, tau_m) lie in [1e-6, 1e6] (Table 1: 1-10).
pub const TIME_MIN: f64 = 1e-6;
pub const TIME_MAX: f64 = 1e6;
/// The largest finite N: 1e15 (the theory is tested to N = 1e12; `inf` is the limit).
pub const N_MAX: f64 = 1e15;

fn check(name: &'static str, value: f64, ok: bool, range: &'static str) -> Result<(), ParamError> {
    if ok && !value.is_nan() {
        Ok(())
    } else {
        Err(ParamError::OutOfRange { name, value, range })
    }
}

impl Params {
    /// The parameters of the LIF rate model of Eqs. 12-13 used in Figs. 10-11:
    /// tau_m = 1, tau_syn = tau_D = 10, I0 = 1.2, J0 = 0.4, N = 5000.
    pub fn lif_paper() -> Self {
        Params {
            n: 5000.0,
            j0: 0.4,
            i0: 1.2,
            tau_d: 10.0,
            tau_syn: 10.0,
            transfer: Transfer::Lif { tau_m: 1.0 },
            ..Params::default()
        }
    }

    /// Excitatory in-degree K_E = c_E N.
    pub fn k_e(&self) -> f64 {
        self.c_e * self.n
    }
    /// Inhibitory in-degree K_I = c_I N.
    pub fn k_i(&self) -> f64 {
        self.c_i * self.n
    }
    /// Number of excitatory neurons N_E = f N.
    pub fn n_e(&self) -> f64 {
        self.f * self.n
    }
    /// Number of inhibitory neurons N_I = (1 - f) N.
    pub fn n_i(&self) -> f64 {
        (1.0 - self.f) * self.n
    }
    /// The product tau_D u that sets the depression strength (Eq. 5c).
    pub fn tau_u(&self) -> f64 {
        self.tau_d * self.u
    }
    /// The coupling prefactor sqrt(N) J0 of Eqs. 5 and 31.
    pub fn coupling_scale(&self) -> f64 {
        self.n.sqrt() * self.j0
    }

    /// Connection probabilities (p_E, p_I) = (K_E / N_E, K_I / N_I) = (c_E / f, c_I / (1 - f)),
    /// which are independent of N in the massively connected model.
    pub fn densities(&self) -> (f64, f64) {
        (self.c_e / self.f, self.c_i / (1.0 - self.f))
    }

    /// The factors (1 - p_E, 1 - p_I) that multiply the quenched variances (see [`Variance`]).
    pub fn variance_factors(&self) -> (f64, f64) {
        match self.variance {
            Variance::Paper => (1.0, 1.0),
            Variance::FixedInDegree => {
                let (pe, pi) = self.densities();
                (1.0 - pe, 1.0 - pi)
            }
        }
    }

    /// Check every parameter except N (which may be infinite for the balanced limit and
    /// J_c at N = infinity). Each error names the parameter and its valid range.
    pub fn validate(&self) -> Result<(), ParamError> {
        check("f", self.f, self.f > 0.0 && self.f < 1.0, "0 < f < 1")?;
        check(
            "c_e",
            self.c_e,
            self.c_e > 0.0 && self.c_e <= self.f,
            "0 < c_e <= f (K_E = c_E N <= N_E = f N)",
        )?;
        check(
            "c_i",
            self.c_i,
            self.c_i > 0.0 && self.c_i <= 1.0 - self.f,
            "0 < c_i <= 1 - f (K_I = c_I N <= N_I = (1 - f) N)",
        )?;
        check("u", self.u, (0.0..=1.0).contains(&self.u), "0 <= u <= 1")?;
        check(
            "tau_d",
            self.tau_d,
            (TIME_MIN..=TIME_MAX).contains(&self.tau_d),
            "1e-6 <= tau_d <= 1e6",
        )?;
        check(
            "g_e",
            self.g_e,
            (0.0..=COUPLING_MAX).contains(&self.g_e),
            "0 <= g_e <= 1e6",
        )?;
        check(
            "g_i",
            self.g_i,
            (0.0..=COUPLING_MAX).contains(&self.g_i),
            "0 <= g_i <= 1e6",
        )?;
        check(
            "j_e",
            self.j_e,
            (0.0..=COUPLING_MAX).contains(&self.j_e),
            "0 <= j_e <= 1e6",
        )?;
        check(
            "j_i",
            self.j_i,
            (0.0..=COUPLING_MAX).contains(&self.j_i),
            "0 <= j_i <= 1e6",
        )?;
        check(
            "j0",
            self.j0,
            (0.0..=COUPLING_MAX).contains(&self.j0),
            "0 <= j0 <= 1e6",
        )?;
        check(
            "i0",
            self.i0,
            self.i0.abs() <= COUPLING_MAX,
            "-1e6 <= i0 <= 1e6",
        )?;
        check(
            "tau_syn",
            self.tau_syn,
            (TIME_MIN..=TIME_MAX).contains(&self.tau_syn),
            "1e-6 <= tau_syn <= 1e6",
        )?;
        if let Transfer::Lif { tau_m } = self.transfer {
            check(
                "tau_m",
                tau_m,
                (TIME_MIN..=TIME_MAX).contains(&tau_m),
                "1e-6 <= tau_m <= 1e6",
            )?;
        }
        check(
            "n",
            self.n,
            self.n > 0.0 && (self.n <= N_MAX || self.n == f64::INFINITY),
            "0 < n <= 1e15, or inf where the N -> infinity limit is meant",
        )?;
        Ok(())
    }

    /// [`Params::validate`] plus the finite-N conditions: N finite and both in-degrees
    /// K_E = c_E N and K_I = c_I N at least 1.
    pub fn validate_finite(&self) -> Result<(), ParamError> {
        self.validate()?;
        check(
            "n",
            self.n,
            self.n > 0.0 && self.n.is_finite(),
            "0 < n < inf",
        )?;
        if self.k_e() < 1.0 {
            return Err(ParamError::InDegreeTooSmall {
                name: "c_e",
                k: self.k_e(),
                n: self.n,
            });
        }
        if self.k_i() < 1.0 {
            return Err(ParamError::InDegreeTooSmall {
                name: "c_i",
                k: self.k_i(),
                n: self.n,
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_is_table_1() {
        let p = Params::default();
        assert_eq!(
            (p.n, p.f, p.c_e, p.c_i, p.u, p.tau_d),
            (20000.0, 0.8, 0.025, 0.005, 0.5, 10.0)
        );
        assert_eq!((p.g_e, p.g_i, p.j_e, p.j_i), (1.0, 2.0, 1.0, 1.5));
        p.validate_finite().unwrap();
        assert_eq!(p.k_e(), 500.0);
        assert_eq!(p.k_i(), 100.0);
    }

    #[test]
    fn invalid_values_name_the_parameter() {
        let bad = [
            (
                Params {
                    n: -5.0,
                    ..Params::default()
                },
                "n",
            ),
            (
                Params {
                    n: f64::NAN,
                    ..Params::default()
                },
                "n",
            ),
            (
                Params {
                    c_e: 2.0,
                    ..Params::default()
                },
                "c_e",
            ),
            (
                Params {
                    c_i: 0.3,
                    ..Params::default()
                },
                "c_i",
            ),
            (
                Params {
                    f: 1.0,
                    ..Params::default()
                },
                "f",
            ),
            (
                Params {
                    u: 1.5,
                    ..Params::default()
                },
                "u",
            ),
            (
                Params {
                    tau_d: 0.0,
                    ..Params::default()
                },
                "tau_d",
            ),
            (
                Params {
                    g_e: -1.0,
                    ..Params::default()
                },
                "g_e",
            ),
            (
                Params {
                    j0: f64::NAN,
                    ..Params::default()
                },
                "j0",
            ),
            (
                Params {
                    n: 10.0,
                    ..Params::default()
                },
                "c_e",
            ),
            (
                Params {
                    n: 100.0,
                    ..Params::default()
                },
                "c_i",
            ),
        ];
        for (p, name) in bad {
            let err = p.validate_finite().unwrap_err();
            assert_eq!(err.parameter(), name, "{err}");
            assert!(err.to_string().contains(name));
        }
        assert!(
            Params {
                n: f64::INFINITY,
                ..Params::default()
            }
            .validate()
            .is_ok()
        );
        assert!(
            Params {
                n: f64::INFINITY,
                ..Params::default()
            }
            .validate_finite()
            .is_err()
        );
    }
}
