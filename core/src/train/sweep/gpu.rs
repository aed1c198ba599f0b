//! The GPU sweep: every net of a sweep in one dispatch of the one-workgroup kernel
//! (`shaders/train/sgd_epoch.wgsl`), workgroup w training net w — its row of the net table holds its
//! hyperparameters, its layer table and where its data, order, θ, gradient scratch and optimizer moments
//! start in buffers all nets share. θ and the moments stay on the device; a round dispatches a slice of
//! epochs of every net (each dispatch one epoch of each, split into bounded runs of steps), then reads all
//! θ back at once into the nets' CPU trainers, which draw the epoch orders, check divergence and make the
//! frames in f64 — as the single-run GPU trainer does for one net, so a sweep's net k is that trainer's run
//! of net k's parameters (a test holds them together).

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::rc::Rc;

use super::Net;
use crate::error::{Error, Result};
use crate::gpu::GpuContext;
use crate::train::gpu::{f32s, fits_one_workgroup, NetRow, MAX_DISPATCH_WORK, SGD_EPOCH_SHADER};
use crate::train::Trainer;

/// Largest Σ over nets of steps × B × P in one dispatch: the single run's bound times the nets a dispatch
/// may hold side by side (a GPU runs their workgroups in parallel; the bound keeps a software adapter's or a
/// browser's watchdog from firing).
const MAX_SWEEP_DISPATCH_WORK: usize = 64 * MAX_DISPATCH_WORK;

/// Why a net cannot train in the GPU sweep, if it cannot.
pub(super) fn unfit(t: &Trainer) -> Option<String> {
    let c = &t.config;
    if c.elr.is_some() || c.ewc.is_some() || c.forward_correction.is_some() {
        return Some("early-learning regularization trains on the CPU only".into());
    }
    (!fits_one_workgroup(&t.architecture().widths(), t.batch_size())).then(|| {
        format!(
            "the GPU sweep's kernel takes widths ≤ {} (inputs and outputs included), ≤ {} hidden layers and batches ≤ {}",
            crate::train::gpu::MAX_GPU_WIDTH,
            crate::train::gpu::MAX_GPU_LAYERS - 1,
            crate::train::gpu::MAX_GPU_BATCH
        )
    })
}

/// The device buffers of a sweep and each member net's row.
pub(super) struct GpuSweep {
    ctx: Rc<GpuContext>,
    x: wgpu::Buffer,
    y: wgpu::Buffer,
    theta: wgpu::Buffer,
    scratch: wgpu::Buffer,
    m: wgpu::Buffer,
    v: wgpu::Buffer,
    /// (index into the sweep's nets, its row template, steps it has taken on the device).
    members: Vec<(usize, NetRow, u64)>,
    theta_len: usize,
}

/// Where `values` already lie in `all` (the same numbers, found by hash then compared), or appends them;
/// returns the offset. Nets of one seed share their data.
fn place(all: &mut Vec<f32>, seen: &mut HashMap<u64, Vec<(usize, usize)>>, values: &[f64]) -> usize {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    values.len().hash(&mut h);
    values.iter().for_each(|v| v.to_bits().hash(&mut h));
    let key = h.finish();
    let floats = f32s(values);
    if let Some(&(off, _)) = seen
        .get(&key)
        .and_then(|c| c.iter().find(|&&(off, len)| len == floats.len() && all[off..off + len] == floats[..]))
    {
        return off;
    }
    let off = all.len();
    all.extend_from_slice(&floats);
    seen.entry(key).or_default().push((off, floats.len()));
    off
}

impl GpuSweep {
    /// Uploads the data, θ and zeroed moments of every net that has a trainer (the others are done or
    /// could not start).
    pub fn new(ctx: Rc<GpuContext>, nets: &[Net]) -> Result<Self> {
        let (mut xs, mut ys, mut thetas) = (Vec::new(), Vec::new(), Vec::new());
        let (mut seen_x, mut seen_y) = (HashMap::new(), HashMap::new());
        let mut scratch_len = 0usize;
        let mut members = Vec::new();
        for (k, net) in nets.iter().enumerate() {
            let Some(t) = net.trainer.as_ref() else { continue };
            let mut row = NetRow::of(t);
            row.x_off = place(&mut xs, &mut seen_x, &t.data().x) as u32;
            let targets = t.targets();
            row.y_off = place(&mut ys, &mut seen_y, if targets.is_empty() { &[0.0] } else { targets }) as u32;
            row.theta_off = thetas.len() as u32;
            thetas.extend(f32s(t.params()));
            row.scratch_off = scratch_len as u32;
            scratch_len += t.batch_size() * t.params().len();
            members.push((k, row, 0));
        }
        let too_big = |what: &str, len: usize| -> Result<()> {
            if len > u32::MAX as usize / 2 {
                return Err(Error::Invalid {
                    name: "seeds",
                    message: format!(
                        "the sweep's {what} ({len} f32) does not fit a 32-bit index: fewer nets, or the CPU"
                    ),
                });
            }
            ctx.check_storage_size(
                || format!("the GPU sweep's {what} ({len} f32; fewer nets, or the CPU)"),
                len as u64 * 4,
            )
        };
        too_big("training inputs", xs.len())?;
        too_big("targets", ys.len())?;
        too_big("weights", thetas.len())?;
        too_big("gradient scratch", scratch_len)?;
        let theta_len = thetas.len();
        Ok(Self {
            x: ctx.upload("sweep x", &xs),
            y: ctx.upload("sweep y", &ys),
            theta: ctx.upload("sweep theta", &thetas),
            scratch: ctx.storage("sweep scratch", scratch_len as u64 * 4),
            m: ctx.upload("sweep m", &vec![0f32; theta_len]),
            v: ctx.upload("sweep v", &vec![0f32; theta_len]),
            ctx,
            members,
            theta_len,
        })
    }

