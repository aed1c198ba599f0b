//! The OT sweep: many small, independent transport problems over a grid of two axes (ε, the number of
//! points, the tolerance, the seed), `seeds` problems per cell, solved by log-domain Sinkhorn side by side —
//! "how many iterations does Sinkhorn need as ε shrinks?" as one run and one picture.
//!
//! Problem k is the OT lab's log-domain Sinkhorn run of [`Params::problem_params`]`(k)`: on the CPU it *is*
//! that run ([`super::OtSolver`], f64), so its numbers equal the single run's bit for bit (a test holds it);
//! on a GPU ([`gpu`]) all problems are solved in the same dispatches (one iteration each), a workgroup per
//! problem (`shaders/ot/sinkhorn_batch.wgsl`, f32, the single-problem GPU solver's updates and stopping
//! rule), within f32's tolerance of the single runs (a test holds that too).

use serde::{Deserialize, Serialize};

use super::lab::{Mode, Params as OtParams};
use super::problem::{GroundCost, ProblemKind, ProblemSpec, MAX_POINTS};
use super::solver::{Method, SolverParams};
use crate::backend::BackendChoice;
use crate::error::Result;
use crate::lab::sweep::{invalid, Axes, AxisKind, Labels, MeasureKind, SweepLab};
use crate::lab::{field, Def, Field, Lab, Preset};

crate::choice! {
    /// What an OT sweep's axis varies (`--x`, `--y`; `none`: a one-axis sweep).
    pub enum Axis("axis") {
        /// The entropic regularization ε.
        Eps => "eps",
        /// The points of each cloud (n = m).
        N => "n",
        /// The stopping tolerance on the ℓ1 marginal error.
        Tol => "tol",
        /// The seed (the problem's random draw).
        Seed => "seed",
        /// No second axis.
        None => "none",
    }
}

crate::choice! {
    /// What an OT sweep's cells show (the mean over their seeds).
    pub enum Show("show") {
        /// Iterations to the tolerance (or to the stop).
        Iterations => "iterations",
        /// The transport cost ⟨C, P⟩ of the final plan.
        Cost => "cost",
        /// The final ℓ1 marginal error.
        Error => "error",
    }
}

impl AxisKind for Axis {
    const NONE: Self = Axis::None;
    const SEED: Self = Axis::Seed;
    fn name(self) -> &'static str {
        Axis::name(self)
    }
    fn label(self) -> &'static str {
        match self {
            Axis::Eps => "ε",
            Axis::N => "points n (= m)",
            Axis::Tol => "tolerance",
            Axis::Seed => "seed",
            Axis::None => "",
        }
    }
    fn whole(self) -> bool {
        matches!(self, Axis::N | Axis::Seed)
    }
    fn check(self, v: f64) -> std::result::Result<(), String> {
        match self {
            Axis::Eps if !(1e-6..=1e3).contains(&v) => Err(format!("ε is in 1e-6..=1e3, got {v}")),
            Axis::N if v.fract() != 0.0 || !(1.0..=MAX_SWEEP_POINTS as f64).contains(&v) => {
                Err(format!("n is a whole number in 1..={MAX_SWEEP_POINTS}, got {v}"))
            }
            Axis::Tol if !(v > 0.0 && v <= 1.0) => Err(format!("a tolerance is in (0, 1], got {v}")),
            Axis::Seed if v.fract() != 0.0 || v < 0.0 => Err(format!("a seed is a whole number ≥ 0, got {v}")),
            _ => Ok(()),
        }
    }
}

impl MeasureKind for Show {
    fn name(self) -> &'static str {
        Show::name(self)
    }
    fn label(self) -> &'static str {
        match self {
            Show::Iterations => "iterations",
            Show::Cost => "⟨C, P⟩",
            Show::Error => "marginal error",
        }
    }
}

/// The grid of an OT sweep.
pub type Grid = Axes<Axis, Show>;

/// An OT sweep's parameters: the problem and the solver every cell starts from (the OT lab's fields), the
/// backend, and the grid.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Params {
    pub problem: ProblemSpec,
    pub solver: Solver,
    pub backend: BackendChoice,
    pub sweep: Grid,
}

/// Log-domain Sinkhorn's ε, tolerance and iteration cap: the solver settings every problem starts from (the
/// method is always log-domain Sinkhorn).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Solver {
    pub eps: f64,
    pub tol: f64,
    pub max_iter: u64,
}

impl Solver {
    /// The single run's solver parameters.
    pub fn params(&self) -> SolverParams {
        SolverParams {
            method: Method::LogSinkhorn,
            eps: self.eps,
            tol: self.tol,
            max_iter: self.max_iter,
            ..Default::default()
        }
    }
}

/// The most problems one sweep holds, and the most points per cloud.
pub const MAX_PROBLEMS: usize = 4096;
pub const MAX_SWEEP_POINTS: usize = 4096;
/// The memory the problems' data may take on the device (points or dense costs, in f32): one storage
/// buffer, within the browser's 128 MiB binding limit.
pub const MAX_BYTES: usize = 128 << 20;

