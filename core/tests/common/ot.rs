//! GPU log-domain Sinkhorn against its CPU twin, shared by the native and browser suites.

use std::rc::Rc;

use regula_core::frame::run_to_end;
use regula_core::gpu::GpuContext;
use regula_core::ot::{GpuSinkhorn, Method, OtProblem, OtSolver, ProblemKind, ProblemSpec, SolverParams};
use regula_core::{Budget, Stepper, StopReason};

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
    assert_eq!((fg.len(), gg.len()), (fc.len(), gc.len()), "the potentials' lengths");
    assert!(!fc.is_empty() && !gc.is_empty());
    let diff = |x: &[f32], y: &[f64]| x.iter().zip(y).map(|(a, b)| (f64::from(*a) - b).abs()).fold(0.0, f64::max);
    diff(&fg, &fc).max(diff(&gg, &gc))
}

/// Point-cloud and dense problems with sizes that are not multiples of the workgroup (64), a 1-point
/// source, and shapes whose columns split into uneven blocks (`ot::column_blocks`: 70 × 3001 gives 64
/// blocks of 47 columns, the last of 40; 513 × 65 gives 4 blocks of 17, the last of 14).
pub fn problems() -> Vec<(String, OtProblem)> {
    let mut out = Vec::new();
    for (kind, n, m) in [
        (ProblemKind::Gaussian, 300, 257),
        (ProblemKind::Random, 129, 77),
        (ProblemKind::Moons, 1, 50),
        (ProblemKind::Random, 70, 3001),
        (ProblemKind::Uniform, 513, 65),
    ] {
        let spec = ProblemSpec { kind, n, m, seed: 4, ..Default::default() };
        out.push((format!("{kind} {n}×{m}"), spec.build().unwrap()));
    }
    out
}

/// SNS's dense passes on the GPU against f64 sums over the same (f32) potentials, after `n1` warm-up
/// iterations: returns the largest relative error of the row sums, column sums and kept values, and
/// checks that every kept index holds the value reported for it and that the kept values are the row's
/// k largest (compared by value, so ties may pick either column).
///
/// Tolerance used by callers: every P_ij is exp of an f32 argument (|f + g − C|/ε ≲ 100 here) whose
/// rounding is ~6e-8 relative, i.e. ~1e-5 relative on P_ij; the sums are compensated (rows) or blocked
/// (columns, ≤ 64 terms per partial), adding ≲ 1e-6. So 1e-4 relative holds with margin.
pub async fn newton_system_error(ctx: &Rc<GpuContext>, problem: &OtProblem, eps: f64, n1: u64, keep: usize) -> f64 {
    let density = Some(keep as f64 / problem.m() as f64);
    let params =
        SolverParams { method: Method::Sns, eps, n1, density, tol: 1e-30, max_iter: n1 + 1, ..Default::default() };
    let k = params.keep_per_row(problem.m());
    assert_eq!(k, keep, "density {density:?} keeps {k}, not {keep}");
    let mut gpu = GpuSinkhorn::new(ctx.clone(), problem, params).await.expect("gpu sns");
    let warm = gpu.step(Budget::iterations(n1)).await.unwrap();
    assert_eq!(warm.phase.as_deref(), Some("sinkhorn"));
    let sys = gpu.newton_system().await.unwrap();
    let (n, m) = (problem.n(), problem.m());
    // Every list at its full length before the entries are compared (indexing would panic, not report).
    assert_eq!((sys.row_sums.len(), sys.col_sums.len(), sys.top_idx.len(), sys.top_val.len()), (n, m, n * k, n * k));
    let c = problem.cost_matrix(1 << 24).unwrap();
    let p = |i: usize, j: usize| ((sys.f[i] + sys.g[j] - c[i * m + j]) / eps).exp();
    let rel = |got: f64, want: f64| (got - want).abs() / want.abs().max(1e-30);
    let mut worst: f64 = 0.0;
    let mut cols = vec![0.0; m];
    for i in 0..n {
        let mut row: Vec<f64> = (0..m).map(|j| p(i, j)).collect();
        for (j, v) in row.iter().enumerate() {
            cols[j] += v;
        }
        worst = worst.max(rel(sys.row_sums[i], row.iter().sum()));
        let mut kept_cols: Vec<u32> = sys.top_idx[i * k..(i + 1) * k].to_vec();
        kept_cols.sort_unstable();
        kept_cols.dedup();
        assert_eq!(kept_cols.len(), k, "row {i}: a column kept twice");
        for r in 0..k {
            let (j, v) = (sys.top_idx[i * k + r] as usize, sys.top_val[i * k + r]);
            assert!(j < m, "row {i}: kept column {j} of {m}");
            worst = worst.max(rel(v, p(i, j)));
            if r > 0 {
                assert!(v <= sys.top_val[i * k + r - 1], "row {i}: kept values not in descending order");
            }
        }
        row.sort_by(|a, b| b.total_cmp(a));
        for r in 0..k {
            // The r-th largest value, within rounding (the GPU may swap near-equal entries).
            let got = sys.top_val[i * k + r];
            assert!(
                rel(got, row[r]) < 1e-3 || (got - row[r]).abs() < 1e-12,
                "row {i}: rank {r} is {got}, want {}",
                row[r]
            );
            worst = worst.max(rel(got, row[r]).min((got - row[r]).abs() / row[0]));
        }
    }
    assert_eq!(sys.col_sums.len(), cols.len(), "one column sum per column");
    for (got, want) in sys.col_sums.iter().zip(&cols) {
        worst = worst.max(rel(*got, *want));
    }
    worst
}
