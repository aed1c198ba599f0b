//! Training as a stepper: mini-batch SGD, momentum or Adam on an MLP over a dataset, with a learning-rate
//! schedule, L1/L2 regularisation, and the Hessian's top eigenvalue (sharpness) and trace measured every
//! K steps on the full training loss — against the stability bounds of REFERENCE.md §3 (Wu & Su 2023):
//! GD is stable iff λmax ≤ 2/η (momentum β: (2 + 2β)/η); SGD with batch B iff tr(H)/B + (1 − 1/B)λmax ≤ 2/η.
//!
//! A step is one parameter update. A loss that becomes non-finite or grows 10⁸-fold stops the run with
//! `StopReason::Divergence` (its frame keeps the last finite metrics; nothing non-finite is reported).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use web_time::Instant;

use super::data::Dataset;
use super::hessian::{Hutchinson, PowerIteration};
use super::mlp::{hvp, loss_grad, predict, Activation, Architecture, Batch, Loss};
use crate::error::{Error, Result};
use crate::frame::{Budget, Frame, StopReason, Stepper};
use crate::rng::SplitMix64;

crate::choice! {
    /// The optimizer (`--optimizer`).
    pub enum Optimizer("optimizer") {
        Sgd => "sgd",
        /// Heavy-ball momentum, β = 0.9.
        Momentum => "momentum",
        /// Adam (β₁ = 0.9, β₂ = 0.999, ε = 1e-8).
        Adam => "adam",
    }
}

crate::choice! {
    /// The learning-rate schedule (`--schedule`).
    #[derive(Default)]
    pub enum Schedule("schedule") {
        #[default]
        Constant => "constant",
        /// ×0.1 after each third of the epochs.
        Step => "step",
        /// η·½(1 + cos(π t/T)).
        Cosine => "cosine",
    }
}

crate::choice! {
    /// Weight regularisation (`--reg`): on the weights, not the biases.
    #[derive(Default)]
    pub enum Regularization("reg") {
        #[default]
        None => "none",
        /// rate · Σ|w|.
        L1 => "l1",
        /// (rate/2) · Σw².
        L2 => "l2",
    }
}

/// Elastic weight consolidation (Kirkpatrick et al. 2017): a quadratic pull towards `anchor` (θ*_A, the
/// weights after an earlier task) weighted by the diagonal Fisher information of that task.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ewc {
    pub lambda: f64,
    pub anchor: Vec<f64>,
    pub fisher: Vec<f64>,
}

/// Training hyperparameters (the panel, the CLI flags).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    pub hidden: Vec<usize>,
    pub activation: Activation,
    pub loss: Loss,
    pub optimizer: Optimizer,
    pub lr: f64,
    pub momentum: f64,
    pub schedule: Schedule,
    /// Mini-batch size; 0 means the full training set (gradient descent).
    pub batch: usize,
    pub epochs: usize,
    pub reg: Regularization,
    pub reg_rate: f64,
    /// Measure sharpness and trace at the first frame after every this many steps (frames come once per
    /// epoch, at least every 10 steps; 0: never; always at the end).
    pub hessian_every: usize,
    /// Label smoothing α ∈ [0, 1) for classification targets.
    #[serde(default)]
    pub label_smoothing: f64,
    /// One activation per hidden layer, overriding `activation` when not empty.
    #[serde(default)]
    pub layer_activations: Vec<Activation>,
    /// Early-learning regularization on top of cross-entropy ([`super::elr`]); CPU only.
    #[serde(default)]
    pub elr: Option<super::elr::Elr>,
    /// Elastic weight consolidation: (λ/2)·Σ_i F_i (θ_i − θ*_i)² towards an earlier task's weights; CPU only.
    #[serde(default)]
    pub ewc: Option<Ewc>,
    /// Forward loss correction (Patrini et al. 2017): the cross-entropy of the noisy label under Tᵀp, the
    /// network's clean-class probabilities p passed through the noise transition matrix T (k × k,
    /// row-major, T_ij = P(noisy j | clean i), rows summing to 1); CPU only; not with ELR.
    #[serde(default)]
    pub forward_correction: Option<Vec<f64>>,
    pub seed: u64,
}

impl Default for TrainConfig {
    fn default() -> Self {
        Self {
            hidden: vec![8, 8],
            activation: Activation::Tanh,
            loss: Loss::Mse,
            optimizer: Optimizer::Sgd,
            lr: 0.1,
            momentum: 0.9,
            schedule: Schedule::Constant,
            batch: 10,
            epochs: 100,
            reg: Regularization::None,
            reg_rate: 0.0,
            hessian_every: 0,
            label_smoothing: 0.0,
            layer_activations: Vec::new(),
            elr: None,
            ewc: None,
            forward_correction: None,
            seed: 0,
        }
    }
}

/// Forward correction's extra output term for one row with noisy label `label`: the corrected loss is
/// −log q_label with q = Tᵀ softmax(z); as an addition to the plain cross-entropy −log p_label it is
/// log(p_label/q_label), with gradient e_label − w, w_j = T_j,label·p_j/q_label (the posterior of the clean
/// class given the noisy label) — so the total gradient is p − w.
pub fn forward_correction_term(t: &[f64], label: usize, z: &[f64]) -> (f64, Vec<f64>) {
    let k = z.len();
    let p = super::elr::softmax(z);
    let q: f64 = (0..k).map(|j| t[j * k + label] * p[j]).sum::<f64>().max(1e-300);
    let grad = (0..k).map(|j| f64::from(u8::from(j == label)) - t[j * k + label] * p[j] / q).collect();
    ((p[label].max(1e-300) / q).ln(), grad)
}

/// Power-iteration settings (PyHessian's defaults) and Hutchinson probes.
const POWER_ITERS: usize = 100;
const POWER_RTOL: f64 = 1e-3;
const TRACE_PROBES: usize = 20;
/// Fewest updates between frames (full-batch GD has one update per epoch).
const FRAME_STEPS: u64 = 10;
/// A loss this many times the initial one counts as divergence.
const DIVERGENCE_FACTOR: f64 = 1e8;

