#!/usr/bin/env bash
# The paths of a user without Node.js, on a fresh copy of the checkout (no node_modules, no .venv) with node
# and npm off the PATH: the README's first command (a new venv, `pip install -e .`, the CLI on the embedded
# model), then the sdist and the wheel built there (python -m build: the wheel from the sdist, as pip would),
# what the wheel holds, the wheel installed in place of the editable install, and the CLI and one
# real-browser widget check against it. One fresh environment serves both installs (torch is big).
#
#   scripts/check_wheel.sh            # writes dist/ and /tmp/lime_wheel_check (LIME_WHEEL_CHECK_DIR)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
WORK=${LIME_WHEEL_CHECK_DIR:-/tmp/lime_wheel_check}
rm -rf dist "$WORK"
mkdir -p "$WORK"

echo "-- node hidden: the PATH is one folder of links to every command on it but node's"
# node and npm live in /usr/bin with most other tools, so no directory can simply be left out; stubs that
# fail would still be found by `which npm`. The first command of each name wins, as on the PATH itself.
NONODE=$WORK/bin
mkdir -p "$NONODE"
IFS=: read -r -a path_dirs <<<"$PATH"
for dir in "${path_dirs[@]}"; do
  [ -d "$dir" ] || continue
  for tool in "$dir"/*; do
    name=${tool##*/}
    case $name in node | nodejs | npm | npx | corepack | yarn | yarnpkg | pnpm | pnpx) continue ;; esac
    if [ -f "$tool" ] && [ -x "$tool" ] && [ ! -e "$NONODE/$name" ]; then ln -s "$tool" "$NONODE/$name"; fi
  done
done
export PATH=$NONODE
for tool in node nodejs npm npx; do
  if command -v "$tool" >/dev/null; then
    echo "$tool is still on the PATH: $(command -v "$tool")" >&2
    exit 1
  fi
done
python3 -c "import shutil, sys; sys.exit(shutil.which('npm') or shutil.which('node'))"
echo "node and npm are not found (PATH=$PATH, $(ls "$NONODE" | wc -l) commands)"

echo "-- a fresh copy of the checkout: what git holds, none of what it ignores (.venv, node_modules, dist)"
CHECKOUT=$WORK/checkout
mkdir -p "$CHECKOUT"
git ls-files -z --cached --others --exclude-standard |
  while IFS= read -r -d '' file; do if [ -e "$file" ] || [ -L "$file" ]; then printf '%s\0' "$file"; fi; done |
  tar -c --null -T - | tar -x -C "$CHECKOUT"
echo "$(find "$CHECKOUT" -type f | wc -l) files in $CHECKOUT"

echo "-- the README's first command there, node hidden"
README_CMD=$(awk '/^```bash$/ { inside = 1; next } inside { print; exit }' README.md)
echo "\$ $README_CMD"
(cd "$CHECKOUT" && bash -c "$README_CMD") >"$WORK/readme.log" 2>&1 || { tail -40 "$WORK/readme.log"; exit 1; }
# What the CLI printed (after pip's last line), without the progress bar.
sed -n '/^Successfully installed/,$p' "$WORK/readme.log" | tail -n +2 | tr '\r' '\n' | grep -v -e '^LIME samples' -e '^ *$' || true
grep -q "Egyptian cat" "$WORK/readme.log"
test -s "$CHECKOUT/lime_output/chelsea_lime.png" && test -s "$CHECKOUT/lime_output/chelsea_lime.json"
VENV=$CHECKOUT/.venv
cd "$WORK"
"$VENV/bin/python" -c "import lime_widget, sys; f = lime_widget.__file__; print('editable install at', f); sys.exit(0 if f.startswith('$CHECKOUT/lime_widget/') else 'not the checkout')"

echo "-- build the sdist and the wheel there, node hidden"
"$VENV/bin/python" -m pip install -q build
(cd "$CHECKOUT" && "$VENV/bin/python" -m build --outdir "$ROOT/dist" .) >"$WORK/build.log" 2>&1 || { tail -40 "$WORK/build.log"; exit 1; }
cd "$ROOT"
ls -l dist

echo "-- what the wheel holds"
"$VENV/bin/python" - <<'EOF'
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

echo "-- the wheel in that environment, in place of the editable install (node hidden)"
# Uninstall, then install: pip checks the wheel's requirements (all there already) and installs it.
"$VENV/bin/python" -m pip uninstall -q -y lime-widget
"$VENV/bin/python" -m pip install -q "$(ls "$ROOT"/dist/lime_widget-*.whl)"
cd "$WORK"
"$VENV/bin/python" -c "import lime_widget, sys, sysconfig; f = lime_widget.__file__; print('installed', lime_widget.__version__, 'at', f); sys.exit(0 if f.startswith(sysconfig.get_paths()['purelib']) else 'not the wheel')"

echo "-- the CLI from the wheel"
"$VENV/bin/lime-widget" explain chelsea --num-samples 100 --no-progress --out "$WORK/out" | tee "$WORK/cli.txt"
grep -q "Egyptian cat" "$WORK/cli.txt"
test -s "$WORK/out/chelsea_lime.png" && test -s "$WORK/out/chelsea_lime.json"

echo "-- one real-browser widget check against the wheel (JupyterLab + chromium)"
# Tools to drive the check, not the package's own dependencies; the tests are copied out of the checkout
# so that `import lime_widget` finds the installed wheel, not the source tree.
"$VENV/bin/python" -m pip install -q "jupyterlab>=4.1" "playwright>=1.45" "pytest>=8" "pytest-timeout>=2.2" nbformat
cp -r "$ROOT/tests" "$WORK/tests"
cd "$WORK"
LIME_WIDGET_REQUIRE_BROWSER=1 "$VENV/bin/python" -m pytest -q -p no:cacheprovider --rootdir "$WORK" \
  -W "ignore::pytest.PytestUnknownMarkWarning" "tests/browser/test_browser.py::test_click_rescores_exactly_and_undo_restores[lab]"
echo "wheel check passed"
