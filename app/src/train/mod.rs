//! The training page: TensorFlow Playground's panel on the lab kit, trained by the core's `Trainer` (CPU,
//! f64) or `GpuTrainer` (WebGPU, f32) one budget per animation frame — `train::run` places the run, as for
//! `regula train`; train/test loss and error live, the decision boundary with the data, the sharpness
//! against the 2/η stability line, and on demand the exact Hessian (heatmap with a threshold) and its
//! eigenvalue density.

mod sweep;
mod views;

use std::rc::Rc;
use std::sync::Arc;

use leptos::prelude::*;
use plotters::prelude::*;
use regula_core::metrics as key;
use regula_core::train::lab::Params;
use regula_core::train::picture::{BoundaryPicture, HessianPicture, NetworkPicture};
use regula_core::train::run::TrainRun;
use regula_core::train::{Dataset, DatasetKind, Loss};

use crate::chart::series;
use crate::chart::{LogChart, Series};
use crate::device::Device;
use crate::layers::{edit_layers, parse_layers, LayerEdit, MAX_PAGE_LAYERS, MAX_PAGE_WIDTH};
use crate::runner::next_animation_frame;
use views::{BoundaryView, HessianHeatmap, NetworkView};

const TRAIN: RGBColor = RGBColor(40, 110, 200);
const TEST: RGBColor = RGBColor(214, 90, 40);

/// The page's own limit: the layer editor's 6 × 64 (the CLI and the core take any).
fn page_check(p: &Params) -> Option<String> {
    (p.config.hidden.len() > MAX_PAGE_LAYERS || p.config.hidden.iter().any(|&h| h > MAX_PAGE_WIDTH)).then(|| {
        format!("the page offers up to {MAX_PAGE_LAYERS} layers of up to {MAX_PAGE_WIDTH} neurons (the CLI takes more)")
    })
}

/// Fields that apply to a running trainer (`Trainer::update`); the others reset the run.
const LIVE: &[&str] = &[
    "config.lr",
    "config.schedule",
    "config.batch",
    "config.epochs",
    "config.reg",
    "config.reg_rate",
    "config.hessian_every",
    "config.momentum",
];

#[component]
pub fn TrainPage(device: Device) -> impl IntoView {
    let sweep = RwSignal::new(crate::link::tab("training").as_deref() == Some("sweep"));
    view! {
        <section class="lab" aria-labelledby="train-title">
            <h2 id="train-title">"Training: small networks, live curves, and the Hessian against 2/η"</h2>
            <crate::link::Presets slug="training" />
            {crate::sweep::tab_bar(sweep)}
            {move || if sweep.get() {
                view! { <sweep::SweepTab device=device /> }.into_any()
            } else {
                view! { <SingleRun device=device /> }.into_any()
            }}
        </section>
    }
}

