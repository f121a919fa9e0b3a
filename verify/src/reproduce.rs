//! `balnet reproduce --out DIR`: the paper's figures regenerated from the code, as SVG, with an
//! index page that shows each beside the golden comparison table.
//!
//! `--quick` (the default) uses smaller networks and shorter runs and says so in each title;
//! `--full` uses the paper's sizes. A figure whose SVG exists is skipped unless `--force`;
//! every file is written atomically.

use std::path::{Path, PathBuf};

use clap::Args;
use serde_json::json;
use sim::integrate::{Integrator, Method};
use sim::run::{Observe, Run, RunSpec, initial_state};
use theory::critical::{JcSearch, critical_coupling};
use theory::fixed_point::homogeneous;
use theory::girko::het_spectrum;
use theory::het_fixed_point::{Branch, het_fixed_point};
use theory::stability::hom_stability;
use theory::{Params, Transfer, balanced::balanced_limit};
use verify::protocol::{self, Extras, Window};

use crate::svg::{Plot, Series, Style};
use crate::{Failure, emit, write_atomic};

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
    /// Sizes of the simulations over N (Figs. 2A, 8A, 9).
    ns: Vec<f64>,
    realizations: u64,
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
                realizations: 10,
                lif_t: 1000.0,
            }
        } else {
            Size {
                full,
                n_sim: 2000.0,
                n_spec: 800.0,
                n_lyap: 1000.0,
                lyap_t: 500.0,
                ns: vec![500.0, 1000.0, 2000.0, 4000.0],
                realizations: 2,
                lif_t: 300.0,
            }
        }
    }
    fn tag(&self) -> &'static str {
        if self.full { "" } else { " [quick]" }
    }
}

type Figure = (
    &'static str,
    &'static str,
    fn(&Size) -> Result<Plot, String>,
);

/// Every figure: id, what the paper's panel shows (the caption on the index page), builder.
fn figures() -> Vec<Figure> {
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
            "5d",
            "Fig. 5D: mean inputs of the heterogeneous fixed point against J0 (Eqs. 31-32), N = 1e4",
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
            "8a",
            "Fig. 8A: [phi_E], [phi_I], [w] against N, DMF (lines) and simulations (symbols), J0 = 1.5",
            fig8a,
        ),
        (
            "9a",
            "Fig. 9A: correlation coefficients of the partial inputs against N, J0 = 1.5",
            fig9a,
        ),
        (
            "10d",
            "Fig. 10D: J_c against N for the LIF transfer function (tau_syn = 10)",
            fig10d,
        ),
        (
            "11d",
            "Fig. 11D: input autocovariance of the LIF spiking network (symbols) and the DMF (lines)",
            fig11d,
        ),
        (
            "13",
            "Fig. 13A: median largest exponent over networks against J0 for several N",
            fig13,
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
    Series {
        label: label.into(),
        points,
        style: Style::Line,
    }
}

fn dots(label: impl Into<String>, points: Vec<(f64, f64)>) -> Series {
    Series {
        label: label.into(),
        points,
        style: Style::Points,
    }
}

/// Theory curves as lines ("NAME THEORY") and simulations as symbols ("NAME simulated").
fn lines_and_dots(
    theory: Vec<Vec<(f64, f64)>>,
    sims: Vec<Vec<(f64, f64)>>,
    names: [&str; 3],
    theory_label: &str,
) -> Vec<Series> {
    let mut series: Vec<Series> = theory
        .into_iter()
        .zip(names)
        .map(|(p, n)| line(format!("{n} {theory_label}"), p))
        .collect();
    series.extend(
        sims.into_iter()
            .zip(names)
            .map(|(p, n)| dots(format!("{n} simulated"), p)),
    );
    series
}

fn es<E: std::fmt::Display>(e: E) -> String {
    e.to_string()
}

fn with(p: Params, n: f64, j0: f64, i0: f64) -> Params {
    Params { n, j0, i0, ..p }
}

