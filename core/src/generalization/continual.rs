//! Continual learning with a Fisher penalty (elastic weight consolidation, Kirkpatrick et al. 2017; the
//! penalty CSTRL and AlignGuard-LoRA build on): a network learns task A (Playground's circle), then task B
//! (xor) from A's weights with the loss L_B + (λ/2)·Σ_i F_i (θ_i − θ*_A,i)², F the diagonal empirical Fisher
//! information of task A at θ*_A. Forgetting = A's test accuracy after A − after B. Playground's
//! coordinates (±5) are scaled by `input_scale` (default 1/5, so the inputs lie in [−1, 1] and the first
//! tanh layer does not start saturated). Every λ starts from the same θ*_A and batch order; the whole
//! comparison is repeated for `seeds` draws (data, initial weights, batch order) and averaged — one draw's
//! forgetting at λ = 0 ranges from 0.33 to 0.65 here, so a single seed says little. One step trains one
//! draw's task A, or task B for one λ. Built on the training lab's [`Trainer`].
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
use crate::frame::{run_to_end, Budget, Frame, Stepper, StopReason};
use crate::metrics as key;
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
    /// Both tasks' input coordinates are multiplied by this.
    #[serde(default = "default_input_scale")]
    pub input_scale: f64,
    /// Independent draws averaged (draw s uses seed + s).
    #[serde(default = "default_seeds")]
    pub seeds: usize,
    pub seed: u64,
}

fn default_input_scale() -> f64 {
    0.2
}

fn default_seeds() -> usize {
    10
}

impl Default for Config {
    fn default() -> Self {
        Self {
            lambdas: vec![0.0, 3.0, 10.0, 20.0, 30.0, 100.0, 1000.0, 10_000.0],
            hidden: vec![16, 16],
            n: 400,
            epochs_a: 150,
            epochs_b: 150,
            lr: 0.003,
            batch: 1,
            momentum: false,
            lora_rank: 2,
            input_scale: default_input_scale(),
            seeds: default_seeds(),
            seed: 0,
        }
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
        if !(self.input_scale.is_finite() && self.input_scale > 0.0 && self.input_scale <= 100.0) {
            return Err(Error::Invalid {
                name: "input-scale",
                message: format!("it must lie in (0, 100], got {}", self.input_scale),
            });
        }
        if !(1..=100).contains(&self.seeds) {
            return Err(Error::Invalid {
                name: "seeds",
                message: format!("the seeds must be 1..=100, got {}", self.seeds),
            });
        }
        let (a, b, ca, cb) = self.parts(self.seed);
        let (a, b) = (a.build()?, b.build()?);
        ca.validate(&a)?;
        cb.validate(&b)
    }

    /// Draw `seed`'s datasets (unscaled) and training configurations.
    fn parts(&self, seed: u64) -> (DatasetSpec, DatasetSpec, TrainConfig, TrainConfig) {
        let spec =
            |kind| DatasetSpec { kind, n: self.n, noise: 0.05, train_ratio: 0.5, seed, ..DatasetSpec::default() };
        let a = TrainConfig {
            hidden: self.hidden.clone(),
            activation: Activation::Tanh,
            optimizer: if self.momentum { Optimizer::Momentum } else { Optimizer::Sgd },
            lr: self.lr,
            batch: self.batch,
            epochs: self.epochs_a,
            seed,
            ..TrainConfig::default()
        };
        let b = TrainConfig { epochs: self.epochs_b, ..a.clone() };
        (spec(DatasetKind::Circle), spec(DatasetKind::Xor), a, b)
    }

    /// Draw s's two tasks, inputs scaled.
    fn tasks(&self, s: usize) -> Result<(Dataset, Dataset)> {
        let (a, b, _, _) = self.parts(self.seed.wrapping_add(s as u64));
        let scale = |mut d: Dataset| {
            d.x.iter_mut().for_each(|v| *v *= self.input_scale);
            d
        };
        Ok((scale(a.build()?), scale(b.build()?)))
    }
}

