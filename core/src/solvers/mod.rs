//! The solvers lab: regularized linear algebra (docs/methods.md §5).
//! - [`sparse`]: sparse linear regression on random vs adversarial supports — Lasso (coordinate descent, λ by
//!   cross-validation), OMP, IHT and a two-phase preconditioned Lasso of our own — prediction error vs the
//!   number of samples.

pub mod sparse;
