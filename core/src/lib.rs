//! Regula's core: every algorithm of the labs, as a CPU reference (f64, ndarray) and a GPU path (f32,
//! WGSL through wgpu), behind one stepper contract. No UI here: `app/` and `cli/` read [`Frame`]s.
//!
//! Layout (problem → solver → frames → output, as in OTT-JAX):
//! - [`error`]: typed errors; [`frame`]: the stepper contract; [`backend`]: CPU/GPU selection;
//! - [`lab`]: the lab kit — each lab's parameters declared once (fields, ranges, help), from which its
//!   link, CLI flags, headless line and page panel come; [`metrics`]: the frames' metric names;
//! - [`table`]: the numeric CSV reader behind every upload; [`cpu`]: f64 twins; [`gpu`]: device, buffers, pipeline cache, kernels from `shaders/`;
//! - [`reduce`]: the sum/max/LSE reduction every lab builds on; [`kernels`]: the kernel-check stepper;
//! - [`ot`]: the optimal-transport lab (Sinkhorn, log-domain Sinkhorn, SNS);
//! - [`sketch`]: the sketching lab (sketches on both backends, sketched least squares, nuclear norms);
//! - [`train`]: the training lab (MLPs, optimizers, Hessian tools);
//! - [`generalization`]: the generalization lab (theory over simulation).

pub mod backend;
pub mod choice;
#[cfg(not(target_arch = "wasm32"))]
pub mod config;
pub mod cpu;
pub mod error;
pub mod frame;
pub mod generalization;
pub mod gpu;
pub mod kernels;
pub mod lab;
pub mod metrics;
pub mod ot;
pub mod reduce;
pub mod rng;
pub mod sketch;
pub mod solvers;
pub mod table;
pub mod train;

pub use backend::{Backend, BackendChoice, DeviceReport};
pub use error::{Error, Result};
pub use frame::{Budget, Frame, Stepper, StopReason};
