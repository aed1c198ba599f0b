//! A sweep in progress: its nets (each a [`Trainer`] of its cell's parameters), the phase diagram's cells,
//! and the stepper that advances them — round-robin on the CPU, or in GPU rounds ([`super::gpu`]) — with
//! the placement rule in [`Sweep::new`].

use std::sync::Mutex;

use web_time::Instant;

use super::{gpu, invalid, Axis, Cell, Params, Shard, Show};
use crate::backend::{Backend, BackendChoice};
use crate::error::Result;
use crate::frame::{Budget, Frame, Stepper, StopReason};
use crate::lab::sweep::{disjoint, SweepLab};
use crate::metrics as key;
use crate::train::Trainer;

/// One net of a sweep and where it stands.
pub struct Net {
    /// Its index in the whole grid.
    pub index: usize,
    pub ix: usize,
    pub iy: usize,
    pub seed_index: usize,
    pub(super) trainer: Option<Trainer>,
    /// Why the net could not run (its cell's parameters do not suit the data).
    pub error: Option<String>,
    /// Its latest frame.
    pub frame: Option<Frame>,
}

impl std::fmt::Debug for Net {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Net")
            .field("index", &self.index)
            .field("error", &self.error)
            .field("frame", &self.frame)
            .finish()
    }
}

impl Net {
    pub fn done(&self) -> bool {
        self.error.is_some() || self.frame.as_ref().is_some_and(|f| f.done)
    }

    pub fn diverged(&self) -> bool {
        self.frame.as_ref().is_some_and(|f| f.stop == Some(StopReason::Divergence))
    }

    pub fn metric(&self, name: &str) -> Option<f64> {
        self.frame.as_ref().and_then(|f| f.metric(name))
    }

    /// The value the phase diagram shows for this net.
    pub fn shown(&self, show: Show) -> Option<f64> {
        let over_threshold = |v: Option<f64>| Some(v? / self.metric(key::STABILITY_THRESHOLD)?);
        match show {
            Show::TestError => self.metric(key::TEST_ACCURACY).map(|a| 1.0 - a).or_else(|| self.metric(key::TEST_LOSS)),
            Show::TrainLoss => self.metric(key::TRAIN_LOSS),
            Show::Sharpness => over_threshold(self.metric(key::SHARPNESS)),
            Show::BatchBound => over_threshold(self.metric(key::BATCH_BOUND)),
        }
    }

    /// Trains `epochs` more epochs (or to its end) on the CPU and makes its frame.
    fn advance(&mut self, epochs: u64) {
        if let Some(t) = self.trainer.as_mut().filter(|_| !self.frame.as_ref().is_some_and(|f| f.done)) {
            t.run_updates(epochs.max(1) * t.steps_per_epoch().max(1));
        }
        self.make_frame();
    }

    /// The net's frame after its latest updates (the Hessian measured when due, on the CPU in f64).
    fn make_frame(&mut self) {
        let Some(t) = self.trainer.as_mut() else { return };
        if self.frame.as_ref().is_some_and(|f| f.done) {
            return;
        }
        let f = t.frame_after(Instant::now(), f64::INFINITY);
        if f.done {
            // A finished net keeps its frame; its data and weights are freed.
            self.trainer = None;
        }
        self.frame = Some(f);
    }
}

/// A sweep in progress (a [`Stepper`]).
pub struct Sweep {
    params: Params,
    nets: Vec<Net>,
    /// Epochs a net trains between its frames: the run's epochs over ~50, so a net is evaluated ~50 times.
    chunk: u64,
    /// The next net a timed step starts with (round-robin, so every net moves under a short budget).
    cursor: usize,
    updates: u64,
    /// Time in the nets' training (CPU: updates with their frames; GPU: the rounds on the device).
    train_ms: f64,
    elapsed_ms: f64,
    placement: String,
    /// The GPU sweep, when the nets train on the device.
    gpu: Option<gpu::GpuSweep>,
}

impl std::fmt::Debug for Sweep {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sweep").field("nets", &self.nets.len()).field("updates", &self.updates).finish()
    }
}

