//! One streaming pass over a row-major matrix M (n × m) that computes, per row, a coefficient
//! u_i = f(i, ⟨M_i, v⟩) and accumulates Mᵀu in the same sweep: M is read once for both products. Kernel
//! Sinkhorn uses it (u_i = a_i / (Kv)_i, then Kᵀu) and so does LSQR (u = Mv, then MᵀMv). The pass is
//! memory-bound: all cores natively (two cores draw more bandwidth than one; the threads are `cpu::pool`'s
//! persistent workers), one on wasm.

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

/// Dot products of `BLOCK` lines with v: `[dot4(line, v) for line in lines]`, bit for bit.
type Dots = fn(&[&[f64]; BLOCK], &[f64]) -> [f64; BLOCK];

/// The rows in `range`: (u, Mᵀu restricted to them). Sums are formed in the same order as one row at a
/// time (per row: `dot4`'s lanes; per column: rows in order), so blocking changes no bit of the result.
#[inline(always)]
fn rows_with<F: Fn(usize, f64) -> f64>(dots: Dots, k: &[f64], v: &[f64], m: usize, f: &F, range: std::ops::Range<usize>) -> (Vec<f64>, Vec<f64>) {
    let mut u = Vec::with_capacity(range.len());
    let mut ktu = vec![0.0; m];
    let mut i = range.start;
    while i + BLOCK <= range.end {
        let lines: [&[f64]; BLOCK] = std::array::from_fn(|r| &k[(i + r) * m..(i + r + 1) * m]);
        let d = dots(&lines, v);
        let us: [f64; BLOCK] = std::array::from_fn(|r| f(i + r, d[r]));
        let [l0, l1, l2, l3] = lines;
        for ((((acc, a), b), c), d) in ktu.iter_mut().zip(l0).zip(l1).zip(l2).zip(l3) {
            *acc = (((*acc + a * us[0]) + b * us[1]) + c * us[2]) + d * us[3];
        }
        u.extend_from_slice(&us);
        i += BLOCK;
    }
    for i in i..range.end {
        let line = &k[i * m..(i + 1) * m];
        let ui = f(i, dot4(line, v));
        line.iter().zip(ktu.iter_mut()).for_each(|(kij, acc)| *acc += kij * ui);
        u.push(ui);
    }
    (u, ktu)
}

/// The portable version (SSE2 on x86-64, scalar code on wasm).
fn dot4_rows(lines: &[&[f64]; BLOCK], v: &[f64]) -> [f64; BLOCK] {
    lines.map(|line| dot4(line, v))
}

/// The rows on an AVX2 processor: the same arithmetic, four lanes per instruction. The compiler
/// vectorises the Mᵀu update by itself but not the four interleaved dot products (it shuffles across
/// rows), so those are written with intrinsics: lane l of row r's register is `dot4`'s accumulator l.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn rows_avx2<F: Fn(usize, f64) -> f64>(k: &[f64], v: &[f64], m: usize, f: &F, range: std::ops::Range<usize>) -> (Vec<f64>, Vec<f64>) {
    rows_with(dot4_rows_avx2, k, v, m, f, range)
}

#[cfg(target_arch = "x86_64")]
fn dot4_rows_avx2(lines: &[&[f64]; BLOCK], v: &[f64]) -> [f64; BLOCK] {
    #[target_feature(enable = "avx2")]
    unsafe fn inner(lines: &[&[f64]; BLOCK], v: &[f64]) -> [f64; BLOCK] {
        use std::arch::x86_64::{__m256d, _mm256_add_pd, _mm256_loadu_pd, _mm256_mul_pd, _mm256_setzero_pd, _mm256_storeu_pd};
        let body = v.len() - v.len() % 4;
        assert!(lines.iter().all(|l| l.len() >= body), "every line holds v's length");
        let mut acc: [__m256d; BLOCK] = [_mm256_setzero_pd(); BLOCK];
        let mut j = 0;
        while j < body {
            // SAFETY: j + 4 <= body <= the length of v and of every line (asserted above).
            unsafe {
                let w = _mm256_loadu_pd(v.as_ptr().add(j));
                for r in 0..BLOCK {
                    acc[r] = _mm256_add_pd(acc[r], _mm256_mul_pd(_mm256_loadu_pd(lines[r].as_ptr().add(j)), w));
                }
            }
            j += 4;
        }
        std::array::from_fn(|r| {
            let mut lane = [0.0f64; 4];
            // SAFETY: `lane` holds four f64.
            unsafe { _mm256_storeu_pd(lane.as_mut_ptr(), acc[r]) };
            let tail: f64 = lines[r][body..v.len()].iter().zip(&v[body..]).map(|(a, b)| a * b).sum();
            lane[0] + lane[1] + lane[2] + lane[3] + tail
        })
    }
    // Private, and only passed as `rows_avx2`'s dot products, which run after AVX2 was detected; debug
    // builds (the tests) check that invariant on every call.
    debug_assert!(std::is_x86_feature_detected!("avx2"), "dot4_rows_avx2 called without AVX2");
    // SAFETY: the processor has AVX2 (the invariant above).
    unsafe { inner(lines, v) }
}

/// The widest vector unit this processor has, checked at run time (one binary serves every x86-64).
#[inline(always)]
fn rows<F: Fn(usize, f64) -> f64>(k: &[f64], v: &[f64], m: usize, f: &F, range: std::ops::Range<usize>) -> (Vec<f64>, Vec<f64>) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::is_x86_feature_detected!("avx2") {
            // SAFETY: the processor has AVX2 (checked on the line above).
            return unsafe { rows_avx2(k, v, m, f, range) };
        }
    }
    rows_with(dot4_rows, k, v, m, f, range)
}

/// (u, Mᵀu) with u_i = f(i, ⟨M_i, v⟩).
pub fn row_pass(k: &[f64], v: &[f64], n: usize, m: usize, f: impl Fn(usize, f64) -> f64 + Sync) -> (Vec<f64>, Vec<f64>) {
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

    /// One row at a time, as the pass was before blocking: the bit-for-bit reference.
    fn row_at_a_time(k: &[f64], v: &[f64], m: usize, f: impl Fn(usize, f64) -> f64, range: std::ops::Range<usize>) -> (Vec<f64>, Vec<f64>) {
        let mut u = Vec::new();
        let mut ktu = vec![0.0; m];
        for i in range {
            let line = &k[i * m..(i + 1) * m];
            let ui = f(i, dot4(line, v));
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
        // without a tail after dot4's lanes.
        for (n, m) in [(600, 7), (601, 13), (1003, 4), (258, 1), (5, 64), (1, 3)] {
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
        for (n, m) in [(37, 11), (64, 64), (9, 1), (3, 5)] {
            let (k, v) = matrix(n, m);
            let want = row_at_a_time(&k, &v, m, f, 0..n);
            assert_eq!(rows_with(dot4_rows, &k, &v, m, &f, 0..n), want, "portable, n {n} m {m}");
            assert_eq!(rows(&k, &v, m, &f, 0..n), want, "dispatched (AVX2 where the processor has it), n {n} m {m}");
            #[cfg(target_arch = "x86_64")]
            if std::is_x86_feature_detected!("avx2") {
                // SAFETY: AVX2 detected on the line above.
                assert_eq!(unsafe { rows_avx2(&k, &v, m, &f, 0..n) }, want, "AVX2, n {n} m {m}");
            }
            // A range that starts mid-matrix, as a thread's share does.
            assert_eq!(rows(&k, &v, m, &f, 2..n), row_at_a_time(&k, &v, m, f, 2..n));
        }
    }
}
