//! The kernel-check page: the reduction kernel on a matrix of the size the person picks, GPU against
//! the CPU twin, trial by trial — difference (against the stated tolerance) and timings plotted live.
//! Parameter panel → run controls → charts, as every lab page.

use std::rc::Rc;

use leptos::prelude::*;
use plotters::style::RGBColor;
use regula_core::demo::{ReduceCheck, ReduceCheckParams};
use regula_core::reduce::{ReduceAxis, ReduceOp};
use regula_core::{BackendChoice, Frame};

use crate::app::Device;
use crate::chart::{LogChart, Series};
use crate::runner::{Factory, RunControls, Runner};

const GPU_COLOR: RGBColor = RGBColor(214, 90, 40);
const CPU_COLOR: RGBColor = RGBColor(40, 110, 200);

pub fn series(frames: &[Frame], name: &'static str, metric: &str, color: RGBColor) -> Option<Series> {
    let points: Vec<(f64, f64)> =
        frames.iter().filter_map(|f| f.metric(metric).map(|v| (f.iteration as f64, v))).collect();
    (!points.is_empty()).then_some(Series { name, color, points })
}

/// What a link carries for this lab.
#[derive(Clone, PartialEq, serde::Serialize, serde::Deserialize)]
struct Link {
    #[serde(flatten)]
    params: ReduceCheckParams,
    backend: BackendChoice,
}

/// The checks worth one click: the reduction inside each lab's solver, at the shapes that stress it.
const PRESETS: &[crate::link::Preset] = &[
    crate::link::Preset {
        title: "The log-domain Sinkhorn half-step: LSE down 2048 columns",
        source: "REFERENCE §1 (Schmitzer 2019; Cuturi 2013): g_j ← ε log b_j − ε LSE_i((f_i − C_ij)/ε), one LSE per column",
        query: "rows=2048&cols=2048&op=lse&axis=cols&trials=20",
    },
    crate::link::Preset {
        title: "Ragged shapes: one row of 65,537 (a workgroup and one)",
        source: "Guarantee 3: sizes that are not multiples of the workgroup (256) or of the chunk",
        query: "rows=1&cols=65537&op=sum&axis=rows&trials=30",
    },
    crate::link::Preset {
        title: "Tall and thin: max over each row of 8192 × 7",
        source: "Guarantee 3: many short lines, one per workgroup",
        query: "rows=8192&cols=7&op=max&axis=rows&trials=30",
    },
];

