//! The training lab's parameters, declared with the lab kit: the dataset, the network and its training,
//! the backend and the GPU kernel. One seed draws the data, the initial weights and the batch order.

use serde::{Deserialize, Serialize};

use super::data::{DatasetKind, DatasetSpec, Feature, NoiseKind};
use super::elr::Elr;
use super::gpu::GpuKernel;
use super::mlp::{Activation, Init, Loss};
use super::trainer::{Optimizer, Regularization, Schedule, TrainConfig};
use crate::backend::BackendChoice;
use crate::error::Result;
use crate::lab::{field, Def, Field, Lab, Preset};

/// The training lab's parameters (the page's panel, `regula train`'s flags, links).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Params {
    pub data: DatasetSpec,
    pub config: TrainConfig,
    pub backend: BackendChoice,
    #[serde(default)]
    pub gpu_kernel: GpuKernel,
}

impl Default for Params {
    /// Playground's opening: a spiral, 2 × 8 tanh, SGD with batch 10.
    fn default() -> Self {
        Self {
            data: DatasetSpec {
                kind: DatasetKind::Spiral,
                n: 200,
                noise: 0.05,
                train_ratio: 0.8,
                ..DatasetSpec::default()
            },
            config: TrainConfig {
                hidden: vec![8, 8],
                lr: 0.1,
                batch: 10,
                epochs: 300,
                hessian_every: 40,
                ..TrainConfig::default()
            },
            backend: BackendChoice::Auto,
            gpu_kernel: GpuKernel::Auto,
        }
    }
}

impl Params {
    /// The dataset's spec with the run's seed.
    pub fn dataset(&self) -> DatasetSpec {
        DatasetSpec { seed: self.config.seed, ..self.data.clone() }
    }
}

pub(crate) fn elr_default() -> serde_json::Value {
    serde_json::to_value(Elr::default()).unwrap_or_default()
}

/// The training lab's fields with `$prefix` before each path, then `$extra`: one list for the single run
/// (no prefix) and the sweep (whose parameters hold a single run's under `train.`, then its grid).
macro_rules! train_fields {
    ($prefix:literal $(, $extra:expr)* $(,)?) => {
        &[
            field(concat!($prefix, "data.kind"), "dataset", "Playground's circle, xor, gauss, spiral; plane and multigauss (regression); a teacher net; 8×8 digits; a 4-class mixture.")
                .choice(DatasetKind::NAMES)
                .flag_name("dataset"),
            field(concat!($prefix, "data.n"), "points", "How many points are drawn (digits: all 1,797).").int(4, 100_000),
            field(concat!($prefix, "data.noise"), "noise", "Coordinate noise (classification) or target noise (regression), a standard deviation.").real(0.0, 10.0),
            field(concat!($prefix, "data.train_ratio"), "train ratio", "The share of points used for training; the rest is the test set.").real(1e-6, 1.0),
            field(concat!($prefix, "data.label_noise"), "label noise", "The share of training labels flipped to another class.").real(0.0, 1.0),
            field(concat!($prefix, "data.label_noise_kind"), "label noise kind", "Which wrong class a flipped label takes: symmetric (any other) or asymmetric (c → c + 1).").choice(NoiseKind::NAMES),
            field(concat!($prefix, "data.features"), "features", "Inputs computed from (x, y): x, y, x², y², xy, sin x, sin y (2-D sets).").set_of(Feature::NAMES, true),
            field(concat!($prefix, "config.hidden"), "hidden layers", "Widths of the hidden layers, e.g. 8,8 (none: a linear model).").ints_or_none(1, 4096),
            field(concat!($prefix, "config.activation"), "activation", "The hidden layers' nonlinearity.").choice(Activation::NAMES),
            field(concat!($prefix, "config.layer_activations"), "per-layer activations", "One activation per hidden layer, overriding the activation (empty: all the same).")
                .words(Activation::NAMES, true),
            field(concat!($prefix, "config.loss"), "loss", "½·mean squared error, or softmax cross-entropy (classes).").choice(Loss::NAMES),
            field(concat!($prefix, "config.optimizer"), "optimizer", "SGD, SGD with momentum, or Adam.").choice(Optimizer::NAMES),
            field(concat!($prefix, "config.lr"), "learning rate η", "The step size; gradient descent is stable while the sharpness stays below 2/η.").log(1e-6, 1e3),
            field(concat!($prefix, "config.momentum"), "momentum β", "The momentum optimizer's β.").real(0.0, 0.999_999),
            field(concat!($prefix, "config.schedule"), "schedule", "Constant η, step decay, or cosine decay.").choice(Schedule::NAMES),
            field(concat!($prefix, "config.batch"), "batch", "Mini-batch size (0: the full training set, gradient descent).").int(0, 1_000_000),
            field(concat!($prefix, "config.epochs"), "epochs", "Passes over the training data.").int(1, 10_000_000),
            field(concat!($prefix, "config.reg"), "regularization", "An L1 or L2 penalty on the weights.").choice(Regularization::NAMES),
            field(concat!($prefix, "config.reg_rate"), "regularization rate", "The penalty's strength.").real(0.0, 1e6),
            field(concat!($prefix, "config.label_smoothing"), "label smoothing α", "Targets (1 − α)·y + α/K.").real(0.0, 0.999_999),
            field(concat!($prefix, "config.hessian_every"), "Hessian every", "Measure sharpness and trace every so many steps (0: only at the end).").int(0, 1_000_000_000),
            field(concat!($prefix, "config.elr"), "early-learning regularization", "ELR (Liu et al. 2020) on top of cross-entropy: λ·log(1 − ⟨p, t⟩), t a running average of the predictions; CPU only.")
                .group(elr_default),
            field(concat!($prefix, "config.elr.beta"), "ELR β", "Momentum of ELR's running targets.").real(0.0, 0.999_999).flag_name("elr-beta"),
            field(concat!($prefix, "config.elr.lambda"), "ELR λ", "Weight of ELR's penalty.").real(0.0, 1e6).flag_name("elr-lambda"),
            field(concat!($prefix, "config.init"), "initialization", "How the initial weights are drawn: lecun W ~ N(0, 1/fan_in), b = 0; pytorch W, b ~ U(±1/√fan_in) (Cohen et al.'s setting); playground W ~ U(±0.5), b = 0.1.")
                .choice(Init::NAMES),
            field(concat!($prefix, "config.seed"), "seed", "Draws the data, the initial weights and the batch order."),
            field(concat!($prefix, "backend"), "backend", "auto: a hardware GPU (f32) when there is one and it holds the net (beside a software adapter the CPU, faster there); gpu: any adapter; cpu: f64.").choice(BackendChoice::NAMES),
            field(concat!($prefix, "gpu_kernel"), "GPU kernel", "auto (one workgroup per epoch for tiny nets, else tiled), one-workgroup, or tiled.").choice(GpuKernel::NAMES),
            $($extra),*
        ]
    };
}
pub(crate) use train_fields;

