//! A seeded sweep over the OT lab's parameter space, extremes included (ε from 1e-6 to 1e3, n from 1,
//! every problem and method, ε-scaling on and off): every run ends in frames whose metrics are finite,
//! or in a typed error — never a panic, never a NaN.
#![cfg(not(target_arch = "wasm32"))]

use regula_core::frame::run_to_end;
use regula_core::ot::{Method, OtSolver, ProblemKind, ProblemSpec, SolverParams};
use regula_core::rng::SplitMix64;
use regula_core::{Budget, StopReason};

#[test]
fn no_panic_and_no_nan_across_the_parameter_space() {
    let mut rng = SplitMix64::new(2026);
    let (mut finished, mut refused) = (0, 0);
    let cases = 300;
    for case in 0..cases {
        let kind = ProblemKind::ALL[(rng.next_u64() % 4) as usize]; // digits is fixed-size: covered elsewhere
        let n = 1 + (rng.next_u64() % 40) as usize;
        let m = 1 + (rng.next_u64() % 40) as usize;
        let spec = ProblemSpec { kind, n, m, seed: case, normalize_cost: rng.uniform() < 0.7, ..Default::default() };
        let eps = 10f64.powf(-6.0 + 9.0 * rng.uniform());
        let method = Method::ALL[(rng.next_u64() % 3) as usize];
        let params = SolverParams {
            method,
            eps,
            n1: rng.next_u64() % 30,
            density: (rng.uniform() < 0.5).then(|| rng.uniform().max(1e-3)),
            tol: 10f64.powf(-12.0 + 10.0 * rng.uniform()),
            max_iter: 1 + rng.next_u64() % 300,
            eps_scaling: rng.uniform() < 0.3,
        };
        let problem = spec.build().expect("generated problems are valid");
        let label = format!("case {case}: {kind} {n}×{m} {params:?}");
        let mut solver = match OtSolver::new(&problem, params) {
            Ok(s) => s,
            Err(_) => {
                refused += 1; // e.g. kernel mode at an ε that underflows: a typed error is the right answer
                continue;
            }
        };
        match pollster::block_on(run_to_end(&mut solver, Budget::iterations(50), |f| {
            for (name, v) in &f.metrics {
                assert!(v.is_finite(), "{label}: metric {name} = {v} in {f:?}");
            }
        })) {
            Ok(f) => {
                assert!(f.done && f.stop.is_some(), "{label}");
                if f.stop == Some(StopReason::Tolerance) {
                    assert!(f.converged, "{label}");
                }
                finished += 1;
            }
            Err(e) => {
                assert!(!e.to_string().is_empty());
                refused += 1;
            }
        }
    }
    println!("ot sweep: {cases} cases, {finished} ran to a stop with finite frames, {refused} typed errors");
    assert_eq!(finished + refused, cases);
    assert!(finished > cases / 2, "too few runs got going: {finished}");
}
