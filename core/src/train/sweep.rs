//! Sweeps: many small networks trained side by side over a grid of two training hyperparameters (learning
//! rate, L1/L2 rate, batch, width, label noise, initialization, seed), `seeds` nets per cell, so that
//! "how does the outcome change with η and λ?" is one run and one picture (a phase diagram) instead of
//! runs by hand.
//!
//! Every net is the single-run trainer ([`Trainer`]) with its cell's parameters, so a sweep's net k is,
//! bit for bit, the solo run of [`Sweep::net_params`]`(k)` (a test holds it). The sweep is a stepper: each
//! step advances the nets a slice of epochs at a time, round-robin, under the frame's budget, on the
//! worker pool's threads natively (one net per thread at a time) and on the calling thread in the browser.
//! On a GPU ([`gpu`]) every net trains in one dispatch of the one-workgroup kernel, a workgroup per net,
//! f32, frames made on the CPU in f64 from the weights read back — as the single-run GPU trainer does.

use std::sync::Mutex;

use serde::{Deserialize, Serialize};
use web_time::Instant;

use super::data::{DatasetKind, Feature, NoiseKind};
use super::gpu::GpuKernel;
use super::lab::{elr_default, train_fields, Params as TrainParams};
use super::mlp::{Activation, Init, Loss};
use super::trainer::{Optimizer, Regularization, Schedule, Trainer};
use crate::backend::{Backend, BackendChoice};
use crate::error::{Error, Result};
use crate::frame::{Budget, Frame, Stepper, StopReason};
use crate::lab::{field, Def, Field, Lab, Preset};
use crate::metrics as key;

crate::choice! {
    /// What a sweep axis varies (`--x`, `--y`; `none`: a one-axis sweep).
    pub enum Axis("axis") {
        /// The learning rate η.
        Lr => "lr",
        /// The L1 penalty's rate (regularization set to L1).
        L1 => "l1",
        /// The L2 penalty's rate (regularization set to L2).
        L2 => "l2",
        /// The mini-batch size (0: full batch).
        Batch => "batch",
        /// The width of every hidden layer.
        Width => "width",
        /// The share of training labels flipped.
        LabelNoise => "label-noise",
        /// The initialization: 0 lecun, 1 pytorch, 2 playground.
        Init => "init",
        /// The seed (data, initial weights, batch order).
        Seed => "seed",
        /// No second axis.
        None => "none",
    }
}

crate::choice! {
    /// What the phase diagram shows per cell (the mean over its seeds).
    pub enum Show("show") {
        /// Test error: 1 − accuracy (classification), the test loss (regression).
        TestError => "test-error",
        /// The training loss.
        TrainLoss => "train-loss",
        /// Sharpness over the stability threshold: λmax / (2/η) (1 is the edge of stability).
        Sharpness => "sharpness",
        /// Wu & Su's mini-batch bound over 2/η: (tr(H)/B + (1 − 1/B)·λmax) / (2/η).
        BatchBound => "batch-bound",
    }
}

impl Axis {
    /// The axis's caption on a phase diagram.
    pub fn label(self) -> &'static str {
        match self {
            Axis::Lr => "learning rate η",
            Axis::L1 => "L1 rate",
            Axis::L2 => "L2 rate",
            Axis::Batch => "batch (0: full)",
            Axis::Width => "hidden width",
            Axis::LabelNoise => "label noise",
            Axis::Init => "initialization",
            Axis::Seed => "seed",
            Axis::None => "",
        }
    }
}

impl Show {
    /// What a cell's colour means, in words.
    pub fn label(self) -> &'static str {
        match self {
            Show::TestError => "test error",
            Show::TrainLoss => "training loss",
            Show::Sharpness => "λmax / (2/η)",
            Show::BatchBound => "(tr H/B + (1 − 1/B) λmax) / (2/η)",
        }
    }
}

/// The grid of a sweep.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Grid {
    pub x: Axis,
    pub x_values: Vec<f64>,
    pub y: Axis,
    /// Ignored when `y` is `none`.
    pub y_values: Vec<f64>,
    /// Nets per cell, seeds `seed`, `seed + 1`, … (1 when an axis is the seed).
    pub seeds: usize,
    pub show: Show,
}

/// A sweep's parameters: the training lab's under `train` (the train every net starts from; the same CLI
/// flags as `regula train`) and the grid. (Nested, not serde-flattened: flattening instantiated every
/// training type's deserializer a second time, ~90 kB of the page.)
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Params {
    pub train: TrainParams,
    pub sweep: Grid,
}

