//! Sparse linear regression on random vs adversarial supports (docs/methods.md §5.1). For every N of the
//! list and every trial: one design of N rows ([`design`]), a w* on each support type, y = Xw* + σε; each
//! estimator ([`estimators`]) fits it, and the run records the in-sample prediction error (1/N)‖X(ŵ − w*)‖²
//! and the support's precision and recall. A step fits one (N, trial, support, estimator) at a time within
//! its budget; the table of every cell (median and quartiles over trials) and the latest Lasso's path with its
//! cross-validation curve are read from the stepper.

pub mod design;
pub mod estimators;
pub mod gpu;

use serde::{Deserialize, Serialize};

use self::design::{DesignKind, Law, Support};
use self::estimators::{iht, omp, puffer, CdOptions, Design, LassoCv, LassoFit};
use crate::backend::{place, Backend, BackendChoice};
use crate::error::{Error, Result};
use crate::frame::{Budget, Frame, Stepper, StopReason};
use crate::lab::{field, Def, Field, Lab, Preset};
use crate::metrics as key;
use crate::rng::SplitMix64;

crate::choice! {
    /// An estimator of w*.
    pub enum Estimator("estimators") {
        Lasso => "lasso",
        Omp => "omp",
        Iht => "iht",
        Precond => "precond",
    }
}

impl Estimator {
    /// The legend's words.
    pub fn title(self) -> &'static str {
        match self {
            Estimator::Lasso => "Lasso (CV)",
            Estimator::Omp => "OMP (k given)",
            Estimator::Iht => "IHT (k given)",
            Estimator::Precond => "preconditioned Lasso (ours)",
        }
    }
}

/// Largest d.
pub const MAX_D: usize = 2048;
/// Largest N.
pub const MAX_N: usize = 4000;
/// Largest N·d of one design.
pub const MAX_ENTRIES: usize = 1 << 21;
/// Largest k (OMP and IHT refit on k columns).
pub const MAX_K: usize = 128;
/// IHT's step cap.
pub const IHT_MAX_ITER: usize = 2000;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Params {
    pub design: DesignKind,
    /// Features d.
    pub d: usize,
    /// Nonzeros of w*.
    pub k: usize,
    /// Correlation of adjacent columns (correlated, ill-conditioned).
    pub rho: f64,
    /// Condition number of the column scales (ill-conditioned).
    pub kappa: f64,
    /// Noise σ.
    pub sigma: f64,
    /// The sample sizes N.
    pub n: Vec<usize>,
    pub supports: Vec<Support>,
    pub estimators: Vec<Estimator>,
    /// Designs per N.
    pub trials: usize,
    /// Cross-validation folds of the Lasso's λ.
    pub folds: usize,
    /// λ values on the path.
    pub path: usize,
    /// The path's smallest λ over λ_max.
    pub lambda_ratio: f64,
    pub seed: u64,
    /// Where the Lasso's cross-validation runs (FISTA on the GPU, or coordinate descent on the CPU).
    pub backend: BackendChoice,
}

impl Default for Params {
    fn default() -> Self {
        Self {
            design: DesignKind::Correlated,
            d: 256,
            k: 6,
            rho: 0.9,
            kappa: 1e3,
            sigma: 0.1,
            n: vec![20, 40, 60, 80, 120, 160],
            supports: Support::ALL.to_vec(),
            estimators: Estimator::ALL.to_vec(),
            trials: 10,
            folds: 5,
            path: 40,
            lambda_ratio: 1e-3,
            seed: 0,
            backend: BackendChoice::Auto,
        }
    }
}

