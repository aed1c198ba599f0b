//! GPU log-domain Sinkhorn (f32, WGSL on lavapipe) against the CPU twin (f64).
#![cfg(not(target_arch = "wasm32"))]

#[path = "common/ot.rs"]
mod ot_common;

use regula_core::frame::run_to_end;
use regula_core::gpu::GpuContext;
use regula_core::ot::{GpuSinkhorn, Method, OtSolver, ProblemKind, ProblemSpec, SolverParams};
use regula_core::{Budget, Error, StopReason};

fn ctx() -> std::rc::Rc<GpuContext> {
    pollster::block_on(GpuContext::new()).expect("no GPU adapter: install mesa-vulkan-drivers (lavapipe)")
}

#[test]
fn gpu_potentials_track_the_cpu_twin() {
    let ctx = ctx();
    for (name, problem) in ot_common::problems() {
        let diff = pollster::block_on(ot_common::max_potential_diff(&ctx, &problem, 0.05, 40));
        assert!(diff < 1e-4, "{name}: potentials differ by {diff}");
    }
}

#[test]
fn gpu_reaches_the_cpu_cost_and_stops_at_its_precision_floor() {
    let ctx = ctx();
    let problem = ProblemSpec { kind: ProblemKind::Gaussian, n: 400, m: 300, ..Default::default() }.build().unwrap();
    let cpu_params = SolverParams { method: Method::LogSinkhorn, eps: 0.02, tol: 1e-10, max_iter: 20_000, ..Default::default() };
    let mut cpu = OtSolver::new(&problem, cpu_params.clone()).unwrap();
    let cpu_frame = pollster::block_on(run_to_end(&mut cpu, Budget::iterations(500), |_| {})).unwrap();
    assert!(cpu_frame.converged);
    // Asked for 1e-10, f32 cannot get there: the run must say it stalled, not loop to max_iter or lie.
    let mut gpu = pollster::block_on(GpuSinkhorn::new(ctx, &problem, cpu_params)).unwrap();
    let f = pollster::block_on(run_to_end(&mut gpu, Budget::millis(50.0), |_| {})).unwrap();
    assert_eq!(f.stop, Some(StopReason::Stalled), "{f:?}");
    assert!(!f.converged);
    let err = f.metric("marginal_error").unwrap();
    assert!(err < 1e-4, "f32 floor should be far below 1e-4, got {err}");
    let (gc, cc) = (f.metric("transport_cost").unwrap(), cpu_frame.metric("transport_cost").unwrap());
    assert!((gc - cc).abs() <= 1e-4 * cc.abs().max(1e-3), "cost gpu {gc} vs cpu {cc}");
    let (gd, cd) = (f.metric("dual_objective").unwrap(), cpu_frame.metric("dual_objective").unwrap());
    assert!((gd - cd).abs() <= 1e-4, "dual gpu {gd} vs cpu {cd}");
}

#[test]
fn large_point_clouds_need_no_cost_matrix() {
    // The browser target, 20,000 × 20,000: a dense f32 C would need 1.6 GB, far over lavapipe's 128 MiB
    // binding (and browsers' default); only O(n + m) is stored and costs are recomputed on the fly.
    let ctx = ctx();
    let problem = ProblemSpec { kind: ProblemKind::Uniform, n: 20_000, m: 20_000, normalize_cost: false, ..Default::default() }
        .build()
        .unwrap();
    assert!(20_000u64 * 20_000 * 4 > ctx.limits().max_storage_buffer_binding_size);
    let params = SolverParams { method: Method::LogSinkhorn, eps: 0.05, tol: 1e-3, max_iter: 2, ..Default::default() };
    let mut gpu = pollster::block_on(GpuSinkhorn::new(ctx, &problem, params)).unwrap();
    let f = pollster::block_on(run_to_end(&mut gpu, Budget::iterations(2), |_| {})).unwrap();
    assert_eq!(f.iteration, 2);
    assert!(f.metric("marginal_error").unwrap().is_finite());
    let mass_cost = f.metric("transport_cost").unwrap();
    assert!(mass_cost > 0.0 && mass_cost < 1.0, "{mass_cost}");
}

#[test]
fn gpu_refuses_methods_it_does_not_run() {
    let ctx = ctx();
    let problem = ProblemSpec { n: 10, m: 10, ..Default::default() }.build().unwrap();
    for method in [Method::Sinkhorn, Method::Sns] {
        let params = SolverParams { method, ..Default::default() };
        let err = pollster::block_on(GpuSinkhorn::new(ctx.clone(), &problem, params)).err().unwrap();
        assert!(matches!(err, Error::Invalid { name: "method", .. }), "{err}");
    }
}
