//! Regula's charts, drawn with plotters on any backend: the page draws them on its canvas (and into SVG
//! for export), the CLI into PNG files (`png` feature). One function per chart kind, so the page, its SVG
//! and the CLI's PNG are the same drawing. Each returns the points as drawn (pixel and data) for the
//! page's hover read-out.

use std::sync::Arc;

use plotters::coord::Shift;
use plotters::prelude::*;

pub mod ot;
#[cfg(feature = "png")]
pub mod png;
pub mod solvers;
pub mod sweep;
pub mod train;

/// A chart's drawing size in pixels (canvas, SVG and PNG alike).
pub const SIZE: (u32, u32) = (600, 320);

/// A plotters error (any backend) as a boxed error.
pub type DrawResult<T> = Result<T, Box<dyn std::error::Error>>;

/// Colours for series that have no colour of their own (the CLI's charts).
pub const PALETTE: [RGBColor; 6] = [
    RGBColor(31, 119, 180),
    RGBColor(214, 39, 40),
    RGBColor(44, 160, 44),
    RGBColor(255, 127, 14),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
];

/// Smallest value drawn on a log axis by default; zeros and negatives are drawn at the floor, and
/// non-finite values are left out (never plotted as a number they are not).
pub const LOG_FLOOR: f64 = 1e-6;

/// `color` at opacity `alpha` over white, as opaque RGB (a raster cell's colour).
pub fn over_white(color: RGBColor, alpha: f64) -> [u8; 3] {
    let a = alpha.clamp(0.0, 1.0);
    let mix = |c: u8| (255.0 * (1.0 - a) + c as f64 * a).round() as u8;
    [mix(color.0), mix(color.1), mix(color.2)]
}

/// A raster as one filled rectangle per non-white cell (SVG export, PNG).
pub fn raster_rects<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    area: (std::ops::Range<i32>, std::ops::Range<i32>),
    cols: usize,
    rows: usize,
    rgb: &[[u8; 3]],
) -> DrawResult<()>
where
    DB::ErrorType: 'static,
{
    if cols == 0 || rows == 0 || rgb.len() != cols * rows {
        return Err(format!("a {cols} × {rows} raster needs {} cells, got {}", cols * rows, rgb.len()).into());
    }
    let (x, y) = area;
    let edge = |start: i32, len: i32, k: usize, n: usize| start + (len as f64 * k as f64 / n as f64).round() as i32;
    for r in 0..rows {
        for c in 0..cols {
            let [red, green, blue] = rgb[r * cols + c];
            if [red, green, blue] == [255, 255, 255] {
                continue; // the picture's background
            }
            let (x0, x1) = (edge(x.start, x.end - x.start, c, cols), edge(x.start, x.end - x.start, c + 1, cols));
            let (y0, y1) = (edge(y.start, y.end - y.start, r, rows), edge(y.start, y.end - y.start, r + 1, rows));
            root.draw(&Rectangle::new([(x0, y0), (x1, y1)], RGBColor(red, green, blue).filled()))?;
        }
    }
    Ok(())
}

/// One named line.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    pub name: &'static str,
    pub color: RGBColor,
    pub points: Vec<(f64, f64)>,
}

/// A point as drawn: its pixel on the chart and its data, for the hover read-out.
#[derive(Clone, Debug, PartialEq)]
pub struct Drawn {
    pub px: (i32, i32),
    /// The series and the point's values; formatted by [`Drawn::label`] only when a read-out shows it
    /// (a redraw of a long run's chart records thousands of points and formats none).
    pub what: Readout,
}

