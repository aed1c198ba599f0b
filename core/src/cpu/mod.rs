//! The CPU backend: f64 twins of every GPU kernel, on ndarray. It is the reference the GPU path is tested
//! against, and the path that runs when no GPU adapter exists.

pub mod fused;
pub mod reduce;
