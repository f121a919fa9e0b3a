//! `balnet reproduce --out DIR`: the paper's figures regenerated from the code, as SVG, with an
//! index page that shows each beside the golden comparison table.
//!
//! `--quick` (the default) uses smaller networks and shorter runs and says so in each title;
//! `--full` uses the paper's sizes. A figure whose SVG exists is skipped unless `--force`;
//! every file is written atomically.

mod chaos;
mod spiking;
mod ssn;
mod stationary;

use std::path::{Path, PathBuf};

use clap::Args;
use serde_json::json;
use theory::Params;
use theory::critical::{JcSearch, critical_coupling};

use crate::output::{Failure, emit, write_atomic};
use crate::svg::{self, Plot, Series, Style};

#[derive(Args, Debug)]
pub(crate) struct ReproduceArgs {
    /// Output directory (figures, index.html, golden.md).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Smaller networks and shorter runs (the default; < 10 min on 2 cores).
    #[arg(long, conflicts_with = "full")]
    quick: bool,
    /// The paper's sizes (hours).
    #[arg(long)]
    full: bool,
    /// Recompute figures that already exist.
    #[arg(long)]
    force: bool,
    /// Only figures whose id contains this text (e.g. 4a).
    #[arg(long, value_name = "TEXT")]
    only: Option<String>,
    /// Leave out the golden comparison table (it runs `balnet verify`, about 1 min).
    #[arg(long)]
    no_golden: bool,
    /// Print one JSON object (the figures written or skipped) at the end.
    #[arg(long)]
    json: bool,
}

/// Sizes of one reproduction.
struct Size {
    full: bool,
    /// N of the single-network simulations (Figs. 1, 7C).
    n_sim: f64,
    /// N of the dense spectra (Figs. 4A-B).
    n_spec: f64,
    /// N of the Lyapunov scan (Fig. 6) and the sizes of Fig. 13.
    n_lyap: f64,
    lyap_t: f64,
    /// Sizes of the fixed-point simulations over N (Fig. 2A).
    ns: Vec<f64>,
    /// Sizes of the chaotic simulations over N (Figs. 8, 9): below N ~ 2000 the network at
    /// J0 = 1.5 may still be in the transition region (Figs. 6, 13), not chaotic.
    ns_chaos: Vec<f64>,
    /// Networks per N in Figs. 8-9.
    realizations: u64,
    /// Measured time of the LIF runs (Fig. 11), in tau_m. The input ACF decays over ~100
    /// tau_m; the window's mean subtraction biases it by about -2/t times its integral
    /// (-0.06 at t = 300), so the window must be long.
    lif_t: f64,
}

impl Size {
    fn new(full: bool) -> Self {
        if full {
            Size {
                full,
                n_sim: 1e4,
                n_spec: 5000.0,
                n_lyap: 5000.0,
                lyap_t: 5000.0,
                ns: vec![1000.0, 2000.0, 4000.0, 8000.0, 16000.0, 32000.0],
                ns_chaos: vec![2000.0, 4000.0, 8000.0, 16000.0, 32000.0],
                realizations: 10,
                lif_t: 20000.0,
            }
        } else {
            Size {
                full,
                n_sim: 2000.0,
                n_spec: 800.0,
                n_lyap: 1000.0,
                lyap_t: 500.0,
                ns: vec![500.0, 1000.0, 2000.0, 4000.0],
                ns_chaos: vec![2000.0, 4000.0, 8000.0],
                realizations: 3,
                lif_t: 3000.0,
            }
        }
    }
    fn tag(&self) -> &'static str {
        if self.full { "" } else { " [quick]" }
    }
}

type Figure = (&'static str, &'static str, fn(&Size) -> Result<Plot, Msg>);

