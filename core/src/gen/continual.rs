//! Continual learning with a Fisher penalty (elastic weight consolidation, Kirkpatrick et al. 2017; the
//! penalty CSTRL and AlignGuard-LoRA build on): a network learns task A (Playground's circle), then task B
//! (xor) from A's weights with the loss L_B + (λ/2)·Σ_i F_i (θ_i − θ*_A,i)², F the diagonal empirical Fisher
//! information of task A at θ*_A. Forgetting = A's test accuracy after A − after B. One λ per step, every
//! λ from the same θ*_A and the same batch order. Built on the training lab's [`Trainer`].

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::frame::{run_to_end, Budget, Frame, StopReason, Stepper};
use crate::train::{Activation, Dataset, DatasetKind, DatasetSpec, Ewc, Optimizer, TrainConfig, Trainer};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Config {
    /// The penalty weights λ to compare (0 = plain sequential training).
    pub lambdas: Vec<f64>,
    pub hidden: Vec<usize>,
    /// Points per task (half train, half test).
    pub n: usize,
    pub epochs_a: usize,
    pub epochs_b: usize,
    pub lr: f64,
    pub batch: usize,
    pub momentum: bool,
    pub seed: u64,
}

impl Default for Config {
    fn default() -> Self {
        Self { lambdas: vec![0.0, 1.0, 10.0, 100.0, 1000.0, 10_000.0], hidden: vec![16, 16], n: 400, epochs_a: 150, epochs_b: 150, lr: 0.003, batch: 1, momentum: false, seed: 0 }
    }
}

impl Config {
    pub fn validate(&self) -> Result<()> {
        if self.lambdas.is_empty() {
            return Err(Error::Invalid { name: "lambdas", message: "give at least one λ".into() });
        }
        if let Some(l) = self.lambdas.iter().find(|l| !(l.is_finite() && **l >= 0.0)) {
            return Err(Error::Invalid { name: "lambda", message: format!("λ must be ≥ 0, got {l}") });
        }
        let (a, b, ca, cb) = self.parts();
        let (a, b) = (a.build()?, b.build()?);
        ca.validate(&a)?;
        cb.validate(&b)
    }

    fn parts(&self) -> (DatasetSpec, DatasetSpec, TrainConfig, TrainConfig) {
        let spec = |kind| DatasetSpec { kind, n: self.n, noise: 0.05, train_ratio: 0.5, seed: self.seed, ..DatasetSpec::default() };
        let a = TrainConfig {
            hidden: self.hidden.clone(),
            activation: Activation::Tanh,
            optimizer: if self.momentum { Optimizer::Momentum } else { Optimizer::Sgd },
            lr: self.lr,
            batch: self.batch,
            epochs: self.epochs_a,
            seed: self.seed,
            ..TrainConfig::default()
        };
        let b = TrainConfig { epochs: self.epochs_b, ..a.clone() };
        (spec(DatasetKind::Circle), spec(DatasetKind::Xor), a, b)
    }
}

/// One λ's outcome.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    pub lambda: f64,
    /// A's test accuracy after task B.
    pub a_accuracy: f64,
    /// A's test accuracy after A − after B.
    pub forgetting: f64,
    /// B's test accuracy after B.
    pub b_accuracy: f64,
    /// Training on B diverged (large λ with momentum can).
    pub diverged: bool,
}

pub struct Experiment {
    config: Config,
    task_a: Dataset,
    task_b: Dataset,
    /// θ*_A, A's accuracy after A, the Fisher diagonal: after the first step.
    pub after_a: Option<(Vec<f64>, f64, Vec<f64>)>,
    pub outcomes: Vec<Outcome>,
    elapsed_ms: f64,
}

impl Experiment {
    pub fn new(config: Config) -> Result<Self> {
        config.validate()?;
        let (a, b, _, _) = config.parts();
        Ok(Self { task_a: a.build()?, task_b: b.build()?, config, after_a: None, outcomes: Vec::new(), elapsed_ms: 0.0 })
    }

    pub fn config(&self) -> &Config {
        &self.config
    }
}

