"""The offline HTML file: JSON safe inside its <script> element, written with the umask's mode."""

from __future__ import annotations

import dataclasses
import json
import os
import re

import numpy as np
import pytest

import lime_widget as lw
from lime_widget.render.html import explanation_html, write_html

from ..helpers import cell_image, cell_segments

HOSTILE = ["<!--<script>", "</script><script>alert(1)</script>"]


@pytest.fixture(scope="module")
def exp() -> lw.Explanation:
    def fn(batch: np.ndarray) -> np.ndarray:
        p1 = batch.mean(axis=(1, 2, 3)) / 255.0
        return np.stack([1 - p1, p1], axis=1)

    clf = lw.FunctionClassifier(fn, class_names=HOSTILE)
    return lw.explain(
        cell_image(), clf, segments=cell_segments(), hide="black", num_samples=40, top_labels=2, progress=False
    )


def embedded_state(text: str) -> dict:
    # the element's text runs to the first "</script" (as the HTML parser reads it): all of it must be the JSON
    body = re.search(r'<script type="application/json" id="lime-widget-state">(.*?)</script', text, re.S)
    assert body is not None
    return json.loads(body.group(1))


def test_class_names_that_would_end_the_script_round_trip(exp, tmp_path):
    path = explanation_html(exp, tmp_path / "e.html")
    text = path.read_text(encoding="utf-8")
    state = embedded_state(text)
    assert sorted(c["name"] for c in state["classes"]) == sorted(HOSTILE)
    assert {r["name"] for r in state["scores"]} == set(HOSTILE)
    json_part = text.split('id="lime-widget-state">', 1)[1].split("</script>", 1)[0]
    assert "<" not in json_part  # every "<" escaped: no "<!--" nor "</script" inside the element


def test_the_file_gets_the_umasks_mode(exp, tmp_path):
    old = os.umask(0o027)
    try:
        path = write_html({"x": "<b>"}, tmp_path / "s.html", title="<t>")
        assert path.stat().st_mode & 0o777 == 0o666 & ~0o027
        assert embedded_state(path.read_text()) == {"x": "<b>"}
        assert "<title>&lt;t&gt;</title>" in path.read_text()
    finally:
        os.umask(old)
    umask = os.umask(0)
    os.umask(umask)
    path = explanation_html(exp, tmp_path / "e.html")
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask


def test_explanation_html_needs_an_explanation(exp, tmp_path):
    with pytest.raises(TypeError, match="Explanation"):
        explanation_html("not one", tmp_path / "x.html")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="Explanation"):
        explanation_html(dataclasses.asdict, tmp_path / "x.html")  # type: ignore[arg-type]
