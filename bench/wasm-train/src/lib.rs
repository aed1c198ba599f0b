//! `train(dataset, hidden, batch, epochs, lr)`: trains with the core's CPU trainer (f64) inside wasm and
//! returns [updates, train loss, seconds in updates] — the wasm CPU path the page runs without WebGPU.

use regula_core::frame::{run_to_end, Budget};
use regula_core::train::{Activation, DatasetKind, DatasetSpec, Loss, Optimizer, TrainConfig, Trainer};
use wasm_bindgen::prelude::*;

fn poll<F: std::future::Future>(f: F) -> F::Output {
    let mut f = std::pin::pin!(f);
    match f.as_mut().poll(&mut std::task::Context::from_waker(std::task::Waker::noop())) {
        std::task::Poll::Ready(v) => v,
        std::task::Poll::Pending => unreachable!("the CPU trainer never waits"),
    }
}

#[wasm_bindgen]
pub fn train(dataset: &str, n: usize, hidden: &str, xent: bool, batch: usize, epochs: usize, lr: f64) -> Result<Vec<f64>, JsError> {
    let kind: DatasetKind = dataset.parse().map_err(|e: regula_core::Error| JsError::new(&e.to_string()))?;
    let data = DatasetSpec { kind, n, train_ratio: 1.0, ..DatasetSpec::default() }.build().map_err(|e| JsError::new(&e.to_string()))?;
    let hidden: Vec<usize> = hidden.split(',').filter(|s| !s.is_empty()).map(|s| s.trim().parse().unwrap_or(1)).collect();
    let config = TrainConfig {
        hidden,
        activation: Activation::Tanh,
        loss: if xent { Loss::Xent } else { Loss::Mse },
        optimizer: Optimizer::Sgd,
        lr,
        batch,
        epochs,
        ..TrainConfig::default()
    };
    let mut t = Trainer::new(data, config).map_err(|e| JsError::new(&e.to_string()))?;
    let f = poll(run_to_end(&mut t, Budget::iterations(u64::MAX), |_| {})).map_err(|e| JsError::new(&e.to_string()))?;
    Ok(vec![f.iteration as f64, f.metric("train_loss").unwrap_or(f64::NAN), f.metric("train_seconds").unwrap_or(f64::NAN)])
}
