//! The GPU trainer: every mini-batch step of an epoch runs inside one workgroup of one dispatch
//! (`shaders/train/sgd_epoch.wgsl`, f32), with θ and the optimizer state resident on the device. Between
//! dispatches only θ (P floats) is read back, into the CPU [`Trainer`] it wraps, which evaluates the frame's
//! losses, accuracies and Hessian in f64 on those weights and draws the same epoch orders as the CPU path.

use bytemuck::{Pod, Zeroable};

use super::mlp::{Activation, Loss};
use super::trainer::{Optimizer, Regularization, Trainer};
use crate::error::{Error, Result};
use crate::frame::{Budget, Frame, StopReason, Stepper};
use crate::gpu::{GpuContext, Shader};

/// `shaders/train/sgd_epoch.wgsl`.
pub const SGD_EPOCH_SHADER: Shader = Shader { path: "train/sgd_epoch.wgsl", source: include_str!("../../../shaders/train/sgd_epoch.wgsl") };

/// The kernel's limits (private arrays sized for them).
pub const MAX_GPU_WIDTH: usize = 64;
pub const MAX_GPU_LAYERS: usize = 7;
pub const MAX_GPU_BATCH: usize = 256;
/// Fewest steps per readback when epochs are short (full-batch GD: one step per epoch).
const MIN_STEPS_PER_DISPATCH: usize = 10;
/// Largest steps × batch × parameters in one dispatch: longer dispatches are split (lavapipe already
/// returned partial results for ~9e5; browsers kill long-running GPU work).
const MAX_DISPATCH_WORK: usize = 1 << 18;

#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
struct Params {
    batch: u32,
    steps: u32,
    rows: u32,
    p: u32,
    n_layers: u32,
    loss: u32,
    optimizer: u32,
    reg: u32,
    lr: f32,
    reg_rate: f32,
    momentum: f32,
    t0: u32,
    step0: u32,
    pad: [u32; 3],
}

#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
struct Layers {
    widths: [u32; 8],
    act: [u32; 8],
    w_off: [u32; 8],
    b_off: [u32; 8],
}

/// Training on the GPU, frames computed by the wrapped CPU trainer.
pub struct GpuTrainer {
    ctx: std::rc::Rc<GpuContext>,
    cpu: Trainer,
    theta: wgpu::Buffer,
    buffers: Vec<wgpu::Buffer>, // x, y, scratch, m, v (kept alive)
    layers: wgpu::Buffer,
    steps_done: u64,
}

impl GpuTrainer {
    /// Checks the kernel's limits (widths ≤ 64, ≤ 6 hidden layers, batch ≤ 256) and uploads the data and θ.
    pub fn new(ctx: std::rc::Rc<GpuContext>, cpu: Trainer) -> Result<Self> {
        let arch = cpu.architecture().clone();
        let widths = arch.widths();
        if widths.len() > MAX_GPU_LAYERS + 1 || widths.iter().any(|&w| w > MAX_GPU_WIDTH) {
            return Err(Error::Invalid {
                name: "hidden",
                message: format!("the GPU trainer takes widths ≤ {MAX_GPU_WIDTH} (inputs and outputs included) and ≤ {} hidden layers: use the CPU", MAX_GPU_LAYERS - 1),
            });
        }
        let b = cpu.batch_size();
        if b > MAX_GPU_BATCH {
            return Err(Error::Invalid { name: "batch", message: format!("the GPU trainer takes batches ≤ {MAX_GPU_BATCH} (got {b}): use the CPU or a smaller batch") });
        }
        let p = arch.params();
        let data = cpu.data();
        let f32s = |v: &[f64]| v.iter().map(|&a| a as f32).collect::<Vec<f32>>();
        let targets = cpu.targets();
        ctx.check_storage_size(|| format!("a batch gradient scratch of {b} × {p} f32"), (b * p) as u64 * 4)?;
        ctx.check_storage_size(|| "the training inputs".into(), data.x.len() as u64 * 4)?;
        let mut layers = Layers { widths: [0; 8], act: [3; 8], w_off: [0; 8], b_off: [0; 8] };
        for (k, &w) in widths.iter().enumerate() {
            layers.widths[k] = w as u32;
        }
        for (l, &(w, bo, _, _)) in arch.layers().iter().enumerate() {
            layers.w_off[l] = w as u32;
            layers.b_off[l] = bo as u32;
            layers.act[l] = match arch.activations.get(l).copied().unwrap_or(Activation::Linear) {
                Activation::Relu => 0,
                Activation::Tanh => 1,
                Activation::Sigmoid => 2,
                Activation::Linear => 3,
            };
        }
        let buffers = vec![
            ctx.upload("train x", &f32s(&data.x)),
            ctx.upload("train y", &f32s(if targets.is_empty() { &[0.0] } else { &targets })),
            ctx.storage("train scratch", (b * p) as u64 * 4),
            ctx.upload("train m", &vec![0f32; p]),
            ctx.upload("train v", &vec![0f32; p]),
        ];
        let theta = ctx.upload("train theta", &f32s(cpu.params()));
        let layers = ctx.uniform("train layers", &layers);
        Ok(Self { ctx, cpu, theta, buffers, layers, steps_done: 0 })
    }

