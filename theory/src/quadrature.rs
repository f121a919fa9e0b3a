//! Quadrature rules: Gauss-Hermite for Gaussian averages `E[g(mu + sqrt(Delta) z)]`,
//! z ~ N(0, 1) (the measure `Dz` of Eq. 33), and adaptive Gauss-Legendre for everything
//! that is not smooth on the scale of the Hermite nodes (kinks, steep sigmoids, endpoint
//! singularities).
//!
//! Both rules are computed, not tabulated: the nodes are the eigenvalues of the Jacobi
//! matrix of the orthonormal polynomials (Golub-Welsch), polished by Newton steps on the
//! three-term recurrence, and the weights are the Christoffel numbers
//! `w_k = 1 / sum_j p_j(x_k)^2`, which keeps full relative accuracy even for the tail
//! weights (about 1e-40 at n = 96) that Golub-Welsch's `v_0^2` would lose.

use std::sync::OnceLock;

use nalgebra::{DMatrix, SymmetricEigen};

/// A quadrature rule: `sum_k weights[k] f(nodes[k])`.
#[derive(Clone, Debug)]
pub struct Rule {
    pub nodes: Vec<f64>,
    pub weights: Vec<f64>,
}

/// Orthonormal polynomial family given by the recurrence
/// `b_{j+1} p_{j+1}(x) = x p_j(x) - b_j p_{j-1}(x)` (zero diagonal: symmetric measures).
fn rule_from_recurrence(n: usize, p0: f64, b: impl Fn(usize) -> f64) -> Rule {
    assert!(n >= 1, "a quadrature rule needs at least one node");
    let mut jac = DMatrix::<f64>::zeros(n, n);
    for j in 1..n {
        jac[(j, j - 1)] = b(j);
        jac[(j - 1, j)] = b(j);
    }
    let mut nodes: Vec<f64> = SymmetricEigen::new(jac)
        .eigenvalues
        .iter()
        .copied()
        .collect();
    nodes.sort_by(f64::total_cmp);
    // Evaluate p_0..p_n at x; return (p_n, p_n', sum_{j<n} p_j^2).
    let eval = |x: f64| {
        let (mut pm, mut p) = (0.0, p0);
        let (mut dpm, mut dp) = (0.0, 0.0);
        let mut sum = 0.0;
        for j in 0..n {
            sum += p * p;
            let bj = if j == 0 { 0.0 } else { b(j) };
            let bn = b(j + 1);
            let pn = (x * p - bj * pm) / bn;
            let dpn = (p + x * dp - bj * dpm) / bn;
            (pm, p) = (p, pn);
            (dpm, dp) = (dp, dpn);
        }
        (p, dp, sum)
    };
    let mut weights = Vec::with_capacity(n);
    for x in nodes.iter_mut() {
        for _ in 0..3 {
            let (p, dp, _) = eval(*x);
            if dp != 0.0 && p.is_finite() && dp.is_finite() {
                *x -= p / dp;
            }
        }
        weights.push(1.0 / eval(*x).2);
    }
    Rule { nodes, weights }
}

impl Rule {
    /// Gauss-Hermite rule for the standard normal measure `Dz = exp(-z^2/2) dz / sqrt(2 pi)`
    /// (probabilists' Hermite polynomials, `b_j = sqrt(j)`); exact for polynomials of degree
    /// below 2n, weights summing to 1.
    pub fn gauss_hermite(n: usize) -> Rule {
        rule_from_recurrence(n, 1.0, |j| (j as f64).sqrt())
    }

    /// Gauss-Legendre rule on [-1, 1] (`b_j = j / sqrt(4 j^2 - 1)`, measure `dx`).
    pub fn gauss_legendre(n: usize) -> Rule {
        rule_from_recurrence(n, std::f64::consts::FRAC_1_SQRT_2, |j| {
            let j = j as f64;
            j / (4.0 * j * j - 1.0).sqrt()
        })
    }

    /// `E[g(mu + sigma z)]` for z ~ N(0, 1) with this (Gauss-Hermite) rule.
    pub fn gaussian_mean(&self, mu: f64, sigma: f64, mut g: impl FnMut(f64) -> f64) -> f64 {
        self.nodes
            .iter()
            .zip(&self.weights)
            .map(|(z, w)| w * g(mu + sigma * z))
            .sum()
    }
}

/// The shared 15-point Gauss-Legendre panel of [`integrate`].
fn legendre15() -> &'static Rule {
    static R: OnceLock<Rule> = OnceLock::new();
    R.get_or_init(|| Rule::gauss_legendre(15))
}

