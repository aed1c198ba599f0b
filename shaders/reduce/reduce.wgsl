// Two-stage reduction of a row-major matrix X (rows × cols, f32): sum, max or log-sum-exp,
// one result per row (axis = 0) or per column (axis = 1).
//
//   per row:    y_i = ⊕_j X_ij        per column:  y_j = ⊕_i X_ij
//   LSE(x) = m + log Σ exp(x − m),  m = max(x)
//
// Every partial result is a pair (m, s): for sum only s is used (the running sum), for max only m,
// for LSE both (running max m and Σ exp(x − m)). Two pairs merge as
//   m = max(m₁, m₂),  s = s₁·exp(m₁ − m) + s₂·exp(m₂ − m),
// which is associative, so the order of the GPU's tree does not matter beyond rounding.
//
// Stage 1 (`partial_rows` / `partial_cols`): each reduced line is cut into `num_chunks` chunks of
// `chunk` elements; one workgroup reduces one chunk into partial[line · num_chunks + chunk].
//   - rows: a workgroup owns one (row, chunk); its 256 threads stride along the row (coalesced reads),
//     then fold their pairs in workgroup memory (log₂ 256 = 8 barrier rounds).
//   - cols: a workgroup owns 256 adjacent columns × one chunk of rows; each thread walks down its own
//     column, so consecutive threads read consecutive addresses (coalesced), and no barrier is needed.
// Stage 2 (`finish`): one thread per line folds its num_chunks (≤ 256) partials and writes y.
//
// Bindings (group 0): 0 uniform Params, 1 X (read), 2 partials (read_write), 3 y (read_write).
// Workgroup size 256: the WebGPU default limit on invocations per workgroup.
// Workgroup ids are flattened as id.x + id.y · num_workgroups.x so more than 65,535 workgroups
// (the per-dimension limit) can be dispatched as a 2-D grid; ids past `total` return at once.

struct Params {
    rows: u32,
    cols: u32,
    op: u32,          // 0 sum, 1 max, 2 lse
    axis: u32,        // 0 one result per row, 1 one per column
    chunk: u32,       // elements (rows for axis 1) per stage-1 chunk
    num_chunks: u32,  // chunks per reduced line
    outputs: u32,     // number of reduced lines
    total: u32,       // workgroups (stage 1) or threads (stage 2) that do work
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> partials: array<vec2<f32>>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;

const WG: u32 = 256u;
const NEG: f32 = -3.0e38; // stands for −∞: exp(NEG − m) = 0 for any finite m

var<workgroup> scratch: array<vec2<f32>, WG>;

fn identity() -> vec2<f32> {
    return vec2<f32>(NEG, 0.0);
}

fn merge(a: vec2<f32>, b: vec2<f32>) -> vec2<f32> {
    if (p.op == 0u) {
        return vec2<f32>(NEG, a.y + b.y);
    }
    let m = max(a.x, b.x);
    if (p.op == 1u) {
        return vec2<f32>(m, 0.0);
    }
    return vec2<f32>(m, a.y * exp(a.x - m) + b.y * exp(b.x - m));
}

fn push(acc: vec2<f32>, v: f32) -> vec2<f32> {
    if (p.op == 0u) {
        return vec2<f32>(NEG, acc.y + v);
    }
    if (p.op == 1u) {
        return vec2<f32>(max(acc.x, v), 0.0);
    }
    // merge(acc, (v, 1)) with one exponential: of merge's two factors, one is exp(0) = 1.
    let e = exp(-abs(v - acc.x));
    return select(vec2<f32>(acc.x, acc.y + e), vec2<f32>(v, acc.y * e + 1.0), v > acc.x);
}

fn flat_id(wid: vec3<u32>, nwg: vec3<u32>) -> u32 {
    return wid.x + wid.y * nwg.x;
}

@compute @workgroup_size(256)
fn partial_rows(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let g = flat_id(wid, nwg);
    if (g >= p.total) {
        return; // uniform: the whole workgroup leaves together
    }
    let row = g / p.num_chunks;
    let c = g % p.num_chunks;
    let start = c * p.chunk;
    let end = min(start + p.chunk, p.cols);
    let base = row * p.cols;
    var acc = identity();
    for (var j = start + lid; j < end; j += WG) {
        acc = push(acc, x[base + j]);
    }
    scratch[lid] = acc;
    workgroupBarrier();
    for (var stride = WG / 2u; stride > 0u; stride /= 2u) {
        if (lid < stride) {
            scratch[lid] = merge(scratch[lid], scratch[lid + stride]);
        }
        workgroupBarrier();
    }
    if (lid == 0u) {
        partials[row * p.num_chunks + c] = scratch[0];
    }
}

@compute @workgroup_size(256)
fn partial_cols(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let g = flat_id(wid, nwg);
    if (g >= p.total) {
        return;
    }
    let col_blocks = (p.cols + WG - 1u) / WG;
    let block = g % col_blocks;
    let c = g / col_blocks;
    let col = block * WG + lid;
    if (col >= p.cols) {
        return;
    }
    let start = c * p.chunk;
    let end = min(start + p.chunk, p.rows);
    var acc = identity();
    for (var i = start; i < end; i += 1u) {
        acc = push(acc, x[i * p.cols + col]);
    }
    partials[col * p.num_chunks + c] = acc;
}

@compute @workgroup_size(256)
fn finish(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let line = flat_id(wid, nwg) * WG + lid;
    if (line >= p.outputs) {
        return;
    }
    var acc = identity();
    for (var c = 0u; c < p.num_chunks; c += 1u) {
        acc = merge(acc, partials[line * p.num_chunks + c]);
    }
    if (p.op == 0u) {
        y[line] = acc.y;
    } else if (p.op == 1u) {
        y[line] = acc.x;
    } else {
        y[line] = acc.x + log(acc.y);
    }
}