impl Default for Params {
    /// ε × n on Gaussian clouds (2 seeds a cell), iterations to 1e-4: Sinkhorn's iteration count grows
    /// like 1/ε.
    fn default() -> Self {
        Self {
            problem: ProblemSpec { kind: ProblemKind::Gaussian, n: 64, m: 64, ..Default::default() },
            solver: Solver { eps: 0.01, tol: 1e-4, max_iter: 20_000 },
            backend: BackendChoice::Auto,
            sweep: Grid {
                x: Axis::Eps,
                x_values: vec![0.003, 0.01, 0.03, 0.1, 0.3],
                y: Axis::N,
                y_values: vec![16.0, 32.0, 64.0, 128.0],
                seeds: 2,
                show: Show::Iterations,
            },
        }
    }
}

const FIELDS: &[Field] = &[
    field("problem.kind", "problem", "Random assignment (C ~ U[0,1]), 2-D point clouds (gaussian, uniform, moons), or two 28×28 digit images as grid densities (n = 784).")
        .choice(ProblemKind::NAMES)
        .flag_name("problem"),
    field("problem.n", "n", "Points (or cells) of the source, where no axis sets them.").int(1, MAX_SWEEP_POINTS as u64),
    field("problem.m", "m", "Points of the target, where no axis sets them (the n axis sets both).").int(1, MAX_SWEEP_POINTS as u64),
    field("problem.seed", "seed", "The first problem's seed; a cell's seeds are seed, seed + 1, …"),
    field("problem.cost", "ground cost", "C_ij = ‖x_i − y_j‖² (sqeuclidean) or ‖x_i − y_j‖ (euclidean).").choice(GroundCost::NAMES).flag_name("cost"),
    field("problem.normalize_cost", "normalize C (C / max C)", "Divide C by its largest entry, so ε is relative to the cost's scale.").bool(),
    field("solver.eps", "ε", "Entropic regularization (POT's reg), where no axis sets it.").log(1e-6, 1e3),
    field("solver.tol", "tolerance", "Stop a problem when its ℓ1 marginal error falls below it (f32 on a GPU vouches for ≥ 1e-6).").log(1e-16, 1.0),
    field("solver.max_iter", "max iterations", "Stop a problem after this many iterations.").int(1, 100_000_000),
    field("backend", "backend", "auto: all problems in one GPU dispatch per round on a hardware GPU (beside a software adapter, the CPU: faster there); gpu: on any adapter; cpu: each problem the single-run solver in f64.").choice(BackendChoice::NAMES),
    field("sweep.x", "x axis", "What varies across the diagram.").choice(Axis::NAMES),
    field("sweep.x_values", "x values", "The x axis's values, comma-separated.").reals(0.0, 1e9),
    field("sweep.y", "y axis", "What varies up the diagram (none: one row).").choice(Axis::NAMES),
    field("sweep.y_values", "y values", "The y axis's values, comma-separated.").reals(0.0, 1e9),
    field("sweep.seeds", "seeds per cell", "Problems per cell, seeds seed, seed + 1, …: the cell shows their mean.").int(1, 64),
    field("sweep.show", "show", "The cell's colour: iterations to the tolerance, the transport cost ⟨C, P⟩, or the final marginal error.").choice(Show::NAMES),
];

impl Lab for Params {
    const DEF: &'static Def = &Def {
        page: "ot",
        tab: Some("sweep"),
        command: "sweep ot",
        title: "OT sweep: many transport problems over a grid (ε, n, tolerance, seed), solved side by side — a phase diagram",
        fields: FIELDS,
        renamed: &[],
        presets: &[
            Preset {
                name: "eps-iterations",
                title: "Iterations to tolerance over ε and n",
                source: "Sinkhorn's iteration count grows like 1/ε (Cuturi 2013; the linear rate of Franklin & Lorenz 1989 degrades as ε → 0): Gaussian clouds, tolerance 1e-4, 2 seeds a cell; ours: 477 → 4 iterations from ε = 0.003 to 0.3 at n = 16, and fewer at larger n (C / max C: larger clouds reach further, so a typical cost is smaller against ε)",
                query: "problem.kind=gaussian&solver.tol=0.0001&sweep.x=eps&sweep.x_values=0.003,0.01,0.03,0.1,0.3&sweep.y=n&sweep.y_values=16,32,64,128&sweep.seeds=2&sweep.show=iterations",
            },
            Preset {
                name: "moons-eps-seed",
                title: "Many pairs of point clouds: ε × seed",
                source: "the OTT-JAX vmap use case: 16 independent draws of two moons (n = 64) at each ε, the entropic plan's cost ⟨C, P⟩ falling towards the exact OT cost as ε → 0",
                query: "problem.kind=moons&problem.n=64&problem.m=64&solver.tol=0.0001&sweep.x=eps&sweep.x_values=0.003,0.01,0.03,0.1,0.3&sweep.y=seed&sweep.y_values=0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15&sweep.seeds=1&sweep.show=cost",
            },
            Preset {
                name: "tol-eps",
                title: "Iterations over tolerance and ε",
                source: "Sinkhorn's linear convergence: iterations grow like log(1/tol) at each ε, with a slope that steepens as ε shrinks (uniform clouds, n = 64)",
                query: "problem.kind=uniform&problem.n=64&problem.m=64&sweep.x=tol&sweep.x_values=0.01,0.001,0.0001,0.00001&sweep.y=eps&sweep.y_values=0.01,0.03,0.1&sweep.seeds=2&sweep.show=iterations",
            },
        ],
    };

    /// The grid's values suit their axes, the grid fits, and the problem and solver are valid.
    fn check(&self) -> Result<()> {
        self.sweep.check(MAX_PROBLEMS, "problem")?;
        self.problem.validate()?;
        self.solver.params().validate()?;
        let problems = self.len();
        // The largest cell's problem bounds every problem's data.
        let per = (0..self.sweep.cells())
            .map(|c| device_bytes(&self.problem_params(c * self.sweep.seeds.max(1)).problem))
            .max()
            .unwrap_or(0);
        if per.saturating_mul(problems) > MAX_BYTES {
            return Err(invalid(
                "seeds",
                format!(
                    "{problems} problems of up to {} kB each (points or dense costs, f32) need {} MB; the budget is {} MB, \
                     so at most {} problems fit — fewer values or seeds, or --shard",
                    per / 1000,
                    per * problems / 1_000_000,
                    MAX_BYTES >> 20,
                    MAX_BYTES / per.max(1)
                ),
            ));
        }
        Ok(())
    }
}

