//! `regula`: every lab, headless. Each subcommand builds a validated problem from its flags, drives the
//! core's stepper to the end with a progress bar on stderr, prints a summary, and with `--json` makes the
//! last stdout line one JSON object with the results. Errors are printed in words and exit non-zero.

use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;

use regula_core::demo::{ReduceCheck, ReduceCheckParams};
use regula_core::ot::{GpuSinkhorn, GroundCost, Method, OtProblem, OtSolver, ProblemKind, ProblemSpec, SolverParams};
use regula_core::reduce::{ReduceAxis, ReduceOp};
use regula_core::sketch::data::{parse_csv, parse_npy, Matrix};
use regula_core::sketch::experiment::{Config, Experiment, Solver};
use regula_core::sketch::operators::{Sketch, SketchKind};
use regula_core::sketch::regression::{Design, Instance};
use regula_core::train::gpu::{GpuKernel, GpuTrainer};
use regula_core::train::{Activation, DatasetKind, DatasetSpec, Loss, Optimizer, Regularization, Schedule, TrainConfig, Trainer};

/// Training on either backend.
enum TrainStepper {
    Cpu(Box<Trainer>),
    Gpu(Box<GpuTrainer>),
}

impl TrainStepper {
    fn trainer(&self) -> &Trainer {
        match self {
            TrainStepper::Cpu(t) => t,
            TrainStepper::Gpu(g) => g.cpu(),
        }
    }
}

impl regula_core::Stepper for TrainStepper {
    async fn step(&mut self, budget: Budget) -> Result<Frame, Error> {
        match self {
            TrainStepper::Cpu(t) => t.step(budget).await,
            TrainStepper::Gpu(g) => g.step(budget).await,
        }
    }
}
use regula_charts::{LineSpec, Series, LOG_FLOOR};
use regula_core::{Backend, BackendChoice, Budget, Error, Frame};

#[derive(Parser)]
#[command(
    name = "regula",
    version,
    about = "Regula: regularization labs on WebGPU and CPU, headless",
    after_help = "Every command also takes --config FILE.toml: a run file whose keys are the command's flags \
                  (eps = 0.01, hidden = [8, 8], normalize-cost = true); flags on the command line win."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Clone)]
struct Common {
    /// Compute backend: auto (GPU if an adapter opens), cpu or gpu.
    #[arg(long, default_value = "auto", value_parser = parse::<BackendChoice>)]
    backend: BackendChoice,
    /// Make the last line of stdout one JSON object with the results.
    #[arg(long)]
    json: bool,
}

#[derive(Subcommand)]
enum Command {
    /// Print the compute device: adapter, API, driver and limits.
    Device(Common),
    /// Kernel check: the sum/max/LSE reduction on the GPU against its f64 CPU twin, trial by trial.
    Check {
        #[command(flatten)]
        common: Common,
        #[arg(long, default_value_t = ReduceCheckParams::default().rows)]
        rows: usize,
        #[arg(long, default_value_t = ReduceCheckParams::default().cols)]
        cols: usize,
        /// sum, max or lse
        #[arg(long, default_value = "lse", value_parser = parse::<ReduceOp>)]
        op: ReduceOp,
        /// rows (one result per row) or cols (one per column)
        #[arg(long, default_value = "cols", value_parser = parse::<ReduceAxis>)]
        axis: ReduceAxis,
        #[arg(long, default_value_t = ReduceCheckParams::default().trials)]
        trials: u64,
        #[arg(long, default_value_t = ReduceCheckParams::default().seed)]
        seed: u64,
        /// Draw the page's two charts: |gpu − cpu| / tolerance per trial into FILE, time per trial into
        /// FILE-time.
        #[arg(long, value_name = "FILE")]
        png: Option<std::path::PathBuf>,
    },
    /// Optimal transport: kernel Sinkhorn, log-domain Sinkhorn or Sinkhorn–Newton–Sparse.
    Ot(OtArgs),
    /// Sketched least squares: sketch-and-solve (ε₂, ε∞, spike) or sketch-and-precondition, over trials.
    Sketch(SketchArgs),
    /// Train a small network (GPU f32 or CPU f64) and measure its Hessian: sharpness against 2/η.
    Train(TrainArgs),
    /// Nuclear norm of a representation vs the Matrix Nuclear-Norm proxy (the sketching page's panel):
    /// X = (1 − c)·G + c·L of rank r, and the two reference matrices (i.i.d. rows, rank 1).
    Nuclear {
        /// Rows N.
        #[arg(long, default_value_t = 256)]
        n: usize,
        /// Columns d.
        #[arg(long, default_value_t = 1024)]
        d: usize,
        /// Rank r of the low-rank part L.
        #[arg(long, default_value_t = 1)]
        rank: usize,
        /// Collapse c ∈ [0, 1]: 0 gives i.i.d. rows, 1 rows in an r-dimensional subspace.
        #[arg(long, default_value_t = 0.5)]
        collapse: f64,
        /// Make the last line of stdout one JSON object with the results.
        #[arg(long)]
        json: bool,
        /// Draw the page's chart (singular values of your matrix's R̂) into a PNG file.
        #[arg(long, value_name = "FILE")]
        png: Option<std::path::PathBuf>,
    },
    /// Generalization experiments: closed-form theory over simulation (CPU, f64).
    Gen {
        #[command(subcommand)]
        which: GenWhich,
    },
    /// Benchmarks measured side by side in one run, with ratios.
    Bench {
        #[command(subcommand)]
        which: BenchWhich,
    },
}

#[derive(Args)]
struct GenOut {
    /// Make the last line of stdout one JSON object with the headline numbers.
    #[arg(long)]
    json: bool,
    /// Write the curve as CSV (one row per time point or grid value).
    #[arg(long)]
    trace: Option<std::path::PathBuf>,
    /// Draw the page's charts (its drawing, 600 × 320): the main one into FILE, the others beside it as
    /// FILE-<chart>.png.
    #[arg(long, value_name = "FILE")]
    png: Option<std::path::PathBuf>,
}

#[derive(Subcommand)]
enum GenWhich {
    /// Advani & Saxe's linear student–teacher: test error over time, simulated (exact gradient flow on one
    /// sampled instance) and in theory (Marchenko–Pastur). JSON: best_test_error, best_time,
    /// final_test_error, theory_best_test_error, theory_final_test_error.
    StudentTeacher {
        /// α = P/N (samples per input).
        #[arg(long, default_value_t = 1.0)]
        alpha: f64,
        /// Signal-to-noise ratio σ_w̄²/σ_ε².
        #[arg(long, default_value_t = 5.0)]
        snr: f64,
        /// Inputs N.
        #[arg(long, default_value_t = 400)]
        n_inputs: usize,
        /// Last time T of the gradient flow.
        #[arg(long, default_value_t = 1e4)]
        t_max: f64,
        /// Time points (log-spaced from 0.01 to T).
        #[arg(long, default_value_t = 200)]
        points: usize,
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Also sweep α (0.1 … 4, denser near 1): best early-stopped and final error per α.
        #[arg(long)]
        sweep: bool,
        #[command(flatten)]
        out: GenOut,
    },
    /// Noisy labels: cross-entropy vs early-learning regularization (ELR) vs forward loss correction side by
    /// side on a 4-class 20-d mixture with label noise. JSON: ce_peak_test_accuracy, ce_final_test_accuracy,
    /// ce_final_memorised, elr_peak_test_accuracy, elr_final_test_accuracy, elr_final_memorised,
    /// fwd_final_test_accuracy, fwd_final_memorised, fwd_transition_error, transition, …
    NoisyLabels {
        /// Fraction of training labels flipped to another class.
        #[arg(long, default_value_t = 0.4)]
        noise_rate: f64,
        /// Within-class standard deviation of the mixture.
        #[arg(long, default_value_t = 1.7)]
        spread: f64,
        /// Points (half train, half test).
        #[arg(long, default_value_t = 2000)]
        n: usize,
        #[arg(long, default_value_t = 256)]
        hidden: usize,
        #[arg(long, default_value_t = 150)]
        epochs: usize,
        /// Adam's learning rate.
        #[arg(long, default_value_t = 1e-3)]
        lr: f64,
        #[arg(long, default_value_t = 64)]
        batch: usize,
        #[arg(long, default_value_t = 0.7)]
        elr_beta: f64,
        #[arg(long, default_value_t = 3.0)]
        elr_lambda: f64,
        /// symmetric (a uniformly drawn other class) or asymmetric (class c → c + 1 mod 4).
        #[arg(long, default_value = "symmetric", value_parser = parse::<regula_core::train::NoiseKind>)]
        noise_kind: regula_core::train::NoiseKind,
        /// The third run, forward loss correction: off, given (the true T) or estimated (anchor points after
        /// the warm-up).
        #[arg(long, default_value = "estimated", value_parser = parse::<regula_core::gen::noisy_labels::Forward>)]
        forward: regula_core::gen::noisy_labels::Forward,
        /// Epochs of plain cross-entropy before T is estimated.
        #[arg(long, default_value_t = 5)]
        warmup: usize,
        #[arg(long, default_value_t = 0)]
        seed: u64,
        #[command(flatten)]
        out: GenOut,
    },
    /// Self-distillation (PS-KD) vs cross-entropy and label smoothing on the 8×8 digits: test accuracy, NLL
    /// and expected calibration error per epoch, and the last epoch's reliability diagram. JSON: per run
    /// (ce_, ls_, pskd_) accuracy, nll, ece, and "reliability" bins.
    Pskd {
        /// α_T: the final weight of the network's own last-epoch predictions in its targets.
        #[arg(long, default_value_t = 0.8)]
        alpha_t: f64,
        /// Label smoothing α of the comparison run.
        #[arg(long, default_value_t = 0.1)]
        smoothing: f64,
        /// Training fraction of the digits (the rest measures calibration).
        #[arg(long, default_value_t = 0.2)]
        train_ratio: f64,
        #[arg(long, default_value_t = 256)]
        hidden: usize,
        #[arg(long, default_value_t = 150)]
        epochs: usize,
        /// Adam's learning rate.
        #[arg(long, default_value_t = 3e-3)]
        lr: f64,
        #[arg(long, default_value_t = 32)]
        batch: usize,
        #[arg(long, default_value_t = 0)]
        seed: u64,
        #[command(flatten)]
        out: GenOut,
    },
    /// Continual learning: circle (task A), then xor (task B) with the EWC penalty (λ/2)Σ F_i(θ_i − θ*_A,i)²,
    /// for each λ, full-weight and through rank-r LoRA adapters with the penalty on the adapters' update.
    /// JSON: a_accuracy_after_a and per λ: lambda, forgetting, a_accuracy, b_accuracy, diverged, lora
    /// (forgetting, a_accuracy, b_accuracy, diverged, params).
    Continual {
        /// Penalty weights to compare.
        #[arg(long, value_delimiter = ',', default_value = "0,1,10,100,1000,10000")]
        lambdas: Vec<f64>,
        #[arg(long, value_delimiter = ',', default_value = "16,16")]
        hidden: Vec<usize>,
        /// Points per task (half train, half test).
        #[arg(long, default_value_t = 400)]
        n: usize,
        #[arg(long, default_value_t = 150)]
        epochs_a: usize,
        #[arg(long, default_value_t = 150)]
        epochs_b: usize,
        #[arg(long, default_value_t = 0.003)]
        lr: f64,
        #[arg(long, default_value_t = 1)]
        batch: usize,
        /// SGD with momentum 0.9 instead of plain SGD.
        #[arg(long)]
        momentum: bool,
        /// Rank of the LoRA variant's adapters (0: no LoRA runs).
        #[arg(long, default_value_t = 2)]
        lora_rank: usize,
        /// Both tasks' coordinates (Playground's ±5) are multiplied by this.
        #[arg(long, default_value_t = 0.2)]
        input_scale: f64,
        /// Independent draws (data, initial weights, batch order) averaged; draw s uses seed + s.
        #[arg(long, default_value_t = 10)]
        seeds: usize,
        #[arg(long, default_value_t = 0)]
        seed: u64,
        #[command(flatten)]
        out: GenOut,
    },
    /// Epoch-wise double descent of a small MLP under label noise (the second half of the double-descent
    /// experiment): a fast feature, a K-category nuisance and a small slow signal, learned at three speeds;
    /// test error at log-spaced epochs, the mean over the seeds, with a noise-free control. JSON: "noisy"
    /// and "control", each {first_min_epoch, first_min_error, peak_epoch, peak_error, second_min_epoch,
    /// second_min_error, final_error}.
    EpochWise {
        /// Probability that a training label is flipped.
        #[arg(long, default_value_t = 0.15)]
        label_noise: f64,
        /// Training points.
        #[arg(long, default_value_t = 100)]
        n: usize,
        /// Test points (clean labels).
        #[arg(long, default_value_t = 4000)]
        n_test: usize,
        /// K nuisance categories (0: none).
        #[arg(long, default_value_t = 20)]
        categories: usize,
        /// Scale of the fast and nuisance inputs.
        #[arg(long, default_value_t = 0.7)]
        fast_scale: f64,
        /// Scale of the two slow inputs (0: the slow signal is hidden from the network).
        #[arg(long, default_value_t = 0.035)]
        slow_scale: f64,
        /// The fast feature's weight in the clean label.
        #[arg(long, default_value_t = 0.6)]
        fast_weight: f64,
        #[arg(long, value_delimiter = ',', default_value = "32")]
        hidden: Vec<usize>,
        #[arg(long, default_value = "relu", value_parser = parse::<regula_core::train::Activation>)]
        activation: regula_core::train::Activation,
        /// Learning rate of momentum 0.9, full batch.
        #[arg(long, default_value_t = 0.05)]
        lr: f64,
        /// L2 rate on the weights.
        #[arg(long, default_value_t = 1e-3)]
        l2: f64,
        #[arg(long, default_value_t = 3000)]
        epochs: usize,
        /// Independent draws averaged; draw s uses seed + s.
        #[arg(long, default_value_t = 5)]
        seeds: usize,
        /// No noise-free control runs.
        #[arg(long)]
        no_control: bool,
        #[arg(long, default_value_t = 0)]
        seed: u64,
        #[command(flatten)]
        out: GenOut,
    },
    /// Quadratic-activation teacher (Maillard et al. 2024): test error of gradient descent vs α = n/d², one
    /// run and the predictor averaged over restarts, against the recovery threshold α_PR = κ − κ²/2. JSON:
    /// recovery_threshold and rows (alpha, single_test_error, mean_test_error, averaged_test_error,
    /// train_error).
    Quadratic {
        /// Input dimension d.
        #[arg(long, default_value_t = 20)]
        d: usize,
        /// Teacher width ratio κ = m/d.
        #[arg(long, default_value_t = 0.5)]
        kappa: f64,
        /// Student width ratio (0: the teacher's).
        #[arg(long, default_value_t = 0.0)]
        student_kappa: f64,
        /// Sample ratios α = n/d².
        #[arg(long, value_delimiter = ',', default_value = "0.125,0.25,0.375,0.5,0.625")]
        alphas: Vec<f64>,
        /// Gradient-descent starts per α.
        #[arg(long, default_value_t = 8)]
        restarts: usize,
        /// Gradient-descent steps per start.
        #[arg(long, default_value_t = 20000)]
        steps: usize,
        #[arg(long, default_value_t = 1.0)]
        lr: f64,
        /// Standard deviation of the student's initial entries (1: the teacher's prior).
        #[arg(long, default_value_t = 1.0)]
        init_scale: f64,
        #[arg(long, default_value_t = 0)]
        seed: u64,
        #[command(flatten)]
        out: GenOut,
    },
    /// Ridgeless least squares vs γ = p/n against σ²γ/(1 − γ) and r²(1 − 1/γ) + σ²/(γ − 1). JSON: the
    /// rows (gamma, risk_mean, risk_median, theory_risk) and the peak.
    DoubleDescent {
        /// Samples n.
        #[arg(long, default_value_t = 100)]
        n: usize,
        /// Noise variance σ².
        #[arg(long, default_value_t = 0.25)]
        noise: f64,
        /// Signal ‖β‖² = r².
        #[arg(long, default_value_t = 1.0)]
        signal: f64,
        #[arg(long, default_value_t = 0.1)]
        gamma_min: f64,
        #[arg(long, default_value_t = 10.0)]
        gamma_max: f64,
        #[arg(long, default_value_t = 40)]
        points: usize,
        /// Instances per γ.
        #[arg(long, default_value_t = 10)]
        trials: usize,
        #[arg(long, default_value_t = 0)]
        seed: u64,
        #[command(flatten)]
        out: GenOut,
    },
}

