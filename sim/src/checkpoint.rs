//! Checkpoints and the resume loop, written once for every run that can be saved and resumed
//! (the rate run of Eq. 1, [`crate::run::Run`], the spiking engine's run,
//! [`crate::spiking::SpikingRun`], and the LIF run of Eqs. 62-64, [`crate::lif::LifRun`], which
//! holds an engine run).
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
use crate::files::{io_err, write_atomic};

/// What identifies the network a run belongs to.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Identity {
    /// A rate or LIF network of Eqs. 1 and 62-64: its parameters, sizes and the
    /// [`crate::network::RateNetwork::fingerprint`] of the connectivity.
    Rate {
        params: Params,
        sizes: Sizes,
        fingerprint: u64,
    },
    /// A network of the spiking engine: a hash of its specification (JSON), its seed, and the
    /// hash of its synapses ([`crate::spiking::Network::fingerprint`]).
    Spiking {
        spiking_spec: u64,
        seed: u64,
        synapses: u64,
    },
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
    /// Why this run (read from a file) cannot be a run of `fresh`'s network and settings: a
    /// step beyond the end, or an array whose length differs from what the network and the
    /// step imply. `None`: consistent.
    fn inconsistency(&self, fresh: &Self) -> Option<String>;
    /// Estimated wall time of one step on this machine (for the warning before long runs).
    fn seconds_per_step(&self, net: &Self::Network) -> f64;
    /// Advance until step `until` (at most the total).
    fn advance_to(&mut self, net: &Self::Network, until: u64) -> Result<(), SimError>;
    /// Take from `fresh` (the run as it would start) what a checkpoint does not hold, such as
    /// a structure built for the run; called on a loaded run once its checks have passed.
    fn restore(&mut self, _fresh: &Self) {}
}

/// The first bytes of every checkpoint file.
pub const MAGIC: &[u8; 8] = b"BALNETCK";
/// The version of the file layout below (1 was JSON text).
pub const LAYOUT_VERSION: u32 = 2;

/// What the header of a checkpoint says (JSON, readable with `head -c`): the format tag of the
/// run type, the network it belongs to, and where the run stands.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Header {
    pub format: String,
    #[serde(flatten)]
    pub identity: Identity,
    pub step: u64,
    pub total_steps: u64,
    /// Bytes of the run's payload.
    pub payload_bytes: u64,
}

/// The byte layout of a checkpoint file (little-endian):
///
/// | bytes | what |
/// |---|---|
/// | 8 | [`MAGIC`] `BALNETCK` |
/// | 4 | [`LAYOUT_VERSION`] |
/// | 8 | header length H |
/// | H | [`Header`] as JSON |
/// | P | the run (its state and accumulators) as CBOR (RFC 8949): doubles are stored in 8 bytes (or fewer when exact), so the file is about the size of the state in memory |
/// | 8 | FNV-1a 64 of every byte before it |
///
/// Everything is checked before a run resumes from it: magic, version, lengths, checksum, the
/// network's identity, the run settings, and every array's shape against the network and the
/// step ([`Resumable::inconsistency`]).
fn encode<R: Resumable>(net: &R::Network, run: &R) -> std::io::Result<Vec<u8>> {
    let mut payload = Vec::new();
    ciborium::into_writer(run, &mut payload).map_err(std::io::Error::other)?;
    let header = Header {
        format: R::FORMAT.to_string(),
        identity: R::identity(net),
        step: run.step(),
        total_steps: run.total_steps(),
        payload_bytes: payload.len() as u64,
    };
    let header = serde_json::to_vec(&header).map_err(std::io::Error::other)?;
    let mut out = Vec::with_capacity(28 + header.len() + payload.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&LAYOUT_VERSION.to_le_bytes());
    out.extend_from_slice(&(header.len() as u64).to_le_bytes());
    out.extend_from_slice(&header);
    out.extend_from_slice(&payload);
    let sum = fnv1a64(FNV_OFFSET, &out);
    out.extend_from_slice(&sum.to_le_bytes());
    Ok(out)
}

/// Split a checkpoint file into its header and payload, checking magic, version, lengths and
/// checksum.
fn decode(bytes: &[u8]) -> Result<(Header, &[u8]), String> {
    if bytes.len() < 28 || &bytes[..8] != MAGIC {
        return Err(
            "not a balnet checkpoint (no BALNETCK header; checkpoints of balnet \
                    before version 2 of the layout were JSON: remove it to start afresh)"
                .into(),
        );
    }
    let version = u32::from_le_bytes(bytes[8..12].try_into().expect("4 bytes"));
    if version != LAYOUT_VERSION {
        return Err(format!(
            "layout version {version}, this balnet reads version {LAYOUT_VERSION}"
        ));
    }
    let (body, sum) = bytes.split_at(bytes.len() - 8);
    let sum = u64::from_le_bytes(sum.try_into().expect("8 bytes"));
    if fnv1a64(FNV_OFFSET, body) != sum {
        return Err("checksum mismatch: the file is corrupt or truncated".into());
    }
    let h_len = u64::from_le_bytes(bytes[12..20].try_into().expect("8 bytes"));
    let rest = &body[20..];
    if h_len > rest.len() as u64 {
        return Err("header length beyond the end of the file".into());
    }
    let (header, payload) = rest.split_at(h_len as usize);
    let header: Header = serde_json::from_slice(header).map_err(|e| format!("header: {e}"))?;
    if header.payload_bytes != payload.len() as u64 {
        return Err(format!(
            "payload of {} bytes, the header says {}",
            payload.len(),
            header.payload_bytes
        ));
    }
    Ok((header, payload))
}

