// Dense sketch applied to a matrix: Y = S·A with S ∈ ℝ^{m×n} drawn on the fly, never stored:
//   Gaussian   S_ij = N(0,1)/√m,  N from Box–Muller on two Philox words
//   Rademacher S_ij = ±1/√m,     the sign from the low bit of one Philox word
// Philox4x32-10 with counter (index_lo, index_hi, stream, 0), index = i·n + j, key = seed: the same bits
// as core/src/sketch/philox.rs, so the CPU twin (core/src/sketch/operators.rs) draws the same S: Rademacher
// entries exactly, Gaussian ones up to WGSL's accuracy for log and cos (cos: 2⁻¹¹ absolute, so |ΔN| ≲ 3e-3;
// lavapipe is far better, browsers' SwiftShader about 1e-5).
//
// One workgroup per (row i of Y, chunk of 8 columns): its 256 threads stride over j, each draws S_ij once
// and adds S_ij·A_jc to 8 private sums; a tree in workgroup memory (256 × 8 f32 = 8 KiB, under the 16 KiB
// WebGPU default) folds them. Bindings: 0 Params (uniform), 1 A (n × d, read), 2 Y (m × d, write).
// Workgroup ids are flattened (id.x + id.y · num_workgroups.x) for grids over 65,535.

struct Params {
    m: u32,
    n: u32,
    d: u32,
    kind: u32,      // 0 Gaussian, 1 Rademacher
    seed_lo: u32,
    seed_hi: u32,
    stream: u32,
    chunks: u32,    // ceil(d / 8)
}

@group(0) @binding(0) var<uniform> prm: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

const WG: u32 = 256u;
const COLS: u32 = 8u;

var<workgroup> scratch: array<f32, 2048>; // WG × COLS

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

@compute @workgroup_size(256)
fn dense_apply(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let g = wid.x + wid.y * nwg.x;
    if (g >= prm.m * prm.chunks) {
        return;
    }
    let i = g / prm.chunks;
    let c0 = (g % prm.chunks) * COLS;
    var acc = array<f32, 8>(0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
    for (var j = lid; j < prm.n; j += WG) {
        let s = entry(i, j);
        for (var t = 0u; t < COLS; t += 1u) {
            if (c0 + t < prm.d) {
                acc[t] += s * a[j * prm.d + c0 + t];
            }
        }
    }
    for (var t = 0u; t < COLS; t += 1u) {
        scratch[lid * COLS + t] = acc[t];
    }
    workgroupBarrier();
    for (var stride = WG / 2u; stride > 0u; stride /= 2u) {
        if (lid < stride) {
            for (var t = 0u; t < COLS; t += 1u) {
                scratch[lid * COLS + t] += scratch[(lid + stride) * COLS + t];
            }
        }
        workgroupBarrier();
    }
    if (lid < COLS && c0 + lid < prm.d) {
        y[i * prm.d + c0 + lid] = scratch[lid] / sqrt(f32(prm.m));
    }
}
