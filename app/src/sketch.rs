//! The sketching page: sketched least squares (trials accumulating live: ε₂ and ε∞ against m, the
//! distribution of ε∞, the spike score, LSQR's residual for sketch-and-precondition) and, in a second tab,
//! the nuclear norm against the MNN proxy. Parameter panel → run controls → charts → explanation.

use std::rc::Rc;

use leptos::prelude::*;
use plotters::style::RGBColor;
use regula_core::metrics as key;
use regula_core::sketch::data::parse_csv;
use regula_core::sketch::experiment::{sweep, Cell, Experiment, Solver};
use regula_core::sketch::lab::{NuclearParams, Params};
use regula_core::sketch::nuclear::{Comparison, MATRICES};
use regula_core::sketch::operators::SketchKind;
use regula_core::sketch::regression::Instance;

use crate::chart::{Band, BandChart, HistogramChart, LogChart, Series};
use crate::device::Device;

/// Largest n·(d + 1) the page accepts (the browser holds A in f64 and, on the GPU, in f32).
const MAX_PAGE_ENTRIES: usize = 1 << 22;
/// Largest N·d for the nuclear-norm tab (three SVDs per click on the main thread).
const MAX_NUCLEAR_ENTRIES: usize = 1 << 20;

fn color(kind: SketchKind) -> RGBColor {
    match kind {
        SketchKind::Gaussian => RGBColor(40, 110, 200),
        SketchKind::Rademacher => RGBColor(120, 80, 180),
        SketchKind::Srht => RGBColor(30, 150, 90),
        SketchKind::CountSketch => RGBColor(214, 90, 40),
        SketchKind::Osnap => RGBColor(200, 160, 20),
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Tab {
    Regression,
    Nuclear,
}

#[component]
pub fn SketchPage(device: Device) -> impl IntoView {
    let tab = RwSignal::new(if crate::link::tab("sketching").as_deref() == Some("nuclear") {
        Tab::Nuclear
    } else {
        Tab::Regression
    });
    view! {
        <section class="lab" aria-labelledby="sketch-title">
            <h2 id="sketch-title">"Sketching: sketched least squares in ℓ2 and ℓ∞, sketch-and-precondition, nuclear norms"</h2>
            <div class="tabs" role="tablist">
                <button id="tab-regression" role="tab" aria-selected=move || (tab.get() == Tab::Regression).to_string()
                    on:click=move |_| tab.set(Tab::Regression)>"Sketched regression"</button>
                <button id="tab-nuclear" role="tab" aria-selected=move || (tab.get() == Tab::Nuclear).to_string()
                    on:click=move |_| tab.set(Tab::Nuclear)>"Matrix nuclear norm"</button>
            </div>
            {move || match tab.get() {
                Tab::Regression => view! { <RegressionTab device=device /> }.into_any(),
                Tab::Nuclear => view! { <NuclearTab device=device /> }.into_any(),
            }}
        </section>
    }
}

/// The page's own limit: A as f64 (and f32 on the GPU) in the browser's memory.
fn page_check(p: &Params) -> Option<String> {
    (p.n.saturating_mul(p.d + 1) > MAX_PAGE_ENTRIES).then(|| {
        format!(
            "n·(d + 1) = {} is more than the page handles ({MAX_PAGE_ENTRIES}); the CLI takes larger problems",
            p.n.saturating_mul(p.d + 1)
        )
    })
}

#[component]
fn RegressionTab(device: Device) -> impl IntoView {
    let upload = StoredValue::new_local(None::<Instance>);
    let files = StoredValue::new_local([None::<(regula_core::sketch::data::Matrix, String)>, None]);
    let uploaded = RwSignal::new(None::<String>);
    let previews = RwSignal::new(Vec::<crate::preview::Preview>::new());
    let preview_slots = StoredValue::new([None::<crate::preview::Preview>, None]);
    let upload_error = RwSignal::new(None::<String>);
    let start: crate::kit::Start<Params, Experiment> = Rc::new(move |p, device| {
        let own = upload.get_value();
        Box::pin(async move { Ok(vec![regula_core::sketch::lab::start(&p, own, &device)?]) })
    });
    // More (or fewer) trials keep the ones already run.
    let lab = crate::kit::use_lab(device, start, Some(page_check))
        .with_live(&["trials"], Rc::new(|e: &mut Experiment, p: &Params| e.set_trials(p.trials)));
    let (panel, runner) = (lab.params, lab.runner);
    // A generated design puts an uploaded A and b aside.
    let design = Memo::new(move |_| panel.with(|p| p.design));
    Effect::new(move |previous: Option<regula_core::sketch::regression::Design>| {
        let now = design.get();
        if previous.is_some_and(|d| d != now) {
            upload.set_value(None);
            files.set_value([None, None]);
            uploaded.set(None);
            previews.set(Vec::new());
            preview_slots.set_value([None, None]);
            lab.files.set(Vec::new());
        }
        now
    });
    // The instance's shape: the upload's, or the panel's.
    let shape =
        move || upload.with_value(|u| u.as_ref().map(|i| (i.n, i.d))).unwrap_or_else(|| panel.with(|p| (p.n, p.d)));

    // Chart data, recomputed when frames arrive.
    let cells = Signal::derive(move || -> Vec<Cell> {
        runner.frames.track();
        runner.with_steppers(|s| s.first().map(|e| e.cells().to_vec())).flatten().unwrap_or_default()
    });
    let bands = move |f: fn(&regula_core::sketch::experiment::Trial) -> f64| {
        Signal::derive(move || {
            let cells = cells.get();
            panel
                .with(|p| p.sketches.clone())
                .into_iter()
                .filter_map(|kind| {
                    let points: Vec<(f64, f64, f64, f64)> = cells
                        .iter()
                        .filter(|c| c.sketch == kind && !c.trials.is_empty())
                        .map(|c| {
                            let s = c.stats(f);
                            (c.m as f64, s.p10, s.median, s.p90)
                        })
                        .collect();
                    (!points.is_empty()).then(|| Band { name: kind.to_string(), color: color(kind), points })
                })
                .collect::<Vec<_>>()
        })
    };
    let chosen = move |c: &Cell| c.m == panel.with(|p| p.m);
    let sweep_text = move || {
        let (n, d) = shape();
        panel.with(|p| {
            if p.solver == Solver::Precondition {
                p.m.to_string()
            } else {
                sweep(d, p.m, n).iter().map(|m| m.to_string()).collect::<Vec<_>>().join(", ")
            }
        })
    };
    let histogram = Signal::derive(move || {
        cells
            .get()
            .iter()
            .filter(|c| chosen(c) && !c.trials.is_empty())
            .map(|c| Series {
                name: c.sketch.name(),
                color: color(c.sketch),
                points: c.trials.iter().map(|t| (t.metrics.epsinf, 0.0)).collect(),
            })
            .collect::<Vec<_>>()
    });
    // LSQR's excess residual (‖r_k‖ − ‖r*‖)/‖r*‖ of the latest trial per sketch.
    let lsqr = Signal::derive(move || {
        let r_star = runner
            .with_steppers(|s| s.first().and_then(|e| e.exact().map(|x| x.residual_norm)))
            .flatten()
            .unwrap_or(1.0);
        cells
            .get()
            .iter()
            .filter(|c| chosen(c))
            .filter_map(|c| {
                let t = c.trials.last().filter(|t| !t.residuals.is_empty())?;
                let points =
                    t.residuals.iter().enumerate().map(|(k, r)| (k as f64, ((r - r_star) / r_star).abs())).collect();
                Some(Series { name: c.sketch.name(), color: color(c.sketch), points })
            })
            .collect::<Vec<_>>()
    });
    let preconditioning = move || panel.with(|p| p.solver == Solver::Precondition);

    let status = move || {
        runner.frames.with(|fs| {
            let Some(f) = fs.first().and_then(|f| f.last()) else {
                return crate::kit::READY.to_owned();
            };
            let state = runner.state();
            let warn = runner
                .with_steppers(|s| s.first().and_then(|e| e.exact()).is_some_and(|x| x.rank_deficient))
                .unwrap_or(false);
            format!(
                "{state}: {}{} · {:.1} s · direct QR {:.1} ms{}",
                f.phase.as_deref().unwrap_or(""),
                runner
                    .with_steppers(|s| s.first().map(|e| match e.backend() {
                        // The banner's name for the adapter (WebGPU hides it from wgpu's summary).
                        regula_core::Backend::Gpu(_) =>
                            format!(" on {}", device.report.get().map_or("WebGPU".to_owned(), |r| r.label)),
                        // Beside a software adapter: the CPU by the placement rule, not for want of a GPU.
                        cpu if cpu.cpu_note().starts_with("; software") => format!(" on CPU, f64{}", cpu.cpu_note()),
                        cpu => format!(" on {}", cpu.report().label),
                    }))
                    .flatten()
                    .unwrap_or_default(),
                f.elapsed_ms / 1e3,
                f.metric(key::EXACT_SECONDS).unwrap_or(f64::NAN) * 1e3,
                if warn { " · warning: A is rank-deficient, x* is the minimum-norm solution" } else { "" }
            )
        })
    };
    let table = move || {
        let cells = cells.get();
        let pre = preconditioning();
        cells
            .iter()
            .filter(|c| chosen(c) && !c.trials.is_empty())
            .map(|c| {
                let e2 = c.stats(|t| t.metrics.eps2);
                let ei = c.stats(|t| t.metrics.epsinf);
                let deficient = c.rank_deficient();
                let extra = if pre {
                    match c.preconditioned() {
                        Some((its, worst)) => format!(
                            "{its:.0} its · ‖x − x*‖/‖x*‖ ≤ {worst:.1e}{}",
                            if deficient > 0 {
                                format!(" · {deficient} rank-deficient SA (not preconditioned)")
                            } else {
                                String::new()
                            }
                        ),
                        None => format!("{deficient} rank-deficient SA: none preconditioned (raise m)"),
                    }
                } else if deficient > 0 {
                    format!("{deficient} rank-deficient SA")
                } else {
                    String::new()
                };
                view! {
                    <tr data-sketch=c.sketch.name()>
                        <td>{c.sketch.name()}</td><td>{c.trials.len()}</td>
                        <td>{small(e2.median)}</td><td>{small(e2.p99)}</td>
                        <td class="epsinf-median">{small(ei.median)}</td><td class="epsinf-p99">{small(ei.p99)}</td>
                        <td>{format!("{:.2}", c.stats(|t| t.metrics.spike).median)}</td>
                        <td>{format!("{:.2}", c.stats(|t| t.seconds).median * 1e3)}</td>
                        <td>{extra}</td>
                    </tr>
                }
            })
            .collect_view()
    };

    let on_file = move |which: usize, ev: leptos::ev::Event| {
        crate::form::read_chosen_file(
            ev,
            move |name, text| {
                let parsed = parse_csv(&name, &text);
                let matrix = match parsed {
                    Ok(m) => m,
                    Err(e) => {
                        upload_error.set(Some(e.to_string()));
                        return;
                    }
                };
                let header = if which == 1 && matrix.cols == 1 {
                    vec!["b".to_owned()]
                } else {
                    crate::preview::numbered(if which == 0 { "a" } else { "b" }, matrix.cols)
                };
                preview_slots.update_value(|s| {
                    s[which] = Some(crate::preview::Preview::of(&name, header, &matrix.data, matrix.cols))
                });
                previews.set(preview_slots.with_value(|s| s.iter().flatten().cloned().collect()));
                files.update_value(|f| f[which] = Some((matrix, name)));
                let both = files.with_value(|f| match f {
                    [Some((a, an)), Some((b, bn))] => Some((a.clone(), an.clone(), b.clone(), bn.clone())),
                    _ => None,
                });
                let Some((a, an, b, bn)) = both else {
                    upload_error.set(None);
                    uploaded.set(Some("One file loaded: choose the other one too.".into()));
                    return;
                };
                let instance = b.into_vector(&bn).and_then(|b| Instance::from_data(a.data, b, a.rows, a.cols));
                match instance {
                    Ok(inst) => {
                        upload_error.set(None);
                        uploaded.set(Some(format!("Uploaded: A {} × {} from {an}, b from {bn}", inst.n, inst.d)));
                        runner.reset();
                        lab.files.set(vec![("matrix", an), ("rhs", bn)]);
                        // The panel's n and d take the file's shape (the run and its checks use them).
                        let (n, d) = (inst.n, inst.d);
                        upload.set_value(Some(inst));
                        panel.update(|p| (p.n, p.d) = (n, d));
                    }
                    Err(e) => upload_error.set(Some(e.to_string())),
                }
            },
            move |e| upload_error.set(Some(e)),
        );
    };

    view! {
        {crate::kit::panel(lab, &[], view! {
            <p class="field wide muted" id="m-sweep">{move || format!("sketch sizes run: m = {}", sweep_text())}</p>
            <div class="field">
                <label for="matrix-file">"your A (CSV)"</label>
                <input id="matrix-file" type="file" accept=".csv,text/csv" on:change=move |ev| on_file(0, ev) />
            </div>
            <div class="field">
                <label for="rhs-file">"your b (CSV)"</label>
                <input id="rhs-file" type="file" accept=".csv,text/csv" on:change=move |ev| on_file(1, ev) />
            </div>
        })}
        <p class="muted" hidden=move || uploaded.get().is_none()>{move || uploaded.get()}</p>
        <crate::form::UploadPreviews id="sketch-preview" previews=previews />
        <p id="upload-error" class="error" role="alert" hidden=move || upload_error.get().is_none()>{move || upload_error.get()}</p>
        <crate::link::Presets slug="sketching" tab="regression" />
        {crate::kit::chrome(lab, status)}
        <table id="sketch-table" class="results">
            <caption>{move || format!("At m = {}", panel.with(|p| p.m))}</caption>
            <thead><tr><th>"sketch"</th><th>"trials"</th><th>"ε₂ median"</th><th>"ε₂ p99"</th><th>"ε∞ median"</th><th>"ε∞ p99"</th><th>"spike median"</th><th>"ms / trial"</th><th></th></tr></thead>
            <tbody>{table}</tbody>
        </table>
        <div class="charts">
            <div hidden=preconditioning>
                <BandChart id="chart-eps2" title="ε₂ = ‖A(x′ − x*)‖ / ‖Ax* − b‖ vs m (median, p10–p90)" x_label="m" y_label="ε₂" bands=bands(|t| t.metrics.eps2) />
            </div>
            <div hidden=preconditioning>
                <BandChart id="chart-epsinf" title="ε∞ = √d‖x′ − x*‖∞ / (‖Ax* − b‖‖A†‖) vs m" x_label="m" y_label="ε∞" bands=bands(|t| t.metrics.epsinf) />
            </div>
            <div hidden=preconditioning>
                <HistogramChart id="chart-epsinf-hist" title="Distribution of ε∞ at the chosen m" x_label="ε∞" series=histogram />
            </div>
            <div hidden=preconditioning>
                <BandChart id="chart-spike" title="Spike score √d‖e‖∞/‖e‖₂ (1 spread … √d one coordinate)" x_label="m" y_label="spike" bands=bands(|t| t.metrics.spike) log_y=false />
            </div>
            <div hidden=move || !preconditioning()>
                <LogChart id="chart-lsqr" title="LSQR on AR⁻¹: excess residual (‖r_k‖ − ‖r*‖)/‖r*‖" x_label="iteration" y_label="excess" series=lsqr floor=1e-17 />
            </div>
        </div>
        <div class="explain">
            <p>
                "x* = argmin ‖Ax − b‖₂ (QR, f64). Sketch-and-solve replaces it by x′ = argmin ‖SAx − Sb‖₂ with S an m × n "
                "random matrix: Gaussian and Rademacher (dense), SRHT (random signs, the Walsh–Hadamard transform, m sampled rows), "
                "CountSketch (one ±1 per column) and OSNAP (s entries ±1/√s per column). For a subspace embedding, ε₂ ≲ √(d/m): "
                "every sketch here meets it on an incoherent A once m is a few times d."
            </p>
            <crate::math::Equations id="eq-sketch" equations=crate::math::SKETCH />
            {crate::kit::knobs::<Params>("knobs-sketch")}
            <p>
                "Song, Ye, Yin & Zhang (ICML 2023) ask for more: ‖x′ − x*‖∞ ≤ (ε/√d)‖Ax* − b‖‖A†‖, i.e. the error spread over the "
                "coordinates. Dense sketches give it; sparse ones can fail it while meeting ℓ2: with A = [I; 0] and a residual made "
                "of 4 spikes, a CountSketch or OSNAP column that hashes a spike onto a row of I dumps the whole spike into one "
                "coordinate of x′ — the spike score rises towards √d and ε∞'s tail grows, although ε₂ matches the Gaussian's. "
                "On [I; 0] with a dense residual CountSketch can even fail ℓ2: two rows of I hashed together make SA rank-deficient "
                "(the table counts them; x′ is then the minimum-norm solution). The paper's bound on m is vacuous at these sizes, "
                "so SRHT's small ε∞ here is observed, not proven."
            </p>
            <p>
                "Sketch-and-precondition (Blendenpik, LSRN) uses S only to build a preconditioner: R from the QR of SA, then LSQR "
                "on AR⁻¹, which is well conditioned for any subspace embedding, started from the sketch-and-solve x₀. It reaches x* "
                "to machine precision with every sketch — the practical solver. Where it runs: S·[A | b] on the GPU when WebGPU "
                "is present (f32; only the m × (d + 1) result is read back), QR, LSQR and the metrics on the CPU in f64."
            </p>
        </div>
    }
}

/// Three decimals, or scientific notation below 1e-3 (sketch-and-precondition's errors are ~1e-15).
fn small(v: f64) -> String {
    if v != 0.0 && v.abs() < 1e-3 {
        format!("{v:.1e}")
    } else {
        format!("{v:.3}")
    }
}

/// The page's own limit: three SVDs on the main thread, one per frame.
fn nuclear_check(p: &NuclearParams) -> Option<String> {
    (p.n.saturating_mul(p.d) > MAX_NUCLEAR_ENTRIES).then(|| {
        format!(
            "N·d = {} is more than the page computes ({MAX_NUCLEAR_ENTRIES}); the CLI takes up to 2²²",
            p.n.saturating_mul(p.d)
        )
    })
}

#[component]
fn NuclearTab(device: Device) -> impl IntoView {
    let lab = crate::kit::use_lab::<NuclearParams, Comparison>(device, crate::kit::runnable(), Some(nuclear_check));
    let runner = lab.runner;
    let rows = Signal::derive(move || {
        runner.frames.track();
        runner.with_steppers(|s| s.first().map(|c| c.rows().to_vec())).flatten().unwrap_or_default()
    });
    let spectrum = Signal::derive(move || {
        rows.with(|r| {
            r.first()
                .map(|row| {
                    vec![Series {
                        name: "σ_k(R̂)",
                        color: RGBColor(40, 110, 200),
                        points: row.spectrum.iter().enumerate().map(|(k, s)| ((k + 1) as f64, *s)).collect(),
                    }]
                })
                .unwrap_or_default()
        })
    });
    let status = move || match rows.with(Vec::len) {
        0 if !runner.running.get() => crate::kit::READY.to_owned(),
        k if k < MATRICES.len() => {
            format!("{} (CPU, f64): {k} of {} matrices measured (one SVD per frame)", runner.state(), MATRICES.len())
        }
        _ => "done (CPU, f64): the three matrices measured".to_owned(),
    };
    view! {
        {crate::kit::panel(lab, &[], ())}
        <crate::link::Presets slug="sketching" tab="nuclear" />
        {crate::kit::chrome(lab, status)}
        <table id="nn-table" class="results">
            <thead><tr><th>"matrix"</th><th>"‖R̂‖_* / N (SVD)"</th><th>"MNN proxy"</th><th>"proxy / true"</th><th>"SVD ms"</th><th>"proxy ms"</th></tr></thead>
            <tbody>
                {move || rows.get().into_iter().zip(MATRICES).map(|(r, label)| view! {
                    <tr>
                        <td>{label}</td>
                        <td class="nn-exact">{format!("{:.4}", r.exact)}</td>
                        <td class="nn-proxy">{format!("{:.4}", r.proxy)}</td>
                        <td class="nn-ratio">{format!("{:.2}", r.ratio)}</td>
                        <td>{format!("{:.1}", r.exact_seconds * 1e3)}</td>
                        <td>{format!("{:.2}", r.proxy_seconds * 1e3)}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
        <div class="charts">
            <LogChart id="chart-spectrum" title="Singular values of R̂ (your matrix)" x_label="k" y_label="σ_k" series=spectrum floor=1e-8 />
        </div>
        <div class="explain">
            <p>
                "R̂ is X with every column centred and every row scaled to unit length. Its nuclear norm ‖R̂‖_* = Σσ_k (divided "
                "by N here) needs an SVD: O(N d min(N, d)). The Matrix Nuclear-Norm proxy (2024) sums the top min(N, d) column "
                "norms of R̂ instead: O(N d), hundreds of times faster (the two timing columns)."
            </p>
            <crate::math::Equations id="eq-nuclear" equations=crate::math::NUCLEAR />
            {crate::kit::knobs::<NuclearParams>("knobs-nuclear")}
            <p>
                "But it is not the nuclear norm, and it can rank matrices the wrong way round: i.i.d. rows have a large nuclear "
                "norm and a proxy about half of it, while rows collapsed onto one direction (rank 1) have a tiny nuclear norm "
                "(one σ = √N) and a larger proxy — compare the two reference rows. Use the proxy to track one model's "
                "drift, not to compare a collapsed representation with a healthy one."
            </p>
        </div>
    }
}
