// A batch of small, independent OT problems solved together by log-domain Sinkhorn, f32: workgroup k
// solves problem k, and one dispatch runs up to `iters` whole iterations of every unfinished problem (the
// OTT-JAX `vmap` use case, without a launch per half-step). The host runs one iteration per dispatch and
// many dispatches per submission: several per dispatch drifted on lavapipe (core/src/ot/sweep/gpu.rs). The updates, their order and the stopping rule
// are the single-problem solver's (core/src/ot/solver.rs, f64, and shaders/ot/sinkhorn_lse.wgsl):
//
//   iteration t:  g'_j = ε log b_j − ε LSE_i((f_i − C_ij)/ε)
//                 err_t = Σ_j |b_j·exp((g_j − g'_j)/ε) − b_j|   (the column marginal error of iterate t)
//                 stop before committing when t ≥ 1 and err_t ≤ tol (Tolerance), err_t ≤ floor (Stalled: f32
//                 cannot vouch for less), err_t is NaN (Divergence), or no 1 % improvement for `window`
//                 iterations (Stalled); else g ← g', f_i = ε log a_i − ε LSE_j((g_j − C_ij)/ε), t ← t + 1,
//                 and at t = max_iter stop (MaxIterations).
//
// `plan_cost` writes ⟨C, P⟩ with P_ij = exp((f_i + g_j − C_ij)/ε) per problem (the frame's transport cost).
//
// Threads of a workgroup own columns j ≡ lid (mod 64) for the g-update and rows i ≡ lid (mod 64) for the
// f-update; a tree over workgroup memory sums the error; storage barriers order the potentials' writes
// before the next half-step reads them; the decision to stop is thread 0's, shared by
// `workgroupUniformLoad` so that every thread leaves the loop together.
//
// The cost C_ij is read from a dense row-major block (mode 0) or computed from point coordinates (mode 1:
// scale·‖x_i − y_j‖², mode 2: scale·‖x_i − y_j‖). All problems share one buffer per kind of data, each at
// its own offsets (the table `problems`).
//
// Bindings (group 0): 0 Run (uniform), 1 problems, 2 state (per problem), 3 points (x then y coordinates),
// 4 cost (dense blocks; 4-byte dummy without), 5 marginals (a at a_off, b at b_off), 6 potentials (f at
// a_off, g at b_off), 7 scratch (g' at b_off). 7 storage buffers: within the browser's 8.

struct Run {
    iters: u32,   // iterations per dispatch
    window: u32,  // iterations without a 1 % improvement that stall a problem
    floor: f32,   // the error f32 can vouch for
    pad: u32,
}

struct Problem {
    n: u32,
    m: u32,
    dim: u32,
    mode: u32,
    eps: f32,
    scale: f32,
    tol: f32,
    max_iter: u32,
    x_off: u32,
    y_off: u32,
    a_off: u32,
    b_off: u32,
    cost_off: u32,
    pad0: u32,
    pad1: u32,
    pad2: u32,
}

// stop: 0 running, 1 tolerance, 2 stalled, 3 max iterations, 4 divergence.
struct State {
    iter: u32,
    stop: u32,
    err: f32,
    best: f32,
    best_at: u32,
    cost: f32,
    pad0: u32,
    pad1: u32,
}

@group(0) @binding(0) var<uniform> run: Run;
@group(0) @binding(1) var<storage, read> problems: array<Problem>;
@group(0) @binding(2) var<storage, read_write> state: array<State>;
@group(0) @binding(3) var<storage, read> points: array<f32>;
@group(0) @binding(4) var<storage, read> cost: array<f32>;
@group(0) @binding(5) var<storage, read> marg: array<f32>;
@group(0) @binding(6) var<storage, read_write> pot: array<f32>;
@group(0) @binding(7) var<storage, read_write> scratch: array<f32>;

const WG: u32 = 64u;
const NEG: f32 = -3.0e38;

var<workgroup> red: array<f32, 64>;
var<workgroup> flag: u32;

