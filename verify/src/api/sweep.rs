//! Sweeps of the largest Lyapunov exponents over J0, network sizes and network realizations
//! (Fig. 13, S2 Appendix): parallel, resumable and sharded for cluster array jobs.
//!
//! ## Files in the sweep directory
//! * `sweep.json`: the sweep's definition ([`Manifest`]: parameters, lists, run settings).
//!   Every shard writes or checks it, so shards of different sweeps cannot be mixed.
//! * `shard-K-of-M.jsonl`: one JSON line ([`Line`]) per finished point of shard K, written and
//!   flushed as soon as the point finishes. On restart the complete lines are kept and only the
//!   missing points are computed.
//! * after [`merge`] and [`write_merged`]: `points.csv` (every point) and `median.csv` (the
//!   median of Lambda_1 over realizations for each N and J0, Fig. 13).
//!
//! Points are numbered N-major, then realization, then J0; point i belongs to shard i mod M,
//! so every shard gets a similar mix of sizes. Realization r uses seed `seed + r` for both the
//! network and the initial state; the result of a point does not depend on the shard, the
//! thread count or the order in which points run.

use std::collections::{BTreeMap, HashSet};
use std::io::Write;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use sim::SimError;
use sim::tangent::LyapunovSpec;
use theory::Params;

use crate::api::network::{NetworkSpec, generate, load};
use crate::{Error, Result};

/// The `format` tag of `sweep.json`.
pub const FORMAT: &str = "balnet-sweep/1";

/// The definition of a sweep (`sweep.json`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: String,
    /// The base parameters (N and J0 are replaced point by point).
    pub params: Params,
    pub ns: Vec<f64>,
    pub j0s: Vec<f64>,
    pub realizations: u64,
    pub seed: u64,
    pub k_e: Option<usize>,
    pub k_i: Option<usize>,
    pub no_autapses: bool,
    /// A network directory (then one N and one realization).
    pub network: Option<PathBuf>,
    pub lyapunov: LyapunovSpec,
    pub points: usize,
}

/// One point of the sweep.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Point {
    pub id: usize,
    pub n: f64,
    pub j0: f64,
    pub realization: u64,
}

impl Manifest {
    /// A sweep over `ns` x `realizations` x `j0s` from the base parameters `params` (validated
    /// at every point before anything runs). `network`: a directory fixing the structure (then
    /// `ns` is its N and one realization).
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        params: Params,
        ns: Vec<f64>,
        j0s: Vec<f64>,
        realizations: u64,
        seed: u64,
        in_degrees: Option<(usize, usize)>,
        autapses: bool,
        network: Option<PathBuf>,
        lyapunov: LyapunovSpec,
    ) -> Result<Manifest> {
        let m = Manifest {
            format: FORMAT.into(),
            params,
            // Saturating: `validate` refuses the count if it is beyond its limit.
            points: ns
                .len()
                .saturating_mul(j0s.len())
                .saturating_mul(usize::try_from(realizations).unwrap_or(usize::MAX)),
            ns,
            j0s,
            realizations,
            seed,
            k_e: in_degrees.map(|d| d.0),
            k_i: in_degrees.map(|d| d.1),
            no_autapses: !autapses,
            network,
            lyapunov,
        };
        m.validate()?;
        Ok(m)
    }

    /// The checks of [`Manifest::new`], also applied to a `sweep.json` read back (an edited or
    /// damaged one must be refused, not divided by zero).
    pub fn validate(&self) -> Result<()> {
        let (realizations, seed) = (self.realizations, self.seed);
        if self.format != FORMAT {
            return Err(Error::Input(format!(
                "sweep.json: format = '{}': this balnet reads '{FORMAT}'",
                self.format
            )));
        }
        if realizations == 0 || (self.network.is_some() && realizations > 1) {
            return Err(Error::Input(format!(
                "invalid realizations = {realizations}: valid range is >= 1 (exactly 1 with --network)"
            )));
        }
        if seed.checked_add(realizations).is_none() {
            return Err(Error::Input(format!(
                "invalid seed = {seed}: seed + realizations must stay below 2^64"
            )));
        }
        if self.j0s.is_empty() || self.ns.is_empty() {
            return Err(Error::Input(
                "invalid sweep: the lists of J0 and N must not be empty".into(),
            ));
        }
        for &n in &self.ns {
            for &j0 in &self.j0s {
                Params {
                    n,
                    j0,
                    ..self.params
                }
                .validate_finite()
                .map_err(|e| Error::Input(format!("a point of the lists ns, j0s: {e}")))?;
            }
        }
        let points = (self.ns.len() as u128) * (self.j0s.len() as u128) * (realizations as u128);
        if points != self.points as u128 || points > 1 << 40 {
            return Err(Error::Input(format!(
                "sweep.json: points = {}: the lists give {points} (at most 2^40)",
                self.points
            )));
        }
        Ok(())
    }

    /// Point `id` (N-major, then realization, then J0).
    pub fn point(&self, id: usize) -> Point {
        let (nj, nr) = (self.j0s.len(), self.realizations as usize);
        Point {
            id,
            n: self.ns[id / (nr * nj)],
            realization: ((id / nj) % nr) as u64,
            j0: self.j0s[id % nj],
        }
    }
}

