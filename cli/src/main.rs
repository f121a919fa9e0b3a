//! `balnet`: the command-line front end of the balnet theory and simulation crates.
//!
//! Every computing subcommand accepts `--json` and then prints exactly one JSON object on
//! stdout; logs and warnings go to stderr. Bad input exits with status 2 and one line on
//! stderr naming the parameter and its valid range; a computation that fails exits with 1.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod args;
mod cmd;
mod output;
mod reproduce;
mod svg;

use args::Common;
use cmd::check::{CheckArgs, cmd_check};
use cmd::dmf::{DmfArgs, cmd_dmf};
use cmd::lif::{LifArgs, cmd_simulate_lif};
use cmd::rate::{
    CorrelationsArgs, ExportArgs, LyapunovArgs, SimulateArgs, SpectrumArgs, cmd_correlations,
    cmd_export, cmd_lyapunov, cmd_simulate_rate, cmd_spectrum,
};
use cmd::ssn::{RicciardiArgs, SsnCmd, cmd_ricciardi, cmd_ssn};
use cmd::sweep::{SweepCmd, cmd_sweep};
use cmd::theory::{
    HetArgs, JcArgs, ReportArgs, ScanArgs, cmd_balanced, cmd_fixed_point, cmd_het, cmd_jc,
    cmd_report, cmd_scan,
};
use cmd::verify::{VerifyArgs, cmd_verify};
use output::Failure;
use reproduce::{ReproduceArgs, cmd_reproduce};

/// balnet: exact theory for balanced E-I rate networks with short-term depression
/// (Angulo-Garcia & Torcini, arXiv 2510.17492).
#[derive(Parser, Debug)]
#[command(name = "balnet", version, about, long_about = None, disable_help_subcommand = true)]
struct Cli {
    /// Worker threads (default: all cores). Results do not depend on it.
    #[arg(long, global = true, value_name = "N")]
    threads: Option<usize>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// The headline numbers: balanced limit, J_c for N = 1e4 .. 1e12 and N = inf, a fixed point.
    Report(ReportArgs),
    /// The N -> infinity balanced rates phi_E, phi_I and depression w (Eq. 6).
    BalancedLimit(Common),
    /// The homogeneous fixed point (Eq. 5) and its stability (Eqs. 14-30).
    FixedPoint(Common),
    /// The critical coupling J_c: r(J_c) = 1 (Eq. 30). `--n inf` for N -> infinity.
    CriticalCoupling(JcArgs),
    /// The heterogeneous fixed point: means and variances of the inputs (Eqs. 31-34).
    HetFixedPoint(HetArgs),
    /// A grid over two of (n, j0, i0), for Figs. 2B-D, 3A-B and 4C.
    Scan(ScanArgs),
    /// Dynamic mean-field theory of rate chaos (Eqs. 10, 40-56) with standard errors; `--n inf`.
    Dmf(DmfArgs),
    /// Simulate a network (`simulate rate`: Eq. 1 on a seeded fixed in-degree network).
    #[command(subcommand)]
    Simulate(SimulateCmd),
    /// Eigenvalues of DF_het (Eq. 19) at the network's homogeneous fixed point vs Girko.
    Spectrum(SpectrumArgs),
    /// The k largest Lyapunov exponents of the rate network (Eqs. 38-39) and the regime.
    Lyapunov(LyapunovArgs),
    /// Population-averaged correlation coefficients of inputs and rates (Eqs. 57-61, Fig. 9).
    Correlations(CorrelationsArgs),
    /// Write the network (Matrix Market blocks + network.json) for other simulators.
    ExportNetwork(ExportArgs),
    /// Parameter sweeps of the Lyapunov exponents (parallel, resumable, sharded) and merging.
    #[command(subcommand)]
    Sweep(SweepCmd),
    /// Run every golden case (fast tier; `--full` adds the slow one) and print the verdicts.
    Verify(VerifyArgs),
    /// Check another simulator's statistics (JSON, balnet-check/1) against balnet's predictions.
    #[command(
        after_help = "Verdicts per statistic: pass, fail, or inconclusive (balnet's own spread too wide to tell).\nExit status: 0 every statistic passes, 1 at least one fails, 2 malformed file or flags,\n3 none fails but at least one is inconclusive."
    )]
    Check(CheckArgs),
    /// Regenerate the paper's figures as SVG with an index page and the golden table.
    Reproduce(ReproduceArgs),
    /// The Ricciardi (Siegert) rate of a LIF neuron under white noise, with derivatives (paper 004).
    Ricciardi(RicciardiArgs),
    /// The stabilized supralinear network of paper 004: power-law fit, steady states, regimes.
    #[command(subcommand)]
    Ssn(SsnCmd),
}

