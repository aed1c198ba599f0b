//! Quadratic-activation teacher (Maillard, Troiani, Martin, Krzakala & Zdeborová 2024, "Bayes-optimal
//! learning of an extensive-width neural network from quadratically many samples"): a one-hidden-layer
//! teacher of width m = κd with activation σ(h) = h², inputs x ~ N(0, I_d) and n = αd² samples,
//!   y = (1/√m) Σ_k [ (w*_k·x)²/d − 1 ],  w*_k ~ N(0, I_d)
//! (centred so E[y] = 0). The network only depends on the symmetric matrix S = WᵀW/(√m·d):
//! f_W(x) = xᵀSx − tr S, and for Gaussian inputs E_x[(f_V − f_W)²] = 2‖S_V − S_W‖_F², so the test error is
//! computed exactly (no test set): ε = ‖S_V − S*‖_F² / ‖S*‖_F², 1 for the zero predictor.
//!
//! A student of the same architecture (width κ_s·d, κ_s = κ by default) is trained by full-batch gradient
//! descent on ½·mean squared error from a small random start; "one run" is one start, "averaged" is the
//! predictor averaged over `restarts` starts (S̄ = mean of the students' S), which the paper shows lowers
//! the error below the recovery threshold. Above α_PR = κ − κ²/2 (κ ≤ 1; ½ for κ ≥ 1 — the degrees of
//! freedom of a rank-m PSD d × d matrix over d²) the samples determine S* and gradient descent recovers it.
//! docs/methods.md §3 (d = 20, κ = 0.5): single/average test error 0.64/0.48, 0.63/0.37, 0.07/0.03,
//! 0.004/0.001 at α = 0.125, 0.25, 0.375, 0.5.
//!
//! Plain f64 loops: each GD step costs ~4·n·m·d flops (forward and gradient), tiny next to the MLP trainer,
//! and the model is not an MLP with biases (the trainer's parameterisation), so it has its own update rule
//! like the linear student–teacher.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::frame::{Budget, Frame, Stepper, StopReason};
use crate::metrics as key;
use crate::rng::SplitMix64;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Config {
    /// Input dimension d.
    pub d: usize,
    /// Teacher width ratio κ = m/d.
    pub kappa: f64,
    /// Student width ratio (0: the teacher's κ).
    pub student_kappa: f64,
    /// Sample ratios α = n/d².
    pub alphas: Vec<f64>,
    /// Gradient-descent starts per α.
    pub restarts: usize,
    /// Gradient-descent steps per start (a start also stops once the training error is below 1e-10).
    pub steps: usize,
    /// Learning rate of gradient descent on ½·mean squared error.
    pub lr: f64,
    /// Standard deviation of the student's initial entries (1: a draw from the teacher's prior).
    pub init_scale: f64,
    pub seed: u64,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            d: 20,
            kappa: 0.5,
            student_kappa: 0.0,
            alphas: vec![0.125, 0.25, 0.375, 0.5, 0.625],
            restarts: 8,
            steps: 20_000,
            lr: 1.0,
            init_scale: 1.0,
            seed: 0,
        }
    }
}

/// The perfect-recovery threshold α_PR = κ − κ²/2 for κ ≤ 1, ½ above (Maillard et al. 2024).
pub fn recovery_threshold(kappa: f64) -> f64 {
    if kappa >= 1.0 {
        0.5
    } else {
        kappa - kappa * kappa / 2.0
    }
}

/// Largest d (S is d × d and n = αd² samples of d inputs are stored).
pub const MAX_D: usize = 100;
/// Largest α.
pub const MAX_ALPHA: f64 = 4.0;

impl Config {
    pub fn validate(&self) -> Result<()> {
        let bad = |name: &'static str, message: String| Err(Error::Invalid { name, message });
        if !(2..=MAX_D).contains(&self.d) {
            return bad("d", format!("d must be in 2..={MAX_D}, got {}", self.d));
        }
        for (name, k) in [("kappa", self.kappa), ("student-kappa", self.student_kappa)] {
            if !(k.is_finite() && (0.0..=4.0).contains(&k)) || (name == "kappa" && k <= 0.0) {
                return bad(name, format!("κ must lie in (0, 4], got {k}"));
            }
        }
        if self.alphas.is_empty() || self.alphas.len() > 50 {
            return bad("alphas", format!("give 1 to 50 sample ratios, got {}", self.alphas.len()));
        }
        if let Some(a) = self.alphas.iter().find(|a| !(a.is_finite() && **a > 0.0 && **a <= MAX_ALPHA)) {
            return bad("alpha", format!("α = n/d² must lie in (0, {MAX_ALPHA}], got {a}"));
        }
        if !(1..=64).contains(&self.restarts) {
            return bad("restarts", format!("restarts must be in 1..=64, got {}", self.restarts));
        }
        if !(1..=1_000_000).contains(&self.steps) {
            return bad("steps", format!("steps must be in 1..=1000000, got {}", self.steps));
        }
        if !(self.lr.is_finite() && self.lr > 0.0) {
            return bad("lr", format!("the learning rate must be positive, got {}", self.lr));
        }
        if !(self.init_scale.is_finite() && self.init_scale > 0.0 && self.init_scale <= 10.0) {
            return bad("init-scale", format!("the initial scale must lie in (0, 10], got {}", self.init_scale));
        }
        Ok(())
    }

