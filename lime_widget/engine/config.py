"""The parameters of an explanation as one typed, frozen, validated :class:`ExplainConfig`.

Every parameter that changes what an explanation computes travels in this one object, from
:func:`lime_widget.explain` to the layer that uses it (segmentation, compose, sampling, kernels,
surrogate), and the :class:`~lime_widget.engine.explanation.Explanation` keeps it. Presets
(:mod:`lime_widget.engine.presets`) are instances of it. Validation lives here, in ``__post_init__``, so a bad
value is refused before any image or model work.
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..core._checks import positive_int
from ..core.kernels import KERNELS, KernelFn
from ..core.sampling import SCHEMES
from ..core.segmentation import METHODS, SegmentationFn
from ..core.settled import TIE_TOLERANCE
from ..render.figures import STYLES as FIGURE_STYLES
from . import limits
from .compose import HideSpec, check_hide, describe_hide

#: The value of ``segmentation`` when the caller passed a label map (``explain(segments=...)``).
GIVEN = "given"


@dataclass(frozen=True)
class Unstored:
    """Stands in, after a JSON round trip, for a value JSON cannot hold (a function, a background image).

    kind: ``function`` or ``image``; name: what it was (a function's name, an image's shape). Calling it
    raises: explain again with the original object.
    """

    kind: str
    name: str

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError(
            f"this explanation was made with a custom {self.kind} ({self.name}), which its JSON file cannot hold; "
            "pass the original object again to explain"
        )


@dataclass(frozen=True, eq=False)
class ExplainConfig:
    """What an explanation computes (the seed and run options such as batch size are not part of it).

    num_samples: perturbed images, row 0 the original (>= 2), or ``auto``: rounds until the top 5 of the first
    explained class is settled up to ties (superpixels whose weights differ by less than ``tie_tolerance`` times
    the largest weight), every weight is that precise, or the estimated top-5 stability reaches
    ``target_stability`` (0..1); at most ``max_samples``.
    refits: bootstrap refits of the surrogate that give each weight's uncertainty (0 = none). segmentation: ``slic``, ``quickshift``,
    ``felzenszwalb``, ``watershed``, ``grid``, a callable (image -> label map), or ``given`` (a label map
    passed as ``segments=``); segmentation_params: keyword arguments for it (``n_segments`` etc.).
    hide: how hidden superpixels look: ``mean``, ``black``, ``gray``, ``blur`` (``blur_sigma`` px), an
    (r, g, b) colour in 0..255 or ``#rrggbb``, or a background image. sampling: ``balanced`` (default:
    randomised foldover Hadamard designs), ``paired``, ``stratified``, ``lime`` or ``matlab`` (see
    :mod:`lime_widget.core.sampling`). kernel: ``uniform`` (default: every sample weighs the same, so a mask and
    its complement cancel two-superpixel interactions), ``lime``, ``matlab`` or a callable on cosine
    distances; kernel_width: its width (None = the kernel's default). ridge_alpha: the Ridge penalty (0 = weighted least squares). top_labels: how many
    of the most probable classes to explain; classes: explicit class ids or names instead. figure_style:
    the default look of figures. preset: the name of the preset this started from, if any.
    Sizes are capped (:mod:`lime_widget.engine.limits`): num_samples and max_samples at most ``MAX_SAMPLES``
    (10**6), refits ``MAX_REFITS`` (10**4), n_segments ``MAX_SEGMENTS`` (65,535), blur_sigma ``MAX_SIGMA``
    (1000 px); above them a :class:`~lime_widget.engine.limits.LimitError`.
    """

    num_samples: int | str = 1000
    max_samples: int = 2000
    target_stability: float = 0.9
    tie_tolerance: float = TIE_TOLERANCE
    refits: int = 200
    segmentation: str | SegmentationFn = "slic"
    segmentation_params: Mapping[str, Any] = field(default_factory=dict)
    hide: HideSpec = "mean"
    blur_sigma: float | None = None
    sampling: str = "balanced"
    kernel: str | KernelFn = "uniform"
    kernel_width: float | None = None
    ridge_alpha: float = 1.0
    top_labels: int = 5
    classes: tuple[int | str, ...] | None = None
    figure_style: str = "default"
    preset: str | None = None

    def __post_init__(self) -> None:
        if self.num_samples != "auto":
            if isinstance(self.num_samples, str):
                raise ValueError(f"num_samples must be an integer >= 2 or 'auto'; got {self.num_samples!r}")
            _sample_count("num_samples", self.num_samples)
        _sample_count("max_samples", self.max_samples)
        _finite("target_stability", self.target_stability, minimum=0.0, strict=True)
        if self.target_stability > 1:
            raise ValueError(f"target_stability is a Jaccard index in (0, 1]; got {self.target_stability!r}")
        _finite("tie_tolerance", self.tie_tolerance, minimum=0.0)
        if self.tie_tolerance >= 1:
            raise ValueError(
                f"tie_tolerance is a share of the largest weight, in [0, 1); got {self.tie_tolerance!r} "
                f"({TIE_TOLERANCE}: weights closer than {TIE_TOLERANCE:.0%} of the largest count as a tie)"
            )
        limits.check_count(
            self.refits,
            "refits",
            minimum=0,
            limit=limits.MAX_REFITS,
            limit_name="MAX_REFITS",
            why="refits x classes x superpixels float64 weights; 200 give a standard error to about 5%",
            type_error=TypeError,
        )
        if self.refits == 1:
            raise ValueError("refits must be 0 (no uncertainty) or at least 2")
        if isinstance(self.segmentation, str):
            if self.segmentation not in (*METHODS, GIVEN):
                raise ValueError(
                    f"segmentation={self.segmentation!r} is unknown; choose one of {', '.join(METHODS)} or pass a "
                    "callable (or a label map as segments=)"
                )
        elif not callable(self.segmentation):
            raise TypeError(f"segmentation must be a method name or a callable; got {type(self.segmentation).__name__}")
        if not isinstance(self.segmentation_params, Mapping):
            raise TypeError(f"segmentation_params must be a dict; got {type(self.segmentation_params).__name__}")
        params = dict(self.segmentation_params)
        if "n_segments" in params:
            limits.check_count(
                params["n_segments"],
                "n_segments",
                minimum=2,
                limit=limits.MAX_SEGMENTS,
                limit_name="MAX_SEGMENTS",
                why="the explorer sends superpixel ids as 16-bit integers",
                type_error=TypeError,
            )
        object.__setattr__(self, "segmentation_params", params)
        if not isinstance(self.hide, Unstored):
            object.__setattr__(self, "hide", check_hide(self.hide))
        if self.blur_sigma is not None:
            _finite("blur_sigma", self.blur_sigma, minimum=0.0)
            limits.check_sigma(self.blur_sigma, "blur_sigma")
        if self.sampling not in SCHEMES:
            raise ValueError(f"sampling={self.sampling!r} is unknown; choose one of {', '.join(SCHEMES)}")
        if isinstance(self.kernel, str):
            if self.kernel not in KERNELS:
                raise ValueError(f"kernel={self.kernel!r} is unknown; choose one of {', '.join(KERNELS)} or a callable")
        elif not callable(self.kernel):
            raise TypeError(f"kernel must be a kernel name or a callable; got {type(self.kernel).__name__}")
        if self.kernel_width is not None:
            _finite("kernel_width", self.kernel_width, minimum=0.0, strict=True)
        _finite("ridge_alpha", self.ridge_alpha, minimum=0.0)
        _positive_int("top_labels", self.top_labels, minimum=1)
        if self.classes is not None:
            if isinstance(self.classes, (str, bytes)) or not isinstance(self.classes, (list, tuple)):
                raise TypeError(
                    f"classes must be a list of class ids or names, e.g. classes=[{self.classes!r}]; got "
                    f"{type(self.classes).__name__}"
                )
            items = tuple(self.classes)
            if not items:
                raise ValueError("classes=[] names no class; pass at least one id or name, or None for the top ones")
            for c in items:
                if isinstance(c, bool) or not isinstance(c, (int, np.integer, str)):
                    raise TypeError(f"classes must hold class ids (int) or names (str); got {c!r}")
            if len(set(items)) != len(items):
                raise ValueError(f"classes={list(items)} repeats a class; give each once")
            object.__setattr__(self, "classes", tuple(int(c) if not isinstance(c, str) else c for c in items))
        if self.figure_style not in FIGURE_STYLES:
            raise ValueError(f"figure_style={self.figure_style!r} is unknown; choose one of {', '.join(FIGURE_STYLES)}")

    def replace(self, **changes: Any) -> ExplainConfig:
        """A copy with the given fields changed (and validated). ``segmentation_params`` given here are
        merged over the current ones, unless ``segmentation`` changes method (then they start empty)."""
        unknown = set(changes) - {f.name for f in dataclasses.fields(self)}
        if unknown:
            raise TypeError(f"ExplainConfig has no field(s) {', '.join(sorted(unknown))}")
        given = changes.get("segmentation_params")
        if given is not None and not isinstance(given, Mapping):
            raise TypeError(f"segmentation_params must be a dict; got {type(given).__name__} {given!r}")
        params = dict(self.segmentation_params)
        new_method = changes.get("segmentation", self.segmentation)
        if new_method is not self.segmentation and new_method != self.segmentation:
            params = {}
        params.update(changes.pop("segmentation_params", None) or {})
        return dataclasses.replace(self, segmentation_params=params, **changes)

    def __getitem__(self, key: str) -> Any:
        warnings.warn(
            "indexing a preset like a dict is deprecated; presets are ExplainConfig objects: use preset.field",
            DeprecationWarning,
            stacklevel=2,
        )
        return getattr(self, key)

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly dict; functions and background images become ``{"unstored": kind, "name": ...}``."""
        return {
            "num_samples": self.num_samples,
            "max_samples": self.max_samples,
            "target_stability": self.target_stability,
            "tie_tolerance": self.tie_tolerance,
            "refits": self.refits,
            "segmentation": _describe_callable(self.segmentation),
            "segmentation_params": {k: _plain(v) for k, v in self.segmentation_params.items()},
            "hide": _describe_hide(self.hide),
            "blur_sigma": self.blur_sigma,
            "sampling": self.sampling,
            "kernel": _describe_callable(self.kernel),
            "kernel_width": self.kernel_width,
            "ridge_alpha": self.ridge_alpha,
            "top_labels": self.top_labels,
            "classes": None if self.classes is None else list(self.classes),
            "figure_style": self.figure_style,
            "preset": self.preset,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, complete: bool = False) -> ExplainConfig:
        """Inverse of :meth:`to_dict` (unstored values come back as :class:`Unstored`). Unknown keys are
        refused; with ``complete`` (as when reading a file) every field must be present."""
        if not isinstance(data, Mapping):
            raise TypeError(f"an ExplainConfig dict must be a mapping; got {type(data).__name__}")
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = set(data) - names
        if unknown:
            raise ValueError(f"unknown ExplainConfig field(s): {', '.join(sorted(unknown))}")
        missing = names - set(data)
        if complete and missing:
            raise ValueError(f"missing ExplainConfig field(s): {', '.join(sorted(missing))}")
        values = {k: _restore(v) for k, v in data.items()}
        if values.get("classes") is not None:
            values["classes"] = tuple(values["classes"])
        return cls(**values)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ExplainConfig):
            return NotImplemented
        return self.to_dict() == other.to_dict()

    __hash__ = None  # type: ignore[assignment]


