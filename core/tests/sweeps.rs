//! Guarantee 1 (README "Guarantees"): property-based sweeps (proptest) over every lab's parameter space,
//! extremes included — ε from 1e-6 to 1e3, sizes from 0 and 1 up to and past each limit, learning rates to
//! 1e3, zero-variance data. Each case must end in a typed error or in frames whose every metric is finite;
//! a run that stops says why. A panic fails the test, and proptest shrinks it to a minimal case.
//!
//! Case counts: `REGULA_SWEEP_CASES` (per lab; the CI default is below each test; `REGULA_SWEEP_SEED` picks
//! other cases) — `cargo xtask soak` runs
//! 10,000 per lab. Every test prints `sweep <lab>: N cases, …` so the figure is in the test output
//! (run with `--nocapture` to see it).
#![cfg(not(target_arch = "wasm32"))]

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;

use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestRng, TestRunner};

use regula_core::frame::{Frame, Stepper};
use regula_core::lab::sweep::Run as _;
use regula_core::{Budget, StopReason};

/// Cases per lab: `REGULA_SWEEP_CASES` or the CI default.
fn cases(ci_default: u32) -> u32 {
    std::env::var("REGULA_SWEEP_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(ci_default)
}

/// Counts outcomes over a sweep.
#[derive(Default)]
struct Tally {
    cases: Cell<u32>,
    ran: Cell<u32>,
    stopped: Cell<u32>,
    refused: Cell<u32>,
    /// Refusals by the error's first words, for the report.
    reasons: RefCell<BTreeMap<String, u32>>,
}

impl Tally {
    fn refuse(&self, e: &impl std::fmt::Display) {
        self.refused.set(self.refused.get() + 1);
        let text = e.to_string();
        let key: String = text.split_whitespace().take(5).collect::<Vec<_>>().join(" ");
        *self.reasons.borrow_mut().entry(key).or_default() += 1;
    }

    fn report(&self, lab: &str, min_ran_fraction: f64) {
        let (c, r, s, e) = (self.cases.get(), self.ran.get(), self.stopped.get(), self.refused.get());
        println!("sweep {lab}: {c} cases, {r} ran (finite frames; {s} of them to a stop), {e} typed errors");
        let mut reasons: Vec<(u32, String)> = self.reasons.borrow().iter().map(|(k, v)| (*v, k.clone())).collect();
        reasons.sort_by(|a, b| b.cmp(a));
        let top: Vec<String> = reasons.iter().take(4).map(|(v, k)| format!("{v}× {k}")).collect();
        println!("  most frequent refusals: {}", top.join("; "));
        assert_eq!(r + e, c, "every case either ran or was refused");
        assert!(f64::from(r) >= min_ran_fraction * f64::from(c), "{lab}: too few cases got going ({r} of {c})");
    }
}

/// One frame's invariants: finite metrics; `stop` exactly when done; tolerance implies convergence.
fn check_frame(f: &Frame) -> Result<(), TestCaseError> {
    for (name, v) in &f.metrics {
        prop_assert!(v.is_finite(), "metric {name} = {v} in {f:?}");
    }
    prop_assert!(f.elapsed_ms.is_finite() && f.elapsed_ms >= 0.0, "{f:?}");
    prop_assert_eq!(f.done, f.stop.is_some(), "a stopped frame says why, a running one has no reason: {:?}", f);
    if f.stop == Some(StopReason::Tolerance) {
        prop_assert!(f.converged, "stopped at tolerance but not converged: {:?}", f);
    }
    Ok(())
}

/// Steps `s` at most `frames` times with `budget`, checking every frame; true when it stopped.
fn drive<S: Stepper>(s: &mut S, budget: Budget, frames: usize) -> Result<bool, TestCaseError> {
    let mut last_iteration = 0;
    for _ in 0..frames {
        let f = match pollster::block_on(s.step(budget)) {
            Ok(f) => f,
            // A typed error mid-run (e.g. divergence reported as an error) is an accepted outcome.
            Err(e) => {
                prop_assert!(!e.to_string().is_empty());
                return Ok(true);
            }
        };
        check_frame(&f)?;
        prop_assert!(f.iteration >= last_iteration, "iterations went backwards: {f:?}");
        last_iteration = f.iteration;
        if f.done {
            // Further steps return the same frame.
            let again = pollster::block_on(s.step(budget)).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(again.iteration, f.iteration);
            prop_assert_eq!(again.stop, f.stop);
            return Ok(true);
        }
    }
    Ok(false)
}

/// Runs one case: `setup` builds the stepper (a typed error counts as refused), `drive` checks its frames.
fn case<S: Stepper>(
    tally: &Tally,
    reach: Reach,
    setup: impl FnOnce() -> regula_core::error::Result<S>,
    budget: Budget,
    frames: usize,
) -> Result<(), TestCaseError> {
    tally.cases.set(tally.cases.get() + 1);
    match setup() {
        Err(e) => {
            prop_assert!(!e.to_string().is_empty());
            tally.refuse(&e);
            Ok(())
        }
        Ok(mut s) => {
            prop_assert!(reach != PAST_LIMIT, "a size past the limit was accepted");
            tally.ran.set(tally.ran.get() + 1);
            let (budget, frames) = if reach == AT_LIMIT { (Budget::iterations(1), 1) } else { (budget, frames) };
            if drive(&mut s, budget, frames)? {
                tally.stopped.set(tally.stopped.get() + 1);
            }
            Ok(())
        }
    }
}

/// A deterministic runner: the same cases on every machine for a given `REGULA_SWEEP_SEED` (default 0;
/// the soak draws other cases by setting it).
fn runner(ci_default: u32) -> TestRunner {
    let seed: u64 = std::env::var("REGULA_SWEEP_SEED").ok().and_then(|v| v.parse().ok()).unwrap_or(0);
    let mut bytes = [0u8; 32];
    bytes[..8].copy_from_slice(&seed.to_le_bytes());
    let config = Config { cases: cases(ci_default), failure_persistence: None, ..Config::default() };
    TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &bytes))
}