impl TrainConfig {
    pub fn validate(&self, data: &Dataset) -> Result<()> {
        if !(self.lr.is_finite() && self.lr > 0.0) {
            return Err(Error::Invalid { name: "lr", message: format!("the learning rate must be a positive number, got {}", self.lr) });
        }
        if self.lr > 1e3 {
            return Err(Error::TooBig { name: "lr", value: self.lr as i64, max: 1000 });
        }
        if !(0.0..1.0).contains(&self.momentum) {
            return Err(Error::Invalid { name: "momentum", message: format!("it must lie in [0, 1), got {}", self.momentum) });
        }
        if !(self.reg_rate.is_finite() && self.reg_rate >= 0.0) {
            return Err(Error::Invalid { name: "reg-rate", message: format!("it must be ≥ 0, got {}", self.reg_rate) });
        }
        if !(0.0..1.0).contains(&self.label_smoothing) {
            return Err(Error::Invalid { name: "label-smoothing", message: format!("it must lie in [0, 1), got {}", self.label_smoothing) });
        }
        if self.epochs == 0 {
            return Err(Error::TooSmall { name: "epochs", value: 0, min: 1 });
        }
        if self.batch > data.train.len() {
            return Err(Error::TooBig { name: "batch", value: self.batch as i64, max: data.train.len() as i64 });
        }
        if let Some(e) = self.elr {
            if self.loss != Loss::Xent || data.classes < 2 {
                return Err(Error::Invalid { name: "elr", message: "early-learning regularization needs classes and the cross-entropy loss".into() });
            }
            if !(0.0..1.0).contains(&e.beta) {
                return Err(Error::Invalid { name: "elr-beta", message: format!("β must lie in [0, 1), got {}", e.beta) });
            }
            if !(e.lambda.is_finite() && e.lambda >= 0.0) {
                return Err(Error::Invalid { name: "elr-lambda", message: format!("λ must be ≥ 0, got {}", e.lambda) });
            }
        }
        if let Some(t) = &self.forward_correction {
            let k = data.classes;
            if self.loss != Loss::Xent || k < 2 {
                return Err(Error::Invalid { name: "forward-correction", message: "forward correction needs classes and the cross-entropy loss".into() });
            }
            if self.elr.is_some() {
                return Err(Error::Invalid { name: "forward-correction", message: "forward correction and ELR are separate runs: pick one".into() });
            }
            if self.label_smoothing > 0.0 {
                return Err(Error::Invalid { name: "forward-correction", message: "forward correction corrects the hard noisy labels: turn label smoothing off".into() });
            }
            if t.len() != k * k || !t.iter().all(|v| v.is_finite() && *v >= 0.0) || t.chunks(k).any(|row| (row.iter().sum::<f64>() - 1.0).abs() > 1e-6) {
                return Err(Error::Invalid { name: "forward-correction", message: format!("T must be a {k} × {k} matrix of probabilities whose rows sum to 1") });
            }
        }
        if let Some(e) = &self.ewc {
            if !(e.lambda.is_finite() && e.lambda >= 0.0) {
                return Err(Error::Invalid { name: "ewc-lambda", message: format!("λ must be ≥ 0, got {}", e.lambda) });
            }
            let p = self.architecture(data)?.params();
            if e.anchor.len() != p || e.fisher.len() != p || !e.anchor.iter().chain(&e.fisher).all(|v| v.is_finite()) {
                return Err(Error::Invalid { name: "ewc", message: format!("the anchor and Fisher need {p} finite values (the same network as the earlier task)") });
            }
        }
        if self.loss == Loss::Xent && data.classes == 0 {
            return Err(Error::Invalid { name: "loss", message: "cross-entropy needs classes: this dataset is a regression, use mse".into() });
        }
        self.architecture(data)?;
        Ok(())
    }

    /// The network for `data`: its inputs and outputs, the hidden widths and their activations.
    pub fn architecture(&self, data: &Dataset) -> Result<Architecture> {
        let mut arch = Architecture::new(data.inputs, self.hidden.clone(), data.outputs(self.loss), self.activation)?;
        if !self.layer_activations.is_empty() {
            arch.activations = self.layer_activations.clone();
            arch.validate()?;
        }
        Ok(arch)
    }
}

/// The trainer.
pub struct Trainer {
    pub config: TrainConfig,
    /// ELR's running targets t_i (rows × outputs), when ELR is on.
    elr_targets: Vec<f64>,
    /// Measure sharpness and trace when the run completes (default).
    final_hessian: bool,
    data: Dataset,
    arch: Architecture,
    theta: Vec<f64>,
    targets: Vec<f64>,
    velocity: Vec<f64>,
    second: Vec<f64>,
    steps: u64,
    order: Vec<usize>,
    cursor: usize,
    rng: SplitMix64,
    initial_loss: Option<f64>,
    sharpness: Option<f64>,
    trace: Option<f64>,
    last: Option<Frame>,
    elapsed_ms: f64,
    stopped: Option<StopReason>,
    /// steps / hessian_every at the last Hessian measurement (the GPU path measures between dispatches).
    hessian_marks: u64,
    /// Milliseconds spent in parameter updates only (no evaluation, no Hessian).
    train_ms: f64,
    /// The Hessian measurement in progress, if any.
    measuring: Option<Box<Measurement>>,
}

/// Sharpness (power iteration) then trace (Hutchinson) at the current θ, one Hessian-vector product per
/// `advance`; seeded by the step count, so a measurement spread over frames equals one done at once.
struct Measurement {
    power: PowerIteration,
    sharpness: Option<f64>,
    trace: Hutchinson,
    /// The measurement at the end of the run: the run completes with it.
    last: bool,
}

impl Measurement {
    fn new(t: &Trainer, last: bool) -> Self {
        let (p, seed) = (t.theta.len(), t.config.seed ^ t.steps);
        Self { power: PowerIteration::new(p, POWER_ITERS, POWER_RTOL, seed), sharpness: None, trace: Hutchinson::new(p, TRACE_PROBES, seed ^ 1), last }
    }

    /// One product; (sharpness, trace) after the last.
    fn advance(&mut self, hvp: impl FnMut(&[f64]) -> Vec<f64>) -> Option<(f64, f64)> {
        match self.sharpness {
            None => {
                self.sharpness = self.power.advance(hvp).map(|(l, _)| l);
                None
            }
            Some(l) => self.trace.advance(hvp).map(|(t, _)| (l, t)),
        }
    }
}

