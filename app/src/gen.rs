//! The generalization page: closed-form theory drawn over simulation and the seed papers' regularizers side
//! by side. Tabs: Advani & Saxe's linear student–teacher (error over time for one α, or the α sweep),
//! double descent of ridgeless regression, epoch-wise double descent of a small MLP, noisy labels
//! (cross-entropy vs ELR vs forward correction), self-distillation (PS-KD), continual learning (EWC) and
//! the quadratic-activation teacher. All run on the CPU in f64 as steppers, a bounded slice of work per
//! animation frame.

use leptos::html::Canvas;
use leptos::prelude::*;
use plotters::prelude::*;
use plotters::coord::Shift;
use regula_core::gen::{continual, double_descent, epoch_wise, noisy_labels, pskd, quadratic, student_teacher};
use regula_core::{Budget, Error, Frame, Stepper};

use crate::chart::{Band, BandChart, LogChart, Series};
use crate::runner::{Factory, RunControls, Runner};

const SIM: RGBColor = RGBColor(40, 110, 200);
const THEORY: RGBColor = RGBColor(20, 20, 20);
const SIM2: RGBColor = RGBColor(214, 90, 40);
const THEORY2: RGBColor = RGBColor(130, 130, 130);

#[derive(Clone, Copy, PartialEq, Eq)]
enum Tab {
    StudentTeacher,
    DoubleDescent,
    EpochWise,
    NoisyLabels,
    Pskd,
    Continual,
    Quadratic,
}

/// The lab's slug in links.
const SLUG: &str = "generalization";

