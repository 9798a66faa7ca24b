#!/usr/bin/env bash
# The whole test suite, as CI runs it: Python units, protocol, notebooks, real-browser tests.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
[ -x "$PY" ] || PY=python3
export LIME_NUM_SAMPLES="${LIME_NUM_SAMPLES:-150}"   # notebooks: fewer samples than the recommended 1000
export MPLBACKEND=Agg
[ -d node_modules ] || npm ci --no-audit --no-fund
npm test --silent
"$PY" -m pytest -q -p no:cacheprovider --timeout=900 "$@"
