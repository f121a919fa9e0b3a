//! Rate network against theory, integrator orders, reproducibility (about 2 s in all).

use sim::SimError;
use sim::connectivity::{Autapses, Connectivity, Sizes};
use sim::integrate::{Integrator, Method};
use sim::network::RateNetwork;
use sim::run::{Observe, Regime, Run, RunSpec, initial_state};
use theory::Params;
use theory::fixed_point::homogeneous;

fn network(p: Params, seed: u64) -> RateNetwork {
    RateNetwork::new(
        Connectivity::generate(Sizes::massive(&p).unwrap(), seed, Autapses::Allowed).unwrap(),
        p,
    )
}

fn simulate(net: &RateNetwork, spec: RunSpec, seed: u64) -> Result<Run, SimError> {
    let mut run = Run::new(net, spec.clone(), initial_state(net, seed))?;
    let mut integ = Integrator::new(net, spec.method);
    let total = run.total_steps();
    run.advance(net, &mut integ, total, |_| {})?;
    Ok(run)
}

#[test]
fn converges_to_the_theory_fixed_point_at_small_n() {
    // J0 = 0.1 < J_c: the homogeneous fixed point of Eq. 5 at this N is stable (slowest
    // eigenvalue -0.23, theory). A fixed in-degree network has it exactly (every row sums the
    // same rates), and Euler's fixed points are the zeros of the field, so after 400 time units
    // (e^-92 of the initial distance) the state equals it up to the regime test's residual
    // |dy/dt| < 1e-8, i.e. |x - x*| < 1e-8 / 0.23 ~ 5e-8; we allow 1e-7.
    let p = Params {
        n: 2000.0,
        j0: 0.1,
        i0: 0.5,
        ..Params::default()
    };
    let net = network(p, 4);
    let spec = RunSpec {
        dt: 0.05,
        t: 20.0,
        transient: 400.0,
        method: Method::Euler,
        observe: Observe {
            means: true,
            per_neuron: true,
            ..Observe::default()
        },
    };
    let run = simulate(&net, spec, 9).unwrap();
    let s = run.summary(&net);
    let fp = homogeneous(&p).unwrap().primary;
    assert_eq!(
        s.regime,
        Regime::HomogeneousFixedPoint,
        "residual {}",
        s.residual
    );
    for (name, sim, th) in [
        ("phi_e", s.phi_e, fp.phi_e),
        ("phi_i", s.phi_i, fp.phi_i),
        ("w", s.w, fp.w),
        ("mu_e", s.mu_e, fp.x_e),
        ("mu_i", s.mu_i, fp.x_i),
        ("a_e", s.a_e, fp.a_e),
        ("a_i", s.a_i, fp.a_i),
    ] {
        assert!(
            (sim - th).abs() < 1e-7,
            "{name}: simulation {sim}, theory {th}"
        );
    }
    // At a fixed point the inputs do not fluctuate.
    assert!(s.delta0_e < 1e-14 && s.delta0_i < 1e-14);
}

#[test]
fn chaotic_run_is_bitwise_identical_for_1_and_2_threads() {
    // The fused Euler step, the generic field (Heun), every observer (correlations included)
    // and the fused tangent step of the Lyapunov analysis.
    let p = Params {
        n: 1000.0,
        j0: 1.5,
        ..Params::default()
    };
    let net = network(p, 2);
    let pool = |threads| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
    };
    for method in [Method::Euler, Method::Heun] {
        let spec = RunSpec {
            dt: 0.05,
            t: 10.0,
            transient: 0.0,
            method,
            observe: Observe {
                means: true,
                per_neuron: true,
                correlations: Some(5),
                ..Observe::default()
            },
        };
        let run_with = |threads| pool(threads).install(|| simulate(&net, spec.clone(), 3).unwrap());
        let (a, b) = (run_with(1), run_with(2));
        assert_eq!(a.y, b.y, "{method:?}");
        assert_eq!(a.acc.s2, b.acc.s2, "{method:?}");
        let (sa, sb) = (a.summary(&net), b.summary(&net));
        assert_eq!(sa.correlations, sb.correlations, "{method:?}");
        assert_eq!(sa.regime, Regime::TimeDependent);
    }
    let spec = sim::tangent::LyapunovSpec {
        k: 2,
        dt: 0.05,
        t: 10.0,
        transient: 0.0,
        t_ort: 2.0,
        zero_tol: 1e-3,
    };
    let y0 = sim::run::initial_state(&net, 3);
    let lyap = |threads| {
        pool(threads).install(|| {
            sim::tangent::lyapunov(&net, y0.clone(), &spec, 3, &mut sim::checkpoint::Silent)
                .unwrap()
                .exponents
        })
    };
    assert_eq!(lyap(1), lyap(2));
}