/// One line of a shard file: a point's exponents, or why it has none.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Line {
    pub point: usize,
    pub n: f64,
    pub j0: f64,
    pub realization: u64,
    pub seed: u64,
    pub exponents: Vec<f64>,
    pub regime: Option<String>,
    /// Why the point has no exponents (e.g. the run diverged).
    pub error: Option<String>,
}

/// Shard K of M.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    pub k: usize,
    pub m: usize,
}

impl Shard {
    /// `K/M` with 0 <= K < M.
    pub fn parse(s: &str) -> Result<Shard> {
        let bad = || {
            Error::Input(format!(
                "invalid shard = '{s}': valid form is K/M with 0 <= K < M"
            ))
        };
        let (k, m) = s.split_once('/').ok_or_else(bad)?;
        let (k, m): (usize, usize) = (
            k.trim().parse().map_err(|_| bad())?,
            m.trim().parse().map_err(|_| bad())?,
        );
        if m == 0 || k >= m {
            return Err(bad());
        }
        Ok(Shard { k, m })
    }

    fn file_name(&self) -> String {
        format!("shard-{}-of-{}.jsonl", self.k, self.m)
    }
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> Error + '_ {
    move |source| Error::Io {
        path: path.display().to_string(),
        source,
    }
}

/// Complete, parseable lines of a shard file (a line cut by an interruption is dropped).
pub fn read_lines(path: &Path) -> Result<Vec<Line>> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io(path)(e)),
    };
    // A line without its newline is the last write of a killed run: dropped (the point is
    // computed again). Any other line must be a point's line.
    let mut lines = Vec::new();
    for (k, l) in text.split_inclusive('\n').enumerate() {
        if !l.ends_with('\n') {
            break;
        }
        let line: Line = serde_json::from_str(l).map_err(|e| {
            Error::Input(format!(
                "{} line {}: not a sweep point ({e}); remove the line or the file",
                path.display(),
                k + 1
            ))
        })?;
        lines.push(line);
    }
    Ok(lines)
}

impl Line {
    /// Whether the point has no usable exponent (an error, or none, or a non-finite one).
    pub fn failed(&self) -> bool {
        self.error.is_some()
            || self.exponents.is_empty()
            || self.exponents.iter().any(|v| !v.is_finite())
    }
}

/// The sweep definition in `dir`, if there is one.
pub fn read_manifest(dir: &Path) -> Result<Option<Manifest>> {
    let path = dir.join("sweep.json");
    match std::fs::read_to_string(&path) {
        Ok(t) => {
            let m: Manifest = serde_json::from_str(&t)
                .map_err(|e| Error::Input(format!("{}: {e}", path.display())))?;
            m.validate()?;
            Ok(Some(m))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io(&path)(e)),
    }
}

fn write_text(path: &Path, text: &str) -> Result<()> {
    sim::files::write_atomic(path, |w| w.write_all(text.as_bytes()))?;
    Ok(())
}

/// One point: build its network and run the Lyapunov analysis.
pub fn compute(man: &Manifest, p: &Point) -> Line {
    let seed = man.seed + p.realization;
    let params = Params {
        n: p.n,
        j0: p.j0,
        ..man.params
    };
    let net = match &man.network {
        Some(dir) => load(
            dir,
            man.params,
            |_| {
                Ok(Params {
                    j0: p.j0,
                    ..man.params
                })
            },
            Some(seed),
        )
        .map(|l| l.net),
        None => {
            let mut spec = NetworkSpec::new(params, seed);
            spec.in_degrees = man.k_e.zip(man.k_i);
            spec.autapses = !man.no_autapses;
            generate(&spec)
        }
    };
    let result = net.and_then(|net| {
        let y0 = sim::run::initial_state(&net, seed);
        Ok(sim::tangent::lyapunov(
            &net,
            y0,
            &man.lyapunov,
            seed,
            &mut sim::checkpoint::Silent,
        )?)
    });
    let (exponents, regime, error) = match result {
        Ok(r) => {
            let regime = serde_json::to_value(r.regime)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string));
            (r.exponents, regime, None)
        }
        Err(e) => (Vec::new(), None, Some(e.to_string())),
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

