//! Regula's core: every algorithm of the labs, as a CPU reference (f64, ndarray) and a GPU path (f32,
//! WGSL through wgpu), behind one stepper contract. No UI here: `app/` and `cli/` read [`Frame`]s.
//!
//! Layout (problem → solver → frames → output, as in OTT-JAX):
//! - [`error`]: typed errors; [`frame`]: the stepper contract; [`backend`]: CPU/GPU selection;
//! - [`cpu`]: f64 twins; [`gpu`]: device, buffers, pipeline cache, kernels from `shaders/`;
//! - [`reduce`]: the sum/max/LSE reduction every lab builds on; [`demo`]: the kernel-check stepper;
//! - [`ot`]: the optimal-transport lab (Sinkhorn, log-domain Sinkhorn, SNS);
//! - [`sketch`]: the sketching lab (sketches on both backends, sketched least squares, nuclear norms);
//! - [`train`]: the training lab (MLPs, optimizers, Hessian tools);
//! - [`gen`]: the generalization lab (theory over simulation);
//! - [`urlstate`]: any lab's parameters ↔ a versioned, strictly parsed link; [`cli_line`]: the `regula`
//!   command line that reproduces a page's run.

pub mod backend;
pub mod choice;
pub mod cli_line;
#[cfg(not(target_arch = "wasm32"))]
pub mod config;
pub mod cpu;
pub mod demo;
pub mod error;
pub mod frame;
pub mod gen;
pub mod gpu;
pub mod ot;
pub mod reduce;
pub mod rng;
pub mod sketch;
pub mod train;
pub mod urlstate;

pub use backend::{Backend, BackendChoice, DeviceReport};
pub use error::{Error, Result};
pub use frame::{Budget, Frame, StopReason, Stepper};
