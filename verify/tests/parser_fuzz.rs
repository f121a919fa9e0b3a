//! Property-based fuzzing of every file format a user hands to balnet (issue 20): `--params`
//! TOML (rate model and SSN), golden files, `check` JSON, exported network directories
//! (network.json and the Matrix Market blocks), state files, binary checkpoints and sweep
//! shards with their manifest.
//!
//! Each property starts from a valid file written by balnet itself (or the README's layout),
//! applies 1-4 random mutations (byte flips, deletions, insertions, truncation, a repeated
//! segment, a number replaced by a nasty token: nan, inf, 1e308, -1, 0, 2^64, 1e-320, a long
//! digit string, a string, a list) and calls the library reader the front ends call. The reader
//! must return (never panic, which proptest reports with the shrunk input), an error must be one
//! line (the command line prints it as `balnet: error: ...`), and what it accepts must hold
//! finite, valid values (a checkpoint that loads resumes the run to its end with finite state).
//!
//! The default suite runs 48 cases per format (~2 s in release); `parser_fuzz_long` (ignored)
//! runs `BALNET_PARSER_FUZZ_CASES` per format (default 3000: 24000 files in 12 s on 2 cores,
//! release; 20000 per format, 160000 files, in ~80 s).

use std::path::{Path, PathBuf};

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use sim::Params;
use sim::checkpoint;
use sim::connectivity::{Autapses, Connectivity, Sizes};
use sim::integrate::{Integrator, Method};
use sim::network::RateNetwork;
use sim::run::{AcfSpec, Observe, Run, RunSpec, initial_state};

/// A mutation: kind, position (any usize, reduced modulo the length) and a byte or token index.
type Mutation = (u8, usize, u8);

const NASTY: [&str; 14] = [
    "nan",
    "inf",
    "-inf",
    "1e308",
    "-1",
    "0",
    "18446744073709551616",
    "1e-320",
    "99999999999999999999999999999999999999999999999999999999999999999999",
    "\"x\"",
    "[]",
    "{}",
    "",
    "-0.5",
];

/// Byte offsets of the numbers in `text` (maximal runs of digits, '.', 'e', '-', '+' that
/// start with a digit or '-').
fn numbers(text: &[u8]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < text.len() {
        let c = text[i];
        if c.is_ascii_digit() || (c == b'-' && text.get(i + 1).is_some_and(u8::is_ascii_digit)) {
            let start = i;
            i += 1;
            while i < text.len()
                && (text[i].is_ascii_digit() || matches!(text[i], b'.' | b'e' | b'E' | b'-' | b'+'))
            {
                i += 1;
            }
            out.push((start, i));
        } else {
            i += 1;
        }
    }
    out
}

fn mutate(original: &[u8], mutations: &[Mutation], text_like: bool) -> Vec<u8> {
    let mut b = original.to_vec();
    for &(kind, pos, byte) in mutations {
        let len = b.len().max(1);
        let at = pos % len;
        match kind % 7 {
            0 if !b.is_empty() => b[at] ^= 1 << (byte % 8),
            1 if !b.is_empty() => {
                let end = (at + 1 + byte as usize % 16).min(b.len());
                b.drain(at..end);
            }
            2 => {
                let at = pos % (b.len() + 1);
                b.insert(at, byte);
            }
            3 => b.truncate(at),
            4 if !b.is_empty() => {
                let end = (at + 1 + byte as usize).min(b.len());
                let seg = b[at..end].to_vec();
                b.splice(end..end, seg);
            }
            _ if text_like => {
                let nums = numbers(&b);
                if !nums.is_empty() {
                    let (s, e) = nums[pos % nums.len()];
                    let tok = NASTY[byte as usize % NASTY.len()].as_bytes().to_vec();
                    b.splice(s..e, tok);
                }
            }
            _ if !b.is_empty() => b[at] = byte,
            _ => {}
        }
    }
    b
}

fn mutations() -> impl Strategy<Value = Vec<Mutation>> {
    prop::collection::vec((any::<u8>(), any::<usize>(), any::<u8>()), 1..5)
}

