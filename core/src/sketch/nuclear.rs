//! Matrix nuclear norm vs the Matrix Nuclear-Norm proxy (docs/methods.md §2; "Matrix Nuclear-Norm", 2024).
//!
//! R̂ = the rows of X (N × d) after centring every column (dimension) and scaling every row to unit length.
//! - exact: ‖R̂‖_* / N = (1/N) Σ σ_k(R̂), by the SVD (faer, f64), O(N d min(N, d));
//! - proxy: MNN = (1/N) Σ of the top min(N, d) column norms ‖R̂_{:,j}‖₂, O(N d).
//!
//! The proxy is fast but is not the nuclear norm: for i.i.d. rows it is ≈ 0.55 of it at 512 × 2048, while
//! a collapsed (rank-1) R̂ has a tiny nuclear norm (one σ = √N) yet a *larger* proxy than i.i.d. data — it
//! ranks them the wrong way round. The lab shows both values, both timings and the spectrum.

use faer::Mat;
use serde::{Deserialize, Serialize};
use web_time::Instant;

use crate::error::{Error, Result};
use crate::rng::SplitMix64;

/// Largest N·d accepted (the SVD is O(N d min(N, d))).
pub const MAX_ENTRIES: usize = 1 << 22;

/// X = (1 − c)·G + c·L (N × d, row-major): G i.i.d. N(0, 1), L = U Vᵀ/√r of rank r (U, V Gaussian).
/// `collapse` c = 0 gives i.i.d. rows, c = 1 rows in an r-dimensional subspace.
pub fn generate(n: usize, d: usize, rank: usize, collapse: f64, seed: u64) -> Result<Vec<f64>> {
    check_size(n, d)?;
    if !(1..=n.min(d)).contains(&rank) {
        return Err(Error::Invalid { name: "rank", message: format!("it must lie in 1..={}, got {rank}", n.min(d)) });
    }
    if !(0.0..=1.0).contains(&collapse) {
        return Err(Error::Invalid { name: "collapse", message: format!("it must lie in [0, 1], got {collapse}") });
    }
    let mut rng = SplitMix64::new(seed);
    let u: Vec<f64> = (0..n * rank).map(|_| rng.normal()).collect();
    let v: Vec<f64> = (0..d * rank).map(|_| rng.normal()).collect();
    let scale = 1.0 / (rank as f64).sqrt();
    Ok((0..n * d)
        .map(|k| {
            let (i, j) = (k / d, k % d);
            let low: f64 = (0..rank).map(|t| u[i * rank + t] * v[j * rank + t]).sum::<f64>() * scale;
            (1.0 - collapse) * rng.normal() + collapse * low
        })
        .collect())
}

fn check_size(n: usize, d: usize) -> Result<()> {
    if n < 2 || d == 0 {
        return Err(Error::TooSmall {
            name: if n < 2 { "N" } else { "d" },
            value: if n < 2 { n } else { d } as i64,
            min: if n < 2 { 2 } else { 1 },
        });
    }
    if n.saturating_mul(d) > MAX_ENTRIES {
        return Err(Error::TooBig { name: "N·d", value: n.saturating_mul(d) as i64, max: MAX_ENTRIES as i64 });
    }
    Ok(())
}

/// R̂: columns centred, rows scaled to unit length (a row that centres to zero stays zero).
pub fn normalise(x: &[f64], n: usize, d: usize) -> Result<Vec<f64>> {
    check_size(n, d)?;
    if x.len() != n * d {
        return Err(Error::ShapeMismatch { name: "X", got: x.len(), want: n * d });
    }
    crate::error::ensure_finite("X", x.iter().copied())?;
    let mut mean = vec![0.0; d];
    for row in x.chunks(d) {
        mean.iter_mut().zip(row).for_each(|(m, v)| *m += v / n as f64);
    }
    let mut r = x.to_vec();
    for row in r.chunks_mut(d) {
        row.iter_mut().zip(&mean).for_each(|(v, m)| *v -= m);
        let norm = row.iter().map(|v| v * v).sum::<f64>().sqrt();
        if norm > 0.0 {
            row.iter_mut().for_each(|v| *v /= norm);
        }
    }
    Ok(r)
}

