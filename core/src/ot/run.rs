//! Where an OT run goes, decided once for the page and the CLI: the GPU runs log-domain Sinkhorn and SNS's
//! dense passes in f32 where f32 can vouch for the tolerance (`auto`, see [`auto_runs_on_gpu`]) or when
//! asked for (`gpu`); kernel Sinkhorn and ε-scaling run on the CPU in f64 whatever the choice.

use std::rc::Rc;

use super::gpu::{f32_resolution, GpuSinkhorn, F32_FLOOR, GPU_MAX_KEEP, GPU_MAX_RESOLUTION};
use super::lab::Params;
use super::problem::OtProblem;
use super::solver::{Method, OtSolver, SolverParams};
use crate::backend::{place, Backend, BackendChoice};
use crate::error::Result;
use crate::frame::{Budget, Frame, Stepper};
use crate::gpu::GpuContext;

/// Where the `auto` backend runs a method when a GPU is there: log-domain Sinkhorn on the GPU; SNS on the
/// GPU when f32 can meet the tolerance (tol ≥ [`F32_FLOOR`]) with at most [`GPU_MAX_KEEP`] kept entries
/// per row, or when the problem is too large for the CPU solver's dense f64 cost (n·m > `MAX_CPU_ENTRIES`),
/// else on the CPU in f64 (the Newton polish to 1e-12 needs it); kernel Sinkhorn (no headroom in f32),
/// ε-scaling, and problems f32 cannot resolve ([`f32_resolution`] > [`GPU_MAX_RESOLUTION`]) on the CPU.
/// An explicit `gpu` choice runs log-sinkhorn and SNS on the GPU whatever the tolerance (stopping at f32's
/// floor, saying so).
pub fn auto_runs_on_gpu(params: &SolverParams, problem: &OtProblem) -> bool {
    match params.method {
        Method::Sinkhorn => false,
        _ if params.eps_scaling => false,
        // f32 cannot resolve the plan: the CPU's f64 does (or says why not).
        _ if f32_resolution(problem, params.eps) > GPU_MAX_RESOLUTION => false,
        Method::LogSinkhorn => true,
        Method::Sns => {
            let too_big = problem.n().saturating_mul(problem.m()) > super::problem::MAX_CPU_ENTRIES;
            too_big || (params.tol >= F32_FLOOR && params.keep_per_row(problem.m()) <= GPU_MAX_KEEP)
        }
    }
}

/// Whether `method` runs on the GPU for `choice` when one is open.
pub fn on_gpu(method: Method, solver: &SolverParams, problem: &OtProblem, choice: BackendChoice) -> bool {
    let p = SolverParams { method, ..solver.clone() };
    match choice {
        BackendChoice::Cpu => false,
        BackendChoice::Auto => auto_runs_on_gpu(&p, problem),
        BackendChoice::Gpu => method != Method::Sinkhorn && !p.eps_scaling,
    }
}

/// Whether any run of `params` would use a GPU if one were open (the CLI opens one only then).
pub fn wants_gpu(params: &Params, problem: &OtProblem) -> bool {
    params.method.methods().into_iter().any(|m| on_gpu(m, &params.solver, problem, params.backend))
}

/// One OT run on either backend, with the line the status shows for it.
pub enum OtRun {
    Cpu(Box<OtSolver>, String),
    Gpu(Box<GpuSinkhorn>, String),
}

/// The runs of `params` on `problem` (one, or two for `compare`), each placed by [`on_gpu`] on `device`
/// (what the front end opened). `gpu` asked for without a GPU is an error.
pub async fn start(params: &Params, problem: &OtProblem, device: &Backend) -> Result<Vec<OtRun>> {
    let wants_gpu = params.method.methods().into_iter().any(|m| on_gpu(m, &params.solver, problem, params.backend));
    let placed = if wants_gpu { place(params.backend, device)? } else { Backend::Cpu { fallback: None } };
    let gpu: Option<Rc<GpuContext>> = placed.gpu().cloned();
    let mut runs = Vec::new();
    for method in params.method.methods() {
        let p = SolverParams { method, ..params.solver.clone() };
        let run = match &gpu {
            Some(ctx) if on_gpu(method, &params.solver, problem, params.backend) => {
                let label = match method {
                    Method::Sns => "sns (dense passes: GPU f32; CG: CPU f64)".to_owned(),
                    m => format!("{m} (GPU, f32)"),
                };
                OtRun::Gpu(Box::new(GpuSinkhorn::new(ctx.clone(), problem, p).await?), label)
            }
            _ => {
                let why = match params.backend {
                    BackendChoice::Cpu => "",
                    _ if method == Method::Sinkhorn => "; kernel Sinkhorn runs in f64",
                    _ if params.solver.eps_scaling => "; ε-scaling runs in f64",
                    _ if !device.cpu_note().is_empty() => device.cpu_note(),
                    _ if gpu.is_none() && on_gpu(method, &params.solver, problem, params.backend) => placed.cpu_note(),
                    _ => "; the tolerance needs f64",
                };
                OtRun::Cpu(Box::new(OtSolver::new(problem, p)?), format!("{method} (CPU, f64{why})"))
            }
        };
        runs.push(run);
    }
    Ok(runs)
}

