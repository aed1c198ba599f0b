//! The GPU runtime: one adapter and device (native: Vulkan or GL, Mesa lavapipe included; web: WebGPU),
//! its info and limits, buffer upload/readback, and a pipeline cache keyed by shader and entry point.
//! Kernels live in `shaders/` and are loaded here as [`Shader`] constants.
//!
//! Invariants: data stays on the device between iterations (callers keep [`wgpu::Buffer`]s); only what a
//! frame shows is read back; every WGSL kernel fits the browser's limits (≤ 256 invocations per
//! workgroup, ≤ 8 storage buffers per stage); a GPU failure is an [`Error`], never a panic.

pub mod reduce;

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use wgpu::util::DeviceExt;

use crate::error::{Error, Result};

/// A WGSL source file from `shaders/`, named by its path (the pipeline-cache key).
#[derive(Debug, Clone, Copy)]
pub struct Shader {
    pub path: &'static str,
    pub source: &'static str,
}

/// `shaders/reduce/reduce.wgsl`: two-stage sum / max / LSE per row or column.
pub const REDUCE_SHADER: Shader =
    Shader { path: "reduce/reduce.wgsl", source: include_str!("../../../shaders/reduce/reduce.wgsl") };

/// The limits a lab needs to size its work, copied from the device.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LimitSummary {
    pub max_storage_buffer_binding_size: u64,
    pub max_buffer_size: u64,
    pub max_storage_buffers_per_shader_stage: u32,
    pub max_compute_invocations_per_workgroup: u32,
    pub max_compute_workgroup_size_x: u32,
    pub max_compute_workgroups_per_dimension: u32,
    pub max_compute_workgroup_storage_size: u32,
}

impl From<&wgpu::Limits> for LimitSummary {
    fn from(l: &wgpu::Limits) -> Self {
        Self {
            max_storage_buffer_binding_size: l.max_storage_buffer_binding_size,
            max_buffer_size: l.max_buffer_size,
            max_storage_buffers_per_shader_stage: l.max_storage_buffers_per_shader_stage,
            max_compute_invocations_per_workgroup: l.max_compute_invocations_per_workgroup,
            max_compute_workgroup_size_x: l.max_compute_workgroup_size_x,
            max_compute_workgroups_per_dimension: l.max_compute_workgroups_per_dimension,
            max_compute_workgroup_storage_size: l.max_compute_workgroup_storage_size,
        }
    }
}

/// What the adapter says about itself, for the UI banner and `regula device`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdapterSummary {
    /// Adapter name ("llvmpipe (LLVM 15.0.6, 256 bits)", "SwiftShader Device", …); may be empty on the web.
    pub name: String,
    /// Graphics API: "Vulkan", "Gl", "BrowserWebGpu", …
    pub api: String,
    /// "Cpu" for software rasterisers (lavapipe, SwiftShader), "DiscreteGpu", …
    pub device_type: String,
    pub driver: String,
    pub driver_info: String,
    pub limits: LimitSummary,
}

impl AdapterSummary {
    /// A short label for the banner, e.g. "WebGPU · SwiftShader Device" or "Vulkan · llvmpipe".
    pub fn label(&self) -> String {
        let api = match self.api.as_str() {
            "BrowserWebGpu" => "WebGPU",
            other => other,
        };
        let name = if self.name.is_empty() { "unnamed adapter" } else { &self.name };
        format!("{api} · {name}")
    }

    /// A software adapter: the GPU emulated on the CPU (lavapipe, SwiftShader, WARP). Its kernels are
    /// correct but slower than the CPU paths beside them, which use the same cores without the emulation.
    pub fn is_software(&self) -> bool {
        let name = self.name.to_lowercase();
        self.device_type == "Cpu"
            || ["swiftshader", "llvmpipe", "lavapipe", "basic render driver"].iter().any(|n| name.contains(n))
    }
}

/// Yields to the host between pipeline compiles ([`GpuContext::set_pacer`]; the page passes "the next
/// animation frame").
pub type Pacer = Rc<dyn Fn() -> std::pin::Pin<Box<dyn std::future::Future<Output = ()>>>>;

