"""balnet: exact theory, reference simulations and a verification oracle for balanced
excitatory-inhibitory networks (Angulo-Garcia & Torcini, arXiv 2510.17492; paper 004's
Ricciardi/SSN model).

Every function here is one call of balnet's Rust library, the same call the ``balnet``
command line makes: results carry the fields of the command's ``--json`` output, bit for bit,
as attributes (``to_dict()`` gives them as a dict), plus numpy arrays for what JSON does not
carry (ACFs, traces, rasters, eigenvalues).

Parameters are :class:`Params` (Table 1's defaults, the paper's symbols as keyword names) or
keywords given to any function: ``balnet.fixed_point(j0=0.5)`` is
``balnet.fixed_point(balnet.Params(j0=0.5))``.

Errors: invalid input raises ``ValueError`` naming the parameter and its valid range; a solver
without convergence, a search without a root or a diverging simulation raises
:class:`ComputationError` carrying its numbers; Ctrl-C stops a long call with
``KeyboardInterrupt`` (checked at least every 0.2 s) and leaves no partial file behind.
Long calls release the GIL, so two Python threads run two simulations at once.
"""

from __future__ import annotations

import json as _json
import os as _os
from typing import Any, Callable, Iterable, Mapping, Optional, Sequence, Union

import numpy as _np

from . import _balnet
from ._balnet import ComputationError, Params

__version__ = _balnet.VERSION

__all__ = [
    "Params",
    "ComputationError",
    "Result",
    "Network",
    "balanced_limit",
    "fixed_point",
    "critical_coupling",
    "het_fixed_point",
    "scan",
    "report",
    "ricciardi",
    "network",
    "export_network",
    "simulate_rate",
    "simulate_lif",
    "lyapunov",
    "correlations",
    "spectrum",
    "dmf",
    "ssn_fit",
    "ssn_steady_states",
    "ssn_scan",
    "simulate_lif_ssn",
    "check",
    "verify",
    "sweep_lyapunov",
    "sweep_merge",
    "set_threads",
]


def _params_from_dict(d: Mapping[str, Any]) -> Params:
    """Rebuild Params from ``Params.to_dict()`` (used by pickle)."""
    d = {k: v for k, v in d.items() if v is not None}
    return Params(**d)


class Result:
    """A frozen result. Attributes are the fields of the balnet command's JSON (``to_dict()``
    returns them as a dict, equal to ``json.loads`` of the command's ``--json`` output) and the
    numpy arrays of the call (``arrays()``)."""

    __slots__ = ("_kind", "_fields", "_arrays")

    def __init__(self, kind: str, fields: Mapping[str, Any], arrays: Optional[Mapping[str, Any]] = None):
        object.__setattr__(self, "_kind", kind)
        object.__setattr__(self, "_fields", dict(fields))
        object.__setattr__(self, "_arrays", dict(arrays or {}))

    def __getattr__(self, name: str) -> Any:
        fields = object.__getattribute__(self, "_fields")
        if name in fields:
            return fields[name]
        arrays = object.__getattribute__(self, "_arrays")
        if name in arrays:
            return arrays[name]
        raise AttributeError(f"{object.__getattribute__(self, '_kind')} has no attribute '{name}'")

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{self._kind} is frozen")

    def __getitem__(self, name: str) -> Any:
        return self.__getattr__(name)

    def __contains__(self, name: str) -> bool:
        return name in self._fields or name in self._arrays

    def __dir__(self) -> Iterable[str]:
        return sorted(set(self._fields) | set(self._arrays) | {"to_dict", "arrays"})

    def to_dict(self) -> dict:
        """The fields of the command's JSON (a deep copy)."""
        return _json.loads(_json.dumps(self._fields))

    def arrays(self) -> dict:
        """The numpy arrays of the call (ACFs, traces, raster, eigenvalues, ...)."""
        return dict(self._arrays)

    def __repr__(self) -> str:
        def short(v: Any) -> str:
            if isinstance(v, float):
                return f"{v:.6g}"
            if isinstance(v, (list, dict)) and len(v) > 4:
                return f"<{type(v).__name__} of {len(v)}>"
            return repr(v)

        parts = [f"{k}={short(v)}" for k, v in self._fields.items()]
        parts += [
            f"{k}=<array {v.shape}>" if isinstance(v, _np.ndarray) else f"{k}={short(v)}"
            for k, v in self._arrays.items()
        ]
        return f"{self._kind}({', '.join(parts)})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Result) and self._kind == other._kind and self._fields == other._fields

    __hash__ = None  # type: ignore[assignment]


