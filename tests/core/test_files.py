"""The one atomic file writer (lime_widget.core._files): a file that exists is always whole, a failed write
leaves the old file and no temporary file behind, and a new file gets the permissions the umask gives."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from lime_widget.core import _files
from lime_widget.core._files import atomic_path, atomic_write_bytes, atomic_write_text


@pytest.fixture
def umask() -> Iterator[None]:
    """Restore the process umask after a test that sets it."""
    old = os.umask(0o022)
    os.umask(old)
    try:
        yield
    finally:
        os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_bytes_and_text_are_written_whole(tmp_path):
    out = atomic_write_bytes(tmp_path / "a.bin", bytes(range(256)))
    assert out == tmp_path / "a.bin" and isinstance(out, Path)
    assert out.read_bytes() == bytes(range(256))
    text = "größe: 5 × 5 — ✓\nline two\r\n"
    out = atomic_write_text(str(tmp_path / "a.txt"), text)  # a str path works too
    assert out == tmp_path / "a.txt"
    assert out.read_bytes() == text.encode("utf-8")  # UTF-8, newlines as given
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.bin", "a.txt"]


def test_an_existing_file_is_replaced(tmp_path):
    path = tmp_path / "e.json"
    path.write_text("old, and longer than the new content")
    atomic_write_text(path, "new")
    assert path.read_text() == "new"
    atomic_write_bytes(path, b"")
    assert path.read_bytes() == b""
    assert [p.name for p in tmp_path.iterdir()] == ["e.json"]


@pytest.mark.parametrize("mask", [0o022, 0o077, 0o002])
def test_the_mode_is_what_the_umask_gives_a_new_file(tmp_path, umask, mask):
    os.umask(mask)
    written = atomic_write_bytes(tmp_path / "w.bin", b"x")
    text = atomic_write_text(tmp_path / "t.txt", "x")
    with atomic_path(tmp_path / "p.bin") as tmp:
        tmp.write_bytes(b"x")
    plain = tmp_path / "plain"
    plain.write_bytes(b"x")  # what open() gives a new file under the same umask
    assert _mode(written) == _mode(text) == _mode(tmp_path / "p.bin") == 0o666 & ~mask == _mode(plain)


def test_replacing_a_file_gives_the_umask_mode_not_the_old_one(tmp_path, umask):
    os.umask(0o022)
    path = tmp_path / "f"
    path.write_bytes(b"old")
    path.chmod(0o600)
    atomic_write_bytes(path, b"new")
    assert _mode(path) == 0o644


def test_a_failed_replace_leaves_the_old_file_and_no_temporary_file(tmp_path, monkeypatch):
    path = tmp_path / "e.json"
    path.write_text("old")

    def broken_replace(src, dst):
        assert Path(src).parent == tmp_path  # the temporary file is in the same folder (same file system)
        assert Path(src).read_bytes() == b"new"  # and whole before the rename
        raise OSError("disk full")

    monkeypatch.setattr(_files.os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        atomic_write_bytes(path, b"new")
    with pytest.raises(OSError, match="disk full"):
        atomic_write_text(path, "new")
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["e.json"]


def test_a_failed_write_leaves_the_old_file_and_no_temporary_file(tmp_path):
    path = tmp_path / "e.json"
    path.write_text("old")
    with pytest.raises(TypeError):
        atomic_write_bytes(path, "not bytes")  # type: ignore[arg-type]
    with pytest.raises(UnicodeEncodeError):
        atomic_write_text(path, "half a surrogate \ud800")
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["e.json"]


def test_a_missing_folder_is_an_error_and_creates_nothing(tmp_path):
    with pytest.raises(FileNotFoundError):
        atomic_write_text(tmp_path / "missing" / "e.json", "x")
    assert list(tmp_path.iterdir()) == []


def test_atomic_path_replaces_only_when_the_block_succeeds(tmp_path):
    path = tmp_path / "table.parquet"
    path.write_bytes(b"old")
    with atomic_path(path) as tmp:
        assert tmp.parent == tmp_path and tmp != path
        tmp.write_bytes(b"half")
        assert path.read_bytes() == b"old"  # a reader sees the old file until the block ends
        tmp.write_bytes(b"new")
    assert path.read_bytes() == b"new"
    assert [p.name for p in tmp_path.iterdir()] == ["table.parquet"]


@pytest.mark.parametrize("error", [RuntimeError("writer failed"), KeyboardInterrupt()], ids=["error", "interrupt"])
def test_atomic_path_cleans_up_after_any_error(tmp_path, error):
    path = tmp_path / "table.parquet"
    path.write_bytes(b"old")
    with pytest.raises(type(error)):
        with atomic_path(path) as tmp:
            tmp.write_bytes(b"partial")
            raise error
    assert path.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["table.parquet"]


def test_atomic_path_cleans_up_when_the_writer_never_wrote(tmp_path):
    path = tmp_path / "new.bin"
    with pytest.raises(ValueError):
        with atomic_path(path):
            raise ValueError("nothing written")
    assert list(tmp_path.iterdir()) == []
