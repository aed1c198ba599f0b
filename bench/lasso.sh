#!/usr/bin/env bash
# The Lasso path against scikit-learn's lasso_path on the same data, measured side by side in one run
# (bench/lasso_vs_sklearn.py). Installs the peer into bench/.venv (ignored by git) and builds the release
# `regula` first.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x bench/.venv/bin/python ]; then
  python3 -m venv bench/.venv
fi
cargo build --quiet --release -p regula
bench/.venv/bin/python -c "import sklearn" 2>/dev/null ||
  bench/.venv/bin/pip install --quiet --disable-pip-version-check numpy scikit-learn
exec bench/.venv/bin/python bench/lasso_vs_sklearn.py "$@"
