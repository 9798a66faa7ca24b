"""The check that the audit extra is installed (no cluster; a missing package is simulated in sys.modules)."""

from __future__ import annotations

import sys

import pytest

from lime_widget.auditing._extra import (
    AUDIT_ENGINE,
    INSTALL,
    TABLE_ENGINE,
    MissingExtraError,
    require_extra,
)


def _missing(monkeypatch: pytest.MonkeyPatch, *names: str) -> None:
    """Make ``import name`` fail as for a package that is not installed (None in sys.modules)."""
    for name in names:
        monkeypatch.setitem(sys.modules, name, None)


def test_the_extra_is_named_as_pip_installs_it():
    assert INSTALL == 'pip install "lime-widget[audit]"'
    assert AUDIT_ENGINE == ("distributed", "pandas", "pyarrow")
    assert set(TABLE_ENGINE) <= set(AUDIT_ENGINE) and "distributed" not in TABLE_ENGINE
    assert issubclass(MissingExtraError, ImportError)  # `except ImportError` still catches it


def test_passes_when_every_module_imports():
    assert require_extra("lw.audit", ("json", "math")) is None


def test_passes_when_the_table_engine_is_installed():
    pytest.importorskip("pandas")
    pytest.importorskip("pyarrow")
    assert require_extra("lw.AuditResult.open", TABLE_ENGINE) is None


@pytest.mark.parametrize("name", AUDIT_ENGINE)
def test_a_missing_module_is_one_line_naming_it_and_the_extra(monkeypatch, name):
    _missing(monkeypatch, name)
    with pytest.raises(MissingExtraError) as info:
        require_extra("lw.audit", ("json", name))
    message = str(info.value)
    assert message == f'lw.audit needs the audit extra ({name} not installed): pip install "lime-widget[audit]"'
    assert "\n" not in message


def test_every_missing_module_is_listed_in_order_and_the_feature_named(monkeypatch):
    _missing(monkeypatch, "pandas", "pyarrow")
    with pytest.raises(
        MissingExtraError, match=r"^lw\.AuditResult\.open needs the audit extra \(pandas, pyarrow "
    ) as info:
        require_extra("lw.AuditResult.open", TABLE_ENGINE)
    assert str(info.value).endswith(INSTALL) and len(str(info.value).splitlines()) == 1


def test_the_default_modules_are_the_audit_engine(monkeypatch):
    _missing(monkeypatch, "distributed")
    with pytest.raises(MissingExtraError, match=r"\(distributed not installed\)"):
        require_extra("lw.audit")


def test_a_package_that_fails_to_import_counts_as_missing(monkeypatch, tmp_path):
    """A broken install (the package's own import raises ImportError) gets the same one-line message."""
    (tmp_path / "broken_extra_pkg.py").write_text("raise ImportError('libarrow.so: cannot open shared object')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "broken_extra_pkg", raising=False)
    with pytest.raises(MissingExtraError, match=r"\(broken_extra_pkg not installed\): pip install"):
        require_extra("lw.audit", ("json", "broken_extra_pkg"))