/// An error must be one line: the command line prints it after `balnet: error: `.
fn one_line(msg: &str) -> Result<(), TestCaseError> {
    prop_assert!(!msg.trim_end().contains('\n'), "multi-line error: {msg}");
    prop_assert!(!msg.is_empty(), "empty error message");
    Ok(())
}

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("balnet-parser-fuzz-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn run(name: &str, cases: u32, mut property: impl FnMut(&[Mutation]) -> Result<(), TestCaseError>) {
    let config = Config {
        cases,
        failure_persistence: None,
        // Same cases on every run: the default suite must be reproducible.
        rng_algorithm: proptest::test_runner::RngAlgorithm::ChaCha,
        ..Config::default()
    };
    let mut runner = TestRunner::new_with_rng(
        config,
        proptest::test_runner::TestRng::from_seed(
            proptest::test_runner::RngAlgorithm::ChaCha,
            &seed_bytes(name),
        ),
    );
    // TestRunner wants Fn; the properties count their cases (to rotate through fixtures).
    let property = std::cell::RefCell::new(&mut property);
    if let Err(e) = runner.run(&mutations(), |m| (property.borrow_mut())(&m)) {
        panic!("{name}: {e}");
    }
}

fn seed_bytes(name: &str) -> [u8; 32] {
    let mut s = [0u8; 32];
    for (i, b) in name.bytes().enumerate() {
        s[i % 32] ^= b;
    }
    s
}

fn valid_params(p: &Params) -> Result<(), TestCaseError> {
    prop_assert!(p.validate().is_ok(), "accepted invalid params {p:?}");
    Ok(())
}

fn params_toml(cases: u32) {
    let dir = scratch("params");
    let path = dir.join("p.toml");
    let original =
        b"n = 300\nj0 = 0.5\ni0 = 0.1\ntau_d = 10.0\nu = 0.2\ng_e = 1.0\ntransfer = \"lif\"\n";
    std::fs::write(&path, original).unwrap();
    verify::params_toml::read_params_over(&path, Params::default()).expect("the fixture is valid");
    run("params_toml", cases, |m| {
        std::fs::write(&path, mutate(original, m, true)).unwrap();
        match verify::params_toml::read_params_over(&path, Params::default()) {
            Ok(p) => {
                // What the reader accepts, the fronts validate next: that must not panic, and
                // finite fields stay finite (n may be inf: the N -> infinity limit).
                if p.validate().is_ok() {
                    prop_assert!(p.j0.is_finite() && p.i0.is_finite() && p.tau_d.is_finite());
                }
            }
            Err(e) => one_line(&e.to_string())?,
        }
        Ok(())
    });
}

fn ssn_toml(cases: u32) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../golden/ssn");
    let mut originals: Vec<Vec<u8>> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| std::fs::read(e.unwrap().path()).unwrap())
        .collect();
    originals.sort();
    assert!(!originals.is_empty(), "no SSN files in {}", root.display());
    for o in &originals {
        verify::api::ssn::parse_network(&String::from_utf8_lossy(o), "ssn.toml")
            .expect("the fixture is valid");
    }
    let mut k = 0;
    run("ssn_toml", cases, |m| {
        k += 1;
        let text = mutate(&originals[k % originals.len()], m, true);
        let text = String::from_utf8_lossy(&text);
        if let Err(e) = verify::api::ssn::parse_network(&text, "ssn.toml") {
            one_line(&e.to_string())?;
        }
        Ok(())
    });
}

fn golden_toml(cases: u32) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../golden");
    let mut originals: Vec<Vec<u8>> = ["theory.toml", "rate.toml", "dmf.toml", "lif.toml"]
        .iter()
        .map(|f| std::fs::read(root.join(f)).unwrap())
        .collect();
    originals.sort();
    let dir = scratch("golden");
    let path = dir.join("g.toml");
    for o in &originals {
        std::fs::write(&path, o).unwrap();
        verify::golden::load(&path).expect("the fixture is valid");
    }
    let mut k = 0;
    run("golden_toml", cases, |m| {
        k += 1;
        std::fs::write(&path, mutate(&originals[k % originals.len()], m, true)).unwrap();
        match verify::golden::load(&path) {
            Ok(g) => {
                // Bounds of every case: computed or refused with one line, never a panic.
                for c in &g.cases {
                    if let Err(e) = c.bounds() {
                        one_line(&e.to_string())?;
                    }
                }
            }
            Err(e) => one_line(&e.to_string())?,
        }
        Ok(())
    });
}