/// The data behind a read-out.
#[derive(Clone, Debug, PartialEq)]
pub enum Readout {
    /// A line chart's point.
    Point { series: &'static str, x_label: &'static str, y_label: &'static str, x: f64, y: f64 },
    /// A band chart's median with its p10–p90 band.
    Band { series: Arc<str>, x_label: &'static str, y_label: &'static str, x: f64, p10: f64, median: f64, p90: f64 },
    /// A histogram's bin [lo, hi) holding `fraction` of the trials.
    Bin { series: &'static str, x_label: Arc<str>, lo: f64, hi: f64, fraction: f64 },
}

impl Drawn {
    /// What the read-out says: the series and the point's values.
    pub fn label(&self) -> String {
        let n = readout_number;
        match &self.what {
            Readout::Point { series, x_label, y_label, x, y } => {
                format!("{series}: {x_label} = {}, {y_label} = {}", n(*x), n(*y))
            }
            Readout::Band { series, x_label, y_label, x, p10, median, p90 } => {
                format!(
                    "{series}: {x_label} = {}, {y_label} median {} (p10 {}, p90 {})",
                    n(*x),
                    n(*median),
                    n(*p10),
                    n(*p90)
                )
            }
            Readout::Bin { series, x_label, lo, hi, fraction } => {
                format!("{series}: {x_label} in [{}, {}): {:.1}% of trials", n(*lo), n(*hi), 100.0 * fraction)
            }
        }
    }
}

/// The drawn point nearest to pixel `at`, if one lies within `radius` pixels.
pub fn nearest(drawn: &[Drawn], at: (f64, f64), radius: f64) -> Option<&Drawn> {
    let d2 = |p: &Drawn| (p.px.0 as f64 - at.0).powi(2) + (p.px.1 as f64 - at.1).powi(2);
    drawn.iter().filter(|p| d2(p) <= radius * radius).min_by(|a, b| d2(a).total_cmp(&d2(b)))
}

/// A number for the read-out: four significant digits, in exponent form outside [1e-3, 1e5).
pub fn readout_number(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return format!("{v}");
    }
    let a = v.abs();
    if (1e-3..1e5).contains(&a) {
        let decimals = (3 - a.log10().floor() as i32).clamp(0, 6) as usize;
        let s = format!("{v:.decimals$}");
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_owned()
        } else {
            s
        }
    } else {
        format!("{v:.3e}")
    }
}

/// Draws into an SVG document of the chart's size.
pub fn svg(draw: impl FnOnce(DrawingArea<SVGBackend<'_>, Shift>) -> DrawResult<()>) -> Result<String, String> {
    svg_sized(SIZE, draw)
}

/// Draws into an SVG document of `size` pixels (a picture taller than a chart, say).
pub fn svg_sized(
    size: (u32, u32),
    draw: impl FnOnce(DrawingArea<SVGBackend<'_>, Shift>) -> DrawResult<()>,
) -> Result<String, String> {
    // With the `png` feature plotters measures text with the bundled font, natively, for SVG too.
    #[cfg(feature = "png")]
    png::register_font().map_err(|e| e.to_string())?;
    let mut out = String::new();
    draw(SVGBackend::with_string(&mut out, size).into_drawing_area()).map_err(|e| e.to_string())?;
    Ok(out)
}

/// CSV: `header`, then one row `"name",v1,v2,…` per point (quotes doubled; non-finite values as empty cells).
fn named_csv<'a>(header: &str, rows: impl Iterator<Item = (&'a str, Vec<f64>)>) -> String {
    let cell = |v: &f64| if v.is_finite() { v.to_string() } else { String::new() };
    let mut out = format!("{header}\n");
    for (name, values) in rows {
        let cells: Vec<String> = values.iter().map(cell).collect();
        out.push_str(&format!("\"{}\",{}\n", name.replace('"', "\"\""), cells.join(",")));
    }
    out
}

/// JSON: `[{"series": name, "points": [[v1, v2, …], …]}, …]` (non-finite values as null).
fn named_json<'a>(groups: impl Iterator<Item = (&'a str, Vec<Vec<f64>>)>) -> String {
    let num = |v: &f64| if v.is_finite() { v.to_string() } else { "null".to_owned() };
    let body: Vec<String> = groups
        .map(|(name, points)| {
            let pts: Vec<String> =
                points.iter().map(|p| format!("[{}]", p.iter().map(num).collect::<Vec<_>>().join(","))).collect();
            format!(
                "{{\"series\":\"{}\",\"points\":[{}]}}",
                name.replace('\\', "\\\\").replace('"', "\\\""),
                pts.join(",")
            )
        })
        .collect();
    format!("[{}]", body.join(","))
}

/// The chart's data as CSV, one row per point: `series,x,y` (non-finite values written as empty cells).
pub fn series_csv(lines: &[Series]) -> String {
    named_csv("series,x,y", lines.iter().flat_map(|l| l.points.iter().map(move |&(x, y)| (l.name, vec![x, y]))))
}

