#!/usr/bin/env python3
"""The LIF network of Eqs. 62-64 in NEST 3 on a network exported by `balnet export-network`,
written as a `balnet check` file.

    balnet export-network --n 2000 --seed 1 --out net2000
    python3 examples/nest_lif.py net2000 --out nest-lif-check.json      # ~1 min
    balnet check --against nest-lif-check.json

The mapping of balnet's LIF model onto NEST (one model time unit, tau_m, is 1 ms):
- neurons: `iaf_psc_exp` with tau_m = 1 ms, C_m = 1 pF (so dV/dt = -V + I: balnet's
  v' = -v + mu), E_L = 0, V_reset = 0, V_th = 1 (mV stand for balnet's dimensionless v),
  t_ref = 0 (the paper's; `--tau-ref` sets another), I_e = I0 (pA), tau_syn_ex = tau_syn_in
  = tau_syn;
- weights: a spike of j makes balnet's s_i jump by J0 |J_ij| / tau_syn, so NEST's current
  jumps by that many pA: w_EE = J0 j_E / (sqrt(K_E) tau_syn), w_EI = -J0 g_E j_E / (sqrt(K_I)
  tau_syn), w_IE = J0 j_I / (sqrt(K_E) tau_syn), w_II = -J0 g_I j_I / (sqrt(K_I) tau_syn);
- depression (E -> E only): `tsodyks2_synapse` with U = u, tau_rec = tau_D, tau_fac = 0 and
  the weight divided by U (its efficacy is weight * U * x with x the resource before the
  spike, balnet's w_j), u = 0 at the start so that the first spike is not depressed twice;
- delays: one time step (NEST's minimum; balnet's Euler scheme delivers a spike in the next
  step as well).
NEST integrates the subthreshold dynamics exactly, so the file states `"method": "exact"`
and balnet predicts with its exact integrator. The statistics are `rate_e`, `rate_i` (spikes
per tau_m) and `cv_e`, `cv_i` (mean over neurons with >= 3 spikes of the ISI coefficient of
variation, standard deviation with 1/m), as `balnet simulate lif` defines them; realizations
differ in the initial membrane potentials (uniform in [0, 1), NEST's seed `--seed` + r).

balnet's own `tau_dec` is the least-squares fit of Delta0 / cosh^2(tau / tau_dec) to the
population-averaged input autocovariance over the lags where it exceeds 5 % of Delta0
(`theory::acf::tau_dec`); a NEST user who records I_syn can fit the same way, but this script
reports spike statistics only.
"""
import argparse
import json
import os

