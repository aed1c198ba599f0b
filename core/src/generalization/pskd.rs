//! Progressive self-knowledge distillation (Kim, Ji, Yoon & Hwang 2021, "Self-Knowledge Distillation with
//! Progressive Refinement of Targets", arXiv 2006.12000): at epoch t of T the training target of example x is
//! (1 − α_t)·y + α_t·P_{t−1}(x), the one-hot label softened by the network's own prediction at the end of the
//! previous epoch, with α_t = α_T·t/T. Compared, on the same data, seed and batch order, with plain
//! cross-entropy and with label smoothing (targets (1 − α)y + α/K): test accuracy, negative log-likelihood
//! and expected calibration error (15 equal-width confidence bins), and a reliability diagram.
//! Built on the training lab's [`Trainer`]: PS-KD only rewrites its training targets between epochs.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::frame::{Budget, Frame, Stepper, StopReason};
use crate::metrics as key;
use crate::train::elr::softmax;
use crate::train::{Activation, DatasetKind, DatasetSpec, Loss, Optimizer, TrainConfig, Trainer};

/// Confidence bins of the calibration error and the reliability diagram.
pub const BINS: usize = 15;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Config {
    /// α_T, the final weight of the network's own predictions, in [0, 1].
    pub alpha_t: f64,
    /// Label smoothing α of the comparison run, in [0, 1).
    pub smoothing: f64,
    /// Training fraction of the 1,797 digits.
    pub train_ratio: f64,
    pub hidden: usize,
    pub epochs: usize,
    pub lr: f64,
    pub batch: usize,
    pub seed: u64,
}

impl Default for Config {
    fn default() -> Self {
        Self { alpha_t: 0.8, smoothing: 0.1, train_ratio: 0.2, hidden: 256, epochs: 150, lr: 3e-3, batch: 32, seed: 0 }
    }
}

impl Config {
    pub fn validate(&self) -> Result<()> {
        if !(0.0..=1.0).contains(&self.alpha_t) {
            return Err(Error::Invalid {
                name: "alpha-t",
                message: format!("α_T must lie in [0, 1], got {}", self.alpha_t),
            });
        }
        if !(1..=4096).contains(&self.hidden) {
            return Err(Error::Invalid {
                name: "hidden",
                message: format!("the hidden width must be in 1..=4096, got {}", self.hidden),
            });
        }
        if !(0.0 < self.train_ratio && self.train_ratio < 1.0) {
            return Err(Error::Invalid {
                name: "train-ratio",
                message: format!("it must lie in (0, 1) (the test rows measure calibration), got {}", self.train_ratio),
            });
        }
        let (data, configs) = self.parts();
        let data = data.build()?;
        configs.iter().try_for_each(|c| c.validate(&data))
    }

    /// Digits and the three runs' configurations: cross-entropy, label smoothing, PS-KD.
    fn parts(&self) -> (DatasetSpec, [TrainConfig; 3]) {
        let data = DatasetSpec {
            kind: DatasetKind::Digits,
            train_ratio: self.train_ratio,
            features: vec![],
            seed: self.seed,
            ..DatasetSpec::default()
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
        let ls = TrainConfig { label_smoothing: self.smoothing, ..ce.clone() };
        (data, [ce.clone(), ls, ce])
    }
}

/// Test-set calibration of one network.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Calibration {
    pub accuracy: f64,
    /// Mean −log p(true class).
    pub nll: f64,
    /// Σ_b (n_b/n)|accuracy_b − confidence_b| over BINS equal-width bins of the top probability.
    pub ece: f64,
    /// Per bin: (count, mean confidence, accuracy); empty bins have count 0 and NaN means.
    pub bins: Vec<(usize, f64, f64)>,
}

/// Calibration of `trainer`'s network on `rows` against the clean classes.
pub fn calibration(trainer: &Trainer, rows: &[usize]) -> Calibration {
    let data = trainer.data();
    let p_in = data.inputs;
    let mut counts = [0usize; BINS];
    let mut conf = [0.0; BINS];
    let mut hits = [0.0; BINS];
    let (mut nll, mut correct) = (0.0, 0usize);
    for &r in rows {
        let p = softmax(&trainer.predict(&data.x[r * p_in..(r + 1) * p_in]));
        let y = data.clean_class[r];
        let (guess, top) =
            p.iter()
                .copied()
                .enumerate()
                .fold((0, f64::NEG_INFINITY), |(g, t), (k, v)| if v > t { (k, v) } else { (g, t) });
        nll -= p[y].max(1e-300).ln();
        let hit = guess == y;
        correct += usize::from(hit);
        let b = ((top * BINS as f64) as usize).min(BINS - 1);
        counts[b] += 1;
        conf[b] += top;
        hits[b] += f64::from(u8::from(hit));
    }
    let n = rows.len().max(1) as f64;
    let ece = (0..BINS).filter(|&b| counts[b] > 0).map(|b| (hits[b] - conf[b]).abs() / n).sum();
    let bins = (0..BINS)
        .map(|b| {
            if counts[b] == 0 {
                (0, f64::NAN, f64::NAN)
            } else {
                (counts[b], conf[b] / counts[b] as f64, hits[b] / counts[b] as f64)
            }
        })
        .collect();
    Calibration { accuracy: correct as f64 / n, nll: nll / n, ece, bins }
}

