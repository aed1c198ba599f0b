//! The GPU trainer (a whole epoch of mini-batch steps in one workgroup, f32, on lavapipe) against the CPU
//! trainer (f64) from the same initial weights and the same epoch orders.
#![cfg(not(target_arch = "wasm32"))]

#[path = "common/train.rs"]
mod train_common;

use regula_core::gpu::GpuContext;
use regula_core::train::gpu::{GpuKernel, GpuTrainer};
use regula_core::train::{Activation, DatasetKind, DatasetSpec, Loss, Optimizer, Regularization, TrainConfig, Trainer};

fn compare(spec: DatasetSpec, config: TrainConfig) -> (f64, f64, f64) {
    compare_with(spec, config, GpuKernel::OneWorkgroup)
}

fn compare_with(spec: DatasetSpec, config: TrainConfig, kernel: GpuKernel) -> (f64, f64, f64) {
    let ctx = pollster::block_on(GpuContext::new()).expect("no GPU adapter: install mesa-vulkan-drivers (lavapipe)");
    pollster::block_on(train_common::compare(ctx, spec, config, kernel))
}

#[test]
fn sgd_mini_batches_match_the_cpu() {
    let spec = DatasetSpec { kind: DatasetKind::Xor, n: 200, train_ratio: 0.8, ..DatasetSpec::default() };
    let config = TrainConfig { hidden: vec![8, 8], lr: 0.05, batch: 10, epochs: 3, ..TrainConfig::default() };
    let (worst, lc, lg) = compare(spec, config);
    assert!(worst < 1.0, "θ differs by {worst} of the tolerance");
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
    assert!(worst < 1.0, "θ differs by {worst} of the tolerance");
    assert!((lc - lg).abs() < 1e-3 * lc.max(1e-3), "loss {lc} vs {lg}");
}

#[test]
fn full_batch_momentum_with_several_epochs_per_dispatch_matches_the_cpu() {
    let spec = DatasetSpec::default(); // spiral, 200 points, full training set
    let config = TrainConfig {
        hidden: vec![32, 32],
        optimizer: Optimizer::Momentum,
        lr: 0.02,
        batch: 0,
        epochs: 25,
        ..TrainConfig::default()
    };
    let (worst, lc, lg) = compare(spec, config);
    assert!(worst < 1.0, "θ differs by {worst} of the tolerance");
    assert!((lc - lg).abs() < 1e-3 * lc.max(1e-3), "loss {lc} vs {lg}");
}

/// 899 training rows × batch 32 × 1,210 parameters: the epoch is split over several dispatches (a single
/// one this long came back truncated on lavapipe before the split existed).
#[test]
fn adam_cross_entropy_on_digits_matches_the_cpu() {
    let spec = DatasetSpec { kind: DatasetKind::Digits, train_ratio: 0.5, ..DatasetSpec::default() };
    let config = TrainConfig {
        hidden: vec![16],
        activation: Activation::Relu,
        loss: Loss::Xent,
        optimizer: Optimizer::Adam,
        lr: 0.003,
        batch: 32,
        epochs: 1,
        label_smoothing: 0.1,
        ..TrainConfig::default()
    };
    let (worst, lc, lg) = compare(spec, config);
    assert!(worst < 1.0, "θ differs by {worst} of the tolerance");
    assert!((lc - lg).abs() < 1e-3 * lc, "loss {lc} vs {lg}");
}