/// The shared 96-point Gauss-Hermite rule used for smooth Gaussian averages.
pub fn hermite96() -> &'static Rule {
    static R: OnceLock<Rule> = OnceLock::new();
    R.get_or_init(|| Rule::gauss_hermite(96))
}

/// Evaluation budget of one call of [`integrate`].
pub const MAX_EVALUATIONS: usize = 2_000_000;

/// Result of [`integrate`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Integral<const M: usize> {
    pub value: [f64; M],
    /// Sum over accepted panels of max_m |panel - two half panels|: a conservative error estimate.
    pub error: f64,
    pub evaluations: usize,
}

fn panel<const M: usize>(f: &mut impl FnMut(f64) -> [f64; M], lo: f64, hi: f64) -> [f64; M] {
    let rule = legendre15();
    let (c, h) = (0.5 * (lo + hi), 0.5 * (hi - lo));
    let mut acc = [0.0; M];
    for (x, w) in rule.nodes.iter().zip(&rule.weights) {
        let v = f(c + h * x);
        for m in 0..M {
            acc[m] += w * v[m];
        }
    }
    acc.map(|a| a * h)
}

/// Adaptive Gauss-Legendre integration of a vector-valued `f` over the finite [a, b].
///
/// A panel is accepted when, for every component, its 15-point value and the sum of the
/// 15-point values on its two halves differ by at most
/// `max(abs_tol * width / (b - a), rel_tol * |half sum|)`; otherwise both halves are refined.
/// Panels narrower than 1e-14 (b - a) or than 1e3 ulps of their position are accepted as they
/// are (integrable singularities; rounding noise),
/// and after [`MAX_EVALUATIONS`] evaluations every pending panel is accepted: the returned
/// `error` then exceeds the tolerance, which the caller can check.
pub fn integrate<const M: usize>(
    mut f: impl FnMut(f64) -> [f64; M],
    a: f64,
    b: f64,
    abs_tol: f64,
    rel_tol: f64,
) -> Integral<M> {
    let mut evaluations = 0;
    let mut value = [0.0; M];
    if a == b {
        return Integral {
            value,
            error: 0.0,
            evaluations,
        };
    }
    let total = b - a;
    let n = legendre15().nodes.len();
    let mut stack = vec![(a, b, panel(&mut f, a, b))];
    evaluations += n;
    let mut error = 0.0_f64;
    while let Some((lo, hi, whole)) = stack.pop() {
        let mid = 0.5 * (lo + hi);
        let left = panel(&mut f, lo, mid);
        let right = panel(&mut f, mid, hi);
        evaluations += 2 * n;
        let frac = ((hi - lo) / total).abs();
        let mut ok = true;
        let mut worst = 0.0_f64;
        for m in 0..M {
            let halves = left[m] + right[m];
            let diff = (halves - whole[m]).abs();
            worst = worst.max(diff);
            if diff > (abs_tol * frac).max(rel_tol * halves.abs()) {
                ok = false;
            }
        }
        // Below ~1e3 ulps of its position a panel's 15 nodes are no longer distinct numbers:
        // refining it further only resolves rounding noise (a wide Gaussian mapped to z used
        // to bisect to 1-ulp panels and spend the whole budget on each call, issue 20).
        let unresolvable = (hi - lo).abs() <= 1e3 * f64::EPSILON * lo.abs().max(hi.abs());
        if ok || frac < 1e-14 || unresolvable || !worst.is_finite() || evaluations > MAX_EVALUATIONS
        {
            for m in 0..M {
                value[m] += left[m] + right[m];
            }
            error += worst;
        } else {
            stack.push((lo, mid, left));
            stack.push((mid, hi, right));
        }
    }
    Integral {
        value,
        error,
        evaluations,
    }
}

/// Scalar convenience wrapper of [`integrate`].
pub fn integrate_scalar(
    mut f: impl FnMut(f64) -> f64,
    a: f64,
    b: f64,
    abs_tol: f64,
    rel_tol: f64,
) -> f64 {
    integrate(|x| [f(x)], a, b, abs_tol, rel_tol).value[0]
}

/// Half-width in units of sigma beyond which the Gaussian weight is below 1e-300.
pub const GAUSS_CUTOFF: f64 = 37.0;

