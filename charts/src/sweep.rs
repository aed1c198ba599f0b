//! A sweep's phase diagram: one cell per (x, y) of the grid, coloured by its value (light = low, dark =
//! high, on a log scale when the values span more than a decade), diverged cells red with a cross, cells
//! that could not run grey with a dash, cells still without a value white. A colour bar gives the scale.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::DrawResult;

/// One cell as the diagram shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct PhaseCell {
    pub value: Option<f64>,
    /// Every net of the cell diverged.
    pub diverged: bool,
    /// The cell's parameters could not run.
    pub failed: bool,
}

/// The diagram's axes and title.
#[derive(Clone, Debug)]
pub struct PhaseSpec<'a> {
    pub title: &'a str,
    pub x_label: &'a str,
    pub y_label: &'a str,
    /// One label per column / row.
    pub x_ticks: &'a [String],
    pub y_ticks: &'a [String],
    /// What the colour means (the colour bar's caption).
    pub value_label: &'a str,
}

/// Where a drawn cell lies in pixels (x0, y0, x1, y1), for the page's clicks and read-out; by cell index
/// (row-major from the bottom row: index = iy · nx + ix).
pub type CellBoxes = Vec<(i32, i32, i32, i32)>;

/// The colour of `t` ∈ [0, 1]: from a pale yellow through teal to a dark blue.
pub fn ramp(t: f64) -> RGBColor {
    const STOPS: [(f64, [f64; 3]); 4] = [
        (0.0, [255.0, 247.0, 188.0]),
        (0.35, [127.0, 205.0, 187.0]),
        (0.7, [44.0, 127.0, 184.0]),
        (1.0, [12.0, 44.0, 132.0]),
    ];
    let t = if t.is_finite() { t.clamp(0.0, 1.0) } else { 0.0 };
    let k = STOPS.iter().rposition(|s| s.0 <= t).unwrap_or(0).min(STOPS.len() - 2);
    let (a, b) = (STOPS[k], STOPS[k + 1]);
    let f = (t - a.0) / (b.0 - a.0);
    let mix = |i: usize| (a.1[i] + f * (b.1[i] - a.1[i])).round() as u8;
    RGBColor(mix(0), mix(1), mix(2))
}

/// The colour scale over the cells' finite values: (lo, hi, log).
pub fn scale(cells: &[PhaseCell]) -> Option<(f64, f64, bool)> {
    let vals: Vec<f64> = cells.iter().filter_map(|c| c.value).filter(|v| v.is_finite()).collect();
    let lo = vals.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = vals.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if vals.is_empty() {
        return None;
    }
    Some((lo, hi, lo > 0.0 && hi / lo > 10.0))
}

/// Where `v` falls on the scale, in [0, 1].
pub fn position(v: f64, (lo, hi, log): (f64, f64, bool)) -> f64 {
    let (v, lo, hi) = if log { (v.ln(), lo.ln(), hi.ln()) } else { (v, lo, hi) };
    if hi > lo {
        (v - lo) / (hi - lo)
    } else {
        0.5
    }
}

