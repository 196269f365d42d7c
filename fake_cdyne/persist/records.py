"""Records as JSON, field by field: any dataclass the store keeps, with the fields it has today or gains.

``encode`` turns a record into JSON values by what each value is; ``decode`` reads it back by the
field's annotation, checking as it goes, so a bad document is a ``StateError`` naming the path and the
key (``messages[3].state``), never a traceback. The value codecs are one table each way:

=================== ====================== ==========================================
value               JSON                   read back by the annotation
=================== ====================== ==========================================
UUID                "8f0e...-..." string   ``uuid.UUID``
datetime (aware)    ISO 8601 string        ``datetime``; a date without its zone is refused
enum member         its value              the enum class
dataclass           object of its fields   the class: missing fields take their defaults
tuple, list, set    array                  ``tuple[X, ...]``, ``tuple[X, Y]``, ``list[X]``, ``set[X]``
dict                object                 ``dict[str, X]``, ``dict[UUID, X]``
a *referenced* kind its key                looked up among the records already read
=================== ====================== ==========================================

A field whose type is a kind of record kept on its own (``Message.replies`` holds ``IncomingMessage``
records) is written as their keys and resolved on reading (``Codec.references``), so one record is one
object after a restore. Fields whose names start with ``_`` are a record's indexes, rebuilt by their
owner, and are not written unless a kind names them (``Account._blocked``).
"""

from __future__ import annotations

import base64
import dataclasses
import enum
import sys
import types
import typing
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, Literal, Union

from ..errors import RequestError

JSON = Any  # a value json.dumps writes
Path = str  # where in the document: "messages[3].state"


class StateError(RequestError):
    """A state document (an import, a snapshot, a store's rows) that cannot be read: names the path."""

    def __init__(self, where: Path, problem: str) -> None:
        super().__init__(f"{where}: {problem}" if where else problem)
        self.where = where


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:50]}... ({len(text):,} characters)"


def _kept(field: dataclasses.Field[Any]) -> bool:
    """Whether a record's field is state (not one the store sets again: ``model.REBUILT``)."""
    return field.metadata.get("persist", True) is not False