/// 10^U[lo, hi].
fn log_uniform(lo: f64, hi: f64) -> impl Strategy<Value = f64> {
    (lo..=hi).prop_map(|e| 10f64.powf(e))
}

/// Mostly small sizes in `lo..=hi`; sometimes the limit itself (it must run or be refused by another
/// check — never exhaust memory); sometimes a size past `limit` (the case must be refused).
fn size(lo: usize, hi: usize, limit: usize) -> impl Strategy<Value = (usize, Reach)> {
    prop_oneof![
        40 => (lo..=hi).prop_map(|v| (v, SMALL)),
        1 => Just((limit, AT_LIMIT)),
        2 => ((limit + 1)..=limit.saturating_mul(1000).max(limit + 2)).prop_map(|v| (v, PAST_LIMIT)),
    ]
}

/// Where a drawn size lies: the largest over a case's sizes decides how the case is run.
type Reach = u8;
const SMALL: Reach = 0;
/// One frame only: the point is that it starts (or is refused) without exhausting memory.
const AT_LIMIT: Reach = 1;
/// Must be refused.
const PAST_LIMIT: Reach = 2;

fn pick<T: Copy + std::fmt::Debug + 'static>(all: &'static [T]) -> impl Strategy<Value = T> {
    (0..all.len()).prop_map(move |i| all[i])
}

#[test]
fn ot_lab_sweep() {
    use regula_core::ot::problem::{GroundCost, MAX_POINTS};
    use regula_core::ot::{Method, OtSolver, ProblemKind, ProblemSpec, SolverParams};
    let tally = Tally::default();
    let spec = (
        pick(&ProblemKind::ALL),
        size(0, 40, MAX_POINTS),
        size(0, 40, MAX_POINTS),
        any::<u64>(),
        pick(&GroundCost::ALL),
        any::<bool>(),
    );
    let params = (
        pick(&Method::ALL),
        prop_oneof![8 => log_uniform(-6.0, 3.0), 1 => Just(0.0), 1 => Just(-1.0), 1 => Just(f64::NAN)],
        0u64..40,
        prop::option::of(prop_oneof![4 => 1e-4..=1.0f64, 1 => Just(0.0), 1 => 1.0..2.0f64]),
        log_uniform(-13.0, 0.0),
        prop_oneof![1 => Just(0u64), 20 => 1u64..400],
        any::<bool>(),
    );
    runner(1000)
        .run(
            &(spec, params),
            |(
                (kind, (n, big_n), (m, big_m), seed, cost, normalize_cost),
                (method, eps, n1, density, tol, max_iter, eps_scaling),
            )| {
                // Digits is fixed-size (784 × 784): too slow for a sweep case; it has its own tests.
                let kind = if kind == ProblemKind::Digits { ProblemKind::Moons } else { kind };
                let spec = ProblemSpec { kind, n, m, seed, cost, normalize_cost };
                let params = SolverParams { method, eps, n1, density, tol, max_iter, eps_scaling };
                case(&tally, big_n.max(big_m), || OtSolver::new(&spec.build()?, params), Budget::iterations(64), 8)
            },
        )
        .unwrap();
    tally.report("ot", 0.3);
}

/// The OT lab's GPU stepper (log-domain Sinkhorn and SNS in f32, on the native adapter) over the same
/// space: f32 at ε = 1e-6 or with exploding potentials must still give finite frames or a typed error.
#[test]
fn ot_gpu_sweep() {
    use regula_core::gpu::GpuContext;
    use regula_core::ot::problem::{GroundCost, MAX_POINTS};
    use regula_core::ot::{GpuSinkhorn, Method, ProblemKind, ProblemSpec, SolverParams};
    std::env::set_var("XDG_RUNTIME_DIR", std::env::var("XDG_RUNTIME_DIR").unwrap_or_else(|_| "/tmp".into()));
    // A GPU sweep without a GPU fails rather than passing on nothing (CI always has lavapipe).
    let ctx = pollster::block_on(GpuContext::new()).expect("no GPU adapter: install mesa-vulkan-drivers (lavapipe)");
    let tally = Tally::default();
    let spec = (
        pick(&ProblemKind::ALL),
        size(0, 40, MAX_POINTS),
        size(0, 40, MAX_POINTS),
        any::<u64>(),
        pick(&GroundCost::ALL),
        any::<bool>(),
    );
    let params = (
        pick(&Method::ALL),
        prop_oneof![8 => log_uniform(-6.0, 3.0), 1 => Just(0.0), 1 => Just(f64::NAN)],
        0u64..40,
        prop::option::of(prop_oneof![4 => 1e-4..=1.0f64, 1 => Just(0.0), 1 => 1.0..2.0f64]),
        log_uniform(-13.0, 0.0),
        prop_oneof![1 => Just(0u64), 20 => 1u64..400],
    );
    runner(300)
        .run(
            &(spec, params),
            |(
                (kind, (n, big_n), (m, big_m), seed, cost, normalize_cost),
                (method, eps, n1, density, tol, max_iter),
            )| {
                let kind = if kind == ProblemKind::Digits { ProblemKind::Moons } else { kind };
                let spec = ProblemSpec { kind, n, m, seed, cost, normalize_cost };
                let params = SolverParams { method, eps, n1, density, tol, max_iter, eps_scaling: false };
                let setup = || pollster::block_on(GpuSinkhorn::new(ctx.clone(), &spec.build()?, params));
                case(&tally, big_n.max(big_m), setup, Budget::iterations(64), 8)
            },
        )
        .unwrap();
    tally.report("ot (GPU)", 0.3);
}

