//! GPU path of the row/column reduction (`shaders/reduce/reduce.wgsl`): y = ⊕ per row or per column, with
//! ⊕ ∈ {sum, max, LSE}, in two stages (chunk partials, then one fold per line). CPU twin:
//! [`crate::cpu::reduce`]; tolerance between them: [`crate::reduce::tolerance`].

use bytemuck::{Pod, Zeroable};

use super::{GpuContext, REDUCE_SHADER};
use crate::error::Result;
use crate::reduce::{check_shape, ReduceAxis, ReduceOp};

/// Workgroup size of every entry point in `reduce.wgsl`.
const WG: usize = 256;
/// Stage-1 partials per line are capped so that stage 2 (one thread per line) stays short.
const MAX_CHUNKS: usize = 256;
/// Elements one stage-1 workgroup aims to reduce along a row (16 per thread).
const ROW_CHUNK_TARGET: usize = 4096;
/// Rows one stage-1 thread aims to walk down a column.
const COL_CHUNK_TARGET: usize = 64;

/// The uniform block of `reduce.wgsl` (same field order).
#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
struct Params {
    rows: u32,
    cols: u32,
    op: u32,
    axis: u32,
    chunk: u32,
    num_chunks: u32,
    outputs: u32,
    total: u32,
}

/// How a reduction is cut into chunks, derived from the shape alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReducePlan {
    pub outputs: usize,
    pub chunk: usize,
    pub num_chunks: usize,
    /// Stage-1 workgroups.
    pub stage1_groups: usize,
    /// Stage-2 workgroups (256 lines each).
    pub stage2_groups: usize,
}

impl ReducePlan {
    pub fn new(rows: usize, cols: usize, axis: ReduceAxis) -> Self {
        let (outputs, len) = axis.outputs_and_len(rows, cols);
        let target = match axis {
            ReduceAxis::Rows => ROW_CHUNK_TARGET,
            ReduceAxis::Cols => COL_CHUNK_TARGET,
        };
        let num_chunks = len.div_ceil(target).clamp(1, MAX_CHUNKS);
        let chunk = len.div_ceil(num_chunks);
        let num_chunks = len.div_ceil(chunk); // every chunk non-empty
        let stage1_groups = match axis {
            ReduceAxis::Rows => outputs * num_chunks,
            ReduceAxis::Cols => cols.div_ceil(WG) * num_chunks,
        };
        Self { outputs, chunk, num_chunks, stage1_groups, stage2_groups: outputs.div_ceil(WG) }
    }
}

/// A reduction of one device-resident matrix, with its pipelines, bind groups and output buffer built
/// once: `run` can then be called every iteration without allocating.
pub struct Reduction {
    plan: ReducePlan,
    stage1: (wgpu::ComputePipeline, wgpu::BindGroup, (u32, u32)),
    stage2: (wgpu::ComputePipeline, wgpu::BindGroup, (u32, u32)),
    out: wgpu::Buffer,
}

