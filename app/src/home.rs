//! The landing page (`#/`): what Regula is, one card per page of the lab kit's catalog — its question, a
//! pre-rendered thumbnail of its headline figure and a button that runs that figure — and what the device
//! banner means. A page declared in `regula_core::lab::catalog::PAGES` gets its card here without more code.

use leptos::prelude::*;
use regula_core::lab::catalog::PAGES;

#[component]
pub fn HomePage() -> impl IntoView {
    let remount = use_context::<crate::link::Remount>();
    let cards = PAGES
        .iter()
        .filter(|p| !p.diagnostic)
        .map(|page| {
            let slug = page.slug;
            let figure = page.headline().map(|(query, preset)| {
                view! {
                    <button type="button" class="figure" id=format!("figure-{slug}")
                        on:click=move |_| crate::link::open(slug, &query, remount)>
                        "Run the paper's figure"
                    </button>
                    <p class="source"><strong>{preset.title}</strong>" — "{preset.source}</p>
                }
            });
            view! {
                <article class="card" data-page=slug>
                    <h3><a href=format!("#/{slug}")>{page.title}</a></h3>
                    <img src=format!("thumbs/{slug}.png") width="300" height="160" loading="lazy"
                        alt=format!("The {} lab's headline figure, drawn by `regula --png`", page.title) />
                    <p class="question">{page.question}</p>
                    {figure}
                </article>
            }
        })
        .collect_view();
    let diagnostics = PAGES
        .iter()
        .filter(|p| p.diagnostic)
        .map(|p| view! { <li><a href=format!("#/{}", p.slug)>{p.title}</a>": "{p.question}</li> })
        .collect_view();
    view! {
        <section class="home" id="home" aria-labelledby="home-title">
            <h2 id="home-title">"Regularization you can watch"</h2>
            <p class="lead">
                "Regula runs the numerical ideas behind modern regularization — entropic optimal transport, \
                 randomized sketching and the training dynamics of small networks — live in your browser, \
                 on your GPU through WebGPU. Pick a lab, run a paper's figure, turn a knob: the address \
                 carries the whole experiment, so a link shows someone else exactly what you saw."
            </p>
            <div class="cards">{cards}</div>
            <h3>"The banner at the top"</h3>
            <dl class="devices">
                <dt>"WebGPU · a GPU's name"</dt>
                <dd>"The labs' kernels run on your GPU in f32; each is checked against an f64 twin on the CPU."</dd>
                <dt>"WebGPU · SwiftShader (or another software adapter)"</dt>
                <dd>"WebGPU emulated on the CPU: correct but slow. Each lab says in its status line which path ran and why."</dd>
                <dt>"CPU fallback"</dt>
                <dd>"No WebGPU in this browser: every lab runs its f64 CPU path, which is the reference anyway."</dd>
            </dl>
            <h3>"Diagnostics"</h3>
            <ul class="diagnostics">{diagnostics}</ul>
            <p class="muted">
                "Every experiment also runs headless: each lab shows its "<code>"regula …"</code>
                " command line (README: the CLI)."
            </p>
        </section>
    }
}
