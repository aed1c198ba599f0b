//! Drives steppers from the page: one `step` per animation frame within a time budget, so the main thread
//! is never blocked; pause keeps the last frames; reset drops the state. A runner holds one stepper, or
//! several advanced side by side (a lab's "compare" mode); each has its own list of frames.

use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use leptos::prelude::*;
use leptos::task::spawn_local;
use regula_core::{Budget, Error, Frame, Stepper};

/// Milliseconds of work per animation frame: leaves the browser time to paint at 60 Hz.
pub const FRAME_BUDGET_MS: f64 = 12.0;

/// Builds the steppers of a run from the page's current parameters.
pub type Factory<S> = Rc<dyn Fn() -> Pin<Box<dyn Future<Output = Result<Vec<S>, Error>>>>>;

/// Resolves on the browser's next animation frame.
pub async fn next_animation_frame() {
    let (tx, rx) = futures_channel::oneshot::channel();
    request_animation_frame(move || {
        let _ = tx.send(());
    });
    let _ = rx.await;
}

pub struct Runner<S: 'static> {
    /// Frames per stepper, in order.
    pub frames: RwSignal<Vec<Vec<Frame>>>,
    pub running: RwSignal<bool>,
    pub error: RwSignal<Option<String>>,
    steppers: StoredValue<Option<Vec<S>>, LocalStorage>,
    factory: StoredValue<Factory<S>, LocalStorage>,
    /// Bumped by reset: a step that finishes under an old generation is thrown away.
    generation: StoredValue<u64>,
    busy: StoredValue<bool>,
    /// Steps taken (one per animation frame while running): the cadence of the heavy redraws.
    ticks: StoredValue<u64>,
}

impl<S: 'static> Clone for Runner<S> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<S: 'static> Copy for Runner<S> {}