fn check_json(cases: u32) {
    let dir = scratch("check");
    let path = dir.join("check.json");
    let original = br#"{"format": "balnet-check/1", "simulator": "fuzz", "model": "rate",
 "params": {"n": 200, "j0": 0.1}, "window": {"t": 5, "transient": 1, "dt": 0.05},
 "realizations": 1, "statistics": {"phi_e": {"value": 0.47, "stderr": 1e-3}, "w": 0.3}}"#;
    std::fs::write(&path, original).unwrap();
    verify::check::validate(&verify::check::read(&path).unwrap()).expect("the fixture is valid");
    run("check_json", cases, |m| {
        std::fs::write(&path, mutate(original, m, true)).unwrap();
        match verify::check::read(&path) {
            Ok(f) => {
                if let Err(e) = verify::check::validate(&f) {
                    one_line(&e.to_string())?;
                }
            }
            Err(e) => one_line(&e.to_string())?,
        }
        Ok(())
    });
}

fn small_network() -> RateNetwork {
    let p = Params {
        n: 200.0,
        j0: 1.5,
        ..Params::default()
    };
    let conn = Connectivity::generate(Sizes::massive(&p).unwrap(), 3, Autapses::Allowed).unwrap();
    RateNetwork::new(conn, p)
}

fn network_dir(cases: u32) {
    let net = small_network();
    let good = scratch("network-good");
    let files = sim::network_file::write_network(&good, &net).unwrap();
    let names: Vec<String> = files
        .iter()
        .map(|f| f.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    sim::network_file::read_network(&good)
        .and_then(|l| l.rate_network())
        .expect("the fixture is valid");
    let dir = scratch("network");
    let mut k = 0;
    run("network_dir", cases, |m| {
        k += 1;
        for n in &names {
            std::fs::copy(good.join(n), dir.join(n)).unwrap();
        }
        let victim = &names[k % names.len()];
        let bytes = std::fs::read(good.join(victim)).unwrap();
        std::fs::write(dir.join(victim), mutate(&bytes, m, true)).unwrap();
        match sim::network_file::read_network(&dir) {
            Ok(l) => match l.rate_network() {
                Ok(n) => valid_params(&n.params)?,
                Err(e) => one_line(&e.to_string())?,
            },
            Err(e) => one_line(&e.to_string())?,
        }
        Ok(())
    });
}

fn state_file(cases: u32) {
    let net = small_network();
    let dim = initial_state(&net, 1).len();
    let dir = scratch("state");
    let path = dir.join("state.txt");
    sim::files::write_state(&path, &initial_state(&net, 1)).unwrap();
    let original = std::fs::read(&path).unwrap();
    sim::files::read_state(&path, dim).expect("the fixture is valid");
    run("state_file", cases, |m| {
        std::fs::write(&path, mutate(&original, m, true)).unwrap();
        match sim::files::read_state(&path, dim) {
            Ok(y) => {
                prop_assert_eq!(y.len(), dim);
                prop_assert!(y.iter().all(|v| v.is_finite()));
            }
            Err(e) => one_line(&e.to_string())?,
        }
        Ok(())
    });
}

fn run_spec() -> RunSpec {
    RunSpec {
        dt: 0.05,
        t: 4.0,
        transient: 1.0,
        method: Method::Heun,
        observe: Observe {
            means: true,
            per_neuron: true,
            acf: Some(AcfSpec {
                neurons: 10,
                every: 2,
                max_lag: 1.0,
            }),
            traces: vec![0, 199],
            trace_every: 5,
            correlations: Some(4),
        },
    }
}

fn checkpoint_file(cases: u32) {
    let net = small_network();
    let fresh = || Run::new(&net, run_spec(), initial_state(&net, 2)).unwrap();
    let dir = scratch("checkpoint");
    let path = dir.join("run.ckpt");
    let mut part = fresh();
    let mut integ = Integrator::new(&net, Method::Heun);
    part.advance(&net, &mut integ, 37, |_| {}).unwrap();
    checkpoint::save(&path, &net, &part).unwrap();
    let original = std::fs::read(&path).unwrap();
    assert!(matches!(
        checkpoint::load::<Run>(&path, &net, &fresh()),
        Ok(Some(_))
    ));
    run("checkpoint", cases, |m| {
        std::fs::write(&path, mutate(&original, m, false)).unwrap();
        match checkpoint::load::<Run>(&path, &net, &fresh()) {
            // A mutation the checksum cannot see (e.g. undone by a later one) or none at all:
            // the run must resume to its end with finite state.
            Ok(Some(mut r)) => {
                let mut integ = Integrator::new(&net, Method::Heun);
                let done = r.advance(&net, &mut integ, u64::MAX, |_| {});
                prop_assert!(
                    done.is_ok(),
                    "a loaded checkpoint failed to resume: {done:?}"
                );
                prop_assert!(r.y.iter().all(|v| v.is_finite()));
            }
            Ok(None) => prop_assert!(false, "an existing checkpoint file read as absent"),
            Err(e) => one_line(&e.to_string())?,
        }
        Ok(())
    });
}

fn sweep_shards(cases: u32) {
    use verify::api::sweep::{Line, Manifest, merge};
    let spec = sim::tangent::LyapunovSpec {
        k: 2,
        dt: 0.05,
        t: 10.0,
        transient: 5.0,
        t_ort: 1.0,
        zero_tol: 1e-3,
    };
    let man = Manifest::new(
        Params::default(),
        vec![200.0],
        vec![0.1, 0.2],
        1,
        1,
        None,
        true,
        None,
        spec,
    )
    .unwrap();
    let manifest = serde_json::to_vec_pretty(&man).unwrap();
    let mut shard = Vec::new();
    for id in 0..man.points {
        let p = man.point(id);
        let line = Line {
            point: id,
            n: p.n,
            j0: p.j0,
            realization: p.realization,
            seed: man.seed + p.realization,
            exponents: vec![-0.01 * (id + 1) as f64, -0.2],
            regime: Some("fixed_point".into()),
            error: None,
        };
        shard.extend(serde_json::to_vec(&line).unwrap());
        shard.push(b'\n');
    }
    let dir = scratch("sweep");
    std::fs::write(dir.join("sweep.json"), &manifest).unwrap();
    std::fs::write(dir.join("shard-0-of-1.jsonl"), &shard).unwrap();
    assert_eq!(merge(&dir).expect("the fixture is valid").failed, 0);
    let mut k = 0;
    run("sweep_shards", cases, |m| {
        k += 1;
        // Mutate the shard (3 times in 4) or the manifest.
        let (mut man_bytes, mut shard_bytes) = (manifest.clone(), shard.clone());
        if k % 4 == 0 {
            man_bytes = mutate(&manifest, m, true);
        } else {
            shard_bytes = mutate(&shard, m, true);
        }
        std::fs::write(dir.join("sweep.json"), man_bytes).unwrap();
        std::fs::write(dir.join("shard-0-of-1.jsonl"), shard_bytes).unwrap();
        match merge(&dir) {
            // Every point present and none failed: the medians are numbers.
            Ok(merged) if merged.failed == 0 => {
                prop_assert_eq!(merged.lines.len(), man.points);
                prop_assert!(verify::finite::ensure_finite(&merged).is_ok());
            }
            Ok(_) => {}
            Err(e) => one_line(&e.to_string())?,
        }
        Ok(())
    });
}

fn every_format(cases: u32) {
    params_toml(cases);
    ssn_toml(cases);
    golden_toml(cases);
    check_json(cases);
    network_dir(cases);
    state_file(cases);
    checkpoint_file(cases);
    sweep_shards(cases);
}

#[test]
fn parsers_survive_mutated_files() {
    every_format(48);
}

/// 12 s on 2 cores (release) at the default 3000 cases per format.
#[test]
#[ignore]
fn parser_fuzz_long() {
    let n: u32 = std::env::var("BALNET_PARSER_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3000);
    every_format(n);
}
