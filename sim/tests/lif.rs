//! The LIF spiking network (Eqs. 62-64): closed forms for single neurons, synapses and
//! depression, both integrators; reproducibility; agreement with the theory's fixed point.
//! About 3 s in all (release).

use sim::connectivity::{Autapses, Connectivity, Sizes};
use sim::lif::membrane::{constant_input_rate, first_passage};
use sim::lif::{LifIntegrator, LifNetwork, LifRun, LifSpec, LifState, initial_state};
use theory::Params;
use theory::spiking::tonic_fixed_point;

fn network(p: Params, seed: u64) -> LifNetwork {
    let conn =
        Connectivity::generate(Sizes::massive(&p).unwrap(), seed, Autapses::Allowed).unwrap();
    LifNetwork::new(conn, p).unwrap()
}

fn run(net: &LifNetwork, spec: LifSpec, state: LifState) -> LifRun {
    let mut r = LifRun::new(net, spec, state).unwrap();
    let total = r.total_steps();
    r.advance(net, total, |_| {}).unwrap();
    r
}

fn spec(integrator: LifIntegrator, dt: f64, t: f64) -> LifSpec {
    let mut s = LifSpec::paper(t, 0.0);
    s.integrator = integrator;
    s.dt = dt;
    s.observe.raster = true;
    s
}

/// Spike times of neuron i from a raster.
fn spikes_of(r: &LifRun, i: usize) -> Vec<f64> {
    r.raster()
        .iter()
        .filter(|s| s.0 as usize == i)
        .map(|s| s.1)
        .collect()
}

#[test]
fn uncoupled_neurons_fire_as_the_closed_forms_say() {
    // J0 = 0: every neuron obeys dv/dt = -v + I0 from its random v0 (constant input).
    let i0 = 1.5;
    let p = Params {
        n: 200.0,
        j0: 0.0,
        i0,
        ..Params::lif_paper()
    };
    let net = network(p, 1);
    let h = 1e-3;
    for tau_ref in [0.0, 0.3] {
        // Exact integrator: first passage ln((I0 - v0)/(I0 - 1)) and ISI tau_ref + ln(I0/(I0 - 1))
        // to the accuracy of the crossing-time solver (1e-14 h) plus rounding of t0 + k h.
        let mut sp = spec(LifIntegrator::Exact, 0.01, 10.0);
        sp.tau_ref = tau_ref;
        let x0 = initial_state(&net, 5);
        let r = run(&net, sp, x0.clone());
        let isi = 1.0 / constant_input_rate(i0, tau_ref);
        for i in 0..net.n() {
            let t = spikes_of(&r, i);
            assert!(
                (t[0] - first_passage(x0.v[i], i0)).abs() < 1e-11,
                "{i}: {}",
                t[0]
            );
            for w in t.windows(2) {
                assert!((w[1] - w[0] - isi).abs() < 1e-11, "{i}: {w:?}");
            }
        }
        // Euler: the discrete solution v_k = I0 + (v0 - I0)(1 - h)^k first reaches 1 at
        // k* = ceil(ln((I0 - 1)/(I0 - v0)) / ln(1 - h)); after a reset, the period is
        // m + k_p steps (m = tau_ref / h clamped steps). Against the continuum the first
        // passage is late by less than h (quantisation) plus the Euler drift T h / 2.
        let mut sp = spec(LifIntegrator::Euler, h, 10.0);
        sp.tau_ref = tau_ref;
        let r = run(&net, sp, x0.clone());
        let steps = |from: f64| ((i0 - 1.0) / (i0 - from)).ln() / (1.0 - h).ln();
        let m = (tau_ref / h + 1e-9).floor();
        let period = (m + steps(0.0).ceil()) * h;
        for i in 0..net.n() {
            let t = spikes_of(&r, i);
            let k = steps(x0.v[i]);
            // Off by one step only if k* is within rounding of an integer.
            let d = (t[0] - k.ceil() * h).abs();
            assert!(
                d < 1e-9 || (k - k.round()).abs() < 1e-6,
                "{i}: {} vs {}",
                t[0],
                k.ceil() * h
            );
            let tc = first_passage(x0.v[i], i0);
            assert!(
                t[0] - tc > -tc * h && t[0] - tc < h + tc * h,
                "{i}: {} {tc}",
                t[0]
            );
            for w in t.windows(2) {
                assert!(
                    (w[1] - w[0] - period).abs() < 1e-9,
                    "{i}: {w:?} vs {period}"
                );
            }
        }
    }
}

