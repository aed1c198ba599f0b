//! The generalization page: closed-form theory drawn over simulation and the seed papers' regularizers side
//! by side. Tabs: Advani & Saxe's linear student–teacher (error over time for one α, or the α sweep),
//! double descent of ridgeless regression, epoch-wise double descent of a small MLP, noisy labels
//! (cross-entropy vs ELR vs forward correction), self-distillation (PS-KD), continual learning (EWC) and
//! the quadratic-activation teacher. All run on the CPU in f64 as steppers, a bounded slice of work per
//! animation frame.

mod continual;
mod double_descent;
mod epoch_wise;
mod noisy_labels;
mod pskd;
mod quadratic;
mod student_teacher;

use leptos::prelude::*;
use plotters::prelude::*;

use crate::chart::Series;
use crate::device::Device;
use continual::ContinualTab;
use double_descent::DoubleDescentTab;
use epoch_wise::EpochWiseTab;
use noisy_labels::NoisyLabelsTab;
use pskd::PskdTab;
use quadratic::QuadraticTab;
use student_teacher::StudentTeacherTab;

pub(super) const SIM: RGBColor = RGBColor(40, 110, 200);
pub(super) const THEORY: RGBColor = RGBColor(20, 20, 20);
pub(super) const SIM2: RGBColor = RGBColor(214, 90, 40);
pub(super) const THEORY2: RGBColor = RGBColor(130, 130, 130);

#[derive(Clone, Copy, PartialEq, Eq)]
enum Tab {
    StudentTeacher,
    DoubleDescent,
    EpochWise,
    NoisyLabels,
    Pskd,
    Continual,
    Quadratic,
}

/// The lab's slug in links.
const SLUG: &str = "generalization";

/// The papers' experiments, one click each (docs/methods.md §3).
const PRESETS: &[crate::link::Preset] = &[
    crate::link::Preset { title: "Overtraining peak at α = 1", source: "Advani & Saxe 2017 (SNR 5, N = 400): best early-stopped ≈ 0.57 at t ≈ 3, ≈ 13 at t = 10⁴", query: "tab=student-teacher&config.alpha=1" },
    crate::link::Preset { title: "Long run at α = 2", source: "Advani & Saxe 2017: σ²/(α − 1) + σ² = 0.40", query: "tab=student-teacher&config.alpha=2" },
    crate::link::Preset { title: "The α sweep", source: "Advani & Saxe 2017: the peak at α = 1 and the early-stopping optimum", query: "tab=student-teacher&sweep=true&config.n_inputs=100" },
    crate::link::Preset { title: "Ridgeless double descent", source: "Hastie, Montanari, Rosset & Tibshirani 2019 (isotropic features)", query: "tab=double-descent&n=200&trials=20" },
    crate::link::Preset { title: "Epoch-wise double descent, 15 % label noise", source: "Nakkiran et al. 2020's phenomenon, Heckel & Yilmaz 2021's mechanism: three groups of features learned at three speeds", query: "tab=epoch-wise" },
    crate::link::Preset { title: "Epoch-wise, the slow features hidden", source: "The control for the second descent: without the slow signal the error stays up", query: "tab=epoch-wise&slow_scale=0" },
    crate::link::Preset { title: "ELR vs cross-entropy, 40 % noise", source: "Liu et al. 2020 (docs/methods.md's mixture check): CE 0.73 → 0.53, ELR 0.76–0.82", query: "tab=noisy-labels" },
    crate::link::Preset { title: "Forward correction, asymmetric noise", source: "Patrini et al. 2017: −log (Tᵀp)_ỹ with the true T", query: "tab=noisy-labels&label_noise_kind=asymmetric&forward=given" },
    crate::link::Preset { title: "Self-distillation and calibration", source: "Kim et al. 2021 (PS-KD, α_T = 0.8): ECE and the reliability diagram", query: "tab=pskd" },
    crate::link::Preset { title: "EWC and its LoRA variant", source: "Kirkpatrick et al. 2017; the Fisher penalty of CSTRL and AlignGuard-LoRA — 10 draws: forgetting 0.49 → 0.31 with B at 0.95", query: "tab=continual" },
    crate::link::Preset { title: "Quadratic teacher, d = 20, κ = ½", source: "Maillard et al. 2024: recovery above α_PR = 0.375", query: "tab=quadratic" },
];

