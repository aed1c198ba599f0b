//! The page's entry: starts the UI (`regula-app`). A crate of its own so that the page build (Cargo.toml,
//! `profile.web`) can link the whole page with LTO at the numerics' optimisation level while the UI crates
//! are optimised for size: the link step's level is the binary's, and at a size level it would not
//! vectorise the core's loops.

#[cfg(target_arch = "wasm32")]
fn main() {
    regula_app::start();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("regula-web is the browser page: `cargo xtask serve` builds and serves it; the CLI is `regula`");
    std::process::exit(2);
}
