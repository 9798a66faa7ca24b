"""Class flips: the superpixels whose hiding changes the model's decision.

Hiding the top superpixels of a ranking one by one until the predicted class changes gives the smallest
prefix whose removal flips the decision (:func:`flip_search`); :func:`minimal_flip` starts there and searches
for a smaller set (a counterfactual, as in SEDC). Masked images are composed exactly as during sampling and
scored with :meth:`Explanation.rescore_many`, in batches.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from ..core._checks import positive_int
from ..core.rankings import ranking
from ..engine.explanation import Explanation
from ..models.classifiers import class_id
from .curves import check_ranking, label_id

FLIP_CHUNK = 200


@dataclass(frozen=True)
class FlipResult:
    """The smallest prefix of a ranking whose hiding changes the model's top class.

    k: how many superpixels had to be hidden (None if hiding the whole ranking never changes the class);
    hidden: int64 (k,) their ids (empty when k is None); original_class / original_class_name: the class
    watched (by default the model's top class on the original image); new_class / new_class_name /
    new_score: the top class and its score once the first k are hidden (None when k is None);
    original_score: the watched class's score at that point; label_scores: float64 (m+1,) the watched class's
    score after hiding 0, 1, ..., m superpixels, for every prefix evaluated (up to the flip).
    """

    k: int | None
    hidden: np.ndarray
    original_class: int
    original_class_name: str
    new_class: int | None
    new_class_name: str | None
    new_score: float | None
    original_score: float | None
    label_scores: np.ndarray


def flip_search(
    explanation: Explanation,
    ranking: Any,
    label: int | str | None = None,
    *,
    batch_size: int | None = None,
    chunk: int = FLIP_CHUNK,
) -> FlipResult:
    """Smallest k such that hiding the first k superpixels of ``ranking`` changes the model's top class.

    explanation: with a model attached. ranking: int (m,) superpixel ids, best first (all K or a prefix).
    label: the class watched (default: the model's top class on the original image); the search stops at
    the first prefix whose argmax class is not ``label``. Prefixes are scored ``chunk`` at a time (200),
    stopping at the first chunk that contains a flip. Returns a :class:`FlipResult`.
    """
    k_all = explanation.n_segments
    order = check_ranking(ranking, k_all, full=False)
    cls = int(explanation.top_label) if label is None else label_id(explanation, label)
    names = explanation.class_names
    scores_seen: list[float] = [float(explanation.probabilities[cls])]
    m = order.size
    chunk = max(1, int(chunk))
    for start in range(1, m + 1, chunk):
        lengths = np.arange(start, min(m, start + chunk - 1) + 1)
        masks = np.ones((lengths.size, k_all), dtype=bool)
        for i, length in enumerate(lengths):
            masks[i, order[:length]] = False
        probs = explanation.rescore_many(masks, batch_size=batch_size)
        top = np.argmax(probs, axis=1)
        flipped = np.flatnonzero(top != cls)
        if flipped.size:
            row = int(flipped[0])
            scores_seen.extend(probs[: row + 1, cls].tolist())
            n = int(lengths[row])
            new = int(top[row])
            return FlipResult(
                k=n,
                hidden=order[:n].copy(),
                original_class=cls,
                original_class_name=names[cls],
                new_class=new,
                new_class_name=names[new],
                new_score=float(probs[row, new]),
                original_score=float(probs[row, cls]),
                label_scores=np.asarray(scores_seen),
            )
        scores_seen.extend(probs[:, cls].tolist())
    return FlipResult(
        k=None,
        hidden=np.zeros(0, dtype=np.int64),
        original_class=cls,
        original_class_name=names[cls],
        new_class=None,
        new_class_name=None,
        new_score=None,
        original_score=None,
        label_scores=np.asarray(scores_seen),
    )


SEARCH_CHUNK = 200  # candidate sets scored per round of the local search
GREEDY_FIRST_CHUNK = 8  # the greedy prefix scan scores 8, 16, 32, ... prefixes at a time (at most SEARCH_CHUNK)
_EPS = 1e-9  # a same-size swap must lower the margin by more than this (no cycling on float noise)
StopReason = Literal["optimal", "local_optimum", "budget", "no_flip"]


@dataclass(frozen=True)
class MinimalFlip:
    """A small set of superpixels whose hiding flips the model's decision, from :func:`minimal_flip`.

    flipped: whether a flipping set was found. hidden: int64 (size,) the superpixel ids, sorted (empty when
    not flipped); size: their number (None when not flipped). label / label_name: the class watched;
    threshold: None (flip = the top class is no longer ``label``) or the probability under which ``label``
    counts as flipped. label_score_before: the watched class's score on the original image;
    label_score_after: its score with ``hidden`` hidden (None when not flipped). new_class / new_class_name /
    new_score: the top class and its score with ``hidden`` hidden (in threshold mode it may still be
    ``label``; None when not flipped). greedy_size: the length of the shortest flipping prefix of the LIME
    ranking (``ranking_from_weights(exp.weights(label))``) the search started from, i.e. ``flip_search``'s
    k in argmax mode (None when no prefix of at most ``max_size`` flips within the budget); ``size`` is never
    larger. greedy_passes: masked images scored by that prefix scan; forward_passes: masked images scored in
    all (greedy + local search, at most ``budget``). stop_reason: ``optimal`` (one superpixel: nothing
    smaller can flip), ``local_optimum`` (no tried neighbour is better), ``budget`` (the budget ran out
    first) or ``no_flip`` (hiding the whole ranking, up to ``max_size``, never flips).
    """

    flipped: bool
    hidden: np.ndarray
    size: int | None
    label: int
    label_name: str
    threshold: float | None
    label_score_before: float
    label_score_after: float | None
    new_class: int | None
    new_class_name: str | None
    new_score: float | None
    greedy_size: int | None
    greedy_passes: int
    forward_passes: int
    budget: int
    stop_reason: StopReason


class _FlipScorer:
    """Scores candidate hidden sets against the budget and says which flip, with a margin (< 0: flipped)."""

    def __init__(
        self, explanation: Explanation, cls: int, threshold: float | None, budget: int, batch_size: int | None
    ) -> None:
        self.explanation = explanation
        self.cls = cls
        self.threshold = threshold
        self.budget = budget
        self.batch_size = batch_size
        self.used = 0
        self.cut = False  # a neighbourhood was cut short by the budget since the last reset

    @property
    def left(self) -> int:
        return self.budget - self.used

    def judge(self, probs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """probs (n, C) -> flips bool (n,), margins float64 (n,) (how far from flipping; negative = flipped)."""
        p = probs[:, self.cls]
        if self.threshold is not None:
            return p < self.threshold, p - self.threshold
        rival = np.delete(probs, self.cls, axis=1).max(axis=1)
        return np.argmax(probs, axis=1) != self.cls, p - rival

    def score(self, hidden: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """hidden bool (n, K) with n <= left -> flips (n,), margins (n,), probs (n, C)."""
        assert 0 < hidden.shape[0] <= self.left
        probs = self.explanation.rescore_many(~hidden, batch_size=self.batch_size)
        self.used += hidden.shape[0]
        flips, margins = self.judge(probs)
        return flips, margins, probs


@dataclass
class _State:
    hidden: np.ndarray  # bool (K,)
    flipped: bool
    margin: float
    probs: np.ndarray  # (C,)


def _neighbours(
    state: _State, back: np.ndarray, push: np.ndarray, n_remove: int, n_add: int, limit: int
) -> tuple[np.ndarray, np.ndarray, int]:
    """The first ``limit`` sets made from ``state.hidden`` by removing n_remove members and adding n_add (0/1)
    non-members, most promising first: lowest estimated margin ``sum(back[removed]) - push[added]`` (ties in
    id order). back (K,): how much un-hiding a member is expected to raise the margin; push (K,): how much
    hiding a non-member is expected to lower it.

    Returns remove int64 (n, n_remove) and add int64 (n, n_add) superpixel ids, and how many neighbours
    there are in all (before the limit).
    """
    members = np.flatnonzero(state.hidden)
    members = members[np.argsort(back[members], kind="stable")]  # the least needed first
    outs = np.flatnonzero(~state.hidden)
    outs = outs[np.argsort(-push[outs], kind="stable")]  # the most promising first
    if n_remove == 1:
        rem = members[:, None]
    else:
        a, b = np.triu_indices(members.size, k=1)
        rem = np.stack([members[a], members[b]], axis=1)
    cost = back[rem].sum(axis=1)  # (P,)
    if n_add:
        est = cost[:, None] - push[outs][None, :]  # (P, N)
        flat = np.argsort(est, axis=None, kind="stable")[:limit]
        pi, oi = np.unravel_index(flat, est.shape)
        return rem[pi], outs[oi][:, None], int(est.size)
    flat = np.argsort(cost, kind="stable")[:limit]
    return rem[flat], np.zeros((flat.size, 0), dtype=np.int64), int(cost.size)


def _move(
    scorer: _FlipScorer,
    state: _State,
    back: np.ndarray,
    push: np.ndarray,
    n_remove: int,
    n_add: int,
    *,
    same_size: bool,
) -> tuple[_State | None, np.ndarray, np.ndarray]:
    """Try the neighbours of ``state`` in order, SEARCH_CHUNK per round (the removal pass in one round), and
    return the best acceptable one of the first round that has one (None if none, or the budget is spent),
    with the removed ids (n, n_remove) and margins (n,) of every neighbour scored.

    Acceptable: a smaller set that still flips; for a same-size swap, a set with a margin lower by more than
    _EPS that flips (or any such set while the current one does not flip yet). Best: flipping first, then the
    lowest margin, then the most promising.
    """
    none = (None, np.zeros((0, n_remove), dtype=np.int64), np.zeros(0))
    if scorer.left <= 0:
        scorer.cut = True
        return none
    remove, add, total = _neighbours(state, back, push, n_remove, n_add, scorer.left)
    scorer.cut |= total > remove.shape[0]
    chunk = remove.shape[0] if (n_add == 0 and n_remove == 1) else SEARCH_CHUNK
    seen: list[np.ndarray] = []
    for start in range(0, remove.shape[0], chunk):
        rem, plus = remove[start : start + chunk], add[start : start + chunk]
        n = rem.shape[0]
        hidden = np.repeat(state.hidden[None, :], n, axis=0)
        rows = np.arange(n)[:, None]
        hidden[rows, rem] = False
        hidden[rows, plus] = True
        flips, margins, probs = scorer.score(hidden)
        seen.append(margins)
        if same_size:
            ok = (margins < state.margin - _EPS) & (flips | (not state.flipped))
        else:
            ok = flips
        if ok.any():
            idx = np.flatnonzero(ok)
            best = idx[np.lexsort((margins[idx], ~flips[idx]))[0]]
            moved = _State(hidden[best].copy(), bool(flips[best]), float(margins[best]), probs[best])
            return moved, remove[: start + n], np.concatenate(seen)
    return None, remove, np.concatenate(seen) if seen else np.zeros(0)


def minimal_flip(
    explanation: Explanation,
    label: int | str | None = None,
    *,
    threshold: float | None = None,
    max_size: int | None = None,
    budget: int = 2000,
    batch_size: int | None = None,
) -> MinimalFlip:
    """A small set of superpixels whose hiding flips the model's decision: greedy by LIME weight, then local search.

    explanation: with a model attached (``exp.with_model(model)`` after ``from_json``). label: the class watched
    (id or name; default the model's top class on the original image); it must be an explained class, whose
    LIME weights order the search. Flip: the top class is no longer ``label`` (then ``label`` must be the top
    class), or, with ``threshold`` in (0, 1], the probability of ``label`` falls below it.

    1. Greedy: hide the LIME ranking's prefixes 1, 2, ... (as :func:`flip_search`) until one flips; its
       length is ``greedy_size``. No flip: the result is not flipped (``no_flip``).
    2. Local search from that set, each round scored in batches with :meth:`Explanation.rescore_many`:
       (a) drop one member (all drops in one batch; keep the flipping drop with the strongest flip, i.e. the
       lowest margin), repeated; else (b) a swap of one member for one non-member that flips more strongly,
       back to (a); else (c) sets one smaller made by dropping two members and adding one non-member, tried
       in order of their estimated margin (from what each drop did), SEARCH_CHUNK (200) per round; the best
       flipping one of the first round that has one is kept, back to (a). It stops at one superpixel (``optimal``), when no
       neighbour tried is better (``local_optimum``) or when the budget runs out (``budget``).
    Margin: the watched class's probability minus the best other class's (minus ``threshold`` in threshold
    mode); negative means flipped.

    max_size: the result never has more superpixels. When no prefix of at most ``max_size`` flips, the
    search starts from the ``max_size``-prefix and swaps members for non-members (b) while that brings the
    watched class closer to flipping, then minimises as above if it flips; otherwise not flipped.
    budget: the most masked images scored in all (each is one forward pass; the greedy scan counts).
    batch_size: images per forward pass (None: the model's automatic size). Deterministic: no randomness.
    Returns a :class:`MinimalFlip`.
    """
    if not isinstance(explanation, Explanation):
        raise TypeError(f"explanation must be a lime_widget Explanation; got {type(explanation).__name__}")
    if explanation.model is None:
        raise RuntimeError(
            "this explanation has no model attached (it was loaded from JSON); use exp = exp.with_model(model)"
        )
    budget_n = positive_int(budget, "budget", hint="masked images scored in all")
    assert budget_n is not None
    max_n = positive_int(max_size, "max_size", allow_none=True, hint="None: no limit")
    batch_n = positive_int(batch_size, "batch_size", allow_none=True, hint="None: automatic")
    if threshold is not None:
        if isinstance(threshold, bool) or not isinstance(threshold, (int, float, np.floating, np.integer)):
            raise ValueError(f"threshold must be a probability in (0, 1] or None; got {threshold!r}")
        threshold = float(threshold)
        if not 0.0 < threshold <= 1.0:
            raise ValueError(f"threshold must be a probability in (0, 1] or None; got {threshold!r}")
    cls = int(explanation.top_label) if label is None else class_id(label, explanation.class_names)
    names = explanation.class_names
    before = float(explanation.probabilities[cls])
    if threshold is None and cls != explanation.top_label:
        top = explanation.top_label
        raise ValueError(
            f"class {cls} ({names[cls]}) is not the model's top class (that is {top}, {names[top]}), so the "
            "decision is already 'flipped'; watch the top class, or give a threshold"
        )
    if threshold is not None and before < threshold:
        raise ValueError(
            f"the score of {names[cls]} is already {before:.4g} < threshold {threshold:g} on the original image"
        )
    weights = np.asarray(explanation.weights(cls), dtype=np.float64)  # ClassLookupError if not explained
    finite = weights[np.isfinite(weights)]
    priority = np.where(np.isfinite(weights), weights, (finite.min() - 1.0) if finite.size else 0.0)
    order = ranking(weights)
    k_all = order.size
    limit = k_all if max_n is None else min(k_all, max_n)
    scorer = _FlipScorer(explanation, cls, threshold, budget_n, batch_n)

    # 1. greedy: the shortest flipping prefix of the ranking, scanned in growing chunks
    rank = np.empty(k_all, dtype=np.int64)
    rank[order] = np.arange(k_all)
    state: _State | None = None
    last: _State | None = None
    scanned, chunk = 0, GREEDY_FIRST_CHUNK
    while scanned < limit and scorer.left > 0:
        lengths = np.arange(scanned + 1, scanned + min(chunk, limit - scanned, scorer.left) + 1)
        hidden = rank[None, :] < lengths[:, None]
        flips, margins, probs = scorer.score(hidden)
        scanned = int(lengths[-1])
        hit = np.flatnonzero(flips)
        if hit.size:
            row = int(hit[0])
            state = _State(hidden[row].copy(), True, float(margins[row]), probs[row])
            break
        last = _State(hidden[-1].copy(), False, float(margins[-1]), probs[-1])
        chunk = min(2 * chunk, SEARCH_CHUNK)
    greedy_size = None if state is None else int(state.hidden.sum())
    greedy_passes = scorer.used

    def result(found: _State | None, reason: StopReason) -> MinimalFlip:
        known: dict[str, Any] = {
            "label": cls,
            "label_name": names[cls],
            "threshold": threshold,
            "label_score_before": before,
            "greedy_size": greedy_size,
            "greedy_passes": greedy_passes,
            "forward_passes": scorer.used,
            "budget": budget_n,
            "stop_reason": reason,
        }
        if found is None or not found.flipped:
            return MinimalFlip(
                flipped=False,
                hidden=np.zeros(0, dtype=np.int64),
                size=None,
                label_score_after=None,
                new_class=None,
                new_class_name=None,
                new_score=None,
                **known,
            )
        new = int(np.argmax(found.probs))
        ids = np.flatnonzero(found.hidden).astype(np.int64)
        return MinimalFlip(
            flipped=True,
            hidden=ids,
            size=int(ids.size),
            label_score_after=float(found.probs[cls]),
            new_class=new,
            new_class_name=names[new],
            new_score=float(found.probs[new]),
            **known,
        )

    if state is None:
        if scanned < limit:
            return result(None, "budget")
        if limit == k_all or last is None:
            return result(None, "no_flip")
        # max_size cut the scan short: swap members of the max_size-prefix for non-members towards a flip
        state = last
        while not state.flipped:
            scorer.cut = False
            moved, _, _ = _move(scorer, state, priority, priority, 1, 1, same_size=True)
            if moved is None:
                return result(None, "budget" if scorer.cut else "local_optimum")
            state = moved

    # 2. local search: (a) drop one; else (b) swap one for one, flipping more strongly; else (c) drop two, add one
    while True:
        if int(state.hidden.sum()) == 1:
            return result(state, "optimal")
        scorer.cut = False
        moved, dropped, margins = _move(scorer, state, priority, priority, 1, 0, same_size=False)
        if moved is None and scorer.left > 0:
            # what each drop did to the margin, measured: a better guide than the weights for (b) and (c)
            back = priority.copy()
            back[dropped[:, 0]] = margins - state.margin
            if not state.hidden.all():
                moved, _, _ = _move(scorer, state, back, priority, 1, 1, same_size=True)
            if moved is None:
                moved, _, _ = _move(scorer, state, back, priority, 2, 1, same_size=False)
        if moved is None:
            return result(state, "budget" if scorer.cut else "local_optimum")
        state = moved
