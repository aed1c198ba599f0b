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
            <crate::link::Presets slug=SLUG />
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
