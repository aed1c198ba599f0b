//! The estimators of a k-sparse w* from y = Xw* + σε, all f64 on a column-major design:
//! - Lasso, min (1/2N)‖y − Xw‖² + λ‖w‖₁, by cyclic coordinate descent with warm starts down a log-spaced
//!   path from λ_max = ‖Xᵀy‖∞/N, stopped by the duality gap as scikit-learn's `lasso_path` (gap ≤ tol·‖y‖²);
//!   λ chosen by K-fold cross-validation on contiguous folds (the grid of the whole data, as `LassoCV`);
//! - OMP and IHT, both told the true k (an oracle the Lasso does not get), each refit by least squares on
//!   its support;
//! - the preconditioned Lasso (ours): phase 1 whitens the design's row space with F = U D⁻¹ Uᵀ from the thin
//!   SVD X = U D Vᵀ (the "Puffer" transform of Jia & Rohe 2015), phase 2 runs the cross-validated Lasso on
//!   (FX, Fy). The 2025 paper's own preconditioner could not be read; this stands in for it and is named ours.

use crate::error::{Error, Result};

/// A design: `n` rows, `d` columns, column j at `x[j·n..(j+1)·n]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Design {
    pub n: usize,
    pub d: usize,
    pub x: Vec<f64>,
}

impl Design {
    pub fn col(&self, j: usize) -> &[f64] {
        &self.x[j * self.n..(j + 1) * self.n]
    }

    /// Xw, skipping zero coefficients.
    pub fn apply(&self, w: &[f64]) -> Vec<f64> {
        let mut out = vec![0.0; self.n];
        for (j, &wj) in w.iter().enumerate() {
            if wj != 0.0 {
                axpy(&mut out, self.col(j), wj);
            }
        }
        out
    }

    /// Xᵀr.
    pub fn apply_t(&self, r: &[f64]) -> Vec<f64> {
        (0..self.d).map(|j| dot(self.col(j), r)).collect()
    }

    /// The rows in `keep` (in order), as a design of their own.
    pub fn rows(&self, keep: &[usize]) -> Design {
        let mut x = Vec::with_capacity(keep.len() * self.d);
        for j in 0..self.d {
            let c = self.col(j);
            x.extend(keep.iter().map(|&i| c[i]));
        }
        Design { n: keep.len(), d: self.d, x }
    }

    /// (1/N)‖X(a − b)‖²: the in-sample prediction error of `a` against `b`.
    pub fn prediction_error(&self, a: &[f64], b: &[f64]) -> f64 {
        let diff: Vec<f64> = a.iter().zip(b).map(|(p, q)| p - q).collect();
        self.apply(&diff).iter().map(|v| v * v).sum::<f64>() / self.n as f64
    }
}

#[inline(always)]
pub(crate) fn dot(a: &[f64], b: &[f64]) -> f64 {
    // Eight lanes (crate::cpu::fused::dot8): the same sums on every path, vectorised inside `widest!`.
    crate::cpu::fused::dot8(a, b)
}

#[inline(always)]
pub(crate) fn axpy(y: &mut [f64], x: &[f64], a: f64) {
    y.iter_mut().zip(x).for_each(|(y, x)| *y += a * x);
}

#[inline(always)]
fn soft(v: f64, t: f64) -> f64 {
    if v > t {
        v - t
    } else if v < -t {
        v + t
    } else {
        0.0
    }
}

/// The Lasso's stopping rule and cap.
#[derive(Debug, Clone, Copy)]
pub struct CdOptions {
    /// Duality gap ≤ tol·‖y‖² (scikit-learn's rule, its default 1e-4).
    pub tol: f64,
    /// Coordinate passes per λ.
    pub max_passes: usize,
}

impl Default for CdOptions {
    fn default() -> Self {
        Self { tol: 1e-4, max_passes: 10_000 }
    }
}