/// Rate traces phi(x) of neurons 0-3 (E) and the first 4 I neurons, every 0.1 for t.
fn traces(j0: f64, s: &Size) -> Result<Plot, String> {
    let p = with(Params::default(), s.n_sim, j0, 0.0);
    let net = protocol::network_for(&p, 1, None)?;
    let ne = net.n_e();
    let every = 2;
    let spec = RunSpec {
        dt: 0.05,
        t: 100.0,
        transient: 0.0,
        method: Method::Euler,
        observe: Observe {
            traces: vec![0, 1, 2, 3, ne, ne + 1, ne + 2, ne + 3],
            trace_every: every,
            ..Observe::default()
        },
    };
    let mut run = Run::new(&net, spec, initial_state(&net, 1)).map_err(es)?;
    let total = run.total_steps();
    run.advance(
        &net,
        &mut Integrator::new(&net, Method::Euler),
        total,
        |_| {},
    )
    .map_err(es)?;
    let tr = net.transfer();
    let mut series = Vec::new();
    for (k, data) in run.acc.trace_data.iter().enumerate() {
        let label = if k < 4 {
            format!("E neuron {k}")
        } else {
            format!("I neuron {}", k - 4)
        };
        series.push(line(
            label,
            run.acc
                .trace_t
                .iter()
                .zip(data)
                .map(|(t, v)| (*t, tr.phi(v[0])))
                .collect(),
        ));
    }
    let mut h_lines = Vec::new();
    if j0 < 0.5 {
        let f = homogeneous(&p).map_err(es)?.primary;
        h_lines = vec![f.phi_e, f.phi_i];
    }
    Ok(Plot {
        title: format!("J0 = {j0}, I0 = 0, N = {}{}", s.n_sim, s.tag()),
        x_label: "time".into(),
        y_label: "firing rate phi(x)".into(),
        series,
        h_lines,
        ..Plot::default()
    })
}

fn fig1a(s: &Size) -> Result<Plot, String> {
    traces(0.1, s)
}
fn fig1b(s: &Size) -> Result<Plot, String> {
    traces(0.87, s)
}
fn fig1c(s: &Size) -> Result<Plot, String> {
    traces(1.5, s)
}

fn fig2a(s: &Size) -> Result<Plot, String> {
    let base = with(Params::default(), 1e4, 0.1, 0.0);
    let grid = log_grid(1e3, 1e12, 40);
    let mut theory = vec![Vec::new(), Vec::new(), Vec::new()];
    for &n in &grid {
        let f = homogeneous(&Params { n, ..base }).map_err(es)?.primary;
        for (k, v) in [f.phi_e, f.phi_i, f.w].into_iter().enumerate() {
            theory[k].push((n.log10(), v));
        }
    }
    let w = Window {
        t: 50.0,
        transient: 150.0,
        dt: 0.05,
        method: Method::Euler,
    };
    let mut sims = vec![Vec::new(), Vec::new(), Vec::new()];
    for &n in &s.ns {
        let rs =
            protocol::rate_realizations(&Params { n, ..base }, &[1], None, &w, Extras::default())?;
        for (k, key) in ["phi_e", "phi_i", "w"].into_iter().enumerate() {
            sims[k].push((n.log10(), rs[0].stats[key]));
        }
    }
    let b = balanced_limit(&base).map_err(es)?;
    let series = lines_and_dots(theory, sims, ["phi_E", "phi_I", "w"], "(Eq. 5)");
    Ok(Plot {
        title: format!("fixed point against N, J0 = 0.1, I0 = 0{}", s.tag()),
        x_label: "log10 N".into(),
        y_label: "rate / w".into(),
        series,
        h_lines: vec![b.phi_e, b.phi_i, b.w],
        ..Plot::default()
    })
}

fn fig2c(_s: &Size) -> Result<Plot, String> {
    let mut series = Vec::new();
    for n in [1e4, 1e6, 1e8, 1e12] {
        let mut pts = Vec::new();
        for i0 in lin_grid(0.0, 3.0, 61) {
            if let Ok(f) = homogeneous(&with(Params::default(), n, 0.1, i0)) {
                pts.push((i0, f.primary.phi_e));
            }
        }
        series.push(line(format!("N = {n:e}"), pts));
    }
    Ok(Plot {
        title: "phi_E against I0, J0 = 0.1 (Eq. 5)".into(),
        x_label: "I0".into(),
        y_label: "phi_E".into(),
        series,
        ..Plot::default()
    })
}

