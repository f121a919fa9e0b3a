//! Theory hot paths. Targets (issue 2): one J_c at any N under 1 ms; the 100 x 100
//! fixed-point grid under 1 s on 2 cores.

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use theory::critical::{JcSearch, critical_coupling, critical_coupling_limit};
use theory::fixed_point::homogeneous;
use theory::{Params, Transfer};

fn critical(c: &mut Criterion) {
    let mut g = c.benchmark_group("critical_coupling");
    for n in [1e4, 1e6, 1e12] {
        let p = Params {
            n,
            ..Params::default()
        };
        g.bench_with_input(BenchmarkId::new("erf", format!("{n:e}")), &p, |b, p| {
            b.iter(|| {
                critical_coupling(black_box(p), &JcSearch::default())
                    .unwrap()
                    .j_c
            })
        });
    }
    let lif = Params {
        n: 1e9,
        i0: 1.2,
        transfer: Transfer::Lif { tau_m: 1.0 },
        tau_syn: 10.0,
        ..Params::default()
    };
    g.bench_function("lif/1e9", |b| {
        b.iter(|| {
            critical_coupling(black_box(&lif), &JcSearch::default())
                .unwrap()
                .j_c
        })
    });
    g.bench_function("erf/inf", |b| {
        b.iter(|| critical_coupling_limit(black_box(&Params::default())).unwrap())
    });
    g.finish();
}

fn fixed_point(c: &mut Criterion) {
    let mut g = c.benchmark_group("homogeneous_fixed_point");
    for n in [1e4, 1e12] {
        let p = Params {
            n,
            ..Params::default()
        };
        g.bench_with_input(BenchmarkId::from_parameter(format!("{n:e}")), &p, |b, p| {
            b.iter(|| homogeneous(black_box(p)).unwrap().primary.phi_e)
        });
    }
    g.finish();
}

fn grid(c: &mut Criterion) {
    let mut g = c.benchmark_group("fixed_point_grid_100x100");
    g.sample_size(10);
    for threads in [1, 2] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        g.bench_function(format!("{threads}_threads"), |b| {
            b.iter(|| pool.install(|| benches::fixed_point_grid(black_box(100))))
        });
    }
    g.finish();
}

/// Phi over 5000 values (one rate-network step's worth at N = 5000) with each build of
/// theory::normal_cdf, against libm's erfc one value at a time (the alternative; what
/// `Transfer::phi` uses). Values spread over [-6, 6], where the rate network's inputs lie.
fn normal_cdf(c: &mut Criterion) {
    use theory::normal_cdf::{Simd, normal_cdf_density_slice_with, normal_cdf_slice_with};
    let mut g = c.benchmark_group("normal_cdf_5000");
    g.throughput(criterion::Throughput::Elements(5000));
    let z: Vec<f64> = (0..5000)
        .map(|i| ((i * 7919) % 5000) as f64 / 5000.0 * 12.0 - 6.0)
        .collect();
    let (mut p, mut d) = (vec![0.0; 5000], vec![0.0; 5000]);
    for simd in Simd::available() {
        g.bench_function(format!("phi_{simd:?}"), |b| {
            b.iter(|| normal_cdf_slice_with(simd, &z, &mut p))
        });
        g.bench_function(format!("phi_and_density_{simd:?}"), |b| {
            b.iter(|| normal_cdf_density_slice_with(simd, &z, &mut p, &mut d))
        });
    }
    g.bench_function("phi_libm_erfc", |b| {
        b.iter(|| {
            for (o, &z) in p.iter_mut().zip(&z) {
                *o = 0.5 * libm::erfc(-z * std::f64::consts::FRAC_1_SQRT_2);
            }
        })
    });
    g.finish();
}

criterion_group!(benches, critical, fixed_point, grid, normal_cdf);
criterion_main!(benches);
