//! The optimal-transport page: Sinkhorn crawling, SNS converging super-exponentially, the plan, and the
//! sparsity of the Hessian that makes SNS cheap. Parameter panel → run controls → charts.

use std::rc::Rc;
use std::sync::Arc;

use leptos::html::Canvas;
use leptos::prelude::*;
use plotters::prelude::*;
use plotters::coord::Shift;
use regula_core::ot::analysis::{mass_captured, plan, top_k_pattern};
use regula_core::ot::{
    auto_runs_on_gpu, csv::parse_points, GpuSinkhorn, GroundCost, Method, OtProblem, OtSolver, Points, ProblemKind, ProblemSpec, SolverParams,
};
use regula_core::{BackendChoice, Budget, Error, Frame, Stepper};

use crate::app::Device;
use crate::chart::LogChart;
use crate::kernels::series;
use crate::runner::{Factory, RunControls, Runner};

use regula_charts::ot::{PlanLayout, OT_COLORS as COLORS};
/// Largest n·m the plan and Hessian views draw (they evaluate every P_ij).
const MAX_DRAWN: usize = 400_000;

/// One OT run on either backend.
pub enum OtRun {
    Cpu(OtSolver, &'static str),
    Gpu(GpuSinkhorn, &'static str),
}

impl OtRun {
    fn label(&self) -> &'static str {
        match self {
            OtRun::Cpu(_, l) | OtRun::Gpu(_, l) => l,
        }
    }

    fn set_stopping(&mut self, tol: f64, max_iter: u64) -> Result<(), Error> {
        match self {
            OtRun::Cpu(s, _) => s.set_stopping(tol, max_iter),
            OtRun::Gpu(s, _) => s.set_stopping(tol, max_iter),
        }
    }

    fn potentials(&self) -> Option<(Vec<f64>, Vec<f64>)> {
        match self {
            OtRun::Cpu(s, _) => Some(s.potentials()),
            OtRun::Gpu(s, _) => s.cached_potentials(),
        }
    }

    /// Entries per row SNS keeps now (the automatic density grows it during the run).
    fn keep(&self) -> usize {
        match self {
            OtRun::Cpu(s, _) => s.keep(),
            OtRun::Gpu(s, _) => s.keep(),
        }
    }
}

impl Stepper for OtRun {
    async fn step(&mut self, budget: Budget) -> Result<Frame, Error> {
        match self {
            OtRun::Cpu(s, _) => s.step(budget).await,
            OtRun::Gpu(s, _) => s.step(budget).await,
        }
    }
}

/// The method picker: one method, or log-domain Sinkhorn and SNS side by side.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    One(Method),
    Compare,
}

/// What a link carries for this lab.
#[derive(Clone, PartialEq, serde::Serialize, serde::Deserialize)]
struct Link {
    problem: ProblemSpec,
    solver: SolverParams,
    /// A method's name or `compare`.
    mode: String,
    backend: BackendChoice,
}

impl Mode {
    fn parse(s: &str) -> Option<Mode> {
        if s == "compare" {
            Some(Mode::Compare)
        } else {
            s.parse::<Method>().ok().map(Mode::One)
        }
    }

    fn value(self) -> &'static str {
        match self {
            Mode::One(m) => m.name(),
            Mode::Compare => "compare",
        }
    }

    fn methods(self) -> Vec<Method> {
        match self {
            Mode::One(m) => vec![m],
            Mode::Compare => vec![Method::LogSinkhorn, Method::Sns],
        }
    }
}

/// Everything the views need from the first run's current iterate.
#[derive(Clone)]
struct Snapshot {
    problem: Arc<OtProblem>,
    p: Arc<Vec<f64>>,
    keep: usize,
}

