//! Optimal-transport problems: marginals a ∈ Δⁿ, b ∈ Δᵐ and a cost C ∈ ℝ^{n×m}, given either densely
//! (random assignment) or by two point clouds and a ground cost (squared Euclidean or Euclidean).
//! Generators for the lab's problems live here; CSV upload is in [`super::csv`].

use serde::{Deserialize, Serialize};

pub use super::geometry::{normalise, Geometry, GroundCost, Points};
use crate::error::{ensure_finite, Error, Result};
use crate::rng::SplitMix64;

/// Largest n·m for which the CPU solvers hold a dense f64 cost (256 MiB); point clouds on the GPU compute
/// theirs on the fly and go further.
pub const MAX_CPU_ENTRIES: usize = 1 << 25;

/// A validated OT problem: min ⟨C,P⟩ − ε H(P) over couplings of a and b.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OtProblem {
    pub a: Vec<f64>,
    pub b: Vec<f64>,
    pub geometry: Geometry,
}

impl OtProblem {
    /// Dense problem with given marginals (normalised) and cost.
    pub fn dense(a: Vec<f64>, b: Vec<f64>, cost: Vec<f64>) -> Result<Self> {
        let (n, m) = (a.len(), b.len());
        let a = normalise("a", a, n)?;
        let b = normalise("b", b, m)?;
        if n == 0 || m == 0 {
            return Err(Error::TooSmall { name: if n == 0 { "n" } else { "m" }, value: 0, min: 1 });
        }
        if cost.len() != n * m {
            return Err(Error::ShapeMismatch { name: "cost", got: cost.len(), want: n * m });
        }
        ensure_finite("cost", cost.iter().copied())?;
        Ok(Self { a, b, geometry: Geometry::Dense { n, m, cost } })
    }

    /// Problem between two point clouds; their dimensions must agree.
    pub fn points(x: Points, y: Points, cost: GroundCost) -> Result<Self> {
        if x.dim != y.dim {
            return Err(Error::Invalid {
                name: "target",
                message: format!("its points have {} coordinates but the source's have {}", y.dim, x.dim),
            });
        }
        Ok(Self { a: x.weights.clone(), b: y.weights.clone(), geometry: Geometry::Points { x, y, cost, scale: 1.0 } })
    }

    pub fn n(&self) -> usize {
        self.a.len()
    }

    pub fn m(&self) -> usize {
        self.b.len()
    }

    /// C_ij.
    pub fn cost(&self, i: usize, j: usize) -> f64 {
        match &self.geometry {
            Geometry::Dense { m, cost, .. } => cost[i * m + j],
            Geometry::Points { x, y, cost, scale } => scale * cost.eval(x.point(i), y.point(j)),
        }
    }

    /// max_ij C_ij.
    pub fn max_cost(&self) -> f64 {
        match &self.geometry {
            Geometry::Dense { cost, .. } => cost.iter().copied().fold(0.0, f64::max),
            // The farthest point of Y from any x is a vertex of Y's convex hull: O(m log m + n·h) in 2-D
            // instead of O(n·m), so normalising 20,000 × 20,000 clouds does not stall the page.
            Geometry::Points { x, y, cost, scale } if x.dim == 2 => {
                let hull = convex_hull(y);
                (0..x.len())
                    .flat_map(|i| hull.iter().map(move |&j| (i, j)))
                    .map(|(i, j)| scale * cost.eval(x.point(i), y.point(j)))
                    .fold(0.0, f64::max)
            }
            Geometry::Points { .. } => (0..self.n())
                .flat_map(|i| (0..self.m()).map(move |j| (i, j)))
                .map(|(i, j)| self.cost(i, j))
                .fold(0.0, f64::max),
        }
    }

    /// Divides C by its maximum (the visible "normalise cost" switch); a zero cost is left alone.
    pub fn normalize_cost(&mut self) {
        let max = self.max_cost();
        if max <= 0.0 {
            return;
        }
        match &mut self.geometry {
            Geometry::Dense { cost, .. } => cost.iter_mut().for_each(|c| *c /= max),
            Geometry::Points { scale, .. } => *scale /= max,
        }
    }

