"""Fixtures of the audit tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from ..helpers import cell_image


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """Eight PNG photos of distinct cell images, two in a sub-folder (the search is recursive)."""
    root = tmp_path / "images"
    (root / "sub").mkdir(parents=True)
    for i in range(8):
        where = root / "sub" if i >= 6 else root
        Image.fromarray(cell_image(i)).save(where / f"img{i}.png")
    return root
