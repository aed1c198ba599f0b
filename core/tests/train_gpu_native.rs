//! The GPU trainer (a whole epoch of mini-batch steps in one workgroup, f32, on lavapipe) against the CPU
//! trainer (f64) from the same initial weights and the same epoch orders.
#![cfg(not(target_arch = "wasm32"))]

#[path = "common/train.rs"]
mod train_common;

use regula_core::gpu::GpuContext;
use regula_core::train::gpu::GpuTrainer;
use regula_core::train::{Activation, DatasetKind, DatasetSpec, Loss, Optimizer, TrainConfig, Trainer};
use train_common::TOL;

fn compare(spec: DatasetSpec, config: TrainConfig) -> (f64, f64, f64) {
    let ctx = pollster::block_on(GpuContext::new()).expect("no GPU adapter: install mesa-vulkan-drivers (lavapipe)");
    pollster::block_on(train_common::compare(ctx, spec, config))
}

#[test]
fn sgd_mini_batches_match_the_cpu() {
    let spec = DatasetSpec { kind: DatasetKind::Xor, n: 200, train_ratio: 0.8, ..DatasetSpec::default() };
    let config = TrainConfig { hidden: vec![8, 8], lr: 0.05, batch: 10, epochs: 3, ..TrainConfig::default() };
    let (worst, lc, lg) = compare(spec, config);
    assert!(worst < TOL, "θ differs by {worst}");
    assert!((lc - lg).abs() < 1e-3 * lc.max(1e-3), "loss {lc} vs {lg}");
}

#[test]
fn per_layer_activations_match_the_cpu() {
    let spec = DatasetSpec { kind: DatasetKind::Circle, n: 200, ..DatasetSpec::default() };
    let config = TrainConfig {
        hidden: vec![8, 6, 4],
        layer_activations: vec![Activation::Relu, Activation::Sigmoid, Activation::Linear],
        lr: 0.05,
        batch: 20,
        epochs: 3,
        ..TrainConfig::default()
    };
    let (worst, lc, lg) = compare(spec, config);
    assert!(worst < TOL, "θ differs by {worst}");
    assert!((lc - lg).abs() < 1e-3 * lc.max(1e-3), "loss {lc} vs {lg}");
}

#[test]
fn full_batch_momentum_with_several_epochs_per_dispatch_matches_the_cpu() {
    let spec = DatasetSpec::default(); // spiral, 200 points, full training set
    let config = TrainConfig { hidden: vec![32, 32], optimizer: Optimizer::Momentum, lr: 0.02, batch: 0, epochs: 25, ..TrainConfig::default() };
    let (worst, lc, lg) = compare(spec, config);
    assert!(worst < TOL, "θ differs by {worst}");
    assert!((lc - lg).abs() < 1e-3 * lc.max(1e-3), "loss {lc} vs {lg}");
}

/// 899 training rows × batch 32 × 1,210 parameters: the epoch is split over several dispatches (a single
/// one this long came back truncated on lavapipe before the split existed).
#[test]
fn adam_cross_entropy_on_digits_matches_the_cpu() {
    let spec = DatasetSpec { kind: DatasetKind::Digits, train_ratio: 0.5, ..DatasetSpec::default() };
    let config = TrainConfig { hidden: vec![16], activation: Activation::Relu, loss: Loss::Xent, optimizer: Optimizer::Adam, lr: 0.003, batch: 32, epochs: 1, label_smoothing: 0.1, ..TrainConfig::default() };
    let (worst, lc, lg) = compare(spec, config);
    assert!(worst < TOL, "θ differs by {worst}");
    assert!((lc - lg).abs() < 1e-3 * lc, "loss {lc} vs {lg}");
}

#[test]
fn the_kernel_limits_are_typed_errors() {
    let ctx = pollster::block_on(GpuContext::new()).expect("no GPU adapter");
    let data = DatasetSpec { kind: DatasetKind::Circle, n: 600, ..DatasetSpec::default() }.build().unwrap();
    let wide = Trainer::new(data.clone(), TrainConfig { hidden: vec![65], ..TrainConfig::default() }).unwrap();
    assert!(GpuTrainer::new(ctx.clone(), wide).is_err());
    let big_batch = Trainer::new(data, TrainConfig { batch: 300, ..TrainConfig::default() }).unwrap();
    assert!(GpuTrainer::new(ctx, big_batch).is_err());
}