    /// The full cost matrix, row-major (the CPU solvers stream it; refused beyond `max_entries`).
    pub fn cost_matrix(&self, max_entries: usize) -> Result<Vec<f64>> {
        let (n, m) = (self.n(), self.m());
        if n.saturating_mul(m) > max_entries {
            return Err(Error::TooBig {
                name: "n × m on the CPU backend",
                value: (n * m) as i64,
                max: max_entries as i64,
            });
        }
        Ok(match &self.geometry {
            Geometry::Dense { cost, .. } => cost.clone(),
            Geometry::Points { .. } => {
                (0..n).flat_map(|i| (0..m).map(move |j| (i, j))).map(|(i, j)| self.cost(i, j)).collect()
            }
        })
    }
}

/// Indices of the vertices of the convex hull of 2-D points (Andrew's monotone chain).
fn convex_hull(points: &Points) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..points.len()).collect();
    idx.sort_by(|&a, &b| {
        let (p, q) = (points.point(a), points.point(b));
        p[0].total_cmp(&q[0]).then(p[1].total_cmp(&q[1]))
    });
    if idx.len() < 3 {
        return idx;
    }
    let cross = |o: usize, a: usize, b: usize| {
        let (o, a, b) = (points.point(o), points.point(a), points.point(b));
        (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])
    };
    let mut hull: Vec<usize> = Vec::with_capacity(2 * idx.len());
    for pass in 0..2 {
        let start = hull.len();
        let order: Box<dyn Iterator<Item = &usize>> =
            if pass == 0 { Box::new(idx.iter()) } else { Box::new(idx.iter().rev()) };
        for &p in order {
            while hull.len() >= start + 2 && cross(hull[hull.len() - 2], hull[hull.len() - 1], p) <= 0.0 {
                hull.pop();
            }
            hull.push(p);
        }
        hull.pop();
    }
    hull
}

crate::choice! {
    /// The generated problems of the lab (`--problem`).
    pub enum ProblemKind("problem") {
        /// C_ij ~ U[0, 1], uniform marginals (the SNS paper's random assignment).
        Random => "random",
        /// 2-D Gaussian mixtures: two blobs → three blobs.
        Gaussian => "gaussian",
        /// 2-D uniform on the unit square, two independent draws.
        Uniform => "uniform",
        /// Two interleaved half-moons (source: upper, target: lower), noise 0.05.
        Moons => "moons",
        /// Two 28 × 28 digit images as grid densities (n = m = 784).
        Digits => "digits",
    }
}

/// Largest n or m a generated problem may have.
pub const MAX_POINTS: usize = 100_000;

/// The parameters that generate a problem (UI panel, CLI flags).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProblemSpec {
    pub kind: ProblemKind,
    pub n: usize,
    pub m: usize,
    pub seed: u64,
    pub cost: GroundCost,
    pub normalize_cost: bool,
}

impl Default for ProblemSpec {
    fn default() -> Self {
        Self {
            kind: ProblemKind::Gaussian,
            n: 300,
            m: 300,
            seed: 0,
            cost: GroundCost::SqEuclidean,
            normalize_cost: true,
        }
    }
}

impl ProblemSpec {
    pub fn validate(&self) -> Result<()> {
        for (name, v) in [("n", self.n), ("m", self.m)] {
            if v == 0 {
                return Err(Error::TooSmall { name, value: 0, min: 1 });
            }
            if v > MAX_POINTS {
                return Err(Error::TooBig { name, value: v as i64, max: MAX_POINTS as i64 });
            }
        }
        // The random problem stores its n × m cost; point clouds compute theirs on the fly (GPU) or are
        // refused later by the CPU solver's own limit.
        if self.kind == ProblemKind::Random && self.n.saturating_mul(self.m) > MAX_CPU_ENTRIES {
            return Err(Error::TooBig {
                name: "n × m of the random cost",
                value: self.n.saturating_mul(self.m) as i64,
                max: MAX_CPU_ENTRIES as i64,
            });
        }
        Ok(())
    }

