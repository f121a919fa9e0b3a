//! The README as a tested document: every `balnet` command in its shell blocks parses (the
//! subcommand exists, its flags and their values are accepted), and its numbers come out of
//! the code (the golden case count, the correlation table's N = 2000 row). The Python block is
//! run by `python/tests/test_readme.py`.

use std::path::Path;
use std::process::Command;

fn readme() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md")).unwrap()
}

fn balnet(args: &[String]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_balnet"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

/// The `balnet` invocations of the README's ```sh / ```bash blocks (continuation lines
/// joined, comments, pipes and redirections cut), as argument lists after the program name.
fn commands(text: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let mut in_shell = false;
    let mut pending = String::new();
    for line in text.lines() {
        let t = line.trim();
        if t.starts_with("```") {
            in_shell = matches!(t, "```sh" | "```bash" | "```shell" | "```console");
            pending.clear();
            continue;
        }
        if !in_shell {
            continue;
        }
        let t = t.strip_prefix("$ ").unwrap_or(t);
        if t.starts_with('#') {
            continue;
        }
        if let Some(head) = t.strip_suffix('\\') {
            pending.push_str(head);
            pending.push(' ');
            continue;
        }
        pending.push_str(t);
        let full = std::mem::take(&mut pending);
        let full = full.split(" #").next().unwrap_or("").to_string();
        let cut = |c: &str| c.split(['|', '>']).next().unwrap_or("").to_string();
        for cmd in full.split("&&").map(cut) {
            let words: Vec<String> = cmd.split_whitespace().map(|w| w.replace('"', "")).collect();
            let args = match words.iter().position(|w| w == "balnet" || w == "--") {
                Some(k)
                    if words[k] == "balnet"
                        || (k >= 3 && words[..k].join(" ").ends_with("cargo run --release")) =>
                {
                    words[k + 1..].to_vec()
                }
                _ => continue,
            };
            if !args.is_empty() {
                out.push(args);
            }
        }
    }
    out
}

#[test]
fn every_command_in_the_readme_parses() {
    let cmds = commands(&readme());
    assert!(cmds.len() > 20, "found only {} commands", cmds.len());
    let mut bad = Vec::new();
    for args in &cmds {
        // Placeholders of the cluster example stand for numbers.
        let mut a: Vec<String> = args
            .iter()
            .map(|w| {
                if w.starts_with('$') {
                    "2".to_string()
                } else {
                    w.clone()
                }
            })
            .collect();
        a.push("--help".into());
        let (code, _, err) = balnet(&a);
        if code != 0 {
            bad.push(format!("balnet {}: {}", args.join(" "), err.trim()));
        }
    }
    assert!(
        bad.is_empty(),
        "README commands that do not parse:\n{}",
        bad.join("\n")
    );
}

#[test]
fn the_golden_case_count_is_the_code_s() {
    let text = readme();
    let fast = verify::golden::builtin()
        .unwrap()
        .iter()
        .flat_map(|(_, f)| f.cases.iter())
        .filter(|c| c.tier == verify::golden::Tier::Fast)
        .count();
    let said = text
        .split("The fast tier (default, ")
        .nth(1)
        .and_then(|s| s.split(" cases)").next())
        .and_then(|s| s.rsplit(", ").next())
        .and_then(|s| s.trim().parse::<usize>().ok())
        .expect("the README states the number of fast cases");
    assert_eq!(said, fast);
}

/// `0.218`, `8.6e-4`: the README's rounding of a coefficient.
fn rounded(x: f64) -> String {
    if x.abs() >= 0.01 {
        format!("{x:.3}")
    } else {
        let s = format!("{x:.1e}");
        s.replace("e-0", "e-")
    }
}

/// The README's correlation table, N = 2000 row, against the binary (about 10 s).
#[test]
fn the_correlation_table_is_the_binary_s() {
    let text = readme();
    let row: Vec<String> = text
        .lines()
        .find(|l| l.starts_with("| 2000 | "))
        .expect("the N = 2000 row")
        .split('|')
        .map(|c| c.trim().to_string())
        .filter(|c| !c.is_empty())
        .collect();
    let args: Vec<String> = [
        "correlations",
        "--n",
        "2000",
        "--j0",
        "1.5",
        "--t",
        "300",
        "--transient",
        "500",
        "--json",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let (code, out, err) = balnet(&args);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    let keys = [
        "rho_ee", "rho_ie", "rho_ei", "rho_ii", "rho_t_e", "rho_t_i", "r_e", "r_i",
    ];
    let got: Vec<String> = keys
        .iter()
        .map(|k| rounded(v[k].as_f64().unwrap()))
        .collect();
    assert_eq!(row[1..].to_vec(), got);
}

/// A README command with what its comment promises: JSON keys (`"phi_e"`), string values
/// (`"regime": "chaos"`) and numbers (`"j_c":1.116364820...`, `# J_c = 1.0465728`, `# 0.0786`).
#[derive(Debug)]
struct Promise {
    line: usize,
    args: Vec<String>,
    comment: String,
}

/// Every README command whose own line or the `# {` lines under it describe its output.
fn promises(text: &str) -> Vec<Promise> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    let mut in_shell = false;
    for (i, line) in lines.iter().enumerate() {
        let t = line.trim();
        if t.starts_with("```") {
            in_shell = matches!(t, "```sh" | "```bash");
            continue;
        }
        if !in_shell || t.starts_with('#') {
            continue;
        }
        let Some(args) = commands(&format!("```sh\n{t}\n```")).pop() else {
            continue;
        };
        let mut comment = t
            .split_once(" #")
            .map(|c| c.1.to_string())
            .unwrap_or_default();
        let mut j = i + 1;
        if lines.get(j).is_some_and(|l| l.trim().starts_with("# {")) {
            while let Some(l) = lines.get(j) {
                let l = l.trim();
                if j > i + 1 && !l.starts_with("#  ") {
                    break;
                }
                comment.push(' ');
                comment.push_str(l.trim_start_matches('#'));
                j += 1;
            }
        }
        if comment.contains('"') || is_number(comment.trim()) || comment.contains(" = ") {
            out.push(Promise {
                line: i + 1,
                args,
                comment,
            });
        }
    }
    out
}

fn is_number(s: &str) -> bool {
    s.contains('.') && s.parse::<f64>().is_ok()
}

/// Does `v` agree with the printed `s` to its last digit (`...`: truncated, else rounded)?
fn agrees(v: f64, s: &str) -> bool {
    let truncated = s.ends_with("...");
    let s = s.trim_end_matches("...");
    let x: f64 = s.parse().unwrap();
    let mantissa = s.split(['e', 'E']).next().unwrap();
    let decimals = mantissa.split('.').nth(1).map_or(0, str::len) as i32;
    let exp: i32 = s.split(['e', 'E']).nth(1).map_or(0, |e| e.parse().unwrap());
    let unit = 10f64.powi(exp - decimals);
    let tol = if truncated { unit } else { 0.5 * unit } * (1.0 + 1e-9);
    (v - x).abs() <= tol
}

/// Every key of `v` at any depth.
fn keys(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, x) in m {
                out.push(k.clone());
                keys(x, out);
            }
        }
        serde_json::Value::Array(a) => a.iter().for_each(|x| keys(x, out)),
        _ => {}
    }
}

