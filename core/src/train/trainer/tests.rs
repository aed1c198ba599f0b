//! The trainer's tests: every optimizer learns, divergence is reported, live updates, per-layer
//! activations, the output terms' gradients, label smoothing, the Hessian tools against the exact Hessian,
//! and typed errors.

use super::*;
use crate::frame::{poll_ready, run_to_end};
use crate::train::data::{DatasetKind, DatasetSpec};
use crate::train::mlp::{Activation, Loss};

#[test]
fn every_optimizer_learns_xor() {
    let data = DatasetSpec { kind: DatasetKind::Xor, n: 200, noise: 0.0, train_ratio: 0.8, ..DatasetSpec::default() }
        .build()
        .unwrap();
    for (optimizer, lr) in [(Optimizer::Sgd, 0.05), (Optimizer::Momentum, 0.01), (Optimizer::Adam, 0.01)] {
        for loss in [Loss::Mse, Loss::Xent] {
            let config = TrainConfig { optimizer, lr, loss, epochs: 150, batch: 10, ..TrainConfig::default() };
            let mut t = Trainer::new(data.clone(), config).unwrap();
            let f = poll_ready(run_to_end(&mut t, Budget::iterations(500), |_| {})).unwrap();
            assert_eq!(f.stop, Some(StopReason::Completed));
            let acc = f.metric(key::TEST_ACCURACY).unwrap();
            assert!(acc > 0.9, "{optimizer} {loss}: test accuracy {acc}");
            assert!(f.metric(key::SHARPNESS).is_some() && f.metric(key::HESSIAN_TRACE).is_some());
        }
    }
}

#[test]
fn divergence_is_reported_not_plotted() {
    let data = DatasetSpec { kind: DatasetKind::Spiral, ..DatasetSpec::default() }.build().unwrap();
    let config = TrainConfig { hidden: vec![32, 32], lr: 50.0, batch: 0, epochs: 500, ..TrainConfig::default() };
    let mut t = Trainer::new(data, config).unwrap();
    let f =
        poll_ready(run_to_end(&mut t, Budget::iterations(100), |f| assert!(f.metrics.values().all(|v| v.is_finite()))))
            .unwrap();
    assert_eq!(f.stop, Some(StopReason::Divergence));
    assert!(!f.converged && f.done);
}

#[test]
fn schedules_and_live_updates() {
    let data = DatasetSpec { kind: DatasetKind::Gauss, n: 100, ..DatasetSpec::default() }.build().unwrap();
    let config = TrainConfig { schedule: Schedule::Cosine, epochs: 10, batch: 0, lr: 0.2, ..TrainConfig::default() };
    let mut t = Trainer::new(data.clone(), config.clone()).unwrap();
    assert_eq!(t.current_lr(), 0.2);
    poll_ready(t.step(Budget::iterations(5))).unwrap();
    assert!((t.current_lr() - 0.1).abs() < 1e-12, "half-way through the cosine");
    // A new learning rate applies mid-run; a new architecture does not.
    t.update(&TrainConfig { lr: 0.4, ..config.clone() }).unwrap();
    assert!((t.current_lr() - 0.2).abs() < 1e-12);
    assert!(t.update(&TrainConfig { hidden: vec![3], ..config.clone() }).is_err());
    let step = TrainConfig { schedule: Schedule::Step, epochs: 9, ..config };
    let mut t = Trainer::new(data, step).unwrap();
    poll_ready(t.step(Budget::iterations(3))).unwrap();
    assert!((t.current_lr() - 0.02).abs() < 1e-12);
}

#[test]
fn per_layer_activations() {
    let data = DatasetSpec { kind: DatasetKind::Gauss, n: 40, ..DatasetSpec::default() }.build().unwrap();
    let config = TrainConfig {
        hidden: vec![4, 3],
        layer_activations: vec![Activation::Relu, Activation::Sigmoid],
        ..TrainConfig::default()
    };
    let t = Trainer::new(data.clone(), config.clone()).unwrap();
    assert_eq!(t.architecture().activations, vec![Activation::Relu, Activation::Sigmoid]);
    let wrong = TrainConfig { layer_activations: vec![Activation::Relu], ..config };
    assert!(matches!(Trainer::new(data, wrong), Err(Error::ShapeMismatch { name: "activations", .. })));
}