#[test]
fn sketching_lab_sweep() {
    use regula_core::sketch::experiment::{Config as SketchConfig, Experiment, Solver};
    use regula_core::sketch::operators::SketchKind;
    use regula_core::sketch::regression::Design;
    use regula_core::Backend;
    let tally = Tally::default();
    let shape = (pick(&Design::ALL), size(0, 120, 1 << 25), 0usize..12, any::<u64>());
    let config = (
        prop::collection::vec(pick(&SketchKind::ALL), 1..3).prop_map(|v| {
            if v.len() == 2 && v[0] == v[1] {
                vec![]
            } else {
                v
            }
        }),
        // (An empty sketch list when two equal kinds are drawn, ~1 case in 8: refused.) Sketch sizes as fractions of the room between d and n (past 1: m > n, refused).
        prop::collection::vec(prop_oneof![10 => 0.0..=1.0f64, 1 => 1.0..1.5f64], 0..3),
        0usize..10,
        prop_oneof![1 => Just(0usize), 20 => 1usize..4, 1 => Just(usize::MAX)],
        pick(&Solver::ALL),
        prop_oneof![6 => log_uniform(-16.0, -0.1), 1 => Just(0.0), 1 => Just(1.5), 1 => Just(f64::INFINITY)],
        0usize..40,
    );
    runner(1000)
        .run(&(shape, config), |((design, (n, big), d, seed), (sketches, ms, s, trials, solver, tol, max_lsqr))| {
            let ms = ms.iter().map(|f| d + (f * n.saturating_sub(d) as f64).round() as usize).collect();
            let config = SketchConfig { sketches, ms, s, trials, seed, solver, tol, max_lsqr };
            // `generate` (the page's and the CLI's entry) checks n·(d + 1) before drawing the instance.
            case(
                &tally,
                big,
                || Experiment::generate(design, n, d, config, Backend::Cpu { fallback: None }),
                Budget::iterations(4),
                12,
            )
        })
        .unwrap();
    tally.report("sketching", 0.1);
}

#[test]
fn sketching_nuclear_sweep() {
    use regula_core::sketch::nuclear;
    let tally = Tally::default();
    let strategy = (
        size(0, 40, nuclear::MAX_ENTRIES),
        0usize..40,
        0usize..6,
        prop_oneof![4 => 0.0..=1.0f64, 1 => Just(-0.5), 1 => Just(2.0)],
        any::<u64>(),
        any::<bool>(),
    );
    runner(1000)
        .run(&strategy, |((n, big), d, rank, collapse, seed, zero)| {
            tally.cases.set(tally.cases.get() + 1);
            // Zero-variance data (all rows equal) as well as generated matrices.
            let x = if zero && big != PAST_LIMIT {
                Ok(vec![1.0; n * d])
            } else {
                nuclear::generate(n, d, rank, collapse, seed)
            };
            match x.and_then(|x| nuclear::compare(&x, n, d)) {
                Ok(r) => {
                    prop_assert!(big != PAST_LIMIT, "a size past the limit was accepted");
                    prop_assert!(
                        r.exact.is_finite() && r.proxy.is_finite() && r.spectrum.iter().all(|v| v.is_finite()),
                        "{r:?}"
                    );
                    prop_assert!(r.ratio.is_finite() || r.exact == 0.0, "{r:?}");
                    tally.ran.set(tally.ran.get() + 1);
                    tally.stopped.set(tally.stopped.get() + 1); // one-shot: a result is its end
                }
                Err(e) => {
                    prop_assert!(!e.to_string().is_empty());
                    tally.refuse(&e);
                }
            }
            Ok(())
        })
        .unwrap();
    tally.report("sketching (nuclear norm)", 0.2);
}

