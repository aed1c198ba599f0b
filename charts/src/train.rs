//! The training lab's pictures — network weights, decision boundary, exact Hessian — and the continual
//! experiment's Fisher heatmap, drawn from plain numbers (computed by `regula_core::train::picture` and
//! `regula_core::generalization::continual`) so the page and `regula … --png` draw the same.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::ot::Raster;
use super::{over_white, DrawResult};

const POSITIVE: RGBColor = RGBColor(40, 110, 200);
const NEGATIVE: RGBColor = RGBColor(214, 90, 40);

/// Neurons as dots in columns, weights as lines: blue positive, orange negative, width ∝ |w| / max |w|.
/// `layers[l]` = (offset of layer l's weights in θ, bias offset, inputs, outputs); `inputs` names the
/// input neurons (empty names are not drawn).
pub fn draw_network<DB: DrawingBackend>(
    root: DrawingArea<DB, Shift>,
    widths: &[usize],
    layers: &[(usize, usize, usize, usize)],
    theta: &[f64],
    inputs: &[String],
) -> DrawResult<()>
where
    DB::ErrorType: 'static,
{
    if widths.len() != layers.len() + 1 || layers.iter().any(|&(w, _, i, o)| w + i * o > theta.len()) {
        return Err(format!(
            "{} widths, {} layers and {} parameters do not describe one network",
            widths.len(),
            layers.len(),
            theta.len()
        )
        .into());
    }
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption("Weights (blue > 0, orange < 0, width ∝ |w|)", ("sans-serif", 16))
        .margin(10)
        .build_cartesian_2d(-0.6f64..(widths.len() as f64 - 0.4), 0f64..1f64)?;
    let pos = |layer: usize, k: usize| -> (f64, f64) {
        let w = widths[layer];
        (layer as f64, 1.0 - (k as f64 + 1.0) / (w as f64 + 1.0))
    };
    let max = layers
        .iter()
        .flat_map(|&(w, _, i, o)| theta[w..w + i * o].iter())
        .fold(0.0f64, |m, v| m.max(v.abs()))
        .max(1e-12);
    for (l, &(w, _, i, o)) in layers.iter().enumerate() {
        chart.draw_series((0..o).flat_map(|r| (0..i).map(move |c| (r, c))).map(|(r, c)| {
            let v = theta[w + r * i + c];
            let color = if v >= 0.0 { POSITIVE } else { NEGATIVE };
            let a = (v.abs() / max).sqrt();
            PathElement::new([pos(l, c), pos(l + 1, r)], color.mix(0.15 + 0.85 * a).stroke_width(1 + (3.0 * a) as u32))
        }))?;
    }
    for (l, &w) in widths.iter().enumerate() {
        chart.draw_series((0..w).map(|k| Circle::new(pos(l, k), 4, RGBColor(29, 39, 51).filled())))?;
    }
    chart.draw_series(inputs.iter().enumerate().filter(|(k, s)| !s.is_empty() && *k < widths[0]).map(|(k, s)| {
        let (x, y) = pos(0, k);
        Text::new(s.clone(), (x - 0.45, y + 0.02), ("sans-serif", 12))
    }))?;
    root.present()?;
    Ok(())
}

