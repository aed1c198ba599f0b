//! The solvers page: regularized linear algebra. Tab "sparse": the Lasso, OMP, IHT and a preconditioned
//! Lasso on random vs adversarial supports — prediction error and support recall vs N, and the latest
//! cross-validated fit's regularization path. CPU, f64, a bounded number of fits per animation frame.

use leptos::html::Canvas;
use leptos::prelude::*;

use crate::chart::{Band, BandChart};
use crate::device::Device;
use regula_core::metrics as key;
use regula_core::solvers::sparse::{self, design::Support, Experiment};

#[component]
pub fn SolversPage(device: Device) -> impl IntoView {
    view! {
        <section class="lab" aria-labelledby="solvers-title">
            <h2 id="solvers-title">"Solvers: regularized linear algebra"</h2>
            <crate::link::Presets slug="solvers" />
            <div class="tabs" role="tablist">
                <button id="tab-sparse" role="tab" aria-selected="true">"Sparse regression on random supports"</button>
            </div>
            <SparseTab device=device />
        </section>
    }
}

/// The bands of the error chart (or the recall chart), read from the running experiment.
fn bands(e: &Experiment, recall: bool) -> Vec<Band> {
    e.curves(recall)
        .into_iter()
        .map(|(name, support, ei, points)| Band {
            name,
            color: regula_charts::solvers::curve_color(ei, support == Support::Adversarial),
            points,
        })
        .collect()
}

fn picture(v: &sparse::PathView) -> regula_charts::solvers::PathPicture {
    regula_charts::solvers::PathPicture {
        title: v.title(),
        lambdas: v.fit.lambdas.clone(),
        coefs: v.lines(),
        cv_mean: v.fit.cv_mean.clone(),
        cv_se: v.fit.cv_se.clone(),
        chosen: v.fit.lambda(),
    }
}