/// Coordinate descent for min (1/2N)‖y − Xw‖² + λ‖w‖₁ from `w`, keeping r = y − Xw; `sq[j]` = ‖x_j‖².
/// A full pass over every column, then passes over the nonzero ones alone until they settle (glmnet's
/// active set), repeated until a full pass changes no coefficient by more than tol·max|w| and the duality gap
/// is ≤ tol·‖y‖². Returns the passes made (full and active-set ones).
pub fn lasso_cd(
    x: &Design,
    y: &[f64],
    lambda: f64,
    w: &mut [f64],
    r: &mut [f64],
    sq: &[f64],
    opts: CdOptions,
) -> usize {
    let alpha = lambda * x.n as f64;
    let yy = dot(y, y);
    let all: Vec<usize> = (0..x.d).collect();
    let mut passes = 0;
    loop {
        let (dmax, wmax) = cd_pass(x, &all, alpha, w, r, sq);
        passes += 1;
        if (wmax == 0.0 || dmax <= opts.tol * wmax) && duality_gap(x, y, w, r, alpha) <= opts.tol * yy {
            return passes;
        }
        if passes >= opts.max_passes {
            return passes;
        }
        let active: Vec<usize> = (0..x.d).filter(|&j| w[j] != 0.0).collect();
        while passes < opts.max_passes {
            let (dmax, wmax) = cd_pass(x, &active, alpha, w, r, sq);
            passes += 1;
            if dmax <= opts.tol * wmax {
                break;
            }
        }
    }
}

crate::cpu::widest! {
    /// One coordinate pass over `cols`: the largest change and the largest |w_j| seen (compiled for the
    /// widest vectors this processor has; `A` is unused: no exponential here).
    fn cd_pass<A>(x: &Design, cols: &[usize], alpha: f64, w: &mut [f64], r: &mut [f64], sq: &[f64]) -> (f64, f64) {
        let _ = std::marker::PhantomData::<A>;
        let (mut dmax, mut wmax) = (0.0f64, 0.0f64);
        for &j in cols {
            if sq[j] == 0.0 {
                continue;
            }
            let old = w[j];
            let c = x.col(j);
            let rho = dot(c, r) + sq[j] * old;
            let new = soft(rho, alpha) / sq[j];
            if new != old {
                axpy(r, c, old - new);
                w[j] = new;
            }
            dmax = dmax.max((new - old).abs());
            wmax = wmax.max(new.abs());
        }
        (dmax, wmax)
    }
}

/// The duality gap of (1/2)‖y − Xw‖² + α‖w‖₁ at w (r = y − Xw), with the dual point r scaled into
/// ‖Xᵀθ‖∞ ≤ α.
pub fn duality_gap(x: &Design, y: &[f64], w: &[f64], r: &[f64], alpha: f64) -> f64 {
    let dual_norm = (0..x.d).map(|j| dot(x.col(j), r).abs()).fold(0.0, f64::max);
    let s = if dual_norm > alpha { alpha / dual_norm } else { 1.0 };
    let rr = dot(r, r);
    let l1: f64 = w.iter().map(|v| v.abs()).sum();
    let primal = 0.5 * rr + alpha * l1;
    let dual = s * dot(r, y) - 0.5 * s * s * rr;
    primal - dual
}

/// `points` values from λ_max = ‖Xᵀy‖∞/N down to `ratio`·λ_max, log-spaced (descending).
pub fn lambda_grid(x: &Design, y: &[f64], points: usize, ratio: f64) -> Vec<f64> {
    let lmax = x.apply_t(y).iter().fold(0.0f64, |m, v| m.max(v.abs())) / x.n as f64;
    let lmax = if lmax > 0.0 { lmax } else { 1.0 };
    (0..points)
        .map(|i| {
            let t = if points == 1 { 0.0 } else { i as f64 / (points - 1) as f64 };
            lmax * ratio.powf(t)
        })
        .collect()
}

