"""TorchClassifier falls back from channels-last only for the layout error it exists for."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import lime_widget as lw


class Flatten(torch.nn.Module):
    """Calls .view() on its input, which a channels-last tensor cannot do."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.fc = torch.nn.Linear(3 * 8 * 8, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(x.view(x.shape[0], -1))


class Failing(torch.nn.Module):
    """Raises the given error on every call and counts the calls."""

    def __init__(self, error: RuntimeError) -> None:
        super().__init__()
        self.error = error
        self.calls = 0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.calls += 1
        raise self.error


def batch() -> torch.Tensor:
    rng = np.random.default_rng(0)
    return torch.from_numpy(rng.integers(0, 256, size=(5, 3, 8, 8), dtype=np.uint8))


def test_view_on_the_input_falls_back_with_identical_scores():
    module = Flatten().eval()
    plain = lw.TorchClassifier(module, channels_last=False)
    fast = lw.TorchClassifier(module, channels_last=True)
    with pytest.raises(RuntimeError, match="view size is not compatible"):  # what the fallback exists for
        module(batch().float().contiguous(memory_format=torch.channels_last))
    expected = plain.predict(batch())
    got = fast.predict(batch())
    np.testing.assert_array_equal(got, expected)
    assert fast.channels_last is False  # switched off for good
    np.testing.assert_array_equal(fast.predict(batch()), expected)


@pytest.mark.parametrize(
    "error",
    [
        RuntimeError("CUDA out of memory"),
        torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB"),  # a RuntimeError subclass
        RuntimeError("mat1 and mat2 shapes cannot be multiplied (5x192 and 10x4)"),  # a bug in the model
    ],
)
def test_any_other_runtime_error_propagates_and_channels_last_stays_on(error):
    module = Failing(error).eval()
    clf = lw.TorchClassifier(module, channels_last=True)
    with pytest.raises(type(error)) as caught:
        clf.predict(batch())
    assert caught.value is error  # unchanged
    assert clf.channels_last is True
    assert module.calls == 1  # not re-run in the other layout
