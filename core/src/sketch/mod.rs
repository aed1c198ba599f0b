//! The sketching lab (in progress): sketch operators S (m × n) drawn from a counter-based generator, so
//! the CPU and the GPU draw the same S from a seed. REFERENCE.md §2 has the formulas and targets.

pub mod gpu;
pub mod operators;
pub mod philox;
pub mod regression;
