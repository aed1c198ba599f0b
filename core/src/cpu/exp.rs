//! e^x without a branch or a library call, so that loops over it vectorise: the log-domain passes of OT
//! (one exponential per entry of an n × m matrix) spend nearly all their time here, and libm's `exp` is a
//! scalar call per entry. Same method as fdlibm/Cephes: x = n·ln 2 + r with n = round(x / ln 2) and
//! |r| ≤ ln 2 / 2 (ln 2 split in two parts so n·ln2_hi is exact), e^r by its Taylor series to r¹³
//! (truncation below 10⁻¹⁷ relative; summed by Estrin's scheme, five multiply-adds deep), then 2ⁿ built from its bits. Within 2 ulp of the correctly
//! rounded value on [−708.39, 709.78] (tested against libm); below that 0 (libm gives subnormals there,
//! which no sum of these passes can see), above it +∞, NaN for NaN. The same bits on every platform,
//! wasm included — libm's `exp` differs between glibc and Rust's own.

/// Arguments below this give 0 (e^x would be subnormal: the exponent trick needs n ≥ −1022).
const LOW: f64 = -708.39;
/// Arguments above this give +∞.
const HIGH: f64 = 709.78;
/// fdlibm's split of ln 2, quoted to all its printed digits (the parsed f64s are the exact halves).
#[allow(clippy::excessive_precision)]
const LN2_HI: f64 = 6.931_471_803_691_238_164_90e-1;
#[allow(clippy::excessive_precision)]
const LN2_LO: f64 = 1.908_214_929_270_587_700_02e-10;
/// 1.5·2⁵²: adding it rounds to an integer (to nearest, ties to even) held in the low mantissa bits.
const SHIFT: f64 = 6_755_399_441_055_744.0;

/// How the polynomial's steps p·r + c are formed: rounded twice (a multiply, then an add: the same bits on
/// every platform) or once (a fused multiply-add: half the instructions where the processor has FMA).
pub trait Arith {
    fn mul_add(a: f64, b: f64, c: f64) -> f64;
}

/// a·b + c as a multiply and an add (no FMA needed; what wasm and x86-64's baseline run).
pub struct Separate;

impl Arith for Separate {
    #[inline(always)]
    fn mul_add(a: f64, b: f64, c: f64) -> f64 {
        a * b + c
    }
}

/// a·b + c as one fused multiply-add. Only where the code is compiled with the `fma` target feature
/// (`cpu::widest!`'s AVX2+FMA and AVX-512 paths): elsewhere `f64::mul_add` is a library call.
pub struct Fused;

impl Arith for Fused {
    #[inline(always)]
    fn mul_add(a: f64, b: f64, c: f64) -> f64 {
        a.mul_add(b, c)
    }
}

/// e^x (see the module doc), with separate multiplies and adds.
#[inline(always)]
pub fn exp(x: f64) -> f64 {
    exp_with::<Separate>(x)
}

/// e^x with the polynomial's steps formed as `A` says ([`Fused`]: one rounding per step, within the same
/// 2 ulp; the bits then differ from [`exp`]'s in the last place now and then).
#[inline(always)]
pub fn exp_with<A: Arith>(x: f64) -> f64 {
    let (p, k) = reduced::<A>(x.clamp(LOW, HIGH));
    // 2ᵏ as two powers of two (k reaches 1024 near the top, past the largest exponent of one).
    let half = k >> 1;
    let y = p * pow2(half) * pow2(k - half);
    let y = if x < LOW { 0.0 } else { y };
    let y = if x > HIGH { f64::INFINITY } else { y };
    if x.is_nan() {
        x
    } else {
        y
    }
}

/// e^x for x ≤ 0 (or NaN): the same bits as [`exp_with`], with less work — k ≥ −1022 here, so 2ᵏ is one
/// power of two, and nothing can overflow. The log-domain passes' arguments are ≤ 0 by construction (the
/// row's maximum is taken out first).
#[inline(always)]
pub fn exp_nonpositive_with<A: Arith>(x: f64) -> f64 {
    // (The upper bound 0 leaves x ≤ 0 as it is; written as a clamp, the loops stay 4 lanes wide on AVX2 —
    // an `if` select here made them fall back to 2.)
    let (p, k) = reduced::<A>(x.clamp(LOW, 0.0));
    let y = p * pow2(k);
    if x < LOW {
        0.0
    } else {
        y
    }
}

