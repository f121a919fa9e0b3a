//! `balnet check --against FILE`: the oracle for other simulators (see `verify::check`).

use clap::Args;
use verify::check::{CheckError, CheckOptions, check, read, validate};

use crate::{Failure, emit};

#[derive(Args, Debug)]
pub(crate) struct CheckArgs {
    /// The statistics another simulator measured (JSON, format balnet-check/1: see the README).
    #[arg(long, value_name = "FILE")]
    against: std::path::PathBuf,
    /// balnet's own realizations where it simulates (>= 2).
    #[arg(long, default_value_t = 8)]
    realizations: usize,
    /// Also report the DMF solution beside the simulation (chaotic rate model; ~5 s).
    #[arg(long)]
    dmf: bool,
    /// Print one JSON object instead of the table.
    #[arg(long)]
    json: bool,
}

pub(crate) fn cmd_check(a: &CheckArgs) -> Result<(), Failure> {
    let conv = |e: CheckError| match e {
        CheckError::Input(m) => Failure(m, 2),
        CheckError::Compute(m) => Failure(m, 1),
    };
    let file = read(&a.against).map_err(conv)?;
    validate(&file).map_err(conv)?;
    eprintln!(
        "balnet check: {} statistics of {} ({:?} model); balnet runs its side...",
        file.statistics.len(),
        file.simulator.as_deref().unwrap_or("an unnamed simulator"),
        file.model
    );
    let opt = CheckOptions {
        realizations: a.realizations,
        dmf: a.dmf,
    };
    let report = check(&file, &opt).map_err(conv)?;
    let value = serde_json::to_value(&report).map_err(|e| Failure(e.to_string(), 1))?;
    emit(a.json, value, || {
        let mut s = format!(
            "balnet check of {} ({:?} model, regime {}; predictor runs: {}, dt {})\n\
             | statistic | expected | observed | tolerance | verdict | predictor | reason |\n\
             |---|---|---|---|---|---|---|\n",
            report.simulator.as_deref().unwrap_or("-"),
            report.model,
            report.regime,
            report.balnet_realizations,
            report.balnet_dt
        );
        for v in &report.statistics {
            let name = match v.lag {
                Some(l) => format!("{} (lag {l})", v.name),
                None => v.name.clone(),
            };
            let dmf = v.dmf.map_or(String::new(), |d| format!("; DMF {d:.6}"));
            s.push_str(&format!(
                "| {name} | {:.6} | {:.6} | {:.2e} | {} | {} | {}{dmf} |\n",
                v.expected,
                v.observed,
                v.tolerance,
                if v.pass { "pass" } else { "FAIL" },
                v.predictor,
                v.reason
            ));
        }
        s.push_str(&format!(
            "\n{} passed, {} failed\n",
            report.passed, report.failed
        ));
        s
    });
    if report.failed > 0 {
        return Err(Failure(
            format!(
                "{} of {} statistics disagree with balnet",
                report.failed,
                report.statistics.len()
            ),
            1,
        ));
    }
    Ok(())
}
