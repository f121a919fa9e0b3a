//! The LIF spiking network (Eqs. 62-64) at Fig. 11's parameters (N = 5000, J0 = 0.4,
//! I0 = 1.2, tau_syn = tau_D = 10, chaotic regime): wall time per simulated time unit
//! (tau_m), one thread. Compare with `../shared/anchors/run.sh lif` (C, Brian2, NEST), run in
//! the same session: the README records both.

use criterion::{Criterion, criterion_group, criterion_main};
use sim::connectivity::{Autapses, Connectivity, Sizes};
use sim::lif::{LifIntegrator, LifNetwork, LifRun, LifSpec, initial_state};
use theory::Params;

fn lif_time_unit(c: &mut Criterion) {
    let p = Params::lif_paper();
    let conn = Connectivity::generate(Sizes::massive(&p).unwrap(), 1, Autapses::Allowed).unwrap();
    let net = LifNetwork::new(conn, p).unwrap();
    let mut g = c.benchmark_group("lif_n5000_one_tau_m");
    g.sample_size(20);
    // One thread: at N = 5000 the engine runs on one thread on any pool (each thread must get
    // `sim::spiking::engine::WORK_PER_THREAD` of estimated work per step), the old loop's setting.
    for threads in [1usize] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        for (name, integ, dt) in [
            ("euler_dt1e-3", LifIntegrator::Euler, 1e-3),
            ("exact_dt1e-3", LifIntegrator::Exact, 1e-3),
            ("exact_dt1e-2", LifIntegrator::Exact, 1e-2),
        ] {
            // Start from a state inside the chaotic attractor (100 time units of transient),
            // with the observers of `balnet simulate lif` minus the raster.
            let mut spec = LifSpec::paper(1e6, 0.0);
            spec.integrator = integ;
            spec.dt = dt;
            spec.observe.sample_every = ((0.1 / dt).round() as usize).max(1);
            spec.observe.acf_neurons = 200;
            let mut run = LifRun::new(&net, spec, initial_state(&net, 1)).unwrap();
            let warm = (100.0 / dt).round() as u64;
            pool.install(|| run.advance(&net, warm, |_| {}).unwrap());
            let per_tu = (1.0 / dt).round() as u64;
            g.bench_function(format!("{name}_threads{threads}"), |b| {
                b.iter(|| {
                    let until = run.step() + per_tu;
                    pool.install(|| run.advance(&net, until, |_| {}).unwrap());
                })
            });
        }
    }
    g.finish();
}

criterion_group!(benches, lif_time_unit);
criterion_main!(benches);
