"""The Messaging types on the wire, read and written generically from their schema (``contract.py``).

Values (MESSAGING.md): a complex type is a dict keyed by its XSD member names, an ArrayOf type a list,
an enum its XSD name (an unknown query number arrives as its digits), a guid a ``uuid.UUID``, a
dateTime an aware datetime (``given_as_utc`` tells whether the client marked it UTC), base64Binary
``bytes``. Writing: members in XSD order, a missing key is the member's default (nil where nillable).

- XML (DataContractSerializer): no declaration, the root in its type's namespace with ``xmlns:i``, nil as
  ``i:nil="true"``, ArrayOfstring/ArrayOflong items ``<string xmlns="…/Arrays">`` as the help pages
  show them, enums by name, dates without zone. Request members may come in any order.
- JSON (DataContractJsonSerializer): compact, every member (null as ``null``), enums by number, GUIDs
  lower case, dates ``\\/Date(ms-0500)\\/``, byte[] as numbers. Request member names match case-sensitively,
  unknown members are ignored.

Anything a request cannot be read as (bad JSON or XML, a wrong JSON type, an ISO date string, a missing
required member) raises a ``RequestError``: the endpoint answers WCF's 400 "Request Error" page (REST) or
a DeserializationFailed fault (SOAP).
"""

from __future__ import annotations

import base64
import binascii
import enum
import json
import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from ..codecs import json as sms2_json
from ..codecs import xml as sms2_xml
from ..codecs.query import Query
from ..dates import (
    JSON_DATE_FORM,
    MIN_VALUE,
    XML_DATETIME_FORM,
    parse_json_date,
    parse_xml_datetime,
    wcf_json_date,
    xml_datetime,
)
from ..errors import BadBody, BadParameter
from ..model import EMPTY_GUID
from ..values import parse_bool, parse_guid
from .contract import ARRAYS_NS, SERIALIZATION_NS, ComplexType, Member, schema

XSI_NS = sms2_xml.XSI_NS
NOT_UTC = timezone(timedelta(0), "not marked UTC")  # a date given with an offset, or (XML) without a zone
_RANGES = {"int": 2**31, "long": 2**63}
_INTEGER = re.compile(r"\s*[+-]?[0-9]+\s*")  # xs:int, xs:long: ASCII digits only


def given_as_utc(moment: datetime) -> bool:
    """Whether a request's date was marked UTC (JSON without offset, XML with ``Z``), as WCF's Kind."""
    return moment.tzinfo is not NOT_UTC


def default(type_name: str) -> Any:
    """What a member absent from a request holds (.NET's default for its type)."""
    defaults: dict[str, Any] = {"guid": EMPTY_GUID, "boolean": False, "int": 0, "long": 0, "dateTime": MIN_VALUE}
    if type_name in defaults:
        return defaults[type_name]
    enum_type = schema().enums.get(type_name)
    return enum_type.default if enum_type is not None else None


# ---- reading: one scalar from text (XML and query) ---------------------------------------------------


def _enum_name(type_name: str, text: str, name: str, lenient: bool) -> str:
    enum_type = schema().enums[type_name]
    names = [n for n, _ in enum_type.values]
    if text in names:
        return text
    if lenient:  # a query: any case, or a number (one that names no value arrives as its digits)
        found = next((n for n in names if n.lower() == text.strip().lower()), None)
        if found is not None:
            return found
        if _INTEGER.fullmatch(text):
            return enum_type.name_of(int(text)) or str(int(text))
    raise BadParameter(name, text, f"one of {', '.join(names)}")


def _integer(type_name: str, value: int, name: str) -> int:
    limit = _RANGES[type_name]
    if not -limit <= value < limit:
        raise BadParameter(name, value, f"an xs:{type_name} (from {-limit} to {limit - 1})")
    return value


def scalar_from_text(type_name: str, text: str | None, name: str, *, lenient_enum: bool = False) -> Any:
    """A primitive or enum from its XML text (None: nil; empty: the type's default)."""
    if type_name == "string":
        return text
    if type_name == "base64Binary":
        if text is None:
            return None
        try:
            return base64.b64decode(text.strip(), validate=True)
        except (binascii.Error, ValueError):
            raise BadParameter(name, text, "Base64") from None
    if text is None or not text.strip():
        return default(type_name)
    if type_name in schema().enums:
        return _enum_name(type_name, text, name, lenient_enum)
    try:
        if type_name == "guid":
            return parse_guid(text)
        if type_name == "boolean":
            return parse_bool(text)
        if type_name in _RANGES:
            if not _INTEGER.fullmatch(text):
                raise ValueError(text)
            return _integer(type_name, int(text), name)
        if type_name == "dateTime":
            moment, is_utc = parse_xml_datetime(text)
            return moment if is_utc else moment.astimezone(NOT_UTC)
    except ValueError:
        expected = {"guid": "a GUID", "boolean": "true or false", "dateTime": XML_DATETIME_FORM}
        raise BadParameter(name, text, expected.get(type_name, f"an xs:{type_name}")) from None
    raise AssertionError(f"no reader for the type {type_name!r}")


