//! Model-wise double descent of ridgeless (minimum-norm) least squares (Hastie, Montanari, Rosset &
//! Tibshirani 2019, isotropic features): n samples, p = γn features x ~ N(0, I_p), β with ‖β‖² = r²,
//! y = xᵀβ + ε, ε ~ N(0, σ²); β̂ = X⁺y (ordinary least squares below γ = 1, the minimum-norm interpolator
//! above). Excess test risk E‖β̂ − β‖² (the test error minus σ²), as n, p → ∞ with p/n → γ:
//!   γ < 1: σ²γ/(1 − γ);   γ > 1: r²(1 − 1/γ) + σ²/(γ − 1)   — infinite at the interpolation threshold γ = 1.
//! The simulation draws `trials` instances per γ and reports their mean and median risk.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::frame::{Budget, Frame, Stepper, StopReason};
use crate::metrics as key;
use crate::rng::SplitMix64;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Config {
    /// Samples n.
    pub n: usize,
    /// σ² (noise variance).
    pub noise_var: f64,
    /// r² = ‖β‖².
    pub signal: f64,
    /// γ grid: `points` values from `gamma_min` to `gamma_max`, log-spaced.
    pub gamma_min: f64,
    pub gamma_max: f64,
    pub points: usize,
    /// Instances per γ.
    pub trials: usize,
    pub seed: u64,
}

impl Default for Config {
    fn default() -> Self {
        Self { n: 100, noise_var: 0.25, signal: 1.0, gamma_min: 0.1, gamma_max: 10.0, points: 40, trials: 10, seed: 0 }
    }
}

/// Largest n (p = γn columns; each trial solves an n × p least-squares problem).
pub const MAX_N: usize = 1000;
/// Largest p.
pub const MAX_P: usize = 4000;

impl Config {
    pub fn validate(&self) -> Result<()> {
        let bad = |name: &'static str, message: String| Err(Error::Invalid { name, message });
        if !(2..=MAX_N).contains(&self.n) {
            return bad("n", format!("n must be in 2..={MAX_N}, got {}", self.n));
        }
        if !(self.noise_var.is_finite() && self.noise_var >= 0.0) {
            return bad("noise", format!("σ² must be ≥ 0, got {}", self.noise_var));
        }
        if !(self.signal.is_finite() && self.signal > 0.0) {
            return bad("signal", format!("r² must be positive, got {}", self.signal));
        }
        if !(self.gamma_min.is_finite()
            && self.gamma_min > 0.0
            && self.gamma_max.is_finite()
            && self.gamma_max > self.gamma_min)
        {
            return bad("gamma", format!("need 0 < γ_min < γ_max, got {} and {}", self.gamma_min, self.gamma_max));
        }
        if self.p_for(self.gamma_max) > MAX_P {
            return bad("gamma", format!("γ_max·n = {} features is over {MAX_P}", self.p_for(self.gamma_max)));
        }
        if !(2..=500).contains(&self.points) {
            return bad("points", format!("the γ grid takes 2..=500 points, got {}", self.points));
        }
        if !(1..=1000).contains(&self.trials) {
            return bad("trials", format!("trials must be in 1..=1000, got {}", self.trials));
        }
        Ok(())
    }

    /// p = max(1, round(γn)).
    pub fn p_for(&self, gamma: f64) -> usize {
        ((gamma * self.n as f64).round() as usize).max(1)
    }

    /// The distinct p of the grid with their γ = p/n (p = n, the threshold, is skipped: its risk is
    /// unbounded and one draw tells nothing).
    pub fn grid(&self) -> Vec<(usize, f64)> {
        let mut ps: Vec<usize> = super::student_teacher::log_grid(self.gamma_min, self.gamma_max, self.points)
            .iter()
            .map(|&g| self.p_for(g))
            .collect();
        ps.dedup();
        ps.retain(|&p| p != self.n);
        ps.into_iter().map(|p| (p, p as f64 / self.n as f64)).collect()
    }
}

