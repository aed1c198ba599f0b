//! Shared by the native (lavapipe) and browser (WebGPU) test suites: the GPU reduction against its CPU
//! twin, with the tolerance of `regula_core::reduce::tolerance` (derived there from f32 rounding).

use regula_core::cpu;
use regula_core::gpu::{reduce, GpuContext};
use regula_core::reduce::{tolerance, ReduceAxis, ReduceOp};
use regula_core::rng::SplitMix64;

/// Shapes that exercise the edges: 1 element, single rows/columns, sizes that are not multiples of the
/// workgroup size (256) or of the chunk targets (4096 / 64), and more than one chunk per line.
pub const SHAPES: &[(usize, usize)] =
    &[(1, 1), (1, 257), (257, 1), (3, 5), (255, 257), (17, 4099), (1000, 3), (2, 70_001), (333, 129)];

/// Data in [−scale, scale), already representable in f32.
pub fn data(rows: usize, cols: usize, seed: u64, scale: f64) -> (Vec<f32>, Vec<f64>) {
    let mut rng = SplitMix64::new(seed);
    let f: Vec<f32> = (0..rows * cols).map(|_| (scale * (2.0 * rng.uniform() - 1.0)) as f32).collect();
    let d = f.iter().map(|&v| f64::from(v)).collect();
    (f, d)
}

/// Runs one reduction on both backends and panics with the worst line if any exceeds the tolerance.
/// Returns the largest |GPU − CPU| / tolerance seen (≤ 1 on success).
pub async fn compare(ctx: &GpuContext, rows: usize, cols: usize, op: ReduceOp, axis: ReduceAxis, seed: u64) -> f64 {
    let (f, d) = data(rows, cols, seed, 8.0);
    let gpu = reduce::reduce(ctx, rows, cols, &f, op, axis).await.expect("gpu reduce");
    let cpu = cpu::reduce::reduce(rows, cols, &d, op, axis).expect("cpu reduce");
    let abs: Vec<f64> = d.iter().map(|v| v.abs()).collect();
    let abs_sums = cpu::reduce::reduce(rows, cols, &abs, ReduceOp::Sum, axis).unwrap();
    let (outputs, len) = axis.outputs_and_len(rows, cols);
    assert_eq!(gpu.len(), outputs, "{rows}×{cols} {op} {axis}: output length");
    let mut worst = 0.0f64;
    for (i, ((g, c), a)) in gpu.iter().zip(&cpu).zip(&abs_sums).enumerate() {
        let tol = tolerance(op, len, *a, *c);
        let diff = (f64::from(*g) - c).abs();
        assert!(
            diff <= tol,
            "{rows}×{cols} {op} per {axis}, line {i}: gpu {g} vs cpu {c} (|diff| {diff:.3e} > tol {tol:.3e})"
        );
        worst = worst.max(diff / tol);
    }
    worst
}

/// All ops × axes × [`SHAPES`].
pub async fn compare_all(ctx: &GpuContext) -> usize {
    let mut cases = 0;
    for (k, &(rows, cols)) in SHAPES.iter().enumerate() {
        for op in ReduceOp::ALL {
            for axis in ReduceAxis::ALL {
                compare(ctx, rows, cols, op, axis, 100 + k as u64).await;
                cases += 1;
            }
        }
    }
    cases
}
