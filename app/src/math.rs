//! The update and stopping rules of each lab as display equations in MathML, which the browser typesets
//! itself (MathML Core): no script, no web font, nothing fetched. The markup is ours (constants below), never
//! a person's input, so it is set as inner HTML.

use leptos::prelude::*;

/// One display equation: what it is, and its MathML (the content of `<math display="block">`).
pub struct Equation {
    pub what: &'static str,
    pub mathml: &'static str,
}

/// The equations under a lab's explanation (`id` on the block; each `<math>` inside it).
#[component]
pub fn Equations(id: &'static str, equations: &'static [Equation]) -> impl IntoView {
    view! {
        <div class="equations" id=id role="group" aria-label="Update and stopping rules">
            {equations.iter().map(|e| view! {
                <div class="equation">
                    <span class="what">{e.what}</span>
                    <div inner_html=format!("<math display=\"block\">{}</math>", e.mathml)></div>
                </div>
            }).collect_view()}
        </div>
    }
}

// Small pieces, spelled out: <mi> identifiers, <mo> operators, <msub>/<msup>/<mfrac>/<munder>.

pub const KERNELS: &[Equation] = &[
    Equation {
        what: "One log-sum-exp per column (f32 on the GPU, f64 on the CPU):",
        mathml: "<msub><mi>y</mi><mi>j</mi></msub><mo>=</mo><msub><mi>m</mi><mi>j</mi></msub><mo>+</mo><mi>log</mi><munder><mo>∑</mo><mi>i</mi></munder><mi>exp</mi><mo>(</mo><msub><mi>X</mi><mrow><mi>i</mi><mi>j</mi></mrow></msub><mo>−</mo><msub><mi>m</mi><mi>j</mi></msub><mo>)</mo><mo>,</mo><mspace width=\"1em\"></mspace><msub><mi>m</mi><mi>j</mi></msub><mo>=</mo><munder><mi>max</mi><mi>i</mi></munder><msub><mi>X</mi><mrow><mi>i</mi><mi>j</mi></mrow></msub>",
    },
    Equation {
        what: "A trial passes when every result is within the stated f32 bound:",
        mathml: "<mo>|</mo><msubsup><mi>y</mi><mi>j</mi><mtext>GPU</mtext></msubsup><mo>−</mo><msubsup><mi>y</mi><mi>j</mi><mtext>CPU</mtext></msubsup><mo>|</mo><mo>≤</mo><msub><mi>τ</mi><mi>j</mi></msub>",
    },
];

pub const OT: &[Equation] = &[
    Equation {
        what: "Log-domain Sinkhorn (g likewise, with b and the columns):",
        mathml: "<msub><mi>f</mi><mi>i</mi></msub><mo>←</mo><mi>ε</mi><mi>log</mi><msub><mi>a</mi><mi>i</mi></msub><mo>−</mo><mi>ε</mi><munder><mi>LSE</mi><mi>j</mi></munder><mo>(</mo><mfrac><mrow><msub><mi>g</mi><mi>j</mi></msub><mo>−</mo><msub><mi>C</mi><mrow><mi>i</mi><mi>j</mi></mrow></msub></mrow><mi>ε</mi></mfrac><mo>)</mo>",
    },
    Equation {
        what: "SNS: a Newton step on the sparsified Hessian H̃, step α halved until Armijo holds:",
        mathml: "<mover><mi>H</mi><mo>~</mo></mover><mi>Δ</mi><mo>=</mo><mo>−</mo><mo>∇</mo><mi>F</mi><mo>,</mo><mspace width=\"1em\"></mspace><mo>(</mo><mi>f</mi><mo>,</mo><mi>g</mi><mo>)</mo><mo>←</mo><mo>(</mo><mi>f</mi><mo>,</mo><mi>g</mi><mo>)</mo><mo>+</mo><mi>α</mi><mi>Δ</mi>",
    },
    Equation {
        what: "Stop when the marginals are met:",
        mathml: "<msub><mrow><mo>‖</mo><mi>P</mi><mn>1</mn><mo>−</mo><mi>a</mi><mo>‖</mo></mrow><mn>1</mn></msub><mo>+</mo><msub><mrow><mo>‖</mo><msup><mi>P</mi><mo>⊤</mo></msup><mn>1</mn><mo>−</mo><mi>b</mi><mo>‖</mo></mrow><mn>1</mn></msub><mo>≤</mo><mi>tol</mi>",
    },
];