/// The Lasso at every λ of `lambdas` (descending), warm-started: the coefficients per λ and the passes made.
/// Once the residual is below 0.1 % of ‖y‖² (glmnet's saturation rule) the smaller λ keep the last solution.
pub fn lasso_path(x: &Design, y: &[f64], lambdas: &[f64], opts: CdOptions) -> (Vec<Vec<f64>>, usize) {
    path_with(x, y, lambdas, opts, true)
}

/// [`lasso_path`] without the saturation rule: every λ solved (scikit-learn's `lasso_path`, for the
/// benchmark's comparison).
pub fn lasso_path_full(x: &Design, y: &[f64], lambdas: &[f64], opts: CdOptions) -> (Vec<Vec<f64>>, usize) {
    path_with(x, y, lambdas, opts, false)
}

fn path_with(x: &Design, y: &[f64], lambdas: &[f64], opts: CdOptions, saturate: bool) -> (Vec<Vec<f64>>, usize) {
    if x.n > x.d {
        return gram_path(x, y, lambdas, opts, saturate);
    }
    let sq: Vec<f64> = (0..x.d).map(|j| dot(x.col(j), x.col(j))).collect();
    let mut w = vec![0.0; x.d];
    let mut r = y.to_vec();
    let mut passes = 0;
    let yy = dot(y, y);
    let mut coefs: Vec<Vec<f64>> = Vec::with_capacity(lambdas.len());
    for &l in lambdas {
        // glmnet's rule: once the fit explains 99.9 % of ‖y‖² the path is saturated (below N < d it would
        // only crawl towards interpolation); the smaller λ keep the last coefficients.
        if saturate && coefs.last().is_some() && dot(&r, &r) < 1e-3 * yy {
            coefs.push(w.clone());
            continue;
        }
        passes += lasso_cd(x, y, l, &mut w, &mut r, &sq, opts);
        coefs.push(w.clone());
    }
    (coefs, passes)
}

/// The path with more rows than columns (scikit-learn's `precompute='auto'`): coordinate descent on the Gram
/// matrix G = XᵀX, keeping q = Xᵀr = Xᵀy − Gw, so an update costs O(d) instead of O(N). The same updates,
/// stopping rule and saturation rule as the residual form; ‖r‖², rᵀy and the dual norm come from q and w.
fn gram_path(x: &Design, y: &[f64], lambdas: &[f64], opts: CdOptions, saturate: bool) -> (Vec<Vec<f64>>, usize) {
    let d = x.d;
    let mut g = vec![0.0; d * d];
    for a in 0..d {
        for b in 0..=a {
            let v = dot(x.col(a), x.col(b));
            g[a * d + b] = v;
            g[b * d + a] = v;
        }
    }
    let xty = x.apply_t(y);
    let yy = dot(y, y);
    let mut q = xty.clone();
    let mut w = vec![0.0; d];
    let all: Vec<usize> = (0..d).collect();
    let mut passes = 0;
    // ‖r‖² = yᵀy − wᵀXᵀy − wᵀ(Xᵀy − Gw)... written with q: ‖r‖² = yᵀy − 2wᵀXᵀy + wᵀGw, Gw = Xᵀy − q.
    let rr = |w: &[f64], q: &[f64]| yy - 2.0 * dot(w, &xty) + (dot(w, &xty) - dot(w, q));
    let mut coefs: Vec<Vec<f64>> = Vec::with_capacity(lambdas.len());
    for &l in lambdas {
        if saturate && coefs.last().is_some() && rr(&w, &q) < 1e-3 * yy {
            coefs.push(w.clone());
            continue;
        }
        let alpha = l * x.n as f64;
        let mut done = false;
        while !done {
            let (dmax, wmax) = gram_pass(&g, d, &all, alpha, &mut w, &mut q);
            passes += 1;
            if (wmax == 0.0 || dmax <= opts.tol * wmax) || passes >= opts.max_passes {
                // The duality gap from q: r = y − Xw, Xᵀr = q.
                let dual_norm = q.iter().fold(0.0f64, |m, v| m.max(v.abs()));
                let s = if dual_norm > alpha { alpha / dual_norm } else { 1.0 };
                let r2 = rr(&w, &q).max(0.0);
                let ry = yy - dot(&w, &xty);
                let l1: f64 = w.iter().map(|v| v.abs()).sum();
                let gap = 0.5 * r2 + alpha * l1 - (s * ry - 0.5 * s * s * r2);
                if gap <= opts.tol * yy || passes >= opts.max_passes {
                    break;
                }
            }
            let active: Vec<usize> = (0..d).filter(|&j| w[j] != 0.0).collect();
            loop {
                let (dmax, wmax) = gram_pass(&g, d, &active, alpha, &mut w, &mut q);
                passes += 1;
                if dmax <= opts.tol * wmax || passes >= opts.max_passes {
                    done = passes >= opts.max_passes;
                    break;
                }
            }
        }
        coefs.push(w.clone());
    }
    (coefs, passes)
}

