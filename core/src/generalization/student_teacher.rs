//! Linear student–teacher dynamics (Advani & Saxe 2017, "High-dimensional dynamics of generalization error
//! in neural networks"): theory from the Marchenko–Pastur law over an exact simulation of gradient flow.
//!
//! Setting (docs/methods.md §3): P = αN samples of N inputs, X entries N(0, 1/N), teacher w̄ ~ N(0, I)
//! (σ_w̄² = 1), labels y = Xw̄ + ε with ε ~ N(0, σ_ε² = 1/SNR), student w(0) = 0 (σ₀² = 0), gradient flow
//! τ dw/dt = Xᵀ(y − Xw) with τ = 1. Test error E_g = ‖w − w̄‖²/N + σ_ε² (noise included).
//!
//! Simulation: with XᵀX = V diag(λ) Vᵀ, the flow is solved exactly per eigendirection,
//! (Vᵀw)_i(t) = z_i (1 − e^{−λ_i t})/λ_i with z = VᵀXᵀy — the sampled instance's true trajectory, with no
//! step-size error (a discretised GD with step η follows it at t = η·steps up to O(η λmax)).
//!
//! Theory (N → ∞): E_g(t) = ∫ρ_MP(λ)[(σ_w̄² + σ₀²) e^{−2λt} + (σ_ε²/λ)(1 − e^{−λt})²] dλ + σ_ε², with
//! ρ_MP(λ) = √((λ₊ − λ)(λ − λ₋))/(2πλ) on [λ₋, λ₊] = [(1 − √α)², (1 + √α)²], plus a mass (1 − α) at λ = 0
//! for α < 1 (directions no sample sees: their teacher component is never learned). Long run (α > 1):
//! σ_ε²/(α − 1) + σ_ε²; at α = 1 it grows without bound as t → ∞.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::frame::{Budget, Frame, Stepper, StopReason};
use crate::metrics as key;
use crate::rng::SplitMix64;

use super::marchenko_pastur::decay;
pub use super::marchenko_pastur::{log_grid, theory_long_run, MpQuadrature};
use super::spectral;

/// Parameters of one run (defaults: docs/methods.md's N = 400, T = 10⁴, SNR 5, α = 1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Config {
    /// α = P/N.
    pub alpha: f64,
    /// σ_w̄²/σ_ε² with σ_w̄² = 1.
    pub snr: f64,
    /// N.
    pub n_inputs: usize,
    /// Last time of the curve.
    pub t_max: f64,
    /// Time points, log-spaced from `T_MIN` to `t_max`.
    pub points: usize,
    pub seed: u64,
}

impl Default for Config {
    fn default() -> Self {
        Self { alpha: 1.0, snr: 5.0, n_inputs: 400, t_max: 1e4, points: 200, seed: 0 }
    }
}

/// First time of the log-spaced grid.
pub const T_MIN: f64 = 1e-2;
/// Largest N offered (an N × N eigen-decomposition per run).
pub const MAX_INPUTS: usize = 2000;
/// Largest α (P = αN rows of X).
pub const MAX_ALPHA: f64 = 20.0;

impl Config {
    /// Typed errors for out-of-range parameters.
    pub fn validate(&self) -> Result<()> {
        let bad = |name: &'static str, message: String| Err(Error::Invalid { name, message });
        if !(self.alpha.is_finite() && self.alpha > 0.0 && self.alpha <= MAX_ALPHA) {
            return bad("alpha", format!("α = P/N must be in (0, {MAX_ALPHA}], got {}", self.alpha));
        }
        if !(self.snr.is_finite() && self.snr > 0.0) {
            return bad("snr", format!("the signal-to-noise ratio must be positive, got {}", self.snr));
        }
        if self.n_inputs < 2 || self.n_inputs > MAX_INPUTS {
            return bad("n-inputs", format!("N must be in 2..={MAX_INPUTS}, got {}", self.n_inputs));
        }
        if self.samples() == 0 {
            return bad("alpha", format!("α·N = {} rounds to no samples", self.alpha * self.n_inputs as f64));
        }
        if !(self.t_max.is_finite() && self.t_max > T_MIN && self.t_max <= 1e8) {
            return bad("t-max", format!("T must be in ({T_MIN}, 1e8], got {}", self.t_max));
        }
        if !(2..=10_000).contains(&self.points) {
            return bad("points", format!("the time grid takes 2..=10000 points, got {}", self.points));
        }
        Ok(())
    }

