//! What a training run is configured with: the network, the loss, the optimizer and its schedule, the
//! penalties (L1/L2, and the terms experiments add in code: EWC, forward correction), validated against
//! the dataset it trains on.

use serde::{Deserialize, Serialize};

use super::data::Dataset;
use super::mlp::{Activation, Architecture, Loss};
use crate::error::{Error, Result};

crate::choice! {
    /// The optimizer (`--optimizer`).
    pub enum Optimizer("optimizer") {
        Sgd => "sgd",
        /// Heavy-ball momentum, β = 0.9.
        Momentum => "momentum",
        /// Adam (β₁ = 0.9, β₂ = 0.999, ε = 1e-8).
        Adam => "adam",
    }
}

crate::choice! {
    /// The learning-rate schedule (`--schedule`).
    #[derive(Default)]
    pub enum Schedule("schedule") {
        #[default]
        Constant => "constant",
        /// ×0.1 after each third of the epochs.
        Step => "step",
        /// η·½(1 + cos(π t/T)).
        Cosine => "cosine",
    }
}

crate::choice! {
    /// Weight regularisation (`--reg`): on the weights, not the biases.
    #[derive(Default)]
    pub enum Regularization("reg") {
        #[default]
        None => "none",
        /// rate · Σ|w|.
        L1 => "l1",
        /// (rate/2) · Σw².
        L2 => "l2",
    }
}

/// Elastic weight consolidation (Kirkpatrick et al. 2017): a quadratic pull towards `anchor` (θ*_A, the
/// weights after an earlier task) weighted by the diagonal Fisher information of that task.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ewc {
    pub lambda: f64,
    pub anchor: Vec<f64>,
    pub fisher: Vec<f64>,
}

/// Training hyperparameters (the panel, the CLI flags).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    pub hidden: Vec<usize>,
    pub activation: Activation,
    pub loss: Loss,
    pub optimizer: Optimizer,
    pub lr: f64,
    pub momentum: f64,
    pub schedule: Schedule,
    /// Mini-batch size; 0 means the full training set (gradient descent).
    pub batch: usize,
    pub epochs: usize,
    pub reg: Regularization,
    pub reg_rate: f64,
    /// Measure sharpness and trace at the first frame after every this many steps (frames come once per
    /// epoch, at least every 10 steps; 0: never; always at the end).
    pub hessian_every: usize,
    /// Label smoothing α ∈ [0, 1) for classification targets.
    #[serde(default)]
    pub label_smoothing: f64,
    /// One activation per hidden layer, overriding `activation` when not empty.
    #[serde(default)]
    pub layer_activations: Vec<Activation>,
    /// Early-learning regularization on top of cross-entropy ([`super::elr`]); CPU only.
    #[serde(default)]
    pub elr: Option<super::elr::Elr>,
    /// Elastic weight consolidation: (λ/2)·Σ_i F_i (θ_i − θ*_i)² towards an earlier task's weights; CPU only.
    /// Set by experiments in code (the continual-learning lab), not a panel's or a link's field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ewc: Option<Ewc>,
    /// Forward loss correction (Patrini et al. 2017): the cross-entropy of the noisy label under Tᵀp, the
    /// network's clean-class probabilities p passed through the noise transition matrix T (k × k,
    /// row-major, T_ij = P(noisy j | clean i), rows summing to 1); CPU only; not with ELR. Set by the
    /// noisy-labels lab in code, not a panel's or a link's field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forward_correction: Option<Vec<f64>>,
    /// How the initial weights are drawn (older links and configs: LeCun normal).
    #[serde(default)]
    pub init: super::mlp::Init,
    pub seed: u64,
}

impl Default for TrainConfig {
    fn default() -> Self {
        Self {
            hidden: vec![8, 8],
            activation: Activation::Tanh,
            loss: Loss::Mse,
            optimizer: Optimizer::Sgd,
            lr: 0.1,
            momentum: 0.9,
            schedule: Schedule::Constant,
            batch: 10,
            epochs: 100,
            reg: Regularization::None,
            reg_rate: 0.0,
            hessian_every: 0,
            label_smoothing: 0.0,
            layer_activations: Vec::new(),
            elr: None,
            ewc: None,
            forward_correction: None,
            init: super::mlp::Init::Lecun,
            seed: 0,
        }
    }
}

/// Forward correction's extra output term for one row with noisy label `label`: the corrected loss is
/// −log q_label with q = Tᵀ softmax(z); as an addition to the plain cross-entropy −log p_label it is
/// log(p_label/q_label), with gradient e_label − w, w_j = T_j,label·p_j/q_label (the posterior of the clean
/// class given the noisy label) — so the total gradient is p − w.
pub fn forward_correction_term(t: &[f64], label: usize, z: &[f64]) -> (f64, Vec<f64>) {
    let k = z.len();
    let p = super::elr::softmax(z);
    let q: f64 = (0..k).map(|j| t[j * k + label] * p[j]).sum::<f64>().max(1e-300);
    let grad = (0..k).map(|j| f64::from(u8::from(j == label)) - t[j * k + label] * p[j] / q).collect();
    ((p[label].max(1e-300) / q).ln(), grad)
}

