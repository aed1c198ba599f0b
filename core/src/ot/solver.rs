//! Entropic OT solvers on the CPU (f64): kernel Sinkhorn, log-domain Sinkhorn and
//! Sinkhorn–Newton–Sparse, behind one stepper.
//!
//! Notation (docs/methods.md §1): P_ij = exp((f_i + g_j − C_ij)/ε), potentials f ∈ ℝⁿ, g ∈ ℝᵐ.
//! - Kernel Sinkhorn (Cuturi 2013, "Sinkhorn Distances"): K = exp(−C/ε), v ← b ⊘ Kᵀu, u ← a ⊘ Kv.
//! - Log-domain Sinkhorn: g_j ← ε log b_j − ε LSE_i((f_i − C_ij)/ε), f_i ← ε log a_i − ε LSE_j((g_j − C_ij)/ε).
//! - SNS (Tang et al., "Accelerating Sinkhorn Algorithm with Sparse Newton Iterations", ICLR 2024): N1
//!   log-domain steps, then Newton steps maximising the Lyapunov potential
//!   F(f,g) = ⟨a,f⟩ + ⟨b,g⟩ − ε Σ_ij P_ij, with ∇F = (a − P1, b − Pᵀ1) and
//!   ∇²F = −(1/ε) [[diag(P1), P], [Pᵀ, diag(Pᵀ1)]]. P is sparsified to its k largest entries per row
//!   (exact diagonals kept), the system M d = ε ∇F is solved by Jacobi-preconditioned CG (M is singular
//!   along (1, −1), but ∇F ⟂ (1, −1), so CG from 0 stays consistent), and the step is Armijo-backtracked
//!   (α₀ = 1, c = 1e-4, halving).
//!
//! Optional ε-scaling (annealing, e.g. Schmitzer 2019): ε starts at max C and halves per stage down to the
//! target, potentials carried over; it speeds up small-ε runs of both Sinkhorn variants and SNS's warm-up.
//!
//! Stopping rule, all methods: ℓ1 marginal error ‖P1 − a‖₁ + ‖Pᵀ1 − b‖₁ ≤ tol, or max_iter iterations.
//! Sinkhorn's error comes for free from the next half-step: after an f-update the rows are exact, and the
//! column sums of P are b_j · exp((g_j − g̃_j)/ε) where g̃ is the g-update.

use serde::{Deserialize, Serialize};
use web_time::Instant;

use super::problem::{OtProblem, MAX_CPU_ENTRIES};
use super::sinkhorn::{
    g_from_column_sums, kernel, l1, lse_update, lse_update_cols, marginals, plan, plan_row, plan_sums, transpose_times,
};
use super::sns::{
    armijo, ascent, direction, dot, gradient, grow_keep, share, top_k_rows, NewtonReport, AUTO_MAX_KEPT_ENTRIES,
    DEFAULT_KEEP_PER_ROW, MAX_HALVINGS,
};
use crate::cpu::fused::Aligned;
use crate::error::{Error, Result};
use crate::frame::{Budget, Frame, Stepper, StopReason};
use crate::metrics as key;

/// ε-scaling: a stage ends when its marginal error is below this, or after `STAGE_MAX` iterations.
const STAGE_TOL: f64 = 1e-3;
const STAGE_MAX: u64 = 100;
/// exp(−x) underflows to 0 in f64 beyond x ≈ 708; kernel mode refuses C/ε above this.
pub const KERNEL_LIMIT_F64: f64 = 700.0;

crate::choice! {
    /// The solver (`--method`).
    #[derive(Default)]
    pub enum Method("method") {
        Sinkhorn => "sinkhorn",
        LogSinkhorn => "log-sinkhorn",
        #[default]
        Sns => "sns",
    }
}

