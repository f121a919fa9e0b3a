# Type stubs of balnet (editors complete from these; python/tests/test_stubs.py checks that they
# match the package's signatures).
import os
from typing import Any, Callable, Iterable, Mapping, Optional, Sequence, Union

import numpy as np
import numpy.typing as npt

__version__: str

_PathLike = Union[str, "os.PathLike[str]"]
_Float = Union[float, npt.ArrayLike]
_Progress = Optional[Callable[[float], Any]]

class ComputationError(RuntimeError):
    """A solver without convergence, no root in the searched range, or a diverging simulation."""

    solver: str
    iterations: int
    residual: float
    t: float
    step: int

class Params:
    """Table 1's parameters (``model="rate"``) or those of Figs. 10-11 (``model="lif"``)."""

    n: float
    j0: float
    i0: float
    g_e: float
    g_i: float
    c_e: float
    c_i: float
    j_e: float
    j_i: float
    u: float
    tau_d: float
    f: float
    transfer: str
    tau_m: Optional[float]
    tau_syn: float
    variance: str
    def __init__(self, model: str = "rate", **kw: Any) -> None: ...
    def replace(self, **kw: Any) -> Params: ...
    def to_dict(self) -> dict[str, Any]: ...
    @staticmethod
    def from_toml(path: _PathLike, model: str = "rate") -> Params: ...

class Result:
    """A frozen result: the command's JSON fields and the call's numpy arrays as attributes."""

    def __getattr__(self, name: str) -> Any: ...
    def __getitem__(self, name: str) -> Any: ...
    def __contains__(self, name: str) -> bool: ...
    def to_dict(self) -> dict[str, Any]: ...
    def arrays(self) -> dict[str, Any]: ...

class Network:
    """The four blocks (rows postsynaptic, columns presynaptic) and network.json's content."""

    meta: dict[str, Any]
    seed: int
    ee: Any
    ei: Any
    ie: Any
    ii: Any

