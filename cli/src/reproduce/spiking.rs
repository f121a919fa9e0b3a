//! Figs. 10-11: the LIF transfer function of Eq. 13 (spectrum of DF_het, J_c against N) and
//! the LIF spiking network of Eqs. 62-64 (rate and CV distributions, input autocovariance)
//! against the rate model and the DMF.

use sim::integrate::Method;
use sim::lif::{LifNetwork, LifRun, LifSpec, LifSummary, initial_state};
use theory::fixed_point::homogeneous;
use theory::girko::het_spectrum;
use theory::{Params, Transfer};
use verify::protocol::{self, Extras, Window};

use super::*;
use crate::svg::histogram;

/// The LIF rate model of Figs. 10C-D: tau_m = 1, tau_syn = tau_D = 10 (units of tau_m).
fn lif_rate_model() -> Params {
    Params {
        transfer: Transfer::Lif { tau_m: 1.0 },
        tau_syn: 10.0,
        tau_d: 10.0,
        ..Params::default()
    }
}

/// External currents of Figs. 10C-D. With I0 <= 1 (the threshold) the fixed point is the
/// silent state phi = 0, where phi' = 0, r = 0 and no J_c exists.
const I0S_FIG10: [f64; 3] = [1.2, 1.6, 2.0];

pub(super) fn fig10c(s: &Size) -> Result<Plot, Msg> {
    let colors = [svg::BLUE, svg::RED, svg::GREEN];
    let k = if s.full { 10 } else { 5 };
    let mut series = Vec::new();
    for (&i0, color) in I0S_FIG10.iter().zip(colors) {
        let base = with(lif_rate_model(), s.n_spec, 0.4, i0);
        let theory: Vec<(f64, f64)> = lin_grid(0.02, 0.6, 59)
            .into_iter()
            .filter_map(|j0| {
                let p = Params { j0, ..base };
                let h = het_spectrum(&p, &homogeneous(&p).ok()?.primary);
                Some((j0, h.bulk_max_re.max(h.lambda_q)))
            })
            .collect();
        let mut numeric = Vec::new();
        for j0 in lin_grid(0.05, 0.55, k) {
            let net = protocol::network_for(&Params { j0, ..base }, 1, None)?;
            numeric.push((j0, sim::spectrum::spectrum(&net).map_err(es)?.max_re));
        }
        series.push(line(format!("theory, I0 = {i0}"), theory).color(color));
        series.push(markers(format!("numerical, I0 = {i0}"), numeric).color(color));
    }
    Ok(Plot {
        title: format!(
            "rightmost eigenvalue of DF_het, LIF transfer, N = {}{}",
            s.n_spec,
            s.tag()
        ),
        x_label: "coupling J0".into(),
        y_label: "max Re lambda (1 / tau_m)".into(),
        series,
        h_lines: vec![0.0],
        ..Plot::default()
    })
}

pub(super) fn fig10d(_s: &Size) -> Result<Plot, Msg> {
    Ok(Plot {
        title: "J_c against N, LIF transfer function (Eq. 13), tau_syn = 10".into(),
        x_label: "log10 N".into(),
        y_label: "J_c".into(),
        series: I0S_FIG10
            .iter()
            .map(|&i0| line(format!("I0 = {i0}"), jc_curve(lif_rate_model(), i0)))
            .collect(),
        ..Plot::default()
    })
}

/// One run of the LIF spiking network at the paper's parameters (network 1), shared by
/// Figs. 11B and 11D.
static LIF_RUN: Shared<LifSummary> = Shared::new();

fn lif_run(s: &Size) -> Result<&'static LifSummary, Msg> {
    LIF_RUN.get(|| {
        let p = Params::lif_paper();
        let net = LifNetwork::new(protocol::network_for(&p, 1, None)?.conn, p).map_err(es)?;
        let mut spec = LifSpec::paper(s.lif_t, 100.0);
        spec.observe.acf_neurons = 200;
        spec.observe.acf_max_lag = 150.0;
        let mut run = LifRun::new(&net, spec, initial_state(&net, 1)).map_err(es)?;
        let total = run.total_steps();
        run.advance(&net, total, |_| {}).map_err(es)?;
        Ok(run.summary(&net))
    })
}