impl Default for Params {
    /// η × width on Playground's spiral (2 seeds a cell): too small a net underfits at every η, too large
    /// an η diverges at every width.
    fn default() -> Self {
        let mut train = TrainParams::default();
        train.config.hessian_every = 0;
        train.config.epochs = 200;
        Self {
            train,
            sweep: Grid {
                x: Axis::Lr,
                x_values: vec![0.01, 0.03, 0.1, 0.3, 1.0, 3.0],
                y: Axis::Width,
                y_values: vec![2.0, 4.0, 8.0, 16.0],
                seeds: 2,
                show: Show::TestError,
            },
        }
    }
}

/// The most nets one sweep holds, and the memory they may take (each net holds its own data, weights and
/// optimizer state): beyond either, `--shard` splits the grid over runs.
pub const MAX_NETS: usize = 4096;
pub const MAX_BYTES: usize = 512 << 20;

const SWEEP_FIELDS: &[Field] = train_fields!(
    "train.",
    field("sweep.x", "x axis", "The hyperparameter across the phase diagram.").choice(Axis::NAMES),
    field(
        "sweep.x_values",
        "x values",
        "The x axis's values, comma-separated (init: 0 lecun, 1 pytorch, 2 playground)."
    )
    .reals(0.0, 1e9),
    field("sweep.y", "y axis", "The hyperparameter up the phase diagram (none: one row).").choice(Axis::NAMES),
    field("sweep.y_values", "y values", "The y axis's values, comma-separated.").reals(0.0, 1e9),
    field("sweep.seeds", "seeds per cell", "Nets per cell, seeds seed, seed + 1, …: the cell shows their mean.")
        .int(1, 64),
    field(
        "sweep.show",
        "show",
        "The cell's colour: test error, training loss, sharpness over 2/η, or Wu & Su's mini-batch bound over 2/η."
    )
    .choice(Show::NAMES),
);

impl Lab for Params {
    const DEF: &'static Def = &Def {
        page: "training",
        tab: Some("sweep"),
        command: "sweep train",
        title: "Sweep: many small networks over a grid of two hyperparameters, trained side by side — a phase diagram",
        fields: SWEEP_FIELDS,
        renamed: &[],
        presets: &[
            Preset {
                name: "eos-lr-seed",
                title: "Edge of stability: η × seed (PyTorch init)",
                source: "Cohen et al. 2021: 2-32-32-1 tanh, 200-point spiral, full-batch GD on ½·MSE, their initialization; λmax/(2/η) → 1 where training settles, divergence where the initial sharpness is far above 2/η",
                query: "train.data.train_ratio=1&train.config.hidden=32,32&train.config.batch=0&train.config.epochs=1000&train.config.init=pytorch&sweep.x=lr&sweep.x_values=0.05,0.1,0.2,0.5,1&sweep.y=seed&sweep.y_values=0,1,2,3,4,5,6,7&sweep.seeds=1&sweep.show=sharpness",
            },
            Preset {
                name: "eos-lr-init",
                title: "Edge of stability: η × initialization",
                source: "the same over the three initializations (y: 0 lecun, 1 pytorch, 2 playground), 4 seeds a cell",
                query: "train.data.train_ratio=1&train.config.hidden=32,32&train.config.batch=0&train.config.epochs=1000&sweep.x=lr&sweep.x_values=0.05,0.1,0.2,0.5,1&sweep.y=init&sweep.y_values=0,1,2&sweep.seeds=4&sweep.show=sharpness",
            },
            Preset {
                name: "batch-lr",
                title: "Mini-batch bound: batch × η",
                source: "Wu & Su 2023: SGD settles where tr(H)/B + (1 − 1/B)·λmax ≤ 2/η — the cell shows that quantity over 2/η (≤ 1 where stable)",
                query: "train.data.train_ratio=1&train.config.hidden=32,32&train.config.epochs=200&sweep.x=lr&sweep.x_values=0.02,0.05,0.1,0.2,0.5&sweep.y=batch&sweep.y_values=5,10,20,50,0&sweep.seeds=1&sweep.show=batch-bound",
            },
            Preset {
                name: "l2-width-noisy",
                title: "L2 × width on noisy labels",
                source: "double descent in width with 20 % flipped labels, and L2 damping its peak (Nakkiran et al. 2020's setting, toy-sized: ours)",
                query: "train.data.kind=gauss&train.data.n=300&train.data.noise=0.3&train.data.train_ratio=0.5&train.data.label_noise=0.2&train.config.epochs=300&train.config.reg=l2&sweep.x=width&sweep.x_values=1,2,4,8,16,32,64&sweep.y=l2&sweep.y_values=0,0.0001,0.001,0.01&sweep.seeds=2",
            },
        ],
    };

    /// The grid's values suit their axes, the grid fits, and the train run is valid.
    fn check(&self) -> Result<()> {
        let g = &self.sweep;
        if g.x == Axis::None {
            return Err(invalid("x", "the x axis must vary something (y may be none)".into()));
        }
        if g.x == g.y {
            return Err(invalid("y", format!("both axes are {}", g.x)));
        }
        if g.seeds > 1 && (g.x == Axis::Seed || g.y == Axis::Seed) {
            return Err(invalid("seeds", "an axis is the seed: use 1 seed per cell".into()));
        }
        for (axis, values, name) in [(g.x, &g.x_values, "x-values"), (g.y, &g.y_values, "y-values")] {
            for &v in values.iter().filter(|_| axis != Axis::None) {
                check_value(axis, v).map_err(|m| invalid(name, m))?;
            }
        }
        let nets = self.len();
        if nets == 0 {
            return Err(invalid("x-values", "the grid is empty".into()));
        }
        if nets > MAX_NETS {
            return Err(invalid(
                "seeds",
                format!("{nets} nets: a sweep holds at most {MAX_NETS} (split it with --shard)"),
            ));
        }
        self.train.check()?;
        // Every cell's own parameters (a batch larger than the training set, a width the GPU limit…) are
        // checked as each net starts: a bad cell is marked, the others run.
        let data = self.train.dataset().build()?;
        let arch = self.net_params(0).config.architecture(&data)?;
        let per_net = net_bytes(data.x.len() + 3 * data.rows() * data.outputs(self.train.config.loss), arch.params());
        if per_net.saturating_mul(nets) > MAX_BYTES {
            return Err(invalid(
                "seeds",
                format!(
                    "{nets} nets of ~{} kB each (data, weights and optimizer state) need {} MB; the budget is {} MB, \
                     so at most {} nets fit — fewer values or seeds, or --shard",
                    per_net / 1000,
                    per_net * nets / 1_000_000,
                    MAX_BYTES >> 20,
                    MAX_BYTES / per_net.max(1)
                ),
            ));
        }
        Ok(())
    }
}

