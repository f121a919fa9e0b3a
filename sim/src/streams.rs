//! Every random stream of balnet's simulations, in one place (issue 21).
//!
//! All generators are ChaCha8 seeded with the user's seed (`--seed`); what separates their
//! uses is the 64-bit stream number. A stream is a pure function of (use, index), never of
//! the thread that draws it, so networks and runs are the same on any machine and thread
//! count. The layout:
//!
//! | streams | use |
//! |---|---|
//! | `b << 40 | i`, b = 0..3 | connectivity: row i of block b (EE, EI, IE, II; [`connectivity`]) |
//! | `4 << 40`, `5 << 40`, `6 << 40` | retired: paper 004's network before it became a configuration of the spiking engine (delays, noise, initial potentials) |
//! | `7 << 40 | i` | the pairs {i, j > i} of a partially symmetric graph ([`pairs`]) |
//! | `8 << 40 | s` | external spike source s of the spiking engine ([`source`]) |
//! | `9 << 40 | p` | initial potentials of the engine's population p ([`population_init`]) |
//! | `10 << 40 | c` | white noise of the engine's chunk c ([`chunk_noise`]) |
//! | `11 << 40 | p` | the sampled pairs of the count-correlation check of population p ([`count_pairs`]) |
//! | `(16 + 2 k) << 40 | i` | row i of the engine's projection k ([`projection`]) |
//! | `(17 + 2 k) << 40 | i` | the delays of that row ([`projection_delays`]) |
//! | `2^62` | initial state of the rate network ([`RATE_INIT`]) |
//! | `2^62 + 1` | initial state of the LIF network of Eqs. 62-64 ([`LIF_INIT`]) |
//! | `2^62 + 2` | initial tangent vectors of the Lyapunov analysis ([`TANGENT`]) |
//!
//! Row indices are below 2^40 (N is at most 1e7 for spiking and 2^32 for rate networks), so
//! the ranges are disjoint; `every_stream_is_distinct` checks it. Until issue 21 the tangent
//! vectors shared the LIF initial state's stream (2^62 + 1): harmless, since no run used
//! both, but two uses of one stream is what this module exists to prevent.
//!
//! The DMF (`theory::dmf`) draws its noise realizations from its own generators (stream
//! `chain << 48 | iteration << 24 | realization`); it simulates no network and shares no seed
//! space with the streams here. The oracle's bootstrap (`verify::check`) uses fixed seeds of
//! its own.

/// Row `row` of connectivity block `block` (0 = EE, 1 = EI, 2 = IE, 3 = II).
pub fn connectivity(block: u64, row: usize) -> u64 {
    debug_assert!(block < 4 && (row as u64) < 1 << 40);
    (block << 40) | row as u64
}

/// The pairs {i, j > i} of row i of a partially symmetric graph (`crate::graphs`).
pub fn pairs(row: usize) -> u64 {
    debug_assert!((row as u64) < 1 << 40);
    (7 << 40) | row as u64
}

/// External spike source `s` of the spiking engine (`crate::spiking::input`).
pub fn source(s: usize) -> u64 {
    debug_assert!((s as u64) < 1 << 40);
    (8 << 40) | s as u64
}

/// Initial membrane potentials of the spiking engine's population `p`.
pub fn population_init(p: usize) -> u64 {
    debug_assert!((p as u64) < 1 << 40);
    (9 << 40) | p as u64
}

/// White noise of the spiking engine's chunk `c` (chunks depend on the network only, never on
/// the thread count).
pub fn chunk_noise(c: usize) -> u64 {
    debug_assert!((c as u64) < 1 << 40);
    (10 << 40) | c as u64
}

/// The neuron pairs sampled for population p's count-correlation estimate.
pub fn count_pairs(p: usize) -> u64 {
    debug_assert!((p as u64) < 1 << 40);
    (11 << 40) | p as u64
}

/// Row `row` of the spiking engine's projection `k` (k < 2^20).
pub fn projection(k: usize, row: usize) -> u64 {
    debug_assert!((k as u64) < 1 << 20 && (row as u64) < 1 << 40);
    ((16 + 2 * k as u64) << 40) | row as u64
}

/// The per-synapse delays of row `row` of projection `k`.
pub fn projection_delays(k: usize, row: usize) -> u64 {
    debug_assert!((k as u64) < 1 << 20 && (row as u64) < 1 << 40);
    ((17 + 2 * k as u64) << 40) | row as u64
}

/// The rate network's initial state x ~ N(0, 1).
pub const RATE_INIT: u64 = 1 << 62;
/// The LIF network's initial state v ~ U[0, 1).
pub const LIF_INIT: u64 = (1 << 62) + 1;
/// The initial tangent vectors of the Lyapunov analysis.
pub const TANGENT: u64 = (1 << 62) + 2;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_stream_is_distinct() {
        // The per-row families occupy [b << 40, (b + 1) << 40) for b = 0..4; the fixed
        // streams must lie outside all of them and differ from each other.
        let rows = (1u64 << 40) - 1;
        let families = [
            (connectivity(0, 0), connectivity(3, rows as usize)),
            (pairs(0), pairs(rows as usize)),
            (source(0), source(rows as usize)),
            (population_init(0), population_init(rows as usize)),
            (chunk_noise(0), chunk_noise(rows as usize)),
            (count_pairs(0), count_pairs(rows as usize)),
            (
                projection(0, 0),
                projection_delays((1 << 20) - 1, rows as usize),
            ),
        ];
        let fixed = [RATE_INIT, LIF_INIT, TANGENT];
        for (k, a) in fixed.iter().enumerate() {
            for b in &fixed[k + 1..] {
                assert_ne!(a, b);
            }
            for (lo, hi) in families {
                assert!(!(lo..=hi).contains(a), "{a:#x} inside {lo:#x}..={hi:#x}");
            }
        }
        for (k, a) in families.iter().enumerate() {
            for b in &families[k + 1..] {
                assert!(a.1 < b.0 || b.1 < a.0, "{a:x?} and {b:x?} overlap");
            }
        }
        // The projections' rows and delays interleave: k's delays sit between k's rows and
        // k + 1's rows.
        assert!(projection(3, rows as usize) < projection_delays(3, 0));
        assert!(projection_delays(3, rows as usize) < projection(4, 0));
    }
}
