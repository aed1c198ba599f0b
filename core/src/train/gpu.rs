//! The GPU trainers, f32, with θ and the optimizer state resident on the device; two kernels:
//! - one workgroup per epoch (`shaders/train/sgd_epoch.wgsl`): every mini-batch step of an epoch in one
//!   dispatch, a thread per sample (widths ≤ 64, ≤ 6 hidden layers, B ≤ 256) — for tiny nets;
//! - tiled (`shaders/train/layers.wgsl`): one register-tiled matrix multiply (64 × 64 blocks, 4 × 4 per
//!   thread) per layer and pass, any width,
//!   depth and batch; a whole epoch's dispatches in one submission, the batch picked on the device.
//!
//! Between submissions only θ (P floats) is read back, into the CPU [`Trainer`] it wraps, which evaluates the
//! frame's losses, accuracies and Hessian in f64 on those weights and draws the same epoch orders as the CPU
//! path.

use bytemuck::{Pod, Zeroable};

use super::mlp::{Activation, Loss};
use super::trainer::{Optimizer, Regularization, Trainer};
use crate::error::{Error, Result};
use crate::frame::{Budget, Frame, Stepper, StopReason};
use crate::gpu::{GpuContext, Shader};

/// `shaders/train/sgd_epoch.wgsl`, after `activation.wgsl`.
pub const SGD_EPOCH_SHADER: Shader = Shader {
    path: "train/sgd_epoch.wgsl",
    source: concat!(
        include_str!("../../../shaders/train/activation.wgsl"),
        include_str!("../../../shaders/train/sgd_epoch.wgsl")
    ),
};

/// The kernel's limits (private arrays sized for them).
pub const MAX_GPU_WIDTH: usize = 64;
pub const MAX_GPU_LAYERS: usize = 7;
pub const MAX_GPU_BATCH: usize = 256;
/// Fewest steps per readback when epochs are short (full-batch GD: one step per epoch).
const MIN_STEPS_PER_DISPATCH: usize = 10;
/// Largest steps × batch × parameters in one dispatch: longer dispatches are split (lavapipe already
/// returned partial results for ~9e5; browsers kill long-running GPU work).
pub(crate) const MAX_DISPATCH_WORK: usize = 1 << 18;

/// One row of `sgd_epoch.wgsl`'s net table (its `Net`): a net's hyperparameters, this dispatch's steps,
/// where its data and state start in the shared buffers, and its layer table. A single run dispatches a
/// table of one; a sweep (`super::sweep::gpu`) one row per net.
#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
pub(crate) struct NetRow {
    pub batch: u32,
    pub steps: u32,
    pub rows: u32,
    pub p: u32,
    pub n_layers: u32,
    pub loss: u32,
    pub optimizer: u32,
    pub reg: u32,
    pub lr: f32,
    pub reg_rate: f32,
    pub momentum: f32,
    pub t0: u32,
    pub step0: u32,
    /// Adam's β₁, β₂, ε ([`super::optimizer::ADAM`]).
    pub adam: [f32; 3],
    pub x_off: u32,
    pub y_off: u32,
    pub order_off: u32,
    pub theta_off: u32,
    pub scratch_off: u32,
    pub pad: [u32; 3],
    pub layers: Layers,
}