fn invalid(name: &'static str, message: String) -> Error {
    Error::Invalid { name, message }
}

/// Bytes a net holds: its data and targets (`data_values` numbers) and six vectors of its `params`.
fn net_bytes(data_values: usize, params: usize) -> usize {
    8 * (data_values + 6 * params) + 4096
}

/// `v` is a value axis `axis` takes.
fn check_value(axis: Axis, v: f64) -> std::result::Result<(), String> {
    let whole = v.fract() == 0.0;
    match axis {
        Axis::Lr if v <= 0.0 => Err(format!("a learning rate must be > 0, got {v}")),
        Axis::Batch if !whole => Err(format!("a batch size is a whole number, got {v}")),
        Axis::Width if !whole || !(1.0..=4096.0).contains(&v) => {
            Err(format!("a width is a whole number in 1..=4096, got {v}"))
        }
        Axis::LabelNoise if v >= 1.0 => Err(format!("label noise is a share below 1, got {v}")),
        Axis::Init if !whole || v > 2.0 => Err(format!("init is 0 (lecun), 1 (pytorch) or 2 (playground), got {v}")),
        Axis::Seed if !whole => Err(format!("a seed is a whole number, got {v}")),
        _ => Ok(()),
    }
}

impl Params {
    fn y_len(&self) -> usize {
        if self.sweep.y == Axis::None {
            1
        } else {
            self.sweep.y_values.len()
        }
    }

    /// Rows of the phase diagram (1 when `y` is `none`).
    pub fn rows(&self) -> usize {
        self.y_len()
    }

    /// The columns' and rows' tick labels.
    pub fn ticks(&self) -> (Vec<String>, Vec<String>) {
        let g = &self.sweep;
        let x = g.x_values.iter().map(|&v| value_label(g.x, v)).collect();
        let y = if g.y == Axis::None {
            vec![String::new()]
        } else {
            g.y_values.iter().map(|&v| value_label(g.y, v)).collect()
        };
        (x, y)
    }

    /// The phase diagram before any net has run: one empty cell per (x, y), row-major from y = 0.
    pub fn empty_cells(&self) -> Vec<Cell> {
        let nx = self.sweep.x_values.len().max(1);
        (0..self.cells())
            .map(|c| Cell {
                ix: c % nx,
                iy: c / nx,
                value: None,
                nets: 0,
                done: 0,
                diverged: 0,
                error: None,
                epoch: 0.0,
            })
            .collect()
    }

