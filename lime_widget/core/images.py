"""Loading and validating images: everything becomes a fresh uint8 RGB array of shape (H, W, 3)."""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np

#: Default cap on the number of pixels of an input image (about a 40-megapixel photo).
DEFAULT_MAX_PIXELS = 40_000_000
#: Smallest accepted height or width, in pixels.
MIN_SIDE = 8

SAMPLE_IMAGES = ("chelsea", "coffee", "astronaut", "rocket")


class ImageError(ValueError):
    """The image given cannot be used; the message says what is wrong and how to fix it."""


def load_image(path: str | os.PathLike[str], *, max_pixels: int = DEFAULT_MAX_PIXELS) -> np.ndarray:
    """Read an image file into a uint8 RGB array of shape (H, W, 3).

    Grayscale files are repeated over three channels; an alpha channel is dropped with a warning;
    16-bit files are scaled to 8 bits.
    """
    from PIL import Image, UnidentifiedImageError

    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"image file not found: {p}")
    if p.is_dir():
        raise ImageError(f"{p} is a folder, not an image file; pass one image (or use a folder with lw.audit)")
    try:
        with warnings.catch_warnings():
            # PIL warns (DecompressionBombWarning) or raises past its own limit: our limit is checked first
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(p) as im:
                w, h = im.size  # read from the header: nothing decoded yet
                if w * h > max_pixels:
                    raise ImageError(
                        f"{p} is {w}x{h} = {w * h:,} pixels, more than the limit of {max_pixels:,}; downscale it "
                        "(e.g. PIL's Image.thumbnail) or raise the limit with max_pixels="
                    )
                im.load()
                return to_rgb_uint8(im, max_pixels=max_pixels)
    except UnidentifiedImageError as err:
        raise ImageError(f"{p} is not an image file that Pillow can read ({err})") from err
    except Image.DecompressionBombError as err:
        raise ImageError(f"{p} declares a size Pillow refuses as a decompression bomb ({err})") from err
    except (OSError, SyntaxError, ValueError) as err:
        if isinstance(err, ImageError):
            raise
        raise ImageError(
            f"{p} could not be read: it may be truncated or corrupt ({type(err).__name__}: {err})"
        ) from err


def sample_image(name: str = "chelsea") -> np.ndarray:
    """Return one of scikit-image's bundled photos (works offline) as uint8 RGB (H, W, 3).

    Names: ``chelsea`` (a cat), ``coffee``, ``astronaut``, ``rocket``.
    """
    import skimage.data

    if name not in SAMPLE_IMAGES:
        raise ValueError(f"unknown sample image {name!r}; choose one of {', '.join(SAMPLE_IMAGES)}")
    return to_rgb_uint8(getattr(skimage.data, name)())


def to_rgb_uint8(image: Any, *, max_pixels: int = DEFAULT_MAX_PIXELS) -> np.ndarray:
    """Convert any supported image to a new C-contiguous uint8 RGB array of shape (H, W, 3).

    Accepted: a file path; a PIL image; a numpy array (H, W), (H, W, 1), (H, W, 3) or (H, W, 4) of
    dtype uint8, uint16 or float in [0, 1]; a torch tensor (C, H, W) with C in {1, 3, 4}, uint8 or
    float in [0, 1]. The caller's object is never modified.
    """
    if isinstance(image, (str, os.PathLike)):
        return load_image(image, max_pixels=max_pixels)
    arr = _as_hwc_array(image)
    arr = _to_three_channels(arr)
    arr = _to_uint8(arr)
    _check_size(arr, max_pixels)
    return np.ascontiguousarray(arr)


def _as_hwc_array(image: Any) -> np.ndarray:
    """Return a numpy array (H, W[, C]) copy of a PIL image, tensor or array."""
    try:
        from PIL import Image
    except ImportError:  # pragma: no cover - pillow is a dependency
        Image = None  # type: ignore[assignment]
    if Image is not None and isinstance(image, Image.Image):
        if image.mode == "P":
            image = image.convert("RGBA" if "transparency" in image.info else "RGB")
        elif image.mode in ("CMYK", "YCbCr", "LAB", "HSV"):
            image = image.convert("RGB")
        elif image.mode in ("I;16", "I;16B", "I;16L"):
            return np.array(image, dtype=np.uint16)
        elif image.mode in ("I", "F"):
            raise ImageError(
                f"PIL image mode {image.mode!r} (32-bit) is not supported; convert it to 'RGB' or 'L' first"
            )
        elif image.mode == "1":
            image = image.convert("L")
        elif image.mode == "LA":
            image = image.convert("RGBA")
        return np.array(image)
    if _is_torch_tensor(image):
        t = image.detach().cpu()
        if t.ndim == 4 and t.shape[0] == 1:
            t = t[0]
        if t.ndim == 2:
            return np.array(t.numpy())
        if t.ndim != 3:
            raise ImageError(f"a torch tensor image must have shape (C, H, W); got shape {tuple(t.shape)}")
        if t.shape[0] not in (1, 3, 4):
            raise ImageError(
                f"a torch tensor image must be channel-first (C, H, W) with C in 1, 3 or 4; got shape "
                f"{tuple(t.shape)}. For a channel-last tensor use tensor.permute(2, 0, 1)"
            )
        return np.array(t.permute(1, 2, 0).numpy())
    if isinstance(image, np.ndarray):
        if image.ndim == 3 and image.shape[0] in (1, 3, 4) and image.shape[-1] not in (1, 3, 4):
            raise ImageError(
                f"numpy image of shape {image.shape} looks channel-first (C, H, W); numpy images must be "
                "channel-last (H, W, C): use np.moveaxis(image, 0, -1)"
            )
        return np.array(image, copy=True)
    raise TypeError(
        f"unsupported image type {type(image).__name__}; pass a file path, a PIL image, a numpy array "
        "(H, W[, C]) or a torch tensor (C, H, W)"
    )