/// The papers' settings, one click each (REFERENCE.md §1).
const PRESETS: &[crate::link::Preset] = &[
    crate::link::Preset {
        title: "SNS paper: random assignment, n = 500, ε = 1/1200",
        source: "Tang et al. 2024 (Sinkhorn–Newton–Sparse), Table 1's row: SNS ≤ 35 iterations to 1e-12 (Sinkhorn: 56,199)",
        query: "problem.kind=random&problem.n=500&problem.m=500&problem.seed=1&problem.normalize_cost=false&solver.eps=0.0008333333333333334&solver.tol=0.000000000001&mode=sns",
    },
    crate::link::Preset {
        title: "SNS paper: digit pair, W2, ε = 1/1200",
        source: "Tang et al. 2024, Table 1's image row (squared-Euclidean cost): SNS 53 = 20 + 33 iterations, Sinkhorn 2,041; ours: 56 = 20 + 36 to 1e-12 (log-domain Sinkhorn 2,345 to 1e-9)",
        query: "problem.kind=digits&solver.eps=0.0008333333333333334&solver.tol=0.000000000001&mode=sns",
    },
    crate::link::Preset {
        title: "SNS paper: digit pair, W1, ε = 1/1200, N1 = 700",
        source: "Tang et al. 2024, Table 1's image row (Euclidean cost): SNS 777 = 700 + 77 iterations, Sinkhorn 5,748; ours: 828 = 700 + 128 to 1e-12 (log-domain Sinkhorn 11,110 to 1e-9)",
        query: "problem.kind=digits&problem.cost=euclidean&solver.eps=0.0008333333333333334&solver.n1=700&solver.tol=0.000000000001&mode=sns",
    },
    crate::link::Preset { title: "Two moons, compare", source: "log-domain Sinkhorn (GPU) and SNS (CPU) side by side, ε = 0.005", query: "problem.kind=moons&problem.n=400&problem.m=400" },
];

