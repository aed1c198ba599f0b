//! One streaming pass over a row-major matrix M (n × m) that computes, per row, a coefficient
//! u_i = f(i, ⟨M_i, v⟩) and accumulates Mᵀu in the same sweep: M is read once for both products. Kernel
//! Sinkhorn uses it (u_i = a_i / (Kv)_i, then Kᵀu) and so does LSQR (u = Mv, then MᵀMv). The pass is
//! memory-bound: both cores natively (two cores draw more bandwidth than one), one on wasm.

/// Threads for a pass over n rows.
fn pass_threads(n: usize) -> usize {
    #[cfg(not(target_arch = "wasm32"))]
    {
        let cores = std::thread::available_parallelism().map_or(1, |c| c.get()).min(4);
        if n >= 256 {
            return cores;
        }
    }
    let _ = n;
    1
}

/// The rows in `range`: (u, Mᵀu restricted to them).
#[inline(always)]
fn rows_generic<F: Fn(usize, f64) -> f64>(k: &[f64], v: &[f64], m: usize, f: &F, range: std::ops::Range<usize>) -> (Vec<f64>, Vec<f64>) {
    let mut u = Vec::with_capacity(range.len());
    let mut ktu = vec![0.0; m];
    for i in range {
        let line = &k[i * m..(i + 1) * m];
        let ui = f(i, dot4(line, v));
        line.iter().zip(ktu.iter_mut()).for_each(|(kij, acc)| *acc += kij * ui);
        u.push(ui);
    }
    (u, ktu)
}

/// (u, Mᵀu) with u_i = f(i, ⟨M_i, v⟩).
pub fn row_pass(k: &[f64], v: &[f64], n: usize, m: usize, f: impl Fn(usize, f64) -> f64 + Sync) -> (Vec<f64>, Vec<f64>) {
    let rows = |range: std::ops::Range<usize>| rows_generic(k, v, m, &f, range);
    let threads = pass_threads(n);
    if threads <= 1 {
        return rows(0..n);
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        let chunk = n.div_ceil(threads);
        let rows = &rows;
        let parts: Vec<(Vec<f64>, Vec<f64>)> = std::thread::scope(|scope| {
            let handles: Vec<_> =
                (0..threads).map(|t| scope.spawn(move || rows((t * chunk).min(n)..((t + 1) * chunk).min(n)))).collect();
            handles.into_iter().map(|h| h.join().expect("row pass thread")).collect()
        });
        let mut u = Vec::with_capacity(n);
        let mut ktu = vec![0.0; m];
        for (pu, pk) in parts {
            u.extend(pu);
            ktu.iter_mut().zip(pk).for_each(|(acc, x)| *acc += x);
        }
        return (u, ktu);
    }
    #[allow(unreachable_code)]
    rows(0..n)
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
    #[test]
    fn the_fused_pass_equals_the_two_products() {
        let (n, m) = (600, 7); // enough rows for two threads
        let k: Vec<f64> = (0..n * m).map(|x| (x as f64 * 0.37).sin()).collect();
        let v: Vec<f64> = (0..m).map(|x| x as f64 - 3.0).collect();
        let (u, ktu) = super::row_pass(&k, &v, n, m, |i, kv| kv * (i % 3) as f64);
        for i in 0..n {
            let kv: f64 = (0..m).map(|j| k[i * m + j] * v[j]).sum();
            assert!((u[i] - kv * (i % 3) as f64).abs() < 1e-12);
        }
        for j in 0..m {
            let want: f64 = (0..n).map(|i| k[i * m + j] * u[i]).sum();
            assert!((ktu[j] - want).abs() < 1e-9 * (1.0 + want.abs()));
        }
    }
}


