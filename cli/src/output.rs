//! Output and failure plumbing of the command line: the error type with its exit status, JSON
//! or human output, progress on stderr, and atomic file writes.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use serde_json::Value;
use theory::TheoryError;

/// A user-facing failure: message and exit status.
pub(crate) struct Failure(pub(crate) String, pub(crate) u8);

/// The one exit-status rule, [`verify::Error::exit_status`]: 2 for bad input (parameters,
/// files, limits), 1 for a computation that failed, 130 when interrupted.
impl From<verify::Error> for Failure {
    fn from(e: verify::Error) -> Self {
        let interrupted = matches!(
            e,
            verify::Error::Sim(sim::SimError::Interrupted { .. })
                | verify::Error::Theory(TheoryError::Interrupted { .. })
        );
        let code = if interrupted { 130 } else { e.exit_status() };
        Failure(e.to_string(), code)
    }
}

impl From<theory::ParamError> for Failure {
    fn from(e: theory::ParamError) -> Self {
        verify::Error::from(TheoryError::from(e)).into()
    }
}

impl From<TheoryError> for Failure {
    fn from(e: TheoryError) -> Self {
        verify::Error::from(e).into()
    }
}

impl From<sim::SimError> for Failure {
    fn from(e: sim::SimError) -> Self {
        verify::Error::from(e).into()
    }
}

pub(crate) fn emit(json_mode: bool, value: Value, human: impl FnOnce() -> String) {
    let mut out = std::io::stdout().lock();
    if json_mode {
        let _ = writeln!(out, "{value}");
    } else {
        let _ = write!(out, "{}", human());
    }
}

/// Print `result` as one JSON object (its serde serialisation: the library's result type is
/// the command's schema) or the human-readable text; a result with a NaN or infinite number
/// is a failed computation (status 1, naming the field), never printed.
pub(crate) fn emit_result<T: serde::Serialize>(
    json_mode: bool,
    result: &T,
    human: impl FnOnce() -> String,
) -> Result<(), Failure> {
    verify::finite::ensure_finite(result)?;
    let value = if json_mode {
        serde_json::to_value(result).map_err(|e| Failure(e.to_string(), 1))?
    } else {
        Value::Null
    };
    emit(json_mode, value, human);
    Ok(())
}

/// Set by the first Ctrl-C (SIGINT) or SIGTERM while a run that can stop cleanly is under way
/// ([`listen_for_interrupts`]): the run stops at its next report (within 0.2 s), writes its
/// checkpoint if it has one, and the command exits with status 130.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);
/// Whether a run is polling [`INTERRUPTED`]; if not, a signal ends the process at once.
static LISTENING: AtomicBool = AtomicBool::new(false);

/// Install the handler of Ctrl-C and SIGTERM (once, in `main`). A second signal, or a signal
/// while no run is polling, exits at once with status 130.
pub(crate) fn listen_for_interrupts() {
    let _ = ctrlc::set_handler(|| {
        if !LISTENING.load(Ordering::SeqCst) || INTERRUPTED.swap(true, Ordering::SeqCst) {
            std::process::exit(130);
        }
    });
}

/// Progress of a long run on stderr: a bar redrawn in place on a terminal; otherwise (logs of
/// nohup or a cluster scheduler) a line every 5 % once the run has taken 10 s. Also warnings
/// (a long run ahead), the note that a run resumed from its checkpoint, and Ctrl-C.
pub(crate) struct Bar {
    label: &'static str,
    tty: bool,
    last: i64,
    started: Instant,
}

/// A progress bar for the run `label`.
pub(crate) fn progress(label: &'static str) -> Bar {
    use std::io::IsTerminal;
    LISTENING.store(true, Ordering::SeqCst);
    Bar {
        label,
        tty: std::io::stderr().is_terminal(),
        last: -1,
        started: Instant::now(),
    }
}

impl Drop for Bar {
    fn drop(&mut self) {
        LISTENING.store(false, Ordering::SeqCst);
    }
}

impl Bar {
    /// Show `frac` of the run done (every 5 %).
    pub(crate) fn show(&mut self, frac: f64) {
        let pct = (frac * 100.0).floor() as i64;
        if pct == self.last || pct % 5 != 0 {
            return;
        }
        let elapsed = self.started.elapsed().as_secs_f64();
        if self.tty {
            self.last = pct;
            eprint!("\r{}: {pct:3}%", self.label);
            if pct >= 100 {
                eprintln!();
            }
        } else if elapsed >= 10.0 && pct > self.last {
            self.last = pct;
            let left = if frac > 0.0 {
                elapsed * (1.0 - frac) / frac
            } else {
                f64::NAN
            };
            eprintln!(
                "balnet: {}: {pct}% after {elapsed:.0} s (about {left:.0} s to go)",
                self.label
            );
        }
    }
}

impl sim::checkpoint::Control for Bar {
    fn resumed(&mut self, path: &std::path::Path, step: u64, total: u64) {
        eprintln!(
            "balnet: resuming from {} at step {step} of {total}",
            path.display()
        );
    }
    fn progress(&mut self, done: f64) -> std::ops::ControlFlow<()> {
        self.show(done);
        if INTERRUPTED.load(Ordering::SeqCst) {
            std::ops::ControlFlow::Break(())
        } else {
            std::ops::ControlFlow::Continue(())
        }
    }
    fn warn(&mut self, message: &str) {
        eprintln!("balnet: {}: {message}", self.label);
    }
}

/// Write `contents` to dir/name atomically (temporary file, then rename).
pub(crate) fn write_atomic(
    dir: &std::path::Path,
    name: &str,
    contents: &str,
) -> Result<(), Failure> {
    sim::files::write_atomic(&dir.join(name), |w| w.write_all(contents.as_bytes()))?;
    Ok(())
}

/// The name a value has in the JSON output (an enum's snake_case tag, `rk4`,
/// `time_dependent`), with spaces for underscores: for text output, instead of Rust's Debug
/// names.
pub(crate) fn label<T: serde::Serialize>(x: &T) -> String {
    match serde_json::to_value(x) {
        Ok(Value::String(s)) => s.replace('_', " "),
        Ok(v) => v.to_string(),
        Err(_) => "?".into(),
    }
}
