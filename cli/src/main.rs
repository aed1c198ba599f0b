//! `regula`: every lab, headless. Each subcommand builds a validated problem from its flags, drives the
//! core's stepper to the end with a progress bar on stderr, prints a summary, and with `--json` makes the
//! last stdout line one JSON object with the results. Errors are printed in words and exit non-zero.

use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;

use regula_core::demo::{ReduceCheck, ReduceCheckParams};
use regula_core::ot::{GpuSinkhorn, GroundCost, Method, OtProblem, OtSolver, ProblemKind, ProblemSpec, SolverParams};
use regula_core::reduce::{ReduceAxis, ReduceOp};
use regula_core::{Backend, BackendChoice, Budget, Error, Frame};

#[derive(Parser)]
#[command(name = "regula", version, about = "Regula: regularization labs on WebGPU and CPU, headless")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Clone)]
struct Common {
    /// Compute backend: auto (GPU if an adapter opens), cpu or gpu.
    #[arg(long, default_value = "auto", value_parser = parse::<BackendChoice>)]
    backend: BackendChoice,
    /// Make the last line of stdout one JSON object with the results.
    #[arg(long)]
    json: bool,
}

#[derive(Subcommand)]
enum Command {
    /// Print the compute device: adapter, API, driver and limits.
    Device(Common),
    /// Kernel check: the sum/max/LSE reduction on the GPU against its f64 CPU twin, trial by trial.
    Check {
        #[command(flatten)]
        common: Common,
        #[arg(long, default_value_t = ReduceCheckParams::default().rows)]
        rows: usize,
        #[arg(long, default_value_t = ReduceCheckParams::default().cols)]
        cols: usize,
        /// sum, max or lse
        #[arg(long, default_value = "lse", value_parser = parse::<ReduceOp>)]
        op: ReduceOp,
        /// rows (one result per row) or cols (one per column)
        #[arg(long, default_value = "cols", value_parser = parse::<ReduceAxis>)]
        axis: ReduceAxis,
        #[arg(long, default_value_t = ReduceCheckParams::default().trials)]
        trials: u64,
        #[arg(long, default_value_t = ReduceCheckParams::default().seed)]
        seed: u64,
    },
    /// Optimal transport: kernel Sinkhorn, log-domain Sinkhorn or Sinkhorn–Newton–Sparse.
    Ot(OtArgs),
}

#[derive(Args)]
struct OtArgs {
    #[command(flatten)]
    common: Common,
    /// Generated problem: random (C ~ U[0,1]), gaussian, uniform, moons, digits (28×28 images, n = m = 784).
    #[arg(long, default_value = "random", value_parser = parse::<ProblemKind>, conflicts_with_all = ["source", "target"])]
    problem: ProblemKind,
    /// Source points (n).
    #[arg(long, default_value_t = 500)]
    n: usize,
    /// Target points (m); defaults to n.
    #[arg(long)]
    m: Option<usize>,
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Source point cloud CSV: `x,y[,...]` per line, optional header with a `weight` column.
    #[arg(long, requires = "target")]
    source: Option<std::path::PathBuf>,
    /// Target point cloud CSV (same format).
    #[arg(long, requires = "source")]
    target: Option<std::path::PathBuf>,
    /// Ground cost between points.
    #[arg(long, default_value = "sqeuclidean", value_parser = parse::<GroundCost>)]
    cost: GroundCost,
    /// Divide C by its maximum.
    #[arg(long)]
    normalize_cost: bool,
    /// Entropic regularisation ε (POT's `reg`).
    #[arg(long)]
    eps: f64,
    #[arg(long, default_value = "sns", value_parser = parse::<Method>)]
    method: Method,
    /// SNS: Sinkhorn steps before Newton.
    #[arg(long, default_value_t = SolverParams::default().n1)]
    n1: u64,
    /// SNS: kept density of the sparsified Hessian, in (0, 1] (default: 10 entries per row).
    #[arg(long)]
    density: Option<f64>,
    /// ℓ1 marginal error to stop at.
    #[arg(long, default_value_t = SolverParams::default().tol)]
    tol: f64,
    #[arg(long, default_value_t = SolverParams::default().max_iter)]
    max_iter: u64,
    /// ε-scaling: start at ε = max C and halve per stage down to --eps (CPU backend).
    #[arg(long)]
    eps_scaling: bool,
    /// Write one CSV row per iteration.
    #[arg(long)]
    trace: Option<std::path::PathBuf>,
}