pub const SKETCH: &[Equation] = &[
    Equation {
        what: "Sketch-and-solve, against the exact least-squares x*:",
        mathml: "<msup><mi>x</mi><mo>′</mo></msup><mo>=</mo><munder><mi>argmin</mi><mi>x</mi></munder><msub><mrow><mo>‖</mo><mi>S</mi><mo>(</mo><mi>A</mi><mi>x</mi><mo>−</mo><mi>b</mi><mo>)</mo><mo>‖</mo></mrow><mn>2</mn></msub>",
    },
    Equation {
        what: "The errors each trial records:",
        mathml: "<msub><mi>ε</mi><mn>2</mn></msub><mo>=</mo><mfrac><msub><mrow><mo>‖</mo><mi>A</mi><mo>(</mo><msup><mi>x</mi><mo>′</mo></msup><mo>−</mo><msup><mi>x</mi><mo>*</mo></msup><mo>)</mo><mo>‖</mo></mrow><mn>2</mn></msub><msub><mrow><mo>‖</mo><mi>A</mi><msup><mi>x</mi><mo>*</mo></msup><mo>−</mo><mi>b</mi><mo>‖</mo></mrow><mn>2</mn></msub></mfrac><mo>,</mo><mspace width=\"1em\"></mspace><msub><mi>ε</mi><mi>∞</mi></msub><mo>=</mo><mfrac><mrow><msqrt><mi>d</mi></msqrt><msub><mrow><mo>‖</mo><msup><mi>x</mi><mo>′</mo></msup><mo>−</mo><msup><mi>x</mi><mo>*</mo></msup><mo>‖</mo></mrow><mi>∞</mi></msub></mrow><mrow><msub><mrow><mo>‖</mo><mi>A</mi><msup><mi>x</mi><mo>*</mo></msup><mo>−</mo><mi>b</mi><mo>‖</mo></mrow><mn>2</mn></msub><msub><mrow><mo>‖</mo><msup><mi>A</mi><mo>†</mo></msup><mo>‖</mo></mrow><mn>2</mn></msub></mrow></mfrac>",
    },
    Equation {
        what: "Sketch-and-precondition: QR of the sketch, then LSQR on the preconditioned A until its stopping test:",
        mathml: "<mi>S</mi><mi>A</mi><mo>=</mo><mi>Q</mi><mi>R</mi><mo>,</mo><mspace width=\"1em\"></mspace><munder><mi>min</mi><mi>z</mi></munder><msub><mrow><mo>‖</mo><mi>A</mi><msup><mi>R</mi><mrow><mo>−</mo><mn>1</mn></mrow></msup><mi>z</mi><mo>−</mo><mi>b</mi><mo>‖</mo></mrow><mn>2</mn></msub><mo>,</mo><mspace width=\"1em\"></mspace><mi>x</mi><mo>=</mo><msup><mi>R</mi><mrow><mo>−</mo><mn>1</mn></mrow></msup><mi>z</mi>",
    },
];