impl Sweep {
    /// The nets of `shard` of `params`' grid, each built from its own parameters (a net whose cell does not
    /// suit the data is marked with the reason; the others run).
    pub fn new(params: Params, shard: Shard, device: &Backend) -> Result<Self> {
        crate::lab::validate(&params)?;
        let mut nets: Vec<Net> = shard
            .range(params.len())
            .map(|k| {
                let (ix, iy, seed_index) = params.place(k);
                let p = params.net_params(k);
                let built = crate::lab::validate(&p).and_then(|()| params.trainer(&p));
                let (trainer, error) = match built {
                    Ok(t) => (Some(t), None),
                    Err(e) => (None, Some(e.to_string())),
                };
                Net { index: k, ix, iy, seed_index, trainer, error, frame: None }
            })
            .collect();
        let unfit: Vec<(usize, String)> =
            nets.iter().enumerate().filter_map(|(k, n)| Some((k, gpu::unfit(n.trainer.as_ref()?)?))).collect();
        let (gpu, placement) = match (params.train.backend, device) {
            (BackendChoice::Cpu, _) => (None, "CPU, f64".to_owned()),
            (BackendChoice::Gpu, Backend::Cpu { fallback }) => {
                return Err(invalid(
                    "backend",
                    format!(
                        "the GPU was asked for, but there is none{}",
                        fallback.as_ref().map(|f| format!(": {f}")).unwrap_or_default()
                    ),
                ))
            }
            (BackendChoice::Auto, Backend::Cpu { fallback }) => {
                (None, format!("CPU, f64{}", fallback.as_ref().map(|f| format!("; {f}")).unwrap_or_default()))
            }
            (BackendChoice::Auto, Backend::Gpu(ctx)) if ctx.summary().is_software() => {
                (None, "CPU, f64; software GPU, the CPU is faster".to_owned())
            }
            (BackendChoice::Auto, Backend::Gpu(_)) if !unfit.is_empty() => {
                (None, format!("CPU, f64; {} nets do not fit the GPU kernel: {}", unfit.len(), unfit[0].1))
            }
            (_, Backend::Gpu(ctx)) => {
                // Asked for the GPU: nets past the kernel's limits are marked, the others train on it.
                for (k, why) in unfit {
                    nets[k].trainer = None;
                    nets[k].error = Some(why);
                }
                let g = gpu::GpuSweep::new(std::rc::Rc::clone(ctx), &nets)?;
                (Some(g), "GPU, f32: one workgroup per net, all nets in one dispatch".to_owned())
            }
        };
        let chunk = (params.train.config.epochs as u64).div_ceil(50).max(1);
        Ok(Self { params, nets, chunk, cursor: 0, updates: 0, train_ms: 0.0, elapsed_ms: 0.0, placement, gpu })
    }

    /// True when the nets train on the GPU.
    pub fn on_gpu(&self) -> bool {
        self.gpu.is_some()
    }

    pub fn params(&self) -> &Params {
        &self.params
    }

    pub fn nets(&self) -> &[Net] {
        &self.nets
    }

    /// Net `k` of this sweep as a JSON record (the CLI's line per net): its place, values, seed and metrics.
    fn net_record(&self, net: &Net) -> serde_json::Value {
        let g = &self.params.sweep;
        let p = self.params.net_params(net.index);
        let mut r = serde_json::json!({
            "net": net.index,
            "x": g.x.name(),
            "x_value": g.x_values.get(net.ix),
            "seed": p.config.seed,
            "diverged": net.diverged(),
        });
        if g.y != Axis::None {
            r["y"] = g.y.name().into();
            r["y_value"] = g.y_values.get(net.iy).copied().into();
        }
        if let Some(e) = &net.error {
            r["error"] = e.clone().into();
        }
        if let Some(f) = &net.frame {
            for (k, v) in &f.metrics {
                r[k] = (*v).into();
            }
        }
        r["link"] = crate::lab::link::encode(&p).into();
        r
    }
}

impl crate::lab::sweep::Run for Sweep {
    fn cells(&self) -> Vec<Cell> {
        let nx = self.params.sweep.x_values.len();
        let mut cells = self.params.empty_cells();
        let mut values = Vec::new();
        for n in &self.nets {
            let c = n.iy * nx + n.ix;
            let cell = &mut cells[c];
            cell.members += 1;
            cell.done += usize::from(n.done());
            cell.diverged += usize::from(n.diverged());
            if cell.error.is_none() {
                cell.error.clone_from(&n.error);
            }
            cell.progress += n.metric(key::EPOCH).unwrap_or(0.0);
            if let Some(v) = n.shown(self.params.sweep.show).filter(|v| v.is_finite() && !n.diverged()) {
                values.push((c, v));
            }
        }
        crate::lab::sweep::fill_means(&mut cells, values);
        cells
    }
    fn placement(&self) -> &str {
        &self.placement
    }
    fn members(&self) -> usize {
        self.nets.len()
    }
    fn member_done(&self, i: usize) -> bool {
        self.nets.get(i).is_some_and(Net::done)
    }
    fn record(&self, i: usize) -> serde_json::Value {
        self.nets.get(i).map(|n| self.net_record(n)).unwrap_or_default()
    }
}

