//! `regula sketch`: the sketching page's regression tab headless — sketch-and-solve or
//! sketch-and-precondition over trials, on a generated design or a person's own A and b.

use std::path::{Path, PathBuf};

use clap::{Arg, ArgMatches, Command};
use regula_charts::Series;
use regula_core::lab::Lab;
use regula_core::metrics as key;
use regula_core::sketch::data::{parse_csv, parse_npy, Matrix};
use regula_core::sketch::experiment::{Experiment, Solver, Trial};
use regula_core::sketch::lab::{self, Params};
use regula_core::sketch::operators::SketchKind;
use regula_core::sketch::regression::Instance;
use regula_core::{Backend, BackendChoice, Budget, Error};
use serde_json::json;

use crate::kit::{self, Out};
use crate::out::{save_png, sibling, spec, write_png};

pub fn command() -> Command {
    kit::command(Params::DEF, "sketch", false)
        .arg(
            Arg::new("matrix")
                .long("matrix")
                .value_name("FILE")
                .value_parser(clap::value_parser!(PathBuf))
                .requires("rhs")
                .help("Your own A: CSV (one row per line) or .npy (float64/float32); replaces the design."),
        )
        .arg(
            Arg::new("rhs")
                .long("rhs")
                .value_name("FILE")
                .value_parser(clap::value_parser!(PathBuf))
                .requires("matrix")
                .help("Your own b: CSV (one value per line) or .npy."),
        )
}

fn read_matrix(path: &Path) -> Result<Matrix, Error> {
    let name = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| Error::Csv {
        file: name.clone(),
        line: 0,
        message: format!("cannot read the file: {e}"),
    })?;
    if path.extension().is_some_and(|e| e == "npy") {
        parse_npy(&name, &bytes)
    } else {
        let text = String::from_utf8(bytes).map_err(|_| Error::Csv {
            file: name.clone(),
            line: 0,
            message: "not UTF-8 text".into(),
        })?;
        parse_csv(&name, &text)
    }
}

pub async fn run(m: &ArgMatches) -> Result<(), Error> {
    let own = match (m.get_one::<PathBuf>("matrix"), m.get_one::<PathBuf>("rhs")) {
        (Some(a), Some(b)) => {
            let a_mat = read_matrix(a)?;
            let b_vec = read_matrix(b)?.into_vector(&b.display().to_string())?;
            Some(Instance::from_data(a_mat.data, b_vec, a_mat.rows, a_mat.cols)?)
        }
        _ => None,
    };
    // Your own A replaces the design: n and d are the file's, and the cells are checked against them.
    let mut extra = Vec::new();
    if let Some(inst) = &own {
        extra.extend([("n".to_owned(), Some(inst.n.to_string())), ("d".to_owned(), Some(inst.d.to_string()))]);
    }
    let params: Params = kit::params_with(m, extra)?;
    let out = Out::of(m);
    let device = if params.backend == BackendChoice::Cpu {
        Backend::Cpu { fallback: None }
    } else {
        Backend::acquire(BackendChoice::Auto).await?
    };
    let mut experiment = lab::start(&params, own, &device)?;
    let backend = experiment.backend().clone();
    let (n, d) = (experiment.instance().n, experiment.instance().d);
    let design = experiment.design().map_or_else(|| "data".to_owned(), |d| d.to_string());
    eprintln!("sketch: {design} {n} × {d}, solver {}, {}", params.solver, backend.report().label);
    let total = (experiment.cells().len() * params.trials) as u64;
    let bar = kit::progress(total, "sketch");
    let last = regula_core::frame::run_to_end(&mut experiment, Budget::millis(200.0), |f| {
        bar.set_position(f.iteration);
        if let Some(e) = f.metric(key::EPS2_MEDIAN) {
            bar.set_message(format!("ε₂ median {e:.3}"));
        }
    })
    .await?;
    bar.finish_and_clear();
    if let Some(path) = &out.png {
        charts(path, &experiment, &params.sketches, params.solver)?;
    }
    let exact = experiment
        .exact()
        .ok_or_else(|| Error::Invalid { name: "sketch", message: "the run ended before its first step".into() })?;
    if exact.rank_deficient {
        eprintln!("warning: A is rank-deficient: x* is the minimum-norm solution, ‖A†‖ uses the smallest nonzero singular value");
    }
    println!(
        "{design} n = {n}, d = {d}, {} trials per cell, solver {}; direct QR {:.3} s",
        params.trials,
        params.solver,
        experiment.exact_seconds()
    );
    println!(
        "{:<12} {:>6} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10}",
        "sketch", "m", "ε₂ med", "ε₂ p99", "ε∞ med", "ε∞ p99", "spike med", "s/trial"
    );
    let mut cells = Vec::new();
    for (k, c) in experiment.cells().iter().enumerate() {
        let figures = experiment.cell_metrics(k);
        let get = |name: &str| figures.iter().find(|(n, _)| n == name).map_or(f64::NAN, |(_, v)| *v);
        println!(
            "{:<12} {:>6} {:>10.4} {:>10.4} {:>10.4} {:>10.4} {:>10.3} {:>10.4}",
            c.sketch.to_string(),
            c.m,
            get(key::EPS2_MEDIAN),
            get(key::EPS2_P99),
            get(key::EPSINF_MEDIAN),
            get(key::EPSINF_P99),
            get(key::SPIKE_MEDIAN),
            get(key::SECONDS_MEDIAN)
        );
        if c.rank_deficient() > 0 {
            println!(
                "  note: {} of {} sketched systems SA were rank-deficient (minimum-norm x′; counted, not fatal)",
                c.rank_deficient(),
                c.trials.len()
            );
        }
        if params.solver == Solver::Precondition {
            match c.preconditioned() {
                Some((its, worst)) => println!(
                    "  LSQR over the {} preconditioned trials: median {its} iterations, worst ‖x − x*‖/‖x*‖ {worst:.2e}",
                    c.trials.len() - c.rank_deficient()
                ),
                None => println!("  LSQR: no trial preconditioned (every SA was rank-deficient: raise m)"),
            }
        }
        let mut cell = json!({
            "sketch": c.sketch, "design": design, "n": n, "d": d, "m": c.m, "trials": c.trials.len(),
            (key::EPS2_MEDIAN): get(key::EPS2_MEDIAN), (key::EPSINF_MEDIAN): get(key::EPSINF_MEDIAN), (key::EPSINF_P99): get(key::EPSINF_P99),
            (key::SPIKE_MEDIAN): get(key::SPIKE_MEDIAN), "seconds": get(key::SECONDS_MEDIAN),
            (key::EPS2_P99): get(key::EPS2_P99), (key::RESIDUAL_RATIO_MEDIAN): get(key::RESIDUAL_RATIO_MEDIAN),
            "rank_deficient_trials": c.rank_deficient(),
        });
        if let (Solver::Precondition, Some((its, worst))) = (params.solver, c.preconditioned()) {
            cell["relative_error_vs_exact"] = json!(worst);
            cell["lsqr_iterations"] = json!(its);
        }
        cells.push(cell);
    }
    if out.json {
        // The table's m (the largest): the headline cell; every cell under "cells" when there are several.
        let mut j =
            cells.iter().rev().find(|c| c["m"] == json!(params.m)).or(cells.last()).cloned().unwrap_or_default();
        j["backend"] = json!(backend.name());
        j["solver"] = json!(params.solver);
        j["exact_seconds"] = json!(experiment.exact_seconds());
        j["total_seconds"] = json!(last.elapsed_ms / 1e3);
        j["a_rank_deficient"] = json!(exact.rank_deficient);
        if cells.len() > 1 {
            j["cells"] = json!(cells);
        }
        println!("{j}");
    }
    Ok(())
}

