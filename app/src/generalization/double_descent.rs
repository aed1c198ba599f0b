//! Double descent of ridgeless regression against the closed-form risk.

use leptos::prelude::*;

use super::{line, SIM, SIM2, THEORY};
use crate::chart::LogChart;
use crate::device::Device;
use regula_core::generalization::double_descent;
use regula_core::metrics as key;

#[component]
pub fn DoubleDescentTab(device: Device) -> impl IntoView {
    let lab = crate::kit::use_lab(device, crate::kit::runnable::<double_descent::Config>(), None);
    let (config, runner) = (lab.params, lab.runner);
    let series = Signal::derive(move || {
        runner.frames.with(|fs| {
            let fr = fs.first().map(Vec::as_slice).unwrap_or_default();
            let pts =
                |k: &str| fr.iter().filter_map(|f| Some((f.metric(key::GAMMA)?, f.metric(k)?))).collect::<Vec<_>>();
            if fr.is_empty() {
                return Vec::new();
            }
            vec![
                line("median risk (simulated)", SIM, pts(key::RISK_MEDIAN)),
                line("mean risk (simulated)", SIM2, pts(key::RISK_MEAN)),
                line("theory", THEORY, pts(key::THEORY_RISK)),
            ]
        })
    });
    let status = move || {
        runner.frames.with(|fs| {
            let Some(f) = fs.first().and_then(|f| f.last()) else {
                return crate::kit::READY.to_owned();
            };
            let m = |k: &str| f.metric(k).unwrap_or(f64::NAN);
            format!(
                "{} (CPU, f64): {} of {} values of γ · γ = {:.3}: median risk {:.4}, theory {:.4}",
                runner.state(),
                f.iteration,
                config.with(|c| c.grid().len()),
                m(key::GAMMA),
                m(key::RISK_MEDIAN),
                m(key::THEORY_RISK)
            )
        })
    };
    view! {
        {crate::kit::panel(lab, &[], ())}
        {crate::kit::chrome(lab, status)}
        <div class="charts">
            <LogChart id="chart-dd" title="Excess test risk of ridgeless regression vs γ = p/n" x_label="γ = p/n" y_label="E‖β̂ − β‖²" series=series floor=1e-3 log_x=true />
        </div>
        <div class="explain">
            <p>
                "Ridgeless least squares (Hastie, Montanari, Rosset & Tibshirani 2019): n samples, p = γn isotropic "
                "Gaussian features, ‖β‖² = r², noise σ²; β̂ = X⁺y — ordinary least squares for γ < 1, the minimum-norm "
                "interpolator for γ > 1. Theory (n, p → ∞): σ²γ/(1 − γ) below the threshold, r²(1 − 1/γ) + σ²/(γ − 1) "
                "above; the risk is unbounded at γ = 1 (the grid skips p = n) and descends a second time as the "
                "model grows past interpolation. Each point is the median (and mean) over the trials."
            </p>
            {crate::kit::knobs::<double_descent::Config>("knobs-double-descent")}
        </div>
    }
}