#[derive(Subcommand)]
enum BenchWhich {
    /// SRHT apply vs dense Gaussian apply (S·A, m = 4d), CPU and GPU.
    SketchApply {
        #[command(flatten)]
        common: Common,
        /// Rows n of A (2¹⁶ in the target).
        #[arg(long, default_value_t = 1 << 16)]
        n: usize,
        #[arg(long, default_value_t = 64)]
        d: usize,
        /// Repetitions; the median is reported.
        #[arg(long, default_value_t = 3)]
        reps: usize,
    },
    /// Training steps/s on digits (cross-entropy, Adam): CPU f64 vs the GPU's one-workgroup and tiled kernels,
    /// for nets from 64-32-10 to 64-1024-1024-10, with the achieved GFLOP/s (6·P·B per step).
    TrainGpu {
        #[command(flatten)]
        common: Common,
        /// Measured epochs per net (after one warm-up epoch).
        #[arg(long, default_value_t = 2)]
        epochs: usize,
        /// Largest hidden width tried (32, 256, 1024 up to this).
        #[arg(long, default_value_t = 1024)]
        max_width: usize,
    },
}

#[derive(Args)]
struct TrainArgs {
    #[command(flatten)]
    common: Common,
    #[arg(long, default_value = "spiral", value_parser = parse::<DatasetKind>)]
    dataset: DatasetKind,
    /// Points (the 2-D sets; digits has 1,797).
    #[arg(long, default_value_t = 200)]
    n: usize,
    /// Coordinate noise (classification) or target noise (regression), a standard deviation.
    #[arg(long, default_value_t = 0.05)]
    noise: f64,
    #[arg(long, default_value_t = 1.0)]
    train_ratio: f64,
    /// Hidden widths, e.g. 8,8.
    #[arg(long, default_value = "8,8", value_delimiter = ',')]
    hidden: Vec<usize>,
    #[arg(long, default_value = "tanh", value_parser = parse::<Activation>)]
    activation: Activation,
    /// One activation per hidden layer (comma-separated), overriding --activation.
    #[arg(long, value_delimiter = ',', value_parser = parse::<Activation>)]
    activations: Vec<Activation>,
    #[arg(long, default_value = "mse", value_parser = parse::<Loss>)]
    loss: Loss,
    #[arg(long, default_value = "sgd", value_parser = parse::<Optimizer>)]
    optimizer: Optimizer,
    #[arg(long)]
    lr: f64,
    /// Mini-batch size (0: full batch).
    #[arg(long, default_value_t = 10)]
    batch: usize,
    #[arg(long)]
    epochs: usize,
    #[arg(long, default_value = "constant", value_parser = parse::<Schedule>)]
    schedule: Schedule,
    #[arg(long, default_value = "none", value_parser = parse::<Regularization>)]
    reg: Regularization,
    #[arg(long, default_value_t = 0.0)]
    reg_rate: f64,
    /// Fraction of training labels flipped to another class.
    #[arg(long, default_value_t = 0.0)]
    label_noise: f64,
    /// Label smoothing α in [0, 1): targets (1 − α)·y + α/K.
    #[arg(long, default_value_t = 0.0)]
    label_smoothing: f64,
    /// Input features of the 2-D sets (x, y, x2, y2, xy, sinx, siny).
    #[arg(long, value_delimiter = ',', default_value = "x,y", value_parser = parse::<regula_core::train::Feature>)]
    features: Vec<regula_core::train::Feature>,
    /// Momentum β of `--optimizer momentum`.
    #[arg(long, default_value_t = 0.9)]
    momentum: f64,
    /// Which wrong class a flipped label takes: symmetric (any other) or asymmetric (c → c + 1).
    #[arg(long, default_value = "symmetric", value_parser = parse::<regula_core::train::NoiseKind>)]
    noise_kind: regula_core::train::NoiseKind,
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Measure sharpness and trace every K steps (0: only at the end).
    #[arg(long, default_value_t = 0)]
    hessian_every: usize,
    /// Your data: CSV with the target in the last column (integer classes with --loss xent or --classify).
    #[arg(long)]
    data: Option<std::path::PathBuf>,
    /// Treat the last CSV column as class labels (implied by --loss xent).
    #[arg(long)]
    classify: bool,
    /// Write one CSV row per frame (step, epoch, losses, accuracies, lr, sharpness, trace).
    #[arg(long)]
    trace: Option<std::path::PathBuf>,
    /// Draw the page's charts (its drawing, 600 × 320): the main one into FILE, the others beside it as
    /// FILE-<chart>.png.
    #[arg(long, value_name = "FILE")]
    png: Option<std::path::PathBuf>,
    /// GPU kernel: auto (one workgroup per epoch for widths ≤ 64, ≤ 6 hidden layers and batches ≤ 256,
    /// else tiled), one-workgroup, or tiled (one tiled matrix multiply per layer and pass).
    #[arg(long, default_value = "auto", value_parser = parse_gpu_kernel)]
    gpu_kernel: GpuKernel,
    /// Early-learning regularization (Liu et al. 2020) on top of cross-entropy: λ·log(1 − ⟨p, t⟩) with t a
    /// running average (momentum β) of the network's predictions; CPU only.
    #[arg(long)]
    elr: bool,
    #[arg(long, default_value_t = 0.7)]
    elr_beta: f64,
    #[arg(long, default_value_t = 3.0)]
    elr_lambda: f64,
}

fn parse_gpu_kernel(s: &str) -> std::result::Result<GpuKernel, String> {
    match s {
        "auto" => Ok(GpuKernel::Auto),
        "one-workgroup" => Ok(GpuKernel::OneWorkgroup),
        "tiled" => Ok(GpuKernel::Tiled),
        _ => Err(format!("`{s}`: expected auto, one-workgroup or tiled")),
    }
}

#[derive(Args)]
struct SketchArgs {
    #[command(flatten)]
    common: Common,
    /// Draw the page's charts (its drawing, 600 × 320): the main one into FILE, the others beside it as
    /// FILE-<chart>.png.
    #[arg(long, value_name = "FILE")]
    png: Option<std::path::PathBuf>,
    /// Design: gaussian (orthonormalised), coherent ([I; 0]), spiky ([I; 0], 4-spike residual), heavy (Student-t).
    #[arg(long, default_value = "gaussian", value_parser = parse::<Design>, conflicts_with = "matrix")]
    design: Design,
    #[arg(long, default_value_t = 4096)]
    n: usize,
    #[arg(long, default_value_t = 32)]
    d: usize,
    /// Sketch rows m (comma-separated for several).
    #[arg(long, default_value = "1024", value_delimiter = ',')]
    m: Vec<usize>,
    /// Sketch (comma-separated for several): gaussian, rademacher, srht, countsketch, osnap.
    #[arg(long, default_value = "gaussian", value_delimiter = ',', value_parser = parse::<SketchKind>)]
    sketch: Vec<SketchKind>,
    /// OSNAP's nonzeros per column.
    #[arg(long, default_value_t = 4)]
    s: usize,
    #[arg(long, default_value_t = 200)]
    trials: usize,
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// solve (sketch-and-solve), precondition (sketch-and-precondition, LSQR) or exact (direct QR).
    #[arg(long, default_value = "solve", value_parser = parse::<Solver>)]
    solver: Solver,
    /// LSQR's tolerance (precondition).
    #[arg(long, default_value_t = Config::default().tol)]
    tol: f64,
    /// Your own A: CSV (one row per line) or .npy (float64/float32).
    #[arg(long, requires = "rhs")]
    matrix: Option<std::path::PathBuf>,
    /// Your own b: CSV (one value per line) or .npy.
    #[arg(long, requires = "matrix")]
    rhs: Option<std::path::PathBuf>,
}

