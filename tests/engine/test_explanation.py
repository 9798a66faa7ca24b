"""The Explanation: queries, re-scoring, JSON."""

from __future__ import annotations

import numpy as np
import pytest

import lime_widget as lw

from ..helpers import cell_segments


def test_rescore_uses_the_sampling_composition(planted):
    img, clf, cells = planted
    exp = lw.explain(img, clf, segments=cell_segments(), num_samples=50, hide="gray", progress=False)
    np.testing.assert_allclose(exp.rescore(np.ones(64, bool)), exp.probabilities)
    for i in (3, 17):
        np.testing.assert_allclose(exp.rescore(exp.masks[i]), exp.rescore_many(exp.masks[[i]])[0])
        assert exp.rescore(exp.masks[i])[exp.top_labels[0]] == pytest.approx(exp.sample_scores[i, 0])
    hidden = np.ones(64, bool)
    hidden[cells] = False
    assert exp.rescore(hidden)[1] < exp.probabilities[1] - 0.3
    with pytest.raises(ValueError, match="one entry per superpixel"):
        exp.rescore(np.ones(3, bool))


def test_explanation_queries(planted):
    img, clf, cells = planted
    exp = lw.explain(img, clf, segments=cell_segments(), num_samples=200, hide="gray", top_labels=2, progress=False)
    assert exp.top_labels == [int(np.argmax(exp.probabilities)), 1 - int(np.argmax(exp.probabilities))]
    h = exp.heatmap(1)
    assert h.shape == img.shape[:2]
    assert h[cell_segments() == cells[0]][0] == pytest.approx(exp.weights(1)[cells[0]])
    assert exp.heatmap(1, positive_only=True).min() >= 0
    assert exp.heatmap(1, smooth=3).std() < h.std()
    v = np.ones(64, bool)
    v[cells[0]] = False
    assert exp.surrogate_prediction(v, 1) == pytest.approx(exp.local_prediction(1) - exp.weights(1)[cells[0]])
    with pytest.raises(lw.ClassLookupError, match="not explained"):
        lw.explain(
            img, clf, segments=cell_segments(), hide="gray", num_samples=20, classes=[0], progress=False
        ).weights(1)
    assert "superpixels" in repr(exp) and "top superpixels" in exp.summary()


def _static_exp() -> lw.Explanation:
    from ..helpers import cell_image, linear_model

    beta = np.zeros(64)
    beta[5] = 0.2
    return lw.explain(
        cell_image(), linear_model(beta), segments=cell_segments(), hide="black", num_samples=40, progress=False
    )


def test_an_explanation_shows_as_an_image_in_a_notebook():
    import io

    from PIL import Image

    exp = _static_exp()
    png = exp._repr_png_()
    assert png is not None and png.startswith(b"\x89PNG")
    with Image.open(io.BytesIO(png)) as im:
        assert im.size == (64, 64) and im.mode == "RGB"
    assert exp._repr_png_() is png  # cached on the object: made once
    html = exp._repr_html_()
    assert html is not None and html.count("<img") == 1 and "data:image/png;base64," in html
    assert "top superpixels for" in html and "Explanation(64x64 image" in html
    assert repr(exp).startswith("Explanation(64x64 image, 64 superpixels, 40 samples")  # the text repr stays


def test_a_copy_draws_its_own_view():
    exp = _static_exp()
    png = exp.static_png()
    other = exp.with_model(exp.model)
    assert other._static_png is None  # not carried to a copy that may differ
    assert other.static_png() == png


def test_class_names_are_escaped_in_the_html_view():
    exp = _static_exp()
    exp.class_names = ["<b>no</b>", "<script>x</script>"]
    html = exp._repr_html_()
    assert html is not None and "<script>" not in html and "&lt;script&gt;" in html


def test_a_failing_view_falls_back_to_the_text_repr(monkeypatch):
    import lime_widget.render.figures as figures

    exp = _static_exp()

    def broken(*args, **kwargs):
        raise RuntimeError("no display today")

    monkeypatch.setattr(figures, "explanation_png", broken)
    assert exp._repr_png_() is None and exp._repr_html_() is None
    assert repr(exp).startswith("Explanation(")


@pytest.mark.parametrize(
    ("sampling", "enough"), [("balanced", 2 * (64 + 10)), ("paired", 2 * (64 + 10)), ("lime", 64 + 11)]
)
def test_too_few_samples_to_identify_every_weight_are_said_so(planted, sampling, enough):
    """Below K + 1 + MIN_SPARE_UNITS resampling units (pairs for the paired designs) some weights are not
    identified and no interval from the samples shows it: the summary says so, and not above that count."""
    img, clf, _ = planted
    few = lw.explain(img, clf, segments=cell_segments(), num_samples=100, sampling=sampling, progress=False)
    assert few.enough_samples() == enough
    note = f"note: 100 samples are too few to pin down 64 weights with this design (at least {enough})"
    assert (note in few.summary()) == (100 < enough)
    plenty = lw.explain(img, clf, segments=cell_segments(), num_samples=enough, sampling=sampling, progress=False)
    assert "too few" not in plenty.summary()
