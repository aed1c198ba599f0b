//! The solvers lab's pictures: a Lasso's regularization path beside its cross-validation curve.

use plotters::coord::Shift;
use plotters::prelude::*;

use plotters::element::DashedPathElement;

use crate::{DrawResult, PALETTE};

/// A cross-validated Lasso fit as drawn: λ descending, the coefficients of every column that is ever nonzero
/// (flagged when it is in w*'s support), the held-out error's mean and standard error per λ, the chosen λ.
#[derive(Clone, Debug, PartialEq)]
pub struct PathPicture {
    pub title: String,
    pub lambdas: Vec<f64>,
    pub coefs: Vec<(bool, Vec<f64>)>,
    pub cv_mean: Vec<f64>,
    pub cv_se: Vec<f64>,
    pub chosen: f64,
}

const TRUE: RGBColor = PALETTE[1];
const OTHER: RGBColor = RGBColor(150, 155, 165);

/// A power of ten as "1e-3"; other ticks unlabelled.
fn decade(v: &f64) -> String {
    let e = v.log10();
    if (e - e.round()).abs() < 1e-6 {
        format!("1e{}", e.round())
    } else {
        String::new()
    }
}

/// A curve's colour: one per estimator (in the lab's order), darker for the adversarial support.
pub fn curve_color(estimator: usize, adversarial: bool) -> RGBColor {
    let c = PALETTE[estimator % PALETTE.len()];
    if adversarial {
        RGBColor((f64::from(c.0) * 0.55) as u8, (f64::from(c.1) * 0.55) as u8, (f64::from(c.2) * 0.55) as u8)
    } else {
        c
    }
}

/// The path (left, coefficients against λ on a log axis; w*'s columns red, the others grey) and the CV
/// curve (right, mean ± one standard error over folds), the chosen λ dashed on both.
pub fn draw_path<DB: DrawingBackend>(root: DrawingArea<DB, Shift>, pic: &PathPicture) -> DrawResult<()>
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE)?;
    let root = root.titled(&pic.title, ("sans-serif", 15))?;
    let (w, _) = root.dim_in_pixel();
    let (left, right) = root.split_horizontally(w * 3 / 5);
    let lams: Vec<f64> = pic.lambdas.iter().copied().filter(|l| *l > 0.0 && l.is_finite()).collect();
    let (lo, hi) = lams.iter().fold((f64::INFINITY, 0.0f64), |(a, b), &l| (a.min(l), b.max(l)));
    if lams.len() < 2 || hi.partial_cmp(&lo) != Some(std::cmp::Ordering::Greater) {
        return Ok(());
    }
    let x = (lo / 1.1..hi * 1.1).log_scale();
    let (cmin, cmax) = pic
        .coefs
        .iter()
        .flat_map(|(_, c)| c.iter().copied())
        .filter(|v| v.is_finite())
        .fold((0.0f64, 0.0f64), |(a, b), v| (a.min(v), b.max(v)));
    let pad = 0.05 * (cmax - cmin).max(1e-12);
    let mut chart = ChartBuilder::on(&left)
        .margin(8)
        .x_label_area_size(34)
        .y_label_area_size(48)
        .build_cartesian_2d(x.clone(), cmin - pad..cmax + pad)?;
    chart
        .configure_mesh()
        .x_desc("λ")
        .y_desc("coefficient")
        .x_labels(6)
        .x_label_formatter(&decade)
        .light_line_style(RGBColor(238, 240, 243))
        .draw()?;
    for (truth, c) in pic.coefs.iter().filter(|(t, _)| !t).chain(pic.coefs.iter().filter(|(t, _)| *t)) {
        let style = if *truth { TRUE.stroke_width(2) } else { OTHER.stroke_width(1) };
        chart.draw_series(LineSeries::new(pic.lambdas.iter().zip(c).map(|(&l, &v)| (l, v)), style))?;
    }
    let dashed =
        |y0: f64, y1: f64| DashedPathElement::new([(pic.chosen, y0), (pic.chosen, y1)], 4, 3, BLACK.stroke_width(1));
    chart.draw_series(std::iter::once(dashed(cmin - pad, cmax + pad)))?;
    let ok: Vec<(f64, f64, f64)> = pic
        .lambdas
        .iter()
        .zip(&pic.cv_mean)
        .zip(&pic.cv_se)
        .map(|((&l, &m), &s)| (l, m, s))
        .filter(|p| p.1.is_finite() && p.2.is_finite() && p.1 > 0.0)
        .collect();
    let (ylo, yhi) =
        ok.iter().fold((f64::INFINITY, 0.0f64), |(a, b), p| (a.min((p.1 - p.2).max(p.1 * 0.5)), b.max(p.1 + p.2)));
    if ok.is_empty() || yhi.partial_cmp(&ylo) != Some(std::cmp::Ordering::Greater) {
        return Ok(());
    }
    let mut cv = ChartBuilder::on(&right)
        .margin(8)
        .x_label_area_size(34)
        .y_label_area_size(52)
        .build_cartesian_2d(x, (ylo / 1.2..yhi * 1.2).log_scale())?;
    cv.configure_mesh()
        .x_desc("λ")
        .y_desc("CV error")
        .x_labels(4)
        .x_label_formatter(&decade)
        .y_label_formatter(&|v| if yhi / ylo > 10.0 { decade(v) } else { format!("{v:.2e}") })
        .y_labels(5)
        .light_line_style(RGBColor(238, 240, 243))
        .draw()?;
    let band: Vec<(f64, f64)> =
        ok.iter().map(|p| (p.0, p.1 + p.2)).chain(ok.iter().rev().map(|p| (p.0, (p.1 - p.2).max(p.1 * 0.5)))).collect();
    cv.draw_series(std::iter::once(Polygon::new(band, PALETTE[0].mix(0.18).filled())))?;
    cv.draw_series(LineSeries::new(ok.iter().map(|p| (p.0, p.1)), PALETTE[0].stroke_width(2)))?;
    cv.draw_series(std::iter::once(DashedPathElement::new(
        [(pic.chosen, ylo / 1.2), (pic.chosen, yhi * 1.2)],
        4,
        3,
        BLACK.stroke_width(1),
    )))?;
    root.present()?;
    Ok(())
}
