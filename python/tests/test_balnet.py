"""The Python package against the command line: the same library call, so the same bits.

Every function is compared with ``balnet ... --json`` for the same inputs (``==`` on the
parsed JSON: the JSON of both is written by serde_json, whose shortest round-trip floats parse
to the same doubles), plus dtypes and shapes, errors, the GIL, Ctrl-C and progress.
The binary is ``$BALNET_BIN`` or ``target/release/balnet`` of this checkout (built by
``cargo test --release``, which the README's test command runs first). About 40 s on 2 cores.
"""

import json
import os
import pathlib
import pickle
import signal
import subprocess
import threading
import time

import numpy as np
import pytest

import balnet

ROOT = pathlib.Path(__file__).resolve().parents[2]
BIN = os.environ.get("BALNET_BIN", str(ROOT / "target" / "release" / "balnet"))


def cli(*args, status=0):
    """Run ``balnet ARGS --json`` and parse its one JSON object."""
    assert os.path.exists(BIN), f"{BIN} missing: run `cargo build --release` first (or set BALNET_BIN)"
    out = subprocess.run([BIN, *args, "--json"], capture_output=True, text=True)
    assert out.returncode == status, out.stderr
    return json.loads(out.stdout)


# ---------------------------------------------------------------------------------------------
# Same bits as the command line


def test_theory_equals_cli():
    assert balnet.balanced_limit().to_dict() == cli("balanced-limit")
    assert balnet.fixed_point(n=2000, j0=0.5).to_dict() == cli("fixed-point", "--n", "2000", "--j0", "0.5")
    assert balnet.critical_coupling(n=1e4, i0=0.5) == cli("critical-coupling", "--n", "1e4", "--i0", "0.5")["j_c"]
    assert balnet.critical_coupling(n=float("inf")) == cli("critical-coupling", "--n", "inf")["j_c"]
    assert balnet.het_fixed_point(n=5000, j0=1.5).to_dict() == cli("het-fixed-point", "--n", "5000", "--j0", "1.5")
    lif = balnet.Params(transfer="lif", tau_m=2.0, tau_syn=10.0, n=5000, j0=0.3, i0=1.2)
    assert balnet.fixed_point(lif).to_dict() == cli(
        "fixed-point", "--transfer", "lif", "--tau-m", "2", "--tau-syn", "10", "--n", "5000", "--j0", "0.3", "--i0", "1.2"
    )
    s = balnet.scan(x=("j0", [0.1, 0.5, 1.0]), y=("n", [1e4, 1e6]), quantities=["phi_e", "j_c"])
    assert s.to_dict() == cli("scan", "--x", "j0=0.1,0.5,1.0", "--y", "n=1e4,1e6", "--quantity", "phi_e,j_c")
    assert s.phi_e.shape == (2, 3) and s.phi_e.dtype == np.float64
    assert s.phi_e[1, 2] == s.rows[5]["phi_e"]


def test_report_equals_cli():
    assert balnet.report().to_dict() == cli("report")


def test_ricciardi_equals_cli_and_vectorises():
    r = balnet.ricciardi(mu=1000.0, sigma=100.0)
    assert r.to_dict() == cli("ricciardi", "--mu", "1000", "--sigma", "100")
    n = balnet.ricciardi(mu=15.0, sigma=5.0, tau=20.0, tau_ref=2.0, convention="nest")
    assert n.to_dict() == cli(
        "ricciardi", "--mu", "15", "--sigma", "5", "--tau", "20", "--tau-ref", "2", "--convention", "nest"
    )
    mu = np.linspace(200.0, 1500.0, 7)
    sigma = np.array([[50.0], [150.0]])
    v = balnet.ricciardi(mu=mu, sigma=sigma)
    assert v.rate.shape == (2, 7) and v.rate.dtype == np.float64
    for i in range(2):
        for j in range(7):
            one = balnet.ricciardi(mu=mu[j], sigma=sigma[i, 0])
            assert (v.rate[i, j], v.drate_dmu[i, j], v.drate_dsigma[i, j]) == (one.rate, one.drate_dmu, one.drate_dsigma)


def test_vectorised_critical_coupling_equals_scalar_calls():
    n = np.logspace(3, 12, 10)
    jc = balnet.critical_coupling(n=n)
    assert jc.shape == (10,) and jc.dtype == np.float64
    assert list(jc) == [balnet.critical_coupling(n=x) for x in n]
    grid = balnet.critical_coupling(n=np.array([[1e4], [1e8]]), i0=np.array([0.0, 1.0, 2.0]))
    assert grid.shape == (2, 3)
    assert grid[1, 2] == balnet.critical_coupling(n=1e8, i0=2.0)
    with pytest.raises(ValueError, match="n"):
        balnet.critical_coupling(n=np.array([1e4, -1.0]))