#[test]
fn forward_correction_gradient_matches_finite_differences() {
    let t = [0.7, 0.2, 0.1, 0.1, 0.8, 0.1, 0.3, 0.0, 0.7];
    let z = [0.4, -1.0, 1.5];
    let corrected = |z: &[f64]| {
        let p = crate::train::elr::softmax(z);
        -(0..3).map(|j| t[j * 3 + 1] * p[j]).sum::<f64>().ln()
    };
    let plain = |z: &[f64]| -crate::train::elr::softmax(z)[1].ln();
    let (v, g) = forward_correction_term(&t, 1, &z);
    assert!((v - (corrected(&z) - plain(&z))).abs() < 1e-12, "value {v}");
    for j in 0..3 {
        let h = 1e-6;
        let (mut zp, mut zm) = (z, z);
        zp[j] += h;
        zm[j] -= h;
        let fd = (corrected(&zp) - plain(&zp) - corrected(&zm) + plain(&zm)) / (2.0 * h);
        assert!((fd - g[j]).abs() < 1e-6, "j = {j}: {fd} vs {}", g[j]);
    }
    // T = I: no correction.
    let (v, g) = forward_correction_term(&[1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0], 2, &z);
    assert!(v.abs() < 1e-12 && g.iter().all(|x| x.abs() < 1e-12));
}

#[test]
fn forward_correction_is_validated_and_the_estimate_is_stochastic() {
    let spec = DatasetSpec {
        kind: DatasetKind::Mixture,
        n: 400,
        noise: 1.0,
        train_ratio: 0.5,
        label_noise: 0.3,
        features: vec![],
        ..DatasetSpec::default()
    };
    let data = spec.build().unwrap();
    let k = data.classes;
    let good = crate::train::NoiseKind::Symmetric.transition(0.3, k);
    let cfg = |t: Vec<f64>| TrainConfig {
        hidden: vec![16],
        loss: Loss::Xent,
        optimizer: Optimizer::Adam,
        lr: 1e-2,
        batch: 20,
        epochs: 3,
        forward_correction: Some(t),
        ..TrainConfig::default()
    };
    assert!(Trainer::new(data.clone(), cfg(vec![0.25; k * k + 1])).is_err());
    assert!(Trainer::new(data.clone(), cfg(vec![0.5; k * k])).is_err(), "rows must sum to 1");
    assert!(Trainer::new(data.clone(), TrainConfig { loss: Loss::Mse, ..cfg(good.clone()) }).is_err());
    assert!(Trainer::new(
        data.clone(),
        TrainConfig { elr: Some(crate::train::elr::Elr::default()), ..cfg(good.clone()) }
    )
    .is_err());
    let mut tr = Trainer::new(data, cfg(good)).unwrap().without_final_hessian();
    let f = crate::frame::poll_ready(crate::frame::run_to_end(&mut tr, crate::frame::Budget::iterations(1000), |_| {}))
        .unwrap();
    assert!(f.metrics.values().all(|v| v.is_finite()));
    let t = tr.estimate_transition().unwrap();
    assert_eq!(t.len(), k * k);
    assert!(
        t.chunks(k).all(|row| (row.iter().sum::<f64>() - 1.0).abs() < 1e-9 && row.iter().all(|v| *v >= 0.0)),
        "{t:?}"
    );
}

#[test]
fn label_smoothing_softens_the_targets() {
    let data = DatasetSpec { kind: DatasetKind::Gauss, n: 40, ..DatasetSpec::default() }.build().unwrap();
    let xent =
        Trainer::new(data.clone(), TrainConfig { loss: Loss::Xent, label_smoothing: 0.2, ..TrainConfig::default() })
            .unwrap();
    // Two classes: one-hot (1, 0) becomes (0.9, 0.1).
    for row in xent.targets().chunks(2) {
        let (hi, lo) = (row[0].max(row[1]), row[0].min(row[1]));
        assert!((hi - 0.9).abs() < 1e-12 && (lo - 0.1).abs() < 1e-12, "{row:?}");
    }
    let mse = Trainer::new(data.clone(), TrainConfig { label_smoothing: 0.2, ..TrainConfig::default() }).unwrap();
    assert!(mse.targets().iter().all(|t| (t.abs() - 0.8).abs() < 1e-12));
    assert!(Trainer::new(data, TrainConfig { label_smoothing: 1.0, ..TrainConfig::default() }).is_err());
}