impl Trainer {
    pub fn new(data: Dataset, config: TrainConfig) -> Result<Self> {
        config.validate(&data)?;
        let arch = config.architecture(&data)?;
        let theta = arch.init(config.seed);
        let p = theta.len();
        let mut targets = data.targets(config.loss);
        // Label smoothing: q = (1 − α) y + α/K for K ≥ 2 one-hot outputs; ±1 targets shrink to ±(1 − α).
        let alpha = config.label_smoothing;
        if alpha > 0.0 && data.classes > 0 {
            let k = data.outputs(config.loss);
            let floor = if k > 1 { alpha / k as f64 } else { 0.0 };
            targets.iter_mut().for_each(|t| *t = (1.0 - alpha) * *t + floor);
        }
        let order = data.train.clone();
        let elr_targets = if config.elr.is_some() { vec![0.0; data.rows() * data.outputs(config.loss)] } else { Vec::new() };
        Ok(Self {
            elr_targets,
            final_hessian: true,
            rng: SplitMix64::new(config.seed ^ 0x5EED),
            config,
            arch,
            theta,
            targets,
            velocity: vec![0.0; p],
            second: vec![0.0; p],
            steps: 0,
            order,
            cursor: 0,
            initial_loss: None,
            sharpness: None,
            trace: None,
            last: None,
            elapsed_ms: 0.0,
            stopped: None,
            hessian_marks: 0,
            train_ms: 0.0,
            measuring: None,
            data,
        })
    }

    pub fn architecture(&self) -> &Architecture {
        &self.arch
    }

    pub fn params(&self) -> &[f64] {
        &self.theta
    }

    pub fn data(&self) -> &Dataset {
        &self.data
    }

    /// The training targets (rows × outputs), for experiments that rewrite them between epochs (PS-KD's
    /// self-distillation targets); read by every later update and evaluation.
    pub fn targets_mut(&mut self) -> &mut [f64] {
        &mut self.targets
    }

    /// The network's output for one input row.
    pub fn predict(&self, input: &[f64]) -> Vec<f64> {
        predict(&self.arch, &self.theta, input)
    }

    /// Updates done so far.
    pub fn steps(&self) -> u64 {
        self.steps
    }

    /// The targets the loss sees (rows × outputs).
    pub fn targets(&self) -> &[f64] {
        &self.targets
    }

    /// Why the run stopped, if it did.
    pub fn stopped(&self) -> Option<StopReason> {
        self.stopped
    }

    /// The row order of the next epoch: the same shuffle the CPU's mini-batch loop draws (none for full-batch
    /// gradient descent). Advances the trainer's epoch cursor as a whole epoch would.
    pub fn next_epoch_order(&mut self) -> Vec<usize> {
        self.shuffle();
        self.cursor = self.order.len();
        self.order.clone()
    }

    fn shuffle(&mut self) {
        if self.batch_size() < self.order.len() {
            for i in (1..self.order.len()).rev() {
                self.order.swap(i, (self.rng.next_u64() % (i as u64 + 1)) as usize);
            }
        }
    }

    /// The data loss (no regulariser) and its gradient at weights `theta` other than the trainer's own, on
    /// `rows` of the training data — for schemes that parameterise θ differently (low-rank adapters).
    pub fn loss_grad_at(&self, theta: &[f64], rows: &[usize], grad: &mut [f64]) -> f64 {
        let batch = Batch { x: &self.data.x, y: &self.targets, class: &self.data.class, rows };
        loss_grad(&self.arch, theta, self.config.loss, batch, Some(grad))
    }

    /// Replaces θ by weights computed elsewhere (the GPU) after `steps` more updates that took `ms`.
    pub fn set_state(&mut self, theta: Vec<f64>, steps: u64, ms: f64) {
        self.theta = theta;
        self.steps += steps;
        self.train_ms += ms;
    }

    /// True when the weights or the training loss are no longer finite, or the loss grew 10⁸-fold.
    pub fn diverged(&mut self) -> bool {
        let limit = self.divergence_limit();
        let loss = self.evaluate(&self.data.train).0;
        self.theta.iter().any(|t| !t.is_finite()) || !loss.is_finite() || loss > limit
    }

    /// The training loss above which the run counts as diverged (10⁸ × the initial loss).
    fn divergence_limit(&mut self) -> f64 {
        if self.initial_loss.is_none() {
            self.initial_loss = Some(self.evaluate(&self.data.train).0);
        }
        DIVERGENCE_FACTOR * self.initial_loss.unwrap_or(1.0).max(1e-3)
    }

    /// One update; false (and the run stopped, θ back at its last finite value so frames and views stay
    /// finite) when it diverged — the optimizer state is not needed again.
    fn checked_update(&mut self, limit: f64) -> bool {
        let backup = self.theta.clone();
        let t = Instant::now();
        let loss = self.update_step();
        self.train_ms += t.elapsed().as_secs_f64() * 1e3;
        if !loss.is_finite() || loss > limit || self.theta.iter().any(|t| !t.is_finite()) {
            self.theta = backup;
            self.stopped = Some(StopReason::Divergence);
            return false;
        }
        true
    }

    /// Up to `max` updates and no frame: for a caller that evaluates on its own schedule (at log-spaced
    /// epochs, say) with [`Trainer::frame_after`]. Stops early at the end of the run, on divergence, or
    /// while a Hessian measurement is due (frames run those). Returns the updates made.
    pub fn run_updates(&mut self, max: u64) -> u64 {
        let limit = self.divergence_limit();
        let mut ran = 0;
        while ran < max && self.stopped.is_none() && self.measuring.is_none() && self.steps < self.total_steps() {
            if !self.checked_update(limit) {
                break;
            }
            ran += 1;
        }
        ran
    }

    /// Stops the run.
    pub fn stop(&mut self, reason: StopReason) {
        self.stopped = Some(reason);
    }

    /// The last frame when the run has finished (steppers repeat it).
    pub fn finished_frame(&self) -> Option<Frame> {
        self.last.clone().filter(|f| f.done)
    }

