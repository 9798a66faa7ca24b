"""The inputs of an audit: collecting the images (a folder, paths, a dataset) and their object masks into
:class:`AuditItem` s, one per image, and checking them before any work starts.

Walking a folder: each file is named as it appears in the folder (a symbolic link by its own path, never its
target); links to folders are not followed (no loops, nothing outside the folder is searched); a dangling link,
an unreadable file or an unreadable sub-folder becomes an item with a ``problem`` (an error row, never a silent
skip); two names of one file (a hard link, or a link to a file also in the folder) are both audited, the second
with ``same_file_as`` naming the first.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp")


@dataclass(frozen=True)
class AuditItem:
    """One image of an audit. index: position in the audit; path: absolute file path as the user named it
    (a link's own path; None for in-memory images); image: the in-memory image (None for paths); label: true
    class id or name (None = unknown); object_mask: bool (H, W) where the object is, or an int64 (4,) box, or
    None; problem: why the image cannot be explained, found before any work ("" when none: the row's error);
    same_file_as: the path of an earlier item that is the same file ("" when none)."""

    index: int
    path: str | None
    image: Any
    label: int | str | None
    object_mask: np.ndarray | None
    problem: str = ""
    same_file_as: str = ""

    @property
    def key(self) -> str:
        """What identifies the image across runs: its path, or ``#index`` for in-memory images."""
        return self.path if self.path is not None else f"#{self.index}"

    @property
    def mask_sha(self) -> str:
        """A short hash of the object mask ("" without one): a rerun must give each image the same mask."""
        if self.object_mask is None:
            return ""
        m = self.object_mask
        data = np.packbits(m).tobytes() + str(m.shape).encode() if m.dtype == np.bool_ else m.tobytes()
        return ("box " if m.dtype != np.bool_ else "mask ") + hashlib.sha256(data).hexdigest()[:16]


def collect_items(images: Any, object_masks: Any = None) -> list[AuditItem]:
    """Turn ``images`` (see :func:`audit`) into :class:`AuditItem` s, in order, with their object masks.

    Folders are searched recursively for png/jpg/jpeg/bmp/tif/webp files (sorted by path; see the module's
    notes on links and unreadable entries). Raises ValueError (or FileNotFoundError) naming the argument when
    ``images`` cannot be read as a set of images, or a mask does not fit its image.
    """
    entries: list[tuple[str | None, Any, Any]] = []  # (path, image, label)
    problems: dict[str, str] = {}
    if isinstance(images, (str, os.PathLike)):
        root = Path(images)
        if not root.exists():
            raise FileNotFoundError(
                f"images: {str(root)!r} does not exist; give a folder, a list of paths or a dataset"
            )
        if not root.is_dir():
            raise ValueError(f"images: {str(root)!r} is a file; give its folder, or a list: images=[{str(root)!r}]")
        if not os.access(root, os.R_OK | os.X_OK):
            raise PermissionError(f"images: cannot read the folder {str(root)!r} (permission denied)")
        found, problems = walk_images(root)
        if not found:
            raise ValueError(f"images: no {'/'.join(s[1:] for s in IMAGE_SUFFIXES)} files in {str(root)!r}")
        entries = [(p, None, None) for p in found]
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
                entries.append((_named(entry), None, None))
            elif isinstance(entry, tuple) and len(entry) == 2:
                image, label = entry
                if isinstance(image, (str, os.PathLike)):
                    entries.append((_named(image), None, _label(label, i)))
                else:
                    entries.append((None, image, _label(label, i)))
            else:
                entries.append((None, entry, None))
    paths = [p for p, _, _ in entries if p is not None]
    if len(set(paths)) != len(paths):
        twice = next(p for p in paths if paths.count(p) > 1)
        raise ValueError(f"images: the path {twice!r} is listed twice; each image must appear once")
    masks = _object_masks(object_masks, entries)
    same = same_files([p for p in paths if p not in problems])
    items = []
    for i, ((p, img, lab), m) in enumerate(zip(entries, masks, strict=True)):
        problem = problems.get(p, "") if p is not None else ""
        if m is not None and not problem:
            _check_mask_fits(m, i, p, img)
        items.append(
            AuditItem(
                index=i,
                path=p,
                image=img,
                label=lab,
                object_mask=m,
                problem=problem,
                same_file_as=same.get(p, "") if p is not None else "",
            )
        )
    return items


def _named(path: str | os.PathLike[str]) -> str:
    """The absolute path as given (``..`` folded, links kept: the row names what the user named)."""
    return os.path.abspath(os.fspath(path))


def walk_images(root: Path) -> tuple[list[str], dict[str, str]]:
    """The image files under ``root`` (absolute paths through ``root``, sorted) and, for those that cannot be
    read, the problem: a dangling link, a file without read permission, a folder that cannot be listed (the
    folder's own path stands for its images)."""
    found: list[str] = []
    problems: dict[str, str] = {}
    base = _named(root)

    def unreadable(err: OSError) -> None:
        folder = _named(err.filename) if err.filename else base
        found.append(folder)
        problems[folder] = (
            f"PermissionError: cannot list the folder {folder!r} ({err.strerror}); its images were not audited"
        )

    for folder, dirs, files in os.walk(base, onerror=unreadable, followlinks=False):
        dirs.sort()
        for name in files:  # links to folders are listed in dirs, and not followed
            if Path(name).suffix.lower() not in IMAGE_SUFFIXES:
                continue
            path = os.path.join(folder, name)
            found.append(path)
            if os.path.islink(path) and not os.path.exists(path):
                problems[path] = f"FileNotFoundError: {path!r} is a dangling link (to {os.readlink(path)!r})"
            elif not os.access(path, os.R_OK):
                problems[path] = f"PermissionError: cannot read {path!r} (permission denied)"
    return sorted(found), problems


def same_files(paths: list[str]) -> dict[str, str]:
    """For each path that is the same file as an earlier one (same device and inode: a hard link, or a link to
    a file also listed), that earlier path."""
    first: dict[tuple[int, int], str] = {}
    out: dict[str, str] = {}
    for p in paths:
        try:
            st = os.stat(p)
        except OSError:
            continue
        ident = (st.st_dev, st.st_ino)
        if ident in first:
            out[p] = first[ident]
        else:
            first[ident] = p
    return out


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
            by_key[_named(key) if isinstance(key, (str, os.PathLike)) else key] = value
        found = [by_key.get(p if p is not None else i, by_key.get(i)) for i, (p, _, _) in enumerate(entries)]
        unknown = set(by_key) - {p for p, _, _ in entries} - set(range(n))
        if unknown:
            raise ValueError(f"object_masks: {len(unknown)} keys match no image, e.g. {sorted(map(str, unknown))[0]!r}")
    else:
        if isinstance(object_masks, (str, bytes, os.PathLike)) or not hasattr(object_masks, "__iter__"):
            raise ValueError(
                f"object_masks: expected a sequence (one per image) or a mapping; got {type(object_masks).__name__}"
            )
        found = list(object_masks)
        if len(found) != n:
            raise ValueError(f"object_masks: {len(found)} masks for {n} images; give one per image (None for none)")
    return [None if m is None else _as_mask(m, i) for i, m in enumerate(found)]


def _as_mask(value: Any, i: int) -> np.ndarray:
    """A bool (H, W) mask, or a box (x0, y0, x1, y1) in pixels (x1, y1 exclusive) kept as int64 (4,)."""
    arr = np.asarray(value)
    if arr.ndim == 1 and arr.size == 4 and np.issubdtype(arr.dtype, np.number) and arr.dtype != np.bool_:
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"object_masks[{i}]: a box's coordinates must be finite; got {value!r}")
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


def _check_mask_fits(mask: np.ndarray, i: int, path: str | None, image: Any) -> None:
    """ValueError when the image's size is known here (in memory, or a file's header) and the mask does not
    fit it: a bool mask of another shape, or a box outside the image."""
    shape = image_shape(path, image)
    if shape is None:
        return
    name = path if path is not None else f"#{i}"
    if mask.dtype == np.bool_:
        if mask.shape != shape:
            raise ValueError(
                f"object_masks[{i}]: the mask has shape {mask.shape} but the image {name!r} is {shape} (H, W); "
                "give a mask of the image's size"
            )
    elif mask[0] >= shape[1] or mask[1] >= shape[0]:
        raise ValueError(
            f"object_masks[{i}]: the box {tuple(int(v) for v in mask)} lies outside the image {name!r} "
            f"({shape[1]}x{shape[0]} pixels)"
        )


def image_shape(path: str | None, image: Any) -> tuple[int, int] | None:
    """(H, W) of an in-memory image or of an image file (from its header, as :func:`load_image` reads it), or None
    when it cannot be told cheaply (the worker then reports any problem in the image's row)."""
    if path is None:
        from ..core.images import to_rgb_uint8

        try:
            arr = to_rgb_uint8(image)
        except Exception:  # the worker reports it in the image's row
            return None
        return (int(arr.shape[0]), int(arr.shape[1]))
    try:
        from PIL import Image

        with Image.open(path) as im:
            w, h = im.size
    except Exception:  # unreadable: the worker reports it in the image's row
        return None
    return (h, w)


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
