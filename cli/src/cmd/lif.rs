//! `balnet simulate lif`: the LIF spiking network of Eqs. 62-64.

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use sim::checkpoint::Checkpoints;
use sim::lif::{LifIntegrator, LifNetwork, LifRun, LifSummary};
use verify::api::lif::{LifSettings, simulate_lif};

use crate::args::{Common, number};
use crate::cmd::rate::{NetArgs, build_network_from, write_acf, write_traces};
use crate::output::{Failure, emit_result, progress, write_atomic};
use crate::svg::{Plot, Series, Style};

#[derive(Copy, Clone, Debug, ValueEnum)]
pub(crate) enum IntegratorArg {
    /// Forward Euler, spikes at the end of the step (the paper's, with dt = 1e-3).
    Euler,
    /// Exact linear update between steps, spike times interpolated inside the step.
    Exact,
}

#[derive(Args, Debug, Clone)]
pub(crate) struct LifArgs {
    #[command(flatten)]
    common: Common,
    #[command(flatten)]
    net: NetArgs,
    /// Measured time after the transient (units of tau_m).
    #[arg(long, value_parser = number, allow_negative_numbers = true, default_value = "200")]
    t: f64,
    /// Transient discarded before measuring.
    #[arg(long, value_parser = number, allow_negative_numbers = true, default_value = "100")]
    transient: f64,
    /// Time step (the paper: 1e-3).
    #[arg(long, value_parser = number, allow_negative_numbers = true, default_value = "1e-3")]
    dt: f64,
    /// Integrator.
    #[arg(long, value_enum, default_value = "euler")]
    integrator: IntegratorArg,
    /// Absolute refractory period (0 in the paper).
    #[arg(long = "tau-ref", value_parser = number, allow_negative_numbers = true, default_value = "0")]
    tau_ref: f64,
    /// Also report the mean CVs in consecutive windows of these lengths (comma-separated,
    /// e.g. 200,500,1000): the CV of bursty activity grows with the window.
    #[arg(long = "cv-window", value_delimiter = ',', value_parser = number, value_name = "T,...")]
    cv_window: Option<Vec<f64>>,
    /// Neurons (global indices, E first) whose v, mu, w go to traces.csv with --out
    /// (default: the first two E and the first two I neurons).
    #[arg(long, value_delimiter = ',', value_name = "I,J,...")]
    trace: Option<Vec<usize>>,
    /// Write raster.csv (neuron,time), neurons.csv (rate and CV per neuron), population.csv
    /// (population rates per 0.1 tau_m), acf.csv (input autocovariance), traces.csv and
    /// the figures raster.svg, acf.svg, rates.svg here.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Save the run to FILE periodically (atomically); if FILE exists, resume from it.
    #[arg(long, value_name = "FILE")]
    checkpoint: Option<PathBuf>,
    /// Time between checkpoints (default: 1/20 of the run).
    #[arg(long = "checkpoint-every", value_parser = number, value_name = "T")]
    checkpoint_every: Option<f64>,
}

pub(crate) fn cmd_simulate_lif(a: &LifArgs) -> Result<(), Failure> {
    let (rate_net, seed) =
        build_network_from(&a.common.model, &a.net, theory::Params::lif_paper())?;
    let params = rate_net.params;
    let net = LifNetwork::new(rate_net.conn, params)?;
    let settings = LifSettings {
        dt: a.dt,
        t: a.t,
        transient: a.transient,
        integrator: match a.integrator {
            IntegratorArg::Euler => LifIntegrator::Euler,
            IntegratorArg::Exact => LifIntegrator::Exact,
        },
        tau_ref: a.tau_ref,
        raster: a.out.is_some(),
        traces: match (&a.trace, &a.out) {
            (Some(t), _) => t.clone(),
            (None, Some(_)) => vec![0, 1, net.n_e(), net.n_e() + 1],
            (None, None) => Vec::new(),
        },
        cv_windows: a.cv_window.clone().unwrap_or_default(),
        checkpoints: Checkpoints {
            path: a.checkpoint.clone(),
            every: a.checkpoint_every,
        },
    };
    let sim = simulate_lif(&net, seed, &settings, &mut progress("simulate lif"))?;
    let s = &sim.summary;
    // Refused before any output file is written.
    verify::finite::ensure_finite(&sim)?;
    if let Some(dir) = &a.out {
        write_outputs(dir, &net, &sim.run, s)?;
    }
    let p = net.params();
    emit_result(a.common.json, &sim, || {
        let opt = |x: Option<f64>| x.map_or("-".to_string(), |v| format!("{v:.2}"));
        let mut text = format!(
            "LIF network (Eqs. 62-64), N = {}, J0 = {}, I0 = {}, tau_syn = {}, tau_D = {}, seed {seed}\n\
             \x20 {}, dt = {}, {} spikes in {} tau_m after a transient of {}\n\
             \x20 rate_E = {:.5} +- {:.5}   rate_I = {:.5} +- {:.5}  (spikes per tau_m)\n\
             \x20 CV_E = {:.4} ({} neurons)   CV_I = {:.4} ({} neurons)\n\
             \x20 mu_E = {:.5}   mu_I = {:.5}   [w] = {:.5}\n\
             \x20 rate variance across neurons: E {:.3e}  I {:.3e}\n\
             \x20 Delta0 E/I = {:.4e} / {:.4e}   tau_dec E/I = {} / {}\n",
            net.n(),
            p.j0,
            p.i0,
            p.tau_syn,
            p.tau_d,
            crate::output::label(&s.integrator),
            a.dt,
            s.spikes,
            s.t,
            a.transient,
            s.rate_e,
            s.rate_e_stderr,
            s.rate_i,
            s.rate_i_stderr,
            s.cv_e,
            s.n_cv_e,
            s.cv_i,
            s.n_cv_i,
            s.mu_e,
            s.mu_i,
            s.w,
            s.rate_var_e,
            s.rate_var_i,
            s.delta0_e,
            s.delta0_i,
            opt(s.tau_dec_e),
            opt(s.tau_dec_i),
        );
        let f = |x: f64| {
            if x.is_finite() {
                format!("{x:.3}")
            } else {
                "-".to_string()
            }
        };
        for c in &sim.cv_windows {
            text.push_str(&format!(
                "  CV in windows of {} tau_m: CV_E = {} +- {}   CV_I = {} +- {}  ({} windows)\n",
                c.window,
                f(c.cv_e),
                f(c.cv_e_stderr),
                f(c.cv_i),
                f(c.cv_i_stderr),
                c.windows
            ));
        }
        text
    })?;
    Ok(())
}

