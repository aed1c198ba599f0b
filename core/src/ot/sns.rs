//! The Newton step of Sinkhorn–Newton–Sparse (Tang et al., "Accelerating Sinkhorn Algorithm with Sparse
//! Newton Iterations", ICLR 2024; docs/methods.md §1), shared by the CPU driver ([`super::solver::OtSolver`])
//! and the GPU driver ([`super::gpu::GpuSinkhorn`]), which differ only in how they get P's sums and kept
//! entries (a dense f64 plan, or the device's passes) and how they evaluate a trial step.
//!
//! From the row and column sums of P and its k largest entries per row: the gradient
//! ∇F = (a − P1, b − Pᵀ1) of F(f, g) = ⟨a, f⟩ + ⟨b, g⟩ − ε ΣP; the direction d solving the sparsified
//! system [[diag P1, S], [Sᵀ, diag Pᵀ1]] d = ε∇F by Jacobi-preconditioned CG (singular along (1, −1), but
//! ∇F ⟂ (1, −1), so CG from 0 stays consistent); Armijo's test F(x + αd) − F(x) ≥ c·α·⟨∇F, d⟩ − slack
//! (c = 1e-4, α halving from 1); and the automatic density's rule for k.

/// Entries kept per row at the start when no density is given (docs/methods.md §1: 5n–10n reach 1e-12 on
/// the random assignment problem).
pub const DEFAULT_KEEP_PER_ROW: usize = 10;

/// The automatic density's rule: keep doubling the entries per row until they hold this fraction of P's
/// mass. Ten per row suit the random assignment problem (its plan is nearly a permutation), but a point
/// cloud's plan spreads each row over its neighbours: on 500 moons at ε = 0.01, ten per row hold a third
/// of the mass, the sparsified Newton direction is little better than a Sinkhorn step and SNS converges
/// linearly (280 Newton steps to 0.17); holding 99 % it converges in 28. (90 % still needs 74; 99.9 %
/// keeps twice the entries for the same steps.)
pub const AUTO_KEPT_MASS: f64 = 0.99;

/// The automatic density's memory bound: at most this many kept entries in all (n·k; 64 MB of sparse
/// Hessian in f64 with its column indices), whatever the mass they hold — on a 4000 × 4000 problem
/// k stops at 1048 per row.
pub const AUTO_MAX_KEPT_ENTRIES: usize = 1 << 22;

/// Armijo halvings before a Newton step gives way to a Sinkhorn step.
pub const MAX_HALVINGS: usize = 30;

/// Armijo's sufficient-ascent constant c.
pub const ARMIJO_C: f64 = 1e-4;

#[derive(Debug, Clone, Copy)]
pub(crate) struct NewtonReport {
    pub(crate) step_size: f64,
    pub(crate) nnz: usize,
    /// Fraction of P's mass the kept entries hold (None when P's mass underflowed to 0).
    pub(crate) kept_mass: Option<f64>,
    pub(crate) cg_iterations: usize,
}

/// ∇F = (a − row, b − col) and its ℓ1 norm (the marginal error).
pub(crate) fn gradient(a: &[f64], b: &[f64], row: &[f64], col: &[f64]) -> (Vec<f64>, f64) {
    let grad: Vec<f64> = a.iter().zip(row).map(|(a, r)| a - r).chain(b.iter().zip(col).map(|(b, c)| b - c)).collect();
    let err = grad.iter().map(|x| x.abs()).sum();
    (grad, err)
}

/// The Newton direction d for the sparsified Hessian `kept` at P's sums (`row`, `col`), with CG to relative
/// residual `rtol` in at most `max_iter` iterations; returns d, the slope ⟨∇F, d⟩ and the CG iterations.
pub(crate) fn direction(
    grad: &[f64],
    kept: &Csr,
    row: &[f64],
    col: &[f64],
    eps: f64,
    rtol: f64,
    max_iter: usize,
) -> (Vec<f64>, f64, usize) {
    let rhs: Vec<f64> = grad.iter().map(|x| eps * x).collect();
    let (d, iterations) = pcg(kept, row, col, &rhs, rtol, max_iter);
    let slope = dot(grad, &d);
    (d, slope, iterations)
}

/// Armijo's test for a trial step of size α: F's change `gain` is at least c·α·slope, less `slack` (the
/// change's own rounding, or the f32 noise of the GPU's ΣP).
pub(crate) fn armijo(gain: f64, alpha: f64, slope: f64, slack: f64) -> bool {
    gain.is_finite() && gain >= ARMIJO_C * alpha * slope - slack
}

/// The automatic density's next k, or `None` to keep k: doubled (up to `most`) while the kept entries hold
/// less than [`AUTO_KEPT_MASS`] of P's mass.
pub(crate) fn grow_keep(k: usize, most: usize, kept: f64, total: f64) -> Option<usize> {
    (k < most && kept < AUTO_KEPT_MASS * total).then(|| (2 * k).min(most))
}

/// kept / total, when that is a number (P's mass can underflow to 0 at a tiny ε).
pub(crate) fn share(kept: f64, total: f64) -> Option<f64> {
    Some(kept / total).filter(|s| s.is_finite() && total > 0.0)
}

