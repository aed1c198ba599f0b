//! The sketching labs' parameters, declared with the lab kit: sketched regression (the design, the
//! sketches and sizes, the solver, the backend) and the nuclear-norm comparison; and where a regression
//! run goes (S·[A | b] on the GPU in f32 when one is open and not declined, every solve on the CPU in f64).

use serde::{Deserialize, Serialize};

use super::experiment::{sweep, Config, Experiment, Solver, MAX_ENTRIES, MAX_TRIALS};
use super::nuclear;
use super::operators::SketchKind;
use super::regression::{Design, Instance};
use crate::backend::{place, Backend, BackendChoice};
use crate::error::{Error, Result};
use crate::lab::{field, Def, Field, Lab, Preset};

/// The regression tab's parameters (`regula sketch`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Params {
    pub design: Design,
    pub n: usize,
    pub d: usize,
    /// The largest sketch size: sketch-and-solve sweeps 2d, 4d, … up to it; sketch-and-precondition
    /// uses it alone.
    pub m: usize,
    pub sketches: Vec<SketchKind>,
    pub s: usize,
    pub trials: usize,
    pub seed: u64,
    pub solver: Solver,
    #[serde(default = "default_tol")]
    pub tol: f64,
    pub backend: BackendChoice,
}

fn default_tol() -> f64 {
    Config::default().tol
}

impl Default for Params {
    /// The ℓ∞ paper's check: n = 4096, d = 32, m = 1024, coherent A with a spiky residual.
    fn default() -> Self {
        Self {
            design: Design::Spiky,
            n: 4096,
            d: 32,
            m: 1024,
            sketches: vec![SketchKind::Gaussian, SketchKind::Srht, SketchKind::CountSketch, SketchKind::Osnap],
            s: 4,
            trials: 100,
            seed: 0,
            solver: Solver::Solve,
            tol: default_tol(),
            backend: BackendChoice::Auto,
        }
    }
}

impl Params {
    /// The experiment's cells for an n × d instance: every m of the sweep (sketch-and-solve), or m alone.
    pub fn config(&self, n: usize, d: usize) -> Config {
        let ms = if self.solver == Solver::Precondition { vec![self.m] } else { sweep(d, self.m, n) };
        Config {
            sketches: self.sketches.clone(),
            ms,
            s: self.s,
            trials: self.trials,
            seed: self.seed,
            solver: self.solver,
            tol: self.tol,
            ..Config::default()
        }
    }
}

/// The regression run of `params` on `device`: the generated design, or a person's own A and b.
pub fn start(params: &Params, own: Option<Instance>, device: &Backend) -> Result<Experiment> {
    // Beside a software adapter `auto` runs the CPU path, as the other labs do: its dense sketches are
    // applied a few rows per step, so a trial never holds the page.
    let backend = place(params.backend, device)?;
    match own {
        Some(inst) => {
            let config = params.config(inst.n, inst.d);
            Experiment::new(inst, None, config, backend)
        }
        None => Experiment::generate(params.design, params.n, params.d, params.config(params.n, params.d), backend),
    }
}

const FIELDS: &[Field] = &[
    field("design", "design", "gaussian (orthonormalized, incoherent), coherent ([I; 0]), spiky ([I; 0] with a 4-spike residual), heavy (Student-t rows).").choice(Design::NAMES),
    field("n", "n", "Rows of A.").int(2, MAX_ENTRIES as u64),
    field("d", "d", "Columns of A.").int(1, MAX_ENTRIES as u64),
    field("m", "m", "The largest sketch size: sketch-and-solve sweeps 2d, 4d, … up to it; the table shows this m.").int(1, MAX_ENTRIES as u64),
    field("sketches", "sketches", "Which random S to compare: Gaussian, Rademacher, SRHT, CountSketch, OSNAP.").set_of(SketchKind::NAMES, false),
    field("s", "OSNAP s", "OSNAP's nonzeros per column of S (s = 1 is CountSketch-like; larger behaves dense).").int(1, 1024),
    field("trials", "trials", "Independent sketches per (sketch, m); the bands are their p10–p90.").int(1, MAX_TRIALS as u64),
    field("seed", "seed", "The design and every sketch; the same seed gives the same trials on CPU and GPU."),
    field("solver", "solver", "solve: x′ from the sketched problem; precondition: QR of SA, then LSQR on AR⁻¹ to x*; exact: the direct QR alone.").choice(Solver::NAMES),
    field("tol", "LSQR tolerance", "Where sketch-and-precondition's LSQR stops (relative normal-equation residual).").log(1e-16, 1.0),
    field("backend", "backend", "auto: a hardware GPU applies S (f32) and the CPU solves (f64); beside a software adapter, or without one, the CPU does both in f64 (a dense S a few rows per frame); gpu: any adapter applies S; cpu: f64.").choice(BackendChoice::NAMES),
];