/// Every figure: id, what the paper's panel shows (the caption on the index page), builder.
fn figures() -> Vec<Figure> {
    use chaos::*;
    use spiking::*;
    use stationary::*;
    vec![
        (
            "1a",
            "Fig. 1A: homogeneous fixed point, J0 = 0.1 (dashed: Eq. 5)",
            fig1a,
        ),
        ("1b", "Fig. 1B: transition regime, J0 = 0.87", fig1b),
        ("1c", "Fig. 1C: rate chaos, J0 = 1.5", fig1c),
        (
            "2a",
            "Fig. 2A: rates and w at the fixed point against N (lines: Eq. 5, symbols: simulations, dashed: N = inf)",
            fig2a,
        ),
        (
            "2b",
            "Fig. 2B: phi_E of Eq. 5 over (I0, J0) at N = 1e4; dashed: the cuts of 2C and 2D",
            fig2b,
        ),
        (
            "2c",
            "Fig. 2C: phi_E against I0 at J0 = 0.1 for several N (Eq. 5)",
            fig2c,
        ),
        (
            "2d",
            "Fig. 2D: phi_E against J0 at I0 = 0.3 for several N (Eq. 5)",
            fig2d,
        ),
        (
            "3a",
            "Fig. 3A: leading eigenvalue of DF_hom against J0 for several I0, N = 1e4",
            fig3a,
        ),
        (
            "3b",
            "Fig. 3B: leading eigenvalue of DF_hom against J0 at I0 = 2 for several N",
            fig3b,
        ),
        (
            "4a",
            "Fig. 4A: spectrum of DF_het at J0 = 0.1 with the Girko disk and the outliers",
            fig4a,
        ),
        (
            "4b",
            "Fig. 4B: rightmost eigenvalue of DF_het against J0 (symbols) and -1 + r (line)",
            fig4b,
        ),
        ("4c", "Fig. 4C: J_c against N for several I0", fig4c),
        (
            "5c",
            "Fig. 5C: distribution of the excitatory inputs at a heterogeneous fixed point (bars) and the Gaussian of Eqs. 31-32 (line); inset: w",
            fig5c,
        ),
        (
            "5d",
            "Fig. 5D: mean inputs of the heterogeneous fixed point against J0 (Eqs. 31-32), N = 1e4; inset: standard deviations",
            fig5d,
        ),
        (
            "6",
            "Fig. 6: largest Lyapunov exponent against J0 for one network",
            fig6,
        ),
        (
            "7c",
            "Fig. 7C: input autocovariance, simulation (symbols) and DMF (lines), J0 = 1.5",
            fig7c,
        ),
        (
            "7d",
            "Fig. 7D: DMF population rates against J0 for several I0 (I solid, E dashed)",
            fig7d,
        ),
        (
            "7e",
            "Fig. 7E: DMF mean total inputs against J0 for several I0 (I solid, E dashed)",
            fig7e,
        ),
        (
            "7f",
            "Fig. 7F: DMF input variances Delta0 against J0 for several I0 (I solid, E dashed)",
            fig7f,
        ),
        (
            "7g",
            "Fig. 7G: DMF decorrelation times against J0 for several I0 (I solid, E dashed)",
            fig7g,
        ),
        (
            "8a",
            "Fig. 8A: [phi_E], [phi_I], [w] against N, DMF (lines) and simulations (symbols), J0 = 1.5",
            fig8a,
        ),
        (
            "8b",
            "Fig. 8B: input variances Delta0 against N, DMF (lines) and simulations (symbols), J0 = 1.5",
            fig8b,
        ),
        (
            "8c",
            "Fig. 8C: DMF autocovariance of the excitatory input for several N; inset: tau_dec against N",
            fig8c,
        ),
        (
            "8d",
            "Fig. 8D: balance residuals |A^E|, |A^I| against N (simulations) with the N^-1/2 law",
            fig8d,
        ),
        (
            "9a",
            "Fig. 9A: correlation coefficients of the partial inputs against N, J0 = 1.5",
            fig9a,
        ),
        (
            "9b",
            "Fig. 9B: correlation coefficients of the total inputs against N; inset: rate correlations R with the 1/N law",
            fig9b,
        ),
        (
            "10c",
            "Fig. 10C: rightmost eigenvalue of DF_het with the LIF transfer function, numerical (symbols) and theory (lines), for several I0",
            fig10c,
        ),
        (
            "10d",
            "Fig. 10D: J_c against N for the LIF transfer function (tau_syn = 10)",
            fig10d,
        ),
        (
            "11b",
            "Fig. 11B: distribution of firing rates in the LIF spiking network; inset: CV of the interspike intervals",
            fig11b,
        ),
        (
            "11d",
            "Fig. 11D: input autocovariance of the LIF spiking network (squares), the rate model (circles) and the DMF (lines)",
            fig11d,
        ),
        (
            "13",
            "Fig. 13A: median largest exponent over networks against J0 for several N",
            fig13,
        ),
        (
            "ssn2a",
            "Paper 004, Fig. 2A: supersaturation, LIF network (symbols), Phi_sc (lines), SSN (dashed); golden/ssn/supersaturating.toml",
            ssn::ssn2a,
        ),
        (
            "ssn4a",
            "Paper 004, Fig. 4A: bistability, LIF network with the input rising (circles) and falling (squares), Phi_sc (lines), SSN (dashed); golden/ssn/bistable.toml",
            ssn::ssn4a,
        ),
        (
            "ssn5a",
            "Paper 004, Fig. 5A: SSN regime map (balnet ssn scan) of the bistable network; line: r = J_II / J_EI (Eq. 4)",
            ssn::ssn5a,
        ),
        (
            "ssn5b",
            "Paper 004, Fig. 5B: SSN regime map of the det J < 0 network; line: r = J_II / J_EI",
            ssn::ssn5b,
        ),
    ]
}