/// The three runs, one epoch of one run per step; a row per epoch once all three have run it.
pub struct Experiment {
    config: Config,
    runs: [Trainer; 3],
    /// Next run to advance (0 CE, 1 label smoothing, 2 PS-KD).
    next: usize,
    /// Per epoch: [epoch, then (accuracy, nll, ece) for CE, label smoothing, PS-KD].
    pub rows: Vec<[f64; 10]>,
    /// The last epoch's calibration per run (for the reliability diagram).
    pub last: Vec<Calibration>,
    pending: Vec<Calibration>,
    elapsed_ms: f64,
    /// The last frame, once done (further steps return it).
    finished: Option<Frame>,
}

pub const RUNS: [&str; 3] = ["cross-entropy", "label smoothing", "PS-KD"];
/// The runs' prefixes in frame metrics (`metrics::of_run`), in the order of [`RUNS`].
pub const RUN_KEYS: [&str; 3] = ["ce", "ls", "pskd"];

impl Experiment {
    pub fn new(config: Config) -> Result<Self> {
        config.validate()?;
        let (data, [ce, ls, kd]) = config.parts();
        let data = data.build()?;
        let runs = [
            Trainer::new(data.clone(), ce)?.without_final_hessian(),
            Trainer::new(data.clone(), ls)?.without_final_hessian(),
            Trainer::new(data, kd)?.without_final_hessian(),
        ];
        Ok(Self {
            config,
            runs,
            next: 0,
            rows: Vec::new(),
            last: Vec::new(),
            pending: Vec::new(),
            elapsed_ms: 0.0,
            finished: None,
        })
    }

    /// PS-KD's targets for the coming epoch t (1-based): (1 − α_t)·onehot + α_t·softmax of the current
    /// network (the end of epoch t − 1), α_t = α_T·t/T, for every training row.
    fn refresh_pskd_targets(&mut self) {
        let run = &mut self.runs[2];
        let spe = run.steps_per_epoch().max(1);
        let t = (run.steps() / spe + 1) as f64;
        let alpha = self.config.alpha_t * t / self.config.epochs as f64;
        let data = run.data().clone();
        let k = data.classes;
        let p_in = data.inputs;
        let preds: Vec<(usize, Vec<f64>)> =
            data.train.iter().map(|&r| (r, softmax(&run.predict(&data.x[r * p_in..(r + 1) * p_in])))).collect();
        let targets = run.targets_mut();
        for (r, p) in preds {
            for (c, pc) in p.into_iter().enumerate() {
                let onehot = f64::from(u8::from(data.class[r] == c));
                targets[r * k + c] = (1.0 - alpha) * onehot + alpha * pc;
            }
        }
    }
}

impl Stepper for Experiment {
    async fn step(&mut self, _budget: Budget) -> Result<Frame> {
        if let Some(f) = &self.finished {
            return Ok(f.clone());
        }
        let start = web_time::Instant::now();
        let k = self.next;
        if k == 2 {
            self.refresh_pskd_targets();
        }
        let f = self.runs[k].run_epoch().await?;
        let test = self.runs[k].data().test.clone();
        self.pending.push(calibration(&self.runs[k], &test));
        self.next = (k + 1) % 3;
        let mut done = false;
        if self.next == 0 {
            let c = std::mem::take(&mut self.pending);
            let epoch = f.metric(key::EPOCH).unwrap_or(f64::NAN);
            self.rows.push([
                epoch,
                c[0].accuracy,
                c[0].nll,
                c[0].ece,
                c[1].accuracy,
                c[1].nll,
                c[1].ece,
                c[2].accuracy,
                c[2].nll,
                c[2].ece,
            ]);
            self.last = c;
            done = f.done;
        }
        self.elapsed_ms += start.elapsed().as_secs_f64() * 1e3;
        let mut metrics = std::collections::BTreeMap::new();
        if let Some(row) = self.rows.last() {
            metrics.insert(key::EPOCH.to_owned(), row[0]);
            for (j, prefix) in RUN_KEYS.iter().enumerate() {
                for (i, name) in [key::ACCURACY, key::NLL, key::ECE].iter().enumerate() {
                    if row[1 + 3 * j + i].is_finite() {
                        metrics.insert(key::of_run(prefix, name), row[1 + 3 * j + i]);
                    }
                }
            }
        }
        let frame = Frame {
            iteration: self.rows.len() as u64,
            metrics,
            elapsed_ms: self.elapsed_ms,
            done,
            converged: done,
            stop: done.then_some(StopReason::Completed),
            phase: Some(RUNS[self.next].to_owned()),
        };
        if done {
            self.finished = Some(frame.clone());
        }
        Ok(frame)
    }
}

