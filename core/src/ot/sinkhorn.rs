//! Sinkhorn's passes on the CPU (f64), shared by the solvers: the kernel K = exp(−C/ε), the log-domain
//! half-step out_i = ε log w_i − ε LSE_j((p_j − C_ij)/ε) (Schmitzer 2019), the plan P_ij = exp((f_i + g_j −
//! C_ij)/ε) and its sums. Rows are split over the CPU pool and each row runs through `cpu::widest!`
//! (AVX-512, AVX2 with or without FMA, or the baseline, picked at run time) with the branch-free `cpu::exp`:
//! the same bits on every path with the same multiply-add (fused with FMA, separate without).

use crate::cpu::exp::{exp_nonpositive_with, exp_with};
use crate::cpu::fused::{dot8, lanes8, lanes8_keep, Aligned};

/// Entries of C from which a pass splits its rows over the CPU pool (smaller ones run on the calling
/// thread: the hand-off would cost more than it saves). The split changes the order of the plan's sums, so
/// a problem this large gives the same bits only with the same number of threads (the OT sweep runs such a
/// problem alone, with the whole pool, as its single run does).
pub(crate) const POOL_MIN_ENTRIES: usize = 1 << 16;

/// K = exp(−C/ε).
pub(crate) fn kernel(c: &[f64], eps: f64) -> Aligned {
    Aligned::new(c.len(), c.iter().map(|&x| (-x / eps).exp()))
}

/// Kᵀu for K with rows of length m.
pub(crate) fn transpose_times(k: &[f64], u: &[f64], m: usize) -> Vec<f64> {
    let mut out = vec![0.0; m];
    for (line, ui) in k.chunks(m).zip(u) {
        out.iter_mut().zip(line).for_each(|(acc, kij)| *acc += kij * ui);
    }
    out
}

pub(crate) fn l1(x: &[f64], y: &[f64]) -> f64 {
    x.iter().zip(y).map(|(a, b)| (a - b).abs()).sum()
}

/// out_i = ε log w_i − ε LSE_j((p_j − C_ij)/ε) for C given row-major with `rows` rows of length `cols`. The
/// max and the sum run in eight lanes and the exponential is `cpu::exp::exp`, so a row vectorises.
pub(crate) fn lse_update(c: &[f64], p: &[f64], w: &[f64], eps: f64, rows: usize, cols: usize) -> Vec<f64> {
    let inv_eps = 1.0 / eps;
    by_rows(rows, cols, |range| {
        range
            .map(|i| {
                let (max, s) = lse_row(&c[i * cols..(i + 1) * cols], p, inv_eps);
                eps * w[i].ln() - max - eps * s.ln()
            })
            .collect()
    })
}

/// [`lse_update`]'s out (the same bits) and, beside it, the column sums of the plan at the updated potential,
/// Σ_i P_ij with P_ij = exp((out_i + p_j − C_ij)/ε) = (w_i/s_i)·exp((p_j − C_ij − max_i)/ε): each row's own
/// exponentials, kept while in cache, so the other half-step needs no pass of its own (see
/// [`g_from_column_sums`]). Parts of rows add their column sums in row order.
pub(crate) fn lse_update_cols(
    c: &[f64],
    p: &[f64],
    w: &[f64],
    eps: f64,
    rows: usize,
    cols: usize,
) -> (Vec<f64>, Vec<f64>) {
    let inv_eps = 1.0 / eps;
    let part = |range: std::ops::Range<usize>| {
        let (mut e, mut sums) = (vec![0.0; cols], vec![0.0; cols]);
        let out: Vec<f64> = range
            .map(|i| {
                let (max, s) = lse_row_cols(&c[i * cols..(i + 1) * cols], p, inv_eps, w[i], &mut e, &mut sums);
                eps * w[i].ln() - max - eps * s.ln()
            })
            .collect();
        (out, sums)
    };
    let threads = if rows * cols >= POOL_MIN_ENTRIES { crate::cpu::pool::threads().min(rows) } else { 1 };
    if threads <= 1 {
        return part(0..rows);
    }
    let chunk = rows.div_ceil(threads);
    let parts = crate::cpu::pool::map_parts(threads, |t| part((t * chunk).min(rows)..((t + 1) * chunk).min(rows)));
    let mut out = Vec::with_capacity(rows);
    let mut sums = vec![0.0; cols];
    for (o, s) in parts {
        out.extend(o);
        sums.iter_mut().zip(&s).for_each(|(a, b)| *a += b);
    }
    (out, sums)
}

