//! `regula`: every lab, headless. Each subcommand builds a validated problem from its flags, drives the
//! core's stepper to the end with a progress bar on stderr, prints a summary, and with `--json` makes the
//! last stdout line one JSON object with the results. Errors are printed in words and exit non-zero.

use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;

use regula_core::demo::{ReduceCheck, ReduceCheckParams};
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
