//! The device the page opened, shared by every lab: the GPU probed once at start-up (or the reason there is
//! none), and the banner's report.

use std::rc::Rc;

use leptos::prelude::*;
use regula_core::gpu::GpuContext;
use regula_core::{Backend, BackendChoice, DeviceReport};

/// The GPU probed once at start-up, shared by every page (WebGPU objects live on the main thread only,
/// hence local storage). `None` inside means no adapter: pages run on the CPU and say so.
#[derive(Clone, Copy)]
pub struct Device {
    pub gpu: StoredValue<Option<Rc<GpuContext>>, LocalStorage>,
    /// Banner text and details; `None` while probing.
    pub report: RwSignal<Option<DeviceReport>>,
}

impl Device {
    /// The backend a page should run on for the person's choice; the CPU (with the reason) when the GPU is
    /// asked for but absent. A device that was lost is dropped here: the banner says so and every run
    /// built from now on (after Reset) runs on the CPU.
    /// What the page has open: the GPU, or the CPU with the reason there is none (core places each run
    /// from this and the lab's backend choice).
    pub fn open(&self) -> Backend {
        self.backend(BackendChoice::Auto)
    }

    pub fn backend(&self, choice: BackendChoice) -> Backend {
        if let Some(reason) = self.gpu.get_value().and_then(|ctx| ctx.lost_reason()) {
            self.gpu.set_value(None);
            let fallback = format!("the GPU device was lost: {reason}");
            self.report.set(Some(Backend::Cpu { fallback: Some(fallback) }.report()));
        }
        match (choice, self.gpu.get_value()) {
            (BackendChoice::Cpu, _) => Backend::Cpu { fallback: None },
            (_, Some(ctx)) => Backend::Gpu(ctx),
            (_, None) => Backend::Cpu { fallback: self.report.get_untracked().and_then(|r| r.fallback_reason) },
        }
    }
}
