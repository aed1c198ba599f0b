//! The sketching experiment as a stepper: one least-squares instance, a grid of (sketch, m) cells, and
//! trials accumulating round-robin over the cells (trial t of every cell before trial t + 1 of any), so
//! every curve of the page fills in together and a frame can stop anywhere.
//!
//! Per trial: S drawn from a seed derived from (seed, t) — the same S on both backends — applied to [A | b]
//! on the CPU (f64) or on the GPU (f32, [A | b] uploaded once and kept on the device, only S[A | b]
//! (m × (d + 1)) read back); then, on the CPU in f64,
//! - `solve`: x′ = argmin ‖SAx − Sb‖ by QR and its ε₂, ε∞, spike score, residual ratio;
//! - `precondition`: R from the QR of SA, LSQR on AR⁻¹ to `tol` (x → x*), its iterations, residual history
//!   and ‖x − x*‖/‖x*‖;
//! - `exact`: the direct QR solve only (timed; errors are zero by definition).
//!
//! The exact x* (faer QR, f64; minimum-norm with a warning when A is rank-deficient) is computed once, in
//! the first step.

use serde::{Deserialize, Serialize};
use web_time::Instant;

use super::gpu::GpuMatrix;
use super::operators::{Sketch, SketchKind};
use super::regression::{metrics, precondition_with, quantile, Design, Exact, Instance, TrialMetrics};
use crate::backend::Backend;
use crate::error::{Error, Result};
use crate::frame::{Budget, Frame, Stepper, StopReason};
use crate::metrics as key;
use crate::rng::SplitMix64;

/// Largest n·(d + 1) accepted (f64 copies of A on the CPU, an f32 copy on the GPU).
pub const MAX_ENTRIES: usize = 1 << 25;
/// Largest trial count per cell.
pub const MAX_TRIALS: usize = 100_000;

crate::choice! {
    /// What each trial solves (`--solver`).
    #[derive(Default)]
    pub enum Solver("solver") {
        /// Sketch-and-solve: x′ = argmin ‖SAx − Sb‖.
        #[default]
        Solve => "solve",
        /// Sketch-and-precondition: QR of SA, LSQR on AR⁻¹.
        Precondition => "precondition",
        /// The direct QR solve of the full problem.
        Exact => "exact",
    }
}

/// What the panel and the CLI set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Config {
    pub sketches: Vec<SketchKind>,
    /// Sketch sizes, one cell per (sketch, m).
    pub ms: Vec<usize>,
    /// OSNAP's nonzeros per column.
    pub s: usize,
    pub trials: usize,
    pub seed: u64,
    pub solver: Solver,
    /// LSQR's relative normal-equation tolerance (precondition).
    pub tol: f64,
    pub max_lsqr: usize,
}

impl Config {
    /// Checks the configuration for an instance of n × d: sketches and sizes chosen, d ≤ m ≤ n, OSNAP's
    /// 1 ≤ s ≤ m, 1 ≤ trials ≤ MAX_TRIALS, 0 < tol < 1.
    pub fn validate(&self, n: usize, d: usize) -> Result<()> {
        if self.sketches.is_empty() {
            return Err(Error::Invalid { name: "sketch", message: "choose at least one sketch".into() });
        }
        if self.ms.is_empty() {
            return Err(Error::Invalid { name: "m", message: "choose at least one sketch size".into() });
        }
        if !(1..=MAX_TRIALS).contains(&self.trials) {
            return Err(Error::Invalid {
                name: "trials",
                message: format!("it must lie in 1..={MAX_TRIALS}, got {}", self.trials),
            });
        }
        if !(self.tol > 0.0 && self.tol < 1.0) {
            return Err(Error::Invalid { name: "tol", message: format!("it must lie in (0, 1), got {}", self.tol) });
        }
        for &sketch in &self.sketches {
            for &m in &self.ms {
                if m < d {
                    return Err(Error::TooSmall { name: "m", value: m as i64, min: d as i64 });
                }
                Sketch::new(sketch, m, n, self.s, 0)?;
            }
        }
        Ok(())
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            sketches: vec![SketchKind::Gaussian],
            ms: vec![1024],
            s: 4,
            trials: 200,
            seed: 0,
            solver: Solver::Solve,
            tol: 1e-14,
            max_lsqr: 200,
        }
    }
}

