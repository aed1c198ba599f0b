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
mod tests {
    use super::*;

    fn spec() -> LineSpec {
        LineSpec {
            title: "Marginal error",
            x_label: "iteration",
            y_label: "error",
            guide: Some(1e-3),
            floor: LOG_FLOOR,
        }
    }

    fn lines() -> Vec<Series> {
        vec![
            Series {
                name: "sinkhorn",
                color: RGBColor(200, 0, 0),
                points: vec![(1.0, 1.0), (2.0, 0.1), (3.0, 0.01), (4.0, f64::NAN)],
            },
            Series {
                name: "sns \"fast\"",
                color: RGBColor(0, 0, 200),
                points: vec![(1.0, 1.0), (2.0, 1e-4), (3.0, 0.0)],
            },
        ]
    }

    #[test]
    fn read_out_numbers_keep_four_significant_digits() {
        assert_eq!(readout_number(0.0), "0");
        assert_eq!(readout_number(1.0), "1");
        assert_eq!(readout_number(1234.5678), "1235");
        assert_eq!(readout_number(0.012346), "0.01235");
        assert_eq!(readout_number(-2.5), "-2.5");
        assert_eq!(readout_number(1.5e-7), "1.500e-7");
        assert_eq!(readout_number(2.0e6), "2.000e6");
        assert_eq!(readout_number(f64::NAN), "NaN");
    }

    #[test]
    fn the_nearest_point_within_the_radius_is_read_out() {
        let at = |px, series| Drawn { px, what: Readout::Point { series, x_label: "x", y_label: "y", x: 1.0, y: 2.0 } };
        let drawn = vec![at((10, 10), "a"), at((20, 10), "b"), at((100, 100), "c")];
        assert_eq!(nearest(&drawn, (14.0, 10.0), 12.0).unwrap().label(), "a: x = 1, y = 2");
        assert_eq!(nearest(&drawn, (16.0, 11.0), 12.0).unwrap().label(), "b: x = 1, y = 2");
        assert_eq!(nearest(&drawn, (60.0, 60.0), 12.0), None);
        assert_eq!(nearest(&[], (0.0, 0.0), 12.0), None);
    }

    #[test]
    fn data_exports_quote_names_and_blank_non_finite_values() {
        let csv = series_csv(&lines());
        let rows: Vec<&str> = csv.lines().collect();
        assert_eq!(rows[0], "series,x,y");
        assert_eq!(rows.len(), 1 + 4 + 3);
        assert_eq!(rows[1], "\"sinkhorn\",1,1");
        assert_eq!(rows[4], "\"sinkhorn\",4,", "NaN is an empty cell");
        assert_eq!(rows[5], "\"sns \"\"fast\"\"\",1,1");
        let json = series_json(&lines());
        assert!(json.starts_with("[{\"series\":\"sinkhorn\",\"points\":[[1,1],[2,0.1],[3,0.01],[4,null]]}"), "{json}");
        assert!(json.contains("\"series\":\"sns \\\"fast\\\"\""), "{json}");
        let bands = vec![Band {
            name: "gaussian".into(),
            color: RGBColor(0, 0, 0),
            points: vec![(64.0, 0.1, 0.2, 0.3), (128.0, 0.05, f64::INFINITY, 0.2)],
        }];
        let csv = bands_csv(&bands);
        assert_eq!(
            csv.lines().collect::<Vec<_>>(),
            ["series,x,p10,median,p90", "\"gaussian\",64,0.1,0.2,0.3", "\"gaussian\",128,0.05,,0.2"]
        );
        assert_eq!(bands_json(&bands), "[{\"series\":\"gaussian\",\"points\":[[64,0.1,0.2,0.3],[128,0.05,null,0.2]]}]");
    }

    fn svg_lines(lines: &[Series], axes: (bool, bool)) -> (String, Vec<Drawn>) {
        let mut drawn = Vec::new();
        let svg = svg(|root| {
            drawn = draw_lines(root, spec(), lines, axes)?;
            Ok(())
        })
        .unwrap();
        (svg, drawn)
    }

    #[test]
    fn a_line_chart_draws_every_finite_point_once_and_maps_it_inside_the_chart() {
        let (svg, drawn) = svg_lines(&lines(), (false, true));
        assert!(svg.starts_with("<svg"), "{}", &svg[..40]);
        assert!(svg.contains("Marginal error") && svg.contains("iteration") && svg.contains("sinkhorn"));
        assert!(svg.matches("<polyline").count() >= 2, "one polyline per series");
        // 3 finite points of the first series, 3 of the second (0 is drawn at the log floor).
        assert_eq!(drawn.len(), 6);
        for d in &drawn {
            assert!((0..SIZE.0 as i32).contains(&d.px.0) && (0..SIZE.1 as i32).contains(&d.px.1), "{d:?}");
        }
        assert_eq!(drawn[0].label(), "sinkhorn: iteration = 1, error = 1");
        assert_eq!(drawn[5].label(), "sns \"fast\": iteration = 3, error = 0");
        // Smaller errors are lower on the chart; a later iteration further right.
        assert!(drawn[1].px.1 > drawn[0].px.1 && drawn[2].px.1 > drawn[1].px.1);
        assert!(drawn[1].px.0 > drawn[0].px.0);
    }