/// Column sums below this are recomputed by their own LSE (far from convergence a column's mass can
/// underflow, and its logarithm with it).
const COLUMN_SUM_FLOOR: f64 = 1e-280;

/// The half-step g_j ← ε log b_j − ε LSE_i((f_i − C_ij)/ε) from the plan's column sums at (f, g) —
/// LSE_i((f_i − C_ij)/ε) = log Σ_i P_ij − g_j/ε, so g_j ← g_j + ε (log b_j − log Σ_i P_ij) — and the column
/// marginal error Σ_j |Σ_i P_ij − b_j| of (f, g). A column whose sum fell below [`COLUMN_SUM_FLOOR`] takes
/// its own LSE over `ct`'s row j (Cᵀ, row-major).
pub(crate) fn g_from_column_sums(
    sums: &[f64],
    f: &[f64],
    g: &[f64],
    b: &[f64],
    ct: &[f64],
    eps: f64,
) -> (Vec<f64>, f64) {
    let (n, inv_eps) = (f.len(), 1.0 / eps);
    let mut err = 0.0;
    let g_new = sums
        .iter()
        .zip(g.iter().zip(b))
        .enumerate()
        .map(|(j, (&s, (&gj, &bj)))| {
            if s >= COLUMN_SUM_FLOOR && s.is_finite() {
                err += (s - bj).abs();
                gj + eps * (bj.ln() - s.ln())
            } else {
                let (max, sum) = lse_row(&ct[j * n..(j + 1) * n], f, inv_eps);
                let new = eps * bj.ln() - max - eps * sum.ln();
                err += (bj * ((gj - new) * inv_eps).exp() - bj).abs();
                new
            }
        })
        .collect();
    (g_new, err)
}

crate::cpu::widest! {
    /// A row of [`lse_update_cols`]: (max, s) as [`lse_row`] (the same bits), with the row's plan entries
    /// (w_i/s)·e_j added into `sums` (`e` is scratch for the exponentials).
    pub(crate) fn lse_row_cols<A>(line: &[f64], p: &[f64], inv_eps: f64, w: f64, e: &mut [f64], sums: &mut [f64]) -> (f64, f64) {
        let max = lanes_max(line, p);
        let s = lanes8_keep(line, p, e, |cij, pj| exp_nonpositive_with::<A>((pj - cij - max) * inv_eps));
        let scale = w / s;
        for (acc, x) in sums.iter_mut().zip(e.iter()) {
            *acc += scale * x;
        }
        (max, s)
    }
}

crate::cpu::widest! {
    /// (max_j (p_j − line_j), Σ_j exp((p_j − line_j − max)·inv_eps)): a row of the LSE half-step.
    pub(crate) fn lse_row<A>(line: &[f64], p: &[f64], inv_eps: f64) -> (f64, f64) {
        let max = lanes_max(line, p);
        (max, lanes8(line, p, |cij, pj| exp_nonpositive_with::<A>((pj - cij - max) * inv_eps)))
    }
}

crate::cpu::widest! {
    /// out_j = exp((f_i + g_j − C_ij)·inv_eps): a row of the plan.
    pub(crate) fn plan_row<A>(out: &mut [f64], costs: &[f64], g: &[f64], fi: f64, inv_eps: f64) -> () {
        for ((o, cij), gj) in out.iter_mut().zip(costs).zip(g) {
            *o = exp_with::<A>((fi + gj - cij) * inv_eps);
        }
    }
}

/// max_j (p_j − line_j), in eight lanes.
#[inline(always)]
pub(crate) fn lanes_max(line: &[f64], p: &[f64]) -> f64 {
    let mut acc = [f64::NEG_INFINITY; 8];
    let (lc, pc) = (line.chunks_exact(8), p.chunks_exact(8));
    let tail = lc.remainder().iter().zip(pc.remainder()).map(|(c, p)| p - c).fold(f64::NEG_INFINITY, f64::max);
    for (c, q) in lc.zip(pc) {
        for l in 0..8 {
            acc[l] = acc[l].max(q[l] - c[l]);
        }
    }
    acc.into_iter().fold(tail, f64::max)
}

