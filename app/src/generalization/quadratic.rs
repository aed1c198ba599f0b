//! The quadratic-activation teacher: gradient descent vs α = n/d², one run and averaged.

use leptos::prelude::*;

use super::{line, SIM, SIM2, THEORY, THEORY2};
use crate::chart::LogChart;
use crate::device::Device;
use regula_core::generalization::quadratic;
use regula_core::metrics as key;

#[component]
pub fn QuadraticTab(device: Device) -> impl IntoView {
    let lab = crate::kit::use_lab(device, crate::kit::runnable::<quadratic::Config>(), None);
    let (config, runner) = (lab.params, lab.runner);
    let state = Signal::derive(move || {
        runner.frames.track();
        runner.with_steppers(|s| s.first().map(|e| (e.rows.clone(), e.curve.clone()))).flatten().unwrap_or_default()
    });
    let sweep = Signal::derive(move || {
        state.with(|(rows, _)| {
            if rows.is_empty() {
                return Vec::new();
            }
            let col = |k: usize| rows.iter().map(|r| (r[0], r[k])).collect::<Vec<_>>();
            let threshold = config.with(|c| quadratic::recovery_threshold(c.kappa));
            vec![
                line("one gradient-descent run", SIM2, col(1)),
                line("mean over runs", THEORY2, col(2)),
                line("averaged predictor", SIM, col(3)),
                line("recovery threshold α_PR", THEORY, vec![(threshold, 1e-6), (threshold, 2.0)]),
            ]
        })
    });
    let curve = Signal::derive(move || {
        state.with(|(_, curve)| {
            if curve.is_empty() {
                return Vec::new();
            }
            vec![
                line("test error", SIM, curve.iter().map(|r| (r[0], r[2])).collect()),
                line("training error", SIM2, curve.iter().map(|r| (r[0], r[1])).collect()),
            ]
        })
    });
    let status = move || {
        runner.frames.with(|fs| {
            let Some(f) = fs.first().and_then(|f| f.last()) else {
                return crate::kit::READY.to_owned();
            };
            let m = |k: &str| f.metric(k).unwrap_or(f64::NAN);
            let n = config.with(|c| c.alphas.len());
            if f.stop == Some(regula_core::StopReason::Divergence) {
                return format!("{}: gradient descent diverged — lower the learning rate", runner.state());
            }
            let last = if f.metric(key::AVERAGED_TEST_ERROR).is_some() {
                format!(
                    " · last α done: one run {:.4}, averaged {:.4}",
                    m(key::SINGLE_TEST_ERROR),
                    m(key::AVERAGED_TEST_ERROR)
                )
            } else {
                String::new()
            };
            if f.done {
                return format!("{} (CPU, f64): {} of {n} values of α{last}", runner.state(), f.iteration);
            }
            format!(
                "{} (CPU, f64): {} of {n} values of α · α = {} start {}: step {}, test error {:.4}{last}",
                runner.state(),
                f.iteration,
                m(key::ALPHA),
                m(key::RESTART) + 1.0,
                m(key::GD_STEP),
                m(key::TEST_ERROR)
            )
        })
    };
    view! {
        {crate::kit::panel(lab, &[], ())}
        {crate::kit::chrome(lab, status)}
        <div class="charts">
            <LogChart id="chart-q-sweep" title="Test error vs α = n/d²: one run, the average over runs, and the averaged predictor" x_label="α = n/d²" y_label="test error" series=sweep floor=1e-6 />
            <LogChart id="chart-q-curve" title="The current start: errors vs gradient-descent step" x_label="step" y_label="relative error" series=curve floor=1e-10 />
        </div>
        <div class="explain">
            <p>
                "Maillard, Troiani, Martin, Krzakala & Zdeborová (2024): a teacher y = (1/√m)Σ_k[(w_k·x)²/d − 1] of "
                "width m = κd with quadratic activation, x ~ N(0, I_d), w_k ~ N(0, I_d), and n = αd² samples. The "
                "network depends only on S = WᵀW/(√m·d): f(x) = xᵀSx − tr S, so the test error is exact, "
                "‖S − S*‖²_F/‖S*‖²_F (1 for predicting 0). A student of the same width is trained by full-batch "
                "gradient descent on ½·mean squared error from a start drawn at the prior's scale. Above "
                "α_PR = κ − κ²/2 (0.375 for κ = ½) the samples pin S* down and one run recovers it; below, each run "
                "interpolates the samples somewhere else, and averaging the runs' predictors (S̄ = mean S) lowers the "
                "error. Reference (d = 20, κ = ½; single/average): 0.64/0.48, 0.63/0.37, 0.07/0.03, 0.004/0.001 at "
                "α = 0.125, 0.25, 0.375, 0.5; measured here with seed 0: 0.89/0.53, 0.37/0.21, 0.04/0.03, 0.000/0.000."
            </p>
            {crate::kit::knobs::<quadratic::Config>("knobs-quadratic")}
        </div>
    }
}
