//! The geometry of an OT problem: two weighted point clouds and a ground cost between their points, or an
//! explicit cost matrix.

use serde::{Deserialize, Serialize};

use crate::error::{ensure_finite, Error, Result};

crate::choice! {
    /// The ground cost between two points.
    pub enum GroundCost("cost") {
        /// c(x, y) = ‖x − y‖² (gives W2² as ε → 0)
        SqEuclidean => "sqeuclidean",
        /// c(x, y) = ‖x − y‖ (gives W1)
        Euclidean => "euclidean",
    }
}

impl GroundCost {
    pub fn eval(self, x: &[f64], y: &[f64]) -> f64 {
        let d2: f64 = x.iter().zip(y).map(|(p, q)| (p - q) * (p - q)).sum();
        match self {
            GroundCost::SqEuclidean => d2,
            GroundCost::Euclidean => d2.sqrt(),
        }
    }
}

/// A weighted point cloud: `n` points of dimension `dim`, row-major, weights summing to 1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Points {
    pub dim: usize,
    pub coords: Vec<f64>,
    pub weights: Vec<f64>,
}

impl Points {
    /// Validates shape, finiteness and weights (≥ 0, positive sum), and normalises the weights.
    pub fn new(dim: usize, coords: Vec<f64>, weights: Option<Vec<f64>>) -> Result<Self> {
        if dim == 0 {
            return Err(Error::TooSmall { name: "dimension", value: 0, min: 1 });
        }
        if coords.is_empty() {
            return Err(Error::TooSmall { name: "points", value: 0, min: 1 });
        }
        if !coords.len().is_multiple_of(dim) {
            return Err(Error::ShapeMismatch {
                name: "coordinates",
                got: coords.len(),
                want: coords.len() / dim * dim + dim,
            });
        }
        let n = coords.len() / dim;
        ensure_finite("coordinates", coords.iter().copied())?;
        let weights = weights.unwrap_or_else(|| vec![1.0; n]);
        let weights = normalise("weights", weights, n)?;
        Ok(Self { dim, coords, weights })
    }

    pub fn len(&self) -> usize {
        self.weights.len()
    }

    pub fn is_empty(&self) -> bool {
        self.weights.is_empty()
    }

    pub fn point(&self, i: usize) -> &[f64] {
        &self.coords[i * self.dim..(i + 1) * self.dim]
    }
}

/// Checks length, finiteness and sign of a weight vector and scales it to sum 1.
pub fn normalise(name: &'static str, w: Vec<f64>, n: usize) -> Result<Vec<f64>> {
    if w.len() != n {
        return Err(Error::ShapeMismatch { name, got: w.len(), want: n });
    }
    ensure_finite(name, w.iter().copied())?;
    if let Some(index) = w.iter().position(|&v| v < 0.0) {
        return Err(Error::Invalid { name, message: format!("entry {index} is negative ({})", w[index]) });
    }
    let total: f64 = w.iter().sum();
    if total <= 0.0 {
        return Err(Error::Invalid { name, message: "they sum to zero: give at least one positive weight".into() });
    }
    Ok(w.into_iter().map(|v| v / total).collect())
}

/// Where the cost comes from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Geometry {
    /// An explicit n × m cost matrix, row-major.
    Dense { n: usize, m: usize, cost: Vec<f64> },
    /// Two point clouds and a ground cost; C_ij = scale · c(x_i, y_j) (scale = 1 / max C when normalised).
    Points { x: Points, y: Points, cost: GroundCost, scale: f64 },
}
