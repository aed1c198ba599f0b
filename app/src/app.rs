//! The shell: the device banner, navigation between labs, and the page of the lab chosen.

use std::rc::Rc;

use leptos::prelude::*;
use regula_core::gpu::GpuContext;
use regula_core::{Backend, BackendChoice, DeviceReport};

use crate::device::Device;

use crate::generalization::GenPage;
use crate::kernels::KernelsPage;
use crate::ot::OtPage;
use crate::sketch::SketchPage;
use crate::solvers::SolversPage;
use crate::train::TrainPage;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Lab {
    Home,
    Kernels,
    Ot,
    Sketching,
    Training,
    Generalization,
    Solvers,
}

impl Lab {
    /// The navigation's order: the papers' labs, then the diagnostics.
    const ALL: [Lab; 7] =
        [Lab::Home, Lab::Ot, Lab::Sketching, Lab::Training, Lab::Generalization, Lab::Solvers, Lab::Kernels];

    fn slug(self) -> &'static str {
        match self {
            Lab::Home => "",
            Lab::Kernels => "kernels",
            Lab::Ot => "ot",
            Lab::Sketching => "sketching",
            Lab::Training => "training",
            Lab::Generalization => "generalization",
            Lab::Solvers => "solvers",
        }
    }

    fn title(self) -> &'static str {
        match self {
            Lab::Home => "Home",
            Lab::Kernels => "Diagnostics: kernel check",
            Lab::Ot => "Optimal transport",
            Lab::Sketching => "Sketching",
            Lab::Training => "Training",
            Lab::Generalization => "Generalization",
            Lab::Solvers => "Solvers",
        }
    }

    fn from_hash(hash: &str) -> Lab {
        let slug = hash.trim_start_matches('#').trim_start_matches('/');
        let slug = slug.split('?').next().unwrap_or_default();
        Lab::ALL.into_iter().find(|l| l.slug() == slug).unwrap_or(Lab::Home)
    }
}

/// Keyboard: space run/pause, `s` step, `r` reset — forwarded as clicks on the visible page's buttons,
/// so every page with run controls gets them. Ignored while typing in a field.
/// Fault injection for the end-to-end tests (README "Guarantees"): `regulaFaults.loseDevice()` marks the
/// GPU device lost exactly as the driver's callback does; a running GPU step then fails with the typed
/// error, and Reset continues on the CPU. It changes nothing else and reaches nothing outside the page.
fn install_fault_hook(gpu: StoredValue<Option<Rc<GpuContext>>, LocalStorage>) {
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::JsCast;
    let Some(w) = web_sys::window() else { return };
    let lose = Closure::<dyn Fn() -> bool>::new(move || {
        gpu.try_get_value().flatten().map(|ctx| ctx.simulate_device_loss()).is_some()
    });
    let hooks = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&hooks, &"loseDevice".into(), lose.as_ref().unchecked_ref());
    let _ = js_sys::Reflect::set(&w, &"regulaFaults".into(), &hooks);
    lose.forget(); // lives as long as the page
}

fn install_shortcuts() {
    use wasm_bindgen::JsCast;
    let handle = window_event_listener(leptos::ev::keydown, |ev| {
        let tag = ev.target().and_then(|t| t.dyn_into::<web_sys::Element>().ok()).map(|el| el.tag_name());
        let typing = matches!(tag.as_deref(), Some("INPUT" | "SELECT" | "TEXTAREA"));
        // Space on a focused button already presses that button.
        let native_space = ev.key() == " " && tag.as_deref() == Some("BUTTON");
        if typing || native_space || ev.ctrl_key() || ev.meta_key() || ev.alt_key() {
            return;
        }
        let click = |selector: &str| {
            let button = document().query_selector(selector).ok().flatten();
            match button.and_then(|b| b.dyn_into::<web_sys::HtmlButtonElement>().ok()) {
                Some(b) if !b.disabled() => {
                    b.click();
                    true
                }
                _ => false,
            }
        };
        let handled = match ev.key().as_str() {
            " " => click("#run") || click("#pause"),
            "s" => click("#step"),
            "r" => click("#reset"),
            _ => false,
        };
        if handled {
            ev.prevent_default();
        }
    });
    std::mem::forget(handle); // the shell lives as long as the page
}

