//! The optimal-transport page: Sinkhorn crawling, SNS converging super-exponentially, the plan, and the
//! sparsity of the Hessian that makes SNS cheap. Parameter panel → run controls → charts.

use std::rc::Rc;
use std::sync::Arc;

use leptos::html::Canvas;
use leptos::prelude::*;
use plotters::coord::Shift;
use plotters::prelude::*;
use regula_core::metrics as key;
use regula_core::ot::analysis::{mass_captured, plan, top_k_pattern};
use regula_core::ot::csv::parse_points;
use regula_core::ot::lab::Params;
use regula_core::ot::run::OtRun;
use regula_core::ot::{OtProblem, Points, ProblemSpec};
use regula_core::Error;

use crate::chart::series;
use crate::chart::LogChart;
use crate::device::Device;

use regula_charts::ot::{PlanLayout, OT_COLORS as COLORS};
use regula_core::ot::analysis::MAX_DRAWN;

/// Everything the views need from the first run's current iterate.
#[derive(Clone)]
struct Snapshot {
    problem: Arc<OtProblem>,
    p: Arc<Vec<f64>>,
    keep: usize,
}

#[component]
pub fn OtPage(device: Device) -> impl IntoView {
    let sweep = RwSignal::new(crate::link::tab("ot").as_deref() == Some("sweep"));
    view! {
        <section class="lab" aria-labelledby="ot-title">
            <h2 id="ot-title">"Optimal transport: Sinkhorn, log-domain Sinkhorn and Sinkhorn–Newton–Sparse"</h2>
            <crate::link::Presets slug="ot" />
            {crate::sweep::tab_bar(sweep)}
            {move || if sweep.get() {
                view! { <SweepTab device=device /> }.into_any()
            } else {
                view! { <SingleRun device=device /> }.into_any()
            }}
        </section>
    }
}

/// The OT page's Sweep tab: many transport problems over a grid of ε, n, tolerance and seed, solved side by
/// side (`regula_core::ot::sweep`), drawn by the shared sweep tab (`crate::sweep`).
#[component]
fn SweepTab(device: Device) -> impl IntoView {
    use regula_core::ot::sweep::Params as SweepParams;
    /// The page's own limit: the grid a browser tab solves at a useful pace.
    fn page_check(p: &SweepParams) -> Option<String> {
        const MAX_PAGE_PROBLEMS: usize = 1024;
        (p.len() > MAX_PAGE_PROBLEMS).then(|| {
            format!("{} problems: the page solves up to {MAX_PAGE_PROBLEMS} at once (`regula sweep ot` takes more, and --shard splits them)", p.len())
        })
    }
    let explain = view! {
        <p>
            "An OT sweep solves one entropic transport problem per grid point and seed — each the OT lab's log-domain "
            "Sinkhorn run of its cell's problem (a click on a cell opens its first problem on the Single run tab) — and "
            "colours each cell by the mean over its seeds of the iterations to the tolerance, the transport cost ⟨C, P⟩, "
            "or the final marginal error. Sinkhorn converges linearly, at a rate that degrades as ε shrinks: the "
            "iterations to a tolerance grow roughly like 1/ε, and like log(1/tol) at a fixed ε. The x and y axes "
            "override their fields of the panel in each cell (n sets both clouds' sizes). Where it runs: on a GPU "
            "every problem is solved in the same dispatches, a workgroup per problem running a whole iteration per dispatch "
            "(f32, stopping at f32's floor near 1e-6, as the single GPU run does) — the batched use that JAX's vmap "
            "gives OTT-JAX; beside a software adapter, or without WebGPU, each problem is the single-run CPU solver "
            "in f64, a few at a time, within each frame's budget. Red cells diverged; grey cells could not run "
            "(hover for why)."
        </p>
    };
    crate::sweep::phase_tab::<SweepParams>(device, &[], page_check, explain)
}

