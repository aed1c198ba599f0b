//! Log-domain Sinkhorn on the GPU (f32, `shaders/ot/sinkhorn_lse.wgsl`) — the same updates as the CPU
//! twin [`super::solver::OtSolver`] with `Method::LogSinkhorn`:
//! g_j ← ε log b_j − ε LSE_i((f_i − C_ij)/ε), then f_i ← ε log a_i − ε LSE_j((g_j − C_ij)/ε).
//!
//! Data stays on the device: potentials, marginals and the geometry (a dense C and Cᵀ, or two point
//! clouds whose costs are recomputed on the fly, O(n + m) memory) are uploaded once. Many iterations are
//! recorded into one command buffer; each writes its marginal error (a by-product of the g-update, summed
//! by the reduction kernel) into a history buffer, and only that history is read back per step.
//! Stopping rule: ℓ1 marginal error ≤ tol, max_iter, or — since f32 bottoms out near 1e-6 — a stall
//! (error below [`F32_FLOOR`] when tol asks for less, or no 1 % improvement in 200 iterations), reported
//! as `StopReason::Stalled`.

use std::collections::BTreeMap;
use std::rc::Rc;

use bytemuck::{Pod, Zeroable};
use web_time::Instant;

use super::problem::{Geometry, GroundCost, OtProblem};
use super::solver::{Method, SolverParams};
use crate::error::{Error, Result};
use crate::frame::{Budget, Frame, StopReason, Stepper};
use crate::gpu::reduce::Reduction;
use crate::gpu::{GpuContext, Shader};
use crate::reduce::{ReduceAxis, ReduceOp};

/// `shaders/ot/sinkhorn_lse.wgsl`.
pub const SINKHORN_SHADER: Shader =
    Shader { path: "ot/sinkhorn_lse.wgsl", source: include_str!("../../../shaders/ot/sinkhorn_lse.wgsl") };

/// Most iterations recorded into one submission.
const MAX_BATCH: u64 = 256;
/// The ℓ1 marginal error f32 arithmetic can vouch for (sums of n + m terms of relative error ~6e-8).
pub const F32_FLOOR: f64 = 1e-6;
/// Iterations without a 1 % improvement after which the run is declared stalled.
const STALL_WINDOW: u64 = 200;

#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
struct Params {
    rows: u32,
    cols: u32,
    dim: u32,
    mode: u32,
    eps: f32,
    scale: f32,
    _pad: [u32; 2],
}

struct Pass {
    pipeline: wgpu::ComputePipeline,
    bind: wgpu::BindGroup,
    grid: (u32, u32),
}

impl Pass {
    fn encode(&self, encoder: &mut wgpu::CommandEncoder) {
        let mut pass = encoder.begin_compute_pass(&Default::default());
        pass.set_pipeline(&self.pipeline);
        pass.set_bind_group(0, &self.bind, &[]);
        pass.dispatch_workgroups(self.grid.0, self.grid.1, 1);
    }
}

/// The GPU log-domain Sinkhorn stepper.
pub struct GpuSinkhorn {
    ctx: Rc<GpuContext>,
    params: SolverParams,
    a: Vec<f64>,
    b: Vec<f64>,
    f: wgpu::Buffer,
    g: wgpu::Buffer,
    update_g: Pass,
    update_f: Pass,
    cost_f: Pass,
    col_error: Reduction,
    cost_sum: Reduction,
    history: wgpu::Buffer,
    iteration: u64,
    /// Iterations recorded per submission, adapted to the time budget.
    batch: u64,
    best: f64,
    best_at: u64,
    elapsed_ms: f64,
    last: Option<Frame>,
    /// The potentials read back with the last frame (for plan views; no extra transfer).
    last_potentials: Option<(Vec<f64>, Vec<f64>)>,
}

