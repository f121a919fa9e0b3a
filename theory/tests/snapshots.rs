//! Diagnostic tables, rounded so the last digit does not churn (insta snapshots).

use theory::critical::{JcSearch, critical_coupling, critical_coupling_limit};
use theory::fixed_point::homogeneous;
use theory::het_fixed_point::{Branch, het_fixed_point};
use theory::{Params, Variance};

#[test]
fn jc_versus_n_and_i0() {
    let mut s = String::from("N        I0=0    I0=0.5  I0=1    I0=2\n");
    for n in [5e3, 1e4, 1e6, 1e8, 1e10, 1e12] {
        s.push_str(&format!("{n:<8.0e}"));
        for i0 in [0.0, 0.5, 1.0, 2.0] {
            let jc = critical_coupling(
                &Params {
                    n,
                    i0,
                    ..Params::default()
                },
                &JcSearch::default(),
            )
            .unwrap();
            s.push_str(&format!(" {:.4}", jc.j_c));
        }
        s.push('\n');
    }
    let inf = critical_coupling_limit(&Params::default()).unwrap();
    let paper = critical_coupling_limit(&Params {
        variance: Variance::Paper,
        ..Params::default()
    })
    .unwrap();
    s.push_str(&format!("inf      {inf:.4} (paper's Eq. 24: {paper:.4})\n"));
    insta::assert_snapshot!(s);
}

#[test]
fn solver_diagnostics() {
    let mut s = String::new();
    for n in [1e3, 1e6, 1e12] {
        let sol = homogeneous(&Params {
            n,
            ..Params::default()
        })
        .unwrap();
        let jc = critical_coupling(
            &Params {
                n,
                ..Params::default()
            },
            &JcSearch::default(),
        )
        .unwrap();
        s.push_str(&format!(
            "N={n:e}: roots={} grid={} jc_brent_iterations={} jc_fixed_point_solves={}\n",
            sol.all.len(),
            sol.grid_points,
            jc.iterations,
            jc.evaluations
        ));
    }
    let h = het_fixed_point(
        &Params {
            n: 1e4,
            j0: 1.0,
            ..Params::default()
        },
        Branch::Heterogeneous,
    )
    .unwrap();
    s.push_str(&format!(
        "het N=1e4 J0=1: iterations={} delta0_e={:.5} delta0_i={:.5}\n",
        h.iterations, h.delta0_e, h.delta0_i
    ));
    insta::assert_snapshot!(s);
}