def _params(params: Optional[Params], kw: Mapping[str, Any], model: str = "rate") -> Params:
    """``params`` with the keywords applied, or the model's defaults with them."""
    if params is None:
        return Params(model, **kw)
    if not isinstance(params, Params):
        raise TypeError(f"params must be balnet.Params, not {type(params).__name__}")
    return params.replace(**kw) if kw else params


# ---------------------------------------------------------------------------------------------
# Theory (paper 001)


def balanced_limit(params: Optional[Params] = None, **kw: Any) -> Result:
    """The N -> infinity rates phi_E, phi_I and depression w of the balanced state (Eq. 6).

    Fields: ``phi_e``, ``phi_i``, ``w``."""
    return Result("BalancedLimit", _json.loads(_balnet.balanced_limit(_params(params, kw))))


def fixed_point(params: Optional[Params] = None, **kw: Any) -> Result:
    """The homogeneous fixed point at finite N (Eq. 5) with its stability to homogeneous
    (Eqs. 14-18) and heterogeneous perturbations (Eqs. 23-29, Girko's disk).

    Fields: ``x_e, x_i, w, phi_e, phi_i, a_e, a_i, hom_eigenvalues, hom_stable,
    girko_radius, bulk_max_re, outliers, lambda_q, het_stable`` (eigenvalues as [re, im]
    pairs, as in the JSON). Arrays: ``hom_eigenvalues_complex``, ``outliers_complex``
    (complex128) and ``solutions`` (x_E of every fixed point found)."""
    text, hom, out, sols = _balnet.fixed_point(_params(params, kw))
    return Result(
        "FixedPoint",
        _json.loads(text),
        {"hom_eigenvalues_complex": hom, "outliers_complex": out, "solutions": _np.asarray(sols)},
    )


_NUMERIC = ("n", "j0", "i0", "g_e", "g_i", "c_e", "c_i", "j_e", "j_i", "u", "tau_d", "f", "tau_syn", "tau_m")


def _split_arrays(kw: Mapping[str, Any]):
    """Keywords with array values (broadcast together) and the scalar rest."""
    arrays = {k: v for k, v in kw.items() if k in _NUMERIC and _np.ndim(v) > 0}
    scalars = {k: v for k, v in kw.items() if k not in arrays}
    return arrays, scalars


def critical_coupling(
    params: Optional[Params] = None, *, j_min: float = 1e-3, j_max: float = 20.0, **kw: Any
) -> Union[float, _np.ndarray]:
    """J_c, where the Girko radius r(J0) = 1 (Eq. 30): a bisection on the heterogeneous branch
    at finite N, the closed form for ``n=inf``.

    Vectorised: array keywords are broadcast together and the result has their shape, e.g.
    ``critical_coupling(n=np.logspace(3, 12, 50))``; elements without a crossing in
    [j_min, j_max] are NaN (a scalar call raises ComputationError instead). Every element is
    validated first (ValueError)."""
    arrays, scalars = _split_arrays(kw)
    p = _params(params, scalars)
    if not arrays:
        return _balnet.critical_coupling(p, j_min, j_max)
    names = list(arrays)
    cols = _np.broadcast_arrays(*[_np.asarray(arrays[k], dtype=float) for k in names])
    shape = cols[0].shape
    flat = [_np.ascontiguousarray(c, dtype=float).ravel() for c in cols]
    return _balnet.critical_coupling_many(p, names, flat, j_min, j_max).reshape(shape)


def het_fixed_point(params: Optional[Params] = None, branch: str = "heterogeneous", **kw: Any) -> Result:
    """The heterogeneous fixed point of Eqs. 31-34: means ``mu_e, mu_i`` and variances
    ``delta0_e, delta0_i`` of the inputs, ``phi_e, phi_i, phi_w`` and the ``branch`` returned
    (below J_c only the homogeneous one exists)."""
    return Result("HetFixedPoint", _json.loads(_balnet.het_fixed_point(_params(params, kw), branch)))


