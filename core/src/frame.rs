//! The stepper contract every solver follows.
//!
//! A solver never runs to the end by itself: `step(budget)` advances at most the budget's iterations or
//! milliseconds and returns one [`Frame`]. The browser calls it once per animation frame, so the main
//! thread is never blocked for long; the CLI calls it in a loop and prints progress. UI and CLI read only
//! frames, never solver state.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::Result;

/// How much work one `step` call may do. Whichever bound is hit first ends the step (at least one
/// iteration always runs, so a step makes progress even under a tiny time budget).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Budget {
    pub max_iterations: u64,
    pub max_millis: f64,
}

impl Budget {
    /// At most `n` iterations, no time bound.
    pub fn iterations(n: u64) -> Self {
        Self { max_iterations: n.max(1), max_millis: f64::INFINITY }
    }

    /// As many iterations as fit in `ms` milliseconds (the UI uses ~12 ms per animation frame).
    pub fn millis(ms: f64) -> Self {
        Self { max_iterations: u64::MAX, max_millis: ms }
    }
}

/// Why a run stopped. `None` in a frame means it has not stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    /// The requested number of iterations/trials ran.
    Completed,
    /// The convergence metric reached the tolerance.
    Tolerance,
    /// The iteration cap was reached before the tolerance.
    MaxIterations,
    /// The iterates diverged (a metric became non-finite or grew without bound).
    Divergence,
    /// The metric stopped improving above the tolerance: the arithmetic's precision floor (f32 on the
    /// GPU is ~1e-6 relative) — polish on the CPU in f64, or loosen the tolerance.
    Stalled,
}

/// What one step reports: the only thing the UI and CLI read from a running solver.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Frame {
    /// Iterations (or trials) completed since the run started.
    pub iteration: u64,
    /// Named metrics of the latest iteration, e.g. `max_abs_diff`, `gpu_ms`.
    pub metrics: BTreeMap<String, f64>,
    /// Wall time spent inside `step` since the run started, in milliseconds.
    pub elapsed_ms: f64,
    /// True once the run has stopped; further steps return the same frame.
    pub done: bool,
    /// True when the run's own criterion of success holds (tolerance met, twins agree, ...).
    pub converged: bool,
    /// Why the run stopped, once `done`.
    pub stop: Option<StopReason>,
    /// The solver's phase for multi-phase methods ("sinkhorn" / "newton" for SNS), else `None`.
    pub phase: Option<String>,
}

impl Frame {
    /// A metric by name, if the frame has it.
    pub fn metric(&self, name: &str) -> Option<f64> {
        self.metrics.get(name).copied()
    }
}

/// A solver that advances a bounded amount of work per call. See the module docs.
#[allow(async_fn_in_trait)] // used by concrete types on one thread; no `Send` bound wanted on wasm
pub trait Stepper {
    /// Advance by at most `budget` and report where the run stands.
    async fn step(&mut self, budget: Budget) -> Result<Frame>;

    /// The frames the last `step` completed before the one it returned, oldest first, handed over once. A
    /// stepper that finishes several frames within one time budget (the trainer: a frame per epoch, many
    /// epochs per animation frame) keeps them here so that every point reaches the charts; most have none.
    fn take_earlier_frames(&mut self) -> Vec<Frame> {
        Vec::new()
    }
}

/// Runs a stepper until its frame says `done`, calling `on_frame` after every step (the CLI's loop).
/// Completes a future that must not wait on anything (a CPU stepper's step): polls it once and panics if
/// it is pending. For unit tests, without an executor.
#[cfg(test)]
pub(crate) fn poll_ready<F: std::future::Future>(f: F) -> F::Output {
    let mut f = std::pin::pin!(f);
    match f.as_mut().poll(&mut std::task::Context::from_waker(std::task::Waker::noop())) {
        std::task::Poll::Ready(v) => v,
        std::task::Poll::Pending => panic!("a CPU step awaited something"),
    }
}

pub async fn run_to_end<S: Stepper>(
    stepper: &mut S,
    budget: Budget,
    mut on_frame: impl FnMut(&Frame),
) -> Result<Frame> {
    loop {
        let frame = stepper.step(budget).await?;
        stepper.take_earlier_frames().iter().for_each(&mut on_frame);
        on_frame(&frame);
        if frame.done {
            return Ok(frame);
        }
    }
}
