//! Checkpoints and state files: an interrupted run resumes bit for bit.

use sim::Params;
use sim::checkpoint::{self, Checkpoints, Control};
use sim::connectivity::{Autapses, Connectivity, Sizes};
use sim::files::{read_state, write_state};
use sim::integrate::{Integrator, Method};
use sim::network::RateNetwork;
use sim::run::{AcfSpec, Observe, Run, RunSpec, initial_state};

fn network(j0: f64) -> RateNetwork {
    let p = Params {
        n: 600.0,
        j0,
        ..Params::default()
    };
    let conn = Connectivity::generate(Sizes::massive(&p).unwrap(), 5, Autapses::Allowed).unwrap();
    RateNetwork::new(conn, p)
}

fn spec() -> RunSpec {
    RunSpec {
        dt: 0.05,
        t: 10.0,
        transient: 5.0,
        method: Method::Heun,
        observe: Observe {
            means: true,
            per_neuron: true,
            acf: Some(AcfSpec {
                neurons: 20,
                every: 2,
                max_lag: 3.0,
            }),
            traces: vec![0, 599],
            trace_every: 5,
            correlations: Some(4),
        },
    }
}

#[test]
fn resumed_run_equals_uninterrupted_run() {
    let net = network(1.5);
    let y0 = initial_state(&net, 2);
    let mut whole = Run::new(&net, spec(), y0.clone()).unwrap();
    let mut integ = Integrator::new(&net, Method::Heun);
    whole.advance(&net, &mut integ, u64::MAX, |_| {}).unwrap();

    let path = std::env::temp_dir().join(format!("balnet-ckpt-{}.json", std::process::id()));
    let _ = std::fs::remove_file(&path);
    assert!(
        checkpoint::load::<Run>(&path, &net, &spec())
            .unwrap()
            .is_none()
    );
    // Interrupt in the transient, in pass 1 and in the correlation replay (pass 2): total
    // steps = 100 + 2 * 200.
    let mut part = Run::new(&net, spec(), y0).unwrap();
    for stop in [57, 180, 420] {
        let mut integ = Integrator::new(&net, Method::Heun);
        part.advance(&net, &mut integ, stop, |_| {}).unwrap();
        checkpoint::save(&path, &net, &part).unwrap();
        part = checkpoint::load::<Run>(&path, &net, &spec())
            .unwrap()
            .unwrap();
        assert_eq!(part.step, stop);
    }
    let mut integ = Integrator::new(&net, Method::Heun);
    part.advance(&net, &mut integ, u64::MAX, |_| {}).unwrap();
    assert_eq!(part.y, whole.y);
    let (a, b) = (part.summary(&net), whole.summary(&net));
    let json = |s: &sim::run::Summary| serde_json::to_string(s).unwrap();
    assert_eq!(json(&a), json(&b));
    assert_eq!(a.correlations, b.correlations);
    assert!(a.correlations.unwrap().rho_t_e.is_some());
    assert_eq!(a.acf_e, b.acf_e);
    assert_eq!(part.acc.trace_data, whole.acc.trace_data);

    // A checkpoint of another network, or of other run settings, is refused.
    let other = network(1.4);
    let e = checkpoint::load::<Run>(&path, &other, &spec())
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("another network"), "{e}");
    let mut s2 = spec();
    s2.t = 11.0;
    let e = checkpoint::load::<Run>(&path, &net, &s2)
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("another t;"), "{e}");
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn state_files_round_trip_exactly() {
    let net = network(0.5);
    let y = initial_state(&net, 7);
    let path = std::env::temp_dir().join(format!("balnet-state-{}.txt", std::process::id()));
    write_state(&path, &y).unwrap();
    assert_eq!(read_state(&path, net.dim()).unwrap(), y);
    let e = read_state(&path, net.dim() + 1).unwrap_err().to_string();
    assert!(e.contains("N + N_E"), "{e}");
    std::fs::write(&path, "1.0\nnan\n").unwrap();
    assert!(
        read_state(&path, 2)
            .unwrap_err()
            .to_string()
            .contains("not finite")
    );
    std::fs::remove_file(&path).unwrap();
}

/// Stops the run at the first report past `stop_at` of it.
struct StopAt {
    stop_at: f64,
    reports: usize,
    resumed_at: Option<u64>,
}

impl Control for StopAt {
    fn resumed(&mut self, _path: &std::path::Path, step: u64, _total: u64) {
        self.resumed_at = Some(step);
    }
    fn progress(&mut self, done: f64) -> std::ops::ControlFlow<()> {
        self.reports += 1;
        if done >= self.stop_at && done < 1.0 {
            std::ops::ControlFlow::Break(())
        } else {
            std::ops::ControlFlow::Continue(())
        }
    }
}

#[test]
fn run_with_checkpoints_stops_when_asked_and_resumes_bit_for_bit() {
    let net = network(1.5);
    let y0 = initial_state(&net, 3);
    let mut whole = Run::new(&net, spec(), y0.clone()).unwrap();
    let mut integ = Integrator::new(&net, Method::Heun);
    whole.advance(&net, &mut integ, u64::MAX, |_| {}).unwrap();

    let path = std::env::temp_dir().join(format!("balnet-rwc-{}.json", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let ck = Checkpoints {
        path: Some(path.clone()),
        every: Some(1.0),
    };
    // Stopped a quarter of the way: an Interrupted error, a checkpoint on disk.
    let mut stop = StopAt {
        stop_at: 0.25,
        reports: 0,
        resumed_at: None,
    };
    let fresh = || Run::new(&net, spec(), y0.clone());
    let e = checkpoint::run_with_checkpoints(&net, &spec(), fresh, &ck, &mut stop).unwrap_err();
    assert!(matches!(e, sim::SimError::Interrupted { .. }), "{e}");
    assert!(path.exists());
    // Resumed to the end: the same bits as the run in one piece.
    let mut go_on = StopAt {
        stop_at: 2.0,
        reports: 0,
        resumed_at: None,
    };
    let fresh = || Run::new(&net, spec(), y0.clone());
    let done = checkpoint::run_with_checkpoints(&net, &spec(), fresh, &ck, &mut go_on).unwrap();
    let at = go_on.resumed_at.expect("resumed from the checkpoint");
    assert!(
        at > 0 && at < 500,
        "resumed at step {at}: where the first run stopped"
    );
    assert!(go_on.reports >= 2);
    assert_eq!(done.y, whole.y);
    let json = |s: &sim::run::Summary| serde_json::to_string(s).unwrap();
    assert_eq!(json(&done.summary(&net)), json(&whole.summary(&net)));
    std::fs::remove_file(&path).unwrap();
    // An invalid interval is refused before anything runs.
    let bad = Checkpoints {
        path: None,
        every: Some(0.0),
    };
    let fresh = || Run::new(&net, spec(), y0.clone());
    let e = checkpoint::run_with_checkpoints(&net, &spec(), fresh, &bad, &mut go_on).unwrap_err();
    assert!(e.to_string().contains("checkpoint-every"), "{e}");
}