def scan(
    x: tuple,
    y: tuple,
    quantities: Sequence[str] = ("phi_e",),
    params: Optional[Params] = None,
    **kw: Any,
) -> Result:
    """A grid over two of (n, j0, i0): ``x = ("j0", values)``, ``y = ("n", values)``.

    Quantities: phi_e, phi_i, w, x_e, x_i, a_e, a_i, hom_max_re, girko_radius, bulk_max_re,
    j_c. Fields as the JSON of ``balnet scan`` (``rows``); arrays: one grid per quantity of
    shape (len(y), len(x)) (NaN where the theory has no answer), and ``x_values``,
    ``y_values``."""
    if isinstance(quantities, str):
        quantities = [quantities]
    xs = [float(v) for v in _np.atleast_1d(x[1])]
    ys = [float(v) for v in _np.atleast_1d(y[1])]
    text, grid = _balnet.scan(_params(params, kw), (x[0], xs), (y[0], ys), list(quantities))
    arrays = {q: grid[:, k].reshape(len(ys), len(xs)) for k, q in enumerate(quantities)}
    arrays["x_values"] = _np.asarray(xs)
    arrays["y_values"] = _np.asarray(ys)
    return Result("Scan", _json.loads(text), arrays)


def report(params: Optional[Params] = None, **kw: Any) -> Result:
    """The headline numbers: the balanced limit, J_c for N = 1e4 .. 1e12 at I0 = 0, 0.5, 1, 2
    and for N = inf, and a fixed point (the JSON of ``balnet report``)."""
    return Result("Report", _json.loads(_balnet.report(_params(params, kw))))


def ricciardi(
    mu: Any,
    sigma: Any,
    tau: Any = 0.02,
    theta: Any = 20.0,
    v_r: Any = 10.0,
    tau_ref: Any = 0.0,
    convention: str = "balnet",
) -> Result:
    """The Ricciardi (Siegert) rate of a LIF neuron under white noise (paper 004) and its
    derivatives. ``convention="balnet"``: dV/dt = -V/tau + mu + sigma xi, mu in mV/s, sigma in
    mV/sqrt(s), tau and tau_ref in s; ``"nest"``: NEST's siegert_neuron (mu, sigma in mV, tau
    and tau_ref in ms).

    Fields ``rate`` (Hz), ``drate_dmu``, ``drate_dsigma``: floats for scalar inputs, arrays of
    the broadcast shape otherwise."""
    args = _np.broadcast_arrays(*[_np.asarray(a, dtype=float) for a in (mu, sigma, tau, theta, v_r, tau_ref)])
    shape = args[0].shape
    flat = [_np.ascontiguousarray(a, dtype=float).ravel() for a in args]
    rate, dmu, dsigma = _balnet.ricciardi_many(*flat, convention)
    if shape == ():
        return Result("Ricciardi", {"rate": float(rate[0]), "drate_dmu": float(dmu[0]), "drate_dsigma": float(dsigma[0])})
    return Result(
        "Ricciardi",
        {},
        {"rate": rate.reshape(shape), "drate_dmu": dmu.reshape(shape), "drate_dsigma": dsigma.reshape(shape)},
    )


# ---------------------------------------------------------------------------------------------
# Networks


class Network:
    """The four blocks of a network, rows postsynaptic and columns presynaptic within each
    population (as ``balnet export-network`` writes them): ``ee, ei, ie, ii`` are
    ``scipy.sparse.csr_array`` with the block's signed weight (Eq. 3) as values, or, without
    scipy, dicts of ``indptr``, ``indices`` (uint32), ``weight`` and ``shape``. ``meta`` is the
    content of ``network.json`` (params, sizes, seed, generator)."""

    __slots__ = ("meta", "ee", "ei", "ie", "ii", "seed")

    def __init__(self, meta: dict, blocks: list):
        self.meta = meta
        self.seed = meta["seed"]
        try:
            from scipy.sparse import csr_array
        except ImportError:  # pragma: no cover - exercised only without scipy
            csr_array = None
        for name, rows, cols, k, weight, indices in blocks:
            indptr = _np.arange(0, rows * k + 1, k, dtype=_np.int64)
            if csr_array is not None:
                data = _np.full(indices.shape, weight)
                block = csr_array((data, indices.astype(_np.int32), indptr), shape=(rows, cols))
            else:
                block = {"indptr": indptr, "indices": indices, "weight": weight, "shape": (rows, cols)}
            setattr(self, name, block)

    def __repr__(self) -> str:
        s = self.meta["sizes"]
        return f"Network(n_e={s['n_e']}, n_i={s['n_i']}, k_e={s['k_e']}, k_i={s['k_i']}, seed={self.seed})"


