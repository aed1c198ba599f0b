//! Advani & Saxe's linear student–teacher: test error over time for one α (simulation and theory), or the α sweep.

use leptos::prelude::*;

use super::{line, SIM, SIM2, THEORY, THEORY2};
use crate::chart::LogChart;
use crate::device::Device;
use regula_core::generalization::student_teacher;
use regula_core::metrics as key;

#[component]
pub fn StudentTeacherTab(device: Device) -> impl IntoView {
    let lab = crate::kit::use_lab(device, crate::kit::runnable::<student_teacher::Params>(), None);
    let (panel, runner) = (lab.params, lab.runner);
    // The whole curve (frames carry only the latest point): read from the stepper after each frame.
    let rows = Signal::derive(move || {
        runner.frames.track();
        runner
            .with_steppers(|s| match s.first() {
                Some(student_teacher::StRun::Curve(r)) => r.curve.iter().map(|r| r.to_vec()).collect(),
                Some(student_teacher::StRun::Sweep(s)) => s.rows.iter().map(|r| r.to_vec()).collect(),
                None => Vec::new(),
            })
            .unwrap_or_default()
    });
    let col = |k: usize| move |rs: &Vec<Vec<f64>>| rs.iter().map(|r| (r[0], r[k])).collect::<Vec<_>>();
    let curve = Signal::derive(move || {
        if panel.with(|p| p.sweep) {
            return Vec::new();
        }
        rows.with(|rs| {
            vec![
                line("test error (simulated)", SIM, col(1)(rs)),
                line("test error (theory)", THEORY, col(3)(rs)),
                line("training error (simulated)", SIM2, col(2)(rs)),
                line("training error (theory)", THEORY2, col(4)(rs)),
            ]
        })
    });
    let sweep = Signal::derive(move || {
        if !panel.with(|p| p.sweep) {
            return Vec::new();
        }
        rows.with(|rs| {
            vec![
                line("best early-stopped (simulated)", SIM, col(1)(rs)),
                line("best early-stopped (theory)", THEORY, col(3)(rs)),
                line("at t = T (simulated)", SIM2, col(2)(rs)),
                line("at t = T (theory)", THEORY2, col(4)(rs)),
            ]
        })
    });
    let status = move || {
        runner.frames.with(|fs| {
            let Some(f) = fs.first().and_then(|f| f.last()) else {
                return crate::kit::READY.to_owned();
            };
            let m = |k: &str| f.metric(k).unwrap_or(f64::NAN);
            let state = runner.state();
            if panel.with(|p| p.sweep) {
                format!("{state} (CPU, f64): {} of {} values of α · last α = {:.3}: best {:.4} (theory {:.4}), at T {:.4} (theory {:.4})",
                    f.iteration, student_teacher::Sweep::default_alphas().len(), m(key::ALPHA), m(key::BEST_TEST_ERROR), m(key::THEORY_BEST_TEST_ERROR), m(key::FINAL_TEST_ERROR), m(key::THEORY_FINAL_TEST_ERROR))
            } else if let Some(progress) = f.metric(key::SETUP_PROGRESS) {
                format!("{state} (CPU, f64): sampling X and decomposing XᵀX, {:.0}% (spread over frames)", 100.0 * progress)
            } else if f.iteration == 0 {
                format!("{state} (CPU, f64): sampled X and decomposed XᵀX")
            } else {
                format!("{state} (CPU, f64): t = {:.3} · test error {:.4} (theory {:.4}) · best early-stopped {:.4} at t = {:.2} (theory {:.4} at t = {:.2})",
                    m(key::T), m(key::TEST_ERROR), m(key::THEORY_TEST_ERROR), m(key::BEST_TEST_ERROR), m(key::BEST_TIME), m(key::THEORY_BEST_TEST_ERROR), m(key::THEORY_BEST_TIME))
            }
        })
    };
    view! {
        {crate::kit::panel(lab, &[], ())}
        {crate::kit::chrome(lab, status)}
        <div class="charts">
            {move || if panel.with(|p| p.sweep) {
                view! { <LogChart id="chart-st-sweep" title="Test error vs α: best early-stopped and at t = T" x_label="α = P/N" y_label="test error" series=sweep floor=1e-3 /> }.into_any()
            } else {
                view! { <LogChart id="chart-st-curve" title="Error vs time: theory (Marchenko–Pastur) over simulation" x_label="t (gradient-flow time)" y_label="error" series=curve floor=1e-4 log_x=true /> }.into_any()
            }}
        </div>
        <div class="explain">
            <p>
                "Advani & Saxe (2017): P = αN samples of N inputs, X with entries N(0, 1/N), a teacher w̄ ~ N(0, I), "
                "labels y = Xw̄ + ε with σ_ε² = 1/SNR, and a linear student trained from w = 0 by gradient flow "
                "dw/dt = Xᵀ(y − Xw). Test error E_g = ‖w − w̄‖²/N + σ_ε². Simulation: this draw of X, solved exactly "
                "per eigendirection of XᵀX, w_k(t) = z_k(1 − e^{−λ_k t})/λ_k. Theory (N → ∞): E_g(t) = ∫ρ(λ)[e^{−2λt} + "
                "(σ_ε²/λ)(1 − e^{−λt})²]dλ + σ_ε², ρ the Marchenko–Pastur law on [(1 − √α)², (1 + √α)²] (plus a mass "
                "1 − α at 0 when α < 1). Small eigenvalues are learned last and amplify the noise: at α = 1 they reach "
                "0, so the error peaks — early stopping (best ≈ 0.57 at t ≈ 3 for SNR 5) beats the long run (≈ 13 at "
                "t = 10⁴); at α = 2 the long run is σ_ε²/(α − 1) + σ_ε² = 0.40. The sweep draws one instance per α."
            </p>
            <crate::math::Equations id="eq-student-teacher" equations=crate::math::STUDENT_TEACHER />
            {crate::kit::knobs::<student_teacher::Params>("knobs-student-teacher")}
        </div>
    }
}