/// Bytes problem `spec`'s data takes on the device: a dense cost (random), else the two clouds' points,
/// plus its marginals, potentials and scratch.
fn device_bytes(spec: &ProblemSpec) -> usize {
    let (n, m) = if spec.kind == ProblemKind::Digits { (784, 784) } else { (spec.n, spec.m) };
    let data = if spec.kind == ProblemKind::Random { n * m } else { 2 * (n + m) };
    4 * (data + 2 * (n + m) + m)
}

impl Params {
    /// Rows of the phase diagram (1 when `y` is `none`).
    pub fn rows(&self) -> usize {
        self.sweep.rows()
    }

    /// Problems in the grid (cells × seeds).
    pub fn len(&self) -> usize {
        self.sweep.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Problem `k`'s place: (x index, y index, seed index).
    pub fn place(&self, k: usize) -> (usize, usize, usize) {
        self.sweep.place(k)
    }

    /// Problem `k`'s own parameters: the OT lab's log-domain Sinkhorn run with its cell's values and its
    /// seed — whose link opens that problem on the OT page.
    pub fn problem_params(&self, k: usize) -> OtParams {
        let (ix, iy, s) = self.place(k);
        let mut p = OtParams {
            problem: self.problem.clone(),
            solver: self.solver.params(),
            method: Mode::LogSinkhorn,
            backend: self.backend,
        };
        p.problem.seed = p.problem.seed.wrapping_add(s as u64);
        apply(&mut p, self.sweep.x, self.sweep.x_values.get(ix).copied().unwrap_or(0.0));
        if self.sweep.y != Axis::None {
            apply(&mut p, self.sweep.y, self.sweep.y_values.get(iy).copied().unwrap_or(0.0));
        }
        p
    }
}

/// Sets `axis` to `v` in a run's parameters.
fn apply(p: &mut OtParams, axis: Axis, v: f64) {
    match axis {
        Axis::Eps => p.solver.eps = v,
        Axis::N => (p.problem.n, p.problem.m) = (v as usize, v as usize),
        Axis::Tol => p.solver.tol = v,
        Axis::Seed => p.problem.seed = v as u64,
        Axis::None => {}
    }
}

/// A grid axis from the CLI's `--grid NAME=SPEC` (see [`crate::lab::sweep::parse_grid`]).
pub fn parse_grid(text: &str) -> Result<(Axis, Vec<f64>)> {
    crate::lab::sweep::parse_grid(text, MAX_PROBLEMS)
}

impl SweepLab for Params {
    fn ticks(&self) -> (Vec<String>, Vec<String>) {
        self.sweep.ticks()
    }
    fn labels(&self) -> Labels {
        self.sweep.labels("iteration", "problem")
    }
    fn show_name(&self) -> &'static str {
        self.sweep.show.name()
    }
    fn seeds(&self) -> usize {
        self.sweep.seeds
    }
    fn cells(&self) -> usize {
        self.sweep.cells()
    }
    fn member_link(&self, k: usize) -> (&'static str, String) {
        (<OtParams as Lab>::DEF.page, crate::lab::link::encode(&self.problem_params(k)))
    }
}

mod gpu;
mod run;

pub use crate::lab::sweep::{Cell, Shard};
pub use run::{OtSweep, Problem};

#[cfg(test)]
mod tests;

/// Keeps [`MAX_POINTS`] (the single run's bound) above the sweep's.
const _: () = assert!(MAX_SWEEP_POINTS <= MAX_POINTS);
