"""Model adapters: output validation, single-output models, train mode, wrappers."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import lime_widget as lw
from lime_widget.models.classifiers import ModelOutputError, check_output

from ..helpers import cell_image, cell_segments


def test_train_mode_module_is_refused_or_copied():
    module = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.LazyLinear(3), torch.nn.Dropout(0.5))
    module.train()
    with pytest.raises(ValueError, match="training mode"):
        lw.TorchClassifier(module, transform=lw.Preprocess(resize=(8, 8)))
    clf = lw.TorchClassifier(module, transform=lw.Preprocess(resize=(8, 8)), copy_to_eval=True)
    assert module.training and not clf.module.training
    exp = lw.explain(cell_image(), clf, segmentation="grid", n_segments=16, num_samples=20, progress=False)
    assert exp.probabilities.shape == (3,)


def test_torch_module_without_wrapper_gets_helpful_error():
    with pytest.raises(TypeError, match="TorchClassifier"):
        lw.explain(cell_image(), torch.nn.Identity(), num_samples=10, progress=False)


@pytest.mark.parametrize(
    ("fn", "message"),
    [
        (lambda b: np.ones((len(b), 3)), "sum to 1"),
        (lambda b: np.full((len(b), 2), np.nan), "NaN"),
        (lambda b: np.ones((len(b) + 1, 2)) / 2, "shape"),
        (lambda b: np.ones((len(b), 2, 2)) / 2, "shape"),
        (lambda b: -np.ones((len(b), 2)), "negative"),
    ],
)
def test_bad_model_outputs_name_the_batch(fn, message):
    clf = lw.FunctionClassifier(fn, batch_size=8)
    with pytest.raises(ModelOutputError, match=message) as info:
        lw.explain(cell_image(), clf, segments=cell_segments(), hide="black", num_samples=20, progress=False)
    assert "samples 0..7" in str(info.value)


def test_nan_in_a_later_batch_is_located():
    calls = {"n": 0}

    def fn(b):
        calls["n"] += 1
        out = np.full((len(b), 2), 0.5)
        if calls["n"] == 3:
            out[2] = np.nan
        return out

    with pytest.raises(ModelOutputError, match=r"samples 16\.\.23.*sample 18"):
        lw.explain(
            cell_image(),
            lw.FunctionClassifier(fn, batch_size=8),
            segments=cell_segments(),
            hide="black",
            num_samples=40,
            progress=False,
        )


def test_single_output_models_become_binary():
    out = check_output(np.array([0.2, 0.9]), 2, "probabilities")
    np.testing.assert_allclose(out, [[0.8, 0.2], [0.1, 0.9]])
    clf = lw.FunctionClassifier(lambda b: b.mean(axis=(1, 2, 3)) / 255.0)
    exp = lw.explain(cell_image(), clf, segments=cell_segments(), hide="black", num_samples=40, progress=False)
    assert exp.probabilities.shape == (2,)
    logit = lw.FunctionClassifier(lambda b: b.mean(axis=(1, 2, 3)) / 50.0 - 2.0, output="logits")
    assert lw.explain(
        cell_image(), logit, segments=cell_segments(), hide="black", num_samples=20, progress=False
    ).probabilities.sum() == pytest.approx(1)


def test_function_classifier_with_input_size_composes_small():
    seen = []

    def fn(b):
        seen.append(b.shape)
        return np.full((len(b), 2), 0.5)

    lw.explain(
        cell_image(),
        lw.FunctionClassifier(fn, input_size=(32, 32)),
        segments=cell_segments(),
        hide="black",
        num_samples=10,
        progress=False,
    )
    assert seen[0][1:] == (32, 32, 3)


class _Calls:
    """A model returning ``make(batch)``, counting the images it was asked to score."""

    def __init__(self, make) -> None:
        self.make = make
        self.calls = 0

    def __call__(self, batch: np.ndarray):
        self.calls += len(batch)
        return self.make(batch)


def _run(clf: lw.Classifier, **kwargs) -> lw.Explanation:
    args = {"segments": cell_segments(), "hide": "black", "num_samples": 40, "progress": False, **kwargs}
    return lw.explain(cell_image(), clf, **args)


# hostile outputs, each refused at the first batch (8 images) with a ModelOutputError saying what is wrong
HOSTILE_OUTPUTS = [
    ("no classes (n, 0)", lambda b: np.zeros((len(b), 0)), "probabilities", r"shape \(8, 0\): no class scores"),
    ("no classes, logits", lambda b: np.zeros((len(b), 0)), "logits", r"shape \(8, 0\): no class scores"),
    ("empty torch tensor", lambda b: torch.zeros((len(b), 0)), "logits", "no class scores"),
    ("NaN", lambda b: np.full((len(b), 2), np.nan), "probabilities", "NaN or infinity"),
    ("inf logits", lambda b: np.full((len(b), 2), np.inf), "logits", "NaN or infinity"),
    ("-inf logits", lambda b: np.full((len(b), 2), -np.inf), "logits", "NaN or infinity"),
    ("negative probabilities", lambda b: np.tile([-0.5, 1.5], (len(b), 1)), "probabilities", "negative values"),
    ("rows not summing to 1", lambda b: np.full((len(b), 3), 0.5), "probabilities", "sum to 1"),
    ("one row too many", lambda b: np.full((len(b) + 1, 2), 0.5), "probabilities", r"shape \(9, 2\)"),
    ("one row too few", lambda b: np.full((len(b) - 1, 2), 0.5), "probabilities", r"shape \(7, 2\)"),
    ("a scalar", lambda b: 0.5, "probabilities", r"shape \(\)"),
    ("None", lambda b: None, "probabilities", r"shape \(\)"),
    ("3-D", lambda b: np.full((len(b), 2, 1), 0.5), "probabilities", r"shape \(8, 2, 1\)"),
    ("strings", lambda b: [["a", "b"]] * len(b), "probabilities", "not numeric"),
    ("ragged rows", lambda b: [[0.5, 0.5]] * (len(b) - 1) + [[1.0]], "probabilities", "not numeric"),
    ("a dict", lambda b: {"p": 1}, "probabilities", "not numeric"),
    ("one column outside [0, 1]", lambda b: np.full(len(b), 3.0), "probabilities", r"outside \[0, 1\]"),
]


@pytest.mark.parametrize(
    ("make", "output", "needle"), [h[1:] for h in HOSTILE_OUTPUTS], ids=[h[0] for h in HOSTILE_OUTPUTS]
)
def test_hostile_outputs_are_refused_at_the_first_batch(make, output, needle):
    fn = _Calls(make)
    with pytest.raises(ModelOutputError, match=needle) as info:
        _run(lw.FunctionClassifier(fn, output=output, batch_size=8))
    assert "samples 0..7" in str(info.value)
    assert fn.calls == 8


def test_a_model_whose_class_count_changes_between_batches_is_refused_at_that_batch():
    def make(b: np.ndarray) -> np.ndarray:
        return np.full((len(b), 2 if fn.calls <= 16 else 3), 0.5 if fn.calls <= 16 else 1 / 3)

    fn = _Calls(make)
    with pytest.raises(ModelOutputError, match=r"samples 16\.\.23.*different numbers of classes.*2 for the first.*3"):
        _run(lw.FunctionClassifier(fn, batch_size=8), num_samples=80)
    assert fn.calls == 24  # the third batch, not the whole run


@pytest.mark.parametrize("output", ["logits", "probabilities"])
@pytest.mark.parametrize(("n_names", "n_columns"), [(3, 2), (1, 2), (5, 4), (2, 3), (1, 1), (3, 1)])
def test_class_names_of_the_wrong_length_are_a_clear_error_at_the_first_batch(output, n_names, n_columns):
    fn = _Calls(lambda b: np.full((len(b), n_columns), 1.0 / max(n_columns, 2) if n_columns > 1 else 0.5))
    names = [f"c{i}" for i in range(n_names)]
    n_classes = max(n_columns, 2)
    with pytest.raises(ModelOutputError, match=rf"{n_classes} classes .* but {n_names} class names") as info:
        _run(lw.FunctionClassifier(fn, class_names=names, output=output, batch_size=8))
    assert f"class_names must have length {n_classes}" in str(info.value)
    assert fn.calls == 8


def test_class_names_of_a_torch_model_returning_logits_are_checked():
    # the regression: logits returned before the names were compared, and the names became "class 0..N"
    module = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(3 * 8 * 8, 4)).eval()
    clf = lw.TorchClassifier(module, transform=lw.Preprocess(resize=(8, 8)), class_names=["a", "b"], batch_size=8)
    with pytest.raises(ModelOutputError, match=r"4 classes .* but 2 class names were given"):
        _run(clf)


@pytest.mark.parametrize("output", ["logits", "probabilities"])
def test_class_names_of_the_right_length_are_kept(output):
    single = lw.FunctionClassifier(lambda b: np.full(len(b), 0.25), class_names=["no", "yes"], output=output)
    assert _run(single).class_names == ["no", "yes"]
    three = lw.FunctionClassifier(lambda b: np.full((len(b), 3), 1 / 3), class_names=["x", "y", "z"], output=output)
    assert _run(three).class_names == ["x", "y", "z"]


@pytest.mark.parametrize(
    ("raw", "output", "expected"),
    [
        (np.array([[0.0, 0.0]]), "logits", [[0.5, 0.5]]),
        (np.array([[1000.0, -1000.0]]), "logits", [[1.0, 0.0]]),
        (np.array([[1e-7, 1.0 - 1e-7]]), "probabilities", [[1e-7, 1.0 - 1e-7]]),
        (np.array([[-1e-9, 1.0 + 1e-9]]), "probabilities", [[-1e-9, 1.0 + 1e-9]]),  # rounding noise is tolerated
        ([[0.25, 0.75]], "probabilities", [[0.25, 0.75]]),
        (torch.tensor([[0.25, 0.75]], dtype=torch.float16), "probabilities", [[0.25, 0.75]]),
        (np.array([0.0]), "logits", [[0.5, 0.5]]),
    ],
)
def test_valid_edge_outputs_give_probabilities(raw, output, expected):
    np.testing.assert_allclose(check_output(raw, 1, output), expected, atol=1e-9)


def test_a_reversed_view_of_the_scores_is_read_like_any_array():
    def reversed_probs(batch):
        p = batch.mean(axis=(1, 2, 3)) / 255.0
        return np.stack([1 - p, p], axis=1)[:, ::-1]  # negative strides

    clf = lw.FunctionClassifier(reversed_probs, output="probabilities")
    out = clf.predict(torch.zeros(2, 3, 4, 4, dtype=torch.uint8))
    assert np.allclose(out, [[0.0, 1.0], [0.0, 1.0]])
