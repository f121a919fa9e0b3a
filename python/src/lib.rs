//! `balnet._balnet`: the native half of the Python package, a thin front over the verify
//! crate's library API (`verify::api`, `verify::check`, `verify::golden`).
//!
//! Every function converts its arguments, calls the library with the GIL released, and returns
//! the result's JSON (the same text the command line prints with `--json`, so Python's
//! `json.loads` gives the same doubles bit for bit) plus numpy arrays for what JSON does not
//! carry (traces, ACFs, rasters, eigenvalues). The pure-Python layer (`pysrc/balnet`) turns
//! these into result objects, broadcasts scalar functions over arrays and builds scipy
//! matrices. Errors: bad input raises `ValueError`, a failed computation
//! `balnet.ComputationError` with its numbers, Ctrl-C `KeyboardInterrupt`.

use std::ops::ControlFlow;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::RecvTimeoutError;
use std::time::Duration;

use numpy::{Complex64, IntoPyArray, PyArray1, PyArray2, PyReadonlyArray1};
use pyo3::exceptions::{PyKeyboardInterrupt, PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};
use rayon::prelude::*;

use sim::SimError;
use sim::checkpoint::{Checkpoints, Control};
use sim::connectivity::Block;
use sim::integrate::Method;
use sim::lif::{LifIntegrator, LifNetwork};
use sim::network::RateNetwork;
use sim::tangent::LyapunovSpec;
use theory::het_fixed_point::Branch;
use theory::{Params, TheoryError, Transfer, Variance};
use verify::Error;
use verify::api;

pyo3::create_exception!(
    balnet,
    ComputationError,
    PyRuntimeError,
    "A computation that failed: a solver without convergence (attributes `solver`, \
     `iterations`, `residual`), no root in the searched range, or a simulation that diverged \
     (attributes `t`, `step`)."
);

/// The Python exception of a library error.
fn py_err(e: Error) -> PyErr {
    if matches!(
        e,
        Error::Sim(SimError::Interrupted { .. }) | Error::Theory(TheoryError::Interrupted { .. })
    ) {
        return PyKeyboardInterrupt::new_err(e.to_string());
    }
    if e.is_input() {
        return PyValueError::new_err(e.to_string());
    }
    let err = ComputationError::new_err(e.to_string());
    Python::attach(|py| {
        let v = err.value(py);
        let set = |k: &str, x: Py<PyAny>| {
            let _ = v.setattr(k, x);
        };
        match &e {
            Error::Theory(TheoryError::NotConverged {
                solver,
                iterations,
                residual,
            }) => {
                set(
                    "solver",
                    solver.into_pyobject(py).unwrap().into_any().unbind(),
                );
                set(
                    "iterations",
                    iterations.into_pyobject(py).unwrap().into_any().unbind(),
                );
                set(
                    "residual",
                    residual.into_pyobject(py).unwrap().into_any().unbind(),
                );
            }
            Error::Sim(SimError::Diverged { t, step, .. }) => {
                set("t", t.into_pyobject(py).unwrap().into_any().unbind());
                set("step", step.into_pyobject(py).unwrap().into_any().unbind());
            }
            _ => {}
        }
    });
    err
}

fn input(msg: String) -> PyErr {
    PyValueError::new_err(msg)
}

/// Serialise a result to the command line's JSON.
fn json<T: serde::Serialize>(x: &T) -> PyResult<String> {
    // A NaN or infinity would read back as None: a failed computation (the CLI's rule).
    verify::finite::ensure_finite(x).map_err(py_err)?;
    serde_json::to_string(x).map_err(|e| PyRuntimeError::new_err(e.to_string()))
}

// ---------------------------------------------------------------------------------------------
// Params

/// The model's parameters (Table 1 of paper 001), with the paper's symbols as names.
#[pyclass(name = "Params", module = "balnet", frozen, eq)]
#[derive(Clone, PartialEq)]
struct PyParams {
    inner: Params,
}

/// The keyword names of `Params`.
const PARAM_NAMES: [&str; 16] = [
    "n", "j0", "i0", "g_e", "g_i", "c_e", "c_i", "j_e", "j_i", "u", "tau_d", "f", "transfer",
    "tau_m", "tau_syn", "variance",
];

fn set_param(p: &mut Params, key: &str, v: &Bound<'_, PyAny>) -> PyResult<()> {
    let num = || -> PyResult<f64> {
        v.extract::<f64>()
            .map_err(|_| input(format!("invalid {key}: expected a number")))
    };
    match key {
        "n" => p.n = num()?,
        "j0" => p.j0 = num()?,
        "i0" => p.i0 = num()?,
        "g_e" => p.g_e = num()?,
        "g_i" => p.g_i = num()?,
        "c_e" => p.c_e = num()?,
        "c_i" => p.c_i = num()?,
        "j_e" => p.j_e = num()?,
        "j_i" => p.j_i = num()?,
        "u" => p.u = num()?,
        "tau_d" => p.tau_d = num()?,
        "f" => p.f = num()?,
        "tau_syn" => p.tau_syn = num()?,
        "tau_m" => {
            let t = num()?;
            p.transfer = Transfer::Lif { tau_m: t };
        }
        "transfer" => {
            let s: String = v
                .extract()
                .map_err(|_| input("invalid transfer: valid values are 'erf' and 'lif'".into()))?;
            p.transfer = match s.as_str() {
                "erf" => Transfer::Erf,
                "lif" => match p.transfer {
                    Transfer::Lif { tau_m } => Transfer::Lif { tau_m },
                    _ => Transfer::Lif { tau_m: 1.0 },
                },
                _ => {
                    return Err(input(format!(
                        "invalid transfer = '{s}': valid values are 'erf' and 'lif'"
                    )));
                }
            };
        }
        "variance" => {
            let s: String = v.extract().map_err(|_| {
                input("invalid variance: valid values are 'fixed-in-degree' and 'paper'".into())
            })?;
            p.variance = match s.replace('_', "-").as_str() {
                "fixed-in-degree" => Variance::FixedInDegree,
                "paper" => Variance::Paper,
                _ => {
                    return Err(input(format!(
                        "invalid variance = '{s}': valid values are 'fixed-in-degree' and 'paper'"
                    )));
                }
            };
        }
        other => {
            return Err(input(format!(
                "unknown parameter '{other}': valid are {}",
                PARAM_NAMES.join(", ")
            )));
        }
    }
    Ok(())
}

