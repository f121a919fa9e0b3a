//! Paper 004's LIF network (sim::lif_ssn) against its two mean-field theories, Phi_sc and the
//! SSN, at N = 4000 for the parameter sets of golden/ssn/: the shapes of Figs. 2A
//! (supersaturation), 3B (paradoxical effect) and 4A (bistability with hysteresis).
//!
//! Tolerances. The rates are averages over N_X neurons and 1 s, so their statistical error is
//! below 1% at the rates tested (3200 E neurons at 1 Hz give 3200 spikes). What limits the
//! agreement is the diffusion approximation behind Phi_sc: PSPs of 0.2-1 mV against a
//! membrane sd of 3-4 mV make the input shot noise, not white noise, with relative errors
//! of order j / sd ~ 15% on the rate where the neuron is driven by fluctuations. Hence the
//! tolerance 0.15 nu + 0.5 Hz against Phi_sc. The SSN additionally replaces Phi by a power
//! law fitted over 0-10 Hz and neglects the recurrent noise; above 10 Hz it is only
//! qualitative (the bistable up state: SSN 12.5 Hz, Phi_sc 9.9 Hz), so it is compared in
//! shape (peaks, branches, signs) rather than in value.

use sim::lif_ssn::{Segment, SegmentResult, SsnLif};
use theory::ssn::mean_field::LifNetwork;

fn network(name: &str) -> LifNetwork {
    let path = format!("{}/../golden/ssn/{name}.toml", env!("CARGO_MANIFEST_DIR"));
    toml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn run(net: &LifNetwork, inputs: &[(f64, f64)], seed: u64) -> Vec<SegmentResult> {
    let sim = SsnLif::new(net, 1e-4, seed).unwrap();
    let proto: Vec<Segment> = inputs
        .iter()
        .map(|&(mu_e, mu_i)| Segment {
            duration: 1.5,
            settle: 0.5,
            mu_e,
            mu_i,
        })
        .collect();
    sim.run(&proto, seed, |_, _| {}).unwrap()
}

fn close(sim: f64, theory: f64, what: &str) {
    let tol = 0.15 * theory + 0.5;
    assert!(
        (sim - theory).abs() <= tol,
        "{what}: simulated {sim:.3} Hz, theory {theory:.3} Hz (tolerance {tol:.3})"
    );
}

/// One stable Phi_sc solution (the tests pick inputs where it is unique).
fn phi_sc(net: &LifNetwork, mu: f64, r: f64) -> (f64, f64) {
    let s: Vec<_> = net
        .phi_sc(mu, r)
        .unwrap()
        .into_iter()
        .filter(|x| x.stable && x.nu_e < 100.0)
        .collect();
    assert_eq!(s.len(), 1, "{s:?}");
    (s[0].nu_e, s[0].nu_i)
}

#[test]
fn supersaturation_fig_2a() {
    let net = network("supersaturating");
    let ssn = net.to_ssn(10.0).unwrap();
    let r = 1.5;
    let mus = [600.0, 850.0, 1000.0, 1500.0];
    let res = run(&net, &mus.map(|m| (m, r * m)), 1);
    for (m, x) in mus.iter().zip(&res) {
        let (e, i) = phi_sc(&net, *m, r);
        close(x.rate_e, e, &format!("E at mu_ext {m}"));
        close(x.rate_i, i, &format!("I at mu_ext {m}"));
        eprintln!(
            "mu {m}: sim {:.3} {:.3}, Phi_sc {e:.3} {i:.3}, SSN {:?}, CV {:.2} {:.2}, BF {:.2} {:.2}",
            x.rate_e,
            x.rate_i,
            ssn.steady_states(*m, r)
                .iter()
                .map(|s| (s.nu_e, s.nu_i))
                .collect::<Vec<_>>(),
            x.cv_e,
            x.cv_i,
            x.balance_e,
            x.balance_i
        );
    }
    // The shape: E rises then falls while I keeps rising; the SSN says the same.
    assert!(res[1].rate_e > res[0].rate_e && res[1].rate_e > 2.0 * res[3].rate_e);
    assert!(res.windows(2).all(|w| w[1].rate_i > w[0].rate_i));
    assert!(ssn.analyse(1000.0, r).supersaturating && !ssn.analyse(600.0, r).supersaturating);
    // Far from balance at the peak (paper: BF_E ~ 0.4, BF_I near 0): well below 1.
    assert!(
        res[1].balance_e < 0.6 && res[1].balance_i < 0.3,
        "{:?}",
        res[1]
    );
}

#[test]
fn paradoxical_effect_fig_3b() {
    let net = network("paradoxical");
    let ssn = net.to_ssn(10.0).unwrap();
    // Both inputs at 700 mV/s (E above the ISN threshold of Eq. 7), then only the input to
    // I rises to 800 mV/s.
    let res = run(&net, &[(700.0, 700.0), (700.0, 800.0)], 2);
    let st = ssn.steady_states(700.0, 1.0);
    assert_eq!(st.len(), 1);
    assert!(st[0].stable && st[0].isn && st[0].nu_e > ssn.isn_threshold());
    assert!(st[0].dnu_i_dmu_i < 0.0, "{st:?}");
    let (e0, i0) = phi_sc(&net, 700.0, 1.0);
    close(res[0].rate_e, e0, "E before");
    close(res[0].rate_i, i0, "I before");
    eprintln!("I rate: {:.3} -> {:.3} Hz", res[0].rate_i, res[1].rate_i);
    // The paradoxical effect: more input to I, less I activity (and less E).
    assert!(res[1].rate_i < res[0].rate_i, "{res:?}");
    assert!(res[1].rate_e < res[0].rate_e, "{res:?}");
}

#[test]
fn bistability_with_hysteresis_fig_4a() {
    let net = network("bistable");
    let ssn = net.to_ssn(10.0).unwrap();
    // Up to 200 mV/s (above the window, one high state), then back down to 160 (inside it).
    let inputs = [
        (100.0, 100.0),
        (160.0, 160.0),
        (200.0, 200.0),
        (160.0, 160.0),
    ];
    let res = run(&net, &inputs, 1);
    let sc = net.phi_sc(160.0, 1.0).unwrap();
    let stable: Vec<_> = sc.iter().filter(|x| x.stable && x.nu_e < 100.0).collect();
    assert_eq!(stable.len(), 2, "Phi_sc is bistable at 160 mV/s: {sc:?}");
    assert!(ssn.analyse(160.0, 1.0).bistable);
    let (low, high) = (stable[0], stable[1]);
    eprintln!(
        "160 mV/s: up-sweep {:.3} Hz, down-sweep {:.3} Hz; Phi_sc {:.3} / {:.3}",
        res[1].rate_e, res[3].rate_e, low.nu_e, high.nu_e
    );
    close(res[1].rate_e, low.nu_e, "low branch");
    // Exponential synapses (tau_s = 2 ms) filter the recurrent noise a little: the up state
    // runs ~6% below the white-noise Phi_sc, inside the tolerance.
    close(res[3].rate_e, high.nu_e, "high branch");
    assert!(res[3].rate_e > 4.0 * res[1].rate_e, "hysteresis: {res:?}");
}
