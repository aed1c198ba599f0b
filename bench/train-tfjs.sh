#!/usr/bin/env bash
# Training steps per second: our wasm CPU path (the core compiled to wasm, run by Node) vs TensorFlow.js's
# CPU backend (pure JS, npm @tensorflow/tfjs) under Node, same nets, optimizer (SGD) and batches, in one run.
# Installs tfjs into bench/tfjs/ and builds bench/wasm-train/ (both ignored by git).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.tools/node_modules/.bin:$HOME/.cargo/bin:$PATH"
[ -d bench/tfjs/node_modules/@tensorflow/tfjs ] || npm install --silent --prefix bench/tfjs @tensorflow/tfjs@4.22.0
cargo build --quiet --release --target wasm32-unknown-unknown --manifest-path bench/wasm-train/Cargo.toml \
  --target-dir bench/wasm-train/target
wasm-bindgen --target nodejs --out-dir bench/wasm-train/pkg \
  bench/wasm-train/target/wasm32-unknown-unknown/release/regula_wasm_train_bench.wasm
exec node bench/train_vs_tfjs.mjs "$@"
