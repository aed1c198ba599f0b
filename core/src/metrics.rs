//! The names of the metrics frames carry (`Frame::metrics`), one constant per idea: the steppers write
//! them and the page, the CLI and the JavaScript API read them by these names (JSON keys too).

// Every lab.
/// Seconds spent in the stepper's own work (training updates; excludes the frame's evaluation).
pub const TRAIN_SECONDS: &str = "train_seconds";

// Kernels.
pub const CPU_MS: &str = "cpu_ms";
pub const CPU_GBPS: &str = "cpu_gbps";
pub const GPU_MS: &str = "gpu_ms";
pub const GPU_GBPS: &str = "gpu_gbps";
/// The largest |gpu − cpu| over the outputs.
pub const MAX_ABS_DIFF: &str = "max_abs_diff";
/// The largest |gpu − cpu| / tolerance: ≤ 1 when the twins agree.
pub const DIFF_OVER_TOLERANCE: &str = "diff_over_tolerance";

// Optimal transport.
/// ‖P1 − a‖₁ + ‖Pᵀ1 − b‖₁.
pub const MARGINAL_ERROR: &str = "marginal_error";
/// ⟨C, P⟩.
pub const TRANSPORT_COST: &str = "transport_cost";
/// ⟨a, f⟩ + ⟨b, g⟩ − ε ΣP.
pub const DUAL_OBJECTIVE: &str = "dual_objective";
pub const NEWTON_STEPS: &str = "newton_steps";
pub const STEP_SIZE: &str = "step_size";
/// Kept entries of SNS's sparsified Hessian.
pub const NNZ: &str = "nnz";
/// The share of P's mass the sparsified Hessian holds.
pub const KEPT_MASS: &str = "kept_mass";
pub const CG_ITERATIONS: &str = "cg_iterations";
/// ε of the current stage (ε-scaling).
pub const EPS: &str = "eps";
/// The f32 solver's precision floor on the marginal error.
pub const PRECISION_FLOOR: &str = "precision_floor";

// Sketching.
pub const COMPLETED: &str = "completed";
pub const EXACT_SECONDS: &str = "exact_seconds";
pub const EPS2_MEDIAN: &str = "eps2_median";
pub const EPSINF_MEDIAN: &str = "epsinf_median";
/// The nuclear-norm comparison: ‖R̂‖_* / N by the SVD, the MNN proxy, and proxy / exact.
pub const EXACT: &str = "exact";
pub const PROXY: &str = "proxy";
pub const RATIO: &str = "ratio";

// Training.
pub const EPOCH: &str = "epoch";
pub const TRAIN_LOSS: &str = "train_loss";
/// The training loss plus the regularization penalty.
pub const OBJECTIVE: &str = "objective";
pub const TEST_LOSS: &str = "test_loss";
pub const TRAIN_ACCURACY: &str = "train_accuracy";
pub const TEST_ACCURACY: &str = "test_accuracy";
pub const LR: &str = "lr";
/// λmax of the loss Hessian (power iteration).
pub const SHARPNESS: &str = "sharpness";
/// tr(H) (Hutchinson).
pub const HESSIAN_TRACE: &str = "hessian_trace";
/// 2/η (the step's stability threshold).
pub const STABILITY_THRESHOLD: &str = "stability_threshold";
/// tr(H)/B + (1 − 1/B)λmax (Wu & Su's mini-batch bound, against 2/η).
pub const BATCH_BOUND: &str = "batch_bound";
/// The share of flipped training labels the net predicts as flipped.
pub const NOISY_MEMORISED: &str = "noisy_memorised";
/// The share of clean training labels the net fits.
pub const CLEAN_FIT: &str = "clean_fit";

// Generalization.
pub const TEST_ERROR: &str = "test_error";
pub const BEST_TEST_ERROR: &str = "best_test_error";
pub const CONTROL_TEST_ERROR: &str = "control_test_error";
pub const SETUP_PROGRESS: &str = "setup_progress";
