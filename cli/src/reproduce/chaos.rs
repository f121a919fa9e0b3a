//! Figs. 6-9 and 13: Lyapunov exponents against J0, rate chaos against the DMF (autocovariance,
//! rates, inputs, variances and decorrelation times against J0 and N, balance residuals) and
//! the correlation coefficients of Eqs. 57-61.

use sim::integrate::Method;
use sim::run::initial_state;
use theory::Params;
use theory::dmf::{DmfOptions, DmfSolution, Outputs};
use verify::protocol::{self, Extras, Realization, Window};

use super::*;

fn lyap_point(n: f64, j0: f64, seed: u64, t: f64) -> Result<f64, Msg> {
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
    Ok(sim::tangent::lyapunov(
        &net,
        initial_state(&net, seed),
        &spec,
        seed,
        &mut sim::checkpoint::Silent,
    )
    .map_err(es)?
    .exponents[0])
}

pub(super) fn fig6(s: &Size) -> Result<Plot, Msg> {
    use rayon::prelude::*;
    let j0s = lin_grid(0.1, 2.0, if s.full { 40 } else { 16 });
    let pts: Result<Vec<(f64, f64)>, Msg> = j0s
        .par_iter()
        .map(|&j0| Ok((j0, lyap_point(s.n_lyap, j0, 1, s.lyap_t)?)))
        .collect();
    let p = with(Params::default(), s.n_lyap, 0.1, 0.0);
    let jc = critical_coupling(&p, &JcSearch::default()).map_err(es)?.j_c;
    let pts = pts?;
    Ok(Plot {
        title: format!(
            "Lambda_1, one network, N = {}, t = {} (J_c = {jc:.3}){}",
            s.n_lyap,
            s.lyap_t,
            s.tag()
        ),
        x_label: "coupling J0".into(),
        y_label: "Lambda_1 (1 / leak time)".into(),
        series: vec![
            line("", pts.clone()).color(svg::BLUE),
            markers("Lambda_1", pts).color(svg::BLUE),
        ],
        h_lines: vec![0.0],
        v_lines: vec![jc],
        ..Plot::default()
    })
}

fn dmf_at(p: &Params) -> Result<DmfSolution, Msg> {
    theory::dmf::solve(p, &DmfOptions::default(), |_| {}).map_err(es)
}

pub(super) fn fig7c(s: &Size) -> Result<Plot, Msg> {
    // The paper's N = 5000 in both modes (smaller networks sit visibly further from the DMF,
    // S3 Appendix), and a window long enough that the mean subtraction's bias of about
    // -2/t times the ACF's integral stays below 1 % of Delta0^I. One network's ACF carries
    // slow, network-specific components (at lag 20 the I curve ranges from -0.19 to +0.19
    // over networks 1-3), so the symbols average several networks.
    let p = with(Params::default(), N_FIG7, 1.5, 0.0);
    let w = Window {
        t: if s.full { 5000.0 } else { 1000.0 },
        transient: 200.0,
        dt: 0.05,
        method: Method::Euler,
    };
    let seeds: Vec<u64> = (1..=if s.full { 8 } else { 4 }).collect();
    let rs = protocol::rate_realizations(&p, &seeds, None, &w, Extras::default())?;
    let mean = |f: fn(&Realization) -> &Vec<f64>| -> Vec<f64> {
        let len = rs.iter().map(|r| f(r).len()).min().unwrap_or(0);
        (0..len)
            .map(|k| rs.iter().map(|r| f(r)[k]).sum::<f64>() / rs.len() as f64)
            .collect()
    };
    let (acf_e, acf_i, lag_dt) = (mean(|r| &r.acf_e), mean(|r| &r.acf_i), rs[0].lag_dt);
    let d = dmf_at(&p)?;
    let c = &d.curves;
    Ok(Plot {
        title: format!(
            "input autocovariance, N = {}, J0 = 1.5, I0 = 0, {} networks{}",
            p.n,
            seeds.len(),
            s.tag()
        ),
        x_label: "lag tau (units of the leak time constant)".into(),
        y_label: "Delta(tau)".into(),
        series: vec![
            acf_series("E simulated", &acf_e, lag_dt, 30.0, Style::Markers, 10).color(svg::ORANGE),
            acf_series("I simulated", &acf_i, lag_dt, 30.0, Style::Markers, 10).color(svg::BLUE),
            acf_series("E DMF", &c.delta_e, c.lag_dt, 30.0, Style::Line, 1).color(svg::ORANGE),
            acf_series("I DMF", &c.delta_i, c.lag_dt, 30.0, Style::Line, 1).color(svg::BLUE),
        ],
        h_lines: vec![0.0],
        ..Plot::default()
    })
}