    /// Applies hyperparameters mid-run like [`Trainer::update`]; a new batch size needs a new trainer (the
    /// device's gradient scratch is sized for it).
    pub fn update(&mut self, next: &super::trainer::TrainConfig) -> Result<()> {
        let effective = |b: usize| if b == 0 { self.cpu.data().train.len() } else { b };
        if effective(next.batch) != self.cpu.batch_size() {
            return Err(Error::Invalid { name: "batch", message: "a new batch size restarts a GPU run: reset".into() });
        }
        self.cpu.update(next)
    }

    /// The wrapped CPU trainer (data, architecture, the weights of the last frame).
    pub fn cpu(&self) -> &Trainer {
        &self.cpu
    }

    /// Runs whole epochs on the device (at least `MIN_STEPS_PER_DISPATCH` steps when the batch divides the
    /// training set), then reads θ back into the CPU trainer.
    async fn dispatch_epochs(&mut self) -> Result<()> {
        let cfg = self.cpu.config.clone();
        let arch = self.cpu.architecture().clone();
        let (b, len) = (self.cpu.batch_size(), self.cpu.data().train.len());
        let spe = self.cpu.steps_per_epoch() as usize;
        let remaining = (self.cpu.total_steps() - self.cpu.steps()) as usize / spe.max(1);
        let epochs = if len % b == 0 { MIN_STEPS_PER_DISPATCH.div_ceil(spe).clamp(1, remaining.max(1)) } else { 1 };
        let mut order: Vec<u32> = Vec::with_capacity(epochs * len);
        for _ in 0..epochs {
            order.extend(self.cpu.next_epoch_order().into_iter().map(|r| r as u32));
        }
        let total_steps = epochs * spe;
        let chunk = (MAX_DISPATCH_WORK / (b * arch.params()).max(1)).max(1);
        let base = Params {
            batch: b as u32,
            steps: 0,
            rows: order.len() as u32,
            p: arch.params() as u32,
            n_layers: arch.layers().len() as u32,
            loss: u32::from(cfg.loss == Loss::Xent),
            optimizer: match cfg.optimizer {
                Optimizer::Sgd => 0,
                Optimizer::Momentum => 1,
                Optimizer::Adam => 2,
            },
            reg: match cfg.reg {
                Regularization::None => 0,
                Regularization::L1 => 1,
                Regularization::L2 => 2,
            },
            lr: self.cpu.current_lr() as f32,
            reg_rate: cfg.reg_rate as f32,
            momentum: cfg.momentum as f32,
            t0: 0,
            step0: 0,
            pad: [0; 3],
        };
        let ctx = self.ctx.clone();
        let steps_done = self.steps_done as usize;
        let clock = web_time::Instant::now();
        ctx.scoped(|| {
            let order_buf = ctx.upload("train order", &order);
            let pipeline = ctx.pipeline(SGD_EPOCH_SHADER, "sgd_epoch");
            let [x, y, scratch, m, v] = &self.buffers[..] else { unreachable!("five buffers") };
            let mut encoder = ctx.device().create_command_encoder(&Default::default());
            let mut keep = Vec::new();
            let mut first = 0;
            while first < total_steps {
                let steps = chunk.min(total_steps - first);
                let params = Params { steps: steps as u32, step0: first as u32, t0: (steps_done + first) as u32, ..base };
                let uniform = ctx.uniform("train params", &params);
                let bind = ctx.bind(
                    &pipeline,
                    &[(0, &uniform), (1, &self.layers), (2, x), (3, y), (5, &order_buf), (6, &self.theta), (7, scratch), (8, m), (9, v)],
                );
                {
                    let mut pass = encoder.begin_compute_pass(&Default::default());
                    pass.set_pipeline(&pipeline);
                    pass.set_bind_group(0, &bind, &[]);
                    pass.dispatch_workgroups(1, 1, 1);
                }
                keep.push(uniform);
                first += steps;
            }
            ctx.queue().submit([encoder.finish()]);
        })
        .await?;
        let theta = ctx.read_f32(&self.theta, arch.params()).await?;
        self.steps_done += total_steps as u64;
        self.cpu.set_state(theta.into_iter().map(f64::from).collect(), total_steps as u64, clock.elapsed().as_secs_f64() * 1e3);
        Ok(())
    }
}

impl Stepper for GpuTrainer {
    /// One dispatch (one or more whole epochs) per call, then a frame from the CPU trainer.
    async fn step(&mut self, _budget: Budget) -> Result<Frame> {
        if let Some(f) = self.cpu.finished_frame() {
            return Ok(f);
        }
        let start = web_time::Instant::now();
        if self.cpu.steps() < self.cpu.total_steps() && self.cpu.stopped().is_none() {
            let before = self.cpu.params().to_vec();
            self.dispatch_epochs().await?;
            if self.cpu.diverged() {
                self.cpu.set_state(before, 0, 0.0);
                self.cpu.stop(StopReason::Divergence);
            }
        }
        Ok(self.cpu.frame_after(start.elapsed().as_secs_f64() * 1e3))
    }
}
