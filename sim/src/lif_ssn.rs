//! The LIF network of paper 004 (Materials and methods), the spiking counterpart of the SSN
//! in [`theory::ssn`]: E and I populations with their own membrane time constants,
//! thresholds, resets and refractory periods; fixed in-degree K_XY = p_XY N_Y; delta synapses
//! (each spike moves the target's potential by +j_XE or -j_XI mV) or exponential synapses
//! with the same charge; one random delay per connection, uniform in [0, delay_max]; and
//! white-noise external input of mean mu_ext_X and strength sigma_ext_X:
//!
//! ```text
//! dV/dt = -V/tau_X + mu_ext_X + sigma_ext_X xi(t) + recurrent input,
//! ```
//!
//! the convention of [`theory::ssn::ricciardi`] (mV, s; mu in mV/s, sigma in mV/sqrt(s)).
//!
//! # A configuration of the spiking engine
//! Since issue 21 the network runs on [`crate::spiking`]: two LIF populations
//! ([`crate::spiking::neuron::Lif`], mu = 0 and the external input as the run's drive, so
//! that a protocol can change it per segment), each with an E and an I channel (delta, or
//! exponential currents of tau_s with weight j / tau_s: the same charge j per spike), four
//! fixed in-degree projections (self-pairs allowed, as before) with per-synapse delays
//! uniform on the grid of [0, delay_max].
//!
//! # Integration
//! Time step `dt`. Between arrivals the free membrane is an Ornstein-Uhlenbeck process,
//! advanced exactly: `V <- V e^{-dt/tau} + mu tau (1 - e^{-dt/tau}) + sigma sqrt(tau (1 -
//! e^{-2 dt/tau}) / 2) N(0, 1)`. A threshold crossing that happens and reverts within one
//! step is caught with the Brownian-bridge probability `exp(-2 (theta - V0)(theta - V1) /
//! (sigma^2 dt))`, which removes the O(sqrt(dt)) rate deficit of testing the grid points
//! only. Arrivals are added at the start of the step they land on (delta synapses; before
//! issue 21 at its end) or feed a synaptic current that decays with tau_s, propagated
//! exactly into V. The STD of the flagship model is off here.
//!
//! # Connectivity and randomness
//! The engine's streams ([`crate::streams`]): rows of projection k (EE, EI, IE, II) from
//! `projection(k, i)`, their delays from `projection_delays(k, i)`, initial potentials from
//! `population_init`, noise and bridge draws per chunk from `chunk_noise`, all of the seed.
//! The engine runs on all of rayon's threads and gives the same bits on any number of them.
//!
//! # Measurements (per segment of a piecewise-constant input protocol)
//! Population rates, the mean over neurons of the CV of their inter-spike intervals (neurons
//! with at least 3 spikes in the window), and the balance factor of paper 004,
//! `BF_X = mu_XI / (mu_XE + mu_ext_X)`: the time-averaged inhibitory recurrent input over the
//! excitatory recurrent plus external input, from the charges that actually arrived.

use serde::Serialize;
use theory::ssn::mean_field::LifNetwork;

use crate::error::SimError;
use crate::spiking::neuron::{Lif, LifScheme, Model, Synapse};
use crate::spiking::{
    Delay, Graph, Init, Network, Observe, Population, Pre, Projection, RunSpec, Spec, SpikingRun,
};

/// One segment of the input protocol: external inputs held for `duration`; the first
/// `settle` of it is not measured.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Segment {
    pub duration: f64,
    pub settle: f64,
    /// Mean external input to E and to I (mV/s).
    pub mu_e: f64,
    pub mu_i: f64,
}

/// What one segment measured.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct SegmentResult {
    pub mu_e: f64,
    pub mu_i: f64,
    /// Population rates (Hz).
    pub rate_e: f64,
    pub rate_i: f64,
    /// Mean CV of the inter-spike intervals (NaN if no neuron spiked 3 times).
    pub cv_e: f64,
    pub cv_i: f64,
    /// Balance factors mu_XI / (mu_XE + mu_ext_X).
    pub balance_e: f64,
    pub balance_i: f64,
}

/// The built network, on the spiking engine.
pub struct SsnLif {
    pub params: LifNetwork,
    net: Network,
}