fn fig2d(_s: &Size) -> Result<Plot, String> {
    let mut series = Vec::new();
    for n in [1e4, 1e6, 1e8, 1e12] {
        let mut pts = Vec::new();
        for j0 in lin_grid(0.05, 1.5, 59) {
            if let Ok(f) = homogeneous(&with(Params::default(), n, j0, 0.3)) {
                pts.push((j0, f.primary.phi_e));
            }
        }
        series.push(line(format!("N = {n:e}"), pts));
    }
    Ok(Plot {
        title: "phi_E against J0, I0 = 0.3 (Eq. 5)".into(),
        x_label: "J0".into(),
        y_label: "phi_E".into(),
        series,
        ..Plot::default()
    })
}

fn hom_re_curve(n: f64, i0: f64) -> Vec<(f64, f64)> {
    lin_grid(0.02, 1.5, 75)
        .into_iter()
        .filter_map(|j0| {
            let p = with(Params::default(), n, j0, i0);
            let f = homogeneous(&p).ok()?.primary;
            Some((j0, hom_stability(&p, &f).max_re))
        })
        .collect()
}

fn fig3a(_s: &Size) -> Result<Plot, String> {
    Ok(Plot {
        title: "max Re lambda(DF_hom), N = 1e4".into(),
        x_label: "J0".into(),
        y_label: "max Re lambda".into(),
        series: [0.0, 0.5, 1.0, 2.0]
            .into_iter()
            .map(|i0| line(format!("I0 = {i0}"), hom_re_curve(1e4, i0)))
            .collect(),
        h_lines: vec![0.0],
        ..Plot::default()
    })
}

fn fig3b(_s: &Size) -> Result<Plot, String> {
    Ok(Plot {
        title: "max Re lambda(DF_hom), I0 = 2".into(),
        x_label: "J0".into(),
        y_label: "max Re lambda".into(),
        series: [1e4, 1e6, 1e8, 1e10]
            .into_iter()
            .map(|n| line(format!("N = {n:e}"), hom_re_curve(n, 2.0)))
            .collect(),
        h_lines: vec![0.0],
        ..Plot::default()
    })
}

fn fig4a(s: &Size) -> Result<Plot, String> {
    let p = with(Params::default(), s.n_spec, 0.1, 0.0);
    let net = protocol::network_for(&p, 1, None)?;
    let sp = sim::spectrum::spectrum(&net).map_err(es)?;
    let f = homogeneous(&p).map_err(es)?.primary;
    let h = het_spectrum(&p, &f);
    Ok(Plot {
        title: format!("DF_het at J0 = 0.1, N = {}{}", s.n_spec, s.tag()),
        x_label: "Re lambda".into(),
        y_label: "Im lambda".into(),
        series: vec![
            dots(
                "eigenvalues",
                sp.eigenvalues.iter().map(|z| (z.re, z.im)).collect(),
            ),
            dots(
                "outliers lambda_out",
                h.outliers.iter().map(|z| (z.re, z.im)).collect(),
            ),
            dots("lambda_Q", vec![(h.lambda_q, 0.0)]),
        ],
        circles: vec![(-1.0, 0.0, h.radius, "Girko disk (Eq. 25)".into())],
        equal_aspect: true,
        ..Plot::default()
    })
}

fn fig4b(s: &Size) -> Result<Plot, String> {
    let k = if s.full { 10 } else { 6 };
    let mut sim_pts = Vec::new();
    for j0 in lin_grid(0.1, 1.0, k) {
        let p = with(Params::default(), s.n_spec, j0, 0.0);
        let net = protocol::network_for(&p, 1, None)?;
        if let Ok(sp) = sim::spectrum::spectrum(&net) {
            sim_pts.push((j0, sp.max_re));
        }
    }
    let theory: Vec<(f64, f64)> = lin_grid(0.05, 1.0, 60)
        .into_iter()
        .filter_map(|j0| {
            let p = with(Params::default(), s.n_spec, j0, 0.0);
            let f = homogeneous(&p).ok()?.primary;
            let h = het_spectrum(&p, &f);
            Some((j0, h.bulk_max_re.max(h.lambda_q)))
        })
        .collect();
    Ok(Plot {
        title: format!(
            "rightmost eigenvalue of DF_het, N = {}, I0 = 0{}",
            s.n_spec,
            s.tag()
        ),
        x_label: "J0".into(),
        y_label: "max Re lambda".into(),
        series: vec![
            line("theory: max(-1 + r, lambda_Q)", theory),
            dots("numerical diagonalisation", sim_pts),
        ],
        h_lines: vec![0.0],
        ..Plot::default()
    })
}

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

