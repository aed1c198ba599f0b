//! The GPU batch: every problem of an OT sweep solved together by `shaders/ot/sinkhorn_batch.wgsl`,
//! workgroup k solving problem k. The problems' data (points or dense costs, marginals) is uploaded once
//! into buffers all problems share, each at its offsets (a row of the problem table); potentials and each
//! problem's state (iteration, stop, error, best error, ⟨C, P⟩) stay on the device. A round records a run
//! of dispatches (each one iteration of every unfinished problem, [`MAX_ITERS`]) and one ⟨C, P⟩ pass into one
//! submission, and reads back only the state table: 8 numbers per problem.

use std::rc::Rc;

use bytemuck::{Pod, Zeroable};

use crate::error::{Error, Result};
use crate::frame::StopReason;
use crate::gpu::{GpuContext, Shader};
use crate::ot::gpu::{f32_resolution, F32_FLOOR, GPU_MAX_RESOLUTION};
use crate::ot::problem::{Geometry, GroundCost, OtProblem};
use crate::ot::solver::SolverParams;

/// `shaders/ot/sinkhorn_batch.wgsl`.
pub const BATCH_SHADER: Shader =
    Shader { path: "ot/sinkhorn_batch.wgsl", source: include_str!("../../../../shaders/ot/sinkhorn_batch.wgsl") };

/// Iterations without a 1 % improvement after which a problem is stalled (the single GPU solver's window).
const STALL_WINDOW: u32 = 200;
/// Iterations one dispatch runs. One: with several per dispatch (the storage barriers between them the only
/// order), lavapipe drifted from the single run after ~60 iterations at n ≥ 65 (deterministically; a test
/// holds the case), while a dispatch boundary orders the potentials' writes on every implementation. A round
/// records many dispatches into one submission, so the launches stay cheap.
const MAX_ITERS: u32 = 1;

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct RunParams {
    iters: u32,
    window: u32,
    floor: f32,
    pad: u32,
}

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable, Default, Debug)]
struct Row {
    n: u32,
    m: u32,
    dim: u32,
    mode: u32,
    eps: f32,
    scale: f32,
    tol: f32,
    max_iter: u32,
    x_off: u32,
    y_off: u32,
    a_off: u32,
    b_off: u32,
    cost_off: u32,
    pad: [u32; 3],
}

/// A problem's state on the device (`State` in the shader).
#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable, Debug, Default, PartialEq)]
pub struct State {
    pub iter: u32,
    /// 0 running, 1 tolerance, 2 stalled, 3 max iterations, 4 divergence.
    pub stop: u32,
    pub err: f32,
    best: f32,
    best_at: u32,
    pub cost: f32,
    pad: [u32; 2],
}

impl State {
    pub fn stop_reason(&self) -> Option<StopReason> {
        match self.stop {
            1 => Some(StopReason::Tolerance),
            2 => Some(StopReason::Stalled),
            3 => Some(StopReason::MaxIterations),
            4 => Some(StopReason::Divergence),
            _ => None,
        }
    }
}

/// Why a problem cannot be solved in the GPU batch, if it cannot.
pub(super) fn unfit(problem: &OtProblem, params: &SolverParams) -> Option<String> {
    let r = f32_resolution(problem, params.eps);
    (r > GPU_MAX_RESOLUTION).then(|| {
        format!(
            "f32 cannot resolve the plan at ε = {} (max C / ε reaches {r:.0}; the GPU takes ≤ {GPU_MAX_RESOLUTION:.0}): the CPU's f64 does",
            params.eps
        )
    })
}

/// The device buffers of a batch.
pub(super) struct GpuBatch {
    ctx: Rc<GpuContext>,
    problems: wgpu::Buffer,
    state: wgpu::Buffer,
    points: wgpu::Buffer,
    cost: wgpu::Buffer,
    marg: wgpu::Buffer,
    pot: wgpu::Buffer,
    scratch: wgpu::Buffer,
    count: usize,
    /// Iterations per dispatch.
    iters: u32,
}

