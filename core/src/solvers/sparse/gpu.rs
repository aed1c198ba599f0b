//! The Lasso's cross-validation on the GPU: every (fold, λ) problem of [`super::estimators::LassoCv`] — and
//! the whole data's path — solved together by FISTA in `shaders/solvers/fista_batch.wgsl`, a workgroup per
//! problem, one iteration per dispatch and a round of dispatches per submission; the design and y are
//! uploaded once and shared, each problem's w, z and residual stay on the device, and a round reads back the
//! state table alone (8 numbers per problem); the coefficients are read once, when every problem has stopped.
//! [`fista_cpu`] is the f64 twin: the same iterations and stopping rule.

use std::rc::Rc;

use bytemuck::{Pod, Zeroable};

use super::estimators::{dot, lambda_grid, spectral_norm_sq, Design, LassoFit};
use crate::error::{Error, Result};
use crate::gpu::{GpuContext, Shader};

/// `shaders/solvers/fista_batch.wgsl`.
pub const FISTA_SHADER: Shader =
    Shader { path: "solvers/fista_batch.wgsl", source: include_str!("../../../../shaders/solvers/fista_batch.wgsl") };

/// FISTA's stopping rule: the largest coefficient change at most this much of the largest coefficient (f32
/// resolves about 1e-7; 1e-5 leaves room).
pub const FISTA_TOL: f64 = 1e-5;
/// FISTA's iteration cap per problem.
pub const FISTA_MAX_ITER: u32 = 5000;
/// Dispatches (iterations) per round: one submission, then the state table is read back.
pub const ROUND: u32 = 100;

/// One Lasso problem of the batch: rows [lo, hi) held out, its λ and step 1/L.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FistaProblem {
    pub lo: usize,
    pub hi: usize,
    pub lambda: f64,
    pub step: f64,
}

impl FistaProblem {
    fn rows(&self, n: usize) -> usize {
        n - (self.hi - self.lo)
    }
}

/// The step 1/L for the rows outside [lo, hi): L = 1.01·σ_max(X_k)²/n_k (power iteration, 1 % of margin
/// for its estimate from below).
pub fn step_for(x: &Design, lo: usize, hi: usize) -> f64 {
    let keep: Vec<usize> = (0..x.n).filter(|i| !(lo..hi).contains(i)).collect();
    let l = 1.01 * spectral_norm_sq(&x.rows(&keep)) / keep.len().max(1) as f64;
    if l > 0.0 {
        1.0 / l
    } else {
        1.0
    }
}

/// A problem's outcome: iterations and stop (1 tolerance, 3 max iterations, 4 divergence).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stopped {
    pub iter: u32,
    pub stop: u32,
}

/// The CPU twin of one problem (f64): FISTA from w = 0 with the kernel's iterations and stopping rule.
pub fn fista_cpu(x: &Design, y: &[f64], p: &FistaProblem, tol: f64, max_iter: u32) -> (Vec<f64>, Stopped) {
    let (n, d) = (x.n, x.d);
    let inv_n = 1.0 / p.rows(n) as f64;
    let (mut w, mut z, mut t) = (vec![0.0; d], vec![0.0; d], 1.0f64);
    let mut r = vec![0.0; n];
    let mut iter = 0;
    loop {
        for (i, ri) in r.iter_mut().enumerate() {
            *ri = if (p.lo..p.hi).contains(&i) { 0.0 } else { y[i] - (0..d).map(|j| x.col(j)[i] * z[j]).sum::<f64>() };
        }
        let t_new = 0.5 * (1.0 + (1.0 + 4.0 * t * t).sqrt());
        let beta = (t - 1.0) / t_new;
        let (gain, thr) = (p.step * inv_n, p.step * p.lambda);
        let (mut ch, mut wm) = (0.0f64, 0.0f64);
        for j in 0..d {
            let v = z[j] + gain * dot(x.col(j), &r);
            let w_new = v.signum() * (v.abs() - thr).max(0.0);
            let w_new = if v == 0.0 { 0.0 } else { w_new };
            ch = ch.max((w_new - w[j]).abs());
            wm = wm.max(w_new.abs());
            z[j] = w_new + beta * (w_new - w[j]);
            w[j] = w_new;
        }
        iter += 1;
        t = t_new;
        let stop = if !ch.is_finite() || !wm.is_finite() {
            4
        } else if ch <= tol * wm {
            1
        } else if iter >= max_iter {
            3
        } else {
            0
        };
        if stop != 0 {
            return (w, Stopped { iter, stop });
        }
    }
}

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct RunU {
    n: u32,
    d: u32,
    pad: [u32; 2],
}

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable, Default, Debug)]
struct Row {
    lo: u32,
    hi: u32,
    lambda: f32,
    step: f32,
    inv_n: f32,
    tol: f32,
    max_iter: u32,
    pad: u32,
}

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable, Default, Debug)]
struct State {
    iter: u32,
    stop: u32,
    t: f32,
    change: f32,
    wmax: f32,
    pad: [u32; 3],
}

