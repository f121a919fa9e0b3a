//! Paper 002's recurrent EIF network (Zhu, Ocker & Rosenbaum 2026; the model sheet
//! `../shared/papers/002-model.md`) as a configuration of the engine: current- or
//! conductance-based exponential synapses, Erdős–Rényi blocks, Poisson or MIP external input.
//!
//! Units: ms, mV, C_m = 1 (currents in mV/ms, conductances in 1/ms, rates per ms).
//! N_e = 0.8 N excitatory and N_i = 0.2 N inhibitory EIF neurons, N_x = 0.3 N external trains
//! at r_x; every ordered pair of every block (ee, ei, ie, ii, ex, ix) connected with
//! probability p, self-pairs allowed; a spike of population b raises the synaptic variable of
//! its targets in population a by J_ab / tau_b with
//!
//! * current-based: J_ab = j_ab / sqrt(N) (inhibitory j negative);
//! * conductance-based: J_ab = j_ab / (E_b - E_L) / sqrt(N) (matched to the current at rest;
//!   positive for both signs, the reversal potential gives the sign).
//!
//! Potentials start uniform in [-75, -60] mV, synaptic variables at 0; zero delay. The
//! integrator is forward Euler with dt = 0.1 ms ([`EifScheme::Euler`], as the authors' code),
//! the spike term the authors' form ([`SpikeForm::Authors`]).

use serde::{Deserialize, Serialize};

use super::input::{Source, Train};
use super::network::{Delay, Graph, Init, Population, Pre, Projection, Spec};
use super::neuron::{Eif, EifScheme, Model, SpikeForm, Synapse};
use super::observe::Observe;
use crate::error::SimError;

/// Current- or conductance-based synapses.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Synapses {
    Current,
    #[default]
    Conductance,
}

/// The model's parameters; `Default` is the paper's table.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Params {
    pub n: usize,
    pub synapses: Synapses,
    /// Pairwise count correlation of the external trains (0: independent Poisson).
    pub c: f64,
    /// Jitter of the MIP (ms).
    pub tau_jitter: f64,
    /// External rate (per ms: 10 Hz = 0.01).
    pub r_x: f64,
    pub p: f64,
    pub g_l: f64,
    pub e_l: f64,
    pub v_t: f64,
    pub delta_t: f64,
    pub v_th: f64,
    pub v_re: f64,
    pub e_e: f64,
    pub e_i: f64,
    pub tau_e: f64,
    pub tau_i: f64,
    pub tau_x: f64,
    pub j_ee: f64,
    pub j_ei: f64,
    pub j_ie: f64,
    pub j_ii: f64,
    pub j_ex: f64,
    pub j_ix: f64,
    pub dt: f64,
    pub spike_form: SpikeForm,
    pub scheme: EifScheme,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            n: 1000,
            synapses: Synapses::Conductance,
            c: 0.0,
            tau_jitter: 5.0,
            r_x: 0.01,
            p: 0.2,
            g_l: 1.0 / 15.0,
            e_l: -72.0,
            v_t: -55.0,
            delta_t: 1.0,
            v_th: -50.0,
            v_re: -75.0,
            e_e: 0.0,
            e_i: -80.0,
            tau_e: 8.0,
            tau_i: 4.0,
            tau_x: 10.0,
            j_ee: 17.5,
            j_ei: -100.0,
            j_ie: 60.0,
            j_ii: -150.0,
            j_ex: 100.0,
            j_ix: 75.0,
            dt: 0.1,
            spike_form: SpikeForm::Authors,
            scheme: EifScheme::Euler,
        }
    }
}

impl Params {
    /// Population sizes (N_e, N_i, N_x) = (0.8 N, 0.2 N, 0.3 N), rounded.
    pub fn sizes(&self) -> (usize, usize, usize) {
        let n = self.n as f64;
        (
            (0.8 * n).round() as usize,
            (0.2 * n).round() as usize,
            (0.3 * n).round() as usize,
        )
    }

