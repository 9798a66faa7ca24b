"""Where the bundled quickstart notebook is: in the wheel (lime_widget/_notebooks/) or in a source checkout."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lime_widget.cli import _notebooks


def test_a_source_checkout_finds_notebooks_quickstart():
    path = _notebooks.quickstart_path()
    assert path.name == "quickstart.ipynb" and path.is_file()
    assert json.loads(path.read_text(encoding="utf-8"))["cells"]


def _fake_package(tmp_path: Path, *, wheel: bool, checkout: bool) -> Path:
    package = tmp_path / "lime_widget"
    (package / "cli").mkdir(parents=True)
    if wheel:
        (package / "_notebooks").mkdir()
        (package / "_notebooks" / "quickstart.ipynb").write_text("{}")
    if checkout:
        (tmp_path / "notebooks").mkdir()
        (tmp_path / "notebooks" / "quickstart.ipynb").write_text("{}")
    return package / "cli" / "_notebooks.py"


@pytest.mark.parametrize(
    ("wheel", "checkout", "expected"),
    [(True, False, "_notebooks"), (False, True, "notebooks"), (True, True, "_notebooks")],
)
def test_the_wheel_copy_comes_first_then_the_checkout(tmp_path, monkeypatch, wheel, checkout, expected):
    monkeypatch.setattr(_notebooks, "__file__", str(_fake_package(tmp_path, wheel=wheel, checkout=checkout)))
    assert _notebooks.quickstart_path().parent.name == expected


def test_neither_says_to_reinstall(tmp_path, monkeypatch):
    monkeypatch.setattr(_notebooks, "__file__", str(_fake_package(tmp_path, wheel=False, checkout=False)))
    with pytest.raises(FileNotFoundError, match="reinstall"):
        _notebooks.quickstart_path()
