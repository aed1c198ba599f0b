//! An OT sweep in progress: its problems, the phase diagram's cells, and the stepper that solves them — on
//! the CPU a few at a time over the worker pool (each the single-run solver, built when it starts and freed
//! when it ends), or all at once in GPU rounds ([`super::gpu`]) — with the placement rule in
//! [`OtSweep::new`].

use std::collections::BTreeMap;
use std::sync::Mutex;

use web_time::Instant;

use super::gpu::{self, GpuBatch};
use super::{Axis, Cell, Params, Shard, Show};
use crate::backend::{Backend, BackendChoice};
use crate::error::Result;
use crate::frame::{Budget, Frame, Stepper, StopReason};
use crate::lab::sweep::{disjoint, fill_means, invalid, SweepLab};
use crate::metrics as key;
use crate::ot::lab::Params as OtParams;
use crate::ot::solver::OtSolver;
use crate::ot::F32_FLOOR;

/// Iterations a CPU problem runs per turn when the budget counts rounds (the CLI, the tests).
const CPU_TURN: u64 = 200;

/// One problem of a sweep and where it stands.
pub struct Problem {
    /// Its index in the whole grid.
    pub index: usize,
    pub ix: usize,
    pub iy: usize,
    pub seed_index: usize,
    /// Its own run's parameters (the OT lab's).
    pub params: OtParams,
    /// The CPU solver while the problem runs there.
    solver: Option<OtSolver>,
    /// Why the problem could not run.
    pub error: Option<String>,
    /// Its latest frame.
    pub frame: Option<Frame>,
}

impl std::fmt::Debug for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Problem")
            .field("index", &self.index)
            .field("error", &self.error)
            .field("frame", &self.frame)
            .finish()
    }
}

impl Problem {
    pub fn done(&self) -> bool {
        self.error.is_some() || self.frame.as_ref().is_some_and(|f| f.done)
    }

    pub fn diverged(&self) -> bool {
        self.frame.as_ref().is_some_and(|f| f.stop == Some(StopReason::Divergence))
    }

    /// Iterations run so far (to the stop, once done).
    pub fn iterations(&self) -> Option<u64> {
        self.frame.as_ref().map(|f| f.iteration)
    }

    pub fn metric(&self, name: &str) -> Option<f64> {
        self.frame.as_ref().and_then(|f| f.metric(name))
    }

    /// The value the phase diagram shows for this problem (iterations once it has stopped).
    pub fn shown(&self, show: Show) -> Option<f64> {
        match show {
            Show::Iterations => self.frame.as_ref().filter(|f| f.done).map(|f| f.iteration as f64),
            Show::Cost => self.metric(key::TRANSPORT_COST),
            Show::Error => self.metric(key::MARGINAL_ERROR),
        }
    }

    /// Whether its CPU passes split over the worker pool (then it runs alone).
    fn pooled(&self) -> bool {
        let p = &self.params.problem;
        let (n, m) = if p.kind == crate::ot::ProblemKind::Digits { (784, 784) } else { (p.n, p.m) };
        n.saturating_mul(m) >= crate::ot::sinkhorn::POOL_MIN_ENTRIES
    }

    /// Runs up to `budget` more of this problem on the CPU (building its solver first), and keeps its frame.
    fn advance(&mut self, budget: Budget) {
        if self.done() {
            return;
        }
        if self.solver.is_none() {
            let built = self.params.problem.build().and_then(|p| OtSolver::new(&p, self.params.solver.clone()));
            match built {
                Ok(s) => self.solver = Some(s),
                Err(e) => {
                    self.error = Some(e.to_string());
                    return;
                }
            }
        }
        let Some(s) = self.solver.as_mut() else { return };
        match s.run(budget) {
            Ok(f) => {
                if f.done {
                    // A finished problem keeps its frame; its cost matrix is freed.
                    self.solver = None;
                }
                self.frame = Some(f);
            }
            Err(e) => {
                self.solver = None;
                self.error = Some(e.to_string());
            }
        }
    }
}

/// An OT sweep in progress (a [`Stepper`]).
pub struct OtSweep {
    params: Params,
    problems: Vec<Problem>,
    /// Iterations run, summed over the problems.
    iterations: u64,
    /// Time in the solvers (CPU) or the rounds on the device (GPU).
    work_ms: f64,
    elapsed_ms: f64,
    placement: String,
    gpu: Option<Batch>,
}