/// One network trained live (the page's first tab).
#[component]
fn SingleRun(device: Device) -> impl IntoView {
    // A person's CSV (inputs…, target last), replacing the generated dataset until another is chosen.
    let upload = StoredValue::new_local(None::<Dataset>);
    let uploaded = RwSignal::new(None::<String>);
    let previews = RwSignal::new(Vec::<crate::preview::Preview>::new());
    let upload_error = RwSignal::new(None::<String>);
    let classify = RwSignal::new(true);
    let start: crate::kit::Start<Params, TrainRun> = Rc::new(move |p, device| {
        let data = match upload.get_value() {
            Some(d) => Ok(d),
            None => p.dataset().build(),
        };
        Box::pin(async move { Ok(vec![regula_core::train::run::start(&p, data?, &device).await?]) })
    });
    let lab = crate::kit::use_lab(device, start, Some(page_check))
        .with_live(LIVE, Rc::new(|r: &mut TrainRun, p: &Params| r.update(&p.config)));
    let (params, runner) = (lab.params, lab.runner);
    // A generated dataset puts an upload aside; regression sets train on MSE.
    let kind = Memo::new(move |_| params.with(|p| p.data.kind));
    Effect::new(move |previous: Option<DatasetKind>| {
        let now = kind.get();
        if previous.is_some_and(|k| k != now) {
            upload.set_value(None);
            uploaded.set(None);
            previews.set(Vec::new());
            lab.files.set(Vec::new());
            if matches!(now, DatasetKind::Plane | DatasetKind::Multigauss | DatasetKind::Teacher)
                && params.with_untracked(|p| p.config.loss != Loss::Mse)
            {
                params.update(|p| p.config.loss = Loss::Mse);
            }
        }
        now
    });
    let on_file = move |ev: leptos::ev::Event| {
        crate::form::read_chosen_file(
            ev,
            move |name, text| {
                let p = params.get_untracked();
                match regula_core::train::data::from_csv(
                    &name,
                    &text,
                    classify.get_untracked(),
                    p.data.train_ratio,
                    p.config.seed,
                ) {
                    Ok(d) => {
                        upload_error.set(None);
                        let mut header = crate::preview::numbered("x", d.inputs);
                        header.push(if d.classes > 0 { "class".to_owned() } else { "target".to_owned() });
                        let labels: Vec<f64> = if d.classes > 0 {
                            d.clean_class.iter().map(|&c| c as f64).collect()
                        } else {
                            d.target.clone()
                        };
                        let rows: Vec<f64> =
                            d.x.chunks(d.inputs.max(1))
                                .zip(&labels)
                                .flat_map(|(r, y)| r.iter().copied().chain([*y]))
                                .collect();
                        previews.set(vec![crate::preview::Preview::of(&name, header, &rows, d.inputs + 1)]);
                        uploaded.set(Some(format!(
                            "Uploaded {name}: {} rows × {} inputs, {}",
                            d.rows(),
                            d.inputs,
                            if d.classes > 0 { format!("{} classes", d.classes) } else { "regression".to_owned() }
                        )));
                        let mut files = vec![("data", name)];
                        if d.classes > 0 {
                            files.push(("classify", "true".to_owned()));
                        }
                        lab.files.set(files);
                        runner.reset();
                        upload.set_value(Some(d));
                    }
                    Err(e) => upload_error.set(Some(e.to_string())),
                }
            },
            move |e| upload_error.set(Some(e)),
        );
    };

    let frames = move |f: &dyn Fn(&[regula_core::Frame]) -> Vec<Series>| {
        runner.frames.with(|fs| fs.first().map(|fr| f(fr)).unwrap_or_default())
    };
    let losses = Signal::derive(move || {
        frames(&|fr| {
            [series(fr, "train", key::TRAIN_LOSS, TRAIN), series(fr, "test", key::TEST_LOSS, TEST)]
                .into_iter()
                .flatten()
                .collect()
        })
    });
    let errors = Signal::derive(move || {
        frames(&|fr| {
            let err = |name: &'static str, key: &str, color| {
                let points: Vec<(f64, f64)> =
                    fr.iter().filter_map(|f| f.metric(key).map(|a| (f.iteration as f64, 1.0 - a))).collect();
                (!points.is_empty()).then_some(Series { name, color, points })
            };
            [err("train error", key::TRAIN_ACCURACY, TRAIN), err("test error", key::TEST_ACCURACY, TEST)]
                .into_iter()
                .flatten()
                .collect()
        })
    });
    let sharpness = Signal::derive(move || {
        frames(&|fr| {
            [
                series(fr, "λmax (sharpness)", key::SHARPNESS, TRAIN),
                series(fr, "stability threshold 2/η", key::STABILITY_THRESHOLD, RGBColor(0, 0, 0)),
                series(fr, "tr(H)/B + (1 − 1/B)λmax", key::BATCH_BOUND, TEST),
            ]
            .into_iter()
            .flatten()
            .collect()
        })
    });
    // Epochs per second of wall time while running, over the last second or so: (time, epoch) samples.
    let rate_samples = StoredValue::new(std::collections::VecDeque::<(f64, f64)>::new());
    let status = move || {
        runner.frames.with(|fs| {
            let Some(f) = fs.first().and_then(|f| f.last()) else {
                rate_samples.update_value(|s| s.clear());
                return crate::kit::READY.to_owned();
            };
            let epoch = f.metric(key::EPOCH).unwrap_or(0.0);
            let rate = if runner.running.get() {
                let now = js_sys::Date::now() / 1e3;
                rate_samples
                    .try_update_value(|s| {
                        s.push_back((now, epoch));
                        while s.len() > 2 && now - s[1].0 >= 1.0 {
                            s.pop_front();
                        }
                        let (t0, e0) = s[0];
                        (now - t0 >= 0.25 && epoch > e0).then(|| (epoch - e0) / (now - t0))
                    })
                    .flatten()
            } else {
                rate_samples.update_value(|s| s.clear());
                None
            };
            let state = runner.state();
            let stop = match f.stop {
                Some(regula_core::StopReason::Divergence) => {
                    " — diverged (the loss ran away): lower the learning rate and reset".to_owned()
                }
                Some(s) => format!(" ({s:?})"),
                None => String::new(),
            };
            let on = runner.with_steppers(|s| s.first().map(|r| r.label().to_owned())).flatten().unwrap_or_default();
            format!(
                "{state} ({on}): step {} [{}]{} · train loss {:.4}{}{}{}{stop}",
                f.iteration,
                f.phase.as_deref().unwrap_or(""),
                rate.map(|r| if r >= 100.0 { format!(" · {r:.0} epochs/s") } else { format!(" · {r:.1} epochs/s") })
                    .unwrap_or_default(),
                f.metric(key::TRAIN_LOSS).unwrap_or(f64::NAN),
                f.metric(key::TEST_LOSS).map(|l| format!(" · test loss {l:.4}")).unwrap_or_default(),
                f.metric(key::TEST_ACCURACY).map(|a| format!(" · test accuracy {a:.3}")).unwrap_or_default(),
                f.metric(key::SHARPNESS).map(|s| format!(" · λmax {s:.3}")).unwrap_or_default(),
            )
        })
    };

    // The decision boundary, redrawn every few steps (animation frames) and on pause — however many epochs
    // a step trained.
    let boundary = Signal::derive(move || -> Option<Arc<BoundaryPicture>> {
        let n = runner.frames.with(|fs| fs.first().map_or(0, |f| f.len()));
        if n == 0 || (runner.running.get() && runner.ticks() % 4 != 1) {
            return None;
        }
        runner.with_steppers(|s| s.first().and_then(|r| BoundaryPicture::of(r.trainer())).map(Arc::new)).flatten()
    });

    // The network's weights, on the same cadence but two steps later (one heavy redraw per frame).
    let network = Signal::derive(move || -> Option<Arc<NetworkPicture>> {
        let n = runner.frames.with(|fs| fs.first().map_or(0, |f| f.len()));
        if n == 0 || (runner.running.get() && runner.ticks() % 4 != 3) {
            return None;
        }
        runner.with_steppers(|s| s.first().map(|r| Arc::new(NetworkPicture::of(r.trainer())))).flatten()
    });

    // The exact Hessian on demand.
    let threshold = RwSignal::new(-3.0f64);
    let hessian = RwSignal::new(None::<Arc<HessianPicture>>);
    let hessian_note = RwSignal::new(String::from(
        "The exact Hessian (heatmap of its entries) and its eigenvalue density are computed on demand: run or step, then press “Exact Hessian”.",
    ));
    let compute_hessian = move || {
        if runner.running.get_untracked() {
            hessian_note.set("Pause the run first.".into());
            return;
        }
        hessian_note.set("Computing…".into());
        leptos::task::spawn_local(async move {
            next_animation_frame().await;
            next_animation_frame().await;
            if hessian_note.try_get_untracked().is_none() {
                return; // the page was left meanwhile
            }
            let view = runner.with_steppers(|s| s.first().map(|r| HessianPicture::of(r.trainer()))).flatten();
            match view {
                Some(Ok(v)) => {
                    hessian_note.set(format!(
                        "{} parameters: λmax {:.4}, λmin {:.4}, trace {:.4} (exact, from {} Hessian-vector products)",
                        v.p,
                        v.eigenvalues.last().copied().unwrap_or(f64::NAN),
                        v.eigenvalues.first().copied().unwrap_or(f64::NAN),
                        v.eigenvalues.iter().sum::<f64>(),
                        v.p
                    ));
                    hessian.set(Some(Arc::new(v)));
                }
                Some(Err(e)) => hessian_note.set(e.to_string()),
                None => hessian_note.set("Run or step once first.".into()),
            }
        });
    };
    let density = Signal::derive(move || {
        hessian.with(|h| {
            h.as_ref()
                .map(|h| vec![Series { name: "density (SLQ, smoothed)", color: TRAIN, points: h.density.clone() }])
                .unwrap_or_default()
        })
    });

    // The hidden layers: a text field ("8,8" or "8:relu,4:tanh") and Playground's buttons.
    let layers_text = Signal::derive(move || {
        params.with(|p| {
            p.config
                .hidden
                .iter()
                .enumerate()
                .map(|(k, h)| match p.config.layer_activations.get(k) {
                    Some(a) => format!("{h}:{a}"),
                    None => h.to_string(),
                })
                .collect::<Vec<_>>()
                .join(",")
        })
    });
    let set_layers = move |text: String| match parse_layers(&text, params.with_untracked(|p| p.config.activation)) {
        Ok((hidden, acts)) => lab.edit(move |p| {
            p.config.hidden = hidden;
            p.config.layer_activations = acts;
        }),
        Err(e) => runner.error.set(Some(e)),
    };
    let layers = view! {
        <div class="field">
            <label for="hidden" title="Widths of the hidden layers, optionally with an activation each.">"hidden layers (8,8 or 8:relu,4:tanh)"</label>
            <input id="hidden" type="text" prop:value=move || layers_text.get() on:change=move |ev| set_layers(event_target_value(&ev)) />
        </div>
        <div class="field wide">
            <span class="label">"layers"</span>
            <div class="layers" role="group" aria-label="hidden layers: add, remove, widen, narrow">
                <button type="button" id="layer-add" aria-label="add a hidden layer"
                    disabled=move || params.with(|p| p.config.hidden.len() >= MAX_PAGE_LAYERS)
                    on:click=move |_| lab.edit(|p| edit_layers(&mut p.config, LayerEdit::Add))>"+ layer"</button>
                <button type="button" id="layer-remove" aria-label="remove the last hidden layer"
                    disabled=move || params.with(|p| p.config.hidden.is_empty())
                    on:click=move |_| lab.edit(|p| edit_layers(&mut p.config, LayerEdit::Remove))>"− layer"</button>
                {move || params.with(|p| p.config.hidden.clone()).into_iter().enumerate().map(|(k, h)| view! {
                    <span class="layer">
                        <button type="button" id=format!("layer-{k}-narrow") aria-label=format!("one neuron fewer in layer {}", k + 1)
                            disabled={h <= 1} on:click=move |_| lab.edit(move |p| edit_layers(&mut p.config, LayerEdit::Narrow(k)))>"−"</button>
                        <span id=format!("layer-{k}-width")>{h}</span>
                        <button type="button" id=format!("layer-{k}-widen") aria-label=format!("one neuron more in layer {}", k + 1)
                            disabled={h >= MAX_PAGE_WIDTH} on:click=move |_| lab.edit(move |p| edit_layers(&mut p.config, LayerEdit::Widen(k)))>"+"</button>
                    </span>
                }).collect_view()}
            </div>
        </div>
        <div class="field">
            <label for="train-file">"your data (CSV, target last)"</label>
            <input id="train-file" type="file" accept=".csv,text/csv" on:change=on_file />
        </div>
        <div class="field">
            <label for="train-classify">"last column is a class"</label>
            <input id="train-classify" type="checkbox" prop:checked=move || classify.get() on:change=move |ev| classify.set(event_target_checked(&ev)) />
        </div>
    };

    view! {
            {crate::kit::panel(lab, &["config.hidden", "config.layer_activations"], layers)}
            {crate::kit::chrome(lab, status)}
            <p id="train-uploaded" class="muted" hidden=move || uploaded.get().is_none()>{move || uploaded.get()}</p>
            <crate::form::UploadPreviews id="train-preview" previews=previews />
            <p id="train-upload-error" class="error" role="alert" hidden=move || upload_error.get().is_none()>{move || upload_error.get()}</p>
            <div class="charts">
                <LogChart id="chart-loss" title="Loss vs step" x_label="step" y_label="loss" series=losses floor=1e-8 />
                <LogChart id="chart-error" title="Error rate (1 − accuracy) vs step" x_label="step" y_label="error" series=errors floor=1e-3 />
                <BoundaryView boundary=boundary />
                <NetworkView network=network />
                <LogChart id="chart-sharpness" title="Sharpness λmax vs the stability threshold" x_label="step" y_label="λ" series=sharpness />
            </div>
            <div class="controls">
                <button id="hessian-compute" on:click=move |_| compute_hessian()>"Exact Hessian"</button>
                <label for="threshold">{move || format!("show |H_ij| ≥ 10^{:.1} · max", threshold.get())}</label>
                <input id="threshold" type="range" min="-8" max="0" step="0.5" prop:value=move || threshold.get().to_string()
                    on:input=move |ev| { if let Ok(t) = event_target_value(&ev).parse::<f64>() { threshold.set(t) } } />
            </div>
            <p id="hessian-note" class="muted">{move || hessian_note.get()}</p>
            <div class="charts">
                <HessianHeatmap hessian=hessian.into() threshold=threshold.into() />
                <LogChart id="chart-density" title="Eigenvalue density of H (stochastic Lanczos quadrature)" x_label="λ (shifted: λ − λmin)" y_label="density" series=density floor=1e-6 />
            </div>
            <div class="explain">
                <p>
                    "The network is an MLP with the hidden layers above and a linear output; the loss is ½·mean squared error "
                    "(targets ±1 for two classes) or softmax cross-entropy. Sharpness is the top eigenvalue of the training "
                    "loss's Hessian, by power iteration on exact Hessian-vector products (Pearlmutter's R-operator), the "
                    "trace by Hutchinson's estimator. Gradient descent is stable only while λmax ≤ 2/η (with momentum β: "
                    "(2 + 2β)/η); training drives λmax up until it hovers at that line — the edge of stability (set batch 0, "
                    "a 32,32 net on the spiral, η = 0.2, Hessian every 100 steps). For mini-batches of size B the bound is "
                    "tr(H)/B + (1 − 1/B)λmax ≤ 2/η (Wu & Su 2023). A run whose loss runs away stops as diverged and keeps "
                    "its last finite state. Where it runs: with WebGPU, every mini-batch step of an epoch runs inside one "
                    "workgroup (f32; widths ≤ 64, batches ≤ 256), or — for larger batches — layer by layer as tiled "
                    "matrix multiplies, and only the weights come back per frame; the losses, accuracies and the Hessian "
                    "tools then run on the CPU in f64 on those weights. Without WebGPU everything runs on the CPU in f64."
                </p>
                <crate::math::Equations id="eq-train" equations=crate::math::TRAIN />
                {crate::kit::knobs::<Params>("knobs-train")}
            </div>
    }
}
