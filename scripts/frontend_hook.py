"""The build hook (hatchling) that puts the built front end into every wheel, sdist and editable install.

The bundles in lime_widget/static/ are committed, so a source install needs no Node.js: when they are all
there the hook does nothing (and runs no npm), for `pip install .`, `pip install -e .` and `python -m build`
alike. Only where one is missing (lime_widget/static/ deleted) does it build them with npm, and without npm it
stops with what to do. After a change to js/src, `npm run build` and commit lime_widget/static/: CI rebuilds
the bundles and fails when they differ from the committed ones (scripts/check_bundle.sh).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

# What `npm run build` (package.json) writes and lime_widget/render/_static.py reads.
BUNDLES = (
    "lime_widget/static/widget.js",
    "lime_widget/static/widget.css",
    "lime_widget/static/gallery.js",
    "lime_widget/static/gallery.css",
    "lime_widget/static/standalone.js",
)


class FrontEndHook(BuildHookInterface):
    """Checks that the front end is built; builds it with npm only when a bundle is missing."""

    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        root = Path(self.root)
        missing = [name for name in BUNDLES if not (root / name).is_file()]
        if not missing:
            self.app.display_info("lime_widget/static/ holds the built front end: no npm build")
            return
        npm = shutil.which("npm")
        if npm is None:
            raise RuntimeError(
                f"the front end is not built ({', '.join(missing)} missing) and npm is not on the PATH. "
                "In a git checkout restore the committed bundles (`git checkout -- lime_widget/static`), "
                "or install Node.js 18+ and npm and run the install again, or install a wheel"
            )
        self.app.display_info(f"building the front end with npm ({', '.join(missing)} missing)")
        # npm ci: the versions of package-lock.json, the ones the committed bundles were built with.
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=root, check=True)
        subprocess.run([npm, "run", "build"], cwd=root, check=True)
        still_missing = [name for name in BUNDLES if not (root / name).is_file()]
        if still_missing:
            raise RuntimeError(
                f"`npm run build` did not write {', '.join(still_missing)}: see package.json's build script"
            )
