"""A control request's JSON body, read within limits: how deep it nests, how long its numbers are,
and the typed fields a route reads from it (``Fields``)."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any, TypeVar

from .inputs import MAX_DEPTH, MAX_DIGITS, ControlError, Kind

T = TypeVar("T")


class Fields:
    """One request's inputs by name: a JSON body's members or, with ``text``, a query string's."""

    def __init__(self, values: Mapping[str, Any], *, text: bool = False) -> None:
        self.values = values
        self.text = text

    def __contains__(self, name: str) -> bool:
        return name in self.values

    def need(self, name: str, kind: Kind[T]) -> T:
        if name not in self.values:
            raise ControlError(f"{name} is required: {kind.describe()}")
        return self._read(name, kind)

    def get(self, name: str, kind: Kind[T], default: T) -> T:
        return self._read(name, kind) if name in self.values else default

    def optional(self, name: str, kind: Kind[T]) -> T | None:
        """The value, or None when the field is absent (null is not absent: it is refused)."""
        return self._read(name, kind) if name in self.values else None

    def _read(self, name: str, kind: Kind[T]) -> T:
        value = self.values[name]
        return kind.read_text(name, value) if self.text else kind.read(name, value)


def _integer(literal: str) -> int | float:
    if len(literal.lstrip("-")) <= MAX_DIGITS:
        return int(literal)
    return -math.inf if literal.startswith("-") else math.inf


def _check(body: dict[str, Any]) -> None:
    """Refuse nesting deeper than MAX_DEPTH, and strings with lone surrogates (JSON's "\\ud800" escapes
    read as text that cannot be written back as UTF-8), walking without recursion."""
    stack: list[tuple[object, int]] = [(body, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, str):
            try:
                item.encode()
            except UnicodeEncodeError as error:
                raise ControlError(f"the body has a lone surrogate ({item[error.start]!r}) in a string") from None
        elif isinstance(item, dict | list):
            if level > MAX_DEPTH:
                raise _too_deep()
            children = [*item, *item.values()] if isinstance(item, dict) else item
            stack.extend((child, level + 1) for child in children)


def _too_deep() -> ControlError:
    return ControlError(f"the body is nested too deeply: at most {MAX_DEPTH} levels of arrays and objects")


def read_json(raw: bytes) -> Fields:
    """A control request's body: a JSON object (an empty body is an empty one)."""
    if not raw.strip():
        return Fields({})
    try:
        body = json.loads(raw, parse_int=_integer)
    except RecursionError:
        raise _too_deep() from None
    except ValueError as error:  # JSONDecodeError, UnicodeDecodeError
        raise ControlError(f"the body is not valid JSON: {error}") from None
    if not isinstance(body, dict):
        raise ControlError("the body must be a JSON object")
    _check(body)
    return Fields(body)