impl GpuSinkhorn {
    /// Uploads the problem and builds the passes. Only `Method::LogSinkhorn` runs on the GPU.
    pub async fn new(ctx: Rc<GpuContext>, problem: &OtProblem, params: SolverParams) -> Result<Self> {
        params.validate()?;
        if params.method != Method::LogSinkhorn {
            return Err(Error::Invalid {
                name: "method",
                message: format!(
                    "{} runs on the CPU (f64); the GPU runs log-sinkhorn (f32 has no headroom for kernel mode, and \
                     SNS's Newton polish needs f64)",
                    params.method
                ),
            });
        }
        if params.eps_scaling {
            return Err(Error::Invalid {
                name: "eps-scaling",
                message: "ε-scaling runs on the CPU backend; the GPU solver runs at a fixed ε".into(),
            });
        }
        let (n, m) = (problem.n(), problem.m());
        let f32s = |v: &[f64]| v.iter().map(|&x| x as f32).collect::<Vec<f32>>();
        // (mode, dim, scale, cost for the f-side, cost for the g-side, x coords, y coords)
        let (mode, dim, scale, c_rows, c_cols, xs, ys) = match &problem.geometry {
            Geometry::Dense { cost, .. } => {
                ctx.check_storage_size(|| format!("a dense {n} × {m} f32 cost"), (n * m) as u64 * 4)?;
                let mut ct = vec![0f32; n * m];
                for i in 0..n {
                    for j in 0..m {
                        ct[j * n + i] = cost[i * m + j] as f32;
                    }
                }
                let c = ctx.upload_f32("C", &f32s(cost));
                let ct = ctx.upload_f32("Ct", &ct);
                (0u32, 1u32, 1f32, c, ct, ctx.storage("x", 4), ctx.storage("y", 4))
            }
            Geometry::Points { x, y, cost, scale } => {
                let mode = match cost {
                    GroundCost::SqEuclidean => 1,
                    GroundCost::Euclidean => 2,
                };
                let xs = ctx.upload_f32("x points", &f32s(&x.coords));
                let ys = ctx.upload_f32("y points", &f32s(&y.coords));
                (mode, x.dim as u32, *scale as f32, ctx.storage("no C", 4), ctx.storage("no Ct", 4), xs, ys)
            }
        };
        let a_buf = ctx.upload_f32("a", &f32s(&problem.a));
        let b_buf = ctx.upload_f32("b", &f32s(&problem.b));
        let f = ctx.upload_f32("f", &vec![0.0; n]);
        let g = ctx.upload_f32("g", &vec![0.0; m]);
        let err_f = ctx.storage("row terms", n as u64 * 4);
        let err_g = ctx.storage("column errors", m as u64 * 4);
        let history = ctx.storage("error history", MAX_BATCH * 4);
        let eps = params.eps as f32;
        let uniform = |rows: usize, cols: usize| {
            ctx.uniform("sinkhorn params", &Params { rows: rows as u32, cols: cols as u32, dim, mode, eps, scale, _pad: [0; 2] })
        };
        let p_f = uniform(n, m);
        let p_g = uniform(m, n);
        let lse = ctx.pipeline(SINKHORN_SHADER, "lse_update");
        let cost_pipe = ctx.pipeline(SINKHORN_SHADER, "plan_cost");
        let grid_n = ctx.grid(n as u32)?;
        let grid_m = ctx.grid(m as u32)?;
        // g-side: rows = m over Cᵀ (or y against x), p = f, w = b, out = g.
        let update_g = Pass {
            bind: ctx.bind(&lse, &[(0, &p_g), (1, &c_cols), (2, &ys), (3, &xs), (4, &f), (5, &b_buf), (6, &g), (7, &err_g)]),
            pipeline: lse.clone(),
            grid: grid_m,
        };
        let update_f = Pass {
            bind: ctx.bind(&lse, &[(0, &p_f), (1, &c_rows), (2, &xs), (3, &ys), (4, &g), (5, &a_buf), (6, &f), (7, &err_f)]),
            pipeline: lse,
            grid: grid_n,
        };
        let cost_f = Pass {
            bind: ctx.bind(&cost_pipe, &[(0, &p_f), (1, &c_rows), (2, &xs), (3, &ys), (4, &g), (6, &f), (7, &err_f)]),
            pipeline: cost_pipe,
            grid: grid_n,
        };
        let col_error = Reduction::new(&ctx, &err_g, 1, m, ReduceOp::Sum, ReduceAxis::Rows).await?;
        let cost_sum = Reduction::new(&ctx, &err_f, 1, n, ReduceOp::Sum, ReduceAxis::Rows).await?;
        ctx.health()?;
        Ok(Self {
            ctx,
            params,
            a: problem.a.clone(),
            b: problem.b.clone(),
            f,
            g,
            update_g,
            update_f,
            cost_f,
            col_error,
            cost_sum,
            history,
            iteration: 0,
            batch: 1,
            best: f64::INFINITY,
            best_at: 0,
            elapsed_ms: 0.0,
            last: None,
            last_potentials: None,
        })
    }

    /// Changes the stopping rule mid-run, as [`super::OtSolver::set_stopping`].
    pub fn set_stopping(&mut self, tol: f64, max_iter: u64) -> Result<()> {
        SolverParams { tol, max_iter, ..self.params.clone() }.validate()?;
        self.params.tol = tol;
        self.params.max_iter = max_iter;
        self.last = None;
        self.best_at = self.iteration;
        Ok(())
    }

    /// The potentials as of the last frame, in f64.
    pub fn cached_potentials(&self) -> Option<(Vec<f64>, Vec<f64>)> {
        self.last_potentials.clone()
    }

    /// The potentials (f, g) read back from the device.
    pub async fn potentials(&self) -> Result<(Vec<f32>, Vec<f32>)> {
        let f = self.ctx.read_f32(&self.f, self.a.len()).await?;
        let g = self.ctx.read_f32(&self.g, self.b.len()).await?;
        Ok((f, g))
    }

