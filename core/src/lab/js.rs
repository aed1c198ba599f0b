//! The JavaScript API — the third front end, from the same lab definitions as the page and the CLI. In the
//! served page the module's exports are `window.wasmBindings` (Trunk's loader puts them there):
//!
//! ```js
//! const regula = window.wasmBindings;
//! const run = await regula.run('ot', { problem: { kind: 'moons', n: 300, m: 300 }, method: 'sns' });
//! let frames;
//! do { frames = await run.step(50); } while (!frames.every((f) => f.done));
//! console.log(frames[0].metrics.marginal_error, run.line);
//! ```
//!
//! Parameters are a plain object over the lab's defaults (its serde form: `solver.eps` is
//! `{ solver: { eps } }`); frames come back as plain objects (`iteration`, `metrics`, `done`, …). Bad
//! parameters throw an `Error` with the same message the page and the CLI show.

use std::cell::RefCell;
use std::rc::Rc;

use serde::Serialize;
use wasm_bindgen::prelude::*;

use super::catalog::{self, AnyLab};
use super::run::DynStepper;
use crate::backend::{Backend, BackendChoice};
use crate::error::Error;
use crate::frame::Budget;

fn to_js<T: Serialize + ?Sized>(value: &T) -> Result<JsValue, JsError> {
    value.serialize(&serde_wasm_bindgen::Serializer::json_compatible()).map_err(|e| JsError::new(&e.to_string()))
}

fn js_error(e: Error) -> JsError {
    JsError::new(&e.to_string())
}

fn find(lab: &str) -> Result<&'static dyn AnyLab, JsError> {
    catalog::find(lab).ok_or_else(|| {
        let names: Vec<String> = catalog::ALL.iter().map(|l| l.def().name()).collect();
        JsError::new(&format!("`{lab}` is not a lab: choose one of {}", names.join(", ")))
    })
}

/// Every lab: `{ name, page, tab, command, title, defaults, fields: [{ path, flag, label, help, unit }] }`.
#[wasm_bindgen]
pub fn labs() -> Result<JsValue, JsError> {
    #[derive(Serialize)]
    struct FieldInfo {
        path: &'static str,
        flag: String,
        label: &'static str,
        help: &'static str,
        unit: &'static str,
    }
    #[derive(Serialize)]
    struct LabInfo {
        name: String,
        page: &'static str,
        tab: Option<&'static str>,
        command: &'static str,
        title: &'static str,
        defaults: serde_json::Value,
        fields: Vec<FieldInfo>,
    }
    let all: Vec<LabInfo> = catalog::ALL
        .iter()
        .map(|l| {
            let d = l.def();
            LabInfo {
                name: d.name(),
                page: d.page,
                tab: d.tab,
                command: d.command,
                title: d.title,
                defaults: l.defaults(),
                fields: d
                    .fields
                    .iter()
                    .map(|f| FieldInfo {
                        path: f.path,
                        flag: f.flag().into_owned(),
                        label: f.label,
                        help: f.help,
                        unit: f.unit,
                    })
                    .collect(),
            }
        })
        .collect();
    to_js(&all)
}

thread_local! {
    /// The device the API opened, kept for later runs (WebGPU objects live on this thread).
    static DEVICE: RefCell<Option<Backend>> = const { RefCell::new(None) };
}

/// The GPU when one opens (once per page; again after a loss), else the CPU with the reason.
async fn device() -> Backend {
    let kept = DEVICE.with(|d| d.borrow().clone()).filter(|b| b.gpu().is_none_or(|ctx| ctx.lost_reason().is_none()));
    if let Some(b) = kept {
        return b;
    }
    let b =
        Backend::acquire(BackendChoice::Auto).await.unwrap_or_else(|e| Backend::Cpu { fallback: Some(e.to_string()) });
    DEVICE.with(|d| *d.borrow_mut() = Some(b.clone()));
    b
}

/// A run's steppers, taken out while a step is in flight (so a second step cannot interleave).
type Held = Rc<RefCell<Option<Vec<Box<dyn DynStepper>>>>>;

/// A running lab: its steppers, advanced by [`LabRun::step`].
#[wasm_bindgen]
pub struct LabRun {
    steppers: Held,
    line: String,
    params: serde_json::Value,
}

/// Starts lab `lab` (`ot`, `training`, `generalization/pskd`; see [`labs`]) with `params` (a plain object
/// over its defaults; `undefined` for the defaults). Where it runs follows the lab's `backend` field, as on
/// the page and the CLI.
#[wasm_bindgen]
pub async fn run(lab: String, params: JsValue) -> Result<LabRun, JsError> {
    let l = find(&lab)?;
    let partial: serde_json::Value = if params.is_undefined() || params.is_null() {
        serde_json::Value::Object(Default::default())
    } else {
        serde_wasm_bindgen::from_value(params)
            .map_err(|e| JsError::new(&format!("the parameters are not a plain object of values: {e}")))?
    };
    let params = l.parse_json(&partial).map_err(js_error)?;
    let wants_cpu = params.get("backend").and_then(|b| b.as_str()) == Some(BackendChoice::Cpu.name());
    let device = if wants_cpu { Backend::Cpu { fallback: None } } else { device().await };
    let steppers = l.start(&params, &device).await.map_err(js_error)?;
    let line = l.line(&params).map_err(js_error)?;
    Ok(LabRun { steppers: Rc::new(RefCell::new(Some(steppers))), line, params })
}

#[wasm_bindgen]
impl LabRun {
    /// Advances every unfinished stepper by at most `budget_ms` milliseconds (at least one iteration each)
    /// and resolves to their frames, one per stepper.
    pub fn step(&self, budget_ms: f64) -> js_sys::Promise {
        let steppers = self.steppers.clone();
        wasm_bindgen_futures::future_to_promise(async move {
            let held: Option<Vec<Box<dyn DynStepper>>> = RefCell::borrow_mut(&steppers).take();
            let Some(mut taken) = held else {
                return Err(JsError::new("a step is already in flight: await it first").into());
            };
            let mut frames = Vec::with_capacity(taken.len());
            let share = Budget::millis(budget_ms.max(0.0) / taken.len().max(1) as f64);
            let mut failed = None;
            for s in taken.iter_mut() {
                match s.step_dyn(share).await {
                    Ok(f) => {
                        // The API reports each stepper's latest frame; the ones it finished before are dropped.
                        s.take_earlier_frames_dyn();
                        frames.push(f);
                    }
                    Err(e) => {
                        failed = Some(e);
                        break;
                    }
                }
            }
            *RefCell::borrow_mut(&steppers) = Some(taken);
            match failed {
                Some(e) => Err(js_error(e).into()),
                None => Ok(to_js(&frames)?),
            }
        })
    }

    /// The `regula …` line that runs these parameters headless.
    #[wasm_bindgen(getter)]
    pub fn line(&self) -> String {
        self.line.clone()
    }

    /// The parameters the run started from (the defaults with what was given), as a plain object.
    #[wasm_bindgen(getter)]
    pub fn params(&self) -> Result<JsValue, JsError> {
        to_js(&self.params)
    }
}
