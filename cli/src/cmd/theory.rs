//! The theory commands: `report`, `balanced-limit`, `fixed-point`, `critical-coupling`,
//! `het-fixed-point` and `scan`.

use clap::{Args, ValueEnum};
use rayon::prelude::*;
use serde_json::{Value, json};

use theory::critical::{JcSearch, critical_coupling, critical_coupling_limit};
use theory::fixed_point::homogeneous;
use theory::girko::het_spectrum;
use theory::het_fixed_point::{Branch, het_fixed_point};
use theory::stability::hom_stability;
use theory::{Params, TheoryError, Variance, balanced::balanced_limit};

use crate::args::{Common, build_params, number, parse_list};
use crate::output::{Failure, emit};

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

fn complex_pairs(z: &[theory::Complex<f64>]) -> Value {
    Value::Array(z.iter().map(|c| json!([c.re, c.im])).collect())
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
    emit(
        c.json,
        json!({"phi_e": b.phi_e, "phi_i": b.phi_i, "w": b.w}),
        || {
            format!(
                "balanced limit N -> inf (Eq. 6)\n  phi_E = {:.10}\n  phi_I = {:.10}\n  w     = {:.10}\n",
                b.phi_e, b.phi_i, b.w
            )
        },
    );
    Ok(())
}

