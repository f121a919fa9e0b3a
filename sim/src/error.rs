//! Typed errors of the simulators; messages are one line and name the parameter.

use std::borrow::Cow;

use theory::error::ParamError;

/// `s` with its control characters escaped (`\n`, `\r`, `\t`, `\u{1b}`): messages quote
/// file contents and paths, which may hold newlines (a mutated check file's key did), and an
/// error must stay one line. Used by the `Display` of every variant that carries text.
pub fn one_line(s: &str) -> Cow<'_, str> {
    if !s.chars().any(char::is_control) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if c.is_control() {
            out.extend(c.escape_debug());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

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
    #[error("the simulation diverged at t = {t} (step {step}): {}", one_line(.what))]
    Diverged { t: f64, step: u64, what: String },
    #[error("{}", one_line(.0))]
    Unsupported(String),
    /// The caller stopped the run (e.g. Ctrl-C in Python); nothing was written after it.
    #[error("interrupted at step {step}")]
    Interrupted { step: u64 },
    #[error("malformed network or state file: {}", one_line(.0))]
    Format(String),
    /// A run or network beyond a resource limit (steps, memory): bad input.
    #[error("{}: needs {need}, beyond the limit of {limit}", one_line(.what))]
    TooLarge {
        what: String,
        need: String,
        limit: String,
    },
    #[error("checkpoint {}: {}", one_line(.path), one_line(.why))]
    Checkpoint { path: String, why: String },
    #[error("{}: {}", one_line(.path), one_line(&.source.to_string()))]
    Io {
        path: String,
        source: std::io::Error,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_with_newlines_stay_one_line() {
        let e = SimError::Format("key `wi\ndow`\t\u{1b}[31m".into());
        assert_eq!(
            e.to_string(),
            "malformed network or state file: key `wi\\ndow`\\t\\u{1b}[31m"
        );
        assert!(matches!(one_line("plain 'text' \"ü\""), Cow::Borrowed(_)));
    }
}