#[component]
pub fn KernelsPage(device: Device) -> impl IntoView {
    let defaults = Link { params: ReduceCheckParams::default(), backend: BackendChoice::Auto };
    let restored = crate::link::restore("kernels", None, &defaults, |l: &Link| l.params.validate());
    let notices = restored.notices;
    let params = RwSignal::new(restored.value.params);
    let backend = RwSignal::new(restored.value.backend);
    crate::link::sync("kernels", None, Signal::derive(move || Link { params: params.get(), backend: backend.get() }), defaults);
    let factory: Factory<ReduceCheck> = Rc::new(move || {
        let p = params.get_untracked();
        let b = device.backend(backend.get_untracked());
        Box::pin(async move { Ok(vec![ReduceCheck::new(p, &b).await?]) })
    });
    let runner = Runner::new(factory);
    if restored.run {
        runner.run();
    }
    let invalid = Memo::new(move |_| params.with(|p| p.validate().err().map(|e| e.to_string())));
    // Every parameter invalidates the whole run here (the data and the kernels depend on all of them).
    let edit = move |f: Box<dyn FnOnce(&mut ReduceCheckParams)>| {
        runner.reset();
        params.update(|p| f(p));
    };
    let number = move |label: &'static str, id: &'static str, get: fn(&ReduceCheckParams) -> u64, set: fn(&mut ReduceCheckParams, u64)| {
        view! {
            <label for=id>{label}</label>
            <input
                id=id
                type="number"
                min="0"
                prop:value=move || params.with(|p| get(p).to_string())
                on:change=move |ev| {
                    match event_target_value(&ev).trim().parse::<u64>() {
                        Ok(v) => edit(Box::new(move |p| set(p, v))),
                        Err(_) => runner.error.set(Some(format!("`{id}` must be a whole number"))),
                    }
                }
            />
        }
    };

    let diff_series = Signal::derive(move || {
        runner.frames.with(|fs| series(fs.first().map_or(&[][..], |f| &f[..]), "|gpu − cpu| / tolerance", "diff_over_tolerance", GPU_COLOR).into_iter().collect())
    });
    let time_series = Signal::derive(move || {
        runner.frames.with(|fs| {
            let fs = fs.first().map_or(&[][..], |f| &f[..]);
            [series(fs, "gpu (dispatch + readback)", "gpu_ms", GPU_COLOR), series(fs, "cpu twin (f64)", "cpu_ms", CPU_COLOR)]
                .into_iter()
                .flatten()
                .collect()
        })
    });
    let gpu_available = move || device.report.with(|r| r.as_ref().is_some_and(|r| r.backend == "gpu"));
    let status = move || {
        if let Some(e) = runner.error.get() {
            return e;
        }
        runner.frames.with(|fs| match fs.first().and_then(|f| f.last()) {
            None => "Ready: press Run (space) or Step.".to_owned(),
            Some(f) => {
                let trials = params.with(|p| p.trials);
                let state = if f.done { "done" } else if runner.running.get() { "running" } else { "paused" };
                let cpu = f.metric("cpu_ms").unwrap_or(f64::NAN);
                match (f.metric("gpu_ms"), f.metric("diff_over_tolerance"), f.metric("max_abs_diff")) {
                    (Some(g), Some(r), Some(d)) => format!(
                        "{state}: trial {}/{trials} · max |gpu − cpu| {d:.2e} ({r:.2} of tolerance) · {} · gpu {g:.2} ms ({:.2} GB/s) · cpu {cpu:.2} ms",
                        f.iteration,
                        if f.converged { "twins agree" } else { "DISAGREE" },
                        f.metric("gpu_gbps").unwrap_or(f64::NAN),
                    ),
                    _ => format!("{state}: trial {}/{trials} · cpu only (no GPU to compare) · cpu {cpu:.2} ms", f.iteration),
                }
            }
        })
    };

    view! {
        <section class="lab" aria-labelledby="kernels-title">
            <h2 id="kernels-title">"Kernel check: two-stage reduction, GPU vs CPU twin"</h2>
            <p class="explain">
                "Each trial draws a fresh matrix X (uniform in [−8, 8)) and computes ⊕ per row (yᵢ = ⊕ⱼ Xᵢⱼ) or per column "
                "(yⱼ = ⊕ᵢ Xᵢⱼ), with ⊕ = sum, max, or log-sum-exp LSE(x) = m + log Σ exp(x − m). The GPU runs "
                "shaders/reduce/reduce.wgsl in f32 (chunk partials, then one fold per line); the CPU twin runs in f64. "
                "The chart shows the worst |gpu − cpu| over lines divided by the tolerance derived from f32 rounding: "
                "below the dashed line at 1, the twins agree. Exact matches (common for max) are drawn at 1e-6."
            </p>
            <crate::math::Equations id="eq-kernels" equations=crate::math::KERNELS />
            <crate::math::KnobHelp id="knobs-kernels" knobs=crate::math::KERNELS_KNOBS />
            <form class="panel" on:submit=|ev| ev.prevent_default() aria-label="Parameters">
                {number("rows", "rows", |p| p.rows as u64, |p, v| p.rows = v as usize)}
                {number("cols", "cols", |p| p.cols as u64, |p, v| p.cols = v as usize)}
                <label for="op">"operation"</label>
                <select id="op" on:change=move |ev| {
                    if let Ok(op) = event_target_value(&ev).parse::<ReduceOp>() { edit(Box::new(move |p| p.op = op)) }
                }>
                    {ReduceOp::ALL.into_iter().map(|op| view! {
                        <option value=op.name() selected=move || params.with(|p| p.op == op)>{op.name()}</option>
                    }).collect_view()}
                </select>
                <label for="axis">"one result per"</label>
                <select id="axis" on:change=move |ev| {
                    if let Ok(a) = event_target_value(&ev).parse::<ReduceAxis>() { edit(Box::new(move |p| p.axis = a)) }
                }>
                    {ReduceAxis::ALL.into_iter().map(|a| view! {
                        <option value=a.name() selected=move || params.with(|p| p.axis == a)>{if a == ReduceAxis::Rows { "row" } else { "column" }}</option>
                    }).collect_view()}
                </select>
                {number("trials", "trials", |p| p.trials, |p, v| p.trials = v)}
                {number("seed", "seed", |p| p.seed, |p, v| p.seed = v)}
                <label for="backend">"backend"</label>
                <select id="backend" on:change=move |ev| {
                    if let Ok(b) = event_target_value(&ev).parse::<BackendChoice>() {
                        runner.reset();
                        backend.set(b);
                    }
                }>
                    <option value="auto" selected=move || backend.get() == BackendChoice::Auto>"auto"</option>
                    <option value="gpu" disabled=move || !gpu_available() selected=move || backend.get() == BackendChoice::Gpu>"GPU (WebGPU)"</option>
                    <option value="cpu" selected=move || backend.get() == BackendChoice::Cpu>"CPU"</option>
                </select>
            </form>
            <RunControls runner=runner invalid=Signal::derive(move || invalid.get().is_some()) />
            <crate::link::LinkNotices notices=notices />
            <crate::link::Presets slug="kernels" presets=PRESETS />
            <crate::link::CliLine lines=Signal::derive(move || vec![regula_core::cli_line::check(&params.get(), backend.get())]) />
            <p id="param-error" class="error" role="alert" hidden=move || invalid.get().is_none()>{move || invalid.get()}</p>
            <p id="status" class=move || if runner.error.get().is_some() { "status error" } else { "status" } aria-live="polite">{status}</p>
            <div class="charts">
                <LogChart id="chart-diff" title="GPU vs CPU: worst difference / tolerance" x_label="trial" y_label="ratio" series=diff_series guide=1.0 />
                <LogChart id="chart-time" title="Time per trial" x_label="trial" y_label="ms" series=time_series />
            </div>
        </section>
    }
}