    /// Teacher width m = max(1, round(κd)).
    pub fn teacher_width(&self) -> usize {
        ((self.kappa * self.d as f64).round() as usize).max(1)
    }

    /// Student width.
    pub fn student_width(&self) -> usize {
        if self.student_kappa > 0.0 {
            ((self.student_kappa * self.d as f64).round() as usize).max(1)
        } else {
            self.teacher_width()
        }
    }

    /// Samples n = max(1, round(αd²)).
    pub fn samples(&self, alpha: f64) -> usize {
        ((alpha * (self.d * self.d) as f64).round() as usize).max(1)
    }
}

/// S = WᵀW/(√m·d) for W with `m` rows of length d (row-major), as a d × d row-major matrix.
pub fn gram(w: &[f64], m: usize, d: usize) -> Vec<f64> {
    let scale = 1.0 / ((m as f64).sqrt() * d as f64);
    let mut s = vec![0.0; d * d];
    for row in w.chunks(d) {
        for a in 0..d {
            for b in 0..d {
                s[a * d + b] += row[a] * row[b] * scale;
            }
        }
    }
    s
}

/// f(x) = xᵀSx − tr S for the network W (m rows): (1/√m)·Σ_k [(w_k·x)² − ‖w_k‖²]/d.
pub fn predict(w: &[f64], m: usize, d: usize, x: &[f64]) -> f64 {
    let scale = 1.0 / ((m as f64).sqrt() * d as f64);
    w.chunks(d)
        .map(|row| {
            let h: f64 = row.iter().zip(x).map(|(a, b)| a * b).sum();
            let nn: f64 = row.iter().map(|a| a * a).sum();
            h * h - nn
        })
        .sum::<f64>()
        * scale
}

/// ‖A − B‖_F² / ‖B‖_F².
pub fn relative_error(a: &[f64], b: &[f64]) -> f64 {
    let num: f64 = a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum();
    let den: f64 = b.iter().map(|y| y * y).sum();
    num / den
}

/// One problem instance at a given α: the teacher, the samples and labels.
pub struct Instance {
    pub d: usize,
    pub m: usize,
    pub teacher: Vec<f64>,
    pub target_gram: Vec<f64>,
    /// n × d inputs, row-major.
    pub x: Vec<f64>,
    pub y: Vec<f64>,
}

impl Instance {
    pub fn new(d: usize, m: usize, n: usize, rng: &mut SplitMix64) -> Self {
        let teacher: Vec<f64> = (0..m * d).map(|_| rng.normal()).collect();
        let x: Vec<f64> = (0..n * d).map(|_| rng.normal()).collect();
        let y = x.chunks(d).map(|xi| predict(&teacher, m, d, xi)).collect();
        Self { d, m, target_gram: gram(&teacher, m, d), teacher, x, y }
    }

    pub fn n(&self) -> usize {
        self.y.len()
    }

    /// ½·mean squared error of the student V (`width` rows) on the samples, and its gradient into `grad`:
    /// ∂L/∂v_k = (2/(√m_s·d))·[(1/n)Σ_i r_i (v_k·x_i) x_i − r̄·v_k], r_i = f_V(x_i) − y_i.
    pub fn loss_grad(&self, v: &[f64], width: usize, grad: &mut [f64]) -> f64 {
        let d = self.d;
        let n = self.n() as f64;
        let scale = 1.0 / ((width as f64).sqrt() * d as f64);
        let norms: f64 = v.iter().map(|a| a * a).sum();
        grad.iter_mut().for_each(|g| *g = 0.0);
        let mut h = vec![0.0; width];
        let (mut loss, mut rsum) = (0.0, 0.0);
        for (xi, yi) in self.x.chunks(d).zip(&self.y) {
            for (hk, row) in h.iter_mut().zip(v.chunks(d)) {
                *hk = row.iter().zip(xi).map(|(a, b)| a * b).sum();
            }
            let f = (h.iter().map(|a| a * a).sum::<f64>() - norms) * scale;
            let r = f - yi;
            loss += 0.5 * r * r;
            rsum += r;
            for (hk, g) in h.iter().zip(grad.chunks_mut(d)) {
                let c = r * hk;
                g.iter_mut().zip(xi).for_each(|(gj, xj)| *gj += c * xj);
            }
        }
        let rbar = rsum / n;
        for (g, vk) in grad.iter_mut().zip(v) {
            *g = 2.0 * scale * (*g / n - rbar * vk);
        }
        loss / n
    }