#[component]
fn SparseTab(device: Device) -> impl IntoView {
    let lab = crate::kit::use_lab(device, crate::kit::runnable::<sparse::Params>(), None);
    let (params, runner) = (lab.params, lab.runner);
    let read = move |recall: bool| {
        Signal::derive(move || {
            runner.frames.track();
            runner.with_steppers(|runs| runs.first().map(|e| bands(e, recall))).flatten().unwrap_or_default()
        })
    };
    let path = Signal::derive(move || {
        runner.frames.track();
        runner.with_steppers(|runs| runs.first().and_then(|e| e.path().map(picture))).flatten()
    });
    let status = move || {
        runner.frames.with(|fs| {
            let Some(f) = fs.first().and_then(|f| f.last()) else {
                return crate::kit::READY.to_owned();
            };
            let p = params.get();
            let total = p.n.len() * p.trials * p.supports.len() * p.estimators.len();
            let m = |s: Support, e: sparse::Estimator| f.metric(&sparse::metric(s, e, key::PRED_ERROR_MEDIAN));
            let mut parts = Vec::new();
            for &s in &p.supports {
                if let Some(v) = p.estimators.first().and_then(|&e| m(s, e)) {
                    parts.push(format!("{s} {v:.4}"));
                }
            }
            let placement =
                runner.with_steppers(|r| r.first().map(Experiment::placement)).flatten().unwrap_or_default();
            format!(
                "{} ({placement}): {} of {total} fits ({:.1} s) · N = {}: median prediction error of {} — {}",
                runner.state(),
                f.iteration,
                f.elapsed_ms / 1e3,
                f.metric(key::SAMPLES).unwrap_or(f64::NAN),
                p.estimators.first().map_or("", |e| e.title()),
                parts.join(", ")
            )
        })
    };
    view! {
        {crate::kit::panel(lab, &[], ())}
        {crate::kit::chrome(lab, status)}
        <div class="charts">
            <BandChart id="chart-sparse-error" title="Prediction error vs N (median, quartiles over trials)" x_label="N" y_label="(1/N)‖X(ŵ − w*)‖²" bands=read(false) floor=1e-4 />
            <BandChart id="chart-sparse-recall" title="Support recall vs N (median over trials)" x_label="N" y_label="recall" bands=read(true) log_y=false />
            <PathView path=path />
        </div>
        <div class="explain">
            <p>
                "Each trial draws a design X (N × d) and, on each support type, a k-sparse w* scaled so that its signal "
                "variance w*ᵀΣw* is 1, then y = Xw* + σε. The curves are the median and quartiles over trials of the "
                "in-sample prediction error (1/N)‖X(ŵ − w*)‖² — an estimate of 0 scores about 1. "
                "Random support: k columns at random with random signs. Adversarial support: adjacent pairs (+1, −1), "
                "which nearly cancel when adjacent columns are correlated (ρ = 0.9: x_j − x_{j+1} has variance 2(1 − ρ))."
            </p>
            <p>
                "Lasso: min (1/2N)‖y − Xw‖² + λ‖w‖₁ by coordinate descent (warm-started down a path from λ_max = ‖Xᵀy‖∞/N, "
                "stopped by the duality gap), λ by K-fold cross-validation. OMP and IHT (normalized step) are told the true "
                "k, an oracle the Lasso does not get, and refit by least squares on their support. "
                "The preconditioned Lasso is ours: the 2025 paper's two phases (find a preconditioner, then solve the "
                "preconditioned sparse regression) with a construction we could not read, so phase 1 here is the Puffer "
                "transform of Jia & Rohe (2015), F = U D⁻¹ Uᵀ from X = U D Vᵀ, and phase 2 the cross-validated Lasso on (FX, Fy)."
            </p>
            <p>
                "The paper (d = 256, k = 6, ρ = 0.9): ≈ 0.005 at N = 40 on a random support; ≈ 1.0 at N = 40 and ≈ 0.04 at "
                "N = 80 on the adversarial one. Ours with these settings (σ = 0.1, 10 trials, seed 0): 0.0069 at N = 40 on "
                "the random support; 0.85 at N = 40 and 0.0073 at N = 80 on the adversarial one. On a hardware GPU the "
                "Lasso's cross-validation runs there: every fold × λ problem at once, by FISTA in f32 (a workgroup each); "
                "on the CPU by coordinate descent in f64. OMP, IHT and the preconditioner run on the CPU."
            </p>
            <crate::math::Equations id="eq-sparse" equations=crate::math::SPARSE />
            {crate::kit::knobs::<sparse::Params>("knobs-sparse")}
        </div>
    }
}

/// The latest cross-validated fit: its path and CV curve.
#[component]
fn PathView(path: Signal<Option<regula_charts::solvers::PathPicture>>) -> impl IntoView {
    let canvas = NodeRef::<Canvas>::new();
    Effect::new(move |_| {
        if let (Some(p), Some(c)) = (path.get(), canvas.get()) {
            if let Err(e) = crate::chart::canvas_root(c).and_then(|root| regula_charts::solvers::draw_path(root, &p)) {
                leptos::logging::warn!("path view: {e}");
            }
        }
    });
    let svg: crate::chart::SvgExport = std::rc::Rc::new(move || {
        path.with_untracked(|p| {
            p.as_ref()
                .ok_or_else(|| "nothing drawn yet".to_owned())
                .and_then(|p| regula_charts::svg(|root| regula_charts::solvers::draw_path(root, p)))
        })
    });
    view! {
        <figure class="chart">
            <canvas id="chart-sparse-path" node_ref=canvas width="600" height="320" role="img" aria-label="the latest Lasso's regularization path and cross-validation curve"></canvas>
            <crate::chart::ExportBar id="chart-sparse-path" canvas=canvas svg=svg />
            <figcaption class="undrawn" hidden=move || path.with(Option::is_some)>
                "The regularization path appears after the first Lasso fit (the estimators must include lasso or precond)."
            </figcaption>
        </figure>
    }
}
