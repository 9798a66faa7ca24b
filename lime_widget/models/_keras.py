"""Keras 3 models (any backend; ``KERAS_BACKEND=torch`` runs them on PyTorch) as classifiers.

keras.applications models expect pixels in 0..255 put through their family's ``preprocess_input``: mode
``"tf"`` scales to [-1, 1], ``"caffe"`` flips RGB to BGR and subtracts the ImageNet means, ``"torch"``
normalises with the ImageNet mean and std. Each of these (and any other per-channel affine function) is
measured once on a probe array, so lime_widget applies exactly the function's own map, as a channel order plus
a :class:`~lime_widget.models.classifiers.Preprocess` mean and std. keras (the optional extra ``keras``) is
imported only when a Keras model is given.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch

from ._adapters import from_package
from .classifiers import Classifier, OutputKind, Preprocess, _validate_common, unwrap_output

KERAS_MODES = ("tf", "caffe", "torch")
#: the probe: black, then each channel at 255 alone, then a check pixel
_PROBE = np.array([[0, 0, 0], [255, 0, 0], [0, 255, 0], [0, 0, 255], [17, 100, 201]], dtype=np.float32)


def is_keras_model(model: Any) -> bool:
    """A Keras 3 model (its class comes from keras)."""
    return from_package(model, "keras") and hasattr(model, "input_shape") and callable(model)


def affine_of(
    fn: Callable[[np.ndarray], Any], *, channels_last: bool = True
) -> tuple[tuple[int, int, int], np.ndarray, np.ndarray]:
    """Measure a per-channel affine preprocessing function on float images in 0..255:
    ``fn(x)[..., c] = scale[c] * x[..., order[c]] + offset[c]``. Returns (order, scale (3,), offset (3,)).

    Raises ValueError when fn is not of that form (it mixes channels, or is not affine)."""
    probe = _PROBE.reshape(1, 5, 1, 3) if channels_last else _PROBE.T.reshape(1, 3, 5, 1)
    try:
        raw = fn(probe.copy())  # a copy: keras' preprocess_input works in place
        import keras

        y = np.asarray(keras.ops.convert_to_numpy(raw), dtype=np.float64)
    except Exception as err:
        raise ValueError(
            f"preprocess: calling {fn!r} on a float image array failed ({type(err).__name__}: {err})"
        ) from err
    y = y.reshape(5, 3) if channels_last else y.reshape(3, 5).T
    offset = y[0]
    m = (y[1:4] - offset).T / 255.0  # m[c_out, c_in]
    order = []
    for c in range(3):
        nonzero = np.flatnonzero(np.abs(m[c]) > 1e-9)
        if len(nonzero) != 1:
            raise ValueError(f"preprocess: {fn!r} mixes colour channels; it must scale and shift each channel")
        order.append(int(nonzero[0]))
    if sorted(order) != [0, 1, 2]:
        raise ValueError(f"preprocess: {fn!r} does not keep each colour channel once (channel order {order})")
    scale = m[np.arange(3), order]
    expected = scale * _PROBE[4, order] + offset
    if not np.allclose(y[4], expected, rtol=1e-4, atol=1e-4 * max(1.0, float(np.abs(expected).max()))):
        raise ValueError(f"preprocess: {fn!r} is not a per-channel scale and shift of the pixel values")
    return (order[0], order[1], order[2]), scale, offset


def _mode_function(mode: str) -> Callable[[np.ndarray], Any]:
    from keras.applications import imagenet_utils

    return functools.partial(imagenet_utils.preprocess_input, mode=mode, data_format="channels_last")


def _output_kind(model: Any) -> OutputKind:
    """``probabilities`` when the model ends in a softmax or sigmoid (keras.applications' default), else ``logits``."""
    layers = getattr(model, "layers", None) or []
    if not layers:
        return "logits"
    last = layers[-1]
    activation = getattr(getattr(last, "activation", None), "__name__", "")
    if activation in ("softmax", "sigmoid") or type(last).__name__ == "Softmax":
        return "probabilities"
    return "logits"


class KerasClassifier(Classifier):
    """Adapter for a Keras 3 image classifier.

    model: a Keras model taking float images (n, h, w, 3) (or (n, 3, h, w) for channels-first models).
    preprocess: its input convention: ``"tf"``, ``"caffe"`` or ``"torch"`` (keras.applications'
    ``preprocess_input`` modes), a family's function itself (``keras.applications.resnet50.preprocess_input``)
    or any per-channel affine function of 0..255 pixels: the photo is resized to the model's input size
    (bilinear, antialiased, like PIL) and put through it. Or a :class:`Preprocess` (for [0, 1] RGB inputs) for
    anything else, such as a model without a fixed input size. class_names: the C class names. output:
    ``logits`` or ``probabilities``; None reads the last layer (softmax or sigmoid: probabilities).
    """

    def __init__(
        self,
        model: Any,
        preprocess: Any,
        class_names: Sequence[str] | None = None,
        output: OutputKind | None = None,
        batch_size: int | None = None,
    ) -> None:
        if preprocess is None:
            raise TypeError(
                "a Keras model needs its input convention: preprocess='tf' ([-1, 1]: Inception, Xception, MobileNet), "
                "'caffe' (BGR minus the ImageNet means: ResNet50, VGG), 'torch' (ImageNet mean/std: DenseNet), the "
                "family's function (keras.applications.<family>.preprocess_input), or a lw.Preprocess"
            )
        output = output if output is not None else _output_kind(model)
        self.class_names = _validate_common(class_names, None, output, batch_size)
        self.output = output
        self.batch_size = batch_size
        self.device = torch.device("cpu")
        self.model = model
        shape = model.input_shape
        if not isinstance(shape, tuple) or len(shape) != 4 or 3 not in (shape[1], shape[3]):
            raise ValueError(f"the Keras model's input shape is {shape}; expected one image input (n, h, w, 3)")
        self._nhwc = shape[3] == 3
        self.channels_last = self._nhwc  # compose in the model's layout: no copy to reorder channels
        self._order: tuple[int, int, int] = (0, 1, 2)
        if isinstance(preprocess, Preprocess):
            self.preprocess = preprocess
            return
        if isinstance(preprocess, str):
            if preprocess not in KERAS_MODES:
                raise ValueError(f"preprocess must be one of {KERAS_MODES} or a function; got {preprocess!r}")
            fn = _mode_function(preprocess)
            self._order, scale, offset = affine_of(fn, channels_last=True)
        elif callable(preprocess):
            self._order, scale, offset = affine_of(preprocess, channels_last=self._nhwc)
        else:
            raise TypeError(
                f"preprocess must be 'tf', 'caffe', 'torch', a preprocess_input function or a lw.Preprocess; got "
                f"{type(preprocess).__name__}"
            )
        height, width = (shape[1], shape[2]) if self._nhwc else (shape[2], shape[3])
        if height is None or width is None:
            raise ValueError(
                f"the Keras model's input size is not fixed (input shape {shape}); pass preprocess=lw.Preprocess("
                "resize=(h, w), mean=..., std=...) for the size and normalisation to use"
            )
        # model input channel c = scale[c] * 255 * x[order[c]] + offset[c] for x in [0, 1]: normalise each source
        # channel order[c] by (x - mean) / std with std = 1 / (255 scale[c]), mean = -offset[c] / (255 scale[c])
        mean, std = np.zeros(3), np.ones(3)
        for c, source in enumerate(self._order):
            std[source] = 1.0 / (255.0 * scale[c])
            mean[source] = -offset[c] / (255.0 * scale[c])
        self.preprocess = Preprocess(
            resize=(int(height), int(width)),
            mean=(float(mean[0]), float(mean[1]), float(mean[2])),
            std=(float(std[0]), float(std[1]), float(std[2])),
        )

    def _forward(self, batch: torch.Tensor) -> np.ndarray:
        import keras

        x = batch.float().div(255.0) if batch.dtype == torch.uint8 else batch.float()
        if self.preprocess is not None:
            x = self.preprocess.normalize(x)
        if self._order != (0, 1, 2):
            x = x[:, list(self._order)]
        if self._nhwc:
            x = x.permute(0, 2, 3, 1)
        if keras.backend.backend() == "torch":  # a direct call: no numpy round trip, no gradients
            with torch.no_grad():
                out = unwrap_output(self.model(x.contiguous(), training=False))
            return out.detach().float().cpu().numpy() if isinstance(out, torch.Tensor) else np.asarray(out)
        arr = np.ascontiguousarray(x.cpu().numpy(), dtype=np.float32)
        return np.asarray(keras.ops.convert_to_numpy(self.model.predict_on_batch(arr)))