/// What a shard run did (the JSON of `balnet sweep lyapunov`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ShardReport {
    pub dir: String,
    pub shard: String,
    pub points: usize,
    pub computed: usize,
    pub skipped: usize,
    pub failed: usize,
    /// The shard file.
    #[serde(skip)]
    pub file: PathBuf,
}

/// Run shard `shard` of the sweep `man` in `dir`: write or check `sweep.json`, keep the
/// complete lines of the shard file, compute the missing points in parallel (each line
/// appended and flushed as it finishes). `progress(done, total)` hears every finished point
/// (from any worker thread); `Break` stops the shard (points under way finish and are kept):
/// `SimError::Interrupted`. `starting(total, already_done)` is called once before computing.
pub fn run_shard(
    man: &Manifest,
    dir: &Path,
    shard: Shard,
    starting: impl FnOnce(usize, usize, &Path),
    progress: &(dyn Fn(usize, usize) -> ControlFlow<()> + Sync),
) -> Result<ShardReport> {
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    match read_manifest(dir)? {
        Some(old) if old != *man => {
            return Err(Error::Input(format!(
                "{} belongs to another sweep (different parameters, lists or settings); use another --out",
                dir.join("sweep.json").display()
            )));
        }
        Some(_) => {}
        None => {
            let text =
                serde_json::to_string_pretty(man).map_err(|e| Error::Compute(e.to_string()))?;
            write_text(&dir.join("sweep.json"), &(text + "\n"))?;
        }
    }
    // Resume: keep the complete lines of this shard's file, then append.
    let path = dir.join(shard.file_name());
    let kept = read_lines(&path)?;
    let mut text = String::new();
    for l in &kept {
        text.push_str(&serde_json::to_string(l).map_err(|e| Error::Compute(e.to_string()))?);
        text.push('\n');
    }
    write_text(&path, &text)?;
    let done: HashSet<usize> = kept.iter().map(|l| l.point).collect();
    let mine: Vec<Point> = (shard.k..man.points)
        .step_by(shard.m)
        .map(|i| man.point(i))
        .collect();
    let todo: Vec<Point> = mine
        .iter()
        .copied()
        .filter(|p| !done.contains(&p.id))
        .collect();
    starting(mine.len(), mine.len() - todo.len(), &path);
    let file = std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .map_err(io(&path))?;
    let file = Mutex::new(file);
    let failures = Mutex::new(Vec::<String>::new());
    let (finished, stop) = (AtomicUsize::new(0), AtomicBool::new(false));
    todo.par_iter().for_each(|p| {
        if stop.load(Ordering::Relaxed) {
            return;
        }
        let line = compute(man, p);
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
        let k = finished.fetch_add(1, Ordering::Relaxed) + 1;
        if progress(k, todo.len()).is_break() {
            stop.store(true, Ordering::Relaxed);
        }
    });
    if let Some(e) = failures.into_inner().expect("threads joined").first() {
        return Err(Error::Compute(e.clone()));
    }
    if stop.into_inner() {
        return Err(SimError::Interrupted {
            step: finished.into_inner() as u64,
        }
        .into());
    }
    let lines = read_lines(&path)?;
    Ok(ShardReport {
        dir: dir.display().to_string(),
        shard: format!("{}/{}", shard.k, shard.m),
        points: mine.len(),
        computed: todo.len(),
        skipped: mine.len() - todo.len(),
        failed: lines.iter().filter(|l| l.failed()).count(),
        file: path,
    })
}

/// The median of Lambda_1 over realizations at one (N, J0).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct MedianRow {
    pub n: f64,
    pub j0: f64,
    /// `null` when no realization has an exponent.
    pub lambda_1_median: Option<f64>,
    pub realizations: usize,
}

/// A merged sweep (the JSON of `balnet sweep merge`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Merged {
    pub points: usize,
    pub failed: usize,
    pub files: usize,
    pub median: Vec<MedianRow>,
    #[serde(skip)]
    pub manifest: Manifest,
    /// Every point, in point order.
    #[serde(skip)]
    pub lines: Vec<Line>,
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