#[test]
fn training_lab_sweep() {
    use regula_core::train::data::{DatasetKind, DatasetSpec, Feature, NoiseKind};
    use regula_core::train::elr::Elr;
    use regula_core::train::mlp::{Activation, Loss};
    use regula_core::train::trainer::{Optimizer, Regularization, Schedule, TrainConfig, Trainer};
    let tally = Tally::default();
    let data = (
        pick(&DatasetKind::ALL),
        prop_oneof![12 => size(4, 80, 100_000), 1 => (0usize..4).prop_map(|v| (v, SMALL))],
        prop_oneof![12 => 0.0..=1.0f64, 2 => Just(0.0), 1 => Just(10.0), 1 => Just(-1.0)],
        prop_oneof![12 => 0.4..=1.0f64, 1 => Just(0.0), 1 => Just(1.5)],
        prop_oneof![12 => 0.0..=1.0f64, 1 => Just(1.2)],
        pick(&NoiseKind::ALL),
        prop::collection::vec(pick(&Feature::ALL), 1..4).prop_map(|v| {
            if v.len() == 3 && v[0] == v[2] {
                vec![]
            } else {
                v
            }
        }),
        any::<u64>(),
    );
    let config = (
        (
            prop::collection::vec(prop_oneof![12 => 1usize..12, 1 => Just(0usize)], 0..3),
            pick(&Activation::ALL),
            pick(&Loss::ALL),
            pick(&Optimizer::ALL),
        ),
        (
            log_uniform(-6.0, 3.0),
            prop_oneof![12 => 0.0..1.0f64, 1 => Just(1.2)],
            pick(&Schedule::ALL),
            0usize..16,
            1usize..4,
        ),
        (
            pick(&Regularization::ALL),
            prop_oneof![2 => Just(0.0), 3 => log_uniform(-6.0, 2.0)],
            0usize..3,
            prop_oneof![6 => Just(0.0), 3 => 0.0..1.0f64, 1 => Just(1.1)],
        ),
        (prop::option::weighted(0.15, (0.0..=1.0f64, log_uniform(-2.0, 2.0))), any::<u64>()),
    );
    runner(2000)
        .run(
            &(data, config),
            |((kind, (n, big), noise, train_ratio, label_noise, label_noise_kind, features, seed), c)| {
                let (
                    (hidden, activation, loss, optimizer),
                    (lr, momentum, schedule, batch, epochs),
                    (reg, reg_rate, hessian_every, label_smoothing),
                    (elr, tseed),
                ) = c;
                // Digits is fixed-size (1,797 × 64): too slow for a sweep case; it has its own tests.
                let kind = if kind == DatasetKind::Digits { DatasetKind::Mixture } else { kind };
                let spec = DatasetSpec { kind, n, noise, train_ratio, label_noise, label_noise_kind, features, seed };
                let config = TrainConfig {
                    hidden,
                    activation,
                    loss,
                    optimizer,
                    lr,
                    momentum,
                    schedule,
                    batch,
                    epochs,
                    reg,
                    reg_rate,
                    hessian_every,
                    label_smoothing,
                    elr: elr.map(|(beta, lambda)| Elr { beta, lambda }),
                    seed: tseed,
                    ..TrainConfig::default()
                };
                case(&tally, big, || Trainer::new(spec.build()?, config), Budget::iterations(50), 20)
            },
        )
        .unwrap();
    tally.report("training", 0.25);
}

/// The training sweep lab (many nets over a grid): grids of 0 values, 0 seeds, values out of any axis's
/// range, cells that cannot run or diverge — each case is a typed error, or frames with finite metrics and
/// a phase diagram whose every cell is finite or empty (never NaN drawn).
#[test]
fn training_sweep_lab_sweep() {
    use regula_core::train::data::DatasetKind;
    use regula_core::train::sweep::{Axis, Grid, Params, Shard, Show, Sweep};
    let tally = Tally::default();
    // Values that suit the axis, now and then one that does not (and now and then none at all).
    fn values(axis: Axis) -> BoxedStrategy<Vec<f64>> {
        let ints = |lo: u32, hi: u32| (lo..hi).prop_map(f64::from).boxed();
        let good: BoxedStrategy<f64> = match axis {
            Axis::Lr => log_uniform(-4.0, 3.0).boxed(),
            Axis::L1 | Axis::L2 => prop_oneof![Just(0.0), log_uniform(-6.0, 1.0)].boxed(),
            Axis::Batch => ints(0, 40),
            Axis::Width => ints(1, 10),
            Axis::LabelNoise => (0.0..0.9f64).boxed(),
            Axis::Init => ints(0, 3),
            Axis::Seed => ints(0, 1_000_000),
            Axis::None => (0.0..1.0f64).boxed(),
        };
        let bad = prop_oneof![Just(-1.0), Just(0.0), Just(0.5), Just(3.0), Just(1e9), Just(5000.0)];
        let value = prop_oneof![12 => good, 1 => bad];
        prop_oneof![12 => prop::collection::vec(value, 1..4), 1 => Just(Vec::new())].boxed()
    }
    let axis_and_values = || pick(&Axis::ALL).prop_flat_map(|a| (Just(a), values(a)));
    let grid = (
        axis_and_values(),
        axis_and_values(),
        prop_oneof![12 => 1usize..3, 1 => Just(0usize), 1 => Just(65usize)],
        pick(&Show::ALL),
    );
    let base = (
        pick(&DatasetKind::ALL),
        prop_oneof![Just(0usize), Just(4), Just(8), Just(500)],
        1usize..4,
        prop::collection::vec(1usize..10, 0..3),
        any::<u64>(),
    );
    runner(150)
        .run(&(grid, base), |(((x, x_values), (y, y_values), seeds, show), (kind, batch, epochs, hidden, seed))| {
            let mut p = Params::default();
            // Digits is fixed-size (1,797 × 64): too slow for a sweep case; it has its own tests.
            p.train.data.kind = if kind == DatasetKind::Digits { DatasetKind::Xor } else { kind };
            p.train.data.n = 40;
            p.train.config.batch = batch;
            p.train.config.epochs = epochs;
            p.train.config.hidden = hidden;
            p.train.config.seed = seed;
            p.train.backend = regula_core::BackendChoice::Cpu;
            p.sweep = Grid { x, x_values, y, y_values, seeds, show };
            tally.cases.set(tally.cases.get() + 1);
            match Sweep::new(p, Shard::WHOLE, &regula_core::Backend::Cpu { fallback: None }) {
                Err(e) => {
                    prop_assert!(!e.to_string().is_empty());
                    tally.refuse(&e);
                }
                Ok(mut s) => {
                    tally.ran.set(tally.ran.get() + 1);
                    if drive(&mut s, Budget::iterations(2), 10)? {
                        tally.stopped.set(tally.stopped.get() + 1);
                    }
                    for c in s.cells() {
                        prop_assert!(c.value.is_none_or(f64::is_finite), "{c:?}");
                        prop_assert!(c.error.is_none() || c.done == c.members, "{c:?}");
                    }
                }
            }
            Ok(())
        })
        .unwrap();
    tally.report("training sweep", 0.3);
}

