#!/usr/bin/env bash
# Sketching benchmarks, measured side by side in one run (see bench/sketch_vs_numpy.py):
#  (a) SRHT apply vs dense Gaussian apply at m = 4d, n = 2^16, d = 64 (goal: SRHT >= 5x faster);
#  (b) sketch-and-precondition vs numpy.linalg.lstsq at n = 100,000, d = 200, same accuracy (goal <= 0.5).
# Installs numpy into bench/.venv (ignored by git) and builds the release `regula` first.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x bench/.venv/bin/python ]; then
  python3 -m venv bench/.venv
  bench/.venv/bin/pip install --quiet --disable-pip-version-check numpy pot
fi
cargo build --quiet --release -p regula
echo "== (a) SRHT vs dense Gaussian S·A =="
target/release/regula bench sketch-apply --n 65536 --d 64 --reps 3
echo "== (b) sketch-and-precondition vs numpy.linalg.lstsq =="
exec bench/.venv/bin/python bench/sketch_vs_numpy.py "$@"
