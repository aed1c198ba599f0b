//! The CPU backend: f64 twins of every GPU kernel, on ndarray. It is the reference the GPU path is tested
//! against, and the path that runs when no GPU adapter exists.

pub mod exp;
pub mod fused;
pub mod pool;
pub mod reduce;

/// `widest! { fn name<A>(args) -> R { body } }` defines `name`, which runs `body` compiled for AVX-512,
/// AVX2 or the baseline — whichever this processor has, checked at run time — so that its loops (over
/// [`exp::exp_with`], say) vectorise as wide as they can. The body is generic over how it multiplies and
/// adds (`A: exp::Arith`, used as `exp_with::<A>`): the AVX-512 path and the AVX2 path on processors with
/// FMA run it fused ([`exp::Fused`]: about half the instructions of the exponential's polynomial), AVX2
/// without FMA and the baseline separately ([`exp::Separate`]: the same bits as wasm; Rust never contracts
/// a·b + c into an FMA by itself). Each path is deterministic; the fused and separate results differ in the
/// last place now and then. Helpers the body calls must be `#[inline(always)]` to be compiled with it.
macro_rules! widest {
    ($(#[$m:meta])* $vis:vis fn $name:ident<$A:ident>($($a:ident: $t:ty),* $(,)?) -> $r:ty $body:block) => {
        $(#[$m])*
        $vis fn $name($($a: $t),*) -> $r {
            #[inline(always)]
            fn body<$A: $crate::cpu::exp::Arith>($($a: $t),*) -> $r $body
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx512f")]
                unsafe fn avx512($($a: $t),*) -> $r {
                    body::<$crate::cpu::exp::Fused>($($a),*)
                }
                #[target_feature(enable = "avx2,fma")]
                unsafe fn avx2_fma($($a: $t),*) -> $r {
                    body::<$crate::cpu::exp::Fused>($($a),*)
                }
                #[target_feature(enable = "avx2")]
                unsafe fn avx2($($a: $t),*) -> $r {
                    body::<$crate::cpu::exp::Separate>($($a),*)
                }
                if std::is_x86_feature_detected!("avx512f") {
                    // SAFETY: AVX-512F (which includes FMA) was detected on the line above.
                    return unsafe { avx512($($a),*) };
                }
                if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
                    // SAFETY: AVX2 and FMA were detected on the line above.
                    return unsafe { avx2_fma($($a),*) };
                }
                if std::is_x86_feature_detected!("avx2") {
                    // SAFETY: AVX2 was detected on the line above.
                    return unsafe { avx2($($a),*) };
                }
            }
            body::<$crate::cpu::exp::Separate>($($a),*)
        }
    };
}
pub(crate) use widest;

/// Whether [`widest!`] runs the fused path on this processor.
pub fn fused_multiply_add() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::is_x86_feature_detected!("avx512f")
            || (std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma"))
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

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
