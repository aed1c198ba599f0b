//! `regula solvers <experiment>`: the solvers page's tabs headless (CPU, f64). `sparse`: prediction error vs
//! N on random and adversarial supports, per estimator.

use clap::{ArgMatches, Command};
use regula_core::lab::Lab;
use regula_core::solvers::sparse;
use regula_core::{Budget, Error};
use serde_json::json;

use crate::kit::{self, progress, Out};
use crate::out::{sibling, write_csv, write_png};

pub fn command() -> Command {
    Command::new("solvers")
        .about("Regularized linear algebra: sparse regression on random vs adversarial supports (CPU, f64).")
        .subcommand_required(true)
        .subcommand(kit::command(sparse::Params::DEF, "sparse", true))
}

pub async fn run(m: &ArgMatches) -> Result<(), Error> {
    match m.subcommand() {
        Some(("sparse", m)) => sparse(m).await,
        _ => Err(Error::Invalid { name: "command", message: "name an experiment: sparse".into() }),
    }
}

/// The bands of the error chart (or the recall chart), as the page draws them.
pub fn bands(e: &sparse::Experiment, recall: bool) -> Vec<regula_charts::Band> {
    e.curves(recall)
        .into_iter()
        .map(|(name, support, ei, points)| regula_charts::Band {
            name,
            color: regula_charts::solvers::curve_color(ei, support == sparse::design::Support::Adversarial),
            points,
        })
        .collect()
}

async fn sparse(m: &ArgMatches) -> Result<(), Error> {
    let params: sparse::Params = kit::params(m)?;
    let out = Out::of(m);
    let device = regula_core::Backend::acquire(params.backend).await?;
    let mut run = sparse::Experiment::on(params.clone(), &regula_core::backend::place(params.backend, &device)?)?;
    let total = (params.n.len() * params.trials * params.supports.len() * params.estimators.len()) as u64;
    eprintln!(
        "sparse regression: {} design, d = {}, k = {}, σ = {}, N ∈ {:?}, {} trials; {}",
        params.design,
        params.d,
        params.k,
        params.sigma,
        params.n,
        params.trials,
        run.placement()
    );
    let bar = progress(total, "fits");
    let started = std::time::Instant::now();
    regula_core::frame::run_to_end(&mut run, Budget::millis(200.0), |f| bar.set_position(f.iteration)).await?;
    bar.finish_and_clear();
    let seconds = started.elapsed().as_secs_f64();
    let curves = run.curves(false);
    print!("{:>6}", "N");
    for (name, ..) in &curves {
        print!(" {:>26}", name.chars().take(26).collect::<String>());
    }
    println!();
    let mut rows = Vec::new();
    for (ni, &n) in params.n.iter().enumerate() {
        print!("{n:>6}");
        for &s in &params.supports {
            for &e in &params.estimators {
                let sm = run.summary(ni, s, e);
                match sm {
                    Some(sm) => {
                        print!(" {:>13.4} p{:>4.2} r{:>4.2}", sm.median, sm.precision, sm.recall);
                        rows.push(json!({"n": n, "support": s.name(), "estimator": e.name(), "trials": sm.trials,
                            "pred_error_median": sm.median, "pred_error_q25": sm.q25, "pred_error_q75": sm.q75,
                            "precision": sm.precision, "recall": sm.recall}));
                    }
                    None => print!(" {:>26}", "—"),
                }
            }
        }
        println!();
    }
    println!("(median prediction error (1/N)‖X(ŵ − w*)‖² over {} trials; p: precision, r: recall of the support; {seconds:.1} s)", params.trials);
    if run.dropped > 0 {
        println!("the preconditioner dropped {} numerically zero singular values", run.dropped);
    }
    if let Some(path) = &out.trace {
        let mut csv = Vec::new();
        for (ni, &n) in params.n.iter().enumerate() {
            for (si, &s) in params.supports.iter().enumerate() {
                for (ei, &e) in params.estimators.iter().enumerate() {
                    for (t, o) in run.outcomes(ni, s, e).iter().enumerate() {
                        csv.push(vec![
                            n as f64,
                            si as f64,
                            ei as f64,
                            t as f64,
                            o.error,
                            o.precision,
                            o.recall,
                            o.lambda,
                        ]);
                    }
                }
            }
        }
        write_csv(path, "n,support,estimator,trial,pred_error,precision,recall,lambda", csv.into_iter())?;
        eprintln!(
            "(support: index into {:?}; estimator: index into {:?})",
            params.supports.iter().map(|s| s.name()).collect::<Vec<_>>(),
            params.estimators.iter().map(|e| e.name()).collect::<Vec<_>>()
        );
    }
    if let Some(path) = &out.png {
        let spec =
            regula_charts::BandSpec {
                title: TITLE_ERROR, x_label: "N", y_label: "(1/N)‖X(ŵ − w*)‖²", floor: 1e-4
            };
        let b = bands(&run, false);
        write_png(path, |root| regula_charts::draw_bands(root, spec, &b, true).map(drop))?;
        let spec = regula_charts::BandSpec { title: TITLE_RECALL, x_label: "N", y_label: "recall", floor: 1e-3 };
        let b = bands(&run, true);
        write_png(&sibling(path, "recall"), |root| regula_charts::draw_bands(root, spec, &b, false).map(drop))?;
        if let Some(view) = run.path() {
            let pic = picture(view);
            write_png(&sibling(path, "path"), |root| regula_charts::solvers::draw_path(root, &pic))?;
        }
    }
    if out.json {
        println!(
            "{}",
            json!({"design": params.design.name(), "d": params.d, "k": params.k, "rho": params.rho, "sigma": params.sigma, "trials": params.trials, "seconds": seconds, "rows": rows})
        );
    }
    Ok(())
}

/// The error chart's title (the page's).
pub const TITLE_ERROR: &str = "Prediction error vs N (median, quartiles over trials)";
/// The recall chart's title.
pub const TITLE_RECALL: &str = "Support recall vs N (median over trials)";

/// The path picture of the latest cross-validated fit.
pub fn picture(v: &sparse::PathView) -> regula_charts::solvers::PathPicture {
    regula_charts::solvers::PathPicture {
        title: v.title(),
        lambdas: v.fit.lambdas.clone(),
        coefs: v.lines(),
        cv_mean: v.fit.cv_mean.clone(),
        cv_se: v.fit.cv_se.clone(),
        chosen: v.fit.lambda(),
    }
}
