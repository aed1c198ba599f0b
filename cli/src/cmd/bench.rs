//! `regula bench`: benchmarks measured side by side in one run, with ratios.

use clap::{value_parser, Arg, ArgMatches, Command};
use regula_core::sketch::operators::{Sketch, SketchKind};
use regula_core::train::gpu::{GpuKernel, GpuTrainer};
use regula_core::train::{DatasetKind, DatasetSpec, Loss, Optimizer, TrainConfig, Trainer};
use regula_core::{Backend, BackendChoice, Budget, Error};
use serde_json::json;

fn common_args(c: Command) -> Command {
    c.arg(
        Arg::new("backend")
            .long("backend")
            .default_value("auto")
            .value_parser(BackendChoice::NAMES.to_vec())
            .help("auto (GPU if an adapter opens), cpu or gpu."),
    )
    .arg(crate::kit::switch("json", "Make the last line of stdout one JSON object with the results."))
}

fn common(m: &ArgMatches) -> Result<(BackendChoice, bool), Error> {
    let choice = m.get_one::<String>("backend").map_or(Ok(BackendChoice::Auto), |s| s.parse())?;
    Ok((choice, crate::kit::on(m, "json")))
}

pub fn command() -> Command {
    Command::new("bench")
        .about("Benchmarks measured side by side in one run, with ratios.")
        .subcommand_required(true)
        .subcommand(common_args(
            Command::new("sketch-apply")
                .about("SRHT apply vs dense Gaussian apply (S·A, m = 4d), CPU and GPU.")
                .arg(Arg::new("n").long("n").default_value("65536").value_parser(value_parser!(usize)).help("Rows n of A."))
                .arg(Arg::new("d").long("d").default_value("64").value_parser(value_parser!(usize)).help("Columns d of A."))
                .arg(Arg::new("reps").long("reps").default_value("3").value_parser(value_parser!(usize)).help("Repetitions; the median is reported.")),
        ))
        .subcommand(common_args(
            Command::new("sweep")
                .about("Net-steps/s of a sweep of many small nets (η × seed): the GPU sweep (all nets in one dispatch) vs the CPU sweep (the worker pool), and each vs the same nets as sequential solo runs.")
                .arg(Arg::new("nets").long("nets").default_value("256").value_parser(value_parser!(usize)).help("Nets in the grid (16 learning rates × nets/16 seeds)."))
                .arg(Arg::new("epochs").long("epochs").default_value("50").value_parser(value_parser!(usize)).help("Epochs of each 2-8-8-1 net (the digits nets train a tenth of these, at least 1)."))
                .arg(Arg::new("solo").long("solo").default_value("16").value_parser(value_parser!(usize)).help("Solo runs timed (the first of the grid's nets; their rate stands for all).")),
        ))
        .subcommand(common_args(
            Command::new("sweep-ot")
                .about("Problems/s of a batch of small OT problems (ε × seed, log-domain Sinkhorn to 1e-4): the GPU batch (all problems in one dispatch per round) vs the CPU sweep (the worker pool), and each vs the same problems solved one by one.")
                .arg(Arg::new("problems").long("problems").default_value("256").value_parser(value_parser!(usize)).help("Problems in the batch (8 values of ε × problems/8 seeds)."))
                .arg(Arg::new("n").long("n").default_value("64").value_parser(value_parser!(usize)).help("Points per cloud (n = m)."))
                .arg(Arg::new("solo").long("solo").default_value("32").value_parser(value_parser!(usize)).help("Problems solved one by one and timed (the first of the batch; their rate stands for all).")),
        ))
        .subcommand(
            Command::new("lasso-path")
                .about("The Lasso path by coordinate descent on a design from .npy files (bench/lasso.sh times it against scikit-learn's lasso_path on the same data): median seconds, and the coefficients written for the comparison.")
                .arg(Arg::new("x").long("x").required(true).value_parser(value_parser!(std::path::PathBuf)).help("X (N × d, .npy, f8)."))
                .arg(Arg::new("y").long("y").required(true).value_parser(value_parser!(std::path::PathBuf)).help("y (N, .npy, f8)."))
                .arg(Arg::new("points").long("points").default_value("100").value_parser(value_parser!(usize)).help("λ values (log-spaced from λ_max)."))
                .arg(Arg::new("eps").long("eps").default_value("0.001").value_parser(value_parser!(f64)).help("Smallest λ over λ_max."))
                .arg(Arg::new("tol").long("tol").default_value("1e-4").value_parser(value_parser!(f64)).help("Duality-gap tolerance (scikit-learn's rule: gap ≤ tol·‖y‖²)."))
                .arg(Arg::new("reps").long("reps").default_value("5").value_parser(value_parser!(usize)).help("Repetitions; the median is reported."))
                .arg(Arg::new("out").long("out").value_parser(value_parser!(std::path::PathBuf)).help("Write the coefficients (points × d, .npy)."))
                .arg(crate::kit::switch("json", "Make the last line of stdout one JSON object with the results.")),
        )
        .subcommand(common_args(
            Command::new("train-gpu")
                .about("Training steps/s on digits (cross-entropy, Adam): CPU f64 vs the GPU's one-workgroup and tiled kernels, with the achieved GFLOP/s (6·P·B per step).")
                .arg(Arg::new("epochs").long("epochs").default_value("2").value_parser(value_parser!(usize)).help("Measured epochs per net (after one warm-up epoch)."))
                .arg(Arg::new("max-width").long("max-width").default_value("1024").value_parser(value_parser!(usize)).help("Largest hidden width tried (32, 256, 1024 up to this).")),
        ))
}