/// The device side of a batch.
pub struct FistaBatch {
    ctx: Rc<GpuContext>,
    run: wgpu::Buffer,
    problems: wgpu::Buffer,
    state: wgpu::Buffer,
    x: wgpu::Buffer,
    y: wgpu::Buffer,
    w: wgpu::Buffer,
    z: wgpu::Buffer,
    r: wgpu::Buffer,
    count: usize,
    d: usize,
    /// Each problem's outcome, once every problem has stopped.
    pub stopped: Option<Vec<Stopped>>,
}

impl FistaBatch {
    pub async fn new(
        ctx: Rc<GpuContext>,
        x: &Design,
        y: &[f64],
        problems: &[FistaProblem],
        tol: f64,
        max_iter: u32,
    ) -> Result<Self> {
        let (n, d, p) = (x.n, x.d, problems.len());
        for (what, len) in [("design", n * d), ("coefficients", p * d), ("residuals", p * n)] {
            if len > u32::MAX as usize / 2 {
                return Err(Error::Invalid {
                    name: "n",
                    message: format!("the FISTA batch's {what} ({len} f32) do not fit a 32-bit index"),
                });
            }
            ctx.check_storage_size(
                || format!("the FISTA batch's {what} ({len} f32; fewer λ or folds, or the CPU)"),
                len as u64 * 4,
            )?;
        }
        let rows: Vec<Row> = problems
            .iter()
            .map(|q| Row {
                lo: q.lo as u32,
                hi: q.hi as u32,
                lambda: q.lambda as f32,
                step: q.step as f32,
                inv_n: (1.0 / q.rows(n).max(1) as f64) as f32,
                tol: tol as f32,
                max_iter,
                pad: 0,
            })
            .collect();
        let xs: Vec<f32> = x.x.iter().map(|&v| v as f32).collect();
        let ys: Vec<f32> = y.iter().map(|&v| v as f32).collect();
        let state = vec![State { t: 1.0, ..State::default() }; p];
        ctx.pipeline_paced(FISTA_SHADER, "iterate").await?;
        let c = Rc::clone(&ctx);
        c.scoped(|| Self {
            run: ctx.uniform("fista run", &RunU { n: n as u32, d: d as u32, pad: [0; 2] }),
            problems: ctx.upload("fista problems", &rows),
            state: ctx.upload("fista state", &state),
            x: ctx.upload("fista design", &xs),
            y: ctx.upload("fista y", &ys),
            w: ctx.upload("fista w", &vec![0f32; p * d]),
            z: ctx.upload("fista z", &vec![0f32; p * d]),
            r: ctx.upload("fista residuals", &vec![0f32; p * n]),
            count: p,
            d,
            stopped: None,
            ctx: Rc::clone(&ctx),
        })
        .await
    }

    /// Runs `dispatches` iterations of every unfinished problem in one submission; true once all have
    /// stopped (then [`Self::stopped`] holds their outcomes).
    pub async fn round(&mut self, dispatches: u32) -> Result<bool> {
        let ctx = Rc::clone(&self.ctx);
        ctx.scoped(|| {
            let pipeline = ctx.pipeline(FISTA_SHADER, "iterate");
            let bind = ctx.bind(
                &pipeline,
                &[
                    (0, &self.run),
                    (1, &self.problems),
                    (2, &self.state),
                    (3, &self.x),
                    (4, &self.y),
                    (5, &self.w),
                    (6, &self.z),
                    (7, &self.r),
                ],
            );
            let mut encoder = ctx.device().create_command_encoder(&Default::default());
            {
                let mut pass = encoder.begin_compute_pass(&Default::default());
                pass.set_pipeline(&pipeline);
                pass.set_bind_group(0, &bind, &[]);
                for _ in 0..dispatches.max(1) {
                    pass.dispatch_workgroups(self.count as u32, 1, 1);
                }
            }
            ctx.queue().submit([encoder.finish()]);
        })
        .await?;
        let raw = ctx.read_f32(&self.state, self.count * 8).await?;
        let states: Vec<State> =
            raw.chunks_exact(8).map(|s| *bytemuck::from_bytes::<State>(bytemuck::cast_slice(s))).collect();
        if states.iter().all(|s| s.stop != 0) {
            self.stopped = Some(states.iter().map(|s| Stopped { iter: s.iter, stop: s.stop }).collect());
        }
        Ok(self.stopped.is_some())
    }

