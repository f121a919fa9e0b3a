//! The theory of paper 001 as results: the balanced limit (Eq. 6), the homogeneous fixed point
//! with its stability (Eqs. 5, 14-30), the critical coupling J_c (Eq. 30), the heterogeneous
//! fixed point (Eqs. 31-34), grids over (n, j0, i0), and the headline report.
//!
//! Each result serialises to the JSON of its `balnet` command (`balanced-limit`, `fixed-point`,
//! `critical-coupling`, `het-fixed-point`, `scan`, `report`); fields marked `skip` are for the
//! human-readable output only.

use rayon::prelude::*;
use serde::Serialize;
use serde::ser::{SerializeMap, SerializeStruct, Serializer};

use theory::critical::{JcSearch, critical_coupling_limit};
use theory::fixed_point::homogeneous;
use theory::girko::het_spectrum;
use theory::het_fixed_point::Branch;
use theory::stability::hom_stability;
use theory::{Complex, Params, Variance};

use crate::{Error, Result};

pub use theory::balanced::BalancedLimit;

/// The N -> infinity balanced rates and depression (Eq. 6).
pub fn balanced_limit(p: &Params) -> Result<BalancedLimit> {
    Ok(theory::balanced::balanced_limit(p)?)
}

/// Complex numbers as `[re, im]` pairs (the JSON of every eigenvalue list).
fn pairs<S: Serializer>(z: &[Complex<f64>], s: S) -> std::result::Result<S::Ok, S::Error> {
    s.collect_seq(z.iter().map(|c| [c.re, c.im]))
}

/// The homogeneous fixed point of Eq. 5 with its stability to homogeneous (Eqs. 14-18) and
/// heterogeneous perturbations (Eqs. 23-29).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FixedPoint {
    pub x_e: f64,
    pub x_i: f64,
    pub w: f64,
    pub phi_e: f64,
    pub phi_i: f64,
    /// Balance residuals A^E, A^I (Eq. 11).
    pub a_e: f64,
    pub a_i: f64,
    /// The three eigenvalues of the homogeneous Jacobian (Eq. 16).
    #[serde(serialize_with = "pairs")]
    pub hom_eigenvalues: Vec<Complex<f64>>,
    pub hom_stable: bool,
    /// Radius of the Girko disk of DF_het (Eq. 27).
    pub girko_radius: f64,
    /// -1/tau_syn + r: the bulk's right edge.
    pub bulk_max_re: f64,
    /// The two outliers of DF_het (Eq. 29).
    #[serde(serialize_with = "pairs")]
    pub outliers: Vec<Complex<f64>>,
    pub lambda_q: f64,
    pub het_stable: bool,
    /// x_E of every homogeneous fixed point found (the one reported has the largest phi_E).
    #[serde(skip)]
    pub solutions: Vec<f64>,
    /// Routh-Hurwitz coefficients beta0, beta1, beta2 (Eq. 18).
    #[serde(skip)]
    pub routh_hurwitz: [f64; 3],
    /// The coefficients a, b, c of Eqs. 23-26.
    #[serde(skip)]
    pub abc: [f64; 3],
}

/// The homogeneous fixed point and its stability at finite N.
pub fn fixed_point(p: &Params) -> Result<FixedPoint> {
    p.validate_finite()?;
    let sol = homogeneous(p)?;
    let fp = sol.primary;
    let hs = hom_stability(p, &fp);
    let het = het_spectrum(p, &fp);
    Ok(FixedPoint {
        x_e: fp.x_e,
        x_i: fp.x_i,
        w: fp.w,
        phi_e: fp.phi_e,
        phi_i: fp.phi_i,
        a_e: fp.a_e,
        a_i: fp.a_i,
        hom_eigenvalues: hs.eigenvalues.to_vec(),
        hom_stable: hs.stable,
        girko_radius: het.radius,
        bulk_max_re: het.bulk_max_re,
        outliers: het.outliers.to_vec(),
        lambda_q: het.lambda_q,
        het_stable: het.stable,
        solutions: sol.all.iter().map(|f| f.x_e).collect(),
        routh_hurwitz: [
            hs.routh_hurwitz.beta0,
            hs.routh_hurwitz.beta1,
            hs.routh_hurwitz.beta2,
        ],
        abc: [het.a, het.b, het.c],
    })
}

/// The J0 search window of the critical coupling (`--j-min`, `--j-max`).
pub fn jc_search(j_min: f64, j_max: f64) -> Result<JcSearch> {
    if !(j_min > 0.0 && j_max > j_min && j_max.is_finite()) {
        return Err(Error::Input(format!(
            "invalid j-min = {j_min}, j-max = {j_max}: valid range is 0 < j-min < j-max < inf"
        )));
    }
    Ok(JcSearch {
        j_min,
        j_max,
        ..JcSearch::default()
    })
}

