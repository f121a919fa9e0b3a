//! Does `balnet check` pass correct simulators and fail wrong ones? Measured on data balnet
//! did not produce: the independent reference simulator of `common/reference.rs` (its own
//! network generator, initial states, seeds and Lyapunov method), correct or with one of
//! eleven bugs, one network per file or the mean of three.
//!
//! The default suite runs a fast slice (~1 min on 2 cores): the two situations of the issue
//! that failed correct simulators (Lambda_1 at a stable fixed point of a finite network, and
//! the mixture of regimes near the transition) and the gross bugs. The whole evaluation set
//! (`evaluation`, ignored) writes the README's table.

mod common;

use common::reference::{self, Bug, Setup};
use rayon::prelude::*;
use verify::check::{CheckOptions, Report, Verdict, check};

fn setup(n: usize, j0: f64, i0: f64, autapses: bool) -> Setup {
    Setup {
        n,
        j0,
        i0,
        autapses,
        t: 400.0,
        transient: 200.0,
    }
}

fn options() -> CheckOptions {
    CheckOptions {
        cache: Some(std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("check-cache")),
        ..CheckOptions::default()
    }
}

fn line(rep: &Report) -> String {
    let v: Vec<String> = rep
        .statistics
        .iter()
        .map(|v| {
            format!(
                "{}{} {:.4} [{:.4}, {:.4}]",
                match v.verdict {
                    Verdict::Pass => "",
                    Verdict::Fail => "!",
                    Verdict::Inconclusive => "?",
                },
                v.name,
                v.observed,
                v.lower,
                v.upper
            )
        })
        .collect();
    format!(
        "{} ({:?}; balnet {} runs {:?}): {}",
        rep.verdict.name(),
        rep.observer_regime,
        rep.balnet_realizations,
        rep.regimes,
        v.join(", ")
    )
}

/// Issue 18, cause 1: at N = 2000, J0 = 0.5 every network sits at the homogeneous fixed point
/// and Lambda_1 is the finite network's -0.284, not the limit's -0.298. Three correct
/// single-network files pass, Lambda_1 conclusively; tau_D wrong by 2 fails.
#[test]
fn lyapunov_at_a_fixed_point_is_the_finite_networks() {
    let s = setup(2000, 0.5, 0.0, true);
    let opt = options();
    let runs: Vec<_> = [11u64, 12, 13]
        .par_iter()
        .map(|&seed| reference::run(&s, seed, Bug::None))
        .collect();
    for r in &runs {
        let rep = check(
            &reference::file(&s, std::slice::from_ref(r), Bug::None),
            &opt,
        )
        .unwrap();
        eprintln!("{}", line(&rep));
        assert_eq!(rep.verdict, Verdict::Pass, "{}", line(&rep));
        let l = rep
            .statistics
            .iter()
            .find(|v| v.name == "lyapunov_1")
            .unwrap();
        // the finite network's cluster at -0.282 (Euler map at dt = 0.05: -0.284), the
        // limit's lambda_Q at -0.298: both printed, only the first decides. 2e-3 covers the
        // spread across networks (3e-4, six seeds) and the tangent run's finite-time bias over
        // 400 time units (7e-4: -0.2847 against the map's -0.2840) with room, and is a
        // seventh of the 0.0138 that separates the limit.
        assert!((l.expected + 0.2845).abs() < 2e-3, "{}", l.expected);
        assert!((l.theory.unwrap() + 0.2983).abs() < 1e-3);
        // narrow enough that the limit's value itself fails: 0.01 against the 0.0138 apart
        assert!(l.tolerance < 0.01);
    }
    let bad = reference::run(&s, 14, Bug::TauDTwice);
    let rep = check(&reference::file(&s, &[bad], Bug::TauDTwice), &opt).unwrap();
    eprintln!("{}", line(&rep));
    assert_eq!(rep.verdict, Verdict::Fail);
}