#[test]
fn power_iteration_and_hutchinson_match_the_exact_network_hessian() {
    use crate::train::hessian::{full_hessian, symmetric_eigenvalues};
    // A trained 2-6-6-1 net on the spiral: its exact Hessian (113 × 113) is the ground truth.
    let data = DatasetSpec::default().build().unwrap();
    let config = TrainConfig { hidden: vec![6, 6], lr: 0.1, batch: 0, epochs: 200, ..TrainConfig::default() };
    let mut t = Trainer::new(data, config).unwrap();
    poll_ready(run_to_end(&mut t, Budget::iterations(1000), |_| {})).unwrap();
    let p = t.params().len();
    let h = full_hessian(p, |v| t.hessian_vector(v));
    let eig = symmetric_eigenvalues(&h, p).unwrap();
    let (top, trace) = (eig[p - 1].max(-eig[0]), eig.iter().sum::<f64>());
    let (l, tr) = t.measure_hessian();
    // Power iteration stops at rtol 1e-3 between successive estimates: allow 1 %.
    assert!((l - top).abs() <= 0.01 * top, "λmax {l} vs exact {top}");
    // Hutchinson with 20 Rademacher probes: standard error ≈ √(2(‖H‖_F² − Σ H_ii²)/20).
    let off: f64 = (0..p)
        .flat_map(|i| (0..p).map(move |j| (i, j)))
        .filter(|(i, j)| i != j)
        .map(|(i, j)| h[i * p + j].powi(2))
        .sum();
    let se = (2.0 * off / 20.0).sqrt();
    assert!((tr - trace).abs() <= 4.0 * se, "trace {tr} vs exact {trace} (se {se})");
}

/// Under a time budget a Hessian measurement spreads over frames (training waits at the measured θ),
/// and the run gives the same weights and the same sharpness and trace readings as one whose
/// measurements each finish within a step.
#[test]
fn a_time_budget_spreads_hessian_measurements_over_frames() {
    let data = DatasetSpec { kind: DatasetKind::Xor, n: 100, ..DatasetSpec::default() }.build().unwrap();
    // Measurements at multiples of 20 steps, where both budgets end a frame (frames every 10 updates).
    let config = TrainConfig { hidden: vec![6], epochs: 12, batch: 10, hessian_every: 20, ..TrainConfig::default() };
    let readings = |t: &mut Trainer, budget: Budget| {
        let (mut seen, mut frames, mut waiting) = (Vec::new(), 0, 0);
        loop {
            let before = t.steps;
            let f = poll_ready(t.step(budget)).unwrap();
            frames += 1;
            if t.steps == before && !f.done {
                waiting += 1;
            }
            let r = (f.metric(key::SHARPNESS), f.metric(key::HESSIAN_TRACE));
            if r.0.is_some() && seen.last() != Some(&r) {
                seen.push(r);
            }
            if f.done {
                return (seen, frames, waiting, f);
            }
        }
    };
    let mut whole = Trainer::new(data.clone(), config.clone()).unwrap();
    let (at_once, _, waited, last_whole) = readings(&mut whole, Budget::iterations(1000));
    assert_eq!(waited, 0, "an iteration budget finishes each measurement in its step");
    let mut split = Trainer::new(data, config).unwrap();
    let (spread, frames, waiting, last_split) = readings(&mut split, Budget::millis(1e-6));
    assert!(at_once.len() >= 3, "{at_once:?}");
    assert_eq!(spread, at_once);
    assert!(waiting > 20 * at_once.len(), "{waiting} frames of {frames} waited for a measurement");
    assert_eq!(split.params(), whole.params());
    let numbers = |f: &Frame| {
        f.metrics.iter().filter(|(k, _)| !k.ends_with("seconds")).map(|(k, v)| (k.clone(), *v)).collect::<Vec<_>>()
    };
    assert_eq!(numbers(&last_split), numbers(&last_whole));
    assert_eq!(last_split.stop, Some(StopReason::Completed));
}

