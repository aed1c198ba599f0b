//! A multilayer perceptron on the CPU in f64: forward, backward (the gradient), and the exact
//! Hessian-vector product by Pearlmutter's R-operator (forward-over-backward), the ground truth for the
//! Hessian tools.
//!
//! Parameters are one flat vector θ: for each layer l, W_l (out × in, row-major) then b_l (out). Hidden layers
//! apply their activation; the output layer is linear and feeds the loss:
//! - `mse`: ½ · mean over samples of Σ_k (o_k − y_k)² (docs/methods.md §3's "½·mean squared error");
//! - `xent`: mean over samples of −Σ_k q_k log softmax(o)_k with q the sample's target distribution (one-hot
//!   on its class, or label-smoothed), or −log softmax(o)_c given only the class c.
//!
//! Initialisation: W ~ N(0, 1/fan_in), b = 0.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::rng::SplitMix64;

crate::choice! {
    /// A hidden layer's activation (`--activation`).
    pub enum Activation("activation") {
        Relu => "relu",
        Tanh => "tanh",
        Sigmoid => "sigmoid",
        Linear => "linear",
    }
}

crate::choice! {
    /// The data loss (`--loss`).
    pub enum Loss("loss") {
        /// ½ · mean squared error.
        Mse => "mse",
        /// Softmax cross-entropy (binary or multiclass).
        Xent => "xent",
    }
}

crate::choice! {
    /// How the initial weights are drawn (`--init`); fan_in is a layer's input width.
    #[derive(Default)]
    pub enum Init("init") {
        /// LeCun normal: W ~ N(0, 1/fan_in), b = 0.
        #[default]
        Lecun => "lecun",
        /// PyTorch's `nn.Linear` default: W and b ~ U(±1/√fan_in) (the setting of Cohen et al. 2021).
        Pytorch => "pytorch",
        /// TensorFlow Playground's: W ~ U(±0.5), b = 0.1.
        Playground => "playground",
    }
}

impl Activation {
    /// σ'(z) from a = σ(z) (relu: a > 0 ⇔ z > 0).
    fn derivative_from_value(self, a: f64) -> f64 {
        match self {
            Activation::Relu => f64::from(u8::from(a > 0.0)),
            Activation::Tanh => 1.0 - a * a,
            Activation::Sigmoid => a * (1.0 - a),
            Activation::Linear => 1.0,
        }
    }

    /// σ applied in place to every entry (a loop that vectorises: `cpu::exp::tanh` has no branch).
    fn apply(self, z: &mut [f64]) {
        match self {
            Activation::Relu => z.iter_mut().for_each(|v| *v = v.max(0.0)),
            Activation::Tanh => z.iter_mut().for_each(|v| *v = crate::cpu::exp::tanh(*v)),
            Activation::Sigmoid => z.iter_mut().for_each(|v| *v = self.eval(*v).0),
            Activation::Linear => {}
        }
    }

    /// (σ(z), σ'(z), σ''(z)).
    fn eval(self, z: f64) -> (f64, f64, f64) {
        match self {
            Activation::Relu => {
                if z > 0.0 {
                    (z, 1.0, 0.0)
                } else {
                    (0.0, 0.0, 0.0)
                }
            }
            Activation::Tanh => {
                let t = crate::cpu::exp::tanh(z);
                let d = 1.0 - t * t;
                (t, d, -2.0 * t * d)
            }
            Activation::Sigmoid => {
                let s = 1.0 / (1.0 + (-z).exp());
                let d = s * (1.0 - s);
                (s, d, d * (1.0 - 2.0 * s))
            }
            Activation::Linear => (z, 1.0, 0.0),
        }
    }
}

/// Largest layer width and depth the core accepts (the UI offers 6 × 64).
pub const MAX_WIDTH: usize = 4096;
pub const MAX_HIDDEN_LAYERS: usize = 16;

/// Layer sizes and activations.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Architecture {
    pub inputs: usize,
    /// Hidden widths, input side first (may be empty: a linear model).
    pub hidden: Vec<usize>,
    pub outputs: usize,
    /// One per hidden layer.
    pub activations: Vec<Activation>,
}

