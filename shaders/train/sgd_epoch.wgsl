// Runs of mini-batch steps of small MLPs, ONE workgroup per net: no host round trip between steps, and
// many nets (a sweep: core/src/train/sweep/gpu.rs) in one dispatch — workgroup w trains net w, whose
// hyperparameters, layer table and offsets into the shared buffers are row w of `nets` (a single run is a
// table of one). The host splits an epoch into dispatches of bounded work (steps × B ×
// P), all in one submission, so no single dispatch runs long enough to trip a driver's or browser's
// watchdog. Same model and loss as core/src/train/mlp.rs (its f64 CPU twin):
//   layer l: z = W_l a + b_l (W_l out × in, row-major, then b_l, in one flat θ), a = act(z) on hidden
//   layers, linear output; loss ½·Σ_k (o_k − y_k)² (mse) or −Σ_k y_k log softmax(o)_k (xent, y one-hot or
//   label-smoothed), mean over the batch.
// Per step, three phases separated by barriers:
//   1. thread t < B takes sample order[step·B + t]: forward pass, then backward, writing its gradient
//      contribution into row t of the net's `scratch` block (B × P) — a gather layout, because WGSL has no
//      float atomics;
//   2. thread t sums column p of the block over the batch for p = t, t + 256, … and updates θ_p with the
//      optimizer (sgd; momentum v ← βv + g; adam with bias correction) plus L1/L2 on weights;
//   3. the next step reads the new θ.
// Limits: widths ≤ 64 (private arrays), ≤ 6 hidden layers, B ≤ 256. Bindings (eight storage buffers, WebGPU's
// default per-stage limit): 0 nets (one Net per workgroup), 2 x (each net's rows × inputs at x_off), 3 y (rows ×
// outputs at y_off: targets, or target distributions for xent), 5 order (each net's row order at
// order_off, u32), 6 theta (at theta_off), 7 scratch (B × P at scratch_off), 8 m, 9 v (at theta_off).

struct Net {
    batch: u32,       // B
    steps: u32,       // steps in this dispatch
    rows: u32,        // length of `order`
    p: u32,           // parameter count
    n_layers: u32,    // weight layers (hidden + output)
    loss: u32,        // 0 mse, 1 xent
    optimizer: u32,   // 0 sgd, 1 momentum, 2 adam
    reg: u32,         // 0 none, 1 l1, 2 l2
    lr: f32,
    reg_rate: f32,
    momentum: f32,
    t0: u32,          // optimizer steps already taken (Adam's bias correction)
    step0: u32,       // first step of this dispatch within `order` (batches start at (step0 + s)·B)
    adam_b1: f32,     // Adam's β₁, β₂, ε: the host's (core/src/train/optimizer.rs), not literals here
    adam_b2: f32,
    adam_eps: f32,
    // Where this net's data and state start in the shared buffers (in elements).
    x_off: u32,
    y_off: u32,
    order_off: u32,
    theta_off: u32,
    scratch_off: u32,
    pad0: u32,
    pad1: u32,
    pad2: u32,
    // The layer table: widths[0] = inputs, widths[l + 1] = output width of layer l; act[l]: 0 relu, 1 tanh,
    // 2 sigmoid, 3 linear; w_off/b_off: where layer l's W and b start in the net's θ.
    widths: array<vec4<u32>, 2>,
    act: array<vec4<u32>, 2>,
    w_off: array<vec4<u32>, 2>,
    b_off: array<vec4<u32>, 2>,
}

@group(0) @binding(0) var<storage, read> nets: array<Net>;
@group(0) @binding(2) var<storage, read> x: array<f32>;
@group(0) @binding(3) var<storage, read> y: array<f32>;
@group(0) @binding(5) var<storage, read> order: array<u32>;
@group(0) @binding(6) var<storage, read_write> theta: array<f32>;
@group(0) @binding(7) var<storage, read_write> scratch: array<f32>;
@group(0) @binding(8) var<storage, read_write> mom: array<f32>;
@group(0) @binding(9) var<storage, read_write> sec: array<f32>;

const WG: u32 = 256u;
const MAXW: u32 = 64u;
const MAXL: u32 = 7u; // weight layers

// The net's layer table: widths, activation codes and θ offsets (net n = the workgroup's).
fn width(n: u32, i: u32) -> u32 { return nets[n].widths[i / 4u][i % 4u]; }
fn act_of(n: u32, l: u32) -> u32 { return nets[n].act[l / 4u][l % 4u]; }
fn w_off(n: u32, l: u32) -> u32 { return nets[n].w_off[l / 4u][l % 4u]; }
fn b_off(n: u32, l: u32) -> u32 { return nets[n].b_off[l / 4u][l % 4u]; }

// activate() and derivative(): activation.wgsl, prepended by core.

// Activations of every layer for this thread's sample: acts[l * MAXW + k], l = 0 the input.
var<private> acts: array<f32, 512>; // (MAXL + 1) × MAXW
var<private> delta: array<f32, 64>;
var<private> nxt: array<f32, 64>;