/// Solver parameters (UI panel, CLI flags).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SolverParams {
    /// Set per run by the lab (whose `method` field may also say `compare`), not a link's key.
    #[serde(skip)]
    pub method: Method,
    /// Entropic regularisation ε (POT's `reg`), > 0.
    pub eps: f64,
    /// SNS: Sinkhorn steps before Newton.
    pub n1: u64,
    /// SNS: kept density λ ∈ (0, 1] of the sparsified Hessian (top ⌈λm⌉ entries per row); `None` is
    /// automatic: 10 per row to start, doubled whenever the kept entries hold less than
    /// [`super::sns::AUTO_KEPT_MASS`] of P's mass (up to [`AUTO_MAX_KEPT_ENTRIES`] in all).
    pub density: Option<f64>,
    /// ℓ1 marginal error to stop at.
    pub tol: f64,
    pub max_iter: u64,
    /// ε-scaling (annealing): start at ε₀ = max C and halve ε each stage (a stage ends when its marginal
    /// error is below 1e-3 or after 100 iterations) until the target ε; the tolerance applies at the target.
    #[serde(default)]
    pub eps_scaling: bool,
}

impl Default for SolverParams {
    fn default() -> Self {
        Self { method: Method::Sns, eps: 0.01, n1: 20, density: None, tol: 1e-9, max_iter: 10_000, eps_scaling: false }
    }
}

impl SolverParams {
    pub fn validate(&self) -> Result<()> {
        if !(self.eps.is_finite() && self.eps > 0.0) {
            return Err(Error::Invalid {
                name: "eps",
                message: format!("it must be a positive number, got {}", self.eps),
            });
        }
        if !(self.tol.is_finite() && self.tol > 0.0) {
            return Err(Error::Invalid {
                name: "tol",
                message: format!("it must be a positive number, got {}", self.tol),
            });
        }
        if self.max_iter == 0 {
            return Err(Error::TooSmall { name: "max-iter", value: 0, min: 1 });
        }
        if let Some(d) = self.density {
            if !(d > 0.0 && d <= 1.0) {
                return Err(Error::Invalid { name: "density", message: format!("it must lie in (0, 1], got {d}") });
            }
        }
        Ok(())
    }

    /// Entries kept per row of the sparsified Hessian for m columns (at the start, for the automatic
    /// density).
    pub fn keep_per_row(&self, m: usize) -> usize {
        match self.density {
            Some(d) => ((d * m as f64).ceil() as usize).clamp(1, m),
            None => DEFAULT_KEEP_PER_ROW.min(m),
        }
    }
}

/// What the CPU solver keeps between steps.
enum State {
    /// Kernel mode: scalings u, v, K = exp(−C/ε) (row-major, starting on a cache line: the fused pass
    /// streams it) and Kᵀu from the last pass — potentials are ε log u, ε log v.
    Kernel { k: Aligned, u: Vec<f64>, v: Vec<f64>, ktu: Vec<f64> },
    /// Log domain (also SNS): potentials f, g, and the plan's column sums at (f, g) when the last f-update
    /// left them (the next g-update's input; cleared when ε or the potentials change otherwise).
    Log { f: Vec<f64>, g: Vec<f64>, cols: Option<Vec<f64>> },
}

/// The CPU OT solver: one stepper for all three methods.
pub struct OtSolver {
    params: SolverParams,
    a: Vec<f64>,
    b: Vec<f64>,
    /// C row-major (n × m) and transposed (m × n): both updates stream contiguous rows.
    c: Vec<f64>,
    ct: Vec<f64>,
    n: usize,
    m: usize,
    state: State,
    iteration: u64,
    newton_steps: u64,
    /// The ε of the current ε-scaling stage (= params.eps without scaling, and in SNS's Newton phase).
    eps_now: f64,
    stage_iters: u64,
    /// ε just changed: the row marginals are no longer exact, so the next column error is not the
    /// marginal error and must not stop the run.
    rows_stale: bool,
    /// Error of the current iterate, when known.
    error: Option<f64>,
    elapsed_ms: f64,
    last: Option<Frame>,
    /// Details of the last Newton step for its frame.
    newton: Option<NewtonReport>,
    /// SNS: entries per row the sparsified Hessian keeps now (grows under the automatic density).
    keep: usize,
}

/// The final numbers of a run (`regula ot --json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OtSummary {
    pub iterations: u64,
    pub newton_steps: u64,
    pub marginal_error: f64,
    pub transport_cost: f64,
    pub dual_objective: f64,
    pub converged: bool,
}

