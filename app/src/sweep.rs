//! A sweep's tab, for any sweep lab (`regula_core::lab::sweep`: the training page's nets, the OT page's
//! problems): the phase diagram over the grid filling in live — the same drawing as `regula sweep … --png` —
//! its read-out, exports and status. A click on a cell opens its first member as a single run, from its own
//! link. Where the members run (one GPU dispatch, or the CPU) is the lab's rule in core, as for the CLI.

use leptos::html::Canvas;
use leptos::prelude::*;
use regula_charts::sweep::{draw_phase, CellBoxes, PhaseCell, PhaseSpec};
use regula_core::lab::run::Runnable;
use regula_core::lab::sweep::{Cell, Labels, Run, SweepLab};
use regula_core::metrics as key;

use crate::device::Device;

/// What the diagram draws: the grid's cells, their labels and the axes.
#[derive(Clone, Debug, Default, PartialEq)]
struct Diagram {
    nx: usize,
    ny: usize,
    cells: Vec<Cell>,
    x_ticks: Vec<String>,
    y_ticks: Vec<String>,
    labels: Labels,
}

impl Diagram {
    fn of(p: &impl SweepLab, cells: Vec<Cell>) -> Self {
        let (x_ticks, y_ticks) = p.ticks();
        Self { nx: x_ticks.len(), ny: y_ticks.len(), cells, x_ticks, y_ticks, labels: p.labels() }
    }

    fn phase(&self) -> Vec<PhaseCell> {
        self.cells
            .iter()
            .map(|c| PhaseCell {
                value: c.value,
                diverged: c.all_diverged(),
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
        let l = &self.labels;
        let title = format!("{} over the grid (mean over seeds)", l.value);
        let spec = PhaseSpec {
            title: &title,
            x_label: l.x,
            y_label: l.y,
            x_ticks: &self.x_ticks,
            y_ticks: &self.y_ticks,
            value_label: l.value,
        };
        draw_phase(root, &spec, self.nx, self.ny, &self.phase())
    }

    /// The cells as CSV (x, y, value, members, done, diverged, error).
    fn csv(&self) -> String {
        let l = &self.labels;
        let mut out = format!("{},{},value,{}s,done,diverged,error\n", l.x, l.y, l.member);
        for c in &self.cells {
            out.push_str(&format!(
                "{},{},{},{},{},{},\"{}\"\n",
                self.x_ticks.get(c.ix).map_or("", String::as_str),
                self.y_ticks.get(c.iy).map_or("", String::as_str),
                c.value.map(|v| v.to_string()).unwrap_or_default(),
                c.members,
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
                    "x": self.x_ticks.get(c.ix), "y": self.y_ticks.get(c.iy), "value": c.value, "members": c.members,
                    "done": c.done, "diverged": c.diverged, "error": c.error, self.labels.progress: c.progress,
                })
            })
            .collect();
        let l = &self.labels;
        serde_json::json!({ "x": l.x, "y": l.y, "value": l.value, "member": l.member, "cells": cells }).to_string()
    }
}

/// The tab bar of a page with a sweep: "Single run" and "Sweep (phase diagram)"; `sweep` is the open tab.
pub fn tab_bar(sweep: RwSignal<bool>) -> impl IntoView {
    view! {
        <div class="tabs" role="tablist">
            <button id="tab-single" role="tab" aria-selected=move || (!sweep.get()).to_string()
                on:click=move |_| sweep.set(false)>"Single run"</button>
            <button id="tab-sweep" role="tab" aria-selected=move || sweep.get().to_string()
                on:click=move |_| sweep.set(true)>"Sweep (phase diagram)"</button>
        </div>
    }
}

/// The tab of sweep lab `P`: its panel (without `skip`'s fields), status, phase diagram and `explain`.
/// `check` is the page's own limit on the grid.
pub fn phase_tab<P>(
    device: Device,
    skip: &'static [&'static str],
    check: fn(&P) -> Option<String>,
    explain: impl IntoView,
) -> impl IntoView
where
    P: Runnable + SweepLab + Send + Sync,
    P::Run: Run,
{
    let lab = crate::kit::use_lab(device, crate::kit::runnable::<P>(), Some(check));
    let (params, runner) = (lab.params, lab.runner);
    let diagram = Signal::derive(move || {
        runner.frames.track();
        let p = params.get();
        let cells = runner.with_steppers(|s| s.first().map(Run::cells)).flatten();
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
                    (_, Some(v)) => format!("{} = {}", d.labels.value, regula_charts::readout_number(v)),
                    _ if c.all_diverged() => "diverged".to_owned(),
                    _ => "no value yet".to_owned(),
                };
                let l = &d.labels;
                Some(format!(
                    "{} = {}{}: {what} ({} of {} {}s done, {} diverged; {} {:.0}) — click to open it",
                    l.x,
                    d.x_ticks.get(c.ix)?,
                    if l.y.is_empty() { String::new() } else { format!(", {} = {}", l.y, d.y_ticks.get(c.iy)?) },
                    c.done,
                    c.members,
                    l.member,
                    c.diverged,
                    l.progress,
                    c.progress
                ))
            })
        });
        readout.set(text.unwrap_or_default());
    };
    // A click opens the cell's first member (its first seed) as a single run, from its own link.
    let click = move |ev: web_sys::MouseEvent| {
        let Some(k) = cell_at(&ev) else { return };
        let (page, query) = params.with_untracked(|p| p.member_link(k * p.seeds().max(1)));
        let query = query.split('&').filter(|kv| !kv.starts_with("v=")).collect::<Vec<_>>().join("&");
        crate::link::open(page, &query, use_context::<crate::link::Remount>());
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
            let member = params.with(|p| p.labels().member);
            let Some(f) = fs.first().and_then(|f| f.last()) else {
                return params.with(|p| {
                    format!("{} {} {member}s: {} cells × {} seeds.", crate::kit::READY, p.len(), p.cells(), p.seeds())
                });
            };
            let m = |k: &str| f.metric(k).unwrap_or(0.0);
            let placement =
                runner.with_steppers(|s| s.first().map(|s| s.placement().to_owned())).flatten().unwrap_or_default();
            let rate = if member == "net" { "net-steps/s" } else { "problem-iterations/s" };
            format!(
                "{} ({placement}): {} of {} {member}s done · {} diverged · {} could not run · {:.0} {rate}",
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
        {crate::kit::panel(lab, skip, ())}
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
            {explain}
            {crate::kit::knobs::<P>("knobs-sweep")}
        </div>
    }
}
