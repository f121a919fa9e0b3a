//! DF_het spectrum against the Girko prediction, and Lyapunov exponents against the spectrum
//! and the trace identity (about 5 s in all).

use sim::connectivity::{Autapses, Connectivity, Sizes};
use sim::integrate::{Integrator, Method};
use sim::jacobian::dense_jacobian;
use sim::network::RateNetwork;
use sim::run::initial_state;
use sim::spectrum::{fixed_point_state, spectrum};
use sim::tangent::{LyapunovRegime, LyapunovSpec, lyapunov};
use theory::Params;
use theory::fixed_point::homogeneous;

fn network(p: Params, seed: u64) -> RateNetwork {
    RateNetwork::new(
        Connectivity::generate(Sizes::massive(&p).unwrap(), seed, Autapses::Allowed).unwrap(),
        p,
    )
}

#[test]
fn eigenvalues_fill_the_girko_disk_near_the_transition() {
    // N = 1000 (dimension 1800). Near J_c the bulk edge decides stability. Tolerance 8 % of r:
    // the edge of a finite random matrix fluctuates by O(N^-1/2) ~ 3 % of r, and Eq. 25 uses
    // the zeroth-order a(lambda = 0) while the edge sits at lambda ~ +-0.15 (about 3 % more).
    for j0 in [0.7, 0.9] {
        let net = network(
            Params {
                n: 1000.0,
                j0,
                ..Params::default()
            },
            1,
        );
        let s = spectrum(&net).unwrap();
        let r = s.girko_radius;
        assert!(
            (s.max_re - s.bulk_max_re_theory).abs() < 0.08 * r,
            "J0 = {j0}: max Re {} vs -1 + r = {}",
            s.max_re,
            s.bulk_max_re_theory
        );
        let mut rest = s.eigenvalues.clone();
        for h in &s.hom_eigenvalues {
            let k = (0..rest.len())
                .min_by(|&a, &b| (rest[a] - h).norm().total_cmp(&(rest[b] - h).norm()))
                .unwrap();
            // Uniform vectors span an invariant subspace: the homogeneous-mode eigenvalues
            // are exact eigenvalues of DF_het (to eigensolver rounding).
            assert!(
                (rest[k] - h).norm() < 1e-8,
                "homogeneous eigenvalue {h} missing"
            );
            rest.remove(k);
        }
        let outside = rest.iter().filter(|z| (*z + 1.0).norm() > 1.08 * r).count();
        assert_eq!(
            outside, 0,
            "J0 = {j0}: {outside} eigenvalues outside the disk of radius 1.08 r"
        );
    }
}

#[test]
fn largest_exponent_is_the_rightmost_eigenvalue_at_a_stable_fixed_point() {
    // J0 = 0.1, N = 600: start on the fixed point, where the tangent map is exactly
    // I + dt DF_het, so Lambda_1 = ln|1 + dt lambda_max| / dt. Finite-time error: the
    // orthonormalised vector aligns with the leading eigenvector at the rate of the spectral
    // gap; after a transient of 200 and averaging over 400 time units 2e-3 is ample.
    let p = Params {
        n: 600.0,
        j0: 0.1,
        ..Params::default()
    };
    let net = network(p, 3);
    let s = spectrum(&net).unwrap();
    let lead = s
        .eigenvalues
        .iter()
        .max_by(|a, b| a.re.total_cmp(&b.re))
        .unwrap();
    let dt = 0.05;
    let expected = (1.0 + dt * lead).norm().ln() / dt;
    let fp = homogeneous(&Params {
        c_e: net.conn.sizes.k_e as f64 / 600.0,
        c_i: net.conn.sizes.k_i as f64 / 600.0,
        ..p
    })
    .unwrap()
    .primary;
    let spec = LyapunovSpec {
        k: 2,
        dt,
        t: 400.0,
        transient: 200.0,
        t_ort: 5.0,
        zero_tol: 5e-3,
    };
    let res = lyapunov(
        &net,
        fixed_point_state(&net, &fp),
        &spec,
        1,
        &mut sim::checkpoint::Silent,
    )
    .unwrap();
    assert!(res.exponents[0] < 0.0);
    assert!(
        (res.exponents[0] - expected).abs() < 2e-3,
        "Lambda_1 = {}, ln|1 + dt lambda|/dt = {expected}",
        res.exponents[0]
    );
    assert_eq!(res.regime, LyapunovRegime::FixedPoint);
}