    /// Trains every unfinished member `epochs` more epochs (or to its end) on the device and writes the new
    /// θ into its trainer (a net whose weights ran away goes back to its last finite θ and stops as
    /// diverged). Returns the updates made.
    pub async fn round(&mut self, nets: &mut [Net], epochs: u64) -> Result<u64> {
        // Per member: this round's epochs and their orders (drawn by its CPU trainer, as the solo run does).
        let mut plan: Vec<(usize, u64, Vec<u32>)> = Vec::new();
        for (m, &(k, _, _)) in self.members.iter().enumerate() {
            let Some(t) = nets[k].trainer.as_mut() else { continue };
            if t.stopped().is_some() || t.measuring() || t.steps() >= t.total_steps() {
                continue;
            }
            let spe = t.steps_per_epoch().max(1);
            let e = epochs.min((t.total_steps() - t.steps()) / spe).max(1);
            let mut order = Vec::new();
            for _ in 0..e {
                order.extend(t.next_epoch_order().into_iter().map(|r| r as u32));
            }
            plan.push((m, e, order));
        }
        if plan.is_empty() {
            return Ok(0);
        }
        let mut orders = Vec::new();
        let mut order_off = Vec::with_capacity(plan.len());
        for (_, _, o) in &plan {
            order_off.push(orders.len());
            orders.extend_from_slice(o);
        }
        let max_epochs = plan.iter().map(|p| p.1).max().unwrap_or(0);
        let work_per_step: usize = plan
            .iter()
            .map(|&(m, _, _)| {
                let r = &self.members[m].1;
                (r.batch as usize * r.p as usize).max(1)
            })
            .sum();
        let chunk = (MAX_SWEEP_DISPATCH_WORK / work_per_step.max(1)).max(1);
        let mut plan_of = vec![None; self.members.len()];
        for (i, p) in plan.iter().enumerate() {
            plan_of[p.0] = Some(i);
        }
        let ctx = Rc::clone(&self.ctx);
        let clock = web_time::Instant::now();
        let members = &self.members;
        let (x, y, theta, scratch, mv) = (&self.x, &self.y, &self.theta, &self.scratch, (&self.m, &self.v));
        ctx.scoped(|| {
            let order_buf = ctx.upload("sweep order", &orders);
            let pipeline = ctx.pipeline(SGD_EPOCH_SHADER, "sgd_epoch");
            let mut encoder = ctx.device().create_command_encoder(&Default::default());
            let mut keep = Vec::new();
            // One epoch of every member per pass over `first`, in runs of at most `chunk` steps.
            for e in 0..max_epochs {
                let mut first = 0u32;
                loop {
                    let mut rows = Vec::with_capacity(members.len());
                    let mut any = false;
                    for (m, &(_, row, done)) in members.iter().enumerate() {
                        let mut r = NetRow { steps: 0, ..row };
                        if let Some(i) = plan_of[m].filter(|&i| e < plan[i].1) {
                            let len = plan[i].2.len() as u32 / plan[i].1 as u32;
                            let spe = len.div_ceil(row.batch.max(1));
                            let steps = (chunk as u32).min(spe.saturating_sub(first));
                            any |= steps > 0;
                            r = NetRow {
                                steps,
                                step0: first,
                                rows: len,
                                order_off: (order_off[i] + e as usize * len as usize) as u32,
                                t0: (done + e * u64::from(spe)) as u32 + first,
                                ..row
                            };
                        }
                        rows.push(r);
                    }
                    if !any {
                        break;
                    }
                    let table = ctx.upload("sweep nets", &rows);
                    let bind = ctx.bind(
                        &pipeline,
                        &[(0, &table), (2, x), (3, y), (5, &order_buf), (6, theta), (7, scratch), (8, mv.0), (9, mv.1)],
                    );
                    {
                        let mut pass = encoder.begin_compute_pass(&Default::default());
                        pass.set_pipeline(&pipeline);
                        pass.set_bind_group(0, &bind, &[]);
                        pass.dispatch_workgroups(rows.len() as u32, 1, 1);
                    }
                    keep.push(table);
                    first += chunk as u32;
                }
            }
            ctx.queue().submit([encoder.finish()]);
        })
        .await?;
        let all = ctx.read_f32(&self.theta, self.theta_len).await?;
        let ms = clock.elapsed().as_secs_f64() * 1e3;
        let total_steps: u64 = plan
            .iter()
            .map(|&(m, e, _)| e * nets[self.members[m].0].trainer.as_ref().map_or(0, Trainer::steps_per_epoch))
            .sum();
        let mut updates = 0;
        for &(m, e, _) in &plan {
            let (k, row, done) = &mut self.members[m];
            let Some(t) = nets[*k].trainer.as_mut() else { continue };
            let steps = e * t.steps_per_epoch();
            let off = row.theta_off as usize;
            let before = t.params().to_vec();
            // The round's time, shared by the nets in proportion to their steps.
            let share = ms * steps as f64 / total_steps.max(1) as f64;
            t.set_state(all[off..off + before.len()].iter().map(|&v| f64::from(v)).collect(), steps, share);
            if t.diverged() {
                t.set_state(before, 0, 0.0);
                t.stop(crate::frame::StopReason::Divergence);
            }
            // The learning rate of a schedule moves between rounds, as between the solo run's dispatches.
            row.lr = t.current_lr() as f32;
            *done += steps;
            updates += steps;
        }
        Ok(updates)
    }
}