pub const NUCLEAR: &[Equation] = &[Equation {
    what: "The proxy against the nuclear norm, both over N (R̂: columns centred, rows scaled to unit length; the top column norms):",
    mathml: "<mi>MNN</mi><mo>=</mo><mfrac><mn>1</mn><mi>N</mi></mfrac><munderover><mo>∑</mo><mrow><mi>j</mi><mo>=</mo><mn>1</mn></mrow><mrow><mi>min</mi><mo>(</mo><mi>N</mi><mo>,</mo><mi>d</mi><mo>)</mo></mrow></munderover><msub><mrow><mo>‖</mo><msub><mover><mi>R</mi><mo>^</mo></mover><mrow><mo>:</mo><mo>,</mo><mo>(</mo><mi>j</mi><mo>)</mo></mrow></msub><mo>‖</mo></mrow><mn>2</mn></msub><mspace width=\"1em\"></mspace><mtext>vs</mtext><mspace width=\"1em\"></mspace><mfrac><mn>1</mn><mi>N</mi></mfrac><msub><mrow><mo>‖</mo><mover><mi>R</mi><mo>^</mo></mover><mo>‖</mo></mrow><mo>*</mo></msub><mo>=</mo><mfrac><mn>1</mn><mi>N</mi></mfrac><munder><mo>∑</mo><mi>k</mi></munder><msub><mi>σ</mi><mi>k</mi></msub>",
}];

pub const TRAIN: &[Equation] = &[
    Equation {
        what: "Mini-batch gradient descent (momentum and Adam change the step, not the idea):",
        mathml: "<mi>θ</mi><mo>←</mo><mi>θ</mi><mo>−</mo><mi>η</mi><mo>∇</mo><msub><mi>L</mi><mi>B</mi></msub><mo>(</mo><mi>θ</mi><mo>)</mo>",
    },
    Equation {
        what: "Stable only below the edge (full batch; mini-batch B: tr H / B + (1 − 1/B) λmax ≤ 2/η); the run stops after its epochs, or when the loss diverges:",
        mathml: "<msub><mi>λ</mi><mi>max</mi></msub><mo>(</mo><msup><mo>∇</mo><mn>2</mn></msup><mi>L</mi><mo>)</mo><mo>≤</mo><mfrac><mn>2</mn><mi>η</mi></mfrac>",
    },
];

pub const STUDENT_TEACHER: &[Equation] = &[
    Equation {
        what: "Gradient flow from w = 0 to t = T (the run's stopping time):",
        mathml: "<mfrac><mrow><mi>d</mi><mi>w</mi></mrow><mrow><mi>d</mi><mi>t</mi></mrow></mfrac><mo>=</mo><msup><mi>X</mi><mo>⊤</mo></msup><mo>(</mo><mi>y</mi><mo>−</mo><mi>X</mi><mi>w</mi><mo>)</mo><mo>,</mo><mspace width=\"1em\"></mspace><msub><mi>E</mi><mi>g</mi></msub><mo>=</mo><mfrac><mrow><msup><mrow><mo>‖</mo><mi>w</mi><mo>−</mo><mover><mi>w</mi><mo>¯</mo></mover><mo>‖</mo></mrow><mn>2</mn></msup></mrow><mi>N</mi></mfrac><mo>+</mo><msubsup><mi>σ</mi><mi>ε</mi><mn>2</mn></msubsup>",
    },
    Equation {
        what: "Theory (Advani & Saxe 2017), ρ the Marchenko–Pastur density with edges (1 ± √α)²:",
        mathml: "<msub><mi>E</mi><mi>g</mi></msub><mo>(</mo><mi>t</mi><mo>)</mo><mo>=</mo><mo>∫</mo><mi>ρ</mi><mo>(</mo><mi>λ</mi><mo>)</mo><mo>[</mo><msubsup><mi>σ</mi><mover><mi>w</mi><mo>¯</mo></mover><mn>2</mn></msubsup><msup><mi>e</mi><mrow><mo>−</mo><mn>2</mn><mi>λ</mi><mi>t</mi></mrow></msup><mo>+</mo><mfrac><msubsup><mi>σ</mi><mi>ε</mi><mn>2</mn></msubsup><mi>λ</mi></mfrac><msup><mrow><mo>(</mo><mn>1</mn><mo>−</mo><msup><mi>e</mi><mrow><mo>−</mo><mi>λ</mi><mi>t</mi></mrow></msup><mo>)</mo></mrow><mn>2</mn></msup><mo>]</mo><mi>d</mi><mi>λ</mi><mo>+</mo><msubsup><mi>σ</mi><mi>ε</mi><mn>2</mn></msubsup>",
    },
];

