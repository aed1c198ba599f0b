//! One streaming pass over a row-major matrix M (n × m) that computes, per row, a coefficient
//! u_i = f(i, ⟨M_i, v⟩) and accumulates Mᵀu in the same sweep: M is read once for both products. Kernel
//! Sinkhorn uses it (u_i = a_i / (Kv)_i, then Kᵀu) and so does LSQR (u = Mv, then MᵀMv). The pass is
//! bound by the rate at which M streams in (DRAM, or L3 when M fits there): all cores natively (two cores
//! draw more bandwidth than one; the threads are `cpu::pool`'s persistent workers), one on wasm. Rows go
//! in blocks of four, with AVX-512 or AVX2 when the processor has them (detected at run time); every path
//! forms the same sums in the same order. Measured at n = 1000 (K in L3, two Zen 5 cores): 0.093 ms per
//! pass with AVX2 on a K at the allocator's alignment, 0.065 ms with AVX-512 on a cache-aligned K.

/// Threads for a pass over n rows: the pool's (the caller and its workers) for 256 rows or more.
fn pass_threads(n: usize) -> usize {
    if n >= 256 {
        super::pool::threads()
    } else {
        1
    }
}

/// Rows handled together: their dot products share each load of v, and their Mᵀu updates share each
/// load and store of the accumulator (one read-modify-write of Mᵀu per `BLOCK` rows instead of per row).
/// Measured (n = 2000–4000, two cores): 11 → 6.5 ms per pass at n = 4000.
const BLOCK: usize = 4;

/// Lanes of every dot product of the pass ([`dot8`]): one AVX-512 register, two AVX2 registers.
const LANES: usize = 8;

/// The dot product the pass uses: lane l sums x_j·y_j for j ≡ l (mod 8) in order of j, the lanes are summed
/// pairwise, then the products past the last whole group of eight (in order). Every path of the pass —
/// portable, AVX2, AVX-512 — forms exactly these sums, so they agree bit for bit.
#[inline(always)]
pub fn dot8(x: &[f64], y: &[f64]) -> f64 {
    lanes8(x, y, |a, b| a * b)
}

/// Σ_j h(x_j, y_j) summed as [`dot8`] sums its products: in eight lanes, then pairwise, then the tail — so
/// the compiler can vectorise it.
#[inline(always)]
pub fn lanes8(x: &[f64], y: &[f64], h: impl Fn(f64, f64) -> f64) -> f64 {
    let mut acc = [0.0f64; LANES];
    let (xc, yc) = (x.chunks_exact(LANES), y.chunks_exact(LANES));
    let tail: f64 = xc.remainder().iter().zip(yc.remainder()).map(|(a, b)| h(*a, *b)).sum();
    for (p, q) in xc.zip(yc) {
        for l in 0..LANES {
            acc[l] += h(p[l], q[l]);
        }
    }
    lanes_sum(acc) + tail
}

/// [`lanes8`] that also writes each term h(x_j, y_j) to `out[j]`: the same sum, bit for bit.
#[inline(always)]
pub fn lanes8_keep(x: &[f64], y: &[f64], out: &mut [f64], h: impl Fn(f64, f64) -> f64) -> f64 {
    let mut acc = [0.0f64; LANES];
    let body = x.len() / LANES * LANES;
    let (out_body, out_tail) = out[..x.len()].split_at_mut(body);
    let (xc, yc, oc) = (x[..body].chunks_exact(LANES), y[..body].chunks_exact(LANES), out_body.chunks_exact_mut(LANES));
    let mut tail = 0.0;
    for ((a, b), o) in x[body..].iter().zip(&y[body..]).zip(out_tail) {
        *o = h(*a, *b);
        tail += *o;
    }
    for ((p, q), o) in xc.zip(yc).zip(oc) {
        for l in 0..LANES {
            o[l] = h(p[l], q[l]);
            acc[l] += o[l];
        }
    }
    lanes_sum(acc) + tail
}

/// ((l0 + l1) + (l2 + l3)) + ((l4 + l5) + (l6 + l7)).
#[inline(always)]
fn lanes_sum(l: [f64; LANES]) -> f64 {
    ((l[0] + l[1]) + (l[2] + l[3])) + ((l[4] + l[5]) + (l[6] + l[7]))
}

/// The products of `line` and v past the last whole group of eight, summed in order (`dot8`'s tail).
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn tail_dot(line: &[f64], v: &[f64], body: usize) -> f64 {
    line[body..v.len()].iter().zip(&v[body..]).map(|(a, b)| a * b).sum()
}

