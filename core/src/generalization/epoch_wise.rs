//! Epoch-wise double descent on a small MLP (Nakkiran et al. 2020, "Deep double descent: where bigger models
//! and more data hurt"): with label noise, one network's test error falls, rises as the network fits the
//! noise, then falls a second time as training goes on. The mechanism followed here is Heckel & Yilmaz's
//! ("Early stopping in deep networks: double descent and how to eliminate it", ICLR 2021; also Stephenson
//! & Lee 2021, Pezeshki et al. 2022): the test error is a sum of bias–variance trade-offs, one per group of
//! features, each played out on the time scale at which gradient descent learns that group. The data make
//! three groups explicit (d = 1 + K + 2 inputs):
//!
//! - fast: a = ±1, x₀ = s_f·a — present in every sample, learned in ~10 epochs (the first descent);
//! - nuisance: a category c uniform on 0..K, x₁…x_K = s_f·onehot(c) — no label information; each column is
//!   active on 1/K of the samples, so it is learned ~K times slower, and with ~n/K samples per category
//!   its fitted mean is mostly label noise (the rise). Any function of c is K-dimensional, so this pathway
//!   saturates instead of memorising every point;
//! - slow: g ~ N(0, I₂), x_{K+1}, x_{K+2} = s_s·g — tiny inputs (learning speed ∝ s_s²) carrying most of the
//!   signal, learned last (the second descent).
//!
//! Clean label y = sign(w_f·a + (g₁ + g₂)/√2); each training label is flipped with probability `label_noise`
//! (test labels stay clean). The training lab's [`Trainer`] trains the MLP (default 23-32-1 ReLU, ½·MSE on
//! ±1 targets, heavy-ball momentum 0.9, full batch, L2 on the weights) once per seed and — with `control` —
//! once more on the same draw without label noise. Test error, training error and the fraction of
//! flipped labels fitted are recorded at log-spaced epochs; the curves are averaged over the seeds.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::frame::{Budget, Frame, Stepper, StopReason};
use crate::metrics as key;
use crate::rng::SplitMix64;
use crate::train::{Activation, Dataset, DatasetSpec, Loss, Optimizer, Regularization, TrainConfig, Trainer};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Config {
    /// Training points.
    pub n: usize,
    /// Test points (clean labels).
    pub n_test: usize,
    /// K, the nuisance categories (0: no nuisance inputs).
    pub categories: usize,
    /// s_f, the scale of the fast and the nuisance inputs.
    pub fast_scale: f64,
    /// s_s, the scale of the two slow inputs (0: the slow signal is invisible to the network).
    pub slow_scale: f64,
    /// w_f, the fast feature's weight in the clean label.
    pub fast_weight: f64,
    /// Probability that a training label is flipped, in [0, 1).
    pub label_noise: f64,
    pub hidden: Vec<usize>,
    pub activation: Activation,
    /// Learning rate of heavy-ball momentum (β = 0.9), full batch.
    pub lr: f64,
    /// L2 rate on the weights, (rate/2)·Σ w².
    pub l2: f64,
    pub epochs: usize,
    /// Independent draws (data, initial weights) averaged.
    pub seeds: usize,
    /// Also train each draw without label noise.
    pub control: bool,
    pub seed: u64,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            n: 100,
            n_test: 4000,
            categories: 20,
            fast_scale: 0.7,
            slow_scale: 0.035,
            fast_weight: 0.6,
            label_noise: 0.15,
            hidden: vec![32],
            activation: Activation::Relu,
            lr: 0.05,
            l2: 1e-3,
            epochs: 3000,
            seeds: 5,
            control: true,
            seed: 0,
        }
    }
}

/// Evaluation epochs: about this many, log-spaced from 1 to the last epoch.
const EVALS: usize = 60;
/// Largest total work, in multiply-adds of the forward and backward passes and the evaluations.
pub const MAX_WORK: f64 = 5e10;
/// Largest number of inputs held over all runs (each run keeps its draw: seeds × runs × points × inputs).
pub const MAX_ENTRIES: usize = 1 << 24;
/// Updates between checks of the frame's time budget.
const CHUNK: u64 = 25;

