//! The single-site dynamics of Eq. 10 on one noise realization.
//!
//! x^E and x^I are the leak-filtered noise (see [`super::psd`]): x^alpha(t) = mu^alpha +
//! xi^alpha(t) with xi known exactly on the grid, so only the depression variable w of
//! Eq. 10c is integrated in time. Over one step phi(x^E) is replaced by the mean of its two
//! end values (trapezoid), and the linear equation dw/dt = 1/tau_D - b w with
//! b = 1/tau_D + u phi is solved exactly:
//!
//! w_{n+1} = w_inf + (w_n - w_inf) e^{-b dt},   w_inf = 1 / (tau_D b).
//!
//! The scheme is second order in dt, unconditionally stable, and exact for constant input
//! (its fixed point is Eq. 5c). The noise is periodic with period L steps, and so is the
//! stationary depression: each step is an affine map w -> e_n w + (1 - e_n) w_inf,n, their
//! composition over one period is w -> A w + C with A = exp(-dt sum_n b_n), and the periodic
//! solution starts at w_0 = C / (1 - A). Two passes over the period give it exactly, for any
//! tau_D. (Until issue 20 the start was forgotten instead by integrating 10 tau_D of wrapped
//! transient first, which left e^{-10} of the start in and cost 10 tau_D / dt steps per
//! evaluation: hours per DMF solution at tau_D = 1e6.)
//!
//! [`Site::excitatory`] also propagates the derivative dw/dmu^E along the path, so the mean
//! equations can be solved by Newton's method on a fixed set of realizations (common random
//! numbers): with the noise frozen, [phi^E w] is a smooth function of mu^E. The derivative is
//! periodic too: dw_n = P_n dw_0 + D_n, with P_n the product of the first n factors e_k and D_n
//! the recursion started from 0, so dw_0 = D_L / (1 - A).

use crate::params::Params;

/// One noise realization: the zero-mean fluctuations xi^E, xi^I of the inputs.
pub struct Site {
    pub xi_e: Vec<f64>,
    pub xi_i: Vec<f64>,
}

/// Time series of one realization at given means.
pub struct Paths {
    pub phi_e: Vec<f64>,
    pub phi_i: Vec<f64>,
    pub w: Vec<f64>,
    pub phi_w: Vec<f64>,
}

/// One step of dw/dt = 1/tau_D - b w with b = 1/tau_D + u (phi_n + phi_{n+1}) / 2:
/// (b, e^{-b dt}, 1 - e^{-b dt}, w_inf).
fn step(inv_td: f64, u: f64, dt: f64, ph: f64, pn: f64) -> (f64, f64, f64, f64) {
    let b = inv_td + u * 0.5 * (ph + pn);
    let one_minus_e = -(-b * dt).exp_m1();
    (b, 1.0 - one_minus_e, one_minus_e, inv_td / b)
}

/// The start w_0 of the periodic depression path driven by `phi` (periodic), and 1 - A.
fn periodic_start(inv_td: f64, u: f64, dt: f64, phi: &[f64]) -> (f64, f64) {
    let l = phi.len();
    let (mut c, mut exponent) = (0.0, 0.0);
    for n in 0..l {
        let (b, e, one_minus_e, winf) = step(inv_td, u, dt, phi[n], phi[(n + 1) % l]);
        c = e * c + one_minus_e * winf;
        exponent += b * dt;
    }
    let one_minus_a = -(-exponent).exp_m1();
    (c / one_minus_a, one_minus_a)
}

impl Site {
    /// Sum over the L steps of the period of phi(x^E) w and of its derivative in mu^E.
    pub fn excitatory(&self, p: &Params, dt: f64, mu_e: f64) -> (f64, f64) {
        let l = self.xi_e.len();
        let t = &p.transfer;
        let inv_td = 1.0 / p.tau_d;
        let (mut ph, mut dph) = (vec![0.0; l], vec![0.0; l]);
        for ((a, b), x) in ph.iter_mut().zip(dph.iter_mut()).zip(&self.xi_e) {
            (*a, *b) = t.phi_dphi(mu_e + x);
        }
        let (mut w, one_minus_a) = periodic_start(inv_td, p.u, dt, &ph);
        // D_n and P_n of the module docs; ds = sum (dphi w + phi D_n) + dw_0 sum phi P_n.
        let (mut d, mut prefix) = (0.0, 1.0);
        let (mut s, mut ds_known, mut ds_start) = (0.0, 0.0, 0.0);
        for n in 0..l {
            let m = (n + 1) % l;
            s += ph[n] * w;
            ds_known += dph[n] * w + ph[n] * d;
            ds_start += ph[n] * prefix;
            let (b, e, one_minus_e, winf) = step(inv_td, p.u, dt, ph[n], ph[m]);
            let db = p.u * 0.5 * (dph[n] + dph[m]);
            let dwinf = -winf * db / b;
            let de = -dt * e * db;
            d = dwinf * one_minus_e + d * e + (w - winf) * de;
            prefix *= e;
            w = winf + (w - winf) * e;
        }
        let dw0 = d / one_minus_a;
        (s, ds_known + dw0 * ds_start)
    }