    /// P = round(αN).
    pub fn samples(&self) -> usize {
        (self.alpha * self.n_inputs as f64).round() as usize
    }

    /// σ_ε² = 1/SNR.
    pub fn noise_var(&self) -> f64 {
        1.0 / self.snr
    }

    /// The log-spaced time grid.
    pub fn times(&self) -> Vec<f64> {
        log_grid(T_MIN, self.t_max, self.points)
    }
}

/// One sampled instance in the eigenbasis of XᵀX.
#[derive(Debug, Clone)]
pub struct Instance {
    /// Eigenvalues of XᵀX.
    pub lambdas: Vec<f64>,
    /// VᵀXᵀy.
    pub z: Vec<f64>,
    /// Vᵀw̄.
    pub u: Vec<f64>,
    /// ‖y‖².
    pub y2: f64,
    pub n: usize,
    pub p: usize,
    pub noise_var: f64,
}

impl Instance {
    /// Draws X, w̄ and ε from the seed and decomposes XᵀX, all at once (the CLI, tests); a page uses
    /// [`Builder`] to spread the same work over frames.
    pub fn generate(config: &Config) -> Result<Self> {
        let mut b = Builder::new(config)?;
        loop {
            if let Some(inst) = b.advance()? {
                return Ok(inst);
            }
        }
    }

    /// Coefficient of w(t) along eigendirection k; λ ≈ 0 (rank deficiency) leaves it at 0 — z_k is 0 there
    /// up to rounding, and the flow's t·z_k would only amplify that rounding.
    fn coef(&self, k: usize, t: f64) -> f64 {
        let l = self.lambdas[k];
        if l <= 1e-10 * self.lambdas.last().copied().unwrap_or(1.0).max(1e-300) {
            return 0.0;
        }
        self.z[k] * (1.0 - decay(l * t)) / l
    }

    /// E_g(t) = ‖w(t) − w̄‖²/N + σ_ε².
    pub fn test_error(&self, t: f64) -> f64 {
        let d: f64 = (0..self.n).map(|k| (self.coef(k, t) - self.u[k]).powi(2)).sum();
        d / self.n as f64 + self.noise_var
    }

    /// ‖y − Xw(t)‖²/P = (‖y‖² − 2 Σ c_k z_k + Σ λ_k c_k²)/P (clamped at 0 against rounding).
    pub fn train_error(&self, t: f64) -> f64 {
        let mut r = self.y2;
        for k in 0..self.n {
            let c = self.coef(k, t);
            r += -2.0 * c * self.z[k] + self.lambdas[k] * c * c;
        }
        (r / self.p as f64).max(0.0)
    }
}

/// Samples an [`Instance`] in units of bounded work (O(N) to O(N²) flops each): the rows of X; the teacher;
/// per row, y_r, its rank-1 term of XᵀX and of Xᵀy; then the eigen-decomposition of XᵀX in
/// [`spectral::Projector`]'s units. The random stream is drawn in the same order in every case (X row by
/// row, w̄, then ε row by row), so an instance depends on the seed only.
pub struct Builder {
    n: usize,
    p: usize,
    noise_sd: f64,
    noise_var: f64,
    rng: SplitMix64,
    /// X, row-major P × N, drawn row by row.
    x: Vec<f64>,
    teacher: Vec<f64>,
    /// Lower triangle of XᵀX, row-major N × N.
    gram: Vec<f64>,
    xty: Vec<f64>,
    y2: f64,
    stage: BuildStage,
}

/// Rows of X per unit of XᵀX (~GRAM_ROWS·N²/2 flops).
const GRAM_ROWS: usize = 8;

enum BuildStage {
    /// Drawing row r of X.
    Rows(usize),
    /// Adding row r's terms to XᵀX and Xᵀy.
    Gram(usize),
    Decompose(Box<spectral::Projector>),
    Done,
}

impl Builder {
    pub fn new(config: &Config) -> Result<Self> {
        config.validate()?;
        let (n, p) = (config.n_inputs, config.samples());
        Ok(Self {
            n,
            p,
            noise_sd: config.noise_var().sqrt(),
            noise_var: config.noise_var(),
            rng: SplitMix64::new(config.seed ^ 0x5EED_AD5A),
            x: Vec::with_capacity(n * p),
            teacher: Vec::new(),
            gram: Vec::new(),
            xty: Vec::new(),
            y2: 0.0,
            stage: BuildStage::Rows(0),
        })
    }