fn log_grid(a: f64, b: f64, k: usize) -> Vec<f64> {
    (0..k)
        .map(|i| (a.ln() + (b.ln() - a.ln()) * i as f64 / (k - 1) as f64).exp())
        .collect()
}

fn lin_grid(a: f64, b: f64, k: usize) -> Vec<f64> {
    (0..k)
        .map(|i| a + (b - a) * i as f64 / (k - 1) as f64)
        .collect()
}

fn line(label: impl Into<String>, points: Vec<(f64, f64)>) -> Series {
    Series::new(label, points, Style::Line)
}

fn dashed(label: impl Into<String>, points: Vec<(f64, f64)>) -> Series {
    Series::new(label, points, Style::Dashed)
}

fn dots(label: impl Into<String>, points: Vec<(f64, f64)>) -> Series {
    Series::new(label, points, Style::Points)
}

fn markers(label: impl Into<String>, points: Vec<(f64, f64)>) -> Series {
    Series::new(label, points, Style::Markers)
}

/// The colours of three quantities drawn together (phi_E, phi_I, w; or E, I and a third).
const TRIO: [&str; 3] = [svg::ORANGE, svg::BLUE, svg::GREEN];

/// Theory curves as lines ("NAME THEORY") and simulations as markers of the same colour
/// ("NAME simulated").
fn lines_and_markers(
    theory: Vec<Vec<(f64, f64)>>,
    sims: Vec<Vec<(f64, f64)>>,
    names: &[&str],
    theory_label: &str,
) -> Vec<Series> {
    let mut series: Vec<Series> = theory
        .into_iter()
        .zip(names)
        .zip(TRIO)
        .map(|((p, n), c)| line(format!("{n} {theory_label}"), p).color(c))
        .collect();
    series.extend(
        sims.into_iter()
            .zip(names)
            .zip(TRIO)
            .map(|((p, n), c)| markers(format!("{n} simulated"), p).color(c)),
    );
    series
}

/// A figure's failure, said in one line (kept as text: figures share cached results, so the
/// error must be `Clone`).
#[derive(Clone, Debug)]
struct Msg(String);

impl std::fmt::Display for Msg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<verify::Error> for Msg {
    fn from(e: verify::Error) -> Self {
        Msg(e.to_string())
    }
}

