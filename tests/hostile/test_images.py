"""Hostile image files and arrays: folders, truncated files, decompression bombs, sizes read from the header
before decoding; every one an ImageError (or FileNotFoundError) naming the file."""

from __future__ import annotations

import struct
import time
import warnings
import zlib

import numpy as np
import pytest
import torch
from PIL import Image

import lime_widget as lw
from lime_widget.core.images import ImageError, load_image, to_rgb_uint8


def giant_png(width: int, height: int) -> bytes:
    """A tiny PNG file whose header declares width x height pixels (its data is a few bytes)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b"")
    )


@pytest.fixture
def tmp_files(tmp_path):
    Image.fromarray(np.full((40, 50, 3), 120, np.uint8)).save(tmp_path / "ok.png")
    Image.fromarray(np.full((40, 50, 3), 120, np.uint8)).save(tmp_path / "ok.jpg")
    for name in ("ok.png", "ok.jpg"):
        raw = (tmp_path / name).read_bytes()
        (tmp_path / f"truncated_{name}").write_bytes(raw[: len(raw) // 3])
    (tmp_path / "zero.png").write_bytes(b"")
    (tmp_path / "text.png").write_text("hello")
    (tmp_path / "dir.png").mkdir()
    (tmp_path / "header_200mp.png").write_bytes(giant_png(20_000, 10_000))
    (tmp_path / "header_pil_bomb.png").write_bytes(giant_png(60_000, 60_000))
    return tmp_path


@pytest.mark.parametrize(
    ("name", "needle"),
    [
        ("truncated_ok.png", "truncated"),
        ("truncated_ok.jpg", "truncated"),
        ("zero.png", "not an image"),
        ("text.png", "not an image"),
        ("dir.png", "folder"),
        ("header_200mp.png", "limit"),
        ("header_pil_bomb.png", "pixels"),
    ],
)
def test_bad_files_are_image_errors_naming_the_file(tmp_files, name, needle):
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no DecompressionBombWarning leaks out either
        with pytest.raises(ImageError) as info:
            load_image(tmp_files / name)
    assert name in str(info.value) and needle in str(info.value)
    assert time.perf_counter() - t0 < 2  # the size came from the header: nothing was decoded


def test_the_pixel_limit_is_applied_from_the_header(tmp_files):
    with pytest.raises(ImageError, match="limit"):
        load_image(tmp_files / "ok.png", max_pixels=1000)
    assert load_image(tmp_files / "ok.png").shape == (40, 50, 3)


@pytest.mark.parametrize(
    "image",
    [
        np.zeros((5, 5, 3), np.uint8),
        np.zeros((40, 40, 2), np.uint8),
        np.zeros((40, 40, 3, 1), np.uint8),
        np.full((40, 40, 3), np.nan),
        np.full((40, 40, 3), 2.0),
        np.full((40, 40, 3), -0.5),
        np.zeros((40, 40, 3), np.int8),
        np.zeros((40, 40, 3), np.complex64),
        np.zeros((3, 40, 40), np.uint8),
        np.zeros((0, 40, 3), np.uint8),
        torch.zeros(5, 40, 40),
        torch.zeros(2, 3, 40, 40),
        torch.zeros(40),
    ],
    ids=lambda a: f"{type(a).__name__}{tuple(a.shape)}",
)
def test_bad_arrays_are_image_errors(image):
    with pytest.raises(ImageError):
        to_rgb_uint8(image)


@pytest.mark.parametrize("value", [None, 3, 2.5, ["a"], {"x": 1}, b"bytes", object()], ids=repr)
def test_unsupported_objects_are_type_errors_naming_the_type(value):
    with pytest.raises((TypeError, ImageError)):
        lw.explain(value, lambda b: np.tile([0.5, 0.5], (len(b), 1)), num_samples=4, progress=False)


def test_the_callers_array_is_never_modified():
    img = np.random.default_rng(0).integers(0, 255, (40, 40, 3), dtype=np.uint8)
    before = img.copy()
    out = to_rgb_uint8(img)
    out[:] = 0
    np.testing.assert_array_equal(img, before)
