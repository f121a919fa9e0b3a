//! Files: atomic writes (temporary file, then rename) and plain-text states.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::error::SimError;

pub(crate) fn io_err(path: &Path) -> impl Fn(std::io::Error) -> SimError + '_ {
    move |source| SimError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// The temporary file [`write_atomic`] writes before renaming it over `path`: `.NAME.tmp`
/// beside it.
pub fn temporary_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map_or_else(|| "output".into(), |n| n.to_string_lossy());
    path.with_file_name(format!(".{name}.tmp"))
}

/// Write `path` atomically: `fill` writes to [`temporary_path`] beside it, which is flushed,
/// synced and renamed over `path`, so an interrupted write never leaves a truncated file, and
/// a failed one removes the temporary file. Creates the parent directory if needed.
pub fn write_atomic(
    path: &Path,
    fill: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<PathBuf, SimError> {
    let err = io_err(path);
    if path.file_name().is_none() {
        return Err(err(std::io::Error::other("not a file name")));
    }
    let tmp = temporary_path(path);
    if let Some(dir) = tmp.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(&err)?;
    }
    let written = (|| {
        let file = std::fs::File::create(&tmp)?;
        let mut w = BufWriter::with_capacity(1 << 20, file);
        fill(&mut w)?;
        let file = w.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(err(e));
    }
    Ok(path.to_path_buf())
}

/// Write a state vector y = [x^E, x^I, w] as text, one number per line (shortest decimal that
/// reads back to the same double).
pub fn write_state(path: &Path, y: &[f64]) -> Result<(), SimError> {
    write_atomic(path, |w| {
        writeln!(
            w,
            "# balnet rate-network state: x^E (N_E), x^I (N_I), w (N_E), one per line"
        )?;
        for v in y {
            writeln!(w, "{v:?}")?;
        }
        Ok(())
    })
    .map(|_| ())
}

/// Read a state written by [`write_state`] (or any whitespace-separated numbers; `#` starts a
/// comment line) and check its length.
pub fn read_state(path: &Path, dim: usize) -> Result<Vec<f64>, SimError> {
    let text = std::fs::read_to_string(path).map_err(io_err(path))?;
    let mut y = Vec::with_capacity(dim);
    for (k, line) in text.lines().enumerate() {
        if line.trim_start().starts_with('#') {
            continue;
        }
        for tok in line.split_whitespace() {
            let v: f64 = tok.parse().map_err(|_| {
                SimError::Format(format!(
                    "{}: line {}: '{tok}' is not a number",
                    path.display(),
                    k + 1
                ))
            })?;
            if !v.is_finite() {
                return Err(SimError::Format(format!(
                    "{}: line {}: {v} is not finite",
                    path.display(),
                    k + 1
                )));
            }
            y.push(v);
        }
    }
    if y.len() != dim {
        return Err(SimError::Format(format!(
            "{}: {} numbers, the network needs N + N_E = {dim} (x^E, x^I, w)",
            path.display(),
            y.len()
        )));
    }
    Ok(y)
}