fn c(pr: Problem, i: u32, j: u32) -> f32 {
    if (pr.mode == 0u) {
        return cost[pr.cost_off + i * pr.m + j];
    }
    var d2 = 0.0;
    for (var k = 0u; k < pr.dim; k += 1u) {
        let d = points[pr.x_off + i * pr.dim + k] - points[pr.y_off + j * pr.dim + k];
        d2 += d * d;
    }
    if (pr.mode == 1u) {
        return pr.scale * d2;
    }
    return pr.scale * sqrt(d2);
}

/// The LSE pair (max, Σ exp(x − max)) with x pushed, one exponential per entry.
fn push(a: vec2<f32>, x: f32) -> vec2<f32> {
    let e = exp(-abs(x - a.x));
    return select(vec2<f32>(a.x, a.y + e), vec2<f32>(x, a.y * e + 1.0), x > a.x);
}

/// Σ over the workgroup of each thread's `v` (every thread gets it).
fn total(lid: u32, v: f32) -> f32 {
    red[lid] = v;
    workgroupBarrier();
    for (var s = WG / 2u; s > 0u; s >>= 1u) {
        if (lid < s) {
            red[lid] += red[lid + s];
        }
        workgroupBarrier();
    }
    let t = red[0];
    workgroupBarrier();
    return t;
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
    let inv_eps = 1.0 / pr.eps;
    for (var t = 0u; t < run.iters; t += 1u) {
        // g' and the column error of the current iterate.
        var e = 0.0;
        for (var j = lid; j < pr.m; j += WG) {
            var acc = vec2<f32>(NEG, 0.0);
            for (var i = 0u; i < pr.n; i += 1u) {
                acc = push(acc, (pot[pr.a_off + i] - c(pr, i, j)) * inv_eps);
            }
            let bj = marg[pr.b_off + j];
            let g_new = pr.eps * (log(bj) - (acc.x + log(acc.y)));
            scratch[pr.b_off + j] = g_new;
            e += abs(bj * exp((pot[pr.b_off + j] - g_new) * inv_eps) - bj);
        }
        let err = total(lid, e);
        if (lid == 0u) {
            var stop = 0u;
            if (err != err) {
                stop = 4u;
            } else if (st.iter >= 1u && err <= pr.tol && pr.tol >= run.floor) {
                stop = 1u;
            } else if (st.iter >= 1u && err <= run.floor) {
                stop = 2u;
            } else if (err < 0.99 * st.best) {
                st.best = err;
                st.best_at = st.iter;
            } else if (st.iter - st.best_at >= run.window) {
                stop = 2u;
            }
            st.err = err;
            st.stop = stop;
            flag = stop;
        }
        if (workgroupUniformLoad(&flag) != 0u) {
            break;
        }
        // Commit g', then the f-update from it.
        for (var j = lid; j < pr.m; j += WG) {
            pot[pr.b_off + j] = scratch[pr.b_off + j];
        }
        storageBarrier();
        workgroupBarrier();
        for (var i = lid; i < pr.n; i += WG) {
            var acc = vec2<f32>(NEG, 0.0);
            for (var j = 0u; j < pr.m; j += 1u) {
                acc = push(acc, (pot[pr.b_off + j] - c(pr, i, j)) * inv_eps);
            }
            pot[pr.a_off + i] = pr.eps * (log(marg[pr.a_off + i]) - (acc.x + log(acc.y)));
        }
        storageBarrier();
        workgroupBarrier();
        if (lid == 0u) {
            st.iter += 1u;
            if (st.iter >= pr.max_iter) {
                st.stop = 3u;
            }
            flag = st.stop;
        }
        if (workgroupUniformLoad(&flag) != 0u) {
            break;
        }
    }
    if (lid == 0u) {
        state[k] = st;
    }
}

@compute @workgroup_size(64)
fn plan_cost(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let k = wid.x;
    let pr = problems[k];
    let inv_eps = 1.0 / pr.eps;
    var s = 0.0;
    for (var i = lid; i < pr.n; i += WG) {
        let fi = pot[pr.a_off + i];
        for (var j = 0u; j < pr.m; j += 1u) {
            let cij = c(pr, i, j);
            s += exp((fi + pot[pr.b_off + j] - cij) * inv_eps) * cij;
        }
    }
    let t = total(lid, s);
    if (lid == 0u) {
        state[k].cost = t;
    }
}
