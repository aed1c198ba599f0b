//! Noisy labels and early learning (Liu et al. 2020, ELR): the same network trained side by side with plain
//! cross-entropy and with early-learning regularization, on the same data, labels, initial weights and batch
//! order. Built on the training lab's [`Trainer`] (CPU, f64): no second trainer.
//!
//! Setting (REFERENCE.md §3): a 4-class, 20-d Gaussian mixture (means N(0, I), within-class σ = 1.7), 2,000
//! points split half/half, 40 % of the training labels flipped to another class (symmetric noise), a
//! 20-256-4 ReLU MLP, Adam (lr 1e-3), batch 64, 150 epochs; ELR with β = 0.7, λ = 3. Cross-entropy first
//! learns the clean pattern (test accuracy peaks), then memorises the flipped labels (memorisation → 100 %)
//! and its test accuracy falls; ELR keeps memorisation low and holds its accuracy.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::frame::{Budget, Frame, StopReason, Stepper};
use crate::train::elr::Elr;
use crate::train::{Activation, DatasetKind, DatasetSpec, Loss, Optimizer, TrainConfig, Trainer};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Config {
    /// Fraction of training labels flipped (symmetric: to a uniformly drawn other class), in [0, 1).
    pub noise_rate: f64,
    /// Within-class standard deviation of the mixture.
    pub spread: f64,
    /// Points (half train, half test).
    pub n: usize,
    pub hidden: usize,
    pub epochs: usize,
    pub lr: f64,
    pub batch: usize,
    pub elr: Elr,
    pub seed: u64,
}

impl Default for Config {
    fn default() -> Self {
        Self { noise_rate: 0.4, spread: 1.7, n: 2000, hidden: 256, epochs: 150, lr: 1e-3, batch: 64, elr: Elr::default(), seed: 0 }
    }
}

impl Config {
    pub fn validate(&self) -> Result<()> {
        if !(0.0..1.0).contains(&self.noise_rate) {
            return Err(Error::Invalid { name: "noise-rate", message: format!("the label-noise rate must lie in [0, 1), got {}", self.noise_rate) });
        }
        if !(1..=4096).contains(&self.hidden) {
            return Err(Error::Invalid { name: "hidden", message: format!("the hidden width must be in 1..=4096, got {}", self.hidden) });
        }
        if self.n > 20_000 {
            return Err(Error::TooBig { name: "n", value: self.n as i64, max: 20_000 });
        }
        let (data, ce, elr) = self.parts();
        let data = data.build()?;
        ce.validate(&data)?;
        elr.validate(&data)
    }

    /// The dataset and the two training configurations.
    fn parts(&self) -> (DatasetSpec, TrainConfig, TrainConfig) {
        let data = DatasetSpec { kind: DatasetKind::Mixture, n: self.n, noise: self.spread, train_ratio: 0.5, label_noise: self.noise_rate, features: vec![], seed: self.seed };
        let ce = TrainConfig {
            hidden: vec![self.hidden],
            activation: Activation::Relu,
            loss: Loss::Xent,
            optimizer: Optimizer::Adam,
            lr: self.lr,
            batch: self.batch,
            epochs: self.epochs,
            seed: self.seed,
            ..TrainConfig::default()
        };
        let elr = TrainConfig { elr: Some(self.elr), ..ce.clone() };
        (data, ce, elr)
    }
}

/// Both runs, an epoch of one run per step (two steps per epoch row). Frame metrics: `epoch`, then per run (`ce_`, `elr_`) `test_accuracy`,
/// `memorised` (noisy training labels fitted), `clean_fit` (clean training labels fitted), `train_loss`.
pub struct Experiment {
    runs: [Trainer; 2],
    /// Per epoch: [epoch, ce test, ce memorised, ce clean fit, elr test, elr memorised, elr clean fit].
    pub rows: Vec<[f64; 7]>,
    /// Cross-entropy's frame for the epoch whose ELR half is next.
    pending: Option<Frame>,
    elapsed_ms: f64,
}

/// The experiment's headline numbers (`regula gen noisy-labels --json`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub ce_peak_test_accuracy: f64,
    pub ce_peak_epoch: f64,
    pub ce_final_test_accuracy: f64,
    pub ce_final_memorised: f64,
    pub elr_peak_test_accuracy: f64,
    pub elr_final_test_accuracy: f64,
    pub elr_final_memorised: f64,
    pub elr_max_memorised: f64,
}

impl Experiment {
    pub fn new(config: Config) -> Result<Self> {
        config.validate()?;
        let (data, ce, elr) = config.parts();
        let data = data.build()?;
        let runs = [Trainer::new(data.clone(), ce)?.without_final_hessian(), Trainer::new(data, elr)?.without_final_hessian()];
        Ok(Self { runs, rows: Vec::new(), pending: None, elapsed_ms: 0.0 })
    }