#[component]
pub fn OtPage(device: Device) -> impl IntoView {
    let defaults = Link {
        problem: ProblemSpec { kind: ProblemKind::Random, n: 200, m: 200, normalize_cost: true, ..Default::default() },
        solver: SolverParams { eps: 1.0 / 200.0, tol: 1e-10, ..Default::default() },
        mode: Mode::Compare.value().to_owned(),
        backend: BackendChoice::Auto,
    };
    let restored = crate::link::restore("ot", None, &defaults, |l: &Link| -> Result<(), Error> {
        l.problem.validate()?;
        l.solver.validate()?;
        Mode::parse(&l.mode).map(|_| ()).ok_or_else(|| Error::Invalid { name: "mode", message: format!("`{}` is not a method or `compare`", l.mode) })
    });
    let (notices, autorun) = (restored.notices, restored.run);
    let spec = RwSignal::new(restored.value.problem);
    let solver = RwSignal::new(restored.value.solver);
    let mode = RwSignal::new(Mode::parse(&restored.value.mode).unwrap_or(Mode::Compare));
    let backend = RwSignal::new(restored.value.backend);
    let linked = Signal::derive(move || Link { problem: spec.get(), solver: solver.get(), mode: mode.get().value().to_owned(), backend: backend.get() });
    crate::link::sync("ot", None, linked, defaults);
    let upload = StoredValue::new_local(None::<(Points, Points)>);
    let halves = StoredValue::new_local([None::<(Points, String)>, None]);
    let uploaded = RwSignal::new(None::<String>);
    let upload_error = RwSignal::new(None::<String>);
    let previews = RwSignal::new(Vec::<crate::form::Preview>::new());
    let preview_slots = StoredValue::new([None::<crate::form::Preview>, None]);
    let problem_cache = StoredValue::new_local(None::<Arc<OtProblem>>);

    let build_problem = move || -> Result<Arc<OtProblem>, Error> {
        if let Some(p) = problem_cache.get_value() {
            return Ok(p);
        }
        let p = match upload.get_value() {
            Some((x, y)) => {
                let mut p = OtProblem::points(x, y, spec.get_untracked().cost)?;
                if spec.get_untracked().normalize_cost {
                    p.normalise_cost();
                }
                p
            }
            None => spec.get_untracked().build()?,
        };
        let p = Arc::new(p);
        problem_cache.set_value(Some(p.clone()));
        Ok(p)
    };
    let factory: Factory<OtRun> = Rc::new(move || {
        let params = solver.get_untracked();
        let methods = mode.get_untracked().methods();
        let choice = backend.get_untracked();
        let gpu = device.backend(choice).gpu().cloned();
        let problem = build_problem();
        Box::pin(async move {
            let problem = problem?;
            let mut runs = Vec::new();
            for method in methods {
                let p = SolverParams { method, ..params.clone() };
                // The GPU runs log-domain Sinkhorn and SNS's dense passes (`auto` as `auto_runs_on_gpu`);
                // kernel Sinkhorn and ε-scaling run on the CPU in f64.
                let on_gpu = !params.eps_scaling && (choice == BackendChoice::Gpu || auto_runs_on_gpu(&p, &problem));
                let run = match (&gpu, method) {
                    (Some(ctx), Method::LogSinkhorn) if on_gpu => OtRun::Gpu(GpuSinkhorn::new(ctx.clone(), &problem, p).await?, "log-sinkhorn (GPU, f32)"),
                    (Some(ctx), Method::Sns) if on_gpu => {
                        OtRun::Gpu(GpuSinkhorn::new(ctx.clone(), &problem, p).await?, "sns (dense passes: GPU f32; CG: CPU f64)")
                    }
                    _ => OtRun::Cpu(
                        OtSolver::new(&problem, p)?,
                        match method {
                            Method::Sinkhorn => "sinkhorn (CPU, f64)",
                            Method::LogSinkhorn => "log-sinkhorn (CPU, f64)",
                            Method::Sns => "sns (CPU, f64)",
                        },
                    ),
                };
                runs.push(run);
            }
            Ok(runs)
        })
    });
    let runner = Runner::new(factory);
    if autorun {
        runner.run();
    }
    // A problem parameter invalidates the problem and the run; a solver parameter only the run.
    let edit_problem = move |f: Box<dyn FnOnce(&mut ProblemSpec)>| {
        runner.reset();
        problem_cache.set_value(None);
        spec.update(|s| f(s));
    };
    let edit_solver = move |f: Box<dyn FnOnce(&mut SolverParams)>| {
        runner.reset();
        solver.update(|s| f(s));
    };
    // The stopping rule applies to a live run without restarting it (the iterate stays valid).
    let edit_stopping = move |f: Box<dyn FnOnce(&mut SolverParams)>| {
        let mut next = solver.get_untracked();
        f(&mut next);
        let (tol, max_iter) = (next.tol, next.max_iter);
        let live = next.validate().is_ok() && runner.update_live(|r| r.set_stopping(tol, max_iter)).unwrap_or(false);
        if !live {
            runner.reset();
        }
        solver.set(next);
    };
    let invalid = Memo::new(move |_| {
        spec.with(|s| s.validate().err()).or_else(|| solver.with(|s| s.validate().err())).map(|e| e.to_string())
    });

    let labels = Signal::derive(move || {
        runner.frames.with(|_| runner.with_steppers(|runs| runs.iter().map(|r| r.label()).collect::<Vec<_>>()).unwrap_or_default())
    });
    let error_vs = move |x_time: bool| {
        Signal::derive(move || {
            let names = labels.get();
            runner.frames.with(|fs| {
                fs.iter()
                    .enumerate()
                    .filter_map(|(k, frames)| {
                        let name = names.get(k).copied().unwrap_or("run");
                        let mut s = series(frames, name, "marginal_error", COLORS[k % 2])?;
                        if x_time {
                            s.points = frames.iter().filter_map(|f| f.metric("marginal_error").map(|e| (f.elapsed_ms, e))).collect();
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
        let problem = problem_cache.get_value()?;
        if problem.n() * problem.m() > MAX_DRAWN {
            return None;
        }
        let (f, g) = runner.with_steppers(|runs| runs.first().and_then(|r| r.potentials())).flatten()?;
        let eps = solver.with_untracked(|s| s.eps);
        // The run's own k (the automatic density grows it); the setting's when no run has one.
        let running_keep = runner.with_steppers(|runs| runs.iter().map(OtRun::keep).max()).flatten().filter(|&k| k > 0);
        let keep = running_keep.unwrap_or_else(|| solver.with_untracked(|s| s.keep_per_row(problem.m())));
        Some(Snapshot { p: Arc::new(plan(&problem, &f, &g, eps)), problem, keep })
    });
    let status = move || {
        if let Some(e) = runner.error.get() {
            return e;
        }
        let names = labels.get();
        runner.frames.with(|fs| {
            if fs.is_empty() {
                return "Ready: press Run (space) or Step.".to_owned();
            }
            let state = runner.state();
            let parts: Vec<String> = fs
                .iter()
                .enumerate()
                .filter_map(|(k, frames)| {
                    let f = frames.last()?;
                    let stop = f.stop.map(|s| format!(" ({s:?})")).unwrap_or_default();
                    // SNS's Newton frames: what share of P its sparsified Hessian holds.
                    let kept = f.metric("kept_mass").map(|k| format!(" · Hessian keeps {:.1} % of P's mass", 100.0 * k)).unwrap_or_default();
                    Some(format!(
                        "{}: iteration {}{} · marginal error {:.2e} · ⟨C,P⟩ {:.6}{kept}{stop}",
                        names.get(k).copied().unwrap_or("run"),
                        f.iteration,
                        f.phase.as_deref().map(|p| format!(" [{p}]")).unwrap_or_default(),
                        f.metric("marginal_error").unwrap_or(f64::NAN),
                        f.metric("transport_cost").unwrap_or(f64::NAN),
                    ))
                })
                .collect();
            format!("{state}: {}", parts.join(" | "))
        })
    };

    let number = move |label: &'static str, id: &'static str, value: Signal<String>, set: crate::form::Setter| {
        crate::form::number_field(label, id, value, set, runner.error)
    };
    use crate::form::{parse_f64, parse_usize};

    let on_file = move |which: usize, ev: leptos::ev::Event| {
        crate::form::read_chosen_file(ev, move |name, text| {
            match parse_points(&name, &text) {
                Ok(points) => {
                    upload_error.set(None);
                    let mut header = crate::form::numbered("x", points.dim);
                    header.push("weight (normalised)".into());
                    let rows: Vec<f64> = points.coords.chunks(points.dim.max(1)).zip(&points.weights).flat_map(|(c, w)| c.iter().copied().chain([*w])).collect();
                    let preview = crate::form::Preview::of(&name, header, &rows, points.dim + 1);
                    preview_slots.update_value(|s| s[which] = Some(preview));
                    previews.set(preview_slots.with_value(|s| s.iter().flatten().cloned().collect()));
                    halves.update_value(|h| h[which] = Some((points, name)));
                    halves.with_value(|h| match h {
                        [Some((x, xn)), Some((y, yn))] => {
                            uploaded.set(Some(format!("Uploaded: {} points from {xn} → {} points from {yn}", x.len(), y.len())));
                            upload.set_value(Some((x.clone(), y.clone())));
                        }
                        _ => uploaded.set(Some("One file loaded: choose the other cloud too.".into())),
                    });
                    runner.reset();
                    problem_cache.set_value(None);
                }
                Err(e) => upload_error.set(Some(e.to_string())),
            }
        }, move |e| upload_error.set(Some(e)));
    };

    view! {
        <section class="lab" aria-labelledby="ot-title">
            <h2 id="ot-title">"Optimal transport: Sinkhorn, log-domain Sinkhorn and Sinkhorn–Newton–Sparse"</h2>
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
            <crate::math::KnobHelp id="knobs-ot" knobs=crate::math::OT_KNOBS />
            <form class="panel" on:submit=|ev| ev.prevent_default() aria-label="Parameters">
                <label for="problem">"problem"</label>
                <select id="problem" on:change=move |ev| {
                    match event_target_value(&ev).parse::<ProblemKind>() {
                        Ok(kind) => {
                            upload.set_value(None);
                            uploaded.set(None);
                            previews.set(Vec::new());
                            preview_slots.set_value([None, None]);
                            edit_problem(Box::new(move |s| s.kind = kind));
                        }
                        Err(e) => runner.error.set(Some(e.to_string())),
                    }
                }>
                    {ProblemKind::ALL.into_iter().map(|k| view! {
                        <option value=k.name() selected=move || spec.with(|s| s.kind == k)>{k.name()}</option>
                    }).collect_view()}
                </select>
                {number("n", "n", Signal::derive(move || spec.with(|s| s.n.to_string())),
                    Rc::new(move |v| { let n = parse_usize("n", v)?; edit_problem(Box::new(move |s| s.n = n)); Ok(()) }))}
                {number("m", "m", Signal::derive(move || spec.with(|s| s.m.to_string())),
                    Rc::new(move |v| { let m = parse_usize("m", v)?; edit_problem(Box::new(move |s| s.m = m)); Ok(()) }))}
                {number("seed", "seed", Signal::derive(move || spec.with(|s| s.seed.to_string())),
                    Rc::new(move |v| { let k = parse_usize("seed", v)? as u64; edit_problem(Box::new(move |s| s.seed = k)); Ok(()) }))}
                <label for="cost">"ground cost"</label>
                <select id="cost" on:change=move |ev| {
                    if let Ok(c) = event_target_value(&ev).parse::<GroundCost>() { edit_problem(Box::new(move |s| s.cost = c)) }
                }>
                    <option value="sqeuclidean" selected=move || spec.with(|s| s.cost == GroundCost::SqEuclidean)>"squared Euclidean"</option>
                    <option value="euclidean" selected=move || spec.with(|s| s.cost == GroundCost::Euclidean)>"Euclidean"</option>
                </select>
                <label for="normalize">"normalise C (C / max C)"</label>
                <input id="normalize" type="checkbox" prop:checked=move || spec.with(|s| s.normalize_cost)
                    on:change=move |ev| { let on = event_target_checked(&ev); edit_problem(Box::new(move |s| s.normalize_cost = on)) } />
                <label for="eps">{move || format!("ε = {:.2e}", solver.with(|s| s.eps))}</label>
                <input id="eps" type="range" min="-4" max="0" step="0.05" aria-label="epsilon, log scale"
                    prop:value=move || solver.with(|s| s.eps.log10().to_string())
                    on:change=move |ev| {
                        if let Ok(l) = event_target_value(&ev).parse::<f64>() {
                            let eps = 10f64.powf(l);
                            edit_solver(Box::new(move |s| s.eps = eps));
                        }
                    } />
                <label for="method">"method"</label>
                <select id="method" on:change=move |ev| {
                    let v = event_target_value(&ev);
                    let m = if v == "compare" { Ok(Mode::Compare) } else { v.parse::<Method>().map(Mode::One) };
                    if let Ok(m) = m { runner.reset(); mode.set(m); }
                }>
                    {[Mode::Compare, Mode::One(Method::Sns), Mode::One(Method::LogSinkhorn), Mode::One(Method::Sinkhorn)].into_iter().map(|m| view! {
                        <option value=m.value() selected=move || mode.get() == m>{match m {
                            Mode::Compare => "compare: log-sinkhorn vs sns",
                            Mode::One(m) => m.name(),
                        }}</option>
                    }).collect_view()}
                </select>
                {number("N1 (SNS warm-up)", "n1", Signal::derive(move || solver.with(|s| s.n1.to_string())),
                    Rc::new(move |v| { let k = parse_usize("n1", v)? as u64; edit_solver(Box::new(move |s| s.n1 = k)); Ok(()) }))}
                {number("kept density λ (empty: automatic, ≥ 99 % of P's mass)", "density", Signal::derive(move || solver.with(|s| s.density.map(|d| d.to_string()).unwrap_or_default())),
                    Rc::new(move |v| {
                        let d = if v.is_empty() { None } else { Some(parse_f64("density", v)?) };
                        edit_solver(Box::new(move |s| s.density = d));
                        Ok(())
                    }))}
                {number("tolerance", "tol", Signal::derive(move || solver.with(|s| format!("{:e}", s.tol))),
                    Rc::new(move |v| { let t = parse_f64("tol", v)?; edit_stopping(Box::new(move |s| s.tol = t)); Ok(()) }))}
                {number("max iterations", "max-iter", Signal::derive(move || solver.with(|s| s.max_iter.to_string())),
                    Rc::new(move |v| { let k = parse_usize("max-iter", v)? as u64; edit_stopping(Box::new(move |s| s.max_iter = k)); Ok(()) }))}
                <label for="eps-scaling">"ε-scaling (CPU)"</label>
                <input id="eps-scaling" type="checkbox" prop:checked=move || solver.with(|s| s.eps_scaling)
                    on:change=move |ev| { let on = event_target_checked(&ev); edit_solver(Box::new(move |s| s.eps_scaling = on)) } />
                {crate::form::backend_select("ot-backend", "auto (GPU for log-sinkhorn)", backend, move || runner.reset())}
                <label for="source-file">"source CSV"</label>
                <input id="source-file" type="file" accept=".csv,text/csv" on:change=move |ev| on_file(0, ev) />
                <label for="target-file">"target CSV"</label>
                <input id="target-file" type="file" accept=".csv,text/csv" on:change=move |ev| on_file(1, ev) />
            </form>
            <p class="muted" hidden=move || uploaded.get().is_none()>{move || uploaded.get()}</p>
            <crate::form::UploadPreviews id="ot-preview" previews=previews />
            <p id="upload-error" class="error" role="alert" hidden=move || upload_error.get().is_none()>{move || upload_error.get()}</p>
            <RunControls runner=runner invalid=Signal::derive(move || invalid.get().is_some()) />
            <crate::link::LinkNotices notices=notices />
            <crate::link::Presets slug="ot" presets=PRESETS />
            <crate::link::CliLine lines=Signal::derive(move || spec.with(|p| solver.with(|s| regula_core::cli_line::ot(p, s, &mode.get().methods(), backend.get())))) />
            <p id="param-error" class="error" role="alert" hidden=move || invalid.get().is_none()>{move || invalid.get()}</p>
            <p id="status" class=move || if runner.error.get().is_some() { "status error" } else { "status" } aria-live="polite">{status}</p>
            <div class="charts">
                <LogChart id="chart-error-iter" title="Marginal error (ℓ1) vs iteration" x_label="iteration" y_label="error" series=error_vs(false) floor=1e-16 />
                <LogChart id="chart-error-time" title="Marginal error (ℓ1) vs wall time" x_label="ms" y_label="error" series=error_vs(true) floor=1e-16 />
                <PlanView snapshot=snapshot />
                <SparsityView snapshot=snapshot />
            </div>
        </section>
    }
}

/// The plan: lines between matched points with opacity ∝ mass (point clouds in 2-D), or a heatmap.
#[component]
fn PlanView(snapshot: Signal<Option<Snapshot>>) -> impl IntoView {
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
        snapshot.with_untracked(|s| s.as_ref().ok_or_else(|| "nothing drawn yet".to_owned()).and_then(|s| regula_charts::svg(|root| draw_plan(root, &crate::chart::Painter::Vector, s))))
    });
    view! {
        <figure class="chart">
            <canvas id="chart-plan" node_ref=canvas width="600" height="320" role="img" aria-label="transport plan"></canvas>
            <crate::chart::ExportBar id="chart-plan" canvas=canvas svg=svg />
        </figure>
    }
}

fn draw_plan<DB: DrawingBackend>(root: DrawingArea<DB, Shift>, painter: &crate::chart::Painter, s: &Snapshot) -> Result<(), Box<dyn std::error::Error>>
where
    DB::ErrorType: 'static,
{
    let layout = match &s.problem.geometry {
        regula_core::ot::problem::Geometry::Points { x, y, .. } if x.dim == 2 => PlanLayout::Points { x: &x.coords, y: &y.coords },
        _ => PlanLayout::Matrix,
    };
    let raster = |root: &DrawingArea<DB, Shift>, area, cols, rows, rgb: &[[u8; 3]]| painter.raster(root, area, cols, rows, rgb);
    regula_charts::ot::draw_plan(root, &raster, &s.p, s.problem.n(), s.problem.m(), layout)
}

/// The sparsified Hessian's kept entries (top k of P per row), and the mass they capture vs k.
#[component]
fn SparsityView(snapshot: Signal<Option<Snapshot>>) -> impl IntoView {
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
        snapshot.with_untracked(|s| s.as_ref().ok_or_else(|| "nothing drawn yet".to_owned()).and_then(|s| regula_charts::svg(|root| draw_sparsity(root, s).map(drop))))
    });
    view! {
        <figure class="chart">
            <canvas id="chart-sparsity" node_ref=canvas width="600" height="320" role="img" aria-label="Hessian sparsity"></canvas>
            <crate::chart::ExportBar id="chart-sparsity" canvas=canvas svg=svg />
            <figcaption id="sparsity-caption">{move || captured.get()}</figcaption>
        </figure>
    }
}

fn draw_sparsity<DB: DrawingBackend>(root: DrawingArea<DB, Shift>, s: &Snapshot) -> Result<String, Box<dyn std::error::Error>>
where
    DB::ErrorType: 'static,
{
    let (n, m) = (s.problem.n(), s.problem.m());
    let pattern = top_k_pattern(&s.p, n, m, s.keep);
    let ks: Vec<usize> = (1..=m.min(s.keep.max(40))).collect();
    regula_charts::ot::draw_sparsity(root, n, m, s.keep, &pattern, &mass_captured(&s.p, n, m, &ks))
}