/// The GPU batch with the sweep's problem index of each of its members.
struct Batch {
    batch: GpuBatch,
    members: Vec<usize>,
    /// Dispatches per round (adapted to the frame's time budget).
    dispatches: u32,
}

impl std::fmt::Debug for OtSweep {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OtSweep").field("problems", &self.problems.len()).field("iterations", &self.iterations).finish()
    }
}

impl OtSweep {
    /// The problems of `shard` of `params`' grid, placed by the rule: `cpu` → the CPU (f64); `auto` → the
    /// GPU batch on a hardware adapter when every problem fits it (f32 resolves its plan), else the CPU,
    /// saying why; `gpu` → the GPU batch, problems that do not fit marked with the reason.
    pub async fn new(params: Params, shard: Shard, device: &Backend) -> Result<Self> {
        crate::lab::validate(&params)?;
        let mut problems: Vec<Problem> = shard
            .range(params.len())
            .map(|k| {
                let (ix, iy, seed_index) = params.place(k);
                let p = params.problem_params(k);
                let error = crate::lab::validate(&p).err().map(|e| e.to_string());
                Problem { index: k, ix, iy, seed_index, params: p, solver: None, error, frame: None }
            })
            .collect();
        let cpu = |why: &str| (None, format!("CPU, f64{why}"));
        let (gpu, placement) = match (params.backend, device) {
            (BackendChoice::Cpu, _) => cpu(""),
            (BackendChoice::Gpu, Backend::Cpu { fallback }) => {
                return Err(invalid(
                    "backend",
                    format!(
                        "the GPU was asked for, but there is none{}",
                        fallback.as_ref().map(|f| format!(": {f}")).unwrap_or_default()
                    ),
                ))
            }
            (BackendChoice::Auto, Backend::Cpu { fallback }) => {
                cpu(&fallback.as_ref().map(|f| format!("; {f}")).unwrap_or_default())
            }
            (BackendChoice::Auto, Backend::Gpu(ctx)) if ctx.summary().is_software() => {
                cpu("; software GPU, the CPU is faster")
            }
            (choice, Backend::Gpu(ctx)) => {
                // Build every problem once: the batch uploads them, and the rule needs their costs' scale.
                let mut built = Vec::new();
                let mut unfit = Vec::new();
                for (i, p) in problems.iter_mut().enumerate().filter(|(_, p)| p.error.is_none()) {
                    match p.params.problem.build() {
                        Ok(problem) => match gpu::unfit(&problem, &p.params.solver) {
                            Some(why) => unfit.push((i, why)),
                            None => built.push((i, problem, p.params.solver.clone())),
                        },
                        Err(e) => p.error = Some(e.to_string()),
                    }
                }
                if choice == BackendChoice::Auto && !unfit.is_empty() {
                    let why = format!("; {} problems do not fit the GPU batch: {}", unfit.len(), unfit[0].1);
                    cpu(&why)
                } else {
                    for (i, why) in unfit {
                        problems[i].error = Some(why);
                    }
                    let members: Vec<usize> = built.iter().map(|b| b.0).collect();
                    let data: Vec<_> = built.into_iter().map(|(_, p, s)| (p, s)).collect();
                    let batch = GpuBatch::new(std::rc::Rc::clone(ctx), &data).await?;
                    let note = if params.solver.tol < F32_FLOOR {
                        format!("; f32 stops at {F32_FLOOR:e}, above the tolerance")
                    } else {
                        String::new()
                    };
                    (
                        Some(Batch { batch, members, dispatches: 1 }),
                        format!("GPU, f32: one workgroup per problem, all problems in one dispatch{note}"),
                    )
                }
            }
        };
        Ok(Self { params, problems, iterations: 0, work_ms: 0.0, elapsed_ms: 0.0, placement, gpu })
    }

    /// True when the problems are solved on the GPU.
    pub fn on_gpu(&self) -> bool {
        self.gpu.is_some()
    }

    pub fn params(&self) -> &Params {
        &self.params
    }

    pub fn problems(&self) -> &[Problem] {
        &self.problems
    }