impl Config {
    pub fn validate(&self) -> Result<()> {
        let bad = |name: &'static str, message: String| Err(Error::Invalid { name, message });
        if !(4..=2000).contains(&self.n) {
            return bad("n", format!("the training points must be 4..=2000, got {}", self.n));
        }
        if !(1..=20_000).contains(&self.n_test) {
            return bad("n-test", format!("the test points must be 1..=20000, got {}", self.n_test));
        }
        if self.categories > 200 {
            return Err(Error::TooBig { name: "categories", value: self.categories as i64, max: 200 });
        }
        for (name, v) in
            [("fast-scale", self.fast_scale), ("slow-scale", self.slow_scale), ("fast-weight", self.fast_weight)]
        {
            if !(v.is_finite() && (0.0..=100.0).contains(&v)) {
                return bad(name, format!("it must lie in [0, 100], got {v}"));
            }
        }
        if !(0.0..1.0).contains(&self.label_noise) {
            return bad("label-noise", format!("the flip probability must lie in [0, 1), got {}", self.label_noise));
        }
        if !(self.l2.is_finite() && self.l2 >= 0.0) {
            return bad("l2", format!("the L2 rate must be ≥ 0, got {}", self.l2));
        }
        if !(1..=100_000).contains(&self.epochs) {
            return bad("epochs", format!("the epochs must be 1..=100000, got {}", self.epochs));
        }
        if !(1..=50).contains(&self.seeds) {
            return bad("seeds", format!("the seeds must be 1..=50, got {}", self.seeds));
        }
        let runs = self.seeds * (1 + usize::from(self.control));
        let entries = runs.saturating_mul(self.n + self.n_test).saturating_mul(self.inputs());
        if entries > MAX_ENTRIES {
            return Err(Error::TooBig {
                name: "seeds × runs × points × inputs",
                value: entries as i64,
                max: MAX_ENTRIES as i64,
            });
        }
        // The training configuration checked against a draw of the training points alone.
        let data = Config { n_test: 1, ..self.clone() }.dataset(self.seed, self.label_noise);
        let train = self.train_config(self.seed);
        train.validate(&data)?;
        let params = train.architecture(&data)?.params() as f64;
        let runs = runs as f64;
        let work = runs * params * (3.0 * (self.n * self.epochs) as f64 + ((self.n + self.n_test) * EVALS) as f64);
        if work > MAX_WORK {
            return Err(Error::TooBig {
                name: "seeds × epochs × n × parameters",
                value: work as i64,
                max: MAX_WORK as i64,
            });
        }
        Ok(())
    }

    /// Inputs per point: the fast one, K nuisance, two slow.
    pub fn inputs(&self) -> usize {
        1 + self.categories + 2
    }

    /// One draw of n + n_test points (unsplit) and the generator that splits it.
    fn draw(&self, seed: u64) -> (Dataset, SplitMix64) {
        let mut rng = SplitMix64::new(seed ^ 0xE90C);
        let (rows, d, k) = (self.n + self.n_test, self.inputs(), self.categories);
        let mut x = vec![0.0; rows * d];
        let mut class = Vec::with_capacity(rows);
        for row in x.chunks_mut(d) {
            let a = if rng.uniform() < 0.5 { -1.0 } else { 1.0 };
            row[0] = self.fast_scale * a;
            if k > 0 {
                row[1 + (rng.next_u64() % k as u64) as usize] = self.fast_scale;
            }
            let (g1, g2) = (rng.normal(), rng.normal());
            row[1 + k] = self.slow_scale * g1;
            row[2 + k] = self.slow_scale * g2;
            class.push(usize::from(self.fast_weight * a + (g1 + g2) / std::f64::consts::SQRT_2 > 0.0));
        }
        let data = Dataset {
            inputs: d,
            x,
            points: vec![],
            clean_class: class.clone(),
            class,
            classes: 2,
            target: vec![],
            train: vec![],
            test: vec![],
            features: vec![],
        };
        (data, rng)
    }