    /// Ends the run when the epochs are done (measuring the Hessian) and makes the frame. A Hessian
    /// measurement (due every `hessian_every` steps, and at the end) runs one Hessian-vector product at a
    /// time until `budget_ms` since `start` is spent; training waits until it is complete (it measures one
    /// θ), so a page spreads it over frames while an iteration budget (no time bound) finishes it at once.
    pub fn frame_after(&mut self, start: Instant, budget_ms: f64) -> Frame {
        if self.stopped.is_some() {
            self.measuring = None;
        } else if self.measuring.is_none() {
            if self.steps >= self.total_steps() {
                if self.final_hessian {
                    self.measuring = Some(Box::new(Measurement::new(self, true)));
                } else {
                    self.stopped = Some(StopReason::Completed);
                }
            } else if self.config.hessian_every > 0 && self.steps / self.config.hessian_every as u64 > self.hessian_marks {
                self.measuring = Some(Box::new(Measurement::new(self, false)));
            }
        }
        self.hessian_marks = self.steps / (self.config.hessian_every.max(1) as u64);
        self.advance_measurement(start, budget_ms);
        self.elapsed_ms += start.elapsed().as_secs_f64() * 1e3;
        let frame = self.frame(self.stopped.is_some());
        self.last = Some(frame.clone());
        frame
    }

    /// Advances the measurement in progress, one product at a time, until it completes (recording
    /// sharpness and trace; the last one completes the run) or `budget_ms` since `start` is spent.
    fn advance_measurement(&mut self, start: Instant, budget_ms: f64) {
        let Some(mut m) = self.measuring.take() else { return };
        loop {
            if let Some((l, t)) = m.advance(|v| self.hessian_vector(v)) {
                self.sharpness = Some(l);
                self.trace = Some(t);
                if m.last {
                    self.stopped = Some(StopReason::Completed);
                }
                return;
            }
            if start.elapsed().as_secs_f64() * 1e3 >= budget_ms {
                self.measuring = Some(m);
                return;
            }
        }
    }

    /// True while a Hessian measurement is in progress (training waits for it).
    pub fn measuring(&self) -> bool {
        self.measuring.is_some()
    }

    /// The mini-batch size in use (the training set for full-batch GD).
    pub fn batch_size(&self) -> usize {
        if self.config.batch == 0 {
            self.data.train.len()
        } else {
            self.config.batch
        }
    }

    /// Updates per epoch.
    pub fn steps_per_epoch(&self) -> u64 {
        self.data.train.len().div_ceil(self.batch_size()) as u64
    }

    /// Updates in the whole run.
    pub fn total_steps(&self) -> u64 {
        self.steps_per_epoch() * self.config.epochs as u64
    }

    /// The learning rate at the current step.
    pub fn current_lr(&self) -> f64 {
        let (t, total) = (self.steps as f64, self.total_steps().max(1) as f64);
        match self.config.schedule {
            Schedule::Constant => self.config.lr,
            Schedule::Step => self.config.lr * 0.1f64.powi((3.0 * t / total).floor().min(2.0) as i32),
            Schedule::Cosine => self.config.lr * 0.5 * (1.0 + (std::f64::consts::PI * t / total).cos()),
        }
    }

    /// Changes hyperparameters that make sense mid-run (learning rate, schedule, regularisation, epochs,
    /// batch, Hessian cadence) without resetting the weights; the rest need a new trainer.
    pub fn update(&mut self, next: &TrainConfig) -> Result<()> {
        next.validate(&self.data)?;
        let structural = next.label_smoothing != self.config.label_smoothing
            || next.layer_activations != self.config.layer_activations
            || next.hidden != self.config.hidden
            || next.activation != self.config.activation
            || next.loss != self.config.loss
            || next.seed != self.config.seed
            || next.optimizer != self.config.optimizer
            || next.elr.is_some() != self.config.elr.is_some()
            || (next.forward_correction.is_some() && next.elr.is_some())
            || next.ewc.as_ref().map(|e| (&e.anchor, &e.fisher)) != self.config.ewc.as_ref().map(|e| (&e.anchor, &e.fisher));
        if structural {
            return Err(Error::Invalid { name: "config", message: "the architecture, loss, optimizer or seed changed: reset".into() });
        }
        self.config = next.clone();
        if self.stopped == Some(StopReason::Completed) || self.stopped == Some(StopReason::MaxIterations) {
            self.stopped = None;
        }
        self.last = None;
        Ok(())
    }

