//! A symmetric eigen-decomposition in small resumable units, so a page can spread it over animation frames.
//!
//! For symmetric A (n × n) and vectors y₁…y_k it yields the eigenvalues λ and the projections Vᵀy_j onto
//! the eigenvectors, without forming V: Householder reduction to tridiagonal T = QᵀAQ (one column per unit,
//! ~3(n − c)² flops, each reflection also applied to the y's), then the implicit QL algorithm with Wilkinson
//! shifts on T (one QL sweep per unit; each Givens rotation applied to the y's instead of to an n × n
//! eigenvector matrix). With T = WΛWᵀ, V = QW and Vᵀy = Wᵀ(Qᵀy). The algorithm is `tred2`/`tqli` of
//! Numerical Recipes (§11.2–11.3) with Householder vectors in place of the accumulated Q. f64 throughout;
//! backward stable: eigenvalues within ~n·ε·‖A‖ of the exact ones.

use crate::error::{Error, Result};

/// QL sweeps allowed per eigenvalue before the decomposition is declared stuck (2–3 are typical).
const MAX_SWEEPS: u32 = 60;

enum Stage {
    /// Householder reduction of column `c`.
    Reduce(usize),
    /// QL on the tridiagonal: eigenvalue `l`, sweeps spent on it so far.
    Ql {
        l: usize,
        sweeps: u32,
    },
    Done,
}

/// The resumable decomposition: `advance` until it returns true, then `finish`.
pub struct Projector {
    n: usize,
    /// A, row-major, full; its trailing block is overwritten by the reduction.
    a: Vec<f64>,
    /// T's diagonal, then the eigenvalues.
    d: Vec<f64>,
    /// T's sub-diagonal: e[i] = T[i + 1][i]; e[n − 1] = 0.
    e: Vec<f64>,
    ys: Vec<Vec<f64>>,
    /// max_i |d_i| + |e_i| of T: sub-diagonals below ε times this are negligible (EISPACK tql2's test;
    /// a test relative to the neighbouring diagonals alone never deflates a cluster of zero eigenvalues,
    /// whose entries are rounding noise of size ε‖A‖).
    tnorm: f64,
    stage: Stage,
    /// Householder vector and work vectors of the current column.
    v: Vec<f64>,
    p: Vec<f64>,
}

impl Projector {
    /// `a` is row-major n × n and symmetric (only the lower triangle is read); each of `ys` has length n.
    pub fn new(a: Vec<f64>, n: usize, ys: Vec<Vec<f64>>) -> Result<Self> {
        if n == 0 || a.len() != n * n || ys.iter().any(|y| y.len() != n) {
            return Err(Error::Invalid {
                name: "matrix",
                message: format!("an n × n matrix and length-n vectors are needed (n = {n})"),
            });
        }
        if let Some(index) = a.iter().chain(ys.iter().flatten()).position(|v| !v.is_finite()) {
            return Err(Error::NonFinite { name: "matrix", index });
        }
        Ok(Self {
            n,
            a,
            d: vec![0.0; n],
            e: vec![0.0; n],
            ys,
            tnorm: 0.0,
            stage: Stage::Reduce(0),
            v: vec![0.0; n],
            p: vec![0.0; n],
        })
    }

    pub fn is_done(&self) -> bool {
        matches!(self.stage, Stage::Done)
    }

    /// A rough share of the work done, in [0, 1] (the reduction is ~90% of the flops).
    pub fn progress(&self) -> f64 {
        let n = self.n as f64;
        match self.stage {
            Stage::Reduce(c) => 0.9 * (1.0 - ((n - c as f64) / n).powi(3)),
            Stage::Ql { l, .. } => 0.9 + 0.1 * l as f64 / n,
            Stage::Done => 1.0,
        }
    }

