//! Guarantee 5 (README "Guarantees"): GPU faults injected into every GPU stepper on the native adapter
//! (lavapipe). A refused buffer allocation and a device lost mid-run each end in a typed error — never a
//! panic, never a frame of garbage — and the run goes on: the same parameters on the CPU, or on the GPU
//! again once the fault has passed (an allocation failure leaves the device usable).
#![cfg(not(target_arch = "wasm32"))]

use std::rc::Rc;

use regula_core::frame::{run_to_end, Frame, Stepper};
use regula_core::gpu::GpuContext;
use regula_core::kernels::{self, KernelCheck};
use regula_core::ot::{GpuSinkhorn, Method, OtSolver, ProblemKind, ProblemSpec, SolverParams};
use regula_core::sketch::experiment::{Config as SketchConfig, Experiment};
use regula_core::sketch::operators::SketchKind;
use regula_core::sketch::regression::Design;
use regula_core::train::gpu::{GpuKernel, GpuTrainer};
use regula_core::train::{DatasetKind, DatasetSpec, TrainConfig, Trainer};
use regula_core::{Backend, Budget, Error, Result};

fn ctx() -> Rc<GpuContext> {
    pollster::block_on(GpuContext::new()).expect("no GPU adapter: install mesa-vulkan-drivers (lavapipe)")
}

/// Builds the stepper and runs it to the end: an error at either point is returned.
fn build_and_run<S: Stepper>(make: impl FnOnce() -> Result<S>) -> Result<Frame> {
    let mut s = make()?;
    pollster::block_on(run_to_end(&mut s, Budget::iterations(50), |f| {
        assert!(f.metrics.values().all(|v| v.is_finite()), "{f:?}");
    }))
}

fn is_gpu_error(e: &Error) -> bool {
    matches!(e, Error::Gpu(_) | Error::DeviceLost(_))
}

/// Every GPU stepper, built on `ctx`, run to the end.
fn ot(ctx: &Rc<GpuContext>) -> Result<Frame> {
    let problem = ProblemSpec { kind: ProblemKind::Gaussian, n: 50, m: 40, ..Default::default() }.build()?;
    let params =
        SolverParams { method: Method::LogSinkhorn, eps: 0.05, tol: 1e-4, max_iter: 400, ..Default::default() };
    build_and_run(|| pollster::block_on(GpuSinkhorn::new(ctx.clone(), &problem, params)))
}
fn ot_sns(ctx: &Rc<GpuContext>) -> Result<Frame> {
    let problem =
        ProblemSpec { kind: ProblemKind::Random, n: 60, m: 50, normalize_cost: true, ..Default::default() }.build()?;
    let params = SolverParams { method: Method::Sns, eps: 0.02, n1: 5, tol: 1e-5, max_iter: 400, ..Default::default() };
    build_and_run(|| pollster::block_on(GpuSinkhorn::new(ctx.clone(), &problem, params)))
}
fn ot_cpu() -> Result<Frame> {
    let problem = ProblemSpec { kind: ProblemKind::Gaussian, n: 50, m: 40, ..Default::default() }.build()?;
    let params =
        SolverParams { method: Method::LogSinkhorn, eps: 0.05, tol: 1e-4, max_iter: 400, ..Default::default() };
    build_and_run(|| OtSolver::new(&problem, params))
}
fn train_data() -> DatasetSpec {
    DatasetSpec { kind: DatasetKind::Xor, n: 64, ..Default::default() }
}
fn train(ctx: &Rc<GpuContext>) -> Result<Frame> {
    let config = TrainConfig { epochs: 5, ..Default::default() };
    build_and_run(|| GpuTrainer::new(ctx.clone(), Trainer::new(train_data().build()?, config)?))
}
fn train_tiled(ctx: &Rc<GpuContext>) -> Result<Frame> {
    let config = TrainConfig { epochs: 5, ..Default::default() };
    build_and_run(|| {
        GpuTrainer::with_kernel(ctx.clone(), Trainer::new(train_data().build()?, config)?, GpuKernel::Tiled)
    })
}
/// Every sketch: the dense draws, SRHT's butterflies and the gathers of CountSketch and OSNAP are separate
/// GPU paths, each with its own buffers.
fn sketch(backend: Backend) -> Result<Frame> {
    let config = SketchConfig { sketches: SketchKind::ALL.to_vec(), ms: vec![64], trials: 3, ..Default::default() };
    build_and_run(|| Experiment::generate(Design::Gaussian, 256, 8, config, backend))
}
fn kernels(backend: Backend) -> Result<Frame> {
    let params = kernels::Params { rows: 64, cols: 70, trials: 3, ..Default::default() };
    build_and_run(|| pollster::block_on(KernelCheck::new(params, &backend)))
}

