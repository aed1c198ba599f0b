//! GPU log-domain Sinkhorn (f32, WGSL on lavapipe) against the CPU twin (f64).
#![cfg(not(target_arch = "wasm32"))]

#[path = "common/ot.rs"]
mod ot_common;

use regula_core::frame::run_to_end;
use regula_core::gpu::GpuContext;
use regula_core::ot::{GpuSinkhorn, Method, OtSolver, ProblemKind, ProblemSpec, SolverParams, GPU_MAX_KEEP};
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
    let cpu_params =
        SolverParams { method: Method::LogSinkhorn, eps: 0.02, tol: 1e-10, max_iter: 20_000, ..Default::default() };
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
    let problem =
        ProblemSpec { kind: ProblemKind::Uniform, n: 20_000, m: 20_000, normalize_cost: false, ..Default::default() }
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
fn gpu_refuses_what_it_does_not_run() {
    let ctx = ctx();
    let problem = ProblemSpec { n: 10, m: 10, ..Default::default() }.build().unwrap();
    let params = SolverParams { method: Method::Sinkhorn, ..Default::default() };
    let err = pollster::block_on(GpuSinkhorn::new(ctx.clone(), &problem, params)).err().unwrap();
    assert!(matches!(err, Error::Invalid { name: "method", .. }), "{err}");
    // The GPU's top-k keeps at most 64 per row.
    let problem = ProblemSpec { n: 10, m: 200, ..Default::default() }.build().unwrap();
    let params = SolverParams { method: Method::Sns, density: Some(0.5), ..Default::default() };
    let err = pollster::block_on(GpuSinkhorn::new(ctx.clone(), &problem, params)).err().unwrap();
    assert!(matches!(err, Error::Invalid { name: "density", .. }), "{err}");
    assert!(err.to_string().contains("64"), "{err}");
}

#[test]
fn sns_dense_passes_on_the_gpu_match_f64_sums() {
    let ctx = ctx();
    for (name, problem) in ot_common::problems() {
        let keep = problem.m().min(10);
        let worst = pollster::block_on(ot_common::newton_system_error(&ctx, &problem, 0.05, 5, keep));
        assert!(worst < 1e-4, "{name}: relative error {worst}");
    }
    // The most the GPU keeps (64 per row), on a dense problem.
    let problem =
        ProblemSpec { kind: ProblemKind::Random, n: 90, m: 130, seed: 2, ..Default::default() }.build().unwrap();
    let worst = pollster::block_on(ot_common::newton_system_error(&ctx, &problem, 0.02, 3, 64));
    assert!(worst < 1e-4, "k = 64: relative error {worst}");
    // Two column blocks of 129 and 128 (`top_blocks`), each list of 64 sorted and merged.
    let problem =
        ProblemSpec { kind: ProblemKind::Random, n: 90, m: 257, seed: 3, ..Default::default() }.build().unwrap();
    let worst = pollster::block_on(ot_common::newton_system_error(&ctx, &problem, 0.02, 3, 64));
    assert!(worst < 1e-4, "k = 64 over 2 blocks: relative error {worst}");
}