/// The N of Fig. 7 and the external currents of Figs. 7D-G.
const N_FIG7: f64 = 5000.0;
const I0S_FIG7: [f64; 3] = [0.0, 0.5, 1.0];

/// DMF solutions (J0, outputs) over J0 for each I0 of Figs. 7D-G (points where the DMF fails
/// are left out).
type OverJ0 = Vec<(f64, Vec<(f64, Outputs)>)>;

static DMF_OVER_J0: Shared<OverJ0> = Shared::new();

fn dmf_over_j0(s: &Size) -> Result<&'static OverJ0, Msg> {
    DMF_OVER_J0.get(|| {
        let j0s = if s.full {
            lin_grid(0.9, 2.0, 12)
        } else {
            lin_grid(1.0, 2.0, 6)
        };
        Ok(I0S_FIG7
            .iter()
            .map(|&i0| {
                let pts = j0s
                    .iter()
                    .filter_map(|&j0| {
                        let d = dmf_at(&with(Params::default(), N_FIG7, j0, i0)).ok()?;
                        Some((j0, d.values))
                    })
                    .collect();
                (i0, pts)
            })
            .collect())
    })
}

/// One panel of Figs. 7D-G: `pick` gives the (E, I) values; I solid, E dashed, one colour per
/// I0 as in the paper.
fn fig7_panel(
    s: &Size,
    what: &str,
    y_label: &str,
    pick: fn(&Outputs) -> Option<(f64, f64)>,
) -> Result<Plot, Msg> {
    let scan = dmf_over_j0(s)?;
    let colors = [svg::BLUE, svg::RED, svg::GREEN];
    let mut series = Vec::new();
    for ((i0, pts), color) in scan.iter().zip(colors) {
        let (mut e, mut i) = (Vec::new(), Vec::new());
        for (j0, o) in pts {
            if let Some((ve, vi)) = pick(o) {
                e.push((*j0, ve));
                i.push((*j0, vi));
            }
        }
        series.push(line(format!("I, I0 = {i0}"), i).color(color));
        series.push(dashed(format!("E, I0 = {i0}"), e).color(color));
    }
    Ok(Plot {
        title: format!("DMF {what}, N = {N_FIG7}{}", s.tag()),
        x_label: "coupling J0".into(),
        y_label: y_label.into(),
        series,
        ..Plot::default()
    })
}

pub(super) fn fig7d(s: &Size) -> Result<Plot, Msg> {
    fig7_panel(s, "population rates", "[phi] (dimensionless rate)", |o| {
        Some((o.phi_e, o.phi_i))
    })
}

pub(super) fn fig7e(s: &Size) -> Result<Plot, Msg> {
    fig7_panel(s, "mean total inputs", "mean input mu", |o| {
        Some((o.mu_e, o.mu_i))
    })
}

pub(super) fn fig7f(s: &Size) -> Result<Plot, Msg> {
    fig7_panel(s, "input variances", "Delta0", |o| {
        Some((o.delta0_e, o.delta0_i))
    })
}

pub(super) fn fig7g(s: &Size) -> Result<Plot, Msg> {
    fig7_panel(
        s,
        "decorrelation times",
        "tau_dec (units of the leak time constant)",
        |o| Some((o.tau_dec_e?, o.tau_dec_i?)),
    )
}

/// Fig. 8: DMF over N (lines) and simulations over N (symbols) at J0 = 1.5, I0 = 0.
struct OverN {
    dmf: Vec<(f64, DmfSolution)>,
    sims: Vec<(f64, Vec<Realization>)>,
}

static OVER_N: Shared<OverN> = Shared::new();

fn over_n(s: &Size) -> Result<&'static OverN, Msg> {
    OVER_N.get(|| {
        let base = with(Params::default(), 1e4, 1.5, 0.0);
        let ns = log_grid(1e3, 1e10, if s.full { 15 } else { 8 });
        let dmf = ns
            .iter()
            .map(|&n| Ok((n, dmf_at(&Params { n, ..base })?)))
            .collect::<Result<_, Msg>>()?;
        // The paper's window for Fig. 8: t = 1000.
        let w = Window {
            t: 1000.0,
            transient: 200.0,
            dt: 0.05,
            method: Method::Euler,
        };
        let seeds: Vec<u64> = (1..=s.realizations).collect();
        let sims = s
            .ns_chaos
            .iter()
            .map(|&n| {
                let rs = protocol::rate_realizations(
                    &Params { n, ..base },
                    &seeds,
                    None,
                    &w,
                    Extras::default(),
                )?;
                Ok((n, rs))
            })
            .collect::<Result<_, Msg>>()?;
        Ok(OverN { dmf, sims })
    })
}

