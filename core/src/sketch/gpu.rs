//! GPU twins of the sketch operators: Y = S·A on the device for every sketch of
//! [`super::operators::Sketch`], with A uploaded once ([`GpuMatrix`]) and kept there across trials.
//!
//! - Gaussian / Rademacher (`shaders/sketch/dense_apply.wgsl`): S drawn on the device from the same Philox
//!   bits as the CPU, never stored or uploaded: partial sums over blocks of A's rows, then their sum
//!   (memory O((n + blocks·m)·d), blocks ≤ 64).
//! - SRHT (`shaders/sketch/srht.wgsl` then `gather.wgsl`): random signs (Philox on the device) and padding,
//!   the Walsh–Hadamard transform in ⌈log₂ n′ / 3⌉ passes of up to three butterfly stages (a column's eight
//!   rows in registers), then a gather of the m sampled rows scaled
//!   by 1/√m.
//!
//! No kernel here uses workgroup memory or a barrier: SwiftShader (Chromium's WebGPU on the CPU) compiles a
//! pipeline with a barrier in ~1 s on the GPU process's main thread, during which the page cannot draw a
//! frame; these compile in under 100 ms (`e2e/probe_compile.mjs` measures it).
//! - CountSketch / OSNAP (`gather.wgsl`): WGSL has no float atomics, so the scatter becomes a gather over
//!   S's nonzeros grouped by output row ([`super::operators::Sketch::gather_plan`], O(n·s) indices built on
//!   the CPU from the same Philox draws).
//!
//! Only Y (m × d) is read back.

use bytemuck::{Pod, Zeroable};

use super::operators::{GatherPlan, Sketch, SketchKind};
use crate::error::{Error, Result};
use crate::gpu::{GpuContext, Shader};

/// `shaders/sketch/dense_apply.wgsl`, after `philox.wgsl`.
pub const DENSE_APPLY_SHADER: Shader = Shader {
    path: "sketch/dense_apply.wgsl",
    source: concat!(
        include_str!("../../../shaders/sketch/philox.wgsl"),
        include_str!("../../../shaders/sketch/dense_apply.wgsl")
    ),
};
/// Butterfly stages of the Walsh–Hadamard transform run per pass of `fwht_stages` (its register block holds
/// 2³ rows of a column).
const FWHT_STAGES_PER_PASS: u32 = 3;

/// `shaders/sketch/srht.wgsl`, after `philox.wgsl`.
pub const SRHT_SHADER: Shader = Shader {
    path: "sketch/srht.wgsl",
    source: concat!(
        include_str!("../../../shaders/sketch/philox.wgsl"),
        include_str!("../../../shaders/sketch/srht.wgsl")
    ),
};
/// `shaders/sketch/gather.wgsl`.
pub const GATHER_SHADER: Shader =
    Shader { path: "sketch/gather.wgsl", source: include_str!("../../../shaders/sketch/gather.wgsl") };

/// Most output columns per thread in dense_partial (its private sums; `COLS` in the shader).
const DENSE_COLS: usize = 32;
/// Rows of A per partial sum in dense_partial, at least (more when n would need over MAX_BLOCKS).
const BLOCK_ROWS: usize = 256;
/// Most partial sums per entry of Y (bounds the partial buffer to MAX_BLOCKS·m·d floats).
const MAX_BLOCKS: usize = 64;
/// Threads per workgroup of dense_partial and dense_sum (fwht_stage and srht_signs use 256).
const DENSE_WG: usize = 64;
/// Philox stream of SRHT's signs (as in operators.rs).
const SRHT_SIGNS_STREAM: u32 = 2;

#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
struct DenseParams {
    m: u32,
    n: u32,
    d: u32,
    kind: u32,
    seed_lo: u32,
    seed_hi: u32,
    stream: u32,
    chunks: u32,
    block: u32,
    blocks: u32,
    width: u32,
    pad: u32,
}

#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
struct SrhtParams {
    n: u32,
    len: u32,
    d: u32,
    chunks: u32,
    seed_lo: u32,
    seed_hi: u32,
    stream: u32,
    bit_lo: u32,
    bits: u32,
    pad: [u32; 3],
}

#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
struct GatherParams {
    m: u32,
    d: u32,
    pad: [u32; 2],
}

/// A row-major f32 matrix resident on the device.
pub struct GpuMatrix {
    buffer: wgpu::Buffer,
    rows: usize,
    cols: usize,
}

