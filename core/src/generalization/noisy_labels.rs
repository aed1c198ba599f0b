//! Noisy labels and early learning (Liu et al. 2020, ELR): the same network trained side by side with plain
//! cross-entropy and with early-learning regularization, on the same data, labels, initial weights and batch
//! order. Built on the training lab's [`Trainer`] (CPU, f64): no second trainer.
//!
//! Setting (docs/methods.md §3): a 4-class, 20-d Gaussian mixture (means N(0, I), within-class σ = 1.7), 2,000
//! points split half/half, 40 % of the training labels flipped to another class (symmetric noise), a
//! 20-256-4 ReLU MLP, Adam (lr 1e-3), batch 64, 150 epochs; ELR with β = 0.7, λ = 3. Cross-entropy first
//! learns the clean pattern (test accuracy peaks), then memorises the flipped labels (memorisation → 100 %)
//! and its test accuracy falls; ELR keeps memorisation low and holds its accuracy.
//!
//! A third run (optional) trains with forward loss correction (Patrini et al. 2017): the cross-entropy of
//! the noisy label under Tᵀp, with the noise transition matrix T either given (the true one of the noise
//! model) or estimated from the run's own network after `warmup` epochs of plain cross-entropy
//! ([`Trainer::estimate_transition`]) and applied from then on. Noise is symmetric (a uniformly
//! drawn other class) or asymmetric (c → c + 1 mod 4, class-dependent as in the forward-correction papers).

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::frame::{Budget, Frame, Stepper, StopReason};
use crate::metrics as key;
use crate::train::elr::Elr;
use crate::train::{Activation, DatasetKind, DatasetSpec, Loss, NoiseKind, Optimizer, TrainConfig, Trainer};