/// One trial's record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Trial {
    pub metrics: TrialMetrics,
    /// Wall time to produce the trial's x (sketch, readback, solve; not the metrics), seconds.
    pub seconds: f64,
    /// Precondition: LSQR iterations, ‖x − x*‖/‖x*‖ and the residual history ‖Ax_k − b‖.
    pub lsqr_iterations: usize,
    pub relative_error: f64,
    pub residuals: Vec<f64>,
}

/// The trials of one (sketch, m).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cell {
    pub sketch: SketchKind,
    pub m: usize,
    pub trials: Vec<Trial>,
}

/// Quantiles over a cell's trials.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Stats {
    pub median: f64,
    pub p10: f64,
    pub p90: f64,
    pub p99: f64,
}

impl Stats {
    pub fn of(values: &[f64]) -> Self {
        Self {
            median: quantile(values, 0.5),
            p10: quantile(values, 0.1),
            p90: quantile(values, 0.9),
            p99: quantile(values, 0.99),
        }
    }
}

impl Cell {
    pub fn column(&self, f: impl Fn(&Trial) -> f64) -> Vec<f64> {
        self.trials.iter().map(f).collect()
    }

    pub fn stats(&self, f: impl Fn(&Trial) -> f64) -> Stats {
        Stats::of(&self.column(f))
    }

    /// Trials whose SA was rank-deficient (their x′ is the minimum-norm solution).
    pub fn rank_deficient(&self) -> usize {
        self.trials.iter().filter(|t| t.metrics.rank_deficient).count()
    }

    /// Sketch-and-precondition over the trials that preconditioned (a rank-deficient SA cannot; those are
    /// counted by [`Self::rank_deficient`]): (median LSQR iterations, worst ‖x − x*‖/‖x*‖), or `None` when
    /// no trial did.
    pub fn preconditioned(&self) -> Option<(f64, f64)> {
        let ran: Vec<&Trial> = self.trials.iter().filter(|t| !t.metrics.rank_deficient).collect();
        if ran.is_empty() {
            return None;
        }
        let iterations: Vec<f64> = ran.iter().map(|t| t.lsqr_iterations as f64).collect();
        Some((quantile(&iterations, 0.5), ran.iter().map(|t| t.relative_error).fold(0.0, f64::max)))
    }
}

/// The experiment stepper.
pub struct Experiment {
    config: Config,
    instance: Instance,
    design: Option<Design>,
    exact: Option<Exact>,
    exact_seconds: f64,
    backend: Backend,
    device_input: Option<GpuMatrix>,
    /// [A | b] for CPU sketch-and-solve, built on first use.
    augmented: Option<Vec<f64>>,
    cells: Vec<Cell>,
    next_trial: usize,
    next_cell: usize,
    elapsed_ms: f64,
    last: Option<Frame>,
    /// A dense sketch being applied on the CPU a few rows per step (see [`Pending`]).
    pending: Option<Pending>,
}

/// A CPU trial of a dense sketch (Gaussian, Rademacher) in progress: S·[A | b] costs O(m·n·d) — ~0.6 s in a
/// browser at the default size — so a step applies as many rows of S as its time budget allows (each row
/// is drawn from its own counters: the same numbers as applying S at once) and the trial finishes in the
/// step that applies the last row.
struct Pending {
    cell: usize,
    t: usize,
    sketch: Sketch,
    /// Rows of S applied so far.
    row: usize,
    /// Sketch-and-solve: S·[A | b] (m × (d + 1)); sketch-and-precondition: S·A (m × d), with S·b in `sb`.
    sa: Vec<f64>,
    sb: Vec<f64>,
    /// Seconds spent applying it so far.
    seconds: f64,
}

