"""The static view in an explorer's display: a PNG of the view, an HTML figure and text beside the widget entry,
for front ends that cannot run the widget (a saved notebook rendered by nbconvert, nbviewer or GitHub)."""

from __future__ import annotations

import base64
import io
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from IPython.core.formatters import DisplayFormatter
from PIL import Image

import lime_widget as lw
from lime_widget.render.view_state import view_png
from lime_widget.widget import _static_view
from lime_widget.widget._static_view import NOTE, Picture, PictureCache, picture_entries, top_classes, with_static
from lime_widget.widget.comparison import ModelComparison
from lime_widget.widget.explorer import LimeWidget

from .support import brightness

WIDGET_MIME = "application/vnd.jupyter.widget-view+json"


def display_data(obj: Any) -> dict[str, Any]:
    """What IPython publishes when a cell shows ``obj``: its data, mime type -> value."""
    data, _metadata = DisplayFormatter().format(obj)
    return data


def read_png(b64: str) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(b64))).convert("RGB"))


@pytest.fixture
def widget(explanation: lw.Explanation):
    w = LimeWidget(explanation, prescore=False, max_display_side=48)
    yield w
    w.close()


def test_the_display_has_the_widget_entry_and_a_png_of_the_view_at_its_size(widget):
    data = display_data(widget)
    assert data[WIDGET_MIME]["model_id"] == widget.model_id
    png = read_png(data["image/png"])
    assert png.shape == (widget.height, widget.width, 3) == (48, 48, 3)
    drawn = view_png(
        widget.explanation,
        np.ones(widget.n_segments, dtype=bool),
        widget.selected_label,
        heatmap=True,
        alpha=widget.heatmap_opacity,
        size=(48, 48),
    )
    assert base64.b64decode(data["image/png"]) == drawn
    top = top_classes(widget.scores)
    assert top.startswith(widget.explanation.class_names[widget.selected_label])
    for entry in ("text/plain", "text/html"):
        assert NOTE in data[entry] and top in data[entry], entry
    assert f"base64,{data['image/png']}'" in data["text/html"] and "width='48' height='48'" in data["text/html"]


def test_the_bundle_keeps_anywidgets_metadata(widget):
    bundle = widget._repr_mimebundle_()
    assert isinstance(bundle, tuple) and isinstance(bundle[1], dict)  # anywidget's (data, metadata), e.g. for Colab
    assert WIDGET_MIME in bundle[0] and "image/png" in bundle[0]


def test_the_png_follows_the_mask_the_class_and_the_heatmap(widget):
    first = display_data(widget)["image/png"]
    widget.visible = [i % 3 != 0 for i in range(widget.n_segments)]
    assert widget.wait_idle(10)
    masked = display_data(widget)
    assert masked["image/png"] != first
    hidden = len(range(0, widget.n_segments, 3))
    assert f"{hidden} of {widget.n_segments} superpixels hidden" in masked["text/plain"]
    expected = view_png(
        widget.explanation,
        np.asarray(widget.visible),
        widget.selected_label,
        heatmap=True,
        alpha=widget.heatmap_opacity,
        size=(widget.height, widget.width),
    )
    assert base64.b64decode(masked["image/png"]) == expected
    widget.show_heatmap = False
    plain = display_data(widget)
    assert plain["image/png"] != masked["image/png"] and "no heatmap" in plain["text/plain"]
    widget.visible = [True] * widget.n_segments
    widget.show_heatmap = True
    assert widget.wait_idle(10)
    assert display_data(widget)["image/png"] == first  # the same view, the same picture


def test_the_picture_is_drawn_once_per_view(widget):
    display_data(widget)
    display_data(widget)
    assert widget._picture.draws == 1
    widget.heatmap_opacity = 0.8
    display_data(widget)
    assert widget._picture.draws == 2
    widget.selected_label = widget.explanation.top_labels[1]
    data = display_data(widget)
    assert widget._picture.draws == 3
    assert f"LIME weights of {widget.explanation.class_names[widget.selected_label]}" in data["text/plain"]


def test_a_failing_picture_never_fails_the_display(widget, monkeypatch, caplog):
    def broken(*args: Any, **kwargs: Any) -> bytes:
        raise MemoryError("no room")

    monkeypatch.setattr(_static_view, "view_png", broken)
    with caplog.at_level("WARNING", logger="lime_widget"):
        data = display_data(widget)
    assert data[WIDGET_MIME]["model_id"] == widget.model_id  # the live widget is still displayed
    assert "image/png" not in data and "text/html" not in data
    assert NOTE in data["text/plain"] and "MemoryError" in data["text/plain"]
    assert "static view of lime_widget explorer failed" in caplog.text


def test_static_view_off_leaves_the_widgets_own_bundle(widget):
    widget.static_view = False
    data = display_data(widget)
    assert WIDGET_MIME in data and "image/png" not in data and "text/html" not in data


def test_a_closed_widget_displays_no_picture(explanation):
    w = LimeWidget(explanation, prescore=False)
    w.close()
    data = display_data(w)
    assert WIDGET_MIME not in data and "image/png" not in data


