//! Ten 28 × 28 digit images (`static/data/digits28.csv`: the UCI/scikit-learn 8 × 8 digits, CC BY 4.0,
//! upsampled by `tools/make_digits28.py`) and their grid densities for W1/W2 between images.

use super::geometry::Points;
use crate::error::Result;

const CSV: &str = include_str!("../../../static/data/digits28.csv");
/// Side of the grid.
pub const SIDE: usize = 28;
/// Mass added to every cell (relative to the brightest pixel) so that no marginal entry is 0: log-domain
/// solvers need log a_i to be finite, as in the SNS paper's image experiments.
pub const FLOOR: f64 = 1e-3;

/// A labelled image, pixels row-major in 0..=255.
#[derive(Debug, Clone)]
pub struct Image {
    pub label: u8,
    pub pixels: Vec<f64>,
}

/// The ten shipped images, digits 0–9 in order.
pub fn images() -> Vec<Image> {
    CSV.lines()
        .filter(|l| !l.is_empty())
        .map(|l| {
            let mut v = l.split(',').map(|t| t.parse::<f64>().expect("shipped file is well formed"));
            let label = v.next().expect("label") as u8;
            Image { label, pixels: v.collect() }
        })
        .collect()
}

/// Cells at ((col + ½)/28, (row + ½)/28) with weight ∝ pixel/255 + FLOOR.
pub fn grid_density(image: &Image) -> Result<Points> {
    let mut coords = Vec::with_capacity(2 * SIDE * SIDE);
    for row in 0..SIDE {
        for col in 0..SIDE {
            coords.push((col as f64 + 0.5) / SIDE as f64);
            coords.push(1.0 - (row as f64 + 0.5) / SIDE as f64);
        }
    }
    let weights = image.pixels.iter().map(|p| p / 255.0 + FLOOR).collect();
    Points::new(2, coords, Some(weights))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ten_images_of_784_pixels() {
        let imgs = images();
        assert_eq!(imgs.len(), 10);
        for (k, img) in imgs.iter().enumerate() {
            assert_eq!(img.label as usize, k);
            assert_eq!(img.pixels.len(), SIDE * SIDE);
            assert!(img.pixels.iter().any(|&p| p > 200.0), "digit {k} has no ink");
        }
    }
}
