"""Where a postback goes: a client's StatusPostBackURL checked and written as a request can carry it.

CDYNE's servers (.NET) parse the URL with ``System.Uri``: surrounding whitespace is trimmed, spaces
and non-ASCII characters in the path and query are percent-encoded as UTF-8, a lone ``%`` becomes
``%25``, and a non-ASCII host is looked up in its IDNA (``xn--``) form. The fake does the same. A URL
that cannot be posted to at all (no host, a bad port or host name, a control character, another
scheme, a host outside ``postback_allowed_hosts``) is a ``Refusal`` whose reason the journal records
as the failed attempt's error: careless input, never a bug of the fake.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

# RFC 3986's reserved and unreserved characters stay as they are (quote keeps letters, digits, "_.-~").
_SAFE = "!$&'()*+,/:;=?@%"
_LONE_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
_LABEL = re.compile(r"[A-Za-z0-9_-]{1,63}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True, slots=True)
class Refusal:
    reason: str


@functools.lru_cache(maxsize=1024)  # a pure function of its arguments; most postbacks share a few URLs
def destination(url: str, allowed_hosts: tuple[str, ...] = ()) -> str | Refusal:
    """The URL to POST to, normalised as .NET's Uri does, or why nothing can be posted there."""
    text = url.strip()
    control = _CONTROL.search(text)
    if control:
        return Refusal(f"the URL has the control character {control[0]!r} at position {control.start()}")
    try:
        parts = urlsplit(text)
    except ValueError as error:
        return Refusal(f"not a valid URL: {error}")
    if parts.scheme not in ("http", "https"):
        return Refusal(f"not an http or https URL: {url!r}")
    if not parts.hostname:
        return Refusal(f"the URL has no host: {url!r}")
    try:
        port = parts.port
    except ValueError:
        port = 0
    if port == 0:
        given = parts.netloc.rpartition("]")[2].rpartition(":")[2]
        return Refusal(f"port {given!r} is not a number from 1 to 65535")
    host = _host(parts.hostname, ipv6="[" in parts.netloc)
    if isinstance(host, Refusal):
        return host
    if allowed_hosts and parts.hostname not in allowed_hosts and host not in allowed_hosts:
        return Refusal(f"host {parts.hostname!r} is not in postback_allowed_hosts")
    netloc = (f"[{host}]" if ":" in host else host) + ("" if port is None else f":{port}")
    query = f"?{_escape(parts.query)}" if parts.query else ""
    return f"{parts.scheme}://{netloc}{_escape(parts.path or '/')}{query}"


def _host(name: str, *, ipv6: bool) -> str | Refusal:
    """The host in ASCII: an IPv6 address, or a name in its IDNA form with labels DNS accepts."""
    if ipv6:
        try:
            return str(ipaddress.IPv6Address(name))
        except ValueError:
            return Refusal(f"host {name!r} is not an IPv6 address")
    if not name.isascii():
        try:
            name = name.encode("idna").decode("ascii")
        except UnicodeError as error:
            return Refusal(f"host {name!r} cannot be written in IDNA form: {error}")
    labels = name.removesuffix(".").split(".")
    if len(name) > 253 or not all(_LABEL.fullmatch(label) for label in labels):
        return Refusal(f"host {name!r} is not a host name (dot-separated labels of 1 to 63 letters, digits, - or _)")
    return name


def _escape(part: str) -> str:
    return quote(_LONE_PERCENT.sub("%25", part), safe=_SAFE)