    /// One unit of work; true once the decomposition is complete.
    pub fn advance(&mut self) -> Result<bool> {
        match self.stage {
            Stage::Reduce(c) => {
                self.reduce_column(c);
                self.stage = if c + 2 >= self.n {
                    self.d[self.n - 1] = self.a[self.n * self.n - 1];
                    if self.n >= 2 {
                        self.d[self.n - 2] = self.a[(self.n - 2) * self.n + self.n - 2];
                    }
                    self.tnorm = self.d.iter().zip(&self.e).map(|(d, e)| d.abs() + e.abs()).fold(0.0, f64::max);
                    Stage::Ql { l: 0, sweeps: 0 }
                } else {
                    Stage::Reduce(c + 1)
                };
                if self.n == 1 {
                    self.stage = Stage::Done;
                }
            }
            Stage::Ql { l, sweeps } => {
                self.stage = self.ql_unit(l, sweeps)?;
            }
            Stage::Done => {}
        }
        Ok(self.is_done())
    }

    /// Eigenvalues in ascending order and, per input vector, its projections in the same order.
    pub fn finish(self) -> Result<(Vec<f64>, Vec<Vec<f64>>)> {
        if !self.is_done() {
            return Err(Error::Invalid { name: "decomposition", message: "finish called before the last unit".into() });
        }
        let mut order: Vec<usize> = (0..self.n).collect();
        order.sort_by(|&i, &j| self.d[i].total_cmp(&self.d[j]));
        let lambdas = order.iter().map(|&i| self.d[i]).collect();
        let ys = self.ys.iter().map(|y| order.iter().map(|&i| y[i]).collect()).collect();
        Ok((lambdas, ys))
    }

    /// Householder reflection H = I − βvvᵀ zeroing column c below its sub-diagonal; the trailing block S
    /// becomes HSH by the rank-2 update S − vwᵀ − wvᵀ with p = βSv, w = p − (βpᵀv/2)v.
    fn reduce_column(&mut self, c: usize) {
        let n = self.n;
        self.d[c] = self.a[c * n + c];
        if c + 1 >= n {
            return;
        }
        let (lo, len) = (c + 1, n - c - 1);
        // v starts as the column below the diagonal (no allocation per column: this runs n times per set-up).
        let v = &mut self.v[..len];
        for (k, t) in v.iter_mut().enumerate() {
            *t = self.a[(lo + k) * n + c];
        }
        let norm = v.iter().map(|t| t * t).sum::<f64>().sqrt();
        if len == 1 || norm == 0.0 {
            self.e[c] = v[0];
            return;
        }
        let alpha = if v[0] > 0.0 { -norm } else { norm };
        v[0] -= alpha;
        let vv: f64 = v.iter().map(|t| t * t).sum();
        let beta = 2.0 / vv;
        self.e[c] = alpha;
        let p = &mut self.p[..len];
        // p = βSv from S's lower triangle: row r gives the dot S[r][..r]·v and the axpy p[..r] += v_r S[r][..r].
        p.fill(0.0);
        for r in 0..len {
            let row = &self.a[(lo + r) * n + lo..(lo + r) * n + lo + r + 1];
            let (below, diag) = (&row[..r], row[r]);
            let dot = below.iter().zip(&v[..r]).map(|(s, t)| s * t).sum::<f64>();
            let vr = v[r];
            for (pc, s) in p[..r].iter_mut().zip(below) {
                *pc += vr * s;
            }
            p[r] += dot + diag * vr;
        }
        p.iter_mut().for_each(|x| *x *= beta);
        let k = 0.5 * beta * p.iter().zip(v.iter()).map(|(s, t)| s * t).sum::<f64>();
        for (pr, vr) in p.iter_mut().zip(v.iter()) {
            *pr -= k * vr; // p is now w
        }
        for r in 0..len {
            let (vr, wr) = (v[r], p[r]);
            let row = &mut self.a[(lo + r) * n + lo..(lo + r) * n + lo + r + 1];
            for ((s, vc), wc) in row.iter_mut().zip(v.iter()).zip(p.iter()) {
                *s -= vr * wc + wr * vc;
            }
        }
        for y in &mut self.ys {
            let tail = &mut y[lo..];
            let dot = beta * tail.iter().zip(v.iter()).map(|(s, t)| s * t).sum::<f64>();
            for (s, t) in tail.iter_mut().zip(v.iter()) {
                *s -= dot * t;
            }
        }
    }

