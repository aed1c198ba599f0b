//! Where a training run goes, decided once for the page and the CLI: on the GPU (f32) when one is open,
//! not declined, and the trainer can be built there (ELR and the other output terms train on the CPU);
//! otherwise on the CPU in f64 — with the reason in the run's label. `gpu` asked for where the GPU cannot
//! take the run is an error that says why.

use super::data::Dataset;
use super::gpu::{GpuKernel, GpuTrainer};
use super::lab::Params;
use super::trainer::{TrainConfig, Trainer};
use crate::backend::{place, Backend, BackendChoice};
use crate::error::Result;
use crate::frame::{Budget, Frame, Stepper};

/// One training run on either backend, with the line the status shows for it.
pub enum TrainRun {
    Cpu(Box<Trainer>, String),
    Gpu(Box<GpuTrainer>, String),
}

/// The run of `params` on `data` (the lab's generated dataset, or a person's own) on `device`.
pub fn start(params: &Params, data: Dataset, device: &Backend) -> Result<TrainRun> {
    let cpu = Trainer::new(data, params.config.clone())?;
    let backend = place(params.backend, device)?;
    let Some(ctx) = backend.gpu() else {
        return Ok(TrainRun::Cpu(Box::new(cpu), format!("CPU, f64{}", backend.cpu_note())));
    };
    let twin = Trainer::new(cpu.data().clone(), cpu.config.clone())?;
    match GpuTrainer::with_kernel(ctx.clone(), twin, params.gpu_kernel) {
        Ok(g) => {
            let label = format!("GPU, f32: {}", g.kernel().describe());
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