impl GpuMatrix {
    /// Uploads `data` (rows × cols, row-major); NaN/∞ and sizes over the device's limits are typed errors.
    pub fn upload(ctx: &GpuContext, data: &[f32], rows: usize, cols: usize) -> Result<Self> {
        if cols == 0 || data.len() != rows * cols {
            return Err(Error::ShapeMismatch { name: "A", got: data.len(), want: rows * cols.max(1) });
        }
        crate::error::ensure_finite("A", data.iter().map(|&v| f64::from(v)))?;
        ctx.check_storage_size(|| format!("a {rows} × {cols} f32 matrix"), (rows * cols) as u64 * 4)?;
        Ok(Self { buffer: ctx.upload_f32("sketch input", data), rows, cols })
    }

    pub fn rows(&self) -> usize {
        self.rows
    }

    pub fn cols(&self) -> usize {
        self.cols
    }
}

/// S·A for A already on the device; returns m × cols (row-major).
pub async fn apply(ctx: &GpuContext, sketch: &Sketch, a: &GpuMatrix) -> Result<Vec<f32>> {
    let (m, n, d) = (sketch.m, sketch.n, a.cols);
    if a.rows != n {
        return Err(Error::ShapeMismatch { name: "A's rows", got: a.rows, want: n });
    }
    ctx.check_storage_size(|| format!("a {m} × {d} f32 sketch"), (m * d) as u64 * 4)?;
    let padded = n.next_power_of_two();
    if sketch.kind == SketchKind::Srht {
        ctx.check_storage_size(|| format!("the padded {padded} × {d} f32 transform"), (padded * d) as u64 * 4)?;
    }
    let plan = sketch.gather_plan();
    let seed = (sketch.seed as u32, (sketch.seed >> 32) as u32);
    let y = ctx
        .scoped(|| -> Result<wgpu::Buffer> {
            let mut keep = Vec::new();
            let mut encoder = ctx.device().create_command_encoder(&Default::default());
            let y = match sketch.kind {
                SketchKind::Gaussian | SketchKind::Rademacher => {
                    let kind = u32::from(sketch.kind == SketchKind::Rademacher);
                    // Every chunk of columns draws S again: as few chunks as DENSE_COLS sums allow, equal widths.
                    let width = d.div_ceil(d.div_ceil(DENSE_COLS));
                    let chunks = d.div_ceil(width); // no chunk left empty (width · (chunks − 1) < d)
                                                    // Fewer, longer blocks when MAX_BLOCKS partial copies of Y would not fit one binding.
                    let limit = ctx.limits().max_storage_buffer_binding_size.min(ctx.limits().max_buffer_size) as usize;
                    let fit = (limit / (m * d * 4).max(1)).clamp(1, MAX_BLOCKS);
                    let block = BLOCK_ROWS.max(n.div_ceil(fit));
                    let blocks = n.div_ceil(block);
                    let params = DenseParams {
                        m: m as u32,
                        n: n as u32,
                        d: d as u32,
                        kind,
                        seed_lo: seed.0,
                        seed_hi: seed.1,
                        stream: kind,
                        chunks: chunks as u32,
                        block: block as u32,
                        blocks: blocks as u32,
                        width: width as u32,
                        pad: 0,
                    };
                    let part = ctx.storage("sketch partial sums", (blocks * m * d) as u64 * 4);
                    let y = ctx.storage("sketch Y", (m * d) as u64 * 4);
                    let uniform = ctx.uniform("dense params", &params);
                    let partial = ctx.pipeline(DENSE_APPLY_SHADER, "dense_partial");
                    let bind = ctx.bind(&partial, &[(0, &uniform), (1, &a.buffer), (2, &part)]);
                    dispatch(&mut encoder, &partial, &bind, ctx.grid((m * chunks * blocks).div_ceil(DENSE_WG) as u32)?);
                    let sum = ctx.pipeline(DENSE_APPLY_SHADER, "dense_sum");
                    let bind = ctx.bind(&sum, &[(0, &uniform), (2, &part), (3, &y)]);
                    dispatch(&mut encoder, &sum, &bind, ctx.grid((m * d).div_ceil(DENSE_WG) as u32)?);
                    keep.extend([uniform, part]);
                    y
                }
                SketchKind::Srht => {
                    let x = ctx.storage("SRHT HDA", (padded * d) as u64 * 4);
                    let base = SrhtParams {
                        n: n as u32,
                        len: padded as u32,
                        d: d as u32,
                        chunks: 0, // unused by the shader
                        seed_lo: seed.0,
                        seed_hi: seed.1,
                        stream: SRHT_SIGNS_STREAM,
                        bit_lo: 0,
                        bits: 0,
                        pad: [0; 3],
                    };
                    let uniform = ctx.uniform("srht signs", &base);
                    let pipeline = ctx.pipeline(SRHT_SHADER, "srht_signs");
                    let grid = ctx.grid((padded * d).div_ceil(256) as u32)?;
                    dispatch(
                        &mut encoder,
                        &pipeline,
                        &ctx.bind(&pipeline, &[(0, &uniform), (1, &a.buffer), (2, &x)]),
                        grid,
                    );
                    keep.push(uniform);
                    // H = the L butterfly stages, up to three per pass (the same bits as one per pass).
                    let fwht = ctx.pipeline(SRHT_SHADER, "fwht_stages");
                    let stages = padded.trailing_zeros();
                    let mut bit = 0;
                    while bit < stages {
                        let bits = (stages - bit).min(FWHT_STAGES_PER_PASS);
                        let uniform = ctx.uniform("fwht stages", &SrhtParams { bit_lo: bit, bits, ..base });
                        let grid = ctx.grid(((padded >> bits) * d).div_ceil(256) as u32)?;
                        dispatch(&mut encoder, &fwht, &ctx.bind(&fwht, &[(0, &uniform), (2, &x)]), grid);
                        keep.push(uniform);
                        bit += bits;
                    }
                    let y =
                        gather(ctx, &mut encoder, plan.as_ref().expect("SRHT has a gather plan"), &x, m, d, &mut keep)?;
                    keep.push(x);
                    y
                }
                SketchKind::CountSketch | SketchKind::Osnap => gather(
                    ctx,
                    &mut encoder,
                    plan.as_ref().expect("sparse sketches have a gather plan"),
                    &a.buffer,
                    m,
                    d,
                    &mut keep,
                )?,
            };
            ctx.queue().submit([encoder.finish()]);
            drop(keep);
            Ok(y)
        })
        .await??;
    ctx.read_f32(&y, m * d).await
}