/// Draws the diagram of `nx × ny` cells (`cells[iy · nx + ix]`, row 0 at the bottom). Returns each cell's
/// pixel box.
pub fn draw_phase<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    spec: &PhaseSpec<'_>,
    nx: usize,
    ny: usize,
    cells: &[PhaseCell],
) -> DrawResult<CellBoxes>
where
    DB::ErrorType: 'static,
{
    if nx == 0 || ny == 0 || cells.len() != nx * ny {
        return Err(format!("a {nx} × {ny} diagram needs {} cells, got {}", nx * ny, cells.len()).into());
    }
    root.fill(&WHITE)?;
    let (w, h) = root.dim_in_pixel();
    let (w, h) = (w as i32, h as i32);
    let font = |size: i32| ("sans-serif", size).into_font().color(&BLACK);
    root.draw(&Text::new(spec.title.to_owned(), (w / 2, 6), font(16).pos(Pos::new(HPos::Center, VPos::Top))))?;
    // The plot: left margin for the y ticks and label, bottom for the x ticks and label, right for the bar.
    let (left, right, top, bottom) = (92, w - 92, 30, h - 52);
    let (pw, ph) = ((right - left).max(1), (bottom - top).max(1));
    let edge = |start: i32, len: i32, k: usize, n: usize| start + (len as f64 * k as f64 / n as f64).round() as i32;
    let sc = scale(cells);
    let mut boxes = Vec::with_capacity(cells.len());
    for (k, c) in cells.iter().enumerate() {
        let (ix, iy) = (k % nx, k / nx);
        let (x0, x1) = (edge(left, pw, ix, nx), edge(left, pw, ix + 1, nx));
        // Row 0 at the bottom.
        let (y0, y1) = (edge(top, ph, ny - 1 - iy, ny), edge(top, ph, ny - iy, ny));
        boxes.push((x0, y0, x1, y1));
        let fill = match (c.failed, c.diverged, c.value.filter(|v| v.is_finite()), sc) {
            (true, ..) => RGBColor(200, 200, 200),
            (_, true, ..) => RGBColor(214, 60, 50),
            (_, _, Some(v), Some(s)) => ramp(position(v, s)),
            _ => WHITE,
        };
        root.draw(&Rectangle::new([(x0, y0), (x1, y1)], fill.filled()))?;
        root.draw(&Rectangle::new([(x0, y0), (x1, y1)], RGBColor(255, 255, 255).stroke_width(1)))?;
        let (cx, cy) = ((x0 + x1) / 2, (y0 + y1) / 2);
        if c.diverged {
            let d = ((x1 - x0).min(y1 - y0) / 4).max(2);
            root.draw(&PathElement::new(vec![(cx - d, cy - d), (cx + d, cy + d)], WHITE.stroke_width(2)))?;
            root.draw(&PathElement::new(vec![(cx - d, cy + d), (cx + d, cy - d)], WHITE.stroke_width(2)))?;
        } else if c.failed {
            let d = ((x1 - x0) / 4).max(2);
            root.draw(&PathElement::new(vec![(cx - d, cy), (cx + d, cy)], BLACK.stroke_width(2)))?;
        }
    }
    root.draw(&Rectangle::new([(left, top), (right, bottom)], BLACK.stroke_width(1)))?;
    // Tick labels at the cells' centres (thinned to at most ~12 per axis).
    let step = |n: usize| n.div_ceil(12).max(1);
    for (ix, t) in spec.x_ticks.iter().enumerate().take(nx).step_by(step(nx)) {
        let cx = (edge(left, pw, ix, nx) + edge(left, pw, ix + 1, nx)) / 2;
        root.draw(&Text::new(t.clone(), (cx, bottom + 4), font(12).pos(Pos::new(HPos::Center, VPos::Top))))?;
    }
    for (iy, t) in spec.y_ticks.iter().enumerate().take(ny).step_by(step(ny)) {
        let cy = (edge(top, ph, ny - 1 - iy, ny) + edge(top, ph, ny - iy, ny)) / 2;
        root.draw(&Text::new(t.clone(), (left - 6, cy), font(12).pos(Pos::new(HPos::Right, VPos::Center))))?;
    }
    root.draw(&Text::new(
        spec.x_label.to_owned(),
        ((left + right) / 2, h - 6),
        font(13).pos(Pos::new(HPos::Center, VPos::Bottom)),
    ))?;
    root.draw(&Text::new(spec.y_label.to_owned(), (6, top - 4), font(13).pos(Pos::new(HPos::Left, VPos::Bottom))))?;
    // The colour bar.
    let (bx0, bx1) = (right + 16, right + 30);
    let steps = 40;
    for s in 0..steps {
        let (y0, y1) = (edge(top, ph, steps - 1 - s, steps), edge(top, ph, steps - s, steps));
        root.draw(&Rectangle::new([(bx0, y0), (bx1, y1)], ramp((s as f64 + 0.5) / steps as f64).filled()))?;
    }
    root.draw(&Rectangle::new([(bx0, top), (bx1, bottom)], BLACK.stroke_width(1)))?;
    if let Some((lo, hi, log)) = sc {
        let end = |v: f64, y: i32, v_pos: VPos| {
            Text::new(crate::readout_number(v), (bx1 + 4, y), font(11).pos(Pos::new(HPos::Left, v_pos)))
        };
        root.draw(&end(hi, top, VPos::Top))?;
        root.draw(&end(lo, bottom, VPos::Bottom))?;
        let caption = format!("{}{}", spec.value_label, if log { " (log)" } else { "" });
        root.draw(&Text::new(caption, (bx0 - 4, bottom + 22), font(11).pos(Pos::new(HPos::Left, VPos::Top))))?;
    }
    root.present()?;
    Ok(boxes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scale_goes_log_over_a_decade_and_the_ramp_darkens() {
        let c = |v: f64| PhaseCell { value: Some(v), diverged: false, failed: false };
        let s = scale(&[c(0.01), c(1.0), PhaseCell { value: None, diverged: true, failed: false }]).unwrap();
        assert_eq!(s, (0.01, 1.0, true));
        assert!((position(0.1, s) - 0.5).abs() < 1e-12);
        let lin = scale(&[c(0.2), c(0.4)]).unwrap();
        assert!(!lin.2 && (position(0.3, lin) - 0.5).abs() < 1e-12);
        let lum = |c: RGBColor| c.0 as u32 + c.1 as u32 + c.2 as u32;
        assert!(lum(ramp(0.0)) > lum(ramp(0.5)) && lum(ramp(0.5)) > lum(ramp(1.0)));
        assert_eq!(scale(&[]), None);
    }

    #[test]
    fn cells_are_drawn_in_their_boxes_with_their_colours() {
        let cells = vec![
            PhaseCell { value: Some(0.0), diverged: false, failed: false },
            PhaseCell { value: Some(1.0), diverged: false, failed: false },
            PhaseCell { value: None, diverged: true, failed: false },
            PhaseCell { value: None, diverged: false, failed: true },
        ];
        let ticks = |n: usize| (0..n).map(|k| k.to_string()).collect::<Vec<_>>();
        let (xt, yt) = (ticks(2), ticks(2));
        let spec = PhaseSpec { title: "t", x_label: "x", y_label: "y", x_ticks: &xt, y_ticks: &yt, value_label: "v" };
        let mut boxes = Vec::new();
        let svg = crate::svg(|root| {
            boxes = draw_phase(&root, &spec, 2, 2, &cells)?;
            Ok(())
        })
        .unwrap();
        assert_eq!(boxes.len(), 4);
        // Row 0 is at the bottom: cell 2 (ix 0, iy 1) lies above cell 0.
        assert!(boxes[2].1 < boxes[0].1 && boxes[1].0 > boxes[0].0);
        let hex = |c: RGBColor| format!("#{:02X}{:02X}{:02X}", c.0, c.1, c.2);
        for colour in [ramp(0.0), ramp(1.0), RGBColor(214, 60, 50), RGBColor(200, 200, 200)] {
            assert!(svg.to_uppercase().contains(&hex(colour)), "{} missing", hex(colour));
        }
        assert!(draw_phase(
            &SVGBackend::with_string(&mut String::new(), (10, 10)).into_drawing_area(),
            &spec,
            3,
            2,
            &cells
        )
        .is_err());
    }
}