const FIELDS: &[Field] = &[
    field("design", "design", "gaussian: independent N(0, 1) entries; correlated: adjacent columns correlated ρ (AR(1) rows); ill-conditioned: the correlated design with column scales spanning κ.").choice(DesignKind::NAMES),
    field("d", "features d", "Columns of the design.").int(2, MAX_D as u64),
    field("k", "sparsity k", "Nonzeros of w* (scaled so that its signal variance w*ᵀΣw* is 1).").int(1, MAX_K as u64),
    field("rho", "correlation ρ", "Correlation of adjacent columns (correlated and ill-conditioned designs).").real(0.0, 0.999),
    field("kappa", "condition κ", "Largest over smallest column scale (ill-conditioned design).").log(1.0, 1e12),
    field("sigma", "noise σ", "Standard deviation of the noise on y.").real(0.0, 100.0),
    field("n", "samples N", "The sample sizes, one design per trial at each.").ints(2, MAX_N as u64),
    field("supports", "supports", "random: k columns uniformly with random signs; adversarial: adjacent pairs (+, −), which cancel under correlation.").set_of(Support::NAMES, false),
    field("estimators", "estimators", "lasso: coordinate descent, λ by cross-validation; omp, iht: told the true k; precond: the design whitened (Puffer, phase 1), then the cross-validated Lasso (ours).").set_of(Estimator::NAMES, false),
    field("trials", "trials", "Designs per N: the charts show the median and the quartiles.").int(1, 500),
    field("folds", "CV folds", "Cross-validation folds that choose the Lasso's λ (contiguous blocks of rows).").int(2, 20),
    field("path", "path points", "λ values on the Lasso's path, log-spaced from λ_max = ‖Xᵀy‖∞/N.").int(2, 200),
    field("lambda_ratio", "λ min / λ max", "Where the path ends, relative to λ_max.").log(1e-8, 0.5),
    field("seed", "seed", "Draws every design, support and noise."),
    field("backend", "backend", "Where the Lasso's cross-validation runs — auto: a hardware GPU (every fold × λ problem at once by FISTA, f32), else the CPU (coordinate descent, f64); gpu: any adapter; cpu: f64. OMP, IHT and the preconditioner always run on the CPU.").choice(BackendChoice::NAMES),
];

impl Lab for Params {
    const DEF: &'static Def = &Def {
        page: "solvers",
        tab: Some("sparse"),
        command: "solvers sparse",
        title: "Sparse regression: prediction error vs N on random and adversarial supports (Lasso, OMP, IHT, preconditioned)",
        fields: FIELDS,
        renamed: &[],
        presets: &[
            Preset {
                name: "random-vs-adversarial",
                title: "Random vs adversarial support (d 256, k 6, ρ 0.9)",
                source: "Sparse linear regression on random supports (2025): prediction error ≈ 0.005 at N = 40 on a random support, ≈ 1.0 (N = 40) and ≈ 0.04 (N = 80) on adjacent opposite-sign pairs",
                query: "",
            },
            Preset {
                name: "ill-conditioned",
                title: "Ill-conditioned design (κ = 1e6): preconditioning",
                source: "The paper's claim: random supports stay easy at any condition number with a preconditioner (ours here: Puffer whitening, Jia & Rohe 2015)",
                query: "design=ill-conditioned&kappa=1000000&rho=0.5&n=40,80,160&estimators=lasso,precond,omp&supports=random",
            },
            Preset {
                name: "gaussian",
                title: "Independent Gaussian design: both supports easy",
                source: "Control: with independent columns the support type does not matter (Lasso's restricted eigenvalue holds)",
                query: "design=gaussian&n=20,30,40,60,80",
            },
        ],
    };

    fn check(&self) -> Result<()> {
        let bad = |name: &'static str, message: String| Err(Error::Invalid { name, message });
        if self.k > self.d {
            return bad("k", format!("k = {} nonzeros do not fit in d = {} features", self.k, self.d));
        }
        if let Some(&n) = self.n.iter().find(|&&n| n < self.k) {
            return bad("n", format!("N = {n} is below k = {}: fewer samples than nonzeros", self.k));
        }
        if let Some(&n) = self.n.iter().find(|&&n| n < 2 * self.folds) {
            return bad("n", format!("N = {n} is too small for {} folds (each needs 2 samples)", self.folds));
        }
        if let Some(&n) = self.n.iter().find(|&&n| n * self.d > MAX_ENTRIES) {
            return bad("n", format!("N·d = {} is over the limit {MAX_ENTRIES}", n * self.d));
        }
        if self.supports.is_empty() {
            return bad("supports", "name at least one support type".into());
        }
        if self.estimators.is_empty() {
            return bad("estimators", "name at least one estimator".into());
        }
        Ok(())
    }
}

/// One fit's outcome.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Outcome {
    pub error: f64,
    pub precision: f64,
    pub recall: f64,
    /// The chosen λ (Lasso and the preconditioned Lasso), else NaN.
    pub lambda: f64,
}

/// A cell's figures over its trials.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    pub trials: usize,
    pub median: f64,
    pub q25: f64,
    pub q75: f64,
    pub precision: f64,
    pub recall: f64,
}

fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let pos = q * (sorted.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
}

impl Summary {
    pub fn of(outcomes: &[Outcome]) -> Option<Self> {
        if outcomes.is_empty() {
            return None;
        }
        let sorted = |f: fn(&Outcome) -> f64| {
            let mut v: Vec<f64> = outcomes.iter().map(f).collect();
            v.sort_by(f64::total_cmp);
            v
        };
        let e = sorted(|o| o.error);
        Some(Self {
            trials: outcomes.len(),
            median: quantile(&e, 0.5),
            q25: quantile(&e, 0.25),
            q75: quantile(&e, 0.75),
            precision: quantile(&sorted(|o| o.precision), 0.5),
            recall: quantile(&sorted(|o| o.recall), 0.5),
        })
    }
}