@compute @workgroup_size(256)
fn sgd_epoch(@builtin(local_invocation_index) t: u32, @builtin(workgroup_id) wg: vec3<u32>) {
    let n = wg.x;
    let prm = nets[n];
    let xo = prm.x_off;
    let yo = prm.y_off;
    let to = prm.theta_off;
    let so = prm.scratch_off;
    let b = prm.batch;
    let p = prm.p;
    let nl = prm.n_layers;
    let n_in = width(n, 0u);
    let n_out = width(n, nl);
    for (var s = 0u; s < prm.steps; s += 1u) {
        let start = (prm.step0 + s) * b;
        let size = min(b, prm.rows - start);
        // Phase 1: one sample per thread.
        if (t < size) {
            let r = order[prm.order_off + start + t];
            for (var k = 0u; k < n_in; k += 1u) {
                acts[k] = x[xo + r * n_in + k];
            }
            for (var l = 0u; l < nl; l += 1u) {
                let i = width(n, l);
                let o = width(n, l + 1u);
                let code = select(act_of(n, l), 3u, l + 1u == nl);
                for (var row = 0u; row < o; row += 1u) {
                    var z = theta[to + b_off(n, l) + row];
                    for (var c = 0u; c < i; c += 1u) {
                        z += theta[to + w_off(n, l) + row * i + c] * acts[l * MAXW + c];
                    }
                    acts[(l + 1u) * MAXW + row] = activate(code, z);
                }
            }
            // ∂ℓ/∂o.
            let ob = nl * MAXW;
            if (prm.loss == 0u) {
                for (var k = 0u; k < n_out; k += 1u) {
                    delta[k] = acts[ob + k] - y[yo + r * n_out + k];
                }
            } else {
                var mx = acts[ob];
                for (var k = 1u; k < n_out; k += 1u) { mx = max(mx, acts[ob + k]); }
                var sum = 0.0;
                for (var k = 0u; k < n_out; k += 1u) { sum += exp(acts[ob + k] - mx); }
                // Soft targets y (one-hot or label-smoothed): ∂ℓ/∂o = (Σy) softmax(o) − y.
                var mass = 0.0;
                for (var k = 0u; k < n_out; k += 1u) { mass += y[yo + r * n_out + k]; }
                for (var k = 0u; k < n_out; k += 1u) {
                    delta[k] = mass * exp(acts[ob + k] - mx) / sum - y[yo + r * n_out + k];
                }
            }
            // Backward, writing this sample's gradient into scratch row t.
            for (var li = 0u; li < nl; li += 1u) {
                let l = nl - 1u - li;
                let i = width(n, l);
                let o = width(n, l + 1u);
                for (var row = 0u; row < o; row += 1u) {
                    scratch[so + t * p + b_off(n, l) + row] = delta[row];
                    for (var c = 0u; c < i; c += 1u) {
                        scratch[so + t * p + w_off(n, l) + row * i + c] = delta[row] * acts[l * MAXW + c];
                    }
                }
                if (l > 0u) {
                    let code = act_of(n, l - 1u);
                    for (var c = 0u; c < i; c += 1u) {
                        var acc = 0.0;
                        for (var row = 0u; row < o; row += 1u) {
                            acc += theta[to + w_off(n, l) + row * i + c] * delta[row];
                        }
                        nxt[c] = acc * derivative(code, acts[l * MAXW + c]);
                    }
                    for (var c = 0u; c < i; c += 1u) { delta[c] = nxt[c]; }
                }
            }
        }
        storageBarrier();
        workgroupBarrier();
        // Phase 2: reduce over the batch and update.
        let step = f32(prm.t0 + s + 1u);
        for (var q = t; q < p; q += WG) {
            var g = 0.0;
            for (var k = 0u; k < size; k += 1u) {
                g += scratch[so + k * p + q];
            }
            g /= f32(size);
            if (prm.reg != 0u && is_weight(n, prm.n_layers, q)) {
                let w = theta[to + q];
                if (prm.reg == 1u) {
                    g += prm.reg_rate * sign(w);
                } else {
                    g += prm.reg_rate * w;
                }
            }
            if (prm.optimizer == 0u) {
                theta[to + q] -= prm.lr * g;
            } else if (prm.optimizer == 1u) {
                mom[to + q] = prm.momentum * mom[to + q] + g;
                theta[to + q] -= prm.lr * mom[to + q];
            } else {
                mom[to + q] = prm.adam_b1 * mom[to + q] + (1.0 - prm.adam_b1) * g;
                sec[to + q] = prm.adam_b2 * sec[to + q] + (1.0 - prm.adam_b2) * g * g;
                let mh = mom[to + q] / (1.0 - pow(prm.adam_b1, step));
                let vh = sec[to + q] / (1.0 - pow(prm.adam_b2, step));
                theta[to + q] -= prm.lr * mh / (sqrt(vh) + prm.adam_eps);
            }
        }
        storageBarrier();
        workgroupBarrier();
    }
}

// True when flat parameter q of net n (of `layers` weight layers) is a weight (not a bias).
fn is_weight(n: u32, layers: u32, q: u32) -> bool {
    for (var l = 0u; l < layers; l += 1u) {
        if (q >= w_off(n, l) && q < b_off(n, l)) {
            return true;
        }
    }
    return false;
}
