//! `regula ot`: the OT page headless — kernel Sinkhorn, log-domain Sinkhorn or SNS (or `compare`: the
//! last two side by side) on a generated problem or two point clouds from CSV files.

use std::path::PathBuf;

use clap::{Arg, ArgMatches, Command};
use regula_charts::LineSpec;
use regula_core::lab::Lab;
use regula_core::metrics as key;
use regula_core::ot::lab::Params;
use regula_core::ot::run::{self, OtRun};
use regula_core::ot::{OtProblem, Points};
use regula_core::{Backend, BackendChoice, Budget, Error, StopReason};
use serde_json::json;

use crate::kit::{self, Out};
use crate::out::{line, read_text, save_png, sibling, spec, write_png, Trace};

pub fn command() -> Command {
    kit::command(Params::DEF, "ot", true)
        .arg(
            Arg::new("source")
                .long("source")
                .value_name("FILE")
                .value_parser(clap::value_parser!(PathBuf))
                .requires("target")
                .help("Source point cloud CSV: `x,y[,...]` per line, optional header with a `weight` column (replaces --problem)."),
        )
        .arg(Arg::new("target").long("target").value_name("FILE").value_parser(clap::value_parser!(PathBuf)).requires("source").help("Target point cloud CSV (same format)."))
}

fn read_points(path: &std::path::Path) -> Result<Points, Error> {
    regula_core::ot::csv::parse_points(&path.display().to_string(), &read_text(path)?)
}

pub async fn run(m: &ArgMatches) -> Result<(), Error> {
    let params: Params = kit::params(m)?;
    let out = Out::of(m);
    let problem = match (m.get_one::<PathBuf>("source"), m.get_one::<PathBuf>("target")) {
        (Some(s), Some(t)) => {
            let mut p = OtProblem::points(read_points(s)?, read_points(t)?, params.problem.cost)?;
            if params.problem.normalize_cost {
                p.normalize_cost();
            }
            p
        }
        _ => params.problem.build()?,
    };
    // A GPU is opened only when a run would use one (the placement rule is `ot::run`'s, shared with the page).
    let device = if run::wants_gpu(&params, &problem) {
        Backend::acquire(BackendChoice::Auto).await?
    } else {
        Backend::Cpu { fallback: None }
    };
    let mut runs = run::start(&params, &problem, &device).await?;
    let (n, m_) = (problem.n(), problem.m());
    let mut results = Vec::new();
    for (k, r) in runs.iter_mut().enumerate() {
        eprintln!("ot: {} on {n} × {m_}, eps {}", r.label(), params.solver.eps);
        let png = out.png.as_ref().map(|p| if k == 0 { p.clone() } else { sibling(p, r.method()) });
        let trace = out.trace.as_ref().map(|p| if k == 0 { p.clone() } else { sibling(p, r.method()) });
        results.push(solve(r, &params, &problem, png.as_deref(), trace.as_deref()).await?);
    }
    if out.json {
        let mut j = results[0].clone();
        if results.len() > 1 {
            j["runs"] = json!(results);
        }
        println!("{j}");
    }
    Ok(())
}

