//! Ten 28 × 28 digit images (`static/data/digits28.csv`: the UCI/scikit-learn 8 × 8 digits, CC BY 4.0,
//! upsampled by `tools/make_digits28.py`; embedded as bytes, `digits28.bin` from `tools/make_digit_bins.py`)
//! and their grid densities for W1/W2 between images.

use super::geometry::Points;
use crate::error::Result;

/// Ten records of 785 bytes: the label, then 784 pixels row-major (0..=255).
const BYTES: &[u8] = include_bytes!("../../../static/data/digits28.bin");
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
    BYTES
        .chunks_exact(1 + SIDE * SIDE)
        .map(|r| Image { label: r[0], pixels: r[1..].iter().map(|&v| f64::from(v)).collect() })
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
    /// The embedded bytes are the CSV's images (tools/make_digit_bins.py keeps them in step).
    #[test]
    fn the_embedded_images_are_the_csvs() {
        let csv = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../static/data/digits28.csv")).unwrap();
        let rows: Vec<Vec<f64>> =
            csv.lines().filter(|l| !l.is_empty()).map(|l| l.split(',').map(|t| t.parse().unwrap()).collect()).collect();
        let images = super::images();
        assert_eq!(images.len(), rows.len());
        for (im, r) in images.iter().zip(&rows) {
            assert_eq!(f64::from(im.label), r[0]);
            assert_eq!(im.pixels, r[1..]);
        }
    }

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
