//! The CPU OT solvers against independent truths: the exact LP optimum (brute force over permutations,
//! and 1-D W2 by sorting), each other (Sinkhorn and SNS reach the same plan), and the SNS paper's
//! random-assignment row (docs/methods.md §1).
#![cfg(not(target_arch = "wasm32"))]

use regula_core::ot::{GroundCost, Method, OtProblem, OtSolver, Points, ProblemKind, ProblemSpec, SolverParams};
use regula_core::rng::SplitMix64;
use regula_core::{Budget, Error, Frame, Stepper, StopReason};

fn solve(problem: &OtProblem, params: SolverParams) -> (OtSolver, Frame) {
    let mut s = OtSolver::new(problem, params).unwrap();
    let f = pollster::block_on(regula_core::frame::run_to_end(&mut s, Budget::iterations(1000), |_| {})).unwrap();
    (s, f)
}

/// min over permutations σ of (1/n) Σ C_iσ(i): the exact OT value for uniform marginals with n = m.
fn brute_force_assignment(c: &[f64], n: usize) -> f64 {
    fn go(c: &[f64], n: usize, row: usize, used: &mut Vec<bool>, acc: f64, best: &mut f64) {
        if acc >= *best {
            return;
        }
        if row == n {
            *best = acc;
            return;
        }
        for j in 0..n {
            if !used[j] {
                used[j] = true;
                go(c, n, row + 1, used, acc + c[row * n + j], best);
                used[j] = false;
            }
        }
    }
    let mut best = f64::INFINITY;
    go(c, n, 0, &mut vec![false; n], 0.0, &mut best);
    best / n as f64
}

#[test]
fn small_eps_approaches_the_exact_assignment_optimum() {
    let n = 7;
    let mut rng = SplitMix64::new(3);
    let c: Vec<f64> = (0..n * n).map(|_| rng.uniform()).collect();
    let exact = brute_force_assignment(&c, n);
    let problem = OtProblem::dense(vec![1.0; n], vec![1.0; n], c).unwrap();
    // Sinkhorn slows down as ε shrinks (its rate degrades like exp(−‖C‖/ε)); SNS does not.
    for (method, eps, tol) in [(Method::LogSinkhorn, 1e-2, 1e-7), (Method::Sns, 1e-3, 1e-11)] {
        let params = SolverParams { method, eps, tol, max_iter: 200_000, ..Default::default() };
        let (s, f) = solve(&problem, params);
        assert!(f.converged, "{method}: {f:?}");
        let cost = s.summary().transport_cost;
        // Entropic bias: 0 ≤ ⟨C,P_ε⟩ − OT ≤ ε log(nm).
        // ... plus what an unconverged marginal error of `tol` can move the cost (C ≤ 1).
        let bound = eps * ((n * n) as f64).ln() + tol;
        assert!(cost >= exact - tol && cost - exact <= bound, "{method}: {cost} vs exact {exact} (bound {bound})");
    }
}

#[test]
fn one_dimensional_w2_matches_sorting() {
    let n = 40;
    let mut rng = SplitMix64::new(8);
    let mut x: Vec<f64> = (0..n).map(|_| rng.normal()).collect();
    let mut y: Vec<f64> = (0..n).map(|_| 2.0 + 0.5 * rng.normal()).collect();
    let mut problem = OtProblem::points(
        Points::new(1, x.clone(), None).unwrap(),
        Points::new(1, y.clone(), None).unwrap(),
        GroundCost::SqEuclidean,
    )
    .unwrap();
    let scale = problem.max_cost();
    problem.normalize_cost();
    x.sort_by(f64::total_cmp);
    y.sort_by(f64::total_cmp);
    // W2² of the sorted matching, in the normalised cost's units.
    let w2: f64 = x.iter().zip(&y).map(|(a, b)| (a - b) * (a - b)).sum::<f64>() / n as f64 / scale;
    let eps = 1e-3;
    let params = SolverParams { method: Method::Sns, eps, tol: 1e-10, max_iter: 5_000, ..Default::default() };
    let (s, f) = solve(&problem, params);
    assert!(f.converged, "{f:?}");
    let cost = s.summary().transport_cost;
    let bound = eps * ((n * n) as f64).ln();
    assert!(cost >= w2 - 1e-9 && cost - w2 <= bound, "{cost} vs W2² {w2}");
}

