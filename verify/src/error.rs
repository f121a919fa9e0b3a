//! The one error type of the library API under both fronts (the `balnet` command line and the
//! Python package).
//!
//! Every variant says whose fault it is: [`Error::is_input`] is true for bad input (a parameter
//! out of range, a malformed or missing file), which the command line reports with exit status
//! 2 and Python raises as `ValueError`; the rest are computations that failed (no convergence,
//! no root, divergence), exit status 1 and `balnet.ComputationError`, carrying their numbers.

use sim::SimError;
use sim::error::one_line;
use theory::TheoryError;

/// An error of the verify library.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Bad input, with one line naming the parameter or file and what is valid.
    #[error("{}", one_line(.0))]
    Input(String),
    /// A computation of this crate failed (e.g. a golden quantity could not be evaluated).
    #[error("{}", one_line(.0))]
    Compute(String),
    /// From the theory crate: bad parameters, or a solver that failed with its residual.
    #[error(transparent)]
    Theory(#[from] TheoryError),
    /// From the sim crate: bad parameters or files, or a simulation that diverged.
    #[error(transparent)]
    Sim(#[from] SimError),
    /// A file that could not be read or written.
    #[error("{}: {}", one_line(.path), one_line(&.source.to_string()))]
    Io {
        path: String,
        source: std::io::Error,
    },
}

impl From<theory::ParamError> for Error {
    fn from(e: theory::ParamError) -> Self {
        Error::Theory(TheoryError::Param(e))
    }
}

impl Error {
    /// Bad input (the user's to fix) rather than a failed computation.
    pub fn is_input(&self) -> bool {
        match self {
            Error::Input(_) => true,
            Error::Compute(_) => false,
            Error::Io { source, .. } => path_error(source),
            Error::Theory(e) => matches!(
                e,
                TheoryError::Param(_) | TheoryError::NoBalancedLimit { .. }
            ),
            Error::Sim(e) => match e {
                SimError::Io { source, .. } => path_error(source),
                SimError::Param(_)
                | SimError::Invalid { .. }
                | SimError::Unsupported(_)
                | SimError::Format(_)
                | SimError::Checkpoint { .. }
                | SimError::TooLarge { .. } => true,
                SimError::Diverged { .. } | SimError::Interrupted { .. } => false,
            },
        }
    }

    /// The exit status of the command line: 2 for bad input, 1 for a failed computation.
    pub fn exit_status(&self) -> u8 {
        if self.is_input() { 2 } else { 1 }
    }
}

/// `Result` with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Whether an I/O error is about the path the user gave (missing, a directory where a file is
/// meant or the reverse, not readable, not text): bad input. A full disk, an interrupted or
/// timed-out call are the machine's: a failed computation.
fn path_error(e: &std::io::Error) -> bool {
    use std::io::ErrorKind as K;
    !matches!(
        e.kind(),
        K::StorageFull | K::Interrupted | K::TimedOut | K::OutOfMemory | K::QuotaExceeded
    )
}