fn parse<T: std::str::FromStr<Err = Error>>(s: &str) -> Result<T, String> {
    s.parse().map_err(|e: Error| e.to_string())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match pollster::block_on(run(cli.command)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command) -> Result<(), Error> {
    match command {
        Command::Device(common) => device(common).await,
        Command::Check { common, rows, cols, op, axis, trials, seed } => {
            check(common, ReduceCheckParams { rows, cols, op, axis, trials, seed }).await
        }
        Command::Ot(args) => ot(args).await,
    }
}

async fn device(common: Common) -> Result<(), Error> {
    let backend = Backend::acquire(common.backend).await?;
    let report = backend.report();
    println!("backend: {}", report.backend);
    println!("device:  {}", report.label);
    if let Some(a) = &report.adapter {
        println!("type:    {}", a.device_type);
        println!("driver:  {} {}", a.driver, a.driver_info);
        let l = &a.limits;
        println!("limits:  max storage binding {} B, max buffer {} B", l.max_storage_buffer_binding_size, l.max_buffer_size);
        println!(
            "         {} storage buffers/stage, {} invocations/workgroup, {} workgroups/dimension, {} B workgroup memory",
            l.max_storage_buffers_per_shader_stage,
            l.max_compute_invocations_per_workgroup,
            l.max_compute_workgroups_per_dimension,
            l.max_compute_workgroup_storage_size
        );
    }
    if common.json {
        println!("{}", serde_json::to_string(&report).expect("report serialises"));
    }
    Ok(())
}

/// A progress bar on stderr for `total` iterations (hidden when stderr is not a terminal).
fn progress(total: u64, what: &str) -> ProgressBar {
    let bar = ProgressBar::new(total);
    bar.set_style(
        ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} {msg}")
            .expect("static template")
            .progress_chars("=> "),
    );
    bar.set_prefix(what.to_owned());
    bar
}

async fn check(common: Common, params: ReduceCheckParams) -> Result<(), Error> {
    params.validate()?;
    let backend = Backend::acquire(common.backend).await?;
    let report = backend.report();
    eprintln!("device: {}", report.label);
    let mut stepper = ReduceCheck::new(params.clone(), &backend).await?;
    let bar = progress(params.trials, "check");
    let mut worst = 0.0f64;
    let (mut gpu_ms, mut cpu_ms) = (Vec::new(), Vec::new());
    let last: Frame = regula_core::frame::run_to_end(&mut stepper, Budget::millis(100.0), |f| {
        bar.set_position(f.iteration);
        worst = worst.max(f.metric("diff_over_tolerance").unwrap_or(0.0));
        gpu_ms.extend(f.metric("gpu_ms"));
        cpu_ms.push(f.metric("cpu_ms").unwrap_or(f64::NAN));
        if let Some(d) = f.metric("max_abs_diff") {
            bar.set_message(format!("max |gpu−cpu| {d:.2e}"));
        }
    })
    .await?;
    bar.finish_and_clear();
    let median = |v: &mut Vec<f64>| -> Option<f64> {
        v.sort_by(f64::total_cmp);
        (!v.is_empty()).then(|| v[v.len() / 2])
    };
    let gpu_median = median(&mut gpu_ms);
    let cpu_median = median(&mut cpu_ms);
    let p = &params;
    println!("{} per {} of a {}×{} matrix, {} trials on {}", p.op, p.axis, p.rows, p.cols, last.iteration, report.label);
    if let Some(g) = gpu_median {
        println!("gpu vs cpu: worst |diff|/tolerance {worst:.3} ({})", if last.converged { "agree" } else { "DISAGREE" });
        println!("median time: gpu {g:.3} ms (dispatch + readback), cpu {:.3} ms", cpu_median.unwrap_or(f64::NAN));
    } else {
        println!("cpu only (no GPU to compare): median {:.3} ms", cpu_median.unwrap_or(f64::NAN));
    }
    if common.json {
        let out = json!({
            "backend": backend.name(),
            "device": report.label,
            "rows": p.rows, "cols": p.cols, "op": p.op, "axis": p.axis, "trials": last.iteration,
            "agree": last.converged,
            "worst_diff_over_tolerance": gpu_median.map(|_| worst),
            "gpu_ms_median": gpu_median,
            "cpu_ms_median": cpu_median,
            "seconds": last.elapsed_ms / 1e3,
        });
        println!("{out}");
    }
    if !last.converged {
        return Err(Error::Gpu(format!("GPU and CPU disagree beyond tolerance (worst ratio {worst:.3})")));
    }
    Ok(())
}

fn read_points(path: &std::path::Path) -> Result<regula_core::ot::Points, Error> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::Csv { file: name.clone(), line: 0, message: format!("cannot read the file: {e}") })?;
    regula_core::ot::csv::parse_points(&name, &text)
}