fn fixed_point_json(p: &Params) -> Result<(Value, String), Failure> {
    p.validate_finite()?;
    let sol = homogeneous(p)?;
    if sol.all.len() > 1 {
        eprintln!(
            "balnet: warning: {} homogeneous fixed points found (x_E = {}); reporting the one with the largest phi_E",
            sol.all.len(),
            sol.all
                .iter()
                .map(|f| format!("{:.6}", f.x_e))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let fp = sol.primary;
    let hs = hom_stability(p, &fp);
    let het = het_spectrum(p, &fp);
    let v = json!({
        "x_e": fp.x_e, "x_i": fp.x_i, "w": fp.w, "phi_e": fp.phi_e, "phi_i": fp.phi_i,
        "a_e": fp.a_e, "a_i": fp.a_i,
        "hom_eigenvalues": complex_pairs(&hs.eigenvalues),
        "hom_stable": hs.stable,
        "girko_radius": het.radius,
        "bulk_max_re": het.bulk_max_re,
        "outliers": complex_pairs(&het.outliers),
        "lambda_q": het.lambda_q,
        "het_stable": het.stable,
    });
    let human = format!(
        "homogeneous fixed point (Eq. 5), N = {:e}, J0 = {}, I0 = {}, transfer = {}\n\
         \x20 x_E = {:.10}   x_I = {:.10}   w = {:.10}\n\
         \x20 phi_E = {:.10}   phi_I = {:.10}\n\
         \x20 A^E = {:.4e}   A^I = {:.4e}   (balance residuals, Eq. 11)\n\
         \x20 solutions found: {}\n\
         homogeneous perturbations (Eqs. 14-18)\n\
         \x20 eigenvalues: {}\n\
         \x20 Routh-Hurwitz: beta0 = {:.6}, beta1 = {:.6}, beta2 = {:.6} -> {}\n\
         heterogeneous perturbations (Eqs. 23-29)\n\
         \x20 a = {:.6}, b = {:.6}, c = {:.6}\n\
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
        sol.all.len(),
        hs.eigenvalues
            .iter()
            .map(fmt_c)
            .collect::<Vec<_>>()
            .join(", "),
        hs.routh_hurwitz.beta0,
        hs.routh_hurwitz.beta1,
        hs.routh_hurwitz.beta2,
        if hs.stable { "stable" } else { "unstable" },
        het.a,
        het.b,
        het.c,
        het.radius,
        het.bulk_max_re,
        if het.stable { "stable" } else { "unstable" },
        fmt_c(&het.outliers[0]),
        fmt_c(&het.outliers[1]),
        het.lambda_q,
    );
    Ok((v, human))
}

pub(crate) fn cmd_fixed_point(c: &Common) -> Result<(), Failure> {
    let p = build_params(&c.model)?;
    let (v, human) = fixed_point_json(&p)?;
    emit(c.json, v, || human);
    Ok(())
}

fn jc_value(p: &Params, search: &JcSearch) -> Result<f64, Failure> {
    if p.n.is_infinite() {
        Ok(critical_coupling_limit(p)?)
    } else {
        p.validate_finite()?;
        Ok(critical_coupling(p, search)?.j_c)
    }
}

pub(crate) fn cmd_jc(a: &JcArgs) -> Result<(), Failure> {
    let p = build_params(&a.common.model)?;
    let search = JcSearch {
        j_min: a.j_min,
        j_max: a.j_max,
        ..JcSearch::default()
    };
    if !(search.j_min > 0.0 && search.j_max > search.j_min && search.j_max.is_finite()) {
        return Err(Failure(
            format!(
                "invalid j-min = {}, j-max = {}: valid range is 0 < j-min < j-max < inf",
                a.j_min, a.j_max
            ),
            2,
        ));
    }
    let jc = jc_value(&p, &search)?;
    emit(a.common.json, json!({"j_c": jc}), || {
        format!(
            "critical coupling (Eq. 30), N = {:e}, I0 = {}: J_c = {:.10}\n",
            p.n, p.i0, jc
        )
    });
    Ok(())
}

pub(crate) fn cmd_het(a: &HetArgs) -> Result<(), Failure> {
    let p = build_params(&a.common.model)?;
    p.validate_finite()?;
    let branch = match a.branch {
        BranchArg::Heterogeneous => Branch::Heterogeneous,
        BranchArg::Homogeneous => Branch::Homogeneous,
    };
    let h = het_fixed_point(&p, branch)?;
    let name = match h.branch {
        Branch::Heterogeneous => "heterogeneous",
        Branch::Homogeneous => "homogeneous",
    };
    if branch == Branch::Heterogeneous && h.branch == Branch::Homogeneous {
        eprintln!("balnet: note: r <= 1 (below J_c): only the homogeneous branch exists");
    }
    let v = json!({
        "mu_e": h.mu_e, "mu_i": h.mu_i, "delta0_e": h.delta0_e, "delta0_i": h.delta0_i,
        "phi_e": h.phi_e, "phi_i": h.phi_i, "phi_w": h.phi_w, "branch": name,
    });
    emit(a.common.json, v, || {
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
    });
    Ok(())
}

/// One axis of a scan.
pub(crate) struct Axis {
    name: &'static str,
    pub(crate) values: Vec<f64>,
}

fn parse_axis(spec: &str, flag: &str) -> Result<Axis, Failure> {
    let bad = |why: &str| Failure(format!("invalid --{flag} '{spec}': {why}"), 2);
    let (name, rest) = spec
        .split_once('=')
        .ok_or_else(|| bad("expected NAME=A:B:K or NAME=v1,v2,..."))?;
    let name = match name.trim() {
        "n" => "n",
        "j0" => "j0",
        "i0" => "i0",
        _ => return Err(bad("NAME must be n, j0 or i0")),
    };
    let values = parse_list(rest, name == "n").map_err(|e| bad(&e))?;
    if name == "n" && values.iter().any(|&v| v <= 0.0) {
        return Err(bad("n values must be > 0"));
    }
    Ok(Axis { name, values })
}

const SCAN_QUANTITIES: [&str; 11] = [
    "phi_e",
    "phi_i",
    "w",
    "x_e",
    "x_i",
    "a_e",
    "a_i",
    "hom_max_re",
    "girko_radius",
    "bulk_max_re",
    "j_c",
];

fn scan_point(p: &Params, quantities: &[&str]) -> Result<Vec<f64>, TheoryError> {
    let needs_fp = quantities.iter().any(|q| *q != "j_c");
    let fp = if needs_fp {
        Some(homogeneous(p)?.primary)
    } else {
        None
    };
    let mut out = Vec::with_capacity(quantities.len());
    for q in quantities {
        let v = match *q {
            "j_c" => critical_coupling(p, &JcSearch::default())
                .map(|c| c.j_c)
                .unwrap_or(f64::NAN),
            other => {
                let f = fp.as_ref().expect("computed above");
                match other {
                    "phi_e" => f.phi_e,
                    "phi_i" => f.phi_i,
                    "w" => f.w,
                    "x_e" => f.x_e,
                    "x_i" => f.x_i,
                    "a_e" => f.a_e,
                    "a_i" => f.a_i,
                    "hom_max_re" => hom_stability(p, f).max_re,
                    "girko_radius" => het_spectrum(p, f).radius,
                    "bulk_max_re" => het_spectrum(p, f).bulk_max_re,
                    _ => unreachable!("validated"),
                }
            }
        };
        out.push(v);
    }
    Ok(out)
}

pub(crate) fn cmd_scan(a: &ScanArgs) -> Result<(), Failure> {
    let base = build_params(&a.common.model)?;
    let x = parse_axis(&a.x, "x")?;
    let y = parse_axis(&a.y, "y")?;
    if x.name == y.name {
        return Err(Failure(
            format!("invalid --y '{}': the two axes must differ", a.y),
            2,
        ));
    }
    let quantities: Vec<&str> = a.quantity.split(',').map(str::trim).collect();
    for q in &quantities {
        if !SCAN_QUANTITIES.contains(q) {
            return Err(Failure(
                format!(
                    "invalid --quantity '{q}': valid are {}",
                    SCAN_QUANTITIES.join(", ")
                ),
                2,
            ));
        }
    }
    let set = |p: &mut Params, name: &str, v: f64| match name {
        "n" => p.n = v,
        "j0" => p.j0 = v,
        _ => p.i0 = v,
    };
    let points: Vec<(f64, f64)> = y
        .values
        .iter()
        .flat_map(|&yv| x.values.iter().map(move |&xv| (xv, yv)))
        .collect();
    // Validate every point before computing (one clear message instead of a NaN grid).
    for &(xv, yv) in &points {
        let mut p = base;
        set(&mut p, x.name, xv);
        set(&mut p, y.name, yv);
        p.validate_finite()?;
    }
    let results: Vec<Result<Vec<f64>, TheoryError>> = points
        .par_iter()
        .map(|&(xv, yv)| {
            let mut p = base;
            set(&mut p, x.name, xv);
            set(&mut p, y.name, yv);
            scan_point(&p, &quantities)
        })
        .collect();
    let rows: Vec<Vec<f64>> = results
        .into_iter()
        .map(|r| r.unwrap_or_else(|_| vec![f64::NAN; quantities.len()]))
        .collect();
    if a.common.json {
        let rows_json: Vec<Value> = points
            .iter()
            .zip(&rows)
            .map(|(&(xv, yv), vals)| {
                let mut m = serde_json::Map::new();
                m.insert(x.name.into(), json!(xv));
                m.insert(y.name.into(), json!(yv));
                for (q, v) in quantities.iter().zip(vals) {
                    m.insert(
                        (*q).into(),
                        if v.is_finite() { json!(v) } else { Value::Null },
                    );
                }
                Value::Object(m)
            })
            .collect();
        emit(
            true,
            json!({"x": x.name, "y": y.name, "quantities": quantities, "rows": rows_json}),
            String::new,
        );
        return Ok(());
    }
    let mut s = String::new();
    if a.csv {
        s.push_str(&format!("{},{},{}\n", x.name, y.name, quantities.join(",")));
        for (&(xv, yv), vals) in points.iter().zip(&rows) {
            let cols: Vec<String> = vals.iter().map(|v| format!("{v:.12e}")).collect();
            s.push_str(&format!("{xv:e},{yv:e},{}\n", cols.join(",")));
        }
    } else {
        s.push_str(&format!("{:>12} {:>12}", x.name, y.name));
        for q in &quantities {
            s.push_str(&format!(" {q:>14}"));
        }
        s.push('\n');
        for (&(xv, yv), vals) in points.iter().zip(&rows) {
            s.push_str(&format!("{xv:>12.5e} {yv:>12.5e}"));
            for v in vals {
                s.push_str(&format!(" {v:>14.8}"));
            }
            s.push('\n');
        }
    }
    emit(false, Value::Null, || s);
    Ok(())
}

pub(crate) fn cmd_report(a: &ReportArgs) -> Result<(), Failure> {
    let p = build_params(&a.common.model)?;
    let b = balanced_limit(&p)?;
    let sizes = [1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12];
    let currents = [0.0, 0.5, 1.0, 2.0];
    let grid: Vec<(f64, f64)> = currents
        .iter()
        .flat_map(|&i0| sizes.iter().map(move |&n| (n, i0)))
        .collect();
    let jcs: Vec<Result<f64, Failure>> = grid
        .par_iter()
        .map(|&(n, i0)| jc_value(&Params { n, i0, ..p }, &JcSearch::default()))
        .collect();
    let mut table = Vec::new();
    for (&(n, i0), r) in grid.iter().zip(jcs) {
        table.push((n, i0, r?));
    }
    let jc_inf = critical_coupling_limit(&p)?;
    let jc_inf_paper = critical_coupling_limit(&Params {
        variance: Variance::Paper,
        ..p
    })?;
    let fp_params = if p.n.is_finite() {
        p
    } else {
        Params {
            n: Params::default().n,
            ..p
        }
    };
    let (fp_json, fp_human) = fixed_point_json(&fp_params)?;
    let v = json!({
        "balanced_limit": {"phi_e": b.phi_e, "phi_i": b.phi_i, "w": b.w},
        "j_c": table.iter().map(|(n, i0, jc)| json!({"n": n, "i0": i0, "j_c": jc})).collect::<Vec<_>>(),
        "j_c_inf": jc_inf,
        "j_c_inf_paper_variance": jc_inf_paper,
        "fixed_point": fp_json,
    });
    emit(a.common.json, v, || {
        let mut s = String::from("balnet report: headline numbers of the theory (transfer ");
        s.push_str(p.transfer.name());
        s.push_str(")\n\n");
        s.push_str(&format!(
            "Balanced limit N -> inf (Eq. 6): phi_E = {:.6}, phi_I = {:.6}, w = {:.6}\n\n",
            b.phi_e, b.phi_i, b.w
        ));
        s.push_str("Critical coupling J_c (r(J_c) = 1, Eq. 30)\n");
        s.push_str(&format!("{:>8}", "N"));
        for i0 in currents {
            s.push_str(&format!("  I0 = {i0:<5}"));
        }
        s.push('\n');
        for n in sizes {
            s.push_str(&format!("{n:>8.0e}"));
            for i0 in currents {
                let jc = table
                    .iter()
                    .find(|t| t.0 == n && t.1 == i0)
                    .map(|t| t.2)
                    .unwrap_or(f64::NAN);
                s.push_str(&format!("  {jc:<10.6}"));
            }
            s.push('\n');
        }
        s.push_str(&format!(
            "{:>8}  {jc_inf:<10.6}  (any I0; closed form)\n",
            "inf"
        ));
        s.push_str(&format!(
            "  with the paper's Eq. 24 (no 1 - K/N factor): J_c(inf) = {jc_inf_paper:.6}; the paper reports ~1.10\n\n"
        ));
        s.push_str(&fp_human);
        s
    });
    Ok(())
}
