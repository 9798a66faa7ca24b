"""Collecting an audit's inputs (no cluster)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lime_widget.auditing._items import collect_items


def _paths(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.png"))


def test_a_file_given_as_folder_and_duplicates_are_refused(folder):
    with pytest.raises(ValueError, match="is a file"):
        collect_items(_paths(folder)[0])
    with pytest.raises(ValueError, match="listed twice"):
        collect_items([_paths(folder)[0], _paths(folder)[0]])
    items = collect_items(folder, object_masks={_paths(folder)[1]: np.zeros((64, 64), dtype=bool)})
    assert items[1].object_mask is not None and items[0].object_mask is None
