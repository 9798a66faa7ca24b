#!/usr/bin/env bash
# The committed front end (lime_widget/static/) must be what js/src builds to: installs use it as it is,
# without node (scripts/frontend_hook.py). Rebuild it from js/src (npm ci + npm run build, the versions of
# package-lock.json) and fail when any bundle differs, is missing or is extra. The build runs twice, and
# the two must be byte-identical (esbuild is deterministic: a difference would be a flaky check).
#
#   scripts/check_bundle.sh      # leaves the rebuilt bundles in lime_widget/static/
#
# In CI it must run before anything else that could build the bundles (an install with npm on the PATH
# builds missing ones), or a missing bundle would be built here and compared with itself.
set -euo pipefail
cd "$(dirname "$0")/.."
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

if [ ! -d lime_widget/static ]; then
  echo "lime_widget/static/ is missing: run \`npm run build\` and commit lime_widget/static/" >&2
  exit 1
fi
cp -a lime_widget/static "$WORK/committed"

# Each build starts from an empty lime_widget/static/ (esbuild leaves files it no longer writes), and a
# failed build puts the checkout's bundles back.
build() {
  rm -rf lime_widget/static
  if ! npm run build --silent >"$WORK/build.log" 2>&1; then
    cat "$WORK/build.log" >&2
    rm -rf lime_widget/static
    cp -a "$WORK/committed" lime_widget/static
    echo "npm run build failed (lime_widget/static/ is as it was)" >&2
    exit 1
  fi
}
npm ci --no-audit --no-fund --loglevel=error
build
cp -a lime_widget/static "$WORK/first"
build
if ! diff -r "$WORK/first" lime_widget/static >/dev/null; then
  echo "two builds of js/src differ: the esbuild output is not deterministic" >&2
  diff -rq "$WORK/first" lime_widget/static >&2 || true
  exit 1
fi

if ! diff -r "$WORK/committed" lime_widget/static >/dev/null; then
  echo "lime_widget/static/ is not what js/src builds to:" >&2
  for name in $( (ls "$WORK/committed"; ls lime_widget/static) | sort -u); do
    committed=$WORK/committed/$name
    built=lime_widget/static/$name
    if [ ! -e "$committed" ]; then
      echo "  $name: built from js/src, not in the checkout" >&2
    elif [ ! -e "$built" ]; then
      echo "  $name: in the checkout, not built from js/src" >&2
    elif ! cmp -s "$committed" "$built"; then
      echo "  $name: differs (checkout $(wc -c <"$committed") bytes, build $(wc -c <"$built") bytes)" >&2
    fi
  done
  echo "run \`npm run build\` and commit lime_widget/static/" >&2
  exit 1
fi
echo "lime_widget/static/ is what js/src builds to ($(ls lime_widget/static | wc -l) files, built twice, byte-identical)"
