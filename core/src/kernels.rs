//! The kernel check (the Kernels page, `regula kernels`): on a rows × cols matrix drawn from a seed, each trial runs the
//! reduction ⊕ ∈ {sum, max, LSE} per row or column on the GPU (f32, `shaders/reduce/reduce.wgsl`) and on
//! the CPU twin (f64), and reports their largest difference against the stated tolerance
//! ([`crate::reduce::tolerance`]) and both timings. It is the smallest real stepper: problem (params,
//! validated) → solver (a state advanced by `step`) → frames.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use web_time::Instant;

use crate::backend::{Backend, BackendChoice};
use crate::cpu;
use crate::error::{Error, Result};
use crate::frame::{Budget, Frame, Stepper, StopReason};
use crate::gpu::reduce::Reduction;
use crate::lab::{field, Def, Field, Lab, Preset};
use crate::metrics as key;
use crate::reduce::{tolerance, ReduceAxis, ReduceOp};
use crate::rng::SplitMix64;

/// Largest matrix the check accepts on any backend (2²⁴ elements: 128 MiB as f64 on the CPU side).
pub const MAX_ELEMENTS: usize = 1 << 24;
/// Largest number of trials in one run.
pub const MAX_TRIALS: u64 = 1_000_000;

/// The check's parameters (the page's panel, the CLI's flags, links, JSON).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Params {
    pub rows: usize,
    pub cols: usize,
    pub op: ReduceOp,
    pub axis: ReduceAxis,
    pub trials: u64,
    pub seed: u64,
    #[serde(default)]
    pub backend: BackendChoice,
}

impl Default for Params {
    fn default() -> Self {
        Self {
            rows: 512,
            cols: 512,
            op: ReduceOp::Lse,
            axis: ReduceAxis::Cols,
            trials: 60,
            seed: 1,
            backend: BackendChoice::Auto,
        }
    }
}

const FIELDS: &[Field] = &[
    field("rows", "rows", "The matrix X reduced, filled from the seed; rows × cols up to 2²⁴.")
        .int(1, MAX_ELEMENTS as u64),
    field("cols", "cols", "Columns of X.").int(1, MAX_ELEMENTS as u64),
    field("op", "operation", "sum, max, or log-sum-exp (the Sinkhorn half-step's reduction).").choice(ReduceOp::NAMES),
    field("axis", "one result per", "rows: one result per row; cols: one per column.").choice(ReduceAxis::NAMES),
    field("trials", "trials", "How many fresh matrices are checked; each is one point on the charts.")
        .int(1, MAX_TRIALS),
    field("seed", "seed", "The random matrices; the same seed gives the same numbers on every backend."),
    field("backend", "backend", "auto/gpu runs the WGSL kernel beside its CPU twin (a software adapter too: the check is of the device); cpu runs the twin alone.")
        .choice(BackendChoice::NAMES),
];

impl Lab for Params {
    const DEF: &'static Def = &Def {
        page: "kernels",
        tab: None,
        command: "kernels",
        title: "Kernel check: the sum/max/LSE reduction on the GPU against its f64 CPU twin, trial by trial",
        fields: FIELDS,
        renamed: &[],
        presets: &[
            Preset {
                name: "lse-2048",
                title: "The log-domain Sinkhorn half-step: LSE down 2048 columns",
                source: "docs/methods.md §1 (Schmitzer 2019; Cuturi 2013): g_j ← ε log b_j − ε LSE_i((f_i − C_ij)/ε), one LSE per column",
                query: "rows=2048&cols=2048&op=lse&axis=cols&trials=20",
            },
            Preset {
                name: "ragged-65537",
                title: "Ragged shapes: one row of 65,537 (a workgroup and one)",
                source: "Guarantee 3: sizes that are not multiples of the workgroup (256) or of the chunk",
                query: "rows=1&cols=65537&op=sum&axis=rows&trials=30",
            },
            Preset {
                name: "tall-thin",
                title: "Tall and thin: max over each row of 8192 × 7",
                source: "Guarantee 3: many short lines, one per workgroup",
                query: "rows=8192&cols=7&op=max&axis=rows&trials=30",
            },
        ],
    };

    /// rows·cols ≤ [`MAX_ELEMENTS`].
    fn check(&self) -> Result<()> {
        crate::reduce::check_shape(self.rows, self.cols)?;
        let elements = self.rows.saturating_mul(self.cols);
        if elements > MAX_ELEMENTS {
            return Err(Error::TooBig { name: "rows × cols", value: elements as i64, max: MAX_ELEMENTS as i64 });
        }
        Ok(())
    }
}

impl Params {
    /// Every field in range, rows·cols ≤ [`MAX_ELEMENTS`].
    pub fn validate(&self) -> Result<()> {
        crate::lab::validate(self)
    }
}

/// Where a check runs: beside its CPU twin on the GPU when one is open and not declined — a software
/// adapter too, under `auto`: the check is of the device's kernels, not a race the CPU could win — else the
/// twin alone (with the reason). `gpu` asked for without a GPU is an error.
pub fn placement(params: &Params, device: &Backend) -> Result<Backend> {
    crate::backend::place_on_any_adapter(params.backend, device)
}

/// The GPU side of a check: the input buffer stays on the device; each trial overwrites it.
struct GpuSide {
    ctx: std::rc::Rc<crate::gpu::GpuContext>,
    input: wgpu::Buffer,
    reduction: Reduction,
}

