//! The rate network's hot loop: one Euler step of Eq. 1 at J0 = 1.5 (the yardstick setting),
//! reported as synaptic updates per second (N (K_E + K_I) per step) via criterion throughput.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use sim::connectivity::{Autapses, Connectivity, Sizes};
use sim::integrate::{Integrator, Method};
use sim::network::RateNetwork;
use theory::Params;

/// The yardstick network at N (J0 = 1.5, seed 1) and its sizes.
fn network(n: f64) -> (RateNetwork, Sizes) {
    let p = Params {
        n,
        j0: 1.5,
        ..Params::default()
    };
    let sizes = Sizes::massive(&p).unwrap();
    let net = RateNetwork::new(
        Connectivity::generate(sizes, 1, Autapses::Allowed).unwrap(),
        p,
    );
    (net, sizes)
}

fn euler_step(c: &mut Criterion) {
    let mut g = c.benchmark_group("rate_euler_step");
    for n in [5000.0, 20000.0] {
        let (net, sizes) = network(n);
        g.throughput(Throughput::Elements(sizes.synapses() as u64));
        for threads in [1, 2] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            let mut integ = Integrator::new(&net, Method::Euler);
            let mut y: Vec<f64> = (0..net.dim())
                .map(|i| {
                    if i < net.n() {
                        ((i * 7919) % 1000) as f64 / 500.0 - 1.0
                    } else {
                        1.0
                    }
                })
                .collect();
            g.bench_function(BenchmarkId::new(format!("{threads}_threads"), n), |b| {
                pool.install(|| b.iter(|| integ.step(&net, &mut y, 0.05, |_, _, _| {})))
            });
        }
    }
    g.finish();
}

fn lyapunov_cost(c: &mut Criterion) {
    // 5 time units (100 Euler steps) of a plain run against the same with k = 2 tangent vectors
    // (target: less than 2x), N = 5000, 1 thread.
    let mut g = c.benchmark_group("lyapunov_vs_plain_n5000");
    let p = Params {
        n: 5000.0,
        j0: 1.5,
        ..Params::default()
    };
    let net = RateNetwork::new(
        Connectivity::generate(Sizes::massive(&p).unwrap(), 1, Autapses::Allowed).unwrap(),
        p,
    );
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    // Both runs start from the same point on the chaotic attractor (after 20 time units) and
    // include their setup (buffers, for Lyapunov also the random tangent vectors).
    let mut y0 = sim::run::initial_state(&net, 1);
    let mut integ = Integrator::new(&net, Method::Euler);
    pool.install(|| {
        for _ in 0..400 {
            integ.step(&net, &mut y0, 0.05, |_, _, _| {})
        }
    });
    g.bench_function("plain_100_steps", |b| {
        pool.install(|| {
            b.iter(|| {
                let mut integ = Integrator::new(&net, Method::Euler);
                let mut y = y0.clone();
                for _ in 0..100 {
                    integ.step(&net, &mut y, 0.05, |_, _, _| {})
                }
                y
            })
        })
    });
    let spec = sim::tangent::LyapunovSpec {
        k: 2,
        dt: 0.05,
        t: 5.0,
        transient: 0.0,
        t_ort: 100.0,
        zero_tol: 1e-3,
    };
    g.bench_function("lyapunov_k2_100_steps", |b| {
        pool.install(|| {
            b.iter(|| {
                sim::tangent::lyapunov(&net, y0.clone(), &spec, 1, &mut sim::checkpoint::Silent)
                    .unwrap()
            })
        })
    });
    g.finish();
}

fn ensemble(c: &mut Criterion) {
    // Four realizations on one network (different initial states), one Euler step each:
    // advanced together (one pass over the indices, W = 4) against one after the other, 1
    // thread. Throughput: synaptic updates of all four, so the ratio of the two is the gain
    // per realization.
    let mut g = c.benchmark_group("ensemble_4_realizations");
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    for n in [5000.0, 20000.0] {
        let (net, sizes) = network(n);
        g.throughput(Throughput::Elements(4 * sizes.synapses() as u64));
        let ys: Vec<Vec<f64>> = (1..=4).map(|s| sim::run::initial_state(&net, s)).collect();
        let mut alone: Vec<Vec<f64>> = ys.clone();
        let mut integ = Integrator::new(&net, Method::Euler);
        g.bench_function(BenchmarkId::new("one_after_the_other", n), |b| {
            pool.install(|| {
                b.iter(|| {
                    for y in alone.iter_mut() {
                        integ.step(&net, y, 0.05, |_, _, _| {})
                    }
                })
            })
        });
        let mut ens = sim::ensemble::EnsembleStep::<4>::new(&net);
        let mut together = ys.clone();
        g.bench_function(BenchmarkId::new("together", n), |b| {
            pool.install(|| {
                b.iter(|| {
                    let refs: Vec<&[f64]> = together.iter().map(Vec::as_slice).collect();
                    ens.euler(&net, &refs, 0.05);
                    for (y, next) in together.iter_mut().zip(&ens.next) {
                        y.copy_from_slice(next);
                    }
                })
            })
        });
    }
    g.finish();
}

criterion_group!(benches, euler_step, lyapunov_cost, ensemble);
criterion_main!(benches);