#[test]
fn strong_coupling_is_chaotic() {
    // J0 = 1.5 (Fig. 7-8: rate chaos). At N = 2000 over 300 time units the finite-time
    // exponent is ~0.07 (0.074 at N = 5000); we require it to be clearly positive (> 0.01,
    // twice the zero tolerance). N = 1000 (K_I = 5) is not chaotic at this coupling
    // (Lambda_1 = 0.002 +- 0.005): small in-degrees delay the transition.
    let p = Params {
        n: 2000.0,
        j0: 1.5,
        ..Params::default()
    };
    let net = network(p, 1);
    let spec = LyapunovSpec {
        k: 2,
        dt: 0.05,
        t: 300.0,
        transient: 100.0,
        t_ort: 5.0,
        zero_tol: 5e-3,
    };
    let res = lyapunov(
        &net,
        initial_state(&net, 1),
        &spec,
        1,
        &mut sim::checkpoint::Silent,
    )
    .unwrap();
    assert!(res.exponents[0] > 0.01, "{:?}", res.exponents);
    assert_eq!(res.regime, LyapunovRegime::Chaos);
}

#[test]
fn full_spectrum_sums_to_the_mean_trace() {
    // A tiny sparse network (N = 4: N_E = 3, N_I = 1, K_E = 2, K_I = 1; dimension 7), all 7
    // exponents. For the Euler map, sum Lambda = < ln|det(I + dt J)| > / dt exactly (up to
    // rounding, 1e-9); and that differs from < tr J > by the O(dt) term
    // - dt < tr(J^2) > / 2 + O(dt^2), which we check to 10 % of its size plus 1e-6.
    let p = Params {
        n: 4.0,
        j0: 1.5,
        i0: 0.2,
        ..Params::default()
    };
    let sizes = Sizes::sparse(&p, 2, 1).unwrap();
    let net = RateNetwork::new(
        Connectivity::generate(sizes, 2, Autapses::Allowed).unwrap(),
        p,
    );
    let dt = 0.01;
    let (t, transient) = (200.0, 0.0);
    let spec = LyapunovSpec {
        k: 7,
        dt,
        t,
        transient,
        t_ort: 0.5,
        zero_tol: 1e-3,
    };
    let y0 = initial_state(&net, 4);
    let res = lyapunov(&net, y0.clone(), &spec, 1, &mut sim::checkpoint::Silent).unwrap();
    let sum: f64 = res.exponents.iter().sum();
    // Replay the same trajectory (the plain Euler step is bitwise the fused one).
    let mut integ = Integrator::new(&net, Method::Euler);
    let mut y = y0;
    let steps = (t / dt).round() as usize;
    let (mut logdet, mut trace, mut tr2) = (0.0, 0.0, 0.0);
    for _ in 0..steps {
        let j = dense_jacobian(&net, &y);
        let d = j.nrows();
        let mut a = faer::Mat::<f64>::identity(d, d);
        for r in 0..d {
            for c in 0..d {
                a[(r, c)] += dt * j[(r, c)];
            }
        }
        logdet += a.determinant().abs().ln();
        trace += (0..d).map(|r| j[(r, r)]).sum::<f64>();
        tr2 += (0..d)
            .map(|r| (0..d).map(|c| j[(r, c)] * j[(c, r)]).sum::<f64>())
            .sum::<f64>();
        integ.step(&net, &mut y, dt, |_, _, _| {});
    }
    let n = steps as f64;
    let (logdet, trace, tr2) = (logdet / n / dt, trace / n, tr2 / n);
    assert_eq!(y, res.y, "replayed trajectory differs");
    assert!(
        (sum - logdet).abs() < 1e-9 * (1.0 + logdet.abs()),
        "sum {sum} vs log det {logdet}"
    );
    let correction = -dt * tr2 / 2.0;
    assert!(
        (sum - trace - correction).abs() < 0.1 * correction.abs() + 1e-6,
        "sum {sum}, trace {trace}, O(dt) term {correction}"
    );
}