/// S·A for A (n × d, row-major f32) given as a slice: uploads it, applies S, reads Y back.
pub async fn apply_slice(ctx: &GpuContext, sketch: &Sketch, a: &[f32], d: usize) -> Result<Vec<f32>> {
    let matrix = GpuMatrix::upload(ctx, a, sketch.n, d)?;
    apply(ctx, sketch, &matrix).await
}

fn dispatch(
    encoder: &mut wgpu::CommandEncoder,
    pipeline: &wgpu::ComputePipeline,
    bind: &wgpu::BindGroup,
    grid: (u32, u32),
) {
    let mut pass = encoder.begin_compute_pass(&Default::default());
    pass.set_pipeline(pipeline);
    pass.set_bind_group(0, bind, &[]);
    pass.dispatch_workgroups(grid.0, grid.1, 1);
}

/// Encodes Y = gather(plan, X) (m × d) and returns Y; the index buffers go to `keep` until submission.
fn gather(
    ctx: &GpuContext,
    encoder: &mut wgpu::CommandEncoder,
    plan: &GatherPlan,
    x: &wgpu::Buffer,
    m: usize,
    d: usize,
    keep: &mut Vec<wgpu::Buffer>,
) -> Result<wgpu::Buffer> {
    ctx.check_storage_size(|| format!("{} sketch nonzeros", plan.col.len()), plan.col.len() as u64 * 4)?;
    let uniform = ctx.uniform("gather params", &GatherParams { m: m as u32, d: d as u32, pad: [0; 2] });
    let ptr = ctx.upload("gather ptr", &plan.ptr);
    let col = ctx.upload("gather col", &plan.col);
    let weight = ctx.upload("gather weight", &plan.weight);
    let y = ctx.storage("sketch Y", (m * d) as u64 * 4);
    let pipeline = ctx.pipeline(GATHER_SHADER, "csr_gather");
    let bind = ctx.bind(&pipeline, &[(0, &uniform), (1, &ptr), (2, &col), (3, &weight), (4, x), (5, &y)]);
    dispatch(encoder, &pipeline, &bind, ctx.grid((m * d).div_ceil(256) as u32)?);
    keep.extend([uniform, ptr, col, weight]);
    Ok(y)
}