pub(super) fn fig11b(s: &Size) -> Result<Plot, Msg> {
    let r = lif_run(s)?;
    let ne = r.rates.len() * 4 / 5;
    let (rates_e, rates_i) = r.rates.split_at(ne);
    let hi = r.rates.iter().fold(0.0f64, |m, &v| m.max(v)) * 1.02;
    let cvs: Vec<(bool, f64)> = r
        .cvs
        .iter()
        .enumerate()
        .filter_map(|(k, c)| Some((k < ne, (*c)?)))
        .collect();
    let cv_of = |e: bool| -> Vec<f64> {
        cvs.iter()
            .filter(|(is_e, _)| *is_e == e)
            .map(|c| c.1)
            .collect()
    };
    let cv_hi = cvs.iter().fold(0.0f64, |m, c| m.max(c.1)) * 1.02;
    let inset = Plot {
        title: "CV of interspike intervals".into(),
        x_label: "CV".into(),
        y_label: "density".into(),
        series: vec![
            Series::new("E", histogram(&cv_of(true), 30, 0.0, cv_hi), Style::Bars)
                .color(svg::ORANGE),
            Series::new("I", histogram(&cv_of(false), 30, 0.0, cv_hi), Style::Bars)
                .color(svg::BLUE),
        ],
        ..Plot::default()
    };
    Ok(Plot {
        title: format!(
            "LIF network, N = 5000, J0 = 0.4, I0 = 1.2, t = {}{}",
            s.lif_t,
            s.tag()
        ),
        x_label: "firing rate (spikes per tau_m)".into(),
        y_label: "probability density".into(),
        series: vec![
            Series::new("excitatory", histogram(rates_e, 40, 0.0, hi), Style::Bars)
                .color(svg::ORANGE),
            Series::new("inhibitory", histogram(rates_i, 40, 0.0, hi), Style::Bars)
                .color(svg::BLUE),
        ],
        inset: Some(Box::new(inset)),
        ..Plot::default()
    })
}

pub(super) fn fig11d(s: &Size) -> Result<Plot, Msg> {
    let p = Params::lif_paper();
    let r = lif_run(s)?;
    // The rate model (Eqs. 12-13) on the same network, Euler at dt = 0.1 tau_m = tau_syn / 100.
    let w = Window {
        t: s.lif_t,
        transient: 100.0,
        dt: 0.1,
        method: Method::Euler,
    };
    let rate = protocol::rate_realizations(&p, &[1], None, &w, Extras::default())?;
    let rate = &rate[0];
    let opts = theory::dmf::DmfOptions {
        dt: 0.3,
        ..theory::dmf::DmfOptions::default()
    };
    let d = theory::dmf::solve(&p, &opts, |_| {}).map_err(es)?;
    let stride = |lag_dt: f64| ((5.0 / lag_dt).round() as usize).max(1);
    let c = &d.curves;
    Ok(Plot {
        title: format!(
            "LIF network, N = 5000, J0 = 0.4, I0 = 1.2, t = {}{}",
            s.lif_t,
            s.tag()
        ),
        x_label: "lag (units of tau_m)".into(),
        y_label: "input autocovariance".into(),
        series: vec![
            acf_series(
                "E spiking",
                &r.acf_e,
                r.lag_dt,
                150.0,
                Style::Squares,
                stride(r.lag_dt),
            )
            .color(svg::ORANGE),
            acf_series(
                "I spiking",
                &r.acf_i,
                r.lag_dt,
                150.0,
                Style::Squares,
                stride(r.lag_dt),
            )
            .color(svg::BLUE),
            acf_series(
                "E rate model",
                &rate.acf_e,
                rate.lag_dt,
                150.0,
                Style::Markers,
                stride(rate.lag_dt),
            )
            .color(svg::ORANGE),
            acf_series(
                "I rate model",
                &rate.acf_i,
                rate.lag_dt,
                150.0,
                Style::Markers,
                stride(rate.lag_dt),
            )
            .color(svg::BLUE),
            acf_series("E DMF", &c.delta_e, c.lag_dt, 150.0, Style::Line, 1).color(svg::ORANGE),
            acf_series("I DMF", &c.delta_i, c.lag_dt, 150.0, Style::Line, 1).color(svg::BLUE),
        ],
        h_lines: vec![0.0],
        ..Plot::default()
    })
}