impl OtRun {
    /// What the status line calls this run: method, where it runs and why.
    pub fn label(&self) -> &str {
        match self {
            OtRun::Cpu(_, l) | OtRun::Gpu(_, l) => l,
        }
    }

    /// The method's name (`sns`, `log-sinkhorn`, `sinkhorn`): the label's first word.
    pub fn method(&self) -> &str {
        self.label().split(' ').next().unwrap_or_default()
    }

    pub fn on_gpu(&self) -> bool {
        matches!(self, OtRun::Gpu(..))
    }

    /// A new stopping rule for the live run (the iterate stays valid).
    pub fn set_stopping(&mut self, tol: f64, max_iter: u64) -> Result<()> {
        match self {
            OtRun::Cpu(s, _) => s.set_stopping(tol, max_iter),
            OtRun::Gpu(s, _) => s.set_stopping(tol, max_iter),
        }
    }

    /// The potentials of the last frame, when they are on the host (the GPU's come with its frames).
    pub fn cached_potentials(&self) -> Option<(Vec<f64>, Vec<f64>)> {
        match self {
            OtRun::Cpu(s, _) => Some(s.potentials()),
            OtRun::Gpu(s, _) => s.cached_potentials(),
        }
    }

    /// The current potentials, read back from the GPU when needed.
    pub async fn potentials(&self) -> Result<(Vec<f64>, Vec<f64>)> {
        match self {
            OtRun::Cpu(s, _) => Ok(s.potentials()),
            OtRun::Gpu(s, _) => {
                let (f, g) = s.potentials().await?;
                Ok((f.into_iter().map(f64::from).collect(), g.into_iter().map(f64::from).collect()))
            }
        }
    }

    /// Entries per row SNS keeps now (the automatic density grows it during the run); 0 without SNS.
    pub fn keep(&self) -> usize {
        match self {
            OtRun::Cpu(s, _) => s.keep(),
            OtRun::Gpu(s, _) => s.keep(),
        }
    }
}

impl Stepper for OtRun {
    async fn step(&mut self, budget: Budget) -> Result<Frame> {
        match self {
            OtRun::Cpu(s, _) => s.step(budget).await,
            OtRun::Gpu(s, _) => s.step(budget).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_puts_sns_on_the_gpu_only_where_f32_suffices_or_the_cpu_cannot() {
        use crate::ot::{ProblemKind, ProblemSpec};
        let small = ProblemSpec { kind: ProblemKind::Random, n: 100, m: 100, ..Default::default() }.build().unwrap();
        let big =
            ProblemSpec { kind: ProblemKind::Uniform, n: 20_000, m: 20_000, ..Default::default() }.build().unwrap();
        let sns =
            |tol: f64, density: Option<f64>| SolverParams { method: Method::Sns, tol, density, ..Default::default() };
        assert!(auto_runs_on_gpu(&sns(1e-5, None), &small));
        assert!(!auto_runs_on_gpu(&sns(1e-10, None), &small), "1e-10 needs f64");
        assert!(!auto_runs_on_gpu(&sns(1e-5, Some(0.9)), &small), "90 kept per row: more than the GPU keeps");
        assert!(auto_runs_on_gpu(&sns(1e-10, None), &big), "4·10⁸ entries: too large for the CPU");
        let log = SolverParams { method: Method::LogSinkhorn, tol: 1e-10, ..Default::default() };
        assert!(auto_runs_on_gpu(&log, &small));
        assert!(!auto_runs_on_gpu(&SolverParams { eps_scaling: true, ..log }, &small));
        assert!(!auto_runs_on_gpu(&SolverParams { method: Method::Sinkhorn, ..Default::default() }, &small));
        // Normalised costs resolve down to ε ≈ 1.2e-5; an unnormalised cloud 10⁴ wide does not at 1e-3.
        let unit = ProblemSpec { kind: ProblemKind::Random, n: 10, m: 10, normalize_cost: true, ..Default::default() }
            .build()
            .unwrap();
        assert!(f32_resolution(&unit, 1e-4) < GPU_MAX_RESOLUTION && f32_resolution(&unit, 1e-6) > GPU_MAX_RESOLUTION);
        assert!(!auto_runs_on_gpu(&SolverParams { eps: 1e-6, ..log.clone() }, &unit));
    }
}