impl Architecture {
    pub fn new(inputs: usize, hidden: Vec<usize>, outputs: usize, activation: Activation) -> Result<Self> {
        let activations = vec![activation; hidden.len()];
        let arch = Self { inputs, hidden, outputs, activations };
        arch.validate()?;
        Ok(arch)
    }

    pub fn validate(&self) -> Result<()> {
        if self.inputs == 0 || self.outputs == 0 {
            return Err(Error::TooSmall {
                name: if self.inputs == 0 { "inputs" } else { "outputs" },
                value: 0,
                min: 1,
            });
        }
        if self.hidden.len() > MAX_HIDDEN_LAYERS {
            return Err(Error::TooBig {
                name: "hidden layers",
                value: self.hidden.len() as i64,
                max: MAX_HIDDEN_LAYERS as i64,
            });
        }
        if let Some(&w) = self.hidden.iter().find(|&&w| w == 0 || w > MAX_WIDTH) {
            return Err(Error::Invalid {
                name: "hidden",
                message: format!("every layer needs 1..={MAX_WIDTH} neurons, got {w}"),
            });
        }
        if self.activations.len() != self.hidden.len() {
            return Err(Error::ShapeMismatch {
                name: "activations",
                got: self.activations.len(),
                want: self.hidden.len(),
            });
        }
        Ok(())
    }

    /// Widths including input and output.
    pub fn widths(&self) -> Vec<usize> {
        std::iter::once(self.inputs).chain(self.hidden.iter().copied()).chain(std::iter::once(self.outputs)).collect()
    }

    /// Number of parameters.
    pub fn params(&self) -> usize {
        self.widths().windows(2).map(|w| w[1] * w[0] + w[1]).sum()
    }

    /// (offset of W_l, offset of b_l, in, out) per layer.
    pub fn layers(&self) -> Vec<(usize, usize, usize, usize)> {
        let mut off = 0;
        self.widths()
            .windows(2)
            .map(|w| {
                let (i, o) = (w[0], w[1]);
                let layer = (off, off + o * i, i, o);
                off += o * i + o;
                layer
            })
            .collect()
    }

    /// LeCun normal initial weights: W ~ N(0, 1/fan_in), b = 0.
    pub fn init(&self, seed: u64) -> Vec<f64> {
        self.init_with(Init::Lecun, seed)
    }

    /// Initial weights drawn by `init` from `seed` (one stream, layer by layer: W row-major, then b).
    pub fn init_with(&self, init: Init, seed: u64) -> Vec<f64> {
        let mut rng = SplitMix64::new(seed);
        let mut theta = vec![0.0; self.params()];
        for (w, b, i, o) in self.layers() {
            let scale = 1.0 / (i as f64).sqrt();
            match init {
                Init::Lecun => theta[w..w + o * i].iter_mut().for_each(|v| *v = rng.normal() * scale),
                Init::Pytorch => theta[w..b + o].iter_mut().for_each(|v| *v = (2.0 * rng.uniform() - 1.0) * scale),
                Init::Playground => {
                    theta[w..w + o * i].iter_mut().for_each(|v| *v = rng.uniform() - 0.5);
                    theta[b..b + o].iter_mut().for_each(|v| *v = 0.1);
                }
            }
        }
        theta
    }

    fn activation(&self, layer: usize) -> Activation {
        self.activations.get(layer).copied().unwrap_or(Activation::Linear)
    }
}

/// The training data a loss is evaluated on: inputs (rows × inputs) and, per row, regression targets
/// (rows × outputs) or a class.
#[derive(Debug, Clone, Copy)]
pub struct Batch<'a> {
    pub x: &'a [f64],
    pub y: &'a [f64],
    pub class: &'a [usize],
    pub rows: &'a [usize],
}

/// Forward pass of one sample: pre-activations z_l and activations a_l per layer (a_0 = input).
fn forward(arch: &Architecture, theta: &[f64], input: &[f64]) -> (Vec<Vec<f64>>, Vec<Vec<f64>>) {
    let layers = arch.layers();
    let mut a = vec![input.to_vec()];
    let mut z = Vec::with_capacity(layers.len());
    for (l, &(w, b, i, o)) in layers.iter().enumerate() {
        let prev = &a[l];
        let zl: Vec<f64> =
            (0..o).map(|r| theta[b + r] + (0..i).map(|c| theta[w + r * i + c] * prev[c]).sum::<f64>()).collect();
        let act = if l + 1 == layers.len() { Activation::Linear } else { arch.activation(l) };
        a.push(zl.iter().map(|&v| act.eval(v).0).collect());
        z.push(zl);
    }
    (z, a)
}