/// `base` with the keywords of `kw` applied (transfer before tau_m), validated.
fn with_keywords(base: Params, kw: Option<&Bound<'_, PyDict>>) -> PyResult<Params> {
    let mut p = base;
    if let Some(kw) = kw {
        let mut items: Vec<(String, Bound<'_, PyAny>)> = Vec::new();
        for (k, v) in kw.iter() {
            items.push((k.extract()?, v));
        }
        // `transfer` first, so that `tau_m` refines it whatever the keyword order.
        items.sort_by_key(|(k, _)| k != "transfer");
        for (k, v) in &items {
            set_param(&mut p, k, v)?;
        }
    }
    p.validate().map_err(|e| input(e.to_string()))?;
    Ok(p)
}

fn defaults(model: &str) -> PyResult<Params> {
    match model {
        "rate" => Ok(Params::default()),
        "lif" => Ok(Params::lif_paper()),
        _ => Err(input(format!(
            "invalid model = '{model}': valid values are 'rate' (Table 1) and 'lif' (Figs. 10-11)"
        ))),
    }
}

#[pymethods]
impl PyParams {
    /// Table 1's defaults (`model="rate"`) or those of the LIF network of Figs. 10-11
    /// (`model="lif"`), overridden by keywords named after the paper's symbols.
    #[new]
    #[pyo3(signature = (model = "rate", **kw))]
    fn new(model: &str, kw: Option<&Bound<'_, PyDict>>) -> PyResult<Self> {
        Ok(PyParams {
            inner: with_keywords(defaults(model)?, kw)?,
        })
    }

    /// A copy with some parameters changed (validated).
    #[pyo3(signature = (**kw))]
    fn replace(&self, kw: Option<&Bound<'_, PyDict>>) -> PyResult<Self> {
        Ok(PyParams {
            inner: with_keywords(self.inner, kw)?,
        })
    }

    /// Read a TOML file of parameters (the command line's `--params`): keys are the field
    /// names, missing keys keep the defaults of `model`.
    #[staticmethod]
    #[pyo3(signature = (path, model = "rate"))]
    fn from_toml(path: PathBuf, model: &str) -> PyResult<Self> {
        let p = verify::params_toml::read_params_over(&path, defaults(model)?).map_err(py_err)?;
        p.validate().map_err(|e| input(e.to_string()))?;
        Ok(PyParams { inner: p })
    }

    /// The parameters as a dict of the keyword names.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let p = &self.inner;
        let d = PyDict::new(py);
        for (k, v) in [
            ("n", p.n),
            ("j0", p.j0),
            ("i0", p.i0),
            ("g_e", p.g_e),
            ("g_i", p.g_i),
            ("c_e", p.c_e),
            ("c_i", p.c_i),
            ("j_e", p.j_e),
            ("j_i", p.j_i),
            ("u", p.u),
            ("tau_d", p.tau_d),
            ("f", p.f),
        ] {
            d.set_item(k, v)?;
        }
        match p.transfer {
            Transfer::Lif { tau_m } => {
                d.set_item("transfer", "lif")?;
                d.set_item("tau_m", tau_m)?;
            }
            _ => {
                d.set_item("transfer", p.transfer.name())?;
                d.set_item("tau_m", py.None())?;
            }
        }
        d.set_item("tau_syn", p.tau_syn)?;
        d.set_item(
            "variance",
            match p.variance {
                Variance::Paper => "paper",
                _ => "fixed-in-degree",
            },
        )?;
        Ok(d)
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let d = self.to_dict(py)?;
        let mut parts = Vec::new();
        for (k, v) in d.iter() {
            if v.is_none() {
                continue;
            }
            parts.push(format!("{}={}", k.str()?, v.repr()?));
        }
        Ok(format!("Params({})", parts.join(", ")))
    }

    fn __getattr__(&self, py: Python<'_>, name: &str) -> PyResult<Py<PyAny>> {
        let d = self.to_dict(py)?;
        match d.get_item(name)? {
            Some(v) => Ok(v.unbind()),
            None => Err(pyo3::exceptions::PyAttributeError::new_err(format!(
                "Params has no attribute '{name}'"
            ))),
        }
    }

    fn __reduce__<'py>(&self, py: Python<'py>) -> PyResult<(Py<PyAny>, Bound<'py, PyTuple>)> {
        // Params(model, **dict) via a helper taking the dict positionally.
        let f = py.import("balnet")?.getattr("_params_from_dict")?;
        Ok((f.unbind(), PyTuple::new(py, [self.to_dict(py)?])?))
    }
}

fn params_of(p: &Bound<'_, PyAny>) -> PyResult<Params> {
    Ok(p.cast::<PyParams>()?.get().inner)
}

// ---------------------------------------------------------------------------------------------
// Control: progress callbacks and Ctrl-C

/// What a run in the pool shares with the Python thread that waits for it: the fraction done
/// (f64 bits) and the request to stop.
#[derive(Default)]
struct Shared {
    done: AtomicU64,
    stop: AtomicBool,
    /// Warnings of the run (e.g. that it will take long), raised as Python `UserWarning`s by
    /// the waiting thread.
    warnings: std::sync::Mutex<Vec<String>>,
}

/// The run's side of [`Shared`]: reports the fraction done, stops when asked.
struct Flagged<'a>(&'a Shared);

impl Control for Flagged<'_> {
    fn warn(&mut self, message: &str) {
        if let Ok(mut w) = self.0.warnings.lock() {
            w.push(message.to_string());
        }
    }
    fn progress(&mut self, done: f64) -> ControlFlow<()> {
        self.0.done.store(done.to_bits(), Ordering::Relaxed);
        if self.0.stop.load(Ordering::Relaxed) {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    }
}

/// How often the waiting Python thread checks for Ctrl-C and calls the progress callback.
const POLL: Duration = Duration::from_millis(100);

/// Run `f` as a job of rayon's pool with the GIL released, as the command line runs its
/// commands on a worker of the pool: its parallel loops then start without a hand-off from
/// the calling thread (measured: the same run 20-30 % slower from Python without it). The
/// calling thread waits, and every 0.1 s checks for Ctrl-C (signals are only seen on Python's
/// main thread) and calls `progress` with the fraction done; either stops the run, which then
/// ends with the Python exception (KeyboardInterrupt, or the callback's).
fn controlled<T: Send>(
    py: Python<'_>,
    progress: Option<Py<PyAny>>,
    f: impl FnOnce(&mut dyn Control) -> Result<T, Error> + Send,
) -> PyResult<T> {
    controlled_shared(py, progress, |shared| f(&mut Flagged(shared)))
}