/// The tiled kernel on the same settings as the one-workgroup tests: SGD mini-batches, per-layer
/// activations, full-batch momentum over several epochs per submission, Adam + label smoothing on digits.
#[test]
fn the_tiled_kernel_matches_the_cpu_on_small_nets() {
    let cases = [
        (
            DatasetSpec { kind: DatasetKind::Xor, n: 200, train_ratio: 0.8, ..DatasetSpec::default() },
            TrainConfig { hidden: vec![8, 8], lr: 0.05, batch: 10, epochs: 3, ..TrainConfig::default() },
        ),
        (
            DatasetSpec { kind: DatasetKind::Circle, n: 200, ..DatasetSpec::default() },
            TrainConfig {
                hidden: vec![8, 6, 4],
                layer_activations: vec![Activation::Relu, Activation::Sigmoid, Activation::Linear],
                lr: 0.05,
                batch: 20,
                epochs: 3,
                ..TrainConfig::default()
            },
        ),
        (
            DatasetSpec::default(),
            TrainConfig {
                hidden: vec![32, 32],
                optimizer: Optimizer::Momentum,
                lr: 0.02,
                batch: 0,
                epochs: 25,
                ..TrainConfig::default()
            },
        ),
        (
            DatasetSpec { kind: DatasetKind::Digits, train_ratio: 0.5, ..DatasetSpec::default() },
            TrainConfig {
                hidden: vec![16],
                activation: Activation::Relu,
                loss: Loss::Xent,
                optimizer: Optimizer::Adam,
                lr: 0.003,
                batch: 32,
                epochs: 1,
                label_smoothing: 0.1,
                ..TrainConfig::default()
            },
        ),
    ];
    for (spec, config) in cases {
        let (worst, lc, lg) = compare_with(spec, config.clone(), GpuKernel::Tiled);
        assert!(worst < 1.0, "{:?}: θ differs by {worst} of the tolerance", config.hidden);
        assert!((lc - lg).abs() < 1e-3 * lc.max(1e-3), "{:?}: loss {lc} vs {lg}", config.hidden);
    }
}

/// Past the one-workgroup limits: widths 100 and 70 (not multiples of the 64 × 64 block), a batch of 300
/// that leaves a short last batch (450 training rows), L1 on the weights, cross-entropy over 10 classes.
#[test]
fn the_tiled_kernel_trains_nets_past_the_one_workgroup_limits() {
    let spec = DatasetSpec { kind: DatasetKind::Digits, train_ratio: 0.25, ..DatasetSpec::default() };
    let config = TrainConfig {
        hidden: vec![100, 70],
        activation: Activation::Tanh,
        loss: Loss::Xent,
        optimizer: Optimizer::Momentum,
        reg: Regularization::L1,
        reg_rate: 0.03,
        lr: 0.05,
        batch: 300,
        epochs: 2,
        ..TrainConfig::default()
    };
    let ctx = pollster::block_on(GpuContext::new()).expect("no GPU adapter");
    let data = spec.build().unwrap();
    let auto = GpuTrainer::new(ctx, Trainer::new(data, config.clone()).unwrap()).unwrap();
    assert_eq!(auto.kernel(), GpuKernel::Tiled, "a net past the limits picks the tiled kernel");
    let (worst, lc, lg) = compare_with(spec, config, GpuKernel::Tiled);
    assert!(worst < 1.0, "θ differs by {worst} of the tolerance");
    assert!((lc - lg).abs() < 1e-3 * lc, "loss {lc} vs {lg}");
}

#[test]
fn the_one_workgroup_limits_are_typed_errors() {
    let ctx = pollster::block_on(GpuContext::new()).expect("no GPU adapter");
    let data = DatasetSpec { kind: DatasetKind::Circle, n: 600, ..DatasetSpec::default() }.build().unwrap();
    let wide = Trainer::new(data.clone(), TrainConfig { hidden: vec![65], ..TrainConfig::default() }).unwrap();
    assert!(GpuTrainer::with_kernel(ctx.clone(), wide, GpuKernel::OneWorkgroup).is_err());
    let big_batch = Trainer::new(data.clone(), TrainConfig { batch: 300, ..TrainConfig::default() }).unwrap();
    assert!(GpuTrainer::with_kernel(ctx.clone(), big_batch, GpuKernel::OneWorkgroup).is_err());
    let small = Trainer::new(data, TrainConfig::default()).unwrap();
    assert_eq!(
        GpuTrainer::new(ctx, small).unwrap().kernel(),
        GpuKernel::OneWorkgroup,
        "small nets keep the one-workgroup kernel"
    );
}