impl NetRow {
    /// The row of `cpu`'s net (its hyperparameters now, its layer table), offsets 0 and no steps yet.
    pub fn of(cpu: &Trainer) -> Self {
        let arch = cpu.architecture();
        let cfg = &cpu.config;
        let mut layers = Layers { widths: [0; 8], act: [3; 8], w_off: [0; 8], b_off: [0; 8] };
        for (k, &w) in arch.widths().iter().enumerate().take(8) {
            layers.widths[k] = w as u32;
        }
        for (l, &(w, bo, _, _)) in arch.layers().iter().enumerate().take(8) {
            layers.w_off[l] = w as u32;
            layers.b_off[l] = bo as u32;
            layers.act[l] = activation_code(arch.activations.get(l).copied().unwrap_or(Activation::Linear));
        }
        Self {
            batch: cpu.batch_size() as u32,
            steps: 0,
            rows: 0,
            p: arch.params() as u32,
            n_layers: arch.layers().len() as u32,
            loss: u32::from(cfg.loss == Loss::Xent),
            optimizer: optimizer_code(cfg.optimizer),
            reg: reg_code(cfg.reg),
            lr: cpu.current_lr() as f32,
            reg_rate: cfg.reg_rate as f32,
            momentum: cfg.momentum as f32,
            t0: 0,
            step0: 0,
            adam: adam_constants(),
            x_off: 0,
            y_off: 0,
            order_off: 0,
            theta_off: 0,
            scratch_off: 0,
            pad: [0; 3],
            layers,
        }
    }
}

#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
pub(crate) struct Layers {
    widths: [u32; 8],
    act: [u32; 8],
    w_off: [u32; 8],
    b_off: [u32; 8],
}

/// Adam's constants for the kernels' uniforms, from the one definition the CPU trainer uses.
fn adam_constants() -> [f32; 3] {
    let a = super::optimizer::ADAM;
    [a.beta1 as f32, a.beta2 as f32, a.eps as f32]
}

crate::choice! {
    /// Which kernel trains on the device (`--gpu-kernel`).
    #[derive(Default)]
    pub enum GpuKernel("gpu-kernel") {
        /// The one-workgroup kernel when the net fits its limits and is tiny (or the adapter is software),
        /// else the tiled one.
        #[default]
        Auto => "auto",
        /// `sgd_epoch.wgsl`: every step of an epoch in one workgroup (widths ≤ 64, ≤ 6 hidden layers, B ≤ 256).
        OneWorkgroup => "one-workgroup",
        /// `layers.wgsl`: one tiled matrix multiply per layer and pass, any width, depth and batch.
        Tiled => "tiled",
    }
}

impl GpuKernel {
    /// What the kernel does, for notes and status lines.
    pub fn describe(self) -> &'static str {
        match self {
            GpuKernel::Auto => "auto",
            GpuKernel::OneWorkgroup => "each epoch in one workgroup",
            GpuKernel::Tiled => "tiled matmul per layer",
        }
    }
}

/// Buffers of the one-workgroup kernel.
struct Fused {
    theta: wgpu::Buffer,
    buffers: Vec<wgpu::Buffer>, // x, y, scratch, m, v (kept alive)
}

/// One recorded dispatch of the tiled kernel: pipeline, bind group, workgroup grid.
type Dispatch = (wgpu::ComputePipeline, wgpu::BindGroup, (u32, u32));

/// Buffers and the per-step dispatch lists of the tiled kernel (3L + 1 dispatches; the batch is selected
/// on the device by `counter`): `steps[s % 2]` for step s, which reads counter slot s % 2 and writes the
/// next step's counters to the other.
struct Tiled {
    par: wgpu::Buffer, // θ | ∂θ | m | v
    counter: wgpu::Buffer,
    hyper: wgpu::Buffer,
    order: wgpu::Buffer,
    order_len: usize,
    steps: [Vec<Dispatch>; 2],
    _keep: Vec<wgpu::Buffer>,
}

enum Engine {
    Fused(Fused),
    Tiled(Tiled),
}

/// Training on the GPU, frames computed by the wrapped CPU trainer.
pub struct GpuTrainer {
    ctx: std::rc::Rc<GpuContext>,
    cpu: Trainer,
    engine: Engine,
    steps_done: u64,
}

#[repr(C)]
#[derive(Debug, Clone, Copy, Default, Pod, Zeroable)]
struct Op {
    m: u32,
    n: u32,
    k: u32,
    a_off: u32,
    a_rs: u32,
    a_cs: u32,
    b_off: u32,
    b_rs: u32,
    b_cs: u32,
    c_off: u32,
    aux_off: u32,
    act: u32,
    mode: u32,
    a_buf: u32,
    b_buf: u32,
    c_buf: u32,
    slot: u32,
    pad: [u32; 3],
}

