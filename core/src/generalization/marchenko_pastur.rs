//! The theory of the linear student–teacher (Advani & Saxe 2017; docs/methods.md §3): the test error of
//! gradient flow integrated against the Marchenko–Pastur law of XᵀX's eigenvalues, and the long run.

/// `n` points from `a` to `b`, equally spaced in log.
pub fn log_grid(a: f64, b: f64, n: usize) -> Vec<f64> {
    let (la, lb) = (a.ln(), b.ln());
    (0..n).map(|k| (la + (lb - la) * k as f64 / (n.max(2) - 1) as f64).exp()).collect()
}

/// Quadrature of the Marchenko–Pastur law for α: nodes λ_k and weights w_k (Σ w_k = min(α, 1)) by the
/// midpoint rule in θ, λ = m + h cos θ (m, h the centre and half-width of the support), where
/// ρ(λ) dλ = h² sin²θ / (2πλ) dθ is smooth — also at α = 1, where sin²θ/λ stays bounded as λ → 0.
pub struct MpQuadrature {
    pub nodes: Vec<f64>,
    pub weights: Vec<f64>,
    /// Mass at λ = 0: max(1 − α, 0).
    pub zero_mass: f64,
}

impl MpQuadrature {
    /// 20,000 nodes resolve the noise term's peak at λ ≈ 1/t for α = 1 up to t ≈ 10⁶ (its width in θ is
    /// ~1/√t against a node spacing of π/20,000).
    pub fn new(alpha: f64) -> Self {
        Self::with_nodes(alpha, 20_000)
    }

    pub fn with_nodes(alpha: f64, m: usize) -> Self {
        let (lo, hi) = ((1.0 - alpha.sqrt()).powi(2), (1.0 + alpha.sqrt()).powi(2));
        let (mid, half) = ((hi + lo) / 2.0, (hi - lo) / 2.0);
        let dtheta = std::f64::consts::PI / m as f64;
        let mut nodes = Vec::with_capacity(m);
        let mut weights = Vec::with_capacity(m);
        for k in 0..m {
            let th = (k as f64 + 0.5) * dtheta;
            let lambda = mid + half * th.cos();
            nodes.push(lambda);
            weights.push(half * half * th.sin().powi(2) / (2.0 * std::f64::consts::PI * lambda) * dtheta);
        }
        Self { nodes, weights, zero_mass: (1.0 - alpha).max(0.0) }
    }

    /// Theory's test error at time t (σ_w̄² = 1, σ₀² = 0).
    pub fn test_error(&self, noise_var: f64, t: f64) -> f64 {
        let mut e = self.zero_mass; // unseen directions keep the teacher's variance; their noise term is 0
        for (&l, &w) in self.nodes.iter().zip(&self.weights) {
            let decay = decay(l * t);
            e += w * (decay * decay + noise_var / l * (1.0 - decay).powi(2));
        }
        e + noise_var
    }

    /// Theory's training error at time t: ‖y − Xw‖²/P per sample, by the same spectral calculus
    /// (Advani & Saxe eq. 10 in our normalisation): (1/α)∫ρ(λ)[λ e^{−2λt} + σ_ε² e^{−2λt}] dλ
    /// + σ_ε²(1 − min(α, 1)/α) — the residual of the noise in the directions X cannot fit.
    pub fn train_error(&self, alpha: f64, noise_var: f64, t: f64) -> f64 {
        let mut e = 0.0;
        for (&l, &w) in self.nodes.iter().zip(&self.weights) {
            let d2 = decay(2.0 * l * t);
            e += w * (l * d2 + noise_var * d2);
        }
        e / alpha + noise_var * (1.0 - alpha.min(1.0) / alpha)
    }
}

/// e^{−x} for x ≥ 0, exactly 0 past x = 80 (e^{−80} ≈ 2e-35, invisible beside σ_ε² and below any chart's
/// floor): the long-time end of every curve would otherwise be subnormal arithmetic, ~20× slower.
pub(crate) fn decay(x: f64) -> f64 {
    if x > 80.0 {
        0.0
    } else {
        (-x).exp()
    }
}

/// Theory's long-run test error: σ_ε²/(α − 1) + σ_ε² for α > 1; for α < 1 the unseen directions add
/// (1 − α) and the seen ones σ_ε²α/(1 − α); infinite at α = 1.
pub fn theory_long_run(alpha: f64, noise_var: f64) -> f64 {
    if alpha > 1.0 {
        noise_var / (alpha - 1.0) + noise_var
    } else if alpha < 1.0 {
        (1.0 - alpha) + noise_var * alpha / (1.0 - alpha) + noise_var
    } else {
        f64::INFINITY
    }
}
