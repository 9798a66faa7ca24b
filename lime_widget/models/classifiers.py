"""Model adapters: turn a torch module or any callable into a scorer of image batches.

Only this module (and ``models``) touches model code. Every adapter takes a batch of composed images as a
torch tensor (n, 3, h, w) -- uint8, or float in [0, 1] -- and returns float64 probabilities (n, C).
The helpers every layer above uses to read a model's answer live here too: :func:`class_id` (one lookup,
one error type), :func:`unwrap_output` and :func:`expand_single_column` (one way to read raw outputs) and
:func:`check_output` (validation and conversion to probabilities).
"""

from __future__ import annotations

import copy
import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import torch

from ..core._checks import positive_int
from .threads import apply_default_threads, share_cpu

OutputKind = Literal["logits", "probabilities"]
_INTERPOLATIONS = ("bilinear", "bicubic", "nearest")
_CROP_OFFSETS = ("round", "floor")

#: On CPU a torch model runs fastest on small batches whose activations stay in the cache: about 4 images
#: of 224x224 per batch (on a 2-core EPYC, EfficientNet-Lite0 scores ~125 images/s at batch 4, ~75 at 8 and
#: ~20 at 64; ResNet-18 ~80 at 4-6 and ~40 at 64; see docs/benchmarks.md). Smaller inputs get
#: proportionally more images per batch, larger ones fewer.
CPU_BATCH_PIXELS = 4 * 224 * 224
MAX_AUTO_BATCH = 64
AUTO_BATCH_BYTES = 256 * 2**20


class ModelOutputError(ValueError):
    """The model returned something that is not a valid batch of class scores."""


class ClassLookupError(ValueError):
    """A class given by name or id does not exist (or was not explained)."""


def class_id(label: int | str, class_names: Sequence[str]) -> int:
    """The class id of a class name or an id, checked against the model's C class names.

    Raises :class:`ClassLookupError` naming the value and the valid range.
    """
    if isinstance(label, str):
        if label not in class_names:
            close = [n for n in class_names if label.lower() in n.lower()][:5]
            hint = f"; similar names: {', '.join(repr(n) for n in close)}" if close else ""
            raise ClassLookupError(f"unknown class name {label!r}{hint}")
        return list(class_names).index(label)
    if isinstance(label, bool) or not isinstance(label, (int, np.integer)):
        raise ClassLookupError(f"a class must be an id (int) or a name (str); got {type(label).__name__} {label!r}")
    i = int(label)
    if not 0 <= i < len(class_names):
        raise ClassLookupError(
            f"class id {i} is out of range; the model has {len(class_names)} classes (0..{len(class_names) - 1})"
        )
    return i


def unwrap_output(out: Any) -> Any:
    """The score tensor of a model's raw output: ``out.logits`` (Hugging Face style), the first element of a
    tuple or list, or ``out`` itself."""
    if hasattr(out, "logits"):
        return out.logits
    if isinstance(out, (tuple, list)) and out and isinstance(out[0], (torch.Tensor, np.ndarray)):
        return out[0]
    return out


def expand_single_column(scores: torch.Tensor, output: str) -> torch.Tensor:
    """A one-output binary model as two classes. scores: (n,) or (n, C). Returns (n, C') with C' >= 2.

    One logit z becomes (-z/2, z/2), whose softmax is (1 - sigmoid(z), sigmoid(z)); one probability p
    becomes (1 - p, p). Several columns are returned unchanged.
    """
    if scores.ndim == 2 and scores.shape[1] > 1:
        return scores
    z = scores.reshape(-1, 1)
    if output == "logits":
        return torch.cat([-z / 2, z / 2], dim=1)
    return torch.cat([1 - z, z], dim=1)