#[derive(Args)]
struct OtArgs {
    #[command(flatten)]
    common: Common,
    /// Generated problem: random (C ~ U[0,1]), gaussian, uniform, moons, digits (28×28 images, n = m = 784).
    #[arg(long, default_value = "random", value_parser = parse::<ProblemKind>, conflicts_with_all = ["source", "target"])]
    problem: ProblemKind,
    /// Source points (n).
    #[arg(long, default_value_t = 500)]
    n: usize,
    /// Target points (m); defaults to n.
    #[arg(long)]
    m: Option<usize>,
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Source point cloud CSV: `x,y[,...]` per line, optional header with a `weight` column.
    #[arg(long, requires = "target")]
    source: Option<std::path::PathBuf>,
    /// Target point cloud CSV (same format).
    #[arg(long, requires = "source")]
    target: Option<std::path::PathBuf>,
    /// Ground cost between points.
    #[arg(long, default_value = "sqeuclidean", value_parser = parse::<GroundCost>)]
    cost: GroundCost,
    /// Divide C by its maximum.
    #[arg(long)]
    normalize_cost: bool,
    /// Entropic regularisation ε (POT's `reg`).
    #[arg(long)]
    eps: f64,
    #[arg(long, default_value = "sns", value_parser = parse::<Method>)]
    method: Method,
    /// SNS: Sinkhorn steps before Newton.
    #[arg(long, default_value_t = SolverParams::default().n1)]
    n1: u64,
    /// SNS: kept density of the sparsified Hessian, in (0, 1] (default: automatic — 10 entries per row,
    /// doubled whenever they hold less than 99 % of P's mass).
    #[arg(long)]
    density: Option<f64>,
    /// ℓ1 marginal error to stop at.
    #[arg(long, default_value_t = SolverParams::default().tol)]
    tol: f64,
    #[arg(long, default_value_t = SolverParams::default().max_iter)]
    max_iter: u64,
    /// ε-scaling: start at ε = max C and halve per stage down to --eps (CPU backend).
    #[arg(long)]
    eps_scaling: bool,
    /// Write one CSV row per iteration.
    #[arg(long)]
    trace: Option<std::path::PathBuf>,
    /// Draw the page's charts (its drawing, 600 × 320): the main one into FILE, the others beside it as
    /// FILE-<chart>.png.
    #[arg(long, value_name = "FILE")]
    png: Option<std::path::PathBuf>,
}

fn parse<T: std::str::FromStr<Err = Error>>(s: &str) -> Result<T, String> {
    s.parse().map_err(|e: Error| e.to_string())
}

fn main() -> ExitCode {
    // `--config FILE.toml` (any command): the file's flags, under the command line's own.
    let args: Vec<String> = std::env::args().collect();
    let expanded = match regula_core::config::expand(&args[1..], |p| std::fs::read_to_string(p)) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let cli = Cli::parse_from(std::iter::once(args[0].clone()).chain(expanded));
    match pollster::block_on(run(cli.command)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command) -> Result<(), Error> {
    match command {
        Command::Device(common) => device(common).await,
        Command::Check { common, rows, cols, op, axis, trials, seed, png } => {
            check(common, ReduceCheckParams { rows, cols, op, axis, trials, seed }, png).await
        }
        Command::Ot(args) => ot(args).await,
        Command::Sketch(args) => sketch(args).await,
        Command::Train(args) => train(args).await,
        Command::Gen { which } => gen(which).await,
        Command::Nuclear { n, d, rank, collapse, json, png } => nuclear(n, d, rank, collapse, json, png),
        Command::Bench { which: BenchWhich::SketchApply { common, n, d, reps } } => bench_sketch_apply(common, n, d, reps).await,
        Command::Bench { which: BenchWhich::TrainGpu { common, epochs, max_width } } => bench_train_gpu(common, epochs, max_width).await,
    }
}

async fn device(common: Common) -> Result<(), Error> {
    let backend = Backend::acquire(common.backend).await?;
    let report = backend.report();
    println!("backend: {}", report.backend);
    println!("device:  {}", report.label);
    if let Some(a) = &report.adapter {
        println!("type:    {}", a.device_type);
        println!("driver:  {} {}", a.driver, a.driver_info);
        let l = &a.limits;
        println!("limits:  max storage binding {} B, max buffer {} B", l.max_storage_buffer_binding_size, l.max_buffer_size);
        println!(
            "         {} storage buffers/stage, {} invocations/workgroup, {} workgroups/dimension, {} B workgroup memory",
            l.max_storage_buffers_per_shader_stage,
            l.max_compute_invocations_per_workgroup,
            l.max_compute_workgroups_per_dimension,
            l.max_compute_workgroup_storage_size
        );
    }
    if common.json {
        println!("{}", serde_json::to_string(&report).expect("report serialises"));
    }
    Ok(())
}

/// A progress bar on stderr for `total` iterations (hidden when stderr is not a terminal).
fn progress(total: u64, what: &str) -> ProgressBar {
    let bar = ProgressBar::new(total);
    bar.set_style(
        ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} {msg}")
            .expect("static template")
            .progress_chars("=> "),
    );
    bar.set_prefix(what.to_owned());
    bar
}

async fn check(common: Common, params: ReduceCheckParams, png: Option<std::path::PathBuf>) -> Result<(), Error> {
    params.validate()?;
    let backend = Backend::acquire(common.backend).await?;
    let report = backend.report();
    eprintln!("device: {}", report.label);
    let mut stepper = ReduceCheck::new(params.clone(), &backend).await?;
    let bar = progress(params.trials, "check");
    let mut worst = 0.0f64;
    let (mut gpu_ms, mut cpu_ms) = (Vec::new(), Vec::new());
    // With a chart, one frame per trial (the page's); each curve is (trial, value).
    let budget = if png.is_some() { Budget::iterations(1) } else { Budget::millis(100.0) };
    let mut curves: [Vec<(f64, f64)>; 3] = Default::default();
    let last: Frame = regula_core::frame::run_to_end(&mut stepper, budget, |f| {
        bar.set_position(f.iteration);
        worst = worst.max(f.metric("diff_over_tolerance").unwrap_or(0.0));
        gpu_ms.extend(f.metric("gpu_ms"));
        cpu_ms.push(f.metric("cpu_ms").unwrap_or(f64::NAN));
        for (curve, key) in curves.iter_mut().zip(["diff_over_tolerance", "gpu_ms", "cpu_ms"]) {
            curve.extend(f.metric(key).map(|v| (f.iteration as f64, v)));
        }
        if let Some(d) = f.metric("max_abs_diff") {
            bar.set_message(format!("max |gpu−cpu| {d:.2e}"));
        }
    })
    .await?;
    bar.finish_and_clear();
    if let Some(path) = &png {
        let [diff, gpu, cpu] = curves;
        let diff: Vec<Series> = (!diff.is_empty()).then(|| line("|gpu − cpu| / tolerance", 0, diff)).into_iter().collect();
        save_png(path, LineSpec { guide: Some(1.0), ..spec("GPU vs CPU: worst difference / tolerance", "trial", "ratio", LOG_FLOOR) }, &diff, (false, true))?;
        let times: Vec<Series> = [line("gpu (dispatch + readback)", 0, gpu), line("cpu twin (f64)", 1, cpu)].into_iter().filter(|l| !l.points.is_empty()).collect();
        save_png(&sibling(path, "time"), spec("Time per trial", "trial", "ms", LOG_FLOOR), &times, (false, true))?;
    }
    let median = |v: &mut Vec<f64>| -> Option<f64> {
        v.sort_by(f64::total_cmp);
        (!v.is_empty()).then(|| v[v.len() / 2])
    };
    let gpu_median = median(&mut gpu_ms);
    let cpu_median = median(&mut cpu_ms);
    let p = &params;
    println!("{} per {} of a {}×{} matrix, {} trials on {}", p.op, p.axis, p.rows, p.cols, last.iteration, report.label);
    if let Some(g) = gpu_median {
        println!("gpu vs cpu: worst |diff|/tolerance {worst:.3} ({})", if last.converged { "agree" } else { "DISAGREE" });
        println!("median time: gpu {g:.3} ms (dispatch + readback), cpu {:.3} ms", cpu_median.unwrap_or(f64::NAN));
    } else {
        println!("cpu only (no GPU to compare): median {:.3} ms", cpu_median.unwrap_or(f64::NAN));
    }
    if common.json {
        let out = json!({
            "backend": backend.name(),
            "device": report.label,
            "rows": p.rows, "cols": p.cols, "op": p.op, "axis": p.axis, "trials": last.iteration,
            "agree": last.converged,
            "worst_diff_over_tolerance": gpu_median.map(|_| worst),
            "gpu_ms_median": gpu_median,
            "cpu_ms_median": cpu_median,
            "seconds": last.elapsed_ms / 1e3,
        });
        println!("{out}");
    }
    if !last.converged {
        return Err(Error::Gpu(format!("GPU and CPU disagree beyond tolerance (worst ratio {worst:.3})")));
    }
    Ok(())
}

fn read_points(path: &std::path::Path) -> Result<regula_core::ot::Points, Error> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::Csv { file: name.clone(), line: 0, message: format!("cannot read the file: {e}") })?;
    regula_core::ot::csv::parse_points(&name, &text)
}

async fn ot(args: OtArgs) -> Result<(), Error> {
    let params = SolverParams {
        method: args.method,
        eps: args.eps,
        n1: args.n1,
        density: args.density,
        tol: args.tol,
        max_iter: args.max_iter,
        eps_scaling: args.eps_scaling,
    };
    params.validate()?;
    let problem = match (&args.source, &args.target) {
        (Some(s), Some(t)) => {
            let mut p = OtProblem::points(read_points(s)?, read_points(t)?, args.cost)?;
            if args.normalize_cost {
                p.normalise_cost();
            }
            p
        }
        _ => ProblemSpec {
            kind: args.problem,
            n: args.n,
            m: args.m.unwrap_or(args.n),
            seed: args.seed,
            cost: args.cost,
            normalize_cost: args.normalize_cost,
        }
        .build()?,
    };
    // The GPU runs log-sinkhorn and SNS's dense passes (f32); kernel Sinkhorn runs on the CPU in f64.
    // `auto` follows `ot::auto_runs_on_gpu` (SNS on the GPU only when f32 can meet --tol, or n·m is too
    // large for the CPU's dense cost).
    let backend = match args.common.backend {
        BackendChoice::Cpu => Backend::Cpu { fallback: None },
        BackendChoice::Auto if !regula_core::ot::auto_runs_on_gpu(&params, &problem) => Backend::Cpu { fallback: None },
        choice => Backend::acquire(choice).await?,
    };
    let (n, m) = (problem.n(), problem.m());
    eprintln!("ot: {} on {n} × {m}, eps {}, {}", params.method, params.eps, backend.report().label);
    let mut solver = match backend.gpu() {
        Some(ctx) => OtStepper::Gpu(Box::new(GpuSinkhorn::new(ctx.clone(), &problem, params.clone()).await?)),
        None => OtStepper::Cpu(OtSolver::new(&problem, params.clone())?),
    };
    let mut trace = match &args.trace {
        Some(path) => {
            let mut w = std::io::BufWriter::new(std::fs::File::create(path).map_err(|e| Error::Invalid {
                name: "trace",
                message: format!("cannot create {}: {e}", path.display()),
            })?);
            use std::io::Write;
            writeln!(w, "iteration,phase,marginal_error,transport_cost,dual_objective,step_size,nnz,kept_mass,cg_iterations,elapsed_ms")
                .map_err(|e| Error::Invalid { name: "trace", message: e.to_string() })?;
            Some(w)
        }
        None => None,
    };
    // With a trace or a chart, one frame per iteration; otherwise frames every 200 ms for the progress bar.
    let budget = if trace.is_some() || args.png.is_some() { Budget::iterations(1) } else { Budget::millis(200.0) };
    let bar = progress(params.max_iter, "ot");
    let mut write_error = None;
    let mut traced = None;
    let mut errors: Vec<(f64, f64)> = Vec::new();
    let mut errors_in_time: Vec<(f64, f64)> = Vec::new();
    let last = regula_core::frame::run_to_end(&mut solver, budget, |f| {
        bar.set_position(f.iteration);
        if let Some(e) = f.metric("marginal_error").filter(|_| errors.last().is_none_or(|p| p.0 != f.iteration as f64)) {
            errors.push((f.iteration as f64, e));
            errors_in_time.push((f.elapsed_ms, e));
        }
        bar.set_message(format!("marginal error {:.2e}", f.metric("marginal_error").unwrap_or(f64::NAN)));
        // The frame that finds the tolerance met repeats the last iterate: one row per iterate.
        if let Some(w) = trace.as_mut().filter(|_| traced.replace(f.iteration) != Some(f.iteration)) {
            use std::io::Write;
            let opt = |k: &str| f.metric(k).map(|v| v.to_string()).unwrap_or_default();
            let row = writeln!(
                w,
                "{},{},{},{},{},{},{},{},{},{}",
                f.iteration,
                f.phase.as_deref().unwrap_or(""),
                opt("marginal_error"),
                opt("transport_cost"),
                opt("dual_objective"),
                opt("step_size"),
                opt("nnz"),
                opt("kept_mass"),
                opt("cg_iterations"),
                f.elapsed_ms
            );
            if let Err(e) = row {
                write_error.get_or_insert(e.to_string());
            }
        }
    })
    .await?;
    bar.finish_and_clear();
    if let Some(mut w) = trace {
        use std::io::Write;
        w.flush().map_err(|e| Error::Invalid { name: "trace", message: e.to_string() })?;
    }
    if let Some(e) = write_error {
        return Err(Error::Invalid { name: "trace", message: e });
    }
    if let Some(path) = &args.png {
        // The page's four charts: FILE (error vs iteration), FILE-time, FILE-plan, FILE-sparsity.
        let spec_iter = spec("Marginal error (ℓ1) vs iteration", "iteration", "error", 1e-16);
        save_png(path, LineSpec { guide: Some(params.tol), ..spec_iter }, &[line(params.method.to_string(), 0, errors)], (false, true))?;
        let spec_time = spec("Marginal error (ℓ1) vs wall time", "ms", "error", 1e-16);
        save_png(&sibling(path, "time"), LineSpec { guide: Some(params.tol), ..spec_time }, &[line(params.method.to_string(), 0, errors_in_time)], (false, true))?;
        ot_pictures(path, &solver, &problem, &params).await?;
    }
    let metric = |k: &str| last.metric(k).unwrap_or(f64::NAN);
    let stop = last.stop.map(|r| format!("{r:?}")).unwrap_or_default();
    println!(
        "{} iterations ({} Newton), marginal error {:.3e} (ℓ1, both marginals), <C,P> {:.10}, dual {:.10}, {:.3} s, stopped: {stop}",
        last.iteration,
        metric("newton_steps"),
        metric("marginal_error"),
        metric("transport_cost"),
        metric("dual_objective"),
        last.elapsed_ms / 1e3
    );
    if last.stop == Some(regula_core::StopReason::Stalled) {
        match backend {
            Backend::Cpu { .. } => eprintln!(
                "ot: the error stopped improving above --tol: f64's precision floor at this eps (rounding of the potentials); loosen --tol or raise --eps"
            ),
            _ => eprintln!("ot: the error stopped improving above --tol: f32's precision floor; use --backend cpu to go further"),
        }
    }
    if args.common.json {
        println!(
            "{}",
            json!({
                "method": params.method.name(), "backend": backend.name(), "n": n, "m": m, "eps": params.eps,
                "iterations": last.iteration, "newton_steps": metric("newton_steps") as u64,
                "marginal_error": metric("marginal_error"), "transport_cost": metric("transport_cost"),
                "dual_objective": metric("dual_objective"), "seconds": last.elapsed_ms / 1e3,
                "converged": last.converged,
            })
        );
    }
    Ok(())
}

