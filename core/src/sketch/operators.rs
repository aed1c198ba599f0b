//! Sketch operators S ∈ ℝ^{m×n} with E[SᵀS] = I, applied to A ∈ ℝ^{n×d} (row-major): every entry is drawn
//! from Philox by its position, so S is a pure function of (kind, m, n, seed).
//!
//! - Gaussian: S_ij = g_ij/√m, g ~ N(0,1).  Rademacher: S_ij = ±1/√m.
//! - SRHT: S = √(n′/m) · R · (H/√n′) · D with n′ = n rounded up to a power of two (A padded with zero rows),
//!   D random signs, H the Walsh–Hadamard matrix applied by the fast transform in O(n′ d log n′), R the first
//!   m rows of a seeded random permutation of 0..n′ (sampling without replacement).
//! - CountSketch (Clarkson & Woodruff 2013): column j has one ±1 at row h(j).
//! - OSNAP(s) (Nelson & Nguyen 2013): column j has s entries ±1/√s, one in each of s row blocks.
//!   CountSketch and OSNAP are applied as a scatter here; the GPU gathers ([`Sketch::gather_plan`]: WGSL has
//!   no float atomics).

use serde::{Deserialize, Serialize};

use super::philox::{normal, words};
use crate::error::{Error, Result};

crate::choice! {
    /// Which sketch.
    pub enum SketchKind("sketch") {
        Gaussian => "gaussian",
        Rademacher => "rademacher",
        Srht => "srht",
        CountSketch => "countsketch",
        Osnap => "osnap",
    }
}

/// Philox streams, one per use, so no two uses share bits.
mod stream {
    pub const GAUSSIAN: u32 = 0;
    pub const RADEMACHER: u32 = 1;
    pub const SRHT_SIGNS: u32 = 2;
    pub const SRHT_ROWS: u32 = 3;
    pub const COUNT: u32 = 4;
    pub const OSNAP: u32 = 5;
}

/// A sketch S (m × n) identified by its kind, sizes, OSNAP's s and a seed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sketch {
    pub kind: SketchKind,
    pub m: usize,
    pub n: usize,
    /// Nonzeros per column for OSNAP (ignored by the others).
    pub s: usize,
    pub seed: u64,
}

impl Sketch {
    /// Validates 1 ≤ m ≤ n and, for OSNAP, 1 ≤ s ≤ m.
    pub fn new(kind: SketchKind, m: usize, n: usize, s: usize, seed: u64) -> Result<Self> {
        if n == 0 {
            return Err(Error::TooSmall { name: "n", value: 0, min: 1 });
        }
        if m == 0 {
            return Err(Error::TooSmall { name: "m", value: 0, min: 1 });
        }
        if m > n {
            return Err(Error::TooBig { name: "m", value: m as i64, max: n as i64 });
        }
        if kind == SketchKind::Osnap && !(1..=m).contains(&s) {
            return Err(Error::Invalid { name: "s", message: format!("OSNAP needs 1 ≤ s ≤ m = {m}, got {s}") });
        }
        Ok(Self { kind, m, n, s, seed })
    }

    /// S·A for A (n × d, row-major); returns m × d, row-major.
    pub fn apply(&self, a: &[f64], d: usize) -> Result<Vec<f64>> {
        if a.len() != self.n * d {
            return Err(Error::ShapeMismatch { name: "A", got: a.len(), want: self.n * d });
        }
        let (m, n) = (self.m, self.n);
        let mut out = vec![0.0; m * d];
        let add_row = |out: &mut [f64], r: usize, j: usize, w: f64| {
            out[r * d..(r + 1) * d].iter_mut().zip(&a[j * d..(j + 1) * d]).for_each(|(o, x)| *o += w * x);
        };
        match self.kind {
            SketchKind::Gaussian | SketchKind::Rademacher => self.apply_dense_rows(a, d, 0..m, &mut out),
            SketchKind::CountSketch | SketchKind::Osnap => self.for_each_nonzero(|r, j, w| add_row(&mut out, r, j, w)),
            SketchKind::Srht => {
                let padded = n.next_power_of_two();
                let mut x = vec![0.0; padded * d];
                for j in 0..n {
                    let dj = sign(words(self.seed, stream::SRHT_SIGNS, j as u64)[0]);
                    x[j * d..(j + 1) * d].iter_mut().zip(&a[j * d..(j + 1) * d]).for_each(|(o, v)| *o = dj * v);
                }
                fwht_rows(&mut x, padded, d);
                // H/√n′ then √(n′/m): the two scalings combine to 1/√m.
                let scale = 1.0 / (m as f64).sqrt();
                for (i, r) in sampled_rows(self.seed, padded, m).into_iter().enumerate() {
                    out[i * d..(i + 1) * d].iter_mut().zip(&x[r * d..(r + 1) * d]).for_each(|(o, v)| *o = scale * v);
                }
            }
        }
        Ok(out)
    }

    /// True for the sketches drawn entry by entry (Gaussian, Rademacher): O(m·n·d) to apply, the ones a
    /// caller may apply a few rows at a time ([`Self::apply_dense_rows`]).
    pub fn is_dense(&self) -> bool {
        matches!(self.kind, SketchKind::Gaussian | SketchKind::Rademacher)
    }

