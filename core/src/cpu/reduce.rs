//! CPU twin of `shaders/reduce/reduce.wgsl`: sum / max / log-sum-exp per row or per column, in f64.

use ndarray::{Array1, ArrayView1, ArrayView2, Axis};

use crate::error::Result;
use crate::reduce::{check_matrix, ReduceAxis, ReduceOp};

/// y = ⊕ over each row (`Rows`) or each column (`Cols`) of `x` (rows × cols, row-major `data`).
/// LSE is computed as max + log Σ exp(x − max), so it never overflows.
pub fn reduce(rows: usize, cols: usize, data: &[f64], op: ReduceOp, axis: ReduceAxis) -> Result<Vec<f64>> {
    check_matrix(rows, cols, data)?;
    let x = ArrayView2::from_shape((rows, cols), data).expect("shape checked above");
    Ok(reduce_view(x, op, axis).to_vec())
}

/// The same on an ndarray view (no validation: callers inside `core` hold checked data).
pub fn reduce_view(x: ArrayView2<f64>, op: ReduceOp, axis: ReduceAxis) -> Array1<f64> {
    // Reducing "per row" folds along the column axis (Axis(1)), and vice versa.
    let fold_axis = match axis {
        ReduceAxis::Rows => Axis(1),
        ReduceAxis::Cols => Axis(0),
    };
    x.map_axis(fold_axis, |line| reduce_line(line, op))
}

fn reduce_line(line: ArrayView1<f64>, op: ReduceOp) -> f64 {
    match op {
        ReduceOp::Sum => line.sum(),
        ReduceOp::Max => line.fold(f64::NEG_INFINITY, |m, &v| m.max(v)),
        ReduceOp::Lse => {
            let m = line.fold(f64::NEG_INFINITY, |m, &v| m.max(v));
            m + line.fold(0.0, |s, &v| s + (v - m).exp()).ln()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closed_forms_on_a_small_matrix() {
        // [[1, 2, 3], [4, 5, 6]]
        let data = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        assert_eq!(reduce(2, 3, &data, ReduceOp::Sum, ReduceAxis::Rows).unwrap(), vec![6.0, 15.0]);
        assert_eq!(reduce(2, 3, &data, ReduceOp::Sum, ReduceAxis::Cols).unwrap(), vec![5.0, 7.0, 9.0]);
        assert_eq!(reduce(2, 3, &data, ReduceOp::Max, ReduceAxis::Rows).unwrap(), vec![3.0, 6.0]);
        assert_eq!(reduce(2, 3, &data, ReduceOp::Max, ReduceAxis::Cols).unwrap(), vec![4.0, 5.0, 6.0]);
        let lse = reduce(2, 3, &data, ReduceOp::Lse, ReduceAxis::Cols).unwrap();
        for (j, v) in lse.iter().enumerate() {
            let want = ((1.0 + j as f64).exp() + (4.0 + j as f64).exp()).ln();
            assert!((v - want).abs() < 1e-14, "{v} vs {want}");
        }
    }

    #[test]
    fn lse_does_not_overflow() {
        // exp(1000) overflows f64; the shifted form gives 1000 + log 2.
        let v = reduce(1, 2, &[1000.0, 1000.0], ReduceOp::Lse, ReduceAxis::Rows).unwrap();
        assert!((v[0] - (1000.0 + 2f64.ln())).abs() < 1e-12);
    }
}
