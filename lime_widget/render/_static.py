"""The one loader of the built front end (``lime_widget/static/``: widget, gallery, standalone bundles)."""

from __future__ import annotations

from pathlib import Path

STATIC = Path(__file__).resolve().parent.parent / "static"


class FrontEndNotBuiltError(RuntimeError):
    """The JavaScript bundle is missing (a source checkout where ``npm run build`` has not run)."""


def static_path(name: str) -> Path:
    """Path of the built asset ``name`` (e.g. ``"widget.js"``); :class:`FrontEndNotBuiltError` if it is missing."""
    path = STATIC / name
    if not path.is_file():
        raise FrontEndNotBuiltError(
            f"the front end is not built: {path} is missing; in a source checkout run "
            "`npm install && npm run build`, or reinstall lime-widget"
        )
    return path


def read_static(name: str) -> str:
    """Text of the built asset ``name``; :class:`FrontEndNotBuiltError` if it is missing."""
    return static_path(name).read_text(encoding="utf-8")
