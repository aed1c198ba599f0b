// A sparse sketch as a gather: Y_ic = Σ_{k ∈ [ptr_i, ptr_{i+1})} w_k · X_{col_k, c}, with S's nonzeros
// grouped by output row (CSR). WGSL has no float atomics, so the scatter "add A's row j into row h(j)"
// of CountSketch and OSNAP is turned around: each thread owns one output entry and reads the rows that
// hash to it. The same kernel samples SRHT's rows (one entry per row, weight 1/√m).
// Bindings: 0 Params (uniform), 1 ptr (m + 1, u32), 2 col (nnz, u32), 3 w (nnz, f32), 4 X (rows × d),
// 5 Y (m × d). One thread per output entry; ids flattened as id.x + id.y · num_workgroups.x · 256.

struct Params {
    m: u32,
    d: u32,
    pad0: u32,
    pad1: u32,
}

@group(0) @binding(0) var<uniform> prm: Params;
@group(0) @binding(1) var<storage, read> ptr: array<u32>;
@group(0) @binding(2) var<storage, read> col: array<u32>;
@group(0) @binding(3) var<storage, read> w: array<f32>;
@group(0) @binding(4) var<storage, read> x: array<f32>;
@group(0) @binding(5) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(256)
fn csr_gather(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let k = gid.x + gid.y * nwg.x * 256u;
    if (k >= prm.m * prm.d) {
        return;
    }
    let i = k / prm.d;
    let c = k % prm.d;
    var acc = 0.0;
    for (var e = ptr[i]; e < ptr[i + 1u]; e += 1u) {
        acc += w[e] * x[col[e] * prm.d + c];
    }
    y[k] = acc;
}