/// ∂ℓ/∂o for one sample (unscaled by the batch mean), its loss, and the loss Hessian in o as a closure.
/// Returns (loss, ∂ℓ/∂o, softmax(o) for xent, Σq the target mass for xent).
fn output_grad(loss: Loss, o: &[f64], y: &[f64], class: usize) -> (f64, Vec<f64>, Vec<f64>, f64) {
    match loss {
        Loss::Mse => {
            let d: Vec<f64> = o.iter().zip(y).map(|(a, b)| a - b).collect();
            (0.5 * d.iter().map(|v| v * v).sum::<f64>(), d, vec![], 1.0)
        }
        Loss::Xent => {
            let max = o.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let e: Vec<f64> = o.iter().map(|v| (v - max).exp()).collect();
            let s: f64 = e.iter().sum();
            let p: Vec<f64> = e.iter().map(|v| v / s).collect();
            if y.len() == p.len() {
                // Soft targets q (one-hot, or smoothed): −Σ q_k log p_k, gradient (Σq) p − q (= p − q for a
                // distribution) and Hessian (Σq)(diag p − ppᵀ).
                let loss = -y.iter().zip(&p).map(|(q, pk)| q * pk.max(f64::MIN_POSITIVE).ln()).sum::<f64>();
                let mass: f64 = y.iter().sum();
                let d = p.iter().zip(y).map(|(pk, q)| mass * pk - q).collect();
                return (loss, d, p, mass);
            }
            let loss = -(p[class].max(f64::MIN_POSITIVE)).ln();
            let mut d = p.clone();
            d[class] -= 1.0;
            (loss, d, p, 1.0)
        }
    }
}

/// The mean data loss over the batch and, when `grad` is given, its gradient (overwritten). Batched, layer
/// by layer over the whole batch: Z = A Wᵀ + 1bᵀ forward (row · row dot products), ∇W = Δᵀ A, ∇b = Δᵀ1 and
/// Δ_prev = (Δ W) ⊙ σ'(Z) backward (row axpys) — every inner loop contiguous, so the compiler vectorises
/// it. (faer's general matmul was 4× slower at these tiny sizes.)
pub fn loss_grad(arch: &Architecture, theta: &[f64], loss: Loss, batch: Batch, grad: Option<&mut [f64]>) -> f64 {
    loss_grad_with(arch, theta, loss, batch, grad, None)
}

/// A per-sample term on the network's outputs (a regulariser of the predictions, like ELR's): given the row
/// and its output logits, its value and gradient with respect to the logits.
pub type OutputTerm<'a> = &'a mut dyn FnMut(usize, &[f64]) -> (f64, Vec<f64>);

/// [`loss_grad`] plus `extra`'s term per sample, averaged over the batch like the data loss.
pub fn loss_grad_with(
    arch: &Architecture,
    theta: &[f64],
    loss: Loss,
    batch: Batch,
    grad: Option<&mut [f64]>,
    extra: Option<OutputTerm>,
) -> f64 {
    loss_grad_in(&mut Workspace::default(), arch, theta, loss, batch, grad, extra)
}

/// The buffers of a batched pass (the layers' activations, the deltas), kept between calls so that a
/// training step allocates nothing: in wasm, allocation and freeing were a quarter of a small net's step.
#[derive(Debug, Default)]
pub struct Workspace {
    layers: Vec<(usize, usize, usize, usize)>,
    /// Activations per layer, batch rows × width (acts[0] the inputs; the last the network's outputs).
    acts: Vec<Vec<f64>>,
    delta: Vec<f64>,
    prev: Vec<f64>,
    /// A layer's Wᵀ (in × out), for the forward pass's blocks of four outputs.
    wt: Vec<f64>,
}