def test_simulate_rate_equals_cli():
    args = ["--n", "1000", "--j0", "1.5", "--t", "40", "--transient", "20", "--seed", "3"]
    r = balnet.simulate_rate(n=1000, j0=1.5, t=40, transient=20, seed=3)
    assert r.to_dict() == cli("simulate", "rate", *args)
    assert r.acf_e.dtype == np.float64 and r.acf_e.shape == r.acf_i.shape
    assert len(r.acf_e) == round(min(50.0, 40 / 2) / r.lag_dt) + 1  # lags up to min(50 tau_syn, T/2)
    assert r.state.shape == (1000 + 800,)
    # Heun, a trace and a restart from the final state.
    h = balnet.simulate_rate(n=1000, j0=1.5, t=10, transient=0, method="heun", traces=[0, 900], init=r.state)
    assert h.trace_data.shape == (2, len(h.trace_t), 3)
    assert h.trace_neurons == [0, 900]


def test_simulate_lif_equals_cli():
    args = ["--n", "1000", "--t", "20", "--transient", "10", "--dt", "1e-2", "--cv-window", "5"]
    r = balnet.simulate_lif(n=1000, t=20, transient=10, dt=1e-2, cv_windows=[5], record=["acf", "neurons", "population", "raster"])
    assert r.to_dict() == cli("simulate", "lif", *args)
    assert r.rates.shape == (1000,) and r.cvs.shape == (1000,)
    assert r.spike_times.dtype == np.float64 and r.spike_ids.dtype == np.uint32
    assert len(r.spike_times) == len(r.spike_ids)
    assert np.all(r.spike_times >= 10.0) and np.all(np.diff(r.spike_times) >= 0)
    assert r.population_rate_e.shape == r.population_t.shape


def test_lyapunov_correlations_spectrum_equal_cli():
    ly = balnet.lyapunov(n=600, j0=1.5, t=50, transient=10, k=2)
    assert ly.to_dict() == cli("lyapunov", "--n", "600", "--j0", "1.5", "--t", "50", "--transient", "10", "--k", "2")
    c = balnet.correlations(n=600, j0=1.5, t=30, transient=10)
    assert c.to_dict() == cli("correlations", "--n", "600", "--j0", "1.5", "--t", "30", "--transient", "10")
    s = balnet.spectrum(n=500, j0=0.5)
    assert s.to_dict() == cli("spectrum", "--n", "500", "--j0", "0.5")
    assert s.eigenvalues.dtype == np.complex128 and s.eigenvalues.shape == (500 + 400,)
    assert np.max(s.eigenvalues.real) == s.max_re


def test_sweep_equals_cli_files_and_merge(tmp_path):
    """A sharded sweep from Python writes the same files as the CLI's, and merges the same."""
    a, b = tmp_path / "py", tmp_path / "cli"
    args = dict(ns=[300, 400], j0s=[0.5, 1.5], realizations=2, t=30, transient=5)
    for k in range(2):
        r = balnet.sweep_lyapunov(a, **args, shard=f"{k}/2")
        flags = ["--ns", "300,400", "--j0s", "0.5,1.5", "--realizations", "2", "--t", "30", "--transient", "5"]
        c = cli("sweep", "lyapunov", *flags, "--out", str(b), "--shard", f"{k}/2")
        assert {**r.to_dict(), "dir": ""} == {**c, "dir": ""}
        assert r.points == 4 and r.computed == 4 and r.skipped == 0
    assert (a / "sweep.json").read_text() == (b / "sweep.json").read_text()
    for f in ["shard-0-of-2.jsonl", "shard-1-of-2.jsonl"]:
        # Lines are appended as points finish (in parallel): the same lines, in any order.
        assert sorted((a / f).read_text().splitlines()) == sorted((b / f).read_text().splitlines()), f
    again = balnet.sweep_lyapunov(a, **args, shard="1/2")
    assert again.computed == 0 and again.skipped == 4
    m = balnet.sweep_merge(a)
    assert m.to_dict() == cli("sweep", "merge", str(b))
    assert (a / "points.csv").read_text() == (b / "points.csv").read_text()
    assert m.points == 8 and m.lambda_1.shape == (8,) and list(m.n[:4]) == [300.0] * 4
    with pytest.raises(ValueError, match="j0s"):
        balnet.sweep_lyapunov(a, j0=1.0, j0s=[1.0])
    (a / "shard-1-of-2.jsonl").unlink()
    with pytest.raises(balnet.ComputationError, match="missing"):
        balnet.sweep_merge(a)


