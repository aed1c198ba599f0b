// Log-domain Sinkhorn half-step, f32, one workgroup per updated potential entry:
//
//   out_i ← ε log w_i − ε LSE_j((p_j − C_ij)/ε)
//
// For the f-update: rows = n, cols = m, p = g, w = a, C as given. For the g-update the same kernel runs on
// the transposed geometry (rows = m, cols = n, p = f, w = b): a transposed cost buffer, or the two point
// clouds swapped. The cost C_ij is read from a dense buffer (mode 0) or computed on the fly from point
// coordinates (mode 1: scale·‖x_i − y_j‖², mode 2: scale·‖x_i − y_j‖), so point clouds need O(n + m)
// memory and n is not capped by the storage-buffer limit.
//
// The same pass yields the marginal error for free: before the update, the row sums of P are
// w_i · exp((out_i − out'_i)/ε) (out = old value, out' = new), so err_i = |w_i·exp((old − new)/ε) − w_i|.
// `plan_cost` instead writes Σ_j P_ij C_ij with P_ij = exp((q_i + p_j − C_ij)/ε), q = out (the current
// potential of this side), for ⟨C, P⟩.
//
// LSE is accumulated online as a pair (m, s) = (running max, Σ exp(x − m)); pairs merge as in
// shaders/reduce/reduce.wgsl.
//
// Bindings (group 0): 0 Params (uniform), 1 cost (dense mode; 4-byte dummy otherwise), 2 x coords
// (rows × dim), 3 y coords (cols × dim), 4 p (cols), 5 w (rows), 6 out (rows, read-modify-write),
// 7 err (rows); `plan_cost` does not use w. 7 storage buffers: within the browser's 8 (and SwiftShader's 10).
// Workgroup size 256 (the WebGPU default limit); more rows than 65,535 use a 2-D grid, flattened.

struct Params {
    rows: u32,
    cols: u32,
    dim: u32,
    mode: u32,    // 0 dense, 1 sqeuclidean points, 2 euclidean points
    eps: f32,
    scale: f32,   // multiplies point costs (1 / max C when normalised)
    _pad0: u32,
    _pad1: u32,
}

@group(0) @binding(0) var<uniform> prm: Params;
@group(0) @binding(1) var<storage, read> cost: array<f32>;
@group(0) @binding(2) var<storage, read> xs: array<f32>;
@group(0) @binding(3) var<storage, read> ys: array<f32>;
@group(0) @binding(4) var<storage, read> p: array<f32>;
@group(0) @binding(5) var<storage, read> w: array<f32>;
@group(0) @binding(6) var<storage, read_write> out: array<f32>;
@group(0) @binding(7) var<storage, read_write> err: array<f32>;

const WG: u32 = 256u;
const NEG: f32 = -3.0e38;

var<workgroup> scratch: array<vec2<f32>, WG>;

fn c(i: u32, j: u32) -> f32 {
    if (prm.mode == 0u) {
        return cost[i * prm.cols + j];
    }
    var d2 = 0.0;
    for (var k = 0u; k < prm.dim; k += 1u) {
        let d = xs[i * prm.dim + k] - ys[j * prm.dim + k];
        d2 += d * d;
    }
    if (prm.mode == 1u) {
        return prm.scale * d2;
    }
    return prm.scale * sqrt(d2);
}

fn merge(a: vec2<f32>, b: vec2<f32>) -> vec2<f32> {
    let m = max(a.x, b.x);
    return vec2<f32>(m, a.y * exp(a.x - m) + b.y * exp(b.x - m));
}

fn row_id(wid: vec3<u32>, nwg: vec3<u32>) -> u32 {
    return wid.x + wid.y * nwg.x;
}

/// Tree-reduces the workgroup's pairs — merged as LSE pairs, or added when `sum` — into scratch[0].
fn fold(lid: u32, sum: bool) {
    workgroupBarrier();
    for (var stride = WG / 2u; stride > 0u; stride /= 2u) {
        if (lid < stride) {
            let a = scratch[lid];
            let b = scratch[lid + stride];
            scratch[lid] = select(merge(a, b), a + b, sum);
        }
        workgroupBarrier();
    }
}

@compute @workgroup_size(256)
fn lse_update(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let i = row_id(wid, nwg);
    if (i >= prm.rows) {
        return;
    }
    let inv_eps = 1.0 / prm.eps;
    var acc = vec2<f32>(NEG, 0.0);
    for (var j = lid; j < prm.cols; j += WG) {
        acc = merge(acc, vec2<f32>((p[j] - c(i, j)) * inv_eps, 1.0));
    }
    scratch[lid] = acc;
    fold(lid, false);
    if (lid == 0u) {
        let lse = scratch[0].x + log(scratch[0].y);
        let old = out[i];
        let new_value = prm.eps * (log(w[i]) - lse);
        out[i] = new_value;
        err[i] = abs(w[i] * exp((old - new_value) * inv_eps) - w[i]);
    }
}

@compute @workgroup_size(256)
fn plan_cost(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let i = row_id(wid, nwg);
    if (i >= prm.rows) {
        return;
    }
    let inv_eps = 1.0 / prm.eps;
    var acc = 0.0;
    for (var j = lid; j < prm.cols; j += WG) {
        let cij = c(i, j);
        acc += exp((out[i] + p[j] - cij) * inv_eps) * cij;
    }
    scratch[lid] = vec2<f32>(0.0, acc);
    fold(lid, true);
    if (lid == 0u) {
        err[i] = scratch[0].y;
    }
}