/// An open GPU device with its queue, limits and compiled pipelines.
///
/// Cheap to share: hold it in an `Rc`. Not `Send` on the web (WebGPU objects live on one thread).
pub struct GpuContext {
    device: wgpu::Device,
    queue: wgpu::Queue,
    summary: AdapterSummary,
    limits: wgpu::Limits,
    pipelines: RefCell<HashMap<(&'static str, &'static str), wgpu::ComputePipeline>>,
    /// Set by the device-lost callback (or [`GpuContext::simulate_device_loss`]).
    lost: Arc<Mutex<Option<String>>>,
    /// The last error no error scope caught (wgpu would otherwise panic on it natively).
    uncaptured: Arc<Mutex<Option<String>>>,
    /// Fault injection: this many of the next buffer allocations fail ([`Self::simulate_allocation_failures`]).
    failing_allocations: std::cell::Cell<u32>,
    pacer: RefCell<Option<Pacer>>,
}

/// "vendor architecture description" from `navigator.gpu.requestAdapter()`'s `info` (e.g. "google
/// swiftshader"), for the banner and [`AdapterSummary::is_software`].
#[cfg(target_arch = "wasm32")]
async fn browser_adapter_name() -> Option<String> {
    use wasm_bindgen::JsCast;
    let get = |target: &wasm_bindgen::JsValue, key: &str| js_sys::Reflect::get(target, &key.into()).ok();
    let navigator = get(&js_sys::global(), "navigator")?;
    let gpu = get(&navigator, "gpu").filter(|g| !g.is_undefined())?;
    let request: js_sys::Function = get(&gpu, "requestAdapter")?.dyn_into().ok()?;
    let promise: js_sys::Promise = request.call0(&gpu).ok()?.dyn_into().ok()?;
    let adapter = wasm_bindgen_futures::JsFuture::from(promise).await.ok().filter(|a| !a.is_null())?;
    let info = get(&adapter, "info")?;
    let parts: Vec<String> = ["vendor", "architecture", "description"]
        .into_iter()
        .filter_map(|k| get(&info, k).and_then(|v| v.as_string()).filter(|s| !s.is_empty()))
        .collect();
    (!parts.is_empty()).then(|| parts.join(" "))
}

/// Bind-group entries with each buffer bound whole.
fn whole_buffers<'a>(buffers: &[(u32, &'a wgpu::Buffer)]) -> Vec<wgpu::BindGroupEntry<'a>> {
    buffers
        .iter()
        .map(|(binding, buffer)| wgpu::BindGroupEntry { binding: *binding, resource: buffer.as_entire_binding() })
        .collect()
}

impl GpuContext {
    /// Acquires the default adapter (high performance preferred) and opens a device with the adapter's
    /// own limits, so large labs can use the full storage-buffer size the hardware allows.
    pub async fn new() -> Result<Rc<Self>> {
        #[cfg(target_arch = "wasm32")]
        if !wgpu::util::is_browser_webgpu_supported().await {
            return Err(Error::NoAdapter("WebGPU is unavailable in this browser".to_owned()));
        }
        let instance = wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle_from_env());
        let adapter = instance
            .request_adapter(&wgpu::RequestAdapterOptions {
                power_preference: wgpu::PowerPreference::HighPerformance,
                ..Default::default()
            })
            .await
            .map_err(|e| Error::NoAdapter(e.to_string()))?;
        let info = adapter.get_info();
        let limits = adapter.limits();
        let (device, queue) = adapter
            .request_device(&wgpu::DeviceDescriptor {
                label: Some("regula"),
                required_limits: limits.clone(),
                ..Default::default()
            })
            .await
            .map_err(|e| Error::DeviceRequest(e.to_string()))?;

        let lost = Arc::new(Mutex::new(None));
        let lost_slot = Arc::clone(&lost);
        device.set_device_lost_callback(move |reason, message| {
            if let Ok(mut slot) = lost_slot.lock() {
                *slot = Some(format!("{reason:?}: {message}"));
            }
        });
        let uncaptured = Arc::new(Mutex::new(None));
        let uncaptured_slot = Arc::clone(&uncaptured);
        device.on_uncaptured_error(Arc::new(move |e: wgpu::Error| {
            if let Ok(mut slot) = uncaptured_slot.lock() {
                *slot = Some(e.to_string());
            }
        }));

