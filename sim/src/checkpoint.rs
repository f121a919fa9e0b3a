//! Checkpoints and the resume loop, written once for every run that can be saved and resumed
//! (the rate run of Eq. 1, [`crate::run::Run`], and the LIF run of Eqs. 62-64,
//! [`crate::lif::LifRun`]).
//!
//! [`run_with_checkpoints`] resumes a run from its checkpoint file if one exists (it must belong
//! to the same network, parameters and run settings), advances it to the end in pieces, saves
//! it atomically after each piece that ends on a checkpoint time, and between pieces reports
//! the fraction done to a [`Control`] callback that may stop the run (Ctrl-C in Python). How a
//! run is cut into pieces never changes its bits: the runs advance step by step with state that
//! lives in the run itself (tested in `tests/checkpoint.rs`).

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use theory::Params;

use crate::SimError;
use crate::connectivity::Sizes;
use crate::files::{read_optional, write_atomic};

/// What identifies the network a run belongs to.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Identity {
    pub params: Params,
    pub sizes: Sizes,
    /// [`crate::network::RateNetwork::fingerprint`] of the connectivity.
    pub fingerprint: u64,
}

/// A run that can be advanced in pieces, saved and resumed.
pub trait Resumable: Serialize + DeserializeOwned {
    /// The network the run belongs to.
    type Network;
    /// The run settings a checkpoint must match.
    type Spec;
    /// The `format` tag of its checkpoint files.
    const FORMAT: &'static str;

    fn identity(net: &Self::Network) -> Identity;
    /// Which of the run settings a checkpoint's `saved` settings differ in from `wanted`
    /// (`None`: the same).
    fn mismatch(saved: &Self::Spec, wanted: &Self::Spec) -> Option<&'static str>;
    fn spec(&self) -> &Self::Spec;
    fn step(&self) -> u64;
    fn total_steps(&self) -> u64;
    /// Time step, to convert checkpoint intervals to steps.
    fn dt(&self) -> f64;
    /// Whether the state fits the network (a corrupted file could say otherwise).
    fn fits(&self, net: &Self::Network) -> bool;
    /// Advance until step `until` (at most the total).
    fn advance_to(&mut self, net: &Self::Network, until: u64) -> Result<(), SimError>;
}

/// A run saved to disk with what identifies its network (JSON; doubles round-trip exactly).
#[derive(Serialize, Deserialize)]
pub struct Checkpoint<R> {
    pub format: String,
    #[serde(flatten)]
    pub identity: Identity,
    pub run: R,
}

#[derive(Serialize)]
struct CheckpointRef<'a, R> {
    format: &'a str,
    #[serde(flatten)]
    identity: &'a Identity,
    run: &'a R,
}

/// Save `run` to `path` atomically.
pub fn save<R: Resumable>(path: &Path, net: &R::Network, run: &R) -> Result<(), SimError> {
    let c = CheckpointRef {
        format: R::FORMAT,
        identity: &R::identity(net),
        run,
    };
    write_atomic(path, |w| {
        serde_json::to_writer(&mut *w, &c).map_err(std::io::Error::other)
    })
    .map(|_| ())
}

/// Load the run saved at `path` if the file exists; it must belong to the same network,
/// parameters and run settings.
pub fn load<R: Resumable>(
    path: &Path,
    net: &R::Network,
    spec: &R::Spec,
) -> Result<Option<R>, SimError> {
    let Some(text) = read_optional(path)? else {
        return Ok(None);
    };
    let bad = |why: &str| SimError::Checkpoint {
        path: path.display().to_string(),
        why: why.to_string(),
    };
    let c: Checkpoint<R> = serde_json::from_str(&text).map_err(|e| bad(&e.to_string()))?;
    if c.format != R::FORMAT {
        return Err(bad(&format!(
            "format '{}', expected '{}'",
            c.format,
            R::FORMAT
        )));
    }
    if c.identity != R::identity(net) {
        return Err(bad(
            "it belongs to another network or other parameters (remove it to start afresh)",
        ));
    }
    if let Some(what) = R::mismatch(c.run.spec(), spec) {
        return Err(bad(&format!(
            "it was written with another {what}; use the same settings or remove it"
        )));
    }
    if !c.run.fits(net) {
        return Err(bad("state has the wrong length"));
    }
    Ok(Some(c.run))
}