/// What each knob of a panel does: (the knob's label, what it changes).
pub type Knobs = &'static [(&'static str, &'static str)];

/// A lab's "What each knob does" list (collapsed by default; `id` on the `<details>`).
#[component]
pub fn KnobHelp(id: &'static str, knobs: Knobs) -> impl IntoView {
    view! {
        <details class="knobs" id=id>
            <summary>"What each knob does"</summary>
            <dl>
                {knobs.iter().map(|(k, v)| view! { <dt>{*k}</dt><dd>{*v}</dd> }).collect_view()}
            </dl>
        </details>
    }
}

pub const KERNELS_KNOBS: Knobs = &[
    ("rows, cols", "The matrix X reduced, filled from the seed; rows × cols up to 2²⁴."),
    ("operation", "sum, max, or log-sum-exp (the Sinkhorn half-step's reduction)."),
    ("one result per", "Reduce along each row (one result per row) or down each column."),
    ("trials", "How many fresh matrices are checked; each is one point on the charts."),
    ("seed", "The random matrices; the same seed gives the same numbers on every backend."),
    ("backend", "auto/GPU runs the WGSL kernel beside its CPU twin; CPU runs the twin alone."),
];

pub const OT_KNOBS: Knobs = &[
    ("problem", "Random assignment (C ~ U[0,1]), 2-D point clouds, or 28×28 digit images as grid densities."),
    ("n, m", "Points (or cells) of the source and the target."),
    ("seed", "The random problem; the same seed draws the same points."),
    ("ground cost", "C_ij = ‖x_i − y_j‖² or ‖x_i − y_j‖."),
    ("normalise C", "Divide C by its largest entry, so ε is relative to the cost's scale."),
    ("ε", "Entropic regularisation: smaller is closer to exact OT, slower for Sinkhorn, and underflows kernel mode."),
    ("method", "Kernel Sinkhorn, log-domain Sinkhorn, SNS, or compare (log-domain Sinkhorn and SNS side by side)."),
    ("N1", "Sinkhorn steps SNS takes before its Newton steps."),
    ("kept density λ", "Fraction of P's entries SNS keeps in its sparsified Hessian (empty: automatic — the 10 largest per row, doubled until they hold 99 % of P's mass)."),
    ("tolerance", "Stop when the ℓ1 marginal error falls below it; a new value applies to the running solver."),
    ("max iterations", "Stop after this many iterations (the frame says MaxIterations)."),
    ("ε-scaling", "Anneal ε from max C down to the chosen ε, halving per stage (CPU)."),
    ("backend", "auto runs log-domain Sinkhorn on the GPU (f32); SNS's dense passes too when tol ≥ 1e-6 (its CG stays on the CPU in f64), else SNS all in f64 on the CPU; kernel Sinkhorn on the CPU. gpu forces the GPU (stopping at f32's floor); CPU runs all in f64."),
    ("source / target CSV", "Your own clouds: x,y[,…] per line, an optional header naming a weight column."),
];

pub const SKETCH_KNOBS: Knobs = &[
    ("design", "The regression problem: incoherent Gaussian A, A = [I; 0], [I; 0] with a spiky residual, heavy-tailed rows."),
    ("n, d", "Rows and columns of A."),
    ("m", "The largest sketch size: the page sweeps 2d, 4d, … up to it; the table shows this m."),
    ("sketches", "Which random S to compare: Gaussian, Rademacher, SRHT, CountSketch, OSNAP."),
    ("s", "OSNAP's nonzeros per column of S (s = 1 is CountSketch-like; larger behaves dense)."),
    ("trials", "Independent sketches per (sketch, m); the bands are their p10–p90."),
    ("seed", "The design and every sketch; the same seed gives the same trials on CPU and GPU."),
    ("solver", "Sketch-and-solve (x′ from the sketched problem) or sketch-and-precondition (LSQR to x*)."),
    ("backend", "auto applies S on the GPU (f32) and solves on the CPU (f64); CPU does both in f64."),
    ("your A, your b", "CSV files (one row per line) replacing the design."),
];

