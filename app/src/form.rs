//! Form pieces the lab kit's panels do not draw themselves: reading a chosen file as text and the preview
//! of an uploaded file (the fields themselves come from each lab's definition, `kit.rs`).

use leptos::prelude::*;

pub fn parse_usize(id: &'static str, s: &str) -> Result<usize, String> {
    s.parse::<usize>().map_err(|_| format!("`{id}` must be a whole number"))
}

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

/// Rows an upload preview shows.
pub const PREVIEW_ROWS: usize = 5;

/// The first rows of an uploaded file as the lab read it (columns named by their role), so a person sees
/// how the file was understood before running anything.
#[derive(Clone, Debug, PartialEq)]
pub struct Preview {
    /// The file's name.
    pub file: String,
    pub header: Vec<String>,
    /// At most [`PREVIEW_ROWS`] rows, as read.
    pub rows: Vec<Vec<f64>>,
    /// Rows in the whole file.
    pub total: usize,
}

impl Preview {
    /// The preview of a row-major `rows × cols` table (`values.len() == rows · cols`).
    pub fn of(file: &str, header: Vec<String>, values: &[f64], cols: usize) -> Self {
        let cols = cols.max(1);
        Self {
            file: file.to_owned(),
            header,
            rows: values.chunks(cols).take(PREVIEW_ROWS).map(<[f64]>::to_vec).collect(),
            total: values.len() / cols,
        }
    }
}

/// Numbered column names: `prefix1 … prefixN`.
pub fn numbered(prefix: &str, n: usize) -> Vec<String> {
    (1..=n).map(|k| format!("{prefix}{k}")).collect()
}

/// The uploaded files' previews, one table each (ids `{id}-0`, `{id}-1`, …), under the upload fields.
#[component]
pub fn UploadPreviews(id: &'static str, previews: RwSignal<Vec<Preview>>) -> impl IntoView {
    let cell = |v: f64| if v.fract() == 0.0 && v.abs() < 1e9 { format!("{v:.0}") } else { format!("{v:.4}") };
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
