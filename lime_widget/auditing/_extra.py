"""The ``audit`` extra: Dask distributed, pandas and pyarrow are not core dependencies. Whatever needs them
checks first, so that without them it fails at once, in one line naming the extra, before any work."""

from __future__ import annotations

import importlib

# What each entry point needs: the audit runs on distributed and writes parquet; a result's table is pandas.
AUDIT_ENGINE = ("distributed", "pandas", "pyarrow")
TABLE_ENGINE = ("pandas", "pyarrow")
INSTALL = 'pip install "lime-widget[audit]"'


class MissingExtraError(ImportError):
    """A feature of the ``audit`` extra was used without it installed."""


def require_extra(what: str, modules: tuple[str, ...] = AUDIT_ENGINE) -> None:
    """Raise :class:`MissingExtraError` (one line naming the extra) unless every module imports.

    what: the feature, for the message (``lw.audit``); modules: the packages it needs.
    """
    missing = []
    for name in modules:
        try:
            importlib.import_module(name)
        except ImportError:
            missing.append(name)
    if missing:
        raise MissingExtraError(f"{what} needs the audit extra ({', '.join(missing)} not installed): {INSTALL}")
