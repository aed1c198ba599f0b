//! The GPU OT batch (every problem of a grid in one dispatch of `shaders/ot/sinkhorn_batch.wgsl`, a
//! workgroup per problem, on lavapipe) held to the single-problem GPU solver and to the CPU's f64 solver
//! problem by problem, within f32's tolerance; its placement rule.
#![cfg(not(target_arch = "wasm32"))]

use regula_core::frame::{Budget, Frame, Stepper, StopReason};
use regula_core::gpu::GpuContext;
use regula_core::lab::sweep::Run;
use regula_core::metrics as key;
use regula_core::ot::sweep::{Axis, Grid, OtSweep, Params, Shard, Show, Solver};
use regula_core::ot::{GpuSinkhorn, GroundCost, OtSolver, ProblemKind};
use regula_core::{Backend, BackendChoice};

fn gpu() -> Backend {
    let ctx = pollster::block_on(GpuContext::new()).expect("no GPU adapter: install mesa-vulkan-drivers (lavapipe)");
    Backend::Gpu(ctx)
}

/// ε × n (n up to 80: more columns than a workgroup's 64 threads), 2 seeds, tolerance 1e-4.
fn grid(kind: ProblemKind, cost: GroundCost) -> Params {
    let mut p = Params::default();
    p.problem.kind = kind;
    p.problem.cost = cost;
    p.backend = BackendChoice::Gpu;
    p.solver = Solver { eps: 0.05, tol: 1e-4, max_iter: 3000 };
    p.sweep = Grid {
        x: Axis::Eps,
        x_values: vec![0.02, 0.1, 0.5],
        y: Axis::N,
        y_values: vec![7.0, 33.0, 80.0],
        seeds: 2,
        show: Show::Iterations,
    };
    p
}

fn finish<S: Stepper>(s: &mut S, budget: Budget) -> Frame {
    for _ in 0..100_000 {
        let f = pollster::block_on(s.step(budget)).unwrap();
        if f.done {
            return f;
        }
    }
    panic!("the run did not finish");
}

fn close(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * a.abs().max(b.abs()).max(1e-12)
}

#[test]
fn every_problem_of_the_gpu_batch_matches_its_single_runs() {
    let device = gpu();
    let Backend::Gpu(ctx) = &device else { unreachable!() };
    for (kind, cost) in [
        (ProblemKind::Gaussian, GroundCost::SqEuclidean),
        (ProblemKind::Random, GroundCost::SqEuclidean),
        (ProblemKind::Moons, GroundCost::Euclidean),
    ] {
        let params = grid(kind, cost);
        let mut s = pollster::block_on(OtSweep::new(params.clone(), Shard::WHOLE, &device)).unwrap();
        assert!(s.on_gpu(), "{}", s.placement());
        assert!(s.placement().starts_with("GPU, f32"), "{}", s.placement());
        let last = finish(&mut s, Budget::iterations(1));
        assert_eq!(last.metric(key::SWEEP_DONE), Some(18.0));
        for p in s.problems() {
            let got = p.frame.as_ref().unwrap();
            let own = params.problem_params(p.index);
            let problem = own.problem.build().unwrap();
            let what = format!("{kind} problem {} (ε {}, n {})", p.index, own.solver.eps, own.problem.n);
            // The single GPU solver: the same updates in f32, its LSE summed in blocks.
            let mut solo = pollster::block_on(GpuSinkhorn::new(ctx.clone(), &problem, own.solver.clone())).unwrap();
            let g = finish(&mut solo, Budget::iterations(1_000_000));
            assert_eq!(got.stop, g.stop, "{what}");
            assert_eq!(got.stop, Some(StopReason::Tolerance), "{what}");
            let (a, b) = (got.iteration as f64, g.iteration as f64);
            assert!((a - b).abs() <= 2f64.max(0.02 * b), "{what}: {a} iterations, solo GPU {b}");
            let (ca, cb) = (got.metric(key::TRANSPORT_COST).unwrap(), g.metric(key::TRANSPORT_COST).unwrap());
            assert!(close(ca, cb, 1e-3), "{what}: ⟨C,P⟩ {ca} vs solo GPU {cb}");
            assert!(got.metric(key::MARGINAL_ERROR).unwrap() <= 1e-4, "{what}");
            // The CPU's f64 solver.
            let mut cpu = OtSolver::new(&problem, own.solver.clone()).unwrap();
            let c = cpu.run(Budget::iterations(1_000_000)).unwrap();
            let it = c.iteration as f64;
            assert!((a - it).abs() <= 2f64.max(0.03 * it), "{what}: {a} iterations, CPU f64 {it}");
            let cc = c.metric(key::TRANSPORT_COST).unwrap();
            assert!(close(ca, cc, 1e-3), "{what}: ⟨C,P⟩ {ca} vs CPU f64 {cc}");
        }
        // The cells show the mean iterations, falling as ε grows.
        for iy in 0..3 {
            let row: Vec<f64> = s.cells().iter().filter(|c| c.iy == iy).map(|c| c.value.unwrap()).collect();
            assert!(row[0] > row[2], "{kind}: {row:?}");
        }
    }
}