impl Stepper for Sweep {
    /// Advances the nets, `chunk` epochs each in turn (natively one net per worker thread at a time), until
    /// the budget is spent: a time budget (the page) goes round-robin from where the last step stopped; an
    /// iteration budget (the CLI, the tests) gives every unfinished net that many chunks.
    async fn step(&mut self, budget: Budget) -> Result<Frame> {
        if self.gpu.is_some() {
            return self.step_gpu(budget).await;
        }
        let start = Instant::now();
        let timed = budget.max_millis.is_finite();
        let rounds = if timed { u64::MAX } else { budget.max_iterations.max(1) };
        let threads = crate::cpu::pool::threads().max(1);
        let chunk = self.chunk;
        'rounds: for _ in 0..rounds {
            let mut order: Vec<usize> = (0..self.nets.len()).filter(|&k| !self.nets[k].done()).collect();
            if order.is_empty() {
                break;
            }
            let at = order.iter().position(|&k| k >= self.cursor).unwrap_or(0);
            order.rotate_left(at);
            for group in order.chunks(threads) {
                let before: u64 = group.iter().map(|&k| steps_of(&self.nets[k])).sum();
                let t = Instant::now();
                {
                    let slots: Vec<Mutex<&mut Net>> =
                        disjoint(&mut self.nets, group).into_iter().map(Mutex::new).collect();
                    crate::cpu::pool::map_parts(slots.len(), |i| {
                        if let Ok(mut n) = slots[i].lock() {
                            n.advance(chunk);
                        }
                    });
                }
                self.train_ms += t.elapsed().as_secs_f64() * 1e3;
                self.updates += group.iter().map(|&k| steps_of(&self.nets[k])).sum::<u64>() - before;
                self.cursor = group.last().map_or(0, |&k| k + 1);
                if timed && start.elapsed().as_secs_f64() * 1e3 >= budget.max_millis {
                    break 'rounds;
                }
            }
        }
        self.elapsed_ms += start.elapsed().as_secs_f64() * 1e3;
        Ok(self.frame())
    }
}

impl Sweep {
    /// GPU rounds (every unfinished net `chunk` epochs in one submission, θ read back once), each followed
    /// by the nets' frames on the CPU (over the worker pool natively), until the budget is spent.
    async fn step_gpu(&mut self, budget: Budget) -> Result<Frame> {
        let start = Instant::now();
        let timed = budget.max_millis.is_finite();
        let rounds = if timed { u64::MAX } else { budget.max_iterations.max(1) };
        for _ in 0..rounds {
            let Some(g) = self.gpu.as_mut() else { break };
            let t = Instant::now();
            let updates = g.round(&mut self.nets, self.chunk).await?;
            self.train_ms += t.elapsed().as_secs_f64() * 1e3;
            self.updates += updates;
            let open: Vec<usize> = (0..self.nets.len()).filter(|&k| !self.nets[k].done()).collect();
            let threads = crate::cpu::pool::threads().max(1);
            let mut all = disjoint(&mut self.nets, &open);
            let per = all.len().div_ceil(threads).max(1);
            let mut parts = Vec::new();
            while !all.is_empty() {
                let rest = all.split_off(per.min(all.len()));
                parts.push(Mutex::new(all));
                all = rest;
            }
            crate::cpu::pool::map_parts(parts.len(), |i| {
                if let Ok(mut ns) = parts[i].lock() {
                    ns.iter_mut().for_each(|n| n.make_frame());
                }
            });
            if updates == 0 || (timed && start.elapsed().as_secs_f64() * 1e3 >= budget.max_millis) {
                break;
            }
        }
        self.elapsed_ms += start.elapsed().as_secs_f64() * 1e3;
        Ok(self.frame())
    }
}

/// The updates net `n` has made.
fn steps_of(n: &Net) -> u64 {
    n.trainer.as_ref().map_or_else(|| n.frame.as_ref().map_or(0, |f| f.iteration), Trainer::steps)
}

impl Sweep {
    fn frame(&self) -> Frame {
        let done = self.nets.iter().filter(|n| n.done()).count();
        let diverged = self.nets.iter().filter(|n| n.diverged()).count();
        let failed = self.nets.iter().filter(|n| n.error.is_some()).count();
        let mut metrics = std::collections::BTreeMap::new();
        metrics.insert(key::SWEEP_NETS.to_owned(), self.nets.len() as f64);
        metrics.insert(key::SWEEP_DONE.to_owned(), done as f64);
        metrics.insert(key::SWEEP_DIVERGED.to_owned(), diverged as f64);
        metrics.insert(key::SWEEP_FAILED.to_owned(), failed as f64);
        metrics.insert(key::TRAIN_SECONDS.to_owned(), self.train_ms / 1e3);
        // Over the whole of the steps: updates, and the nets' frames (their f64 losses, the Hessian at the end).
        if self.elapsed_ms > 0.0 {
            metrics.insert(key::NET_STEPS_PER_SECOND.to_owned(), self.updates as f64 / (self.elapsed_ms / 1e3));
        }
        let all = done == self.nets.len();
        Frame {
            iteration: self.updates,
            metrics,
            elapsed_ms: self.elapsed_ms,
            done: all,
            converged: all && failed == 0,
            stop: all.then_some(StopReason::Completed),
            phase: Some(format!("{done} of {} nets done", self.nets.len())),
        }
    }
}

impl crate::lab::run::Runnable for Params {
    type Run = Sweep;
    fn start<'a>(&'a self, device: &'a Backend) -> crate::lab::run::LocalFuture<'a, Result<Vec<Sweep>>> {
        Box::pin(async move { Ok(vec![Sweep::new(self.clone(), Shard::WHOLE, device)?]) })
    }
}
