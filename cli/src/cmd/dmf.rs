//! `balnet dmf`: the dynamic mean-field solver of `theory::dmf` on the command line.

use std::path::PathBuf;

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use theory::dmf::{DmfOptions, DmfSolution};

use crate::args::{Common, build_params, number};
use crate::output::{Failure, emit_result, write_atomic};
use crate::svg::{Plot, Series, Style};

#[derive(Args, Debug, Clone)]
pub(crate) struct DmfArgs {
    #[command(flatten)]
    common: Common,
    /// Time step of the single-site grid (the paper's 0.06).
    #[arg(long, value_parser = number, default_value = "0.06")]
    dt: f64,
    /// Fourier modes per noise realization, a power of two (the paper's 16384).
    #[arg(long, default_value = "16384")]
    modes: usize,
    /// Independent noise realizations per iteration.
    #[arg(long, default_value = "16")]
    realizations: usize,
    /// Independent chains at least; the standard errors come from their spread.
    #[arg(long, default_value = "4")]
    chains: usize,
    /// Chains at most, added while the relative standard error of Delta0^E is above --target.
    #[arg(long = "max-chains", default_value = "16")]
    max_chains: usize,
    /// Target relative standard error of Delta0^E.
    #[arg(long, value_parser = number, default_value = "0.01")]
    target: f64,
    /// Iterations averaged per chain once it is stationary.
    #[arg(long = "average-iterations", default_value = "8")]
    average_iterations: usize,
    /// Iterations per chain at most.
    #[arg(long = "max-iterations", default_value = "300")]
    max_iterations: usize,
    /// Write spectra.csv, acf.csv, history.csv and acf.svg here.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
}

pub(crate) fn cmd_dmf(a: &DmfArgs) -> Result<(), Failure> {
    let p = build_params(&a.common.model)?;
    let opts = DmfOptions {
        dt: a.dt,
        modes: a.modes,
        realizations: a.realizations,
        chains: a.chains,
        max_chains: a.max_chains,
        target_rel_stderr: a.target,
        average_iterations: a.average_iterations,
        max_iterations: a.max_iterations,
        seed: a.common.model.seed.map_or(1, |s| s as u64),
        ..DmfOptions::default()
    };
    let bar = ProgressBar::new_spinner();
    bar.set_style(
        ProgressStyle::with_template("{spinner} dmf {msg} ({elapsed})").expect("valid template"),
    );
    let d = verify::api::dmf::dmf(&p, &opts, |r| {
        bar.set_message(format!(
            "chain {} iteration {} ({}): Delta0 E {:.4} I {:.4}",
            r.chain + 1,
            r.iteration,
            r.phase,
            r.delta0_out_e,
            r.delta0_out_i
        ));
        bar.tick();
        std::ops::ControlFlow::Continue(())
    })?;
    bar.finish_and_clear();
    let sol = &d.solution;
    if let Some(dir) = &a.out {
        write_out(dir, &p, sol)?;
    }
    emit_result(a.common.json, &d, || human(&p, sol))?;
    if !sol.converged {
        return Err(Failure(verify::api::dmf::not_converged(&d, &opts), 1));
    }
    Ok(())
}