class Codec:
    """Encodes and decodes records; ``references`` maps a class kept on its own to (how to key one,
    the records of that class read so far, by key)."""

    def __init__(self, names: Mapping[str, object] = {}) -> None:
        self.names = dict(names)  # the names annotations use that their module imports only for typing
        self.references: dict[type, tuple[Callable[[Any], str], dict[str, Any]]] = {}
        # A store's rows may name a record whose own row the last batch before a kill -9 did not write:
        # lenient, such keys in an array are left out instead of refused.
        self.lenient = False
        self._hints: dict[type, dict[str, Any]] = {}
        self._written: dict[tuple[type, tuple[str, ...]], list[tuple[str, str]]] = {}

    # ---- writing -------------------------------------------------------------------------------

    def encode(self, record: object, private: tuple[str, ...] = ()) -> dict[str, JSON]:
        """The record's fields; ``private`` names the ``_`` fields that are state, written without the ``_``."""
        cls = type(record)
        written = self._written.get((cls, private))
        if written is None:  # the fields to write, by class: dataclasses.fields() is slow to call per record
            fields = dataclasses.fields(cls)  # type: ignore[arg-type]
            names = [f.name for f in fields if _kept(f) and (not f.name.startswith("_") or f.name in private)]
            written = self._written[(cls, private)] = [(name, name.lstrip("_")) for name in names]
        plain = _PLAIN
        out: dict[str, JSON] = {}
        for name, key in written:
            value = getattr(record, name)
            kind = type(value)
            if kind in plain:
                out[key] = value
            elif kind is datetime:
                out[key] = value.isoformat()
            elif kind is uuid.UUID:
                out[key] = str(value)
            else:
                out[key] = self.value(value)
        return out

    def value(self, value: object) -> JSON:
        if value is None or isinstance(value, bool | int | float | str):
            return value
        if isinstance(value, enum.Enum):
            return value.value
        if isinstance(value, uuid.UUID):
            return str(value)
        if isinstance(value, datetime):
            return value.isoformat()
        if isinstance(value, bytes):
            return base64.b64encode(value).decode("ascii")
        referenced = self.references.get(type(value))
        if referenced is not None:
            return referenced[0](value)
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            return self.encode(value)
        if isinstance(value, set | frozenset):
            return sorted(self.value(item) for item in list(value))  # list(): one step, under the GIL
        if isinstance(value, list | tuple):
            return [self.value(item) for item in list(value)]
        if isinstance(value, dict):
            pairs = [(self.value(key), self.value(item)) for key, item in list(value.items())]
            if all(isinstance(key, str) for key, _ in pairs):
                return dict(pairs)
            return [[key, item] for key, item in pairs]  # keys that are not strings (tuples): [key, value] pairs
        raise TypeError(f"no codec for {type(value).__name__}: add one to fake_cdyne/persist/records.py")

    # ---- reading -------------------------------------------------------------------------------

    def hints(self, cls: type) -> dict[str, Any]:
        found = self._hints.get(cls)
        if found is None:
            module = vars(sys.modules[cls.__module__])
            found = self._hints[cls] = typing.get_type_hints(cls, globalns={**self.names, **module})
        return found

    def decode(self, cls: type, data: object, where: Path, private: tuple[str, ...] = ()) -> Any:
        """A ``cls`` from ``data``: unknown keys and missing required ones are refused, by name."""
        if not isinstance(data, dict):
            raise StateError(where, f"must be an object ({cls.__name__}), not {_shown(data)}")
        hints = self.hints(cls)
        by_key = {field.name.lstrip("_"): field for field in dataclasses.fields(cls) if field.init and _kept(field)}
        written = {key: f for key, f in by_key.items() if not f.name.startswith("_") or f.name in private}
        for key in data:
            if key not in written:
                raise StateError(f"{where}.{key}", f"{cls.__name__} has no such field (it has {', '.join(written)})")
        values: dict[str, Any] = {}
        for key, field in written.items():
            if key in data:
                values[field.name] = self.read(hints[field.name], data[key], f"{where}.{key}")
            elif field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING:
                raise StateError(f"{where}.{key}", f"is required ({cls.__name__})")
        try:
            return cls(**values)
        except (TypeError, ValueError) as error:
            raise StateError(where, str(error)) from None

    def read(self, hint: Any, value: object, where: Path) -> Any:  # one branch per kind of type
        origin, args = typing.get_origin(hint), typing.get_args(hint)
        if hint is Any or hint is object:
            return value
        if origin in (Union, types.UnionType):
            if value is None and type(None) in args:
                return None
            options = [arg for arg in args if arg is not type(None)]
            if len(options) == 1:
                return self.read(options[0], value, where)
            for option in options:
                try:
                    return self.read(option, value, where)
                except StateError:
                    continue
            raise StateError(where, f"{_shown(value)} is none of {', '.join(map(_name, options))}")
        if origin is Literal:
            if value not in args:
                raise StateError(where, f"{_shown(value)} is not one of {', '.join(map(repr, args))}")
            return value
        if hint is bool or hint is str:
            return _exactly(hint, value, where)
        if hint is int:
            if isinstance(value, bool) or not isinstance(value, int):
                raise StateError(where, f"must be a whole number, not {_shown(value)}")
            return value
        if hint is float:
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise StateError(where, f"must be a number, not {_shown(value)}")
            return float(value)
        if hint is uuid.UUID:
            try:
                return uuid.UUID(_exactly(str, value, where))
            except ValueError:
                raise StateError(where, f"{_shown(value)} is not a GUID") from None
        if hint is bytes:
            try:
                return base64.b64decode(_exactly(str, value, where), validate=True)
            except ValueError:
                raise StateError(where, f"{_shown(value)} is not Base64") from None
        if hint is datetime:
            try:
                moment = datetime.fromisoformat(_exactly(str, value, where))
            except ValueError:
                raise StateError(where, f"{_shown(value)} is not an ISO 8601 date and time") from None
            if moment.tzinfo is None:
                raise StateError(where, f"{_shown(value)} has no time zone (write it with +00:00)")
            return moment
        if isinstance(hint, type) and issubclass(hint, enum.Enum):
            try:
                return hint(value)
            except ValueError:
                allowed = ", ".join(repr(member.value) for member in hint)
                raise StateError(where, f"{_shown(value)} is not one of {allowed}") from None
        if isinstance(hint, type) and hint in self.references:
            found = self.references[hint][1].get(_exactly(str, value, where))
            if found is None:
                raise StateError(where, f"names no {hint.__name__} in the document: {_shown(value)}")
            return found
        if isinstance(hint, type) and dataclasses.is_dataclass(hint):
            return self.decode(hint, value, where)
        if origin in (list, tuple, set, frozenset):
            if not isinstance(value, list):
                raise StateError(where, f"must be an array, not {_shown(value)}")
            if origin is tuple and not (len(args) == 2 and args[1] is Ellipsis):
                if len(value) != len(args):
                    raise StateError(where, f"must have {len(args)} items, not {len(value)}")
                pairs = enumerate(zip(args, value, strict=True))
                return tuple(self.read(a, item, f"{where}[{i}]") for i, (a, item) in pairs)
            if self.lenient and args and args[0] in self.references:
                value = [item for item in value if item in self.references[args[0]][1]]
            items = [self.read(args[0], item, f"{where}[{i}]") for i, item in enumerate(value)]
            return origin(items)
        if origin is dict and isinstance(value, list):  # keys that are not strings, as [key, value] pairs
            found = {}
            for i, pair in enumerate(value):
                if not isinstance(pair, list) or len(pair) != 2:
                    raise StateError(f"{where}[{i}]", f"must be a [key, value] pair, not {_shown(pair)}")
                found[self.read(args[0], pair[0], f"{where}[{i}][0]")] = self.read(args[1], pair[1], f"{where}[{i}][1]")
            return found
        if origin is dict:
            if not isinstance(value, dict):
                raise StateError(where, f"must be an object, not {_shown(value)}")
            return {
                self.read(args[0], k, f"{where}.{k}"): self.read(args[1], v, f"{where}.{k}") for k, v in value.items()
            }
        raise StateError(where, f"no codec reads {_name(hint)}: add one to fake_cdyne/persist/records.py")


_PLAIN = frozenset({str, int, float, bool, type(None)})


def _name(hint: Any) -> str:
    return getattr(hint, "__name__", str(hint))


def _exactly(kind: type, value: object, where: Path) -> Any:
    if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
        described = {bool: "true or false", str: "a string"}.get(kind, kind.__name__)
        raise StateError(where, f"must be {described}, not {_shown(value)}")
    return value
