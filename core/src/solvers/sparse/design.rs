//! The instances: a design X (N × d), a k-sparse w* on a random or an adversarial support, y = Xw* + σε.
//! - gaussian: x_ij ~ N(0, 1) independent;
//! - correlated: each row an AR(1) sequence, Σ_jl = ρ^|j−l| (adjacent columns correlated ρ);
//! - ill-conditioned: the correlated design with column j scaled by κ^(−π(j)/(d−1)) for a random permutation
//!   π, so the column scales span the condition number κ.
//!
//! Supports: random — k distinct columns uniformly, signs ±1 at random; adversarial — ⌊k/2⌋ disjoint pairs of
//! adjacent columns (j, j+1) with w*_j = +1, w*_{j+1} = −1, which cancel when the columns are correlated (one
//! more random column when k is odd). w* is then scaled so that its population signal variance w*ᵀΣw* is 1:
//! an estimate of w = 0 has prediction error ≈ 1.

use super::estimators::Design;
use crate::rng::SplitMix64;

crate::choice! {
    /// The design's distribution.
    pub enum DesignKind("design") {
        Gaussian => "gaussian",
        Correlated => "correlated",
        IllConditioned => "ill-conditioned",
    }
}

crate::choice! {
    /// Where w*'s nonzeros are.
    pub enum Support("supports") {
        Random => "random",
        Adversarial => "adversarial",
    }
}

/// The population law of a row: correlation ρ between adjacent columns (AR(1)) and per-column scales.
#[derive(Debug, Clone)]
pub struct Law {
    pub rho: f64,
    pub scale: Vec<f64>,
}

impl Law {
    pub fn new(kind: DesignKind, d: usize, rho: f64, kappa: f64, rng: &mut SplitMix64) -> Self {
        let rho = if kind == DesignKind::Gaussian { 0.0 } else { rho };
        let scale = if kind == DesignKind::IllConditioned {
            let mut order: Vec<usize> = (0..d).collect();
            for i in (1..d).rev() {
                order.swap(i, (rng.next_u64() % (i as u64 + 1)) as usize);
            }
            order.iter().map(|&p| kappa.powf(-(p as f64) / (d.max(2) - 1) as f64)).collect()
        } else {
            vec![1.0; d]
        };
        Self { rho, scale }
    }

    /// Σ_jl = s_j s_l ρ^|j−l|.
    pub fn cov(&self, j: usize, l: usize) -> f64 {
        self.scale[j] * self.scale[l] * self.rho.powi(j.abs_diff(l) as i32)
    }

    /// An N × d design of this law.
    pub fn draw(&self, n: usize, rng: &mut SplitMix64) -> Design {
        let d = self.scale.len();
        let mut x = vec![0.0; n * d];
        let c = (1.0 - self.rho * self.rho).sqrt();
        for i in 0..n {
            let mut prev = rng.normal();
            x[i] = prev * self.scale[0];
            for j in 1..d {
                prev = self.rho * prev + c * rng.normal();
                x[j * n + i] = prev * self.scale[j];
            }
        }
        Design { n, d, x }
    }

    /// w* of `k` nonzeros on `support`, scaled to w*ᵀΣw* = 1.
    pub fn signal(&self, support: Support, k: usize, rng: &mut SplitMix64) -> Vec<f64> {
        let d = self.scale.len();
        let mut w = vec![0.0; d];
        let pick = |taken: &dyn Fn(usize) -> bool, rng: &mut SplitMix64, choices: usize| loop {
            let j = (rng.next_u64() % choices as u64) as usize;
            if !taken(j) {
                break j;
            }
        };
        match support {
            Support::Random => {
                for _ in 0..k {
                    let j = pick(&|j| w[j] != 0.0, rng, d);
                    w[j] = if rng.next_u64() & 1 == 0 { 1.0 } else { -1.0 };
                }
            }
            Support::Adversarial => {
                for _ in 0..k / 2 {
                    let p = pick(&|p| w[2 * p] != 0.0, rng, d / 2);
                    w[2 * p] = 1.0;
                    w[2 * p + 1] = -1.0;
                }
                if k % 2 == 1 {
                    let j = pick(&|j| w[j] != 0.0, rng, d);
                    w[j] = 1.0;
                }
            }
        }
        let nz: Vec<usize> = (0..d).filter(|&j| w[j] != 0.0).collect();
        let var: f64 =
            nz.iter().flat_map(|&a| nz.iter().map(move |&b| (a, b))).map(|(a, b)| w[a] * w[b] * self.cov(a, b)).sum();
        let s = 1.0 / var.sqrt();
        w.iter_mut().for_each(|v| *v *= s);
        w
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_correlated_design_has_its_covariance() {
        let mut rng = SplitMix64::new(1);
        let law = Law::new(DesignKind::Correlated, 8, 0.9, 1.0, &mut rng);
        let x = law.draw(20_000, &mut rng);
        for (j, l) in [(0, 0), (0, 1), (3, 5), (7, 7)] {
            let c: f64 = (0..x.n).map(|i| x.col(j)[i] * x.col(l)[i]).sum::<f64>() / x.n as f64;
            assert!((c - law.cov(j, l)).abs() < 0.03, "Σ[{j},{l}] = {c} vs {}", law.cov(j, l));
        }
    }

    #[test]
    fn signals_have_unit_variance_and_their_support() {
        let mut rng = SplitMix64::new(2);
        for kind in DesignKind::ALL {
            let law = Law::new(kind, 64, 0.9, 1e6, &mut rng);
            for (support, k) in [(Support::Random, 6), (Support::Adversarial, 6), (Support::Adversarial, 5)] {
                let w = law.signal(support, k, &mut rng);
                let nz: Vec<usize> = (0..64).filter(|&j| w[j] != 0.0).collect();
                assert_eq!(nz.len(), k, "{kind} {support}");
                let var: f64 = nz
                    .iter()
                    .flat_map(|&a| nz.iter().map(move |&b| (a, b)))
                    .map(|(a, b)| w[a] * w[b] * law.cov(a, b))
                    .sum();
                assert!((var - 1.0).abs() < 1e-12);
                if support == Support::Adversarial {
                    let pairs = (0..32).filter(|&p| w[2 * p] > 0.0 && w[2 * p + 1] < 0.0).count();
                    assert!(pairs >= k / 2, "{kind}: {pairs} pairs");
                }
            }
        }
        let law = Law::new(DesignKind::IllConditioned, 10, 0.0, 1e4, &mut rng);
        let (lo, hi) = law.scale.iter().fold((f64::MAX, 0.0f64), |(a, b), &s| (a.min(s), b.max(s)));
        assert!((hi / lo - 1e4).abs() < 1e-6);
    }
}
