//! The GPU trainer against the CPU trainer, shared by the native and browser suites.

use std::rc::Rc;

use regula_core::frame::{run_to_end, Budget, StopReason};
use regula_core::gpu::GpuContext;
use regula_core::train::gpu::{GpuKernel, GpuTrainer};
use regula_core::train::{DatasetSpec, Optimizer, TrainConfig, Trainer};

/// f32's unit roundoff.
const U: f64 = f32::EPSILON as f64 / 2.0;

/// How far the GPU's θ may lie from the CPU twin's, relative to 1 + |θ|, after `steps` updates whose
/// longest sums have `terms` terms (the batch's rows, or a layer's fan-in), derived from f32 rounding as
/// `reduce::tolerance` is: θ and the inputs are rounded once (2u); each update's gradient is a sum of
/// `terms` rounded products, off by about √terms·u relative (rounding errors add like a random walk; ×4 for
/// the products and activations feeding the sums), and an update moves θ by at most its own scale, so each
/// step adds up to 4√terms·u; momentum carries an error on for 1/(1 − β) steps. Measured: 2e-8–2e-7, well
/// inside; a short last batch divided by the wrong count is far outside (a test shows it).
pub fn tolerance(steps: u64, terms: usize, config: &TrainConfig) -> f64 {
    let memory = if config.optimizer == Optimizer::Momentum { 1.0 / (1.0 - config.momentum) } else { 1.0 };
    (2.0 + 4.0 * steps as f64 * (terms.max(1) as f64).sqrt() * memory) * U
}

/// The longest sums of a training step: the batch's rows (a weight's gradient) or a layer's fan-in.
pub fn longest_sum(t: &Trainer) -> usize {
    t.batch_size().max(t.architecture().widths().into_iter().max().unwrap_or(1))
}

/// Runs both (the GPU with `kernel`) from the same initial weights and epoch orders; returns (max |θ_gpu −
/// θ_cpu| / (1 + |θ_cpu|) as a share of [`tolerance`] — below 1 when they agree —, train loss cpu, train
/// loss gpu).
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
    assert_eq!(cpu.params().len(), gpu.cpu().params().len(), "the same network");
    let worst = max_difference(cpu.params(), gpu.cpu().params());
    let tol = tolerance(fc.iteration, longest_sum(&cpu), &cpu.config);
    println!("θ within {worst:.1e} of the f64 twin: {:.3} of the tolerance {tol:.1e}", worst / tol);
    (worst / tol, fc.metric("train_loss").unwrap(), fg.metric("train_loss").unwrap())
}

/// max |a − b| / (1 + |a|) over two parameter vectors of the same length.
pub fn max_difference(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len());
    a.iter().zip(b).map(|(x, y)| (x - y).abs() / (1.0 + x.abs())).fold(0.0, f64::max)
}
