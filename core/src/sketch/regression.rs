//! Sketched least squares (docs/methods.md §2; Song, Ye, Yin, Zhang, "Sketching for ℓ∞ regression", ICML 2023):
//! the exact x* = argmin ‖Ax − b‖₂ by Householder QR (faer, f64), sketch-and-solve x′ = argmin ‖SAx − Sb‖₂,
//! and the per-trial metrics
//!   ε₂ = ‖A(x′ − x*)‖₂ / ‖Ax* − b‖₂,   ε∞ = √d ‖x′ − x*‖∞ / (‖Ax* − b‖₂ ‖A†‖),   spike = √d ‖e‖∞ / ‖e‖₂,
//! with e = x′ − x* and ‖A†‖ = 1/σ_min(A). Designs: b = A x_s + r, x_s ~ N(0, I), ‖r‖ = 1, r ⟂ range(A).

use faer::prelude::*;
use faer::Mat;
use serde::{Deserialize, Serialize};

use super::operators::Sketch;
use crate::error::{Error, Result};
use crate::rng::SplitMix64;

crate::choice! {
    /// The design matrix of a trial (`--design`).
    pub enum Design("design") {
        /// Orthonormalised Gaussian A (incoherent); r a projected Gaussian.
        Gaussian => "gaussian",
        /// A = [I_d; 0] (maximally coherent); r Gaussian on rows d+1..n.
        Coherent => "coherent",
        /// A = [I_d; 0]; r with 4 entries ±1 at random rows > d.
        Spiky => "spiky",
        /// Student-t (3 degrees of freedom) entries; r a projected Gaussian.
        Heavy => "heavy",
    }
}

/// A least-squares instance: A (n × d, row-major), b (n).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Instance {
    pub n: usize,
    pub d: usize,
    pub a: Vec<f64>,
    pub b: Vec<f64>,
}

fn to_mat(a: &[f64], rows: usize, cols: usize) -> Mat<f64> {
    Mat::from_fn(rows, cols, |i, j| a[i * cols + j])
}

/// r − Q Qᵀ r with Q an orthonormal basis of range(A), then scaled to unit norm.
fn orthogonal_unit(q: &Mat<f64>, mut r: Vec<f64>) -> Vec<f64> {
    let (n, d) = (q.nrows(), q.ncols());
    for k in 0..d {
        let c: f64 = (0..n).map(|i| q[(i, k)] * r[i]).sum();
        (0..n).for_each(|i| r[i] -= c * q[(i, k)]);
    }
    let norm = r.iter().map(|v| v * v).sum::<f64>().sqrt();
    r.iter().map(|v| v / norm).collect()
}

impl Instance {
    /// Draws a design of n × d with d < n.
    pub fn generate(design: Design, n: usize, d: usize, seed: u64) -> Result<Self> {
        if d == 0 {
            return Err(Error::TooSmall { name: "d", value: 0, min: 1 });
        }
        if d >= n {
            return Err(Error::Invalid {
                name: "d",
                message: format!("it must be below n = {n} (got {d}): the residual needs room"),
            });
        }
        let mut rng = SplitMix64::new(seed);
        let gaussian = |rng: &mut SplitMix64, len: usize| (0..len).map(|_| rng.normal()).collect::<Vec<f64>>();
        let (a, r) = match design {
            Design::Gaussian | Design::Heavy => {
                let raw: Vec<f64> = if design == Design::Gaussian {
                    gaussian(&mut rng, n * d)
                } else {
                    // Student-t(3) = N / √(χ²₃ / 3).
                    (0..n * d)
                        .map(|_| {
                            let z = rng.normal();
                            let chi: f64 = (0..3).map(|_| rng.normal().powi(2)).sum();
                            z / (chi / 3.0).sqrt()
                        })
                        .collect()
                };
                let q = to_mat(&raw, n, d).qr().compute_thin_Q();
                let a = if design == Design::Gaussian { (0..n * d).map(|k| q[(k / d, k % d)]).collect() } else { raw };
                (a, orthogonal_unit(&q, gaussian(&mut rng, n)))
            }
            Design::Coherent | Design::Spiky => {
                let mut a = vec![0.0; n * d];
                (0..d).for_each(|i| a[i * d + i] = 1.0);
                let mut r = vec![0.0; n];
                if design == Design::Coherent {
                    (d..n).for_each(|i| r[i] = rng.normal());
                } else {
                    let mut placed = 0;
                    while placed < 4.min(n - d) {
                        let i = d + (rng.next_u64() % (n - d) as u64) as usize;
                        if r[i] == 0.0 {
                            r[i] = if rng.uniform() < 0.5 { 1.0 } else { -1.0 };
                            placed += 1;
                        }
                    }
                }
                let norm = r.iter().map(|v| v * v).sum::<f64>().sqrt();
                (a, r.into_iter().map(|v| v / norm).collect())
            }
        };
        let xs = gaussian(&mut rng, d);
        let b = (0..n).map(|i| (0..d).map(|j| a[i * d + j] * xs[j]).sum::<f64>() + r[i]).collect();
        Ok(Self { n, d, a, b })
    }
}

