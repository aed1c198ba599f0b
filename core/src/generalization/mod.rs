//! The generalization lab: closed-form theory drawn over simulation (docs/methods.md §3).
//! - [`student_teacher`]: Advani & Saxe's linear student–teacher gradient flow with the Marchenko–Pastur
//!   theory, one run streaming over time and the α sweep;
//! - [`double_descent`]: model-wise double descent of ridgeless least squares against its closed form;
//! - [`epoch_wise`]: epoch-wise double descent of a small MLP under label noise (features learned at three
//!   speeds), averaged over seeds with a noise-free control;
//! - [`noisy_labels`]: cross-entropy vs early-learning regularization under label noise (memorisation);
//! - [`pskd`]: progressive self-knowledge distillation vs cross-entropy and label smoothing (calibration);
//! - [`continual`]: task A then task B with elastic weight consolidation (forgetting vs λ);
//! - [`quadratic`]: a quadratic-activation teacher learnt by gradient descent from n = αd² samples;
//! - [`marchenko_pastur`]: the student–teacher's theory (the Marchenko–Pastur integral, the long run);
//! - [`spectral`]: a symmetric eigen-decomposition in resumable units (the student–teacher set-up).

pub mod continual;
pub mod double_descent;
pub mod epoch_wise;
pub mod marchenko_pastur;
pub mod noisy_labels;
pub mod pskd;
pub mod quadratic;
pub mod spectral;
pub mod student_teacher;
