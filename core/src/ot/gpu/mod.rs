//! Log-domain Sinkhorn and Sinkhorn–Newton–Sparse with their dense passes on the GPU (f32,
//! `shaders/ot/sinkhorn_lse.wgsl`) — the same updates as the CPU twin [`super::solver::OtSolver`]:
//! g_j ← ε log b_j − ε LSE_i((f_i − C_ij)/ε), then f_i ← ε log a_i − ε LSE_j((g_j − C_ij)/ε).
//!
//! SNS: N1 of those iterations, then Newton steps. Per step the GPU streams P twice — once by rows
//! (`top_partial` + `top_finish`: row sums and the k largest entries per row, the columns split into blocks
//! as the half-steps split them), once by columns (column sums) — and the
//! host reads back only those n + m sums and n·k entries; the sparsified system is solved by the CPU twin's
//! Jacobi-preconditioned CG in f64 (a sparse, latency-bound solve of a few hundred small iterations: no
//! work for a GPU), and each Armijo trial costs one GPU pass for F's Σ P (one number read back). The
//! Newton polish is limited by f32: SNS on this backend stops at the same floor as Sinkhorn, with fewer
//! iterations; to 1e-12 it runs on the CPU in f64.
//!
//! Data stays on the device: potentials, marginals and the geometry (a dense C and Cᵀ, or two point
//! clouds whose costs are recomputed on the fly, O(n + m) memory) are uploaded once. Many iterations are
//! recorded into one command buffer; each writes its column errors (a by-product of the g-update) into its
//! own row of a history matrix, one row reduction per submission sums the rows, and only those sums (one
//! marginal error per iteration) are read back per step.
//! Stopping rule: ℓ1 marginal error ≤ tol, max_iter, or — since f32 bottoms out near 1e-6 — a stall
//! (error below [`F32_FLOOR`] when tol asks for less, or no 1 % improvement in 200 iterations — 10 Newton
//! steps), reported as `StopReason::Stalled`.

use std::collections::BTreeMap;
use std::rc::Rc;

use bytemuck::{Pod, Zeroable};
use web_time::Instant;

mod newton;
mod passes;

use super::problem::{Geometry, GroundCost, OtProblem};
use super::sns::{dot, NewtonReport};
use super::solver::{Method, SolverParams};
use crate::error::{Error, Result};
use crate::frame::{Budget, Frame, Stepper, StopReason};
use crate::gpu::reduce::Reduction;
use crate::gpu::{GpuContext, Shader};
use crate::metrics as key;
use crate::reduce::{ReduceAxis, ReduceOp};
use newton::NewtonPasses;
pub use newton::NewtonSystem;
pub use passes::{column_blocks, top_blocks};
use passes::{ErrorHistory, Pass, Readout, WG};

/// `shaders/ot/sinkhorn_lse.wgsl`.
pub const SINKHORN_SHADER: Shader =
    Shader { path: "ot/sinkhorn_lse.wgsl", source: include_str!("../../../../shaders/ot/sinkhorn_lse.wgsl") };

/// Most iterations recorded into one submission.
const MAX_BATCH: u64 = 256;
/// Bytes the per-iteration column errors of one submission may take (fewer iterations per submission
/// when m is so large that MAX_BATCH rows of m would not fit).
const HISTORY_BYTES: u64 = 16 << 20;
/// The ℓ1 marginal error f32 arithmetic can vouch for (sums of n + m terms of relative error ~6e-8).
pub const F32_FLOOR: f64 = 1e-6;
/// Iterations without a 1 % improvement after which the run is declared stalled.
const STALL_WINDOW: u64 = 200;
/// The same for Newton steps (each one should cut the error by far more than 1 %).
const NEWTON_STALL_WINDOW: u64 = 10;
/// Most entries per row the GPU's top-k keeps (`KMAX` in the shader).
pub const GPU_MAX_KEEP: usize = 64;
/// Armijo halvings on this backend before a Newton step gives way to a Sinkhorn step (each is a GPU
/// round trip; α ≥ 2⁻¹² ≈ 2.4e-4).
pub(super) const GPU_HALVINGS: usize = 12;
/// CG's relative residual: the f32 gradient carries ~1e-7 relative noise, so solving tighter buys nothing.
pub(super) const GPU_CG_RTOL: f64 = 1e-7;
/// Most CG iterations per Newton step. CG runs on the page's main thread; truncated CG from 0 still gives
/// an ascent direction (an inexact Newton step), and this bounds the solve at n = 20,000, k = 10 to
/// ~0.2 s in wasm (each iteration streams the n·k + n + m kept entries twice).
pub(super) const GPU_CG_MAX_ITER: usize = 500;

