"""The inputs of an audit: collecting the images (a folder, paths, a dataset) and their object masks into
:class:`AuditItem` s, one per image, and checking them before any work starts."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp")


@dataclass(frozen=True)
class AuditItem:
    """One image of an audit. index: position in the audit; path: absolute file path (None for in-memory
    images); image: the in-memory image (None for paths); label: true class id or name (None = unknown);
    object_mask: bool (H, W) where the object is, or None."""

    index: int
    path: str | None
    image: Any
    label: int | str | None
    object_mask: np.ndarray | None

    @property
    def key(self) -> str:
        """What identifies the image across runs: its path, or ``#index`` for in-memory images."""
        return self.path if self.path is not None else f"#{self.index}"


def collect_items(images: Any, object_masks: Any = None) -> list[AuditItem]:
    """Turn ``images`` (see :func:`audit`) into :class:`AuditItem` s, in order, with their object masks.

    Folders are searched recursively for png/jpg/jpeg/bmp/tif/webp files (sorted by path). Raises
    ValueError (or FileNotFoundError) naming the argument when ``images`` cannot be read as a set of images.
    """
    entries: list[tuple[str | None, Any, Any]] = []  # (path, image, label)
    if isinstance(images, (str, os.PathLike)):
        root = Path(images)
        if not root.exists():
            raise FileNotFoundError(
                f"images: {str(root)!r} does not exist; give a folder, a list of paths or a dataset"
            )
        if not root.is_dir():
            raise ValueError(f"images: {str(root)!r} is a file; give its folder, or a list: images=[{str(root)!r}]")
        files = sorted(p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
        if not files:
            raise ValueError(f"images: no {'/'.join(s[1:] for s in IMAGE_SUFFIXES)} files in {str(root)!r}")
        entries = [(str(p.resolve()), None, None) for p in files]
    else:
        if not hasattr(images, "__len__") or not hasattr(images, "__getitem__") or isinstance(images, (bytes, dict)):
            raise ValueError(
                f"images: expected a folder, a list of paths or a sequence of (image, label) pairs; got "
                f"{type(images).__name__}"
            )
        if len(images) == 0:
            raise ValueError("images: the sequence is empty")
        for i in range(len(images)):
            entry = images[i]
            if isinstance(entry, (str, os.PathLike)):
                entries.append((str(Path(entry).resolve()), None, None))
            elif isinstance(entry, tuple) and len(entry) == 2:
                image, label = entry
                if isinstance(image, (str, os.PathLike)):
                    entries.append((str(Path(image).resolve()), None, _label(label, i)))
                else:
                    entries.append((None, image, _label(label, i)))
            else:
                entries.append((None, entry, None))
    paths = [p for p, _, _ in entries if p is not None]
    if len(set(paths)) != len(paths):
        raise ValueError("images: the same path is listed twice; each image must appear once")
    masks = _object_masks(object_masks, entries)
    return [
        AuditItem(index=i, path=p, image=img, label=lab, object_mask=m)
        for i, ((p, img, lab), m) in enumerate(zip(entries, masks, strict=True))
    ]


def _label(label: Any, i: int) -> int | str | None:
    if label is None or isinstance(label, str):
        return label
    if hasattr(label, "item"):  # numpy / torch scalars
        label = label.item()
    if isinstance(label, bool) or not isinstance(label, int):
        raise ValueError(f"images[{i}]: the label must be a class id (int) or name (str); got {label!r}")
    return label


def _object_masks(object_masks: Any, entries: list[tuple[str | None, Any, Any]]) -> list[np.ndarray | None]:
    n = len(entries)
    if object_masks is None:
        return [None] * n
    if isinstance(object_masks, Mapping):
        by_key: dict[Any, Any] = {}
        for key, value in object_masks.items():
            by_key[str(Path(key).resolve()) if isinstance(key, (str, os.PathLike)) else key] = value
        found = [by_key.get(p if p is not None else i, by_key.get(i)) for i, (p, _, _) in enumerate(entries)]
        unknown = set(by_key) - {p for p, _, _ in entries} - set(range(n))
        if unknown:
            raise ValueError(f"object_masks: {len(unknown)} keys match no image, e.g. {sorted(map(str, unknown))[0]!r}")
    else:
        found = list(object_masks)
        if len(found) != n:
            raise ValueError(f"object_masks: {len(found)} masks for {n} images; give one per image (None for none)")
    return [None if m is None else _as_mask(m, i) for i, m in enumerate(found)]


def _as_mask(value: Any, i: int) -> np.ndarray:
    """A bool (H, W) mask, or a box (x0, y0, x1, y1) in pixels (x1, y1 exclusive) kept as int64 (4,)."""
    arr = np.asarray(value)
    if arr.ndim == 1 and arr.size == 4 and np.issubdtype(arr.dtype, np.number):
        box = np.round(arr).astype(np.int64)
        if box[2] <= box[0] or box[3] <= box[1] or box.min() < 0:
            raise ValueError(f"object_masks[{i}]: a box is (x0, y0, x1, y1) with x0 < x1, y0 < y1; got {value!r}")
        return box
    if arr.ndim != 2 or arr.dtype != np.bool_:
        raise ValueError(
            f"object_masks[{i}]: expected a bool (H, W) mask or a box (x0, y0, x1, y1); got dtype {arr.dtype}, "
            f"shape {arr.shape}"
        )
    return arr


def mask_for(item_mask: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """The bool (H, W) object mask of an image of ``shape`` from a mask or a box (see :func:`collect_items`)."""
    if item_mask.dtype == np.bool_:
        if item_mask.shape != shape:
            raise ValueError(f"object mask: shape {item_mask.shape} does not match the image's {shape}")
        return item_mask
    x0, y0, x1, y1 = (int(v) for v in item_mask)
    out = np.zeros(shape, dtype=bool)
    out[y0:y1, x0:x1] = True
    if not out.any():
        raise ValueError(f"object mask: the box {tuple(item_mask)} lies outside the {shape[1]}x{shape[0]} image")
    return out
