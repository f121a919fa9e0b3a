#!/usr/bin/env python3
"""balnet's Ricciardi rate against NEST's `siegert_neuron`, in NEST's units.

    python3 examples/nest_siegert.py [--balnet target/release/balnet]

NEST's siegert_neuron has no noise parameter of its own: its mean input mu_N and variance
sigma_N^2 (mV, mV^2) come from diffusion connections, drift_factor * r and diffusion_factor *
r for a presynaptic rate r. Here a source siegert_neuron holds r = 1 (tau = 1e12 ms) and the
target relaxes (tau = 0.1 ms, 20 ms simulated) to Phi(mu_N, sigma_N), which is compared with
`balnet ricciardi --convention nest`. Theta = 20 mV and V_reset = 10 mV throughout. NEST
returns 0 for rates far below threshold (it does not evaluate the far tail); those points are
reported, not compared. Exit status 1 if any compared rate differs by more than 1e-8
relative (NEST's own quadrature tolerance is of that order).
"""
import argparse
import json
import subprocess
import sys

import nest

CASES = [  # (mu_N mV, sigma_N mV, tau_m ms, t_ref ms)
    (18.0, 4.242640687119285, 20.0, 2.0),
    (12.0, 3.0, 10.0, 0.0),
    (25.0, 1.0, 20.0, 2.0),
    (15.0, 5.0, 20.0, 2.0),
    (19.5, 0.5, 10.0, 1.0),
    (30.0, 8.0, 20.0, 2.0),
    (5.0, 2.0, 20.0, 0.0),
]


def nest_rate(mu_n, sigma_n, tau_m, t_ref):
    nest.ResetKernel()
    nest.resolution = 0.01
    src = nest.Create("siegert_neuron", params={"tau": 1e12, "rate": 1.0})
    tgt = nest.Create("siegert_neuron", params={
        "tau": 0.1, "tau_m": tau_m, "t_ref": t_ref, "theta": 20.0, "V_reset": 10.0,
        "mean": 0.0, "rate": 0.0})
    nest.Connect(src, tgt, "all_to_all", {"synapse_model": "diffusion_connection",
                                          "drift_factor": mu_n, "diffusion_factor": sigma_n**2})
    nest.Simulate(20.0)
    return tgt.get("rate")


def balnet_rate(exe, mu_n, sigma_n, tau_m, t_ref):
    out = subprocess.run(
        [exe, "ricciardi", "--convention", "nest", "--mu", str(mu_n), "--sigma", str(sigma_n),
         "--tau", str(tau_m), "--tau-ref", str(t_ref), "--theta", "20", "--v-r", "10", "--json"],
        check=True, capture_output=True, text=True).stdout
    return json.loads(out)["rate"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--balnet", default="target/release/balnet")
    args = ap.parse_args()
    nest.set_verbosity("M_ERROR")
    worst = 0.0
    for case in CASES:
        n, b = nest_rate(*case), balnet_rate(args.balnet, *case)
        if n > 0.0:
            rel = abs(b - n) / n
            worst = max(worst, rel)
            print(f"mu_N {case[0]:5} sigma_N {case[1]:7.4f} tau_m {case[2]:4} t_ref {case[3]}: "
                  f"NEST {n:.12g} Hz, balnet {b:.12g} Hz, relative difference {rel:.1e}")
        else:
            print(f"mu_N {case[0]:5} sigma_N {case[1]:7.4f} tau_m {case[2]:4} t_ref {case[3]}: "
                  f"NEST 0 (tail not evaluated), balnet {b:.3e} Hz")
    print(f"worst relative difference {worst:.1e}")
    sys.exit(0 if worst < 1e-8 else 1)


if __name__ == "__main__":
    main()
