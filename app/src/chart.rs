//! The page's charts: the drawings of `regula-charts` on a canvas, each with a toolbar (log/linear axes
//! where they make sense, one toggle per series), a hover read-out of the nearest drawn point, and
//! PNG/SVG/CSV/JSON export; each redraws when its data or a toggle changes. Also the raster helper for
//! heatmaps drawn by the labs themselves.

use leptos::html::Canvas;
use leptos::prelude::*;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters_canvas::CanvasBackend;
use regula_charts::{
    bands_csv, bands_json, nearest, series_csv, series_json, BandSpec, DrawResult, Drawn, LineSpec, SIZE,
};
pub use regula_charts::{Band, Series, LOG_FLOOR};
use regula_core::Frame;

/// The canvas's 2-D drawing area, crisp on a high-DPI screen: the canvas keeps its size in CSS pixels (its
/// `width`/`height` attributes as first written, kept in `data-css-width`/`data-css-height`) and gets
/// `devicePixelRatio` times as many device pixels; the context is scaled by that ratio, so every drawing
/// works in CSS pixels (the hover read-out's coordinates included) and is rasterised at the screen's density.
pub fn canvas_root(canvas: web_sys::HtmlCanvasElement) -> DrawResult<DrawingArea<Crisp, Shift>> {
    use wasm_bindgen::JsCast;
    let size = css_size(&canvas);
    let ratio = web_sys::window().map_or(1.0, |w| w.device_pixel_ratio()).clamp(1.0, 4.0);
    let (w, h) = ((size.0 as f64 * ratio).round() as u32, (size.1 as f64 * ratio).round() as u32);
    if canvas.width() != w || canvas.height() != h {
        canvas.set_width(w); // also resets the context's transform
        canvas.set_height(h);
    }
    let context: web_sys::CanvasRenderingContext2d = canvas
        .get_context("2d")
        .ok()
        .flatten()
        .and_then(|c| c.dyn_into().ok())
        .ok_or("no 2-D context on the canvas")?;
    context.set_transform(ratio, 0.0, 0.0, ratio, 0.0, 0.0).map_err(|e| format!("{e:?}"))?;
    let inner = CanvasBackend::with_canvas_object(canvas).ok_or("no 2-D context on the canvas")?;
    Ok(Crisp { inner, size }.into_drawing_area())
}

/// The canvas's size in CSS pixels: its attributes the first time it is drawn (recorded on the element).
pub fn css_size(canvas: &web_sys::HtmlCanvasElement) -> (u32, u32) {
    let read = |key: &str| canvas.get_attribute(key).and_then(|v| v.parse::<u32>().ok());
    match (read("data-css-width"), read("data-css-height")) {
        (Some(w), Some(h)) => (w, h),
        _ => {
            let (w, h) = (canvas.width(), canvas.height());
            let _ = canvas.set_attribute("data-css-width", &w.to_string());
            let _ = canvas.set_attribute("data-css-height", &h.to_string());
            (w, h)
        }
    }
}

/// plotters' canvas backend on a context scaled by `devicePixelRatio` ([`canvas_root`]): it reports the
/// canvas's size in CSS pixels and passes every drawing call on unchanged.
pub struct Crisp {
    inner: CanvasBackend,
    size: (u32, u32),
}

mod crisp {
    use plotters_backend::{
        BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingBackend, DrawingErrorKind,
    };
    use plotters_canvas::CanvasBackend;

    /// plotters-canvas does not export its error type by name.
    type CanvasError = <CanvasBackend as DrawingBackend>::ErrorType;

    type Drawn = Result<(), DrawingErrorKind<CanvasError>>;

    impl DrawingBackend for super::Crisp {
        type ErrorType = CanvasError;