    /// Cells in the grid (x × y).
    pub fn cells(&self) -> usize {
        self.sweep.x_values.len() * self.y_len()
    }

    /// Nets in the grid (cells × seeds).
    pub fn len(&self) -> usize {
        self.cells() * self.sweep.seeds.max(1)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Net `k`'s place: (x index, y index, seed index); nets run y-major, then x, then seed.
    pub fn place(&self, k: usize) -> (usize, usize, usize) {
        let s = self.sweep.seeds.max(1);
        let cell = k / s;
        let nx = self.sweep.x_values.len().max(1);
        (cell % nx, cell / nx, k % s)
    }

    /// True when the nets measure the Hessian (λmax and the trace) at their end: the shown measure needs
    /// it, or the train measures it along the way (`hessian every` > 0). Otherwise that measurement — power
    /// iteration and Hutchinson over the training set, often more work than a short run's training — is
    /// skipped, and the nets' records carry no sharpness.
    pub fn measures_hessian(&self) -> bool {
        matches!(self.sweep.show, Show::Sharpness | Show::BatchBound) || self.train.config.hessian_every > 0
    }

    /// The trainer of a net with parameters `p` (one of [`Params::net_params`]), as the sweep builds it.
    pub fn trainer(&self, p: &TrainParams) -> Result<Trainer> {
        let t = Trainer::new(p.dataset().build()?, p.config.clone())?;
        Ok(if self.measures_hessian() { t } else { t.without_final_hessian() })
    }

    /// Net `k`'s own parameters: the train with its cell's values and its seed — a single run's parameters,
    /// whose link opens that net on the training page.
    pub fn net_params(&self, k: usize) -> TrainParams {
        let (ix, iy, s) = self.place(k);
        let mut p = self.train.clone();
        p.config.seed = p.config.seed.wrapping_add(s as u64);
        apply(&mut p, self.sweep.x, self.sweep.x_values.get(ix).copied().unwrap_or(0.0));
        if self.sweep.y != Axis::None {
            apply(&mut p, self.sweep.y, self.sweep.y_values.get(iy).copied().unwrap_or(0.0));
        }
        p
    }
}

/// Sets `axis` to `v` in a run's parameters.
fn apply(p: &mut TrainParams, axis: Axis, v: f64) {
    let c = &mut p.config;
    match axis {
        Axis::Lr => c.lr = v,
        Axis::L1 => (c.reg, c.reg_rate) = (Regularization::L1, v),
        Axis::L2 => (c.reg, c.reg_rate) = (Regularization::L2, v),
        Axis::Batch => c.batch = v as usize,
        Axis::Width => c.hidden.iter_mut().for_each(|w| *w = v as usize),
        Axis::LabelNoise => p.data.label_noise = v,
        Axis::Init => c.init = Init::ALL.get(v as usize).copied().unwrap_or_default(),
        Axis::Seed => c.seed = v as u64,
        Axis::None => {}
    }
}

/// An axis value as a label (init by name).
pub fn value_label(axis: Axis, v: f64) -> String {
    match axis {
        Axis::Init => Init::ALL.get(v as usize).map_or_else(|| v.to_string(), |i| i.name().to_owned()),
        _ => v.to_string(),
    }
}

/// A grid axis from the CLI's `--grid NAME=SPEC`: `lr=1e-3:1:log:16` (16 values from 1e-3 to 1, log-spaced),
/// `width=2:32:lin:4` or `width=2:32:4` (evenly spaced; whole-number axes rounded), or a list
/// `l2=0,1e-4,1e-3`.
pub fn parse_grid(text: &str) -> Result<(Axis, Vec<f64>)> {
    let bad = |m: String| invalid("grid", format!("`{text}`: {m}"));
    let (name, spec) = text.split_once('=').ok_or_else(|| bad("write NAME=SPEC, e.g. lr=1e-3:1:log:16".into()))?;
    let axis: Axis = name.trim().parse()?;
    if axis == Axis::None {
        return Err(bad("`none` is not an axis to sweep".into()));
    }
    let num = |s: &str| {
        s.trim().parse::<f64>().ok().filter(|v| v.is_finite()).ok_or_else(|| bad(format!("`{s}` is not a number")))
    };
    let parts: Vec<&str> = spec.split(':').collect();
    let values = match parts.as_slice() {
        [list] => list.split(',').map(num).collect::<Result<Vec<_>>>()?,
        [a, b, rest @ ..] if rest.len() <= 2 => {
            let (a, b) = (num(a)?, num(b)?);
            let (log, n) = match rest {
                [n] => (false, *n),
                [kind, n] if *kind == "log" || *kind == "lin" => (*kind == "log", *n),
                _ => return Err(bad("the spacing is lin or log".into())),
            };
            let n: usize = n
                .trim()
                .parse()
                .ok()
                .filter(|&n| (1..=MAX_NETS).contains(&n))
                .ok_or_else(|| bad(format!("`{n}` values: give 1..={MAX_NETS}")))?;
            if log && (a <= 0.0 || b <= 0.0) {
                return Err(bad("a log-spaced range needs both ends > 0".into()));
            }
            let at = |k: usize| if n == 1 { 0.0 } else { k as f64 / (n - 1) as f64 };
            let whole = matches!(axis, Axis::Batch | Axis::Width | Axis::Seed | Axis::Init);
            let mut v: Vec<f64> = (0..n)
                .map(|k| if log { (a.ln() + at(k) * (b.ln() - a.ln())).exp() } else { a + at(k) * (b - a) })
                .map(|v| if whole { v.round() } else { significant(v, if log { 3 } else { 12 }) })
                .collect();
            v.dedup();
            v
        }
        _ => return Err(bad("write FROM:TO:log:COUNT, FROM:TO:COUNT or a comma-separated list".into())),
    };
    for &v in &values {
        check_value(axis, v).map_err(bad)?;
    }
    Ok((axis, values))
}

/// `v` rounded to `digits` significant digits (a log-spaced grid's 0.0313 rather than 0.031291346…).
fn significant(v: f64, digits: i32) -> f64 {
    if v == 0.0 || !v.is_finite() {
        return v;
    }
    let scale = 10f64.powi(digits - 1 - v.abs().log10().floor() as i32);
    (v * scale).round() / scale
}

/// One slice of a sweep's nets (`--shard i/n`, 0 ≤ i < n): nets `i·N/n .. (i+1)·N/n`, so that n runs (a
/// job array) share a grid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

impl Shard {
    pub const WHOLE: Shard = Shard { index: 0, count: 1 };