/// [`controlled`] for runs whose progress is reported from many threads (a sweep's points):
/// `f` gets the [`Shared`] state itself, which is `Sync`.
fn controlled_shared<T: Send>(
    py: Python<'_>,
    progress: Option<Py<PyAny>>,
    f: impl FnOnce(&Shared) -> Result<T, Error> + Send,
) -> PyResult<T> {
    let shared = Shared::default();
    let mut python_error: Option<PyErr> = None;
    let mut reported = f64::NAN;
    let report = |python_error: &mut Option<PyErr>, reported: &mut f64| {
        let done = f64::from_bits(shared.done.load(Ordering::Relaxed));
        Python::attach(|py| {
            let pending: Vec<String> = shared
                .warnings
                .lock()
                .map(|mut w| std::mem::take(&mut *w))
                .unwrap_or_default();
            for w in pending {
                let category = py.get_type::<pyo3::exceptions::PyUserWarning>();
                let msg = std::ffi::CString::new(format!("balnet: {w}")).unwrap_or_default();
                if let Err(e) = PyErr::warn(py, &category, &msg, 1) {
                    *python_error = Some(e);
                }
            }
            if let Err(e) = py.check_signals() {
                *python_error = Some(e);
            } else if let Some(cb) = &progress {
                if done != *reported && shared.done.load(Ordering::Relaxed) != 0 {
                    *reported = done;
                    if let Err(e) = cb.call1(py, (done,)) {
                        *python_error = Some(e);
                    }
                }
            }
        });
        if python_error.is_some() {
            shared.stop.store(true, Ordering::Relaxed);
        }
    };
    let outcome = py.detach(|| {
        rayon::in_place_scope(|s| {
            let (tx, rx) = std::sync::mpsc::channel();
            let shared = &shared;
            s.spawn(move |_| {
                let r = f(shared);
                let _ = tx.send(r);
            });
            loop {
                match rx.recv_timeout(POLL) {
                    Ok(r) => break Some(r),
                    Err(RecvTimeoutError::Timeout) => report(&mut python_error, &mut reported),
                    Err(RecvTimeoutError::Disconnected) => break None,
                }
            }
        })
    });
    let r = outcome.ok_or_else(|| {
        PyRuntimeError::new_err("the computation's thread ended without a result")
    })?;
    if r.is_ok() && python_error.is_none() {
        // The last fraction (1 when the run reported its end).
        report(&mut python_error, &mut reported);
    }
    match (r, python_error) {
        (_, Some(e)) => Err(e),
        (r, None) => r.map_err(py_err),
    }
}

// ---------------------------------------------------------------------------------------------
// Theory

#[pyfunction]
fn balanced_limit(py: Python<'_>, p: &Bound<'_, PyAny>) -> PyResult<String> {
    let p = params_of(p)?;
    let r = py
        .detach(|| api::theory::balanced_limit(&p))
        .map_err(py_err)?;
    json(&r)
}

fn complex_array<'py>(
    py: Python<'py>,
    z: &[theory::Complex<f64>],
) -> Bound<'py, PyArray1<Complex64>> {
    z.iter()
        .map(|c| Complex64::new(c.re, c.im))
        .collect::<Vec<_>>()
        .into_pyarray(py)
}

/// The fixed point's JSON, its homogeneous eigenvalues and outliers, and x_E of every solution.
type FixedPointOut<'py> = (
    String,
    Bound<'py, PyArray1<Complex64>>,
    Bound<'py, PyArray1<Complex64>>,
    Vec<f64>,
);

#[pyfunction]
fn fixed_point<'py>(py: Python<'py>, p: &Bound<'py, PyAny>) -> PyResult<FixedPointOut<'py>> {
    let p = params_of(p)?;
    let r = py.detach(|| api::theory::fixed_point(&p)).map_err(py_err)?;
    Ok((
        json(&r)?,
        complex_array(py, &r.hom_eigenvalues),
        complex_array(py, &r.outliers),
        r.solutions.clone(),
    ))
}

#[pyfunction]
#[pyo3(signature = (p, j_min = 1e-3, j_max = 20.0))]
fn critical_coupling(
    py: Python<'_>,
    p: &Bound<'_, PyAny>,
    j_min: f64,
    j_max: f64,
) -> PyResult<f64> {
    let p = params_of(p)?;
    let search = api::theory::jc_search(j_min, j_max).map_err(py_err)?;
    py.detach(|| api::theory::critical_coupling(&p, &search))
        .map_err(py_err)
}

/// The parameters at element k of broadcast columns.
fn column_params(base: Params, names: &[String], cols: &[Vec<f64>], k: usize) -> Params {
    let mut p = base;
    for (name, col) in names.iter().zip(cols) {
        let v = col[k];
        match name.as_str() {
            "n" => p.n = v,
            "j0" => p.j0 = v,
            "i0" => p.i0 = v,
            "g_e" => p.g_e = v,
            "g_i" => p.g_i = v,
            "c_e" => p.c_e = v,
            "c_i" => p.c_i = v,
            "j_e" => p.j_e = v,
            "j_i" => p.j_i = v,
            "u" => p.u = v,
            "tau_d" => p.tau_d = v,
            "f" => p.f = v,
            "tau_syn" => p.tau_syn = v,
            _ => p.transfer = Transfer::Lif { tau_m: v },
        }
    }
    p
}

/// J_c at every element of broadcast parameter columns (in parallel; NaN where there is no
/// crossing). Every element is validated first.
#[pyfunction]
#[pyo3(signature = (p, names, cols, j_min = 1e-3, j_max = 20.0))]
fn critical_coupling_many<'py>(
    py: Python<'py>,
    p: &Bound<'py, PyAny>,
    names: Vec<String>,
    cols: Vec<PyReadonlyArray1<'py, f64>>,
    j_min: f64,
    j_max: f64,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    let base = params_of(p)?;
    let numeric = [
        "n", "j0", "i0", "g_e", "g_i", "c_e", "c_i", "j_e", "j_i", "u", "tau_d", "f", "tau_syn",
        "tau_m",
    ];
    if let Some(bad) = names.iter().find(|n| !numeric.contains(&n.as_str())) {
        return Err(input(format!(
            "parameter '{bad}' cannot be an array: valid are {}",
            numeric.join(", ")
        )));
    }
    let cols: Vec<Vec<f64>> = cols.iter().map(|c| c.as_array().to_vec()).collect();
    let len = cols.first().map_or(1, Vec::len);
    if cols.iter().any(|c| c.len() != len) {
        return Err(input(
            "parameter arrays must have one length (broadcast them)".into(),
        ));
    }
    let search = api::theory::jc_search(j_min, j_max).map_err(py_err)?;
    for k in 0..len {
        let q = column_params(base, &names, &cols, k);
        if q.n.is_finite() {
            q.validate_finite()
        } else {
            q.validate()
        }
        .map_err(|e| input(e.to_string()))?;
    }
    let out: Vec<f64> = py.detach(|| {
        (0..len)
            .into_par_iter()
            .map(|k| {
                let q = column_params(base, &names, &cols, k);
                api::theory::critical_coupling(&q, &search).unwrap_or(f64::NAN)
            })
            .collect()
    });
    Ok(out.into_pyarray(py))
}

#[pyfunction]
#[pyo3(signature = (p, branch = "heterogeneous"))]
fn het_fixed_point(py: Python<'_>, p: &Bound<'_, PyAny>, branch: &str) -> PyResult<String> {
    let p = params_of(p)?;
    let b = match branch {
        "heterogeneous" => Branch::Heterogeneous,
        "homogeneous" => Branch::Homogeneous,
        _ => {
            return Err(input(format!(
                "invalid branch = '{branch}': valid values are 'heterogeneous' and 'homogeneous'"
            )));
        }
    };
    let r = py
        .detach(|| api::theory::het_fixed_point(&p, b))
        .map_err(py_err)?;
    json(&r)
}