#[test]
fn ot_sweep_lab_sweep() {
    use regula_core::gpu::GpuContext;
    use regula_core::lab::sweep::Run as _;
    use regula_core::ot::sweep::{Axis, Grid, OtSweep, Params, Shard, Show, Solver};
    use regula_core::ot::{GroundCost, ProblemKind};
    use regula_core::{Backend, BackendChoice};
    std::env::set_var("XDG_RUNTIME_DIR", std::env::var("XDG_RUNTIME_DIR").unwrap_or_else(|_| "/tmp".into()));
    // Half the cases on the GPU batch: without an adapter the sweep fails rather than passing on nothing.
    let ctx = pollster::block_on(GpuContext::new()).expect("no GPU adapter: install mesa-vulkan-drivers (lavapipe)");
    let tally = Tally::default();
    fn values(axis: Axis) -> BoxedStrategy<Vec<f64>> {
        let good: BoxedStrategy<f64> = match axis {
            Axis::Eps => log_uniform(-6.0, 3.0).boxed(),
            Axis::N => (1u32..40).prop_map(f64::from).boxed(),
            Axis::Tol => log_uniform(-12.0, 0.0).boxed(),
            Axis::Seed => (0u32..1_000_000).prop_map(f64::from).boxed(),
            Axis::None => (0.0..1.0f64).boxed(),
        };
        let bad = prop_oneof![Just(-1.0), Just(0.0), Just(0.5), Just(2.0), Just(1e9), Just(5000.0)];
        let value = prop_oneof![12 => good, 1 => bad];
        prop_oneof![12 => prop::collection::vec(value, 1..4), 1 => Just(Vec::new())].boxed()
    }
    // Mostly grids that can run: x varies something, y differs from x, a seed axis has one seed a cell (the
    // exceptions are refusals).
    const VARYING: &[Axis] = &[Axis::Eps, Axis::N, Axis::Tol, Axis::Seed];
    let axes = prop_oneof![9 => pick(VARYING), 1 => Just(Axis::None)].prop_flat_map(move |x| {
        let others: Vec<Axis> = Axis::ALL.into_iter().filter(|&a| a != x).collect();
        (Just(x), prop_oneof![8 => proptest::sample::select(others), 1 => Just(x)])
    });
    let grid = (
        axes.prop_flat_map(|(x, y)| ((Just(x), values(x)), (Just(y), values(y)))),
        prop_oneof![12 => 1usize..3, 1 => Just(0usize), 1 => Just(65usize)],
        pick(&Show::ALL),
        prop_oneof![9 => Just(true), 1 => Just(false)],
    );
    let base = (
        pick(&ProblemKind::ALL),
        1usize..30,
        pick(&GroundCost::ALL),
        any::<bool>(),
        prop_oneof![16 => log_uniform(-6.0, 3.0), 1 => Just(0.0), 1 => Just(f64::NAN)],
        log_uniform(-13.0, 0.0),
        prop_oneof![1 => Just(0u64), 20 => 1u64..300],
        any::<bool>(),
    );
    runner(120)
        .run(
            &(grid, base),
            |(
                (((x, x_values), (y, y_values)), seeds, show, fit_seeds),
                (kind, n, cost, normalize, eps, tol, max_iter, on_gpu),
            )| {
                let seeds = if fit_seeds && (x == Axis::Seed || y == Axis::Seed) { 1 } else { seeds };
                let mut p = Params::default();
                // Digits is fixed-size (784 points a side): too slow for a sweep case; it has its own tests.
                p.problem.kind = if kind == ProblemKind::Digits { ProblemKind::Moons } else { kind };
                (p.problem.n, p.problem.m, p.problem.cost, p.problem.normalize_cost) = (n, n + 1, cost, normalize);
                p.solver = Solver { eps, tol, max_iter };
                p.backend = if on_gpu { BackendChoice::Gpu } else { BackendChoice::Cpu };
                p.sweep = Grid { x, x_values, y, y_values, seeds, show };
                tally.cases.set(tally.cases.get() + 1);
                let device = if on_gpu { Backend::Gpu(ctx.clone()) } else { Backend::Cpu { fallback: None } };
                match pollster::block_on(OtSweep::new(p, Shard::WHOLE, &device)) {
                    Err(e) => {
                        prop_assert!(!e.to_string().is_empty());
                        tally.refuse(&e);
                    }
                    Ok(mut s) => {
                        tally.ran.set(tally.ran.get() + 1);
                        if drive(&mut s, Budget::iterations(2), 10)? {
                            tally.stopped.set(tally.stopped.get() + 1);
                        }
                        for c in s.cells() {
                            prop_assert!(c.value.is_none_or(f64::is_finite), "{c:?}");
                            prop_assert!(c.error.is_none() || c.done == c.members, "{c:?}");
                        }
                        for q in s.problems() {
                            if let Some(f) = &q.frame {
                                check_frame(f)?;
                            }
                        }
                    }
                }
                Ok(())
            },
        )
        .unwrap();
    tally.report("OT sweep", 0.3);
}

