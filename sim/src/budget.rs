//! Resource bounds of every run, in one place: times become step counts through [`steps`]
//! (checked, at most [`MAX_STEPS`]), memory is estimated before anything large is allocated and
//! refused beyond what the machine has ([`ensure_memory`]), and run times are estimated from
//! the measured speed of the hot loops ([`rate_run_seconds`], [`lif_run_seconds`]) so that the
//! fronts can warn before a long run.
//!
//! Refusals are [`SimError::TooLarge`], bad input (exit status 2 on the command line), naming
//! the limit and the estimate.

use crate::SimError;

/// The largest number of time steps of one run: 2^40 = 1.1e12. At the fastest balnet step
/// (a few microseconds for the smallest networks) that is weeks of computing, and every step
/// counter, index and time (`step * dt`, exact in f64 below 2^53) stays exact far below it.
pub const MAX_STEPS: u64 = 1 << 40;

/// The largest number of neurons of a network: 2^31 (indices are `u32`).
pub const MAX_NEURONS: f64 = 2_147_483_648.0;

/// `time / dt` rounded, checked: a finite, non-negative count of at most [`MAX_STEPS`].
/// `name` is the parameter that gave `time` (`t`, `transient`, `t_ort`, ...).
pub fn steps(name: &str, time: f64, dt: f64) -> Result<u64, SimError> {
    let s = (time / dt).round();
    if s.is_finite() && s >= 0.0 && s <= MAX_STEPS as f64 {
        Ok(s as u64)
    } else {
        Err(SimError::TooLarge {
            what: format!("{name} = {time} with dt = {dt}"),
            need: format!("{s:.3e} steps"),
            limit: format!("{MAX_STEPS} (2^40) steps"),
        })
    }
}

/// `a + b` steps, checked against [`MAX_STEPS`] (`name`: what the sum is, e.g. "transient + t").
pub fn total_steps(name: &str, a: u64, b: u64) -> Result<u64, SimError> {
    match a.checked_add(b) {
        Some(s) if s <= MAX_STEPS => Ok(s),
        _ => Err(SimError::TooLarge {
            what: name.to_string(),
            need: format!("{:.3e} steps", a as f64 + b as f64),
            limit: format!("{MAX_STEPS} (2^40) steps"),
        }),
    }
}

