"""The package's shape, held by tests: what no module may do."""

from __future__ import annotations

import ast
from pathlib import Path

import fake_cdyne

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