/// One block of rows: the `BLOCK` dot products with v, then (acc_j += Σ_r M_rj u_r, rows in order) into `ktu`.
/// A path supplies both halves; `rows_with` runs them over a range and the leftover rows one at a time.
trait Block {
    fn dots(lines: &[&[f64]; BLOCK], v: &[f64]) -> [f64; BLOCK];
    fn update(lines: &[&[f64]; BLOCK], us: &[f64; BLOCK], ktu: &mut [f64]);
}

/// The rows in `range`: (u, Mᵀu restricted to them). Sums are formed in the same order as one row at a
/// time (per row: `dot8`'s lanes; per column: rows in order), so blocking changes no bit of the result.
#[inline(always)]
fn rows_with<B: Block, F: Fn(usize, f64) -> f64>(
    k: &[f64],
    v: &[f64],
    m: usize,
    f: &F,
    range: std::ops::Range<usize>,
) -> (Vec<f64>, Vec<f64>) {
    let mut u = Vec::with_capacity(range.len());
    let mut ktu = vec![0.0; m];
    let mut i = range.start;
    while i + BLOCK <= range.end {
        let lines: [&[f64]; BLOCK] = std::array::from_fn(|r| &k[(i + r) * m..(i + r + 1) * m]);
        let d = B::dots(&lines, v);
        let us: [f64; BLOCK] = std::array::from_fn(|r| f(i + r, d[r]));
        B::update(&lines, &us, &mut ktu);
        u.extend_from_slice(&us);
        i += BLOCK;
    }
    for i in i..range.end {
        let line = &k[i * m..(i + 1) * m];
        let ui = f(i, dot8(line, v));
        line.iter().zip(ktu.iter_mut()).for_each(|(kij, acc)| *acc += kij * ui);
        u.push(ui);
    }
    (u, ktu)
}

/// The portable path (SSE2 on x86-64, scalar code on wasm).
struct Portable;

impl Block for Portable {
    #[inline(always)]
    fn dots(lines: &[&[f64]; BLOCK], v: &[f64]) -> [f64; BLOCK] {
        lines.map(|line| dot8(line, v))
    }

    #[inline(always)]
    fn update(lines: &[&[f64]; BLOCK], us: &[f64; BLOCK], ktu: &mut [f64]) {
        let [l0, l1, l2, l3] = *lines;
        for ((((acc, a), b), c), d) in ktu.iter_mut().zip(l0).zip(l1).zip(l2).zip(l3) {
            *acc = (((*acc + a * us[0]) + b * us[1]) + c * us[2]) + d * us[3];
        }
    }
}

/// AVX2: lanes 0–3 and 4–7 of a row's dot product in two registers; the compiler vectorises the update.
/// Its methods run only inside `rows_avx2`, after AVX2 was detected (debug builds check it).
#[cfg(target_arch = "x86_64")]
struct Avx2;

#[cfg(target_arch = "x86_64")]
impl Block for Avx2 {
    #[inline(always)]
    fn dots(lines: &[&[f64]; BLOCK], v: &[f64]) -> [f64; BLOCK] {
        #[target_feature(enable = "avx2")]
        unsafe fn inner(lines: &[&[f64]; BLOCK], v: &[f64]) -> [f64; BLOCK] {
            use std::arch::x86_64::{
                __m256d, _mm256_add_pd, _mm256_loadu_pd, _mm256_mul_pd, _mm256_setzero_pd, _mm256_storeu_pd,
            };
            let body = v.len() - v.len() % LANES;
            assert!(lines.iter().all(|l| l.len() >= body), "every line holds v's length");
            let mut lo: [__m256d; BLOCK] = [_mm256_setzero_pd(); BLOCK];
            let mut hi: [__m256d; BLOCK] = [_mm256_setzero_pd(); BLOCK];
            let mut j = 0;
            while j < body {
                // SAFETY: j + 8 <= body <= the length of v and of every line (asserted above).
                unsafe {
                    let (w0, w1) = (_mm256_loadu_pd(v.as_ptr().add(j)), _mm256_loadu_pd(v.as_ptr().add(j + 4)));
                    for r in 0..BLOCK {
                        let p = lines[r].as_ptr().add(j);
                        lo[r] = _mm256_add_pd(lo[r], _mm256_mul_pd(_mm256_loadu_pd(p), w0));
                        hi[r] = _mm256_add_pd(hi[r], _mm256_mul_pd(_mm256_loadu_pd(p.add(4)), w1));
                    }
                }
                j += LANES;
            }
            std::array::from_fn(|r| {
                let mut lane = [0.0f64; LANES];
                // SAFETY: `lane` holds eight f64.
                unsafe {
                    _mm256_storeu_pd(lane.as_mut_ptr(), lo[r]);
                    _mm256_storeu_pd(lane.as_mut_ptr().add(4), hi[r]);
                }
                lanes_sum(lane) + tail_dot(lines[r], v, body)
            })
        }
        debug_assert!(std::is_x86_feature_detected!("avx2"), "the AVX2 block runs without AVX2");
        // SAFETY: only `rows_avx2` uses this block, after detecting AVX2 (the invariant above).
        unsafe { inner(lines, v) }
    }

