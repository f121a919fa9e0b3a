//! `balnet sweep lyapunov` and `balnet sweep merge`: the largest Lyapunov exponents over J0,
//! network sizes and network realizations (Fig. 13, S2 Appendix), in parallel, resumable and
//! sharded for cluster array jobs.
//!
//! ## Files in DIR
//! * `sweep.json`: the sweep's definition (parameters, lists, run settings). Every shard writes
//!   or checks it, so shards of different sweeps cannot be mixed.
//! * `shard-K-of-M.jsonl`: one JSON line per finished point of shard K, written (and flushed)
//!   as soon as the point finishes. On restart the complete lines are kept and only the
//!   missing points are computed.
//! * after `merge`: `points.csv` (every point), `median.csv` (median of Lambda_1 over
//!   realizations for each N and J0) and `median.svg` (the same as a figure, Fig. 13).
//!
//! Points are numbered N-major, then realization, then J0; point i belongs to shard i mod M,
//! so every shard gets a similar mix of sizes. Realization r uses seed `seed + r` for both the
//! network and the initial state; the result of a point does not depend on the shard, the
//! thread count or the order in which points run.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use sim::tangent::{LyapunovSpec, lyapunov};
use theory::Params;

use crate::args::{Common, parse_list};
use crate::cmd::rate::{LyapunovRun, NetArgs, build_network};
use crate::output::{Failure, emit, write_atomic};
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

/// The definition of a sweep (sweep.json).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Manifest {
    format: String,
    params: Params,
    ns: Vec<f64>,
    j0s: Vec<f64>,
    realizations: u64,
    seed: u64,
    k_e: Option<usize>,
    k_i: Option<usize>,
    no_autapses: bool,
    network: Option<PathBuf>,
    lyapunov: LyapunovSpec,
    points: usize,
}

const FORMAT: &str = "balnet-sweep/1";

/// One point of the sweep.
#[derive(Clone, Copy, Debug)]
struct Point {
    id: usize,
    n: f64,
    j0: f64,
    realization: u64,
}

impl Manifest {
    fn point(&self, id: usize) -> Point {
        let (nj, nr) = (self.j0s.len(), self.realizations as usize);
        Point {
            id,
            n: self.ns[id / (nr * nj)],
            realization: ((id / nj) % nr) as u64,
            j0: self.j0s[id % nj],
        }
    }
}

/// One line of a shard file.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct Line {
    point: usize,
    n: f64,
    j0: f64,
    realization: u64,
    seed: u64,
    exponents: Vec<f64>,
    regime: Option<String>,
    /// Why the point has no exponents (e.g. the run diverged).
    error: Option<String>,
}

fn parse_shard(s: &str) -> Result<(usize, usize), Failure> {
    let bad = || {
        Failure(
            format!("invalid shard = '{s}': valid form is K/M with 0 <= K < M"),
            2,
        )
    };
    let (k, m) = s.split_once('/').ok_or_else(bad)?;
    let (k, m): (usize, usize) = (
        k.trim().parse().map_err(|_| bad())?,
        m.trim().parse().map_err(|_| bad())?,
    );
    if m == 0 || k >= m {
        return Err(bad());
    }
    Ok((k, m))
}

/// Complete, parseable lines of a shard file (a line cut by an interruption is dropped).
fn read_lines(path: &Path) -> Result<Vec<Line>, Failure> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Failure(format!("{}: {e}", path.display()), 1)),
    };
    Ok(text
        .split_inclusive('\n')
        .filter(|l| l.ends_with('\n'))
        .filter_map(|l| serde_json::from_str::<Line>(l).ok())
        .collect())
}

fn read_manifest(dir: &Path) -> Result<Option<Manifest>, Failure> {
    let path = dir.join("sweep.json");
    match std::fs::read_to_string(&path) {
        Ok(t) => serde_json::from_str(&t)
            .map(Some)
            .map_err(|e| Failure(format!("{}: {e}", path.display()), 2)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Failure(format!("{}: {e}", path.display()), 1)),
    }
}

