"""Grad-CAM (class activation maps) for torch classifiers, through captum, and comparison with LIME's weights.

Grad-CAM (Selvaraju et al., ICCV 2017) weighs the feature maps of one convolutional layer by the mean
gradient of the class score with respect to them, sums them and keeps the positive part: a coarse map
(the layer's resolution, e.g. 7x7) of where the evidence for the class is. It needs gradients, so it works
for torch models only (:class:`~lime_widget.models.classifiers.TorchClassifier`).

captum is an optional dependency: ``pip install "lime-widget[gradcam]"``. It is imported only when
:func:`gradcam` runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..core.images import to_rgb_uint8
from ..core.segmentation import n_segments_of
from ..models.classifiers import Classifier, Preprocess, TorchClassifier, class_id, expand_single_column, unwrap_output
from ..render.figures import add_colorbar, image_figsize, new_axes, plain_text

_INSTALL_HINT = 'Grad-CAM needs captum: pip install "lime-widget[gradcam]" (or pip install captum)'


@dataclass(frozen=True)
class GradCamResult:
    """A Grad-CAM map for one class of one image.

    pixel_map: float64 (H, W) at the resolution of the image passed in (after ``to_rgb_uint8``); values
    >= 0 (Grad-CAM keeps the positive part); NaN on pixels the model never sees (outside a centre crop).
    input_map: float64 (h, w) at the model's input resolution (after its resize and crop).
    layer_map: float64 (h', w') at the layer's own resolution (e.g. 7x7), before any upsampling.
    label: the explained class id; label_name: its name; layer_name: the dotted name of the layer used.
    """

    pixel_map: np.ndarray
    input_map: np.ndarray
    layer_map: np.ndarray
    label: int
    label_name: str
    layer_name: str


def _import_captum() -> Any:
    try:
        from captum.attr import LayerGradCam
    except ImportError as err:
        raise ImportError(_INSTALL_HINT) from err
    return LayerGradCam


def find_layer(module: Any, layer: Any = None) -> tuple[Any, str]:
    """Resolve ``layer`` to (module, dotted name).

    layer: a submodule of ``module``, its dotted name (as in ``module.named_modules()``), or None for the
    last ``torch.nn.Conv2d`` in registration order (usually the last convolution before global pooling,
    e.g. ``_conv_head`` of EfficientNet-Lite0, ``layer4.1.conv2`` of ResNet-18).
    """
    import torch

    named = dict(module.named_modules())
    if layer is None:
        convs = [name for name, m in named.items() if isinstance(m, torch.nn.Conv2d)]
        if not convs:
            raise ValueError("the model has no torch.nn.Conv2d layer; pass layer= (a submodule or its name)")
        return named[convs[-1]], convs[-1]
    if isinstance(layer, str):
        if layer not in named:
            sample = ", ".join(list(n for n in named if n)[-5:])
            raise KeyError(f"the model has no submodule named {layer!r} (its last ones: {sample})")
        return named[layer], layer
    if isinstance(layer, torch.nn.Module):
        for name, m in named.items():
            if m is layer:
                return m, name or "(model)"
        raise ValueError("layer is not a submodule of the classifier's module")
    raise TypeError(f"layer must be a torch.nn.Module, a submodule name or None; got {type(layer).__name__}")


def gradcam(image: Any, classifier: Classifier, label: int | str | None = None, layer: Any = None) -> GradCamResult:
    """Grad-CAM map of a class for one image, at the image's own resolution.

    image: anything :func:`~lime_widget.core.images.to_rgb_uint8` accepts (uint8 (H, W, 3), path, PIL, ...).
    classifier: a :class:`~lime_widget.models.classifiers.TorchClassifier` (its preprocessing is applied as when
    explaining). label: class id or name (default: the model's top class for the image).
    layer: a submodule, its dotted name, or None for the last ``Conv2d`` of the network.

    The gradient is taken of the module's raw output (the logit, as in the Grad-CAM paper), not of the
    softmax. The map is computed at the model's input resolution, upsampled bilinearly from the layer to
    that size (``input_map``), then mapped back through the classifier's resize and centre crop to the
    image's (H, W) (``pixel_map``); pixels outside the crop are NaN. With a callable transform the model
    input is assumed to cover the whole image. The module stays in eval mode, nothing is left attached to
    it (captum removes its hooks) and its parameters' ``.grad`` are not touched.
    """
    import torch
    import torch.nn.functional as F

    if not isinstance(classifier, TorchClassifier):
        raise TypeError(
            "Grad-CAM needs gradients, so it works with a lime_widget.TorchClassifier only; "
            f"got {type(classifier).__name__}"
        )
    LayerGradCam = _import_captum()
    module = classifier.module
    if module.training:
        raise ValueError("the module is in training mode; call module.eval() first")
    target_layer, layer_name = find_layer(module, layer)

    img = to_rgb_uint8(image)
    height, width = img.shape[:2]
    pre = classifier.preprocess
    with torch.inference_mode(False):
        x = _model_input(img, pre, classifier.device)

    def forward(batch: torch.Tensor) -> torch.Tensor:
        return expand_single_column(unwrap_output(module(classifier.prepare(batch))), classifier.output)

    with torch.no_grad():
        scores = forward(x)[0]
    names = classifier.names(int(scores.shape[0]))
    label = int(torch.argmax(scores).item()) if label is None else class_id(label, names)
    # Gradients are needed: leave any inference_mode / no_grad context of the caller for this call only.
    with torch.inference_mode(False), torch.enable_grad():
        x = x.detach().clone().requires_grad_(True)
        cam = LayerGradCam(forward, target_layer).attribute(x, target=label, relu_attributions=True)
    if isinstance(cam, tuple):  # pragma: no cover - a single input gives a single tensor
        cam = cam[0]
    cam = cam.detach().float()
    if cam.ndim != 4:
        raise ValueError(
            f"layer {layer_name!r} produced a map of shape {tuple(cam.shape)}; Grad-CAM needs a convolutional "
            "layer with (n, C, h, w) output"
        )
    layer_map = cam[0, 0].cpu().numpy().astype(np.float64)
    h_in, w_in = int(x.shape[2]), int(x.shape[3])
    input_map = F.interpolate(cam, size=(h_in, w_in), mode="bilinear", align_corners=False)[0, 0]
    input_np = input_map.cpu().numpy().astype(np.float64)
    pixel_map = input_to_image(input_np, (height, width), pre if pre is not None and pre.changes_geometry else None)
    return GradCamResult(
        pixel_map=pixel_map,
        input_map=input_np,
        layer_map=layer_map,
        label=label,
        label_name=names[label],
        layer_name=layer_name,
    )


def _model_input(img: np.ndarray, pre: Preprocess | None, device: Any) -> Any:
    """uint8 (H, W, 3) -> float (1, 3, h, w) in [0, 1] after the preprocess geometry, on device."""
    import torch

    x = torch.from_numpy(img).permute(2, 0, 1).float().div(255.0)
    if pre is not None and pre.changes_geometry:
        x = pre.geometry(x).clamp(0.0, 1.0)
    return x[None].to(device)


def input_to_image(input_map: np.ndarray, image_size: tuple[int, int], preprocess: Preprocess | None) -> np.ndarray:
    """Map an (h, w) array at the model's input resolution back onto the original image (H, W).

    Inverts ``preprocess``'s resize and centre crop by bilinear sampling at each image pixel's position in
    the model input; image pixels that fall outside the crop get NaN. preprocess None: a plain resize.
    Returns float64 (H, W).
    """
    from scipy.ndimage import map_coordinates

    height, width = image_size
    h_in, w_in = input_map.shape
    if preprocess is None:
        rh, rw = h_in, w_in
        top = left = 0
    else:
        rh, rw = preprocess.resized_size(height, width)
        top, left, _, _ = preprocess.crop_window(rh, rw)
    # Centre of image pixel i in resized coordinates, then shifted by the crop.
    ys = (np.arange(height) + 0.5) * (rh / height) - 0.5 - top
    xs = (np.arange(width) + 0.5) * (rw / width) - 0.5 - left
    yy, xx = np.meshgrid(ys, xs, indexing="ij")
    out = map_coordinates(input_map.astype(np.float64), [yy, xx], order=1, mode="nearest")
    outside = (yy < -0.5) | (yy > h_in - 0.5) | (xx < -0.5) | (xx > w_in - 0.5)
    out[outside] = np.nan
    return out


def superpixel_scores(pixel_map: np.ndarray, segments: np.ndarray) -> np.ndarray:
    """Mean of a pixel map over each superpixel.

    pixel_map: float (H, W) (e.g. :attr:`GradCamResult.pixel_map`; NaN pixels are ignored);
    segments: int (H, W) with ids 0..K-1. Returns float64 (K,); NaN for a superpixel with no finite pixel.
    """
    pm = np.asarray(pixel_map, dtype=np.float64)
    seg = np.asarray(segments)
    if pm.shape != seg.shape:
        raise ValueError(f"pixel_map has shape {pm.shape} but segments has shape {seg.shape}")
    k = n_segments_of(seg)
    finite = np.isfinite(pm)
    flat = seg[finite].ravel()
    counts = np.bincount(flat, minlength=k).astype(np.float64)
    sums = np.bincount(flat, weights=pm[finite].ravel(), minlength=k)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)


def gradcam_figure(
    result: GradCamResult, image: Any, *, ax: Any = None, alpha: float = 0.5, colorbar: bool = True
) -> Any:
    """Draw a Grad-CAM map over the image (jet, alpha 0.5, colour bar). Returns the matplotlib Figure."""
    img = to_rgb_uint8(image)
    fig, ax = new_axes(ax, image_figsize(img.shape, colorbar))
    ax.imshow(img)
    im = ax.imshow(np.ma.masked_invalid(result.pixel_map), cmap="jet", alpha=alpha)
    ax.set_title(plain_text(f"Grad-CAM: {result.label_name} ({result.layer_name})"))
    ax.axis("off")
    if colorbar:
        add_colorbar(fig, im, ax, "Grad-CAM (positive evidence)")
    return fig