def _is_torch_tensor(obj: Any) -> bool:
    mod = type(obj).__module__
    return mod.startswith("torch") and type(obj).__name__ in ("Tensor", "Parameter")


def _to_three_channels(arr: np.ndarray) -> np.ndarray:
    if arr.ndim == 2:
        return np.repeat(arr[:, :, None], 3, axis=2)
    if arr.ndim != 3:
        raise ImageError(
            f"an image must have 2 dimensions (H, W) or 3 (H, W, C); got {arr.ndim} with shape {arr.shape}"
        )
    channels = arr.shape[2]
    if channels == 1:
        return np.repeat(arr, 3, axis=2)
    if channels == 3:
        return arr
    if channels == 4:
        warnings.warn(
            "the image has an alpha channel; it is dropped (the model sees the RGB channels only)",
            UserWarning,
            stacklevel=4,
        )
        return arr[:, :, :3]
    raise ImageError(f"an image must have 1, 3 or 4 channels in its last axis; got shape {arr.shape}")


def _to_uint8(arr: np.ndarray) -> np.ndarray:
    if arr.dtype == np.uint8:
        return arr
    if arr.dtype == np.uint16:
        return np.round(arr.astype(np.float64) / 257.0).astype(np.uint8)
    if np.issubdtype(arr.dtype, np.floating):
        if not np.all(np.isfinite(arr)):
            raise ImageError(
                "the image contains NaN or infinite values; replace them (np.nan_to_num) before explaining"
            )
        lo, hi = float(arr.min(initial=0.0)), float(arr.max(initial=0.0))
        if lo < -1e-6 or hi > 1.0 + 1e-6:
            raise ImageError(
                f"a float image must have values in [0, 1]; got values in [{lo:g}, {hi:g}]. For 0..255 "
                "data use image.astype(np.uint8); otherwise rescale to [0, 1]"
            )
        return np.round(np.clip(arr.astype(np.float64), 0.0, 1.0) * 255.0).astype(np.uint8)
    raise ImageError(
        f"unsupported image dtype {arr.dtype}; use uint8 (0..255), uint16 or float in [0, 1] "
        "(for integer 0..255 data: image.astype(np.uint8))"
    )


def _check_size(arr: np.ndarray, max_pixels: int) -> None:
    h, w = arr.shape[:2]
    if h < MIN_SIDE or w < MIN_SIDE:
        raise ImageError(
            f"the image is {h}x{w} pixels; at least {MIN_SIDE}x{MIN_SIDE} is needed to split it into superpixels"
        )
    if h * w > max_pixels:
        raise ImageError(
            f"the image has {h * w:,} pixels, more than the limit of {max_pixels:,}; downscale it "
            "(e.g. PIL's Image.thumbnail) or raise the limit with max_pixels="
        )


def display_size(height: int, width: int, max_side: int) -> tuple[int, int]:
    """Size (h, w) of a display copy whose longer side is at most ``max_side``."""
    scale = min(1.0, max_side / max(height, width))
    return max(1, round(height * scale)), max(1, round(width * scale))


def resize_nearest(array: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Resize an (H, W[, C]) array to ``size`` = (h, w) with nearest-neighbour sampling (pixel centres)."""
    h, w = size
    rows = np.minimum(((np.arange(h) + 0.5) * array.shape[0] / h).astype(np.int64), array.shape[0] - 1)
    cols = np.minimum(((np.arange(w) + 0.5) * array.shape[1] / w).astype(np.int64), array.shape[1] - 1)
    return np.ascontiguousarray(array[rows[:, None], cols[None, :]])


def resize_image(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Resize a uint8 (H, W, 3) image to ``size`` = (h, w) with antialiased bilinear filtering."""
    from PIL import Image

    if image.shape[:2] == tuple(size):
        return image.copy()
    im = Image.fromarray(image).resize((size[1], size[0]), Image.Resampling.BILINEAR, reducing_gap=None)
    return np.asarray(im).copy()


def encode_png(image: np.ndarray) -> bytes:
    """PNG bytes of a uint8 (H, W, 3) image."""
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(image).save(buf, format="PNG")
    return buf.getvalue()


def decode_png(data: bytes) -> np.ndarray:
    """uint8 (H, W, 3) array from PNG bytes."""
    import io

    from PIL import Image

    with Image.open(io.BytesIO(data)) as im:
        return np.array(im.convert("RGB"))