impl GpuBatch {
    /// Uploads `problems` (each with its solver's ε, tolerance and iteration cap).
    pub async fn new(ctx: Rc<GpuContext>, problems: &[(OtProblem, SolverParams)]) -> Result<Self> {
        let (mut points, mut cost, mut marg) = (Vec::<f32>::new(), Vec::<f32>::new(), Vec::<f32>::new());
        let mut rows = Vec::with_capacity(problems.len());
        for (p, s) in problems {
            let (n, m) = (p.n(), p.m());
            let mut row = Row {
                n: n as u32,
                m: m as u32,
                eps: s.eps as f32,
                tol: s.tol as f32,
                max_iter: s.max_iter.min(u64::from(u32::MAX)) as u32,
                a_off: marg.len() as u32,
                b_off: (marg.len() + n) as u32,
                scale: 1.0,
                ..Row::default()
            };
            marg.extend(p.a.iter().chain(&p.b).map(|&v| v as f32));
            match &p.geometry {
                Geometry::Dense { cost: c, .. } => {
                    row.cost_off = cost.len() as u32;
                    cost.extend(c.iter().map(|&v| v as f32));
                }
                Geometry::Points { x, y, cost: ground, scale } => {
                    row.dim = x.dim as u32;
                    row.mode = if *ground == GroundCost::SqEuclidean { 1 } else { 2 };
                    row.scale = *scale as f32;
                    row.x_off = points.len() as u32;
                    points.extend(x.coords.iter().map(|&v| v as f32));
                    row.y_off = points.len() as u32;
                    points.extend(y.coords.iter().map(|&v| v as f32));
                }
            }
            rows.push(row);
        }
        for (what, len) in [("points", points.len()), ("dense costs", cost.len()), ("marginals", marg.len())] {
            if len > u32::MAX as usize / 2 {
                return Err(Error::Invalid {
                    name: "seeds",
                    message: format!("the batch's {what} ({len} f32) do not fit a 32-bit index: fewer problems"),
                });
            }
            ctx.check_storage_size(
                || format!("the OT batch's {what} ({len} f32; fewer problems, or the CPU)"),
                len as u64 * 4,
            )?;
        }
        let state: Vec<State> = vec![State { best: f32::MAX, ..State::default() }; problems.len()];
        let iters = MAX_ITERS;
        ctx.pipeline_paced(BATCH_SHADER, "iterate").await?;
        ctx.pipeline_paced(BATCH_SHADER, "plan_cost").await?;
        let c = Rc::clone(&ctx);
        let batch = c
            .scoped(|| Self {
                problems: ctx.upload("ot batch problems", &rows),
                state: ctx.upload("ot batch state", &state),
                points: ctx.upload("ot batch points", &points),
                cost: ctx.upload("ot batch costs", &cost),
                pot: ctx.upload("ot batch potentials", &vec![0f32; marg.len()]),
                scratch: ctx.upload("ot batch scratch", &vec![0f32; marg.len()]),
                marg: ctx.upload("ot batch marginals", &marg),
                count: problems.len(),
                iters,
                ctx: Rc::clone(&ctx),
            })
            .await?;
        Ok(batch)
    }

    /// Runs `dispatches` dispatches (each up to [`Self::iters_per_dispatch`] more iterations of every
    /// unfinished problem), then ⟨C, P⟩ of every problem, and returns every problem's state.
    pub async fn round(&mut self, dispatches: u32) -> Result<Vec<State>> {
        let ctx = Rc::clone(&self.ctx);
        let run = ctx.uniform(
            "ot batch run",
            &RunParams { iters: self.iters, window: STALL_WINDOW, floor: F32_FLOOR as f32, pad: 0 },
        );
        ctx.scoped(|| {
            let iterate = ctx.pipeline(BATCH_SHADER, "iterate");
            let cost = ctx.pipeline(BATCH_SHADER, "plan_cost");
            let buffers = [
                (0, &run),
                (1, &self.problems),
                (2, &self.state),
                (3, &self.points),
                (4, &self.cost),
                (5, &self.marg),
                (6, &self.pot),
                (7, &self.scratch),
            ];
            let bind_iterate = ctx.bind(&iterate, &buffers);
            let bind_cost = ctx.bind(
                &cost,
                &[(1, &self.problems), (2, &self.state), (3, &self.points), (4, &self.cost), (6, &self.pot)],
            );
            let mut encoder = ctx.device().create_command_encoder(&Default::default());
            {
                let mut pass = encoder.begin_compute_pass(&Default::default());
                pass.set_pipeline(&iterate);
                pass.set_bind_group(0, &bind_iterate, &[]);
                for _ in 0..dispatches.max(1) {
                    pass.dispatch_workgroups(self.count as u32, 1, 1);
                }
                pass.set_pipeline(&cost);
                pass.set_bind_group(0, &bind_cost, &[]);
                pass.dispatch_workgroups(self.count as u32, 1, 1);
            }
            ctx.queue().submit([encoder.finish()]);
        })
        .await?;
        let raw = ctx.read_f32(&self.state, self.count * 8).await?;
        Ok(raw.chunks_exact(8).map(|w| *bytemuck::from_bytes::<State>(bytemuck::cast_slice(w))).collect())
    }
}
