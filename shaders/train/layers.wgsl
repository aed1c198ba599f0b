// Mini-batch SGD for MLPs of any width and depth, one layer per dispatch: the forward and backward passes
// are tiled matrix multiplies (64 × 64 blocks per workgroup, 4 × 4 per thread, K in slices of 16 staged in
// workgroup memory), everything stays on the device
// across the steps of an epoch, and the host records a whole epoch's dispatches into one submission. Same
// model, loss and update as core/src/train/mlp.rs and trainer.rs (the f64 CPU twin) and sgd_epoch.wgsl (the
// one-workgroup kernel for small nets).
//
// Per step, 3L + 1 dispatches (the host's order; WebGPU makes each dispatch's writes visible to the next):
//   matmul ×L     A_{l+1} = act(A_l · W_lᵀ + b_l)                          (mode 0); A_0 is the batch, read
//                 from x through `order` (operand buffer 2: rows past the batch's last sample read 0);
//   output_delta  dZ_L = (o − y)/n (mse) or ((Σy) softmax(o) − y)/n (xent), y read through `order`, zero
//                 past the batch's n rows;
//   per layer, last first:
//     matmul      ∂W_l = dZ_lᵀ · A_l and ∂b_l = Σ_rows dZ_l                (mode 2, into the gradient: the
//                 workgroups of C's first block column sum the rows of dZ_lᵀ they stage anyway);
//     matmul      dZ_{l−1} = (dZ_l · W_l) ⊙ act'(A_l)                      (mode 1, skipped for l = 0);
//   update        θ ← optimizer(θ, ∂θ + L1/L2 on weights) with the step count of the step's counter
//                 slot, and the next step's counters written to the other slot.
// The counters (the step within `order`, the optimizer steps taken) live in two slots: step s reads slot
// s mod 2 (`op.slot`; the host records even and odd steps with their own uniforms) and its update's first
// thread writes slot (s + 1) mod 2, which nothing in that dispatch reads — so no dispatch of its own
// advances them (a one-thread dispatch per step, and a race inside the update, avoided).
//
// Buffers: `work` holds the activations of the layers past the input (B × Σ widths) and two delta buffers
// (B × max width each); `par` holds θ, ∂θ, the optimizer's first and second moments (P each). Operands
// name their buffer (0 work, 1 par, 2 the batch's rows of x, row stride a_rs or b_rs) and strides, so one
// matmul covers A·Bᵀ, Aᵀ·B and A·B.

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
    slot: u32,     // the counter slot of this step: 0 or 1
    pad0: u32,
    pad1: u32,
    pad2: u32,
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
    adam_b1: f32,   // Adam's β₁, β₂, ε: the host's (core/src/train/optimizer.rs), not literals here
    adam_b2: f32,
    adam_eps: f32,
}

@group(0) @binding(0) var<uniform> op: Op;
@group(0) @binding(1) var<storage, read_write> work: array<f32>;
@group(0) @binding(2) var<storage, read_write> par: array<f32>;
@group(0) @binding(3) var<storage, read> x: array<f32>;
@group(0) @binding(4) var<storage, read> y: array<f32>;
@group(0) @binding(5) var<storage, read> order: array<u32>;
@group(0) @binding(6) var<storage, read_write> counter: array<u32>; // per slot: [step within `order`, optimizer steps taken]
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

fn step_in_order() -> u32 {
    return counter[2u * op.slot];
}

// Rows in the current batch (the last batch of an epoch may be short).
fn batch_rows() -> u32 {
    let start = step_in_order() * hyp.batch;
    return min(hyp.batch, hyp.rows - min(start, hyp.rows));
}

