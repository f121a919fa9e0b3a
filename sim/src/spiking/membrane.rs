//! The linear dynamics of one LIF neuron between spikes (Eqs. 62-63) and their closed forms.
//!
//! With time in units of tau_m (tau_m = 1) and s = tau_m J0 E the synaptic input of Eq. 62,
//!
//! * dv/dt = -v + I0 + s,
//! * ds/dt = -s / tau_s,
//!
//! is linear, so one step of length h maps (v, s) to (a v + b s + c, d s). [`Propagator`]
//! gives the coefficients for the paper's Euler scheme and for the exact solution
//!
//! * s(t) = s0 e^{-t/tau_s},
//! * v(t) = I0 + (v0 - I0) e^{-t} + s0 beta(t),
//!   beta(t) = tau_s / (tau_s - 1) (e^{-t/tau_s} - e^{-t}) (t e^{-t} at tau_s = 1).
//!
//! The closed forms used by the tests live here too: the first passage time and the rate of a
//! neuron under constant input (the LIF transfer function of Eq. 13).

/// One step (v, s) -> (a v + b s + c, d s).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Propagator {
    pub a: f64,
    pub b: f64,
    pub c: f64,
    pub d: f64,
}

impl Propagator {
    /// Forward Euler (the paper's scheme): v += h (-v + I0 + s), s -= h s / tau_s.
    pub fn euler(h: f64, i0: f64, tau_s: f64) -> Self {
        Propagator {
            a: 1.0 - h,
            b: h,
            c: h * i0,
            d: 1.0 - h / tau_s,
        }
    }

    /// The exact solution over a step of length h.
    pub fn exact(h: f64, i0: f64, tau_s: f64) -> Self {
        Propagator {
            a: (-h).exp(),
            b: beta(h, tau_s),
            c: -i0 * (-h).exp_m1(),
            d: (-h / tau_s).exp(),
        }
    }

    /// Apply to one neuron.
    #[inline]
    pub fn apply(&self, v: f64, s: f64) -> (f64, f64) {
        (self.a * v + self.b * s + self.c, self.d * s)
    }

    /// The state at the start of the step from the state at its end (the inverse map).
    #[inline]
    pub fn invert(&self, v1: f64, s1: f64) -> (f64, f64) {
        let s0 = s1 / self.d;
        ((v1 - self.b * s0 - self.c) / self.a, s0)
    }
}

/// beta(t) = tau_s / (tau_s - 1) (e^{-t/tau_s} - e^{-t}): the membrane response at time t to a
/// unit step of s at time 0. Written as e^{-t} expm1(t q) / q with q = 1 - 1/tau_s, which has
/// no cancellation near tau_s = 1 and tends to t e^{-t} there.
pub fn beta(t: f64, tau_s: f64) -> f64 {
    let q = 1.0 - 1.0 / tau_s;
    if q.abs() * t < 1e-12 {
        t * (-t).exp() * (1.0 + 0.5 * q * t)
    } else {
        (-t).exp() * (t * q).exp_m1() / q
    }
}

/// v(t) of the exact solution from (v0, s0).
#[inline]
pub fn v_at(v0: f64, s0: f64, i0: f64, tau_s: f64, t: f64) -> f64 {
    i0 + (v0 - i0) * (-t).exp() + s0 * beta(t, tau_s)
}

/// dv/dt at time t of the exact solution: -v(t) + I0 + s(t).
#[inline]
fn dv_at(v0: f64, s0: f64, i0: f64, tau_s: f64, t: f64) -> f64 {
    -v_at(v0, s0, i0, tau_s, t) + i0 + s0 * (-t / tau_s).exp()
}

/// The first time t in (0, h] at which the exact solution from (v0, s0) reaches `theta`,
/// given v0 < theta <= v(h). Safeguarded Newton (bisection when a Newton step leaves the
/// bracket) to |dt| < 1e-14 h; the bracket keeps the earliest crossing when v(t) crosses
/// more than once: the lower end always has v < theta.
pub fn crossing_time(v0: f64, s0: f64, i0: f64, tau_s: f64, h: f64, theta: f64) -> f64 {
    let f = |t: f64| v_at(v0, s0, i0, tau_s, t) - theta;
    let (mut lo, mut hi) = (0.0, h);
    // Linear interpolation as the first guess (the Euler-style estimate).
    let f_hi = f(h);
    let mut t = if f_hi > v0 - theta {
        h * (theta - v0) / (f_hi + theta - v0)
    } else {
        0.5 * h
    };
    // If v is not monotonic the first crossing may precede an interior maximum; bisect
    // first on a coarse grid so that [lo, hi] contains only the earliest crossing.
    const GRID: usize = 8;
    for k in 1..GRID {
        let tk = h * k as f64 / GRID as f64;
        if f(tk) >= 0.0 {
            hi = tk;
            break;
        }
        lo = tk;
    }
    if !(t > lo && t < hi) {
        t = 0.5 * (lo + hi);
    }
    for _ in 0..100 {
        let ft = f(t);
        if ft >= 0.0 {
            hi = t;
        } else {
            lo = t;
        }
        let slope = dv_at(v0, s0, i0, tau_s, t);
        let mut next = t - ft / slope;
        if !(next > lo && next < hi && slope.is_finite() && slope > 0.0) {
            next = 0.5 * (lo + hi);
        }
        if (next - t).abs() < 1e-14 * h || hi - lo < 1e-14 * h {
            return next.clamp(lo, hi);
        }
        t = next;
    }
    hi
}

