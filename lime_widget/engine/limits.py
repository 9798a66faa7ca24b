"""Limits on the arguments that size arrays, checked before anything is allocated.

A typo such as ``num_samples=10**11`` must fail at once with a message, not grow until the machine
swaps. Two kinds of limit:

- fixed caps on single arguments, checked when an :class:`~lime_widget.engine.config.ExplainConfig` is made
  (before any image or model work): :data:`MAX_SAMPLES` for ``num_samples`` and ``max_samples``,
  :data:`MAX_REFITS`, :data:`MAX_SEGMENTS` for ``n_segments`` and :data:`MAX_SIGMA` for ``blur_sigma`` and a
  heatmap's ``smooth``. They are far above any useful setting; a caller who really needs more can raise the
  module constant (it is read at each check), e.g. ``lime_widget.engine.limits.MAX_SAMPLES = 5_000_000``.
- a memory budget for the arrays whose size depends on several arguments at once, checked as soon as the
  sizes are known (:func:`check_memory`): masks n x K, their float copies for the fit, probabilities n x C,
  bootstrap refits R x L x K and one batch of composed images. The budget is half the machine's memory
  (8 GiB where it cannot be read), or the environment variable ``LIME_WIDGET_MEMORY_BUDGET`` (bytes, or a
  number with K, M, G or T, e.g. ``64G``).
"""

from __future__ import annotations

import math
import os
from typing import Any

from ..core._checks import positive_int

#: Most samples (num_samples, max_samples): 10**6 samples already take hours of forward passes on a CPU,
#: and the standard error of a weight then is ~1000x below the weights themselves.
MAX_SAMPLES = 1_000_000
#: Most bootstrap refits: 200 give a standard error to ~5%; 10**4 to ~0.7%.
MAX_REFITS = 10_000
#: Most superpixels asked of a segmentation: the explorer sends superpixel ids as 16-bit integers.
MAX_SEGMENTS = 65_535
#: Largest Gaussian sigma in pixels (blur_sigma, a heatmap's smooth): the filter holds 8 sigma + 1 taps
#: and costs that many operations per pixel; a blur wider than this is a flat colour (use a hide colour).
MAX_SIGMA = 1_000.0
#: The environment variable that sets the memory budget, and the budget when the machine's memory is unknown.
MEMORY_ENV = "LIME_WIDGET_MEMORY_BUDGET"
FALLBACK_BUDGET = 8 * 2**30
#: Bytes per mask cell (n x K) over a whole explanation: the bool mask, the int64 draw of lime's design and
#: the float64 copies the surrogate fit and the refits make (x, x.T and the weighted x.T).
BYTES_PER_MASK_CELL = 1 + 8 + 3 * 8

_UNITS = {"": 1, "K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}


class LimitError(ValueError):
    """An argument asks for more memory or work than the limits allow; the message names the argument, the
    limit and how to raise it."""


def memory_budget() -> int:
    """The memory budget in bytes: ``LIME_WIDGET_MEMORY_BUDGET`` when set, else half the machine's memory."""
    text = os.environ.get(MEMORY_ENV, "").strip()
    if text:
        return parse_bytes(text)
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, OSError, ValueError):  # not a POSIX system
        return FALLBACK_BUDGET
    return int(total // 2) if total > 0 else FALLBACK_BUDGET


def parse_bytes(text: str) -> int:
    """``"64G"`` -> 68719476736: a whole or decimal number with an optional K, M, G or T (powers of 1024)."""
    s = text.strip().upper().removesuffix("B").removesuffix("I")
    unit = s[-1:] if s[-1:] in _UNITS and s[-1:] else ""
    try:
        value = float(s[: len(s) - len(unit)])
    except ValueError:
        value = -1.0
    if not value > 0 or value == float("inf") or value * _UNITS[unit] < 1:
        raise LimitError(f"{MEMORY_ENV}={text!r} is not a size; give bytes or a number with K, M, G or T, e.g. 16G")
    return int(value * _UNITS[unit])


def human_bytes(n: float) -> str:
    """``1.5 GiB``-style text of a byte count."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if abs(n) < 1024 or unit == "PiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    raise AssertionError("unreachable")


def check_count(
    value: Any, name: str, *, minimum: int, limit: int, limit_name: str, why: str, type_error: type[Exception]
) -> int:
    """``value`` as an int in ``minimum..limit``: the type and minimum as :func:`positive_int` checks them;
    above ``limit`` (the module constant ``limit_name``) a :class:`LimitError` naming the argument, the limit
    and how to raise it."""
    n = positive_int(value, name, minimum=minimum, type_error=type_error)
    assert n is not None
    if n > limit:
        raise LimitError(
            f"{name}={n:,} is above the limit of {limit:,} ({why}); if you really need more, raise "
            f"lime_widget.engine.limits.{limit_name}"
        )
    return n


def check_sigma(value: float, name: str) -> None:
    """Refuse a Gaussian sigma in pixels above :data:`MAX_SIGMA` (a filter of 8 sigma + 1 taps)."""
    if not float(value) <= MAX_SIGMA:  # NaN too; read at each call, so raising the constant takes effect
        raise LimitError(
            f"{name}={value!r} px is above the limit of {MAX_SIGMA:g} px (the blur filter has 8 sigma + 1 taps and "
            f"that many operations per pixel); use a smaller {name}, or raise lime_widget.engine.limits.MAX_SIGMA"
        )


def check_memory(parts: dict[str, int], *, what: str, lower: str) -> None:
    """Refuse a computation whose arrays ``parts`` (description -> bytes) add up to more than the budget.

    what: the settings that give those sizes, with their values (the message's subject); lower: the
    arguments to lower instead.
    """
    total = sum(parts.values())
    budget = memory_budget()
    if total <= budget:
        return
    shown = ", ".join(f"{part} {human_bytes(size)}" for part, size in parts.items() if size)
    source = MEMORY_ENV if os.environ.get(MEMORY_ENV, "").strip() else "half this machine's memory"
    raise LimitError(
        f"{what} would need about {human_bytes(total)} of arrays ({shown}), more than the memory budget of "
        f"{human_bytes(budget)} ({source}); lower {lower}, or raise the budget with the environment variable "
        f"{MEMORY_ENV} (e.g. {MEMORY_ENV}=64G)"
    )


def explanation_parts(
    n: int, k: int, n_classes: int, refits: int, n_explained: int, sampling: str = "lime"
) -> dict[str, int]:
    """The large arrays of one explanation of n samples, K superpixels, C classes, R refits of L classes, in
    bytes. The ``balanced`` design also builds an m x m Hadamard matrix (m the power of two above K; int64, its
    bool form and a permuted copy) and draws whole blocks of 2m rows whatever n is."""
    parts = {
        f"masks {n:,} x {k:,} and their float copies": n * k * BYTES_PER_MASK_CELL,
        f"scores {n:,} x {n_classes:,}": 2 * n * n_classes * 8,  # the batches and their concatenation
        f"refits {refits:,} x {n_explained:,} x {k:,}": refits * n_explained * k * 8,
    }
    if sampling == "balanced":
        m = 2 ** math.ceil(math.log2(k + 1))
        rows = -(-(n + 1) // (2 * m)) * 2 * m  # whole blocks of 2m rows
        parts[f"the balanced design's {m:,} x {m:,} Hadamard matrix and {rows:,} rows"] = 10 * m * m + 2 * rows * k
    return parts
