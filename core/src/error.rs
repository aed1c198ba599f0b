//! Typed errors: every public entry of `core` returns `Result<_, Error>`, and each message says what to
//! change. The UI shows them verbatim and the CLI prints them and exits non-zero.

use thiserror::Error;

/// Everything that can go wrong in `core`, in words a person can act on.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum Error {
    /// A size parameter is below its minimum (zero rows, say).
    #[error("`{name}` must be at least {min}, got {value}")]
    TooSmall { name: &'static str, value: i64, min: i64 },

    /// A size parameter is above a fixed maximum of the lab.
    #[error("`{name}` must be at most {max}, got {value}")]
    TooBig { name: &'static str, value: i64, max: i64 },

    /// The data would not fit in one GPU storage buffer of this adapter.
    #[error(
        "{what} needs {bytes} bytes in one GPU buffer, but this adapter allows at most {limit} bytes: \
         use a smaller size or the CPU backend"
    )]
    ExceedsGpuLimit { what: String, bytes: u64, limit: u64 },

    /// Input data holds NaN or ±∞.
    #[error("`{name}` holds a non-finite value (NaN or ±∞) at index {index}: clean the data first")]
    NonFinite { name: &'static str, index: usize },

    /// Input data has the wrong length for its stated shape.
    #[error("`{name}` has {got} values, but its shape needs {want}")]
    ShapeMismatch { name: &'static str, got: usize, want: usize },

    /// A parameter value that is not one of the accepted words.
    #[error("`{name}` cannot be `{value}`: choose one of {choices}")]
    UnknownChoice { name: &'static str, value: String, choices: String },

    /// A value outside what the method accepts, with the reason.
    #[error("`{name}` is invalid: {message}")]
    Invalid { name: &'static str, message: String },

    /// A CSV file could not be read; `line` is 1-based.
    #[error("{file}, line {line}: {message}")]
    Csv { file: String, line: usize, message: String },

    /// A run's configuration file (`--config FILE.toml`) could not be used; `line` is 1-based.
    #[error("{file}, line {line}: {message}")]
    Config { file: String, line: usize, message: String },

    /// A sketched matrix SA has a zero (to 1e-12 relative) diagonal in its R factor: it cannot precondition.
    #[error(
        "`m` is invalid: SA ({rows} × {cols}) is rank-deficient, so it cannot precondition: use a larger m \
         (or A itself is rank-deficient)"
    )]
    RankDeficient { rows: usize, cols: usize },

    /// Kernel-mode Sinkhorn would underflow: exp(−C/ε) is 0 in floating point for some entries.
    #[error(
        "kernel Sinkhorn underflows at eps = {eps}: C/eps reaches {ratio:.0} but exp(−x) is 0 beyond {limit:.0} \
         in this precision — use the log domain (method log-sinkhorn or sns), or a larger eps"
    )]
    KernelUnderflow { eps: f64, ratio: f64, limit: f64 },

    /// No GPU adapter could be acquired (no WebGPU in this browser, no Vulkan/GL driver natively).
    #[error("no GPU adapter: {0}")]
    NoAdapter(String),

    /// The adapter refused to create a device.
    #[error("the GPU refused to open a device: {0}")]
    DeviceRequest(String),

    /// The device was lost (driver reset, tab in background too long, test hook): reset to continue.
    #[error("the GPU device was lost ({0}): press Reset to continue on the CPU")]
    DeviceLost(String),

    /// A GPU operation failed validation or ran out of memory.
    #[error("GPU error: {0}")]
    Gpu(String),
}

/// Shorthand used throughout `core`.
pub type Result<T> = std::result::Result<T, Error>;

/// Checks that every value is finite; names the first bad index.
pub fn ensure_finite(name: &'static str, values: impl IntoIterator<Item = f64>) -> Result<()> {
    match values.into_iter().position(|v| !v.is_finite()) {
        Some(index) => Err(Error::NonFinite { name, index }),
        None => Ok(()),
    }
}
