//! Issue 20's reproducers, one regression test each: no panic, no hang, no silent wrong answer,
//! bounded resources, strict oracle inputs, one-line errors with the exit-status rule (2 bad
//! input, 1 failed computation, 130 interrupted).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

fn balnet_in(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_balnet"))
        .args(args)
        .current_dir(dir)
        .env("RUST_BACKTRACE", "1")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

fn scratch(name: &str) -> PathBuf {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let k = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let d = std::env::temp_dir().join(format!(
        "balnet-hardening-{name}-{}-{k}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Every file under `dir` (names relative to it).
fn files(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// Run `args` in a fresh directory and expect `status`, one line on stderr containing
/// `needle`, no panic, and no file written.
fn refused(args: &[&str], status: i32, needle: &str) {
    let dir = scratch("refused");
    let started = Instant::now();
    let (code, out, err) = balnet_in(&dir, args);
    let line = format!("balnet {}", args.join(" "));
    assert_eq!(code, status, "{line}: {err}{out}");
    assert!(!err.contains("panicked"), "{line}: {err}");
    assert_eq!(err.trim().lines().count(), 1, "{line}: {err}");
    assert!(err.contains(needle), "{line}: '{needle}' not in {err}");
    assert!(files(&dir).is_empty(), "{line} left {:?}", files(&dir));
    // Refusals come before any work (the hangs of the fuzz log took minutes).
    assert!(started.elapsed() < Duration::from_secs(20), "{line}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn overflowing_times_are_refused_not_wrapped() {
    // Used to wrap the step counter and print all-zero rates as time_dependent, exit 0.
    refused(&["simulate", "rate", "--t", "1e19", "--json"], 2, "t = 1");
    // Used to print [0, 0] as quasi_periodic.
    refused(&["lyapunov", "--t", "1e19", "--json"], 2, "t = 1");
    // Used to panic (run.rs: copy_from_slice of an empty replay state).
    refused(
        &["correlations", "--n", "500", "--transient", "1e19"],
        2,
        "transient = 1",
    );
    refused(
        &["simulate", "lif", "--n", "500", "--t", "1e300"],
        2,
        "t = 1",
    );
}

/// Valid but extreme inputs that used to run for hours (or forever) now finish, each within
/// seconds, with a finite answer (status 0) or a failure with its residual (status 1).
#[test]
fn extreme_valid_inputs_finish() {
    let dir = scratch("extreme");
    for (args, max_seconds) in [
        // Damped variance iteration: used to cycle for 400 iterations (108 s), then fail.
        (
            vec!["het-fixed-point", "--n", "1e15", "--j0", "1e6", "--json"],
            10,
        ),
        // The periodic depression path in closed form: used to integrate 10 tau_D per
        // evaluation (hours at tau_D = 1e6).
        (vec!["dmf", "--tau-d", "1e6", "--json"], 10),
        // Vanishing noise is the deterministic limit: used to print NaN, and `ssn fit` looped.
        (
            vec!["ricciardi", "--mu", "1200", "--sigma", "1e-320", "--json"],
            5,
        ),
        (vec!["ssn", "fit", "--sigma", "1e-320", "--json"], 5),
    ] {
        let started = Instant::now();
        let (code, out, err) = balnet_in(&dir, &args);
        let line = format!("balnet {}", args.join(" "));
        assert_eq!(code, 0, "{line}: {err}");
        let v: serde_json::Value = serde_json::from_str(out.trim()).expect(&line);
        assert!(!out.contains("null") || args[0] == "dmf", "{line}: {out}");
        assert!(v.is_object(), "{line}");
        assert!(
            started.elapsed() < Duration::from_secs(max_seconds),
            "{line} took {:?}",
            started.elapsed()
        );
    }
    // The spike raster is bounded by the memory available (here 2 MB): stopped with one line
    // (status 2) instead of growing until the machine swaps.
    let out = Command::new(env!("CARGO_BIN_EXE_balnet"))
        .args([
            "simulate",
            "lif",
            "--n",
            "1000",
            "--t",
            "1e5",
            "--cv-window",
            "1e5",
        ])
        .current_dir(&dir)
        .env("BALNET_MEMORY_LIMIT", "2e6")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("spike raster"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn extreme_parameters_are_refused_with_their_range() {
    // Used to hang in the solvers.
    refused(&["fixed-point", "--j0", "1e307"], 2, "j0 <= 1e6");
    refused(&["dmf", "--g-i", "1e308"], 2, "g_i <= 1e6");
    refused(&["het-fixed-point", "--j0", "1e307"], 2, "j0");
    refused(&["critical-coupling", "--i0", "1e307"], 2, "i0");
    // Negative values after a flag name that flag (clap used to report "-1" or "-i").
    refused(
        &["spectrum", "--tau-syn", "-inf", "--n", "200"],
        2,
        "tau_syn",
    );
    refused(
        &["fixed-point", "--tau-m", "-1e-300", "--transfer", "lif"],
        2,
        "tau_m",
    );
}

#[test]
fn resources_are_bounded() {
    refused(&["--threads", "100000", "report"], 2, "threads <= ");
    refused(&["--threads", "0", "report"], 2, "threads");
    // Used to grow to 15 GB and beyond, or abort on allocation with a backtrace.
    refused(&["simulate", "rate", "--n", "1e9"], 2, "memory");
    refused(&["spectrum", "--n", "1e6"], 2, "memory");
    refused(&["fixed-point", "--n", "1e300"], 2, "n <= 1e15");
}

#[test]
fn ignored_flags_are_rejected() {
    refused(&["report", "--n", "inf"], 2, "n = inf");
    refused(&["fixed-point", "--tau-m", "2"], 2, "tau_m");
    let dir = scratch("init");
    // A valid state of N + N_E = 540 numbers.
    std::fs::write(dir.join("state.txt"), "0.1\n".repeat(540)).unwrap();
    let (code, _, err) = balnet_in(
        &dir,
        &[
            "simulate",
            "rate",
            "--n",
            "300",
            "--t",
            "5",
            "--init",
            "state.txt",
            "--checkpoint",
            "ck.bin",
        ],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("init") && err.contains("checkpoint"), "{err}");
    assert_eq!(files(&dir), vec!["state.txt".to_string()]);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn errors_are_one_line_and_name_the_argument() {
    // clap used to stop at "the following required arguments were not provided:".
    refused(&["sweep", "lyapunov", "--j0s", "1"], 2, "--out");
    refused(&["simulate"], 2, "balnet simulate --help");
    let long = format!("--i0={}", "x".repeat(10_000));
    refused(&["fixed-point", &long], 2, "--i0");
    // TOML errors used to run to 5 lines.
    let dir = scratch("toml");
    let bad = dir.join("bad.toml");
    std::fs::write(&bad, "n = 3\nj0 = \"x\n").unwrap();
    let (code, _, err) = balnet_in(&dir, &["report", "--params", bad.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("line 2, column"), "{err}");
    // Unknown keys in SSN parameter files were accepted silently.
    let ssn = dir.join("ssn.toml");
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../golden/ssn/paradoxical.toml"),
    )
    .unwrap();
    std::fs::write(&ssn, text.replace("n = 4000", "n = 4000\nj_ee_typo = 1.0")).unwrap();
    let (code, _, err) = balnet_in(
        &dir,
        &[
            "ssn",
            "steady-states",
            "--params",
            ssn.to_str().unwrap(),
            "--mu-ext",
            "100",
            "--r",
            "1",
        ],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("j_ee_typo"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn check_refuses_a_file_without_statistics() {
    let dir = scratch("check");
    let f = dir.join("empty.json");
    std::fs::write(
        &f,
        r#"{"format": "balnet-check/1", "model": "rate", "params": {"n": 500},
            "window": {"t": 10, "transient": 10, "dt": 0.05}, "statistics": {}}"#,
    )
    .unwrap();
    let (code, _, err) = balnet_in(&dir, &["check", "--against", "empty.json", "--no-cache"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("statistics"), "{err}");
    std::fs::write(
        &f,
        r#"{"format": "balnet-check/1", "model": "rate", "params": {"n": 500},
            "window": {"t": 1e300, "transient": 10, "dt": 0.05},
            "statistics": {"phi_e": {"value": 0.4, "stderr": 0.01}}}"#,
    )
    .unwrap();
    let (code, _, err) = balnet_in(&dir, &["check", "--against", "empty.json", "--no-cache"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("window.t"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn sweep_merge_is_strict() {
    let dir = scratch("sweep");
    let sweep = |out: &str, seed: &str| {
        balnet_in(
            &dir,
            &[
                "sweep",
                "lyapunov",
                "--ns",
                "300",
                "--j0s",
                "0.5,1.5",
                "--t",
                "10",
                "--transient",
                "2",
                "--seed",
                seed,
                "--out",
                out,
                "--json",
            ],
        )
    };
    assert_eq!(sweep("a", "1").0, 0);
    assert_eq!(sweep("b", "7").0, 0);
    let merge = |out: &str| balnet_in(&dir, &["sweep", "merge", out, "--json"]);
    assert_eq!(merge("a").0, 0);
    let shard = |out: &str| dir.join(out).join("shard-0-of-1.jsonl");
    let good = std::fs::read_to_string(shard("a")).unwrap();
    // A shard of another seed used to be merged.
    std::fs::copy(shard("b"), shard("a")).unwrap();
    let (code, _, err) = merge("a");
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("seed 7") && err.contains("another sweep"),
        "{err}"
    );
    // Garbage lines used to be dropped silently.
    std::fs::write(shard("a"), format!("{good}not json\n")).unwrap();
    let (code, _, err) = merge("a");
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("line 3"), "{err}");
    // Points that carry errors count as failed; all failed is a failure (exit 1).
    let failed: String = good
        .lines()
        .map(|l| {
            let mut v: serde_json::Value = serde_json::from_str(l).unwrap();
            v["exponents"] = serde_json::json!([]);
            v["error"] = "diverged".into();
            v.to_string() + "\n"
        })
        .collect();
    std::fs::write(shard("a"), &failed).unwrap();
    let (code, _, err) = merge("a");
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("every one of the 2 points failed"), "{err}");
    let one_failed =
        format!("{}{}", good.lines().next().unwrap(), "\n") + failed.lines().nth(1).unwrap() + "\n";
    std::fs::write(shard("a"), one_failed).unwrap();
    let (code, out, err) = merge("a");
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(v["failed"], 1);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn checkpoints_are_compact_checked_and_cleaned_up() {
    let dir = scratch("ckpt");
    let run = |extra: &[&str]| {
        let mut args = vec![
            "simulate",
            "rate",
            "--n",
            "2000",
            "--j0",
            "1.5",
            "--t",
            "200",
            "--transient",
            "10",
            "--checkpoint",
            "run.ckpt",
            "--json",
        ];
        args.extend_from_slice(extra);
        balnet_in(&dir, &args)
    };
    let (code, first, err) = run(&[]);
    assert_eq!(code, 0, "{err}");
    // About the state's own size: the ACF buffer (400 series x 2000 samples) and the state
    // (N + N_E = 3600) at 8 bytes per double, 6.5 MB; the JSON of balnet 0.1 was ~2.5x that.
    let size = std::fs::metadata(dir.join("run.ckpt")).unwrap().len();
    assert!(size < 8_000_000, "{size} bytes");
    // Re-run from the finished checkpoint: the same result.
    let (code, again, _) = run(&[]);
    assert_eq!((code, &again), (0, &first));
    // A corrupted checkpoint is refused with one line, never resumed.
    let mut bytes = std::fs::read(dir.join("run.ckpt")).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 1;
    std::fs::write(dir.join("run.ckpt"), &bytes).unwrap();
    // ... and a temporary file left by a killed run is removed.
    std::fs::write(dir.join(".run.ckpt.tmp"), b"partial").unwrap();
    let (code, _, err) = run(&[]);
    assert_eq!(code, 2, "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("checksum"), "{err}");
    assert_eq!(files(&dir), vec!["run.ckpt".to_string()]);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[cfg(unix)]
#[test]
fn ctrl_c_stops_a_run_with_its_checkpoint_and_status_130() {
    let dir = scratch("sigint");
    let child = Command::new(env!("CARGO_BIN_EXE_balnet"))
        .args([
            "simulate",
            "rate",
            "--n",
            "5000",
            "--j0",
            "1.5",
            "--t",
            "1e5",
            "--transient",
            "0",
            "--checkpoint",
            "run.ckpt",
            "--json",
        ])
        .current_dir(&dir)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    let pid = child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .unwrap()
            .success()
    );
    let started = Instant::now();
    let out = child.wait_with_output().unwrap();
    assert!(started.elapsed() < Duration::from_secs(5));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{err}");
    assert!(out.stdout.is_empty());
    assert!(err.contains("stopped"), "{err}");
    // The checkpoint holds the run as it stood; no temporary file is left.
    assert_eq!(files(&dir), vec!["run.ckpt".to_string()]);
    std::fs::remove_dir_all(&dir).unwrap();
}
