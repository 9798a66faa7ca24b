from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from PIL import Image

import lime_widget as lw
from lime_widget.core.images import ImageError, to_rgb_uint8


def test_uint8_rgb_is_copied_not_shared():
    a = np.zeros((20, 30, 3), dtype=np.uint8)
    out = to_rgb_uint8(a)
    assert out.shape == (20, 30, 3) and out.dtype == np.uint8
    out[0, 0, 0] = 7
    assert a[0, 0, 0] == 0


@pytest.mark.parametrize("shape", [(20, 30), (20, 30, 1)])
def test_grayscale_repeated_to_rgb(shape):
    a = np.arange(600, dtype=np.uint8).reshape(20, 30).reshape(shape)
    out = to_rgb_uint8(a)
    assert out.shape == (20, 30, 3)
    assert np.array_equal(out[..., 0], out[..., 2])
    assert np.array_equal(out[..., 1], a.reshape(20, 30))


def test_rgba_drops_alpha_with_warning():
    a = np.full((20, 30, 4), 9, dtype=np.uint8)
    with pytest.warns(UserWarning, match="alpha"):
        out = to_rgb_uint8(a)
    assert out.shape == (20, 30, 3)


def test_uint16_and_float_scaled():
    assert to_rgb_uint8(np.full((10, 10, 3), 65535, dtype=np.uint16)).max() == 255
    f = np.full((10, 10, 3), 0.5, dtype=np.float32)
    assert to_rgb_uint8(f)[0, 0, 0] == 128


def test_pil_and_tensor_and_path(tmp_path):
    rgb = np.random.default_rng(0).integers(0, 255, (16, 24, 3), dtype=np.uint8)
    assert np.array_equal(to_rgb_uint8(Image.fromarray(rgb)), rgb)
    t = torch.from_numpy(rgb).permute(2, 0, 1).clone()
    assert np.array_equal(to_rgb_uint8(t), rgb)
    assert np.array_equal(to_rgb_uint8(t.float() / 255.0), rgb)
    p = tmp_path / "x.png"
    Image.fromarray(rgb).save(p)
    assert np.array_equal(lw.load_image(p), rgb)
    assert np.array_equal(to_rgb_uint8(str(p)), rgb)


def test_sample_images_offline():
    img = lw.sample_image("chelsea")
    assert img.shape == (300, 451, 3) and img.dtype == np.uint8
    with pytest.raises(ValueError, match="chelsea"):
        lw.sample_image("nope")


@pytest.mark.parametrize(
    ("image", "message"),
    [
        (np.full((20, 20, 3), np.nan), "NaN"),
        (np.full((20, 20, 3), np.inf), "NaN or infinite"),
        (np.full((20, 20, 3), 2.0), r"\[0, 1\]"),
        (np.zeros((2, 20, 20, 3), dtype=np.uint8), "dimensions"),
        (np.zeros((20,), dtype=np.uint8), "dimensions"),
        (np.zeros((20, 20, 3), dtype=np.int64), "astype"),
        (np.zeros((3, 40, 50), dtype=np.uint8), "channel-first"),
        (np.zeros((20, 20, 5), dtype=np.uint8), "channels"),
        (np.zeros((4, 40, 3), dtype=np.uint8), "at least"),
        (np.zeros((0, 0, 3), dtype=np.uint8), "at least"),
        (torch.zeros(40, 50, 3), "channel-first"),
    ],
)
def test_bad_images_raise_clear_errors(image, message):
    before = image.copy() if isinstance(image, np.ndarray) else image.clone()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ImageError, match=message):
            to_rgb_uint8(image)
    if isinstance(image, np.ndarray):
        np.testing.assert_array_equal(image, before)


def test_pixel_limit():
    with pytest.raises(ImageError, match="max_pixels"):
        to_rgb_uint8(np.zeros((100, 100, 3), dtype=np.uint8), max_pixels=5000)


def test_unsupported_type_and_missing_file(tmp_path):
    with pytest.raises(TypeError, match="unsupported image type"):
        to_rgb_uint8([[1, 2], [3, 4]])
    with pytest.raises(FileNotFoundError):
        lw.load_image(tmp_path / "missing.png")
    bad = tmp_path / "bad.png"
    bad.write_text("not an image")
    with pytest.raises(ImageError, match="not an image"):
        lw.load_image(bad)