#[test]
fn synaptic_kicks_decay_and_depression_recovers_as_the_closed_forms_say() {
    // Neuron 0 starts just below threshold, all others far below (v = -1000, about 7.6 time
    // units from threshold under I0 = 1.5), so in the first 5 time units only neuron 0 fires.
    // Its first E and I targets then carry s(t) = sum_f kick w_f e^{-(t - t_f)/tau_syn}
    // (E target) and sum_f kick e^{-(t - t_f)/tau_syn} (I target); its own w recovers as
    // 1 - (1 - w_post) e^{-(t - t_f)/tau_D} and drops by (1 - u) at each spike.
    let p = Params {
        n: 1000.0,
        j0: 0.4,
        i0: 1.5,
        ..Params::lif_paper()
    };
    let net = network(p, 2);
    let (to_e, to_i) = net.out_lists(0);
    let te = *to_e.iter().find(|&&t| t != 0).expect("an E target") as usize;
    let ti = to_i[0] as usize;
    for integ in [LifIntegrator::Exact, LifIntegrator::Euler] {
        let h = 1e-3;
        let mut sp = spec(integ, h, 5.0);
        sp.observe.sample_every = 10;
        sp.observe.traces = vec![0, te, ti];
        let mut x0 = initial_state(&net, 1);
        x0.v.iter_mut().for_each(|v| *v = -1000.0);
        x0.v[0] = 0.999;
        let r = run(&net, sp, x0);
        assert!(r.raster().iter().all(|s| s.0 == 0), "only neuron 0 fires");
        let tf = spikes_of(&r, 0);
        assert!(tf.len() >= 4, "{}", tf.len());
        // Depression and decay factors of the scheme over a time t.
        let euler = integ == LifIntegrator::Euler;
        let decay = |t: f64, tau: f64| {
            if euler {
                (1.0 - h / tau).powf((t / h).round())
            } else {
                (-t / tau).exp()
            }
        };
        // w at each spike (before the drop), by the closed-form recursion.
        let mut w_pre = Vec::new();
        let (mut w, mut tw) = (1.0, 0.0);
        for &t in &tf {
            let wp = 1.0 - (1.0 - w) * decay(t - tw, p.tau_d);
            w_pre.push(wp);
            w = wp * (1.0 - p.u);
            tw = t;
        }
        let (mut worst_s, mut worst_w) = (0.0f64, 0.0f64);
        let (trace_t, trace_data) = r.traces();
        assert_eq!(trace_t.len(), 500);
        for (k, &t) in trace_t.iter().enumerate() {
            let (mut se, mut si) = (0.0, 0.0);
            let mut w_now = 1.0;
            for (f, &t_f) in tf.iter().enumerate() {
                // A sample at the end of a step is taken before the arrivals of that step's
                // spikes (the left limit, module docs of sim::lif); w drops at the spike.
                if t_f <= t - h + 1e-9 {
                    let g = decay(t - t_f, p.tau_syn);
                    se += net.kick_ee * w_pre[f] * g;
                    si += net.kick_ie * g;
                }
                if t_f <= t + 1e-9 {
                    w_now = 1.0 - (1.0 - w_pre[f] * (1.0 - p.u)) * decay(t - t_f, p.tau_d);
                }
            }
            let [_, mu_e, _] = trace_data[1][k];
            let [_, mu_i, _] = trace_data[2][k];
            let [_, _, w0] = trace_data[0][k];
            worst_s = worst_s
                .max((mu_e - p.i0 - se).abs())
                .max((mu_i - p.i0 - si).abs());
            worst_w = worst_w.max((w0 - w_now).abs());
        }
        // Both schemes against their own closed forms: rounding only (sums of ~5 terms of
        // size 0.01, and exp of arguments < 1).
        assert!(
            worst_s < 1e-12 && worst_w < 1e-12,
            "{integ:?}: {worst_s:e} {worst_w:e}"
        );
    }
}

