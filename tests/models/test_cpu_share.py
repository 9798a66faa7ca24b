"""The fair CPU share: fewer torch threads while other processes keep the cores busy (models/_cpu_share.py)."""

from __future__ import annotations

import pytest

from lime_widget.models._cpu_share import (
    CpuSample,
    CpuShare,
    fair_count,
    others_busy,
    parse_proc_stat,
    read_sample,
    watched_cpus,
)

STAT = """cpu  300 0 100 900 50 0 0 0 0 0
cpu0 100 0 50 400 25 0 0 0 0 0
cpu1 200 0 50 500 25 0 0 0 0 0
cpu2 7000 0 0 0 0 0 0 0 0 0
intr 12345
ctxt 999
"""


def test_parse_proc_stat_sums_busy_columns_of_the_watched_cpus_only():
    # user + nice + system (+ irq, softirq, steal); idle and iowait are not busy; cpu2 is not watched
    assert parse_proc_stat(STAT, frozenset({0, 1})) == 100 + 50 + 200 + 50
    assert parse_proc_stat(STAT, frozenset({2})) == 7000
    assert parse_proc_stat(STAT, frozenset({5})) is None
    assert parse_proc_stat("garbage\n", frozenset({0})) is None


def test_others_busy_subtracts_this_process():
    a = CpuSample(busy_s=10.0, own_s=1.0, wall_s=100.0)
    b = CpuSample(busy_s=13.0, own_s=2.0, wall_s=101.0)
    assert others_busy(a, b) == pytest.approx(2.0)  # 3 busy core-seconds in 1 s, 1 of them ours
    assert others_busy(b, b) == 0.0
    assert others_busy(a, CpuSample(busy_s=10.5, own_s=1.9, wall_s=101.0)) == 0.0  # never negative


@pytest.mark.parametrize(
    ("cores", "others", "ceiling", "expected"),
    [
        (2, 0.0, 2, 2),  # alone: the default
        (2, 0.25, 2, 2),  # a light background load leaves the core free
        (2, 0.5, 2, 1),  # half a core taken: a second thread would wait for it
        (2, 1.0, 2, 1),
        (2, 2.0, 2, 1),  # never below one
        (8, 0.0, 4, 4),  # never above the default
        (8, 5.0, 4, 3),
    ],
)
def test_fair_count(cores, others, ceiling, expected):
    assert fair_count(cores, others, ceiling) == expected


class FakeTorch:
    def __init__(self, n: int) -> None:
        self.n = n
        self.calls: list[int] = []

    def get(self) -> int:
        return self.n

    def set(self, n: int) -> None:
        self.calls.append(n)
        self.n = n


def share_with(samples: list[CpuSample | None], torch_: FakeTorch, ceiling: int = 2) -> CpuShare:
    feed = iter(samples)
    return CpuShare(
        ceiling,
        interval_s=0.0,
        cpus=frozenset({0, 1}),
        sample=lambda _cpus: next(feed),
        get_threads=torch_.get,
        set_threads=torch_.set,
    )


def s(busy: float, own: float, wall: float) -> CpuSample:
    return CpuSample(busy_s=busy, own_s=own, wall_s=wall)


def test_busy_neighbour_drops_to_one_thread_and_back_when_it_stops():
    t = FakeTorch(2)
    share = share_with(
        [
            s(0, 0, 0),  # the first look starts the window
            s(3.5, 2.0, 1),  # 1.5 cores of others while we ran: one thread
            s(5.5, 3.0, 2),  # still busy (1.0): stays at one, no call
            s(7.5, 5.0, 3),  # the other process stopped: back to two
        ],
        t,
    )
    assert share.tick() is None
    assert share.tick() == 1
    assert share.tick() is None
    assert share.tick() == 2
    assert t.calls == [1, 2]
    assert share.changes == 2


def test_alone_nothing_changes():
    t = FakeTorch(2)
    share = share_with([s(0, 0, 0), s(2.0, 1.9, 1), s(4.0, 3.9, 2)], t)
    assert [share.tick() for _ in range(3)] == [None, None, None]
    assert t.calls == []


def test_a_count_someone_else_set_is_never_overridden():
    t = FakeTorch(2)
    share = share_with([s(0, 0, 0), s(3.5, 2.0, 1), s(9, 3, 2)], t)
    share.tick()
    t.n = 3  # the user called torch.set_num_threads(3)
    assert share.tick() is None
    assert not share.active
    assert share.tick() is None
    assert t.calls == []


def test_without_proc_stat_the_share_switches_itself_off():
    t = FakeTorch(2)
    share = share_with([None], t)
    assert share.tick() is None
    assert not share.active


def test_the_interval_limits_how_often_it_looks():
    t = FakeTorch(2)
    looks: list[int] = []

    def sample(_cpus: frozenset[int]) -> CpuSample:
        looks.append(1)
        return s(0, 0, 0)

    share = CpuShare(2, interval_s=3600.0, cpus=frozenset({0}), sample=sample, get_threads=t.get, set_threads=t.set)
    for _ in range(50):
        share.tick()
    assert len(looks) == 1


def test_read_sample_on_this_machine():
    sample = read_sample(watched_cpus())
    if sample is None:
        pytest.skip("no /proc/stat here")
    assert sample.busy_s > 0 and sample.own_s > 0