    /// Every problem's coefficients (f64 from f32).
    pub async fn solutions(&self) -> Result<Vec<Vec<f64>>> {
        let w = self.ctx.read_f32(&self.w, self.count * self.d).await?;
        Ok(w.chunks_exact(self.d).map(|c| c.iter().map(|&v| f64::from(v)).collect()).collect())
    }
}

/// The problems of a K-fold cross-validated path: fold f's rows held out for every λ (f = 0..K), then the whole
/// data (lo = hi = 0) for every λ.
pub fn cv_problems(x: &Design, lambdas: &[f64], folds: usize) -> Vec<FistaProblem> {
    let mut out = Vec::with_capacity((folds + 1) * lambdas.len());
    for f in 0..=folds {
        let (lo, hi) = if f < folds { (f * x.n / folds, (f + 1) * x.n / folds) } else { (0, 0) };
        let step = step_for(x, lo, hi);
        out.extend(lambdas.iter().map(|&lambda| FistaProblem { lo, hi, lambda, step }));
    }
    out
}

/// The cross-validated Lasso from the batch's solutions (laid out as [`cv_problems`]): held-out errors in
/// f64 on the CPU, the smallest mean chosen, the path the whole data's solutions.
pub fn cv_fit(x: &Design, y: &[f64], lambdas: &[f64], folds: usize, w: &[Vec<f64>], iterations: usize) -> LassoFit {
    let points = lambdas.len();
    let mut errs = vec![vec![0.0; folds]; points];
    for f in 0..folds {
        let (lo, hi) = (f * x.n / folds, (f + 1) * x.n / folds);
        let test: Vec<usize> = (lo..hi).collect();
        let xv = x.rows(&test);
        for l in 0..points {
            let pred = xv.apply(&w[f * points + l]);
            errs[l][f] =
                pred.iter().zip(&test).map(|(a, &i)| (a - y[i]).powi(2)).sum::<f64>() / test.len().max(1) as f64;
        }
    }
    let cv_mean: Vec<f64> = errs.iter().map(|e| e.iter().sum::<f64>() / folds as f64).collect();
    let cv_se: Vec<f64> = errs
        .iter()
        .zip(&cv_mean)
        .map(|(e, m)| (e.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (folds * (folds - 1)) as f64).sqrt())
        .collect();
    let chosen = (0..points).min_by(|&a, &b| cv_mean[a].total_cmp(&cv_mean[b])).unwrap_or(0);
    let path = w[folds * points..(folds + 1) * points].to_vec();
    LassoFit { lambdas: lambdas.to_vec(), path, cv_mean, cv_se, chosen, passes: iterations }
}

/// A cross-validated Lasso on the GPU, in rounds (a page step runs one).
pub struct GpuCv {
    x: Design,
    y: Vec<f64>,
    folds: usize,
    lambdas: Vec<f64>,
    batch: FistaBatch,
}

impl GpuCv {
    pub async fn new(
        ctx: Rc<GpuContext>,
        x: Design,
        y: Vec<f64>,
        folds: usize,
        points: usize,
        ratio: f64,
    ) -> Result<Self> {
        let lambdas = lambda_grid(&x, &y, points, ratio);
        let problems = cv_problems(&x, &lambdas, folds);
        let batch = FistaBatch::new(ctx, &x, &y, &problems, FISTA_TOL, FISTA_MAX_ITER).await?;
        Ok(Self { x, y, folds, lambdas, batch })
    }

    /// One round; the fit once every problem has stopped.
    pub async fn advance(&mut self) -> Result<Option<LassoFit>> {
        if !self.batch.round(ROUND).await? {
            return Ok(None);
        }
        let w = self.batch.solutions().await?;
        crate::error::ensure_finite("w", w.iter().flatten().copied())?;
        let iterations = self.batch.stopped.as_ref().map_or(0, |s| s.iter().map(|s| s.iter as usize).sum());
        Ok(Some(cv_fit(&self.x, &self.y, &self.lambdas, self.folds, &w, iterations)))
    }
}
