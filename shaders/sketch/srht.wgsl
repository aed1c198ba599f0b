// SRHT's first two factors on the device: X = H·D·A with A (n × d) padded to len = 2^L rows.
//   srht_signs  X_jc = D_j A_jc for j < n, 0 for n ≤ j < len; D_j = ±1 from the low bit of the first Philox
//               word of (index j, stream 2) under the seed: the CPU twin's D (core/src/sketch/operators.rs).
//   fwht_block  `bits` butterfly stages (bits ≤ 8) of the unnormalised Walsh–Hadamard transform along the
//               rows, on the bit range [bit_lo, bit_lo + bits) of the row index. A workgroup owns the 2^bits
//               rows that differ only in those bits, for 8 columns, in workgroup memory (256 × 8 f32 = 8 KiB):
//               one read and one write of X per 8 stages, so n = 2^16 takes 2 passes instead of 16.
// Sampling rows and the 1/√m scale are the gather in gather.wgsl. Bindings: 0 Params (uniform),
// 1 A (read; unused by fwht_block), 2 X (len × d, read_write). Ids flattened as id.x + id.y · num_workgroups.x.
// mulhilo, philox and unit come from philox.wgsl, prepended by core/src/sketch/gpu.rs.

struct Params {
    n: u32,
    len: u32,
    d: u32,
    chunks: u32,    // ceil(d / 8)
    seed_lo: u32,
    seed_hi: u32,
    stream: u32,
    bit_lo: u32,
    bits: u32,
    pad0: u32,
    pad1: u32,
    pad2: u32,
}

@group(0) @binding(0) var<uniform> prm: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read_write> x: array<f32>;

const WG: u32 = 256u;
const COLS: u32 = 8u;

var<workgroup> tile: array<f32, 2048>; // 256 rows × COLS

@compute @workgroup_size(256)
fn srht_signs(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let k = gid.x + gid.y * nwg.x * WG;
    if (k >= prm.len * prm.d) {
        return;
    }
    let j = k / prm.d;
    if (j >= prm.n) {
        x[k] = 0.0;
        return;
    }
    let w = philox(vec4<u32>(j, 0u, prm.stream, 0u), vec2<u32>(prm.seed_lo, prm.seed_hi));
    x[k] = select(-1.0, 1.0, (w.x & 1u) == 0u) * a[k];
}

// Row of local index t (0 ≤ t < 2^bits) in workgroup g: the other bits of the row come from g.
fn row_of(g: u32, t: u32) -> u32 {
    let low = g & ((1u << prm.bit_lo) - 1u);
    let high = g >> prm.bit_lo;
    return (high << (prm.bit_lo + prm.bits)) | (t << prm.bit_lo) | low;
}

@compute @workgroup_size(256)
fn fwht_block(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let flat = wid.x + wid.y * nwg.x;
    let size = 1u << prm.bits;
    let groups = prm.len >> prm.bits;
    // Uniform control flow: every thread of a workgroup takes the same branch.
    if (flat >= groups * prm.chunks) {
        return;
    }
    let g = flat / prm.chunks;
    let c0 = (flat % prm.chunks) * COLS;
    for (var e = lid; e < size * COLS; e += WG) {
        let t = e / COLS;
        let c = c0 + e % COLS;
        tile[e] = select(0.0, x[row_of(g, t) * prm.d + c], c < prm.d);
    }
    workgroupBarrier();
    for (var h = 1u; h < size; h *= 2u) {
        for (var e = lid; e < size / 2u * COLS; e += WG) {
            let q = e / COLS;
            let c = e % COLS;
            let i = (q / h) * 2u * h + q % h;
            let u = tile[i * COLS + c];
            let v = tile[(i + h) * COLS + c];
            tile[i * COLS + c] = u + v;
            tile[(i + h) * COLS + c] = u - v;
        }
        workgroupBarrier();
    }
    for (var e = lid; e < size * COLS; e += WG) {
        let t = e / COLS;
        let c = c0 + e % COLS;
        if (c < prm.d) {
            x[row_of(g, t) * prm.d + c] = tile[e];
        }
    }
}
