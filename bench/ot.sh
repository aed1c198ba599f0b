#!/usr/bin/env bash
# OT benchmarks, measured side by side in one run: against POT (bench/ot_vs_pot.py), or with --ott the
# log-domain Sinkhorn against OTT-JAX (bench/ot_vs_ott.py). Installs the peers into bench/.venv (ignored by
# git) and builds the release `regula` first.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x bench/.venv/bin/python ]; then
  python3 -m venv bench/.venv
fi
cargo build --quiet --release -p regula
if [[ " $* " == *" --ott "* ]]; then
  bench/.venv/bin/python -c "import ott" 2>/dev/null ||
    bench/.venv/bin/pip install --quiet --disable-pip-version-check numpy "jax[cpu]==0.10.2" ott-jax==0.6.0
  exec bench/.venv/bin/python bench/ot_vs_ott.py "$@"
fi
bench/.venv/bin/python -c "import ot" 2>/dev/null ||
  bench/.venv/bin/pip install --quiet --disable-pip-version-check numpy pot
exec bench/.venv/bin/python bench/ot_vs_pot.py "$@"
