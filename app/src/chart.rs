//! A line chart drawn with plotters' canvas backend; redrawn whenever its series signal changes.

use leptos::html::Canvas;
use leptos::prelude::*;
use plotters::prelude::*;
use plotters_canvas::CanvasBackend;

/// One named line.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    pub name: &'static str,
    pub color: RGBColor,
    pub points: Vec<(f64, f64)>,
}

/// Smallest value drawn on a log axis by default; zeros and negatives are drawn at the floor, and
/// non-finite values are left out (never plotted as a number they are not).
pub const LOG_FLOOR: f64 = 1e-6;

/// A log-y chart of `series` against the iteration; `guide` draws a dashed horizontal line (a threshold).
#[component]
pub fn LogChart(
    id: &'static str,
    title: &'static str,
    x_label: &'static str,
    y_label: &'static str,
    series: Signal<Vec<Series>>,
    #[prop(optional)] guide: Option<f64>,
    #[prop(default = LOG_FLOOR)] floor: f64,
) -> impl IntoView {
    let canvas = NodeRef::<Canvas>::new();
    let points = move || series.with(|s| s.iter().map(|l| l.points.len()).sum::<usize>());
    Effect::new(move |_| {
        let lines = series.get();
        if let Some(c) = canvas.get() {
            if let Err(e) = draw(c, title, x_label, y_label, &lines, guide, floor) {
                leptos::logging::warn!("chart {id}: {e}");
            }
        }
    });
    view! {
        <figure class="chart" data-points=points>
            <canvas id=id node_ref=canvas width="600" height="320" role="img" aria-label=title></canvas>
        </figure>
    }
}

/// Labels only the powers of ten on a log axis ("1e-3"); the minor ticks stay unlabelled.
fn decade_label(v: &f64) -> String {
    let e = v.log10();
    if (e - e.round()).abs() < 1e-6 {
        format!("1e{}", e.round())
    } else {
        String::new()
    }
}

fn draw(
    canvas: web_sys::HtmlCanvasElement,
    title: &str,
    x_label: &str,
    y_label: &str,
    lines: &[Series],
    guide: Option<f64>,
    floor: f64,
) -> Result<(), Box<dyn std::error::Error>> {
    let backend = CanvasBackend::with_canvas_object(canvas).ok_or("no 2-D context on the canvas")?;
    let root = backend.into_drawing_area();
    root.fill(&WHITE)?;
    let clamp = |y: f64| y.max(floor);
    let finite = |p: &&(f64, f64)| p.0.is_finite() && p.1.is_finite();
    let x_max = lines.iter().flat_map(|l| l.points.iter().filter(finite).map(|p| p.0)).fold(1.0f64, f64::max);
    let ys = lines.iter().flat_map(|l| l.points.iter().filter(finite).map(|p| clamp(p.1))).chain(guide);
    let (lo, hi) = ys.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), y| (lo.min(y), hi.max(y)));
    let (lo, hi) = if lo.is_finite() { (lo / 2.0, hi * 2.0) } else { (0.1, 10.0) };

    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 16))
        .margin(10)
        .x_label_area_size(36)
        .y_label_area_size(64)
        .build_cartesian_2d(0f64..x_max, (lo..hi).log_scale())?;
    chart
        .configure_mesh()
        .x_desc(x_label)
        .y_desc(y_label)
        .light_line_style(RGBColor(238, 240, 243))
        .x_label_formatter(&|v| format!("{v:.0}"))
        .y_label_formatter(&decade_label)
        .draw()?;
    if let Some(g) = guide {
        chart.draw_series(DashedLineSeries::new([(0.0, g), (x_max, g)], 6, 4, BLACK.stroke_width(1)))?;
    }
    for line in lines {
        let color = line.color;
        chart
            .draw_series(LineSeries::new(line.points.iter().filter(finite).map(|&(x, y)| (x, clamp(y))), color.stroke_width(2)))?
            .label(line.name)
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 16, y)], color.stroke_width(2)));
    }
    if !lines.is_empty() {
        chart.configure_series_labels().background_style(WHITE.mix(0.8)).border_style(BLACK).draw()?;
    }
    root.present()?;
    Ok(())
}