impl From<String> for Msg {
    fn from(e: String) -> Self {
        Msg(e)
    }
}

fn es<E: std::fmt::Display>(e: E) -> Msg {
    Msg(e.to_string())
}

fn with(p: Params, n: f64, j0: f64, i0: f64) -> Params {
    Params { n, j0, i0, ..p }
}

/// J_c of Eq. 30 against log10 N for N = 1e3 .. 1e12 (points without a crossing are left out).
fn jc_curve(base: Params, i0: f64) -> Vec<(f64, f64)> {
    log_grid(1e3, 1e12, 28)
        .into_iter()
        .filter_map(|n| {
            let p = Params { n, i0, ..base };
            let j = critical_coupling(&p, &JcSearch::default()).ok()?.j_c;
            Some((n.log10(), j))
        })
        .collect()
}

/// An autocovariance curve at lags k * `lag_dt` up to `max_lag`, every `stride`-th sample.
fn acf_series(
    label: &str,
    c: &[f64],
    lag_dt: f64,
    max_lag: f64,
    style: Style,
    stride: usize,
) -> Series {
    Series::new(
        label,
        c.iter()
            .enumerate()
            .filter(|(k, _)| k % stride.max(1) == 0)
            .map(|(k, v)| (k as f64 * lag_dt, *v))
            .filter(|(l, _)| *l <= max_lag)
            .collect(),
        style,
    )
}

/// A value computed once per process and shared by the figures that need it (e.g. one LIF
/// run for Figs. 11B and 11D); errors are shared too.
struct Shared<T>(std::sync::OnceLock<Result<T, Msg>>);

