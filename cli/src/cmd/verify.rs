//! `balnet verify`: every golden case, one table, one verdict.

use clap::Args;
use verify::golden::{GoldenFile, Row, Selection, Verdict, Verification, builtin, load_dir};

use crate::output::{Failure, emit_result};

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

/// The golden files: those of the flag's directory, of ./golden, or the ones balnet was built
/// with.
pub(crate) fn golden_files(
    flag: Option<&std::path::Path>,
) -> Result<Vec<(String, GoldenFile)>, Failure> {
    if let Some(d) = flag {
        return Ok(load_dir(d)?);
    }
    let here = std::path::PathBuf::from("golden");
    if here.join("theory.toml").is_file() {
        return Ok(load_dir(&here)?);
    }
    Ok(builtin()?)
}

/// Run the selected golden cases in file order, reporting each on stderr as it finishes.
pub(crate) fn run_cases(
    files: &[(String, GoldenFile)],
    full: bool,
    only: Option<&str>,
) -> Result<Verification, Failure> {
    let sel = Selection {
        full,
        only: only.map(str::to_string),
    };
    Ok(verify::golden::run_cases(files, &sel, |k, total, row| {
        eprintln!(
            "balnet verify: [{k:>3}/{total}] {:<40} {:<15} {:6.1} s",
            row.case.id,
            row.verdict.label(),
            row.seconds
        );
    })?)
}

pub(crate) fn cmd_verify(a: &VerifyArgs) -> Result<(), Failure> {
    let files = golden_files(a.golden.as_deref())?;
    let v = run_cases(&files, a.full, a.only.as_deref())?;
    emit_result(a.json, &v, || {
        table(&v.cases, v.passed, v.failed, v.known_failures)
    })?;
    if v.failed > 0 {
        return Err(Failure(
            format!("{} golden case(s) failed (see the table)", v.failed),
            1,
        ));
    }
    Ok(())
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
