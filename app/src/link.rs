//! The link bridge: a lab's parameters live in the location hash after `?` (`#/training?v=2&config.lr=0.03`),
//! encoded by `regula_core::lab::link` (versioned, strict, only what differs from the defaults). A lab
//! reads its state from the link when it mounts (`kit::use_lab`) and rewrites the link after every
//! change, with `history.replaceState` (no new history entry, no navigation). The link is only ever
//! parsed into parameters: nothing in it is inserted as markup or fetched.

use leptos::prelude::*;
use regula_core::lab::link as codec;

fn hash() -> String {
    web_sys::window().and_then(|w| w.location().hash().ok()).unwrap_or_default()
}

/// The lab slug and the parameter part of the current hash (`#/slug?query`).
pub fn current() -> (String, String) {
    let h = hash();
    let h = h.trim_start_matches('#').trim_start_matches('/');
    match h.split_once('?') {
        Some((slug, q)) => (slug.to_owned(), q.to_owned()),
        None => (h.to_owned(), String::new()),
    }
}

/// Rewrites the address to lab `slug` with `query` (its parameters), without a history entry.
pub fn write(slug: &str, query: &str) {
    let Some(w) = web_sys::window() else { return };
    let defaults = query == format!("v={}", codec::VERSION);
    // Default parameters on an address without any: leave it as it is (a plain visit stays plain).
    if defaults && !hash().contains('?') {
        return;
    }
    let target = if defaults { format!("#/{slug}") } else { format!("#/{slug}?{query}") };
    if hash() != target {
        if let Ok(history) = w.history() {
            let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&target));
        }
    }
}

/// The tab named by the current link, if it is lab `slug`'s.
pub fn tab(slug: &str) -> Option<String> {
    let (s, q) = current();
    (s == slug).then(|| codec::reserved(&q).0).flatten()
}

/// What the link could not carry over (unknown keys, bad values), shown until the next change.
#[component]
pub fn LinkNotices(notices: Vec<String>) -> impl IntoView {
    let hidden = notices.is_empty();
    view! {
        <div id="link-notice" class="notice" role="status" hidden=hidden>
            <p>"From the link:"</p>
            <ul>{notices.into_iter().map(|n| view! { <li>{n}</li> }).collect_view()}</ul>
        </div>
    }
}

/// Bumped to rebuild the current lab's page from the address (a preset was opened).
#[derive(Clone, Copy)]
pub struct Remount(pub RwSignal<u64>);

/// Opens `query` in lab `slug`: the address takes it (with `run=1`) as a new history entry (Back returns to
/// what was there before), and the shell's hashchange listener switches to the lab and rebuilds its page
/// from the link. The same address again (a preset clicked twice) fires no hashchange: the page is rebuilt
/// directly.
pub fn open(slug: &str, query: &str, remount: Option<Remount>) {
    let Some(w) = web_sys::window() else { return };
    let target = format!("#/{slug}?v={}&{query}&run=1", codec::VERSION);
    if hash() == target {
        if let Some(Remount(r)) = remount {
            r.update(|g| *g += 1);
        }
    } else {
        let _ = w.location().set_hash(&target);
    }
}

/// The gallery of paper presets of page `slug` — of its tab `tab` only, when given — as the labs declare
/// them (`Def::presets`): each button loads the parameters and starts the run (ids `preset-{k}`).
#[component]
pub fn Presets(slug: &'static str, #[prop(optional)] tab: Option<&'static str>) -> impl IntoView {
    let remount = use_context::<Remount>();
    let presets: Vec<(String, &'static regula_core::lab::Preset)> = regula_core::lab::catalog::ALL
        .iter()
        .map(|l| l.def())
        .filter(|d| d.page == slug && (tab.is_none() || d.tab == tab))
        .flat_map(|d| d.presets.iter().map(move |p| (d.preset_query(p), p)))
        .collect();
    view! {
        <details class="presets" id="presets">
            <summary>"Paper presets"</summary>
            <ul>
                {presets.into_iter().enumerate().map(|(k, (query, p))| {
                    view! {
                        <li>
                            <button type="button" id=format!("preset-{k}") data-preset=p.name on:click=move |_| open(slug, &query, remount)>{p.title}</button>
                            <span class="source">{p.source}</span>
                        </li>
                    }
                }).collect_view()}
            </ul>
        </details>
    }
}

/// The `regula …` command line(s) that reproduce this run headless (`regula_core::cli_line`), to copy.
#[component]
pub fn CliLine(lines: Signal<Vec<String>>) -> impl IntoView {
    view! {
        <details class="cli">
            <summary>"Run it headless"</summary>
            <pre id="cli-line">{move || lines.get().join("\n")}</pre>
        </details>
    }
}
