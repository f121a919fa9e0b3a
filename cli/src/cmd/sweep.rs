//! `balnet sweep lyapunov` and `balnet sweep merge`: the largest Lyapunov exponents over J0,
//! network sizes and network realizations (Fig. 13, S2 Appendix), in parallel, resumable and
//! sharded for cluster array jobs. The sweep itself (files, shards, resumption, merging) is
//! `verify::api::sweep`; `merge` adds `median.svg` (the medians as a figure, Fig. 13).

use std::path::PathBuf;

use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};

use theory::Params;
use verify::api::sweep::{self as api, Manifest, Shard};

use crate::args::{Common, parse_list};
use crate::cmd::rate::{LyapunovRun, NetArgs, build_network};
use crate::output::{Failure, emit_result, write_atomic};
use crate::svg::{Plot, Series, Style};

#[derive(Subcommand, Debug)]
pub(crate) enum SweepCmd {
    /// Largest Lyapunov exponents over J0 x N x realizations (one shard of them with --shard).
    Lyapunov(Box<SweepArgs>),
    /// Combine the shard files of DIR, checking that no point is missing or duplicated.
    Merge(MergeArgs),
}

#[derive(Args, Debug, Clone)]
pub(crate) struct SweepArgs {
    #[command(flatten)]
    common: Common,
    #[command(flatten)]
    net: NetArgs,
    /// J0 values: A:B:K (K evenly spaced values) or v1,v2,...
    #[arg(long = "j0s", value_name = "LIST")]
    j0s: String,
    /// Network sizes: A:B:K (geometric) or v1,v2,... (default: --n, or Table 1).
    #[arg(long = "ns", value_name = "LIST")]
    ns: Option<String>,
    /// Network realizations per (N, J0); realization r uses seed + r.
    #[arg(long, default_value_t = 1)]
    realizations: u64,
    /// Output directory (sweep.json, shard files).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Run only the K-th of M deterministic slices, K = 0..M-1 (e.g. --shard
    /// $SLURM_ARRAY_TASK_ID/M).
    #[arg(long, value_name = "K/M", default_value = "0/1")]
    shard: String,
    /// Number of exponents per point (1..8).
    #[arg(long, default_value_t = 1)]
    k: usize,
    #[command(flatten)]
    run: LyapunovRun,
}

#[derive(Args, Debug, Clone)]
pub(crate) struct MergeArgs {
    /// The sweep directory.
    dir: PathBuf,
    /// Print one JSON object on stdout.
    #[arg(long)]
    json: bool,
}

pub(crate) fn cmd_sweep(c: &SweepCmd) -> Result<(), Failure> {
    match c {
        SweepCmd::Lyapunov(a) => cmd_sweep_lyapunov(a),
        SweepCmd::Merge(a) => cmd_merge(a),
    }
}

fn cmd_sweep_lyapunov(a: &SweepArgs) -> Result<(), Failure> {
    let shard = Shard::parse(&a.shard)?;
    let m = &a.common.model;
    if m.j0.is_some() || (m.n.is_some() && a.ns.is_some()) {
        let flag = if m.j0.is_some() { "--j0" } else { "--n" };
        return Err(Failure(
            format!("{flag} cannot be combined with a sweep over it: use --j0s / --ns"),
            2,
        ));
    }
    // The base network validates every flag once (and gives the base parameters).
    let (base_net, seed) = build_network(m, &a.net)?;
    let base: Params = base_net.params;
    let list = |s: &str, flag: &str, geometric: bool| {
        parse_list(s, geometric).map_err(|e| Failure(format!("invalid --{flag} '{s}': {e}"), 2))
    };
    let j0s = list(&a.j0s, "j0s", false)?;
    let ns = match &a.ns {
        Some(s) if a.net.is_loaded() => {
            return Err(Failure(
                format!("--ns '{s}' cannot be combined with --network: the file fixes N"),
                2,
            ));
        }
        Some(s) => list(s, "ns", true)?.into_iter().map(f64::round).collect(),
        None => vec![base.n],
    };
    let spec = a.run.spec(a.k);
    spec.validate(base_net.dim())?;
    let in_degrees = match (a.net.k_e, a.net.k_i) {
        (Some(e), Some(i)) => Some((e as usize, i as usize)),
        _ => None,
    };
    let manifest = Manifest::new(
        base,
        ns,
        j0s,
        a.realizations,
        seed,
        in_degrees,
        !a.net.no_autapses,
        a.net.network.clone(),
        spec,
    )?;
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template(
            "{msg} [{bar:30}] {pos}/{len} points, {elapsed} elapsed, eta {eta}",
        )
        .expect("valid template")
        .progress_chars("=> "),
    );
    bar.set_message("sweep");
    let (k, m) = (shard.k, shard.m);
    let report = api::run_shard(
        &manifest,
        &a.out,
        shard,
        |points, done, path| {
            eprintln!(
                "balnet: sweep shard {k}/{m}: {points} points, {done} done, {} to compute -> {}",
                points - done,
                path.display()
            );
            bar.set_length((points - done) as u64);
        },
        &|_, _| {
            bar.inc(1);
            std::ops::ControlFlow::Continue(())
        },
    )?;
    bar.finish_and_clear();
    emit_result(a.common.json, &report, || {
        format!(
            "sweep shard {k}/{m}: {} points ({} computed now, {} from before, {} failed) in {}\n\
             combine the shards with: balnet sweep merge {}\n",
            report.points,
            report.computed,
            report.skipped,
            report.failed,
            report.file.display(),
            a.out.display()
        )
    })
}

fn cmd_merge(a: &MergeArgs) -> Result<(), Failure> {
    let merged = api::merge(&a.dir)?;
    api::write_merged(&a.dir, &merged)?;
    let man = &merged.manifest;
    let plot = Plot {
        title: format!(
            "median largest Lyapunov exponent over {} realizations (Fig. 13)",
            man.realizations
        ),
        x_label: "J0".into(),
        y_label: "median Lambda_1".into(),
        series: man
            .ns
            .iter()
            .map(|&n| Series {
                label: format!("N = {n}"),
                points: merged
                    .median
                    .iter()
                    .filter(|r| r.n == n)
                    .filter_map(|r| Some((r.j0, r.lambda_1_median?)))
                    .collect(),
                style: Style::Line,
                color: None,
            })
            .collect(),
        h_lines: vec![0.0],
        ..Plot::default()
    };
    write_atomic(&a.dir, "median.svg", &plot.render())?;
    emit_result(a.json, &merged, || {
        format!(
            "merged {} points from {} shard files ({} failed) into {} and {}\n{}",
            merged.points,
            merged.files,
            merged.failed,
            a.dir.join("points.csv").display(),
            a.dir.join("median.csv").display(),
            api::median_csv(&merged)
        )
    })
}
