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

/// A run of `net` with `spec` at step 0 (what a checkpoint is checked against).
fn fresh(net: &RateNetwork, spec: RunSpec) -> Run {
    Run::new(net, spec, initial_state(net, 2)).unwrap()
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
        checkpoint::load::<Run>(&path, &net, &fresh(&net, spec()))
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
        part = checkpoint::load::<Run>(&path, &net, &fresh(&net, spec()))
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
    let e = checkpoint::load::<Run>(&path, &other, &fresh(&other, spec()))
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("another network"), "{e}");
    let mut s2 = spec();
    s2.t = 11.0;
    let e = checkpoint::load::<Run>(&path, &net, &fresh(&net, s2))
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
    let e = checkpoint::run_with_checkpoints(&net, fresh, &ck, &mut stop).unwrap_err();
    assert!(matches!(e, sim::SimError::Interrupted { .. }), "{e}");
    assert!(path.exists());
    // Resumed to the end: the same bits as the run in one piece.
    let mut go_on = StopAt {
        stop_at: 2.0,
        reports: 0,
        resumed_at: None,
    };
    let fresh = || Run::new(&net, spec(), y0.clone());
    let done = checkpoint::run_with_checkpoints(&net, fresh, &ck, &mut go_on).unwrap();
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
    let e = checkpoint::run_with_checkpoints(&net, fresh, &bad, &mut go_on).unwrap_err();
    assert!(e.to_string().contains("checkpoint-every"), "{e}");
}

/// Issue 20: checkpoints are binary (magic, version, header, CBOR payload, checksum), about the
/// size of the state, and a corrupt, truncated or inconsistent one is refused with one line.
#[test]
fn corrupt_truncated_or_inconsistent_checkpoints_are_refused() {
    let net = network(1.5);
    let path = std::env::temp_dir().join(format!("balnet-ckpt-bad-{}.bin", std::process::id()));
    let load = |path: &std::path::Path| {
        checkpoint::load::<Run>(path, &net, &fresh(&net, spec()))
            .map(|r| r.map(|r| r.step))
            .map_err(|e| e.to_string())
    };
    let mut run = fresh(&net, spec());
    let mut integ = Integrator::new(&net, Method::Heun);
    run.advance(&net, &mut integ, 180, |_| {}).unwrap();
    checkpoint::save(&path, &net, &run).unwrap();
    assert_eq!(load(&path), Ok(Some(180)));

    // Size: the doubles of the state and accumulators at 8 bytes (CBOR adds at most one byte
    // per number, less for the arrays' headers), plus a header of a few hundred bytes.
    let doubles = run.y.len()
        + 3 * run.acc.shift.len()
        + run.acc.acf_data.iter().map(Vec::len).sum::<usize>()
        + run.acc.trace_t.len()
        + 3 * run.acc.trace_data.iter().map(Vec::len).sum::<usize>()
        + run
            .acc
            .corr
            .as_ref()
            .map_or(0, |c| c.y_mark.len() + 12 * c.shift.len());
    let size = std::fs::metadata(&path).unwrap().len() as f64;
    assert!(
        size < 9.0 * doubles as f64 + 4096.0 && size > 4.0 * doubles as f64,
        "{size} bytes for {doubles} doubles"
    );

    let bytes = std::fs::read(&path).unwrap();
    // One flipped bit anywhere: the checksum.
    for at in [0, 13, bytes.len() / 2, bytes.len() - 1] {
        let mut b = bytes.clone();
        b[at] ^= 0x10;
        std::fs::write(&path, &b).unwrap();
        let e = load(&path).unwrap_err();
        assert!(
            e.contains("checksum") || e.contains("not a balnet checkpoint"),
            "{e}"
        );
        assert_eq!(e.lines().count(), 1);
    }
    // Truncated (a disk full, a copy cut short).
    std::fs::write(&path, &bytes[..bytes.len() / 3]).unwrap();
    assert!(load(&path).unwrap_err().contains("checksum"));
    // The JSON checkpoints of earlier versions.
    std::fs::write(&path, b"{\"format\":\"balnet-checkpoint/1\"}").unwrap();
    assert!(load(&path).unwrap_err().contains("not a balnet checkpoint"));

    // Whole files whose contents cannot be a run of this network: a step beyond the end
    // (it used to resume and report success), an accumulator shorter than the network (it
    // used to panic with an index out of bounds), a sample count that disagrees with the step.
    type Spoil = fn(&mut Run);
    let cases: [(&str, Spoil); 4] = [
        ("beyond the run's", |r| r.step = 999_999_999_999),
        ("s1 has 10 entries", |r| r.acc.s1.truncate(10)),
        ("the samples", |r| r.acc.samples += 1),
        ("an autocovariance series", |r| r.acc.acf_data[3].push(0.0)),
    ];
    for (why, spoil) in cases {
        let mut bad = run.clone();
        spoil(&mut bad);
        checkpoint::save(&path, &net, &bad).unwrap();
        let e = load(&path).unwrap_err();
        assert!(e.contains(why), "{why}: {e}");
    }

    // A temporary file left by a killed run is removed when the checkpoint is next read.
    let tmp = sim::files::temporary_path(&path);
    std::fs::write(&tmp, b"partial").unwrap();
    let _ = load(&path);
    assert!(!tmp.exists());
    std::fs::remove_file(&path).unwrap();
}