    /// The draw for `seed`, split into n training and n_test test points, with `label_noise` of the training
    /// labels flipped (the same split for any noise: the shuffle comes before the flips).
    pub fn dataset(&self, seed: u64, label_noise: f64) -> Dataset {
        let (data, rng) = self.draw(seed);
        let spec = DatasetSpec {
            train_ratio: self.n as f64 / (self.n + self.n_test) as f64,
            label_noise,
            ..DatasetSpec::default()
        };
        spec.finish(data, rng)
    }

    fn train_config(&self, seed: u64) -> TrainConfig {
        TrainConfig {
            hidden: self.hidden.clone(),
            activation: self.activation,
            loss: Loss::Mse,
            optimizer: Optimizer::Momentum,
            lr: self.lr,
            batch: 0,
            epochs: self.epochs,
            reg: if self.l2 > 0.0 { Regularization::L2 } else { Regularization::None },
            reg_rate: self.l2,
            seed,
            ..TrainConfig::default()
        }
    }

    /// The epochs at which every run is evaluated: about 60, log-spaced, always the first and the last.
    pub fn eval_epochs(&self) -> Vec<usize> {
        let last = self.epochs as f64;
        let mut e: Vec<usize> =
            (0..EVALS).map(|k| (last.powf(k as f64 / (EVALS - 1) as f64)).round() as usize).collect();
        e.push(self.epochs);
        e.sort_unstable();
        e.dedup();
        e
    }
}

/// One evaluation of one run.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Point {
    pub epoch: f64,
    /// 0–1 error on the clean test labels.
    pub test_error: f64,
    /// 0–1 error on the (noisy) training labels.
    pub train_error: f64,
    /// Fraction of the flipped training labels the network fits (NaN without flips).
    pub memorised: f64,
}

struct Run {
    trainer: Trainer,
    noisy: bool,
    curve: Vec<Point>,
    /// Diverged, or done: no more points.
    finished: bool,
}

/// A curve averaged over the seeds: per evaluation epoch the mean test error, its range over the seeds,
/// the mean training error and the mean fraction of flipped labels fitted.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MeanCurve {
    pub epochs: Vec<f64>,
    pub test_error: Vec<f64>,
    pub test_error_min: Vec<f64>,
    pub test_error_max: Vec<f64>,
    pub train_error: Vec<f64>,
    pub memorised: Vec<f64>,
}

/// Where a test-error curve descends, rises and descends again.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Shape {
    pub first_min_epoch: f64,
    pub first_min_error: f64,
    pub peak_epoch: f64,
    pub peak_error: f64,
    pub second_min_epoch: f64,
    pub second_min_error: f64,
    pub final_error: f64,
}

impl MeanCurve {
    /// The first minimum, the peak after it and what follows: the peak is the point that maximises
    /// min(peak − the lowest error before it, peak − the final error); the first minimum is that lowest
    /// earlier point, the second minimum the lowest point from the peak on. `None` below three points.
    pub fn shape(&self) -> Option<Shape> {
        let e = &self.test_error;
        let n = e.len();
        if n < 3 {
            return None;
        }
        let last = e[n - 1];
        let argmin = |r: std::ops::Range<usize>| r.min_by(|&a, &b| e[a].total_cmp(&e[b]));
        let (mut best, mut at) = (f64::NEG_INFINITY, (0, 1));
        for j in 1..n - 1 {
            let i = argmin(0..j)?;
            let score = (e[j] - e[i]).min(e[j] - last);
            if score > best {
                best = score;
                at = (i, j);
            }
        }
        let (i, j) = at;
        let k = argmin(j..n)?;
        Some(Shape {
            first_min_epoch: self.epochs[i],
            first_min_error: e[i],
            peak_epoch: self.epochs[j],
            peak_error: e[j],
            second_min_epoch: self.epochs[k],
            second_min_error: e[k],
            final_error: last,
        })
    }
}

