//! The balanced limit N -> infinity (Eqs. 6-7).
//!
//! Dividing Eq. 5a-b by sqrt(N) J0 shows that finite inputs need both balance residuals to
//! vanish: sqrt(c_E) phi_E w = g_E sqrt(c_I) phi_I and sqrt(c_E) phi_E = g_I sqrt(c_I) phi_I.
//! Their ratio gives w = g_E / g_I, and Eq. 5c, w = 1 / (1 + tau_D u phi_E), then gives
//!
//! * phi_E = (g_I / g_E - 1) / (tau_D u)                       (Eq. 6a)
//! * phi_I = sqrt(c_E / c_I) (1 / g_E - 1 / g_I) / (tau_D u)     (Eq. 6b)
//! * w     = g_E / g_I                                          (Eq. 6c)
//!
//! The rates are finite and positive iff 0 < g_E < g_I and tau_D u > 0. The printed Eq. 7,
//! 0 <= g_E <= g_I, admits g_E = 0 (phi_E infinite) and g_E = g_I (phi_E = 0); see
//! docs/ERRATA.md. For the fixed point to exist at large N the rates must also lie in the
//! range of phi (below 1 for the erf transfer); the inputs then converge to
//! x_alpha = phi^-1(phi_alpha).

use serde::Serialize;

use crate::error::TheoryError;
use crate::params::Params;

/// The N -> infinity solution of Eq. 6.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct BalancedLimit {
    pub phi_e: f64,
    pub phi_i: f64,
    pub w: f64,
}

/// Eq. 6, with the existence condition of Eq. 7 in its strict form.
///
/// ```
/// use theory::{Params, balanced::balanced_limit};
/// let err = balanced_limit(&Params { g_e: 3.0, g_i: 2.0, ..Params::default() }).unwrap_err();
/// assert!(err.to_string().contains("g_e = 3"));
/// ```
pub fn balanced_limit(p: &Params) -> Result<BalancedLimit, TheoryError> {
    p.validate()?;
    let tau_u = p.tau_u();
    if !(p.g_e > 0.0 && p.g_e < p.g_i && tau_u > 0.0) {
        return Err(TheoryError::NoBalancedLimit {
            g_e: p.g_e,
            g_i: p.g_i,
            tau_u,
        });
    }
    Ok(BalancedLimit {
        phi_e: (p.g_i / p.g_e - 1.0) / tau_u,
        phi_i: (p.c_e / p.c_i).sqrt() * (1.0 / p.g_e - 1.0 / p.g_i) / tau_u,
        w: p.g_e / p.g_i,
    })
}

/// The limiting inputs x_alpha = phi^-1(phi_alpha^inf), which exist when both balanced rates
/// lie in the range of the transfer function.
pub fn balanced_inputs(p: &Params) -> Result<(BalancedLimit, f64, f64), TheoryError> {
    let b = balanced_limit(p)?;
    let range = p.transfer.range_str();
    let x_e = p
        .transfer
        .inverse(b.phi_e)
        .ok_or(TheoryError::RateOutOfRange {
            population: "phi_e",
            rate: b.phi_e,
            range,
        })?;
    let x_i = p
        .transfer
        .inverse(b.phi_i)
        .ok_or(TheoryError::RateOutOfRange {
            population: "phi_i",
            rate: b.phi_i,
            range,
        })?;
    Ok((b, x_e, x_i))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn balance_residuals_vanish_and_depression_is_consistent() {
        // The three defining equations hold to rounding (1e-15 relative).
        for (g_e, g_i, c_e, c_i) in [
            (1.0, 2.0, 0.025, 0.005),
            (0.5, 3.0, 0.1, 0.05),
            (1.9, 2.0, 0.3, 0.1),
        ] {
            let p = Params {
                g_e,
                g_i,
                c_e,
                c_i,
                ..Params::default()
            };
            let b = balanced_limit(&p).unwrap();
            let ae = c_e.sqrt() * b.phi_e * b.w - g_e * c_i.sqrt() * b.phi_i;
            let ai = c_e.sqrt() * b.phi_e - g_i * c_i.sqrt() * b.phi_i;
            assert!(ae.abs() < 1e-15 && ai.abs() < 1e-15);
            assert!((b.w - 1.0 / (1.0 + p.tau_u() * b.phi_e)).abs() < 1e-15);
        }
    }

    #[test]
    fn existence_condition_is_strict() {
        for (g_e, g_i) in [(3.0, 2.0), (2.0, 2.0), (0.0, 2.0)] {
            let err = balanced_limit(&Params {
                g_e,
                g_i,
                ..Params::default()
            })
            .unwrap_err();
            assert!(matches!(err, TheoryError::NoBalancedLimit { .. }), "{err}");
        }
        assert!(
            balanced_limit(&Params {
                u: 0.0,
                ..Params::default()
            })
            .is_err()
        );
        // Rates above 1 have no erf preimage: tau_D u = 0.5 gives phi_E = 2.
        let p = Params {
            tau_d: 1.0,
            ..Params::default()
        };
        assert!(balanced_limit(&p).is_ok());
        assert!(matches!(
            balanced_inputs(&p),
            Err(TheoryError::RateOutOfRange { .. })
        ));
    }
}
