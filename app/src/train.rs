//! The training page: TensorFlow Playground's panel, trained by the core's `Trainer` (CPU, f64) one budget
//! per animation frame; train/test loss and error live, the decision boundary with the data, the sharpness
//! against the 2/η stability line, and on demand the exact Hessian (heatmap with a threshold) and its
//! eigenvalue density.

use std::rc::Rc;
use std::sync::Arc;

use leptos::html::Canvas;
use leptos::prelude::*;
use plotters::prelude::*;
use plotters::coord::Shift;
use regula_core::train::gpu::{GpuKernel, GpuTrainer};
use regula_core::train::picture::{BoundaryPicture, HessianPicture, NetworkPicture};
use regula_core::{BackendChoice, Budget, Error, Frame, Stepper};
use regula_core::train::{
    Activation, DatasetKind, DatasetSpec, Feature, Loss, Optimizer, Regularization, Schedule, TrainConfig, Trainer,
};

use crate::app::Device;
use crate::chart::{LogChart, Series};
use crate::kernels::series;
use crate::runner::{next_animation_frame, Factory, RunControls, Runner};

const TRAIN: RGBColor = RGBColor(40, 110, 200);
const TEST: RGBColor = RGBColor(214, 90, 40);
/// Largest parameter count for the exact Hessian view (p Hessian-vector products on the main thread).

/// A training run on either backend.
pub enum TrainRun {
    Cpu(Box<Trainer>),
    Gpu(Box<GpuTrainer>),
}

impl TrainRun {
    fn trainer(&self) -> &Trainer {
        match self {
            TrainRun::Cpu(t) => t,
            TrainRun::Gpu(g) => g.cpu(),
        }
    }

    fn update(&mut self, next: &TrainConfig) -> Result<(), Error> {
        match self {
            TrainRun::Cpu(t) => t.update(next),
            TrainRun::Gpu(g) => g.update(next),
        }
    }

    fn label(&self) -> &'static str {
        match self {
            TrainRun::Cpu(_) => "CPU, f64",
            TrainRun::Gpu(g) => match g.kernel() {
                GpuKernel::Tiled => "GPU, f32: tiled matmul per layer",
                _ => "GPU, f32: each epoch in one workgroup",
            },
        }
    }
}

impl Stepper for TrainRun {
    async fn step(&mut self, budget: Budget) -> Result<Frame, Error> {
        match self {
            TrainRun::Cpu(t) => t.step(budget).await,
            TrainRun::Gpu(g) => g.step(budget).await,
        }
    }
}

#[derive(Clone, PartialEq, serde::Serialize, serde::Deserialize)]
struct Panel {
    data: DatasetSpec,
    config: TrainConfig,
}

/// What a link carries for this lab: the panel and the backend.
#[derive(Clone, PartialEq, serde::Serialize, serde::Deserialize)]
struct Link {
    data: DatasetSpec,
    config: TrainConfig,
    backend: BackendChoice,
}

impl Default for Panel {
    fn default() -> Self {
        // Playground's opening: a spiral, 2 × 8 tanh, SGD with batch 10.
        Self {
            data: DatasetSpec { kind: DatasetKind::Spiral, n: 200, noise: 0.05, train_ratio: 0.8, ..DatasetSpec::default() },
            config: TrainConfig { hidden: vec![8, 8], lr: 0.1, batch: 10, epochs: 300, hessian_every: 40, ..TrainConfig::default() },
        }
    }
}

/// The papers' experiments and the benchmark settings, one click each (REFERENCE.md §3).
const PRESETS: &[crate::link::Preset] = &[
    crate::link::Preset {
        title: "Edge of stability, η = 0.1",
        source: "Cohen et al. 2021; Wu & Su 2023 (REFERENCE): 2-32-32-1 tanh, 200-point spiral, full-batch GD on ½·MSE — λmax → 2/η = 20",
        query: "data.train_ratio=1&config.hidden=32,32&config.batch=0&config.lr=0.1&config.epochs=4000&config.hessian_every=100",
    },
    crate::link::Preset {
        title: "Edge of stability, η = 0.2",
        source: "the same at η = 0.2 — λmax → 10",
        query: "data.train_ratio=1&config.hidden=32,32&config.batch=0&config.lr=0.2&config.epochs=4000&config.hessian_every=100",
    },
    crate::link::Preset {
        title: "Mini-batches: η = 0.2, batch 20",
        source: "Wu & Su 2023: tr(H)/B + (1 − 1/B)λmax ≤ 2/η (REFERENCE: λmax 7.9)",
        query: "data.train_ratio=1&config.hidden=32,32&config.batch=20&config.lr=0.2&config.epochs=400&config.hessian_every=100",
    },
    crate::link::Preset { title: "Digits, 64-32-10", source: "the benchmark setting (scikit-learn's 8×8 digits, softmax cross-entropy, batch 32)", query: "data.kind=digits&config.hidden=32&config.loss=xent&config.batch=32&config.epochs=30" },
];

