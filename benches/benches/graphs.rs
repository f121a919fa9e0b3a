//! Random graph generation for the spiking engine (`sim::graphs`): synapses drawn per second,
//! against the fixed in-degree generator of the rate network on the same number of synapses.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sim::connectivity::{Autapses, Connectivity, Sizes};
use sim::graphs::{erdos_renyi, partially_symmetric};

fn generate(c: &mut Criterion) {
    // Paper 003a's scale: n = 10000, p = 0.1 (1e7 synapses).
    let (n, p) = (10_000, 0.1);
    let mut g = c.benchmark_group("graphs_n1e4_p0.1");
    g.sample_size(10);
    g.throughput(Throughput::Elements((n as f64 * n as f64 * p) as u64));
    g.bench_function("erdos_renyi", |b| {
        b.iter(|| erdos_renyi(n, n, p, true, false, 1, 0).unwrap())
    });
    g.bench_function("partially_symmetric_q0.5", |b| {
        b.iter(|| partially_symmetric(n, p, 0.5, 1).unwrap())
    });
    // The same synapse count with fixed in-degrees (K_E + K_I = 1000 per neuron).
    let sizes = Sizes {
        n_e: 8000,
        n_i: 2000,
        k_e: 800,
        k_i: 200,
    };
    g.bench_function("fixed_in_degree", |b| {
        b.iter(|| Connectivity::generate(sizes, 1, Autapses::Allowed).unwrap())
    });
    g.finish();
}

criterion_group!(benches, generate);
criterion_main!(benches);
