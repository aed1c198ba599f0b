// Log-domain Sinkhorn half-step, f32, without workgroup memory or barriers:
//
//   out_i ← ε log w_i − ε LSE_j((p_j − C_ij)/ε)
//
// For the f-update: rows = n, cols = m, p = g, w = a. For the g-update the same kernels run on the
// transposed geometry (rows = m, cols = n, p = f, w = b): the other dense cost buffer, or the two point
// clouds swapped. The cost C_ij is read from a dense buffer (mode 0) or computed on the fly from point
// coordinates (mode 1: scale·‖x_i − y_j‖², mode 2: scale·‖x_i − y_j‖), so point clouds need O(n + m)
// memory and n is not capped by the storage-buffer limit.
//
// Two dispatches per half-step. `lse_partial`: one thread per (row i, block b of `chunk` columns) folds
// its block into an LSE pair partials[b·rows + i] = (running max, Σ exp(x − max)). `lse_finish`: one thread
// per row merges its `blocks` pairs and writes out_i. Consecutive threads own consecutive rows, so a dense
// cost is bound in column-major order for this geometry — cost[j·rows + i] = C_ij, i.e. Cᵀ's buffer for the
// f-update and C's for the g-update — and every read is coalesced. (A workgroup tree reduction needs
// barriers, and Chromium's SwiftShader took ~1 s to compile such a kernel on its GPU process's main thread,
// stalling the page's frames; these kernels compile in tens of milliseconds. See e2e/probe_compile.mjs.)
//
// The same pass yields the marginal error for free: before the update, the row sums of P are
// w_i · exp((out_i − out'_i)/ε) (out = old value, out' = new), so err_i = |w_i·exp((old − new)/ε) − w_i|.
// `cost_partial` + `sum_finish` instead write err_i = Σ_j P_ij C_ij with P_ij = exp((q_i + p_j − C_ij)/ε),
// q = out (the current potential of this side), for ⟨C, P⟩; `mass_partial` + `sum_finish` write the row
// sums err_i = Σ_j P_ij (SNS's marginals and its potential F = ⟨a,f⟩ + ⟨b,g⟩ − ε Σ P).
//
// SNS's sparsified Hessian, two dispatches (k = `keep`, ≤ KMAX; `blocks` × `chunk` columns per row).
// `top_partial`: one thread per (row i, column block b) streams its block of row i of P once and writes its
// block's k largest entries in descending order, then its compensated sum, to cand[t·(k + 1) ..]
// (t = b·rows + i; pairs (value's bits, column), then (sum's bits, 0) — u32 storage, so no float store can
// touch an index; slots past a short block's columns hold value −1, below every entry of P). `top_finish`: one thread per row merges its blocks' lists into
// top_val/top_idx[i·k ..] and sums the blocks' sums (compensated) into err_i. Ties keep the lower column
// index (within a block by insertion order, across blocks by taking the lower block).
//
// Pairs merge as in shaders/reduce/reduce.wgsl: m = max(m₁, m₂), s = s₁·exp(m₁ − m) + s₂·exp(m₂ − m).
//
// Bindings (group 0): 0 Params (uniform), 1 cost (dense mode, column-major as above; 4-byte dummy
// otherwise), 2 x coords (rows × dim), 3 y coords (cols × dim), 4 p (cols), 5 w (rows), 6 out (rows),
// 7 err (rows), 8 partials (blocks × rows pairs), 9 top_idx and 10 top_val (rows × k), 11 cand (the top-k
// passes' blocks × rows × (k + 1) pairs). Each entry point
// uses at most 7 storage buffers: within the browser's 8. Workgroup size 64; more than 65,535 workgroups use a 2-D grid, flattened.

struct Params {
    rows: u32,
    cols: u32,
    dim: u32,
    mode: u32,    // 0 dense, 1 sqeuclidean points, 2 euclidean points
    eps: f32,
    scale: f32,   // multiplies point costs (1 / max C when normalised)
    blocks: u32,  // column blocks per row
    chunk: u32,   // columns per block
    keep: u32,    // the top-k passes: entries kept per row
    pad0: u32,
    pad1: u32,
    pad2: u32,
}

