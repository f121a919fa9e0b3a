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
//! (its fixed point is Eq. 5c). The noise is periodic, so the transient wraps around: w
//! starts at the stationary value of Eq. 5c at step L - n_tr and is integrated n_tr steps
//! (10 tau_D of time) before the L measured steps; the memory of the start decays at least
//! as e^{-n_tr dt / tau_D} = e^{-10}, faster wherever phi > 0.
//!
//! [`Site::excitatory`] also propagates the derivative dw/dmu^E along the path, so the mean
//! equations can be solved by Newton's method on a fixed set of realizations (common random
//! numbers): with the noise frozen, [phi^E w] is a smooth function of mu^E.

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

/// Number of wrap-around transient steps: 10 tau_D.
pub fn transient_steps(p: &Params, dt: f64) -> usize {
    (10.0 * p.tau_d / dt).ceil() as usize
}

impl Site {
    /// Sum over the L measured steps of phi(x^E) w and of its derivative in mu^E.
    pub fn excitatory(&self, p: &Params, dt: f64, mu_e: f64) -> (f64, f64) {
        let l = self.xi_e.len();
        let n_tr = transient_steps(p, dt);
        let t = &p.transfer;
        let inv_td = 1.0 / p.tau_d;
        let start = (l - n_tr % l) % l;
        let (mut ph, mut dph) = t.phi_dphi(mu_e + self.xi_e[start]);
        let mut w = 1.0 / (1.0 + p.tau_u() * ph);
        let mut dw = -p.tau_u() * dph * w * w;
        let (mut s, mut ds) = (0.0, 0.0);
        for step in 0..n_tr + l {
            let idx = (start + step) % l;
            if step >= n_tr {
                s += ph * w;
                ds += dph * w + ph * dw;
            }
            let (pn, dpn) = t.phi_dphi(mu_e + self.xi_e[(idx + 1) % l]);
            let b = inv_td + p.u * 0.5 * (ph + pn);
            let db = p.u * 0.5 * (dph + dpn);
            let winf = inv_td / b;
            let dwinf = -winf * db / b;
            let e = (-b * dt).exp();
            let de = -dt * e * db;
            dw = dwinf * (1.0 - e) + dw * e + (w - winf) * de;
            w = winf + (w - winf) * e;
            (ph, dph) = (pn, dpn);
        }
        (s, ds)
    }

    /// phi(x^E), phi(x^I), w and phi(x^E) w on the L measured steps.
    pub fn paths(&self, p: &Params, dt: f64, mu_e: f64, mu_i: f64) -> Paths {
        let l = self.xi_e.len();
        let n_tr = transient_steps(p, dt);
        let t = &p.transfer;
        let inv_td = 1.0 / p.tau_d;
        let start = (l - n_tr % l) % l;
        let phi_e: Vec<f64> = self.xi_e.iter().map(|x| t.phi(mu_e + x)).collect();
        let phi_i: Vec<f64> = self.xi_i.iter().map(|x| t.phi(mu_i + x)).collect();
        let mut w_path = vec![0.0; l];
        let mut w = 1.0 / (1.0 + p.tau_u() * phi_e[start]);
        for step in 0..n_tr + l {
            let idx = (start + step) % l;
            if step >= n_tr {
                w_path[idx] = w;
            }
            let b = inv_td + p.u * 0.5 * (phi_e[idx] + phi_e[(idx + 1) % l]);
            let winf = inv_td / b;
            w = winf + (w - winf) * (-b * dt).exp();
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
        // Central differences of the sum in mu_E with h = 1e-5: truncation h^2 |f'''| ~ 1e-10
        // relative; the tolerance 1e-7 leaves room for rounding (eps * sum / h ~ 1e-9).
        let p = Params::default();
        let s = site(1024, |n| {
            1.3 * (n as f64 * 0.037).sin() + 0.4 * (n as f64 * 0.31).cos()
        });
        for mu in [-1.0, 0.2, 1.5] {
            let (_, d) = s.excitatory(&p, 0.06, mu);
            let h = 1e-5;
            let fd =
                (s.excitatory(&p, 0.06, mu + h).0 - s.excitatory(&p, 0.06, mu - h).0) / (2.0 * h);
            assert!((d - fd).abs() < 1e-7 * fd.abs(), "mu {mu}: {d} vs {fd}");
        }
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