#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
pub(super) struct Params {
    rows: u32,
    cols: u32,
    dim: u32,
    mode: u32,
    eps: f32,
    scale: f32,
    blocks: u32,
    chunk: u32,
    keep: u32,
    pad: [u32; 3],
}

/// The most rounding f32 may add to an exponent (f + g − C)/ε: max C·2⁻²³/ε ≤ 0.01, i.e. P's entries
/// within ~1 %. Normalised costs pass down to ε ≈ 1.2e-5. Measured on normalised problems at ε from 1e-4
/// to 0.05, the marginal error of the GPU's f32 potentials evaluated in f64 stayed within 2× of its report.
pub const GPU_MAX_RESOLUTION: f64 = 0.01;

/// An upper bound of max C (exact for a dense cost; the bounding box of both clouds for points, O(n + m)).
fn cost_bound(problem: &OtProblem) -> f64 {
    match &problem.geometry {
        Geometry::Dense { cost, .. } => cost.iter().copied().fold(0.0, f64::max),
        Geometry::Points { x, y, cost, scale } => {
            let d2: f64 = (0..x.dim)
                .map(|k| {
                    let coords = x.coords.iter().skip(k).step_by(x.dim).chain(y.coords.iter().skip(k).step_by(y.dim));
                    let (lo, hi) =
                        coords.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| (lo.min(v), hi.max(v)));
                    (hi - lo).powi(2)
                })
                .sum();
            scale
                * match cost {
                    GroundCost::SqEuclidean => d2,
                    GroundCost::Euclidean => d2.sqrt(),
                }
        }
    }
}

/// How far f32 rounding moves an exponent (f + g − C)/ε: max C·2⁻²³/ε (potentials are of the size of C).
pub fn f32_resolution(problem: &OtProblem, eps: f64) -> f64 {
    cost_bound(problem) * f64::from(f32::EPSILON) / eps
}

/// The GPU stepper: log-domain Sinkhorn, or SNS with its dense passes here and its CG on the CPU.
pub struct GpuSinkhorn {
    ctx: Rc<GpuContext>,
    params: SolverParams,
    a: Vec<f64>,
    b: Vec<f64>,
    f: wgpu::Buffer,
    g: wgpu::Buffer,
    err_f: wgpu::Buffer,
    err_g: wgpu::Buffer,
    update_g: Pass,
    update_f: Pass,
    cost_f: Pass,
    history: ErrorHistory,
    /// Σ of the f-side's row buffer: ⟨C, P⟩ after `cost_f`, Σ P after `mass_f`.
    row_sum: Reduction,
    newton_passes: Option<NewtonPasses>,
    iteration: u64,
    newton_steps: u64,
    /// The system at the current potentials, when already read back (a frame computes it; the next
    /// Newton step starts from it).
    system: Option<NewtonSystem>,
    newton: Option<NewtonReport>,
    /// Iterations recorded per submission, adapted to the time budget.
    batch: u64,
    best: f64,
    best_at: u64,
    elapsed_ms: f64,
    last: Option<Frame>,
    /// The potentials read back with the last frame (for plan views; no extra transfer).
    last_potentials: Option<(Vec<f64>, Vec<f64>)>,
    /// The last batch's readout, when nothing has moved the potentials since (taken by the next frame).
    readout: Option<Readout>,
}

pub(super) fn widen(v: &[f32]) -> Vec<f64> {
    v.iter().map(|&x| f64::from(x)).collect()
}

pub(super) fn narrow(v: &[f64]) -> Vec<f32> {
    v.iter().map(|&x| x as f32).collect()
}

