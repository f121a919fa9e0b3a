//! Typed errors of the simulators; messages are one line and name the parameter.

use theory::error::ParamError;

#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error(transparent)]
    Param(#[from] ParamError),
    #[error("invalid {name} = {value}: valid range is {range}")]
    Invalid {
        name: &'static str,
        value: f64,
        range: &'static str,
    },
    #[error("the simulation diverged at t = {t} (step {step}): {what}")]
    Diverged { t: f64, step: u64, what: String },
    #[error("{0}")]
    Unsupported(String),
    /// The caller stopped the run (e.g. Ctrl-C in Python); nothing was written after it.
    #[error("interrupted at step {step}")]
    Interrupted { step: u64 },
    #[error("malformed network or state file: {0}")]
    Format(String),
    /// A run or network beyond a resource limit (steps, memory): bad input.
    #[error("{what}: needs {need}, beyond the limit of {limit}")]
    TooLarge {
        what: String,
        need: String,
        limit: String,
    },
    #[error("checkpoint {path}: {why}")]
    Checkpoint { path: String, why: String },
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
}