pub const NUCLEAR_KNOBS: Knobs = &[
    ("N, d", "Rows (samples) and columns (features) of your matrix X."),
    ("rank of the low-rank part", "The rank of L in X = (1 − c)G + c·L."),
    ("collapse c", "0: i.i.d. Gaussian rows; 1: the low-rank part only (a collapsed representation)."),
];

pub const TRAIN_KNOBS: Knobs = &[
    ("dataset", "Playground's circle, xor, gauss, spiral; plane and multigauss (regression); a teacher net; 8×8 digits."),
    ("points, noise", "How many points are drawn and the noise added to them."),
    ("train ratio", "The share of points used for training; the rest is the test set."),
    ("label noise", "The share of training labels flipped to another class."),
    ("features", "Inputs computed from (x, y): x, y, x², y², xy, sin x, sin y."),
    ("hidden layers", "Widths, optionally with an activation each: 8,8 or 8:relu,4:tanh."),
    ("activation, loss", "The hidden layers' nonlinearity; ½·MSE or softmax cross-entropy."),
    ("optimizer, learning rate, schedule", "SGD, momentum or Adam; η; constant, step or cosine decay."),
    ("batch, epochs", "Mini-batch size (0: full batch, gradient descent) and passes over the data."),
    ("regularization, reg. rate", "L1 or L2 on the weights and its strength."),
    ("label smoothing α", "Targets (1 − α)·y + α/K."),
    ("Hessian every", "Measure sharpness and trace every so many steps (0: only at the end)."),
    ("seed", "Data, initial weights and batches."),
    ("backend", "auto trains on the GPU (f32) when it can; CPU trains in f64. Hessians are measured in f64."),
    ("your data", "A CSV with the inputs first and the target last (a class number or a value)."),
];

pub const STUDENT_TEACHER_KNOBS: Knobs = &[
    ("show", "One run's error over time, or the sweep over α."),
    ("α = P/N", "Samples per input: the overtraining peak sits at α = 1."),
    ("SNR", "Signal-to-noise ratio: label noise σ_ε² = 1/SNR."),
    ("inputs N", "The problem's size (the theory is N → ∞)."),
    ("time T", "How long the gradient flow runs (the stopping time)."),
    ("seed", "X, the teacher and the noise."),
];

pub const DOUBLE_DESCENT_KNOBS: Knobs = &[
    ("samples n", "Training points; the model has p = γn features."),
    ("noise σ², signal r²", "Label noise variance and ‖β‖²."),
    ("γ max", "The sweep's largest p/n (the peak is at γ = 1)."),
    ("trials per γ", "Independent draws averaged at each γ."),
    ("seed", "The draws."),
];

pub const NOISY_LABELS_KNOBS: Knobs = &[
    ("label noise rate, noise", "The share of training labels flipped, symmetric (any other class) or asymmetric (c → c + 1)."),
    ("forward correction T", "Off, the true transition matrix, or one estimated after the warm-up."),
    ("warm-up epochs", "Epochs of plain cross-entropy before T is estimated."),
    ("class spread σ, points", "The 4-class 20-d Gaussian mixture: the classes' spread and how many points."),
    ("hidden units, epochs", "The 20-h-4 ReLU network and how long it trains (Adam)."),
    ("ELR β, ELR λ", "The running average's momentum of the targets t and the penalty's weight."),
    ("seed", "Data, noise and initial weights (shared by the runs compared)."),
];

pub const PSKD_KNOBS: Knobs = &[
    ("PS-KD α_T", "The final weight of the previous epoch's predictions in the target (α_t = α_T·t/T)."),
    ("label smoothing α", "The label-smoothing run's α, for comparison."),
    ("train ratio, hidden units, epochs", "The digits split, the 64-h-10 network, and how long it trains."),
    ("seed", "Split and initial weights (shared by the three runs)."),
];