/// The experiment's headline numbers (`regula gen epoch-wise --json`): the shape of the noisy runs' mean
/// test-error curve, and the control's (`None` without it).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub noisy: Option<Shape>,
    pub control: Option<Shape>,
}

/// The runs, advanced round-robin to their next evaluation epoch a chunk of updates at a time, within each
/// call's time budget. Frame metrics: `epoch` (the evaluation epoch every run has reached), `test_error`
/// (mean over the noisy runs there), `control_test_error`, and once the curve has three points the shape:
/// `first_min_error`, `peak_error`, `final_error` (and their epochs).
pub struct Experiment {
    config: Config,
    evals: Vec<usize>,
    runs: Vec<Run>,
    elapsed_ms: f64,
    finished: Option<Frame>,
}

impl Experiment {
    pub fn new(config: Config) -> Result<Self> {
        config.validate()?;
        let mut runs = Vec::new();
        for s in 0..config.seeds as u64 {
            let seed = config.seed.wrapping_add(s);
            for noisy in [true, false].into_iter().take(1 + usize::from(config.control)) {
                let data = config.dataset(seed, if noisy { config.label_noise } else { 0.0 });
                let trainer = Trainer::new(data, config.train_config(seed))?.without_final_hessian();
                runs.push(Run { trainer, noisy, curve: Vec::new(), finished: false });
            }
        }
        Ok(Self { evals: config.eval_epochs(), config, runs, elapsed_ms: 0.0, finished: None })
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The evaluation epochs.
    pub fn eval_epochs(&self) -> &[usize] {
        &self.evals
    }

    /// Every run's points so far: (noisy?, seed index, curve).
    pub fn curves(&self) -> impl Iterator<Item = (bool, usize, &[Point])> {
        let per_seed = 1 + usize::from(self.config.control);
        self.runs.iter().enumerate().map(move |(i, r)| (r.noisy, i / per_seed, r.curve.as_slice()))
    }

    /// The mean over the seeds of the noisy runs (or of the controls), up to the last epoch all of them
    /// have reached.
    pub fn mean_curve(&self, noisy: bool) -> MeanCurve {
        let runs: Vec<&Run> = self.runs.iter().filter(|r| r.noisy == noisy).collect();
        let points = runs.iter().map(|r| r.curve.len()).min().unwrap_or(0);
        let mut c = MeanCurve::default();
        for p in 0..points {
            let at: Vec<&Point> = runs.iter().map(|r| &r.curve[p]).collect();
            let mean = |f: fn(&Point) -> f64| at.iter().map(|x| f(x)).sum::<f64>() / at.len() as f64;
            c.epochs.push(at[0].epoch);
            c.test_error.push(mean(|x| x.test_error));
            c.test_error_min.push(at.iter().map(|x| x.test_error).fold(f64::INFINITY, f64::min));
            c.test_error_max.push(at.iter().map(|x| x.test_error).fold(f64::NEG_INFINITY, f64::max));
            c.train_error.push(mean(|x| x.train_error));
            c.memorised.push(mean(|x| x.memorised));
        }
        c
    }

    pub fn summary(&self) -> Summary {
        Summary {
            noisy: self.mean_curve(true).shape(),
            control: self.config.control.then(|| self.mean_curve(false).shape()).flatten(),
        }
    }

    /// The run to advance next: the one with the fewest points (the first of them), while any is running.
    fn next_run(&self) -> Option<usize> {
        self.runs.iter().enumerate().filter(|(_, r)| !r.finished).min_by_key(|(_, r)| r.curve.len()).map(|(i, _)| i)
    }

    /// Up to `max` updates of run `i` towards its next evaluation epoch, evaluating when it gets there.
    /// Returns the updates made.
    fn advance(&mut self, i: usize, max: u64) -> u64 {
        let run = &mut self.runs[i];
        let target = self.evals[run.curve.len()] as u64;
        let ran = run.trainer.run_updates(max.min(target.saturating_sub(run.trainer.steps())));
        let stopped = run.trainer.stopped();
        if run.trainer.steps() >= target || stopped.is_some() {
            if stopped == Some(StopReason::Divergence) {
                run.finished = true;
                return ran;
            }
            let f = run.trainer.frame_after(web_time::Instant::now(), 0.0);
            let m = |k: &str| f.metric(k).unwrap_or(f64::NAN);
            run.curve.push(Point {
                epoch: run.trainer.steps() as f64,
                test_error: 1.0 - m(key::TEST_ACCURACY),
                train_error: 1.0 - m(key::TRAIN_ACCURACY),
                memorised: m(key::NOISY_MEMORISED),
            });
            run.finished = run.curve.len() == self.evals.len();
        }
        ran
    }

    fn frame(&self, done: bool) -> Frame {
        let noisy = self.mean_curve(true);
        let mut metrics = std::collections::BTreeMap::new();
        if let (Some(&e), Some(&t)) = (noisy.epochs.last(), noisy.test_error.last()) {
            metrics.insert(key::EPOCH.to_owned(), e);
            metrics.insert(key::TEST_ERROR.to_owned(), t);
        }
        if self.config.control {
            if let Some(&t) = self.mean_curve(false).test_error.last() {
                metrics.insert(key::CONTROL_TEST_ERROR.to_owned(), t);
            }
        }
        if let Some(s) = noisy.shape() {
            for (k, v) in [
                (key::FIRST_MIN_EPOCH, s.first_min_epoch),
                (key::FIRST_MIN_ERROR, s.first_min_error),
                (key::PEAK_EPOCH, s.peak_epoch),
                (key::PEAK_ERROR, s.peak_error),
                (key::FINAL_ERROR, s.final_error),
            ] {
                metrics.insert(k.to_owned(), v);
            }
        }
        let diverged = self.runs.iter().any(|r| r.trainer.stopped() == Some(StopReason::Divergence));
        Frame {
            iteration: noisy.epochs.len() as u64,
            metrics,
            elapsed_ms: self.elapsed_ms,
            done,
            converged: done && !diverged,
            stop: done.then_some(if diverged { StopReason::Divergence } else { StopReason::Completed }),
            phase: Some(format!("epoch {} of {}", noisy.epochs.last().copied().unwrap_or(0.0), self.config.epochs)),
        }
    }
}

impl Stepper for Experiment {
    /// Updates, a chunk at a time round-robin over the runs (the one with the fewest points first), until
    /// the time budget or `max_iterations` updates are spent — at least one chunk — or every run is done.
    async fn step(&mut self, budget: Budget) -> Result<Frame> {
        if let Some(f) = &self.finished {
            return Ok(f.clone());
        }
        let start = web_time::Instant::now();
        let mut ran = 0u64;
        while let Some(i) = self.next_run() {
            ran += self.advance(i, CHUNK.min(budget.max_iterations.saturating_sub(ran)).max(1));
            if ran >= budget.max_iterations || start.elapsed().as_secs_f64() * 1e3 >= budget.max_millis {
                break;
            }
        }
        self.elapsed_ms += start.elapsed().as_secs_f64() * 1e3;
        let done = self.next_run().is_none();
        let frame = self.frame(done);
        if done {
            self.finished = Some(frame.clone());
        }
        Ok(frame)
    }
}

const FIELDS: &[crate::lab::Field] = &[
    crate::lab::field("label_noise", "label noise", "Probability that a training label is flipped.").real(0.0, 0.999),
    crate::lab::field("n", "training points", "Training points.").int(4, 2000),
    crate::lab::field("n_test", "test points", "Test points (clean labels).").int(1, 20_000),
    crate::lab::field("categories", "nuisance categories K", "K categories of the one-hot nuisance input (0: none).")
        .int(0, 200),
    crate::lab::field("fast_scale", "fast scale", "Scale of the fast and nuisance inputs.").real(0.0, 100.0),
    crate::lab::field(
        "slow_scale",
        "slow scale",
        "Scale of the two slow inputs (0: the slow signal is hidden from the network).",
    )
    .real(0.0, 100.0),
    crate::lab::field("fast_weight", "fast weight", "The fast feature's weight in the clean label.").real(0.0, 100.0),
    crate::lab::field("hidden", "hidden layers", "Widths of the hidden layers.").ints(1, 1024),
    crate::lab::field("activation", "activation", "The hidden layers' nonlinearity.")
        .choice(crate::train::Activation::NAMES),
    crate::lab::field("lr", "learning rate", "Learning rate of momentum 0.9, full batch.").log(1e-6, 10.0),
    crate::lab::field("l2", "L2 rate", "L2 rate on the weights.").real(0.0, 1e3),
    crate::lab::field("epochs", "epochs", "Full-batch epochs (evaluated at log-spaced epochs).").int(1, 100_000),
    crate::lab::field("seeds", "draws", "Independent draws averaged; draw s uses seed + s.").int(1, 50),
    crate::lab::field("control", "noise-free control", "Also train each draw on clean labels (the control curve).")
        .bool(),
    crate::lab::field("seed", "seed", "The first draw's seed."),
];

impl crate::lab::Lab for Config {
    const DEF: &'static crate::lab::Def = &crate::lab::Def {
        page: "generalization",
        tab: Some("epoch-wise"),
        command: "generalization epoch-wise",
        title: "Epoch-wise double descent of a small MLP under label noise: features learned at three speeds",
        fields: FIELDS,
        renamed: &[],
        presets: &[
            crate::lab::Preset {
                name: "label-noise-15",
                title: "Epoch-wise double descent, 15 % label noise",
                source: "Nakkiran et al. 2020's phenomenon, Heckel & Yilmaz 2021's mechanism: three groups of features learned at three speeds",
                query: "",
            },
            crate::lab::Preset {
                name: "slow-hidden",
                title: "Epoch-wise, the slow features hidden",
                source: "The control for the second descent: without the slow signal the error stays up",
                query: "slow_scale=0",
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
    use crate::frame::{poll_ready, run_to_end};

    #[test]
    fn bad_parameters_are_typed_errors() {
        for c in [
            Config { n: 2, ..Config::default() },
            Config { n_test: 0, ..Config::default() },
            Config { label_noise: 1.0, ..Config::default() },
            Config { label_noise: -0.1, ..Config::default() },
            Config { slow_scale: f64::NAN, ..Config::default() },
            Config { fast_scale: -1.0, ..Config::default() },
            Config { lr: 0.0, ..Config::default() },
            Config { l2: -1.0, ..Config::default() },
            Config { hidden: vec![0], ..Config::default() },
            Config { epochs: 0, ..Config::default() },
            Config { seeds: 0, ..Config::default() },
            Config { categories: 201, ..Config::default() },
            Config { epochs: 100_000, seeds: 50, hidden: vec![512], ..Config::default() },
        ] {
            assert!(Experiment::new(c.clone()).is_err(), "{c:?}");
        }
    }

    /// The generator: the inputs are what the module doc says, the clean label follows the teacher, the
    /// split is n / n_test, only training labels are flipped, and the control sees the same draw.
    #[test]
    fn the_data_hold_three_groups_of_features_and_flip_only_training_labels() {
        let c = Config { n: 400, n_test: 600, ..Config::default() };
        let noisy = c.dataset(3, 0.3);
        let clean = c.dataset(3, 0.0);
        assert_eq!((noisy.train.len(), noisy.test.len(), noisy.inputs), (400, 600, 23));
        assert_eq!(
            (noisy.x.clone(), noisy.train.clone()),
            (clean.x.clone(), clean.train.clone()),
            "the control sees the same draw and split"
        );
        for row in noisy.x.chunks(23) {
            assert_eq!(row[0].abs(), 0.7);
            assert_eq!(row[1..21].iter().filter(|v| **v == 0.7).count(), 1, "one category");
            assert_eq!(row[1..21].iter().filter(|v| **v == 0.0).count(), 19);
        }
        let sd = (noisy.x.chunks(23).map(|r| r[21] * r[21]).sum::<f64>() / 1000.0).sqrt();
        assert!((sd - 0.035).abs() < 0.004, "slow inputs' spread {sd}");
        for r in 0..1000 {
            let row = &noisy.x[r * 23..(r + 1) * 23];
            let y = 0.6 * row[0] / 0.7 + (row[21] + row[22]) / 0.035 / std::f64::consts::SQRT_2 > 0.0;
            assert_eq!(noisy.clean_class[r], usize::from(y));
        }
        let flipped = noisy.train.iter().filter(|&&r| noisy.class[r] != noisy.clean_class[r]).count();
        assert!((90..=150).contains(&flipped), "{flipped} of 400 flipped at 0.3");
        assert!(noisy.test.iter().all(|&r| noisy.class[r] == noisy.clean_class[r]), "test labels stay clean");
        assert!(clean.class == clean.clean_class);
    }

    #[test]
    fn the_evaluation_epochs_are_log_spaced_and_end_at_the_last() {
        let e = Config::default().eval_epochs();
        assert_eq!((e[0], *e.last().unwrap()), (1, 3000));
        assert!(e.windows(2).all(|w| w[0] < w[1]));
        assert!(e.len() > 40 && e.len() <= 61, "{}", e.len());
        assert_eq!(Config { epochs: 1, ..Config::default() }.eval_epochs(), vec![1]);
    }

    #[test]
    fn the_shape_finds_the_first_minimum_the_peak_and_the_second_descent() {
        let curve = |e: &[f64]| MeanCurve {
            epochs: (1..=e.len()).map(|x| x as f64).collect(),
            test_error: e.to_vec(),
            ..MeanCurve::default()
        };
        let s = curve(&[0.5, 0.3, 0.28, 0.35, 0.4, 0.33, 0.25, 0.26]).shape().unwrap();
        assert_eq!((s.first_min_epoch, s.peak_epoch, s.second_min_epoch), (3.0, 5.0, 7.0));
        assert_eq!((s.first_min_error, s.peak_error, s.final_error), (0.28, 0.4, 0.26));
        // A monotone curve has no bump: the "peak" is no higher than what surrounds it.
        let m = curve(&[0.5, 0.4, 0.3, 0.2]).shape().unwrap();
        assert!(m.peak_error - m.first_min_error <= 0.0 || m.peak_error - m.final_error <= 0.1);
        assert!(curve(&[0.5, 0.4]).shape().is_none());
    }

    /// Steps stay bounded (a chunk of updates per call with a one-update budget), runs stay in step with
    /// each other, and a finished experiment keeps returning its last frame.
    #[test]
    fn steps_are_bounded_and_the_runs_advance_together() {
        let c = Config { epochs: 40, seeds: 2, n_test: 200, ..Config::default() };
        let mut e = Experiment::new(c).unwrap();
        let f = poll_ready(e.step(Budget::iterations(1))).unwrap();
        assert!(!f.done);
        let steps: u64 = e.runs.iter().map(|r| r.trainer.steps()).sum();
        assert_eq!(steps, 1, "one update");
        let last = poll_ready(run_to_end(&mut e, Budget::iterations(7), |_| {})).unwrap();
        assert!(last.done && last.converged && last.stop == Some(StopReason::Completed));
        assert_eq!(e.runs.len(), 4);
        for (noisy, _, curve) in e.curves() {
            assert_eq!(curve.len(), e.eval_epochs().len());
            assert_eq!(curve.last().unwrap().epoch, 40.0);
            assert_eq!(noisy, curve[0].memorised.is_finite(), "only the noisy runs have flipped labels");
        }
        assert_eq!(e.mean_curve(true).epochs.len(), e.eval_epochs().len());
        assert_eq!(poll_ready(e.step(Budget::iterations(1))).unwrap(), last);
    }
}
