"""The package's shape, held by tests: what no module may do."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import fake_cdyne
from fake_cdyne.errors import FakeCdyneError

PACKAGE = Path(fake_cdyne.__file__).parent
MODULES = sorted(path for path in PACKAGE.rglob("*.py") if path.name != "__init__.py" or path.parent != PACKAGE)


def test_no_module_imports_the_package_root() -> None:
    """The root imports its names lazily; a module importing it (for __version__, say) makes a cycle."""
    submodules = {path.stem for path in PACKAGE.glob("*.py")} | {
        path.parent.name for path in PACKAGE.glob("*/__init__.py")
    }
    found = []
    for path in MODULES:
        depth = len(path.relative_to(PACKAGE).parts)  # 1 for fake_cdyne/x.py, 2 for fake_cdyne/sub/x.py
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = {alias.name for alias in node.names} & {"fake_cdyne"}
            elif isinstance(node, ast.ImportFrom) and (
                node.module == "fake_cdyne" or (node.module is None and node.level == depth)
            ):
                names = {alias.name for alias in node.names} - submodules  # "from . import soap" is a submodule
            else:
                continue
            found += [f"{path.relative_to(PACKAGE)}:{node.lineno} {name}" for name in sorted(names)]
    assert found == []


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
LONGER = {"scenario_files.py": 640}  # to split: the scenario checker and its YAML reader


def test_no_module_is_over_400_lines() -> None:
    """One concept per module; a module this long holds several."""
    long = {
        str(path.relative_to(PACKAGE)): lines
        for path in MODULES
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > LONGER.get(path.name, MOST_LINES)
    }
    assert long == {}