impl OtSolver {
    /// Validates the parameters against the problem and prepares the state (f = g = 0, or u = v = 1).
    pub fn new(problem: &OtProblem, params: SolverParams) -> Result<Self> {
        params.validate()?;
        let (n, m) = (problem.n(), problem.m());
        let c = problem.cost_matrix(MAX_CPU_ENTRIES)?;
        let mut ct = vec![0.0; n * m];
        for i in 0..n {
            for j in 0..m {
                ct[j * n + i] = c[i * m + j];
            }
        }
        let max_cost = c.iter().copied().fold(0.0, f64::max);
        let keep = params.keep_per_row(m);
        let start_eps = if params.eps_scaling { params.eps.max(max_cost) } else { params.eps };
        let state = match params.method {
            Method::Sinkhorn => {
                let ratio = c.iter().copied().fold(0.0, f64::max) / params.eps;
                if ratio > KERNEL_LIMIT_F64 {
                    return Err(Error::KernelUnderflow { eps: params.eps, ratio, limit: KERNEL_LIMIT_F64 });
                }
                let u = vec![1.0; n];
                let k = kernel(&c, start_eps);
                let ktu = transpose_times(&k, &u, m);
                State::Kernel { k, u, v: vec![1.0; m], ktu }
            }
            Method::LogSinkhorn | Method::Sns => State::Log { f: vec![0.0; n], g: vec![0.0; m], cols: None },
        };
        Ok(Self {
            params,
            a: problem.a.clone(),
            b: problem.b.clone(),
            c,
            ct,
            n,
            m,
            state,
            iteration: 0,
            newton_steps: 0,
            eps_now: start_eps,
            stage_iters: 0,
            rows_stale: false,
            error: None,
            elapsed_ms: 0.0,
            last: None,
            newton: None,
            keep,
        })
    }

    pub fn params(&self) -> &SolverParams {
        &self.params
    }

    /// Entries per row SNS's sparsified Hessian keeps now (the automatic density grows it).
    pub fn keep(&self) -> usize {
        self.keep
    }

    /// Changes the stopping rule mid-run (no restart: the iterate stays valid). A run that had stopped
    /// at the old tolerance or iteration cap continues if the new rule asks for more.
    pub fn set_stopping(&mut self, tol: f64, max_iter: u64) -> Result<()> {
        SolverParams { tol, max_iter, ..self.params.clone() }.validate()?;
        self.params.tol = tol;
        self.params.max_iter = max_iter;
        self.last = None;
        Ok(())
    }

    /// Current potentials (f, g).
    pub fn potentials(&self) -> (Vec<f64>, Vec<f64>) {
        match &self.state {
            State::Log { f, g, .. } => (f.clone(), g.clone()),
            State::Kernel { u, v, .. } => {
                let eps = self.eps_now;
                (u.iter().map(|x| eps * x.ln()).collect(), v.iter().map(|x| eps * x.ln()).collect())
            }
        }
    }

    /// The current plan P (n × m, row-major).
    pub fn plan(&self) -> Vec<f64> {
        let (f, g) = self.potentials();
        plan(&self.c, &f, &g, self.eps_now, self.m)
    }

    /// Marginal error, ⟨C,P⟩ and F at the current iterate (one dense pass, rows split over the CPU pool).
    pub fn summary(&self) -> OtSummary {
        let (f, g) = self.potentials();
        let eps = self.eps_now;
        let inv_eps = 1.0 / eps;
        let m = self.m;
        // One row of P into `p`: kernel mode has P = diag(u) K diag(v) at hand (no exponentials).
        let fill = |i: usize, p: &mut [f64]| {
            let costs = &self.c[i * m..(i + 1) * m];
            match &self.state {
                State::Kernel { k, u, v, .. } => {
                    p.iter_mut().zip(&k[i * m..(i + 1) * m]).zip(v).for_each(|((p, kij), vj)| *p = u[i] * kij * vj)
                }
                State::Log { .. } => plan_row(p, costs, &g, f[i], inv_eps),
            }
        };
        let parts = plan_sums(self.n, m, &self.c, fill);
        let mut row = Vec::with_capacity(self.n);
        let mut col = vec![0.0; m];
        let mut cost = 0.0;
        for part in parts {
            row.extend(part.row);
            col.iter_mut().zip(part.col).for_each(|(acc, x)| *acc += x);
            cost += part.cost;
        }
        let mass: f64 = row.iter().sum();
        let err = l1(&row, &self.a) + l1(&col, &self.b);
        let dual = dot(&self.a, &f) + dot(&self.b, &g) - eps * mass;
        let converged = err <= self.params.tol;
        OtSummary {
            iterations: self.iteration,
            newton_steps: self.newton_steps,
            marginal_error: err,
            transport_cost: cost,
            dual_objective: dual,
            converged,
        }
    }