/// `FILE.png` → `FILE-<what>.png`, beside it (the further charts of a lab's `--png`).
fn sibling(path: &std::path::Path, what: &str) -> std::path::PathBuf {
    let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let ext = path.extension().map(|e| format!(".{}", e.to_string_lossy())).unwrap_or_default();
    path.with_file_name(format!("{stem}-{what}{ext}"))
}

/// Largest n × m whose plan the pictures draw (the page's limit: each picture evaluates all of P).
const MAX_DRAWN: usize = 400_000;

/// The OT page's pictures of the final iterate: the transport plan (`FILE-plan.png`) and the sparsified
/// Hessian's kept entries with the mass they capture (`FILE-sparsity.png`).
async fn ot_pictures(path: &std::path::Path, solver: &OtStepper, problem: &OtProblem, params: &SolverParams) -> Result<(), Error> {
    use regula_core::ot::analysis::{mass_captured, plan, top_k_pattern};
    let (n, m) = (problem.n(), problem.m());
    if n * m > MAX_DRAWN {
        eprintln!("ot: the plan and sparsity pictures are drawn up to n × m = {MAX_DRAWN} (this run: {}); skipped", n * m);
        return Ok(());
    }
    let (f, g) = match solver {
        OtStepper::Cpu(s) => s.potentials(),
        OtStepper::Gpu(s) => {
            let (f, g) = s.potentials().await?;
            (f.into_iter().map(f64::from).collect(), g.into_iter().map(f64::from).collect())
        }
    };
    let p = plan(problem, &f, &g, params.eps);
    let layout = match &problem.geometry {
        regula_core::ot::problem::Geometry::Points { x, y, .. } if x.dim == 2 => regula_charts::ot::PlanLayout::Points { x: &x.coords, y: &y.coords },
        _ => regula_charts::ot::PlanLayout::Matrix,
    };
    write_png(&sibling(path, "plan"), |root| regula_charts::ot::draw_plan(root, &regula_charts::raster_rects, &p, n, m, layout))?;
    // The run's own k (the automatic density grows it during the run; a GPU run without SNS has none).
    let keep = match solver {
        OtStepper::Cpu(s) => s.keep(),
        OtStepper::Gpu(s) => s.keep(),
    };
    let keep = if keep > 0 { keep } else { params.keep_per_row(m) };
    let ks: Vec<usize> = (1..=m.min(keep.max(40))).collect();
    let captured = mass_captured(&p, n, m, &ks);
    write_png(&sibling(path, "sparsity"), |root| regula_charts::ot::draw_sparsity(root, n, m, keep, &top_k_pattern(&p, n, m, keep), &captured).map(drop))
}

/// The sketching page's charts. Sketch-and-solve: ε∞ vs m into FILE, ε₂ (FILE-eps2) and the spike score
/// (FILE-spike) vs m, and ε∞'s distribution at the largest m (FILE-hist). Sketch-and-precondition: LSQR's
/// excess residual per iteration at the largest m into FILE (the page shows only that chart then).
fn sketch_charts(path: &std::path::Path, experiment: &Experiment, sketches: &[SketchKind], solver: Solver) -> Result<(), Error> {
    use regula_core::sketch::experiment::Trial;
    let color = |k: usize| regula_charts::PALETTE[k % regula_charts::PALETTE.len()];
    let cells = experiment.cells();
    let chosen = cells.iter().map(|c| c.m).max().unwrap_or(0);
    if solver == Solver::Precondition {
        let r_star = experiment.exact().map_or(1.0, |x| x.residual_norm);
        let lines: Vec<Series> = sketches
            .iter()
            .enumerate()
            .filter_map(|(k, &kind)| {
                let cell = cells.iter().find(|c| c.sketch == kind && c.m == chosen)?;
                let t = cell.trials.last().filter(|t| !t.residuals.is_empty())?;
                let points = t.residuals.iter().enumerate().map(|(i, r)| (i as f64, ((r - r_star) / r_star).abs())).collect();
                Some(Series { name: kind.name(), color: color(k), points })
            })
            .collect();
        return save_png(path, spec("LSQR on AR⁻¹: excess residual (‖r_k‖ − ‖r*‖)/‖r*‖", "iteration", "excess", 1e-17), &lines, (false, true));
    }
    let bands = |f: fn(&Trial) -> f64| -> Vec<regula_charts::Band> {
        sketches
            .iter()
            .enumerate()
            .map(|(k, &kind)| regula_charts::Band {
                name: kind.to_string(),
                color: color(k),
                points: cells
                    .iter()
                    .filter(|c| c.sketch == kind && !c.trials.is_empty())
                    .map(|c| {
                        let s = c.stats(f);
                        (c.m as f64, s.p10, s.median, s.p90)
                    })
                    .collect(),
            })
            .collect()
    };
    let band_chart = |path: &std::path::Path, title, y_label, f: fn(&Trial) -> f64, log_y| {
        let spec = regula_charts::BandSpec { title, x_label: "m", y_label, floor: 1e-3 };
        write_png(path, |root| regula_charts::draw_bands(root, spec, &bands(f), log_y).map(drop))
    };
    band_chart(path, "ε∞ = √d‖x′ − x*‖∞ / (‖Ax* − b‖‖A†‖) vs m", "ε∞", |t| t.metrics.epsinf, true)?;
    band_chart(&sibling(path, "eps2"), "ε₂ = ‖A(x′ − x*)‖ / ‖Ax* − b‖ vs m (median, p10–p90)", "ε₂", |t| t.metrics.eps2, true)?;
    band_chart(&sibling(path, "spike"), "Spike score √d‖e‖∞/‖e‖₂ (1 spread … √d one coordinate)", "spike", |t| t.metrics.spike, false)?;
    let hist: Vec<Series> = sketches
        .iter()
        .enumerate()
        .filter_map(|(k, &kind)| {
            let cell = cells.iter().find(|c| c.sketch == kind && c.m == chosen && !c.trials.is_empty())?;
            Some(Series { name: kind.name(), color: color(k), points: cell.trials.iter().map(|t| (t.metrics.epsinf, 0.0)).collect() })
        })
        .collect();
    let title = format!("Distribution of ε∞ at m = {chosen}");
    write_png(&sibling(path, "hist"), |root| regula_charts::draw_histogram(root, &title, "ε∞", &hist).map(drop))
}

/// The training page's pictures of the final network: FILE-network (weights), FILE-boundary (decision
/// boundary, for 2-D data), and — for networks of at most 600 parameters, as on the page — FILE-hessian
/// (|H| down to 10⁻³ of the largest entry, the page's default; 600 × 420) and FILE-density (its eigenvalue density).
fn train_pictures(path: &std::path::Path, t: &Trainer) -> Result<(), Error> {
    use regula_core::train::picture::{BoundaryPicture, HessianPicture, NetworkPicture, MAX_HESSIAN_PARAMS};
    let n = NetworkPicture::of(t);
    write_png(&sibling(path, "network"), |root| regula_charts::train::draw_network(root, &n.widths, &n.layers, &n.theta, &n.inputs))?;
    match BoundaryPicture::of(t) {
        Some(b) => {
            write_png(&sibling(path, "boundary"), |root| {
                regula_charts::train::draw_boundary(root, &regula_charts::raster_rects, &b.grid, b.size, (b.lo, b.hi), &b.points, b.regression)
            })?;
        }
        None => eprintln!("train: the data have no 2-D points, so there is no decision-boundary picture"),
    }
    if t.params().len() > MAX_HESSIAN_PARAMS {
        eprintln!("train: {} parameters: the Hessian pictures are drawn up to {MAX_HESSIAN_PARAMS}", t.params().len());
        return Ok(());
    }
    let h = HessianPicture::of(t)?;
    let hessian = sibling(path, "hessian");
    regula_charts::png::write_sized(&hessian, (600, 420), |root| regula_charts::train::draw_hessian(root, h.p, &h.h, &h.layers, -3.0).map(drop))
        .map_err(|e| Error::Invalid { name: "png", message: format!("{}: {e}", hessian.display()) })?;
    eprintln!("chart: {}", hessian.display());
    let title = "Eigenvalue density of H (stochastic Lanczos quadrature)";
    save_png(&sibling(path, "density"), spec(title, "λ (shifted: λ − λmin)", "density", 1e-6), &[line("density (SLQ, smoothed)", 0, h.density)], (false, true))
}

