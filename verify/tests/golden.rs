//! Every golden case passes, and every documented known failure still fails (so that a fix
//! is noticed and the file updated).

use std::path::PathBuf;
use verify::golden::load;

fn golden_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("golden")
}

#[test]
fn theory_golden_cases() {
    check("theory.toml");
}

/// The DMF cases: four solves of about 5 s each on 2 cores.
#[test]
fn dmf_golden_cases() {
    check("dmf.toml");
}

/// The LIF cases: 4 networks x 1100 time units at J0 = 0.1 and at J0 = 0.4 (about 10 s on
/// 2 cores).
#[test]
fn lif_golden_cases() {
    check("lif.toml");
}

fn check(name: &str) {
    let file = load(&golden_dir().join(name)).unwrap();
    assert_eq!(file.meta.format, "balnet-golden/1");
    let mut problems = Vec::new();
    let mut ids = std::collections::HashSet::new();
    for case in &file.cases {
        assert!(ids.insert(case.id.clone()), "duplicate id {}", case.id);
        assert!(
            !case.why.is_empty() && !case.source.is_empty() && !case.how.is_empty(),
            "{}: provenance",
            case.id
        );
        let out = case.run().unwrap_or_else(|e| panic!("{}: {e}", case.id));
        let verdict = match (&case.known_failure, out.pass) {
            (None, true) => "pass",
            (Some(_), false) => "known failure",
            (None, false) => {
                problems.push(format!(
                    "{}: obtained {} outside [{}, {}]",
                    case.id, out.obtained, out.lo, out.hi
                ));
                "FAIL"
            }
            (Some(_), true) => {
                problems.push(format!(
                    "{}: documented known failure now passes; update golden/{name}",
                    case.id
                ));
                "UNEXPECTED PASS"
            }
        };
        eprintln!(
            "{:<34} {:>14.8} in [{:.6}, {:.6}]  {verdict}",
            case.id, out.obtained, out.lo, out.hi
        );
    }
    assert!(problems.is_empty(), "{problems:#?}");
}
