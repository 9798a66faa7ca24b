"""How many CPU threads torch uses in this process: a bounded default, ``LIME_WIDGET_THREADS``, ``set_threads``.

Torch starts with one intra-op thread per physical core. On a classroom hub thirty kernels share one CPU
box, and thirty kernels each running as many threads as the box has cores thrash: every explanation gets
slower than on one thread. So the first :class:`~lime_widget.models.classifiers.TorchClassifier` of a process
applies a bounded default once (:func:`apply_default_threads`):

* ``LIME_WIDGET_THREADS`` (a positive int) if it is set -- what a hub admin puts in the spawner's environment;
* else 1 in a kernel that JupyterHub spawned (``JUPYTERHUB_USER`` or ``JUPYTERHUB_API_TOKEN`` is set): on a
  shared hub there are more kernels than cores, and there two threads per kernel made every explanation
  several times slower than one (docs/classroom.md: 8 kernels on 2 cores, 243 s against 43 s);
* else ``min(4, os.cpu_count())``, and never more than torch already uses.

A count someone chose is never overridden: after :func:`set_threads` nothing is applied, nor when torch's
count is no longer torch's own starting value (the user called ``torch.set_num_threads``), nor when
``OMP_NUM_THREADS`` / ``MKL_NUM_THREADS`` set torch's starting value (unless ``LIME_WIDGET_THREADS`` is set
too: it is the more specific setting). While the library's own default (the last bullet) is in force, the count is also a fair share: before every
forward pass, at most twice a second, it drops to the cores other processes leave free and comes back when
they stop (:mod:`lime_widget.models._cpu_share`; beside a busy process two threads were ten times slower than
one). A chosen count (any of the above) is kept as it is. Another thread count can change a score in about the 7th
digit, so numbers equal bit for bit from run to run need a chosen count (``lw.set_threads(n)``). Only the intra-op count is touched; torch allows the inter-op count
to be set only before any parallel work, so it is left alone.

Imports torch lazily (inside the functions), so importing this module is free; of the library it imports only
the argument check of core.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..core._checks import positive_int
from ._cpu_share import CpuShare

ENV_VAR = "LIME_WIDGET_THREADS"
#: Set in every single-user server JupyterHub spawns: such a kernel shares its box with many others.
HUB_ENV_VARS = ("JUPYTERHUB_USER", "JUPYTERHUB_API_TOKEN")
#: The default is at most this many threads (``min(MAX_DEFAULT_THREADS, os.cpu_count())``).
MAX_DEFAULT_THREADS = 4
_TORCH_ENV_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS")


class _ThreadState:
    """This process's thread bookkeeping.

    A single module-level instance, on purpose: torch's thread count is itself process-global (one intra-op
    pool per process, shared by every model, explorer and thread), so "the default was applied" and "the
    user chose a count" are facts about the process, not about a classifier or a widget.
    """

    def __init__(self) -> None:
        self.applied = False  # apply_default_threads has run (or there is nothing left for it to do)
        self.user_chose = False  # set_threads was called: never apply the default afterwards
        self.torch_start: int | None = None  # torch.get_num_threads() the first time apply ran (diagnostics)
        self.share: CpuShare | None = None  # the fair share, while the library's own default is in force


_state = _ThreadState()


def _env_threads() -> int | None:
    raw = os.environ.get(ENV_VAR)
    if raw is None or not raw.strip():
        return None
    try:
        n = int(raw.strip())
    except ValueError:
        n = 0
    if n < 1:
        raise ValueError(
            f"the environment variable {ENV_VAR} must be a positive int (threads per kernel, e.g. "
            f"{ENV_VAR}=1); got {raw!r}"
        )
    return n


def on_jupyterhub() -> bool:
    """Whether this process runs in a server JupyterHub spawned (one of :data:`HUB_ENV_VARS` is set)."""
    return any(os.environ.get(var, "").strip() for var in HUB_ENV_VARS)


def default_threads() -> int:
    """The library's default thread count: ``LIME_WIDGET_THREADS`` if set, else 1 on JupyterHub, else
    ``min(4, os.cpu_count())``.

    Raises ValueError naming the variable when ``LIME_WIDGET_THREADS`` is set but not a positive int.
    """
    env = _env_threads()
    if env is not None:
        return env
    if on_jupyterhub():
        return 1
    return min(MAX_DEFAULT_THREADS, os.cpu_count() or 1)


def set_threads(n: int | None) -> int:
    """Set the number of CPU threads torch uses in this kernel; returns the count now in force.

    n: a positive int, or None for the library default (:func:`default_threads`). After this call the
    library never changes the count by itself. One thread per kernel is best when many kernels share few
    cores (docs/classroom.md).

    >>> import lime_widget as lw
    >>> lw.set_threads(1)
    1
    """
    import torch

    chosen = positive_int(n, "set_threads(n)", allow_none=True, hint="a thread count; None: the default")
    count = default_threads() if chosen is None else chosen
    _state.user_chose = True
    _state.applied = True
    _state.share = None
    torch.set_num_threads(count)
    return int(torch.get_num_threads())


def _physical_cores() -> int | None:
    """Physical cores from Linux sysfs (what torch counts), or None where that cannot be read."""
    cores = set()
    for topo in Path("/sys/devices/system/cpu").glob("cpu[0-9]*/topology"):
        try:
            cores.add(((topo / "physical_package_id").read_text().strip(), (topo / "core_id").read_text().strip()))
        except OSError:
            return None
    return len(cores) or None


def _torch_start_counts() -> set[int]:
    """The counts torch can start with in this process when nobody called ``torch.set_num_threads``."""
    counts = {c for c in (os.cpu_count(), _physical_cores()) if c}
    for var in _TORCH_ENV_VARS:
        raw = os.environ.get(var, "").strip()
        if raw.isdigit() and int(raw) > 0:
            counts.add(int(raw))
    return counts


def apply_default_threads() -> None:
    """Apply the default thread count once per process, unless someone already chose one (module docstring).

    Called by every ``TorchClassifier``; cheap after the first call.
    """
    if _state.applied:
        return
    import torch

    env = _env_threads()  # validated before anything is marked applied: a bad value raises on every call
    current = int(torch.get_num_threads())
    _state.torch_start = current
    _state.applied = True
    if _state.user_chose or current not in _torch_start_counts():
        return  # lw.set_threads or torch.set_num_threads chose the count: leave it
    fair = False
    if env is not None:
        target = env
    elif any(os.environ.get(var, "").strip() for var in _TORCH_ENV_VARS):
        return  # OMP_NUM_THREADS / MKL_NUM_THREADS set torch's count: an admin's choice
    else:
        target = min(default_threads(), current)
        fair = target > 1  # the library's own choice: it may give cores back while others need them
    if target != current:
        torch.set_num_threads(target)
    if fair:
        _state.share = CpuShare(target)


def share_cpu() -> None:
    """Before a forward pass: fewer threads while other processes keep the cores busy, the default again
    when they stop (:mod:`lime_widget.models._cpu_share`). Does nothing once a count was chosen."""
    share = _state.share
    if share is not None:
        share.tick()
