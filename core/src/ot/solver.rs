//! Entropic OT solvers on the CPU (f64): kernel Sinkhorn, log-domain Sinkhorn and
//! Sinkhorn–Newton–Sparse, behind one stepper.
//!
//! Notation (REFERENCE.md §1): P_ij = exp((f_i + g_j − C_ij)/ε), potentials f ∈ ℝⁿ, g ∈ ℝᵐ.
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

use super::problem::OtProblem;
use crate::error::{Error, Result};
use crate::cpu::exp::exp;
use crate::cpu::fused::{dot8, lanes8, Aligned};
use crate::frame::{Budget, Frame, StopReason, Stepper};

/// Largest n·m the CPU solvers accept (the cost matrix is held twice in f64: 2 × 8 bytes per entry).
pub const MAX_CPU_ENTRIES: usize = 1 << 25;
/// ε-scaling: a stage ends when its marginal error is below this, or after `STAGE_MAX` iterations.
const STAGE_TOL: f64 = 1e-3;
const STAGE_MAX: u64 = 100;
/// Armijo halvings before a Newton step gives way to a Sinkhorn step.
pub(crate) const MAX_HALVINGS: usize = 30;
/// exp(−x) underflows to 0 in f64 beyond x ≈ 708; kernel mode refuses C/ε above this.
pub const KERNEL_LIMIT_F64: f64 = 700.0;

crate::choice! {
    /// The solver (`--method`).
    pub enum Method("method") {
        Sinkhorn => "sinkhorn",
        LogSinkhorn => "log-sinkhorn",
        Sns => "sns",
    }
}

/// Solver parameters (UI panel, CLI flags).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SolverParams {
    pub method: Method,
    /// Entropic regularisation ε (POT's `reg`), > 0.
    pub eps: f64,
    /// SNS: Sinkhorn steps before Newton.
    pub n1: u64,
    /// SNS: kept density λ ∈ (0, 1] of the sparsified Hessian (top ⌈λm⌉ entries per row); `None` is
    /// automatic: 10 per row to start, doubled whenever the kept entries hold less than
    /// [`AUTO_KEPT_MASS`] of P's mass (up to [`AUTO_MAX_KEPT_ENTRIES`] in all).
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

/// Entries kept per row at the start when no density is given (REFERENCE.md: 5n–10n reach 1e-12 on the
/// random assignment problem).
pub const DEFAULT_KEEP_PER_ROW: usize = 10;

/// The automatic density's rule: keep doubling the entries per row until they hold this fraction of P's
/// mass. Ten per row suit the random assignment problem (its plan is nearly a permutation), but a point
/// cloud's plan spreads each row over its neighbours: on 500 moons at ε = 0.01, ten per row hold a third
/// of the mass, the sparsified Newton direction is little better than a Sinkhorn step and SNS converges
/// linearly (280 Newton steps to 0.17); holding 99 % it converges in 28. (90 % still needs 74; 99.9 %
/// keeps twice the entries for the same steps.)
pub const AUTO_KEPT_MASS: f64 = 0.99;

/// The automatic density's memory bound: at most this many kept entries in all (n·k; 64 MB of sparse
/// Hessian in f64 with its column indices), whatever the mass they hold — on a 4000 × 4000 problem
/// k stops at 1048 per row.
pub const AUTO_MAX_KEPT_ENTRIES: usize = 1 << 22;