    /// Problem `p`'s JSON record: its place, values, seed, stop and results, and its link.
    fn problem_record(&self, p: &Problem) -> serde_json::Value {
        let g = &self.params.sweep;
        let mut r = serde_json::json!({
            "problem": p.index,
            "x": g.x.name(),
            "x_value": g.x_values.get(p.ix),
            "seed": p.params.problem.seed,
            "diverged": p.diverged(),
            "iterations": p.iterations(),
        });
        if g.y != Axis::None {
            r["y"] = g.y.name().into();
            r["y_value"] = g.y_values.get(p.iy).copied().into();
        }
        if let Some(e) = &p.error {
            r["error"] = e.clone().into();
        }
        if let Some(f) = &p.frame {
            r["stop"] = f.stop.map(|s| format!("{s:?}")).into();
            for (k, v) in &f.metrics {
                r[k] = (*v).into();
            }
        }
        r["link"] = crate::lab::link::encode(&p.params).into();
        r
    }

    fn frame(&self) -> Frame {
        let done = self.problems.iter().filter(|p| p.done()).count();
        let diverged = self.problems.iter().filter(|p| p.diverged()).count();
        let failed = self.problems.iter().filter(|p| p.error.is_some()).count();
        let mut metrics = BTreeMap::new();
        metrics.insert(key::SWEEP_NETS.to_owned(), self.problems.len() as f64);
        metrics.insert(key::SWEEP_DONE.to_owned(), done as f64);
        metrics.insert(key::SWEEP_DIVERGED.to_owned(), diverged as f64);
        metrics.insert(key::SWEEP_FAILED.to_owned(), failed as f64);
        metrics.insert(key::TRAIN_SECONDS.to_owned(), self.work_ms / 1e3);
        if self.elapsed_ms > 0.0 {
            // Problem-iterations per second over the sweep's whole time.
            metrics.insert(key::NET_STEPS_PER_SECOND.to_owned(), self.iterations as f64 / (self.elapsed_ms / 1e3));
        }
        let all = done == self.problems.len();
        Frame {
            iteration: self.iterations,
            metrics,
            elapsed_ms: self.elapsed_ms,
            done: all,
            converged: all && failed == 0,
            stop: all.then_some(StopReason::Completed),
            phase: Some(format!("{done} of {} problems done", self.problems.len())),
        }
    }

    /// CPU turns: the first unfinished problems, one per worker thread, each a turn of iterations, until
    /// the budget is spent (a time budget: turns until it runs out; an iteration budget: that many turns).
    fn step_cpu(&mut self, budget: Budget) {
        let start = Instant::now();
        let timed = budget.max_millis.is_finite();
        let turns = if timed { u64::MAX } else { budget.max_iterations.max(1) };
        let threads = crate::cpu::pool::threads().max(1);
        for _ in 0..turns {
            // Small problems run side by side, one per thread (each on one thread, as its single run); a
            // problem large enough for the pool's split runs alone with the whole pool, as its single run
            // does — so either way its sums add in the same order.
            let unfinished = (0..self.problems.len()).filter(|&k| !self.problems[k].done());
            let open: Vec<usize> = match unfinished.clone().next() {
                Some(k) if self.problems[k].pooled() => vec![k],
                _ => unfinished.filter(|&k| !self.problems[k].pooled()).take(threads).collect(),
            };
            if open.is_empty() {
                break;
            }
            let turn = if timed {
                let left = (budget.max_millis - start.elapsed().as_secs_f64() * 1e3).max(1.0);
                Budget { max_iterations: u64::MAX, max_millis: left }
            } else {
                Budget::iterations(CPU_TURN)
            };
            let before: u64 = open.iter().map(|&k| self.problems[k].iterations().unwrap_or(0)).sum();
            let t = Instant::now();
            if let [k] = open[..] {
                self.problems[k].advance(turn);
            } else {
                let slots: Vec<Mutex<&mut Problem>> =
                    disjoint(&mut self.problems, &open).into_iter().map(Mutex::new).collect();
                crate::cpu::pool::map_parts(slots.len(), |i| {
                    if let Ok(mut p) = slots[i].lock() {
                        p.advance(turn);
                    }
                });
            }
            self.work_ms += t.elapsed().as_secs_f64() * 1e3;
            let after: u64 = open.iter().map(|&k| self.problems[k].iterations().unwrap_or(0)).sum();
            self.iterations += after.saturating_sub(before);
            if timed && start.elapsed().as_secs_f64() * 1e3 >= budget.max_millis {
                break;
            }
        }
    }

