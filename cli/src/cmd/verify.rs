//! `balnet verify`: every golden case, one table, one verdict.

use clap::Args;
use serde_json::{Value, json};
use verify::golden::{Row, Tier, Verdict, load_dir, run_row};

use crate::output::{Failure, emit};

#[derive(Args, Debug)]
pub(crate) struct VerifyArgs {
    /// Also run the slow tier (minutes; the default fast tier takes about a minute).
    #[arg(long)]
    full: bool,
    /// Only cases whose id, quantity or golden file name contains this text.
    #[arg(long, value_name = "TEXT")]
    only: Option<String>,
    /// Directory of golden files (default: ./golden, else the one balnet was built from).
    #[arg(long, value_name = "DIR")]
    golden: Option<std::path::PathBuf>,
    /// Print one JSON object instead of the table.
    #[arg(long)]
    json: bool,
}

/// The golden directory: the flag, ./golden, or the source tree's.
pub(crate) fn golden_dir(flag: Option<&std::path::Path>) -> std::path::PathBuf {
    if let Some(d) = flag {
        return d.to_path_buf();
    }
    let here = std::path::PathBuf::from("golden");
    if here.join("theory.toml").is_file() {
        return here;
    }
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("golden")
}

/// Run the selected golden cases in file order, reporting each on stderr as it finishes.
pub(crate) fn run_cases(
    dir: &std::path::Path,
    full: bool,
    only: Option<&str>,
) -> Result<Vec<Row>, Failure> {
    let files = load_dir(dir).map_err(|e| Failure(e.to_string(), 2))?;
    let selected: Vec<(&str, &verify::golden::Case)> = files
        .iter()
        .flat_map(|(name, f)| f.cases.iter().map(move |c| (name.as_str(), c)))
        .filter(|(_, c)| full || c.tier == Tier::Fast)
        .filter(|(name, c)| {
            only.is_none_or(|s| c.id.contains(s) || c.quantity.contains(s) || name.contains(s))
        })
        .collect();
    if selected.is_empty() {
        return Err(Failure(
            format!("no golden case matches --only {}", only.unwrap_or("")),
            2,
        ));
    }
    let total = selected.len();
    Ok(selected
        .into_iter()
        .enumerate()
        .map(|(k, (file, case))| {
            let row = run_row(file, case);
            eprintln!(
                "balnet verify: [{:>3}/{total}] {:<40} {:<15} {:6.1} s",
                k + 1,
                case.id,
                row.verdict.label(),
                row.seconds
            );
            row
        })
        .collect())
}

pub(crate) fn cmd_verify(a: &VerifyArgs) -> Result<(), Failure> {
    let dir = golden_dir(a.golden.as_deref());
    let rows = run_cases(&dir, a.full, a.only.as_deref())?;
    let failed = rows.iter().filter(|r| r.verdict.is_failure()).count();
    let known = rows
        .iter()
        .filter(|r| matches!(r.verdict, Verdict::KnownFailure | Verdict::UnexpectedPass))
        .count();
    let passed = rows.iter().filter(|r| r.verdict == Verdict::Pass).count();
    let cases: Vec<Value> = rows.iter().map(row_json).collect();
    emit(
        a.json,
        json!({"cases": cases, "passed": passed, "failed": failed, "known_failures": known}),
        || table(&rows, passed, failed, known),
    );
    if failed > 0 {
        return Err(Failure(
            format!("{failed} golden case(s) failed (see the table)"),
            1,
        ));
    }
    Ok(())
}

fn finite(x: Option<f64>) -> Value {
    x.filter(|v| v.is_finite()).map_or(Value::Null, Value::from)
}

/// One case as JSON (the keys the oracle's users rely on: keep them stable).
pub(crate) fn row_json(r: &Row) -> Value {
    let c = &r.case;
    let (lo, hi) = c.bounds().unwrap_or((f64::NAN, f64::NAN));
    json!({
        "id": c.id,
        "file": r.file,
        "quantity": c.quantity,
        "params": c.params,
        "expected": finite(c.expected),
        "tolerance": finite(c.tolerance),
        "lower": finite(Some(lo)),
        "upper": finite(Some(hi)),
        "obtained": finite(r.obtained),
        "pass": r.obtained.is_some_and(|x| x >= lo && x <= hi),
        "verdict": r.verdict,
        "known_failure": c.known_failure,
        "error": r.error,
        "tier": c.tier,
        "source": c.source,
        "how": c.how,
    })
}

fn fmt_num(x: f64) -> String {
    if !x.is_finite() {
        return "-".into();
    }
    let a = x.abs();
    if a != 0.0 && !(1e-3..1e5).contains(&a) {
        format!("{x:.4e}")
    } else {
        format!("{x:.6}")
    }
}

fn params_text(t: &toml::Table) -> String {
    t.iter()
        .map(|(k, v)| match v {
            toml::Value::Table(inner) => format!("{k}={}", params_text(inner).replace(' ', ",")),
            other => format!("{k}={other}"),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The human-readable table (Markdown, so it can be pasted into a report).
pub(crate) fn table(rows: &[Row], passed: usize, failed: usize, known: usize) -> String {
    let mut s = String::from(
        "| case | quantity | parameters | expected | obtained | tolerance | verdict | source |\n\
         |---|---|---|---|---|---|---|---|\n",
    );
    for r in rows {
        let c = &r.case;
        let expected = match (c.expected, c.lower, c.upper) {
            (Some(x), _, _) => fmt_num(x),
            (None, Some(lo), Some(hi)) => format!("[{}, {}]", fmt_num(lo), fmt_num(hi)),
            (None, Some(lo), None) => format!(">= {}", fmt_num(lo)),
            (None, None, Some(hi)) => format!("<= {}", fmt_num(hi)),
            _ => "-".into(),
        };
        let tol = c.tolerance.map_or("-".into(), fmt_num);
        let obtained = r.obtained.map_or("-".into(), fmt_num);
        let mut verdict = r.verdict.label().to_string();
        if let Some(e) = &r.error {
            verdict = format!("{verdict}: {e}");
        }
        if let (Some(k), Verdict::KnownFailure | Verdict::UnexpectedPass) =
            (&c.known_failure, r.verdict)
        {
            verdict = format!("{verdict} ({k})");
        }
        s.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} |\n",
            c.id,
            c.quantity,
            params_text(&c.params),
            expected,
            obtained,
            tol,
            verdict.replace('|', "/"),
            c.source.replace('|', "/")
        ));
    }
    s.push_str(&format!(
        "\n{passed} passed, {failed} failed, {known} documented known failure(s)\n"
    ));
    s
}