#[test]
fn integrators_have_their_orders() {
    // Error at T = 2 against a reference with dt = 1e-3 (RK4). Halving dt divides the error by
    // 2^order; the ratio is checked within 20 % (the next order in dt at dt = 0.05).
    let p = Params {
        n: 400.0,
        j0: 1.5,
        ..Params::default()
    };
    let net = network(p, 1);
    let end = |method, dt: f64| {
        let spec = RunSpec {
            dt,
            t: 2.0,
            transient: 0.0,
            method,
            observe: Observe::default(),
        };
        simulate(&net, spec, 5).unwrap().y
    };
    let reference = end(Method::Rk4, 1e-3);
    let err = |y: Vec<f64>| {
        y.iter()
            .zip(&reference)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max)
    };
    for (method, order) in [(Method::Euler, 1), (Method::Heun, 2), (Method::Rk4, 4)] {
        let (e1, e2) = (err(end(method, 0.1)), err(end(method, 0.05)));
        let ratio = e1 / e2;
        let want = 2f64.powi(order);
        assert!(
            (ratio / want - 1.0).abs() < 0.2,
            "{method:?}: error ratio {ratio}, expected {want}"
        );
    }
}

#[test]
fn divergence_stops_with_the_time() {
    let p = Params {
        n: 400.0,
        ..Params::default()
    };
    let net = network(p, 1);
    let mut y0 = initial_state(&net, 1);
    y0[3] = 1e8;
    let spec = RunSpec {
        dt: 0.05,
        t: 10.0,
        transient: 0.0,
        method: Method::Euler,
        observe: Observe::default(),
    };
    let mut run = Run::new(&net, spec, y0).unwrap();
    let mut integ = Integrator::new(&net, Method::Euler);
    match run.advance(&net, &mut integ, u64::MAX, |_| {}) {
        Err(SimError::Diverged { step, t, .. }) => assert!(step == 16 && (t - 0.8).abs() < 1e-12),
        other => panic!("expected divergence, got {other:?}"),
    }
}

#[test]
fn standard_acf_lag_scales_with_tau_syn() {
    // The rate model of the LIF network (Eq. 12: tau_syn = 10, LIF transfer) in its chaotic
    // regime. Its input autocovariance decays on the scale of tau_syn, so the standard
    // observer's lag of 50 tau_syn = 500 reaches the decay, where a fixed lag of 50 (what
    // `simulate rate` used before) cuts it off while still large.
    let p = Params {
        n: 2000.0,
        j0: 1.0,
        i0: 1.2,
        ..Params::lif_paper()
    };
    let net = network(p, 2);
    let dt = 0.1;
    let spec = RunSpec {
        dt,
        t: 3000.0,
        transient: 300.0,
        method: Method::Euler,
        observe: Observe::standard(&p, dt),
    };
    let run = simulate(&net, spec, 1).unwrap();
    let s = run.summary(&net);
    assert_eq!(
        s.regime,
        Regime::TimeDependent,
        "chaotic at these parameters"
    );
    let lag = |t: f64| (t / s.lag_dt).round() as usize;
    assert_eq!(s.acf_e.len(), lag(500.0) + 1, "lags 0 ..= 50 tau_syn");
    // The standard record reaches the decay (C < 0.05 C(0), where theory::acf::tau_dec closes
    // its fit window); cut at a lag of 50 it stops at C(50)/C(0) = 0.11 (seen), so the ACF a
    // user compares or plots would miss its tail. (tau_dec itself moves only 1 %: 24.28 vs
    // 24.02, seen.)
    let c0 = s.acf_e[0];
    let at50 = s.acf_e[lag(50.0)] / c0;
    let tail = s.acf_e[lag(400.0)..]
        .iter()
        .map(|c| (c / c0).abs())
        .fold(0.0, f64::max);
    assert!(
        at50 > 0.05,
        "C(50)/C(0) = {at50:.3}: a lag of 50 stops before the decay"
    );
    assert!(
        tail < 0.05,
        "max |C|/C(0) over lags 400..500 = {tail:.3}: decayed"
    );
}
