"""Who may drive the control API. Each check refuses with a status and a sentence saying why:

- 421: the Host is not one the fake answers to. A page that rebinds its own DNS name to 127.0.0.1
  reaches the fake as a same-origin page, but its requests still name its own host.
- 403: a request that changes something (any method but GET, HEAD and OPTIONS) comes from a page on
  another origin: its Origin is not the fake's own, or its Sec-Fetch-Site is cross-site or same-site.
- 415: such a request has a body not declared ``application/json``. HTML forms and the requests any
  page may send without asking (text/plain, url-encoded, multipart) cannot declare it; curl, the
  project's client and the inbox page do, and a request with no body needs no type (curl -X POST).
- 401: with a control token, the bearer token is missing or wrong.

The routes declared ``open`` (``/_fake/health``) are open to any Host and without the token: they tell nothing.
"""

from __future__ import annotations

import ipaddress
import secrets
from collections.abc import Iterable

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from .config import Config

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def _hostname(host: str) -> str | None:
    """The name in a Host header (no port, no brackets, lower case, no final dot); None if malformed."""
    host = host.strip().lower()
    if host.startswith("["):
        name, _, port = host[1:].partition("]")
        port = port.removeprefix(":")
    else:
        name, _, port = host.partition(":")
    if port and not port.isdigit():
        return None
    return name.rstrip(".")


def host_allowed(config: Config, host: str) -> bool:
    """Whether the control API answers to this Host: localhost, *.localhost, IP addresses, the host the
    fake listens on, its TLS names, and ``allowed_hosts`` (names, ``*.suffix`` patterns, or ``*``)."""
    name = _hostname(host)
    if not name:
        return False
    if name == "localhost" or name.endswith(".localhost") or _is_ip(name) or "*" in config.allowed_hosts:
        return True
    names = {n.lower().rstrip(".") for n in (config.host, *config.tls_names, *config.allowed_hosts)}
    return name in names or any(n.startswith("*.") and name.endswith(n[1:]) for n in names)


def _authority(value: str) -> str:
    """host[:port] as compared: lower case, without a default port."""
    return value.lower().removesuffix(":80").removesuffix(":443")


def _cross_site(method: str, host: str, headers: dict[bytes, bytes]) -> str | None:
    """Why a state-changing request comes from another site's page, or None if it does not."""
    site = headers.get(b"sec-fetch-site", b"").decode("latin-1")
    if site in ("cross-site", "same-site"):
        return f"{method} from a page on another site (Sec-Fetch-Site: {site}) is refused"
    origin = headers.get(b"origin")
    if origin is None:
        return None  # not a browser (curl, a test's client), or a browser's same-origin request
    text = origin.decode("latin-1")
    _, found, authority = text.partition("://")
    if not found or _authority(authority) != _authority(host):
        return f"{method} from a page on another origin (Origin: {text}) is refused; this fake is {host}"
    return None


def _declares_json(headers: dict[bytes, bytes]) -> bool:
    content_type = headers.get(b"content-type")
    if content_type is None:
        has_body = headers.get(b"content-length", b"0").strip() != b"0" or b"transfer-encoding" in headers
        return not has_body
    media = content_type.split(b";")[0].strip().lower()
    return media == b"application/json" or (media.startswith(b"application/") and media.endswith(b"+json"))


class ControlGuard:
    """The checks above, in that order, for every route under /_fake/."""

    def __init__(self, app: ASGIApp, config: Config, open_paths: Iterable[str] = ("/health",)) -> None:
        self.app = app
        self.config = config
        self.open_paths = tuple(open_paths)  # under the mount: "/health"
        self.token = f"Bearer {config.control_token}".encode() if config.control_token else None

    def refusal(self, scope: Scope) -> JSONResponse | None:
        if scope["path"].endswith(self.open_paths):
            return None
        headers = dict(scope["headers"])
        method: str = scope["method"]
        host = headers.get(b"host", b"").decode("latin-1")
        if b"host" in headers and not host_allowed(self.config, host):
            error = (
                f"the control API does not answer to the host {host!r}: it answers to localhost, IP addresses"
                " and the names in FAKE_CDYNE_ALLOWED_HOSTS (add this one, or '*' for any), against DNS rebinding"
            )
            return JSONResponse({"error": error}, status_code=421)
        if method not in SAFE_METHODS:
            why = _cross_site(method, host, headers)
            if why is not None:
                return JSONResponse({"error": f"{why}, against cross-site request forgery"}, status_code=403)
            if not _declares_json(headers):
                given = headers.get(b"content-type", b"none").decode("latin-1")
                error = (
                    f"{method} {scope['path']} wants its body as Content-Type: application/json, not {given!r}"
                    " (pages on other sites can send forms and text/plain): curl -H 'content-type: application/json'"
                )
                return JSONResponse({"error": error}, status_code=415)
        if self.token is not None and not secrets.compare_digest(headers.get(b"authorization", b""), self.token):
            return JSONResponse(
                {"error": "the control API wants 'Authorization: Bearer <token>' (FAKE_CDYNE_CONTROL_TOKEN)"},
                status_code=401,
                headers={"WWW-Authenticate": "Bearer"},
            )
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        refusal = self.refusal(scope) if scope["type"] == "http" else None
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        await self.app(scope, receive, send)
