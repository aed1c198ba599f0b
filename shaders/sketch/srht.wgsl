// SRHT's first two factors on the device: X = H·D·A with A (n × d) padded to len = 2^L rows.
//   srht_signs  X_jc = D_j A_jc for j < n, 0 for n ≤ j < len; D_j = ±1 from the low bit of the first Philox
//               word of (index j, stream 2) under the seed: the CPU twin's D (core/src/sketch/operators.rs).
//   fwht_stage  one butterfly stage (h = 2^bit_lo) of the unnormalised Walsh–Hadamard transform along the
//               rows, in place in X; L dispatches in one command buffer make H. Deliberately without
//               workgroup memory: a workgroup barrier makes SwiftShader (Chromium's WebGPU on the CPU) spend
//               ~1 s compiling on the GPU process's main thread, stalling the page's frames; L passes over X
//               cost L reads and writes of len × d floats, bandwidth a real GPU has to spare at these sizes.
// Sampling rows and the 1/√m scale are the gather in gather.wgsl. Bindings: 0 Params (uniform),
// 1 A (read; unused by fwht_stage), 2 X (len × d, read_write). Ids flattened as id.x + id.y · num_workgroups.x · 256.
// mulhilo, philox and unit come from philox.wgsl, prepended by core/src/sketch/gpu.rs.

struct Params {
    n: u32,
    len: u32,
    d: u32,
    chunks: u32,    // unused
    seed_lo: u32,
    seed_hi: u32,
    stream: u32,
    bit_lo: u32,    // fwht_stage: the stage's bit
    bits: u32,      // unused
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

// Butterfly stage h = 2^bit_lo: one thread per (pair, column); rows i and i + h with bit `bit_lo` of i
// clear become (x_i + x_{i+h}, x_i − x_{i+h}).
@compute @workgroup_size(256)
fn fwht_stage(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let e = gid.x + gid.y * nwg.x * WG;
    if (e >= prm.len / 2u * prm.d) {
        return;
    }
    let q = e / prm.d;
    let c = e % prm.d;
    let h = 1u << prm.bit_lo;
    let i = (q >> prm.bit_lo) * 2u * h + (q & (h - 1u));
    let u = x[i * prm.d + c];
    let v = x[(i + h) * prm.d + c];
    x[i * prm.d + c] = u + v;
    x[(i + h) * prm.d + c] = u - v;
}
