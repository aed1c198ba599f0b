//! The GPU sketches against their CPU twins, shared by the native and browser suites.

use regula_core::gpu::GpuContext;
use regula_core::sketch::gpu::apply_slice;
use regula_core::sketch::operators::{Sketch, SketchKind};

/// Checks that the GPU draws the same S as the CPU (S·I = S) and that S·A agrees.
///
/// Tolerances, from WGSL's accuracy rules: a Rademacher, SRHT, CountSketch or OSNAP entry is a sign times
/// 1/√m or 1/√s (SRHT: a Hadamard entry, sums of ±1 exact in f32), so exact up to f32 rounding. A
/// Gaussian entry N = r·cos θ with r = √(−2 ln u) ≤ R = √(2 ln 2²⁵) ≈ 5.9 (u ≥ 2⁻²⁵); WGSL allows cos an
/// absolute error of 2⁻¹¹ on [−π, π] and log 3 ULP, so |ΔN| ≤ 2⁻¹¹·R + 1e-5 and |ΔS_ij| ≤ that / √m.
/// A product entry adds Σ_j |ΔS_ij||A_jc| to the f32 summation error 2e-6·Σ_j |S_ij A_jc|.
pub async fn check(ctx: &GpuContext, kind: SketchKind, m: usize, n: usize, d: usize, seed: u64) {
    let sketch = Sketch::new(kind, m, n, 3.min(m), seed).unwrap();
    let s = sketch.dense();
    let identity: Vec<f32> = (0..n * n).map(|k| if k % (n + 1) == 0 { 1.0 } else { 0.0 }).collect();
    let gpu_s = apply_slice(ctx, &sketch, &identity, n).await.unwrap();
    let entry_tol = entry_tolerance(kind, m);
    assert_eq!((gpu_s.len(), s.len()), (m * n, m * n), "{kind}: S is m × n on both sides");
    for (k, (g, c)) in gpu_s.iter().zip(&s).enumerate() {
        let tol = entry_tol + 1e-7 * c.abs();
        assert!((f64::from(*g) - c).abs() <= tol, "{kind} S[{k}]: gpu {g} vs cpu {c}");
    }
    check_apply(ctx, &sketch, d).await;
}

fn entry_tolerance(kind: SketchKind, m: usize) -> f64 {
    match kind {
        SketchKind::Gaussian => (5.9 / 2048.0 + 1e-5) / (m as f64).sqrt(),
        _ => 1e-7,
    }
}

/// S·A on the GPU against the CPU for a sketch too large to compare entry by entry. The SRHT's transform
/// adds log₂ n′ f32 roundings per entry, each ≤ 6e-8 of Σ|A_jc|/√m: within 6e-6 of the scale below for
/// n′ ≤ 2¹⁷.
pub async fn check_apply(ctx: &GpuContext, sketch: &Sketch, d: usize) {
    let (kind, m, n) = (sketch.kind, sketch.m, sketch.n);
    let entry_tol = entry_tolerance(kind, m);
    // A bound on |S_ij|: 1/√m for SRHT and Rademacher, 6/√m for a Gaussian, 1 for the sparse sketches.
    let s_max = match kind {
        SketchKind::Srht | SketchKind::Rademacher => 1.0 / (m as f64).sqrt(),
        SketchKind::Gaussian => 6.0 / (m as f64).sqrt(),
        _ => 1.0,
    };
    let a: Vec<f32> = (0..n * d).map(|k| ((k as f32) * 0.731).sin()).collect();
    let a64: Vec<f64> = a.iter().map(|&v| f64::from(v)).collect();
    let cpu = sketch.apply(&a64, d).unwrap();
    let gpu = apply_slice(ctx, sketch, &a, d).await.unwrap();
    for i in 0..m {
        for c in 0..d {
            let a_sum: f64 = (0..n).map(|j| a64[j * d + c].abs()).sum();
            let scale = s_max * a_sum;
            let diff = (f64::from(gpu[i * d + c]) - cpu[i * d + c]).abs();
            assert!(
                diff <= entry_tol * a_sum + 6e-6 * scale + 1e-9,
                "{kind} ({i},{c}): gpu {} vs cpu {} (scale {scale})",
                gpu[i * d + c],
                cpu[i * d + c]
            );
        }
    }
}