// The sample at row i of the batch: order[s·B + i].
fn batch_row(i: u32) -> u32 {
    return order[step_in_order() * hyp.batch + i];
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
    // Mode 2's bias gradient: in the workgroups of C's first block column, thread `flat` < 64 sums row
    // flat of each staged A slice (A = dZᵀ: row i of A is column i of dZ) over k, in k's order — the same
    // additions, in the same order, as a separate pass over dZ's rows; two whole warps of the eight.
    let sums = op.mode == 2u && wid.x == 0u && flat < BLOCK;
    var bias = 0.0;
    // Operand buffer 2 (the batch's rows of x): the rows in the batch and where they start in `order`
    // (read once), and the x offsets of the A rows this thread stages (the same four in every slice).
    var rows = 0u;
    var first = 0u;
    var a_row: array<u32, 4>;
    if (op.a_buf == 2u || op.b_buf == 2u) {
        rows = batch_rows();
        first = step_in_order() * hyp.batch;
    }
    if (op.a_buf == 2u) {
        for (var q = 0u; q < 4u; q += 1u) {
            let ia = row0 + (flat + q * 256u) / TILE;
            if (ia < rows) {
                a_row[q] = order[first + ia] * op.a_rs;
            }
        }
    }
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
                if (op.a_buf == 2u) {
                    if (ia < rows) {
                        va = x[a_row[q] + ka];
                    }
                } else {
                    va = load(op.a_buf, op.a_off + ia * op.a_rs + ka * op.a_cs);
                }
            }
            tile_a[ra][e % TILE] = va;
            // B's slice: 16 k × 64 columns.
            let kb = t * TILE + e / BLOCK;
            let jb = col0 + e % BLOCK;
            var vb = 0.0;
            if (kb < op.k && jb < op.n) {
                if (op.b_buf == 2u) {
                    if (kb < rows) {
                        vb = x[order[first + kb] * op.b_rs + jb];
                    }
                } else {
                    vb = load(op.b_buf, op.b_off + kb * op.b_rs + jb * op.b_cs);
                }
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
        if (sums) {
            for (var c = 0u; c < TILE; c += 1u) {
                bias += tile_a[flat][c];
            }
        }
        workgroupBarrier();
    }
    if (sums && row0 + flat < op.m) {
        par[op.aux_off + row0 + flat] = bias;
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

// op.m = B, op.n = outputs; op.a_off = the network's output block, op.c_off = dZ_L; targets from y.
@compute @workgroup_size(64)
fn output_delta(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = gid.x;
    if (i >= op.m) {
        return;
    }
    let n = op.n;
    let o = op.a_off + i * n;
    let d = op.c_off + i * n;
    let rows = batch_rows();
    if (i >= rows) {
        for (var k = 0u; k < n; k += 1u) {
            work[d + k] = 0.0;
        }
        return;
    }
    let t = batch_row(i) * n;
    let scale = 1.0 / f32(rows);
    if (hyp.loss == 0u) {
        for (var k = 0u; k < n; k += 1u) {
            work[d + k] = (work[o + k] - y[t + k]) * scale;
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
        mass += y[t + k];
    }
    for (var k = 0u; k < n; k += 1u) {
        work[d + k] = (mass * exp(work[o + k] - mx) / sum - y[t + k]) * scale;
    }
}

// One thread per parameter: par = [θ | ∂θ | m | v], P each. Its first thread writes the next step's counters.
@compute @workgroup_size(256)
fn update(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let q = gid.x + gid.y * groups.x * 256u;
    let p = hyp.p;
    if (q >= p) {
        return;
    }
    let here = 2u * op.slot;
    if (q == 0u) {
        let next = 2u - here;
        counter[next] = counter[here] + 1u;
        counter[next + 1u] = counter[here + 1u] + 1u;
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
        let step = f32(counter[here + 1u] + 1u);
        let m = hyp.adam_b1 * par[2u * p + q] + (1.0 - hyp.adam_b1) * g;
        let v = hyp.adam_b2 * par[3u * p + q] + (1.0 - hyp.adam_b2) * g * g;
        par[2u * p + q] = m;
        par[3u * p + q] = v;
        let mh = m / (1.0 - pow(hyp.adam_b1, step));
        let vh = v / (1.0 - pow(hyp.adam_b2, step));
        par[q] = w - hyp.lr * mh / (sqrt(vh) + hyp.adam_eps);
    }
}