impl SsnLif {
    /// The engine's specification of `params` at time step `dt` (s).
    pub fn spec(params: &LifNetwork, dt: f64) -> Result<Spec, SimError> {
        params.validate()?;
        if !(dt > 0.0 && dt <= 1e-3) {
            return Err(SimError::Invalid {
                name: "dt",
                value: dt,
                range: "0 < dt <= 1e-3 s",
            });
        }
        let (n_e, n_i) = params.sizes();
        if n_e == 0 || n_i == 0 {
            return Err(SimError::Invalid {
                name: "n",
                value: params.n as f64,
                range: "large enough for both populations to be non-empty",
            });
        }
        if params.synapses.delay_max / dt >= 65535.0 {
            return Err(SimError::Invalid {
                name: "synapses.delay_max",
                value: params.synapses.delay_max,
                range: "delay_max / dt < 65535",
            });
        }
        let tau_s = params.synapses.tau_s;
        let channel = if tau_s > 0.0 {
            Synapse::Current { tau: tau_s }
        } else {
            Synapse::Delta
        };
        // The charge per spike is j either way: a current's jump w carries w tau_s.
        let scale = if tau_s > 0.0 { 1.0 / tau_s } else { 1.0 };
        let pop = |name: &str, n, q: theory::ssn::mean_field::Population| Population {
            name: name.into(),
            n,
            model: Model::Lif(Lif {
                tau: q.tau,
                v_th: q.theta,
                v_re: q.v_r,
                mu: 0.0,
                sigma: q.sigma_ext,
                tau_ref: q.tau_ref,
                scheme: LifScheme::Exact,
            }),
            channels: vec![channel, channel],
            init: Init::Uniform {
                lo: q.v_r,
                hi: q.theta,
            },
            depression: None,
        };
        let k = params.in_degrees();
        let delay = if params.synapses.delay_max > 0.0 {
            Delay::Uniform {
                min: 0.0,
                max: params.synapses.delay_max,
            }
        } else {
            Delay::Fixed { d: 0.0 }
        };
        // (post x, pre y, jump): EE, EI, IE, II; inhibition negative.
        let blocks = [
            (0, 0, params.j_ee),
            (0, 1, -params.j_ei),
            (1, 0, params.j_ie),
            (1, 1, -params.j_ii),
        ];
        let projections = blocks
            .iter()
            .map(|&(x, y, j)| Projection {
                pre: Pre::Population(y),
                post: x,
                channel: y,
                weight: j * scale,
                graph: Graph::FixedInDegree {
                    k: k[x][y],
                    self_pairs: true,
                },
                delay,
                depressed: false,
            })
            .collect();
        Ok(Spec {
            dt,
            populations: vec![pop("e", n_e, params.e), pop("i", n_i, params.i)],
            sources: vec![],
            projections,
        })
    }

    /// Draw the network from `seed` for time step `dt` (s).
    pub fn new(params: &LifNetwork, dt: f64, seed: u64) -> Result<Self, SimError> {
        let spec = SsnLif::spec(params, dt)?;
        Ok(SsnLif {
            params: *params,
            net: Network::build(&spec, seed)?,
        })
    }

    /// The engine's network.
    pub fn network(&self) -> &Network {
        &self.net
    }

    /// Rough wall time of a protocol of total duration `t` (s) on this machine, for the
    /// long-run warning: 20 ns per neuron step (a Gaussian and the bridge's exponential per
    /// neuron: measured 19 ns on one thread for the supersaturating set at N = 4000) and 1 ns
    /// per synaptic event at 10 Hz, shared by rayon's threads.
    pub fn estimated_seconds(&self, t: f64) -> f64 {
        let n = self.params.n as f64;
        let steps = t / self.net.spec.dt;
        let events = self.net.synapses() as f64 * 10.0 * t;
        (20e-9 * n * steps + 1e-9 * events) / rayon::current_num_threads() as f64
    }

