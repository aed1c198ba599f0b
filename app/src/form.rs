//! Form pieces the lab kit's panels do not draw themselves: reading a chosen file as text and the preview
//! of an uploaded file (the fields themselves come from each lab's definition, `kit.rs`).

use leptos::prelude::*;

use crate::preview::{cell, Preview};

/// Reads the file chosen in the `<input type="file">` that fired `ev`, then calls `done` with its name and
/// text, or `failed` with a message when the browser cannot read it.
pub fn read_chosen_file(
    ev: leptos::ev::Event,
    done: impl FnOnce(String, String) + 'static,
    failed: impl FnOnce(String) + 'static,
) {
    use wasm_bindgen::JsCast;
    let Some(input) = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok()) else { return };
    let Some(file) = input.files().and_then(|f| f.get(0)) else { return };
    let name = file.name();
    leptos::task::spawn_local(async move {
        match wasm_bindgen_futures::JsFuture::from(file.text()).await {
            Ok(t) => done(name, t.as_string().unwrap_or_default()),
            Err(_) => failed(format!("{name}: the file could not be read")),
        }
    });
}

/// The uploaded files' previews, one table each (ids `{id}-0`, `{id}-1`, …), under the upload fields.
#[component]
pub fn UploadPreviews(id: &'static str, previews: RwSignal<Vec<Preview>>) -> impl IntoView {
    view! {
        <div class="previews" hidden=move || previews.with(Vec::is_empty)>
            {move || previews.get().into_iter().enumerate().map(|(k, p)| view! {
                <table id=format!("{id}-{k}") class="results preview">
                    <caption>{format!("{}: {} rows read{}", p.file, p.total, if p.total > p.rows.len() { format!(", the first {} shown", p.rows.len()) } else { String::new() })}</caption>
                    <thead><tr>{p.header.iter().map(|h| view! { <th scope="col">{h.clone()}</th> }).collect_view()}</tr></thead>
                    <tbody>{p.rows.iter().map(|r| view! { <tr>{r.iter().map(|&v| view! { <td>{cell(v)}</td> }).collect_view()}</tr> }).collect_view()}</tbody>
                </table>
            }).collect_view()}
        </div>
    }
}
