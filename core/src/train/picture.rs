//! What the training page's pictures show, computed from a trainer: the network's weights, the decision
//! boundary over the data's 2-D box, and the exact Hessian with its spectrum. No drawing here —
//! `regula_charts::train` draws them, for the page and for `regula train --png` alike.

use crate::train::hessian::{full_hessian, slq_density, symmetric_eigenvalues};
use crate::train::Trainer;
use crate::{Error, Result};

/// The network view: layer widths, each layer's (weight offset, bias offset, inputs, outputs), θ, and
/// the input features' names (empty when the inputs are not the named features).
#[derive(Debug, Clone, PartialEq)]
pub struct NetworkPicture {
    pub widths: Vec<usize>,
    pub layers: Vec<(usize, usize, usize, usize)>,
    pub theta: Vec<f64>,
    pub inputs: Vec<String>,
}

impl NetworkPicture {
    pub fn of(t: &Trainer) -> NetworkPicture {
        let arch = t.architecture();
        let features = &t.data().features;
        let inputs = (0..arch.inputs)
            .map(|k| if arch.inputs == features.len() { features[k].name().to_owned() } else { String::new() })
            .collect();
        NetworkPicture { widths: arch.widths(), layers: arch.layers(), theta: t.params().to_vec(), inputs }
    }
}

/// The decision boundary: the network's output on a `size × size` grid over the data's box (row 0 at
/// the top, y = hi; classification maps p(class 1) to 2p − 1, so 0 is the boundary), and the points
/// (x, y, class, held out for testing).
#[derive(Debug, Clone, PartialEq)]
pub struct BoundaryPicture {
    pub grid: Vec<f64>,
    pub size: usize,
    pub lo: (f64, f64),
    pub hi: (f64, f64),
    pub points: Vec<(f64, f64, usize, bool)>,
    pub regression: bool,
}

impl BoundaryPicture {
    /// `None` when the data have no 2-D points to draw over.
    pub fn of(t: &Trainer) -> Option<BoundaryPicture> {
        let d = t.data();
        if d.points.is_empty() {
            return None;
        }
        let (mut lo, mut hi) = ((f64::INFINITY, f64::INFINITY), (f64::NEG_INFINITY, f64::NEG_INFINITY));
        for p in d.points.chunks(2) {
            lo = (lo.0.min(p[0]), lo.1.min(p[1]));
            hi = (hi.0.max(p[0]), hi.1.max(p[1]));
        }
        let pad = 0.05 * (hi.0 - lo.0).max(hi.1 - lo.1).max(1e-9);
        let (lo, hi) = ((lo.0 - pad, lo.1 - pad), (hi.0 + pad, hi.1 + pad));
        let size = 48;
        let mut grid = Vec::with_capacity(size * size);
        for r in 0..size {
            for c in 0..size {
                let x = lo.0 + (c as f64 + 0.5) / size as f64 * (hi.0 - lo.0);
                let y = hi.1 - (r as f64 + 0.5) / size as f64 * (hi.1 - lo.1);
                let o = t.predict(&d.featurize(x, y));
                grid.push(if o.len() == 1 { o[0] } else { 2.0 * softmax1(&o) - 1.0 });
            }
        }
        let test: std::collections::HashSet<usize> = d.test.iter().copied().collect();
        let points = (0..d.rows())
            .map(|r| (d.points[2 * r], d.points[2 * r + 1], d.class.get(r).copied().unwrap_or(0), test.contains(&r)))
            .collect();
        Some(BoundaryPicture { grid, size, lo, hi, points, regression: d.classes == 0 })
    }
}

/// p(class 1) from two or more logits (the multiclass views colour by class 1 vs rest).
fn softmax1(o: &[f64]) -> f64 {
    let m = o.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let s: f64 = o.iter().map(|v| (v - m).exp()).sum();
    (o[1] - m).exp() / s
}

/// Largest network whose exact Hessian the view computes (p Hessian-vector products, p² numbers).
pub const MAX_HESSIAN_PARAMS: usize = 600;

/// The exact Hessian of the current training objective (p × p, row-major), its eigenvalues (ascending),
/// a smoothed stochastic-Lanczos density of them as (λ − λmin + 3σ, density), and the parameter index
/// where each layer starts (then p).
#[derive(Debug, Clone, PartialEq)]
pub struct HessianPicture {
    pub p: usize,
    pub h: Vec<f64>,
    pub eigenvalues: Vec<f64>,
    pub density: Vec<(f64, f64)>,
    pub layers: Vec<usize>,
}

impl HessianPicture {
    pub fn of(t: &Trainer) -> Result<HessianPicture> {
        let p = t.params().len();
        if p > MAX_HESSIAN_PARAMS {
            return Err(Error::Invalid {
                name: "hessian",
                message: format!(
                    "{p} parameters: the exact Hessian view is limited to {MAX_HESSIAN_PARAMS} (use a smaller net)"
                ),
            });
        }
        let h = full_hessian(p, |v| t.hessian_vector(v));
        let eigenvalues = symmetric_eigenvalues(&h, p)?;
        let dens = slq_density(p, |v| t.hessian_vector(v), 40.min(p), 4, 11)?;
        let (lo, hi) = (eigenvalues[0], eigenvalues[p - 1]);
        let sigma = ((hi - lo) / 60.0).max(1e-6);
        let xs: Vec<f64> = (0..200).map(|k| lo - 3.0 * sigma + (hi - lo + 6.0 * sigma) * k as f64 / 199.0).collect();
        let ys = dens.smoothed(&xs, sigma);
        let density = xs.iter().zip(ys).map(|(x, y)| (x - lo + 3.0 * sigma, y)).collect();
        let layers = t.architecture().layers().iter().map(|&(w, _, _, _)| w).chain(std::iter::once(p)).collect();
        Ok(HessianPicture { p, h, eigenvalues, density, layers })
    }
}
