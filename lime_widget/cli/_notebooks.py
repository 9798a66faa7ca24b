"""Where the bundled example notebooks are (in the wheel, or in the source checkout)."""

from __future__ import annotations

from pathlib import Path


def quickstart_path() -> Path:
    """Path of ``quickstart.ipynb``: shipped inside the wheel, or ``notebooks/`` of a source checkout."""
    here = Path(__file__).resolve().parent.parent  # the package folder
    for candidate in (here / "_notebooks" / "quickstart.ipynb", here.parent / "notebooks" / "quickstart.ipynb"):
        if candidate.exists():
            return candidate
    raise FileNotFoundError("quickstart.ipynb is not installed; reinstall lime-widget")
