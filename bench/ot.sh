#!/usr/bin/env bash
# OT benchmarks against POT, measured side by side in one run (see bench/ot_vs_pot.py for what is measured).
# Installs POT and numpy into bench/.venv (ignored by git) and builds the release `regula` first.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x bench/.venv/bin/python ]; then
  python3 -m venv bench/.venv
  bench/.venv/bin/pip install --quiet --disable-pip-version-check numpy pot
fi
cargo build --quiet --release -p regula
exec bench/.venv/bin/python bench/ot_vs_pot.py "$@"
