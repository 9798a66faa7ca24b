"""ONNX Runtime inference sessions as classifiers.

An ONNX file carries no preprocessing, so the session comes with a ``preprocess`` (a
:class:`~lime_widget.models.classifiers.Preprocess` or a torchvision weights preset); perturbed images are
composed at its resolution, normalised, and fed to the session's one image input. onnxruntime (the optional
extra ``onnx``) is never imported here: the session is used through its own methods.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from ._adapters import from_package, to_preprocess
from .classifiers import Classifier, OutputKind, Preprocess, _validate_common

_DTYPES = {"tensor(float)": np.float32, "tensor(float16)": np.float16, "tensor(double)": np.float64}


def is_onnx_session(obj: Any) -> bool:
    """An onnxruntime InferenceSession (its class comes from onnxruntime and it can ``run``)."""
    return from_package(obj, "onnxruntime") and hasattr(obj, "run") and hasattr(obj, "get_inputs")


def _output_size(pre: Preprocess) -> tuple[int, int] | None:
    """(h, w) of every image after pre's geometry, when it does not depend on the image's size."""
    if pre.crop is not None:
        return (pre.crop, pre.crop) if isinstance(pre.crop, int) else (int(pre.crop[0]), int(pre.crop[1]))
    if pre.resize is not None and not isinstance(pre.resize, int):
        return int(pre.resize[0]), int(pre.resize[1])
    return None


class OnnxClassifier(Classifier):
    """Adapter for an ``onnxruntime.InferenceSession`` of an image classifier.

    session: the session; its first input takes float images (n, 3, h, w) or (n, h, w, 3) (float32, float16
    or float64), its first output the scores (n, C). preprocess: how the model's inputs are prepared (a
    :class:`Preprocess` or a torchvision preset such as ``ResNet50_Weights.DEFAULT.transforms()``); required.
    class_names: the C class names (None: ``class i``). output: ``logits`` (default; softmax is applied) or
    ``probabilities``. batch_size: images per run (None: automatic; a model exported with a fixed batch size
    gets that size, and short batches are padded).
    """

    def __init__(
        self,
        session: Any,
        preprocess: Any,
        class_names: Sequence[str] | None = None,
        output: OutputKind = "logits",
        batch_size: int | None = None,
    ) -> None:
        if preprocess is None:
            raise TypeError(
                "an ONNX model carries no preprocessing: give it as preprocess=lw.Preprocess(resize=..., crop=..., "
                "mean=..., std=...) or a torchvision preset (weights.transforms()), and class_names=[...]"
            )
        self.preprocess = to_preprocess(preprocess)
        self.class_names = _validate_common(class_names, None, output, batch_size)
        self.output = output
        self.device = torch.device("cpu")
        self.session = session
        inputs = session.get_inputs()
        if len(inputs) != 1:
            raise ValueError(f"the ONNX model has {len(inputs)} inputs; lime_widget feeds one image input")
        first = inputs[0]
        self._input_name = str(first.name)
        self._output_name = str(session.get_outputs()[0].name)
        shape = list(first.shape)
        if len(shape) != 4 or 3 not in (shape[1], shape[3]):
            raise ValueError(
                f"the ONNX model's input {self._input_name!r} has shape {shape}; expected images (n, 3, h, w) or "
                "(n, h, w, 3)"
            )
        if first.type not in _DTYPES:
            raise ValueError(f"the ONNX model's input is {first.type}; lime_widget feeds float images ({_DTYPES})")
        self._dtype = _DTYPES[first.type]
        self.channels_last = shape[1] != 3  # (n, h, w, 3): composing in that layout saves a copy
        spatial = shape[2:4] if shape[1] == 3 else shape[1:3]
        size = _output_size(self.preprocess)
        if all(isinstance(s, int) for s in spatial) and size is not None and tuple(spatial) != size:
            raise ValueError(
                f"the ONNX model takes {spatial[0]}x{spatial[1]} images but preprocess makes {size[0]}x{size[1]}; "
                "give the preprocess of this model"
            )
        self._fixed_batch = shape[0] if isinstance(shape[0], int) and shape[0] > 0 else None
        if self._fixed_batch is not None and batch_size not in (None, self._fixed_batch):
            raise ValueError(
                f"the ONNX model takes batches of exactly {self._fixed_batch}; got batch_size={batch_size}"
            )
        self.batch_size = self._fixed_batch if self._fixed_batch is not None else batch_size

    def _forward(self, batch: torch.Tensor) -> np.ndarray:
        x = batch.float().div(255.0) if batch.dtype == torch.uint8 else batch.float()
        if self.preprocess is not None:
            x = self.preprocess.normalize(x)
        if self.channels_last:
            x = x.permute(0, 2, 3, 1)
        n = int(x.shape[0])
        arr = np.ascontiguousarray(x.cpu().numpy(), dtype=self._dtype)
        if self._fixed_batch is not None and n < self._fixed_batch:  # pad a short last batch, drop its scores
            arr = np.concatenate([arr, np.repeat(arr[-1:], self._fixed_batch - n, axis=0)])
        scores = self.session.run([self._output_name], {self._input_name: arr})[0]
        return np.asarray(scores)[:n]
