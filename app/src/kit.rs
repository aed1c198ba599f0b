//! The lab kit on the page: [`use_lab`] owns what every tab repeated — the parameters restored from the
//! link and written back to it, the runner and its factory, autorun (after the device probe), edits that
//! reset the run (or apply live), and the validation message — and [`panel`] and [`chrome`] draw the
//! fields, run controls, link notices, headless line and status from the lab's definition. A tab is its
//! start function, its status line and its charts.

use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use leptos::prelude::*;
use regula_core::lab::{self, link, value, Field, Kind, Lab};
use regula_core::{Backend, Error, Stepper};
use serde_json::Value;

use crate::device::Device;
use crate::runner::{next_animation_frame, Factory, RunControls, Runner};

/// Builds a run's steppers from the parameters on the device the page opened (core places the run).
pub type Start<L, S> = Rc<dyn Fn(L, Backend) -> Pin<Box<dyn Future<Output = Result<Vec<S>, Error>>>>>;

/// The lab's own start ([`regula_core::lab::run::Runnable`]): its generated data, placed by core.
pub fn runnable<L: regula_core::lab::run::Runnable>() -> Start<L, L::Run> {
    Rc::new(|p: L, device: Backend| Box::pin(async move { p.start(&device).await }))
}

/// Changes a live stepper for new parameters (a new stopping rule, a new learning rate).
pub type Live<L, S> = Rc<dyn Fn(&mut S, &L) -> Result<(), Error>>;

/// Paths of fields that apply live, and the change that applies them.
type LiveFields<L, S> = (&'static [&'static str], Live<L, S>);

/// A tab's lab: its parameters (kept in the link), its runner and its validation.
pub struct LabView<L: Lab + Send + Sync, S: 'static> {
    pub params: RwSignal<L>,
    pub runner: Runner<S>,
    /// What is wrong with the parameters (Run is disabled while `Some`).
    pub invalid: Memo<Option<String>>,
    /// What the link could not carry, shown until the next change.
    pub notices: StoredValue<Vec<String>>,
    /// The fields that apply to a running stepper, and how.
    live: StoredValue<Option<LiveFields<L, S>>, LocalStorage>,
    /// Extra flags of the headless line (a person's files), set by the tab.
    pub files: RwSignal<Vec<(&'static str, String)>>,
    pub device: Device,
}

impl<L: Lab + Send + Sync, S: 'static> Clone for LabView<L, S> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<L: Lab + Send + Sync, S: 'static> Copy for LabView<L, S> {}

/// The lab's parameters from the current link when it is this lab's (and tab's), else the defaults.
fn restore<L: Lab>() -> link::Decoded<L> {
    let (slug, query) = crate::link::current();
    let (tab, _) = link::reserved(&query);
    if slug == L::DEF.page
        && (L::DEF.tab.is_none() || tab.as_deref() == L::DEF.tab || (tab.is_none() && is_first_tab::<L>()))
    {
        link::decode::<L>(&query)
    } else {
        link::Decoded { value: L::default(), tab: None, run: false, notices: Vec::new() }
    }
}

/// The page's first tab opens for a link without `tab=`.
fn is_first_tab<L: Lab>() -> bool {
    regula_core::lab::catalog::ALL
        .iter()
        .find(|l| l.def().page == L::DEF.page)
        .is_some_and(|l| l.def().tab == L::DEF.tab)
}

/// The lab of a tab: restored from the link, kept in it, run by `start`. `check` adds the page's own
/// limits (what a browser can hold) to the lab's validation.
pub fn use_lab<L, S>(device: Device, start: Start<L, S>, check: Option<fn(&L) -> Option<String>>) -> LabView<L, S>
where
    L: Lab + Send + Sync,
    S: Stepper + 'static,
{
    let restored = restore::<L>();
    let params = RwSignal::new(restored.value);
    let factory: Factory<S> = Rc::new(move || {
        let p = params.get_untracked();
        start(p, device.open())
    });
    let runner = Runner::new(factory);
    Effect::new(move |_| {
        let q = params.with(link::encode::<L>);
        crate::link::write(L::DEF.page, &q);
    });
    let invalid = Memo::new(move |_| {
        params.with(|p| lab::validate(p).err().map(|e| e.to_string()).or_else(|| check.and_then(|c| c(p))))
    });
    if restored.run {
        // A link that starts a run waits for the device probe, so it runs where a click would.
        leptos::task::spawn_local(async move {
            while device.report.try_with_untracked(Option::is_none).unwrap_or(false) {
                next_animation_frame().await;
            }
            if runner.alive() && invalid.try_get_untracked().flatten().is_none() {
                runner.run();
            }
        });
    }
    LabView {
        params,
        runner,
        invalid,
        notices: StoredValue::new(restored.notices),
        live: StoredValue::new_local(None),
        files: RwSignal::new(Vec::new()),
        device,
    }
}