/// The sketching page's charts. Sketch-and-solve: ε∞ vs m into FILE, ε₂ (FILE-eps2) and the spike score
/// (FILE-spike) vs m, and ε∞'s distribution at the largest m (FILE-hist). Sketch-and-precondition: LSQR's
/// excess residual per iteration at the largest m into FILE (the page shows only that chart then).
fn charts(path: &Path, experiment: &Experiment, sketches: &[SketchKind], solver: Solver) -> Result<(), Error> {
    let color = |k: usize| regula_charts::PALETTE[k % regula_charts::PALETTE.len()];
    let cells = experiment.cells();
    let chosen = cells.iter().map(|c| c.m).max().unwrap_or(0);
    if solver == Solver::Precondition {
        let r_star = experiment.exact().map_or(1.0, |x| x.residual_norm);
        let lines: Vec<Series> = sketches
            .iter()
            .enumerate()
            .filter_map(|(k, &kind)| {
                let cell = cells.iter().find(|c| c.sketch == kind && c.m == chosen)?;
                let t = cell.trials.last().filter(|t| !t.residuals.is_empty())?;
                let points =
                    t.residuals.iter().enumerate().map(|(i, r)| (i as f64, ((r - r_star) / r_star).abs())).collect();
                Some(Series { name: kind.name(), color: color(k), points })
            })
            .collect();
        return save_png(
            path,
            spec("LSQR on AR⁻¹: excess residual (‖r_k‖ − ‖r*‖)/‖r*‖", "iteration", "excess", 1e-17),
            &lines,
            (false, true),
        );
    }
    let bands = |f: fn(&Trial) -> f64| -> Vec<regula_charts::Band> {
        sketches
            .iter()
            .enumerate()
            .map(|(k, &kind)| regula_charts::Band {
                name: kind.to_string(),
                color: color(k),
                points: cells
                    .iter()
                    .filter(|c| c.sketch == kind && !c.trials.is_empty())
                    .map(|c| {
                        let s = c.stats(f);
                        (c.m as f64, s.p10, s.median, s.p90)
                    })
                    .collect(),
            })
            .collect()
    };
    let band_chart = |path: &Path, title, y_label, f: fn(&Trial) -> f64, log_y| {
        let spec = regula_charts::BandSpec { title, x_label: "m", y_label, floor: 1e-3 };
        write_png(path, |root| regula_charts::draw_bands(root, spec, &bands(f), log_y).map(drop))
    };
    band_chart(path, "ε∞ = √d‖x′ − x*‖∞ / (‖Ax* − b‖‖A†‖) vs m", "ε∞", |t| t.metrics.epsinf, true)?;
    band_chart(
        &sibling(path, "eps2"),
        "ε₂ = ‖A(x′ − x*)‖ / ‖Ax* − b‖ vs m (median, p10–p90)",
        "ε₂",
        |t| t.metrics.eps2,
        true,
    )?;
    band_chart(
        &sibling(path, "spike"),
        "Spike score √d‖e‖∞/‖e‖₂ (1 spread … √d one coordinate)",
        "spike",
        |t| t.metrics.spike,
        false,
    )?;
    let hist: Vec<Series> = sketches
        .iter()
        .enumerate()
        .filter_map(|(k, &kind)| {
            let cell = cells.iter().find(|c| c.sketch == kind && c.m == chosen && !c.trials.is_empty())?;
            Some(Series {
                name: kind.name(),
                color: color(k),
                points: cell.trials.iter().map(|t| (t.metrics.epsinf, 0.0)).collect(),
            })
        })
        .collect();
    let title = format!("Distribution of ε∞ at m = {chosen}");
    write_png(&sibling(path, "hist"), |root| regula_charts::draw_histogram(root, &title, "ε∞", &hist).map(drop))
}