#[test]
fn all_three_methods_reach_the_same_plan() {
    let problem = ProblemSpec { kind: ProblemKind::Gaussian, n: 120, m: 90, ..Default::default() }.build().unwrap();
    let plans: Vec<Vec<f64>> = Method::ALL
        .into_iter()
        .map(|method| {
            let params = SolverParams { method, eps: 0.05, tol: 1e-11, max_iter: 50_000, ..Default::default() };
            let (s, f) = solve(&problem, params);
            assert!(f.converged && f.stop == Some(StopReason::Tolerance), "{method}: {f:?}");
            s.plan()
        })
        .collect();
    for p in &plans[1..] {
        let diff = p.iter().zip(&plans[0]).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
        // Both plans satisfy the marginals to 1e-11 in ℓ1 and the optimum is unique: entries agree to ~tol.
        assert!(diff < 1e-9, "plans differ by {diff}");
    }
}

#[test]
fn sns_paper_random_assignment_row() {
    // n = 500, η = 1200 (ε = 1/1200), C ~ U[0,1], run to ℓ1 marginal error 1e-12 in f64:
    // SNS needs ≤ 35 iterations (paper: 29 = 20 Sinkhorn + 9 Newton).
    let problem =
        ProblemSpec { kind: ProblemKind::Random, n: 500, m: 500, seed: 1, normalize_cost: false, ..Default::default() }
            .build()
            .unwrap();
    let params =
        SolverParams { method: Method::Sns, eps: 1.0 / 1200.0, n1: 20, tol: 1e-12, max_iter: 35, ..Default::default() };
    let (_, f) = solve(&problem, params);
    assert!(f.converged, "SNS did not reach 1e-12 in 35 iterations: {f:?}");
    assert!(f.iteration <= 35, "{}", f.iteration);
    assert!(f.metric("newton_steps").unwrap() >= 1.0);
    assert_eq!(f.phase.as_deref(), Some("newton"));
}

#[test]
fn kernel_mode_underflow_is_detected_and_points_to_the_log_domain() {
    let problem = ProblemSpec { kind: ProblemKind::Moons, n: 50, m: 50, ..Default::default() }.build().unwrap();
    let params = SolverParams { method: Method::Sinkhorn, eps: 1e-4, ..Default::default() };
    let err = OtSolver::new(&problem, params.clone()).err().unwrap();
    assert!(matches!(err, Error::KernelUnderflow { .. }), "{err}");
    assert!(err.to_string().contains("log-sinkhorn"), "{err}");
    // The log domain stays finite at the same ε (docs/methods.md: down to 1e-4 on normalised costs).
    let (_, f) = solve(&problem, SolverParams { method: Method::LogSinkhorn, max_iter: 300, ..params });
    assert!(f.metric("marginal_error").unwrap().is_finite());
    assert!(f.metric("transport_cost").unwrap().is_finite());
}

#[test]
fn bad_parameters_are_typed_errors() {
    let problem = ProblemSpec { n: 10, m: 10, ..Default::default() }.build().unwrap();
    for (eps, tol, density) in
        [(0.0, 1e-9, None), (-1.0, 1e-9, None), (f64::NAN, 1e-9, None), (0.1, 0.0, None), (0.1, 1e-9, Some(1.5))]
    {
        let p = SolverParams { eps, tol, density, ..Default::default() };
        assert!(OtSolver::new(&problem, p).is_err(), "eps {eps} tol {tol} density {density:?} accepted");
    }
    let err = OtSolver::new(&problem, SolverParams { eps: 0.0, ..Default::default() }).err().unwrap();
    assert!(err.to_string().contains("eps"), "{err}");
}