    pub fn summary(&self) -> Summary {
        let col = |k: usize| self.rows.iter().map(move |r| r[k]);
        let (peak, at) = self.rows.iter().fold((f64::NAN, f64::NAN), |(p, e), r| if p.is_nan() || r[1] > p { (r[1], r[0]) } else { (p, e) });
        let last = self.rows.last().copied().unwrap_or([f64::NAN; 7]);
        Summary {
            ce_peak_test_accuracy: peak,
            ce_peak_epoch: at,
            ce_final_test_accuracy: last[1],
            ce_final_memorised: last[2],
            elr_peak_test_accuracy: col(4).fold(f64::NAN, f64::max),
            elr_final_test_accuracy: last[4],
            elr_final_memorised: last[5],
            elr_max_memorised: col(5).fold(f64::NAN, f64::max),
        }
    }
}

impl Stepper for Experiment {
    /// One epoch of one run: cross-entropy, then ELR (which completes the epoch's row) — half the work per
    /// call, so a browser frame stays short.
    async fn step(&mut self, _budget: Budget) -> Result<Frame> {
        let start = web_time::Instant::now();
        if self.pending.is_none() {
            let f = self.runs[0].run_epoch().await?;
            self.pending = Some(f);
            self.elapsed_ms += start.elapsed().as_secs_f64() * 1e3;
            return Ok(self.frame(false, false));
        }
        let ce = self.pending.take().expect("checked");
        let elr = self.runs[1].run_epoch().await?;
        let m = |f: &Frame, k: &str| f.metric(k).unwrap_or(f64::NAN);
        let row = [m(&ce, "epoch"), m(&ce, "test_accuracy"), m(&ce, "noisy_memorised"), m(&ce, "clean_fit"), m(&elr, "test_accuracy"), m(&elr, "noisy_memorised"), m(&elr, "clean_fit")];
        if self.rows.last().is_none_or(|r| r[0] < row[0]) {
            self.rows.push(row);
        }
        self.elapsed_ms += start.elapsed().as_secs_f64() * 1e3;
        let diverged = ce.stop == Some(StopReason::Divergence) || elr.stop == Some(StopReason::Divergence);
        Ok(self.frame(ce.done && elr.done, diverged))
    }
}

impl Experiment {
    fn frame(&self, done: bool, diverged: bool) -> Frame {
        let mut metrics = std::collections::BTreeMap::new();
        let names = ["epoch", "ce_test_accuracy", "ce_memorised", "ce_clean_fit", "elr_test_accuracy", "elr_memorised", "elr_clean_fit"];
        if let Some(row) = self.rows.last() {
            for (k, name) in names.iter().enumerate() {
                if row[k].is_finite() {
                    metrics.insert((*name).to_owned(), row[k]);
                }
            }
        }
        Frame {
            iteration: self.rows.len() as u64,
            metrics,
            elapsed_ms: self.elapsed_ms,
            done,
            converged: done && !diverged,
            stop: done.then_some(if diverged { StopReason::Divergence } else { StopReason::Completed }),
            phase: Some(if self.pending.is_some() { "cross-entropy" } else { "elr" }.to_owned()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::poll_ready;

    #[test]
    fn bad_parameters_are_typed_errors() {
        for c in [
            Config { noise_rate: 1.0, ..Config::default() },
            Config { noise_rate: -0.1, ..Config::default() },
            Config { hidden: 0, ..Config::default() },
            Config { lr: 0.0, ..Config::default() },
            Config { elr: Elr { beta: 1.0, lambda: 3.0 }, ..Config::default() },
            Config { elr: Elr { beta: 0.7, lambda: -1.0 }, ..Config::default() },
            Config { batch: 5000, ..Config::default() },
        ] {
            assert!(Experiment::new(c.clone()).is_err(), "{c:?}");
        }
    }

    #[test]
    fn one_step_is_one_epoch_of_both_runs() {
        let mut e = Experiment::new(Config { n: 200, hidden: 16, epochs: 3, ..Config::default() }).unwrap();
        let half = poll_ready(e.step(Budget::iterations(1))).unwrap();
        assert_eq!((half.iteration, half.phase.as_deref()), (0, Some("cross-entropy")));
        let f = poll_ready(e.step(Budget::iterations(1))).unwrap();
        assert_eq!(f.metric("epoch"), Some(1.0));
        assert!(f.metric("ce_memorised").is_some() && f.metric("elr_memorised").is_some(), "{f:?}");
        let mut last = f;
        while !last.done {
            last = poll_ready(e.step(Budget::iterations(1))).unwrap();
        }
        assert_eq!((last.iteration, e.rows.len()), (3, 3));
    }
}