        fn get_size(&self) -> (u32, u32) {
            self.size
        }
        fn ensure_prepared(&mut self) -> Drawn {
            self.inner.ensure_prepared()
        }
        fn present(&mut self) -> Drawn {
            self.inner.present()
        }
        fn draw_pixel(&mut self, point: BackendCoord, color: BackendColor) -> Drawn {
            self.inner.draw_pixel(point, color)
        }
        fn draw_line<S: BackendStyle>(&mut self, from: BackendCoord, to: BackendCoord, style: &S) -> Drawn {
            self.inner.draw_line(from, to, style)
        }
        fn draw_rect<S: BackendStyle>(&mut self, a: BackendCoord, b: BackendCoord, style: &S, fill: bool) -> Drawn {
            self.inner.draw_rect(a, b, style, fill)
        }
        fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(&mut self, path: I, style: &S) -> Drawn {
            self.inner.draw_path(path, style)
        }
        fn draw_circle<S: BackendStyle>(&mut self, c: BackendCoord, r: u32, style: &S, fill: bool) -> Drawn {
            self.inner.draw_circle(c, r, style, fill)
        }
        fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(&mut self, v: I, style: &S) -> Drawn {
            self.inner.fill_polygon(v, style)
        }
        fn draw_text<S: BackendTextStyle>(&mut self, text: &str, style: &S, pos: BackendCoord) -> Drawn {
            self.inner.draw_text(text, style, pos)
        }
        fn estimate_text_size<S: BackendTextStyle>(
            &self,
            text: &str,
            style: &S,
        ) -> Result<(u32, u32), DrawingErrorKind<CanvasError>> {
            self.inner.estimate_text_size(text, style)
        }
    }
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
    let small: web_sys::HtmlCanvasElement =
        doc.create_element("canvas").map_err(js)?.dyn_into().map_err(|_| "not a canvas")?;
    small.set_width(cols as u32);
    small.set_height(rows as u32);
    let context = |c: &web_sys::HtmlCanvasElement| -> Result<web_sys::CanvasRenderingContext2d, String> {
        c.get_context("2d").map_err(js)?.ok_or("no 2-D context")?.dyn_into().map_err(|_| "not a 2-D context".to_owned())
    };
    let rgba: Vec<u8> = rgb.iter().flat_map(|c| [c[0], c[1], c[2], 255]).collect();
    let image =
        web_sys::ImageData::new_with_u8_clamped_array_and_sh(wasm_bindgen::Clamped(&rgba), cols as u32, rows as u32)
            .map_err(js)?;
    context(&small)?.put_image_data(&image, 0.0, 0.0).map_err(js)?;
    let target = context(canvas)?;
    target.set_image_smoothing_enabled(false);
    let (x, y) = area;
    target
        .draw_image_with_html_canvas_element_and_dw_and_dh(
            &small,
            x.start as f64,
            y.start as f64,
            (x.end - x.start) as f64,
            (y.end - y.start) as f64,
        )
        .map_err(js)?;
    Ok(())
}

/// Where a picture's raster goes: onto its canvas as one image ([`draw_raster`]), or into a vector
/// drawing (SVG export) as one rectangle per non-white cell.
pub enum Painter {
    Canvas(web_sys::HtmlCanvasElement),
    Vector,
}

impl Painter {
    /// Paints a `cols × rows` raster (row 0 at the top) over `area`, in `root`'s pixels.
    pub fn raster<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        area: (std::ops::Range<i32>, std::ops::Range<i32>),
        cols: usize,
        rows: usize,
        rgb: &[[u8; 3]],
    ) -> DrawResult<()>
    where
        DB::ErrorType: 'static,
    {
        match self {
            Painter::Canvas(canvas) => draw_raster(canvas, area, cols, rows, rgb),
            Painter::Vector => regula_charts::raster_rects(root, area, cols, rows, rgb),
        }
    }
}

/// A picture's SVG export: draws the current state into an SVG document, or says why it cannot.
pub type SvgExport = std::rc::Rc<dyn Fn() -> Result<String, String>>;

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