    /// Rows `rows` of S·A for a dense sketch, into `out` (m × d, row-major; the other rows untouched): each
    /// row of S is drawn from its own counters, so the rows can be computed in any order and any slices —
    /// the same numbers as [`Self::apply`].
    pub fn apply_dense_rows(&self, a: &[f64], d: usize, rows: std::ops::Range<usize>, out: &mut [f64]) {
        let scale = 1.0 / (self.m as f64).sqrt();
        for i in rows {
            let row = &mut out[i * d..(i + 1) * d];
            for j in 0..self.n {
                let w = self.dense_entry(i, j) * scale;
                row.iter_mut().zip(&a[j * d..(j + 1) * d]).for_each(|(o, x)| *o += w * x);
            }
        }
    }

    /// Visits the nonzeros (row, column, value) of a sparse sketch (CountSketch, OSNAP), column by column:
    /// the one definition of their S, used by the CPU scatter and by [`Self::gather_plan`] for the GPU.
    fn for_each_nonzero(&self, mut visit: impl FnMut(usize, usize, f64)) {
        let m = self.m;
        match self.kind {
            SketchKind::CountSketch => {
                for j in 0..self.n {
                    let w = words(self.seed, stream::COUNT, j as u64);
                    visit(w[0] as usize % m, j, sign(w[1]));
                }
            }
            SketchKind::Osnap => {
                let scale = 1.0 / (self.s as f64).sqrt();
                for j in 0..self.n {
                    for t in 0..self.s {
                        let (lo, hi) = (t * m / self.s, (t + 1) * m / self.s);
                        let w = words(self.seed, stream::OSNAP, (j * self.s + t) as u64);
                        visit(lo + w[0] as usize % (hi - lo), j, sign(w[1]) * scale);
                    }
                }
            }
            _ => {}
        }
    }

    /// The rows a GPU gather reads, as CSR over the m output rows: CountSketch's and OSNAP's nonzeros
    /// grouped by row (a counting sort of their hashes), or SRHT's sampled rows of the transformed, padded
    /// matrix with weight 1/√m. `None` for the dense sketches (drawn entry by entry on the device).
    pub fn gather_plan(&self) -> Option<GatherPlan> {
        let m = self.m;
        match self.kind {
            SketchKind::Gaussian | SketchKind::Rademacher => None,
            SketchKind::Srht => {
                let rows = sampled_rows(self.seed, self.n.next_power_of_two(), m);
                Some(GatherPlan {
                    ptr: (0..=m as u32).collect(),
                    col: rows.into_iter().map(|r| r as u32).collect(),
                    weight: vec![(1.0 / (m as f64).sqrt()) as f32; m],
                })
            }
            SketchKind::CountSketch | SketchKind::Osnap => {
                let mut ptr = vec![0u32; m + 1];
                self.for_each_nonzero(|r, _, _| ptr[r + 1] += 1);
                for i in 0..m {
                    ptr[i + 1] += ptr[i];
                }
                let nnz = ptr[m] as usize;
                let (mut col, mut weight) = (vec![0u32; nnz], vec![0f32; nnz]);
                let mut next: Vec<u32> = ptr[..m].to_vec();
                self.for_each_nonzero(|r, j, w| {
                    let k = next[r] as usize;
                    col[k] = j as u32;
                    weight[k] = w as f32;
                    next[r] += 1;
                });
                Some(GatherPlan { ptr, col, weight })
            }
        }
    }

    /// The explicit S (m × n), for tests and small demos.
    pub fn dense(&self) -> Vec<f64> {
        let mut identity = vec![0.0; self.n * self.n];
        (0..self.n).for_each(|j| identity[j * self.n + j] = 1.0);
        self.apply(&identity, self.n).expect("identity has the right shape")
    }

    /// Unscaled entry (i, j) of the dense sketches: N(0,1) or ±1.
    fn dense_entry(&self, i: usize, j: usize) -> f64 {
        let index = (i * self.n + j) as u64;
        match self.kind {
            SketchKind::Gaussian => {
                let w = words(self.seed, stream::GAUSSIAN, index);
                normal(w[0], w[1])
            }
            _ => sign(words(self.seed, stream::RADEMACHER, index)[0]),
        }
    }
}

/// A sparse operator in compressed rows: output row i reads rows `col[ptr[i]..ptr[i+1]]` of its input with
/// weights `weight[..]` (see `shaders/sketch/gather.wgsl`).
#[derive(Debug, Clone, PartialEq)]
pub struct GatherPlan {
    pub ptr: Vec<u32>,
    pub col: Vec<u32>,
    pub weight: Vec<f32>,
}

fn sign(word: u32) -> f64 {
    if word & 1 == 0 {
        1.0
    } else {
        -1.0
    }
}

