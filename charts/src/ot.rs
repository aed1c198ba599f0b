//! The optimal-transport lab's pictures — the transport plan and the sparsified Hessian's pattern — drawn
//! from plain numbers so the page (canvas, SVG) and the CLI (`regula ot --png`) draw the same thing.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::DrawResult;

/// The OT pictures' two colours: source (and the first series), target (and kept entries).
pub const OT_COLORS: [RGBColor; 2] = [RGBColor(40, 110, 200), RGBColor(214, 90, 40)];

/// Paints a `cols × rows` raster (row 0 at the top) over `area` (in `root`'s pixels): the page passes
/// its canvas's fast path, SVG and PNG `crate::raster_rects`.
pub type Raster<'a, DB> = &'a dyn Fn(
    &DrawingArea<DB, Shift>,
    (std::ops::Range<i32>, std::ops::Range<i32>),
    usize,
    usize,
    &[[u8; 3]],
) -> DrawResult<()>;

/// What the plan is drawn over: 2-D point clouds (coordinates x₀ y₀ x₁ y₁ …) or a bare matrix.
pub enum PlanLayout<'a> {
    Points { x: &'a [f64], y: &'a [f64] },
    Matrix,
}

/// The plan P (n × m, row-major): for 2-D points, lines between matched points with opacity ∝ P_ij (the
/// 4,000 heaviest above 2 % of the largest entry); otherwise a heatmap binned to at most 100 × 100 cells.
pub fn draw_plan<DB: DrawingBackend>(
    root: DrawingArea<DB, Shift>,
    raster: Raster<'_, DB>,
    p: &[f64],
    n: usize,
    m: usize,
    layout: PlanLayout<'_>,
) -> DrawResult<()>
where
    DB::ErrorType: 'static,
{
    if n == 0 || m == 0 || p.len() != n * m {
        return Err(format!("a {n} × {m} plan needs {} entries, got {}", n * m, p.len()).into());
    }
    root.fill(&WHITE)?;
    let max = p.iter().copied().fold(0.0, f64::max).max(f64::MIN_POSITIVE);
    match layout {
        PlanLayout::Points { x, y } if x.len() == 2 * n && y.len() == 2 * m => {
            let (mut lo, mut hi) = ((f64::INFINITY, f64::INFINITY), (f64::NEG_INFINITY, f64::NEG_INFINITY));
            for c in x.chunks(2).chain(y.chunks(2)) {
                lo = (lo.0.min(c[0]), lo.1.min(c[1]));
                hi = (hi.0.max(c[0]), hi.1.max(c[1]));
            }
            let mut chart = ChartBuilder::on(&root)
                .caption("Transport plan: lines ∝ P_ij", ("sans-serif", 16))
                .margin(10)
                .build_cartesian_2d(lo.0..hi.0 + 1e-9, lo.1..hi.1 + 1e-9)?;
            let mut lines: Vec<(usize, usize, f64)> = (0..n)
                .flat_map(|i| (0..m).map(move |j| (i, j)))
                .map(|(i, j)| (i, j, p[i * m + j] / max))
                .filter(|t| t.2 > 0.02)
                .collect();
            lines.sort_by(|a, b| b.2.total_cmp(&a.2));
            lines.truncate(4000);
            chart.draw_series(lines.iter().map(|&(i, j, w)| {
                PathElement::new(
                    [(x[2 * i], x[2 * i + 1]), (y[2 * j], y[2 * j + 1])],
                    RGBAColor(60, 60, 60, w.min(1.0)),
                )
            }))?;
            chart.draw_series(x.chunks(2).map(|c| Circle::new((c[0], c[1]), 2, OT_COLORS[0].filled())))?;
            chart.draw_series(y.chunks(2).map(|c| Circle::new((c[0], c[1]), 2, OT_COLORS[1].filled())))?;
        }
        _ => {
            let (bi, bj) = (n.div_ceil(100), m.div_ceil(100));
            let (rows, cols) = (n.div_ceil(bi), m.div_ceil(bj));
            let mut cells = vec![0.0f64; rows * cols];
            for i in 0..n {
                for j in 0..m {
                    cells[(i / bi) * cols + j / bj] += p[i * m + j];
                }
            }
            let cmax = cells.iter().copied().fold(0.0, f64::max).max(f64::MIN_POSITIVE);
            let chart = ChartBuilder::on(&root)
                .caption("Transport plan P (rows i, columns j)", ("sans-serif", 16))
                .margin(10)
                .build_cartesian_2d(0..cols, 0..rows)?;
            let shades: Vec<[u8; 3]> = cells
                .iter()
                .map(|v| {
                    if *v > 0.0 {
                        let shade = (255.0 * (1.0 - (v / cmax).sqrt())) as u8;
                        [shade, shade, 255]
                    } else {
                        [255, 255, 255]
                    }
                })
                .collect();
            raster(&root, chart.plotting_area().get_pixel_range(), cols, rows, &shades)?;
        }
    }
    root.present()?;
    Ok(())
}

