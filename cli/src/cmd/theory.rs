//! The theory commands: `report`, `balanced-limit`, `fixed-point`, `critical-coupling`,
//! `het-fixed-point` and `scan`.

use clap::{Args, ValueEnum};

use theory::Params;
use theory::het_fixed_point::Branch;
use verify::api::theory::{
    self as api, Axis, FixedPoint, REPORT_CURRENTS, REPORT_SIZES, balanced_limit,
};

use crate::args::{Common, build_params, number, parse_list};
use crate::output::{Failure, emit_result};

#[derive(Args, Debug, Clone)]
pub(crate) struct ReportArgs {
    #[command(flatten)]
    pub(crate) common: Common,
}

#[derive(Args, Debug, Clone)]
pub(crate) struct JcArgs {
    #[command(flatten)]
    pub(crate) common: Common,
    /// Smallest J0 of the search (the branch is followed from here).
    #[arg(long = "j-min", value_parser = number, allow_negative_numbers = true, default_value = "1e-3")]
    pub(crate) j_min: f64,
    /// Largest J0 of the search.
    #[arg(long = "j-max", value_parser = number, allow_negative_numbers = true, default_value = "20")]
    pub(crate) j_max: f64,
}

#[derive(Copy, Clone, Debug, ValueEnum)]
pub(crate) enum BranchArg {
    Heterogeneous,
    Homogeneous,
}

#[derive(Args, Debug, Clone)]
pub(crate) struct HetArgs {
    #[command(flatten)]
    pub(crate) common: Common,
    /// Which branch to return above J_c (below J_c only the homogeneous one exists).
    #[arg(long, value_enum, default_value = "heterogeneous")]
    pub(crate) branch: BranchArg,
}

#[derive(Args, Debug, Clone)]
pub(crate) struct ScanArgs {
    #[command(flatten)]
    pub(crate) common: Common,
    /// First axis: NAME=A:B:K (K points from A to B; geometric for n) or NAME=v1,v2,...;
    /// NAME is n, j0 or i0.
    #[arg(long, value_name = "AXIS")]
    pub(crate) x: String,
    /// Second axis, same syntax.
    #[arg(long, value_name = "AXIS")]
    pub(crate) y: String,
    /// Comma-separated quantities: phi_e, phi_i, w, x_e, x_i, a_e, a_i, hom_max_re,
    /// girko_radius, bulk_max_re, j_c.
    #[arg(long, default_value = "phi_e")]
    pub(crate) quantity: String,
    /// CSV on stdout instead of a table.
    #[arg(long)]
    pub(crate) csv: bool,
}

fn fmt_c(z: &theory::Complex<f64>) -> String {
    if z.im == 0.0 {
        format!("{:.6}", z.re)
    } else {
        format!("{:.6} {:+.6}i", z.re, z.im)
    }
}

pub(crate) fn cmd_balanced(c: &Common) -> Result<(), Failure> {
    let p = build_params(&c.model)?;
    let b = balanced_limit(&p)?;
    emit_result(c.json, &b, || {
        format!(
            "balanced limit N -> inf (Eq. 6)\n  phi_E = {:.10}\n  phi_I = {:.10}\n  w     = {:.10}\n",
            b.phi_e, b.phi_i, b.w
        )
    })
}