/// Issue 18, cause 2: near the transition (N = 2000, J0 = 1, I0 = 1) balnet's realizations are
/// a mixture of fixed points, periodic and chaotic networks; correct files are never failed
/// (a statistic balnet cannot resolve is inconclusive), single networks and means of three.
#[test]
fn mixtures_near_the_transition_do_not_fail_correct_simulators() {
    let s = setup(2000, 1.0, 1.0, true);
    let opt = options();
    let runs: Vec<_> = [21u64, 22, 23, 24]
        .par_iter()
        .map(|&seed| reference::run(&s, seed, Bug::None))
        .collect();
    let mut files: Vec<_> = runs
        .iter()
        .map(|r| reference::file(&s, std::slice::from_ref(r), Bug::None))
        .collect();
    files.push(reference::file(&s, &runs[..3], Bug::None));
    for f in &files {
        let rep = check(f, &opt).unwrap();
        eprintln!("{}", line(&rep));
        assert!(rep.balnet_realizations > 8 || rep.regimes.len() == 1);
        assert_ne!(rep.verdict, Verdict::Fail, "{}", line(&rep));
        // phi_E and w are tight across networks even here: they decide
        for name in ["phi_e", "w"] {
            let v = rep.statistics.iter().find(|v| v.name == name).unwrap();
            assert_eq!(v.verdict, Verdict::Pass, "{}", line(&rep));
        }
    }
}

/// Every gross bug fails (N = 1000, J0 = 1.5, I0 = 1, one network per file).
#[test]
fn gross_bugs_fail() {
    let s = setup(1000, 1.5, 1.0, true);
    let opt = options();
    let bugs: Vec<Bug> = Bug::ALL.into_iter().filter(|b| b.gross()).collect();
    let runs: Vec<_> = bugs
        .par_iter()
        .map(|&b| (b, reference::run(&s, 31, b)))
        .collect();
    for (b, r) in &runs {
        let rep = check(&reference::file(&s, std::slice::from_ref(r), *b), &opt).unwrap();
        eprintln!("{b:?}: {}", line(&rep));
        assert_eq!(
            rep.verdict,
            Verdict::Fail,
            "{b:?} not caught: {}",
            line(&rep)
        );
    }
}

/// One evaluated file.
struct Outcome {
    n: usize,
    /// balnet's regime for the set-up: fixed_point, mixed or time_dependent.
    regime: &'static str,
    single: bool,
    verdict: Verdict,
}