/// The chart's data as JSON: `[{"series": name, "points": [[x, y], …]}, …]` (non-finite values as null).
pub fn series_json(lines: &[Series]) -> String {
    named_json(lines.iter().map(|l| (l.name, l.points.iter().map(|&(x, y)| vec![x, y]).collect())))
}

/// Bands as CSV, one row per point: `series,x,p10,median,p90` (non-finite values as empty cells).
pub fn bands_csv(bands: &[Band]) -> String {
    named_csv(
        "series,x,p10,median,p90",
        bands
            .iter()
            .flat_map(|b| b.points.iter().map(move |&(x, lo, mid, hi)| (b.name.as_str(), vec![x, lo, mid, hi]))),
    )
}

/// Bands as JSON: `[{"series": name, "points": [[x, p10, median, p90], …]}, …]` (non-finite as null).
pub fn bands_json(bands: &[Band]) -> String {
    named_json(
        bands
            .iter()
            .map(|b| (b.name.as_str(), b.points.iter().map(|&(x, lo, mid, hi)| vec![x, lo, mid, hi]).collect())),
    )
}

/// The legend box in the upper right corner (band charts and histograms).
macro_rules! legend_upper_right {
    ($chart:expr) => {
        $chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .draw()?
    };
}

/// What a line chart draws besides its series.
#[derive(Clone, Copy)]
pub struct LineSpec {
    pub title: &'static str,
    pub x_label: &'static str,
    pub y_label: &'static str,
    pub guide: Option<f64>,
    pub floor: f64,
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

/// Tick labels for a log axis from `lo` to `hi`: the powers of ten when it holds two or more of them,
/// otherwise every tick in three significant digits (a short axis, 0.45 to 1.8 say, has no decade to label).
fn log_label(lo: f64, hi: f64) -> impl Fn(&f64) -> String {
    let decades = if lo > 0.0 && hi > lo { (hi.log10().floor() - lo.log10().ceil() + 1.0).max(0.0) } else { 0.0 };
    move |v: &f64| if decades >= 2.0 { decade_label(v) } else { significant(*v, 3) }
}

/// Tick labels for a log axis of sizes (sketch sizes m from 64 to 1024, say): over a decade or more only
/// 1, 2 and 5 times a power of ten are labelled (100, 200, 500, 1000 — the minor ticks next to a decade's end
/// would run together), over less every tick is.
fn one_two_five(lo: f64, hi: f64) -> impl Fn(&f64) -> String {
    let wide = lo > 0.0 && hi >= 10.0 * lo;
    move |v: &f64| {
        if !wide || *v <= 0.0 {
            return significant(*v, 3);
        }
        let mantissa = v / 10f64.powf(v.log10().floor());
        if [1.0, 2.0, 5.0, 10.0].iter().any(|m| (mantissa - m).abs() < 1e-6) {
            significant(*v, 3)
        } else {
            String::new()
        }
    }
}

/// `v` in `digits` significant digits, trailing zeros dropped ("0.5", "1.25", "320").
fn significant(v: f64, digits: i32) -> String {
    if v == 0.0 || !v.is_finite() {
        return if v.is_finite() { "0".to_owned() } else { v.to_string() };
    }
    let decimals = (digits - 1 - v.abs().log10().floor() as i32).clamp(0, 12) as usize;
    let s = format!("{v:.decimals$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        s
    }
}

/// Tick labels for a linear axis spanning `span`: one number of decimals for every tick, enough that ticks
/// a twentieth of the span apart read differently (0 to 2 in halves: "0.0", "0.5", …; 0 to 320: "0", "50").
fn fixed_label(span: f64) -> impl Fn(&f64) -> String {
    let decimals =
        if span > 0.0 && span.is_finite() { (-(span / 20.0).log10()).ceil().clamp(0.0, 12.0) as usize } else { 2 };
    let half_unit = 0.5 * 10f64.powi(-(decimals as i32));
    move |v: &f64| format!("{:.decimals$}", if v.abs() < half_unit { 0.0 } else { *v })
}

/// Draws a line chart on any plotters backend; returns the points as drawn (for the read-out).
pub fn draw_lines<DB: DrawingBackend>(
    root: DrawingArea<DB, Shift>,
    spec: LineSpec,
    lines: &[Series],
    (log_x, log_y): (bool, bool),
) -> DrawResult<Vec<Drawn>>
where
    DB::ErrorType: 'static,
{
    let LineSpec { title, x_label, y_label, guide, floor } = spec;
    root.fill(&WHITE)?;
    // A log axis over less than a factor of ten holds no power of ten, where plotters puts its ticks: such an
    // axis is drawn linear (an NLL between 2.1 and 2.3 gets labels instead of a bare frame).
    let span = |values: &mut dyn Iterator<Item = f64>| {
        values.filter(|v| v.is_finite()).fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| (a.min(v), b.max(v)))
    };
    let narrow = |(lo, hi): (f64, f64)| lo > 0.0 && hi.is_finite() && hi / lo < 10.0;
    let log_y =
        log_y && !narrow(span(&mut lines.iter().flat_map(|l| l.points.iter().map(|p| p.1.max(floor))).chain(guide)));
    let log_x = log_x && !narrow(span(&mut lines.iter().flat_map(|l| l.points.iter().map(|p| p.0))));
    let linear_y = !log_y;
    let clamp = |y: f64| if linear_y { y } else { y.max(floor) };
    let finite = |p: &&(f64, f64)| p.0.is_finite() && p.1.is_finite() && (!log_x || p.0 > 0.0);
    let x_max = lines
        .iter()
        .flat_map(|l| l.points.iter().filter(finite).map(|p| p.0))
        .fold(if log_x { f64::MIN_POSITIVE } else { 1.0 }, f64::max);
    let x_min = lines.iter().flat_map(|l| l.points.iter().filter(finite).map(|p| p.0)).fold(f64::INFINITY, f64::min);
    let ys = lines.iter().flat_map(|l| l.points.iter().filter(finite).map(|p| clamp(p.1))).chain(guide);
    let (lo, hi) = ys.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), y| (lo.min(y), hi.max(y)));
    let (lo, hi) = match (lo.is_finite(), linear_y) {
        (true, false) => (lo / 2.0, hi * 2.0),
        (false, false) => (0.1, 10.0),
        (true, true) => (lo.min(0.0), if hi > lo.min(0.0) { hi * 1.05 } else { 1.0 }),
        (false, true) => (0.0, 1.0),
    };
    let mut drawn = Vec::new();
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
                    .draw_series(LineSeries::new(
                        line.points.iter().filter(finite).map(|&(x, y)| (x, clamp(y))),
                        color.stroke_width(2),
                    ))?
                    .label(line.name)
                    .legend(move |(x, y)| PathElement::new([(x, y), (x + 16, y)], color.stroke_width(2)));
                for &(x, y) in line.points.iter().filter(finite) {
                    let what = Readout::Point { series: line.name, x_label, y_label, x, y };
                    drawn.push(Drawn { px: chart.backend_coord(&(x, clamp(y))), what });
                }
            }
            if !lines.is_empty() {
                chart.configure_series_labels().background_style(WHITE.mix(0.8)).border_style(BLACK).draw()?;
            }
        }};
    }
    let x0 = if x_min.is_finite() && x_min < x_max { x_min } else { x_max / 10.0 };
    let x_fmt = fixed_label(x_max);
    let y_fmt = fixed_label(hi - lo);
    let log_x_fmt = log_label(x0, x_max);
    let log_y_fmt = log_label(lo, hi);
    match (log_x, linear_y) {
        (true, false) => {
            plot!(
                builder.build_cartesian_2d((x0..x_max).log_scale(), (lo..hi).log_scale())?,
                x0,
                &log_x_fmt,
                &log_y_fmt
            )
        }
        (false, false) => {
            plot!(builder.build_cartesian_2d(0f64..x_max, (lo..hi).log_scale())?, 0.0, &x_fmt, &log_y_fmt)
        }
        (true, true) => plot!(builder.build_cartesian_2d((x0..x_max).log_scale(), lo..hi)?, x0, &log_x_fmt, &y_fmt),
        (false, true) => plot!(builder.build_cartesian_2d(0f64..x_max, lo..hi)?, 0.0, &x_fmt, &y_fmt),
    }
    root.present()?;
    Ok(drawn)
}

