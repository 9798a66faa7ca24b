#!/usr/bin/env bash
# The path of a user who installs the wheel: build the sdist and the wheel (python -m build: the wheel is
# built from the sdist, as pip would), check what the wheel holds, install it into a fresh virtual
# environment with node hidden, and run the CLI and one real-browser widget check against that install.
#
#   scripts/check_wheel.sh            # uses .venv/bin/python for building; writes dist/ and /tmp/lime_wheel_check
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PY=.venv/bin/python
[ -x "$PY" ] || PY=python3
WORK=${LIME_WHEEL_CHECK_DIR:-/tmp/lime_wheel_check}
rm -rf dist "$WORK"
mkdir -p "$WORK"

echo "-- build the sdist and the wheel"
"$PY" -m pip install -q build 2>&1 | grep -v "^WARNING: Location" || true
"$PY" -m build --outdir dist . >"$WORK/build.log" 2>&1 || { tail -40 "$WORK/build.log"; exit 1; }
ls -l dist

echo "-- what the wheel holds"
"$PY" - <<'EOF'
import sys
import zipfile
from pathlib import Path

wheel = next(Path("dist").glob("lime_widget-*.whl"))
sdist = next(Path("dist").glob("lime_widget-*.tar.gz"))
names = zipfile.ZipFile(wheel).namelist()
required = [
    "lime_widget/__init__.py",
    "lime_widget/py.typed",
    "lime_widget/static/widget.js",
    "lime_widget/static/widget.css",
    "lime_widget/static/gallery.js",
    "lime_widget/static/gallery.css",
    "lime_widget/static/standalone.js",
    "lime_widget/_notebooks/quickstart.ipynb",
]
missing = [n for n in required if n not in names]
# Nothing a user should not get: tests, sources of the front end, node_modules, source maps, caches, outputs.
bad = [
    n for n in names
    if n.startswith(("tests/", "js/", "node_modules/", "benchmarks/", "docs/", "notebooks/"))
    or "/node_modules/" in n or n.endswith((".map", ".pyc", ".ts")) or "__pycache__" in n or "lime_output" in n
]
print(f"{wheel.name}: {len(names)} files, {wheel.stat().st_size / 1e6:.2f} MB; {sdist.name}: {sdist.stat().st_size / 1e6:.2f} MB")
if missing or bad:
    sys.exit(f"wheel check failed: missing {missing}, should not be there {bad[:10]}")
print("the wheel holds the built front end, the quickstart notebook and py.typed, and no tests/sources/maps")
EOF

echo "-- a fresh environment from the wheel, node hidden"
# node and npm are in /usr/bin with everything else: shadow them with stubs that fail, first on PATH.
mkdir -p "$WORK/nonode"
for tool in node npm npx; do
  printf '#!/bin/sh\necho "%s is hidden for the wheel check" >&2\nexit 127\n' "$tool" >"$WORK/nonode/$tool"
  chmod +x "$WORK/nonode/$tool"
done
export PATH="$WORK/nonode:$PATH"
if node --version >/dev/null 2>&1; then echo "node is still reachable" >&2; exit 1; fi
python3 -m venv "$WORK/venv"
"$WORK/venv/bin/python" -m pip install -q --upgrade pip
"$WORK/venv/bin/python" -m pip install -q "$(ls dist/lime_widget-*.whl)"
cd "$WORK"
"$WORK/venv/bin/python" -c "import lime_widget, sys; f = lime_widget.__file__; print('installed', lime_widget.__version__, 'at', f); sys.exit(0 if f.startswith('$WORK/venv') else 'not the wheel')"

echo "-- the CLI from the wheel"
"$WORK/venv/bin/lime-widget" explain chelsea --num-samples 100 --no-progress --out "$WORK/out" | tee "$WORK/cli.txt"
grep -q "Egyptian cat" "$WORK/cli.txt"
test -s "$WORK/out/chelsea_lime.png" && test -s "$WORK/out/chelsea_lime.json"

echo "-- one real-browser widget check against the wheel (JupyterLab + chromium)"
# Tools to drive the check, not the package's own dependencies; the tests are copied out of the checkout
# so that `import lime_widget` finds the installed wheel, not the source tree.
"$WORK/venv/bin/python" -m pip install -q "jupyterlab>=4.1" "playwright>=1.45" "pytest>=8" "pytest-timeout>=2.2" nbformat
cp -r "$ROOT/tests" "$WORK/tests"
cd "$WORK"
LIME_WIDGET_REQUIRE_BROWSER=1 "$WORK/venv/bin/python" -m pytest -q -p no:cacheprovider --rootdir "$WORK" \
  -W "ignore::pytest.PytestUnknownMarkWarning" "tests/browser/test_browser.py::test_click_rescores_exactly_and_undo_restores[lab]"
echo "wheel check passed"
