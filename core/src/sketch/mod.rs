//! The sketching lab: sketch operators S (m × n) drawn from a counter-based generator (the CPU and the GPU
//! draw the same S from a seed), sketched least squares and its metrics, the experiment stepper, and the
//! nuclear-norm comparison. docs/methods.md §2 has the formulas and targets.

pub mod data;
pub mod experiment;
pub mod gpu;
pub mod lab;
pub mod nuclear;
pub mod operators;
pub mod philox;
pub mod regression;
