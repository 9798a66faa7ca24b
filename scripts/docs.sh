#!/usr/bin/env bash
# Build the documentation site into site/ (MkDocs + material, mkdocstrings, mkdocs-jupyter), with --strict:
# any warning (a broken link, a missing page or anchor, a docstring the reference cannot render) fails it,
# and so does a notebook cell that raises. Needs the docs extra: pip install -e ".[docs]".
#
#   scripts/docs.sh                      # build site/ (the notebooks are executed, about 2 minutes on 2 cores)
#   LIME_DOCS_EXECUTE=false scripts/docs.sh   # render the notebooks without outputs (seconds)
#   LIME_DOCS_CACHE=true scripts/docs.sh      # reuse the outputs of unchanged notebooks (.cache/mkdocs-jupyter)
#   scripts/docs.sh serve                # live preview on http://127.0.0.1:8000 (same settings)
#
# Nothing here touches the network: no fonts are downloaded and the notebooks use the embedded model.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
[ -x "$PY" ] || PY=python3

# The notebooks run with few samples (as in the tests); their prose gives the recommended values.
export LIME_NUM_SAMPLES="${LIME_NUM_SAMPLES:-150}"
# The kernels must keep their inline matplotlib backend, or the figures would be missing from the pages
# (scripts/test.sh sets MPLBACKEND=Agg, which ipykernel would honour).
unset MPLBACKEND
export NO_MKDOCS_2_WARNING=1   # mkdocs-material's banner about its successor

if [ "${LIME_DOCS_EXECUTE:-true}" = "true" ] && [ ! -f lime_widget/static/widget.js ]; then
  echo "error: the widget's front end is not built (lime_widget/static/widget.js), and the notebooks display" \
    "widgets; run 'npm install && npm run build' (or pip install -e .) first" >&2
  exit 1
fi

if [ "${1:-build}" = "serve" ]; then
  shift
  exec "$PY" -m mkdocs serve --strict "$@"
fi
[ "${1:-}" = "build" ] && shift
start=$(date +%s)
"$PY" -m mkdocs build --strict --clean --site-dir site "$@"
echo "site/ built in $(($(date +%s) - start)) s"
