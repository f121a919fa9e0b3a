//! The XOR gate of paper 004's Fig. 2G, built from the supersaturating network of
//! golden/ssn/supersaturating.toml (N = 4000 LIF neurons, r = 1.5).
//!
//! Two binary inputs X1, X2 reach the network through the same feedforward weight w: the
//! external drive is mu_ext = w (X1 + X2), to E, and r mu_ext to I. A supersaturating
//! network's E rate rises with its input up to a peak and then falls, so with w at the peak
//! of the SSN's E curve one active input drives E to the peak while two push it past the
//! peak, where inhibition silences E: the E population computes X1 XOR X2. The weight is
//! chosen from the SSN alone (the peak of nu_E(mu_ext)); the truth table then comes from
//! simulating the spiking network, read out with a threshold of half the peak rate.
//!
//! Run: `cargo run --release --example xor_gate` (about 5 s).

use sim::lif_ssn::{Segment, SsnLif};
use theory::ssn::mean_field::LifNetwork;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../golden/ssn/supersaturating.toml"
    );
    let net: LifNetwork = toml::from_str(&std::fs::read_to_string(path)?)?;
    let r = 1.5;
    let ssn = net.to_ssn(10.0)?;
    // The feedforward weight: the input at the SSN's E peak (scan 0-2000 mV/s in 5 mV/s).
    let grid: Vec<f64> = (0..=400).map(|k| 5.0 * k as f64).collect();
    let (w, peak) = ssn.e_peak(&grid, r);
    println!(
        "SSN peak of nu_E: {peak:.2} Hz at mu_ext = {w} mV/s; feedforward weight w = {w} mV/s"
    );
    let table = [(0u8, 0u8), (0, 1), (1, 0), (1, 1)];
    let protocol: Vec<Segment> = table
        .iter()
        .map(|&(x1, x2)| {
            let mu = w * f64::from(x1 + x2);
            Segment {
                duration: 1.0,
                settle: 0.3,
                mu_e: mu,
                mu_i: r * mu,
            }
        })
        .collect();
    let sim = SsnLif::new(&net, 1e-4, 7)?;
    let res = sim.run(&protocol, 7, |_, _| std::ops::ControlFlow::Continue(()))?;
    let threshold = 0.5 * peak;
    println!("\n X1 X2 | mu_ext (mV/s) | E rate (Hz): LIF   SSN    | output | XOR");
    let mut ok = true;
    for (&(x1, x2), x) in table.iter().zip(&res) {
        let mu = w * f64::from(x1 + x2);
        let theory = ssn
            .steady_states(mu, r)
            .iter()
            .find(|s| s.stable)
            .map_or(f64::NAN, |s| s.nu_e);
        let out = u8::from(x.rate_e > threshold);
        let want = x1 ^ x2;
        ok &= out == want;
        println!(
            "  {x1}  {x2} | {mu:13.0} | {:12.3} {theory:6.3} | {out:6} | {want}",
            x.rate_e
        );
    }
    println!("\nreadout threshold {threshold:.2} Hz; the network computes XOR: {ok}");
    if !ok {
        return Err("the truth table is not XOR".into());
    }
    Ok(())
}