#[component]
pub fn TrainPage(device: Device) -> impl IntoView {
    let defaults = Link { data: Panel::default().data, config: Panel::default().config, backend: BackendChoice::Auto };
    let restored = crate::link::restore("training", None, &defaults, |l: &Link| l.config.validate(&l.data.build()?));
    let (notices, autorun) = (restored.notices, restored.run);
    let panel = RwSignal::new(Panel { data: restored.value.data, config: restored.value.config });
    let backend = RwSignal::new(restored.value.backend);
    let linked = Signal::derive(move || {
        let p = panel.get();
        Link { data: p.data, config: p.config, backend: backend.get() }
    });
    crate::link::sync("training", None, linked, defaults);
    let note = RwSignal::new(None::<String>);
    // A person's CSV (inputs…, target last), replacing the generated dataset until another is chosen.
    let upload = StoredValue::new_local(None::<regula_core::train::Dataset>);
    let uploaded = RwSignal::new(None::<String>);
    let previews = RwSignal::new(Vec::<crate::form::Preview>::new());
    let upload_error = RwSignal::new(None::<String>);
    let classify = RwSignal::new(true);
    let dataset = move |p: &Panel| -> Result<regula_core::train::Dataset, Error> {
        match upload.get_value() {
            Some(d) => Ok(d),
            None => p.data.build(),
        }
    };
    let factory: Factory<TrainRun> = Rc::new(move || {
        let p = panel.get_untracked();
        let gpu = device.backend(backend.get_untracked()).gpu().cloned();
        let data = dataset(&p);
        Box::pin(async move {
            let data = data?;
            let cpu = Trainer::new(data.clone(), p.config.clone())?;
            // Small nets train an epoch per workgroup, larger ones layer by layer (tiled); a net the device
            // cannot hold trains on the CPU and says so.
            let run = match gpu {
                Some(ctx) => match GpuTrainer::new(ctx, Trainer::new(data, p.config)?) {
                    Ok(g) => TrainRun::Gpu(Box::new(g)),
                    Err(e) => {
                        note.set(Some(format!("Training on the CPU: {e}")));
                        TrainRun::Cpu(Box::new(cpu))
                    }
                },
                None => TrainRun::Cpu(Box::new(cpu)),
            };
            Ok(vec![run])
        })
    });
    let runner = Runner::new(factory);
    if autorun {
        runner.run();
    }
    // Data and architecture changes reset; optimisation hyperparameters apply mid-run.
    let edit_data = move |f: Box<dyn FnOnce(&mut Panel)>| {
        runner.reset();
        panel.update(|p| f(p));
    };
    let edit_live = move |f: Box<dyn FnOnce(&mut Panel)>| {
        let mut next = panel.get_untracked();
        f(&mut next);
        let config = next.config.clone();
        let live = runner.update_live(|t| t.update(&config)).unwrap_or(false);
        if !live {
            runner.reset();
        }
        panel.set(next);
    };
    let invalid = Memo::new(move |_| {
        let p = panel.get();
        uploaded.track();
        dataset(&p).and_then(|d| p.config.validate(&d)).err().map(|e| e.to_string())
    });
    let on_file = move |ev: leptos::ev::Event| {
        crate::form::read_chosen_file(ev, move |name, text| {
            let p = panel.get_untracked();
            match regula_core::train::data::from_csv(&name, &text, classify.get_untracked(), p.data.train_ratio, p.config.seed) {
                Ok(d) => {
                    upload_error.set(None);
                    let mut header = crate::form::numbered("x", d.inputs);
                    header.push(if d.classes > 0 { "class".to_owned() } else { "target".to_owned() });
                    let labels: Vec<f64> = if d.classes > 0 { d.clean_class.iter().map(|&c| c as f64).collect() } else { d.target.clone() };
                    let rows: Vec<f64> = d.x.chunks(d.inputs.max(1)).zip(&labels).flat_map(|(r, y)| r.iter().copied().chain([*y])).collect();
                    previews.set(vec![crate::form::Preview::of(&name, header, &rows, d.inputs + 1)]);
                    uploaded.set(Some(format!(
                        "Uploaded {name}: {} rows × {} inputs, {}",
                        d.rows(),
                        d.inputs,
                        if d.classes > 0 { format!("{} classes", d.classes) } else { "regression".to_owned() }
                    )));
                    runner.reset();
                    upload.set_value(Some(d));
                }
                Err(e) => upload_error.set(Some(e.to_string())),
            }
        }, move |e| upload_error.set(Some(e)));
    };

    let frames = move |f: &dyn Fn(&[regula_core::Frame]) -> Vec<Series>| runner.frames.with(|fs| fs.first().map(|fr| f(fr)).unwrap_or_default());
    let losses = Signal::derive(move || {
        frames(&|fr| [series(fr, "train", "train_loss", TRAIN), series(fr, "test", "test_loss", TEST)].into_iter().flatten().collect())
    });
    let errors = Signal::derive(move || {
        frames(&|fr| {
            let err = |name: &'static str, key: &str, color| {
                let points: Vec<(f64, f64)> = fr.iter().filter_map(|f| f.metric(key).map(|a| (f.iteration as f64, 1.0 - a))).collect();
                (!points.is_empty()).then_some(Series { name, color, points })
            };
            [err("train error", "train_accuracy", TRAIN), err("test error", "test_accuracy", TEST)].into_iter().flatten().collect()
        })
    });
    let sharpness = Signal::derive(move || {
        frames(&|fr| {
            [
                series(fr, "λmax (sharpness)", "sharpness", TRAIN),
                series(fr, "stability threshold 2/η", "stability_threshold", RGBColor(0, 0, 0)),
                series(fr, "tr(H)/B + (1 − 1/B)λmax", "batch_bound", TEST),
            ]
            .into_iter()
            .flatten()
            .collect()
        })
    });
    let status = move || {
        if let Some(e) = runner.error.get() {
            return e;
        }
        runner.frames.with(|fs| {
            let Some(f) = fs.first().and_then(|f| f.last()) else {
                return "Ready: press Run (space) or Step.".to_owned();
            };
            let state = runner.state();
            let stop = match f.stop {
                Some(regula_core::StopReason::Divergence) => " — diverged (the loss ran away): lower the learning rate and reset".to_owned(),
                Some(s) => format!(" ({s:?})"),
                None => String::new(),
            };
            let on = runner.with_steppers(|s| s.first().map(|r| r.label())).flatten().unwrap_or("");
            format!(
                "{state} ({on}): step {} [{}] · train loss {:.4}{}{}{}{stop}",
                f.iteration,
                f.phase.as_deref().unwrap_or(""),
                f.metric("train_loss").unwrap_or(f64::NAN),
                f.metric("test_loss").map(|l| format!(" · test loss {l:.4}")).unwrap_or_default(),
                f.metric("test_accuracy").map(|a| format!(" · test accuracy {a:.3}")).unwrap_or_default(),
                f.metric("sharpness").map(|s| format!(" · λmax {s:.3}")).unwrap_or_default(),
            )
        })
    };

    // The decision boundary, redrawn every few frames and on pause.
    let boundary = Signal::derive(move || -> Option<Arc<BoundaryPicture>> {
        let n = runner.frames.with(|fs| fs.first().map_or(0, |f| f.len()));
        if n == 0 || (runner.running.get() && n % 4 != 1) {
            return None;
        }
        runner.with_steppers(|s| s.first().and_then(|r| BoundaryPicture::of(r.trainer())).map(Arc::new)).flatten()
    });

    // The network's weights, on the same cadence but two frames later (one heavy redraw per frame).
    let network = Signal::derive(move || -> Option<Arc<NetworkPicture>> {
        let n = runner.frames.with(|fs| fs.first().map_or(0, |f| f.len()));
        if n == 0 || (runner.running.get() && n % 4 != 3) {
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
                        v.p, v.eigenvalues.last().copied().unwrap_or(f64::NAN), v.eigenvalues.first().copied().unwrap_or(f64::NAN), v.eigenvalues.iter().sum::<f64>(), v.p
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

    let number = move |label: &'static str, id: &'static str, value: Signal<String>, set: crate::form::Setter| {
        crate::form::number_field(label, id, value, set, runner.error)
    };
    let (num, whole) = (crate::form::parse_f64, crate::form::parse_usize);
    macro_rules! select {
        ($id:literal, $ty:ty, $get:expr, $apply:expr) => {{
            let get = $get;
            let apply = $apply;
            view! {
                <select id=$id on:change=move |ev| {
                    if let Ok(v) = event_target_value(&ev).parse::<$ty>() { apply(v) }
                }>
                    {<$ty>::ALL.into_iter().map(|k| view! {
                        <option value=k.name() selected=move || panel.with(|p| get(p) == k)>{k.name()}</option>
                    }).collect_view()}
                </select>
            }
        }};
    }

    view! {
        <section class="lab" aria-labelledby="train-title">
            <h2 id="train-title">"Training: small networks, live curves, and the Hessian against 2/η"</h2>
            <form class="panel" on:submit=|ev| ev.prevent_default() aria-label="Parameters">
                <label for="dataset">"dataset"</label>
                {select!("dataset", DatasetKind, |p: &Panel| p.data.kind, move |k| edit_data(Box::new(move |p: &mut Panel| {
                    upload.set_value(None);
                    uploaded.set(None);
                    previews.set(Vec::new());
                    p.data.kind = k;
                    // Regression sets train on MSE; digits is 10-class.
                    if matches!(k, DatasetKind::Plane | DatasetKind::Multigauss | DatasetKind::Teacher) { p.config.loss = Loss::Mse; }
                })))}
                {number("points", "n", Signal::derive(move || panel.with(|p| p.data.n.to_string())),
                    Rc::new(move |v| { let n = whole("n", v)?; edit_data(Box::new(move |p| p.data.n = n)); Ok(()) }))}
                {number("noise", "noise", Signal::derive(move || panel.with(|p| p.data.noise.to_string())),
                    Rc::new(move |v| { let x = num("noise", v)?; edit_data(Box::new(move |p| p.data.noise = x)); Ok(()) }))}
                {number("train ratio", "train-ratio", Signal::derive(move || panel.with(|p| p.data.train_ratio.to_string())),
                    Rc::new(move |v| { let x = num("train-ratio", v)?; edit_data(Box::new(move |p| p.data.train_ratio = x)); Ok(()) }))}
                {number("label noise", "label-noise", Signal::derive(move || panel.with(|p| p.data.label_noise.to_string())),
                    Rc::new(move |v| { let x = num("label-noise", v)?; edit_data(Box::new(move |p| p.data.label_noise = x)); Ok(()) }))}
                <span class="label">"features"</span>
                <div class="checks" role="group" aria-label="features">
                    {Feature::ALL.into_iter().map(|f| view! {
                        <label class="check">
                            <input type="checkbox" id=format!("f-{}", f.name()) prop:checked=move || panel.with(|p| p.data.features.contains(&f))
                                on:change=move |ev| {
                                    let on = event_target_checked(&ev);
                                    edit_data(Box::new(move |p| {
                                        p.data.features.retain(|x| *x != f);
                                        if on {
                                            p.data.features.push(f);
                                            p.data.features.sort_by_key(|x| Feature::ALL.iter().position(|y| y == x));
                                        }
                                    }));
                                } />
                            {f.name()}
                        </label>
                    }).collect_view()}
                </div>
                {number("hidden layers (8,8 or 8:relu,4:tanh)", "hidden", Signal::derive(move || panel.with(|p| {
                        p.config.hidden.iter().enumerate().map(|(k, h)| match p.config.layer_activations.get(k) {
                            Some(a) => format!("{h}:{a}"),
                            None => h.to_string(),
                        }).collect::<Vec<_>>().join(",")
                    })),
                    Rc::new(move |v| {
                        let (hidden, acts) = parse_layers(v, panel.with_untracked(|p| p.config.activation))?;
                        if hidden.len() > MAX_PAGE_LAYERS || hidden.iter().any(|&h| h > MAX_PAGE_WIDTH) {
                            return Err(format!("the page offers up to {MAX_PAGE_LAYERS} layers of up to {MAX_PAGE_WIDTH} neurons (the CLI takes more)"));
                        }
                        edit_data(Box::new(move |p| { p.config.hidden = hidden; p.config.layer_activations = acts; }));
                        Ok(())
                    }))}
                <span class="label">"layers"</span>
                <div class="layers" role="group" aria-label="hidden layers: add, remove, widen, narrow">
                    <button type="button" id="layer-add" aria-label="add a hidden layer"
                        disabled=move || panel.with(|p| p.config.hidden.len() >= MAX_PAGE_LAYERS)
                        on:click=move |_| edit_data(Box::new(|p| edit_layers(&mut p.config, LayerEdit::Add)))>"+ layer"</button>
                    <button type="button" id="layer-remove" aria-label="remove the last hidden layer"
                        disabled=move || panel.with(|p| p.config.hidden.is_empty())
                        on:click=move |_| edit_data(Box::new(|p| edit_layers(&mut p.config, LayerEdit::Remove)))>"− layer"</button>
                    {move || panel.with(|p| p.config.hidden.clone()).into_iter().enumerate().map(|(k, h)| view! {
                        <span class="layer">
                            <button type="button" id=format!("layer-{k}-narrow") aria-label=format!("one neuron fewer in layer {}", k + 1)
                                disabled={h <= 1} on:click=move |_| edit_data(Box::new(move |p| edit_layers(&mut p.config, LayerEdit::Narrow(k))))>"−"</button>
                            <span id=format!("layer-{k}-width")>{h}</span>
                            <button type="button" id=format!("layer-{k}-widen") aria-label=format!("one neuron more in layer {}", k + 1)
                                disabled={h >= MAX_PAGE_WIDTH} on:click=move |_| edit_data(Box::new(move |p| edit_layers(&mut p.config, LayerEdit::Widen(k))))>"+"</button>
                        </span>
                    }).collect_view()}
                </div>
                <label for="activation">"activation"</label>
                {select!("activation", Activation, |p: &Panel| p.config.activation, move |a| edit_data(Box::new(move |p: &mut Panel| p.config.activation = a)))}
                <label for="loss">"loss"</label>
                {select!("loss", Loss, |p: &Panel| p.config.loss, move |l| edit_data(Box::new(move |p: &mut Panel| p.config.loss = l)))}
                <label for="optimizer">"optimizer"</label>
                {select!("optimizer", Optimizer, |p: &Panel| p.config.optimizer, move |o| edit_data(Box::new(move |p: &mut Panel| p.config.optimizer = o)))}
                {number("learning rate", "lr", Signal::derive(move || panel.with(|p| p.config.lr.to_string())),
                    Rc::new(move |v| { let x = num("lr", v)?; edit_live(Box::new(move |p| p.config.lr = x)); Ok(()) }))}
                <label for="schedule">"schedule"</label>
                {select!("schedule", Schedule, |p: &Panel| p.config.schedule, move |s| edit_live(Box::new(move |p: &mut Panel| p.config.schedule = s)))}
                {number("batch (0: full)", "batch", Signal::derive(move || panel.with(|p| p.config.batch.to_string())),
                    Rc::new(move |v| { let x = whole("batch", v)?; edit_live(Box::new(move |p| p.config.batch = x)); Ok(()) }))}
                {number("epochs", "epochs", Signal::derive(move || panel.with(|p| p.config.epochs.to_string())),
                    Rc::new(move |v| { let x = whole("epochs", v)?; edit_live(Box::new(move |p| p.config.epochs = x)); Ok(()) }))}
                <label for="reg">"regularization"</label>
                {select!("reg", Regularization, |p: &Panel| p.config.reg, move |r| edit_live(Box::new(move |p: &mut Panel| p.config.reg = r)))}
                {number("reg. rate", "reg-rate", Signal::derive(move || panel.with(|p| p.config.reg_rate.to_string())),
                    Rc::new(move |v| { let x = num("reg-rate", v)?; edit_live(Box::new(move |p| p.config.reg_rate = x)); Ok(()) }))}
                {number("label smoothing α", "label-smoothing", Signal::derive(move || panel.with(|p| p.config.label_smoothing.to_string())),
                    Rc::new(move |v| { let x = num("label-smoothing", v)?; edit_data(Box::new(move |p| p.config.label_smoothing = x)); Ok(()) }))}
                {number("Hessian every (steps, 0: at the end)", "hessian-every", Signal::derive(move || panel.with(|p| p.config.hessian_every.to_string())),
                    Rc::new(move |v| { let x = whole("hessian-every", v)?; edit_live(Box::new(move |p| p.config.hessian_every = x)); Ok(()) }))}
                <label for="train-file">"your data (CSV, target last)"</label>
                <input id="train-file" type="file" accept=".csv,text/csv" on:change=on_file />
                <label for="train-classify">"last column is a class"</label>
                <input id="train-classify" type="checkbox" prop:checked=move || classify.get()
                    on:change=move |ev| classify.set(event_target_checked(&ev)) />
                {crate::form::backend_select("train-backend", "auto (GPU when present)", backend, move || { runner.reset(); note.set(None); })}
                {number("seed", "train-seed", Signal::derive(move || panel.with(|p| p.config.seed.to_string())),
                    Rc::new(move |v| { let x = whole("seed", v)? as u64; edit_data(Box::new(move |p| { p.config.seed = x; p.data.seed = x; })); Ok(()) }))}
            </form>
            <RunControls runner=runner invalid=Signal::derive(move || invalid.get().is_some()) />
            <crate::link::LinkNotices notices=notices />
            <crate::link::Presets slug="training" presets=PRESETS />
            <crate::link::CliLine lines=Signal::derive(move || panel.with(|p| vec![regula_core::cli_line::train(&p.data, &p.config, backend.get())])) />
            <p id="param-error" class="error" role="alert" hidden=move || invalid.get().is_none()>{move || invalid.get()}</p>
            <p id="status" class=move || if runner.error.get().is_some() { "status error" } else { "status" } aria-live="polite">{status}</p>
            <p id="train-note" class="muted" hidden=move || note.get().is_none()>{move || note.get()}</p>
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
                <crate::math::KnobHelp id="knobs-train" knobs=crate::math::TRAIN_KNOBS />
            </div>
        </section>
    }
}

/// The page's network size (the 6 × 64; the CLI and the core take any).
const MAX_PAGE_LAYERS: usize = 6;
const MAX_PAGE_WIDTH: usize = 64;

/// Playground's layer buttons.
#[derive(Debug, Clone, Copy)]
enum LayerEdit {
    Add,
    Remove,
    Widen(usize),
    Narrow(usize),
}

/// Applies a layer button: a new layer copies the last one's width (4 for the first) and, when layers
/// name their activations, the shared one; widths stay within 1..=64 and layers within 0..=6.
fn edit_layers(config: &mut TrainConfig, edit: LayerEdit) {
    let per_layer = !config.layer_activations.is_empty();
    match edit {
        LayerEdit::Add if config.hidden.len() < MAX_PAGE_LAYERS => {
            config.hidden.push(config.hidden.last().copied().unwrap_or(4));
            if per_layer {
                config.layer_activations.push(config.activation);
            }
        }
        LayerEdit::Remove => {
            config.hidden.pop();
            config.layer_activations.truncate(config.hidden.len());
        }
        LayerEdit::Widen(k) => {
            if let Some(h) = config.hidden.get_mut(k) {
                *h = (*h + 1).min(MAX_PAGE_WIDTH);
            }
        }
        LayerEdit::Narrow(k) => {
            if let Some(h) = config.hidden.get_mut(k) {
                *h = h.saturating_sub(1).max(1);
            }
        }
        LayerEdit::Add => {}
    }
}

/// "8,8" or "8:relu,4:tanh" → widths, and per-layer activations when any layer names one (the others take
/// `default`).
fn parse_layers(text: &str, default: Activation) -> Result<(Vec<usize>, Vec<Activation>), String> {
    if text.trim().is_empty() {
        return Ok((vec![], vec![]));
    }
    let mut widths = Vec::new();
    let mut acts = Vec::new();
    let mut named = false;
    for part in text.split(',') {
        let (w, a) = match part.split_once(':') {
            Some((w, a)) => {
                named = true;
                (w, a.trim().parse::<Activation>().map_err(|e| e.to_string())?)
            }
            None => (part, default),
        };
        widths.push(crate::form::parse_usize("hidden", w.trim())?);
        acts.push(a);
    }
    Ok((widths, if named { acts } else { vec![] }))
}

#[component]
fn NetworkView(network: Signal<Option<Arc<NetworkPicture>>>) -> impl IntoView {
    let canvas = NodeRef::<Canvas>::new();
    Effect::new(move |_| {
        if let (Some(n), Some(c)) = (network.get(), canvas.get()) {
            if let Err(e) = crate::chart::canvas_root(c).and_then(|root| draw_network(root, &n)) {
                leptos::logging::warn!("network view: {e}");
            }
        }
    });
    let svg: crate::chart::SvgExport = std::rc::Rc::new(move || {
        network.with_untracked(|n| n.as_ref().ok_or_else(|| "nothing drawn yet".to_owned()).and_then(|n| regula_charts::svg(|root| draw_network(root, n))))
    });
    view! {
        <figure class="chart">
            <canvas id="chart-network" node_ref=canvas width="600" height="320" role="img" aria-label="network weights"></canvas>
            <crate::chart::ExportBar id="chart-network" canvas=canvas svg=svg />
        </figure>
    }
}

fn draw_network<DB: DrawingBackend>(root: DrawingArea<DB, Shift>, n: &NetworkPicture) -> Result<(), Box<dyn std::error::Error>>
where
    DB::ErrorType: 'static,
{
    regula_charts::train::draw_network(root, &n.widths, &n.layers, &n.theta, &n.inputs)
}

#[component]
fn BoundaryView(boundary: Signal<Option<Arc<BoundaryPicture>>>) -> impl IntoView {
    let canvas = NodeRef::<Canvas>::new();
    Effect::new(move |_| {
        if let (Some(b), Some(c)) = (boundary.get(), canvas.get()) {
            let painter = crate::chart::Painter::Canvas(c.clone());
            if let Err(e) = crate::chart::canvas_root(c).and_then(|root| draw_boundary(root, &painter, &b)) {
                leptos::logging::warn!("boundary view: {e}");
            }
        }
    });
    let svg: crate::chart::SvgExport = std::rc::Rc::new(move || {
        boundary.with_untracked(|b| b.as_ref().ok_or_else(|| "nothing drawn yet".to_owned()).and_then(|b| regula_charts::svg(|root| draw_boundary(root, &crate::chart::Painter::Vector, b))))
    });
    view! {
        <figure class="chart">
            <canvas id="chart-boundary" node_ref=canvas width="600" height="320" role="img" aria-label="decision boundary"></canvas>
            <crate::chart::ExportBar id="chart-boundary" canvas=canvas svg=svg />
        </figure>
    }
}

fn draw_boundary<DB: DrawingBackend>(root: DrawingArea<DB, Shift>, painter: &crate::chart::Painter, b: &BoundaryPicture) -> Result<(), Box<dyn std::error::Error>>
where
    DB::ErrorType: 'static,
{
    let raster = |root: &DrawingArea<DB, Shift>, area, cols, rows, rgb: &[[u8; 3]]| painter.raster(root, area, cols, rows, rgb);
    regula_charts::train::draw_boundary(root, &raster, &b.grid, b.size, (b.lo, b.hi), &b.points, b.regression)
}

#[component]
fn HessianHeatmap(hessian: Signal<Option<Arc<HessianPicture>>>, threshold: Signal<f64>) -> impl IntoView {
    let canvas = NodeRef::<Canvas>::new();
    let caption = RwSignal::new(String::new());
    Effect::new(move |_| {
        let t = threshold.get();
        if let (Some(h), Some(c)) = (hessian.get(), canvas.get()) {
            match crate::chart::canvas_root(c).and_then(|root| draw_hessian(root, &h, t)) {
                Ok(text) => caption.set(text),
                Err(e) => leptos::logging::warn!("hessian view: {e}"),
            }
        }
    });
    let svg: crate::chart::SvgExport = std::rc::Rc::new(move || {
        let t = threshold.get_untracked();
        hessian.with_untracked(|h| h.as_ref().ok_or_else(|| "nothing drawn yet".to_owned()).and_then(|h| regula_charts::svg_sized((600, 420), |root| draw_hessian(root, h, t).map(drop))))
    });
    view! {
        <figure class="chart">
            <canvas id="chart-hessian" node_ref=canvas width="600" height="420" role="img" aria-label="Hessian sparsity"></canvas>
            <crate::chart::ExportBar id="chart-hessian" canvas=canvas svg=svg />
            <figcaption id="hessian-caption">{move || caption.get()}</figcaption>
        </figure>
    }
}

fn draw_hessian<DB: DrawingBackend>(root: DrawingArea<DB, Shift>, v: &HessianPicture, log_threshold: f64) -> Result<String, Box<dyn std::error::Error>>
where
    DB::ErrorType: 'static,
{
    regula_charts::train::draw_hessian(root, v.p, &v.h, &v.layers, log_threshold)
}