    /// One Sinkhorn iteration; returns the marginal error of the iterate it started from, and whether
    /// it stopped (tolerance met: the iterate is left unchanged).
    fn sinkhorn_iteration(&mut self) -> Result<(f64, bool)> {
        let (err, met) = self.sinkhorn_half_steps()?;
        if !met && self.eps_now > self.params.eps {
            self.stage_iters += 1;
            if err <= STAGE_TOL || self.stage_iters >= STAGE_MAX {
                self.set_eps((self.eps_now / 2.0).max(self.params.eps))?;
            }
        }
        Ok((err, met))
    }

    /// Moves to a new ε keeping the potentials (kernel mode rescales u, v and rebuilds K and Kᵀu).
    fn set_eps(&mut self, eps: f64) -> Result<()> {
        let old = self.eps_now;
        self.eps_now = eps;
        self.stage_iters = 0;
        self.rows_stale = true;
        if let State::Log { cols, .. } = &mut self.state {
            *cols = None;
        }
        if let State::Kernel { k, u, v, ktu } = &mut self.state {
            let rescale = |x: &mut f64| *x = (x.ln() * old / eps).exp();
            u.iter_mut().for_each(rescale);
            v.iter_mut().for_each(rescale);
            *k = kernel(&self.c, eps);
            *ktu = transpose_times(k, u, self.m);
            if !u.iter().chain(v.iter()).chain(ktu.iter()).all(|x| x.is_finite() && *x > 0.0) {
                return Err(Error::KernelUnderflow {
                    eps,
                    ratio: self.c.iter().copied().fold(0.0, f64::max) / eps,
                    limit: KERNEL_LIMIT_F64,
                });
            }
        }
        Ok(())
    }

    fn sinkhorn_half_steps(&mut self) -> Result<(f64, bool)> {
        let eps = self.eps_now;
        let (n, m) = (self.n, self.m);
        // The tolerance counts only at the target ε (not during ε-scaling's coarser stages).
        let first = self.iteration == 0 || eps != self.params.eps || self.rows_stale;
        self.rows_stale = false;
        match &mut self.state {
            State::Kernel { k, u, v, ktu } => {
                // ktu = Kᵀu was accumulated by the previous pass; rows are exact after the u-update.
                let err: f64 = (0..m).map(|j| (v[j] * ktu[j] - self.b[j]).abs()).sum();
                if !first && err <= self.params.tol {
                    return Ok((err, true));
                }
                for j in 0..m {
                    v[j] = self.b[j] / ktu[j];
                }
                // One fused pass over K: u_i = a_i / (K v)_i and, while row i is in cache, Kᵀu += u_i K_i.
                let a = &self.a;
                let (new_u, new_ktu) = crate::cpu::fused::row_pass(k, v, n, m, |i, kv| a[i] / kv);
                *u = new_u;
                *ktu = new_ktu;
                if !(u.iter().chain(v.iter()).chain(ktu.iter()).all(|x| x.is_finite() && *x > 0.0)) {
                    return Err(Error::KernelUnderflow {
                        eps,
                        ratio: self.c.iter().copied().fold(0.0, f64::max) / eps,
                        limit: KERNEL_LIMIT_F64,
                    });
                }
                Ok((err, false))
            }
            State::Log { f, g, cols } => {
                // The g-update from the column sums the last f-update kept (one exponential per entry per
                // iteration), else (the first iteration, a new ε) its own LSE pass over Cᵀ.
                let kept = cols.take().filter(|_| !first);
                let (g_new, err) = match &kept {
                    Some(sums) => g_from_column_sums(sums, f, g, &self.b, &self.ct, eps),
                    None => {
                        let g_new = lse_update(&self.ct, f, &self.b, eps, m, n);
                        let err = (0..m).map(|j| (self.b[j] * ((g[j] - g_new[j]) / eps).exp() - self.b[j]).abs()).sum();
                        (g_new, err)
                    }
                };
                if !first && err <= self.params.tol {
                    *cols = kept;
                    return Ok((err, true));
                }
                *g = g_new;
                let (f_new, sums) = lse_update_cols(&self.c, g, &self.a, eps, n, m);
                *f = f_new;
                *cols = Some(sums);
                Ok((err, false))
            }
        }
    }