    #[inline(always)]
    fn update(lines: &[&[f64]; BLOCK], us: &[f64; BLOCK], ktu: &mut [f64]) {
        Portable::update(lines, us, ktu);
    }
}

/// AVX-512: a row's eight lanes in one register, and the update eight columns per instruction. Its
/// methods run only inside `rows_avx512`, after AVX-512F was detected (debug builds check it).
#[cfg(target_arch = "x86_64")]
struct Avx512;

#[cfg(target_arch = "x86_64")]
impl Block for Avx512 {
    #[inline(always)]
    fn dots(lines: &[&[f64]; BLOCK], v: &[f64]) -> [f64; BLOCK] {
        #[target_feature(enable = "avx512f")]
        unsafe fn inner(lines: &[&[f64]; BLOCK], v: &[f64]) -> [f64; BLOCK] {
            use std::arch::x86_64::{
                __m512d, _mm512_add_pd, _mm512_loadu_pd, _mm512_mul_pd, _mm512_setzero_pd, _mm512_storeu_pd,
            };
            let body = v.len() - v.len() % LANES;
            assert!(lines.iter().all(|l| l.len() >= body), "every line holds v's length");
            let mut acc: [__m512d; BLOCK] = [_mm512_setzero_pd(); BLOCK];
            let mut j = 0;
            while j < body {
                // SAFETY: j + 8 <= body <= the length of v and of every line (asserted above).
                unsafe {
                    let w = _mm512_loadu_pd(v.as_ptr().add(j));
                    for r in 0..BLOCK {
                        acc[r] = _mm512_add_pd(acc[r], _mm512_mul_pd(_mm512_loadu_pd(lines[r].as_ptr().add(j)), w));
                    }
                }
                j += LANES;
            }
            std::array::from_fn(|r| {
                let mut lane = [0.0f64; LANES];
                // SAFETY: `lane` holds eight f64.
                unsafe { _mm512_storeu_pd(lane.as_mut_ptr(), acc[r]) };
                lanes_sum(lane) + tail_dot(lines[r], v, body)
            })
        }
        debug_assert!(std::is_x86_feature_detected!("avx512f"), "the AVX-512 block runs without AVX-512F");
        // SAFETY: only `rows_avx512` uses this block, after detecting AVX-512F (the invariant above).
        unsafe { inner(lines, v) }
    }

    #[inline(always)]
    fn update(lines: &[&[f64]; BLOCK], us: &[f64; BLOCK], ktu: &mut [f64]) {
        #[target_feature(enable = "avx512f")]
        unsafe fn inner(lines: &[&[f64]; BLOCK], us: &[f64; BLOCK], ktu: &mut [f64]) {
            use std::arch::x86_64::{_mm512_add_pd, _mm512_loadu_pd, _mm512_mul_pd, _mm512_set1_pd, _mm512_storeu_pd};
            let m = ktu.len();
            let body = m - m % LANES;
            assert!(lines.iter().all(|l| l.len() >= m), "every line holds Mᵀu's length");
            let w = us.map(|x| _mm512_set1_pd(x));
            let out = ktu.as_mut_ptr();
            let mut j = 0;
            while j < body {
                // SAFETY: j + 8 <= body <= m, the length of ktu and of every line (asserted above).
                unsafe {
                    let mut acc = _mm512_loadu_pd(out.add(j));
                    for r in 0..BLOCK {
                        acc = _mm512_add_pd(acc, _mm512_mul_pd(_mm512_loadu_pd(lines[r].as_ptr().add(j)), w[r]));
                    }
                    _mm512_storeu_pd(out.add(j), acc);
                }
                j += LANES;
            }
            for j in body..m {
                ktu[j] = (((ktu[j] + lines[0][j] * us[0]) + lines[1][j] * us[1]) + lines[2][j] * us[2])
                    + lines[3][j] * us[3];
            }
        }
        debug_assert!(std::is_x86_feature_detected!("avx512f"), "the AVX-512 block runs without AVX-512F");
        // SAFETY: only `rows_avx512` uses this block, after detecting AVX-512F (the invariant above).
        unsafe { inner(lines, us, ktu) }
    }
}