/// One OT run (or two, compared) live: the page's first tab.
#[component]
fn SingleRun(device: Device) -> impl IntoView {
    let upload = StoredValue::new_local(None::<(Points, Points)>);
    let halves = StoredValue::new_local([None::<(Points, String)>, None]);
    let uploaded = RwSignal::new(None::<String>);
    let upload_error = RwSignal::new(None::<String>);
    let previews = RwSignal::new(Vec::<crate::preview::Preview>::new());
    let preview_slots = StoredValue::new([None::<crate::preview::Preview>, None]);
    // The problem of the last run, rebuilt when its spec or the upload changes.
    let problem_cache = StoredValue::new_local(None::<(ProblemSpec, Arc<OtProblem>)>);
    let build_problem = move |spec: &ProblemSpec| -> Result<Arc<OtProblem>, Error> {
        if let Some((_, p)) = problem_cache.get_value().filter(|(s, _)| s == spec) {
            return Ok(p);
        }
        let p = match upload.get_value() {
            Some((x, y)) => {
                let mut p = OtProblem::points(x, y, spec.cost)?;
                if spec.normalize_cost {
                    p.normalize_cost();
                }
                p
            }
            None => spec.build()?,
        };
        let p = Arc::new(p);
        problem_cache.set_value(Some((spec.clone(), p.clone())));
        Ok(p)
    };
    let start: crate::kit::Start<Params, OtRun> = Rc::new(move |p, device| {
        let problem = build_problem(&p.problem);
        Box::pin(async move {
            let problem = problem?;
            regula_core::ot::run::start(&p, &problem, &device).await
        })
    });
    let lab = crate::kit::use_lab(device, start, None)
        // The stopping rule applies to a live run without restarting it (the iterate stays valid).
        .with_live(
            &["solver.tol", "solver.max_iter"],
            Rc::new(|r: &mut OtRun, p: &Params| r.set_stopping(p.solver.tol, p.solver.max_iter)),
        );
    let (params, runner) = (lab.params, lab.runner);
    // Choosing a generated problem puts an uploaded pair aside.
    let kind = Memo::new(move |_| params.with(|p| p.problem.kind));
    Effect::new(move |previous: Option<regula_core::ot::ProblemKind>| {
        let now = kind.get();
        if previous.is_some_and(|k| k != now) {
            upload.set_value(None);
            halves.set_value([None, None]);
            uploaded.set(None);
            previews.set(Vec::new());
            preview_slots.set_value([None, None]);
            lab.files.set(Vec::new());
            problem_cache.set_value(None);
        }
        now
    });

    let labels = Signal::derive(move || {
        runner.frames.with(|_| {
            runner
                .with_steppers(|runs| runs.iter().map(|r| r.label().to_owned()).collect::<Vec<_>>())
                .unwrap_or_default()
        })
    });
    let error_vs = move |x_time: bool| {
        Signal::derive(move || {
            let names = labels.get();
            runner.frames.with(|fs| {
                fs.iter()
                    .enumerate()
                    .filter_map(|(k, frames)| {
                        let name: &'static str =
                            Box::leak(names.get(k).cloned().unwrap_or_else(|| "run".into()).into_boxed_str());
                        let mut s = series(frames, name, key::MARGINAL_ERROR, COLORS[k % 2])?;
                        if x_time {
                            s.points = frames
                                .iter()
                                .filter_map(|f| f.metric(key::MARGINAL_ERROR).map(|e| (f.elapsed_ms, e)))
                                .collect();
                        }
                        Some(s)
                    })
                    .collect()
            })
        })
    };
    let snapshot = Signal::derive(move || -> Option<Snapshot> {
        let frames = runner.frames.with(|fs| fs.first().map_or(0, |f| f.len()));
        let running = runner.running.get();
        // Redraw every 8th frame while running (each view evaluates all of P), and on pause/finish.
        if frames == 0 || (running && frames % 8 != 1) {
            return None;
        }
        let problem = problem_cache.get_value()?.1;
        if problem.n() * problem.m() > MAX_DRAWN {
            return None;
        }
        let (f, g) = runner.with_steppers(|runs| runs.first().and_then(|r| r.cached_potentials())).flatten()?;
        let eps = params.with_untracked(|p| p.solver.eps);
        // The run's own k (the automatic density grows it); the setting's when no run has one.
        let running_keep = runner.with_steppers(|runs| runs.iter().map(OtRun::keep).max()).flatten().filter(|&k| k > 0);
        let keep = running_keep.unwrap_or_else(|| params.with_untracked(|p| p.solver.keep_per_row(problem.m())));
        Some(Snapshot { p: Arc::new(plan(&problem, &f, &g, eps)), problem, keep })
    });
    // Why the two pictures stay empty after a run on a problem too large to draw.
    let undrawn = Signal::derive(move || -> Option<String> {
        let frames = runner.frames.with(|fs| fs.first().map_or(0, |f| f.len()));
        let (n, m) = problem_cache.with_value(|c| c.as_ref().map(|c| (c.1.n(), c.1.m())))?;
        (frames > 0 && n * m > MAX_DRAWN).then(|| {
            format!(
                "Not drawn: P has n × m = {n} × {m} = {} entries, and the page draws the plan and its sparsity up \
                 to {MAX_DRAWN} (each picture evaluates all of P).",
                n * m
            )
        })
    });
    let status = move || {
        let names = labels.get();
        runner.frames.with(|fs| {
            if fs.is_empty() {
                return crate::kit::READY.to_owned();
            }
            let state = runner.state();
            let parts: Vec<String> = fs
                .iter()
                .enumerate()
                .filter_map(|(k, frames)| {
                    let f = frames.last()?;
                    let stop = f.stop.map(|s| format!(" ({s:?})")).unwrap_or_default();
                    // SNS's Newton frames: what share of P its sparsified Hessian holds.
                    let kept = f
                        .metric(key::KEPT_MASS)
                        .map(|k| format!(" · Hessian keeps {:.1} % of P's mass", 100.0 * k))
                        .unwrap_or_default();
                    Some(format!(
                        "{}: iteration {}{} · marginal error {:.2e} · ⟨C,P⟩ {:.6}{kept}{stop}",
                        names.get(k).map_or("run", String::as_str),
                        f.iteration,
                        f.phase.as_deref().map(|p| format!(" [{p}]")).unwrap_or_default(),
                        f.metric(key::MARGINAL_ERROR).unwrap_or(f64::NAN),
                        f.metric(key::TRANSPORT_COST).unwrap_or(f64::NAN),
                    ))
                })
                .collect();
            format!("{state}: {}", parts.join(" | "))
        })
    };

    let on_file = move |which: usize, ev: leptos::ev::Event| {
        crate::form::read_chosen_file(
            ev,
            move |name, text| match parse_points(&name, &text) {
                Ok(points) => {
                    upload_error.set(None);
                    let mut header = crate::preview::numbered("x", points.dim);
                    header.push("weight (normalised)".into());
                    let rows: Vec<f64> = points
                        .coords
                        .chunks(points.dim.max(1))
                        .zip(&points.weights)
                        .flat_map(|(c, w)| c.iter().copied().chain([*w]))
                        .collect();
                    let preview = crate::preview::Preview::of(&name, header, &rows, points.dim + 1);
                    preview_slots.update_value(|s| s[which] = Some(preview));
                    previews.set(preview_slots.with_value(|s| s.iter().flatten().cloned().collect()));
                    halves.update_value(|h| h[which] = Some((points, name)));
                    halves.with_value(|h| match h {
                        [Some((x, xn)), Some((y, yn))] => {
                            uploaded.set(Some(format!(
                                "Uploaded: {} points from {xn} → {} points from {yn}",
                                x.len(),
                                y.len()
                            )));
                            upload.set_value(Some((x.clone(), y.clone())));
                        }
                        _ => uploaded.set(Some("One file loaded: choose the other cloud too.".into())),
                    });
                    halves.with_value(|h| {
                        let names: Vec<(&'static str, String)> = h
                            .iter()
                            .zip(["source", "target"])
                            .filter_map(|(x, k)| x.as_ref().map(|(_, n)| (k, n.clone())))
                            .collect();
                        lab.files.set(if names.len() == 2 { names } else { Vec::new() });
                    });
                    runner.reset();
                    problem_cache.set_value(None);
                }
                Err(e) => upload_error.set(Some(e.to_string())),
            },
            move |e| upload_error.set(Some(e)),
        );
    };

    view! {
            <p class="explain">
                "Entropic OT: min ⟨C,P⟩ − ε H(P) over P ≥ 0 with P1 = a, Pᵀ1 = b; P_ij = exp((f_i + g_j − C_ij)/ε). "
                "Sinkhorn alternates g_j ← ε log b_j − ε LSE_i((f_i − C_ij)/ε) and f_i ← ε log a_i − ε LSE_j((g_j − C_ij)/ε) "
                "(kernel mode multiplies by K = exp(−C/ε) instead, and underflows once C/ε passes ~700). "
                "SNS (Tang et al., ICLR 2024) runs N1 Sinkhorn steps, then Newton steps on F(f,g) = ⟨a,f⟩ + ⟨b,g⟩ − ε ΣP "
                "with the Hessian −(1/ε)[[diag P1, P],[Pᵀ, diag Pᵀ1]] sparsified to the k largest entries of P per row, "
                "solved by conjugate gradients, with Armijo backtracking on F's change (computed as P·expm1 of the step, "
                "so it stays exact where F itself no longer resolves it). k: the density you set (⌈λm⌉ per row), or "
                "automatic — 10 per row, doubled whenever the kept entries hold less than 99 % of P's mass, on the GPU up to 64 (a point cloud's "
                "plan spreads each row over its neighbours, and a Hessian that misses most of P gives Sinkhorn-like steps). Stop: ‖P1 − a‖₁ + ‖Pᵀ1 − b‖₁ ≤ tol. "
                "Where it runs: log-domain Sinkhorn runs on the GPU (f32 — it stops at f32's floor near 1e-6 and says so). "
                "SNS splits: the dense passes over P (row and column sums, the k largest entries per row, ΣP for each Armijo "
                "trial) run on the GPU in f32, and only those n + m sums and n·k entries come back; the sparse CG runs on the "
                "CPU in f64, because it is a sequential, latency-bound loop of small steps. With backend auto, SNS uses the "
                "GPU when the tolerance is at least 1e-6 (what f32 can vouch for) or n·m is too large for the CPU; a tighter "
                "tolerance runs it all on the CPU in f64, since the Newton polish to 1e-12 needs f64. "
                "Kernel Sinkhorn runs on the CPU in f64 (in f32 exp(−C/ε) underflows already at C/ε ≈ 87)."
            </p>
            <crate::math::Equations id="eq-ot" equations=crate::math::OT />
            {crate::kit::knobs::<Params>("knobs-ot")}
            {crate::kit::panel(lab, &[], view! {
                <div class="field">
                    <label for="source-file">"source CSV"</label>
                    <input id="source-file" type="file" accept=".csv,text/csv" on:change=move |ev| on_file(0, ev) />
                </div>
                <div class="field">
                    <label for="target-file">"target CSV"</label>
                    <input id="target-file" type="file" accept=".csv,text/csv" on:change=move |ev| on_file(1, ev) />
                </div>
            })}
            <p class="muted" hidden=move || uploaded.get().is_none()>{move || uploaded.get()}</p>
            <crate::form::UploadPreviews id="ot-preview" previews=previews />
            <p id="upload-error" class="error" role="alert" hidden=move || upload_error.get().is_none()>{move || upload_error.get()}</p>
            {crate::kit::chrome(lab, status)}
            <div class="charts">
                <LogChart id="chart-error-iter" title="Marginal error (ℓ1) vs iteration" x_label="iteration" y_label="error" series=error_vs(false) floor=1e-16 />
                <LogChart id="chart-error-time" title="Marginal error (ℓ1) vs wall time" x_label="ms" y_label="error" series=error_vs(true) floor=1e-16 />
                <PlanView snapshot=snapshot undrawn=undrawn />
                <SparsityView snapshot=snapshot undrawn=undrawn />
            </div>
    }
}

/// The plan: lines between matched points with opacity ∝ mass (point clouds in 2-D), or a heatmap.
#[component]
fn PlanView(snapshot: Signal<Option<Snapshot>>, undrawn: Signal<Option<String>>) -> impl IntoView {
    let canvas = NodeRef::<Canvas>::new();
    Effect::new(move |_| {
        if let (Some(s), Some(c)) = (snapshot.get(), canvas.get()) {
            let painter = crate::chart::Painter::Canvas(c.clone());
            if let Err(e) = crate::chart::canvas_root(c).and_then(|root| draw_plan(root, &painter, &s)) {
                leptos::logging::warn!("plan view: {e}");
            }
        }
    });
    let svg: crate::chart::SvgExport = std::rc::Rc::new(move || {
        snapshot.with_untracked(|s| {
            s.as_ref()
                .ok_or_else(|| "nothing drawn yet".to_owned())
                .and_then(|s| regula_charts::svg(|root| draw_plan(root, &crate::chart::Painter::Vector, s)))
        })
    });
    view! {
        <figure class="chart">
            <canvas id="chart-plan" node_ref=canvas width="600" height="320" role="img" aria-label="transport plan"></canvas>
            <crate::chart::ExportBar id="chart-plan" canvas=canvas svg=svg />
            <figcaption class="undrawn" hidden=move || undrawn.with(Option::is_none)>{move || undrawn.get()}</figcaption>
        </figure>
    }
}

fn draw_plan<DB: DrawingBackend>(
    root: DrawingArea<DB, Shift>,
    painter: &crate::chart::Painter,
    s: &Snapshot,
) -> Result<(), Box<dyn std::error::Error>>
where
    DB::ErrorType: 'static,
{
    let layout = match &s.problem.geometry {
        regula_core::ot::problem::Geometry::Points { x, y, .. } if x.dim == 2 => {
            PlanLayout::Points { x: &x.coords, y: &y.coords }
        }
        _ => PlanLayout::Matrix,
    };
    let raster =
        |root: &DrawingArea<DB, Shift>, area, cols, rows, rgb: &[[u8; 3]]| painter.raster(root, area, cols, rows, rgb);
    regula_charts::ot::draw_plan(root, &raster, &s.p, s.problem.n(), s.problem.m(), layout)
}

/// The sparsified Hessian's kept entries (top k of P per row), and the mass they capture vs k.
#[component]
fn SparsityView(snapshot: Signal<Option<Snapshot>>, undrawn: Signal<Option<String>>) -> impl IntoView {
    let canvas = NodeRef::<Canvas>::new();
    let captured = RwSignal::new(String::new());
    Effect::new(move |_| {
        if let (Some(s), Some(c)) = (snapshot.get(), canvas.get()) {
            match crate::chart::canvas_root(c).and_then(|root| draw_sparsity(root, &s)) {
                Ok(text) => captured.set(text),
                Err(e) => leptos::logging::warn!("sparsity view: {e}"),
            }
        }
    });
    let svg: crate::chart::SvgExport = std::rc::Rc::new(move || {
        snapshot.with_untracked(|s| {
            s.as_ref()
                .ok_or_else(|| "nothing drawn yet".to_owned())
                .and_then(|s| regula_charts::svg(|root| draw_sparsity(root, s).map(drop)))
        })
    });
    view! {
        <figure class="chart">
            <canvas id="chart-sparsity" node_ref=canvas width="600" height="320" role="img" aria-label="Hessian sparsity"></canvas>
            <crate::chart::ExportBar id="chart-sparsity" canvas=canvas svg=svg />
            <figcaption id="sparsity-caption">{move || undrawn.get().unwrap_or_else(|| captured.get())}</figcaption>
        </figure>
    }
}

fn draw_sparsity<DB: DrawingBackend>(
    root: DrawingArea<DB, Shift>,
    s: &Snapshot,
) -> Result<String, Box<dyn std::error::Error>>
where
    DB::ErrorType: 'static,
{
    let (n, m) = (s.problem.n(), s.problem.m());
    let pattern = top_k_pattern(&s.p, n, m, s.keep);
    let ks: Vec<usize> = (1..=m.min(s.keep.max(40))).collect();
    regula_charts::ot::draw_sparsity(root, n, m, s.keep, &pattern, &mass_captured(&s.p, n, m, &ks))
}
