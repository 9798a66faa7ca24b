"""Composing perturbed images: hidden superpixels replaced by a fill, in torch, in batches.

The same :class:`Composer` is used for sampling and for live re-scoring, so what a viewer shows as
hidden is exactly what the model saw.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from ..core._checks import positive_int
from ..core.segmentation import n_segments_of
from ..models.classifiers import Classifier, ModelOutputError
from .limits import check_memory

HIDE_MODES = ("mean", "black", "gray", "blur")
HideSpec = str | Sequence[float] | np.ndarray


def check_hide(hide: Any) -> HideSpec:
    """Validate a hide spec without any image work and return it in canonical form: a mode name, an
    (r, g, b) tuple of floats (``#rrggbb`` parsed), or the background image array as given."""
    if isinstance(hide, str):
        if hide.startswith("#"):
            return tuple(float(v) for v in _parse_hex(hide))
        if hide not in HIDE_MODES:
            raise ValueError(
                f"unknown hide mode {hide!r}; choose one of {', '.join(HIDE_MODES)}, a colour (r, g, b) or "
                "'#rrggbb', or a background image"
            )
        return hide
    arr = np.asarray(hide)
    if arr.ndim == 1:
        if (
            arr.shape != (3,)
            or not np.issubdtype(arr.dtype, np.number)
            or not np.all(np.isfinite(arr))
            or arr.min() < 0
            or arr.max() > 255
        ):
            raise ValueError(f"a hide colour must be three numbers (r, g, b) in 0..255; got {hide!r}")
        return tuple(float(v) for v in arr)
    if arr.ndim in (2, 3):
        return arr
    raise ValueError(f"hide must be a mode name, a colour or a background image (H, W, 3); got shape {arr.shape}")


def describe_hide(hide: Any) -> str | list[float]:
    """JSON-friendly description of a hide spec (an image background becomes ``"image"``)."""
    if isinstance(hide, str):
        return hide
    if isinstance(hide, np.ndarray) and hide.ndim >= 2:
        return "image"
    return [float(v) for v in hide]


def fill_image(
    image: np.ndarray,
    segments: np.ndarray,
    hide: HideSpec = "mean",
    *,
    blur_sigma: float | None = None,
) -> np.ndarray:
    """What each pixel looks like when its superpixel is hidden.

    image: uint8 (H, W, 3); segments: int32 (H, W) ids 0..K-1.
    hide: ``mean`` (each superpixel's mean colour, lime's default), ``black``, ``gray`` (128, as in the LIME
    paper), ``blur`` (Gaussian blur, sigma ``blur_sigma`` px, default 2% of the longer side), a colour
    (r, g, b) in 0..255 or a ``#rrggbb`` string, or a background image (H', W', 3) (resized to fit).
    Returns uint8 (H, W, 3).
    """
    h, w = image.shape[:2]
    hide = check_hide(hide)
    if isinstance(hide, str):
        if hide == "mean":
            k = n_segments_of(segments)
            flat = segments.ravel()
            counts = np.bincount(flat, minlength=k).astype(np.float64)
            means = (
                np.stack([np.bincount(flat, weights=image[..., c].ravel(), minlength=k) for c in range(3)], axis=1)
                / np.maximum(counts, 1)[:, None]
            )
            return np.round(means).astype(np.uint8)[segments]
        if hide == "black":
            return np.zeros_like(image)
        if hide == "gray":
            return np.full_like(image, 128)
        if hide == "blur":
            from scipy.ndimage import gaussian_filter

            sigma = blur_sigma if blur_sigma is not None else max(1.0, 0.02 * max(h, w))
            out = gaussian_filter(image.astype(np.float32), sigma=(sigma, sigma, 0), mode="nearest")
            return np.clip(np.round(out), 0, 255).astype(np.uint8)
    arr = np.asarray(hide)
    if arr.ndim == 1:
        return np.broadcast_to(np.round(arr).astype(np.uint8), image.shape).copy()
    from ..core.images import resize_image, to_rgb_uint8

    background = to_rgb_uint8(arr)
    return resize_image(background, (h, w))


def _parse_hex(text: str) -> tuple[int, int, int]:
    s = text.lstrip("#")
    if len(s) != 6:
        raise ValueError(f"a hex colour must look like '#rrggbb'; got {text!r}")
    try:
        return int(s[0:2], 16), int(s[2:4], 16), int(s[4:6], 16)
    except ValueError as err:
        raise ValueError(f"a hex colour must look like '#rrggbb'; got {text!r}") from err


class Composer:
    """Composes and scores masked versions of one image for one classifier.

    What the model scores for a mask is exactly what it would see for the masked full-resolution image
    after its own preprocessing: mask first (hidden superpixels replaced by the fill), then resize and crop.
    Resizing is linear, so for a classifier whose :class:`~lime_widget.models.classifiers.Preprocess` resizes or
    crops, each superpixel's contribution ``geometry((image - fill) on superpixel k)`` is computed once at
    the model's resolution (a layer, nonzero only near the superpixel, stored sparse), and a batch of masks
    is composed as ``clamp(geometry(image) - layers @ hidden)``, one sparse matrix-vector product per image:
    equal to mask-then-preprocess up to float rounding (about 1e-7), the all-visible mask bit-identical to
    the model input of the original, and as fast as composing at the model's resolution. Without a resize
    or crop, and for a callable transform (which cannot be assumed linear, so it gets full-resolution
    images), masks are composed at full resolution with ``where``: exact, slower on large photos. Batches come out in the layout the classifier prefers
    (``classifier.channels_last``).
    """

    def __init__(self, image: np.ndarray, segments: np.ndarray, fill: np.ndarray, classifier: Classifier) -> None:
        self.classifier = classifier
        self.n_segments = n_segments_of(segments)
        self.channels_last = bool(getattr(classifier, "channels_last", False))
        device = classifier.device
        img = torch.from_numpy(np.require(image, requirements=["C", "W"])).permute(2, 0, 1)
        fil = torch.from_numpy(np.require(fill, requirements=["C", "W"])).permute(2, 0, 1)
        seg = torch.from_numpy(np.require(segments, requirements=["C", "W"])).to(torch.int64)
        pre = classifier.preprocess
        self._layers: torch.Tensor | None = None
        if pre is not None and pre.changes_geometry:
            resized = pre.geometry(img.float().div(255.0)).to(device)  # before the clamp, as layers add up
            self.original = resized.clamp(0.0, 1.0)
            # minus each superpixel's layer: composite = clamp(resized original + (-layers) @ hidden)
            self._layers = _superpixel_layers(image, fill, segments, pre, self.channels_last, sign=-1.0).to(device)
            self._original_flat = (resized.permute(1, 2, 0) if self.channels_last else resized).reshape(-1)
            return
        if classifier.input_dtype == torch.uint8:
            self.original, self.fill, self._segments = img.to(device), fil.to(device), seg.to(device)
        else:
            self.original = img.float().div_(255.0).to(device)
            self.fill = fil.float().div_(255.0).to(device)
            self._segments = seg.to(device)
        if self.channels_last:  # (h, w, 3) copies to compose from
            self._original_hwc = self.original.permute(1, 2, 0).contiguous()
            self._fill_hwc = self.fill.permute(1, 2, 0).contiguous()

    @property
    def input_size(self) -> tuple[int, int]:
        """(h, w) of the composed images."""
        return int(self.original.shape[1]), int(self.original.shape[2])

    def inert_segments(self) -> np.ndarray:
        """bool (K,): superpixels whose hiding cannot change the model's input (by half a grey level or more
        at any pixel): the fill equals the image there, or the model's resize and crop never see them."""
        if self._layers is not None:
            layers = self._layers.to_sparse_coo().coalesce()
            k_idx = layers.indices()[1].cpu().numpy()
            vals = layers.values().abs().cpu().numpy()
            strongest = np.zeros(self.n_segments)
            np.maximum.at(strongest, k_idx, vals)
            return strongest < 0.5 / 255.0
        differs = (self.original != self.fill).any(dim=0).cpu().numpy()  # (H, W) at full resolution
        seg = self._segments.cpu().numpy()
        return np.bincount(seg[differs], minlength=self.n_segments) == 0

    @property
    def exact_layers(self) -> bool:
        """True when masks are composed from per-superpixel layers at the model's resolution."""
        return self._layers is not None

    def compose(self, masks: np.ndarray | torch.Tensor) -> torch.Tensor:
        """masks: bool (b, K), True = visible. Returns composed images (b, 3, h, w) on the device.

        The result is channels-last in memory when the classifier prefers it (same values, other strides).
        """
        m = torch.as_tensor(masks, dtype=torch.bool).to(self.original.device)
        if m.ndim != 2 or m.shape[1] != self.n_segments:
            raise ValueError(f"masks must have shape (b, {self.n_segments}); got {tuple(m.shape)}")
        h, w = self.input_size
        if self._layers is not None:
            hidden = (~m).to(self._layers.dtype)  # (b, K)
            batch = torch.empty((m.shape[0], self._original_flat.shape[0]), dtype=hidden.dtype, device=m.device)
            for i in range(m.shape[0]):  # one sparse matrix-vector product per image, written in place
                torch.addmv(self._original_flat, self._layers, hidden[i], out=batch[i])
            batch.clamp_(0.0, 1.0)  # what mask-then-resize gives (bicubic overshoots [0, 1])
            if self.channels_last:  # (b, h, w, 3) memory seen as NCHW with channels-last strides
                return batch.view(-1, h, w, 3).permute(0, 3, 1, 2)
            return batch.view(-1, 3, h, w)
        keep = m[:, self._segments]  # (b, h, w)
        if self.channels_last:
            return torch.where(keep[..., None], self._original_hwc, self._fill_hwc).permute(0, 3, 1, 2)
        return torch.where(keep[:, None], self.original[None], self.fill[None])

    def score(
        self,
        masks: np.ndarray,
        *,
        batch_size: int | None = None,
        progress: bool = False,
        desc: str = "LIME samples",
        total_rows: int | None = None,
    ) -> np.ndarray:
        """Score masks bool (n, K) with the classifier in batches. Returns float64 probabilities (n, C).

        The memory of one batch of composed images is checked against the budget
        (:mod:`lime_widget.engine.limits`) before the first, and the scores of ``total_rows`` samples (default
        n; an auto run passes its max_samples) once the first batch tells the number of classes C.
        """
        n = masks.shape[0]
        positive_int(batch_size, "batch_size", allow_none=True, hint="None: automatic")
        bs = batch_size or self.classifier.auto_batch_size(*self.input_size)
        h, w = self.input_size
        per_image = h * w * (1 + 3 * self.original.element_size())  # the keep map and the composite
        check_memory(
            {f"{min(bs, n):,} composed images of 3 x {h} x {w}": min(bs, n) * per_image},
            what=f"batch_size={min(bs, n):,} at the model's input size {h} x {w}",
            lower="batch_size (or None: automatic)",
        )
        bar = None
        if progress:
            from tqdm.auto import tqdm

            bar = tqdm(total=n, desc=desc, unit="img", leave=False)
        chunks: list[np.ndarray] = []
        try:
            for start in range(0, n, bs):
                batch = self.compose(masks[start : start + bs])
                chunks.append(self.classifier.predict(batch, first_index=start))
                del batch
                if chunks[-1].shape[1] != chunks[0].shape[1]:  # said at the batch, not after the whole run
                    raise ModelOutputError(
                        f"model output for samples {start}..{start + chunks[-1].shape[0] - 1}: the model returned "
                        f"different numbers of classes across batches: {chunks[0].shape[1]} for the first batch, "
                        f"{chunks[-1].shape[1]} for this one"
                    )
                if start == 0:  # C is known now: the scores of the whole run must fit too
                    rows = n if total_rows is None else total_rows
                    c = chunks[0].shape[1]
                    check_memory(
                        {f"scores {rows:,} x {c:,}": 2 * rows * c * 8},
                        what=f"{rows:,} samples of a model with {c:,} classes",
                        lower="the number of samples",
                    )
                if bar is not None:
                    bar.update(min(bs, n - start))
        finally:
            if bar is not None:
                bar.close()
        if not chunks:
            raise ValueError("masks has no rows (shape (0, K)); give at least one mask to score")
        return np.concatenate(chunks, axis=0)


def _superpixel_layers(
    image: np.ndarray, fill: np.ndarray, segments: np.ndarray, pre: Any, channels_last: bool, sign: float = 1.0
) -> torch.Tensor:
    """Sparse CSR float32 (3*h*w, K): column k is ``sign * geometry((image - fill) * [segments == k])``
    flattened in (h, w, 3) order when channels_last, else (3, h, w).

    The geometry is ``A @ X @ B.T`` per channel (:meth:`Preprocess.axis_operators`); only the rows of A and
    B that touch superpixel k's bounding box are used, so each layer costs about its own area.
    """
    from scipy import ndimage

    height, width = segments.shape
    a, b = (m.double() for m in pre.axis_operators(height, width))
    h, w = a.shape[0], b.shape[0]
    diff = torch.from_numpy(image.astype(np.float64) - fill.astype(np.float64)).div_(255.0)  # (H, W, 3)
    seg = torch.from_numpy(np.ascontiguousarray(segments))
    rows_all: list[torch.Tensor] = []
    vals_all: list[torch.Tensor] = []
    ks: list[torch.Tensor] = []
    for k, box in enumerate(ndimage.find_objects(segments + 1)):
        if box is None:
            continue
        ys, xs = box
        block = diff[ys, xs] * (seg[ys, xs] == k)[..., None]  # (by, bx, 3)
        a_k, b_k = a[:, ys], b[:, xs]
        out_rows = torch.nonzero(a_k.abs().sum(dim=1)).flatten()
        out_cols = torch.nonzero(b_k.abs().sum(dim=1)).flatten()
        if out_rows.numel() == 0 or out_cols.numel() == 0:
            continue  # outside the crop: this superpixel never reaches the model
        # (r, by) @ (by, bx, 3) @ (bx, c) -> (r, c, 3)
        layer = torch.einsum("ry,yxc,sx->rsc", a_k[out_rows], block, b_k[out_cols])
        nz = layer != 0
        if not bool(nz.any()):
            continue
        r, c, ch = torch.nonzero(nz, as_tuple=True)
        rr, cc = out_rows[r], out_cols[c]
        flat = (rr * w + cc) * 3 + ch if channels_last else (ch * h + rr) * w + cc
        rows_all.append(flat)
        vals_all.append(layer[nz])
        ks.append(torch.full_like(flat, k))
    n_pixels = 3 * h * w
    if rows_all:
        index = torch.stack([torch.cat(rows_all), torch.cat(ks)])
        values = torch.cat(vals_all).mul_(sign).float()
    else:
        index, values = torch.zeros((2, 0), dtype=torch.int64), torch.zeros(0)
    k_all = n_segments_of(segments)
    coo = torch.sparse_coo_tensor(index, values, (n_pixels, k_all), check_invariants=True).coalesce()
    with warnings.catch_warnings():  # CSR is "beta" in torch, and about 7x faster than COO for this product
        warnings.simplefilter("ignore", UserWarning)
        return coo.to_sparse_csr()