#[test]
fn training_zero_variance_csv_sweep() {
    use regula_core::train::data::from_csv;
    use regula_core::train::trainer::{TrainConfig, Trainer};
    let tally = Tally::default();
    // Constant inputs (zero variance), constant or two-valued targets, any learning rate.
    let strategy =
        (1usize..30, 1usize..4, -5.0..5.0f64, any::<bool>(), any::<bool>(), log_uniform(-6.0, 3.0), any::<u64>());
    runner(500)
        .run(&strategy, |(rows, inputs, value, classify, two_classes, lr, seed)| {
            let text: String = (0..rows)
                .map(|r| {
                    let target = if classify {
                        if two_classes {
                            (r % 2) as f64
                        } else {
                            0.0
                        }
                    } else {
                        value
                    };
                    format!("{}{target}\n", format!("{value},").repeat(inputs))
                })
                .collect();
            let config = TrainConfig { lr, epochs: 3, hidden: vec![4], ..TrainConfig::default() };
            let setup = || {
                let data = from_csv("const.csv", &text, classify, 1.0, seed)?;
                let mut config = config;
                config.loss =
                    if classify { regula_core::train::mlp::Loss::Xent } else { regula_core::train::mlp::Loss::Mse };
                Trainer::new(data, config)
            };
            case(&tally, SMALL, setup, Budget::iterations(20), 10)
        })
        .unwrap();
    tally.report("training (zero-variance CSV)", 0.5);
}

#[test]
fn generalization_lab_sweep() {
    use regula_core::generalization::{
        continual, double_descent, epoch_wise, noisy_labels, pskd, quadratic, student_teacher,
    };
    #[derive(Debug, Clone)]
    enum Gen {
        St(student_teacher::Config),
        Dd(double_descent::Config),
        Ew(epoch_wise::Config),
        Nl(noisy_labels::Config),
        Pskd(pskd::Config),
        Cont(continual::Config),
        Quad(quadratic::Config),
    }
    let tally = Tally::default();
    let lr = || prop_oneof![4 => log_uniform(-6.0, 3.0), 1 => Just(0.0), 1 => Just(f64::NAN)];
    let frac = || prop_oneof![4 => 0.0..=1.0f64, 1 => Just(-0.1), 1 => Just(1.5)];
    let strategy = prop_oneof![
        (
            log_uniform(-3.0, 1.5),
            log_uniform(-3.0, 3.0),
            size(1, 60, student_teacher::MAX_INPUTS),
            log_uniform(-1.0, 6.0),
            0usize..40,
            any::<u64>()
        )
            .prop_map(|(alpha, snr, (n_inputs, big), t_max, points, seed)| {
                (Gen::St(student_teacher::Config { alpha, snr, n_inputs, t_max, points, seed }), big)
            }),
        (
            size(1, 40, double_descent::MAX_N),
            log_uniform(-3.0, 1.0),
            log_uniform(-2.0, 1.0),
            log_uniform(-2.0, 0.0),
            log_uniform(0.0, 1.5),
            0usize..20,
            0usize..4,
            any::<u64>()
        )
            .prop_map(|((n, big), noise_var, signal, gamma_min, gamma_max, points, trials, seed)| {
                (
                    Gen::Dd(double_descent::Config {
                        n,
                        noise_var,
                        signal,
                        gamma_min,
                        gamma_max,
                        points,
                        trials,
                        seed,
                    }),
                    big,
                )
            }),
        (
            frac(),
            log_uniform(-1.0, 1.0),
            size(0, 80, 20_000),
            0usize..12,
            0usize..4,
            lr(),
            0usize..20,
            0usize..4,
            any::<u64>(),
            0usize..3
        )
            .prop_map(|(label_noise, spread, (n, big), hidden, epochs, lr, batch, warmup, seed, forward)| {
                let forward = noisy_labels::Forward::ALL[forward % noisy_labels::Forward::ALL.len()];
                let c = noisy_labels::Config {
                    label_noise,
                    spread,
                    n,
                    hidden,
                    epochs,
                    lr,
                    batch,
                    warmup,
                    seed,
                    forward,
                    ..noisy_labels::Config::default()
                };
                (Gen::Nl(c), big)
            }),
        (frac(), frac(), frac(), 0usize..12, 0usize..4, lr(), 0usize..20, any::<u64>()).prop_map(
            |(alpha_t, smoothing, train_ratio, hidden, epochs, lr, batch, seed)| {
                (Gen::Pskd(pskd::Config { alpha_t, smoothing, train_ratio, hidden, epochs, lr, batch, seed }), SMALL)
            }
        ),
        (
            prop::collection::vec(prop_oneof![log_uniform(-3.0, 4.0), Just(0.0), Just(-1.0)], 0..3),
            prop::collection::vec(0usize..8, 0..3),
            size(0, 60, 100_000),
            0usize..3,
            0usize..3,
            lr(),
            0usize..10,
            any::<bool>(),
            0usize..4,
            (prop_oneof![4 => log_uniform(-3.0, 2.0), 1 => Just(0.0), 1 => Just(f64::INFINITY)], 0usize..3),
            any::<u64>()
        )
            .prop_map(
                |(
                    lambdas,
                    hidden,
                    (n, big),
                    epochs_a,
                    epochs_b,
                    lr,
                    batch,
                    momentum,
                    lora_rank,
                    (input_scale, seeds),
                    seed,
                )| {
                    (
                        Gen::Cont(continual::Config {
                            lambdas,
                            hidden,
                            n,
                            epochs_a,
                            epochs_b,
                            lr,
                            batch,
                            momentum,
                            lora_rank,
                            input_scale,
                            seeds,
                            seed,
                        }),
                        big,
                    )
                }
            ),
        (
            (size(0, 40, 2000), size(0, 200, 20_000), size(0, 30, 200)),
            (
                prop_oneof![4 => log_uniform(-3.0, 1.0), 1 => Just(0.0), 1 => Just(-1.0), 1 => Just(f64::NAN)],
                log_uniform(-4.0, 1.0),
                0.0..=2.0f64,
                frac()
            ),
            (
                prop::collection::vec(0usize..10, 0..3),
                pick(&regula_core::train::Activation::ALL),
                lr(),
                prop_oneof![3 => log_uniform(-5.0, 0.0), 1 => Just(0.0), 1 => Just(-1.0)]
            ),
            (0usize..60, 0usize..3, any::<bool>(), any::<u64>()),
        )
            .prop_map(
                |(
                    ((n, b1), (n_test, b2), (categories, b3)),
                    (fast_scale, slow_scale, fast_weight, label_noise),
                    (hidden, activation, lr, l2),
                    (epochs, seeds, control, seed),
                )| {
                    let c = epoch_wise::Config {
                        n,
                        n_test,
                        categories,
                        fast_scale,
                        slow_scale,
                        fast_weight,
                        label_noise,
                        hidden,
                        activation,
                        lr,
                        l2,
                        epochs,
                        seeds,
                        control,
                        seed,
                    };
                    (Gen::Ew(c), b1.max(b2).max(b3))
                }
            ),
        (
            size(0, 8, quadratic::MAX_D),
            log_uniform(-2.0, 0.7),
            0.0..=4.5f64,
            prop::collection::vec(prop_oneof![log_uniform(-2.0, 0.5), Just(0.0)], 0..3),
            0usize..3,
            0usize..200,
            lr(),
            log_uniform(-3.0, 1.0),
            any::<u64>()
        )
            .prop_map(|((d, big), kappa, student_kappa, alphas, restarts, steps, lr, init_scale, seed)| {
                (
                    Gen::Quad(quadratic::Config {
                        d,
                        kappa,
                        student_kappa,
                        alphas,
                        restarts,
                        steps,
                        lr,
                        init_scale,
                        seed,
                    }),
                    big,
                )
            }),
    ];
    runner(1000)
        .run(&strategy, |(gen, big)| {
            let budget = Budget::iterations(200);
            match gen {
                Gen::St(c) => case(&tally, big, || student_teacher::Run::new(c), budget, 10),
                Gen::Dd(c) => case(&tally, big, || double_descent::Sweep::new(c), budget, 10),
                Gen::Ew(c) => case(&tally, big, || epoch_wise::Experiment::new(c), budget, 10),
                Gen::Nl(c) => case(&tally, big, || noisy_labels::Experiment::new(c), budget, 10),
                Gen::Pskd(c) => case(&tally, big, || pskd::Experiment::new(c), budget, 10),
                Gen::Cont(c) => case(&tally, big, || continual::Experiment::new(c), budget, 10),
                Gen::Quad(c) => case(&tally, big, || quadratic::Sweep::new(c), budget, 10),
            }
        })
        .unwrap();
    tally.report("generalization", 0.1);
}

