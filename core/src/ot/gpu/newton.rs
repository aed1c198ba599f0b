//! SNS on the GPU: per Newton step the device streams P twice — by rows (row sums and the k largest
//! entries per row) and by columns (column sums) — and the host reads back only those n + m sums and n·k
//! entries; the direction, the Armijo test and the automatic density are [`crate::ot::sns`]'s, shared with
//! the CPU driver; each Armijo trial costs one pass for F's Σ P (one number read back).

use super::passes::Pass;
use super::{narrow, widen, GpuSinkhorn, Params, F32_FLOOR, GPU_CG_MAX_ITER, GPU_CG_RTOL, GPU_HALVINGS};
use crate::error::{Error, Result};
use crate::ot::sns::{armijo, direction, dot, gradient, grow_keep, share, Csr, NewtonReport};

/// Row sums, column sums and the k largest entries per row of P at the device's potentials: what one
/// Newton step of SNS reads back (n + m + 2·n·k numbers), also for tests against the CPU twin.
#[derive(Debug, Clone)]
pub struct NewtonSystem {
    pub f: Vec<f64>,
    pub g: Vec<f64>,
    pub row_sums: Vec<f64>,
    pub col_sums: Vec<f64>,
    /// Entries kept per row.
    pub k: usize,
    /// Row i's kept columns and values, largest first, at [i·k, (i + 1)·k).
    pub top_idx: Vec<u32>,
    pub top_val: Vec<f64>,
}

impl NewtonSystem {
    pub(crate) fn csr(&self) -> Csr {
        let n = self.row_sums.len();
        Csr {
            starts: (0..=n).map(|i| i * self.k).collect(),
            cols: self.top_idx.iter().map(|&j| j as usize).collect(),
            values: self.top_val.clone(),
        }
    }
}

/// SNS's extra passes (built only for `Method::Sns`).
pub(super) struct NewtonPasses {
    /// Row sums and top-k per row (f-side geometry): per (row, column block) a list, then a merge per row.
    pub(super) top: Pass,
    /// The per-block candidate lists `top` writes and merges (held for its bind groups).
    pub(super) _cand: wgpu::Buffer,
    /// Column sums into the g-side's error buffer; row sums (for F's Σ P) into the f-side's.
    pub(super) mass_g: Pass,
    pub(super) mass_f: Pass,
    pub(super) top_idx: wgpu::Buffer,
    pub(super) top_val: wgpu::Buffer,
    /// Entries kept per row now (the automatic density grows it up to the buffers' `capacity`).
    pub(super) k: usize,
    pub(super) capacity: usize,
    /// The top-k passes' parameters (`keep` = k) and their uniform buffer, rewritten when k grows.
    pub(super) top_params: Params,
    pub(super) p_top: wgpu::Buffer,
}

impl GpuSinkhorn {
    /// SNS's dense passes at the device's potentials: row sums and top-k per row, column sums. Under the
    /// automatic density, k doubles (up to the GPU's [`GPU_MAX_KEEP`]) and the passes run again while the
    /// kept entries hold less than [`crate::ot::sns::AUTO_KEPT_MASS`] of P's mass, as on the CPU.
    /// Fails with a typed error for log-sinkhorn (no Newton passes were built).
    pub async fn newton_system(&mut self) -> Result<NewtonSystem> {
        loop {
            let system = self.newton_system_at_k().await?;
            let Some(np) = self.newton_passes.as_mut() else { return Ok(system) };
            let (kept, total) = (system.top_val.iter().sum::<f64>(), system.row_sums.iter().sum::<f64>());
            let grown = if self.params.density.is_some() { None } else { grow_keep(np.k, np.capacity, kept, total) };
            let Some(k) = grown else { return Ok(system) };
            np.k = k;
            np.top_params.keep = np.k as u32;
            self.ctx.queue().write_buffer(&np.p_top, 0, bytemuck::bytes_of(&np.top_params));
            self.system = None;
        }
    }

    async fn newton_system_at_k(&mut self) -> Result<NewtonSystem> {
        if let Some(s) = &self.system {
            return Ok(s.clone());
        }
        let Some(np) = &self.newton_passes else {
            return Err(Error::Invalid { name: "method", message: "the Newton system exists for sns only".into() });
        };
        let mut encoder = self.ctx.device().create_command_encoder(&Default::default());
        np.top.encode(&mut encoder);
        np.mass_g.encode(&mut encoder);
        self.ctx.queue().submit([encoder.finish()]);
        let (n, m, k) = (self.a.len(), self.b.len(), np.k);
        // One transfer: row and column sums, the kept entries (u32 indices as f32 bit patterns), f and g.
        let mut parts = self
            .ctx
            .read_many(&[
                (&self.err_f, n),
                (&self.err_g, m),
                (&np.top_val, n * k),
                (&np.top_idx, n * k),
                (&self.f, n),
                (&self.g, m),
            ])
            .await?
            .into_iter();
        let mut next = || parts.next().unwrap_or_default();
        let (row_sums, col_sums, top_val) = (widen(&next()), widen(&next()), widen(&next()));
        let top_idx = next().iter().map(|x| x.to_bits()).collect();
        let (f, g) = (next(), next());
        let system = NewtonSystem { f: widen(&f), g: widen(&g), row_sums, col_sums, k, top_idx, top_val };
        self.system = Some(system.clone());
        Ok(system)
    }

