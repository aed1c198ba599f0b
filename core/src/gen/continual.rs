//! Continual learning with a Fisher penalty (elastic weight consolidation, Kirkpatrick et al. 2017; the
//! penalty CSTRL and AlignGuard-LoRA build on): a network learns task A (Playground's circle), then task B
//! (xor) from A's weights with the loss L_B + (λ/2)·Σ_i F_i (θ_i − θ*_A,i)², F the diagonal empirical Fisher
//! information of task A at θ*_A. Forgetting = A's test accuracy after A − after B. One λ per step, every
//! λ from the same θ*_A and the same batch order. Built on the training lab's [`Trainer`].
//!
//! The LoRA variant (AlignGuard-LoRA's setting: a low-rank adapter learns the new task and the Fisher
//! penalty guards the old one): task B is learned only through rank-r adapters on every weight matrix,
//! W_l = W*_A,l + B_l A_l (biases frozen; A_l ~ N(0, 1/fan_in), B_l = 0, so training starts at θ*_A), with
//! the penalty (λ/2)·Σ_i F_i Δ_i² restricted to the adapters' update Δ = vec(B_l A_l). Gradients come from
//! the trainer's backward pass at θ*_A + Δ ([`Trainer::loss_grad_at`]) through the chain rule
//! ∂/∂B = G Aᵀ, ∂/∂A = Bᵀ G (G the weight gradient plus λ F ⊙ Δ); plain SGD with the same η, batch and
//! epochs as the full-weight run.

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
    /// Rank of the LoRA variant's adapters (0: no LoRA runs).
    #[serde(default)]
    pub lora_rank: usize,
    pub seed: u64,
}

impl Default for Config {
    fn default() -> Self {
        Self { lambdas: vec![0.0, 1.0, 10.0, 100.0, 1000.0, 10_000.0], hidden: vec![16, 16], n: 400, epochs_a: 150, epochs_b: 150, lr: 0.003, batch: 1, momentum: false, lora_rank: 2, seed: 0 }
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
        if self.lora_rank > 64 {
            return Err(Error::TooBig { name: "lora-rank", value: self.lora_rank as i64, max: 64 });
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
    /// The same λ with the LoRA variant (`None` when `lora_rank` is 0).
    pub lora: Option<LoraOutcome>,
}

/// One λ's outcome for the LoRA variant.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LoraOutcome {
    pub a_accuracy: f64,
    pub forgetting: f64,
    pub b_accuracy: f64,
    pub diverged: bool,
    /// Trainable adapter parameters (Σ_l r·(fan_in + fan_out)).
    pub params: usize,
}

/// Learns task B through rank-`rank` adapters from θ*_A with the Fisher penalty on the adapters' update;
/// returns the final θ = θ*_A + Δ, whether it diverged, and the adapter parameter count.
fn train_lora(b: &Trainer, theta_a: &[f64], fisher: &[f64], lambda: f64, rank: usize, config: &TrainConfig) -> (Vec<f64>, bool, usize) {
    let layers = b.architecture().layers();
    let mut rng = crate::rng::SplitMix64::new(config.seed ^ 0x10_7a);
    // Per layer: A (rank × fan_in), B (fan_out × rank).
    let mut adapters: Vec<(Vec<f64>, Vec<f64>)> =
        layers.iter().map(|&(_, _, i, o)| ((0..rank * i).map(|_| rng.normal() / (i as f64).sqrt()).collect(), vec![0.0; o * rank])).collect();
    let params = layers.iter().map(|&(_, _, i, o)| rank * (i + o)).sum();
    let mut theta = theta_a.to_vec();
    let mut grad = vec![0.0; theta.len()];
    let mut order = b.data().train.clone();
    let batch = if config.batch == 0 { order.len() } else { config.batch };
    let compose = |adapters: &[(Vec<f64>, Vec<f64>)], theta: &mut [f64]| {
        for (&(w, _, i, o), (a, bm)) in layers.iter().zip(adapters) {
            for r in 0..o {
                for c in 0..i {
                    theta[w + r * i + c] = theta_a[w + r * i + c] + (0..rank).map(|k| bm[r * rank + k] * a[k * i + c]).sum::<f64>();
                }
            }
        }
    };
    for _ in 0..config.epochs {
        for i in (1..order.len()).rev() {
            order.swap(i, (rng.next_u64() % (i as u64 + 1)) as usize);
        }
        for rows in order.chunks(batch) {
            compose(&adapters, &mut theta);
            let loss = b.loss_grad_at(&theta, rows, &mut grad);
            if !loss.is_finite() || theta.iter().any(|v| !v.is_finite()) {
                return (theta, true, params);
            }
            for (&(w, _, i, o), (a, bm)) in layers.iter().zip(adapters.iter_mut()) {
                // G = weight gradient + λ F ⊙ Δ on this layer.
                let g: Vec<f64> = (0..o * i).map(|k| grad[w + k] + lambda * fisher[w + k] * (theta[w + k] - theta_a[w + k])).collect();
                let ga: Vec<f64> = (0..rank * i).map(|x| { let (k, c) = (x / i, x % i); (0..o).map(|r| bm[r * rank + k] * g[r * i + c]).sum() }).collect();
                let gb: Vec<f64> = (0..o * rank).map(|x| { let (r, k) = (x / rank, x % rank); (0..i).map(|c| g[r * i + c] * a[k * i + c]).sum() }).collect();
                a.iter_mut().zip(&ga).for_each(|(v, d)| *v -= config.lr * d);
                bm.iter_mut().zip(&gb).for_each(|(v, d)| *v -= config.lr * d);
            }
        }
    }
    compose(&adapters, &mut theta);
    let diverged = theta.iter().any(|v| !v.is_finite());
    (theta, diverged, params)
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

    /// The network's layers as (weight offset, bias offset, fan-in, fan-out) into θ and the Fisher diagonal
    /// (weights row-major, fan-out rows × fan-in columns) — to draw F layer by layer.
    pub fn layer_shapes(&self) -> Vec<(usize, usize, usize, usize)> {
        let (_, _, ca, _) = self.config.parts();
        ca.architecture(&self.task_a).map(|a| a.layers()).unwrap_or_default()
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
                let mut b = Trainer::new(self.task_b.clone(), TrainConfig { ewc: Some(ewc), ..cb.clone() })?.without_final_hessian();
                b.set_state(theta.clone(), 0, 0.0);
                let last = run_to_end(&mut b, Budget::iterations(u64::MAX), |_| {}).await?;
                let a_accuracy = b.accuracy_on(&self.task_a, &self.task_a.test);
                let b_accuracy = b.accuracy_on(&self.task_b, &self.task_b.test);
                let lora = (self.config.lora_rank > 0).then(|| {
                    let (theta_lora, diverged, params) = train_lora(&b, theta, fisher, lambda, self.config.lora_rank, &cb);
                    b.set_state(theta_lora, 0, 0.0);
                    let a_acc = b.accuracy_on(&self.task_a, &self.task_a.test);
                    LoraOutcome { a_accuracy: a_acc, forgetting: acc_a - a_acc, b_accuracy: b.accuracy_on(&self.task_b, &self.task_b.test), diverged, params }
                });
                self.outcomes.push(Outcome { lambda, a_accuracy, forgetting: acc_a - a_accuracy, b_accuracy, diverged: last.stop == Some(StopReason::Divergence), lora });
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
            if let Some(l) = o.lora {
                metrics.insert("lora_forgetting".to_owned(), l.forgetting);
                metrics.insert("lora_b_accuracy".to_owned(), l.b_accuracy);
            }
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
            Config { lora_rank: 65, ..Config::default() },
        ] {
            assert!(Experiment::new(c.clone()).is_err(), "{c:?}");
        }
    }

