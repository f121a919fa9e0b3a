//! The spiking engine's neuron models against closed forms and independent computations
//! (issue 21): first-passage times of the LIF and QIF under constant drive, the EIF's
//! deterministic ISI against quadrature, the measured orders of the EIF integrators, Campbell's
//! theorem for current- and conductance-based shot noise on a passive membrane, the OU
//! membrane's variance and the LIF rate under white noise against the Siegert/Ricciardi
//! formula.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use sim::graphs::Rows;
use sim::spiking::input::{Source, Train};
use sim::spiking::neuron::{
    ChunkState, Eif, EifScheme, Lif, LifScheme, Model, NeuronModel, Qif, SpikeForm, Spikes,
    StepInput, Synapse, exp,
};
use sim::spiking::{
    Delay, Graph, Init, Network, Observe, Population, Pre, Projection, RunSpec, Spec,
};

/// A network of one population of `n` identical neurons without inputs.
fn lonely(n: usize, model: Model, channels: Vec<Synapse>, v0: f64, dt: f64) -> Spec {
    Spec {
        dt,
        populations: vec![Population {
            name: "a".into(),
            n,
            model,
            channels,
            init: Init::Value { v: v0 },
            depression: None,
        }],
        sources: vec![],
        projections: vec![],
    }
}

fn run(spec: &Spec, seed: u64, t: f64, observe: Observe) -> sim::spiking::Results {
    sim::spiking::simulate(spec, seed, RunSpec { t, observe }).expect("run")
}

#[test]
fn exp_matches_libm() {
    // The vectorisable exp of the EIF against f64::exp: relative error below 1e-15 (a few
    // ulps: range reduction and 13 Horner steps) over the whole clamped range.
    let mut worst = 0.0f64;
    let mut x = -708.0;
    while x < 709.0 {
        let e = (exp(x) - x.exp()).abs() / x.exp();
        worst = worst.max(e);
        x += 0.007_1;
    }
    assert!(worst < 1e-15, "worst relative error {worst:e}");
    assert_eq!(exp(0.0), 1.0);
    assert_eq!(exp(-1e9), exp(-708.0));
}

#[test]
fn lif_first_passage_is_the_closed_form_on_the_grid() {
    // tau dV/dt = -V + tau mu from v_re reaches v_th after T = tau ln((tau mu - v_re) /
    // (tau mu - v_th)). Exact propagation detects the crossing at the first grid point after
    // it, so every ISI is ceil(T / dt) dt (+ the refractory steps) and the rate is its inverse
    // up to the one interval cut by the end of the run.
    for (mu, tau_ref) in [(1.5, 0.0), (3.0, 0.05), (1.05, 0.0)] {
        let (tau, dt) = (1.0, 1e-3);
        let lif = Lif {
            tau,
            v_th: 1.0,
            v_re: 0.0,
            mu,
            sigma: 0.0,
            tau_ref,
            scheme: LifScheme::Exact,
        };
        let t_fp = tau * ((tau * mu) / (tau * mu - 1.0)).ln();
        let isi = ((t_fp / dt).ceil() + (tau_ref / dt).round()) * dt;
        let t = 200.0;
        let r = run(
            &lonely(3, Model::Lif(lif), vec![], 0.0, dt),
            1,
            t,
            Observe::rates(0.0),
        );
        let rate = r.populations[0].rate;
        let want = (t / isi).floor() / t;
        assert!(
            (rate - want).abs() <= 1.0 / t + 1e-12,
            "mu {mu}: rate {rate}, closed form on the grid {want}"
        );
        // The continuous first-passage rate is within one step per ISI.
        let exact = t_fp + tau_ref;
        assert!((rate * exact - 1.0).abs() <= dt / t_fp + exact / t);
        assert!(r.populations[0].cv < 1e-6, "a regular train: CV 0");
    }
}

