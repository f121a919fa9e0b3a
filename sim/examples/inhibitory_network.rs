//! A sparse inhibitory network of paper 003's kind on the spiking engine (LIF or QIF, delta
//! synapses, exactly K partners, one delay), for the engine's size and speed measurements
//! (README, "Performance"). One JSON line on stdout:
//!
//! ```text
//! cargo run --release -p sim --example inhibitory_network -- N K T THREADS [lif|qif]
//! ```
//!
//! Units of tau_m: drive I_0 = sqrt(K) i_0, pulses g = g_0 / sqrt(K) with i_0 = 1, g_0 = 2
//! (balanced rate i_0 / g_0 = 0.5 per tau_m), delay 0.05, dt = 0.005 (tau_m = 20 ms: 1 ms and
//! 0.1 ms), potentials uniform in [0, 1).

use std::time::Instant;

use sim::spiking::neuron::{Lif, LifScheme, Model, Qif, Synapse};
use sim::spiking::{
    Delay, Graph, Init, Network, Observe, Population, Pre, Projection, RunSpec, Spec, SpikingRun,
};

fn main() {
    let a: Vec<String> = std::env::args().collect();
    let arg = |i: usize, d: &str| a.get(i).cloned().unwrap_or_else(|| d.to_string());
    let n: usize = arg(1, "100000").parse().expect("N");
    let k: usize = arg(2, "1000").parse().expect("K");
    let t: f64 = arg(3, "10").parse().expect("T (tau_m)");
    let threads: usize = arg(4, "1").parse().expect("threads");
    let (i0, g0) = (1.0, 2.0);
    let sk = (k as f64).sqrt();
    let model = if arg(5, "lif") == "qif" {
        Model::Qif(Qif {
            drive: sk * i0,
            v_peak: f64::INFINITY,
        })
    } else {
        Model::Lif(Lif {
            tau: 1.0,
            v_th: 1.0,
            v_re: 0.0,
            mu: sk * i0,
            sigma: 0.0,
            tau_ref: 0.0,
            scheme: LifScheme::Exact,
        })
    };
    let spec = Spec {
        dt: 0.005,
        populations: vec![Population {
            name: "i".into(),
            n,
            model,
            channels: vec![Synapse::Delta],
            init: Init::Uniform { lo: 0.0, hi: 1.0 },
            depression: None,
        }],
        sources: vec![],
        projections: vec![Projection {
            pre: Pre::Population(0),
            post: 0,
            channel: 0,
            weight: -g0 / sk,
            graph: Graph::FixedInDegree {
                k,
                self_pairs: false,
            },
            delay: Delay::Fixed { d: 0.05 },
            depressed: false,
        }],
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("pool");
    pool.install(|| {
        let started = Instant::now();
        let net = Network::build(&spec, 1).expect("network");
        let build_s = started.elapsed().as_secs_f64();
        let mut run = SpikingRun::new(
            &net,
            RunSpec {
                t,
                observe: Observe::rates(0.0),
            },
        )
        .expect("run");
        let started = Instant::now();
        let total = run.total_steps();
        run.advance_to(&net, total).expect("advance");
        let wall_s = started.elapsed().as_secs_f64();
        let r = run.results(&net);
        let spikes = r.populations[0].rate * t * n as f64;
        println!(
            "{}",
            serde_json::json!({
                "N": n, "K": k, "T": t, "threads": threads, "model": arg(5, "lif"),
                "rate": r.populations[0].rate, "cv": r.populations[0].cv,
                "spikes": spikes, "deliveries": spikes * k as f64,
                "deliveries_per_s": spikes * k as f64 / wall_s,
                "synapses": r.synapses, "connectivity_bytes": net.connectivity_bytes(),
                "bytes_per_synapse": net.connectivity_bytes() as f64 / r.synapses as f64,
                "wall_s": wall_s, "build_s": build_s,
            })
        );
    });
}
