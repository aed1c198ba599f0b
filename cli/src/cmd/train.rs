//! `regula train`: the training page headless — a small network on a generated dataset or a CSV file, on
//! the GPU (f32) or the CPU (f64), with its Hessian measured against 2/η.

use std::path::PathBuf;

use clap::{Arg, ArgMatches, Command};
use regula_charts::Series;
use regula_core::lab::Lab;
use regula_core::metrics as key;
use regula_core::train::lab::Params;
use regula_core::train::run::{self, TrainRun};
use regula_core::train::{Loss, Trainer};
use regula_core::{Backend, BackendChoice, Budget, Error, StopReason};
use serde_json::json;

use crate::kit::{self, Out};
use crate::out::{line, read_text, save_png, sibling, spec, write_png, Trace};

pub fn command() -> Command {
    kit::command(Params::DEF, "train", true)
        .arg(
            Arg::new("data")
                .long("data")
                .value_name("FILE")
                .value_parser(clap::value_parser!(PathBuf))
                .help("Your data: CSV with the target in the last column (integer classes with --loss xent or --classify); replaces --dataset."),
        )
        .arg(kit::switch("classify", "Treat the last CSV column as class labels (implied by --loss xent)."))
}

pub async fn run(m: &ArgMatches) -> Result<(), Error> {
    let params: Params = kit::params(m)?;
    let out = Out::of(m);
    let file = m.get_one::<PathBuf>("data");
    let data = match file {
        Some(path) => {
            let classify = kit::on(m, "classify") || params.config.loss == Loss::Xent;
            regula_core::train::data::from_csv(
                &path.display().to_string(),
                &read_text(path)?,
                classify,
                params.data.train_ratio,
                params.config.seed,
            )?
        }
        None => params.dataset().build()?,
    };
    let device = if params.backend == BackendChoice::Cpu {
        Backend::Cpu { fallback: None }
    } else {
        Backend::acquire(BackendChoice::Auto).await?
    };
    let mut trainer = run::start(&params, data, &device).await?;
    let (n_params, spe, train_rows, test_rows) = {
        let t = trainer.trainer();
        (t.params().len(), t.steps_per_epoch(), t.data().train.len(), t.data().test.len())
    };
    let c = &params.config;
    let source = file.map_or_else(|| params.data.kind.to_string(), |p| p.display().to_string());
    eprintln!(
        "train: {source} ({train_rows} train / {test_rows} test rows), {n_params} parameters, {} lr {}, {}",
        c.optimizer,
        c.lr,
        trainer.label()
    );
    let bar = kit::progress(spe * c.epochs as u64, "train");
    let header = "step,epoch,train_loss,test_loss,train_accuracy,test_accuracy,lr,sharpness,hessian_trace,stability_threshold,noisy_memorised";
    let mut trace = Trace::create(out.trace.as_deref(), header)?;
    // With a trace or a chart, one frame per epoch.
    let budget = if trace.on() || out.png.is_some() { Budget::iterations(spe) } else { Budget::millis(200.0) };
    // The page's line charts, one list of (step, value) per metric.
    let charted = [
        key::TRAIN_LOSS,
        key::TEST_LOSS,
        key::TRAIN_ACCURACY,
        key::TEST_ACCURACY,
        key::SHARPNESS,
        key::STABILITY_THRESHOLD,
        key::BATCH_BOUND,
    ];
    let mut curves: Vec<Vec<(f64, f64)>> = vec![Vec::new(); charted.len()];
    let mut last_charted = None;
    let last = regula_core::frame::run_to_end(&mut trainer, budget, |f| {
        bar.set_position(f.iteration);
        bar.set_message(format!("train loss {:.4}", f.metric(key::TRAIN_LOSS).unwrap_or(f64::NAN)));
        if last_charted.replace(f.iteration) != Some(f.iteration) {
            for (curve, k) in curves.iter_mut().zip(charted) {
                curve.extend(f.metric(k).map(|v| (f.iteration as f64, v)));
            }
        }
        let opt = |k: &str| f.metric(k).map(|v| v.to_string()).unwrap_or_default();
        let mut cells = vec![f.iteration.to_string()];
        cells.extend(
            [
                key::EPOCH,
                key::TRAIN_LOSS,
                key::TEST_LOSS,
                key::TRAIN_ACCURACY,
                key::TEST_ACCURACY,
                key::LR,
                key::SHARPNESS,
                key::HESSIAN_TRACE,
                key::STABILITY_THRESHOLD,
                key::NOISY_MEMORISED,
            ]
            .map(opt),
        );
        trace.row(&cells);
    })
    .await?;
    bar.finish_and_clear();
    trace.finish()?;
    if let Some(path) = &out.png {
        // FILE: loss; FILE-error: error rate (1 − accuracy); FILE-sharpness: λmax against 2/η (when measured).
        let [train_loss, test_loss, train_acc, test_acc, sharp, threshold, bound] =
            <[Vec<(f64, f64)>; 7]>::try_from(curves).expect("seven curves");
        save_png(
            path,
            spec("Loss vs step", "step", "loss", 1e-8),
            &[line("train", 0, train_loss), line("test", 1, test_loss)],
            (false, true),
        )?;
        let error = |c: Vec<(f64, f64)>| c.into_iter().map(|(x, a)| (x, 1.0 - a)).collect();
        let errors = [line("train error", 0, error(train_acc)), line("test error", 1, error(test_acc))];
        save_png(
            &sibling(path, "error"),
            spec("Error rate (1 − accuracy) vs step", "step", "error", 1e-3),
            &errors,
            (false, true),
        )?;
        if sharp.is_empty() {
            eprintln!("train: no sharpness was measured (add --hessian-every K), so there is no sharpness chart");
        } else {
            let lines = [
                line("λmax (sharpness)", 0, sharp),
                line("stability threshold 2/η", 1, threshold),
                line("tr(H)/B + (1 − 1/B)λmax", 2, bound),
            ];
            let lines: Vec<Series> = lines.into_iter().filter(|l| !l.points.is_empty()).collect();
            save_png(
                &sibling(path, "sharpness"),
                spec("Sharpness λmax vs the stability threshold", "step", "λ", 1e-6),
                &lines,
                (false, true),
            )?;
        }
        pictures(path, trainer.trainer())?;
    }
    let metric = |k: &str| last.metric(k);
    let seconds = last.elapsed_ms / 1e3;
    if last.stop == Some(StopReason::Divergence) {
        eprintln!("warning: training diverged at step {} (loss → ∞): lower the learning rate", last.iteration);
    }
    println!(
        "{} after {:.1} epochs ({} steps, {:.0} steps/s): train loss {:.4}{}{}{}",
        last.stop.map_or("stopped".to_owned(), |s| format!("{s:?}").to_lowercase()),
        metric(key::EPOCH).unwrap_or(0.0),
        last.iteration,
        last.iteration as f64 / seconds.max(1e-9),
        metric(key::TRAIN_LOSS).unwrap_or(f64::NAN),
        metric(key::TEST_LOSS).map(|l| format!(", test loss {l:.4}")).unwrap_or_default(),
        metric(key::TRAIN_ACCURACY).map(|a| format!(", train accuracy {a:.3}")).unwrap_or_default(),
        metric(key::TEST_ACCURACY).map(|a| format!(", test accuracy {a:.3}")).unwrap_or_default(),
    );
    if let (Some(l), Some(t)) = (metric(key::SHARPNESS), metric(key::HESSIAN_TRACE)) {
        println!(
            "sharpness λmax {l:.4}, trace {t:.4}{}",
            metric(key::STABILITY_THRESHOLD).map(|s| format!(", stability threshold {s:.4}")).unwrap_or_default()
        );
    }
    if out.json {
        let j = json!({
            "epochs": metric(key::EPOCH), "train_loss": metric(key::TRAIN_LOSS), "test_loss": metric(key::TEST_LOSS),
            "train_accuracy": metric(key::TRAIN_ACCURACY), "test_accuracy": metric(key::TEST_ACCURACY),
            "sharpness": metric(key::SHARPNESS), "hessian_trace": metric(key::HESSIAN_TRACE), "params": n_params,
            "steps_per_second": last.iteration as f64 / seconds.max(1e-9), "seconds": seconds,
            "stop": last.stop, "diverged": last.stop == Some(StopReason::Divergence),
            "train_seconds": metric(key::TRAIN_SECONDS), "noisy_memorised": metric(key::NOISY_MEMORISED),
            "stability_threshold": metric(key::STABILITY_THRESHOLD), "backend": if matches!(trainer, TrainRun::Gpu(..)) { "gpu" } else { "cpu" },
            "placement": trainer.label(), "gpu_kernel": trainer.kernel().map(|k| k.name()),
        });
        println!("{j}");
    }
    Ok(())
}

