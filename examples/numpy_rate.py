#!/usr/bin/env python3
"""Simulate the rate network of Eq. 1 with numpy + scipy.sparse on a network balnet wrote,
write the statistics as a `balnet check` file and check them with balnet.

    pip install ./python            # once: the balnet Python package
    python3 examples/numpy_rate.py net2000 --n 2000 --j0 1.5 --out numpy-check.json

The network directory is written with `balnet.export_network` when it does not exist yet (the
same files as `balnet export-network`), read back with `balnet.network(path=...)` as scipy
sparse blocks, and the statistics are checked with `balnet.check` (the same as
`balnet check --against numpy-check.json`; exit status 0 pass, 1 fail, 3 inconclusive).

Each realization starts from its own random state (x ~ N(0, 1), w = 1) on the same network.
Statistics (definitions in balnet's README, "balnet check"): population and time averages of
phi_E, phi_I, w and the total inputs mu; Delta0 (population mean of each neuron's temporal
variance of mu); the population-averaged input autocovariance at lags 0, 0.5, ..., 10 (each
neuron's mean removed, 1 / (L - k) normalisation). Standard errors come from the spread
across realizations.
"""
import argparse
import json
import os

import sys

import numpy as np
from scipy.special import erfc

import balnet


def load(directory):
    """network.json's content and the four blocks as 0/1 CSR patterns (rows postsynaptic)."""
    net = balnet.network(path=directory)
    blocks = {}
    for b in ("ee", "ei", "ie", "ii"):
        pattern = getattr(net, b).copy()
        pattern.data[:] = 1.0
        blocks[b] = pattern
    return net.meta, blocks


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("network", help="network directory (written by balnet if it does not exist)")
    ap.add_argument("--n", type=float, default=2000, help="N of a network written here")
    ap.add_argument("--net-seed", type=int, default=1, help="seed of a network written here")
    ap.add_argument("--j0", type=float, default=1.5)
    ap.add_argument("--i0", type=float, default=0.0)
    ap.add_argument("--t", type=float, default=300.0, help="measured time")
    ap.add_argument("--transient", type=float, default=200.0)
    ap.add_argument("--dt", type=float, default=0.05)
    ap.add_argument("--realizations", type=int, default=3)
    ap.add_argument("--seed", type=int, default=12345)
    ap.add_argument("--out", default="numpy-check.json")
    a = ap.parse_args()

    if not os.path.exists(os.path.join(a.network, "network.json")):
        balnet.export_network(a.network, n=a.n, seed=a.net_seed)
    meta, B = load(a.network)
    p = meta["params"]
    ne, ni = B["ee"].shape[0], B["ie"].shape[0]
    ke, ki = B["ee"][0].nnz, B["ei"][0].nnz
    # Block weights of Eq. 3 at the requested J0 (network.json stores them for its own J0).
    w_ee = a.j0 * p["j_e"] / np.sqrt(ke)
    w_ei = -a.j0 * p["g_e"] * p["j_e"] / np.sqrt(ki)
    w_ie = a.j0 * p["j_i"] / np.sqrt(ke)
    w_ii = -a.j0 * p["g_i"] * p["j_i"] / np.sqrt(ki)
    ee, ei, ie, ii = (w_ee * B["ee"], w_ei * B["ei"], w_ie * B["ie"], w_ii * B["ii"])
    u, tau_d = p["u"], p["tau_d"]
    phi = lambda x: 0.5 * erfc(-x / np.sqrt(2.0))

    lags = np.arange(21) * 0.5
    every = int(round(0.5 / a.dt))
    rng = np.random.default_rng(a.seed)
    per_run = []
    for r in range(a.realizations):
        xe, xi = rng.standard_normal(ne), rng.standard_normal(ni)
        w = np.ones(ne)
        n_tr, n_meas = int(round(a.transient / a.dt)), int(round(a.t / a.dt))
        acc = dict(phi_e=0.0, phi_i=0.0, w=0.0, mu_e=0.0, mu_i=0.0)
        s1e, s2e, s1i, s2i = (np.zeros(ne), np.zeros(ne), np.zeros(ni), np.zeros(ni))
        tr_e, tr_i = [], []
        for step in range(n_tr + n_meas):
            re, ri = phi(xe), phi(xi)
            mue = a.i0 + ee @ (re * w) + ei @ ri
            mui = a.i0 + ie @ re + ii @ ri
            if step >= n_tr:
                acc["phi_e"] += re.mean(); acc["phi_i"] += ri.mean(); acc["w"] += w.mean()
                acc["mu_e"] += mue.mean(); acc["mu_i"] += mui.mean()
                s1e += mue; s2e += mue * mue; s1i += mui; s2i += mui * mui
                if (step - n_tr) % every == 0:
                    tr_e.append(mue[:200].copy()); tr_i.append(mui[:200].copy())
            xe, xi, w = (xe + a.dt * (-xe + mue), xi + a.dt * (-xi + mui),
                         w + a.dt * ((1.0 - w) / tau_d - u * w * re))
        out = {k: v / n_meas for k, v in acc.items()}
        out["delta0_e"] = float(np.mean(s2e / n_meas - (s1e / n_meas) ** 2))
        out["delta0_i"] = float(np.mean(s2i / n_meas - (s1i / n_meas) ** 2))
        for name, tr in (("acf_e", np.array(tr_e)), ("acf_i", np.array(tr_i))):
            d = tr - tr.mean(axis=0)
            L = len(d)
            out[name] = [float(np.mean(np.sum(d[: L - k] * d[k:], axis=0) / (L - k)))
                         for k in range(len(lags))]
        per_run.append(out)
        print(f"realization {r + 1}/{a.realizations}: phi_E = {out['phi_e']:.4f}", flush=True)

    R = len(per_run)
    stats = {}
    for k in ("phi_e", "phi_i", "w", "mu_e", "mu_i", "delta0_e", "delta0_i"):
        v = np.array([o[k] for o in per_run])
        se = float(v.std(ddof=1) / np.sqrt(R)) if R > 1 else None
        stats[k] = {"value": float(v.mean()), "stderr": se}
    for k in ("acf_e", "acf_i"):
        v = np.array([o[k] for o in per_run])
        acf = {"lags": lags.tolist(), "values": v.mean(axis=0).tolist()}
        if R > 1:
            acf["stderr"] = (v.std(axis=0, ddof=1) / np.sqrt(R)).tolist()
        stats[k] = acf
    doc = {
        "format": "balnet-check/1",
        "simulator": "examples/numpy_rate.py (numpy " + np.__version__ + ")",
        "model": "rate",
        "params": {"j0": a.j0, "i0": a.i0},
        "network": os.path.relpath(a.network, os.path.dirname(os.path.abspath(a.out))),
        "window": {"t": a.t, "transient": a.transient, "dt": a.dt, "method": "euler"},
        "realizations": R,
        "statistics": stats,
    }
    tmp = a.out + ".tmp"
    with open(tmp, "w") as f:
        json.dump(doc, f, indent=1)
    os.replace(tmp, a.out)
    print("wrote", a.out)

    report = balnet.check(a.out)
    for st in report.statistics:
        print(f"{st['name']:>10} expected {st['expected']:.5f} observed {st['observed']:.5f}: {st['verdict']}")
    print("balnet check:", report.verdict)
    return {"pass": 0, "fail": 1, "inconclusive": 3}[report.verdict]


if __name__ == "__main__":
    sys.exit(main())