    /// Share of the set-up done, in [0, 1] by flops (XᵀX ≈ PN², the decomposition ≈ N³).
    pub fn progress(&self) -> f64 {
        let (n, p) = (self.n as f64, self.p as f64);
        let (gram, decomp) = (p * n * n / 2.0, n * n * n);
        let total = p * n + gram + decomp;
        let done = match &self.stage {
            BuildStage::Rows(r) => *r as f64 * n,
            BuildStage::Gram(r) => p * n + *r as f64 * n * n / 2.0,
            BuildStage::Decompose(d) => p * n + gram + d.progress() * decomp,
            BuildStage::Done => total,
        };
        done / total
    }

    /// One unit of work; the instance once the last unit is done.
    pub fn advance(&mut self) -> Result<Option<Instance>> {
        let n = self.n;
        match &mut self.stage {
            BuildStage::Rows(r) => {
                let scale = 1.0 / (n as f64).sqrt();
                for _ in 0..n {
                    self.x.push(self.rng.normal() * scale);
                }
                *r += 1;
                if *r == self.p {
                    self.teacher = (0..n).map(|_| self.rng.normal()).collect();
                    self.gram = vec![0.0; n * n];
                    self.xty = vec![0.0; n];
                    self.stage = BuildStage::Gram(0);
                }
            }
            BuildStage::Gram(r) => {
                // GRAM_ROWS rows per unit: XᵀX's lower triangle is streamed once per block, not per row.
                let rows = GRAM_ROWS.min(self.p - *r);
                let block = &self.x[*r * n..(*r + rows) * n];
                for row in block.chunks_exact(n) {
                    let y = row.iter().zip(&self.teacher).map(|(a, b)| a * b).sum::<f64>()
                        + self.noise_sd * self.rng.normal();
                    self.y2 += y * y;
                    self.xty.iter_mut().zip(row).for_each(|(t, xi)| *t += xi * y);
                }
                for i in 0..n {
                    let g = &mut self.gram[i * n..i * n + i + 1];
                    for row in block.chunks_exact(n) {
                        let xi = row[i];
                        g.iter_mut().zip(&row[..=i]).for_each(|(g, xj)| *g += xi * xj);
                    }
                }
                *r += rows;
                if *r == self.p {
                    let gram = std::mem::take(&mut self.gram);
                    let ys = vec![std::mem::take(&mut self.xty), std::mem::take(&mut self.teacher)];
                    self.x = Vec::new();
                    self.stage = BuildStage::Decompose(Box::new(spectral::Projector::new(gram, n, ys)?));
                }
            }
            BuildStage::Decompose(d) => {
                if d.advance()? {
                    if let BuildStage::Decompose(d) = std::mem::replace(&mut self.stage, BuildStage::Done) {
                        let (s, proj) = d.finish()?;
                        let [z, u]: [Vec<f64>; 2] = proj.try_into().map_err(|_| Error::Invalid {
                            name: "instance",
                            message: "two projections expected".into(),
                        })?;
                        let lambdas = s.iter().map(|v| v.max(0.0)).collect();
                        return Ok(Some(Instance {
                            lambdas,
                            z,
                            u,
                            y2: self.y2,
                            n,
                            p: self.p,
                            noise_var: self.noise_var,
                        }));
                    }
                }
            }
            BuildStage::Done => {
                return Err(Error::Invalid { name: "instance", message: "the instance was already built".into() })
            }
        }
        Ok(None)
    }
}

/// The headline numbers of one run (the CLI's JSON keys).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub best_test_error: f64,
    pub best_time: f64,
    pub final_test_error: f64,
    pub theory_best_test_error: f64,
    pub theory_best_time: f64,
    pub theory_final_test_error: f64,
}

/// Minimum of `values` over `times`: (value, time).
fn best(times: &[f64], values: &[f64]) -> (f64, f64) {
    values
        .iter()
        .zip(times)
        .fold((f64::INFINITY, f64::NAN), |(bv, bt), (&v, &t)| if v < bv { (v, t) } else { (bv, bt) })
}