/// For x in [LOW, HIGH] (or NaN): x = k·ln 2 + r with |r| ≤ ln 2 / 2, and (e^r, k).
#[inline(always)]
fn reduced<A: Arith>(x: f64) -> (f64, i64) {
    let t = x * std::f64::consts::LOG2_E + SHIFT;
    let n = t - SHIFT;
    let r = (x - n * LN2_HI) - n * LN2_LO;
    (taylor::<A>(r), t.to_bits().wrapping_sub(SHIFT.to_bits()) as i64)
}

/// 2ᵉ for e in [−1022, 1023], built from its bits.
#[inline(always)]
fn pow2(e: i64) -> f64 {
    f64::from_bits(((e + 1023) << 52) as u64)
}

/// e^x − 1 for x ≤ 0, accurate near 0 where e^x − 1 would cancel (within 2 ulp of libm's `expm1`, tested):
/// with x = k·ln 2 + r, e^x − 1 = 2ᵏ(e^r − 1) + (2ᵏ − 1), where e^r − 1 is the Taylor series without its
/// constant term ([`expm1_reduced`]) and 2ᵏ − 1 is exact. Below −40 the result is −1 (e^x is below half an ulp of 1 there).
#[inline(always)]
pub fn expm1_nonpositive(x: f64) -> f64 {
    // The same reduction as `reduced`; e^r − 1 = r·(1 + r/2 + r²/6 + …).
    let x = x.clamp(-40.0, 0.0);
    let t = x * std::f64::consts::LOG2_E + SHIFT;
    let n = t - SHIFT;
    let r = (x - n * LN2_HI) - n * LN2_LO;
    let k = t.to_bits().wrapping_sub(SHIFT.to_bits()) as i64;
    let two_k = pow2(k);
    two_k * expm1_reduced::<Separate>(r) + (two_k - 1.0)
}

/// e^r − 1 = r + r²·Σ_{k ≤ 11} r^k/(k + 2)! for |r| ≤ ln 2 / 2, the sum by Estrin's scheme: five dependent
/// multiply-adds deep instead of Horner's twelve. Loops over these are bound by that chain's latency, not
/// by the multiply-adds' throughput (a layer's 8 activations; an LSE row's 8 lanes at a time).
#[inline(always)]
fn expm1_reduced<A: Arith>(r: f64) -> f64 {
    const C: [f64; 12] = [
        1.0 / 2.0,
        1.0 / 6.0,
        1.0 / 24.0,
        1.0 / 120.0,
        1.0 / 720.0,
        1.0 / 5_040.0,
        1.0 / 40_320.0,
        1.0 / 362_880.0,
        1.0 / 3_628_800.0,
        1.0 / 39_916_800.0,
        1.0 / 479_001_600.0,
        1.0 / 6_227_020_800.0,
    ];
    let r2 = r * r;
    let r4 = r2 * r2;
    let p = |k: usize| A::mul_add(C[k + 1], r, C[k]);
    let q0 = A::mul_add(p(2), r2, p(0));
    let q1 = A::mul_add(p(6), r2, p(4));
    let q2 = A::mul_add(p(10), r2, p(8));
    A::mul_add(r2, A::mul_add(r4, A::mul_add(r4, q2, q1), q0), r)
}

/// tanh(x) without a branch or a library call (so a layer's activations vectorise; in wasm, Rust's `tanh`
/// is a scalar libm routine that took a third of a small net's training time): tanh|x| = −e/(e + 2) with
/// e = e^(−2|x|) − 1, the sign restored. Within 3 ulp of libm's `tanh` (tested); the same bits on every
/// platform. NaN gives NaN.
#[inline(always)]
pub fn tanh(x: f64) -> f64 {
    let e = expm1_nonpositive(-2.0 * x.abs());
    let t = (-e / (e + 2.0)).copysign(x);
    if x.is_nan() {
        x
    } else {
        t
    }
}