#[test]
fn kernels_lab_sweep() {
    use regula_core::kernels::{self, KernelCheck, MAX_ELEMENTS};
    use regula_core::reduce::{ReduceAxis, ReduceOp};
    use regula_core::Backend;
    let tally = Tally::default();
    // The kernels page compares the GPU with its CPU twin: the sweep insists on the GPU (a machine without
    // an adapter fails here instead of sweeping the CPU twin alone and counting it as the GPU's cases).
    std::env::set_var("XDG_RUNTIME_DIR", std::env::var("XDG_RUNTIME_DIR").unwrap_or_else(|_| "/tmp".into()));
    let backend = pollster::block_on(Backend::acquire(regula_core::backend::BackendChoice::Gpu))
        .expect("no GPU adapter: install mesa-vulkan-drivers (lavapipe)");
    let strategy = (
        size(0, 300, MAX_ELEMENTS),
        size(0, 300, MAX_ELEMENTS),
        pick(&ReduceOp::ALL),
        pick(&ReduceAxis::ALL),
        0u64..4,
        any::<u64>(),
    );
    runner(500)
        .run(&strategy, |((rows, big_r), (cols, big_c), op, axis, trials, seed)| {
            let params = kernels::Params { rows, cols, op, axis, trials, seed, ..Default::default() };
            case(
                &tally,
                big_r.max(big_c),
                || pollster::block_on(KernelCheck::new(params, &backend)),
                Budget::iterations(2),
                6,
            )
        })
        .unwrap();
    tally.report("kernels (GPU vs CPU twin)", 0.5);
}

#[test]
fn solvers_sparse_lab_sweep() {
    use regula_core::solvers::sparse::design::{DesignKind, Support};
    use regula_core::solvers::sparse::{Estimator, Experiment, Params, MAX_D, MAX_N};
    let tally = Tally::default();
    // Mostly cases that can run (each bad value is rare, so most cases test the run, not the first check).
    let strategy = (
        (
            pick(&DesignKind::ALL),
            size(1, 40, MAX_D),
            prop_oneof![40 => 1usize..8, 1 => Just(0usize), 1 => Just(500usize)],
        ),
        (
            prop_oneof![40 => 0.0..0.999f64, 1 => Just(1.0), 1 => Just(-0.5), 1 => Just(f64::NAN)],
            prop_oneof![40 => log_uniform(0.0, 12.0), 1 => Just(0.5), 1 => Just(1e13)],
            prop_oneof![40 => 0.0..2.0f64, 1 => Just(-1.0), 1 => Just(f64::INFINITY), 1 => Just(1e6)],
        ),
        prop_oneof![40 => prop::collection::vec(size(0, 60, MAX_N), 1..4), 1 => Just(Vec::new())],
        (
            prop_oneof![40 => proptest::sample::subsequence(Support::ALL.to_vec(), 1..=2), 1 => Just(Vec::new())],
            prop_oneof![40 => proptest::sample::subsequence(Estimator::ALL.to_vec(), 1..=4), 1 => Just(Vec::new())],
        ),
        (
            prop_oneof![40 => 1usize..3, 1 => Just(0usize)],
            prop_oneof![40 => 2usize..7, 1 => 0usize..2],
            prop_oneof![40 => 2usize..12, 1 => 0usize..2],
            prop_oneof![40 => log_uniform(-9.0, -0.4), 1 => Just(0.0), 1 => Just(2.0)],
            any::<u64>(),
        ),
    );
    runner(1000)
        .run(
            &strategy,
            |(
                (design, (d, d_reach), k),
                (rho, kappa, sigma),
                ns,
                (supports, estimators),
                (trials, folds, path, lambda_ratio, seed),
            )| {
                let reach = ns.iter().map(|n| n.1).chain([d_reach]).max().unwrap_or(SMALL);
                let n: Vec<usize> = ns.iter().map(|n| n.0).collect();
                let params = Params {
                    design,
                    d,
                    k,
                    rho,
                    kappa,
                    sigma,
                    n,
                    supports,
                    estimators,
                    trials,
                    folds,
                    path,
                    lambda_ratio,
                    seed,
                    backend: regula_core::BackendChoice::Cpu,
                };
                case(&tally, reach, || Experiment::new(params), Budget::iterations(2), 6)
            },
        )
        .unwrap();
    tally.report("solvers (sparse regression)", 0.1);
}

