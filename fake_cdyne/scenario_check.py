"""The checks a scenario's values pass, each recording a problem that names file, line and key path.

A ``Checker`` reads one document: every method returns the value it checked, or an empty or None value
after recording what was expected and what was found (with a suggestion for a near-miss).
"""

from __future__ import annotations

import difflib
import uuid
from collections.abc import Iterable
from typing import Any

from .scenario_yaml import KeyPath, dotted, printable, whole
from .values import normalise_phone, parse_guid

MAX_SECONDS = 365 * 24 * 3600  # every duration: a year


class Checker:
    def __init__(self, source: str, lines: dict[KeyPath, int]) -> None:
        self.source = source
        self.lines = lines
        self.problems: list[str] = []

    def problem(self, path: KeyPath, text: str) -> None:
        line = next((self.lines[path[:n]] for n in range(len(path), -1, -1) if path[:n] in self.lines), None)
        where = f"{self.source}:{line}" if line is not None else self.source
        self.problems.append(f"{where} {dotted(path)}: {text}" if path else f"{where}: {text}")

    def mapping(self, value: Any, path: KeyPath, allowed: Iterable[str], what: str) -> dict[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.problem(path, f"expected {what} (a mapping), found {_shown(value)}")
            return {}
        allowed = tuple(allowed)
        for key in value:
            if key not in allowed:
                self.problem((*path, str(key)), f"unknown key {str(key)!r}{_suggest(str(key), allowed)}")
        return {k: v for k, v in value.items() if k in allowed}

    def sequence(self, value: Any, path: KeyPath, what: str) -> list[Any]:
        if value is None:
            return []
        if not isinstance(value, list):
            self.problem(path, f"expected a list of {what}, found {_shown(value)}")
            return []
        return value

    def number(self, value: Any, path: KeyPath, *, low: int, high: int, integer: bool = False, unit: str = "") -> Any:
        """A finite number from low to high, or None (with the problem recorded)."""
        kind = "a whole number" if integer else "a number"
        ok = isinstance(value, int) if integer else isinstance(value, int | float)
        if not ok or isinstance(value, bool):
            self.problem(path, f"expected {kind}, found {_shown(value)}")
            return None
        if not low <= value <= high:  # NaN too
            self.problem(path, f"expected {kind} from {low:,} to {high:,}{unit}, found {value}")
            return None
        return value

    def seconds(self, fields: dict[str, Any], key: str, path: KeyPath) -> float:
        """A duration: 0 when absent, at most a year."""
        if key not in fields:
            return 0.0
        found = self.number(fields[key], (*path, key), low=0, high=MAX_SECONDS, unit=" (a year in seconds)")
        return found or 0.0

    def count(self, value: Any, path: KeyPath, low: int, high: int) -> Any:
        return self.number(value, path, low=low, high=high, integer=True)

    def boolean(self, value: Any, path: KeyPath) -> bool | None:
        if not isinstance(value, bool):
            self.problem(path, f"expected true or false, found {_shown(value)}")
            return None
        return value

    def text(self, value: Any, path: KeyPath) -> str | None:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return str(value)  # YAML reads 17575449510 as a number
        if not isinstance(value, str):
            self.problem(path, f"expected text, found {_shown(value)}")
            return None
        if not value.isascii() and whole(value) is None:
            self.problem(path, f"expected text, found text with a lone surrogate {printable(repr(value))}")
            return None
        return value

    def guid(self, value: Any, path: KeyPath) -> uuid.UUID | None:
        text = self.text(value, path)
        if text is None:
            return None
        try:
            return parse_guid(text)
        except ValueError:
            self.problem(path, f"{text!r} is not a GUID")
            return None

    def phone(self, value: Any, path: KeyPath) -> str | None:
        text = self.text(value, path)
        number = normalise_phone(text) if text is not None else None
        if text is not None and number is None:
            self.problem(path, f"{text!r} is not a phone number (10 or 11 digits, or 011 and 7 to 15 digits)")
        return number

    def choice(self, value: Any, path: KeyPath, choices: Iterable[str], what: str) -> str | None:
        choices = tuple(choices)
        if not isinstance(value, str) or value not in choices:
            shown = repr(value) if isinstance(value, str) else _shown(value)
            self.problem(path, f"{shown} is not {what}{_suggest(str(value), choices)}")
            return None
        return value


def _shown(value: Any) -> str:
    if value is None:
        return "nothing"
    kind = {dict: "a mapping", list: "a list", bool: "a boolean", str: "text"}.get(type(value))
    if kind in ("a mapping", "a list"):
        return str(kind)
    shown = repr(value[:80] if isinstance(value, str | bytes) else value)
    return f"{kind} {shown}" if kind else shown


def _suggest(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    if not close:
        lowered = {c.lower(): c for c in choices}
        close = [lowered[word.lower()]] if word.lower() in lowered else []
    return f"; did you mean {close[0]!r}?" if close else ""
