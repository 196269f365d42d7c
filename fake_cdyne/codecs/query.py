"""REST query strings and content negotiation, as CDYNE's WCF host reads them.

Parameter names match case-insensitively. A repeated parameter reads as its values joined with commas
(.NET's NameValueCollection), so a duplicated LicenseKey is not a GUID and a duplicated PhoneNumber
is not a phone number. Values are UTF-8, or Latin-1 when they are not valid UTF-8; ``+`` is a space.
"""

from __future__ import annotations

import uuid
from urllib.parse import unquote_to_bytes

from ..errors import BadParameter, UriTooLong
from ..model import EMPTY_GUID
from ..values import parse_guid
from . import Codec
from . import json as json_codec
from . import xml as xml_codec

_GUIDS: dict[str, uuid.UUID] = {}  # parsed GUID texts: a test suite sends one key thousands of times
_GUIDS_KEPT = 4096


def _parse_guid(text: str) -> uuid.UUID:
    found = _GUIDS.get(text)
    if found is None:
        found = parse_guid(text)
        if len(_GUIDS) >= _GUIDS_KEPT:
            _GUIDS.clear()
        _GUIDS[text] = found
    return found


def _decode(raw: bytes) -> str:
    data = unquote_to_bytes(raw.replace(b"+", b" ")) if b"%" in raw or b"+" in raw else raw
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


class Query:
    def __init__(self, raw: bytes, limit: int) -> None:
        if len(raw) > limit:
            raise UriTooLong(f"The query string is {len(raw)} bytes; the limit is {limit} (max_query_bytes).")
        values: dict[str, str] = {}
        if raw.isascii():  # the common case: one decode, and only escaped parts decoded again
            text = raw.decode("ascii")
            escaped = "%" in text or "+" in text
            for pair in text.split("&"):
                if pair:
                    name, _, value = pair.partition("=")
                    if escaped:
                        if "%" in name or "+" in name:
                            name = _decode(name.encode("ascii"))
                        if "%" in value or "+" in value:
                            value = _decode(value.encode("ascii"))
                    key = name.strip().lower()
                    values[key] = f"{values[key]},{value}" if key in values else value
        else:
            for raw_pair in raw.split(b"&"):
                if raw_pair:
                    raw_name, _, raw_value = raw_pair.partition(b"=")
                    key, decoded = _decode(raw_name).strip().lower(), _decode(raw_value)
                    values[key] = f"{values[key]},{decoded}" if key in values else decoded
        self.values = values

    def text(self, name: str) -> str | None:
        return self.values.get(name.lower())

    def optional_guid(self, name: str) -> uuid.UUID:
        """A parameter the operation does not take but clients add: the empty GUID unless it parses."""
        try:
            return self.guid(name)
        except BadParameter:
            return EMPTY_GUID

    def guid(self, name: str, key: str | None = None) -> uuid.UUID:
        """A GUID parameter: missing or empty is the empty GUID; anything else must parse (``key``: the
        name in lower case, when the caller has it)."""
        value = self.values.get(key or name.lower())
        if value is None or not value.strip():
            return EMPTY_GUID
        try:
            return _GUIDS.get(value) or _parse_guid(value)
        except ValueError:
            raise BadParameter(name, value, "a GUID") from None


def _names_json(header: str) -> bool:
    for media_range in header.split(","):
        media, _, params = media_range.partition(";")
        if "json" in media.strip().lower() and not _q_is_zero(params):
            return True
    return False


def _q_is_zero(params: str) -> bool:
    for param in params.split(";"):
        name, _, value = param.partition("=")
        if name.strip().lower() == "q":
            try:
                return float(value) == 0
            except ValueError:
                return False
    return False


def negotiate(accept: str | None, content_type: str | None, default: str) -> Codec:
    """JSON if Accept names JSON; XML if Accept names no JSON type; with no Accept, follow the
    request's Content-Type, else the configured default."""
    if accept is not None and accept.strip():
        return json_codec if _names_json(accept) else xml_codec
    if content_type is not None and "json" in content_type.lower():
        return json_codec
    return json_codec if default == "json" else xml_codec