def test_verify_equals_cli():
    py = balnet.verify(only="balanced")
    assert py == cli("verify", "--only", "balanced")["cases"]
    assert all(c["verdict"] == "pass" for c in py)


def test_check_equals_cli(tmp_path):
    fp = balnet.fixed_point(n=600, j0=0.1)
    doc = {
        "format": "balnet-check/1",
        "simulator": "pytest",
        "model": "rate",
        "params": {"n": 600, "j0": 0.1},
        "window": {"t": 30, "transient": 60, "dt": 0.05},
        "realizations": 1,
        "statistics": {"phi_e": fp.phi_e, "w": fp.w},
    }
    path = tmp_path / "stats.json"
    path.write_text(json.dumps(doc))
    py = balnet.check(doc, cache=False, realizations=4, max_realizations=4).to_dict()
    out = cli("check", "--against", str(path), "--no-cache", "--realizations", "4", "--max-realizations", "4")
    for d in (py, out):
        d["prediction"].pop("seconds")  # wall time
    assert py == out
    assert py["verdict"] == "pass"
    assert {s["name"] for s in py["statistics"]} == {"phi_e", "w"}


# ---------------------------------------------------------------------------------------------
# Networks


def test_network_equals_export_read_back_with_mmread(tmp_path):
    import scipy.io as scipy_io  # scipy is part of the README's set-up line
    cli("export-network", "--n", "500", "--seed", "7", "--no-autapses", "--out", str(tmp_path))
    net = balnet.network(n=500, seed=7, autapses=False)
    meta = json.loads((tmp_path / "network.json").read_text())
    assert net.meta == meta
    for name in ("ee", "ei", "ie", "ii"):
        block = getattr(net, name)
        m = scipy_io.mmread(str(tmp_path / f"{name}.mtx")).tocsr()
        pattern = block.copy()
        pattern.data[:] = 1.0
        assert block.shape == m.shape
        assert (pattern.tocsr() != m).nnz == 0
        assert np.all(block.data == meta[name]["weight"])
    again = tmp_path / "again"
    e = balnet.export_network(again, n=500, seed=7, autapses=False)
    want = cli("export-network", "--n", "500", "--seed", "7", "--no-autapses", "--out", str(again))
    assert e.to_dict() == want and e.synapses == (e.n_e + e.n_i) * (e.k_e + e.k_i)
    for name in ("ee.mtx", "ei.mtx", "ie.mtx", "ii.mtx", "network.json"):
        assert (again / name).read_bytes() == (tmp_path / name).read_bytes()
    loaded = balnet.network(path=tmp_path)
    assert (loaded.ee != net.ee).nnz == 0 and loaded.seed == 7
    # A simulation on the loaded network equals the CLI's on the same directory.
    r = balnet.simulate_rate(network=tmp_path, j0=1.2, t=20, transient=10)
    assert r.to_dict() == cli("simulate", "rate", "--network", str(tmp_path), "--j0", "1.2", "--t", "20", "--transient", "10")
    with pytest.raises(ValueError, match="structure"):
        balnet.simulate_rate(network=tmp_path, n=1000)
    with pytest.raises(ValueError, match="structure"):
        balnet.simulate_rate(balnet.Params(j0=1.2), network=tmp_path)
    # Keywords change a loaded network's weights, as the CLI's flags do.
    strong = balnet.network(path=tmp_path, j0=1.2)
    assert strong.ee.data[0] == pytest.approx(1.2 / 0.1 * net.ee.data[0], rel=1e-15)


# ---------------------------------------------------------------------------------------------
# Params and errors


def test_params_defaults_replace_dict_toml_pickle(tmp_path):
    p = balnet.Params()
    assert (p.n, p.j0, p.g_i, p.transfer) == (20000.0, 0.1, 2.0, "erf")
    q = p.replace(j0=0.5, transfer="lif", tau_m=2.0)
    assert q.j0 == 0.5 and q.tau_m == 2.0 and p.j0 == 0.1
    assert balnet.Params(**{k: v for k, v in q.to_dict().items() if v is not None}) == q
    assert pickle.loads(pickle.dumps(q)) == q
    assert "j0=0.5" in repr(q)
    f = tmp_path / "p.toml"
    f.write_text("n = 5000\nj0 = 1.5\n")
    assert balnet.Params.from_toml(f) == balnet.Params(n=5000, j0=1.5)
    assert balnet.Params("lif").tau_syn == 10.0


