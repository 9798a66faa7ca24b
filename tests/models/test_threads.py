"""Torch's thread count: the bounded default, LIME_WIDGET_THREADS, lw.set_threads, and the user's own choice.

Torch's thread count is process-global, so every check that touches it runs in a fresh subprocess and this
test process keeps its own settings.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

import lime_widget as lw
from lime_widget.models import threads

# Prints {"start": torch's count before lime_widget, "after": the count once a TorchClassifier exists}.
MAKE_CLASSIFIER = """
import json, torch
start = torch.get_num_threads()
{before}
import lime_widget as lw
lw.TorchClassifier(torch.nn.Flatten().eval(), transform=lw.Preprocess(resize=(8, 8)))
lw.TorchClassifier(torch.nn.Flatten().eval(), transform=lw.Preprocess(resize=(8, 8)))
print(json.dumps({{"start": start, "after": torch.get_num_threads()}}))
"""


def _run(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in ("LIME_WIDGET_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", *threads.HUB_ENV_VARS)
    }
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**base, **env},
    )


def _counts(before: str = "", **env: str) -> dict[str, int]:
    proc = _run(MAKE_CLASSIFIER.format(before=before), **env)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_default_is_applied_when_a_torch_classifier_is_made():
    counts = _counts()
    assert counts["after"] == min(threads.MAX_DEFAULT_THREADS, os.cpu_count() or 1, counts["start"])


def test_a_jupyterhub_kernel_defaults_to_one_thread():
    assert _counts(JUPYTERHUB_USER="student07")["after"] == 1
    assert _counts(JUPYTERHUB_API_TOKEN="x", LIME_WIDGET_THREADS="2")["after"] == 2  # the admin's choice wins


def test_env_var_sets_the_count():
    assert _counts(LIME_WIDGET_THREADS="1")["after"] == 1
    assert _counts(LIME_WIDGET_THREADS=" 3 ")["after"] == 3


def test_bad_env_var_raises_a_clear_error():
    # a bad value raises on every TorchClassifier (nothing is marked applied), so one process checks them all
    proc = _run(
        """
        import json, os, torch, lime_widget as lw
        errors = []
        for value in ("0", "-2", "two", "1.5"):
            os.environ["LIME_WIDGET_THREADS"] = value
            try:
                lw.TorchClassifier(torch.nn.Flatten().eval())
            except ValueError as e:
                errors.append(str(e))
        print(json.dumps({"errors": errors, "count": torch.get_num_threads()}))
        """
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert len(out["errors"]) == 4
    for value, message in zip(("0", "-2", "two", "1.5"), out["errors"], strict=True):
        assert "environment variable LIME_WIDGET_THREADS" in message and repr(value) in message


def test_set_threads_validates_and_wins():
    proc = _run(
        """
        import json, torch, lime_widget as lw
        out = {"set": lw.set_threads(3)}
        lw.TorchClassifier(torch.nn.Flatten().eval(), transform=lw.Preprocess(resize=(8, 8)))
        out["after_classifier"] = torch.get_num_threads()
        errors = []
        for bad in (0, -1, 1.5, True, "2"):
            try:
                lw.set_threads(bad)
            except ValueError as e:
                errors.append(str(e))
        out["errors"] = errors
        out["still"] = torch.get_num_threads()
        out["none"] = lw.set_threads(None)
        print(json.dumps(out))
        """,
        LIME_WIDGET_THREADS="1",
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["set"] == 3 and out["after_classifier"] == 3 and out["still"] == 3
    assert len(out["errors"]) == 5
    assert all("set_threads(n)" in e for e in out["errors"])
    assert "got 0" in out["errors"][0] and "got '2'" in out["errors"][4]
    assert out["none"] == 1  # None = the library default, here LIME_WIDGET_THREADS


def test_users_own_torch_set_num_threads_is_respected():
    # 3 is not a count torch starts with on a 1-, 2- or 4-core machine; the env var does not override it either
    assert _counts(before="torch.set_num_threads(3)", LIME_WIDGET_THREADS="1")["after"] == 3


def test_omp_num_threads_is_respected_unless_lime_widget_threads_is_set():
    # torch caps OMP_NUM_THREADS at the machine's cores, so 1 is the value every machine keeps
    assert _counts(OMP_NUM_THREADS="1")["after"] == 1
    assert _counts(OMP_NUM_THREADS="1", LIME_WIDGET_THREADS="2")["after"] == 2


def test_default_threads_and_validation_in_process(monkeypatch):
    # default_threads reads only the environment: safe to call here (torch's count is not touched)
    monkeypatch.delenv("LIME_WIDGET_THREADS", raising=False)
    for var in threads.HUB_ENV_VARS:
        monkeypatch.delenv(var, raising=False)
    assert threads.default_threads() == min(4, os.cpu_count() or 1)
    monkeypatch.setenv("JUPYTERHUB_USER", "student07")
    assert threads.default_threads() == 1
    monkeypatch.delenv("JUPYTERHUB_USER")
    monkeypatch.setenv("LIME_WIDGET_THREADS", "2")
    assert threads.default_threads() == 2
    monkeypatch.setenv("LIME_WIDGET_THREADS", "many")
    with pytest.raises(ValueError, match=r"LIME_WIDGET_THREADS.*'many'"):
        threads.default_threads()
    with pytest.raises(ValueError, match=r"set_threads\(n\).*got -3"):
        lw.set_threads(-3)  # refused before torch is touched
    assert lw.set_threads is threads.set_threads


# The fair share (models/_cpu_share.py) is wired to the library's own default only, and a forward pass ticks it.
FAIR_SHARE = """
import json, torch
{before}
import lime_widget as lw
from lime_widget.models import threads
from lime_widget.models._cpu_share import CpuSample
clf = lw.TorchClassifier(torch.nn.Flatten().eval(), transform=lw.Preprocess(resize=(2, 2)))
share = threads._state.share
out = {{"share": share is not None, "start": torch.get_num_threads()}}
if share is not None:
    # others keep 1.5 cores busy on every look: the next forward passes drop to one thread
    looks = iter([CpuSample(1.5 * i + 0.0, 0.0, float(i)) for i in range(10)])
    share._sample = lambda cpus: next(looks)
    share.interval_s = 0.0
    share.cpus = frozenset({{0, 1}})
    for _ in range(3):
        clf.predict(torch.zeros(1, 3, 2, 2))
    out["after"] = torch.get_num_threads()
print(json.dumps(out))
"""


def _fair(before: str = "", **env: str) -> dict[str, object]:
    proc = _run(FAIR_SHARE.format(before=before), **env)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="one core: the default is one thread, nothing to share")
def test_the_default_gives_cores_back_to_busy_neighbours():
    out = _fair()
    assert out["share"] is True and out["start"] == min(threads.MAX_DEFAULT_THREADS, os.cpu_count() or 1)
    assert out["after"] == 1


@pytest.mark.parametrize(
    ("before", "env"),
    [
        ("lw.set_threads(2)", {}),
        ("torch.set_num_threads(1)", {}),  # (a count equal to torch's own start cannot be told apart)
        ("", {"LIME_WIDGET_THREADS": "2"}),
        ("", {"OMP_NUM_THREADS": "2"}),
        ("", {"JUPYTERHUB_USER": "student07"}),
    ],
    ids=["set_threads", "torch.set_num_threads", "LIME_WIDGET_THREADS", "OMP_NUM_THREADS", "hub"],
)
def test_a_chosen_count_is_never_shared_away(before, env):
    before_code = f"import lime_widget as lw\n{before}" if before.startswith("lw.") else before
    assert _fair(before_code, **env)["share"] is False
