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

/// Paints a `cols × rows` raster of RGB cells (row 0 at the top) over `area`, a chart's plotting area in
/// canvas pixels (`chart.plotting_area().get_pixel_range()`): one `putImageData` into a small canvas and
/// one scaled `drawImage`, instead of a plotters rectangle per cell — thousands of calls into JavaScript,
/// each with a colour string, which made a heatmap frame take tens of milliseconds.
pub fn draw_raster(
    canvas: &web_sys::HtmlCanvasElement,
    area: (std::ops::Range<i32>, std::ops::Range<i32>),
    cols: usize,
    rows: usize,
    rgb: &[[u8; 3]],
) -> Result<(), Box<dyn std::error::Error>> {
    use wasm_bindgen::JsCast;
    if cols == 0 || rows == 0 || rgb.len() != cols * rows {
        return Err(format!("a {cols} × {rows} raster needs {} cells, got {}", cols * rows, rgb.len()).into());
    }
    let js = |e: wasm_bindgen::JsValue| format!("{e:?}");
    let doc = web_sys::window().and_then(|w| w.document()).ok_or("no document")?;
    let small: web_sys::HtmlCanvasElement = doc.create_element("canvas").map_err(js)?.dyn_into().map_err(|_| "not a canvas")?;
    small.set_width(cols as u32);
    small.set_height(rows as u32);
    let context = |c: &web_sys::HtmlCanvasElement| -> Result<web_sys::CanvasRenderingContext2d, String> {
        c.get_context("2d").map_err(js)?.ok_or("no 2-D context")?.dyn_into().map_err(|_| "not a 2-D context".to_owned())
    };
    let rgba: Vec<u8> = rgb.iter().flat_map(|c| [c[0], c[1], c[2], 255]).collect();
    let image = web_sys::ImageData::new_with_u8_clamped_array_and_sh(wasm_bindgen::Clamped(&rgba), cols as u32, rows as u32).map_err(js)?;
    context(&small)?.put_image_data(&image, 0.0, 0.0).map_err(js)?;
    let target = context(canvas)?;
    target.set_image_smoothing_enabled(false);
    let (x, y) = area;
    target
        .draw_image_with_html_canvas_element_and_dw_and_dh(&small, x.start as f64, y.start as f64, (x.end - x.start) as f64, (y.end - y.start) as f64)
        .map_err(js)?;
    Ok(())
}

/// `color` at opacity `alpha` over white, as an opaque RGB cell for [`draw_raster`].
pub fn over_white(color: RGBColor, alpha: f64) -> [u8; 3] {
    let a = alpha.clamp(0.0, 1.0);
    let mix = |c: u8| (255.0 * (1.0 - a) + c as f64 * a).round() as u8;
    [mix(color.0), mix(color.1), mix(color.2)]
}

/// Starts a download of `href` (a data: URL) as `file`.
fn download(href: &str, file: &str) {
    use wasm_bindgen::JsCast;
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else { return };
    let Ok(a) = doc.create_element("a") else { return };
    let _ = a.set_attribute("href", href);
    let _ = a.set_attribute("download", file);
    if let Ok(a) = a.dyn_into::<web_sys::HtmlElement>() {
        a.click();
    }
}

/// The chart's data as CSV, one row per point: `series,x,y` (non-finite values written as empty cells).
pub fn series_csv(lines: &[Series]) -> String {
    let cell = |v: f64| if v.is_finite() { v.to_string() } else { String::new() };
    let mut out = String::from("series,x,y\n");
    for l in lines {
        for &(x, y) in &l.points {
            out.push_str(&format!("\"{}\",{},{}\n", l.name.replace('"', "\"\""), cell(x), cell(y)));
        }
    }
    out
}

/// The chart's data as JSON: `[{"series": name, "points": [[x, y], …]}, …]` (non-finite values as null).
pub fn series_json(lines: &[Series]) -> String {
    let num = |v: f64| if v.is_finite() { v.to_string() } else { "null".to_owned() };
    let body: Vec<String> = lines
        .iter()
        .map(|l| {
            let pts: Vec<String> = l.points.iter().map(|&(x, y)| format!("[{},{}]", num(x), num(y))).collect();
            format!("{{\"series\":\"{}\",\"points\":[{}]}}", l.name.replace('\\', "\\\\").replace('"', "\\\""), pts.join(","))
        })
        .collect();
    format!("[{}]", body.join(","))
}