    /// `i/n`.
    pub fn parse(text: &str) -> Result<Self> {
        let bad = || invalid("shard", format!("`{text}`: write i/n with 0 ≤ i < n (e.g. 0/4)"));
        let (i, n) = text.split_once('/').ok_or_else(bad)?;
        let (index, count) = (i.trim().parse().map_err(|_| bad())?, n.trim().parse().map_err(|_| bad())?);
        if count == 0 || index >= count {
            return Err(bad());
        }
        Ok(Self { index, count })
    }

    /// The nets of a sweep of `len` this shard runs.
    pub fn range(self, len: usize) -> std::ops::Range<usize> {
        self.index * len / self.count..(self.index + 1) * len / self.count
    }
}

/// One net of a sweep and where it stands.
pub struct Net {
    /// Its index in the whole grid.
    pub index: usize,
    pub ix: usize,
    pub iy: usize,
    pub seed_index: usize,
    trainer: Option<Trainer>,
    /// Why the net could not run (its cell's parameters do not suit the data).
    pub error: Option<String>,
    /// Its latest frame.
    pub frame: Option<Frame>,
}

impl std::fmt::Debug for Net {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Net")
            .field("index", &self.index)
            .field("error", &self.error)
            .field("frame", &self.frame)
            .finish()
    }
}

impl Net {
    pub fn done(&self) -> bool {
        self.error.is_some() || self.frame.as_ref().is_some_and(|f| f.done)
    }

    pub fn diverged(&self) -> bool {
        self.frame.as_ref().is_some_and(|f| f.stop == Some(StopReason::Divergence))
    }

    pub fn metric(&self, name: &str) -> Option<f64> {
        self.frame.as_ref().and_then(|f| f.metric(name))
    }

    /// The value the phase diagram shows for this net.
    pub fn shown(&self, show: Show) -> Option<f64> {
        let over_threshold = |v: Option<f64>| Some(v? / self.metric(key::STABILITY_THRESHOLD)?);
        match show {
            Show::TestError => self.metric(key::TEST_ACCURACY).map(|a| 1.0 - a).or_else(|| self.metric(key::TEST_LOSS)),
            Show::TrainLoss => self.metric(key::TRAIN_LOSS),
            Show::Sharpness => over_threshold(self.metric(key::SHARPNESS)),
            Show::BatchBound => over_threshold(self.metric(key::BATCH_BOUND)),
        }
    }