/// P_ij = exp((f_i + g_j − C_ij)/ε), rows split over the CPU pool.
pub(crate) fn plan(c: &[f64], f: &[f64], g: &[f64], eps: f64, m: usize) -> Vec<f64> {
    let inv_eps = 1.0 / eps;
    by_rows(f.len(), m, |range| {
        let mut out = vec![0.0; range.len() * m];
        for (row, i) in out.chunks_mut(m).zip(range) {
            plan_row(row, &c[i * m..(i + 1) * m], g, f[i], inv_eps);
        }
        out
    })
}

/// What one part of the rows contributes to a plan's summary: its row sums, its column sums and ⟨C,P⟩ over
/// its rows.
pub(crate) struct PlanSums {
    pub(crate) row: Vec<f64>,
    pub(crate) col: Vec<f64>,
    pub(crate) cost: f64,
}

/// The row sums, the column sums per part and ⟨C,P⟩ of the plan whose rows `fill` writes, rows split over
/// the CPU pass's threads like [`by_rows`] (parts in row order). Sums run in eight lanes, so they vectorise.
pub(crate) fn plan_sums(n: usize, m: usize, c: &[f64], fill: impl Fn(usize, &mut [f64]) + Sync) -> Vec<PlanSums> {
    let part = |range: std::ops::Range<usize>| {
        let mut p = vec![0.0; m];
        let mut out = PlanSums { row: Vec::with_capacity(range.len()), col: vec![0.0; m], cost: 0.0 };
        for i in range {
            fill(i, &mut p);
            out.row.push(lanes8(&p, &p, |x, _| x));
            out.cost += dot8(&p, &c[i * m..(i + 1) * m]);
            out.col.iter_mut().zip(&p).for_each(|(acc, x)| *acc += x);
        }
        out
    };
    let threads = if n * m >= POOL_MIN_ENTRIES { crate::cpu::pool::threads().min(n) } else { 1 };
    if threads <= 1 {
        return vec![part(0..n)];
    }
    let chunk = n.div_ceil(threads);
    crate::cpu::pool::map_parts(threads, |t| part((t * chunk).min(n)..((t + 1) * chunk).min(n)))
}

/// `work(0..rows)` with the rows split over the CPU pass's threads (core::cpu::pool) once the matrix is
/// large enough to pay for the hand-off; each row's arithmetic is the same either way, so the result is
/// identical bit for bit. `work` returns its rows' outputs in order.
fn by_rows<T: Send>(rows: usize, cols: usize, work: impl Fn(std::ops::Range<usize>) -> Vec<T> + Sync) -> Vec<T> {
    let threads = if rows * cols >= POOL_MIN_ENTRIES { crate::cpu::pool::threads().min(rows) } else { 1 };
    if threads <= 1 {
        return work(0..rows);
    }
    let chunk = rows.div_ceil(threads);
    crate::cpu::pool::map_parts(threads, |t| work((t * chunk).min(rows)..((t + 1) * chunk).min(rows)))
        .into_iter()
        .flatten()
        .collect()
}

