//! The training lab: small MLPs trained by mini-batch SGD, momentum or Adam, and the Hessian tools
//! (exact Hessian-vector products, power iteration, Hutchinson, stochastic Lanczos quadrature, the full
//! Hessian) that measure sharpness against the 2/η stability line. docs/methods.md §3 has the settings.

pub mod config;
pub mod data;
pub mod elr;
pub mod gpu;
pub mod hessian;
pub mod lab;
pub mod mlp;
pub mod optimizer;
pub mod picture;
pub mod run;
pub mod sweep;
pub mod trainer;

pub use data::{Dataset, DatasetKind, DatasetSpec, Feature, NoiseKind};
pub use mlp::{Activation, Architecture, Loss};
pub use trainer::{Ewc, Optimizer, Regularization, Schedule, TrainConfig, Trainer};