/// The run as a stepper: the first steps sample and decompose (the only heavy work, O(N²P + N³), in
/// [`Builder`]'s units within the time budget, phase `sampling` with `setup_progress` in [0, 1]); each
/// later step evaluates up to the budget's iterations time points (O(N) each for the simulation, O(nodes)
/// for the theory). Frame metrics: `t`, `test_error`, `train_error`, `theory_test_error`,
/// `theory_train_error`, and the running `best_*` of both.
pub struct Run {
    config: Config,
    times: Vec<f64>,
    instance: Option<Instance>,
    /// The instance being sampled (before the first time point).
    builder: Option<Builder>,
    quadrature: MpQuadrature,
    /// Per evaluated time: (t, sim test, sim train, theory test, theory train).
    pub curve: Vec<[f64; 5]>,
    elapsed_ms: f64,
}

impl Run {
    pub fn new(config: Config) -> Result<Self> {
        config.validate()?;
        let quadrature = MpQuadrature::new(config.alpha);
        Ok(Self {
            times: config.times(),
            config,
            instance: None,
            builder: None,
            quadrature,
            curve: Vec::new(),
            elapsed_ms: 0.0,
        })
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Best and final errors over the evaluated points (NaN before the first).
    pub fn summary(&self) -> Summary {
        let t: Vec<f64> = self.curve.iter().map(|r| r[0]).collect();
        let (sb, st) = best(&t, &self.curve.iter().map(|r| r[1]).collect::<Vec<_>>());
        let (tb, tt) = best(&t, &self.curve.iter().map(|r| r[3]).collect::<Vec<_>>());
        let last = self.curve.last().copied().unwrap_or([f64::NAN; 5]);
        Summary {
            best_test_error: sb,
            best_time: st,
            final_test_error: last[1],
            theory_best_test_error: tb,
            theory_best_time: tt,
            theory_final_test_error: last[3],
        }
    }

    fn frame(&self) -> Frame {
        let done = self.curve.len() == self.times.len();
        let mut metrics = std::collections::BTreeMap::new();
        if let Some(r) = self.curve.last() {
            for (k, name) in
                [key::T, key::TEST_ERROR, key::TRAIN_ERROR, key::THEORY_TEST_ERROR, key::THEORY_TRAIN_ERROR]
                    .iter()
                    .enumerate()
            {
                metrics.insert((*name).to_owned(), r[k]);
            }
            let s = self.summary();
            metrics.insert(key::BEST_TEST_ERROR.to_owned(), s.best_test_error);
            metrics.insert(key::BEST_TIME.into(), s.best_time);
            metrics.insert(key::THEORY_BEST_TEST_ERROR.into(), s.theory_best_test_error);
            metrics.insert(key::THEORY_BEST_TIME.into(), s.theory_best_time);
        }
        if let Some(b) = &self.builder {
            metrics.insert(key::SETUP_PROGRESS.to_owned(), b.progress());
        }
        // Infinite at α = 1: left out (frames carry finite numbers only).
        let long = theory_long_run(self.config.alpha, self.config.noise_var());
        if long.is_finite() {
            metrics.insert(key::THEORY_LONG_RUN.into(), long);
        }
        Frame {
            iteration: self.curve.len() as u64,
            metrics,
            elapsed_ms: self.elapsed_ms,
            done,
            converged: done,
            stop: done.then_some(StopReason::Completed),
            phase: Some(if self.instance.is_none() { "sampling" } else { "flow" }.to_owned()),
        }
    }
}

impl Stepper for Run {
    async fn step(&mut self, budget: Budget) -> Result<Frame> {
        let start = web_time::Instant::now();
        if let Some(inst) = self.instance.as_ref() {
            let nv = self.config.noise_var();
            let mut ran = 0;
            while self.curve.len() < self.times.len() && ran < budget.max_iterations {
                let t = self.times[self.curve.len()];
                let q = &self.quadrature;
                self.curve.push([
                    t,
                    inst.test_error(t),
                    inst.train_error(t),
                    q.test_error(nv, t),
                    q.train_error(self.config.alpha, nv, t),
                ]);
                ran += 1;
                if start.elapsed().as_secs_f64() * 1e3 >= budget.max_millis {
                    break;
                }
            }
        } else {
            let builder = match self.builder.as_mut() {
                Some(b) => b,
                None => self.builder.insert(Builder::new(&self.config)?),
            };
            // Set-up units until the time budget is spent (an iteration budget finishes the set-up).
            loop {
                if let Some(inst) = builder.advance()? {
                    self.instance = Some(inst);
                    self.builder = None;
                    break;
                }
                if start.elapsed().as_secs_f64() * 1e3 >= budget.max_millis {
                    break;
                }
            }
        }
        self.elapsed_ms += start.elapsed().as_secs_f64() * 1e3;
        Ok(self.frame())
    }
}

/// The α sweep (Advani & Saxe's Fig. 2 style): for each α, the best early-stopped and the final test error
/// at `t_max`, simulated and in theory. Within the time budget a step samples the next α's instance (in
/// [`Builder`]'s units) and evaluates its curve a time point at a time; an iteration budget of k finishes
/// k α's.
pub struct Sweep {
    base: Config,
    alphas: Vec<f64>,
    /// Per α: (α, sim best, sim final, theory best, theory final).
    pub rows: Vec<[f64; 5]>,
    current: Option<SweepPoint>,
    elapsed_ms: f64,
}

/// The α being computed: its instance (or builder) and the curve so far.
struct SweepPoint {
    config: Config,
    builder: Builder,
    instance: Option<Instance>,
    quadrature: MpQuadrature,
    times: Vec<f64>,
    sim: Vec<f64>,
    theory: Vec<f64>,
}

impl SweepPoint {
    /// One unit of work; the finished row once the last time point is in.
    fn advance(&mut self) -> Result<Option<[f64; 5]>> {
        let Some(inst) = self.instance.as_ref() else {
            self.instance = self.builder.advance()?;
            return Ok(None);
        };
        let t = self.times[self.sim.len()];
        self.sim.push(inst.test_error(t));
        self.theory.push(self.quadrature.test_error(self.config.noise_var(), t));
        if self.sim.len() < self.times.len() {
            return Ok(None);
        }
        let last = |v: &[f64]| v.last().copied().unwrap_or(f64::NAN);
        Ok(Some([
            self.config.alpha,
            best(&self.times, &self.sim).0,
            last(&self.sim),
            best(&self.times, &self.theory).0,
            last(&self.theory),
        ]))
    }
}

impl Sweep {
    /// `alphas` each in (0, MAX_ALPHA]; the other parameters from `base` (seed varied per α).
    pub fn new(base: Config, alphas: Vec<f64>) -> Result<Self> {
        if alphas.is_empty() {
            return Err(Error::Invalid { name: "alphas", message: "the sweep needs at least one α".into() });
        }
        for &a in &alphas {
            Config { alpha: a, ..base.clone() }.validate()?;
        }
        Ok(Self { base, alphas, rows: Vec::new(), current: None, elapsed_ms: 0.0 })
    }