/// The sketching page's nuclear-norm panel, headless: the same three matrices (seed 7), the same table.
fn nuclear(n: usize, d: usize, rank: usize, collapse: f64, json: bool, png: Option<std::path::PathBuf>) -> Result<(), Error> {
    use regula_core::sketch::nuclear;
    // One step per matrix (each an SVD of N × d: a few seconds at the largest N·d).
    let bar = progress(3, "nuclear");
    let run = |label: &'static str, rank: usize, collapse: f64| -> Result<(&'static str, nuclear::NuclearReport), Error> {
        bar.set_message(label);
        let report = nuclear::compare(&nuclear::generate(n, d, rank, collapse, 7)?, n, d)?;
        bar.inc(1);
        Ok((label, report))
    };
    let rows = [run("your matrix", rank, collapse)?, run("i.i.d. rows", 1, 0.0)?, run("rank 1 (collapsed)", 1, 1.0)?];
    bar.finish_and_clear();
    println!("{:<20} {:>16} {:>10} {:>12} {:>9} {:>9}", "matrix", "‖R̂‖_* / N (SVD)", "MNN proxy", "proxy / true", "SVD ms", "proxy ms");
    for (label, r) in &rows {
        println!("{label:<20} {:>16.4} {:>10.4} {:>12.2} {:>9.1} {:>9.2}", r.exact, r.proxy, r.ratio, r.exact_seconds * 1e3, r.proxy_seconds * 1e3);
    }
    if let Some(path) = &png {
        let points = rows[0].1.spectrum.iter().enumerate().map(|(k, s)| ((k + 1) as f64, *s)).collect();
        save_png(path, spec("Singular values of R̂ (your matrix)", "k", "σ_k", 1e-8), &[line("σ_k(R̂)", 0, points)], (false, true))?;
    }
    if json {
        let rows: Vec<_> = rows
            .iter()
            .map(|(label, r)| json!({"matrix": label, "exact": r.exact, "proxy": r.proxy, "ratio": r.ratio, "exact_seconds": r.exact_seconds, "proxy_seconds": r.proxy_seconds}))
            .collect();
        println!("{}", json!({"n": n, "d": d, "rank": rank, "collapse": collapse, "rows": rows}));
    }
    Ok(())
}

/// The CPU or GPU OT solver behind one stepper.
enum OtStepper {
    Cpu(OtSolver),
    Gpu(Box<GpuSinkhorn>),
}

impl regula_core::Stepper for OtStepper {
    async fn step(&mut self, budget: Budget) -> Result<Frame, Error> {
        match self {
            OtStepper::Cpu(s) => s.step(budget).await,
            OtStepper::Gpu(s) => s.step(budget).await,
        }
    }
}

fn read_matrix(path: &std::path::Path) -> Result<Matrix, Error> {
    let name = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| Error::Csv { file: name.clone(), line: 0, message: format!("cannot read the file: {e}") })?;
    if path.extension().is_some_and(|e| e == "npy") {
        parse_npy(&name, &bytes)
    } else {
        let text = String::from_utf8(bytes).map_err(|_| Error::Csv { file: name.clone(), line: 0, message: "not UTF-8 text".into() })?;
        parse_csv(&name, &text)
    }
}

async fn sketch(args: SketchArgs) -> Result<(), Error> {
    let config = Config {
        sketches: args.sketch.clone(),
        ms: args.m.clone(),
        s: args.s,
        trials: args.trials,
        seed: args.seed,
        solver: args.solver,
        tol: args.tol,
        ..Config::default()
    };
    let backend = Backend::acquire(args.common.backend).await?;
    let mut experiment = match (&args.matrix, &args.rhs) {
        (Some(a), Some(b)) => {
            let a_mat = read_matrix(a)?;
            let b_vec = read_matrix(b)?.into_vector(&b.display().to_string())?;
            let instance = Instance::from_data(a_mat.data, b_vec, a_mat.rows, a_mat.cols)?;
            Experiment::new(instance, None, config, backend.clone())?
        }
        _ => Experiment::generate(args.design, args.n, args.d, config, backend.clone())?,
    };
    let (n, d) = (experiment.instance().n, experiment.instance().d);
    let design = experiment.design().map_or_else(|| "data".to_owned(), |d| d.to_string());
    eprintln!("sketch: {design} {n} × {d}, solver {}, {}", args.solver, backend.report().label);
    let total = (experiment.cells().len() * args.trials) as u64;
    let bar = progress(total, "sketch");
    let last = regula_core::frame::run_to_end(&mut experiment, Budget::millis(200.0), |f| {
        bar.set_position(f.iteration);
        if let Some(e) = f.metric("eps2_median") {
            bar.set_message(format!("ε₂ median {e:.3}"));
        }
    })
    .await?;
    bar.finish_and_clear();
    if let Some(path) = &args.png {
        sketch_charts(path, &experiment, &args.sketch, args.solver)?;
    }
    let exact = experiment.exact().expect("computed in the first step");
    if exact.rank_deficient {
        eprintln!("warning: A is rank-deficient: x* is the minimum-norm solution, ‖A†‖ uses the smallest nonzero singular value");
    }
    println!("{design} n = {n}, d = {d}, {} trials per cell, solver {}; direct QR {:.3} s", args.trials, args.solver, experiment.exact_seconds());
    println!("{:<12} {:>6} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10}", "sketch", "m", "ε₂ med", "ε₂ p99", "ε∞ med", "ε∞ p99", "spike med", "s/trial");
    let mut cells = Vec::new();
    for (k, c) in experiment.cells().iter().enumerate() {
        let figures = experiment.cell_metrics(k);
        let get = |key: &str| figures.iter().find(|(name, _)| name == key).map_or(f64::NAN, |(_, v)| *v);
        println!(
            "{:<12} {:>6} {:>10.4} {:>10.4} {:>10.4} {:>10.4} {:>10.3} {:>10.4}",
            c.sketch.to_string(),
            c.m,
            get("eps2_median"),
            get("eps2_p99"),
            get("epsinf_median"),
            get("epsinf_p99"),
            get("spike_median"),
            get("seconds_median")
        );
        if c.rank_deficient() > 0 {
            println!("  warning: {} of {} sketched systems SA were rank-deficient (minimum-norm x′)", c.rank_deficient(), c.trials.len());
        }
        if args.solver == Solver::Precondition {
            println!("  LSQR: median {} iterations, worst ‖x − x*‖/‖x*‖ {:.2e}", get("lsqr_iterations"), c.stats(|t| t.relative_error).p99.max(c.column(|t| t.relative_error).into_iter().fold(0.0, f64::max)));
        }
        let mut cell = json!({
            "sketch": c.sketch, "design": design, "n": n, "d": d, "m": c.m, "trials": c.trials.len(),
            "eps2_median": get("eps2_median"), "epsinf_median": get("epsinf_median"), "epsinf_p99": get("epsinf_p99"),
            "spike_median": get("spike_median"), "seconds": get("seconds_median"),
            "eps2_p99": get("eps2_p99"), "residual_ratio_median": get("residual_ratio_median"),
            "rank_deficient_trials": c.rank_deficient(),
        });
        if args.solver == Solver::Precondition {
            cell["relative_error_vs_exact"] = json!(c.column(|t| t.relative_error).into_iter().fold(0.0, f64::max));
            cell["lsqr_iterations"] = json!(get("lsqr_iterations"));
        }
        cells.push(cell);
    }
    if args.common.json {
        let mut out = cells[0].clone();
        out["backend"] = json!(backend.name());
        out["solver"] = json!(args.solver);
        out["exact_seconds"] = json!(experiment.exact_seconds());
        out["total_seconds"] = json!(last.elapsed_ms / 1e3);
        out["a_rank_deficient"] = json!(exact.rank_deficient);
        if cells.len() > 1 {
            out["cells"] = json!(cells);
        }
        println!("{out}");
    }
    Ok(())
}