impl Stepper for Experiment {
    /// First step: task A and its Fisher diagonal; then one λ per step (task B from θ*_A).
    async fn step(&mut self, _budget: Budget) -> Result<Frame> {
        let start = web_time::Instant::now();
        let (_, _, ca, cb) = self.config.parts();
        match &self.after_a {
            None => {
                let mut a = Trainer::new(self.task_a.clone(), ca)?.without_final_hessian();
                run_to_end(&mut a, Budget::iterations(u64::MAX), |_| {}).await?;
                let acc = a.accuracy_on(&self.task_a, &self.task_a.test);
                self.after_a = Some((a.params().to_vec(), acc, a.fisher_diagonal()));
            }
            Some((theta, acc_a, fisher)) if self.outcomes.len() < self.config.lambdas.len() => {
                let lambda = self.config.lambdas[self.outcomes.len()];
                let ewc = Ewc { lambda, anchor: theta.clone(), fisher: fisher.clone() };
                let mut b = Trainer::new(self.task_b.clone(), TrainConfig { ewc: Some(ewc), ..cb })?.without_final_hessian();
                b.set_state(theta.clone(), 0, 0.0);
                let last = run_to_end(&mut b, Budget::iterations(u64::MAX), |_| {}).await?;
                let a_accuracy = b.accuracy_on(&self.task_a, &self.task_a.test);
                self.outcomes.push(Outcome {
                    lambda,
                    a_accuracy,
                    forgetting: acc_a - a_accuracy,
                    b_accuracy: b.accuracy_on(&self.task_b, &self.task_b.test),
                    diverged: last.stop == Some(StopReason::Divergence),
                });
            }
            Some(_) => {}
        }
        self.elapsed_ms += start.elapsed().as_secs_f64() * 1e3;
        let done = self.outcomes.len() == self.config.lambdas.len();
        let mut metrics = std::collections::BTreeMap::new();
        if let Some((_, acc, _)) = &self.after_a {
            metrics.insert("a_accuracy_after_a".to_owned(), *acc);
        }
        if let Some(o) = self.outcomes.last() {
            metrics.insert("lambda".to_owned(), o.lambda);
            metrics.insert("forgetting".to_owned(), o.forgetting);
            metrics.insert("a_accuracy".to_owned(), o.a_accuracy);
            metrics.insert("b_accuracy".to_owned(), o.b_accuracy);
        }
        Ok(Frame {
            iteration: self.outcomes.len() as u64,
            metrics,
            elapsed_ms: self.elapsed_ms,
            done,
            converged: done,
            stop: done.then_some(StopReason::Completed),
            phase: Some(if self.after_a.is_none() { "task A" } else { "task B" }.to_owned()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_parameters_are_typed_errors() {
        for c in [
            Config { lambdas: vec![], ..Config::default() },
            Config { lambdas: vec![-1.0], ..Config::default() },
            Config { lambdas: vec![f64::NAN], ..Config::default() },
            Config { lr: 0.0, ..Config::default() },
            Config { hidden: vec![0], ..Config::default() },
        ] {
            assert!(Experiment::new(c.clone()).is_err(), "{c:?}");
        }
    }

    /// The EWC gradient term is the gradient of the penalty in the objective (finite differences).
    #[test]
    fn the_fisher_is_non_negative_and_the_penalty_pulls_to_the_anchor() {
        let data = DatasetSpec { kind: DatasetKind::Circle, n: 100, ..DatasetSpec::default() }.build().unwrap();
        let t = Trainer::new(data.clone(), TrainConfig::default()).unwrap();
        let f = t.fisher_diagonal();
        assert!(f.iter().all(|v| *v >= 0.0) && f.iter().any(|v| *v > 0.0));
        // A huge λ keeps θ at the anchor through training on another task.
        let anchor = t.params().to_vec();
        let ewc = Ewc { lambda: 1e4, anchor: anchor.clone(), fisher: vec![1.0; anchor.len()] };
        let xor = DatasetSpec { kind: DatasetKind::Xor, n: 100, ..DatasetSpec::default() }.build().unwrap();
        let mut b = Trainer::new(xor, TrainConfig { ewc: Some(ewc), lr: 1e-5, epochs: 3, ..TrainConfig::default() }).unwrap();
        b.set_state(anchor.clone(), 0, 0.0);
        crate::frame::poll_ready(run_to_end(&mut b, Budget::iterations(u64::MAX), |_| {})).unwrap();
        let moved = b.params().iter().zip(&anchor).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
        assert!(moved < 1e-3, "moved {moved}");
    }
}