/// One λ's outcome: for one draw, or the mean over the draws done ([`Experiment::outcomes`]).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    pub lambda: f64,
    /// A's test accuracy after task B.
    pub a_accuracy: f64,
    /// A's test accuracy after A − after B.
    pub forgetting: f64,
    /// B's test accuracy after B.
    pub b_accuracy: f64,
    /// Training on B diverged (large λ with momentum can) — in any draw, for a mean.
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
fn train_lora(
    b: &Trainer,
    theta_a: &[f64],
    fisher: &[f64],
    lambda: f64,
    rank: usize,
    config: &TrainConfig,
) -> (Vec<f64>, bool, usize) {
    let layers = b.architecture().layers();
    let mut rng = crate::rng::SplitMix64::new(config.seed ^ 0x10_7a);
    // Per layer: A (rank × fan_in), B (fan_out × rank).
    let mut adapters: Vec<(Vec<f64>, Vec<f64>)> = layers
        .iter()
        .map(|&(_, _, i, o)| ((0..rank * i).map(|_| rng.normal() / (i as f64).sqrt()).collect(), vec![0.0; o * rank]))
        .collect();
    let params = layers.iter().map(|&(_, _, i, o)| rank * (i + o)).sum();
    let mut theta = theta_a.to_vec();
    let mut grad = vec![0.0; theta.len()];
    let mut order = b.data().train.clone();
    let batch = if config.batch == 0 { order.len() } else { config.batch };
    let compose = |adapters: &[(Vec<f64>, Vec<f64>)], theta: &mut [f64]| {
        for (&(w, _, i, o), (a, bm)) in layers.iter().zip(adapters) {
            for r in 0..o {
                for c in 0..i {
                    theta[w + r * i + c] =
                        theta_a[w + r * i + c] + (0..rank).map(|k| bm[r * rank + k] * a[k * i + c]).sum::<f64>();
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
                let g: Vec<f64> = (0..o * i)
                    .map(|k| grad[w + k] + lambda * fisher[w + k] * (theta[w + k] - theta_a[w + k]))
                    .collect();
                let ga: Vec<f64> = (0..rank * i)
                    .map(|x| {
                        let (k, c) = (x / i, x % i);
                        (0..o).map(|r| bm[r * rank + k] * g[r * i + c]).sum()
                    })
                    .collect();
                let gb: Vec<f64> = (0..o * rank)
                    .map(|x| {
                        let (r, k) = (x / rank, x % rank);
                        (0..i).map(|c| g[r * i + c] * a[k * i + c]).sum()
                    })
                    .collect();
                a.iter_mut().zip(&ga).for_each(|(v, d)| *v -= config.lr * d);
                bm.iter_mut().zip(&gb).for_each(|(v, d)| *v -= config.lr * d);
            }
        }
    }
    compose(&adapters, &mut theta);
    let diverged = theta.iter().any(|v| !v.is_finite());
    (theta, diverged, params)
}

/// θ*_A, A's test accuracy after A, and the diagonal Fisher at θ*_A.
type Learned = (Vec<f64>, f64, Vec<f64>);

/// The draw in progress: its index, its two tasks and, once learned, task A's outcome.
struct Draw {
    index: usize,
    task_a: Dataset,
    task_b: Dataset,
    learned: Option<Learned>,
}

pub struct Experiment {
    config: Config,
    current: Option<Draw>,
    /// The first draw's θ*_A, A's accuracy after A, the Fisher diagonal (what the page draws).
    pub after_a: Option<Learned>,
    /// Per draw, per λ done.
    pub per_seed: Vec<Vec<Outcome>>,
    /// Per λ, the mean over the draws that have it (all of them once done).
    pub outcomes: Vec<Outcome>,
    elapsed_ms: f64,
}

impl Experiment {
    pub fn new(config: Config) -> Result<Self> {
        config.validate()?;
        Ok(Self { config, current: None, after_a: None, per_seed: Vec::new(), outcomes: Vec::new(), elapsed_ms: 0.0 })
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The network's layers as (weight offset, bias offset, fan-in, fan-out) into θ and the Fisher diagonal
    /// (weights row-major, fan-out rows × fan-in columns) — to draw F layer by layer.
    pub fn layer_shapes(&self) -> Vec<(usize, usize, usize, usize)> {
        let (a, _, ca, _) = self.config.parts(self.config.seed);
        a.build().ok().and_then(|d| ca.architecture(&d).ok()).map(|a| a.layers()).unwrap_or_default()
    }

    /// Draws finished (every λ done).
    pub fn seeds_done(&self) -> usize {
        self.per_seed.iter().filter(|o| o.len() == self.config.lambdas.len()).count()
    }

    fn done(&self) -> bool {
        self.seeds_done() == self.config.seeds
    }

    /// Means over the draws per λ.
    fn average(&mut self) {
        self.outcomes = (0..self.config.lambdas.len())
            .filter_map(|l| {
                let have: Vec<&Outcome> = self.per_seed.iter().filter_map(|o| o.get(l)).collect();
                if have.is_empty() {
                    return None;
                }
                let k = have.len() as f64;
                let mean = |f: fn(&Outcome) -> f64| have.iter().map(|o| f(o)).sum::<f64>() / k;
                let lora = have.iter().all(|o| o.lora.is_some()).then(|| {
                    let mean = |f: fn(&LoraOutcome) -> f64| {
                        have.iter().filter_map(|o| o.lora.as_ref()).map(f).sum::<f64>() / k
                    };
                    LoraOutcome {
                        a_accuracy: mean(|x| x.a_accuracy),
                        forgetting: mean(|x| x.forgetting),
                        b_accuracy: mean(|x| x.b_accuracy),
                        diverged: have.iter().any(|o| o.lora.is_some_and(|x| x.diverged)),
                        params: have[0].lora.map_or(0, |x| x.params),
                    }
                });
                Some(Outcome {
                    lambda: self.config.lambdas[l],
                    a_accuracy: mean(|o| o.a_accuracy),
                    forgetting: mean(|o| o.forgetting),
                    b_accuracy: mean(|o| o.b_accuracy),
                    diverged: have.iter().any(|o| o.diverged),
                    lora,
                })
            })
            .collect();
    }
}

impl Stepper for Experiment {
    /// One unit per step: a draw's task A and its Fisher diagonal, then task B for one λ (from θ*_A);
    /// draw by draw.
    async fn step(&mut self, _budget: Budget) -> Result<Frame> {
        let start = web_time::Instant::now();
        if !self.done() {
            if self.current.is_none() {
                let s = self.per_seed.len();
                let (task_a, task_b) = self.config.tasks(s)?;
                self.per_seed.push(Vec::new());
                self.current = Some(Draw { index: s, task_a, task_b, learned: None });
            }
            let Draw { index: s, task_a, task_b, learned } = self.current.as_mut().expect("a draw in progress");
            let (_, _, ca, cb) = self.config.parts(self.config.seed.wrapping_add(*s as u64));
            match learned {
                None => {
                    let mut a = Trainer::new(task_a.clone(), ca)?.without_final_hessian();
                    run_to_end(&mut a, Budget::iterations(u64::MAX), |_| {}).await?;
                    let acc = a.accuracy_on(task_a, &task_a.test);
                    let fisher = a.fisher_diagonal();
                    if *s == 0 {
                        self.after_a = Some((a.params().to_vec(), acc, fisher.clone()));
                    }
                    *learned = Some((a.params().to_vec(), acc, fisher));
                }
                Some((theta, acc_a, fisher)) => {
                    let done = self.per_seed[*s].len();
                    let lambda = self.config.lambdas[done];
                    let ewc = Ewc { lambda, anchor: theta.clone(), fisher: fisher.clone() };
                    let mut b = Trainer::new(task_b.clone(), TrainConfig { ewc: Some(ewc), ..cb.clone() })?
                        .without_final_hessian();
                    b.set_state(theta.clone(), 0, 0.0);
                    let last = run_to_end(&mut b, Budget::iterations(u64::MAX), |_| {}).await?;
                    let a_accuracy = b.accuracy_on(task_a, &task_a.test);
                    let b_accuracy = b.accuracy_on(task_b, &task_b.test);
                    let lora = (self.config.lora_rank > 0).then(|| {
                        let (theta_lora, diverged, params) =
                            train_lora(&b, theta, fisher, lambda, self.config.lora_rank, &cb);
                        b.set_state(theta_lora, 0, 0.0);
                        let a_acc = b.accuracy_on(task_a, &task_a.test);
                        LoraOutcome {
                            a_accuracy: a_acc,
                            forgetting: *acc_a - a_acc,
                            b_accuracy: b.accuracy_on(task_b, &task_b.test),
                            diverged,
                            params,
                        }
                    });
                    let outcome = Outcome {
                        lambda,
                        a_accuracy,
                        forgetting: *acc_a - a_accuracy,
                        b_accuracy,
                        diverged: last.stop == Some(StopReason::Divergence),
                        lora,
                    };
                    let s = *s;
                    self.per_seed[s].push(outcome);
                    if self.per_seed[s].len() == self.config.lambdas.len() {
                        self.current = None;
                    }
                    self.average();
                }
            }
        }
        self.elapsed_ms += start.elapsed().as_secs_f64() * 1e3;
        let done = self.done();
        let mut metrics = std::collections::BTreeMap::new();
        if let Some((_, acc, _)) = &self.after_a {
            metrics.insert(key::A_ACCURACY_AFTER_A.to_owned(), *acc);
        }
        metrics.insert(key::SEEDS_DONE.to_owned(), self.seeds_done() as f64);
        if let Some(o) = self.per_seed.last().and_then(|o| o.last()) {
            metrics.insert(key::LAMBDA.to_owned(), o.lambda);
            metrics.insert(key::FORGETTING.to_owned(), o.forgetting);
            metrics.insert(key::A_ACCURACY.to_owned(), o.a_accuracy);
            metrics.insert(key::B_ACCURACY.to_owned(), o.b_accuracy);
            if let Some(l) = o.lora {
                metrics.insert(key::LORA_FORGETTING.to_owned(), l.forgetting);
                metrics.insert(key::LORA_B_ACCURACY.to_owned(), l.b_accuracy);
            }
        }
        let steps = self.per_seed.iter().map(|o| 1 + o.len()).sum::<usize>()
            - usize::from(self.current.as_ref().is_some_and(|c| c.learned.is_none()));
        Ok(Frame {
            iteration: steps as u64,
            metrics,
            elapsed_ms: self.elapsed_ms,
            done,
            converged: done,
            stop: done.then_some(StopReason::Completed),
            phase: Some(match &self.current {
                Some(Draw { index, learned: None, .. }) => {
                    format!("draw {} of {}: task A", index + 1, self.config.seeds)
                }
                Some(Draw { index, .. }) => format!("draw {} of {}: task B", index + 1, self.config.seeds),
                None => format!("{} of {} draws done", self.seeds_done(), self.config.seeds),
            }),
        })
    }
}

const FIELDS: &[crate::lab::Field] = &[
    crate::lab::field("lambdas", "λ values", "EWC penalty weights to compare (comma-separated).").reals(0.0, 1e12),
    crate::lab::field("hidden", "hidden layers", "Widths of the hidden layers.").ints(1, 1024),
    crate::lab::field("n", "points", "Points per task (half train, half test).").int(4, 100_000),
    crate::lab::field("epochs_a", "epochs on A", "Epochs of task A (circle).").int(1, 100_000),
    crate::lab::field("epochs_b", "epochs on B", "Epochs of task B (xor), per λ.").int(1, 100_000),
    crate::lab::field("lr", "learning rate", "SGD's learning rate.").log(1e-6, 10.0),
    crate::lab::field("batch", "batch", "Mini-batch size (0: full batch).").int(0, 100_000),
    crate::lab::field("momentum", "momentum", "SGD with momentum 0.9 instead of plain SGD.").bool(),
    crate::lab::field("lora_rank", "LoRA rank", "Rank of the LoRA variant's adapters (0: no LoRA runs).").int(0, 64),
    crate::lab::field(
        "input_scale",
        "input scale",
        "Both tasks' coordinates (Playground's ±5) are multiplied by this.",
    )
    .real(1e-6, 100.0),
    crate::lab::field(
        "seeds",
        "draws",
        "Independent draws (data, initial weights, batch order) averaged; draw s uses seed + s.",
    )
    .int(1, 100),
    crate::lab::field("seed", "seed", "The first draw's seed."),
];

impl crate::lab::Lab for Config {
    const DEF: &'static crate::lab::Def = &crate::lab::Def {
        page: "generalization",
        tab: Some("continual"),
        command: "generalization continual",
        title: "Continual learning: circle, then xor with the EWC penalty (λ/2)Σ F_i(θ_i − θ*_A,i)², full-weight and through LoRA",
        fields: FIELDS,
        renamed: &[],
        presets: &[
            crate::lab::Preset {
                name: "ewc-lora",
                title: "EWC and its LoRA variant",
                source: "Kirkpatrick et al. 2017; the Fisher penalty of CSTRL and AlignGuard-LoRA — 10 draws: forgetting 0.49 → 0.31 with B at 0.95",
                query: "",
            },
        ],
    };

    fn check(&self) -> Result<()> {
        self.validate()
    }
}

impl crate::lab::run::Runnable for Config {
    type Run = Experiment;
    /// CPU, f64 (the generalization lab has no GPU path).
    fn start<'a>(
        &'a self,
        _: &'a crate::backend::Backend,
    ) -> crate::lab::run::LocalFuture<'a, Result<Vec<Experiment>>> {
        Box::pin(async move { Ok(vec![Experiment::new(self.clone())?]) })
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
            Config { input_scale: 0.0, ..Config::default() },
            Config { input_scale: f64::INFINITY, ..Config::default() },
            Config { seeds: 0, ..Config::default() },
        ] {
            assert!(Experiment::new(c.clone()).is_err(), "{c:?}");
        }
    }

    /// The chain rule through the adapters: one SGD step of the LoRA run from B = 0 only moves B, by
    /// −η·G·Aᵀ (G the weight gradient at θ*_A, the penalty's gradient being 0 there), so θ moves by
    /// −η·G·AᵀA per layer; checked against that closed form.
    #[test]
    fn the_first_lora_step_follows_the_chain_rule() {
        let data =
            DatasetSpec { kind: DatasetKind::Xor, n: 40, train_ratio: 0.5, ..DatasetSpec::default() }.build().unwrap();
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
        let a_mats: Vec<Vec<f64>> = layers
            .iter()
            .map(|&(_, _, i, _)| (0..rank * i).map(|_| rng.normal() / (i as f64).sqrt()).collect())
            .collect();
        let mut g = vec![0.0; theta_a.len()];
        b.loss_grad_at(&theta_a, &b.data().train, &mut g);
        for (&(w, bo, i, o), a) in layers.iter().zip(&a_mats) {
            for r in 0..o {
                for c in 0..i {
                    let expect = -0.1
                        * (0..i)
                            .map(|c2| g[w + r * i + c2] * (0..rank).map(|k| a[k * i + c2] * a[k * i + c]).sum::<f64>())
                            .sum::<f64>();
                    let got = theta[w + r * i + c] - theta_a[w + r * i + c];
                    assert!((got - expect).abs() < 1e-12, "layer at {w}, ({r}, {c}): {got} vs {expect}");
                }
            }
            assert_eq!(&theta[bo..bo + o], &theta_a[bo..bo + o], "biases stay frozen");
        }
    }

    /// Draw by draw: task A, then one λ per step; the means are over the draws that have each λ, and the
    /// inputs are scaled.
    #[test]
    fn draws_are_averaged_per_lambda() {
        let config = Config {
            lambdas: vec![0.0, 50.0],
            n: 40,
            epochs_a: 5,
            epochs_b: 5,
            seeds: 3,
            lora_rank: 0,
            ..Config::default()
        };
        let (a, _) = config.tasks(1).unwrap();
        let (raw, _, _, _) = config.parts(config.seed + 1);
        assert_eq!(
            a.x,
            raw.build().unwrap().x.iter().map(|v| v * 0.2).collect::<Vec<_>>(),
            "draw 1 uses seed + 1, scaled"
        );
        let mut e = Experiment::new(config).unwrap();
        let mut frames = Vec::new();
        while frames.last().is_none_or(|f: &Frame| !f.done) {
            frames.push(crate::frame::poll_ready(e.step(Budget::iterations(1))).unwrap());
        }
        assert_eq!(frames.len(), 3 * 3, "A and two λ per draw");
        assert_eq!(frames[0].phase.as_deref(), Some("draw 1 of 3: task B"));
        assert_eq!(e.per_seed.iter().map(Vec::len).collect::<Vec<_>>(), vec![2, 2, 2]);
        for (l, o) in e.outcomes.iter().enumerate() {
            let mean = e.per_seed.iter().map(|d| d[l].forgetting).sum::<f64>() / 3.0;
            assert!((o.forgetting - mean).abs() < 1e-12 && o.lambda == [0.0, 50.0][l]);
        }
        assert_eq!(e.seeds_done(), 3);
        assert!(e.after_a.is_some());
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
        let mut b =
            Trainer::new(xor, TrainConfig { ewc: Some(ewc), lr: 1e-5, epochs: 3, ..TrainConfig::default() }).unwrap();
        b.set_state(anchor.clone(), 0, 0.0);
        crate::frame::poll_ready(run_to_end(&mut b, Budget::iterations(u64::MAX), |_| {})).unwrap();
        let moved = b.params().iter().zip(&anchor).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
        assert!(moved < 1e-3, "moved {moved}");
    }
}