/// MNN = (1/N) Σ of the top min(N, d) column norms of R̂.
pub fn proxy(r: &[f64], n: usize, d: usize) -> f64 {
    let mut col = vec![0.0; d];
    for row in r.chunks(d) {
        col.iter_mut().zip(row).for_each(|(c, v)| *c += v * v);
    }
    let mut norms: Vec<f64> = col.into_iter().map(f64::sqrt).collect();
    norms.sort_by(|a, b| b.total_cmp(a));
    norms.iter().take(n.min(d)).sum::<f64>() / n as f64
}

/// The singular values of R̂, largest first.
pub fn spectrum(r: &[f64], n: usize, d: usize) -> Result<Vec<f64>> {
    let mat = Mat::from_fn(n, d, |i, j| r[i * d + j]);
    let s = mat.singular_values().map_err(|e| Error::Invalid { name: "X", message: format!("SVD failed: {e:?}") })?;
    let mut s: Vec<f64> = s.into_iter().collect();
    s.sort_by(|a, b| b.total_cmp(a));
    Ok(s)
}

/// Both measures of one matrix, with their timings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NuclearReport {
    /// ‖R̂‖_* / N by the SVD.
    pub exact: f64,
    /// MNN.
    pub proxy: f64,
    /// proxy / exact.
    pub ratio: f64,
    pub exact_seconds: f64,
    pub proxy_seconds: f64,
    /// σ(R̂), largest first.
    pub spectrum: Vec<f64>,
}

/// Normalises X (N × d) and measures it both ways.
pub fn compare(x: &[f64], n: usize, d: usize) -> Result<NuclearReport> {
    let r = normalise(x, n, d)?;
    let t = Instant::now();
    let p = proxy(&r, n, d);
    let proxy_seconds = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let spectrum = spectrum(&r, n, d)?;
    let exact = spectrum.iter().sum::<f64>() / n as f64;
    let exact_seconds = t.elapsed().as_secs_f64();
    Ok(NuclearReport {
        exact,
        proxy: p,
        ratio: if exact > 0.0 { p / exact } else { f64::INFINITY },
        exact_seconds,
        proxy_seconds,
        spectrum,
    })
}

/// The seed the comparison's three matrices are drawn from (the page's and the CLI's).
pub const SEED: u64 = 7;

/// The three matrices compared: the person's, i.i.d. rows, and a rank-1 (fully collapsed) one.
pub const MATRICES: [&str; 3] = ["your matrix", "i.i.d. rows", "rank 1 (collapsed)"];

/// The nuclear-norm comparison as a stepper: one matrix per iteration (each an SVD of N × d), so the page
/// and the CLI show progress between them.
pub struct Comparison {
    n: usize,
    d: usize,
    /// (rank, collapse) of each matrix still to measure.
    settings: [(usize, f64); 3],
    rows: Vec<NuclearReport>,
    elapsed_ms: f64,
}

impl Comparison {
    /// X = (1 − c)·G + c·L of rank r (N × d), then the two references (c = 0; rank 1, c = 1).
    pub fn new(n: usize, d: usize, rank: usize, collapse: f64) -> Result<Self> {
        check_size(n, d)?;
        if !(1..=n.min(d)).contains(&rank) {
            return Err(Error::Invalid {
                name: "rank",
                message: format!("it must lie in 1..={}, got {rank}", n.min(d)),
            });
        }
        Ok(Self { n, d, settings: [(rank, collapse), (1, 0.0), (1, 1.0)], rows: Vec::new(), elapsed_ms: 0.0 })
    }

    /// The measured matrices so far, in the order of [`MATRICES`].
    pub fn rows(&self) -> &[NuclearReport] {
        &self.rows
    }
}

