// Philox4x32-10 (Salmon et al., SC 2011) in WGSL: the same bits as core/src/sketch/philox.rs for the same
// (counter, key). Counter (index_lo, index_hi, stream, 0), key (seed_lo, seed_hi). This file has no
// bindings: core prepends it to the sketch kernels that draw random numbers (dense_apply.wgsl, srht.wgsl).

// (hi, lo) of the 64-bit product of two u32 (WGSL has no 64-bit integers): 16-bit limbs.
fn mulhilo(a: u32, b: u32) -> vec2<u32> {
    let a0 = a & 0xffffu;
    let a1 = a >> 16u;
    let b0 = b & 0xffffu;
    let b1 = b >> 16u;
    let p00 = a0 * b0;
    let p01 = a0 * b1;
    let p10 = a1 * b0;
    let p11 = a1 * b1;
    let mid = (p00 >> 16u) + (p01 & 0xffffu) + (p10 & 0xffffu);
    let hi = p11 + (p01 >> 16u) + (p10 >> 16u) + (mid >> 16u);
    return vec2<u32>(hi, a * b);
}

fn philox(counter: vec4<u32>, key: vec2<u32>) -> vec4<u32> {
    var c = counter;
    var k = key;
    for (var r = 0u; r < 10u; r += 1u) {
        let p0 = mulhilo(0xD2511F53u, c.x);
        let p1 = mulhilo(0xCD9E8D57u, c.z);
        c = vec4<u32>(p1.x ^ c.y ^ k.x, p1.y, p0.x ^ c.w ^ k.y, p0.y);
        k = k + vec2<u32>(0x9E3779B9u, 0xBB67AE85u);
    }
    return c;
}

fn unit(w: u32) -> f32 {
    return (f32(w >> 8u) + 0.5) / 16777216.0;
}