impl Workspace {
    /// The network's outputs (rows × outputs) for the rows of the last pass.
    pub fn outputs(&self) -> &[f64] {
        self.acts.last().map_or(&[], Vec::as_slice)
    }
}

/// [`loss_grad_with`] in `ws`'s buffers; afterwards [`Workspace::outputs`] holds the batch's outputs.
pub fn loss_grad_in(
    ws: &mut Workspace,
    arch: &Architecture,
    theta: &[f64],
    loss: Loss,
    batch: Batch,
    grad: Option<&mut [f64]>,
    mut extra: Option<OutputTerm>,
) -> f64 {
    ws.layers.clear();
    let mut off = 0;
    let widths = std::iter::once(arch.inputs).chain(arch.hidden.iter().copied()).chain(std::iter::once(arch.outputs));
    let mut from = arch.inputs;
    for to in widths.skip(1) {
        ws.layers.push((off, off + to * from, from, to));
        off += to * from + to;
        from = to;
    }
    let Workspace { layers, acts, delta, prev, wt } = ws;
    let (p_in, p_out) = (arch.inputs, arch.outputs);
    let b = batch.rows.len();
    let n_layers = layers.len();
    acts.resize_with(n_layers + 1, Vec::new);
    if b == 0 {
        acts.iter_mut().for_each(Vec::clear);
        if let Some(g) = grad {
            g.iter_mut().for_each(|v| *v = 0.0);
        }
        return 0.0;
    }
    acts[0].clear();
    for &r in batch.rows {
        acts[0].extend_from_slice(&batch.x[r * p_in..(r + 1) * p_in]);
    }
    for (l, &(w, bo, i, o)) in layers.iter().enumerate() {
        let weights = &theta[w..w + o * i];
        let bias = &theta[bo..bo + o];
        let act = if l + 1 == n_layers { Activation::Linear } else { arch.activation(l) };
        let (done, rest) = acts.split_at_mut(l + 1);
        let z = &mut rest[0];
        z.clear();
        z.resize(b * o, 0.0);
        dense_forward(&done[l], weights, bias, i, o, wt, z);
        act.apply(z);
    }
    let out = &acts[n_layers];
    let scale = 1.0 / b as f64;
    let mut total = 0.0;
    delta.clear();
    delta.resize(b * p_out, 0.0);
    for (k, &r) in batch.rows.iter().enumerate() {
        let y = if batch.y.is_empty() { &[][..] } else { &batch.y[r * p_out..(r + 1) * p_out] };
        let logits = &out[k * p_out..(k + 1) * p_out];
        let dk = &mut delta[k * p_out..(k + 1) * p_out];
        if loss == Loss::Mse && y.len() == p_out {
            // ½‖o − y‖² and its gradient o − y, without output_grad's vectors.
            let mut sq = 0.0;
            for ((t, o), y) in dk.iter_mut().zip(logits).zip(y) {
                let d = o - y;
                sq += d * d;
                *t = d * scale;
            }
            total += 0.5 * sq;
        } else {
            let class = batch.class.get(r).copied().unwrap_or(0);
            let (l, d, _, _) = output_grad(loss, logits, y, class);
            total += l;
            dk.iter_mut().zip(d).for_each(|(t, v)| *t = v * scale);
        }
        if let Some(term) = extra.as_mut() {
            let (l2, d2) = term(r, logits);
            total += l2;
            dk.iter_mut().zip(d2).for_each(|(t, v)| *t += v * scale);
        }
    }
    let Some(g) = grad else { return total * scale };
    for (l, &(w, bo, i, o)) in layers.iter().enumerate().rev() {
        dense_weight_grad(delta, &acts[l], i, o, &mut g[w..w + o * i]);
        let gb = &mut g[bo..bo + o];
        gb.iter_mut().for_each(|v| *v = 0.0);
        for row in delta.chunks_exact(o) {
            gb.iter_mut().zip(row).for_each(|(gb, d)| *gb += d);
        }
        if l > 0 {
            prev.clear();
            prev.resize(b * i, 0.0);
            dense_backward(delta, &theta[w..w + o * i], i, o, prev);
            let act = arch.activation(l - 1);
            prev.iter_mut().zip(&acts[l]).for_each(|(d, &a)| *d *= act.derivative_from_value(a));
            std::mem::swap(delta, prev);
        }
    }
    total * scale
}