impl OverN {
    /// DMF values against log10 N.
    fn theory(&self, f: impl Fn(&Outputs) -> Option<f64>) -> Vec<(f64, f64)> {
        self.dmf
            .iter()
            .filter_map(|(n, d)| Some((n.log10(), f(&d.values)?)))
            .collect()
    }
    /// The mean over realizations of a simulated statistic against log10 N.
    fn simulated(&self, key: &str) -> Vec<(f64, f64)> {
        self.sims
            .iter()
            .filter_map(|(n, rs)| Some((n.log10(), protocol::mean_stderr(rs, key)?.0)))
            .collect()
    }
}

pub(super) fn fig8a(s: &Size) -> Result<Plot, Msg> {
    let o = over_n(s)?;
    let th = vec![
        o.theory(|v| Some(v.phi_e)),
        o.theory(|v| Some(v.phi_i)),
        o.theory(|v| Some(v.w)),
    ];
    let sims = vec![o.simulated("phi_e"), o.simulated("phi_i"), o.simulated("w")];
    Ok(Plot {
        title: format!("rate chaos against N, J0 = 1.5, I0 = 0{}", s.tag()),
        x_label: "log10 N".into(),
        y_label: "rate [phi], efficacy [w] (dimensionless)".into(),
        series: lines_and_markers(th, sims, &["[phi_E]", "[phi_I]", "[w]"], "DMF"),
        ..Plot::default()
    })
}

pub(super) fn fig8b(s: &Size) -> Result<Plot, Msg> {
    let o = over_n(s)?;
    let th = vec![
        o.theory(|v| Some(v.delta0_e)),
        o.theory(|v| Some(v.delta0_i)),
    ];
    let sims = vec![o.simulated("delta0_e"), o.simulated("delta0_i")];
    Ok(Plot {
        title: format!("input variances against N, J0 = 1.5, I0 = 0{}", s.tag()),
        x_label: "log10 N".into(),
        y_label: "Delta0".into(),
        series: lines_and_markers(th, sims, &["Delta0^E", "Delta0^I"], "DMF"),
        ..Plot::default()
    })
}

pub(super) fn fig8c(s: &Size) -> Result<Plot, Msg> {
    let o = over_n(s)?;
    let series = o
        .dmf
        .iter()
        .map(|(n, d)| {
            acf_series(
                &format!("N = {n:.0e}"),
                &d.curves.delta_e,
                d.curves.lag_dt,
                30.0,
                Style::Line,
                1,
            )
        })
        .collect();
    let th = vec![o.theory(|v| v.tau_dec_e), o.theory(|v| v.tau_dec_i)];
    let sims = vec![o.simulated("tau_dec_e"), o.simulated("tau_dec_i")];
    let inset = Plot {
        title: "tau_dec (lines: DMF)".into(),
        x_label: "log10 N".into(),
        y_label: "tau_dec".into(),
        series: lines_and_markers(th, sims, &["E", "I"], "")
            .into_iter()
            .map(|mut x| {
                x.label.clear();
                x
            })
            .collect(),
        ..Plot::default()
    };
    Ok(Plot {
        title: format!("DMF autocovariance of the E input, J0 = 1.5{}", s.tag()),
        x_label: "lag tau (units of the leak time constant)".into(),
        y_label: "Delta^E(tau)".into(),
        series,
        inset: Some(Box::new(inset)),
        ..Plot::default()
    })
}

pub(super) fn fig8d(s: &Size) -> Result<Plot, Msg> {
    let o = over_n(s)?;
    let log_abs = |v: f64| (v != 0.0).then(|| v.abs().log10());
    let th = vec![o.theory(|v| log_abs(v.a_e)), o.theory(|v| log_abs(v.a_i))];
    let sim = |key: &str| -> Vec<(f64, f64)> {
        o.simulated(key)
            .into_iter()
            .filter_map(|(x, v)| Some((x, log_abs(v)?)))
            .collect()
    };
    let sims = vec![sim("a_e"), sim("a_i")];
    let mut series = lines_and_markers(th.clone(), sims, &["|A^E|", "|A^I|"], "DMF");
    // The N^-1/2 law through the first DMF point of |A^E|.
    if let (Some(&(x0, y0)), Some(&(x1, _))) = (th[0].first(), th[0].last()) {
        series.push(
            dashed(
                "N^-1/2",
                vec![(x0, y0 + 0.3), (x1, y0 + 0.3 - 0.5 * (x1 - x0))],
            )
            .color(svg::MAGENTA),
        );
    }
    Ok(Plot {
        title: format!("balance residuals (Eq. 11) against N, J0 = 1.5{}", s.tag()),
        x_label: "log10 N".into(),
        y_label: "log10 |A|".into(),
        series,
        ..Plot::default()
    })
}

