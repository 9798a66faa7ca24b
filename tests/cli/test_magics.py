"""The ``%lime`` magic (``%load_ext lime_widget``): argument parsing, image resolution, model cache, errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

import lime_widget as lw
from lime_widget.cli import magics

IPython = pytest.importorskip("IPython")
from IPython.core.interactiveshell import InteractiveShell  # noqa: E402


@pytest.fixture(scope="module")
def shell() -> Any:
    ip = InteractiveShell.instance()
    ip.run_line_magic("load_ext", "lime_widget")
    return ip


class Calls:
    """Stands in for explore / load_model / display: records what they were given."""

    def __init__(self) -> None:
        self.explore: list[tuple[Any, Any, dict[str, Any]]] = []
        self.models: list[str] = []
        self.shown: list[Any] = []


@pytest.fixture
def calls(shell: Any, monkeypatch: pytest.MonkeyPatch) -> Calls:
    rec = Calls()

    def fake_explore(image: Any, model: Any, **kwargs: Any) -> str:
        rec.explore.append((image, model, kwargs))
        return "the widget"

    def fake_load_model(name: str = "efficientnet_lite0", **_: Any) -> str:
        rec.models.append(name)
        return f"model:{name}"

    monkeypatch.setattr("lime_widget.widget.explorer.explore", fake_explore)
    monkeypatch.setattr("lime_widget.models.zoo.load_model", fake_load_model)
    monkeypatch.setattr("IPython.display.display", rec.shown.append)
    monkeypatch.setattr(shell, magics.MODEL_CACHE_ATTR, {}, raising=False)
    return rec


def lime(shell: Any, line: str) -> Any:
    return shell.run_line_magic("lime", line)


def test_load_ext_registers_the_line_magic(shell):
    assert "lime" in shell.magics_manager.magics["line"]
    assert "--num-samples" in shell.magics_manager.magics["line"]["lime"].__doc__


def test_bundled_photo_with_options(shell, calls):
    assert lime(shell, "chelsea --num-samples 50 --preset fast --model resnet18") is None
    (image, model, kwargs) = calls.explore[0]
    np.testing.assert_array_equal(image, lw.sample_image("chelsea"))
    assert model == "model:resnet18" and kwargs == {"num_samples": 50, "preset": "fast"}
    assert calls.shown == ["the widget"]


def test_num_samples_auto_and_defaults(shell, calls):
    lime(shell, "coffee --num-samples auto")
    lime(shell, "coffee")
    assert calls.explore[0][2] == {"num_samples": "auto"} and calls.explore[1][2] == {}
    assert calls.models == ["efficientnet_lite0"]  # the default model, loaded once


def test_models_are_cached_on_the_shell(shell, calls):
    lime(shell, "chelsea --model resnet18")
    lime(shell, "coffee --model resnet18")
    lime(shell, "coffee")
    assert calls.models == ["resnet18", "efficientnet_lite0"]
    assert set(getattr(shell, magics.MODEL_CACHE_ATTR)) == {"resnet18", "efficientnet_lite0"}
    assert not hasattr(magics, "_MODELS")  # not a module global


@pytest.mark.parametrize(
    "value",
    [
        np.zeros((8, 9, 3), np.uint8),
        Image.new("RGB", (9, 8)),
        pytest.param("torch", id="tensor"),
    ],
    ids=["numpy", "pil", "tensor"],
)
def test_variable_holding_an_image(shell, calls, value):
    if isinstance(value, str):
        torch = pytest.importorskip("torch")
        value = torch.zeros(3, 8, 9)
    shell.user_ns["img"] = value
    try:
        lime(shell, "img")
    finally:
        del shell.user_ns["img"]
    assert calls.explore[0][0] is value


def test_variable_wins_over_bundled_name(shell, calls):
    arr = np.ones((4, 4, 3), np.uint8)
    shell.user_ns["chelsea"] = arr
    try:
        lime(shell, "chelsea")
    finally:
        del shell.user_ns["chelsea"]
    assert calls.explore[0][0] is arr


def test_file_path_quoted_with_spaces(shell, calls, tmp_path: Path):
    path = tmp_path / "a photo.png"
    Image.fromarray(np.full((10, 12, 3), 200, np.uint8)).save(path)
    lime(shell, f'"{path}" --num-samples 20')
    image = calls.explore[0][0]
    assert image.shape == (10, 12, 3) and image.dtype == np.uint8
    shell.user_ns["p"] = str(path)  # a variable holding a path is that path
    try:
        lime(shell, "p")
    finally:
        del shell.user_ns["p"]
    assert calls.explore[1][0].shape == (10, 12, 3)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("", "the following arguments are required: image"),
        ("chelsea --num-samples many", "--num-samples"),
        ("chelsea --bogus 3", "unrecognized arguments: --bogus"),
        ('"unclosed', "No closing quotation"),
        ("https://example.com/cat.jpg", "downloads nothing"),
        ("HTTP://example.com/cat.jpg", "downloads nothing"),
        ("no_such_file.png", "no variable, bundled photo"),
        ("not_an_image_var", "holds a int, not an image"),
    ],
)
def test_errors_print_one_line(shell, calls, capsys, line, expected):
    shell.user_ns["not_an_image_var"] = 3
    try:
        assert lime(shell, line) is None
    finally:
        del shell.user_ns["not_an_image_var"]
    err = capsys.readouterr().err
    assert err.startswith("lime: error: ") and err.count("\n") == 1 and expected in err
    assert "Traceback" not in err and calls.explore == [] and calls.shown == []


def test_bad_file_and_folder_are_one_line_errors(shell, calls, capsys, tmp_path: Path):
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"not a png")
    lime(shell, str(bad))
    lime(shell, str(tmp_path))
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 2 and all(x.startswith("lime: error: ") for x in lines)
    assert "folder" in lines[1]


def test_errors_from_model_and_explore_are_one_line(shell, calls, capsys, monkeypatch):
    def unavailable(name: str = "", **_: Any) -> Any:
        raise lw.ModelUnavailableError(f"cannot load {name}:\nno internet")

    monkeypatch.setattr("lime_widget.models.zoo.load_model", unavailable)
    lime(shell, "chelsea --model resnet18")

    def bad_preset(image: Any, model: Any, **kwargs: Any) -> Any:
        raise ValueError(f"unknown preset {kwargs['preset']!r}")

    monkeypatch.setattr("lime_widget.widget.explorer.explore", bad_preset)
    getattr(shell, magics.MODEL_CACHE_ATTR)["efficientnet_lite0"] = "cached model"
    lime(shell, "chelsea --preset nope")
    lines = capsys.readouterr().err.splitlines()
    assert lines == ["lime: error: cannot load resnet18: no internet", "lime: error: unknown preset 'nope'"]


def test_help_prints_usage_and_nothing_else(shell, calls, capsys):
    lime(shell, "--help")
    out = capsys.readouterr()
    assert "usage: %lime" in out.out and out.err == "" and calls.explore == []


def test_a_real_widget_from_the_magic(shell, monkeypatch, embedded_model):
    """One end-to-end run: the embedded model, a real explanation and a real LimeWidget."""
    shown: list[Any] = []
    monkeypatch.setattr("IPython.display.display", shown.append)
    monkeypatch.setattr(shell, magics.MODEL_CACHE_ATTR, {"efficientnet_lite0": embedded_model}, raising=False)
    lime(shell, "chelsea --num-samples 30")
    (w,) = shown
    try:
        assert isinstance(w, lw.LimeWidget)
        assert w.explanation.config.num_samples == 30
        assert w.explanation.class_names[w.explanation.top_labels[0]]
    finally:
        w.close()
