"""The package's structure: no import cycles between its modules, none of them imports the package
root (``fake_cdyne/__init__``), which loads names lazily for the pytest plugin and must stay a leaf;
every deliberate error is a FakeCdyneError; no module is over 400 lines.

The import graph is read from the source with ``ast``, every import counted wherever it stands (module
level or inside a function), except those under ``if TYPE_CHECKING:``, which never run.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import fake_cdyne
from fake_cdyne.errors import FakeCdyneError

PACKAGE = Path(fake_cdyne.__file__).parent
ROOT = "fake_cdyne"
MODULES = sorted(path for path in PACKAGE.rglob("*.py") if path.name != "__init__.py" or path.parent != PACKAGE)


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imported(module: str, is_package: bool, tree: ast.AST, known: set[str]) -> set[str]:
    """The package's modules that ``module`` imports (``from . import x`` names module ``x``)."""
    found: set[str] = set()
    pending: list[ast.AST] = [tree]
    while pending:
        node = pending.pop()
        if isinstance(node, ast.If) and _is_type_checking(node):
            pending.extend(node.orelse)
            continue
        pending.extend(ast.iter_child_nodes(node))
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".") if is_package else module.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                origin = ".".join([*base, *([node.module] if node.module else [])])
            else:
                origin = node.module or ""
            # "from . import control" imports the module control; "from . import Config", the package's name
            targets = [f"{origin}.{a.name}" if f"{origin}.{a.name}" in known else origin for a in node.names]
        for target in targets:
            if target in known:
                found.add(target)
    found.discard(module)
    return found


def import_graph() -> dict[str, set[str]]:
    files = {_module_name(path): path for path in PACKAGE.rglob("*.py")}
    known = set(files)
    graph: dict[str, set[str]] = {}
    for name, path in files.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        graph[name] = _imported(name, path.name == "__init__.py", tree, known)
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle as a list of modules (the first repeated at the end), or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: finished
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_the_graph_sees_relative_function_level_and_package_imports() -> None:
    graph = import_graph()
    assert "fake_cdyne.codecs.xml" in graph["fake_cdyne.codecs.query"]  # from . import xml as xml_codec
    assert "fake_cdyne.requests" in graph["fake_cdyne.codecs"]  # from ..requests import
    assert "fake_cdyne.sms2" in graph["fake_cdyne.wsdl"]  # a package's __init__, two levels up
    assert "fake_cdyne.control" in graph["fake_cdyne.app"]
    assert ROOT not in graph["fake_cdyne.app"]
    names = ast.parse("from . import Config\n")
    assert _imported("fake_cdyne.x", False, names, {ROOT, "fake_cdyne.x"}) == {ROOT}
    tree = ast.parse("def f():\n    from .model import SMSError\n")
    assert _imported("fake_cdyne.x", False, tree, {"fake_cdyne.model"}) == {"fake_cdyne.model"}
    guarded = ast.parse("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .model import SMSError\n")
    assert _imported("fake_cdyne.x", False, guarded, {"fake_cdyne.model"}) == set()


def test_no_import_cycles() -> None:
    assert find_cycle(import_graph()) is None


def test_no_module_imports_the_package_root() -> None:
    importers = sorted(name for name, imported in import_graph().items() if ROOT in imported and name != ROOT)
    assert importers == []


def test_every_error_the_fake_raises_on_purpose_is_a_fake_cdyne_error() -> None:
    """One root, so ``except FakeCdyneError`` catches what the fake means; private signals excepted."""
    outside = []
    for path in MODULES:
        if path.name == "__main__.py":
            continue  # importing it runs the command line
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        module = importlib.import_module(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
        for name, value in vars(module).items():
            if (
                isinstance(value, type)
                and issubclass(value, BaseException)
                and value.__module__ == module.__name__
                and not name.startswith("_")
                and not issubclass(value, FakeCdyneError)
            ):
                outside.append(f"{module.__name__}.{name}")
    assert outside == []


MOST_LINES = 400
LONGER: dict[str, int] = {}  # modules allowed past MOST_LINES, each with the reason


def test_no_module_is_over_400_lines() -> None:
    """One concept per module; a module this long holds several."""
    long = {
        str(path.relative_to(PACKAGE)): lines
        for path in MODULES
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > LONGER.get(path.name, MOST_LINES)
    }
    assert long == {}