def query_argument(query: Query, name: str, type_name: str) -> Any:
    """A GET operation's parameter from the query (names match in any case; absent: the default)."""
    return scalar_from_text(type_name, query.text(name), name, lenient_enum=True)


# ---- reading XML ---------------------------------------------------------------------------------


def _missing(type_: ComplexType, present: set[str], where: str) -> None:
    absent = [name for name in type_.required if name not in present]
    if absent:
        raise BadBody(f"The required member {absent[0]!r} of {type_.name} is missing (in {where}).")


def _xml_value(type_name: str, content: Any, where: str) -> Any:
    declared = schema().types.get(type_name)
    if declared is None:
        return scalar_from_text(type_name, sms2_xml.text_of(content, where), where)
    if isinstance(content, dict) and str(content.get(f"@{XSI_NS}:nil", "")).strip() == "true":
        return None
    return _xml_complex(declared, content, where)


def _xml_complex(type_: ComplexType, content: Any, where: str) -> Any:
    fields = sms2_xml.members(content)
    item = type_.item
    if item is not None:
        items = sms2_xml.as_list(fields.get(item.name))
        return [_xml_value(item.type, x, f"{where}[{i}]") for i, x in enumerate(items)]
    _missing(type_, set(fields), where)
    return {m.name: _xml_member(m, fields, f"{where}.{m.name}") for m in type_.members}


def _xml_member(member: Member, fields: dict[str, Any], where: str) -> Any:
    if member.name not in fields:
        return default(member.type)
    value = fields[member.name]
    if isinstance(value, list):
        raise BadParameter(where, "<repeated element>", "given once")
    return _xml_value(member.type, value, where)


def xml_argument(type_name: str, content: Any, name: str) -> Any:
    """A wrapper child's value (SOAP), from its parsed content; absent or nil complex values are None."""
    return _xml_value(type_name, content, name)


def read_xml(type_name: str, body: bytes) -> Any:
    """A bare REST body: the root element is the type (``<guid>`` for a guid) in its namespace."""
    root, content = sms2_xml.parse_document(body)
    declared = schema().types.get(type_name)
    namespace = declared.namespace if declared is not None else SERIALIZATION_NS
    if root != f"{namespace}:{type_name}":
        raise BadBody(f"Expected the root element {type_name} in namespace {namespace}, found {root!r}.")
    value = _xml_value(type_name, content, type_name)
    if value is None and declared is not None and declared.required:
        raise BadBody(f"{type_name} is nil; its member {declared.required[0]!r} is required.")
    return value


# ---- reading JSON --------------------------------------------------------------------------------


def _json_scalar(type_name: str, value: Any, where: str) -> Any:
    if value is None:
        return default(type_name)
    if type_name == "string":
        if isinstance(value, str):
            return value
        if isinstance(value, int) and not isinstance(value, bool):  # phone numbers sent as numbers
            return str(value)
        raise BadParameter(where, json.dumps(value)[:80], "a JSON string or null")
    if type_name == "base64Binary":  # byte[]: an array of numbers
        if isinstance(value, list) and all(isinstance(b, int) and not isinstance(b, bool) for b in value):
            try:
                return bytes(value)
            except ValueError:
                pass
        raise BadParameter(where, json.dumps(value)[:80], "an array of byte values")
    if type_name == "boolean":
        if isinstance(value, bool):
            return value
        raise BadParameter(where, json.dumps(value)[:80], "true or false")
    if type_name in _RANGES or type_name in schema().enums:
        if not isinstance(value, int) or isinstance(value, bool):
            raise BadParameter(where, json.dumps(value)[:80], "a JSON number")
        if type_name in _RANGES:
            return _integer(type_name, value, where)
        found = schema().enums[type_name].name_of(value)
        if found is None:
            raise BadParameter(where, value, f"a number of {type_name}")
        return found
    if not isinstance(value, str):
        raise BadParameter(where, json.dumps(value)[:80], "a JSON string")
    if type_name == "guid":
        if not value:
            return EMPTY_GUID
        try:
            return parse_guid(value)
        except ValueError:
            raise BadParameter(where, value, "a GUID") from None
    if type_name == "dateTime":  # "\/Date(ms)\/" (JSON makes it "/Date(ms)/"), with or without offset
        try:
            moment, is_utc = parse_json_date(value)
        except ValueError:
            raise BadParameter(where, value, JSON_DATE_FORM) from None
        return moment if is_utc else moment.astimezone(NOT_UTC)
    raise AssertionError(f"no reader for the type {type_name!r}")


def _json_value(type_name: str, value: Any, where: str) -> Any:
    declared = schema().types.get(type_name)
    if declared is None:
        return _json_scalar(type_name, value, where)
    if value is None:
        return None
    item = declared.item
    if item is not None:
        if not isinstance(value, list):
            raise BadParameter(where, json.dumps(value)[:80], f"a JSON array ({type_name})")
        return [_json_value(item.type, x, f"{where}[{i}]") for i, x in enumerate(value)]
    if not isinstance(value, dict):
        raise BadParameter(where, json.dumps(value)[:80], f"a JSON object ({type_name})")
    _missing(declared, {k for k, v in value.items() if v is not None or _nillable(declared, k)}, where)
    return {
        m.name: _json_value(m.type, value[m.name], f"{where}.{m.name}") if m.name in value else default(m.type)
        for m in declared.members
    }