def _positive_int(name: str, value: Any, *, minimum: int) -> None:
    # a config's type errors are TypeErrors (ExplainConfig's contract), its range errors ValueErrors
    positive_int(value, name, minimum=minimum, type_error=TypeError)


def _sample_count(name: str, value: Any) -> None:
    limits.check_count(
        value,
        name,
        minimum=2,
        limit=limits.MAX_SAMPLES,
        limit_name="MAX_SAMPLES",
        why="each sample is a forward pass and a row of masks and scores",
        type_error=TypeError,
    )


def _finite(name: str, value: Any, *, minimum: float, strict: bool = False) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a number; got {type(value).__name__} {value!r}")
    v = float(value)
    if not math.isfinite(v) or v < minimum or (strict and v == minimum):
        relation = ">" if strict else ">="
        raise ValueError(f"{name} must be a finite number {relation} {minimum:g}; got {value!r}")


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


def _describe_callable(value: Any) -> Any:
    if isinstance(value, str):
        return value
    if isinstance(value, Unstored):
        return {"unstored": value.kind, "name": value.name}
    return {"unstored": "function", "name": getattr(value, "__name__", type(value).__name__)}


def _describe_hide(hide: Any) -> Any:
    if isinstance(hide, Unstored):
        return {"unstored": hide.kind, "name": hide.name}
    if isinstance(hide, np.ndarray) and hide.ndim >= 2:
        return {"unstored": "image", "name": f"background image {'x'.join(str(s) for s in hide.shape)}"}
    return describe_hide(hide)


def _restore(value: Any) -> Any:
    if isinstance(value, Mapping) and set(value) == {"unstored", "name"}:
        return Unstored(str(value["unstored"]), str(value["name"]))
    return value
