//! The GPU trainer against the CPU trainer, shared by the native and browser suites.

use std::rc::Rc;

use regula_core::frame::{run_to_end, Budget, StopReason};
use regula_core::gpu::GpuContext;
use regula_core::train::gpu::{GpuKernel, GpuTrainer};
use regula_core::train::{DatasetSpec, TrainConfig, Trainer};

/// Tolerance on θ, relative to 1 + |θ|: each update adds f32 rounding of order 1e-7 relative per
/// multiply-add; over ≤ 100 steps of well-conditioned training the weights stay within ~1e-6 of the f64
/// path (measured: 2e-8–2e-7). 2e-3 leaves room for the amplification a non-convex loss allows, and is far
/// below what a wrong gradient or a skipped step gives (≥ 1e-2 after a few steps).
pub const TOL: f64 = 2e-3;

/// Runs both (the GPU with `kernel`) from the same initial weights and epoch orders; returns (max |θ_gpu − θ_cpu| / (1 + |θ_cpu|),
/// train loss cpu, train loss gpu).
pub async fn compare(
    ctx: Rc<GpuContext>,
    spec: DatasetSpec,
    config: TrainConfig,
    kernel: GpuKernel,
) -> (f64, f64, f64) {
    let data = spec.build().unwrap();
    let mut cpu = Trainer::new(data.clone(), config.clone()).unwrap();
    let mut gpu = GpuTrainer::with_kernel(ctx, Trainer::new(data, config).unwrap(), kernel).unwrap();
    assert_eq!(gpu.kernel(), kernel, "the kernel asked for");
    let fc = run_to_end(&mut cpu, Budget::iterations(100_000), |_| {}).await.unwrap();
    let fg = run_to_end(&mut gpu, Budget::iterations(100_000), |f| assert!(f.metrics.values().all(|v| v.is_finite())))
        .await
        .unwrap();
    assert_eq!(fc.iteration, fg.iteration, "same number of updates");
    assert_eq!(fg.stop, Some(StopReason::Completed));
    let worst =
        cpu.params().iter().zip(gpu.cpu().params()).map(|(c, g)| (c - g).abs() / (1.0 + c.abs())).fold(0.0, f64::max);
    (worst, fc.metric("train_loss").unwrap(), fg.metric("train_loss").unwrap())
}