/// The kernel-check stepper. One iteration = one trial on fresh data.
pub struct KernelCheck {
    params: Params,
    gpu: Option<GpuSide>,
    rng: SplitMix64,
    data: Vec<f64>,
    data_f32: Vec<f32>,
    iteration: u64,
    elapsed_ms: f64,
    all_within_tolerance: bool,
    last: Option<Frame>,
}

impl KernelCheck {
    /// Validates `params` and prepares the buffers and pipelines on `backend`.
    pub async fn new(params: Params, backend: &Backend) -> Result<Self> {
        params.validate()?;
        let n = params.rows * params.cols;
        let gpu = match backend.gpu() {
            Some(ctx) => {
                let input = {
                    ctx.check_storage_size(|| format!("a {} × {} f32 matrix", params.rows, params.cols), n as u64 * 4)?;
                    ctx.scoped(|| ctx.storage("check input", n as u64 * 4)).await?
                };
                let reduction = Reduction::new(ctx, &input, params.rows, params.cols, params.op, params.axis).await?;
                Some(GpuSide { ctx: ctx.clone(), input, reduction })
            }
            None => None,
        };
        Ok(Self {
            rng: SplitMix64::new(params.seed),
            data: vec![0.0; n],
            data_f32: vec![0.0; n],
            params,
            gpu,
            iteration: 0,
            elapsed_ms: 0.0,
            all_within_tolerance: true,
            last: None,
        })
    }

    pub fn params(&self) -> &Params {
        &self.params
    }

    /// Draws the next trial's matrix: uniform in [−8, 8), rounded to f32 for both sides so the comparison
    /// measures the kernels, not the input rounding.
    fn draw(&mut self) {
        for (d, s) in self.data.iter_mut().zip(self.data_f32.iter_mut()) {
            let v = (16.0 * self.rng.uniform() - 8.0) as f32;
            *s = v;
            *d = f64::from(v);
        }
    }

    async fn trial(&mut self) -> Result<BTreeMap<String, f64>> {
        self.draw();
        let p = &self.params;
        let bytes = (p.rows * p.cols * 4) as f64;
        let mut metrics = BTreeMap::new();

        let t = Instant::now();
        let x = ndarray::ArrayView2::from_shape((p.rows, p.cols), &self.data[..]).expect("sized in new");
        let cpu = cpu::reduce::reduce_view(x, p.op, p.axis);
        let cpu_ms = t.elapsed().as_secs_f64() * 1e3;
        metrics.insert(key::CPU_MS.to_owned(), cpu_ms);
        metrics.insert(key::CPU_GBPS.to_owned(), 2.0 * bytes / (cpu_ms.max(1e-6) * 1e6));

        if let Some(gpu) = &self.gpu {
            gpu.ctx.queue().write_buffer(&gpu.input, 0, bytemuck::cast_slice(&self.data_f32));
            let t = Instant::now();
            let ys = gpu.reduction.run(&gpu.ctx).await?;
            let gpu_ms = t.elapsed().as_secs_f64() * 1e3;
            let (_, len) = p.axis.outputs_and_len(p.rows, p.cols);
            let abs_sums = cpu::reduce::reduce_view(x.mapv(f64::abs).view(), ReduceOp::Sum, p.axis);
            let mut max_abs = 0.0f64;
            let mut max_ratio = 0.0f64;
            for ((g, c), a) in ys.iter().zip(cpu.iter()).zip(abs_sums.iter()) {
                let diff = (f64::from(*g) - c).abs();
                let diff = if diff.is_nan() { f64::INFINITY } else { diff };
                max_abs = max_abs.max(diff);
                max_ratio = max_ratio.max(diff / tolerance(p.op, len, *a, *c));
            }
            metrics.insert(key::GPU_MS.to_owned(), gpu_ms);
            metrics.insert(key::GPU_GBPS.to_owned(), bytes / (gpu_ms.max(1e-6) * 1e6));
            metrics.insert(key::MAX_ABS_DIFF.to_owned(), max_abs);
            metrics.insert(key::DIFF_OVER_TOLERANCE.to_owned(), max_ratio);
            self.all_within_tolerance &= max_ratio <= 1.0;
        }
        Ok(metrics)
    }
}

impl Stepper for KernelCheck {
    /// Runs trials until the budget is spent or `trials` are done. `converged` means every trial so far had
    /// GPU and CPU within tolerance (trivially true on the CPU backend, which has nothing to compare).
    async fn step(&mut self, budget: Budget) -> Result<Frame> {
        if let Some(last) = self.last.as_ref().filter(|f| f.done) {
            return Ok(last.clone());
        }
        let start = Instant::now();
        let mut metrics = BTreeMap::new();
        let mut ran = 0u64;
        while ran < budget.max_iterations && self.iteration < self.params.trials {
            metrics = self.trial().await?;
            self.iteration += 1;
            ran += 1;
            if start.elapsed().as_secs_f64() * 1e3 >= budget.max_millis {
                break;
            }
        }
        self.elapsed_ms += start.elapsed().as_secs_f64() * 1e3;
        let done = self.iteration >= self.params.trials;
        let frame = Frame {
            iteration: self.iteration,
            metrics,
            elapsed_ms: self.elapsed_ms,
            done,
            converged: self.all_within_tolerance,
            stop: done.then_some(StopReason::Completed),
            phase: None,
        };
        self.last = Some(frame.clone());
        Ok(frame)
    }
}

impl crate::lab::run::Runnable for Params {
    type Run = KernelCheck;
    fn start<'a>(&'a self, device: &'a Backend) -> crate::lab::run::LocalFuture<'a, Result<Vec<KernelCheck>>> {
        Box::pin(async move { Ok(vec![KernelCheck::new(self.clone(), &placement(self, device)?).await?]) })
    }
}
