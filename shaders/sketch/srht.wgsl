// SRHT's first two factors on the device: X = H·D·A with A (n × d) padded to len = 2^L rows.
//   srht_signs  X_jc = D_j A_jc for j < n, 0 for n ≤ j < len; D_j = ±1 from the low bit of the first Philox
//               word of (index j, stream 2) under the seed: the CPU twin's D (core/src/sketch/operators.rs).
//   fwht_stages up to three butterfly stages (bit_lo … bit_lo + bits − 1) of the unnormalised Walsh–Hadamard
//               transform along the rows, in place in X: a thread loads the 2^bits rows i + t·2^bit_lo
//               (t < 2^bits) of one column, runs the stages in registers in order, and stores them — the
//               same additions in the same order as one stage per pass, so the same bits. ⌈L/3⌉ dispatches
//               in one command buffer make H (L = 16: 6 passes over X instead of 16). Deliberately without
//               workgroup memory: a workgroup barrier makes SwiftShader (Chromium's WebGPU on the CPU) spend
//               ~1 s compiling on the GPU process's main thread, stalling the page's frames.
// Sampling rows and the 1/√m scale are the gather in gather.wgsl. Bindings: 0 Params (uniform),
// 1 A (read; unused by fwht_stages), 2 X (len × d, read_write). Ids flattened as id.x + id.y · num_workgroups.x · 256.
// mulhilo, philox and unit come from philox.wgsl, prepended by core/src/sketch/gpu.rs.

struct Params {
    n: u32,
    len: u32,
    d: u32,
    chunks: u32,    // unused
    seed_lo: u32,
    seed_hi: u32,
    stream: u32,
    bit_lo: u32,    // fwht_stages: the first stage's bit
    bits: u32,      // fwht_stages: how many stages (1–3)
    pad0: u32,
    pad1: u32,
    pad2: u32,
}

@group(0) @binding(0) var<uniform> prm: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read_write> x: array<f32>;

const WG: u32 = 256u;

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

// Stages bit_lo + s for s < bits: one thread per (group of 2^bits rows, column). The group's base row i has
// the bits bit_lo … bit_lo + bits − 1 clear; its rows are i + t·h (h = 2^bit_lo), and stage bit_lo + s pairs
// t with t + 2^s (bit s of t clear): (x_t, x_{t+2^s}) → (x_t + x_{t+2^s}, x_t − x_{t+2^s}).
@compute @workgroup_size(256)
fn fwht_stages(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let e = gid.x + gid.y * nwg.x * WG;
    let group = 1u << prm.bits;
    if (e >= prm.len / group * prm.d) {
        return;
    }
    let q = e / prm.d;
    let c = e % prm.d;
    let h = 1u << prm.bit_lo;
    let i = ((q >> prm.bit_lo) << (prm.bit_lo + prm.bits)) | (q & (h - 1u));
    var v: array<f32, 8>;
    for (var t = 0u; t < 8u; t++) {
        if (t < group) {
            v[t] = x[(i + t * h) * prm.d + c];
        }
    }
    for (var s = 0u; s < 3u; s++) {
        if (s < prm.bits) {
            let step = 1u << s;
            for (var t = 0u; t < 8u; t++) {
                if (t < group && (t & step) == 0u) {
                    let u = v[t];
                    let w = v[t + step];
                    v[t] = u + w;
                    v[t + step] = u - w;
                }
            }
        }
    }
    for (var t = 0u; t < 8u; t++) {
        if (t < group) {
            x[(i + t * h) * prm.d + c] = v[t];
        }
    }
}