    /// The SVG's text elements as (y attribute, text), in document order.
    fn texts(svg: &str) -> Vec<(String, String)> {
        svg.split("<text")
            .skip(1)
            .filter_map(|t| {
                let y = t.split(" y=\"").nth(1)?.split('"').next()?.to_owned();
                let body = t.split_once('>')?.1.split("</text>").next()?.to_owned();
                Some((y, body))
            })
            .collect()
    }

    /// The numeric labels sharing the most common baseline among numbers (the x axis's), and the rest.
    fn tick_labels(svg: &str) -> (Vec<f64>, Vec<f64>) {
        let numbers: Vec<(String, f64)> =
            texts(svg).into_iter().filter_map(|(y, t)| t.trim().parse().ok().map(|v| (y, v))).collect();
        let mut rows: Vec<(&String, usize)> = Vec::new();
        for (y, _) in &numbers {
            match rows.iter_mut().find(|r| r.0 == y) {
                Some(r) => r.1 += 1,
                None => rows.push((y, 1)),
            }
        }
        let x_row = rows.iter().max_by_key(|r| r.1).map(|r| r.0.clone()).unwrap_or_default();
        let (x, y): (Vec<_>, Vec<_>) = numbers.into_iter().partition(|(row, _)| *row == x_row);
        (x.into_iter().map(|p| p.1).collect(), y.into_iter().map(|p| p.1).collect())
    }

    /// Epochs 1 to 2 (ticks every 0.2) and an NLL between 2.1 and 2.3 asked for on a log axis: the labels
    /// were "0, 0, 0, 1, 1, …" on x (whole numbers at fractional ticks) and none at all on y (no power of ten
    /// inside the range, where plotters puts a log axis's ticks). Every axis must now have labels, each
    /// different from its neighbours, rising along the axis, and covering the data.
    #[test]
    fn every_axis_has_tick_labels_that_tell_its_ticks_apart() {
        let no_guide = LineSpec { guide: None, ..spec() };
        let draw = |points: Vec<(f64, f64)>, axes| {
            let line = [Series { name: "nll", color: RGBColor(0, 0, 200), points }];
            svg(|root| draw_lines(root, no_guide, &line, axes).map(drop)).unwrap()
        };
        let cases = [
            (vec![(1.0, 2.3), (1.5, 2.2), (2.0, 2.1)], (false, true)),
            (vec![(1.0, 0.5), (3.0, 0.4), (5.0, 0.45)], (false, false)),
            (vec![(1.0, 1e-4), (100.0, 1e-1), (320.0, 2e-2)], (false, true)),
            (vec![(0.2, 0.01), (4.0, 0.011)], (true, false)),
        ];
        for (points, axes) in cases {
            let (x, y) = tick_labels(&draw(points.clone(), axes));
            for (labels, data) in
                [(&x, points.iter().map(|p| p.0).collect::<Vec<_>>()), (&y, points.iter().map(|p| p.1).collect())]
            {
                assert!(labels.len() >= 2, "{points:?} {axes:?}: labels {labels:?}");
                assert!(labels.windows(2).all(|w| w[0] != w[1]), "{points:?} {axes:?}: repeated labels {labels:?}");
                let (lo, hi) = (
                    labels.iter().copied().fold(f64::INFINITY, f64::min),
                    labels.iter().copied().fold(f64::NEG_INFINITY, f64::max),
                );
                let (dlo, dhi) = (
                    data.iter().copied().fold(f64::INFINITY, f64::min),
                    data.iter().copied().fold(f64::NEG_INFINITY, f64::max),
                );
                // The labels span at least a third of the data's range (on a log axis, of its decades).
                assert!(
                    hi > lo && (hi - lo) >= (dhi - dlo) / 3.0 || (hi / lo).ln() >= (dhi / dlo).ln() / 3.0,
                    "{points:?} {axes:?}: labels {labels:?}"
                );
            }
        }
        assert_eq!(fixed_label(2.0)(&-1e-17), "0.0", "no negative zero");
        assert_eq!(significant(0.30000000000000004, 3), "0.3");
        assert_eq!(significant(320.0, 3), "320");
        assert_eq!(significant(1.25, 3), "1.25");
    }