#[test]
fn a_time_budget_trains_through_epochs_and_keeps_a_frame_for_each() {
    let data = DatasetSpec { kind: DatasetKind::Circle, n: 200, ..DatasetSpec::default() }.build().unwrap();
    let config = TrainConfig { hidden: vec![8, 8], epochs: 40, batch: 10, ..TrainConfig::default() };
    let numbers = |f: &Frame| {
        let m = f.metrics.iter().filter(|(k, _)| !k.ends_with("seconds")).map(|(k, v)| (k.clone(), *v));
        (f.iteration, m.collect::<Vec<_>>(), f.done)
    };
    // Per epoch (an iteration budget: the CLI's) ...
    let mut one = Trainer::new(data.clone(), config.clone()).unwrap().without_final_hessian();
    let mut per_epoch = Vec::new();
    poll_ready(run_to_end(&mut one, Budget::iterations(1_000), |f| per_epoch.push(numbers(f)))).unwrap();
    assert_eq!(per_epoch.len(), 40);
    // ... and under a time budget that holds many epochs (the page's): fewer steps, the same frames.
    let mut timed = Trainer::new(data, config).unwrap().without_final_hessian();
    let (mut frames, mut steps) = (Vec::new(), 0);
    loop {
        let f = poll_ready(timed.step(Budget::millis(60_000.0))).unwrap();
        steps += 1;
        frames.extend(timed.take_earlier_frames().iter().map(numbers));
        frames.push(numbers(&f));
        assert!(timed.take_earlier_frames().is_empty(), "handed over once");
        if f.done {
            break;
        }
    }
    assert!(steps < 5, "{steps} steps for 40 epochs");
    assert_eq!(frames, per_epoch);
    assert_eq!(timed.params(), one.params());
    // A caller that never takes them holds at most MAX_EARLIER_FRAMES and then steps an epoch at a time.
    let big = TrainConfig { hidden: vec![4], epochs: 5_000, batch: 0, ..TrainConfig::default() };
    let data = DatasetSpec { kind: DatasetKind::Xor, n: 40, ..DatasetSpec::default() }.build().unwrap();
    let mut t = Trainer::new(data, big).unwrap().without_final_hessian();
    poll_ready(t.step(Budget::millis(60_000.0))).unwrap();
    assert_eq!(t.earlier.len(), MAX_EARLIER_FRAMES);
    let before = t.steps();
    poll_ready(t.step(Budget::millis(60_000.0))).unwrap();
    assert_eq!((t.steps() - before, t.earlier.len()), (FRAME_STEPS, MAX_EARLIER_FRAMES));
    // Long runs keep fewer frames as they grow: every one to 1,000, every 10th to 10,000, …
    assert_eq!([0, 999, 1_000, 9_999, 10_000, 99_999].map(frame_stride), [1, 1, 10, 10, 100, 100]);
    // 15,000 full-batch updates are 1,500 frame periods (a frame every FRAME_STEPS updates): periods 1–999,
    // then every 10th of 1,000–1,500, and the last.
    let long = TrainConfig { hidden: vec![4], epochs: 15_000, batch: 0, ..TrainConfig::default() };
    let data = DatasetSpec { kind: DatasetKind::Xor, n: 40, ..DatasetSpec::default() }.build().unwrap();
    let mut t = Trainer::new(data, long).unwrap().without_final_hessian();
    let mut iterations = Vec::new();
    loop {
        let f = poll_ready(t.step(Budget::millis(60_000.0))).unwrap();
        iterations.extend(t.take_earlier_frames().iter().map(|f| f.iteration));
        iterations.push(f.iteration);
        // The time of the epochs whose frames were skipped still counts in the next frame's elapsed time.
        let updates_ms = f.metric(key::TRAIN_SECONDS).unwrap() * 1e3;
        assert!(f.elapsed_ms >= updates_ms, "elapsed {} ms < {updates_ms} ms of updates", f.elapsed_ms);
        if f.done {
            break;
        }
    }
    let want: Vec<u64> = (1..1_000).chain((1_000..=1_500).filter(|p| p % 10 == 0)).map(|p| p * FRAME_STEPS).collect();
    assert_eq!(iterations, want);
}

#[test]
fn bad_hyperparameters_are_typed_errors() {
    let data = DatasetSpec { kind: DatasetKind::Plane, n: 50, ..DatasetSpec::default() }.build().unwrap();
    let bad = |c: TrainConfig| Trainer::new(data.clone(), c).err().map(|e| e.to_string()).unwrap_or_default();
    assert!(bad(TrainConfig { lr: 0.0, ..TrainConfig::default() }).contains("`lr`"));
    assert!(bad(TrainConfig { lr: f64::NAN, ..TrainConfig::default() }).contains("`lr`"));
    assert!(bad(TrainConfig { batch: 51, ..TrainConfig::default() }).contains("`batch`"));
    assert!(bad(TrainConfig { hidden: vec![0], ..TrainConfig::default() }).contains("`hidden`"));
    assert!(bad(TrainConfig { loss: Loss::Xent, ..TrainConfig::default() }).contains("`loss`"));
    assert!(bad(TrainConfig { epochs: 0, ..TrainConfig::default() }).contains("`epochs`"));
}
