#!/usr/bin/env bash
# Training benchmark against scikit-learn, measured side by side in one run (bench/train_vs_sklearn.py):
# epoch time on the 8×8 digits, 64-32-10, batch 32, SGD, same data — ours native CPU (f64) and GPU path.
# Installs numpy and scikit-learn into bench/.venv (ignored by git) and builds the release `regula` first.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x bench/.venv/bin/python ]; then
  python3 -m venv bench/.venv
fi
bench/.venv/bin/pip install --quiet --disable-pip-version-check numpy pot scikit-learn
cargo build --quiet --release -p regula
exec bench/.venv/bin/python bench/train_vs_sklearn.py "$@"
