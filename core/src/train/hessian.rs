//! Hessian tools on any Hessian-vector product (PyHessian's methods): top eigenvalue by power iteration,
//! trace by Hutchinson's estimator with Rademacher probes, the spectral density by stochastic Lanczos
//! quadrature, and the full Hessian (P products with the unit vectors) for small nets — the ground truth the
//! estimators are tested against and what the sparsity heatmap draws.

use faer::Mat;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::rng::SplitMix64;

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn normalise(v: &mut [f64]) -> f64 {
    let n = dot(v, v).sqrt();
    if n > 0.0 {
        v.iter_mut().for_each(|x| *x /= n);
    }
    n
}

/// The eigenvalue of largest magnitude by power iteration from a seeded random start: stops when two
/// successive Rayleigh quotients differ by less than `rtol` relative, or after `max_iter` products
/// (PyHessian: 100 iterations, rtol 1e-3). Returns (λ, products used).
pub fn top_eigenvalue(
    p: usize,
    mut hvp: impl FnMut(&[f64]) -> Vec<f64>,
    max_iter: usize,
    rtol: f64,
    seed: u64,
) -> (f64, usize) {
    let mut it = PowerIteration::new(p, max_iter, rtol, seed);
    loop {
        if let Some(done) = it.advance(&mut hvp) {
            return done;
        }
    }
}

/// [`top_eigenvalue`] one Hessian-vector product at a time (a page spreads it over frames).
pub struct PowerIteration {
    v: Vec<f64>,
    lambda: f64,
    k: usize,
    max_iter: usize,
    rtol: f64,
}

impl PowerIteration {
    pub fn new(p: usize, max_iter: usize, rtol: f64, seed: u64) -> Self {
        let mut rng = SplitMix64::new(seed);
        let mut v: Vec<f64> = (0..p).map(|_| rng.normal()).collect();
        normalise(&mut v);
        Self { v, lambda: 0.0, k: 0, max_iter: max_iter.max(1), rtol }
    }

    /// One product; (λ, products used) once it has converged or used `max_iter` products.
    pub fn advance(&mut self, mut hvp: impl FnMut(&[f64]) -> Vec<f64>) -> Option<(f64, usize)> {
        self.k += 1;
        let k = self.k;
        let mut w = hvp(&self.v);
        let next = dot(&self.v, &w);
        if normalise(&mut w) == 0.0 {
            return Some((0.0, k));
        }
        self.v = w;
        if k > 1 && (next - self.lambda).abs() <= self.rtol * next.abs().max(f64::MIN_POSITIVE) {
            return Some((next, k));
        }
        self.lambda = next;
        (k >= self.max_iter).then_some((next, k))
    }
}

/// Hutchinson's trace estimate (1/K) Σ zᵀHz over K Rademacher probes; returns (mean, standard error).
pub fn hutchinson_trace(p: usize, mut hvp: impl FnMut(&[f64]) -> Vec<f64>, probes: usize, seed: u64) -> (f64, f64) {
    let mut h = Hutchinson::new(p, probes, seed);
    loop {
        if let Some(done) = h.advance(&mut hvp) {
            return done;
        }
    }
}

/// [`hutchinson_trace`] one probe at a time.
pub struct Hutchinson {
    rng: SplitMix64,
    p: usize,
    probes: usize,
    samples: Vec<f64>,
}

impl Hutchinson {
    pub fn new(p: usize, probes: usize, seed: u64) -> Self {
        Self { rng: SplitMix64::new(seed), p, probes: probes.max(1), samples: Vec::new() }
    }

    /// One probe; (mean, standard error) after the last.
    pub fn advance(&mut self, mut hvp: impl FnMut(&[f64]) -> Vec<f64>) -> Option<(f64, f64)> {
        let z: Vec<f64> = (0..self.p).map(|_| if self.rng.next_u64() & 1 == 0 { 1.0 } else { -1.0 }).collect();
        self.samples.push(dot(&z, &hvp(&z)));
        if self.samples.len() < self.probes {
            return None;
        }
        let k = self.samples.len() as f64;
        let mean = self.samples.iter().sum::<f64>() / k;
        let var = if self.samples.len() > 1 {
            self.samples.iter().map(|s| (s - mean).powi(2)).sum::<f64>() / (k - 1.0)
        } else {
            0.0
        };
        Some((mean, (var / k).sqrt()))
    }
}

