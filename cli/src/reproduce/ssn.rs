//! Paper 004 (LIF networks mapped to the SSN) on the constructed parameter sets of
//! golden/ssn/: Fig. 2A (supersaturation), Fig. 4A (bistability with hysteresis) and the
//! regime maps of Fig. 5A-B. Spiking networks at N = 4000 (symbols) against Phi_sc (lines)
//! and the SSN (dashed).

use sim::lif_ssn::{Segment, SsnLif};
use theory::ssn::mean_field::LifNetwork;

use super::*;

fn network(name: &str) -> Result<LifNetwork, Msg> {
    let text = verify::golden::SSN_NETWORKS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, t)| *t)
        .ok_or_else(|| format!("no network {name}"))?;
    toml::from_str(text).map_err(es)
}

/// Stable solutions (nu_E, nu_I) of Phi_sc and of the SSN along mu_ext, as points (several
/// per input where the network is bistable), below 60 Hz.
fn theory_curves(net: &LifNetwork, mus: &[f64], r: f64) -> Result<[Vec<(f64, f64)>; 4], Msg> {
    let ssn = net.to_ssn(10.0).map_err(es)?;
    let mut out: [Vec<(f64, f64)>; 4] = Default::default();
    for &m in mus {
        for s in net.phi_sc(m, r).map_err(es)?.iter().filter(|s| s.stable) {
            if s.nu_e < 60.0 {
                out[0].push((m, s.nu_e));
                out[1].push((m, s.nu_i));
            }
        }
        for s in ssn.steady_states(m, r).iter().filter(|s| s.stable) {
            if s.nu_e < 60.0 {
                out[2].push((m, s.nu_e));
                out[3].push((m, s.nu_i));
            }
        }
    }
    Ok(out)
}

fn simulate(
    net: &LifNetwork,
    inputs: &[f64],
    r: f64,
    s: &Size,
) -> Result<Vec<(f64, f64, f64)>, Msg> {
    let duration = if s.full { 5.0 } else { 1.5 };
    let sim = SsnLif::new(net, 1e-4, 1).map_err(es)?;
    let proto: Vec<Segment> = inputs
        .iter()
        .map(|&m| Segment {
            duration,
            settle: 0.5,
            mu_e: m,
            mu_i: r * m,
        })
        .collect();
    let res = sim
        .run(&proto, 1, |_, _| std::ops::ControlFlow::Continue(()))
        .map_err(es)?;
    Ok(inputs
        .iter()
        .zip(res)
        .map(|(&m, x)| (m, x.rate_e, x.rate_i))
        .collect())
}

/// Split the stable states along mu_ext into a down and an up branch: where there are two
/// they are the lower and the upper; a single state joins the branch it continues (the
/// closer last value).
fn branches(
    points: &[(f64, f64)],
    label: &str,
    dashed_style: bool,
    color: &'static str,
) -> Vec<Series> {
    let mut by_x: Vec<(f64, Vec<f64>)> = Vec::new();
    for &(x, y) in points {
        match by_x.last_mut() {
            Some((lx, ys)) if *lx == x => ys.push(y),
            _ => by_x.push((x, vec![y])),
        }
    }
    let mut low: Vec<(f64, f64)> = Vec::new();
    let mut high: Vec<(f64, f64)> = Vec::new();
    for (x, ys) in &by_x {
        if ys.len() > 1 {
            low.push((*x, ys[0]));
            high.push((*x, ys[ys.len() - 1]));
        } else {
            let d = |b: &Vec<(f64, f64)>| b.last().map_or(f64::INFINITY, |p| (p.1 - ys[0]).abs());
            if high.is_empty() || d(&low) <= d(&high) {
                low.push((*x, ys[0]));
            } else {
                high.push((*x, ys[0]));
            }
        }
    }
    let mk = |l: String, p: Vec<(f64, f64)>| {
        if dashed_style {
            dashed(l, p)
        } else {
            line(l, p)
        }
        .color(color)
    };
    let mut out = vec![mk(format!("{label}, down state"), low)];
    if !high.is_empty() {
        out.push(mk(format!("{label}, up state"), high));
    }
    out
}