    /// GPU rounds until the budget is spent: each round runs `dispatches` dispatches and reads the states
    /// back into the problems' frames; under a time budget the dispatches per round double or halve
    /// towards it.
    async fn step_gpu(&mut self, budget: Budget) -> Result<()> {
        let start = Instant::now();
        let timed = budget.max_millis.is_finite();
        let rounds = if timed { u64::MAX } else { budget.max_iterations.max(1) };
        let Some(b) = self.gpu.as_mut() else { return Ok(()) };
        for _ in 0..rounds {
            if b.members.iter().all(|&k| self.problems[k].done()) {
                break;
            }
            let t = Instant::now();
            let dispatches = if timed { b.dispatches } else { 32 };
            let states = b.batch.round(dispatches).await?;
            let ms = t.elapsed().as_secs_f64() * 1e3;
            self.work_ms += ms;
            if timed {
                let want = if ms < budget.max_millis / 2.0 { b.dispatches * 2 } else { b.dispatches / 2 };
                b.dispatches = want.clamp(1, 256);
            }
            for (&k, st) in b.members.iter().zip(&states) {
                let p = &mut self.problems[k];
                let before = p.iterations().unwrap_or(0);
                self.iterations += u64::from(st.iter).saturating_sub(before);
                p.frame =
                    Some(gpu_frame(st, p.params.solver.tol, self.elapsed_ms + start.elapsed().as_secs_f64() * 1e3));
            }
            if timed && start.elapsed().as_secs_f64() * 1e3 >= budget.max_millis {
                break;
            }
        }
        Ok(())
    }
}

/// A problem's frame from its device state.
fn gpu_frame(st: &gpu::State, tol: f64, elapsed_ms: f64) -> Frame {
    // A diverged problem's error and cost are not numbers: its stop says so, and no NaN is drawn.
    let mut metrics = BTreeMap::new();
    for (k, v) in [(key::MARGINAL_ERROR, st.err), (key::TRANSPORT_COST, st.cost)] {
        if v.is_finite() {
            metrics.insert(k.to_owned(), f64::from(v));
        }
    }
    metrics.insert(key::PRECISION_FLOOR.to_owned(), F32_FLOOR);
    let stop = st.stop_reason();
    Frame {
        iteration: u64::from(st.iter),
        metrics,
        elapsed_ms,
        done: stop.is_some(),
        // The kernel compares in f32 (tol rounded to f32).
        converged: stop == Some(StopReason::Tolerance) || f64::from(st.err) <= tol,
        stop,
        phase: Some("sinkhorn".into()),
    }
}

impl Stepper for OtSweep {
    async fn step(&mut self, budget: Budget) -> Result<Frame> {
        let start = Instant::now();
        if self.gpu.is_some() {
            self.step_gpu(budget).await?;
        } else {
            self.step_cpu(budget);
        }
        self.elapsed_ms += start.elapsed().as_secs_f64() * 1e3;
        Ok(self.frame())
    }
}

impl crate::lab::sweep::Run for OtSweep {
    fn cells(&self) -> Vec<Cell> {
        let nx = self.params.sweep.x_values.len();
        let mut cells = self.params.empty_cells();
        let mut values = Vec::new();
        for p in &self.problems {
            let c = p.iy * nx + p.ix;
            let cell = &mut cells[c];
            cell.members += 1;
            cell.done += usize::from(p.done());
            cell.diverged += usize::from(p.diverged());
            if cell.error.is_none() {
                cell.error.clone_from(&p.error);
            }
            cell.progress += p.iterations().unwrap_or(0) as f64;
            if let Some(v) = p.shown(self.params.sweep.show).filter(|v| v.is_finite() && !p.diverged()) {
                values.push((c, v));
            }
        }
        fill_means(&mut cells, values);
        cells
    }
    fn placement(&self) -> &str {
        &self.placement
    }
    fn members(&self) -> usize {
        self.problems.len()
    }
    fn member_done(&self, i: usize) -> bool {
        self.problems.get(i).is_some_and(Problem::done)
    }
    fn record(&self, i: usize) -> serde_json::Value {
        self.problems.get(i).map(|p| self.problem_record(p)).unwrap_or_default()
    }
}

impl crate::lab::run::Runnable for Params {
    type Run = OtSweep;
    fn start<'a>(&'a self, device: &'a Backend) -> crate::lab::run::LocalFuture<'a, Result<Vec<OtSweep>>> {
        Box::pin(async move { Ok(vec![OtSweep::new(self.clone(), Shard::WHOLE, device).await?]) })
    }
}