/// A key named by a comment, with the string value it promises (`"regime": "chaos"`).
type Word = (String, Option<String>);

/// The quoted words of a comment, and its `"key":number` pairs (number as printed).
fn quoted(comment: &str) -> (Vec<Word>, Vec<(String, String)>) {
    let parts: Vec<&str> = comment.split('"').collect();
    let (mut words, mut numbers) = (Vec::new(), Vec::new());
    let mut k = 1;
    while k < parts.len() {
        let word = parts[k];
        let after = parts.get(k + 1).copied().unwrap_or("");
        let is_word = !word.is_empty() && word.chars().all(|c| c.is_alphanumeric() || c == '_');
        if is_word {
            let rest = after.trim_start();
            if rest.trim() == ":" && k + 2 < parts.len() {
                // "key": "value"
                words.push((word.to_string(), Some(parts[k + 2].to_string())));
                k += 4;
                continue;
            }
            if let Some(num) = rest.strip_prefix(':') {
                let num: String = num
                    .trim_start()
                    .chars()
                    .take_while(|c| c.is_ascii_digit() || ".-+e".contains(*c))
                    .collect();
                if is_number(num.trim_end_matches('.')) {
                    let full = if after.contains(&format!("{num}...")) {
                        format!("{num}...")
                    } else {
                        num
                    };
                    numbers.push((word.to_string(), full));
                }
            }
            words.push((word.to_string(), None));
        }
        k += 2;
    }
    (words, numbers)
}

