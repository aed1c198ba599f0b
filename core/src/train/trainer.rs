//! Training as a stepper: mini-batch SGD, momentum or Adam on an MLP over a dataset, with a learning-rate
//! schedule, L1/L2 regularisation, and the Hessian's top eigenvalue (sharpness) and trace measured every
//! K steps on the full training loss — against the stability bounds of docs/methods.md §3 (Wu & Su 2023):
//! GD is stable iff λmax ≤ 2/η (momentum β: (2 + 2β)/η); SGD with batch B iff tr(H)/B + (1 − 1/B)λmax ≤ 2/η.
//!
//! A step is one parameter update. A loss that becomes non-finite or grows 10⁸-fold stops the run with
//! `StopReason::Divergence` (its frame keeps the last finite metrics; nothing non-finite is reported).

use std::collections::BTreeMap;

use web_time::Instant;

pub use super::config::{forward_correction_term, Ewc, Optimizer, Regularization, Schedule, TrainConfig};
use super::data::Dataset;
use super::hessian::{Hutchinson, PowerIteration};
use super::mlp::{hvp, loss_grad, loss_grad_in, predict, Architecture, Batch, Workspace};
use super::optimizer;
use crate::error::{Error, Result};
use crate::frame::{Budget, Frame, Stepper, StopReason};
use crate::metrics as key;
use crate::rng::SplitMix64;

