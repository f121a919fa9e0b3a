//! The fast tier of `balnet verify` as a test: every golden case passes, every documented
//! known failure still fails (so that a fix is noticed and the file updated), and the case
//! list with its verdicts is snapshotted (insta; ids, quantities, tiers and verdicts, never
//! float values).

use std::path::PathBuf;
use verify::golden::{Row, Tier, Verdict, load_dir, run_row};

fn golden_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("golden")
}

fn run(tier: Tier) -> Vec<Row> {
    let files = load_dir(&golden_dir()).unwrap();
    let mut ids = std::collections::HashSet::new();
    let mut rows = Vec::new();
    for (name, file) in &files {
        for case in &file.cases {
            assert!(ids.insert(case.id.clone()), "duplicate id {}", case.id);
            assert!(
                !case.why.is_empty() && !case.source.is_empty() && !case.how.is_empty(),
                "{}: provenance",
                case.id
            );
            case.bounds().unwrap();
            if case.tier == tier {
                let row = run_row(name, case);
                eprintln!(
                    "{:<40} {:>16} {:<15} {:5.1} s",
                    case.id,
                    row.obtained.map_or("-".into(), |x| format!("{x:.8}")),
                    row.verdict.label(),
                    row.seconds
                );
                rows.push(row);
            }
        }
    }
    rows
}

fn assert_verdicts(rows: &[Row]) {
    let problems: Vec<String> = rows
        .iter()
        .filter(|r| r.verdict != Verdict::Pass && r.verdict != Verdict::KnownFailure)
        .map(|r| {
            format!(
                "{} ({}): {} obtained {:?} expected {:?} +- {:?} / [{:?}, {:?}] {}",
                r.case.id,
                r.file,
                r.verdict.label(),
                r.obtained,
                r.case.expected,
                r.case.tolerance,
                r.case.lower,
                r.case.upper,
                r.error.clone().unwrap_or_default()
            )
        })
        .collect();
    assert!(problems.is_empty(), "{problems:#?}");
}

/// The fast tier (the default of `balnet verify`): about 40 s on 2 cores, most of it the DMF
/// solves (4 x ~5 s) and the LIF networks (2 x 4 networks x 1100 tau_m).
#[test]
fn fast_tier() {
    let rows = run(Tier::Fast);
    assert_verdicts(&rows);
    let listing: Vec<String> = rows
        .iter()
        .map(|r| {
            format!(
                "{:<12} {:<40} {:<32} {}",
                r.file,
                r.case.id,
                r.case.quantity,
                r.verdict.label()
            )
        })
        .collect();
    insta::assert_snapshot!("fast_tier_verdicts", listing.join("\n"));
}

/// The slow tier (`balnet verify --full`): about 6 min on 2 cores (the N = 5000 spectrum takes
/// ~2 min, the N = 20000 and 1e4 simulations ~3 min).
#[test]
#[ignore]
fn slow_tier() {
    assert_verdicts(&run(Tier::Slow));
}