crate::cpu::widest! {
    /// One coordinate pass on the Gram form over `cols`: the largest change and the largest |w_j| seen.
    fn gram_pass<A>(g: &[f64], d: usize, cols: &[usize], alpha: f64, w: &mut [f64], q: &mut [f64]) -> (f64, f64) {
        let _ = std::marker::PhantomData::<A>;
        let (mut dmax, mut wmax) = (0.0f64, 0.0f64);
        for &j in cols {
            let gjj = g[j * d + j];
            if gjj == 0.0 {
                continue;
            }
            let old = w[j];
            let rho = q[j] + gjj * old;
            let new = soft(rho, alpha) / gjj;
            if new != old {
                axpy(q, &g[j * d..(j + 1) * d], old - new);
                w[j] = new;
            }
            dmax = dmax.max((new - old).abs());
            wmax = wmax.max(new.abs());
        }
        (dmax, wmax)
    }
}

/// A cross-validated Lasso fit: its path on the whole data and the CV curve.
#[derive(Debug, Clone, PartialEq)]
pub struct LassoFit {
    pub lambdas: Vec<f64>,
    /// Coefficients at each λ (the whole data).
    pub path: Vec<Vec<f64>>,
    /// Held-out mean squared error per λ: mean and standard error over the folds.
    pub cv_mean: Vec<f64>,
    pub cv_se: Vec<f64>,
    /// Index of the chosen λ (the smallest mean CV error).
    pub chosen: usize,
    /// Coordinate passes, all folds and the whole-data path together.
    pub passes: usize,
}

impl LassoFit {
    pub fn w(&self) -> &[f64] {
        &self.path[self.chosen]
    }
    pub fn lambda(&self) -> f64 {
        self.lambdas[self.chosen]
    }
}

/// The Lasso with λ chosen by `folds`-fold cross-validation on contiguous blocks of rows.
pub fn lasso_cv(x: &Design, y: &[f64], folds: usize, points: usize, ratio: f64, opts: CdOptions) -> Result<LassoFit> {
    let mut cv = LassoCv::new(x.clone(), y.to_vec(), folds, points, ratio, opts)?;
    while !cv.advance() {}
    Ok(cv.finish())
}

/// [`lasso_cv`] in resumable units: each [`LassoCv::advance`] runs one fold's path, or the whole data's path
/// last (a page step stays within its frame budget).
#[derive(Debug, Clone)]
pub struct LassoCv {
    x: Design,
    y: Vec<f64>,
    folds: usize,
    opts: CdOptions,
    lambdas: Vec<f64>,
    /// Held-out error per λ (rows) and fold (columns).
    errs: Vec<Vec<f64>>,
    next: usize,
    passes: usize,
    path: Option<Vec<Vec<f64>>>,
}

impl LassoCv {
    pub fn new(x: Design, y: Vec<f64>, folds: usize, points: usize, ratio: f64, opts: CdOptions) -> Result<Self> {
        if folds < 2 || x.n < folds {
            return Err(Error::Invalid {
                name: "folds",
                message: format!(
                    "{folds}-fold cross-validation needs at least {folds} samples and 2 folds, got N = {}",
                    x.n
                ),
            });
        }
        let lambdas = lambda_grid(&x, &y, points, ratio);
        Ok(Self { errs: vec![vec![0.0; folds]; points], x, y, folds, opts, lambdas, next: 0, passes: 0, path: None })
    }