def network(
    params: Optional[Params] = None,
    *,
    seed: int = 1,
    k_e: Optional[int] = None,
    k_i: Optional[int] = None,
    autapses: bool = True,
    path: Any = None,
    **kw: Any,
) -> Network:
    """The seeded fixed in-degree network of the parameters (bit-identical to
    ``balnet export-network`` with the same flags), or the network stored in ``path`` (a
    directory written by ``export-network``; keywords then change only J0, I0, g, j, u,
    tau_D, tau_syn, which set the blocks' weights)."""
    if path is not None:
        if params is not None or k_e is not None or k_i is not None or not autapses:
            raise ValueError("params, k_e, k_i and autapses cannot be combined with path=: the directory fixes the structure")
        text, blocks = _balnet.network(Params(), None, None, None, True, _os.fspath(path), _overrides(kw))
    else:
        p = _params(params, kw)
        text, blocks = _balnet.network(p, seed, k_e, k_i, autapses, None, None)
    return Network(_json.loads(text), blocks)


def export_network(
    out: Any,
    params: Optional[Params] = None,
    *,
    seed: int = 1,
    k_e: Optional[int] = None,
    k_i: Optional[int] = None,
    autapses: bool = True,
    **kw: Any,
) -> Result:
    """Write the network to the directory ``out`` (``ee.mtx, ei.mtx, ie.mtx, ii.mtx`` and
    ``network.json``, each atomically) for other simulators, as ``balnet export-network``.
    Fields: ``dir, files, n_e, n_i, k_e, k_i, synapses, seed, model, weights``."""
    p = _params(params, kw)
    return Result("Exported", _json.loads(_balnet.export_network(p, _os.fspath(out), seed, k_e, k_i, autapses)))


# ---------------------------------------------------------------------------------------------
# Simulations


def _overrides(kw: Mapping[str, Any]) -> list:
    """Keywords changing a loaded network's parameters, as (name, value) pairs."""
    out = []
    for k, v in kw.items():
        try:
            out.append((k, float(v)))
        except (TypeError, ValueError):
            raise ValueError(f"invalid {k} = {v!r}: a loaded network's parameters are numbers") from None
    return out


def _net_call(params, kw, model, seed, k_e, k_i, autapses, network):
    """The native call's network arguments. ``seed`` (of the connectivity and the initial
    state) defaults to 1, or to the seed stored with a loaded ``network``."""
    if network is not None:
        if params is not None or k_e is not None or k_i is not None or not autapses:
            raise ValueError(
                "params, k_e, k_i and autapses cannot be combined with network=: the network "
                "directory fixes the structure; give the parameters to change as keywords"
            )
        return (Params(model), seed, None, None, True, _os.fspath(network), _overrides(kw))
    return (_params(params, kw, model), seed, k_e, k_i, autapses, None, None)


_RATE_RECORD = ("acf", "traces", "state")


def _keep(arrays: dict, record: Iterable[str], groups: Mapping[str, Sequence[str]]) -> dict:
    unknown = set(record) - set(groups)
    if unknown:
        raise ValueError(f"invalid record = {sorted(unknown)}: valid are {sorted(groups)}")
    out = {}
    for g in record:
        for k in groups[g]:
            out[k] = arrays[k]
    return out