/// The full Hessian (p × p, row-major) from p products with the unit vectors, symmetrised.
pub fn full_hessian(p: usize, mut hvp: impl FnMut(&[f64]) -> Vec<f64>) -> Vec<f64> {
    let mut h = vec![0.0; p * p];
    let mut e = vec![0.0; p];
    for j in 0..p {
        e[j] = 1.0;
        let col = hvp(&e);
        e[j] = 0.0;
        for i in 0..p {
            h[i * p + j] = col[i];
        }
    }
    for i in 0..p {
        for j in 0..i {
            let s = 0.5 * (h[i * p + j] + h[j * p + i]);
            h[i * p + j] = s;
            h[j * p + i] = s;
        }
    }
    h
}

/// Eigenvalues of a symmetric matrix (n × n, row-major), ascending.
pub fn symmetric_eigenvalues(a: &[f64], n: usize) -> Result<Vec<f64>> {
    let m = Mat::from_fn(n, n, |i, j| a[i * n + j]);
    let eig = m
        .self_adjoint_eigenvalues(faer::Side::Lower)
        .map_err(|e| Error::Invalid { name: "H", message: format!("eigen-decomposition failed: {e:?}") })?;
    let mut v: Vec<f64> = eig.into_iter().collect();
    v.sort_by(f64::total_cmp);
    Ok(v)
}

/// A spectral density estimate: nodes θ and weights τ (Σ τ = 1), averaged over probes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Density {
    pub nodes: Vec<f64>,
    pub weights: Vec<f64>,
}

impl Density {
    /// The density smoothed by Gaussians of width `sigma` at `points`.
    pub fn smoothed(&self, points: &[f64], sigma: f64) -> Vec<f64> {
        let c = 1.0 / (sigma * (2.0 * std::f64::consts::PI).sqrt());
        points
            .iter()
            .map(|x| {
                self.nodes
                    .iter()
                    .zip(&self.weights)
                    .map(|(t, w)| w * c * (-(x - t).powi(2) / (2.0 * sigma * sigma)).exp())
                    .sum()
            })
            .collect()
    }
}