/// The whole evaluation set (README, "balnet check", the table): N in {1000, 2000, 5000}, J0 in
/// {0.3, 0.5, 1.0, 1.5}, I0 in {0, 1}, autapses allowed and forbidden; per set-up three
/// correct networks, each its own file, and a file with their mean (192 correct files); every
/// bug at J0 = 1.5 and 0.5 (I0 = 1) on one network per N (66 files). 200 time units of
/// transient, 400 measured, dt = 0.05. Writes `check-evaluation.md` under cargo's target
/// tmpdir. 36 min on 2 cores from scratch; balnet's predictions are cached on disk there, so a
/// re-run costs the reference simulations only (about 20 min).
#[test]
#[ignore]
fn evaluation() {
    use std::fmt::Write;
    let opt = options();
    let clock = std::time::Instant::now();
    let mut correct: Vec<Outcome> = Vec::new();
    let mut bugs: Vec<(usize, f64, Bug, Verdict, String)> = Vec::new();
    let mut per_stat: Vec<(usize, String, Verdict)> = Vec::new();
    let mut log = String::new();
    let mut seed = 1000u64;
    for n in [1000, 2000, 5000] {
        for j0 in [0.3, 0.5, 1.0, 1.5] {
            for i0 in [0.0, 1.0] {
                for autapses in [true, false] {
                    let s = setup(n, j0, i0, autapses);
                    seed += 10;
                    let mut jobs: Vec<(Bug, u64)> = (0..3).map(|k| (Bug::None, seed + k)).collect();
                    if i0 == 1.0 && autapses && (j0 == 1.5 || j0 == 0.5) {
                        jobs.extend(Bug::ALL.iter().map(|&b| (b, seed + 5)));
                    }
                    let runs: Vec<(Bug, reference::Run)> = jobs
                        .par_iter()
                        .map(|&(b, sd)| (b, reference::run(&s, sd, b)))
                        .collect();
                    let ok: Vec<reference::Run> = runs
                        .iter()
                        .filter(|r| r.0 == Bug::None)
                        .map(|r| r.1.clone())
                        .collect();
                    let mut files: Vec<_> = ok
                        .iter()
                        .map(|r| {
                            (
                                true,
                                reference::file(&s, std::slice::from_ref(r), Bug::None),
                            )
                        })
                        .collect();
                    files.push((false, reference::file(&s, &ok, Bug::None)));
                    for (single, f) in &files {
                        let rep = check(f, &opt).unwrap();
                        if rep.verdict != Verdict::Pass {
                            let l = format!(
                                "- N={n} J0={j0} I0={i0} autapses={autapses}: {}",
                                line(&rep)
                            );
                            eprintln!("{l}");
                            writeln!(log, "{l}").unwrap();
                        }
                        for v in &rep.statistics {
                            per_stat.push((n, v.name.clone(), v.verdict));
                        }
                        correct.push(Outcome {
                            n,
                            regime: rep.regime,
                            single: *single,
                            verdict: rep.verdict,
                        });
                    }
                    for (b, r) in runs.iter().filter(|r| r.0 != Bug::None) {
                        let rep =
                            check(&reference::file(&s, std::slice::from_ref(r), *b), &opt).unwrap();
                        let failed: Vec<&str> = rep
                            .statistics
                            .iter()
                            .filter(|v| v.verdict == Verdict::Fail)
                            .map(|v| v.name.as_str())
                            .collect();
                        bugs.push((n, j0, *b, rep.verdict, failed.join(" ")));
                    }
                    eprintln!(
                        "[{:.0} s] N={n} J0={j0} I0={i0} autapses={autapses}: {} correct files so far, {} failed",
                        clock.elapsed().as_secs_f64(),
                        correct.len(),
                        correct
                            .iter()
                            .filter(|o| o.verdict == Verdict::Fail)
                            .count()
                    );
                }
            }
        }
    }
    let mut md = String::from(
        "Correct files (independent reference simulator):\n\n| N | balnet's regime | files | failed | inconclusive |\n|---|---|---|---|---|\n",
    );
    let mut keys: Vec<(usize, &str)> = correct.iter().map(|o| (o.n, o.regime)).collect();
    keys.sort();
    keys.dedup();
    for (n, regime) in keys {
        let sel: Vec<&Outcome> = correct
            .iter()
            .filter(|o| o.n == n && o.regime == regime)
            .collect();
        let c = |v| sel.iter().filter(|o| o.verdict == v).count();
        writeln!(
            md,
            "| {n} | {regime} | {} ({} single-network) | {} | {} |",
            sel.len(),
            sel.iter().filter(|o| o.single).count(),
            c(Verdict::Fail),
            c(Verdict::Inconclusive)
        )
        .unwrap();
    }
    let total = correct.len();
    let failed = correct
        .iter()
        .filter(|o| o.verdict == Verdict::Fail)
        .count();
    let inconclusive = correct
        .iter()
        .filter(|o| o.verdict == Verdict::Inconclusive)
        .count();
    writeln!(
        md,
        "| all | | {total} | {failed} ({:.1} %) | {inconclusive} ({:.1} %) |\n\nBugs (one network per file; J0 = 1.5 and 0.5, I0 = 1):\n\n| bug | N | J0 | verdict | failing statistics |\n|---|---|---|---|---|",
        100.0 * failed as f64 / total as f64,
        100.0 * inconclusive as f64 / total as f64
    )
    .unwrap();
    for (n, j0, b, v, f) in &bugs {
        writeln!(md, "| {b:?} | {n} | {j0} | {} | {f} |", v.name()).unwrap();
    }
    md.push_str(
        "\nPer statistic over the correct files (pass / inconclusive / fail):\n\n| statistic | N = 1000 | N = 2000 | N = 5000 |\n|---|---|---|---|\n",
    );
    let mut names: Vec<String> = per_stat.iter().map(|x| x.1.clone()).collect();
    names.sort();
    names.dedup();
    for name in names {
        let cell = |n: usize| {
            let c = |v| {
                per_stat
                    .iter()
                    .filter(|x| x.0 == n && x.1 == name && x.2 == v)
                    .count()
            };
            format!(
                "{} / {} / {}",
                c(Verdict::Pass),
                c(Verdict::Inconclusive),
                c(Verdict::Fail)
            )
        };
        writeln!(
            md,
            "| {name} | {} | {} | {} |",
            cell(1000),
            cell(2000),
            cell(5000)
        )
        .unwrap();
    }
    md.push_str("\nCorrect files that did not pass:\n\n");
    md.push_str(&log);
    writeln!(md, "\nTotal time {:.0} s.", clock.elapsed().as_secs_f64()).unwrap();
    let out = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("check-evaluation.md");
    std::fs::write(&out, &md).unwrap();
    eprintln!("{md}\n(written to {})", out.display());
    assert!(
        failed * 100 <= total,
        "{failed} of {total} correct files failed"
    );
    for (n, j0, b, v, _) in &bugs {
        // Euler at dt = 1 where the dt = 1 map is stable (N <= 2000, J0 = 0.5) converges to
        // the same fixed point and balnet predicts that map's Lambda_1: nothing is wrong there.
        let undetectable = *b == Bug::LargeDt && *j0 == 0.5;
        if b.gross() && !undetectable {
            assert_eq!(*v, Verdict::Fail, "{b:?} at N = {n}, J0 = {j0} not caught");
        }
    }
}

