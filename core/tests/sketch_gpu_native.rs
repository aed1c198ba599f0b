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
        // n not a multiple of 256 (dense: a short last block of partial sums; SRHT: padded, ten butterfly stages
        // at n′ = 1024 in four passes, 3 + 3 + 3 + 1, nine at 512, seven = 3 + 3 + 1 at 128, none at 1), d not a
        // multiple of 8, a one-row sketch of a one-row matrix; dense sketches
        // split d > 32 columns into equal chunks (33 = 17 + 16, the lab's [A | b]; 70 = 24 + 24 + 22).
        for (m, n, d, seed) in
            [(7, 300, 5, 1), (1, 1, 1, 2), (33, 513, 17, u64::MAX - 3), (5, 260, 33, 4), (3, 100, 70, 5)]
        {
            pollster::block_on(sketch_common::check(&ctx, kind, m, n, d, seed));
        }
    }
}

#[test]
fn large_fast_sketches_match_the_cpu() {
    let ctx = pollster::block_on(GpuContext::new()).expect("no GPU adapter");
    // n′ = 2¹⁷: 17 butterfly stages in six passes (the last of two); CountSketch rows with many nonzeros each.
    for kind in [SketchKind::Srht, SketchKind::CountSketch, SketchKind::Osnap] {
        let sketch = Sketch::new(kind, 96, 70_000, 4, 7).unwrap();
        pollster::block_on(sketch_common::check_apply(&ctx, &sketch, 3));
    }
    // Dense sketches at n = 20,000: the most partial sums (64) of 313 rows each, the last one short.
    for kind in [SketchKind::Gaussian, SketchKind::Rademacher] {
        let sketch = Sketch::new(kind, 5, 20_000, 1, 11).unwrap();
        pollster::block_on(sketch_common::check_apply(&ctx, &sketch, 9));
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

#[test]
fn the_experiment_on_the_gpu_matches_the_cpu_and_preconditions_to_the_exact_answer() {
    use regula_core::frame::{run_to_end, Budget};
    use regula_core::sketch::experiment::{Config, Experiment, Solver};
    use regula_core::sketch::regression::Design;
    use regula_core::Backend;
    let ctx = pollster::block_on(GpuContext::new()).expect("no GPU adapter");
    let run = |backend: Backend, solver: Solver| {
        let config =
            Config { sketches: SketchKind::ALL.to_vec(), ms: vec![64], trials: 3, solver, ..Config::default() };
        let mut e = Experiment::generate(Design::Spiky, 600, 8, config, backend).unwrap();
        pollster::block_on(run_to_end(&mut e, Budget::iterations(100), |_| {})).unwrap();
        e.cells().to_vec()
    };
    let cpu = run(Backend::Cpu { fallback: None }, Solver::Solve);
    let gpu = run(Backend::Gpu(ctx.clone()), Solver::Solve);
    // Same S on both; the GPU's f32 S[A | b] perturbs x′ by f32 rounding of entries of size ≲ 4 (x_s ~ N(0, I)):
    // ≲ 1e-6 after the √d of ε∞ (‖r‖ = ‖A†‖ = 1 here), so 1e-4 relative + 1e-5 absolute, far below the
    // sketching errors compared (≈ 0.1–1; exactly 0 when a sparse sketch misses the spikes).
    // Every cell and trial on both sides before the pairs are compared (a zip of empty results passes).
    assert_eq!(cpu.len(), SketchKind::ALL.len());
    assert_eq!(cpu.len(), gpu.len());
    for (c, g) in cpu.iter().zip(&gpu) {
        assert_eq!((c.sketch, c.m, c.trials.len()), (g.sketch, g.m, 3), "{}", c.sketch);
        assert_eq!(c.trials.len(), g.trials.len(), "{}", c.sketch);
        for (tc, tg) in c.trials.iter().zip(&g.trials) {
            let (a, b) = (tc.metrics.eps2, tg.metrics.eps2);
            assert!((a - b).abs() <= 1e-4 * a + 1e-5, "{}: ε₂ cpu {a} vs gpu {b}", c.sketch);
            let (a, b) = (tc.metrics.epsinf, tg.metrics.epsinf);
            assert!((a - b).abs() <= 1e-4 * a + 1e-5, "{}: ε∞ cpu {a} vs gpu {b}", c.sketch);
        }
    }
    // An f32 preconditioner from the GPU still lets f64 LSQR reach x*.
    for c in run(Backend::Gpu(ctx), Solver::Precondition) {
        for t in &c.trials {
            assert!(t.relative_error < 1e-10, "{}: {}", c.sketch, t.relative_error);
        }
    }
}