pub(crate) fn dot(x: &[f64], y: &[f64]) -> f64 {
    x.iter().zip(y).map(|(a, b)| a * b).sum()
}

/// F(x + αd) − F(x) for the Lyapunov potential F(x, y) = ⟨a,x⟩ + ⟨b,y⟩ − ε Σ_ij exp((x_i + y_j − C_ij)/ε),
/// from the plan P at (x, y): α(⟨a,d_x⟩ + ⟨b,d_y⟩) − ε Σ_ij P_ij·expm1(α(d_x,i + d_y,j)/ε). Subtracting two
/// values of F instead loses the change to rounding once it is below ~1e-16·|F| — which happens within
/// reach of the tolerance, and then no step ever passes Armijo. Returns the change and a bound on its
/// rounding (a few ulps of the sums of the terms' magnitudes). An entry of P that underflowed to 0 is
/// recomputed from C at the trial point.
#[allow(clippy::too_many_arguments)]
pub(crate) fn ascent(
    p: &[f64],
    c: &[f64],
    f: &[f64],
    g: &[f64],
    d: &[f64],
    alpha: f64,
    eps: f64,
    a: &[f64],
    b: &[f64],
) -> (f64, f64) {
    let (n, m) = (a.len(), b.len());
    let (dx, dy) = d.split_at(n);
    let linear = alpha * (dot(a, dx) + dot(b, dy));
    let linear_size = alpha
        * (a.iter().zip(dx).map(|(x, y)| (x * y).abs()).sum::<f64>()
            + b.iter().zip(dy).map(|(x, y)| (x * y).abs()).sum::<f64>());
    let (mut change, mut change_size) = (0.0, 0.0);
    for i in 0..n {
        let (line, costs) = (&p[i * m..(i + 1) * m], &c[i * m..(i + 1) * m]);
        for j in 0..m {
            let t = alpha * (dx[i] + dy[j]) / eps;
            let term = if line[j] > 0.0 { line[j] * t.exp_m1() } else { ((f[i] + g[j] - costs[j]) / eps + t).exp() };
            change += term;
            change_size += term.abs();
        }
    }
    (linear - eps * change, 8.0 * f64::EPSILON * (linear_size + eps * change_size))
}

/// A row-compressed sparse n × m matrix.
pub(crate) struct Csr {
    pub(crate) starts: Vec<usize>,
    pub(crate) cols: Vec<usize>,
    pub(crate) values: Vec<f64>,
}

impl Csr {
    pub(crate) fn row(&self, i: usize) -> (&[usize], &[f64]) {
        let r = self.starts[i]..self.starts[i + 1];
        (&self.cols[r.clone()], &self.values[r])
    }
}

/// The k largest entries of each row of P.
pub(crate) fn top_k_rows(p: &[f64], n: usize, m: usize, k: usize) -> Csr {
    let mut starts = Vec::with_capacity(n + 1);
    let mut cols = Vec::with_capacity(n * k);
    let mut values = Vec::with_capacity(n * k);
    let mut idx: Vec<usize> = Vec::with_capacity(m);
    starts.push(0);
    for i in 0..n {
        let line = &p[i * m..(i + 1) * m];
        top_k_in_row(line, k, &mut idx);
        idx.sort_unstable();
        for &j in &idx {
            cols.push(j);
            values.push(line[j]);
        }
        starts.push(cols.len());
    }
    Csr { starts, cols, values }
}

/// Solves [[diag r, S], [Sᵀ, diag c]] d = rhs by Jacobi-preconditioned CG from d = 0, to relative
/// residual `rtol` or `max_iter` iterations. Returns d and the iterations used.
pub(crate) fn pcg(s: &Csr, r: &[f64], c: &[f64], rhs: &[f64], rtol: f64, max_iter: usize) -> (Vec<f64>, usize) {
    let (n, m) = (r.len(), c.len());
    let apply = |x: &[f64], out: &mut [f64]| {
        out[..n].iter_mut().zip(r).zip(&x[..n]).for_each(|((o, ri), xi)| *o = ri * xi);
        out[n..].iter_mut().zip(c).zip(&x[n..]).for_each(|((o, cj), xj)| *o = cj * xj);
        for i in 0..n {
            let (cols, vals) = s.row(i);
            let mut acc = 0.0;
            for (&j, &v) in cols.iter().zip(vals) {
                acc += v * x[n + j];
                out[n + j] += v * x[i];
            }
            out[i] += acc;
        }
    };
    let diag: Vec<f64> = r.iter().chain(c).map(|d| d.max(1e-300)).collect();
    let mut x = vec![0.0; n + m];
    let mut res = rhs.to_vec();
    let mut z: Vec<f64> = res.iter().zip(&diag).map(|(a, d)| a / d).collect();
    let mut dir = z.clone();
    let mut rz = dot(&res, &z);
    let target = rtol * dot(rhs, rhs).sqrt();
    let mut q = vec![0.0; n + m];
    for it in 0..max_iter {
        if dot(&res, &res).sqrt() <= target {
            return (x, it);
        }
        apply(&dir, &mut q);
        let curvature = dot(&dir, &q);
        if curvature <= 0.0 {
            return (x, it);
        }
        let alpha = rz / curvature;
        x.iter_mut().zip(&dir).for_each(|(xi, di)| *xi += alpha * di);
        res.iter_mut().zip(&q).for_each(|(ri, qi)| *ri -= alpha * qi);
        z.iter_mut().zip(res.iter().zip(&diag)).for_each(|(zi, (ri, di))| *zi = ri / di);
        let rz_new = dot(&res, &z);
        let beta = rz_new / rz;
        rz = rz_new;
        dir.iter_mut().zip(&z).for_each(|(di, zi)| *di = zi + beta * *di);
    }
    (x, max_iter)
}