def simulate_rate(
    params: Optional[Params] = None,
    *,
    seed: Optional[int] = None,
    network: Any = None,
    k_e: Optional[int] = None,
    k_i: Optional[int] = None,
    autapses: bool = True,
    dt: float = 0.05,
    t: float = 200.0,
    transient: float = 100.0,
    method: str = "euler",
    traces: Optional[Sequence[int]] = None,
    init: Any = None,
    checkpoint: Any = None,
    checkpoint_every: Optional[float] = None,
    progress: Optional[Callable[[float], Any]] = None,
    record: Iterable[str] = _RATE_RECORD,
    **kw: Any,
) -> Result:
    """Simulate the rate network of Eq. 1 (``balnet simulate rate``).

    Fields: ``phi_e, phi_i, w, mu_e, mu_i, delta0_e, delta0_i, tau_dec_e, tau_dec_i, a_e,
    a_i, regime, steps``. Arrays (``record`` chooses the groups): ``acf`` -> ``acf_e``,
    ``acf_i`` (population-averaged autocovariance of mu at lags k * ``lag_dt``); ``traces`` ->
    ``trace_t`` and ``trace_data`` of shape (neurons, samples, 3): x, mu, w of the neurons in
    ``traces``, every 0.1; ``state`` -> the final state (usable as ``init``).

    ``network``: a directory written by ``export-network`` (keywords then change only J0, I0,
    g, j, u, tau_D, tau_syn). ``checkpoint``: a file saved periodically and resumed from if it
    exists. ``progress``: called with the fraction done, e.g. a tqdm bar's update."""
    args = _net_call(params, kw, "rate", seed, k_e, k_i, autapses, network)
    init_arr = None if init is None else _np.ascontiguousarray(init, dtype=float)
    text, arrays = _balnet.simulate_rate(
        *args,
        dt=dt,
        t=t,
        transient=transient,
        method=method,
        traces=list(traces) if traces is not None else None,
        init=init_arr,
        checkpoint=None if checkpoint is None else _os.fspath(checkpoint),
        checkpoint_every=checkpoint_every,
        progress=progress,
    )
    groups = {"acf": ("acf_e", "acf_i", "lag_dt"), "traces": ("trace_t", "trace_data", "trace_neurons"), "state": ("state",)}
    return Result("RateSimulation", _json.loads(text), _keep(arrays, record, groups))


_LIF_RECORD = ("acf", "neurons", "population", "raster", "traces")


def simulate_lif(
    params: Optional[Params] = None,
    *,
    seed: Optional[int] = None,
    network: Any = None,
    k_e: Optional[int] = None,
    k_i: Optional[int] = None,
    autapses: bool = True,
    dt: float = 1e-3,
    t: float = 200.0,
    transient: float = 100.0,
    integrator: str = "euler",
    tau_ref: float = 0.0,
    traces: Optional[Sequence[int]] = None,
    cv_windows: Optional[Sequence[float]] = None,
    checkpoint: Any = None,
    checkpoint_every: Optional[float] = None,
    progress: Optional[Callable[[float], Any]] = None,
    record: Iterable[str] = ("acf", "neurons", "population"),
    **kw: Any,
) -> Result:
    """Simulate the LIF spiking network of Eqs. 62-64 (``balnet simulate lif``; defaults of
    Figs. 10-11: ``Params("lif")``, N = 5000, J0 = 0.4, I0 = 1.2, tau_syn = tau_D = 10).

    Fields: ``rate_e, rate_i`` (spikes per tau_m) with ``*_stderr``, ``cv_e, cv_i``,
    ``mu_e, mu_i, w, rate_var_*, delta0_*, tau_dec_*, spikes, n, seed, dt`` and ``cv_windows``
    when asked. Arrays (``record``): ``acf`` -> ``acf_e, acf_i, lag_dt``; ``neurons`` ->
    per-neuron ``rates`` and ``cvs`` (NaN below 3 spikes); ``population`` ->
    ``population_t, population_rate_e, population_rate_i``; ``raster`` -> ``spike_times`` and
    ``spike_ids`` of the measured window; ``traces`` -> ``trace_t``, ``trace_data`` (neurons,
    samples, 3: v, mu, w)."""
    record = tuple(record)
    args = _net_call(params, kw, "lif", seed, k_e, k_i, autapses, network)
    text, arrays = _balnet.simulate_lif(
        *args,
        dt=dt,
        t=t,
        transient=transient,
        integrator=integrator,
        tau_ref=tau_ref,
        raster="raster" in record,
        traces=list(traces) if traces is not None else None,
        cv_windows=list(cv_windows) if cv_windows is not None else None,
        checkpoint=None if checkpoint is None else _os.fspath(checkpoint),
        checkpoint_every=checkpoint_every,
        progress=progress,
    )
    groups = {
        "acf": ("acf_e", "acf_i", "lag_dt"),
        "neurons": ("rates", "cvs"),
        "population": ("population_t", "population_rate_e", "population_rate_i"),
        "raster": ("spike_times", "spike_ids"),
        "traces": ("trace_t", "trace_data", "trace_neurons"),
    }
    return Result("LifSimulation", _json.loads(text), _keep(arrays, record, groups))


