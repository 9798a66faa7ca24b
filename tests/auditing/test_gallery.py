"""AuditGallery (Python side): the items it sends, the front-end messages it accepts, opening the explorer."""

from __future__ import annotations

import base64

import numpy as np
import pytest

import lime_widget as lw
from lime_widget.auditing.gallery import GalleryGrid, thumbnail
from lime_widget.core.images import decode_png
from lime_widget.core.segmentation import boundary_mask

from ..helpers import GRID, cell_image, linear_model

distributed = pytest.importorskip("distributed")
KW = dict(num_samples=48, hide="black", segmentation="grid", segmentation_params={"shape": (GRID, GRID)})


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    out = tmp_path_factory.mktemp("gallery") / "out"
    model = linear_model(np.linspace(-0.02, 0.03, GRID * GRID))
    images = [(cell_image(i), i % 2) for i in range(4)] + [(np.zeros((2, 2, 7)), 0)]  # the last: an error row
    with distributed.Client(processes=False, n_workers=1, threads_per_worker=1, dashboard_address=":0") as c:
        return lw.audit(images, model, out=out, client=c, progress=False, **KW)


def test_items_carry_rows_values_and_thumbnails(result):
    g = lw.AuditGallery(result, sort_by="probability", filter="wrong")
    items = g.grid.items
    assert [it["row"] for it in items] == list(range(5))
    assert g.grid.sort_by == "probability" and g.grid.filter == "wrong"
    assert "object_share" in g.grid.columns and "probability" in g.grid.columns
    for it, (_, row) in zip(items[:4], result.table.iloc[:4].iterrows(), strict=True):
        assert it["error"] == "" and it["thumb"].startswith("data:image/png;base64,")
        assert it["values"]["probability"] == pytest.approx(row["probability"])
        assert it["values"]["object_share"] is None  # no masks: NaN travels as null
        assert it["correct"] is bool(row["correct"]) and row["predicted_class"] in it["subtitle"]
        png = decode_png(base64.b64decode(it["thumb"].split(",", 1)[1]))
        assert png.shape == (64, 64, 3)
    assert items[4]["error"].startswith("ImageError") and items[4]["thumb"] == ""


def test_thumbnail_colours_follow_the_weights(result):
    exp = result.explanation(0)
    th = thumbnail(exp, 64).astype(int)
    w = exp.weights()
    img = exp.image.astype(int)
    best, worst = int(np.argmax(w)), int(np.argmin(w))
    inner = ~boundary_mask(exp.segments)  # boundaries are drawn in yellow
    pos = (exp.segments == best) & inner
    neg = (exp.segments == worst) & inner
    # RdBu (as in the figures): the largest weight is blended towards its blue end, the smallest towards red
    from matplotlib import colormaps

    blue, red = (np.array(colormaps["RdBu"](x)[:3]) * 255 for x in (1.0, 0.0))

    def dist(a, c):
        return np.linalg.norm(a - c, axis=-1).mean()

    assert dist(th[pos], blue) < dist(img[pos], blue) - 20 and dist(th[pos], red) > dist(th[pos], blue)
    if w[worst] < 0:
        assert dist(th[neg], red) < dist(img[neg], red) - 5
    assert np.all(th[boundary_mask(exp.segments)] == (255, 255, 0))


def test_front_end_messages_are_validated(result):
    g = lw.AuditGallery(result)
    grid = g.grid
    grid.set_state({"sort_by": "stability", "descending": True, "filter": "errors"})
    assert (grid.sort_by, grid.descending, grid.filter) == ("stability", True, "errors")
    for bad in ({"sort_by": "path"}, {"filter": "some"}, {"descending": "yes"}, {"selected": 99}, {"selected": True}):
        grid.set_state(bad)
    assert (grid.sort_by, grid.descending, grid.filter, grid.selected) == ("stability", True, "errors", -1)


def test_a_click_opens_the_explorer_with_the_model(result):
    g = lw.AuditGallery(result)
    grid: GalleryGrid = g.grid
    grid.set_state({"selected": 2})
    w = g.explorer
    assert isinstance(w, lw.LimeWidget) and g.slot.children == (w,)
    np.testing.assert_array_equal(w._exp.coef, result.explanation(2).coef)
    assert g.show(1) is g.explorer and g.explorer is not w  # the old explorer is replaced (and closed)
    with pytest.raises(ValueError, match="has no explanation"):
        g.show(4)
    assert "cannot open row 4" in g.message.value and g.slot.children == ()


def test_without_a_model_the_gallery_says_so(result):
    g = lw.AuditGallery(lw.AuditResult.open(result.out))
    with pytest.raises(ValueError, match="no model"):
        g.show(0)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"sort_by": "path"}, "sort_by must be one of"), ({"filter": "odd"}, "filter"), ({"thumb_size": 4}, "thumb_size")],
)
def test_bad_arguments(result, kwargs, match):
    with pytest.raises(ValueError, match=match):
        lw.AuditGallery(result, **kwargs)
    with pytest.raises(TypeError, match="AuditResult"):
        lw.AuditGallery(result.table)
