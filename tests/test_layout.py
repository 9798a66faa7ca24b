"""Guards on the layout of the code: file sizes, no import cycles, the layers contract without exceptions,
one test file per module, and no subpackage that shadows a public name of ``lime_widget``."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping
from pathlib import Path

import pytest

import lime_widget

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10
    tomllib = pytest.importorskip("tomli")

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "lime_widget"
TESTS = ROOT / "tests"
JS_SRC = ROOT / "js" / "src"

MAX_PYTHON_LINES = 600
MAX_TS_LINES = 450
MAX_INDEX_TS_LINES = 300

#: Modules (path under lime_widget/) that have no test file of their own, each with the reason. Keep it empty
#: where possible: a module without tests/<package>/test_<module>.py is a module whose tests nobody can find.
NO_TEST_FILE: dict[str, str] = {}


def _lines(path: Path) -> int:
    """The number of lines, as ``wc -l`` counts them for a file that ends with a newline."""
    return len(path.read_text(encoding="utf-8").splitlines())


def _too_long(paths: Iterable[Path], limit: int) -> list[str]:
    return [f"{p.relative_to(ROOT)}: {n} lines" for p in sorted(paths) if (n := _lines(p)) > limit]


# --- file sizes ----------------------------------------------------------------------------------------------


def test_no_python_module_is_over_600_lines():
    long = _too_long(PACKAGE.rglob("*.py"), MAX_PYTHON_LINES)
    assert not long, f"split these modules (at most {MAX_PYTHON_LINES} lines each): " + "; ".join(long)


def test_no_typescript_file_is_over_450_lines():
    sources = [*JS_SRC.rglob("*.ts"), *JS_SRC.rglob("*.tsx")]
    assert sources, f"no TypeScript sources under {JS_SRC}"
    long = _too_long(sources, MAX_TS_LINES)
    assert not long, f"split these files (at most {MAX_TS_LINES} lines each): " + "; ".join(long)


def test_the_widget_entry_point_stays_small():
    n = _lines(JS_SRC / "index.ts")
    assert n <= MAX_INDEX_TS_LINES, f"js/src/index.ts has {n} lines; at most {MAX_INDEX_TS_LINES}: move code out"


# --- imports -------------------------------------------------------------------------------------------------


def strongly_connected(graph: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components of a directed graph (node -> nodes it points to), iteratively
    (no recursion limit). Returns every component, each sorted; a cycle is a component of two or more nodes
    or a node that points to itself."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    out: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work: list[tuple[str, Iterable[str]]] = []
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        work.append((root, iter(sorted(graph.get(root, ())))))
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    out.append(sorted(component))
    return out


def cycles(graph: Mapping[str, Iterable[str]]) -> list[list[str]]:
    return [c for c in strongly_connected(graph) if len(c) > 1 or c[0] in set(graph.get(c[0], ()))]


@pytest.mark.parametrize(
    ("graph", "expected"),
    [
        ({"a": ["b"], "b": ["c"], "c": []}, []),
        ({"a": ["b"], "b": ["a"]}, [["a", "b"]]),
        ({"a": ["a"]}, [["a"]]),
        ({"a": ["b"], "b": ["c"], "c": ["a", "d"], "d": ["e"], "e": ["d"], "f": ["a"]}, [["a", "b", "c"], ["d", "e"]]),
        ({"x": ["y"], "y": ["z"], "z": ["y"]}, [["y", "z"]]),
    ],
)
def test_the_cycle_finder_itself(graph, expected):
    assert sorted(cycles(graph)) == expected


def import_cycles(package: str) -> tuple[list[list[str]], str]:
    """The import cycles among the modules of ``package`` and a report of the imports that make them.

    Imports inside functions count (grimp reads every import statement); imports under ``TYPE_CHECKING`` do
    not (they never run).
    """
    import grimp

    graph = grimp.build_graph(
        package, include_external_packages=False, exclude_type_checking_imports=True, cache_dir=None
    )
    edges = {m: graph.find_modules_directly_imported_by(m) for m in graph.modules}
    found = cycles(edges)
    report = []
    for component in found:
        members = set(component)
        lines = [
            f"    {d['importer']}:{d['line_number']} {d['line_contents']}"
            for m in component
            for target in sorted(edges[m] & members)
            for d in graph.get_import_details(importer=m, imported=target)
        ]
        report.append(" <-> ".join(component) + "\n" + "\n".join(lines))
    return found, "\n".join(report)


def test_the_cycle_check_counts_function_imports_and_skips_type_checking(tmp_path, monkeypatch):
    """What the check below relies on grimp for, on a package made for it."""
    pkg = tmp_path / "cyclepkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from . import b\n")
    (pkg / "b.py").write_text("def later():\n    from . import a\n    return a\n")  # a <-> b, in a function
    (pkg / "c.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from . import d\n"
    )  # c <-> d only for the type checker: no cycle
    (pkg / "d.py").write_text("from . import c\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    found, report = import_cycles("cyclepkg")
    assert found == [["cyclepkg.a", "cyclepkg.b"]]
    assert "cyclepkg.b:2 from . import a" in report


def test_no_import_cycle_among_the_modules():
    found, report = import_cycles("lime_widget")
    assert not found, "import cycles (imports inside functions included):\n" + report


def _contracts() -> list[dict]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return config["tool"]["importlinter"]["contracts"]


def test_the_layers_contract_has_no_exceptions():
    contracts = _contracts()
    assert contracts, "pyproject.toml has no import-linter contract"
    with_exceptions = [c["name"] for c in contracts if c.get("ignore_imports")]
    assert not with_exceptions, f"contracts with ignore_imports (fix the import instead): {with_exceptions}"


def test_every_subpackage_is_in_the_layers_contract():
    """A package left out of the layers is checked by nothing."""
    layered = {
        name.strip()
        for c in _contracts()
        if c.get("type") == "layers"
        for layer in c["layers"]
        for name in layer.split("|")
    }
    packages = {f"lime_widget.{p.parent.name}" for p in PACKAGE.glob("*/__init__.py")}
    assert not packages - layered, f"subpackages outside the layers contract: {sorted(packages - layered)}"


# --- tests mirror the tree -----------------------------------------------------------------------------------


def _expected_test_file(module: Path) -> Path:
    """lime_widget/<package>/<module>.py -> tests/<package>/test_<module without a leading underscore>.py"""
    rel = module.relative_to(PACKAGE)
    return TESTS.joinpath(*rel.parts[:-1], f"test_{module.stem.lstrip('_')}.py")


def test_every_module_has_a_test_file_of_its_own():
    modules = [p for p in sorted(PACKAGE.glob("*/**/*.py")) if p.name != "__init__.py"]
    assert modules, "no modules found"
    missing = [
        f"{m.relative_to(ROOT)} -> {_expected_test_file(m).relative_to(ROOT)}"
        for m in modules
        if not _expected_test_file(m).is_file() and str(m.relative_to(PACKAGE)) not in NO_TEST_FILE
    ]
    assert not missing, "modules without their test file:\n  " + "\n  ".join(missing)


def test_the_allow_list_names_only_modules_that_exist():
    stale = [m for m in NO_TEST_FILE if not (PACKAGE / m).is_file() or _expected_test_file(PACKAGE / m).is_file()]
    assert not stale, f"remove these from NO_TEST_FILE (gone, or they have a test file now): {stale}"


# --- public names --------------------------------------------------------------------------------------------


def test_no_subpackage_or_module_has_the_name_of_a_public_name():
    """Importing lime_widget.<name> sets the attribute lime_widget.<name> to the module, which then hides the
    lazily exported function of that name (why the audit package is ``auditing``)."""
    children = {p.parent.name for p in PACKAGE.glob("*/__init__.py")}
    children |= {p.stem for p in PACKAGE.glob("*.py") if p.name != "__init__.py"}
    clashes = sorted(children & set(lime_widget._EXPORTS))
    assert not clashes, f"rename these subpackages/modules, they shadow public names of lime_widget: {clashes}"