#[pyfunction]
fn scan<'py>(
    py: Python<'py>,
    p: &Bound<'py, PyAny>,
    x: (String, Vec<f64>),
    y: (String, Vec<f64>),
    quantities: Vec<String>,
) -> PyResult<(String, Bound<'py, PyArray2<f64>>)> {
    let p = params_of(p)?;
    let (x, y) = (
        api::theory::Axis {
            name: x.0,
            values: x.1,
        },
        api::theory::Axis {
            name: y.0,
            values: y.1,
        },
    );
    let r = py
        .detach(|| api::theory::scan(&p, &x, &y, &quantities))
        .map_err(py_err)?;
    let grid =
        numpy::ndarray::Array2::from_shape_fn((r.points.len(), r.quantities.len()), |(k, q)| {
            r.values[k][q]
        });
    Ok((json(&r)?, PyArray2::from_owned_array(py, grid)))
}

#[pyfunction]
fn report(py: Python<'_>, p: &Bound<'_, PyAny>) -> PyResult<String> {
    let p = params_of(p)?;
    let r = py.detach(|| api::theory::report(&p)).map_err(py_err)?;
    json(&r)
}

/// The Ricciardi rate and its derivatives at every element of equal-length arrays.
#[pyfunction]
#[allow(clippy::too_many_arguments, clippy::type_complexity)]
fn ricciardi_many<'py>(
    py: Python<'py>,
    mu: PyReadonlyArray1<'py, f64>,
    sigma: PyReadonlyArray1<'py, f64>,
    tau: PyReadonlyArray1<'py, f64>,
    theta: PyReadonlyArray1<'py, f64>,
    v_r: PyReadonlyArray1<'py, f64>,
    tau_ref: PyReadonlyArray1<'py, f64>,
    convention: &str,
) -> PyResult<(
    Bound<'py, PyArray1<f64>>,
    Bound<'py, PyArray1<f64>>,
    Bound<'py, PyArray1<f64>>,
)> {
    let conv = match convention {
        "balnet" => api::ssn::Convention::Balnet,
        "nest" => api::ssn::Convention::Nest,
        _ => {
            return Err(input(format!(
                "invalid convention = '{convention}': valid values are 'balnet' and 'nest'"
            )));
        }
    };
    let cols: Vec<Vec<f64>> = [&mu, &sigma, &tau, &theta, &v_r, &tau_ref]
        .iter()
        .map(|a| a.as_array().to_vec())
        .collect();
    let len = cols[0].len();
    if cols.iter().any(|c| c.len() != len) {
        return Err(input(
            "ricciardi: arrays must have one length (broadcast them)".into(),
        ));
    }
    let at = |k: usize| {
        let neuron = theory::ssn::ricciardi::Neuron {
            tau: cols[2][k],
            theta: cols[3][k],
            v_r: cols[4][k],
            tau_ref: cols[5][k],
        };
        api::ssn::ricciardi(cols[0][k], cols[1][k], neuron, conv)
    };
    let rows: Vec<Result<api::ssn::Ricciardi, Error>> =
        py.detach(|| (0..len).into_par_iter().map(at).collect());
    let mut out = (
        Vec::with_capacity(len),
        Vec::with_capacity(len),
        Vec::with_capacity(len),
    );
    for r in rows {
        let r = r.map_err(py_err)?;
        out.0.push(r.rate);
        out.1.push(r.drate_dmu);
        out.2.push(r.drate_dsigma);
    }
    Ok((
        out.0.into_pyarray(py),
        out.1.into_pyarray(py),
        out.2.into_pyarray(py),
    ))
}

// ---------------------------------------------------------------------------------------------
// Networks

/// Where a simulation's network comes from: generated (params, seed, in-degrees, autapses) or
/// read from `network` (an exported directory; then params only change the non-structural
/// parameters given in `overrides`).
struct NetArgs {
    params: Params,
    seed: Option<u64>,
    in_degrees: Option<(usize, usize)>,
    autapses: bool,
    dir: Option<PathBuf>,
    /// Keywords given explicitly (applied over a loaded network's stored parameters).
    overrides: Vec<(String, f64)>,
}

fn net_args(
    p: &Bound<'_, PyAny>,
    seed: Option<u64>,
    k_e: Option<usize>,
    k_i: Option<usize>,
    autapses: bool,
    network: Option<PathBuf>,
    overrides: Option<Vec<(String, f64)>>,
) -> PyResult<NetArgs> {
    let in_degrees = match (k_e, k_i) {
        (Some(a), Some(b)) if a >= 1 && b >= 1 => Some((a, b)),
        (None, None) => None,
        _ => {
            return Err(input(
                "invalid k_e, k_i: give both, each a whole number >= 1 (the sparse variant)".into(),
            ));
        }
    };
    Ok(NetArgs {
        params: params_of(p)?,
        seed,
        in_degrees,
        autapses,
        dir: network,
        overrides: overrides.unwrap_or_default(),
    })
}

/// Build the network (generated or loaded) and the seed of the initial state.
fn build(a: &NetArgs, model_defaults: Params) -> Result<(RateNetwork, u64), Error> {
    match &a.dir {
        Some(dir) => {
            let overrides = &a.overrides;
            let loaded = api::network::load(
                dir,
                model_defaults,
                |mut p| {
                    for (k, v) in overrides {
                        p = overlay(p, k, *v)?;
                    }
                    p.validate()?;
                    Ok(p)
                },
                a.seed,
            )?;
            Ok((loaded.net, loaded.seed))
        }
        None => {
            let mut spec = api::network::NetworkSpec::new(a.params, a.seed.unwrap_or(1));
            spec.in_degrees = a.in_degrees;
            spec.autapses = a.autapses;
            let seed = spec.seed;
            Ok((api::network::generate(&spec)?, seed))
        }
    }
}

/// One non-structural parameter changed on a loaded network.
fn overlay(mut p: Params, k: &str, v: f64) -> Result<Params, Error> {
    match k {
        "j0" => p.j0 = v,
        "i0" => p.i0 = v,
        "g_e" => p.g_e = v,
        "g_i" => p.g_i = v,
        "j_e" => p.j_e = v,
        "j_i" => p.j_i = v,
        "u" => p.u = v,
        "tau_d" => p.tau_d = v,
        "tau_syn" => p.tau_syn = v,
        "tau_m" => p.transfer = Transfer::Lif { tau_m: v },
        _ => {
            return Err(Error::Input(format!(
                "{k} cannot be changed on a loaded network: the network directory fixes the structure"
            )));
        }
    }
    Ok(p)
}

type BlockArrays<'py> = (String, usize, usize, usize, f64, Bound<'py, PyArray1<u32>>);

