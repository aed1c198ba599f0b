//! The training page's pictures: the network's weights, the decision boundary over the data, and the exact
//! Hessian as a heatmap (the drawings are `regula_charts::train`'s, shared with `regula train --png`).

use std::sync::Arc;

use leptos::html::Canvas;
use leptos::prelude::*;
use plotters::coord::Shift;
use plotters::prelude::*;
use regula_core::train::picture::{BoundaryPicture, HessianPicture, NetworkPicture};

#[component]
pub fn NetworkView(network: Signal<Option<Arc<NetworkPicture>>>) -> impl IntoView {
    let canvas = NodeRef::<Canvas>::new();
    Effect::new(move |_| {
        if let (Some(n), Some(c)) = (network.get(), canvas.get()) {
            if let Err(e) = crate::chart::canvas_root(c).and_then(|root| draw_network(root, &n)) {
                leptos::logging::warn!("network view: {e}");
            }
        }
    });
    let svg: crate::chart::SvgExport = std::rc::Rc::new(move || {
        network.with_untracked(|n| {
            n.as_ref()
                .ok_or_else(|| "nothing drawn yet".to_owned())
                .and_then(|n| regula_charts::svg(|root| draw_network(root, n)))
        })
    });
    view! {
        <figure class="chart">
            <canvas id="chart-network" node_ref=canvas width="600" height="320" role="img" aria-label="network weights"></canvas>
            <crate::chart::ExportBar id="chart-network" canvas=canvas svg=svg />
        </figure>
    }
}

fn draw_network<DB: DrawingBackend>(
    root: DrawingArea<DB, Shift>,
    n: &NetworkPicture,
) -> Result<(), Box<dyn std::error::Error>>
where
    DB::ErrorType: 'static,
{
    regula_charts::train::draw_network(root, &n.widths, &n.layers, &n.theta, &n.inputs)
}

#[component]
pub fn BoundaryView(boundary: Signal<Option<Arc<BoundaryPicture>>>) -> impl IntoView {
    let canvas = NodeRef::<Canvas>::new();
    Effect::new(move |_| {
        if let (Some(b), Some(c)) = (boundary.get(), canvas.get()) {
            let painter = crate::chart::Painter::Canvas(c.clone());
            if let Err(e) = crate::chart::canvas_root(c).and_then(|root| draw_boundary(root, &painter, &b)) {
                leptos::logging::warn!("boundary view: {e}");
            }
        }
    });
    let svg: crate::chart::SvgExport = std::rc::Rc::new(move || {
        boundary.with_untracked(|b| {
            b.as_ref()
                .ok_or_else(|| "nothing drawn yet".to_owned())
                .and_then(|b| regula_charts::svg(|root| draw_boundary(root, &crate::chart::Painter::Vector, b)))
        })
    });
    view! {
        <figure class="chart">
            <canvas id="chart-boundary" node_ref=canvas width="600" height="320" role="img" aria-label="decision boundary"></canvas>
            <crate::chart::ExportBar id="chart-boundary" canvas=canvas svg=svg />
        </figure>
    }
}

fn draw_boundary<DB: DrawingBackend>(
    root: DrawingArea<DB, Shift>,
    painter: &crate::chart::Painter,
    b: &BoundaryPicture,
) -> Result<(), Box<dyn std::error::Error>>
where
    DB::ErrorType: 'static,
{
    let raster =
        |root: &DrawingArea<DB, Shift>, area, cols, rows, rgb: &[[u8; 3]]| painter.raster(root, area, cols, rows, rgb);
    regula_charts::train::draw_boundary(root, &raster, &b.grid, b.size, (b.lo, b.hi), &b.points, b.regression)
}

#[component]
pub fn HessianHeatmap(hessian: Signal<Option<Arc<HessianPicture>>>, threshold: Signal<f64>) -> impl IntoView {
    let canvas = NodeRef::<Canvas>::new();
    let caption = RwSignal::new(String::new());
    Effect::new(move |_| {
        let t = threshold.get();
        if let (Some(h), Some(c)) = (hessian.get(), canvas.get()) {
            match crate::chart::canvas_root(c).and_then(|root| draw_hessian(root, &h, t)) {
                Ok(text) => caption.set(text),
                Err(e) => leptos::logging::warn!("hessian view: {e}"),
            }
        }
    });
    let svg: crate::chart::SvgExport = std::rc::Rc::new(move || {
        let t = threshold.get_untracked();
        hessian.with_untracked(|h| {
            h.as_ref()
                .ok_or_else(|| "nothing drawn yet".to_owned())
                .and_then(|h| regula_charts::svg_sized((600, 420), |root| draw_hessian(root, h, t).map(drop)))
        })
    });
    view! {
        <figure class="chart">
            <canvas id="chart-hessian" node_ref=canvas width="600" height="420" role="img" aria-label="Hessian sparsity"></canvas>
            <crate::chart::ExportBar id="chart-hessian" canvas=canvas svg=svg />
            <figcaption id="hessian-caption">{move || caption.get()}</figcaption>
        </figure>
    }
}

fn draw_hessian<DB: DrawingBackend>(
    root: DrawingArea<DB, Shift>,
    v: &HessianPicture,
    log_threshold: f64,
) -> Result<String, Box<dyn std::error::Error>>
where
    DB::ErrorType: 'static,
{
    regula_charts::train::draw_hessian(root, v.p, &v.h, &v.layers, log_threshold)
}