/// The first m entries of a seeded Fisher–Yates permutation of 0..len.
fn sampled_rows(seed: u64, len: usize, m: usize) -> Vec<usize> {
    let mut perm: Vec<usize> = (0..len).collect();
    for i in 0..m {
        let w = words(seed, stream::SRHT_ROWS, i as u64);
        let r = i + ((u64::from(w[0]) << 32 | u64::from(w[1])) % (len - i) as u64) as usize;
        perm.swap(i, r);
    }
    perm.truncate(m);
    perm
}

/// In-place unnormalised Walsh–Hadamard transform along the rows of x (len × d, len a power of two):
/// log₂(len) butterfly passes, each row a vector of d entries.
pub fn fwht_rows(x: &mut [f64], len: usize, d: usize) {
    let mut h = 1;
    while h < len {
        for block in (0..len).step_by(2 * h) {
            for i in block..block + h {
                let (top, bottom) = x.split_at_mut((i + h) * d);
                for (p, q) in top[i * d..(i + 1) * d].iter_mut().zip(&mut bottom[..d]) {
                    let (u, v) = (*p, *q);
                    *p = u + v;
                    *q = u - v;
                }
            }
        }
        h *= 2;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fwht_equals_the_explicit_hadamard_product() {
        let len = 16;
        let d = 3;
        let x: Vec<f64> = (0..len * d).map(|k| ((k * 7919) % 13) as f64 - 6.0).collect();
        let mut fast = x.clone();
        fwht_rows(&mut fast, len, d);
        for i in 0..len {
            for c in 0..d {
                // Sylvester's H: H_ij = (−1)^{popcount(i & j)}.
                let want: f64 =
                    (0..len).map(|j| if (i & j).count_ones() % 2 == 0 { 1.0 } else { -1.0 } * x[j * d + c]).sum();
                assert_eq!(fast[i * d + c], want);
            }
        }
    }

    #[test]
    fn srht_matches_its_definition_with_padding() {
        let (n, m) = (11, 5); // padded to 16
        let sk = Sketch::new(SketchKind::Srht, m, n, 1, 42).unwrap();
        let s = sk.dense();
        let rows = sampled_rows(42, 16, m);
        for (i, &r) in rows.iter().enumerate() {
            for j in 0..n {
                let h = if (r & j).count_ones() % 2 == 0 { 1.0 } else { -1.0 };
                let dj = sign(words(42, stream::SRHT_SIGNS, j as u64)[0]);
                let want = (16.0 / m as f64).sqrt() * h / 4.0 * dj;
                assert!((s[i * n + j] - want).abs() < 1e-15, "({i},{j}): {} vs {want}", s[i * n + j]);
            }
        }
    }

    #[test]
    fn apply_equals_the_dense_product() {
        let (n, m, d) = (37, 9, 4);
        let a: Vec<f64> = (0..n * d).map(|k| (k as f64 * 0.37).sin()).collect();
        for kind in SketchKind::ALL {
            let sk = Sketch::new(kind, m, n, 3, 5).unwrap();
            let s = sk.dense();
            let sa = sk.apply(&a, d).unwrap();
            for i in 0..m {
                for c in 0..d {
                    let want: f64 = (0..n).map(|j| s[i * n + j] * a[j * d + c]).sum();
                    assert!((sa[i * d + c] - want).abs() < 1e-12, "{kind}");
                }
            }
        }
    }

    #[test]
    fn every_sketch_is_isotropic_on_average() {
        // E[SᵀS] = I. Over T independent seeds each entry of the mean of SᵀS has standard deviation at
        // most √(2/(mT)) (Gaussian diagonal; the other entries ≤ √(1/(mT))): allow 6 of those.
        let (n, m, trials) = (12, 6, 3000);
        let tol = 6.0 * (2.0 / (m * trials) as f64).sqrt();
        for kind in SketchKind::ALL {
            let mut mean = vec![0.0; n * n];
            for t in 0..trials {
                let s = Sketch::new(kind, m, n, 2, 1000 + t as u64).unwrap().dense();
                for j in 0..n {
                    for k in 0..n {
                        mean[j * n + k] += (0..m).map(|i| s[i * n + j] * s[i * n + k]).sum::<f64>() / trials as f64;
                    }
                }
            }
            for j in 0..n {
                for k in 0..n {
                    let want = if j == k { 1.0 } else { 0.0 };
                    let got = mean[j * n + k];
                    assert!((got - want).abs() < tol, "{kind}: E[SᵀS]_{j}{k} = {got} (tol {tol})");
                }
            }
        }
    }

    #[test]
    fn bad_sizes_are_typed_errors() {
        assert!(matches!(Sketch::new(SketchKind::Gaussian, 0, 4, 1, 0), Err(Error::TooSmall { name: "m", .. })));
        assert!(matches!(Sketch::new(SketchKind::Gaussian, 5, 4, 1, 0), Err(Error::TooBig { name: "m", .. })));
        assert!(matches!(Sketch::new(SketchKind::Osnap, 2, 4, 3, 0), Err(Error::Invalid { name: "s", .. })));
        let sk = Sketch::new(SketchKind::CountSketch, 2, 4, 1, 0).unwrap();
        assert!(matches!(sk.apply(&[1.0; 7], 2), Err(Error::ShapeMismatch { .. })));
        assert!("fjlt".parse::<SketchKind>().is_err());
    }
}