/// The rows on an AVX2 processor (the whole sweep compiled for AVX2, so the update vectorises too).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn rows_avx2<F: Fn(usize, f64) -> f64>(
    k: &[f64],
    v: &[f64],
    m: usize,
    f: &F,
    range: std::ops::Range<usize>,
) -> (Vec<f64>, Vec<f64>) {
    rows_with::<Avx2, F>(k, v, m, f, range)
}

/// The rows on an AVX-512 processor.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn rows_avx512<F: Fn(usize, f64) -> f64>(
    k: &[f64],
    v: &[f64],
    m: usize,
    f: &F,
    range: std::ops::Range<usize>,
) -> (Vec<f64>, Vec<f64>) {
    rows_with::<Avx512, F>(k, v, m, f, range)
}

/// The widest vector unit this processor has, checked at run time (one binary serves every x86-64).
#[inline(always)]
fn rows<F: Fn(usize, f64) -> f64>(
    k: &[f64],
    v: &[f64],
    m: usize,
    f: &F,
    range: std::ops::Range<usize>,
) -> (Vec<f64>, Vec<f64>) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::is_x86_feature_detected!("avx512f") {
            // SAFETY: the processor has AVX-512F (checked on the line above).
            return unsafe { rows_avx512(k, v, m, f, range) };
        }
        if std::is_x86_feature_detected!("avx2") {
            // SAFETY: the processor has AVX2 (checked on the line above).
            return unsafe { rows_avx2(k, v, m, f, range) };
        }
    }
    rows_with::<Portable, F>(k, v, m, f, range)
}

/// (u, Mᵀu) with u_i = f(i, ⟨M_i, v⟩). M's rows are read with unaligned loads; a matrix whose rows start
/// on 64-byte boundaries (an [`Aligned`] buffer with m a multiple of 8) is read fastest — an AVX-512 load
/// that straddles two cache lines costs two (measured: 27 % slower at n = 1000).
pub fn row_pass(
    k: &[f64],
    v: &[f64],
    n: usize,
    m: usize,
    f: impl Fn(usize, f64) -> f64 + Sync,
) -> (Vec<f64>, Vec<f64>) {
    let rows = |range: std::ops::Range<usize>| rows(k, v, m, &f, range);
    let threads = pass_threads(n);
    if threads <= 1 {
        return rows(0..n);
    }
    let chunk = n.div_ceil(threads);
    let parts = super::pool::map_parts(threads, |t| rows((t * chunk).min(n)..((t + 1) * chunk).min(n)));
    let mut u = Vec::with_capacity(n);
    let mut ktu = vec![0.0; m];
    for (pu, pk) in parts {
        u.extend(pu);
        ktu.iter_mut().zip(pk).for_each(|(acc, x)| *acc += x);
    }
    (u, ktu)
}

/// f64s whose first element sits on a 64-byte boundary (a cache line; an AVX-512 register), for the
/// matrices the pass streams. A `Vec` gives only the allocator's 16 bytes.
pub struct Aligned {
    buf: Vec<f64>,
    start: usize,
    len: usize,
}

impl Aligned {
    /// The first `len` values of `values`, aligned.
    pub fn new(len: usize, values: impl IntoIterator<Item = f64>) -> Self {
        let mut buf = Vec::with_capacity(len + 7);
        let start = (buf.as_ptr() as usize / 8).wrapping_neg() % 8;
        buf.resize(start, 0.0);
        buf.extend(values.into_iter().take(len));
        assert_eq!(buf.len(), start + len, "Aligned::new: fewer values than len");
        Self { buf, start, len }
    }
}

impl Clone for Aligned {
    /// A copy in a buffer of its own, aligned afresh (a cloned `Vec` may sit elsewhere modulo 64).
    fn clone(&self) -> Self {
        Self::new(self.len, self.iter().copied())
    }
}

impl std::ops::Deref for Aligned {
    type Target = [f64];
    fn deref(&self) -> &[f64] {
        &self.buf[self.start..self.start + self.len]
    }
}

impl std::ops::DerefMut for Aligned {
    fn deref_mut(&mut self) -> &mut [f64] {
        &mut self.buf[self.start..self.start + self.len]
    }
}