    /// One step of the implicit QL algorithm at eigenvalue l: either l has converged (move on) or one
    /// shifted sweep from the first negligible sub-diagonal m up to l.
    fn ql_unit(&mut self, l: usize, sweeps: u32) -> Result<Stage> {
        let n = self.n;
        if l >= n {
            return Ok(Stage::Done);
        }
        let (d, e) = (&mut self.d, &mut self.e);
        let mut m = l;
        while m + 1 < n && e[m].abs() > f64::EPSILON * self.tnorm {
            m += 1;
        }
        if m == l {
            return Ok(if l + 1 == n { Stage::Done } else { Stage::Ql { l: l + 1, sweeps: 0 } });
        }
        if sweeps >= MAX_SWEEPS {
            return Err(Error::Invalid {
                name: "decomposition",
                message: format!("the QL iteration did not converge at eigenvalue {l} of {n}"),
            });
        }
        let mut g = (d[l + 1] - d[l]) / (2.0 * e[l]);
        let mut r = g.hypot(1.0);
        g = d[m] - d[l] + e[l] / (g + if g >= 0.0 { r } else { -r });
        let (mut s, mut c, mut p) = (1.0f64, 1.0f64, 0.0f64);
        let mut i = m;
        while i > l {
            i -= 1;
            let f = s * e[i];
            let b = c * e[i];
            r = f.hypot(g);
            e[i + 1] = r;
            if r == 0.0 {
                // Underflow: the sub-diagonal split; start again from l.
                d[i + 1] -= p;
                e[m] = 0.0;
                return Ok(Stage::Ql { l, sweeps: sweeps + 1 });
            }
            s = f / r;
            c = g / r;
            g = d[i + 1] - p;
            r = (d[i] - g) * s + 2.0 * c * b;
            p = s * r;
            d[i + 1] = g + p;
            g = c * r - b;
            for y in &mut self.ys {
                let f = y[i + 1];
                y[i + 1] = s * y[i] + c * f;
                y[i] = c * y[i] - s * f;
            }
        }
        d[l] -= p;
        e[l] = g;
        e[m] = 0.0;
        Ok(Stage::Ql { l, sweeps: sweeps + 1 })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::SplitMix64;

    fn run(a: Vec<f64>, n: usize, ys: Vec<Vec<f64>>) -> (Vec<f64>, Vec<Vec<f64>>, usize) {
        let mut p = Projector::new(a, n, ys).unwrap();
        let mut units = 0;
        while !p.advance().unwrap() {
            units += 1;
            assert!(units < 100 * n + 100, "no end");
        }
        let (l, y) = p.finish().unwrap();
        (l, y, units)
    }

    /// Against faer's dense eigen-decomposition (an independent implementation): eigenvalues, and the
    /// projections up to each eigenvector's sign (so |Vᵀy| per entry, and products (Vᵀy₁)(Vᵀy₂) — both
    /// sign-free); random symmetric, a rank-deficient Gram matrix (repeated zero eigenvalue) and a diagonal.
    #[test]
    fn agrees_with_a_dense_decomposition() {
        let mut rng = SplitMix64::new(11);
        for (case, n) in [(0, 1usize), (0, 2), (0, 3), (0, 37), (1, 40), (2, 25), (0, 120), (1, 200)] {
            let mut a = vec![0.0; n * n];
            match case {
                0 => {
                    for i in 0..n {
                        for j in 0..=i {
                            let v = rng.normal();
                            a[i * n + j] = v;
                            a[j * n + i] = v;
                        }
                    }
                }
                1 => {
                    // XᵀX with X 15 × n: rank 15, n − 15 zero eigenvalues.
                    let x: Vec<f64> = (0..15 * n).map(|_| rng.normal()).collect();
                    for i in 0..n {
                        for j in 0..n {
                            a[i * n + j] = (0..15).map(|r| x[r * n + i] * x[r * n + j]).sum();
                        }
                    }
                }
                _ => (0..n).for_each(|i| a[i * n + i] = (i % 5) as f64),
            }
            let ys: Vec<Vec<f64>> = (0..2).map(|_| (0..n).map(|_| rng.normal()).collect()).collect();
            let m = faer::Mat::<f64>::from_fn(n, n, |i, j| a[i * n + j]);
            let eig = m.self_adjoint_eigen(faer::Side::Lower).unwrap();
            let (s, u) = (eig.S().column_vector(), eig.U());
            let (lambdas, proj, _) = run(a.clone(), n, ys.clone());
            let scale = (0..n).map(|k| s[k].abs()).fold(1.0f64, f64::max);
            for k in 0..n {
                assert!(
                    (lambdas[k] - s[k]).abs() < 1e-12 * scale * n as f64,
                    "n {n} case {case}: λ{k} {} vs {}",
                    lambdas[k],
                    s[k]
                );
            }
            // Within a repeated eigenvalue the basis is arbitrary: compare the projections' energy per
            // eigenspace (‖P_λ y‖² and ⟨P_λ y₁, P_λ y₂⟩), which any basis gives alike.
            let mut k = 0;
            while k < n {
                let mut end = k + 1;
                while end < n && (s[end] - s[k]).abs() < 1e-9 * scale {
                    end += 1;
                }
                let theirs = |a: usize, b: usize| {
                    (k..end)
                        .map(|c| {
                            (0..n).map(|j| u[(j, c)] * ys[a][j]).sum::<f64>()
                                * (0..n).map(|j| u[(j, c)] * ys[b][j]).sum::<f64>()
                        })
                        .sum::<f64>()
                };
                let ours = |a: usize, b: usize| (k..end).map(|c| proj[a][c] * proj[b][c]).sum::<f64>();
                for (a, b) in [(0, 0), (1, 1), (0, 1)] {
                    let (o, t) = (ours(a, b), theirs(a, b));
                    assert!(
                        (o - t).abs() < 1e-9 * (1.0 + t.abs()) * n as f64,
                        "n {n} case {case}: eigenspace {k}..{end} ⟨y{a}, y{b}⟩ {o} vs {t}"
                    );
                }
                k = end;
            }
            // Projections onto an orthonormal basis keep the norm.
            for (y, p) in ys.iter().zip(&proj) {
                let (a, b) = (y.iter().map(|v| v * v).sum::<f64>(), p.iter().map(|v| v * v).sum::<f64>());
                assert!((a - b).abs() < 1e-11 * a, "n {n}: ‖y‖² {a} vs ‖Vᵀy‖² {b}");
            }
        }
    }

    /// Units stay small: a reduction unit is one column, a QL unit one sweep — about n + 3 sweeps of
    /// eigenvalues in total here, so n columns + ~3n QL units.
    #[test]
    fn the_work_comes_in_bounded_units() {
        let n = 60;
        let mut rng = SplitMix64::new(2);
        let mut a = vec![0.0; n * n];
        for i in 0..n {
            for j in 0..=i {
                a[i * n + j] = rng.normal();
            }
        }
        let (_, _, units) = run(a, n, vec![]);
        assert!(units >= n && units < 6 * n, "{units} units");
    }

    #[test]
    fn bad_input_is_a_typed_error() {
        assert!(Projector::new(vec![1.0; 3], 2, vec![]).is_err());
        assert!(Projector::new(vec![1.0; 4], 2, vec![vec![1.0]]).is_err());
        assert!(matches!(Projector::new(vec![1.0, f64::NAN, 2.0, 1.0], 2, vec![]), Err(Error::NonFinite { .. })));
        let mut p = Projector::new(vec![1.0; 4], 2, vec![]).unwrap();
        assert!(p.advance().is_ok());
        let unfinished = Projector::new(vec![1.0; 9], 3, vec![]).unwrap();
        assert!(unfinished.finish().is_err());
    }
}