import nest
import numpy as np
import scipy.io


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("network", help="directory written by balnet export-network")
    ap.add_argument("--j0", type=float, default=0.4)
    ap.add_argument("--i0", type=float, default=1.2)
    ap.add_argument("--tau-syn", type=float, default=10.0)
    ap.add_argument("--tau-d", type=float, default=10.0)
    ap.add_argument("--tau-ref", type=float, default=0.0)
    ap.add_argument("--t", type=float, default=100.0, help="measured time (tau_m)")
    ap.add_argument("--transient", type=float, default=50.0)
    ap.add_argument("--dt", type=float, default=1e-3)
    ap.add_argument("--realizations", type=int, default=2)
    ap.add_argument("--seed", type=int, default=101)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--out", default="nest-lif-check.json")
    a = ap.parse_args()

    meta = json.load(open(os.path.join(a.network, "network.json")))
    p = meta["params"]
    blocks = {b: scipy.io.mmread(os.path.join(a.network, b + ".mtx")).tocsr()
              for b in ("ee", "ei", "ie", "ii")}
    ne, ni = blocks["ee"].shape[0], blocks["ie"].shape[0]
    ke, ki = blocks["ee"][0].nnz, blocks["ei"][0].nnz
    ts = a.tau_syn
    w_ee = a.j0 * p["j_e"] / np.sqrt(ke) / ts
    w_ei = -a.j0 * p["g_e"] * p["j_e"] / np.sqrt(ki) / ts
    w_ie = a.j0 * p["j_i"] / np.sqrt(ke) / ts
    w_ii = -a.j0 * p["g_i"] * p["j_i"] / np.sqrt(ki) / ts
    u = p["u"]

    runs = []
    for r in range(a.realizations):
        if hasattr(nest, "VerbosityLevel"):
            nest.verbosity = nest.VerbosityLevel.ERROR
        else:
            nest.set_verbosity("M_ERROR")
        nest.ResetKernel()
        nest.SetKernelStatus({"resolution": a.dt, "local_num_threads": a.threads,
                              "print_time": False, "rng_seed": a.seed + r})
        params = dict(E_L=0.0, C_m=1.0, tau_m=1.0, t_ref=a.tau_ref, V_th=1.0, V_reset=0.0,
                      tau_syn_ex=ts, tau_syn_in=ts, I_e=a.i0)
        E = nest.Create("iaf_psc_exp", ne, params=params)
        I = nest.Create("iaf_psc_exp", ni, params=params)
        v0 = np.random.default_rng(a.seed + r).random(ne + ni)
        E.V_m = v0[:ne]
        I.V_m = v0[ne:]
        first = {"E": E[0].global_id, "I": I[0].global_id}

        def connect(block, pre_pop, post_pop, syn):
            m = blocks[block].tocoo()   # row: postsynaptic, column: presynaptic (1.. in the file)
            pre = (m.col + first[pre_pop]).astype(np.int64)
            post = (m.row + first[post_pop]).astype(np.int64)
            spec = {k: (v if isinstance(v, str) else np.full(len(pre), float(v)))
                    for k, v in syn.items()}
            nest.Connect(pre, post, conn_spec="one_to_one", syn_spec=spec)

        connect("ee", "E", "E", dict(synapse_model="tsodyks2_synapse", weight=w_ee / u,
                                      delay=a.dt, U=u, u=0.0, x=1.0, tau_rec=a.tau_d,
                                      tau_fac=0.0))
        connect("ei", "I", "E", dict(synapse_model="static_synapse", weight=w_ei, delay=a.dt))
        connect("ie", "E", "I", dict(synapse_model="static_synapse", weight=w_ie, delay=a.dt))
        connect("ii", "I", "I", dict(synapse_model="static_synapse", weight=w_ii, delay=a.dt))
        rec = nest.Create("spike_recorder", params={"start": a.transient})
        nest.Connect(E + I, rec)
        nest.Simulate(a.transient + a.t)
        ev = rec.get("events")
        senders = np.asarray(ev["senders"]) - first["E"]
        times = np.asarray(ev["times"])

        def stats(lo, n):
            sel = (senders >= lo) & (senders < lo + n)
            s, t = senders[sel] - lo, times[sel]
            order = np.lexsort((t, s))
            s, t = s[order], t[order]
            counts = np.bincount(s, minlength=n)
            starts = np.concatenate([[0], np.cumsum(counts)])
            cvs = [np.std(np.diff(t[starts[k]:starts[k + 1]])) /
                   np.mean(np.diff(t[starts[k]:starts[k + 1]]))
                   for k in range(n) if counts[k] >= 3]
            return counts.sum() / n / a.t, float(np.mean(cvs)) if cvs else float("nan")

        rate_e, cv_e = stats(0, ne)
        rate_i, cv_i = stats(ne, ni)
        runs.append(dict(rate_e=rate_e, rate_i=rate_i, cv_e=cv_e, cv_i=cv_i))
        print(f"realization {r + 1}/{a.realizations}: rate_E = {rate_e:.4f}, "
              f"CV_E = {cv_e:.3f}", flush=True)

    R = len(runs)
    stats = {}
    for k in ("rate_e", "rate_i", "cv_e", "cv_i"):
        v = np.array([o[k] for o in runs])
        stats[k] = {"value": float(v.mean()),
                    "stderr": float(v.std(ddof=1) / np.sqrt(R)) if R > 1 else None}
    doc = {
        "format": "balnet-check/1",
        "simulator": f"examples/nest_lif.py (NEST {nest.__version__})",
        "model": "lif",
        "params": {"j0": a.j0, "i0": a.i0, "tau_syn": a.tau_syn, "tau_d": a.tau_d,
                   "transfer": "lif", "tau_ref": a.tau_ref},
        "network": os.path.relpath(a.network, os.path.dirname(os.path.abspath(a.out))),
        "window": {"t": a.t, "transient": a.transient, "dt": a.dt, "method": "exact"},
        "realizations": R,
        "statistics": stats,
    }
    tmp = a.out + ".tmp"
    with open(tmp, "w") as f:
        json.dump(doc, f, indent=1)
    os.replace(tmp, a.out)
    print(f"wrote {a.out}")


if __name__ == "__main__":
    main()
