//! `regula kernels`: the Kernels page headless — the reduction on the GPU against its f64 CPU twin.

use clap::{ArgMatches, Command};
use regula_charts::{LineSpec, Series, LOG_FLOOR};
use regula_core::kernels::{self, KernelCheck};
use regula_core::lab::Lab;
use regula_core::metrics as key;
use regula_core::{Backend, BackendChoice, Budget, Error, Frame};
use serde_json::json;

use crate::kit::{self, Out};
use crate::out::{line, save_png, sibling, spec};

pub fn command() -> Command {
    kit::command(kernels::Params::DEF, "kernels", false).visible_alias("check")
}

pub async fn run(m: &ArgMatches) -> Result<(), Error> {
    let params: kernels::Params = kit::params(m)?;
    let out = Out::of(m);
    let device = if params.backend == BackendChoice::Cpu {
        Backend::Cpu { fallback: None }
    } else {
        Backend::acquire(BackendChoice::Auto).await?
    };
    let backend = kernels::placement(&params, &device)?;
    let report = backend.report();
    eprintln!("device: {}", report.label);
    let mut stepper = KernelCheck::new(params.clone(), &backend).await?;
    let bar = kit::progress(params.trials, "kernels");
    let mut worst = 0.0f64;
    let (mut gpu_ms, mut cpu_ms) = (Vec::new(), Vec::new());
    // With a chart, one frame per trial (the page's); each curve is (trial, value).
    let budget = if out.png.is_some() { Budget::iterations(1) } else { Budget::millis(100.0) };
    let mut curves: [Vec<(f64, f64)>; 3] = Default::default();
    let last: Frame = regula_core::frame::run_to_end(&mut stepper, budget, |f| {
        bar.set_position(f.iteration);
        worst = worst.max(f.metric(key::DIFF_OVER_TOLERANCE).unwrap_or(0.0));
        gpu_ms.extend(f.metric(key::GPU_MS));
        cpu_ms.push(f.metric(key::CPU_MS).unwrap_or(f64::NAN));
        for (curve, k) in curves.iter_mut().zip([key::DIFF_OVER_TOLERANCE, key::GPU_MS, key::CPU_MS]) {
            curve.extend(f.metric(k).map(|v| (f.iteration as f64, v)));
        }
        if let Some(d) = f.metric(key::MAX_ABS_DIFF) {
            bar.set_message(format!("max |gpu−cpu| {d:.2e}"));
        }
    })
    .await?;
    bar.finish_and_clear();
    if let Some(path) = &out.png {
        let [diff, gpu, cpu] = curves;
        let diff: Vec<Series> =
            (!diff.is_empty()).then(|| line("|gpu − cpu| / tolerance", 0, diff)).into_iter().collect();
        save_png(
            path,
            LineSpec {
                guide: Some(1.0),
                ..spec("GPU vs CPU: worst difference / tolerance", "trial", "ratio", LOG_FLOOR)
            },
            &diff,
            (false, true),
        )?;
        let times: Vec<Series> = [line("gpu (dispatch + readback)", 0, gpu), line("cpu twin (f64)", 1, cpu)]
            .into_iter()
            .filter(|l| !l.points.is_empty())
            .collect();
        save_png(&sibling(path, "time"), spec("Time per trial", "trial", "ms", LOG_FLOOR), &times, (false, true))?;
    }
    let median = |v: &mut Vec<f64>| -> Option<f64> {
        v.sort_by(f64::total_cmp);
        (!v.is_empty()).then(|| v[v.len() / 2])
    };
    let gpu_median = median(&mut gpu_ms);
    let cpu_median = median(&mut cpu_ms);
    let p = &params;
    println!(
        "{} per {} of a {}×{} matrix, {} trials on {}",
        p.op, p.axis, p.rows, p.cols, last.iteration, report.label
    );
    if let Some(g) = gpu_median {
        println!(
            "gpu vs cpu: worst |diff|/tolerance {worst:.3} ({})",
            if last.converged { "agree" } else { "DISAGREE" }
        );
        println!("median time: gpu {g:.3} ms (dispatch + readback), cpu {:.3} ms", cpu_median.unwrap_or(f64::NAN));
    } else {
        println!("cpu only (no GPU to compare): median {:.3} ms", cpu_median.unwrap_or(f64::NAN));
    }
    if out.json {
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