/// The asymptotic excess risk at γ (infinite at γ = 1).
pub fn theory_risk(gamma: f64, noise_var: f64, signal: f64) -> f64 {
    if gamma < 1.0 {
        noise_var * gamma / (1.0 - gamma)
    } else if gamma > 1.0 {
        signal * (1.0 - 1.0 / gamma) + noise_var / (gamma - 1.0)
    } else {
        f64::INFINITY
    }
}

/// One instance's excess risk ‖X⁺y − β‖² at n × p.
pub fn trial_risk(n: usize, p: usize, noise_var: f64, signal: f64, rng: &mut SplitMix64) -> Result<f64> {
    use faer::prelude::Solve;
    let x = faer::Mat::<f64>::from_fn(n, p, |_, _| rng.normal());
    let scale = (signal / p as f64).sqrt();
    let beta: Vec<f64> = (0..p).map(|_| rng.normal() * scale).collect();
    let sd = noise_var.sqrt();
    let y =
        faer::Mat::<f64>::from_fn(n, 1, |i, _| (0..p).map(|j| x[(i, j)] * beta[j]).sum::<f64>() + sd * rng.normal());
    // β̂ = (XᵀX)⁻¹Xᵀy below the threshold, Xᵀ(XXᵀ)⁻¹y above (both X⁺y for full-rank Gaussian X).
    let fail = |e: String| Error::Invalid {
        name: "X",
        message: format!("a Cholesky factorisation failed ({e}): X is numerically rank-deficient"),
    };
    let est: Vec<f64> = if p < n {
        let g = x.transpose() * &x;
        let rhs = x.transpose() * &y;
        let llt = g.llt(faer::Side::Lower).map_err(|e| fail(format!("{e:?}")))?;
        let b = llt.solve(&rhs);
        (0..p).map(|j| b[(j, 0)]).collect()
    } else {
        let g = &x * x.transpose();
        let llt = g.llt(faer::Side::Lower).map_err(|e| fail(format!("{e:?}")))?;
        let a = llt.solve(&y);
        let b = x.transpose() * &a;
        (0..p).map(|j| b[(j, 0)]).collect()
    };
    crate::cpu::clear_upper_simd_state();
    Ok(est.iter().zip(&beta).map(|(a, b)| (a - b).powi(2)).sum())
}

/// The γ sweep as a stepper: one γ (all its trials) per step. Frame metrics: `gamma`, `risk_mean`,
/// `risk_median`, `theory_risk`; `rows` holds (γ, mean, median, theory) per γ done.
pub struct Sweep {
    config: Config,
    grid: Vec<(usize, f64)>,
    pub rows: Vec<[f64; 4]>,
    rng: SplitMix64,
    elapsed_ms: f64,
}

impl Sweep {
    pub fn new(config: Config) -> Result<Self> {
        config.validate()?;
        let grid = config.grid();
        Ok(Self { rng: SplitMix64::new(config.seed ^ 0xD0B1_EDE5), config, grid, rows: Vec::new(), elapsed_ms: 0.0 })
    }

    pub fn config(&self) -> &Config {
        &self.config
    }
}

impl Stepper for Sweep {
    async fn step(&mut self, _budget: Budget) -> Result<Frame> {
        let start = web_time::Instant::now();
        if self.rows.len() < self.grid.len() {
            let (p, gamma) = self.grid[self.rows.len()];
            let c = &self.config;
            let mut risks = Vec::with_capacity(c.trials);
            for _ in 0..c.trials {
                risks.push(trial_risk(c.n, p, c.noise_var, c.signal, &mut self.rng)?);
            }
            let mean = risks.iter().sum::<f64>() / risks.len() as f64;
            risks.sort_by(f64::total_cmp);
            let median = risks[risks.len() / 2];
            self.rows.push([gamma, mean, median, theory_risk(gamma, c.noise_var, c.signal)]);
        }
        self.elapsed_ms += start.elapsed().as_secs_f64() * 1e3;
        let done = self.rows.len() == self.grid.len();
        let mut metrics = std::collections::BTreeMap::new();
        if let Some(r) = self.rows.last() {
            for (k, name) in [key::GAMMA, key::RISK_MEAN, key::RISK_MEDIAN, key::THEORY_RISK].iter().enumerate() {
                metrics.insert((*name).to_owned(), r[k]);
            }
        }
        Ok(Frame {
            iteration: self.rows.len() as u64,
            metrics,
            elapsed_ms: self.elapsed_ms,
            done,
            converged: done,
            stop: done.then_some(StopReason::Completed),
            phase: None,
        })
    }
}

