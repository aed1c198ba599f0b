//! The optimal-transport lab: problems (marginals + cost, generated or uploaded), solvers (kernel and
//! log-domain Sinkhorn, Sinkhorn–Newton–Sparse) as steppers, and their frames. docs/methods.md §1 has the
//! notation (`eps` is POT's `reg`; the marginal error is the ℓ1 sum over both marginals).

pub mod analysis;
pub mod csv;
pub mod digits;
pub mod geometry;
pub mod gpu;
pub mod lab;
pub mod problem;
pub mod run;
pub mod sinkhorn;
pub mod sns;
pub mod solver;
pub mod sweep;

pub use gpu::{f32_resolution, GpuSinkhorn, NewtonSystem, F32_FLOOR, GPU_MAX_KEEP, GPU_MAX_RESOLUTION};
pub use problem::{GroundCost, OtProblem, Points, ProblemKind, ProblemSpec};
pub use run::auto_runs_on_gpu;
pub use sns::AUTO_KEPT_MASS;
pub use solver::{Method, OtSolver, OtSummary, SolverParams};
