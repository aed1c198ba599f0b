//! Row and column reductions — sum, max and log-sum-exp — the building block of every lab (Sinkhorn's
//! marginals and log-domain updates, softmax losses, norms).
//!
//! For a matrix X (rows × cols, row-major):
//! - per row:    y_i = ⊕_j X_ij   (`ReduceAxis::Rows`, one value per row)
//! - per column: y_j = ⊕_i X_ij   (`ReduceAxis::Cols`, one value per column)
//!
//! with ⊕ ∈ {sum, max, LSE}, LSE(x) = max(x) + log Σ exp(x − max(x)) (shifted: no overflow).
//! The CPU twin is [`crate::cpu::reduce`] (f64); the GPU path is [`crate::gpu::reduce`] (f32,
//! `shaders/reduce/reduce.wgsl`). [`tolerance`] states how far the two may differ.

use crate::error::{Error, Result};

crate::choice! {
    /// The reduction ⊕.
    pub enum ReduceOp("op") {
        Sum => "sum",
        Max => "max",
        Lse => "lse",
    }
}

crate::choice! {
    /// Which index survives: one result per row, or one per column.
    pub enum ReduceAxis("axis") {
        Rows => "rows",
        Cols => "cols",
    }
}

impl ReduceAxis {
    /// (number of results, length of each reduced line) for a rows × cols matrix.
    pub fn outputs_and_len(self, rows: usize, cols: usize) -> (usize, usize) {
        match self {
            ReduceAxis::Rows => (rows, cols),
            ReduceAxis::Cols => (cols, rows),
        }
    }
}

/// Checks a matrix shape and its data: both sizes ≥ 1, `data.len() == rows·cols`, all finite.
pub fn check_matrix(rows: usize, cols: usize, data: &[f64]) -> Result<()> {
    check_shape(rows, cols)?;
    let want =
        rows.checked_mul(cols)
            .ok_or(Error::TooBig { name: "rows × cols", value: i64::MAX, max: usize::MAX as i64 })?;
    if data.len() != want {
        return Err(Error::ShapeMismatch { name: "data", got: data.len(), want });
    }
    crate::error::ensure_finite("data", data.iter().copied())
}

/// The f32 version of [`check_matrix`], for data already on its way to the GPU.
pub fn check_matrix_f32(rows: usize, cols: usize, data: &[f32]) -> Result<()> {
    check_shape(rows, cols)?;
    if data.len() != rows.saturating_mul(cols) {
        return Err(Error::ShapeMismatch { name: "data", got: data.len(), want: rows.saturating_mul(cols) });
    }
    crate::error::ensure_finite("data", data.iter().map(|&v| f64::from(v)))
}

/// Both sizes at least 1.
pub fn check_shape(rows: usize, cols: usize) -> Result<()> {
    if rows == 0 {
        return Err(Error::TooSmall { name: "rows", value: 0, min: 1 });
    }
    if cols == 0 {
        return Err(Error::TooSmall { name: "cols", value: 0, min: 1 });
    }
    Ok(())
}

/// How far the GPU's f32 result may lie from the CPU's f64 result for one reduced line.
///
/// Inputs are first rounded to f32 (relative error u = 2⁻²⁴ each). Then:
/// - sum: the GPU adds in a tree of depth ≤ log₂(len)+chunking, so |error| ≤ (depth + 2)·u·Σ|x|; we allow
///   4·(log₂(len) + 2)·u·Σ|x| plus 1e-30 (a factor 4 of slack for the chunked, non-pairwise first stage,
///   where each thread adds up to `len/256` terms in sequence: that part is covered by the `len/256` term).
/// - max: exact on the f32-rounded inputs, so |error| ≤ u·|max|.
/// - lse: each exp/log in f32 has relative error ~ a few u, and the shift by max is exact, so
///   |error| ≤ 8·u·(|lse| + log(len) + 1) plus the sum bound on the rescaled terms (≤ 1 each).
pub fn tolerance(op: ReduceOp, len: usize, abs_sum: f64, value: f64) -> f64 {
    let u = f32::EPSILON as f64 / 2.0;
    let n = len.max(1) as f64;
    let depth = n.log2() + 2.0 + n / 256.0;
    match op {
        ReduceOp::Sum => 4.0 * depth * u * abs_sum + 1e-30,
        ReduceOp::Max => u * value.abs() + 1e-30,
        ReduceOp::Lse => 8.0 * u * (value.abs() + n.ln() + 1.0) + 4.0 * depth * u,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_garbage_is_rejected() {
        for op in ReduceOp::ALL {
            assert_eq!(op.name().parse::<ReduceOp>().unwrap(), op);
        }
        for axis in ReduceAxis::ALL {
            assert_eq!(axis.name().parse::<ReduceAxis>().unwrap(), axis);
        }
        let err = "mean".parse::<ReduceOp>().unwrap_err();
        assert!(err.to_string().contains("sum, max, lse"), "{err}");
        assert!("diag".parse::<ReduceAxis>().is_err());
    }

    #[test]
    fn bad_matrices_are_typed_errors() {
        assert_eq!(check_matrix(0, 3, &[]), Err(Error::TooSmall { name: "rows", value: 0, min: 1 }));
        assert_eq!(check_matrix(2, 0, &[]), Err(Error::TooSmall { name: "cols", value: 0, min: 1 }));
        assert_eq!(check_matrix(2, 2, &[1.0; 3]), Err(Error::ShapeMismatch { name: "data", got: 3, want: 4 }));
        assert_eq!(check_matrix(1, 3, &[1.0, f64::NAN, 0.0]), Err(Error::NonFinite { name: "data", index: 1 }));
        assert!(check_matrix(1, 1, &[5.0]).is_ok());
    }
}
