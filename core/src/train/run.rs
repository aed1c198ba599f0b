//! Where a training run goes, decided once for the page and the CLI: on the GPU (f32) when one is open,
//! not declined, the trainer can be built there (ELR and the other output terms train on the CPU) and —
//! for `auto` — it is faster there: a small net is timed on both paths on this device (a short probe,
//! remembered for the page) and goes where it trains more updates a second; a large one goes to the GPU
//! without a probe. Otherwise on the CPU in f64 — with the reason in the run's label. `gpu` asked for where
//! the GPU cannot take the run is an error that says why.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use web_time::Instant;

use super::data::Dataset;
use super::gpu::{GpuKernel, GpuTrainer};
use super::lab::Params;
use super::trainer::{TrainConfig, Trainer};
use crate::backend::{place, Backend, BackendChoice};
use crate::error::Result;
use crate::frame::{Budget, Frame, Stepper};
use crate::gpu::GpuContext;

/// Nets whose update costs more than this many multiply-adds (3·P·B) go to the GPU under `auto` without a
/// probe: ~20 ms a step on the page's CPU path, where the CPU timing alone would stall the page, and far past
/// where GPUs win (README's table: 64-32-10 at batch 32, 2.5·10⁵, already trained faster on the H200).
const PROBE_MAX_WORK: f64 = 2e7;
/// The CPU half of a probe trains for about this long.
const PROBE_CPU_MS: f64 = 30.0;

/// Updates per second of each path for one net on this device.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Probe {
    pub cpu: f64,
    pub gpu: f64,
}

impl Probe {
    pub fn gpu_is_faster(&self) -> bool {
        self.gpu > self.cpu
    }

    fn describe(&self) -> String {
        format!("probe: {:.0} updates/s on the GPU, {:.0} on the CPU", self.gpu, self.cpu)
    }
}

thread_local! {
    /// Probes already run on this page (or CLI process), by net and adapter.
    static PROBES: RefCell<HashMap<String, Probe>> = RefCell::new(HashMap::new());
}

/// What a probe depends on: the adapter, the net's shape, the batch, the rows, the loss and optimizer.
fn probe_key(ctx: &GpuContext, trainer: &Trainer, kernel: GpuKernel) -> String {
    let c = &trainer.config;
    format!(
        "{}|{:?}|{}|{}|{}|{}|{:?}",
        ctx.summary().label(),
        trainer.architecture().widths(),
        trainer.batch_size(),
        trainer.data().train.len(),
        c.loss,
        c.optimizer,
        kernel
    )
}

/// Times `cpu`'s net on both paths here: the CPU path for ~30 ms (whole steps as the page takes them), the
/// GPU path for one step after a warm-up step (which builds its pipelines) — each on a copy, so the run
/// itself starts from step 0. Remembered per net for the page (a second run of the same net does not wait).
pub async fn probe(ctx: &Rc<GpuContext>, cpu: &Trainer, kernel: GpuKernel) -> Result<Probe> {
    let key = probe_key(ctx, cpu, kernel);
    if let Some(p) = PROBES.with(|m| m.borrow().get(&key).copied()) {
        return Ok(p);
    }
    let copy = || Trainer::new(cpu.data().clone(), cpu.config.clone()).map(Trainer::without_final_hessian);
    // The GPU trainer first: a net the GPU cannot take fails here, before any timing.
    let mut on_gpu = GpuTrainer::with_kernel(ctx.clone(), copy()?, kernel)?;
    let mut on_cpu = copy()?;
    let start = Instant::now();
    while on_cpu.steps() == 0 || start.elapsed().as_secs_f64() * 1e3 < PROBE_CPU_MS {
        let f = on_cpu.step(Budget::millis(PROBE_CPU_MS)).await?;
        on_cpu.take_earlier_frames();
        if f.done {
            break;
        }
    }
    let cpu_rate = on_cpu.steps() as f64 / start.elapsed().as_secs_f64().max(1e-9);
    on_gpu.step(Budget::iterations(1)).await?;
    let (before, start) = (on_gpu.cpu().steps(), Instant::now());
    on_gpu.step(Budget::iterations(1)).await?;
    let gpu_steps = on_gpu.cpu().steps() - before;
    let gpu_rate = if gpu_steps > 0 { gpu_steps as f64 / start.elapsed().as_secs_f64().max(1e-9) } else { 0.0 };
    let p = Probe { cpu: cpu_rate, gpu: gpu_rate };
    PROBES.with(|m| m.borrow_mut().insert(key, p));
    Ok(p)
}