/// Fig. 9: correlation coefficients on `s.realizations` networks per N (the paper's window:
/// t = 300 after 500).
static CORRELATIONS: Shared<Vec<(f64, Vec<Realization>)>> = Shared::new();

fn correlations(s: &Size) -> Result<&'static Vec<(f64, Vec<Realization>)>, Msg> {
    CORRELATIONS.get(|| {
        let base = with(Params::default(), 1e4, 1.5, 0.0);
        let w = Window {
            t: 300.0,
            transient: 500.0,
            dt: 0.05,
            method: Method::Euler,
        };
        let seeds: Vec<u64> = (1..=s.realizations).collect();
        s.ns_chaos
            .iter()
            .map(|&n| {
                let extras = Extras {
                    correlations: true,
                    lyapunov: false,
                    ..Extras::default()
                };
                Ok((
                    n,
                    protocol::rate_realizations(&Params { n, ..base }, &seeds, None, &w, extras)?,
                ))
            })
            .collect()
    })
}

/// log10 of the mean of `key` over realizations against log10 N (positive means only), as
/// markers joined by a thin line of the same colour.
fn log_log(
    rows: &[(f64, Vec<Realization>)],
    key: &str,
    label: &str,
    color: &'static str,
) -> Vec<Series> {
    let pts: Vec<(f64, f64)> = rows
        .iter()
        .filter_map(|(n, rs)| {
            let m = protocol::mean_stderr(rs, key)?.0;
            (m > 0.0).then(|| (n.log10(), m.log10()))
        })
        .collect();
    vec![
        line("", pts.clone()).color(color),
        markers(label, pts).color(color),
    ]
}

pub(super) fn fig9a(s: &Size) -> Result<Plot, Msg> {
    let rows = correlations(s)?;
    let series = [
        ("rho_ee", "rho^EE", svg::ORANGE),
        ("rho_ie", "rho^IE", svg::RED),
        ("rho_ei", "rho^EI", svg::GREEN),
        ("rho_ii", "rho^II", svg::BLUE),
    ]
    .into_iter()
    .flat_map(|(k, l, c)| log_log(rows, k, l, c))
    .collect();
    Ok(Plot {
        title: format!(
            "partial-input correlations, J0 = 1.5 (t = 300 after 500, {} networks){}",
            s.realizations,
            s.tag()
        ),
        x_label: "log10 N".into(),
        y_label: "log10 rho".into(),
        series,
        ..Plot::default()
    })
}

pub(super) fn fig9b(s: &Size) -> Result<Plot, Msg> {
    let rows = correlations(s)?;
    let mut r_series: Vec<Series> = [("r_e", "R^E", svg::ORANGE), ("r_i", "R^I", svg::BLUE)]
        .into_iter()
        .flat_map(|(k, l, c)| log_log(rows, k, l, c))
        .collect();
    // The 1/N law through the first R^E point.
    if let (Some(first), Some(last)) = (r_series[1].points.first(), rows.last()) {
        let (x0, y0) = *first;
        let x1 = last.0.log10();
        r_series.push(dashed("1/N", vec![(x0, y0), (x1, y0 - (x1 - x0))]).color(svg::RED));
    }
    let inset = Plot {
        title: "rate correlations".into(),
        x_label: "log10 N".into(),
        y_label: "log10 R".into(),
        series: r_series,
        ..Plot::default()
    };
    let series = [
        ("rho_t_e", "rho_T^E", svg::ORANGE),
        ("rho_t_i", "rho_T^I", svg::BLUE),
    ]
    .into_iter()
    .flat_map(|(k, l, c)| log_log(rows, k, l, c))
    .collect();
    Ok(Plot {
        title: format!("total-input correlations, J0 = 1.5{}", s.tag()),
        x_label: "log10 N".into(),
        y_label: "log10 rho_T".into(),
        series,
        inset: Some(Box::new(inset)),
        ..Plot::default()
    })
}

pub(super) fn fig13(s: &Size) -> Result<Plot, Msg> {
    use rayon::prelude::*;
    let (ns, reals, k, t) = if s.full {
        (vec![5000.0, 10000.0, 20000.0], 20u64, 20, 60000.0)
    } else {
        (vec![500.0, 1000.0, 2000.0], 4u64, 10, 300.0)
    };
    let j0s = lin_grid(0.2, 2.0, k);
    let mut series = Vec::new();
    for n in ns {
        let pts: Result<Vec<(f64, f64)>, Msg> = j0s
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
        x_label: "coupling J0".into(),
        y_label: "median Lambda_1 (1 / leak time)".into(),
        series,
        h_lines: vec![0.0],
        ..Plot::default()
    })
}