/// Median seconds of `reps` runs of `f`.
async fn median_seconds<F: std::future::Future<Output = Result<(), Error>>>(reps: usize, mut f: impl FnMut() -> F) -> Result<f64, Error> {
    let mut times = Vec::new();
    for _ in 0..reps.max(1) {
        let t = std::time::Instant::now();
        f().await?;
        times.push(t.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    Ok(times[times.len() / 2])
}

/// SRHT vs dense Gaussian S·A at m = 4d: CPU (f64) and, when an adapter opens, GPU (f32, A resident,
/// S·A read back). The dense apply is compute-bound (2mnd flops, plus drawing mn normals), the SRHT
/// memory-bound (n′d log₂ n′ adds in ⌈log₂ n′ / 8⌉ passes on the GPU): the ratio is the point.
async fn bench_sketch_apply(common: Common, n: usize, d: usize, reps: usize) -> Result<(), Error> {
    let m = 4 * d;
    let a: Vec<f64> = (0..n * d).map(|k| ((k as f64) * 0.618).sin()).collect();
    let gaussian = Sketch::new(SketchKind::Gaussian, m, n, 1, 1)?;
    let srht = Sketch::new(SketchKind::Srht, m, n, 1, 1)?;
    println!("S·A with n = {n}, d = {d}, m = {m} (median of {reps})");
    let cpu_g = median_seconds(reps, || async { gaussian.apply(&a, d).map(|_| ()) }).await?;
    let cpu_s = median_seconds(reps, || async { srht.apply(&a, d).map(|_| ()) }).await?;
    let flops = 2.0 * (m * n * d) as f64;
    println!("cpu  gaussian {cpu_g:.4} s ({:.2} GFLOP/s)  srht {cpu_s:.4} s  → srht is {:.1}× faster", flops / cpu_g / 1e9, cpu_g / cpu_s);
    let mut out = json!({"n": n, "d": d, "m": m, "cpu_gaussian_seconds": cpu_g, "cpu_srht_seconds": cpu_s, "cpu_speedup": cpu_g / cpu_s});
    let backend = Backend::acquire(common.backend).await?;
    if let Some(ctx) = backend.gpu() {
        let a32: Vec<f32> = a.iter().map(|&v| v as f32).collect();
        let input = regula_core::sketch::gpu::GpuMatrix::upload(ctx, &a32, n, d)?;
        // Warm-up: pipelines compiled once.
        regula_core::sketch::gpu::apply(ctx, &gaussian, &input).await?;
        regula_core::sketch::gpu::apply(ctx, &srht, &input).await?;
        let gpu_g = median_seconds(reps, || async { regula_core::sketch::gpu::apply(ctx, &gaussian, &input).await.map(|_| ()) }).await?;
        let gpu_s = median_seconds(reps, || async { regula_core::sketch::gpu::apply(ctx, &srht, &input).await.map(|_| ()) }).await?;
        println!("gpu  gaussian {gpu_g:.4} s  srht {gpu_s:.4} s  → srht is {:.1}× faster  ({})", gpu_g / gpu_s, backend.report().label);
        out["gpu_gaussian_seconds"] = json!(gpu_g);
        out["gpu_srht_seconds"] = json!(gpu_s);
        out["gpu_speedup"] = json!(gpu_g / gpu_s);
        out["device"] = json!(backend.report().label);
    }
    if common.json {
        println!("{out}");
    }
    Ok(())
}

/// Writes `header` and `rows` as CSV to `path`.
fn write_csv(path: &std::path::Path, header: &str, rows: impl Iterator<Item = Vec<f64>>) -> Result<(), Error> {
    use std::io::Write;
    let err = |e: std::io::Error| Error::Invalid { name: "trace", message: format!("{}: {e}", path.display()) };
    let mut w = std::io::BufWriter::new(std::fs::File::create(path).map_err(err)?);
    writeln!(w, "{header}").map_err(err)?;
    for r in rows {
        writeln!(w, "{}", r.iter().map(|v| v.to_string()).collect::<Vec<_>>().join(",")).map_err(err)?;
    }
    w.flush().map_err(err)
}

/// A named line for a chart (a CLI process draws once, so leaking the name is fine).
fn line(name: impl Into<String>, color: usize, points: Vec<(f64, f64)>) -> Series {
    Series { name: Box::leak(name.into().into_boxed_str()), color: regula_charts::PALETTE[color % regula_charts::PALETTE.len()], points }
}

/// Column `k` of `rows` against column 0, mapped by `f`.
fn column<const N: usize>(rows: &[[f64; N]], k: usize, f: impl Fn(f64) -> f64) -> Vec<(f64, f64)> {
    rows.iter().map(|r| (r[0], f(r[k]))).collect()
}

/// `--png`: draws a chart into `path` and says so on stderr.
fn write_png(path: &std::path::Path, draw: impl FnOnce(regula_charts::png::PngArea<'_>) -> regula_charts::DrawResult<()>) -> Result<(), Error> {
    regula_charts::png::write(path, draw).map_err(|e| Error::Invalid { name: "png", message: format!("{}: {e}", path.display()) })?;
    eprintln!("chart: {}", path.display());
    Ok(())
}

/// `--png` for a line chart (the page's `LogChart`).
fn save_png(path: &std::path::Path, spec: LineSpec, lines: &[Series], axes: (bool, bool)) -> Result<(), Error> {
    write_png(path, |root| regula_charts::draw_lines(root, spec, lines, axes).map(drop))
}

/// A line chart's labels (the page's titles).
fn spec(title: &'static str, x_label: &'static str, y_label: &'static str, floor: f64) -> LineSpec {
    LineSpec { title, x_label, y_label, guide: None, floor }
}

async fn gen(which: GenWhich) -> Result<(), Error> {
    use regula_core::gen::{double_descent, student_teacher};
    match which {
        GenWhich::StudentTeacher { alpha, snr, n_inputs, t_max, points, seed, sweep, out } => {
            let config = student_teacher::Config { alpha, snr, n_inputs, t_max, points, seed };
            let mut run = student_teacher::Run::new(config.clone())?;
            eprintln!("student–teacher: N = {n_inputs}, P = {}, SNR {snr}, gradient flow to t = {t_max}", config.samples());
            let bar = progress(points as u64, "flow");
            regula_core::frame::run_to_end(&mut run, Budget::millis(200.0), |f| bar.set_position(f.iteration)).await?;
            bar.finish_and_clear();
            let s = run.summary();
            println!("α = {alpha}: best early-stopped test error {:.4} at t = {:.3} (theory {:.4} at t = {:.3})", s.best_test_error, s.best_time, s.theory_best_test_error, s.theory_best_time);
            println!("       test error at t = {t_max}: {:.4} (theory {:.4}; long run {:.4})", s.final_test_error, s.theory_final_test_error, student_teacher::theory_long_run(alpha, config.noise_var()));
            if let Some(path) = &out.trace {
                write_csv(path, "t,test_error,train_error,theory_test_error,theory_train_error", run.curve.iter().map(|r| r.to_vec()))?;
            }
            if let Some(path) = &out.png {
                let c = &run.curve;
                let lines = [
                    line("test error (simulated)", 0, column(c, 1, |v| v)),
                    line("test error (theory)", 1, column(c, 3, |v| v)),
                    line("training error (simulated)", 2, column(c, 2, |v| v)),
                    line("training error (theory)", 3, column(c, 4, |v| v)),
                ];
                save_png(path, spec("Error vs time: theory (Marchenko–Pastur) over simulation", "t (gradient-flow time)", "error", 1e-4), &lines, (true, true))?;
            }
            let mut json = json!({
                "best_test_error": s.best_test_error, "best_time": s.best_time, "final_test_error": s.final_test_error,
                "theory_best_test_error": s.theory_best_test_error, "theory_best_time": s.theory_best_time,
                "theory_final_test_error": s.theory_final_test_error, "alpha": alpha, "snr": snr, "n_inputs": n_inputs, "t_max": t_max,
            });
            if sweep {
                let mut sw = student_teacher::Sweep::new(config, student_teacher::Sweep::default_alphas())?;
                let bar = progress(student_teacher::Sweep::default_alphas().len() as u64, "α sweep");
                regula_core::frame::run_to_end(&mut sw, Budget::iterations(1), |f| bar.set_position(f.iteration)).await?;
                bar.finish_and_clear();
                println!("{:>7} {:>10} {:>10} {:>10} {:>10}", "α", "best", "theory", "final", "theory");
                for r in &sw.rows {
                    println!("{:>7.3} {:>10.4} {:>10.4} {:>10.4} {:>10.4}", r[0], r[1], r[3], r[2], r[4]);
                }
                json["sweep"] = json!(sw.rows.iter().map(|r| json!({"alpha": r[0], "best_test_error": r[1], "final_test_error": r[2], "theory_best_test_error": r[3], "theory_final_test_error": r[4]})).collect::<Vec<_>>());
                if let Some(path) = &out.png {
                    let c = &sw.rows;
                    let lines = [
                        line("best early-stopped (simulated)", 0, column(c, 1, |v| v)),
                        line("best early-stopped (theory)", 1, column(c, 3, |v| v)),
                        line("at t = T (simulated)", 2, column(c, 2, |v| v)),
                        line("at t = T (theory)", 3, column(c, 4, |v| v)),
                    ];
                    save_png(&sibling(path, "sweep"), spec("Test error vs α: best early-stopped and at t = T", "α = P/N", "test error", 1e-3), &lines, (false, true))?;
                }
            }
            if out.json {
                println!("{json}");
            }
        }
        GenWhich::NoisyLabels { noise_rate, spread, n, hidden, epochs, lr, batch, elr_beta, elr_lambda, noise_kind, forward, warmup, seed, out } => {
            use regula_core::gen::noisy_labels;
            let elr = regula_core::train::elr::Elr { beta: elr_beta, lambda: elr_lambda };
            let config = noisy_labels::Config { noise_rate, spread, n, hidden, epochs, lr, batch, elr, noise_kind, forward, warmup, seed };
            let mut e = noisy_labels::Experiment::new(config)?;
            eprintln!("noisy labels: {n} points of a 4-class 20-d mixture, {:.0} % of training labels flipped ({noise_kind}), 20-{hidden}-4 ReLU, Adam; CE vs ELR (β {elr_beta}, λ {elr_lambda}) vs forward correction (T {forward})", noise_rate * 100.0);
            let bar = progress(epochs as u64, "epochs");
            regula_core::frame::run_to_end(&mut e, Budget::iterations(1), |f| bar.set_position(f.iteration)).await?;
            bar.finish_and_clear();
            let s = e.summary();
            println!("cross-entropy: test accuracy peaks at {:.3} (epoch {}), ends at {:.3}; memorised {:.3} of the flipped labels", s.ce_peak_test_accuracy, s.ce_peak_epoch, s.ce_final_test_accuracy, s.ce_final_memorised);
            println!("ELR:           test accuracy peaks at {:.3}, ends at {:.3}; memorised {:.3} (at most {:.3})", s.elr_peak_test_accuracy, s.elr_final_test_accuracy, s.elr_final_memorised, s.elr_max_memorised);
            if forward != noisy_labels::Forward::Off {
                println!("forward (T {forward}): test accuracy peaks at {:.3}, ends at {:.3}; memorised {:.3}; T off by at most {:.3}", s.fwd_peak_test_accuracy, s.fwd_final_test_accuracy, s.fwd_final_memorised, s.fwd_transition_error);
            }
            if let Some(path) = &out.trace {
                let header = "epoch,ce_test_accuracy,ce_memorised,ce_clean_fit,elr_test_accuracy,elr_memorised,elr_clean_fit,fwd_test_accuracy,fwd_memorised,fwd_clean_fit";
                write_csv(path, header, e.rows.iter().map(|r| r.to_vec()))?;
            }
            if let Some(path) = &out.png {
                let mut lines = vec![line("cross-entropy", 0, column(&e.rows, 1, |a| 1.0 - a)), line("ELR", 1, column(&e.rows, 4, |a| 1.0 - a))];
                if forward != noisy_labels::Forward::Off {
                    lines.push(line("forward correction", 2, column(&e.rows, 7, |a| 1.0 - a)));
                }
                save_png(path, spec("Test error (1 − accuracy): cross-entropy vs ELR vs forward correction", "epoch", "test error", 1e-2), &lines, (false, true))?;
                let mut fit = vec![
                    line("noisy labels fitted, CE", 0, column(&e.rows, 2, |v| v)),
                    line("noisy labels fitted, ELR", 1, column(&e.rows, 5, |v| v)),
                    line("clean labels fitted, CE", 2, column(&e.rows, 3, |v| v)),
                    line("clean labels fitted, ELR", 3, column(&e.rows, 6, |v| v)),
                ];
                if forward != noisy_labels::Forward::Off {
                    fit.push(line("noisy labels fitted, forward", 4, column(&e.rows, 8, |v| v)));
                }
                save_png(&sibling(path, "fit"), spec("Training labels fitted: noisy (memorisation) and clean", "epoch", "fraction", 1e-2), &fit, (false, false))?;
            }
            if out.json {
                let mut j = serde_json::to_value(s).expect("summary serialises");
                j["transition"] = json!(e.transition);
                j["noise_kind"] = json!(noise_kind.name());
                j["forward"] = json!(forward.name());
                println!("{j}");
            }
        }
        GenWhich::Pskd { alpha_t, smoothing, train_ratio, hidden, epochs, lr, batch, seed, out } => {
            use regula_core::gen::pskd;
            let config = pskd::Config { alpha_t, smoothing, train_ratio, hidden, epochs, lr, batch, seed };
            let mut e = pskd::Experiment::new(config)?;
            eprintln!("PS-KD: digits, 64-{hidden}-10 ReLU, Adam, {epochs} epochs; cross-entropy vs label smoothing {smoothing} vs PS-KD α_T {alpha_t}");
            let bar = progress(epochs as u64, "epochs");
            regula_core::frame::run_to_end(&mut e, Budget::iterations(1), |f| bar.set_position(f.iteration)).await?;
            bar.finish_and_clear();
            println!("{:<16} {:>9} {:>9} {:>9}", "", "accuracy", "NLL", "ECE");
            for (name, c) in pskd::RUNS.iter().zip(&e.last) {
                println!("{name:<16} {:>9.4} {:>9.4} {:>9.4}", c.accuracy, c.nll, c.ece);
            }
            if let Some(path) = &out.trace {
                write_csv(path, "epoch,ce_accuracy,ce_nll,ce_ece,ls_accuracy,ls_nll,ls_ece,pskd_accuracy,pskd_nll,pskd_ece", e.rows.iter().map(|r| r.to_vec()))?;
            }
            if let Some(path) = &out.png {
                let lines = [line("cross-entropy", 0, column(&e.rows, 3, |v| v)), line("label smoothing", 2, column(&e.rows, 6, |v| v)), line("PS-KD", 1, column(&e.rows, 9, |v| v))];
                save_png(path, spec("Expected calibration error (15 bins) vs epoch", "epoch", "ECE", 1e-3), &lines, (false, true))?;
                let nll = [line("cross-entropy", 0, column(&e.rows, 2, |v| v)), line("label smoothing", 2, column(&e.rows, 5, |v| v)), line("PS-KD", 1, column(&e.rows, 8, |v| v))];
                save_png(&sibling(path, "nll"), spec("Test negative log-likelihood vs epoch", "epoch", "NLL", 1e-3), &nll, (false, true))?;
                let bins = |c: &pskd::Calibration| c.bins.iter().filter(|b| b.0 > 0).map(|b| (b.1, b.2)).collect::<Vec<_>>();
                let mut reliability = vec![line("perfect calibration", 3, vec![(0.0, 0.0), (1.0, 1.0)])];
                for ((name, color), c) in [("cross-entropy", 0), ("label smoothing", 2), ("PS-KD", 1)].into_iter().zip(&e.last) {
                    reliability.push(line(name, color, bins(c)));
                }
                let title = "Reliability diagram (last epoch): accuracy vs confidence";
                save_png(&sibling(path, "reliability"), spec(title, "confidence (top probability)", "accuracy", 1e-3), &reliability, (false, false))?;
            }
            if out.json {
                let mut j = json!({"epochs": epochs, "alpha_t": alpha_t, "smoothing": smoothing});
                for (prefix, c) in ["ce", "ls", "pskd"].iter().zip(&e.last) {
                    j[format!("{prefix}_accuracy")] = json!(c.accuracy);
                    j[format!("{prefix}_nll")] = json!(c.nll);
                    j[format!("{prefix}_ece")] = json!(c.ece);
                    j[format!("{prefix}_reliability")] = json!(c.bins.iter().filter(|b| b.0 > 0).map(|b| json!({"count": b.0, "confidence": b.1, "accuracy": b.2})).collect::<Vec<_>>());
                }
                println!("{j}");
            }
        }
        GenWhich::Continual { lambdas, hidden, n, epochs_a, epochs_b, lr, batch, momentum, lora_rank, input_scale, seeds, seed, out } => {
            use regula_core::gen::continual;
            let config = continual::Config { lambdas: lambdas.clone(), hidden, n, epochs_a, epochs_b, lr, batch, momentum, lora_rank, input_scale, seeds, seed };
            let mut e = continual::Experiment::new(config)?;
            let bar = progress((seeds * (1 + lambdas.len())) as u64, "draw × (A, λ)");
            regula_core::frame::run_to_end(&mut e, Budget::iterations(1), |f| bar.set_position(f.iteration)).await?;
            bar.finish_and_clear();
            let acc_a = e.after_a.as_ref().map_or(f64::NAN, |a| a.1);
            println!("task A (circle) test accuracy after A: {acc_a:.3} (first draw); below, means over {seeds} draws");
            println!("{:>10} {:>11} {:>12} {:>12}   LoRA r = {lora_rank}: {:>10} {:>10}", "λ", "forgetting", "A after B", "B accuracy", "forgetting", "B accuracy");
            for o in &e.outcomes {
                let lora = o.lora.map_or(String::new(), |l| format!("{:>10.3} {:>10.3}{}", l.forgetting, l.b_accuracy, if l.diverged { " (diverged)" } else { "" }));
                println!("{:>10} {:>11.3} {:>12.3} {:>12.3}{}   {:>12}{lora}", o.lambda, o.forgetting, o.a_accuracy, o.b_accuracy, if o.diverged { " (diverged)" } else { "" }, "");
            }
            if let Some(path) = &out.trace {
                write_csv(path, "lambda,forgetting,a_accuracy,b_accuracy", e.outcomes.iter().map(|o| vec![o.lambda, o.forgetting, o.a_accuracy, o.b_accuracy]))?;
            }
            if let Some(path) = &out.png {
                let col = |f: fn(&continual::Outcome) -> f64| e.outcomes.iter().map(|o| (o.lambda, f(o))).collect::<Vec<_>>();
                let lines = [line("forgetting of A", 0, col(|o| o.forgetting)), line("A's accuracy after B", 2, col(|o| o.a_accuracy)), line("B's accuracy", 1, col(|o| o.b_accuracy))];
                save_png(path, spec("Forgetting and accuracy vs the penalty weight λ (λ = 0 in the table)", "λ", "fraction", 1e-3), &lines, (true, false))?;
                if let Some((_, _, fisher)) = &e.after_a {
                    let points = fisher.iter().enumerate().map(|(i, v)| (i as f64, *v)).collect();
                    let x_label = "parameter index (layer by layer: weights, then biases)";
                    save_png(&sibling(path, "fisher"), spec("Diagonal Fisher information of task A per parameter", x_label, "F_i", 1e-10), &[line("F_i (task A, at θ*_A)", 0, points)], (false, true))?;
                    let layers = e.layer_shapes();
                    write_png(&sibling(path, "fisher-heatmap"), |root| regula_charts::train::draw_fisher(root, fisher, &layers))?;
                }
            }
            if out.json {
                println!("{}", json!({"a_accuracy_after_a": acc_a, "seeds": seeds, "outcomes": e.outcomes}));
            }
        }
        GenWhich::EpochWise { label_noise, n, n_test, categories, fast_scale, slow_scale, fast_weight, hidden, activation, lr, l2, epochs, seeds, no_control, seed, out } => {
            use regula_core::gen::epoch_wise;
            let config = epoch_wise::Config { n, n_test, categories, fast_scale, slow_scale, fast_weight, label_noise, hidden, activation, lr, l2, epochs, seeds, control: !no_control, seed };
            let mut e = epoch_wise::Experiment::new(config)?;
            eprintln!("epoch-wise double descent: {n} training points of {} inputs, {seeds} draws{}, {epochs} epochs", 1 + categories + 2, if no_control { "" } else { " (and their noise-free controls)" });
            let bar = progress(e.eval_epochs().len() as u64, "evaluations");
            regula_core::frame::run_to_end(&mut e, Budget::millis(200.0), |f| bar.set_position(f.iteration)).await?;
            bar.finish_and_clear();
            let (noisy, control) = (e.mean_curve(true), e.mean_curve(false));
            let s = e.summary();
            let shape = |name: &str, sh: Option<epoch_wise::Shape>| match sh {
                Some(x) => println!("{name}: first minimum {:.4} at epoch {}, peak {:.4} at {}, second minimum {:.4} at {}, final {:.4}", x.first_min_error, x.first_min_epoch, x.peak_error, x.peak_epoch, x.second_min_error, x.second_min_epoch, x.final_error),
                None => println!("{name}: too few evaluations for a shape"),
            };
            shape(&format!("label noise {label_noise} (mean test error of {seeds} draws)"), s.noisy);
            if !no_control {
                shape("no label noise (control)", s.control);
            }
            let rows: Vec<[f64; 6]> = (0..noisy.epochs.len())
                .map(|i| [noisy.epochs[i], noisy.test_error[i], noisy.train_error[i], noisy.memorised[i], control.test_error.get(i).copied().unwrap_or(f64::NAN), control.train_error.get(i).copied().unwrap_or(f64::NAN)])
                .collect();
            if let Some(path) = &out.trace {
                write_csv(path, "epoch,test_error,train_error,memorised,control_test_error,control_train_error", rows.iter().map(|r| r.to_vec()))?;
            }
            if let Some(path) = &out.png {
                let mut lines = vec![line(format!("test error, label noise {label_noise}"), 0, column(&rows, 1, |v| v))];
                if !no_control {
                    lines.push(line("test error, no label noise", 1, column(&rows, 4, |v| v)));
                }
                save_png(path, spec("Test error vs epoch (mean over the draws)", "epoch", "test error (clean labels)", 1e-3), &lines, (true, false))?;
                let fit = [line("training error (noisy labels)", 0, column(&rows, 2, |v| v)), line("flipped labels fitted", 2, column(&rows, 3, |v| v))];
                save_png(&sibling(path, "fit"), spec("What the network fits: training error and memorised flips", "epoch", "fraction", 1e-3), &fit, (true, false))?;
            }
            if out.json {
                println!("{}", json!({"label_noise": label_noise, "seeds": seeds, "epochs": epochs, "noisy": s.noisy, "control": s.control}));
            }
        }
        GenWhich::Quadratic { d, kappa, student_kappa, alphas, restarts, steps, lr, init_scale, seed, out } => {
            use regula_core::gen::quadratic;
            let config = quadratic::Config { d, kappa, student_kappa, alphas: alphas.clone(), restarts, steps, lr, init_scale, seed };
            let mut sweep = quadratic::Sweep::new(config.clone())?;
            let threshold = quadratic::recovery_threshold(kappa);
            eprintln!("quadratic teacher: d = {d}, width {} (student {}), {restarts} gradient-descent starts per α; recovery threshold α_PR = {threshold}", config.teacher_width(), config.student_width());
            let bar = progress(alphas.len() as u64, "α");
            regula_core::frame::run_to_end(&mut sweep, Budget::millis(200.0), |f| bar.set_position(f.iteration)).await?;
            bar.finish_and_clear();
            println!("{:>7} {:>6} {:>11} {:>11} {:>11} {:>11}", "α", "n", "one run", "mean", "averaged", "train");
            for r in &sweep.rows {
                println!("{:>7.3} {:>6} {:>11.4} {:>11.4} {:>11.4} {:>11.2e}", r[0], config.samples(r[0]), r[1], r[2], r[3], r[4]);
            }
            if let Some(a) = sweep.diverged_at() {
                eprintln!("gradient descent diverged at α = {a}: the sweep stopped there; lower --lr (now {lr})");
            }
            if let Some(path) = &out.trace {
                write_csv(path, "alpha,single_test_error,mean_test_error,averaged_test_error,train_error", sweep.rows.iter().map(|r| r.to_vec()))?;
            }
            if let Some(path) = &out.png {
                let lines = [
                    line("one gradient-descent run", 0, column(&sweep.rows, 1, |v| v)),
                    line("mean over runs", 2, column(&sweep.rows, 2, |v| v)),
                    line("averaged predictor", 1, column(&sweep.rows, 3, |v| v)),
                    line("recovery threshold α_PR", 3, vec![(threshold, 1e-6), (threshold, 2.0)]),
                ];
                save_png(path, spec("Test error vs α = n/d²: one run, the average over runs, and the averaged predictor", "α = n/d²", "test error", 1e-6), &lines, (false, true))?;
                if !sweep.curve.is_empty() {
                    let c = &sweep.curve;
                    let lines = [line("test error", 0, column(c, 2, |v| v)), line("training error", 1, column(c, 1, |v| v))];
                    save_png(&sibling(path, "curve"), spec("The last start: errors vs gradient-descent step", "step", "relative error", 1e-10), &lines, (false, true))?;
                }
            }
            if out.json {
                let rows: Vec<_> = sweep.rows.iter().map(|r| json!({"alpha": r[0], "single_test_error": r[1], "mean_test_error": r[2], "averaged_test_error": r[3], "train_error": r[4]})).collect();
                println!("{}", json!({"d": d, "kappa": kappa, "restarts": restarts, "recovery_threshold": threshold, "diverged_at": sweep.diverged_at(), "rows": rows}));
            }
        }
        GenWhich::DoubleDescent { n, noise, signal, gamma_min, gamma_max, points, trials, seed, out } => {
            let config = double_descent::Config { n, noise_var: noise, signal, gamma_min, gamma_max, points, trials, seed };
            let mut sweep = double_descent::Sweep::new(config.clone())?;
            let bar = progress(config.grid().len() as u64, "γ sweep");
            regula_core::frame::run_to_end(&mut sweep, Budget::iterations(1), |f| bar.set_position(f.iteration)).await?;
            bar.finish_and_clear();
            println!("{:>7} {:>12} {:>12} {:>12}", "γ", "risk mean", "median", "theory");
            for r in &sweep.rows {
                println!("{:>7.3} {:>12.4} {:>12.4} {:>12.4}", r[0], r[1], r[2], r[3]);
            }
            let peak = sweep.rows.iter().copied().max_by(|a, b| a[2].total_cmp(&b[2])).unwrap_or([f64::NAN; 4]);
            println!("peak of the median risk: {:.4} at γ = {:.3}", peak[2], peak[0]);
            if let Some(path) = &out.trace {
                write_csv(path, "gamma,risk_mean,risk_median,theory_risk", sweep.rows.iter().map(|r| r.to_vec()))?;
            }
            if let Some(path) = &out.png {
                let lines = [line("median risk (simulated)", 0, column(&sweep.rows, 2, |v| v)), line("mean risk (simulated)", 2, column(&sweep.rows, 1, |v| v)), line("theory", 1, column(&sweep.rows, 3, |v| v))];
                save_png(path, spec("Excess test risk of ridgeless regression vs γ = p/n", "γ = p/n", "E‖β̂ − β‖²", 1e-3), &lines, (true, true))?;
            }
            if out.json {
                let rows: Vec<_> = sweep.rows.iter().map(|r| json!({"gamma": r[0], "risk_mean": r[1], "risk_median": r[2], "theory_risk": r[3]})).collect();
                println!("{}", json!({"n": n, "noise": noise, "signal": signal, "trials": trials, "peak_gamma": peak[0], "peak_risk_median": peak[2], "rows": rows}));
            }
        }
    }
    Ok(())
}

/// Steps/s of training after a warm-up epoch (pipelines compiled, buffers allocated): the trainer's own
/// `train_seconds` (updates and, on the GPU, dispatch + readback of θ; not the frame's f64 evaluation).
async fn measured_steps_per_second<S: regula_core::Stepper>(stepper: &mut S, warm_steps: u64, measured_steps: u64) -> Result<f64, Error> {
    let mut mark: Option<(u64, f64)> = None;
    loop {
        let f = stepper.step(Budget::iterations(u64::MAX)).await?;
        let t = f.metric("train_seconds").unwrap_or(0.0);
        if f.stop.is_some() {
            return Err(Error::Invalid { name: "epochs", message: format!("the run stopped early ({:?})", f.stop) });
        }
        match mark {
            None if f.iteration >= warm_steps => mark = Some((f.iteration, t)),
            Some((s0, t0)) if f.iteration >= s0 + measured_steps => return Ok((f.iteration - s0) as f64 / (t - t0).max(1e-9)),
            _ => {}
        }
    }
}

async fn bench_train_gpu(common: Common, epochs: usize, max_width: usize) -> Result<(), Error> {
    let digits = DatasetSpec { kind: DatasetKind::Digits, train_ratio: 1.0, ..DatasetSpec::default() }.build()?;
    let xor = DatasetSpec { kind: DatasetKind::Xor, n: 500, train_ratio: 1.0, ..DatasetSpec::default() }.build()?;
    let backend = Backend::acquire(common.backend).await?;
    let ctx = backend.gpu().cloned();
    println!("training steps/s: Playground's 2-8-8-1 on 500 xor points (MSE, SGD), and digits (1,797 rows; softmax cross-entropy, Adam); {epochs} measured epochs after one warm-up");
    println!("GPU: {}", ctx.as_ref().map_or("none".to_owned(), |_| backend.report().label.clone()));
    let mut rows = Vec::new();
    for (hidden, batch) in [(vec![8, 8], 10usize), (vec![32], 32), (vec![256, 256], 128), (vec![1024, 1024], 512)] {
        if hidden[0] > max_width {
            continue;
        }
        let playground = batch == 10;
        let data = if playground { &xor } else { &digits };
        let config = if playground {
            TrainConfig { hidden: hidden.clone(), lr: 0.03, batch, epochs: 10_000, ..TrainConfig::default() }
        } else {
            TrainConfig { hidden: hidden.clone(), loss: Loss::Xent, optimizer: Optimizer::Adam, lr: 1e-3, batch, epochs: 10_000, ..TrainConfig::default() }
        };
        let make = || Trainer::new(data.clone(), config.clone());
        let probe = make()?;
        let (p, spe) = (probe.params().len(), probe.steps_per_epoch());
        let (warm, measured) = (spe, spe * epochs as u64);
        let flops = 6.0 * (p * batch) as f64;
        let cpu = measured_steps_per_second(&mut make()?, warm, measured).await?;
        let name = format!("{}-{}-{}", data.inputs, hidden.iter().map(|h| h.to_string()).collect::<Vec<_>>().join("-"), if playground { 1 } else { 10 });
        println!("{name:<16} B={batch:<4} P={p:<8} cpu f64 {cpu:>9.1} steps/s ({:.2} GFLOP/s)", cpu * flops / 1e9);
        let mut row = json!({"net": name, "batch": batch, "params": p, "cpu_steps_per_second": cpu});
        if let Some(ctx) = &ctx {
            for kernel in [GpuKernel::OneWorkgroup, GpuKernel::Tiled] {
                let mut g = match GpuTrainer::with_kernel(ctx.clone(), make()?, kernel) {
                    Ok(g) => g,
                    Err(_) => continue, // past the one-workgroup kernel's limits
                };
                let sps = measured_steps_per_second(&mut g, warm, measured).await?;
                println!("{:<38} gpu {:<24} {sps:>9.1} steps/s ({:.2} GFLOP/s) → {:.2}× the CPU", "", kernel.name(), sps * flops / 1e9, sps / cpu);
                row[if kernel == GpuKernel::Tiled { "tiled_steps_per_second" } else { "one_workgroup_steps_per_second" }] = json!(sps);
            }
        }
        rows.push(row);
    }
    println!("bound: per step 6·P·B flops; small nets are latency-bound (one dispatch + readback per epoch, 3L + 1 launches per step tiled), large ones flop-bound");
    if common.json {
        println!("{}", json!({"device": ctx.as_ref().map(|_| backend.report().label.clone()), "nets": rows}));
    }
    Ok(())
}

async fn train(args: TrainArgs) -> Result<(), Error> {
    let data = match &args.data {
        Some(path) => {
            let name = path.display().to_string();
            let text = std::fs::read_to_string(path).map_err(|e| Error::Csv { file: name.clone(), line: 0, message: format!("cannot read the file: {e}") })?;
            regula_core::train::data::from_csv(&name, &text, args.classify || args.loss == Loss::Xent, args.train_ratio, args.seed)?
        }
        None => DatasetSpec {
            kind: args.dataset,
            n: args.n,
            noise: args.noise,
            train_ratio: args.train_ratio,
            label_noise: args.label_noise,
            noise_kind: args.noise_kind,
            features: args.features.clone(),
            seed: args.seed,
        }
        .build()?,
    };
    let config = TrainConfig {
        hidden: args.hidden.clone(),
        activation: args.activation,
        loss: args.loss,
        optimizer: args.optimizer,
        lr: args.lr,
        schedule: args.schedule,
        batch: args.batch,
        epochs: args.epochs,
        reg: args.reg,
        reg_rate: args.reg_rate,
        hessian_every: args.hessian_every,
        label_smoothing: args.label_smoothing,
        momentum: args.momentum,
        layer_activations: args.activations.clone(),
        elr: args.elr.then_some(regula_core::train::elr::Elr { beta: args.elr_beta, lambda: args.elr_lambda }),
        seed: args.seed,
        ..TrainConfig::default()
    };
    let cpu_trainer = Trainer::new(data, config)?;
    // `auto` trains on the GPU when an adapter opens and the device holds the net; `gpu` insists.
    let backend = Backend::acquire(args.common.backend).await?;
    let mut trainer = match backend.gpu() {
        Some(ctx) => match GpuTrainer::with_kernel(ctx.clone(), Trainer::new(cpu_trainer.data().clone(), cpu_trainer.config.clone())?, args.gpu_kernel) {
            Ok(g) => TrainStepper::Gpu(Box::new(g)),
            Err(e) if args.common.backend == BackendChoice::Gpu => return Err(e),
            Err(e) => {
                eprintln!("note: training on the CPU ({e})");
                TrainStepper::Cpu(Box::new(cpu_trainer))
            }
        },
        None => TrainStepper::Cpu(Box::new(cpu_trainer)),
    };
    let (where_, params, spe, train_rows, test_rows) = {
        let t = trainer.trainer();
        let w = match &trainer {
            TrainStepper::Gpu(g) => format!("GPU f32 ({}; {})", backend.report().label, g.kernel().name()),
            TrainStepper::Cpu(_) => "CPU f64".to_owned(),
        };
        (w, t.params().len(), t.steps_per_epoch(), t.data().train.len(), t.data().test.len())
    };
    eprintln!("train: {} ({train_rows} train / {test_rows} test rows), {params} parameters, {} lr {}, {where_}", args.data.as_ref().map_or_else(|| args.dataset.to_string(), |p| p.display().to_string()), args.optimizer, args.lr);
    let total = spe * args.epochs as u64;
    let bar = progress(total, "train");
    let mut trace = match &args.trace {
        Some(path) => {
            let mut w = std::io::BufWriter::new(std::fs::File::create(path).map_err(|e| Error::Invalid { name: "trace", message: format!("cannot create {}: {e}", path.display()) })?);
            use std::io::Write;
            writeln!(w, "step,epoch,train_loss,test_loss,train_accuracy,test_accuracy,lr,sharpness,hessian_trace,stability_threshold,noisy_memorised")
                .map_err(|e| Error::Invalid { name: "trace", message: e.to_string() })?;
            Some(w)
        }
        None => None,
    };
    let mut write_error = None;
    // With a trace or a chart, one frame per epoch.
    let budget = if trace.is_some() || args.png.is_some() { Budget::iterations(spe) } else { Budget::millis(200.0) };
    // The page's line charts, one list of (step, value) per metric.
    let charted = ["train_loss", "test_loss", "train_accuracy", "test_accuracy", "sharpness", "stability_threshold", "batch_bound"];
    let mut curves: Vec<Vec<(f64, f64)>> = vec![Vec::new(); charted.len()];
    let mut last_charted = None;
    let last = regula_core::frame::run_to_end(&mut trainer, budget, |f| {
        bar.set_position(f.iteration);
        bar.set_message(format!("train loss {:.4}", f.metric("train_loss").unwrap_or(f64::NAN)));
        if last_charted.replace(f.iteration) != Some(f.iteration) {
            for (curve, key) in curves.iter_mut().zip(charted) {
                curve.extend(f.metric(key).map(|v| (f.iteration as f64, v)));
            }
        }
        if let Some(w) = trace.as_mut() {
            use std::io::Write;
            let opt = |k: &str| f.metric(k).map(|v| v.to_string()).unwrap_or_default();
            let row = writeln!(
                w,
                "{},{},{},{},{},{},{},{},{},{},{}",
                f.iteration,
                opt("epoch"),
                opt("train_loss"),
                opt("test_loss"),
                opt("train_accuracy"),
                opt("test_accuracy"),
                opt("lr"),
                opt("sharpness"),
                opt("hessian_trace"),
                opt("stability_threshold"),
                opt("noisy_memorised")
            );
            if let Err(e) = row {
                write_error.get_or_insert(e.to_string());
            }
        }
    })
    .await?;
    bar.finish_and_clear();
    if let Some(w) = trace.as_mut() {
        use std::io::Write;
        w.flush().map_err(|e| Error::Invalid { name: "trace", message: e.to_string() })?;
    }
    if let Some(e) = write_error {
        return Err(Error::Invalid { name: "trace", message: e });
    }
    if let Some(path) = &args.png {
        // FILE: loss; FILE-error: error rate (1 − accuracy); FILE-sharpness: λmax against 2/η (when measured).
        let [train_loss, test_loss, train_acc, test_acc, sharp, threshold, bound] = <[Vec<(f64, f64)>; 7]>::try_from(curves).expect("seven curves");
        save_png(path, spec("Loss vs step", "step", "loss", 1e-8), &[line("train", 0, train_loss), line("test", 1, test_loss)], (false, true))?;
        let error = |c: Vec<(f64, f64)>| c.into_iter().map(|(x, a)| (x, 1.0 - a)).collect();
        let errors = [line("train error", 0, error(train_acc)), line("test error", 1, error(test_acc))];
        save_png(&sibling(path, "error"), spec("Error rate (1 − accuracy) vs step", "step", "error", 1e-3), &errors, (false, true))?;
        if sharp.is_empty() {
            eprintln!("train: no sharpness was measured (add --hessian-every K), so there is no sharpness chart");
        } else {
            let lines = [line("λmax (sharpness)", 0, sharp), line("stability threshold 2/η", 1, threshold), line("tr(H)/B + (1 − 1/B)λmax", 2, bound)];
            let lines: Vec<Series> = lines.into_iter().filter(|l| !l.points.is_empty()).collect();
            save_png(&sibling(path, "sharpness"), spec("Sharpness λmax vs the stability threshold", "step", "λ", 1e-6), &lines, (false, true))?;
        }
        let t = match &trainer {
            TrainStepper::Cpu(t) => &**t,
            TrainStepper::Gpu(g) => g.cpu(),
        };
        train_pictures(path, t)?;
    }
    let m = |k: &str| last.metric(k);
    let seconds = last.elapsed_ms / 1e3;
    if last.stop == Some(regula_core::StopReason::Divergence) {
        eprintln!("warning: training diverged at step {} (loss → ∞): lower the learning rate", last.iteration);
    }
    println!(
        "{} after {:.1} epochs ({} steps, {:.0} steps/s): train loss {:.4}{}{}{}",
        last.stop.map_or("stopped".to_owned(), |s| format!("{s:?}").to_lowercase()),
        m("epoch").unwrap_or(0.0),
        last.iteration,
        last.iteration as f64 / seconds.max(1e-9),
        m("train_loss").unwrap_or(f64::NAN),
        m("test_loss").map(|l| format!(", test loss {l:.4}")).unwrap_or_default(),
        m("train_accuracy").map(|a| format!(", train accuracy {a:.3}")).unwrap_or_default(),
        m("test_accuracy").map(|a| format!(", test accuracy {a:.3}")).unwrap_or_default(),
    );
    if let (Some(l), Some(t)) = (m("sharpness"), m("hessian_trace")) {
        println!("sharpness λmax {l:.4}, trace {t:.4}{}", m("stability_threshold").map(|s| format!(", stability threshold {s:.4}")).unwrap_or_default());
    }
    if args.common.json {
        let out = json!({
            "epochs": m("epoch"), "train_loss": m("train_loss"), "test_loss": m("test_loss"),
            "train_accuracy": m("train_accuracy"), "test_accuracy": m("test_accuracy"),
            "sharpness": m("sharpness"), "hessian_trace": m("hessian_trace"), "params": params,
            "steps_per_second": last.iteration as f64 / seconds.max(1e-9), "seconds": seconds,
            "stop": last.stop, "diverged": last.stop == Some(regula_core::StopReason::Divergence),
            "train_seconds": m("train_seconds"), "noisy_memorised": m("noisy_memorised"),
            "stability_threshold": m("stability_threshold"), "backend": if matches!(trainer, TrainStepper::Gpu(_)) { "gpu" } else { "cpu" },
            "gpu_kernel": match &trainer { TrainStepper::Gpu(g) => Some(g.kernel().name()), TrainStepper::Cpu(_) => None },
        });
        println!("{out}");
    }
    Ok(())
}
