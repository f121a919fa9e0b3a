//! Paper 002's EIF network on the spiking engine, one run, one JSON line on stdout (the
//! statistics of `../shared/anchors/EIF-YARDSTICKS.md`, for the comparison with NEST and
//! Brian2 in the README):
//!
//! ```text
//! cargo run --release -p sim --example eif_balanced -- N cond|cur C T SEED THREADS
//! ```

use std::time::Instant;

use sim::spiking::eif_balanced::{Params, Synapses};
use sim::spiking::{Network, RunSpec, SpikingRun};

fn main() {
    let a: Vec<String> = std::env::args().collect();
    let arg = |i: usize, d: &str| a.get(i).cloned().unwrap_or_else(|| d.to_string());
    let n: usize = arg(1, "1000").parse().expect("N");
    let synapses = match arg(2, "cond").as_str() {
        "cur" | "current" => Synapses::Current,
        _ => Synapses::Conductance,
    };
    let c: f64 = arg(3, "0").parse().expect("c");
    let t: f64 = arg(4, "5000").parse().expect("T (ms)");
    let seed: u64 = arg(5, "1").parse().expect("seed");
    let threads: usize = arg(6, "1").parse().expect("threads");
    let p = Params {
        n,
        synapses,
        c,
        ..Params::default()
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("thread pool");
    pool.install(|| {
        let started = Instant::now();
        let net = Network::build(&p.spec().expect("spec"), seed).expect("network");
        let build_s = started.elapsed().as_secs_f64();
        let mut run = SpikingRun::new(
            &net,
            RunSpec {
                t,
                observe: Params::observe(t),
            },
        )
        .expect("run");
        let started = Instant::now();
        let total = run.total_steps();
        run.advance_to(&net, total).expect("advance");
        let wall_s = started.elapsed().as_secs_f64();
        let r = run.results(&net);
        let (e, i) = (&r.populations[0], &r.populations[1]);
        let var_v = (e.var_v * e.n as f64 + i.var_v * i.n as f64) / (e.n + i.n) as f64;
        let var_v_step =
            (e.var_v_step * e.n as f64 + i.var_v_step * i.n as f64) / (e.n + i.n) as f64;
        println!(
            "{}",
            serde_json::json!({
                "N": n, "syn": arg(2, "cond"), "c": c, "T": t, "seed": seed, "threads": threads,
                "var_v": var_v, "var_v_e": e.var_v, "var_v_i": i.var_v, "var_v_step": var_v_step,
                "rate_e": e.rate * 1e3, "rate_i": i.rate * 1e3, "count_corr": r.count_corr,
                "mean_v_e": e.mean_v, "mean_v_i": i.mean_v, "g_e": e.synapses, "g_i": i.synapses,
                "n_syn": r.synapses, "connectivity_bytes": net.connectivity_bytes(),
                "wall_s": wall_s, "build_s": build_s,
            })
        );
    });
}
