"""The Messaging service's data types, read once from CDYNE's own schemas (``wsdl/messaging/``).

The XSDs the fake serves at ``/Messaging.svc?xsd=xsd0..3`` are the single declaration of every type:
each complexType's members in XSD order (the order WCF writes, and strict XML clients need) with their
type, ``nillable`` and whether they are required (no ``minOccurs="0"``: ``IsRequired``), each
enumeration's names with their numbers (``EnumerationValue`` annotations, else the position), and the
operation wrappers' children. Nothing here is typed in by hand; ``schema()`` reads the files on first
use and keeps the result.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from functools import cache
from pathlib import Path

SMS2_NS = "http://sms2.cdyne.com"
SERIALIZATION_NS = "http://schemas.microsoft.com/2003/10/Serialization/"
ARRAYS_NS = "http://schemas.microsoft.com/2003/10/Serialization/Arrays"
SMSWS_NS = "http://schemas.datacontract.org/2004/07/SmsWS"

DOCUMENTS = Path(__file__).parent.parent / "wsdl" / "messaging"
# The schema documents as served: ?xsd=xsd0 (the service's namespace), xsd1 (Serialization: guid),
# xsd2 (SmsWS: SMSAdvancedRequest), xsd3 (Arrays: ArrayOfstring, ArrayOflong).
XSD_NAMES = ("xsd0", "xsd1", "xsd2", "xsd3")

# The XSD built-in and Serialization types a member may have, each read and written as one value.
PRIMITIVES = frozenset({"string", "guid", "boolean", "int", "long", "dateTime", "base64Binary"})

_XS = "{http://www.w3.org/2001/XMLSchema}"


@dataclass(frozen=True, slots=True)
class Member:
    """One element of a type's sequence (or of an operation wrapper)."""

    name: str
    type: str  # the local name of its type: "string", "guid", "ArrayOfstring", "MessageStatus", ...
    nillable: bool
    required: bool
    emit_default: bool = True  # False: WCF leaves it out when it holds its default (EmitDefaultValue)
    repeated: bool = False  # maxOccurs="unbounded": the item of an ArrayOf type


@dataclass(frozen=True, slots=True)
class ComplexType:
    name: str
    namespace: str
    members: tuple[Member, ...]

    @property
    def item(self) -> Member | None:
        """An ArrayOf type's one repeated member (its items' element name and type), else None."""
        if len(self.members) == 1 and self.members[0].repeated:
            return self.members[0]
        return None

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(m.name for m in self.members if m.required)


@dataclass(frozen=True, slots=True)
class EnumType:
    name: str
    namespace: str
    values: tuple[tuple[str, int], ...]  # (name, number) in XSD order

    def number(self, name: str) -> int:
        return dict(self.values)[name]

    def name_of(self, number: int) -> str | None:
        return next((n for n, v in self.values if v == number), None)

    @property
    def default(self) -> str:
        """The value a member absent from a request holds: the one numbered 0 (.NET's default)."""
        return self.name_of(0) or self.values[0][0]


@dataclass(frozen=True, slots=True)
class Schema:
    types: dict[str, ComplexType]
    enums: dict[str, EnumType]
    wrappers: dict[str, tuple[Member, ...]]  # operation elements (and their responses) -> children

    def kind(self, type_name: str) -> str:
        """ "primitive", "enum" or "complex"; KeyError for a type the schemas do not declare."""
        if type_name in PRIMITIVES:
            return "primitive"
        if type_name in self.enums:
            return "enum"
        if type_name in self.types:
            return "complex"
        raise KeyError(f"the Messaging schemas declare no type {type_name!r}")

    def namespace(self, type_name: str) -> str:
        declared = self.types.get(type_name) or self.enums.get(type_name)
        return declared.namespace if declared is not None else SERIALIZATION_NS


def template(name: str) -> str:
    """A served document (``wsdl``, ``wsdl0``, ``xsd0``..``xsd3``) with ``{base}`` where CDYNE's address was."""
    suffix = "wsdl" if name.startswith("wsdl") else "xsd"
    return (DOCUMENTS / f"{name}.{suffix}").read_text(encoding="utf-8")


def _local(qualified: str | None) -> str:
    return (qualified or "").rpartition(":")[2]


def _member(element: ET.Element) -> Member:
    default = element.find(f"{_XS}annotation/{_XS}appinfo/{{{SERIALIZATION_NS}}}DefaultValue")
    return Member(
        name=element.get("name", ""),
        type=_local(element.get("type")),
        nillable=element.get("nillable") == "true",
        required=element.get("minOccurs", "1") != "0",
        emit_default=default is None or default.get("EmitDefaultValue") != "false",
        repeated=element.get("maxOccurs") == "unbounded",
    )


def _sequence(node: ET.Element) -> tuple[Member, ...]:
    return tuple(_member(e) for e in node.findall(f"{_XS}sequence/{_XS}element"))


def _enum(node: ET.Element, namespace: str) -> EnumType:
    values = []
    for position, option in enumerate(node.findall(f"{_XS}restriction/{_XS}enumeration")):
        number = option.find(f"{_XS}annotation/{_XS}appinfo/{{{SERIALIZATION_NS}}}EnumerationValue")
        values.append((option.get("value", ""), int(number.text or "") if number is not None else position))
    return EnumType(node.get("name", ""), namespace, tuple(values))


@cache
def schema() -> Schema:
    types: dict[str, ComplexType] = {}
    enums: dict[str, EnumType] = {}
    wrappers: dict[str, tuple[Member, ...]] = {}
    for name in XSD_NAMES:
        root = ET.fromstring(template(name))
        namespace = root.get("targetNamespace", "")
        for node in root:
            declared = node.get("name", "")
            if node.tag == f"{_XS}complexType":
                if declared in types:
                    raise ValueError(f"two Messaging types are named {declared!r}")
                types[declared] = ComplexType(declared, namespace, _sequence(node))
            elif node.tag == f"{_XS}simpleType" and node.find(f"{_XS}restriction/{_XS}enumeration") is not None:
                enums[declared] = _enum(node, namespace)
            elif node.tag == f"{_XS}element" and (inline := node.find(f"{_XS}complexType")) is not None:
                wrappers[declared] = _sequence(inline)
    return Schema(types, enums, wrappers)