    /// Runs the next unit; true once every fold and the whole data's path are done.
    pub fn advance(&mut self) -> bool {
        let (x, y, folds) = (&self.x, &self.y, self.folds);
        if self.next < folds {
            let f = self.next;
            let (lo, hi) = (f * x.n / folds, (f + 1) * x.n / folds);
            let train: Vec<usize> = (0..x.n).filter(|i| !(lo..hi).contains(i)).collect();
            let test: Vec<usize> = (lo..hi).collect();
            let (xt, yt) = (x.rows(&train), train.iter().map(|&i| y[i]).collect::<Vec<_>>());
            let (xv, yv) = (x.rows(&test), test.iter().map(|&i| y[i]).collect::<Vec<_>>());
            let (path, p) = lasso_path(&xt, &yt, &self.lambdas, self.opts);
            self.passes += p;
            for (l, w) in path.iter().enumerate() {
                let pred = xv.apply(w);
                self.errs[l][f] =
                    pred.iter().zip(&yv).map(|(a, b)| (a - b).powi(2)).sum::<f64>() / test.len().max(1) as f64;
            }
        } else if self.path.is_none() {
            let (path, p) = lasso_path(x, y, &self.lambdas, self.opts);
            self.passes += p;
            self.path = Some(path);
        }
        self.next += 1;
        self.path.is_some()
    }

    /// The fit, once [`LassoCv::advance`] said done.
    pub fn finish(self) -> LassoFit {
        let folds = self.folds;
        let cv_mean: Vec<f64> = self.errs.iter().map(|e| e.iter().sum::<f64>() / folds as f64).collect();
        let cv_se: Vec<f64> = self
            .errs
            .iter()
            .zip(&cv_mean)
            .map(|(e, m)| (e.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (folds * (folds - 1)) as f64).sqrt())
            .collect();
        let chosen = (0..cv_mean.len()).min_by(|&a, &b| cv_mean[a].total_cmp(&cv_mean[b])).unwrap_or(0);
        LassoFit {
            lambdas: self.lambdas,
            path: self.path.unwrap_or_default(),
            cv_mean,
            cv_se,
            chosen,
            passes: self.passes,
        }
    }
}

/// Least squares on the columns `support`, by Cholesky of their Gram matrix; `None` when it is singular.
pub fn refit(x: &Design, y: &[f64], support: &[usize]) -> Option<Vec<f64>> {
    let s = support.len();
    let mut g = vec![0.0; s * s];
    let mut b = vec![0.0; s];
    for (a, &ja) in support.iter().enumerate() {
        b[a] = dot(x.col(ja), y);
        for (c, &jc) in support.iter().enumerate().take(a + 1) {
            let v = dot(x.col(ja), x.col(jc));
            g[a * s + c] = v;
            g[c * s + a] = v;
        }
    }
    let coef = cholesky_solve(&mut g, &mut b, s)?;
    let mut w = vec![0.0; x.d];
    support.iter().zip(coef).for_each(|(&j, c)| w[j] = c);
    Some(w)
}

/// Solves G c = b (G symmetric s × s, overwritten by its factor); `None` when a pivot is not positive
/// (relative to G's diagonal, 1e-12).
fn cholesky_solve(g: &mut [f64], b: &mut [f64], s: usize) -> Option<Vec<f64>> {
    let scale = (0..s).map(|i| g[i * s + i]).fold(0.0, f64::max);
    for i in 0..s {
        for j in 0..=i {
            let mut v = g[i * s + j];
            for k in 0..j {
                v -= g[i * s + k] * g[j * s + k];
            }
            if i == j {
                if v <= 1e-12 * scale || !v.is_finite() {
                    return None;
                }
                g[i * s + i] = v.sqrt();
            } else {
                g[i * s + j] = v / g[j * s + j];
            }
        }
    }
    for i in 0..s {
        let v = b[i] - (0..i).map(|k| g[i * s + k] * b[k]).sum::<f64>();
        b[i] = v / g[i * s + i];
    }
    for i in (0..s).rev() {
        let v = b[i] - (i + 1..s).map(|k| g[k * s + i] * b[k]).sum::<f64>();
        b[i] = v / g[i * s + i];
    }
    Some(b.to_vec())
}

