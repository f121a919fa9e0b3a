//! Figs. 1-5: the three regimes, the homogeneous fixed point against N, I0 and J0 (Eq. 5),
//! its stability (DF_hom, DF_het against the Girko disk), J_c (Eq. 30) and the heterogeneous
//! fixed point (Eqs. 31-32).

use sim::integrate::{Integrator, Method};
use sim::run::{Observe, Regime, Run, RunSpec, initial_state};
use theory::Params;
use theory::balanced::balanced_limit;
use theory::fixed_point::homogeneous;
use theory::girko::het_spectrum;
use theory::het_fixed_point::{Branch, het_fixed_point};
use theory::stability::hom_stability;
use verify::protocol::{self, Extras, Window};

use super::*;
use crate::svg::{Heatmap, histogram};

/// The time axis of the rate model: Eq. 1 is written in units of the leak time constant.
pub(super) const TIME: &str = "t (units of the leak time constant)";

/// Rate traces phi(x) of E neurons 0-3 (red) and I neurons 0-3 (blue), as in Fig. 1.
fn traces(j0: f64, s: &Size) -> Result<Plot, Msg> {
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
        // One legend entry per population.
        let (label, color) = match k {
            0 => ("4 excitatory neurons", svg::RED),
            4 => ("4 inhibitory neurons", svg::BLUE),
            k if k < 4 => ("", svg::RED),
            _ => ("", svg::BLUE),
        };
        series.push(
            line(
                label,
                run.acc
                    .trace_t
                    .iter()
                    .zip(data)
                    .map(|(t, v)| (*t, tr.phi(v[0])))
                    .collect(),
            )
            .color(color),
        );
    }
    let mut h_lines = Vec::new();
    if j0 < 0.5 {
        let f = homogeneous(&p).map_err(es)?.primary;
        h_lines = vec![f.phi_e, f.phi_i];
    }
    Ok(Plot {
        title: format!("J0 = {j0}, I0 = 0, N = {}{}", s.n_sim, s.tag()),
        x_label: TIME.into(),
        y_label: "firing rate phi(x) (dimensionless)".into(),
        series,
        h_lines,
        ..Plot::default()
    })
}

pub(super) fn fig1a(s: &Size) -> Result<Plot, Msg> {
    traces(0.1, s)
}

pub(super) fn fig1b(s: &Size) -> Result<Plot, Msg> {
    traces(0.87, s)
}

pub(super) fn fig1c(s: &Size) -> Result<Plot, Msg> {
    traces(1.5, s)
}

pub(super) fn fig2a(s: &Size) -> Result<Plot, Msg> {
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
    let series = lines_and_markers(theory, sims, &["phi_E", "phi_I", "w"], "(Eq. 5)");
    Ok(Plot {
        title: format!("fixed point against N, J0 = 0.1, I0 = 0{}", s.tag()),
        x_label: "log10 N".into(),
        y_label: "rate phi, efficacy w (dimensionless)".into(),
        series,
        h_lines: vec![b.phi_e, b.phi_i, b.w],
        ..Plot::default()
    })
}

/// The cuts of Figs. 2C (J0 = 0.1) and 2D (I0 = 0.3), drawn dashed on Fig. 2B.
const CUT_J0: f64 = 0.1;
const CUT_I0: f64 = 0.3;

pub(super) fn fig2b(s: &Size) -> Result<Plot, Msg> {
    let (nx, ny) = if s.full { (121, 117) } else { (61, 59) };
    let (ix, jy) = ((0.0, 3.0), (0.05, 1.5));
    let mut values = Vec::with_capacity(nx * ny);
    for j in 0..ny {
        let j0 = jy.0 + (j as f64 + 0.5) * (jy.1 - jy.0) / ny as f64;
        for i in 0..nx {
            let i0 = ix.0 + (i as f64 + 0.5) * (ix.1 - ix.0) / nx as f64;
            values.push(
                homogeneous(&with(Params::default(), 1e4, j0, i0))
                    .map_or(f64::NAN, |f| f.primary.phi_e),
            );
        }
    }
    Ok(Plot {
        title: "phi_E at the fixed point (Eq. 5), N = 1e4".into(),
        x_label: "external current I0".into(),
        y_label: "coupling J0".into(),
        heatmap: Some(Heatmap {
            x: ix,
            y: jy,
            nx,
            ny,
            values,
            label: "phi_E (dimensionless rate)".into(),
        }),
        h_lines: vec![CUT_J0],
        v_lines: vec![CUT_I0],
        ..Plot::default()
    })
}

