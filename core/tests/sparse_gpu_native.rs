//! The Lasso's cross-validation on the GPU (every fold × λ problem in one dispatch of
//! `shaders/solvers/fista_batch.wgsl`, a workgroup per problem, on lavapipe) held to its f64 CPU twin
//! problem by problem within f32's tolerance, and FISTA's solutions to coordinate descent's; the solvers
//! lab's run on the GPU against its run on the CPU.
#![cfg(not(target_arch = "wasm32"))]

use regula_core::frame::{Budget, Stepper};
use regula_core::gpu::GpuContext;
use regula_core::rng::SplitMix64;
use regula_core::solvers::sparse::design::Support;
use regula_core::solvers::sparse::estimators::{lambda_grid, lasso_path, CdOptions, Design};
use regula_core::solvers::sparse::gpu::{cv_problems, fista_cpu, FistaBatch, FISTA_MAX_ITER, FISTA_TOL};
use regula_core::solvers::sparse::{Estimator, Experiment, Params};
use regula_core::{Backend, BackendChoice};

fn ctx() -> std::rc::Rc<GpuContext> {
    std::env::set_var("XDG_RUNTIME_DIR", std::env::var("XDG_RUNTIME_DIR").unwrap_or_else(|_| "/tmp".into()));
    pollster::block_on(GpuContext::new()).expect("no GPU adapter: install mesa-vulkan-drivers (lavapipe)")
}

/// d = 90 (more columns than a workgroup's 64 threads), N = 70 rows, a 3-sparse signal.
fn problem() -> (Design, Vec<f64>) {
    let (n, d) = (70, 90);
    let mut rng = SplitMix64::new(11);
    let x = Design { n, d, x: (0..n * d).map(|_| rng.normal()).collect() };
    let mut w = vec![0.0; d];
    (w[4], w[50], w[88]) = (1.0, -0.7, 0.5);
    let y = x.apply(&w).iter().map(|v| v + 0.1 * rng.normal()).collect();
    (x, y)
}

/// Per problem, the GPU's iterations within 2 % (+2) of the twin's and its coefficients within 1e-3 of the
/// largest (f32 against f64 over hundreds of iterations).
#[test]
fn the_fista_batch_matches_its_cpu_twin_problem_by_problem() {
    let (x, y) = problem();
    let lambdas = lambda_grid(&x, &y, 6, 1e-2);
    let problems = cv_problems(&x, &lambdas, 3);
    assert_eq!(problems.len(), 4 * 6);
    let mut batch = pollster::block_on(FistaBatch::new(ctx(), &x, &y, &problems, FISTA_TOL, FISTA_MAX_ITER)).unwrap();
    let mut rounds = 0;
    while !pollster::block_on(batch.round(50)).unwrap() {
        rounds += 1;
        assert!(rounds < 1000, "the batch never stopped");
    }
    let gpu = pollster::block_on(batch.solutions()).unwrap();
    let stopped = batch.stopped.clone().unwrap();
    for (k, p) in problems.iter().enumerate() {
        let (w, s) = fista_cpu(&x, &y, p, FISTA_TOL, FISTA_MAX_ITER);
        assert_eq!(stopped[k].stop, s.stop, "problem {k}: stop");
        let (a, b) = (f64::from(stopped[k].iter), f64::from(s.iter));
        // At λ = λ_max the solution is w = 0, met exactly in f32 or after a few iterations of round-off in
        // f64: the count is compared where the solution is not zero.
        let zero = w.iter().all(|v| v.abs() < 1e-8);
        assert!(zero || (a - b).abs() <= 0.02 * b + 2.0, "problem {k}: {a} vs {b} iterations");
        let scale = w.iter().fold(0.0f64, |m, v| m.max(v.abs())).max(1e-3);
        let err = gpu[k].iter().zip(&w).fold(0.0f64, |m, (g, c)| m.max((g - c).abs()));
        assert!(err <= 1e-3 * scale, "problem {k}: max |Δw| {err} (scale {scale})");
    }
}

/// FISTA (f64 twin) and coordinate descent solve the same Lasso: the objectives agree to 1e-6 relative.
#[test]
fn fista_and_coordinate_descent_reach_the_same_lasso() {
    let (x, y) = problem();
    let lambdas = lambda_grid(&x, &y, 6, 1e-2);
    let (cd, _) = lasso_path(&x, &y, &lambdas, CdOptions { tol: 1e-12, max_passes: 100_000 });
    let problems = cv_problems(&x, &lambdas, 3);
    let objective = |w: &[f64], l: f64| {
        let fit = x.apply(w);
        fit.iter().zip(&y).map(|(a, b)| (a - b).powi(2)).sum::<f64>() / (2.0 * x.n as f64)
            + l * w.iter().map(|v| v.abs()).sum::<f64>()
    };
    for (l, &lambda) in lambdas.iter().enumerate() {
        let p = problems[3 * lambdas.len() + l];
        assert_eq!((p.lo, p.hi), (0, 0), "the whole data's problems come last");
        let (w, s) = fista_cpu(&x, &y, &p, 1e-10, 100_000);
        assert_eq!(s.stop, 1, "λ {lambda}: tolerance");
        let (a, b) = (objective(&w, lambda), objective(&cd[l], lambda));
        assert!((a - b).abs() <= 1e-6 * b, "λ {lambda}: FISTA {a} vs CD {b}");
    }
}

/// The lab on the GPU: the Lasso's cross-validation by the batch, everything else as on the CPU; the
/// random support's prediction error within a factor of 2 of the CPU run's (a different solver, f32) and
/// the adversarial support's gap kept.
#[test]
fn the_lab_runs_its_lasso_on_the_gpu() {
    let params = Params {
        // N > d and λ down to 1e-2·λ_max: FISTA converges in tens to hundreds of iterations (lavapipe's
        // dispatches are slow; the batch's twin test covers N < d).
        d: 24,
        k: 3,
        n: vec![48],
        trials: 2,
        path: 8,
        lambda_ratio: 1e-2,
        estimators: vec![Estimator::Lasso],
        backend: BackendChoice::Gpu,
        ..Params::default()
    };
    let run = |backend: &Backend| {
        let mut e = Experiment::on(params.clone(), backend).unwrap();
        while !pollster::block_on(e.step(Budget::millis(50.0))).unwrap().done {}
        e
    };
    let g = run(&Backend::Gpu(ctx()));
    let c = run(&Backend::Cpu { fallback: None });
    assert!(g.placement().contains("GPU (FISTA, f32)"), "{}", g.placement());
    assert_eq!(c.placement(), "CPU, f64");
    for s in Support::ALL {
        let (a, b) = (g.summary(0, s, Estimator::Lasso).unwrap(), c.summary(0, s, Estimator::Lasso).unwrap());
        assert_eq!(a.trials, 2);
        assert!(
            a.median <= 2.0 * b.median + 1e-3 && b.median <= 2.0 * a.median + 1e-3,
            "{s}: GPU {} vs CPU {}",
            a.median,
            b.median
        );
    }
    assert!(g.path().is_some());
}