    /// Draws the problem. `Digits` ignores n and m (the grid is 28 × 28 = 784 cells).
    pub fn build(&self) -> Result<OtProblem> {
        self.validate()?;
        let mut rng = SplitMix64::new(self.seed);
        let mut problem = match self.kind {
            ProblemKind::Random => {
                let cost: Vec<f64> = (0..self.n * self.m).map(|_| rng.uniform()).collect();
                OtProblem::dense(vec![1.0; self.n], vec![1.0; self.m], cost)?
            }
            ProblemKind::Gaussian => {
                let x = mixture(&mut rng, self.n, &[(-1.0, -0.5), (-0.6, 0.8)]);
                let y = mixture(&mut rng, self.m, &[(1.0, 0.9), (1.2, -0.6), (0.4, 0.0)]);
                OtProblem::points(Points::new(2, x, None)?, Points::new(2, y, None)?, self.cost)?
            }
            ProblemKind::Uniform => {
                let x = (0..2 * self.n).map(|_| rng.uniform()).collect();
                let y = (0..2 * self.m).map(|_| rng.uniform()).collect();
                OtProblem::points(Points::new(2, x, None)?, Points::new(2, y, None)?, self.cost)?
            }
            ProblemKind::Moons => {
                let x = moon(&mut rng, self.n, false);
                let y = moon(&mut rng, self.m, true);
                OtProblem::points(Points::new(2, x, None)?, Points::new(2, y, None)?, self.cost)?
            }
            ProblemKind::Digits => {
                let images = super::digits::images();
                let i = (self.seed as usize) % images.len();
                let j = (i + 1 + (self.seed as usize / images.len()) % (images.len() - 1)) % images.len();
                let (x, y) = (super::digits::grid_density(&images[i])?, super::digits::grid_density(&images[j])?);
                OtProblem::points(x, y, self.cost)?
            }
        };
        if self.normalize_cost {
            problem.normalize_cost();
        }
        Ok(problem)
    }
}

fn mixture(rng: &mut SplitMix64, n: usize, centres: &[(f64, f64)]) -> Vec<f64> {
    let mut out = Vec::with_capacity(2 * n);
    for i in 0..n {
        let (cx, cy) = centres[i % centres.len()];
        out.push(cx + 0.25 * rng.normal());
        out.push(cy + 0.25 * rng.normal());
    }
    out
}

fn moon(rng: &mut SplitMix64, n: usize, lower: bool) -> Vec<f64> {
    let mut out = Vec::with_capacity(2 * n);
    for _ in 0..n {
        let t = std::f64::consts::PI * rng.uniform();
        let (x, y) = if lower { (1.0 - t.cos(), 0.5 - t.sin()) } else { (t.cos(), t.sin()) };
        out.push(x + 0.05 * rng.normal());
        out.push(y + 0.05 * rng.normal());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_problems_are_valid_and_normalised() {
        for kind in ProblemKind::ALL {
            let spec = ProblemSpec { kind, n: 40, m: 30, ..Default::default() };
            let p = spec.build().unwrap();
            assert!((p.a.iter().sum::<f64>() - 1.0).abs() < 1e-12);
            assert!((p.b.iter().sum::<f64>() - 1.0).abs() < 1e-12);
            assert!((p.max_cost() - 1.0).abs() < 1e-12, "{kind}: max cost {}", p.max_cost());
            if kind == ProblemKind::Digits {
                assert_eq!((p.n(), p.m()), (784, 784));
            } else {
                assert_eq!((p.n(), p.m()), (40, 30));
            }
        }
    }

    #[test]
    fn hull_based_max_cost_equals_brute_force() {
        for (kind, cost) in [
            (ProblemKind::Gaussian, GroundCost::SqEuclidean),
            (ProblemKind::Moons, GroundCost::Euclidean),
            (ProblemKind::Uniform, GroundCost::SqEuclidean),
        ] {
            for (n, m) in [(1, 1), (2, 2), (50, 3), (120, 90)] {
                let p = ProblemSpec { kind, n, m, cost, normalize_cost: false, seed: 9 }.build().unwrap();
                let brute =
                    (0..n).flat_map(|i| (0..m).map(move |j| (i, j))).map(|(i, j)| p.cost(i, j)).fold(0.0, f64::max);
                assert_eq!(p.max_cost(), brute, "{kind} {n}×{m}");
            }
        }
    }

    #[test]
    fn bad_problems_are_typed_errors() {
        assert!(matches!(ProblemSpec { n: 0, ..Default::default() }.build(), Err(Error::TooSmall { name: "n", .. })));
        assert!(matches!(normalise("weights", vec![1.0, -1.0], 2), Err(Error::Invalid { .. })));
        assert!(matches!(normalise("weights", vec![0.0, 0.0], 2), Err(Error::Invalid { .. })));
        assert!(matches!(Points::new(2, vec![0.0, f64::NAN], None), Err(Error::NonFinite { .. })));
        let x = Points::new(2, vec![0.0, 0.0], None).unwrap();
        let y = Points::new(3, vec![0.0, 0.0, 0.0], None).unwrap();
        assert!(OtProblem::points(x, y, GroundCost::Euclidean).is_err());
        assert!("w3".parse::<GroundCost>().is_err());
    }
}