/// Combine the shard files of `dir`, checking that no point is missing, duplicated or outside
/// the sweep.
pub fn merge(dir: &Path) -> Result<Merged> {
    let man = read_manifest(dir)?.ok_or_else(|| {
        Error::Input(format!(
            "{}: no sweep.json (not a sweep directory)",
            dir.display()
        ))
    })?;
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| Error::Input(format!("{}: {e}", dir.display())))?
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
            // Every line must be the sweep's own point: same N, J0, realization and seed.
            if l.point < man.points {
                let want = man.point(l.point);
                let seed = man.seed.checked_add(want.realization);
                if (l.n, l.j0, l.realization, Some(l.seed))
                    != (want.n, want.j0, want.realization, seed)
                {
                    return Err(Error::Input(format!(
                        "{}: point {} has N = {}, J0 = {}, realization {}, seed {}, but this \
                         sweep's point {} is N = {}, J0 = {}, realization {}, seed {} (a shard of \
                         another sweep?)",
                        f.display(),
                        l.point,
                        l.n,
                        l.j0,
                        l.realization,
                        l.seed,
                        l.point,
                        want.n,
                        want.j0,
                        want.realization,
                        seed.map_or("-".into(), |s| s.to_string())
                    )));
                }
            }
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
        // Only missing points are work not yet done (status 1); a point in two files or
        // outside the sweep is a directory put together wrongly (bad input, status 2).
        let why = if duplicates.is_empty() && stray.is_empty() {
            Error::Compute
        } else {
            Error::Input
        };
        return Err(why(format!(
            "{}: {} of {} points missing [{}], {} duplicated [{}]{}{}; rerun the shards that own the missing points (point i belongs to shard i mod M)",
            dir.display(),
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
        )));
    }
    let lines: Vec<Line> = by_point.into_values().map(|mut v| v.remove(0).0).collect();
    let mut groups: BTreeMap<(usize, usize), Vec<f64>> = BTreeMap::new();
    for l in &lines {
        let ni = man.ns.iter().position(|&n| n == l.n).unwrap_or(0);
        let ji = man.j0s.iter().position(|&j| j == l.j0).unwrap_or(0);
        let entry = groups.entry((ni, ji)).or_default();
        if !l.failed() {
            entry.push(l.exponents[0]);
        }
    }
    let median = groups
        .into_iter()
        .map(|((ni, ji), mut v)| MedianRow {
            n: man.ns[ni],
            j0: man.j0s[ji],
            realizations: v.len(),
            lambda_1_median: (!v.is_empty()).then(|| median(&mut v)),
        })
        .collect();
    let failed = lines.iter().filter(|l| l.failed()).count();
    if failed == lines.len() {
        let why = lines
            .iter()
            .find_map(|l| l.error.clone())
            .unwrap_or_else(|| "no exponents".into());
        return Err(Error::Compute(format!(
            "{}: every one of the {failed} points failed (e.g. point 0: {why})",
            dir.display()
        )));
    }
    Ok(Merged {
        points: lines.len(),
        failed,
        files: files.len(),
        median,
        manifest: man,
        lines,
    })
}

/// `median.csv` of a merged sweep.
pub fn median_csv(m: &Merged) -> String {
    let mut med = String::from("n,j0,lambda_1_median,realizations\n");
    for r in &m.median {
        let x = r.lambda_1_median.unwrap_or(f64::NAN);
        med.push_str(&format!("{},{},{x:e},{}\n", r.n, r.j0, r.realizations));
    }
    med
}

/// Write `points.csv` and `median.csv` of a merged sweep into `dir` (atomically).
pub fn write_merged(dir: &Path, m: &Merged) -> Result<()> {
    let k = m.manifest.lyapunov.k;
    let mut csv = String::from("point,n,j0,realization,seed");
    for q in 1..=k {
        csv.push_str(&format!(",lambda_{q}"));
    }
    csv.push_str(",regime,error\n");
    for l in &m.lines {
        csv.push_str(&format!(
            "{},{},{},{},{}",
            l.point, l.n, l.j0, l.realization, l.seed
        ));
        for q in 0..k {
            match l.exponents.get(q) {
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
    write_text(&dir.join("points.csv"), &csv)?;
    write_text(&dir.join("median.csv"), &median_csv(m))
}
