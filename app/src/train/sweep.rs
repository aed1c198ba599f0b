//! The training page's Sweep tab: many small networks over a grid of two hyperparameters, trained side by
//! side (`regula_core::train::sweep`), and the phase diagram over the grid filling in live — the same
//! drawing as `regula sweep train --png`. A click on a cell opens its first net in the single-run view. Where
//! the nets train (all in one GPU dispatch, or on the CPU) is `Sweep::new`'s rule, as for the CLI.

use leptos::html::Canvas;
use leptos::prelude::*;
use regula_charts::sweep::{draw_phase, CellBoxes, PhaseCell, PhaseSpec};
use regula_core::metrics as key;
use regula_core::train::sweep::{Axis, Cell, Params, Sweep};

use crate::device::Device;

/// What the diagram draws: the grid's cells, their labels and the axes.
#[derive(Clone, Debug, Default, PartialEq)]
struct Diagram {
    nx: usize,
    ny: usize,
    cells: Vec<Cell>,
    x_ticks: Vec<String>,
    y_ticks: Vec<String>,
    x_label: &'static str,
    y_label: &'static str,
    value_label: &'static str,
}

impl Diagram {
    fn of(p: &Params, cells: Vec<Cell>) -> Self {
        let (x_ticks, y_ticks) = p.ticks();
        Self {
            nx: x_ticks.len(),
            ny: y_ticks.len(),
            cells,
            x_ticks,
            y_ticks,
            x_label: p.sweep.x.label(),
            y_label: if p.sweep.y == Axis::None { "" } else { p.sweep.y.label() },
            value_label: p.sweep.show.label(),
        }
    }

    fn phase(&self) -> Vec<PhaseCell> {
        self.cells
            .iter()
            .map(|c| PhaseCell {
                value: c.value,
                diverged: c.nets > 0 && c.diverged == c.nets,
                failed: c.error.is_some() && c.value.is_none(),
            })
            .collect()
    }

    fn draw<DB: plotters::prelude::DrawingBackend>(
        &self,
        root: &plotters::prelude::DrawingArea<DB, plotters::coord::Shift>,
    ) -> regula_charts::DrawResult<CellBoxes>
    where
        DB::ErrorType: 'static,
    {
        let title = format!("{} over the grid (mean over seeds)", self.value_label);
        let spec = PhaseSpec {
            title: &title,
            x_label: self.x_label,
            y_label: self.y_label,
            x_ticks: &self.x_ticks,
            y_ticks: &self.y_ticks,
            value_label: self.value_label,
        };
        draw_phase(root, &spec, self.nx, self.ny, &self.phase())
    }

    /// The cells as CSV (x, y, value, nets, done, diverged, error).
    fn csv(&self) -> String {
        let mut out = format!("{},{},value,nets,done,diverged,error\n", self.x_label, self.y_label);
        for c in &self.cells {
            out.push_str(&format!(
                "{},{},{},{},{},{},\"{}\"\n",
                self.x_ticks.get(c.ix).map_or("", String::as_str),
                self.y_ticks.get(c.iy).map_or("", String::as_str),
                c.value.map(|v| v.to_string()).unwrap_or_default(),
                c.nets,
                c.done,
                c.diverged,
                c.error.as_deref().unwrap_or("").replace('"', "\"\"")
            ));
        }
        out
    }

    fn json(&self) -> String {
        let cells: Vec<serde_json::Value> = self
            .cells
            .iter()
            .map(|c| {
                serde_json::json!({
                    "x": self.x_ticks.get(c.ix), "y": self.y_ticks.get(c.iy), "value": c.value, "nets": c.nets,
                    "done": c.done, "diverged": c.diverged, "error": c.error, "epoch": c.epoch,
                })
            })
            .collect();
        serde_json::json!({ "x": self.x_label, "y": self.y_label, "value": self.value_label, "cells": cells })
            .to_string()
    }
}