    /// Trains `epochs` more epochs (or to its end) on the CPU and makes its frame.
    fn advance(&mut self, epochs: u64) {
        if let Some(t) = self.trainer.as_mut().filter(|_| !self.frame.as_ref().is_some_and(|f| f.done)) {
            t.run_updates(epochs.max(1) * t.steps_per_epoch().max(1));
        }
        self.make_frame();
    }

    /// The net's frame after its latest updates (the Hessian measured when due, on the CPU in f64).
    fn make_frame(&mut self) {
        let Some(t) = self.trainer.as_mut() else { return };
        if self.frame.as_ref().is_some_and(|f| f.done) {
            return;
        }
        let f = t.frame_after(Instant::now(), f64::INFINITY);
        if f.done {
            // A finished net keeps its frame; its data and weights are freed.
            self.trainer = None;
        }
        self.frame = Some(f);
    }
}

/// A cell of the phase diagram: its nets' mean of the shown value.
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    pub ix: usize,
    pub iy: usize,
    /// The mean over the cell's nets that have a value and did not diverge (`None`: none has one yet).
    pub value: Option<f64>,
    pub nets: usize,
    pub done: usize,
    pub diverged: usize,
    /// The first error among its nets.
    pub error: Option<String>,
    /// The mean epoch its nets have reached.
    pub epoch: f64,
}

/// A sweep in progress (a [`Stepper`]).
pub struct Sweep {
    params: Params,
    nets: Vec<Net>,
    /// Epochs a net trains between its frames: the run's epochs over ~50, so a net is evaluated ~50 times.
    chunk: u64,
    /// The next net a timed step starts with (round-robin, so every net moves under a short budget).
    cursor: usize,
    updates: u64,
    /// Time in the nets' training (CPU: updates with their frames; GPU: the rounds on the device).
    train_ms: f64,
    elapsed_ms: f64,
    placement: String,
    /// The GPU sweep, when the nets train on the device.
    gpu: Option<gpu::GpuSweep>,
}

impl std::fmt::Debug for Sweep {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sweep").field("nets", &self.nets.len()).field("updates", &self.updates).finish()
    }
}

impl Sweep {
    /// The nets of `shard` of `params`' grid, each built from its own parameters (a net whose cell does not
    /// suit the data is marked with the reason; the others run).
    pub fn new(params: Params, shard: Shard, device: &Backend) -> Result<Self> {
        crate::lab::validate(&params)?;
        let mut nets: Vec<Net> = shard
            .range(params.len())
            .map(|k| {
                let (ix, iy, seed_index) = params.place(k);
                let p = params.net_params(k);
                let built = crate::lab::validate(&p).and_then(|()| params.trainer(&p));
                let (trainer, error) = match built {
                    Ok(t) => (Some(t), None),
                    Err(e) => (None, Some(e.to_string())),
                };
                Net { index: k, ix, iy, seed_index, trainer, error, frame: None }
            })
            .collect();
        let unfit: Vec<(usize, String)> =
            nets.iter().enumerate().filter_map(|(k, n)| Some((k, gpu::unfit(n.trainer.as_ref()?)?))).collect();
        let (gpu, placement) = match (params.train.backend, device) {
            (BackendChoice::Cpu, _) => (None, "CPU, f64".to_owned()),
            (BackendChoice::Gpu, Backend::Cpu { fallback }) => {
                return Err(invalid(
                    "backend",
                    format!(
                        "the GPU was asked for, but there is none{}",
                        fallback.as_ref().map(|f| format!(": {f}")).unwrap_or_default()
                    ),
                ))
            }
            (BackendChoice::Auto, Backend::Cpu { fallback }) => {
                (None, format!("CPU, f64{}", fallback.as_ref().map(|f| format!("; {f}")).unwrap_or_default()))
            }
            (BackendChoice::Auto, Backend::Gpu(ctx)) if ctx.summary().is_software() => {
                (None, "CPU, f64; software GPU, the CPU is faster".to_owned())
            }
            (BackendChoice::Auto, Backend::Gpu(_)) if !unfit.is_empty() => {
                (None, format!("CPU, f64; {} nets do not fit the GPU kernel: {}", unfit.len(), unfit[0].1))
            }
            (_, Backend::Gpu(ctx)) => {
                // Asked for the GPU: nets past the kernel's limits are marked, the others train on it.
                for (k, why) in unfit {
                    nets[k].trainer = None;
                    nets[k].error = Some(why);
                }
                let g = gpu::GpuSweep::new(std::rc::Rc::clone(ctx), &nets)?;
                (Some(g), "GPU, f32: one workgroup per net, all nets in one dispatch".to_owned())
            }
        };
        let chunk = (params.train.config.epochs as u64).div_ceil(50).max(1);
        Ok(Self { params, nets, chunk, cursor: 0, updates: 0, train_ms: 0.0, elapsed_ms: 0.0, placement, gpu })
    }