const FIELDS: &[crate::lab::Field] = &[
    crate::lab::field("alpha_t", "α_T", "The final weight of the network's own last-epoch predictions in its targets.")
        .real(0.0, 1.0),
    crate::lab::field("smoothing", "label smoothing α", "Label smoothing of the comparison run.").real(0.0, 0.999),
    crate::lab::field("train_ratio", "train ratio", "Training fraction of the digits (the rest measures calibration).")
        .real(0.01, 0.99),
    crate::lab::field("hidden", "hidden width", "Width of the one hidden layer.").int(1, 4096),
    crate::lab::field("epochs", "epochs", "Passes over the training digits.").int(1, 100_000),
    crate::lab::field("lr", "learning rate", "Adam's learning rate.").log(1e-6, 10.0),
    crate::lab::field("batch", "batch", "Mini-batch size (0: full batch).").int(0, 2000),
    crate::lab::field("seed", "seed", "Draws the split and the initial weights."),
];

impl crate::lab::Lab for Config {
    const DEF: &'static crate::lab::Def = &crate::lab::Def {
        page: "generalization",
        tab: Some("pskd"),
        command: "generalization pskd",
        title: "Self-distillation (PS-KD) vs cross-entropy and label smoothing on the 8×8 digits: accuracy, NLL, calibration",
        fields: FIELDS,
        renamed: &[],
        presets: &[
            crate::lab::Preset {
                name: "pskd",
                title: "Self-distillation and calibration",
                source: "Kim et al. 2021 (PS-KD, α_T = 0.8): ECE and the reliability diagram",
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
    use crate::frame::poll_ready;

    #[test]
    fn bad_parameters_are_typed_errors() {
        for c in [
            Config { alpha_t: 1.5, ..Config::default() },
            Config { smoothing: 1.0, ..Config::default() },
            Config { train_ratio: 1.0, ..Config::default() },
            Config { hidden: 0, ..Config::default() },
            Config { epochs: 0, ..Config::default() },
        ] {
            assert!(Experiment::new(c.clone()).is_err(), "{c:?}");
        }
    }

    /// ECE of a perfectly calibrated toy: confidences equal to accuracies per bin give 0; all-confident
    /// wrong answers give 1.
    #[test]
    fn calibration_is_measured_against_the_clean_classes() {
        let mut e = Experiment::new(Config { hidden: 8, epochs: 2, ..Config::default() }).unwrap();
        while !poll_ready(e.step(Budget::iterations(1))).unwrap().done {}
        assert_eq!(e.rows.len(), 2);
        for c in &e.last {
            assert!((0.0..=1.0).contains(&c.accuracy) && c.nll > 0.0 && (0.0..=1.0).contains(&c.ece), "{c:?}");
            let n: usize = c.bins.iter().map(|b| b.0).sum();
            assert_eq!(n, e.runs[0].data().test.len());
            // ECE recomputed from the bins.
            let ece: f64 =
                c.bins.iter().filter(|b| b.0 > 0).map(|b| b.0 as f64 * (b.2 - b.1).abs()).sum::<f64>() / n as f64;
            assert!((ece - c.ece).abs() < 1e-12);
        }
    }

    /// PS-KD's targets at epoch t mix the one-hot label and the last prediction with α_t = α_T t/T, and stay
    /// distributions.
    #[test]
    fn pskd_targets_follow_the_schedule() {
        let mut e = Experiment::new(Config { hidden: 8, epochs: 4, ..Config::default() }).unwrap();
        for _ in 0..3 {
            poll_ready(e.step(Budget::iterations(1))).unwrap(); // epoch 1 of all three
        }
        e.refresh_pskd_targets(); // targets for epoch 2: α_2 = 0.8 · 2/4 = 0.4
        let run = &e.runs[2];
        let (d, k) = (run.data(), run.data().classes);
        for &r in d.train.iter().take(20) {
            let t = &run.targets()[r * k..(r + 1) * k];
            assert!((t.iter().sum::<f64>() - 1.0).abs() < 1e-12);
            let p = softmax(&run.predict(&d.x[r * d.inputs..(r + 1) * d.inputs]));
            let y = d.class[r];
            assert!((t[y] - (0.6 + 0.4 * p[y])).abs() < 1e-12, "{t:?}");
        }
    }
}