#[component]
pub fn SweepTab(device: Device) -> impl IntoView {
    let lab = crate::kit::use_lab(device, crate::kit::runnable::<Params>(), Some(page_check));
    let (params, runner) = (lab.params, lab.runner);
    let diagram = Signal::derive(move || {
        runner.frames.track();
        let p = params.get();
        let cells = runner.with_steppers(|s| s.first().map(Sweep::cells)).flatten();
        // Before a run (or after a reset), the grid's empty cells.
        let cells = cells.filter(|c| c.len() == p.cells()).unwrap_or_else(|| p.empty_cells());
        Diagram::of(&p, cells)
    });
    let canvas = NodeRef::<Canvas>::new();
    let boxes = StoredValue::new(CellBoxes::new());
    Effect::new(move |_| {
        let d = diagram.get();
        if let Some(c) = canvas.get() {
            match crate::chart::canvas_root(c).and_then(|root| d.draw(&root)) {
                Ok(b) => boxes.set_value(b),
                Err(e) => leptos::logging::warn!("sweep diagram: {e}"),
            }
        }
    });
    // The cell under the pointer (CSS pixels scaled to the drawing's).
    let cell_at = move |ev: &web_sys::MouseEvent| -> Option<usize> {
        let c = canvas.get()?;
        let scale = crate::chart::css_size(&c).0 as f64 / c.client_width().max(1) as f64;
        let (x, y) = ((ev.offset_x() as f64 * scale) as i32, (ev.offset_y() as f64 * scale) as i32);
        boxes.with_value(|b| b.iter().position(|&(x0, y0, x1, y1)| x >= x0 && x < x1 && y >= y0 && y < y1))
    };
    let readout = RwSignal::new(String::new());
    let hover = move |ev: web_sys::MouseEvent| {
        let text = cell_at(&ev).and_then(|k| {
            diagram.with_untracked(|d| {
                let c = d.cells.get(k)?;
                let what = match (&c.error, c.value) {
                    (Some(e), None) => format!("cannot run: {e}"),
                    (_, Some(v)) => format!("{} = {}", d.value_label, regula_charts::readout_number(v)),
                    _ if c.nets > 0 && c.diverged == c.nets => "diverged".to_owned(),
                    _ => "no value yet".to_owned(),
                };
                Some(format!(
                    "{} = {}{}: {what} ({} of {} nets done, {} diverged; epoch {:.0}) — click to open it",
                    d.x_label,
                    d.x_ticks.get(c.ix)?,
                    if d.y_label.is_empty() {
                        String::new()
                    } else {
                        format!(", {} = {}", d.y_label, d.y_ticks.get(c.iy)?)
                    },
                    c.done,
                    c.nets,
                    c.diverged,
                    c.epoch
                ))
            })
        });
        readout.set(text.unwrap_or_default());
    };
    // A click opens the cell's first net (its seed) as a single run, from its own link.
    let click = move |ev: web_sys::MouseEvent| {
        let Some(k) = cell_at(&ev) else { return };
        let p = params.get_untracked();
        let net = k * p.sweep.seeds.max(1);
        let single = p.net_params(net);
        let query = regula_core::lab::link::encode(&single);
        let query = query.split('&').filter(|kv| !kv.starts_with("v=")).collect::<Vec<_>>().join("&");
        crate::link::open("training", &query, use_context::<crate::link::Remount>());
    };
    let points = move || diagram.with(|d| d.cells.iter().filter(|c| c.value.is_some() || c.done > 0).count());
    let svg: crate::chart::SvgExport =
        std::rc::Rc::new(move || regula_charts::svg(|root| diagram.with_untracked(|d| d.draw(&root).map(drop))));
    let data: crate::chart::DataExport = (
        std::rc::Rc::new(move || diagram.with_untracked(Diagram::csv)),
        std::rc::Rc::new(move || diagram.with_untracked(Diagram::json)),
    );
    let status = move || {
        runner.frames.with(|fs| {
            let Some(f) = fs.first().and_then(|f| f.last()) else {
                return format!(
                    "{} {} nets: {} cells × {} seeds.",
                    crate::kit::READY,
                    params.with(Params::len),
                    params.with(Params::cells),
                    params.with(|p| p.sweep.seeds)
                );
            };
            let m = |k: &str| f.metric(k).unwrap_or(0.0);
            let placement =
                runner.with_steppers(|s| s.first().map(|s| s.placement().to_owned())).flatten().unwrap_or_default();
            format!(
                "{} ({placement}): {} of {} nets done · {} diverged · {} could not run · {:.0} net-steps/s",
                runner.state(),
                m(key::SWEEP_DONE),
                m(key::SWEEP_NETS),
                m(key::SWEEP_DIVERGED),
                m(key::SWEEP_FAILED),
                m(key::NET_STEPS_PER_SECOND)
            )
        })
    };
    view! {
        {crate::kit::panel(lab, &["gpu_kernel"], ())}
        {crate::kit::chrome(lab, status)}
        <div class="charts">
            <figure class="chart wide" data-points=points>
                <canvas id="chart-sweep" node_ref=canvas width="600" height="320" role="img" aria-label="phase diagram of the sweep"
                    on:mousemove=hover on:mouseleave=move |_| readout.set(String::new()) on:click=click></canvas>
                <output id="chart-sweep-readout" class="readout" aria-live="polite">{move || readout.get()}</output>
                <crate::chart::ExportBar id="chart-sweep" canvas=canvas data=data svg=svg />
            </figure>
        </div>
        <div class="explain">
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
            {crate::kit::knobs::<Params>("knobs-sweep")}
        </div>
    }
}

/// The page's own limit: the grid a browser tab trains at a useful pace.
fn page_check(p: &Params) -> Option<String> {
    const MAX_PAGE_NETS: usize = 1024;
    (p.len() > MAX_PAGE_NETS).then(|| {
        format!("{} nets: the page trains up to {MAX_PAGE_NETS} at once (`regula sweep train` takes more, and --shard splits them)", p.len())
    })
}
