//! The optimizers' update rules, defined once: the CPU trainer applies them in f64 here, and the GPU
//! kernels (`shaders/train/sgd_epoch.wgsl`, `layers.wgsl`) apply the same rules in f32 with Adam's
//! constants passed from [`ADAM`] by the host, so the two cannot drift apart.
//!
//! - SGD: θ ← θ − η g.
//! - Momentum (heavy ball): v ← βv + g, θ ← θ − η v.
//! - Adam (Kingma & Ba 2015): m ← β₁m + (1 − β₁)g, v ← β₂v + (1 − β₂)g², θ ← θ − η m̂/(√v̂ + ε) with the
//!   bias corrections m̂ = m/(1 − β₁ᵗ), v̂ = v/(1 − β₂ᵗ) at step t (counted from 1).

/// Adam's constants.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Adam {
    pub beta1: f64,
    pub beta2: f64,
    pub eps: f64,
}

/// The paper's defaults, used everywhere Adam runs.
pub const ADAM: Adam = Adam { beta1: 0.9, beta2: 0.999, eps: 1e-8 };

/// SGD's step.
pub fn sgd(theta: &mut [f64], g: &[f64], lr: f64) {
    theta.iter_mut().zip(g).for_each(|(t, gk)| *t -= lr * gk);
}

/// Momentum's step with velocity `v`.
pub fn momentum(theta: &mut [f64], v: &mut [f64], g: &[f64], lr: f64, beta: f64) {
    for ((t, v), gk) in theta.iter_mut().zip(v).zip(g) {
        *v = beta * *v + gk;
        *t -= lr * *v;
    }
}

/// Adam's step `step` (from 1) with moments `m`, `v`.
pub fn adam(theta: &mut [f64], m: &mut [f64], v: &mut [f64], g: &[f64], lr: f64, step: u64) {
    let Adam { beta1, beta2, eps } = ADAM;
    let k = step.min(i32::MAX as u64) as i32;
    let (c1, c2) = (1.0 - beta1.powi(k), 1.0 - beta2.powi(k));
    for (((t, m), v), gk) in theta.iter_mut().zip(m).zip(v).zip(g) {
        *m = beta1 * *m + (1.0 - beta1) * gk;
        *v = beta2 * *v + (1.0 - beta2) * gk * gk;
        *t -= lr * (*m / c1) / ((*v / c2).sqrt() + eps);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Adam's first step moves every coordinate by η·sign(g) (m̂ = g, v̂ = g²), whatever g's size.
    #[test]
    fn adams_first_step_is_the_learning_rate_times_the_sign() {
        let g = [3.0, -1e-3, 0.5];
        let mut theta = [0.0; 3];
        let (mut m, mut v) = ([0.0; 3], [0.0; 3]);
        adam(&mut theta, &mut m, &mut v, &g, 0.01, 1);
        for (t, gk) in theta.iter().zip(g) {
            assert!((t + 0.01 * gk.signum()).abs() < 1e-7, "{theta:?}");
        }
        let (mut t2, mut vel) = ([1.0; 3], [0.0; 3]);
        momentum(&mut t2, &mut vel, &g, 0.1, 0.9);
        momentum(&mut t2, &mut vel, &g, 0.1, 0.9);
        assert!((t2[0] - (1.0 - 0.1 * 3.0 - 0.1 * (0.9 * 3.0 + 3.0))).abs() < 1e-12, "{t2:?}");
    }
}
