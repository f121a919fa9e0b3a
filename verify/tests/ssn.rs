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
//! value where its rates are 1-10 Hz and in shape (peaks, branches, signs) elsewhere.

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
    sim.run(&proto, seed, |_, _| std::ops::ControlFlow::Continue(()))
        .unwrap()
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
    // Against the SSN where its power laws were fitted (1-10 Hz; below 1 Hz the shot noise
    // of the IPSPs dominates, see the module docs): same tolerance, the fit's rms (0.04 Hz)
    // being far below it.
    let mut compared = 0;
    for (m, x) in mus.iter().zip(&res) {
        let st = ssn.steady_states(*m, r);
        let s = st.iter().find(|s| s.stable).unwrap();
        for (sim, th, what) in [(x.rate_e, s.nu_e, "E"), (x.rate_i, s.nu_i, "I")] {
            if (1.0..=10.0).contains(&th) {
                close(sim, th, &format!("{what} against the SSN at mu_ext {m}"));
                compared += 1;
            }
        }
    }
    assert!(compared >= 4, "{compared}");
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
    // The SSN's low branch (1.07 Hz, inside its fitted range; its up state, 12.5 Hz, is not).
    let ssn_low = ssn.steady_states(160.0, 1.0)[0];
    close(res[1].rate_e, ssn_low.nu_e, "low branch against the SSN");
    // Exponential synapses (tau_s = 2 ms) filter the recurrent noise a little: the up state
    // runs ~6% below the white-noise Phi_sc, inside the tolerance.
    close(res[3].rate_e, high.nu_e, "high branch");
    assert!(res[3].rate_e > 4.0 * res[1].rate_e, "hysteresis: {res:?}");
}

/// The XOR gate of Fig. 2G (examples/xor_gate.rs): one input at the SSN's E peak drives E
/// high, two push it past the peak into silence. Read out at half the SSN's peak rate; the
/// margins (8.8 Hz against 4.4, 0.3 Hz against 4.4) are far beyond the < 1% statistical error.
#[test]
fn xor_truth_table_fig_2g() {
    let net = network("supersaturating");
    let ssn = net.to_ssn(10.0).unwrap();
    let r = 1.5;
    let grid: Vec<f64> = (0..=400).map(|k| 5.0 * k as f64).collect();
    let (w, peak) = ssn.e_peak(&grid, r);
    let res = run(&net, &[(0.0, 0.0), (w, r * w), (2.0 * w, 2.0 * r * w)], 7);
    let out: Vec<bool> = res.iter().map(|x| x.rate_e > 0.5 * peak).collect();
    assert_eq!(out, [false, true, false], "{res:?}");
}

/// Fig. 6: J_XY and the drive scaled by sqrt(N / 4000), N from 4000 to 5e5, inputs given
/// before scaling; balanced-state theory predicts nu = -W^-1 (1, r) mu_ext as N -> inf.
/// Theory only (SSN and Phi_sc): spiking networks of 5e5 neurons are beyond a test.
#[test]
fn size_scaling_fig_6() {
    let stable = |net: &LifNetwork, mu0: f64, r: f64, n: usize| {
        let big = net.scaled(n);
        let mu = mu0 * net.drive_factor(n);
        let ssn: Vec<f64> = big
            .to_ssn(10.0)
            .unwrap()
            .steady_states(mu, r)
            .iter()
            .filter(|s| s.stable)
            .map(|s| s.nu_e)
            .collect();
        let sc: Vec<f64> = big
            .phi_sc(mu, r)
            .unwrap()
            .iter()
            .filter(|s| s.stable && s.nu_e < 100.0)
            .map(|s| s.nu_e)
            .collect();
        (ssn, sc)
    };
    // Bistable set (Fig. 6C-D): the balanced limit exists and is stable (nu_E = 0.66 Hz at
    // 100 mV/s), yet the rate approaches it slowly: one state from N = 4e4 on, closer with
    // every N, still more than 3 times the limit at N = 5e5 (paper: "even at N = 5 x 10^5 the
    // network rates still do not converge").
    let net = network("bistable");
    let b = net.to_ssn(10.0).unwrap().balanced_limit(100.0, 1.0);
    assert!(b.exists && b.stable);
    let mut last = f64::INFINITY;
    for n in [40_000usize, 100_000, 400_000, 500_000] {
        let (ssn, sc) = stable(&net, 100.0, 1.0, n);
        assert_eq!((ssn.len(), sc.len()), (1, 1), "N {n}: {ssn:?} {sc:?}");
        close(ssn[0], sc[0], &format!("SSN against Phi_sc at N {n}"));
        let gap = ssn[0] - b.nu_e;
        assert!(gap > 0.0 && gap < last, "N {n}: {gap} after {last}");
        last = gap;
    }
    assert!(
        last > 2.0 * b.nu_e,
        "still far from the limit at 5e5: {last}"
    );
    // Supersaturating set (Fig. 6A-B): no balanced limit; E is silenced as N grows.
    let net = network("supersaturating");
    assert!(!net.to_ssn(10.0).unwrap().balanced_limit(850.0, 1.5).exists);
    let (ssn, sc) = stable(&net, 850.0, 1.5, 4000);
    assert!(ssn[0] > 5.0 && sc[0] > 5.0);
    let (ssn, sc) = stable(&net, 850.0, 1.5, 400_000);
    assert!(ssn[0] < 1e-3 && sc[0] < 1e-3, "{ssn:?} {sc:?}");
    // det J < 0 set at r = 3 (Fig. 6E): a steady state at every input at N = 4000, but a gap
    // without one opens as N grows (the stable and unstable branches collide).
    let net = network("negative_det");
    let gap = |n: usize| {
        let s = net.scaled(n).to_ssn(10.0).unwrap();
        (0..=100)
            .filter(|k| {
                s.analyse(10.0 * *k as f64 * net.drive_factor(n), 3.0)
                    .no_steady_state
            })
            .count()
    };
    assert_eq!(gap(4000), 0);
    assert!(gap(40_000) > 0 && gap(400_000) > 0);
}

/// The parity rule on every cell of the regime maps of the four networks (100 x 100 each,
/// the quick versions of Fig. 5): det J > 0, an odd number of steady states; det J < 0, even.
#[test]
fn parity_rule_on_every_scan() {
    for name in ["supersaturating", "paradoxical", "bistable", "negative_det"] {
        let s = network(name).to_ssn(10.0).unwrap();
        let mu: Vec<f64> = (0..100).map(|k| 3.0 + 20.0 * k as f64).collect();
        let r: Vec<f64> = (0..100).map(|k| 0.05 + 0.04 * k as f64).collect();
        let odd = s.det_j() > 0.0;
        let mut checked = 0;
        for c in s.scan(&mu, &r).into_iter().filter(|c| c.complete) {
            assert_eq!(c.states % 2 == 1, odd, "{name}: {c:?}");
            checked += 1;
        }
        assert!(checked > 9000, "{name}: only {checked} complete cells");
    }
}