def lyapunov(
    params: Optional[Params] = None,
    *,
    seed: Optional[int] = None,
    network: Any = None,
    k_e: Optional[int] = None,
    k_i: Optional[int] = None,
    autapses: bool = True,
    k: int = 2,
    t: float = 1000.0,
    transient: float = 100.0,
    dt: float = 0.05,
    t_ort: float = 100.0,
    zero_tol: float = 5e-3,
    progress: Optional[Callable[[float], Any]] = None,
    **kw: Any,
) -> Result:
    """The k largest Lyapunov exponents of the rate network (Eqs. 38-39) and the regime they
    say (``balnet lyapunov``): fields ``exponents``, ``regime``."""
    args = _net_call(params, kw, "rate", seed, k_e, k_i, autapses, network)
    text = _balnet.lyapunov(*args, k=k, t=t, transient=transient, dt=dt, t_ort=t_ort, zero_tol=zero_tol, progress=progress)
    return Result("Lyapunov", _json.loads(text))


def correlations(
    params: Optional[Params] = None,
    *,
    seed: Optional[int] = None,
    network: Any = None,
    k_e: Optional[int] = None,
    k_i: Optional[int] = None,
    autapses: bool = True,
    dt: float = 0.05,
    t: float = 300.0,
    transient: float = 500.0,
    method: str = "euler",
    sample_dt: float = 0.5,
    progress: Optional[Callable[[float], Any]] = None,
    **kw: Any,
) -> Result:
    """Population-averaged correlation coefficients of inputs and rates (Eqs. 57-61, Fig. 9;
    ``balnet correlations``)."""
    args = _net_call(params, kw, "rate", seed, k_e, k_i, autapses, network)
    text = _balnet.correlations(*args, dt=dt, t=t, transient=transient, method=method, sample_dt=sample_dt, progress=progress)
    return Result("Correlations", _json.loads(text))


def spectrum(
    params: Optional[Params] = None,
    *,
    seed: Optional[int] = None,
    network: Any = None,
    k_e: Optional[int] = None,
    k_i: Optional[int] = None,
    autapses: bool = True,
    **kw: Any,
) -> Result:
    """All eigenvalues of DF_het (Eq. 19) at the network's homogeneous fixed point against
    Girko's disk (``balnet spectrum``; N + N_E <= 12000). Fields ``max_re, girko_radius,
    bulk_max_re_theory``; arrays ``eigenvalues`` (complex128) and ``bulk_max_re``."""
    args = _net_call(params, kw, "rate", seed, k_e, k_i, autapses, network)
    text, eig, bulk = _balnet.spectrum(*args)
    return Result("Spectrum", _json.loads(text), {"eigenvalues": eig, "bulk_max_re": bulk})


# ---------------------------------------------------------------------------------------------
# Dynamic mean-field theory


def dmf(
    params: Optional[Params] = None,
    *,
    dt: float = 0.06,
    modes: int = 16384,
    realizations: int = 16,
    chains: int = 4,
    max_chains: int = 16,
    target: float = 0.01,
    average_iterations: int = 8,
    max_iterations: int = 300,
    seed: int = 1,
    progress: Optional[Callable[[float], Any]] = None,
    **kw: Any,
) -> Result:
    """The dynamic mean-field theory of rate chaos (Eqs. 10, 40-56; Figs. 7-8) at any N
    (``n=inf`` for the limit), with standard errors from independent chains (``balnet dmf``).

    Fields: ``phi_e, phi_i, w, mu_e, mu_i, delta0_e, delta0_i, tau_dec_e, tau_dec_i, ...``,
    ``stderr`` of each, ``iterations, converged, termination, chains, n``. Arrays: the
    autocovariances ``delta_e, delta_i`` at lags k * ``lag_dt``, the spectra ``s_e, s_i`` at
    ``omega``, and ``history`` (one dict per iteration). A solution that misses its target
    raises ComputationError (its ``result`` attribute holds the JSON). ``progress`` hears an
    approximate fraction (iterations over the most the chains may take)."""
    text, arrays = _balnet.dmf(
        _params(params, kw),
        dt=dt,
        modes=modes,
        realizations=realizations,
        chains=chains,
        max_chains=max_chains,
        target=target,
        average_iterations=average_iterations,
        max_iterations=max_iterations,
        seed=seed,
        progress=progress,
    )
    arrays = dict(arrays)
    arrays["history"] = _json.loads(arrays["history"])
    return Result("Dmf", _json.loads(text), arrays)