/// Multiply-adds of one update: forward and backward, ~3·P per sample.
fn update_work(t: &Trainer) -> f64 {
    3.0 * t.params().len() as f64 * t.batch_size() as f64
}

/// One training run on either backend, with the line the status shows for it.
pub enum TrainRun {
    Cpu(Box<Trainer>, String),
    Gpu(Box<GpuTrainer>, String),
}

/// The run of `params` on `data` (the lab's generated dataset, or a person's own) on `device`.
pub async fn start(params: &Params, data: Dataset, device: &Backend) -> Result<TrainRun> {
    let cpu = Trainer::new(data, params.config.clone())?;
    let backend = place(params.backend, device)?;
    let Some(ctx) = backend.gpu() else {
        return Ok(TrainRun::Cpu(Box::new(cpu), format!("CPU, f64{}", backend.cpu_note())));
    };
    let mut note = String::new();
    if params.backend == BackendChoice::Auto && update_work(&cpu) <= PROBE_MAX_WORK {
        match probe(ctx, &cpu, params.gpu_kernel).await {
            Ok(p) if !p.gpu_is_faster() => {
                return Ok(TrainRun::Cpu(
                    Box::new(cpu),
                    format!("CPU, f64; faster here for this net ({})", p.describe()),
                ));
            }
            Ok(p) => note = format!(" ({})", p.describe()),
            Err(_) => {} // the GPU cannot take this run: building it below says why
        }
    }
    let twin = Trainer::new(cpu.data().clone(), cpu.config.clone())?;
    match GpuTrainer::with_kernel(ctx.clone(), twin, params.gpu_kernel) {
        Ok(g) => {
            let label = format!("GPU, f32: {}{note}", g.kernel().describe());
            Ok(TrainRun::Gpu(Box::new(g), label))
        }
        Err(e) if params.backend == BackendChoice::Gpu => Err(e),
        Err(e) => Ok(TrainRun::Cpu(Box::new(cpu), format!("CPU, f64; {e}"))),
    }
}

impl TrainRun {
    /// The f64 trainer behind the run (the GPU run's holds θ as of its last frame).
    pub fn trainer(&self) -> &Trainer {
        match self {
            TrainRun::Cpu(t, _) => t,
            TrainRun::Gpu(g, _) => g.cpu(),
        }
    }

    /// What the status line calls this run: where it trains and why.
    pub fn label(&self) -> &str {
        match self {
            TrainRun::Cpu(_, l) | TrainRun::Gpu(_, l) => l,
        }
    }

    /// The GPU kernel, on the GPU.
    pub fn kernel(&self) -> Option<GpuKernel> {
        match self {
            TrainRun::Cpu(..) => None,
            TrainRun::Gpu(g, _) => Some(g.kernel()),
        }
    }

    /// Live hyperparameter changes (learning rate, schedule, regularization, …).
    pub fn update(&mut self, next: &TrainConfig) -> Result<()> {
        match self {
            TrainRun::Cpu(t, _) => t.update(next),
            TrainRun::Gpu(g, _) => g.update(next),
        }
    }
}

impl Stepper for TrainRun {
    async fn step(&mut self, budget: Budget) -> Result<Frame> {
        match self {
            TrainRun::Cpu(t, _) => t.step(budget).await,
            TrainRun::Gpu(g, _) => g.step(budget).await,
        }
    }

    fn take_earlier_frames(&mut self) -> Vec<Frame> {
        match self {
            TrainRun::Cpu(t, _) => t.take_earlier_frames(),
            TrainRun::Gpu(..) => Vec::new(),
        }
    }
}