fn fig4c(_s: &Size) -> Result<Plot, String> {
    Ok(Plot {
        title: "critical coupling J_c against N (Eq. 30)".into(),
        x_label: "log10 N".into(),
        y_label: "J_c".into(),
        series: [0.0, 0.5, 1.0, 2.0]
            .into_iter()
            .map(|i0| line(format!("I0 = {i0}"), jc_curve(Params::default(), i0)))
            .collect(),
        ..Plot::default()
    })
}

fn fig5d(_s: &Size) -> Result<Plot, String> {
    let (mut me, mut mi, mut de, mut di) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for j0 in lin_grid(0.8, 1.5, 36) {
        if let Ok(h) = het_fixed_point(
            &with(Params::default(), 1e4, j0, 0.0),
            Branch::Heterogeneous,
        ) {
            me.push((j0, h.mu_e));
            mi.push((j0, h.mu_i));
            de.push((j0, h.delta0_e.sqrt()));
            di.push((j0, h.delta0_i.sqrt()));
        }
    }
    Ok(Plot {
        title: "heterogeneous fixed point, N = 1e4, I0 = 0 (Eqs. 31-32)".into(),
        x_label: "J0".into(),
        y_label: "mean input / standard deviation".into(),
        series: vec![
            line("mu^E", me),
            line("mu^I", mi),
            line("sqrt(Delta0^E)", de),
            line("sqrt(Delta0^I)", di),
        ],
        ..Plot::default()
    })
}

fn lyap_point(n: f64, j0: f64, seed: u64, t: f64) -> Result<f64, String> {
    let p = with(Params::default(), n, j0, 0.0);
    let net = protocol::network_for(&p, seed, None)?;
    let spec = sim::tangent::LyapunovSpec {
        k: 1,
        dt: 0.05,
        t,
        transient: 200.0,
        t_ort: 1.0,
        zero_tol: 5e-3,
    };
    Ok(
        sim::tangent::lyapunov(&net, initial_state(&net, seed), &spec, seed, &mut |_| {})
            .map_err(es)?
            .exponents[0],
    )
}

fn fig6(s: &Size) -> Result<Plot, String> {
    use rayon::prelude::*;
    let j0s = lin_grid(0.1, 2.0, if s.full { 40 } else { 16 });
    let pts: Result<Vec<(f64, f64)>, String> = j0s
        .par_iter()
        .map(|&j0| Ok((j0, lyap_point(s.n_lyap, j0, 1, s.lyap_t)?)))
        .collect();
    let p = with(Params::default(), s.n_lyap, 0.1, 0.0);
    let jc = critical_coupling(&p, &JcSearch::default()).map_err(es)?.j_c;
    Ok(Plot {
        title: format!(
            "Lambda_1, one network, N = {}, t = {} (J_c = {jc:.3}){}",
            s.n_lyap,
            s.lyap_t,
            s.tag()
        ),
        x_label: "J0".into(),
        y_label: "Lambda_1".into(),
        series: vec![line("Lambda_1", pts?)],
        h_lines: vec![0.0],
        ..Plot::default()
    })
}

fn dmf_at(p: &Params) -> Result<theory::dmf::DmfSolution, String> {
    theory::dmf::solve(p, &theory::dmf::DmfOptions::default(), |_| {}).map_err(es)
}

fn acf_series(
    label: &str,
    c: &[f64],
    lag_dt: f64,
    max_lag: f64,
    style: Style,
    stride: usize,
) -> Series {
    Series {
        label: label.into(),
        points: c
            .iter()
            .enumerate()
            .filter(|(k, _)| k % stride.max(1) == 0)
            .map(|(k, v)| (k as f64 * lag_dt, *v))
            .filter(|(l, _)| *l <= max_lag)
            .collect(),
        style,
    }
}

