//! The training page's Sweep tab: many small networks over a grid of two hyperparameters, trained side by
//! side (`regula_core::train::sweep`), drawn by the shared sweep tab (`crate::sweep`).

use leptos::prelude::*;
use regula_core::train::sweep::Params;

use crate::device::Device;

#[component]
pub fn SweepTab(device: Device) -> impl IntoView {
    let explain = view! {
            <p>
                "A sweep trains one network per grid point and seed — every net the single-run trainer with its cell's "
                "parameters, so a net here is, bit for bit, the run its cell opens — and colours each cell by the mean "
                "over its seeds of the chosen measure: test error, training loss, the sharpness over the stability "
                "threshold λmax/(2/η) (1 is the edge of stability: Cohen et al. 2021), or Wu & Su's mini-batch quantity "
                "(tr(H)/B + (1 − 1/B)λmax)/(2/η). Red cells with a cross diverged for every seed; grey cells could not run "
                "(hover for why); a click opens the cell's first net as a single run. The x and y axes override their "
                "fields of the panel in each cell. Where it runs: on a GPU every net trains in one dispatch of the "
                "one-workgroup kernel, a workgroup per net (f32; widths ≤ 64, batches ≤ 256), and only the weights come "
                "back, once per slice of epochs for all nets; beside a software adapter, or without WebGPU, the nets "
                "train on the CPU in f64, a slice of epochs at a time, round-robin within each frame's budget. "
                "Initialization: lecun N(0, 1/fan_in); pytorch U(±1/√fan_in) for weights and biases (Cohen et al.'s "
                "setting); playground U(±0.5), biases 0.1."
            </p>
    };
    crate::sweep::phase_tab::<Params>(device, &["gpu_kernel"], page_check, explain)
}

/// The page's own limit: the grid a browser tab trains at a useful pace.
fn page_check(p: &Params) -> Option<String> {
    const MAX_PAGE_NETS: usize = 1024;
    (p.len() > MAX_PAGE_NETS).then(|| {
        format!("{} nets: the page trains up to {MAX_PAGE_NETS} at once (`regula sweep train` takes more, and --shard splits them)", p.len())
    })
}
