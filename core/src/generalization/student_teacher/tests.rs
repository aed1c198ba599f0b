//! The student–teacher experiment's unit tests: the theory curves and the simulation against each other.

use super::*;
use crate::frame::poll_ready;

#[test]
fn the_mp_quadrature_has_the_right_mass_and_mean() {
    for alpha in [0.3, 1.0, 2.0] {
        let q = MpQuadrature::new(alpha);
        let mass: f64 = q.weights.iter().sum();
        let mean: f64 = q.nodes.iter().zip(&q.weights).map(|(l, w)| l * w).sum();
        // ∫ρ = min(α, 1); E[λ] over all N eigenvalues = tr(XᵀX)/N = α.
        assert!((mass - alpha.min(1.0)).abs() < 1e-6, "α = {alpha}: mass {mass}");
        assert!((mean - alpha).abs() < 1e-6, "α = {alpha}: mean {mean}");
    }
}

#[test]
fn theory_reaches_its_closed_form_long_run_limit() {
    for alpha in [0.5, 2.0, 4.0] {
        let q = MpQuadrature::new(alpha);
        let (nv, t) = (0.2, 1e7);
        let e = q.test_error(nv, t);
        let want = theory_long_run(alpha, nv);
        assert!((e - want).abs() < 1e-3 * want, "α = {alpha}: {e} vs {want}");
    }
    assert!((theory_long_run(2.0, 0.2) - 0.4).abs() < 1e-12);
}

/// X (row-major P × N), w̄ and y drawn again from the config's seed in `Builder`'s order (X row by row,
/// w̄, then ε row by row): the instance's raw data, for checks against independent computations.
fn redraw(config: &Config) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let (n, p) = (config.n_inputs, config.samples());
    let mut rng = SplitMix64::new(config.seed ^ 0x5EED_AD5A);
    let x: Vec<f64> = (0..p * n).map(|_| rng.normal() / (n as f64).sqrt()).collect();
    let teacher: Vec<f64> = (0..n).map(|_| rng.normal()).collect();
    let sd = config.noise_var().sqrt();
    let y = (0..p).map(|i| (0..n).map(|j| x[i * n + j] * teacher[j]).sum::<f64>() + sd * rng.normal()).collect();
    (x, teacher, y)
}

/// The exact flow solution matches explicit Euler gradient descent on the same instance (small N).
#[test]
fn the_flow_solution_matches_gradient_descent() {
    let config = Config { alpha: 1.5, n_inputs: 30, snr: 5.0, seed: 3, ..Config::default() };
    let inst = Instance::generate(&config).unwrap();
    let (n, p) = (30, 45);
    let (x, teacher, y) = redraw(&config);
    let (dt, t_end) = (1e-3, 2.0);
    let mut w = vec![0.0; n];
    for _ in 0..(t_end / dt) as usize {
        let r: Vec<f64> = (0..p).map(|i| y[i] - (0..n).map(|j| x[i * n + j] * w[j]).sum::<f64>()).collect();
        for j in 0..n {
            w[j] += dt * (0..p).map(|i| x[i * n + j] * r[i]).sum::<f64>();
        }
    }
    let eg = w.iter().zip(&teacher).map(|(a, b)| (a - b).powi(2)).sum::<f64>() / n as f64 + 0.2;
    let flow = inst.test_error(t_end);
    // Euler's error is O(dt·λmax) relative ≈ 5e-3 here.
    assert!((eg - flow).abs() < 1e-2 * flow, "GD {eg} vs flow {flow}");
    let r2 = (0..p).map(|i| (y[i] - (0..n).map(|j| x[i * n + j] * w[j]).sum::<f64>()).powi(2)).sum::<f64>() / p as f64;
    assert!((r2 - inst.train_error(t_end)).abs() < 1e-2 * r2, "train {r2} vs {}", inst.train_error(t_end));
}

#[test]
fn bad_parameters_are_typed_errors() {
    for c in [
        Config { alpha: 0.0, ..Config::default() },
        Config { alpha: f64::NAN, ..Config::default() },
        Config { snr: -1.0, ..Config::default() },
        Config { n_inputs: 1, ..Config::default() },
        Config { t_max: 0.0, ..Config::default() },
        Config { alpha: 1e-4, n_inputs: 10, ..Config::default() },
    ] {
        assert!(matches!(Run::new(c.clone()), Err(Error::Invalid { .. })), "{c:?}");
    }
    assert!(Sweep::new(Config::default(), vec![]).is_err());
}

