//! The reduction kernels in a real browser: headless Chromium's WebGPU (SwiftShader), against the CPU
//! twin, with the same shapes and tolerances as the native suite. Run by `cargo xtask test` through
//! wasm-bindgen-test-runner; `core/webdriver.json` passes `--enable-unsafe-webgpu` to Chromium.
#![cfg(target_arch = "wasm32")]

mod common;
#[path = "common/ot.rs"]
mod ot_common;
#[path = "common/sketch.rs"]
mod sketch_common;
#[path = "common/train.rs"]
mod train_common;

use regula_core::gpu::GpuContext;
use regula_core::kernels::{self, KernelCheck};
use regula_core::reduce::{ReduceAxis, ReduceOp};
use regula_core::train::gpu::GpuKernel;
use regula_core::{Backend, BackendChoice, Budget, Stepper};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
async fn webgpu_adapter_is_present_and_within_browser_limits() {
    let ctx = GpuContext::new().await.expect("WebGPU adapter (Chromium needs --enable-unsafe-webgpu)");
    let s = ctx.summary();
    assert_eq!(s.api, "BrowserWebGpu");
    // Our kernels use 256 invocations and 3 storage buffers per stage: within every browser's limits.
    assert!(s.limits.max_compute_invocations_per_workgroup >= 256);
    assert!(s.limits.max_storage_buffers_per_shader_stage >= 8);
}

#[wasm_bindgen_test]
async fn reduction_matches_cpu_twin_on_edge_shapes_in_the_browser() {
    let ctx = GpuContext::new().await.unwrap();
    let cases = common::compare_all(&ctx).await;
    assert_eq!(cases, common::SHAPES.len() * 6);
    assert_eq!(ctx.cached_pipelines(), 3);
}

#[wasm_bindgen_test]
async fn kernel_check_stepper_runs_on_webgpu() {
    let backend = Backend::acquire(BackendChoice::Auto).await.unwrap();
    assert_eq!(backend.name(), "gpu", "{:?}", backend.report().fallback_reason);
    let params = kernels::Params {
        rows: 129,
        cols: 700,
        op: ReduceOp::Lse,
        axis: ReduceAxis::Rows,
        trials: 3,
        seed: 5,
        ..Default::default()
    };
    let mut check = KernelCheck::new(params, &backend).await.unwrap();
    let f = check.step(Budget::iterations(10)).await.unwrap();
    assert!(f.done && f.converged, "{f:?}");
    assert!(f.metric("diff_over_tolerance").unwrap() <= 1.0);
}

#[wasm_bindgen_test]
async fn log_sinkhorn_on_webgpu_tracks_the_cpu_twin() {
    let ctx = GpuContext::new().await.unwrap();
    for (name, problem) in ot_common::problems() {
        let diff = ot_common::max_potential_diff(&ctx, &problem, 0.05, 40).await;
        assert!(diff < 1e-4, "{name}: potentials differ by {diff}");
    }
}

#[wasm_bindgen_test]
async fn sns_dense_passes_on_webgpu_match_f64_sums() {
    let ctx = GpuContext::new().await.unwrap();
    for (name, problem) in ot_common::problems() {
        let keep = problem.m().min(10);
        let worst = ot_common::newton_system_error(&ctx, &problem, 0.05, 5, keep).await;
        assert!(worst < 1e-4, "{name}: relative error {worst}");
    }
}

#[wasm_bindgen_test]
async fn every_sketch_on_webgpu_matches_the_cpu_draws() {
    let ctx = GpuContext::new().await.unwrap();
    for kind in regula_core::sketch::operators::SketchKind::ALL {
        // SRHT at n = 300: padded to 512, two transform passes.
        sketch_common::check(&ctx, kind, 7, 300, 5, 1).await;
    }
}

#[wasm_bindgen_test]
async fn training_epochs_on_webgpu_match_the_cpu_trainer() {
    use regula_core::train::{DatasetKind, DatasetSpec, TrainConfig};
    let ctx = GpuContext::new().await.unwrap();
    let spec = DatasetSpec { kind: DatasetKind::Xor, n: 120, train_ratio: 0.8, ..DatasetSpec::default() };
    let config = TrainConfig { hidden: vec![8, 8], lr: 0.05, batch: 10, epochs: 2, ..TrainConfig::default() };
    let (worst, lc, lg) = train_common::compare(ctx, spec, config, GpuKernel::OneWorkgroup).await;
    assert!(worst < 1.0, "θ differs by {worst} of the tolerance");
    assert!((lc - lg).abs() < 1e-3 * lc.max(1e-3), "loss {lc} vs {lg}");
}

