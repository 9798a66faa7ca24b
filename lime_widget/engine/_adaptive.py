"""Drawing and scoring the samples of an explanation: a fixed number, or rounds until the answer is stable.

``num_samples="auto"`` draws the design's stream in rounds (each about 25% larger than the last), refits
the surrogate after each round with bootstrap refits (:mod:`lime_widget.core.uncertainty`), and stops as soon as,
for the first explained class (the idea of S-LIME and BayesLIME: sample until the selection is statistically
stable, here with an indifference zone):

- ``settled``: its top k is decided up to ties: in 90% of refits no superpixel outside the top k beats one
  inside by more than ``tie_tolerance`` times the largest weight (:mod:`lime_widget.core.settled`). Without the
  tolerance, two practically equal weights around the k-th place (or the zero weights around a single planted
  cue) would keep an auto run going to ``max_samples``;
- ``precise``: every weight's 90% interval is narrower than that tolerance;
- ``stable``: the estimated top-k stability reaches ``target_stability``;
- or at ``max_samples``.

No round stops before the samples outnumber the superpixels by ``MIN_SPARE_UNITS`` resampling units (with
fewer, the refits cannot see the fit's noise). The design is a stream, so the samples of an auto run are a
prefix of the fixed-size run with the same seed.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..core.kernels import count_kernel, sample_weights
from ..core.rankings import top_k_sets
from ..core.sampling import PAIRED_SCHEMES, design_weights, sample_masks
from ..core.settled import top_k_status
from ..core.uncertainty import bootstrap_coefs, expected_jaccard, weighted_ridge
from .compose import Composer
from .config import ExplainConfig

#: first round of an auto run, growth per round, and the refits used for the stopping rule
FIRST_ROUND = 100
GROWTH = 1.25
STOP_REFITS = 100
STABILITY_K = 5
#: resampling units (rows, or pairs for the paired designs) beyond the superpixel count before a round may stop
MIN_SPARE_UNITS = 10


@dataclass(frozen=True)
class SampleRun:
    """The samples of one explanation: masks bool (n, K), scores float64 (n, C), distances and kernel weights
    (n,) (design weights included); stop_reason ``fixed``, ``settled``, ``precise``, ``stable`` or
    ``max_samples`` (see the module docstring); trace: (samples, estimated stability) after each round of an
    auto run."""

    masks: np.ndarray
    scores: np.ndarray
    distances: np.ndarray
    kernel_weights: np.ndarray
    stop_reason: str
    trace: list[tuple[int, float]] = field(default_factory=list)
    #: the random state the last round's refits started from: the explanation's own refits start from it too, so
    #: the first class's refits (and so its top-k status) are the ones the stopping rule saw
    refit_state: dict[str, Any] | None = None


def weigh(masks: np.ndarray, cfg: ExplainConfig, per_count: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """Distances and sample weights (kernel x design adjustment) of masks bool (n, K)."""
    distances, kweights = sample_weights(masks, cfg.kernel, cfg.kernel_width)
    return distances, kweights * design_weights(masks, cfg.sampling, per_count)


def draw_samples(
    composer: Composer,
    cfg: ExplainConfig,
    rng: np.random.Generator,
    stability_class: Callable[[np.ndarray], int],
    *,
    batch_size: int | None = None,
    progress: bool = False,
) -> SampleRun:
    """Draw masks of ``cfg.sampling`` and score them with the composer.

    stability_class: the class whose stability decides when an auto run stops, from the original's
    probabilities (C,). Returns a :class:`SampleRun`.
    """
    k = composer.n_segments
    per_count = count_kernel(cfg.kernel, cfg.kernel_width, k) if cfg.sampling == "stratified" else None
    if cfg.num_samples != "auto":
        masks = sample_masks(int(cfg.num_samples), k, rng, cfg.sampling, count_weights=per_count)
        scores = composer.score(masks, batch_size=batch_size, progress=progress)
        return SampleRun(masks, scores, *weigh(masks, cfg, per_count), stop_reason="fixed")

    n_max = int(cfg.max_samples)
    masks = sample_masks(n_max, k, rng, cfg.sampling, count_weights=per_count)
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=n_max, desc="LIME samples (auto)", unit="img", leave=False)
    chunks: list[np.ndarray] = []
    trace: list[tuple[int, float]] = []
    done, reason, label = 0, "max_samples", -1
    refit_state: dict[str, Any] | None = None
    try:
        for n in _rounds(n_max):
            chunks.append(composer.score(masks[done:n], batch_size=batch_size, total_rows=n_max))
            if bar is not None:
                bar.update(n - done)
            done = n
            scores = np.concatenate(chunks, axis=0)
            if label < 0:
                label = int(stability_class(scores[0]))
            _, w = weigh(masks[:n], cfg, per_count)
            refit_state = dict(copy.deepcopy(rng.bit_generator.state))
            stability, why = judge_round(masks[:n], scores[:, label], w, cfg, rng)
            trace.append((n, stability))
            if bar is not None:
                bar.set_postfix(stability=f"{stability:.2f}")
            if why:
                reason = why
                break
    finally:
        if bar is not None:
            bar.close()
    masks = masks[:done]
    return SampleRun(
        masks, np.concatenate(chunks, axis=0), *weigh(masks, cfg, per_count), reason, trace, refit_state=refit_state
    )


def _rounds(n_max: int) -> list[int]:
    """Sample counts after each round: FIRST_ROUND, then about 25% more each time (even, for pairs)."""
    out = [min(n_max, FIRST_ROUND)]
    while out[-1] < n_max:
        nxt = 2 * math.ceil(out[-1] * GROWTH / 2)
        out.append(min(n_max, max(nxt, out[-1] + 2)))
    return out


def enough_samples(k: int, sampling: str) -> int:
    """The fewest samples over k superpixels that leave ``MIN_SPARE_UNITS`` resampling units beyond the k + 1
    parameters (row 0 alone, then rows, or (mask, complement) pairs for the paired designs)."""
    return 2 * (k + MIN_SPARE_UNITS) if sampling in PAIRED_SCHEMES else k + 1 + MIN_SPARE_UNITS


def judge_round(
    masks: np.ndarray, target: np.ndarray, weights: np.ndarray, cfg: ExplainConfig, rng: np.random.Generator
) -> tuple[float, str]:
    """After a round: the estimated top-k stability of one class, and the reason to stop (``precise``,
    ``settled``, ``stable``) or "" to go on. masks bool (n, K); target float (n,) the class's scores; weights (n,)."""
    n, k = masks.shape
    paired = cfg.sampling in PAIRED_SCHEMES
    draws = cfg.refits if cfg.refits >= 2 else STOP_REFITS  # the explanation's own refits, when it has them
    coefs = bootstrap_coefs(masks, target[:, None], weights, float(cfg.ridge_alpha), rng, draws=draws, paired=paired)[
        :, 0
    ]
    top = min(STABILITY_K, k)
    stability = expected_jaccard(top_k_sets(coefs, top))
    if n < enough_samples(k, cfg.sampling):
        return stability, ""
    fit = weighted_ridge(masks.astype(np.float64), target[:, None], weights, float(cfg.ridge_alpha))[0]
    status = top_k_status(fit, coefs, top, cfg.tie_tolerance)
    if status.precise:
        return stability, "precise"
    if status.decided or status.contested.size == 0:
        return stability, "settled"
    if stability >= cfg.target_stability:
        return stability, "stable"
    return stability, ""
