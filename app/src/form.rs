//! Form pieces every lab's panel shares: a labelled text field that parses on change and reports a parse
//! error, the parse helpers, and reading a chosen file as text.

use std::rc::Rc;

use leptos::prelude::*;

/// A setter for a text field: parses and applies the value, or says what is wrong with it.
pub type Setter = Rc<dyn Fn(&str) -> Result<(), String>>;

/// `<label>` + `<input>`; on change the trimmed text goes to `set`, and its error (if any) to `error`.
pub fn number_field(label: &'static str, id: &'static str, value: Signal<String>, set: Setter, error: RwSignal<Option<String>>) -> impl IntoView {
    view! {
        <label for=id>{label}</label>
        <input id=id type="text" inputmode="decimal" prop:value=move || value.get()
            on:change=move |ev| {
                if let Err(e) = set(event_target_value(&ev).trim()) {
                    error.set(Some(e));
                }
            } />
    }
}

pub fn parse_usize(id: &'static str, s: &str) -> Result<usize, String> {
    s.parse::<usize>().map_err(|_| format!("`{id}` must be a whole number"))
}

pub fn parse_f64(id: &'static str, s: &str) -> Result<f64, String> {
    s.parse::<f64>().map_err(|_| format!("`{id}` must be a number"))
}

/// Reads the file chosen in the `<input type="file">` that fired `ev`, then calls `done` with its name and
/// text, or `failed` with a message when the browser cannot read it.
pub fn read_chosen_file(ev: leptos::ev::Event, done: impl FnOnce(String, String) + 'static, failed: impl FnOnce(String) + 'static) {
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

/// The "backend" picker of a lab panel: auto (described by `auto_label`) or CPU only; a change calls
/// `changed` (which resets the run) after setting `backend`.
pub fn backend_select(
    id: &'static str,
    auto_label: &'static str,
    backend: RwSignal<regula_core::BackendChoice>,
    changed: impl Fn() + 'static,
) -> impl IntoView {
    use regula_core::BackendChoice;
    view! {
        <label for=id>"backend"</label>
        <select id=id on:change=move |ev| {
            if let Ok(b) = event_target_value(&ev).parse::<BackendChoice>() {
                changed();
                backend.set(b);
            }
        }>
            <option value="auto" selected=move || backend.get() == BackendChoice::Auto>{auto_label}</option>
            <option value="cpu" selected=move || backend.get() == BackendChoice::Cpu>"CPU only (f64)"</option>
        </select>
    }
}
