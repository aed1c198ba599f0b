//! Regula's browser UI: a Leptos (CSR) shell around the core's steppers. Pages read frames; they never
//! reach into solver state. See ARCHITECTURE.md.

mod app;
mod chart;
mod device;
mod form;
mod generalization;
mod kernels;
mod kit;
mod link;
mod math;
mod ot;
mod runner;
mod sketch;
mod train;

fn main() {
    // Panics should not happen (every core entry returns Result); if one does, say where in the console.
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::App);
}