/// Power-iteration settings (PyHessian's defaults) and Hutchinson probes.
const POWER_ITERS: usize = 100;
const POWER_RTOL: f64 = 1e-3;
const TRACE_PROBES: usize = 20;
/// Fewest updates between frames (full-batch GD has one update per epoch).
const FRAME_STEPS: u64 = 10;
/// Most frames a timed step keeps for the page before it returns (see `Stepper::take_earlier_frames`); a
/// caller that never takes them gets one epoch per step again, with this many held.
const MAX_EARLIER_FRAMES: usize = 256;
/// A loss this many times the initial one counts as divergence.
const DIVERGENCE_FACTOR: f64 = 1e8;

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
    /// Buffers reused by every update and evaluation (a step allocates nothing); a lock only so that
    /// `&self` evaluations can use them too (never contended: a trainer runs on one thread at a time).
    work: std::sync::Mutex<Workspace>,
    /// The gradient, and θ before the update in progress (restored on divergence).
    grad: Vec<f64>,
    backup: Vec<f64>,
    /// Frames a timed step finished before the one it returned (a frame per epoch, several epochs per step).
    earlier: Vec<Frame>,
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
        Self {
            power: PowerIteration::new(p, POWER_ITERS, POWER_RTOL, seed),
            sharpness: None,
            trace: Hutchinson::new(p, TRACE_PROBES, seed ^ 1),
            last,
        }
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
        let theta = arch.init_with(config.init, config.seed);
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
        let elr_targets =
            if config.elr.is_some() { vec![0.0; data.rows() * data.outputs(config.loss)] } else { Vec::new() };
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
            work: std::sync::Mutex::new(Workspace::default()),
            grad: vec![0.0; p],
            backup: vec![0.0; p],
            earlier: Vec::new(),
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
    /// (The callers time their loops of updates into `train_ms`: a clock read costs a call out of wasm.)
    fn checked_update(&mut self, limit: f64) -> bool {
        self.backup.copy_from_slice(&self.theta);
        let loss = self.update_step();
        if !loss.is_finite() || loss > limit || self.theta.iter().any(|t| !t.is_finite()) {
            self.theta.copy_from_slice(&self.backup);
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
        let t = Instant::now();
        while ran < max && self.stopped.is_none() && self.measuring.is_none() && self.steps < self.total_steps() {
            if !self.checked_update(limit) {
                break;
            }
            ran += 1;
        }
        self.train_ms += t.elapsed().as_secs_f64() * 1e3;
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
            } else if self.config.hessian_every > 0
                && self.steps / self.config.hessian_every as u64 > self.hessian_marks
            {
                self.measuring = Some(Box::new(Measurement::new(self, false)));
            }
        }
        self.hessian_marks = self.steps / (self.config.hessian_every.max(1) as u64);
        self.advance_measurement(start, budget_ms);
        self.elapsed_ms += start.elapsed().as_secs_f64() * 1e3;
        let frame = self.frame(self.stopped.is_some());
        // Only a finished run's frame is repeated (a copy per epoch would cost as much as the rest of it).
        self.last = frame.done.then(|| frame.clone());
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
            || next.ewc.as_ref().map(|e| (&e.anchor, &e.fisher))
                != self.config.ewc.as_ref().map(|e| (&e.anchor, &e.fisher));
        if structural {
            return Err(Error::Invalid {
                name: "config",
                message: "the architecture, loss, optimizer or seed changed: reset".into(),
            });
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
            0.5 * e.lambda
                * self.theta.iter().zip(&e.anchor).zip(&e.fisher).map(|((t, a), f)| f * (t - a) * (t - a)).sum::<f64>()
        });
        self.weights()
            .map(|w| match self.config.reg {
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
        let probs: Vec<Vec<f64>> = self
            .data
            .train
            .iter()
            .map(|&r| super::elr::softmax(&self.predict(&self.data.x[r * p_in..(r + 1) * p_in])))
            .collect();
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

    /// Mean loss and accuracy (classification) over `rows`: one batched pass gives both.
    fn evaluate(&self, rows: &[usize]) -> (f64, Option<f64>) {
        if rows.is_empty() {
            return (f64::NAN, None);
        }
        let mut work = self.work.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let batch = Batch { x: &self.data.x, y: &self.targets, class: &self.data.class, rows };
        let loss = loss_grad_in(&mut work, &self.arch, &self.theta, self.config.loss, batch, None, None);
        let acc = (self.data.classes > 0).then(|| self.fitting(work.outputs(), rows));
        (loss, acc)
    }

    /// The fraction of `rows` whose (training) label the network predicts.
    fn fraction_fitting(&self, rows: &[usize]) -> f64 {
        let mut work = self.work.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let batch = Batch { x: &self.data.x, y: &self.targets, class: &self.data.class, rows };
        loss_grad_in(&mut work, &self.arch, &self.theta, self.config.loss, batch, None, None);
        self.fitting(work.outputs(), rows)
    }

    /// The fraction of `rows` whose label is the class `outputs` (rows × outputs, in `rows`' order) predict.
    fn fitting(&self, outputs: &[f64], rows: &[usize]) -> f64 {
        let k = self.arch.outputs;
        let fit = outputs
            .chunks_exact(k)
            .zip(rows)
            .filter(|(o, &r)| {
                let guess = if k == 1 { usize::from(o[0] > 0.0) } else { argmax(o) };
                guess == self.data.class[r]
            })
            .count();
        fit as f64 / rows.len().max(1) as f64
    }

    /// True when some training label was flipped (a scan that allocates nothing: frames ask every epoch).
    fn has_label_noise(&self) -> bool {
        let (class, clean) = (&self.data.class, &self.data.clean_class);
        !class.is_empty() && clean.len() == class.len() && self.data.train.iter().any(|&r| class[r] != clean[r])
    }

    /// Memorisation: the fraction of training rows whose label noise flipped that the network fits with
    /// their wrong label — `None` without label noise.
    pub fn noisy_subset_accuracy(&self) -> Option<f64> {
        if !self.has_label_noise() {
            return None; // regression, or no label flipped
        }
        let noisy: Vec<usize> =
            self.data.train.iter().copied().filter(|&r| self.data.class[r] != self.data.clean_class[r]).collect();
        (!noisy.is_empty()).then(|| self.fraction_fitting(&noisy))
    }

    /// The fraction of training rows whose label noise left them clean that the network fits — `None`
    /// without label noise.
    pub fn clean_subset_accuracy(&self) -> Option<f64> {
        if !self.has_label_noise() {
            return None;
        }
        let clean: Vec<usize> =
            self.data.train.iter().copied().filter(|&r| self.data.class[r] == self.data.clean_class[r]).collect();
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
        let rows = &self.order[self.cursor..end];
        self.cursor = end;
        let g = &mut self.grad;
        let work = self.work.get_mut().unwrap_or_else(std::sync::PoisonError::into_inner);
        let batch = Batch { x: &self.data.x, y: &self.targets, class: &self.data.class, rows };
        let (arch, theta, loss) = (&self.arch, &self.theta, self.config.loss);
        let loss = match (self.config.elr, &self.config.forward_correction) {
            (None, None) => loss_grad_in(work, arch, theta, loss, batch, Some(g), None),
            (None, Some(t)) => {
                let class = &self.data.class;
                let mut term = |r: usize, z: &[f64]| forward_correction_term(t, class[r], z);
                loss_grad_in(work, arch, theta, loss, batch, Some(g), Some(&mut term))
            }
            (Some(e), _) => {
                let k = self.arch.outputs;
                let targets = &mut self.elr_targets;
                let mut term = |r: usize, z: &[f64]| {
                    let t = &mut targets[r * k..(r + 1) * k];
                    super::elr::update_target(e.beta, z, t);
                    super::elr::term(e.lambda, z, t)
                };
                loss_grad_in(work, arch, theta, loss, batch, Some(g), Some(&mut term))
            }
        };
        let g = &mut self.grad;
        if let Some(e) = &self.config.ewc {
            for (k, gk) in g.iter_mut().enumerate() {
                *gk += e.lambda * e.fisher[k] * (self.theta[k] - e.anchor[k]);
            }
        }
        let rate = self.config.reg_rate;
        if self.config.reg != Regularization::None && rate > 0.0 {
            for (w, _, i, o) in self.arch.layers() {
                for (gk, &t) in g[w..w + i * o].iter_mut().zip(&self.theta[w..w + i * o]) {
                    *gk += match self.config.reg {
                        Regularization::L1 => rate * t.signum() * f64::from(u8::from(t != 0.0)),
                        _ => rate * t,
                    };
                }
            }
        }
        let lr = self.current_lr();
        self.steps += 1;
        let g = &self.grad;
        match self.config.optimizer {
            Optimizer::Sgd => optimizer::sgd(&mut self.theta, g, lr),
            Optimizer::Momentum => {
                optimizer::momentum(&mut self.theta, &mut self.velocity, g, lr, self.config.momentum)
            }
            Optimizer::Adam => {
                optimizer::adam(&mut self.theta, &mut self.velocity, &mut self.second, g, lr, self.steps)
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
        put(key::EPOCH, Some(self.steps as f64 / self.steps_per_epoch() as f64));
        put(key::TRAIN_LOSS, Some(train_loss));
        put(key::OBJECTIVE, Some(train_loss + self.reg_value()));
        put(key::TEST_LOSS, Some(test_loss));
        put(key::TRAIN_ACCURACY, train_acc);
        put(key::TEST_ACCURACY, test_acc);
        put(key::LR, Some(self.current_lr()));
        put(key::SHARPNESS, self.sharpness);
        put(key::HESSIAN_TRACE, self.trace);
        put(key::STABILITY_THRESHOLD, self.stability_threshold());
        let b = self.batch_size() as f64;
        if let (Some(l), Some(t)) = (self.sharpness, self.trace) {
            put(key::BATCH_BOUND, Some(t / b + (1.0 - 1.0 / b) * l));
        }
        put(key::NOISY_MEMORISED, self.noisy_subset_accuracy());
        put(key::CLEAN_FIT, self.clean_subset_accuracy());
        put(key::TRAIN_SECONDS, Some(self.train_ms / 1e3));
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

/// Under a time budget, one frame every this many epochs (frame periods) at epoch `e`: 1 below 1,000, 10
/// below 10,000, and so on.
fn frame_stride(e: u64) -> u64 {
    let mut stride = 1;
    while e >= 1_000 * stride {
        stride *= 10;
    }
    stride
}

fn argmax(v: &[f64]) -> usize {
    v.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).map_or(0, |(k, _)| k)
}

impl Stepper for Trainer {
    /// Updates until the budget is spent (iterations = updates), the epoch ends (or FRAME_STEPS updates for
    /// short epochs), or the epochs are done — a frame at each of those. Under a time budget (the page) the
    /// step goes on through epoch boundaries until the time is spent, keeping each epoch's frame for
    /// [`Stepper::take_earlier_frames`]: a small net trains thousands of epochs a second, far more than the
    /// display draws, and every epoch still gets its point on the curves.
    async fn step(&mut self, budget: Budget) -> Result<Frame> {
        if let Some(last) = self.last.as_ref().filter(|f| f.done) {
            return Ok(last.clone());
        }
        let start = Instant::now();
        let limit = self.divergence_limit();
        let mut ran = 0;
        // An iteration budget (the CLI, the tests) reads the clock only around the loop; a time budget after
        // each update (a clock read is a call out of wasm: cheap next to an update, not free).
        let timed = budget.max_millis.is_finite();
        // Where the time not yet counted into a frame's `elapsed_ms` began (frames thinned out skip counting).
        let mut since_frame = start;
        loop {
            let segment = Instant::now();
            while self.stopped.is_none()
                && self.measuring.is_none()
                && ran < budget.max_iterations
                && self.steps < self.total_steps()
            {
                ran += 1;
                if !self.checked_update(limit) {
                    break;
                }
                // One frame per epoch (at least every FRAME_STEPS updates): the curves get a point per epoch.
                if self.steps.is_multiple_of(self.steps_per_epoch().max(FRAME_STEPS))
                    || (timed && start.elapsed().as_secs_f64() * 1e3 >= budget.max_millis)
                {
                    break;
                }
            }
            self.train_ms += segment.elapsed().as_secs_f64() * 1e3;
            // Long runs thin their frames out as the epochs grow (every epoch up to 1,000, every 10th up to
            // 10,000, …: about 900 a decade), so that a page left running for minutes keeps its memory and
            // redraws bounded. Never the frame that ends a step or the run, nor one a Hessian measurement is due at.
            let epoch = self.steps / self.steps_per_epoch().max(FRAME_STEPS);
            let due =
                self.config.hessian_every > 0 && self.steps / self.config.hessian_every as u64 > self.hessian_marks;
            if timed
                && !due
                && self.stopped.is_none()
                && self.steps < self.total_steps()
                && ran < budget.max_iterations
                && !epoch.is_multiple_of(frame_stride(epoch))
                && start.elapsed().as_secs_f64() * 1e3 < budget.max_millis
            {
                continue;
            }
            let before = (since_frame - start).as_secs_f64() * 1e3;
            let frame = self.frame_after(since_frame, budget.max_millis - before);
            let more = timed
                && !frame.done
                && self.stopped.is_none()
                && self.measuring.is_none()
                && ran < budget.max_iterations
                && self.earlier.len() < MAX_EARLIER_FRAMES
                && start.elapsed().as_secs_f64() * 1e3 < budget.max_millis;
            if !more {
                return Ok(frame);
            }
            self.earlier.push(frame);
            since_frame = Instant::now();
        }
    }

    fn take_earlier_frames(&mut self) -> Vec<Frame> {
        std::mem::take(&mut self.earlier)
    }
}

#[cfg(test)]
mod tests;
