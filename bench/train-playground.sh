#!/usr/bin/env bash
# Whole training epochs per second: Regula's trainer compiled to wasm vs TensorFlow Playground's own loop
# (bench/playground_loop.mjs), side by side under Node (bench/train_vs_playground.mjs). Builds
# bench/wasm-train/ (ignored by git) with wasm SIMD (.cargo/config.toml), as the page is built.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.tools/node_modules/.bin:$HOME/.cargo/bin:$PATH"
cargo build --quiet --release --target wasm32-unknown-unknown \
  --manifest-path bench/wasm-train/Cargo.toml --target-dir bench/wasm-train/target
wasm-bindgen --target nodejs --out-dir bench/wasm-train/pkg \
  bench/wasm-train/target/wasm32-unknown-unknown/release/regula_wasm_train_bench.wasm
exec node bench/train_vs_playground.mjs "$@"