/// The network's output over the data's box as a `size × size` raster (row 0 at the top; blue > 0 >
/// orange, stronger further from 0), and the points (x, y, class, test: hollow when held out).
pub fn draw_boundary<DB: DrawingBackend>(
    root: DrawingArea<DB, Shift>,
    raster: Raster<'_, DB>,
    grid: &[f64],
    size: usize,
    (lo, hi): ((f64, f64), (f64, f64)),
    points: &[(f64, f64, usize, bool)],
    regression: bool,
) -> DrawResult<()>
where
    DB::ErrorType: 'static,
{
    if size == 0 || grid.len() != size * size {
        return Err(format!("a {size} × {size} grid needs {} values, got {}", size * size, grid.len()).into());
    }
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption("Decision boundary (blue > 0 > orange); test points hollow", ("sans-serif", 16))
        .margin(10)
        .build_cartesian_2d(lo.0..hi.0, lo.1..hi.1)?;
    let cells: Vec<[u8; 3]> = grid
        .iter()
        .map(|&v| {
            let t = v.clamp(-1.0, 1.0);
            if t >= 0.0 {
                over_white(POSITIVE, 0.15 + 0.5 * t)
            } else {
                over_white(NEGATIVE, 0.15 + 0.5 * -t)
            }
        })
        .collect();
    raster(&root, chart.plotting_area().get_pixel_range(), size, size, &cells)?;
    chart.draw_series(points.iter().map(|&(x, y, class, test)| {
        let color = if regression {
            RGBColor(60, 60, 60)
        } else if class == 1 {
            POSITIVE
        } else {
            NEGATIVE
        };
        let style = if test { color.stroke_width(1) } else { color.filled() };
        Circle::new((x, y), 3, style)
    }))?;
    root.present()?;
    Ok(())
}

/// |H_ij| of a p × p Hessian binned to at most 200 × 200 cells (a cell shows its largest entry), entries
/// below 10^`log_threshold` of the largest left white, layer blocks outlined (`layers`: each layer's
/// first parameter index, then p). Returns the caption sentence.
pub fn draw_hessian<DB: DrawingBackend>(
    root: DrawingArea<DB, Shift>,
    p: usize,
    h: &[f64],
    layers: &[usize],
    log_threshold: f64,
) -> DrawResult<String>
where
    DB::ErrorType: 'static,
{
    if p == 0 || h.len() != p * p {
        return Err(format!("a {p} × {p} Hessian needs {} entries, got {}", p * p, h.len()).into());
    }
    root.fill(&WHITE)?;
    let max = h.iter().fold(0.0f64, |m, x| m.max(x.abs())).max(f64::MIN_POSITIVE);
    let cut = max * 10f64.powf(log_threshold);
    let bin = p.div_ceil(200);
    let cells = p.div_ceil(bin);
    let mut grid = vec![0.0f64; cells * cells];
    let mut kept = 0usize;
    for i in 0..p {
        for j in 0..p {
            let a = h[i * p + j].abs();
            if a >= cut {
                kept += 1;
                let k = (i / bin) * cells + j / bin;
                grid[k] = grid[k].max(a);
            }
        }
    }
    let mut chart = ChartBuilder::on(&root)
        .caption("|H| by parameter (layer blocks outlined)", ("sans-serif", 16))
        .margin(10)
        .build_cartesian_2d(0..cells, 0..cells)?;
    chart.draw_series(grid.iter().enumerate().filter(|(_, a)| **a > 0.0).map(|(k, a)| {
        let (r, c) = (k / cells, k % cells);
        let t = ((a / max).log10() - log_threshold) / (-log_threshold).max(1e-9);
        let shade = (230.0 * (1.0 - t.clamp(0.0, 1.0))) as u8;
        Rectangle::new([(c, cells - r - 1), (c + 1, cells - r)], RGBColor(shade, shade, 255).filled())
    }))?;
    for w in layers.windows(2) {
        let (a, b) = ((w[0] / bin).min(cells), w[1].div_ceil(bin).min(cells));
        chart
            .draw_series(std::iter::once(Rectangle::new([(a, cells - b), (b, cells - a)], NEGATIVE.stroke_width(1))))?;
    }
    root.present()?;
    Ok(format!(
        "{:.1} % of the {}² entries have |H_ij| ≥ 10^{:.1} of the largest.",
        100.0 * kept as f64 / (p * p) as f64,
        p,
        log_threshold
    ))
}

