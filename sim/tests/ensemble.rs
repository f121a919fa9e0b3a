//! Realizations advanced together on one network (`sim::ensemble`) give the same bits as the
//! same runs advanced alone: trajectories, observers and summaries (about 1 s).

use sim::connectivity::{Autapses, Connectivity, Sizes};
use sim::ensemble::{EnsembleStep, advance_together};
use sim::integrate::{Integrator, Method};
use sim::network::RateNetwork;
use sim::run::{AcfSpec, Observe, Run, RunSpec, initial_state};
use theory::Params;

fn net() -> RateNetwork {
    let p = Params {
        n: 1000.0,
        j0: 1.5,
        i0: 0.5,
        ..Params::default()
    };
    RateNetwork::new(
        Connectivity::generate(Sizes::massive(&p).unwrap(), 3, Autapses::Allowed).unwrap(),
        p,
    )
}

fn spec() -> RunSpec {
    RunSpec {
        dt: 0.05,
        t: 20.0,
        transient: 5.0,
        method: Method::Euler,
        observe: Observe {
            means: true,
            per_neuron: true,
            acf: Some(AcfSpec {
                neurons: 50,
                every: 2,
                max_lag: 5.0,
            }),
            traces: vec![0, 900],
            trace_every: 4,
            correlations: None,
        },
    }
}

#[test]
fn members_have_the_bits_of_single_runs() {
    let net = net();
    // five members: one full group of four and a group of one
    let seeds = [1u64, 2, 3, 4, 5];
    let alone: Vec<Run> = seeds
        .iter()
        .map(|&s| {
            let mut r = Run::new(&net, spec(), initial_state(&net, s)).unwrap();
            let total = r.total_steps();
            r.advance(
                &net,
                &mut Integrator::new(&net, Method::Euler),
                total,
                |_| {},
            )
            .unwrap();
            r
        })
        .collect();
    let mut together: Vec<Run> = seeds
        .iter()
        .map(|&s| Run::new(&net, spec(), initial_state(&net, s)).unwrap())
        .collect();
    let total = together[0].total_steps();
    advance_together(&net, &mut together, total, |_| {}).unwrap();
    for (a, b) in alone.iter().zip(&together) {
        assert_eq!(a.step, b.step);
        assert!(
            a.y.iter()
                .zip(&b.y)
                .all(|(x, y)| x.to_bits() == y.to_bits())
        );
        let (sa, sb) = (a.summary(&net), b.summary(&net));
        assert_eq!(
            serde_json::to_string(&sa).unwrap(),
            serde_json::to_string(&sb).unwrap()
        );
        assert_eq!(sa.acf_e, sb.acf_e);
        assert_eq!(a.acc.trace_data, b.acc.trace_data);
    }
    // and the members differ from each other (the test is not vacuous)
    assert_ne!(alone[0].y, alone[1].y);
}

#[test]
fn one_step_equals_the_fused_euler_step() {
    let net = net();
    let y = initial_state(&net, 9);
    let mut ens = EnsembleStep::<4>::new(&net);
    ens.euler(&net, &[&y, &y], 0.05);
    let mut integ = Integrator::new(&net, Method::Euler);
    let mut y1 = y.clone();
    integ.step(&net, &mut y1, 0.05, |_, _, _| {});
    assert_eq!(ens.next[0], y1);
    assert_eq!(ens.next[1], y1);
}

#[test]
fn refuses_what_it_cannot_replay() {
    let net = net();
    let mut s = spec();
    s.method = Method::Rk4;
    let mut runs = vec![Run::new(&net, s, initial_state(&net, 1)).unwrap()];
    assert!(advance_together(&net, &mut runs, 10, |_| {}).is_err());
}