/// The tolerance catches the bug it is there for: dividing a short last batch's gradient by the batch size
/// instead of its own row count. The epoch is replayed by hand (the trainer's epoch order and gradient, plain
/// SGD) — first as the trainer does it, which must land on the trainer's θ, then with the wrong divisor,
/// which must land outside the tolerance.
#[test]
fn a_short_last_batch_divided_by_the_wrong_count_fails_the_tolerance() {
    let spec = DatasetSpec { kind: DatasetKind::Xor, n: 200, train_ratio: 0.8, ..DatasetSpec::default() };
    // 160 training rows in batches of 24: six full batches and a short one of 16, every epoch.
    let config = TrainConfig { hidden: vec![8, 8], lr: 0.05, batch: 24, epochs: 3, ..TrainConfig::default() };
    let data = spec.build().unwrap();
    let mut trainer = Trainer::new(data.clone(), config.clone()).unwrap();
    let start = trainer.params().to_vec();
    let mut orders = Trainer::new(data, config.clone()).unwrap();
    let replay = |wrong: bool, orders: &mut Trainer| {
        let mut theta = start.clone();
        let mut g = vec![0.0; theta.len()];
        for _ in 0..config.epochs {
            for rows in orders.next_epoch_order().chunks(config.batch) {
                g.iter_mut().for_each(|x| *x = 0.0);
                orders.loss_grad_at(&theta, rows, &mut g);
                let scale = if wrong { rows.len() as f64 / config.batch as f64 } else { 1.0 };
                theta.iter_mut().zip(&g).for_each(|(t, gk)| *t -= config.lr * scale * gk);
            }
        }
        theta
    };
    let right = replay(false, &mut orders);
    pollster::block_on(regula_core::frame::run_to_end(&mut trainer, regula_core::Budget::iterations(10_000), |_| {}))
        .unwrap();
    let steps = trainer.steps();
    assert_eq!(steps, 3 * 7);
    assert!(train_common::max_difference(trainer.params(), &right) < 1e-12, "the replay is the trainer's epoch");
    let tol = train_common::tolerance(steps, train_common::longest_sum(&trainer), &config);
    let mut orders = Trainer::new(spec.build().unwrap(), config.clone()).unwrap();
    let wrong = replay(true, &mut orders);
    let off = train_common::max_difference(&right, &wrong);
    eprintln!("a wrong divisor moves θ by {off:.2e}: {:.0} tolerances ({tol:.2e})", off / tol);
    assert!(off > 10.0 * tol, "a wrong divisor moves θ by {off}, only {} tolerances", off / tol);
}

#[test]
fn the_placement_probe_times_both_paths_once_per_net() {
    use regula_core::train::run::probe;
    let ctx = pollster::block_on(GpuContext::new()).expect("no GPU adapter: install mesa-vulkan-drivers (lavapipe)");
    let data = DatasetSpec { kind: DatasetKind::Circle, n: 200, ..DatasetSpec::default() }.build().unwrap();
    let config = TrainConfig { hidden: vec![8, 8], batch: 10, epochs: 50, ..TrainConfig::default() };
    let t = Trainer::new(data.clone(), config.clone()).unwrap();
    let first = pollster::block_on(probe(&ctx, &t, GpuKernel::Auto)).unwrap();
    println!("{first:?}");
    // Both paths trained: finite, positive rates (which one wins depends on the machine; on lavapipe the
    // GPU path is the CPU emulating a GPU, and `auto` does not even ask — see backend::place).
    assert!(first.cpu.is_finite() && first.cpu > 0.0, "{first:?}");
    assert!(first.gpu.is_finite() && first.gpu > 0.0, "{first:?}");
    assert_eq!(t.steps(), 0, "the probe trains copies, not the run");
    // Remembered: the same net asks no second time (a timing would differ), another net does.
    assert_eq!(pollster::block_on(probe(&ctx, &t, GpuKernel::Auto)).unwrap(), first);
    let wider = Trainer::new(data, TrainConfig { hidden: vec![16, 8], ..config }).unwrap();
    assert_ne!(pollster::block_on(probe(&ctx, &wider, GpuKernel::Auto)).unwrap(), first);
}