#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
struct Hyper {
    batch: u32,
    rows: u32,
    p: u32,
    loss: u32,
    optimizer: u32,
    reg: u32,
    lr: f32,
    reg_rate: f32,
    momentum: f32,
    /// Adam's β₁, β₂, ε ([`super::optimizer::ADAM`]).
    adam: [f32; 3],
}

/// `shaders/train/layers.wgsl`, after `activation.wgsl`.
pub const LAYERS_SHADER: Shader = Shader {
    path: "train/layers.wgsl",
    source: concat!(
        include_str!("../../../shaders/train/activation.wgsl"),
        include_str!("../../../shaders/train/layers.wgsl")
    ),
};

fn activation_code(a: Activation) -> u32 {
    match a {
        Activation::Relu => 0,
        Activation::Tanh => 1,
        Activation::Sigmoid => 2,
        Activation::Linear => 3,
    }
}

fn optimizer_code(o: Optimizer) -> u32 {
    match o {
        Optimizer::Sgd => 0,
        Optimizer::Momentum => 1,
        Optimizer::Adam => 2,
    }
}

fn reg_code(r: Regularization) -> u32 {
    match r {
        Regularization::None => 0,
        Regularization::L1 => 1,
        Regularization::L2 => 2,
    }
}

pub(crate) fn f32s(v: &[f64]) -> Vec<f32> {
    v.iter().map(|&a| a as f32).collect()
}

/// Past this many parameters `Auto` picks the tiled kernel on a hardware GPU. Measured on an H200
/// (`regula bench train-gpu`): 2-8-8-1 (105 parameters, B = 10) one workgroup 30,053 vs tiled 12,576 steps/s;
/// 64-32-10 (2,410, B = 32) 1,954 vs 12,756 — a thread walks its sample through all P weights serially, while
/// the tiled kernel paid a fixed ~80 µs of launches per step (then 4L + 3 dispatches; 3L + 1 since 2026-12-02). On software adapters (lavapipe, SwiftShader),
/// where launches are dear and there is no parallel hardware to fill, the one-workgroup kernel wins at both
/// sizes (9,821 vs 1,169 and 639 vs 332), so it stays whenever the net fits.
pub const ONE_WORKGROUP_MAX_AUTO_PARAMS: usize = 512;

fn software_adapter(ctx: &GpuContext) -> bool {
    ctx.summary().is_software()
}

/// True when the net fits the one-workgroup kernel (widths ≤ 64, ≤ 6 hidden layers, batch ≤ 256).
pub fn fits_one_workgroup(widths: &[usize], batch: usize) -> bool {
    widths.len() <= MAX_GPU_LAYERS + 1 && widths.iter().all(|&w| w <= MAX_GPU_WIDTH) && batch <= MAX_GPU_BATCH
}

impl GpuTrainer {
    /// [`GpuKernel::Auto`]: the one-workgroup kernel for tiny nets (any net within its limits on a software
    /// adapter), the tiled kernel otherwise.
    pub fn new(ctx: std::rc::Rc<GpuContext>, cpu: Trainer) -> Result<Self> {
        Self::with_kernel(ctx, cpu, GpuKernel::Auto)
    }

