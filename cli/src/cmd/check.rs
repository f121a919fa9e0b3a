//! `balnet check --against FILE`: the oracle for other simulators (see `verify::check`).

use clap::Args;
use verify::check::{CheckOptions, Verdict, cache, check, read, validate};

use crate::output::{Failure, emit_result};

#[derive(Args, Debug)]
pub(crate) struct CheckArgs {
    /// The statistics another simulator measured (JSON, format balnet-check/1: see the README).
    #[arg(long, value_name = "FILE")]
    against: std::path::PathBuf,
    /// balnet's first batch of realizations (>= 2).
    #[arg(long, default_value_t = 8)]
    realizations: usize,
    /// Up to this many realizations where the first batch is mixed or a statistic would be
    /// inconclusive (set it equal to --realizations to switch the extension off).
    #[arg(long, default_value_t = 32)]
    max_realizations: usize,
    /// Also report the DMF solution beside the simulation (chaotic rate model; ~5 s).
    #[arg(long)]
    dmf: bool,
    /// Directory of the prediction cache [default: $BALNET_CACHE, $XDG_CACHE_HOME/balnet or
    /// ~/.cache/balnet].
    #[arg(long, value_name = "DIR")]
    cache_dir: Option<std::path::PathBuf>,
    /// Neither read nor write the prediction cache.
    #[arg(long)]
    no_cache: bool,
    /// Print one JSON object instead of the table.
    #[arg(long)]
    json: bool,
}

pub(crate) fn cmd_check(a: &CheckArgs) -> Result<(), Failure> {
    let file = read(&a.against)?;
    validate(&file)?;
    eprintln!(
        "balnet check: {} statistics of {} ({} model); balnet runs its side...",
        file.statistics.len(),
        file.simulator.as_deref().unwrap_or("an unnamed simulator"),
        crate::output::label(&file.model)
    );
    let opt = CheckOptions {
        realizations: a.realizations,
        max_realizations: a.max_realizations,
        dmf: a.dmf,
        cache: if a.no_cache {
            None
        } else {
            a.cache_dir.clone().or_else(cache::default_dir)
        },
    };
    let report = check(&file, &opt)?;
    eprintln!(
        "balnet check: prediction {} ({} realizations, {:.1} s of simulation)",
        if report.prediction.cached {
            "read from the cache"
        } else {
            "computed"
        },
        report.prediction.realizations,
        report.prediction.seconds
    );
    emit_result(a.json, &report, || {
        let regimes: Vec<String> = report
            .regimes
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect();
        let mut s = format!(
            "balnet check of {} ({} model; balnet: {} runs on {}, {}; dt {})\n\
             your regime: {}\n\
             | statistic | expected | observed | accepted range | verdict | detects | runs for 5 % | compared with | reason |\n\
             |---|---|---|---|---|---|---|---|---|\n",
            report.simulator.as_deref().unwrap_or("-"),
            crate::output::label(&report.model),
            report.balnet_realizations,
            if report.ensemble.networks == "shared" {
                "the given network"
            } else {
                "as many generated networks"
            },
            regimes.join(", "),
            report.balnet_dt,
            report.observer_regime.unwrap_or("not determined"),
        );
        for v in &report.statistics {
            let name = match v.lag {
                Some(l) => format!("{} (lag {l})", v.name),
                None => v.name.clone(),
            };
            let mut info = String::new();
            if let Some(t) = v.theory {
                info.push_str(&format!("; N=inf theory {t:.6}"));
            }
            if let Some(d) = v.dmf {
                info.push_str(&format!("; DMF {d:.6}"));
            }
            s.push_str(&format!(
                "| {name} | {:.6} | {:.6} | [{:.6}, {:.6}] | {} | {:.1} % | {} | {} | {}{info} |\n",
                v.expected,
                v.observed,
                v.lower,
                v.upper,
                match v.verdict {
                    Verdict::Fail => "FAIL",
                    x => x.name(),
                },
                100.0 * v.detectable_error,
                v.realizations_for_5pct
                    .map_or("-".to_string(), |k| k.to_string()),
                v.compared_with,
                v.reason
            ));
        }
        s.push_str(&format!(
            "\n{} passed, {} failed, {} inconclusive: {}\n",
            report.passed,
            report.failed,
            report.inconclusive,
            report.verdict.name()
        ));
        s
    })?;
    match report.verdict {
        Verdict::Pass => Ok(()),
        Verdict::Fail => Err(Failure(
            format!(
                "{} of {} statistics disagree with balnet",
                report.failed,
                report.statistics.len()
            ),
            1,
        )),
        Verdict::Inconclusive => Err(Failure(
            format!(
                "no statistic fails, but {} of {} cannot tell (inconclusive)",
                report.inconclusive,
                report.statistics.len()
            ),
            3,
        )),
    }
}