#[test]
fn qif_period_is_pi_over_sqrt_i() {
    // dV/dt = V^2 + I: from -inf to +inf in pi / sqrt(I); with a finite peak v_p and reset
    // -v_p, in 2 atan(v_p / sqrt(I)) / sqrt(I). The engine counts spikes exactly inside steps
    // (the phase advances linearly), so the count over T is floor(T / period) or one more.
    for (i, v_p) in [
        (1.0, f64::INFINITY),
        (4.0, f64::INFINITY),
        (0.25, 10.0),
        (9.0, 2.0),
    ] {
        let q = Qif {
            drive: i,
            v_peak: v_p,
        };
        let period = 2.0 * (v_p / i.sqrt()).atan() / i.sqrt();
        let t = 500.0;
        // dt larger than the period for I = 9: several spikes per step.
        for dt in [1e-3, 0.37] {
            let r = run(
                &lonely(2, Model::Qif(q), vec![], f64::NEG_INFINITY, dt),
                1,
                t,
                Observe::rates(0.0),
            );
            let count = r.populations[0].rate * t;
            let want = (t / period).floor();
            assert!(
                (count - want).abs() <= 1.0 + 1e-9,
                "I {i}, v_p {v_p}, dt {dt}: {count} spikes, want {want}"
            );
        }
    }
}

/// V' = V^2 + I by classical RK4 with step h/m from v over h (a fine-step twin of the flow).
fn rk4_qif(v: f64, i: f64, h: f64, m: usize) -> f64 {
    let f = |v: f64| v * v + i;
    let s = h / m as f64;
    let mut v = v;
    for _ in 0..m {
        let k1 = f(v);
        let k2 = f(v + 0.5 * s * k1);
        let k3 = f(v + 0.5 * s * k2);
        let k4 = f(v + s * k3);
        v += s / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4);
    }
    v
}