pub(crate) fn cmd_sweep(c: &SweepCmd) -> Result<(), Failure> {
    match c {
        SweepCmd::Lyapunov(a) => cmd_sweep_lyapunov(a),
        SweepCmd::Merge(a) => cmd_merge(a),
    }
}

fn cmd_sweep_lyapunov(a: &SweepArgs) -> Result<(), Failure> {
    let (shard, shards) = parse_shard(&a.shard)?;
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
    let base = base_net.params;
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
    if a.realizations == 0 || (a.net.is_loaded() && a.realizations > 1) {
        return Err(Failure(
            format!(
                "invalid realizations = {}: valid range is >= 1 (exactly 1 with --network)",
                a.realizations
            ),
            2,
        ));
    }
    let spec = a.run.spec(a.k);
    spec.validate(base_net.dim())?;
    // Validate every (N, J0) before computing anything.
    for &n in &ns {
        for &j0 in &j0s {
            Params { n, j0, ..base }.validate()?;
        }
    }
    let manifest = Manifest {
        format: FORMAT.into(),
        params: base,
        points: ns.len() * j0s.len() * a.realizations as usize,
        ns,
        j0s,
        realizations: a.realizations,
        seed,
        k_e: a.net.k_e.map(|v| v as usize),
        k_i: a.net.k_i.map(|v| v as usize),
        no_autapses: a.net.no_autapses,
        network: a.net.network.clone(),
        lyapunov: spec,
    };
    match read_manifest(&a.out)? {
        Some(old) if old != manifest => {
            return Err(Failure(
                format!(
                    "{} belongs to another sweep (different parameters, lists or settings); use another --out",
                    a.out.join("sweep.json").display()
                ),
                2,
            ));
        }
        Some(_) => {}
        None => {
            let text =
                serde_json::to_string_pretty(&manifest).map_err(|e| Failure(e.to_string(), 1))?;
            write_atomic(&a.out, "sweep.json", &(text + "\n"))?;
        }
    }

    // Resume: keep the complete lines of this shard's file, then append.
    let path = a.out.join(format!("shard-{shard}-of-{shards}.jsonl"));
    let kept = read_lines(&path)?;
    let mut text = String::new();
    for l in &kept {
        text.push_str(&serde_json::to_string(l).map_err(|e| Failure(e.to_string(), 1))?);
        text.push('\n');
    }
    write_atomic(
        &a.out,
        path.file_name()
            .and_then(|f| f.to_str())
            .unwrap_or("shard.jsonl"),
        &text,
    )?;
    let done: std::collections::HashSet<usize> = kept.iter().map(|l| l.point).collect();
    let mine: Vec<Point> = (shard..manifest.points)
        .step_by(shards)
        .map(|i| manifest.point(i))
        .collect();
    let todo: Vec<Point> = mine
        .iter()
        .copied()
        .filter(|p| !done.contains(&p.id))
        .collect();
    eprintln!(
        "balnet: sweep shard {shard}/{shards}: {} points, {} done, {} to compute -> {}",
        mine.len(),
        mine.len() - todo.len(),
        todo.len(),
        path.display()
    );
    let file = std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .map_err(|e| Failure(format!("{}: {e}", path.display()), 1))?;
    let file = Mutex::new(file);
    let bar = ProgressBar::new(todo.len() as u64);
    bar.set_style(
        ProgressStyle::with_template(
            "{msg} [{bar:30}] {pos}/{len} points, {elapsed} elapsed, eta {eta}",
        )
        .expect("valid template")
        .progress_chars("=> "),
    );
    bar.set_message("sweep");
    let failures = Mutex::new(Vec::<String>::new());
    todo.par_iter().for_each(|p| {
        let line = compute(a, &manifest, p, &spec);
        let written = serde_json::to_string(&line)
            .map_err(std::io::Error::other)
            .and_then(|s| {
                let mut f = file.lock().expect("no panics while holding the lock");
                f.write_all((s + "\n").as_bytes())?;
                f.flush()
            });
        if let Err(e) = written {
            failures
                .lock()
                .expect("no panics while holding the lock")
                .push(format!("{}: {e}", path.display()));
        }
        bar.inc(1);
    });
    bar.finish_and_clear();
    if let Some(e) = failures.into_inner().expect("threads joined").first() {
        return Err(Failure(e.clone(), 1));
    }
    let lines = read_lines(&path)?;
    let failed = lines.iter().filter(|l| l.error.is_some()).count();
    emit(
        a.common.json,
        json!({
            "dir": a.out.display().to_string(),
            "shard": format!("{shard}/{shards}"),
            "points": mine.len(),
            "computed": todo.len(),
            "skipped": mine.len() - todo.len(),
            "failed": failed,
        }),
        || {
            format!(
                "sweep shard {shard}/{shards}: {} points ({} computed now, {} from before, {failed} failed) in {}\n\
                 combine the shards with: balnet sweep merge {}\n",
                mine.len(),
                todo.len(),
                mine.len() - todo.len(),
                path.display(),
                a.out.display()
            )
        },
    );
    Ok(())
}