#[test]
fn max_iterations_stop_is_reported() {
    let problem = ProblemSpec { n: 50, m: 50, ..Default::default() }.build().unwrap();
    let params =
        SolverParams { method: Method::LogSinkhorn, eps: 0.001, tol: 1e-14, max_iter: 7, ..Default::default() };
    let (_, f) = solve(&problem, params);
    assert_eq!(f.iteration, 7);
    assert_eq!(f.stop, Some(StopReason::MaxIterations));
    assert!(!f.converged);
}

#[test]
fn eps_scaling_reaches_the_same_answer_in_fewer_iterations() {
    let problem = ProblemSpec { kind: ProblemKind::Uniform, n: 150, m: 150, ..Default::default() }.build().unwrap();
    let base =
        SolverParams { method: Method::LogSinkhorn, eps: 2e-3, tol: 1e-8, max_iter: 100_000, ..Default::default() };
    let (plain, fp) = solve(&problem, base.clone());
    let (scaled, fs) = solve(&problem, SolverParams { eps_scaling: true, ..base.clone() });
    assert!(fp.converged && fs.converged, "{fp:?} {fs:?}");
    assert_eq!(fs.metric("eps"), Some(2e-3), "the last stage runs at the target ε");
    assert!(fs.iteration < fp.iteration, "scaled {} vs plain {}", fs.iteration, fp.iteration);
    let (cp, cs) = (plain.summary().transport_cost, scaled.summary().transport_cost);
    assert!((cp - cs).abs() < 1e-6, "{cp} vs {cs}");
    // Kernel mode anneals too (rebuilding K per stage) and agrees with the log domain.
    let eps = 0.01;
    let (kernel, fk) =
        solve(&problem, SolverParams { method: Method::Sinkhorn, eps, eps_scaling: true, ..base.clone() });
    let (log, _) = solve(&problem, SolverParams { method: Method::LogSinkhorn, eps, ..base });
    assert!(fk.converged, "{fk:?}");
    assert!((kernel.summary().transport_cost - log.summary().transport_cost).abs() < 1e-6);
}

#[test]
fn a_new_stopping_rule_continues_the_run_without_restarting() {
    let problem = ProblemSpec { n: 60, m: 60, ..Default::default() }.build().unwrap();
    let params = SolverParams { method: Method::LogSinkhorn, eps: 0.05, tol: 1e-12, max_iter: 5, ..Default::default() };
    let mut s = OtSolver::new(&problem, params).unwrap();
    let f = pollster::block_on(regula_core::frame::run_to_end(&mut s, Budget::iterations(100), |_| {})).unwrap();
    assert_eq!((f.iteration, f.stop), (5, Some(StopReason::MaxIterations)));
    let before = f.metric("marginal_error").unwrap();
    s.set_stopping(1e-12, 5000).unwrap();
    let f = pollster::block_on(regula_core::frame::run_to_end(&mut s, Budget::iterations(100), |_| {})).unwrap();
    assert!(f.iteration > 5 && f.converged, "{f:?}");
    assert!(f.metric("marginal_error").unwrap() < before);
    // Lowering the cap below the current iteration stops at once; bad values are typed errors.
    s.set_stopping(1e-14, 3).unwrap();
    let g = pollster::block_on(s.step(Budget::iterations(10))).unwrap();
    assert_eq!(g.iteration, f.iteration);
    assert!(g.done);
    assert!(s.set_stopping(-1.0, 10).is_err());
}