impl SolverParams {
    pub fn validate(&self) -> Result<()> {
        if !(self.eps.is_finite() && self.eps > 0.0) {
            return Err(Error::Invalid { name: "eps", message: format!("it must be a positive number, got {}", self.eps) });
        }
        if !(self.tol.is_finite() && self.tol > 0.0) {
            return Err(Error::Invalid { name: "tol", message: format!("it must be a positive number, got {}", self.tol) });
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
    /// Log domain (also SNS): potentials f, g.
    Log { f: Vec<f64>, g: Vec<f64> },
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

#[derive(Debug, Clone, Copy)]
pub(crate) struct NewtonReport {
    pub(crate) step_size: f64,
    pub(crate) nnz: usize,
    /// Fraction of P's mass the kept entries hold (None when P's mass underflowed to 0).
    pub(crate) kept_mass: Option<f64>,
    pub(crate) cg_iterations: usize,
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
            Method::LogSinkhorn | Method::Sns => State::Log { f: vec![0.0; n], g: vec![0.0; m] },
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
            State::Log { f, g } => (f.clone(), g.clone()),
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
                State::Kernel { k, u, v, .. } => p.iter_mut().zip(&k[i * m..(i + 1) * m]).zip(v).for_each(|((p, kij), vj)| *p = u[i] * kij * vj),
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
            State::Log { f, g } => {
                let g_new = lse_update(&self.ct, f, &self.b, eps, m, n);
                let err: f64 = (0..m).map(|j| (self.b[j] * ((g[j] - g_new[j]) / eps).exp() - self.b[j]).abs()).sum();
                if !first && err <= self.params.tol {
                    return Ok((err, true));
                }
                *g = g_new;
                *f = lse_update(&self.c, g, &self.a, eps, n, m);
                Ok((err, false))
            }
        }
    }

    /// One SNS Newton step from the current potentials. Returns the error at the starting iterate and
    /// whether the tolerance was met there (then nothing moves).
    fn newton_step(&mut self) -> Result<(f64, bool)> {
        if self.eps_now != self.params.eps {
            self.set_eps(self.params.eps)?;
        }
        let eps = self.params.eps;
        let (n, m) = (self.n, self.m);
        let State::Log { f, g } = &mut self.state else { unreachable!("SNS runs in the log domain") };
        let p = plan(&self.c, f, g, eps, m);
        let (row, col) = marginals(&p, n, m);
        let grad: Vec<f64> = self.a.iter().zip(&row).map(|(a, r)| a - r).chain(self.b.iter().zip(&col).map(|(b, c)| b - c)).collect();
        let err: f64 = grad.iter().map(|x| x.abs()).sum();
        if err <= self.params.tol {
            return Ok((err, true));
        }
        let mut sparse = top_k_rows(&p, n, m, self.keep);
        if self.params.density.is_none() {
            let total: f64 = row.iter().sum();
            let most = (AUTO_MAX_KEPT_ENTRIES / n).clamp(DEFAULT_KEEP_PER_ROW.min(m), m);
            while self.keep < most && sparse.values.iter().sum::<f64>() < AUTO_KEPT_MASS * total {
                self.keep = (self.keep * 2).min(most);
                sparse = top_k_rows(&p, n, m, self.keep);
            }
        }
        let rhs: Vec<f64> = grad.iter().map(|x| eps * x).collect();
        let (d, cg_iterations) = pcg(&sparse, &row, &col, &rhs, 1e-10, 4 * (n + m));
        let slope = dot(&grad, &d);
        let mut alpha = 1.0;
        let mut accepted = false;
        for _ in 0..MAX_HALVINGS {
            // Armijo on the concave F (maximised), with F's change computed as a change (no cancellation
            // of two F values near the optimum, where F moves by less than its own rounding).
            let (gain, rounding) = ascent(&p, &self.c, f, g, &d, alpha, eps, &self.a, &self.b);
            if gain.is_finite() && gain >= 1e-4 * alpha * slope - rounding {
                accepted = true;
                break;
            }
            alpha *= 0.5;
        }
        let nnz = sparse.values.len() + n + m;
        let kept_mass = share(sparse.values.iter().sum(), row.iter().sum());
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
        metrics.insert("marginal_error".into(), s.marginal_error);
        metrics.insert("transport_cost".into(), s.transport_cost);
        metrics.insert("dual_objective".into(), s.dual_objective);
        metrics.insert("newton_steps".into(), self.newton_steps as f64);
        metrics.insert("eps".into(), self.eps_now);
        let newton_phase = self.params.method == Method::Sns && self.iteration > self.params.n1;
        if let (true, Some(r)) = (newton_phase, self.newton) {
            metrics.insert("step_size".into(), r.step_size);
            metrics.insert("nnz".into(), r.nnz as f64);
            if let Some(k) = r.kept_mass {
                metrics.insert("kept_mass".into(), k);
            }
            metrics.insert("cg_iterations".into(), r.cg_iterations as f64);
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

/// K = exp(−C/ε).
fn kernel(c: &[f64], eps: f64) -> Aligned {
    Aligned::new(c.len(), c.iter().map(|&x| (-x / eps).exp()))
}

/// Kᵀu for K with rows of length m.
fn transpose_times(k: &[f64], u: &[f64], m: usize) -> Vec<f64> {
    let mut out = vec![0.0; m];
    for (line, ui) in k.chunks(m).zip(u) {
        out.iter_mut().zip(line).for_each(|(acc, kij)| *acc += kij * ui);
    }
    out
}

pub(crate) fn dot(x: &[f64], y: &[f64]) -> f64 {
    x.iter().zip(y).map(|(a, b)| a * b).sum()
}

/// kept / total, when that is a number (P's mass can underflow to 0 at a tiny ε).
pub(crate) fn share(kept: f64, total: f64) -> Option<f64> {
    Some(kept / total).filter(|s| s.is_finite() && total > 0.0)
}

fn l1(x: &[f64], y: &[f64]) -> f64 {
    x.iter().zip(y).map(|(a, b)| (a - b).abs()).sum()
}

/// out_i = ε log w_i − ε LSE_j((p_j − C_ij)/ε) for C given row-major with `rows` rows of length `cols`. The
/// max and the sum run in eight lanes and the exponential is `cpu::exp::exp`, so a row vectorises.
fn lse_update(c: &[f64], p: &[f64], w: &[f64], eps: f64, rows: usize, cols: usize) -> Vec<f64> {
    let inv_eps = 1.0 / eps;
    by_rows(rows, cols, |range| {
        range
            .map(|i| {
                let (max, s) = lse_row(&c[i * cols..(i + 1) * cols], p, inv_eps);
                eps * w[i].ln() - max - eps * s.ln()
            })
            .collect()
    })
}

crate::cpu::widest! {
    /// (max_j (p_j − line_j), Σ_j exp((p_j − line_j − max)·inv_eps)): a row of the LSE half-step.
    fn lse_row(line: &[f64], p: &[f64], inv_eps: f64) -> (f64, f64) {
        let max = lanes_max(line, p);
        (max, lanes8(line, p, |cij, pj| exp((pj - cij - max) * inv_eps)))
    }
}

crate::cpu::widest! {
    /// out_j = exp((f_i + g_j − C_ij)·inv_eps): a row of the plan.
    fn plan_row(out: &mut [f64], costs: &[f64], g: &[f64], fi: f64, inv_eps: f64) -> () {
        for ((o, cij), gj) in out.iter_mut().zip(costs).zip(g) {
            *o = exp((fi + gj - cij) * inv_eps);
        }
    }
}

/// max_j (p_j − line_j), in eight lanes.
#[inline(always)]
fn lanes_max(line: &[f64], p: &[f64]) -> f64 {
    let mut acc = [f64::NEG_INFINITY; 8];
    let (lc, pc) = (line.chunks_exact(8), p.chunks_exact(8));
    let tail = lc.remainder().iter().zip(pc.remainder()).map(|(c, p)| p - c).fold(f64::NEG_INFINITY, f64::max);
    for (c, q) in lc.zip(pc) {
        for l in 0..8 {
            acc[l] = acc[l].max(q[l] - c[l]);
        }
    }
    acc.into_iter().fold(tail, f64::max)
}

/// P_ij = exp((f_i + g_j − C_ij)/ε), rows split over the CPU pool.
fn plan(c: &[f64], f: &[f64], g: &[f64], eps: f64, m: usize) -> Vec<f64> {
    let inv_eps = 1.0 / eps;
    by_rows(f.len(), m, |range| {
        let mut out = vec![0.0; range.len() * m];
        for (row, i) in out.chunks_mut(m).zip(range) {
            plan_row(row, &c[i * m..(i + 1) * m], g, f[i], inv_eps);
        }
        out
    })
}

/// What one part of the rows contributes to a plan's summary: its row sums, its column sums and ⟨C,P⟩ over
/// its rows.
struct PlanSums {
    row: Vec<f64>,
    col: Vec<f64>,
    cost: f64,
}

/// The row sums, the column sums per part and ⟨C,P⟩ of the plan whose rows `fill` writes, rows split over
/// the CPU pass's threads like [`by_rows`] (parts in row order). Sums run in eight lanes, so they vectorise.
fn plan_sums(n: usize, m: usize, c: &[f64], fill: impl Fn(usize, &mut [f64]) + Sync) -> Vec<PlanSums> {
    let part = |range: std::ops::Range<usize>| {
        let mut p = vec![0.0; m];
        let mut out = PlanSums { row: Vec::with_capacity(range.len()), col: vec![0.0; m], cost: 0.0 };
        for i in range {
            fill(i, &mut p);
            out.row.push(lanes8(&p, &p, |x, _| x));
            out.cost += dot8(&p, &c[i * m..(i + 1) * m]);
            out.col.iter_mut().zip(&p).for_each(|(acc, x)| *acc += x);
        }
        out
    };
    let threads = if n * m >= 1 << 16 { crate::cpu::pool::threads().min(n) } else { 1 };
    if threads <= 1 {
        return vec![part(0..n)];
    }
    let chunk = n.div_ceil(threads);
    crate::cpu::pool::map_parts(threads, |t| part((t * chunk).min(n)..((t + 1) * chunk).min(n)))
}

/// `work(0..rows)` with the rows split over the CPU pass's threads (core::cpu::pool) once the matrix is
/// large enough to pay for the hand-off; each row's arithmetic is the same either way, so the result is
/// identical bit for bit. `work` returns its rows' outputs in order.
fn by_rows<T: Send>(rows: usize, cols: usize, work: impl Fn(std::ops::Range<usize>) -> Vec<T> + Sync) -> Vec<T> {
    let threads = if rows * cols >= 1 << 16 { crate::cpu::pool::threads().min(rows) } else { 1 };
    if threads <= 1 {
        return work(0..rows);
    }
    let chunk = rows.div_ceil(threads);
    crate::cpu::pool::map_parts(threads, |t| work((t * chunk).min(rows)..((t + 1) * chunk).min(rows))).into_iter().flatten().collect()
}

/// F(x + αd) − F(x) for the Lyapunov potential F(x, y) = ⟨a,x⟩ + ⟨b,y⟩ − ε Σ_ij exp((x_i + y_j − C_ij)/ε),
/// from the plan P at (x, y): α(⟨a,d_x⟩ + ⟨b,d_y⟩) − ε Σ_ij P_ij·expm1(α(d_x,i + d_y,j)/ε). Subtracting two
/// values of F instead loses the change to rounding once it is below ~1e-16·|F| — which happens within
/// reach of the tolerance, and then no step ever passes Armijo. Returns the change and a bound on its
/// rounding (a few ulps of the sums of the terms' magnitudes). An entry of P that underflowed to 0 is
/// recomputed from C at the trial point.
#[allow(clippy::too_many_arguments)]
fn ascent(p: &[f64], c: &[f64], f: &[f64], g: &[f64], d: &[f64], alpha: f64, eps: f64, a: &[f64], b: &[f64]) -> (f64, f64) {
    let (n, m) = (a.len(), b.len());
    let (dx, dy) = d.split_at(n);
    let linear = alpha * (dot(a, dx) + dot(b, dy));
    let linear_size = alpha * (a.iter().zip(dx).map(|(x, y)| (x * y).abs()).sum::<f64>() + b.iter().zip(dy).map(|(x, y)| (x * y).abs()).sum::<f64>());
    let (mut change, mut change_size) = (0.0, 0.0);
    for i in 0..n {
        let (line, costs) = (&p[i * m..(i + 1) * m], &c[i * m..(i + 1) * m]);
        for j in 0..m {
            let t = alpha * (dx[i] + dy[j]) / eps;
            let term = if line[j] > 0.0 { line[j] * t.exp_m1() } else { ((f[i] + g[j] - costs[j]) / eps + t).exp() };
            change += term;
            change_size += term.abs();
        }
    }
    (linear - eps * change, 8.0 * f64::EPSILON * (linear_size + eps * change_size))
}

fn marginals(p: &[f64], n: usize, m: usize) -> (Vec<f64>, Vec<f64>) {
    let mut row = vec![0.0; n];
    let mut col = vec![0.0; m];
    for i in 0..n {
        for j in 0..m {
            row[i] += p[i * m + j];
            col[j] += p[i * m + j];
        }
    }
    (row, col)
}

/// A row-compressed sparse n × m matrix.
pub(crate) struct Csr {
    pub(crate) starts: Vec<usize>,
    pub(crate) cols: Vec<usize>,
    pub(crate) values: Vec<f64>,
}

impl Csr {
    fn row(&self, i: usize) -> (&[usize], &[f64]) {
        let r = self.starts[i]..self.starts[i + 1];
        (&self.cols[r.clone()], &self.values[r])
    }
}

/// The k largest entries of each row of P.
fn top_k_rows(p: &[f64], n: usize, m: usize, k: usize) -> Csr {
    let mut starts = Vec::with_capacity(n + 1);
    let mut cols = Vec::with_capacity(n * k);
    let mut values = Vec::with_capacity(n * k);
    let mut idx: Vec<usize> = Vec::with_capacity(m);
    starts.push(0);
    for i in 0..n {
        let line = &p[i * m..(i + 1) * m];
        super::analysis::top_k_in_row(line, k, &mut idx);
        idx.sort_unstable();
        for &j in &idx {
            cols.push(j);
            values.push(line[j]);
        }
        starts.push(cols.len());
    }
    Csr { starts, cols, values }
}

/// Solves [[diag r, S], [Sᵀ, diag c]] d = rhs by Jacobi-preconditioned CG from d = 0, to relative
/// residual `rtol` or `max_iter` iterations. Returns d and the iterations used.
pub(crate) fn pcg(s: &Csr, r: &[f64], c: &[f64], rhs: &[f64], rtol: f64, max_iter: usize) -> (Vec<f64>, usize) {
    let (n, m) = (r.len(), c.len());
    let apply = |x: &[f64], out: &mut [f64]| {
        out[..n].iter_mut().zip(r).zip(&x[..n]).for_each(|((o, ri), xi)| *o = ri * xi);
        out[n..].iter_mut().zip(c).zip(&x[n..]).for_each(|((o, cj), xj)| *o = cj * xj);
        for i in 0..n {
            let (cols, vals) = s.row(i);
            let mut acc = 0.0;
            for (&j, &v) in cols.iter().zip(vals) {
                acc += v * x[n + j];
                out[n + j] += v * x[i];
            }
            out[i] += acc;
        }
    };
    let diag: Vec<f64> = r.iter().chain(c).map(|d| d.max(1e-300)).collect();
    let mut x = vec![0.0; n + m];
    let mut res = rhs.to_vec();
    let mut z: Vec<f64> = res.iter().zip(&diag).map(|(a, d)| a / d).collect();
    let mut dir = z.clone();
    let mut rz = dot(&res, &z);
    let target = rtol * dot(rhs, rhs).sqrt();
    let mut q = vec![0.0; n + m];
    for it in 0..max_iter {
        if dot(&res, &res).sqrt() <= target {
            return (x, it);
        }
        apply(&dir, &mut q);
        let curvature = dot(&dir, &q);
        if curvature <= 0.0 {
            return (x, it);
        }
        let alpha = rz / curvature;
        x.iter_mut().zip(&dir).for_each(|(xi, di)| *xi += alpha * di);
        res.iter_mut().zip(&q).for_each(|(ri, qi)| *ri -= alpha * qi);
        z.iter_mut().zip(res.iter().zip(&diag)).for_each(|(zi, (ri, di))| *zi = ri / di);
        let rz_new = dot(&res, &z);
        let beta = rz_new / rz;
        rz = rz_new;
        dir.iter_mut().zip(&z).for_each(|(di, zi)| *di = zi + beta * *di);
    }
    (x, max_iter)
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
                let p = super::super::ProblemSpec { kind: super::super::ProblemKind::Random, n, m, ..Default::default() }.build().unwrap();
                let mut s = OtSolver::new(&p, SolverParams { method, eps: 0.05, tol: 1e-300, max_iter: 1000, ..SolverParams::default() }).unwrap();
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
                assert!(close(got.transport_cost, cost) && close(got.dual_objective, dual), "{method} {n}×{m}: {got:?} vs cost {cost} dual {dual}");
                assert!((got.marginal_error - err).abs() <= 1e-13, "{method} {n}×{m}: error {} vs {err}", got.marginal_error);
            }
        }
    }

    /// F(f, g) = ⟨a,f⟩ + ⟨b,g⟩ − ε Σ exp((f_i + g_j − C_ij)/ε), directly.
    fn potential(c: &[f64], f: &[f64], g: &[f64], a: &[f64], b: &[f64], eps: f64) -> f64 {
        let m = g.len();
        let mass: f64 = c.chunks(m).zip(f).map(|(line, fi)| line.iter().zip(g).map(|(cij, gj)| ((fi + gj - cij) / eps).exp()).sum::<f64>()).sum();
        dot(a, f) + dot(b, g) - eps * mass
    }

    #[test]
    fn row_split_passes_equal_the_serial_ones_bit_for_bit() {
        // 300 × 300 is over the split threshold: the rows go to the pool's threads.
        let (n, m, eps) = (300, 301, 0.01);
        let mut rng = crate::rng::SplitMix64::new(8);
        let c: Vec<f64> = (0..n * m).map(|_| rng.uniform()).collect();
        let g: Vec<f64> = (0..m).map(|_| 0.01 * rng.normal()).collect();
        let f: Vec<f64> = (0..n).map(|_| 0.01 * rng.normal()).collect();
        let a = vec![1.0 / n as f64; n];
        // The same per-row arithmetic on one thread, compiled for the baseline (the passes run the widest
        // vector unit there is): neither the split nor the vector unit changes a bit.
        let inv_eps = 1.0 / eps;
        let serial: Vec<f64> = (0..n)
            .map(|i| {
                let line = &c[i * m..(i + 1) * m];
                let max = lanes_max(line, &g);
                let s = lanes8(line, &g, |cij, pj| exp((pj - cij - max) * inv_eps));
                eps * a[i].ln() - max - eps * s.ln()
            })
            .collect();
        let split = lse_update(&c, &g, &a, eps, n, m);
        assert_eq!(split, serial);
        let serial_plan: Vec<f64> = c.iter().enumerate().map(|(k, cij)| exp((f[k / m] + g[k % m] - cij) * inv_eps)).collect();
        let split_plan = plan(&c, &f, &g, eps, m);
        assert_eq!(split_plan, serial_plan);
        // And both agree with libm's exp summed in order, to rounding.
        for i in 0..n {
            let line = &c[i * m..(i + 1) * m];
            let max = line.iter().zip(&g).map(|(cij, pj)| pj - cij).fold(f64::NEG_INFINITY, f64::max);
            let s: f64 = line.iter().zip(&g).map(|(cij, pj)| ((pj - cij - max) / eps).exp()).sum();
            let libm = eps * a[i].ln() - max - eps * s.ln();
            assert!((split[i] - libm).abs() <= 1e-15 * (1.0 + libm.abs()), "row {i}: {} vs {libm}", split[i]);
        }
        // An entry to two ulps of exp plus what x/ε vs x·(1/ε) moves the argument (an ulp of |x/ε|).
        for (k, (got, cij)) in split_plan.iter().zip(&c).enumerate() {
            let arg = (f[k / m] + g[k % m] - cij) / eps;
            let want = arg.exp();
            assert!((got - want).abs() <= 4.5e-16 * (2.0 + arg.abs()) * want, "entry {k}: {got} vs {want}");
        }
    }

    #[test]
    fn the_ascent_is_f_s_change_and_stays_exact_where_the_difference_of_f_values_is_rounding() {
        let (n, m, eps) = (7, 5, 0.05);
        let mut rng = crate::rng::SplitMix64::new(4);
        let c: Vec<f64> = (0..n * m).map(|_| rng.uniform()).collect();
        let (a, b) = (vec![1.0 / n as f64; n], vec![1.0 / m as f64; m]);
        let f: Vec<f64> = (0..n).map(|_| 0.1 * rng.normal()).collect();
        let g: Vec<f64> = (0..m).map(|_| 0.1 * rng.normal()).collect();
        let d: Vec<f64> = (0..n + m).map(|_| 0.02 * rng.normal()).collect();
        let p = plan(&c, &f, &g, eps, m);
        let moved = |alpha: f64| -> (Vec<f64>, Vec<f64>) {
            (f.iter().zip(&d[..n]).map(|(x, dx)| x + alpha * dx).collect(), g.iter().zip(&d[n..]).map(|(x, dx)| x + alpha * dx).collect())
        };
        // A large step: the two agree to rounding of F (|F| ~ 0.05).
        let (f1, g1) = moved(1.0);
        let direct = potential(&c, &f1, &g1, &a, &b, eps) - potential(&c, &f, &g, &a, &b, eps);
        let (gain, rounding) = ascent(&p, &c, &f, &g, &d, 1.0, eps, &a, &b);
        assert!((gain - direct).abs() <= 1e-14, "{gain} vs {direct}");
        assert!(rounding > 0.0 && rounding < 1e-14, "{rounding}");
        // A tiny step: F's change is α·⟨∇F, d⟩ to first order, far below F's rounding (~1e-17 here):
        // the ascent still gets it to 1e-6 relative.
        let (row, col) = marginals(&p, n, m);
        let slope: f64 = (0..n).map(|i| (a[i] - row[i]) * d[i]).sum::<f64>() + (0..m).map(|j| (b[j] - col[j]) * d[n + j]).sum::<f64>();
        let alpha = 1e-12;
        let (gain, rounding) = ascent(&p, &c, &f, &g, &d, alpha, eps, &a, &b);
        assert!((gain - alpha * slope).abs() <= 1e-6 * (alpha * slope).abs(), "{gain} vs {}", alpha * slope);
        assert!(rounding < 1e-3 * (alpha * slope).abs(), "{rounding}");
        // An entry of P that underflowed is recomputed at the trial point, not taken as 0 · ∞.
        let mut p0 = p.clone();
        p0[3] = 0.0;
        let (gain0, _) = ascent(&p0, &c, &f, &g, &d, 1.0, eps, &a, &b);
        let (gain, _) = ascent(&p, &c, &f, &g, &d, 1.0, eps, &a, &b);
        assert!(gain0.is_finite());
        let exact_term = (((f[0] + g[3] - c[3]) / eps) + (d[0] + d[n + 3]) / eps).exp();
        assert!((gain0 - (gain + eps * p[3] * ((d[0] + d[n + 3]) / eps).exp_m1() - eps * exact_term)).abs() < 1e-14);
    }
}
