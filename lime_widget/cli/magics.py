"""The ``%lime`` IPython magic: ``%load_ext lime_widget``, then ``%lime IMAGE [--model NAME] [--num-samples N]
[--preset P]`` shows the explorer widget.

IMAGE is, in this order: a variable of the notebook holding an image (numpy array, PIL image, torch tensor; a
variable holding a path is read as that path), a bundled photo name (``chelsea``, ``coffee``, ...), or a
file path. URLs are refused: nothing is downloaded. Models are loaded once per shell and kept on it, so a
second ``%lime`` with the same model starts at once. Every error prints one line, ``lime: error: ...``, on
stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import sys
from pathlib import Path
from typing import Any, NoReturn

from .commands import num_samples_arg

MODEL_CACHE_ATTR = "_lime_widget_models"  # on the shell: model name -> loaded classifier
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


class MagicArgumentError(ValueError):
    """The arguments of ``%lime`` cannot be parsed."""


class _HelpShown(Exception):
    """``%lime --help`` printed the help: nothing else to do."""


class _Parser(argparse.ArgumentParser):
    """argparse that raises instead of exiting the kernel."""

    def error(self, message: str) -> NoReturn:
        raise MagicArgumentError(message)

    def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
        if status:
            raise MagicArgumentError((message or "invalid arguments").strip())
        if message:
            print(message, file=sys.stderr, end="")
        raise _HelpShown


def _parser() -> _Parser:
    parser = _Parser(
        prog="%lime",
        description="Explain an image with LIME and show the interactive explorer.",
        add_help=True,
    )
    parser.add_argument("image", help="a variable holding an image, a bundled photo name, or a file path")
    parser.add_argument("--model", default=None, help="a model name for lime_widget.load_model (default: embedded)")
    parser.add_argument("--num-samples", type=num_samples_arg, default=None, help="perturbed images, or 'auto'")
    parser.add_argument("--preset", default=None, help="a recipe of lime_widget.PRESETS")
    return parser


def _is_image(value: Any) -> bool:
    """A numpy array, a PIL image or a torch tensor (checked without importing PIL or torch)."""
    import numpy as np

    if isinstance(value, np.ndarray):
        return True
    pil = sys.modules.get("PIL.Image")
    if pil is not None and isinstance(value, pil.Image):
        return True
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(value, torch.Tensor)


def resolve_image(name: str, user_ns: dict[str, Any]) -> Any:
    """What ``%lime NAME`` explains: a variable's image, a bundled photo, or the image read from a file."""
    from ..core import images

    if name in user_ns:
        value = user_ns[name]
        if _is_image(value):
            return value
        if isinstance(value, (str, os.PathLike)):
            return resolve_image(os.fspath(value), {})
        if name not in images.SAMPLE_IMAGES and not Path(name).expanduser().is_file():
            raise TypeError(
                f"variable {name!r} holds a {type(value).__name__}, not an image "
                "(give a numpy array, a PIL image, a torch tensor or a path)"
            )
    if _URL.match(name):
        raise ValueError(f"{name!r} is a URL; %lime downloads nothing: save the image and give its path")
    if name in images.SAMPLE_IMAGES:
        return images.sample_image(name)
    path = Path(name).expanduser()
    if not path.exists():
        raise FileNotFoundError(
            f"{name!r} is no variable, bundled photo ({', '.join(images.SAMPLE_IMAGES)}) or existing file"
        )
    if path.is_dir():
        raise IsADirectoryError(f"{name!r} is a folder; give an image file")
    return images.load_image(path)


def _model(shell: Any, name: str | None) -> Any:
    """The classifier for ``--model``, loaded once per shell."""
    from ..models import zoo as models

    key = name or models.EMBEDDED
    cache: dict[str, Any] | None = getattr(shell, MODEL_CACHE_ATTR, None)
    if cache is None:
        cache = {}
        try:
            setattr(shell, MODEL_CACHE_ATTR, cache)
        except Exception:  # a shell that takes no attributes: load every time
            pass
    if key not in cache:
        cache[key] = models.load_model(key)
    return cache[key]


def lime_magic(shell: Any, line: str) -> None:
    """The body of ``%lime``: parse, resolve, explain, display. Errors print one line on stderr."""
    from ..models import zoo as models
    from ..widget import explorer as widget

    try:
        try:
            words = shlex.split(line)
        except ValueError as err:  # an unclosed quote
            raise MagicArgumentError(str(err)) from None
        args = _parser().parse_args(words)
        image = resolve_image(args.image, getattr(shell, "user_ns", None) or {})
        model = _model(shell, args.model)
        kwargs: dict[str, Any] = {}
        if args.num_samples is not None:
            kwargs["num_samples"] = args.num_samples
        if args.preset is not None:
            kwargs["preset"] = args.preset
        explorer = widget.explore(image, model, **kwargs)
    except _HelpShown:
        return
    except (ValueError, TypeError, OSError, models.ModelUnavailableError, widget.FrontEndNotBuiltError) as err:
        message = " ".join(str(err).split()) or type(err).__name__
        print(f"lime: error: {message}", file=sys.stderr)
        return
    from IPython.display import display

    display(explorer)


def load_ipython_extension(ipython: Any) -> None:
    """Register ``%lime`` on ``ipython`` (``%load_ext lime_widget``)."""

    def lime(line: str) -> None:
        lime_magic(ipython, line)

    lime.__doc__ = _parser().format_help()
    ipython.register_magic_function(lime, magic_kind="line", magic_name="lime")