/// raster.csv, neurons.csv, population.csv, acf.csv, traces.csv and the SVG figures.
fn write_outputs(
    dir: &std::path::Path,
    net: &LifNetwork,
    run: &LifRun,
    s: &LifSummary,
) -> Result<(), Failure> {
    let n_e = net.n_e();
    let spikes = run.raster();
    let mut csv = String::from("neuron,time\n");
    for &(i, t) in &spikes {
        csv.push_str(&format!("{i},{t}\n"));
    }
    write_atomic(dir, "raster.csv", &csv)?;
    let mut csv = String::from("neuron,population,rate,cv\n");
    for (i, (r, c)) in s.rates.iter().zip(&s.cvs).enumerate() {
        let pop = if i < n_e { "E" } else { "I" };
        let c = c.map_or(String::new(), |c| format!("{c}"));
        csv.push_str(&format!("{i},{pop},{r},{c}\n"));
    }
    write_atomic(dir, "neurons.csv", &csv)?;
    let bin_t = run.spec.observe.sample_every as f64 * run.spec.dt;
    let n_i = net.n() - n_e;
    let mut csv = String::from("t,rate_e,rate_i\n");
    for (k, [e, i]) in run.bins().iter().enumerate() {
        let t = run.spec.transient + (k + 1) as f64 * bin_t;
        csv.push_str(&format!(
            "{t},{},{}\n",
            *e as f64 / (n_e as f64 * bin_t),
            *i as f64 / (n_i as f64 * bin_t)
        ));
    }
    write_atomic(dir, "population.csv", &csv)?;
    let title = format!(
        "input autocovariance, N = {}, J0 = {} (Fig. 11D)",
        net.n(),
        net.params().j0
    );
    write_acf(dir, s.lag_dt, &s.acf_e, &s.acf_i, title)?;
    let tr = &run.spec.observe.traces;
    let (trace_t, trace_data) = run.traces();
    write_traces(dir, "v", tr, n_e, &trace_t, &trace_data)?;
    // Figures: a raster of 100 E and 25 I neurons over the last 100 tau_m (Figs. 10A, 11A),
    // and the distribution of rates (Fig. 11B); acf.svg (Fig. 11D) is written above.
    let t_end = run.spec.transient + s.t;
    let shown = |i: u32| {
        let i = i as usize;
        i < 100 || (i >= n_e && i < n_e + 25)
    };
    let row = |i: u32| {
        let i = i as usize;
        if i < n_e {
            i as f64
        } else {
            (100 + i - n_e) as f64
        }
    };
    let pick = |e: bool| -> Vec<(f64, f64)> {
        spikes
            .iter()
            .filter(|(i, t)| shown(*i) && *t >= t_end - 100.0 && ((*i as usize) < n_e) == e)
            .map(|&(i, t)| (t, row(i)))
            .collect()
    };
    let raster = Plot {
        title: format!(
            "raster, N = {}, J0 = {} (Figs. 10A, 11A)",
            net.n(),
            net.params().j0
        ),
        x_label: "t (tau_m)".into(),
        y_label: "neuron (E 0-99, I 100-124)".into(),
        series: vec![
            Series {
                label: "E".into(),
                points: pick(true),
                style: Style::Points,
                color: None,
            },
            Series {
                label: "I".into(),
                points: pick(false),
                style: Style::Points,
                color: None,
            },
        ],
        ..Plot::default()
    };
    write_atomic(dir, "raster.svg", &raster.render())?;
    let hist = |r: &[f64]| -> Vec<(f64, f64)> {
        const BINS: usize = 40;
        let max = r.iter().fold(0.0f64, |m, &v| m.max(v)).max(1e-12);
        let mut h = vec![0usize; BINS];
        for &v in r {
            h[((v / max * BINS as f64) as usize).min(BINS - 1)] += 1;
        }
        h.iter()
            .enumerate()
            .map(|(k, &c)| {
                (
                    (k as f64 + 0.5) * max / BINS as f64,
                    c as f64 / r.len() as f64,
                )
            })
            .collect()
    };
    let plot = Plot {
        title: format!(
            "distribution of rates, N = {}, J0 = {} (Fig. 11B)",
            net.n(),
            net.params().j0
        ),
        x_label: "rate (spikes per tau_m)".into(),
        y_label: "fraction of neurons".into(),
        series: vec![
            Series {
                label: "E".into(),
                points: hist(&s.rates[..n_e]),
                style: Style::Line,
                color: None,
            },
            Series {
                label: "I".into(),
                points: hist(&s.rates[n_e..]),
                style: Style::Line,
                color: None,
            },
        ],
        ..Plot::default()
    };
    write_atomic(dir, "rates.svg", &plot.render())?;
    Ok(())
}