/// The GPU sweep in the browser: every net of a small grid in one dispatch (a workgroup per net), each net
/// bit for bit the single-run GPU trainer of its parameters.
#[wasm_bindgen_test]
async fn a_sweep_on_webgpu_trains_each_net_as_its_solo_gpu_run() {
    use regula_core::lab::sweep::Run as _;
    use regula_core::metrics as key;
    use regula_core::train::gpu::GpuTrainer;
    use regula_core::train::sweep::{Axis, Params, Shard, Sweep};
    use regula_core::train::DatasetKind;
    let ctx = GpuContext::new().await.unwrap();
    let mut p = Params::default();
    p.train.data.kind = DatasetKind::Xor;
    p.train.data.n = 60;
    p.train.config.hidden = vec![4];
    p.train.config.epochs = 3;
    p.train.backend = BackendChoice::Gpu;
    p.sweep.x = Axis::Lr;
    p.sweep.x_values = vec![0.05, 0.5];
    p.sweep.y = Axis::Batch;
    p.sweep.y_values = vec![8.0, 10.0];
    p.sweep.seeds = 1;
    let mut s = Sweep::new(p.clone(), Shard::WHOLE, &Backend::Gpu(ctx.clone())).unwrap();
    assert!(s.on_gpu(), "{}", s.placement());
    loop {
        if s.step(Budget::iterations(1)).await.unwrap().done {
            break;
        }
    }
    let strip = |f: &regula_core::Frame| -> Vec<(String, f64)> {
        f.metrics.iter().filter(|(k, _)| k.as_str() != key::TRAIN_SECONDS).map(|(k, v)| (k.clone(), *v)).collect()
    };
    for net in s.nets() {
        let q = p.net_params(net.index);
        let mut solo = GpuTrainer::with_kernel(ctx.clone(), p.trainer(&q).unwrap(), GpuKernel::OneWorkgroup).unwrap();
        let last = loop {
            let f = solo.step(Budget::iterations(1)).await.unwrap();
            if f.done {
                break f;
            }
        };
        assert_eq!(net.frame.as_ref().map(strip), Some(strip(&last)), "net {}", net.index);
    }
}

/// The OT batch in the browser: every problem of a small grid in one dispatch (a workgroup per problem),
/// each within f32's tolerance of the single-problem GPU solver: the same stop, iterations within 2, ⟨C, P⟩
/// within 1e-3.
#[wasm_bindgen_test]
async fn an_ot_batch_on_webgpu_solves_each_problem_as_its_solo_gpu_run() {
    use regula_core::frame::StopReason;
    use regula_core::metrics as key;
    use regula_core::ot::sweep::{Axis, OtSweep, Params, Shard};
    use regula_core::ot::GpuSinkhorn;
    let ctx = GpuContext::new().await.unwrap();
    let mut p = Params { backend: BackendChoice::Gpu, ..Params::default() };
    p.sweep.x = Axis::Eps;
    p.sweep.x_values = vec![0.03, 0.3];
    p.sweep.y = Axis::N;
    p.sweep.y_values = vec![9.0, 70.0];
    p.sweep.seeds = 1;
    let mut s = OtSweep::new(p.clone(), Shard::WHOLE, &Backend::Gpu(ctx.clone())).await.unwrap();
    assert!(s.on_gpu());
    loop {
        if s.step(Budget::iterations(1)).await.unwrap().done {
            break;
        }
    }
    for q in s.problems() {
        let own = p.problem_params(q.index);
        let problem = own.problem.build().unwrap();
        let mut solo = GpuSinkhorn::new(ctx.clone(), &problem, own.solver.clone()).await.unwrap();
        let last = loop {
            let f = solo.step(Budget::iterations(100_000)).await.unwrap();
            if f.done {
                break f;
            }
        };
        let got = q.frame.as_ref().unwrap();
        assert_eq!(
            (got.stop, last.stop),
            (Some(StopReason::Tolerance), Some(StopReason::Tolerance)),
            "problem {}",
            q.index
        );
        assert!(
            got.iteration.abs_diff(last.iteration) <= 2,
            "problem {}: {} vs {}",
            q.index,
            got.iteration,
            last.iteration
        );
        let (a, b) = (got.metric(key::TRANSPORT_COST).unwrap(), last.metric(key::TRANSPORT_COST).unwrap());
        assert!((a - b).abs() <= 1e-3 * b.abs(), "problem {}: ⟨C,P⟩ {a} vs {b}", q.index);
    }
}

