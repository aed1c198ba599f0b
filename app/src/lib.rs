//! Regula's browser UI: a Leptos (CSR) shell around the core's steppers. Pages read frames; they never
//! reach into solver state. See ARCHITECTURE.md.
#![cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]

// The page's pure helpers build on every target, so `cargo test` runs their unit tests natively; all that
// touches the browser (Leptos, the DOM, WebGPU) builds for wasm32 only.
mod layers;
mod preview;

#[cfg(target_arch = "wasm32")]
mod app;
#[cfg(target_arch = "wasm32")]
mod chart;
#[cfg(target_arch = "wasm32")]
mod device;
#[cfg(target_arch = "wasm32")]
mod form;
#[cfg(target_arch = "wasm32")]
mod generalization;
#[cfg(target_arch = "wasm32")]
mod home;
#[cfg(target_arch = "wasm32")]
mod kernels;
#[cfg(target_arch = "wasm32")]
mod kit;
#[cfg(target_arch = "wasm32")]
mod link;
#[cfg(target_arch = "wasm32")]
mod math;
#[cfg(target_arch = "wasm32")]
mod ot;
#[cfg(target_arch = "wasm32")]
mod runner;
#[cfg(target_arch = "wasm32")]
mod sketch;
#[cfg(target_arch = "wasm32")]
mod solvers;
#[cfg(target_arch = "wasm32")]
mod sweep;
#[cfg(target_arch = "wasm32")]
mod train;

/// Mounts the page on `<body>` (the page's binary, `web/`, calls it).
#[cfg(target_arch = "wasm32")]
pub fn start() {
    // Panics should not happen (every core entry returns Result); if one does, say where in the console.
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::App);
}