/// The training page's pictures of the final network: FILE-network (weights), FILE-boundary (decision
/// boundary, for 2-D data), and — for networks of at most 600 parameters, as on the page — FILE-hessian
/// (|H| down to 10⁻³ of the largest entry, the page's default; 600 × 420) and FILE-density (its eigenvalue density).
fn pictures(path: &std::path::Path, t: &Trainer) -> Result<(), Error> {
    use regula_core::train::picture::{BoundaryPicture, HessianPicture, NetworkPicture, MAX_HESSIAN_PARAMS};
    let n = NetworkPicture::of(t);
    write_png(&sibling(path, "network"), |root| {
        regula_charts::train::draw_network(root, &n.widths, &n.layers, &n.theta, &n.inputs)
    })?;
    match BoundaryPicture::of(t) {
        Some(b) => {
            write_png(&sibling(path, "boundary"), |root| {
                regula_charts::train::draw_boundary(
                    root,
                    &regula_charts::raster_rects,
                    &b.grid,
                    b.size,
                    (b.lo, b.hi),
                    &b.points,
                    b.regression,
                )
            })?;
        }
        None => eprintln!("train: the data have no 2-D points, so there is no decision-boundary picture"),
    }
    if t.params().len() > MAX_HESSIAN_PARAMS {
        eprintln!("train: {} parameters: the Hessian pictures are drawn up to {MAX_HESSIAN_PARAMS}", t.params().len());
        return Ok(());
    }
    let h = HessianPicture::of(t)?;
    let hessian = sibling(path, "hessian");
    regula_charts::png::write_sized(&hessian, (600, 420), |root| {
        regula_charts::train::draw_hessian(root, h.p, &h.h, &h.layers, -3.0).map(drop)
    })
    .map_err(|e| Error::Invalid { name: "png", message: format!("{}: {e}", hessian.display()) })?;
    eprintln!("chart: {}", hessian.display());
    let title = "Eigenvalue density of H (stochastic Lanczos quadrature)";
    save_png(
        &sibling(path, "density"),
        spec(title, "λ (shifted: λ − λmin)", "density", 1e-6),
        &[line("density (SLQ, smoothed)", 0, h.density)],
        (false, true),
    )
}