#[test]
fn qif_flow_matches_a_fine_step_integration() {
    // Subthreshold flows (no peak crossed) for I < 0, = 0, > 0: the Möbius map against RK4
    // with 1e5 steps (error ~ (h/m)^4, far below 1e-9 here).
    for (i, v0, h) in [
        (-1.0, 0.5, 1.0),
        (-1.0, 0.99, 2.0),
        (0.0, -2.0, 1.0),
        (0.0, 0.3, 2.0),
        (2.0, -3.0, 0.5),
        (-0.3, -5.0, 3.0),
    ] {
        let q = Qif {
            drive: i,
            v_peak: 100.0,
        };
        let (v1, spikes) = q.flow(v0, h);
        assert_eq!(spikes, 0);
        let want = rk4_qif(v0, i, h, 100_000);
        assert!(
            (v1 - want).abs() < 1e-9 * want.abs().max(1.0),
            "I {i}, v0 {v0}, h {h}: {v1} vs {want}"
        );
    }
    // A crossing with I < 0 and a finite peak: the time to the peak, then the flow from -v_p.
    let q = Qif {
        drive: -1.0,
        v_peak: 10.0,
    };
    let (v1, spikes) = q.flow(2.0, 1.0);
    assert_eq!(spikes, 1);
    // RK4 to the peak: find t* by bisection on the RK4 trajectory, then from -10.
    let (mut lo, mut hi) = (0.0, 1.0);
    for _ in 0..60 {
        let mid = 0.5 * (lo + hi);
        if rk4_qif(2.0, -1.0, mid, 20_000) < 10.0 {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    let want = rk4_qif(-10.0, -1.0, 1.0 - lo, 20_000);
    assert!((v1 - want).abs() < 1e-7, "{v1} vs {want}");
}

fn eif() -> Eif {
    Eif {
        g_l: 1.0 / 15.0,
        e_l: -72.0,
        v_t: -55.0,
        delta_t: 1.0,
        v_th: -50.0,
        v_re: -75.0,
        spike_form: SpikeForm::Authors,
        scheme: EifScheme::Euler,
    }
}

/// Step one EIF neuron with a constant current (a current channel that does not decay within
/// the run: tau = 1e15 ms) until `spikes` spikes; return the mean ISI.
fn eif_isi(m: &Eif, i: f64, dt: f64, spikes: usize) -> f64 {
    let channels = [Synapse::Current { tau: 1e15 }];
    let mut st = ChunkState {
        v: vec![m.v_re].into(),
        syn: vec![vec![i].into()],
        refractory: vec![0.0],
        ..ChunkState::default()
    };
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let mut out = Spikes::default();
    let (mut steps, mut first) = (0u64, None);
    while out.len() < spikes {
        m.step(
            StepInput {
                dt,
                channels: &channels,
                drive: 0.0,
                rng: &mut rng,
                prepared: None,
            },
            &mut st,
            &mut out,
        );
        steps += 1;
        if first.is_none() && !out.is_empty() {
            first = Some(steps);
        }
    }
    (steps - first.unwrap()) as f64 * dt / (spikes - 1) as f64
}

#[test]
fn eif_isi_matches_quadrature_of_its_deterministic_passage() {
    // T = integral from v_re to v_th of dV / F(V), F = g_L (E_L - V) + psi(V) + I > 0
    // (adaptive Gauss-Legendre). The engine detects the spike at the first grid point past
    // v_th and restarts from v_re there: each ISI carries up to one step of detection delay
    // plus the scheme's error, O(dt) for Euler and O(dt^2) for Heun.
    let i0 = 1.5; // mV/ms: suprathreshold
    for scheme in [EifScheme::Euler, EifScheme::Heun] {
        for form in [SpikeForm::Authors, SpikeForm::Standard] {
            let m = Eif {
                scheme,
                spike_form: form,
                ..eif()
            };
            let f = |v: f64| m.g_l * (m.e_l - v) + m.psi(v) + i0;
            let t = theory::quadrature::integrate(|v| [1.0 / f(v)], m.v_re, m.v_th, 1e-12, 1e-12);
            let want = t.value[0];
            let dt = 1e-3;
            let got = eif_isi(&m, i0, dt, 20);
            let half = eif_isi(&m, i0, dt / 2.0, 20);
            // Tolerance, a posteriori: got = T_s(dt) + d with the detection delay d in
            // [0, dt), and for a scheme of order p >= 1 the scheme's error is
            // |T_s(dt) - T| ~ 2^p / (2^p - 1) |T_s(dt) - T_s(dt/2)| <= 2 (|got - half| + dt).
            let tol = dt + 2.0 * ((got - half).abs() + dt) + 1e-9;
            eprintln!(
                "{scheme:?} {form:?}: ISI {got:.5} ms, quadrature {want:.5} ms, tol {tol:.2e}"
            );
            assert!(
                (got - want).abs() <= tol,
                "{scheme:?} {form:?}: ISI {got} ms, quadrature {want} ms (tol {tol})"
            );
        }
    }
}

#[test]
fn spike_forms_agree_with_shifted_v_t() {
    // Paper 002's note: Delta_T exp((V - V_T)/Delta_T) equals g_L Delta_T exp((V - V_T')/Delta_T)
    // with V_T' = V_T + Delta_T ln(g_L) (-57.708 mV). The ISIs agree to rounding.
    let a = eif();
    let s = Eif {
        spike_form: SpikeForm::Standard,
        v_t: a.equivalent_standard_v_t(),
        ..a
    };
    for v in [-80.0, -60.0, -55.0, -50.5] {
        assert!((a.psi(v) - s.psi(v)).abs() <= 1e-12 * a.psi(v).abs());
    }
    let (ia, is) = (eif_isi(&a, 1.2, 0.01, 10), eif_isi(&s, 1.2, 0.01, 10));
    assert!((ia - is).abs() < 1e-9, "{ia} vs {is}");
    assert!((a.equivalent_standard_v_t() - (-57.708)).abs() < 1e-3);
}

/// V(T) of one passive EIF neuron (no spike within T) with decaying conductances, by `scheme`
/// with step dt.
fn eif_free_trajectory(scheme: EifScheme, dt: f64, t: f64) -> f64 {
    let m = Eif { scheme, ..eif() };
    let channels = [
        Synapse::Conductance {
            tau: 8.0,
            e_rev: 0.0,
        },
        Synapse::Conductance {
            tau: 4.0,
            e_rev: -80.0,
        },
    ];
    let mut st = ChunkState {
        v: vec![-70.0].into(),
        syn: vec![vec![0.03].into(), vec![0.02].into()],
        refractory: vec![0.0],
        ..ChunkState::default()
    };
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let mut out = Spikes::default();
    let steps = (t / dt).round() as usize;
    for _ in 0..steps {
        m.step(
            StepInput {
                dt,
                channels: &channels,
                drive: 0.0,
                rng: &mut rng,
                prepared: None,
            },
            &mut st,
            &mut out,
        );
    }
    assert!(out.is_empty(), "the test trajectory must stay subthreshold");
    st.v[0]
}

#[test]
fn eif_integrators_have_their_stated_order() {
    // Errors at dt, dt/2, dt/4 against a run at dt/256 (Richardson-style): the ratio of
    // successive errors is 2^order, 2 for forward Euler (order 1) and 4 for Heun (order 2);
    // accepted within 15 % (higher-order terms at these steps).
    for (scheme, order) in [(EifScheme::Euler, 1.0), (EifScheme::Heun, 2.0)] {
        let t = 20.0;
        let reference = eif_free_trajectory(scheme, 0.4 / 256.0, t);
        let errs: Vec<f64> = [0.4, 0.2, 0.1]
            .iter()
            .map(|&dt| (eif_free_trajectory(scheme, dt, t) - reference).abs())
            .collect();
        for w in errs.windows(2) {
            let measured = (w[0] / w[1]).log2();
            eprintln!("{scheme:?}: measured order {measured:.3} (errors {errs:?})");
            assert!(
                (measured - order).abs() < 0.15 * order,
                "{scheme:?}: measured order {measured}, errors {errs:?}"
            );
        }
    }
}

/// One population of `n` passive neurons, neuron i driven by Poisson train i through channel
/// 0 with weight w.
fn shot_noise(n: usize, model: Model, channel: Synapse, w: f64, rate: f64, dt: f64) -> Spec {
    let rows = Rows {
        offsets: (0..=n).collect(),
        pre: (0..n as u32).collect(),
    };
    Spec {
        dt,
        populations: vec![Population {
            name: "passive".into(),
            n,
            model,
            channels: vec![channel],
            init: Init::Value { v: -72.0 },
            depression: None,
        }],
        sources: vec![Source {
            name: "x".into(),
            n,
            train: Train::Poisson { rate },
        }],
        projections: vec![Projection {
            pre: Pre::Source(0),
            post: 0,
            channel: 0,
            weight: w,
            graph: Graph::Rows(rows),
            delay: Delay::Fixed { d: 0.0 },
            depressed: false,
        }],
    }
}

/// Mean over neurons of the temporal mean and variance of V, and the standard errors of the
/// mean variance (neurons are independent).
fn v_stats(r: &sim::spiking::Results) -> (f64, f64, f64) {
    let p = &r.populations[0];
    let v = &p.neurons.var_v_step;
    let n = v.len() as f64;
    let m = v.iter().sum::<f64>() / n;
    let sd = (v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
    (p.mean_v, m, sd / n.sqrt())
}

fn observe_v(t: f64) -> Observe {
    Observe {
        v_bin: 0.1,
        ..Observe::rates(t)
    }
}

#[test]
fn campbell_current_based_shot_noise() {
    // A passive membrane dV/dt = g_L (E_L - V) + s, ds/dt = -s / tau_s, each input spike adds
    // w to s: the PSP is h(t) = w (e^{-a t} - e^{-b t}) / (b - a), a = g_L, b = 1 / tau_s.
    // Campbell: <V> = E_L + nu w tau_s / g_L, var V = nu integral h^2
    //   = nu w^2 / (b - a)^2 (1/(2a) + 1/(2b) - 2/(a + b)).
    // Passive = an LIF (exact propagation) with its threshold out of reach; V relative to E_L.
    let (g_l, tau_s, nu, w, dt) = (1.0 / 15.0, 8.0, 0.5, 0.02, 0.1);
    let lif = Lif {
        tau: 1.0 / g_l,
        v_th: 1e9,
        v_re: -1e9,
        mu: -72.0 * g_l,
        sigma: 0.0,
        tau_ref: 0.0,
        scheme: LifScheme::Exact,
    };
    let n = 200;
    let spec = shot_noise(
        n,
        Model::Lif(lif),
        Synapse::Current { tau: tau_s },
        w,
        nu,
        dt,
    );
    let t = 4000.0;
    let (a, b) = (g_l, 1.0 / tau_s);
    let r = run(&spec, 3, t, observe_v(200.0));
    let (mean, var, se) = v_stats(&r);
    let want_var = nu * w * w / (b - a).powi(2) * (0.5 / a + 0.5 / b - 2.0 / (a + b));
    let want_mean = -72.0 + nu * w * tau_s / g_l;
    // The temporal variance about the sample mean is biased low by the variance of that mean,
    // var 2 tau_int / T, with tau_int = nu (integral h)^2 / (2 var) the integrated
    // autocorrelation time (integral h = w tau_m tau_s): -1.2 % here, about 1.5 standard errors.
    let tau_int = nu * (w / (a * b)).powi(2) / (2.0 * want_var);
    let want_var = want_var * (1.0 - 2.0 * tau_int / (t - 200.0));
    // The statistical error of each neuron's temporal variance (200 neurons, 4000 ms = 270
    // membrane times): 4 standard errors. Arrivals on the 0.1-ms grid change the variance by
    // O((dt / tau)^2), far below.
    eprintln!("current shot noise: var {var:.5} +- {se:.5}, Campbell {want_var:.5}");
    assert!(
        (var - want_var).abs() < 4.0 * se,
        "var {var} (se {se}), Campbell {want_var}"
    );
    assert!(
        (mean - want_mean).abs() < 0.02 * want_var.sqrt(),
        "mean {mean} vs {want_mean}"
    );
}

#[test]
fn campbell_conductance_based_shot_noise_to_first_order() {
    // dV/dt = g_L (E_L - V) + g (E - V): linearised about the mean (g0 = nu w tau_s,
    // V0 = (g_L E_L + g0 E) / (g_L + g0)), the fluctuation obeys dδV/dt = -(g_L + g0) δV +
    // δg (E - V0): Campbell with a = g_L + g0 and PSC amplitude w (E - V0). The neglected
    // term δg δV makes a relative error of order sd(g) / (g_L + g0), 3 % here; the test
    // accepts 8 % plus 4 standard errors. A passive EIF: V_T far above every V.
    let (g_l, tau_s, nu, w, e_rev, dt) = (1.0 / 15.0, 8.0, 2.0, 0.0004, 0.0, 0.05);
    let m = Eif {
        v_t: 500.0,
        v_th: 600.0,
        scheme: EifScheme::Heun,
        ..eif()
    };
    let spec = shot_noise(
        200,
        Model::Eif(m),
        Synapse::Conductance { tau: tau_s, e_rev },
        w,
        nu,
        dt,
    );
    let r = run(&spec, 4, 3000.0, observe_v(200.0));
    let (mean, var, se) = v_stats(&r);
    let g0 = nu * w * tau_s;
    let v0 = (g_l * -72.0 + g0 * e_rev) / (g_l + g0);
    let (a, b) = (g_l + g0, 1.0 / tau_s);
    let amp = w * (e_rev - v0);
    let want_var = nu * amp * amp / (b - a).powi(2) * (0.5 / a + 0.5 / b - 2.0 / (a + b));
    let sd_g = (nu * w * w * tau_s / 2.0).sqrt();
    assert!(sd_g / (g_l + g0) < 0.04, "the linearisation's premise");
    eprintln!("conductance shot noise: var {var:.5} +- {se:.5}, linearised {want_var:.5}");
    assert!(
        (var - want_var).abs() < 0.08 * want_var + 4.0 * se,
        "var {var} (se {se}), linearised Campbell {want_var}"
    );
    // The mean to second order: 0 = g_L (E_L - <V>) + g0 E - <g V> gives
    // <V> = V0 - Cov(g, V) / a, and the linearised covariance is
    // Cov = (E - V0) nu w^2 tau_s / (2 (a + b)) (shot-noise g of variance nu w^2 tau_s / 2,
    // correlation time tau_s, filtered by e^{-a t}). Its standard error over independent
    // neurons from their spread: 4 of them.
    let cov = (e_rev - v0) * nu * w * w * tau_s / (2.0 * (a + b));
    let want_mean = v0 - cov / a;
    let means = &r.populations[0].neurons.mean_v;
    let m_bar = means.iter().sum::<f64>() / means.len() as f64;
    let se_mean = (means.iter().map(|x| (x - m_bar).powi(2)).sum::<f64>()
        / ((means.len() - 1) * means.len()) as f64)
        .sqrt();
    eprintln!(
        "conductance shot noise: mean {mean:.4} +- {se_mean:.4}, second order {want_mean:.4}"
    );
    assert!(
        (mean - want_mean).abs() < 4.0 * se_mean,
        "mean {mean} vs {want_mean}"
    );
}

#[test]
fn lif_white_noise_variance_and_rate_match_ricciardi() {
    // The OU membrane tau dV/dt = -V + tau mu + tau sigma xi (paper 004's convention, V in mV,
    // t in s) has variance sigma^2 tau / 2 without a threshold; with threshold 20 and reset 10
    // its rate is Siegert's (theory::ssn::ricciardi). Exact OU steps plus the bridge
    // crossing leave an O(dt) rate error (a crossing and return inside one step is caught,
    // the re-crossing after a caught one is not); at dt = 0.1 ms it is below 2 % here
    // (paper 004's network tests measured the same scheme), and the run's own standard error
    // (~1 %) is added.
    let (tau, mu, sigma, dt) = (0.02, 750.0, 30.0, 1e-4); // mu tau = 15 mV below threshold 20
    let free = Lif {
        tau,
        v_th: 1e9,
        v_re: 0.0,
        mu,
        sigma,
        tau_ref: 0.0,
        scheme: LifScheme::Exact,
    };
    let r = run(&lonely(200, Model::Lif(free), vec![], 15.0, dt), 5, 20.0, {
        Observe {
            v_bin: 1e-4,
            ..Observe::rates(1.0)
        }
    });
    let (mean, var, se) = v_stats(&r);
    let want = sigma * sigma * tau / 2.0;
    assert!(
        (var - want).abs() < 4.0 * se + 1e-3 * want,
        "var {var} vs {want} (se {se})"
    );
    assert!((mean - mu * tau).abs() < 0.05, "mean {mean}");

    let lif = Lif {
        v_th: 20.0,
        v_re: 10.0,
        ..free
    };
    let n = 400;
    let t = 20.0;
    let r = run(
        &lonely(n, Model::Lif(lif), vec![], 10.0, dt),
        6,
        t,
        Observe::rates(1.0),
    );
    let rate = r.populations[0].rate;
    let neuron = theory::ssn::ricciardi::Neuron {
        tau,
        theta: 20.0,
        v_r: 10.0,
        tau_ref: 0.0,
    };
    let want = theory::ssn::ricciardi::rate(&neuron, mu, sigma);
    let se = (want / (n as f64 * 19.0)).sqrt() * r.populations[0].cv.max(0.5);
    eprintln!(
        "white-noise LIF: var {var:.4} vs {:.4}; rate {rate:.3} Hz vs Ricciardi {want:.3} Hz",
        sigma * sigma * tau / 2.0
    );
    assert!(
        (rate - want).abs() < 0.02 * want + 4.0 * se,
        "rate {rate} Hz, Ricciardi {want} Hz"
    );
}

#[test]
fn bad_models_are_refused_with_one_line() {
    let bad = [
        Model::Eif(Eif { g_l: -1.0, ..eif() }),
        Model::Eif(Eif {
            v_re: -40.0,
            ..eif()
        }),
        Model::Lif(Lif {
            tau: 0.0,
            v_th: 1.0,
            v_re: 0.0,
            mu: 1.0,
            sigma: 0.0,
            tau_ref: 0.0,
            scheme: LifScheme::Exact,
        }),
        Model::Qif(Qif {
            drive: f64::NAN,
            v_peak: 1.0,
        }),
        Model::Qif(Qif {
            drive: 1.0,
            v_peak: 0.0,
        }),
    ];
    for m in bad {
        let spec = lonely(2, m, vec![], 0.0, 0.1);
        let e = Network::build(&spec, 1).err().expect("refused");
        assert!(!e.to_string().contains('\n'), "{e}");
    }
    // QIF with a current channel, LIF with a conductance: unsupported, not wrong.
    let q = lonely(
        2,
        Model::Qif(Qif {
            drive: 1.0,
            v_peak: f64::INFINITY,
        }),
        vec![Synapse::Current { tau: 1.0 }],
        0.0,
        0.1,
    );
    assert!(Network::build(&q, 1).is_err());
}