/// The latest cross-validated Lasso fit, for the path chart.
#[derive(Debug, Clone, PartialEq)]
pub struct PathView {
    pub n: usize,
    pub support: Support,
    pub estimator: Estimator,
    pub fit: LassoFit,
    /// w*'s nonzero columns.
    pub truth: Vec<usize>,
    pub folds: usize,
}

impl PathView {
    /// The columns ever nonzero on the path, each with whether it is in w*'s support and its coefficient
    /// per λ.
    pub fn lines(&self) -> Vec<(bool, Vec<f64>)> {
        let d = self.fit.path.first().map_or(0, Vec::len);
        (0..d)
            .filter(|&j| self.fit.path.iter().any(|w| w[j] != 0.0))
            .map(|j| (self.truth.contains(&j), self.fit.path.iter().map(|w| w[j]).collect()))
            .collect()
    }

    /// The picture's title: which fit it is.
    pub fn title(&self) -> String {
        format!(
            "{}, N = {}, {}: λ = {:.2e} by {}-fold CV",
            self.estimator.title(),
            self.n,
            self.support,
            self.fit.lambda(),
            self.folds
        )
    }
}

/// The key of a figure of (support, estimator) in frames: `random-lasso_pred_error_median`.
pub fn metric(support: Support, estimator: Estimator, figure: &str) -> String {
    key::of_run(&format!("{}-{}", support.name(), estimator.name()), figure)
}

/// A chart's curve: its name, the support, the estimator's index in [`Estimator::ALL`] and its points
/// (N, low, middle, high).
pub type Curve = (String, Support, usize, Vec<(f64, f64, f64, f64)>);

/// A cross-validated Lasso under way.
enum Pending {
    Cpu(LassoCv),
    Gpu(Box<gpu::GpuCv>),
}

/// One (N, trial): the design and, per support type, w* and y.
struct Instance {
    at: (usize, usize),
    x: Design,
    signals: Vec<(Vec<f64>, Vec<f64>)>,
}

/// The experiment's stepper.
pub struct Experiment {
    params: Params,
    next: usize,
    instance: Option<Instance>,
    /// Outcomes per cell, indexed by [`Experiment::cell`].
    outcomes: Vec<Vec<Outcome>>,
    path: Option<PathView>,
    /// A cross-validated fit under way: its unit and its state (one fold per step iteration on the CPU, one
    /// round of FISTA iterations on the GPU).
    pending: Option<(usize, Pending)>,
    /// The GPU the Lasso's cross-validation runs on, if any.
    gpu: Option<std::rc::Rc<crate::gpu::GpuContext>>,
    /// Why the CPU runs it, when a GPU was there or asked for (`Backend::cpu_note`).
    note: &'static str,
    /// Singular values dropped by the preconditioner, over all fits.
    pub dropped: usize,
    elapsed_ms: f64,
}

impl Experiment {
    pub fn new(params: Params) -> Result<Self> {
        crate::lab::validate(&params)?;
        let cells = params.n.len() * params.supports.len() * params.estimators.len();
        Ok(Self {
            params,
            next: 0,
            instance: None,
            outcomes: vec![Vec::new(); cells],
            path: None,
            pending: None,
            gpu: None,
            note: "",
            dropped: 0,
            elapsed_ms: 0.0,
        })
    }

    /// The run on `backend` (placed by [`Params`]'s rule: [`place`]).
    pub fn on(params: Params, backend: &Backend) -> Result<Self> {
        let mut e = Self::new(params)?;
        e.note = backend.cpu_note();
        if let Backend::Gpu(ctx) = backend {
            e.gpu = Some(ctx.clone());
        }
        Ok(e)
    }

    pub fn params(&self) -> &Params {
        &self.params
    }

    /// Where the parts ran, for status lines.
    pub fn placement(&self) -> String {
        match self.gpu {
            Some(_) => "the Lasso's cross-validation on the GPU (FISTA, f32), the rest on the CPU (f64)".into(),
            None => format!("CPU, f64{}", self.note),
        }
    }

    fn units(&self) -> usize {
        self.outcomes.len() * self.params.trials
    }

    fn cell(&self, ni: usize, si: usize, ei: usize) -> usize {
        (ni * self.params.supports.len() + si) * self.params.estimators.len() + ei
    }