fn location_hash() -> String {
    web_sys::window().and_then(|w| w.location().hash().ok()).unwrap_or_default()
}

#[component]
pub fn App() -> impl IntoView {
    let gpu = StoredValue::new_local(None::<Rc<GpuContext>>);
    let report = RwSignal::new(None::<DeviceReport>);
    leptos::task::spawn_local(async move {
        let backend = Backend::acquire(BackendChoice::Auto)
            .await
            .unwrap_or_else(|e| Backend::Cpu { fallback: Some(e.to_string()) });
        if let Some(ctx) = backend.gpu() {
            // One new pipeline compile per animation frame (see `GpuContext::pipeline_paced`).
            ctx.set_pacer(Rc::new(|| Box::pin(crate::runner::next_animation_frame())));
        }
        gpu.set_value(backend.gpu().cloned());
        install_fault_hook(gpu);
        report.set(Some(backend.report()));
    });
    install_shortcuts();
    let device = Device { gpu, report };

    let (lab, set_lab) = signal(Lab::from_hash(&location_hash()));
    let remount = RwSignal::new(0u64);
    provide_context(crate::link::Remount(remount));
    // The address the page itself last navigated to (a nav click): its hashchange is not news.
    let own = StoredValue::new(None::<String>);
    let go = move |l: Lab| {
        set_lab.set(l);
        if let Some(w) = web_sys::window() {
            let target = format!("#/{}", l.slug());
            if location_hash() != target {
                own.set_value(Some(target.clone()));
                let _ = w.location().set_hash(&target);
            }
        }
    };
    // The address is the state both ways: a hash typed or pasted into the bar, Back and Forward (over labs
    // and presets, which push an entry) switch the lab and re-read its parameters from the link. The page's
    // own edits rewrite the address with replaceState, which fires neither event.
    let follow = move || {
        let hash = location_hash();
        if own.get_value().as_deref() == Some(hash.as_str()) {
            own.set_value(None);
            return;
        }
        let target = Lab::from_hash(&hash);
        if lab.get_untracked() == target {
            remount.update(|g| *g += 1);
        } else {
            set_lab.set(target);
        }
    };
    // History traversal between entries whose fragments differ fires hashchange too (HTML's history
    // traversal), so this one listener covers the bar, Back and Forward.
    std::mem::forget(window_event_listener(leptos::ev::hashchange, move |_| follow()));

    let banner = move || match report.get() {
        None => ("probing", "Looking for a GPU…".to_owned()),
        Some(r) if r.backend == "gpu" => ("gpu", r.label),
        Some(r) => ("cpu", r.label.replace("GPU unavailable", "WebGPU unavailable")),
    };

    view! {
        <header class="top">
            <h1>"Regula"</h1>
            <p class="tagline">"Regularization, optimal transport and sketching — live, on your GPU."</p>
            <p id="device-banner" class=move || format!("banner {}", banner().0) role="status" aria-live="polite">
                {move || banner().1}
            </p>
        </header>
        <nav class="labs" aria-label="Labs">
            {Lab::ALL
                .into_iter()
                .map(|l| {
                    view! {
                        <a
                            href=format!("#/{}", l.slug())
                            class:active=move || lab.get() == l
                            aria-current=move || (lab.get() == l).then_some("page")
                            on:click=move |ev| {
                                ev.prevent_default();
                                go(l);
                            }
                        >
                            {l.title()}
                        </a>
                    }
                })
                .collect_view()}
        </nav>
        <main>
            {move || {
                remount.track();
                let l = lab.get();
                match l {
                    Lab::Ot => view! { <OtPage device=device /> }.into_any(),
                    Lab::Sketching => view! { <SketchPage device=device /> }.into_any(),
                    Lab::Training => view! { <TrainPage device=device /> }.into_any(),
                    Lab::Generalization => view! { <GenPage device=device /> }.into_any(),
                    Lab::Solvers => view! { <SolversPage device=device /> }.into_any(),
                    Lab::Kernels => view! { <KernelsPage device=device /> }.into_any(),
                    Lab::Home => view! { <crate::home::HomePage /> }.into_any(),
                }
            }}
        </main>
    }
}