/// The instance comes from faer's dense eigen-decomposition of the same XᵀX (an independent
/// implementation) to rounding: eigenvalues, and the curves (which do not depend on the eigenvectors'
/// signs or on the basis chosen within a repeated eigenvalue — α < 1 has N − P zero eigenvalues).
#[test]
fn the_resumable_set_up_matches_a_dense_decomposition() {
    for (alpha, n) in [(0.5, 40usize), (1.0, 60), (2.5, 30)] {
        let config = Config { alpha, n_inputs: n, seed: 9, ..Config::default() };
        let inst = Instance::generate(&config).unwrap();
        let p = config.samples();
        let (x, teacher, y) = redraw(&config);
        let x = faer::Mat::<f64>::from_fn(p, n, |i, j| x[i * n + j]);
        let eig = (x.transpose() * &x).self_adjoint_eigen(faer::Side::Lower).unwrap();
        let (s, v) = (eig.S().column_vector(), eig.U());
        let xty: Vec<f64> = (0..n).map(|j| (0..p).map(|i| x[(i, j)] * y[i]).sum()).collect();
        let dense = Instance {
            lambdas: (0..n).map(|k| s[k].max(0.0)).collect(),
            z: (0..n).map(|k| (0..n).map(|j| v[(j, k)] * xty[j]).sum()).collect(),
            u: (0..n).map(|k| (0..n).map(|j| v[(j, k)] * teacher[j]).sum()).collect(),
            y2: y.iter().map(|a| a * a).sum(),
            n,
            p,
            noise_var: config.noise_var(),
        };
        for k in 0..n {
            assert!(
                (inst.lambdas[k] - dense.lambdas[k]).abs() < 1e-12 * n as f64 * dense.lambdas[n - 1],
                "α {alpha} λ{k}"
            );
        }
        for t in [0.01, 0.3, 3.0, 100.0, 1e4] {
            for (ours, theirs) in
                [(inst.test_error(t), dense.test_error(t)), (inst.train_error(t), dense.train_error(t))]
            {
                assert!((ours - theirs).abs() < 1e-9 * theirs.max(1e-3), "α {alpha} t {t}: {ours} vs {theirs}");
            }
        }
    }
}

/// Under a time budget the set-up spreads over frames (phase `sampling`, `setup_progress` rising) and
/// the run ends with the same curve as one done in a single call; the sweep likewise.
#[test]
fn a_time_budget_spreads_the_set_up_over_frames() {
    let config = Config { n_inputs: 120, points: 20, ..Config::default() };
    let mut whole = Run::new(config.clone()).unwrap();
    let whole_end = poll_ready(crate::frame::run_to_end(&mut whole, Budget::iterations(1000), |_| {}));
    let mut split = Run::new(config).unwrap();
    let (mut sampling, mut last_progress) = (0, 0.0);
    loop {
        let f = poll_ready(split.step(Budget::millis(0.01))).unwrap();
        if f.phase.as_deref() == Some("sampling") {
            sampling += 1;
            let p = f.metrics[key::SETUP_PROGRESS];
            assert!(p >= last_progress && p <= 1.0, "{p} after {last_progress}");
            last_progress = p;
        }
        if f.done {
            assert_eq!(f.metrics, whole_end.unwrap().metrics);
            break;
        }
    }
    assert!(sampling > 10, "the set-up took {sampling} frames");
    assert_eq!(split.curve, whole.curve);

    let base = Config { n_inputs: 40, points: 10, ..Config::default() };
    let alphas = vec![0.5, 1.0, 2.0];
    let mut by_alpha = Sweep::new(base.clone(), alphas.clone()).unwrap();
    let one = poll_ready(by_alpha.step(Budget::iterations(1))).unwrap();
    assert_eq!(one.iteration, 1, "an iteration budget of 1 finishes one α");
    while !poll_ready(by_alpha.step(Budget::iterations(1))).unwrap().done {}
    let mut by_time = Sweep::new(base, alphas).unwrap();
    let mut frames = 0;
    while !poll_ready(by_time.step(Budget::millis(0.01))).unwrap().done {
        frames += 1;
    }
    assert!(frames > 30, "{frames} frames");
    assert_eq!(by_time.rows, by_alpha.rows);
}

#[test]
fn a_run_streams_every_time_point() {
    let mut run = Run::new(Config { n_inputs: 50, points: 30, ..Config::default() }).unwrap();
    let first = poll_ready(run.step(Budget::iterations(10))).unwrap();
    assert_eq!(
        (first.iteration, first.phase.as_deref()),
        (0, Some("flow")),
        "the first step samples and decomposes only"
    );
    let mut frames = 1;
    loop {
        let f = poll_ready(run.step(Budget::iterations(10))).unwrap();
        frames += 1;
        assert!(f.metrics.values().all(|v| v.is_finite()), "{f:?}");
        if f.done {
            assert_eq!(f.iteration, 30);
            break;
        }
    }
    assert_eq!(frames, 4);
}