/// A sweep of sketch sizes for the page: 2d, 4d, 8d, … below the chosen m (and ≤ n), then m itself.
pub fn sweep(d: usize, chosen: usize, n: usize) -> Vec<usize> {
    let mut ms = Vec::new();
    let mut m = 2 * d.max(1);
    while m < chosen && m <= n {
        ms.push(m);
        m *= 2;
    }
    ms.push(chosen);
    ms
}

/// The seed of trial t's sketch.
pub fn trial_seed(seed: u64, t: usize) -> u64 {
    SplitMix64::new(seed ^ (t as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)).next_u64()
}

impl Experiment {
    /// Checks the configuration against the instance (1 ≤ d ≤ m ≤ n, OSNAP's s ≤ m, sizes) and, on the GPU,
    /// uploads [A | b] once.
    pub fn new(instance: Instance, design: Option<Design>, config: Config, backend: Backend) -> Result<Self> {
        let (n, d) = (instance.n, instance.d);
        if n.saturating_mul(d + 1) > MAX_ENTRIES {
            return Err(Error::TooBig { name: "n·(d + 1)", value: (n * (d + 1)) as i64, max: MAX_ENTRIES as i64 });
        }
        config.validate(n, d)?;
        let mut cells = Vec::new();
        for &sketch in &config.sketches {
            for &m in &config.ms {
                cells.push(Cell { sketch, m, trials: Vec::new() });
            }
        }
        if config.solver == Solver::Exact {
            cells.truncate(1);
        }
        let device_input = match (&backend, config.solver) {
            (Backend::Gpu(ctx), Solver::Solve | Solver::Precondition) => {
                let ab: Vec<f32> = instance.augmented().iter().map(|&v| v as f32).collect();
                Some(GpuMatrix::upload(ctx, &ab, n, d + 1)?)
            }
            _ => None,
        };
        Ok(Self {
            config,
            instance,
            design,
            exact: None,
            exact_seconds: 0.0,
            backend,
            device_input,
            augmented: None,
            cells,
            next_trial: 0,
            next_cell: 0,
            elapsed_ms: 0.0,
            last: None,
            pending: None,
        })
    }