/// The four blocks of a network: (name, rows, cols, in-degree, weight, column indices of
/// every row in order), rows postsynaptic, columns presynaptic, as `export-network` writes.
fn blocks<'py>(py: Python<'py>, net: &RateNetwork) -> PyResult<Vec<BlockArrays<'py>>> {
    let meta = sim::network_file::NetworkMeta::of(net);
    let mut out = Vec::new();
    for (b, bm, name) in [
        (Block::EE, &meta.ee, "ee"),
        (Block::EI, &meta.ei, "ei"),
        (Block::IE, &meta.ie, "ie"),
        (Block::II, &meta.ii, "ii"),
    ] {
        let ix = net.conn.block(b);
        let (rows, cols, k) = b.shape(&net.conn.sizes);
        let idx: Vec<u32> = (0..rows * k).map(|j| ix.get(j) as u32).collect();
        out.push((
            name.to_string(),
            rows,
            cols,
            k,
            bm.weight,
            idx.into_pyarray(py),
        ));
    }
    Ok(out)
}

#[pyfunction]
#[pyo3(signature = (p, seed = None, k_e = None, k_i = None, autapses = true, network = None, overrides = None))]
#[allow(clippy::too_many_arguments)]
fn network<'py>(
    py: Python<'py>,
    p: &Bound<'py, PyAny>,
    seed: Option<u64>,
    k_e: Option<usize>,
    k_i: Option<usize>,
    autapses: bool,
    network: Option<PathBuf>,
    overrides: Option<Vec<(String, f64)>>,
) -> PyResult<(String, Vec<BlockArrays<'py>>)> {
    let a = net_args(p, seed, k_e, k_i, autapses, network, overrides)?;
    let defaults = a.params;
    let (net, seed) = py.detach(|| build(&a, defaults)).map_err(py_err)?;
    let mut meta = sim::network_file::NetworkMeta::of(&net);
    meta.seed = seed;
    Ok((json(&meta)?, blocks(py, &net)?))
}

/// Write the network (Matrix Market blocks and network.json) to `out`, as
/// `balnet export-network` does.
#[pyfunction]
#[pyo3(signature = (p, out, seed = None, k_e = None, k_i = None, autapses = true))]
fn export_network(
    py: Python<'_>,
    p: &Bound<'_, PyAny>,
    out: PathBuf,
    seed: Option<u64>,
    k_e: Option<usize>,
    k_i: Option<usize>,
    autapses: bool,
) -> PyResult<String> {
    let a = net_args(p, seed, k_e, k_i, autapses, None, None)?;
    let defaults = a.params;
    let e = py
        .detach(|| {
            let (net, seed) = build(&a, defaults)?;
            api::network::export(&net, seed, &out)
        })
        .map_err(py_err)?;
    json(&e)
}

// ---------------------------------------------------------------------------------------------
// Simulations

fn method(m: &str) -> PyResult<Method> {
    match m {
        "euler" => Ok(Method::Euler),
        "heun" => Ok(Method::Heun),
        "rk4" => Ok(Method::Rk4),
        _ => Err(input(format!(
            "invalid method = '{m}': valid values are 'euler', 'heun' and 'rk4'"
        ))),
    }
}

fn f64_array<'py>(py: Python<'py>, v: &[f64]) -> Bound<'py, PyArray1<f64>> {
    v.to_vec().into_pyarray(py)
}

/// Recorded traces as an array of shape (neurons, samples, 3).
fn trace_array<'py>(py: Python<'py>, data: &[Vec<[f64; 3]>]) -> Bound<'py, numpy::PyArray3<f64>> {
    let m = data.first().map_or(0, Vec::len);
    let a = numpy::ndarray::Array3::from_shape_fn((data.len(), m, 3), |(k, j, c)| data[k][j][c]);
    numpy::PyArray3::from_owned_array(py, a)
}

#[pyfunction]
#[pyo3(signature = (p, seed = None, k_e = None, k_i = None, autapses = true, network = None,
    overrides = None, dt = 0.05, t = 200.0, transient = 100.0, method = "euler",
    traces = None, init = None, checkpoint = None, checkpoint_every = None, progress = None))]
#[allow(clippy::too_many_arguments)]
fn simulate_rate<'py>(
    py: Python<'py>,
    p: &Bound<'py, PyAny>,
    seed: Option<u64>,
    k_e: Option<usize>,
    k_i: Option<usize>,
    autapses: bool,
    network: Option<PathBuf>,
    overrides: Option<Vec<(String, f64)>>,
    dt: f64,
    t: f64,
    transient: f64,
    method: &str,
    traces: Option<Vec<usize>>,
    init: Option<PyReadonlyArray1<'py, f64>>,
    checkpoint: Option<PathBuf>,
    checkpoint_every: Option<f64>,
    progress: Option<Py<PyAny>>,
) -> PyResult<(String, Bound<'py, PyDict>)> {
    let a = net_args(p, seed, k_e, k_i, autapses, network, overrides)?;
    let settings = api::rate::RateSettings {
        dt,
        t,
        transient,
        method: self::method(method)?,
        traces: traces.unwrap_or_default(),
        init: init.map(|y| y.as_array().to_vec()),
        checkpoints: Checkpoints {
            path: checkpoint,
            every: checkpoint_every,
        },
    };
    let defaults = Params::default();
    let (sim, n_e) = controlled(py, progress, |c| {
        let (net, seed) = build(&a, defaults)?;
        Ok((
            api::rate::simulate_rate(&net, seed, &settings, c)?,
            net.n_e(),
        ))
    })?;
    let arrays = PyDict::new(py);
    let s = &sim.summary;
    arrays.set_item("acf_e", f64_array(py, &s.acf_e))?;
    arrays.set_item("acf_i", f64_array(py, &s.acf_i))?;
    arrays.set_item("lag_dt", s.lag_dt)?;
    arrays.set_item("state", f64_array(py, &sim.run.y))?;
    arrays.set_item("n_e", n_e)?;
    let acc = &sim.run.acc;
    arrays.set_item("trace_t", f64_array(py, &acc.trace_t))?;
    arrays.set_item("trace_neurons", sim.run.spec.observe.traces.clone())?;
    arrays.set_item("trace_data", trace_array(py, &acc.trace_data))?;
    Ok((json(&sim)?, arrays))
}

#[pyfunction]
#[pyo3(signature = (p, seed = None, k_e = None, k_i = None, autapses = true, network = None,
    overrides = None, dt = 1e-3, t = 200.0, transient = 100.0, integrator = "euler", tau_ref = 0.0,
    raster = false, traces = None, cv_windows = None, checkpoint = None, checkpoint_every = None,
    progress = None))]
