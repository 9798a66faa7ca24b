"""What the framework adapters share (lime_widget.models._adapters): telling a framework's objects apart by
the module of their class, reading a ``preprocess=`` argument, and per-channel values."""

from __future__ import annotations

import sys
from types import SimpleNamespace

import numpy as np
import pytest

import lime_widget as lw
from lime_widget.models._adapters import from_package, three, to_preprocess

# --- from_package --------------------------------------------------------------------------------------------

# classes that say they were defined in a package that is not installed (and never imported here)
FakeModel = type("FakeModel", (), {"__module__": "fakeframework.models.vit"})
FakeRoot = type("FakeRoot", (), {"__module__": "fakeframework"})


class LocalSubclass(FakeModel):
    """A class of this test module that derives from the fake package's class."""


def test_a_class_defined_in_the_package_or_a_subpackage_is_from_it():
    assert from_package(FakeModel(), "fakeframework")
    assert from_package(FakeModel(), "fakeframework.models")
    assert from_package(FakeRoot(), "fakeframework")
    assert "fakeframework" not in sys.modules  # nothing was imported to tell


def test_a_subclass_of_a_package_class_is_from_the_package():
    obj = LocalSubclass()
    assert type(obj).__module__ == __name__
    assert from_package(obj, "fakeframework")
    assert from_package(obj, __name__)


def test_other_objects_are_not_from_the_package():
    assert not from_package(object(), "fakeframework")
    assert not from_package(3, "fakeframework")
    assert not from_package(FakeModel(), "fake")  # a prefix of the name, not a parent package
    assert not from_package(FakeModel(), "fakeframework.models.vi")
    assert not from_package(FakeModel(), "models")
    assert not from_package(np.zeros(2), "torch")


def test_a_class_without_a_module_name_is_from_no_package():
    Anonymous = type("Anonymous", (), {})
    Anonymous.__module__ = None  # type: ignore[assignment]
    assert not from_package(Anonymous(), "fakeframework")


# --- to_preprocess -------------------------------------------------------------------------------------------


def test_a_preprocess_passes_through():
    pre = lw.Preprocess(resize=256, crop=224, mean=(0.5, 0.5, 0.5), std=(0.2, 0.2, 0.2))
    assert to_preprocess(pre) is pre
    assert to_preprocess(pre, "transform") is pre


@pytest.mark.parametrize(
    ("weights", "resize"),
    [("ResNet50_Weights", 232), ("ResNet18_Weights", 256)],  # the V2 recipe resizes to 232, the V1 to 256
)
def test_a_torchvision_weights_preset_becomes_a_preprocess(weights, resize):
    models = pytest.importorskip("torchvision.models")
    preset = getattr(models, weights).DEFAULT.transforms()
    pre = to_preprocess(preset)
    assert isinstance(pre, lw.Preprocess)
    assert pre.resize == resize and pre.crop == 224
    assert pre.mean == pytest.approx((0.485, 0.456, 0.406)) and pre.std == pytest.approx((0.229, 0.224, 0.225))
    assert pre.interpolation == "bilinear" and pre.antialias is True


def test_anything_with_the_preset_attributes_is_read_as_one():
    preset = SimpleNamespace(resize_size=[232], crop_size=[224], mean=[0.5] * 3, std=[0.25] * 3)
    pre = to_preprocess(preset)
    assert (pre.resize, pre.crop, pre.mean, pre.std) == (232, 224, (0.5,) * 3, (0.25,) * 3)


@pytest.mark.parametrize(
    "value",
    [None, "imagenet", 224, {"resize": 256}, SimpleNamespace(resize_size=[256], crop_size=[224], mean=[0.5] * 3)],
)
def test_anything_else_is_a_type_error_naming_the_argument(value):
    with pytest.raises(TypeError, match=r"^preprocess must be a lime_widget\.Preprocess or a torchvision weights"):
        to_preprocess(value)
    with pytest.raises(TypeError, match=rf"^transform must be .*; got {type(value).__name__}$"):
        to_preprocess(value, "transform")


# --- three ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [0.5, [0.5], (0.5,), np.float32(0.5), np.array([0.5])])
def test_one_value_is_used_for_the_three_channels(value):
    assert three(value, "mean") == (0.5, 0.5, 0.5)


@pytest.mark.parametrize("value", [[0.1, 0.2, 0.3], (0.1, 0.2, 0.3), np.array([0.1, 0.2, 0.3]), [[0.1, 0.2, 0.3]]])
def test_three_values_give_a_tuple_of_floats(value):
    out = three(value, "std")
    assert out == pytest.approx((0.1, 0.2, 0.3))
    assert isinstance(out, tuple) and all(type(v) is float for v in out)


@pytest.mark.parametrize("value", [[0.1, 0.2], [], [1, 2, 3, 4]])
def test_other_counts_are_a_value_error_naming_the_argument(value):
    with pytest.raises(ValueError, match=r"^image_mean must have 1 or 3 values \(RGB\); got "):
        three(value, "image_mean")
