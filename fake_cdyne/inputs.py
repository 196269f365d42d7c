"""What the control API accepts, declared once: each input is a kind of value (a number in a range, a
GUID, a flag...) read from a JSON body or a query string; a value that is not one is a 400 naming the
field and what it allows.

JSON bodies are read with limits of their own: at most ``MAX_DEPTH`` levels of nesting, and integers
of at most ``MAX_DIGITS`` digits (a longer one reads as infinity, which every number kind refuses,
naming its field; NaN and Infinity read as such, and are refused the same way), and no lone surrogate
in a string (it could be stored, but never answered again).
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from .errors import RequestError
from .values import is_short_code, normalise_phone, parse_guid

T = TypeVar("T")

MAX_DEPTH = 32
MAX_DIGITS = 100
YEAR = 365 * 24 * 3600
MAX_COUNT = 1_000_000


class ControlError(RequestError):
    """A control request refused: ``{"error": detail}`` with a 4xx ``status``."""

    def __init__(self, detail: str, status: int = 400) -> None:
        super().__init__(detail)
        self.status = status


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:50]}... ({len(text):,} characters)"


class Kind(Generic[T]):
    """A kind of input: ``read`` takes a JSON value, ``read_text`` a query parameter's text."""

    def describe(self) -> str:
        raise NotImplementedError

    def read(self, name: str, value: object) -> T:
        raise NotImplementedError

    def read_text(self, name: str, raw: str) -> T:
        return self.read(name, raw)

    def refuse(self, name: str, value: object) -> ControlError:
        return ControlError(f"{name} must be {self.describe()}, not {_shown(value)}")

    def schema(self) -> dict[str, Any]:
        """The JSON schema of what it accepts, for the OpenAPI document."""
        raise NotImplementedError


@dataclass(frozen=True, slots=True)
class Number(Kind[float]):
    """A finite number from ``low`` to ``high``."""

    high: int
    low: int = 0
    note: str = ""

    def describe(self) -> str:
        return f"a number from {self.low:,} to {self.high:,}{self.note}"

    def read(self, name: str, value: object) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float) or not self.low <= value <= self.high:
            raise self.refuse(name, value)  # NaN and the infinities fail the comparison
        return float(value)

    def read_text(self, name: str, raw: str) -> float:
        try:
            return self.read(name, float(raw))
        except (ValueError, ControlError):
            raise self.refuse(name, raw) from None

    def schema(self) -> dict[str, Any]:
        return {"type": "number", "minimum": self.low, "maximum": self.high}


@dataclass(frozen=True, slots=True)
class Whole(Kind[int]):
    """A whole number from ``low`` to ``high`` (1.0 counts as 1)."""

    high: int
    low: int = 0

    def describe(self) -> str:
        return f"a whole number from {self.low:,} to {self.high:,}"

    def read(self, name: str, value: object) -> int:
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or not self.low <= value <= self.high:
            raise self.refuse(name, value)
        return value

    def read_text(self, name: str, raw: str) -> int:
        try:
            return self.read(name, float(raw) if len(raw) <= MAX_DIGITS else math.inf)
        except (ValueError, ControlError):
            raise self.refuse(name, raw) from None

    def schema(self) -> dict[str, Any]:
        return {"type": "integer", "minimum": self.low, "maximum": self.high}


class Flag(Kind[bool]):
    def describe(self) -> str:
        return "true or false"

    def read(self, name: str, value: object) -> bool:
        if not isinstance(value, bool):
            raise self.refuse(name, value)
        return value

    def schema(self) -> dict[str, Any]:
        return {"type": "boolean"}


class Text(Kind[str]):
    """A string; with ``null_is_empty``, null is "" (a setting being cleared)."""

    def __init__(self, *, null_is_empty: bool = False) -> None:
        self.null_is_empty = null_is_empty

    def describe(self) -> str:
        return "a string, or null" if self.null_is_empty else "a string"

    def read(self, name: str, value: object) -> str:
        if value is None and self.null_is_empty:
            return ""
        if not isinstance(value, str):
            raise self.refuse(name, value)
        return value

    def schema(self) -> dict[str, Any]:
        return {"type": ["string", "null"] if self.null_is_empty else "string"}