/// The FNV-1a 64 offset basis.
pub(crate) const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

/// FNV-1a, 64 bits, continuing from `h` (start with `FNV_OFFSET`).
pub(crate) fn fnv1a64(mut h: u64, bytes: &[u8]) -> u64 {
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    for &b in bytes {
        h = (h ^ u64::from(b)).wrapping_mul(PRIME);
    }
    h
}

/// Save `run` to `path` atomically (see [`encode`] for the layout).
pub fn save<R: Resumable>(path: &Path, net: &R::Network, run: &R) -> Result<(), SimError> {
    let bytes = encode(net, run).map_err(|e| SimError::Checkpoint {
        path: path.display().to_string(),
        why: e.to_string(),
    })?;
    write_atomic(path, |w| w.write_all(&bytes)).map(|_| ())
}

/// Load the run saved at `path` if the file exists. It must be whole (checksum), belong to the
/// same network, parameters and run settings, and every array must have the shape a run of
/// `fresh`'s network and settings has at the saved step; otherwise the file is refused with
/// one line and nothing resumes. A temporary file left beside it by a killed run is removed.
pub fn load<R: Resumable>(path: &Path, net: &R::Network, fresh: &R) -> Result<Option<R>, SimError> {
    let _ = std::fs::remove_file(crate::files::temporary_path(path));
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_err(path)(e)),
    };
    let bad = |why: &str| SimError::Checkpoint {
        path: path.display().to_string(),
        why: why.to_string(),
    };
    let (header, payload) = decode(&bytes).map_err(|e| bad(&e))?;
    if header.format != R::FORMAT {
        return Err(bad(&format!(
            "format '{}', expected '{}'",
            header.format,
            R::FORMAT
        )));
    }
    if header.identity != R::identity(net) {
        return Err(bad(
            "it belongs to another network or other parameters (remove it to start afresh)",
        ));
    }
    let run: R = ciborium::from_reader(payload).map_err(|e| bad(&format!("payload: {e}")))?;
    if let Some(what) = R::mismatch(run.spec(), fresh.spec()) {
        return Err(bad(&format!(
            "it was written with another {what}; use the same settings or remove it"
        )));
    }
    if run.step() != header.step || run.total_steps() != header.total_steps {
        return Err(bad("the header and the run disagree on the step"));
    }
    if let Some(why) = run.inconsistency(fresh) {
        return Err(bad(&why));
    }
    let mut run = run;
    run.restore(fresh);
    Ok(Some(run))
}

/// The first of `(what, length read, length expected)` whose lengths differ, as a sentence
/// (for [`Resumable::inconsistency`]).
pub fn length_mismatch(items: &[(&str, usize, usize)]) -> Option<String> {
    items
        .iter()
        .find(|(_, got, want)| got != want)
        .map(|(what, got, want)| format!("{what} has {got} entries, the run needs {want}"))
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
    /// Something the user should know before a run goes on (e.g. that it will take long).
    fn warn(&mut self, _message: &str) {}
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

/// Resume the run from `ck.path` if that file exists (it must fit the network and the
/// settings of `fresh()`, see [`load`]), else start `fresh()`; advance to the end, saving at
/// every checkpoint time and reporting to `control` about five times a second. When `control`
/// stops the run, the checkpoint file (if any) is written first.
pub fn run_with_checkpoints<R: Resumable>(
    net: &R::Network,
    fresh: impl FnOnce() -> Result<R, SimError>,
    ck: &Checkpoints,
    control: &mut dyn Control,
) -> Result<R, SimError> {
    ck.validate()?;
    let fresh = fresh()?;
    let resumed = match &ck.path {
        Some(path) => load::<R>(path, net, &fresh)?,
        None => None,
    };
    let mut run = match resumed {
        Some(r) => {
            if let Some(path) = &ck.path {
                control.resumed(path, r.step(), r.total_steps());
            }
            r
        }
        None => fresh,
    };
    let total = run.total_steps();
    let seconds = (total - run.step().min(total)) as f64 * run.seconds_per_step(net);
    if let Some(w) = crate::budget::long_run_warning(seconds) {
        control.warn(&w);
    }
    let save_every = match (&ck.path, ck.every) {
        (None, _) => u64::MAX,
        (Some(_), None) => (total / 20).max(1),
        (Some(_), Some(t)) => crate::budget::steps("checkpoint interval", t, run.dt())?.max(1),
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