#[allow(clippy::too_many_arguments)]
fn simulate_lif<'py>(
    py: Python<'py>,
    p: &Bound<'py, PyAny>,
    seed: Option<u64>,
    k_e: Option<usize>,
    k_i: Option<usize>,
    autapses: bool,
    network: Option<PathBuf>,
    overrides: Option<Vec<(String, f64)>>,
    dt: f64,
    t: f64,
    transient: f64,
    integrator: &str,
    tau_ref: f64,
    raster: bool,
    traces: Option<Vec<usize>>,
    cv_windows: Option<Vec<f64>>,
    checkpoint: Option<PathBuf>,
    checkpoint_every: Option<f64>,
    progress: Option<Py<PyAny>>,
) -> PyResult<(String, Bound<'py, PyDict>)> {
    let a = net_args(p, seed, k_e, k_i, autapses, network, overrides)?;
    let settings = api::lif::LifSettings {
        dt,
        t,
        transient,
        integrator: match integrator {
            "euler" => LifIntegrator::Euler,
            "exact" => LifIntegrator::Exact,
            _ => {
                return Err(input(format!(
                    "invalid integrator = '{integrator}': valid values are 'euler' and 'exact'"
                )));
            }
        },
        tau_ref,
        raster,
        traces: traces.unwrap_or_default(),
        cv_windows: cv_windows.unwrap_or_default(),
        checkpoints: Checkpoints {
            path: checkpoint,
            every: checkpoint_every,
        },
    };
    let defaults = Params::lif_paper();
    let (sim, n_e) = controlled(py, progress, |c| {
        let (rate_net, seed) = build(&a, defaults)?;
        let params = rate_net.params;
        let net = LifNetwork::new(rate_net.conn, params)?;
        Ok((api::lif::simulate_lif(&net, seed, &settings, c)?, net.n_e()))
    })?;
    let arrays = PyDict::new(py);
    let s = &sim.summary;
    arrays.set_item("acf_e", f64_array(py, &s.acf_e))?;
    arrays.set_item("acf_i", f64_array(py, &s.acf_i))?;
    arrays.set_item("lag_dt", s.lag_dt)?;
    arrays.set_item("rates", f64_array(py, &s.rates))?;
    let cvs: Vec<f64> = s.cvs.iter().map(|c| c.unwrap_or(f64::NAN)).collect();
    arrays.set_item("cvs", cvs.into_pyarray(py))?;
    let (ids, times): (Vec<u32>, Vec<f64>) = sim.run.raster().into_iter().unzip();
    arrays.set_item("spike_ids", ids.into_pyarray(py))?;
    arrays.set_item("spike_times", times.into_pyarray(py))?;
    let bin_t = sim.run.spec.observe.sample_every as f64 * sim.run.spec.dt;
    let n_i = (sim.n - n_e) as f64;
    let (re, ri): (Vec<f64>, Vec<f64>) = sim
        .run
        .bins()
        .iter()
        .map(|[e, i]| (*e as f64 / (n_e as f64 * bin_t), *i as f64 / (n_i * bin_t)))
        .unzip();
    let bt: Vec<f64> = (0..re.len())
        .map(|k| sim.run.spec.transient + (k + 1) as f64 * bin_t)
        .collect();
    arrays.set_item("population_t", bt.into_pyarray(py))?;
    arrays.set_item("population_rate_e", re.into_pyarray(py))?;
    arrays.set_item("population_rate_i", ri.into_pyarray(py))?;
    arrays.set_item("n_e", n_e)?;
    let (trace_t, trace_data) = sim.run.traces();
    arrays.set_item("trace_t", f64_array(py, &trace_t))?;
    arrays.set_item("trace_neurons", sim.run.spec.observe.traces.clone())?;
    arrays.set_item("trace_data", trace_array(py, &trace_data))?;
    Ok((json(&sim)?, arrays))
}

#[pyfunction]
#[pyo3(signature = (p, seed = None, k_e = None, k_i = None, autapses = true, network = None,
    overrides = None, k = 2, t = 1000.0, transient = 100.0, dt = 0.05, t_ort = 100.0,
    zero_tol = 5e-3, progress = None))]
#[allow(clippy::too_many_arguments)]
fn lyapunov(
    py: Python<'_>,
    p: &Bound<'_, PyAny>,
    seed: Option<u64>,
    k_e: Option<usize>,
    k_i: Option<usize>,
    autapses: bool,
    network: Option<PathBuf>,
    overrides: Option<Vec<(String, f64)>>,
    k: usize,
    t: f64,
    transient: f64,
    dt: f64,
    t_ort: f64,
    zero_tol: f64,
    progress: Option<Py<PyAny>>,
) -> PyResult<String> {
    let a = net_args(p, seed, k_e, k_i, autapses, network, overrides)?;
    let spec = LyapunovSpec {
        k,
        dt,
        t,
        transient,
        t_ort,
        zero_tol,
    };
    let defaults = Params::default();
    let r = controlled(py, progress, |c| {
        let (net, seed) = build(&a, defaults)?;
        api::rate::lyapunov(&net, seed, &spec, c)
    })?;
    json(&r)
}

#[pyfunction]
#[pyo3(signature = (p, seed = None, k_e = None, k_i = None, autapses = true, network = None,
    overrides = None, dt = 0.05, t = 300.0, transient = 500.0, method = "euler",
    sample_dt = 0.5, progress = None))]
#[allow(clippy::too_many_arguments)]
fn correlations(
    py: Python<'_>,
    p: &Bound<'_, PyAny>,
    seed: Option<u64>,
    k_e: Option<usize>,
    k_i: Option<usize>,
    autapses: bool,
    network: Option<PathBuf>,
    overrides: Option<Vec<(String, f64)>>,
    dt: f64,
    t: f64,
    transient: f64,
    method: &str,
    sample_dt: f64,
    progress: Option<Py<PyAny>>,
) -> PyResult<String> {
    let a = net_args(p, seed, k_e, k_i, autapses, network, overrides)?;
    let mut settings = api::rate::RateSettings::new(t, transient);
    settings.dt = dt;
    settings.method = self::method(method)?;
    let defaults = Params::default();
    let r = controlled(py, progress, |c| {
        let (net, seed) = build(&a, defaults)?;
        api::rate::correlations(&net, seed, &settings, sample_dt, c)
    })?;
    json(&r)
}

#[pyfunction]
#[pyo3(signature = (p, seed = None, k_e = None, k_i = None, autapses = true, network = None,
    overrides = None))]
#[allow(clippy::too_many_arguments)]
fn spectrum<'py>(
    py: Python<'py>,
    p: &Bound<'py, PyAny>,
    seed: Option<u64>,
    k_e: Option<usize>,
    k_i: Option<usize>,
    autapses: bool,
    network: Option<PathBuf>,
    overrides: Option<Vec<(String, f64)>>,
) -> PyResult<(String, Bound<'py, PyArray1<Complex64>>, f64)> {
    let a = net_args(p, seed, k_e, k_i, autapses, network, overrides)?;
    let defaults = Params::default();
    let s = py
        .detach(|| {
            let (net, _) = build(&a, defaults)?;
            api::rate::spectrum(&net)
        })
        .map_err(py_err)?;
    Ok((json(&s)?, complex_array(py, &s.eigenvalues), s.bulk_max_re))
}

