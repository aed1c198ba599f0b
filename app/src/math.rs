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

pub const SPARSE: &[Equation] = &[
    Equation {
        what: "The Lasso (coordinate descent; λ by K-fold cross-validation):",
        mathml: "<mover><mi>w</mi><mo>^</mo></mover><mo>=</mo><munder><mi>argmin</mi><mi>w</mi></munder><mfrac><mn>1</mn><mrow><mn>2</mn><mi>N</mi></mrow></mfrac><msubsup><mrow><mo>‖</mo><mi>y</mi><mo>−</mo><mi>X</mi><mi>w</mi><mo>‖</mo></mrow><mn>2</mn><mn>2</mn></msubsup><mo>+</mo><mi>λ</mi><msub><mrow><mo>‖</mo><mi>w</mi><mo>‖</mo></mrow><mn>1</mn></msub>",
    },
    Equation {
        what: "What the curves show (in-sample prediction error):",
        mathml: "<mfrac><mn>1</mn><mi>N</mi></mfrac><msubsup><mrow><mo>‖</mo><mi>X</mi><mo>(</mo><mover><mi>w</mi><mo>^</mo></mover><mo>−</mo><msup><mi>w</mi><mo>*</mo></msup><mo>)</mo><mo>‖</mo></mrow><mn>2</mn><mn>2</mn></msubsup><mo>,</mo><mspace width=\"1em\"></mspace><msup><mrow><msup><mi>w</mi><mo>*</mo></msup></mrow><mo>⊤</mo></msup><mi>Σ</mi><msup><mi>w</mi><mo>*</mo></msup><mo>=</mo><mn>1</mn>",
    },
    Equation {
        what: "Preconditioned Lasso (ours): the Lasso on (FX, Fy), with",
        mathml: "<mi>X</mi><mo>=</mo><mi>U</mi><mi>D</mi><msup><mi>V</mi><mo>⊤</mo></msup><mo>,</mo><mspace width=\"1em\"></mspace><mi>F</mi><mo>=</mo><mi>U</mi><msup><mi>D</mi><mrow><mo>−</mo><mn>1</mn></mrow></msup><msup><mi>U</mi><mo>⊤</mo></msup>",
    },
];