/// argmin ‖Ax − b‖₂ (rows × cols, rows ≥ cols) by QR. When A is rank-deficient (a diagonal of R below
/// 1e-12 of the largest) it returns the minimum-norm solution V Σ⁺ Uᵀ b from the SVD instead, and says so
/// in the second value (the UI and CLI warn).
pub fn lstsq(a: &[f64], b: &[f64], rows: usize, cols: usize) -> Result<(Vec<f64>, bool)> {
    crate::error::ensure_finite("A", a.iter().copied())?;
    crate::error::ensure_finite("b", b.iter().copied())?;
    let mat = to_mat(a, rows, cols);
    let qr = mat.qr();
    let r = qr.thin_R();
    let scale = (0..cols).map(|k| r[(k, k)].abs()).fold(0.0, f64::max);
    if (0..cols).all(|k| r[(k, k)].abs() > 1e-12 * scale.max(f64::MIN_POSITIVE)) {
        let x = qr.solve_lstsq(to_mat(b, rows, 1));
        return Ok(((0..cols).map(|k| x[(k, 0)]).collect(), false));
    }
    let svd = mat.thin_svd().map_err(|e| Error::Invalid { name: "A", message: format!("SVD failed: {e:?}") })?;
    let (u, sv, v) = (svd.U(), svd.S().column_vector(), svd.V());
    let smax = (0..sv.nrows()).map(|k| sv[k]).fold(0.0, f64::max);
    let mut x = vec![0.0; cols];
    for k in 0..sv.nrows() {
        if sv[k] > 1e-12 * smax {
            let coef = (0..rows).map(|i| u[(i, k)] * b[i]).sum::<f64>() / sv[k];
            (0..cols).for_each(|j| x[j] += coef * v[(j, k)]);
        }
    }
    Ok((x, true))
}

/// ‖A†‖₂ = 1 / σ_min⁺(A), the smallest singular value above 1e-12 of the largest (from A's R factor).
pub fn pinv_norm(a: &[f64], rows: usize, cols: usize) -> Result<f64> {
    let r = to_mat(a, rows, cols).qr().thin_R().to_owned();
    let s = r.singular_values().map_err(|e| Error::Invalid { name: "A", message: format!("SVD failed: {e:?}") })?;
    let smax = s.iter().copied().fold(0.0, f64::max);
    if smax == 0.0 {
        return Err(Error::Invalid { name: "A", message: "it is zero".into() });
    }
    let smin = s.iter().copied().filter(|&v| v > 1e-12 * smax).fold(f64::INFINITY, f64::min);
    Ok(1.0 / smin)
}

/// One trial's errors.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TrialMetrics {
    pub eps2: f64,
    pub epsinf: f64,
    pub spike: f64,
    /// ‖Ax′ − b‖₂ / ‖Ax* − b‖₂ (≥ 1; √(1 + ε₂²) when the residual is orthogonal to range(A)).
    pub residual_ratio: f64,
    /// SA was rank-deficient: x′ is the minimum-norm solution.
    pub rank_deficient: bool,
}

/// The exact solution of an instance with what the metrics need.
#[derive(Debug, Clone)]
pub struct Exact {
    pub x: Vec<f64>,
    pub residual_norm: f64,
    pub pinv_norm: f64,
    /// A is rank-deficient: x is the minimum-norm solution and ‖A†‖ uses the smallest nonzero σ.
    pub rank_deficient: bool,
}

