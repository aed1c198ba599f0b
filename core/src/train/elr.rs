//! Early-learning regularization (Liu, Niles-Weed, Razavian & Fernandez-Granda, NeurIPS 2020, "Early-Learning
//! Regularization Prevents Memorization of Noisy Labels"): cross-entropy plus, per training example i,
//! λ·log(1 − ⟨p_i, t_i⟩), where p_i = softmax(z_i) and t_i is a running average of the network's own
//! (detached) predictions, t_i ← β t_i + (1 − β) p̂_i, updated each time i is in a batch. Early in training the
//! predictions follow the clean labels; the term pulls p_i towards t_i, so the network keeps predicting them
//! instead of memorising the noisy labels later. The paper's defaults: β = 0.7, λ = 3.

use serde::{Deserialize, Serialize};

/// ELR's two knobs.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Elr {
    /// Momentum β ∈ [0, 1) of the target estimate.
    pub beta: f64,
    /// Weight λ ≥ 0 of the regularizer.
    pub lambda: f64,
}

impl Default for Elr {
    fn default() -> Self {
        Self { beta: 0.7, lambda: 3.0 }
    }
}

/// softmax(z), stable.
pub fn softmax(z: &[f64]) -> Vec<f64> {
    let m = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let e: Vec<f64> = z.iter().map(|v| (v - m).exp()).collect();
    let s: f64 = e.iter().sum();
    e.into_iter().map(|v| v / s).collect()
}

/// Moves the target t towards the prediction softmax(z), as the paper's code does: p̂ clamped to
/// [1e-4, 1 − 1e-4] and renormalised, then t ← β t + (1 − β) p̂.
pub fn update_target(beta: f64, z: &[f64], t: &mut [f64]) {
    let p: Vec<f64> = softmax(z).into_iter().map(|v| v.clamp(1e-4, 1.0 - 1e-4)).collect();
    let s: f64 = p.iter().sum();
    t.iter_mut().zip(p).for_each(|(tk, pk)| *tk = beta * *tk + (1.0 - beta) * pk / s);
}

/// λ·log(1 − ⟨p, t⟩) with p = softmax(z), and its gradient with respect to the logits:
/// ∂/∂z_j = −λ p_j (t_j − ⟨p, t⟩)/(1 − ⟨p, t⟩).
pub fn term(lambda: f64, z: &[f64], t: &[f64]) -> (f64, Vec<f64>) {
    let p = softmax(z);
    let s: f64 = p.iter().zip(t).map(|(a, b)| a * b).sum();
    let gap = (1.0 - s).max(1e-12);
    let grad = p.iter().zip(t).map(|(pj, tj)| -lambda * pj * (tj - s) / gap).collect();
    (lambda * gap.ln(), grad)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_gradient_matches_finite_differences() {
        let z = [0.3, -1.2, 2.0, 0.1];
        let t = [0.1, 0.2, 0.6, 0.1];
        let (_, g) = term(3.0, &z, &t);
        for j in 0..4 {
            let h = 1e-6;
            let mut zp = z;
            zp[j] += h;
            let mut zm = z;
            zm[j] -= h;
            let fd = (term(3.0, &zp, &t).0 - term(3.0, &zm, &t).0) / (2.0 * h);
            assert!((fd - g[j]).abs() < 1e-6 * (1.0 + fd.abs()), "j = {j}: {fd} vs {}", g[j]);
        }
    }

    #[test]
    fn the_target_is_a_running_average_of_predictions() {
        let mut t = vec![0.0; 3];
        for _ in 0..200 {
            update_target(0.7, &[0.0, 0.0, 3.0], &mut t);
        }
        let p = softmax(&[0.0, 0.0, 3.0]);
        assert!(t.iter().zip(&p).all(|(a, b)| (a - b).abs() < 1e-3), "{t:?} vs {p:?}");
        assert!((t.iter().sum::<f64>() - 1.0).abs() < 1e-9);
    }
}
