//! Dense sketches drawn on the GPU (WGSL Philox on lavapipe) against the CPU twin.
#![cfg(not(target_arch = "wasm32"))]

#[path = "common/sketch.rs"]
mod sketch_common;

use regula_core::gpu::GpuContext;
use regula_core::sketch::gpu::apply_dense;
use regula_core::sketch::operators::{Sketch, SketchKind};
use regula_core::Error;

#[test]
fn gpu_draws_the_same_dense_sketch_as_the_cpu() {
    let ctx = pollster::block_on(GpuContext::new()).expect("no GPU adapter: install mesa-vulkan-drivers (lavapipe)");
    for kind in [SketchKind::Gaussian, SketchKind::Rademacher] {
        // n not a multiple of 256, d not a multiple of 8, one-row sketch.
        for (m, n, d, seed) in [(7, 300, 5, 1), (1, 1, 1, 2), (33, 513, 17, u64::MAX - 3)] {
            pollster::block_on(sketch_common::check(&ctx, kind, m, n, d, seed));
        }
    }
    let sparse = Sketch::new(SketchKind::CountSketch, 2, 4, 1, 0).unwrap();
    let err = pollster::block_on(apply_dense(&ctx, &sparse, &[0.0; 4], 1)).unwrap_err();
    assert!(matches!(err, Error::Invalid { name: "sketch", .. }), "{err}");
}