/// One line with a shaded band: (x, low, middle, high) per point (p10, median, p90 of trials, say).
#[derive(Clone, Debug, PartialEq)]
pub struct Band {
    pub name: String,
    pub color: RGBColor,
    pub points: Vec<(f64, f64, f64, f64)>,
}

/// What a band chart draws besides its bands.
#[derive(Clone, Copy)]
pub struct BandSpec {
    pub title: &'static str,
    pub x_label: &'static str,
    pub y_label: &'static str,
    pub floor: f64,
}

/// Draws a band chart on any plotters backend; returns the medians as drawn (for the read-out).
pub fn draw_bands<DB: DrawingBackend>(
    root: DrawingArea<DB, Shift>,
    spec: BandSpec,
    lines: &[Band],
    log_y: bool,
) -> DrawResult<Vec<Drawn>>
where
    DB::ErrorType: 'static,
{
    let BandSpec { title, x_label, y_label, floor } = spec;
    root.fill(&WHITE)?;
    let ok = |p: &&(f64, f64, f64, f64)| p.0 > 0.0 && p.1.is_finite() && p.2.is_finite() && p.3.is_finite();
    let pts = || lines.iter().flat_map(|l| l.points.iter().filter(ok));
    let (x_lo, x_hi) = pts().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), p| (a.min(p.0), b.max(p.0)));
    let (x_lo, x_hi) = if x_lo.is_finite() { (x_lo / 1.2, x_hi * 1.2) } else { (1.0, 10.0) };
    let clamp = |y: f64| if log_y { y.max(floor) } else { y };
    let (y_lo, y_hi) =
        pts().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), p| (a.min(clamp(p.1)), b.max(clamp(p.3))));
    let finite = y_lo.is_finite();
    let x_fmt = one_two_five(x_lo, x_hi);
    let mut drawn = Vec::new();
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
                let series: Arc<str> = Arc::from(line.name.as_str());
                for q in &p {
                    let what = Readout::Band {
                        series: series.clone(),
                        x_label,
                        y_label,
                        x: q.0,
                        p10: q.1,
                        median: q.2,
                        p90: q.3,
                    };
                    drawn.push(Drawn { px: chart.backend_coord(&(q.0, clamp(q.2))), what });
                }
            }
            if !lines.is_empty() {
                legend_upper_right!(chart);
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
    Ok(drawn)
}