/// First passage time from v0 to the threshold 1 under constant input I0 > 1 (s = 0):
/// T = ln((I0 - v0) / (I0 - 1)).
pub fn first_passage(v0: f64, i0: f64) -> f64 {
    ((i0 - v0) / (i0 - 1.0)).ln()
}

/// Firing rate under constant input I0 with reset 0, threshold 1 and refractory period
/// tau_ref: 1 / (tau_ref + ln(I0 / (I0 - 1))), 0 for I0 <= 1 (Eq. 13 with tau_ref = 0).
pub fn constant_input_rate(i0: f64, tau_ref: f64) -> f64 {
    if i0 <= 1.0 {
        0.0
    } else {
        1.0 / (tau_ref + first_passage(0.0, i0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_propagator_matches_the_closed_form_and_composes() {
        // Two half steps equal one full step (semigroup property), to rounding.
        let (i0, ts) = (1.2, 10.0);
        let full = Propagator::exact(0.3, i0, ts);
        let half = Propagator::exact(0.15, i0, ts);
        let (v, s) = (0.37, -0.8);
        let (v1, s1) = full.apply(v, s);
        let (vh, sh) = half.apply(v, s);
        let (v2, s2) = half.apply(vh, sh);
        assert!((v1 - v2).abs() < 1e-15 && (s1 - s2).abs() < 1e-15);
        assert!((v1 - v_at(v, s, i0, ts, 0.3)).abs() < 1e-15);
        let (vb, sb) = full.invert(v1, s1);
        assert!((vb - v).abs() < 1e-14 && (sb - s).abs() < 1e-15);
    }

    #[test]
    fn beta_is_continuous_at_tau_s_equal_one() {
        // At tau_s = 1, beta(t) = t e^{-t}; the general branch 1e-6 away differs by O(1e-6 t^2).
        let t: f64 = 0.7;
        let exact = t * (-t).exp();
        assert!((beta(t, 1.0) - exact).abs() < 1e-16);
        assert!((beta(t, 1.0 + 1e-6) - exact).abs() < 1e-6);
        // Derivative check of beta: beta' = -beta + e^{-t/tau_s} (v-equation with s0 = 1).
        let (ts, h) = (10.0, 1e-5);
        let d = (beta(t + h, ts) - beta(t - h, ts)) / (2.0 * h);
        assert!((d - (-beta(t, ts) + (-t / ts).exp())).abs() < 1e-9);
    }

    #[test]
    fn crossing_time_is_the_first_root() {
        let (i0, ts) = (1.5, 10.0);
        // Constant input: crossing at ln((I0 - v0) / (I0 - 1)).
        let v0 = 0.9;
        let t = crossing_time(v0, 0.0, i0, ts, 0.5, 1.0);
        assert!((t - first_passage(v0, i0)).abs() < 1e-13, "{t}");
        // Random starts that end above threshold after h: the result is a root to 1e-12 and
        // v stays below threshold on a fine grid before it (the earliest crossing).
        let mut seed = 12345u64;
        let mut uni = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed >> 11) as f64 / (1u64 << 53) as f64
        };
        let mut tested = 0;
        while tested < 200 {
            let (v0, s0, i0, ts, h) = (
                uni(),
                8.0 * uni() - 4.0,
                3.0 * uni(),
                0.1 + 10.0 * uni(),
                0.05 + uni(),
            );
            if v_at(v0, s0, i0, ts, h) < 1.0 {
                continue;
            }
            tested += 1;
            let t = crossing_time(v0, s0, i0, ts, h, 1.0);
            assert!(
                (v_at(v0, s0, i0, ts, t) - 1.0).abs() < 1e-12,
                "{v0} {s0} {i0} {ts} {h}"
            );
            let earlier = (1..2000)
                .map(|k| k as f64 * t / 2000.0)
                .any(|u| v_at(v0, s0, i0, ts, u) >= 1.0);
            assert!(
                !earlier,
                "an earlier crossing exists before {t}: {v0} {s0} {i0} {ts} {h}"
            );
        }
    }
}