/// The minimal cases the sweeps found (each failed before its fix), kept as plain regression tests.
#[test]
fn cases_the_sweeps_found() {
    use regula_core::generalization::{noisy_labels, pskd};
    use regula_core::ot::{Method, OtSolver, ProblemKind, ProblemSpec, SolverParams};
    use regula_core::train::data::{DatasetKind, DatasetSpec};
    use regula_core::train::trainer::{TrainConfig, Trainer};
    let run = |s: &mut dyn FnMut() -> regula_core::Result<Frame>| -> Frame {
        loop {
            let f = s().unwrap();
            check_frame(&f).unwrap();
            if f.done {
                return f;
            }
        }
    };
    // 1. A random problem of n = m = MAX_POINTS allocated its 10¹⁰-entry cost (80 GB) before any check.
    let spec = ProblemSpec { kind: ProblemKind::Random, n: 100_000, m: 100_000, ..ProblemSpec::default() };
    assert!(matches!(spec.build(), Err(regula_core::Error::TooBig { .. })));
    // 2. ε-scaling: right after ε changed, the column error (rows stale) met the tolerance and the run
    //    stopped "at tolerance" with a marginal error above it.
    let spec =
        ProblemSpec { kind: ProblemKind::Moons, n: 9, m: 19, seed: 111287773099553539, ..ProblemSpec::default() };
    let params = SolverParams {
        method: Method::Sinkhorn,
        eps: 0.0076790815075573155,
        n1: 0,
        density: None,
        tol: 0.13787004672809364,
        max_iter: 116,
        eps_scaling: true,
    };
    let mut s = OtSolver::new(&spec.build().unwrap(), params).unwrap();
    let f = run(&mut || pollster::block_on(s.step(Budget::iterations(64))));
    assert!(
        f.metric("marginal_error").unwrap() <= 0.13787004672809364 || f.stop != Some(StopReason::Tolerance),
        "{f:?}"
    );
    // 3. At ε ≈ 3e-6 the step's error met 4e-13 while the plan's was 1e-11 (rounding): now `Stalled`.
    let spec = ProblemSpec { kind: ProblemKind::Random, n: 2, m: 1, normalize_cost: false, ..ProblemSpec::default() };
    let params = SolverParams {
        method: Method::LogSinkhorn,
        eps: 2.7911511199172777e-6,
        n1: 0,
        density: None,
        tol: 4.0317066935056783e-13,
        max_iter: 40,
        eps_scaling: false,
    };
    let mut s = OtSolver::new(&spec.build().unwrap(), params).unwrap();
    let f = run(&mut || pollster::block_on(s.step(Budget::iterations(64))));
    assert_eq!(f.converged, f.metric("marginal_error").unwrap() <= 4.0317066935056783e-13, "{f:?}");
    // 4. Label noise on a regression set: the memorisation metric indexed labels that do not exist.
    let data =
        DatasetSpec { kind: DatasetKind::Plane, n: 40, label_noise: 0.5, ..DatasetSpec::default() }.build().unwrap();
    let mut t = Trainer::new(data, TrainConfig { epochs: 2, ..TrainConfig::default() }).unwrap();
    run(&mut || pollster::block_on(t.step(Budget::iterations(50))));
    // 5. A finished experiment stepped again returned a fresh, unfinished frame.
    let mut e = noisy_labels::Experiment::new(noisy_labels::Config {
        n: 21,
        hidden: 1,
        epochs: 1,
        lr: 1.0,
        batch: 0,
        forward: noisy_labels::Forward::Off,
        warmup: 0,
        label_noise: 0.0,
        spread: 1.0,
        ..noisy_labels::Config::default()
    })
    .unwrap();
    let f = run(&mut || pollster::block_on(e.step(Budget::iterations(1))));
    assert_eq!(pollster::block_on(e.step(Budget::iterations(1))).unwrap(), f);
    let mut e = pskd::Experiment::new(pskd::Config {
        alpha_t: 0.0,
        smoothing: 0.0,
        train_ratio: 0.8,
        hidden: 1,
        epochs: 1,
        lr: 1.0,
        batch: 0,
        seed: 0,
    })
    .unwrap();
    let f = run(&mut || pollster::block_on(e.step(Budget::iterations(1))));
    let again = pollster::block_on(e.step(Budget::iterations(1))).unwrap();
    assert_eq!((again.iteration, again.done, again.stop), (f.iteration, f.done, f.stop));
}
