//! Starting any lab from its parameters: [`Runnable`] is a lab's own start (where its run goes is decided
//! inside, by the lab's placement rule), and [`DynStepper`] lets front ends that pick the lab at run time
//! (the JavaScript API, the tests over every lab) hold its steppers without knowing their types.

use std::future::Future;
use std::pin::Pin;

use super::Lab;
use crate::backend::Backend;
use crate::error::Result;
use crate::frame::{Budget, Frame, Stepper};

/// A boxed, not-`Send` future (steppers live on one thread, as WebGPU objects do in a browser).
pub type LocalFuture<'a, T> = Pin<Box<dyn Future<Output = T> + 'a>>;

/// A stepper behind a box.
pub trait DynStepper {
    fn step_dyn(&mut self, budget: Budget) -> LocalFuture<'_, Result<Frame>>;
    /// [`Stepper::take_earlier_frames`].
    fn take_earlier_frames_dyn(&mut self) -> Vec<Frame>;
}

impl<S: Stepper> DynStepper for S {
    fn step_dyn(&mut self, budget: Budget) -> LocalFuture<'_, Result<Frame>> {
        Box::pin(self.step(budget))
    }

    fn take_earlier_frames_dyn(&mut self) -> Vec<Frame> {
        self.take_earlier_frames()
    }
}

/// A lab that starts from its parameters alone (generated data) on `device` — what the front ends have
/// open: a GPU, or the CPU with the reason there is none. A run may hold several steppers (OT's compare).
pub trait Runnable: Lab {
    type Run: Stepper + 'static;
    fn start<'a>(&'a self, device: &'a Backend) -> LocalFuture<'a, Result<Vec<Self::Run>>>;
}