/// Orthogonal matching pursuit to `k` atoms: the column most correlated with the residual (by
/// |x_jᵀr|/‖x_j‖) joins, then least squares on the chosen columns. Stops early when a refit is singular.
pub fn omp(x: &Design, y: &[f64], k: usize) -> Vec<f64> {
    let norms: Vec<f64> = (0..x.d).map(|j| dot(x.col(j), x.col(j)).sqrt()).collect();
    let mut support: Vec<usize> = Vec::with_capacity(k);
    let mut w = vec![0.0; x.d];
    let mut r = y.to_vec();
    for _ in 0..k.min(x.n) {
        let best = (0..x.d)
            .filter(|j| !support.contains(j) && norms[*j] > 0.0)
            .map(|j| (j, dot(x.col(j), &r).abs() / norms[j]))
            .max_by(|a, b| a.1.total_cmp(&b.1));
        let Some((j, _)) = best else { break };
        support.push(j);
        let Some(next) = refit(x, y, &support) else {
            support.pop();
            break;
        };
        w = next;
        let fit = x.apply(&w);
        r = y.iter().zip(&fit).map(|(a, b)| a - b).collect();
    }
    w
}

/// ‖X‖₂² by power iteration on XᵀX (60 steps from a fixed start).
pub fn spectral_norm_sq(x: &Design) -> f64 {
    let mut rng = crate::rng::SplitMix64::new(0x5EC7_0001);
    let mut v: Vec<f64> = (0..x.d).map(|_| rng.normal()).collect();
    let mut est = 0.0;
    for _ in 0..60 {
        let nv = dot(&v, &v).sqrt();
        if nv == 0.0 {
            return 0.0;
        }
        v.iter_mut().for_each(|a| *a /= nv);
        let u = x.apply(&v);
        v = x.apply_t(&u);
        est = dot(&u, &u);
    }
    est
}

/// The `k` largest |v_j| kept, the rest zeroed.
fn hard_threshold(v: &mut [f64], k: usize) {
    if k >= v.len() {
        return;
    }
    let mut idx: Vec<usize> = (0..v.len()).collect();
    idx.select_nth_unstable_by(k, |&a, &b| v[b].abs().total_cmp(&v[a].abs()).then(a.cmp(&b)));
    for &j in &idx[k..] {
        v[j] = 0.0;
    }
}