    /// Draws the design (b = A x_s + r, r ⟂ range(A), ‖r‖ = 1) from `seed` and builds the experiment.
    pub fn generate(design: Design, n: usize, d: usize, config: Config, backend: Backend) -> Result<Self> {
        if n.saturating_mul(d + 1) > MAX_ENTRIES {
            return Err(Error::TooBig {
                name: "n·(d + 1)",
                value: n.saturating_mul(d + 1) as i64,
                max: MAX_ENTRIES as i64,
            });
        }
        let instance = Instance::generate(design, n, d, config.seed)?;
        Self::new(instance, Some(design), config, backend)
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    pub fn instance(&self) -> &Instance {
        &self.instance
    }

    pub fn design(&self) -> Option<Design> {
        self.design
    }

    pub fn cells(&self) -> &[Cell] {
        &self.cells
    }

    pub fn backend(&self) -> &Backend {
        &self.backend
    }

    /// The exact solution, once the first step has computed it.
    pub fn exact(&self) -> Option<&Exact> {
        self.exact.as_ref()
    }

    /// Seconds of the direct QR solve.
    pub fn exact_seconds(&self) -> f64 {
        self.exact_seconds
    }

    /// Trials completed over all cells.
    pub fn completed(&self) -> usize {
        self.cells.iter().map(|c| c.trials.len()).sum()
    }

    fn total(&self) -> usize {
        self.cells.len() * self.config.trials
    }

    /// Changes the trial count without losing the trials run (the UI's "more trials").
    pub fn set_trials(&mut self, trials: usize) -> Result<()> {
        if !(1..=MAX_TRIALS).contains(&trials) {
            return Err(Error::Invalid {
                name: "trials",
                message: format!("it must lie in 1..={MAX_TRIALS}, got {trials}"),
            });
        }
        self.config.trials = trials.max(self.next_trial);
        self.last = None;
        Ok(())
    }

    /// (SA, Sb): the GPU sketches the resident [A | b]; the CPU sketches the cached [A | b] for
    /// sketch-and-solve, and A and b separately for sketch-and-precondition (no n × (d + 1) copy).
    async fn sketched(&mut self, sketch: &Sketch) -> Result<(Vec<f64>, Vec<f64>)> {
        let (m, d) = (sketch.m, self.instance.d);
        if let (Backend::Gpu(ctx), Some(input)) = (&self.backend, &self.device_input) {
            let s: Vec<f64> = super::gpu::apply(ctx, sketch, input).await?.into_iter().map(f64::from).collect();
            return Ok(super::regression::split_augmented(&s, m, d));
        }
        if self.config.solver == Solver::Precondition {
            return Ok((sketch.apply(&self.instance.a, d)?, sketch.apply(&self.instance.b, 1)?));
        }
        let augmented = self.augmented.get_or_insert_with(|| self.instance.augmented());
        Ok(super::regression::split_augmented(&sketch.apply(augmented, d + 1)?, m, d))
    }

    async fn trial(&mut self, cell: usize, t: usize) -> Result<Trial> {
        let (kind, m) = (self.cells[cell].sketch, self.cells[cell].m);
        let sketch = Sketch::new(kind, m, self.instance.n, self.config.s, trial_seed(self.config.seed, t))?;
        let start = Instant::now();
        if self.config.solver == Solver::Exact {
            let exact = self.exact.clone().expect("the exact solution comes first");
            let x = Exact::new(&self.instance)?.x;
            let seconds = start.elapsed().as_secs_f64();
            return Ok(Trial {
                metrics: metrics(&self.instance, &exact, &x, exact.rank_deficient),
                seconds,
                lsqr_iterations: 0,
                relative_error: 0.0,
                residuals: vec![],
            });
        }
        let (sa, sb) = self.sketched(&sketch).await?;
        self.solved(m, &sa, &sb, start.elapsed().as_secs_f64())
    }

    /// True when trial cells of `cell` apply S on the CPU a few rows per step ([`Pending`]).
    fn splits(&self, cell: usize) -> bool {
        matches!(self.backend, Backend::Cpu { .. })
            && self.config.solver != Solver::Exact
            && matches!(self.cells[cell].sketch, SketchKind::Gaussian | SketchKind::Rademacher)
    }

    /// Applies rows of the dense S of trial `t` of `cell` until `deadline_ms` after `start` has passed (at
    /// least one row), finishing the trial with the last row.
    fn advance_pending(&mut self, cell: usize, t: usize, start: Instant, deadline_ms: f64) -> Result<Option<Trial>> {
        let (n, d) = (self.instance.n, self.instance.d);
        if self.pending.as_ref().is_none_or(|p| (p.cell, p.t) != (cell, t)) {
            let (kind, m) = (self.cells[cell].sketch, self.cells[cell].m);
            let sketch = Sketch::new(kind, m, n, self.config.s, trial_seed(self.config.seed, t))?;
            let (sa, sb) = match self.config.solver {
                Solver::Precondition => (vec![0.0; m * d], vec![0.0; m]),
                _ => (vec![0.0; m * (d + 1)], Vec::new()),
            };
            self.pending = Some(Pending { cell, t, sketch, row: 0, sa, sb, seconds: 0.0 });
        }
        let precondition = self.config.solver == Solver::Precondition;
        if !precondition && self.augmented.is_none() {
            self.augmented = Some(self.instance.augmented());
        }
        let Some(p) = self.pending.as_mut() else { return Ok(None) };
        let clock = Instant::now();
        let m = p.sketch.m;
        while p.row < m {
            let rows = p.row..p.row + 1;
            if precondition {
                p.sketch.apply_dense_rows(&self.instance.a, d, rows.clone(), &mut p.sa);
                p.sketch.apply_dense_rows(&self.instance.b, 1, rows, &mut p.sb);
            } else if let Some(ab) = &self.augmented {
                p.sketch.apply_dense_rows(ab, d + 1, rows, &mut p.sa);
            }
            p.row += 1;
            if p.row < m && start.elapsed().as_secs_f64() * 1e3 >= deadline_ms {
                p.seconds += clock.elapsed().as_secs_f64();
                return Ok(None);
            }
        }
        p.seconds += clock.elapsed().as_secs_f64();
        let Some(p) = self.pending.take() else { return Ok(None) };
        let (sa, sb) = if precondition { (p.sa, p.sb) } else { super::regression::split_augmented(&p.sa, m, d) };
        self.solved(m, &sa, &sb, p.seconds).map(Some)
    }

    /// A trial from its sketched problem (SA, Sb), `seconds` having gone into sketching it.
    fn solved(&self, m: usize, sa: &[f64], sb: &[f64], seconds: f64) -> Result<Trial> {
        let d = self.instance.d;
        let exact = self.exact.clone().expect("the exact solution comes first");
        let start = Instant::now();
        let mut trial = Trial {
            metrics: TrialMetrics { eps2: 0.0, epsinf: 0.0, spike: 1.0, residual_ratio: 1.0, rank_deficient: false },
            seconds: 0.0,
            lsqr_iterations: 0,
            relative_error: 0.0,
            residuals: vec![],
        };
        if self.config.solver == Solver::Precondition {
            let cfg = &self.config;
            let norm = exact.x.iter().map(|v| v * v).sum::<f64>().sqrt().max(f64::MIN_POSITIVE);
            let error_of = |x: &[f64]| x.iter().zip(&exact.x).map(|(a, b)| (a - b).powi(2)).sum::<f64>().sqrt() / norm;
            match precondition_with(&self.instance, sa, Some(sb), m, cfg.tol, cfg.max_lsqr) {
                Ok(p) => {
                    trial.seconds = seconds + start.elapsed().as_secs_f64();
                    trial.relative_error = error_of(&p.x);
                    trial.metrics = metrics(&self.instance, &exact, &p.x, false);
                    trial.lsqr_iterations = p.iterations;
                    trial.residuals = p.residuals;
                }
                // This draw's SA cannot precondition (a CountSketch with an empty row at small m, say):
                // the trial is counted as rank-deficient and keeps sketch-and-solve's minimum-norm x′,
                // as sketch-and-solve's own trials do; the run goes on.
                Err(Error::RankDeficient { .. }) => {
                    let (x, _) = super::regression::lstsq(sa, sb, m, d)?;
                    trial.seconds = seconds + start.elapsed().as_secs_f64();
                    trial.relative_error = error_of(&x);
                    trial.metrics = metrics(&self.instance, &exact, &x, true);
                }
                Err(e) => return Err(e),
            }
        } else {
            let (x, rank_deficient) = super::regression::lstsq(sa, sb, m, d)?;
            trial.seconds = seconds + start.elapsed().as_secs_f64();
            trial.metrics = metrics(&self.instance, &exact, &x, rank_deficient);
        }
        Ok(trial)
    }

    /// The figures of one cell as frame metrics (the first cell's go into every frame).
    pub fn cell_metrics(&self, cell: usize) -> Vec<(String, f64)> {
        let c = &self.cells[cell];
        if c.trials.is_empty() {
            return vec![];
        }
        let eps2 = c.stats(|t| t.metrics.eps2);
        let epsinf = c.stats(|t| t.metrics.epsinf);
        let mut out = vec![
            (key::TRIALS.to_owned(), c.trials.len() as f64),
            (key::EPS2_MEDIAN.to_owned(), eps2.median),
            (key::EPS2_P99.to_owned(), eps2.p99),
            (key::EPSINF_MEDIAN.to_owned(), epsinf.median),
            (key::EPSINF_P99.to_owned(), epsinf.p99),
            (key::SPIKE_MEDIAN.to_owned(), c.stats(|t| t.metrics.spike).median),
            (key::RESIDUAL_RATIO_MEDIAN.to_owned(), c.stats(|t| t.metrics.residual_ratio).median),
            (key::SECONDS_MEDIAN.to_owned(), c.stats(|t| t.seconds).median),
            (key::RANK_DEFICIENT.to_owned(), c.rank_deficient() as f64),
        ];
        if self.config.solver == Solver::Precondition {
            // Over the trials that preconditioned (the rank-deficient ones are counted above).
            if let Some((iterations, worst)) = c.preconditioned() {
                out.push((key::RELATIVE_ERROR_VS_EXACT.to_owned(), worst));
                out.push((key::LSQR_ITERATIONS.to_owned(), iterations));
            }
        }
        out
    }
}

impl Stepper for Experiment {
    /// Runs trials until the budget (iterations = trials) is spent; the first step also solves exactly.
    async fn step(&mut self, budget: Budget) -> Result<Frame> {
        if let Some(last) = self.last.as_ref().filter(|f| f.done) {
            return Ok(last.clone());
        }
        let start = Instant::now();
        if self.exact.is_none() {
            let exact = Exact::new(&self.instance)?;
            self.exact_seconds = start.elapsed().as_secs_f64();
            self.exact = Some(exact);
        }
        let mut ran = 0u64;
        while ran < budget.max_iterations && self.next_trial < self.config.trials {
            let (cell, t) = (self.next_cell, self.next_trial);
            let trial = if self.splits(cell) {
                match self.advance_pending(cell, t, start, budget.max_millis)? {
                    Some(trial) => trial,
                    // The time is spent mid-sketch: the next step goes on from the next row.
                    None => break,
                }
            } else {
                self.trial(cell, t).await?
            };
            self.cells[cell].trials.push(trial);
            self.next_cell += 1;
            if self.next_cell == self.cells.len() {
                self.next_cell = 0;
                self.next_trial += 1;
            }
            ran += 1;
            if start.elapsed().as_secs_f64() * 1e3 >= budget.max_millis {
                break;
            }
        }
        self.elapsed_ms += start.elapsed().as_secs_f64() * 1e3;
        let done = self.next_trial >= self.config.trials;
        let mut metrics: std::collections::BTreeMap<String, f64> = self.cell_metrics(0).into_iter().collect();
        metrics.insert(key::COMPLETED.to_owned(), self.completed() as f64);
        metrics.insert(key::EXACT_SECONDS.to_owned(), self.exact_seconds);
        let frame = Frame {
            iteration: self.completed() as u64,
            metrics,
            elapsed_ms: self.elapsed_ms,
            done,
            converged: done,
            stop: done.then_some(StopReason::Completed),
            phase: Some(format!("{} / {} trials", self.completed(), self.total())),
        };
        self.last = Some(frame.clone());
        Ok(frame)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::{poll_ready, run_to_end};

    fn cpu() -> Backend {
        Backend::Cpu { fallback: None }
    }

    #[test]
    fn trials_accumulate_round_robin_and_resume() {
        let config = Config {
            sketches: vec![SketchKind::Gaussian, SketchKind::CountSketch],
            ms: vec![20, 40],
            trials: 5,
            ..Config::default()
        };
        let mut e = Experiment::generate(Design::Gaussian, 200, 5, config, cpu()).unwrap();
        let f = poll_ready(e.step(Budget::iterations(6))).unwrap();
        assert_eq!(f.iteration, 6);
        assert!(!f.done);
        let counts: Vec<usize> = e.cells().iter().map(|c| c.trials.len()).collect();
        assert_eq!(counts, vec![2, 2, 1, 1]);
        let f = poll_ready(run_to_end(&mut e, Budget::iterations(100), |_| {})).unwrap();
        assert!(f.done && f.iteration == 20 && f.stop == Some(StopReason::Completed));
        // ε₂ ≥ 0, the residual ratio ≥ 1 and = √(1 + ε₂²) (r ⟂ range(A)), spike in [1, √d].
        for c in e.cells() {
            for t in &c.trials {
                let m = t.metrics;
                assert!((m.residual_ratio - (1.0 + m.eps2 * m.eps2).sqrt()).abs() < 1e-9, "{m:?}");
                assert!(m.spike >= 1.0 - 1e-12 && m.spike <= 5f64.sqrt() + 1e-12, "{m:?}");
            }
        }
        // More trials continue where it stopped.
        e.set_trials(7).unwrap();
        let f = poll_ready(run_to_end(&mut e, Budget::iterations(100), |_| {})).unwrap();
        assert_eq!(f.iteration, 28);
    }

    /// A dense sketch applied on the CPU a row per step (a time budget of 0 ms) gives the trials of applying
    /// it at once, bit for bit; the sparse ones run whole either way.
    #[test]
    fn a_dense_sketch_spread_over_steps_gives_the_same_trials() {
        let config = Config {
            sketches: vec![SketchKind::Gaussian, SketchKind::Rademacher, SketchKind::Srht],
            ms: vec![16, 24],
            trials: 2,
            ..Config::default()
        };
        for solver in [Solver::Solve, Solver::Precondition] {
            let config = Config { solver, ..config.clone() };
            let mut whole = Experiment::generate(Design::Spiky, 200, 5, config.clone(), cpu()).unwrap();
            poll_ready(run_to_end(&mut whole, Budget::iterations(1000), |_| {})).unwrap();
            let mut split = Experiment::generate(Design::Spiky, 200, 5, config, cpu()).unwrap();
            let mut steps = 0;
            while !poll_ready(split.step(Budget::millis(0.0))).unwrap().done {
                steps += 1;
                assert!(steps < 100_000);
            }
            // 2 trials × 2 sizes × 2 dense sketches of 16 and 24 rows, a row a step.
            assert!(steps >= 2 * (16 + 24) * 2, "{solver:?}: {steps} steps");
            for (a, b) in whole.cells().iter().zip(split.cells()) {
                assert_eq!(a.trials.len(), b.trials.len());
                for (x, y) in a.trials.iter().zip(&b.trials) {
                    assert_eq!(x.metrics, y.metrics, "{solver:?} {:?} m = {}", a.sketch, a.m);
                    assert_eq!((x.lsqr_iterations, x.relative_error), (y.lsqr_iterations, y.relative_error));
                    assert_eq!(x.residuals, y.residuals);
                }
            }
        }
    }

    #[test]
    fn the_sweep_doubles_from_2d_up_to_the_chosen_m() {
        assert_eq!(sweep(32, 1024, 4096), vec![64, 128, 256, 512, 1024]);
        assert_eq!(sweep(32, 40, 4096), vec![40]);
        assert_eq!(sweep(10, 100, 50), vec![20, 40, 100]);
    }

    #[test]
    fn trials_are_reproducible_from_the_seed() {
        let config =
            Config { sketches: vec![SketchKind::Osnap], ms: vec![30], trials: 3, seed: 9, ..Config::default() };
        let run = || {
            let mut e = Experiment::generate(Design::Heavy, 150, 4, config.clone(), cpu()).unwrap();
            poll_ready(run_to_end(&mut e, Budget::iterations(10), |_| {})).unwrap();
            e.cells()[0].column(|t| t.metrics.eps2)
        };
        assert_eq!(run(), run());
    }

    #[test]
    fn preconditioned_trials_reach_the_exact_solution() {
        let config = Config {
            sketches: SketchKind::ALL.to_vec(),
            ms: vec![40],
            trials: 2,
            solver: Solver::Precondition,
            ..Config::default()
        };
        let mut e = Experiment::generate(Design::Heavy, 300, 10, config, cpu()).unwrap();
        poll_ready(run_to_end(&mut e, Budget::iterations(100), |_| {})).unwrap();
        for c in e.cells() {
            for t in &c.trials {
                assert!(t.relative_error < 1e-10, "{}: {}", c.sketch, t.relative_error);
                assert!(t.lsqr_iterations > 0 && t.residuals.len() == t.lsqr_iterations + 1);
            }
        }
    }

    /// The page's "sketch-and-precondition" preset: [I; 0] with spikes (n = 4096, d = 32) and CountSketch at
    /// m = 1024 hashes two of the 32 rows of I together in about 40 % of draws, and such an SA cannot
    /// precondition. The run must go on: those trials counted rank-deficient, every other one at x*.
    #[test]
    fn a_rank_deficient_draw_is_counted_and_the_preconditioned_trials_still_reach_x_star() {
        let config = Config {
            sketches: vec![SketchKind::CountSketch, SketchKind::Gaussian],
            ms: vec![1024],
            trials: 12,
            solver: Solver::Precondition,
            ..Config::default()
        };
        let mut e = Experiment::generate(Design::Spiky, 4096, 32, config, cpu()).unwrap();
        let last = poll_ready(run_to_end(&mut e, Budget::iterations(100), |_| {})).unwrap();
        assert!(last.done && last.metrics.values().all(|v| v.is_finite()));
        let (count, gauss) = (&e.cells()[0], &e.cells()[1]);
        assert_eq!((count.trials.len(), gauss.trials.len()), (12, 12));
        assert!(count.rank_deficient() > 0, "some CountSketch draws collide (seeded: this one does)");
        assert_eq!(gauss.rank_deficient(), 0);
        let (its, worst) = count.preconditioned().expect("most draws precondition");
        assert!(worst < 1e-10, "{its} iterations, worst {worst}");
        for t in count.trials.iter().filter(|t| t.metrics.rank_deficient) {
            assert_eq!(t.lsqr_iterations, 0);
            assert!(t.relative_error.is_finite());
        }
        // Only rank-deficient draws: no preconditioned figures, the count says why.
        let none = Cell {
            sketch: SketchKind::CountSketch,
            m: 1024,
            trials: count.trials.iter().filter(|t| t.metrics.rank_deficient).cloned().collect(),
        };
        assert_eq!(none.preconditioned(), None);
    }

    #[test]
    fn bad_configurations_are_typed_errors() {
        let gen = |m: usize, d: usize, s: usize, trials: usize| {
            let config = Config { sketches: vec![SketchKind::Osnap], ms: vec![m], s, trials, ..Config::default() };
            Experiment::generate(Design::Gaussian, 100, d, config, cpu()).err()
        };
        assert!(matches!(gen(4, 5, 1, 1), Some(Error::TooSmall { name: "m", .. })), "m < d");
        assert!(matches!(gen(101, 5, 1, 1), Some(Error::TooBig { name: "m", .. })), "m > n");
        assert!(matches!(gen(10, 100, 1, 1), Some(Error::Invalid { name: "d", .. })), "d ≥ n");
        assert!(matches!(gen(10, 5, 11, 1), Some(Error::Invalid { name: "s", .. })), "s > m");
        assert!(matches!(gen(10, 5, 1, 0), Some(Error::Invalid { name: "trials", .. })), "no trials");
        assert!(gen(10, 5, 1, 1).is_none());
    }
}
