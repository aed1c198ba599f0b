// The MLP's activations for the training kernels (no bindings; prepended by core to sgd_epoch.wgsl and
// layers.wgsl). Codes: 0 relu, 1 tanh, 2 sigmoid, 3 linear — as core/src/train/gpu.rs writes them.

fn activate(code: u32, z: f32) -> f32 {
    switch code {
        case 0u: { return max(z, 0.0); }
        case 1u: { return tanh(z); }
        case 2u: { return 1.0 / (1.0 + exp(-z)); }
        default: { return z; }
    }
}

// σ'(z) from the activation value a = σ(z).
fn derivative(code: u32, a: f32) -> f32 {
    switch code {
        case 0u: { return select(0.0, 1.0, a > 0.0); }
        case 1u: { return 1.0 - a * a; }
        case 2u: { return a * (1.0 - a); }
        default: { return 1.0; }
    }
}

