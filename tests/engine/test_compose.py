"""Fills and the composition of masked images."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import lime_widget as lw
from lime_widget.core.segmentation import segment
from lime_widget.engine.compose import Composer, fill_image

from ..helpers import cell_image, cell_segments


def test_fill_modes():
    img, seg = cell_image(), cell_segments()
    mean = fill_image(img, seg, "mean")
    np.testing.assert_array_equal(mean, img)  # uniform cells: the mean is the cell colour
    assert fill_image(img, seg, "black").max() == 0
    assert np.all(fill_image(img, seg, "gray") == 128)
    assert np.all(fill_image(img, seg, (10, 20, 30))[5, 5] == [10, 20, 30])
    assert np.all(fill_image(img, seg, "#0a141e")[5, 5] == [10, 20, 30])
    blurred = fill_image(img, seg, "blur", blur_sigma=3)
    assert blurred.shape == img.shape and not np.array_equal(blurred, img)
    bg = np.zeros((10, 10, 3), dtype=np.uint8)
    assert fill_image(img, seg, bg).shape == img.shape
    with pytest.raises(ValueError, match="hide mode"):
        fill_image(img, seg, "sparkles")
    with pytest.raises(ValueError, match="colour"):
        fill_image(img, seg, (1, 2))


def _identity_torch(size=None):
    class Flat(torch.nn.Module):
        def forward(self, x):
            return torch.stack([x.mean(dim=(1, 2, 3)), 1 - x.mean(dim=(1, 2, 3))], dim=1)

    return lw.TorchClassifier(Flat().eval(), transform=lw.Preprocess(resize=size), output="probabilities")


def test_all_visible_composition_is_exactly_the_model_input_of_the_original():
    img = lw.sample_image("coffee")
    seg = segment(img, "slic", {"n_segments": 40})
    pre = lw.Preprocess(resize=256, crop=224, mean=(0.5, 0.5, 0.5), std=(0.2, 0.2, 0.2))
    clf = lw.TorchClassifier(torch.nn.Identity().eval(), transform=pre, output="probabilities")
    comp = Composer(img, seg, fill_image(img, seg, "mean"), clf)
    x = comp.compose(np.ones((1, comp.n_segments), dtype=bool))[0]
    expected = pre.geometry(torch.from_numpy(img).permute(2, 0, 1).float() / 255.0).clamp(0, 1)
    assert x.shape == (3, 224, 224)
    assert torch.equal(x, expected)


def test_hiding_one_segment_changes_only_its_pixels_full_resolution():
    img, seg = cell_image(), cell_segments()
    fill = fill_image(img, seg, "black")
    clf = lw.FunctionClassifier(lambda b: np.full((len(b), 2), 0.5))
    comp = Composer(img, seg, fill, clf)
    mask = np.ones((1, 64), dtype=bool)
    mask[0, 13] = False
    x = comp.compose(mask)[0].permute(1, 2, 0).numpy()
    assert x.dtype == np.uint8
    changed = np.any(x != img, axis=2)
    np.testing.assert_array_equal(changed, seg == 13)
    assert np.all(x[seg == 13] == 0)


def _mask_then_preprocess(img, seg, fill, pre, masks):
    """The reference: the masked full-resolution image through the model's own geometry."""
    masked = np.where(masks[:, seg][..., None], img, fill)
    return pre.geometry(torch.from_numpy(masked).permute(0, 3, 1, 2).float() / 255.0).clamp(0, 1)


@pytest.mark.parametrize(
    "pre",
    [
        lw.Preprocess(resize=(224, 224), mean=(0.5, 0.5, 0.5), std=(0.2, 0.2, 0.2)),
        lw.Preprocess(resize=256, crop=224),
        lw.Preprocess(resize=(96, 150), interpolation="bicubic"),
        lw.Preprocess(resize=(200, 200), interpolation="nearest"),
        lw.Preprocess(resize=(180, 260), antialias=False),
        lw.Preprocess(resize=160, crop=(250, 170)),  # a crop larger than the resized image pads with zeros
    ],
    ids=["stretch", "resize-crop", "bicubic", "nearest", "no-antialias", "padding-crop"],
)
@pytest.mark.parametrize("channels_last", [False, True])
def test_composition_equals_mask_then_preprocess_on_random_masks(pre, channels_last):
    img = lw.sample_image("coffee")
    seg = segment(img, "slic", {"n_segments": 40})
    fill = fill_image(img, seg, "mean")
    clf = lw.TorchClassifier(
        torch.nn.Identity().eval(), transform=pre, output="probabilities", channels_last=channels_last
    )
    comp = Composer(img, seg, fill, clf)
    assert comp.exact_layers
    masks = np.random.default_rng(3).random((12, comp.n_segments)) < 0.5
    masks[0] = True
    masks[1] = False
    got = comp.compose(masks)
    expected = _mask_then_preprocess(img, seg, fill, pre, masks)
    assert got.shape == expected.shape
    torch.testing.assert_close(got, expected, atol=1e-6, rtol=0)
    assert torch.equal(got[0], expected[0])  # the original, bit for bit
    layout = torch.channels_last if channels_last else torch.contiguous_format
    assert got.is_contiguous(memory_format=layout)


def test_hiding_one_segment_changes_only_pixels_its_resize_reaches():
    img = lw.sample_image("coffee")
    seg = segment(img, "slic", {"n_segments": 40})
    pre = lw.Preprocess(resize=(128, 128))
    comp = Composer(img, seg, fill_image(img, seg, "gray"), _identity_torch(size=(128, 128)))
    mask = np.ones((2, comp.n_segments), dtype=bool)
    mask[1, 7] = False
    x = comp.compose(mask)
    diff = (x[1] != x[0]).any(dim=0)
    # the pixels that change are those whose resize footprint touches superpixel 7, and only those
    footprint = pre.geometry(torch.from_numpy((seg == 7).astype(np.float32))[None])[0] > 0
    assert diff.any()
    assert torch.equal(diff, footprint)
    inside = pre.geometry(torch.from_numpy((seg == 7).astype(np.float32))[None])[0] > 1 - 1e-6
    torch.testing.assert_close(x[1][:, inside], torch.full_like(x[1][:, inside], 128 / 255.0), atol=1e-6, rtol=0)