impl<T> Shared<T> {
    const fn new() -> Self {
        Shared(std::sync::OnceLock::new())
    }
    fn get(&self, make: impl FnOnce() -> Result<T, Msg>) -> Result<&T, Msg> {
        self.0.get_or_init(make).as_ref().map_err(Clone::clone)
    }
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The golden table as HTML rows (fast tier).
fn golden_html(full: bool) -> Result<String, Failure> {
    let files = crate::cmd::verify::golden_files(None)?;
    let rows = crate::cmd::verify::run_cases(&files, full, None)?.cases;
    let mut s = String::from(
        "<table><tr><th>case</th><th>quantity</th><th>expected</th><th>obtained</th><th>tolerance</th><th>verdict</th><th>source</th></tr>\n",
    );
    for r in &rows {
        let c = &r.case;
        let exp = match (c.expected, c.lower, c.upper) {
            (Some(x), _, _) => format!("{x:.6}"),
            (None, lo, hi) => format!(
                "[{}, {}]",
                lo.map_or("-inf".into(), |v| format!("{v}")),
                hi.map_or("inf".into(), |v| format!("{v}"))
            ),
        };
        s.push_str(&format!(
            "<tr class=\"{}\"><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
            if r.verdict.is_failure() { "fail" } else { "ok" },
            html_escape(&c.id),
            html_escape(&c.quantity),
            exp,
            r.obtained.map_or("-".into(), |v| format!("{v:.6}")),
            c.tolerance.map_or("-".into(), |v| format!("{v:.2e}")),
            html_escape(r.verdict.label()),
            html_escape(&c.source)
        ));
    }
    s.push_str("</table>\n");
    Ok(s)
}

pub(crate) fn cmd_reproduce(a: &ReproduceArgs) -> Result<(), Failure> {
    let size = Size::new(a.full);
    std::fs::create_dir_all(&a.out)
        .map_err(|e| Failure(format!("cannot create {}: {e}", a.out.display()), 2))?;
    let selected: Vec<Figure> = figures()
        .into_iter()
        .filter(|(id, _, _)| a.only.as_deref().is_none_or(|o| id.contains(o)))
        .collect();
    if selected.is_empty() {
        return Err(Failure(
            format!(
                "no figure matches --only {}",
                a.only.as_deref().unwrap_or("")
            ),
            2,
        ));
    }
    let (mut written, mut skipped, mut failed) = (Vec::new(), Vec::new(), Vec::new());
    let total = selected.len();
    for (k, (id, caption, build)) in selected.iter().enumerate() {
        let name = format!("fig{id}.svg");
        if !a.force && a.out.join(&name).is_file() {
            eprintln!(
                "balnet reproduce: [{:>2}/{total}] {name} exists, skipped (--force recomputes)",
                k + 1
            );
            skipped.push(*id);
            continue;
        }
        let start = std::time::Instant::now();
        eprintln!("balnet reproduce: [{:>2}/{total}] {caption} ...", k + 1);
        match build(&size) {
            Ok(plot) => {
                // The data first: a figure whose SVG exists is complete.
                write_atomic(&a.out, &format!("fig{id}.csv"), &plot.to_csv())?;
                write_atomic(&a.out, &name, &plot.render())?;
                eprintln!(
                    "balnet reproduce: [{:>2}/{total}] {name} written ({:.1} s)",
                    k + 1,
                    start.elapsed().as_secs_f64()
                );
                written.push(*id);
            }
            Err(e) => {
                eprintln!(
                    "balnet reproduce: [{:>2}/{total}] {name} FAILED: {e}",
                    k + 1
                );
                failed.push(json!({"figure": id, "error": e.0}));
            }
        }
    }
    let golden_name = "golden.html";
    if !a.no_golden && (a.force || !a.out.join(golden_name).is_file()) {
        eprintln!(
            "balnet reproduce: golden comparison table (balnet verify{}) ...",
            if a.full { " --full" } else { "" }
        );
        let table = golden_html(a.full)?;
        write_atomic(&a.out, golden_name, &table)?;
    }
    let table = std::fs::read_to_string(a.out.join(golden_name)).unwrap_or_default();
    write_atomic(&a.out, "index.html", &index_html(&a.out, &size, &table))?;
    emit(
        a.json,
        json!({"out": a.out, "written": written, "skipped": skipped, "failed": failed,
               "quick": !a.full, "index": a.out.join("index.html")}),
        || {
            format!(
                "{} figure(s) written, {} skipped, {} failed; open {}\n",
                written.len(),
                skipped.len(),
                failed.len(),
                a.out.join("index.html").display()
            )
        },
    );
    if !failed.is_empty() {
        return Err(Failure(format!("{} figure(s) failed", failed.len()), 1));
    }
    Ok(())
}

fn index_html(dir: &Path, size: &Size, golden: &str) -> String {
    let mut s = String::from(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>balnet: the paper's figures</title>\
         <style>body{font-family:sans-serif;max-width:1400px;margin:auto} .row{display:flex;gap:20px;align-items:flex-start}\
         img{width:640px;border:1px solid #ccc} table{border-collapse:collapse;font-size:12px} td,th{border:1px solid #ccc;padding:2px 4px}\
         tr.fail{background:#fdd}</style></head><body>\n",
    );
    s.push_str(&format!(
        "<h1>Angulo-Garcia &amp; Torcini, arXiv 2510.17492: figures regenerated by balnet</h1>\n<p>{}</p>\n",
        if size.full {
            "Full reproduction at the paper's sizes."
        } else {
            "Quick reproduction: smaller networks and shorter runs than the paper (titles marked [quick]); <code>balnet reproduce --full</code> uses the paper's sizes."
        }
    ));
    s.push_str("<div class=\"row\"><div>\n");
    for (id, caption, _) in figures() {
        let name = format!("fig{id}.svg");
        if dir.join(&name).is_file() {
            s.push_str(&format!(
                "<h3>{}</h3><img src=\"{name}\" alt=\"{}\"><p><a href=\"fig{id}.csv\">data (CSV)</a></p>\n",
                html_escape(caption),
                html_escape(caption)
            ));
        }
    }
    s.push_str("</div><div><h2>Golden comparison (balnet verify)</h2>\n");
    s.push_str(golden);
    s.push_str("</div></div></body></html>\n");
    s
}