impl Exact {
    pub fn new(inst: &Instance) -> Result<Self> {
        let (x, rank_deficient) = lstsq(&inst.a, &inst.b, inst.n, inst.d)?;
        let residual_norm = inst.residual_norm(&x);
        let b_norm = inst.b.iter().map(|v| v * v).sum::<f64>().sqrt();
        if residual_norm <= 1e-12 * b_norm {
            return Err(Error::Invalid {
                name: "b",
                message: "it lies in range(A) (zero residual up to rounding): ε₂ and ε∞ divide by ‖Ax* − b‖ and are undefined".into(),
            });
        }
        Ok(Self { x, residual_norm, pinv_norm: pinv_norm(&inst.a, inst.n, inst.d)?, rank_deficient })
    }
}

impl Instance {
    /// A user's A (n × d, row-major) and b, checked: sizes, d ≤ n, finite entries.
    pub fn from_data(a: Vec<f64>, b: Vec<f64>, n: usize, d: usize) -> Result<Self> {
        if n == 0 || d == 0 {
            return Err(Error::TooSmall { name: if n == 0 { "n" } else { "d" }, value: 0, min: 1 });
        }
        if a.len() != n * d {
            return Err(Error::ShapeMismatch { name: "A", got: a.len(), want: n * d });
        }
        if b.len() != n {
            return Err(Error::ShapeMismatch { name: "b", got: b.len(), want: n });
        }
        if d > n {
            return Err(Error::TooBig { name: "d", value: d as i64, max: n as i64 });
        }
        crate::error::ensure_finite("A", a.iter().copied())?;
        crate::error::ensure_finite("b", b.iter().copied())?;
        Ok(Self { n, d, a, b })
    }

    /// ‖Ax − b‖₂.
    pub fn residual_norm(&self, x: &[f64]) -> f64 {
        let d = self.d;
        (0..self.n).map(|i| (dot(&self.a[i * d..(i + 1) * d], x) - self.b[i]).powi(2)).sum::<f64>().sqrt()
    }