impl<L: Lab + Send + Sync, S: Stepper + 'static> LabView<L, S> {
    /// Fields at these paths apply to a running stepper through `apply` (when it fails, or no run is
    /// live, the run resets as for any other field).
    pub fn with_live(self, paths: &'static [&'static str], apply: Live<L, S>) -> Self {
        self.live.set_value(Some((paths, apply)));
        self
    }

    /// Changes the parameters and resets the run (every change but a live one).
    pub fn edit(self, f: impl FnOnce(&mut L)) {
        self.runner.reset();
        self.params.update(f);
    }

    /// The field at `path` set from a panel's text: a value that does not parse is said in the status
    /// line; one that parses is kept (the validation message says when it is out of range).
    pub fn set_text(self, field: &'static Field, text: &str) {
        let text = text.trim();
        let text = if field.optional && text.is_empty() { "none" } else { text };
        match lab::set(&self.params.get_untracked(), field, text) {
            Err(e) => self.runner.error.set(Some(e.to_string())),
            Ok(next) => self.apply(field.path, next),
        }
    }

    fn apply(self, path: &str, next: L) {
        let live = self.live.get_value().filter(|(paths, _)| paths.contains(&path));
        let applied = match live {
            Some((_, apply)) if lab::validate(&next).is_ok() => {
                let n = next.clone();
                self.runner.update_live(move |s| apply(s, &n)).unwrap_or(false)
            }
            _ => false,
        };
        if !applied {
            self.runner.reset();
        }
        self.params.set(next);
    }

    /// The "Run it headless" line of the current parameters (with the person's files, if any).
    pub fn line(self) -> String {
        let files = self.files.get();
        self.params.with(|p| lab::args::line(p, &files.iter().map(|(k, v)| (*k, v.clone())).collect::<Vec<_>>()))
    }
}

/// The text a panel shows for `field` (empty for an unset option).
fn shown<L: Lab + Send + Sync>(params: RwSignal<L>, field: &'static Field) -> String {
    params.with(|p| {
        let form = serde_json::to_value(p).unwrap_or(Value::Null);
        match value::get(&form, field.path) {
            None | Some(Value::Null) if field.optional => String::new(),
            None => String::new(),
            Some(v) => value::write(field, v),
        }
    })
}