// ---------------------------------------------------------------------------------------------
// Dynamic mean-field theory

/// The DMF at `p`; not converged raises ComputationError carrying the solution's JSON.
#[pyfunction]
#[pyo3(signature = (p, dt = 0.06, modes = 16384, realizations = 16, chains = 4,
    max_chains = 16, target = 0.01, average_iterations = 8, max_iterations = 300, seed = 1,
    progress = None))]
#[allow(clippy::too_many_arguments)]
fn dmf<'py>(
    py: Python<'py>,
    p: &Bound<'py, PyAny>,
    dt: f64,
    modes: usize,
    realizations: usize,
    chains: usize,
    max_chains: usize,
    target: f64,
    average_iterations: usize,
    max_iterations: usize,
    seed: u64,
    progress: Option<Py<PyAny>>,
) -> PyResult<(String, Bound<'py, PyDict>)> {
    let p = params_of(p)?;
    let opts = theory::dmf::DmfOptions {
        dt,
        modes,
        realizations,
        chains,
        max_chains,
        target_rel_stderr: target,
        average_iterations,
        max_iterations,
        seed,
        ..theory::dmf::DmfOptions::default()
    };
    let d = controlled(py, progress, |c| {
        // Approximate fraction done: iterations over the most the chains may take.
        let most = (max_iterations * max_chains).max(1) as f64;
        let mut seen = 0usize;
        api::dmf::dmf(&p, &opts, |_| {
            seen += 1;
            c.progress((seen as f64 / most).min(0.99))
        })
    })?;
    let text = json(&d)?;
    if !d.solution.converged {
        let err = ComputationError::new_err(api::dmf::not_converged(&d, &opts));
        let v = err.value(py);
        v.setattr("iterations", d.solution.iterations)?;
        v.setattr(
            "residual",
            d.solution.stderr.delta0_e / d.solution.values.delta0_e,
        )?;
        v.setattr("result", text)?;
        return Err(err);
    }
    let c = &d.solution.curves;
    let arrays = PyDict::new(py);
    arrays.set_item("lag_dt", c.lag_dt)?;
    arrays.set_item("delta_e", f64_array(py, &c.delta_e))?;
    arrays.set_item("delta_i", f64_array(py, &c.delta_i))?;
    arrays.set_item("omega", f64_array(py, &c.omega))?;
    arrays.set_item("s_e", f64_array(py, &c.s_e))?;
    arrays.set_item("s_i", f64_array(py, &c.s_i))?;
    arrays.set_item("history", json(&d.solution.history)?)?;
    Ok((text, arrays))
}

// ---------------------------------------------------------------------------------------------
// Paper 004: SSN

fn neuron(tau: f64, theta: f64, v_r: f64, tau_ref: f64) -> theory::ssn::ricciardi::Neuron {
    theory::ssn::ricciardi::Neuron {
        tau,
        theta,
        v_r,
        tau_ref,
    }
}

/// A network file given by its path or its TOML text.
fn ssn_file(path: Option<PathBuf>, text: Option<String>) -> PyResult<api::ssn::NetworkFile> {
    match (path, text) {
        (Some(p), _) => api::ssn::read_network(&p).map_err(py_err),
        (None, Some(t)) => api::ssn::parse_network(&t, "network").map_err(py_err),
        (None, None) => Err(input("give a network file (path) or its TOML text".into())),
    }
}

#[pyfunction]
#[pyo3(signature = (sigma, tau = 0.02, theta = 20.0, v_r = 10.0, tau_ref = 0.0, max_rate = 10.0))]
fn ssn_fit(
    py: Python<'_>,
    sigma: f64,
    tau: f64,
    theta: f64,
    v_r: f64,
    tau_ref: f64,
    max_rate: f64,
) -> PyResult<String> {
    let n = neuron(tau, theta, v_r, tau_ref);
    let f = py
        .detach(|| api::ssn::fit(n, sigma, max_rate))
        .map_err(py_err)?;
    json(&f)
}

#[pyfunction]
#[pyo3(signature = (mu_ext, r, path = None, text = None))]
fn ssn_steady_states(
    py: Python<'_>,
    mu_ext: f64,
    r: f64,
    path: Option<PathBuf>,
    text: Option<String>,
) -> PyResult<String> {
    let file = ssn_file(path, text)?;
    let s = py
        .detach(|| api::ssn::steady_states(&file, mu_ext, r))
        .map_err(py_err)?;
    json(&s)
}

#[pyfunction]
#[pyo3(signature = (mu_ext, r, path = None, text = None))]
fn ssn_scan(
    py: Python<'_>,
    mu_ext: Vec<f64>,
    r: Vec<f64>,
    path: Option<PathBuf>,
    text: Option<String>,
) -> PyResult<String> {
    let file = ssn_file(path, text)?;
    let s = py
        .detach(|| api::ssn::scan(&file.ssn, &mu_ext, &r))
        .map_err(py_err)?;
    json(&s)
}

#[pyfunction]
#[pyo3(signature = (mu_ext, r, path = None, text = None, t = 2.0, transient = 0.5, dt = 1e-4,
    seed = 1, n = None, progress = None))]
#[allow(clippy::too_many_arguments)]
fn simulate_lif_ssn(
    py: Python<'_>,
    mu_ext: f64,
    r: f64,
    path: Option<PathBuf>,
    text: Option<String>,
    t: f64,
    transient: f64,
    dt: f64,
    seed: u64,
    n: Option<usize>,
    progress: Option<Py<PyAny>>,
) -> PyResult<String> {
    let file = ssn_file(path, text)?;
    let settings = api::ssn::LifSsnSettings {
        t,
        transient,
        dt,
        seed,
        n,
    };
    let x = controlled(py, progress, |c| {
        api::ssn::simulate_lif_ssn(&file, mu_ext, r, &settings, c)
    })?;
    json(&x)
}

/// Set the number of worker threads (the command line's `--threads`); results do not depend
/// on it. Only before the first parallel computation of the process.
#[pyfunction]
fn set_threads(n: usize) -> PyResult<()> {
    api::check_threads(n).map_err(py_err)?;
    rayon::ThreadPoolBuilder::new()
        .num_threads(n)
        .build_global()
        .map_err(|_| {
            PyRuntimeError::new_err(format!(
                "set_threads({n}): the worker threads are already running ({}); call it before \
                 the first computation",
                rayon::current_num_threads()
            ))
        })
}

// ---------------------------------------------------------------------------------------------
// The oracle

/// Check a simulator's statistics (`text`: a balnet-check/1 JSON document; `path`: its file,
/// against which a relative `network` is resolved).
#[pyfunction]
#[pyo3(signature = (text = None, path = None, realizations = 8, max_realizations = 32,
    dmf = false, cache_dir = None, no_cache = false))]