class Key(Kind[uuid.UUID]):
    def describe(self) -> str:
        return "a GUID string"

    def read(self, name: str, value: object) -> uuid.UUID:
        if not isinstance(value, str):
            raise self.refuse(name, value)
        try:
            return parse_guid(value)
        except ValueError:
            raise ControlError(f"{name} {_shown(value)} is not a GUID") from None

    def schema(self) -> dict[str, Any]:
        return {"type": "string", "format": "uuid"}


class Phone(Kind[str]):
    """A phone number, as CDYNE's 11 digits."""

    def describe(self) -> str:
        return "a phone number"

    def read(self, name: str, value: object) -> str:
        number = normalise_phone(str(value)) if isinstance(value, str | int) and not isinstance(value, bool) else None
        if number is None:
            raise ControlError(f"{name} {_shown(value)} is not a phone number")
        return number

    def schema(self) -> dict[str, Any]:
        return {"type": "string"}


class Phones(Kind[list[str]]):
    def __init__(self, *, empty: bool = True) -> None:
        self.empty = empty

    def describe(self) -> str:
        return "a list of phone numbers" if self.empty else "a non-empty list of phone numbers"

    def read(self, name: str, value: object) -> list[str]:
        if not isinstance(value, list) or not (value or self.empty):
            raise self.refuse(name, value)
        return [PHONE.read(f"{name}[]", item) for item in value]

    def schema(self) -> dict[str, Any]:
        return {"type": "array", "items": {"type": "string"}, "minItems": 0 if self.empty else 1}


class ShortCodes(Kind[list[str]]):
    """A list of short codes (5 or 6 digits, as strings)."""

    def describe(self) -> str:
        return "a list of short codes (strings of 5 or 6 digits)"

    def read(self, name: str, value: object) -> list[str]:
        if not isinstance(value, list) or not all(isinstance(item, str) and is_short_code(item) for item in value):
            raise self.refuse(name, value)
        return list(value)

    def schema(self) -> dict[str, Any]:
        return {"type": "array", "items": {"type": "string", "pattern": "^[0-9]{5,6}$"}}


class Object(Kind[dict[str, Any]]):
    def describe(self) -> str:
        return "an object"

    def read(self, name: str, value: object) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.refuse(name, value)
        return value

    def schema(self) -> dict[str, Any]:
        return {"type": "object"}


class Attachments(Kind[list[tuple[str, str, bytes]]]):
    """An incoming MMS's parts: ``[{"filename", "mime_type" (optional), "content_base64"}]``, as (file
    name, MIME type or "", bytes)."""

    most = 20

    def describe(self) -> str:
        return f'a list of at most {self.most} objects {{"filename", "mime_type", "content_base64"}}'

    def read(self, name: str, value: object) -> list[tuple[str, str, bytes]]:
        if not isinstance(value, list) or len(value) > self.most:
            raise self.refuse(name, value)
        parts: list[tuple[str, str, bytes]] = []
        for index, part in enumerate(value):
            where = f"{name}[{index}]"
            if not isinstance(part, dict):
                raise self.refuse(where, part)
            file_name = TEXT.read(f"{where}.filename", part.get("filename"))
            kind = TEXT.read(f"{where}.mime_type", part.get("mime_type", ""))
            encoded = TEXT.read(f"{where}.content_base64", part.get("content_base64"))
            try:
                content = base64.b64decode(encoded, validate=True)
            except (binascii.Error, ValueError):
                raise ControlError(f"{where}.content_base64 is not Base64: {_shown(encoded)}") from None
            parts.append((file_name, kind, content))
        return parts

    def schema(self) -> dict[str, Any]:
        part = {
            "type": "object",
            "required": ["filename", "content_base64"],
            "properties": {
                "filename": {"type": "string"},
                "mime_type": {"type": "string", "description": "by default from the file name, then the bytes"},
                "content_base64": {"type": "string", "contentEncoding": "base64"},
            },
        }
        return {"type": "array", "maxItems": self.most, "items": part}


KEY = Key()
FLAG = Flag()
TEXT = Text()
PHONE = Phone()
OBJECT = Object()
ATTACHMENTS = Attachments()
SECONDS = Number(YEAR, note=" (a year)")  # spans of the fake's time: the manual clock, chaos delays
WAIT = Number(3600, note=" (an hour)")  # a long poll's real time
COUNT = Whole(MAX_COUNT)
ATTEMPTS = Whole(100, low=1)
SEED = Whole(2**63 - 1, low=-(2**63))


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