    /// True when the nets train on the GPU.
    pub fn on_gpu(&self) -> bool {
        self.gpu.is_some()
    }

    pub fn params(&self) -> &Params {
        &self.params
    }

    pub fn nets(&self) -> &[Net] {
        &self.nets
    }

    /// Where the nets train, in words (the status line).
    pub fn placement(&self) -> &str {
        &self.placement
    }

    /// The phase diagram: one cell per (x, y), over this sweep's nets.
    pub fn cells(&self) -> Vec<Cell> {
        let (nx, ny) = (self.params.sweep.x_values.len(), self.params.y_len());
        let mut cells = self.params.empty_cells();
        let mut sums = vec![(0.0, 0usize); nx * ny];
        for n in &self.nets {
            let c = n.iy * nx + n.ix;
            let cell = &mut cells[c];
            cell.nets += 1;
            cell.done += usize::from(n.done());
            cell.diverged += usize::from(n.diverged());
            if cell.error.is_none() {
                cell.error.clone_from(&n.error);
            }
            cell.epoch += n.metric(key::EPOCH).unwrap_or(0.0);
            if let Some(v) = n.shown(self.params.sweep.show).filter(|v| v.is_finite() && !n.diverged()) {
                sums[c].0 += v;
                sums[c].1 += 1;
            }
        }
        for (cell, (sum, k)) in cells.iter_mut().zip(sums) {
            cell.value = (k > 0).then(|| sum / k as f64);
            cell.epoch /= cell.nets.max(1) as f64;
        }
        cells
    }

    /// Net `k` of this sweep as a JSON record (the CLI's line per net): its place, values, seed and metrics.
    pub fn record(&self, net: &Net) -> serde_json::Value {
        let g = &self.params.sweep;
        let p = self.params.net_params(net.index);
        let mut r = serde_json::json!({
            "net": net.index,
            "x": g.x.name(),
            "x_value": g.x_values.get(net.ix),
            "seed": p.config.seed,
            "diverged": net.diverged(),
        });
        if g.y != Axis::None {
            r["y"] = g.y.name().into();
            r["y_value"] = g.y_values.get(net.iy).copied().into();
        }
        if let Some(e) = &net.error {
            r["error"] = e.clone().into();
        }
        if let Some(f) = &net.frame {
            for (k, v) in &f.metrics {
                r[k] = (*v).into();
            }
        }
        r["link"] = crate::lab::link::encode(&p).into();
        r
    }
}

impl Stepper for Sweep {
    /// Advances the nets, `chunk` epochs each in turn (natively one net per worker thread at a time), until
    /// the budget is spent: a time budget (the page) goes round-robin from where the last step stopped; an
    /// iteration budget (the CLI, the tests) gives every unfinished net that many chunks.
    async fn step(&mut self, budget: Budget) -> Result<Frame> {
        if self.gpu.is_some() {
            return self.step_gpu(budget).await;
        }
        let start = Instant::now();
        let timed = budget.max_millis.is_finite();
        let rounds = if timed { u64::MAX } else { budget.max_iterations.max(1) };
        let threads = crate::cpu::pool::threads().max(1);
        let chunk = self.chunk;
        'rounds: for _ in 0..rounds {
            let mut order: Vec<usize> = (0..self.nets.len()).filter(|&k| !self.nets[k].done()).collect();
            if order.is_empty() {
                break;
            }
            let at = order.iter().position(|&k| k >= self.cursor).unwrap_or(0);
            order.rotate_left(at);
            for group in order.chunks(threads) {
                let before: u64 = group.iter().map(|&k| steps_of(&self.nets[k])).sum();
                let t = Instant::now();
                {
                    let slots: Vec<Mutex<&mut Net>> =
                        disjoint(&mut self.nets, group).into_iter().map(Mutex::new).collect();
                    crate::cpu::pool::map_parts(slots.len(), |i| {
                        if let Ok(mut n) = slots[i].lock() {
                            n.advance(chunk);
                        }
                    });
                }
                self.train_ms += t.elapsed().as_secs_f64() * 1e3;
                self.updates += group.iter().map(|&k| steps_of(&self.nets[k])).sum::<u64>() - before;
                self.cursor = group.last().map_or(0, |&k| k + 1);
                if timed && start.elapsed().as_secs_f64() * 1e3 >= budget.max_millis {
                    break 'rounds;
                }
            }
        }
        self.elapsed_ms += start.elapsed().as_secs_f64() * 1e3;
        Ok(self.frame())
    }
}