/// The tiled per-layer kernel in the browser: a layer wider than 64 (the one-workgroup limit), a batch that
/// does not divide the training set (short last batch), Adam with L2.
#[wasm_bindgen_test]
async fn tiled_training_on_webgpu_matches_the_cpu_trainer() {
    use regula_core::train::{DatasetKind, DatasetSpec, Optimizer, Regularization, TrainConfig};
    let ctx = GpuContext::new().await.unwrap();
    let spec = DatasetSpec { kind: DatasetKind::Circle, n: 130, train_ratio: 0.8, ..DatasetSpec::default() };
    let config = TrainConfig {
        hidden: vec![70, 9],
        optimizer: Optimizer::Adam,
        reg: Regularization::L2,
        reg_rate: 1e-3,
        lr: 0.01,
        batch: 20,
        epochs: 2,
        ..TrainConfig::default()
    };
    let (worst, lc, lg) = train_common::compare(ctx, spec, config, GpuKernel::Tiled).await;
    assert!(worst < 1.0, "θ differs by {worst} of the tolerance");
    assert!((lc - lg).abs() < 1e-3 * lc.max(1e-3), "loss {lc} vs {lg}");
}

/// Two labs' GPU steps in flight at once (a person switching labs mid-step): each one's error scopes must
/// be pushed and popped without the other's in between, or wgpu panics and the page dies. The two
/// futures are polled alternately, as the browser's event loop does.
#[wasm_bindgen_test]
async fn concurrent_scoped_gpu_work_does_not_interleave_error_scopes() {
    use std::future::Future;
    use std::task::Poll;
    let ctx = GpuContext::new().await.unwrap();
    let mut a = Box::pin(ctx.scoped(|| 1));
    let mut b = Box::pin(ctx.scoped(|| 2));
    let (mut ra, mut rb) = (None, None);
    std::future::poll_fn(|cx| {
        if ra.is_none() {
            if let Poll::Ready(v) = a.as_mut().poll(cx) {
                ra = Some(v);
            }
        }
        if rb.is_none() {
            if let Poll::Ready(v) = b.as_mut().poll(cx) {
                rb = Some(v);
            }
        }
        if ra.is_some() && rb.is_some() {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    })
    .await;
    assert_eq!((ra.unwrap().unwrap(), rb.unwrap().unwrap()), (1, 2));
}

/// The JavaScript API (`regula_core::lab::js`, the page module's `run`/`step`) drives every lab from a
/// plain object of parameters and returns frames as plain objects; bad parameters throw the lab's own
/// message. Small settings keep each lab to a few steps.
#[wasm_bindgen_test]
async fn the_javascript_api_runs_every_lab_from_plain_objects() {
    use regula_core::lab::catalog::ALL;
    use regula_core::lab::js;
    use wasm_bindgen::JsValue;
    let obj = |json: &str| js_sys::JSON::parse(json).unwrap();
    let small = |name: &str| -> &'static str {
        match name {
            "ot" => r#"{"problem":{"kind":"moons","n":40,"m":40},"method":"compare","solver":{"tol":1e-4,"eps":0.05}}"#,
            "ot/sweep" => r#"{"sweep":{"x_values":[0.1,0.3],"y":"none","seeds":2},"problem":{"n":12,"m":12}}"#,
            "training" => r#"{"config":{"hidden":[4],"epochs":3}}"#,
            "training/sweep" => {
                r#"{"train":{"config":{"hidden":[4],"epochs":3}},"sweep":{"x_values":[0.1,0.3],"y":"none","seeds":1}}"#
            }
            "sketching/regression" => r#"{"n":256,"d":8,"m":32,"trials":2}"#,
            "sketching/nuclear" => r#"{"n":32,"d":16}"#,
            "generalization/student-teacher" => r#"{"config":{"n_inputs":40,"points":20}}"#,
            "generalization/double-descent" => r#"{"n":20,"points":4,"trials":2}"#,
            "generalization/epoch-wise" => r#"{"epochs":10,"seeds":1,"n_test":50}"#,
            "generalization/noisy-labels" => r#"{"n":100,"hidden":4,"epochs":3,"warmup":1,"batch":16}"#,
            "generalization/pskd" => r#"{"hidden":4,"epochs":2}"#,
            "generalization/continual" => r#"{"lambdas":[0,10],"epochs_a":2,"epochs_b":2,"seeds":1,"hidden":[4]}"#,
            "generalization/quadratic" => r#"{"d":6,"alphas":[0.5],"restarts":1,"steps":50}"#,
            "solvers/sparse" => r#"{"d":16,"k":2,"n":[20],"trials":1,"path":5}"#,
            "kernels" => r#"{"rows":16,"cols":16,"trials":2}"#,
            other => panic!("no small setting for {other}"),
        }
    };
    let listed = js::labs().unwrap();
    assert_eq!(js_sys::Array::from(&listed).length() as usize, ALL.len());
    for lab in ALL {
        let name = lab.def().name();
        let run =
            js::run(name.clone(), obj(small(&name))).await.unwrap_or_else(|e| panic!("{name}: {:?}", JsValue::from(e)));
        assert!(run.line().starts_with(&format!("regula {} ", lab.def().command)), "{name}: {}", run.line());
        let mut done = false;
        for _ in 0..200 {
            let frames =
                wasm_bindgen_futures::JsFuture::from(run.step(20.0)).await.unwrap_or_else(|e| panic!("{name}: {e:?}"));
            let frames = js_sys::Array::from(&frames);
            assert!(frames.length() >= 1, "{name}");
            let first = frames.get(0);
            let iteration = js_sys::Reflect::get(&first, &"iteration".into()).unwrap().as_f64().unwrap();
            assert!(iteration >= 0.0, "{name}");
            assert!(
                js_sys::Reflect::get(&first, &"metrics".into()).unwrap().is_object(),
                "{name}: metrics are a plain object"
            );
            done = frames.iter().all(|f| js_sys::Reflect::get(&f, &"done".into()).unwrap().as_bool() == Some(true));
            if done {
                break;
            }
        }
        assert!(done, "{name}: not done after 200 steps of 20 ms");
    }
    // A bad value throws the message the page and the CLI show; so does a lab that does not exist.
    let e = js::run("ot".into(), obj(r#"{"solver":{"eps":-1}}"#)).await.err().map(JsValue::from).unwrap();
    assert!(format!("{e:?}").contains("`eps`"), "{e:?}");
    let e = js::run("nope".into(), JsValue::UNDEFINED).await.err().map(JsValue::from).unwrap();
    assert!(format!("{e:?}").contains("not a lab"), "{e:?}");
}

/// Headless Chromium's WebGPU is SwiftShader: its name comes from the browser's GPUAdapterInfo (wgpu leaves
/// it empty), is recognised as a software adapter, and `auto` places the labs' runs on the CPU beside it.
#[wasm_bindgen_test]
async fn swiftshader_is_a_software_adapter_and_auto_runs_the_cpu_beside_it() {
    let ctx = GpuContext::new().await.unwrap();
    assert!(ctx.summary().name.to_lowercase().contains("swiftshader"), "{:?}", ctx.summary());
    assert!(ctx.summary().is_software(), "{:?}", ctx.summary());
    let device = Backend::Gpu(ctx);
    let auto = regula_core::backend::place(BackendChoice::Auto, &device).unwrap();
    assert_eq!(auto.cpu_note(), "; software GPU, the CPU is faster");
    assert!(regula_core::backend::place(BackendChoice::Gpu, &device).unwrap().gpu().is_some());
}

/// The Lasso's FISTA batch in the browser: every fold × λ problem in one dispatch (a workgroup each), held to
/// its f64 CPU twin problem by problem — the same stop, iterations within 2 % (+2), coefficients within 1e-3
/// of the largest.
#[wasm_bindgen_test]
async fn a_fista_batch_on_webgpu_matches_its_cpu_twin() {
    use regula_core::rng::SplitMix64;
    use regula_core::solvers::sparse::estimators::{lambda_grid, Design};
    use regula_core::solvers::sparse::gpu::{cv_problems, fista_cpu, FistaBatch, FISTA_MAX_ITER, FISTA_TOL};
    let ctx = GpuContext::new().await.unwrap();
    let (n, d) = (40, 70);
    let mut rng = SplitMix64::new(3);
    let x = Design { n, d, x: (0..n * d).map(|_| rng.normal()).collect() };
    let mut w = vec![0.0; d];
    (w[1], w[66]) = (1.0, -0.5);
    let y: Vec<f64> = x.apply(&w).iter().map(|v| v + 0.1 * rng.normal()).collect();
    let lambdas = lambda_grid(&x, &y, 4, 1e-2);
    let problems = cv_problems(&x, &lambdas, 2);
    let mut batch = FistaBatch::new(ctx, &x, &y, &problems, FISTA_TOL, FISTA_MAX_ITER).await.unwrap();
    while !batch.round(50).await.unwrap() {}
    let gpu = batch.solutions().await.unwrap();
    let stopped = batch.stopped.clone().unwrap();
    for (k, p) in problems.iter().enumerate() {
        let (cw, s) = fista_cpu(&x, &y, p, FISTA_TOL, FISTA_MAX_ITER);
        assert_eq!(stopped[k].stop, s.stop, "problem {k}");
        let (a, b) = (f64::from(stopped[k].iter), f64::from(s.iter));
        // At λ = λ_max the solution is w = 0, met exactly in f32 or after a few iterations of round-off in
        // f64: the count is compared where the solution is not zero.
        let zero = cw.iter().all(|v| v.abs() < 1e-8);
        assert!(zero || (a - b).abs() <= 0.02 * b + 2.0, "problem {k}: {a} vs {b} iterations");
        let scale = cw.iter().fold(0.0f64, |m, v| m.max(v.abs())).max(1e-3);
        let err = gpu[k].iter().zip(&cw).fold(0.0f64, |m, (g, c)| m.max((g - c).abs()));
        assert!(err <= 1e-3 * scale, "problem {k}: max |Δw| {err}");
    }
}
