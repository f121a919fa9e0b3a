//! Predictions on disk: a prediction depends only on (model, parameters, network or N, window,
//! dt, method, ensemble, realizations, seeds, balnet version), so `check` stores it in a
//! content-addressed file and a second check of the same set-up reads it instead of simulating.
//!
//! The file name is a 128-bit FNV-1a digest of the key; the file holds the key itself, which is
//! compared on reading, so a collision or a file from another version is a miss, never a wrong
//! prediction. Files are written to a temporary name and renamed (atomic on one file system),
//! so an interrupted check leaves no partial entry. A file that cannot be parsed is a miss.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::protocol::{Realization, RunRegime};

/// The cache directory: `$BALNET_CACHE`, else `$XDG_CACHE_HOME/balnet`, else
/// `$HOME/.cache/balnet`; None when none of these is set.
pub fn default_dir() -> Option<PathBuf> {
    let env = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty());
    env("BALNET_CACHE")
        .map(PathBuf::from)
        .or_else(|| env("XDG_CACHE_HOME").map(|d| PathBuf::from(d).join("balnet")))
        .or_else(|| env("HOME").map(|d| PathBuf::from(d).join(".cache").join("balnet")))
}

/// FNV-1a with a 128-bit state (offset basis and prime of the FNV specification).
fn fnv128(bytes: &[u8]) -> u128 {
    const OFFSET: u128 = 0x6c62_272e_07bb_0142_62b8_2175_6295_c58d;
    const PRIME: u128 = 0x0000_0000_0100_0000_0000_0000_0000_013b;
    bytes
        .iter()
        .fold(OFFSET, |h, &b| (h ^ u128::from(b)).wrapping_mul(PRIME))
}

/// The file of `key` under `dir`.
pub fn path(dir: &Path, key: &str) -> PathBuf {
    dir.join(format!("check-{:032x}.json", fnv128(key.as_bytes())))
}

/// One realization as stored: NaN (an undefined statistic) as null.
#[derive(Serialize, Deserialize)]
struct Stored {
    stats: BTreeMap<String, Option<f64>>,
    regime: RunRegime,
    acf_e: Vec<Option<f64>>,
    acf_i: Vec<Option<f64>>,
    lag_dt: f64,
}

#[derive(Serialize, Deserialize)]
struct Entry {
    key: String,
    seconds: f64,
    realizations: Vec<Stored>,
}

fn opt(v: f64) -> Option<f64> {
    v.is_finite().then_some(v)
}

fn val(v: Option<f64>) -> f64 {
    v.unwrap_or(f64::NAN)
}

/// The stored prediction of `key` and the seconds it cost, if present and readable.
pub fn load(dir: &Path, key: &str) -> Option<(Vec<Realization>, f64)> {
    let text = std::fs::read_to_string(path(dir, key)).ok()?;
    let e: Entry = serde_json::from_str(&text).ok()?;
    if e.key != key {
        return None;
    }
    let rs = e
        .realizations
        .into_iter()
        .map(|s| Realization {
            stats: s.stats.into_iter().map(|(k, v)| (k, val(v))).collect(),
            regime: s.regime,
            acf_e: s.acf_e.into_iter().map(val).collect(),
            acf_i: s.acf_i.into_iter().map(val).collect(),
            lag_dt: s.lag_dt,
        })
        .collect();
    Some((rs, e.seconds))
}

/// Store a prediction (temporary file, then rename).
pub fn store(dir: &Path, key: &str, rs: &[Realization], seconds: f64) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let e = Entry {
        key: key.to_string(),
        seconds,
        realizations: rs
            .iter()
            .map(|r| Stored {
                stats: r.stats.iter().map(|(k, &v)| (k.clone(), opt(v))).collect(),
                regime: r.regime,
                acf_e: r.acf_e.iter().copied().map(opt).collect(),
                acf_i: r.acf_i.iter().copied().map(opt).collect(),
                lag_dt: r.lag_dt,
            })
            .collect(),
    };
    let target = path(dir, key);
    // unique per process and call, so two threads storing the same key never share a file
    static CALLS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let call = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let tmp = target.with_extension(format!("tmp{}-{call}", std::process::id()));
    std::fs::write(&tmp, serde_json::to_vec(&e).map_err(std::io::Error::other)?)?;
    std::fs::rename(&tmp, &target)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_keeps_nan_and_rejects_another_key() {
        let dir = std::env::temp_dir().join(format!("balnet-cache-test-{}", std::process::id()));
        let r = Realization {
            stats: [
                ("phi_e".to_string(), 0.25),
                ("tau_dec_e".to_string(), f64::NAN),
            ]
            .into_iter()
            .collect(),
            regime: RunRegime::Chaotic,
            acf_e: vec![0.2, 0.1],
            acf_i: vec![2.0, f64::NAN],
            lag_dt: 0.1,
        };
        store(&dir, "key one", std::slice::from_ref(&r), 1.5).unwrap();
        let (back, secs) = load(&dir, "key one").unwrap();
        assert_eq!(secs, 1.5);
        assert_eq!(back[0].stats["phi_e"], 0.25);
        assert!(back[0].stats["tau_dec_e"].is_nan() && back[0].acf_i[1].is_nan());
        assert_eq!(back[0].regime, RunRegime::Chaotic);
        assert!(load(&dir, "key two").is_none());
        // a file under key one's name holding another key is a miss, not a hit
        std::fs::write(
            path(&dir, "key one"),
            r#"{"key":"other","seconds":0,"realizations":[]}"#,
        )
        .unwrap();
        assert!(load(&dir, "key one").is_none());
        // and no temporary file is left behind
        assert!(
            std::fs::read_dir(&dir).unwrap().all(|e| !e
                .unwrap()
                .path()
                .to_string_lossy()
                .contains(".tmp"))
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn digest_is_fnv1a_128() {
        // the empty input is the offset basis
        assert_eq!(fnv128(b""), 0x6c62_272e_07bb_0142_62b8_2175_6295_c58d);
        assert_ne!(fnv128(b"a"), fnv128(b"b"));
    }
}