/// One point: build its network and run the Lyapunov analysis.
fn compute(a: &SweepArgs, man: &Manifest, p: &Point, spec: &LyapunovSpec) -> Line {
    let seed = man.seed + p.realization;
    let mut model = a.common.model.clone();
    if !a.net.is_loaded() {
        model.n = Some(p.n);
    }
    model.j0 = Some(p.j0);
    model.seed = Some(seed as f64);
    let result = build_network(&model, &a.net)
        .map_err(|Failure(msg, _)| msg)
        .and_then(|(net, s)| {
            let y0 = sim::run::initial_state(&net, s);
            lyapunov(&net, y0, spec, s, &mut sim::checkpoint::Silent).map_err(|e| e.to_string())
        });
    let (exponents, regime, error) = match result {
        Ok(r) => {
            let regime = serde_json::to_value(r.regime)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string));
            (r.exponents, regime, None)
        }
        Err(e) => (Vec::new(), None, Some(e)),
    };
    Line {
        point: p.id,
        n: p.n,
        j0: p.j0,
        realization: p.realization,
        seed,
        exponents,
        regime,
        error,
    }
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    let m = v.len();
    if m % 2 == 1 {
        v[m / 2]
    } else {
        0.5 * (v[m / 2 - 1] + v[m / 2])
    }
}