    /// ½·mean y² (the zero predictor's loss), to report the training error relative to it.
    pub fn null_loss(&self) -> f64 {
        0.5 * self.y.iter().map(|y| y * y).sum::<f64>() / self.n() as f64
    }
}

/// Per α: [α, first start's test error, mean test error over starts, averaged predictor's test error,
/// mean relative training error].
pub type Row = [f64; 5];

/// The sweep over α, restarts and gradient-descent steps; `step` runs at most the budget's GD steps (the
/// UI passes a time budget). Frame metrics: `alpha`, `restart`, `gd_step`, `train_error` and `test_error`
/// of the current start, and once an α is done its row (`single_test_error`, `mean_test_error`,
/// `averaged_test_error`).
pub struct Sweep {
    config: Config,
    rng: SplitMix64,
    pub rows: Vec<Row>,
    /// The current start's curve: [GD step, relative training error, test error], one point per 1 % of
    /// the steps.
    pub curve: Vec<[f64; 3]>,
    alpha_index: usize,
    instance: Option<Instance>,
    restart: usize,
    v: Vec<f64>,
    grad: Vec<f64>,
    gd_step: usize,
    grams: Vec<Vec<f64>>,
    errors: Vec<f64>,
    train_errors: Vec<f64>,
    last: (f64, f64),
    elapsed_ms: f64,
    diverged: bool,
}