    /// Sketch sizes 64 to 1024 on a log axis: every tick from 200 to 1000 was labelled and the labels near
    /// 1000 ran into one another ("6007008009001000"). Over a decade or more only 1, 2 and 5 × 10^k are.
    #[test]
    fn a_band_chart_over_a_decade_labels_one_two_five() {
        let ms = [64.0, 128.0, 256.0, 512.0, 1024.0];
        let bands = vec![Band {
            name: "gaussian".into(),
            color: RGBColor(0, 0, 0),
            points: ms.iter().map(|&m| (m, 0.5 / m, 1.0 / m, 2.0 / m)).collect(),
        }];
        let spec = BandSpec { title: "eps vs m", x_label: "m", y_label: "eps", floor: 1e-12 };
        let svg = svg(|root| draw_bands(root, spec, &bands, true).map(drop)).unwrap();
        let (mut x, _) = tick_labels(&svg);
        // plotters puts the decade's key point twice at the same pixel (one label over the other).
        x.dedup();
        assert_eq!(x, [100.0, 200.0, 500.0, 1000.0], "{x:?}");
        assert_eq!(one_two_five(60.0, 120.0)(&70.0), "70", "under a decade every tick is labelled");
    }

    #[test]
    fn the_axis_switches_move_the_points() {
        let (_, log) = svg_lines(&lines(), (false, true));
        let (_, linear) = svg_lines(&lines(), (false, false));
        // On a linear y, 0.1 and 0.01 sit near the bottom together; on a log y a decade apart.
        let gap = |d: &[Drawn]| d[2].px.1 - d[1].px.1;
        assert!(gap(&log) > 20, "log gap {}", gap(&log));
        assert!(gap(&linear) < 30, "linear gap {}", gap(&linear));
        // A log x leaves out x ≤ 0.
        let with_zero =
            vec![Series { name: "t", color: RGBColor(0, 0, 0), points: vec![(0.0, 1.0), (10.0, 0.5), (100.0, 0.1)] }];
        assert_eq!(svg_lines(&with_zero, (true, true)).1.len(), 2);
        assert_eq!(svg_lines(&with_zero, (false, true)).1.len(), 3);
    }

    #[test]
    fn band_and_histogram_charts_read_out_their_medians_and_bins() {
        let bands = vec![Band {
            name: "gaussian".into(),
            color: RGBColor(0, 0, 0),
            points: vec![(64.0, 0.1, 0.2, 0.3), (128.0, 0.05, 0.1, 0.2)],
        }];
        let mut drawn = Vec::new();
        let text = svg(|root| {
            drawn =
                draw_bands(root, BandSpec { title: "eps", x_label: "m", y_label: "ε∞", floor: 1e-3 }, &bands, true)?;
            Ok(())
        })
        .unwrap();
        assert!(text.contains("<polygon"), "the p10–p90 band");
        assert_eq!(drawn.len(), 2);
        assert_eq!(drawn[0].label(), "gaussian: m = 64, ε∞ median 0.2 (p10 0.1, p90 0.3)");
        let hist = vec![Series {
            name: "srht",
            color: RGBColor(0, 0, 0),
            points: vec![(0.1, 0.0), (0.1, 0.0), (0.9, 0.0), (f64::NAN, 0.0)],
        }];
        let mut bins = Vec::new();
        svg(|root| {
            bins = draw_histogram(root, "ε∞", "ε∞", &hist)?;
            Ok(())
        })
        .unwrap();
        assert_eq!(bins.len(), 2, "two non-empty bins");
        assert!(bins[0].label().ends_with("66.7% of trials"), "{}", bins[0].label());
    }

    #[cfg(feature = "png")]
    #[test]
    fn a_png_file_of_the_same_chart() {
        let bytes = png::render(|root| draw_lines(root, spec(), &lines(), (false, true)).map(drop)).unwrap();
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
        let decoder = ::png::Decoder::new(std::io::Cursor::new(&bytes));
        let mut reader = decoder.read_info().unwrap();
        let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut pixels).unwrap();
        assert_eq!((info.width, info.height), SIZE);
        // Drawn, not blank: the series' red is there, and text (dark pixels) too.
        let rgb: Vec<&[u8]> = pixels[..info.buffer_size()].chunks(3).collect();
        assert!(rgb.iter().filter(|p| p[0] > 150 && p[1] < 60 && p[2] < 60).count() > 100, "the red line");
        assert!(rgb.iter().filter(|p| p[0] < 60 && p[1] < 60 && p[2] < 60).count() > 500, "text and axes");
    }
}
