// Mini-batch SGD for MLPs of any width and depth, one layer per dispatch: the forward and backward passes
// are tiled matrix multiplies (64 × 64 blocks per workgroup, 4 × 4 per thread, K in slices of 16 staged in
// workgroup memory), everything stays on the device
// across the steps of an epoch, and the host records a whole epoch's dispatches into one submission. Same
// model, loss and update as core/src/train/mlp.rs and trainer.rs (the f64 CPU twin) and sgd_epoch.wgsl (the
// one-workgroup kernel for small nets).
//
// Per step (the host's order; WebGPU makes each dispatch's writes visible to the next):
//   gather        rows order[s·B + i] of x and y into the batch (rows past the last sample are zero);
//   matmul ×L     A_{l+1} = act(A_l · W_lᵀ + b_l)                          (mode 0);
//   output_delta  dZ_L = (o − y)/n (mse) or ((Σy) softmax(o) − y)/n (xent), zero past the batch's n rows;
//   per layer, last first:
//     matmul      ∂W_l = dZ_lᵀ · A_l                                        (mode 2, into the gradient);
//     bias_grad   ∂b_l = Σ_rows dZ_l;
//     matmul      dZ_{l−1} = (dZ_l · W_l) ⊙ act'(A_l)                      (mode 1, skipped for l = 0);
//   update        θ ← optimizer(θ, ∂θ + L1/L2 on weights) with the step count in `counter[1]`;
//   advance       counter += 1 (the next step's batch and Adam's bias correction).
//
// Buffers: `work` holds the activations of every layer (B × Σ widths), two delta buffers (B × max width
// each) and the batch's targets; `par` holds θ, ∂θ, the optimizer's first and second moments (P each).
// Operands name their buffer (0 work, 1 par) and strides, so one matmul covers A·Bᵀ, Aᵀ·B and A·B.

struct Op {
    m: u32,        // rows of C
    n: u32,        // columns of C
    k: u32,        // inner dimension
    a_off: u32,
    a_rs: u32,     // A(i, k) = buf_a[a_off + i·a_rs + k·a_cs]
    a_cs: u32,
    b_off: u32,
    b_rs: u32,     // B(k, j) = buf_b[b_off + k·b_rs + j·b_cs]
    b_cs: u32,
    c_off: u32,    // C(i, j) = buf_c[c_off + i·n + j]
    aux_off: u32,  // mode 0: bias b_j = par[aux_off + j]; mode 1: activation A(i, j) = work[aux_off + i·n + j]
    act: u32,      // 0 relu, 1 tanh, 2 sigmoid, 3 linear
    mode: u32,     // 0 forward, 1 backward through the activation, 2 weight gradient
    a_buf: u32,
    b_buf: u32,
    c_buf: u32,
}

struct Hyper {
    batch: u32,     // B
    rows: u32,      // length of `order`
    p: u32,         // parameter count
    loss: u32,      // 0 mse, 1 xent
    optimizer: u32, // 0 sgd, 1 momentum, 2 adam
    reg: u32,       // 0 none, 1 l1, 2 l2
    lr: f32,
    reg_rate: f32,
    momentum: f32,
    pad0: u32,
    pad1: u32,
    pad2: u32,
}

@group(0) @binding(0) var<uniform> op: Op;
@group(0) @binding(1) var<storage, read_write> work: array<f32>;
@group(0) @binding(2) var<storage, read_write> par: array<f32>;
@group(0) @binding(3) var<storage, read> x: array<f32>;
@group(0) @binding(4) var<storage, read> y: array<f32>;
@group(0) @binding(5) var<storage, read> order: array<u32>;
@group(0) @binding(6) var<storage, read_write> counter: array<u32>; // [step within `order`, optimizer steps taken]
@group(0) @binding(7) var<uniform> hyp: Hyper;
@group(0) @binding(8) var<storage, read> is_weight: array<u32>;   // 1 for weights, 0 for biases