    /// [A | b] (n × (d + 1), row-major): one sketch of it gives SA and Sb together.
    pub fn augmented(&self) -> Vec<f64> {
        let d = self.d;
        let mut ab = Vec::with_capacity(self.n * (d + 1));
        for i in 0..self.n {
            ab.extend_from_slice(&self.a[i * d..(i + 1) * d]);
            ab.push(self.b[i]);
        }
        ab
    }
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Splits a sketched [A | b] (m × (d + 1)) into SA (m × d) and Sb (m).
pub fn split_augmented(s: &[f64], m: usize, d: usize) -> (Vec<f64>, Vec<f64>) {
    let sa = (0..m).flat_map(|i| s[i * (d + 1)..i * (d + 1) + d].iter().copied()).collect();
    let sb = (0..m).map(|i| s[i * (d + 1) + d]).collect();
    (sa, sb)
}

/// The metrics of an estimate x′ against `exact`.
pub fn metrics(inst: &Instance, exact: &Exact, x: &[f64], rank_deficient: bool) -> TrialMetrics {
    let (n, d) = (inst.n, inst.d);
    let e: Vec<f64> = x.iter().zip(&exact.x).map(|(p, q)| p - q).collect();
    let ae = (0..n).map(|i| dot(&inst.a[i * d..(i + 1) * d], &e).powi(2)).sum::<f64>().sqrt();
    let e_inf = e.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let e_2 = e.iter().map(|v| v * v).sum::<f64>().sqrt();
    let sqrt_d = (d as f64).sqrt();
    TrialMetrics {
        eps2: ae / exact.residual_norm,
        epsinf: sqrt_d * e_inf / (exact.residual_norm * exact.pinv_norm),
        spike: if e_2 > 0.0 { sqrt_d * e_inf / e_2 } else { 1.0 },
        residual_ratio: inst.residual_norm(x) / exact.residual_norm,
        rank_deficient,
    }
}

/// Sketch-and-solve from a sketched [A | b] (m × (d + 1), from the CPU or the GPU): x′ = argmin ‖SAx − Sb‖
/// and its metrics. m < d is a typed error (SA would be rank-deficient for sure).
pub fn solve_sketched(inst: &Instance, exact: &Exact, sketched: &[f64], m: usize) -> Result<(Vec<f64>, TrialMetrics)> {
    let d = inst.d;
    if m < d {
        return Err(Error::TooSmall { name: "m", value: m as i64, min: d as i64 });
    }
    let (sa, sb) = split_augmented(sketched, m, d);
    let (x, rank_deficient) = lstsq(&sa, &sb, m, d)?;
    let t = metrics(inst, exact, &x, rank_deficient);
    Ok((x, t))
}

/// Sketch-and-solve with `sketch` (applied on the CPU) and the metrics of its solution against `exact`.
pub fn sketch_and_solve(inst: &Instance, exact: &Exact, sketch: &Sketch) -> Result<TrialMetrics> {
    let s = sketch.apply(&inst.augmented(), inst.d + 1)?;
    Ok(solve_sketched(inst, exact, &s, sketch.m)?.1)
}

/// The q-quantile (0 ≤ q ≤ 1) of `values` by linear interpolation.
pub fn quantile(values: &[f64], q: f64) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    if v.is_empty() {
        return f64::NAN;
    }
    let pos = q.clamp(0.0, 1.0) * (v.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    v[lo] + (v[hi] - v[lo]) * (pos - lo as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sketch::operators::SketchKind;

    #[test]
    fn designs_have_unit_residual_orthogonal_to_range() {
        for design in Design::ALL {
            let inst = Instance::generate(design, 200, 5, 3).unwrap();
            let exact = Exact::new(&inst).unwrap();
            // b = A x_s + r with r ⟂ range(A), ‖r‖ = 1: the exact residual is r itself.
            assert!((exact.residual_norm - 1.0).abs() < 1e-10, "{design}: {}", exact.residual_norm);
        }
    }

    #[test]
    fn the_full_gaussian_sketch_at_m_equal_n_is_a_rotation_in_distribution_and_exact_sketches_give_zero_error() {
        let inst = Instance::generate(Design::Gaussian, 64, 4, 1).unwrap();
        let exact = Exact::new(&inst).unwrap();
        // SRHT with m = n (a power of two) is orthogonal: sketch-and-solve is exact.
        let sk = Sketch::new(SketchKind::Srht, 64, 64, 1, 9).unwrap();
        let t = sketch_and_solve(&inst, &exact, &sk).unwrap();
        assert!(t.eps2 < 1e-10 && t.epsinf < 1e-10, "{t:?}");
    }

    #[test]
    fn rank_deficiency_and_bad_sizes_are_typed_errors() {
        // Rank 1: columns (1,2,3) and 2×(1,2,3); b = (1,2,3) → min-norm x ∝ (1, 2), with x₁ + 2x₂ = 1.
        let a = vec![1.0, 2.0, 2.0, 4.0, 3.0, 6.0];
        let (x, deficient) = lstsq(&a, &[1.0, 2.0, 3.0], 3, 2).unwrap();
        assert!(deficient);
        assert!((x[0] - 0.2).abs() < 1e-12 && (x[1] - 0.4).abs() < 1e-12, "{x:?}");
        // A rank-deficient A is a warning, not an error: the minimum-norm x*, ‖A†‖ from the nonzero σ.
        let inst = Instance::from_data(a.clone(), vec![1.0, 0.0, 0.0], 3, 2).unwrap();
        let exact = Exact::new(&inst).unwrap();
        assert!(exact.rank_deficient && exact.pinv_norm.is_finite(), "{exact:?}");
        // b in range(A): ε₂ and ε∞ are undefined.
        let inst = Instance::from_data(a.clone(), vec![1.0, 2.0, 3.0], 3, 2).unwrap();
        assert!(matches!(Exact::new(&inst), Err(Error::Invalid { name: "b", .. })));
        assert!(matches!(Instance::from_data(a.clone(), vec![1.0; 3], 2, 3), Err(Error::ShapeMismatch { .. })));
        assert!(matches!(
            Instance::from_data(vec![1.0, f64::NAN, 0.0], vec![1.0; 3], 3, 1),
            Err(Error::NonFinite { name: "A", .. })
        ));
        assert!(matches!(Instance::from_data(vec![1.0; 6], vec![1.0; 2], 2, 3), Err(Error::TooBig { name: "d", .. })));
        assert!(Instance::generate(Design::Gaussian, 4, 4, 0).is_err());
        assert!(lstsq(&[f64::NAN, 1.0], &[1.0, 1.0], 2, 1).is_err());
        assert_eq!(quantile(&[3.0, 1.0, 2.0], 0.5), 2.0);
    }
}

/// What sketch-and-precondition returns: x, LSQR's iterations and its residual history ‖Ax_k − b‖₂.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Preconditioned {
    pub x: Vec<f64>,
    pub iterations: usize,
    pub residuals: Vec<f64>,
}

/// Sketch-and-precondition (Blendenpik, Avron et al. 2010; LSRN, Meng et al. 2014): R from the QR of SA,
/// then LSQR (Paige & Saunders 1982) on min ‖(AR⁻¹)y − b‖₂, x = R⁻¹y. AR⁻¹ is well conditioned for any
/// subspace embedding, so LSQR converges in a few iterations to x* itself, whatever the sketch.
/// Stops when the normal-equation residual ‖(AR⁻¹)ᵀr‖ ≤ tol·‖AR⁻¹‖·‖r‖ (‖AR⁻¹‖ ≈ 1), or after
/// `max_iter` iterations. A rank-deficient SA cannot precondition: a typed error says to raise m.
pub fn sketch_and_precondition(inst: &Instance, sketch: &Sketch, tol: f64, max_iter: usize) -> Result<Preconditioned> {
    let sa = sketch.apply(&inst.a, inst.d)?;
    let sb = sketch.apply(&inst.b, 1)?;
    precondition_with(inst, &sa, Some(&sb), sketch.m, tol, max_iter)
}

/// Sketch-and-precondition from a given SA (m × d; from the CPU, or f32 from the GPU: R only has to make
/// AR⁻¹ well conditioned, LSQR runs in f64 on A itself and still reaches x*). With Sb, LSQR starts from the
/// sketch-and-solve x₀ = argmin ‖SAx − Sb‖ (from the same QR) and solves for the correction: it starts
/// ‖x₀ − x*‖ ≈ ε‖r*‖‖A†‖ away instead of ‖x*‖, a few iterations fewer when b is mostly in range(A).
pub fn precondition_with(
    inst: &Instance,
    sa: &[f64],
    sb: Option<&[f64]>,
    m: usize,
    tol: f64,
    max_iter: usize,
) -> Result<Preconditioned> {
    let (n, d) = (inst.n, inst.d);
    if m < d {
        return Err(Error::TooSmall { name: "m", value: m as i64, min: d as i64 });
    }
    let qr = to_mat(sa, m, d).qr();
    let r_mat = qr.thin_R().to_owned();
    let r: Vec<f64> = (0..d * d).map(|k| if k % d >= k / d { r_mat[(k / d, k % d)] } else { 0.0 }).collect();
    let scale = (0..d).map(|k| r[k * d + k].abs()).fold(0.0, f64::max);
    if (0..d).any(|k| r[k * d + k].abs() <= 1e-12 * scale.max(f64::MIN_POSITIVE)) {
        return Err(Error::RankDeficient { rows: m, cols: d });
    }
    // R⁻¹y by back substitution, R⁻ᵀz by forward substitution.
    let r_inv = |y: &[f64]| {
        let mut x = y.to_vec();
        for i in (0..d).rev() {
            let s: f64 = (i + 1..d).map(|j| r[i * d + j] * x[j]).sum();
            x[i] = (x[i] - s) / r[i * d + i];
        }
        x
    };
    let r_inv_t = |z: &[f64]| {
        let mut x = z.to_vec();
        for i in 0..d {
            let s: f64 = (0..i).map(|j| r[j * d + i] * x[j]).sum();
            x[i] = (x[i] - s) / r[i * d + i];
        }
        x
    };
    // One pass over A per iteration: the fused pass gives p = A z and q = Aᵀp together (z = R⁻¹v), so
    // M v = p and Aᵀu_{k+1} = (q − α Aᵀu_k)/β follows from Aᵀu_k, carried along as t (d entries).
    let a = &inst.a;
    let norm = |v: &[f64]| v.iter().map(|x| x * x).sum::<f64>().sqrt();

    // x₀ and, in one pass, r₀ = b − Ax₀ with Aᵀr₀.
    let x0 = match sb {
        Some(sb) if sb.len() == m => {
            let x = qr.solve_lstsq(to_mat(sb, m, 1));
            (0..d).map(|k| x[(k, 0)]).collect()
        }
        Some(sb) => return Err(Error::ShapeMismatch { name: "Sb", got: sb.len(), want: m }),
        None => vec![0.0; d],
    };
    let b = &inst.b;
    let (mut u, mut t) = crate::cpu::fused::row_pass(a, &x0, n, d, |i, ax| b[i] - ax);
    let mut beta = norm(&u);
    if beta == 0.0 {
        return Ok(Preconditioned { x: x0, iterations: 0, residuals: vec![0.0] });
    }
    u.iter_mut().for_each(|x| *x /= beta);
    t.iter_mut().for_each(|x| *x /= beta);
    let mut v = r_inv_t(&t);
    let mut alpha = norm(&v);
    v.iter_mut().for_each(|x| *x /= alpha);
    let mut w = v.clone();
    let mut y = vec![0.0; d];
    let (mut phi_bar, mut rho_bar) = (beta, alpha);
    let mut residuals = vec![phi_bar];
    let mut iterations = 0;
    while iterations < max_iter && alpha > 0.0 {
        iterations += 1;
        let (p, q) = crate::cpu::fused::row_pass(a, &r_inv(&v), n, d, |_, az| az);
        u.iter_mut().zip(&p).for_each(|(ui, pi)| *ui = pi - alpha * *ui);
        beta = norm(&u);
        if beta > 0.0 {
            u.iter_mut().for_each(|x| *x /= beta);
            t.iter_mut().zip(&q).for_each(|(ti, qi)| *ti = (qi - alpha * *ti) / beta);
        }
        let mtu = r_inv_t(&t);
        v.iter_mut().zip(&mtu).for_each(|(vi, m)| *vi = m - beta * *vi);
        alpha = norm(&v);
        if alpha > 0.0 {
            v.iter_mut().for_each(|x| *x /= alpha);
        }
        let rho = rho_bar.hypot(beta);
        let (c, s) = (rho_bar / rho, beta / rho);
        let theta = s * alpha;
        rho_bar = -c * alpha;
        let phi = c * phi_bar;
        phi_bar *= s;
        y.iter_mut().zip(&w).for_each(|(yi, wi)| *yi += phi / rho * wi);
        w.iter_mut().zip(&v).for_each(|(wi, vi)| *wi = vi - theta / rho * *wi);
        residuals.push(phi_bar);
        // ‖(AR⁻¹)ᵀ r‖ = φ̄ α |c| and ‖r‖ = φ̄: the relative normal-equation residual is α |c|.
        if alpha * c.abs() <= tol {
            break;
        }
    }
    let dx = r_inv(&y);
    Ok(Preconditioned { x: x0.iter().zip(&dx).map(|(a, b)| a + b).collect(), iterations, residuals })
}

/// Randomized SVD (Halko, Martinsson & Tropp, "Finding structure with randomness", 2011): a Gaussian test
/// matrix Ω (cols × (k + p), Philox-drawn from `seed`), Y = (AAᵀ)^q AΩ with a QR after every product
/// (power iterations, for slowly decaying spectra), Q = orth(Y), then the SVD of the small B = QᵀA.
/// Returns the top k singular values of A (rows × cols, row-major), largest first.
pub fn randomized_svd(
    a: &[f64],
    rows: usize,
    cols: usize,
    k: usize,
    oversample: usize,
    power: usize,
    seed: u64,
) -> Result<Vec<f64>> {
    if a.len() != rows * cols {
        return Err(Error::ShapeMismatch { name: "A", got: a.len(), want: rows * cols });
    }
    crate::error::ensure_finite("A", a.iter().copied())?;
    let l = (k + oversample).min(rows).min(cols);
    if k == 0 || k > l {
        return Err(Error::Invalid { name: "k", message: format!("it must lie in 1..={}, got {k}", rows.min(cols)) });
    }
    let mat = to_mat(a, rows, cols);
    let omega = Mat::from_fn(cols, l, |i, j| {
        let w = super::philox::words(seed, 6, (i * l + j) as u64);
        super::philox::normal(w[0], w[1])
    });
    let orth = |m: Mat<f64>| m.qr().compute_thin_Q();
    let mut q = orth(&mat * &omega);
    for _ in 0..power {
        let z = orth(mat.transpose() * &q);
        q = orth(&mat * &z);
    }
    let b = q.transpose() * &mat;
    let s = b.singular_values().map_err(|e| Error::Invalid { name: "A", message: format!("SVD failed: {e:?}") })?;
    let mut s: Vec<f64> = s.into_iter().collect();
    s.sort_by(|x, y| y.total_cmp(x));
    s.truncate(k);
    Ok(s)
}