/// J_c, where the Girko radius r(J0) = 1 (Eq. 30): the bisection on the heterogeneous branch
/// at finite N, the closed form for N = inf.
pub fn critical_coupling(p: &Params, search: &JcSearch) -> Result<f64> {
    if p.n.is_infinite() {
        Ok(critical_coupling_limit(p)?)
    } else {
        p.validate_finite()?;
        Ok(theory::critical::critical_coupling(p, search)?.j_c)
    }
}

/// A solution of Eqs. 31-34 and whether the requested branch was available.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct HetFixedPoint {
    pub mu_e: f64,
    pub mu_i: f64,
    pub delta0_e: f64,
    pub delta0_i: f64,
    /// The population averages `[phi_E]`, `[phi_I]`, `[phi_E w]`.
    pub phi_e: f64,
    pub phi_i: f64,
    pub phi_w: f64,
    /// `heterogeneous` or `homogeneous` (below J_c only the homogeneous branch exists).
    pub branch: Branch,
    /// Variance iterations and the residual at the solution.
    #[serde(skip)]
    pub iterations: usize,
    #[serde(skip)]
    pub residual: f64,
}

/// The heterogeneous (or homogeneous) fixed point of Eqs. 31-34.
pub fn het_fixed_point(p: &Params, branch: Branch) -> Result<HetFixedPoint> {
    p.validate_finite()?;
    let h = theory::het_fixed_point::het_fixed_point(p, branch)?;
    Ok(HetFixedPoint {
        mu_e: h.mu_e,
        mu_i: h.mu_i,
        delta0_e: h.delta0_e,
        delta0_i: h.delta0_i,
        phi_e: h.phi_e,
        phi_i: h.phi_i,
        phi_w: h.phi_w,
        branch: h.branch,
        iterations: h.iterations,
        residual: h.residual,
    })
}

/// The quantities a [`scan`] can compute at each point.
pub const SCAN_QUANTITIES: [&str; 11] = [
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

/// The parameters a scan axis can vary.
pub const SCAN_AXES: [&str; 3] = ["n", "j0", "i0"];

/// One axis of a scan: a parameter and its values.
#[derive(Clone, Debug, PartialEq)]
pub struct Axis {
    pub name: String,
    pub values: Vec<f64>,
}

impl Axis {
    fn set(&self, p: &mut Params, v: f64) {
        match self.name.as_str() {
            "n" => p.n = v,
            "j0" => p.j0 = v,
            _ => p.i0 = v,
        }
    }
}

/// A grid over two of (n, j0, i0): `values[k][q]` is quantity q at `points[k]` = (x, y), x
/// fastest; NaN where the theory has no answer (no fixed point, no J_c).
#[derive(Clone, Debug, PartialEq)]
pub struct Scan {
    pub x: String,
    pub y: String,
    pub quantities: Vec<String>,
    pub points: Vec<(f64, f64)>,
    pub values: Vec<Vec<f64>>,
}

impl Serialize for Scan {
    /// `{"x", "y", "quantities", "rows": [{x: .., y: .., q: .. or null}, ...]}`
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        struct Row<'a>(&'a Scan, usize);
        impl Serialize for Row<'_> {
            fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
                let (scan, k) = (self.0, self.1);
                let mut m = s.serialize_map(Some(2 + scan.quantities.len()))?;
                m.serialize_entry(&scan.x, &scan.points[k].0)?;
                m.serialize_entry(&scan.y, &scan.points[k].1)?;
                for (q, v) in scan.quantities.iter().zip(&scan.values[k]) {
                    m.serialize_entry(q, &v.is_finite().then_some(*v))?;
                }
                m.end()
            }
        }
        let rows: Vec<Row> = (0..self.points.len()).map(|k| Row(self, k)).collect();
        let mut st = s.serialize_struct("Scan", 4)?;
        st.serialize_field("x", &self.x)?;
        st.serialize_field("y", &self.y)?;
        st.serialize_field("quantities", &self.quantities)?;
        st.serialize_field("rows", &rows)?;
        st.end()
    }
}

