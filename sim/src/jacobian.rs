//! The full Jacobian DF_het of Eq. 19 for a concrete network, assembled densely from the
//! connectivity, and its eigenvalues (faer's general eigen-decomposition: nalgebra has no
//! nonsymmetric eigenvalue routine that returns complex eigenvalues reliably at N ~ 1e3).
//!
//! Order of the variables: (x^E, x^I, w). With phi_j = phi(x_j), phi'_j = phi'(x_j):
//!
//! * d(dx_i^E/dt)/dx_j^E = (J_EE phi'_j w_j [j in E(i)] - delta_ij) / tau_syn,
//!   d/dw_j = J_EE phi_j [j in E(i)] / tau_syn, d/dx_j^I = -J_EI phi'^I_j [j in I(i)] / tau_syn;
//! * d(dx_i^I/dt)/dx_j^E = J_IE phi'_j [j in E(i)] / tau_syn,
//!   d/dx_j^I = (-J_II phi'^I_j [j in I(i)] - delta_ij) / tau_syn;
//! * d(dw_i/dt)/dx_i^E = -u w_i phi'_i, d/dw_i = -1/tau_D - u phi_i.
//!
//! Tested against the matrix-free tangent map of [`crate::tangent`], which is itself tested
//! against finite differences of the field.

use nalgebra::Complex;

use crate::connectivity::Block;
use crate::network::RateNetwork;

/// Dense row-major Jacobian (dim x dim, dim = N + N_E) at the state y.
pub fn dense_jacobian(net: &RateNetwork, y: &[f64]) -> faer::Mat<f64> {
    let p = &net.params;
    let t = p.transfer;
    let s = net.conn.sizes;
    let (n_e, n, dim) = (s.n_e, s.n(), net.dim());
    let inv = 1.0 / p.tau_syn;
    let mut m = faer::Mat::<f64>::zeros(dim, dim);
    let pd: Vec<(f64, f64)> = y[..n].iter().map(|&x| t.phi_dphi(x)).collect();
    let w = &y[n..];
    for i in 0..n {
        m[(i, i)] -= inv;
    }
    for b in Block::ALL {
        let (rows, _, k) = b.shape(&s);
        let ix = net.conn.block(b);
        for i in 0..rows {
            for q in 0..k {
                let j = ix.get(i * k + q);
                match b {
                    Block::EE => {
                        m[(i, j)] += net.j_ee * pd[j].1 * w[j] * inv;
                        m[(i, n + j)] += net.j_ee * pd[j].0 * inv;
                    }
                    Block::EI => m[(i, n_e + j)] -= net.j_ei * pd[n_e + j].1 * inv,
                    Block::IE => m[(n_e + i, j)] += net.j_ie * pd[j].1 * inv,
                    Block::II => m[(n_e + i, n_e + j)] -= net.j_ii * pd[n_e + j].1 * inv,
                }
            }
        }
    }
    for i in 0..n_e {
        m[(n + i, i)] = -p.u * w[i] * pd[i].1;
        m[(n + i, n + i)] = -1.0 / p.tau_d - p.u * pd[i].0;
    }
    m
}

/// All eigenvalues of the dense Jacobian at y.
pub fn eigenvalues(net: &RateNetwork, y: &[f64]) -> Result<Vec<Complex<f64>>, String> {
    let m = dense_jacobian(net, y);
    let ev = m
        .eigenvalues()
        .map_err(|e| format!("eigen-decomposition failed: {e:?}"))?;
    Ok(ev.iter().map(|z| Complex::new(z.re, z.im)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connectivity::{Autapses, Connectivity, Sizes};
    use theory::Params;

    #[test]
    fn dense_matches_the_tangent_map() {
        // Same sums in a different order: agreement to rounding (1e-12 relative).
        let p = Params {
            n: 300.0,
            j0: 1.1,
            i0: 0.2,
            tau_syn: 2.0,
            ..Params::default()
        };
        let net = RateNetwork::new(
            Connectivity::generate(Sizes::massive(&p).unwrap(), 8, Autapses::Allowed).unwrap(),
            p,
        );
        let mut y = crate::run::initial_state(&net, 1);
        for (d, v) in y.iter_mut().enumerate().skip(net.n()) {
            *v = 0.2 + 0.7 * ((d * 13) % 17) as f64 / 17.0;
        }
        let v: Vec<f64> = (0..net.dim())
            .map(|d| ((d * 31) % 23) as f64 / 11.0 - 1.0)
            .collect();
        let m = dense_jacobian(&net, &y);
        let jv = crate::tangent::jacobian_times(&net, &y, &v);
        for r in 0..net.dim() {
            let dense: f64 = (0..net.dim()).map(|c| m[(r, c)] * v[c]).sum();
            assert!(
                (dense - jv[r]).abs() < 1e-12 * (1.0 + dense.abs()),
                "row {r}: {dense} vs {}",
                jv[r]
            );
        }
    }
}