impl crate::frame::Stepper for Comparison {
    async fn step(&mut self, budget: crate::frame::Budget) -> Result<crate::frame::Frame> {
        let start = Instant::now();
        let mut ran = 0;
        while self.rows.len() < MATRICES.len() && ran < budget.max_iterations {
            let (rank, collapse) = self.settings[self.rows.len()];
            let x = generate(self.n, self.d, rank, collapse, SEED)?;
            self.rows.push(compare(&x, self.n, self.d)?);
            ran += 1;
            if start.elapsed().as_secs_f64() * 1e3 >= budget.max_millis {
                break;
            }
        }
        self.elapsed_ms += start.elapsed().as_secs_f64() * 1e3;
        let done = self.rows.len() == MATRICES.len();
        let mut metrics = std::collections::BTreeMap::new();
        if let Some(r) = self.rows.last() {
            metrics.insert(crate::metrics::EXACT.to_owned(), r.exact);
            metrics.insert(crate::metrics::PROXY.to_owned(), r.proxy);
            metrics.insert(crate::metrics::RATIO.to_owned(), r.ratio);
        }
        Ok(crate::frame::Frame {
            iteration: self.rows.len() as u64,
            metrics,
            elapsed_ms: self.elapsed_ms,
            done,
            converged: done,
            stop: done.then_some(crate::frame::StopReason::Completed),
            phase: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_computed_example() {
        // Rows (1,0), (−1,0), (0,1), (0,−1): centred already, unit rows; R̂ᵀR̂ = 2I → σ = (√2, √2).
        let x = [1.0, 0.0, -1.0, 0.0, 0.0, 1.0, 0.0, -1.0];
        let r = compare(&x, 4, 2).unwrap();
        assert!((r.exact - 2.0 * 2f64.sqrt() / 4.0).abs() < 1e-12, "{r:?}");
        // Column norms √2 and √2: proxy = 2√2/4 too.
        assert!((r.proxy - r.exact).abs() < 1e-12 && (r.ratio - 1.0).abs() < 1e-12);
    }

    #[test]
    fn the_proxy_is_cheap_but_ranks_collapse_the_wrong_way() {
        // docs/methods.md: at 512 × 2048, proxy/true ≈ 0.55 for i.i.d. rows, ≫ 1 for rank 1.
        let (n, d) = (512, 2048);
        let iid = compare(&generate(n, d, 1, 0.0, 1).unwrap(), n, d).unwrap();
        assert!((0.5..0.6).contains(&iid.ratio), "i.i.d. ratio {}", iid.ratio);
        let collapsed = compare(&generate(n, d, 1, 1.0, 1).unwrap(), n, d).unwrap();
        assert!(collapsed.ratio > 10.0, "rank-1 ratio {}", collapsed.ratio);
        // The nuclear norm says rank 1 is far smaller; the proxy says it is larger.
        assert!(
            collapsed.exact < 0.1 * iid.exact && collapsed.proxy > iid.proxy,
            "{} {} / {} {}",
            collapsed.exact,
            iid.exact,
            collapsed.proxy,
            iid.proxy
        );
        // Rank 1: one singular value √N, the rest ~0.
        assert!((collapsed.spectrum[0] - (n as f64).sqrt()).abs() < 1e-6 && collapsed.spectrum[1] < 1e-6);
    }

    #[test]
    fn bad_input_is_a_typed_error() {
        assert!(generate(1, 4, 1, 0.0, 0).is_err());
        assert!(generate(4, 4, 5, 0.0, 0).is_err());
        assert!(generate(4, 4, 1, 1.5, 0).is_err());
        assert!(matches!(normalise(&[1.0, f64::NAN, 0.0, 1.0], 2, 2), Err(Error::NonFinite { .. })));
        assert!(matches!(normalise(&[1.0; 3], 2, 2), Err(Error::ShapeMismatch { .. })));
        assert!(generate(4096, 2048, 1, 0.0, 0).is_err());
    }
}