        #[cfg(target_arch = "wasm32")]
        let name = match info.name.is_empty() {
            // wgpu passes on only GPUAdapterInfo.description, which Chromium leaves empty: ask the browser.
            true => browser_adapter_name().await.unwrap_or_default(),
            false => info.name.clone(),
        };
        #[cfg(not(target_arch = "wasm32"))]
        let name = info.name.clone();
        let summary = AdapterSummary {
            name,
            api: format!("{:?}", info.backend),
            device_type: format!("{:?}", info.device_type),
            driver: info.driver.clone(),
            driver_info: info.driver_info.clone(),
            limits: LimitSummary::from(&limits),
        };
        Ok(Rc::new(Self {
            device,
            queue,
            summary,
            limits,
            pipelines: RefCell::new(HashMap::new()),
            lost,
            uncaptured,
            failing_allocations: std::cell::Cell::new(0),
            pacer: RefCell::new(None),
        }))
    }

    pub fn summary(&self) -> &AdapterSummary {
        &self.summary
    }

    pub fn limits(&self) -> &wgpu::Limits {
        &self.limits
    }

    pub fn device(&self) -> &wgpu::Device {
        &self.device
    }

    pub fn queue(&self) -> &wgpu::Queue {
        &self.queue
    }

    /// Fails with [`Error::ExceedsGpuLimit`] when `bytes` does not fit one storage binding.
    pub fn check_storage_size(&self, what: impl FnOnce() -> String, bytes: u64) -> Result<()> {
        let limit = self.limits.max_storage_buffer_binding_size.min(self.limits.max_buffer_size);
        if bytes > limit {
            return Err(Error::ExceedsGpuLimit { what: what(), bytes, limit });
        }
        Ok(())
    }

    /// Errors recorded since the last call: a lost device, or an error no scope caught.
    pub fn health(&self) -> Result<()> {
        if let Some(reason) = self.lost.lock().ok().and_then(|s| s.clone()) {
            return Err(Error::DeviceLost(reason));
        }
        if let Some(message) = self.uncaptured.lock().ok().and_then(|mut s| s.take()) {
            return Err(Error::Gpu(message));
        }
        Ok(())
    }

    /// Why the device was lost, once it has been (the driver's callback or the test hook).
    pub fn lost_reason(&self) -> Option<String> {
        self.lost.lock().ok().and_then(|s| s.clone())
    }

    /// Test hook for fault injection: marks the device lost, as the driver would. Every later operation
    /// returns [`Error::DeviceLost`]; the caller falls back to the CPU or asks for a reset.
    pub fn simulate_device_loss(&self) {
        if let Ok(mut slot) = self.lost.lock() {
            *slot = Some("simulated by a test hook".to_owned());
        }
    }

    /// Test hook for fault injection: the next `count` buffer allocations fail as a refused allocation
    /// does — each asks the device for one byte more than its largest buffer, so wgpu itself raises the
    /// error (caught by [`Self::scoped`] or recorded for [`Self::health`]), and nothing is allocated.
    pub fn simulate_allocation_failures(&self, count: u32) {
        self.failing_allocations.set(count);
    }

    /// The refused allocation of the hook above, when one is due.
    fn injected_failure(&self, label: &str, usage: wgpu::BufferUsages) -> Option<wgpu::Buffer> {
        let due = self.failing_allocations.get();
        (due > 0).then(|| {
            self.failing_allocations.set(due - 1);
            self.device.create_buffer(&wgpu::BufferDescriptor {
                label: Some(label),
                size: self.limits.max_buffer_size + 4,
                usage,
                mapped_at_creation: false,
            })
        })
    }

    /// A storage buffer holding `data` (usable as kernel input, copy source and copy destination).
    pub fn upload_f32(&self, label: &str, data: &[f32]) -> wgpu::Buffer {
        self.upload(label, data)
    }

    /// A storage buffer holding any plain data (u32 indices, say); an empty slice gets 4 zero bytes, since
    /// zero-sized bindings are invalid.
    pub fn upload<T: bytemuck::Pod>(&self, label: &str, data: &[T]) -> wgpu::Buffer {
        let bytes: &[u8] = bytemuck::cast_slice(data);
        let usage = wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC | wgpu::BufferUsages::COPY_DST;
        if let Some(refused) = self.injected_failure(label, usage) {
            return refused;
        }
        self.device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: Some(label),
            contents: if bytes.is_empty() { &[0; 4] } else { bytes },
            usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC | wgpu::BufferUsages::COPY_DST,
        })
    }

    /// An uninitialised storage buffer of `bytes` bytes (at least 4: zero-sized bindings are invalid).
    pub fn storage(&self, label: &str, bytes: u64) -> wgpu::Buffer {
        let usage = wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC | wgpu::BufferUsages::COPY_DST;
        if let Some(refused) = self.injected_failure(label, usage) {
            return refused;
        }
        self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some(label),
            size: bytes.max(4),
            usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        })
    }

    /// A uniform buffer holding a `Pod` parameter block.
    pub fn uniform<T: bytemuck::Pod>(&self, label: &str, value: &T) -> wgpu::Buffer {
        self.device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: Some(label),
            contents: bytemuck::bytes_of(value),
            usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
        })
    }

    /// The compute pipeline for `entry` in `shader`, compiled once and cached.
    pub fn pipeline(&self, shader: Shader, entry: &'static str) -> wgpu::ComputePipeline {
        if let Some(p) = self.pipelines.borrow().get(&(shader.path, entry)) {
            return p.clone();
        }
        let module = self.device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some(shader.path),
            source: wgpu::ShaderSource::Wgsl(shader.source.into()),
        });
        let pipeline = self.device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
            label: Some(entry),
            layout: None,
            module: &module,
            entry_point: Some(entry),
            compilation_options: Default::default(),
            cache: None,
        });
        self.pipelines.borrow_mut().insert((shader.path, entry), pipeline.clone());
        pipeline
    }

    /// Sets what [`Self::pipeline_paced`] awaits after each new compile.
    pub fn set_pacer(&self, pacer: Pacer) {
        *self.pacer.borrow_mut() = Some(pacer);
    }

    /// As [`Self::pipeline`], for steppers being built: a pipeline not yet cached is compiled inside an
    /// error scope (a failed compile is a typed error) and followed by the pacer's yield. In the browser
    /// each compile runs on the GPU process's main thread, which the compositor waits on: a lab's kernels
    /// compiled back to back held one frame for their sum (183 ms measured for OT's six on SwiftShader);
    /// one compile per animation frame holds each frame for one.
    pub async fn pipeline_paced(&self, shader: Shader, entry: &'static str) -> Result<wgpu::ComputePipeline> {
        if let Some(p) = self.pipelines.borrow().get(&(shader.path, entry)) {
            return Ok(p.clone());
        }
        let pipeline = self.scoped(|| self.pipeline(shader, entry)).await?;
        let pacer = self.pacer.borrow().clone();
        if let Some(pace) = pacer {
            pace().await;
        }
        Ok(pipeline)
    }

    /// Number of cached pipelines (for tests of the cache).
    pub fn cached_pipelines(&self) -> usize {
        self.pipelines.borrow().len()
    }

    /// A bind group for `pipeline`'s group 0 with `buffers` at bindings 0, 1, 2, … in order.
    pub fn bind(&self, pipeline: &wgpu::ComputePipeline, buffers: &[(u32, &wgpu::Buffer)]) -> wgpu::BindGroup {
        self.bind_entries(pipeline, whole_buffers(buffers))
    }

    /// As [`Self::bind`], with binding `window.0` seeing only bytes `window.2 .. window.2 + window.3` of
    /// buffer `window.1` (the offset a multiple of the adapter's storage offset alignment).
    pub fn bind_window(
        &self,
        pipeline: &wgpu::ComputePipeline,
        buffers: &[(u32, &wgpu::Buffer)],
        window: (u32, &wgpu::Buffer, u64, u64),
    ) -> wgpu::BindGroup {
        let (binding, buffer, offset, size) = window;
        let mut entries = whole_buffers(buffers);
        entries.push(wgpu::BindGroupEntry {
            binding,
            resource: wgpu::BindingResource::Buffer(wgpu::BufferBinding {
                buffer,
                offset,
                size: wgpu::BufferSize::new(size),
            }),
        });
        self.bind_entries(pipeline, entries)
    }

    fn bind_entries(&self, pipeline: &wgpu::ComputePipeline, entries: Vec<wgpu::BindGroupEntry>) -> wgpu::BindGroup {
        self.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: None,
            layout: &pipeline.get_bind_group_layout(0),
            entries: &entries,
        })
    }

    /// Workgroup grid for `groups` workgroups: (x, y) with x ≤ the per-dimension limit. Kernels flatten
    /// the id as `id.x + id.y · num_workgroups.x` and ignore ids ≥ `groups`.
    pub fn grid(&self, groups: u32) -> Result<(u32, u32)> {
        let per_dim = self.limits.max_compute_workgroups_per_dimension.max(1);
        let x = groups.clamp(1, per_dim);
        let y = groups.div_ceil(x).max(1);
        if y > per_dim {
            return Err(Error::ExceedsGpuLimit {
                what: format!("a dispatch of {groups} workgroups"),
                bytes: u64::from(groups),
                limit: u64::from(per_dim) * u64::from(per_dim),
            });
        }
        Ok((x, y))
    }

    /// Reads `len` f32 values from the start of `buffer` back to the host (copy to a staging buffer, map,
    /// await). On the web the await yields to the browser; natively it blocks on `device.poll`.
    pub async fn read_f32(&self, buffer: &wgpu::Buffer, len: usize) -> Result<Vec<f32>> {
        Ok(self.read_many(&[(buffer, len)]).await?.pop().unwrap_or_default())
    }

    /// Reads the first `len` f32 values of each buffer in one transfer: every part is copied into one
    /// staging buffer and mapped once (one round trip to the device instead of one per buffer).
    pub async fn read_many(&self, parts: &[(&wgpu::Buffer, usize)]) -> Result<Vec<Vec<f32>>> {
        self.health()?;
        let total: usize = parts.iter().map(|(_, len)| len).sum();
        let bytes = (total as u64 * 4).max(4);
        let staging = self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("readback"),
            size: bytes,
            usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let mut encoder = self.device.create_command_encoder(&Default::default());
        let mut offset = 0u64;
        for (buffer, len) in parts {
            if *len > 0 {
                encoder.copy_buffer_to_buffer(buffer, 0, &staging, offset, *len as u64 * 4);
            }
            offset += *len as u64 * 4;
        }
        self.queue.submit([encoder.finish()]);

        let (tx, rx) = futures_channel::oneshot::channel();
        staging.slice(..).map_async(wgpu::MapMode::Read, move |result| {
            let _ = tx.send(result);
        });
        #[cfg(not(target_arch = "wasm32"))]
        self.device
            .poll(wgpu::PollType::wait_indefinitely())
            .map_err(|e| Error::Gpu(format!("waiting for the GPU failed: {e}")))?;
        let mapped = rx.await.map_err(|_| Error::Gpu("the readback was cancelled".to_owned()))?;
        mapped.map_err(|e| Error::Gpu(format!("mapping the readback buffer failed: {e}")))?;
        self.health()?;
        let values = {
            let view = staging
                .slice(..)
                .get_mapped_range()
                .map_err(|e| Error::Gpu(format!("reading the mapped buffer failed: {e}")))?;
            let all = bytemuck::cast_slice::<u8, f32>(&view);
            let mut at = 0;
            parts
                .iter()
                .map(|(_, len)| {
                    let part = all[at..at + len].to_vec();
                    at += len;
                    part
                })
                .collect()
        };
        staging.unmap();
        Ok(values)
    }

    /// Runs `f` inside validation and out-of-memory error scopes and turns a caught error into
    /// [`Error::Gpu`] (an allocation the device refuses, say) instead of wgpu's default panic.
    pub async fn scoped<T>(&self, f: impl FnOnce() -> T) -> Result<T> {
        self.health()?;
        let oom = self.device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
        let validation = self.device.push_error_scope(wgpu::ErrorFilter::Validation);
        let value = f();
        // Pop both scopes before the first await: popping is what must stay LIFO on the device, and an
        // await between the pops would let another task (a second lab's step) push its own scopes in
        // between — wgpu panics on the mismatch. The results are awaited afterwards.
        let validation_error = validation.pop();
        let oom_error = oom.pop();
        let (validation_error, oom_error) = (validation_error.await, oom_error.await);
        if let Some(e) = oom_error {
            return Err(Error::Gpu(format!("out of GPU memory: {e}")));
        }
        if let Some(e) = validation_error {
            return Err(Error::Gpu(e.to_string()));
        }
        Ok(value)
    }
}
