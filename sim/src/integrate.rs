//! Fixed-step integrators for Eq. 1: Euler (the paper's), Heun (2nd order) and classical
//! Runge-Kutta (4th order).
//!
//! Every step first evaluates the field at the start-of-step state y(t); an observer is
//! handed that evaluation (rates, recurrent inputs, dy/dt at time t) before the later stages
//! overwrite it, so observing costs no extra field evaluation.

use serde::{Deserialize, Serialize};

use crate::network::{RateNetwork, Work};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    /// Forward Euler, global error O(dt).
    #[default]
    Euler,
    /// Heun's method (explicit trapezoid), O(dt^2).
    Heun,
    /// Classical 4th-order Runge-Kutta, O(dt^4).
    Rk4,
}

impl Method {
    /// Field evaluations per step.
    pub fn stages(self) -> usize {
        match self {
            Method::Euler => 1,
            Method::Heun => 2,
            Method::Rk4 => 4,
        }
    }
}

/// Buffers for one integrator.
pub struct Integrator {
    pub method: Method,
    pub work: Work,
    k1: Vec<f64>,
    k2: Vec<f64>,
    k3: Vec<f64>,
    k4: Vec<f64>,
    tmp: Vec<f64>,
}

impl Integrator {
    pub fn new(net: &RateNetwork, method: Method) -> Self {
        let d = net.dim();
        Integrator {
            method,
            work: Work::new(net),
            k1: vec![0.0; d],
            k2: vec![0.0; if method == Method::Euler { 0 } else { d }],
            k3: vec![0.0; if method == Method::Rk4 { d } else { 0 }],
            k4: vec![0.0; if method == Method::Rk4 { d } else { 0 }],
            // Euler: the next state (swapped with y); Heun, RK4: the stage states.
            tmp: vec![0.0; d],
        }
    }

    /// Advance y by dt. `observe(work, y, dydt)` sees the field evaluated at the start of the
    /// step (before y changes). Euler runs fused ([`RateNetwork::euler_step`]) and swaps `y`
    /// with a buffer of the integrator (same bits as the unfused step).
    pub fn step(
        &mut self,
        net: &RateNetwork,
        y: &mut Vec<f64>,
        dt: f64,
        mut observe: impl FnMut(&Work, &[f64], &[f64]),
    ) {
        if self.method == Method::Euler {
            self.tmp.resize(y.len(), 0.0);
            net.euler_step(y, &mut self.tmp, &mut self.k1, &mut self.work, dt);
            observe(&self.work, y, &self.k1);
            std::mem::swap(y, &mut self.tmp);
            return;
        }
        net.field(y, &mut self.k1, &mut self.work);
        observe(&self.work, y, &self.k1);
        match self.method {
            Method::Euler => unreachable!("handled above"),
            Method::Heun => {
                for ((t, a), k) in self.tmp.iter_mut().zip(y.iter()).zip(&self.k1) {
                    *t = a + dt * k;
                }
                net.field(&self.tmp, &mut self.k2, &mut self.work);
                for ((a, k1), k2) in y.iter_mut().zip(&self.k1).zip(&self.k2) {
                    *a += 0.5 * dt * (k1 + k2);
                }
            }
            Method::Rk4 => {
                for ((t, a), k) in self.tmp.iter_mut().zip(y.iter()).zip(&self.k1) {
                    *t = a + 0.5 * dt * k;
                }
                net.field(&self.tmp, &mut self.k2, &mut self.work);
                for ((t, a), k) in self.tmp.iter_mut().zip(y.iter()).zip(&self.k2) {
                    *t = a + 0.5 * dt * k;
                }
                net.field(&self.tmp, &mut self.k3, &mut self.work);
                for ((t, a), k) in self.tmp.iter_mut().zip(y.iter()).zip(&self.k3) {
                    *t = a + dt * k;
                }
                net.field(&self.tmp, &mut self.k4, &mut self.work);
                for (m, a) in y.iter_mut().enumerate() {
                    *a +=
                        dt / 6.0 * (self.k1[m] + 2.0 * self.k2[m] + 2.0 * self.k3[m] + self.k4[m]);
                }
            }
        }
    }
}