    /// (N index, trial, support index, estimator index) of unit `u`.
    fn unit(&self, u: usize) -> (usize, usize, usize, usize) {
        let (ne, ns, t) = (self.params.estimators.len(), self.params.supports.len(), self.params.trials);
        (u / (t * ns * ne), u / (ns * ne) % t, u / ne % ns, u % ne)
    }

    /// The figures of (N index, support, estimator) so far.
    pub fn summary(&self, ni: usize, support: Support, estimator: Estimator) -> Option<Summary> {
        let si = self.params.supports.iter().position(|&s| s == support)?;
        let ei = self.params.estimators.iter().position(|&e| e == estimator)?;
        Summary::of(&self.outcomes[self.cell(ni, si, ei)])
    }

    /// The outcomes of (N index, support, estimator), one per trial done.
    pub fn outcomes(&self, ni: usize, support: Support, estimator: Estimator) -> &[Outcome] {
        let si = self.params.supports.iter().position(|&s| s == support);
        let ei = self.params.estimators.iter().position(|&e| e == estimator);
        match (si, ei) {
            (Some(si), Some(ei)) => &self.outcomes[self.cell(ni, si, ei)],
            _ => &[],
        }
    }

    /// The latest cross-validated fit's path.
    pub fn path(&self) -> Option<&PathView> {
        self.path.as_ref()
    }

    /// One curve per (support, estimator), in the lab's order: its name ("random · Lasso (CV)"), the support,
    /// the estimator's index in [`Estimator::ALL`] (its colour), and per N with outcomes (N, first quartile, median, third quartile) of `figure` —
    /// the prediction error, or the recall (its median three times).
    pub fn curves(&self, recall: bool) -> Vec<Curve> {
        let p = &self.params;
        let mut out = Vec::new();
        for &s in &p.supports {
            for &e in &p.estimators {
                let pts = (0..p.n.len())
                    .filter_map(|ni| {
                        let sm = self.summary(ni, s, e)?;
                        let n = p.n[ni] as f64;
                        Some(if recall { (n, sm.recall, sm.recall, sm.recall) } else { (n, sm.q25, sm.median, sm.q75) })
                    })
                    .collect();
                let ei = Estimator::ALL.iter().position(|&a| a == e).unwrap_or(0);
                out.push((format!("{s} · {}", e.title()), s, ei, pts));
            }
        }
        out
    }

    fn instance(&self, ni: usize, t: usize) -> Instance {
        let p = &self.params;
        let n = p.n[ni];
        // The law (the ill-conditioned scales) is one per run; each (N, trial) draws its own design.
        let law = Law::new(p.design, p.d, p.rho, p.kappa, &mut SplitMix64::new(p.seed ^ 0x1A77_5CA1));
        let mut rng = SplitMix64::new(p.seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ ((n as u64) << 32) ^ t as u64);
        rng.next_u64();
        let x = law.draw(n, &mut rng);
        let signals = Support::ALL
            .iter()
            .map(|&s| {
                let w = law.signal(s, p.k, &mut rng);
                let clean = x.apply(&w);
                let y = clean.iter().map(|c| c + p.sigma * rng.normal()).collect();
                (w, y)
            })
            .collect();
        Instance { at: (ni, t), x, signals }
    }