/// Z = A Wᵀ + 1bᵀ for A (rows × i) and W (o × i). Outputs in blocks of four, each block's sums held in
/// registers over the inputs (from Wᵀ, transposed into `wt` once per call): at Playground's sizes (i, o ≤ 8)
/// one dot product per output spent more on its set-up than on its multiply-adds. The rest of the outputs
/// (o mod 4) by dot products.
fn dense_forward(a: &[f64], w: &[f64], bias: &[f64], i: usize, o: usize, wt: &mut Vec<f64>, z: &mut [f64]) {
    use crate::cpu::fused::dot4;
    let blocked = o / 4 * 4;
    if blocked > 0 {
        wt.clear();
        wt.resize(i * o, 0.0);
        for (k, wr) in w.chunks_exact(i).enumerate() {
            for (c, &v) in wr.iter().enumerate() {
                wt[c * o + k] = v;
            }
        }
    }
    for (ar, zr) in a.chunks_exact(i).zip(z.chunks_exact_mut(o)) {
        for k in (0..blocked).step_by(4) {
            let mut acc = [bias[k], bias[k + 1], bias[k + 2], bias[k + 3]];
            for (&x, wc) in ar.iter().zip(wt.chunks_exact(o)) {
                let wc = &wc[k..k + 4];
                for j in 0..4 {
                    acc[j] += x * wc[j];
                }
            }
            zr[k..k + 4].copy_from_slice(&acc);
        }
        for k in blocked..o {
            zr[k] = dot4(ar, &w[k * i..(k + 1) * i]) + bias[k];
        }
    }
}

/// ∇W = Δᵀ A (o × i) for Δ (rows × o) and A (rows × i): each block of four inputs summed over the rows in
/// registers (rows in order, as a row-by-row accumulation would), the rest of the inputs one by one.
fn dense_weight_grad(delta: &[f64], a: &[f64], i: usize, o: usize, gw: &mut [f64]) {
    let blocked = i / 4 * 4;
    for (k, gr) in gw.chunks_exact_mut(i).enumerate() {
        for c in (0..blocked).step_by(4) {
            let mut acc = [0.0; 4];
            for (d, ar) in delta.chunks_exact(o).zip(a.chunks_exact(i)) {
                let (x, ar) = (d[k], &ar[c..c + 4]);
                for j in 0..4 {
                    acc[j] += x * ar[j];
                }
            }
            gr[c..c + 4].copy_from_slice(&acc);
        }
        for c in blocked..i {
            let mut acc = 0.0;
            for (d, ar) in delta.chunks_exact(o).zip(a.chunks_exact(i)) {
                acc += d[k] * ar[c];
            }
            gr[c] = acc;
        }
    }
}

/// Δ_prev = Δ W (rows × i) for Δ (rows × o) and W (o × i), before the activation's derivative: blocks of
/// four inputs summed over the outputs in registers (outputs in order), the rest one by one.
fn dense_backward(delta: &[f64], w: &[f64], i: usize, o: usize, prev: &mut [f64]) {
    let blocked = i / 4 * 4;
    for (d, pr) in delta.chunks_exact(o).zip(prev.chunks_exact_mut(i)) {
        for c in (0..blocked).step_by(4) {
            let mut acc = [0.0; 4];
            for (&x, wr) in d.iter().zip(w.chunks_exact(i)) {
                let wr = &wr[c..c + 4];
                for j in 0..4 {
                    acc[j] += x * wr[j];
                }
            }
            pr[c..c + 4].copy_from_slice(&acc);
        }
        for c in blocked..i {
            let mut acc = 0.0;
            for (&x, wr) in d.iter().zip(w.chunks_exact(i)) {
                acc += x * wr[c];
            }
            pr[c] = acc;
        }
    }
}