@group(0) @binding(0) var<uniform> prm: Params;
@group(0) @binding(1) var<storage, read> cost: array<f32>;
@group(0) @binding(2) var<storage, read> xs: array<f32>;
@group(0) @binding(3) var<storage, read> ys: array<f32>;
@group(0) @binding(4) var<storage, read> p: array<f32>;
@group(0) @binding(5) var<storage, read> w: array<f32>;
@group(0) @binding(6) var<storage, read_write> out: array<f32>;
@group(0) @binding(7) var<storage, read_write> err: array<f32>;
@group(0) @binding(8) var<storage, read_write> partials: array<vec2<f32>>;
@group(0) @binding(9) var<storage, read_write> top_idx: array<u32>;
@group(0) @binding(10) var<storage, read_write> top_val: array<f32>;
@group(0) @binding(11) var<storage, read_write> cand: array<vec2<u32>>;

const WG: u32 = 64u;
const NEG: f32 = -3.0e38;
/// Most entries the top-k passes keep per row (the host refuses more on this backend).
const KMAX: u32 = 64u;
/// Most column blocks per row (the host's MAX_BLOCKS).
const BMAX: u32 = 64u;

fn c(i: u32, j: u32) -> f32 {
    if (prm.mode == 0u) {
        return cost[j * prm.rows + i];
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

/// merge(a, (x, 1)) with one exponential instead of two: of merge's two factors, one is exp(0) = 1.
/// The hot loop's step (one exp per entry of the n × m pass, where exp is the arithmetic bound).
fn push(a: vec2<f32>, x: f32) -> vec2<f32> {
    let e = exp(-abs(x - a.x));
    return select(vec2<f32>(a.x, a.y + e), vec2<f32>(x, a.y * e + 1.0), x > a.x);
}

fn thread_id(wid: vec3<u32>, nwg: vec3<u32>, lid: u32) -> u32 {
    return (wid.x + wid.y * nwg.x) * WG + lid;
}

@compute @workgroup_size(64)
fn lse_partial(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let t = thread_id(wid, nwg, lid);
    if (t >= prm.rows * prm.blocks) {
        return;
    }
    let i = t % prm.rows;
    let start = (t / prm.rows) * prm.chunk;
    let end = min(start + prm.chunk, prm.cols);
    let inv_eps = 1.0 / prm.eps;
    var acc = vec2<f32>(NEG, 0.0);
    for (var j = start; j < end; j += 1u) {
        acc = push(acc, (p[j] - c(i, j)) * inv_eps);
    }
    partials[t] = acc;
}

@compute @workgroup_size(64)
fn lse_finish(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let i = thread_id(wid, nwg, lid);
    if (i >= prm.rows) {
        return;
    }
    var acc = vec2<f32>(NEG, 0.0);
    for (var b = 0u; b < prm.blocks; b += 1u) {
        acc = merge(acc, partials[b * prm.rows + i]);
    }
    let inv_eps = 1.0 / prm.eps;
    let lse = acc.x + log(acc.y);
    let old = out[i];
    let new_value = prm.eps * (log(w[i]) - lse);
    out[i] = new_value;
    err[i] = abs(w[i] * exp((old - new_value) * inv_eps) - w[i]);
}

/// Σ_j over row i's block of P_ij·C_ij (`weighted`) or P_ij, into partials[t] = (0, sum).
fn plan_block(t: u32, weighted: bool) {
    let i = t % prm.rows;
    let start = (t / prm.rows) * prm.chunk;
    let end = min(start + prm.chunk, prm.cols);
    let inv_eps = 1.0 / prm.eps;
    let q = out[i];
    var acc = 0.0;
    for (var j = start; j < end; j += 1u) {
        let cij = c(i, j);
        let pij = exp((q + p[j] - cij) * inv_eps);
        acc += select(pij, pij * cij, weighted);
    }
    partials[t] = vec2<f32>(0.0, acc);
}

@compute @workgroup_size(64)
fn cost_partial(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let t = thread_id(wid, nwg, lid);
    if (t < prm.rows * prm.blocks) {
        plan_block(t, true);
    }
}

@compute @workgroup_size(64)
fn mass_partial(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let t = thread_id(wid, nwg, lid);
    if (t < prm.rows * prm.blocks) {
        plan_block(t, false);
    }
}

@compute @workgroup_size(64)
fn sum_finish(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let i = thread_id(wid, nwg, lid);
    if (i >= prm.rows) {
        return;
    }
    var acc = 0.0;
    for (var b = 0u; b < prm.blocks; b += 1u) {
        acc += partials[b * prm.rows + i].y;
    }
    err[i] = acc;
}

// A block's kept entries: a min-heap under `above` (its root the lowest kept), sorted at the end. A new
// entry replaces the root only when above it: O(log k) per insertion where a sorted list moved k/2.
var<private> heap_v: array<f32, KMAX>;
var<private> heap_j: array<u32, KMAX>;

/// The order of the kept list: larger values first, equal values by the lower column.
fn above(va: f32, ja: u32, vb: f32, jb: u32) -> bool {
    return va > vb || (va == vb && ja < jb);
}

/// Restores the heap below `at` within its first `len` entries.
fn sift_down(at: u32, len: u32) {
    var pos = at;
    loop {
        let l = 2u * pos + 1u;
        if (l >= len) {
            break;
        }
        var low = l;
        if (l + 1u < len && above(heap_v[l], heap_j[l], heap_v[l + 1u], heap_j[l + 1u])) {
            low = l + 1u;
        }
        if (above(heap_v[low], heap_j[low], heap_v[pos], heap_j[pos])) {
            break;
        }
        let v = heap_v[pos];
        let j = heap_j[pos];
        heap_v[pos] = heap_v[low];
        heap_j[pos] = heap_j[low];
        heap_v[low] = v;
        heap_j[low] = j;
        pos = low;
    }
}

@compute @workgroup_size(64)
fn top_partial(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let t = thread_id(wid, nwg, lid);
    if (t >= prm.rows * prm.blocks) {
        return;
    }
    let i = t % prm.rows;
    let start = (t / prm.rows) * prm.chunk;
    let end = min(start + prm.chunk, prm.cols);
    let k = min(prm.keep, KMAX);
    for (var r = 0u; r < k; r += 1u) {
        heap_v[r] = -1.0; // below every entry of P (P ≥ 0)
        heap_j[r] = 0xffffffffu;
    }
    let inv_eps = 1.0 / prm.eps;
    let q = out[i];
    // Kahan-compensated block sum.
    var sum = 0.0;
    var comp = 0.0;
    for (var j = start; j < end; j += 1u) {
        let v = exp((q + p[j] - c(i, j)) * inv_eps);
        let y = v - comp;
        let s = sum + y;
        comp = (s - sum) - y;
        sum = s;
        if (above(v, j, heap_v[0], heap_j[0])) {
            heap_v[0] = v;
            heap_j[0] = j;
            sift_down(0u, k);
        }
    }
    // Heap sort: the lowest kept entry goes last, so the list ends in descending order.
    for (var last = k; last > 1u; last -= 1u) {
        let v = heap_v[0];
        let j = heap_j[0];
        heap_v[0] = heap_v[last - 1u];
        heap_j[0] = heap_j[last - 1u];
        heap_v[last - 1u] = v;
        heap_j[last - 1u] = j;
        sift_down(0u, last - 1u);
    }
    let base = t * (k + 1u);
    for (var r = 0u; r < k; r += 1u) {
        cand[base + r] = vec2<u32>(bitcast<u32>(heap_v[r]), heap_j[r]);
    }
    cand[base + k] = vec2<u32>(bitcast<u32>(sum), 0u);
}

@compute @workgroup_size(64)
fn top_finish(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let i = thread_id(wid, nwg, lid);
    if (i >= prm.rows) {
        return;
    }
    let k = min(prm.keep, KMAX);
    let nb = min(prm.blocks, BMAX);
    // Each block's next unmerged entry: its position in the block's list and its value.
    var next: array<u32, BMAX>;
    var head: array<f32, BMAX>;
    var sum = 0.0;
    var comp = 0.0;
    for (var b = 0u; b < nb; b += 1u) {
        let base = (b * prm.rows + i) * (k + 1u);
        next[b] = 0u;
        head[b] = bitcast<f32>(cand[base].x);
        let y = bitcast<f32>(cand[base + k].x) - comp;
        let s = sum + y;
        comp = (s - sum) - y;
        sum = s;
    }
    err[i] = sum;
    for (var r = 0u; r < k; r += 1u) {
        var best = 0u;
        for (var b = 1u; b < nb; b += 1u) {
            if (head[b] > head[best]) {
                best = b;
            }
        }
        let base = (best * prm.rows + i) * (k + 1u);
        let e = cand[base + next[best]];
        top_val[i * k + r] = bitcast<f32>(e.x);
        top_idx[i * k + r] = e.y;
        next[best] += 1u;
        head[best] = select(-2.0, bitcast<f32>(cand[base + next[best]].x), next[best] < k);
    }
}
