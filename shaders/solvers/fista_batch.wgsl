// A batch of Lasso problems solved together by FISTA (Beck & Teboulle 2009), f32: workgroup k solves problem
// k, one iteration per dispatch (the host records many dispatches into one submission, as the OT batch does).
// Every problem shares one design X (N × d, column-major) and y; problem k leaves out the rows [lo, hi) (a
// cross-validation fold; lo = hi = 0 keeps every row) and has its own λ and step s = 1/L, L = σ_max(X_k)²/n_k:
//
//   min_w (1/2n_k)‖y − X_k w‖² + λ‖w‖₁
//   iteration:  r = y − X_k z                       (rows of the fold held out: r_i = 0)
//               w' = soft(z + (s/n_k) X_kᵀ r, sλ)    soft(v, a) = sign(v)·max(|v| − a, 0)
//               t' = (1 + √(1 + 4t²))/2,  z = w' + ((t − 1)/t')(w' − w),  w = w', t = t'
//   stop after the iteration when max_j |w'_j − w_j| ≤ tol·max_j |w'_j| (Tolerance; w = 0 included), a value
//   is NaN (Divergence), or at max_iter (MaxIterations).
//
// The CPU twin is `fista_cpu` in core/src/solvers/sparse/gpu.rs (f64, the same iterations and rule).
// Threads own rows i ≡ lid (mod 64) for the residual and columns j ≡ lid (mod 64) for the update; storage
// and workgroup barriers order r's writes before the columns read it; a tree over workgroup memory takes the
// maxima; thread 0 decides and writes the state, which the next dispatch reads.
//
// Bindings (group 0): 0 Run (uniform), 1 problems, 2 state, 3 x (N·d), 4 y (N), 5 w (P·d), 6 z (P·d),
// 7 r (P·N). 7 storage buffers: within the browser's 8.

struct Run {
    n: u32,
    d: u32,
    pad0: u32,
    pad1: u32,
}

struct Problem {
    lo: u32,
    hi: u32,
    lambda: f32,
    step: f32,
    inv_n: f32,
    tol: f32,
    max_iter: u32,
    pad: u32,
}

// stop: 0 running, 1 tolerance, 3 max iterations, 4 divergence.
struct State {
    iter: u32,
    stop: u32,
    t: f32,
    change: f32,
    wmax: f32,
    pad0: u32,
    pad1: u32,
    pad2: u32,
}

@group(0) @binding(0) var<uniform> run: Run;
@group(0) @binding(1) var<storage, read> problems: array<Problem>;
@group(0) @binding(2) var<storage, read_write> state: array<State>;
@group(0) @binding(3) var<storage, read> x: array<f32>;
@group(0) @binding(4) var<storage, read> y: array<f32>;
@group(0) @binding(5) var<storage, read_write> w: array<f32>;
@group(0) @binding(6) var<storage, read_write> z: array<f32>;
@group(0) @binding(7) var<storage, read_write> r: array<f32>;

const WG: u32 = 64u;

var<workgroup> red: array<f32, 64>;
var<workgroup> flag: u32;

/// The maximum over the workgroup of each thread's `v` (every thread gets it; NaN propagates).
fn maximum(lid: u32, v: f32) -> f32 {
    red[lid] = v;
    workgroupBarrier();
    for (var s = WG / 2u; s > 0u; s >>= 1u) {
        if (lid < s) {
            let a = red[lid];
            let b = red[lid + s];
            red[lid] = select(max(a, b), a + b, a != a || b != b);
        }
        workgroupBarrier();
    }
    let m = red[0];
    workgroupBarrier();
    return m;
}

@compute @workgroup_size(64)
fn iterate(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let k = wid.x;
    let pr = problems[k];
    var st = state[k];
    if (lid == 0u) {
        flag = st.stop;
    }
    if (workgroupUniformLoad(&flag) != 0u) {
        return;
    }
    let n = run.n;
    let d = run.d;
    let wo = k * d;
    let ro = k * n;
    for (var i = lid; i < n; i += WG) {
        var s = 0.0;
        if (i < pr.lo || i >= pr.hi) {
            s = y[i];
            for (var j = 0u; j < d; j += 1u) {
                s -= x[j * n + i] * z[wo + j];
            }
        }
        r[ro + i] = s;
    }
    storageBarrier();
    workgroupBarrier();
    let t_new = 0.5 * (1.0 + sqrt(1.0 + 4.0 * st.t * st.t));
    let beta = (st.t - 1.0) / t_new;
    let gain = pr.step * pr.inv_n;
    let thr = pr.step * pr.lambda;
    var ch = 0.0;
    var wm = 0.0;
    for (var j = lid; j < d; j += WG) {
        var g = 0.0;
        for (var i = 0u; i < n; i += 1u) {
            g += x[j * n + i] * r[ro + i];
        }
        let v = z[wo + j] + gain * g;
        let w_new = sign(v) * max(abs(v) - thr, 0.0);
        let w_old = w[wo + j];
        let c = abs(w_new - w_old);
        ch = select(max(ch, c), c, c != c);
        wm = select(max(wm, abs(w_new)), abs(w_new), w_new != w_new);
        w[wo + j] = w_new;
        z[wo + j] = w_new + beta * (w_new - w_old);
    }
    let change = maximum(lid, ch);
    let wmax = maximum(lid, wm);
    if (lid == 0u) {
        st.iter += 1u;
        st.t = t_new;
        st.change = change;
        st.wmax = wmax;
        if (change != change || wmax != wmax) {
            st.stop = 4u;
        } else if (change <= pr.tol * wmax) {
            st.stop = 1u;
        } else if (st.iter >= pr.max_iter) {
            st.stop = 3u;
        }
        state[k] = st;
    }
}
