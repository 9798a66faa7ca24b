"""The validated JSON readers (lime_widget.core._json): type, shape and range checks before anything large
is allocated, bounded zlib and PNG decoding, and one ExplanationFormatError that names the field."""

from __future__ import annotations

import base64
import io
import struct
import time
import tracemalloc
import zlib

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

import lime_widget as lw
from lime_widget.core._json import (
    ARRAY_DTYPES,
    ExplanationFormatError,
    fail,
    get,
    read_b64,
    read_floats,
    read_int,
    read_mask_bits,
    read_packed,
    read_png,
    read_str,
)
from lime_widget.engine._explanation_file import STOP_REASONS


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def packed(arr: np.ndarray, raw: bytes | None = None, dtype: str | None = None) -> dict:
    """The ``{"shape", "dtype", "zlib"}`` form of arr (little-endian), or of other raw bytes under its shape."""
    data = arr.astype(arr.dtype.newbyteorder("<")).tobytes() if raw is None else raw
    return {"shape": list(arr.shape), "dtype": dtype or arr.dtype.name, "zlib": b64(zlib.compress(data))}


def png(img: np.ndarray | Image.Image, fmt: str = "PNG") -> str:
    im = img if isinstance(img, Image.Image) else Image.fromarray(img)
    buf = io.BytesIO()
    im.save(buf, format=fmt)
    return b64(buf.getvalue())