    /// Uploads the data and θ for the chosen kernel; asking for the one-workgroup kernel with a net past
    /// its limits, or data past the device's storage limits, is a typed error.
    pub fn with_kernel(ctx: std::rc::Rc<GpuContext>, cpu: Trainer, kernel: GpuKernel) -> Result<Self> {
        if cpu.config.elr.is_some() || cpu.config.ewc.is_some() || cpu.config.forward_correction.is_some() {
            return Err(Error::Invalid {
                name: "config",
                message: "early-learning regularization, EWC and forward correction train on the CPU only".into(),
            });
        }
        let widths = cpu.architecture().widths();
        let b = cpu.batch_size();
        let fits = fits_one_workgroup(&widths, b);
        let engine = match kernel {
            GpuKernel::OneWorkgroup if !fits => {
                return Err(Error::Invalid {
                    name: "hidden",
                    message: format!(
                        "the one-workgroup kernel takes widths ≤ {MAX_GPU_WIDTH} (inputs and outputs included), ≤ {} hidden layers and batches ≤ {MAX_GPU_BATCH}: use the tiled kernel",
                        MAX_GPU_LAYERS - 1
                    ),
                })
            }
            GpuKernel::OneWorkgroup => Engine::Fused(Self::fused(&ctx, &cpu)?),
            GpuKernel::Auto if fits && (software_adapter(&ctx) || cpu.architecture().params() <= ONE_WORKGROUP_MAX_AUTO_PARAMS) => {
                Engine::Fused(Self::fused(&ctx, &cpu)?)
            }
            GpuKernel::Auto | GpuKernel::Tiled => Engine::Tiled(Self::tiled(&ctx, &cpu)?),
        };
        Ok(Self { ctx, cpu, engine, steps_done: 0 })
    }

    /// The kernel this trainer runs.
    pub fn kernel(&self) -> GpuKernel {
        match self.engine {
            Engine::Fused(_) => GpuKernel::OneWorkgroup,
            Engine::Tiled(_) => GpuKernel::Tiled,
        }
    }

    fn fused(ctx: &GpuContext, cpu: &Trainer) -> Result<Fused> {
        let arch = cpu.architecture();
        let b = cpu.batch_size();
        let p = arch.params();
        let data = cpu.data();
        let targets = cpu.targets();
        ctx.check_storage_size(|| format!("a batch gradient scratch of {b} × {p} f32"), (b * p) as u64 * 4)?;
        ctx.check_storage_size(|| "the training inputs".into(), data.x.len() as u64 * 4)?;
        let buffers = vec![
            ctx.upload("train x", &f32s(&data.x)),
            ctx.upload("train y", &f32s(if targets.is_empty() { &[0.0] } else { targets })),
            ctx.storage("train scratch", (b * p) as u64 * 4),
            ctx.upload("train m", &vec![0f32; p]),
            ctx.upload("train v", &vec![0f32; p]),
        ];
        let theta = ctx.upload("train theta", &f32s(cpu.params()));
        Ok(Fused { theta, buffers })
    }