/// Where and how often a run is saved.
#[derive(Clone, Debug, Default)]
pub struct Checkpoints {
    /// The checkpoint file; `None`: no checkpoints.
    pub path: Option<PathBuf>,
    /// Time between checkpoints (default: 1/20 of the run).
    pub every: Option<f64>,
}

impl Checkpoints {
    /// Check the interval (0 < every < inf).
    pub fn validate(&self) -> Result<(), SimError> {
        match self.every {
            Some(t) if !(t > 0.0 && t.is_finite()) => Err(SimError::Invalid {
                name: "checkpoint-every",
                value: t,
                range: "0 < T < inf",
            }),
            _ => Ok(()),
        }
    }
}

/// What a long run reports between its pieces, and how the caller stops it.
pub trait Control {
    /// A run resumed from its checkpoint at `step` of `total`.
    fn resumed(&mut self, _path: &Path, _step: u64, _total: u64) {}
    /// `done` of the run is finished (0..=1); `Break` stops the run with
    /// [`SimError::Interrupted`].
    fn progress(&mut self, done: f64) -> ControlFlow<()>;
}

/// Reports nothing and never stops.
pub struct Silent;

impl Control for Silent {
    fn progress(&mut self, _done: f64) -> ControlFlow<()> {
        ControlFlow::Continue(())
    }
}

/// Wall time aimed at between two calls of [`Control::progress`] (so Ctrl-C is seen within a
/// second even on runs of hours).
const PIECE: Duration = Duration::from_millis(200);

/// Resume the run from `ck.path` if that file exists, else start `fresh()`; advance to the end,
/// saving at every checkpoint time and reporting to `control` about five times a second. When
/// `control` stops the run, the checkpoint file (if any) is written first.
pub fn run_with_checkpoints<R: Resumable>(
    net: &R::Network,
    spec: &R::Spec,
    fresh: impl FnOnce() -> Result<R, SimError>,
    ck: &Checkpoints,
    control: &mut dyn Control,
) -> Result<R, SimError> {
    ck.validate()?;
    let resumed = match &ck.path {
        Some(path) => load::<R>(path, net, spec)?,
        None => None,
    };
    let mut run = match resumed {
        Some(r) => {
            if let Some(path) = &ck.path {
                control.resumed(path, r.step(), r.total_steps());
            }
            r
        }
        None => fresh()?,
    };
    let total = run.total_steps();
    let save_every = match (&ck.path, ck.every) {
        (None, _) => u64::MAX,
        (Some(_), None) => (total / 20).max(1),
        (Some(_), Some(t)) => ((t / run.dt()).round() as u64).max(1),
    };
    // Pieces grow or shrink so that each takes about PIECE of wall time.
    let mut piece: u64 = 16;
    let mut next_save = if save_every == u64::MAX {
        u64::MAX
    } else {
        (run.step() / save_every + 1) * save_every
    };
    if control.progress(run.step() as f64 / total.max(1) as f64) == ControlFlow::Break(()) {
        return Err(SimError::Interrupted { step: run.step() });
    }
    while run.step() < total {
        let until = (run.step() + piece).min(total).min(next_save);
        let started = Instant::now();
        let steps = until - run.step();
        run.advance_to(net, until)?;
        let took = started.elapsed();
        if run.step() == next_save || (run.step() == total && ck.path.is_some()) {
            if let Some(path) = &ck.path {
                save(path, net, &run)?;
            }
            next_save = next_save.saturating_add(save_every);
        }
        let rate = steps as f64 / took.as_secs_f64().max(1e-9);
        piece = ((rate * PIECE.as_secs_f64()) as u64).clamp(1, 1 << 40);
        if control.progress(run.step() as f64 / total.max(1) as f64) == ControlFlow::Break(()) {
            // Stopped: the checkpoint (if any) holds the run as it stands, so it resumes here.
            if let Some(path) = &ck.path {
                save(path, net, &run)?;
            }
            return Err(SimError::Interrupted { step: run.step() });
        }
    }
    Ok(run)
}