INVALID = {
    "n": [-1.0, 0.0, float("nan")],
    "j0": [-1.0, float("nan")],
    "i0": [float("nan"), float("inf")],
    "g_e": [-1.0],
    "g_i": [-1.0],
    "c_e": [0.0, 2.0],
    "c_i": [0.0, 2.0],
    "j_e": [-1.0],
    "j_i": [-1.0],
    "u": [-0.1, 1.5],
    "tau_d": [-1.0],
    "f": [0.0, 1.0],
    "tau_syn": [0.0],
    "tau_m": [0.0],
    "transfer": ["sigmoid"],
    "variance": ["exact"],
}


@pytest.mark.parametrize("name", sorted(INVALID))
def test_invalid_values_raise_value_error_naming_the_parameter(name):
    for v in INVALID[name]:
        kw = {name: v}
        if name == "tau_m":
            kw["transfer"] = "lif"
        with pytest.raises(ValueError, match=name):
            balnet.Params(**kw)
        with pytest.raises(ValueError, match=name):
            balnet.fixed_point(**kw)


def test_the_same_message_as_the_cli():
    with pytest.raises(ValueError) as e:
        balnet.Params(u=1.5)
    out = subprocess.run([BIN, "fixed-point", "--u", "1.5"], capture_output=True, text=True)
    assert out.returncode == 2
    assert str(e.value) in out.stderr
    with pytest.raises(ValueError, match="unknown parameter 'jo'"):
        balnet.Params(jo=1.0)
    with pytest.raises(ValueError, match="dt"):
        balnet.simulate_rate(n=500, dt=2.0)
    with pytest.raises(ValueError, match="method"):
        balnet.simulate_rate(n=500, method="rk45")
    with pytest.raises(ValueError, match="record"):
        balnet.simulate_rate(n=500, t=1, transient=0, record=["acf", "spikes"])


def test_divergence_raises_computation_error_with_its_time():
    y = balnet.simulate_rate(n=400, t=1, transient=0).state
    y = y.copy()
    y[3] = 1e8
    with pytest.raises(balnet.ComputationError) as e:
        balnet.simulate_rate(n=400, t=10, transient=0, init=y)
    assert e.value.t == pytest.approx(0.8) and e.value.step == 16
    assert "diverged at t = 0.8" in str(e.value)


def test_no_root_raises_computation_error():
    with pytest.raises(balnet.ComputationError, match="no critical coupling"):
        balnet.critical_coupling(n=1e4, j_min=1e-3, j_max=1e-2)


# ---------------------------------------------------------------------------------------------
# GIL, Ctrl-C, progress


def test_two_threads_simulate_at_once():
    spans = {}

    def run(name):
        start = time.perf_counter()
        balnet.simulate_rate(n=3000, j0=1.5, t=150, transient=0, seed=1)
        spans[name] = (start, time.perf_counter())

    threads = [threading.Thread(target=run, args=(k,)) for k in "ab"]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    (a0, a1), (b0, b1) = spans["a"], spans["b"]
    overlap = min(a1, b1) - max(a0, b0)
    # Holding the GIL would serialise the calls (overlap <= 0); released, they run together.
    assert overlap > 0.5 * min(a1 - a0, b1 - b0), spans


@pytest.mark.filterwarnings("ignore:balnet. this run will take")
def test_ctrl_c_stops_a_long_run_and_leaves_no_partial_file(tmp_path):
    ck = tmp_path / "run.ckpt"
    timer = threading.Timer(1.0, lambda: os.kill(os.getpid(), signal.SIGINT))
    start = time.perf_counter()
    timer.start()
    with pytest.raises(KeyboardInterrupt):
        balnet.simulate_rate(n=5000, j0=1.5, t=1e5, transient=0, checkpoint=ck)
    took = time.perf_counter() - start
    assert took < 3.0, f"stopped after {took:.2f} s (signal at 1 s)"
    # The checkpoint is a whole file (written atomically when stopped); no temporary remains.
    assert [p.name for p in tmp_path.iterdir()] == ["run.ckpt"]
    assert ck.read_bytes()[:8] == b"BALNETCK"
    # ... and the same call resumes from it (a progress callback hears where).
    heard = []
    with pytest.raises(KeyboardInterrupt):
        threading.Timer(0.5, lambda: os.kill(os.getpid(), signal.SIGINT)).start()
        balnet.simulate_rate(n=5000, j0=1.5, t=1e5, transient=0, checkpoint=ck, progress=heard.append)
    assert heard and heard[0] > 0.0, "resumed from the checkpoint, not from the start"