fn cmd_merge(a: &MergeArgs) -> Result<(), Failure> {
    let man = read_manifest(&a.dir)?.ok_or_else(|| {
        Failure(
            format!("{}: no sweep.json (not a sweep directory)", a.dir.display()),
            2,
        )
    })?;
    let mut files: Vec<PathBuf> = std::fs::read_dir(&a.dir)
        .map_err(|e| Failure(format!("{}: {e}", a.dir.display()), 2))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|f| f.to_str())
                .is_some_and(|f| f.starts_with("shard-") && f.ends_with(".jsonl"))
        })
        .collect();
    files.sort();
    let mut by_point: BTreeMap<usize, Vec<(Line, String)>> = BTreeMap::new();
    for f in &files {
        let name = f
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("?")
            .to_string();
        for l in read_lines(f)? {
            by_point.entry(l.point).or_default().push((l, name.clone()));
        }
    }
    let missing: Vec<usize> = (0..man.points)
        .filter(|i| !by_point.contains_key(i))
        .collect();
    let duplicates: Vec<(usize, Vec<String>)> = by_point
        .iter()
        .filter(|(_, v)| v.len() > 1)
        .map(|(&i, v)| (i, v.iter().map(|(_, f)| f.clone()).collect()))
        .collect();
    let stray: Vec<usize> = by_point
        .keys()
        .copied()
        .filter(|&i| i >= man.points)
        .collect();
    if !missing.is_empty() || !duplicates.is_empty() || !stray.is_empty() {
        let list = |v: &[usize]| {
            let s: Vec<String> = v.iter().take(10).map(|i| i.to_string()).collect();
            format!(
                "{}{}",
                s.join(", "),
                if v.len() > 10 { ", ..." } else { "" }
            )
        };
        let dup_ids: Vec<usize> = duplicates.iter().map(|d| d.0).collect();
        let dup_files = duplicates
            .first()
            .map(|d| d.1.join(" and "))
            .unwrap_or_default();
        return Err(Failure(
            format!(
                "{}: {} of {} points missing [{}], {} duplicated [{}]{}{}; rerun the shards that own the missing points (point i belongs to shard i mod M)",
                a.dir.display(),
                missing.len(),
                man.points,
                list(&missing),
                duplicates.len(),
                list(&dup_ids),
                if dup_files.is_empty() {
                    String::new()
                } else {
                    format!(" (e.g. in {dup_files})")
                },
                if stray.is_empty() {
                    String::new()
                } else {
                    format!(", {} outside the sweep", stray.len())
                },
            ),
            1,
        ));
    }
    let lines: Vec<Line> = by_point.into_values().map(|mut v| v.remove(0).0).collect();
    // points.csv
    let k = man.lyapunov.k;
    let mut csv = String::from("point,n,j0,realization,seed");
    for m in 1..=k {
        csv.push_str(&format!(",lambda_{m}"));
    }
    csv.push_str(",regime,error\n");
    for l in &lines {
        csv.push_str(&format!(
            "{},{},{},{},{}",
            l.point, l.n, l.j0, l.realization, l.seed
        ));
        for m in 0..k {
            match l.exponents.get(m) {
                Some(x) => csv.push_str(&format!(",{x:e}")),
                None => csv.push(','),
            }
        }
        csv.push_str(&format!(
            ",{},{}\n",
            l.regime.as_deref().unwrap_or(""),
            l.error.as_deref().unwrap_or("").replace([',', '\n'], ";")
        ));
    }
    write_atomic(&a.dir, "points.csv", &csv)?;
    // median.csv: median of Lambda_1 over realizations per (N, J0) (Fig. 13).
    let mut groups: BTreeMap<(usize, usize), Vec<f64>> = BTreeMap::new();
    for l in &lines {
        let ni = man.ns.iter().position(|&n| n == l.n).unwrap_or(0);
        let ji = man.j0s.iter().position(|&j| j == l.j0).unwrap_or(0);
        let entry = groups.entry((ni, ji)).or_default();
        if let Some(&l1) = l.exponents.first() {
            entry.push(l1);
        }
    }
    let mut med = String::from("n,j0,lambda_1_median,realizations\n");
    let mut rows = Vec::new();
    for ((ni, ji), mut v) in groups {
        let (n, j0) = (man.ns[ni], man.j0s[ji]);
        let count = v.len();
        let m = if v.is_empty() {
            f64::NAN
        } else {
            median(&mut v)
        };
        med.push_str(&format!("{n},{j0},{m:e},{count}\n"));
        rows.push(json!({"n": n, "j0": j0, "lambda_1_median": if m.is_finite() { json!(m) } else { Value::Null }, "realizations": count}));
    }
    write_atomic(&a.dir, "median.csv", &med)?;
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
                points: rows
                    .iter()
                    .filter(|r| r["n"].as_f64() == Some(n))
                    .filter_map(|r| Some((r["j0"].as_f64()?, r["lambda_1_median"].as_f64()?)))
                    .collect(),
                style: Style::Line,
                color: None,
            })
            .collect(),
        h_lines: vec![0.0],
        ..Plot::default()
    };
    write_atomic(&a.dir, "median.svg", &plot.render())?;
    let failed = lines.iter().filter(|l| l.error.is_some()).count();
    emit(
        a.json,
        json!({"points": lines.len(), "failed": failed, "files": files.len(), "median": rows}),
        || {
            format!(
                "merged {} points from {} shard files ({failed} failed) into {} and {}\n{med}",
                lines.len(),
                files.len(),
                a.dir.join("points.csv").display(),
                a.dir.join("median.csv").display()
            )
        },
    );
    Ok(())
}