    /// Records `k` iterations and returns the marginal error measured at the start of each.
    async fn run_batch(&mut self, k: u64) -> Result<Vec<f32>> {
        let mut encoder = self.ctx.device().create_command_encoder(&Default::default());
        for t in 0..k {
            self.update_g.encode(&mut encoder);
            self.col_error.encode(&mut encoder);
            encoder.copy_buffer_to_buffer(self.col_error.output(), 0, &self.history, t * 4, 4);
            self.update_f.encode(&mut encoder);
        }
        self.ctx.queue().submit([encoder.finish()]);
        self.ctx.read_f32(&self.history, k as usize).await
    }

    async fn frame(&mut self, error: f64, done: bool, stop: Option<StopReason>) -> Result<Frame> {
        let mut encoder = self.ctx.device().create_command_encoder(&Default::default());
        self.cost_f.encode(&mut encoder);
        self.cost_sum.encode(&mut encoder);
        self.ctx.queue().submit([encoder.finish()]);
        let cost = f64::from(self.ctx.read_f32(self.cost_sum.output(), 1).await?[0]);
        let (f, g) = self.potentials().await?;
        let dot = |w: &[f64], v: &[f32]| w.iter().zip(v).map(|(a, b)| a * f64::from(*b)).sum::<f64>();
        // After an f-update the rows of P are exact, so Σ P = Σ a = 1 (up to the marginal error).
        let dual = dot(&self.a, &f) + dot(&self.b, &g) - self.params.eps;
        let widen = |v: &[f32]| v.iter().map(|&x| f64::from(x)).collect::<Vec<f64>>();
        self.last_potentials = Some((widen(&f), widen(&g)));
        let mut metrics = BTreeMap::new();
        metrics.insert("marginal_error".into(), error);
        metrics.insert("transport_cost".into(), cost);
        metrics.insert("dual_objective".into(), dual);
        metrics.insert("newton_steps".into(), 0.0);
        metrics.insert("precision_floor".into(), F32_FLOOR);
        Ok(Frame {
            iteration: self.iteration,
            metrics,
            elapsed_ms: self.elapsed_ms,
            done,
            converged: error <= self.params.tol,
            stop,
            phase: Some("sinkhorn".into()),
        })
    }
}

impl Stepper for GpuSinkhorn {
    async fn step(&mut self, budget: Budget) -> Result<Frame> {
        if let Some(last) = self.last.as_ref().filter(|f| f.done) {
            return Ok(last.clone());
        }
        let start = Instant::now();
        let remaining = self.params.max_iter.saturating_sub(self.iteration);
        if remaining == 0 {
            let error = self.last.as_ref().and_then(|f| f.metric("marginal_error")).unwrap_or(f64::NAN);
            let frame = self.frame(error, true, Some(StopReason::MaxIterations)).await?;
            self.last = Some(frame.clone());
            return Ok(frame);
        }
        let k = self.batch.min(budget.max_iterations).min(remaining).clamp(1, MAX_BATCH);
        let errors = self.run_batch(k).await?;
        let spent = start.elapsed().as_secs_f64() * 1e3;
        // Aim the next batch at the time budget (double or halve at most).
        if budget.max_millis.is_finite() {
            let per = spent / k as f64;
            let want = (budget.max_millis / per.max(1e-3)).floor() as u64;
            self.batch = want.clamp((self.batch / 2).max(1), self.batch * 2).clamp(1, MAX_BATCH);
        } else {
            self.batch = MAX_BATCH;
        }
        let mut stop = None;
        let mut error = f64::NAN;
        let first = self.iteration;
        for (t, e) in errors.iter().enumerate() {
            let e = f64::from(*e);
            let it = first + t as u64;
            if e.is_nan() {
                stop = Some(StopReason::Divergence);
                break;
            }
            error = e;
            // The batch ran past `it`; the device iterate is at least as converged as iterate `it`.
            if it >= 1 && e <= self.params.tol && self.params.tol >= F32_FLOOR {
                self.iteration = it;
                stop = Some(StopReason::Tolerance);
                break;
            }
            // Below the floor the measured change is rounding (it can read exactly 0 at an f32 fixed
            // point): claiming a tighter tolerance would be a silent wrong answer.
            if it >= 1 && e <= F32_FLOOR {
                self.iteration = it;
                stop = Some(StopReason::Stalled);
                break;
            }
            if e < 0.99 * self.best {
                self.best = e;
                self.best_at = it;
            } else if it - self.best_at >= STALL_WINDOW {
                self.iteration = it;
                stop = Some(StopReason::Stalled);
                break;
            }
        }
        if stop.is_none() {
            self.iteration = first + k;
            if self.iteration >= self.params.max_iter {
                stop = Some(StopReason::MaxIterations);
            }
        }
        self.elapsed_ms += start.elapsed().as_secs_f64() * 1e3;
        let frame = self.frame(error, stop.is_some(), stop).await?;
        self.last = Some(frame.clone());
        Ok(frame)
    }
}