def test_progress_callback_hears_the_run():
    seen = []
    balnet.simulate_rate(n=1000, j0=1.5, t=100, transient=0, progress=seen.append)
    assert seen and seen[-1] == 1.0 and seen == sorted(seen)

    def fail(_):
        raise RuntimeError("stop here")

    with pytest.raises(RuntimeError, match="stop here"):
        balnet.simulate_rate(n=1000, j0=1.5, t=100, transient=0, progress=fail)


def test_results_are_frozen():
    r = balnet.balanced_limit()
    with pytest.raises(AttributeError):
        r.phi_e = 1.0
    with pytest.raises(AttributeError):
        r.nonsense


# ---------------------------------------------------------------------------------------------
# DMF and paper 004

SSN = ROOT / "golden" / "ssn"


def test_dmf_equals_cli():
    small = dict(modes=1024, realizations=8, chains=2, target=0.2)
    flags = ["--modes", "1024", "--realizations", "8", "--chains", "2", "--target", "0.2"]
    d = balnet.dmf(n=2000, j0=1.5, **small)
    assert d.to_dict() == cli("dmf", "--n", "2000", "--j0", "1.5", *flags)
    assert d.converged and d.delta_e.dtype == np.float64 and d.delta_e[0] == pytest.approx(d.delta0_e, rel=0.2)
    assert d.history and d.history[-1]["chain"] == d.chains - 1
    inf = balnet.dmf(n=float("inf"), j0=0.5, **small)
    assert inf.to_dict() == cli("dmf", "--n", "inf", "--j0", "0.5", *flags)
    assert inf.n == "inf" and inf.termination == "fixed_point"
    with pytest.raises(ValueError, match="modes"):
        balnet.dmf(modes=1000)


def test_ssn_functions_equal_cli():
    f = balnet.ssn_fit(sigma=100.0, max_rate=10.0)
    assert f.to_dict() == cli("ssn", "fit", "--sigma", "100", "--max-rate", "10")
    bistable = SSN / "bistable.toml"
    st = balnet.ssn_steady_states(bistable, mu_ext=100.0, r=1.0)
    assert st.to_dict() == cli("ssn", "steady-states", "--params", str(bistable), "--mu-ext", "100", "--r", "1")
    assert balnet.ssn_steady_states(bistable.read_text(), 100.0, 1.0) == st
    sc = balnet.ssn_scan(bistable, mu_ext=[50.0, 100.0, 200.0], r=[0.5, 1.0])
    want = cli("ssn", "scan", "--params", str(bistable), "--mu-ext", "50,100,200", "--r", "0.5,1")
    got = sc.to_dict()
    for d in (got, want):
        d.pop("seconds")  # wall time
    assert got == want and len(sc.cells) == 6
    sup = SSN / "supersaturating.toml"
    x = balnet.simulate_lif_ssn(sup, mu_ext=850.0, r=1.5, t=0.3, transient=0.1, seed=3)
    assert x.to_dict() == cli(
        "simulate", "lif-ssn", "--params", str(sup), "--mu-ext", "850", "--r", "1.5", "--t", "0.3",
        "--transient", "0.1", "--seed", "3",
    )
    # The fitted SSN as a file of its own (TOML text): the same states, no Phi_sc; it cannot
    # be simulated (no LIF network behind it).
    s = st.ssn
    text = "".join(f"{k} = {s[k]!r}\n" for k in ("j_ee", "j_ei", "j_ie", "j_ii", "tau_e", "tau_i"))
    for pop in ("e", "i"):
        text += f"[{pop}]\n" + "".join(f"{k} = {s[pop][k]!r}\n" for k in ("a", "b", "n"))
    own = balnet.ssn_steady_states(text, 100.0, 1.0)
    assert own.states == st.states and own.phi_sc is None
    with pytest.raises(ValueError, match="LIF network"):
        balnet.simulate_lif_ssn(text, 100.0, 1.0)
    with pytest.raises(ValueError, match="missing field"):
        balnet.ssn_steady_states("[e]\na = 1\n", 1.0, 1.0)


def test_set_threads_after_start_says_so():
    balnet.critical_coupling(n=np.array([1e4, 1e5]))  # the workers are running now
    with pytest.raises(RuntimeError, match="already running"):
        balnet.set_threads(1)
    with pytest.raises(ValueError, match="threads"):
        balnet.set_threads(0)


def test_long_runs_warn_before_they_start():
    """A run estimated at hours says so (a UserWarning), as the CLI does on stderr."""

    def stop(_):
        raise RuntimeError("enough")

    with pytest.warns(UserWarning, match="will take about"):
        with pytest.raises(RuntimeError, match="enough"):
            balnet.simulate_rate(n=20000, t=1e6, transient=0, progress=stop)