/// PNG, CSV and JSON buttons under a chart (ids `{id}-png`, `{id}-csv`, `{id}-json`; files `{id}.png` …).
#[component]
fn ExportBar(id: &'static str, canvas: NodeRef<Canvas>, #[prop(optional)] series: Option<Signal<Vec<Series>>>) -> impl IntoView {
    let png = move |_| {
        if let Some(c) = canvas.get() {
            if let Ok(url) = c.to_data_url() {
                download(&url, &format!("{id}.png"));
            }
        }
    };
    let data = series.map(|series| {
        let csv = move |_| {
            let text = series.with(|s| series_csv(s));
            download(&format!("data:text/csv;charset=utf-8,{}", js_sys::encode_uri_component(&text)), &format!("{id}.csv"));
        };
        let json = move |_| {
            let text = series.with(|s| series_json(s));
            download(&format!("data:application/json;charset=utf-8,{}", js_sys::encode_uri_component(&text)), &format!("{id}.json"));
        };
        view! {
            <button type="button" id=format!("{id}-csv") on:click=csv aria-label="Download the chart's data as CSV">"CSV"</button>
            <button type="button" id=format!("{id}-json") on:click=json aria-label="Download the chart's data as JSON">"JSON"</button>
        }
    });
    view! {
        <div class="export" role="group" aria-label="Export">
            <button type="button" id=format!("{id}-png") on:click=png aria-label="Download the chart as PNG">"PNG"</button>
            {data}
        </div>
    }
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
    /// A log x axis too (time, ratios); points with x ≤ 0 are left out.
    #[prop(optional)]
    log_x: bool,
    /// A linear y axis from 0 to the data's maximum (fractions), instead of log y.
    #[prop(optional)]
    linear_y: bool,
) -> impl IntoView {
    let canvas = NodeRef::<Canvas>::new();
    let points = move || series.with(|s| s.iter().map(|l| l.points.len()).sum::<usize>());
    Effect::new(move |_| {
        let lines = series.get();
        if let Some(c) = canvas.get() {
            if let Err(e) = draw(c, title, x_label, y_label, &lines, guide, floor, (log_x, linear_y)) {
                leptos::logging::warn!("chart {id}: {e}");
            }
        }
    });
    view! {
        <figure class="chart" data-points=points>
            <canvas id=id node_ref=canvas width="600" height="320" role="img" aria-label=title></canvas>
            <ExportBar id=id canvas=canvas series=series />
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

#[allow(clippy::too_many_arguments)]
fn draw(
    canvas: web_sys::HtmlCanvasElement,
    title: &str,
    x_label: &str,
    y_label: &str,
    lines: &[Series],
    guide: Option<f64>,
    floor: f64,
    (log_x, linear_y): (bool, bool),
) -> Result<(), Box<dyn std::error::Error>> {
    let backend = CanvasBackend::with_canvas_object(canvas).ok_or("no 2-D context on the canvas")?;
    let root = backend.into_drawing_area();
    root.fill(&WHITE)?;
    let clamp = |y: f64| if linear_y { y } else { y.max(floor) };
    let finite = |p: &&(f64, f64)| p.0.is_finite() && p.1.is_finite() && (!log_x || p.0 > 0.0);
    let x_max = lines.iter().flat_map(|l| l.points.iter().filter(finite).map(|p| p.0)).fold(if log_x { f64::MIN_POSITIVE } else { 1.0 }, f64::max);
    let x_min = lines.iter().flat_map(|l| l.points.iter().filter(finite).map(|p| p.0)).fold(f64::INFINITY, f64::min);
    let ys = lines.iter().flat_map(|l| l.points.iter().filter(finite).map(|p| clamp(p.1))).chain(guide);
    let (lo, hi) = ys.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), y| (lo.min(y), hi.max(y)));
    let (lo, hi) = match (lo.is_finite(), linear_y) {
        (true, false) => (lo / 2.0, hi * 2.0),
        (false, false) => (0.1, 10.0),
        (true, true) => (lo.min(0.0), if hi > lo.min(0.0) { hi * 1.05 } else { 1.0 }),
        (false, true) => (0.0, 1.0),
    };
    let mut builder = ChartBuilder::on(&root);
    builder.caption(title, ("sans-serif", 16)).margin(10).x_label_area_size(36).y_label_area_size(64);
    // The same drawing on a linear or a log x axis (plotters types the two differently).
    macro_rules! plot {
        ($chart:expr, $x0:expr, $fmt:expr, $yfmt:expr) => {{
            let mut chart = $chart;
            chart
                .configure_mesh()
                .x_desc(x_label)
                .y_desc(y_label)
                .light_line_style(RGBColor(238, 240, 243))
                .x_label_formatter($fmt)
                .y_label_formatter($yfmt)
                .draw()?;
            if let Some(g) = guide {
                chart.draw_series(DashedLineSeries::new([($x0, g), (x_max, g)], 6, 4, BLACK.stroke_width(1)))?;
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
        }};
    }
    let linear = |v: &f64| format!("{v:.2}");
    let whole = |v: &f64| format!("{v:.0}");
    let x0 = if x_min.is_finite() && x_min < x_max { x_min } else { x_max / 10.0 };
    // Fractions on a linear x (a reliability diagram's confidence) get two decimals.
    let x_fmt: &dyn Fn(&f64) -> String = if x_max <= 1.0 { &linear } else { &whole };
    match (log_x, linear_y) {
        (true, false) => plot!(builder.build_cartesian_2d((x0..x_max).log_scale(), (lo..hi).log_scale())?, x0, &decade_label, &decade_label),
        (false, false) => plot!(builder.build_cartesian_2d(0f64..x_max, (lo..hi).log_scale())?, 0.0, x_fmt, &decade_label),
        (true, true) => plot!(builder.build_cartesian_2d((x0..x_max).log_scale(), lo..hi)?, x0, &decade_label, &linear),
        (false, true) => plot!(builder.build_cartesian_2d(0f64..x_max, lo..hi)?, 0.0, x_fmt, &linear),
    }
    root.present()?;
    Ok(())
}

/// One line with a shaded band: (x, low, middle, high) per point (p10, median, p90 of trials, say).
#[derive(Clone, Debug, PartialEq)]
pub struct Band {
    pub name: String,
    pub color: RGBColor,
    pub points: Vec<(f64, f64, f64, f64)>,
}

/// Median lines with p10–p90 bands against a log-scaled x (a sketch size m, say); y on a log scale from
/// `floor` (values below are drawn at the floor) or linear when `log_y` is false.
#[component]
pub fn BandChart(
    id: &'static str,
    title: &'static str,
    x_label: &'static str,
    y_label: &'static str,
    bands: Signal<Vec<Band>>,
    #[prop(default = true)] log_y: bool,
    #[prop(default = 1e-3)] floor: f64,
) -> impl IntoView {
    let canvas = NodeRef::<Canvas>::new();
    let points = move || bands.with(|b| b.iter().map(|l| l.points.len()).sum::<usize>());
    Effect::new(move |_| {
        let lines = bands.get();
        if let Some(c) = canvas.get() {
            if let Err(e) = draw_bands(c, title, x_label, y_label, &lines, log_y, floor) {
                leptos::logging::warn!("chart {id}: {e}");
            }
        }
    });
    view! {
        <figure class="chart" data-points=points>
            <canvas id=id node_ref=canvas width="600" height="320" role="img" aria-label=title></canvas>
            <ExportBar id=id canvas=canvas />
        </figure>
    }
}

fn draw_bands(
    canvas: web_sys::HtmlCanvasElement,
    title: &str,
    x_label: &str,
    y_label: &str,
    lines: &[Band],
    log_y: bool,
    floor: f64,
) -> Result<(), Box<dyn std::error::Error>> {
    let root = CanvasBackend::with_canvas_object(canvas).ok_or("no 2-D context on the canvas")?.into_drawing_area();
    root.fill(&WHITE)?;
    let ok = |p: &&(f64, f64, f64, f64)| p.0 > 0.0 && p.1.is_finite() && p.2.is_finite() && p.3.is_finite();
    let pts = || lines.iter().flat_map(|l| l.points.iter().filter(ok));
    let (x_lo, x_hi) = pts().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), p| (a.min(p.0), b.max(p.0)));
    let (x_lo, x_hi) = if x_lo.is_finite() { (x_lo / 1.2, x_hi * 1.2) } else { (1.0, 10.0) };
    let clamp = |y: f64| if log_y { y.max(floor) } else { y };
    let (y_lo, y_hi) = pts().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), p| (a.min(clamp(p.1)), b.max(clamp(p.3))));
    let finite = y_lo.is_finite();
    let x_fmt = |v: &f64| format!("{v:.0}");
    macro_rules! draw_all {
        ($x:expr, $y:expr) => {{
            let mut chart = ChartBuilder::on(&root)
                .caption(title, ("sans-serif", 16))
                .margin(10)
                .x_label_area_size(36)
                .y_label_area_size(56)
                .build_cartesian_2d($x, $y)?;
            chart
                .configure_mesh()
                .x_desc(x_label)
                .y_desc(y_label)
                .x_labels(12)
                .light_line_style(RGBColor(238, 240, 243))
                .x_label_formatter(&x_fmt)
                .draw()?;
            for line in lines {
                let color = line.color;
                let p: Vec<_> = line.points.iter().filter(ok).copied().collect();
                let polygon: Vec<(f64, f64)> =
                    p.iter().map(|q| (q.0, clamp(q.3))).chain(p.iter().rev().map(|q| (q.0, clamp(q.1)))).collect();
                if p.len() > 1 {
                    chart.draw_series(std::iter::once(Polygon::new(polygon, color.mix(0.18).filled())))?;
                }
                chart
                    .draw_series(LineSeries::new(p.iter().map(|q| (q.0, clamp(q.2))), color.stroke_width(2)))?
                    .label(line.name.clone())
                    .legend(move |(x, y)| PathElement::new([(x, y), (x + 16, y)], color.stroke_width(2)));
                chart.draw_series(p.iter().map(|q| Circle::new((q.0, clamp(q.2)), 3, color.filled())))?;
            }
            if !lines.is_empty() {
                chart
                    .configure_series_labels()
                    .position(SeriesLabelPosition::UpperRight)
                    .background_style(WHITE.mix(0.8))
                    .border_style(BLACK)
                    .draw()?;
            }
        }};
    }
    if log_y {
        let (lo, hi) = if finite { (y_lo / 1.5, y_hi * 1.5) } else { (0.1, 10.0) };
        draw_all!((x_lo..x_hi).log_scale(), (lo..hi).log_scale());
    } else {
        let (lo, hi) = if finite { (y_lo.min(0.0), y_hi * 1.1 + 1e-9) } else { (0.0, 1.0) };
        draw_all!((x_lo..x_hi).log_scale(), lo..hi);
    }
    root.present()?;
    Ok(())
}

