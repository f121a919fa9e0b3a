//! The rate network's hot loop: one Euler step of Eq. 1 at J0 = 1.5 (the yardstick setting),
//! reported as synaptic updates per second (N (K_E + K_I) per step) via criterion throughput.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use sim::connectivity::{Autapses, Connectivity, Sizes};
use sim::integrate::{Integrator, Method};
use sim::network::RateNetwork;
use theory::Params;

fn euler_step(c: &mut Criterion) {
    let mut g = c.benchmark_group("rate_euler_step");
    for n in [5000.0, 20000.0] {
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

criterion_group!(benches, euler_step);
criterion_main!(benches);