pub(super) fn fig2c(_s: &Size) -> Result<Plot, Msg> {
    let mut series = Vec::new();
    for n in [1e4, 1e6, 1e8, 1e12] {
        let mut pts = Vec::new();
        for i0 in lin_grid(0.0, 3.0, 61) {
            if let Ok(f) = homogeneous(&with(Params::default(), n, CUT_J0, i0)) {
                pts.push((i0, f.primary.phi_e));
            }
        }
        series.push(line(format!("N = {n:e}"), pts));
    }
    Ok(Plot {
        title: format!("phi_E against I0, J0 = {CUT_J0} (Eq. 5)"),
        x_label: "external current I0".into(),
        y_label: "phi_E (dimensionless rate)".into(),
        series,
        ..Plot::default()
    })
}

pub(super) fn fig2d(_s: &Size) -> Result<Plot, Msg> {
    let mut series = Vec::new();
    for n in [1e4, 1e6, 1e8, 1e12] {
        let mut pts = Vec::new();
        for j0 in lin_grid(0.05, 1.5, 59) {
            if let Ok(f) = homogeneous(&with(Params::default(), n, j0, CUT_I0)) {
                pts.push((j0, f.primary.phi_e));
            }
        }
        series.push(line(format!("N = {n:e}"), pts));
    }
    Ok(Plot {
        title: format!("phi_E against J0, I0 = {CUT_I0} (Eq. 5)"),
        x_label: "coupling J0".into(),
        y_label: "phi_E (dimensionless rate)".into(),
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

pub(super) fn fig3a(_s: &Size) -> Result<Plot, Msg> {
    Ok(Plot {
        title: "max Re lambda(DF_hom), N = 1e4".into(),
        x_label: "coupling J0".into(),
        y_label: "max Re lambda (1 / leak time)".into(),
        series: [0.0, 0.5, 1.0, 2.0]
            .into_iter()
            .map(|i0| line(format!("I0 = {i0}"), hom_re_curve(1e4, i0)))
            .collect(),
        h_lines: vec![0.0],
        ..Plot::default()
    })
}

pub(super) fn fig3b(_s: &Size) -> Result<Plot, Msg> {
    Ok(Plot {
        title: "max Re lambda(DF_hom), I0 = 2".into(),
        x_label: "coupling J0".into(),
        y_label: "max Re lambda (1 / leak time)".into(),
        series: [1e4, 1e6, 1e8, 1e10]
            .into_iter()
            .map(|n| line(format!("N = {n:e}"), hom_re_curve(n, 2.0)))
            .collect(),
        h_lines: vec![0.0],
        ..Plot::default()
    })
}

pub(super) fn fig4a(s: &Size) -> Result<Plot, Msg> {
    let p = with(Params::default(), s.n_spec, 0.1, 0.0);
    let net = protocol::network_for(&p, 1, None)?;
    let sp = sim::spectrum::spectrum(&net).map_err(es)?;
    let f = homogeneous(&p).map_err(es)?.primary;
    let h = het_spectrum(&p, &f);
    Ok(Plot {
        title: format!("DF_het at J0 = 0.1, N = {}{}", s.n_spec, s.tag()),
        x_label: "Re lambda (1 / leak time)".into(),
        y_label: "Im lambda (1 / leak time)".into(),
        series: vec![
            dots(
                "eigenvalues lambda_C",
                sp.eigenvalues.iter().map(|z| (z.re, z.im)).collect(),
            )
            .color(svg::BLUE),
            markers(
                "outliers lambda_out (theory)",
                h.outliers.iter().map(|z| (z.re, z.im)).collect(),
            )
            .color(svg::ORANGE),
            markers("lambda_Q (theory)", vec![(h.lambda_q, 0.0)]).color(svg::GREEN),
        ],
        circles: vec![(-1.0, 0.0, h.radius, "radius r (Eq. 25)".into())],
        equal_aspect: true,
        ..Plot::default()
    })
}

pub(super) fn fig4b(s: &Size) -> Result<Plot, Msg> {
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
        x_label: "coupling J0".into(),
        y_label: "max Re lambda (1 / leak time)".into(),
        series: vec![
            line("theory: max(-1 + r, lambda_Q)", theory).color(svg::BLUE),
            markers("numerical diagonalisation", sim_pts).color(svg::ORANGE),
        ],
        h_lines: vec![0.0],
        ..Plot::default()
    })
}

pub(super) fn fig4c(_s: &Size) -> Result<Plot, Msg> {
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

/// Fig. 5C: the first of seeds 1-8 whose network settles on a heterogeneous fixed point at
/// J0 = 1 (just above J_c), its distribution of x^E and w against the Gaussian of Eqs. 31-32
/// and the w it implies through Eq. 1c at rest, w = 1 / (1 + u tau_D phi(x)).
pub(super) fn fig5c(s: &Size) -> Result<Plot, Msg> {
    let n = if s.full { 1e4 } else { 4000.0 };
    let p = with(Params::default(), n, 1.0, 0.0);
    let mut found = None;
    for seed in 1..=8u64 {
        let net = protocol::network_for(&p, seed, None)?;
        let spec = RunSpec {
            dt: 0.05,
            t: 100.0,
            transient: 400.0,
            method: Method::Euler,
            observe: Observe {
                means: true,
                ..Observe::default()
            },
        };
        let mut run = Run::new(&net, spec, initial_state(&net, seed)).map_err(es)?;
        let total = run.total_steps();
        let mut integ = Integrator::new(&net, Method::Euler);
        run.advance(&net, &mut integ, total, |_| {}).map_err(es)?;
        if run.summary(&net).regime == Regime::HeterogeneousFixedPoint {
            found = Some((seed, net.n_e(), net.n(), run.y));
            break;
        }
    }
    let (seed, ne, nn, y) = found.ok_or_else(|| {
        format!(
            "none of the networks 1-8 at N = {n}, J0 = 1 settled on a heterogeneous fixed point"
        )
    })?;
    let x_e = &y[..ne];
    let w = &y[nn..nn + ne];
    let het = het_fixed_point(&Params { n: nn as f64, ..p }, Branch::Heterogeneous).map_err(es)?;
    let sd = het.delta0_e.sqrt();
    let (lo, hi) = (het.mu_e - 4.0 * sd, het.mu_e + 4.0 * sd);
    let gauss: Vec<(f64, f64)> = lin_grid(lo, hi, 200)
        .into_iter()
        .map(|x| {
            let z = (x - het.mu_e) / sd;
            (
                x,
                (-0.5 * z * z).exp() / (sd * (2.0 * std::f64::consts::PI).sqrt()),
            )
        })
        .collect();
    // The theory's distribution of w: the Gaussian's mass carried through w(x), binned.
    let tr = p.transfer;
    let w_of = |x: f64| 1.0 / (1.0 + p.u * p.tau_d * tr.phi(x));
    let (w_lo, w_hi) = w
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
            (a.min(v), b.max(v))
        });
    let (w_lo, w_hi) = (w_lo - 0.05 * (w_hi - w_lo), w_hi + 0.05 * (w_hi - w_lo));
    let bins = 30;
    let fine: Vec<f64> = lin_grid(het.mu_e - 6.0 * sd, het.mu_e + 6.0 * sd, 20001);
    let weights: Vec<f64> = fine
        .iter()
        .map(|x| (-0.5 * ((x - het.mu_e) / sd).powi(2)).exp())
        .collect();
    let total: f64 = weights.iter().sum();
    let width = (w_hi - w_lo) / bins as f64;
    let mut mass = vec![0.0; bins];
    for (x, wt) in fine.iter().zip(&weights) {
        let v = w_of(*x);
        if v >= w_lo && v <= w_hi {
            mass[(((v - w_lo) / width) as usize).min(bins - 1)] += wt / total;
        }
    }
    let w_theory: Vec<(f64, f64)> = mass
        .iter()
        .enumerate()
        .map(|(k, m)| (w_lo + (k as f64 + 0.5) * width, m / width))
        .collect();
    let inset = Plot {
        title: "synaptic efficacy w".into(),
        x_label: "w".into(),
        y_label: "density".into(),
        series: vec![
            Series::new("w simulated", histogram(w, bins, w_lo, w_hi), Style::Bars)
                .color(svg::BLUE),
            line("w theory", w_theory).color(svg::RED),
        ],
        ..Plot::default()
    };
    Ok(Plot {
        title: format!(
            "heterogeneous fixed point, N = {nn}, J0 = 1, I0 = 0, network {seed}{}",
            s.tag()
        ),
        x_label: "input x^E at rest (= mu^E)".into(),
        y_label: "probability density".into(),
        series: vec![
            Series::new("simulation", histogram(x_e, 40, lo, hi), Style::Bars).color(svg::BLUE),
            line("Gaussian, Eqs. 31-32", gauss).color(svg::RED),
        ],
        inset: Some(Box::new(inset)),
        ..Plot::default()
    })
}

pub(super) fn fig5d(_s: &Size) -> Result<Plot, Msg> {
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
    let inset = Plot {
        title: "standard deviation".into(),
        x_label: "J0".into(),
        y_label: "sqrt(Delta0)".into(),
        series: vec![
            line("E", de).color(svg::ORANGE),
            line("I", di).color(svg::BLUE),
        ],
        ..Plot::default()
    };
    Ok(Plot {
        title: "heterogeneous fixed point, N = 1e4, I0 = 0 (Eqs. 31-32)".into(),
        x_label: "coupling J0".into(),
        y_label: "mean input mu".into(),
        series: vec![
            line("mu^E", me).color(svg::ORANGE),
            line("mu^I", mi).color(svg::BLUE),
        ],
        inset: Some(Box::new(inset)),
        ..Plot::default()
    })
}