@dataclass(frozen=True)
class Preprocess:
    """Geometry and normalisation of a model's input, the parts LIME needs to know about.

    resize: an int resizes the shorter side to it (torchvision ``Resize(int)``); a pair (h, w) resizes
    to exactly that size; None keeps the size. crop: centre crop to an int or (h, w), or None.
    mean, std: per-channel normalisation applied to [0, 1] inputs, or None.
    crop_offset: how a centre crop's offset (H - h) / 2 is rounded when it is not whole: ``"round"``
    (torchvision, timm) or ``"floor"`` (Hugging Face image processors); they differ by one pixel.
    Perturbed images are what the model would see for the masked full-resolution image after this
    preprocessing (mask, then resize and crop), composed at the model's input resolution.
    """

    resize: int | tuple[int, int] | None = None
    crop: int | tuple[int, int] | None = None
    mean: tuple[float, float, float] | None = None
    std: tuple[float, float, float] | None = None
    interpolation: str = "bilinear"
    antialias: bool = True
    crop_offset: str = "round"

    def __post_init__(self) -> None:
        if self.interpolation not in _INTERPOLATIONS:
            raise ValueError(f"interpolation must be one of {_INTERPOLATIONS}; got {self.interpolation!r}")
        if self.crop_offset not in _CROP_OFFSETS:
            raise ValueError(f"crop_offset must be one of {_CROP_OFFSETS}; got {self.crop_offset!r}")
        if (self.mean is None) != (self.std is None):
            raise ValueError("give both mean and std, or neither")

    @classmethod
    def from_torchvision(cls, transform: Any) -> Preprocess:
        """Build from a torchvision weights preset, e.g. ``ResNet18_Weights.DEFAULT.transforms()``."""
        interp = getattr(transform, "interpolation", "bilinear")
        interp_name = str(getattr(interp, "value", interp)).lower()
        resize = list(transform.resize_size)
        crop = list(transform.crop_size)
        return cls(
            resize=resize[0] if len(resize) == 1 else (resize[0], resize[1]),
            crop=crop[0] if len(crop) == 1 else (crop[0], crop[1]),
            mean=tuple(float(m) for m in transform.mean),  # type: ignore[arg-type]
            std=tuple(float(s) for s in transform.std),  # type: ignore[arg-type]
            interpolation=interp_name if interp_name in _INTERPOLATIONS else "bilinear",
            antialias=bool(getattr(transform, "antialias", True)),
        )

    @property
    def changes_geometry(self) -> bool:
        return self.resize is not None or self.crop is not None

    def geometry(self, x: torch.Tensor, *, nearest: bool = False) -> torch.Tensor:
        """Resize and crop x (..., H, W). ``nearest=True`` samples nearest neighbours (for label maps)."""
        from torchvision.transforms import InterpolationMode
        from torchvision.transforms.v2 import functional as tf

        if nearest:
            mode, antialias = InterpolationMode.NEAREST_EXACT, False
        else:
            mode, antialias = InterpolationMode(self.interpolation), self.antialias
        if self.resize is not None:
            size = [self.resize] if isinstance(self.resize, int) else list(self.resize)
            x = tf.resize(x, size, interpolation=mode, antialias=antialias)
        if self.crop is not None and self.crop_offset == "floor":
            top, left, ch, cw = self.crop_window(int(x.shape[-2]), int(x.shape[-1]))
            x = tf.crop(x, top, left, ch, cw)  # pads with zeros outside, as center_crop does
        elif self.crop is not None:
            crop = [self.crop, self.crop] if isinstance(self.crop, int) else list(self.crop)
            x = tf.center_crop(x, crop)
        return x

    def resized_size(self, height: int, width: int) -> tuple[int, int]:
        """(h, w) after the resize (an int resizes the shorter side, as torchvision does), before the crop."""
        if self.resize is None:
            return height, width
        if isinstance(self.resize, int):
            short, long = (height, width) if height <= width else (width, height)
            new_short, new_long = self.resize, int(self.resize * long / short)
            return (new_short, new_long) if height <= width else (new_long, new_short)
        return int(self.resize[0]), int(self.resize[1])

    def crop_window(self, height: int, width: int) -> tuple[int, int, int, int]:
        """(top, left, crop_h, crop_w) of the centre crop in resized coordinates (negative offsets mean
        padding, as in torchvision's ``center_crop``). No crop: the whole (height, width)."""
        if self.crop is None:
            return 0, 0, height, width
        ch, cw = (self.crop, self.crop) if isinstance(self.crop, int) else (int(self.crop[0]), int(self.crop[1]))
        pad_top = (ch - height) // 2 if ch > height else 0
        pad_left = (cw - width) // 2 if cw > width else 0
        offset = round if self.crop_offset == "round" else math.floor
        top = offset((max(height, ch) - ch) / 2.0) - pad_top
        left = offset((max(width, cw) - cw) / 2.0) - pad_left
        return int(top), int(left), ch, cw

    def axis_operators(self, height: int, width: int) -> tuple[torch.Tensor, torch.Tensor]:
        """The geometry (resize, then crop) as two matrices: for a float image X (H, W), ``A @ X @ B.T``
        equals ``geometry(X)`` up to float rounding. A: float32 (h, H), B: float32 (w, W).

        Resizing is linear and separable, so each axis is the resize of an identity matrix along it.
        """
        import torch.nn.functional as F

        rh, rw = self.resized_size(height, width)
        mode = {"bilinear": "bilinear", "bicubic": "bicubic", "nearest": "nearest"}[self.interpolation]
        kwargs: dict[str, Any] = {"mode": mode}
        if mode != "nearest":
            kwargs.update(align_corners=False, antialias=self.antialias)

        def axis(n_in: int, n_out: int) -> torch.Tensor:
            eye = torch.eye(n_in, dtype=torch.float32)[None, None]  # (1, 1, n_in, n_in)
            if n_out == n_in:
                return eye[0, 0]
            return F.interpolate(eye, size=(n_out, n_in), **kwargs)[0, 0]  # (n_out, n_in)

        a, b = axis(height, rh), axis(width, rw)
        top, left, ch, cw = self.crop_window(rh, rw)
        return _take_rows(a, top, ch), _take_rows(b, left, cw)

    def normalize(self, x: torch.Tensor) -> torch.Tensor:
        """Normalise float (n, 3, h, w) in [0, 1]. Returns a new tensor in x's memory layout."""
        if self.mean is None or self.std is None:
            return x
        mean = torch.tensor(self.mean, dtype=x.dtype, device=x.device).view(1, -1, 1, 1)
        std = torch.tensor(self.std, dtype=x.dtype, device=x.device).view(1, -1, 1, 1)
        return (x - mean).div_(std)


