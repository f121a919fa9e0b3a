//! The spiking engine's hot paths (`sim::spiking`): one step of paper 002's EIF network
//! (neuron update + delivery + observers) on 1 and 2 threads, and one step of a sparse
//! inhibitory LIF network with delta synapses and a delay (delivery-bound). Throughput in
//! neuron steps; the network-level comparison with NEST and Brian2 is in the README
//! (`sim/examples/eif_balanced.rs` against `../shared/anchors/eif_*.py`).

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use sim::spiking::eif_balanced::{Params, Synapses};
use sim::spiking::neuron::{Lif, LifScheme, Model, Synapse};
use sim::spiking::{
    Delay, Graph, Init, Network, Observe, Population, Pre, Projection, RunSpec, Spec, SpikingRun,
};

/// A run of `spec` after `warm` time units (so that the network is in its stationary state),
/// long enough for every iteration of the bench.
fn warmed(spec: &Spec, t: f64, warm: f64, observe: Observe) -> (Network, SpikingRun) {
    let net = Network::build(spec, 1).unwrap();
    let mut run = SpikingRun::new(&net, RunSpec { t, observe }).unwrap();
    let w = (warm / spec.dt) as u64;
    run.advance_to(&net, w).unwrap();
    (net, run)
}

fn eif(c: &mut Criterion) {
    let mut g = c.benchmark_group("spiking_eif_step");
    g.sample_size(10);
    for syn in [Synapses::Conductance, Synapses::Current] {
        let n = 4000;
        let p = Params {
            n,
            synapses: syn,
            ..Params::default()
        };
        let spec = p.spec().unwrap();
        // Observers as paper 002's (V bins, counts, conductances) from the start.
        let observe = Observe {
            t_on: 0.0,
            v_on: 0.0,
            ..Params::observe(1e6)
        };
        for threads in [1usize, 2] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            let (net, mut run) = pool.install(|| warmed(&spec, 1e6, 200.0, observe.clone()));
            // 100 steps (10 ms) per iteration.
            g.throughput(Throughput::Elements(100 * n as u64));
            g.bench_function(
                BenchmarkId::new(format!("{syn:?}_n4000_100steps"), threads),
                |b| {
                    b.iter(|| {
                        pool.install(|| {
                            let to = run.step + 100;
                            run.advance_to(&net, to).unwrap()
                        })
                    })
                },
            );
        }
    }
    g.finish();
}

fn inhibitory(c: &mut Criterion) {
    // Paper 003's kind: N = 20000 LIF, K = 500, delta synapses, delay 0.05 tau_m, dt = 0.005.
    let (n, k) = (20_000usize, 500usize);
    let sk = (k as f64).sqrt();
    let spec = Spec {
        dt: 0.005,
        populations: vec![Population {
            name: "i".into(),
            n,
            model: Model::Lif(Lif {
                tau: 1.0,
                v_th: 1.0,
                v_re: 0.0,
                mu: sk,
                sigma: 0.0,
                tau_ref: 0.0,
                scheme: LifScheme::Exact,
            }),
            channels: vec![Synapse::Delta],
            init: Init::Uniform { lo: 0.0, hi: 1.0 },
            depression: None,
        }],
        sources: vec![],
        projections: vec![Projection {
            pre: Pre::Population(0),
            post: 0,
            channel: 0,
            weight: -2.0 / sk,
            graph: Graph::FixedInDegree {
                k,
                self_pairs: false,
            },
            delay: Delay::Fixed { d: 0.05 },
            depressed: false,
        }],
    };
    let mut g = c.benchmark_group("spiking_inhibitory_step");
    g.sample_size(10);
    g.throughput(Throughput::Elements(100 * n as u64));
    for threads in [1usize, 2] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        let (net, mut run) = pool.install(|| warmed(&spec, 1e6, 5.0, Observe::rates(0.0)));
        g.bench_function(BenchmarkId::new("lif_n20000_k500_100steps", threads), |b| {
            b.iter(|| {
                pool.install(|| {
                    let to = run.step + 100;
                    run.advance_to(&net, to).unwrap()
                })
            })
        });
    }
    g.finish();
}

criterion_group!(benches, eif, inhibitory);
criterion_main!(benches);