#[test]
fn gpu_sns_follows_its_cpu_twin_and_beats_sinkhorn_on_sparse_plans() {
    let ctx = ctx();
    // (problem, ε, least ratio of GPU Sinkhorn's iterations to SNS's). Random assignment has a sparse
    // plan (SNS's case: 26 vs 1117 iterations when measured; the automatic density stays at 10 per row); a
    // Gaussian cloud at ε = 0.01 has a spread one, where 10 kept entries per row (set here: the automatic
    // density would grow the CPU's k past the GPU's 64) give linear convergence on both backends alike.
    for (kind, n, eps, ratio, density) in
        [(ProblemKind::Random, 300, 1.0 / 1200.0, 10, None), (ProblemKind::Gaussian, 400, 0.01, 0, Some(10.0 / 400.0))]
    {
        let problem =
            ProblemSpec { kind, n, m: n, normalize_cost: true, seed: 3, ..Default::default() }.build().unwrap();
        let params = SolverParams {
            method: Method::Sns,
            eps,
            n1: 20,
            density,
            tol: 1e-5,
            max_iter: 5_000,
            ..Default::default()
        };
        let mut gpu = pollster::block_on(GpuSinkhorn::new(ctx.clone(), &problem, params.clone())).unwrap();
        let f = pollster::block_on(run_to_end(&mut gpu, Budget::iterations(4), |_| {})).unwrap();
        assert!(f.converged, "{kind}: {f:?}");
        assert_eq!(f.stop, Some(StopReason::Tolerance));
        assert_eq!(f.phase.as_deref(), Some("newton"));
        assert!(f.metric("nnz").unwrap() >= (n * 10) as f64 && f.metric("cg_iterations").unwrap() > 0.0, "{f:?}");
        // The CPU twin (f64) from the same start takes the same path: iteration counts within a few
        // (the f32 error estimate may cross the tolerance a step earlier or later), same cost and dual.
        let mut cpu = OtSolver::new(&problem, params.clone()).unwrap();
        let c = pollster::block_on(run_to_end(&mut cpu, Budget::iterations(50), |_| {})).unwrap();
        assert!(c.converged);
        assert!(
            f.iteration.abs_diff(c.iteration) <= 3,
            "{kind}: gpu {} vs cpu {} iterations",
            f.iteration,
            c.iteration
        );
        let (gn, cn) = (f.metric("newton_steps").unwrap(), c.metric("newton_steps").unwrap());
        assert!((gn - cn).abs() <= 3.0, "{kind}: gpu {gn} vs cpu {cn} Newton steps");
        let (gc, cc) = (f.metric("transport_cost").unwrap(), c.metric("transport_cost").unwrap());
        assert!((gc - cc).abs() <= 1e-4 * cc.abs(), "{kind}: cost gpu {gc} vs cpu {cc}");
        let (gd, cd) = (f.metric("dual_objective").unwrap(), c.metric("dual_objective").unwrap());
        assert!((gd - cd).abs() <= 1e-5, "{kind}: dual gpu {gd} vs cpu {cd}");
        if density.is_none() {
            assert_eq!((gpu.keep(), cpu.keep()), (10, 10), "{kind}: the plan is sparse, ten per row hold it");
        }
        if ratio > 0 {
            let sinkhorn = SolverParams { method: Method::LogSinkhorn, max_iter: 20_000, ..params };
            let mut plain = pollster::block_on(GpuSinkhorn::new(ctx.clone(), &problem, sinkhorn)).unwrap();
            let s = pollster::block_on(run_to_end(&mut plain, Budget::iterations(256), |_| {})).unwrap();
            assert!(s.converged);
            assert!(
                s.iteration > ratio * f.iteration,
                "{kind}: sinkhorn {} vs sns {} iterations",
                s.iteration,
                f.iteration
            );
        }
    }
}

#[test]
fn gpu_sns_automatic_density_grows_to_the_gpu_s_limit_and_beats_ten_per_row() {
    // The Gaussian cloud above: its plan spreads each row over many entries. The automatic density doubles
    // k while the kept entries hold less than 99 % of P's mass, up to the shader's 64 (the CPU's twin
    // goes on to 320); 64 per row converge in fewer Newton steps than 10.
    let ctx = ctx();
    let problem = ProblemSpec {
        kind: ProblemKind::Gaussian,
        n: 400,
        m: 400,
        normalize_cost: true,
        seed: 3,
        ..Default::default()
    }
    .build()
    .unwrap();
    let steps = |density: Option<f64>| {
        let params = SolverParams {
            method: Method::Sns,
            eps: 0.01,
            n1: 20,
            density,
            tol: 1e-5,
            max_iter: 5_000,
            ..Default::default()
        };
        let mut gpu = pollster::block_on(GpuSinkhorn::new(ctx.clone(), &problem, params)).unwrap();
        let f = pollster::block_on(run_to_end(&mut gpu, Budget::iterations(4), |_| {})).unwrap();
        assert!(f.converged, "{density:?}: {f:?}");
        let kept = f.metric("kept_mass").unwrap();
        assert!(kept > 0.0 && kept <= 1.0 + 1e-6, "{density:?}: {f:?}");
        (gpu.keep(), f.metric("newton_steps").unwrap(), f.metric("nnz").unwrap())
    };
    let (keep, auto_steps, nnz) = steps(None);
    assert_eq!(keep, GPU_MAX_KEEP);
    assert_eq!(nnz, (400 * GPU_MAX_KEEP + 800) as f64);
    let (ten, fixed_steps, _) = steps(Some(10.0 / 400.0));
    assert_eq!(ten, 10);
    assert!(auto_steps < 0.5 * fixed_steps, "automatic {auto_steps} vs ten per row {fixed_steps} Newton steps");
}