/// The sparsified Hessian: left, the kept entries of P (`pattern`, (i, j) pairs; k = `keep` per row),
/// binned to at most 150 × 150; right, the fraction of P's mass the top k per row hold, `captured[k − 1]`
/// for k = 1, 2, …. Returns the caption sentence the page shows under it.
pub fn draw_sparsity<DB: DrawingBackend>(
    root: DrawingArea<DB, Shift>,
    n: usize,
    m: usize,
    keep: usize,
    pattern: &[(usize, usize)],
    captured: &[f64],
) -> DrawResult<String>
where
    DB::ErrorType: 'static,
{
    if n == 0 || m == 0 || keep == 0 || captured.is_empty() {
        return Err(format!("nothing to draw: {n} × {m}, keep {keep}, {} mass fractions", captured.len()).into());
    }
    root.fill(&WHITE)?;
    let (left, right) = root.split_horizontally(300);
    let (bi, bj) = (n.div_ceil(150), m.div_ceil(150));
    let (rows, cols) = (n.div_ceil(bi), m.div_ceil(bj));
    let mut hit = vec![false; rows * cols];
    for &(i, j) in pattern.iter().filter(|(i, j)| *i < n && *j < m) {
        hit[(i / bi) * cols + j / bj] = true;
    }
    let mut chart = ChartBuilder::on(&left)
        .caption(format!("Kept entries of P (k = {keep} per row)"), ("sans-serif", 14))
        .margin(8)
        .build_cartesian_2d(0..cols, 0..rows)?;
    chart.draw_series(hit.iter().enumerate().filter(|(_, h)| **h).map(|(k, _)| {
        let (r, c) = (k / cols, k % cols);
        Rectangle::new([(c, rows - r - 1), (c + 1, rows - r)], OT_COLORS[1].filled())
    }))?;
    let mut chart = ChartBuilder::on(&right)
        .caption("Mass captured vs kept per row", ("sans-serif", 14))
        .margin(8)
        .x_label_area_size(28)
        .y_label_area_size(40)
        .build_cartesian_2d(1f64..captured.len().max(2) as f64, 0f64..1.0)?;
    chart
        .configure_mesh()
        .x_desc("k")
        .x_labels(5)
        .x_label_formatter(&|k| format!("{k:.0}"))
        .light_line_style(RGBColor(238, 240, 243))
        .draw()?;
    chart.draw_series(LineSeries::new(
        captured.iter().enumerate().map(|(k, &f)| ((k + 1) as f64, f)),
        OT_COLORS[0].stroke_width(2),
    ))?;
    let at = keep.min(captured.len());
    chart.draw_series(std::iter::once(Circle::new((at as f64, captured[at - 1]), 4, OT_COLORS[1].filled())))?;
    root.present()?;
    Ok(format!(
        "The kept entries (k = {keep} per row, {:.2} % of P) hold {:.4} of P's mass.",
        100.0 * keep as f64 / m as f64,
        captured[at - 1]
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_shapes_are_errors_not_panics() {
        let plan = crate::svg(|root| draw_plan(root, &crate::raster_rects, &[0.1; 5], 2, 3, PlanLayout::Matrix));
        assert!(plan.unwrap_err().contains("needs 6 entries"));
        let empty = crate::svg(|root| draw_sparsity(root, 2, 3, 1, &[(0, 0)], &[]).map(drop));
        assert!(empty.is_err());
        // Points whose coordinates do not match n, m fall back to the heatmap rather than index out of range.
        let fallback = crate::svg(|root| {
            draw_plan(root, &crate::raster_rects, &[0.25; 4], 2, 2, PlanLayout::Points { x: &[0.0; 3], y: &[1.0; 4] })
        });
        assert!(fallback.unwrap().contains("Transport plan P"));
    }

    #[test]
    fn the_pictures_draw_what_they_are_given() {
        // A diagonal plan of two matched pairs of points: two lines, four dots.
        let svg = crate::svg(|root| {
            draw_plan(
                root,
                &crate::raster_rects,
                &[0.5, 0.0, 0.0, 0.5],
                2,
                2,
                PlanLayout::Points { x: &[0.0, 0.0, 1.0, 1.0], y: &[0.0, 1.0, 1.0, 0.0] },
            )
        })
        .unwrap();
        assert_eq!(svg.matches("<polyline").count(), 2, "one line per matched pair");
        assert_eq!(svg.matches("<circle").count(), 4);
        // Sparsity: the caption reports the captured mass at k.
        let mut caption = String::new();
        crate::svg(|root| {
            caption = draw_sparsity(root, 2, 4, 1, &[(0, 1), (1, 2), (9, 9)], &[0.8, 0.9, 1.0, 1.0])?;
            Ok(())
        })
        .unwrap();
        assert_eq!(caption, "The kept entries (k = 1 per row, 25.00 % of P) hold 0.8000 of P's mass.");
    }
}