const FIELDS: &[crate::lab::Field] = &[
    crate::lab::field("n", "samples n", "Samples n per instance (p = γn features).").int(2, MAX_N as u64),
    crate::lab::field("noise_var", "noise σ²", "Noise variance σ² of the targets.").real(0.0, 1e6),
    crate::lab::field("signal", "signal r²", "Signal ‖β‖² = r².").real(1e-9, 1e6),
    crate::lab::field("gamma_min", "γ min", "Smallest γ = p/n of the grid.").log(1e-3, 100.0),
    crate::lab::field("gamma_max", "γ max", "Largest γ = p/n of the grid.").log(1e-3, 100.0),
    crate::lab::field("points", "grid points", "Values of γ (log-spaced).").int(2, 500),
    crate::lab::field("trials", "trials", "Instances per γ (mean and median drawn).").int(1, 1000),
    crate::lab::field("seed", "seed", "Draws every instance."),
];

impl crate::lab::Lab for Config {
    const DEF: &'static crate::lab::Def = &crate::lab::Def {
        page: "generalization",
        tab: Some("double-descent"),
        command: "generalization double-descent",
        title: "Ridgeless least squares vs γ = p/n against σ²γ/(1 − γ) and r²(1 − 1/γ) + σ²/(γ − 1)",
        fields: FIELDS,
        renamed: &[],
        presets: &[crate::lab::Preset {
            name: "ridgeless",
            title: "Ridgeless double descent",
            source: "Hastie, Montanari, Rosset & Tibshirani 2019 (isotropic features)",
            query: "n=200&trials=20",
        }],
    };

    fn check(&self) -> Result<()> {
        self.validate()
    }
}

impl crate::lab::run::Runnable for Config {
    type Run = Sweep;
    /// CPU, f64 (the generalization lab has no GPU path).
    fn start<'a>(&'a self, _: &'a crate::backend::Backend) -> crate::lab::run::LocalFuture<'a, Result<Vec<Sweep>>> {
        Box::pin(async move { Ok(vec![Sweep::new(self.clone())?]) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn theory_has_the_known_values() {
        assert!((theory_risk(0.5, 1.0, 1.0) - 1.0).abs() < 1e-12);
        assert!((theory_risk(2.0, 1.0, 1.0) - 1.5).abs() < 1e-12);
        assert!(theory_risk(1.0, 1.0, 1.0).is_infinite());
        // Noiseless above the threshold: the bias r²(1 − 1/γ) alone.
        assert!((theory_risk(4.0, 0.0, 2.0) - 1.5).abs() < 1e-12);
    }

    #[test]
    fn bad_parameters_are_typed_errors() {
        for c in [
            Config { n: 1, ..Config::default() },
            Config { noise_var: -1.0, ..Config::default() },
            Config { gamma_min: 2.0, gamma_max: 1.0, ..Config::default() },
            Config { gamma_max: 1e3, ..Config::default() },
            Config { trials: 0, ..Config::default() },
        ] {
            assert!(matches!(Sweep::new(c.clone()), Err(Error::Invalid { .. })), "{c:?}");
        }
    }

    #[test]
    fn the_grid_skips_the_threshold() {
        let g = Config { n: 50, gamma_min: 0.5, gamma_max: 2.0, points: 50, ..Config::default() }.grid();
        assert!(g.iter().all(|&(p, _)| p != 50));
        assert!(g.windows(2).all(|w| w[0].0 < w[1].0));
    }
}