const FIELDS: &[Field] = train_fields!("");

impl Lab for Params {
    const DEF: &'static Def = &Def {
        page: "training",
        tab: None,
        command: "train",
        title: "Train a small network (GPU f32 or CPU f64) and measure its Hessian: sharpness against 2/η",
        fields: FIELDS,
        renamed: &[(1, "data.seed", "config.seed"), (1, "data.noise_kind", "data.label_noise_kind")],
        presets: &[
            Preset {
                name: "eos-0.1",
                title: "Edge of stability, η = 0.1",
                source: "Cohen et al. 2021; Wu & Su 2023 (docs/methods.md §3): 2-32-32-1 tanh, 200-point spiral, full-batch GD on ½·MSE — λmax → 2/η = 20",
                query: "data.train_ratio=1&config.hidden=32,32&config.batch=0&config.lr=0.1&config.epochs=4000&config.hessian_every=100",
            },
            Preset {
                name: "eos-0.2",
                title: "Edge of stability, η = 0.2",
                source: "the same at η = 0.2 — λmax → 10",
                query: "data.train_ratio=1&config.hidden=32,32&config.batch=0&config.lr=0.2&config.epochs=4000&config.hessian_every=100",
            },
            Preset {
                name: "eos-batch-20",
                title: "Mini-batches: η = 0.2, batch 20",
                source: "Wu & Su 2023: tr(H)/B + (1 − 1/B)λmax ≤ 2/η (docs/methods.md: λmax 7.9)",
                query: "data.train_ratio=1&config.hidden=32,32&config.batch=20&config.lr=0.2&config.epochs=400&config.hessian_every=100",
            },
            Preset {
                name: "digits",
                title: "Digits, 64-32-10",
                source: "the benchmark setting (scikit-learn's 8×8 digits, softmax cross-entropy, batch 32)",
                query: "data.kind=digits&config.hidden=32&config.loss=xent&config.batch=32&config.epochs=30",
            },
        ],
    };

    /// The dataset draws, and the training settings suit it (batch ≤ training rows, a loss it has, …).
    fn check(&self) -> Result<()> {
        let data = self.dataset().build()?;
        self.config.validate(&data)
    }
}

impl crate::lab::run::Runnable for Params {
    type Run = super::run::TrainRun;
    /// The generated dataset (a person's CSV goes through [`super::run::start`] directly).
    fn start<'a>(
        &'a self,
        device: &'a crate::backend::Backend,
    ) -> crate::lab::run::LocalFuture<'a, Result<Vec<super::run::TrainRun>>> {
        Box::pin(async move { Ok(vec![super::run::start(self, self.dataset().build()?, device).await?]) })
    }
}
