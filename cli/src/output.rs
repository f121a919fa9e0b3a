//! Output and failure plumbing of the command line: the error type with its exit status, JSON
//! or human output, progress on stderr, and atomic file writes.

use std::io::Write;

use serde_json::Value;
use theory::TheoryError;

/// A user-facing failure: message and exit status.
pub(crate) struct Failure(pub(crate) String, pub(crate) u8);

impl From<theory::ParamError> for Failure {
    fn from(e: theory::ParamError) -> Self {
        Failure(e.to_string(), 2)
    }
}

impl From<verify::Error> for Failure {
    fn from(e: verify::Error) -> Self {
        Failure(e.to_string(), e.exit_status())
    }
}

impl From<TheoryError> for Failure {
    fn from(e: TheoryError) -> Self {
        // Parameter errors and an impossible balanced limit (Eq. 7) are bad input: status 2.
        let code = if matches!(
            e,
            TheoryError::Param(_) | TheoryError::NoBalancedLimit { .. }
        ) {
            2
        } else {
            1
        };
        Failure(e.to_string(), code)
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

impl From<sim::SimError> for Failure {
    fn from(e: sim::SimError) -> Self {
        use sim::SimError as E;
        // Bad parameters, malformed input files and paths that do not exist are the user's to
        // fix: status 2.
        let missing =
            matches!(&e, E::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound);
        let code = if missing
            || matches!(
                e,
                E::Param(_)
                    | E::Invalid { .. }
                    | E::Unsupported(_)
                    | E::Format(_)
                    | E::Checkpoint { .. }
            ) {
            2
        } else {
            1
        };
        Failure(e.to_string(), code)
    }
}

/// Print `result` as one JSON object (its serde serialisation: the library's result type is
/// the command's schema) or the human-readable text.
pub(crate) fn emit_result<T: serde::Serialize>(
    json_mode: bool,
    result: &T,
    human: impl FnOnce() -> String,
) -> Result<(), Failure> {
    let value = if json_mode {
        serde_json::to_value(result).map_err(|e| Failure(e.to_string(), 1))?
    } else {
        Value::Null
    };
    emit(json_mode, value, human);
    Ok(())
}

/// Progress of a long run on stderr (only when it is a terminal, so logs stay clean), and the
/// note that a run resumed from its checkpoint.
pub(crate) struct Bar {
    label: &'static str,
    tty: bool,
    last: i64,
}

/// A progress bar for the run `label`.
pub(crate) fn progress(label: &'static str) -> Bar {
    use std::io::IsTerminal;
    Bar {
        label,
        tty: std::io::stderr().is_terminal(),
        last: -1,
    }
}

impl Bar {
    /// Show `frac` of the run done (every 5 %).
    pub(crate) fn show(&mut self, frac: f64) {
        let pct = (frac * 100.0).floor() as i64;
        if self.tty && pct != self.last && pct % 5 == 0 {
            self.last = pct;
            eprint!("\r{}: {pct:3}%", self.label);
            if pct >= 100 {
                eprintln!();
            }
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
        std::ops::ControlFlow::Continue(())
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
