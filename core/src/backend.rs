//! Backend selection: the GPU when a hardware adapter exists (or when asked for), the CPU otherwise — and
//! the reason, so the UI's banner, each lab's status line and `regula device` can say which one runs and why.
//! A software adapter (the GPU emulated on the CPU: SwiftShader, lavapipe) is opened but `auto` runs the
//! CPU path beside it, which is faster on the same cores; `gpu` still runs the kernels on it.

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

    /// The words a lab's placement line adds after "CPU, f64" to say why the CPU runs: nothing when the
    /// person chose it, "; no GPU" without an adapter, "; software GPU, the CPU is faster" beside a software
    /// adapter (see [`place`]).
    pub fn cpu_note(&self) -> &'static str {
        match self {
            Backend::Cpu { fallback: Some(reason) } if reason.starts_with(SOFTWARE) => {
                "; software GPU, the CPU is faster"
            }
            Backend::Cpu { fallback: Some(_) } => "; no GPU",
            _ => "",
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
            Backend::Cpu { fallback: Some(reason) } if reason.starts_with(SOFTWARE) => DeviceReport {
                backend: "cpu".into(),
                label: format!("CPU ({reason})"),
                adapter: None,
                fallback_reason: Some(reason.clone()),
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

/// How the reason for running on the CPU beside a software adapter begins ([`Backend::cpu_note`]).
const SOFTWARE: &str = "auto beside a software adapter";

/// The backend a run uses for the person's `choice` on `device` (what a front end opened: a GPU, or the
/// CPU with the reason there is none): the CPU when chosen; the GPU when there is one — for `auto`, a
/// hardware one: beside a software adapter `auto` runs the CPU path, which is faster on the same cores
/// (SwiftShader: edge-of-stability training ~35 steps/s against thousands); for `auto` without one, the
/// CPU with the device's reason; `gpu` runs on any adapter, and without one is an error that says why.
pub fn place(choice: BackendChoice, device: &Backend) -> Result<Backend> {
    match (choice, device) {
        (BackendChoice::Cpu, _) => Ok(Backend::Cpu { fallback: None }),
        (BackendChoice::Auto, Backend::Gpu(ctx)) if ctx.summary().is_software() => Ok(Backend::Cpu {
            fallback: Some(format!(
                "{SOFTWARE} ({}): the CPU path is faster here; backend gpu runs the kernels on it",
                ctx.summary().label()
            )),
        }),
        (_, Backend::Gpu(ctx)) => Ok(Backend::Gpu(ctx.clone())),
        (BackendChoice::Auto, cpu) => Ok(cpu.clone()),
        (BackendChoice::Gpu, Backend::Cpu { fallback }) => Err(crate::Error::NoAdapter(
            fallback.clone().unwrap_or_else(|| "the GPU was not opened (backend cpu)".into()),
        )),
    }
}

/// [`place`] for a lab whose `auto` keeps even a software adapter: the kernel check (it checks the device's
/// kernels, not a race the CPU could win).
pub fn place_on_any_adapter(choice: BackendChoice, device: &Backend) -> Result<Backend> {
    match (choice, device) {
        (BackendChoice::Auto, Backend::Gpu(ctx)) => Ok(Backend::Gpu(ctx.clone())),
        (choice, device) => place(choice, device),
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
        assert_eq!(Backend::Cpu { fallback: Some("no adapter".into()) }.cpu_note(), "; no GPU");
        assert_eq!(Backend::Cpu { fallback: None }.cpu_note(), "");
    }

    fn summary(name: &str, device_type: &str) -> AdapterSummary {
        AdapterSummary {
            name: name.into(),
            api: "Vulkan".into(),
            device_type: device_type.into(),
            driver: String::new(),
            driver_info: String::new(),
            limits: (&wgpu::Limits::default()).into(),
        }
    }

    #[test]
    fn software_adapters_are_told_apart_from_hardware() {
        assert!(summary("llvmpipe (LLVM 15.0.6, 256 bits)", "Cpu").is_software());
        assert!(summary("SwiftShader Device (Subzero)", "").is_software(), "WebGPU may hide the type");
        assert!(!summary("NVIDIA H100 80GB HBM3", "DiscreteGpu").is_software());
        assert!(!summary("", "").is_software(), "an unnamed browser adapter counts as hardware");
    }

    /// `auto` beside a software adapter runs the CPU and says why; `gpu` still runs on it. Needs an adapter
    /// (lavapipe here, which is software; on a hardware GPU `auto` must keep it).
    #[cfg(not(target_arch = "wasm32"))]
    #[test]
    fn auto_prefers_the_cpu_beside_a_software_adapter() {
        let device = pollster::block_on(Backend::acquire(BackendChoice::Gpu)).expect("an adapter (lavapipe in CI)");
        let software = device.gpu().unwrap().summary().is_software();
        let auto = place(BackendChoice::Auto, &device).unwrap();
        assert_eq!(auto.gpu().is_some(), !software);
        if software {
            assert_eq!(auto.cpu_note(), "; software GPU, the CPU is faster");
            let report = auto.report();
            assert!(report.label.starts_with("CPU (auto beside a software adapter (Vulkan · "), "{}", report.label);
            assert!(report.label.ends_with("backend gpu runs the kernels on it)"), "{}", report.label);
        }
        assert!(place(BackendChoice::Gpu, &device).unwrap().gpu().is_some());
        assert!(place(BackendChoice::Cpu, &device).unwrap().gpu().is_none());
        assert!(place_on_any_adapter(BackendChoice::Auto, &device).unwrap().gpu().is_some());
        assert!(place_on_any_adapter(BackendChoice::Cpu, &device).unwrap().gpu().is_none());
    }
}