    fn train_batch(&self) -> Batch<'_> {
        Batch { x: &self.data.x, y: &self.targets, class: &self.data.class, rows: &self.data.train }
    }

    fn reg_value(&self) -> f64 {
        let rate = self.config.reg_rate;
        let ewc = self.config.ewc.as_ref().map_or(0.0, |e| {
            0.5 * e.lambda * self.theta.iter().zip(&e.anchor).zip(&e.fisher).map(|((t, a), f)| f * (t - a) * (t - a)).sum::<f64>()
        });
        self.weights().map(|w| match self.config.reg {
            Regularization::None => 0.0,
            Regularization::L1 => rate * w.abs(),
            Regularization::L2 => 0.5 * rate * w * w,
        })
        .sum::<f64>()
            + ewc
    }

    /// The diagonal of the empirical Fisher information of the data loss at the current weights over the
    /// training rows: F_i = mean over rows of (∂ℓ_r/∂θ_i)² (EWC's importance weights).
    pub fn fisher_diagonal(&self) -> Vec<f64> {
        let mut f = vec![0.0; self.theta.len()];
        let mut g = vec![0.0; self.theta.len()];
        for &r in &self.data.train {
            let rows = [r];
            let batch = Batch { x: &self.data.x, y: &self.targets, class: &self.data.class, rows: &rows };
            loss_grad(&self.arch, &self.theta, self.config.loss, batch, Some(&mut g));
            f.iter_mut().zip(&g).for_each(|(fk, gk)| *fk += gk * gk);
        }
        let n = self.data.train.len().max(1) as f64;
        f.iter_mut().for_each(|v| *v /= n);
        f
    }

    /// The hyperparameters in force.
    pub fn config(&self) -> &TrainConfig {
        &self.config
    }

    /// An estimate of the noise transition matrix from the network's own predictions (trained on the noisy
    /// labels, before it memorises them, its softmax approximates P(noisy label | x)): row i of T̂ is the mean
    /// predicted distribution over the training rows it assigns to class i. Patrini et al.'s anchor points
    /// (the row at the 97th percentile of p_i) were tried first and measured worse on the overlapping
    /// mixture — a ReLU net is most confident far out, not where class i is pure. `None` without classes.
    pub fn estimate_transition(&self) -> Option<Vec<f64>> {
        let k = self.data.classes;
        if k < 2 || self.arch.outputs != k {
            return None;
        }
        let p_in = self.data.inputs;
        let probs: Vec<Vec<f64>> = self.data.train.iter().map(|&r| super::elr::softmax(&self.predict(&self.data.x[r * p_in..(r + 1) * p_in]))).collect();
        let mut t = vec![0.0; k * k];
        for i in 0..k {
            let rows: Vec<&Vec<f64>> = probs.iter().filter(|p| argmax(p) == i).collect();
            for p in &rows {
                t[i * k..(i + 1) * k].iter_mut().zip(p.iter()).for_each(|(a, b)| *a += b / rows.len() as f64);
            }
            if rows.is_empty() {
                t[i * k + i] = 1.0;
            }
        }
        Some(t)
    }

    /// Accuracy of the current network on `rows` of another dataset with the same inputs (an earlier task).
    pub fn accuracy_on(&self, data: &Dataset, rows: &[usize]) -> f64 {
        let p_in = data.inputs;
        let fit = rows
            .iter()
            .filter(|&&r| {
                let o = self.predict(&data.x[r * p_in..(r + 1) * p_in]);
                let guess = if o.len() == 1 { usize::from(o[0] > 0.0) } else { argmax(&o) };
                guess == data.clean_class[r]
            })
            .count();
        fit as f64 / rows.len().max(1) as f64
    }

    /// The weights (not the biases).
    fn weights(&self) -> impl Iterator<Item = f64> + '_ {
        self.arch.layers().into_iter().flat_map(move |(w, _, i, o)| self.theta[w..w + i * o].iter().copied())
    }

    /// H·v of the full training objective (data loss + regulariser; L1 has no curvature almost everywhere).
    pub fn hessian_vector(&self, v: &[f64]) -> Vec<f64> {
        let mut hv = hvp(&self.arch, &self.theta, self.config.loss, self.train_batch(), v);
        if self.config.reg == Regularization::L2 {
            for (w, _, i, o) in self.arch.layers() {
                (w..w + i * o).for_each(|k| hv[k] += self.config.reg_rate * v[k]);
            }
        }
        hv
    }

    /// (λmax, tr H) of the full training objective now.
    pub fn measure_hessian(&mut self) -> (f64, f64) {
        let last = self.measuring.as_ref().is_some_and(|m| m.last);
        self.measuring = Some(Box::new(Measurement::new(self, last)));
        self.advance_measurement(Instant::now(), f64::INFINITY);
        (self.sharpness.unwrap_or(f64::NAN), self.trace.unwrap_or(f64::NAN))
    }

    /// Mean loss and accuracy (classification) over `rows`.
    fn evaluate(&self, rows: &[usize]) -> (f64, Option<f64>) {
        if rows.is_empty() {
            return (f64::NAN, None);
        }
        let batch = Batch { x: &self.data.x, y: &self.targets, class: &self.data.class, rows };
        let loss = loss_grad(&self.arch, &self.theta, self.config.loss, batch, None);
        let acc = (self.data.classes > 0).then(|| self.fraction_fitting(rows));
        (loss, acc)
    }

    /// The fraction of `rows` whose (training) label the network predicts.
    fn fraction_fitting(&self, rows: &[usize]) -> f64 {
        let p_in = self.data.inputs;
        let fit = rows
            .iter()
            .filter(|&&r| {
                let o = self.predict(&self.data.x[r * p_in..(r + 1) * p_in]);
                let guess = if o.len() == 1 { usize::from(o[0] > 0.0) } else { argmax(&o) };
                guess == self.data.class[r]
            })
            .count();
        fit as f64 / rows.len().max(1) as f64
    }

    /// Memorisation: the fraction of training rows whose label noise flipped that the network fits with
    /// their wrong label — `None` without label noise.
    pub fn noisy_subset_accuracy(&self) -> Option<f64> {
        if self.data.class.is_empty() || self.data.clean_class.len() != self.data.class.len() {
            return None; // regression: no labels to flip
        }
        let noisy: Vec<usize> = self.data.train.iter().copied().filter(|&r| self.data.class[r] != self.data.clean_class[r]).collect();
        (!noisy.is_empty()).then(|| self.fraction_fitting(&noisy))
    }

    /// The fraction of training rows whose label noise left them clean that the network fits — `None`
    /// without label noise.
    pub fn clean_subset_accuracy(&self) -> Option<f64> {
        if self.data.class.is_empty() || self.data.clean_class.len() != self.data.class.len() {
            return None;
        }
        let clean: Vec<usize> = self.data.train.iter().copied().filter(|&r| self.data.class[r] == self.data.clean_class[r]).collect();
        (self.noisy_subset_accuracy().is_some() && !clean.is_empty()).then(|| self.fraction_fitting(&clean))
    }

    /// Trains to the next epoch boundary (or the end), however many frames that takes — the trainer also
    /// ends a step every 10 updates when epochs are short — and returns the last frame.
    pub async fn run_epoch(&mut self) -> Result<Frame> {
        let spe = self.steps_per_epoch().max(1);
        let target = (self.steps / spe + 1) * spe;
        let mut f = self.step(Budget::iterations(target - self.steps)).await?;
        while !f.done && self.steps < target {
            f = self.step(Budget::iterations(target - self.steps)).await?;
        }
        Ok(f)
    }

    /// Skips the Hessian measurement that ends a run (experiments that only need the curves).
    pub fn without_final_hessian(mut self) -> Self {
        self.final_hessian = false;
        self
    }

    /// One parameter update on the next mini-batch. Returns the mini-batch loss.
    fn update_step(&mut self) -> f64 {
        let b = self.batch_size();
        if self.cursor >= self.order.len() {
            self.cursor = 0;
        }
        if self.cursor == 0 {
            self.shuffle();
        }
        let end = (self.cursor + b).min(self.order.len());
        let rows: Vec<usize> = self.order[self.cursor..end].to_vec();
        self.cursor = end;
        let mut g = vec![0.0; self.theta.len()];
        let batch = Batch { x: &self.data.x, y: &self.targets, class: &self.data.class, rows: &rows };
        let loss = match (self.config.elr, &self.config.forward_correction) {
            (None, None) => loss_grad(&self.arch, &self.theta, self.config.loss, batch, Some(&mut g)),
            (None, Some(t)) => {
                let class = &self.data.class;
                let mut term = |r: usize, z: &[f64]| forward_correction_term(t, class[r], z);
                super::mlp::loss_grad_with(&self.arch, &self.theta, self.config.loss, batch, Some(&mut g), Some(&mut term))
            }
            (Some(e), _) => {
                let k = self.arch.outputs;
                let targets = &mut self.elr_targets;
                let mut term = |r: usize, z: &[f64]| {
                    let t = &mut targets[r * k..(r + 1) * k];
                    super::elr::update_target(e.beta, z, t);
                    super::elr::term(e.lambda, z, t)
                };
                super::mlp::loss_grad_with(&self.arch, &self.theta, self.config.loss, batch, Some(&mut g), Some(&mut term))
            }
        };
        if let Some(e) = &self.config.ewc {
            for (k, gk) in g.iter_mut().enumerate() {
                *gk += e.lambda * e.fisher[k] * (self.theta[k] - e.anchor[k]);
            }
        }
        let rate = self.config.reg_rate;
        if self.config.reg != Regularization::None && rate > 0.0 {
            for (w, _, i, o) in self.arch.layers() {
                for k in w..w + i * o {
                    g[k] += match self.config.reg {
                        Regularization::L1 => rate * self.theta[k].signum() * f64::from(u8::from(self.theta[k] != 0.0)),
                        _ => rate * self.theta[k],
                    };
                }
            }
        }
        let lr = self.current_lr();
        self.steps += 1;
        match self.config.optimizer {
            Optimizer::Sgd => self.theta.iter_mut().zip(&g).for_each(|(t, gk)| *t -= lr * gk),
            Optimizer::Momentum => {
                let beta = self.config.momentum;
                for ((t, v), gk) in self.theta.iter_mut().zip(&mut self.velocity).zip(&g) {
                    *v = beta * *v + gk;
                    *t -= lr * *v;
                }
            }
            Optimizer::Adam => {
                let (b1, b2, eps) = (0.9f64, 0.999f64, 1e-8);
                let k = self.steps as i32;
                let (c1, c2) = (1.0 - b1.powi(k), 1.0 - b2.powi(k));
                for (((t, m), v), gk) in self.theta.iter_mut().zip(&mut self.velocity).zip(&mut self.second).zip(&g) {
                    *m = b1 * *m + (1.0 - b1) * gk;
                    *v = b2 * *v + (1.0 - b2) * gk * gk;
                    *t -= lr * (*m / c1) / ((*v / c2).sqrt() + eps);
                }
            }
        }
        loss
    }

    /// The stability threshold of the current optimizer: 2/η for GD/SGD, (2 + 2β)/η with momentum (Adam:
    /// none reported).
    pub fn stability_threshold(&self) -> Option<f64> {
        let lr = self.current_lr();
        match self.config.optimizer {
            Optimizer::Sgd => Some(2.0 / lr),
            Optimizer::Momentum => Some((2.0 + 2.0 * self.config.momentum) / lr),
            Optimizer::Adam => None,
        }
    }

    fn frame(&self, done: bool) -> Frame {
        let mut m = BTreeMap::new();
        let mut put = |k: &str, v: Option<f64>| {
            if let Some(v) = v.filter(|v| v.is_finite()) {
                m.insert(k.to_owned(), v);
            }
        };
        let (train_loss, train_acc) = self.evaluate(&self.data.train);
        let (test_loss, test_acc) = self.evaluate(&self.data.test);
        put("epoch", Some(self.steps as f64 / self.steps_per_epoch() as f64));
        put("train_loss", Some(train_loss));
        put("objective", Some(train_loss + self.reg_value()));
        put("test_loss", Some(test_loss));
        put("train_accuracy", train_acc);
        put("test_accuracy", test_acc);
        put("lr", Some(self.current_lr()));
        put("sharpness", self.sharpness);
        put("hessian_trace", self.trace);
        put("stability_threshold", self.stability_threshold());
        let b = self.batch_size() as f64;
        if let (Some(l), Some(t)) = (self.sharpness, self.trace) {
            put("batch_bound", Some(t / b + (1.0 - 1.0 / b) * l));
        }
        put("noisy_memorised", self.noisy_subset_accuracy());
        put("clean_fit", self.clean_subset_accuracy());
        put("train_seconds", Some(self.train_ms / 1e3));
        Frame {
            iteration: self.steps,
            metrics: m,
            elapsed_ms: self.elapsed_ms,
            done,
            converged: done && self.stopped != Some(StopReason::Divergence),
            stop: self.stopped,
            phase: Some(format!(
                "epoch {:.1}{}",
                self.steps as f64 / self.steps_per_epoch() as f64,
                if self.measuring.is_some() { ", measuring the Hessian" } else { "" }
            )),
        }
    }
}