impl Lab for Params {
    const DEF: &'static Def = &Def {
        page: "sketching",
        tab: Some("regression"),
        command: "sketch",
        title: "Sketched least squares: sketch-and-solve (ε₂, ε∞, spike) or sketch-and-precondition, over trials",
        fields: FIELDS,
        renamed: &[],
        presets: &[
            Preset {
                name: "linf-spiky",
                title: "ℓ∞ guarantees: coherent A with a spiky residual",
                source:
                    "Song, Ye, Yin & Zhang 2023: dense sketches meet ℓ∞, sparse ones can fail it (n 4096, d 32, m 1024)",
                query: "",
            },
            Preset {
                name: "identity-countsketch",
                title: "A = [I; 0]: CountSketch fails even ℓ2",
                source: "Song et al. 2023 (docs/methods.md: CountSketch p99 ε₂ ≈ 2.5)",
                query: "design=coherent",
            },
            Preset {
                name: "precondition",
                title: "Sketch-and-precondition to machine precision",
                source: "Blendenpik (Avron, Maymounkov & Toledo 2010) / LSRN: QR of SA, then LSQR on AR⁻¹",
                query: "solver=precondition&trials=20",
            },
        ],
    };

    /// d < n (the residual needs room), n·(d + 1) within the experiment's limit, and the cells it makes.
    fn check(&self) -> Result<()> {
        if self.d >= self.n {
            return Err(Error::Invalid {
                name: "d",
                message: format!("it must be below n = {} (got {}): the residual needs room", self.n, self.d),
            });
        }
        if self.n.saturating_mul(self.d + 1) > MAX_ENTRIES {
            return Err(Error::TooBig {
                name: "n·(d + 1)",
                value: self.n.saturating_mul(self.d + 1) as i64,
                max: MAX_ENTRIES as i64,
            });
        }
        self.config(self.n, self.d).validate(self.n, self.d)
    }
}

/// The nuclear-norm tab's parameters (`regula nuclear`): X = (1 − c)·G + c·L, N × d, L of rank r.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NuclearParams {
    pub n: usize,
    pub d: usize,
    pub rank: usize,
    pub collapse: f64,
}

impl Default for NuclearParams {
    fn default() -> Self {
        Self { n: 256, d: 1024, rank: 1, collapse: 0.5 }
    }
}

const NUCLEAR_FIELDS: &[Field] = &[
    field("n", "N", "Rows (samples) of your matrix X.").int(2, nuclear::MAX_ENTRIES as u64),
    field("d", "d", "Columns (features) of X.").int(1, nuclear::MAX_ENTRIES as u64),
    field("rank", "rank of the low-rank part", "The rank r of L in X = (1 − c)G + c·L.")
        .int(1, nuclear::MAX_ENTRIES as u64),
    field("collapse", "collapse c", "0: i.i.d. Gaussian rows; 1: the low-rank part only (a collapsed representation).")
        .real(0.0, 1.0),
];

impl Lab for NuclearParams {
    const DEF: &'static Def = &Def {
        page: "sketching",
        tab: Some("nuclear"),
        command: "nuclear",
        title: "Nuclear norm of a representation vs the Matrix Nuclear-Norm proxy (three matrices: yours, i.i.d. rows, rank 1)",
        fields: NUCLEAR_FIELDS,
        renamed: &[],
        presets: &[
            Preset {
                name: "mnn-512x2048",
                title: "MNN vs the SVD at 512 × 2048",
                source: "Matrix Nuclear-Norm (2024): the claimed speed-up (docs/methods.md: 0.4 ms vs 353 ms), and proxy/true from 0.55 (i.i.d.) to 11.4 (rank 1)",
                query: "n=512&d=2048",
            },
            Preset {
                name: "collapsed",
                title: "A fully collapsed representation (rank 1)",
                source: "Matrix Nuclear-Norm (2024): the proxy overstates a collapsed matrix's nuclear norm",
                query: "collapse=1",
            },
        ],
    };

    /// N·d within the SVD's limit and r ≤ min(N, d).
    fn check(&self) -> Result<()> {
        if self.n.saturating_mul(self.d) > nuclear::MAX_ENTRIES {
            return Err(Error::TooBig {
                name: "N·d",
                value: self.n.saturating_mul(self.d) as i64,
                max: nuclear::MAX_ENTRIES as i64,
            });
        }
        if self.rank > self.n.min(self.d) {
            return Err(Error::Invalid {
                name: "rank",
                message: format!("it must lie in 1..={}, got {}", self.n.min(self.d), self.rank),
            });
        }
        Ok(())
    }
}

impl crate::lab::run::Runnable for Params {
    type Run = Experiment;
    fn start<'a>(&'a self, device: &'a Backend) -> crate::lab::run::LocalFuture<'a, Result<Vec<Experiment>>> {
        Box::pin(async move { Ok(vec![start(self, None, device)?]) })
    }
}

impl crate::lab::run::Runnable for NuclearParams {
    type Run = nuclear::Comparison;
    fn start<'a>(&'a self, _: &'a Backend) -> crate::lab::run::LocalFuture<'a, Result<Vec<nuclear::Comparison>>> {
        Box::pin(async move { Ok(vec![nuclear::Comparison::new(self.n, self.d, self.rank, self.collapse)?]) })
    }
}