/// The README's promised outputs come out of the binary: for each command with a comment
/// describing its result, the command is run with `--json` (from the README's directory) and
/// every key it names must be in the output, every string value and number must agree to the
/// printed digits. Runs every such command but three whose own tests cover them:
/// `verify --json` (the golden suites), `correlations --n 8000` (the table test above runs
/// N = 2000 in its place) and the 2-minute `reproduce`. About 30 s on 2 cores.
#[test]
fn the_readme_s_promised_outputs_are_the_binary_s() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let work = std::env::temp_dir().join(format!("balnet-readme-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).unwrap();
    let skip = |a: &[String]| {
        matches!(a[0].as_str(), "verify" | "reproduce" | "sweep")
            || (a[0] == "correlations" && a.iter().any(|w| w == "8000"))
            || a.iter().any(|w| w == "--network" || w == "--checkpoint")
    };
    let all = promises(&readme());
    assert!(all.len() >= 15, "found only {} promises", all.len());
    let mut failures = Vec::new();
    let mut checked = 0;
    for p in &all {
        if skip(&p.args) {
            continue;
        }
        let mut args: Vec<String> = p
            .args
            .iter()
            .map(|a| {
                if a.starts_with("golden/") {
                    root.join(a).display().to_string()
                } else {
                    a.clone()
                }
            })
            .collect();
        if !args.iter().any(|a| a == "--json") {
            args.push("--json".into());
        }
        let out = Command::new(env!("CARGO_BIN_EXE_balnet"))
            .args(&args)
            .current_dir(&work)
            .output()
            .unwrap();
        let mut fail = |m: String| failures.push(format!("README line {}: {m}", p.line));
        if !out.status.success() {
            fail(format!(
                "balnet {} failed: {}",
                args.join(" "),
                String::from_utf8_lossy(&out.stderr)
            ));
            continue;
        }
        let v: serde_json::Value = match serde_json::from_slice(&out.stdout) {
            Ok(v) => v,
            Err(e) => {
                fail(format!("not one JSON object: {e}"));
                continue;
            }
        };
        checked += 1;
        let mut present = Vec::new();
        keys(&v, &mut present);
        let (words, numbers) = quoted(&p.comment);
        for (k, value) in &words {
            if !present.contains(k) {
                fail(format!(
                    "key \"{k}\" not in the output of balnet {}",
                    args.join(" ")
                ));
            } else if let Some(s) = value {
                if v[k].as_str() != Some(s) {
                    fail(format!("\"{k}\" is {}, the README says \"{s}\"", v[k]));
                }
            }
        }
        for (k, s) in &numbers {
            match v[k].as_f64() {
                Some(x) if agrees(x, s) => {}
                other => fail(format!("\"{k}\" is {other:?}, the README says {s}")),
            }
        }
        // `# J_c = 1.0465728` and `# 0.0786`: a top-level number of the output.
        let c = p.comment.trim();
        let (name, num) = match c.split_once(" = ") {
            Some((n, x)) if !c.contains('"') => (Some(n.trim().to_lowercase()), x.trim()),
            _ => (None, c),
        };
        if is_number(num) {
            let ok = match &name {
                Some(n) => v[n].as_f64().is_some_and(|x| agrees(x, num)),
                None => v
                    .as_object()
                    .unwrap()
                    .values()
                    .any(|x| x.as_f64().is_some_and(|x| agrees(x, num))),
            };
            if !ok {
                fail(format!("no output value agrees with the README's {c}: {v}"));
            }
        }
    }
    let _ = std::fs::remove_dir_all(&work);
    assert!(checked >= 12, "only {checked} commands checked");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_readme_number_checks_can_fail() {
    assert!(agrees(1.0465728, "1.0465728"));
    assert!(!agrees(1.0465738, "1.0465728"));
    assert!(agrees(1.1163648209, "1.116364820..."));
    assert!(!agrees(1.116364822, "1.116364820..."));
    assert!(agrees(0.07864, "0.0786"));
    assert!(!agrees(0.0787, "0.0786"));
    let (w, n) = quoted(r#" {"j_c":1.116364820...} "regime": "chaos", "a_e""#);
    assert_eq!(n, vec![("j_c".to_string(), "1.116364820...".to_string())]);
    assert!(w.contains(&("regime".to_string(), Some("chaos".to_string()))));
    assert!(w.contains(&("a_e".to_string(), None)));
}