    /// The chain rule through the adapters: one SGD step of the LoRA run from B = 0 only moves B, by
    /// −η·G·Aᵀ (G the weight gradient at θ*_A, the penalty's gradient being 0 there), so θ moves by
    /// −η·G·AᵀA per layer; checked against that closed form.
    #[test]
    fn the_first_lora_step_follows_the_chain_rule() {
        let data = DatasetSpec { kind: DatasetKind::Xor, n: 40, train_ratio: 0.5, ..DatasetSpec::default() }.build().unwrap();
        let cfg = TrainConfig { batch: 0, epochs: 1, lr: 0.1, ..TrainConfig::default() };
        let b = Trainer::new(data, cfg.clone()).unwrap();
        let theta_a = b.params().to_vec();
        let fisher = vec![1.0; theta_a.len()];
        let rank = 2;
        let (theta, diverged, params) = train_lora(&b, &theta_a, &fisher, 5.0, rank, &cfg);
        assert!(!diverged);
        let layers = b.architecture().layers();
        assert_eq!(params, layers.iter().map(|&(_, _, i, o)| rank * (i + o)).sum::<usize>());
        // Rebuild A with the same draws and compare θ − θ*_A with −η·G·AᵀA.
        let mut rng = crate::rng::SplitMix64::new(cfg.seed ^ 0x10_7a);
        let a_mats: Vec<Vec<f64>> = layers.iter().map(|&(_, _, i, _)| (0..rank * i).map(|_| rng.normal() / (i as f64).sqrt()).collect()).collect();
        let mut g = vec![0.0; theta_a.len()];
        b.loss_grad_at(&theta_a, &b.data().train, &mut g);
        for (&(w, bo, i, o), a) in layers.iter().zip(&a_mats) {
            for r in 0..o {
                for c in 0..i {
                    let expect = -0.1 * (0..i).map(|c2| g[w + r * i + c2] * (0..rank).map(|k| a[k * i + c2] * a[k * i + c]).sum::<f64>()).sum::<f64>();
                    let got = theta[w + r * i + c] - theta_a[w + r * i + c];
                    assert!((got - expect).abs() < 1e-12, "layer at {w}, ({r}, {c}): {got} vs {expect}");
                }
            }
            assert_eq!(&theta[bo..bo + o], &theta_a[bo..bo + o], "biases stay frozen");
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