impl Sweep {
    /// GPU rounds (every unfinished net `chunk` epochs in one submission, θ read back once), each followed
    /// by the nets' frames on the CPU (over the worker pool natively), until the budget is spent.
    async fn step_gpu(&mut self, budget: Budget) -> Result<Frame> {
        let start = Instant::now();
        let timed = budget.max_millis.is_finite();
        let rounds = if timed { u64::MAX } else { budget.max_iterations.max(1) };
        for _ in 0..rounds {
            let Some(g) = self.gpu.as_mut() else { break };
            let t = Instant::now();
            let updates = g.round(&mut self.nets, self.chunk).await?;
            self.train_ms += t.elapsed().as_secs_f64() * 1e3;
            self.updates += updates;
            let open: Vec<usize> = (0..self.nets.len()).filter(|&k| !self.nets[k].done()).collect();
            let threads = crate::cpu::pool::threads().max(1);
            let mut all = disjoint(&mut self.nets, &open);
            let per = all.len().div_ceil(threads).max(1);
            let mut parts = Vec::new();
            while !all.is_empty() {
                let rest = all.split_off(per.min(all.len()));
                parts.push(Mutex::new(all));
                all = rest;
            }
            crate::cpu::pool::map_parts(parts.len(), |i| {
                if let Ok(mut ns) = parts[i].lock() {
                    ns.iter_mut().for_each(|n| n.make_frame());
                }
            });
            if updates == 0 || (timed && start.elapsed().as_secs_f64() * 1e3 >= budget.max_millis) {
                break;
            }
        }
        self.elapsed_ms += start.elapsed().as_secs_f64() * 1e3;
        Ok(self.frame())
    }
}

/// The updates net `n` has made.
fn steps_of(n: &Net) -> u64 {
    n.trainer.as_ref().map_or_else(|| n.frame.as_ref().map_or(0, |f| f.iteration), Trainer::steps)
}

impl Sweep {
    fn frame(&self) -> Frame {
        let done = self.nets.iter().filter(|n| n.done()).count();
        let diverged = self.nets.iter().filter(|n| n.diverged()).count();
        let failed = self.nets.iter().filter(|n| n.error.is_some()).count();
        let mut metrics = std::collections::BTreeMap::new();
        metrics.insert(key::SWEEP_NETS.to_owned(), self.nets.len() as f64);
        metrics.insert(key::SWEEP_DONE.to_owned(), done as f64);
        metrics.insert(key::SWEEP_DIVERGED.to_owned(), diverged as f64);
        metrics.insert(key::SWEEP_FAILED.to_owned(), failed as f64);
        metrics.insert(key::TRAIN_SECONDS.to_owned(), self.train_ms / 1e3);
        // Over the whole of the steps: updates, and the nets' frames (their f64 losses, the Hessian at the end).
        if self.elapsed_ms > 0.0 {
            metrics.insert(key::NET_STEPS_PER_SECOND.to_owned(), self.updates as f64 / (self.elapsed_ms / 1e3));
        }
        let all = done == self.nets.len();
        Frame {
            iteration: self.updates,
            metrics,
            elapsed_ms: self.elapsed_ms,
            done: all,
            converged: all && failed == 0,
            stop: all.then_some(StopReason::Completed),
            phase: Some(format!("{done} of {} nets done", self.nets.len())),
        }
    }
}

impl crate::lab::run::Runnable for Params {
    type Run = Sweep;
    fn start<'a>(&'a self, device: &'a Backend) -> crate::lab::run::LocalFuture<'a, Result<Vec<Sweep>>> {
        Box::pin(async move { Ok(vec![Sweep::new(self.clone(), Shard::WHOLE, device)?]) })
    }
}

/// Mutable borrows of `nets[k]` for the distinct indices `ks`.
fn disjoint<'a>(nets: &'a mut [Net], ks: &[usize]) -> Vec<&'a mut Net> {
    let mut sorted = ks.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let mut picked = Vec::with_capacity(sorted.len());
    let mut rest = nets;
    let mut offset = 0;
    for k in sorted {
        let Some((net, tail)) = std::mem::take(&mut rest).get_mut(k - offset..).and_then(<[Net]>::split_first_mut)
        else {
            break;
        };
        picked.push(net);
        rest = tail;
        offset = k + 1;
    }
    picked
}

mod gpu;

#[cfg(test)]
mod tests;
