//! The DMF solver (issue 4). Targets: converged to a 1 % relative standard error of
//! Delta0^E in under 10 s at N = 5000 (J0 = 1.5, I0 = 0) on 2 cores, and under 60 s at
//! N = 1e10, without a hand-set alpha. The paper's own procedure costs 500 iterations of
//! 200000 time units at dt = 0.06, about 1.7e9 single-site steps: `single_site_steps`
//! measures one step of the w path here, so its time x 1.7e9 is what the paper's procedure
//! would take with this code.

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use std::time::Duration;
use theory::Params;
use theory::dmf::site::Site;
use theory::dmf::{DmfOptions, solve};

fn chaotic(n: f64) -> Params {
    Params {
        n,
        j0: 1.5,
        i0: 0.0,
        ..Params::default()
    }
}

fn single_site(c: &mut Criterion) {
    // One realization of 16384 steps (plus the 1667-step wrap-around transient) with the
    // derivative in mu: the unit of work of the mean solver.
    let l = 16384;
    let site = Site {
        xi_e: (0..l)
            .map(|n| 0.45 * (n as f64 * 0.011).sin() + 0.2 * (n as f64 * 0.173).cos())
            .collect(),
        xi_i: vec![0.0; l],
    };
    let p = chaotic(5000.0);
    let mut g = c.benchmark_group("dmf");
    g.throughput(criterion::Throughput::Elements(l as u64));
    g.bench_function("single_site_steps_16384", |b| {
        b.iter(|| site.excitatory(black_box(&p), 0.06, black_box(-0.67)))
    });
    g.finish();
}

fn converge(c: &mut Criterion) {
    let mut g = c.benchmark_group("dmf_solve_to_1pct");
    g.sample_size(10)
        .measurement_time(Duration::from_secs(60))
        .warm_up_time(Duration::from_secs(1));
    for (name, n) in [("n5000", 5000.0), ("n1e10", 1e10)] {
        let p = chaotic(n);
        g.bench_function(name, |b| {
            b.iter(|| {
                let s = solve(black_box(&p), &DmfOptions::default(), |_| {}).unwrap();
                assert!(s.converged);
                s.values.delta0_e
            })
        });
    }
    g.finish();
}

criterion_group!(benches, single_site, converge);
criterion_main!(benches);