#[test]
fn the_automatic_density_grows_until_the_hessian_holds_the_plan_and_sns_converges_fast() {
    // 300 moons at ε = 0.01 (C / max C): each row of P spreads over its neighbours, so ten entries per row
    // miss much of P's mass; the sparsified Newton direction is then little better than a Sinkhorn step.
    let problem = ProblemSpec { kind: ProblemKind::Moons, n: 300, m: 300, ..Default::default() }.build().unwrap();
    let base = SolverParams { method: Method::Sns, eps: 0.01, n1: 20, tol: 1e-9, max_iter: 60, ..Default::default() };
    let (auto, f) = solve(&problem, base.clone());
    assert!(f.converged, "automatic density: {f:?}");
    let newton = f.metric("newton_steps").unwrap();
    assert!(newton <= 15.0, "automatic density needed {newton} Newton steps");
    assert!(auto.keep() > 10, "k stayed at {}", auto.keep());
    assert!(f.metric("kept_mass").unwrap() >= 0.99, "{f:?}");
    // What it kept holds ≥ 99 % of the final plan's mass (the rule it grew by).
    let p = auto.plan();
    let captured = regula_core::ot::analysis::mass_captured(&p, 300, 300, &[auto.keep()])[0];
    assert!(captured >= 0.99, "k = {} holds {captured}", auto.keep());
    // Ten per row, fixed: 40 Newton steps and still far from the tolerance.
    let fixed = SolverParams { density: Some(10.0 / 300.0), ..base };
    let (ten, f) = solve(&problem, fixed);
    assert_eq!(ten.keep(), 10);
    assert!(!f.converged && f.metric("marginal_error").unwrap() > 1e-7, "ten per row: {f:?}");
    assert!(f.metric("kept_mass").unwrap() < 0.9, "ten per row: {f:?}");
}

#[test]
fn sns_reaches_a_tolerance_where_f_no_longer_resolves_its_steps() {
    // The digit pair (784 × 784, C / max C) at ε = 0.01 to 1e-12. Near 1e-8 a Newton step changes F by
    // less than F's own rounding; Armijo on the difference of two F values then rejected every step, the run
    // fell back to Sinkhorn steps and crawled (60 iterations left it at 4e-10). Armijo on F's change
    // computed as Σ P·expm1(step) keeps taking Newton steps: 29 iterations.
    let problem = ProblemSpec { kind: ProblemKind::Digits, ..Default::default() }.build().unwrap();
    let params =
        SolverParams { method: Method::Sns, eps: 0.01, n1: 20, tol: 1e-12, max_iter: 40, ..Default::default() };
    let mut s = OtSolver::new(&problem, params).unwrap();
    let mut fallbacks = 0;
    let f = pollster::block_on(regula_core::frame::run_to_end(&mut s, Budget::iterations(1), |f| {
        if f.metric("step_size") == Some(0.0) {
            fallbacks += 1;
        }
    }))
    .unwrap();
    assert!(f.converged, "{f:?}");
    assert!(f.metric("marginal_error").unwrap() <= 1e-12);
    assert_eq!(fallbacks, 0, "Newton steps gave way to Sinkhorn steps {fallbacks} times");
}

#[test]
fn sns_paper_image_row_w2_on_the_digit_pair() {
    // docs/methods.md §1, Table 1's image row: W2 (squared-Euclidean ground cost, C / max C) between two
    // 28 × 28 digits at η = 1200, to ℓ1 marginal error 1e-12 in f64: paper 53 iterations (20 Sinkhorn + 33
    // Newton; Sinkhorn 2,041). Ours (our shipped pair, automatic density): 56 = 20 + 36; allow 70.
    let problem = ProblemSpec { kind: ProblemKind::Digits, ..Default::default() }.build().unwrap();
    let params =
        SolverParams { method: Method::Sns, eps: 1.0 / 1200.0, n1: 20, tol: 1e-12, max_iter: 70, ..Default::default() };
    let (_, f) = solve(&problem, params);
    assert!(f.converged, "SNS did not reach 1e-12 in 70 iterations: {f:?}");
    assert!(f.metric("newton_steps").unwrap() >= 10.0, "{f:?}");
}
