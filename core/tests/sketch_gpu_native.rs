//! Every sketch applied on the GPU (WGSL on lavapipe) against the CPU twin.
#![cfg(not(target_arch = "wasm32"))]

#[path = "common/sketch.rs"]
mod sketch_common;

use regula_core::gpu::GpuContext;
use regula_core::sketch::gpu::apply_slice;
use regula_core::sketch::operators::{Sketch, SketchKind};
use regula_core::Error;

#[test]
fn gpu_draws_the_same_sketches_as_the_cpu() {
    let ctx = pollster::block_on(GpuContext::new()).expect("no GPU adapter: install mesa-vulkan-drivers (lavapipe)");
    for kind in SketchKind::ALL {
        // n not a multiple of 256 (SRHT: padded, two transform passes at n′ = 1024), d not a multiple of 8,
        // a one-row sketch of a one-row matrix.
        for (m, n, d, seed) in [(7, 300, 5, 1), (1, 1, 1, 2), (33, 513, 17, u64::MAX - 3)] {
            pollster::block_on(sketch_common::check(&ctx, kind, m, n, d, seed));
        }
    }
}

#[test]
fn large_fast_sketches_match_the_cpu() {
    let ctx = pollster::block_on(GpuContext::new()).expect("no GPU adapter");
    // n′ = 2¹⁷: three transform passes (8 + 8 + 1 stages), a grid of more than 65,535 workgroups in the
    // sign pass; CountSketch rows with many nonzeros each.
    for kind in [SketchKind::Srht, SketchKind::CountSketch, SketchKind::Osnap] {
        let sketch = Sketch::new(kind, 96, 70_000, 4, 7).unwrap();
        pollster::block_on(sketch_common::check_apply(&ctx, &sketch, 3));
    }
}

#[test]
fn mismatched_shapes_and_non_finite_input_are_typed_errors() {
    let ctx = pollster::block_on(GpuContext::new()).expect("no GPU adapter");
    let sketch = Sketch::new(SketchKind::CountSketch, 2, 4, 1, 0).unwrap();
    let err = pollster::block_on(apply_slice(&ctx, &sketch, &[0.0; 6], 2)).unwrap_err();
    assert!(matches!(err, Error::ShapeMismatch { .. }), "{err}");
    let err = pollster::block_on(apply_slice(&ctx, &sketch, &[0.0, 1.0, f32::NAN, 0.0], 1)).unwrap_err();
    assert!(matches!(err, Error::NonFinite { .. }), "{err}");
}