def _nillable(type_: ComplexType, name: str) -> bool:
    return any(m.name == name and m.nillable for m in type_.members)


def read_json(type_name: str, body: bytes, name: str) -> Any:
    """A bare REST body as JSON. A guid parameter (the WebPost twins) is a JSON string, or an object
    holding just that parameter (``{"MessageID": "…"}``, lenient)."""
    document = sms2_json.load(body)
    declared = schema().types.get(type_name)
    if declared is None and isinstance(document, dict) and set(document) == {name}:
        document = document[name]
    if declared is not None and document is None and declared.required:
        raise BadBody(f"The body is null; the member {declared.required[0]!r} of {type_name} is required.")
    return _json_value(type_name, document, type_name)


# ---- writing -------------------------------------------------------------------------------------


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _enum_text(type_name: str, value: Any, as_number: bool) -> str:
    enum_type = schema().enums[type_name]
    name = value.name if isinstance(value, enum.Enum) else value
    if isinstance(name, int):
        name = enum_type.name_of(name) or str(name)
    return str(enum_type.number(name)) if as_number else str(name)


def _text(type_name: str, value: Any) -> str:
    """A non-null primitive as XML text."""
    if type_name == "string":
        return sms2_xml.escape(str(value))
    if type_name == "boolean":
        return "true" if value else "false"
    if type_name == "dateTime":
        return xml_datetime(_utc(value))
    if type_name == "base64Binary":
        return base64.b64encode(bytes(value)).decode("ascii")
    return str(value)  # guid (lower case), int, long


def xml_content(type_name: str, value: Any) -> str | None:
    """The content of an element holding ``value`` (text, or child elements); None when it is nil."""
    if value is None:
        value = default(type_name)  # a non-nillable type's default, else None: nil
        if value is None:
            return None
    if type_name in schema().enums:
        return _enum_text(type_name, value, as_number=False)
    declared = schema().types.get(type_name)
    if declared is None:
        return _text(type_name, value)
    item = declared.item
    if item is not None:
        xmlns = f' xmlns="{ARRAYS_NS}"' if declared.namespace == ARRAYS_NS else ""
        return "".join(_element(item.name, item.type, x, xmlns) for x in value)
    return "".join(_member_element(m, value.get(m.name)) for m in declared.members if _emitted(m, value))


def _emitted(member: Member, fields: dict[str, Any]) -> bool:
    return member.emit_default or fields.get(member.name) not in (None, default(member.type))


def _member_element(member: Member, value: Any) -> str:
    return _element(member.name, member.type, value, "")


def _element(name: str, type_name: str, value: Any, xmlns: str) -> str:
    content = xml_content(type_name, value)
    if content is None:
        return f'<{name} i:nil="true"{xmlns}/>'
    return f"<{name}{xmlns}>{content}</{name}>" if content or type_name == "string" else f"<{name}{xmlns}/>"


def write_xml(type_name: str, value: Any) -> bytes:
    """A REST answer: the value as its type's root element (``<boolean xmlns="…/Serialization/">``
    for a primitive), ``xmlns:i`` declared as WCF does."""
    namespace = schema().namespace(type_name)
    content = xml_content(type_name, value)
    declarations = f'xmlns="{namespace}" xmlns:i="{XSI_NS}"'
    if content is None:  # as DataContractSerializer writes a null root
        return f'<{type_name} i:nil="true" {declarations}/>'.encode()
    if type_name in schema().types:
        opening = f"<{type_name} {declarations}"
        return (f"{opening}>{content}</{type_name}>" if content else f"{opening}/>").encode()
    return f'<{type_name} xmlns="{namespace}">{content}</{type_name}>'.encode()


def _json(type_name: str, value: Any) -> str:
    declared = schema().types.get(type_name)
    if value is None:
        value = default(type_name)
        if value is None:
            return "null"
    if type_name in schema().enums:
        return _enum_text(type_name, value, as_number=True)
    if declared is not None:
        item = declared.item
        if item is not None:
            return "[" + ",".join(_json(item.type, x) for x in value) + "]"
        members = [m for m in declared.members if _emitted(m, value)]
        return "{" + ",".join(f'"{m.name}":{_json(m.type, value.get(m.name))}' for m in members) + "}"
    if type_name == "string":
        return sms2_json.string(str(value))
    if type_name == "boolean":
        return "true" if value else "false"
    if type_name == "dateTime":
        return f'"{wcf_json_date(_utc(value))}"'
    if type_name == "base64Binary":
        return "[" + ",".join(map(str, bytes(value))) + "]"
    if type_name == "guid":
        return f'"{value}"'
    return str(int(value))


def write_json(type_name: str, value: Any) -> bytes:
    return _json(type_name, value).encode()