impl<S: Stepper + 'static> Runner<S> {
    pub fn new(factory: Factory<S>) -> Self {
        Self {
            frames: RwSignal::new(Vec::new()),
            running: RwSignal::new(false),
            error: RwSignal::new(None),
            steppers: StoredValue::new_local(None),
            factory: StoredValue::new_local(factory),
            generation: StoredValue::new(0),
            busy: StoredValue::new(false),
            ticks: StoredValue::new(0),
        }
    }

    /// Reads the steppers (e.g. to draw a plan) when no step is in flight.
    pub fn with_steppers<T>(&self, f: impl FnOnce(&[S]) -> T) -> Option<T> {
        self.steppers.try_with_value(|s| s.as_deref().map(f)).flatten()
    }

    /// Changes live steppers in place (e.g. a new stopping rule) and lets finished ones run again.
    /// Returns false — and changes nothing — when there is no run yet or a step is in flight; the caller
    /// then falls back to a reset.
    pub fn update_live(&self, f: impl Fn(&mut S) -> Result<(), Error>) -> Result<bool, Error> {
        if self.busy.get_value() {
            return Ok(false);
        }
        let updated = self.steppers.try_update_value(|s| s.as_mut().map(|runs| runs.iter_mut().try_for_each(&f)));
        match updated.flatten() {
            None => Ok(false),
            Some(result) => {
                result?;
                self.frames.update(|fs| {
                    for last in fs.iter_mut().filter_map(|f| f.last_mut()) {
                        last.done = false;
                        last.stop = None;
                    }
                });
                Ok(true)
            }
        }
    }

    /// False once the page that owns this runner is gone (its signals disposed): a step or run loop that
    /// was awaiting then stops quietly instead of touching them (which would panic and kill the app).
    pub fn alive(self) -> bool {
        self.generation.try_get_value().is_some()
    }

    /// One `step` of every unfinished stepper (created on first use).
    async fn advance(self, budget: Budget) -> bool {
        if self.busy.get_value() {
            return false;
        }
        self.busy.set_value(true);
        let generation = self.generation.get_value();
        let mut steppers = match self.steppers.try_update_value(|s| s.take()).flatten() {
            Some(s) => s,
            None => {
                let make = self.factory.get_value();
                let made = make().await;
                if !self.alive() {
                    return false;
                }
                match made {
                    Ok(s) => s,
                    Err(e) => return self.fail(e.to_string()),
                }
            }
        };
        let share = Budget {
            max_iterations: budget.max_iterations,
            max_millis: budget.max_millis / steppers.len().max(1) as f64,
        };
        let mut new_frames = Vec::with_capacity(steppers.len());
        let mut failure = None;
        for (k, s) in steppers.iter_mut().enumerate() {
            let finished = self.frames.with_untracked(|fs| fs.get(k).and_then(|f| f.last()).is_some_and(|f| f.done));
            if finished {
                new_frames.push(Vec::new());
                continue;
            }
            let stepped = s.step(share).await;
            if !self.alive() {
                return false;
            }
            match stepped {
                Ok(frame) => {
                    // A stepper may have finished several frames in this budget (the trainer: one per epoch).
                    let mut all = s.take_earlier_frames();
                    all.push(frame);
                    new_frames.push(all);
                }
                Err(e) => {
                    failure = Some(e.to_string());
                    break;
                }
            }
        }
        self.busy.set_value(false);
        if self.generation.get_value() != generation {
            return false; // reset while stepping: discard
        }
        self.steppers.set_value(Some(steppers));
        self.ticks.update_value(|t| *t += 1);
        self.frames.update(|fs| {
            fs.resize_with(new_frames.len().max(fs.len()), Vec::new);
            for (k, f) in new_frames.into_iter().enumerate() {
                fs[k].extend(f);
            }
        });
        match failure {
            Some(message) => self.fail(message),
            None => true,
        }
    }

    fn fail(self, message: String) -> bool {
        self.busy.set_value(false);
        self.error.set(Some(message));
        self.running.set(false);
        false
    }

    /// Steps taken so far (not tracked: read it inside something that tracks `frames`).
    pub fn ticks(self) -> u64 {
        self.ticks.try_get_value().unwrap_or(0)
    }

    /// "done", "running" or "paused", for a status line.
    pub fn state(self) -> &'static str {
        if self.done() {
            "done"
        } else if self.running.get() {
            "running"
        } else {
            "paused"
        }
    }

    /// True when every stepper has reported `done`.
    pub fn done(self) -> bool {
        self.frames.with_untracked(|fs| !fs.is_empty() && fs.iter().all(|f| f.last().is_some_and(|f| f.done)))
    }

    pub fn run(self) {
        if self.running.get_untracked() || self.done() {
            return;
        }
        self.error.set(None);
        self.running.set(true);
        let generation = self.generation.get_value();
        spawn_local(async move {
            while self.alive() && self.running.get_untracked() && self.generation.get_value() == generation {
                self.advance(Budget::millis(FRAME_BUDGET_MS)).await;
                if !self.alive() {
                    break;
                }
                if self.done() || self.error.get_untracked().is_some() {
                    self.running.set(false);
                    break;
                }
                next_animation_frame().await;
            }
        });
    }

    pub fn pause(self) {
        self.running.set(false);
    }

    pub fn step_once(self) {
        if self.running.get_untracked() || self.done() {
            return;
        }
        self.error.set(None);
        spawn_local(async move {
            self.advance(Budget::iterations(1)).await;
        });
    }

    pub fn reset(self) {
        self.generation.update_value(|g| *g += 1);
        self.running.set(false);
        self.busy.set_value(false);
        self.steppers.set_value(None);
        self.frames.set(Vec::new());
        self.error.set(None);
    }
}

/// The run/pause/step/reset buttons (ids `run`, `pause`, `step`, `reset`: the keyboard shortcuts click them).
#[component]
pub fn RunControls<S: Stepper + 'static>(runner: Runner<S>, #[prop(into)] invalid: Signal<bool>) -> impl IntoView {
    view! {
        <div class="controls" role="group" aria-label="Run controls">
            <button id="run" on:click=move |_| runner.run() disabled=move || invalid.get() || runner.running.get()>"Run"</button>
            <button id="pause" on:click=move |_| runner.pause() disabled=move || !runner.running.get()>"Pause"</button>
            <button id="step" on:click=move |_| runner.step_once() disabled=move || invalid.get() || runner.running.get()>"Step"</button>
            <button id="reset" on:click=move |_| runner.reset()>"Reset"</button>
        </div>
    }
}
