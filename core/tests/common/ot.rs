//! GPU log-domain Sinkhorn against its CPU twin, shared by the native and browser suites.

use std::rc::Rc;

use regula_core::frame::run_to_end;
use regula_core::gpu::GpuContext;
use regula_core::ot::{GpuSinkhorn, Method, OtProblem, OtSolver, ProblemKind, ProblemSpec, SolverParams};
use regula_core::{Budget, StopReason};

/// Runs `iters` log-domain iterations from f = g = 0 on both backends and returns the largest
/// |f_gpu − f_cpu| and |g_gpu − g_cpu|.
///
/// Tolerance used by callers: each f32 half-step computes ε·LSE of m terms with relative error a few
/// u = 6e-8 on values of size |p − C|/ε, i.e. an absolute error ≲ 8u·(|f| + max C) per step; Sinkhorn is
/// a contraction in the Hilbert metric, so errors do not grow with the iteration count. For potentials
/// of size ≤ 2 (normalised costs) that bounds the difference by ~1e-6·(number of terms)^½ ≲ 1e-4.
pub async fn max_potential_diff(ctx: &Rc<GpuContext>, problem: &OtProblem, eps: f64, iters: u64) -> f64 {
    let params = SolverParams { method: Method::LogSinkhorn, eps, tol: 1e-30, max_iter: iters, ..Default::default() };
    let mut gpu = GpuSinkhorn::new(ctx.clone(), problem, params.clone()).await.expect("gpu solver");
    let gpu_frame = run_to_end(&mut gpu, Budget::iterations(iters), |_| {}).await.expect("gpu run");
    // Either all iterations ran, or f32's precision floor was reached first (a 1-point side is solved at once).
    let ran = gpu_frame.iteration;
    match gpu_frame.stop {
        Some(StopReason::MaxIterations) => assert_eq!(ran, iters),
        Some(StopReason::Stalled) => assert!(gpu_frame.metric("marginal_error").unwrap() <= 1e-6),
        other => panic!("unexpected stop {other:?}: {gpu_frame:?}"),
    }
    // The GPU's iterate after `ran` counted iterations has had `ran` updates applied at least; the
    // CPU twin runs the same count.
    let mut cpu = OtSolver::new(problem, SolverParams { max_iter: ran.max(1), ..params }).unwrap();
    run_to_end(&mut cpu, Budget::iterations(iters), |_| {}).await.unwrap();
    let (fg, gg) = gpu.potentials().await.unwrap();
    let (fc, gc) = cpu.potentials();
    let diff = |x: &[f32], y: &[f64]| x.iter().zip(y).map(|(a, b)| (f64::from(*a) - b).abs()).fold(0.0, f64::max);
    diff(&fg, &fc).max(diff(&gg, &gc))
}

/// Point-cloud and dense problems with sizes that are not multiples of 256, and a 1-point source.
pub fn problems() -> Vec<(String, OtProblem)> {
    let mut out = Vec::new();
    for (kind, n, m) in [(ProblemKind::Gaussian, 300, 257), (ProblemKind::Random, 129, 77), (ProblemKind::Moons, 1, 50)] {
        let spec = ProblemSpec { kind, n, m, seed: 4, ..Default::default() };
        out.push((format!("{kind} {n}×{m}"), spec.build().unwrap()));
    }
    out
}