    /// One SNS Newton step from the current potentials ([`super::sns`]'s step on the dense f64 plan).
    /// Returns the error at the starting iterate and whether the tolerance was met there (then nothing
    /// moves).
    fn newton_step(&mut self) -> Result<(f64, bool)> {
        if self.eps_now != self.params.eps {
            self.set_eps(self.params.eps)?;
        }
        let eps = self.params.eps;
        let (n, m) = (self.n, self.m);
        let State::Log { f, g, cols } = &mut self.state else { unreachable!("SNS runs in the log domain") };
        // The Newton step moves the potentials: the kept column sums no longer hold.
        *cols = None;
        let p = plan(&self.c, f, g, eps, m);
        let (row, col) = marginals(&p, n, m);
        let (grad, err) = gradient(&self.a, &self.b, &row, &col);
        if err <= self.params.tol {
            return Ok((err, true));
        }
        let mut kept = top_k_rows(&p, n, m, self.keep);
        if self.params.density.is_none() {
            let total: f64 = row.iter().sum();
            let most = (AUTO_MAX_KEPT_ENTRIES / n).clamp(DEFAULT_KEEP_PER_ROW.min(m), m);
            while let Some(k) = grow_keep(self.keep, most, kept.values.iter().sum(), total) {
                self.keep = k;
                kept = top_k_rows(&p, n, m, k);
            }
        }
        let (d, slope, cg_iterations) = direction(&grad, &kept, &row, &col, eps, 1e-10, 4 * (n + m));
        let mut alpha = 1.0;
        let mut accepted = false;
        for _ in 0..MAX_HALVINGS {
            // F's change computed as a change (no cancellation of two F values near the optimum, where F
            // moves by less than its own rounding).
            let (gain, rounding) = ascent(&p, &self.c, f, g, &d, alpha, eps, &self.a, &self.b);
            if armijo(gain, alpha, slope, rounding) {
                accepted = true;
                break;
            }
            alpha *= 0.5;
        }
        let nnz = kept.values.len() + n + m;
        let kept_mass = share(kept.values.iter().sum(), row.iter().sum());
        if !accepted || !slope.is_finite() || slope <= 0.0 {
            // Far from the optimum the sparsified Newton direction can fail to ascend: take a Sinkhorn
            // step instead (the safeguard of SNS implementations); the frame shows step size 0.
            self.newton = Some(NewtonReport { step_size: 0.0, nnz, kept_mass, cg_iterations });
            *g = lse_update(&self.ct, f, &self.b, eps, m, n);
            *f = lse_update(&self.c, g, &self.a, eps, n, m);
            return Ok((err, false));
        }
        f.iter_mut().zip(&d[..n]).for_each(|(x, dx)| *x += alpha * dx);
        g.iter_mut().zip(&d[n..]).for_each(|(y, dy)| *y += alpha * dy);
        self.newton = Some(NewtonReport { step_size: alpha, nnz, kept_mass, cg_iterations });
        Ok((err, false))
    }

    fn frame(&mut self, done: bool, stop: Option<StopReason>) -> Frame {
        let s = self.summary();
        let mut metrics = std::collections::BTreeMap::new();
        metrics.insert(key::MARGINAL_ERROR.to_owned(), s.marginal_error);
        metrics.insert(key::TRANSPORT_COST.to_owned(), s.transport_cost);
        metrics.insert(key::DUAL_OBJECTIVE.to_owned(), s.dual_objective);
        metrics.insert(key::NEWTON_STEPS.to_owned(), self.newton_steps as f64);
        metrics.insert(key::EPS.to_owned(), self.eps_now);
        let newton_phase = self.params.method == Method::Sns && self.iteration > self.params.n1;
        if let (true, Some(r)) = (newton_phase, self.newton) {
            metrics.insert(key::STEP_SIZE.to_owned(), r.step_size);
            metrics.insert(key::NNZ.to_owned(), r.nnz as f64);
            if let Some(k) = r.kept_mass {
                metrics.insert(key::KEPT_MASS.to_owned(), k);
            }
            metrics.insert(key::CG_ITERATIONS.to_owned(), r.cg_iterations as f64);
        }
        Frame {
            iteration: self.iteration,
            metrics,
            elapsed_ms: self.elapsed_ms,
            done,
            converged: s.marginal_error <= self.params.tol,
            stop,
            phase: Some(if newton_phase { "newton" } else { "sinkhorn" }.into()),
        }
    }
}