crate::choice! {
    /// The forward-correction run (`--forward`): off, with the true T, or with T estimated after the warm-up.
    #[derive(Default)]
    pub enum Forward("forward") {
        Off => "off",
        Given => "given",
        #[default]
        Estimated => "estimated",
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Config {
    /// Fraction of training labels flipped (symmetric: to a uniformly drawn other class), in [0, 1).
    pub label_noise: f64,
    /// Within-class standard deviation of the mixture.
    pub spread: f64,
    /// Points (half train, half test).
    pub n: usize,
    pub hidden: usize,
    pub epochs: usize,
    pub lr: f64,
    pub batch: usize,
    pub elr: Elr,
    #[serde(default)]
    pub label_noise_kind: NoiseKind,
    #[serde(default)]
    pub forward: Forward,
    /// Epochs of plain cross-entropy before T is estimated (forward = estimated).
    #[serde(default = "default_warmup")]
    pub warmup: usize,
    pub seed: u64,
}

fn default_warmup() -> usize {
    5
}

impl Default for Config {
    fn default() -> Self {
        Self {
            label_noise: 0.4,
            spread: 1.7,
            n: 2000,
            hidden: 256,
            epochs: 150,
            lr: 1e-3,
            batch: 64,
            elr: Elr::default(),
            label_noise_kind: NoiseKind::Symmetric,
            forward: Forward::Estimated,
            warmup: 5,
            seed: 0,
        }
    }
}

impl Config {
    pub fn validate(&self) -> Result<()> {
        if !(0.0..1.0).contains(&self.label_noise) {
            return Err(Error::Invalid {
                name: "label-noise",
                message: format!("the label-noise rate must lie in [0, 1), got {}", self.label_noise),
            });
        }
        if !(1..=4096).contains(&self.hidden) {
            return Err(Error::Invalid {
                name: "hidden",
                message: format!("the hidden width must be in 1..=4096, got {}", self.hidden),
            });
        }
        if self.n > 20_000 {
            return Err(Error::TooBig { name: "n", value: self.n as i64, max: 20_000 });
        }
        if self.forward == Forward::Estimated && !(1..self.epochs).contains(&self.warmup) {
            return Err(Error::Invalid {
                name: "warmup",
                message: format!(
                    "the warm-up before estimating T takes 1..{} epochs, got {}",
                    self.epochs, self.warmup
                ),
            });
        }
        let (data, ce, elr) = self.parts();
        let data = data.build()?;
        ce.validate(&data)?;
        elr.validate(&data)
    }

    /// The true noise transition matrix of this setting (4 × 4).
    pub fn true_transition(&self) -> Vec<f64> {
        self.label_noise_kind.transition(self.label_noise, crate::train::data::MIXTURE_CLASSES)
    }

    /// The dataset and the two training configurations.
    fn parts(&self) -> (DatasetSpec, TrainConfig, TrainConfig) {
        let data = DatasetSpec {
            kind: DatasetKind::Mixture,
            n: self.n,
            noise: self.spread,
            train_ratio: 0.5,
            label_noise: self.label_noise,
            label_noise_kind: self.label_noise_kind,
            features: vec![],
            seed: self.seed,
        };
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

/// Per epoch: [epoch, then per run (cross-entropy, ELR, forward correction) test accuracy, memorised, clean
/// fit] — NaN for the forward run when it is off.
pub type Row = [f64; 10];

/// The runs' metric prefixes, in row order.
pub const RUNS: [&str; 3] = ["ce", "elr", "fwd"];

/// The runs, an epoch of one run per step (two or three steps per epoch row). Frame metrics: `epoch`, then
/// per run (`ce_`, `elr_`, `fwd_`) `test_accuracy`, `memorised` (noisy training labels fitted), `clean_fit`
/// (clean training labels fitted).
pub struct Experiment {
    config: Config,
    runs: Vec<Trainer>,
    pub rows: Vec<Row>,
    /// The frames of this epoch's runs so far.
    pending: Vec<Frame>,
    /// T used by the forward run (set at the start when given, after the warm-up when estimated).
    pub transition: Option<Vec<f64>>,
    elapsed_ms: f64,
    /// The last frame, once done (further steps return it).
    finished: Option<Frame>,
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
    /// Forward correction's numbers (NaN — null in JSON — when it is off).
    pub fwd_peak_test_accuracy: f64,
    pub fwd_final_test_accuracy: f64,
    pub fwd_final_memorised: f64,
    /// ‖T̂ − T‖_max of the T the forward run used (0 when given).
    pub fwd_transition_error: f64,
}

impl Experiment {
    pub fn new(config: Config) -> Result<Self> {
        config.validate()?;
        let (data, ce, elr) = config.parts();
        let data = data.build()?;
        let mut runs = vec![
            Trainer::new(data.clone(), ce.clone())?.without_final_hessian(),
            Trainer::new(data.clone(), elr)?.without_final_hessian(),
        ];
        let transition = (config.forward == Forward::Given).then(|| config.true_transition());
        if config.forward != Forward::Off {
            runs.push(
                Trainer::new(data, TrainConfig { forward_correction: transition.clone(), ..ce })?
                    .without_final_hessian(),
            );
        }
        Ok(Self { config, runs, rows: Vec::new(), pending: Vec::new(), transition, elapsed_ms: 0.0, finished: None })
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    pub fn summary(&self) -> Summary {
        let col = |k: usize| self.rows.iter().map(move |r| r[k]);
        let (peak, at) =
            self.rows
                .iter()
                .fold((f64::NAN, f64::NAN), |(p, e), r| if p.is_nan() || r[1] > p { (r[1], r[0]) } else { (p, e) });
        let last = self.rows.last().copied().unwrap_or([f64::NAN; 10]);
        Summary {
            ce_peak_test_accuracy: peak,
            ce_peak_epoch: at,
            ce_final_test_accuracy: last[1],
            ce_final_memorised: last[2],
            elr_peak_test_accuracy: col(4).fold(f64::NAN, f64::max),
            elr_final_test_accuracy: last[4],
            elr_final_memorised: last[5],
            elr_max_memorised: col(5).fold(f64::NAN, f64::max),
            fwd_peak_test_accuracy: col(7).fold(f64::NAN, f64::max),
            fwd_final_test_accuracy: last[7],
            fwd_final_memorised: last[8],
            fwd_transition_error: self.transition.as_ref().map_or(f64::NAN, |t| {
                t.iter().zip(self.config.true_transition()).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max)
            }),
        }
    }
}

impl Stepper for Experiment {
    /// One epoch of one run: cross-entropy, ELR, then forward correction (which completes the epoch's
    /// row) — a fraction of the work per call, so a browser frame stays short.
    async fn step(&mut self, _budget: Budget) -> Result<Frame> {
        if let Some(f) = &self.finished {
            return Ok(f.clone());
        }
        let start = web_time::Instant::now();
        let k = self.pending.len();
        let f = self.runs[k].run_epoch().await?;
        self.pending.push(f);
        if k == 2
            && self.transition.is_none()
            && self.pending[2].metric(key::EPOCH).unwrap_or(0.0) >= self.config.warmup as f64
        {
            // The warm-up is over: estimate T from this run's network and correct from now on.
            if let Some(t) = self.runs[2].estimate_transition() {
                let next = TrainConfig { forward_correction: Some(t.clone()), ..self.runs[2].config().clone() };
                self.runs[2].update(&next)?;
                self.transition = Some(t);
            }
        }
        if self.pending.len() == self.runs.len() {
            let m = |f: &Frame, key: &str| f.metric(key).unwrap_or(f64::NAN);
            let mut row = [f64::NAN; 10];
            row[0] = m(&self.pending[0], key::EPOCH);
            for (r, f) in self.pending.iter().enumerate() {
                row[1 + 3 * r] = m(f, key::TEST_ACCURACY);
                row[2 + 3 * r] = m(f, key::NOISY_MEMORISED);
                row[3 + 3 * r] = m(f, key::CLEAN_FIT);
            }
            if self.rows.last().is_none_or(|r| r[0] < row[0]) {
                self.rows.push(row);
            }
            let done = self.pending.iter().all(|f| f.done);
            let diverged = self.pending.iter().any(|f| f.stop == Some(StopReason::Divergence));
            self.pending.clear();
            self.elapsed_ms += start.elapsed().as_secs_f64() * 1e3;
            let frame = self.frame(done, diverged);
            if done {
                self.finished = Some(frame.clone());
            }
            return Ok(frame);
        }
        self.elapsed_ms += start.elapsed().as_secs_f64() * 1e3;
        Ok(self.frame(false, false))
    }
}

impl Experiment {
    fn frame(&self, done: bool, diverged: bool) -> Frame {
        let mut metrics = std::collections::BTreeMap::new();
        if let Some(row) = self.rows.last() {
            metrics.insert(key::EPOCH.to_owned(), row[0]);
            for (r, run) in RUNS.iter().enumerate() {
                for (c, name) in [key::TEST_ACCURACY, key::MEMORISED, key::CLEAN_FIT].iter().enumerate() {
                    if row[1 + 3 * r + c].is_finite() {
                        metrics.insert(key::of_run(run, name), row[1 + 3 * r + c]);
                    }
                }
            }
        }
        let phase = ["cross-entropy", "elr", "forward correction"][self.pending.len().min(2)];
        Frame {
            iteration: self.rows.len() as u64,
            metrics,
            elapsed_ms: self.elapsed_ms,
            done,
            converged: done && !diverged,
            stop: done.then_some(if diverged { StopReason::Divergence } else { StopReason::Completed }),
            phase: Some(phase.to_owned()),
        }
    }
}

const FIELDS: &[crate::lab::Field] = &[
    crate::lab::field("label_noise", "label noise", "Fraction of training labels flipped to another class.")
        .real(0.0, 0.999),
    crate::lab::field(
        "label_noise_kind",
        "label noise kind",
        "symmetric (a uniformly drawn other class) or asymmetric (class c → c + 1 mod 4).",
    )
    .choice(NoiseKind::NAMES),
    crate::lab::field("spread", "spread σ", "Within-class standard deviation of the 4-class 20-d mixture.")
        .real(0.0, 10.0),
    crate::lab::field("n", "points", "Points (half train, half test).").int(4, 20_000),
    crate::lab::field("hidden", "hidden width", "Width of the one hidden layer.").int(1, 4096),
    crate::lab::field("epochs", "epochs", "Passes over the training half.").int(1, 100_000),
    crate::lab::field("lr", "learning rate", "Adam's learning rate.").log(1e-6, 10.0),
    crate::lab::field("batch", "batch", "Mini-batch size (0: full batch).").int(0, 20_000),
    crate::lab::field("elr.beta", "ELR β", "Momentum of ELR's running targets t ← βt + (1 − β)p.")
        .real(0.0, 0.999_999)
        .flag_name("elr-beta"),
    crate::lab::field("elr.lambda", "ELR λ", "Weight of ELR's penalty λ·log(1 − ⟨p, t⟩).")
        .real(0.0, 1e6)
        .flag_name("elr-lambda"),
    crate::lab::field(
        "forward",
        "forward correction",
        "The third run: off, given (the true T) or estimated (anchor points after the warm-up).",
    )
    .choice(Forward::NAMES),
    crate::lab::field("warmup", "warm-up epochs", "Epochs of plain cross-entropy before T is estimated.")
        .int(0, 100_000),
    crate::lab::field("seed", "seed", "Draws the mixture, the flips and the initial weights."),
];

impl crate::lab::Lab for Config {
    const DEF: &'static crate::lab::Def = &crate::lab::Def {
        page: "generalization",
        tab: Some("noisy-labels"),
        command: "generalization noisy-labels",
        title: "Noisy labels: cross-entropy vs early-learning regularization (ELR) vs forward loss correction",
        fields: FIELDS,
        renamed: &[(1, "noise_rate", "label_noise"), (1, "noise_kind", "label_noise_kind")],
        presets: &[
            crate::lab::Preset {
                name: "elr-40",
                title: "ELR vs cross-entropy, 40 % noise",
                source: "Liu et al. 2020 (docs/methods.md's mixture check): CE 0.73 → 0.53, ELR 0.76–0.82",
                query: "",
            },
            crate::lab::Preset {
                name: "forward-asymmetric",
                title: "Forward correction, asymmetric noise",
                source: "Patrini et al. 2017: −log (Tᵀp)_ỹ with the true T",
                query: "label_noise_kind=asymmetric&forward=given",
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
    use crate::frame::poll_ready;

    #[test]
    fn bad_parameters_are_typed_errors() {
        for c in [
            Config { label_noise: 1.0, ..Config::default() },
            Config { label_noise: -0.1, ..Config::default() },
            Config { hidden: 0, ..Config::default() },
            Config { lr: 0.0, ..Config::default() },
            Config { elr: Elr { beta: 1.0, lambda: 3.0 }, ..Config::default() },
            Config { elr: Elr { beta: 0.7, lambda: -1.0 }, ..Config::default() },
            Config { batch: 5000, ..Config::default() },
            Config { warmup: 0, ..Config::default() },
            Config { warmup: 150, ..Config::default() },
        ] {
            assert!(Experiment::new(c.clone()).is_err(), "{c:?}");
        }
    }

    #[test]
    fn one_step_is_one_epoch_of_one_run() {
        let mut e = Experiment::new(Config { n: 200, hidden: 16, epochs: 3, warmup: 1, ..Config::default() }).unwrap();
        let part = poll_ready(e.step(Budget::iterations(1))).unwrap();
        assert_eq!((part.iteration, part.phase.as_deref()), (0, Some("elr")));
        let part = poll_ready(e.step(Budget::iterations(1))).unwrap();
        assert_eq!(part.phase.as_deref(), Some("forward correction"));
        assert!(e.transition.is_none());
        let f = poll_ready(e.step(Budget::iterations(1))).unwrap();
        assert_eq!(f.metric(key::EPOCH), Some(1.0));
        assert!(e.transition.is_some(), "T is estimated after the one-epoch warm-up");
        assert!(RUNS.iter().all(|r| f.metric(&key::of_run(r, key::MEMORISED)).is_some()), "{f:?}");
        let mut last = f;
        while !last.done {
            last = poll_ready(e.step(Budget::iterations(1))).unwrap();
        }
        assert_eq!((last.iteration, e.rows.len()), (3, 3));
        let off = Experiment::new(Config { n: 200, hidden: 16, epochs: 2, forward: Forward::Off, ..Config::default() })
            .unwrap();
        assert_eq!(off.runs.len(), 2);
    }
}