fn fig7c(s: &Size) -> Result<Plot, String> {
    let p = with(
        Params::default(),
        if s.full { 5000.0 } else { s.n_sim },
        1.5,
        0.0,
    );
    let w = Window {
        t: 300.0,
        transient: 200.0,
        dt: 0.05,
        method: Method::Euler,
    };
    let rs = protocol::rate_realizations(&p, &[1], None, &w, Extras::default())?;
    let d = dmf_at(&p)?;
    let r = &rs[0];
    Ok(Plot {
        title: format!("input autocovariance, N = {}, J0 = 1.5{}", p.n, s.tag()),
        x_label: "lag tau".into(),
        y_label: "Delta(tau)".into(),
        series: vec![
            acf_series("E simulated", &r.acf_e, r.lag_dt, 30.0, Style::Points, 5),
            acf_series("I simulated", &r.acf_i, r.lag_dt, 30.0, Style::Points, 5),
            acf_series(
                "E DMF",
                &d.curves.delta_e,
                d.curves.lag_dt,
                30.0,
                Style::Line,
                1,
            ),
            acf_series(
                "I DMF",
                &d.curves.delta_i,
                d.curves.lag_dt,
                30.0,
                Style::Line,
                1,
            ),
        ],
        ..Plot::default()
    })
}

fn fig8a(s: &Size) -> Result<Plot, String> {
    let base = with(Params::default(), 1e4, 1.5, 0.0);
    let ns = if s.full {
        log_grid(1e3, 1e10, 15)
    } else {
        log_grid(1e3, 1e10, 5)
    };
    let mut th = vec![Vec::new(), Vec::new(), Vec::new()];
    for &n in &ns {
        let d = dmf_at(&Params { n, ..base })?.values;
        for (k, v) in [d.phi_e, d.phi_i, d.w].into_iter().enumerate() {
            th[k].push((n.log10(), v));
        }
    }
    let w = Window {
        t: 300.0,
        transient: 200.0,
        dt: 0.05,
        method: Method::Euler,
    };
    let seeds: Vec<u64> = (1..=s.realizations).collect();
    let mut sims = vec![Vec::new(), Vec::new(), Vec::new()];
    for &n in &s.ns {
        let rs = protocol::rate_realizations(
            &Params { n, ..base },
            &seeds,
            None,
            &w,
            Extras::default(),
        )?;
        for (k, key) in ["phi_e", "phi_i", "w"].into_iter().enumerate() {
            if let Some((m, _, _)) = protocol::mean_stderr(&rs, key) {
                sims[k].push((n.log10(), m));
            }
        }
    }
    let series = lines_and_dots(th, sims, ["[phi_E]", "[phi_I]", "[w]"], "DMF");
    Ok(Plot {
        title: format!("rate chaos against N, J0 = 1.5, I0 = 0{}", s.tag()),
        x_label: "log10 N".into(),
        y_label: "rate / w".into(),
        series,
        ..Plot::default()
    })
}

fn fig9a(s: &Size) -> Result<Plot, String> {
    let base = with(Params::default(), 1e4, 1.5, 0.0);
    let w = Window {
        t: 300.0,
        transient: 500.0,
        dt: 0.05,
        method: Method::Euler,
    };
    let seeds: Vec<u64> = (1..=s.realizations).collect();
    let keys = ["rho_ee", "rho_ie", "rho_ei", "rho_ii"];
    let mut pts = vec![Vec::new(); 4];
    for &n in &s.ns {
        let rs = protocol::rate_realizations(
            &Params { n, ..base },
            &seeds,
            None,
            &w,
            Extras {
                correlations: true,
                lyapunov: false,
            },
        )?;
        for (k, key) in keys.iter().enumerate() {
            if let Some((m, _, _)) = protocol::mean_stderr(&rs, key) {
                if m > 0.0 {
                    pts[k].push((n.log10(), m.log10()));
                }
            }
        }
    }
    Ok(Plot {
        title: format!(
            "partial-input correlations, J0 = 1.5 (t = 300 after 500){}",
            s.tag()
        ),
        x_label: "log10 N".into(),
        y_label: "log10 rho".into(),
        series: pts
            .into_iter()
            .zip(["rho^EE", "rho^IE", "rho^EI", "rho^II"])
            .map(|(p, n)| line(n, p))
            .collect(),
        ..Plot::default()
    })
}

