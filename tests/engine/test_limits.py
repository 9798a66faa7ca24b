"""Limits on the arguments that size arrays (lime_widget.engine.limits): sizes in text, the memory budget,
the caps on single arguments and the memory check, each refusal with a message that says what to change."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lime_widget.engine import limits
from lime_widget.engine.limits import (
    BYTES_PER_MASK_CELL,
    FALLBACK_BUDGET,
    MEMORY_ENV,
    LimitError,
    check_count,
    check_memory,
    check_sigma,
    explanation_parts,
    human_bytes,
    memory_budget,
    parse_bytes,
)

# --- parse_bytes ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1", 1),
        ("4096", 4096),
        ("  4096 ", 4096),
        ("1K", 2**10),
        ("1k", 2**10),
        ("2M", 2 * 2**20),
        ("64G", 64 * 2**30),
        ("64g", 64 * 2**30),
        ("1T", 2**40),
        ("1.5K", 1536),
        ("0.5G", 2**29),
        ("64GB", 64 * 2**30),
        ("64GiB", 64 * 2**30),
        ("512MiB", 512 * 2**20),
        ("100B", 100),
        ("16 G", 16 * 2**30),
    ],
)
def test_parse_bytes_reads_numbers_with_binary_units(text, expected):
    assert parse_bytes(text) == expected
    assert isinstance(parse_bytes(text), int)


@pytest.mark.parametrize("text", ["", "   ", "G", "lots", "64X", "12GG", "-1G", "0", "0K", "nan", "inf", "1e999"])
def test_parse_bytes_refuses_what_is_not_a_size(text):
    with pytest.raises(LimitError, match=rf"^{MEMORY_ENV}=.* is not a size; give bytes or a number with K, M, G or T"):
        parse_bytes(text)


def test_a_limit_error_is_a_value_error():
    assert issubclass(LimitError, ValueError)
    with pytest.raises(ValueError):
        parse_bytes("lots")


# --- memory_budget -------------------------------------------------------------------------------------------


def test_the_environment_variable_sets_the_budget(monkeypatch):
    assert MEMORY_ENV == "LIME_WIDGET_MEMORY_BUDGET"
    monkeypatch.setenv(MEMORY_ENV, "3G")
    assert memory_budget() == 3 * 2**30
    monkeypatch.setenv(MEMORY_ENV, " 1024 ")
    assert memory_budget() == 1024


def test_without_the_variable_the_budget_is_half_the_memory(monkeypatch):
    monkeypatch.delenv(MEMORY_ENV, raising=False)
    pages = {"SC_PAGE_SIZE": 4096, "SC_PHYS_PAGES": 1000}
    monkeypatch.setattr(limits.os, "sysconf", lambda name: pages[name])
    assert memory_budget() == 4096 * 1000 // 2
    monkeypatch.setenv(MEMORY_ENV, "   ")  # blank counts as unset
    assert memory_budget() == 4096 * 1000 // 2


def test_an_unreadable_memory_size_falls_back_to_8_gib(monkeypatch):
    monkeypatch.delenv(MEMORY_ENV, raising=False)

    def no_sysconf(name):
        raise ValueError(f"unrecognized configuration name {name}")

    monkeypatch.setattr(limits.os, "sysconf", no_sysconf)
    assert memory_budget() == FALLBACK_BUDGET == 8 * 2**30
    monkeypatch.setattr(limits.os, "sysconf", lambda name: 0)
    assert memory_budget() == FALLBACK_BUDGET


def test_the_real_budget_is_a_positive_number_of_bytes(monkeypatch):
    monkeypatch.delenv(MEMORY_ENV, raising=False)
    budget = memory_budget()
    assert isinstance(budget, int) and budget > 0


def test_a_bad_budget_variable_names_the_variable(monkeypatch):
    monkeypatch.setenv(MEMORY_ENV, "lots")
    with pytest.raises(LimitError, match=r"LIME_WIDGET_MEMORY_BUDGET='lots' is not a size.*e\.g\. 16G"):
        memory_budget()


# --- human_bytes ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "text"),
    [
        (0, "0 B"),
        (1, "1 B"),
        (1023, "1023 B"),
        (1024, "1.0 KiB"),
        (1536, "1.5 KiB"),
        (5 * 2**20, "5.0 MiB"),
        (1.5 * 2**30, "1.5 GiB"),
        (2**40, "1.0 TiB"),
        (3 * 2**50, "3.0 PiB"),
        (2**60, "1024.0 PiB"),  # PiB is the largest unit
        (-2048, "-2.0 KiB"),
    ],
)
def test_human_bytes(n, text):
    assert human_bytes(n) == text


# --- check_count ---------------------------------------------------------------------------------------------


def _count(value, **kw):
    args = {
        "name": "num_samples",
        "minimum": 1,
        "limit": 1_000,
        "limit_name": "MAX_SAMPLES",
        "why": "a test cap",
        "type_error": TypeError,
    }
    args.update(kw)
    return check_count(value, **args)


def test_check_count_accepts_values_up_to_and_at_the_cap():
    assert _count(1) == 1
    assert _count(999) == 999
    assert _count(1_000) == 1_000
    assert _count(np.int64(1_000)) == 1_000 and type(_count(np.int64(5))) is int


def test_check_count_refuses_a_value_over_the_cap_with_a_message_on_how_to_raise_it():
    with pytest.raises(LimitError) as info:
        _count(1_001)
    message = str(info.value)
    assert message.startswith("num_samples=1,001 is above the limit of 1,000 (a test cap)")
    assert message.endswith("raise lime_widget.engine.limits.MAX_SAMPLES")


def test_check_count_names_another_argument_and_constant():
    with pytest.raises(LimitError, match=r"^refits=20,000 is above the limit of 10,000 .*limits\.MAX_REFITS$"):
        _count(20_000, name="refits", limit=limits.MAX_REFITS, limit_name="MAX_REFITS")


def test_check_count_keeps_the_type_and_minimum_checks():
    with pytest.raises(ValueError, match="num_samples") as info:
        _count(0)
    assert not isinstance(info.value, LimitError)
    with pytest.raises(ValueError, match="num_samples"):
        _count(4, minimum=5)
    with pytest.raises(TypeError, match="num_samples"):
        _count("10")
    with pytest.raises(TypeError, match="num_samples"):
        _count(True)  # a bool is not a count
    with pytest.raises(ValueError, match="num_samples"):
        _count(2.5, type_error=ValueError)


def test_the_caps_are_far_above_useful_settings():
    assert limits.MAX_SAMPLES == 1_000_000
    assert limits.MAX_REFITS == 10_000
    assert limits.MAX_SEGMENTS == 2**16 - 1  # ids fit in 16 bits
    assert limits.MAX_SIGMA == 1_000.0


# --- check_sigma ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("sigma", [0, 0.5, 3, 999.9, 1_000.0, np.float32(1_000.0)])
def test_check_sigma_accepts_up_to_the_cap(sigma):
    assert check_sigma(sigma, "blur_sigma") is None


def test_check_sigma_refuses_a_sigma_over_the_cap():
    with pytest.raises(LimitError) as info:
        check_sigma(1_000.5, "smooth")
    message = str(info.value)
    assert message.startswith("smooth=1000.5 px is above the limit of 1000 px")
    assert "use a smaller smooth" in message and message.endswith("raise lime_widget.engine.limits.MAX_SIGMA")
    with pytest.raises(LimitError, match=r"^blur_sigma=inf px"):
        check_sigma(math.inf, "blur_sigma")


def test_raising_max_sigma_takes_effect_at_once(monkeypatch):
    monkeypatch.setattr(limits, "MAX_SIGMA", 5_000.0)
    check_sigma(4_000, "blur_sigma")
    with pytest.raises(LimitError, match="limit of 5000 px"):
        check_sigma(5_001, "blur_sigma")


# --- check_memory --------------------------------------------------------------------------------------------


def test_check_memory_passes_what_fits_the_budget(monkeypatch):
    monkeypatch.setenv(MEMORY_ENV, "1K")
    assert check_memory({"masks": 1000, "scores": 24}, what="x", lower="y") is None  # exactly the budget
    assert check_memory({}, what="x", lower="y") is None


def test_check_memory_refuses_too_much_and_says_what_to_lower(monkeypatch):
    monkeypatch.setenv(MEMORY_ENV, "1K")
    parts = {"masks 10 x 4": 600, "scores 10 x 3": 1536, "refits 0 x 1 x 4": 0}
    with pytest.raises(LimitError) as info:
        check_memory(parts, what="num_samples=10 with 4 superpixels", lower="num_samples or refits")
    message = str(info.value)
    assert message.startswith("num_samples=10 with 4 superpixels would need about 2.1 KiB of arrays")
    assert "(masks 10 x 4 600 B, scores 10 x 3 1.5 KiB)" in message  # the parts, the empty one left out
    assert "refits 0 x 1 x 4" not in message
    assert f"more than the memory budget of 1.0 KiB ({MEMORY_ENV})" in message
    assert "lower num_samples or refits" in message
    assert message.endswith(f"raise the budget with the environment variable {MEMORY_ENV} (e.g. {MEMORY_ENV}=64G)")


def test_check_memory_names_the_machine_budget_when_the_variable_is_unset(monkeypatch):
    monkeypatch.delenv(MEMORY_ENV, raising=False)
    pages = {"SC_PAGE_SIZE": 1024, "SC_PHYS_PAGES": 2048}  # 2 MiB: a budget of 1 MiB
    monkeypatch.setattr(limits.os, "sysconf", lambda name: pages[name])
    check_memory({"masks": 2**20}, what="x", lower="y")
    with pytest.raises(LimitError, match=r"budget of 1\.0 MiB \(half this machine's memory\); lower y"):
        check_memory({"masks": 2**20 + 1}, what="x", lower="y")


# --- explanation_parts ---------------------------------------------------------------------------------------


def test_explanation_parts_of_a_small_lime_run():
    parts = explanation_parts(n=10, k=4, n_classes=3, refits=2, n_explained=1)
    assert parts == {
        "masks 10 x 4 and their float copies": 10 * 4 * (1 + 8 + 3 * 8),
        "scores 10 x 3": 2 * 10 * 3 * 8,
        "refits 2 x 1 x 4": 2 * 1 * 4 * 8,
    }
    assert BYTES_PER_MASK_CELL == 33
    assert sum(parts.values()) == 1320 + 480 + 64
    assert explanation_parts(10, 4, 3, 2, 1, "stratified") == parts  # only the balanced design adds a part


def test_explanation_parts_names_large_sizes_with_separators():
    parts = explanation_parts(n=100_000, k=1_000, n_classes=1_000, refits=0, n_explained=5)
    assert list(parts) == [
        "masks 100,000 x 1,000 and their float copies",
        "scores 100,000 x 1,000",
        "refits 0 x 5 x 1,000",
    ]
    assert parts["refits 0 x 5 x 1,000"] == 0
    assert parts["masks 100,000 x 1,000 and their float copies"] == 100_000 * 1_000 * 33


@pytest.mark.parametrize(
    ("n", "k", "m", "rows"),
    [
        (10, 4, 8, 16),  # m: the power of two above K; rows: whole blocks of 2m covering n + 1
        (15, 4, 8, 16),
        (16, 4, 8, 32),
        (10, 7, 8, 16),
        (10, 8, 16, 32),
        (100, 64, 128, 256),
    ],
)
def test_explanation_parts_of_the_balanced_design_adds_the_hadamard_matrix(n, k, m, rows):
    lime = explanation_parts(n, k, 3, 0, 1)
    parts = explanation_parts(n, k, 3, 0, 1, sampling="balanced")
    key = f"the balanced design's {m:,} x {m:,} Hadamard matrix and {rows:,} rows"
    assert list(parts) == [*lime, key]
    assert parts[key] == 10 * m * m + 2 * rows * k
    assert {p: parts[p] for p in lime} == lime


def test_a_size_below_one_byte_and_a_nan_sigma_are_refused():
    with pytest.raises(LimitError, match="LIME_WIDGET_MEMORY_BUDGET"):
        parse_bytes("0.1")
    with pytest.raises(LimitError, match="smooth"):
        check_sigma(float("nan"), "smooth")
