//! GPU twin of the dense sketches (`shaders/sketch/dense_apply.wgsl`): Y = S·A for Gaussian and Rademacher
//! S, drawn on the device from the same Philox bits as [`super::operators::Sketch::apply`] (S is never
//! stored or uploaded: memory O((n + m)·d)).

use bytemuck::{Pod, Zeroable};

use super::operators::{Sketch, SketchKind};
use crate::error::{Error, Result};
use crate::gpu::{GpuContext, Shader};

/// `shaders/sketch/dense_apply.wgsl`.
pub const DENSE_APPLY_SHADER: Shader =
    Shader { path: "sketch/dense_apply.wgsl", source: include_str!("../../../shaders/sketch/dense_apply.wgsl") };

/// Output columns per workgroup in the shader.
const COLS: usize = 8;

#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
struct Params {
    m: u32,
    n: u32,
    d: u32,
    kind: u32,
    seed_lo: u32,
    seed_hi: u32,
    stream: u32,
    chunks: u32,
}

/// S·A on the GPU for A (n × d, row-major f32); returns m × d. Dense sketches only.
pub async fn apply_dense(ctx: &GpuContext, sketch: &Sketch, a: &[f32], d: usize) -> Result<Vec<f32>> {
    let (kind, stream) = match sketch.kind {
        SketchKind::Gaussian => (0, 0),
        SketchKind::Rademacher => (1, 1),
        other => {
            return Err(Error::Invalid { name: "sketch", message: format!("{other} is not a dense sketch (gaussian, rademacher)") })
        }
    };
    let (m, n) = (sketch.m, sketch.n);
    if a.len() != n * d || d == 0 {
        return Err(Error::ShapeMismatch { name: "A", got: a.len(), want: n * d.max(1) });
    }
    crate::error::ensure_finite("A", a.iter().map(|&v| f64::from(v)))?;
    ctx.check_storage_size(|| format!("a {n} × {d} f32 matrix"), (n * d) as u64 * 4)?;
    ctx.check_storage_size(|| format!("a {m} × {d} f32 sketch"), (m * d) as u64 * 4)?;
    let chunks = d.div_ceil(COLS);
    let grid = ctx.grid((m * chunks) as u32)?;
    let params = Params {
        m: m as u32,
        n: n as u32,
        d: d as u32,
        kind,
        seed_lo: sketch.seed as u32,
        seed_hi: (sketch.seed >> 32) as u32,
        stream,
        chunks: chunks as u32,
    };
    let y = ctx
        .scoped(|| {
            let input = ctx.upload_f32("sketch A", a);
            let y = ctx.storage("sketch Y", (m * d) as u64 * 4);
            let uniform = ctx.uniform("sketch params", &params);
            let pipeline = ctx.pipeline(DENSE_APPLY_SHADER, "dense_apply");
            let bind = ctx.bind(&pipeline, &[(0, &uniform), (1, &input), (2, &y)]);
            let mut encoder = ctx.device().create_command_encoder(&Default::default());
            {
                let mut pass = encoder.begin_compute_pass(&Default::default());
                pass.set_pipeline(&pipeline);
                pass.set_bind_group(0, &bind, &[]);
                pass.dispatch_workgroups(grid.0, grid.1, 1);
            }
            ctx.queue().submit([encoder.finish()]);
            y
        })
        .await?;
    ctx.read_f32(&y, m * d).await
}