def balanced_limit(params: Optional[Params] = None, **kw: Any) -> Result: ...
def fixed_point(params: Optional[Params] = None, **kw: Any) -> Result: ...
def critical_coupling(
    params: Optional[Params] = None, *, j_min: float = 1e-3, j_max: float = 20.0, **kw: _Float
) -> Union[float, npt.NDArray[np.float64]]: ...
def het_fixed_point(params: Optional[Params] = None, branch: str = "heterogeneous", **kw: Any) -> Result: ...
def scan(
    x: tuple[str, Sequence[float]],
    y: tuple[str, Sequence[float]],
    quantities: Sequence[str] = ("phi_e",),
    params: Optional[Params] = None,
    **kw: Any,
) -> Result: ...
def report(params: Optional[Params] = None, **kw: Any) -> Result: ...
def ricciardi(
    mu: _Float,
    sigma: _Float,
    tau: _Float = 0.02,
    theta: _Float = 20.0,
    v_r: _Float = 10.0,
    tau_ref: _Float = 0.0,
    convention: str = "balnet",
) -> Result: ...
def network(
    params: Optional[Params] = None,
    *,
    seed: int = 1,
    k_e: Optional[int] = None,
    k_i: Optional[int] = None,
    autapses: bool = True,
    path: Optional[_PathLike] = None,
    **kw: Any,
) -> Network: ...
def export_network(
    out: _PathLike,
    params: Optional[Params] = None,
    *,
    seed: int = 1,
    k_e: Optional[int] = None,
    k_i: Optional[int] = None,
    autapses: bool = True,
    **kw: Any,
) -> Result: ...
def simulate_rate(
    params: Optional[Params] = None,
    *,
    seed: Optional[int] = None,
    network: Optional[_PathLike] = None,
    k_e: Optional[int] = None,
    k_i: Optional[int] = None,
    autapses: bool = True,
    dt: float = 0.05,
    t: float = 200.0,
    transient: float = 100.0,
    method: str = "euler",
    traces: Optional[Sequence[int]] = None,
    init: Optional[npt.ArrayLike] = None,
    checkpoint: Optional[_PathLike] = None,
    checkpoint_every: Optional[float] = None,
    progress: _Progress = None,
    record: Iterable[str] = ("acf", "traces", "state"),
    **kw: Any,
) -> Result: ...
def simulate_lif(
    params: Optional[Params] = None,
    *,
    seed: Optional[int] = None,
    network: Optional[_PathLike] = None,
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
    checkpoint: Optional[_PathLike] = None,
    checkpoint_every: Optional[float] = None,
    progress: _Progress = None,
    record: Iterable[str] = ("acf", "neurons", "population"),
    **kw: Any,
) -> Result: ...
def lyapunov(
    params: Optional[Params] = None,
    *,
    seed: Optional[int] = None,
    network: Optional[_PathLike] = None,
    k_e: Optional[int] = None,
    k_i: Optional[int] = None,
    autapses: bool = True,
    k: int = 2,
    t: float = 1000.0,
    transient: float = 100.0,
    dt: float = 0.05,
    t_ort: float = 100.0,
    zero_tol: float = 5e-3,
    progress: _Progress = None,
    **kw: Any,
) -> Result: ...
def correlations(
    params: Optional[Params] = None,
    *,
    seed: Optional[int] = None,
    network: Optional[_PathLike] = None,
    k_e: Optional[int] = None,
    k_i: Optional[int] = None,
    autapses: bool = True,
    dt: float = 0.05,
    t: float = 300.0,
    transient: float = 500.0,
    method: str = "euler",
    sample_dt: float = 0.5,
    progress: _Progress = None,
    **kw: Any,
) -> Result: ...
def spectrum(
    params: Optional[Params] = None,
    *,
    seed: Optional[int] = None,
    network: Optional[_PathLike] = None,
    k_e: Optional[int] = None,
    k_i: Optional[int] = None,
    autapses: bool = True,
    **kw: Any,
) -> Result: ...
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
    progress: _Progress = None,
    **kw: Any,
) -> Result: ...
def ssn_fit(
    sigma: float, tau: float = 0.02, theta: float = 20.0, v_r: float = 10.0, tau_ref: float = 0.0, max_rate: float = 10.0
) -> Result: ...
def ssn_steady_states(network: Union[_PathLike, str], mu_ext: float, r: float) -> Result: ...
def ssn_scan(network: Union[_PathLike, str], mu_ext: Sequence[float], r: Sequence[float]) -> Result: ...
def simulate_lif_ssn(
    network: Union[_PathLike, str],
    mu_ext: float,
    r: float,
    *,
    t: float = 2.0,
    transient: float = 0.5,
    dt: float = 1e-4,
    seed: int = 1,
    n: Optional[int] = None,
    progress: _Progress = None,
) -> Result: ...
def set_threads(n: int) -> None: ...
def check(
    statistics: Union[Mapping[str, Any], _PathLike],
    *,
    realizations: int = 8,
    max_realizations: int = 32,
    dmf: bool = False,
    cache_dir: Optional[_PathLike] = None,
    cache: bool = True,
) -> Result: ...
def verify(full: bool = False, only: Optional[str] = None, golden: Optional[_PathLike] = None) -> list[dict[str, Any]]: ...
def sweep_lyapunov(
    out: _PathLike,
    j0s: Sequence[float],
    params: Optional[Params] = None,
    *,
    ns: Optional[Sequence[float]] = None,
    realizations: int = 1,
    shard: str = "0/1",
    seed: Optional[int] = None,
    network: Optional[_PathLike] = None,
    k_e: Optional[int] = None,
    k_i: Optional[int] = None,
    autapses: bool = True,
    k: int = 1,
    t: float = 1000.0,
    transient: float = 100.0,
    dt: float = 0.05,
    t_ort: float = 100.0,
    zero_tol: float = 5e-3,
    progress: _Progress = None,
    **kw: Any,
) -> Result: ...
def sweep_merge(dir: _PathLike) -> Result: ...