/// The exact Hessian-vector product H·v of the mean data loss (Pearlmutter 1994: the R-operator applied to
/// the forward and backward passes).
pub fn hvp(arch: &Architecture, theta: &[f64], loss: Loss, batch: Batch, v: &[f64]) -> Vec<f64> {
    let layers = arch.layers();
    let (p_in, p_out) = (arch.inputs, arch.outputs);
    let scale = 1.0 / batch.rows.len().max(1) as f64;
    let mut hv = vec![0.0; theta.len()];
    let n_layers = layers.len();
    let act_of = |l: usize| if l + 1 == n_layers { Activation::Linear } else { arch.activation(l) };
    for &r in batch.rows {
        let input = &batch.x[r * p_in..(r + 1) * p_in];
        // Forward and R-forward: R{a_0} = 0; R{z_l} = V_l a_{l−1} + W_l R{a_{l−1}} + Vb_l; R{a_l} = σ'(z_l) R{z_l}.
        let mut a = vec![input.to_vec()];
        let mut ra = vec![vec![0.0; p_in]];
        let mut z = Vec::new();
        let mut rz = Vec::new();
        for (l, &(w, b, i, o)) in layers.iter().enumerate() {
            let (prev, rprev) = (&a[l], &ra[l]);
            let mut zl = vec![0.0; o];
            let mut rzl = vec![0.0; o];
            for row in 0..o {
                let (wr, vr) = (&theta[w + row * i..w + (row + 1) * i], &v[w + row * i..w + (row + 1) * i]);
                zl[row] = theta[b + row] + wr.iter().zip(prev).map(|(x, y)| x * y).sum::<f64>();
                rzl[row] = v[b + row]
                    + vr.iter().zip(prev).map(|(x, y)| x * y).sum::<f64>()
                    + wr.iter().zip(rprev).map(|(x, y)| x * y).sum::<f64>();
            }
            let act = act_of(l);
            a.push(zl.iter().map(|&t| act.eval(t).0).collect());
            ra.push(zl.iter().zip(&rzl).map(|(&t, &rt)| act.eval(t).1 * rt).collect());
            z.push(zl);
            rz.push(rzl);
        }
        let o = a.last().expect("output");
        let ro = ra.last().expect("output");
        let y = if batch.y.is_empty() { &[][..] } else { &batch.y[r * p_out..(r + 1) * p_out] };
        let class = batch.class.get(r).copied().unwrap_or(0);
        let (_, mut delta, p, mass) = output_grad(loss, o, y, class);
        // R{δ_L} = ∇²ℓ(o) R{o}: I for MSE, diag(p) − ppᵀ for softmax cross-entropy.
        let mut rdelta: Vec<f64> = match loss {
            Loss::Mse => ro.clone(),
            Loss::Xent => {
                // (Σq)(diag p − ppᵀ) r.
                let pr: f64 = p.iter().zip(ro).map(|(a, b)| a * b).sum();
                p.iter().zip(ro).map(|(pk, rk)| mass * pk * (rk - pr)).collect()
            }
        };
        for (layer, &(w, b, i, o_n)) in layers.iter().enumerate().rev() {
            let (prev, rprev) = (&a[layer], &ra[layer]);
            // R{∇W} = R{δ} aᵀ + δ R{a}ᵀ, R{∇b} = R{δ}.
            for row in 0..o_n {
                hv[b + row] += rdelta[row] * scale;
                for c in 0..i {
                    hv[w + row * i + c] += (rdelta[row] * prev[c] + delta[row] * rprev[c]) * scale;
                }
            }
            if layer > 0 {
                let act = act_of(layer - 1);
                let mut nd = vec![0.0; i];
                let mut nrd = vec![0.0; i];
                for c in 0..i {
                    let (wtd, vtd, wtrd) = (0..o_n).fold((0.0, 0.0, 0.0), |(x, y, q), row| {
                        let (wv, vv) = (theta[w + row * i + c], v[w + row * i + c]);
                        (x + wv * delta[row], y + vv * delta[row], q + wv * rdelta[row])
                    });
                    let (_, d1, d2) = act.eval(z[layer - 1][c]);
                    nd[c] = d1 * wtd;
                    // R{δ_{l−1}} = σ''(z) R{z} ⊙ Wᵀδ + σ'(z) ⊙ (Vᵀδ + Wᵀ R{δ}).
                    nrd[c] = d2 * rz[layer - 1][c] * wtd + d1 * (vtd + wtrd);
                }
                delta = nd;
                rdelta = nrd;
            }
        }
    }
    hv
}

