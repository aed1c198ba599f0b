//! One file per command; each builds its clap command (a lab's from its kit definition) and runs it.

pub mod bench;
pub mod device;
pub mod generalization;
pub mod kernels;
pub mod nuclear;
pub mod ot;
pub mod sketch;
pub mod solvers;
pub mod sweep;
pub mod train;