/// A diagonal Fisher information F (one value per parameter) as one heatmap block per layer (fan-out
/// rows × fan-in columns plus a bias column; `layers[l]` = (weight offset, bias offset, fan-in,
/// fan-out)), log colour scale over 6 decades below the largest entry.
pub fn draw_fisher<DB: DrawingBackend>(
    root: DrawingArea<DB, Shift>,
    f: &[f64],
    layers: &[(usize, usize, usize, usize)],
) -> DrawResult<()>
where
    DB::ErrorType: 'static,
{
    if layers.iter().any(|&(w, b, i, o)| w + i * o > f.len() || b + o > f.len()) {
        return Err(format!("the layers index past the {} Fisher values", f.len()).into());
    }
    root.fill(&WHITE)?;
    let width: usize = layers.iter().map(|&(_, _, i, _)| i + 2).sum::<usize>().max(1);
    let height = layers.iter().map(|&(_, _, _, o)| o).max().unwrap_or(1);
    let max = f.iter().copied().fold(0.0f64, f64::max).max(f64::MIN_POSITIVE);
    let mut chart = ChartBuilder::on(&root)
        .caption("Fisher F_i of task A by layer (log scale; last column of each block: biases)", ("sans-serif", 15))
        .margin(10)
        .build_cartesian_2d(0..width, 0..height)?;
    let shade = |v: f64| {
        let t = if v > 0.0 { ((v / max).log10() + 6.0) / 6.0 } else { 0.0 };
        let s = (235.0 * (1.0 - t.clamp(0.0, 1.0))) as u8;
        RGBColor(s, s, 255)
    };
    let mut x0 = 0;
    for &(w, b, i, o) in layers {
        let block = (0..o).flat_map(|r| (0..=i).map(move |c| (r, c))).map(|(r, c)| {
            let v = if c < i { f[w + r * i + c] } else { f[b + r] };
            Rectangle::new([(x0 + c, height - r - 1), (x0 + c + 1, height - r)], shade(v).filled())
        });
        chart.draw_series(block)?;
        chart.draw_series(std::iter::once(Rectangle::new(
            [(x0, height - o), (x0 + i + 1, height)],
            NEGATIVE.stroke_width(1),
        )))?;
        x0 += i + 2;
    }
    root.present()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inconsistent_inputs_are_errors_not_panics() {
        assert!(crate::svg(|root| draw_network(root, &[2, 1], &[(0, 2, 2, 1)], &[0.5], &[])).is_err(), "θ too short");
        assert!(
            crate::svg(|root| draw_network(root, &[2, 3, 1], &[(0, 6, 2, 3)], &[0.5; 9], &[])).is_err(),
            "a layer missing"
        );
        assert!(crate::svg(|root| draw_boundary(
            root,
            &crate::raster_rects,
            &[0.0; 5],
            2,
            ((0.0, 0.0), (1.0, 1.0)),
            &[],
            false
        ))
        .is_err());
        assert!(crate::svg(|root| draw_hessian(root, 3, &[1.0; 8], &[0, 3], -2.0).map(drop)).is_err());
        assert!(crate::svg(|root| draw_fisher(root, &[1.0; 3], &[(0, 2, 2, 1)])).is_ok());
        assert!(crate::svg(|root| draw_fisher(root, &[1.0; 2], &[(0, 2, 2, 1)])).is_err(), "the bias is past the end");
    }

    #[test]
    fn the_hessian_caption_counts_the_kept_entries() {
        // diag(1, 0.001): at 10^-2 of the largest, one of four entries is kept.
        let mut caption = String::new();
        crate::svg(|root| {
            caption = draw_hessian(root, 2, &[1.0, 0.0, 0.0, 0.001], &[0, 2], -2.0)?;
            Ok(())
        })
        .unwrap();
        assert_eq!(caption, "25.0 % of the 2² entries have |H_ij| ≥ 10^-2.0 of the largest.");
    }

    #[test]
    fn the_network_draws_one_line_per_weight() {
        // 2 inputs → 1 output: two weights, three neurons, one input name.
        let svg = crate::svg(|root| {
            draw_network(root, &[2, 1], &[(0, 2, 2, 1)], &[0.5, -0.25, 0.1], &["x".into(), String::new()])
        })
        .unwrap();
        assert_eq!(svg.matches("<polyline").count(), 2);
        assert_eq!(svg.matches("<circle").count(), 3);
    }
}