    /// Run the protocol from potentials drawn uniformly in [V_R, Theta) (the run's randomness
    /// from `seed`), calling `progress(t_done, t_total)` now and then (every 2000 steps);
    /// `Break` stops the run with [`SimError::Interrupted`].
    pub fn run(
        &self,
        protocol: &[Segment],
        seed: u64,
        mut progress: impl FnMut(f64, f64) -> std::ops::ControlFlow<()>,
    ) -> Result<Vec<SegmentResult>, SimError> {
        for s in protocol {
            if !(s.duration > 0.0 && s.settle >= 0.0 && s.settle < s.duration) {
                return Err(SimError::Invalid {
                    name: "segment duration/settle",
                    value: s.duration,
                    range: "0 <= settle < duration",
                });
            }
            if !s.mu_e.is_finite() || !s.mu_i.is_finite() {
                return Err(SimError::Invalid {
                    name: "mu_ext",
                    value: s.mu_e,
                    range: "finite",
                });
            }
        }
        let dt = self.net.spec.dt;
        let mut ends = Vec::with_capacity(protocol.len());
        let mut steps = 0;
        for s in protocol {
            let k = crate::budget::steps("segment duration", s.duration, dt)?;
            let settle = (s.settle / dt).round() as u64;
            ends.push((steps + settle.min(k - 1), steps + k));
            steps = crate::budget::total_steps("the protocol's duration", steps, k)?;
        }
        let total = steps as f64 * dt;
        let mut run = SpikingRun::new_seeded(
            &self.net,
            RunSpec {
                t: total,
                observe: Observe::rates(0.0),
            },
            seed,
        )?;
        let mut results = Vec::with_capacity(protocol.len());
        for (seg, &(measure_from, end)) in protocol.iter().zip(&ends) {
            run.set_drive(0, seg.mu_e)?;
            run.set_drive(1, seg.mu_i)?;
            for (until, restart) in [(measure_from, true), (end, false)] {
                while run.step < until {
                    let next = (run.step + 2000).min(until);
                    run.advance_to(&self.net, next)?;
                    if progress(run.step as f64 * dt, total).is_break() {
                        return Err(SimError::Interrupted { step: run.step });
                    }
                }
                if restart {
                    run.restart_observers(&self.net)?;
                }
            }
            let r = run.results(&self.net);
            let (e, i) = (&r.populations[0], &r.populations[1]);
            // Mean inputs per neuron per second (mV/s): channel 0 from E, 1 from I (negative).
            let bf = |p: &crate::spiking::PopulationStats, mu: f64| {
                p.inputs[1].abs() / (p.inputs[0] + mu)
            };
            results.push(SegmentResult {
                mu_e: seg.mu_e,
                mu_i: seg.mu_i,
                rate_e: e.rate,
                rate_i: i.rate,
                cv_e: e.cv,
                cv_i: i.cv,
                balance_e: bf(e, seg.mu_e),
                balance_i: bf(i, seg.mu_i),
            });
        }
        let _ = progress(total, total);
        Ok(results)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use theory::ssn::mean_field::{Population, Synapses};
    use theory::ssn::ricciardi::rate;

    /// Nearly uncoupled neurons (PSPs of 1e-9 mV) fire at the Ricciardi rate of their white
    /// noise input: the check of the exact OU step and the Brownian-bridge crossings.
    fn uncoupled(sigma: f64, tau_ref: f64) -> LifNetwork {
        let pop = |tau| Population {
            tau,
            theta: 20.0,
            v_r: 10.0,
            tau_ref,
            sigma_ext: sigma,
        };
        LifNetwork {
            n: 4000,
            f_e: 0.8,
            e: pop(0.02),
            i: pop(0.01),
            p_ee: 0.01,
            p_ei: 0.01,
            p_ie: 0.01,
            p_ii: 0.01,
            j_ee: 1e-9,
            j_ei: 1e-9,
            j_ie: 1e-9,
            j_ii: 1e-9,
            synapses: Synapses::default(),
        }
    }

    #[test]
    fn uncoupled_neurons_fire_at_the_ricciardi_rate() {
        for (sigma, mu_e, mu_i, tau_ref) in
            [(30.0, 900.0, 1700.0, 0.002), (50.0, 600.0, 1500.0, 0.0)]
        {
            let net = uncoupled(sigma, tau_ref);
            let sim = SsnLif::new(&net, 1e-4, 1).unwrap();
            let res = sim
                .run(
                    &[Segment {
                        duration: 2.0,
                        settle: 0.2,
                        mu_e,
                        mu_i,
                    }],
                    1,
                    |_, _| std::ops::ControlFlow::Continue(()),
                )
                .unwrap();
            for (x, sim_rate, mu, size) in [
                (0usize, res[0].rate_e, mu_e, 3200.0),
                (1, res[0].rate_i, mu_i, 800.0),
            ] {
                let p = [net.e, net.i][x];
                let theory = rate(&p.neuron(), mu, sigma);
                // Poisson-like counts over size x 1.8 s: relative sd 1 / sqrt(count) (the CV
                // is below 1, so this overstates it); 4 sd plus 1.5 % for the O(dt) error that
                // remains after the bridge correction (dt / tau = 0.5-1 %).
                let count = theory * size * 1.8;
                let tol = theory * (4.0 / count.sqrt() + 0.015);
                eprintln!(
                    "pop {x}, sigma {sigma}: simulated {sim_rate:.4} Hz, Ricciardi {theory:.4} Hz"
                );
                assert!(
                    (sim_rate - theory).abs() < tol,
                    "pop {x}, sigma {sigma}: simulated {sim_rate}, Ricciardi {theory}, tol {tol}"
                );
            }
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_result_and_bad_input_is_named() {
        let net = uncoupled(30.0, 0.002);
        let seg = [Segment {
            duration: 0.2,
            settle: 0.0,
            mu_e: 900.0,
            mu_i: 900.0,
        }];
        let a = SsnLif::new(&net, 1e-4, 5)
            .unwrap()
            .run(&seg, 5, |_, _| std::ops::ControlFlow::Continue(()))
            .unwrap();
        let b = SsnLif::new(&net, 1e-4, 5)
            .unwrap()
            .run(&seg, 5, |_, _| std::ops::ControlFlow::Continue(()))
            .unwrap();
        // Bit for bit (Debug prints every digit; NaN CVs compare equal this way).
        assert_eq!(format!("{a:?}"), format!("{b:?}"));
        let e = SsnLif::new(&net, 0.01, 5).err().unwrap().to_string();
        assert!(e.contains("dt"), "{e}");
    }
}