impl Reduction {
    /// Plans ⊕ over `x` (rows × cols f32 on the device). Fails with a typed error when a size is zero or a
    /// buffer or dispatch would exceed the adapter's limits.
    pub async fn new(
        ctx: &GpuContext,
        x: &wgpu::Buffer,
        rows: usize,
        cols: usize,
        op: ReduceOp,
        axis: ReduceAxis,
    ) -> Result<Self> {
        check_shape(rows, cols)?;
        ctx.check_storage_size(|| format!("a {rows} × {cols} f32 matrix"), (rows as u64) * (cols as u64) * 4)?;
        let plan = ReducePlan::new(rows, cols, axis);
        ctx.check_storage_size(
            || format!("{} partial results", plan.outputs * plan.num_chunks),
            (plan.outputs * plan.num_chunks) as u64 * 8,
        )?;
        let grid1 = ctx.grid(plan.stage1_groups as u32)?;
        let grid2 = ctx.grid(plan.stage2_groups as u32)?;
        let params = |total: usize| Params {
            rows: rows as u32,
            cols: cols as u32,
            op: match op {
                ReduceOp::Sum => 0,
                ReduceOp::Max => 1,
                ReduceOp::Lse => 2,
            },
            axis: match axis {
                ReduceAxis::Rows => 0,
                ReduceAxis::Cols => 1,
            },
            chunk: plan.chunk as u32,
            num_chunks: plan.num_chunks as u32,
            outputs: plan.outputs as u32,
            total: total as u32,
        };
        let entry1 = match axis {
            ReduceAxis::Rows => "partial_rows",
            ReduceAxis::Cols => "partial_cols",
        };
        // Compiled ahead, one per paced step (the page's frames keep coming); cached for the scope below.
        ctx.pipeline_paced(REDUCE_SHADER, entry1).await?;
        ctx.pipeline_paced(REDUCE_SHADER, "finish").await?;
        ctx.scoped(|| {
            let partials = ctx.storage("reduce partials", (plan.outputs * plan.num_chunks) as u64 * 8);
            let out = ctx.storage("reduce output", plan.outputs as u64 * 4);
            let p1 = ctx.uniform("reduce params 1", &params(plan.stage1_groups));
            let p2 = ctx.uniform("reduce params 2", &params(plan.outputs));
            let pipe1 = ctx.pipeline(REDUCE_SHADER, entry1);
            let pipe2 = ctx.pipeline(REDUCE_SHADER, "finish");
            let bind1 = ctx.bind(&pipe1, &[(0, &p1), (1, x), (2, &partials)]);
            let bind2 = ctx.bind(&pipe2, &[(0, &p2), (2, &partials), (3, &out)]);
            Self { plan, stage1: (pipe1, bind1, grid1), stage2: (pipe2, bind2, grid2), out }
        })
        .await
    }

    pub fn plan(&self) -> ReducePlan {
        self.plan
    }

    /// The device buffer that holds y after `encode` has run.
    pub fn output(&self) -> &wgpu::Buffer {
        &self.out
    }

    /// Records both stages into `encoder` (labs fuse this with their own passes).
    pub fn encode(&self, encoder: &mut wgpu::CommandEncoder) {
        let mut pass =
            encoder.begin_compute_pass(&wgpu::ComputePassDescriptor { label: Some("reduce"), timestamp_writes: None });
        for (pipeline, bind, (x, y)) in [&self.stage1, &self.stage2] {
            pass.set_pipeline(pipeline);
            pass.set_bind_group(0, bind, &[]);
            pass.dispatch_workgroups(*x, *y, 1);
        }
    }

    /// Runs the reduction and reads y back.
    pub async fn run(&self, ctx: &GpuContext) -> Result<Vec<f32>> {
        let mut encoder = ctx.device().create_command_encoder(&Default::default());
        self.encode(&mut encoder);
        ctx.queue().submit([encoder.finish()]);
        ctx.read_f32(&self.out, self.plan.outputs).await
    }
}

/// One-shot convenience: uploads `data` (rows × cols, row-major), reduces, reads back.
pub async fn reduce(
    ctx: &GpuContext,
    rows: usize,
    cols: usize,
    data: &[f32],
    op: ReduceOp,
    axis: ReduceAxis,
) -> Result<Vec<f32>> {
    crate::reduce::check_matrix_f32(rows, cols, data)?;
    let x = ctx.upload_f32("reduce input", data);
    Reduction::new(ctx, &x, rows, cols, op, axis).await?.run(ctx).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_cover_every_element_with_nonempty_chunks() {
        for (rows, cols) in [(1, 1), (1, 4097), (3, 100_000), (70_000, 1), (257, 513), (5, 2_000_000)] {
            for axis in ReduceAxis::ALL {
                let plan = ReducePlan::new(rows, cols, axis);
                let (_, len) = axis.outputs_and_len(rows, cols);
                assert!(plan.num_chunks >= 1 && plan.num_chunks <= MAX_CHUNKS);
                assert!(plan.chunk * plan.num_chunks >= len, "{rows}×{cols} {axis}: {plan:?}");
                assert!(plan.chunk * (plan.num_chunks - 1) < len, "last chunk empty: {plan:?}");
            }
        }
    }
}
