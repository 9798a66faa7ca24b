"""The one table of rules for the explorer's settings, applied to messages from the front end and to
assignments from Python alike.

A rule takes a value and the :class:`Limits` of one widget (K, the explained classes, the maps and rankings it
has) and returns the value to store, or raises :class:`BadValue` whose message names the trait, the value and
what is allowed. :func:`screen` splits a front-end message into what may be applied and what is rejected
(docs/protocol.md, "Validation of front-end messages"); the widget's ``@validate`` and setters call
:func:`check`, which raises ``traitlets.TraitError`` with the same message.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import traitlets

_VIEW_SETTINGS = (  # in the order their problems are listed
    "selected_label",
    "show_heatmap",
    "heatmap_opacity",
    "heatmap_method",
    "top_k",
    "show_curve",
    "curve_ranking",
    "curve_mode",
)
#: The traits the front end may write (``setTraits`` in js/src/core/traits.ts): every other trait is the kernel's.
FRONT_END_TRAITS = frozenset({"visible", "rev", *_VIEW_SETTINGS})
#: The maps the heatmap can show: LIME's weights, or Grad-CAM averaged over each superpixel (``gradcam=True``).
HEATMAP_METHODS = ("lime", "gradcam")
#: The orders a curve can hide superpixels in: LIME's weights, Grad-CAM (``gradcam=True``), a random order.
CURVE_RANKINGS = ("lime", "gradcam", "random")
CURVE_MODES = ("deletion", "insertion")
MAX_SAFE_INTEGER = 2**53 - 1  # JavaScript's Number.MAX_SAFE_INTEGER: a larger rev cannot round-trip
#: the smallest ``max_display_side``: below it the view is a few pixels, with superpixels too small to click
MIN_DISPLAY_SIDE = 16
MAX_LISTED_PROBLEMS = 5


class BadValue(ValueError):
    """A value a rule refuses; the message names the setting, the value and what is allowed."""


@dataclass(frozen=True)
class Limits:
    """What one widget allows: K superpixels, the explained class ids, its heatmap maps and curve rankings."""

    n_segments: int
    labels: tuple[int, ...]
    heatmap_methods: tuple[str, ...] = ("lime",)
    rankings: tuple[str, ...] = ("lime", "random")

    @classmethod
    def of(cls, n_segments: int, labels: Iterable[int], *, gradcam: bool) -> Limits:
        """The limits of a widget on K = ``n_segments`` superpixels that explains ``labels``, with Grad-CAM or not."""
        return cls(
            n_segments=n_segments,
            labels=tuple(int(c) for c in labels),
            heatmap_methods=HEATMAP_METHODS if gradcam else ("lime",),
            rankings=CURVE_RANKINGS if gradcam else ("lime", "random"),
        )


def describe(value: Any) -> str:
    """A short description of a value (from the front end or Python), never its whole text."""
    if isinstance(value, list):
        return f"a list of {len(value)}"
    if value is None:
        return "null"
    if isinstance(value, (bool, int, float)):
        return short(value)
    if isinstance(value, str):
        return f"the string {short(value)}"
    return type(value).__name__


def short(value: Any, limit: int = 40) -> str:
    """``repr`` of a value, cut to ``limit`` characters (a 2**70 or a key of a million characters included)."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 64:
        return f"an integer of {value.bit_length()} bits"
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _is_int(value: Any) -> bool:
    """An integer, numpy's included (``np.int64(8)``), but never a bool (numpy's bool is no Integral)."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _flag(name: str) -> Callable[[Any, Limits], bool]:
    def rule(value: Any, _limits: Limits) -> bool:
        if not isinstance(value, bool):
            raise BadValue(f"{name} must be true or false; got {describe(value)}")
        return value

    return rule


def _one_of(name: str, allowed: Callable[[Limits], Iterable[str]]) -> Callable[[Any, Limits], str]:
    def rule(value: Any, limits: Limits) -> str:
        options = list(allowed(limits))
        if not isinstance(value, str) or value not in options:
            hint = " (make the widget with gradcam=True for Grad-CAM)" if value == "gradcam" else ""
            raise BadValue(f"{name} must be one of {options}; got {describe(value)}{hint}")
        return value

    return rule


def _visible(value: Any, limits: Limits) -> list[bool]:
    k = limits.n_segments
    if not isinstance(value, (list, tuple)) or len(value) != k:
        raise BadValue(f"visible must have {k} entries (one true/false per superpixel); got {describe(value)}")
    bad = next((i for i, x in enumerate(value) if not isinstance(x, bool)), None)
    if bad is not None:
        raise BadValue(f"visible must hold only true/false values; visible[{bad}] is {describe(value[bad])}")
    return list(value)


def _rev(value: Any, _limits: Limits) -> int:
    if not _is_int(value):
        raise BadValue(f"rev must be an integer; got {describe(value)}")
    if value > MAX_SAFE_INTEGER:
        raise BadValue(f"rev must be at most 2**53 - 1 (JavaScript's largest safe integer); got {short(value)}")
    if value < 0:
        raise BadValue(f"rev must be 0 or more; got {short(value)}")
    return int(value)


def _selected_label(value: Any, limits: Limits) -> int:
    if not _is_int(value) or value not in limits.labels:
        raise BadValue(f"selected_label {describe(value)} was not explained; choose one of {list(limits.labels)}")
    return int(value)


def _opacity(value: Any, _limits: Limits) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:  # NaN fails too
        raise BadValue(f"heatmap_opacity must be a number between 0 and 1; got {describe(value)}")
    return float(value)


def _top_k(value: Any, limits: Limits) -> int:
    if not _is_int(value) or not 1 <= value <= limits.n_segments:
        raise BadValue(f"top_k must be an integer between 1 and {limits.n_segments}; got {describe(value)}")
    return int(value)


def _cache_size(value: Any, _limits: Limits) -> int:
    if not _is_int(value) or value < 1:
        raise BadValue(f"cache_size must be a positive number of masks whose scores are kept; got {describe(value)}")
    return int(value)


def _max_display_side(value: Any, _limits: Limits) -> int:
    if not _is_int(value) or value < MIN_DISPLAY_SIDE:
        raise BadValue(
            f"max_display_side must be an integer of at least {MIN_DISPLAY_SIDE} (pixels of the displayed "
            f"image's longer side); got {describe(value)}"
        )
    return int(value)


#: trait (or setting) -> its rule. The front end may write only those in FRONT_END_TRAITS.
RULES: Mapping[str, Callable[[Any, Limits], Any]] = {
    "visible": _visible,
    "rev": _rev,
    "selected_label": _selected_label,
    "show_heatmap": _flag("show_heatmap"),
    "heatmap_opacity": _opacity,
    "heatmap_method": _one_of("heatmap_method", lambda limits: limits.heatmap_methods),
    "top_k": _top_k,
    "show_curve": _flag("show_curve"),
    "curve_ranking": _one_of("curve_ranking", lambda limits: limits.rankings),
    "curve_mode": _one_of("curve_mode", lambda _limits: CURVE_MODES),
    "cache_size": _cache_size,
    "max_display_side": _max_display_side,
}


def check(name: str, value: Any, limits: Limits) -> Any:
    """``value`` as stored for the setting ``name``, or ``traitlets.TraitError`` naming it, the value and what is
    allowed (every explorer setting fails the same way, from a constructor argument to an assignment)."""
    try:
        return RULES[name](value, limits)
    except BadValue as err:
        raise traitlets.TraitError(str(err)) from None


def check_switch(name: str, value: Any, *, automatic: bool = False) -> None:
    """A switch given from Python (``gradcam``, ``prescore``) must be True or False (automatic=True: or None, for
    automatic); anything else is a TypeError naming it, the value and what is allowed."""
    if isinstance(value, bool) or (automatic and value is None):
        return
    allowed = "True, False or None (automatic)" if automatic else "True or False"
    raise TypeError(f"{name} must be {allowed}; got {value!r}")


@dataclass
class Screened:
    """A front-end message split: ``data`` may be applied; ``problems`` to show; ``resend`` the traits whose
    true values go back to the view."""

    data: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    resend: set[str] = field(default_factory=set)

    def refuse(self, names: Iterable[str], problem: str) -> None:
        self.problems.append(problem)
        for name in names:
            self.data.pop(name, None)
            self.resend.add(name)


def screen(
    message: dict[str, Any],
    limits: Limits,
    *,
    keys: Iterable[str],
    rev: int,
    visible: list[bool],
    view_count_on: bool,
) -> Screened:
    """Split a front-end message (trait name -> value) for a widget whose synced traits are ``keys``, whose
    current mask is ``visible`` at ``rev``, and whose ``_view_count`` Python turned on (``view_count_on``)."""
    out = Screened()
    owned = set(keys)
    for name, value in message.items():
        if name in FRONT_END_TRAITS:
            out.data[name] = value
        elif name == "_view_count" and view_count_on and _is_int(value) and 0 <= value <= MAX_SAFE_INTEGER:
            out.data[name] = value  # ipywidgets' views count themselves once Python turned the count on
        elif name in owned:
            out.problems.append(f"{name} is set by Python; the view cannot change it")
            out.resend.add(name)
        else:
            out.problems.append(f"{short(name)} is not a field of this widget")
    data = out.data
    # visible and rev travel together: a problem with either drops both
    try:
        if "visible" in data:
            data["visible"] = _visible(data["visible"], limits)
        if "rev" in data:
            new = _rev(data["rev"], limits)
            if new == rev and data.get("visible", visible) == visible:
                # A repeat of the kernel's own mask and rev changes nothing. marimo delivers every front-end
                # update twice (through the comm and again as the UI element's value): drop it silently.
                data.pop("visible", None)
                data.pop("rev", None)
            elif new <= rev:
                raise BadValue(f"rev {short(new)} is not newer than the current rev {rev}")
        elif "visible" in data and data["visible"] != visible:
            raise BadValue("visible changed without a new rev (send rev + 1 with every change of visible)")
    except BadValue as err:
        out.refuse(("visible", "rev"), str(err))
    for name in _VIEW_SETTINGS:
        if name in data:
            try:
                data[name] = RULES[name](data[name], limits)
            except BadValue as err:
                out.refuse((name,), str(err))
    return out


def summary(problems: list[str]) -> str:
    """The error line of a (partly) rejected front-end message: at most MAX_LISTED_PROBLEMS problems."""
    shown = problems[:MAX_LISTED_PROBLEMS]
    if len(problems) > len(shown):
        shown.append(f"and {len(problems) - len(shown)} more problems")
    return "rejected a message from the widget: " + "; ".join(shown)
