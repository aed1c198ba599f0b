//! Self-distillation (PS-KD) vs cross-entropy and label smoothing: calibration and the reliability diagram.

use leptos::prelude::*;

use super::{line, LS, SIM, SIM2, THEORY2};
use crate::chart::LogChart;
use crate::device::Device;
use regula_core::generalization::pskd;
use regula_core::metrics as key;

#[component]
pub fn PskdTab(device: Device) -> impl IntoView {
    let lab = crate::kit::use_lab(device, crate::kit::runnable::<pskd::Config>(), None);
    let (_config, runner) = (lab.params, lab.runner);
    let state = Signal::derive(move || {
        runner.frames.track();
        runner
            .with_steppers(|s| s.first().map(|e| (e.rows.clone(), e.last.clone())).unwrap_or_default())
            .unwrap_or_default()
    });
    let per_run = move |offset: usize| {
        state.with(|(rows, _)| {
            if rows.is_empty() {
                return Vec::new();
            }
            let col = |k: usize| rows.iter().map(|r| (r[0], r[k])).collect::<Vec<_>>();
            vec![
                line("cross-entropy", SIM2, col(1 + offset)),
                line("label smoothing", LS, col(4 + offset)),
                line("PS-KD", SIM, col(7 + offset)),
            ]
        })
    };
    let nll = Signal::derive(move || per_run(1));
    let ece = Signal::derive(move || per_run(2));
    let reliability = Signal::derive(move || {
        state.with(|(_, last)| {
            if last.is_empty() {
                return Vec::new();
            }
            let bins =
                |c: &pskd::Calibration| c.bins.iter().filter(|b| b.0 > 0).map(|b| (b.1, b.2)).collect::<Vec<_>>();
            vec![
                line("perfect calibration", THEORY2, vec![(0.0, 0.0), (1.0, 1.0)]),
                line("cross-entropy", SIM2, bins(&last[0])),
                line("label smoothing", LS, bins(&last[1])),
                line("PS-KD", SIM, bins(&last[2])),
            ]
        })
    });
    let table = move || {
        state.with(|(_, last)| {
            pskd::RUNS
                .iter()
                .zip(last)
                .map(|(name, c)| view! { <tr><td>{*name}</td><td>{format!("{:.4}", c.accuracy)}</td><td>{format!("{:.4}", c.nll)}</td><td>{format!("{:.4}", c.ece)}</td></tr> })
                .collect_view()
        })
    };
    let status = move || {
        runner.frames.with(|fs| {
            let Some(f) = fs.first().and_then(|f| f.last()) else {
                return crate::kit::READY.to_owned();
            };
            let m = |k: &str| f.metric(k).unwrap_or(f64::NAN);
            format!(
                "{} (CPU, f64): epoch {} · ECE cross-entropy {:.4}, label smoothing {:.4}, PS-KD {:.4}",
                runner.state(),
                f.iteration,
                m(&key::of_run("ce", key::ECE)),
                m(&key::of_run("ls", key::ECE)),
                m(&key::of_run("pskd", key::ECE))
            )
        })
    };
    view! {
        {crate::kit::panel(lab, &[], ())}
        {crate::kit::chrome(lab, status)}
        <div class="charts">
            <LogChart id="chart-pskd-ece" title="Expected calibration error (15 bins) vs epoch" x_label="epoch" y_label="ECE" series=ece floor=1e-3 />
            <LogChart id="chart-pskd-nll" title="Test negative log-likelihood vs epoch" x_label="epoch" y_label="NLL" series=nll floor=1e-3 />
            <LogChart id="chart-pskd-reliability" title="Reliability diagram (last epoch): accuracy vs confidence" x_label="confidence (top probability)" y_label="accuracy" series=reliability linear_y=true />
        </div>
        <table id="pskd-table" class="results">
            <thead><tr><th>"run (last epoch, test set)"</th><th>"accuracy"</th><th>"NLL"</th><th>"ECE"</th></tr></thead>
            <tbody>{table}</tbody>
        </table>
        <div class="explain">
            <p>
                "Progressive self-knowledge distillation (Kim, Ji, Yoon & Hwang 2021): at epoch t of T the target of "
                "example x is (1 − α_t)·y + α_t·P_{t−1}(x), its one-hot label softened by the network's own prediction "
                "at the end of the previous epoch, with α_t = α_T·t/T — the network is its own, gradually trusted "
                "teacher. Label smoothing uses the fixed (1 − α)·y + α/K instead. All three runs share the digits split, "
                "the initial weights and the batch order (64-H-10 ReLU, Adam). Calibration on the test set: NLL, and "
                "ECE = Σ_b (n_b/n)|accuracy_b − confidence_b| over 15 equal-width bins of the top probability; in the "
                "reliability diagram a calibrated net lies on the diagonal. Label smoothing's targets cap the top "
                "probability at 1 − α + α/K, so it sits above the diagonal (under-confident)."
            </p>
            {crate::kit::knobs::<pskd::Config>("knobs-pskd")}
        </div>
    }
}