pub(super) fn ssn2a(s: &Size) -> Result<Plot, Msg> {
    let net = network("supersaturating")?;
    let r = 1.5;
    let mus = lin_grid(0.0, 2000.0, 81);
    let [sc_e, sc_i, ssn_e, ssn_i] = theory_curves(&net, &mus, r)?;
    let sim = simulate(
        &net,
        &lin_grid(200.0, 2000.0, if s.full { 19 } else { 10 }),
        r,
        s,
    )?;
    let mut series = vec![
        line("E, Phi_sc", sc_e).color(svg::BLUE),
        line("I, Phi_sc", sc_i).color(svg::RED),
        dashed("E, SSN", ssn_e).color(svg::BLUE),
        dashed("I, SSN", ssn_i).color(svg::RED),
    ];
    series
        .push(markers("E, LIF network", sim.iter().map(|x| (x.0, x.1)).collect()).color(svg::BLUE));
    series
        .push(markers("I, LIF network", sim.iter().map(|x| (x.0, x.2)).collect()).color(svg::RED));
    Ok(Plot {
        title: format!("supersaturating network, N = 4000, r = {r}{}", s.tag()),
        x_label: "external input mu_ext (mV/s)".into(),
        y_label: "population rate (Hz)".into(),
        series,
        ..Plot::default()
    })
}

pub(super) fn ssn4a(s: &Size) -> Result<Plot, Msg> {
    let net = network("bistable")?;
    let r = 1.0;
    let mus = lin_grid(0.0, 300.0, 121);
    let [sc_e, _, ssn_e, _] = theory_curves(&net, &mus, r)?;
    let up = lin_grid(0.0, 300.0, if s.full { 16 } else { 9 });
    let down: Vec<f64> = up.iter().rev().copied().collect();
    let sweep: Vec<f64> = up.iter().chain(down.iter().skip(1)).copied().collect();
    let sim = simulate(&net, &sweep, r, s)?;
    let half = up.len();
    let mut series = branches(&sc_e, "E, Phi_sc", false, svg::BLUE);
    series.extend(branches(&ssn_e, "E, SSN", true, svg::BLACK));
    series.push(
        markers(
            "E, LIF, input rising",
            sim[..half].iter().map(|x| (x.0, x.1)).collect(),
        )
        .color(svg::BLUE),
    );
    series.push(
        Series::new(
            "E, LIF, input falling",
            sim[half..].iter().map(|x| (x.0, x.1)).collect(),
            Style::Squares,
        )
        .color(svg::RED),
    );
    Ok(Plot {
        title: format!("bistable network, N = 4000, r = {r}{}", s.tag()),
        x_label: "external input mu_ext (mV/s)".into(),
        y_label: "E rate (Hz)".into(),
        series,
        ..Plot::default()
    })
}

/// A regime map: one square per cell, coloured by the first verdict that holds of: no steady
/// state, bistable, supersaturating, inhibition-stabilised, stable balanced limit.
fn regime_map(
    name: &str,
    mu: (f64, f64),
    r: (f64, f64),
    s: &Size,
    title: &str,
) -> Result<Plot, Msg> {
    let net = network(name)?;
    let ssn = net.to_ssn(10.0).map_err(es)?;
    let k = if s.full { 200 } else { 60 };
    let mus = lin_grid(mu.0, mu.1, k);
    let rs = lin_grid(r.0, r.1, k);
    let cells = ssn.scan(&mus, &rs);
    let classes: [(&str, &str); 6] = [
        ("no steady state", svg::BLACK),
        ("bistable", svg::GREEN),
        ("supersaturating", svg::RED),
        ("inhibition-stabilised", svg::BLUE),
        ("stable balanced limit (N -> inf)", svg::MAGENTA),
        ("other", "#cccccc"),
    ];
    let mut pts: Vec<Vec<(f64, f64)>> = vec![Vec::new(); classes.len()];
    for c in &cells {
        let class = if c.no_steady_state {
            0
        } else if c.bistable {
            1
        } else if c.supersaturating {
            2
        } else if c.isn {
            3
        } else if c.balanced_stable {
            4
        } else {
            5
        };
        pts[class].push((c.mu_ext, c.r));
    }
    let series = classes
        .iter()
        .zip(pts)
        .filter(|(_, p)| !p.is_empty())
        .map(|((label, color), p)| Series::new(*label, p, Style::Squares).color(color))
        .collect();
    Ok(Plot {
        title: format!(
            "{title}, det J = {:.0} mV^2, {k} x {k}{}",
            ssn.det_j(),
            s.tag()
        ),
        x_label: "external input to E, mu_ext (mV/s)".into(),
        y_label: "input ratio r = mu_ext_I / mu_ext_E".into(),
        h_lines: vec![ssn.j_ii / ssn.j_ei],
        series,
        ..Plot::default()
    })
}

pub(super) fn ssn5a(s: &Size) -> Result<Plot, Msg> {
    regime_map(
        "bistable",
        (0.0, 600.0),
        (0.0, 2.0),
        s,
        "regimes of the bistable network (det J > 0)",
    )
}

pub(super) fn ssn5b(s: &Size) -> Result<Plot, Msg> {
    regime_map(
        "negative_det",
        (0.0, 600.0),
        (0.0, 4.0),
        s,
        "regimes of the det J < 0 network",
    )
}
