//! Continual learning with EWC (full-weight and LoRA), the Fisher information as a heatmap.

use leptos::html::Canvas;
use leptos::prelude::*;
use plotters::coord::Shift;
use plotters::prelude::*;

use super::{line, LS, SIM, SIM2, THEORY, THEORY2};
use crate::chart::LogChart;
use crate::device::Device;
use regula_core::generalization::continual;
use regula_core::metrics as key;

#[component]
pub fn ContinualTab(device: Device) -> impl IntoView {
    let lab = crate::kit::use_lab(device, crate::kit::runnable::<continual::Config>(), None);
    let (_config, runner) = (lab.params, lab.runner);
    let state = Signal::derive(move || {
        runner.frames.track();
        runner
            .with_steppers(|s| {
                s.first()
                    .map(|e| (e.outcomes.clone(), e.after_a.as_ref().map(|a| (a.1, a.2.clone()))))
                    .unwrap_or_default()
            })
            .unwrap_or_default()
    });
    let shapes = Signal::derive(move || {
        runner.frames.track();
        runner.with_steppers(|s| s.first().map(continual::Experiment::layer_shapes)).flatten().unwrap_or_default()
    });
    let heat = Signal::derive(move || state.with(|(_, a)| a.as_ref().map(|(_, f)| (f.clone(), shapes.get()))));
    let curves = Signal::derive(move || {
        state.with(|(o, _)| {
            if o.is_empty() {
                return Vec::new();
            }
            let col = |f: fn(&continual::Outcome) -> f64| o.iter().map(|x| (x.lambda, f(x))).collect::<Vec<_>>();
            let mut v = vec![
                line("forgetting of A", SIM2, col(|x| x.forgetting)),
                line("A's accuracy after B", THEORY2, col(|x| x.a_accuracy)),
                line("B's accuracy", SIM, col(|x| x.b_accuracy)),
            ];
            if o.iter().all(|x| x.lora.is_some()) {
                let lora = |f: fn(&continual::LoraOutcome) -> f64| {
                    o.iter().filter_map(|x| Some((x.lambda, f(x.lora.as_ref()?)))).collect::<Vec<_>>()
                };
                v.push(line("forgetting of A, LoRA", LS, lora(|l| l.forgetting)));
                v.push(line("B's accuracy, LoRA", THEORY, lora(|l| l.b_accuracy)));
            }
            v
        })
    });
    let fisher = Signal::derive(move || {
        state.with(|(_, a)| match a {
            Some((_, f)) => {
                vec![line("F_i (task A, at θ*_A)", SIM, f.iter().enumerate().map(|(i, v)| (i as f64, *v)).collect())]
            }
            None => Vec::new(),
        })
    });
    let table = move || {
        state.with(|(o, _)| {
            o.iter()
                .map(|x| view! {
                    <tr><td>{x.lambda.to_string()}</td><td>{format!("{:.3}", x.forgetting)}</td><td>{format!("{:.3}", x.a_accuracy)}</td>
                    <td>{format!("{:.3}", x.b_accuracy)}</td><td>{if x.diverged { "diverged" } else { "" }}</td>
                    <td>{x.lora.map_or("—".to_owned(), |l| format!("{:.3}", l.forgetting))}</td>
                    <td>{x.lora.map_or("—".to_owned(), |l| format!("{:.3}{}", l.b_accuracy, if l.diverged { " (diverged)" } else { "" }))}</td></tr>
                })
                .collect_view()
        })
    };
    let status = move || {
        runner.frames.with(|fs| {
            let Some(f) = fs.first().and_then(|f| f.last()) else {
                return crate::kit::READY.to_owned();
            };
            let m = |k: &str| f.metric(k).unwrap_or(f64::NAN);
            let draw = f.phase.clone().unwrap_or_default();
            if f.metric(key::LAMBDA).is_none() {
                format!("{} (CPU, f64): {draw} · task A learned, test accuracy {:.3}", runner.state(), m(key::A_ACCURACY_AFTER_A))
            } else {
                format!("{} (CPU, f64): {draw} · this draw at λ = {}: forgetting {:.3}, B accuracy {:.3} · chart and table: means over the draws so far", runner.state(), m(key::LAMBDA), m(key::FORGETTING), m(key::B_ACCURACY))
            }
        })
    };
    view! {
        {crate::kit::panel(lab, &[], ())}
        {crate::kit::chrome(lab, status)}
        <div class="charts">
            <LogChart id="chart-ewc" title="Forgetting and accuracy vs the penalty weight λ (λ = 0 in the table)" x_label="λ" y_label="fraction" series=curves linear_y=true log_x=true />
            <LogChart id="chart-fisher" title="Diagonal Fisher information of task A per parameter" x_label="parameter index (layer by layer: weights, then biases)" y_label="F_i" series=fisher floor=1e-10 />
            <FisherHeatmap fisher=heat />
        </div>
        <table id="ewc-table" class="results">
            <thead><tr><th>"λ"</th><th>"forgetting of A"</th><th>"A after B"</th><th>"B accuracy"</th><th></th><th>"LoRA: forgetting"</th><th>"LoRA: B accuracy"</th></tr></thead>
            <tbody>{table}</tbody>
        </table>
        <div class="explain">
            <p>
                "Elastic weight consolidation (Kirkpatrick et al. 2017; the Fisher penalty CSTRL and AlignGuard-LoRA use): "
                "learn task A (Playground's circle), then task B (xor) from A's weights θ*_A with the loss "
                "L_B + (λ/2)·Σ_i F_i(θ_i − θ*_A,i)², where F_i = mean over A's training points of (∂ℓ/∂θ_i)² (the "
                "diagonal empirical Fisher). Forgetting = A's test accuracy after A minus after B. Larger λ holds the "
                "parameters A relies on, so A is forgotten less but B is learned less; past λ·F_max > 2/η the penalty's "
                "own curvature makes plain SGD diverge (reported). 2-16-16-1 tanh, ½·MSE, SGD (or momentum), batch 1, "
                "coordinates scaled to [−1, 1]; every λ starts from the same θ*_A and batch order, and the whole "
                "comparison is repeated over independent draws and averaged — one draw's forgetting at λ = 0 ranges "
                "from 0.33 to 0.65. With the defaults (10 draws) forgetting falls from 0.49 at λ = 0 to 0.31 at "
                "λ = 20 while B keeps 0.95 (docs/methods.md's figure, which it puts at λ = 1000: λ's scale is the "
                "Fisher's normalisation). Both tasks share the plane, so B's accuracy caps how much of A can stay: "
                "xor's points avoid a band of width 0.6 around the axes, and only there can a net that gets xor "
                "right keep the circle."
            </p>
            {crate::kit::knobs::<continual::Config>("knobs-continual")}
            <p>
                "LoRA variant (AlignGuard-LoRA's setting): task B is learned only through rank-r adapters, "
                "W_l = W*_A,l + B_l A_l on every weight matrix (biases frozen; B_l = 0 at the start), and the Fisher "
                "penalty (λ/2)·Σ_i F_i Δ_i² acts on the adapters' update Δ = B_l A_l alone. Same η, batch and epochs. "
                "The heatmap shows F_i layer by layer (rows: units, columns: their inputs, then the bias) on a log "
                "scale: the weights task A relies on most are the ones the penalty holds."
            </p>
        </div>
    }
}