/// Runs one method to the end: progress, trace rows, charts, the summary line; returns its JSON.
async fn solve(
    r: &mut OtRun,
    params: &Params,
    problem: &OtProblem,
    png: Option<&std::path::Path>,
    trace_path: Option<&std::path::Path>,
) -> Result<serde_json::Value, Error> {
    let header =
        "iteration,phase,marginal_error,transport_cost,dual_objective,step_size,nnz,kept_mass,cg_iterations,elapsed_ms";
    let mut trace = Trace::create(trace_path, header)?;
    // With a trace or a chart, one frame per iteration; otherwise frames every 200 ms for the progress bar.
    let budget = if trace.on() || png.is_some() { Budget::iterations(1) } else { Budget::millis(200.0) };
    let bar = kit::progress(params.solver.max_iter, "ot");
    let mut traced = None;
    let mut errors: Vec<(f64, f64)> = Vec::new();
    let mut errors_in_time: Vec<(f64, f64)> = Vec::new();
    let last = regula_core::frame::run_to_end(r, budget, |f| {
        bar.set_position(f.iteration);
        if let Some(e) =
            f.metric(key::MARGINAL_ERROR).filter(|_| errors.last().is_none_or(|p| p.0 != f.iteration as f64))
        {
            errors.push((f.iteration as f64, e));
            errors_in_time.push((f.elapsed_ms, e));
        }
        bar.set_message(format!("marginal error {:.2e}", f.metric(key::MARGINAL_ERROR).unwrap_or(f64::NAN)));
        // The frame that finds the tolerance met repeats the last iterate: one row per iterate.
        if trace.on() && traced.replace(f.iteration) != Some(f.iteration) {
            let opt = |k: &str| f.metric(k).map(|v| v.to_string()).unwrap_or_default();
            let mut cells = vec![f.iteration.to_string(), f.phase.clone().unwrap_or_default()];
            cells.extend(
                [
                    key::MARGINAL_ERROR,
                    key::TRANSPORT_COST,
                    key::DUAL_OBJECTIVE,
                    key::STEP_SIZE,
                    key::NNZ,
                    key::KEPT_MASS,
                    key::CG_ITERATIONS,
                ]
                .map(opt),
            );
            cells.push(f.elapsed_ms.to_string());
            trace.row(&cells);
        }
    })
    .await?;
    bar.finish_and_clear();
    trace.finish()?;
    let name = r.method().to_owned();
    if let Some(path) = png {
        // The page's four charts: FILE (error vs iteration), FILE-time, FILE-plan, FILE-sparsity.
        let spec_iter = spec("Marginal error (ℓ1) vs iteration", "iteration", "error", 1e-16);
        save_png(
            path,
            LineSpec { guide: Some(params.solver.tol), ..spec_iter },
            &[line(name.clone(), 0, errors)],
            (false, true),
        )?;
        let spec_time = spec("Marginal error (ℓ1) vs wall time", "ms", "error", 1e-16);
        save_png(
            &sibling(path, "time"),
            LineSpec { guide: Some(params.solver.tol), ..spec_time },
            &[line(name.clone(), 0, errors_in_time)],
            (false, true),
        )?;
        pictures(path, r, problem, params).await?;
    }
    let metric = |k: &str| last.metric(k).unwrap_or(f64::NAN);
    let stop = last.stop.map(|s| format!("{s:?}")).unwrap_or_default();
    println!(
        "{}: {} iterations ({} Newton), marginal error {:.3e} (ℓ1, both marginals), <C,P> {:.10}, dual {:.10}, {:.3} s, stopped: {stop}",
        r.label(),
        last.iteration,
        metric(key::NEWTON_STEPS),
        metric(key::MARGINAL_ERROR),
        metric(key::TRANSPORT_COST),
        metric(key::DUAL_OBJECTIVE),
        last.elapsed_ms / 1e3
    );
    if last.stop == Some(StopReason::Stalled) {
        if r.on_gpu() {
            eprintln!(
                "ot: the error stopped improving above --tol: f32's precision floor; use --backend cpu to go further"
            );
        } else {
            eprintln!("ot: the error stopped improving above --tol: f64's precision floor at this eps (rounding of the potentials); loosen --tol or raise --eps");
        }
    }
    Ok(json!({
        "method": name, "backend": if r.on_gpu() { "gpu" } else { "cpu" }, "placement": r.label(),
        "n": problem.n(), "m": problem.m(), "eps": params.solver.eps,
        "iterations": last.iteration, "newton_steps": metric(key::NEWTON_STEPS) as u64,
        key::MARGINAL_ERROR: metric(key::MARGINAL_ERROR), key::TRANSPORT_COST: metric(key::TRANSPORT_COST),
        key::DUAL_OBJECTIVE: metric(key::DUAL_OBJECTIVE), "seconds": last.elapsed_ms / 1e3,
        "converged": last.converged,
    }))
}

/// The OT page's pictures of the final iterate: the transport plan (`FILE-plan.png`) and the sparsified
/// Hessian's kept entries with the mass they capture (`FILE-sparsity.png`).
async fn pictures(path: &std::path::Path, r: &OtRun, problem: &OtProblem, params: &Params) -> Result<(), Error> {
    use regula_core::ot::analysis::{mass_captured, plan, top_k_pattern, MAX_DRAWN};
    let (n, m) = (problem.n(), problem.m());
    if n * m > MAX_DRAWN {
        eprintln!(
            "ot: the plan and sparsity pictures are drawn up to n × m = {MAX_DRAWN} (this run: {}); skipped",
            n * m
        );
        return Ok(());
    }
    let (f, g) = r.potentials().await?;
    let p = plan(problem, &f, &g, params.solver.eps);
    let layout = match &problem.geometry {
        regula_core::ot::problem::Geometry::Points { x, y, .. } if x.dim == 2 => {
            regula_charts::ot::PlanLayout::Points { x: &x.coords, y: &y.coords }
        }
        _ => regula_charts::ot::PlanLayout::Matrix,
    };
    write_png(&sibling(path, "plan"), |root| {
        regula_charts::ot::draw_plan(root, &regula_charts::raster_rects, &p, n, m, layout)
    })?;
    // The run's own k (the automatic density grows it during the run; a run without SNS has none).
    let keep = match r.keep() {
        0 => params.solver.keep_per_row(m),
        k => k,
    };
    let ks: Vec<usize> = (1..=m.min(keep.max(40))).collect();
    let captured = mass_captured(&p, n, m, &ks);
    write_png(&sibling(path, "sparsity"), |root| {
        regula_charts::ot::draw_sparsity(root, n, m, keep, &top_k_pattern(&p, n, m, keep), &captured).map(drop)
    })
}