#[derive(Subcommand, Debug)]
enum SimulateCmd {
    /// The rate network of Eq. 1: population averages, input variances, tau_dec, regime.
    Rate(SimulateArgs),
    /// The LIF spiking network of Eqs. 62-64 (defaults: Figs. 10-11, N = 5000, J0 = 0.4,
    /// I0 = 1.2, tau_syn = tau_D = 10): rates, CVs, mean inputs, input ACF, rasters.
    Lif(LifArgs),
    /// The LIF network of paper 004 (E and I with their own tau, Theta, V_R, tau_ref; delta
    /// or exponential synapses with delays; white-noise input): rates, CVs, balance factors.
    #[command(name = "lif-ssn")]
    LifSsn(cmd::ssn::LifSsnArgs),
}

fn run(cli: Cli) -> Result<(), Failure> {
    let mut pool = rayon::ThreadPoolBuilder::new();
    if let Some(t) = cli.threads {
        if t == 0 {
            return Err(Failure(
                "invalid threads = 0: valid range is threads >= 1".into(),
                2,
            ));
        }
        pool = pool.num_threads(t);
    }
    let pool = pool
        .build()
        .map_err(|e| Failure(format!("cannot start the worker threads: {e}"), 1))?;
    // The command runs on a worker thread of the pool, so its parallel loops start without a
    // hand-off from the main thread. Measured on `simulate rate --n 5000 --j0 1.5` (6000 Euler
    // steps): 2.50 s -> 1.13 s on 1 thread, 1.17 s -> 0.72 s on 2.
    pool.install(|| dispatch(&cli))
}

fn dispatch(cli: &Cli) -> Result<(), Failure> {
    match &cli.command {
        Command::Report(a) => cmd_report(a),
        Command::BalancedLimit(c) => cmd_balanced(c),
        Command::FixedPoint(c) => cmd_fixed_point(c),
        Command::CriticalCoupling(a) => cmd_jc(a),
        Command::HetFixedPoint(a) => cmd_het(a),
        Command::Scan(a) => cmd_scan(a),
        Command::Dmf(a) => cmd_dmf(a),
        Command::Simulate(SimulateCmd::Rate(a)) => cmd_simulate_rate(a),
        Command::Simulate(SimulateCmd::Lif(a)) => cmd_simulate_lif(a),
        Command::Simulate(SimulateCmd::LifSsn(a)) => cmd::ssn::cmd_simulate_lif_ssn(a),
        Command::Spectrum(a) => cmd_spectrum(a),
        Command::Lyapunov(a) => cmd_lyapunov(a),
        Command::Correlations(a) => cmd_correlations(a),
        Command::ExportNetwork(a) => cmd_export(a),
        Command::Sweep(c) => cmd_sweep(c),
        Command::Verify(a) => cmd_verify(a),
        Command::Check(a) => cmd_check(a),
        Command::Reproduce(a) => cmd_reproduce(a),
        Command::Ricciardi(a) => cmd_ricciardi(a),
        Command::Ssn(c) => cmd_ssn(c),
    }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            use clap::error::ErrorKind;
            return match e.kind() {
                ErrorKind::DisplayHelp
                | ErrorKind::DisplayVersion
                | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
                    let _ = e.print();
                    if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
                        ExitCode::from(2)
                    } else {
                        ExitCode::SUCCESS
                    }
                }
                _ => {
                    let rendered = e.render().to_string();
                    let first = rendered
                        .lines()
                        .find(|l| !l.trim().is_empty())
                        .unwrap_or("error: invalid arguments");
                    eprintln!("balnet: {}", first.trim_start_matches("error: "));
                    ExitCode::from(2)
                }
            };
        }
    };
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure(msg, code)) => {
            eprintln!("balnet: error: {msg}");
            ExitCode::from(code)
        }
    }
}