/// A chart's data for download: (CSV, JSON), made when the person asks.
pub type DataExport = (std::rc::Rc<dyn Fn() -> String>, std::rc::Rc<dyn Fn() -> String>);

/// The data of line series for download.
fn series_export(series: Signal<Vec<Series>>) -> DataExport {
    (
        std::rc::Rc::new(move || series.with(|s| series_csv(s))),
        std::rc::Rc::new(move || series.with(|s| series_json(s))),
    )
}

/// The downloads under a chart (ids `{id}-png`, `{id}-svg`, `{id}-csv`, `{id}-json`; files `{id}.png` …):
/// PNG of the canvas as shown, SVG of the same drawing (where the chart is drawn by plotters alone), and
/// the data as CSV/JSON (where the chart has series).
#[component]
pub fn ExportBar(
    id: &'static str,
    canvas: NodeRef<Canvas>,
    #[prop(optional)] data: Option<DataExport>,
    #[prop(optional)] svg: Option<std::rc::Rc<dyn Fn() -> Result<String, String>>>,
) -> impl IntoView {
    let png = move |_| {
        if let Some(c) = canvas.get() {
            if let Ok(url) = c.to_data_url() {
                download(&url, &format!("{id}.png"));
            }
        }
    };
    let svg = svg.map(|svg| {
        let save = move |_| match svg() {
            Ok(text) => download(&format!("data:image/svg+xml;charset=utf-8,{}", js_sys::encode_uri_component(&text)), &format!("{id}.svg")),
            Err(e) => leptos::logging::warn!("chart {id}: SVG export failed: {e}"),
        };
        view! { <button type="button" id=format!("{id}-svg") on:click=save aria-label="Download the chart as SVG">"SVG"</button> }
    });
    let data = data.map(|(csv_of, json_of)| {
        let csv = move |_| {
            let text = csv_of();
            download(&format!("data:text/csv;charset=utf-8,{}", js_sys::encode_uri_component(&text)), &format!("{id}.csv"));
        };
        let json = move |_| {
            let text = json_of();
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
            {svg}
            {data}
        </div>
    }
}

/// A chart's toggles: log axes where offered (ids `{id}-logx`, `{id}-logy`) and one checkbox per series
/// (`{id}-show-{k}`, the series' legend entry) that hides or shows it.
#[component]
fn Toolbar(
    id: &'static str,
    names: Memo<Vec<String>>,
    hidden: RwSignal<Vec<String>>,
    #[prop(optional)] log_x: Option<RwSignal<bool>>,
    #[prop(optional)] log_y: Option<RwSignal<bool>>,
) -> impl IntoView {
    let axis = move |signal: Option<RwSignal<bool>>, suffix: &'static str, label: &'static str| {
        signal.map(|s| {
            view! {
                <label class="check">
                    <input type="checkbox" id=format!("{id}-{suffix}") prop:checked=move || s.get() on:change=move |ev| s.set(event_target_checked(&ev)) />
                    {label}
                </label>
            }
        })
    };
    let toggles = move || {
        names
            .get()
            .into_iter()
            .enumerate()
            .map(|(k, name)| {
                let shown = name.clone();
                let toggled = name.clone();
                view! {
                    <label class="check">
                        <input type="checkbox" id=format!("{id}-show-{k}") prop:checked=move || hidden.with(|h| !h.contains(&shown))
                            on:change=move |ev| {
                                let on = event_target_checked(&ev);
                                let name = toggled.clone();
                                hidden.update(|h| {
                                    h.retain(|n| *n != name);
                                    if !on {
                                        h.push(name);
                                    }
                                });
                            } />
                        {name}
                    </label>
                }
            })
            .collect_view()
    };
    view! {
        <div class="chart-tools" role="group" aria-label="Chart options">
            {axis(log_x, "logx", "log x")}
            {axis(log_y, "logy", "log y")}
            {toggles}
        </div>
    }
}

/// The canvas with its hover read-out (`{id}-readout`: the nearest drawn point's series and values).
#[component]
fn Plot(
    id: &'static str,
    title: &'static str,
    canvas: NodeRef<Canvas>,
    drawn: StoredValue<Vec<Drawn>>,
) -> impl IntoView {
    let readout = RwSignal::new(String::new());
    let hover = move |ev: web_sys::MouseEvent| {
        let Some(c) = canvas.get() else { return };
        // Drawn points are in the canvas's CSS-pixel coordinates (see `canvas_root`).
        let scale = css_size(&c).0 as f64 / c.client_width().max(1) as f64;
        let at = (ev.offset_x() as f64 * scale, ev.offset_y() as f64 * scale);
        readout.set(drawn.with_value(|d| nearest(d, at, 12.0 * scale).map(|p| p.label())).unwrap_or_default());
    };
    view! {
        <canvas id=id node_ref=canvas width=SIZE.0 height=SIZE.1 role="img" aria-label=title
            on:mousemove=hover on:mouseleave=move |_| readout.set(String::new())></canvas>
        <output id=format!("{id}-readout") class="readout" aria-live="polite">{move || readout.get()}</output>
    }
}

/// A chart of `series` (log y by default); `guide` draws a dashed horizontal line (a threshold). The
/// toolbar switches either axis between log and linear and hides or shows each series.
#[component]
pub fn LogChart(
    id: &'static str,
    title: &'static str,
    x_label: &'static str,
    y_label: &'static str,
    series: Signal<Vec<Series>>,
    #[prop(optional)] guide: Option<f64>,
    #[prop(default = LOG_FLOOR)] floor: f64,
    /// Start with a log x axis too (time, ratios); points with x ≤ 0 are left out while it is on.
    #[prop(optional)]
    log_x: bool,
    /// Start with a linear y axis from 0 to the data's maximum (fractions) instead of log y.
    #[prop(optional)]
    linear_y: bool,
) -> impl IntoView {
    let canvas = NodeRef::<Canvas>::new();
    let spec = LineSpec { title, x_label, y_label, guide, floor };
    let log_x = RwSignal::new(log_x);
    let log_y = RwSignal::new(!linear_y);
    let hidden = RwSignal::new(Vec::<String>::new());
    let names = Memo::new(move |_| series.with(|s| s.iter().map(|l| l.name.to_owned()).collect::<Vec<_>>()));
    let drawn = StoredValue::new(Vec::new());
    let shown = move || -> Vec<Series> {
        hidden.with(|h| series.with(|s| s.iter().filter(|l| !h.iter().any(|n| n == l.name)).cloned().collect()))
    };
    let points = move || series.with(|s| s.iter().map(|l| l.points.len()).sum::<usize>());
    Effect::new(move |_| {
        let lines = shown();
        let axes = (log_x.get(), log_y.get());
        if let Some(c) = canvas.get() {
            match canvas_root(c).and_then(|root| regula_charts::draw_lines(root, spec, &lines, axes)) {
                Ok(d) => drawn.set_value(d),
                Err(e) => leptos::logging::warn!("chart {id}: {e}"),
            }
        }
    });
    let svg: std::rc::Rc<dyn Fn() -> Result<String, String>> = std::rc::Rc::new(move || {
        regula_charts::svg(|root| {
            regula_charts::draw_lines(root, spec, &shown(), (log_x.get_untracked(), log_y.get_untracked())).map(drop)
        })
    });
    view! {
        <figure class="chart" data-points=points>
            <Toolbar id=id names=names hidden=hidden log_x=log_x log_y=log_y />
            <Plot id=id title=title canvas=canvas drawn=drawn />
            <ExportBar id=id canvas=canvas data=series_export(series) svg=svg />
        </figure>
    }
}

/// Median lines with p10–p90 bands against a log-scaled x (a sketch size m, say); y on a log scale from
/// `floor` (values below are drawn at the floor) or linear; the toolbar switches y and hides bands.
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
    let spec = BandSpec { title, x_label, y_label, floor };
    let log_y = RwSignal::new(log_y);
    let hidden = RwSignal::new(Vec::<String>::new());
    let names = Memo::new(move |_| bands.with(|b| b.iter().map(|l| l.name.clone()).collect::<Vec<_>>()));
    let drawn = StoredValue::new(Vec::new());
    let shown = move || -> Vec<Band> {
        hidden.with(|h| bands.with(|b| b.iter().filter(|l| !h.contains(&l.name)).cloned().collect()))
    };
    let points = move || bands.with(|b| b.iter().map(|l| l.points.len()).sum::<usize>());
    Effect::new(move |_| {
        let lines = shown();
        let log = log_y.get();
        if let Some(c) = canvas.get() {
            match canvas_root(c).and_then(|root| regula_charts::draw_bands(root, spec, &lines, log)) {
                Ok(d) => drawn.set_value(d),
                Err(e) => leptos::logging::warn!("chart {id}: {e}"),
            }
        }
    });
    let data: DataExport = (
        std::rc::Rc::new(move || bands.with(|b| bands_csv(b))),
        std::rc::Rc::new(move || bands.with(|b| bands_json(b))),
    );
    let svg: std::rc::Rc<dyn Fn() -> Result<String, String>> = std::rc::Rc::new(move || {
        regula_charts::svg(|root| regula_charts::draw_bands(root, spec, &shown(), log_y.get_untracked()).map(drop))
    });
    view! {
        <figure class="chart" data-points=points>
            <Toolbar id=id names=names hidden=hidden log_y=log_y />
            <Plot id=id title=title canvas=canvas drawn=drawn />
            <ExportBar id=id canvas=canvas data=data svg=svg />
        </figure>
    }
}

/// Overlaid histograms (as step outlines) of each series' values on shared bins; the toolbar hides series.
#[component]
pub fn HistogramChart(
    id: &'static str,
    title: &'static str,
    x_label: &'static str,
    series: Signal<Vec<Series>>,
) -> impl IntoView {
    let canvas = NodeRef::<Canvas>::new();
    let hidden = RwSignal::new(Vec::<String>::new());
    let names = Memo::new(move |_| series.with(|s| s.iter().map(|l| l.name.to_owned()).collect::<Vec<_>>()));
    let drawn = StoredValue::new(Vec::new());
    let shown = move || -> Vec<Series> {
        hidden.with(|h| series.with(|s| s.iter().filter(|l| !h.iter().any(|n| n == l.name)).cloned().collect()))
    };
    let points = move || series.with(|s| s.iter().map(|l| l.points.len()).sum::<usize>());
    Effect::new(move |_| {
        let lines = shown();
        if let Some(c) = canvas.get() {
            match canvas_root(c).and_then(|root| regula_charts::draw_histogram(root, title, x_label, &lines)) {
                Ok(d) => drawn.set_value(d),
                Err(e) => leptos::logging::warn!("chart {id}: {e}"),
            }
        }
    });
    let svg: std::rc::Rc<dyn Fn() -> Result<String, String>> = std::rc::Rc::new(move || {
        regula_charts::svg(|root| regula_charts::draw_histogram(root, title, x_label, &shown()).map(drop))
    });
    view! {
        <figure class="chart" data-points=points>
            <Toolbar id=id names=names hidden=hidden />
            <Plot id=id title=title canvas=canvas drawn=drawn />
            <ExportBar id=id canvas=canvas data=series_export(series) svg=svg />
        </figure>
    }
}

/// The series of metric `metric` over `frames` (x: the iteration), or `None` when no frame has it.
pub fn series(frames: &[Frame], name: &'static str, metric: &str, color: RGBColor) -> Option<Series> {
    let points: Vec<(f64, f64)> =
        frames.iter().filter_map(|f| f.metric(metric).map(|v| (f.iteration as f64, v))).collect();
    (!points.is_empty()).then_some(Series { name, color, points })
}
