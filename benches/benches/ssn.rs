//! The second model's hot paths (issue 7). Target: one Ricciardi evaluation well under 1 us on
//! average over a grid from far below threshold to the refractory limit; measured beside the
//! alternative it replaces, adaptive quadrature of the defining integral at 1e-12.

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use theory::ssn::ricciardi::{Neuron, rate, rate_with_derivatives};

/// 205 (mu, sigma) points: mean free potential -20..60 mV, sd 0.5..10 mV, tau_ref = 2 ms.
fn grid() -> (Neuron, Vec<(f64, f64)>) {
    let n = Neuron {
        tau_ref: 0.002,
        ..Neuron::default()
    };
    let mut pts = Vec::new();
    for sd in [0.5, 1.0, 2.0, 5.0, 10.0] {
        for k in 0..=40 {
            let m = -20.0 + 2.0 * k as f64;
            pts.push((m / n.tau, sd / (n.tau / 2.0).sqrt()));
        }
    }
    (n, pts)
}

/// The alternative: the defining u-integral by adaptive Gauss-Legendre.
fn adaptive(n: &Neuron, mu: f64, sigma: f64) -> f64 {
    let st = sigma * n.tau.sqrt();
    let a = (n.theta - mu * n.tau) / st;
    let b = (n.v_r - mu * n.tau) / st;
    let s = a.max(0.0).powi(2);
    let i = theory::quadrature::integrate_scalar(
        |u| (u * u - s).exp() * libm_erfc(-u),
        b,
        a,
        0.0,
        1e-12,
    );
    let es = (-s).exp();
    es / (n.tau_ref * es + n.tau * std::f64::consts::PI.sqrt() * i)
}

fn libm_erfc(x: f64) -> f64 {
    // erfc through the erf transfer function of the flagship model: Phi(z) = erfc(-z/sqrt2)/2.
    2.0 * theory::Transfer::Erf.phi(-x * std::f64::consts::SQRT_2)
}

fn ricciardi(c: &mut Criterion) {
    let (n, pts) = grid();
    let mut g = c.benchmark_group("ricciardi_205_points");
    g.bench_function("rate", |b| {
        b.iter(|| {
            pts.iter()
                .map(|&(m, s)| rate(&n, black_box(m), s))
                .sum::<f64>()
        })
    });
    g.bench_function("rate_and_derivatives", |b| {
        b.iter(|| {
            pts.iter()
                .map(|&(m, s)| rate_with_derivatives(&n, black_box(m), s).drate_dmu)
                .sum::<f64>()
        })
    });
    g.sample_size(10);
    g.bench_function("adaptive_quadrature", |b| {
        b.iter(|| {
            pts.iter()
                .map(|&(m, s)| adaptive(&n, black_box(m), s))
                .sum::<f64>()
        })
    });
    g.finish();
}

/// The 200 x 200 regime map of Fig. 5 (target: under 2 s on 2 cores) for the bistable set of
/// golden/ssn/ (its fitted SSN, written out so the bench needs no file), mu_ext 0-400 mV/s,
/// r 0.2-2; beside the same map on one thread.
fn regime_map(c: &mut Criterion) {
    use theory::ssn::network::Ssn;
    use theory::ssn::power_law::PowerLaw;
    let s = Ssn {
        e: PowerLaw {
            a: 2.906e-10,
            b: -179.22,
            n: 3.6519,
            rms: 0.0,
        },
        i: PowerLaw {
            a: 5.133e-12,
            b: 375.28,
            n: 4.1290,
            rms: 0.0,
        },
        j_ee: 72.0,
        j_ei: 64.0,
        j_ie: 128.0,
        j_ii: 80.0,
        tau_e: 0.02,
        tau_i: 0.01,
    };
    let mu: Vec<f64> = (0..200).map(|k| 2.0 * k as f64).collect();
    let r: Vec<f64> = (0..200).map(|k| 0.2 + 0.009 * k as f64).collect();
    let mut g = c.benchmark_group("ssn_regime_map_200x200");
    g.sample_size(10);
    for threads in [1, 2] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        g.bench_function(format!("{threads}_threads"), |b| {
            b.iter(|| pool.install(|| s.scan(black_box(&mu), &r).len()))
        });
    }
    g.finish();
}

criterion_group!(benches, ricciardi, regime_map);
criterion_main!(benches);