/// Stochastic Lanczos quadrature (Ghorbani, Krishnan & Xiao 2019): per Rademacher probe, `steps` Lanczos
/// steps with full reorthogonalisation, the tridiagonal T's eigenpairs (θ_k, u_k) give nodes θ_k with
/// weights u_k[0]².
pub fn slq_density(
    p: usize,
    mut hvp: impl FnMut(&[f64]) -> Vec<f64>,
    steps: usize,
    probes: usize,
    seed: u64,
) -> Result<Density> {
    let mut rng = SplitMix64::new(seed);
    let steps = steps.clamp(1, p);
    let mut nodes = Vec::new();
    let mut weights = Vec::new();
    for _ in 0..probes.max(1) {
        let mut q: Vec<f64> = (0..p).map(|_| if rng.next_u64() & 1 == 0 { 1.0 } else { -1.0 }).collect();
        normalise(&mut q);
        let mut basis: Vec<Vec<f64>> = vec![q];
        let (mut alpha, mut beta) = (Vec::new(), Vec::new());
        for k in 0..steps {
            let mut w = hvp(&basis[k]);
            let a = dot(&w, &basis[k]);
            alpha.push(a);
            for b in &basis {
                let c = dot(&w, b);
                w.iter_mut().zip(b).for_each(|(x, y)| *x -= c * y);
            }
            let nb = normalise(&mut w);
            if k + 1 == steps || nb < 1e-12 {
                break;
            }
            beta.push(nb);
            basis.push(w);
        }
        let m = alpha.len();
        let t = Mat::from_fn(m, m, |i, j| {
            if i == j {
                alpha[i]
            } else if i + 1 == j {
                beta[i]
            } else if j + 1 == i {
                beta[j]
            } else {
                0.0
            }
        });
        let eig = t
            .self_adjoint_eigen(faer::Side::Lower)
            .map_err(|e| Error::Invalid { name: "T", message: format!("eigen-decomposition failed: {e:?}") })?;
        let (s, u) = (eig.S().column_vector(), eig.U());
        for k in 0..m {
            nodes.push(s[k]);
            weights.push(u[(0, k)].powi(2) / probes.max(1) as f64);
        }
    }
    Ok(Density { nodes, weights })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fixed symmetric matrix with known spectrum: Q diag(λ) Qᵀ.
    fn matrix(p: usize) -> (Vec<f64>, Vec<f64>) {
        let lambdas: Vec<f64> = (0..p).map(|k| if k == 0 { 10.0 } else { 3.0 * (k as f64 / p as f64) - 1.0 }).collect();
        let mut rng = SplitMix64::new(1);
        let raw = Mat::from_fn(p, p, |_, _| rng.normal());
        let q = raw.qr().compute_Q();
        let mut h = vec![0.0; p * p];
        for i in 0..p {
            for j in 0..p {
                h[i * p + j] = (0..p).map(|k| q[(i, k)] * lambdas[k] * q[(j, k)]).sum();
            }
        }
        (h, lambdas)
    }

    fn product(h: &[f64], p: usize) -> impl FnMut(&[f64]) -> Vec<f64> + '_ {
        move |v: &[f64]| (0..p).map(|i| dot(&h[i * p..(i + 1) * p], v)).collect()
    }

    #[test]
    fn estimators_match_the_known_spectrum() {
        let p = 40;
        let (h, lambdas) = matrix(p);
        let (top, _) = top_eigenvalue(p, product(&h, p), 200, 1e-10, 3);
        assert!((top - 10.0).abs() < 1e-6, "{top}");
        let trace: f64 = lambdas.iter().sum();
        // Hutchinson with Rademacher probes has variance 2(‖H‖_F² − Σ H_ii²) per probe: the bound comes from
        // the known matrix, not from the estimator's own spread (which a broken estimator would share).
        let probes = 2000;
        let frobenius: f64 = lambdas.iter().map(|l| l * l).sum();
        let diagonal: f64 = (0..p).map(|i| h[i * p + i] * h[i * p + i]).sum();
        let sd = (2.0 * (frobenius - diagonal) / probes as f64).sqrt();
        let (est, se) = hutchinson_trace(p, product(&h, p), probes, 5);
        assert!((est - trace).abs() < 5.0 * sd, "{est} vs {trace} (5 sd = {})", 5.0 * sd);
        assert!((se / sd - 1.0).abs() < 0.2, "the reported standard error {se} vs the true {sd}");
        let full = full_hessian(p, product(&h, p));
        let eig = symmetric_eigenvalues(&full, p).unwrap();
        let mut sorted = lambdas.clone();
        sorted.sort_by(f64::total_cmp);
        assert_eq!(eig.len(), p, "every eigenvalue");
        for (a, b) in eig.iter().zip(&sorted) {
            assert!((a - b).abs() < 1e-9);
        }
        // SLQ with as many steps as dimensions is exact: its nodes contain the spectrum, weights sum to 1,
        // and the mean Σ τ θ estimates tr(H)/p.
        let d = slq_density(p, product(&h, p), p, 20, 7).unwrap();
        assert!((d.weights.iter().sum::<f64>() - 1.0).abs() < 1e-9);
        assert!(d.nodes.iter().any(|t| (t - 10.0).abs() < 1e-6));
        let mean: f64 = d.nodes.iter().zip(&d.weights).map(|(t, w)| t * w).sum();
        assert!((mean - trace / p as f64).abs() < 0.25, "{mean} vs {}", trace / p as f64);
    }

    /// SLQ with fewer Lanczos steps than dimensions (8 of 40), against the known spectrum: the nodes are
    /// Ritz values, inside [λmin, λmax]; the isolated top eigenvalue is found; the weights sum to 1; and the
    /// first two moments Σ w θ^k match tr(Hᵏ)/p within the probes' spread (Lanczos with s steps is exact for
    /// moments up to degree 2s − 1 per probe, so only the probes' randomness is left).
    #[test]
    fn slq_below_p_steps_matches_the_known_spectrum() {
        let p = 40;
        let (h, lambdas) = matrix(p);
        let (lo, hi) = lambdas.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &l| (a.min(l), b.max(l)));
        let probes = 400;
        let d = slq_density(p, product(&h, p), 8, probes, 11).unwrap();
        assert_eq!(d.nodes.len(), d.weights.len());
        assert!(!d.nodes.is_empty());
        assert!(d.nodes.iter().all(|t| *t >= lo - 1e-9 && *t <= hi + 1e-9), "a node outside the spectrum");
        assert!(d.nodes.iter().any(|t| (t - 10.0).abs() < 1e-6), "the top eigenvalue");
        assert!((d.weights.iter().sum::<f64>() - 1.0).abs() < 1e-9);
        for k in [1, 2] {
            let want: f64 = lambdas.iter().map(|l| l.powi(k)).sum::<f64>() / p as f64;
            let got: f64 = d.nodes.iter().zip(&d.weights).map(|(t, w)| w * t.powi(k)).sum();
            // A probe's quadratic form vᵀHᵏv/p with unit-norm Gaussian-like v has spread ≈ √(2/p)·rms(λᵏ).
            let rms = (lambdas.iter().map(|l| l.powi(2 * k)).sum::<f64>() / p as f64).sqrt();
            let bound = 5.0 * rms * (2.0 / p as f64).sqrt() / (probes as f64).sqrt();
            assert!((got - want).abs() < bound, "moment {k}: {got} vs {want} (bound {bound})");
        }
    }
}
