"""MkDocs hook: the docstrings use a few reST roles (:func:`explain`); show them as code, without the role."""

from __future__ import annotations

import re
from typing import Any

_ROLE = re.compile(r":(?:func|class|meth|mod|attr|exc|data|obj):<code>~?(?:[\w.]*\.)?([\w.]+)</code>")


def on_page_content(html: str, page: Any, config: Any, files: Any) -> str:
    return _ROLE.sub(r"<code>\1</code>", html)