# ---------------------------------------------------------------------------------------------
# Paper 004: LIF networks and the SSN


def _network_source(network: Any) -> dict:
    """A network file: its path, or its TOML text (a string containing a newline)."""
    if isinstance(network, str) and "\n" in network:
        return {"path": None, "text": network}
    return {"path": _os.fspath(network), "text": None}


def ssn_fit(
    sigma: float, tau: float = 0.02, theta: float = 20.0, v_r: float = 10.0, tau_ref: float = 0.0, max_rate: float = 10.0
) -> Result:
    """The power law nu = a [mu - b]_+^n fitted to the Ricciardi rate over 0..max_rate Hz
    (paper 004, Eq. 1; ``balnet ssn fit``): fields ``a, b, n, rms``."""
    return Result("PowerLaw", _json.loads(_balnet.ssn_fit(sigma, tau, theta, v_r, tau_ref, max_rate)))


def ssn_steady_states(network: Any, mu_ext: float, r: float) -> Result:
    """Every steady state of the SSN at external input ``mu_ext`` to E and ``r * mu_ext`` to I,
    its stability and the regime verdicts (``balnet ssn steady-states``). ``network``: a TOML
    file (an SSN, or a LIF network whose SSN is fitted and whose Ricciardi self-consistency
    ``phi_sc`` is solved too; see golden/ssn/) or its text."""
    return Result("SteadyStates", _json.loads(_balnet.ssn_steady_states(mu_ext, r, **_network_source(network))))


def ssn_scan(network: Any, mu_ext: Sequence[float], r: Sequence[float]) -> Result:
    """The regime map of paper 004's Fig. 5 over the grid mu_ext x r (``balnet ssn scan``):
    fields ``mu_ext, r, cells`` (one dict per cell), ``seconds``."""
    mu = [float(x) for x in _np.atleast_1d(mu_ext)]
    rr = [float(x) for x in _np.atleast_1d(r)]
    return Result("SsnScan", _json.loads(_balnet.ssn_scan(mu, rr, **_network_source(network))))


def simulate_lif_ssn(
    network: Any,
    mu_ext: float,
    r: float,
    *,
    t: float = 2.0,
    transient: float = 0.5,
    dt: float = 1e-4,
    seed: int = 1,
    n: Optional[int] = None,
    progress: Optional[Callable[[float], Any]] = None,
) -> Result:
    """Simulate paper 004's LIF network (a LIF network file) at input (mu_ext, r mu_ext) and
    compare it with its SSN and Phi_sc (``balnet simulate lif-ssn``): fields ``rate_e,
    rate_i`` (Hz), ``cv_e, cv_i, balance_e, balance_i, n, mu_ext, ssn, phi_sc``. ``n`` rescales
    the network (j by sqrt(N0/N), the drive by sqrt(N/N0))."""
    text = _balnet.simulate_lif_ssn(
        mu_ext, r, t=t, transient=transient, dt=dt, seed=seed, n=n, progress=progress, **_network_source(network)
    )
    return Result("LifSsnSimulation", _json.loads(text))


def set_threads(n: int) -> None:
    """Set the worker threads (the command line's ``--threads``; results do not depend on it).
    Call it before the first computation: the threads start with it."""
    _balnet.set_threads(n)


# ---------------------------------------------------------------------------------------------
# The oracle


def check(
    statistics: Union[Mapping[str, Any], str, "_os.PathLike[str]"],
    *,
    realizations: int = 8,
    max_realizations: int = 32,
    dmf: bool = False,
    cache_dir: Any = None,
    cache: bool = True,
) -> Result:
    """Check another simulator's statistics against balnet's predictions from finite networks
    (``balnet check``). ``statistics`` is a balnet-check/1 document: a dict, or the path of its
    JSON file (a relative ``network`` is then resolved against the file's directory).

    Fields: ``verdict`` (pass / fail / inconclusive), ``statistics`` (per statistic:
    ``expected``, ``observed``, ``lower``, ``upper``, ``verdict``, ``reason``, ...), ``passed``,
    ``failed``, ``inconclusive``, ``regimes`` and the rest of the command's JSON."""
    kwargs = dict(
        realizations=realizations,
        max_realizations=max_realizations,
        dmf=dmf,
        cache_dir=None if cache_dir is None else _os.fspath(cache_dir),
        no_cache=not cache,
    )
    if isinstance(statistics, Mapping):
        text = _balnet.check(text=_json.dumps(statistics), **kwargs)
    else:
        text = _balnet.check(path=_os.fspath(statistics), **kwargs)
    return Result("CheckReport", _json.loads(text))