/// Overlaid histograms (as step outlines) of each series' values on shared bins.
#[component]
pub fn HistogramChart(id: &'static str, title: &'static str, x_label: &'static str, series: Signal<Vec<Series>>) -> impl IntoView {
    let canvas = NodeRef::<Canvas>::new();
    let points = move || series.with(|s| s.iter().map(|l| l.points.len()).sum::<usize>());
    Effect::new(move |_| {
        let lines = series.get();
        if let Some(c) = canvas.get() {
            if let Err(e) = draw_histogram(c, title, x_label, &lines) {
                leptos::logging::warn!("chart {id}: {e}");
            }
        }
    });
    view! {
        <figure class="chart" data-points=points>
            <canvas id=id node_ref=canvas width="600" height="320" role="img" aria-label=title></canvas>
            <ExportBar id=id canvas=canvas series=series />
        </figure>
    }
}

fn draw_histogram(canvas: web_sys::HtmlCanvasElement, title: &str, x_label: &str, lines: &[Series]) -> Result<(), Box<dyn std::error::Error>> {
    const BINS: usize = 30;
    let root = CanvasBackend::with_canvas_object(canvas).ok_or("no 2-D context on the canvas")?.into_drawing_area();
    root.fill(&WHITE)?;
    let values = || lines.iter().flat_map(|l| l.points.iter().map(|p| p.0).filter(|v| v.is_finite()));
    let hi = values().fold(0.0f64, f64::max).max(1e-9) * 1.02;
    let width = hi / BINS as f64;
    let counts: Vec<Vec<f64>> = lines
        .iter()
        .map(|l| {
            let mut c = vec![0.0; BINS];
            let total = l.points.iter().filter(|p| p.0.is_finite()).count().max(1) as f64;
            for p in l.points.iter().filter(|p| p.0.is_finite()) {
                c[((p.0 / width) as usize).min(BINS - 1)] += 1.0 / total;
            }
            c
        })
        .collect();
    let top = counts.iter().flatten().copied().fold(0.0f64, f64::max).max(0.05) * 1.1;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 16))
        .margin(10)
        .x_label_area_size(36)
        .y_label_area_size(56)
        .build_cartesian_2d(0f64..hi, 0f64..top)?;
    chart.configure_mesh().x_desc(x_label).y_desc("fraction of trials").light_line_style(RGBColor(238, 240, 243)).draw()?;
    for (line, c) in lines.iter().zip(&counts) {
        let color = line.color;
        let steps: Vec<(f64, f64)> = c.iter().enumerate().flat_map(|(k, &h)| [(k as f64 * width, h), ((k + 1) as f64 * width, h)]).collect();
        chart
            .draw_series(LineSeries::new(steps, color.stroke_width(2)))?
            .label(line.name)
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 16, y)], color.stroke_width(2)));
    }
    if !lines.is_empty() {
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .draw()?;
    }
    root.present()?;
    Ok(())
}
