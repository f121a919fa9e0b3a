//! Criterion benchmarks of balnet's hot paths (see `benches/benches/`). This library holds the
//! shared workloads so that benches and their sanity tests use the same code.

use rayon::prelude::*;
use theory::Params;
use theory::fixed_point::homogeneous;

/// The Fig. 2B-style workload: the homogeneous fixed point on a `k` x `k` grid of
/// I0 in [0, 3] and J0 in [0.01, 1.5] at N = 1e4, in parallel on the current rayon pool.
/// Returns phi_E at every grid point (row-major in I0), in a fixed order whatever the
/// thread count.
pub fn fixed_point_grid(k: usize) -> Vec<f64> {
    assert!(k >= 2, "the grid needs at least 2 points per axis");
    let pts: Vec<(f64, f64)> = (0..k * k)
        .map(|i| {
            (
                3.0 * (i / k) as f64 / (k - 1) as f64,
                0.01 + 1.49 * (i % k) as f64 / (k - 1) as f64,
            )
        })
        .collect();
    pts.par_iter()
        .map(|&(i0, j0)| {
            homogeneous(&Params {
                n: 1e4,
                i0,
                j0,
                ..Params::default()
            })
            .map_or(f64::NAN, |s| s.primary.phi_e)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn grid_is_complete_and_thread_count_independent() {
        let one = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap();
        let two = rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .unwrap();
        let a = one.install(|| super::fixed_point_grid(8));
        let b = two.install(|| super::fixed_point_grid(8));
        assert_eq!(a.len(), 64);
        assert!(a.iter().all(|p| p.is_finite() && *p > 0.0 && *p < 1.0));
        assert_eq!(a, b);
    }
}