/// A tab's parameters from the link (or defaults) as a signal kept in the link, and the link's notices.
fn linked<T>(tab: &'static str, default: T, validate: impl Fn(&T) -> Result<(), Error>) -> (RwSignal<T>, Vec<String>, bool)
where
    T: serde::Serialize + serde::de::DeserializeOwned + Clone + Send + Sync + 'static,
{
    let d = crate::link::restore(SLUG, Some(tab), &default, validate);
    let signal = RwSignal::new(d.value);
    crate::link::sync(SLUG, Some(tab), signal.into(), default);
    (signal, d.notices, d.run)
}

/// The papers' experiments, one click each (REFERENCE.md §3).
const PRESETS: &[crate::link::Preset] = &[
    crate::link::Preset { title: "Overtraining peak at α = 1", source: "Advani & Saxe 2017 (SNR 5, N = 400): best early-stopped ≈ 0.57 at t ≈ 3, ≈ 13 at t = 10⁴", query: "tab=student-teacher&config.alpha=1" },
    crate::link::Preset { title: "Long run at α = 2", source: "Advani & Saxe 2017: σ²/(α − 1) + σ² = 0.40", query: "tab=student-teacher&config.alpha=2" },
    crate::link::Preset { title: "The α sweep", source: "Advani & Saxe 2017: the peak at α = 1 and the early-stopping optimum", query: "tab=student-teacher&sweep=true&config.n_inputs=100" },
    crate::link::Preset { title: "Ridgeless double descent", source: "Hastie, Montanari, Rosset & Tibshirani 2019 (isotropic features)", query: "tab=double-descent&n=200&trials=20" },
    crate::link::Preset { title: "Epoch-wise double descent, 15 % label noise", source: "Nakkiran et al. 2020's phenomenon, Heckel & Yilmaz 2021's mechanism: three groups of features learned at three speeds", query: "tab=epoch-wise" },
    crate::link::Preset { title: "Epoch-wise, the slow features hidden", source: "The control for the second descent: without the slow signal the error stays up", query: "tab=epoch-wise&slow_scale=0" },
    crate::link::Preset { title: "ELR vs cross-entropy, 40 % noise", source: "Liu et al. 2020 (REFERENCE's mixture check): CE 0.73 → 0.53, ELR 0.76–0.82", query: "tab=noisy-labels" },
    crate::link::Preset { title: "Forward correction, asymmetric noise", source: "Patrini et al. 2017: −log (Tᵀp)_ỹ with the true T", query: "tab=noisy-labels&noise_kind=asymmetric&forward=given" },
    crate::link::Preset { title: "Self-distillation and calibration", source: "Kim et al. 2021 (PS-KD, α_T = 0.8): ECE and the reliability diagram", query: "tab=pskd" },
    crate::link::Preset { title: "EWC and its LoRA variant", source: "Kirkpatrick et al. 2017; the Fisher penalty of CSTRL and AlignGuard-LoRA — 10 draws: forgetting 0.49 → 0.31 with B at 0.95", query: "tab=continual" },
    crate::link::Preset { title: "Quadratic teacher, d = 20, κ = ½", source: "Maillard et al. 2024: recovery above α_PR = 0.375", query: "tab=quadratic" },
];

#[component]
pub fn GenPage() -> impl IntoView {
    let tab = RwSignal::new(match crate::link::tab(SLUG).as_deref() {
        Some("double-descent") => Tab::DoubleDescent,
        Some("epoch-wise") => Tab::EpochWise,
        Some("noisy-labels") => Tab::NoisyLabels,
        Some("pskd") => Tab::Pskd,
        Some("continual") => Tab::Continual,
        Some("quadratic") => Tab::Quadratic,
        _ => Tab::StudentTeacher,
    });
    view! {
        <section class="lab" aria-labelledby="gen-title">
            <h2 id="gen-title">"Generalization: theory over simulation"</h2>
            <crate::link::Presets slug=SLUG presets=PRESETS />
            <div class="tabs" role="tablist">
                <button id="tab-student-teacher" role="tab" aria-selected=move || (tab.get() == Tab::StudentTeacher).to_string()
                    on:click=move |_| tab.set(Tab::StudentTeacher)>"Student–teacher (Advani & Saxe)"</button>
                <button id="tab-double-descent" role="tab" aria-selected=move || (tab.get() == Tab::DoubleDescent).to_string()
                    on:click=move |_| tab.set(Tab::DoubleDescent)>"Double descent"</button>
                <button id="tab-epoch-wise" role="tab" aria-selected=move || (tab.get() == Tab::EpochWise).to_string()
                    on:click=move |_| tab.set(Tab::EpochWise)>"Epoch-wise double descent"</button>
                <button id="tab-noisy-labels" role="tab" aria-selected=move || (tab.get() == Tab::NoisyLabels).to_string()
                    on:click=move |_| tab.set(Tab::NoisyLabels)>"Noisy labels (ELR, forward T)"</button>
                <button id="tab-pskd" role="tab" aria-selected=move || (tab.get() == Tab::Pskd).to_string()
                    on:click=move |_| tab.set(Tab::Pskd)>"Self-distillation (PS-KD)"</button>
                <button id="tab-continual" role="tab" aria-selected=move || (tab.get() == Tab::Continual).to_string()
                    on:click=move |_| tab.set(Tab::Continual)>"Continual (EWC)"</button>
                <button id="tab-quadratic" role="tab" aria-selected=move || (tab.get() == Tab::Quadratic).to_string()
                    on:click=move |_| tab.set(Tab::Quadratic)>"Quadratic teacher"</button>
            </div>
            {move || match tab.get() {
                Tab::StudentTeacher => view! { <StudentTeacherTab /> }.into_any(),
                Tab::DoubleDescent => view! { <DoubleDescentTab /> }.into_any(),
                Tab::EpochWise => view! { <EpochWiseTab /> }.into_any(),
                Tab::NoisyLabels => view! { <NoisyLabelsTab /> }.into_any(),
                Tab::Pskd => view! { <PskdTab /> }.into_any(),
                Tab::Continual => view! { <ContinualTab /> }.into_any(),
                Tab::Quadratic => view! { <QuadraticTab /> }.into_any(),
            }}
        </section>
    }
}

/// One α over time, or the α sweep.
enum StRun {
    Curve(Box<student_teacher::Run>),
    Sweep(Box<student_teacher::Sweep>),
}

impl Stepper for StRun {
    async fn step(&mut self, budget: Budget) -> Result<Frame, Error> {
        match self {
            StRun::Curve(r) => r.step(budget).await,
            StRun::Sweep(s) => s.step(budget).await,
        }
    }
}

#[derive(Clone, PartialEq, serde::Serialize, serde::Deserialize)]
struct StPanel {
    config: student_teacher::Config,
    sweep: bool,
}

fn line(name: &'static str, color: RGBColor, points: Vec<(f64, f64)>) -> Series {
    Series { name, color, points }
}

#[component]
fn StudentTeacherTab() -> impl IntoView {
    let (panel, notices, autorun) = linked("student-teacher", StPanel { config: student_teacher::Config::default(), sweep: false }, |p| p.config.validate());
    let factory: Factory<StRun> = std::rc::Rc::new(move || {
        let p = panel.get_untracked();
        Box::pin(async move {
            Ok(vec![if p.sweep {
                StRun::Sweep(Box::new(student_teacher::Sweep::new(p.config, student_teacher::Sweep::default_alphas())?))
            } else {
                StRun::Curve(Box::new(student_teacher::Run::new(p.config)?))
            }])
        })
    });
    let runner = Runner::new(factory);
    if autorun {
        runner.run();
    }
    let edit = move |f: Box<dyn FnOnce(&mut StPanel)>| {
        runner.reset();
        panel.update(|p| f(p));
    };
    let invalid = Memo::new(move |_| panel.with(|p| p.config.validate().err().map(|e| e.to_string())));
    // The whole curve (frames carry only the latest point): read from the stepper after each frame.
    let rows = Signal::derive(move || {
        runner.frames.track();
        runner
            .with_steppers(|s| match s.first() {
                Some(StRun::Curve(r)) => r.curve.iter().map(|r| r.to_vec()).collect(),
                Some(StRun::Sweep(s)) => s.rows.iter().map(|r| r.to_vec()).collect(),
                None => Vec::new(),
            })
            .unwrap_or_default()
    });
    let col = |k: usize| move |rs: &Vec<Vec<f64>>| rs.iter().map(|r| (r[0], r[k])).collect::<Vec<_>>();
    let curve = Signal::derive(move || {
        if panel.with(|p| p.sweep) {
            return Vec::new();
        }
        rows.with(|rs| {
            vec![
                line("test error (simulated)", SIM, col(1)(rs)),
                line("test error (theory)", THEORY, col(3)(rs)),
                line("training error (simulated)", SIM2, col(2)(rs)),
                line("training error (theory)", THEORY2, col(4)(rs)),
            ]
        })
    });
    let sweep = Signal::derive(move || {
        if !panel.with(|p| p.sweep) {
            return Vec::new();
        }
        rows.with(|rs| {
            vec![
                line("best early-stopped (simulated)", SIM, col(1)(rs)),
                line("best early-stopped (theory)", THEORY, col(3)(rs)),
                line("at t = T (simulated)", SIM2, col(2)(rs)),
                line("at t = T (theory)", THEORY2, col(4)(rs)),
            ]
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
            let m = |k: &str| f.metric(k).unwrap_or(f64::NAN);
            let state = runner.state();
            if panel.with(|p| p.sweep) {
                format!("{state} (CPU, f64): {} of {} values of α · last α = {:.3}: best {:.4} (theory {:.4}), at T {:.4} (theory {:.4})",
                    f.iteration, student_teacher::Sweep::default_alphas().len(), m("alpha"), m("best_test_error"), m("theory_best_test_error"), m("final_test_error"), m("theory_final_test_error"))
            } else if let Some(progress) = f.metric("setup_progress") {
                format!("{state} (CPU, f64): sampling X and decomposing XᵀX, {:.0}% (spread over frames)", 100.0 * progress)
            } else if f.iteration == 0 {
                format!("{state} (CPU, f64): sampled X and decomposed XᵀX")
            } else {
                format!("{state} (CPU, f64): t = {:.3} · test error {:.4} (theory {:.4}) · best early-stopped {:.4} at t = {:.2} (theory {:.4} at t = {:.2})",
                    m("t"), m("test_error"), m("theory_test_error"), m("best_test_error"), m("best_time"), m("theory_best_test_error"), m("theory_best_time"))
            }
        })
    };
    let number = move |label: &'static str, id: &'static str, value: Signal<String>, set: crate::form::Setter| {
        crate::form::number_field(label, id, value, set, runner.error)
    };
    let (num, whole) = (crate::form::parse_f64, crate::form::parse_usize);
    view! {
        <form class="panel" on:submit=|ev| ev.prevent_default() aria-label="Student–teacher parameters">
            <label for="st-mode">"show"</label>
            <select id="st-mode" on:change=move |ev| { let s = event_target_value(&ev) == "sweep"; edit(Box::new(move |p| p.sweep = s)); }>
                <option value="curve" selected=move || panel.with(|p| !p.sweep)>"error over time (one α)"</option>
                <option value="sweep" selected=move || panel.with(|p| p.sweep)>"α sweep (best and final)"</option>
            </select>
            {number("α = P/N", "alpha", Signal::derive(move || panel.with(|p| p.config.alpha.to_string())),
                std::rc::Rc::new(move |v| { let x = num("alpha", v)?; edit(Box::new(move |p| p.config.alpha = x)); Ok(()) }))}
            {number("SNR", "snr", Signal::derive(move || panel.with(|p| p.config.snr.to_string())),
                std::rc::Rc::new(move |v| { let x = num("snr", v)?; edit(Box::new(move |p| p.config.snr = x)); Ok(()) }))}
            {number("inputs N", "n-inputs", Signal::derive(move || panel.with(|p| p.config.n_inputs.to_string())),
                std::rc::Rc::new(move |v| { let x = whole("n-inputs", v)?; edit(Box::new(move |p| p.config.n_inputs = x)); Ok(()) }))}
            {number("time T", "t-max", Signal::derive(move || panel.with(|p| p.config.t_max.to_string())),
                std::rc::Rc::new(move |v| { let x = num("t-max", v)?; edit(Box::new(move |p| p.config.t_max = x)); Ok(()) }))}
            {number("seed", "st-seed", Signal::derive(move || panel.with(|p| p.config.seed.to_string())),
                std::rc::Rc::new(move |v| { let x = whole("seed", v)? as u64; edit(Box::new(move |p| p.config.seed = x)); Ok(()) }))}
        </form>
        <RunControls runner=runner invalid=Signal::derive(move || invalid.get().is_some()) />
        <crate::link::LinkNotices notices=notices />
        <crate::link::CliLine lines=Signal::derive(move || panel.with(|p| vec![regula_core::cli_line::student_teacher(&p.config, p.sweep)])) />
        <p id="param-error" class="error" role="alert" hidden=move || invalid.get().is_none()>{move || invalid.get()}</p>
        <p id="status" class=move || if runner.error.get().is_some() { "status error" } else { "status" } aria-live="polite">{status}</p>
        <div class="charts">
            {move || if panel.with(|p| p.sweep) {
                view! { <LogChart id="chart-st-sweep" title="Test error vs α: best early-stopped and at t = T" x_label="α = P/N" y_label="test error" series=sweep floor=1e-3 /> }.into_any()
            } else {
                view! { <LogChart id="chart-st-curve" title="Error vs time: theory (Marchenko–Pastur) over simulation" x_label="t (gradient-flow time)" y_label="error" series=curve floor=1e-4 log_x=true /> }.into_any()
            }}
        </div>
        <div class="explain">
            <p>
                "Advani & Saxe (2017): P = αN samples of N inputs, X with entries N(0, 1/N), a teacher w̄ ~ N(0, I), "
                "labels y = Xw̄ + ε with σ_ε² = 1/SNR, and a linear student trained from w = 0 by gradient flow "
                "dw/dt = Xᵀ(y − Xw). Test error E_g = ‖w − w̄‖²/N + σ_ε². Simulation: this draw of X, solved exactly "
                "per eigendirection of XᵀX, w_k(t) = z_k(1 − e^{−λ_k t})/λ_k. Theory (N → ∞): E_g(t) = ∫ρ(λ)[e^{−2λt} + "
                "(σ_ε²/λ)(1 − e^{−λt})²]dλ + σ_ε², ρ the Marchenko–Pastur law on [(1 − √α)², (1 + √α)²] (plus a mass "
                "1 − α at 0 when α < 1). Small eigenvalues are learned last and amplify the noise: at α = 1 they reach "
                "0, so the error peaks — early stopping (best ≈ 0.57 at t ≈ 3 for SNR 5) beats the long run (≈ 13 at "
                "t = 10⁴); at α = 2 the long run is σ_ε²/(α − 1) + σ_ε² = 0.40. The sweep draws one instance per α."
            </p>
            <crate::math::Equations id="eq-student-teacher" equations=crate::math::STUDENT_TEACHER />
            <crate::math::KnobHelp id="knobs-student-teacher" knobs=crate::math::STUDENT_TEACHER_KNOBS />
        </div>
    }
}

#[component]
fn DoubleDescentTab() -> impl IntoView {
    let (config, notices, autorun) = linked("double-descent", double_descent::Config::default(), |c| c.validate());
    let factory: Factory<double_descent::Sweep> = std::rc::Rc::new(move || {
        let c = config.get_untracked();
        Box::pin(async move { Ok(vec![double_descent::Sweep::new(c)?]) })
    });
    let runner = Runner::new(factory);
    if autorun {
        runner.run();
    }
    let edit = move |f: Box<dyn FnOnce(&mut double_descent::Config)>| {
        runner.reset();
        config.update(|c| f(c));
    };
    let invalid = Memo::new(move |_| config.with(|c| c.validate().err().map(|e| e.to_string())));
    let series = Signal::derive(move || {
        runner.frames.with(|fs| {
            let fr = fs.first().map(Vec::as_slice).unwrap_or_default();
            let pts = |k: &str| fr.iter().filter_map(|f| Some((f.metric("gamma")?, f.metric(k)?))).collect::<Vec<_>>();
            if fr.is_empty() {
                return Vec::new();
            }
            vec![line("median risk (simulated)", SIM, pts("risk_median")), line("mean risk (simulated)", SIM2, pts("risk_mean")), line("theory", THEORY, pts("theory_risk"))]
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
            let m = |k: &str| f.metric(k).unwrap_or(f64::NAN);
            format!("{} (CPU, f64): {} of {} values of γ · γ = {:.3}: median risk {:.4}, theory {:.4}", runner.state(), f.iteration,
                config.with(|c| c.grid().len()), m("gamma"), m("risk_median"), m("theory_risk"))
        })
    };
    let number = move |label: &'static str, id: &'static str, value: Signal<String>, set: crate::form::Setter| {
        crate::form::number_field(label, id, value, set, runner.error)
    };
    let (num, whole) = (crate::form::parse_f64, crate::form::parse_usize);
    view! {
        <form class="panel" on:submit=|ev| ev.prevent_default() aria-label="Double-descent parameters">
            {number("samples n", "dd-n", Signal::derive(move || config.with(|c| c.n.to_string())),
                std::rc::Rc::new(move |v| { let x = whole("n", v)?; edit(Box::new(move |c| c.n = x)); Ok(()) }))}
            {number("noise σ²", "dd-noise", Signal::derive(move || config.with(|c| c.noise_var.to_string())),
                std::rc::Rc::new(move |v| { let x = num("noise", v)?; edit(Box::new(move |c| c.noise_var = x)); Ok(()) }))}
            {number("signal r²", "dd-signal", Signal::derive(move || config.with(|c| c.signal.to_string())),
                std::rc::Rc::new(move |v| { let x = num("signal", v)?; edit(Box::new(move |c| c.signal = x)); Ok(()) }))}
            {number("γ max", "dd-gamma-max", Signal::derive(move || config.with(|c| c.gamma_max.to_string())),
                std::rc::Rc::new(move |v| { let x = num("gamma", v)?; edit(Box::new(move |c| c.gamma_max = x)); Ok(()) }))}
            {number("trials per γ", "dd-trials", Signal::derive(move || config.with(|c| c.trials.to_string())),
                std::rc::Rc::new(move |v| { let x = whole("trials", v)?; edit(Box::new(move |c| c.trials = x)); Ok(()) }))}
            {number("seed", "dd-seed", Signal::derive(move || config.with(|c| c.seed.to_string())),
                std::rc::Rc::new(move |v| { let x = whole("seed", v)? as u64; edit(Box::new(move |c| c.seed = x)); Ok(()) }))}
        </form>
        <RunControls runner=runner invalid=Signal::derive(move || invalid.get().is_some()) />
        <crate::link::LinkNotices notices=notices />
        <crate::link::CliLine lines=Signal::derive(move || config.with(|c| vec![regula_core::cli_line::double_descent(c)])) />
        <p id="param-error" class="error" role="alert" hidden=move || invalid.get().is_none()>{move || invalid.get()}</p>
        <p id="status" class=move || if runner.error.get().is_some() { "status error" } else { "status" } aria-live="polite">{status}</p>
        <div class="charts">
            <LogChart id="chart-dd" title="Excess test risk of ridgeless regression vs γ = p/n" x_label="γ = p/n" y_label="E‖β̂ − β‖²" series=series floor=1e-3 log_x=true />
        </div>
        <div class="explain">
            <p>
                "Ridgeless least squares (Hastie, Montanari, Rosset & Tibshirani 2019): n samples, p = γn isotropic "
                "Gaussian features, ‖β‖² = r², noise σ²; β̂ = X⁺y — ordinary least squares for γ < 1, the minimum-norm "
                "interpolator for γ > 1. Theory (n, p → ∞): σ²γ/(1 − γ) below the threshold, r²(1 − 1/γ) + σ²/(γ − 1) "
                "above; the risk is unbounded at γ = 1 (the grid skips p = n) and descends a second time as the "
                "model grows past interpolation. Each point is the median (and mean) over the trials."
            </p>
            <crate::math::KnobHelp id="knobs-double-descent" knobs=crate::math::DOUBLE_DESCENT_KNOBS />
        </div>
    }
}

#[component]
fn EpochWiseTab() -> impl IntoView {
    let (config, notices, autorun) = linked("epoch-wise", epoch_wise::Config::default(), |c| c.validate());
    let factory: Factory<epoch_wise::Experiment> = std::rc::Rc::new(move || {
        let c = config.get_untracked();
        Box::pin(async move { Ok(vec![epoch_wise::Experiment::new(c)?]) })
    });
    let runner = Runner::new(factory);
    if autorun {
        runner.run();
    }
    let edit = move |f: Box<dyn FnOnce(&mut epoch_wise::Config)>| {
        runner.reset();
        config.update(|c| f(c));
    };
    let invalid = Memo::new(move |_| config.with(|c| c.validate().err().map(|e| e.to_string())));
    // The mean curves (frames carry only the latest point): read from the stepper after each frame.
    let curves = Signal::derive(move || {
        runner.frames.track();
        runner.with_steppers(|s| s.first().map(|e| (e.mean_curve(true), e.mean_curve(false)))).flatten().unwrap_or_default()
    });
    let band = |name: String, color: RGBColor, c: &epoch_wise::MeanCurve| Band {
        name,
        color,
        points: (0..c.epochs.len()).map(|i| (c.epochs[i], c.test_error_min[i], c.test_error[i], c.test_error_max[i])).collect(),
    };
    let error = Signal::derive(move || {
        curves.with(|(noisy, control)| {
            let mut b = Vec::new();
            if !noisy.epochs.is_empty() {
                b.push(band(format!("label noise {} (mean, range of the draws)", config.with(|c| c.label_noise)), SIM, noisy));
            }
            if !control.epochs.is_empty() {
                b.push(band("no label noise (control)".to_owned(), SIM2, control));
            }
            b
        })
    });
    let fit = Signal::derive(move || {
        curves.with(|(noisy, _)| {
            if noisy.epochs.is_empty() {
                return Vec::new();
            }
            let pts = |y: &[f64]| noisy.epochs.iter().copied().zip(y.iter().copied()).filter(|p| p.1.is_finite()).collect::<Vec<_>>();
            vec![line("training error (noisy labels)", SIM, pts(&noisy.train_error)), line("flipped labels fitted", SIM2, pts(&noisy.memorised))]
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
            let m = |k: &str| f.metric(k).unwrap_or(f64::NAN);
            let (seeds, control, epochs) = config.with(|c| (c.seeds, c.control, c.epochs));
            let runs = seeds * (1 + usize::from(control));
            let mut s = format!("{} (CPU, f64): {runs} runs at epoch {} of {epochs} · mean test error {:.3}", runner.state(), m("epoch"), m("test_error"));
            if control {
                s += &format!(" (control {:.3})", m("control_test_error"));
            }
            if f.metric("peak_error").is_some() {
                s += &format!(" · first minimum {:.3} at epoch {}, peak {:.3} at {}, now {:.3}", m("first_min_error"), m("first_min_epoch"), m("peak_error"), m("peak_epoch"), m("final_error"));
            }
            s
        })
    };
    let number = move |label: &'static str, id: &'static str, value: Signal<String>, set: crate::form::Setter| {
        crate::form::number_field(label, id, value, set, runner.error)
    };
    let (num, whole) = (crate::form::parse_f64, crate::form::parse_usize);
    view! {
        <form class="panel" on:submit=|ev| ev.prevent_default() aria-label="Epoch-wise double-descent parameters">
            {number("label noise", "ew-noise", Signal::derive(move || config.with(|c| c.label_noise.to_string())),
                std::rc::Rc::new(move |v| { let x = num("label-noise", v)?; edit(Box::new(move |c| c.label_noise = x)); Ok(()) }))}
            {number("nuisance categories K", "ew-categories", Signal::derive(move || config.with(|c| c.categories.to_string())),
                std::rc::Rc::new(move |v| { let x = whole("categories", v)?; edit(Box::new(move |c| c.categories = x)); Ok(()) }))}
            {number("slow scale", "ew-slow", Signal::derive(move || config.with(|c| c.slow_scale.to_string())),
                std::rc::Rc::new(move |v| { let x = num("slow-scale", v)?; edit(Box::new(move |c| c.slow_scale = x)); Ok(()) }))}
            {number("hidden layers", "ew-hidden", Signal::derive(move || config.with(|c| c.hidden.iter().map(|h| h.to_string()).collect::<Vec<_>>().join(","))),
                std::rc::Rc::new(move |v| {
                    let h = v.split(',').map(|x| x.trim().parse::<usize>().map_err(|_| format!("`hidden`: `{}` is not a width", x.trim()))).collect::<Result<Vec<_>, _>>()?;
                    edit(Box::new(move |c| c.hidden = h));
                    Ok(())
                }))}
            {number("learning rate", "ew-lr", Signal::derive(move || config.with(|c| c.lr.to_string())),
                std::rc::Rc::new(move |v| { let x = num("lr", v)?; edit(Box::new(move |c| c.lr = x)); Ok(()) }))}
            {number("epochs", "ew-epochs", Signal::derive(move || config.with(|c| c.epochs.to_string())),
                std::rc::Rc::new(move |v| { let x = whole("epochs", v)?; edit(Box::new(move |c| c.epochs = x)); Ok(()) }))}
            {number("draws", "ew-seeds", Signal::derive(move || config.with(|c| c.seeds.to_string())),
                std::rc::Rc::new(move |v| { let x = whole("seeds", v)?; edit(Box::new(move |c| c.seeds = x)); Ok(()) }))}
            {number("seed", "ew-seed", Signal::derive(move || config.with(|c| c.seed.to_string())),
                std::rc::Rc::new(move |v| { let x = whole("seed", v)? as u64; edit(Box::new(move |c| c.seed = x)); Ok(()) }))}
            <label for="ew-control">"control without noise"</label>
            <input id="ew-control" type="checkbox" prop:checked=move || config.with(|c| c.control)
                on:change=move |ev| { let on = event_target_checked(&ev); edit(Box::new(move |c| c.control = on)); } />
        </form>
        <RunControls runner=runner invalid=Signal::derive(move || invalid.get().is_some()) />
        <crate::link::LinkNotices notices=notices />
        <crate::link::CliLine lines=Signal::derive(move || config.with(|c| vec![regula_core::cli_line::epoch_wise(c)])) />
        <p id="param-error" class="error" role="alert" hidden=move || invalid.get().is_none()>{move || invalid.get()}</p>
        <p id="status" class=move || if runner.error.get().is_some() { "status error" } else { "status" } aria-live="polite">{status}</p>
        <div class="charts">
            <BandChart id="chart-ew" title="Test error vs epoch: the draws' mean and range" x_label="epoch" y_label="test error" bands=error log_y=false />
            <LogChart id="chart-ew-fit" title="What the network fits: training error and the flipped labels it reproduces" x_label="epoch" y_label="fraction" series=fit linear_y=true log_x=true />
        </div>
        <div class="explain">
            <p>
                "Epoch-wise double descent (Nakkiran et al. 2020): with label noise, one network's test error falls, "
                "rises as it fits the noise, then falls again as training goes on. Heckel & Yilmaz (2021) explain it as "
                "a sum of bias–variance trade-offs, one per group of features, each played out at the speed at which "
                "gradient descent learns that group. Here the groups are explicit: a fast feature a = ±1 present in "
                "every sample (learned in ~10 epochs: the first descent); a one-hot nuisance category with no label "
                "information, each column active on 1/K of the samples, so learned ~K times slower and, with ~n/K "
                "samples per category, fitted mostly to the flipped labels (the rise); and two slow inputs of scale "
                "s_s that carry most of the signal but are learned ~1/s_s² more slowly (the second descent). Any "
                "function of the category is K-dimensional, so the nuisance pathway saturates instead of memorising "
                "every point. The control without label noise bumps too — the nuisance also fits what the fast "
                "feature cannot explain before the slow signal is learned — but less, and it ends far lower: the "
                "noise raises the peak and leaves its mark at the end. Set the slow scale to 0 and the second descent "
                "disappears. The default (23-32-1 ReLU, 100 training points, 15 % noise, 5 draws) falls to 0.27 at "
                "epoch ≈ 20, peaks at 0.38 near epoch 130 and ends at 0.26."
            </p>
            <crate::math::Equations id="eq-epoch-wise" equations=crate::math::EPOCH_WISE />
            <crate::math::KnobHelp id="knobs-epoch-wise" knobs=crate::math::EPOCH_WISE_KNOBS />
        </div>
    }
}

#[component]
fn NoisyLabelsTab() -> impl IntoView {
    let (config, notices, autorun) = linked("noisy-labels", noisy_labels::Config::default(), |c| c.validate());
    let factory: Factory<noisy_labels::Experiment> = std::rc::Rc::new(move || {
        let c = config.get_untracked();
        Box::pin(async move { Ok(vec![noisy_labels::Experiment::new(c)?]) })
    });
    let runner = Runner::new(factory);
    if autorun {
        runner.run();
    }
    let edit = move |f: Box<dyn FnOnce(&mut noisy_labels::Config)>| {
        runner.reset();
        config.update(|c| f(c));
    };
    let invalid = Memo::new(move |_| config.with(|c| c.validate().err().map(|e| e.to_string())));
    let rows = Signal::derive(move || {
        runner.frames.track();
        runner.with_steppers(|s| s.first().map(|e| e.rows.clone()).unwrap_or_default()).unwrap_or_default()
    });
    let col = move |k: usize, err: bool| rows.with(|rs| rs.iter().map(|r| (r[0], if err { 1.0 - r[k] } else { r[k] })).collect::<Vec<_>>());
    let test_error = Signal::derive(move || {
        if rows.with(Vec::is_empty) {
            return Vec::new();
        }
        let mut v = vec![line("cross-entropy", SIM2, col(1, true)), line("ELR", SIM, col(4, true))];
        if config.with(|c| c.forward != noisy_labels::Forward::Off) {
            v.push(line("forward correction", LS, col(7, true)));
        }
        v
    });
    let fit = Signal::derive(move || {
        if rows.with(Vec::is_empty) {
            return Vec::new();
        }
        vec![
            line("noisy labels fitted, CE", SIM2, col(2, false)),
            line("noisy labels fitted, ELR", SIM, col(5, false)),
            line("clean labels fitted, CE", THEORY2, col(3, false)),
            line("clean labels fitted, ELR", THEORY, col(6, false)),
        ]
        .into_iter()
        .chain(config.with(|c| c.forward != noisy_labels::Forward::Off).then(|| line("noisy labels fitted, forward", LS, col(8, false))))
        .collect()
    });
    // The T the forward run uses (given at the start, estimated after the warm-up), as a table.
    let transition = Signal::derive(move || {
        runner.frames.track();
        runner.with_steppers(|s| s.first().and_then(|e| e.transition.clone())).flatten()
    });
    let t_table = move || {
        transition.get().map(|t| {
            let k = (t.len() as f64).sqrt() as usize;
            t.chunks(k)
                .enumerate()
                .map(|(i, row)| view! { <tr><th>{format!("clean {i}")}</th>{row.iter().map(|v| view! { <td>{format!("{v:.3}")}</td> }).collect_view()}</tr> })
                .collect_view()
        })
    };
    let status = move || {
        if let Some(e) = runner.error.get() {
            return e;
        }
        runner.frames.with(|fs| {
            let Some(f) = fs.first().and_then(|f| f.last()) else {
                return "Ready: press Run (space) or Step.".to_owned();
            };
            let m = |k: &str| f.metric(k).unwrap_or(f64::NAN);
            let fwd = if f.metric("fwd_test_accuracy").is_some() { format!(", forward {:.3}", m("fwd_test_accuracy")) } else { String::new() };
            let fwd_mem = if f.metric("fwd_memorised").is_some() { format!(", forward {:.3}", m("fwd_memorised")) } else { String::new() };
            format!(
                "{} (CPU, f64): epoch {} · test accuracy CE {:.3}, ELR {:.3}{fwd} · noisy labels memorised CE {:.3}, ELR {:.3}{fwd_mem}",
                runner.state(), f.iteration, m("ce_test_accuracy"), m("elr_test_accuracy"), m("ce_memorised"), m("elr_memorised")
            )
        })
    };
    let number = move |label: &'static str, id: &'static str, value: Signal<String>, set: crate::form::Setter| {
        crate::form::number_field(label, id, value, set, runner.error)
    };
    let (num, whole) = (crate::form::parse_f64, crate::form::parse_usize);
    view! {
        <form class="panel" on:submit=|ev| ev.prevent_default() aria-label="Noisy-label parameters">
            {number("label noise rate", "nl-noise-rate", Signal::derive(move || config.with(|c| c.noise_rate.to_string())),
                std::rc::Rc::new(move |v| { let x = num("noise-rate", v)?; edit(Box::new(move |c| c.noise_rate = x)); Ok(()) }))}
            <label for="nl-noise-kind">"noise"</label>
            <select id="nl-noise-kind" on:change=move |ev| {
                if let Ok(k) = event_target_value(&ev).parse::<regula_core::train::NoiseKind>() { edit(Box::new(move |c| c.noise_kind = k)); }
            }>
                <option value="symmetric" selected=move || config.with(|c| c.noise_kind == regula_core::train::NoiseKind::Symmetric)>"symmetric (any other class)"</option>
                <option value="asymmetric" selected=move || config.with(|c| c.noise_kind == regula_core::train::NoiseKind::Asymmetric)>"asymmetric (c → c + 1)"</option>
            </select>
            <label for="nl-forward">"forward correction T"</label>
            <select id="nl-forward" on:change=move |ev| {
                if let Ok(f) = event_target_value(&ev).parse::<noisy_labels::Forward>() { edit(Box::new(move |c| c.forward = f)); }
            }>
                <option value="estimated" selected=move || config.with(|c| c.forward == noisy_labels::Forward::Estimated)>"estimated after the warm-up"</option>
                <option value="given" selected=move || config.with(|c| c.forward == noisy_labels::Forward::Given)>"given (the true T)"</option>
                <option value="off" selected=move || config.with(|c| c.forward == noisy_labels::Forward::Off)>"off"</option>
            </select>
            {number("warm-up epochs (T̂)", "nl-warmup", Signal::derive(move || config.with(|c| c.warmup.to_string())),
                std::rc::Rc::new(move |v| { let x = whole("warmup", v)?; edit(Box::new(move |c| c.warmup = x)); Ok(()) }))}
            {number("class spread σ", "nl-spread", Signal::derive(move || config.with(|c| c.spread.to_string())),
                std::rc::Rc::new(move |v| { let x = num("spread", v)?; edit(Box::new(move |c| c.spread = x)); Ok(()) }))}
            {number("points", "nl-n", Signal::derive(move || config.with(|c| c.n.to_string())),
                std::rc::Rc::new(move |v| { let x = whole("n", v)?; edit(Box::new(move |c| c.n = x)); Ok(()) }))}
            {number("hidden units", "nl-hidden", Signal::derive(move || config.with(|c| c.hidden.to_string())),
                std::rc::Rc::new(move |v| { let x = whole("hidden", v)?; edit(Box::new(move |c| c.hidden = x)); Ok(()) }))}
            {number("epochs", "nl-epochs", Signal::derive(move || config.with(|c| c.epochs.to_string())),
                std::rc::Rc::new(move |v| { let x = whole("epochs", v)?; edit(Box::new(move |c| c.epochs = x)); Ok(()) }))}
            {number("ELR β", "nl-beta", Signal::derive(move || config.with(|c| c.elr.beta.to_string())),
                std::rc::Rc::new(move |v| { let x = num("elr-beta", v)?; edit(Box::new(move |c| c.elr.beta = x)); Ok(()) }))}
            {number("ELR λ", "nl-lambda", Signal::derive(move || config.with(|c| c.elr.lambda.to_string())),
                std::rc::Rc::new(move |v| { let x = num("elr-lambda", v)?; edit(Box::new(move |c| c.elr.lambda = x)); Ok(()) }))}
            {number("seed", "nl-seed", Signal::derive(move || config.with(|c| c.seed.to_string())),
                std::rc::Rc::new(move |v| { let x = whole("seed", v)? as u64; edit(Box::new(move |c| c.seed = x)); Ok(()) }))}
        </form>
        <RunControls runner=runner invalid=Signal::derive(move || invalid.get().is_some()) />
        <crate::link::LinkNotices notices=notices />
        <crate::link::CliLine lines=Signal::derive(move || config.with(|c| vec![regula_core::cli_line::noisy_labels(c)])) />
        <p id="param-error" class="error" role="alert" hidden=move || invalid.get().is_none()>{move || invalid.get()}</p>
        <p id="status" class=move || if runner.error.get().is_some() { "status error" } else { "status" } aria-live="polite">{status}</p>
        <div class="charts">
            <LogChart id="chart-nl-test" title="Test error (1 − accuracy): cross-entropy vs ELR vs forward correction" x_label="epoch" y_label="test error" series=test_error floor=1e-2 />
            <LogChart id="chart-nl-fit" title="Training labels fitted: noisy (memorisation) and clean" x_label="epoch" y_label="fraction" series=fit floor=1e-2 />
        </div>
        <table id="nl-transition" class="results" hidden=move || transition.with(Option::is_none)>
            <caption>"T used by forward correction: P(noisy label j | clean class i)"</caption>
            <thead><tr><th></th><th>"j = 0"</th><th>"1"</th><th>"2"</th><th>"3"</th></tr></thead>
            <tbody>{t_table}</tbody>
        </table>
        <div class="explain">
            <p>
                "Early-learning regularization (Liu, Niles-Weed, Razavian & Fernandez-Granda 2020): a network trained "
                "on noisy labels first fits the clean pattern, then memorises the wrong labels. ELR adds "
                "(λ/n)Σ_i log(1 − ⟨p_i, t_i⟩) to the cross-entropy, where p_i is the softmax output for example i and "
                "t_i ← βt_i + (1 − β)p̂_i a running average of its past predictions; it keeps the network near its "
                "early-learning predictions. Both runs share the data, the flipped labels, the initial weights and the "
                "batch order (4-class 20-d Gaussian mixture, 20-256-4 ReLU, Adam 1e-3, batch 64, symmetric noise). "
                "Reference figure (40 % noise): cross-entropy peaks ≈ 0.73 and falls to ≈ 0.53 as memorisation → 1; "
                "ELR holds 0.76–0.82 with memorisation 0.10–0.17. Each run trains on the CPU in f64 (ELR's per-example "
                "targets live beside the trainer); an epoch of one run per animation frame."
            </p>
            <crate::math::KnobHelp id="knobs-noisy-labels" knobs=crate::math::NOISY_LABELS_KNOBS />
            <p>
                "Forward loss correction (Patrini et al. 2017): with T_ij = P(noisy label j | clean class i), train on "
                "−log (Tᵀp)_ỹ, so the network's p models the clean classes while Tᵀp models the noisy labels it sees. "
                "T is given (the true one of the noise model) or estimated from the run's own network after the "
                "warm-up epochs of plain cross-entropy: row i of T̂ is its mean predicted distribution over the "
                "training points it assigns to class i. Asymmetric noise sends class c to c + 1 (mod 4), the "
                "class-dependent case forward correction is designed for. Measured (40 % noise, seed 0): symmetric, "
                "T̂ within 0.13 of T, final accuracy 0.68 vs cross-entropy's 0.53; asymmetric with the true T 0.76 "
                "(memorised 0.30) vs 0.53 — with T̂ only 0.57: the classes overlap and T̂ is off by 0.24."
            </p>
        </div>
    }
}

const LS: RGBColor = RGBColor(30, 150, 90);

#[component]
fn PskdTab() -> impl IntoView {
    let (config, notices, autorun) = linked("pskd", pskd::Config::default(), |c| c.validate());
    let factory: Factory<pskd::Experiment> = std::rc::Rc::new(move || {
        let c = config.get_untracked();
        Box::pin(async move { Ok(vec![pskd::Experiment::new(c)?]) })
    });
    let runner = Runner::new(factory);
    if autorun {
        runner.run();
    }
    let edit = move |f: Box<dyn FnOnce(&mut pskd::Config)>| {
        runner.reset();
        config.update(|c| f(c));
    };
    let invalid = Memo::new(move |_| config.with(|c| c.validate().err().map(|e| e.to_string())));
    let state = Signal::derive(move || {
        runner.frames.track();
        runner.with_steppers(|s| s.first().map(|e| (e.rows.clone(), e.last.clone())).unwrap_or_default()).unwrap_or_default()
    });
    let per_run = move |offset: usize| {
        state.with(|(rows, _)| {
            if rows.is_empty() {
                return Vec::new();
            }
            let col = |k: usize| rows.iter().map(|r| (r[0], r[k])).collect::<Vec<_>>();
            vec![line("cross-entropy", SIM2, col(1 + offset)), line("label smoothing", LS, col(4 + offset)), line("PS-KD", SIM, col(7 + offset))]
        })
    };
    let nll = Signal::derive(move || per_run(1));
    let ece = Signal::derive(move || per_run(2));
    let reliability = Signal::derive(move || {
        state.with(|(_, last)| {
            if last.is_empty() {
                return Vec::new();
            }
            let bins = |c: &pskd::Calibration| c.bins.iter().filter(|b| b.0 > 0).map(|b| (b.1, b.2)).collect::<Vec<_>>();
            vec![
                line("perfect calibration", THEORY2, vec![(0.0, 0.0), (1.0, 1.0)]),
                line("cross-entropy", SIM2, bins(&last[0])),
                line("label smoothing", LS, bins(&last[1])),
                line("PS-KD", SIM, bins(&last[2])),
            ]
        })
    });
    let table = move || {
        state.with(|(_, last)| {
            pskd::RUNS
                .iter()
                .zip(last)
                .map(|(name, c)| view! { <tr><td>{*name}</td><td>{format!("{:.4}", c.accuracy)}</td><td>{format!("{:.4}", c.nll)}</td><td>{format!("{:.4}", c.ece)}</td></tr> })
                .collect_view()
        })
    };
    let status = move || {
        if let Some(e) = runner.error.get() {
            return e;
        }
        runner.frames.with(|fs| {
            let Some(f) = fs.first().and_then(|f| f.last()) else {
                return "Ready: press Run (space) or Step.".to_owned();
            };
            let m = |k: &str| f.metric(k).unwrap_or(f64::NAN);
            format!(
                "{} (CPU, f64): epoch {} · ECE cross-entropy {:.4}, label smoothing {:.4}, PS-KD {:.4}",
                runner.state(), f.iteration, m("ce_ece"), m("ls_ece"), m("pskd_ece")
            )
        })
    };
    let number = move |label: &'static str, id: &'static str, value: Signal<String>, set: crate::form::Setter| {
        crate::form::number_field(label, id, value, set, runner.error)
    };
    let (num, whole) = (crate::form::parse_f64, crate::form::parse_usize);
    view! {
        <form class="panel" on:submit=|ev| ev.prevent_default() aria-label="PS-KD parameters">
            {number("PS-KD α_T", "pskd-alpha", Signal::derive(move || config.with(|c| c.alpha_t.to_string())),
                std::rc::Rc::new(move |v| { let x = num("alpha-t", v)?; edit(Box::new(move |c| c.alpha_t = x)); Ok(()) }))}
            {number("label smoothing α", "pskd-smoothing", Signal::derive(move || config.with(|c| c.smoothing.to_string())),
                std::rc::Rc::new(move |v| { let x = num("smoothing", v)?; edit(Box::new(move |c| c.smoothing = x)); Ok(()) }))}
            {number("train ratio", "pskd-train-ratio", Signal::derive(move || config.with(|c| c.train_ratio.to_string())),
                std::rc::Rc::new(move |v| { let x = num("train-ratio", v)?; edit(Box::new(move |c| c.train_ratio = x)); Ok(()) }))}
            {number("hidden units", "pskd-hidden", Signal::derive(move || config.with(|c| c.hidden.to_string())),
                std::rc::Rc::new(move |v| { let x = whole("hidden", v)?; edit(Box::new(move |c| c.hidden = x)); Ok(()) }))}
            {number("epochs", "pskd-epochs", Signal::derive(move || config.with(|c| c.epochs.to_string())),
                std::rc::Rc::new(move |v| { let x = whole("epochs", v)?; edit(Box::new(move |c| c.epochs = x)); Ok(()) }))}
            {number("seed", "pskd-seed", Signal::derive(move || config.with(|c| c.seed.to_string())),
                std::rc::Rc::new(move |v| { let x = whole("seed", v)? as u64; edit(Box::new(move |c| c.seed = x)); Ok(()) }))}
        </form>
        <RunControls runner=runner invalid=Signal::derive(move || invalid.get().is_some()) />
        <crate::link::LinkNotices notices=notices />
        <crate::link::CliLine lines=Signal::derive(move || config.with(|c| vec![regula_core::cli_line::pskd(c)])) />
        <p id="param-error" class="error" role="alert" hidden=move || invalid.get().is_none()>{move || invalid.get()}</p>
        <p id="status" class=move || if runner.error.get().is_some() { "status error" } else { "status" } aria-live="polite">{status}</p>
        <div class="charts">
            <LogChart id="chart-pskd-ece" title="Expected calibration error (15 bins) vs epoch" x_label="epoch" y_label="ECE" series=ece floor=1e-3 />
            <LogChart id="chart-pskd-nll" title="Test negative log-likelihood vs epoch" x_label="epoch" y_label="NLL" series=nll floor=1e-3 />
            <LogChart id="chart-pskd-reliability" title="Reliability diagram (last epoch): accuracy vs confidence" x_label="confidence (top probability)" y_label="accuracy" series=reliability linear_y=true />
        </div>
        <table id="pskd-table" class="results">
            <thead><tr><th>"run (last epoch, test set)"</th><th>"accuracy"</th><th>"NLL"</th><th>"ECE"</th></tr></thead>
            <tbody>{table}</tbody>
        </table>
        <div class="explain">
            <p>
                "Progressive self-knowledge distillation (Kim, Ji, Yoon & Hwang 2021): at epoch t of T the target of "
                "example x is (1 − α_t)·y + α_t·P_{t−1}(x), its one-hot label softened by the network's own prediction "
                "at the end of the previous epoch, with α_t = α_T·t/T — the network is its own, gradually trusted "
                "teacher. Label smoothing uses the fixed (1 − α)·y + α/K instead. All three runs share the digits split, "
                "the initial weights and the batch order (64-H-10 ReLU, Adam). Calibration on the test set: NLL, and "
                "ECE = Σ_b (n_b/n)|accuracy_b − confidence_b| over 15 equal-width bins of the top probability; in the "
                "reliability diagram a calibrated net lies on the diagonal. Label smoothing's targets cap the top "
                "probability at 1 − α + α/K, so it sits above the diagonal (under-confident)."
            </p>
            <crate::math::KnobHelp id="knobs-pskd" knobs=crate::math::PSKD_KNOBS />
        </div>
    }
}

#[component]
fn ContinualTab() -> impl IntoView {
    let (config, notices, autorun) = linked("continual", continual::Config::default(), |c| c.validate());
    let factory: Factory<continual::Experiment> = std::rc::Rc::new(move || {
        let c = config.get_untracked();
        Box::pin(async move { Ok(vec![continual::Experiment::new(c)?]) })
    });
    let runner = Runner::new(factory);
    if autorun {
        runner.run();
    }
    let edit = move |f: Box<dyn FnOnce(&mut continual::Config)>| {
        runner.reset();
        config.update(|c| f(c));
    };
    let invalid = Memo::new(move |_| config.with(|c| c.validate().err().map(|e| e.to_string())));
    let state = Signal::derive(move || {
        runner.frames.track();
        runner
            .with_steppers(|s| s.first().map(|e| (e.outcomes.clone(), e.after_a.as_ref().map(|a| (a.1, a.2.clone())))).unwrap_or_default())
            .unwrap_or_default()
    });
    let shapes = Signal::derive(move || {
        runner.frames.track();
        runner.with_steppers(|s| s.first().map(continual::Experiment::layer_shapes)).flatten().unwrap_or_default()
    });
    let heat = Signal::derive(move || state.with(|(_, a)| a.as_ref().map(|(_, f)| (f.clone(), shapes.get()))));
    let curves = Signal::derive(move || {
        state.with(|(o, _)| {
            if o.is_empty() {
                return Vec::new();
            }
            let col = |f: fn(&continual::Outcome) -> f64| o.iter().map(|x| (x.lambda, f(x))).collect::<Vec<_>>();
            let mut v = vec![
                line("forgetting of A", SIM2, col(|x| x.forgetting)),
                line("A's accuracy after B", THEORY2, col(|x| x.a_accuracy)),
                line("B's accuracy", SIM, col(|x| x.b_accuracy)),
            ];
            if o.iter().all(|x| x.lora.is_some()) {
                let lora = |f: fn(&continual::LoraOutcome) -> f64| o.iter().filter_map(|x| Some((x.lambda, f(x.lora.as_ref()?)))).collect::<Vec<_>>();
                v.push(line("forgetting of A, LoRA", LS, lora(|l| l.forgetting)));
                v.push(line("B's accuracy, LoRA", THEORY, lora(|l| l.b_accuracy)));
            }
            v
        })
    });
    let fisher = Signal::derive(move || {
        state.with(|(_, a)| match a {
            Some((_, f)) => vec![line("F_i (task A, at θ*_A)", SIM, f.iter().enumerate().map(|(i, v)| (i as f64, *v)).collect())],
            None => Vec::new(),
        })
    });
    let table = move || {
        state.with(|(o, _)| {
            o.iter()
                .map(|x| view! {
                    <tr><td>{x.lambda.to_string()}</td><td>{format!("{:.3}", x.forgetting)}</td><td>{format!("{:.3}", x.a_accuracy)}</td>
                    <td>{format!("{:.3}", x.b_accuracy)}</td><td>{if x.diverged { "diverged" } else { "" }}</td>
                    <td>{x.lora.map_or("—".to_owned(), |l| format!("{:.3}", l.forgetting))}</td>
                    <td>{x.lora.map_or("—".to_owned(), |l| format!("{:.3}{}", l.b_accuracy, if l.diverged { " (diverged)" } else { "" }))}</td></tr>
                })
                .collect_view()
        })
    };
    let status = move || {
        if let Some(e) = runner.error.get() {
            return e;
        }
        runner.frames.with(|fs| {
            let Some(f) = fs.first().and_then(|f| f.last()) else {
                return "Ready: press Run (space) or Step.".to_owned();
            };
            let m = |k: &str| f.metric(k).unwrap_or(f64::NAN);
            let draw = f.phase.clone().unwrap_or_default();
            if f.metric("lambda").is_none() {
                format!("{} (CPU, f64): {draw} · task A learned, test accuracy {:.3}", runner.state(), m("a_accuracy_after_a"))
            } else {
                format!("{} (CPU, f64): {draw} · this draw at λ = {}: forgetting {:.3}, B accuracy {:.3} · chart and table: means over the draws so far", runner.state(), m("lambda"), m("forgetting"), m("b_accuracy"))
            }
        })
    };
    let number = move |label: &'static str, id: &'static str, value: Signal<String>, set: crate::form::Setter| {
        crate::form::number_field(label, id, value, set, runner.error)
    };
    let (num, whole) = (crate::form::parse_f64, crate::form::parse_usize);
    view! {
        <form class="panel" on:submit=|ev| ev.prevent_default() aria-label="Continual-learning parameters">
            {number("λ values (comma-separated)", "ewc-lambdas", Signal::derive(move || config.with(|c| c.lambdas.iter().map(|l| l.to_string()).collect::<Vec<_>>().join(","))),
                std::rc::Rc::new(move |v| {
                    let l = v.split(',').map(|x| x.trim().parse::<f64>().map_err(|_| format!("`lambda`: `{}` is not a number", x.trim()))).collect::<Result<Vec<_>, _>>()?;
                    edit(Box::new(move |c| c.lambdas = l));
                    Ok(())
                }))}
            {number("epochs on A", "ewc-epochs-a", Signal::derive(move || config.with(|c| c.epochs_a.to_string())),
                std::rc::Rc::new(move |v| { let x = whole("epochs", v)?; edit(Box::new(move |c| c.epochs_a = x)); Ok(()) }))}
            {number("epochs on B", "ewc-epochs-b", Signal::derive(move || config.with(|c| c.epochs_b.to_string())),
                std::rc::Rc::new(move |v| { let x = whole("epochs", v)?; edit(Box::new(move |c| c.epochs_b = x)); Ok(()) }))}
            {number("learning rate", "ewc-lr", Signal::derive(move || config.with(|c| c.lr.to_string())),
                std::rc::Rc::new(move |v| { let x = num("lr", v)?; edit(Box::new(move |c| c.lr = x)); Ok(()) }))}
            {number("LoRA rank (0: off)", "ewc-lora-rank", Signal::derive(move || config.with(|c| c.lora_rank.to_string())),
                std::rc::Rc::new(move |v| { let x = whole("lora-rank", v)?; edit(Box::new(move |c| c.lora_rank = x)); Ok(()) }))}
            {number("input scale", "ewc-input-scale", Signal::derive(move || config.with(|c| c.input_scale.to_string())),
                std::rc::Rc::new(move |v| { let x = num("input-scale", v)?; edit(Box::new(move |c| c.input_scale = x)); Ok(()) }))}
            {number("draws", "ewc-seeds", Signal::derive(move || config.with(|c| c.seeds.to_string())),
                std::rc::Rc::new(move |v| { let x = whole("seeds", v)?; edit(Box::new(move |c| c.seeds = x)); Ok(()) }))}
            {number("seed", "ewc-seed", Signal::derive(move || config.with(|c| c.seed.to_string())),
                std::rc::Rc::new(move |v| { let x = whole("seed", v)? as u64; edit(Box::new(move |c| c.seed = x)); Ok(()) }))}
            <label for="ewc-momentum">"momentum 0.9"</label>
            <input id="ewc-momentum" type="checkbox" prop:checked=move || config.with(|c| c.momentum)
                on:change=move |ev| { let on = event_target_checked(&ev); edit(Box::new(move |c| c.momentum = on)); } />
        </form>
        <RunControls runner=runner invalid=Signal::derive(move || invalid.get().is_some()) />
        <crate::link::LinkNotices notices=notices />
        <crate::link::CliLine lines=Signal::derive(move || config.with(|c| vec![regula_core::cli_line::continual(c)])) />
        <p id="param-error" class="error" role="alert" hidden=move || invalid.get().is_none()>{move || invalid.get()}</p>
        <p id="status" class=move || if runner.error.get().is_some() { "status error" } else { "status" } aria-live="polite">{status}</p>
        <div class="charts">
            <LogChart id="chart-ewc" title="Forgetting and accuracy vs the penalty weight λ (λ = 0 in the table)" x_label="λ" y_label="fraction" series=curves linear_y=true log_x=true />
            <LogChart id="chart-fisher" title="Diagonal Fisher information of task A per parameter" x_label="parameter index (layer by layer: weights, then biases)" y_label="F_i" series=fisher floor=1e-10 />
            <FisherHeatmap fisher=heat />
        </div>
        <table id="ewc-table" class="results">
            <thead><tr><th>"λ"</th><th>"forgetting of A"</th><th>"A after B"</th><th>"B accuracy"</th><th></th><th>"LoRA: forgetting"</th><th>"LoRA: B accuracy"</th></tr></thead>
            <tbody>{table}</tbody>
        </table>
        <div class="explain">
            <p>
                "Elastic weight consolidation (Kirkpatrick et al. 2017; the Fisher penalty CSTRL and AlignGuard-LoRA use): "
                "learn task A (Playground's circle), then task B (xor) from A's weights θ*_A with the loss "
                "L_B + (λ/2)·Σ_i F_i(θ_i − θ*_A,i)², where F_i = mean over A's training points of (∂ℓ/∂θ_i)² (the "
                "diagonal empirical Fisher). Forgetting = A's test accuracy after A minus after B. Larger λ holds the "
                "parameters A relies on, so A is forgotten less but B is learned less; past λ·F_max > 2/η the penalty's "
                "own curvature makes plain SGD diverge (reported). 2-16-16-1 tanh, ½·MSE, SGD (or momentum), batch 1, "
                "coordinates scaled to [−1, 1]; every λ starts from the same θ*_A and batch order, and the whole "
                "comparison is repeated over independent draws and averaged — one draw's forgetting at λ = 0 ranges "
                "from 0.33 to 0.65. With the defaults (10 draws) forgetting falls from 0.49 at λ = 0 to 0.31 at "
                "λ = 20 while B keeps 0.95 (REFERENCE.md's figure, which it puts at λ = 1000: λ's scale is the "
                "Fisher's normalisation). Both tasks share the plane, so B's accuracy caps how much of A can stay: "
                "xor's points avoid a band of width 0.6 around the axes, and only there can a net that gets xor "
                "right keep the circle."
            </p>
            <crate::math::KnobHelp id="knobs-continual" knobs=crate::math::CONTINUAL_KNOBS />
            <p>
                "LoRA variant (AlignGuard-LoRA's setting): task B is learned only through rank-r adapters, "
                "W_l = W*_A,l + B_l A_l on every weight matrix (biases frozen; B_l = 0 at the start), and the Fisher "
                "penalty (λ/2)·Σ_i F_i Δ_i² acts on the adapters' update Δ = B_l A_l alone. Same η, batch and epochs. "
                "The heatmap shows F_i layer by layer (rows: units, columns: their inputs, then the bias) on a log "
                "scale: the weights task A relies on most are the ones the penalty holds."
            </p>
        </div>
    }
}

#[component]
fn QuadraticTab() -> impl IntoView {
    let (config, notices, autorun) = linked("quadratic", quadratic::Config::default(), |c| c.validate());
    let factory: Factory<quadratic::Sweep> = std::rc::Rc::new(move || {
        let c = config.get_untracked();
        Box::pin(async move { Ok(vec![quadratic::Sweep::new(c)?]) })
    });
    let runner = Runner::new(factory);
    if autorun {
        runner.run();
    }
    let edit = move |f: Box<dyn FnOnce(&mut quadratic::Config)>| {
        runner.reset();
        config.update(|c| f(c));
    };
    let invalid = Memo::new(move |_| config.with(|c| c.validate().err().map(|e| e.to_string())));
    let state = Signal::derive(move || {
        runner.frames.track();
        runner.with_steppers(|s| s.first().map(|e| (e.rows.clone(), e.curve.clone()))).flatten().unwrap_or_default()
    });
    let sweep = Signal::derive(move || {
        state.with(|(rows, _)| {
            if rows.is_empty() {
                return Vec::new();
            }
            let col = |k: usize| rows.iter().map(|r| (r[0], r[k])).collect::<Vec<_>>();
            let threshold = config.with(|c| quadratic::recovery_threshold(c.kappa));
            vec![
                line("one gradient-descent run", SIM2, col(1)),
                line("mean over runs", THEORY2, col(2)),
                line("averaged predictor", SIM, col(3)),
                line("recovery threshold α_PR", THEORY, vec![(threshold, 1e-6), (threshold, 2.0)]),
            ]
        })
    });
    let curve = Signal::derive(move || {
        state.with(|(_, curve)| {
            if curve.is_empty() {
                return Vec::new();
            }
            vec![line("test error", SIM, curve.iter().map(|r| (r[0], r[2])).collect()), line("training error", SIM2, curve.iter().map(|r| (r[0], r[1])).collect())]
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
            let m = |k: &str| f.metric(k).unwrap_or(f64::NAN);
            let n = config.with(|c| c.alphas.len());
            if f.stop == Some(regula_core::StopReason::Divergence) {
                return format!("{}: gradient descent diverged — lower the learning rate", runner.state());
            }
            let last = if f.metric("averaged_test_error").is_some() {
                format!(" · last α done: one run {:.4}, averaged {:.4}", m("single_test_error"), m("averaged_test_error"))
            } else {
                String::new()
            };
            if f.done {
                return format!("{} (CPU, f64): {} of {n} values of α{last}", runner.state(), f.iteration);
            }
            format!("{} (CPU, f64): {} of {n} values of α · α = {} start {}: step {}, test error {:.4}{last}", runner.state(), f.iteration, m("alpha"), m("restart") + 1.0, m("gd_step"), m("test_error"))
        })
    };
    let number = move |label: &'static str, id: &'static str, value: Signal<String>, set: crate::form::Setter| {
        crate::form::number_field(label, id, value, set, runner.error)
    };
    let (num, whole) = (crate::form::parse_f64, crate::form::parse_usize);
    view! {
        <form class="panel" on:submit=|ev| ev.prevent_default() aria-label="Quadratic-teacher parameters">
            {number("α = n/d² values (comma-separated)", "q-alphas", Signal::derive(move || config.with(|c| c.alphas.iter().map(|l| l.to_string()).collect::<Vec<_>>().join(","))),
                std::rc::Rc::new(move |v| {
                    let l = v.split(',').map(|x| x.trim().parse::<f64>().map_err(|_| format!("`alpha`: `{}` is not a number", x.trim()))).collect::<Result<Vec<_>, _>>()?;
                    edit(Box::new(move |c| c.alphas = l));
                    Ok(())
                }))}
            {number("input dimension d", "q-d", Signal::derive(move || config.with(|c| c.d.to_string())),
                std::rc::Rc::new(move |v| { let x = whole("d", v)?; edit(Box::new(move |c| c.d = x)); Ok(()) }))}
            {number("teacher width κ = m/d", "q-kappa", Signal::derive(move || config.with(|c| c.kappa.to_string())),
                std::rc::Rc::new(move |v| { let x = num("kappa", v)?; edit(Box::new(move |c| c.kappa = x)); Ok(()) }))}
            {number("gradient-descent starts", "q-restarts", Signal::derive(move || config.with(|c| c.restarts.to_string())),
                std::rc::Rc::new(move |v| { let x = whole("restarts", v)?; edit(Box::new(move |c| c.restarts = x)); Ok(()) }))}
            {number("steps per start", "q-steps", Signal::derive(move || config.with(|c| c.steps.to_string())),
                std::rc::Rc::new(move |v| { let x = whole("steps", v)?; edit(Box::new(move |c| c.steps = x)); Ok(()) }))}
            {number("learning rate", "q-lr", Signal::derive(move || config.with(|c| c.lr.to_string())),
                std::rc::Rc::new(move |v| { let x = num("lr", v)?; edit(Box::new(move |c| c.lr = x)); Ok(()) }))}
            {number("initial scale", "q-init", Signal::derive(move || config.with(|c| c.init_scale.to_string())),
                std::rc::Rc::new(move |v| { let x = num("init-scale", v)?; edit(Box::new(move |c| c.init_scale = x)); Ok(()) }))}
            {number("seed", "q-seed", Signal::derive(move || config.with(|c| c.seed.to_string())),
                std::rc::Rc::new(move |v| { let x = whole("seed", v)? as u64; edit(Box::new(move |c| c.seed = x)); Ok(()) }))}
        </form>
        <RunControls runner=runner invalid=Signal::derive(move || invalid.get().is_some()) />
        <crate::link::LinkNotices notices=notices />
        <crate::link::CliLine lines=Signal::derive(move || config.with(|c| vec![regula_core::cli_line::quadratic(c)])) />
        <p id="param-error" class="error" role="alert" hidden=move || invalid.get().is_none()>{move || invalid.get()}</p>
        <p id="status" class=move || if runner.error.get().is_some() { "status error" } else { "status" } aria-live="polite">{status}</p>
        <div class="charts">
            <LogChart id="chart-q-sweep" title="Test error vs α = n/d²: one run, the average over runs, and the averaged predictor" x_label="α = n/d²" y_label="test error" series=sweep floor=1e-6 />
            <LogChart id="chart-q-curve" title="The current start: errors vs gradient-descent step" x_label="step" y_label="relative error" series=curve floor=1e-10 />
        </div>
        <div class="explain">
            <p>
                "Maillard, Troiani, Martin, Krzakala & Zdeborová (2024): a teacher y = (1/√m)Σ_k[(w_k·x)²/d − 1] of "
                "width m = κd with quadratic activation, x ~ N(0, I_d), w_k ~ N(0, I_d), and n = αd² samples. The "
                "network depends only on S = WᵀW/(√m·d): f(x) = xᵀSx − tr S, so the test error is exact, "
                "‖S − S*‖²_F/‖S*‖²_F (1 for predicting 0). A student of the same width is trained by full-batch "
                "gradient descent on ½·mean squared error from a start drawn at the prior's scale. Above "
                "α_PR = κ − κ²/2 (0.375 for κ = ½) the samples pin S* down and one run recovers it; below, each run "
                "interpolates the samples somewhere else, and averaging the runs' predictors (S̄ = mean S) lowers the "
                "error. Reference (d = 20, κ = ½; single/average): 0.64/0.48, 0.63/0.37, 0.07/0.03, 0.004/0.001 at "
                "α = 0.125, 0.25, 0.375, 0.5; measured here with seed 0: 0.89/0.53, 0.37/0.21, 0.04/0.03, 0.000/0.000."
            </p>
            <crate::math::KnobHelp id="knobs-quadratic" knobs=crate::math::QUADRATIC_KNOBS />
        </div>
    }
}

/// F_i and the layers as (weight offset, bias offset, fan-in, fan-out).
type FisherByLayer = (Vec<f64>, Vec<(usize, usize, usize, usize)>);

/// The diagonal Fisher information as one heatmap block per layer (fan-out rows × fan-in columns plus a
/// bias column), log colour scale over 6 decades below the largest entry.
#[component]
fn FisherHeatmap(fisher: Signal<Option<FisherByLayer>>) -> impl IntoView {
    let canvas = NodeRef::<Canvas>::new();
    let cells = move || fisher.with(|f| f.as_ref().map_or(0, |(v, _)| v.len()));
    Effect::new(move |_| {
        if let (Some((f, layers)), Some(c)) = (fisher.get(), canvas.get()) {
            if let Err(e) = crate::chart::canvas_root(c).and_then(|root| draw_fisher(root, &f, &layers)) {
                leptos::logging::warn!("fisher heatmap: {e}");
            }
        }
    });
    let svg: crate::chart::SvgExport = std::rc::Rc::new(move || {
        fisher.with_untracked(|f| f.as_ref().ok_or_else(|| "nothing drawn yet".to_owned()).and_then(|(f, layers)| regula_charts::svg(|root| draw_fisher(root, f, layers))))
    });
    view! {
        <figure class="chart" data-cells=cells>
            <canvas id="chart-fisher-heatmap" node_ref=canvas width="600" height="320" role="img" aria-label="Fisher information heatmap by layer"></canvas>
            <crate::chart::ExportBar id="chart-fisher-heatmap" canvas=canvas svg=svg />
        </figure>
    }
}

fn draw_fisher<DB: DrawingBackend>(root: DrawingArea<DB, Shift>, f: &[f64], layers: &[(usize, usize, usize, usize)]) -> Result<(), Box<dyn std::error::Error>>
where
    DB::ErrorType: 'static,
{
    regula_charts::train::draw_fisher(root, f, layers)
}