    /// phi(x^E), phi(x^I), w and phi(x^E) w on the L steps of the period.
    pub fn paths(&self, p: &Params, dt: f64, mu_e: f64, mu_i: f64) -> Paths {
        let l = self.xi_e.len();
        let t = &p.transfer;
        let inv_td = 1.0 / p.tau_d;
        let phi_e: Vec<f64> = self.xi_e.iter().map(|x| t.phi(mu_e + x)).collect();
        let phi_i: Vec<f64> = self.xi_i.iter().map(|x| t.phi(mu_i + x)).collect();
        let (mut w, _) = periodic_start(inv_td, p.u, dt, &phi_e);
        let mut w_path = vec![0.0; l];
        for n in 0..l {
            w_path[n] = w;
            let (_, e, _, winf) = step(inv_td, p.u, dt, phi_e[n], phi_e[(n + 1) % l]);
            w = winf + (w - winf) * e;
        }
        let phi_w = phi_e.iter().zip(&w_path).map(|(a, b)| a * b).collect();
        Paths {
            phi_e,
            phi_i,
            w: w_path,
            phi_w,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site(l: usize, f: impl Fn(usize) -> f64) -> Site {
        Site {
            xi_e: (0..l).map(&f).collect(),
            xi_i: vec![0.0; l],
        }
    }

    #[test]
    fn constant_input_gives_the_stationary_depression_of_eq_5c() {
        let p = Params::default();
        let s = site(256, |_| 0.0);
        let paths = s.paths(&p, 0.1, 0.3, -0.2);
        let ph = p.transfer.phi(0.3);
        let w = 1.0 / (1.0 + p.tau_u() * ph);
        for v in &paths.w {
            assert!((v - w).abs() < 1e-14);
        }
        let (sum, _) = s.excitatory(&p, 0.1, 0.3);
        assert!((sum / 256.0 - ph * w).abs() < 1e-14);
    }

    #[test]
    fn derivative_matches_finite_differences() {
        // At tau_D 10 and 1e4 (the periodic start's derivative dominates at long tau_D).
        // Fourth-order central differences of the sum in mu_E with h = 1e-3: truncation
        // h^4 |f^(5)| ~ 1e-11 relative, rounding eps L sum / h ~ 1e-10 relative (at
        // tau_D = 1e4 the sum barely depends on mu: d / sum ~ 1e-3); tolerance 1e-7.
        let s = site(1024, |n| {
            1.3 * (n as f64 * 0.037).sin() + 0.4 * (n as f64 * 0.31).cos()
        });
        for (tau_d, mu) in [10.0, 1e4]
            .into_iter()
            .flat_map(|t| [(t, -1.0), (t, 0.2), (t, 1.5)])
        {
            let p = Params {
                tau_d,
                ..Params::default()
            };
            let (_, d) = s.excitatory(&p, 0.06, mu);
            let h = 1e-3;
            let f = |m: f64| s.excitatory(&p, 0.06, m).0;
            let fd =
                (8.0 * (f(mu + h) - f(mu - h)) - (f(mu + 2.0 * h) - f(mu - 2.0 * h))) / (12.0 * h);
            assert!((d - fd).abs() < 1e-7 * fd.abs(), "mu {mu}: {d} vs {fd}");
        }
    }

    #[test]
    fn the_periodic_start_is_the_limit_of_a_long_transient() {
        // tau_D = 1e4 over a period of L dt = 61: the old wrapped transient of 10 tau_D
        // (1640 periods) must end on the periodic path. The affine maps contract by
        // e^{-10} or more over it, so the two agree to rounding (1e-12).
        let p = Params {
            tau_d: 1e4,
            ..Params::default()
        };
        let (l, dt) = (1024, 0.06);
        let s = site(l, |n| 1.1 * (n as f64 * 0.043).sin() - 0.5);
        let paths = s.paths(&p, dt, 0.2, 0.0);
        let phi = &paths.phi_e;
        let inv_td = 1.0 / p.tau_d;
        let mut w = 1.0;
        let periods = (10.0 * p.tau_d / (l as f64 * dt)).ceil() as usize + 1;
        for _ in 0..periods {
            for n in 0..l {
                let (_, e, _, winf) = step(inv_td, p.u, dt, phi[n], phi[(n + 1) % l]);
                w = winf + (w - winf) * e;
            }
        }
        for n in 0..l {
            assert!(
                (w - paths.w[n]).abs() < 1e-12,
                "step {n}: {w} vs {}",
                paths.w[n]
            );
            let (_, e, _, winf) = step(inv_td, p.u, dt, phi[n], phi[(n + 1) % l]);
            w = winf + (w - winf) * e;
        }
        let (sum, _) = s.excitatory(&p, dt, 0.2);
        let direct: f64 = paths.phi_w.iter().sum();
        assert!((sum - direct).abs() < 1e-12 * direct, "{sum} vs {direct}");
    }

    #[test]
    fn the_scheme_is_second_order() {
        // A sinusoidal input: halving dt must cut the error of the mean of phi w by ~4
        // (second order); the reference is dt / 16.
        let p = Params::default();
        // 41 periods in the window, so the wrapped input is smooth.
        let period = 4.0 * 1024.0 * 0.2 / 41.0;
        let mean_psi = |dt: f64| {
            let l = (4.0 * 1024.0 * 0.2 / dt).round() as usize;
            let s = site(l, |n| {
                1.5 * (2.0 * std::f64::consts::PI * n as f64 * dt / period).sin()
            });
            s.excitatory(&p, dt, 0.0).0 / l as f64
        };
        let reference = mean_psi(0.2 / 16.0);
        let e1 = (mean_psi(0.2) - reference).abs();
        let e2 = (mean_psi(0.1) - reference).abs();
        let ratio = e1 / e2;
        assert!(ratio > 3.3 && ratio < 4.7, "{e1} {e2} {ratio}");
    }
}
