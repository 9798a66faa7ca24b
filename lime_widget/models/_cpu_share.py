"""A fair share of the CPU: fewer torch threads while other processes keep the cores busy.

Torch's intra-op threads synchronise at the end of every parallel region, so a region lasts as long as its
slowest thread. When another process keeps a core busy, the thread on that core runs a fraction of the
time and every region waits for it: two threads beside a busy process made an explanation 10x slower than
one thread (docs/contention.md), and the other process slowed down as much. One thread per free core is
both faster and fair.

So, while the library's own default is in force (never after ``lw.set_threads``, ``LIME_WIDGET_THREADS``,
``OMP_NUM_THREADS`` or a user's ``torch.set_num_threads``), every forward pass on the CPU calls
:meth:`CpuShare.tick`. At most every ``interval_s`` it reads how many cores other processes kept busy since
the last look (Linux ``/proc/stat`` for the CPUs this process may run on, minus this process's own CPU time)
and sets torch's thread count to the free cores, between 1 and the default. Alone, the check costs a file
read twice a second and the count stays at the default. Where ``/proc/stat`` cannot be read (macOS,
Windows), nothing changes. A CPU quota of a container (cgroup ``cpu.max``) is not seen.
"""

from __future__ import annotations

import math
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

#: How often (seconds) the thread count is reconsidered during scoring.
INTERVAL_S = 0.5
#: Other processes may use this much of a core and still leave it free for a thread (see fair_count).
SLACK = 0.3

_STAT = "/proc/stat"
# /proc/stat columns after the cpu name: user nice system idle iowait irq softirq steal ...
_IDLE_COLUMNS = (3, 4)


@dataclass(frozen=True)
class CpuSample:
    """Cumulative CPU time at one moment: busy seconds summed over the watched CPUs (every process),
    this process's own CPU seconds (all its threads), and the monotonic clock."""

    busy_s: float
    own_s: float
    wall_s: float


def watched_cpus() -> frozenset[int]:
    """The CPU ids this process may run on (its affinity mask), or every CPU where that is unknown."""
    try:
        return frozenset(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        return frozenset(range(os.cpu_count() or 1))


def parse_proc_stat(text: str, cpus: frozenset[int]) -> float | None:
    """Busy jiffies summed over the ``cpuN`` lines of ``/proc/stat`` text whose N is in ``cpus``; None when
    none of them is there."""
    total = 0
    found = False
    for line in text.splitlines():
        name, _, rest = line.partition(" ")
        if not name.startswith("cpu") or name == "cpu":
            continue
        try:
            cpu = int(name[3:])
        except ValueError:
            continue
        if cpu not in cpus:
            continue
        fields = [int(x) for x in rest.split()[:8]]
        total += sum(v for i, v in enumerate(fields) if i not in _IDLE_COLUMNS)
        found = True
    return float(total) if found else None


def read_sample(cpus: frozenset[int]) -> CpuSample | None:
    """The current :class:`CpuSample`, or None where ``/proc/stat`` cannot be read."""
    try:
        with open(_STAT, encoding="ascii") as f:
            text = f.read()
        hz = os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, AttributeError):
        return None
    busy = parse_proc_stat(text, cpus)
    if busy is None or hz <= 0:
        return None
    t = os.times()
    return CpuSample(busy_s=busy / hz, own_s=t.user + t.system, wall_s=time.monotonic())


def others_busy(before: CpuSample, after: CpuSample) -> float:
    """Cores other processes kept busy on average between two samples (>= 0)."""
    wall = after.wall_s - before.wall_s
    if wall <= 0:
        return 0.0
    other = (after.busy_s - before.busy_s) - (after.own_s - before.own_s)
    return max(0.0, other / wall)


def fair_count(cores: int, others: float, ceiling: int) -> int:
    """Threads to use: the cores other processes leave free, ``floor(cores - others + SLACK)`` (others using
    up to SLACK of a core leave it free), between 1 and ``ceiling``."""
    free = cores - others
    return max(1, min(ceiling, math.floor(free + SLACK)))


class CpuShare:
    """Keeps torch's thread count at the cores other processes leave free (module docstring).

    ceiling: the most threads (the library's default count). Thread-safe: the explorer's threads and the
    caller's may score at the same time. ``sample``/``get_threads``/``set_threads`` are injectable for tests.
    """

    def __init__(
        self,
        ceiling: int,
        *,
        interval_s: float = INTERVAL_S,
        cpus: frozenset[int] | None = None,
        sample: Callable[[frozenset[int]], CpuSample | None] = read_sample,
        get_threads: Callable[[], int] | None = None,
        set_threads: Callable[[int], None] | None = None,
    ) -> None:
        if get_threads is None or set_threads is None:
            import torch

            get_threads = get_threads or torch.get_num_threads
            set_threads = set_threads or torch.set_num_threads
        self.ceiling = int(ceiling)
        self.interval_s = float(interval_s)
        self.cpus = watched_cpus() if cpus is None else cpus
        self._sample = sample
        self._get = get_threads
        self._set = set_threads
        self._lock = threading.Lock()
        self._last: CpuSample | None = None
        self._next_look = 0.0  # monotonic time of the next look
        self._count = int(get_threads())  # the count this object last saw or set
        self.active = True
        self.changes = 0  # how many times the count was changed (diagnostics, tests)

    def tick(self) -> int | None:
        """Reconsider the thread count if ``interval_s`` has passed since the last look; returns the count set
        by this call, or None when nothing was decided. Deactivates itself for good when someone else changed
        torch's count (a user's choice is never overridden) or when no sample can be read."""
        if not self.active:
            return None
        with self._lock:
            if not self.active:
                return None
            if int(self._get()) != self._count:
                self.active = False  # torch.set_num_threads by someone else: theirs from now on
                return None
            now = time.monotonic()
            if now < self._next_look:
                return None
            self._next_look = now + self.interval_s
            sample = self._sample(self.cpus)
            if sample is None:
                self.active = False
                return None
            before, self._last = self._last, sample
            if before is None:
                return None  # the first look only starts the window
            target = fair_count(len(self.cpus), others_busy(before, sample), self.ceiling)
            if target != self._count:
                self._set(target)
                self._count = int(self._get())
                self.changes += 1
                return self._count
            return None
