//! The real WGSL kernels on a native adapter (Mesa lavapipe in CI) against the CPU twins.
//! A missing adapter fails these tests: CI installs `mesa-vulkan-drivers`, so there must be one.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use std::rc::Rc;

use regula_core::gpu::{reduce, GpuContext};
use regula_core::kernels::{self, KernelCheck};
use regula_core::reduce::{ReduceAxis, ReduceOp};
use regula_core::{Backend, Budget, Error, Stepper};

fn ctx() -> Rc<GpuContext> {
    pollster::block_on(GpuContext::new())
        .expect("no GPU adapter: install mesa-vulkan-drivers (lavapipe) — `cargo xtask test` does")
}

#[test]
fn reduction_matches_cpu_twin_on_edge_shapes() {
    let ctx = ctx();
    let cases = pollster::block_on(common::compare_all(&ctx));
    assert_eq!(cases, common::SHAPES.len() * 6);
    // Two entry points for stage 1 plus `finish`: the cache holds exactly three pipelines.
    assert_eq!(ctx.cached_pipelines(), 3);
}

#[test]
fn more_lines_than_one_dispatch_dimension_allows() {
    // 70,001 rows → 70,001 stage-1 workgroups > 65,535 per dimension: exercises the 2-D grid.
    let ctx = ctx();
    assert!(ctx.limits().max_compute_workgroups_per_dimension < 70_001);
    for op in ReduceOp::ALL {
        pollster::block_on(common::compare(&ctx, 70_001, 3, op, ReduceAxis::Rows, 9));
    }
}

#[test]
fn large_matrix_and_lse_at_large_magnitudes() {
    let ctx = ctx();
    pollster::block_on(common::compare(&ctx, 2048, 2048, ReduceOp::Sum, ReduceAxis::Cols, 3));
    pollster::block_on(common::compare(&ctx, 2048, 2048, ReduceOp::Lse, ReduceAxis::Rows, 4));
    // exp(100) overflows f32 (max ≈ 3.4e38 = e^88.7): LSE must still be exact-ish thanks to the shift.
    let data = vec![100.0f32; 300];
    let y = pollster::block_on(reduce::reduce(&ctx, 1, 300, &data, ReduceOp::Lse, ReduceAxis::Rows)).unwrap();
    let want = 100.0 + (300f64).ln();
    assert!((f64::from(y[0]) - want).abs() < 1e-4, "{} vs {want}", y[0]);
}

#[test]
fn sizes_beyond_the_adapter_limits_are_typed_errors() {
    let ctx = ctx();
    let limit = ctx.limits().max_storage_buffer_binding_size.min(ctx.limits().max_buffer_size);
    // The largest size the limits allow passes the check; one more element does not.
    assert!(ctx.check_storage_size(|| "x".into(), limit / 4 * 4).is_ok());
    let err = ctx.check_storage_size(|| "a matrix".into(), limit / 4 * 4 + 4).unwrap_err();
    assert!(matches!(err, Error::ExceedsGpuLimit { .. }), "{err}");
    assert!(err.to_string().contains("CPU backend"), "{err}");
    // And the reduction refuses such a shape before allocating anything.
    let rows = (limit / 4 / 1024 + 1) as usize;
    let tiny = ctx.storage("tiny", 4);
    let err = pollster::block_on(reduce::Reduction::new(&ctx, &tiny, rows, 1024, ReduceOp::Sum, ReduceAxis::Rows))
        .err()
        .expect("oversized shape accepted");
    assert!(matches!(err, Error::ExceedsGpuLimit { .. }), "{err}");
}

#[test]
fn bad_input_is_rejected_before_the_gpu_runs() {
    let ctx = ctx();
    let run = |rows, cols, data: &[f32]| {
        pollster::block_on(reduce::reduce(&ctx, rows, cols, data, ReduceOp::Sum, ReduceAxis::Rows))
    };
    assert_eq!(run(0, 4, &[]).unwrap_err(), Error::TooSmall { name: "rows", value: 0, min: 1 });
    assert_eq!(run(2, 2, &[1.0; 3]).unwrap_err(), Error::ShapeMismatch { name: "data", got: 3, want: 4 });
    assert_eq!(run(1, 2, &[1.0, f32::NAN]).unwrap_err(), Error::NonFinite { name: "data", index: 1 });
}

#[test]
fn lost_device_is_an_error_and_the_cpu_path_still_runs() {
    let ctx = ctx();
    let backend = Backend::Gpu(ctx.clone());
    let params = kernels::Params { rows: 64, cols: 64, trials: 3, ..Default::default() };
    let mut check = pollster::block_on(KernelCheck::new(params.clone(), &backend)).unwrap();
    let first = pollster::block_on(check.step(Budget::iterations(1))).unwrap();
    assert_eq!(first.iteration, 1);
    ctx.simulate_device_loss();
    let err = pollster::block_on(check.step(Budget::iterations(1))).unwrap_err();
    assert!(matches!(err, Error::DeviceLost(_)), "{err}");
    // Falling back to the CPU backend runs the same parameters to the end.
    let mut cpu =
        pollster::block_on(KernelCheck::new(params, &Backend::Cpu { fallback: Some(err.to_string()) })).unwrap();
    let last = pollster::block_on(regula_core::frame::run_to_end(&mut cpu, Budget::iterations(2), |_| {})).unwrap();
    assert!(last.done && last.iteration == 3);
    assert!(last.metric("gpu_ms").is_none());
}

#[test]
fn kernel_check_stepper_reports_agreement_within_budget() {
    let ctx = ctx();
    let params = kernels::Params {
        rows: 300,
        cols: 301,
        op: ReduceOp::Lse,
        axis: ReduceAxis::Cols,
        trials: 5,
        seed: 11,
        ..Default::default()
    };
    let mut check = pollster::block_on(KernelCheck::new(params, &Backend::Gpu(ctx))).unwrap();
    let f = pollster::block_on(check.step(Budget::iterations(2))).unwrap();
    assert_eq!(f.iteration, 2);
    assert!(!f.done && f.stop.is_none());
    let ratio = f.metric("diff_over_tolerance").unwrap();
    assert!(ratio <= 1.0 && f.converged, "ratio {ratio}");
    assert!(f.metric("gpu_ms").unwrap() > 0.0 && f.metric("cpu_ms").unwrap() >= 0.0);
    let f = pollster::block_on(check.step(Budget::iterations(100))).unwrap();
    assert_eq!(f.iteration, 5);
    assert!(f.done && f.converged);
    assert_eq!(f.stop, Some(regula_core::StopReason::Completed));
    // A finished run keeps answering with its last frame.
    assert_eq!(pollster::block_on(check.step(Budget::iterations(1))).unwrap(), f);
}

#[test]
fn read_many_returns_each_prefix_from_one_transfer() {
    let ctx = ctx();
    let a: Vec<f32> = (0..70).map(|i| i as f32 * 0.5).collect();
    let b: Vec<f32> = vec![-1.0, 2.5, f32::MAX];
    let (ba, bb) = (ctx.upload_f32("a", &a), ctx.upload_f32("b", &b));
    let parts = pollster::block_on(ctx.read_many(&[(&ba, 70), (&bb, 0), (&bb, 2), (&ba, 5)])).unwrap();
    assert_eq!(parts, vec![a.clone(), vec![], b[..2].to_vec(), a[..5].to_vec()]);
    assert_eq!(pollster::block_on(ctx.read_f32(&bb, 3)).unwrap(), b);
}