impl GpuSinkhorn {
    /// Uploads the problem and builds the passes. Runs `Method::LogSinkhorn` and `Method::Sns`.
    pub async fn new(ctx: Rc<GpuContext>, problem: &OtProblem, params: SolverParams) -> Result<Self> {
        params.validate()?;
        if params.method == Method::Sinkhorn {
            return Err(Error::Invalid {
                name: "method",
                message: "sinkhorn (kernel mode) runs on the CPU (f64); the GPU runs log-sinkhorn and sns in the log \
                          domain (f32 has no headroom for kernel mode: exp(−C/ε) underflows at C/ε ≈ 87)"
                    .into(),
            });
        }
        if params.eps_scaling {
            return Err(Error::Invalid {
                name: "eps-scaling",
                message: "ε-scaling runs on the CPU backend; the GPU solver runs at a fixed ε".into(),
            });
        }
        let resolution = f32_resolution(problem, params.eps);
        if resolution > GPU_MAX_RESOLUTION {
            return Err(Error::Invalid {
                name: "eps",
                message: format!(
                    "f32 cannot resolve this problem on the GPU: max C / ε ≈ {:.1e}, so rounding moves each exponent \
                     (f + g − C)/ε by up to {resolution:.1e} (at most {GPU_MAX_RESOLUTION} keeps P's entries within ~1 %) — \
                     normalise the cost (C / max C), use a larger ε, or the CPU backend (f64)",
                    cost_bound(problem) / params.eps,
                ),
            });
        }
        let (n, m) = (problem.n(), problem.m());
        let keep = params.keep_per_row(m);
        if params.method == Method::Sns && keep > GPU_MAX_KEEP {
            return Err(Error::Invalid {
                name: "density",
                message: format!(
                    "the GPU's SNS keeps at most {GPU_MAX_KEEP} entries per row, and density {} keeps {keep} of {m}; \
                     lower it, or run SNS on the CPU",
                    params.density.unwrap_or_default()
                ),
            });
        }
        let f32s = |v: &[f64]| v.iter().map(|&x| x as f32).collect::<Vec<f32>>();
        // (mode, dim, scale, C (read by the g-side), Cᵀ (read by the f-side), x coords, y coords)
        let (mode, dim, scale, c_buf, ct_buf, xs, ys) = match &problem.geometry {
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
        let eps = params.eps as f32;
        let (blocks_f, chunk_f) = column_blocks(n, m);
        let (blocks_g, chunk_g) = column_blocks(m, n);
        let pairs = (n * blocks_f).max(m * blocks_g) as u64;
        ctx.check_storage_size(|| format!("{pairs} partial log-sum-exp pairs"), pairs * 8)?;
        let partials = ctx.storage("LSE partials", pairs * 8);
        let uniform = |rows: usize, cols: usize, (blocks, chunk): (usize, usize)| {
            let prm = Params {
                rows: rows as u32,
                cols: cols as u32,
                dim,
                mode,
                eps,
                scale,
                blocks: blocks as u32,
                chunk: chunk as u32,
                keep: 0,
                pad: [0; 3],
            };
            ctx.uniform("sinkhorn params", &prm)
        };
        let p_f = uniform(n, m, (blocks_f, chunk_f));
        let p_g = uniform(m, n, (blocks_g, chunk_g));
        let sns = params.method == Method::Sns;
        let mut entries = vec!["lse_partial", "lse_finish", "cost_partial", "sum_finish"];
        if sns {
            entries.extend(["top_partial", "top_finish", "mass_partial"]);
        }
        for entry in entries {
            ctx.pipeline_paced(SINKHORN_SHADER, entry).await?;
        }
        let pipe = |entry| ctx.pipeline(SINKHORN_SHADER, entry);
        let (lse_partial, lse_finish) = (pipe("lse_partial"), pipe("lse_finish"));
        let (cost_partial, sum_finish) = (pipe("cost_partial"), pipe("sum_finish"));
        let threads = |count: usize| ctx.grid(count.div_ceil(WG) as u32);
        let (grid_n, grid_m) = (threads(n)?, threads(m)?);
        let (grid_nb, grid_mb) = (threads(n * blocks_f)?, threads(m * blocks_g)?);
        // The kernels read a dense cost column-major for their geometry (cost[j·rows + i] = C_ij): the
        // f-side (rows = n) reads Cᵀ's buffer, the g-side (rows = m, cols = n) reads C's.
        // g-side: rows = m, y against x, p = f, w = b, out = g.
        let update_g = Pass {
            partial: (
                lse_partial.clone(),
                ctx.bind(&lse_partial, &[(0, &p_g), (1, &c_buf), (2, &ys), (3, &xs), (4, &f), (8, &partials)]),
                grid_mb,
            ),
            finish: (
                lse_finish.clone(),
                ctx.bind(&lse_finish, &[(0, &p_g), (5, &b_buf), (6, &g), (7, &err_g), (8, &partials)]),
                grid_m,
            ),
        };
        let update_f = Pass {
            partial: (
                lse_partial.clone(),
                ctx.bind(&lse_partial, &[(0, &p_f), (1, &ct_buf), (2, &xs), (3, &ys), (4, &g), (8, &partials)]),
                grid_nb,
            ),
            finish: (
                lse_finish.clone(),
                ctx.bind(&lse_finish, &[(0, &p_f), (5, &a_buf), (6, &f), (7, &err_f), (8, &partials)]),
                grid_n,
            ),
        };
        let cost_f = Pass {
            partial: (
                cost_partial.clone(),
                ctx.bind(
                    &cost_partial,
                    &[(0, &p_f), (1, &ct_buf), (2, &xs), (3, &ys), (4, &g), (6, &f), (8, &partials)],
                ),
                grid_nb,
            ),
            finish: (sum_finish.clone(), ctx.bind(&sum_finish, &[(0, &p_f), (7, &err_f), (8, &partials)]), grid_n),
        };
        // Row t of the history starts at a multiple of the storage offset alignment.
        let align = (ctx.limits().min_storage_buffer_offset_alignment as usize / 4).max(1);
        let stride = m.div_ceil(align) * align;
        let history_rows = (HISTORY_BYTES as usize / (stride * 4)).clamp(1, MAX_BATCH as usize);
        ctx.check_storage_size(
            || format!("{history_rows} × {stride} marginal errors"),
            (history_rows * stride) as u64 * 4,
        )?;
        let err_rows = ctx.storage("error history", (history_rows * stride) as u64 * 4);
        let history = ErrorHistory {
            finish_at: (0..history_rows)
                .map(|t| {
                    let window = (7, &err_rows, (t * stride * 4) as u64, (m * 4) as u64);
                    ctx.bind_window(&lse_finish, &[(0, &p_g), (5, &b_buf), (6, &g), (8, &partials)], window)
                })
                .collect(),
            sums: Reduction::new(&ctx, &err_rows, history_rows, stride, ReduceOp::Sum, ReduceAxis::Rows).await?,
        };
        let row_sum = Reduction::new(&ctx, &err_f, n, 1, ReduceOp::Sum, ReduceAxis::Cols).await?;
        let newton_passes = if sns {
            // The automatic density may grow k up to the shader's limit: room for that from the start.
            let capacity = if params.density.is_none() { GPU_MAX_KEEP.min(m).max(keep) } else { keep };
            ctx.check_storage_size(|| format!("{n} × {capacity} kept Hessian entries"), (n * capacity) as u64 * 4)?;
            let top_idx = ctx.storage("top-k columns", (n * capacity) as u64 * 4);
            let top_val = ctx.storage("top-k values", (n * capacity) as u64 * 4);
            let (blocks_t, chunk_t) = top_blocks(n, m, capacity);
            let cand_bytes = (n * blocks_t * (capacity + 1)) as u64 * 8;
            ctx.check_storage_size(|| format!("{n} × {blocks_t} lists of {capacity} Hessian candidates"), cand_bytes)?;
            let cand = ctx.storage("top-k candidates", cand_bytes);
            let top_params = Params {
                rows: n as u32,
                cols: m as u32,
                dim,
                mode,
                eps,
                scale,
                blocks: blocks_t as u32,
                chunk: chunk_t as u32,
                keep: keep as u32,
                pad: [0; 3],
            };
            let p_top = ctx.uniform("sinkhorn params", &top_params);
            let (top_partial, top_finish) = (pipe("top_partial"), pipe("top_finish"));
            let mass_partial = pipe("mass_partial");
            let top = Pass {
                partial: (
                    top_partial.clone(),
                    ctx.bind(
                        &top_partial,
                        &[(0, &p_top), (1, &ct_buf), (2, &xs), (3, &ys), (4, &g), (6, &f), (11, &cand)],
                    ),
                    threads(n * blocks_t)?,
                ),
                finish: (
                    top_finish.clone(),
                    ctx.bind(&top_finish, &[(0, &p_top), (7, &err_f), (9, &top_idx), (10, &top_val), (11, &cand)]),
                    grid_n,
                ),
            };
            Some(NewtonPasses {
                top,
                _cand: cand,
                mass_g: Pass {
                    partial: (
                        mass_partial.clone(),
                        ctx.bind(
                            &mass_partial,
                            &[(0, &p_g), (1, &c_buf), (2, &ys), (3, &xs), (4, &f), (6, &g), (8, &partials)],
                        ),
                        grid_mb,
                    ),
                    finish: (
                        sum_finish.clone(),
                        ctx.bind(&sum_finish, &[(0, &p_g), (7, &err_g), (8, &partials)]),
                        grid_m,
                    ),
                },
                mass_f: Pass {
                    partial: (
                        mass_partial.clone(),
                        ctx.bind(
                            &mass_partial,
                            &[(0, &p_f), (1, &ct_buf), (2, &xs), (3, &ys), (4, &g), (6, &f), (8, &partials)],
                        ),
                        grid_nb,
                    ),
                    finish: (
                        sum_finish.clone(),
                        ctx.bind(&sum_finish, &[(0, &p_f), (7, &err_f), (8, &partials)]),
                        grid_n,
                    ),
                },
                top_idx,
                top_val,
                k: keep,
                capacity,
                top_params,
                p_top,
            })
        } else {
            None
        };
        ctx.health()?;
        Ok(Self {
            ctx,
            params,
            a: problem.a.clone(),
            b: problem.b.clone(),
            f,
            g,
            err_f,
            err_g,
            update_g,
            update_f,
            cost_f,
            history,
            row_sum,
            newton_passes,
            iteration: 0,
            newton_steps: 0,
            system: None,
            newton: None,
            batch: 1,
            best: f64::INFINITY,
            best_at: 0,
            elapsed_ms: 0.0,
            last: None,
            last_potentials: None,
            readout: None,
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
        let mut fg = self.ctx.read_many(&[(&self.f, self.a.len()), (&self.g, self.b.len())]).await?;
        let g = fg.pop().unwrap_or_default();
        Ok((fg.pop().unwrap_or_default(), g))
    }

    /// Records `k` iterations and returns the marginal error measured at the start of each. With
    /// `readout`, the same submission also computes ⟨C, P⟩ at the last iterate and the same readback
    /// brings it and the potentials, for the frame.
    async fn run_batch(&mut self, k: u64, readout: bool) -> Result<Vec<f32>> {
        self.system = None;
        self.readout = None;
        let mut encoder = self.ctx.device().create_command_encoder(&Default::default());
        // k never exceeds the history's rows (the batch is clamped to them); `take` keeps that a bound.
        let k = k.min(self.history.finish_at.len() as u64);
        for finish in self.history.finish_at.iter().take(k as usize) {
            self.update_g.encode_finishing_with(&mut encoder, finish);
            self.update_f.encode(&mut encoder);
        }
        self.history.sums.encode(&mut encoder);
        if !readout {
            self.ctx.queue().submit([encoder.finish()]);
            return self.ctx.read_f32(self.history.sums.output(), k as usize).await;
        }
        self.encode_cost(&mut encoder);
        self.ctx.queue().submit([encoder.finish()]);
        let [cost, f, g] = self.readout_sources();
        let mut parts = self.ctx.read_many(&[(self.history.sums.output(), k as usize), cost, f, g]).await?;
        self.readout = Some(Readout::from_tail(&mut parts));
        Ok(parts.pop().unwrap_or_default())
    }

    /// ⟨C, P⟩ at the device's potentials, into `row_sum`'s output.
    fn encode_cost(&self, encoder: &mut wgpu::CommandEncoder) {
        self.cost_f.encode(encoder);
        self.row_sum.encode(encoder);
    }

    /// What a [`Readout`] reads, in its order: ⟨C, P⟩ (after `encode_cost`), f, g.
    fn readout_sources(&self) -> [(&wgpu::Buffer, usize); 3] {
        [(self.row_sum.output(), 1), (&self.f, self.a.len()), (&self.g, self.b.len())]
    }

    fn newton_phase(&self) -> bool {
        self.params.method == Method::Sns && self.iteration >= self.params.n1
    }

    /// Entries per row SNS's sparsified Hessian keeps now (the automatic density grows it; 0 without SNS).
    pub fn keep(&self) -> usize {
        self.newton_passes.as_ref().map_or(0, |np| np.k)
    }

    async fn frame(&mut self, error: f64, done: bool, stop: Option<StopReason>) -> Result<Frame> {
        // In SNS's Newton phase the frame shows the error at the current iterate (the step's own error
        // is one iterate old); the system it reads is the next step's starting point, so nothing is lost.
        let newton_phase = self.newton_phase() && self.newton_steps > 0;
        let (error, mass) = if newton_phase {
            let sys = self.newton_system().await?;
            let e = self.a.iter().zip(&sys.row_sums).map(|(a, r)| (a - r).abs()).sum::<f64>()
                + self.b.iter().zip(&sys.col_sums).map(|(b, c)| (b - c).abs()).sum::<f64>();
            (e, sys.row_sums.iter().sum::<f64>())
        } else {
            // After an f-update the rows of P are exact, so Σ P = Σ a = 1 (up to the marginal error).
            (error, 1.0)
        };
        // After Sinkhorn iterations the batch brought ⟨C, P⟩ and the potentials along; otherwise (Newton
        // steps, or a frame without a batch) one more pass and readback.
        let (cost, f, g) = match self.readout.take().filter(|_| !newton_phase) {
            Some(r) => (f64::from(r.cost), widen(&r.f), widen(&r.g)),
            None => {
                let mut encoder = self.ctx.device().create_command_encoder(&Default::default());
                self.encode_cost(&mut encoder);
                self.ctx.queue().submit([encoder.finish()]);
                let r = Readout::from_tail(&mut self.ctx.read_many(&self.readout_sources()).await?);
                (f64::from(r.cost), widen(&r.f), widen(&r.g))
            }
        };
        let dual = dot(&self.a, &f) + dot(&self.b, &g) - self.params.eps * mass;
        self.last_potentials = Some((f, g));
        let mut metrics = BTreeMap::new();
        metrics.insert(key::MARGINAL_ERROR.to_owned(), error);
        metrics.insert(key::TRANSPORT_COST.to_owned(), cost);
        metrics.insert(key::DUAL_OBJECTIVE.to_owned(), dual);
        metrics.insert(key::NEWTON_STEPS.to_owned(), self.newton_steps as f64);
        metrics.insert(key::PRECISION_FLOOR.to_owned(), F32_FLOOR);
        if let (true, Some(r)) = (newton_phase, self.newton) {
            metrics.insert(key::STEP_SIZE.to_owned(), r.step_size);
            metrics.insert(key::NNZ.to_owned(), r.nnz as f64);
            if let Some(k) = r.kept_mass {
                metrics.insert(key::KEPT_MASS.to_owned(), k);
            }
            metrics.insert(key::CG_ITERATIONS.to_owned(), r.cg_iterations as f64);
        }
        // Never a NaN plot: an f32 overflow (a plan entry or potential at ±∞) is a typed error that says
        // what to change.
        if let Some((name, _)) = metrics.iter().find(|(_, v)| !v.is_finite()) {
            return Err(Error::Invalid {
                name: "eps",
                message: format!(
                    "f32 overflowed at ε = {} ({name} is not finite): use a larger ε, or the CPU backend (f64)",
                    self.params.eps
                ),
            });
        }
        Ok(Frame {
            iteration: self.iteration,
            metrics,
            elapsed_ms: self.elapsed_ms,
            done,
            converged: error <= self.params.tol,
            stop,
            phase: Some(if newton_phase { "newton" } else { "sinkhorn" }.into()),
        })
    }

    /// Sinkhorn iterations (log-sinkhorn, or SNS's warm-up up to `limit`): returns the last error and
    /// the stop, if any.
    async fn sinkhorn_steps(
        &mut self,
        budget: Budget,
        limit: u64,
        start: Instant,
    ) -> Result<(f64, Option<StopReason>)> {
        let most = self.history.finish_at.len() as u64;
        let k = self.batch.min(budget.max_iterations).min(limit).clamp(1, most);
        let errors = self.run_batch(k, true).await?;
        let spent = start.elapsed().as_secs_f64() * 1e3;
        // Aim the next batch at the time budget (double or halve at most).
        if budget.max_millis.is_finite() {
            let per = spent / k as f64;
            let want = (budget.max_millis / per.max(1e-3)).floor() as u64;
            self.batch = want.clamp((self.batch / 2).max(1), self.batch * 2).clamp(1, most);
        } else {
            self.batch = most;
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
            if let Some(reason) = self.judge(it, e, STALL_WINDOW) {
                self.iteration = it;
                stop = Some(reason);
                break;
            }
        }
        if stop.is_none() {
            self.iteration = first + k;
        }
        Ok((error, stop))
    }

    /// The stopping rule for the error `e` measured at iterate `it`.
    fn judge(&mut self, it: u64, e: f64, window: u64) -> Option<StopReason> {
        // The batch ran past `it`; the device iterate is at least as converged as iterate `it`.
        if it >= 1 && e <= self.params.tol && self.params.tol >= F32_FLOOR {
            return Some(StopReason::Tolerance);
        }
        // Below the floor the measured change is rounding (it can read exactly 0 at an f32 fixed
        // point): claiming a tighter tolerance would be a silent wrong answer.
        if it >= 1 && e <= F32_FLOOR {
            return Some(StopReason::Stalled);
        }
        if e < 0.99 * self.best {
            self.best = e;
            self.best_at = it;
        } else if it - self.best_at >= window {
            return Some(StopReason::Stalled);
        }
        None
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
            let error = self.last.as_ref().and_then(|f| f.metric(key::MARGINAL_ERROR)).unwrap_or(f64::NAN);
            let frame = self.frame(error, true, Some(StopReason::MaxIterations)).await?;
            self.last = Some(frame.clone());
            return Ok(frame);
        }
        let mut stop = None;
        let mut error = f64::NAN;
        if !self.newton_phase() {
            let limit = if self.params.method == Method::Sns { self.params.n1 - self.iteration } else { remaining };
            (error, stop) = self.sinkhorn_steps(budget, limit.min(remaining), start).await?;
            if self.newton_phase() {
                // Newton's progress is judged against Newton's own history.
                self.best = f64::INFINITY;
                self.best_at = self.iteration;
            }
        } else {
            let mut ran = 0;
            while ran < budget.max_iterations && self.iteration < self.params.max_iter {
                let (e, met) = self.newton_step().await?;
                if !e.is_finite() {
                    stop = Some(StopReason::Divergence);
                    break;
                }
                error = e;
                if met {
                    stop = Some(StopReason::Tolerance);
                    break;
                }
                if let Some(reason) = self.judge(self.iteration, e, NEWTON_STALL_WINDOW) {
                    stop = Some(reason);
                    break;
                }
                self.iteration += 1;
                self.newton_steps += 1;
                ran += 1;
                if start.elapsed().as_secs_f64() * 1e3 >= budget.max_millis {
                    break;
                }
            }
        }
        if stop.is_none() && self.iteration >= self.params.max_iter {
            stop = Some(StopReason::MaxIterations);
        }
        self.elapsed_ms += start.elapsed().as_secs_f64() * 1e3;
        let frame = self.frame(error, stop.is_some(), stop).await?;
        self.last = Some(frame.clone());
        Ok(frame)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cost_bound_covers_every_pair() {
        use crate::ot::{Points, ProblemKind, ProblemSpec};
        for cost in [GroundCost::SqEuclidean, GroundCost::Euclidean] {
            for kind in [ProblemKind::Gaussian, ProblemKind::Moons, ProblemKind::Uniform] {
                let p = ProblemSpec { kind, n: 60, m: 45, cost, normalize_cost: false, seed: 5 }.build().unwrap();
                let (bound, max) = (cost_bound(&p), p.max_cost());
                assert!(bound >= max && bound <= 2.0 * max, "{kind} {cost}: bound {bound}, max {max}");
            }
        }
        let x = Points::new(3, vec![0.0, 0.0, 0.0, 1.0, 2.0, 2.0], None).unwrap();
        let p = OtProblem::points(x.clone(), x, GroundCost::SqEuclidean).unwrap();
        assert_eq!(cost_bound(&p), 9.0);
    }
}