    /// The default grid: 0.1 … 4 with extra points around α = 1.
    pub fn default_alphas() -> Vec<f64> {
        let mut a: Vec<f64> = log_grid(0.1, 4.0, 24);
        a.extend([0.9, 0.95, 1.0, 1.05, 1.1]);
        a.sort_by(f64::total_cmp);
        a
    }
}

impl Stepper for Sweep {
    async fn step(&mut self, budget: Budget) -> Result<Frame> {
        let start = web_time::Instant::now();
        let mut finished = 0u64;
        while self.rows.len() < self.alphas.len() {
            let point = match self.current.as_mut() {
                Some(p) => p,
                None => {
                    let k = self.rows.len();
                    let config = Config {
                        alpha: self.alphas[k],
                        seed: self.base.seed.wrapping_add(k as u64),
                        ..self.base.clone()
                    };
                    let point = SweepPoint {
                        builder: Builder::new(&config)?,
                        instance: None,
                        quadrature: MpQuadrature::new(config.alpha),
                        times: config.times(),
                        sim: Vec::new(),
                        theory: Vec::new(),
                        config,
                    };
                    self.current.insert(point)
                }
            };
            if let Some(row) = point.advance()? {
                self.rows.push(row);
                self.current = None;
                finished += 1;
                if finished >= budget.max_iterations {
                    break;
                }
            }
            if start.elapsed().as_secs_f64() * 1e3 >= budget.max_millis {
                break;
            }
        }
        self.elapsed_ms += start.elapsed().as_secs_f64() * 1e3;
        let done = self.rows.len() == self.alphas.len();
        let mut metrics = std::collections::BTreeMap::new();
        if let Some(r) = self.rows.last() {
            for (k, name) in [
                key::ALPHA,
                key::BEST_TEST_ERROR,
                key::FINAL_TEST_ERROR,
                key::THEORY_BEST_TEST_ERROR,
                key::THEORY_FINAL_TEST_ERROR,
            ]
            .iter()
            .enumerate()
            {
                metrics.insert((*name).to_owned(), r[k]);
            }
        }
        Ok(Frame {
            iteration: self.rows.len() as u64,
            metrics,
            elapsed_ms: self.elapsed_ms,
            done,
            converged: done,
            stop: done.then_some(StopReason::Completed),
            phase: None,
        })
    }
}

/// The student–teacher tab's parameters: one α over time, or the α sweep.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Params {
    pub config: Config,
    /// Sweep α (0.1 … 4, denser near 1) instead of one α over time.
    pub sweep: bool,
}

