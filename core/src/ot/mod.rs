//! The optimal-transport lab: problems (marginals + cost, generated or uploaded), solvers (kernel and
//! log-domain Sinkhorn, Sinkhorn–Newton–Sparse) as steppers, and their frames. REFERENCE.md §1 has the
//! notation (`eps` is POT's `reg`; the marginal error is the ℓ1 sum over both marginals).

pub mod analysis;
pub mod csv;
pub mod digits;
pub mod gpu;
pub mod problem;
pub mod solver;

pub use problem::{GroundCost, OtProblem, Points, ProblemKind, ProblemSpec};
pub use gpu::{auto_runs_on_gpu, f32_resolution, GpuSinkhorn, NewtonSystem, F32_FLOOR, GPU_MAX_KEEP, GPU_MAX_RESOLUTION};
pub use solver::{Method, OtSolver, OtSummary, SolverParams, AUTO_KEPT_MASS};