#[test]
fn a_refused_allocation_is_a_typed_error_and_the_device_stays_usable() {
    let ctx = ctx();
    type Lab = (&'static str, Box<dyn Fn(&Rc<GpuContext>) -> Result<Frame>>);
    let labs: Vec<Lab> = vec![
        ("ot", Box::new(ot)),
        ("ot sns", Box::new(ot_sns)),
        ("training", Box::new(train)),
        ("training (tiled kernel)", Box::new(train_tiled)),
        ("sketching", Box::new(|c: &Rc<GpuContext>| sketch(Backend::Gpu(c.clone())))),
        ("kernels", Box::new(|c: &Rc<GpuContext>| kernels(Backend::Gpu(c.clone())))),
    ];
    for (name, run) in &labs {
        // Fail the first allocation, then (separately) one in the middle of the set-up.
        for count in [1, 3] {
            ctx.simulate_allocation_failures(count);
            let err = run(&ctx).expect_err(&format!("{name}: a refused allocation went unnoticed"));
            assert!(is_gpu_error(&err), "{name}: {err}");
            ctx.simulate_allocation_failures(0);
            let _ = ctx.health(); // the error was reported; clear what the device recorded
                                  // The same run on the same device, the fault gone: it completes.
            let f = run(&ctx).unwrap_or_else(|e| panic!("{name} after the fault: {e}"));
            assert!(f.done, "{name}");
        }
    }
}

#[test]
fn a_device_lost_mid_run_is_a_typed_error_and_the_cpu_runs_the_same_parameters() {
    // One fresh device per lab: a lost device stays lost.
    let lose_after_first_step = |mut s: Box<dyn FnMut(Budget) -> Result<Frame>>, ctx: &GpuContext| {
        let first = s(Budget::iterations(1)).expect("first step");
        assert!(!first.done);
        ctx.simulate_device_loss();
        let err = s(Budget::iterations(1)).expect_err("a step after the loss");
        assert!(matches!(err, Error::DeviceLost(_)), "{err}");
        assert!(err.to_string().contains("Reset to continue on the CPU"), "{err}");
    };
    let c = ctx();
    let problem = ProblemSpec { kind: ProblemKind::Gaussian, n: 50, m: 40, ..Default::default() }.build().unwrap();
    let params =
        SolverParams { method: Method::LogSinkhorn, eps: 0.05, tol: 1e-12, max_iter: 400, ..Default::default() };
    let mut g = pollster::block_on(GpuSinkhorn::new(c.clone(), &problem, params)).unwrap();
    lose_after_first_step(Box::new(move |b| pollster::block_on(g.step(b))), &c);
    assert!(ot_cpu().unwrap().done);
    // SNS lost in its Newton phase (n1 = 0: the first step is a Newton step).
    let c = ctx();
    let params =
        SolverParams { method: Method::Sns, eps: 0.05, n1: 0, tol: 1e-12, max_iter: 400, ..Default::default() };
    let mut g = pollster::block_on(GpuSinkhorn::new(c.clone(), &problem, params)).unwrap();
    lose_after_first_step(Box::new(move |b| pollster::block_on(g.step(b))), &c);

    let c = ctx();
    let mut g = GpuTrainer::new(
        c.clone(),
        Trainer::new(train_data().build().unwrap(), TrainConfig { epochs: 50, ..Default::default() }).unwrap(),
    )
    .unwrap();
    lose_after_first_step(Box::new(move |b| pollster::block_on(g.step(b))), &c);
    let cpu =
        build_and_run(|| Trainer::new(train_data().build()?, TrainConfig { epochs: 5, ..Default::default() })).unwrap();
    assert!(cpu.done);

    let c = ctx();
    let data = train_data().build().unwrap();
    let tiled = Trainer::new(data, TrainConfig { epochs: 50, ..Default::default() }).unwrap();
    let mut g = GpuTrainer::with_kernel(c.clone(), tiled, GpuKernel::Tiled).unwrap();
    lose_after_first_step(Box::new(move |b| pollster::block_on(g.step(b))), &c);

    for kind in SketchKind::ALL {
        let c = ctx();
        let config = SketchConfig { sketches: vec![kind], ms: vec![64], trials: 20, ..Default::default() };
        let mut g = Experiment::generate(Design::Gaussian, 256, 8, config, Backend::Gpu(c.clone())).unwrap();
        lose_after_first_step(Box::new(move |b| pollster::block_on(g.step(b))), &c);
    }
    assert!(sketch(Backend::Cpu { fallback: Some("lost".into()) }).unwrap().done);

    let c = ctx();
    let params = kernels::Params { rows: 64, cols: 70, trials: 5, ..Default::default() };
    let mut g = pollster::block_on(KernelCheck::new(params, &Backend::Gpu(c.clone()))).unwrap();
    lose_after_first_step(Box::new(move |b| pollster::block_on(g.step(b))), &c);
    assert!(kernels(Backend::Cpu { fallback: Some("lost".into()) }).unwrap().done);
}
