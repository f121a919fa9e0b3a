//! `balnet`: the command-line front end of the balnet theory and simulation crates.
//!
//! Every computing subcommand accepts `--json` and then prints exactly one JSON object on
//! stdout; logs and warnings go to stderr. Bad input exits with status 2 and one line on
//! stderr naming the parameter and its valid range; a computation that fails exits with 1.

use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};
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
        verify::api::check_threads(t)?;
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
    let parsed = lif_defaults_in_help(Cli::command())
        .try_get_matches_from(join_negative_values(std::env::args_os()))
        .and_then(|m| Cli::from_arg_matches(&m));
    let cli = match parsed {
        Ok(c) => c,
        Err(e) => {
            use clap::error::ErrorKind;
            return match e.kind() {
                ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
                    let _ = e.print();
                    ExitCode::SUCCESS
                }
                _ => {
                    eprintln!("balnet: error: {}", one_line(&e.render().to_string()));
                    ExitCode::from(2)
                }
            };
        }
    };
    output::listen_for_interrupts();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure(msg, 130)) => {
            // Only commands with --checkpoint wrote one; the others have nothing to resume.
            let resumable =
                std::env::args().any(|a| a == "--checkpoint" || a.starts_with("--checkpoint="));
            if resumable {
                eprintln!(
                    "balnet: stopped ({msg}); rerunning the same command resumes from the checkpoint"
                );
            } else {
                eprintln!("balnet: stopped ({msg})");
            }
            ExitCode::from(130)
        }
        Err(Failure(msg, code)) => {
            // Library errors are one line already; this also covers the CLI's own messages.
            eprintln!("balnet: error: {}", sim::error::one_line(&msg));
            ExitCode::from(code)
        }
    }
}

/// `simulate lif` runs with the LIF defaults of Figs. 10-11 (`Params::lif_paper`), not Table
/// 1's: its `--help` says so (the shared flags' help gives Table 1's).
fn lif_defaults_in_help(cmd: clap::Command) -> clap::Command {
    let p = theory::Params::lif_paper();
    let tau_m = match p.transfer {
        theory::Transfer::Lif { tau_m } => tau_m,
        _ => 1.0,
    };
    let helps = [
        (
            "n",
            format!("Network size N (default {}, Figs. 10-11)", p.n),
        ),
        ("j0", format!("Synaptic strength J0 (default {})", p.j0)),
        ("i0", format!("External current I0 (default {})", p.i0)),
        (
            "tau_d",
            format!("Depression recovery time tau_D (default {})", p.tau_d),
        ),
        (
            "tau_syn",
            format!("Synaptic time constant tau_syn (default {})", p.tau_syn),
        ),
        (
            "tau_m",
            format!("Membrane time constant tau_m (default {tau_m})"),
        ),
        (
            "transfer",
            "Transfer function (default lif; erf is not a spiking model)".into(),
        ),
    ];
    cmd.mut_subcommand("simulate", |s| {
        s.mut_subcommand("lif", |mut l| {
            for (id, help) in helps {
                l = l.mut_arg(id, |a| a.help(help));
            }
            l
        })
    })
}

/// `--flag -1e-3` becomes `--flag=-1e-3`: clap takes a separate value that starts with '-'
/// for a flag unless it looks like a plain number (`-inf`, `-1e-300` did not), and then named
/// the wrong argument in its error.
fn join_negative_values(args: impl Iterator<Item = std::ffi::OsString>) -> Vec<std::ffi::OsString> {
    let mut out: Vec<std::ffi::OsString> = Vec::new();
    for a in args {
        let joinable = a
            .to_str()
            .is_some_and(|v| v.starts_with('-') && v.parse::<f64>().is_ok());
        if let Some(prev) = out.last_mut().and_then(|p| {
            let s = p.to_str()?;
            (joinable && s.starts_with("--") && s.len() > 2 && !s.contains('=')).then_some(p)
        }) {
            prev.push("=");
            prev.push(&a);
        } else {
            out.push(a);
        }
    }
    out
}

/// Shorten every quoted value longer than 40 characters (a pasted list, a path): the flag's
/// name after it must stay on the line.
fn shorten_quoted(line: &str) -> String {
    let mut out = String::new();
    let mut parts = line.split('\'');
    if let Some(first) = parts.next() {
        out.push_str(first);
    }
    for (k, part) in parts.enumerate() {
        out.push('\'');
        if k % 2 == 0 && part.chars().count() > 40 {
            out.extend(part.chars().take(40));
            out.push_str("...");
        } else {
            out.push_str(part);
        }
    }
    out
}

/// clap's error as one line: its first paragraph joined (a missing argument's name is on the
/// lines after "the following required arguments were not provided:"), or, for a command
/// given without its subcommand, where the list is.
fn one_line(rendered: &str) -> String {
    if let Some(usage) = rendered
        .lines()
        .find_map(|l| l.trim().strip_prefix("Usage: "))
        .filter(|u| u.ends_with("<COMMAND>") && !rendered.starts_with("error:"))
    {
        let cmd = usage
            .trim_end_matches("<COMMAND>")
            .replace(" [OPTIONS]", "");
        return format!(
            "a subcommand is missing: `{} --help` lists them",
            cmd.trim()
        );
    }
    let first: Vec<&str> = rendered
        .lines()
        .take_while(|l| !l.trim().is_empty())
        .map(str::trim)
        .collect();
    let line = shorten_quoted(&first.join(" "));
    let line = line.trim_start_matches("error: ");
    if line.is_empty() {
        return "invalid arguments (see --help)".into();
    }
    // Values can be long (a path, a pasted list): keep the line short.
    let mut out: String = line.chars().take(300).collect();
    if out.len() < line.len() {
        out.push_str("...");
    }
    out
}
