use super::*;
use crate::frame::poll_ready as run_sync;

fn run(params: Params) -> Experiment {
    let mut e = Experiment::new(params).unwrap();
    loop {
        let f = run_sync(e.step(Budget::iterations(1_000_000))).unwrap();
        if f.done {
            return e;
        }
    }
}

/// The paper's gap (docs/methods.md §5.1): at d = 256, k = 6, ρ = 0.9 and N = 40 the cross-validated
/// Lasso predicts well on a random support and fails on adjacent opposite-sign pairs — for every seed.
#[test]
fn random_supports_are_easy_and_adversarial_ones_hard_at_n_40() {
    for seed in 0..3 {
        let e = run(Params { n: vec![40], estimators: vec![Estimator::Lasso], trials: 5, seed, ..Params::default() });
        let r = e.summary(0, Support::Random, Estimator::Lasso).unwrap();
        let a = e.summary(0, Support::Adversarial, Estimator::Lasso).unwrap();
        assert_eq!((r.trials, a.trials), (5, 5));
        assert!(r.median < 0.05, "seed {seed}: random support's median error {}", r.median);
        assert!(a.median > 0.3, "seed {seed}: adversarial support's median error {}", a.median);
        assert!(a.median > 10.0 * r.median, "seed {seed}: {} vs {}", a.median, r.median);
        assert!(r.recall > a.recall, "seed {seed}: recall {} vs {}", r.recall, a.recall);
    }
}

#[test]
fn more_samples_help_the_adversarial_support() {
    let e = run(Params {
        n: vec![40, 160],
        estimators: vec![Estimator::Lasso],
        supports: vec![Support::Adversarial],
        trials: 5,
        ..Params::default()
    });
    let (lo, hi) = (
        e.summary(0, Support::Adversarial, Estimator::Lasso).unwrap(),
        e.summary(1, Support::Adversarial, Estimator::Lasso).unwrap(),
    );
    assert!(hi.median < 0.2 * lo.median, "N = 160: {} vs N = 40: {}", hi.median, lo.median);
}

#[test]
fn every_estimator_recovers_an_easy_problem() {
    let e = run(Params {
        design: DesignKind::Gaussian,
        d: 64,
        k: 3,
        n: vec![60],
        supports: vec![Support::Random],
        trials: 3,
        sigma: 0.01,
        ..Params::default()
    });
    for est in Estimator::ALL {
        let s = e.summary(0, Support::Random, est).unwrap();
        assert!(s.median < 1e-2, "{est}: {}", s.median);
        assert_eq!(s.recall, 1.0, "{est}");
    }
    let path = e.path().expect("the last Lasso's path");
    assert_eq!(path.fit.lambdas.len(), 40);
    assert_eq!(path.truth.len(), 3);
}

#[test]
fn runs_are_reproducible_and_independent_of_the_step_budget() {
    let p = Params { n: vec![20, 30], trials: 2, d: 32, k: 3, ..Params::default() };
    let a = run(p.clone());
    let mut b = Experiment::new(p).unwrap();
    while !run_sync(b.step(Budget::iterations(1))).unwrap().done {}
    for ni in 0..2 {
        for s in Support::ALL {
            for est in Estimator::ALL {
                let bits = |o: &[Outcome]| {
                    o.iter().map(|o| [o.error, o.precision, o.recall, o.lambda].map(f64::to_bits)).collect::<Vec<_>>()
                };
                assert_eq!(bits(a.outcomes(ni, s, est)), bits(b.outcomes(ni, s, est)));
            }
        }
    }
}

#[test]
fn frames_carry_the_current_n_and_its_medians() {
    let mut e = Experiment::new(Params {
        n: vec![20],
        trials: 1,
        d: 32,
        k: 2,
        estimators: vec![Estimator::Omp],
        ..Params::default()
    })
    .unwrap();
    let f = run_sync(e.step(Budget::iterations(100))).unwrap();
    assert!(f.done);
    assert_eq!(f.metric(key::SAMPLES), Some(20.0));
    let m = f.metric(&metric(Support::Random, Estimator::Omp, key::PRED_ERROR_MEDIAN)).unwrap();
    assert!(m.is_finite() && m >= 0.0);
}

#[test]
fn bad_parameters_are_typed_errors() {
    for p in [
        Params { k: 300, ..Params::default() },
        Params { n: vec![4], ..Params::default() },
        Params { n: vec![8], folds: 5, k: 2, ..Params::default() },
        Params { supports: vec![], ..Params::default() },
        Params { estimators: vec![], ..Params::default() },
        Params { d: 2048, n: vec![2000], ..Params::default() },
        Params { sigma: f64::NAN, ..Params::default() },
        Params { rho: 1.0, ..Params::default() },
    ] {
        assert!(Experiment::new(p.clone()).is_err(), "{p:?}");
    }
}