impl TrainConfig {
    pub fn validate(&self, data: &Dataset) -> Result<()> {
        if !(self.lr.is_finite() && self.lr > 0.0) {
            return Err(Error::Invalid {
                name: "lr",
                message: format!("the learning rate must be a positive number, got {}", self.lr),
            });
        }
        if self.lr > 1e3 {
            return Err(Error::TooBig { name: "lr", value: self.lr as i64, max: 1000 });
        }
        if !(0.0..1.0).contains(&self.momentum) {
            return Err(Error::Invalid {
                name: "momentum",
                message: format!("it must lie in [0, 1), got {}", self.momentum),
            });
        }
        if !(self.reg_rate.is_finite() && self.reg_rate >= 0.0) {
            return Err(Error::Invalid {
                name: "reg-rate", message: format!("it must be ≥ 0, got {}", self.reg_rate)
            });
        }
        if !(0.0..1.0).contains(&self.label_smoothing) {
            return Err(Error::Invalid {
                name: "label-smoothing",
                message: format!("it must lie in [0, 1), got {}", self.label_smoothing),
            });
        }
        if self.epochs == 0 {
            return Err(Error::TooSmall { name: "epochs", value: 0, min: 1 });
        }
        if self.batch > data.train.len() {
            return Err(Error::TooBig { name: "batch", value: self.batch as i64, max: data.train.len() as i64 });
        }
        if let Some(e) = self.elr {
            if self.loss != Loss::Xent || data.classes < 2 {
                return Err(Error::Invalid {
                    name: "elr",
                    message: "early-learning regularization needs classes and the cross-entropy loss".into(),
                });
            }
            if !(0.0..1.0).contains(&e.beta) {
                return Err(Error::Invalid {
                    name: "elr-beta",
                    message: format!("β must lie in [0, 1), got {}", e.beta),
                });
            }
            if !(e.lambda.is_finite() && e.lambda >= 0.0) {
                return Err(Error::Invalid {
                    name: "elr-lambda", message: format!("λ must be ≥ 0, got {}", e.lambda)
                });
            }
        }
        if let Some(t) = &self.forward_correction {
            let k = data.classes;
            if self.loss != Loss::Xent || k < 2 {
                return Err(Error::Invalid {
                    name: "forward-correction",
                    message: "forward correction needs classes and the cross-entropy loss".into(),
                });
            }
            if self.elr.is_some() {
                return Err(Error::Invalid {
                    name: "forward-correction",
                    message: "forward correction and ELR are separate runs: pick one".into(),
                });
            }
            if self.label_smoothing > 0.0 {
                return Err(Error::Invalid {
                    name: "forward-correction",
                    message: "forward correction corrects the hard noisy labels: turn label smoothing off".into(),
                });
            }
            if t.len() != k * k
                || !t.iter().all(|v| v.is_finite() && *v >= 0.0)
                || t.chunks(k).any(|row| (row.iter().sum::<f64>() - 1.0).abs() > 1e-6)
            {
                return Err(Error::Invalid {
                    name: "forward-correction",
                    message: format!("T must be a {k} × {k} matrix of probabilities whose rows sum to 1"),
                });
            }
        }
        if let Some(e) = &self.ewc {
            if !(e.lambda.is_finite() && e.lambda >= 0.0) {
                return Err(Error::Invalid {
                    name: "ewc-lambda", message: format!("λ must be ≥ 0, got {}", e.lambda)
                });
            }
            let p = self.architecture(data)?.params();
            if e.anchor.len() != p || e.fisher.len() != p || !e.anchor.iter().chain(&e.fisher).all(|v| v.is_finite()) {
                return Err(Error::Invalid {
                    name: "ewc",
                    message: format!(
                        "the anchor and Fisher need {p} finite values (the same network as the earlier task)"
                    ),
                });
            }
        }
        if self.loss == Loss::Xent && data.classes == 0 {
            return Err(Error::Invalid {
                name: "loss",
                message: "cross-entropy needs classes: this dataset is a regression, use mse".into(),
            });
        }
        self.architecture(data)?;
        Ok(())
    }

    /// The network for `data`: its inputs and outputs, the hidden widths and their activations.
    pub fn architecture(&self, data: &Dataset) -> Result<Architecture> {
        let mut arch = Architecture::new(data.inputs, self.hidden.clone(), data.outputs(self.loss), self.activation)?;
        if !self.layer_activations.is_empty() {
            arch.activations = self.layer_activations.clone();
            arch.validate()?;
        }
        Ok(arch)
    }
}
