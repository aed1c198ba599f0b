//! The OT lab's parameters, declared with the lab kit: the problem, the solver's settings, the method (or
//! `compare`: log-domain Sinkhorn and SNS side by side) and the backend.

use serde::{Deserialize, Serialize};

use super::problem::{GroundCost, ProblemKind, ProblemSpec, MAX_POINTS};
use super::solver::{Method, SolverParams};
use crate::backend::BackendChoice;
use crate::error::Result;
use crate::lab::{field, Def, Field, Lab, Preset};

crate::choice! {
    /// What the lab runs (`--method`): one method, or log-domain Sinkhorn and SNS side by side.
    #[derive(Default)]
    pub enum Mode("method") {
        Sinkhorn => "sinkhorn",
        LogSinkhorn => "log-sinkhorn",
        Sns => "sns",
        #[default]
        Compare => "compare",
    }
}

impl Mode {
    /// The methods a run of this mode runs, in order.
    pub fn methods(self) -> Vec<Method> {
        match self {
            Mode::Sinkhorn => vec![Method::Sinkhorn],
            Mode::LogSinkhorn => vec![Method::LogSinkhorn],
            Mode::Sns => vec![Method::Sns],
            Mode::Compare => vec![Method::LogSinkhorn, Method::Sns],
        }
    }
}

/// The OT lab's parameters (the page's panel, `regula ot`'s flags, links).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Params {
    pub problem: ProblemSpec,
    pub solver: SolverParams,
    pub method: Mode,
    pub backend: BackendChoice,
}

impl Default for Params {
    fn default() -> Self {
        Self {
            problem: ProblemSpec {
                kind: ProblemKind::Random,
                n: 200,
                m: 200,
                normalize_cost: true,
                ..Default::default()
            },
            solver: SolverParams { eps: 1.0 / 200.0, tol: 1e-10, ..Default::default() },
            method: Mode::Compare,
            backend: BackendChoice::Auto,
        }
    }
}

const FIELDS: &[Field] = &[
    field("problem.kind", "problem", "Random assignment (C ~ U[0,1]), 2-D point clouds (gaussian, uniform, moons), or two 28×28 digit images as grid densities.")
        .choice(ProblemKind::NAMES)
        .flag_name("problem"),
    field("problem.n", "n", "Points (or cells) of the source.").int(1, MAX_POINTS as u64),
    field("problem.m", "m", "Points (or cells) of the target.").int(1, MAX_POINTS as u64),
    field("problem.seed", "seed", "The random problem; the same seed draws the same points."),
    field("problem.cost", "ground cost", "C_ij = ‖x_i − y_j‖² (sqeuclidean) or ‖x_i − y_j‖ (euclidean).").choice(GroundCost::NAMES).flag_name("cost"),
    field("problem.normalize_cost", "normalize C (C / max C)", "Divide C by its largest entry, so ε is relative to the cost's scale.").bool(),
    field("solver.eps", "ε", "Entropic regularization (POT's reg): smaller is closer to exact OT, slower for Sinkhorn, and underflows kernel mode.").log(1e-6, 1e3),
    field("method", "method", "Kernel Sinkhorn, log-domain Sinkhorn, SNS, or compare (log-domain Sinkhorn and SNS side by side).").choice(Mode::NAMES),
    field("solver.n1", "N1 (SNS warm-up)", "Sinkhorn steps SNS takes before its Newton steps.").int(0, 1_000_000),
    field(
        "solver.density",
        "kept density λ",
        "Fraction of P's entries SNS keeps in its sparsified Hessian (none: automatic — the 10 largest per row, doubled until they hold 99 % of P's mass).",
    )
    .real(1e-9, 1.0)
    .optional(),
    field("solver.tol", "tolerance", "Stop when the ℓ1 marginal error falls below it; a new value applies to the running solver.").log(1e-16, 1.0),
    field("solver.max_iter", "max iterations", "Stop after this many iterations (the frame says MaxIterations).").int(1, 100_000_000),
    field("solver.eps_scaling", "ε-scaling (CPU)", "Anneal ε from max C down to the chosen ε, halving per stage (CPU).").bool(),
    field("backend", "backend", "auto: log-domain Sinkhorn and SNS's dense passes on a hardware GPU where f32 suffices (beside a software adapter the CPU, faster there); gpu: on any adapter; cpu: everything in f64.").choice(BackendChoice::NAMES),
];

impl Lab for Params {
    const DEF: &'static Def = &Def {
        page: "ot",
        tab: None,
        command: "ot",
        title: "Optimal transport: kernel Sinkhorn, log-domain Sinkhorn or Sinkhorn–Newton–Sparse",
        fields: FIELDS,
        renamed: &[(1, "mode", "method")],
        presets: &[
            Preset {
                name: "sns-random",
                title: "SNS paper: random assignment, n = 500, ε = 1/1200",
                source: "Tang et al. 2024 (Sinkhorn–Newton–Sparse), Table 1's row: SNS ≤ 35 iterations to 1e-12 (Sinkhorn: 56,199)",
                query: "problem.kind=random&problem.n=500&problem.m=500&problem.seed=1&problem.normalize_cost=false&solver.eps=0.0008333333333333334&solver.tol=0.000000000001&method=sns",
            },
            Preset {
                name: "sns-digits-w2",
                title: "SNS paper: digit pair, W2, ε = 1/1200",
                source: "Tang et al. 2024, Table 1's image row (squared-Euclidean cost): SNS 53 = 20 + 33 iterations, Sinkhorn 2,041; ours: 56 = 20 + 36 to 1e-12 (log-domain Sinkhorn 2,345 to 1e-9)",
                query: "problem.kind=digits&solver.eps=0.0008333333333333334&solver.tol=0.000000000001&method=sns",
            },
            Preset {
                name: "sns-digits-w1",
                title: "SNS paper: digit pair, W1, ε = 1/1200, N1 = 700",
                source: "Tang et al. 2024, Table 1's image row (Euclidean cost): SNS 777 = 700 + 77 iterations, Sinkhorn 5,748; ours: 828 = 700 + 128 to 1e-12 (log-domain Sinkhorn 11,110 to 1e-9)",
                query: "problem.kind=digits&problem.cost=euclidean&solver.eps=0.0008333333333333334&solver.n1=700&solver.tol=0.000000000001&method=sns",
            },
            Preset {
                name: "moons-compare",
                title: "Two moons, compare",
                source: "log-domain Sinkhorn (GPU) and SNS (CPU) side by side, ε = 0.005",
                query: "problem.kind=moons&problem.n=400&problem.m=400",
            },
        ],
    };

    fn check(&self) -> Result<()> {
        self.problem.validate()?;
        self.solver.validate()
    }
}

impl crate::lab::run::Runnable for Params {
    type Run = super::run::OtRun;
    /// The generated problem (a person's point clouds go through [`super::run::start`] directly).
    fn start<'a>(
        &'a self,
        device: &'a crate::backend::Backend,
    ) -> crate::lab::run::LocalFuture<'a, Result<Vec<super::run::OtRun>>> {
        Box::pin(async move { super::run::start(self, &self.problem.build()?, device).await })
    }
}