def _take_rows(m: torch.Tensor, start: int, count: int) -> torch.Tensor:
    """Rows start..start+count-1 of m (n, N); rows outside 0..n-1 are zero (padding)."""
    out = torch.zeros((count, m.shape[1]), dtype=m.dtype)
    lo, hi = max(0, start), min(m.shape[0], start + count)
    if hi > lo:
        out[lo - start : hi - start] = m[lo:hi]
    return out


class Classifier:
    """Base class of the model adapters.

    Subclasses set ``class_names`` (or None), ``output`` and ``device`` and implement ``_forward``
    (which returns the raw scores; :meth:`predict` validates them and turns them into probabilities). ``preprocess`` (a :class:`Preprocess` or None) says at which resolution perturbed
    images are composed: after its geometry, or at the image's own resolution when it is None.
    """

    class_names: list[str] | None
    output: OutputKind
    device: torch.device
    preprocess: Preprocess | None
    batch_size: int | None
    #: the memory layout this adapter prefers for composed batches: True = channels last ((n, 3, h, w) with
    #: NHWC strides), which the composer produces without a copy. Only a performance hint.
    channels_last: bool = False

    def _forward(self, batch: torch.Tensor) -> torch.Tensor | np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    @property
    def input_dtype(self) -> torch.dtype:
        """dtype of the composed batches this adapter wants (uint8 saves memory at full resolution)."""
        return torch.float32

    def predict(self, batch: torch.Tensor, *, first_index: int = 0) -> np.ndarray:
        """Score a batch of composed images.

        batch: (n, 3, h, w), uint8 or float in [0, 1]. first_index: index of the batch's first sample
        in the whole run (for error messages). Returns float64 probabilities (n, C).
        """
        share_cpu()  # a fair share of the cores when other processes are busy (lime_widget.models.threads)
        raw = self._forward(batch)
        return check_output(raw, batch.shape[0], self.output, first_index=first_index, class_names=self.class_names)

    def names(self, n_classes: int) -> list[str]:
        """Names of the C classes (``class i`` when the model has none)."""
        if self.class_names is not None and len(self.class_names) == n_classes:
            return list(self.class_names)
        return [f"class {i}" for i in range(n_classes)]

    @property
    def labels(self) -> list[str] | None:
        """Deprecated alias of :attr:`class_names`."""
        warnings.warn("Classifier.labels is deprecated; use class_names", DeprecationWarning, stacklevel=2)
        return self.class_names

    def auto_batch_size(self, height: int, width: int) -> int:
        """Batch size for inputs of (height, width): at most 64, and about 256 MB of input per batch."""
        if self.batch_size is not None:
            return self.batch_size
        return _memory_capped_batch(height, width, self.input_dtype)