/// `E[g(mu + sigma z)]` (component-wise, z ~ N(0, 1)) by adaptive Gauss-Legendre on
/// z in [-37, 37], split at the points `breaks` (in x = mu + sigma z) where `g` is not smooth.
/// `g` receives x and z. The absolute tolerance is `rel_tol` times the magnitude of a coarse
/// first estimate (8 panels per piece), so the Gaussian tails are not refined beyond what the
/// total needs. This is the path for non-smooth `g` and the reference the Gauss-Hermite
/// averages are tested against.
///
/// For sigma > 1 with a break inside, each piece is integrated in x rather than z (weight
/// `phi_N(z) / sigma`): `g` varies on the scale 1 in x, and `mu + sigma z` rounds x to ~1e-16 (|mu| + sigma |z|), which
/// for |mu| ~ 1e6 is relative noise of 1e-10 in `g`; the z-space rule then refined every
/// piece to its budget (2e6 evaluations per call, minutes per fixed point; issue 20). In x the
/// pieces end exactly on the breaks and only z = (x - mu) / sigma carries rounding, which the
/// smooth Gaussian weight does not amplify.
pub fn gaussian_mean_adaptive<const M: usize>(
    mu: f64,
    sigma: f64,
    breaks: &[f64],
    mut g: impl FnMut(f64, f64) -> [f64; M],
    rel_tol: f64,
) -> [f64; M] {
    const INV_SQRT_2PI: f64 = 0.398_942_280_401_432_7;
    if sigma == 0.0 {
        return g(mu, 0.0);
    }
    let mut cuts = vec![-GAUSS_CUTOFF];
    for &x in breaks {
        let z = (x - mu) / sigma;
        if z > -GAUSS_CUTOFF && z < GAUSS_CUTOFF {
            cuts.push(z);
        }
    }
    cuts.push(GAUSS_CUTOFF);
    cuts.sort_by(f64::total_cmp);
    let mut integrand = |z: f64| {
        let weight = INV_SQRT_2PI * (-0.5 * z * z).exp();
        g(mu + sigma * z, z).map(|v| v * weight)
    };
    let mut scale = 0.0_f64;
    for w in cuts.windows(2) {
        let h = (w[1] - w[0]) / 8.0;
        for k in 0..8 {
            let lo = w[0] + k as f64 * h;
            let coarse = panel(&mut integrand, lo, lo + h);
            scale += coarse.iter().map(|v| v.abs()).fold(0.0, f64::max);
        }
    }
    let mut total = [0.0; M];
    // x-space only when a break lies inside: then |mu| <= 37 sigma + |break| and z carries
    // at most ~74 ulps of error. With no break inside, g is smooth over the whole Gaussian
    // and z-space is the accurate choice (x-space would give z an error ~ ulp(mu) / sigma).
    if sigma <= 1.0 || cuts.len() == 2 {
        for w in cuts.windows(2) {
            let frac = (w[1] - w[0]) / (2.0 * GAUSS_CUTOFF);
            let i = integrate(&mut integrand, w[0], w[1], rel_tol * scale * frac, rel_tol);
            for (t, v) in total.iter_mut().zip(i.value) {
                *t += v;
            }
        }
        return total;
    }
    // Piece ends in x: the breaks themselves (exact) inside, mu -+ 37 sigma outside.
    let mut xs = vec![mu - GAUSS_CUTOFF * sigma];
    let mut inner: Vec<f64> = breaks
        .iter()
        .copied()
        .filter(|&x| {
            let z = (x - mu) / sigma;
            z > -GAUSS_CUTOFF && z < GAUSS_CUTOFF
        })
        .collect();
    inner.sort_by(f64::total_cmp);
    xs.extend(inner);
    xs.push(mu + GAUSS_CUTOFF * sigma);
    let mut in_x = |x: f64| {
        let z = (x - mu) / sigma;
        let weight = INV_SQRT_2PI * (-0.5 * z * z).exp() / sigma;
        g(x, z).map(|v| v * weight)
    };
    for w in xs.windows(2) {
        let frac = (w[1] - w[0]) / (2.0 * GAUSS_CUTOFF * sigma);
        let i = integrate(&mut in_x, w[0], w[1], rel_tol * scale * frac, rel_tol);
        for (t, v) in total.iter_mut().zip(i.value) {
            *t += v;
        }
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    #[test]
    fn x_space_pieces_agree_with_z_space_at_moderate_width() {
        // sigma = 3 and 30 with the LIF rate's kink at x = 1 inside: the x-space path against
        // the z-space rule on the same pieces (still accurate at these widths, where mu +
        // sigma z loses < 1e-14). The rate ~ -1/ln(x - 1) at the kink limits both to ~1e-10
        // (see moments' tests), hence 1e-9 relative.
        let lif = |x: f64| {
            if x > 1.0 {
                -1.0 / (-1.0 / x).ln_1p()
            } else {
                0.0
            }
        };
        for sigma in [3.0, 30.0] {
            for mu in [-20.0, 0.2, 1.0, 4.0, 40.0] {
                let got =
                    gaussian_mean_adaptive(mu, sigma, &[1.0], |x, z| [lif(x), lif(x) * z], 1e-13);
                let zk = (1.0 - mu) / sigma;
                let f = |z: f64| {
                    let w = (-0.5 * z * z).exp() / (2.0 * std::f64::consts::PI).sqrt();
                    let v = lif(mu + sigma * z);
                    [v * w, v * z * w]
                };
                let mut want = [0.0; 2];
                for (a, b) in [(-GAUSS_CUTOFF, zk), (zk, GAUSS_CUTOFF)] {
                    if a < b {
                        let i = integrate(f, a, b, 0.0, 1e-13);
                        want[0] += i.value[0];
                        want[1] += i.value[1];
                    }
                }
                for k in 0..2 {
                    assert!(
                        (got[k] - want[k]).abs() <= 1e-9 * want[k].abs().max(1e-3),
                        "sigma {sigma} mu {mu} k {k}: {} vs {}",
                        got[k],
                        want[k]
                    );
                }
            }
        }
    }

    #[test]
    fn hermite_moments_are_exact() {
        // E[z^{2k}] = (2k-1)!!; exact for 2k < 2n. Relative 1e-13: the sum of n positive
        // terms of size up to (2k-1)!! carries a few ulps each.
        let r = Rule::gauss_hermite(20);
        let mut dfact = 1.0;
        for k in 0..20 {
            if k > 0 {
                dfact *= (2 * k - 1) as f64;
            }
            let m: f64 = r
                .nodes
                .iter()
                .zip(&r.weights)
                .map(|(z, w)| w * z.powi(2 * k))
                .sum();
            assert_relative_eq!(m, dfact, max_relative = 1e-12);
            let odd: f64 = r
                .nodes
                .iter()
                .zip(&r.weights)
                .map(|(z, w)| w * z.powi(2 * k + 1))
                .sum();
            assert!(odd.abs() < 1e-12 * dfact.max(1.0) * 10.0);
        }
    }

    #[test]
    fn legendre_integrates_polynomials_and_adaptive_handles_singularities() {
        let r = Rule::gauss_legendre(15);
        for k in 0..30 {
            let m: f64 = r
                .nodes
                .iter()
                .zip(&r.weights)
                .map(|(x, w)| w * x.powi(k))
                .sum();
            let exact = if k % 2 == 0 {
                2.0 / (k as f64 + 1.0)
            } else {
                0.0
            };
            assert!((m - exact).abs() < 1e-14, "k = {k}: {m} vs {exact}");
        }
        // Integrable endpoint singularity: int_0^1 x^-1/2 dx = 2.
        let i = integrate_scalar(|x| 1.0 / x.sqrt(), 0.0, 1.0, 1e-300, 1e-12);
        assert_relative_eq!(i, 2.0, max_relative = 1e-6);
        // Kink: int_-1^2 |x| dx = 2.5.
        let i = integrate_scalar(f64::abs, -1.0, 2.0, 1e-300, 1e-13);
        assert_relative_eq!(i, 2.5, max_relative = 1e-12);
    }

    #[test]
    fn gaussian_mean_of_normal_cdf_has_closed_form() {
        // E[Phi(mu + sigma z)] = Phi(mu / sqrt(1 + sigma^2)): an exact identity, so both
        // rules are checked against it to 1e-12 (absolute; the values are in (0, 1)).
        let erf = crate::Transfer::Erf;
        for &(mu, sigma) in &[
            (0.3f64, 0.2f64),
            (-0.8, 0.5),
            (-0.8, 1.0),
            (1.5, 2.0),
            (-2.0, 4.0),
            (0.0, 8.0),
        ] {
            let exact = erf.phi(mu / (1.0 + sigma * sigma).sqrt());
            let ad = gaussian_mean_adaptive(mu, sigma, &[], |x, _| [erf.phi(x)], 1e-14)[0];
            assert!(
                (ad - exact).abs() < 1e-13,
                "adaptive {mu} {sigma}: {ad} vs {exact}"
            );
            let gh = hermite96().gaussian_mean(mu, sigma, |x| erf.phi(x));
            // Gauss-Hermite converges like exp(-c n / sigma^2) for this sigmoid: it is
            // accurate to 1e-12 only up to sigma ~ 1. Larger sigma use the adaptive path
            // (see moments.rs); this documents where the switch must be.
            if sigma <= 1.0 {
                assert!(
                    (gh - exact).abs() < 1e-12,
                    "hermite {mu} {sigma}: {gh} vs {exact}"
                );
            }
        }
    }
}