#[component]
pub fn GenPage(device: Device) -> impl IntoView {
    let tab = RwSignal::new(match crate::link::tab(SLUG).as_deref() {
        Some("double-descent") => Tab::DoubleDescent,
        Some("epoch-wise") => Tab::EpochWise,
        Some("noisy-labels") => Tab::NoisyLabels,
        Some("pskd") => Tab::Pskd,
        Some("continual") => Tab::Continual,
        Some("quadratic") => Tab::Quadratic,
        _ => Tab::StudentTeacher,
    });
    view! {
        <section class="lab" aria-labelledby="gen-title">
            <h2 id="gen-title">"Generalization: theory over simulation"</h2>
            <crate::link::Presets slug=SLUG presets=PRESETS />
            <div class="tabs" role="tablist">
                <button id="tab-student-teacher" role="tab" aria-selected=move || (tab.get() == Tab::StudentTeacher).to_string()
                    on:click=move |_| tab.set(Tab::StudentTeacher)>"Student–teacher (Advani & Saxe)"</button>
                <button id="tab-double-descent" role="tab" aria-selected=move || (tab.get() == Tab::DoubleDescent).to_string()
                    on:click=move |_| tab.set(Tab::DoubleDescent)>"Double descent"</button>
                <button id="tab-epoch-wise" role="tab" aria-selected=move || (tab.get() == Tab::EpochWise).to_string()
                    on:click=move |_| tab.set(Tab::EpochWise)>"Epoch-wise double descent"</button>
                <button id="tab-noisy-labels" role="tab" aria-selected=move || (tab.get() == Tab::NoisyLabels).to_string()
                    on:click=move |_| tab.set(Tab::NoisyLabels)>"Noisy labels (ELR, forward T)"</button>
                <button id="tab-pskd" role="tab" aria-selected=move || (tab.get() == Tab::Pskd).to_string()
                    on:click=move |_| tab.set(Tab::Pskd)>"Self-distillation (PS-KD)"</button>
                <button id="tab-continual" role="tab" aria-selected=move || (tab.get() == Tab::Continual).to_string()
                    on:click=move |_| tab.set(Tab::Continual)>"Continual (EWC)"</button>
                <button id="tab-quadratic" role="tab" aria-selected=move || (tab.get() == Tab::Quadratic).to_string()
                    on:click=move |_| tab.set(Tab::Quadratic)>"Quadratic teacher"</button>
            </div>
            {move || match tab.get() {
                Tab::StudentTeacher => view! { <StudentTeacherTab device=device /> }.into_any(),
                Tab::DoubleDescent => view! { <DoubleDescentTab device=device /> }.into_any(),
                Tab::EpochWise => view! { <EpochWiseTab device=device /> }.into_any(),
                Tab::NoisyLabels => view! { <NoisyLabelsTab device=device /> }.into_any(),
                Tab::Pskd => view! { <PskdTab device=device /> }.into_any(),
                Tab::Continual => view! { <ContinualTab device=device /> }.into_any(),
                Tab::Quadratic => view! { <QuadraticTab device=device /> }.into_any(),
            }}
        </section>
    }
}

/// A named series for a chart.
pub(super) fn line(name: &'static str, color: RGBColor, points: Vec<(f64, f64)>) -> Series {
    Series { name, color, points }
}

/// Label smoothing's color (PS-KD's comparison run).
pub(super) const LS: RGBColor = RGBColor(30, 150, 90);
