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