impl Sweep {
    pub fn new(config: Config) -> Result<Self> {
        config.validate()?;
        let rng = SplitMix64::new(config.seed ^ 0x9ad7_a71c);
        Ok(Self {
            config,
            rng,
            rows: Vec::new(),
            curve: Vec::new(),
            alpha_index: 0,
            instance: None,
            restart: 0,
            v: Vec::new(),
            grad: Vec::new(),
            gd_step: 0,
            grams: Vec::new(),
            errors: Vec::new(),
            train_errors: Vec::new(),
            last: (f64::NAN, f64::NAN),
            elapsed_ms: 0.0,
            diverged: false,
        })
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The α whose gradient descent diverged (the sweep stops there; lower the learning rate).
    pub fn diverged_at(&self) -> Option<f64> {
        self.diverged.then(|| self.config.alphas[self.alpha_index])
    }

    fn done(&self) -> bool {
        self.diverged || self.alpha_index >= self.config.alphas.len()
    }

    /// Starts the next restart (drawing the instance for a new α first). Initial student entries
    /// N(0, init_scale²); the default 1 draws the start from the teacher's prior, so the starts differ
    /// at the teacher's scale and their average is a better predictor than any one of them below α_PR.
    fn begin_start(&mut self) {
        let d = self.config.d;
        if self.instance.is_none() {
            let alpha = self.config.alphas[self.alpha_index];
            self.instance =
                Some(Instance::new(d, self.config.teacher_width(), self.config.samples(alpha), &mut self.rng));
        }
        let ms = self.config.student_width();
        let scale = self.config.init_scale;
        self.v = (0..ms * d).map(|_| scale * self.rng.normal()).collect();
        self.grad = vec![0.0; ms * d];
        self.gd_step = 0;
        self.curve.clear();
    }

    fn test_error(&self) -> f64 {
        let inst = self.instance.as_ref().expect("an instance while a start runs");
        relative_error(&gram(&self.v, self.config.student_width(), self.config.d), &inst.target_gram)
    }

    /// Ends the current start; after the last start of an α, writes its row.
    fn end_start(&mut self, train_error: f64) {
        let ms = self.config.student_width();
        let g = gram(&self.v, ms, self.config.d);
        let inst = self.instance.as_ref().expect("an instance while a start runs");
        self.errors.push(relative_error(&g, &inst.target_gram));
        self.train_errors.push(train_error);
        self.grams.push(g);
        self.restart += 1;
        self.v.clear();
        if self.restart == self.config.restarts {
            let k = self.grams.len() as f64;
            let mut avg = vec![0.0; self.grams[0].len()];
            for g in &self.grams {
                avg.iter_mut().zip(g).for_each(|(a, b)| *a += b / k);
            }
            let inst = self.instance.take().expect("checked");
            self.rows.push([
                self.config.alphas[self.alpha_index],
                self.errors[0],
                self.errors.iter().sum::<f64>() / k,
                relative_error(&avg, &inst.target_gram),
                self.train_errors.iter().sum::<f64>() / k,
            ]);
            self.grams.clear();
            self.errors.clear();
            self.train_errors.clear();
            self.restart = 0;
            self.alpha_index += 1;
        }
    }
}

impl Stepper for Sweep {
    async fn step(&mut self, budget: Budget) -> Result<Frame> {
        let start = web_time::Instant::now();
        let mut done_iters = 0u64;
        while !self.done() {
            if self.v.is_empty() {
                self.begin_start();
            }
            let inst = self.instance.as_ref().expect("begun");
            let ms = self.config.student_width();
            let loss = inst.loss_grad(&self.v, ms, &mut self.grad);
            let train_error = loss / inst.null_loss();
            if !loss.is_finite() || train_error > 1e6 {
                self.diverged = true;
                break;
            }
            let every = (self.config.steps / 100).max(1);
            if self.gd_step.is_multiple_of(every) {
                let te = self.test_error();
                self.curve.push([self.gd_step as f64, train_error, te]);
                self.last = (train_error, te);
            }
            if self.gd_step >= self.config.steps || train_error < 1e-10 {
                let te = self.test_error();
                self.curve.push([self.gd_step as f64, train_error, te]);
                self.last = (train_error, te);
                self.end_start(train_error);
            } else {
                let lr = self.config.lr;
                self.v.iter_mut().zip(&self.grad).for_each(|(v, g)| *v -= lr * g);
                self.gd_step += 1;
            }
            done_iters += 1;
            if done_iters >= budget.max_iterations || start.elapsed().as_secs_f64() * 1e3 >= budget.max_millis {
                break;
            }
        }
        self.elapsed_ms += start.elapsed().as_secs_f64() * 1e3;
        Ok(self.frame())
    }
}

impl Sweep {
    fn frame(&self) -> Frame {
        let mut metrics = std::collections::BTreeMap::new();
        if let Some(&a) = self.config.alphas.get(self.alpha_index) {
            metrics.insert(key::ALPHA.to_owned(), a);
            metrics.insert(key::RESTART.to_owned(), self.restart as f64);
            metrics.insert(key::GD_STEP.to_owned(), self.gd_step as f64);
        }
        for (name, v) in [("train_error", self.last.0), ("test_error", self.last.1)] {
            if v.is_finite() {
                metrics.insert(name.to_owned(), v);
            }
        }
        if let Some(r) = self.rows.last() {
            metrics.insert(key::SINGLE_TEST_ERROR.to_owned(), r[1]);
            metrics.insert(key::MEAN_TEST_ERROR.to_owned(), r[2]);
            metrics.insert(key::AVERAGED_TEST_ERROR.to_owned(), r[3]);
        }
        let done = self.done();
        Frame {
            iteration: self.rows.len() as u64,
            metrics,
            elapsed_ms: self.elapsed_ms,
            done,
            converged: done && !self.diverged,
            stop: done.then_some(if self.diverged { StopReason::Divergence } else { StopReason::Completed }),
            phase: Some("gradient descent".to_owned()),
        }
    }
}

const FIELDS: &[crate::lab::Field] = &[
    crate::lab::field("d", "input dimension d", "Input dimension d.").int(2, MAX_D as u64),
    crate::lab::field("kappa", "teacher width κ", "Teacher width ratio κ = m/d.").real(1e-3, 4.0),
    crate::lab::field("student_kappa", "student width", "Student width ratio (0: the teacher's).").real(0.0, 4.0),
    crate::lab::field("alphas", "sample ratios α", "Sample ratios α = n/d² (comma-separated).").reals(1e-6, MAX_ALPHA),
    crate::lab::field("restarts", "restarts", "Gradient-descent starts per α (their predictor is also averaged).")
        .int(1, 64),
    crate::lab::field("steps", "steps", "Gradient-descent steps per start.").int(1, 1_000_000),
    crate::lab::field(
        "lr",
        "learning rate",
        "Gradient descent's step size (too large diverges: the sweep stops there and says so).",
    )
    .log(1e-6, 1e6),
    crate::lab::field(
        "init_scale",
        "initial scale",
        "Standard deviation of the student's initial entries (1: the teacher's prior).",
    )
    .real(1e-6, 10.0),
    crate::lab::field("seed", "seed", "Draws the teacher, the data and the starts."),
];

impl crate::lab::Lab for Config {
    const DEF: &'static crate::lab::Def = &crate::lab::Def {
        page: "generalization",
        tab: Some("quadratic"),
        command: "generalization quadratic",
        title: "Quadratic-activation teacher (Maillard et al. 2024): test error of gradient descent vs α = n/d², one run and averaged",
        fields: FIELDS,
        renamed: &[],
        presets: &[
            crate::lab::Preset {
                name: "quadratic-d20",
                title: "Quadratic teacher, d = 20, κ = ½",
                source: "Maillard et al. 2024: recovery above α_PR = 0.375",
                query: "",
            },
        ],
    };

