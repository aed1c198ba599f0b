//! What the OT page draws from an iterate: the plan P_ij = exp((f_i + g_j − C_ij)/ε), the kept entries of
//! SNS's sparsified Hessian (top k of P per row, plus the exact diagonals), and the fraction of P's mass
//! those entries capture as k grows — the reason a sparse Newton step is nearly exact.

use super::problem::OtProblem;

/// Largest n × m whose plan and sparsity pictures the page and the CLI draw: each picture evaluates all of
/// P (a digit pair, 784 × 784, fits; the page says why a larger one is not drawn).
pub const MAX_DRAWN: usize = 700_000;

/// P (n × m, row-major) from potentials.
pub fn plan(problem: &OtProblem, f: &[f64], g: &[f64], eps: f64) -> Vec<f64> {
    let (n, m) = (problem.n(), problem.m());
    let mut p = Vec::with_capacity(n * m);
    for (i, fi) in f.iter().enumerate().take(n) {
        for (j, gj) in g.iter().enumerate().take(m) {
            p.push(((fi + gj - problem.cost(i, j)) / eps).exp());
        }
    }
    p
}

/// For each k in `ks`: Σ_i (sum of the k largest P_ij in row i) / Σ P.
pub fn mass_captured(p: &[f64], n: usize, m: usize, ks: &[usize]) -> Vec<f64> {
    let total: f64 = p.iter().sum();
    let mut captured = vec![0.0; ks.len()];
    let mut row = Vec::with_capacity(m);
    for i in 0..n {
        row.clear();
        row.extend_from_slice(&p[i * m..(i + 1) * m]);
        row.sort_unstable_by(|a, b| b.total_cmp(a));
        let mut prefix = 0.0;
        let mut taken = 0;
        for (slot, &k) in ks.iter().enumerate() {
            while taken < k.min(m) {
                prefix += row[taken];
                taken += 1;
            }
            captured[slot] += prefix;
        }
    }
    captured.iter().map(|c| if total > 0.0 { c / total } else { 0.0 }).collect()
}

/// The (row, column) positions of the k largest entries of each row of P.
pub fn top_k_pattern(p: &[f64], n: usize, m: usize, k: usize) -> Vec<(usize, usize)> {
    let k = k.clamp(1, m);
    let mut out = Vec::with_capacity(n * k);
    let mut idx: Vec<usize> = Vec::with_capacity(m);
    for i in 0..n {
        top_k_in_row(&p[i * m..(i + 1) * m], k, &mut idx);
        out.extend(idx.iter().map(|&j| (i, j)));
    }
    out
}

pub use super::sns::top_k_in_row;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn captured_mass_grows_to_one() {
        let p = [0.5, 0.1, 0.0, 0.1, 0.2, 0.1];
        let c = mass_captured(&p, 2, 3, &[1, 2, 3]);
        assert!((c[0] - 0.7).abs() < 1e-12 && (c[1] - 0.9).abs() < 1e-12 && (c[2] - 1.0).abs() < 1e-12, "{c:?}");
        let pattern = top_k_pattern(&p, 2, 3, 1);
        assert_eq!(pattern, vec![(0, 0), (1, 1)]);
    }
}