/// Fills `idx` with the positions of the k largest entries of `line` (in no particular order): the
/// selection SNS sparsifies its Hessian with, O(m) per row.
pub fn top_k_in_row(line: &[f64], k: usize, idx: &mut Vec<usize>) {
    let k = k.clamp(1, line.len());
    idx.clear();
    idx.extend(0..line.len());
    if k < line.len() {
        idx.select_nth_unstable_by(k - 1, |&x, &y| line[y].total_cmp(&line[x]));
        idx.truncate(k);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ot::sinkhorn::{marginals, plan};

    /// F(f, g) = ⟨a,f⟩ + ⟨b,g⟩ − ε Σ exp((f_i + g_j − C_ij)/ε), directly.
    fn potential(c: &[f64], f: &[f64], g: &[f64], a: &[f64], b: &[f64], eps: f64) -> f64 {
        let m = g.len();
        let mass: f64 = c
            .chunks(m)
            .zip(f)
            .map(|(line, fi)| line.iter().zip(g).map(|(cij, gj)| ((fi + gj - cij) / eps).exp()).sum::<f64>())
            .sum();
        dot(a, f) + dot(b, g) - eps * mass
    }

    #[test]
    fn the_ascent_is_f_s_change_and_stays_exact_where_the_difference_of_f_values_is_rounding() {
        let (n, m, eps) = (7, 5, 0.05);
        let mut rng = crate::rng::SplitMix64::new(4);
        let c: Vec<f64> = (0..n * m).map(|_| rng.uniform()).collect();
        let (a, b) = (vec![1.0 / n as f64; n], vec![1.0 / m as f64; m]);
        let f: Vec<f64> = (0..n).map(|_| 0.1 * rng.normal()).collect();
        let g: Vec<f64> = (0..m).map(|_| 0.1 * rng.normal()).collect();
        let d: Vec<f64> = (0..n + m).map(|_| 0.02 * rng.normal()).collect();
        let p = plan(&c, &f, &g, eps, m);
        let moved = |alpha: f64| -> (Vec<f64>, Vec<f64>) {
            (
                f.iter().zip(&d[..n]).map(|(x, dx)| x + alpha * dx).collect(),
                g.iter().zip(&d[n..]).map(|(x, dx)| x + alpha * dx).collect(),
            )
        };
        // A large step: the two agree to rounding of F (|F| ~ 0.05).
        let (f1, g1) = moved(1.0);
        let direct = potential(&c, &f1, &g1, &a, &b, eps) - potential(&c, &f, &g, &a, &b, eps);
        let (gain, rounding) = ascent(&p, &c, &f, &g, &d, 1.0, eps, &a, &b);
        assert!((gain - direct).abs() <= 1e-14, "{gain} vs {direct}");
        assert!(rounding > 0.0 && rounding < 1e-14, "{rounding}");
        // A tiny step: F's change is α·⟨∇F, d⟩ to first order, far below F's rounding (~1e-17 here):
        // the ascent still gets it to 1e-6 relative.
        let (row, col) = marginals(&p, n, m);
        let slope: f64 = (0..n).map(|i| (a[i] - row[i]) * d[i]).sum::<f64>()
            + (0..m).map(|j| (b[j] - col[j]) * d[n + j]).sum::<f64>();
        let alpha = 1e-12;
        let (gain, rounding) = ascent(&p, &c, &f, &g, &d, alpha, eps, &a, &b);
        assert!((gain - alpha * slope).abs() <= 1e-6 * (alpha * slope).abs(), "{gain} vs {}", alpha * slope);
        assert!(rounding < 1e-3 * (alpha * slope).abs(), "{rounding}");
        // An entry of P that underflowed is recomputed at the trial point, not taken as 0 · ∞.
        let mut p0 = p.clone();
        p0[3] = 0.0;
        let (gain0, _) = ascent(&p0, &c, &f, &g, &d, 1.0, eps, &a, &b);
        let (gain, _) = ascent(&p, &c, &f, &g, &d, 1.0, eps, &a, &b);
        assert!(gain0.is_finite());
        let exact_term = (((f[0] + g[3] - c[3]) / eps) + (d[0] + d[n + 3]) / eps).exp();
        assert!((gain0 - (gain + eps * p[3] * ((d[0] + d[n + 3]) / eps).exp_m1() - eps * exact_term)).abs() < 1e-14);
    }
}