fn fixed_point_human(p: &Params, fp: &FixedPoint) -> String {
    let [beta0, beta1, beta2] = fp.routh_hurwitz;
    let [a, b, c] = fp.abc;
    format!(
        "homogeneous fixed point (Eq. 5), N = {:e}, J0 = {}, I0 = {}, transfer = {}\n\
         \x20 x_E = {:.10}   x_I = {:.10}   w = {:.10}\n\
         \x20 phi_E = {:.10}   phi_I = {:.10}\n\
         \x20 A^E = {:.4e}   A^I = {:.4e}   (balance residuals, Eq. 11)\n\
         \x20 solutions found: {}\n\
         homogeneous perturbations (Eqs. 14-18)\n\
         \x20 eigenvalues: {}\n\
         \x20 Routh-Hurwitz: beta0 = {beta0:.6}, beta1 = {beta1:.6}, beta2 = {beta2:.6} -> {}\n\
         heterogeneous perturbations (Eqs. 23-29)\n\
         \x20 a = {a:.6}, b = {b:.6}, c = {c:.6}\n\
         \x20 Girko radius r = {:.6}, bulk max Re = {:.6} -> {}\n\
         \x20 outliers: {}, {}   lambda_Q = {:.6}\n",
        p.n,
        p.j0,
        p.i0,
        p.transfer.name(),
        fp.x_e,
        fp.x_i,
        fp.w,
        fp.phi_e,
        fp.phi_i,
        fp.a_e,
        fp.a_i,
        fp.solutions.len(),
        fp.hom_eigenvalues
            .iter()
            .map(fmt_c)
            .collect::<Vec<_>>()
            .join(", "),
        if fp.hom_stable { "stable" } else { "unstable" },
        fp.girko_radius,
        fp.bulk_max_re,
        if fp.het_stable { "stable" } else { "unstable" },
        fmt_c(&fp.outliers[0]),
        fmt_c(&fp.outliers[1]),
        fp.lambda_q,
    )
}

