//! Backend selection: the GPU when an adapter exists (or when asked for), the CPU otherwise — and the
//! reason, so the UI's banner and `regula device` can say which one runs and why.

use std::rc::Rc;

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::gpu::{AdapterSummary, GpuContext};

crate::choice! {
    /// What the person asked for (`--backend`, the UI switch).
    #[derive(Default)]
    pub enum BackendChoice("backend") {
        /// GPU if an adapter opens, else CPU (saying why).
        #[default]
        Auto => "auto",
        Cpu => "cpu",
        Gpu => "gpu",
    }
}

/// The backend a run uses.
#[derive(Clone)]
pub enum Backend {
    /// f64 on the CPU; `fallback` says why the GPU is not used when the person did not choose the CPU.
    Cpu {
        fallback: Option<String>,
    },
    Gpu(Rc<GpuContext>),
}

/// A serialisable description of the backend in use (`regula device --json`, the UI banner).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeviceReport {
    /// "gpu" or "cpu".
    pub backend: String,
    /// One line for a banner: "WebGPU · SwiftShader Device", "CPU fallback: …", "CPU (chosen)".
    pub label: String,
    pub adapter: Option<AdapterSummary>,
    pub fallback_reason: Option<String>,
}

impl Backend {
    /// Opens the backend `choice` asks for. `Gpu` fails when no adapter opens; `Auto` falls back.
    pub async fn acquire(choice: BackendChoice) -> Result<Backend> {
        match choice {
            BackendChoice::Cpu => Ok(Backend::Cpu { fallback: None }),
            BackendChoice::Gpu => Ok(Backend::Gpu(GpuContext::new().await?)),
            BackendChoice::Auto => Ok(match GpuContext::new().await {
                Ok(ctx) => Backend::Gpu(ctx),
                Err(e) => Backend::Cpu { fallback: Some(e.to_string()) },
            }),
        }
    }

    pub fn gpu(&self) -> Option<&Rc<GpuContext>> {
        match self {
            Backend::Gpu(ctx) => Some(ctx),
            Backend::Cpu { .. } => None,
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            Backend::Gpu(_) => "gpu",
            Backend::Cpu { .. } => "cpu",
        }
    }

    pub fn report(&self) -> DeviceReport {
        match self {
            Backend::Gpu(ctx) => DeviceReport {
                backend: "gpu".into(),
                label: ctx.summary().label(),
                adapter: Some(ctx.summary().clone()),
                fallback_reason: None,
            },
            Backend::Cpu { fallback: Some(reason) } => DeviceReport {
                backend: "cpu".into(),
                label: format!("CPU fallback: GPU unavailable ({reason})"),
                adapter: None,
                fallback_reason: Some(reason.clone()),
            },
            Backend::Cpu { fallback: None } => DeviceReport {
                backend: "cpu".into(),
                label: "CPU (chosen)".into(),
                adapter: None,
                fallback_reason: None,
            },
        }
    }
}

/// The backend a run uses for the person's `choice` on `device` (what a front end opened: a GPU, or the
/// CPU with the reason there is none): the CPU when chosen; the GPU when there is one; for `auto` without
/// one, the CPU with the device's reason; `gpu` without one is an error that says why.
pub fn place(choice: BackendChoice, device: &Backend) -> Result<Backend> {
    match (choice, device) {
        (BackendChoice::Cpu, _) => Ok(Backend::Cpu { fallback: None }),
        (_, Backend::Gpu(ctx)) => Ok(Backend::Gpu(ctx.clone())),
        (BackendChoice::Auto, cpu) => Ok(cpu.clone()),
        (BackendChoice::Gpu, Backend::Cpu { fallback }) => Err(crate::Error::NoAdapter(
            fallback.clone().unwrap_or_else(|| "the GPU was not opened (backend cpu)".into()),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn choices_parse_and_reject_garbage() {
        assert_eq!("gpu".parse::<BackendChoice>().unwrap(), BackendChoice::Gpu);
        assert_eq!("cpu".parse::<BackendChoice>().unwrap(), BackendChoice::Cpu);
        assert_eq!("auto".parse::<BackendChoice>().unwrap(), BackendChoice::Auto);
        let e = "tpu".parse::<BackendChoice>().unwrap_err();
        assert!(e.to_string().contains("auto, cpu, gpu"));
    }

    #[test]
    fn cpu_reports_say_why() {
        let r = Backend::Cpu { fallback: Some("no adapter".into()) }.report();
        assert_eq!(r.backend, "cpu");
        assert!(r.label.starts_with("CPU fallback"), "{}", r.label);
        assert_eq!(Backend::Cpu { fallback: None }.report().label, "CPU (chosen)");
    }
}
