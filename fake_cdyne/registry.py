"""The shape of an operation table: what a service's operations are, declared once each.

A service (sms2 today, Messaging next) lists its operations in a ``Registry``; every surface reads
that list: REST routing and verbs, SOAP dispatch and actions, the WSDL, scenario operation names and
the docs. The table is pure data (names, verbs, parameters in signature order, result type, and the
name of the ``Operations`` method that runs it), so any module may import it without pulling in the
service's machinery.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

# Wire types, named as CDYNE's XSD names them.
STRING = "string"
GUID = "guid"
ADVANCED_REQUEST = "SMSAdvancedRequest"
SMS_RESPONSE = "SMSResponse"
SMS_RESPONSES = "ArrayOfSMSResponse"
INCOMING_MESSAGES = "ArrayOfSMSIncomingMessage"
BOOLEAN = "boolean"

_RESPONSE_ELEMENT = re.compile(r"<(?:\w+:)?(\w+)Response[\s>/]")


@dataclass(frozen=True, slots=True)
class Param:
    """One parameter: its name on the wire (query parameter, SOAP wrapper child) and its type.

    A ``hint`` is not in CDYNE's signature: clients add it and REST reads it leniently (a value that
    does not parse is the type's default); SOAP and the WSDL leave it out."""

    name: str
    type: str
    hint: bool = False
    key: str = field(init=False, repr=False, compare=False)  # the name as a query's names are kept: lower case

    def __post_init__(self) -> None:
        object.__setattr__(self, "key", self.name.lower())


@dataclass(frozen=True, slots=True)
class Operation:
    name: str
    verb: str  # REST: GET (parameters in the query) or POST (the one body parameter in the body)
    params: tuple[Param, ...]
    result: str
    method: str  # the Operations method that runs it, taking ``params`` in order
    sends: bool = False  # creates messages: the scenario shorthand "send" matches it
    contract: str = "Isms"  # the port type its SOAP action names
    path: str = ""  # its REST path when not its name: a WebPost twin shares its GET twin's path (POST)

    @property
    def signature(self) -> tuple[Param, ...]:
        """The parameters of CDYNE's signature, without hints: the SOAP wrapper's children in order."""
        return tuple(p for p in self.params if not p.hint)

    @property
    def body(self) -> Param | None:
        """The parameter a POST carries as its body."""
        return self.params[0] if self.verb == "POST" else None


@dataclass(frozen=True, slots=True)
class Registry:
    """One service's operations, in its WSDL's port-type order, and the lookups the surfaces use."""

    service: str  # the WSDL's service name
    namespace: str  # operation elements' namespace, and the root of their SOAP actions
    operations: tuple[Operation, ...]
    _by_lower: dict[str, Operation] = field(init=False, repr=False, compare=False)
    _by_action: dict[str, Operation] = field(init=False, repr=False, compare=False)
    _by_path: dict[str, tuple[Operation, ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_lower", {op.name.lower(): op for op in self.operations})
        object.__setattr__(self, "_by_action", {self.action(op): op for op in self.operations})
        paths: dict[str, tuple[Operation, ...]] = {}
        for op in self.operations:
            for path in dict.fromkeys((op.name.lower(), (op.path or op.name).lower())):
                paths[path] = (*paths.get(path, ()), op)
        object.__setattr__(self, "_by_path", paths)
        if len(self._by_lower) != len(self.operations):
            raise ValueError(f"{self.service}: two operations share a name")

    def __iter__(self) -> Iterator[Operation]:
        return iter(self.operations)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(op.name for op in self.operations)

    def named(self, name: str) -> Operation | None:
        """By name, matched without regard to case (REST paths, scenario files)."""
        return self._by_lower.get(name.lower())

    def at_path(self, name: str) -> tuple[Operation, ...]:
        """The operations a REST path names, without regard to case: its own, and a WebPost twin's."""
        return self._by_path.get(name.lower(), ())

    def exactly(self, name: str) -> Operation | None:
        """By name as XML spells it (case matters)."""
        op = self._by_lower.get(name.lower())
        return op if op is not None and op.name == name else None

    def action(self, op: Operation) -> str:
        return f"{self.namespace}/{op.contract}/{op.name}"

    def by_action(self, action: str) -> Operation | None:
        return self._by_action.get(action)

    def logged(self, path: str, response: str) -> Operation | None:
        """The operation a logged exchange ran, for the request log's summaries: the one its REST path
        ends with, or the one whose ``<OpResponse`` its SOAP answer holds."""
        named = self.named(path.rstrip("/").rpartition("/")[2])
        if named is not None:
            return named
        element = _RESPONSE_ELEMENT.search(response)
        return self.exactly(element[1]) if element else None