    fn check(&self) -> Result<()> {
        self.validate()
    }
}

impl crate::lab::run::Runnable for Config {
    type Run = Sweep;
    /// CPU, f64 (the generalization lab has no GPU path).
    fn start<'a>(&'a self, _: &'a crate::backend::Backend) -> crate::lab::run::LocalFuture<'a, Result<Vec<Sweep>>> {
        Box::pin(async move { Ok(vec![Sweep::new(self.clone())?]) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::poll_ready;

    #[test]
    fn the_gradient_matches_finite_differences() {
        let mut rng = SplitMix64::new(3);
        let inst = Instance::new(6, 3, 40, &mut rng);
        let v: Vec<f64> = (0..4 * 6).map(|_| rng.normal()).collect();
        let mut g = vec![0.0; v.len()];
        inst.loss_grad(&v, 4, &mut g);
        let mut scratch = vec![0.0; v.len()];
        for k in 0..v.len() {
            let h = 1e-6;
            let mut vp = v.clone();
            vp[k] += h;
            let mut vm = v.clone();
            vm[k] -= h;
            let fd = (inst.loss_grad(&vp, 4, &mut scratch) - inst.loss_grad(&vm, 4, &mut scratch)) / (2.0 * h);
            assert!((fd - g[k]).abs() < 1e-6 * (1.0 + fd.abs()), "k = {k}: {fd} vs {}", g[k]);
        }
    }

    #[test]
    fn the_exact_test_error_matches_a_sampled_one() {
        // E_x[(f_V − f*)²] = 2‖S_V − S*‖_F²: check against 20,000 fresh Gaussian inputs.
        let mut rng = SplitMix64::new(5);
        let (d, m) = (8, 4);
        let inst = Instance::new(d, m, 1, &mut rng);
        let v: Vec<f64> = (0..m * d).map(|_| rng.normal()).collect();
        let diff: f64 = gram(&v, m, d).iter().zip(&inst.target_gram).map(|(a, b)| (a - b) * (a - b)).sum();
        let trials = 20_000;
        let mut mse = 0.0;
        for _ in 0..trials {
            let x: Vec<f64> = (0..d).map(|_| rng.normal()).collect();
            let e = predict(&v, m, d, &x) - predict(&inst.teacher, m, d, &x);
            mse += e * e / trials as f64;
        }
        assert!((mse / (2.0 * diff) - 1.0).abs() < 0.06, "sampled {mse} vs exact {}", 2.0 * diff);
    }

    #[test]
    fn bad_parameters_are_typed_errors() {
        for c in [
            Config { d: 1, ..Config::default() },
            Config { kappa: 0.0, ..Config::default() },
            Config { kappa: f64::NAN, ..Config::default() },
            Config { alphas: vec![0.5, -1.0], ..Config::default() },
            Config { alphas: vec![], ..Config::default() },
            Config { restarts: 0, ..Config::default() },
            Config { lr: 0.0, ..Config::default() },
        ] {
            assert!(Sweep::new(c.clone()).is_err(), "{c:?}");
        }
    }

    #[test]
    fn a_too_large_step_reports_divergence() {
        let mut s =
            Sweep::new(Config { d: 8, alphas: vec![0.5], restarts: 1, steps: 500, lr: 1e3, ..Config::default() })
                .unwrap();
        let mut f = poll_ready(s.step(Budget::iterations(10_000))).unwrap();
        while !f.done {
            f = poll_ready(s.step(Budget::iterations(10_000))).unwrap();
        }
        assert_eq!((f.stop, s.diverged_at()), (Some(StopReason::Divergence), Some(0.5)));
        assert!(f.metrics.values().all(|v| v.is_finite()));
    }

    #[test]
    fn threshold() {
        assert_eq!(recovery_threshold(0.5), 0.375);
        assert_eq!(recovery_threshold(2.0), 0.5);
    }
}