async fn ot(args: OtArgs) -> Result<(), Error> {
    let params = SolverParams {
        method: args.method,
        eps: args.eps,
        n1: args.n1,
        density: args.density,
        tol: args.tol,
        max_iter: args.max_iter,
        eps_scaling: args.eps_scaling,
    };
    params.validate()?;
    let problem = match (&args.source, &args.target) {
        (Some(s), Some(t)) => {
            let mut p = OtProblem::points(read_points(s)?, read_points(t)?, args.cost)?;
            if args.normalize_cost {
                p.normalise_cost();
            }
            p
        }
        _ => ProblemSpec {
            kind: args.problem,
            n: args.n,
            m: args.m.unwrap_or(args.n),
            seed: args.seed,
            cost: args.cost,
            normalize_cost: args.normalize_cost,
        }
        .build()?,
    };
    // The GPU runs log-sinkhorn (f32); kernel Sinkhorn and SNS run on the CPU in f64. `auto` picks the
    // GPU for log-sinkhorn when an adapter opens.
    let backend = match (args.common.backend, params.method) {
        (BackendChoice::Cpu, _) | (BackendChoice::Auto, Method::Sinkhorn | Method::Sns) => Backend::Cpu { fallback: None },
        (BackendChoice::Auto, _) if params.eps_scaling => Backend::Cpu { fallback: None },
        (choice, _) => Backend::acquire(choice).await?,
    };
    let (n, m) = (problem.n(), problem.m());
    eprintln!("ot: {} on {n} × {m}, eps {}, {}", params.method, params.eps, backend.report().label);
    let mut solver = match backend.gpu() {
        Some(ctx) => OtStepper::Gpu(Box::new(GpuSinkhorn::new(ctx.clone(), &problem, params.clone()).await?)),
        None => OtStepper::Cpu(OtSolver::new(&problem, params.clone())?),
    };
    let mut trace = match &args.trace {
        Some(path) => {
            let mut w = std::io::BufWriter::new(std::fs::File::create(path).map_err(|e| Error::Invalid {
                name: "trace",
                message: format!("cannot create {}: {e}", path.display()),
            })?);
            use std::io::Write;
            writeln!(w, "iteration,phase,marginal_error,transport_cost,dual_objective,step_size,nnz,cg_iterations,elapsed_ms")
                .map_err(|e| Error::Invalid { name: "trace", message: e.to_string() })?;
            Some(w)
        }
        None => None,
    };
    // With a trace, one frame per iteration; otherwise frames every 200 ms for the progress bar.
    let budget = if trace.is_some() { Budget::iterations(1) } else { Budget::millis(200.0) };
    let bar = progress(params.max_iter, "ot");
    let mut write_error = None;
    let mut traced = None;
    let last = regula_core::frame::run_to_end(&mut solver, budget, |f| {
        bar.set_position(f.iteration);
        bar.set_message(format!("marginal error {:.2e}", f.metric("marginal_error").unwrap_or(f64::NAN)));
        // The frame that finds the tolerance met repeats the last iterate: one row per iterate.
        if let Some(w) = trace.as_mut().filter(|_| traced.replace(f.iteration) != Some(f.iteration)) {
            use std::io::Write;
            let opt = |k: &str| f.metric(k).map(|v| v.to_string()).unwrap_or_default();
            let row = writeln!(
                w,
                "{},{},{},{},{},{},{},{},{}",
                f.iteration,
                f.phase.as_deref().unwrap_or(""),
                opt("marginal_error"),
                opt("transport_cost"),
                opt("dual_objective"),
                opt("step_size"),
                opt("nnz"),
                opt("cg_iterations"),
                f.elapsed_ms
            );
            if let Err(e) = row {
                write_error.get_or_insert(e.to_string());
            }
        }
    })
    .await?;
    bar.finish_and_clear();
    if let Some(mut w) = trace {
        use std::io::Write;
        w.flush().map_err(|e| Error::Invalid { name: "trace", message: e.to_string() })?;
    }
    if let Some(e) = write_error {
        return Err(Error::Invalid { name: "trace", message: e });
    }
    let metric = |k: &str| last.metric(k).unwrap_or(f64::NAN);
    let stop = last.stop.map(|r| format!("{r:?}")).unwrap_or_default();
    println!(
        "{} iterations ({} Newton), marginal error {:.3e} (ℓ1, both marginals), <C,P> {:.10}, dual {:.10}, {:.3} s, stopped: {stop}",
        last.iteration,
        metric("newton_steps"),
        metric("marginal_error"),
        metric("transport_cost"),
        metric("dual_objective"),
        last.elapsed_ms / 1e3
    );
    if last.stop == Some(regula_core::StopReason::Stalled) {
        eprintln!("ot: the error stopped improving above --tol: f32's precision floor; use --backend cpu to go further");
    }
    if args.common.json {
        println!(
            "{}",
            json!({
                "method": params.method.name(), "backend": backend.name(), "n": n, "m": m, "eps": params.eps,
                "iterations": last.iteration, "newton_steps": metric("newton_steps") as u64,
                "marginal_error": metric("marginal_error"), "transport_cost": metric("transport_cost"),
                "dual_objective": metric("dual_objective"), "seconds": last.elapsed_ms / 1e3,
                "converged": last.converged,
            })
        );
    }
    Ok(())
}

/// The CPU or GPU OT solver behind one stepper.
enum OtStepper {
    Cpu(OtSolver),
    Gpu(Box<GpuSinkhorn>),
}

impl regula_core::Stepper for OtStepper {
    async fn step(&mut self, budget: Budget) -> Result<Frame, Error> {
        match self {
            OtStepper::Cpu(s) => s.step(budget).await,
            OtStepper::Gpu(s) => s.step(budget).await,
        }
    }
}
