"""The synthetic shortcut task (lime_widget.models.teaching): data, the cheating CNN, and LIME exposing it."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import lime_widget as lw
from lime_widget.core import segmentation
from lime_widget.models.teaching import (
    accuracy,
    add_mark,
    make_shortcut_dataset,
    mark_region,
    train_shortcut_cnn,
)


def test_dataset_shapes_balance_and_mark_policies():
    ds = make_shortcut_dataset(40, 48, 0)
    assert ds.images.shape == (40, 48, 48, 3) and ds.images.dtype == np.uint8
    assert ds.labels.tolist().count(0) == ds.labels.tolist().count(1) == 20
    np.testing.assert_array_equal(ds.marked, ds.labels == 1)
    again = make_shortcut_dataset(40, 48, 0)
    np.testing.assert_array_equal(ds.images, again.images)
    assert not make_shortcut_dataset(10, 48, 0, mark="none").marked.any()
    flipped = make_shortcut_dataset(10, 48, 0, mark="flipped")
    np.testing.assert_array_equal(flipped.marked, flipped.labels == 0)
    with pytest.raises(ValueError, match="mark"):
        make_shortcut_dataset(4, 48, 0, mark="sometimes")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="size"):
        make_shortcut_dataset(4, 16, 0)


def test_the_mark_is_where_mark_region_says():
    img = np.full((64, 64, 3), 100, dtype=np.uint8)
    changed = np.any(add_mark(img) != img, axis=2)
    region = mark_region(64)
    assert changed.any() and not (changed & ~region).any()
    assert img.max() == 100  # the input is not modified


@pytest.fixture(scope="module")
def cheater():
    train = make_shortcut_dataset(400, 64, 0)
    state = torch.random.get_rng_state()
    clf = train_shortcut_cnn(train.images, train.labels, epochs=3, seed=0)
    assert torch.equal(state, torch.random.get_rng_state())  # the caller's random state is untouched
    return clf


def test_the_cnn_learns_the_shortcut(cheater):
    assert not cheater.module.training
    marked = make_shortcut_dataset(200, 64, 1, mark="shortcut")
    flipped = make_shortcut_dataset(200, 64, 1, mark="flipped")
    assert accuracy(cheater, marked.images, marked.labels) > 0.9
    assert accuracy(cheater, flipped.images, flipped.labels) < 0.2


def test_lime_finds_the_mark(cheater):
    test = make_shortcut_dataset(10, 64, 2)
    i = int(np.flatnonzero(test.labels == 1)[0])
    seg = segmentation.grid(64, 64, shape=(8, 8))
    exp = lw.explain(test.images[i], cheater, segments=seg, num_samples=200, hide="gray", progress=False)
    assert exp.class_names[exp.top_label] == "square"
    assert exp.top_segments("square", k=1).tolist() == [0]  # the cell holding the mark


def test_training_restores_the_thread_count(cheater):
    # the fixture trained on one thread; the process setting must be back to what it was
    before = torch.get_num_threads()
    train = make_shortcut_dataset(20, 32, 0)
    train_shortcut_cnn(train.images, train.labels, epochs=1)
    assert torch.get_num_threads() == before


def test_segments_figure_draws_boundaries_and_ids():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from lime_widget.render.figures import segments_figure

    img = np.full((32, 48, 3), 200, dtype=np.uint8)
    seg = segmentation.grid(32, 48, shape=(2, 3))
    fig = segments_figure(img, seg, ids=True)
    ax = fig.axes[0]
    assert sorted(t.get_text() for t in ax.texts) == [str(i) for i in range(6)]
    assert ax.get_title() == "6 superpixels"
    shown = ax.images[0].get_array()
    assert np.allclose(shown[0, 16], (1.0, 1.0, 0.0))  # a boundary pixel (cells 0 | 1) is yellow
    assert np.allclose(shown[5, 5], 200 / 255)  # inside a cell: the image
    plt.close(fig)
