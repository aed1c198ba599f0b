//! The GPU sweep (every net of a grid in one dispatch of the one-workgroup kernel, a workgroup per net, on
//! lavapipe) held to the single-run GPU trainer net by net, and to the CPU sweep (f64) within f32's
//! tolerance; its placement rule and its bad cells.
#![cfg(not(target_arch = "wasm32"))]

use std::rc::Rc;

use regula_core::frame::{Budget, Frame, Stepper};
use regula_core::gpu::GpuContext;
use regula_core::lab::sweep::Run;
use regula_core::metrics as key;
use regula_core::train::gpu::{GpuKernel, GpuTrainer};
use regula_core::train::sweep::{Axis, Grid, Params, Shard, Show, Sweep};
use regula_core::train::{DatasetKind, Optimizer};
use regula_core::{Backend, BackendChoice};

fn gpu() -> Backend {
    let ctx = pollster::block_on(GpuContext::new()).expect("no GPU adapter: install mesa-vulkan-drivers (lavapipe)");
    Backend::Gpu(ctx)
}

/// η × batch on a 60-point xor (48 training rows: batch 10 leaves a short last batch), Adam, 2 seeds.
fn grid(backend: BackendChoice) -> Params {
    let mut p = Params::default();
    p.train.data.kind = DatasetKind::Xor;
    p.train.data.n = 60;
    p.train.config.hidden = vec![6, 4];
    p.train.config.optimizer = Optimizer::Adam;
    p.train.config.epochs = 8;
    p.train.backend = backend;
    p.sweep = Grid {
        x: Axis::Lr,
        x_values: vec![0.003, 0.03],
        y: Axis::Batch,
        y_values: vec![8.0, 10.0, 0.0],
        seeds: 2,
        show: Show::TrainLoss,
    };
    p
}

fn finish(s: &mut Sweep) -> Frame {
    for _ in 0..1000 {
        let f = pollster::block_on(s.step(Budget::iterations(1))).unwrap();
        if f.done {
            return f;
        }
    }
    panic!("the sweep did not finish");
}

fn metrics(f: &Frame) -> Vec<(String, f64)> {
    f.metrics.iter().filter(|(k, _)| k.as_str() != key::TRAIN_SECONDS).map(|(k, v)| (k.clone(), *v)).collect()
}

#[test]
fn every_net_of_the_gpu_sweep_is_the_single_run_gpu_trainer_of_its_parameters() {
    let device = gpu();
    let Backend::Gpu(ctx) = &device else { unreachable!() };
    let params = grid(BackendChoice::Gpu);
    let mut s = Sweep::new(params.clone(), Shard::WHOLE, &device).unwrap();
    assert!(s.on_gpu(), "{}", s.placement());
    assert!(s.placement().starts_with("GPU, f32"), "{}", s.placement());
    let f = finish(&mut s);
    assert_eq!(f.metric(key::SWEEP_DONE), Some(12.0));
    assert!(f.metric(key::NET_STEPS_PER_SECOND).unwrap() > 0.0);
    for net in s.nets() {
        let p = params.net_params(net.index);
        let cpu = params.trainer(&p).unwrap();
        let mut solo = GpuTrainer::with_kernel(Rc::clone(ctx), cpu, GpuKernel::OneWorkgroup).unwrap();
        let last = loop {
            let f = pollster::block_on(solo.step(Budget::iterations(1))).unwrap();
            if f.done {
                break f;
            }
        };
        let mine = net.frame.as_ref().expect("a finished net has its frame");
        assert_eq!(metrics(mine), metrics(&last), "net {} ({:?}, batch {})", net.index, p.config.lr, p.config.batch);
    }
}

#[test]
fn the_gpu_sweep_matches_the_cpu_sweep_within_f32() {
    let device = gpu();
    let mut on_gpu = Sweep::new(grid(BackendChoice::Gpu), Shard::WHOLE, &device).unwrap();
    let mut on_cpu = Sweep::new(grid(BackendChoice::Cpu), Shard::WHOLE, &device).unwrap();
    assert!(!on_cpu.on_gpu());
    finish(&mut on_gpu);
    finish(&mut on_cpu);
    for (g, c) in on_gpu.nets().iter().zip(on_cpu.nets()) {
        let (lg, lc) = (g.metric(key::TRAIN_LOSS).unwrap(), c.metric(key::TRAIN_LOSS).unwrap());
        // 8 epochs of Adam in f32 against f64: the losses agree to 1e-3 relative (the single-run twin's bound).
        assert!((lg - lc).abs() <= 1e-3 * lc.max(1e-3), "net {}: {lg} vs {lc}", g.index);
    }
}

#[test]
fn auto_keeps_a_software_adapter_off_and_bad_cells_are_marked_on_the_gpu() {
    let device = gpu();
    // lavapipe is a software adapter: auto trains the sweep on the CPU and says why.
    let s = Sweep::new(grid(BackendChoice::Auto), Shard::WHOLE, &device).unwrap();
    assert!(!s.on_gpu());
    assert_eq!(s.placement(), "CPU, f64; software GPU, the CPU is faster");
    // Asked for the GPU: a batch past the kernel's 256 cannot run there (marked), η = 1e3 diverges (marked),
    // the rest train.
    let mut p = grid(BackendChoice::Gpu);
    p.train.data.n = 800;
    p.train.config.optimizer = Optimizer::Sgd;
    p.train.config.epochs = 3;
    p.sweep.x_values = vec![0.05, 1e3];
    p.sweep.y_values = vec![10.0, 300.0];
    p.sweep.seeds = 1;
    let mut s = Sweep::new(p, Shard::WHOLE, &device).unwrap();
    assert!(s.on_gpu());
    let f = finish(&mut s);
    assert_eq!(f.metric(key::SWEEP_FAILED), Some(2.0), "{f:?}");
    assert_eq!(f.metric(key::SWEEP_DIVERGED), Some(1.0), "{f:?}");
    let cells = s.cells();
    assert!(cells[2].error.as_deref().is_some_and(|e| e.contains("batches ≤ 256")), "{:?}", cells[2]);
    assert!(cells[0].value.is_some_and(f64::is_finite));
    assert_eq!((cells[1].diverged, cells[1].value), (1, None));
}
