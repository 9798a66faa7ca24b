"""The one loader of the built front end (lime_widget.render._static): a missing bundle is a
FrontEndNotBuiltError that names the path and says to run `npm run build`."""

from __future__ import annotations

from pathlib import Path

import pytest

import lime_widget
from lime_widget.render import _static
from lime_widget.render._static import FrontEndNotBuiltError, read_static, static_path


def test_the_bundles_live_in_the_package_static_folder():
    assert Path(lime_widget.__file__).resolve().parent / "static" == _static.STATIC


def test_a_built_asset_is_found_and_read_as_utf8(tmp_path, monkeypatch):
    monkeypatch.setattr(_static, "STATIC", tmp_path)
    (tmp_path / "widget.js").write_bytes("export default { render() {} }; // größe ✓\n".encode())
    assert static_path("widget.js") == tmp_path / "widget.js"
    assert read_static("widget.js") == "export default { render() {} }; // größe ✓\n"


@pytest.mark.parametrize("reader", [static_path, read_static], ids=["static_path", "read_static"])
def test_a_missing_asset_names_the_path_and_the_build_command(tmp_path, monkeypatch, reader):
    monkeypatch.setattr(_static, "STATIC", tmp_path)
    (tmp_path / "gallery.js").write_text("// another bundle")
    with pytest.raises(FrontEndNotBuiltError) as info:
        reader("widget.js")
    message = str(info.value)
    assert str(tmp_path / "widget.js") in message
    assert "npm run build" in message and "not built" in message
    assert isinstance(info.value, RuntimeError)


def test_a_missing_static_folder_and_a_folder_in_place_of_the_file(tmp_path, monkeypatch):
    monkeypatch.setattr(_static, "STATIC", tmp_path / "static")
    with pytest.raises(FrontEndNotBuiltError, match="npm run build"):
        read_static("widget.css")
    (tmp_path / "static" / "widget.css").mkdir(parents=True)  # not a file: still not built
    with pytest.raises(FrontEndNotBuiltError, match=r"widget\.css is missing"):
        static_path("widget.css")
