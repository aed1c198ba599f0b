// Dense sketch applied to a matrix: Y = S·A with S ∈ ℝ^{m×n} drawn on the fly, never stored:
//   Gaussian   S_ij = N(0,1)/√m,  N from Box–Muller on two Philox words
//   Rademacher S_ij = ±1/√m,     the sign from the low bit of one Philox word
// Philox4x32-10 with counter (index_lo, index_hi, stream, 0), index = i·n + j, key = seed: the same bits
// as core/src/sketch/philox.rs, so the CPU twin (core/src/sketch/operators.rs) draws the same S: Rademacher
// entries exactly, Gaussian ones up to WGSL's accuracy for log and cos (cos: 2⁻¹¹ absolute, so |ΔN| ≲ 3e-3;
// lavapipe is far better, browsers' SwiftShader about 1e-5).
//
// Two passes, neither with a workgroup barrier (a barrier makes SwiftShader — Chromium's WebGPU on the
// CPU — spend ~1 s compiling the pipeline on the GPU process's main thread, which stalls the page's
// frames; without one it compiles in ~50 ms):
//   dense_partial  one thread per (row i of Y, chunk of `width` ≤ 32 columns, block of `block` rows of A):
//                  draws S_ij once per j of its block and adds S_ij·A_jc to `width` private sums, written
//                  to P[(b·m + i)·d + c]. Drawing S_ij (Philox-10, and Box–Muller's log, sqrt and cos) costs
//                  far more than a multiply-add, and each chunk draws it again, so the columns are split
//                  into as few, equal chunks as 32 sums allow (d = 33, [A | b] for d = 32: two chunks of
//                  17 columns rather than five of ≤ 8). Consecutive threads take consecutive i (same j block
//                  and columns), so they read the same rows of A.
//   dense_sum      one thread per entry (i, c) of Y: Y_ic = Σ_b P[(b·m + i)·d + c] / √m.
// Bindings: 0 Params (uniform), 1 A (n × d, read), 2 P (blocks × m × d, read_write), 3 Y (m × d, write).
// Invocation ids are flattened (id.x + id.y · num_workgroups.x · 64) for grids over 65,535 workgroups.

struct Params {
    m: u32,
    n: u32,
    d: u32,
    kind: u32,      // 0 Gaussian, 1 Rademacher
    seed_lo: u32,
    seed_hi: u32,
    stream: u32,
    chunks: u32,    // ceil(d / width)
    block: u32,     // rows of A per partial sum
    blocks: u32,    // ceil(n / block)
    width: u32,     // columns per chunk, ≤ COLS; chunks = ceil(d / width), so every chunk starts below d
    pad1: u32,
}

@group(0) @binding(0) var<uniform> prm: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read_write> part: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;

const WG: u32 = 64u;
const COLS: u32 = 32u;

// mulhilo, philox and unit come from philox.wgsl, prepended by core/src/sketch/gpu.rs.

fn entry(i: u32, j: u32) -> f32 {
    let hl = mulhilo(i, prm.n);
    let lo = hl.y + j;
    let hi = hl.x + select(0u, 1u, lo < hl.y);
    let w = philox(vec4<u32>(lo, hi, prm.stream, 0u), vec2<u32>(prm.seed_lo, prm.seed_hi));
    if (prm.kind == 0u) {
        // cos(2πu) = −cos(2πu − π): WGSL bounds cos's error (absolute 2⁻¹¹) only on [−π, π].
        return -sqrt(-2.0 * log(unit(w.x))) * cos(6.283185307179586 * unit(w.y) - 3.141592653589793);
    }
    return select(-1.0, 1.0, (w.x & 1u) == 0u);
}

@compute @workgroup_size(64)
fn dense_partial(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let g = gid.x + gid.y * nwg.x * WG;
    if (g >= prm.m * prm.chunks * prm.blocks) {
        return;
    }
    let i = g % prm.m;
    let rest = g / prm.m;
    let c0 = (rest % prm.chunks) * prm.width;
    let b = rest / prm.chunks;
    let j_end = min(prm.n, (b + 1u) * prm.block);
    var acc: array<f32, COLS>;
    let cols = min(prm.width, prm.d - c0);
    for (var j = b * prm.block; j < j_end; j += 1u) {
        let s = entry(i, j);
        let row = j * prm.d + c0;
        for (var t = 0u; t < cols; t += 1u) {
            acc[t] += s * a[row + t];
        }
    }
    for (var t = 0u; t < cols; t += 1u) {
        part[(b * prm.m + i) * prm.d + c0 + t] = acc[t];
    }
}

@compute @workgroup_size(64)
fn dense_sum(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let e = gid.x + gid.y * nwg.x * WG;
    if (e >= prm.m * prm.d) {
        return;
    }
    var sum = 0.0;
    for (var b = 0u; b < prm.blocks; b += 1u) {
        sum += part[b * prm.m * prm.d + e];
    }
    y[e] = sum / sqrt(f32(prm.m));
}
