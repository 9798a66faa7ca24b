"""Is the top k settled? What an explanation's refits say about its top k, in a user's words.

Two superpixels whose weights are practically equal (closer than the tie tolerance, a share of the largest
weight's size) are a tie: no number of samples makes their order matter, so a top k that is decided up to such
ties is *settled*. The test runs on the bootstrap refits of :mod:`lime_widget.core.uncertainty`: in at least
``CONFIDENCE`` of the refits, no superpixel outside the top k beats one inside it by more than the tolerance.
``num_samples="auto"`` stops on it (:mod:`lime_widget.engine._adaptive`), and the summary, the figure, the
widget's panel and the CLI say it ("top 5: 4 settled, the 5th a tie between #23 and #17").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .rankings import top_k, top_k_sets

#: share of refits in which a statement must hold to be reported as settled
CONFIDENCE = 0.9
#: default tie tolerance: weights closer than this share of the largest |weight| are practically equal (chosen on
#: two photos of benchmarks/accuracy.py, chelsea and coffee: auto then needs about 280 passes there; see docs/accuracy.md)
TIE_TOLERANCE = 0.15
#: a superpixel outside the top k that enters it in at least this share of refits is named as a rival
RIVAL_SHARE = 0.1
#: at most this many ids are named in a tie or an open contest
MAX_NAMED = 4


@dataclass(frozen=True)
class TopKStatus:
    """What the refits say about the top k of one class.

    k: the size of the top set; top: its ids, best first (int64 (<= k,)); settled: the members that are in the
    top k in at least ``CONFIDENCE`` of refits; contested: the other members; rivals: superpixels outside the
    top k that enter it in at least ``RIVAL_SHARE`` of refits, best first; tolerance: the tie tolerance in
    weight units (``tie_tolerance`` x the largest |weight|); decided: True when, in at least ``CONFIDENCE`` of
    refits, no outsider beats a member by more than the tolerance (the contest, if any, is a tie); precise: True
    when every weight's 90% interval is narrower than the tolerance. text: the status in words.
    """

    k: int
    top: np.ndarray
    settled: np.ndarray
    contested: np.ndarray
    rivals: np.ndarray
    tolerance: float
    decided: bool
    precise: bool
    text: str


def top_k_status(weights: np.ndarray, draws: np.ndarray, k: int, tie_tolerance: float = TIE_TOLERANCE) -> TopKStatus:
    """The status of the top k (the k largest positive weights, as everywhere in the library).

    weights: float (K,) the fitted weights; draws: float (R, K) bootstrap refits of them; k: 1..K;
    tie_tolerance: >= 0, a share of the largest |weight|.
    """
    w = np.asarray(weights, dtype=np.float64)
    b = np.asarray(draws, dtype=np.float64)
    if b.ndim != 2 or b.shape[1] != w.shape[0]:
        raise ValueError(f"draws must be (R, {w.shape[0]}) refits of the weights; got shape {b.shape}")
    scale = float(np.max(np.abs(w[np.isfinite(w)]), initial=0.0))
    tol = float(tie_tolerance) * scale
    top = top_k(w, k)
    top = top[w[top] > 0]
    member = np.zeros(w.shape[0], dtype=bool)
    member[top] = True
    conf = top_k_sets(b, k).mean(axis=0) if b.shape[0] else member.astype(np.float64)
    settled = top[conf[top] >= CONFIDENCE]
    contested = top[conf[top] < CONFIDENCE]
    outside = np.flatnonzero(~member)
    rivals = outside[conf[outside] >= RIVAL_SHARE]
    rivals = rivals[np.argsort(-w[rivals], kind="stable")]
    if top.size and outside.size and b.shape[0]:
        margin = b[:, top].min(axis=1) - b[:, outside].max(axis=1)
        decided = bool(np.mean(margin >= -tol) >= CONFIDENCE)
    else:
        decided = True
    if b.shape[0] >= 2:
        low, high = np.quantile(b, 0.05, axis=0), np.quantile(b, 0.95, axis=0)
        precise = bool(np.all(high - low <= tol))
    else:
        precise = False
    status = TopKStatus(k, top, settled, contested, rivals, tol, decided, precise, "")
    return TopKStatus(**{**status.__dict__, "text": describe(status)})


def describe(s: TopKStatus) -> str:
    """The status in words, e.g. ``top 5 settled``, ``top 5: 4 settled, the 5th a tie between #23 and #17``,
    ``top 5: 3 settled, the other 2 undecided among #4, #9, #23 and #17 (more samples would decide)``."""
    n = int(s.top.size)
    if n == 0:
        return f"no superpixel has a positive weight: no top {s.k}"
    head = f"top {n}" if n == s.k else f"top {s.k} (only {n} positive)"
    if s.contested.size == 0:
        return f"{head} settled"
    ids = [*s.contested.tolist(), *s.rivals.tolist()]
    names = _ids(ids, others=s.rivals.size == 0)
    open_places = int(s.contested.size)
    which = f"the {_ordinal(n)}" if open_places == 1 and s.settled.size == n - 1 else f"the other {open_places}"
    if s.decided:
        return f"{head}: {s.settled.size} settled, {which} a tie {'between' if len(ids) == 2 else 'among'} {names}"
    among = "between" if len(ids) == 2 else "among"
    return f"{head}: {s.settled.size} settled, {which} undecided {among} {names} (more samples would decide)"


def _ids(ids: list[int], others: bool = False) -> str:
    """``#4, #9 and #23``; ``... and 3 more`` past MAX_NAMED; ``#4 and others`` when the rivals are too many
    to name (none enters the top k often on its own)."""
    named = [f"#{i}" for i in ids[:MAX_NAMED]]
    more = len(ids) - len(named)
    if more > 0:
        return ", ".join(named) + f" and {more} more"
    if others:
        return ", ".join(named) + " and others"
    if len(named) == 1:
        return named[0]
    return ", ".join(named[:-1]) + " and " + named[-1]


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"