def png_header_only(width: int, height: int) -> str:
    """A PNG that declares width x height RGB pixels and holds none (valid signature and IHDR, no IDAT)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b64(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IEND", b""))


def packbits(masks: np.ndarray) -> dict:
    return {"shape": list(masks.shape), "bits": b64(np.packbits(masks.ravel()).tobytes())}


# --- the error ----------------------------------------------------------------------------------------------


def test_the_error_is_a_value_error_named_by_its_field_and_public():
    err = fail("coef", "must be a list")
    assert isinstance(err, ValueError) and str(err) == "coef: must be a list"
    assert lw.ExplanationFormatError is ExplanationFormatError


def test_get_names_a_missing_key_with_its_parent():
    assert get({"a": 1}, "a") == 1
    assert get({"a": None}, "a") is None  # present but null is not missing
    with pytest.raises(ExplanationFormatError, match=r"^b: missing$"):
        get({"a": 1}, "b")
    with pytest.raises(ExplanationFormatError, match=r"^config\.seed: missing$"):
        get({}, "seed", "config")


# --- scalars ------------------------------------------------------------------------------------------------


def test_read_int_checks_type_and_range():
    assert read_int(7, "seed") == 7 and read_int(0, "seed", minimum=0) == 0 and read_int(5, "n", maximum=5) == 5
    for bad, kind in [(True, "bool"), (1.0, "float"), ("7", "str"), (None, "NoneType"), ([7], "list")]:
        with pytest.raises(ExplanationFormatError, match=rf"^seed: must be an integer; got {kind}$"):
            read_int(bad, "seed")
    with pytest.raises(ExplanationFormatError, match=r"^seed: must be at least 0; got -1$"):
        read_int(-1, "seed", minimum=0)
    with pytest.raises(ExplanationFormatError, match=r"^k: must be at most 3; got 4$"):
        read_int(4, "k", maximum=3)


def test_read_str_checks_type_and_choices():
    assert read_str("x", "name") == "x" and read_str("fixed", "stop_reason", ("fixed", "stable")) == "fixed"
    with pytest.raises(ExplanationFormatError, match=r"^name: must be a string; got int$"):
        read_str(3, "name")
    with pytest.raises(ExplanationFormatError, match=r"^stop_reason: must be one of fixed, stable; got 'bored'$"):
        read_str("bored", "stop_reason", ("fixed", "stable"))


def test_read_str_with_the_stop_reasons_of_the_file_format():
    """The reasons an auto run stops for, as the explanation file reads them: ``settled`` and ``precise`` too."""
    for reason in ("fixed", "settled", "precise", "stable", "max_samples"):
        assert read_str(reason, "stop_reason", STOP_REASONS) == reason
    with pytest.raises(ExplanationFormatError, match=r"^stop_reason: must be one of .*settled, precise.*; got 'sure'$"):
        read_str("sure", "stop_reason", STOP_REASONS)


# --- lists of numbers ---------------------------------------------------------------------------------------


def test_read_floats_reads_exactly_the_shape_as_float64():
    out = read_floats([[1, 2.5, -3], [0, 1e300, 7]], "coef", (2, 3))
    assert out.dtype == np.float64 and out.shape == (2, 3)
    np.testing.assert_array_equal(out, [[1, 2.5, -3], [0, 1e300, 7]])
    assert read_floats([], "coef", (0,)).shape == (0,)


@pytest.mark.parametrize(
    ("value", "shape", "message"),
    [
        (None, (2,), r"must be a list of numbers of shape \(2,\); got NoneType"),
        ({"a": 1}, (2,), r"must be a list of numbers of shape \(2,\); got dict"),
        ("12", (2,), r"must be a list of numbers of shape \(2,\); got str"),
        ([1, 2, 3], (2,), r"must have 2 entries \(shape \(2,\)\); got 3"),
        ([[1, 2], [3]], (2, 2), r"must hold numbers only, shape \(2, 2\)"),
        ([[1, 2], [3, {}]], (2, 2), r"must hold numbers only"),
        ([1, 2], (2, 1), r"must have shape \(2, 1\); got \(2,\)"),
        ([[1, 2], [3, 4]], (2,), r"must have shape \(2,\); got \(2, 2\)"),
        ([1, float("nan")], (2,), r"must hold finite numbers \(no NaN or infinity\)"),
        ([float("inf"), 1], (2,), r"must hold finite numbers"),
        ([None, 1], (2,), r"must hold"),  # null is not a number
    ],
    ids=repr,
)
def test_read_floats_refuses_with_the_field_named(value, shape, message):
    with pytest.raises(ExplanationFormatError, match=rf"^coef: {message}"):
        read_floats(value, "coef", shape)


def test_read_floats_allows_nan_only_when_asked():
    out = read_floats([float("nan"), float("-inf"), 1.0], "scores", (3,), finite=False)
    assert np.isnan(out[0]) and out[1] == -np.inf and out[2] == 1.0


@pytest.mark.parametrize("value", [["1.5", "2"], [True, False]], ids=["strings", "booleans"])
def test_read_floats_refuses_strings_and_booleans(value):
    with pytest.raises(ExplanationFormatError, match=r"^coef: "):
        read_floats(value, "coef", (2,))


@given(st.lists(st.floats(allow_nan=False, allow_infinity=False), min_size=1, max_size=20))
def test_read_floats_round_trips_any_finite_list(values):
    np.testing.assert_array_equal(read_floats(values, "x", (len(values),)), np.array(values, dtype=np.float64))


# --- base64 -------------------------------------------------------------------------------------------------


def test_read_b64_decodes_within_its_bound():
    raw = bytes(range(256)) * 3
    assert read_b64(b64(raw), "bits", max_bytes=len(raw)) == raw
    assert read_b64("", "bits", max_bytes=0) == b""


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (None, r"must be a base64 string; got NoneType"),
        (b"AAAA", r"must be a base64 string; got bytes"),
        ("%%%%", r"is not valid base64"),
        ("AAA", r"is not valid base64"),  # truncated: not a multiple of 4
        (b64(b"hello world")[:-3], r"is not valid base64"),
        ("AA AA", r"is not valid base64"),  # validate=True: no characters outside the alphabet
    ],
    ids=repr,
)
def test_read_b64_refuses_what_is_not_base64(value, message):
    with pytest.raises(ExplanationFormatError, match=rf"^image_png: {message}"):
        read_b64(value, "image_png", max_bytes=1000)


def test_read_b64_refuses_more_than_its_bound_before_decoding():
    with pytest.raises(ExplanationFormatError, match=r"^bits: is larger than the 300 bytes its declared size allows"):
        read_b64(b64(bytes(310)), "bits", max_bytes=300)
    huge = "A" * 40_000_000  # 30 MB if decoded: refused from its length alone
    t0 = time.perf_counter()
    with pytest.raises(ExplanationFormatError, match="larger than"):
        read_b64(huge, "bits", max_bytes=1000)
    assert time.perf_counter() - t0 < 0.5


# --- packed arrays ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", ARRAY_DTYPES)
def test_read_packed_round_trips_every_dtype(dtype):
    arr = (np.arange(24).reshape(2, 3, 4) * 3 + 1).astype(dtype)
    out = read_packed(packed(arr), "draws", max_values=24, ndim=3)
    assert out.dtype == np.dtype(dtype) and out.dtype.isnative and out.shape == (2, 3, 4)
    np.testing.assert_array_equal(out, arr)


def test_read_packed_reads_little_endian_whatever_the_machine():
    arr = np.array([[1, 256, 65536]], dtype=">i4")  # big-endian in memory; the format is little-endian
    out = read_packed(packed(arr, dtype="int32"), "segments", max_values=3, ndim=2)
    np.testing.assert_array_equal(out, [[1, 256, 65536]])


def test_read_packed_empty_array():
    out = read_packed(packed(np.zeros((0, 3), np.int32)), "segments", max_values=10, ndim=2)
    assert out.shape == (0, 3)


SEG = np.arange(12, dtype=np.int32).reshape(3, 4)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ([1, 2], r"^segments: must be an object with shape, dtype and zlib; got list"),
        ({"dtype": "int32", "zlib": ""}, r"^segments\.shape: missing"),
        ({**packed(SEG), "shape": [12]}, r"^segments\.shape: must be a list of 2 sizes; got \[12\]"),
        ({**packed(SEG), "shape": "3x4"}, r"^segments\.shape: must be a list of 2 sizes"),
        ({**packed(SEG), "shape": [3, -4]}, r"^segments\.shape: must be at least 0; got -4"),
        ({**packed(SEG), "shape": [3, 4.0]}, r"^segments\.shape: must be an integer; got float"),
        ({**packed(SEG), "shape": [True, 4]}, r"^segments\.shape: must be an integer; got bool"),
        ({**packed(SEG), "shape": [10**6, 10**6]}, r"^segments\.shape: declares 1,000,000,000,000 values, more"),
        ({k: v for k, v in packed(SEG).items() if k != "dtype"}, r"^segments\.dtype: missing"),
        ({**packed(SEG), "dtype": "object"}, r"^segments\.dtype: must be one of int32, int64"),
        ({**packed(SEG), "dtype": "float16"}, r"^segments\.dtype: must be one of"),
        ({**packed(SEG), "dtype": 4}, r"^segments\.dtype: must be a string"),
        ({k: v for k, v in packed(SEG).items() if k != "zlib"}, r"^segments\.zlib: missing"),
        ({**packed(SEG), "zlib": 12}, r"^segments\.zlib: must be a base64 string"),
        ({**packed(SEG), "zlib": "%%%%"}, r"^segments\.zlib: is not valid base64"),
        ({**packed(SEG), "zlib": b64(b"not zlib at all")}, r"^segments\.zlib: is not valid zlib data"),
        (packed(SEG, raw=SEG.tobytes()[:-4]), r"^segments\.zlib: decompresses to 44 bytes; its shape \(3, 4\) needs 48"),
        (packed(SEG, raw=SEG.tobytes() + b"\0"), r"^segments\.zlib: decompresses to more than the 48 bytes"),
        (packed(SEG, dtype="int64"), r"^segments\.zlib: decompresses to 48 bytes; its shape \(3, 4\) needs 96"),
        ({**packed(SEG), "zlib": b64(zlib.compress(SEG.tobytes())[:-8])}, r"^segments\.zlib: "),  # cut mid-stream
    ],
    ids=[
        "not an object", "no shape", "wrong ndim", "shape not a list", "negative size", "float size", "bool size",
        "too many values", "no dtype", "object dtype", "float16", "dtype not a string", "no zlib", "zlib not a string",
        "not base64", "not zlib", "too short", "too long", "wrong dtype for the bytes", "truncated stream",
    ],
)  # fmt: skip
def test_read_packed_refuses_with_the_field_named(value, message):
    with pytest.raises(ExplanationFormatError, match=message):
        read_packed(value, "segments", max_values=10**6, ndim=2)


def test_a_zlib_bomb_is_refused_without_inflating_it():
    """20 MB of zeros compress to about 20 kB, within the base64 bound of a (100, 100) float64 array: the
    inflater stops one byte past the 80,000 bytes the shape holds."""
    bomb = {"shape": [100, 100], "dtype": "float64", "zlib": b64(zlib.compress(bytes(20_000_000), 9))}
    tracemalloc.start()
    try:
        with pytest.raises(ExplanationFormatError, match=r"^coef_draws\.zlib: decompresses to more than the 80,000"):
            read_packed(bomb, "coef_draws", max_values=10**6, ndim=2)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 2_000_000, f"peak allocation {peak:,} bytes: the bomb was inflated"


def test_a_bomb_too_large_for_the_bound_is_refused_before_decoding():
    bomb = {"shape": [10, 10], "dtype": "float64", "zlib": b64(zlib.compress(bytes(50_000_000)))}
    with pytest.raises(ExplanationFormatError, match=r"^segments\.zlib: is larger than the 2,624 bytes"):
        read_packed(bomb, "segments", max_values=100, ndim=2)


@pytest.mark.parametrize("cut", ["no checksum", "junk after the end"])
def test_read_packed_refuses_an_incomplete_or_padded_stream(cut):
    raw = zlib.compress(SEG.tobytes())
    raw = raw[:-4] if cut == "no checksum" else raw + b"junk"
    with pytest.raises(ExplanationFormatError, match=r"^segments\.zlib: "):
        read_packed({**packed(SEG), "zlib": b64(raw)}, "segments", max_values=100, ndim=2)


# --- PNG ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["RGB", "RGBA", "L", "P"])
def test_read_png_returns_rgb_uint8(mode):
    img = np.random.default_rng(0).integers(0, 256, size=(5, 7, 3), dtype=np.uint8)
    im = Image.fromarray(img).convert(mode)
    out = read_png(png(im), "image_png", max_pixels=35)
    assert out.dtype == np.uint8 and out.shape == (5, 7, 3)
    np.testing.assert_array_equal(out, np.array(im.convert("RGB")))


def test_read_png_checks_the_size_from_the_header_before_decoding():
    """The header says 5000 x 5000 and there are no pixel data at all: only a header check can say 'limit'."""
    t0 = time.perf_counter()
    with pytest.raises(
        ExplanationFormatError, match=r"^image_png: is 5000x5000 pixels, more than the limit of 1,000,000"
    ):
        read_png(png_header_only(5000, 5000), "image_png", max_pixels=1_000_000)
    assert time.perf_counter() - t0 < 1
    # at the limit itself the header passes, and the missing pixel data is then the error
    with pytest.raises(ExplanationFormatError, match=r"^image_png: is not a readable PNG"):
        read_png(png_header_only(1000, 1000), "image_png", max_pixels=1_000_000)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (png(np.zeros((4, 4, 3), np.uint8), fmt="GIF"), r"must be a PNG; got GIF"),
        (png(np.zeros((4, 4, 3), np.uint8), fmt="JPEG"), r"must be a PNG; got JPEG"),
        (b64(b"hello, not an image"), r"is not a readable PNG \(UnidentifiedImageError"),
        (b64(base64.b64decode(png(np.full((32, 32, 3), 7, np.uint8)))[:60]), r"is not a readable PNG"),
        (b64(b""), r"is not a readable PNG"),
        (7, r"must be a base64 string; got int"),
        ("data:image/png;base64,AAAA", r"is not valid base64"),
    ],
    ids=["gif", "jpeg", "not an image", "truncated", "empty", "not a string", "a data URL"],
)
def test_read_png_refuses_with_the_field_named(raw, message):
    with pytest.raises(ExplanationFormatError, match=rf"^fill_png: {message}"):
        read_png(raw, "fill_png", max_pixels=10_000)


# --- mask bits ----------------------------------------------------------------------------------------------


@given(st.integers(1, 40), st.integers(2, 40), st.integers(0, 2**32 - 1))
def test_read_mask_bits_round_trips(n, k, seed):
    masks = np.random.default_rng(seed).random((n, k)) < 0.5
    out = read_mask_bits(packbits(masks), "masks", max_cells=n * k)
    assert out.dtype == bool and out.shape == (n, k)
    np.testing.assert_array_equal(out, masks)


MASKS = np.eye(3, 5, dtype=bool)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("bits", r"^masks: must be an object with shape and bits; got str"),
        ({"bits": ""}, r"^masks\.shape: missing"),
        ({**packbits(MASKS), "shape": [15]}, r"^masks\.shape: must be \[samples, superpixels\]; got \[15\]"),
        ({**packbits(MASKS), "shape": [0, 5]}, r"^masks\.shape: must be at least 1; got 0"),
        ({**packbits(MASKS), "shape": [3, 1]}, r"^masks\.shape: must be at least 2; got 1"),
        ({**packbits(MASKS), "shape": [3, "5"]}, r"^masks\.shape: must be an integer; got str"),
        ({**packbits(MASKS), "shape": [2_000_000, 100]}, r"^masks\.shape: declares 200,000,000 cells, more"),
        ({"shape": [3, 5]}, r"^masks\.bits: missing"),
        ({**packbits(MASKS), "bits": b64(b"\0")}, r"^masks\.bits: holds 1 bytes; shape \(3, 5\) needs 2"),
        ({**packbits(MASKS), "bits": b64(b"\0" * 3)}, r"^masks\.bits: holds 3 bytes; shape \(3, 5\) needs 2"),
        ({**packbits(MASKS), "bits": b64(b"\0" * 100)}, r"^masks\.bits: is larger than the 2 bytes"),
        ({**packbits(MASKS), "bits": "%%%%"}, r"^masks\.bits: is not valid base64"),
    ],
    ids=[
        "not an object", "no shape", "one size", "no samples", "one superpixel", "size not an int", "too many cells",
        "no bits", "bits too short", "bits too long", "bits far too long", "bits not base64",
    ],
)  # fmt: skip
def test_read_mask_bits_refuses_with_the_field_named(value, message):
    with pytest.raises(ExplanationFormatError, match=message):
        read_mask_bits(value, "masks", max_cells=100_000_000)