/// Normalized iterative hard thresholding to `k` nonzeros (Blumensath & Davies 2010): w ← H_k(w + μ g),
/// g = Xᵀ(y − Xw), with the step μ = ‖g_S‖²/‖X g_S‖² exact along the gradient on the current support S, halved
/// while the support changes and μ > 0.99‖Δw‖²/‖XΔw‖² (their safeguard); at most `max_iter` steps or until a
/// step changes w by less than 1e-10 relative; then least squares on the support.
pub fn iht(x: &Design, y: &[f64], k: usize, max_iter: usize) -> Vec<f64> {
    let mut w = vec![0.0; x.d];
    let mut g = x.apply_t(y);
    let mut support = {
        let mut h = g.clone();
        hard_threshold(&mut h, k);
        (0..x.d).filter(|&j| h[j] != 0.0).collect::<Vec<_>>()
    };
    for _ in 0..max_iter {
        let mut gs = vec![0.0; x.d];
        support.iter().for_each(|&j| gs[j] = g[j]);
        let xg = x.apply(&gs);
        let (num, den) = (dot(&gs, &gs), dot(&xg, &xg));
        if num == 0.0 || den == 0.0 {
            break;
        }
        let mut mu = num / den;
        let mut next;
        loop {
            next = w.iter().zip(&g).map(|(a, b)| a + mu * b).collect::<Vec<_>>();
            hard_threshold(&mut next, k);
            let same = support.iter().all(|&j| next[j] != 0.0);
            if same {
                break;
            }
            let step: Vec<f64> = next.iter().zip(&w).map(|(a, b)| a - b).collect();
            let xs = x.apply(&step);
            let omega = 0.99 * dot(&step, &step) / dot(&xs, &xs).max(f64::MIN_POSITIVE);
            if mu <= omega || mu < 1e-300 {
                break;
            }
            mu /= 2.0;
        }
        let change = next.iter().zip(&w).map(|(a, b)| (a - b).powi(2)).sum::<f64>().sqrt();
        let size = dot(&next, &next).sqrt();
        w = next;
        support = (0..x.d).filter(|&j| w[j] != 0.0).collect();
        if change <= 1e-10 * size {
            break;
        }
        let fit = x.apply(&w);
        let r: Vec<f64> = y.iter().zip(&fit).map(|(a, b)| a - b).collect();
        g = x.apply_t(&r);
    }
    let support: Vec<usize> = (0..x.d).filter(|&j| w[j] != 0.0).collect();
    refit(x, y, &support).unwrap_or(w)
}