    /// The neuron model of both populations.
    pub fn neuron(&self) -> Eif {
        Eif {
            g_l: self.g_l,
            e_l: self.e_l,
            v_t: self.v_t,
            delta_t: self.delta_t,
            v_th: self.v_th,
            v_re: self.v_re,
            spike_form: self.spike_form,
            scheme: self.scheme,
        }
    }

    /// The synaptic jump of a spike of population b (0 = e, 1 = i, 2 = x) onto the channel b of
    /// a neuron with coupling j (module docs).
    pub fn weight(&self, j: f64, b: usize) -> f64 {
        let tau = [self.tau_e, self.tau_i, self.tau_x][b];
        let e_b = [self.e_e, self.e_i, self.e_e][b];
        let sqrt_n = (self.n as f64).sqrt();
        match self.synapses {
            Synapses::Current => j / sqrt_n / tau,
            Synapses::Conductance => j / (e_b - self.e_l) / sqrt_n / tau,
        }
    }

    /// The engine's network.
    pub fn spec(&self) -> Result<Spec, SimError> {
        let (n_e, n_i, n_x) = self.sizes();
        if n_e == 0 || n_i == 0 || n_x == 0 {
            return Err(SimError::Invalid {
                name: "n",
                value: self.n as f64,
                range: "n >= 4 (every population non-empty)",
            });
        }
        let channels = match self.synapses {
            Synapses::Current => vec![
                Synapse::Current { tau: self.tau_e },
                Synapse::Current { tau: self.tau_i },
                Synapse::Current { tau: self.tau_x },
            ],
            Synapses::Conductance => vec![
                Synapse::Conductance {
                    tau: self.tau_e,
                    e_rev: self.e_e,
                },
                Synapse::Conductance {
                    tau: self.tau_i,
                    e_rev: self.e_i,
                },
                Synapse::Conductance {
                    tau: self.tau_x,
                    e_rev: self.e_e,
                },
            ],
        };
        let pop = |name: &str, n| Population {
            name: name.into(),
            n,
            model: Model::Eif(self.neuron()),
            channels: channels.clone(),
            init: Init::Uniform {
                lo: -75.0,
                hi: -60.0,
            },
            depression: None,
        };
        let train = if self.c > 0.0 {
            Train::Mip {
                rate: self.r_x,
                c: self.c,
                jitter: self.tau_jitter,
            }
        } else {
            Train::Poisson { rate: self.r_x }
        };
        let er = Graph::ErdosRenyi {
            p: self.p,
            self_pairs: true,
        };
        // (pre, post, channel, j_ab) in the order ee, ei, ie, ii, ex, ix.
        let blocks = [
            (Pre::Population(0), 0, 0, self.j_ee),
            (Pre::Population(1), 0, 1, self.j_ei),
            (Pre::Population(0), 1, 0, self.j_ie),
            (Pre::Population(1), 1, 1, self.j_ii),
            (Pre::Source(0), 0, 2, self.j_ex),
            (Pre::Source(0), 1, 2, self.j_ix),
        ];
        let projections = blocks
            .iter()
            .map(|&(pre, post, channel, j)| Projection {
                pre,
                post,
                channel,
                weight: self.weight(j, channel),
                graph: er.clone(),
                delay: Delay::Fixed { d: 0.0 },
                depressed: false,
            })
            .collect();
        Ok(Spec {
            dt: self.dt,
            populations: vec![pop("e", n_e), pop("i", n_i)],
            sources: vec![Source {
                name: "x".into(),
                n: n_x,
                train,
            }],
            projections,
        })
    }

    /// The paper's observers for a run of `t` ms: rates, counts (250-ms windows, neurons with
    /// more than 5 spikes) and synaptic means after 250 ms; V in 1-ms bins over the last half
    /// of the run (the last 2.5 s of 5 s).
    pub fn observe(t: f64) -> Observe {
        Observe {
            t_on: 250.0_f64.min(t / 2.0),
            v_on: t / 2.0,
            v_bin: 1.0,
            count_window: 250.0,
            min_spikes: 5,
            pop_bin: 1.0,
            synapses: true,
            raster: false,
            syn_every: 0.0,
            probes: Vec::new(),
            traces: Vec::new(),
            count_pairs: 0,
        }
    }
}
