#!/usr/bin/env python3
"""The rate network of Eq. 1 in Brian2, on a network balnet wrote, writing its statistics as
a `balnet check` file and checking them with balnet.

    pip install ./python brian2 "numpy<2.4"      # once
    python3 examples/brian2_rate.py net2000 --n 2000 --j0 1.5 --out brian2-check.json

The network directory is written with `balnet.export_network` when it does not exist yet,
its blocks come from `balnet.network(path=...)`, and the statistics are checked with
`balnet.check` (as `balnet check --against brian2-check.json` would).

One model time unit is one millisecond in Brian2 (tau = 1 ms, tau_D = 10 ms). The firing
rate phi(x) = (1 + erf(x / sqrt 2)) / 2 is stored per neuron and refreshed at the start of
each step, so the synapses read it without evaluating erf per synapse. Each synapse adds its
presynaptic rate (times w for E -> E) to a summed postsynaptic input. Statistics are as in
examples/numpy_rate.py: means of phi, w and the input mu, and Delta0 (each neuron's temporal
variance of mu, averaged), accumulated on the fly; standard errors from the realizations.
"""
import argparse
import json
import os

import sys

import numpy as np
from scipy.special import erf
from brian2 import (Network, NeuronGroup, Synapses, check_units, defaultclock, ms, prefs,
                    start_scope)

import balnet

prefs.codegen.target = "numpy"


@check_units(z=1, result=1)
def rate_of(z):
    return 0.5 * (1.0 + erf(z / np.sqrt(2.0)))


def blocks_of(directory):
    """Presynaptic (column) and postsynaptic (row) indices and the shape of each block."""
    net = balnet.network(path=directory)
    out = {}
    for name in ("ee", "ei", "ie", "ii"):
        m = getattr(net, name).tocoo()
        out[name] = (m.col.astype(int), m.row.astype(int), m.shape)
    return out


def realization(net_dir, meta, j0, i0, dt, t_tr, t_meas, rng):
    start_scope()
    p = meta["params"]
    blocks = blocks_of(net_dir)
    ne, ni = blocks["ee"][2][0], blocks["ie"][2][0]
    ke, ki = len(blocks["ee"][0]) // ne, len(blocks["ei"][0]) // ne
    defaultclock.dt = dt * ms
    ns = dict(tau=1 * ms, tau_d=p["tau_d"] * ms, u=p["u"], i0=i0, rate_of=rate_of,
              j_ee=j0 * p["j_e"] / np.sqrt(ke), j_ei=-j0 * p["g_e"] * p["j_e"] / np.sqrt(ki),
              j_ie=j0 * p["j_i"] / np.sqrt(ke), j_ii=-j0 * p["g_i"] * p["j_i"] / np.sqrt(ki))
    common = """
    r : 1
    h_e : 1
    h_i : 1
    mu = i0 + h_e + h_i : 1
    s_r : 1
    s_mu : 1
    s_mu2 : 1
    on : 1 (shared)
    """
    E = NeuronGroup(ne, """dx/dt = (-x + mu) / tau : 1
    dw/dt = (1 - w) / tau_d - u * w * r / tau : 1
    s_w : 1""" + common, method="euler", namespace=ns)
    I = NeuronGroup(ni, "dx/dt = (-x + mu) / tau : 1" + common, method="euler", namespace=ns)
    E.x, I.x, E.w = rng.standard_normal(ne), rng.standard_normal(ni), 1.0
    for g in (E, I):
        g.r = rate_of(np.asarray(g.x[:]))
        g.run_regularly("r = rate_of(x)", when="start")
        # accumulators, switched on after the transient
        g.run_regularly("s_r += on * r\ns_mu += on * mu\ns_mu2 += on * mu * mu", when="end")
    E.run_regularly("s_w += on * w", when="end")
    syn = []
    for name, src, tgt, target, expr in (("ee", E, E, "h_e", "j_ee * r_pre * w_pre"),
                                          ("ei", I, E, "h_i", "j_ei * r_pre"),
                                          ("ie", E, I, "h_e", "j_ie * r_pre"),
                                          ("ii", I, I, "h_i", "j_ii * r_pre")):
        pre, post, _ = blocks[name]
        s = Synapses(src, tgt, f"{target}_post = {expr} : 1 (summed)", namespace=ns)
        s.connect(i=pre, j=post)
        syn.append(s)
    net = Network(E, I, *syn)
    net.run(t_tr * ms, namespace=ns)
    E.on, I.on = 1.0, 1.0
    net.run(t_meas * ms, namespace=ns)
    steps = int(round(t_meas / dt))
    out = {}
    for pop, g in (("e", E), ("i", I)):
        m1, m2 = np.asarray(g.s_mu[:]) / steps, np.asarray(g.s_mu2[:]) / steps
        out["phi_" + pop] = float(np.mean(g.s_r[:]) / steps)
        out["mu_" + pop] = float(np.mean(m1))
        out["delta0_" + pop] = float(np.mean(m2 - m1 ** 2))
    out["w"] = float(np.mean(E.s_w[:]) / steps)
    return out


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
    ap.add_argument("--seed", type=int, default=2024)
    ap.add_argument("--out", default="brian2-check.json")
    a = ap.parse_args()
    if not os.path.exists(os.path.join(a.network, "network.json")):
        balnet.export_network(a.network, n=a.n, seed=a.net_seed)
    meta = json.load(open(os.path.join(a.network, "network.json")))
    rng = np.random.default_rng(a.seed)
    runs = []
    for k in range(a.realizations):
        runs.append(realization(a.network, meta, a.j0, a.i0, a.dt, a.transient, a.t, rng))
        print(f"realization {k + 1}/{a.realizations}: phi_E = {runs[-1]['phi_e']:.4f}", flush=True)
    stats = {}
    for key in runs[0]:
        v = np.array([r[key] for r in runs])
        se = float(v.std(ddof=1) / np.sqrt(len(v))) if len(v) > 1 else None
        stats[key] = {"value": float(v.mean()), "stderr": se}
    doc = {
        "format": "balnet-check/1",
        "simulator": "examples/brian2_rate.py (Brian2, numpy target)",
        "model": "rate",
        "params": {"j0": a.j0, "i0": a.i0},
        "network": os.path.relpath(a.network, os.path.dirname(os.path.abspath(a.out))),
        "window": {"t": a.t, "transient": a.transient, "dt": a.dt, "method": "euler"},
        "realizations": len(runs),
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