/// Draws the histograms on any plotters backend; returns each bin's top as drawn (for the read-out).
pub fn draw_histogram<DB: DrawingBackend>(
    root: DrawingArea<DB, Shift>,
    title: &str,
    x_label: &str,
    lines: &[Series],
) -> DrawResult<Vec<Drawn>>
where
    DB::ErrorType: 'static,
{
    const BINS: usize = 30;
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
    chart
        .configure_mesh()
        .x_desc(x_label)
        .y_desc("fraction of trials")
        .light_line_style(RGBColor(238, 240, 243))
        .draw()?;
    let mut drawn = Vec::new();
    let x_name: Arc<str> = Arc::from(x_label);
    for (line, c) in lines.iter().zip(&counts) {
        let color = line.color;
        let steps: Vec<(f64, f64)> =
            c.iter().enumerate().flat_map(|(k, &h)| [(k as f64 * width, h), ((k + 1) as f64 * width, h)]).collect();
        chart
            .draw_series(LineSeries::new(steps, color.stroke_width(2)))?
            .label(line.name)
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 16, y)], color.stroke_width(2)));
        for (k, &h) in c.iter().enumerate().filter(|(_, &h)| h > 0.0) {
            let (a, b) = (k as f64 * width, (k + 1) as f64 * width);
            let what = Readout::Bin { series: line.name, x_label: x_name.clone(), lo: a, hi: b, fraction: h };
            drawn.push(Drawn { px: chart.backend_coord(&((a + b) / 2.0, h)), what });
        }
    }
    if !lines.is_empty() {
        legend_upper_right!(chart);
    }
    root.present()?;
    Ok(drawn)
}

#[cfg(test)]
mod tests;