pub(crate) fn marginals(p: &[f64], n: usize, m: usize) -> (Vec<f64>, Vec<f64>) {
    let mut row = vec![0.0; n];
    let mut col = vec![0.0; m];
    for i in 0..n {
        for j in 0..m {
            row[i] += p[i * m + j];
            col[j] += p[i * m + j];
        }
    }
    (row, col)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kept_column_sums_give_the_lse_g_update() {
        // 300 × 301 splits over the pool; ε small enough that some columns' mass underflows at the start.
        for (n, m, eps) in [(300, 301, 0.01), (7, 5, 0.3), (40, 60, 2e-5)] {
            let mut rng = crate::rng::SplitMix64::new(3);
            let c: Vec<f64> = (0..n * m).map(|_| rng.uniform()).collect();
            let mut ct = vec![0.0; n * m];
            for i in 0..n {
                for j in 0..m {
                    ct[j * n + i] = c[i * m + j];
                }
            }
            let g: Vec<f64> = (0..m).map(|_| 0.05 * rng.normal()).collect();
            let a: Vec<f64> = (0..n).map(|_| 0.5 + rng.uniform()).collect();
            let b: Vec<f64> = (0..m).map(|_| 0.5 + rng.uniform()).collect();
            let (f, sums) = lse_update_cols(&c, &g, &a, eps, n, m);
            assert_eq!(f, lse_update(&c, &g, &a, eps, n, m), "{n}×{m}: the f-update's bits");
            let p = plan(&c, &f, &g, eps, m);
            for j in 0..m {
                let col: f64 = (0..n).map(|i| p[i * m + j]).sum();
                assert!((sums[j] - col).abs() <= 1e-11 * col.max(1e-300), "{n}×{m} column {j}: {} vs {col}", sums[j]);
            }
            let (g_new, err) = g_from_column_sums(&sums, &f, &g, &b, &ct, eps);
            let exact = lse_update(&ct, &f, &b, eps, m, n);
            let exact_err: f64 = (0..m).map(|j| (b[j] * ((g[j] - exact[j]) / eps).exp() - b[j]).abs()).sum();
            for j in 0..m {
                assert!(
                    (g_new[j] - exact[j]).abs() <= 1e-12 * (1.0 + exact[j].abs()),
                    "{n}×{m} g_{j}: {} vs {}",
                    g_new[j],
                    exact[j]
                );
            }
            assert!((err - exact_err).abs() <= 1e-12 * exact_err.max(1.0), "{n}×{m}: error {err} vs {exact_err}");
            if eps < 0.001 {
                assert!(
                    sums.iter().any(|&s| s < COLUMN_SUM_FLOOR),
                    "no column underflowed: the fallback was not exercised"
                );
            }
        }
    }

    #[test]
    fn row_split_passes_equal_the_serial_ones_bit_for_bit() {
        // 300 × 300 is over the split threshold: the rows go to the pool's threads.
        let (n, m, eps) = (300, 301, 0.01);
        let mut rng = crate::rng::SplitMix64::new(8);
        let c: Vec<f64> = (0..n * m).map(|_| rng.uniform()).collect();
        let g: Vec<f64> = (0..m).map(|_| 0.01 * rng.normal()).collect();
        let f: Vec<f64> = (0..n).map(|_| 0.01 * rng.normal()).collect();
        let a = vec![1.0 / n as f64; n];
        // The same per-row arithmetic on one thread, compiled for the baseline (the passes run the widest
        // vector unit there is): neither the split nor the vector unit changes a bit — given the same way of
        // forming the exponential's polynomial (fused where the passes run with FMA).
        let inv_eps = 1.0 / eps;
        let exp = |x: f64| {
            if crate::cpu::fused_multiply_add() {
                exp_with::<crate::cpu::exp::Fused>(x)
            } else {
                exp_with::<crate::cpu::exp::Separate>(x)
            }
        };
        let serial: Vec<f64> = (0..n)
            .map(|i| {
                let line = &c[i * m..(i + 1) * m];
                let max = lanes_max(line, &g);
                let s = lanes8(line, &g, |cij, pj| exp((pj - cij - max) * inv_eps));
                eps * a[i].ln() - max - eps * s.ln()
            })
            .collect();
        let split = lse_update(&c, &g, &a, eps, n, m);
        assert_eq!(split, serial);
        let serial_plan: Vec<f64> =
            c.iter().enumerate().map(|(k, cij)| exp((f[k / m] + g[k % m] - cij) * inv_eps)).collect();
        let split_plan = plan(&c, &f, &g, eps, m);
        assert_eq!(split_plan, serial_plan);
        // And both agree with libm's exp summed in order, to rounding.
        for i in 0..n {
            let line = &c[i * m..(i + 1) * m];
            let max = line.iter().zip(&g).map(|(cij, pj)| pj - cij).fold(f64::NEG_INFINITY, f64::max);
            let s: f64 = line.iter().zip(&g).map(|(cij, pj)| ((pj - cij - max) / eps).exp()).sum();
            let libm = eps * a[i].ln() - max - eps * s.ln();
            assert!((split[i] - libm).abs() <= 1e-15 * (1.0 + libm.abs()), "row {i}: {} vs {libm}", split[i]);
        }
        // An entry to two ulps of exp plus what x/ε vs x·(1/ε) moves the argument (an ulp of |x/ε|).
        for (k, (got, cij)) in split_plan.iter().zip(&c).enumerate() {
            let arg = (f[k / m] + g[k % m] - cij) / eps;
            let want = arg.exp();
            assert!((got - want).abs() <= 4.5e-16 * (2.0 + arg.abs()) * want, "entry {k}: {got} vs {want}");
        }
    }
}