#[test]
fn gpu_sns_at_its_floor_says_stalled() {
    // Asked for 1e-12, f32 cannot get there: the run stops at its floor and says so.
    let ctx = ctx();
    let problem = ProblemSpec { kind: ProblemKind::Random, n: 200, m: 200, normalize_cost: true, ..Default::default() }
        .build()
        .unwrap();
    let params = SolverParams {
        method: Method::Sns,
        eps: 1.0 / 200.0,
        n1: 20,
        tol: 1e-12,
        max_iter: 2_000,
        ..Default::default()
    };
    let mut gpu = pollster::block_on(GpuSinkhorn::new(ctx, &problem, params)).unwrap();
    let f = pollster::block_on(run_to_end(&mut gpu, Budget::iterations(4), |_| {})).unwrap();
    assert_eq!(f.stop, Some(StopReason::Stalled), "{f:?}");
    assert!(!f.converged);
    assert!(f.iteration < 200, "stalled only after {} iterations", f.iteration);
    assert!(f.metric("marginal_error").unwrap() < 1e-4, "{f:?}");
}

#[test]
fn each_new_pipeline_yields_to_the_pacer_once() {
    // The page's pacer waits for an animation frame: one new compile per frame. Cached pipelines pass.
    let ctx = ctx();
    let calls = std::rc::Rc::new(std::cell::Cell::new(0));
    let counter = calls.clone();
    ctx.set_pacer(std::rc::Rc::new(move || {
        counter.set(counter.get() + 1);
        Box::pin(async {})
    }));
    let problem = ProblemSpec { n: 20, m: 30, ..Default::default() }.build().unwrap();
    let log = SolverParams { method: Method::LogSinkhorn, ..Default::default() };
    pollster::block_on(GpuSinkhorn::new(ctx.clone(), &problem, log.clone())).unwrap();
    // lse_partial, lse_finish, cost_partial, sum_finish, and the reduction's row kernel (the error
    // history), column kernel (⟨C,P⟩'s sum) and finish.
    assert_eq!(calls.get(), 7);
    pollster::block_on(GpuSinkhorn::new(ctx.clone(), &problem, log)).unwrap();
    assert_eq!(calls.get(), 7, "cached pipelines do not yield");
    let sns = SolverParams { method: Method::Sns, ..Default::default() };
    pollster::block_on(GpuSinkhorn::new(ctx.clone(), &problem, sns)).unwrap();
    assert_eq!(calls.get(), 10, "SNS adds top_partial, top_finish and mass_partial");
}

#[test]
fn a_problem_f32_cannot_resolve_is_refused_with_what_to_change() {
    // Points 10⁴ apart (costs ~10⁸, f32 spacing 8 there) at ε = 1e-3: each exponent (f + g − C)/ε would
    // carry rounding in the thousands. Before the guard the GPU's f32 fixed point read a marginal error
    // of exactly 0 and claimed convergence with a plan whose true marginals were off by 2.
    use regula_core::ot::{f32_resolution, GroundCost, OtProblem, Points, GPU_MAX_RESOLUTION};
    let ctx = ctx();
    let coords = |shift: f64| {
        (0..40).flat_map(|i| [1e4 * (i as f64).sin() + shift, 1e4 * (i as f64 * 0.7).cos()]).collect::<Vec<_>>()
    };
    let wide = OtProblem::points(
        Points::new(2, coords(0.0), None).unwrap(),
        Points::new(2, coords(300.0), None).unwrap(),
        GroundCost::SqEuclidean,
    )
    .unwrap();
    for method in [Method::LogSinkhorn, Method::Sns] {
        let params = SolverParams { method, eps: 1e-3, tol: 1e-5, ..Default::default() };
        let err = pollster::block_on(GpuSinkhorn::new(ctx.clone(), &wide, params.clone())).err().expect("refused");
        assert!(
            matches!(&err, Error::Invalid { name: "eps", .. }) && err.to_string().contains("normalise the cost"),
            "{err}"
        );
        assert!(!regula_core::ot::auto_runs_on_gpu(&params, &wide), "auto runs it on the CPU instead");
    }
    // Normalised, the same clouds run on the GPU at ε = 1e-3.
    let mut unit = wide.clone();
    unit.normalize_cost();
    assert!(f32_resolution(&unit, 1e-3) < GPU_MAX_RESOLUTION);
    let params = SolverParams { method: Method::Sns, eps: 1e-3, tol: 1e-5, max_iter: 3000, ..Default::default() };
    let mut gpu = pollster::block_on(GpuSinkhorn::new(ctx, &unit, params)).unwrap();
    let f = pollster::block_on(run_to_end(&mut gpu, Budget::iterations(64), |f| {
        assert!(f.metrics.values().all(|v| v.is_finite()), "{f:?}")
    }))
    .unwrap();
    assert!(f.done && f.metric("marginal_error").unwrap() < 1e-3, "{f:?}");
}
