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

use serde::{Deserialize, Serialize};

use super::data::{DatasetKind, Feature, NoiseKind};
use super::gpu::GpuKernel;
use super::lab::{elr_default, train_fields, Params as TrainParams};
use super::mlp::{Activation, Init, Loss};
use super::trainer::{Optimizer, Regularization, Schedule, Trainer};
use crate::backend::BackendChoice;
use crate::error::{Error, Result};
use crate::lab::sweep::{Axes, AxisKind, Labels, MeasureKind};
use crate::lab::{field, Def, Field, Lab, Preset};

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

impl AxisKind for Axis {
    const NONE: Self = Axis::None;
    const SEED: Self = Axis::Seed;
    fn name(self) -> &'static str {
        Axis::name(self)
    }
    fn label(self) -> &'static str {
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
    fn whole(self) -> bool {
        matches!(self, Axis::Batch | Axis::Width | Axis::Seed | Axis::Init)
    }
    fn check(self, v: f64) -> std::result::Result<(), String> {
        check_value(self, v)
    }
    /// Init by name.
    fn value_label(self, v: f64) -> String {
        match self {
            Axis::Init => Init::ALL.get(v as usize).map_or_else(|| v.to_string(), |i| i.name().to_owned()),
            _ => v.to_string(),
        }
    }
}

impl MeasureKind for Show {
    fn name(self) -> &'static str {
        Show::name(self)
    }
    fn label(self) -> &'static str {
        match self {
            Show::TestError => "test error",
            Show::TrainLoss => "training loss",
            Show::Sharpness => "λmax / (2/η)",
            Show::BatchBound => "(tr H/B + (1 − 1/B) λmax) / (2/η)",
        }
    }
}

/// The grid of a training sweep.
pub type Grid = Axes<Axis, Show>;

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
        self.sweep.check(MAX_NETS, "net")?;
        let nets = self.len();
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
    /// Rows of the phase diagram (1 when `y` is `none`).
    pub fn rows(&self) -> usize {
        self.sweep.rows()
    }

    /// Nets in the grid (cells × seeds).
    pub fn len(&self) -> usize {
        self.sweep.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Net `k`'s place: (x index, y index, seed index); nets run y-major, then x, then seed.
    pub fn place(&self, k: usize) -> (usize, usize, usize) {
        self.sweep.place(k)
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

/// A grid axis from the CLI's `--grid NAME=SPEC` (see [`crate::lab::sweep::parse_grid`]).
pub fn parse_grid(text: &str) -> Result<(Axis, Vec<f64>)> {
    crate::lab::sweep::parse_grid(text, MAX_NETS)
}

impl crate::lab::sweep::SweepLab for Params {
    fn ticks(&self) -> (Vec<String>, Vec<String>) {
        self.sweep.ticks()
    }
    fn labels(&self) -> Labels {
        self.sweep.labels("epoch", "net")
    }
    fn show_name(&self) -> &'static str {
        self.sweep.show.name()
    }
    fn seeds(&self) -> usize {
        self.sweep.seeds
    }
    fn cells(&self) -> usize {
        self.sweep.cells()
    }
    fn member_link(&self, k: usize) -> (&'static str, String) {
        (<TrainParams as Lab>::DEF.page, crate::lab::link::encode(&self.net_params(k)))
    }
}

mod gpu;
mod run;

pub use crate::lab::sweep::{Cell, Shard};
pub use run::{Net, Sweep};

#[cfg(test)]
mod tests;