#[test]
fn euler_converges_to_the_exact_scheme_at_first_order() {
    // Same start, fixed-point regime (J0 = 0.1), 5 time units: the first spike times of the
    // Euler scheme approach those of the exact scheme linearly in dt (first order: halving
    // dt halves the mean deviation, within 30 %).
    let p = Params {
        n: 1000.0,
        j0: 0.1,
        ..Params::lif_paper()
    };
    let net = network(p, 3);
    let x0 = initial_state(&net, 3);
    let first = |integ, dt| {
        let r = run(&net, spec(integ, dt, 3.0), x0.clone());
        (0..net.n())
            .map(|i| spikes_of(&r, i).first().copied().unwrap_or(f64::NAN))
            .collect::<Vec<f64>>()
    };
    let exact = first(LifIntegrator::Exact, 1e-4);
    let dev = |dt| {
        let e = first(LifIntegrator::Euler, dt);
        let d: Vec<f64> = e.iter().zip(&exact).map(|(a, b)| (a - b).abs()).collect();
        assert!(d.iter().all(|x| x.is_finite()));
        d.iter().sum::<f64>() / d.len() as f64
    };
    let (d1, d2) = (dev(4e-3), dev(2e-3));
    let ratio = d1 / d2;
    assert!((1.4..2.6).contains(&ratio), "{d1:e} {d2:e} ratio {ratio}");
    // The exact scheme at a 100 times larger step is far closer to the reference than Euler
    // at the same step: its only errors are kicks delivered at the end of the step to a
    // target that crosses inside it, while Euler errs on every neuron at O(dt).
    let coarse = first(LifIntegrator::Exact, 1e-2);
    let d_exact = coarse
        .iter()
        .zip(&exact)
        .map(|(a, b)| (a - b).abs())
        .sum::<f64>()
        / exact.len() as f64;
    let d_euler = dev(1e-2);
    eprintln!(
        "mean first-spike deviation: Euler {d1:e} (dt 4e-3) {d2:e} (2e-3) {d_euler:e} (1e-2), exact {d_exact:e} (1e-2)"
    );
    assert!(d_exact < 0.1 * d_euler, "{d_exact:e} vs Euler {d_euler:e}");
}

#[test]
fn same_seed_same_spikes_for_any_thread_count() {
    let p = Params {
        n: 1000.0,
        ..Params::lif_paper()
    };
    let go = |threads: usize, integ| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| {
                let net = network(p, 7);
                let mut r =
                    LifRun::new(&net, spec(integ, 1e-3, 20.0), initial_state(&net, 7)).unwrap();
                // A network this small runs on one thread by default: use every one here.
                r.run.work_per_thread = 0.0;
                let total = r.total_steps();
                r.advance(&net, total, |_| {}).unwrap();
                r.raster()
            })
    };
    for integ in [LifIntegrator::Euler, LifIntegrator::Exact] {
        let a = go(1, integ);
        assert!(a.len() > 1000);
        assert_eq!(a, go(2, integ), "{integ:?}");
        assert_eq!(a, go(1, integ), "{integ:?}");
    }
    let net = network(p, 7);
    let other = run(
        &net,
        spec(LifIntegrator::Euler, 1e-3, 20.0),
        initial_state(&net, 8),
    );
    assert_ne!(other.raster(), go(1, LifIntegrator::Euler));
}

