//! The kernel-check page: the reduction kernel on a matrix of the size the person picks, GPU against
//! the CPU twin, trial by trial — difference (against the stated tolerance) and timings plotted live.
//! Parameter panel → run controls → charts, as every lab page.

use leptos::prelude::*;
use plotters::style::RGBColor;
use regula_core::kernels::{self, KernelCheck};
use regula_core::metrics as key;

use crate::chart::{series, LogChart};
use crate::device::Device;

const GPU_COLOR: RGBColor = RGBColor(214, 90, 40);
const CPU_COLOR: RGBColor = RGBColor(40, 110, 200);

#[component]
pub fn KernelsPage(device: Device) -> impl IntoView {
    let lab = crate::kit::use_lab::<kernels::Params, KernelCheck>(device, crate::kit::runnable(), None);
    let (params, runner) = (lab.params, lab.runner);

    let diff_series = Signal::derive(move || {
        runner.frames.with(|fs| {
            series(
                fs.first().map_or(&[][..], |f| &f[..]),
                "|gpu − cpu| / tolerance",
                key::DIFF_OVER_TOLERANCE,
                GPU_COLOR,
            )
            .into_iter()
            .collect()
        })
    });
    let time_series = Signal::derive(move || {
        runner.frames.with(|fs| {
            let fs = fs.first().map_or(&[][..], |f| &f[..]);
            [
                series(fs, "gpu (dispatch + readback)", key::GPU_MS, GPU_COLOR),
                series(fs, "cpu twin (f64)", key::CPU_MS, CPU_COLOR),
            ]
            .into_iter()
            .flatten()
            .collect()
        })
    });
    let status = move || {
        runner.frames.with(|fs| match fs.first().and_then(|f| f.last()) {
            None => crate::kit::READY.to_owned(),
            Some(f) => {
                let trials = params.with(|p| p.trials);
                let state = if f.done { "done" } else if runner.running.get() { "running" } else { "paused" };
                let cpu = f.metric(key::CPU_MS).unwrap_or(f64::NAN);
                match (f.metric(key::GPU_MS), f.metric(key::DIFF_OVER_TOLERANCE), f.metric(key::MAX_ABS_DIFF)) {
                    (Some(g), Some(r), Some(d)) => format!(
                        "{state}: trial {}/{trials} · max |gpu − cpu| {d:.2e} ({r:.2} of tolerance) · {} · gpu {g:.2} ms ({:.2} GB/s) · cpu {cpu:.2} ms",
                        f.iteration,
                        if f.converged { "twins agree" } else { "DISAGREE" },
                        f.metric(key::GPU_GBPS).unwrap_or(f64::NAN),
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
            {crate::kit::knobs::<kernels::Params>("knobs-kernels")}
            {crate::kit::panel(lab, &[], ())}
            <crate::link::Presets slug="kernels" />
            {crate::kit::chrome(lab, status)}
            <div class="charts">
                <LogChart id="chart-diff" title="GPU vs CPU: worst difference / tolerance" x_label="trial" y_label="ratio" series=diff_series guide=1.0 />
                <LogChart id="chart-time" title="Time per trial" x_label="trial" y_label="ms" series=time_series />
            </div>
        </section>
    }
}