fn scan_point(p: &Params, quantities: &[String]) -> Result<Vec<f64>> {
    let needs_fp = quantities.iter().any(|q| q != "j_c");
    let fp = if needs_fp {
        Some(homogeneous(p)?.primary)
    } else {
        None
    };
    let mut out = Vec::with_capacity(quantities.len());
    for q in quantities {
        let v = match (q.as_str(), fp.as_ref()) {
            ("j_c", _) => theory::critical::critical_coupling(p, &JcSearch::default())
                .map(|c| c.j_c)
                .unwrap_or(f64::NAN),
            (other, Some(f)) => match other {
                "phi_e" => f.phi_e,
                "phi_i" => f.phi_i,
                "w" => f.w,
                "x_e" => f.x_e,
                "x_i" => f.x_i,
                "a_e" => f.a_e,
                "a_i" => f.a_i,
                "hom_max_re" => hom_stability(p, f).max_re,
                "girko_radius" => het_spectrum(p, f).radius,
                _ => het_spectrum(p, f).bulk_max_re,
            },
            (_, None) => f64::NAN,
        };
        out.push(v);
    }
    Ok(out)
}

/// The quantities at every point of the grid x × y (in parallel; the same numbers at any
/// thread count). Every point is validated before anything is computed.
pub fn scan(base: &Params, x: &Axis, y: &Axis, quantities: &[String]) -> Result<Scan> {
    for (flag, a) in [("x", x), ("y", y)] {
        if !SCAN_AXES.contains(&a.name.as_str()) {
            return Err(Error::Input(format!(
                "invalid --{flag} '{}': NAME must be n, j0 or i0",
                a.name
            )));
        }
    }
    if x.name == y.name {
        return Err(Error::Input(format!(
            "invalid --y '{}': the two axes must differ",
            y.name
        )));
    }
    if let Some(q) = quantities
        .iter()
        .find(|q| !SCAN_QUANTITIES.contains(&q.as_str()))
    {
        return Err(Error::Input(format!(
            "invalid --quantity '{q}': valid are {}",
            SCAN_QUANTITIES.join(", ")
        )));
    }
    let points: Vec<(f64, f64)> = y
        .values
        .iter()
        .flat_map(|&yv| x.values.iter().map(move |&xv| (xv, yv)))
        .collect();
    let at = |(xv, yv): (f64, f64)| {
        let mut p = *base;
        x.set(&mut p, xv);
        y.set(&mut p, yv);
        p
    };
    for &pt in &points {
        at(pt).validate_finite()?;
    }
    let values = points
        .par_iter()
        .map(|&pt| {
            scan_point(&at(pt), quantities).unwrap_or_else(|_| vec![f64::NAN; quantities.len()])
        })
        .collect();
    Ok(Scan {
        x: x.name.clone(),
        y: y.name.clone(),
        quantities: quantities.to_vec(),
        points,
        values,
    })
}

/// One entry of the report's J_c table.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct JcEntry {
    pub n: f64,
    pub i0: f64,
    pub j_c: f64,
}

/// The headline numbers: the balanced limit, J_c for N = 1e4 .. 1e12 at four currents and for
/// N = inf (also with the paper's Eq. 24 as printed), and a fixed point.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Report {
    pub balanced_limit: BalancedLimit,
    pub j_c: Vec<JcEntry>,
    pub j_c_inf: f64,
    pub j_c_inf_paper_variance: f64,
    pub fixed_point: FixedPoint,
    /// The fixed point's parameters (N = 20000 when `p.n` is infinite).
    #[serde(skip)]
    pub fixed_point_params: Params,
}

/// The sizes and currents of the report's J_c table.
pub const REPORT_SIZES: [f64; 9] = [1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12];
pub const REPORT_CURRENTS: [f64; 4] = [0.0, 0.5, 1.0, 2.0];

/// The headline report at `p`.
pub fn report(p: &Params) -> Result<Report> {
    let balanced = balanced_limit(p)?;
    let grid: Vec<(f64, f64)> = REPORT_CURRENTS
        .iter()
        .flat_map(|&i0| REPORT_SIZES.iter().map(move |&n| (n, i0)))
        .collect();
    let jcs: Vec<Result<f64>> = grid
        .par_iter()
        .map(|&(n, i0)| critical_coupling(&Params { n, i0, ..*p }, &JcSearch::default()))
        .collect();
    let mut j_c = Vec::with_capacity(grid.len());
    for (&(n, i0), r) in grid.iter().zip(jcs) {
        j_c.push(JcEntry { n, i0, j_c: r? });
    }
    let j_c_inf = critical_coupling_limit(p)?;
    let j_c_inf_paper_variance = critical_coupling_limit(&Params {
        variance: Variance::Paper,
        ..*p
    })?;
    if !p.n.is_finite() {
        return Err(Error::Input(format!(
            "invalid n = {}: the report's fixed point needs a finite N (its J_c table covers \
             N = 1e4..1e12 and inf on its own)",
            p.n
        )));
    }
    let fp_params = *p;
    Ok(Report {
        balanced_limit: balanced,
        j_c,
        j_c_inf,
        j_c_inf_paper_variance,
        fixed_point: fixed_point(&fp_params)?,
        fixed_point_params: fp_params,
    })
}
