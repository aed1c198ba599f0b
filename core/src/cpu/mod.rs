//! The CPU backend: f64 twins of every GPU kernel, on ndarray. It is the reference the GPU path is tested
//! against, and the path that runs when no GPU adapter exists.

pub mod fused;
pub mod pool;
pub mod reduce;

/// Clears the upper halves of the AVX registers (`vzeroupper`). faer's SIMD kernels can return with them
/// dirty; every later SSE-encoded instruction (glibc's `exp` wrapper, say) then pays an AVX–SSE transition
/// penalty — measured here: 200 points of the student–teacher curve took 1.15 s after an eigen-decomposition
/// and 0.08 s after this call. Call it after a faer factorisation that is followed by scalar libm work. A
/// no-op off x86-64 and on processors without AVX.
pub fn clear_upper_simd_state() {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx") {
            // SAFETY: the instruction exists (AVX detected at run time) and only zeroes register upper halves,
            // which no live Rust value occupies across this call.
            unsafe { std::arch::x86_64::_mm256_zeroupper() };
        }
    }
}