/// A dot product with four independent accumulators, so the compiler can vectorise it.
#[inline(always)]
pub fn dot4(x: &[f64], y: &[f64]) -> f64 {
    let mut acc = [0.0f64; 4];
    let (xc, yc) = (x.chunks_exact(4), y.chunks_exact(4));
    let tail: f64 = xc.remainder().iter().zip(yc.remainder()).map(|(a, b)| a * b).sum();
    for (p, q) in xc.zip(yc) {
        for l in 0..4 {
            acc[l] += p[l] * q[l];
        }
    }
    acc[0] + acc[1] + acc[2] + acc[3] + tail
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One row at a time: the bit-for-bit reference.
    fn row_at_a_time(
        k: &[f64],
        v: &[f64],
        m: usize,
        f: impl Fn(usize, f64) -> f64,
        range: std::ops::Range<usize>,
    ) -> (Vec<f64>, Vec<f64>) {
        let mut u = Vec::new();
        let mut ktu = vec![0.0; m];
        for i in range {
            let line = &k[i * m..(i + 1) * m];
            let ui = f(i, dot8(line, v));
            line.iter().zip(ktu.iter_mut()).for_each(|(kij, acc)| *acc += kij * ui);
            u.push(ui);
        }
        (u, ktu)
    }

    fn matrix(n: usize, m: usize) -> (Vec<f64>, Vec<f64>) {
        let k: Vec<f64> = (0..n * m).map(|x| (x as f64 * 0.37).sin()).collect();
        let v: Vec<f64> = (0..m).map(|x| x as f64 - 3.0).collect();
        (k, v)
    }

    #[test]
    fn the_fused_pass_equals_the_two_products() {
        // Row counts that leave 0–3 rows after the blocks of four in each thread's share; widths with and
        // without a tail after dot8's lanes.
        for (n, m) in [(600, 7), (601, 13), (1003, 4), (258, 1), (5, 64), (1, 3), (300, 24)] {
            let (k, v) = matrix(n, m);
            let (u, ktu) = row_pass(&k, &v, n, m, |i, kv| kv * (i % 3) as f64);
            for i in 0..n {
                let kv: f64 = (0..m).map(|j| k[i * m + j] * v[j]).sum();
                assert!((u[i] - kv * (i % 3) as f64).abs() < 1e-12 * (1.0 + kv.abs()), "n {n} m {m} row {i}");
            }
            for j in 0..m {
                let want: f64 = (0..n).map(|i| k[i * m + j] * u[i]).sum();
                assert!((ktu[j] - want).abs() < 1e-9 * (1.0 + want.abs()), "n {n} m {m} column {j}");
            }
        }
    }

    #[test]
    fn blocking_and_simd_change_no_bit() {
        let f = |i: usize, kv: f64| 1.0 / (1.0 + kv.abs() + i as f64);
        // Widths below, at and past one group of eight lanes, with and without a tail.
        for (n, m) in [(37, 11), (64, 64), (9, 1), (3, 5), (13, 8), (21, 23), (6, 40)] {
            let (k, v) = matrix(n, m);
            let want = row_at_a_time(&k, &v, m, f, 0..n);
            assert_eq!(rows_with::<Portable, _>(&k, &v, m, &f, 0..n), want, "portable, n {n} m {m}");
            assert_eq!(rows(&k, &v, m, &f, 0..n), want, "dispatched (the widest unit this processor has), n {n} m {m}");
            #[cfg(target_arch = "x86_64")]
            if std::is_x86_feature_detected!("avx2") {
                // SAFETY: AVX2 detected on the line above.
                assert_eq!(unsafe { rows_avx2(&k, &v, m, &f, 0..n) }, want, "AVX2, n {n} m {m}");
            }
            #[cfg(target_arch = "x86_64")]
            if std::is_x86_feature_detected!("avx512f") {
                // SAFETY: AVX-512F detected on the line above.
                assert_eq!(unsafe { rows_avx512(&k, &v, m, &f, 0..n) }, want, "AVX-512, n {n} m {m}");
            }
            // A range that starts mid-matrix, as a thread's share does.
            assert_eq!(rows(&k, &v, m, &f, 2..n), row_at_a_time(&k, &v, m, f, 2..n));
        }
    }

    #[test]
    fn an_aligned_buffer_starts_on_a_cache_line_and_keeps_its_values() {
        for len in [0, 1, 7, 8, 1000] {
            let a = Aligned::new(len, (0..len).map(|x| x as f64));
            let b = a.clone();
            for buf in [&a, &b] {
                assert_eq!(buf.as_ptr() as usize % 64, 0, "len {len}");
                assert_eq!(buf.len(), len);
                assert!(buf.iter().enumerate().all(|(i, x)| *x == i as f64));
            }
        }
    }
}