/// Output of the network for one input.
pub fn predict(arch: &Architecture, theta: &[f64], input: &[f64]) -> Vec<f64> {
    forward(arch, theta, input).1.pop().expect("output layer")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setup(loss: Loss, act: Activation) -> (Architecture, Vec<f64>, Vec<f64>, Vec<f64>, Vec<usize>) {
        let outputs = if loss == Loss::Xent { 3 } else { 2 };
        let arch = Architecture::new(3, vec![5, 4], outputs, act).unwrap();
        let theta = arch.init(3);
        let mut rng = SplitMix64::new(9);
        let n = 7;
        let x: Vec<f64> = (0..n * 3).map(|_| rng.normal()).collect();
        let y: Vec<f64> = (0..n * outputs).map(|_| rng.normal()).collect();
        let class: Vec<usize> = (0..n).map(|i| i % 3).collect();
        (arch, theta, x, y, class)
    }

    #[test]
    fn the_gradient_matches_finite_differences() {
        for loss in Loss::ALL {
            for act in [Activation::Tanh, Activation::Sigmoid, Activation::Linear] {
                let (arch, theta, x, y, class) = setup(loss, act);
                let rows: Vec<usize> = (0..7).collect();
                let batch = Batch { x: &x, y: &y, class: &class, rows: &rows };
                let mut g = vec![0.0; theta.len()];
                loss_grad(&arch, &theta, loss, batch, Some(&mut g));
                let h = 1e-6;
                for k in 0..theta.len() {
                    let (mut p, mut m) = (theta.clone(), theta.clone());
                    p[k] += h;
                    m[k] -= h;
                    let fd =
                        (loss_grad(&arch, &p, loss, batch, None) - loss_grad(&arch, &m, loss, batch, None)) / (2.0 * h);
                    // Central differences: O(h²) truncation + O(ε/h) rounding ≈ 1e-9 here.
                    assert!((g[k] - fd).abs() < 1e-7 * (1.0 + fd.abs()), "{loss} {act} θ[{k}]: {} vs {fd}", g[k]);
                }
            }
        }
    }

    #[test]
    fn the_exact_hvp_matches_finite_differences_of_the_gradient() {
        for loss in Loss::ALL {
            for act in [Activation::Tanh, Activation::Sigmoid, Activation::Relu] {
                let (arch, theta, x, y, class) = setup(loss, act);
                let rows: Vec<usize> = (0..7).collect();
                let batch = Batch { x: &x, y: &y, class: &class, rows: &rows };
                let mut rng = SplitMix64::new(4);
                let v: Vec<f64> = (0..theta.len()).map(|_| rng.normal()).collect();
                let hv = hvp(&arch, &theta, loss, batch, &v);
                let h = 1e-5;
                let grad_at = |t: &[f64]| {
                    let mut g = vec![0.0; t.len()];
                    loss_grad(&arch, t, loss, batch, Some(&mut g));
                    g
                };
                let p: Vec<f64> = theta.iter().zip(&v).map(|(a, b)| a + h * b).collect();
                let m: Vec<f64> = theta.iter().zip(&v).map(|(a, b)| a - h * b).collect();
                let (gp, gm) = (grad_at(&p), grad_at(&m));
                for k in 0..theta.len() {
                    let fd = (gp[k] - gm[k]) / (2.0 * h);
                    // ReLU's kinks are met with probability 0 at these random points.
                    assert!((hv[k] - fd).abs() < 1e-6 * (1.0 + fd.abs()), "{loss} {act} (Hv)[{k}]: {} vs {fd}", hv[k]);
                }
            }
        }
    }

    #[test]
    fn bad_architectures_are_typed_errors() {
        assert!(Architecture::new(0, vec![4], 1, Activation::Tanh).is_err());
        assert!(Architecture::new(2, vec![4, 0], 1, Activation::Tanh).is_err());
        assert!(Architecture::new(2, vec![4; 17], 1, Activation::Tanh).is_err());
        let arch = Architecture::new(2, vec![32, 32], 1, Activation::Tanh).unwrap();
        assert_eq!(arch.params(), 2 * 32 + 32 + 32 * 32 + 32 + 32 + 1);
    }
}