const TILE: u32 = 16u;

// activate() and derivative(): activation.wgsl, prepended by core.

fn load(buf: u32, i: u32) -> f32 {
    if (buf == 0u) {
        return work[i];
    }
    return par[i];
}

// Rows in the current batch (the last batch of an epoch may be short).
fn batch_rows() -> u32 {
    let start = counter[0] * hyp.batch;
    return min(hyp.batch, hyp.rows - min(start, hyp.rows));
}

// op.m = B, op.n = inputs, op.k = outputs; op.c_off = the batch's input block, op.aux_off = its targets.
@compute @workgroup_size(256)
fn gather(@builtin(global_invocation_id) gid: vec3<u32>) {
    let width = op.n + op.k;
    let id = gid.x;
    if (id >= op.m * width) {
        return;
    }
    let i = id / width;
    let c = id % width;
    var v = 0.0;
    if (i < batch_rows()) {
        let r = order[counter[0] * hyp.batch + i];
        if (c < op.n) {
            v = x[r * op.n + c];
        } else {
            v = y[r * op.k + (c - op.n)];
        }
    }
    if (c < op.n) {
        work[op.c_off + i * op.n + c] = v;
    } else {
        work[op.aux_off + i * op.k + (c - op.n)] = v;
    }
}

// A 64 × 64 block of C per workgroup of 16 × 16 threads, each thread a 4 × 4 block of it in registers
// (rows lid.y + 16r, columns lid.x + 16q: a warp's stores stay contiguous); the K dimension in slices of 16
// staged in workgroup memory (8 KiB). Per slice a thread does 64 multiply-adds for 32 loads from
// workgroup memory, where one output per thread did 16 for 32. Each C(i, j) still sums its k in order, so
// the result is the same as one output per thread.
const BLOCK: u32 = 64u;
var<workgroup> tile_a: array<array<f32, 16>, 64>; // tile_a[r][c] = A(block row + r, slice + c)
var<workgroup> tile_b: array<array<f32, 64>, 16>; // tile_b[r][c] = B(slice + r, block column + c)

@compute @workgroup_size(16, 16)
fn matmul(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let row0 = wid.y * BLOCK;
    let col0 = wid.x * BLOCK;
    let flat = lid.y * TILE + lid.x;
    var acc: array<array<f32, 4>, 4>;
    let slices = (op.k + TILE - 1u) / TILE;
    for (var t = 0u; t < slices; t += 1u) {
        for (var q = 0u; q < 4u; q += 1u) {
            let e = flat + q * 256u;
            // A's slice: 64 rows × 16 k.
            let ra = e / TILE;
            let ka = t * TILE + e % TILE;
            let ia = row0 + ra;
            var va = 0.0;
            if (ia < op.m && ka < op.k) {
                va = load(op.a_buf, op.a_off + ia * op.a_rs + ka * op.a_cs);
            }
            tile_a[ra][e % TILE] = va;
            // B's slice: 16 k × 64 columns.
            let kb = t * TILE + e / BLOCK;
            let jb = col0 + e % BLOCK;
            var vb = 0.0;
            if (kb < op.k && jb < op.n) {
                vb = load(op.b_buf, op.b_off + kb * op.b_rs + jb * op.b_cs);
            }
            tile_b[e / BLOCK][e % BLOCK] = vb;
        }
        workgroupBarrier();
        for (var c = 0u; c < TILE; c += 1u) {
            var a: array<f32, 4>;
            var b: array<f32, 4>;
            for (var r = 0u; r < 4u; r += 1u) {
                a[r] = tile_a[lid.y + r * TILE][c];
                b[r] = tile_b[c][lid.x + r * TILE];
            }
            for (var r = 0u; r < 4u; r += 1u) {
                for (var q = 0u; q < 4u; q += 1u) {
                    acc[r][q] += a[r] * b[q];
                }
            }
        }
        workgroupBarrier();
    }
    for (var r = 0u; r < 4u; r += 1u) {
        let i = row0 + lid.y + r * TILE;
        for (var q = 0u; q < 4u; q += 1u) {
            let j = col0 + lid.x + q * TILE;
            if (i < op.m && j < op.n) {
                var v = acc[r][q];
                if (op.mode == 0u) {
                    v = activate(op.act, v + par[op.aux_off + j]);
                } else if (op.mode == 1u) {
                    v = v * derivative(op.act, work[op.aux_off + i * op.n + j]);
                }
                let at = op.c_off + i * op.n + j;
                if (op.c_buf == 0u) {
                    work[at] = v;
                } else {
                    par[at] = v;
                }
            }
        }
    }
}