/// The memory this process may still use, in bytes: `MemAvailable` of `/proc/meminfo` (Linux),
/// or `BALNET_MEMORY_LIMIT` (bytes, e.g. `8e9`) when set and smaller; unbounded elsewhere.
pub fn available_memory() -> f64 {
    let meminfo = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("MemAvailable:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(f64::INFINITY, |kib| kib * 1024.0);
    let limit = std::env::var("BALNET_MEMORY_LIMIT")
        .ok()
        .and_then(|s| s.trim().parse::<f64>().ok())
        .filter(|v| *v > 0.0)
        .unwrap_or(f64::INFINITY);
    meminfo.min(limit)
}

/// Refuse `bytes` (an estimate of what `what` will allocate) beyond 90 % of the available
/// memory: better one line now than an allocation failure, or swapping, later.
pub fn ensure_memory(what: &str, bytes: f64) -> Result<(), SimError> {
    let have = available_memory();
    if bytes.is_finite() && bytes <= 0.9 * have {
        return Ok(());
    }
    Err(SimError::TooLarge {
        what: what.to_string(),
        need: format!("~{} of memory", human_bytes(bytes)),
        limit: format!("{} available", human_bytes(have)),
    })
}

/// A buffer that grows during a run (the LIF spike raster): `Err` once its next doubling
/// (`bytes` now, 2 `bytes` while a `Vec` reallocates) would pass 90 % of `budget`, the memory
/// available when the run started plus what the buffer held then. Checked every 1024 steps,
/// since the spike count is not known in advance.
pub fn ensure_growth(what: &str, bytes: f64, budget: f64) -> Result<(), SimError> {
    if 2.0 * bytes <= 0.9 * budget {
        return Ok(());
    }
    Err(SimError::TooLarge {
        what: what.to_string(),
        need: format!("more than {} of memory", human_bytes(2.0 * bytes)),
        limit: format!("{} available", human_bytes(budget)),
    })
}

/// `1.5 GB`, `320 MB`, ...
pub fn human_bytes(b: f64) -> String {
    if !b.is_finite() {
        return "unbounded".into();
    }
    let (v, unit) = if b >= 1e12 {
        (b / 1e12, "TB")
    } else if b >= 1e9 {
        (b / 1e9, "GB")
    } else if b >= 1e6 {
        (b / 1e6, "MB")
    } else {
        (b / 1e3, "kB")
    };
    format!("{v:.1} {unit}")
}

/// Synaptic updates per second and thread assumed by the run-time estimates: below the
/// measured 3.2e9-4.7e9 of one Euler step of the rate network (README, Performance), so an
/// estimate errs on the long side.
const RATE_SYNAPSES_PER_SECOND: f64 = 2e9;

/// Estimated wall time (seconds) of `steps` steps of a rate network with `synapses` synapses
/// on `threads` threads (RK4: pass 4x the steps).
pub fn rate_run_seconds(synapses: f64, steps: f64, threads: usize) -> f64 {
    synapses * steps / (RATE_SYNAPSES_PER_SECOND * threads.max(1) as f64)
}

/// Estimated wall time (seconds) of a LIF run (single-threaded): each step touches every
/// neuron (~5 ns), each spike its K postsynaptic targets (~1 ns each).
pub fn lif_run_seconds(neurons: f64, steps: f64, spikes: f64, k: f64) -> f64 {
    5e-9 * neurons * steps + 1e-9 * spikes * k
}

/// A warning line for runs estimated to take more than three minutes, e.g.
/// "this run will take about 25 min (estimate)".
pub fn long_run_warning(seconds: f64) -> Option<String> {
    (seconds > 180.0).then(|| {
        let t = if seconds < 3600.0 {
            format!("{:.0} min", seconds / 60.0)
        } else if seconds < 86400.0 * 2.0 {
            format!("{:.1} h", seconds / 3600.0)
        } else {
            format!("{:.0} days", seconds / 86400.0)
        };
        format!("this run will take about {t} (estimated from the measured speed of this step)")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_are_checked() {
        assert_eq!(steps("t", 100.0, 0.05).unwrap(), 2000);
        assert_eq!(steps("t", 0.0, 0.05).unwrap(), 0);
        for bad in [1e19, f64::INFINITY, f64::NAN, -1.0] {
            let e = steps("t", bad, 0.05).unwrap_err().to_string();
            assert!(e.starts_with("t = "), "{e}");
        }
        // The limit itself is allowed, one more step is not.
        assert_eq!(steps("t", MAX_STEPS as f64, 1.0).unwrap(), MAX_STEPS);
        assert!(steps("t", MAX_STEPS as f64 + 1.0, 1.0).is_err());
        assert!(total_steps("transient + t", MAX_STEPS, 1).is_err());
        assert!(total_steps("transient + t", u64::MAX, u64::MAX).is_err());
    }

    #[test]
    fn memory_beyond_the_machine_is_refused() {
        assert!(ensure_memory("a test", 1e3).is_ok());
        let e = ensure_memory("a network of N = 1e9", 1e18)
            .unwrap_err()
            .to_string();
        assert!(e.contains("N = 1e9") && e.contains("1000000.0 TB"), "{e}");
        assert!(ensure_memory("nan", f64::NAN).is_err());
    }

    #[test]
    fn growth_stops_before_the_next_doubling_passes_the_budget() {
        assert!(ensure_growth("raster", 4e8, 1e9).is_ok());
        let e = ensure_growth("raster", 5e8, 1e9).unwrap_err().to_string();
        assert!(e.contains("raster") && e.contains("1.0 GB"), "{e}");
    }

    #[test]
    fn warnings_only_for_long_runs() {
        assert!(long_run_warning(60.0).is_none());
        assert!(long_run_warning(600.0).unwrap().contains("10 min"));
        assert!(long_run_warning(1e6).unwrap().contains("days"));
    }
}