pub async fn run(m: &ArgMatches) -> Result<(), Error> {
    match m.subcommand() {
        Some(("sketch-apply", m)) => sketch_apply(m).await,
        Some(("train-gpu", m)) => train_gpu(m).await,
        Some(("sweep", m)) => sweep(m).await,
        Some(("sweep-ot", m)) => sweep_ot(m).await,
        Some(("lasso-path", m)) => lasso_path(m),
        _ => Err(Error::Invalid {
            name: "command",
            message: "name a benchmark: sketch-apply, train-gpu, sweep, sweep-ot or lasso-path".into(),
        }),
    }
}

/// The Lasso path (no saturation stop: every λ solved, as scikit-learn does) on X and y from .npy files.
fn lasso_path(m: &ArgMatches) -> Result<(), Error> {
    use regula_core::sketch::data::{parse_npy, write_npy};
    use regula_core::solvers::sparse::estimators::{lambda_grid, lasso_path_full, CdOptions, Design};
    let read = |id: &str| -> Result<regula_core::sketch::data::Matrix, Error> {
        let path = m.get_one::<std::path::PathBuf>(id).expect("required");
        let bytes = std::fs::read(path)
            .map_err(|e| Error::Invalid { name: "file", message: format!("{}: {e}", path.display()) })?;
        parse_npy(&path.display().to_string(), &bytes)
    };
    let (xm, ym) = (read("x")?, read("y")?);
    let y = ym.into_vector("y")?;
    if y.len() != xm.rows {
        return Err(Error::Invalid { name: "y", message: format!("{} values for {} rows of X", y.len(), xm.rows) });
    }
    let (n, d) = (xm.rows, xm.cols);
    let mut cols = vec![0.0; n * d];
    for i in 0..n {
        for j in 0..d {
            cols[j * n + i] = xm.data[i * d + j];
        }
    }
    let x = Design { n, d, x: cols };
    let points = *m.get_one::<usize>("points").unwrap_or(&100);
    let eps = *m.get_one::<f64>("eps").unwrap_or(&1e-3);
    let opts = CdOptions { tol: *m.get_one::<f64>("tol").unwrap_or(&1e-4), max_passes: 100_000 };
    let reps = *m.get_one::<usize>("reps").unwrap_or(&5);
    let mut times = Vec::new();
    let mut last = (Vec::new(), 0);
    for _ in 0..reps.max(1) {
        let t = std::time::Instant::now();
        let lambdas = lambda_grid(&x, &y, points, eps);
        last = lasso_path_full(&x, &y, &lambdas, opts);
        times.push(t.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    let median = times[times.len() / 2];
    let (path, passes) = last;
    if let Some(out) = m.get_one::<std::path::PathBuf>("out") {
        let flat: Vec<f64> = path.iter().flatten().copied().collect();
        std::fs::write(out, write_npy(path.len(), d, &flat))
            .map_err(|e| Error::Invalid { name: "out", message: format!("{}: {e}", out.display()) })?;
    }
    println!("lasso path: N = {n}, d = {d}, {points} λ down to {eps}·λ_max, tol {}: {median:.4} s (median of {reps}), {passes} coordinate passes", opts.tol);
    if crate::kit::on(m, "json") {
        println!("{}", json!({"n": n, "d": d, "points": points, "seconds": median, "passes": passes}));
    }
    Ok(())
}

/// Median seconds of `reps` runs of `f`.
async fn median_seconds<F: std::future::Future<Output = Result<(), Error>>>(
    reps: usize,
    mut f: impl FnMut() -> F,
) -> Result<f64, Error> {
    let mut times = Vec::new();
    for _ in 0..reps.max(1) {
        let t = std::time::Instant::now();
        f().await?;
        times.push(t.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    Ok(times[times.len() / 2])
}

/// SRHT vs dense Gaussian S·A at m = 4d: CPU (f64) and, when an adapter opens, GPU (f32, A resident,
/// S·A read back). The dense apply is compute-bound (2mnd flops, plus drawing mn normals), the SRHT
/// memory-bound (n′d log₂ n′ adds in ⌈log₂ n′ / 8⌉ passes on the GPU): the ratio is the point.
async fn sketch_apply(m: &ArgMatches) -> Result<(), Error> {
    let (n, d, reps) = (
        *m.get_one::<usize>("n").unwrap_or(&(1 << 16)),
        *m.get_one::<usize>("d").unwrap_or(&64),
        *m.get_one::<usize>("reps").unwrap_or(&3),
    );
    let (choice, json) = common(m)?;
    let m = 4 * d;
    let a: Vec<f64> = (0..n * d).map(|k| ((k as f64) * 0.618).sin()).collect();
    let gaussian = Sketch::new(SketchKind::Gaussian, m, n, 1, 1)?;
    let srht = Sketch::new(SketchKind::Srht, m, n, 1, 1)?;
    println!("S·A with n = {n}, d = {d}, m = {m} (median of {reps})");
    let cpu_g = median_seconds(reps, || async { gaussian.apply(&a, d).map(|_| ()) }).await?;
    let cpu_s = median_seconds(reps, || async { srht.apply(&a, d).map(|_| ()) }).await?;
    let flops = 2.0 * (m * n * d) as f64;
    println!(
        "cpu  gaussian {cpu_g:.4} s ({:.2} GFLOP/s)  srht {cpu_s:.4} s  → srht is {:.1}× faster",
        flops / cpu_g / 1e9,
        cpu_g / cpu_s
    );
    let mut out = json!({"n": n, "d": d, "m": m, "cpu_gaussian_seconds": cpu_g, "cpu_srht_seconds": cpu_s, "cpu_speedup": cpu_g / cpu_s});
    let backend = Backend::acquire(choice).await?;
    if let Some(ctx) = backend.gpu() {
        let a32: Vec<f32> = a.iter().map(|&v| v as f32).collect();
        let input = regula_core::sketch::gpu::GpuMatrix::upload(ctx, &a32, n, d)?;
        // Warm-up: pipelines compiled once.
        regula_core::sketch::gpu::apply(ctx, &gaussian, &input).await?;
        regula_core::sketch::gpu::apply(ctx, &srht, &input).await?;
        let gpu_g = median_seconds(reps, || async {
            regula_core::sketch::gpu::apply(ctx, &gaussian, &input).await.map(|_| ())
        })
        .await?;
        let gpu_s =
            median_seconds(reps, || async { regula_core::sketch::gpu::apply(ctx, &srht, &input).await.map(|_| ()) })
                .await?;
        println!(
            "gpu  gaussian {gpu_g:.4} s  srht {gpu_s:.4} s  → srht is {:.1}× faster  ({})",
            gpu_g / gpu_s,
            backend.report().label
        );
        out["gpu_gaussian_seconds"] = json!(gpu_g);
        out["gpu_srht_seconds"] = json!(gpu_s);
        out["gpu_speedup"] = json!(gpu_g / gpu_s);
        out["device"] = json!(backend.report().label);
    }
    if json {
        println!("{out}");
    }
    Ok(())
}

/// Steps/s of training after a warm-up epoch (pipelines compiled, buffers allocated): the trainer's own
/// `train_seconds` (updates and, on the GPU, dispatch + readback of θ; not the frame's f64 evaluation).
async fn measured_steps_per_second<S: regula_core::Stepper>(
    stepper: &mut S,
    warm_steps: u64,
    measured_steps: u64,
) -> Result<f64, Error> {
    let mut mark: Option<(u64, f64)> = None;
    loop {
        let f = stepper.step(Budget::iterations(u64::MAX)).await?;
        let t = f.metric(regula_core::metrics::TRAIN_SECONDS).unwrap_or(0.0);
        if f.stop.is_some() {
            return Err(Error::Invalid { name: "epochs", message: format!("the run stopped early ({:?})", f.stop) });
        }
        match mark {
            None if f.iteration >= warm_steps => mark = Some((f.iteration, t)),
            Some((s0, t0)) if f.iteration >= s0 + measured_steps => {
                return Ok((f.iteration - s0) as f64 / (t - t0).max(1e-9))
            }
            _ => {}
        }
    }
}

async fn train_gpu(m: &ArgMatches) -> Result<(), Error> {
    let (epochs, max_width) =
        (*m.get_one::<usize>("epochs").unwrap_or(&2), *m.get_one::<usize>("max-width").unwrap_or(&1024));
    let (choice, json) = common(m)?;
    let digits = DatasetSpec { kind: DatasetKind::Digits, train_ratio: 1.0, ..DatasetSpec::default() }.build()?;
    let xor = DatasetSpec { kind: DatasetKind::Xor, n: 500, train_ratio: 1.0, ..DatasetSpec::default() }.build()?;
    let backend = Backend::acquire(choice).await?;
    let ctx = backend.gpu().cloned();
    println!("training steps/s: Playground's 2-8-8-1 on 500 xor points (MSE, SGD), and digits (1,797 rows; softmax cross-entropy, Adam); {epochs} measured epochs after one warm-up");
    println!("GPU: {}", ctx.as_ref().map_or("none".to_owned(), |_| backend.report().label.clone()));
    let mut rows = Vec::new();
    for (hidden, batch) in [(vec![8, 8], 10usize), (vec![32], 32), (vec![256, 256], 128), (vec![1024, 1024], 512)] {
        if hidden[0] > max_width {
            continue;
        }
        let playground = batch == 10;
        let data = if playground { &xor } else { &digits };
        let config = if playground {
            TrainConfig { hidden: hidden.clone(), lr: 0.03, batch, epochs: 10_000, ..TrainConfig::default() }
        } else {
            TrainConfig {
                hidden: hidden.clone(),
                loss: Loss::Xent,
                optimizer: Optimizer::Adam,
                lr: 1e-3,
                batch,
                epochs: 10_000,
                ..TrainConfig::default()
            }
        };
        let make = || Trainer::new(data.clone(), config.clone());
        let probe = make()?;
        let (p, spe) = (probe.params().len(), probe.steps_per_epoch());
        let (warm, measured) = (spe, spe * epochs as u64);
        let flops = 6.0 * (p * batch) as f64;
        let cpu = measured_steps_per_second(&mut make()?, warm, measured).await?;
        let name = format!(
            "{}-{}-{}",
            data.inputs,
            hidden.iter().map(|h| h.to_string()).collect::<Vec<_>>().join("-"),
            if playground { 1 } else { 10 }
        );
        println!("{name:<16} B={batch:<4} P={p:<8} cpu f64 {cpu:>9.1} steps/s ({:.2} GFLOP/s)", cpu * flops / 1e9);
        let mut row = json!({"net": name, "batch": batch, "params": p, "cpu_steps_per_second": cpu});
        if let Some(ctx) = &ctx {
            for kernel in [GpuKernel::OneWorkgroup, GpuKernel::Tiled] {
                let mut g = match GpuTrainer::with_kernel(ctx.clone(), make()?, kernel) {
                    Ok(g) => g,
                    Err(_) => continue, // past the one-workgroup kernel's limits
                };
                let sps = measured_steps_per_second(&mut g, warm, measured).await?;
                println!(
                    "{:<38} gpu {:<24} {sps:>9.1} steps/s ({:.2} GFLOP/s) → {:.2}× the CPU",
                    "",
                    kernel.describe(),
                    sps * flops / 1e9,
                    sps / cpu
                );
                row[if kernel == GpuKernel::Tiled {
                    "tiled_steps_per_second"
                } else {
                    "one_workgroup_steps_per_second"
                }] = json!(sps);
            }
        }
        rows.push(row);
    }
    println!("bound: per step 6·P·B flops; small nets are latency-bound (one dispatch + readback per epoch, 3L + 1 launches per step tiled), large ones flop-bound");
    if json {
        println!("{}", json!({"device": ctx.as_ref().map(|_| backend.report().label.clone()), "nets": rows}));
    }
    Ok(())
}

/// A sweep to its end: (net-steps, seconds).
async fn sweep_to_end<S: regula_core::Stepper>(s: &mut S) -> Result<(u64, f64), Error> {
    let t = std::time::Instant::now();
    loop {
        let f = s.step(Budget::iterations(1)).await?;
        if f.done {
            return Ok((f.iteration, t.elapsed().as_secs_f64()));
        }
    }
}

/// A solo run to its end: (steps, seconds).
async fn solo_to_end<S: regula_core::Stepper>(s: &mut S) -> Result<(u64, f64), Error> {
    let t = std::time::Instant::now();
    loop {
        let f = s.step(Budget::iterations(u64::MAX)).await?;
        if f.done {
            return Ok((f.iteration, t.elapsed().as_secs_f64()));
        }
    }
}

/// The OT batch benchmark: one grid (8 values of ε × seeds, Gaussian clouds, log-domain Sinkhorn to 1e-4)
/// as a CPU sweep, a GPU batch (when an adapter opens) and as solo runs one after another (the CPU's f64
/// solver, and the single-problem GPU solver), each timed whole.
async fn sweep_ot(m: &ArgMatches) -> Result<(), Error> {
    use regula_core::ot::sweep::{Axis, Grid, OtSweep, Params, Shard, Show};
    use regula_core::ot::{GpuSinkhorn, OtSolver};
    let problems = (*m.get_one::<usize>("problems").unwrap_or(&256)).max(8);
    let n = (*m.get_one::<usize>("n").unwrap_or(&64)).max(1);
    let solo_n = *m.get_one::<usize>("solo").unwrap_or(&32);
    let (choice, json) = common(m)?;
    let backend = Backend::acquire(choice).await?;
    let ctx = backend.gpu().cloned();
    let device = ctx.as_ref().map(|c| c.summary().name.clone());
    let mut p = Params::default();
    p.problem.n = n;
    p.problem.m = n;
    p.sweep = Grid {
        x: Axis::Eps,
        x_values: vec![0.01, 0.015, 0.02, 0.03, 0.05, 0.1, 0.2, 0.5],
        y: Axis::Seed,
        y_values: (0..problems / 8).map(|s| s as f64).collect(),
        seeds: 1,
        show: Show::Iterations,
    };
    println!(
        "sweep-ot: {} problems of {n} × {n} points (8 values of ε × {} seeds), log-domain Sinkhorn to 1e-4; {solo_n} solo runs timed; GPU: {}",
        p.len(),
        problems / 8,
        device.clone().unwrap_or_else(|| "none".into())
    );
    if ctx.as_ref().is_some_and(|c| c.summary().is_software()) {
        println!(
            "(a software adapter: the GPU figures show correctness and the ratio to solo runs, not a GPU's speed)"
        );
    }
    p.backend = BackendChoice::Cpu;
    let (iters, cpu_s) = sweep_to_end(&mut OtSweep::new(p.clone(), Shard::WHOLE, &backend).await?).await?;
    // Exponentials per iteration: the CPU's f-update keeps the plan's column sums (one pass); the GPU's two
    // half-steps make a pass each.
    let (cpu_per_iter, gpu_per_iter) = ((n * n) as f64, 2.0 * (n * n) as f64);
    let rate = |count: f64, s: f64| count / s.max(1e-9);
    let mut solo = (0u64, 0usize, 0.0f64);
    let mut solo_gpu = (0u64, 0usize, 0.0f64);
    for k in 0..solo_n.min(p.len()) {
        let q = p.problem_params(k);
        let problem = q.problem.build()?;
        let (it, t) = solo_to_end(&mut OtSolver::new(&problem, q.solver.clone())?).await?;
        solo = (solo.0 + it, solo.1 + 1, solo.2 + t);
        if let Some(ctx) = &ctx {
            let (it, t) = solo_to_end(&mut GpuSinkhorn::new(ctx.clone(), &problem, q.solver.clone()).await?).await?;
            solo_gpu = (solo_gpu.0 + it, solo_gpu.1 + 1, solo_gpu.2 + t);
        }
    }
    let cpu_ps = rate(p.len() as f64, cpu_s);
    let solo_ps = rate(solo.1 as f64, solo.2);
    println!("{iters} problem-iterations in all ({:.0} per problem)", iters as f64 / p.len() as f64);
    println!(
        "  cpu sweep   {cpu_ps:>10.1} problems/s ({} threads, f64; {:.2} G exp/s)   solo cpu runs {solo_ps:>10.1} problems/s → sweep {:.2}× solo",
        regula_core::cpu::pool::threads(),
        rate(iters as f64 * cpu_per_iter, cpu_s) / 1e9,
        cpu_ps / solo_ps
    );
    let mut row = json!({"problems": p.len(), "n": n, "iterations": iters, "cpu_sweep": cpu_ps, "cpu_solo": solo_ps});
    if ctx.is_some() {
        p.backend = BackendChoice::Gpu;
        let (iters_g, gpu_s) = sweep_to_end(&mut OtSweep::new(p.clone(), Shard::WHOLE, &backend).await?).await?;
        let gpu_ps = rate(p.len() as f64, gpu_s);
        let solo_gpu_ps = rate(solo_gpu.1 as f64, solo_gpu.2);
        println!(
            "  gpu batch   {gpu_ps:>10.1} problems/s (f32, a workgroup per problem; {:.2} G exp/s)   solo gpu runs {solo_gpu_ps:>10.1} problems/s → batch {:.2}× solo; GPU batch {:.2}× the CPU sweep",
            rate(iters_g as f64 * gpu_per_iter, gpu_s) / 1e9,
            gpu_ps / solo_gpu_ps,
            gpu_ps / cpu_ps
        );
        row["gpu_batch"] = json!(gpu_ps);
        row["gpu_solo"] = json!(solo_gpu_ps);
    }
    println!("bound: each iteration is n·m exponentials on the CPU (one pass; the column sums come with it) and 2·n·m on the GPU (a pass per half-step), so exp/s is the figure of merit; a small problem alone is latency-bound on a GPU (two launches per half-step and a readback per batch), the batch pays them once for all problems");
    if json {
        println!("{}", json!({"device": device, "rows": [row]}));
    }
    Ok(())
}

/// The sweep benchmark: the same grid as a CPU sweep, a GPU sweep (when an adapter opens) and as solo runs
/// one after another (CPU, and GPU's one-workgroup trainer), each timed whole — updates, and each net's
/// frame (f64 losses) once per epoch in every variant, so the work is the same.
async fn sweep(m: &ArgMatches) -> Result<(), Error> {
    use regula_core::train::sweep::{Axis, Grid, Params, Shard, Show, Sweep};
    let nets = (*m.get_one::<usize>("nets").unwrap_or(&256)).max(16);
    let epochs = *m.get_one::<usize>("epochs").unwrap_or(&50);
    let solo_n = *m.get_one::<usize>("solo").unwrap_or(&64);
    let (choice, json) = common(m)?;
    let backend = Backend::acquire(choice).await?;
    let ctx = backend.gpu().cloned();
    let device = ctx.as_ref().map(|c| c.summary().name.clone());
    println!("sweep: {nets} nets (16 learning rates × {} seeds), every net's frame (its f64 losses) each epoch, no Hessian; {solo_n} solo runs timed; GPU: {}", nets / 16, device.clone().unwrap_or_else(|| "none".into()));
    if ctx.as_ref().is_some_and(|c| c.summary().is_software()) {
        println!(
            "(a software adapter: the GPU figures show correctness and the ratio to solo runs, not a GPU's speed)"
        );
    }
    let mut rows = Vec::new();
    for digits in [false, true] {
        let mut p = Params::default();
        p.train.config.hessian_every = 0;
        if digits {
            p.train.data.kind = DatasetKind::Digits;
            p.train.config.hidden = vec![32];
            p.train.config.loss = Loss::Xent;
            p.train.config.optimizer = Optimizer::Adam;
            p.train.config.batch = 32;
            p.train.config.epochs = (epochs / 10).max(1);
        } else {
            p.train.config.hidden = vec![8, 8];
            p.train.config.batch = 10;
            p.train.config.epochs = epochs;
        }
        let lrs: Vec<f64> = if digits {
            (0..16).map(|k| 1e-4 * 1.5f64.powi(k)).collect()
        } else {
            (0..16).map(|k| 0.01 * 1.3f64.powi(k)).collect()
        };
        p.sweep = Grid {
            x: Axis::Lr,
            x_values: lrs,
            y: Axis::Seed,
            y_values: (0..nets / 16).map(|s| s as f64).collect(),
            seeds: 1,
            show: Show::TrainLoss,
        };
        let name = if digits { "64-32-10 digits, B = 32, Adam" } else { "2-8-8-1 spiral, B = 10, SGD" };
        p.train.backend = BackendChoice::Cpu;
        let (steps, cpu_s) = sweep_to_end(&mut Sweep::new(p.clone(), Shard::WHOLE, &backend)?).await?;
        let cpu_rate = steps as f64 / cpu_s;
        // Solo runs: the first `solo_n` nets, one after another.
        let mut solo = (0u64, 0.0f64);
        let mut solo_gpu = (0u64, 0.0f64);
        for k in 0..solo_n.min(p.len()) {
            let q = p.net_params(k);
            let (s, t) = solo_to_end(&mut p.trainer(&q)?).await?;
            solo = (solo.0 + s, solo.1 + t);
            if let Some(ctx) = &ctx {
                let mut g = GpuTrainer::with_kernel(ctx.clone(), p.trainer(&q)?, GpuKernel::OneWorkgroup)?;
                let (s, t) = solo_to_end(&mut g).await?;
                solo_gpu = (solo_gpu.0 + s, solo_gpu.1 + t);
            }
        }
        let solo_rate = solo.0 as f64 / solo.1.max(1e-9);
        println!("{name}: {steps} net-steps");
        println!("  cpu sweep   {cpu_rate:>12.0} net-steps/s ({} threads)   solo cpu runs {solo_rate:>12.0} → sweep {:.2}× solo", regula_core::cpu::pool::threads(), cpu_rate / solo_rate);
        let mut row =
            json!({"net": name, "nets": nets, "net_steps": steps, "cpu_sweep": cpu_rate, "cpu_solo": solo_rate});
        if ctx.is_some() {
            p.train.backend = BackendChoice::Gpu;
            let (steps_g, gpu_s) = sweep_to_end(&mut Sweep::new(p.clone(), Shard::WHOLE, &backend)?).await?;
            let gpu_rate = steps_g as f64 / gpu_s;
            let solo_gpu_rate = solo_gpu.0 as f64 / solo_gpu.1.max(1e-9);
            println!(
                "  gpu sweep   {gpu_rate:>12.0} net-steps/s (one dispatch per epoch, all nets)   solo gpu runs {solo_gpu_rate:>12.0} → sweep {:.2}× solo; GPU sweep {:.2}× the CPU sweep",
                gpu_rate / solo_gpu_rate,
                gpu_rate / cpu_rate
            );
            row["gpu_sweep"] = json!(gpu_rate);
            row["gpu_solo"] = json!(solo_gpu_rate);
        }
        rows.push(row);
    }
    println!("bound: a tiny net is latency-bound (a dispatch and a readback per epoch on the GPU); a sweep pays those once for all nets, and each net's frame (f64 losses on the CPU) is the same work in every variant");
    if json {
        println!("{}", json!({"device": device, "rows": rows}));
    }
    Ok(())
}