const FIELDS: &[crate::lab::Field] = &[
    crate::lab::field(
        "sweep",
        "α sweep",
        "One run's error over time, or the sweep over α (best early-stopped and final error per α).",
    )
    .bool(),
    crate::lab::field("config.alpha", "α = P/N", "Samples per input: the overtraining peak sits at α = 1.")
        .real(1e-3, MAX_ALPHA),
    crate::lab::field("config.snr", "SNR", "Signal-to-noise ratio σ_w̄²/σ_ε²: label noise σ_ε² = 1/SNR.").log(1e-3, 1e6),
    crate::lab::field("config.n_inputs", "inputs N", "Inputs N (an N × N eigen-decomposition per run).")
        .int(2, MAX_INPUTS as u64),
    crate::lab::field("config.t_max", "time T", "Last time of the gradient flow (log-spaced from 0.01).")
        .log(0.011, 1e8),
    crate::lab::field("config.points", "time points", "Points of the log-spaced time grid.").int(2, 10_000),
    crate::lab::field("config.seed", "seed", "Draws X, the teacher and the noise."),
];

impl crate::lab::Lab for Params {
    const DEF: &'static crate::lab::Def = &crate::lab::Def {
        page: "generalization",
        tab: Some("student-teacher"),
        command: "generalization student-teacher",
        title:
            "Advani & Saxe's linear student–teacher: test error over time, simulated and in theory (Marchenko–Pastur)",
        fields: FIELDS,
        renamed: &[],
        presets: &[
            crate::lab::Preset {
                name: "alpha-1",
                title: "Overtraining peak at α = 1",
                source: "Advani & Saxe 2017 (SNR 5, N = 400): best early-stopped ≈ 0.57 at t ≈ 3, ≈ 13 at t = 10⁴",
                query: "config.alpha=1",
            },
            crate::lab::Preset {
                name: "alpha-2",
                title: "Long run at α = 2",
                source: "Advani & Saxe 2017: σ²/(α − 1) + σ² = 0.40",
                query: "config.alpha=2",
            },
            crate::lab::Preset {
                name: "alpha-sweep",
                title: "The α sweep",
                source: "Advani & Saxe 2017: the peak at α = 1 and the early-stopping optimum",
                query: "sweep=true&config.n_inputs=100",
            },
        ],
    };

    fn check(&self) -> Result<()> {
        self.config.validate()
    }
}

/// One α over time, or the α sweep: the student–teacher tab's run.
pub enum StRun {
    Curve(Box<Run>),
    Sweep(Box<Sweep>),
}

impl Stepper for StRun {
    async fn step(&mut self, budget: Budget) -> Result<Frame> {
        match self {
            StRun::Curve(r) => r.step(budget).await,
            StRun::Sweep(s) => s.step(budget).await,
        }
    }
}

impl crate::lab::run::Runnable for Params {
    type Run = StRun;
    /// CPU, f64 (the generalization lab has no GPU path).
    fn start<'a>(&'a self, _: &'a crate::backend::Backend) -> crate::lab::run::LocalFuture<'a, Result<Vec<StRun>>> {
        Box::pin(async move {
            Ok(vec![if self.sweep {
                StRun::Sweep(Box::new(Sweep::new(self.config.clone(), Sweep::default_alphas())?))
            } else {
                StRun::Curve(Box::new(Run::new(self.config.clone())?))
            }])
        })
    }
}

#[cfg(test)]
mod tests;