/// Phase 1 of the preconditioned Lasso: (FX, Fy) with F = U D⁻¹ Uᵀ from the thin SVD X = U D Vᵀ, so that
/// FX = U Vᵀ has every nonzero singular value 1. Singular values below 1e-12 of the largest are dropped;
/// the second value counts them.
pub fn puffer(x: &Design, y: &[f64]) -> Result<(Design, Vec<f64>, usize)> {
    let m = faer::Mat::<f64>::from_fn(x.n, x.d, |i, j| x.x[j * x.n + i]);
    let svd = m.thin_svd().map_err(|e| Error::Invalid { name: "X", message: format!("SVD failed: {e:?}") })?;
    let (u, s, v) = (svd.U(), svd.S().column_vector(), svd.V());
    let smax = (0..s.nrows()).map(|k| s[k]).fold(0.0, f64::max);
    if smax.is_nan() || smax <= 0.0 {
        return Err(Error::Invalid { name: "X", message: "the design is zero".into() });
    }
    let keep: Vec<usize> = (0..s.nrows()).filter(|&k| s[k] > 1e-12 * smax).collect();
    let mut fx = vec![0.0; x.n * x.d];
    for j in 0..x.d {
        for &k in &keep {
            let vjk = v[(j, k)];
            for i in 0..x.n {
                fx[j * x.n + i] += u[(i, k)] * vjk;
            }
        }
    }
    let mut fy = vec![0.0; x.n];
    for &k in &keep {
        let c = (0..x.n).map(|i| u[(i, k)] * y[i]).sum::<f64>() / s[k];
        (0..x.n).for_each(|i| fy[i] += c * u[(i, k)]);
    }
    crate::cpu::clear_upper_simd_state();
    Ok((Design { n: x.n, d: x.d, x: fx }, fy, s.nrows() - keep.len()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::SplitMix64;

    fn gaussian(n: usize, d: usize, seed: u64) -> Design {
        let mut rng = SplitMix64::new(seed);
        Design { n, d, x: (0..n * d).map(|_| rng.normal()).collect() }
    }

    #[test]
    fn coordinate_descent_meets_the_lasso_optimality_conditions() {
        // N < d: the residual form; N > d: the Gram form.
        for (n, d) in [(30, 50), (80, 20)] {
            let x = gaussian(n, d, 1);
            let mut rng = SplitMix64::new(2);
            let y: Vec<f64> = (0..n).map(|_| rng.normal()).collect();
            let lambdas = lambda_grid(&x, &y, 10, 1e-2);
            let opts = CdOptions { tol: 1e-12, max_passes: 100_000 };
            let (path, _) = lasso_path(&x, &y, &lambdas, opts);
            assert!(path[0].iter().all(|&v| v == 0.0), "λ_max gives w = 0");
            for (w, &l) in path.iter().zip(&lambdas) {
                let fit = x.apply(w);
                let r: Vec<f64> = y.iter().zip(&fit).map(|(a, b)| a - b).collect();
                let g: Vec<f64> = x.apply_t(&r).iter().map(|v| v / n as f64).collect();
                for j in 0..d {
                    if w[j] != 0.0 {
                        assert!((g[j] - l * w[j].signum()).abs() < 1e-6 * l, "{n}×{d}, active j {j}: {} vs {l}", g[j]);
                    } else {
                        assert!(g[j].abs() <= l * (1.0 + 1e-6), "{n}×{d}, inactive j {j}: |{}| > {l}", g[j]);
                    }
                }
            }
            assert!(path.last().unwrap().iter().filter(|v| **v != 0.0).count() > 5, "small λ keeps many");
            // Without the saturation rule every λ is solved; the two agree where both solved.
            let (full, _) = lasso_path_full(&x, &y, &lambdas, opts);
            assert!(full[..3].iter().zip(&path[..3]).all(|(a, b)| a.iter().zip(b).all(|(p, q)| (p - q).abs() < 1e-9)));
        }
    }

    #[test]
    fn omp_and_iht_find_a_well_separated_support() {
        let x = gaussian(60, 100, 3);
        let mut w = vec![0.0; 100];
        for (j, v) in [(5, 2.0), (40, -1.5), (77, 1.0)] {
            w[j] = v;
        }
        let y = x.apply(&w);
        for (name, est) in [("omp", omp(&x, &y, 3)), ("iht", iht(&x, &y, 3, 2000))] {
            let err: f64 = est.iter().zip(&w).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
            assert!(err < 1e-9, "{name}: noiseless exact recovery: max error {err}");
        }
    }

    #[test]
    fn puffer_gives_unit_singular_values_and_keeps_the_solution_set() {
        let x = gaussian(20, 40, 4);
        let mut rng = SplitMix64::new(5);
        let w: Vec<f64> = (0..40).map(|_| rng.normal()).collect();
        let y = x.apply(&w);
        let (fx, fy, dropped) = puffer(&x, &y).unwrap();
        assert_eq!(dropped, 0);
        // FX (FX)ᵀ = I for N ≤ d.
        for a in 0..20 {
            for b in 0..20 {
                let v: f64 = (0..40).map(|j| fx.x[j * 20 + a] * fx.x[j * 20 + b]).sum();
                assert!((v - f64::from(u8::from(a == b))).abs() < 1e-10, "({a},{b}) = {v}");
            }
        }
        // Xw = y ⇔ FXw = Fy: F is invertible on the row space.
        let fw = fx.apply(&w);
        assert!(fw.iter().zip(&fy).all(|(a, b)| (a - b).abs() < 1e-9));
    }

    #[test]
    fn cross_validation_picks_an_interior_lambda_and_beats_zero() {
        let x = gaussian(80, 60, 6);
        let mut w = vec![0.0; 60];
        w[3] = 1.0;
        w[30] = -1.0;
        let mut rng = SplitMix64::new(7);
        let y: Vec<f64> = x.apply(&w).iter().map(|v| v + 0.1 * rng.normal()).collect();
        let fit = lasso_cv(&x, &y, 5, 30, 1e-3, CdOptions::default()).unwrap();
        assert!(fit.chosen > 0 && fit.chosen < 29, "chosen {}", fit.chosen);
        assert!(x.prediction_error(fit.w(), &w) < 0.01, "{}", x.prediction_error(fit.w(), &w));
        assert!(matches!(
            lasso_cv(&x.rows(&[0, 1]), &y[..2], 5, 30, 1e-3, CdOptions::default()),
            Err(Error::Invalid { .. })
        ));
    }
}