    /// Advances unit `u` by one piece of work (a whole OMP or IHT fit; one fold of a cross-validated Lasso);
    /// its outcome once the unit is done.
    async fn fit(&mut self, u: usize) -> Result<Option<Outcome>> {
        let (ni, t, si, ei) = self.unit(u);
        if self.instance.as_ref().is_none_or(|i| i.at != (ni, t)) {
            self.instance = Some(self.instance(ni, t));
        }
        let p = self.params.clone();
        let inst = self.instance.as_ref().expect("just made");
        let support = p.supports[si];
        let (w_true, y) = &inst.signals[Support::ALL.iter().position(|&s| s == support).unwrap_or(0)];
        let x = &inst.x;
        let estimator = p.estimators[ei];
        let (w, cv) = match estimator {
            Estimator::Omp => (omp(x, y, p.k), None),
            Estimator::Iht => (iht(x, y, p.k, IHT_MAX_ITER), None),
            Estimator::Lasso | Estimator::Precond => {
                if self.pending.as_ref().is_none_or(|(at, _)| *at != u) {
                    let (fx, fy) = if estimator == Estimator::Precond {
                        let (fx, fy, dropped) = puffer(x, y)?;
                        self.dropped += dropped;
                        (fx, fy)
                    } else {
                        (x.clone(), y.clone())
                    };
                    let pending = match &self.gpu {
                        Some(ctx) => Pending::Gpu(Box::new(
                            gpu::GpuCv::new(ctx.clone(), fx, fy, p.folds, p.path, p.lambda_ratio).await?,
                        )),
                        None => {
                            Pending::Cpu(LassoCv::new(fx, fy, p.folds, p.path, p.lambda_ratio, CdOptions::default())?)
                        }
                    };
                    self.pending = Some((u, pending));
                    return Ok(None);
                }
                let fit = match &mut self.pending {
                    Some((_, Pending::Cpu(cv))) => {
                        if !cv.advance() {
                            return Ok(None);
                        }
                        match self.pending.take() {
                            Some((_, Pending::Cpu(cv))) => cv.finish(),
                            _ => unreachable!("matched above"),
                        }
                    }
                    Some((_, Pending::Gpu(cv))) => match cv.advance().await? {
                        Some(fit) => {
                            self.pending = None;
                            fit
                        }
                        None => return Ok(None),
                    },
                    None => unreachable!("set above"),
                };
                (fit.w().to_vec(), Some(fit))
            }
        };
        crate::error::ensure_finite("w", w.iter().copied())?;
        let error = x.prediction_error(&w, w_true);
        let found: Vec<usize> = (0..p.d).filter(|&j| w[j] != 0.0).collect();
        let hits = found.iter().filter(|&&j| w_true[j] != 0.0).count();
        let outcome = Outcome {
            error,
            precision: hits as f64 / found.len().max(1) as f64,
            recall: hits as f64 / p.k as f64,
            lambda: cv.as_ref().map_or(f64::NAN, LassoFit::lambda),
        };
        if let Some(fit) = cv {
            let truth = (0..p.d).filter(|&j| w_true[j] != 0.0).collect();
            self.path = Some(PathView { n: p.n[ni], support, estimator, fit, truth, folds: p.folds });
        }
        Ok(Some(outcome))
    }
}

/// Frame metrics: `n` (the N being fitted), `trials` done there, and per (support, estimator) with an
/// outcome at that N its median prediction error, quartiles, precision and recall ([`metric`]).
impl Stepper for Experiment {
    async fn step(&mut self, budget: Budget) -> Result<Frame> {
        let start = web_time::Instant::now();
        let total = self.units();
        let mut ran = 0;
        while self.next < total && ran < budget.max_iterations {
            let (ni, _, si, ei) = self.unit(self.next);
            if let Some(o) = self.fit(self.next).await? {
                let c = self.cell(ni, si, ei);
                self.outcomes[c].push(o);
                self.next += 1;
                ran += 1;
            }
            if start.elapsed().as_secs_f64() * 1e3 >= budget.max_millis {
                break;
            }
        }
        self.elapsed_ms += start.elapsed().as_secs_f64() * 1e3;
        let done = self.next >= total;
        let ni = self.unit(self.next.saturating_sub(1)).0;
        let mut metrics = std::collections::BTreeMap::new();
        metrics.insert(key::SAMPLES.to_owned(), self.params.n[ni] as f64);
        for &s in &self.params.supports {
            for &e in &self.params.estimators {
                if let Some(sm) = self.summary(ni, s, e) {
                    metrics.insert(key::TRIALS.to_owned(), sm.trials as f64);
                    for (k, v) in [
                        (key::PRED_ERROR_MEDIAN, sm.median),
                        (key::PRED_ERROR_Q25, sm.q25),
                        (key::PRED_ERROR_Q75, sm.q75),
                        (key::PRECISION, sm.precision),
                        (key::RECALL, sm.recall),
                    ] {
                        metrics.insert(metric(s, e, k), v);
                    }
                }
            }
        }
        Ok(Frame {
            iteration: self.next as u64,
            metrics,
            elapsed_ms: self.elapsed_ms,
            done,
            converged: done,
            stop: done.then_some(StopReason::Completed),
            phase: None,
        })
    }
}

impl crate::lab::run::Runnable for Params {
    type Run = Experiment;
    /// OMP, IHT and the preconditioner on the CPU (f64); the Lasso's cross-validation where [`place`] puts
    /// it (beside a software adapter `auto` keeps it on the CPU).
    fn start<'a>(&'a self, device: &'a Backend) -> crate::lab::run::LocalFuture<'a, Result<Vec<Experiment>>> {
        Box::pin(async move {
            let backend = place(self.backend, device)?;
            Ok(vec![Experiment::on(self.clone(), &backend)?])
        })
    }
}

#[cfg(test)]
mod tests;