pub const CONTINUAL_KNOBS: Knobs = &[
    ("λ values", "The Fisher penalty's weights to compare (λ = 0: plain fine-tuning on B)."),
    ("epochs on A, epochs on B", "Training on the circle, then on xor."),
    ("learning rate, momentum", "SGD's step and momentum 0.9 on or off."),
    ("LoRA rank", "Train B through rank-r adapters with the penalty on their update (0: off)."),
    ("input scale", "Both tasks' coordinates (Playground's ±5) are multiplied by it: 0.2 puts them in [−1, 1]."),
    ("draws", "Independent draws of data, initial weights and batch order; the chart and table show their means."),
    ("seed", "The first draw's data and initial weights (draw s uses seed + s)."),
];

pub const EPOCH_WISE_KNOBS: Knobs = &[
    ("label noise", "The chance that a training label is flipped (test labels stay clean)."),
    ("nuisance categories K", "The one-hot category's size: each category is seen ~n/K times, so its fitted mean is mostly noise (0: no nuisance inputs)."),
    ("slow scale", "The size of the two informative slow inputs: learning speed goes with its square (0: the slow signal is hidden)."),
    ("hidden layers, learning rate", "The MLP (momentum 0.9, full batch, ½·MSE, L2 10⁻³) and its step."),
    ("epochs", "How long each run trains; evaluations are log-spaced up to it."),
    ("draws", "Independent draws (data and initial weights) averaged; the band spans them."),
    ("control", "Also train each draw without label noise."),
    ("seed", "The first draw (draw s uses seed + s)."),
];

pub const EPOCH_WISE: &[Equation] = &[
    Equation {
        what: "The data: a fast feature a, a nuisance category c (no label information) and two small slow inputs g; clean label",
        mathml: "<mi>x</mi><mo>=</mo><mo>(</mo><msub><mi>s</mi><mi>f</mi></msub><mi>a</mi><mo>,</mo><msub><mi>s</mi><mi>f</mi></msub><msub><mi>e</mi><mi>c</mi></msub><mo>,</mo><msub><mi>s</mi><mi>s</mi></msub><mi>g</mi><mo>)</mo><mo>,</mo><mspace width=\"1em\"></mspace><mi>y</mi><mo>=</mo><mi>sign</mi><mo>(</mo><msub><mi>w</mi><mi>f</mi></msub><mi>a</mi><mo>+</mo><mfrac><mrow><msub><mi>g</mi><mn>1</mn></msub><mo>+</mo><msub><mi>g</mi><mn>2</mn></msub></mrow><msqrt><mn>2</mn></msqrt></mfrac><mo>)</mo>",
    },
    Equation {
        what: "Heavy-ball momentum on the full batch until the last epoch (the runs do not stop early: the curve is the point):",
        mathml: "<mi>v</mi><mo>←</mo><mn>0.9</mn><mi>v</mi><mo>+</mo><mo>∇</mo><mo>(</mo><mfrac><mn>1</mn><mrow><mn>2</mn><mi>n</mi></mrow></mfrac><munder><mo>∑</mo><mi>i</mi></munder><msup><mrow><mo>(</mo><mi>f</mi><mo>(</mo><msub><mi>x</mi><mi>i</mi></msub><mo>)</mo><mo>−</mo><msub><mi>y</mi><mi>i</mi></msub><mo>)</mo></mrow><mn>2</mn></msup><mo>+</mo><mfrac><mi>μ</mi><mn>2</mn></mfrac><msup><mrow><mo>‖</mo><mi>W</mi><mo>‖</mo></mrow><mn>2</mn></msup><mo>)</mo><mo>,</mo><mspace width=\"1em\"></mspace><mi>θ</mi><mo>←</mo><mi>θ</mi><mo>−</mo><mi>η</mi><mi>v</mi>",
    },
];

pub const QUADRATIC_KNOBS: Knobs = &[
    ("α values", "Samples n = α·d² at each point of the sweep."),
    ("input dimension d, teacher width κ", "The teacher has κd hidden units with activation h²."),
    ("gradient-descent starts, steps per start", "Restarts averaged per α, and their length."),
    ("learning rate, initial scale", "Gradient descent's step and the student's initial weight scale."),
    ("seed", "Data and starts."),
];
