//! The training core compiled to wasm for Node, for the benchmarks in bench/ (`train_vs_tfjs.mjs`,
//! `train_vs_playground.mjs`) — the wasm CPU path the page runs without WebGPU (f64).

use regula_core::frame::{run_to_end, Budget, Stepper};
use regula_core::train::{Activation, DatasetKind, DatasetSpec, Loss, Optimizer, TrainConfig, Trainer};
use wasm_bindgen::prelude::*;

fn poll<F: std::future::Future>(f: F) -> F::Output {
    let mut f = std::pin::pin!(f);
    match f.as_mut().poll(&mut std::task::Context::from_waker(std::task::Waker::noop())) {
        std::task::Poll::Ready(v) => v,
        std::task::Poll::Pending => unreachable!("the CPU trainer never waits"),
    }
}

fn err(e: impl std::fmt::Display) -> JsError {
    JsError::new(&e.to_string())
}

fn data(dataset: &str, n: usize, seed: u64) -> Result<regula_core::train::Dataset, JsError> {
    let kind: DatasetKind = dataset.parse().map_err(|e: regula_core::Error| err(e))?;
    DatasetSpec { kind, n, train_ratio: 1.0, seed, ..DatasetSpec::default() }.build().map_err(err)
}

fn trainer(dataset: &str, n: usize, hidden: &str, xent: bool, batch: usize, epochs: usize, lr: f64, seed: u64) -> Result<Trainer, JsError> {
    let hidden: Vec<usize> = hidden.split(',').filter(|s| !s.is_empty()).map(|s| s.trim().parse().unwrap_or(1)).collect();
    let config = TrainConfig {
        hidden,
        activation: Activation::Tanh,
        loss: if xent { Loss::Xent } else { Loss::Mse },
        optimizer: Optimizer::Sgd,
        lr,
        batch,
        epochs,
        seed,
        ..TrainConfig::default()
    };
    Trainer::new(data(dataset, n, seed)?, config).map_err(err)
}

/// Trains to the end and returns [updates, train loss, seconds in updates].
#[wasm_bindgen]
pub fn train(dataset: &str, n: usize, hidden: &str, xent: bool, batch: usize, epochs: usize, lr: f64) -> Result<Vec<f64>, JsError> {
    let mut t = trainer(dataset, n, hidden, xent, batch, epochs, lr, 0)?;
    let f = poll(run_to_end(&mut t, Budget::iterations(u64::MAX), |_| {})).map_err(err)?;
    Ok(vec![f.iteration as f64, f.metric("train_loss").unwrap_or(f64::NAN), f.metric("train_seconds").unwrap_or(f64::NAN)])
}

/// A 2-D dataset's training rows as [x, y, target] triples (targets ±1, as the ½·MSE loss sees them), for a
/// peer that trains on the same points.
#[wasm_bindgen]
pub fn points(dataset: &str, n: usize, seed: u64) -> Result<Vec<f64>, JsError> {
    let d = data(dataset, n, seed)?;
    let y = d.targets(Loss::Mse);
    Ok(d.train.iter().flat_map(|&r| [d.x[r * d.inputs], d.x[r * d.inputs + 1], y[r]]).collect())
}

/// Whole epochs as the page runs them: the stepper's frames (one per epoch: training loss and accuracy, the
/// metrics the page shows) with no Hessian at the end (Playground has none). Returns [updates, frames,
/// train loss, seconds in updates].
#[wasm_bindgen]
pub fn epochs(dataset: &str, n: usize, hidden: &str, batch: usize, epochs: usize, lr: f64, seed: u64) -> Result<Vec<f64>, JsError> {
    let mut t = trainer(dataset, n, hidden, false, batch, epochs, lr, seed)?.without_final_hessian();
    let mut frames = 0;
    let f = loop {
        let f = poll(t.step(Budget::iterations(u64::MAX))).map_err(err)?;
        frames += 1;
        if f.done {
            break f;
        }
    };
    Ok(vec![f.iteration as f64, frames as f64, f.metric("train_loss").unwrap_or(f64::NAN), f.metric("train_seconds").unwrap_or(f64::NAN)])
}

/// The initial weights the trainer draws for a 2-input, 1-output tanh net with `hidden` layers (θ: per layer
/// W out × in row-major, then b), for a peer that starts from the same point.
#[wasm_bindgen]
pub fn init(hidden: &str, seed: u64) -> Result<Vec<f64>, JsError> {
    let hidden: Vec<usize> = hidden.split(',').filter(|s| !s.is_empty()).map(|s| s.trim().parse().unwrap_or(1)).collect();
    Ok(regula_core::train::Architecture::new(2, hidden, 1, Activation::Tanh).map_err(err)?.init(seed))
}

/// What a frame costs (ms), for a `hidden` net on the circle set at its initial weights, over `reps` frames:
/// [the training-loss pass alone (a forward pass over every training row, which Playground's loop also
/// makes each epoch), the whole frame].
#[wasm_bindgen]
pub fn frame_parts(n: usize, hidden: &str, reps: usize) -> Result<Vec<f64>, JsError> {
    use regula_core::train::mlp::{loss_grad_in, Batch, Workspace};
    let mut t = trainer("circle", n, hidden, false, 10, 1, 0.03, 1)?.without_final_hessian();
    let (d, arch, theta) = (t.data().clone(), t.architecture().clone(), t.params().to_vec());
    let y = d.targets(Loss::Mse);
    let mut ws = Workspace::default();
    let batch = Batch { x: &d.x, y: &y, class: &d.class, rows: &d.train };
    let start = web_time::Instant::now();
    let mut sink = 0.0;
    for _ in 0..reps {
        sink += loss_grad_in(&mut ws, &arch, &theta, Loss::Mse, batch, None, None);
    }
    let pass = start.elapsed().as_secs_f64() * 1e3 / reps as f64;
    let start = web_time::Instant::now();
    for _ in 0..reps {
        sink += t.frame_after(web_time::Instant::now(), f64::INFINITY).iteration as f64;
    }
    let frame = start.elapsed().as_secs_f64() * 1e3 / reps as f64;
    Ok(vec![pass, frame, sink])
}