#[test]
fn a_long_run_at_small_eps_keeps_to_the_single_run() {
    // The case that drifted when a dispatch ran many iterations (n = 65, ε = 0.003: after ~60 iterations the
    // batch's error jumped to 1e10 and it stalled at 0.11; the single run converges in ~200).
    let device = gpu();
    let Backend::Gpu(ctx) = &device else { unreachable!() };
    let mut p = grid(ProblemKind::Gaussian, GroundCost::SqEuclidean);
    p.solver = Solver { eps: 0.003, tol: 1e-4, max_iter: 3000 };
    p.sweep.x_values = vec![0.003];
    p.sweep.y_values = vec![65.0, 128.0];
    p.sweep.seeds = 1;
    let mut s = pollster::block_on(OtSweep::new(p.clone(), Shard::WHOLE, &device)).unwrap();
    finish(&mut s, Budget::iterations(1));
    for q in s.problems() {
        let own = p.problem_params(q.index);
        let mut solo =
            pollster::block_on(GpuSinkhorn::new(ctx.clone(), &own.problem.build().unwrap(), own.solver.clone()))
                .unwrap();
        let g = finish(&mut solo, Budget::iterations(1_000_000));
        let got = q.frame.as_ref().unwrap();
        assert_eq!(got.stop, Some(StopReason::Tolerance), "n = {}: {got:?}", own.problem.n);
        let (a, b) = (got.iteration as f64, g.iteration as f64);
        assert!((a - b).abs() <= 2f64.max(0.02 * b), "n = {}: {a} iterations, solo GPU {b}", own.problem.n);
    }
}

#[test]
fn the_batch_stops_each_problem_by_its_own_rule() {
    let device = gpu();
    // One cap for all: at ε = 0.005 the problems need more than 40 iterations and stop at the cap, those
    // at ε = 0.5 converge first; a tolerance below f32's floor stalls there.
    let mut p = grid(ProblemKind::Uniform, GroundCost::SqEuclidean);
    p.solver.max_iter = 40;
    p.sweep.x_values = vec![0.005, 0.5];
    let mut s = pollster::block_on(OtSweep::new(p, Shard::WHOLE, &device)).unwrap();
    // Under a time budget (the page's), the rounds adapt and the results are the same.
    finish(&mut s, Budget { max_iterations: u64::MAX, max_millis: 5.0 });
    for q in s.problems() {
        let f = q.frame.as_ref().unwrap();
        if q.params.solver.eps == 0.005 {
            assert_eq!((f.iteration, f.stop), (40, Some(StopReason::MaxIterations)), "problem {}", q.index);
        } else {
            assert_eq!(f.stop, Some(StopReason::Tolerance), "problem {}", q.index);
            assert!(f.iteration < 40);
        }
    }
    let mut p = grid(ProblemKind::Gaussian, GroundCost::SqEuclidean);
    p.solver.tol = 1e-9;
    p.sweep.x_values = vec![0.5];
    p.sweep.y_values = vec![16.0];
    let mut s = pollster::block_on(OtSweep::new(p, Shard::WHOLE, &device)).unwrap();
    assert!(s.placement().contains("f32 stops at"), "{}", s.placement());
    finish(&mut s, Budget::iterations(1));
    for q in s.problems() {
        assert_eq!(q.frame.as_ref().unwrap().stop, Some(StopReason::Stalled));
    }
}

#[test]
fn auto_keeps_the_batch_on_the_cpu_beside_a_software_adapter_and_where_f32_cannot_resolve() {
    let device = gpu();
    let mut p = grid(ProblemKind::Gaussian, GroundCost::SqEuclidean);
    p.backend = BackendChoice::Auto;
    let s = pollster::block_on(OtSweep::new(p.clone(), Shard::WHOLE, &device)).unwrap();
    // lavapipe is a software adapter.
    assert!(!s.on_gpu());
    assert_eq!(s.placement(), "CPU, f64; software GPU, the CPU is faster");
    // Asked for the GPU, a problem f32 cannot resolve (ε = 1e-6 of a normalised cost) is marked; the
    // others run there.
    p.backend = BackendChoice::Gpu;
    p.sweep.x_values = vec![1e-6, 0.1];
    p.sweep.y_values = vec![16.0];
    let mut s = pollster::block_on(OtSweep::new(p, Shard::WHOLE, &device)).unwrap();
    assert!(s.on_gpu());
    finish(&mut s, Budget::iterations(1));
    let cells = s.cells();
    assert!(cells[0].error.as_deref().is_some_and(|e| e.contains("f32 cannot resolve")), "{:?}", cells[0]);
    assert_eq!((cells[1].done, cells[1].error.as_deref()), (2, None));
    assert!(cells[1].value.is_some());
}
