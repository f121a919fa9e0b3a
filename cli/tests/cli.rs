//! The CLI contract: exact JSON keys, one-line errors naming the parameter, status 2 on bad
//! input, never a panic or backtrace.

use std::process::Command;

fn balnet(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_balnet"))
        .args(args)
        .env("RUST_BACKTRACE", "1")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

fn keys(json: &str) -> Vec<String> {
    let v: serde_json::Value = serde_json::from_str(json.trim())
        .unwrap_or_else(|e| panic!("not one JSON object: {e}: {json}"));
    let mut k: Vec<String> = v.as_object().expect("an object").keys().cloned().collect();
    k.sort();
    k
}

fn sorted(k: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = k.iter().map(|s| s.to_string()).collect();
    v.sort();
    v
}

#[test]
fn json_keys_are_exact() {
    let cases: [(&[&str], &[&str]); 5] = [
        (&["balanced-limit", "--json"], &["phi_e", "phi_i", "w"]),
        (
            &[
                "fixed-point",
                "--n",
                "1e4",
                "--j0",
                "0.5",
                "--i0",
                "1",
                "--json",
            ],
            &[
                "x_e",
                "x_i",
                "w",
                "phi_e",
                "phi_i",
                "a_e",
                "a_i",
                "hom_eigenvalues",
                "hom_stable",
                "girko_radius",
                "bulk_max_re",
                "outliers",
                "lambda_q",
                "het_stable",
            ],
        ),
        (
            &["critical-coupling", "--n", "1e12", "--i0", "0", "--json"],
            &["j_c"],
        ),
        (&["critical-coupling", "--n", "inf", "--json"], &["j_c"]),
        (
            &["het-fixed-point", "--n", "1e4", "--j0", "1.0", "--json"],
            &[
                "mu_e", "mu_i", "delta0_e", "delta0_i", "phi_e", "phi_i", "phi_w", "branch",
            ],
        ),
    ];
    for (args, expected) in cases {
        let (code, out, err) = balnet(args);
        assert_eq!(code, 0, "{args:?}: {err}");
        assert_eq!(keys(&out), sorted(expected), "{args:?}");
    }
    let (_, out, _) = balnet(&["het-fixed-point", "--n", "1e4", "--j0", "1.0", "--json"]);
    assert!(out.contains("\"branch\":\"heterogeneous\""));
    let (_, out, _) = balnet(&["fixed-point", "--json", "--n", "1e4"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["hom_eigenvalues"].as_array().unwrap().len(), 3);
    assert_eq!(
        v["outliers"].as_array().unwrap()[0]
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

#[test]
fn bad_input_is_one_line_naming_the_parameter() {
    let cases: [(&[&str], &str); 9] = [
        (&["balanced-limit", "--g-e", "3", "--g-i", "2"], "g_e"),
        (&["fixed-point", "--n", "-5"], "n"),
        (&["fixed-point", "--n", "abc"], "--n"),
        (&["fixed-point", "--c-e", "2"], "c_e"),
        (&["fixed-point", "--j0", "nan"], "j0"),
        (&["fixed-point", "--n", "inf"], "n"),
        (&["critical-coupling", "--u", "1.5"], "u"),
        (&["scan", "--x", "q=0:1:3", "--y", "i0=0:1:2"], "--x"),
        (
            &["fixed-point", "--params", "/nonexistent/p.toml"],
            "--params",
        ),
    ];
    for (args, name) in cases {
        let (code, out, err) = balnet(args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(out.is_empty(), "{args:?} printed on stdout: {out}");
        assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: {err}");
        assert!(err.contains(name), "{args:?}: {err}");
        assert!(
            !err.contains("panicked") && !err.contains("backtrace"),
            "{args:?}: {err}"
        );
    }
}

#[test]
fn params_file_and_flags_combine() {
    let dir = std::env::temp_dir().join(format!("balnet-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("p.toml");
    std::fs::write(&f, "n = 1e12\ni0 = 2.0\n").unwrap();
    let (code, out, err) = balnet(&[
        "critical-coupling",
        "--params",
        f.to_str().unwrap(),
        "--i0",
        "0",
        "--json",
    ]);
    assert_eq!(code, 0, "{err}");
    let from_file: f64 = serde_json::from_str::<serde_json::Value>(&out).unwrap()["j_c"]
        .as_f64()
        .unwrap();
    let (_, out, _) = balnet(&["critical-coupling", "--n", "1e12", "--i0", "0", "--json"]);
    let from_flags: f64 = serde_json::from_str::<serde_json::Value>(&out).unwrap()["j_c"]
        .as_f64()
        .unwrap();
    assert_eq!(from_file, from_flags);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn scan_is_thread_count_independent_and_csv_is_parseable() {
    let args = [
        "scan",
        "--x",
        "j0=0.05:1.5:7",
        "--y",
        "i0=0:3:5",
        "--quantity",
        "phi_e,girko_radius",
        "--csv",
    ];
    let (c1, one, _) = balnet(&[&["--threads", "1"], &args[..]].concat());
    let (c2, two, _) = balnet(&[&["--threads", "2"], &args[..]].concat());
    assert_eq!((c1, c2), (0, 0));
    assert_eq!(one, two);
    let lines: Vec<&str> = one.lines().collect();
    assert_eq!(lines[0], "j0,i0,phi_e,girko_radius");
    assert_eq!(lines.len(), 1 + 7 * 5);
    for l in &lines[1..] {
        assert!(l.split(',').all(|x| x.parse::<f64>().is_ok()), "{l}");
    }
}

#[test]
fn simulation_commands_have_exact_keys_and_reject_bad_input() {
    let cases: [(&[&str], &[&str]); 4] = [
        (
            &[
                "correlations",
                "--n",
                "1000",
                "--j0",
                "1.5",
                "--t",
                "10",
                "--transient",
                "5",
                "--json",
            ],
            &[
                "rho_ee", "rho_ei", "rho_ie", "rho_ii", "rho_t_e", "rho_t_i", "r_e", "r_i",
            ],
        ),
        (
            &[
                "simulate",
                "rate",
                "--n",
                "1000",
                "--j0",
                "1.5",
                "--t",
                "20",
                "--transient",
                "5",
                "--json",
            ],
            &[
                "phi_e",
                "phi_i",
                "w",
                "mu_e",
                "mu_i",
                "delta0_e",
                "delta0_i",
                "tau_dec_e",
                "tau_dec_i",
                "a_e",
                "a_i",
                "regime",
                "steps",
            ],
        ),
        (
            &["spectrum", "--n", "300", "--j0", "0.5", "--json"],
            &["max_re", "girko_radius", "bulk_max_re_theory"],
        ),
        (
            &[
                "lyapunov",
                "--n",
                "500",
                "--j0",
                "1.5",
                "--t",
                "20",
                "--transient",
                "5",
                "--json",
            ],
            &["exponents", "regime"],
        ),
    ];
    for (args, want) in cases {
        let (code, out, err) = balnet(args);
        assert_eq!(code, 0, "{args:?}: {err}");
        assert_eq!(keys(&out), sorted(want), "{args:?}");
    }
    for args in [
        &["simulate", "rate", "--dt", "0"][..],
        &["lyapunov", "--k", "0"],
        &["spectrum", "--n", "abc"],
        &["simulate", "rate", "--n", "1"],
        &["simulate", "rate", "--k-e", "5"],
        &["simulate", "rate", "--n", "100", "--k-e", "0", "--k-i", "1"],
        &["simulate", "rate", "--network", "/nonexistent/dir"],
        &["correlations", "--sample-dt", "0.01"],
        &["simulate", "rate", "--init", "/nonexistent/state.txt"],
    ] {
        let (code, out, err) = balnet(args);
        assert_eq!(code, 2, "{args:?}");
        assert!(
            out.is_empty() && err.lines().count() == 1 && !err.contains("panicked"),
            "{args:?}: {err}"
        );
    }
}

#[test]
fn exported_network_reproduces_the_generated_one() {
    // export-network, then simulate on the files: the same bits as simulating the network
    // generated from the same flags; structural flags are refused with --network.
    let dir = std::env::temp_dir().join(format!("balnet-cli-export-{}", std::process::id()));
    let d = dir.to_str().unwrap();
    let gen_args = ["--n", "800", "--seed", "4", "--k-e", "30", "--k-i", "8"];
    let mut export = vec!["export-network", "--out", d, "--json"];
    export.extend(gen_args);
    let (code, out, err) = balnet(&export);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        (v["k_e"].as_u64(), v["synapses"].as_u64()),
        (Some(30), Some(800 * 38))
    );
    let run = [
        "simulate",
        "rate",
        "--j0",
        "1.2",
        "--t",
        "10",
        "--transient",
        "2",
        "--json",
    ];
    let mut a = run.to_vec();
    a.extend(gen_args);
    let mut b = run.to_vec();
    b.extend(["--network", d]);
    let (ca, oa, ea) = balnet(&a);
    let (cb, ob, eb) = balnet(&b);
    assert_eq!((ca, cb), (0, 0), "{ea} {eb}");
    assert_eq!(oa, ob);
    let mut c = b.clone();
    c.extend(["--c-e", "0.1"]);
    let (code, _, err) = balnet(&c);
    assert_eq!(code, 2);
    assert!(
        err.contains("--c-e cannot be combined with --network"),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn sharded_sweep_merges_to_the_unsharded_result_and_resumes() {
    let base = std::env::temp_dir().join(format!("balnet-cli-sweep-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&base);
    let (a, b) = (base.join("a"), base.join("b"));
    let (a, b) = (a.to_str().unwrap(), b.to_str().unwrap());
    let sweep = |out: &str, shard: &str, threads: &str| {
        balnet(&[
            "--threads",
            threads,
            "sweep",
            "lyapunov",
            "--ns",
            "300,400",
            "--j0s",
            "0.5,1.5",
            "--realizations",
            "2",
            "--t",
            "30",
            "--transient",
            "5",
            "--out",
            out,
            "--shard",
            shard,
            "--json",
        ])
    };
    let merge = |out: &str| balnet(&["sweep", "merge", out, "--json"]);
    let (code, _, err) = sweep(a, "0/1", "2");
    assert_eq!(code, 0, "{err}");
    assert_eq!(merge(a).0, 0);
    let whole = std::fs::read_to_string(base.join("a/points.csv")).unwrap();
    let svg = std::fs::read_to_string(base.join("a/median.svg")).unwrap();
    assert!(svg.contains("N = 300") && svg.contains("N = 400") && svg.ends_with("</svg>\n"));
    assert_eq!(whole.lines().count(), 1 + 8);
    // Merging before every shard has run reports the missing points and fails.
    assert_eq!(sweep(b, "0/3", "1").0, 0);
    let (code, _, err) = merge(b);
    assert_eq!(code, 1);
    assert!(err.contains("5 of 8 points missing"), "{err}");
    assert_eq!(sweep(b, "1/3", "2").0, 0);
    assert_eq!(sweep(b, "2/3", "1").0, 0);
    assert_eq!(merge(b).0, 0);
    // Same bits whatever the sharding and thread count.
    assert_eq!(
        std::fs::read_to_string(base.join("b/points.csv")).unwrap(),
        whole
    );

    // An interrupted shard (last line cut) recomputes only the cut point.
    let shard1 = base.join("b/shard-1-of-3.jsonl");
    let text = std::fs::read_to_string(&shard1).unwrap();
    std::fs::write(&shard1, &text[..text.len() - 10]).unwrap();
    let (code, out, err) = sweep(b, "1/3", "2");
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        (v["computed"].as_u64(), v["skipped"].as_u64()),
        (Some(1), Some(2))
    );
    assert_eq!(merge(b).0, 0);
    assert_eq!(
        std::fs::read_to_string(base.join("b/points.csv")).unwrap(),
        whole
    );

    // A point present in two shard files is reported as duplicated: a directory put
    // together wrongly, bad input (status 2; issue 20's exit-status rule).
    let first = std::fs::read_to_string(base.join("b/shard-0-of-3.jsonl")).unwrap();
    let extra = first.lines().next().unwrap().to_string() + "\n";
    std::fs::write(base.join("b/shard-9-of-9.jsonl"), extra).unwrap();
    let (code, _, err) = merge(b);
    assert_eq!(code, 2);
    assert!(err.contains("1 duplicated [0]"), "{err}");

    // Another sweep into the same directory is refused.
    let (code, _, err) = balnet(&[
        "sweep", "lyapunov", "--ns", "300", "--j0s", "0.5", "--out", b, "--t", "30",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("another sweep"), "{err}");
    std::fs::remove_dir_all(&base).unwrap();
}

#[test]
fn dmf_has_exact_keys_writes_its_files_and_rejects_bad_input() {
    // A small grid (1024 modes, 8 realizations, 2 chains, 20 % target) keeps this to ~2 s.
    let dir = std::env::temp_dir().join(format!("balnet-dmf-{}", std::process::id()));
    let small = [
        "--modes",
        "1024",
        "--realizations",
        "8",
        "--chains",
        "2",
        "--target",
        "0.2",
    ];
    let mut args = vec!["dmf", "--n", "2000", "--j0", "1.5", "--json", "--out"];
    let d = dir.to_str().unwrap();
    args.push(d);
    args.extend_from_slice(&small);
    let (code, out, err) = balnet(&args);
    assert_eq!(code, 0, "{err}");
    let values = [
        "mu_e",
        "mu_i",
        "delta0_e",
        "delta0_i",
        "phi_e",
        "phi_i",
        "w",
        "phi_w",
        "tau_dec_e",
        "tau_dec_i",
        "a_e",
        "a_i",
    ];
    let mut top: Vec<&str> = values.to_vec();
    top.extend([
        "iterations",
        "converged",
        "termination",
        "chains",
        "n",
        "stderr",
    ]);
    assert_eq!(keys(&out), sorted(&top));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let se: Vec<String> = v["stderr"].as_object().unwrap().keys().cloned().collect();
    assert_eq!(se, sorted(&values));
    assert_eq!(v["converged"], true);
    for f in ["spectra.csv", "acf.csv", "history.csv", "acf.svg"] {
        assert!(dir.join(f).exists(), "{f}");
    }
    let _ = std::fs::remove_dir_all(&dir);
    // The limit N = infinity and a fixed point below J_c.
    let mut args = vec!["dmf", "--n", "inf", "--j0", "0.5", "--json"];
    args.extend_from_slice(&small);
    let (code, out, err) = balnet(&args);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["termination"], "fixed_point");
    assert_eq!(v["n"], "inf");
    assert_eq!(v["delta0_e"], 0.0);
    for (bad, name) in [
        (vec!["dmf", "--modes", "1000"], "modes"),
        (vec!["dmf", "--realizations", "1"], "realizations"),
        (vec!["dmf", "--dt", "0"], "dt"),
        (vec!["dmf", "--n", "-5"], "n"),
    ] {
        let (code, out, err) = balnet(&bad);
        assert_eq!(code, 2, "{bad:?}: {err}");
        assert!(out.is_empty());
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(name) && !err.contains("panicked"), "{err}");
    }
}

#[test]
fn simulate_lif_has_exact_keys_writes_its_files_resumes_and_rejects_bad_input() {
    // N = 1000 for 20 tau_m: ~0.1 s per run.
    let dir = std::env::temp_dir().join(format!("balnet-lif-{}", std::process::id()));
    let d = dir.to_str().unwrap();
    let base = [
        "simulate",
        "lif",
        "--n",
        "1000",
        "--t",
        "20",
        "--transient",
        "5",
        "--json",
    ];
    let mut args = base.to_vec();
    args.extend(["--out", d, "--cv-window", "10"]);
    let (code, out, err) = balnet(&args);
    assert_eq!(code, 0, "{err}");
    let named = [
        "rate_e",
        "rate_i",
        "cv_e",
        "cv_i",
        "mu_e",
        "mu_i",
        "rate_var_e",
        "rate_var_i",
        "spikes",
    ];
    let mut all: Vec<&str> = named.to_vec();
    all.extend([
        "w",
        "delta0_e",
        "delta0_i",
        "tau_dec_e",
        "tau_dec_i",
        "rate_e_stderr",
        "rate_i_stderr",
        "n_cv_e",
        "n_cv_i",
        "t",
        "integrator",
        "n",
        "seed",
        "dt",
        "cv_windows",
    ]);
    assert_eq!(keys(&out), sorted(&all));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["cv_windows"].as_array().unwrap().len(), 1);
    for f in [
        "raster.csv",
        "neurons.csv",
        "population.csv",
        "acf.csv",
        "traces.csv",
        "raster.svg",
        "rates.svg",
        "acf.svg",
    ] {
        assert!(dir.join(f).exists(), "{f}");
    }
    // The raster has one line per spike.
    let raster = std::fs::read_to_string(dir.join("raster.csv")).unwrap();
    assert_eq!(
        raster.lines().count() as u64 - 1,
        v["spikes"].as_u64().unwrap()
    );
    // A checkpointed run, interrupted by nothing, then re-run from its finished checkpoint,
    // reports the same numbers as a plain run.
    let ck = dir.join("ck.json");
    let ck = ck.to_str().unwrap();
    let mut a = base.to_vec();
    a.extend([
        "--integrator",
        "exact",
        "--checkpoint",
        ck,
        "--checkpoint-every",
        "3",
    ]);
    let (c1, o1, e1) = balnet(&a);
    let (c2, o2, e2) = balnet(&a);
    let mut plain = base.to_vec();
    plain.extend(["--integrator", "exact"]);
    let (c3, o3, _) = balnet(&plain);
    assert_eq!((c1, c2, c3), (0, 0, 0), "{e1}{e2}");
    assert!(e2.contains("resuming"), "{e2}");
    assert_eq!(o1, o2);
    assert_eq!(o1, o3);
    for (bad, name) in [
        (vec!["--dt", "0.5"], "dt"),
        (vec!["--tau-ref", "-1"], "tau_ref"),
        (vec!["--transfer", "erf"], "transfer"),
        (vec!["--tau-m", "2"], "tau_m"),
        (vec!["--cv-window", "100"], "cv-window"),
        (vec!["--n", "1"], "n"),
    ] {
        let mut a = base.to_vec();
        a.extend(bad.iter().copied());
        let (code, out, err) = balnet(&a);
        assert_eq!(code, 2, "{bad:?}: {err}");
        assert!(out.is_empty());
        assert_eq!(err.trim().lines().count(), 1, "{err}");
        assert!(err.contains(name), "{bad:?}: {err}");
        assert!(
            !err.contains("panicked") && !err.contains("backtrace"),
            "{err}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn verify_reports_exact_keys_and_fails_on_a_failing_case() {
    let (code, out, err) = balnet(&["verify", "--only", "balanced-limit", "--json"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        keys(&out),
        sorted(&["cases", "passed", "failed", "known_failures"])
    );
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    let cases = v["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 3);
    for c in cases {
        for k in [
            "id",
            "quantity",
            "expected",
            "obtained",
            "tolerance",
            "pass",
            "source",
        ] {
            assert!(c.get(k).is_some(), "missing {k}");
        }
        assert_eq!(c["pass"], true);
    }
    assert_eq!(v["passed"], 3);

    // A golden directory with one wrong value and one documented known failure: exit 1, and
    // the known failure is counted as such.
    let dir = std::env::temp_dir().join(format!("balnet-verify-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("theory.toml"),
        r#"[meta]
format = "balnet-golden/1"
paper = "test"
description = "test"

[[case]]
id = "wrong"
quantity = "balanced.w"
expected = 0.6
tolerance = 1e-3
why = "deliberately wrong"
source = "Eq. 6c"
how = "test"

[[case]]
id = "known"
quantity = "balanced.phi_e"
expected = 0.3
tolerance = 1e-3
why = "deliberately wrong"
source = "Eq. 6a"
how = "test"
known_failure = "documented"
"#,
    )
    .unwrap();
    let g = dir.to_string_lossy().to_string();
    let (code, out, err) = balnet(&["verify", "--golden", &g, "--json"]);
    assert_eq!(code, 1, "{err}");
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(
        (v["failed"].clone(), v["known_failures"].clone()),
        (1.into(), 1.into())
    );
    let (code, _, err) = balnet(&["verify", "--golden", "/nonexistent-dir"]);
    assert_eq!(code, 2);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn check_predicts_from_finite_networks_caches_and_rejects_bad_files() {
    let dir = std::env::temp_dir().join(format!("balnet-check-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cache = dir.join("cache");
    let cache = cache.to_str().unwrap();
    // A correct simulator's values at N = 2000, J0 = 0.1: the exact fixed point (Eq. 5) and
    // the largest Lyapunov exponent of a network balnet does not use for its prediction
    // (seed 100), over the same window.
    let (_, fp, _) = balnet(&["fixed-point", "--n", "2000", "--j0", "0.1", "--json"]);
    let fp: serde_json::Value = serde_json::from_str(fp.trim()).unwrap();
    let (_, ly, _) = balnet(&[
        "lyapunov",
        "--n",
        "2000",
        "--j0",
        "0.1",
        "--seed",
        "100",
        "--t",
        "100",
        "--transient",
        "200",
        "--json",
    ]);
    let ly: serde_json::Value = serde_json::from_str(ly.trim()).unwrap();
    let doc = |phi_e: f64, extra: serde_json::Value| {
        let mut d = serde_json::json!({
            "format": "balnet-check/1", "simulator": "test", "model": "rate",
            "params": {"n": 2000, "j0": 0.1, "i0": 0},
            "window": {"t": 100, "transient": 200, "dt": 0.05},
            "realizations": 1,
            "statistics": {"phi_e": phi_e, "w": {"value": fp["w"], "stderr": 1e-7},
                           "delta0_e": 0.0, "lyapunov_1": ly["exponents"][0]}
        });
        for (k, v) in extra.as_object().unwrap() {
            d["statistics"][k] = v.clone();
        }
        d.to_string()
    };
    let phi_e = fp["phi_e"].as_f64().unwrap();
    let good = dir.join("good.json");
    std::fs::write(&good, doc(phi_e, serde_json::json!({}))).unwrap();
    let args = |f: &std::path::Path| {
        vec![
            "check".to_string(),
            "--against".into(),
            f.to_str().unwrap().into(),
            "--json".into(),
            "--cache-dir".into(),
            cache.into(),
        ]
    };
    let run = |f: &std::path::Path| {
        let a = args(f);
        balnet(&a.iter().map(String::as_str).collect::<Vec<_>>())
    };
    let (code, out, err) = run(&good);
    assert_eq!(code, 0, "{out} {err}");
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(v["regime"], "fixed_point");
    assert_eq!(
        (v["passed"].clone(), v["verdict"].clone()),
        (4.into(), "pass".into())
    );
    assert_eq!(v["prediction"]["cached"], false);
    for k in [
        "format",
        "model",
        "simulator",
        "regime",
        "regimes",
        "observer_regime",
        "balnet_realizations",
        "balnet_dt",
        "ensemble",
        "prediction",
        "statistics",
        "verdict",
        "passed",
        "failed",
        "inconclusive",
    ] {
        assert!(v.get(k).is_some(), "missing {k}");
    }
    for s in v["statistics"].as_array().unwrap() {
        for k in [
            "name",
            "expected",
            "observed",
            "tolerance",
            "lower",
            "upper",
            "pass",
            "verdict",
            "predictor",
            "detectable_error",
            "realizations_for_5pct",
            "compared_with",
            "balnet_runs",
            "reason",
        ] {
            assert!(s.get(k).is_some(), "missing {k}");
        }
    }
    // Lambda_1 is predicted by the finite networks; the limit's value is information
    let l = &v["statistics"].as_array().unwrap()[1];
    assert_eq!(l["name"], "lyapunov_1");
    assert!(l["theory"].is_number());
    // the second check of the same set-up reads the prediction from the cache
    let (code, out, _) = run(&good);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(v["prediction"]["cached"], true);
    // phi_E off by 1e-3 (ten times the allowance): fails, exit 1.
    let wrong = dir.join("wrong.json");
    std::fs::write(&wrong, doc(phi_e + 1e-3, serde_json::json!({}))).unwrap();
    let (code, out, _) = run(&wrong);
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(
        (v["failed"].clone(), v["verdict"].clone()),
        (1.into(), "fail".into())
    );
    // tau_dec at a fixed point: balnet's runs do not define it, so it cannot tell: exit 3
    let undefined = dir.join("undefined.json");
    std::fs::write(
        &undefined,
        doc(phi_e, serde_json::json!({"tau_dec_e": 5.0})),
    )
    .unwrap();
    let (code, out, err) = run(&undefined);
    assert_eq!(code, 3, "{out} {err}");
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(
        (v["inconclusive"].clone(), v["verdict"].clone()),
        (1.into(), "inconclusive".into())
    );
    // Bad files: one line, exit 2, naming what is wrong.
    for (text, needle) in [
        ("{", "bad.json"),
        (
            r#"{"format": "balnet-check/9", "model": "rate", "window": {"t": 1, "transient": 0, "dt": 0.1}, "statistics": {}}"#,
            "format",
        ),
        (
            r#"{"format": "balnet-check/1", "model": "rate", "window": {"t": 1, "transient": 0, "dt": 3}, "statistics": {}}"#,
            "window.dt",
        ),
        (
            r#"{"format": "balnet-check/1", "model": "rate", "window": {"t": 1, "transient": 0, "dt": 0.1}, "statistics": {"rate_e": 1}}"#,
            "statistics.rate_e",
        ),
        (
            r#"{"format": "balnet-check/1", "model": "rate", "params": {"j0": -1}, "window": {"t": 1, "transient": 0, "dt": 0.1}, "statistics": {}}"#,
            "j0",
        ),
        (
            r#"{"format": "balnet-check/1", "model": "rate", "k_e": 100, "window": {"t": 1, "transient": 0, "dt": 0.1}, "statistics": {}}"#,
            "k_e",
        ),
        (
            r#"{"format": "balnet-check/1", "model": "rate", "window": {"t": 1e9, "transient": 0, "dt": 0.05}, "statistics": {}}"#,
            "window",
        ),
        (
            r#"{"format": "balnet-check/1", "model": "rate", "window": {"t": 1, "transient": 0, "dt": 1e-300}, "statistics": {}}"#,
            "window",
        ),
        (
            r#"{"format": "balnet-check/1", "model": "rate", "params": {"n": 100}, "k_e": 81, "k_i": 5, "window": {"t": 1, "transient": 0, "dt": 0.1}, "statistics": {}}"#,
            "k_e",
        ),
        (
            r#"{"format": "balnet-check/1", "model": "rate", "params": {"transfer": "relu"}, "window": {"t": 1, "transient": 0, "dt": 0.1}, "statistics": {}}"#,
            "transfer = 'relu'",
        ),
        (
            r#"{"format": "balnet-check/1", "model": "rate", "params": {"tau_ref": 0.1}, "window": {"t": 1, "transient": 0, "dt": 0.1}, "statistics": {}}"#,
            "tau_ref",
        ),
        (
            r#"{"format": "balnet-check/1", "model": "lif", "window": {"t": 1, "transient": 0, "dt": 0.001, "method": "rk4"}, "statistics": {}}"#,
            "window.method",
        ),
    ] {
        let bad = dir.join("bad.json");
        std::fs::write(&bad, text).unwrap();
        let (code, _, err) = balnet(&["check", "--against", bad.to_str().unwrap(), "--no-cache"]);
        assert_eq!(code, 2, "{text}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "{err}");
        assert!(err.contains(needle), "{needle} not in {err}");
    }
    // the plain LIF forms are accepted (validated without running: --max-realizations below
    // --realizations is refused after the file is read)
    let lif = dir.join("lif.json");
    std::fs::write(
        &lif,
        r#"{"format": "balnet-check/1", "model": "lif", "params": {"transfer": "lif", "tau_ref": 0.002}, "window": {"t": 1, "transient": 0, "dt": 0.001, "method": "exact"}, "statistics": {"rate_e": 0.1}}"#,
    )
    .unwrap();
    let (code, _, err) = balnet(&[
        "check",
        "--against",
        lif.to_str().unwrap(),
        "--max-realizations",
        "1",
        "--no-cache",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--max-realizations"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn reproduce_writes_figures_atomically_and_skips_existing_ones() {
    let dir = std::env::temp_dir().join(format!("balnet-reproduce-{}", std::process::id()));
    let d = dir.to_string_lossy().to_string();
    let (code, out, err) = balnet(&[
        "reproduce",
        "--out",
        &d,
        "--only",
        "2c",
        "--no-golden",
        "--json",
    ]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(v["written"], serde_json::json!(["2c"]));
    let svg = std::fs::read_to_string(dir.join("fig2c.svg")).unwrap();
    assert!(svg.starts_with("<svg") && svg.contains("phi_E") && svg.trim_end().ends_with("</svg>"));
    assert!(
        std::fs::read_to_string(dir.join("index.html"))
            .unwrap()
            .contains("fig2c.svg")
    );
    let (code, out, _) = balnet(&[
        "reproduce",
        "--out",
        &d,
        "--only",
        "2c",
        "--no-golden",
        "--json",
    ]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(v["skipped"], serde_json::json!(["2c"]));
    // no temporary files left behind
    for e in std::fs::read_dir(&dir).unwrap() {
        let name = e.unwrap().file_name().to_string_lossy().to_string();
        assert!(!name.contains("tmp"), "{name}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

fn golden_ssn(name: &str) -> String {
    format!("{}/../golden/ssn/{name}.toml", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn ssn_commands_have_exact_keys_and_reject_bad_input() {
    let (code, out, err) = balnet(&[
        "ricciardi",
        "--mu",
        "900",
        "--sigma",
        "30",
        "--tau",
        "0.02",
        "--theta",
        "20",
        "--v-r",
        "10",
        "--tau-ref",
        "0.002",
        "--json",
    ]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(keys(&out), sorted(&["rate", "drate_dmu", "drate_dsigma"]));
    let rate = |s: &str| -> f64 {
        serde_json::from_str::<serde_json::Value>(s.trim()).unwrap()["rate"]
            .as_f64()
            .unwrap()
    };
    // NEST's convention: mu_N = mu tau = 18 mV, sigma_N = sigma sqrt(tau) = 4.2426 mV, ms.
    let (code, nest, err) = balnet(&[
        "ricciardi",
        "--convention",
        "nest",
        "--mu",
        "18",
        "--sigma",
        "4.242640687119285",
        "--tau",
        "20",
        "--theta",
        "20",
        "--v-r",
        "10",
        "--tau-ref",
        "2",
        "--json",
    ]);
    assert_eq!(code, 0, "{err}");
    // The same neuron and input in two unit systems: equal to rounding.
    assert!(
        (rate(&out) - rate(&nest)).abs() < 1e-12 * rate(&out),
        "{out} {nest}"
    );

    let (code, out, err) = balnet(&["ssn", "fit", "--sigma", "30", "--json"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(keys(&out), sorted(&["a", "b", "n", "rms"]));

    let file = golden_ssn("bistable");
    let (code, out, err) = balnet(&[
        "ssn",
        "steady-states",
        "--params",
        &file,
        "--mu-ext",
        "100",
        "--r",
        "1",
        "--json",
    ]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    for k in [
        "states",
        "det_j",
        "supersaturating",
        "isn",
        "balanced_limit",
    ] {
        assert!(v.get(k).is_some(), "{k} missing: {out}");
    }
    for k in ["exists", "stable", "nu_e", "nu_i"] {
        assert!(v["balanced_limit"].get(k).is_some(), "{k}: {out}");
    }
    let states = v["states"].as_array().unwrap();
    assert_eq!(
        states.len(),
        3,
        "the bistable set has 3 states at 100 mV/s: {out}"
    );
    for s in states {
        for k in ["nu_e", "nu_i", "stable"] {
            assert!(s.get(k).is_some(), "{k}: {out}");
        }
    }
    assert_eq!(v["bistable"], true);

    // The regime map: K x K rows of CSV plus a header, the same with 1 and 2 threads.
    let scan = |threads: &str| {
        balnet(&[
            "--threads",
            threads,
            "ssn",
            "scan",
            "--params",
            &file,
            "--mu-ext",
            "0:300:7",
            "--r",
            "0.5:1.5:3",
        ])
    };
    let (code, one, err) = scan("1");
    assert_eq!(code, 0, "{err}");
    let (_, two, _) = scan("2");
    assert_eq!(one, two);
    let lines: Vec<&str> = one.lines().collect();
    assert_eq!(lines.len(), 22);
    assert!(lines[0].starts_with("mu_ext,r,states,stable,supersaturating,isn,bistable"));
    assert!(lines[1..].iter().all(|l| l.split(',').count() == 11));

    let (code, out, err) = balnet(&[
        "simulate",
        "lif-ssn",
        "--params",
        &golden_ssn("supersaturating"),
        "--mu-ext",
        "850",
        "--r",
        "1.5",
        "--t",
        "0.3",
        "--transient",
        "0.1",
        "--seed",
        "3",
        "--json",
    ]);
    assert_eq!(code, 0, "{err}");
    let k = keys(&out);
    for want in ["rate_e", "rate_i", "cv_e", "cv_i", "balance_e", "balance_i"] {
        assert!(k.contains(&want.to_string()), "{want}: {out}");
    }

    for (args, name) in [
        (
            vec!["ricciardi", "--mu", "1", "--sigma=-1", "--json"],
            "sigma",
        ),
        (
            vec![
                "ssn",
                "steady-states",
                "--params",
                &file,
                "--mu-ext",
                "1",
                "--r=-1",
            ],
            "r",
        ),
        (
            vec![
                "ssn", "scan", "--params", &file, "--mu-ext", "0:1:0", "--r", "1",
            ],
            "mu-ext",
        ),
        (
            vec![
                "simulate", "lif-ssn", "--params", &file, "--mu-ext", "1", "--r", "1", "--dt",
                "0.1",
            ],
            "dt",
        ),
    ] {
        let (code, out, err) = balnet(&args);
        assert_eq!(code, 2, "{args:?}: {out} {err}");
        assert!(out.is_empty(), "{args:?}: {out}");
        assert_eq!(err.trim().lines().count(), 1, "{args:?}: {err}");
        assert!(err.contains(name), "{args:?}: {err}");
        assert!(
            !err.contains("panicked") && !err.contains("backtrace"),
            "{err}"
        );
    }
}

/// A network exported with the rate model's parameters, simulated as the LIF network: its
/// structure is used with the LIF defaults (J0 = 0.4, I0 = 1.2, tau_syn = 10), said on stderr,
/// and the network fires (issue 18: it used to take the rate model's J0, I0 and tau_syn and
/// give 0 spikes with exit 0).
#[test]
fn lif_on_a_rate_export_uses_the_lif_defaults_and_says_so() {
    let dir = std::env::temp_dir().join(format!("balnet-lifnet-{}", std::process::id()));
    let d = dir.to_str().unwrap();
    let (code, out, _) = balnet(&["export-network", "--n", "1000", "--out", d, "--json"]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(v["model"], "rate");
    let (code, out, err) = balnet(&[
        "simulate",
        "lif",
        "--network",
        d,
        "--t",
        "20",
        "--transient",
        "0",
        "--json",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("exported for the rate model"), "{err}");
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert!(v["spikes"].as_u64().unwrap() > 1000, "{out}");
    let _ = std::fs::remove_dir_all(&dir);
}
