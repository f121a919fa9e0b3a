#!/usr/bin/env python3
"""A walk through balnet's Python API, notebook style (run it, or paste the cells).

    pip install ./python matplotlib tqdm     # once, from the repository root
    python3 examples/quickstart.py           # about 20 s on 2 cores; writes quickstart.png

Every call is one call of balnet's Rust library, the same one the `balnet` command line makes:
the fields of a result are the command's `--json` output, bit for bit.
"""
# %% Parameters: Table 1's defaults, the paper's symbols as keywords.
import numpy as np

import balnet

p = balnet.Params(n=5000, j0=0.5)
print(p)
print(p.replace(transfer="lif", tau_m=2.0).to_dict())

# %% Theory: the balanced limit (Eq. 6) and the fixed point at finite N (Eq. 5).
print(balnet.balanced_limit())
fp = balnet.fixed_point(p)
print(f"phi_E = {fp.phi_e:.6f}, Girko radius r = {fp.girko_radius:.4f}, stable: {fp.het_stable}")
print("homogeneous eigenvalues:", fp.hom_eigenvalues_complex)

# %% The critical coupling J_c against N (Eq. 30), vectorised: one call, a numpy array.
n = np.logspace(3, 12, 10)
jc = balnet.critical_coupling(n=n)
for ni, j in zip(n, jc):
    print(f"N = {ni:8.0e}: J_c = {j:.6f}")
print(f"N = inf : J_c = {balnet.critical_coupling(n=np.inf):.6f}")

# %% A simulation of Eq. 1 above J_c, with a progress bar (tqdm if installed).
try:
    from tqdm import tqdm
except ImportError:  # the progress callback is any function of the fraction done
    tqdm = None

if tqdm is not None:
    with tqdm(total=1.0, bar_format="{l_bar}{bar}| {elapsed}") as bar:
        sim = balnet.simulate_rate(n=5000, j0=1.5, t=300, transient=100, traces=[0, 4000],
                                   progress=lambda done: bar.update(done - bar.n))
else:
    sim = balnet.simulate_rate(n=5000, j0=1.5, t=300, transient=100, traces=[0, 4000])
print(sim)
lags = np.arange(len(sim.acf_e)) * sim.lag_dt

# %% Its population-averaged input autocovariance (Fig. 7C) and two input traces.
try:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (a, b) = plt.subplots(1, 2, figsize=(9, 3.2))
    a.plot(lags, sim.acf_e / sim.acf_e[0], label="E")
    a.plot(lags, sim.acf_i / sim.acf_i[0], label="I")
    a.set(xlabel="lag", ylabel="C(lag) / C(0)", title=f"N = 5000, J0 = 1.5 (tau_dec = {sim.tau_dec_e:.2f})")
    a.legend()
    b.plot(sim.trace_t, sim.trace_data[0, :, 1], label="mu of neuron 0 (E)")
    b.plot(sim.trace_t, sim.trace_data[1, :, 1], label="mu of neuron 4000 (I)")
    b.set(xlabel="t", ylabel="mu")
    b.legend()
    fig.tight_layout()
    fig.savefig("quickstart.png", dpi=100)
    print("wrote quickstart.png")
except ImportError:
    print("(matplotlib not installed: no figure)")

# %% The network itself, as scipy sparse blocks (rows postsynaptic), for your own simulator.
net = balnet.network(n=2000, seed=1)
print(net, "E->E block:", net.ee.shape, net.ee.nnz, "synapses of weight", net.ee.data[0])

# %% Check your own simulator's numbers (here: made up, one of them wrong by 10 %).
fp2000 = balnet.fixed_point(n=2000, j0=0.1)
mine = {
    "format": "balnet-check/1",
    "simulator": "my simulator",
    "model": "rate",
    "params": {"n": 2000, "j0": 0.1},
    "window": {"t": 100, "transient": 200, "dt": 0.05},
    "realizations": 1,
    "statistics": {"phi_e": fp2000.phi_e, "w": 1.1 * fp2000.w},
}
report = balnet.check(mine)
for s in report.statistics:
    print(f"{s['name']}: expected {s['expected']:.6f}, observed {s['observed']:.6f} -> {s['verdict']}")
print("verdict:", report.verdict)