def verify(full: bool = False, only: Optional[str] = None, golden: Any = None) -> list:
    """Run the golden cases (``balnet verify``): the fast tier, or every case with
    ``full=True``; ``only`` selects cases by id, quantity or file. Returns the golden table as
    a list of dicts (id, quantity, expected, obtained, verdict, source, ...)."""
    text = _balnet.verify_cases(full, only, None if golden is None else _os.fspath(golden))
    return _json.loads(text)["cases"]


def sweep_lyapunov(
    out: Union[str, "_os.PathLike[str]"],
    j0s: Sequence[float],
    params: Optional[Params] = None,
    *,
    ns: Optional[Sequence[float]] = None,
    realizations: int = 1,
    shard: str = "0/1",
    seed: Optional[int] = None,
    network: Any = None,
    k_e: Optional[int] = None,
    k_i: Optional[int] = None,
    autapses: bool = True,
    k: int = 1,
    t: float = 1000.0,
    transient: float = 100.0,
    dt: float = 0.05,
    t_ort: float = 100.0,
    zero_tol: float = 5e-3,
    progress: Optional[Callable[[float], Any]] = None,
    **kw: Any,
) -> Result:
    """One shard of a sweep of the largest Lyapunov exponents over ``j0s`` x ``ns`` x
    ``realizations`` (Fig. 13, S2 Appendix; ``balnet sweep lyapunov``). Writes ``out/sweep.json``
    and ``out/shard-K-of-M.jsonl``; a call with the same arguments resumes (finished points are
    kept). Realization r uses seed + r. Fields ``dir``, ``shard``, ``points``, ``computed``,
    ``skipped``, ``failed``. Combine the shards with :func:`sweep_merge`."""
    if "j0" in kw or ("n" in kw and ns is not None):
        raise ValueError("j0 (or n with ns) cannot be combined with a sweep over it: use j0s / ns")
    args = _net_call(params, kw, "rate", seed, k_e, k_i, autapses, network)
    text = _balnet.sweep_lyapunov(
        args[0], _os.fspath(out), [float(x) for x in j0s],
        ns=None if ns is None else [float(x) for x in ns],
        realizations=realizations, shard=shard, seed=args[1], k_e=args[2], k_i=args[3],
        autapses=args[4], network=args[5], overrides=args[6], k=k, t=t, transient=transient,
        dt=dt, t_ort=t_ort, zero_tol=zero_tol, progress=progress,
    )
    return Result("SweepShard", _json.loads(text))


def sweep_merge(dir: Union[str, "_os.PathLike[str]"]) -> Result:
    """Combine the shard files of a sweep directory (``balnet sweep merge``, without the
    figure): writes ``points.csv`` and ``median.csv``; raises ComputationError when a point is
    missing, duplicated or outside the sweep. Fields ``points``, ``failed``, ``files``,
    ``median`` (rows ``n, j0, lambda_1_median, realizations``); arrays, one entry per point in
    point order: ``n``, ``j0``, ``realization``, ``seed``, ``lambda_1`` (NaN where the point
    failed), ``regime``, ``error`` (None where it did not)."""
    text, lines = _balnet.sweep_merge(_os.fspath(dir))
    rows = [_json.loads(line) for line in lines.split("\n") if line]
    arrays = {
        "n": _np.array([r["n"] for r in rows], dtype=float),
        "j0": _np.array([r["j0"] for r in rows], dtype=float),
        "realization": _np.array([r["realization"] for r in rows], dtype=_np.int64),
        "seed": _np.array([r["seed"] for r in rows], dtype=_np.uint64),
        "lambda_1": _np.array([r["exponents"][0] if r["exponents"] else _np.nan for r in rows], dtype=float),
        "regime": [r["regime"] for r in rows],
        "error": [r["error"] for r in rows],
    }
    return Result("Sweep", _json.loads(text), arrays)