    /// Σ P at potentials (f, g), written to the device first (one pass and one number read back).
    async fn mass_at(&mut self, f: &[f32], g: &[f32]) -> Result<f64> {
        self.system = None;
        self.readout = None;
        let np = self.newton_passes.as_ref().expect("SNS passes");
        self.ctx.queue().write_buffer(&self.f, 0, bytemuck::cast_slice(f));
        self.ctx.queue().write_buffer(&self.g, 0, bytemuck::cast_slice(g));
        let mut encoder = self.ctx.device().create_command_encoder(&Default::default());
        np.mass_f.encode(&mut encoder);
        self.row_sum.encode(&mut encoder);
        self.ctx.queue().submit([encoder.finish()]);
        Ok(f64::from(self.ctx.read_f32(self.row_sum.output(), 1).await?[0]))
    }

    /// One SNS Newton step from the device's potentials, [`crate::ot::sns`]'s step as the CPU driver takes
    /// it: returns the error at the starting iterate and whether the tolerance was met there (then nothing
    /// moves).
    pub(super) async fn newton_step(&mut self) -> Result<(f64, bool)> {
        let sys = self.newton_system().await?;
        let (n, m) = (self.a.len(), self.b.len());
        let eps = self.params.eps;
        let (grad, err) = gradient(&self.a, &self.b, &sys.row_sums, &sys.col_sums);
        if !err.is_finite() {
            return Ok((err, false));
        }
        // As for Sinkhorn: below f32's floor a tolerance is never claimed (the step loop says Stalled).
        if err <= self.params.tol && self.params.tol >= F32_FLOOR {
            return Ok((err, true));
        }
        if err <= F32_FLOOR {
            return Ok((err, false));
        }
        let mass: f64 = sys.row_sums.iter().sum();
        let value = dot(&self.a, &sys.f) + dot(&self.b, &sys.g) - eps * mass;
        let (d, slope, cg_iterations) = direction(
            &grad,
            &sys.csr(),
            &sys.row_sums,
            &sys.col_sums,
            eps,
            GPU_CG_RTOL,
            GPU_CG_MAX_ITER.min(4 * (n + m)),
        );
        // F is evaluated from an f32 Σ P (relative rounding ~1e-6): trials within that noise count as
        // ascent, so near the optimum the full Newton step is taken.
        let slack = 1e-5 * eps * mass.max(1.0);
        let (f0, g0) = (narrow(&sys.f), narrow(&sys.g));
        let mut alpha = 1.0;
        let mut accepted = false;
        if slope.is_finite() && slope > 0.0 {
            for _ in 0..GPU_HALVINGS {
                let f_try: Vec<f32> = sys.f.iter().zip(&d[..n]).map(|(x, di)| (x + alpha * di) as f32).collect();
                let g_try: Vec<f32> = sys.g.iter().zip(&d[n..]).map(|(x, di)| (x + alpha * di) as f32).collect();
                let mass = self.mass_at(&f_try, &g_try).await?;
                let v = dot(&self.a, &widen(&f_try)) + dot(&self.b, &widen(&g_try)) - eps * mass;
                if armijo(v - value, alpha, slope, slack) {
                    accepted = true;
                    break;
                }
                alpha *= 0.5;
            }
        }
        let nnz = sys.top_val.len() + n + m;
        let kept_mass = share(sys.top_val.iter().sum(), sys.row_sums.iter().sum());
        if !accepted {
            // The sparsified direction failed to ascend: back to the start, and a Sinkhorn step instead
            // (the CPU driver's safeguard); the frame shows step size 0.
            self.ctx.queue().write_buffer(&self.f, 0, bytemuck::cast_slice(&f0));
            self.ctx.queue().write_buffer(&self.g, 0, bytemuck::cast_slice(&g0));
            self.run_batch(1, false).await?;
            self.newton = Some(NewtonReport { step_size: 0.0, nnz, kept_mass, cg_iterations });
            return Ok((err, false));
        }
        self.newton = Some(NewtonReport { step_size: alpha, nnz, kept_mass, cg_iterations });
        Ok((err, false))
    }
}