/// One field's label and control, by its kind. Ids are the CLI flag (`#max-iter`); a set of words is a
/// row of checkboxes (`#sketches-gaussian`); a log-scale number has a slider beside its text
/// (`#eps-slider`).
pub fn field<L: Lab + Send + Sync, S: Stepper + 'static>(lab: LabView<L, S>, f: &'static Field) -> AnyView {
    let id = f.flag().into_owned();
    let label = f.caption();
    let text = Signal::derive(move || shown(lab.params, f));
    let on_text = move |ev: leptos::ev::Event| lab.set_text(f, &event_target_value(&ev));
    match f.kind {
        Kind::Bool | Kind::Group(_) => view! {
            <div class="field">
                <label for=id.clone() title=f.help>{label}</label>
                <input id=id type="checkbox" prop:checked=move || text.get() == "true"
                    on:change=move |ev| lab.set_text(f, if event_target_checked(&ev) { "true" } else { "false" }) />
            </div>
        }
        .into_any(),
        Kind::Choice(words) => {
            // The backend's `gpu` is offered only when the page has one open.
            let device = lab.device;
            let unavailable = move |w: &str| {
                f.path == "backend"
                    && w == "gpu"
                    && !device.report.with(|r| r.as_ref().is_some_and(|r| r.backend == "gpu"))
            };
            view! {
                <div class="field">
                    <label for=id.clone() title=f.help>{label}</label>
                    <select id=id on:change=on_text>
                        {words.iter().map(|&w| view! { <option value=w selected=move || text.get() == w disabled=move || unavailable(w)>{w}</option> }).collect_view()}
                    </select>
                </div>
            }
            .into_any()
        }
        Kind::Words { words, distinct: true, .. } => {
            let toggle = move |w: &'static str, on: bool| {
                let now = text.get_untracked();
                let mut chosen: Vec<&str> = now.split(',').filter(|s| !s.is_empty() && *s != w).collect();
                if on {
                    chosen.push(w);
                }
                // In the declared order, so a link does not depend on the order of clicks.
                chosen.sort_by_key(|c| words.iter().position(|x| x == c));
                lab.set_text(f, &chosen.join(","));
            };
            view! {
                <div class="field wide" role="group" aria-label=f.label>
                    <span class="label" title=f.help>{label}</span>
                    <div class="checks">
                        {words.iter().map(|&w| {
                            let wid = format!("{id}-{w}");
                            view! {
                                <label class="check">
                                    <input type="checkbox" id=wid prop:checked=move || text.get().split(',').any(|x| x == w)
                                        on:change=move |ev| toggle(w, event_target_checked(&ev)) />
                                    {w}
                                </label>
                            }
                        }).collect_view()}
                    </div>
                </div>
            }
            .into_any()
        }
        Kind::Real { min, max, log: true } => {
            let slider = format!("{id}-slider");
            // Three significant digits from the slider: a position, not a measurement.
            let on_slide = move |ev: leptos::ev::Event| {
                if let Ok(l) = event_target_value(&ev).parse::<f64>() {
                    let v = format!("{:.2e}", 10f64.powf(l)).parse::<f64>().unwrap_or(min);
                    lab.set_text(f, &v.to_string());
                }
            };
            let position = move || text.get().parse::<f64>().map(|v| v.log10().to_string()).unwrap_or_default();
            let aria = format!("{}, log scale", f.label);
            view! {
                <div class="field">
                    <label for=id.clone() title=f.help>{label}</label>
                    <span class="log-field">
                        <input id=id type="text" inputmode="decimal" prop:value=move || text.get() on:change=on_text />
                        <input id=slider type="range" min=min.log10() max=max.log10() step="0.05" aria-label=aria prop:value=position on:change=on_slide />
                    </span>
                </div>
            }
            .into_any()
        }
        _ => view! {
            <div class="field">
                <label for=id.clone() title=f.help>{label}</label>
                <input id=id type="text" inputmode="decimal" prop:value=move || text.get() on:change=on_text />
            </div>
        }
        .into_any(),
    }
}

/// The lab's parameter panel: every field of its definition but those in `skip` (which the tab draws
/// itself, as `custom`).
pub fn panel<L: Lab + Send + Sync, S: Stepper + 'static>(
    lab: LabView<L, S>,
    skip: &'static [&'static str],
    custom: impl IntoView,
) -> impl IntoView {
    view! {
        <form class="panel" on:submit=|ev| ev.prevent_default() aria-label=format!("{} parameters", L::DEF.title.split(':').next().unwrap_or("Lab"))>
            {L::DEF.fields.iter().filter(|f| !skip.contains(&f.path)).map(|f| field(lab, f)).collect_view()}
            {custom}
        </form>
    }
}

/// Run controls, the link's notices, the headless line, the validation message and the status line.
pub fn chrome<L: Lab + Send + Sync, S: Stepper + 'static>(
    lab: LabView<L, S>,
    status: impl Fn() -> String + Send + Sync + 'static,
) -> impl IntoView {
    let runner = lab.runner;
    let invalid = lab.invalid;
    let status = move || runner.error.get().unwrap_or_else(&status);
    view! {
        <RunControls runner=runner invalid=Signal::derive(move || invalid.get().is_some()) />
        <crate::link::LinkNotices notices=lab.notices.get_value() />
        <crate::link::CliLine lines=Signal::derive(move || vec![lab.line()]) />
        <p id="param-error" class="error" role="alert" hidden=move || invalid.get().is_none()>{move || invalid.get()}</p>
        <p id="status" class=move || if runner.error.get().is_some() { "status error" } else { "status" } aria-live="polite">{status}</p>
    }
}

/// "What each knob does": the label and help text of every field.
pub fn knobs<L: Lab>(id: &'static str) -> impl IntoView {
    view! {
        <details class="knobs" id=id>
            <summary>"What each knob does"</summary>
            <dl>{L::DEF.fields.iter().map(|f| view! { <dt>{f.caption()}</dt><dd>{f.help}</dd> }).collect_view()}</dl>
        </details>
    }
}

/// A status line's opening when nothing has run.
pub const READY: &str = "Ready: press Run (space) or Step.";