/// One set-up of the evaluation, printed in full (for looking into a verdict):
/// `BALNET_SETUP="n j0 i0 autapses seed" cargo test --release --test check_oracle one_setup -- --ignored`.
#[test]
#[ignore]
fn one_setup() {
    let v: Vec<String> = std::env::var("BALNET_SETUP")
        .unwrap_or("2000 1.5 0 false 1300".into())
        .split_whitespace()
        .map(String::from)
        .collect();
    let s = setup(
        v[0].parse().unwrap(),
        v[1].parse().unwrap(),
        v[2].parse().unwrap(),
        v[3] == "true",
    );
    let seed: u64 = v[4].parse().unwrap();
    let runs: Vec<_> = (0..3u64)
        .into_par_iter()
        .map(|k| reference::run(&s, seed + k, Bug::None))
        .collect();
    let mut files: Vec<_> = runs
        .iter()
        .map(|r| reference::file(&s, std::slice::from_ref(r), Bug::None))
        .collect();
    files.push(reference::file(&s, &runs, Bug::None));
    for f in &files {
        let rep = check(f, &options()).unwrap();
        eprintln!("{}", line(&rep));
        for st in rep.statistics.iter().filter(|v| v.verdict != Verdict::Pass) {
            eprintln!("   {}: {}", st.name, st.reason);
        }
    }
}

/// The shared-network mode: both sides on one exported network (N = 2000, J0 = 1.5, I0 = 1),
/// balnet's realizations differing in the initial state only. The spread is then that of one
/// network's attractor, not of the ensemble: correct files pass, and the subtle bugs, which
/// hide in the network-to-network spread (README table), are detectable here. Prints each
/// verdict; asserts only that correct files do not fail (~20 s).
#[test]
fn subtle_bugs_on_a_shared_network() {
    use sim::connectivity::{Autapses, Connectivity, Sizes};
    let s = setup(2000, 1.5, 1.0, true);
    let p = theory::Params {
        n: 2000.0,
        j0: 1.5,
        i0: 1.0,
        ..theory::Params::default()
    };
    let conn = Connectivity::generate(Sizes::massive(&p).unwrap(), 77, Autapses::Allowed).unwrap();
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("shared-net-2000");
    sim::network_file::write_network(&dir, &sim::network::RateNetwork::new(conn.clone(), p))
        .unwrap();
    let rows = |ix: &sim::connectivity::Indices, k: usize| -> Vec<Vec<u32>> {
        ix.to_u32().chunks(k).map(<[u32]>::to_vec).collect()
    };
    let z = conn.sizes;
    let lists = || {
        [
            rows(&conn.ee, z.k_e),
            rows(&conn.ei, z.k_i),
            rows(&conn.ie, z.k_e),
            rows(&conn.ii, z.k_i),
        ]
    };
    let jobs = [
        (Bug::None, 501u64),
        (Bug::None, 502),
        (Bug::Tanh, 503),
        (Bug::Coupling10, 504),
        (Bug::DepressionByInhibitoryRate, 505),
    ];
    let runs: Vec<_> = jobs
        .par_iter()
        .map(|&(b, seed)| (b, reference::run_on(&s, lists(), seed, b)))
        .collect();
    for (b, r) in &runs {
        let mut f = reference::file(&s, std::slice::from_ref(r), *b);
        f.network = Some(dir.clone());
        let rep = check(&f, &options()).unwrap();
        eprintln!("shared network, {b:?}: {}", line(&rep));
        assert_eq!(rep.ensemble.networks, "shared");
        if *b == Bug::None {
            assert_ne!(rep.verdict, Verdict::Fail, "{}", line(&rep));
        }
    }
}