fn argmax(v: &[f64]) -> usize {
    v.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).map_or(0, |(k, _)| k)
}

impl Stepper for Trainer {
    /// Updates until the budget is spent (iterations = updates), the epoch ends (or FRAME_STEPS updates for
    /// short epochs), or the epochs are done.
    async fn step(&mut self, budget: Budget) -> Result<Frame> {
        if let Some(last) = self.last.as_ref().filter(|f| f.done) {
            return Ok(last.clone());
        }
        let start = Instant::now();
        let limit = self.divergence_limit();
        let mut ran = 0;
        while self.stopped.is_none() && self.measuring.is_none() && ran < budget.max_iterations && self.steps < self.total_steps() {
            ran += 1;
            if !self.checked_update(limit) {
                break;
            }
            // One frame per epoch (at least every FRAME_STEPS updates): the curves get a point per epoch.
            if start.elapsed().as_secs_f64() * 1e3 >= budget.max_millis || self.steps.is_multiple_of(self.steps_per_epoch().max(FRAME_STEPS)) {
                break;
            }
        }
        Ok(self.frame_after(start, budget.max_millis))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::{poll_ready, run_to_end};
    use crate::train::data::{DatasetKind, DatasetSpec};


    #[test]
    fn every_optimizer_learns_xor() {
        let data = DatasetSpec { kind: DatasetKind::Xor, n: 200, noise: 0.0, train_ratio: 0.8, ..DatasetSpec::default() }.build().unwrap();
        for (optimizer, lr) in [(Optimizer::Sgd, 0.05), (Optimizer::Momentum, 0.01), (Optimizer::Adam, 0.01)] {
            for loss in [Loss::Mse, Loss::Xent] {
                let config = TrainConfig { optimizer, lr, loss, epochs: 150, batch: 10, ..TrainConfig::default() };
                let mut t = Trainer::new(data.clone(), config).unwrap();
                let f = poll_ready(run_to_end(&mut t, Budget::iterations(500), |_| {})).unwrap();
                assert_eq!(f.stop, Some(StopReason::Completed));
                let acc = f.metric("test_accuracy").unwrap();
                assert!(acc > 0.9, "{optimizer} {loss}: test accuracy {acc}");
                assert!(f.metric("sharpness").is_some() && f.metric("hessian_trace").is_some());
            }
        }
    }

    #[test]
    fn divergence_is_reported_not_plotted() {
        let data = DatasetSpec { kind: DatasetKind::Spiral, ..DatasetSpec::default() }.build().unwrap();
        let config = TrainConfig { hidden: vec![32, 32], lr: 50.0, batch: 0, epochs: 500, ..TrainConfig::default() };
        let mut t = Trainer::new(data, config).unwrap();
        let f = poll_ready(run_to_end(&mut t, Budget::iterations(100), |f| assert!(f.metrics.values().all(|v| v.is_finite())))).unwrap();
        assert_eq!(f.stop, Some(StopReason::Divergence));
        assert!(!f.converged && f.done);
    }

    #[test]
    fn schedules_and_live_updates() {
        let data = DatasetSpec { kind: DatasetKind::Gauss, n: 100, ..DatasetSpec::default() }.build().unwrap();
        let config = TrainConfig { schedule: Schedule::Cosine, epochs: 10, batch: 0, lr: 0.2, ..TrainConfig::default() };
        let mut t = Trainer::new(data.clone(), config.clone()).unwrap();
        assert_eq!(t.current_lr(), 0.2);
        poll_ready(t.step(Budget::iterations(5))).unwrap();
        assert!((t.current_lr() - 0.1).abs() < 1e-12, "half-way through the cosine");
        // A new learning rate applies mid-run; a new architecture does not.
        t.update(&TrainConfig { lr: 0.4, ..config.clone() }).unwrap();
        assert!((t.current_lr() - 0.2).abs() < 1e-12);
        assert!(t.update(&TrainConfig { hidden: vec![3], ..config.clone() }).is_err());
        let step = TrainConfig { schedule: Schedule::Step, epochs: 9, ..config };
        let mut t = Trainer::new(data, step).unwrap();
        poll_ready(t.step(Budget::iterations(3))).unwrap();
        assert!((t.current_lr() - 0.02).abs() < 1e-12);
    }

    #[test]
    fn per_layer_activations() {
        let data = DatasetSpec { kind: DatasetKind::Gauss, n: 40, ..DatasetSpec::default() }.build().unwrap();
        let config = TrainConfig { hidden: vec![4, 3], layer_activations: vec![Activation::Relu, Activation::Sigmoid], ..TrainConfig::default() };
        let t = Trainer::new(data.clone(), config.clone()).unwrap();
        assert_eq!(t.architecture().activations, vec![Activation::Relu, Activation::Sigmoid]);
        let wrong = TrainConfig { layer_activations: vec![Activation::Relu], ..config };
        assert!(matches!(Trainer::new(data, wrong), Err(Error::ShapeMismatch { name: "activations", .. })));
    }

    #[test]
    fn forward_correction_gradient_matches_finite_differences() {
        let t = [0.7, 0.2, 0.1, 0.1, 0.8, 0.1, 0.3, 0.0, 0.7];
        let z = [0.4, -1.0, 1.5];
        let corrected = |z: &[f64]| {
            let p = crate::train::elr::softmax(z);
            -(0..3).map(|j| t[j * 3 + 1] * p[j]).sum::<f64>().ln()
        };
        let plain = |z: &[f64]| -crate::train::elr::softmax(z)[1].ln();
        let (v, g) = forward_correction_term(&t, 1, &z);
        assert!((v - (corrected(&z) - plain(&z))).abs() < 1e-12, "value {v}");
        for j in 0..3 {
            let h = 1e-6;
            let (mut zp, mut zm) = (z, z);
            zp[j] += h;
            zm[j] -= h;
            let fd = (corrected(&zp) - plain(&zp) - corrected(&zm) + plain(&zm)) / (2.0 * h);
            assert!((fd - g[j]).abs() < 1e-6, "j = {j}: {fd} vs {}", g[j]);
        }
        // T = I: no correction.
        let (v, g) = forward_correction_term(&[1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0], 2, &z);
        assert!(v.abs() < 1e-12 && g.iter().all(|x| x.abs() < 1e-12));
    }

    #[test]
    fn forward_correction_is_validated_and_the_estimate_is_stochastic() {
        let spec = DatasetSpec { kind: DatasetKind::Mixture, n: 400, noise: 1.0, train_ratio: 0.5, label_noise: 0.3, features: vec![], ..DatasetSpec::default() };
        let data = spec.build().unwrap();
        let k = data.classes;
        let good = crate::train::NoiseKind::Symmetric.transition(0.3, k);
        let cfg = |t: Vec<f64>| TrainConfig { hidden: vec![16], loss: Loss::Xent, optimizer: Optimizer::Adam, lr: 1e-2, batch: 20, epochs: 3, forward_correction: Some(t), ..TrainConfig::default() };
        assert!(Trainer::new(data.clone(), cfg(vec![0.25; k * k + 1])).is_err());
        assert!(Trainer::new(data.clone(), cfg(vec![0.5; k * k])).is_err(), "rows must sum to 1");
        assert!(Trainer::new(data.clone(), TrainConfig { loss: Loss::Mse, ..cfg(good.clone()) }).is_err());
        assert!(Trainer::new(data.clone(), TrainConfig { elr: Some(crate::train::elr::Elr::default()), ..cfg(good.clone()) }).is_err());
        let mut tr = Trainer::new(data, cfg(good)).unwrap().without_final_hessian();
        let f = crate::frame::poll_ready(crate::frame::run_to_end(&mut tr, crate::frame::Budget::iterations(1000), |_| {})).unwrap();
        assert!(f.metrics.values().all(|v| v.is_finite()));
        let t = tr.estimate_transition().unwrap();
        assert_eq!(t.len(), k * k);
        assert!(t.chunks(k).all(|row| (row.iter().sum::<f64>() - 1.0).abs() < 1e-9 && row.iter().all(|v| *v >= 0.0)), "{t:?}");
    }

    #[test]
    fn label_smoothing_softens_the_targets() {
        let data = DatasetSpec { kind: DatasetKind::Gauss, n: 40, ..DatasetSpec::default() }.build().unwrap();
        let xent = Trainer::new(data.clone(), TrainConfig { loss: Loss::Xent, label_smoothing: 0.2, ..TrainConfig::default() }).unwrap();
        // Two classes: one-hot (1, 0) becomes (0.9, 0.1).
        for row in xent.targets().chunks(2) {
            let (hi, lo) = (row[0].max(row[1]), row[0].min(row[1]));
            assert!((hi - 0.9).abs() < 1e-12 && (lo - 0.1).abs() < 1e-12, "{row:?}");
        }
        let mse = Trainer::new(data.clone(), TrainConfig { label_smoothing: 0.2, ..TrainConfig::default() }).unwrap();
        assert!(mse.targets().iter().all(|t| (t.abs() - 0.8).abs() < 1e-12));
        assert!(Trainer::new(data, TrainConfig { label_smoothing: 1.0, ..TrainConfig::default() }).is_err());
    }

    #[test]
    fn power_iteration_and_hutchinson_match_the_exact_network_hessian() {
        use crate::train::hessian::{full_hessian, symmetric_eigenvalues};
        // A trained 2-6-6-1 net on the spiral: its exact Hessian (113 × 113) is the ground truth.
        let data = DatasetSpec::default().build().unwrap();
        let config = TrainConfig { hidden: vec![6, 6], lr: 0.1, batch: 0, epochs: 200, ..TrainConfig::default() };
        let mut t = Trainer::new(data, config).unwrap();
        poll_ready(run_to_end(&mut t, Budget::iterations(1000), |_| {})).unwrap();
        let p = t.params().len();
        let h = full_hessian(p, |v| t.hessian_vector(v));
        let eig = symmetric_eigenvalues(&h, p).unwrap();
        let (top, trace) = (eig[p - 1].max(-eig[0]), eig.iter().sum::<f64>());
        let (l, tr) = t.measure_hessian();
        // Power iteration stops at rtol 1e-3 between successive estimates: allow 1 %.
        assert!((l - top).abs() <= 0.01 * top, "λmax {l} vs exact {top}");
        // Hutchinson with 20 Rademacher probes: standard error ≈ √(2(‖H‖_F² − Σ H_ii²)/20).
        let off: f64 = (0..p).flat_map(|i| (0..p).map(move |j| (i, j))).filter(|(i, j)| i != j).map(|(i, j)| h[i * p + j].powi(2)).sum();
        let se = (2.0 * off / 20.0).sqrt();
        assert!((tr - trace).abs() <= 4.0 * se, "trace {tr} vs exact {trace} (se {se})");
    }

    /// Under a time budget a Hessian measurement spreads over frames (training waits at the measured θ),
    /// and the run gives the same weights and the same sharpness and trace readings as one whose
    /// measurements each finish within a step.
    #[test]
    fn a_time_budget_spreads_hessian_measurements_over_frames() {
        let data = DatasetSpec { kind: DatasetKind::Xor, n: 100, ..DatasetSpec::default() }.build().unwrap();
        // Measurements at multiples of 20 steps, where both budgets end a frame (frames every 10 updates).
        let config = TrainConfig { hidden: vec![6], epochs: 12, batch: 10, hessian_every: 20, ..TrainConfig::default() };
        let readings = |t: &mut Trainer, budget: Budget| {
            let (mut seen, mut frames, mut waiting) = (Vec::new(), 0, 0);
            loop {
                let before = t.steps;
                let f = poll_ready(t.step(budget)).unwrap();
                frames += 1;
                if t.steps == before && !f.done {
                    waiting += 1;
                }
                let r = (f.metric("sharpness"), f.metric("hessian_trace"));
                if r.0.is_some() && seen.last() != Some(&r) {
                    seen.push(r);
                }
                if f.done {
                    return (seen, frames, waiting, f);
                }
            }
        };
        let mut whole = Trainer::new(data.clone(), config.clone()).unwrap();
        let (at_once, _, waited, last_whole) = readings(&mut whole, Budget::iterations(1000));
        assert_eq!(waited, 0, "an iteration budget finishes each measurement in its step");
        let mut split = Trainer::new(data, config).unwrap();
        let (spread, frames, waiting, last_split) = readings(&mut split, Budget::millis(1e-6));
        assert!(at_once.len() >= 3, "{at_once:?}");
        assert_eq!(spread, at_once);
        assert!(waiting > 20 * at_once.len(), "{waiting} frames of {frames} waited for a measurement");
        assert_eq!(split.params(), whole.params());
        let numbers = |f: &Frame| f.metrics.iter().filter(|(k, _)| !k.ends_with("seconds")).map(|(k, v)| (k.clone(), *v)).collect::<Vec<_>>();
        assert_eq!(numbers(&last_split), numbers(&last_whole));
        assert_eq!(last_split.stop, Some(StopReason::Completed));
    }

    #[test]
    fn bad_hyperparameters_are_typed_errors() {
        let data = DatasetSpec { kind: DatasetKind::Plane, n: 50, ..DatasetSpec::default() }.build().unwrap();
        let bad = |c: TrainConfig| Trainer::new(data.clone(), c).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(bad(TrainConfig { lr: 0.0, ..TrainConfig::default() }).contains("`lr`"));
        assert!(bad(TrainConfig { lr: f64::NAN, ..TrainConfig::default() }).contains("`lr`"));
        assert!(bad(TrainConfig { batch: 51, ..TrainConfig::default() }).contains("`batch`"));
        assert!(bad(TrainConfig { hidden: vec![0], ..TrainConfig::default() }).contains("`hidden`"));
        assert!(bad(TrainConfig { loss: Loss::Xent, ..TrainConfig::default() }).contains("`loss`"));
        assert!(bad(TrainConfig { epochs: 0, ..TrainConfig::default() }).contains("`epochs`"));
    }
}