#[allow(clippy::too_many_arguments)]
fn check(
    py: Python<'_>,
    text: Option<String>,
    path: Option<PathBuf>,
    realizations: usize,
    max_realizations: usize,
    dmf: bool,
    cache_dir: Option<PathBuf>,
    no_cache: bool,
) -> PyResult<String> {
    let file = match (text, path) {
        (_, Some(p)) => verify::check::read(&p).map_err(py_err)?,
        (Some(t), None) => {
            serde_json::from_str(&t).map_err(|e| input(format!("check file: {e}")))?
        }
        (None, None) => return Err(input("check: give the statistics or a path".into())),
    };
    verify::check::validate(&file).map_err(py_err)?;
    let opt = verify::check::CheckOptions {
        realizations,
        max_realizations,
        dmf,
        cache: if no_cache {
            None
        } else {
            cache_dir.or_else(verify::check::cache::default_dir)
        },
    };
    let r = py
        .detach(|| verify::check::check(&file, &opt))
        .map_err(py_err)?;
    json(&r)
}

/// Run the golden cases (built-in files, or those of `golden`).
#[pyfunction]
#[pyo3(signature = (full = false, only = None, golden = None))]
fn verify_cases(
    py: Python<'_>,
    full: bool,
    only: Option<String>,
    golden: Option<PathBuf>,
) -> PyResult<String> {
    let r = py
        .detach(|| {
            let files = match &golden {
                Some(d) => verify::golden::load_dir(d)?,
                None => verify::golden::builtin()?,
            };
            verify::golden::run_cases(
                &files,
                &verify::golden::Selection { full, only },
                |_, _, _| {},
            )
        })
        .map_err(py_err)?;
    json(&r)
}

// ---------------------------------------------------------------------------------------------
// Sweeps (Fig. 13, S2 Appendix)

#[pyfunction]
#[pyo3(signature = (p, out, j0s, ns = None, realizations = 1, shard = "0/1", seed = None,
    k_e = None, k_i = None, autapses = true, network = None, overrides = None, k = 1,
    t = 1000.0, transient = 100.0, dt = 0.05, t_ort = 100.0, zero_tol = 5e-3, progress = None))]
#[allow(clippy::too_many_arguments)]
fn sweep_lyapunov(
    py: Python<'_>,
    p: &Bound<'_, PyAny>,
    out: PathBuf,
    j0s: Vec<f64>,
    ns: Option<Vec<f64>>,
    realizations: u64,
    shard: &str,
    seed: Option<u64>,
    k_e: Option<usize>,
    k_i: Option<usize>,
    autapses: bool,
    network: Option<PathBuf>,
    overrides: Option<Vec<(String, f64)>>,
    k: usize,
    t: f64,
    transient: f64,
    dt: f64,
    t_ort: f64,
    zero_tol: f64,
    progress: Option<Py<PyAny>>,
) -> PyResult<String> {
    let shard = api::sweep::Shard::parse(shard).map_err(py_err)?;
    let a = net_args(p, seed, k_e, k_i, autapses, network, overrides)?;
    if ns.is_some() && a.dir.is_some() {
        return Err(input(
            "invalid ns: cannot be combined with network (the directory fixes N)".into(),
        ));
    }
    let spec = LyapunovSpec {
        k,
        dt,
        t,
        transient,
        t_ort,
        zero_tol,
    };
    let report = controlled_shared(py, progress, |shared| {
        // The base network validates the parameters once and gives the base seed.
        let (base, seed) = build(&a, Params::default())?;
        spec.validate(base.dim())?;
        let ns = match ns {
            Some(v) => v.into_iter().map(f64::round).collect(),
            None => vec![base.params.n],
        };
        let manifest = api::sweep::Manifest::new(
            base.params,
            ns,
            j0s,
            realizations,
            seed,
            a.in_degrees,
            a.autapses,
            a.dir.clone(),
            spec,
        )?;
        api::sweep::run_shard(&manifest, &out, shard, |_, _, _| {}, &|done, total| {
            shared
                .done
                .store((done as f64 / total as f64).to_bits(), Ordering::Relaxed);
            if shared.stop.load(Ordering::Relaxed) {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        })
    })?;
    json(&report)
}

/// The merged sweep's JSON and every point's line (JSON lines, point order).
#[pyfunction]
fn sweep_merge(py: Python<'_>, dir: PathBuf) -> PyResult<(String, String)> {
    let merged = py
        .detach(|| {
            let m = api::sweep::merge(&dir)?;
            api::sweep::write_merged(&dir, &m)?;
            Ok::<_, Error>(m)
        })
        .map_err(py_err)?;
    let lines = merged
        .lines
        .iter()
        .map(serde_json::to_string)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| PyRuntimeError::new_err(e.to_string()))?;
    Ok((json(&merged)?, lines.join("\n")))
}

/// The number of worker threads of the parallel loops (rayon's global pool).
#[pyfunction]
fn threads() -> usize {
    rayon::current_num_threads()
}

#[pymodule]
fn _balnet(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("ComputationError", m.py().get_type::<ComputationError>())?;
    m.add_class::<PyParams>()?;
    m.add("PARAM_NAMES", PARAM_NAMES.to_vec())?;
    m.add("VERSION", env!("CARGO_PKG_VERSION"))?;
    for f in [
        wrap_pyfunction!(balanced_limit, m)?,
        wrap_pyfunction!(fixed_point, m)?,
        wrap_pyfunction!(critical_coupling, m)?,
        wrap_pyfunction!(critical_coupling_many, m)?,
        wrap_pyfunction!(het_fixed_point, m)?,
        wrap_pyfunction!(scan, m)?,
        wrap_pyfunction!(report, m)?,
        wrap_pyfunction!(ricciardi_many, m)?,
        wrap_pyfunction!(network, m)?,
        wrap_pyfunction!(export_network, m)?,
        wrap_pyfunction!(simulate_rate, m)?,
        wrap_pyfunction!(simulate_lif, m)?,
        wrap_pyfunction!(lyapunov, m)?,
        wrap_pyfunction!(correlations, m)?,
        wrap_pyfunction!(spectrum, m)?,
        wrap_pyfunction!(check, m)?,
        wrap_pyfunction!(verify_cases, m)?,
        wrap_pyfunction!(threads, m)?,
        wrap_pyfunction!(set_threads, m)?,
        wrap_pyfunction!(dmf, m)?,
        wrap_pyfunction!(ssn_fit, m)?,
        wrap_pyfunction!(ssn_steady_states, m)?,
        wrap_pyfunction!(ssn_scan, m)?,
        wrap_pyfunction!(simulate_lif_ssn, m)?,
        wrap_pyfunction!(sweep_lyapunov, m)?,
        wrap_pyfunction!(sweep_merge, m)?,
    ] {
        m.add_function(f)?;
    }
    Ok(())
}