    /// Lays out `work` and `par` and records one step's dispatches (see `layers.wgsl`).
    fn tiled(ctx: &GpuContext, cpu: &Trainer) -> Result<Tiled> {
        let arch = cpu.architecture();
        let widths = arch.widths();
        let layers = arch.layers();
        let nl = layers.len();
        let b = cpu.batch_size();
        let p = arch.params();
        let data = cpu.data();
        let targets = cpu.targets();
        let n_out = widths[nl];
        // work = activations of the layers past the input | two delta blocks (the batch's inputs and
        // targets are read from x and y through `order`).
        let mut act_off = Vec::with_capacity(nl + 1);
        let mut at = 0usize;
        for (l, &w) in widths.iter().enumerate() {
            act_off.push(at);
            if l > 0 {
                at += b * w;
            }
        }
        let max_w = widths.iter().copied().max().unwrap_or(1);
        let delta_off = [at, at + b * max_w];
        let work_len = at + 2 * b * max_w;
        // The longest epoch order one submission takes (`dispatch_epochs`).
        let (len, spe) = (data.train.len(), cpu.steps_per_epoch() as usize);
        let order_len = len.max(1) * if len % b == 0 { MIN_STEPS_PER_DISPATCH.div_ceil(spe.max(1)) } else { 1 };
        let too_big = |what: String| Error::Invalid {
            name: "hidden",
            message: format!("{what} does not fit a 32-bit index: use the CPU"),
        };
        if work_len > u32::MAX as usize / 2 || 4 * p > u32::MAX as usize / 2 {
            return Err(too_big(format!("a network of {p} parameters with batch {b}")));
        }
        ctx.check_storage_size(
            || format!("the activations and deltas of a batch of {b} ({work_len} f32)"),
            work_len as u64 * 4,
        )?;
        ctx.check_storage_size(
            || format!("θ, its gradient and the optimizer's moments (4 × {p} f32)"),
            4 * p as u64 * 4,
        )?;
        ctx.check_storage_size(|| "the training inputs".into(), data.x.len() as u64 * 4)?;
        let mut par0 = f32s(cpu.params());
        par0.resize(4 * p, 0.0);
        let par = ctx.upload("train par", &par0);
        let work = ctx.storage("train work", work_len as u64 * 4);
        let x = ctx.upload("train x", &f32s(&data.x));
        let y = ctx.upload("train y", &f32s(if targets.is_empty() { &[0.0] } else { targets }));
        let counter = ctx.upload("train counter", &[0u32; 4]);
        let order = ctx.storage("train order", order_len as u64 * 4);
        let mut mask = vec![0u32; p];
        for &(w, bo, _, _) in &layers {
            mask[w..bo].iter_mut().for_each(|m| *m = 1);
        }
        let mask = ctx.upload("train weight mask", &mask);
        let hyper = ctx.uniform(
            "train hyper",
            &Hyper {
                batch: b as u32,
                rows: 0,
                p: p as u32,
                loss: 0,
                optimizer: 0,
                reg: 0,
                lr: 0.0,
                reg_rate: 0.0,
                momentum: 0.0,
                adam: adam_constants(),
            },
        );
        let u = |v: usize| v as u32;

        let matmul = ctx.pipeline(LAYERS_SHADER, "matmul");
        let mut steps: [Vec<Dispatch>; 2] = [Vec::new(), Vec::new()];
        let mut keep = Vec::new();
        // Each dispatch twice: for even steps (counter slot 0) and odd ones (slot 1).
        let mut push =
            |entry: &'static str, op: Op, bindings: &[u32], groups: (u32, u32), keep: &mut Vec<wgpu::Buffer>| {
                let pipeline = if entry == "matmul" { matmul.clone() } else { ctx.pipeline(LAYERS_SHADER, entry) };
                for (slot, list) in steps.iter_mut().enumerate() {
                    let uniform = ctx.uniform(entry, &Op { slot: slot as u32, ..op });
                    let all: [(u32, &wgpu::Buffer); 9] = [
                        (0, &uniform),
                        (1, &work),
                        (2, &par),
                        (3, &x),
                        (4, &y),
                        (5, &order),
                        (6, &counter),
                        (7, &hyper),
                        (8, &mask),
                    ];
                    let chosen: Vec<(u32, &wgpu::Buffer)> =
                        all.iter().copied().filter(|(k, _)| bindings.contains(k)).collect();
                    let bind = ctx.bind(&pipeline, &chosen);
                    list.push((pipeline.clone(), bind, groups));
                    keep.push(uniform);
                }
            };
        // matmul reads the batch (x through `order`, with the counters and hyperparameters) in layer 0.
        let mm = [0, 1, 2, 3, 5, 6, 7];
        // matmul's workgroups: one per 64 × 64 block of C (layers.wgsl's BLOCK).
        let tiles = |rows: usize, cols: usize| (u(cols.div_ceil(64)), u(rows.div_ceil(64)));
        let act_code = |l: usize| {
            if l + 1 == nl {
                3
            } else {
                activation_code(arch.activations.get(l).copied().unwrap_or(Activation::Linear))
            }
        };
        // Forward.
        for (l, &(w_off, b_off, n_i, n_o)) in layers.iter().enumerate() {
            let op = Op {
                m: u(b),
                n: u(n_o),
                k: u(n_i),
                a_off: u(act_off[l]),
                a_rs: u(n_i),
                a_cs: 1,
                b_off: u(w_off),
                b_rs: 1,
                b_cs: u(n_i),
                c_off: u(act_off[l + 1]),
                aux_off: u(b_off),
                act: act_code(l),
                mode: 0,
                a_buf: if l == 0 { 2 } else { 0 },
                b_buf: 1,
                c_buf: 0,
                ..Op::default()
            };
            push("matmul", op, &mm, tiles(b, n_o), &mut keep);
        }
        let delta = |l: usize| delta_off[l % 2];
        let out = Op { m: u(b), n: u(n_out), a_off: u(act_off[nl]), c_off: u(delta(nl - 1)), ..Op::default() };
        push("output_delta", out, &[0, 1, 4, 5, 6, 7], (u(b.div_ceil(64)), 1), &mut keep);
        // Backward, last layer first.
        for l in (0..nl).rev() {
            let (w_off, b_off, n_i, n_o) = layers[l];
            let gw = Op {
                m: u(n_o),
                n: u(n_i),
                k: u(b),
                a_off: u(delta(l)),
                a_rs: 1,
                a_cs: u(n_o),
                b_off: u(act_off[l]),
                b_rs: u(n_i),
                b_cs: 1,
                c_off: u(p + w_off),
                aux_off: u(p + b_off),
                mode: 2,
                b_buf: if l == 0 { 2 } else { 0 },
                c_buf: 1,
                ..Op::default()
            };
            push("matmul", gw, &mm, tiles(n_o, n_i), &mut keep);
            if l > 0 {
                let da = Op {
                    m: u(b),
                    n: u(n_i),
                    k: u(n_o),
                    a_off: u(delta(l)),
                    a_rs: u(n_o),
                    a_cs: 1,
                    b_off: u(w_off),
                    b_rs: u(n_i),
                    b_cs: 1,
                    c_off: u(delta(l - 1)),
                    aux_off: u(act_off[l]),
                    act: act_code(l - 1),
                    mode: 1,
                    b_buf: 1,
                    ..Op::default()
                };
                push("matmul", da, &mm, tiles(b, n_i), &mut keep);
            }
        }
        push("update", Op::default(), &[0, 2, 6, 7, 8], ctx.grid(u(p.div_ceil(256)))?, &mut keep);
        keep.extend([work, x, y, mask]);
        Ok(Tiled { par, counter, hyper, order, order_len, steps, _keep: keep })
    }
    /// Applies hyperparameters mid-run like [`Trainer::update`]; a new batch size needs a new trainer (the
    /// device's buffers are sized for it).
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
        let (b, len) = (self.cpu.batch_size(), self.cpu.data().train.len());
        let spe = self.cpu.steps_per_epoch() as usize;
        let remaining = (self.cpu.total_steps() - self.cpu.steps()) as usize / spe.max(1);
        let epochs = if len % b == 0 { MIN_STEPS_PER_DISPATCH.div_ceil(spe).clamp(1, remaining.max(1)) } else { 1 };
        let mut order: Vec<u32> = Vec::with_capacity(epochs * len);
        for _ in 0..epochs {
            order.extend(self.cpu.next_epoch_order().into_iter().map(|r| r as u32));
        }
        let total_steps = epochs * spe;
        let p = self.cpu.architecture().params();
        let clock = web_time::Instant::now();
        let theta = match &self.engine {
            Engine::Fused(f) => self.run_fused(f, &order, total_steps).await?,
            Engine::Tiled(t) => self.run_tiled(t, &order, total_steps).await?,
        };
        debug_assert_eq!(theta.len(), p);
        self.steps_done += total_steps as u64;
        self.cpu.set_state(
            theta.into_iter().map(f64::from).collect(),
            total_steps as u64,
            clock.elapsed().as_secs_f64() * 1e3,
        );
        Ok(())
    }

    async fn run_fused(&self, f: &Fused, order: &[u32], total_steps: usize) -> Result<Vec<f32>> {
        let arch = self.cpu.architecture();
        let b = self.cpu.batch_size();
        let chunk = (MAX_DISPATCH_WORK / (b * arch.params()).max(1)).max(1);
        let base = NetRow { rows: order.len() as u32, ..NetRow::of(&self.cpu) };
        let ctx = &self.ctx;
        let steps_done = self.steps_done as usize;
        ctx.scoped(|| {
            let order_buf = ctx.upload("train order", order);
            let pipeline = ctx.pipeline(SGD_EPOCH_SHADER, "sgd_epoch");
            let [x, y, scratch, m, v] = &f.buffers[..] else { unreachable!("five buffers") };
            let mut encoder = ctx.device().create_command_encoder(&Default::default());
            let mut keep = Vec::new();
            let mut first = 0;
            while first < total_steps {
                let steps = chunk.min(total_steps - first);
                let row = NetRow { steps: steps as u32, step0: first as u32, t0: (steps_done + first) as u32, ..base };
                let table = ctx.upload("train params", &[row]);
                let bind = ctx.bind(
                    &pipeline,
                    &[(0, &table), (2, x), (3, y), (5, &order_buf), (6, &f.theta), (7, scratch), (8, m), (9, v)],
                );
                {
                    let mut pass = encoder.begin_compute_pass(&Default::default());
                    pass.set_pipeline(&pipeline);
                    pass.set_bind_group(0, &bind, &[]);
                    pass.dispatch_workgroups(1, 1, 1);
                }
                keep.push(table);
                first += steps;
            }
            ctx.queue().submit([encoder.finish()]);
        })
        .await?;
        ctx.read_f32(&f.theta, arch.params()).await
    }

    /// One submission for all the steps: the batch index and Adam's step count advance on the device.
    async fn run_tiled(&self, t: &Tiled, order: &[u32], total_steps: usize) -> Result<Vec<f32>> {
        let cfg = &self.cpu.config;
        let p = self.cpu.architecture().params();
        let hyper = Hyper {
            batch: self.cpu.batch_size() as u32,
            rows: order.len() as u32,
            p: p as u32,
            loss: u32::from(cfg.loss == Loss::Xent),
            optimizer: optimizer_code(cfg.optimizer),
            reg: reg_code(cfg.reg),
            lr: self.cpu.current_lr() as f32,
            reg_rate: cfg.reg_rate as f32,
            momentum: cfg.momentum as f32,
            adam: adam_constants(),
        };
        if order.len() > t.order_len {
            return Err(Error::Invalid {
                name: "epochs",
                message: format!("an order of {} rows exceeds the device's {}", order.len(), t.order_len),
            });
        }
        let ctx = &self.ctx;
        let steps_done = self.steps_done as u32;
        ctx.scoped(|| {
            ctx.queue().write_buffer(&t.hyper, 0, bytemuck::bytes_of(&hyper));
            ctx.queue().write_buffer(&t.counter, 0, bytemuck::cast_slice(&[0u32, steps_done, 0, 0]));
            ctx.queue().write_buffer(&t.order, 0, bytemuck::cast_slice(order));
            let mut encoder = ctx.device().create_command_encoder(&Default::default());
            {
                let mut pass = encoder.begin_compute_pass(&Default::default());
                for s in 0..total_steps {
                    for (pipeline, bind, (gx, gy)) in &t.steps[s % 2] {
                        pass.set_pipeline(pipeline);
                        pass.set_bind_group(0, bind, &[]);
                        pass.dispatch_workgroups(*gx, *gy, 1);
                    }
                }
            }
            ctx.queue().submit([encoder.finish()]);
        })
        .await?;
        ctx.read_f32(&t.par, p).await
    }
}

impl Stepper for GpuTrainer {
    /// One dispatch (one or more whole epochs) per call, then a frame from the CPU trainer.
    async fn step(&mut self, budget: Budget) -> Result<Frame> {
        if let Some(f) = self.cpu.finished_frame() {
            return Ok(f);
        }
        let start = web_time::Instant::now();
        if self.cpu.steps() < self.cpu.total_steps() && self.cpu.stopped().is_none() && !self.cpu.measuring() {
            let before = self.cpu.params().to_vec();
            self.dispatch_epochs().await?;
            if self.cpu.diverged() {
                self.cpu.set_state(before, 0, 0.0);
                self.cpu.stop(StopReason::Divergence);
            }
        }
        Ok(self.cpu.frame_after(start, budget.max_millis))
    }
}