fn human(p: &theory::Params, s: &DmfSolution) -> String {
    let (v, e) = (&s.values, &s.stderr);
    let opt = |x: Option<f64>| x.map_or("-".to_string(), |t| format!("{t:.3}"));
    format!(
        "DMF (Eqs. 10, 40-56), N = {:e}, J0 = {}, I0 = {}: {} ({} iterations, {} chains)\n\
         \x20 mu_E     = {:.6} +- {:.1e}   mu_I     = {:.6} +- {:.1e}\n\
         \x20 Delta0_E = {:.6} +- {:.1e}   Delta0_I = {:.6} +- {:.1e}\n\
         \x20 [phi_E]  = {:.6} +- {:.1e}   [phi_I]  = {:.6} +- {:.1e}\n\
         \x20 [w]      = {:.6} +- {:.1e}   [phi_E w] = {:.6} +- {:.1e}\n\
         \x20 tau_dec E/I = {} +- {} / {} +- {}\n\
         \x20 A^E = {:.3e}, A^I = {:.3e}\n",
        p.n,
        p.j0,
        p.i0,
        s.termination,
        s.iterations,
        s.chains,
        v.mu_e,
        e.mu_e,
        v.mu_i,
        e.mu_i,
        v.delta0_e,
        e.delta0_e,
        v.delta0_i,
        e.delta0_i,
        v.phi_e,
        e.phi_e,
        v.phi_i,
        e.phi_i,
        v.w,
        e.w,
        v.phi_w,
        e.phi_w,
        opt(v.tau_dec_e),
        opt(e.tau_dec_e),
        opt(v.tau_dec_i),
        opt(e.tau_dec_i),
        v.a_e,
        v.a_i
    )
}

fn write_out(dir: &std::path::Path, p: &theory::Params, s: &DmfSolution) -> Result<(), Failure> {
    std::fs::create_dir_all(dir)
        .map_err(|e| Failure(format!("--out {}: {e}", dir.display()), 2))?;
    let c = &s.curves;
    let mut csv = String::from("omega,s_e,s_i,s_phi_e,s_phi_i,s_phi_w,s_w\n");
    for k in 0..c.omega.len() {
        csv.push_str(&format!(
            "{:e},{:e},{:e},{:e},{:e},{:e},{:e}\n",
            c.omega[k], c.s_e[k], c.s_i[k], c.s_phi_e[k], c.s_phi_i[k], c.s_phi_w[k], c.s_w[k]
        ));
    }
    write_atomic(dir, "spectra.csv", &csv)?;
    let mut csv = String::from("tau,delta_e,delta_i,rate_e,rate_i,rate_phi_w\n");
    for k in 0..c.delta_e.len() {
        csv.push_str(&format!(
            "{:e},{:e},{:e},{:e},{:e},{:e}\n",
            k as f64 * c.lag_dt,
            c.delta_e[k],
            c.delta_i[k],
            c.rate_e[k],
            c.rate_i[k],
            c.rate_phi_w[k]
        ));
    }
    write_atomic(dir, "acf.csv", &csv)?;
    let mut csv = String::from(
        "chain,iteration,phase,mu_e,mu_i,delta0_in_e,delta0_in_i,delta0_out_e,delta0_out_i,\
         delta0_out_e_se,delta0_out_i_se,phi_w,mean_evaluations\n",
    );
    for r in &s.history {
        csv.push_str(&format!(
            "{},{},{},{:e},{:e},{:e},{:e},{:e},{:e},{:e},{:e},{:e},{}\n",
            r.chain,
            r.iteration,
            r.phase,
            r.mu_e,
            r.mu_i,
            r.delta0_in_e,
            r.delta0_in_i,
            r.delta0_out_e,
            r.delta0_out_i,
            r.delta0_out_e_se,
            r.delta0_out_i_se,
            r.phi_w,
            r.mean_evaluations
        ));
    }
    write_atomic(dir, "history.csv", &csv)?;
    let upto = ((60.0 / c.lag_dt) as usize).min(c.delta_e.len());
    let series = |label: &str, v: &[f64]| Series {
        label: label.into(),
        points: v[..upto]
            .iter()
            .enumerate()
            .map(|(k, y)| (k as f64 * c.lag_dt, *y))
            .collect(),
        style: Style::Line,
        color: None,
    };
    let plot = Plot {
        title: format!(
            "DMF input autocovariance, N = {:e}, J0 = {}, I0 = {} (Figs. 7C, 8C)",
            p.n, p.j0, p.i0
        ),
        x_label: "lag tau".into(),
        y_label: "Delta(tau)".into(),
        series: vec![series("Delta^E", &c.delta_e), series("Delta^I", &c.delta_i)],
        h_lines: vec![0.0],
        ..Plot::default()
    };
    write_atomic(dir, "acf.svg", &plot.render())?;
    Ok(())
}