impl Stepper for OtSolver {
    /// Runs iterations (Sinkhorn or Newton by phase) until the budget, the tolerance or max_iter.
    async fn step(&mut self, budget: Budget) -> Result<Frame> {
        self.run(budget)
    }
}

impl OtSolver {
    /// [`Stepper::step`] without the future: the CPU solver never waits (the OT sweep's worker threads
    /// call it).
    pub fn run(&mut self, budget: Budget) -> Result<Frame> {
        if let Some(last) = self.last.as_ref().filter(|f| f.done) {
            return Ok(last.clone());
        }
        let start = Instant::now();
        let mut ran = 0;
        let mut stop = None;
        while ran < budget.max_iterations {
            if self.iteration >= self.params.max_iter {
                stop = Some(StopReason::MaxIterations);
                break;
            }
            let newton = self.params.method == Method::Sns && self.iteration >= self.params.n1;
            let (err, met) = if newton { self.newton_step()? } else { self.sinkhorn_iteration()? };
            if !err.is_finite() {
                stop = Some(StopReason::Divergence);
                break;
            }
            self.error = Some(err);
            if met {
                // The step's own error met the tolerance; the frame's (both marginals of the plan) must
                // too. At tiny ε the two differ by rounding (|f|/ε·1e-16): then this is the precision floor.
                let full = self.summary().marginal_error;
                stop = Some(if full <= self.params.tol { StopReason::Tolerance } else { StopReason::Stalled });
                break;
            }
            self.iteration += 1;
            if newton {
                self.newton_steps += 1;
            }
            ran += 1;
            if start.elapsed().as_secs_f64() * 1e3 >= budget.max_millis {
                break;
            }
        }
        if stop.is_none() && self.iteration >= self.params.max_iter {
            stop = Some(StopReason::MaxIterations);
        }
        self.elapsed_ms += start.elapsed().as_secs_f64() * 1e3;
        let frame = self.frame(stop.is_some(), stop);
        self.last = Some(frame.clone());
        Ok(frame)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The summary's split, lane-summed pass against the plan summed one entry at a time, in both modes, on
    /// a problem large enough to split its rows over the pool (300 × 250) and one too small to (7 × 13).
    #[test]
    fn the_summary_matches_the_plan_summed_entry_by_entry() {
        for (n, m) in [(300, 250), (7, 13)] {
            for method in [Method::Sinkhorn, Method::LogSinkhorn] {
                let p =
                    super::super::ProblemSpec { kind: super::super::ProblemKind::Random, n, m, ..Default::default() }
                        .build()
                        .unwrap();
                let mut s = OtSolver::new(
                    &p,
                    SolverParams { method, eps: 0.05, tol: 1e-300, max_iter: 1000, ..SolverParams::default() },
                )
                .unwrap();
                crate::frame::poll_ready(s.step(Budget::iterations(7))).unwrap();
                let plan = s.plan();
                let (row, col) = marginals(&plan, n, m);
                let cost: f64 = plan.iter().zip(&s.c).map(|(p, c)| p * c).sum();
                let (f, g) = s.potentials();
                let mass: f64 = plan.iter().sum();
                let err = l1(&row, &s.a) + l1(&col, &s.b);
                let dual = dot(&s.a, &f) + dot(&s.b, &g) - s.eps_now * mass;
                let got = s.summary();
                let close = |x: f64, y: f64| (x - y).abs() <= 1e-12 * (1.0 + y.abs());
                assert!(
                    close(got.transport_cost, cost) && close(got.dual_objective, dual),
                    "{method} {n}×{m}: {got:?} vs cost {cost} dual {dual}"
                );
                assert!(
                    (got.marginal_error - err).abs() <= 1e-13,
                    "{method} {n}×{m}: error {} vs {err}",
                    got.marginal_error
                );
            }
        }
    }
}
