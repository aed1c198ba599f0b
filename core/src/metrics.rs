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

// Student–teacher (Advani & Saxe): the last evaluated point, then the curve's best.
/// Training time t of the gradient flow.
pub const T: &str = "t";
pub const TRAIN_ERROR: &str = "train_error";
pub const THEORY_TEST_ERROR: &str = "theory_test_error";
pub const THEORY_TRAIN_ERROR: &str = "theory_train_error";
/// The time of the best test error so far (simulated, then theory).
pub const BEST_TIME: &str = "best_time";
pub const THEORY_BEST_TEST_ERROR: &str = "theory_best_test_error";
pub const THEORY_BEST_TIME: &str = "theory_best_time";
pub const FINAL_TEST_ERROR: &str = "final_test_error";
pub const THEORY_FINAL_TEST_ERROR: &str = "theory_final_test_error";
/// The t → ∞ test error of the theory (absent at α = 1, where it is infinite).
pub const THEORY_LONG_RUN: &str = "theory_long_run";
/// The load α = samples / inputs (student–teacher), or the step's α (quadratic).
pub const ALPHA: &str = "alpha";

// Double descent (ridgeless regression).
/// γ = p/n of the grid point.
pub const GAMMA: &str = "gamma";
pub const RISK_MEAN: &str = "risk_mean";
pub const RISK_MEDIAN: &str = "risk_median";
pub const THEORY_RISK: &str = "theory_risk";

// Epoch-wise double descent: the averaged curve's landmarks.
pub const FIRST_MIN_EPOCH: &str = "first_min_epoch";
pub const FIRST_MIN_ERROR: &str = "first_min_error";
pub const PEAK_EPOCH: &str = "peak_epoch";
pub const PEAK_ERROR: &str = "peak_error";
pub const FINAL_ERROR: &str = "final_error";

// Continual learning (task A, then task B).
/// Task A's test accuracy once A is learned (before B).
pub const A_ACCURACY_AFTER_A: &str = "a_accuracy_after_a";
pub const SEEDS_DONE: &str = "seeds_done";
/// The penalty weight λ of the outcome just measured.
pub const LAMBDA: &str = "lambda";
/// Task A's accuracy lost while learning B.
pub const FORGETTING: &str = "forgetting";
pub const A_ACCURACY: &str = "a_accuracy";
pub const B_ACCURACY: &str = "b_accuracy";
pub const LORA_FORGETTING: &str = "lora_forgetting";
pub const LORA_B_ACCURACY: &str = "lora_b_accuracy";

// Quadratic (SGD's implicit averaging): the α sweep's position and its three errors.
pub const RESTART: &str = "restart";
pub const GD_STEP: &str = "gd_step";
pub const SINGLE_TEST_ERROR: &str = "single_test_error";
pub const MEAN_TEST_ERROR: &str = "mean_test_error";
pub const AVERAGED_TEST_ERROR: &str = "averaged_test_error";

// Labs that run several nets side by side key each figure by run: `of_run("elr", MEMORISED)` is
// "elr_memorised". Noisy labels: runs "ce", "elr", "fwd"; PS-KD: "ce", "ls", "pskd".
/// The share of flipped labels a run memorised (noisy labels).
pub const MEMORISED: &str = "memorised";
/// Test-set accuracy, NLL and expected calibration error (PS-KD).
pub const ACCURACY: &str = "accuracy";
pub const NLL: &str = "nll";
pub const ECE: &str = "ece";

/// The key of `metric` for the run named `run` (see above).
pub fn of_run(run: &str, metric: &str) -> String {
    format!("{run}_{metric}")
}

// Sparse regression (solvers lab): the N being fitted, and per (support, estimator) — keyed by
// `solvers::sparse::metric` — the prediction error's median and quartiles over trials, and the support's
// median precision and recall.
pub const SAMPLES: &str = "n";
pub const PRED_ERROR_MEDIAN: &str = "pred_error_median";
pub const PRED_ERROR_Q25: &str = "pred_error_q25";
pub const PRED_ERROR_Q75: &str = "pred_error_q75";
pub const PRECISION: &str = "precision";
pub const RECALL: &str = "recall";

// Sketching: a cell's figures over its trials (`Experiment::cell_metrics`).
pub const TRIALS: &str = "trials";
pub const EPS2_P99: &str = "eps2_p99";
pub const EPSINF_P99: &str = "epsinf_p99";
pub const SPIKE_MEDIAN: &str = "spike_median";
pub const RESIDUAL_RATIO_MEDIAN: &str = "residual_ratio_median";
pub const SECONDS_MEDIAN: &str = "seconds_median";
pub const RANK_DEFICIENT: &str = "rank_deficient";
pub const RELATIVE_ERROR_VS_EXACT: &str = "relative_error_vs_exact";
pub const LSQR_ITERATIONS: &str = "lsqr_iterations";

// Sweeps (many nets side by side).
/// Nets in the sweep (or its shard).
pub const SWEEP_NETS: &str = "sweep_nets";
/// Nets finished (trained to the end, diverged or failed to start).
pub const SWEEP_DONE: &str = "sweep_done";
pub const SWEEP_DIVERGED: &str = "sweep_diverged";
/// Nets whose cell's parameters do not suit the data (each says why).
pub const SWEEP_FAILED: &str = "sweep_failed";
/// Parameter updates per second summed over the nets (net-steps/s), over the sweep's whole time (its
/// frames' evaluations included).
pub const NET_STEPS_PER_SECOND: &str = "net_steps_per_second";