fn fig10d(_s: &Size) -> Result<Plot, String> {
    let base = Params {
        transfer: Transfer::Lif { tau_m: 1.0 },
        tau_syn: 10.0,
        ..Params::default()
    };
    Ok(Plot {
        title: "J_c against N, LIF transfer function (Eq. 13), tau_syn = 10".into(),
        x_label: "log10 N".into(),
        y_label: "J_c".into(),
        series: [0.8, 1.2, 1.6]
            .into_iter()
            .map(|i0| line(format!("I0 = {i0}"), jc_curve(base, i0)))
            .collect(),
        ..Plot::default()
    })
}

fn fig11d(s: &Size) -> Result<Plot, String> {
    let p = Params::lif_paper();
    let w = Window {
        t: s.lif_t,
        transient: 100.0,
        dt: 1e-3,
        method: Method::Euler,
    };
    let rs = protocol::lif_realizations(&p, &[1], None, &w, &[])?;
    let opts = theory::dmf::DmfOptions {
        dt: 0.3,
        ..theory::dmf::DmfOptions::default()
    };
    let d = theory::dmf::solve(&p, &opts, |_| {}).map_err(es)?;
    let r = &rs[0];
    let stride = ((1.0 / r.lag_dt).round() as usize).max(1);
    Ok(Plot {
        title: format!(
            "LIF network, N = 5000, J0 = 0.4, I0 = 1.2, t = {}{}",
            s.lif_t,
            s.tag()
        ),
        x_label: "lag (tau_m)".into(),
        y_label: "input autocovariance".into(),
        series: vec![
            acf_series(
                "E spiking network",
                &r.acf_e,
                r.lag_dt,
                150.0,
                Style::Points,
                stride * 3,
            ),
            acf_series(
                "I spiking network",
                &r.acf_i,
                r.lag_dt,
                150.0,
                Style::Points,
                stride * 3,
            ),
            acf_series(
                "E DMF",
                &d.curves.delta_e,
                d.curves.lag_dt,
                150.0,
                Style::Line,
                1,
            ),
            acf_series(
                "I DMF",
                &d.curves.delta_i,
                d.curves.lag_dt,
                150.0,
                Style::Line,
                1,
            ),
        ],
        ..Plot::default()
    })
}

fn fig13(s: &Size) -> Result<Plot, String> {
    use rayon::prelude::*;
    let (ns, reals, k, t) = if s.full {
        (vec![5000.0, 10000.0, 20000.0], 20u64, 20, 60000.0)
    } else {
        (vec![500.0, 1000.0, 2000.0], 4u64, 10, 300.0)
    };
    let j0s = lin_grid(0.2, 2.0, k);
    let mut series = Vec::new();
    for n in ns {
        let pts: Result<Vec<(f64, f64)>, String> = j0s
            .par_iter()
            .map(|&j0| {
                let mut v: Vec<f64> = (1..=reals)
                    .map(|seed| lyap_point(n, j0, seed, t))
                    .collect::<Result<_, _>>()?;
                v.sort_by(f64::total_cmp);
                let m = v.len();
                let med = if m % 2 == 1 {
                    v[m / 2]
                } else {
                    0.5 * (v[m / 2 - 1] + v[m / 2])
                };
                Ok((j0, med))
            })
            .collect();
        series.push(line(format!("N = {n}"), pts?));
    }
    Ok(Plot {
        title: format!("median Lambda_1 over {reals} networks, t = {t}{}", s.tag()),
        x_label: "J0".into(),
        y_label: "median Lambda_1".into(),
        series,
        h_lines: vec![0.0],
        ..Plot::default()
    })
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The golden table as HTML rows (fast tier).
fn golden_html(full: bool) -> Result<String, Failure> {
    let dir = crate::verifycmd::golden_dir(None);
    let rows = crate::verifycmd::run_cases(&dir, full, None)?;
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
                failed.push(json!({"figure": id, "error": e}));
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
                "<h3>{}</h3><img src=\"{name}\" alt=\"{}\">\n",
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