#[test]
fn fixed_point_regime_matches_the_tonic_theory() {
    // J0 = 0.1 < J_c(5000) = 0.2098 (I0 = 1.2, tau_syn = tau_D = 10): every neuron fires
    // tonically. theory::spiking gives the mean-field state with w taken at the spike times
    // of periodic firing; Eq. 5 (the rate model) differs from it by 0.009 in mu_E and 3 % in
    // phi_E, so the tolerances below (1e-3 in mu, 0.5 % in rates and w) separate the two.
    // Sources of deviation: Euler (dt = 1e-3) shifts each ISI by ~dt/2 (2e-4 relative);
    // the spike-train noise of the input (Delta0 ~ 3e-5 here) perturbs the rates through
    // phi's curvature by a few 1e-3 relative.
    let p = Params {
        j0: 0.1,
        ..Params::lif_paper()
    };
    let net = network(p, 1);
    let mut sp = LifSpec::paper(100.0, 100.0);
    sp.observe.acf_neurons = 20;
    let r = run(&net, sp, initial_state(&net, 1));
    let s = r.summary(&net);
    let t = tonic_fixed_point(&p).unwrap();
    eprintln!(
        "sim: mu {} {} rates {} {} w {}\ntheory {t:?}",
        s.mu_e, s.mu_i, s.rate_e, s.rate_i, s.w
    );
    // Measured (seed 1): mu within 3e-4, phi_E 0.24 % and phi_I 0.1 % low, w 0.07 % high.
    assert!((s.mu_e - t.mu_e).abs() < 1e-3, "{} {}", s.mu_e, t.mu_e);
    assert!((s.mu_i - t.mu_i).abs() < 1e-3, "{} {}", s.mu_i, t.mu_i);
    assert!((s.rate_e / t.phi_e - 1.0).abs() < 5e-3);
    assert!((s.rate_i / t.phi_i - 1.0).abs() < 5e-3);
    assert!((s.w / t.w_mean - 1.0).abs() < 5e-3, "{} {}", s.w, t.w_mean);
    // Fixed-point regime: regular firing, identical rates, small input fluctuations.
    assert!(s.cv_e < 0.05 && s.cv_i < 0.1, "{} {}", s.cv_e, s.cv_i);
    assert!(s.rate_var_e < 1e-4 && s.rate_var_i < 1e-4);
    assert!(s.delta0_e < 1e-3 && s.delta0_i < 1e-2);
}

/// Stops the run (as Ctrl-C would) once this fraction of it is done.
struct StopAt(f64);
impl sim::checkpoint::Control for StopAt {
    fn progress(&mut self, done: f64) -> std::ops::ControlFlow<()> {
        if done >= self.0 {
            std::ops::ControlFlow::Break(())
        } else {
            std::ops::ControlFlow::Continue(())
        }
    }
}

#[test]
fn checkpoint_resume_gives_the_uninterrupted_run() {
    // Both integrators: straight through, then stopped at 30 % with a checkpoint file and
    // resumed from it (the engine network is rebuilt, not read): the same raster, traces and
    // summary, bit for bit.
    use sim::checkpoint::{Checkpoints, Silent, run_with_checkpoints};
    let p = Params {
        n: 1000.0,
        ..Params::lif_paper()
    };
    let net = network(p, 4);
    let dir = std::env::temp_dir().join(format!("balnet-lif-ck-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for integ in [LifIntegrator::Euler, LifIntegrator::Exact] {
        let mut sp = spec(integ, 1e-3, 10.0);
        sp.transient = 2.0;
        sp.observe.acf_neurons = 20;
        sp.observe.traces = vec![3, 900];
        let fresh = || LifRun::new(&net, sp.clone(), initial_state(&net, 4));
        let straight =
            run_with_checkpoints(&net, fresh, &Checkpoints::default(), &mut Silent).unwrap();
        let ck = Checkpoints {
            path: Some(dir.join(format!("{integ:?}.ck"))),
            every: Some(2.0),
        };
        let stopped = run_with_checkpoints(&net, fresh, &ck, &mut StopAt(0.3));
        assert!(matches!(stopped, Err(sim::SimError::Interrupted { .. })));
        let resumed = run_with_checkpoints(&net, fresh, &ck, &mut Silent).unwrap();
        assert_eq!(straight.raster(), resumed.raster(), "{integ:?}");
        assert_eq!(
            format!("{:?}", straight.traces()),
            format!("{:?}", resumed.traces())
        );
        let (a, b) = (straight.summary(&net), resumed.summary(&net));
        assert_eq!(
            serde_json::to_string(&a).unwrap(),
            serde_json::to_string(&b).unwrap()
        );
        assert_eq!(a.acf_e, b.acf_e);
    }
    std::fs::remove_dir_all(&dir).ok();
}