def _memory_capped_batch(height: int, width: int, dtype: torch.dtype) -> int:
    bytes_per_image = 3 * height * width * (1 if dtype == torch.uint8 else 4)
    return int(max(1, min(MAX_AUTO_BATCH, AUTO_BATCH_BYTES // bytes_per_image)))


def _validate_common(
    class_names: Sequence[str] | None, labels: Sequence[str] | None, output: str, batch_size: int | None
) -> list[str] | None:
    if output not in ("logits", "probabilities"):
        raise ValueError(f"output must be 'logits' or 'probabilities'; got {output!r}")
    positive_int(batch_size, "batch_size", allow_none=True, hint="None: automatic")
    if labels is not None:
        if class_names is not None:
            raise TypeError("give class_names only (labels is its deprecated old name)")
        warnings.warn("the labels= argument is deprecated; use class_names=", DeprecationWarning, stacklevel=3)
        class_names = labels
    if class_names is None:
        return None
    if isinstance(class_names, str):
        raise TypeError(f"class_names must be a list of names, not one string; got {class_names!r}")
    names = [str(x) for x in class_names]
    if not names:
        raise ValueError("class_names must not be empty; pass None for unnamed classes")
    return names


class TorchClassifier(Classifier):
    """Adapter for a ``torch.nn.Module`` image classifier.

    module: the network; it must be in eval mode (call ``module.eval()``), because dropout and batch-norm
    statistics in train mode make scores random. With ``copy_to_eval=True`` a deep copy is put in eval
    mode instead and your module is left as it is. The module is never modified or switched to train mode
    (``device="auto"`` only moves it).
    transform: how the model's inputs are prepared: a torchvision weights preset
    (``weights.transforms()``), a :class:`Preprocess`, a callable taking a float (n, 3, H, W) batch in
    [0, 1] and returning the model input (then perturbations are composed at full resolution), or None
    (the image in [0, 1] at full resolution).
    class_names: class names, index = class id (``labels`` is its deprecated old name). device: where to run
    (default: the module's device); ``"auto"`` picks the first available of cuda, mps and cpu
    (:func:`auto_device`) and moves the module there (``module.to(device)``, which moves it in place).
    output: what the module returns: ``logits`` (softmax is applied) or ``probabilities`` (checked to
    sum to 1). A single output column is read as a binary classifier (sigmoid for logits).
    batch_size: images per forward pass; None picks one per input size (on CPU about 4 images of 224x224,
    where the cache makes small batches fastest; elsewhere up to 64 and about 256 MB of input).
    channels_last: feed 4-D inputs in channels-last memory layout (faster for convolutions on CPU); None =
    on for CPU, off otherwise. The module itself is not touched; if it rejects such an input (a ``view`` on
    it, say) the batch is re-run in the default layout and this classifier stops using channels last.
    """

    def __init__(
        self,
        module: torch.nn.Module,
        transform: Any = None,
        class_names: Sequence[str] | None = None,
        device: str | torch.device | None = None,
        output: OutputKind = "logits",
        batch_size: int | None = None,
        copy_to_eval: bool = False,
        channels_last: bool | None = None,
        *,
        labels: Sequence[str] | None = None,
    ) -> None:
        if not isinstance(module, torch.nn.Module):
            raise TypeError(f"TorchClassifier needs a torch.nn.Module; got {type(module).__name__}")
        apply_default_threads()  # once per process: a bounded thread count (lime_widget.models.threads)
        self.class_names = _validate_common(class_names, labels, output, batch_size)
        self.output = output
        self.batch_size = batch_size
        if module.training:
            if not copy_to_eval:
                raise ValueError(
                    "the module is in training mode, where dropout and batch-norm make scores random; call "
                    "module.eval() first, or pass copy_to_eval=True to explain an eval-mode copy"
                )
            module = copy.deepcopy(module).eval()
        if isinstance(device, str) and device == "auto":
            device = auto_device()
            if _module_device(module) != device:
                module = module.to(device)
        self.module = module
        self.device = torch.device(device) if device is not None else _module_device(module)
        if device is not None and _module_device(module) != self.device:
            raise ValueError(
                f"the module's parameters are on {_module_device(module)} but device={self.device} was "
                f"given; move the module first (module.to({str(self.device)!r}))"
            )
        self.channels_last = (self.device.type == "cpu") if channels_last is None else bool(channels_last)
        self._callable_transform: Callable[[torch.Tensor], torch.Tensor] | None = None
        if transform is None:
            self.preprocess = None
        elif isinstance(transform, Preprocess):
            self.preprocess = transform
        elif all(hasattr(transform, a) for a in ("crop_size", "resize_size", "mean", "std")):
            self.preprocess = Preprocess.from_torchvision(transform)
        elif callable(transform):
            self.preprocess = None
            self._callable_transform = transform
        else:
            raise TypeError(
                "transform must be a torchvision weights preset (weights.transforms()), a lime_widget.Preprocess, "
                f"a callable on (n, 3, H, W) float batches, or None; got {type(transform).__name__}"
            )

    def auto_batch_size(self, height: int, width: int) -> int:
        """Images per forward pass for inputs of (height, width) (see the class docstring)."""
        if self.batch_size is not None:
            return self.batch_size
        capped = _memory_capped_batch(height, width, self.input_dtype)
        if self.device.type == "cpu":
            return int(max(1, min(capped, CPU_BATCH_PIXELS // max(1, height * width))))
        return capped

    def prepare(self, batch: torch.Tensor) -> torch.Tensor:
        """The module's input for a composed float batch (n, 3, h, w) in [0, 1]: the callable transform, or
        the normalisation of the :class:`Preprocess` (its geometry was applied when composing)."""
        if self._callable_transform is not None:
            return self._callable_transform(batch)
        if self.preprocess is not None:
            return self.preprocess.normalize(batch)
        return batch

    def _forward(self, batch: torch.Tensor) -> torch.Tensor:
        if self.module.training:
            raise ValueError("the module was switched to training mode after wrapping; call module.eval() again")
        x = batch.to(self.device)
        x = x.float().div_(255.0) if x.dtype == torch.uint8 else x.float()
        with torch.inference_mode():
            x = self.prepare(x)
            if self.channels_last and x.ndim == 4:
                try:
                    out = self.module(x.contiguous(memory_format=torch.channels_last))
                except RuntimeError as err:
                    # only the layout error (the module calls .view() on its input) falls back, to the default
                    # layout for good; any other error (out of memory, a bug in the model) is the caller's
                    if "view size is not compatible with input tensor's size and stride" not in str(err):
                        raise
                    self.channels_last = False
                    out = self.module(x.contiguous())
            else:
                out = self.module(x.contiguous())
            out = unwrap_output(out)
            if not isinstance(out, torch.Tensor):
                raise ModelOutputError(f"the module returned {type(out).__name__}; it must return a tensor (n, C)")
            return out.float().cpu()


def auto_device() -> torch.device:
    """The first available of cuda (the current GPU), mps (Apple silicon) and cpu."""
    if torch.cuda.is_available():
        return torch.device("cuda", torch.cuda.current_device())
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def _module_device(module: torch.nn.Module) -> torch.device:
    for p in module.parameters():
        return p.device
    for b in module.buffers():
        return b.device
    return torch.device("cpu")


class FunctionClassifier(Classifier):
    """Adapter for any callable taking a uint8 batch (n, H, W, 3) and returning scores (n, C): lime's contract.

    Non-torch models (scikit-learn, ONNX, JAX, a web service) work through this. ``input_size`` = (h, w)
    makes the perturbed images be composed at that size (what the model would resize to anyway), which is
    much faster on large photos; None passes full-resolution images. ``output``: ``probabilities``
    (default; rows must sum to 1) or ``logits`` (softmax is applied).

    The widget may call ``fn`` from two threads at once (a click while it pre-scores, or while a flip search
    runs); for a function that cannot take that, make the widget with ``prescore=False`` and do not click
    during a flip search.
    """

    def __init__(
        self,
        fn: Callable[[np.ndarray], Any],
        class_names: Sequence[str] | None = None,
        output: OutputKind = "probabilities",
        input_size: tuple[int, int] | None = None,
        batch_size: int | None = None,
        *,
        labels: Sequence[str] | None = None,
    ) -> None:
        if not callable(fn):
            raise TypeError(f"FunctionClassifier needs a callable; got {type(fn).__name__}")
        self.fn = fn
        self.class_names = _validate_common(class_names, labels, output, batch_size)
        self.output = output
        self.batch_size = batch_size
        self.device = torch.device("cpu")
        self.channels_last = True  # the callable wants (n, H, W, 3): composing in that layout saves a copy
        self.preprocess = Preprocess(resize=tuple(input_size)) if input_size is not None else None  # type: ignore[arg-type]

    @property
    def input_dtype(self) -> torch.dtype:
        return torch.uint8 if self.preprocess is None else torch.float32

    def _forward(self, batch: torch.Tensor) -> Any:
        if batch.dtype != torch.uint8:
            batch = (batch.float() * 255.0).round_().clamp_(0, 255).to(torch.uint8)
        images = batch.permute(0, 2, 3, 1).contiguous().cpu().numpy()
        return self.fn(images)


def check_output(
    raw: Any, n: int, output: str, *, first_index: int = 0, class_names: Sequence[str] | None = None
) -> np.ndarray:
    """Validate a model's raw scores for a batch of n samples and return float64 probabilities (n, C).

    raw: a tensor, array or nested list (n, C) or (n,), or an object :func:`unwrap_output` reads.
    output ``logits``: softmax is applied; ``probabilities``: rows must sum to 1. A single column is a
    binary model (:func:`expand_single_column`).
    """
    where = f"model output for samples {first_index}..{first_index + n - 1}"
    raw = unwrap_output(raw)
    if isinstance(raw, torch.Tensor):
        raw = raw.detach().cpu().numpy()
    try:
        out = np.asarray(raw, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise ModelOutputError(f"{where} is not numeric: {err}") from err
    if out.ndim == 1 and out.shape[0] == n:
        out = out[:, None]
    if out.ndim != 2 or out.shape[0] != n:
        raise ModelOutputError(f"{where} has shape {out.shape}; expected (n, C) = ({n}, C)")
    if out.shape[1] == 0:
        raise ModelOutputError(f"{where} has shape {out.shape}: no class scores; the model must return (n, C), C >= 1")
    n_classes = 2 if out.shape[1] == 1 else out.shape[1]  # one column is a binary model
    # wrong class names are the caller's mistake, whatever the output kind: said before any conversion
    if class_names is not None and len(class_names) != n_classes:
        raise ModelOutputError(
            f"{where} has {n_classes} classes ({out.shape[1]} output columns) but {len(class_names)} class names "
            f"were given: class_names must have length {n_classes} (one name per class), or be None"
        )
    if not np.all(np.isfinite(out)):
        bad = int(np.argmax(~np.all(np.isfinite(out), axis=1)))
        raise ModelOutputError(f"{where} contains NaN or infinity (first at sample {first_index + bad})")
    if out.shape[1] == 1 and output == "probabilities" and (np.any(out < -1e-6) or np.any(out > 1 + 1e-6)):
        raise ModelOutputError(f"{where} is one column with values outside [0, 1]; for a logit pass output='logits'")
    # contiguous: torch refuses a view with negative strides (probs[:, ::-1])
    scores = expand_single_column(torch.from_numpy(np.ascontiguousarray(out)), output)
    if output == "logits":
        return torch.softmax(scores, dim=1).numpy()
    probs = scores.numpy()
    if np.any(probs < -1e-6):
        raise ModelOutputError(f"{where} has negative values; if the model returns logits pass output='logits'")
    sums = probs.sum(axis=1)
    if not np.allclose(sums, 1.0, atol=1e-3):
        i = int(np.argmax(np.abs(sums - 1.0)))
        raise ModelOutputError(
            f"{where}: rows must sum to 1 when probabilities are promised, but sample {first_index + i} sums "
            f"to {sums[i]:.6g}; if the model returns logits pass output='logits'"
        )
    return probs
