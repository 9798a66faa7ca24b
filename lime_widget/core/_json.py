"""Reading untrusted JSON: validated fields, bounded decompression and bounded PNG decoding.

``Explanation.from_json`` reads files that may come from anywhere. Every field goes through one of these
readers, which check the type, the shape and the range before anything large is allocated, and raise one
:class:`ExplanationFormatError` naming the field.
"""

from __future__ import annotations

import base64
import binascii
import io
import math
import zlib
from collections.abc import Mapping
from typing import Any

import numpy as np

#: Largest number of mask cells (samples x superpixels), refit values and pixels a file may declare.
MAX_CELLS = 200_000_000
MAX_DRAW_VALUES = 50_000_000
#: dtypes a packed array may have
ARRAY_DTYPES = ("int32", "int64", "uint16", "uint32", "float32", "float64")


class ExplanationFormatError(ValueError):
    """The file is not a valid lime_widget explanation; the message names the field that is wrong."""


def fail(field: str, problem: str) -> ExplanationFormatError:
    return ExplanationFormatError(f"{field}: {problem}")


def get(data: Mapping[str, Any], key: str, within: str = "") -> Any:
    """data[key]; a missing key is named with its parent (``within.key``)."""
    if key not in data:
        raise fail(f"{within}.{key}" if within else key, "missing")
    return data[key]


def read_int(value: Any, field: str, *, minimum: int | None = None, maximum: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise fail(field, f"must be an integer; got {type(value).__name__}")
    if minimum is not None and value < minimum:
        raise fail(field, f"must be at least {minimum}; got {value}")
    if maximum is not None and value > maximum:
        raise fail(field, f"must be at most {maximum}; got {value}")
    return value


def read_str(value: Any, field: str, choices: tuple[str, ...] | None = None) -> str:
    if not isinstance(value, str):
        raise fail(field, f"must be a string; got {type(value).__name__}")
    if choices is not None and value not in choices:
        raise fail(field, f"must be one of {', '.join(choices)}; got {value!r}")
    return value


def read_floats(value: Any, field: str, shape: tuple[int, ...], *, finite: bool = True) -> np.ndarray:
    """A nested list of numbers of exactly ``shape``, as float64."""
    expected = math.prod(shape)
    if not isinstance(value, list):
        raise fail(field, f"must be a list of numbers of shape {shape}; got {type(value).__name__}")
    if len(value) != shape[0]:
        raise fail(field, f"must have {shape[0]} entries (shape {shape}); got {len(value)}")
    try:
        arr = np.asarray(value)  # no dtype: numpy would turn the strings "1.5" and booleans into floats
    except (TypeError, ValueError) as err:
        raise fail(field, f"must hold numbers only, shape {shape} ({err})") from err
    if arr.size and arr.dtype.kind not in "iuf":
        raise fail(field, f"must hold numbers only, shape {shape}")
    arr = arr.astype(np.float64)
    if arr.shape != shape or arr.size != expected:
        raise fail(field, f"must have shape {shape}; got {arr.shape}")
    if finite and not np.all(np.isfinite(arr)):
        raise fail(field, "must hold finite numbers (no NaN or infinity)")
    return arr


def read_b64(value: Any, field: str, max_bytes: int) -> bytes:
    if not isinstance(value, str):
        raise fail(field, f"must be a base64 string; got {type(value).__name__}")
    if len(value) > 4 * (max_bytes // 3 + 2):
        raise fail(field, f"is larger than the {max_bytes:,} bytes its declared size allows")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as err:
        raise fail(field, f"is not valid base64 ({err})") from err


def read_packed(value: Any, field: str, *, max_values: int, ndim: int) -> np.ndarray:
    """A ``{"shape", "dtype", "zlib"}`` array; the decompressed size is bounded by the declared shape."""
    if not isinstance(value, Mapping):
        raise fail(field, f"must be an object with shape, dtype and zlib; got {type(value).__name__}")
    shape_list = get(value, "shape", field)
    if not isinstance(shape_list, list) or len(shape_list) != ndim:
        raise fail(f"{field}.shape", f"must be a list of {ndim} sizes; got {shape_list!r}")
    shape = tuple(read_int(s, f"{field}.shape", minimum=0) for s in shape_list)
    if math.prod(shape) > max_values:
        raise fail(f"{field}.shape", f"declares {math.prod(shape):,} values, more than the limit of {max_values:,}")
    dtype_name = read_str(get(value, "dtype", field), f"{field}.dtype", ARRAY_DTYPES)
    dtype = np.dtype(dtype_name).newbyteorder("<")
    expected = math.prod(shape) * dtype.itemsize
    raw = read_b64(get(value, "zlib", field), f"{field}.zlib", max(expected, 1) * 2 + 1024)
    try:
        inflater = zlib.decompressobj()
        out = inflater.decompress(raw, expected + 1)  # never more than the shape can hold
        if len(out) > expected or inflater.unconsumed_tail:
            raise fail(f"{field}.zlib", f"decompresses to more than the {expected:,} bytes its shape {shape} holds")
    except zlib.error as err:
        raise fail(f"{field}.zlib", f"is not valid zlib data ({err})") from err
    if not inflater.eof or inflater.unused_data:
        raise fail(f"{field}.zlib", "is not one complete zlib stream (cut short, or data after its end)")
    if len(out) != expected:
        raise fail(f"{field}.zlib", f"decompresses to {len(out):,} bytes; its shape {shape} needs {expected:,}")
    return np.frombuffer(out, dtype=dtype).reshape(shape).astype(np.dtype(dtype_name))


def read_png(value: Any, field: str, *, max_pixels: int) -> np.ndarray:
    """A base64 PNG, size read from its header and checked before decoding. Returns uint8 (H, W, 3)."""
    from PIL import Image, UnidentifiedImageError

    raw = read_b64(value, field, 4 * max_pixels + 1_000_000)
    try:
        with Image.open(io.BytesIO(raw)) as im:
            if im.format != "PNG":
                raise fail(field, f"must be a PNG; got {im.format}")
            w, h = im.size
            if w * h > max_pixels:
                raise fail(field, f"is {w}x{h} pixels, more than the limit of {max_pixels:,}")
            return np.array(im.convert("RGB"))
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, SyntaxError) as err:
        raise fail(field, f"is not a readable PNG ({type(err).__name__}: {err})") from err


def read_mask_bits(value: Any, field: str, *, max_cells: int) -> np.ndarray:
    """``{"shape": [n, K], "bits": base64 of packbits}`` -> bool (n, K)."""
    if not isinstance(value, Mapping):
        raise fail(field, f"must be an object with shape and bits; got {type(value).__name__}")
    shape_list = get(value, "shape", field)
    if not isinstance(shape_list, list) or len(shape_list) != 2:
        raise fail(f"{field}.shape", f"must be [samples, superpixels]; got {shape_list!r}")
    n = read_int(shape_list[0], f"{field}.shape", minimum=1)
    k = read_int(shape_list[1], f"{field}.shape", minimum=2)
    if n * k > max_cells:
        raise fail(f"{field}.shape", f"declares {n * k:,} cells, more than the limit of {max_cells:,}")
    nbytes = (n * k + 7) // 8
    raw = read_b64(get(value, "bits", field), f"{field}.bits", nbytes)
    if len(raw) != nbytes:
        raise fail(f"{field}.bits", f"holds {len(raw):,} bytes; shape ({n}, {k}) needs {nbytes:,}")
    bits = np.frombuffer(raw, dtype=np.uint8)
    return np.unpackbits(bits, count=n * k).astype(bool).reshape(n, k)