def test_with_static_takes_both_bundle_forms_and_none():
    extra = {"image/png": "AAAA", "text/plain": "picture"}
    assert with_static({WIDGET_MIME: {}, "text/plain": "repr"}, lambda: extra, "x") == {WIDGET_MIME: {}, **extra}
    assert with_static(({WIDGET_MIME: {}}, {"m": 1}), lambda: extra, "x") == ({WIDGET_MIME: {}, **extra}, {"m": 1})
    assert with_static(None, lambda: extra, "x") is None


def test_names_are_escaped_in_the_html():
    picture = Picture(b"\x89PNG", (2, 3), "lime_widget explorer: <b>'cat'</b>", ["top classes: <script>x</script>"])
    figure = picture_entries(picture)["text/html"]
    assert "<script>" not in figure and "<b>'cat'" not in figure
    assert "&lt;script&gt;" in figure and "alt='lime_widget explorer: &lt;b&gt;&#x27;cat&#x27;" in figure


def test_picture_cache_draws_a_new_key_only():
    cache = PictureCache()
    assert cache.get(("a",), lambda: b"1") == b"1"
    assert cache.get(("a",), lambda: b"2") == b"1"
    assert cache.get(("b",), lambda: b"3") == b"3" and cache.draws == 2


def test_a_comparison_shows_the_explorers_side_by_side(explanation):
    other = explanation.with_model(
        lw.FunctionClassifier(lambda b: brightness(b)[:, ::-1].copy(), class_names=["a", "b"])
    )
    darker = lw.explain(
        explanation.image,
        other.model,
        segments=explanation.segments,
        hide="black",
        num_samples=40,
        top_labels=2,
        progress=False,
    )
    cmp = ModelComparison([explanation, darker], ["bright model", "dark model"], max_display_side=40)
    try:
        cmp.explorers[1].visible = [i != 5 for i in range(explanation.n_segments)]  # linked: both hide one
        assert cmp.wait_idle(10)
        data = display_data(cmp)
        assert data[WIDGET_MIME]["model_id"] == cmp.model_id
        row = read_png(data["image/png"])
        views = [read_png(base64.b64encode(w._static_picture().png).decode()) for w in cmp.explorers]
        assert row.shape == (40, 40 + 8 + 40, 3)
        np.testing.assert_array_equal(row[:, :40], views[0])
        np.testing.assert_array_equal(row[:, 48:], views[1])
        assert (row[:, 40:48] == 255).all()
        assert "1 superpixels hidden (in both)" in data["text/plain"] and NOTE in data["text/html"]
        assert "bright model: 1 of 64 superpixels hidden" in data["text/plain"]
    finally:
        cmp.close()


# ---------------------------------------------------------------------- a saved notebook rendered without widgets
NOTEBOOK_CELLS = [
    """import numpy as np
import lime_widget as lw

image = np.random.default_rng(0).integers(0, 256, (48, 64, 3), dtype=np.uint8)
segments = (np.arange(48)[:, None] // 12) * 8 + np.arange(64)[None, :] // 8  # 4 x 8 superpixels


def brightness(batch):
    p1 = batch.mean(axis=(1, 2, 3)) / 255.0
    return np.stack([1 - p1, p1], axis=1)


model = lw.FunctionClassifier(brightness, class_names=["dark", "bright"])
exp = lw.explain(image, model, segments=segments, hide="black", num_samples=40, progress=False)
w = lw.LimeWidget(exp, prescore=False)
w""",
    """w.visible = [i % 2 == 0 for i in range(w.n_segments)]
assert w.wait_idle(30)
w""",
]


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_a_notebook_converted_to_html_without_widget_state_shows_the_picture(tmp_path: Path):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    nbconvert = pytest.importorskip("nbconvert")
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(code) for code in NOTEBOOK_CELLS]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    # store_widget_state=False: a notebook saved without its widgets' state, as most on GitHub are
    client = nbclient.NotebookClient(
        nb,
        timeout=120,
        kernel_name="python3",
        store_widget_state=False,
        resources={"metadata": {"path": str(tmp_path)}},
    )
    client.execute()
    outputs = [cell.outputs[-1] for cell in nb.cells]
    for out in outputs:
        assert out.output_type == "execute_result"
        assert WIDGET_MIME in out.data and "image/png" in out.data
    assert "widgets" not in nb.metadata
    pngs = [out.data["image/png"] for out in outputs]
    assert pngs[0] != pngs[1]  # the second shows the mask set in its cell
    assert [read_png(p).shape for p in pngs] == [(48, 64, 3)] * 2  # the view's size

    body, _ = nbconvert.HTMLExporter().from_notebook_node(nb)
    images = Images()
    images.feed(body)
    prefix = "data:image/png;base64,"
    assert [img["src"] for img in images.found if img.get("src", "").startswith(prefix)] == [prefix + p for p in pngs]
    assert all((img["width"], img["height"]) == ("64", "48") for img in images.found)
    assert body.count(NOTE) == 2 and 'class="jupyter-widgets' not in body


class Images(HTMLParser):
    """The attributes of every <img> of an HTML page, in order."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[dict[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "img":
            self.found.append({k: v or "" for k, v in attrs})