/// A warning on stderr when Eq. 5 has several solutions.
fn warn_several(fp: &FixedPoint) {
    if fp.solutions.len() > 1 {
        eprintln!(
            "balnet: warning: {} homogeneous fixed points found (x_E = {}); reporting the one with the largest phi_E",
            fp.solutions.len(),
            fp.solutions
                .iter()
                .map(|x| format!("{x:.6}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
}

pub(crate) fn cmd_fixed_point(c: &Common) -> Result<(), Failure> {
    let p = build_params(&c.model)?;
    let fp = api::fixed_point(&p)?;
    warn_several(&fp);
    emit_result(c.json, &fp, || fixed_point_human(&p, &fp))
}

#[derive(serde::Serialize)]
struct Jc {
    j_c: f64,
}

pub(crate) fn cmd_jc(a: &JcArgs) -> Result<(), Failure> {
    let p = build_params(&a.common.model)?;
    let search = api::jc_search(a.j_min, a.j_max)?;
    let j_c = api::critical_coupling(&p, &search)?;
    emit_result(a.common.json, &Jc { j_c }, || {
        format!(
            "critical coupling (Eq. 30), N = {:e}, I0 = {}: J_c = {:.10}\n",
            p.n, p.i0, j_c
        )
    })
}

pub(crate) fn cmd_het(a: &HetArgs) -> Result<(), Failure> {
    let p = build_params(&a.common.model)?;
    let branch = match a.branch {
        BranchArg::Heterogeneous => Branch::Heterogeneous,
        BranchArg::Homogeneous => Branch::Homogeneous,
    };
    let h = api::het_fixed_point(&p, branch)?;
    let name = match h.branch {
        Branch::Heterogeneous => "heterogeneous",
        Branch::Homogeneous => "homogeneous",
    };
    if branch == Branch::Heterogeneous && h.branch == Branch::Homogeneous {
        eprintln!("balnet: note: r <= 1 (below J_c): only the homogeneous branch exists");
    }
    emit_result(a.common.json, &h, || {
        format!(
            "{name} fixed point (Eqs. 31-34), N = {:e}, J0 = {}, I0 = {}\n\
             \x20 mu^E = {:.10}   Delta0^E = {:.6e}\n\
             \x20 mu^I = {:.10}   Delta0^I = {:.6e}\n\
             \x20 [phi_E] = {:.8}   [phi_I] = {:.8}   [phi_E w] = {:.8}\n\
             \x20 variance iterations: {}, residual {:.1e}\n",
            p.n,
            p.j0,
            p.i0,
            h.mu_e,
            h.delta0_e,
            h.mu_i,
            h.delta0_i,
            h.phi_e,
            h.phi_i,
            h.phi_w,
            h.iterations,
            h.residual
        )
    })
}

/// `NAME=A:B:K` (geometric for n) or `NAME=v1,v2,...`.
fn parse_axis(spec: &str, flag: &str) -> Result<Axis, Failure> {
    let bad = |why: &str| Failure(format!("invalid --{flag} '{spec}': {why}"), 2);
    let (name, rest) = spec
        .split_once('=')
        .ok_or_else(|| bad("expected NAME=A:B:K or NAME=v1,v2,..."))?;
    let name = name.trim();
    if !api::SCAN_AXES.contains(&name) {
        return Err(bad("NAME must be n, j0 or i0"));
    }
    let values = parse_list(rest, name == "n").map_err(|e| bad(&e))?;
    if name == "n" && values.iter().any(|&v| v <= 0.0) {
        return Err(bad("n values must be > 0"));
    }
    Ok(Axis {
        name: name.to_string(),
        values,
    })
}

pub(crate) fn cmd_scan(a: &ScanArgs) -> Result<(), Failure> {
    let base = build_params(&a.common.model)?;
    let x = parse_axis(&a.x, "x")?;
    let y = parse_axis(&a.y, "y")?;
    let quantities: Vec<String> = a
        .quantity
        .split(',')
        .map(|q| q.trim().to_string())
        .collect();
    let scan = api::scan(&base, &x, &y, &quantities)?;
    if a.common.json {
        return emit_result(true, &scan, String::new);
    }
    let mut s = String::new();
    if a.csv {
        s.push_str(&format!("{},{},{}\n", scan.x, scan.y, quantities.join(",")));
        for (&(xv, yv), vals) in scan.points.iter().zip(&scan.values) {
            let cols: Vec<String> = vals.iter().map(|v| format!("{v:.12e}")).collect();
            s.push_str(&format!("{xv},{yv},{}\n", cols.join(",")));
        }
    } else {
        s.push_str(&format!("{:>12} {:>12}", scan.x, scan.y));
        for q in &quantities {
            s.push_str(&format!(" {q:>14}"));
        }
        s.push('\n');
        for (&(xv, yv), vals) in scan.points.iter().zip(&scan.values) {
            s.push_str(&format!("{xv:>12.5e} {yv:>12.5e}"));
            for v in vals {
                s.push_str(&format!(" {v:>14.8}"));
            }
            s.push('\n');
        }
    }
    emit_result(false, &(), || s)
}

pub(crate) fn cmd_report(a: &ReportArgs) -> Result<(), Failure> {
    let p = build_params(&a.common.model)?;
    let r = api::report(&p)?;
    warn_several(&r.fixed_point);
    emit_result(a.common.json, &r, || {
        let b = &r.balanced_limit;
        let mut s = String::from("balnet report: headline numbers of the theory (transfer ");
        s.push_str(p.transfer.name());
        s.push_str(")\n\n");
        s.push_str(&format!(
            "Balanced limit N -> inf (Eq. 6): phi_E = {:.6}, phi_I = {:.6}, w = {:.6}\n\n",
            b.phi_e, b.phi_i, b.w
        ));
        s.push_str("Critical coupling J_c (r(J_c) = 1, Eq. 30)\n");
        s.push_str(&format!("{:>8}", "N"));
        for i0 in REPORT_CURRENTS {
            s.push_str(&format!("  I0 = {i0:<5}"));
        }
        s.push('\n');
        for n in REPORT_SIZES {
            s.push_str(&format!("{n:>8.0e}"));
            for i0 in REPORT_CURRENTS {
                let jc = r
                    .j_c
                    .iter()
                    .find(|t| t.n == n && t.i0 == i0)
                    .map_or(f64::NAN, |t| t.j_c);
                s.push_str(&format!("  {jc:<10.6}"));
            }
            s.push('\n');
        }
        s.push_str(&format!(
            "{:>8}  {:<10.6}  (any I0; closed form)\n",
            "inf", r.j_c_inf
        ));
        s.push_str(&format!(
            "  with the paper's Eq. 24 (no 1 - K/N factor): J_c(inf) = {:.6}; the paper reports ~1.10\n\n",
            r.j_c_inf_paper_variance
        ));
        s.push_str(&fixed_point_human(&r.fixed_point_params, &r.fixed_point));
        s
    })
}