/// The diagonal Fisher information as one heatmap block per layer (fan-out rows × fan-in columns plus a
/// bias column), log colour scale over 6 decades below the largest entry.
#[component]
fn FisherHeatmap(fisher: Signal<Option<FisherByLayer>>) -> impl IntoView {
    let canvas = NodeRef::<Canvas>::new();
    let cells = move || fisher.with(|f| f.as_ref().map_or(0, |(v, _)| v.len()));
    Effect::new(move |_| {
        if let (Some((f, layers)), Some(c)) = (fisher.get(), canvas.get()) {
            if let Err(e) = crate::chart::canvas_root(c).and_then(|root| draw_fisher(root, &f, &layers)) {
                leptos::logging::warn!("fisher heatmap: {e}");
            }
        }
    });
    let svg: crate::chart::SvgExport = std::rc::Rc::new(move || {
        fisher.with_untracked(|f| {
            f.as_ref()
                .ok_or_else(|| "nothing drawn yet".to_owned())
                .and_then(|(f, layers)| regula_charts::svg(|root| draw_fisher(root, f, layers)))
        })
    });
    view! {
        <figure class="chart" data-cells=cells>
            <canvas id="chart-fisher-heatmap" node_ref=canvas width="600" height="320" role="img" aria-label="Fisher information heatmap by layer"></canvas>
            <crate::chart::ExportBar id="chart-fisher-heatmap" canvas=canvas svg=svg />
        </figure>
    }
}

fn draw_fisher<DB: DrawingBackend>(
    root: DrawingArea<DB, Shift>,
    f: &[f64],
    layers: &[(usize, usize, usize, usize)],
) -> Result<(), Box<dyn std::error::Error>>
where
    DB::ErrorType: 'static,
{
    regula_charts::train::draw_fisher(root, f, layers)
}

/// F_i and the layers as (weight offset, bias offset, fan-in, fan-out).
type FisherByLayer = (Vec<f64>, Vec<(usize, usize, usize, usize)>);
