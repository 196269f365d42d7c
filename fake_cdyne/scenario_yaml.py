"""Reading a scenario file's text into plain data, bounded, with the line of every key path.

YAML is read with the safe loader only, and bounded: a text of at most ``MAX_SCENARIO_BYTES``, at most
``MAX_VALUES`` nodes once aliases are expanded (so an alias bomb is refused before it grows), nested at
most ``MAX_DEPTH`` deep. JSON (a ``.json`` file YAML cannot read, or data posted to the control API) is
held to the same limits. Every refusal is a ``ScenarioError`` naming the file and line.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from .errors import ConfigError

KeyPath = tuple[str | int, ...]
MAX_SCENARIO_BYTES = 1024 * 1024
MAX_VALUES = 10_000  # nodes: keys, values and list items, aliases expanded
MAX_DEPTH = 32
MAX_PROBLEMS = 100
TOO_MANY = f"more than {MAX_VALUES:,} values (the limit)"
TOO_MANY_EXPANDED = f"more than {MAX_VALUES:,} values once aliases are expanded (the limit)"
TOO_DEEP = f"nests deeper than {MAX_DEPTH} levels (the limit)"


class ScenarioError(ConfigError):
    """One or more problems in scenario files, each naming file, line and key path."""

    def __init__(self, problems: list[str]) -> None:
        problems = [printable(p) for p in problems]
        if len(problems) > MAX_PROBLEMS:
            problems = [*problems[:MAX_PROBLEMS], f"... and {len(problems) - MAX_PROBLEMS} more problems"]
        super().__init__("\n".join(problems))
        self.problems = problems


def printable(text: str) -> str:
    """A problem as it can be shown: UTF-8 (a lone surrogate as its escape), at most 1,000 characters."""
    text = text if len(text) <= 1000 else f"{text[:1000]}..."
    return text if text.isascii() else text.encode("utf-8", "backslashreplace").decode()


def whole(text: str) -> str | None:
    """Text with surrogate pairs (as JSON escapes them) joined; None if a lone surrogate remains."""
    try:
        return text.encode("utf-16", "surrogatepass").decode("utf-16")
    except UnicodeDecodeError:
        return None


class _Limit(yaml.MarkedYAMLError):
    """A document beyond one of the limits (well-formed, but refused)."""


class _BoundedLoader(yaml.SafeLoader):
    """The safe loader, refusing a document while composing it once it has too many nodes or nests too deep.

    Aliases are composed as references to their anchor's node (no copies); ``_lines`` then counts them
    expanded, within the same limits, before anything is constructed.
    """

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.nodes = 0
        self.depth = 0

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        self.nodes += 1
        if self.nodes > MAX_VALUES or self.depth >= MAX_DEPTH:
            mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
            raise _Limit(problem=TOO_MANY if self.nodes > MAX_VALUES else TOO_DEEP, problem_mark=mark)
        self.depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1

    def construct_scalar(self, node: yaml.ScalarNode | yaml.MappingNode) -> Any:
        value = super().construct_scalar(node)
        return value if value.isascii() else whole(value) or value  # a lone surrogate: refused as text later

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)
        except (ValueError, OverflowError) as error:  # a date like 2001-13-45, an integer of 5,000 digits
            raise yaml.constructor.ConstructorError(problem=str(error), problem_mark=node.start_mark) from None


class _Budget:
    """Counts the nodes a walk meets (a key and its value are two); a ScenarioError past the limits."""

    def __init__(self, source: str, too_many: str) -> None:
        self.source = source
        self.too_many = too_many
        self.count = 0

    def spend(self, nodes: int, path: KeyPath, line: int | None) -> None:
        self.count += nodes
        if self.count > MAX_VALUES or len(path) >= MAX_DEPTH:
            where = f"{self.source}:{line}" if line is not None else self.source
            where += f" {dotted(path)}" if path else ""
            raise ScenarioError([f"{where}: {self.too_many if self.count > MAX_VALUES else TOO_DEEP}"])


def _lines(root: yaml.Node, source: str) -> dict[KeyPath, int]:
    """The line of every key path, aliases expanded (within the limits, so a bomb never grows)."""
    lines: dict[KeyPath, int] = {}
    budget = _Budget(source, TOO_MANY_EXPANDED)

    def walk(node: yaml.Node, path: KeyPath) -> None:
        lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                child = (*path, str(key.value) if isinstance(key, yaml.ScalarNode) else "?")
                budget.spend(2, child, key.start_mark.line + 1)
                lines[child] = key.start_mark.line + 1
                walk(value, child)
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                budget.spend(1, (*path, index), item.start_mark.line + 1)
                walk(item, (*path, index))

    walk(root, ())
    return lines


def check_size(data: Any, source: str) -> None:
    """The same limits for data not read from YAML (JSON files, objects posted to the control API)."""
    budget = _Budget(source, TOO_MANY)

    def walk(value: Any, path: KeyPath) -> None:
        items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
        for part, item in items:
            child = (*path, part if isinstance(part, int) else str(part))
            budget.spend(1 if isinstance(part, int) else 2, child, None)
            walk(item, child)

    walk(data, ())


def parse(text: str, source: str) -> tuple[Any, dict[KeyPath, int]]:
    """The document and the line of every key path in it."""
    if len(text) > MAX_SCENARIO_BYTES or len(text.encode("utf-8", "surrogatepass")) > MAX_SCENARIO_BYTES:
        raise ScenarioError([f"{source}: larger than {MAX_SCENARIO_BYTES:,} bytes (the limit)"])
    loader = _BoundedLoader(text)
    try:
        node = loader.get_single_node()
        lines = _lines(node, source) if node is not None else {}
        return loader.construct_document(node) if node is not None else None, lines
    except yaml.YAMLError as error:
        refused = isinstance(error, _Limit)
        if source.endswith(".json") and not refused:
            return _parse_json(text, source), {}
        mark = getattr(error, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(error, "problem", None) or str(error)
        raise ScenarioError([f"{source}{line}: {'' if refused else 'not valid YAML: '}{problem}"]) from None
    finally:
        loader.dispose()


def _parse_json(text: str, source: str) -> Any:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as bad:
        raise ScenarioError([f"{source}:{bad.lineno}: not valid JSON: {bad.msg}"]) from None
    except RecursionError:
        raise ScenarioError([f"{source}: {TOO_DEEP}"]) from None
    except ValueError as bad:  # an integer of thousands of digits
        raise ScenarioError([f"{source}: not valid JSON: {bad}"]) from None
    check_size(data, source)
    return data


def dotted(path: KeyPath) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else f".{part}" if text else part
    return text


def read_text(path: Path) -> str:
    try:
        if path.stat().st_size > MAX_SCENARIO_BYTES:  # refused unread
            raise ScenarioError([f"{path}: larger than {MAX_SCENARIO_BYTES:,} bytes (the limit)"])
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise ScenarioError([f"{path}: not UTF-8 text ({error.reason} at byte {error.start})"]) from None
    except OSError as error:
        raise ScenarioError([f"{path}: cannot be read: {error.strerror}"]) from None