/// Σ_{k ≤ 13} r^k / k! for |r| ≤ ln 2 / 2: 1 + (e^r − 1) by [`expm1_reduced`]'s Estrin tree.
#[inline(always)]
fn taylor<A: Arith>(r: f64) -> f64 {
    1.0 + expm1_reduced::<A>(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Distance in units in the last place between two positive finite doubles.
    fn ulps(a: f64, b: f64) -> u64 {
        a.to_bits().abs_diff(b.to_bits())
    }

    #[test]
    fn the_nonpositive_form_gives_the_same_bits() {
        let mut rng = crate::rng::SplitMix64::new(11);
        let mut xs: Vec<f64> = (0..200_000).map(|_| -750.0 * rng.uniform()).collect();
        xs.extend((0..200_000).map(|_| -40.0 * rng.uniform()));
        xs.extend([0.0, -0.0, LOW, LOW.next_down(), LOW.next_up(), -745.2, -1e-300, f64::NEG_INFINITY]);
        for x in xs {
            assert_eq!(exp_nonpositive_with::<Separate>(x).to_bits(), exp(x).to_bits(), "{x:e}");
            assert_eq!(exp_nonpositive_with::<Fused>(x).to_bits(), exp_with::<Fused>(x).to_bits(), "{x:e}");
        }
        assert!(exp_nonpositive_with::<Separate>(f64::NAN).is_nan());
    }

    #[test]
    fn within_two_ulp_of_libm_over_the_whole_range() {
        let mut rng = crate::rng::SplitMix64::new(7);
        let mut worst = (0, 0.0);
        // Both ways of forming the polynomial (the fused one as the AVX2+FMA and AVX-512 paths run it).
        let mut check = |x: f64| {
            let want = x.exp();
            let u = ulps(exp(x), want).max(ulps(exp_with::<Fused>(x), want));
            if u > worst.0 {
                worst = (u, x);
            }
        };
        // A dense grid over [−708, 709.7] and the small arguments the passes see most (|x| ≤ 50), then
        // random points, and the reduction's edges (x near k·ln 2 / 2).
        for k in 0..=200_000 {
            check(-708.0 + 1417.7 * k as f64 / 200_000.0);
            check(-50.0 + 100.0 * k as f64 / 200_000.0);
        }
        for _ in 0..200_000 {
            check(LOW + (HIGH - LOW) * rng.uniform());
        }
        for k in -2000..2000 {
            let edge = (k as f64 + 0.5) * std::f64::consts::LN_2;
            for x in [edge.next_down(), edge, edge.next_up()] {
                if (LOW..=HIGH).contains(&x) {
                    check(x);
                }
            }
        }
        println!("worst: {} ulp at x = {:e}", worst.0, worst.1);
        assert!(worst.0 <= 2, "{} ulp at x = {:e}", worst.0, worst.1);
        for x in [0.0, -0.0, 1.0, -1.0, 1e-300, -1e-300] {
            assert!(ulps(exp(x), x.exp()) <= 1, "{x}");
            assert!(ulps(exp_with::<Fused>(x), x.exp()) <= 1, "{x}");
        }
        assert_eq!(exp(0.0), 1.0);
    }

    #[test]
    fn expm1_and_tanh_within_a_few_ulp_of_libm() {
        let mut rng = crate::rng::SplitMix64::new(5);
        let (mut worst_m1, mut worst_tanh) = (0, 0);
        let mut xs: Vec<f64> = (0..200_000).map(|k| -45.0 + 90.0 * k as f64 / 200_000.0).collect();
        xs.extend((0..100_000).map(|_| (rng.uniform() - 0.5) * 4.0));
        // Tiny arguments, where e^x − 1 and tanh x ≈ x would lose everything to cancellation done naively.
        xs.extend((0..2_000).map(|k| 10f64.powf(-20.0 + 19.0 * k as f64 / 2_000.0)));
        xs.extend([0.0, 1e-300, 18.0, 19.0, 20.0, 25.0, 40.0, 1e10]);
        for x in xs {
            for x in [x, -x] {
                if x <= 0.0 {
                    let (got, want) = (expm1_nonpositive(x), x.exp_m1());
                    worst_m1 =
                        worst_m1.max(if got == want { 0 } else { got.abs().to_bits().abs_diff(want.abs().to_bits()) });
                }
                let (got, want) = (tanh(x), x.tanh());
                assert_eq!(got.is_sign_negative(), want.is_sign_negative(), "tanh({x:e})");
                worst_tanh = worst_tanh.max(got.abs().to_bits().abs_diff(want.abs().to_bits()));
            }
        }
        println!("worst: expm1 {worst_m1} ulp, tanh {worst_tanh} ulp");
        assert!(worst_m1 <= 2, "expm1: {worst_m1} ulp");
        assert!(worst_tanh <= 3, "tanh: {worst_tanh} ulp");
        assert!(tanh(f64::NAN).is_nan());
        assert_eq!(tanh(f64::INFINITY), 1.0);
        assert_eq!(tanh(f64::NEG_INFINITY), -1.0);
        assert_eq!(expm1_nonpositive(f64::NEG_INFINITY), -1.0);
    }

    #[test]
    fn outside_the_range_zero_infinity_and_nan() {
        for x in [-708.5, -745.0, -1e300, f64::NEG_INFINITY] {
            assert_eq!(exp(x), 0.0, "{x}");
        }
        for x in [709.8, 1e300, f64::INFINITY] {
            assert_eq!(exp(x), f64::INFINITY, "{x}");
        }
        assert!(exp(f64::NAN).is_nan());
    }
}