// op.m = B, op.n = outputs; op.a_off = the network's output block, op.aux_off = the targets, op.c_off = dZ_L.
@compute @workgroup_size(64)
fn output_delta(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = gid.x;
    if (i >= op.m) {
        return;
    }
    let n = op.n;
    let o = op.a_off + i * n;
    let t = op.aux_off + i * n;
    let d = op.c_off + i * n;
    let rows = batch_rows();
    if (i >= rows) {
        for (var k = 0u; k < n; k += 1u) {
            work[d + k] = 0.0;
        }
        return;
    }
    let scale = 1.0 / f32(rows);
    if (hyp.loss == 0u) {
        for (var k = 0u; k < n; k += 1u) {
            work[d + k] = (work[o + k] - work[t + k]) * scale;
        }
        return;
    }
    var mx = work[o];
    for (var k = 1u; k < n; k += 1u) {
        mx = max(mx, work[o + k]);
    }
    var sum = 0.0;
    var mass = 0.0;
    for (var k = 0u; k < n; k += 1u) {
        sum += exp(work[o + k] - mx);
        mass += work[t + k];
    }
    for (var k = 0u; k < n; k += 1u) {
        work[d + k] = (mass * exp(work[o + k] - mx) / sum - work[t + k]) * scale;
    }
}

// op.m = B, op.n = outputs of the layer; op.a_off = dZ_l, op.c_off = ∂b_l in `par`.
@compute @workgroup_size(64)
fn bias_grad(@builtin(global_invocation_id) gid: vec3<u32>) {
    let j = gid.x;
    if (j >= op.n) {
        return;
    }
    var g = 0.0;
    for (var i = 0u; i < op.m; i += 1u) {
        g += work[op.a_off + i * op.n + j];
    }
    par[op.c_off + j] = g;
}

// One thread per parameter: par = [θ | ∂θ | m | v], P each.
@compute @workgroup_size(256)
fn update(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let q = gid.x + gid.y * groups.x * 256u;
    let p = hyp.p;
    if (q >= p) {
        return;
    }
    var g = par[p + q];
    let w = par[q];
    if (hyp.reg != 0u && is_weight[q] != 0u) {
        if (hyp.reg == 1u) {
            g += hyp.reg_rate * sign(w);
        } else {
            g += hyp.reg_rate * w;
        }
    }
    if (hyp.optimizer == 0u) {
        par[q] = w - hyp.lr * g;
    } else if (hyp.optimizer == 1u) {
        let m = hyp.momentum * par[2u * p + q] + g;
        par[2u * p + q] = m;
        par[q] = w - hyp.lr * m;
    } else {
        let step = f32(counter[1] + 1u);
        let m = 0.9 * par[2u * p + q] + 0.1 * g;
        let v = 0.999 * par[3u * p + q] + 0.001 * g * g;
        par[2u * p + q] = m;
        par[3u * p + q] = v;
        let mh = m / (1.0 - pow(0.9, step));
        let vh = v / (1.0 - pow(0.999, step));
        par[q] = w - hyp.lr * mh / (sqrt(vh) + 1e-8);
    }
}

@compute @workgroup_size(1)
fn advance() {
    counter[0] += 1u;
    counter[1] += 1u;
}
